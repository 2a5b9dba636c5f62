r"""Defect models from the outputs of DFT defect codes, read as plain JSON/YAML (no doped, pymatgen or monty needed).

Readers
-------
* :func:`read_doped_json` — doped's ``DefectThermodynamics`` JSON (``DefectThermodynamics.to_json`` /
  monty ``dumpfn``; Kavanagh et al., *J. Open Source Softw.* 9, 6433 (2024), doi:10.21105/joss.06433).
* :func:`read_pmg_defects_json` — pymatgen-analysis-defects ``FormationEnergyDiagram`` or
  ``MultiFormationEnergyDiagram`` ``as_dict()`` JSON (Shen et al., *J. Open Source Softw.* 9, 5941 (2024),
  doi:10.21105/joss.05941).
* :func:`read_pfd_solution_yaml` — the YAML input of PFD_solution, the code accompanying Swift, Swift & Qi,
  *Nat. Comput. Sci.* 1, 212 (2021), doi:10.1038/s43588-021-00041-y (keys ``phi0``, ``NSites``, ``Ef0``,
  ``epsilon``, ``alpha``, ``T``, ``phi_target``).

The subset of the doped / pymatgen serialisation that is read
-----------------------------------------------------------------
Each defect entry (a ``DefectEntry`` dict) gives ``charge_state`` (q), ``sc_entry`` and ``bulk_entry``
(``ComputedStructureEntry`` dicts: ``energy`` — the uncorrected total energy, eV — plus ``correction``, and
``composition`` {element: atoms}), ``corrections`` ({name: eV}, summed: finite-size charge corrections),
``defect`` (``multiplicity`` and ``structure.lattice.matrix`` in Å), and for doped ``name`` and
``degeneracy_factors``. From these, with the VBM eigenvalue E_VBM and the elemental reference energies
μ_i^ref (eV/atom)::

    Δn_i = n_i(defect supercell) − n_i(bulk supercell)            (atoms added)
    E0(X^q) = E_def + Σ corrections − E_bulk − Σ_i Δn_i μ_i^ref + q E_VBM
    N_X = multiplicity / V(defect.structure),  g_q = Π degeneracy_factors (doped; 1 for pymatgen)

which is exactly doped's and pymatgen-analysis-defects' formation energy ΔH = E0 + q ε_F − Σ Δn_i μ_i
(ε_F above the VBM, μ_i relative to the elemental references, Freysoldt et al., *Rev. Mod. Phys.* 86, 253
(2014)) and doped's concentration N_X g_q e^{−ΔH/kT}. Entries are grouped into species by name (doped: the
entry name without its charge suffix) or one species per ``FormationEnergyDiagram`` (pymatgen); when a
charge state appears twice the lower energy (the ground state) is kept; doped's ``_a``/``_b`` suffixes
(different defects that share a name) make separate species. μ_i^ref are doped's
``el_refs``/``chempots["elemental_refs"]``, or for pymatgen the lowest energy per atom of the elemental
``pd_entries``. doped's chemical-potential limits (``chempots["limits_wrt_el_refs"]``) become the system's
default μ. Neither format carries the ionization potential, so it is an argument; the bulk DOS is not read:
the system gets parabolic bands of the stored band gap and the given effective masses.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..errors import InputError, read_text_file
from ._validate import number
from .frenkel import TwoDefectParameters, frenkel_system, two_defect_parameters
from .model import ChargeState, DefectSpecies, ParabolicBands
from .system import DefectSystem

__all__ = ["DefectModelInput", "read_doped_json", "read_pmg_defects_json", "read_pfd_solution_yaml",
           "load_json"]

_CM3_PER_A3 = 1e24
_NAME_Q = re.compile(r"^(?P<base>.+)_(?P<q>[+-]?\d+)$")
_NAME_Q_TAG = re.compile(r"^(?P<base>.+)_(?P<q>[+-]?\d+)_(?P<tag>[a-z])$")
_ELEMENT = re.compile(r"^([A-Z][a-z]?)")


@dataclass(frozen=True, eq=False)
class DefectModelInput:
    """What a DFT output gives: a defect model, its band data and (PFD_solution) the layer parameters.

    Attributes
    ----------
    source : str
        The file (or ``"<mapping>"``).
    format : str
        ``"doped"``, ``"pymatgen-analysis-defects"`` or ``"PFD_solution"``.
    system : DefectSystem or None
        The defect model (None for a PFD_solution input without IP, Φ_Li and band gap).
    band_gap_eV : float or None
        E_g, eV.
    ionization_potential_eV : float or None
        IP, eV (from the arguments: none of the formats stores it).
    vbm_eV : float or None
        The VBM eigenvalue used as the Fermi-level reference (absolute DFT energy, eV).
    elemental_references_eV : mapping element → float
        μ_i^ref, eV/atom.
    chemical_potential_limits : mapping str → mapping element → float
        μ_i relative to the references at each named limit (doped), eV.
    limit : str or None
        The limit used for the system's default μ.
    layer : TwoDefectParameters or None
        The two-defect layer parameters stored in the file (PFD_solution).
    notes : tuple of str
        What the reader chose (kept duplicates, chosen limit, ...).
    """

    source: str
    format: str
    system: DefectSystem | None
    band_gap_eV: float | None = None
    ionization_potential_eV: float | None = None
    vbm_eV: float | None = None
    elemental_references_eV: Mapping[str, float] = field(default_factory=dict)
    chemical_potential_limits: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    limit: str | None = None
    layer: TwoDefectParameters | None = None
    notes: tuple = ()

    def two_defect_parameters(self, phi_li_eV: float | None = None, **kwargs) -> TwoDefectParameters:
        """N, E_f0 and φ0^Li of the two-defect layer model (Frenkel limit).

        The stored ``layer`` (PFD_solution) when there is one, else
        :func:`ssbands.defects.frenkel.two_defect_parameters` of ``system`` with this input's IP and
        ``phi_li_eV`` (Φ_Li, eV); ``kwargs`` go to that function (``alpha``, ``interstitial``, ...).
        """
        if self.layer is not None:
            return self.layer
        if self.system is None:
            raise InputError(f"{self.source}: no defect model to derive the two-defect parameters from")
        return two_defect_parameters(self.system, self.ionization_potential_eV, phi_li_eV, **kwargs)


def load_json(path_or_data) -> tuple[Any, str]:
    """A JSON document from a path (``.json`` or ``.json.gz``) or an already-parsed mapping/list.

    Parameters
    ----------
    path_or_data : str, Path, mapping or list
        The file, or its parsed content.

    Returns
    -------
    tuple
        (data, source name).
    """
    if isinstance(path_or_data, (Mapping, list)):
        return path_or_data, "<mapping>"
    p = Path(path_or_data)
    w = str(p)
    try:
        if p.suffix == ".gz":
            with gzip.open(p, "rt", encoding="utf-8") as fh:
                text = fh.read()
        else:
            text = read_text_file(p, "DFT defect file")
    except FileNotFoundError:
        raise InputError(f"DFT defect file {w!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"DFT defect file {w!r} cannot be read ({exc})") from None
    try:
        return json.loads(text), w
    except json.JSONDecodeError as exc:
        raise InputError(f"DFT defect file {w!r} is not valid JSON: {exc}") from None


# ----------------------------------------------------------------------------------- entries
def _entry_energy(d, where: str) -> float:
    """Total energy E + correction (eV) of a serialised ComputedEntry."""
    if not isinstance(d, Mapping):
        raise InputError(f"{where}: expected a ComputedEntry mapping with 'energy' and 'composition'")
    return number(where, "energy", d.get("energy")) + number(where, "correction", d.get("correction", 0.0) or 0.0)


def _composition(d, where: str) -> dict[str, float]:
    """{element: atoms} of a serialised ComputedEntry (oxidation-state labels like 'Li+' folded)."""
    comp = d.get("composition") if isinstance(d, Mapping) else None
    if not isinstance(comp, Mapping) or not comp:
        raise InputError(f"{where}: field 'composition' ({{element: atoms}}) is required")
    out: dict[str, float] = {}
    for k, v in comp.items():
        if str(k).startswith("@"):
            continue
        m = _ELEMENT.match(str(k))
        if not m:
            raise InputError(f"{where}: composition key {k!r} is not an element")
        out[m.group(1)] = out.get(m.group(1), 0.0) + number(where, f"composition[{k!r}]", v)
    return out


def _element_changes(defect_comp, bulk_comp, where: str) -> dict[str, int]:
    """Δn_i = n_i(defect) − n_i(bulk), as integers."""
    out = {}
    for el in set(defect_comp) | set(bulk_comp):
        dn = defect_comp.get(el, 0.0) - bulk_comp.get(el, 0.0)
        if abs(dn - round(dn)) > 1e-6:
            raise InputError(f"{where}: the defect and bulk supercells differ by a non-integer {dn:g} atoms of {el}")
        if round(dn) != 0:
            out[el] = int(round(dn))
    return out


def _site_density(defect, where: str) -> float:
    """N_X = multiplicity / V(defect.structure) in cm⁻³."""
    if not isinstance(defect, Mapping):
        raise InputError(f"{where}: field 'defect' (with 'multiplicity' and 'structure') is required")
    mult = number(where, "defect.multiplicity", defect.get("multiplicity"), positive=True)
    try:
        matrix = np.array(defect["structure"]["lattice"]["matrix"], float)
        vol = abs(float(np.linalg.det(matrix)))
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: field 'defect.structure.lattice.matrix' (Å) is required "
                         "for the site density") from None
    if not (math.isfinite(vol) and vol > 0):
        raise InputError(f"{where}: defect.structure has a zero cell volume")
    return mult * _CM3_PER_A3 / vol


@dataclass
class _Entry:
    group: str
    charge: int
    e0: float
    site_density: float
    degeneracy: float
    dn: dict


def _parse_entry(d, i: int, vbm: float, refs: Mapping[str, float], bulk_top, doped: bool, w: str) -> _Entry:
    """One DefectEntry mapping → its group name, charge, E0 (eV), N (cm⁻³), g and Δn."""
    where = f"{w}: defect entry {d.get('name', i) if isinstance(d, Mapping) else i!r}"
    if not isinstance(d, Mapping):
        raise InputError(f"{where}: expected a DefectEntry mapping")
    q = int(number(where, "charge_state", d.get("charge_state")))
    sc = d.get("sc_entry")
    bulk = d.get("bulk_entry") or bulk_top
    if bulk is None:
        raise InputError(f"{where}: no 'bulk_entry' (neither in the entry nor at the top level)")
    dn = _element_changes(_composition(sc, where + ".sc_entry"), _composition(bulk, where + ".bulk_entry"), where)
    missing = sorted(el for el in dn if el not in refs)
    if missing:
        raise InputError(f"{where}: no elemental reference energy for {missing} (give el_refs={{element: eV/atom}})")
    corr = d.get("corrections") or {}
    if not isinstance(corr, Mapping):
        raise InputError(f"{where}: field 'corrections' must be a mapping name -> eV")
    ecorr = sum(number(where, f"corrections[{k!r}]", v) for k, v in corr.items())
    e0 = (_entry_energy(sc, where + ".sc_entry") + ecorr - _entry_energy(bulk, where + ".bulk_entry")
          - sum(n * refs[el] for el, n in dn.items()) + q * vbm)
    g = 1.0
    if doped:
        for k, v in dict(d.get("degeneracy_factors") or {}).items():
            g *= number(where, f"degeneracy_factors[{k!r}]", v, positive=True)
    return _Entry(_group_name(d, q, dn, doped), q, e0, _site_density(d.get("defect"), where), g, dn)


def _group_name(d, q: int, dn: Mapping[str, int], doped: bool) -> str:
    """The species name of an entry: doped's name without the charge suffix, else built from Δn."""
    name = d.get("name")
    if doped and isinstance(name, str) and name:
        m = _NAME_Q.match(name)
        if m and int(m.group("q")) == q:
            return m.group("base")
        m = _NAME_Q_TAG.match(name)  # doped's "_a", "_b" for different defects of the same name
        if m and int(m.group("q")) == q:
            return f"{m.group('base')}_{m.group('tag')}"
    removed = [el for el, n in dn.items() if n < 0]
    added = [el for el, n in dn.items() if n > 0]
    if len(added) == 1 and not removed:
        return f"{added[0]}_i"
    if len(removed) == 1 and not added:
        return f"v_{removed[0]}"
    if len(added) == 1 and len(removed) == 1:
        return f"{added[0]}_{removed[0]}"
    return "defect_" + "_".join(f"{el}{n:+d}" for el, n in sorted(dn.items()))


