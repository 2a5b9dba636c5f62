"""The ``ssbands`` command line (console script ``ssbands = "ssbands.cli:main"``).

Thin: each command parses its options, calls the library, and prints text or one JSON object.
Layout: :mod:`._root` (the root group, lazy command loading, :func:`main`), :mod:`.options` (shared
options and parameter types), :mod:`.output` (JSON and warnings), and one module per command or
group: :mod:`.materials`, :mod:`.band`, :mod:`.demo`, :mod:`.scl`, :mod:`.fermi`, :mod:`.kpfm`,
:mod:`.screen`, :mod:`.library`. Library code never imports this package.
"""

from __future__ import annotations

from ._root import LAZY_COMMANDS, cli, main

__all__ = ["LAZY_COMMANDS", "cli", "main"]
