"""Open-circuit equilibrium of a whole cell → a band-diagram Profile (MODEL.md §1-4).

Derivation in the code's terms (energies in eV from the ground's Fermi level):

* Electrodes: μ_Li = −U(x_Li). μ̄_Li⁺ is uniform along anode | SE | cathode, and μ_Li = μ̄_Li⁺ + E_F in
  every phase, so E_F(electrode) = μ_Li(electrode) − μ̄_Li⁺. The grounded side has E_F = 0, which fixes
  μ̄_Li⁺ = μ_Li(ground electrode); then E_F(anode) − E_F(cathode) = U_cathode − U_anode = e·V_OCV.
* Electron conductors in contact (each electrode with its current collectors and the base) share E_F;
  their vacuum level is E_vac = E_F + Φ.
* The electrolyte's vacuum level is tied to μ̄_Li⁺ by its ionic work function,
  E_vac(SE bulk) = −(μ̄_Li⁺ + W_SE) with W_SE = W_Li + e·φ0^Li and W_Li = −Φ_Li (the absolute reference
  of W cancels), i.e. E_vac(SE bulk) = Φ_Li − μ̄_Li⁺ − e·φ0^Li.
* Vacuum level continuous at an electrode|SE interface apart from the dipole δ: the SCL screens
  φ0 = −[E_vac(SE bulk) − E_vac(M)]/e − δ. Substituting gives φ0(M|SE) = φ0^Li + (Φ_M − Φ_Li)/e − U_M − δ
  (MODEL.md §2), independent of the ground.
* Electrolyte Fermi level: E_F(SE)(x) = μ_Li,SE(x) − μ̄_Li⁺ with μ_Li,SE from the closure
  (:func:`ssbands.thermo.se_mu_li_edges`), linear across the SE.
* KPFM: CPD = Φ_tip − E_vac (V), CPD_base = CPD − CPD(base), ΔCPD = CPD − CPD(reference state)
  = −ΔΦ/e + ΔV with Φ = E_vac − E_F and V = −E_F everywhere.

Electrode Li contents at a given OCV follow from Li conservation: Li moved from the cathode to the
anode, q (atoms/cm²), changes x_anode by q/n_a and x_cathode by −q/n_c (n = capacity × thickness),
and OCV(q) = U_c − U_a is monotone, so a vectorised bisection finds q for a whole batch of OCVs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .constants import kT_eV
from .errors import InputError
from .materials import Library
from .scl import SpaceChargeLayer, first_integral
from .stack import Stack
from .thermo import plating_limit, se_mu_li_edges, work_function, work_function_depends_on_li


class SSBandsWarning(UserWarning):
    """A result is computed but an approximation in it may not hold (stated in the message)."""


# ------------------------------------------------------------------------------------------------
# electrode state from OCV or Li contents

@dataclass(frozen=True)
class ElectrodeState:
    ocv_V: np.ndarray
    x_anode: np.ndarray
    x_cathode: np.ndarray
    U_anode: np.ndarray
    U_cathode: np.ndarray
    anode_extrapolated: np.ndarray
    cathode_extrapolated: np.ndarray


def _initial_fractions(stack: Stack):
    ca, cc = stack.ocv_curve("anode"), stack.ocv_curve("cathode")
    a0 = stack.anode.li_fraction
    c0 = stack.cathode.li_fraction
    if a0 is None:
        a0 = 0.0 if ca.reservoir else ca.x_min
    if c0 is None:
        c0 = 1.0 if cc.reservoir else cc.x_max
    return ca, cc, float(a0), float(c0)


def _capacity(stack: Stack, role: str) -> float:
    ly = stack.layers[stack.index(role)]
    return float(ly.material.get("li_capacity_cm3", f"Li conservation between the electrodes ({role})")) \
        * ly.thickness_nm * 1e-7


def reachable_ocv_range(stack: Stack) -> tuple[float, float]:
    """(min, max) OCV in V the cell can reach from its stated Li contents (may be ±inf)."""
    return _conservation(stack)[-1]


def _conservation(stack: Stack):
    """Li-conservation set-up of a stack (computed once per stack and kept in ``stack.derived``)."""
    if "conservation" not in stack.derived:
        stack.derived["conservation"] = _conservation_setup(stack)
    return stack.derived["conservation"]


def _conservation_setup(stack: Stack):
    T = stack.temperature_K
    ca, cc, a0, c0 = _initial_fractions(stack)
    a_max, c_max = min(ca.x_max, plating_limit(ca, T)), min(cc.x_max, plating_limit(cc, T))
    na = np.inf if ca.reservoir else _capacity(stack, "anode")
    nc = np.inf if cc.reservoir else _capacity(stack, "cathode")
    lo = max(na * (ca.x_min - a0) if not ca.reservoir else -np.inf, nc * (c0 - c_max) if not cc.reservoir else -np.inf)
    hi = min(na * (a_max - a0) if not ca.reservoir else np.inf, nc * (c0 - cc.x_min) if not cc.reservoir else np.inf)

    def fractions(q):
        q = np.asarray(q, float)
        xa = np.full(q.shape, a0) if ca.reservoir else np.clip(a0 + q / na, ca.x_min, a_max)
        xc = np.full(q.shape, c0) if cc.reservoir else np.clip(c0 - q / nc, cc.x_min, c_max)
        return xa, xc

    def ocv(q):
        xa, xc = fractions(q)
        with np.errstate(divide="ignore", invalid="ignore"):
            return cc.evaluate(xc, T) - ca.evaluate(xa, T)

    if ca.reservoir and cc.reservoir:
        v = float(ocv(np.array(0.0)))
        rng = (v, v)
    else:
        if not lo < hi:
            raise InputError(f"{stack.source}: the electrodes' stated Li contents leave no room to move Li "
                             f"(anode x = {a0}, cathode x = {c0})")
        span = hi - lo
        rng = (float(ocv(np.array(lo + 1e-13 * span))), float(ocv(np.array(hi - 1e-13 * span))))
    return ca, cc, fractions, ocv, (lo, hi), rng


def _monotone_root(fun, target, lo, hi, tol=1e-11, maxiter=200):
    """Solve fun(q) = target for increasing ``fun`` on (lo, hi), vectorised over ``target``.

    Brackets each target on a grid graded toward both (possibly singular) ends, then refines with
    the Illinois variant of regula falsi (bisection where a bracket value is infinite).
    """
    # bracket every target on a grid graded geometrically toward both (possibly singular) ends
    span = hi - lo
    g = np.geomspace(1e-15, 0.5, 1000)
    grid = np.concatenate([[lo], lo + span * g, hi - span * g[-2::-1], [hi]])
    with np.errstate(invalid="ignore", divide="ignore"):
        fg = fun(grid[1:-1])
    fg = np.concatenate([[-np.inf], fg, [np.inf]])
    fg = np.maximum.accumulate(np.where(np.isnan(fg), -np.inf, fg))
    k = np.clip(np.searchsorted(fg, target), 1, grid.size - 1)
    a, b = grid[k - 1], grid[k]
    fa, fb = fg[k - 1] - target, fg[k] - target
    q = 0.5 * (a + b)
    prev = np.zeros(target.shape, int)  # +1: a was replaced last time, -1: b, 0: none
    for it in range(maxiter):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            rf = (a * fb - b * fa) / (fb - fa)
        ok = np.isfinite(rf) & (rf > a) & (rf < b)
        q = np.where(ok, rf, 0.5 * (a + b))
        fq = fun(q) - target
        done = (np.abs(fq) <= tol) | (b - a <= 4 * np.spacing(np.maximum(np.abs(a), np.abs(b))))
        if np.all(done):
            break
        left = fq < 0
        # Illinois: halve the retained end's value when the same end is kept twice in a row
        fb = np.where(left, np.where(prev == 1, 0.5 * fb, fb), fq)
        fa = np.where(left, fq, np.where(prev == -1, 0.5 * fa, fa))
        a = np.where(left, q, a)
        b = np.where(left, b, q)
        prev = np.where(left, 1, -1)
    return q


def electrode_state(stack: Stack, ocv=None, li_fractions=None) -> ElectrodeState:
    """Electrode Li contents and potentials for a batch of OCVs (Li conservation) or given contents."""
    T = stack.temperature_K
    if (ocv is None) == (li_fractions is None):
        raise InputError("give either ocv or li_fractions (anode, cathode), not both")
    if li_fractions is not None:
        ca, cc = stack.ocv_curve("anode"), stack.ocv_curve("cathode")
        xa, xc = (np.atleast_1d(np.asarray(v, float)) for v in li_fractions)
        xa, xc = np.broadcast_arrays(xa, xc)
        with np.errstate(divide="ignore"):
            ua, uc = ca(xa, T), cc(xc, T)
        for name, u, x in ((stack.anode.name, ua, xa), (stack.cathode.name, uc, xc)):
            if np.any(u < 0):
                raise InputError(f"{stack.source}: {name} at Li fraction {x[u < 0][0]:.6g} would be below 0 V vs "
                                 "Li/Li+ (more Li-rich than Li metal: Li plates); choose a smaller Li fraction")
        v = uc - ua
    else:
        ca, cc, fractions, ocv_of_q, (lo, hi), rng = _conservation(stack)
        v_req = np.atleast_1d(np.asarray(ocv, float))
        if not np.all(np.isfinite(v_req)):
            raise InputError("OCV values must be finite numbers (V)")
        tol = 1e-9
        out = (v_req < rng[0] - tol) | (v_req > rng[1] + tol)
        if np.any(out):
            raise InputError(
                f"{stack.source}: OCV {v_req[out][0]:g} V is outside what the electrodes can reach from their "
                f"stated Li contents: {rng[0]:.6g} .. {rng[1]:.6g} V ({stack.anode.material.name} anode, "
                f"{stack.cathode.material.name} cathode; capacities from thickness and Li site density)")
        if ca.reservoir and cc.reservoir:
            q = np.zeros_like(v_req)
        else:
            q = _monotone_root(ocv_of_q, v_req, lo, hi)
        xa, xc = fractions(q)
        with np.errstate(divide="ignore"):
            ua, uc = ca(xa, T), cc(xc, T)
        v = uc - ua
        bad = np.abs(v - v_req) > 1e-6
        if np.any(bad):  # only possible on a plateau edge or at a singular end
            from .errors import ConvergenceError

            raise ConvergenceError("Li-conservation solve did not reach the requested OCV",
                                   {"requested_V": v_req[bad].tolist(), "reached_V": v[bad].tolist()})
    return ElectrodeState(v, xa, xc, ua, uc, ca.extrapolated(xa), cc.extrapolated(xc))


# ------------------------------------------------------------------------------------------------
# grid

def make_grid(stack: Stack, n_layer: int = 41, n_se: int = 161, n_scl: int = 90, d_min_nm: float = 1e-4):
    """Positions (nm) and layer index of each; boundaries appear twice. The SE gets graded points."""
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


# ------------------------------------------------------------------------------------------------
# solve

def _resistances(se, phi0, T) -> dict:
    """SCL resistances (ssbands.resistance) where the electrolyte's transport data are known, else NaN + a note."""
    from .errors import UnknownParameterError
    from .resistance import interface_resistance

    keys = ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio")
    try:
        r = interface_resistance(se, phi0, T)
    except UnknownParameterError as exc:
        out = {k: np.full(phi0.shape, np.nan) for k in keys}
        out["note"] = (f"interface resistances not computed: {se.name} lacks {exc.field!r} "
                       "(supply it in a user library)")
        return out
    out = {k: np.broadcast_to(np.asarray(r[k], float), phi0.shape) for k in keys}
    out["note"] = None
    return out


