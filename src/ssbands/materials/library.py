"""Materials library: validated, immutable material records with citations.

Built-in data live in ``materials/data/*.yaml``; a user YAML file adds materials or overrides
single fields of built-in ones (field by field). Every parameter is a :class:`Param` with its value,
source and notes; a value nobody published is ``unknown`` and asking for it raises
:class:`~ssbands.errors.UnknownParameterError` naming the material, the field and the fix.

Facets. A facet changes the interface, not the bulk: an electrolyte may give ``facet_dipole_V``,
``{facet: δ_f}`` in V, the interface dipole of each facet relative to its ``phi0_li_V``. The name
``Bulk(facet)`` (e.g. ``Li2O(110)``) then resolves to the bulk material with that facet selected,
whose step against Li metal is ``phi0_li_V − δ_f`` (δ_f with the sign of the interface kernel's
dipole: the step from the electrode to the electrolyte). :meth:`Library.of_kind` lists such a
material once per facet, since its interfaces differ by facet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ..errors import InputError, UnknownParameterError, read_text_file

KINDS = ("metal", "electrode", "electrolyte")

#: Fields each kind accepts, with (description, unit, check).
_POS = "positive"
_FIELDS: dict[str, dict[str, tuple[str, str, str | None]]] = {
    "metal": {
        "work_function_eV": ("work function", "eV", _POS),
        "li_work_function_eV": ("work function of the lithiated collector surface over its Li fraction "
                                "(table, x = 0 pristine .. 1 saturated)", "eV", "li_table"),
        "li_capacity_cm3": ("Li atoms per cm3 of the lithiated collector layer at Li fraction 1 "
                            "(sets the depth of the lithiation front)", "cm^-3", _POS),
    },
    "electrode": {
        "work_function_eV": ("work function (constant or table over Li fraction)", "eV", _POS),
        "ocv_V": ("open-circuit potential vs Li/Li+ over Li fraction", "V", None),
        "li_capacity_cm3": ("Li atoms per cm3 of electrode at Li fraction 1", "cm^-3", _POS),
        "li_fraction_range": ("usable Li fraction range [min, max]", "", "range01"),
        "permittivity": ("relative permittivity", "", _POS),
    },
    "electrolyte": {
        "phi0_li_V": ("SCL step against Li metal, phi0^Li", "V", None),
        "facet_dipole_V": ("interface dipole of each facet relative to phi0_li_V, {facet: V}; "
                           "phi0_li_V of facet f = phi0_li_V - dipole_f", "V", "facets"),
        "site_density_cm3": ("Li defect site density N", "cm^-3", _POS),
        "defect_energy_eV": ("defect formation energy E_f0 at the neutral bulk potential", "eV", None),
        "alpha": ("saturation factor (largest site fraction a defect may fill)", "", "fraction"),
        "permittivity": ("relative permittivity eps_r", "", _POS),
        "window_V": ("electrochemical stability window [V_red, V_ox] vs Li/Li+", "V", "window"),
        "band_gap_eV": ("band gap", "eV", "nonneg"),
        "ionization_potential_eV": ("ionization potential (E_vac - E_VBM)", "eV", _POS),
        "ionic_conductivity_S_cm": ("bulk ionic conductivity at 300 K", "S/cm", _POS),
        "activation_energy_eV": ("activation energy of ionic conduction", "eV", "nonneg"),
        "electronic_conductivity_S_cm": ("electronic conductivity", "S/cm", _POS),
        "diffusivity_cm2_s": ("Li defect diffusivity", "cm^2/s", _POS),
        "defect_model": ("defect-model file (the YAML `ssbands fermi` reads, species with their Li stoichiometry) "
                         "from which the cell solve takes the electrolyte bulk and its layers", "", "path"),
        "diffusivity_Li_i_cm2_s": ("diffusivity of the Li interstitial Li_i+ at 300 K", "cm^2/s", _POS),
        "diffusivity_V_Li_cm2_s": ("diffusivity of the Li vacancy V_Li- at 300 K", "cm^2/s", _POS),
        "migration_barrier_Li_i_eV": ("migration barrier E_m of Li_i+ (D = D0 exp(-E_m/kT))", "eV", "nonneg"),
        "migration_barrier_V_Li_eV": ("migration barrier E_m of V_Li- (D = D0 exp(-E_m/kT))", "eV", "nonneg"),
        "diffusivity_prefactor_Li_i_cm2_s": ("prefactor D0 of the Li_i+ diffusivity", "cm^2/s", _POS),
        "diffusivity_prefactor_V_Li_cm2_s": ("prefactor D0 of the V_Li- diffusivity", "cm^2/s", _POS),
        "conductivity_fraction_Li_i": ("carrier split: fraction of the bulk ionic conductivity at 300 K carried "
                                       "by Li_i+ (the rest by V_Li-)", "", "unit"),
    },
}
_META = {"kind", "description"}
_PARAM_KEYS = {"value", "source", "note", "estimate", "alternatives", "kind", "file", "x", "values",
               "branches", "default_branch", "coefficients", "singular_term"}


@dataclass(frozen=True)
class Param:
    """One material parameter: its value (``None`` when unknown) and where it came from."""

    value: Any
    source: str | None = None
    note: str | None = None
    estimate: bool = False
    spec: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def known(self) -> bool:
        """True when the value (or function spec) is known."""
        return self.value is not None or bool(self.spec)

    def to_dict(self) -> dict:
        """Plain dict of the parameter as written in a library file."""
        d: dict[str, Any] = {"value": "unknown" if not self.known else _plain(self.value)}
        if self.spec:
            d = {k: _plain(v) for k, v in self.spec.items() if k not in ("source", "note", "estimate")}
        for k in ("source", "note"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        if self.estimate:
            d["estimate"] = True
        return d


def _plain(v):
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


UNKNOWN = Param(None)

#: ``Bulk(facet)``: a material name with a facet selected, e.g. ``Li2O(110)``
_FACET_NAME = re.compile(r"^(?P<bulk>.+)\((?P<facet>[^()]+)\)$")
#: a facet label: three or four Miller indices, each an optionally negative digit ("110", "1-10",
#: "10-10") or comma-separated integers ("1,1,10")
_FACET_LABEL = re.compile(r"^(?:(?:-?\d){3,4}|-?\d+(?:,-?\d+){2,3})$")


@dataclass(frozen=True)
class Material:
    """An immutable material record. Use :meth:`get` to read a parameter that must be known."""

    name: str
    kind: str
    params: Mapping[str, Param]
    description: str = ""
    origin: str = "built-in"
    #: the selected facet (``"110"``) of a facet material such as ``Li2O(110)``; None for a bulk record
    facet: str | None = None
    #: the name of the bulk material a facet material was made from (None for a bulk record)
    bulk_name: str | None = None

    def param(self, field_name: str) -> Param:
        """The :class:`Param` of ``field_name`` (unknown when not given); InputError for a field the kind lacks."""
        allowed = _FIELDS[self.kind]
        if field_name not in allowed:
            raise InputError(f"material {self.name!r} ({self.kind}) has no field {field_name!r}; "
                             f"fields: {', '.join(sorted(allowed))}")
        return self.params.get(field_name, UNKNOWN)

    def has(self, field_name: str) -> bool:
        """True when ``field_name`` is a field of this kind and its value is known."""
        return field_name in _FIELDS[self.kind] and self.param(field_name).known

    def get(self, field_name: str, purpose: str = "") -> Any:
        """The value of ``field_name``; raises UnknownParameterError if it is unknown."""
        p = self.param(field_name)
        if not p.known:
            raise UnknownParameterError(self.name, field_name, purpose)
        return p.value if p.value is not None else p.spec

    @property
    def facets(self) -> tuple[str, ...]:
        """The facets this bulk material has an interface dipole for (empty when none or for a facet record)."""
        if self.facet is not None or self.kind != "electrolyte" or not self.has("facet_dipole_V"):
            return ()
        return tuple(self.get("facet_dipole_V"))

    def with_facet(self, facet: str) -> Material:
        """The bulk electrolyte with one facet selected: the record named ``Name(facet)``.

        Parameters
        ----------
        facet : str
            A key of ``facet_dipole_V`` (Miller indices, e.g. ``"110"``).

        Returns
        -------
        Material
            A copy named ``f"{name}({facet})"`` whose ``phi0_li_V`` is the bulk value minus the facet's
            dipole δ_f (V), computed in decimal so that tabulated values are reproduced exactly; its
            ``facet`` and ``bulk_name`` name the selection.

        Raises
        ------
        InputError
            If the material has no dipole for ``facet``.
        """
        facet = str(facet)
        if facet not in self.facets:
            have = ", ".join(self.facets) or "none (no facet_dipole_V)"
            raise InputError(f"material {self.name!r} has no facet {facet!r}; facets: {have}. Add its dipole to "
                             f"facet_dipole_V in a user library YAML file and pass --library FILE.")
        dip = self.params["facet_dipole_V"]
        delta = float(dip.value[facet])
        params = dict(self.params)
        base = self.params.get("phi0_li_V", UNKNOWN)
        if base.known:
            value = float(Decimal(repr(float(base.value))) - Decimal(repr(delta)))
            note = (f"phi0_li_V of the bulk ({float(base.value)!r} V) minus the ({facet}) facet dipole "
                    f"{delta!r} V (facet_dipole_V)")
            params["phi0_li_V"] = Param(value, base.source, note, base.estimate or dip.estimate)
        desc = f"{self.description or self.name}, ({facet}) interface"
        return Material(name=f"{self.name}({facet})", kind=self.kind, params=MappingProxyType(params),
                        description=desc, origin=self.origin, facet=facet, bulk_name=self.name)

    @property
    def is_electron_conductor(self) -> bool:
        """True for metals and electrodes (they share the Fermi level of what they touch)."""
        return self.kind in ("metal", "electrode")

    def provenance(self, cite=None) -> dict:
        """The known parameters as used, each with its source: what a result records about this material.

        Parameters
        ----------
        cite : callable, optional
            Maps a citation key to its full reference (e.g. :meth:`Library.cite`).

        Returns
        -------
        dict
            ``{"origin": ..., "parameters": {field: {"value" | "kind", "source", "reference", "estimate"}}}``;
            tabulated or fitted functions are recorded by kind and source, not by their data.
        """
        pars: dict[str, dict] = {}
        for f in sorted(_FIELDS[self.kind]):
            p = self.params.get(f, UNKNOWN)
            if not p.known:
                continue
            d: dict[str, Any] = {"value": _plain(p.value)} if p.value is not None else {"kind": p.spec.get("kind")}
            if p.source:
                d["source"] = p.source
                ref = cite(p.source) if cite is not None else None
                if ref:
                    d["reference"] = ref
            if p.estimate:
                d["estimate"] = True
            pars[f] = d
        return {"origin": self.origin, "parameters": pars}

    def to_dict(self) -> dict:
        """Plain dict of the material with every field, its unit, description and source."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "description": self.description,
                               "origin": self.origin, "parameters": {}}
        for f, (desc, unit, _) in _FIELDS[self.kind].items():
            d = self.param(f).to_dict()
            d["description"] = desc
            if unit:
                d["unit"] = unit
            out["parameters"][f] = d
        return out


