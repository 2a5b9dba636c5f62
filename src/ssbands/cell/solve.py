"""Open-circuit equilibrium of a whole cell → a band-diagram Profile, batched over states.

Derivation in the code's terms (energies in eV from the ground's Fermi level, e = 1):

* Electrodes: μ_Li = −U(x_Li). μ̄_Li⁺ is uniform along anode | SE | cathode, and μ_Li = μ̄_Li⁺ + E_F in
  every phase, so E_F(electrode) = μ_Li(electrode) − μ̄_Li⁺. The grounded side has E_F = 0, which fixes
  μ̄_Li⁺ = μ_Li(ground electrode); then E_F(anode) − E_F(cathode) = U_cathode − U_anode = e·V_OCV.
* Electron conductors in contact (each electrode with its current collectors and the base) share E_F;
  their vacuum level is E_vac = E_F + Φ.
* The electrolyte bulk vacuum level is E_vac(SE) = Φ_Li − μ̄_Li⁺ − φ0^Li; each interface's space-charge
  layer screens φ0(M|SE) (:func:`ssbands.interface.interface_step`; Swift & Qi, *Phys. Rev. Lett.*
  122, 167701 (2019); Swift, Swift & Qi, *Nat. Comput. Sci.* 1, 212 (2021)).
* Electrolyte Fermi level: E_F(SE)(x) = μ_Li,SE(x) − μ̄_Li⁺ with μ_Li,SE from the closure
  (:func:`ssbands.thermo.se_mu_li_edges`), linear across the SE.
* KPFM: CPD = Φ_tip − E_vac (V), CPD_base = CPD − CPD(base), ΔCPD = CPD − CPD(reference state)
  = −ΔΦ/e + ΔV with Φ = E_vac − E_F and V = −E_F everywhere (Fuller et al., *ACS Energy Lett.* 6, 3944
  (2021), doi:10.1021/acsenergylett.1c01960, for the operando measurement this reproduces).

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
from ..thermo import lithiated_work_function, se_mu_li_edges, work_function, work_function_depends_on_li
from .electrolyte import BulkModel
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
            if ly.lithiation_front_nm is not None:  # the front appears twice, so its step is exact
                p = x1 - ly.lithiation_front_nm if i < ie else x0 + ly.lithiation_front_nm
                pts = np.sort(np.concatenate([pts[(pts != p)], [p, p]]))
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


def lithiated_zone(stack: Stack, x, lidx) -> dict[int, np.ndarray]:
    """Grid points inside the lithiated zone of each lithiated current collector: {layer index: mask}.

    Li enters a collector from the electrode it touches, so the zone is the collector's end next to the
    electrolyte side; of the two grid points at the front, the one on the zone's side belongs to it.

    Parameters
    ----------
    stack : Stack
    x, lidx : ndarray
        Grid positions (nm) and layer indices (:func:`make_grid`).

    Returns
    -------
    dict
        Boolean masks over the grid, by layer index.
    """
    out = {}
    ie = stack.index("electrolyte")
    bounds = np.concatenate([[0.0], np.cumsum([ly.thickness_nm for ly in stack.layers])])
    for i, ly in enumerate(stack.layers):
        if ly.lithiation_front_nm is None:
            continue
        idx = np.flatnonzero(lidx == i)
        xs = x[idx]
        if i < ie:
            p = bounds[i + 1] - ly.lithiation_front_nm
            inside = xs > p
            at = np.flatnonzero(xs == p)
            inside[at[1:]] = True  # the second copy of the front point is on the zone's side
        else:
            p = bounds[i] + ly.lithiation_front_nm
            inside = xs < p
            at = np.flatnonzero(xs == p)
            inside[at[:1]] = True
        mask = np.zeros(x.size, bool)
        mask[idx[inside]] = True
        out[i] = mask
    return out


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


def _excess_and_ct(se, phi0, T: float, L_nm: float, transport: str, kinetics) -> dict:
    """R_exc (the chosen transport limit) and Frumkin–Butler–Volmer R_ct of every interface, shape (n, 2).

    NaN and a note where the electrolyte's transport data (or the kinetics) are not known.
    """
    from ..scl.kinetics import charge_transfer
    from ..scl.transport import defect_transport, excess_resistance, independent_resistance

    out: dict = {"R_exc_ohm_cm2": np.full(phi0.shape, np.nan), "R_ct_ohm_cm2": np.full(phi0.shape, np.nan),
                 "notes": []}
    N, Ef0, eps, alpha = (se.get(k, "the space-charge layers") for k in SCL_FIELDS)
    try:
        tr = defect_transport(se, T)
    except UnknownParameterError as exc:
        out["notes"].append(f"iface_R_exc_ohm_cm2 not computed: {se.name} lacks {exc.field!r} (supply it in a "
                            "user library)")
    else:
        ex = excess_resistance(phi0, N, Ef0, eps, alpha, T, diffusivity_Li_i_cm2_s=tr.diffusivity_Li_i_cm2_s,
                               diffusivity_V_Li_cm2_s=tr.diffusivity_V_Li_cm2_s, transport=transport)
        if transport == "local-equilibrium":
            out["R_exc_ohm_cm2"] = np.asarray(ex["R_exc_local_equilibrium_ohm_cm2"], float)
        else:  # each carrier its own path through this interface and the electrolyte of thickness L
            s_i, s_v = (np.asarray(ex[k], float) for k in ("conductivity_Li_i_S_cm", "conductivity_V_Li_S_cm"))
            a_i, a_v = (np.asarray(ex[k], float) for k in ("excess_Li_i_ohm_cm2", "excess_V_Li_ohm_cm2"))
            out["R_exc_ohm_cm2"] = independent_resistance(L_nm, (s_i, s_v), (a_i, a_v)) - L_nm * 1e-7 / (s_i + s_v)
    if kinetics is None:
        out["notes"].append("iface_R_ct_ohm_cm2 not computed: it needs the kinetics of each interface (exchange "
                            "current density and transfer coefficient; none are published)")
    else:
        k = dict(kinetics)
        ct = charge_transfer(phi0, N, Ef0, eps, alpha, T, i0_A_cm2=k.get("i0_A_cm2"), alpha_t=k.get("alpha_t"))
        out["R_ct_ohm_cm2"] = np.asarray(ct["R_ct_ohm_cm2"], float)
    return out


def _scl_table(bulk: BulkModel, phi0, mu_se, T):
    """SCL scalars of both interfaces of every state, shape (2, n): closed form, or the bulk's species set."""
    se = bulk.material
    if not bulk.from_defects:
        N, Ef0, eps, alpha = (se.get(k, "the space-charge layers") for k in SCL_FIELDS)
        return first_integral(phi0.T, N, Ef0, eps, alpha, T), None
    layers = [[bulk.layer(mu_se[k, j], phi0[k, j]) for k in range(phi0.shape[0])] for j in range(2)]
    res = [[L.result for L in row] for row in layers]
    scl = SCLResult(**{f: np.array([[float(getattr(r, f)) for r in row] for row in res])
                       for f in SCLResult.__dataclass_fields__})
    return scl, layers