def _phi_li(library_or_stack) -> float:
    lib: Library = library_or_stack
    return float(lib["Li"].get("work_function_eV", "the reference work function Phi_Li of the ionic work function"))


def _layer_work_function(layer, x_li):
    """Φ (eV) of an electron-conducting layer at Li fraction x_li (array over states)."""
    if work_function_depends_on_li(layer.material):  # only electrodes (Stack forbids it elsewhere)
        return work_function(layer.material, x_li)
    return np.full(np.shape(x_li), work_function(layer.material))


def solve(stack: Stack, ocv=None, *, li_fractions=None, reference_ocv: float | str | None = "auto",
          library: Library | None = None, grid=None) -> xr.Dataset:
    """Band diagram of the whole cell at one or many OCVs (or Li contents) → Profile with dims (ocv, x).

    Parameters
    ----------
    stack : Stack
    ocv : float or array_like, optional
        Open-circuit voltage(s) in V; the electrodes' Li contents follow from Li conservation.
    li_fractions : (array_like, array_like), optional
        Anode and cathode Li fractions instead of ``ocv``.
    reference_ocv : float, "auto" or None
        OCV of the reference state for ΔCPD. ``"auto"`` (default): OCV = 0 V when the cell can reach it
        (the discharged state of an as-made thin-film cell), otherwise the as-made state given by the
        stack's Li contents (e.g. a Li-metal cell). ``None`` skips ΔCPD. The choice is recorded in the
        attributes ``reference_ocv_V`` and ``reference_state``.
    library : Library, optional
        Source of the Li work function Φ_Li (defaults to the library the stack's materials came from).

    Returns
    -------
    xarray.Dataset
        A Profile: variables over (ocv, x), per-layer summaries over (ocv, layer), per-interface
        summaries over (ocv, interface). See docs/band-diagrams.md for every variable.
    """
    from .materials import load_library

    lib = library if library is not None else load_library()
    ref_label = None
    if isinstance(reference_ocv, str):
        if reference_ocv != "auto":
            raise InputError(f"reference_ocv must be a number, 'auto' or None, got {reference_ocv!r}")
        lo, hi = reachable_ocv_range(stack)
        if lo <= 0.0 <= hi:
            reference_ocv, ref_label = 0.0, "OCV = 0 V"
        else:
            reference_ocv = lo if lo > 0 else hi
            ref_label = f"lowest reachable OCV = {reference_ocv:.4g} V (OCV = 0 V is not reachable)"
    elif reference_ocv is not None:
        ref_label = f"OCV = {float(reference_ocv):g} V"
    requested = None
    if li_fractions is None:
        n = np.size(ocv)
        requested = np.atleast_1d(np.asarray(ocv, float))
        st = electrode_state(stack, ocv=requested)
    else:
        st = electrode_state(stack, li_fractions=li_fractions)
        n = st.ocv_V.size
    if reference_ocv is not None:
        ref = electrode_state(stack, ocv=[float(reference_ocv)])
        reference_ocv = float(ref.ocv_V[0])
        st = ElectrodeState(*(np.concatenate([getattr(st, f), getattr(ref, f)])
                              for f in ElectrodeState.__dataclass_fields__))
    if requested is not None:  # label states by the OCV asked for (reached to < 1e-10 V)
        st = ElectrodeState(np.concatenate([requested, st.ocv_V[n:]]), *(getattr(st, f) for f in
                            list(ElectrodeState.__dataclass_fields__)[1:]))
    scalar = np.ndim(ocv if ocv is not None else li_fractions[0]) == 0
    return _solve_states(stack, st, lib, grid, n_out=n, reference_ocv=reference_ocv, squeeze=scalar,
                         reference_state=ref_label)


