"""The one lazy pyplot import and the one figure-save helper shared by every figure module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import InputError

#: Resolution of every raster figure the package writes (dots per inch).
DPI = 200
FIGURE_FORMATS = ("png", "svg", "pdf")


def interactive() -> bool:
    """True inside an interactive interpreter or a Jupyter kernel (figures are then left open)."""
    return hasattr(sys, "ps1") or "ipykernel" in sys.modules


def pyplot() -> Any:
    """Import ``matplotlib.pyplot`` lazily; use the Agg backend unless a session is interactive.

    Returns
    -------
    module
        ``matplotlib.pyplot``.
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo") and not interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, *, close: bool = True) -> Path:
    """Write a figure atomically (PNG at :data:`DPI`, or SVG/PDF by extension).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to write.
    path : str or Path
        Output file; its extension (``.png``, ``.svg`` or ``.pdf``) chooses the format.
    close : bool
        Close the figure after writing (default), so scripts do not accumulate open figures.

    Returns
    -------
    Path
        The written file.
    """
    from ..profile import atomic_write

    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext not in FIGURE_FORMATS:
        raise InputError(f"figure file {str(path)!r}: use a .png, .svg or .pdf name")
    atomic_write(path, lambda p: fig.savefig(p, dpi=DPI, format=ext))
    if close:
        pyplot().close(fig)
    return path
