"""Materials of a screen as plain, picklable records, and the selection of which ones to compute.

* :class:`ElectrodeStates` / :func:`electrode_states` — an electrode at K states of charge (Li
  fraction, potential vs Li/Li⁺, work function);
* :class:`ElectrolyteRecord` / :func:`electrolyte_record` — the numbers of an electrolyte the screen uses;
* :class:`Selection` / :func:`select_materials` — library names resolved into records, with every
  material that cannot be computed listed with its reason (never dropped silently).

Electrode states are given by a state of charge s ∈ [0, 1]: s = 0 is the *discharged* end (anode
Li-poor, cathode Li-rich), s = 1 the *charged* end, and the Li fraction moves linearly between the
ends of the electrode's usable range (pulled inward by ``end_margin`` of the range because the OCV
curves are singular at their ends; an anode's charged end stops where U reaches 0 V, beyond which Li
would plate). A Li-metal (reservoir) electrode has one potential (0 V) at every state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UnknownParameterError
from ..interface import phi_li as phi_li_of
from ..scl.transport import defect_transport
from ..thermo import ocv_curve, plating_limit, work_function, work_function_depends_on_li

__all__ = ["ElectrodeStates", "ElectrolyteRecord", "electrode_states", "electrolyte_record", "classify_electrode",
           "select_materials", "Selection", "ANODE_THRESHOLD_V", "SCL_FIELDS", "PARTIAL_FIELDS"]

#: An electrode whose potential at the middle of its Li range is below this is an anode by default, V.
ANODE_THRESHOLD_V = 2.5
#: Fields without which an electrolyte's interfaces cannot be computed at all.
SCL_FIELDS = ("phi0_li_V", "site_density_cm3", "defect_energy_eV", "alpha", "permittivity")
#: Electrolyte fields that only some columns need: field -> what is missing without it.
PARTIAL_FIELDS = {
    "window_V": "decomposition flag, window_violation_V and the minimum-interface SE Fermi level (injection flag)",
    "ionization_potential_eV": "SE Fermi level position in the gap (injection flag)",
    "band_gap_eV": "electron-injection side of the injection flag",
    "ionic_conductivity_S_cm": "R_SCL (give ionic_conductivity_S_cm or diffusivity_cm2_s)",
    "defect_transport": "R_exc, the excess resistance of the space-charge layer in both transport limits (give "
                        "each defect's diffusivity or migration barrier and prefactor, or ionic_conductivity_S_cm with "
                        "the carrier split conductivity_fraction_Li_i)",
}
_TRANSPORT = ("diffusivity_cm2_s", "ionic_conductivity_S_cm", "activation_energy_eV", "diffusivity_Li_i_cm2_s",
              "diffusivity_V_Li_cm2_s", "migration_barrier_Li_i_eV", "migration_barrier_V_Li_eV",
              "diffusivity_prefactor_Li_i_cm2_s", "diffusivity_prefactor_V_Li_cm2_s", "conductivity_fraction_Li_i")


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

    Returns
    -------
    ElectrodeStates
        The K states: state of charge, Li fraction (NaN for Li metal), potential U vs Li/Li⁺ (V) and
        work function Φ (eV).

    Raises
    ------
    UnknownParameterError
        When the OCV or the work function is unknown.
    InputError
        For a non-electrode, a bad role, states or ``end_margin``, or a non-finite U or Φ at a state.
    """
    if role not in ("anode", "cathode"):
        raise InputError(f"role must be 'anode' or 'cathode', got {role!r}")
    if soc is None and (isinstance(n_states, bool) or not isinstance(n_states, (int, np.integer)) or n_states < 1):
        raise InputError(f"n_states (electrode states per electrode) must be an integer >= 1, got {n_states!r}")
    if material.kind != "electrode":
        art = "an" if material.kind[0] in "aeiou" else "a"
        raise InputError(f"{material.name!r} is {art} {material.kind}, not an electrode (it has no Li chemistry)")
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
        phi = (np.asarray(work_function(material, x), float) if depends
               else np.full(s.shape, float(work_function(material))))
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(phi))):
        raise InputError(f"electrode {material.name!r}: its potential or work function is not finite at the states "
                         f"{s.tolist()} (Li fractions {x.tolist()}); increase end_margin")
    return ElectrodeStates(material.name, role, s, x, u, phi, _state_labels(s))