class Library(Mapping[str, Material]):
    """Case-insensitive mapping of material names to :class:`Material`.

    Besides the stored materials it resolves ``Bulk(facet)`` names (e.g. ``Li2O(110)``) to the bulk
    material with that facet selected (:meth:`Material.with_facet`); iteration lists the stored names
    and then those facet names.
    """

    def __init__(self, materials: Iterable[Material], references: Mapping[str, str] | None = None):
        self._m = {m.name.lower(): m for m in materials}
        self.references = dict(references or {})

    def _facet_names(self) -> list[str]:
        return [f"{m.name}({f})" for m in self._m.values() for f in m.facets
                if f"{m.name}({f})".lower() not in self._m]

    def facet_of(self, name: str) -> tuple[Material, str] | None:
        """``(bulk material, facet)`` when ``name`` is ``Bulk(facet)`` of a stored material, else None.

        Parameters
        ----------
        name : str
            A material name (case-insensitive).

        Returns
        -------
        tuple of (Material, str) or None
            The stored bulk material and the facet label (which it may lack: see
            :meth:`Material.with_facet`); None when ``name`` is a stored name or has no ``(facet)`` suffix
            on a stored material.
        """
        key = str(name).lower()
        if key in self._m:
            return None
        m = _FACET_NAME.match(str(name).strip())
        if m is None or m.group("bulk").lower() not in self._m:
            return None
        return self._m[m.group("bulk").lower()], m.group("facet").strip()

    def __getitem__(self, name: str) -> Material:
        key = str(name).lower()
        if key in self._m:
            return self._m[key]
        sel = self.facet_of(name)
        if sel is not None:
            return sel[0].with_facet(sel[1])
        raise InputError(
            f"unknown material {name!r}; known: {', '.join(sorted(self))}. "
            "Add it in a user library YAML file and load that file (load_library(FILE); command line: the "
            "library option)."
        ) from None

    def __iter__(self):
        yield from (m.name for m in self._m.values())
        yield from self._facet_names()

    def __len__(self):
        return len(self._m) + len(self._facet_names())

    def __contains__(self, name: object) -> bool:
        if str(name).lower() in self._m:
            return True
        sel = self.facet_of(str(name))
        return sel is not None and sel[1] in sel[0].facets

    def of_kind(self, kind: str) -> list[Material]:
        """The materials of one kind (metal, electrode or electrolyte).

        A bulk material with facet dipoles is listed once per facet (``Li2O(111)``, ``Li2O(110)``), not
        as the bulk record: its interfaces, and so every screen of it, depend on the facet.
        """
        out: list[Material] = []
        for m in self._m.values():
            if m.kind != kind:
                continue
            if not m.facets:
                out.append(m)
                continue
            # a facet name stored as a material of its own (a user's separate record) shadows the facet
            out.extend(m.with_facet(f) for f in m.facets if f"{m.name}({f})".lower() not in self._m)
        return out

    def cite(self, key: str | None) -> str | None:
        """The full reference of a citation key (None for None; the key itself when it is not a key)."""
        if key is None:
            return None
        return self.references.get(key, key)


