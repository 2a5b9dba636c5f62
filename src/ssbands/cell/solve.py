"""Open-circuit equilibrium of a whole cell → a band-diagram Profile, batched over states.

Derivation in the code's terms (energies in eV from the ground's Fermi level, e = 1):

* Electrodes: μ_Li = −U(x_Li). μ̄_Li⁺ is uniform along anode | SE | cathode, and μ_Li = μ̄_Li⁺ + E_F in
  every phase, so E_F(electrode) = μ_Li(electrode) − μ̄_Li⁺. The grounded side has E_F = 0, which fixes
  μ̄_Li⁺ = μ_Li(ground electrode); then E_F(anode) − E_F(cathode) = U_cathode − U_anode = e·V_OCV.
* Electron conductors in contact (each electrode with its current collectors and the base) share E_F;
  their vacuum level is E_vac = E_F + Φ.
* The electrolyte bulk vacuum level is E_vac(SE) = Φ_Li − μ̄_Li⁺ − φ0^Li; each interface's space-charge
  layer screens φ0(M|SE) (:func:`ssbands.interface.interface_step`, Fuller et al. 2020,
  doi:10.1021/acsaem.0c01008; Swift et al. 2021, doi:10.1021/acs.jpcc.0c09942).
* Electrolyte Fermi level: E_F(SE)(x) = μ_Li,SE(x) − μ̄_Li⁺ with μ_Li,SE from the closure
  (:func:`ssbands.thermo.se_mu_li_edges`), linear across the SE.
* KPFM: CPD = Φ_tip − E_vac (V), CPD_base = CPD − CPD(base), ΔCPD = CPD − CPD(reference state)
  = −ΔΦ/e + ΔV with Φ = E_vac − E_F and V = −E_F everywhere (Fuller et al., *Nano Lett.* 2021 for the
  operando measurement this reproduces).

Both space-charge layers of every state are evaluated in one batched call
(:func:`ssbands.scl.firstintegral.layer_profiles`); no Python loop runs over states.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .. import interface as ifc
from ..constants import E_CHARGE, kT_eV
from ..errors import ApproximationWarning, InputError, UnknownParameterError
from ..materials import Library
from ..scl.firstintegral import SCLResult, first_integral, layer_profiles
from ..thermo import se_mu_li_edges, work_function, work_function_depends_on_li
from .profile_build import build_profile
from .stack import Stack
from .state import ElectrodeState, electrode_state

SCL_FIELDS = ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha")


def make_grid(stack: Stack, n_layer: int = 41, n_se: int = 161, n_scl: int = 90, d_min_nm: float = 1e-4):
    """Positions of the cell grid and the layer index of each; the electrolyte gets graded points.

    Parameters
    ----------
    stack : Stack
    n_layer : int
        Points per electron-conducting layer (uniform).
    n_se : int
        Uniform points across the electrolyte.
    n_scl : int
        Geometrically graded points toward each electrolyte boundary.
    d_min_nm : float
        Smallest graded distance from an electrolyte boundary (nm).

    Returns
    -------
    x_nm : ndarray
        Positions (nm); each boundary appears twice, once per layer, so steps are exact.
    layer_index : ndarray of int
        Index of the layer of each position.
    """
    xs, idx = [], []
    x0 = 0.0
    ie = stack.index("electrolyte")
    for i, ly in enumerate(stack.layers):
        x1 = x0 + ly.thickness_nm
        if i == ie:
            half = 0.5 * ly.thickness_nm
            d = np.geomspace(d_min_nm, half, n_scl)
            pts = np.unique(np.concatenate([np.linspace(x0, x1, n_se), x0 + d, x1 - d]))
        else:
            pts = np.linspace(x0, x1, n_layer)
        xs.append(pts)
        idx.append(np.full(pts.size, i))
        x0 = x1
    return np.concatenate(xs), np.concatenate(idx)


@dataclass(frozen=True)
class CellArrays:
    """Everything the cell solve computes, as plain arrays over (state, …) before it becomes a Profile.

    Shapes: ``n`` states, ``nl`` layers, ``m`` grid points, 2 interfaces (anode side first).
    """

    stack: Stack
    state: ElectrodeState
    phi_li_eV: float
    x_nm: np.ndarray
    layer_index: np.ndarray
    bounds_nm: np.ndarray
    mu_bar: np.ndarray  # (n,)
    phi_layer: np.ndarray  # (n, nl)
    spatial: dict  # name -> (n, m)
    interfaces: dict  # name -> (n, 2)
    scl: SCLResult  # arrays (2, n)
    overlap: np.ndarray  # (n,)
    notes: tuple[str, ...]


def _layer_work_function(layer, x_li):
    """Φ (eV) of an electron-conducting layer at Li fraction x_li (array over states)."""
    if work_function_depends_on_li(layer.material):  # only electrodes (Stack forbids it elsewhere)
        return work_function(layer.material, x_li)
    return np.full(np.shape(x_li), work_function(layer.material))


def _electron_conductors(stack: Stack, st: ElectrodeState):
    """Work functions and Fermi levels of every electron-conducting layer, shape (n, nl)."""
    n, layers = st.ocv_V.size, stack.layers
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    mu_a, mu_c = -st.U_anode, -st.U_cathode
    mu_bar = mu_c if stack.ground == "cathode" else mu_a  # E_F(ground) = 0
    phi_layer = np.full((n, len(layers)), np.nan)
    ef_layer = np.full((n, len(layers)), np.nan)
    for i, ly in enumerate(layers):  # loop over layers (a handful), vectorised over states
        if i == ie:
            continue
        xli = st.x_anode if i == ia else st.x_cathode if i == ic else np.zeros(n)
        phi_layer[:, i] = _layer_work_function(ly, xli)
        ef_layer[:, i] = (mu_a - mu_bar) if i < ie else (mu_c - mu_bar)
    return mu_bar, phi_layer, ef_layer


def _resistances(se, phi0, T) -> dict:
    """SCL resistances where the electrolyte's transport data are known, else NaN and a note."""
    from ..scl.resistance import interface_resistance

    keys = ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio")
    try:
        r = interface_resistance(se, phi0, T)
    except UnknownParameterError as exc:
        out: dict = {k: np.full(phi0.shape, np.nan) for k in keys}
        out["note"] = (f"interface resistances not computed (iface_R_scl_ohm_cm2, iface_R_bulk_same_length_ohm_cm2 "
                       f"and iface_R_ratio are NaN): {se.name} lacks {exc.field} (supply it in a user library)")
        return out
    out = {k: np.broadcast_to(np.asarray(r[k], float), phi0.shape) for k in keys}
    out["note"] = None
    return out