def _solve_states(stack: Stack, st: ElectrodeState, lib: Library, grid, n_out: int,
                  reference_ocv: float | None, squeeze: bool = False, reference_state: str | None = None
                  ) -> xr.Dataset:
    T = stack.temperature_K
    kt = kT_eV(T)
    n = st.ocv_V.size
    layers = stack.layers
    nl = len(layers)
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    se = layers[ie].material
    phi_li = _phi_li(lib)

    mu_a, mu_c = -st.U_anode, -st.U_cathode
    mu_bar = mu_c if stack.ground == "cathode" else mu_a  # E_F(ground) = 0
    ef_left, ef_right = mu_a - mu_bar, mu_c - mu_bar

    # per-layer work functions and vacuum levels (electron conductors)
    phi_layer = np.full((n, nl), np.nan)
    ef_layer = np.full((n, nl), np.nan)
    for i, ly in enumerate(layers):
        if i == ie:
            continue
        xli = st.x_anode if i == ia else st.x_cathode if i == ic else np.zeros(n)
        phi_layer[:, i] = _layer_work_function(ly, xli)
        ef_layer[:, i] = ef_left if i < ie else ef_right
    evac_layer = ef_layer + phi_layer

    # electrolyte bulk vacuum level and the two SCL steps
    phi0_li = float(se.get("phi0_li_V", "the electrolyte's vacuum level (ionic work function)"))
    evac_se = phi_li - mu_bar - phi0_li
    names = [ly.name for ly in layers]
    d_l = stack.dipole(names[ia], names[ie])
    d_r = stack.dipole(names[ie], names[ic])
    step_l = -(evac_se - evac_layer[:, ia])
    step_r = -(evac_se - evac_layer[:, ic])
    phi0_l, phi0_r = step_l - d_l, step_r - d_r

    N = se.get("site_density_cm3", "the space-charge layers")
    Ef0 = se.get("defect_energy_eV", "the space-charge layers")
    eps = se.get("permittivity", "the space-charge layers")
    alpha = se.get("alpha", "the space-charge layers")
    scl = first_integral(np.stack([phi0_l, phi0_r]), N, Ef0, eps, alpha, T)
    res = _resistances(se, np.stack([phi0_l, phi0_r], 1), T)

    # electrolyte Li chemical potential (closure) and Fermi level
    window = se.get("window_V", "the minimum-interface closure") if stack.closure == "minimum-interface" else None
    mu_se_l, mu_se_r, inside_l, inside_r = se_mu_li_edges(stack.closure, mu_a, mu_c, window, stack.mu_li_se_eV)

    # grid
    x, lidx = grid if grid is not None else make_grid(stack)
    bounds = np.concatenate([[0.0], np.cumsum([ly.thickness_nm for ly in layers])])
    xl, xr_ = bounds[ie], bounds[ie + 1]
    in_se = lidx == ie
    xse = x[in_se]
    frac = (xse - xl) / (xr_ - xl)

    E_vac = np.empty((n, x.size))
    E_F = np.empty((n, x.size))
    mu_li = np.full((n, x.size), np.nan)
    mu_bar_x = np.full((n, x.size), np.nan)
    cp = np.full((n, x.size), np.nan)
    cm = np.full((n, x.size), np.nan)
    for i in range(nl):
        sel = lidx == i
        if i == ie:
            continue
        E_vac[:, sel] = evac_layer[:, i:i + 1]
        E_F[:, sel] = ef_layer[:, i:i + 1]
        if i in (ia, ic):
            mu_li[:, sel] = (mu_a if i == ia else mu_c)[:, None]
            mu_bar_x[:, sel] = mu_bar[:, None]

    notes = []
    overlap = np.zeros(n, bool)
    ipr = se.has("ionization_potential_eV")
    for k in range(n):
        L = SpaceChargeLayer(float(phi0_l[k]), N, Ef0, eps, alpha, T)
        R = SpaceChargeLayer(float(phi0_r[k]), N, Ef0, eps, alpha, T)
        fl = L.f(xse - xl)
        fr = R.f(xr_ - xse)
        E_vac[k, in_se] = evac_se[k] + kt * (fl + fr)
        mu_se = mu_se_l[k] + (mu_se_r[k] - mu_se_l[k]) * frac
        mu_li[k, in_se] = mu_se
        mu_bar_x[k, in_se] = mu_bar[k]
        E_F[k, in_se] = mu_se - mu_bar[k]
        # defect concentrations with the superposed potential
        ftot = fl + fr
        lnB = float(scl.lnB[0, k]) if np.ndim(scl.lnB) else float(scl.lnB)
        an = float(alpha) * float(N)
        cp[k, in_se] = an * np.exp(-np.logaddexp(0.0, lnB - ftot))
        cm[k, in_se] = an * np.exp(-np.logaddexp(0.0, lnB + ftot))
        ext = L.extent_nm(1e-3 * kt) + R.extent_nm(1e-3 * kt)
        if ext > (xr_ - xl):
            overlap[k] = True
    if np.any(overlap):
        msg = (f"the two space-charge layers in {se.name} ({layers[ie].thickness_nm:g} nm) overlap at "
               f"{int(overlap.sum())} of {n} states: the semi-infinite first-integral profiles are superposed, "
               "which is approximate there; use the finite-electrolyte solver (ssbands.scl.finite) for exact profiles")
        notes.append(msg)
        warnings.warn(msg, SSBandsWarning, stacklevel=3)

    # band edges of the SE
    E_VBM = np.full((n, x.size), np.nan)
    E_CBM = np.full((n, x.size), np.nan)
    if ipr:
        E_VBM[:, in_se] = E_vac[:, in_se] - float(se.get("ionization_potential_eV"))
        if se.has("band_gap_eV"):
            E_CBM[:, in_se] = E_VBM[:, in_se] + float(se.get("band_gap_eV"))
    else:
        notes.append(f"{se.name}: ionization_potential_eV is unknown, so its band edges (E_VBM, E_CBM) are not "
                     "computed; supply it in a user library to get them")
    if res["note"]:
        notes.append(res["note"])
    if st.anode_extrapolated.any() or st.cathode_extrapolated.any():
        notes.append("an electrode's Li content lies beyond its tabulated OCV data at some states; the dilute-limit "
                     "Nernst extension was used there (see layer_ocv_extrapolated)")

    work_fn = E_vac - E_F
    V = -E_F
    psi = -E_vac
    tipwf = stack.tip_work_function_eV
    cpd = tipwf - E_vac
    variables = {
        "E_vac_eV": (E_vac, "eV", "vacuum level (electron energy)"),
        "E_F_eV": (E_F, "eV", "Fermi level = electron electrochemical potential"),
        "E_CBM_eV": (E_CBM, "eV", "conduction-band minimum (electrolyte)"),
        "E_VBM_eV": (E_VBM, "eV", "valence-band maximum (electrolyte)"),
        "psi_V": (psi, "V", "outer (Volta) potential, E_vac = -e psi"),
        "phi_V": (psi, "V", "inner (Galvani) potential, up to a constant surface potential per material (taken 0)"),
        "work_function_eV": (work_fn, "eV", "local work function E_vac - E_F"),
        "mu_Li_eV": (mu_li, "eV", "Li chemical potential (0 = bcc Li metal); NaN in phases without Li"),
        "mu_bar_Li_eV": (mu_bar_x, "eV", "Li+ electrochemical potential; NaN off the ionic path"),
        "V_V": (V, "V", "local electrode potential -E_F/e"),
        "c_Li_i_cm3": (cp, "cm^-3", "Li interstitial (Li_i+) concentration in the electrolyte"),
        "c_V_Li_cm3": (cm, "cm^-3", "Li vacancy (V_Li-) concentration in the electrolyte"),
        "rho_C_cm3": (1.602176634e-19 * (cp - cm), "C/cm^3", "net defect charge density in the electrolyte"),
        "cpd_V": (cpd, "V", "KPFM contact potential difference (Phi_tip - E_vac)/e"),
    }
    base = stack.base
    if base is not None:
        ib = layers.index(base)
        variables["cpd_base_V"] = (cpd - cpd[:, lidx == ib][:, :1], "V", "CPD referenced to the inert base (Eq. 8)")
    layer_names = [ly.name for ly in layers]
    meta = {
        "stack": stack.to_dict(), "closure": stack.closure, "ground": stack.ground, "temperature_K": T,
        "tip_work_function_eV": tipwf, "phi_Li_eV": phi_li, "notes": notes,
        "reference_energies": "E_F(ground) = 0 eV; mu_Li = 0 for bcc Li; W_Li+ relative to Li metal",
    }
    OX, OL, OS, OI = ("ocv", "x"), ("ocv", "layer_name"), ("ocv",), ("ocv", "interface")
    allv = {k: (OX, v, u, ln) for k, (v, u, ln) in variables.items()}

    # ---------------- per-layer summaries (ocv, layer)
    mid = np.array([np.flatnonzero(lidx == i)[np.argmin(np.abs(x[lidx == i] - 0.5 * (bounds[i] + bounds[i + 1])))]
                    for i in range(nl)])
    allv.update({
        "layer_E_F_eV": (OL, E_F[:, mid], "eV", "Fermi level at the layer middle"),
        "layer_E_vac_eV": (OL, E_vac[:, mid], "eV", "vacuum level at the layer middle"),
        "layer_work_function_eV": (OL, phi_layer, "eV", "work function of an electron conductor (NaN for the electrolyte)"),
        "layer_mu_Li_eV": (OL, mu_li[:, mid], "eV", "Li chemical potential at the layer middle"),
        "layer_cpd_V": (OL, cpd[:, mid], "V", "CPD at the layer middle"),
    })
    if base is not None:
        allv["layer_cpd_base_V"] = (OL, variables["cpd_base_V"][0][:, mid], "V", "CPD vs base at the layer middle")

    # ---------------- electrode state (ocv)
    for k, v, u, ln in (("anode_li_fraction", st.x_anode, "", "anode Li fraction"),
                        ("cathode_li_fraction", st.x_cathode, "", "cathode Li fraction"),
                        ("anode_U_V", st.U_anode, "V", "anode potential vs Li/Li+"),
                        ("cathode_U_V", st.U_cathode, "V", "cathode potential vs Li/Li+"),
                        ("mu_bar_Li_value_eV", mu_bar, "eV", "uniform Li+ electrochemical potential"),
                        ("anode_ocv_extrapolated", st.anode_extrapolated, "", "anode beyond tabulated OCV (Nernst)"),
                        ("cathode_ocv_extrapolated", st.cathode_extrapolated, "", "cathode beyond tabulated OCV (Nernst)"),
                        ("scl_overlap", overlap, "", "the two SCLs overlap (superposition approximate)")):
        allv[k] = (OS, np.asarray(v), u, ln)

    # ---------------- interfaces (ocv, interface)
    iface_names = [f"{names[ia]}|{names[ie]}", f"{names[ie]}|{names[ic]}"]
    E_gap = float(se.get("band_gap_eV")) if se.has("band_gap_eV") else np.nan
    ef_edges = np.stack([mu_se_l - mu_bar, mu_se_r - mu_bar], axis=1)
    if ipr:
        pos = ef_edges - (evac_se[:, None] - float(se.get("ionization_potential_eV")))
    else:
        pos = np.full((n, 2), np.nan)
    inj = np.full((n, 2), "unknown")
    if ipr and np.isfinite(E_gap):
        inj = np.where(pos < 0, "holes", np.where(pos > E_gap, "electrons", "none"))
    allv.update({
        "iface_phi0_V": (OI, np.stack([phi0_l, phi0_r], 1), "V", "step screened by the SCL (SE bulk minus interface)"),
        "iface_dipole_V": (OI, np.tile([d_l, d_r], (n, 1)), "V", "interface dipole step (electrode to SE)"),
        "iface_total_step_V": (OI, np.stack([step_l, step_r], 1), "V", "psi(SE bulk) - psi(electrode)"),
        "iface_sigma_e_per_nm2": (OI, scl.sigma_e_per_nm2.T, "e/nm^2", "electrode-side charge per area (= -SCL charge)"),
        "iface_capacitance_uF_per_cm2": (OI, scl.capacitance_uF_per_cm2.T, "uF/cm^2", "differential SCL capacitance"),
        "iface_saturated_width_A": (OI, scl.saturated_width_m.T * 1e10, "angstrom", "saturated-zone width"),
        "iface_debye_length_A": (OI, scl.debye_length_m.T * 1e10, "angstrom", "tail screening length"),
        "iface_se_mu_Li_eV": (OI, np.stack([mu_se_l, mu_se_r], 1), "eV", "electrolyte mu_Li next to the interface"),
        "iface_se_E_F_eV": (OI, ef_edges, "eV", "electrolyte Fermi level next to the interface"),
        "iface_se_E_F_above_VBM_eV": (OI, pos, "eV", "electrolyte E_F above its VBM (NaN: IP unknown)"),
        "iface_electrode_in_window": (OI, np.stack([inside_l, inside_r], 1), "",
                                      "electrode mu_Li inside the SE window (SE matches it)"),
        "iface_injection": (OI, np.asarray(inj, dtype=str), "", "electrolyte E_F outside its gap: carriers injected"),
        "iface_R_scl_ohm_cm2": (OI, res["R_scl_ohm_cm2"], "ohm cm^2", "ionic resistance of the SCL (NaN: data unknown)"),
        "iface_R_bulk_same_length_ohm_cm2": (OI, res["R_bulk_same_length_ohm_cm2"], "ohm cm^2",
                                             "bulk electrolyte resistance over the same length"),
        "iface_R_ratio": (OI, res["R_ratio"], "", "R_scl / R_bulk over the same length"),
    })

    # ---------------- Delta CPD against the reference state (the last state of the batch)
    attrs = {"closure": stack.closure, "ground": stack.ground, "temperature_K": T}
    if reference_ocv is not None:
        r = n - 1
        for k, src, ln in (("dcpd_V", -E_vac, f"Delta CPD vs OCV = {reference_ocv:g} V (Eq. 9)"),
                           ("dcpd_work_function_V", -work_fn, "-Delta Phi/e part of Delta CPD"),
                           ("dcpd_potential_V", V, "Delta V part of Delta CPD")):
            allv[k] = (OX, src - src[r], "V", ln)
        allv["layer_dcpd_V"] = (OL, cpd[:, mid] - cpd[r, mid], "V", "Delta CPD at the layer middle")
        attrs["reference_ocv_V"] = float(reference_ocv)
        attrs["reference_state"] = str(reference_state)

    keep = 0 if squeeze else slice(0, n_out)
    data_vars = {k: xr.Variable(dims[1:] if squeeze else dims, np.asarray(v)[keep], {"units": u, "long_name": ln})
                 for k, (dims, v, u, ln) in allv.items()}
    from .profile import base_attrs

    coords = {
        "x": xr.Variable(("x",), x, {"units": "nm", "long_name": "position"}),
        "layer": xr.Variable(("x",), np.array(layer_names)[lidx], {"long_name": "layer name"}),
        "layer_index": xr.Variable(("x",), lidx),
        "ocv": xr.Variable(() if squeeze else ("ocv",), st.ocv_V[keep],
                           {"units": "V", "long_name": "open-circuit voltage"}),
        "layer_name": xr.Variable(("layer_name",), layer_names),
        "layer_role": xr.Variable(("layer_name",), [ly.role for ly in layers]),
        "layer_material": xr.Variable(("layer_name",), [ly.material.name for ly in layers]),
        "layer_x_start_nm": xr.Variable(("layer_name",), bounds[:-1], {"units": "nm"}),
        "layer_x_end_nm": xr.Variable(("layer_name",), bounds[1:], {"units": "nm"}),
        "interface": xr.Variable(("interface",), iface_names),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=base_attrs("model", meta, attrs))