# ----------------------------------------------------------------------------------------------
# parsing and validation

def _check_number(where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InputError(f"{where}: expected a finite number, got {v!r}")
    return float(v)


def _validate_facets(where: str, v: Any) -> Mapping[str, float]:
    """``{facet: dipole_V}`` with quoted Miller-index labels and finite dipoles (an immutable mapping)."""
    if not isinstance(v, Mapping) or not v:
        raise InputError(f"{where}: expected a mapping of facets to dipoles in V, e.g. {{'111': 0.0, '110': 1.47}}, "
                         f"got {v!r}")
    out = {}
    for k, d in v.items():
        if not isinstance(k, str):
            raise InputError(f"{where}: facet label {k!r} must be a quoted string such as '110' (YAML reads an "
                             "unquoted 110 as a number and 001 as 1)")
        if not _FACET_LABEL.match(k.strip()):
            raise InputError(f"{where}: facet label {k!r} is not Miller indices (e.g. '111', '1-10', '10-10', "
                             "'1,1,10')")
        out[k.strip()] = _check_number(f"{where}, facet {k!r}", d)
    return MappingProxyType(out)


def _check_li_table(where: str, spec: Mapping[str, Any]) -> None:
    """A Li-dependent collector work function: a table over the Li fraction x in [0, 1] with values > 0."""
    if spec.get("kind") != "table":
        raise InputError(f"{where}: expected a table {{kind: table, x: [...], values: [...]}} over the Li "
                         f"fraction, got kind {spec.get('kind')!r}")
    if "file" in spec:
        return
    xs, vals = [float(t) for t in spec["x"]], [float(t) for t in spec["values"]]
    if xs[0] < 0.0 or xs[-1] > 1.0:
        raise InputError(f"{where}: table x (Li fraction) must lie within [0, 1], got {spec['x']!r}")
    if min(vals) <= 0.0:
        raise InputError(f"{where}: table values (work functions, eV) must be > 0, got {spec['values']!r}")


def _validate_value(where: str, check: str | None, v: Any) -> Any:
    if check == "path":
        if not isinstance(v, str) or not v.strip():
            raise InputError(f"{where}: expected a file name (relative to the library file), got {v!r}")
        return v
    if check == "facets":
        return _validate_facets(where, v)
    if check == "li_table":
        raise InputError(f"{where}: expected a table {{kind: table, x: [...], values: [...]}} over the Li fraction, "
                         f"got {v!r}")
    if check == "window" or check == "range01":
        if not (isinstance(v, (list, tuple)) and len(v) == 2):
            raise InputError(f"{where}: expected a pair [low, high], got {v!r}")
        lo, hi = (_check_number(where, x) for x in v)
        if not lo < hi:
            raise InputError(f"{where}: expected low < high, got {v!r}")
        if check == "range01" and not (0.0 <= lo and hi <= 1.0):
            raise InputError(f"{where}: a Li fraction range must lie within [0, 1], got {v!r}")
        return (lo, hi)
    x = _check_number(where, v)
    if check == _POS and not x > 0:
        raise InputError(f"{where}: must be > 0, got {v!r}")
    if check == "nonneg" and x < 0:
        raise InputError(f"{where}: must be >= 0, got {v!r} (a negative band gap or energy is not physical)")
    if check == "fraction" and not 0 < x <= 1:
        raise InputError(f"{where}: must be in (0, 1], got {v!r}")
    if check == "unit" and not 0 <= x <= 1:
        raise InputError(f"{where}: must be in [0, 1], got {v!r}")
    return x


def _parse_param(where: str, check: str | None, raw: Any, origin: str) -> Param:
    if isinstance(raw, str) and raw.strip().lower() == "unknown":
        return UNKNOWN
    if not isinstance(raw, Mapping):
        return Param(_validate_value(where, check, raw), source=origin)
    if check == "facets" and not (set(raw) & _PARAM_KEYS):  # a bare {facet: dipole} mapping
        return Param(_validate_value(where, check, raw), source=origin)
    bad = set(raw) - _PARAM_KEYS
    if bad:
        raise InputError(f"{where}: unexpected key(s) {sorted(bad)}; allowed: {sorted(_PARAM_KEYS)}")
    source = raw.get("source", origin if origin != "built-in" else None)
    note = raw.get("note")
    estimate = bool(raw.get("estimate", False))
    if "kind" in raw:  # a function spec (OCV curve or tabulated work function), validated by thermo
        from ..thermo import validate_function_spec

        if check == "facets":
            raise InputError(f"{where}: expected a mapping of facets to dipoles in V, not a function spec")

        spec = dict(raw)
        validate_function_spec(where, spec)
        if check == "li_table":
            _check_li_table(where, spec)
        return Param(None, source, note, estimate, MappingProxyType(spec))
    if "value" not in raw:
        raise InputError(f"{where}: a parameter mapping needs 'value' (or 'kind' for a function)")
    v = raw["value"]
    if isinstance(v, str) and v.strip().lower() == "unknown":
        return Param(None, source, note, estimate)
    return Param(_validate_value(where, check, v), source, note, estimate)


#: Physical bounds of scalar fields (inclusive), with the reason a value outside is an input error. A
#: number outside them is a typo or a unit slip (e.g. m^-3 for cm^-3), not a material.
PHYSICAL_BOUNDS: dict[str, tuple[float, float, str]] = {
    "work_function_eV": (1.0, 8.0, "work functions of solids lie between about 2 eV (Cs) and 6 eV"),
    "phi0_li_V": (-10.0, 10.0, "the step of an electrolyte against Li metal is a few volts"),
    "site_density_cm3": (1e15, 5e23, "no solid has more than about 2e23 atoms per cm^3"),
    "li_capacity_cm3": (1e18, 5e23, "no solid has more than about 2e23 atoms per cm^3"),
    "defect_energy_eV": (-20.0, 20.0, "defect formation energies are a few eV"),
    "permittivity": (1.0, 1e5, "relative permittivities are >= 1 (vacuum) and below about 1e5"),
    "window_V": (0.0, 6.5, "electrode potentials lie between 0 V (Li metal) and about 6 V vs Li/Li+ (F2/F-)"),
    "band_gap_eV": (0.0, 20.0, "band gaps of solids are below about 15 eV (LiF: 14 eV)"),
    "ionization_potential_eV": (1.0, 20.0, "ionization potentials of solids lie between about 2 and 15 eV"),
    "ionic_conductivity_S_cm": (1e-30, 10.0, "the best solid Li-ion conductors reach about 0.1 S/cm"),
    "electronic_conductivity_S_cm": (1e-40, 1e7, "no solid conducts better than Ag (6e5 S/cm)"),
    "diffusivity_cm2_s": (1e-40, 1.0, "diffusivities in solids are far below 1 cm^2/s"),
    "activation_energy_eV": (0.0, 5.0, "activation energies of ionic conduction are below a few eV"),
}


def check_physical(material: Material, where: str) -> None:
    """Refuse scalar (and tabulated work-function) values outside :data:`PHYSICAL_BOUNDS`.

    Parameters
    ----------
    material : Material
    where : str
        The file or origin, for the message.

    Raises
    ------
    InputError
        Naming the material, the field, the value, the bounds and why.
    """
    if material.kind == "electrode" and material.params.get("ocv_V", UNKNOWN).known:
        from ..thermo import ocv_curve  # the curve must build (a table falls, a file reads) for every branch

        spec = material.params["ocv_V"].spec
        for b in (list(spec.get("branches", {})) or [None]) if spec.get("kind") == "polynomial" else [None]:
            try:
                ocv_curve(material, b)
            except InputError as exc:
                raise InputError(f"{where}: {exc}") from None
    for fld, (lo, hi, why) in PHYSICAL_BOUNDS.items():
        p = material.params.get(fld)
        if p is None or not p.known:
            continue
        values = p.value if p.value is not None else p.spec.get("values") if p.spec.get("kind") == "table" else \
            [p.spec["value"]] if p.spec.get("kind") == "constant" else None
        if values is None:
            continue
        for v in (values if isinstance(values, (list, tuple)) else [values]):
            if isinstance(v, (int, float)) and not lo <= v <= hi:
                raise InputError(f"{where}: material {material.name!r}, field {fld!r}: {v!r} is outside "
                                 f"[{lo:g}, {hi:g}] ({why}); check the value and its unit")


def _parse_material(name: str, raw: Any, origin: str, base: Material | None, data_dir: Path | None,
                    file_label: str | None = None) -> Material:
    where0 = f"{file_label or origin}: material {name!r}"
    if not isinstance(raw, Mapping):
        raise InputError(f"{where0}: expected a mapping of fields, got {type(raw).__name__}")
    kind = raw.get("kind", base.kind if base else None)
    if kind not in KINDS:
        raise InputError(f"{where0}: field 'kind' must be one of {KINDS}, got {kind!r}")
    if base is not None and kind != base.kind:
        base = None  # a change of kind replaces the material
    allowed = _FIELDS[kind]
    params = dict(base.params) if base else {}
    for key, value in raw.items():
        if key in _META:
            continue
        if key not in allowed:
            raise InputError(f"{where0}: unknown field {key!r} for a {kind}; fields: {', '.join(sorted(allowed))}")
        p = _parse_param(f"{where0}, field {key!r}", allowed[key][2], value, origin)
        if p.spec.get("kind") == "table" and "file" in p.spec:
            spec = dict(p.spec)
            spec["_dir"] = str(data_dir) if data_dir else "."
            table = Path(spec["_dir"]) / str(spec["file"])
            if not table.is_file():
                raise InputError(f"{where0}, field {key!r}: table file {str(table)!r} does not exist (a relative "
                                 "'file' is read next to the library file)")
            p = Param(None, p.source, p.note, p.estimate, MappingProxyType(spec))
        if allowed[key][2] == "path" and p.value is not None and not Path(p.value).is_absolute():
            p = Param(str((Path(data_dir) if data_dir else Path(".")) / p.value), p.source, p.note, p.estimate)
        params[key] = p
    desc = raw.get("description", base.description if base else "")
    mat = Material(name=name, kind=kind, params=MappingProxyType(params), description=str(desc),
                   origin=origin if base is None else f"{base.origin} + {origin}")
    check_physical(mat, origin)
    return mat


class DuplicateKeyError(yaml.YAMLError):
    """A YAML mapping gives the same key twice (PyYAML would silently keep the last value).

    Parameters
    ----------
    key : object
        The repeated key.
    line, first_line : int
        Lines (1-based) of the repetition and of the first occurrence.
    """

    def __init__(self, key, line: int, first_line: int):
        self.key, self.line, self.first_line = key, line, first_line
        super().__init__(f"key {key!r} appears twice (lines {first_line} and {line}); keys of a mapping must be "
                         "unique (remove one)")


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads ``3.2e22`` (no exponent sign, no dot) as a float and refuses duplicate keys."""

    def construct_mapping(self, node, deep=False):
        """The mapping of ``node``; a key given twice (merge keys ``<<`` aside) raises DuplicateKeyError."""
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:  # an unhashable key: PyYAML reports it itself
                    continue
                if key in seen:
                    raise DuplicateKeyError(key, key_node.start_mark.line + 1, seen[key])
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def safe_load(text: str):
    """``yaml.safe_load`` with scientific notation such as ``1e22`` read as a number."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


#: Top-level keys of a library file (keys starting with "_" hold YAML anchors and are skipped).
LIBRARY_TOP_KEYS = ("materials", "references")
#: A ``source`` written like a citation key (one word of letters, digits and "_") must be a key of the
#: bibliography (``references``); a reference written out (with spaces or punctuation) is taken as it is.
_CITATION_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _read_yaml(path: Path, text: str | None = None) -> Mapping[str, Any]:
    if text is None:
        text = read_text_file(path, "library file")
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"library file {str(path)!r} is not valid YAML: {exc}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("materials"), Mapping):
        raise InputError(f"library file {str(path)!r}: expected a top-level 'materials:' mapping "
                         "of material names to fields")
    bad = sorted(str(k) for k in data if k not in LIBRARY_TOP_KEYS and not str(k).startswith("_"))
    if bad:
        raise InputError(f"library file {str(path)!r}: unknown top-level key(s) {bad}; allowed: "
                         f"{list(LIBRARY_TOP_KEYS)} (and '_name' keys that hold YAML anchors)")
    refs = data.get("references")
    if refs is not None and not (isinstance(refs, Mapping) and all(isinstance(v, str) for v in refs.values())):
        raise InputError(f"library file {str(path)!r}: 'references' must map citation keys to full references "
                         "(text), e.g. {smith2020: \"J. Smith et al., J. Chem. Phys. 152, 1 (2020)\"}")
    return data


def check_citations(materials: Mapping, references: Mapping, origin: str) -> None:
    """Refuse citation keys of a library file that its bibliography does not define.

    Every ``source`` and every key of ``alternatives`` written like a key (one word: letters,
    digits, ``_``) must be a key of ``references`` (built-in or from the same or an earlier file).

    Parameters
    ----------
    materials : mapping
        The file's ``materials:`` mapping as read (name → fields).
    references : mapping
        Known citation keys → full references.
    origin : str
        The file, for the message.

    Raises
    ------
    InputError
        Naming the file, the material, the field and the key.
    """
    for name, raw in materials.items():
        if str(name).startswith("_") or not isinstance(raw, Mapping):
            continue
        for fld, spec in raw.items():
            if not isinstance(spec, Mapping):
                continue
            keys = [spec.get("source")] + list((spec.get("alternatives") or {}) if isinstance(
                spec.get("alternatives"), Mapping) else [])
            for key in keys:
                if isinstance(key, str) and _CITATION_KEY.match(key) and key not in references:
                    raise InputError(f"{origin}: material {name!r}, field {fld!r}: citation key {key!r} is not in the "
                                     "bibliography; define it under 'references:' (key: full reference) or write "
                                     "the reference out in 'source'")


@lru_cache(maxsize=1)
def _builtin() -> Library:
    d = resources.files("ssbands.materials") / "data"
    data_dir = Path(str(d))
    refs = safe_load((data_dir / "references.yaml").read_text(encoding="utf-8"))
    mats: dict[str, Material] = {}
    for fname in ("metals.yaml", "electrodes.yaml", "electrolytes.yaml"):
        data = _read_yaml(data_dir / fname)
        check_citations(data["materials"], refs, f"built-in {fname}")
        for name, raw in data["materials"].items():
            if str(name).startswith("_"):
                continue
            mats[str(name).lower()] = _parse_material(str(name), raw, "built-in", None, data_dir,
                                                      file_label=f"built-in library file {fname}")
    return Library(mats.values(), refs)


def load_library(extra: str | Path | Iterable[str | Path] | None = None) -> Library:
    """The built-in library, with materials added or overridden by user YAML file(s) ``extra``.

    A user file has the same form as the built-in files::

        materials:
          LiPON: {permittivity: 15.0}               # override one field, keep the rest
          MySE:                                     # a new material
            kind: electrolyte
            phi0_li_V: {value: 1.1, source: "my DFT, 2026"}

    A bare number is taken as a value whose source is the user file.
    """
    lib = _builtin()
    if extra is None:
        return lib
    if isinstance(extra, (str, Path)):
        paths = [extra]
    elif isinstance(extra, Iterable) and all(isinstance(p, (str, Path)) for p in extra):
        paths = list(extra)
    else:
        raise InputError(f"a library must be given as a YAML file path or a list of paths, got {extra!r}")
    mats = dict(lib._m)  # the stored records (facet names are derived from them, not stored)
    refs = dict(lib.references)
    for p in paths:
        path = Path(p)
        data = _read_yaml(path)
        refs.update({str(k): str(v) for k, v in (data.get("references") or {}).items()})
        check_citations(data["materials"], refs, f"library file {str(path)!r}")
        for name, raw in data["materials"].items():
            base = mats.get(str(name).lower())
            if base is None and isinstance(raw, Mapping) and "kind" not in raw:
                _refuse_facet_override(Library(mats.values()), str(name), path)
            m = _parse_material(base.name if base else str(name), raw, str(path), base, path.parent)
            mats[str(name).lower()] = m
    return Library(mats.values(), refs)


def _refuse_facet_override(lib: Library, name: str, path: Path) -> None:
    """A user entry ``Bulk(facet)`` without ``kind`` cannot override a facet: say what to write instead."""
    sel = lib.facet_of(name)
    if sel is not None and sel[1] in sel[0].facets:
        bulk, facet = sel
        raise InputError(
            f"{str(path)}: material {name!r} is the ({facet}) facet of {bulk.name!r}, not a material of its own: "
            f"override the bulk fields under {bulk.name!r} (all facets) or its dipole with "
            f"{bulk.name}: {{facet_dipole_V: {{'{facet}': VALUE}}}}; or give 'kind' to define a separate material "
            f"named {name!r}.")


def field_names(kind: str) -> dict[str, tuple[str, str]]:
    """The fields a material of ``kind`` accepts: ``{name: (description, unit)}``."""
    return {k: (d, u) for k, (d, u, _) in _FIELDS[kind].items()}