def _interfaces(stack: Stack, st: ElectrodeState, bulk: BulkModel, mu_bar, phi_layer,
                transport: str = "local-equilibrium", kinetics=None):
    """Both electrode|electrolyte interfaces of every state through the interface kernel."""
    T = stack.temperature_K
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    se = stack.layers[ie].material
    names = [ly.name for ly in stack.layers]
    dip = np.array([stack.dipole(names[ia], names[ie]), stack.dipole(names[ie], names[ic])])
    U = np.stack([st.U_anode, st.U_cathode], 1)
    phi_m = np.stack([phi_layer[:, ia], phi_layer[:, ic]], 1)
    window = se.get("window_V", "the minimum-interface closure") if stack.closure == "minimum-interface" else None
    mu_l, mu_r, in_l, in_r = se_mu_li_edges(stack.closure, -st.U_anode, -st.U_cathode, window, stack.mu_li_se_eV)
    mu_se = np.stack([mu_l, mu_r], 1)
    edge = bulk.at(mu_se)
    phi0 = ifc.interface_step(edge.phi0_li_V, phi_m, bulk.phi_li_eV, U, dip)
    gap = float(se.get("band_gap_eV")) if se.has("band_gap_eV") else np.nan
    pos = edge.fermi_above_vbm_eV
    inj = ifc.injection_labels(ifc.injection_code(pos, gap))
    scl, layers = _scl_table(bulk, phi0, mu_se, T)
    if not bulk.from_defects:
        res = _resistances(se, phi0, T)
        rx = _excess_and_ct(se, phi0, T, stack.electrolyte.thickness_nm, transport, kinetics)
    else:
        res = {**{k: np.full(phi0.shape, np.nan) for k in ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2",
                                                           "R_ratio")},
               "note": f"interface resistances not computed: {se.name}'s layers come from its defect model"}
        rx = {"R_exc_ohm_cm2": np.full(phi0.shape, np.nan), "R_ct_ohm_cm2": np.full(phi0.shape, np.nan),
              "notes": []}
    table = {
        "phi0_V": phi0, "dipole_V": np.broadcast_to(dip, phi0.shape), "total_step_V": phi0 + dip,
        "sigma_e_per_nm2": scl.sigma_e_per_nm2.T, "capacitance_uF_per_cm2": scl.capacitance_uF_per_cm2.T,
        "saturated_width_A": scl.saturated_width_m.T * 1e10, "debye_length_A": scl.debye_length_m.T * 1e10,
        "se_mu_Li_eV": mu_se, "se_E_F_eV": mu_se - mu_bar[:, None], "se_E_F_above_VBM_eV": pos,
        "se_dEvac_dmuLi": edge.slope,
        "electrode_in_window": np.stack([in_l, in_r], 1), "injection": inj,
        "R_scl_ohm_cm2": res["R_scl_ohm_cm2"], "R_bulk_same_length_ohm_cm2": res["R_bulk_same_length_ohm_cm2"],
        "R_ratio": res["R_ratio"], "R_exc_ohm_cm2": rx["R_exc_ohm_cm2"], "R_ct_ohm_cm2": rx["R_ct_ohm_cm2"],
    }
    notes = [n for n in (res["note"], *rx["notes"]) if n]
    return table, scl, notes, layers