def summary(ds: xr.Dataset) -> dict:
    """Plain dict of a single-state Profile: the ``ssbands band --json`` contract.

    Keys: ``ocv_V``, ``ground``, ``closure``, ``temperature_K``, ``energy_reference``, ``layers``
    (name, material, role, x_start_nm, x_end_nm, E_F_eV, E_vac_eV, work_function_eV, mu_Li_eV,
    cpd_V, cpd_base_V, delta_cpd_V, delta_cpd_work_function_V, delta_cpd_potential_V, li_fraction),
    ``interfaces`` (left, right, phi0_V, dipole_V, total_step_V, sigma_e_per_nm2,
    capacitance_uF_per_cm2, saturated_width_A, debye_length_A, se_mu_Li_eV, se_E_F_eV,
    electrode_in_window, injection), ``electrodes`` and ``notes``. NaN becomes None in JSON.
    """
    if "ocv" in ds.dims:
        raise InputError("summary() takes a single-state Profile; select one OCV with ds.isel(ocv=i)")
    meta = ds.ssb.metadata

    def f(v):
        v = float(v)
        return v if np.isfinite(v) else None

    layers = []
    x = ds["x"].values
    lay = ds["layer"].values
    for j, name in enumerate(ds["layer_name"].values):
        role = str(ds["layer_role"].values[j])
        sel = np.flatnonzero(lay == name)
        mid = sel[np.argmin(np.abs(x[sel] - 0.5 * (x[sel[0]] + x[sel[-1]])))]
        row = {
            "name": str(name), "material": str(ds["layer_material"].values[j]), "role": role,
            "x_start_nm": f(ds["layer_x_start_nm"].values[j]), "x_end_nm": f(ds["layer_x_end_nm"].values[j]),
            "E_F_eV": f(ds["layer_E_F_eV"].values[j]), "E_vac_eV": f(ds["layer_E_vac_eV"].values[j]),
            "work_function_eV": f(ds["layer_work_function_eV"].values[j]),
            "mu_Li_eV": f(ds["layer_mu_Li_eV"].values[j]), "cpd_V": f(ds["layer_cpd_V"].values[j]),
        }
        if "layer_cpd_base_V" in ds:
            row["cpd_base_V"] = f(ds["layer_cpd_base_V"].values[j])
        if "dcpd_V" in ds:
            row["delta_cpd_V"] = f(ds["dcpd_V"].values[mid])
            row["delta_cpd_work_function_V"] = f(ds["dcpd_work_function_V"].values[mid])
            row["delta_cpd_potential_V"] = f(ds["dcpd_potential_V"].values[mid])
        if role == "anode":
            row["li_fraction"] = f(ds["anode_li_fraction"])
            row["U_vs_Li_V"] = f(ds["anode_U_V"])
        if role == "cathode":
            row["li_fraction"] = f(ds["cathode_li_fraction"])
            row["U_vs_Li_V"] = f(ds["cathode_U_V"])
        layers.append(row)
    ifaces = []
    for j, name in enumerate(ds["interface"].values):
        left, right = str(name).split("|")
        ifaces.append({
            "left": left, "right": right,
            "phi0_V": f(ds["iface_phi0_V"].values[j]), "dipole_V": f(ds["iface_dipole_V"].values[j]),
            "total_step_V": f(ds["iface_total_step_V"].values[j]),
            "sigma_e_per_nm2": f(ds["iface_sigma_e_per_nm2"].values[j]),
            "capacitance_uF_per_cm2": f(ds["iface_capacitance_uF_per_cm2"].values[j]),
            "saturated_width_A": f(ds["iface_saturated_width_A"].values[j]),
            "debye_length_A": f(ds["iface_debye_length_A"].values[j]),
            "se_mu_Li_eV": f(ds["iface_se_mu_Li_eV"].values[j]),
            "se_E_F_eV": f(ds["iface_se_E_F_eV"].values[j]),
            "se_E_F_above_VBM_eV": f(ds["iface_se_E_F_above_VBM_eV"].values[j]),
            "electrode_in_window": bool(ds["iface_electrode_in_window"].values[j]),
            "R_scl_ohm_cm2": f(ds["iface_R_scl_ohm_cm2"].values[j]),
            "R_bulk_same_length_ohm_cm2": f(ds["iface_R_bulk_same_length_ohm_cm2"].values[j]),
            "R_ratio": f(ds["iface_R_ratio"].values[j]),
            "injection": str(ds["iface_injection"].values[j]),
        })
    return {
        "ocv_V": f(ds["ocv"]), "ground": ds.attrs["ground"], "closure": ds.attrs["closure"],
        "temperature_K": float(ds.attrs["temperature_K"]), "energy_reference": ds.attrs["energy_reference"],
        "cpd_convention": ds.attrs["cpd_convention"], "tip_work_function_eV": meta.get("tip_work_function_eV"),
        "reference_ocv_V": ds.attrs.get("reference_ocv_V"), "reference_state": ds.attrs.get("reference_state"),
        "mu_Li_se_eV": meta["stack"].get("mu_li_se_eV"),
        "layers": layers, "interfaces": ifaces,
        "notes": meta.get("notes", []), "ssbands_version": ds.attrs["ssbands_version"],
    }