def _species(groups: Mapping[str, list[_Entry]], w: str) -> tuple[list[DefectSpecies], list[str]]:
    """DefectSpecies from grouped entries (the lowest E0 kept per charge state)."""
    species, notes = [], []
    for name, entries in groups.items():
        stoich = entries[0].dn
        if any(e.dn != stoich for e in entries):
            raise InputError(f"{w}: the charge states of {name!r} do not add the same atoms "
                             f"({[e.dn for e in entries]})")
        N = entries[0].site_density
        best: dict[int, _Entry] = {}
        for e in entries:
            if e.charge in best:
                notes.append(f"{name} {e.charge:+d}: two entries; the lower energy (ground state) is kept")
            if e.charge not in best or e.e0 < best[e.charge].e0:
                best[e.charge] = e
        states = tuple(ChargeState(q, e.e0, e.degeneracy * e.site_density / N) for q, e in sorted(best.items()))
        species.append(DefectSpecies(name, states, site_density_cm3=N, stoichiometry=stoich))
    return species, notes


def _system(species, gap, mu, T, electron_mass, hole_mass, w) -> DefectSystem:
    if gap is None:
        raise InputError(f"{w}: no band gap stored; give band_gap_eV")
    return DefectSystem(tuple(species), ParabolicBands(gap, electron_mass, hole_mass), temperature_K=T,
                        mu_eV=dict(mu), source=w)


