"""Compatibility module: interface resistances now live in :mod:`ssbands.scl.resistance`."""

from __future__ import annotations

from .scl.resistance import (
                             diffusivity_from_conductivity,
                             frumkin_rct,
                             interface_resistance,
                             mott_schottky_ratio,
                             scl_resistance,
                             scl_resistance_layer,
)

__all__ = ["diffusivity_from_conductivity", "frumkin_rct", "interface_resistance", "mott_schottky_ratio",
           "scl_resistance", "scl_resistance_layer"]