def _interfaces(stack: Stack, st: ElectrodeState, phi_li: float, mu_bar, phi_layer):
    """Both electrode|electrolyte interfaces of every state through the interface kernel."""
    T = stack.temperature_K
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    se = stack.layers[ie].material
    names = [ly.name for ly in stack.layers]
    phi0_li = float(se.get("phi0_li_V", "the electrolyte's vacuum level (ionic work function)"))
    dip = np.array([stack.dipole(names[ia], names[ie]), stack.dipole(names[ie], names[ic])])
    U = np.stack([st.U_anode, st.U_cathode], 1)
    phi_m = np.stack([phi_layer[:, ia], phi_layer[:, ic]], 1)
    phi0 = ifc.interface_step(phi0_li, phi_m, phi_li, U, dip)
    window = se.get("window_V", "the minimum-interface closure") if stack.closure == "minimum-interface" else None
    mu_l, mu_r, in_l, in_r = se_mu_li_edges(stack.closure, -st.U_anode, -st.U_cathode, window, stack.mu_li_se_eV)
    mu_se = np.stack([mu_l, mu_r], 1)
    ip = float(se.get("ionization_potential_eV")) if se.has("ionization_potential_eV") else np.nan
    gap = float(se.get("band_gap_eV")) if se.has("band_gap_eV") else np.nan
    pos = ifc.se_fermi_above_vbm(mu_se, phi_li, phi0_li, ip)
    inj = ifc.injection_labels(ifc.injection_code(pos, gap))
    scl = first_integral(phi0.T, *(se.get(k, "the space-charge layers") for k in SCL_FIELDS), T)
    res = _resistances(se, phi0, T)
    table = {
        "phi0_V": phi0, "dipole_V": np.broadcast_to(dip, phi0.shape), "total_step_V": phi0 + dip,
        "sigma_e_per_nm2": scl.sigma_e_per_nm2.T, "capacitance_uF_per_cm2": scl.capacitance_uF_per_cm2.T,
        "saturated_width_A": scl.saturated_width_m.T * 1e10, "debye_length_A": scl.debye_length_m.T * 1e10,
        "se_mu_Li_eV": mu_se, "se_E_F_eV": mu_se - mu_bar[:, None], "se_E_F_above_VBM_eV": pos,
        "electrode_in_window": np.stack([in_l, in_r], 1), "injection": inj,
        "R_scl_ohm_cm2": res["R_scl_ohm_cm2"], "R_bulk_same_length_ohm_cm2": res["R_bulk_same_length_ohm_cm2"],
        "R_ratio": res["R_ratio"],
    }
    return table, scl, res["note"], phi0_li


