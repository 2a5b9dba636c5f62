"""Impedance of solid-electrolyte cells from the linearised Poisson–Nernst–Planck equations.

* :mod:`.cell` — :func:`impedance` (a cell at one OCV → xarray Dataset over frequency), :func:`to_json`
  (the ``ssbands impedance --json`` dict) and :func:`cell_interfaces` (per-interface R_exc, R_ct, C_SCL).
* :mod:`.model` — the spectrum of any stack of regions (any species set) about its equilibrium.
* :mod:`.linear` — the discrete small-signal network and its boundary conditions.
* :mod:`.circuit` — the physics-derived equivalent circuit and its fit; :mod:`.kk` — the Lin-KK test.
* :mod:`.data` — measured spectra (CSV, vendor exports) and fits of physical parameters.
* :mod:`.closedform` — Macdonald's homogeneous-electrolyte closed forms (test references).
* :mod:`.peers` — DEVSIM small-signal AC of the same problem (tests and benchmarks only).
"""

import sys as _sys
import types as _types

from .cell import cell_interfaces, electrolyte_region, impedance, interface_steps, to_json
from .circuit import CircuitFit, Element, circuit_impedance, fit_circuit
from .data import CELL_PARAMETERS, EISData, ParameterFit, cell_model, fit_parameters, read_eis_csv
from .kk import LinKKResult, lin_kk
from .linear import BC_KINDS, ElectrodeBC, PNPNetwork, build_network
from .model import Spectrum, frequency_grid, impedance_mesh, spectrum

__all__ = [
    "impedance", "to_json", "cell_interfaces", "interface_steps", "electrolyte_region", "spectrum", "Spectrum",
    "frequency_grid", "impedance_mesh",
    "ElectrodeBC", "BC_KINDS", "PNPNetwork", "build_network", "Element", "CircuitFit", "circuit_impedance",
    "fit_circuit", "LinKKResult", "lin_kk", "EISData", "ParameterFit", "read_eis_csv", "fit_parameters",
    "cell_model", "CELL_PARAMETERS",
]


class _CallableModule(_types.ModuleType):
    """``ssbands.impedance`` is both this package and its main function: ``ssbands.impedance(stack, ocv)``."""

    def __call__(self, *args, **kwargs):
        return impedance(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
