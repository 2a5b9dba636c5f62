"""The interface-design tool in the browser: ``ssbands web`` serves a page that re-solves while you drag.

Modules: :mod:`.compute` (stacks from the page, one solve, the ``band --json`` object and the
arrays), :mod:`.protocol` (the WebSocket's binary frames of float arrays), :mod:`.app` (the Starlette
app and its routes), :mod:`.security` (loopback, limits, headers), :mod:`.server` (settings, uvicorn),
:mod:`.case` (case files and exports), :mod:`.uncertainty` (Monte Carlo bands), :mod:`.kpfm` (KPFM
overlay and fit), :mod:`.screen` (screening heatmap). The page itself (HTML, CSS, JavaScript modules
and the vendored uPlot) is in ``static/``. Needs the optional extra ``pip install 'ssbands[web]'``.

Python::

    from ssbands.web.server import load_config, serve
    serve(load_config("examples/stacks/fuller2021.toml"), port=8765)
"""

from __future__ import annotations