def _two_defect_layers(stack: Stack, xse, xl, xr_, table):
    """Both first-integral layers of every state in one batched call: (f_left, f_right, overlap)."""
    T = stack.temperature_K
    kt = kT_eV(T)
    se = stack.electrolyte.material
    N, Ef0, eps, alpha = (se.get(k, "the space-charge layers") for k in SCL_FIELDS)
    phi0 = table["phi0_V"]
    n, m = phi0.shape[0], xse.size
    f, ext = layer_profiles(np.concatenate([phi0[:, 0], phi0[:, 1]]), N, Ef0, eps, alpha, T,
                            np.stack([xse - xl, xr_ - xse]).repeat(n, axis=0).reshape(-1, m),
                            extent_tol_V=1e-3 * kt)
    return f[:n], f[n:], (ext[:n] + ext[n:]) > (xr_ - xl)


def _species_layers(stack: Stack, xse, xl, xr_, layers):
    """Layers of the bulk's own species set (one per state and side): (f_left, f_right, overlap)."""
    kt = kT_eV(stack.temperature_K)
    fl = np.stack([-L.potential(xse - xl) / kt for L in layers[0]])
    fr = np.stack([-R.potential(xr_ - xse) / kt for R in layers[1]])
    ext = np.array([L.extent_nm(1e-3 * kt) + R.extent_nm(1e-3 * kt) for L, R in zip(*layers, strict=True)])
    return fl, fr, ext > (xr_ - xl)


def _electrolyte_profile(stack: Stack, x, lidx, bounds, bulk: BulkModel, mu_bar, table, layers):
    """Vacuum level, Fermi level, μ_Li, slope s and defect concentrations across the electrolyte, (n, m_se)."""
    kt = kT_eV(stack.temperature_K)
    ie = stack.index("electrolyte")
    se = stack.layers[ie].material
    xl, xr_ = bounds[ie], bounds[ie + 1]
    xse = x[lidx == ie]
    if layers is None:
        fl, fr, overlap = _two_defect_layers(stack, xse, xl, xr_, table)
    else:
        fl, fr, overlap = _species_layers(stack, xse, xl, xr_, layers)
    ftot = fl + fr
    frac = (xse - xl) / (xr_ - xl)
    mu_se = table["se_mu_Li_eV"][:, :1] + (table["se_mu_Li_eV"][:, 1:] - table["se_mu_Li_eV"][:, :1]) * frac
    inner = bulk.across(mu_se)
    evac_bulk = bulk.phi_li_eV - mu_bar[:, None] - inner.phi0_li_V  # = mu_se - mu_bar + IP - eps_F
    out = {"E_vac_eV": evac_bulk + kt * ftot, "mu_Li_eV": mu_se, "E_F_eV": mu_se - mu_bar[:, None],
           "se_dEvac_dmuLi": inner.slope}
    if layers is None:
        N, Ef0, alpha = (se.get(k, "the space-charge layers") for k in ("site_density_cm3", "defect_energy_eV",
                                                                       "alpha"))
        lnB = float(np.log(alpha) + Ef0 / kt)
        an = float(alpha) * float(N)
        out["c_Li_i_cm3"] = an * np.exp(-np.logaddexp(0.0, lnB - ftot))
        out["c_V_Li_cm3"] = an * np.exp(-np.logaddexp(0.0, lnB + ftot))
    else:
        out["c_Li_i_cm3"] = out["c_V_Li_cm3"] = np.full(ftot.shape, np.nan)
    return out, overlap


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


