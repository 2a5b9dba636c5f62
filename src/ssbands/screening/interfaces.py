r"""Interface table: every electrode × electrolyte pair, at every electrode state, under every closure.

For electrode M at state s (Li fraction x_s, potential U_s = U(x_s) vs Li/Li⁺, work function
Φ_s = Φ(x_s)) against electrolyte SE (MODEL.md §2)::

    φ0(M|SE) = φ0^Li(SE) + (Φ_s − Φ_Li)/e − U_s − δ

with Φ_Li the library's Li work function and δ an optional interface dipole (default 0). The step is
screened by a semi-infinite two-defect space-charge layer in the SE (MODEL.md §3), solved for the
whole batch at once with :func:`ssbands.scl.first_integral` (σ, differential capacitance, saturated
width, tail screening length), and its resistance R_SCL·A and the bulk ratio come from
:func:`ssbands.resistance.interface_resistance` where the library has the SE's transport data.

Flags (MODEL.md §2):

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

Electrode states are given by a state of charge s ∈ [0, 1]: s = 0 is the *discharged* end (anode
Li-poor, cathode Li-rich), s = 1 the *charged* end, and the Li fraction moves linearly between the
ends of the electrode's usable range (pulled inward by ``end_margin`` of the range because the OCV
curves are singular at their ends; an anode's charged end stops where U reaches 0 V, beyond which Li
would plate). A Li-metal (reservoir) electrode has one potential (0 V) at every state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..errors import InputError, UnknownParameterError
from ..thermo import CLOSURES, ocv_curve, plating_limit, se_mu_li_edges, work_function, work_function_depends_on_li

__all__ = ["ElectrodeStates", "ElectrolyteRecord", "electrode_states", "electrolyte_record", "classify_electrode",
           "select_materials", "Selection", "compute_interfaces", "interface_columns", "INTERFACE_COLUMNS",
           "DECOMPOSITION_LABELS", "INJECTION_LABELS", "ANODE_THRESHOLD_V"]

#: An electrode whose potential at the middle of its Li range is below this is an anode by default, V.
ANODE_THRESHOLD_V = 2.5
#: Fields without which an electrolyte's interfaces cannot be computed at all.
SCL_FIELDS = ("phi0_li_V", "site_density_cm3", "defect_energy_eV", "alpha", "permittivity")
#: Codes of the decomposition flag (index = code; -1 = unknown).
DECOMPOSITION_LABELS = ("none", "reduction", "oxidation")
#: Codes of the injection flag (index = code; -1 = unknown).
INJECTION_LABELS = ("none", "holes", "electrons")
#: Electrolyte fields that only some columns need: field -> what is missing without it.
PARTIAL_FIELDS = {
    "window_V": "decomposition flag, window_violation_V and the minimum-interface SE Fermi level (injection flag)",
    "ionization_potential_eV": "SE Fermi level position in the gap (injection flag)",
    "band_gap_eV": "electron-injection side of the injection flag",
    "ionic_conductivity_S_cm": "R_SCL (give ionic_conductivity_S_cm or diffusivity_cm2_s)",
}
_TRANSPORT = ("diffusivity_cm2_s", "ionic_conductivity_S_cm", "activation_energy_eV")


# ------------------------------------------------------------------------------------------------
# materials -> plain, picklable records


@dataclass(frozen=True)
class ElectrodeStates:
    """The states of one electrode in one role (plain arrays; picklable).

    Attributes
    ----------
    name, role : str
        Material name and role (``"anode"`` or ``"cathode"``).
    soc : ndarray, shape (K,)
        State of charge, 0 = discharged end, 1 = charged end.
    li_fraction : ndarray, shape (K,)
        Li fraction x (NaN for a Li reservoir).
    potential_V : ndarray, shape (K,)
        Electrode potential U vs Li/Li⁺, V.
    work_function_eV : ndarray, shape (K,)
        Work function Φ(x), eV.
    labels : tuple of str
        ``"discharged"``, ``"charged"`` or ``"soc=0.50"``.
    """

    name: str
    role: str
    soc: np.ndarray
    li_fraction: np.ndarray
    potential_V: np.ndarray
    work_function_eV: np.ndarray
    labels: tuple[str, ...]


def _state_labels(soc: np.ndarray) -> tuple[str, ...]:
    return tuple("discharged" if s == 0 else "charged" if s == 1 else f"soc={s:.3g}" for s in soc)


def electrode_states(material, role: str, n_states: int = 2, temperature_K: float = 300.0,
                     end_margin: float = 0.01, soc: Sequence[float] | None = None) -> ElectrodeStates:
    """States of an electrode between its discharged (s = 0) and charged (s = 1) ends.

    Parameters
    ----------
    material : ssbands.materials.library.Material
        An electrode (fields ``ocv_V`` and ``work_function_eV``; ``li_fraction_range`` optional).
    role : {"anode", "cathode"}
        An anode is Li-poor when discharged, a cathode Li-rich.
    n_states : int
        Number of states, evenly spaced in s from 0 to 1 (≥ 1; 1 gives the discharged end only).
    temperature_K : float
        Temperature (enters tabulated OCVs' Nernst extension), K.
    end_margin : float
        Fraction of the Li range by which both ends are pulled inward (OCV curves are singular there).
    soc : sequence of float, optional
        Explicit states of charge in [0, 1] instead of ``n_states``.

    Raises
    ------
    UnknownParameterError
        When the OCV or the work function is unknown.
    """
    if role not in ("anode", "cathode"):
        raise InputError(f"role must be 'anode' or 'cathode', got {role!r}")
    if material.kind != "electrode":
        raise InputError(f"{material.name!r} is a {material.kind}, not an electrode (it has no Li chemistry)")
    s = np.asarray(soc if soc is not None else np.linspace(0.0, 1.0, n_states) if n_states > 1 else [0.0], float)
    if s.ndim != 1 or s.size == 0 or np.any((s < 0) | (s > 1)) or not np.all(np.isfinite(s)):
        raise InputError(f"states of charge must lie in [0, 1], got {s.tolist()}")
    if not 0 <= end_margin < 0.5:
        raise InputError(f"end_margin must be in [0, 0.5), got {end_margin!r}")
    T = float(temperature_K)
    curve = ocv_curve(material)
    depends = work_function_depends_on_li(material)
    if curve.reservoir:
        if depends:
            raise InputError(f"electrode {material.name!r}: a constant-potential (reservoir) electrode cannot have a "
                             "Li-dependent work function table")
        x = np.full(s.shape, np.nan)
        u = np.full(s.shape, float(curve.constant))
        phi = np.full(s.shape, float(work_function(material)))
    else:
        lo, hi = float(curve.x_min), float(curve.x_max)
        top = plating_limit(curve, T, lo, hi)
        span = top - lo
        if not span > 0:
            raise InputError(f"electrode {material.name!r}: no Li fraction in [{lo:g}, {hi:g}] lies at or above 0 V "
                             "vs Li/Li+")
        a, b = lo + end_margin * span, top - end_margin * span
        x = a + s * (b - a) if role == "anode" else b - s * (b - a)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.asarray(curve(x, T), float)
        phi = np.asarray(work_function(material, x), float) if depends else np.full(s.shape, float(work_function(material)))
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(phi))):
        raise InputError(f"electrode {material.name!r}: its potential or work function is not finite at the states "
                         f"{s.tolist()} (Li fractions {x.tolist()}); increase end_margin")
    return ElectrodeStates(material.name, role, s, x, u, phi, _state_labels(s))


def classify_electrode(material, temperature_K: float = 300.0) -> str:
    """``"anode"`` if U at the middle of the electrode's Li range is below ANODE_THRESHOLD_V, else ``"cathode"``."""
    curve = ocv_curve(material)
    if curve.reservoir:
        u = float(curve.constant)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            u = float(curve.evaluate(np.array(0.5 * (curve.x_min + curve.x_max)), temperature_K))
    return "anode" if u < ANODE_THRESHOLD_V else "cathode"


@dataclass(frozen=True)
class ElectrolyteRecord:
    """The numbers of one electrolyte the screen uses (picklable; mimics ``Material.get``/``has``).

    ``values`` holds every known scalar field; ``window_V`` is ``(V_red, V_ox)`` or None. Unknown
    optional fields are NaN/None and listed in ``missing`` as ``(field, what is not computed)``.
    """

    name: str
    values: Mapping[str, float]
    window_V: tuple[float, float] | None
    missing: tuple[tuple[str, str], ...] = ()
    kind: str = "electrolyte"

    def has(self, field_name: str) -> bool:
        return field_name in self.values

    def get(self, field_name: str, purpose: str = ""):
        if field_name == "window_V":
            if self.window_V is None:
                raise UnknownParameterError(self.name, field_name, purpose)
            return self.window_V
        if field_name not in self.values:
            raise UnknownParameterError(self.name, field_name, purpose)
        return self.values[field_name]

    def value(self, field_name: str) -> float:
        return float(self.values.get(field_name, math.nan))

    @property
    def has_transport(self) -> bool:
        return self.has("diffusivity_cm2_s") or self.has("ionic_conductivity_S_cm")


def electrolyte_record(material) -> ElectrolyteRecord:
    """Plain record of a library electrolyte; raises UnknownParameterError if an SCL field is unknown."""
    if material.kind != "electrolyte":
        raise InputError(f"{material.name!r} is a {material.kind}, not an electrolyte")
    vals = {f: float(material.get(f, "the interface step and its space-charge layer")) for f in SCL_FIELDS}
    for f in ("band_gap_eV", "ionization_potential_eV", *_TRANSPORT):
        if material.has(f):
            vals[f] = float(material.get(f))
    window = tuple(float(v) for v in material.get("window_V")) if material.has("window_V") else None
    missing = []
    if window is None:
        missing.append(("window_V", PARTIAL_FIELDS["window_V"]))
    for f in ("ionization_potential_eV", "band_gap_eV"):
        if f not in vals:
            missing.append((f, PARTIAL_FIELDS[f]))
    if "diffusivity_cm2_s" not in vals and "ionic_conductivity_S_cm" not in vals:
        missing.append(("ionic_conductivity_S_cm", PARTIAL_FIELDS["ionic_conductivity_S_cm"]))
    return ElectrolyteRecord(material.name, vals, window, tuple(missing))


# ------------------------------------------------------------------------------------------------
# selection of materials


@dataclass(frozen=True)
class Selection:
    """The materials a screen computes, and those it cannot (with reasons)."""

    anodes: tuple[ElectrodeStates, ...]
    cathodes: tuple[ElectrodeStates, ...]
    electrolytes: tuple[ElectrolyteRecord, ...]
    phi_li_eV: float
    skipped: tuple[dict, ...] = ()
    partial: tuple[dict, ...] = ()

    @property
    def electrodes(self) -> tuple[ElectrodeStates, ...]:
        """Anodes then cathodes: the electrode axis of the interface arrays."""
        return self.anodes + self.cathodes


def _split(names) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        names = [n for n in (p.strip() for p in names.split(",")) if n]
    return list(names)


def _reason(exc: Exception) -> dict:
    d = {"reason": str(exc)}
    if isinstance(exc, UnknownParameterError):
        d["field"] = exc.field
    return d


def select_materials(library, anodes=None, electrolytes=None, cathodes=None, *, n_states: int = 2,
                     temperature_K: float = 300.0, end_margin: float = 0.01) -> Selection:
    """Resolve names (default: every electrode/electrolyte of the library) into computable records.

    ``anodes``/``cathodes``/``electrolytes`` are lists or comma-separated strings of library names, or
    None for all materials of that role (electrodes are split into anodes and cathodes by
    :func:`classify_electrode`). A material that cannot be computed is not dropped silently: it appears
    in ``skipped`` with its role, the missing field and the reason; an electrolyte that can be computed
    but lacks an optional field appears in ``partial`` with the columns that stay NaN/``unknown``.

    Raises
    ------
    InputError
        For a name the library does not have, a material of the wrong kind, or a duplicate name.
    """
    phi_li = float(library["Li"].get("work_function_eV", "the reference work function Phi_Li"))
    skipped: list[dict] = []
    req = {"anode": _split(anodes), "cathode": _split(cathodes)}
    auto = {r: v is None for r, v in req.items()}
    if any(auto.values()):
        for m in library.of_kind("electrode"):
            try:
                role = classify_electrode(m, temperature_K)
            except (UnknownParameterError, InputError) as exc:
                named = {n.lower() for r, v in req.items() if not auto[r] for n in (v or [])}
                if m.name.lower() not in named:  # a named one is reported under its role below
                    skipped.append({"material": m.name, "role": "electrode", **_reason(exc)})
                continue
            if auto[role]:
                req[role] = (req[role] or []) + [m.name]
    out: dict[str, list] = {"anode": [], "cathode": []}
    for role in ("anode", "cathode"):
        seen = set()
        for name in req[role] or []:
            m = library[name]
            if m.name.lower() in seen:
                raise InputError(f"{role} {m.name!r} is listed twice")
            seen.add(m.name.lower())
            if m.kind != "electrode":
                raise InputError(f"--{role}s: {m.name!r} is a {m.kind}, not an electrode (no Li chemistry)")
            try:
                out[role].append(electrode_states(m, role, n_states, temperature_K, end_margin))
            except (UnknownParameterError, InputError) as exc:
                skipped.append({"material": m.name, "role": role, **_reason(exc)})
    names = _split(electrolytes)
    if names is None:
        names = [m.name for m in library.of_kind("electrolyte")]
    recs, partial, seen = [], [], set()
    for name in names:
        m = library[name]
        if m.name.lower() in seen:
            raise InputError(f"electrolyte {m.name!r} is listed twice")
        seen.add(m.name.lower())
        if m.kind != "electrolyte":
            raise InputError(f"--electrolytes: {m.name!r} is a {m.kind}, not an electrolyte")
        try:
            r = electrolyte_record(m)
        except UnknownParameterError as exc:
            skipped.append({"material": m.name, "role": "electrolyte", **_reason(exc)})
            continue
        recs.append(r)
        if r.missing:
            partial.append({"material": r.name, "role": "electrolyte",
                            "missing": [{"field": f, "not_computed": what} for f, what in r.missing]})
    return Selection(tuple(out["anode"]), tuple(out["cathode"]), tuple(recs), phi_li, tuple(skipped), tuple(partial))


# ------------------------------------------------------------------------------------------------
# the batched interface kernel


def _stack_states(electrodes: Sequence[ElectrodeStates]):
    ks = {e.soc.size for e in electrodes}
    if len(ks) != 1:
        raise InputError("all electrodes of a screen need the same number of states")
    return (np.stack([e.potential_V for e in electrodes]), np.stack([e.work_function_eV for e in electrodes]),
            np.stack([e.li_fraction for e in electrodes]), np.stack([e.soc for e in electrodes]))


def compute_interfaces(electrodes: Sequence[ElectrodeStates], electrolytes: Sequence[ElectrolyteRecord],
                       phi_li_eV: float, closures: Sequence[str] = ("minimum-interface",), *,
                       mu_li_se_eV: float | None = None, temperature_K: float = 300.0, dipole_V=0.0,
                       work_function_shift_eV=None, phi0_li_shift_V=None, phi_li_shift_eV=0.0,
                       resistance: bool = True) -> dict:
    """All interface quantities for electrolytes × electrodes × states (× closures), vectorised.

    Parameters
    ----------
    electrodes : sequence of ElectrodeStates
        M electrodes with K states each.
    electrolytes : sequence of ElectrolyteRecord
        E electrolytes.
    phi_li_eV : float
        Work function of Li metal Φ_Li, eV (the reference of φ0^Li).
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
        Compute R_SCL (skip for speed when only steps are needed).

    Returns
    -------
    dict of ndarray
        Shapes (..., E, M, K) for closure-independent quantities: ``phi0_V``, ``dipole_V``,
        ``sigma_e_per_nm2``, ``capacitance_uF_per_cm2``, ``saturated_width_A``, ``debye_length_A``,
        ``R_scl_ohm_cm2``, ``R_bulk_same_length_ohm_cm2``, ``R_ratio`` (NaN without transport data),
        ``decomposition_code`` (int8, -1 unknown), ``window_violation_V``; shape (..., Q, E, M, K):
        ``se_mu_Li_eV``, ``se_E_F_above_VBM_eV``, ``injection_code``; shape (M, K): ``potential_V``,
        ``work_function_eV``, ``li_fraction``, ``soc``.
    """
    from ..resistance import interface_resistance
    from ..scl.firstintegral import first_integral

    closures = tuple(closures)
    for c in closures:
        if c not in CLOSURES:
            raise InputError(f"unknown closure {c!r}; choose from {', '.join(CLOSURES)}")
    if "extrinsic" in closures and mu_li_se_eV is None:
        raise InputError("closure 'extrinsic' needs mu_li_se_eV (the SE bulk Li chemical potential, eV vs Li metal; "
                         "--mu-li-se on the command line)")
    T = float(temperature_K)
    U, PHI, X, SOC = _stack_states(electrodes)  # (M, K)
    nE = len(electrolytes)

    def col(f):
        return np.array([r.value(f) for r in electrolytes], float)

    phi0_li = col("phi0_li_V")
    if phi0_li_shift_V is not None:
        phi0_li = phi0_li + np.asarray(phi0_li_shift_V, float)
    phi_m = PHI
    if work_function_shift_eV is not None:
        phi_m = PHI + np.asarray(work_function_shift_eV, float)[..., :, None]
    phi_li = phi_li_eV + np.asarray(phi_li_shift_eV, float)
    phi_li_b = np.asarray(phi_li)[..., None, None, None]
    dip = np.broadcast_to(np.asarray(dipole_V, float), np.broadcast_shapes(np.shape(dipole_V), (nE, len(electrodes))))
    # φ0 = φ0^Li + (Φ_M − Φ_Li) − U − δ   (same order of operations as ssbands.scl.interlayer.phi0_from_library)
    phi0 = (phi0_li[..., :, None, None] + (phi_m[..., None, :, :] - phi_li_b)) - U - dip[..., None]
    N, Ef0, eps, al = (col(f)[:, None, None] for f in ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha"))
    r = first_integral(phi0, N, Ef0, eps, al, T)
    out = {
        "phi0_V": phi0, "dipole_V": np.broadcast_to(dip[..., None], phi0.shape),
        "sigma_e_per_nm2": r.sigma_e_per_nm2, "capacitance_uF_per_cm2": r.capacitance_uF_per_cm2,
        "saturated_width_A": r.saturated_width_m * 1e10, "debye_length_A": r.debye_length_m * 1e10,
        "potential_V": U, "work_function_eV": PHI, "li_fraction": X, "soc": SOC,
    }
    Rs = np.full(phi0.shape, np.nan)
    Rb = np.full(phi0.shape, np.nan)
    Rr = np.full(phi0.shape, np.nan)
    if resistance:
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
    out.update({"R_scl_ohm_cm2": Rs, "R_bulk_same_length_ohm_cm2": Rb, "R_ratio": Rr})
    # decomposition: electrode potential outside the SE window
    win = np.array([r.window_V if r.window_V is not None else (np.nan, np.nan) for r in electrolytes],
                   float).reshape(nE, 2)
    vred, vox = win[:, 0, None, None], win[:, 1, None, None]
    known_w = np.isfinite(vred)
    code = np.where(U < vred, 1, np.where(U > vox, 2, 0))
    out["decomposition_code"] = np.broadcast_to(np.where(known_w, code, -1).astype(np.int8), phi0.shape)
    out["window_violation_V"] = np.broadcast_to(np.where(known_w, np.maximum(np.maximum(vred - U, U - vox), 0.0),
                                                         np.nan), phi0.shape)
    # SE Fermi level next to the interface, from its VBM: μ_Li,SE − Φ_Li + e φ0^Li + IP
    ip, gap = col("ionization_potential_eV")[:, None, None], col("band_gap_eV")[:, None, None]
    mus, poss, injs = [], [], []
    for c in closures:
        if c == "extrinsic":
            mu = np.full((nE,) + U.shape, float(mu_li_se_eV))
        else:
            mu = np.full((nE,) + U.shape, np.nan)
            for e, rec in enumerate(electrolytes):
                if rec.window_V is not None:
                    mu[e] = se_mu_li_edges("minimum-interface", -U, -U, rec.window_V)[0]
        pos = (mu - phi_li_b) + phi0_li[..., :, None, None] + ip
        inj = np.where(pos < 0, 1, np.where(pos > gap, 2, 0))
        inj = np.where(np.isfinite(pos) & np.isfinite(gap), inj, -1).astype(np.int8)
        mus.append(np.broadcast_to(mu, pos.shape))
        poss.append(pos)
        injs.append(inj)
    ax = -4  # closure axis in front of (E, M, K)
    out["se_mu_Li_eV"] = np.stack(mus, axis=ax)
    out["se_E_F_above_VBM_eV"] = np.stack(poss, axis=ax)
    out["injection_code"] = np.stack(injs, axis=ax)
    return out


#: Columns of ``interfaces.parquet`` (besides the labels electrode, role, electrolyte, state, closure).
INTERFACE_COLUMNS = ("soc", "li_fraction", "electrode_potential_V", "work_function_eV", "phi0_V", "dipole_V",
                     "total_step_V", "sigma_e_per_nm2", "capacitance_uF_per_cm2", "saturated_width_A",
                     "debye_length_A", "R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio", "se_mu_Li_eV",
                     "se_E_F_above_VBM_eV", "window_violation_V")


def interface_columns(res: Mapping[str, np.ndarray], electrodes: Sequence[ElectrodeStates],
                      electrolytes: Sequence[ElectrolyteRecord], closures: Sequence[str],
                      temperature_K: float = 300.0, e_offset: int = 0, electrolyte_names=None) -> dict:
    """Flatten :func:`compute_interfaces` output into table columns, rows ordered (closure, electrolyte,
    electrode, state). Label columns are returned as ``(codes, labels)`` pairs (dictionary encoding);
    ``electrolytes`` is a block starting at ``e_offset`` of ``electrolyte_names`` (the full list, so that
    every part file carries the same dictionary)."""
    Q, E = len(closures), len(electrolytes)
    M, K = res["potential_V"].shape
    shp = (Q, E, M, K)

    def b(a):
        return np.broadcast_to(a, shp).ravel()

    q, e, m, k = (g.ravel() for g in np.meshgrid(np.arange(Q), np.arange(E), np.arange(M), np.arange(K),
                                                  indexing="ij"))
    cols = {
        "electrode": (m.astype(np.int32), [el.name for el in electrodes]),
        "role": (np.array([0 if el.role == "anode" else 1 for el in electrodes], np.int32)[m], ["anode", "cathode"]),
        "electrolyte": ((e + e_offset).astype(np.int32),
                        list(electrolyte_names) if electrolyte_names is not None else [r.name for r in electrolytes]),
        "state": None,
        "closure": (q.astype(np.int32), list(closures)),
    }
    labels = sorted({lab for el in electrodes for lab in el.labels}, key=lambda s: (s != "discharged", s == "charged", s))
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
    cols["decomposition"] = (np.where(dec < 0, 3, dec).astype(np.int32), [*DECOMPOSITION_LABELS, "unknown"])
    cols["injection"] = (np.where(inj < 0, 3, inj).astype(np.int32), [*INJECTION_LABELS, "unknown"])
    cols["temperature_K"] = np.full(q.size, float(temperature_K))
    return cols


def iter_names(items: Iterable) -> list[str]:
    return [getattr(i, "name", str(i)) for i in items]
