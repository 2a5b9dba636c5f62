"""Figures (matplotlib, imported lazily; Agg backend outside interactive sessions).

One lazy pyplot import and one save helper (:mod:`ssbands.plotting._core`) serve every figure
module: band diagrams and ΔCPD (:mod:`.band`), KPFM maps, profiles and fits, screening heatmaps.
"""

from __future__ import annotations

from ._core import DPI, pyplot, save_figure
from .band import band_diagram, delta_cpd, save

__all__ = ["DPI", "band_diagram", "delta_cpd", "pyplot", "save", "save_figure"]