def _electrolyte_profile(stack: Stack, x, lidx, bounds, evac_se, mu_bar, table):
    """Vacuum level, Fermi level, μ_Li and defect concentrations across the electrolyte, (n, m_se)."""
    T = stack.temperature_K
    kt = kT_eV(T)
    ie = stack.index("electrolyte")
    se = stack.layers[ie].material
    N, Ef0, eps, alpha = (se.get(k, "the space-charge layers") for k in SCL_FIELDS)
    xl, xr_ = bounds[ie], bounds[ie + 1]
    xse = x[lidx == ie]
    phi0 = table["phi0_V"]
    fl, ext_l = layer_profiles(phi0[:, 0], N, Ef0, eps, alpha, T, xse - xl, extent_tol_V=1e-3 * kt)
    fr, ext_r = layer_profiles(phi0[:, 1], N, Ef0, eps, alpha, T, xr_ - xse, extent_tol_V=1e-3 * kt)
    ftot = fl + fr
    frac = (xse - xl) / (xr_ - xl)
    mu_se = table["se_mu_Li_eV"][:, :1] + (table["se_mu_Li_eV"][:, 1:] - table["se_mu_Li_eV"][:, :1]) * frac
    lnB = float(np.log(alpha) + Ef0 / kt)
    an = float(alpha) * float(N)
    return {
        "E_vac_eV": evac_se[:, None] + kt * ftot, "mu_Li_eV": mu_se, "E_F_eV": mu_se - mu_bar[:, None],
        "c_Li_i_cm3": an * np.exp(-np.logaddexp(0.0, lnB - ftot)),
        "c_V_Li_cm3": an * np.exp(-np.logaddexp(0.0, lnB + ftot)),
    }, (ext_l + ext_r) > (xr_ - xl)


def _check_grid(stack: Stack, grid):
    """A user grid (positions in nm, layer indices) as two equal-length 1-D arrays (InputError otherwise)."""
    try:
        x, lidx = (np.asarray(g) for g in grid)
        x = x.astype(float)
        lidx = lidx.astype(int)
    except (TypeError, ValueError):
        raise InputError("grid must be (positions in nm, layer indices), two 1-D arrays of equal length "
                         "(see make_grid)") from None
    if x.ndim != 1 or x.shape != lidx.shape or x.size == 0 or not np.all(np.isfinite(x)) \
            or np.any((lidx < 0) | (lidx >= len(stack.layers))) or np.any(np.diff(x) < 0):
        raise InputError("grid must be (positions in nm, layer indices): two non-empty 1-D arrays of equal length, "
                         "positions finite and non-decreasing, indices of the stack's layers (see make_grid)")
    return x, lidx