def classify_electrode(material, temperature_K: float = 300.0) -> str:
    """Classify an electrode by its default role, from its potential at the middle of its Li range.

    Parameters
    ----------
    material : ssbands.materials.library.Material
        An electrode (field ``ocv_V``).
    temperature_K : float
        Temperature, K.

    Returns
    -------
    str
        ``"anode"`` if U (V vs Li/Li⁺) there is below :data:`ANODE_THRESHOLD_V`, else ``"cathode"``.
    """
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

    Attributes
    ----------
    name : str
        Material name.
    values : mapping of str to float
        Every known scalar field, in the library's units (the unit is in the field name: ``_V``,
        ``_eV``, ``_cm3``, ``_S_cm``, …).
    window_V : (float, float) or None
        Stability window (V_red, V_ox), V vs Li/Li⁺, or None when unknown.
    missing : tuple of (str, str)
        Unknown optional fields as ``(field, what is not computed without it)``.
    kind : str
        Always ``"electrolyte"``.
    """

    name: str
    values: Mapping[str, float]
    window_V: tuple[float, float] | None
    missing: tuple[tuple[str, str], ...] = ()
    kind: str = "electrolyte"

    def has(self, field_name: str) -> bool:
        """Tell whether the scalar field ``field_name`` is known."""
        return field_name in self.values

    def get(self, field_name: str, purpose: str = ""):
        """Return the value of a field (as ``Material.get``); raises UnknownParameterError when unknown."""
        if field_name == "window_V":
            if self.window_V is None:
                raise UnknownParameterError(self.name, field_name, purpose)
            return self.window_V
        if field_name not in self.values:
            raise UnknownParameterError(self.name, field_name, purpose)
        return self.values[field_name]

    def value(self, field_name: str) -> float:
        """Return the value of a scalar field, NaN when unknown."""
        return float(self.values.get(field_name, math.nan))

    @property
    def has_transport(self) -> bool:
        """True when R_SCL can be computed (diffusivity or ionic conductivity known)."""
        return self.has("diffusivity_cm2_s") or self.has("ionic_conductivity_S_cm")


def electrolyte_record(material, temperature_K: float = 300.0) -> ElectrolyteRecord:
    """Plain record of a library electrolyte.

    Parameters
    ----------
    material : ssbands.materials.library.Material
        An electrolyte.
    temperature_K : float
        Temperature of the screen, K (whether each defect's diffusivity is known there decides whether
        R_exc is listed among the missing columns).

    Returns
    -------
    ElectrolyteRecord
        Its SCL fields (:data:`SCL_FIELDS`), the optional ones it has, and those it lacks.

    Raises
    ------
    UnknownParameterError
        If one of the SCL fields is unknown (its interfaces cannot be computed).
    """
    if material.kind != "electrolyte":
        art = "an" if material.kind[0] in "aeiou" else "a"
        raise InputError(f"{material.name!r} is {art} {material.kind}, not an electrolyte")
    vals = {f: float(material.get(f, "the interface step and its space-charge layer")) for f in SCL_FIELDS}
    for f in ("band_gap_eV", "ionization_potential_eV", *_TRANSPORT):
        if material.has(f):
            vals[f] = float(material.get(f))
    window: tuple[float, float] | None = None
    if material.has("window_V"):
        lo, hi = material.get("window_V")
        window = (float(lo), float(hi))
    missing = []
    if window is None:
        missing.append(("window_V", PARTIAL_FIELDS["window_V"]))
    for f in ("ionization_potential_eV", "band_gap_eV"):
        if f not in vals:
            missing.append((f, PARTIAL_FIELDS[f]))
    if "diffusivity_cm2_s" not in vals and "ionic_conductivity_S_cm" not in vals:
        missing.append(("ionic_conductivity_S_cm", PARTIAL_FIELDS["ionic_conductivity_S_cm"]))
    rec = ElectrolyteRecord(material.name, vals, window, tuple(missing))
    try:
        defect_transport(rec, temperature_K)
    except UnknownParameterError as exc:
        missing.append((exc.field, PARTIAL_FIELDS["defect_transport"]))
        rec = ElectrolyteRecord(material.name, vals, window, tuple(missing))
    return rec


# ------------------------------------------------------------------------------------------------
# selection of materials


@dataclass(frozen=True)
class Selection:
    """The materials a screen computes, and those it cannot (with reasons).

    Attributes
    ----------
    anodes, cathodes : tuple of ElectrodeStates
        The computable electrodes of each role (all with the same number of states K).
    electrolytes : tuple of ElectrolyteRecord
        The computable electrolytes.
    phi_li_eV : float
        Work function of Li metal Φ_Li, eV (the reference of φ0^Li).
    skipped : tuple of dict
        Materials not computed: ``material``, ``role``, ``reason`` and (when known) the missing ``field``.
    partial : tuple of dict
        Electrolytes computed with some columns NaN/``unknown``: ``material``, ``role``, ``missing``.
    """

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

    Parameters
    ----------
    library : ssbands.materials.library.Library
        The materials (its ``Li`` entry gives Φ_Li).
    anodes, electrolytes, cathodes : list of str or str, optional
        Library names (comma-separated in a string); None: every material of that role.
    n_states : int
        Electrode states from discharged to charged (see :func:`electrode_states`).
    temperature_K : float
        Temperature, K.
    end_margin : float
        Fraction of each electrode's Li range by which its ends are pulled inward.

    Returns
    -------
    Selection
        The computable records and the materials skipped or computed partially.

    Raises
    ------
    InputError
        For a name the library does not have, a material of the wrong kind, or a duplicate name.
    """
    if isinstance(n_states, bool) or not isinstance(n_states, (int, np.integer)) or n_states < 1:
        raise InputError(f"n_states (electrode states per electrode) must be an integer >= 1, got {n_states!r}")
    phi_li = phi_li_of(library)
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
                art = "an" if m.kind[0] in "aeiou" else "a"
                raise InputError(f"--{role}s: {m.name!r} is {art} {m.kind}, not an electrode (no Li chemistry)")
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
            raise InputError(f"electrolytes: {m.name!r} is a {m.kind}, not an electrolyte")
        try:
            r = electrolyte_record(m, temperature_K)
        except UnknownParameterError as exc:
            skipped.append({"material": m.name, "role": "electrolyte", **_reason(exc)})
            continue
        recs.append(r)
        if r.missing:
            partial.append({"material": r.name, "role": "electrolyte",
                            "missing": [{"field": f, "not_computed": what} for f, what in r.missing]})
    return Selection(tuple(out["anode"]), tuple(out["cathode"]), tuple(recs), phi_li, tuple(skipped), tuple(partial))
