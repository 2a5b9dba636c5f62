"""Figures of KPFM data: re-exported from :mod:`ssbands.plotting.kpfm`, where they live.

Each function returns the :class:`matplotlib.figure.Figure`; pass ``path`` to also save it
(atomically; PNG, SVG or PDF by extension).
"""

from __future__ import annotations

from ..plotting.kpfm import plot_decomposition, plot_fit, plot_fit_map, plot_map, plot_profile, plot_series

__all__ = ["plot_map", "plot_profile", "plot_series", "plot_fit_map", "plot_fit", "plot_decomposition"]