def solve_arrays(stack: Stack, st: ElectrodeState, phi_li: float, grid=None) -> CellArrays:
    """The cell at every state of ``st`` as plain arrays (the Profile is built from these).

    Parameters
    ----------
    stack : Stack
    st : ElectrodeState
        States to solve (from :func:`ssbands.cell.state.electrode_state`).
    phi_li : float
        Work function of Li metal Φ_Li (eV).
    grid : (ndarray, ndarray), optional
        Positions (nm) and layer indices; default :func:`make_grid`.

    Returns
    -------
    CellArrays
    """
    n = st.ocv_V.size
    layers = stack.layers
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    se = layers[ie].material
    mu_bar, phi_layer, ef_layer = _electron_conductors(stack, st)
    table, scl, res_note, phi0_li = _interfaces(stack, st, phi_li, mu_bar, phi_layer)
    evac_se = phi_li - mu_bar - phi0_li
    x, lidx = _check_grid(stack, grid) if grid is not None else make_grid(stack)
    bounds = np.concatenate([[0.0], np.cumsum([ly.thickness_nm for ly in layers])])
    in_se = lidx == ie
    E_vac, E_F = np.empty((n, x.size)), np.empty((n, x.size))
    mu_li, mu_bar_x, cp, cm = (np.full((n, x.size), np.nan) for _ in range(4))
    conductor = ~in_se
    E_vac[:, conductor] = (ef_layer + phi_layer)[:, lidx[conductor]]
    E_F[:, conductor] = ef_layer[:, lidx[conductor]]
    for i, mu in ((ia, -st.U_anode), (ic, -st.U_cathode)):
        sel = lidx == i
        mu_li[:, sel] = mu[:, None]
        mu_bar_x[:, sel] = mu_bar[:, None]
    prof, overlap = _electrolyte_profile(stack, x, lidx, bounds, evac_se, mu_bar, table)
    E_vac[:, in_se], E_F[:, in_se], mu_li[:, in_se] = prof["E_vac_eV"], prof["E_F_eV"], prof["mu_Li_eV"]
    mu_bar_x[:, in_se] = mu_bar[:, None]
    cp[:, in_se], cm[:, in_se] = prof["c_Li_i_cm3"], prof["c_V_Li_cm3"]
    notes = []
    if np.any(overlap):
        msg = (f"the two space-charge layers in {se.name} ({layers[ie].thickness_nm:g} nm) overlap at "
               f"{int(overlap.sum())} of {n} states: the semi-infinite first-integral profiles are superposed, "
               "which is approximate there; use the finite-electrolyte solver (ssbands.scl.finite) for exact profiles")
        notes.append(msg)
        warnings.warn(msg, ApproximationWarning, stacklevel=4)
    E_VBM, E_CBM = np.full((n, x.size), np.nan), np.full((n, x.size), np.nan)
    if se.has("ionization_potential_eV"):
        E_VBM[:, in_se] = E_vac[:, in_se] - float(se.get("ionization_potential_eV"))
        if se.has("band_gap_eV"):
            E_CBM[:, in_se] = E_VBM[:, in_se] + float(se.get("band_gap_eV"))
    else:
        notes.append(f"{se.name}: ionization_potential_eV is unknown, so its band edges are not computed (E_VBM_eV "
                     "and E_CBM_eV are NaN in the electrolyte); supply it in a user library to get them")
    if res_note:
        notes.append(res_note)
    if st.anode_extrapolated.any() or st.cathode_extrapolated.any():
        notes.append("an electrode's potential lies beyond its OCV data at some states: the dilute-limit Nernst "
                     "extension of a table or the singular regularisation term of a fit gives it there (see "
                     "anode_ocv_extrapolated, cathode_ocv_extrapolated)")
    spatial = {"E_vac_eV": E_vac, "E_F_eV": E_F, "E_CBM_eV": E_CBM, "E_VBM_eV": E_VBM, "mu_Li_eV": mu_li,
               "mu_bar_Li_eV": mu_bar_x, "c_Li_i_cm3": cp, "c_V_Li_cm3": cm,
               "rho_C_cm3": E_CHARGE * (cp - cm)}
    return CellArrays(stack, st, phi_li, x, lidx, bounds, mu_bar, phi_layer, spatial, table, scl, overlap,
                      tuple(notes))


