"""ssbands: DFT-informed band diagrams of solid-state batteries.

Public API (imported lazily so that ``import ssbands`` stays fast)::

    from ssbands import load_library, Stack, solve, first_integral, SpaceChargeLayer
    ssbands.impedance(stack, ocv, frequencies=...)   # impedance spectrum (xarray Dataset over frequency)
"""

from __future__ import annotations

import importlib

from ._version import __version__

_LAZY = {
    "load_library": "ssbands.materials",
    "Library": "ssbands.materials",
    "Material": "ssbands.materials",
    "Stack": "ssbands.cell",
    "Layer": "ssbands.cell",
    "solve": "ssbands.cell",
    "first_integral": "ssbands.scl",
    "SpaceChargeLayer": "ssbands.scl",
    "make_profile": "ssbands.profile",
    "read_profile": "ssbands.profile",
}

__all__ = ["__version__", "impedance", *_LAZY]


def __getattr__(name):
    if name == "impedance":  # the package is callable: ssbands.impedance(stack, ocv, ...)
        return importlib.import_module("ssbands.impedance")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ssbands' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
