"""Turn the cell solve's arrays into a band-diagram Profile (schema: :mod:`ssbands.profile`).

Layout: spatial variables over (ocv, x); the per-layer table over (ocv, layer_name) with ``layer_``
names; the per-interface table over (ocv, interface) with ``iface_`` names; the electrode state over
(ocv,). ``ds.ssb.layers``, ``ds.ssb.interfaces`` and ``ds.ssb.states`` return each table as its own
Dataset with plain names. The metadata record the stack, conditions, notes and, for every material,
the resolved parameter values with their sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ..profile import base_attrs

if TYPE_CHECKING:
    from ..materials import Library
    from .solve import CellArrays

_IFACE_META = {
    "phi0_V": ("V", "step screened by the SCL (SE bulk minus interface)"),
    "dipole_V": ("V", "interface dipole step (electrode to SE)"),
    "total_step_V": ("V", "psi(SE bulk) - psi(electrode)"),
    "sigma_e_per_nm2": ("e/nm^2", "electrode-side charge per area (= -SCL charge)"),
    "capacitance_uF_per_cm2": ("uF/cm^2", "differential SCL capacitance"),
    "saturated_width_A": ("angstrom", "saturated-zone width"),
    "debye_length_A": ("angstrom", "tail screening length"),
    "se_mu_Li_eV": ("eV", "electrolyte mu_Li next to the interface"),
    "se_E_F_eV": ("eV", "electrolyte Fermi level next to the interface"),
    "se_E_F_above_VBM_eV": ("eV", "electrolyte E_F above its VBM (NaN: IP unknown)"),
    "se_dEvac_dmuLi": ("", "slope s = dE_vac/dmu_Li of the electrolyte bulk next to the interface (0: Frenkel limit)"),
    "electrode_in_window": ("", "electrode mu_Li inside the SE window (SE matches it)"),
    "injection": ("", "electrolyte E_F outside its gap: carriers injected"),
    "R_scl_ohm_cm2": ("ohm cm^2", "ionic resistance of the SCL (NaN: data unknown)"),
    "R_bulk_same_length_ohm_cm2": ("ohm cm^2", "bulk electrolyte resistance over the same length"),
    "R_ratio": ("", "R_scl / R_bulk over the same length"),
    "R_exc_ohm_cm2": ("ohm cm^2", "excess DC resistance of the SCL over the bulk, int(1/sigma - 1/sigma_inf) dx, "
                      "in the transport limit of the solve (NaN: transport data unknown)"),
    "R_ct_ohm_cm2": ("ohm cm^2", "Frumkin-Butler-Volmer charge-transfer resistance (NaN: kinetics not given)"),
}


def _spatial_variables(a: CellArrays, tipwf: float) -> dict:
    s = a.spatial
    E_vac, E_F = s["E_vac_eV"], s["E_F_eV"]
    cpd = tipwf - E_vac
    out = {
        "E_vac_eV": (E_vac, "eV", "vacuum level (electron energy)"),
        "E_F_eV": (E_F, "eV", "Fermi level = electron electrochemical potential"),
        "E_CBM_eV": (s["E_CBM_eV"], "eV", "conduction-band minimum (electrolyte)"),
        "E_VBM_eV": (s["E_VBM_eV"], "eV", "valence-band maximum (electrolyte)"),
        "psi_V": (-E_vac, "V", "outer (Volta) potential, E_vac = -e psi; the inner potential equals it up to "
                  "a constant surface potential per material (taken 0)"),
        "work_function_eV": (E_vac - E_F, "eV", "local work function E_vac - E_F"),
        "mu_Li_eV": (s["mu_Li_eV"], "eV", "Li chemical potential (0 = bcc Li metal); NaN in phases without Li"),
        "mu_bar_Li_eV": (s["mu_bar_Li_eV"], "eV", "Li+ electrochemical potential; NaN off the ionic path"),
        "V_V": (-E_F, "V", "local electrode potential -E_F/e"),
        "c_Li_i_cm3": (s["c_Li_i_cm3"], "cm^-3", "Li interstitial (Li_i+) concentration in the electrolyte"),
        "c_V_Li_cm3": (s["c_V_Li_cm3"], "cm^-3", "Li vacancy (V_Li-) concentration in the electrolyte"),
        "rho_C_cm3": (s["rho_C_cm3"], "C/cm^3", "net defect charge density in the electrolyte"),
        "cpd_V": (cpd, "V", "KPFM contact potential difference (Phi_tip - E_vac)/e"),
        "dEvac_dmuLi": (s["dEvac_dmuLi"], "", "slope s = dE_vac/dmu_Li of the electrolyte bulk (0: Frenkel limit; "
                        "NaN outside the electrolyte)"),
    }
    base = a.stack.base
    if base is not None:
        ib = a.stack.layers.index(base)
        out["cpd_base_V"] = (cpd - cpd[:, a.layer_index == ib][:, :1], "V", "CPD referenced to the inert base")
    return out


def _layer_mid_index(a: CellArrays) -> np.ndarray:
    x, lidx, b = a.x_nm, a.layer_index, a.bounds_nm
    return np.array([np.flatnonzero(lidx == i)[np.argmin(np.abs(x[lidx == i] - 0.5 * (b[i] + b[i + 1])))]
                     for i in range(len(a.stack.layers))])


def _tables(a: CellArrays, spatial: dict, mid: np.ndarray) -> dict:
    OL: tuple[str, ...] = ("ocv", "layer_name")
    OS: tuple[str, ...] = ("ocv",)
    OI: tuple[str, ...] = ("ocv", "interface")
    E_vac, E_F, cpd = spatial["E_vac_eV"][0], spatial["E_F_eV"][0], spatial["cpd_V"][0]
    out = {
        "layer_E_F_eV": (OL, E_F[:, mid], "eV", "Fermi level at the layer middle"),
        "layer_E_vac_eV": (OL, E_vac[:, mid], "eV", "vacuum level at the layer middle"),
        "layer_work_function_eV": (OL, a.phi_layer, "eV", "work function of an electron conductor (NaN for the "
                                   "electrolyte)"),
        "layer_mu_Li_eV": (OL, a.spatial["mu_Li_eV"][:, mid], "eV", "Li chemical potential at the layer middle"),
        "layer_cpd_V": (OL, cpd[:, mid], "V", "CPD at the layer middle"),
        "layer_E_F_above_VBM_eV": (OL, E_F[:, mid] - spatial["E_VBM_eV"][0][:, mid], "eV",
                                   "Fermi level above the valence-band maximum at the layer middle (electrolyte; "
                                   "NaN where the band edges are unknown)"),
        "layer_dEvac_dmuLi": (OL, spatial["dEvac_dmuLi"][0][:, mid], "", "slope s = dE_vac/dmu_Li of the electrolyte "
                              "bulk at the layer middle (NaN for other layers)"),
    }
    if "cpd_base_V" in spatial:
        out["layer_cpd_base_V"] = (OL, spatial["cpd_base_V"][0][:, mid], "V", "CPD vs base at the layer middle")
    st = a.state
    for k, v, u, ln in (("anode_li_fraction", st.x_anode, "", "anode Li fraction"),
                        ("cathode_li_fraction", st.x_cathode, "", "cathode Li fraction"),
                        ("anode_U_V", st.U_anode, "V", "anode potential vs Li/Li+"),
                        ("cathode_U_V", st.U_cathode, "V", "cathode potential vs Li/Li+"),
                        ("mu_bar_Li_value_eV", a.mu_bar, "eV", "uniform Li+ electrochemical potential"),
                        ("anode_ocv_extrapolated", st.anode_extrapolated, "",
                         "anode potential beyond its OCV data (Nernst extension or fit's singular term)"),
                        ("cathode_ocv_extrapolated", st.cathode_extrapolated, "",
                         "cathode potential beyond its OCV data (Nernst extension or fit's singular term)"),
                        ("scl_overlap", a.overlap, "", "the two SCLs overlap (superposition approximate)")):
        out[k] = (OS, np.asarray(v), u, ln)
    for k, (u, ln) in _IFACE_META.items():
        v = a.interfaces[k]
        out["iface_" + k] = (OI, np.asarray(v, dtype=str) if k == "injection" else v, u, ln)
    return out


def _provenance(a: CellArrays, library: Library) -> dict:
    mats: dict[str, dict] = {}
    for ly in a.stack.layers:
        mats.setdefault(ly.material.name, ly.material.provenance(library.cite))
    li = library["Li"]
    mats.setdefault(li.name, {"origin": li.origin, "parameters": {
        "work_function_eV": li.provenance(library.cite)["parameters"].get("work_function_eV", {})}})
    return mats


def build_profile(a: CellArrays, library: Library, *, n_out: int, reference_ocv: float | None,
                  squeeze: bool = False, reference_state: str | None = None) -> xr.Dataset:
    """The band-diagram Profile of a cell solve.

    Parameters
    ----------
    a : CellArrays
        The solved states; when ``reference_ocv`` is given, the last state is the reference.
    library : Library
        Library the materials came from (for the provenance record).
    n_out : int
        Number of states to keep (the requested ones).
    reference_ocv : float or None
        OCV (V) of the reference state for ΔCPD (None: no ΔCPD).
    squeeze : bool
        Drop the ``ocv`` dimension (one state asked for as a scalar).
    reference_state : str, optional
        How the reference was chosen.

    Returns
    -------
    xarray.Dataset
    """
    stack, T = a.stack, a.stack.temperature_K
    tipwf = stack.tip_work_function_eV
    variables = _spatial_variables(a, tipwf)
    OX = ("ocv", "x")
    allv: dict[str, Any] = {k: (OX, v, u, ln) for k, (v, u, ln) in variables.items()}
    mid = _layer_mid_index(a)
    allv.update(_tables(a, {k: (v,) for k, (v, *_r) in variables.items()}, mid))
    attrs: dict[str, Any] = {"closure": stack.closure, "ground": stack.ground, "temperature_K": T}
    if reference_ocv is not None:
        r = a.state.ocv_V.size - 1
        E_vac, E_F = a.spatial["E_vac_eV"], a.spatial["E_F_eV"]
        for k, src, ln in (("dcpd_V", -E_vac, f"Delta CPD vs OCV = {reference_ocv:g} V"),
                           ("dcpd_work_function_V", -(E_vac - E_F), "-Delta Phi/e part of Delta CPD"),
                           ("dcpd_potential_V", -E_F, "Delta V part of Delta CPD")):
            allv[k] = (OX, src - src[r], "V", ln)
        cpd = variables["cpd_V"][0]
        allv["layer_dcpd_V"] = (("ocv", "layer_name"), cpd[:, mid] - cpd[r, mid], "V", "Delta CPD at the layer middle")
        attrs["reference_ocv_V"] = float(reference_ocv)
        attrs["reference_state"] = str(reference_state)
        st = a.state
        attrs.update({"reference_anode_li_fraction": float(st.x_anode[r]),
                      "reference_cathode_li_fraction": float(st.x_cathode[r]),
                      "reference_anode_U_V": float(st.U_anode[r]), "reference_cathode_U_V": float(st.U_cathode[r])})
    keep = 0 if squeeze else slice(0, n_out)
    data_vars = {k: xr.Variable(dims[1:] if squeeze else dims, np.asarray(v)[keep], {"units": u, "long_name": ln})
                 for k, (dims, v, u, ln) in allv.items()}
    layers = stack.layers
    names = [ly.name for ly in layers]
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    coords = {
        "x": xr.Variable(("x",), a.x_nm, {"units": "nm", "long_name": "position"}),
        "layer": xr.Variable(("x",), np.array(names)[a.layer_index], {"long_name": "layer name"}),
        "layer_index": xr.Variable(("x",), a.layer_index),
        "ocv": xr.Variable(() if squeeze else ("ocv",), a.state.ocv_V[keep],
                           {"units": "V", "long_name": "open-circuit voltage"}),
        "layer_name": xr.Variable(("layer_name",), names),
        "layer_role": xr.Variable(("layer_name",), [ly.role for ly in layers]),
        "layer_material": xr.Variable(("layer_name",), [ly.material.name for ly in layers]),
        "layer_x_start_nm": xr.Variable(("layer_name",), a.bounds_nm[:-1], {"units": "nm"}),
        "layer_x_end_nm": xr.Variable(("layer_name",), a.bounds_nm[1:], {"units": "nm"}),
        "interface": xr.Variable(("interface",), [f"{names[ia]}|{names[ie]}", f"{names[ie]}|{names[ic]}"]),
    }
    meta = {
        "stack": stack.to_dict(), "closure": stack.closure, "ground": stack.ground, "temperature_K": T,
        "tip_work_function_eV": tipwf, "phi_Li_eV": a.phi_li_eV, "notes": list(a.notes),
        "reference_energies": "E_F(ground) = 0 eV; mu_Li = 0 for bcc Li; W_Li+ relative to Li metal",
        "materials": _provenance(a, library),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=base_attrs("model", meta, attrs))
