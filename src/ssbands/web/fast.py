"""The slider's fast path: one state of a cell solved to plain arrays, without building an xarray Profile.

:func:`ssbands.cell.solve` builds a band-diagram Profile (an xarray Dataset) and
:func:`ssbands.cell.summary` reads the ``band --json`` object back out of it; for one state both cost
more than the solve itself. Here the same solve (:func:`ssbands.cell.solve_arrays` on the requested
state followed by the ΔCPD reference state, exactly as :func:`ssbands.cell.solve` calls it) is turned
into the ``band --json`` object (:func:`band_summary`) and the plotted arrays (:func:`frame_arrays`)
directly from its :class:`~ssbands.cell.CellArrays`. Every value is computed with the same floating-point
operations as the Profile path, so the object equals ``ssbands band --json`` exactly (tested).

What depends only on the stack (the reachable OCV range, the grid, Φ_Li, the reference state) is kept
per validated stack in :class:`PreparedStack`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import interface as ifc
from .._version import __version__
from ..cell import CellArrays, ElectrodeState, Stack, electrode_state, make_grid, reachable_ocv_range, solve_arrays
from ..constants import CPD_CONVENTION, ENERGY_REFERENCE
from ..scl.transport import check_transport_limit

#: names of the arrays along x the page plots, as in the band-diagram Profile (positions are ``x_nm``)
FRAME_VARIABLES = ("E_vac_eV", "E_F_eV", "E_CBM_eV", "E_VBM_eV", "mu_bar_Li_eV", "mu_Li_eV", "psi_V", "cpd_V",
                   "dcpd_V", "dcpd_work_function_V", "dcpd_potential_V")

_IFACE_KEYS = ("phi0_V", "dipole_V", "total_step_V", "sigma_e_per_nm2", "capacitance_uF_per_cm2",
               "saturated_width_A", "debye_length_A", "se_mu_Li_eV", "se_E_F_eV", "se_E_F_above_VBM_eV")


@dataclass(frozen=True)
class Reference:
    """The ΔCPD reference state of a stack.

    Attributes
    ----------
    state : ElectrodeState
        One state, labelled by the reference OCV (V).
    ocv_V : float
        Its OCV, V.
    label : str
        How it was chosen (the Profile's ``reference_state``).
    """

    state: ElectrodeState
    ocv_V: float
    label: str


class PreparedStack:
    """A validated stack with what every solve of it reuses (the grid, Φ_Li, the reference states).

    Parameters
    ----------
    stack : Stack
        The cell.
    phi_li_eV : float
        Work function of Li metal Φ_Li (eV) of the server's library.
    """

    def __init__(self, stack: Stack, phi_li_eV: float):
        self.stack = stack
        self.phi_li_eV = float(phi_li_eV)
        self._grid: tuple[np.ndarray, np.ndarray] | None = None
        self._refs: dict[Any, Reference] = {}
        self._lock = threading.Lock()

    @property
    def ocv_range(self) -> tuple[float, float]:
        """Reachable OCV range (V) from the stated Li contents (may be ±inf)."""
        return reachable_ocv_range(self.stack)

    @property
    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions (nm) and layer indices of :func:`ssbands.cell.make_grid` (computed once)."""
        if self._grid is None:
            self._grid = make_grid(self.stack)
        return self._grid

    def reference(self, reference_ocv: float | str = "auto") -> Reference:
        """The ΔCPD reference state for ``reference_ocv`` (V or ``"auto"``), as :func:`ssbands.cell.solve` picks it.

        Parameters
        ----------
        reference_ocv : float or "auto"
            The requested reference OCV (V), or ``"auto"`` (0 V when reachable, else the closest end).

        Returns
        -------
        Reference
        """
        with self._lock:
            hit = self._refs.get(reference_ocv)
        if hit is not None:
            return hit
        ref = ifc.reference_state(self.ocv_range, reference_ocv)
        rst = electrode_state(self.stack, ocv=[ref.ocv_V]).with_ocv_labels(np.array([ref.ocv_V]))
        out = Reference(rst, float(rst.ocv_V[0]), ref.label)
        with self._lock:
            if len(self._refs) > 16:
                self._refs.clear()
            self._refs[reference_ocv] = out
        return out

    def solve(self, ocv: float, reference_ocv: float | str = "auto", transport: str = "local-equilibrium",
              kinetics: dict | None = None) -> tuple[CellArrays, Reference]:
        """The cell at ``ocv`` and its reference state as arrays (:func:`ssbands.cell.solve_arrays`).

        Parameters
        ----------
        ocv : float
            Open-circuit voltage, V.
        reference_ocv : float or "auto"
            OCV of the ΔCPD reference state, V.
        transport : {"local-equilibrium", "independent"}
            Transport limit of the interfaces' R_exc.
        kinetics : dict, optional
            ``{"i0_A_cm2", "alpha_t"}`` of both interfaces (R_ct).

        Returns
        -------
        (CellArrays, Reference)
            Two states: the requested one, then the reference.
        """
        ref = self.reference(reference_ocv)
        requested = np.atleast_1d(np.asarray(ocv, float))
        st = electrode_state(self.stack, ocv=requested).concat(ref.state).with_ocv_labels(requested)
        check_transport_limit(transport)
        a = solve_arrays(self.stack, st, self.phi_li_eV, self.grid, reference_last=True, transport=transport,
                         kinetics=kinetics)
        return a, ref


def _f(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def _profile_mid(a: CellArrays) -> np.ndarray:
    """Grid index of each layer's middle, as the Profile's per-layer table takes it."""
    x, lidx, b = a.x_nm, a.layer_index, a.bounds_nm
    return np.array([np.flatnonzero(lidx == i)[np.argmin(np.abs(x[lidx == i] - 0.5 * (b[i] + b[i + 1])))]
                     for i in range(len(a.stack.layers))])


def _summary_mid(x: np.ndarray, lay: np.ndarray, name: str) -> int:
    """Grid index of a layer's middle, as :func:`ssbands.cell.summary` takes it (by layer name)."""
    sel = np.flatnonzero(lay == name)
    return int(sel[np.argmin(np.abs(x[sel] - 0.5 * (x[sel[0]] + x[sel[-1]])))])


def _dcpd_parts(a: CellArrays) -> dict[str, np.ndarray]:
    """ΔCPD and its two parts of the first state against the last (the reference), V."""
    E_vac, E_F = a.spatial["E_vac_eV"], a.spatial["E_F_eV"]
    r = a.state.ocv_V.size - 1
    out = {}
    for k, src in (("dcpd_V", -E_vac[[0, r]]), ("dcpd_work_function_V", -(E_vac[[0, r]] - E_F[[0, r]])),
                   ("dcpd_potential_V", -E_F[[0, r]])):
        out[k] = src[0] - src[1]
    return out


def _layer_rows(a: CellArrays, dcpd: dict[str, np.ndarray]) -> list[dict]:
    stack, s, st = a.stack, a.spatial, a.state
    E_vac, E_F = s["E_vac_eV"][0], s["E_F_eV"][0]
    cpd = stack.tip_work_function_eV - E_vac
    mid = _profile_mid(a)
    names = np.array([ly.name for ly in stack.layers])
    lay = names[a.layer_index]
    base_cpd = None
    if stack.base is not None:
        ib = stack.layers.index(stack.base)
        base_cpd = cpd[a.layer_index == ib][0]
    rows = []
    for j, ly in enumerate(stack.layers):
        m, ms = mid[j], _summary_mid(a.x_nm, lay, names[j])
        row = {"name": str(ly.name), "material": str(ly.material.name), "role": ly.role,
               "x_start_nm": _f(a.bounds_nm[j]), "x_end_nm": _f(a.bounds_nm[j + 1]),
               "E_F_eV": _f(E_F[m]), "E_vac_eV": _f(E_vac[m]), "work_function_eV": _f(a.phi_layer[0, j]),
               "mu_Li_eV": _f(s["mu_Li_eV"][0, m]), "cpd_V": _f(cpd[m])}
        if base_cpd is not None:
            row["cpd_base_V"] = _f(cpd[m] - base_cpd)
        row["delta_cpd_V"] = _f(dcpd["dcpd_V"][ms])
        row["delta_cpd_work_function_V"] = _f(dcpd["dcpd_work_function_V"][ms])
        row["delta_cpd_potential_V"] = _f(dcpd["dcpd_potential_V"][ms])
        if ly.role == "electrolyte":
            row["E_F_above_VBM_eV"] = _f(E_F[m] - s["E_VBM_eV"][0, m])
            row["dEvac_dmuLi"] = _f(s["dEvac_dmuLi"][0, m])
        if ly.role == "anode":
            row["li_fraction"], row["U_vs_Li_V"] = _f(st.x_anode[0]), _f(st.U_anode[0])
        if ly.role == "cathode":
            row["li_fraction"], row["U_vs_Li_V"] = _f(st.x_cathode[0]), _f(st.U_cathode[0])
        rows.append(row)
    return rows


def _interface_rows(a: CellArrays) -> list[dict]:
    stack, t = a.stack, a.interfaces
    names = [ly.name for ly in stack.layers]
    ia, ie, ic = (stack.index(r) for r in ("anode", "electrolyte", "cathode"))
    rows = []
    for j, pair in enumerate((f"{names[ia]}|{names[ie]}", f"{names[ie]}|{names[ic]}")):
        left, right = str(pair).split("|")
        row: dict[str, Any] = {"left": left, "right": right}
        row.update({k: _f(t[k][0, j]) for k in _IFACE_KEYS})
        row["electrode_in_window"] = bool(t["electrode_in_window"][0, j])
        row.update({k: _f(t[k][0, j]) for k in ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio",
                                                "R_exc_ohm_cm2", "R_ct_ohm_cm2")})
        row["injection"] = str(np.asarray(t["injection"], dtype=str)[0, j])
        rows.append(row)
    return rows


def band_summary(a: CellArrays, reference: Reference) -> dict:
    """The ``ssbands band --json`` object of the first state of a solve whose last state is the reference.

    The same values, by the same operations, as :func:`ssbands.cell.summary` of the Profile that
    :func:`ssbands.cell.solve` builds from these arrays (NaN as None).

    Parameters
    ----------
    a : CellArrays
        From :meth:`PreparedStack.solve` (the requested state first, the reference state last).
    reference : Reference
        The reference state of that solve.

    Returns
    -------
    dict
        JSON-ready summary (energies in eV, potentials in V, lengths in nm or Å as named).
    """
    stack, st = a.stack, a.state
    r = st.ocv_V.size - 1
    d = stack.to_dict()
    return {
        "ocv_V": _f(st.ocv_V[0]), "ground": stack.ground, "closure": stack.closure,
        "temperature_K": float(stack.temperature_K), "energy_reference": ENERGY_REFERENCE,
        "cpd_convention": CPD_CONVENTION, "tip_work_function_eV": d["tip_work_function_eV"],
        "reference_ocv_V": float(reference.ocv_V), "reference_state": str(reference.label),
        "reference": {"anode_li_fraction": float(st.x_anode[r]), "cathode_li_fraction": float(st.x_cathode[r]),
                      "anode_U_V": float(st.U_anode[r]), "cathode_U_V": float(st.U_cathode[r])},
        "mu_Li_se_eV": d.get("mu_li_se_eV"),
        "layers": _layer_rows(a, _dcpd_parts(a)), "interfaces": _interface_rows(a),
        "notes": [str(n) for n in a.notes], "ssbands_version": __version__,
    }


def frame_arrays(a: CellArrays) -> dict[str, np.ndarray]:
    """The arrays along x the page plots, of the first state of a solve whose last state is the reference.

    Parameters
    ----------
    a : CellArrays
        From :meth:`PreparedStack.solve`.

    Returns
    -------
    dict of str to ndarray
        ``x_nm`` (nm) and each of :data:`FRAME_VARIABLES` (eV or V; NaN where not defined), the
        values of the Profile's variables of the same names.
    """
    s = a.spatial
    E_vac = s["E_vac_eV"][0]
    out = {"x_nm": a.x_nm, "E_vac_eV": E_vac, "E_F_eV": s["E_F_eV"][0], "E_CBM_eV": s["E_CBM_eV"][0],
           "E_VBM_eV": s["E_VBM_eV"][0], "mu_bar_Li_eV": s["mu_bar_Li_eV"][0], "mu_Li_eV": s["mu_Li_eV"][0],
           "psi_V": -E_vac, "cpd_V": a.stack.tip_work_function_eV - E_vac}
    out.update(_dcpd_parts(a))
    return out