def _choose_limit(limits: Mapping[str, Mapping[str, float]], limit: str | None, w: str):
    """(name, μ) of the requested limit: a name, 'X-rich'/'X-poor', or None (the first, as doped does)."""
    if not limits:
        if limit is not None:
            raise InputError(f"{w}: limit {limit!r} requested but the file has no chemical-potential limits")
        return None, {}
    names = list(limits)
    if limit is None:
        chosen = names[0]
    elif limit in limits:
        chosen = limit
    else:
        m = re.match(r"^([A-Z][a-z]?)-(rich|poor)$", limit)
        if not m or not all(m.group(1) in limits[n] for n in names):
            raise InputError(f"{w}: unknown chemical-potential limit {limit!r}; have {names} or 'X-rich'/'X-poor'")
        el = m.group(1)
        pick = max if m.group(2) == "rich" else min
        chosen = pick(names, key=lambda n: float(limits[n][el]))
    return chosen, {str(k): float(v) for k, v in limits[chosen].items()}


def read_doped_json(path_or_data, *, ionization_potential_eV: float | None = None, limit: str | None = None,
                    el_refs: Mapping[str, float] | None = None, band_gap_eV: float | None = None,
                    temperature_K: float = 300.0, electron_mass: float = 1.0,
                    hole_mass: float = 1.0) -> DefectModelInput:
    """A defect model from doped's ``DefectThermodynamics`` JSON.

    Parameters
    ----------
    path_or_data : str, Path or mapping
        The JSON file (``.json`` or ``.json.gz``) or its parsed content: ``defect_entries`` (mapping
        name → DefectEntry, or a list), ``vbm`` (eV), ``band_gap`` (eV), ``chempots``, ``el_refs``.
    ionization_potential_eV : float, optional
        IP of the host, eV (not stored by doped).
    limit : str, optional
        Chemical-potential limit for the default μ: a key of ``chempots["limits_wrt_el_refs"]``,
        ``"Li-rich"``-style, or None for the first limit (doped's default).
    el_refs : mapping element → float, optional
        Elemental reference energies (eV/atom) overriding the file's.
    band_gap_eV : float, optional
        E_g overriding the file's ``band_gap``, eV.
    temperature_K : float
        Default temperature of the system, K.
    electron_mass, hole_mass : float
        DOS masses m*/m_0 of the parabolic bands.

    Returns
    -------
    DefectModelInput
    """
    data, w = load_json(path_or_data)
    if not isinstance(data, Mapping) or "defect_entries" not in data:
        raise InputError(f"{w}: not a doped DefectThermodynamics JSON (no 'defect_entries')")
    chempots = data.get("chempots") or {}
    refs = dict(el_refs or data.get("el_refs") or chempots.get("elemental_refs") or {})
    refs = {str(k): number(w, f"el_refs[{k!r}]", v) for k, v in refs.items()}
    raw = data["defect_entries"]
    entries_raw = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
    names = list(raw) if isinstance(raw, Mapping) else [None] * len(entries_raw)
    vbm = data.get("vbm")
    entries = []
    for i, (nm, d) in enumerate(zip(names, entries_raw, strict=True)):
        if isinstance(d, Mapping) and nm is not None and not d.get("name"):
            d = {**d, "name": nm}
        v = vbm
        if v is None and isinstance(d, Mapping):
            v = (d.get("calculation_metadata") or {}).get("vbm")
        entries.append(_parse_entry(d, i, number(w, "vbm", v), refs, None, True, w))
    groups: dict[str, list[_Entry]] = {}
    for e in entries:
        groups.setdefault(e.group, []).append(e)
    species, notes = _species(groups, w)
    limits = {str(k): dict(v) for k, v in dict(chempots.get("limits_wrt_el_refs") or {}).items()}
    chosen, mu = _choose_limit(limits, limit, w)
    if chosen is not None:
        notes.append(f"chemical potentials of limit {chosen!r}")
    gap = band_gap_eV if band_gap_eV is not None else data.get("band_gap")
    gap = number(w, "band_gap", gap, nonneg=True, allow_none=True)
    return DefectModelInput(source=w, format="doped", system=_system(species, gap, mu, temperature_K, electron_mass,
                                                                      hole_mass, w),
                            band_gap_eV=gap, ionization_potential_eV=ionization_potential_eV,
                            vbm_eV=None if vbm is None else float(vbm), elemental_references_eV=refs,
                            chemical_potential_limits=limits, limit=chosen, notes=tuple(notes))


