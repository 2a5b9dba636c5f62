r"""Interface table: every electrode × electrolyte pair, at every electrode state, under every closure.

For electrode M at state s (Li fraction x_s, potential U_s = U(x_s) vs Li/Li⁺, work function
Φ_s = Φ(x_s)) against electrolyte SE (Swift & Qi, Phys. Rev. Lett. 122, 167701, 2019)::

    φ0(M|SE) = φ0^Li(SE) + (Φ_s − Φ_Li)/e − U_s − δ

with Φ_Li the library's Li work function and δ an optional interface dipole (default 0). The step, the
electrolyte Fermi level and both flags come from the shared interface kernel :mod:`ssbands.interface`
(the cell solve uses the same functions). The step is screened by a semi-infinite two-defect
space-charge layer in the SE (Swift, Swift & Qi, Nat. Comput. Sci. 1, 212, 2021), solved for the whole
batch at once with :func:`ssbands.scl.first_integral` (σ, differential capacitance, saturated width,
tail screening length).

Resistances of the layer (Ω cm²; NaN where the library lacks the data):

* ``R_scl_ohm_cm2`` — the series integral over a cut-off length and the bulk ratio
  (:func:`ssbands.scl.resistance.interface_resistance`; kept for comparison);
* ``R_exc_ohm_cm2`` — the excess over the bulk, ∫[1/σ(x) − 1/σ∞]dx, with each defect's own
  diffusivity (:func:`ssbands.scl.transport.defect_transport`), in the chosen transport limit; both
  limits are columns of their own (``R_exc_local_equilibrium_ohm_cm2``, ``R_exc_independent_ohm_cm2``,
  the latter the semi-infinite value Σ_k t_k² a_k, valid for electrolytes much thicker than
  ``asymptotic_length_nm``) (:func:`ssbands.scl.transport.excess_resistance`). Negative where the layer
  accumulates the carrier that carries the current;
* ``R_ct_ohm_cm2`` — Frumkin–Butler–Volmer charge transfer at the interface plane with the
  site-saturated concentration there (:func:`ssbands.scl.kinetics.charge_transfer`), from a
  user-given exchange current density and transfer coefficient (no published values); NaN without.

Flags:

* **decomposition**: the electrode potential lies outside the SE's stability window [V_red, V_ox]:
  ``reduction`` (U < V_red), ``oxidation`` (U > V_ox), ``none``, ``unknown`` (window unknown).
  ``window_violation_V`` = max(V_red − U, U − V_ox, 0).
* **injection** (closure dependent): the SE Fermi level next to the interface,
  E_F(SE) = μ_Li,SE − μ̄_Li⁺, measured from the SE valence-band maximum,
  E_F − E_VBM = μ_Li,SE − Φ_Li + e·φ0^Li + IP (the uniform μ̄_Li⁺ cancels, so it is a property of
  the interface alone); ``holes`` below the VBM, ``electrons`` above the CBM, ``none`` inside the gap,
  ``unknown`` when IP, the gap or (minimum-interface closure) the window is unknown. μ_Li,SE is the
  electrode's μ_Li = −eU clipped to the window (minimum-interface) or the given constant (extrinsic),
  exactly as :func:`ssbands.thermo.se_mu_li_edges`.

The electrode states and the electrolyte records come from :mod:`ssbands.screening.selection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .. import interface as ifc
from ..errors import InputError, UnknownParameterError
from ..interface import DECOMPOSITION_LABELS, INJECTION_LABELS
from ..scl.transport import check_transport_limit
from ..thermo import CLOSURES, se_mu_li_edges
from .selection import (
    ANODE_THRESHOLD_V,
    PARTIAL_FIELDS,
    SCL_FIELDS,
    ElectrodeStates,
    ElectrolyteRecord,
    Selection,
    classify_electrode,
    electrode_states,
    electrolyte_record,
    select_materials,
)

__all__ = ["ElectrodeStates", "ElectrolyteRecord", "electrode_states", "electrolyte_record", "classify_electrode",
           "select_materials", "Selection", "check_closures", "check_kinetics", "compute_interfaces",
           "interface_columns", "INTERFACE_COLUMNS", "KINETICS_KEYS", "EXCESS_COLUMNS",
           "DECOMPOSITION_LABELS", "INJECTION_LABELS", "ANODE_THRESHOLD_V", "SCL_FIELDS", "PARTIAL_FIELDS"]

#: Keys of the ``kinetics`` of a screen: exchange current density (A/cm²) and transfer coefficient.
KINETICS_KEYS = ("i0_A_cm2", "alpha_t")
#: Columns of the excess resistance (Ω cm²) and the electrolyte thickness (nm) above which its independent-carrier
#: value, the semi-infinite limit Σ_k t_k² a_k, holds (:func:`ssbands.scl.transport.excess_resistance`).
EXCESS_COLUMNS = ("R_exc_ohm_cm2", "R_exc_local_equilibrium_ohm_cm2", "R_exc_independent_ohm_cm2",
                  "asymptotic_length_nm")
#: Interfaces per call of the excess-resistance quadrature (~1200 nodes each): bounds its memory to ~30 MB and
#: keeps the temporaries in cache (256 runs about 4x faster than 4096).
_EXC_BLOCK = 256


# ------------------------------------------------------------------------------------------------
# the batched interface kernel


def _stack_states(electrodes: Sequence[ElectrodeStates]):
    ks = {e.soc.size for e in electrodes}
    if len(ks) != 1:
        raise InputError("all electrodes of a screen need the same number of states")
    return (np.stack([e.potential_V for e in electrodes]), np.stack([e.work_function_eV for e in electrodes]),
            np.stack([e.li_fraction for e in electrodes]), np.stack([e.soc for e in electrodes]))


def _scl_resistance(electrolytes: Sequence[ElectrolyteRecord], phi0: np.ndarray, T: float, compute: bool) -> dict:
    """R_SCL·A, the bulk resistance over the same length (Ω cm²) and their ratio; NaN without transport data."""
    from ..scl.resistance import interface_resistance

    Rs = np.full(phi0.shape, np.nan)
    Rb = np.full(phi0.shape, np.nan)
    Rr = np.full(phi0.shape, np.nan)
    if compute:
        for e, rec in enumerate(electrolytes):
            if not rec.has_transport:
                continue
            try:
                rr = interface_resistance(rec, phi0[..., e, :, :], T)
            except UnknownParameterError:  # e.g. activation energy unknown at T != 300 K
                continue
            Rs[..., e, :, :] = rr["R_scl_ohm_cm2"]
            Rb[..., e, :, :] = rr["R_bulk_same_length_ohm_cm2"]
            Rr[..., e, :, :] = rr["R_ratio"]
    return {"R_scl_ohm_cm2": Rs, "R_bulk_same_length_ohm_cm2": Rb, "R_ratio": Rr}


def _excess_resistances(electrolytes: Sequence[ElectrolyteRecord], phi0: np.ndarray, T: float, transport: str,
                        compute: bool) -> dict:
    """R_exc·A of every interface in both transport limits (Ω cm²); NaN without per-defect transport data.

    One batched quadrature (:func:`ssbands.scl.transport.excess_resistance`) over all interfaces of the
    electrolytes whose defect diffusivities are known (:func:`ssbands.scl.transport.defect_transport`),
    in blocks of :data:`_EXC_BLOCK` interfaces.
    """
    from ..scl.transport import defect_transport, excess_resistance

    keys = EXCESS_COLUMNS
    out = {k: np.full(phi0.shape, np.nan) for k in keys}
    if not compute:
        return out
    idx, dif = [], []
    for e, rec in enumerate(electrolytes):
        try:
            dif.append(defect_transport(rec, T).diffusivities)
        except UnknownParameterError:  # listed in the selection's partial reasons
            continue
        idx.append(e)
    if not idx:
        return out
    ph = np.moveaxis(phi0[..., idx, :, :], -3, 0)  # (Et, ..., M, K)
    per = int(np.prod(ph.shape[1:], dtype=np.int64))
    pars = np.array([[electrolytes[e].value(f) for f in ("site_density_cm3", "defect_energy_eV", "permittivity",
                                                         "alpha")] + list(d) for e, d in zip(idx, dif, strict=True)])
    flat_phi, flat_par = ph.reshape(-1), np.repeat(pars, per, axis=0)
    res = {k: np.empty(flat_phi.size) for k in keys}
    for b0 in range(0, flat_phi.size, _EXC_BLOCK):
        p = flat_par[b0:b0 + _EXC_BLOCK]
        r = excess_resistance(flat_phi[b0:b0 + _EXC_BLOCK], p[:, 0], p[:, 1], p[:, 2], p[:, 3], T,
                              diffusivity_Li_i_cm2_s=p[:, 4], diffusivity_V_Li_cm2_s=p[:, 5], transport=transport)
        for k in keys:
            res[k][b0:b0 + _EXC_BLOCK] = r[k]
    for k in keys:
        out[k][..., idx, :, :] = np.moveaxis(res[k].reshape(ph.shape), 0, -3)
    return out


def _charge_transfer(electrolytes: Sequence[ElectrolyteRecord], phi0: np.ndarray, T: float, kinetics) -> np.ndarray:
    """R_ct·A (Ω cm²) of every interface, Frumkin–Butler–Volmer at the interface plane; NaN without kinetics.

    :func:`ssbands.scl.kinetics.charge_transfer` per electrolyte, batched over samples, electrodes and
    states (it takes one site density and saturation factor per call).
    """
    from ..scl.kinetics import charge_transfer

    R = np.full(phi0.shape, np.nan)
    if kinetics is None:
        return R
    for e, rec in enumerate(electrolytes):
        N, Ef0, eps, alpha = (rec.value(f) for f in ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha"))
        ct = charge_transfer(phi0[..., e, :, :], N, Ef0, eps, alpha, T, i0_A_cm2=kinetics["i0_A_cm2"],
                             alpha_t=kinetics["alpha_t"])
        R[..., e, :, :] = ct["R_ct_ohm_cm2"]
    return R


def check_closures(closures, mu_li_se_eV=None) -> None:
    """Validate the closures of a screen and the electrolyte μ_Li that the extrinsic one needs.

    Parameters
    ----------
    closures : sequence of str
        Closures (``minimum-interface``, ``extrinsic``).
    mu_li_se_eV : float, optional
        μ_Li of the SE bulk (eV vs Li metal): needed by, and only by, ``extrinsic``; ≤ 0.

    Raises
    ------
    InputError
    """
    closures = tuple(closures)
    if not closures:
        raise InputError("give at least one closure (minimum-interface, extrinsic)")
    for c in closures:
        if c not in CLOSURES:
            raise InputError(f"unknown closure {c!r}; choose from {', '.join(CLOSURES)}")
    if "extrinsic" in closures and mu_li_se_eV is None:
        raise InputError("closure 'extrinsic' needs mu_li_se_eV (the SE bulk Li chemical potential, eV vs Li metal; "
                         "--mu-li-se on the command line)")
    if mu_li_se_eV is not None:
        if "extrinsic" not in closures:
            raise InputError(f"mu_li_se_eV applies to the extrinsic closure only; the closures here are "
                             f"{list(closures)}, which take the electrolyte's mu_Li from the electrodes")
        mu = np.asarray(mu_li_se_eV, float)
        if not np.all((mu <= 0) & (mu >= -6.0)):
            raise InputError(f"mu_li_se_eV = {mu_li_se_eV!r} eV: the electrolyte's mu_Li must lie in [-6, 0] eV (above "
                             "Li metal, mu_Li > 0, Li would plate out; below -6 eV it would be above every electrode)")


def check_kinetics(kinetics) -> dict | None:
    """Validate the charge-transfer kinetics of a screen (the same for every interface).

    Parameters
    ----------
    kinetics : mapping or None
        ``{"i0_A_cm2": i0, "alpha_t": α_t}``: exchange current density without the space-charge layer
        (A/cm², > 0) and cathodic transfer coefficient (0 ≤ α_t ≤ 1); None: R_ct is not computed.

    Returns
    -------
    dict or None
        ``{"i0_A_cm2": float, "alpha_t": float}``, or None.

    Raises
    ------
    InputError
        For other keys, a missing key or a value out of range.
    """
    if kinetics is None:
        return None
    if not isinstance(kinetics, Mapping) or set(kinetics) != set(KINETICS_KEYS):
        raise InputError(f"kinetics must be a mapping with exactly the keys {', '.join(KINETICS_KEYS)} (exchange "
                         f"current density in A/cm^2 and transfer coefficient), got {kinetics!r}")
    try:
        i0, at = (float(kinetics[k]) for k in KINETICS_KEYS)
    except (TypeError, ValueError):
        raise InputError(f"kinetics values must be numbers, got {dict(kinetics)!r}") from None
    if not (np.isfinite(i0) and i0 > 0):
        raise InputError(f"kinetics: i0_A_cm2 must be a finite number > 0 A/cm^2, got {kinetics['i0_A_cm2']!r}")
    if not (0.0 <= at <= 1.0):
        raise InputError(f"kinetics: alpha_t (transfer coefficient) must lie in [0, 1], got {kinetics['alpha_t']!r}")
    return {"i0_A_cm2": i0, "alpha_t": at}


def _steps(electrodes, electrolytes, phi_li_eV, dipole_V, work_function_shift_eV, phi0_li_shift_V, phi_li_shift_eV):
    """φ0 (..., E, M, K) from the interface kernel, with the arrays the other columns need."""
    U, PHI, X, SOC = _stack_states(electrodes)  # (M, K)
    phi0_li = np.array([r.value("phi0_li_V") for r in electrolytes], float)
    if phi0_li_shift_V is not None:
        phi0_li = phi0_li + np.asarray(phi0_li_shift_V, float)
    phi_m = PHI
    if work_function_shift_eV is not None:
        phi_m = PHI + np.asarray(work_function_shift_eV, float)[..., :, None]
    phi_li_b = np.asarray(phi_li_eV + np.asarray(phi_li_shift_eV, float))[..., None, None, None]
    dip = np.broadcast_to(np.asarray(dipole_V, float),
                          np.broadcast_shapes(np.shape(dipole_V), (len(electrolytes), len(electrodes))))
    phi0 = ifc.interface_step(phi0_li[..., :, None, None], phi_m[..., None, :, :], phi_li_b, U, dip[..., None])
    return phi0, dip, phi0_li, phi_li_b, (U, PHI, X, SOC)


def _flags(electrolytes, closures, U, phi0, phi0_li, phi_li_b, mu_li_se_eV) -> dict:
    """Decomposition (closure independent) and, per closure, μ_Li,SE, E_F − E_VBM and the injection flag."""
    nE = len(electrolytes)

    def col(f):
        return np.array([r.value(f) for r in electrolytes], float)[:, None, None]

    win = np.array([r.window_V if r.window_V is not None else (np.nan, np.nan) for r in electrolytes],
                   float).reshape(nE, 2)
    vred, vox = win[:, 0, None, None], win[:, 1, None, None]
    dec, viol = ifc.decomposition(U, (vred, vox))
    out = {"decomposition_code": np.broadcast_to(dec, phi0.shape),
           "window_violation_V": np.broadcast_to(viol, phi0.shape)}
    ip, gap = col("ionization_potential_eV"), col("band_gap_eV")
    mus, poss, injs = [], [], []
    for c in closures:
        if c == "extrinsic":
            mu = np.full((nE,) + U.shape, float(mu_li_se_eV))
        else:  # the electrode's μ_Li = −eU clipped to the window (NaN where the window is unknown)
            mu = np.broadcast_to(se_mu_li_edges("minimum-interface", -U, -U, (vred, vox))[0], (nE,) + U.shape)
        pos = ifc.se_fermi_above_vbm(mu, phi_li_b, phi0_li[..., :, None, None], ip)
        mus.append(np.broadcast_to(mu, pos.shape))
        poss.append(pos)
        injs.append(ifc.injection_code(pos, gap))
    ax = -4  # closure axis in front of (E, M, K)
    out["se_mu_Li_eV"] = np.stack(mus, axis=ax)
    out["se_E_F_above_VBM_eV"] = np.stack(poss, axis=ax)
    out["injection_code"] = np.stack(injs, axis=ax)
    return out


def compute_interfaces(electrodes: Sequence[ElectrodeStates], electrolytes: Sequence[ElectrolyteRecord],
                       phi_li_eV: float, closures: Sequence[str] = ("minimum-interface",), *,
                       mu_li_se_eV: float | None = None, temperature_K: float = 300.0, dipole_V=0.0,
                       work_function_shift_eV=None, phi0_li_shift_V=None, phi_li_shift_eV=0.0,
                       resistance: bool = True, transport: str = "local-equilibrium", kinetics=None) -> dict:
    """All interface quantities for electrolytes × electrodes × states (× closures), vectorised.

    Parameters
    ----------
    electrodes : sequence of ElectrodeStates
        M electrodes with K states each.
    electrolytes : sequence of ElectrolyteRecord
        E electrolytes.
    phi_li_eV : float
        Work function of Li metal Φ_Li, eV (the reference of φ0^Li; :func:`ssbands.interface.phi_li`).
    closures : sequence of str
        Q closures of the SE Fermi level (``minimum-interface``, ``extrinsic``).
    mu_li_se_eV : float, optional
        μ_Li of the SE bulk for the extrinsic closure, eV vs Li metal.
    temperature_K : float
        Temperature, K.
    dipole_V : float or array_like (E, M)
        Interface dipole δ taken out of the step, V.
    work_function_shift_eV, phi0_li_shift_V : array_like, optional
        Additive perturbations of Φ_M, shape (..., M), and of φ0^Li, shape (..., E) (Monte Carlo);
        leading sample axes broadcast into every output.
    phi_li_shift_eV : float or array_like (...)
        Perturbation of the reference Φ_Li (Monte Carlo).
    resistance : bool
        Compute R_SCL, R_exc and R_ct (skip for speed when only steps are needed).
    transport : {"local-equilibrium", "independent"}
        Transport limit reported as ``R_exc_ohm_cm2`` (both limits are columns of their own).
    kinetics : mapping, optional
        ``{"i0_A_cm2": ..., "alpha_t": ...}`` for every interface (:func:`check_kinetics`); without it
        ``R_ct_ohm_cm2`` is NaN.

    Returns
    -------
    dict of ndarray
        Shapes (..., E, M, K) for closure-independent quantities: ``phi0_V``, ``dipole_V``,
        ``sigma_e_per_nm2``, ``capacitance_uF_per_cm2``, ``saturated_width_A``, ``debye_length_A``,
        ``R_scl_ohm_cm2``, ``R_bulk_same_length_ohm_cm2``, ``R_ratio`` (NaN without transport data),
        ``R_exc_ohm_cm2``, ``R_exc_local_equilibrium_ohm_cm2``, ``R_exc_independent_ohm_cm2`` (Ω cm²; NaN
        without per-defect transport data), ``asymptotic_length_nm`` (electrolytes much thicker than this
        see the independent-carrier value), ``R_ct_ohm_cm2`` (Ω cm²; NaN without ``kinetics``),
        ``decomposition_code`` (int8, -1 unknown), ``window_violation_V``; shape (..., Q, E, M, K):
        ``se_mu_Li_eV``, ``se_E_F_above_VBM_eV``, ``injection_code``; shape (M, K): ``potential_V``,
        ``work_function_eV``, ``li_fraction``, ``soc``.
    """
    from ..scl.firstintegral import first_integral

    closures = tuple(closures)
    check_closures(closures, mu_li_se_eV)
    check_transport_limit(transport)
    kinetics = check_kinetics(kinetics)
    T = float(temperature_K)
    phi0, dip, phi0_li, phi_li_b, (U, PHI, X, SOC) = _steps(electrodes, electrolytes, phi_li_eV, dipole_V,
                                                            work_function_shift_eV, phi0_li_shift_V, phi_li_shift_eV)
    N, Ef0, eps, al = (np.array([r.value(f) for r in electrolytes], float)[:, None, None]
                       for f in ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha"))
    r = first_integral(phi0, N, Ef0, eps, al, T)
    out = {
        "phi0_V": phi0, "dipole_V": np.broadcast_to(dip[..., None], phi0.shape),
        "sigma_e_per_nm2": r.sigma_e_per_nm2, "capacitance_uF_per_cm2": r.capacitance_uF_per_cm2,
        "saturated_width_A": r.saturated_width_m * 1e10, "debye_length_A": r.debye_length_m * 1e10,
        "potential_V": U, "work_function_eV": PHI, "li_fraction": X, "soc": SOC,
    }
    out.update(_scl_resistance(electrolytes, phi0, T, resistance))
    out.update(_excess_resistances(electrolytes, phi0, T, transport, resistance))
    out["R_ct_ohm_cm2"] = _charge_transfer(electrolytes, phi0, T, kinetics if resistance else None)
    out.update(_flags(electrolytes, closures, U, phi0, phi0_li, phi_li_b, mu_li_se_eV))
    return out


#: Columns of ``interfaces.parquet`` (besides the labels electrode, role, electrolyte, state, closure).
INTERFACE_COLUMNS = ("soc", "li_fraction", "electrode_potential_V", "work_function_eV", "phi0_V", "dipole_V",
                     "total_step_V", "sigma_e_per_nm2", "capacitance_uF_per_cm2", "saturated_width_A",
                     "debye_length_A", "R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio", "se_mu_Li_eV",
                     "se_E_F_above_VBM_eV", "window_violation_V", "R_exc_ohm_cm2", "R_exc_local_equilibrium_ohm_cm2",
                     "R_exc_independent_ohm_cm2", "asymptotic_length_nm", "R_ct_ohm_cm2")


def interface_columns(res: Mapping[str, np.ndarray], electrodes: Sequence[ElectrodeStates],
                      electrolytes: Sequence[ElectrolyteRecord], closures: Sequence[str],
                      temperature_K: float = 300.0, e_offset: int = 0, electrolyte_names=None) -> dict:
    """Flatten :func:`compute_interfaces` output into table columns.

    Parameters
    ----------
    res : mapping of ndarray
        Output of :func:`compute_interfaces` for ``electrolytes`` (no sample axes).
    electrodes : sequence of ElectrodeStates
        The M electrodes.
    electrolytes : sequence of ElectrolyteRecord
        A block of electrolytes starting at position ``e_offset`` of ``electrolyte_names``.
    closures : sequence of str
        The Q closures.
    temperature_K : float
        Temperature (a column), K.
    e_offset : int
        Position of the block's first electrolyte in the full list.
    electrolyte_names : sequence of str, optional
        The full list of electrolyte names (so every part file carries the same dictionary; default:
        the block's names).

    Returns
    -------
    dict
        Columns with rows ordered (closure, electrolyte, electrode, state): numeric columns as 1-D
        arrays in the units of their names (V, eV, Å, Ω cm², …), label columns as ``(codes, labels)``
        pairs (dictionary encoding).
    """
    Q, E = len(closures), len(electrolytes)
    M, K = res["potential_V"].shape
    shp = (Q, E, M, K)

    def b(a):
        return np.broadcast_to(a, shp).ravel()

    q, e, m, k = (g.ravel() for g in np.meshgrid(np.arange(Q), np.arange(E), np.arange(M), np.arange(K),
                                                  indexing="ij"))
    cols: dict[str, Any] = {
        "electrode": (m.astype(np.int32), [el.name for el in electrodes]),
        "role": (np.array([0 if el.role == "anode" else 1 for el in electrodes], np.int32)[m], ["anode", "cathode"]),
        "electrolyte": ((e + e_offset).astype(np.int32),
                        list(electrolyte_names) if electrolyte_names is not None else [r.name for r in electrolytes]),
        "state": None,
        "closure": (q.astype(np.int32), list(closures)),
    }
    labels = sorted({lab for el in electrodes for lab in el.labels},
                    key=lambda s: (s != "discharged", s == "charged", s))
    lab_idx = {lab: i for i, lab in enumerate(labels)}
    state_codes = np.array([[lab_idx[lab] for lab in el.labels] for el in electrodes], np.int32)
    cols["state"] = (state_codes[m, k], labels)
    cols.update({
        "soc": b(res["soc"]), "li_fraction": b(res["li_fraction"]), "electrode_potential_V": b(res["potential_V"]),
        "work_function_eV": b(res["work_function_eV"]),
    })
    for key in ("phi0_V", "dipole_V", "sigma_e_per_nm2", "capacitance_uF_per_cm2", "saturated_width_A",
                "debye_length_A", "R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio", "window_violation_V"):
        cols[key] = b(res[key])
    cols["total_step_V"] = cols["phi0_V"] + cols["dipole_V"]
    cols["se_mu_Li_eV"] = res["se_mu_Li_eV"].ravel()
    cols["se_E_F_above_VBM_eV"] = res["se_E_F_above_VBM_eV"].ravel()
    dec = b(res["decomposition_code"])
    inj = res["injection_code"].ravel()
    for key in (*EXCESS_COLUMNS, "R_ct_ohm_cm2"):
        cols[key] = b(res[key])
    cols["decomposition"] = (np.where(dec < 0, 3, dec).astype(np.int32), [*DECOMPOSITION_LABELS, "unknown"])
    cols["injection"] = (np.where(inj < 0, 3, inj).astype(np.int32), [*INJECTION_LABELS, "unknown"])
    cols["temperature_K"] = np.full(q.size, float(temperature_K))
    return cols


def iter_names(items: Iterable) -> list[str]:
    """Names of records (their ``name`` attribute) or of plain strings.

    Parameters
    ----------
    items : iterable
        Records with a ``name`` attribute, or anything else (converted with ``str``).

    Returns
    -------
    list of str
    """
    return [getattr(i, "name", str(i)) for i in items]
