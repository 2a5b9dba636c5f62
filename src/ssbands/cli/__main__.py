"""``python -m ssbands.cli``: the same as the ``ssbands`` console script."""

from __future__ import annotations

from ._root import main

main()