def _pmg_refs(pd_entries, w: str) -> dict[str, float]:
    """Lowest energy per atom of the single-element ``pd_entries`` (eV/atom)."""
    refs: dict[str, float] = {}
    for i, e in enumerate(pd_entries or []):
        comp = _composition(e, f"{w}: pd_entries[{i}]")
        if len(comp) != 1:
            continue
        (el, n), = comp.items()
        val = _entry_energy(e, f"{w}: pd_entries[{i}]") / n
        refs[el] = min(refs.get(el, math.inf), val)
    return refs


def read_pmg_defects_json(path_or_data, *, ionization_potential_eV: float | None = None,
                          mu_eV: Mapping[str, float] | None = None, el_refs: Mapping[str, float] | None = None,
                          band_gap_eV: float | None = None, temperature_K: float = 300.0,
                          electron_mass: float = 1.0, hole_mass: float = 1.0) -> DefectModelInput:
    """A defect model from pymatgen-analysis-defects' ``FormationEnergyDiagram`` data (``as_dict()`` JSON).

    Parameters
    ----------
    path_or_data : str, Path, mapping or list
        A ``FormationEnergyDiagram`` (``defect_entries``, ``pd_entries``, ``vbm``, ``band_gap``,
        ``bulk_entry``), a ``MultiFormationEnergyDiagram`` (``formation_energy_diagrams``) or a list of
        ``FormationEnergyDiagram`` mappings.
    ionization_potential_eV : float, optional
        IP of the host, eV.
    mu_eV : mapping element → float, optional
        Default chemical potentials relative to the elemental references (eV); the stability region
        is not recomputed here (it needs pymatgen's phase diagram).
    el_refs : mapping element → float, optional
        Elemental reference energies (eV/atom) overriding those from ``pd_entries``.
    band_gap_eV : float, optional
        E_g overriding the stored ``band_gap``, eV.
    temperature_K : float
        Default temperature, K.
    electron_mass, hole_mass : float
        DOS masses m*/m_0 of the parabolic bands.

    Returns
    -------
    DefectModelInput
    """
    data, w = load_json(path_or_data)
    if isinstance(data, Mapping) and "formation_energy_diagrams" in data:
        feds = list(data["formation_energy_diagrams"])
    elif isinstance(data, list):
        feds = data
    else:
        feds = [data]
    if not feds or not all(isinstance(f, Mapping) and "defect_entries" in f and "vbm" in f for f in feds):
        raise InputError(f"{w}: not FormationEnergyDiagram data (each needs 'defect_entries' and 'vbm')")
    refs: dict[str, float] = {}
    for fed in feds:
        for el, v in _pmg_refs(fed.get("pd_entries"), w).items():
            refs[el] = min(refs.get(el, math.inf), v)
    refs.update({str(a): number(w, f"el_refs[{a!r}]", b) for a, b in dict(el_refs or {}).items()})
    groups: dict[str, list[_Entry]] = {}
    for k, fed in enumerate(feds):
        vbm = number(w, "vbm", fed.get("vbm"))
        parsed = [_parse_entry(d, i, vbm, refs, fed.get("bulk_entry"), False, w)
                  for i, d in enumerate(fed["defect_entries"])]
        if not parsed:
            continue
        name = parsed[0].group
        if name in groups:
            name = f"{name}_{k + 1}"
        groups[name] = parsed
    species, notes = _species(groups, w)
    gap = band_gap_eV if band_gap_eV is not None else feds[0].get("band_gap")
    gap = number(w, "band_gap", gap, nonneg=True, allow_none=True)
    return DefectModelInput(source=w, format="pymatgen-analysis-defects",
                            system=_system(species, gap, mu_eV or {}, temperature_K, electron_mass, hole_mass, w),
                            band_gap_eV=gap, ionization_potential_eV=ionization_potential_eV,
                            vbm_eV=float(feds[0]["vbm"]), elemental_references_eV=refs, notes=tuple(notes))