def solve_arrays(stack: Stack, st: ElectrodeState, phi_li: float, grid=None, reference_last: bool = False,
                 transport: str = "local-equilibrium", kinetics=None) -> CellArrays:
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
    reference_last : bool
        The last state is the ΔCPD reference (the as-made cell): its current collectors are pristine
        (a collector's lithiation zone belongs to the measured states).
    transport : {"local-equilibrium", "independent"}
        Transport limit of the interfaces' excess resistance R_exc.
    kinetics : dict, optional
        ``{"i0_A_cm2", "alpha_t"}`` of both interfaces for the charge-transfer resistance R_ct.

    Returns
    -------
    CellArrays
    """
    n = st.ocv_V.size
    layers = stack.layers
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    se = layers[ie].material
    mu_bar, phi_layer, ef_layer = _electron_conductors(stack, st)
    bulk = BulkModel(se, phi_li, stack.temperature_K)
    table, scl, res_notes, se_layers = _interfaces(stack, st, bulk, mu_bar, phi_layer, transport, kinetics)
    x, lidx = _check_grid(stack, grid) if grid is not None else make_grid(stack)
    bounds = np.concatenate([[0.0], np.cumsum([ly.thickness_nm for ly in layers])])
    in_se = lidx == ie
    E_vac, E_F = np.empty((n, x.size)), np.empty((n, x.size))
    mu_li, mu_bar_x, cp, cm = (np.full((n, x.size), np.nan) for _ in range(4))
    conductor = ~in_se
    E_vac[:, conductor] = (ef_layer + phi_layer)[:, lidx[conductor]]
    E_F[:, conductor] = ef_layer[:, lidx[conductor]]
    for i, zone in lithiated_zone(stack, x, lidx).items():
        ly = layers[i]
        phi_zone = float(lithiated_work_function(ly.material, ly.li_fraction))
        rows = slice(0, n - 1) if reference_last else slice(None)
        E_vac[rows, zone] = ef_layer[rows, i:i + 1] + phi_zone
    for i, mu in ((ia, -st.U_anode), (ic, -st.U_cathode)):
        sel = lidx == i
        mu_li[:, sel] = mu[:, None]
        mu_bar_x[:, sel] = mu_bar[:, None]
    prof, overlap = _electrolyte_profile(stack, x, lidx, bounds, bulk, mu_bar, table, se_layers)
    E_vac[:, in_se], E_F[:, in_se], mu_li[:, in_se] = prof["E_vac_eV"], prof["E_F_eV"], prof["mu_Li_eV"]
    mu_bar_x[:, in_se] = mu_bar[:, None]
    cp[:, in_se], cm[:, in_se] = prof["c_Li_i_cm3"], prof["c_V_Li_cm3"]
    slope = np.full((n, x.size), np.nan)
    slope[:, in_se] = prof["se_dEvac_dmuLi"]
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
    notes.extend(res_notes)
    if bulk.from_defects:
        notes.append(f"{se.name}: bulk and space-charge layers from its defect model (E_vac follows mu_Li of the "
                     "electrolyte with slope dEvac_dmuLi); c_Li_i_cm3 and c_V_Li_cm3 are not computed")
    if st.anode_extrapolated.any() or st.cathode_extrapolated.any():
        notes.append("an electrode's potential lies beyond its OCV data at some states: the dilute-limit Nernst "
                     "extension of a table or the singular regularisation term of a fit gives it there (see "
                     "anode_ocv_extrapolated, cathode_ocv_extrapolated)")
    spatial = {"E_vac_eV": E_vac, "E_F_eV": E_F, "E_CBM_eV": E_CBM, "E_VBM_eV": E_VBM, "mu_Li_eV": mu_li,
               "mu_bar_Li_eV": mu_bar_x, "c_Li_i_cm3": cp, "c_V_Li_cm3": cm,
               "rho_C_cm3": E_CHARGE * (cp - cm), "dEvac_dmuLi": slope}
    return CellArrays(stack, st, phi_li, x, lidx, bounds, mu_bar, phi_layer, spatial, table, scl, overlap,
                      tuple(notes))


def _reference(stack: Stack, reference_ocv, reference_li_fractions):
    """The ΔCPD reference: (ElectrodeState of one state, label), or (None, None)."""
    from .state import reachable_ocv_range

    if reference_li_fractions is not None:
        if reference_ocv not in ("auto", None):
            raise InputError("give either reference_ocv or reference_li_fractions, not both")
        a, c = (float(v) for v in reference_li_fractions)
        rst = electrode_state(stack, li_fractions=([a], [c]))
        return rst, (f"stated Li contents: anode x = {a:g}, cathode x = {c:g} "
                     f"(OCV = {float(rst.ocv_V[0]):.6g} V)")
    if reference_ocv is None:
        return None, None
    lo, hi = reachable_ocv_range(stack)
    ref = ifc.reference_state((lo, hi), reference_ocv)
    if not lo - 1e-9 <= ref.ocv_V <= hi + 1e-9:
        raise InputError(f"{stack.source}: reference_ocv {ref.ocv_V:g} V (the state dCPD is measured against) is "
                         f"outside the reachable OCV range {lo:.4f} .. {hi:.4f} V")
    rst = electrode_state(stack, ocv=[ref.ocv_V])
    return rst.with_ocv_labels(np.array([ref.ocv_V])), ref.label


def solve(stack: Stack, ocv=None, *, li_fractions=None, reference_ocv: float | str | None = "auto",
          reference_li_fractions=None, library: Library | None = None, grid=None,
          transport: str = "local-equilibrium", kinetics=None) -> xr.Dataset:
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
        choice is recorded in the attributes ``reference_ocv_V`` (exactly the value asked for, when one
        is given) and ``reference_state``, with the reference electrodes' Li fractions and potentials
        (``reference_anode_li_fraction``, ``reference_cathode_li_fraction``, ``reference_anode_U_V``,
        ``reference_cathode_U_V``).
    reference_li_fractions : (float, float), optional
        State the reference explicitly by the electrodes' Li contents (anode, cathode) instead of an OCV,
        e.g. the as-made contents of a thin-film cell.
    library : Library, optional
        Source of the Li work function Φ_Li (defaults to the built-in library).
    grid : (ndarray, ndarray), optional
        Positions (nm) and layer indices (default :func:`make_grid`).
    transport : {"local-equilibrium", "independent"}
        Transport limit of the interfaces' excess resistance ``iface_R_exc_ohm_cm2``
        (:func:`ssbands.scl.transport.excess_resistance`).
    kinetics : dict, optional
        ``{"i0_A_cm2": A/cm², "alpha_t": –}`` of both interfaces: Frumkin–Butler–Volmer
        ``iface_R_ct_ohm_cm2`` (:func:`ssbands.scl.kinetics.charge_transfer`); without it R_ct is NaN
        with a note.

    Returns
    -------
    xarray.Dataset
        A Profile: variables over (ocv, x), per-layer tables over (ocv, layer_name), per-interface
        tables over (ocv, interface). See docs/band-diagrams.md for every variable.
    """
    from ..materials import load_library
    if ocv is not None and li_fractions is not None:
        raise InputError("give either ocv or li_fractions (anode, cathode), not both")
    lib = library if library is not None else load_library()
    rst, ref_label = _reference(stack, reference_ocv, reference_li_fractions)
    requested = None
    if li_fractions is None:
        requested = np.atleast_1d(np.asarray(ocv, float))
        st = electrode_state(stack, ocv=requested)
    else:
        st = electrode_state(stack, li_fractions=li_fractions)
    n = st.ocv_V.size
    ref_ocv = None
    if rst is not None:
        ref_ocv = float(rst.ocv_V[0])
        st = st.concat(rst)
    if requested is not None:  # label states by the OCV asked for (reached to < 1e-10 V)
        st = st.with_ocv_labels(requested)
    scalar = np.ndim(ocv if ocv is not None else li_fractions[0]) == 0
    from ..scl.transport import check_transport_limit

    check_transport_limit(transport)
    arrays = solve_arrays(stack, st, ifc.phi_li(lib), grid, reference_last=rst is not None, transport=transport,
                          kinetics=kinetics)
    ds = build_profile(arrays, lib, n_out=n, reference_ocv=ref_ocv, squeeze=scalar, reference_state=ref_label)
    ds.attrs["transport"] = transport
    return ds