def solve(stack: Stack, ocv=None, *, li_fractions=None, reference_ocv: float | str | None = "auto",
          library: Library | None = None, grid=None) -> xr.Dataset:
    """Band diagram of the whole cell at one or many OCVs (or Li contents) → Profile with dims (ocv, x).

    Parameters
    ----------
    stack : Stack
        The cell.
    ocv : float or array_like, optional
        Open-circuit voltage(s) in V; the electrodes' Li contents follow from Li conservation.
    li_fractions : (array_like, array_like), optional
        Anode and cathode Li fractions instead of ``ocv``.
    reference_ocv : float, "auto" or None
        OCV (V) of the reference state for ΔCPD. ``"auto"`` (default): OCV = 0 V when the cell can reach
        it (the discharged state of an as-made thin-film cell), otherwise the reachable OCV closest to 0
        (e.g. a Li-metal cell); see :func:`ssbands.interface.reference_state`. ``None`` skips ΔCPD. The
        choice is recorded in the attributes ``reference_ocv_V`` and ``reference_state``.
    library : Library, optional
        Source of the Li work function Φ_Li (defaults to the built-in library).
    grid : (ndarray, ndarray), optional
        Positions (nm) and layer indices (default :func:`make_grid`).

    Returns
    -------
    xarray.Dataset
        A Profile: variables over (ocv, x), per-layer tables over (ocv, layer_name), per-interface
        tables over (ocv, interface). See docs/band-diagrams.md for every variable.
    """
    from ..materials import load_library
    from .state import reachable_ocv_range

    if ocv is not None and li_fractions is not None:
        raise InputError("give either ocv or li_fractions (anode, cathode), not both")
    lib = library if library is not None else load_library()
    ref = None
    if reference_ocv is not None:
        ref = ifc.reference_state(reachable_ocv_range(stack), reference_ocv)
    requested = None
    if li_fractions is None:
        requested = np.atleast_1d(np.asarray(ocv, float))
        st = electrode_state(stack, ocv=requested)
    else:
        st = electrode_state(stack, li_fractions=li_fractions)
    n = st.ocv_V.size
    ref_ocv = None
    if ref is not None:  # the reference is labelled by the OCV asked for (reached to < 1e-10 V)
        lo, hi = reachable_ocv_range(stack)
        if not lo - 1e-9 <= ref.ocv_V <= hi + 1e-9:
            raise InputError(f"{stack.source}: reference_ocv {ref.ocv_V:g} V (the state dCPD is measured against) is "
                             f"outside the reachable OCV range {lo:.4f} .. {hi:.4f} V")
        rst = electrode_state(stack, ocv=[ref.ocv_V])
        ref_ocv = float(ref.ocv_V)
        st = st.concat(rst)
    if requested is not None:  # label states by the OCV asked for (reached to < 1e-10 V)
        st = st.with_ocv_labels(requested)
    scalar = np.ndim(ocv if ocv is not None else li_fractions[0]) == 0
    arrays = solve_arrays(stack, st, ifc.phi_li(lib), grid)
    return build_profile(arrays, lib, n_out=n, reference_ocv=ref_ocv, squeeze=scalar,
                         reference_state=None if ref is None else ref.label)