_PFD_KEYS = {"phi0", "NSites", "Ef0", "epsilon", "alpha", "T", "phi_target"}


def read_pfd_solution_yaml(path_or_data, *, ionization_potential_eV: float | None = None,
                           phi_li_eV: float | None = None, band_gap_eV: float | None = None,
                           electron_mass: float = 1.0, hole_mass: float = 1.0) -> DefectModelInput:
    """The two-defect layer parameters of a PFD_solution YAML input, and its Frenkel defect model.

    Parameters
    ----------
    path_or_data : str, Path or mapping
        The YAML file or its content: ``phi0`` (φ0^Li, V), ``NSites`` (N, cm⁻³), ``Ef0`` (E_f0, eV),
        ``epsilon`` (ε_r), ``alpha``, ``T`` (K), optional ``phi_target`` (V, kept in ``layer.extra``).
    ionization_potential_eV, phi_li_eV, band_gap_eV : float, optional
        IP, Φ_Li and E_g (eV); with all three the Frenkel :class:`DefectSystem` is built
        (:func:`ssbands.defects.frenkel.frenkel_system`), whose two-defect parameters are the file's.
    electron_mass, hole_mass : float
        DOS masses m*/m_0 of the parabolic bands of that system.

    Returns
    -------
    DefectModelInput
        ``layer`` always; ``system`` when IP, Φ_Li and E_g are given.
    """
    if isinstance(path_or_data, Mapping):
        data, w = path_or_data, "<mapping>"
    else:
        import yaml

        from ..materials.library import safe_load

        p = Path(path_or_data)
        w = str(p)
        try:
            data = safe_load(read_text_file(p, "PFD_solution input"))
        except yaml.YAMLError as exc:
            raise InputError(f"PFD_solution input {w!r} is not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise InputError(f"{w}: expected a mapping with phi0, NSites, Ef0, epsilon, alpha, T")
    unknown = sorted(str(k) for k in data if str(k) not in _PFD_KEYS)
    if unknown:
        raise InputError(f"{w}: unknown key(s) {unknown}; PFD_solution keys are {sorted(_PFD_KEYS)}")
    layer = TwoDefectParameters(
        site_density_cm3=number(w, "NSites", data.get("NSites"), positive=True),
        defect_energy_eV=number(w, "Ef0", data.get("Ef0")), phi0_li_V=number(w, "phi0", data.get("phi0")),
        alpha=number(w, "alpha", data.get("alpha", 0.1), positive=True),
        temperature_K=number(w, "T", data.get("T", 300.0), positive=True),
        permittivity=number(w, "epsilon", data.get("epsilon"), positive=True, allow_none=True), source=w,
        extra={"phi_target_V": float(data["phi_target"])} if data.get("phi_target") is not None else {})
    system = None
    if None not in (ionization_potential_eV, phi_li_eV, band_gap_eV):
        # the three are floats here; phi0 is a required PFD_solution key (never None)
        system = frenkel_system(layer.site_density_cm3, layer.defect_energy_eV, cast(float, layer.phi0_li_V),
                                cast(float, ionization_potential_eV), cast(float, phi_li_eV),
                                cast(float, band_gap_eV), temperature_K=layer.temperature_K,
                                electron_mass=electron_mass, hole_mass=hole_mass, source=w)
    return DefectModelInput(source=w, format="PFD_solution", system=system, band_gap_eV=band_gap_eV,
                            ionization_potential_eV=ionization_potential_eV, layer=layer)
