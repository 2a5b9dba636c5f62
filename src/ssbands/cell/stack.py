"""A cell stack: ordered layers (anode side first), interfaces and conditions.

The stack file is TOML (other tools write it; the form is documented in docs/stack-file.md)::

    temperature_K = 300.0
    ground = "cathode"              # or "anode"
    closure = "minimum-interface"   # or "extrinsic", then mu_li_se_eV = -1.2
    tip_work_function_eV = 5.65     # optional (KPFM tip), default 5.65 (Pt-coated tip)
    [[layer]]
    material = "Cu"
    role = "current-collector"      # current-collector | anode | electrolyte | cathode | base
    thickness_nm = 200
    # name = "Cu-anode-side"        # optional; defaults to the material name
    # li_fraction = 0.0             # optional starting Li content of an electrode
    # branch = "lithiation"         # optional OCV branch of an electrode
    # lithiation_front_nm = 50      # current collector only: depth (from the electrode) to which Li
    #                               # entered it, at li_fraction; needs the metal's li_work_function_eV
    [[interface]]                   # optional
    left = "LixSi"
    right = "LiPON"
    dipole_V = 0.0

Stacks are immutable and validated at construction; errors name the file, the layer and the field.
The dipoles are a read-only mapping; quantities derived from a stack (its OCV curves and its Li
balance) are computed once, on first use, from the immutable fields.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UnknownParameterError, read_text_file
from ..materials import Library, Material, load_library
from ..thermo import CLOSURES, OCVCurve, ocv_curve, work_function_depends_on_li

if TYPE_CHECKING:
    from .state import LiBalance

ROLES = ("current-collector", "anode", "electrolyte", "cathode", "base")
GROUNDS = ("cathode", "anode")
_LAYER_KEYS = {"material", "role", "thickness_nm", "name", "li_fraction", "branch", "lithiation_front_nm"}
_TOP_KEYS = {"temperature_K", "ground", "closure", "mu_li_se_eV", "tip_work_function_eV", "layer", "interface",
             "title", "library", "extrinsic_defects"}
_IFACE_KEYS = {"left", "right", "dipole_V"}
DEFAULT_TIP_WORK_FUNCTION_EV = 5.65
#: Largest interface dipole step (V) in magnitude: dipoles at electrode|electrolyte interfaces are a
#: fraction of a volt to a few volts.
MAX_DIPOLE_V = 10.0
#: No electrode lies more than this far above Li/Li+ (F2/F- at about 5.9 V is the most oxidising couple), so
#: the electrolyte's mu_Li is at least minus this (eV).
MAX_LI_POTENTIAL_V = 6.0
#: Work functions of real KPFM tips (metal coatings, doped Si, diamond) lie within this range (eV);
#: the lowest elemental work function is that of Cs (about 2.1 eV, Michaelson 1977).
TIP_WORK_FUNCTION_RANGE_EV = (1.0, 8.0)


def _a(noun: str) -> str:
    """``noun`` with its indefinite article ("an electrode", "a metal")."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


class ReadOnlyMapping(Mapping):
    """An immutable, hashable and picklable mapping (the interface dipoles of a :class:`Stack`).

    Parameters
    ----------
    data : mapping, optional
        The items; copied.
    """

    __slots__ = ("_data",)
    _data: dict

    def __init__(self, data: Mapping | None = None):
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name, value):
        raise AttributeError("ReadOnlyMapping is immutable")

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._data.items())))

    def __repr__(self) -> str:
        return f"ReadOnlyMapping({self._data!r})"

    def __reduce__(self):
        return (ReadOnlyMapping, (self._data,))


@dataclass(frozen=True)
class Layer:
    """One layer of the stack."""

    name: str
    material: Material
    role: str
    thickness_nm: float
    li_fraction: float | None = None
    branch: str | None = None
    lithiation_front_nm: float | None = None

    def to_dict(self) -> dict:
        """Plain dict of the layer (the ``[[layer]]`` table of a stack file)."""
        d = {"name": self.name, "material": self.material.name, "role": self.role, "thickness_nm": self.thickness_nm}
        if self.li_fraction is not None:
            d["li_fraction"] = self.li_fraction
        if self.branch is not None:
            d["branch"] = self.branch
        if self.lithiation_front_nm is not None:
            d["lithiation_front_nm"] = self.lithiation_front_nm
        return d


@dataclass(frozen=True)
class Stack:
    """A validated cell stack. Build with :meth:`from_toml`, :meth:`from_dict` or directly."""

    layers: tuple[Layer, ...]
    dipoles: Mapping[tuple[str, str], float] = field(default_factory=dict)
    temperature_K: float = 300.0
    ground: str = "cathode"
    closure: str = "minimum-interface"
    mu_li_se_eV: float | None = None
    tip_work_function_eV: float = DEFAULT_TIP_WORK_FUNCTION_EV
    source: str = "<python>"
    mu_li_se_origin: str = "given"

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "dipoles", ReadOnlyMapping(self.dipoles))
        where = self.source
        if not (isinstance(self.temperature_K, (int, float)) and math.isfinite(self.temperature_K)
                and self.temperature_K > 0):
            raise InputError(f"{where}: temperature_K must be a positive number, got {self.temperature_K!r}")
        if self.ground not in GROUNDS:
            raise InputError(f"{where}: ground must be one of {GROUNDS}, got {self.ground!r}")
        if self.closure not in CLOSURES:
            raise InputError(f"{where}: closure must be one of {CLOSURES}, got {self.closure!r}")
        if self.closure == "extrinsic" and self.mu_li_se_eV is None:
            raise InputError(f"{where}: closure 'extrinsic' needs mu_li_se_eV (the Li chemical potential of the "
                             "electrolyte bulk in eV vs Li metal, e.g. -1.2); set mu_li_se_eV in the stack file or "
                             "as a condition")
        self._check_conditions(where)
        roles = [ly.role for ly in self.layers]
        for r in ("anode", "electrolyte", "cathode"):
            n = roles.count(r)
            if n == 0:
                raise InputError(f"{where}: the stack has no {r} layer; a cell needs exactly one anode, one "
                                 "electrolyte and one cathode (role = \"...\" in each [[layer]])")
            if n > 1:
                raise InputError(f"{where}: the stack has {n} {r} layers; exactly one is supported "
                                 "(interlayers: see `ssbands scl` and the finite space-charge solver)")
        ia, ie, ic = roles.index("anode"), roles.index("electrolyte"), roles.index("cathode")
        if not (ia + 1 == ie and ie + 1 == ic):
            raise InputError(f"{where}: layers must be ordered ... anode, electrolyte, cathode ... (anode side "
                             f"first) with the electrolyte between the two electrodes; got roles {roles}")
        for i, ly in enumerate(self.layers):
            if i < ia and ly.role != "current-collector":
                raise InputError(f"{where}: layer {ly.name!r} ({ly.role}) left of the anode must be a "
                                 "current-collector")
            if i > ic and ly.role not in ("current-collector", "base"):
                raise InputError(f"{where}: layer {ly.name!r} ({ly.role}) right of the cathode must be a "
                                 "current-collector or the base")
        names = [ly.name.lower() for ly in self.layers]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise InputError(f"{where}: layer names {sorted(dup)} repeat; give each repeated material a distinct "
                             "`name = \"...\"` in its [[layer]]")
        pairs = {(a.name.lower(), b.name.lower()) for a, b in zip(self.layers, self.layers[1:], strict=False)}
        for (lf, r), v in self.dipoles.items():
            if (lf.lower(), r.lower()) not in pairs:
                raise InputError(f"{where}: [[interface]] left = {lf!r}, right = {r!r} is not a pair of adjacent "
                                 f"layers; adjacent pairs: {sorted(pairs)}")
            kinds = {self.layer(lf).role, self.layer(r).role}
            if "electrolyte" not in kinds:
                raise InputError(f"{where}: dipole_V on {lf!r}|{r!r}: interface dipoles apply to electrode|"
                                 "electrolyte interfaces only (electron conductors in contact share E_F)")
            if not math.isfinite(v) or abs(v) > MAX_DIPOLE_V:
                raise InputError(f"{where}: dipole_V of {lf!r}|{r!r} must be a finite step of at most "
                                 f"{MAX_DIPOLE_V:g} V in magnitude (interface dipoles are a fraction of a volt to a "
                                 f"few volts), got {v!r}")

    def _check_conditions(self, where: str) -> None:
        """Refuse a μ_Li of the SE above Li metal or for a closure that does not use it, and a bad tip."""
        mu = self.mu_li_se_eV
        if mu is not None:
            if isinstance(mu, bool) or not isinstance(mu, (int, float)) or not math.isfinite(mu):
                raise InputError(f"{where}: mu_li_se_eV must be a finite number (eV vs Li metal), got {mu!r}")
            if mu > 0:
                raise InputError(f"{where}: mu_li_se_eV = {mu:g} eV is above Li metal (mu_Li = 0): Li would plate out "
                                 "of the electrolyte; it must be <= 0 eV (e.g. -1.2)")
            if mu < -MAX_LI_POTENTIAL_V:
                raise InputError(f"{where}: mu_li_se_eV = {mu:g} eV would put the electrolyte {-mu:g} V above "
                                 f"Li/Li+, beyond any electrode (at most about {MAX_LI_POTENTIAL_V:g} V, F2/F-); it "
                                 f"must lie in [-{MAX_LI_POTENTIAL_V:g}, 0] eV")
            if self.closure != "extrinsic":
                raise InputError(f"{where}: mu_li_se_eV applies to the extrinsic closure only; closure "
                                 f"'{self.closure}' sets the electrolyte's mu_Li from the electrodes and its window. "
                                 "Remove mu_li_se_eV or use closure 'extrinsic'")
        tip = self.tip_work_function_eV
        lo, hi = TIP_WORK_FUNCTION_RANGE_EV
        if isinstance(tip, bool) or not isinstance(tip, (int, float)) or not (lo <= tip <= hi):
            raise InputError(f"{where}: tip_work_function_eV must be a work function in eV between {lo:g} and "
                             f"{hi:g} (e.g. 5.65 for a Pt-coated tip), got {tip!r}")
        from ..thermo import check_data_temperature

        try:
            check_data_temperature(self.temperature_K, "the material data of the stack")
        except InputError as exc:
            raise InputError(f"{where}: temperature_K: {exc}") from None

    # --------------------------------------------------------------------------- access
    def layer(self, name: str) -> Layer:
        """The layer named ``name`` (case-insensitive); InputError listing the names otherwise."""
        for ly in self.layers:
            if ly.name.lower() == str(name).lower():
                return ly
        raise InputError(f"{self.source}: no layer named {name!r}; layers: {[ly.name for ly in self.layers]}")

    def index(self, role: str) -> int:
        """Position of the (first) layer with ``role`` in the stack."""
        return [ly.role for ly in self.layers].index(role)

    @property
    def anode(self) -> Layer:
        """The anode layer."""
        return self.layers[self.index("anode")]

    @property
    def electrolyte(self) -> Layer:
        """The electrolyte layer."""
        return self.layers[self.index("electrolyte")]

    @property
    def cathode(self) -> Layer:
        """The cathode layer."""
        return self.layers[self.index("cathode")]

    @property
    def base(self) -> Layer | None:
        """The inert base layer, or None."""
        for ly in self.layers:
            if ly.role == "base":
                return ly
        return None

    def dipole(self, left: str, right: str) -> float:
        """Interface dipole step (V) from layer ``left`` to layer ``right`` (0 when not given)."""
        for (lf, r), v in self.dipoles.items():
            if lf.lower() == left.lower() and r.lower() == right.lower():
                return float(v)
        return 0.0

    def ocv_curve(self, role: str) -> OCVCurve:
        """The OCV curve of the anode or cathode (built once per stack)."""
        return self._curves[role]

    @cached_property
    def li_balance(self) -> LiBalance:
        """Li conservation between the electrodes (built once per stack, from its immutable fields)."""
        from .state import LiBalance

        return LiBalance.of(self)

    @cached_property
    def _curves(self) -> dict:
        out = {}
        for role in ("anode", "cathode"):
            ly = self.layers[self.index(role)]
            out[role] = ocv_curve(ly.material, ly.branch)
        return out

    def with_conditions(self, **changes) -> Stack:
        """A copy with other conditions (closure, mu_li_se_eV, ground, temperature_K, ...)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict:
        """Plain dict of the stack in the stack-file structure (TOML tables as dicts)."""
        d: dict[str, Any] = {"temperature_K": self.temperature_K, "ground": self.ground, "closure": self.closure,
                             "tip_work_function_eV": self.tip_work_function_eV,
                             "layer": [ly.to_dict() for ly in self.layers]}
        if self.mu_li_se_eV is not None:
            d["mu_li_se_eV"] = self.mu_li_se_eV
            d["mu_li_se_origin"] = self.mu_li_se_origin
        if self.dipoles:
            d["interface"] = [{"left": lf, "right": r, "dipole_V": v} for (lf, r), v in self.dipoles.items()]
        return d

    # --------------------------------------------------------------------------- construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], library: Library | None = None, source: str = "<dict>") -> Stack:
        """Build a stack from the parsed TOML structure (see module docstring)."""
        lib = library if library is not None else load_library()
        if not isinstance(data, Mapping):
            raise InputError(f"{source}: expected a table of stack settings")
        bad = set(data) - _TOP_KEYS
        if bad:
            raise InputError(f"{source}: unknown key(s) {sorted(bad)}; allowed: {sorted(_TOP_KEYS)}")
        raw_layers = data.get("layer")
        if not isinstance(raw_layers, list) or not raw_layers:
            raise InputError(f"{source}: no [[layer]] tables; a stack lists its layers from the anode side")
        layers = []
        for i, raw in enumerate(raw_layers, 1):
            w = f"{source}: [[layer]] #{i}"
            if not isinstance(raw, Mapping):
                raise InputError(f"{w}: expected a table")
            bad = set(raw) - _LAYER_KEYS
            if bad:
                raise InputError(f"{w}: unknown key(s) {sorted(bad)}; allowed: {sorted(_LAYER_KEYS)}")
            for k in ("material", "role", "thickness_nm"):
                if k not in raw:
                    raise InputError(f"{w}: missing field {k!r}")
            role = raw["role"]
            if role not in ROLES:
                raise InputError(f"{w}: role must be one of {ROLES}, got {role!r}")
            try:
                mat = lib[raw["material"]]
            except InputError as exc:
                raise InputError(f"{w}: {exc}") from None
            need = {"anode": ("electrode",), "cathode": ("electrode",), "electrolyte": ("electrolyte",),
                    "current-collector": ("metal", "electrode"), "base": ("metal", "electrode")}[role]
            if mat.kind not in need:
                raise InputError(f"{w}: material {mat.name!r} is {_a(mat.kind)} and cannot be the {role} "
                                 f"(needs {' or '.join(_a(n) for n in need)})")
            if role in ("current-collector", "base") and work_function_depends_on_li(mat):
                raise InputError(f"{w}: {mat.name!r} as the {role}: its work function depends on its Li content, which "
                                 "is tracked only for the anode and cathode; use a material with a constant "
                                 "work_function_eV there")
            th = raw["thickness_nm"]
            if isinstance(th, bool) or not isinstance(th, (int, float)) or not math.isfinite(th) or th <= 0:
                raise InputError(f"{w} ({mat.name}): thickness_nm must be a positive number, got {th!r}")
            lf, front = _li_uptake(raw, mat, role, float(th), w)
            br = raw.get("branch")
            if br is not None and role not in ("anode", "cathode"):
                raise InputError(f"{w} ({mat.name}): branch applies to the anode or cathode only")
            name = str(raw.get("name", mat.name))
            if not name.strip():
                raise InputError(f"{w} ({mat.name}): name must be a non-empty text")
            layers.append(Layer(name, mat, role, float(th), lf, br, front))
        dipoles: dict[tuple[str, str], float] = {}
        for i, raw in enumerate(data.get("interface", []) or [], 1):
            w = f"{source}: [[interface]] #{i}"
            if not isinstance(raw, Mapping):
                raise InputError(f"{w}: expected a table")
            bad = set(raw) - _IFACE_KEYS
            if bad or "left" not in raw or "right" not in raw:
                raise InputError(f"{w}: needs 'left' and 'right' layer names and optional 'dipole_V'; "
                                 f"got {sorted(raw)}")
            d = raw.get("dipole_V", 0.0)
            if isinstance(d, bool) or not isinstance(d, (int, float)):
                raise InputError(f"{w}: dipole_V must be a number (V), got {d!r}")
            pair = (str(raw["left"]), str(raw["right"]))
            if any(p[0].lower() == pair[0].lower() and p[1].lower() == pair[1].lower() for p in dipoles):
                raise InputError(f"{w}: the interface {pair[0]!r}|{pair[1]!r} is given twice; give each interface once")
            dipoles[pair] = float(d)
        def num(key, default):
            v = data.get(key, default)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise InputError(f"{source}: {key} must be a number, got {v!r}")
            return None if v is None else float(v)

        mu_se, origin = num("mu_li_se_eV", None), "given"
        if data.get("extrinsic_defects") is not None:
            if mu_se is not None:
                raise InputError(f"{source}: give either mu_li_se_eV or [extrinsic_defects], not both")
            from ..defects import mu_li_from_defect_table

            mu_se, origin = mu_li_from_defect_table(data["extrinsic_defects"], num("temperature_K", 300.0), source)
        stack = cls(layers=tuple(layers), dipoles=dipoles, temperature_K=num("temperature_K", 300.0),
                    ground=data.get("ground", "cathode"), closure=data.get("closure", "minimum-interface"),
                    mu_li_se_eV=mu_se, mu_li_se_origin=origin,
                    tip_work_function_eV=num("tip_work_function_eV", DEFAULT_TIP_WORK_FUNCTION_EV), source=source)
        # make sure the electrodes' OCV curves can be built (clear error early)
        for role in ("anode", "cathode"):
            ly = stack.layers[stack.index(role)]
            try:
                curve = ocv_curve(ly.material, ly.branch)
            except UnknownParameterError:
                raise  # it names the material and the field, and the CLI adds how to supply it
            except InputError as exc:
                raise InputError(f"{source}: {role} layer {ly.name!r}: {exc}") from None
            if curve.reservoir and ly.li_fraction is not None:
                raise InputError(f"{source}: {role} layer {ly.name!r}: li_fraction does not apply to "
                                 f"{ly.material.name}, a Li reservoir whose potential does not depend on its Li "
                                 "content")
        return stack

    @classmethod
    def from_toml(cls, path: str | Path, library: Library | None = None, **overrides) -> Stack:
        """Read a stack file. ``overrides`` (closure, mu_li_se_eV, ...) replace the file's settings."""
        path = Path(path)
        text = read_text_file(path, "stack file")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"stack file {str(path)!r} is not valid TOML: {exc}") from None
        if library is None:
            lib_file = data.get("library")
            library = load_library((path.parent / lib_file) if lib_file else None)
        for k, v in overrides.items():
            if v is not None:
                data[k] = v
        return cls.from_dict(data, library, source=str(path))


def _li_uptake(raw, mat, role: str, thickness_nm: float, w: str) -> tuple[float | None, float | None]:
    """Validated (li_fraction, lithiation_front_nm) of one [[layer]] table."""
    lf, front = raw.get("li_fraction"), raw.get("lithiation_front_nm")
    for key, v in (("li_fraction", lf), ("lithiation_front_nm", front)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
            raise InputError(f"{w} ({mat.name}): {key} must be a finite number, got {v!r}")
    if lf is not None and not 0.0 <= lf <= 1.0:
        raise InputError(f"{w} ({mat.name}): li_fraction must be a number in [0, 1], got {lf!r}")
    if role == "current-collector" and (lf is not None or front is not None):
        if lf is None or front is None:
            raise InputError(f"{w} ({mat.name}): a lithiated current collector needs both li_fraction (the Li "
                             "content of its lithiated zone) and lithiation_front_nm (the zone's depth)")
        if not mat.has("li_work_function_eV"):
            raise InputError(f"{w} ({mat.name}): li_fraction of a current collector needs the material's "
                             "li_work_function_eV (work function against its Li content) in the library")
        if not 0.0 < front <= thickness_nm:
            raise InputError(f"{w} ({mat.name}): lithiation_front_nm must be in (0, thickness_nm = "
                             f"{thickness_nm:g}], got {front!r}")
        return float(lf), float(front)
    if lf is not None and role not in ("anode", "cathode"):
        raise InputError(f"{w} ({mat.name}): li_fraction applies to the anode, the cathode or a current collector")
    if front is not None:
        raise InputError(f"{w} ({mat.name}): lithiation_front_nm applies to a current collector only")
    return (None if lf is None else float(lf)), None


def fuller2021_stack(library: Library | None = None, **conditions) -> Stack:
    """The thin-film cell of the main job: Cu | LixSi | LiPON | LixCoO2 | Pt | Si base (Fuller et al. 2021).

    Thicknesses are representative of sputtered thin-film cells (not the exact values of the paper):
    Cu 200 nm, LixSi 50 nm (as-made, x = 0), LiPON 1000 nm, LixCoO2 500 nm (as-made, x = 1), Pt 100 nm,
    Si base 300 nm shown.
    """
    data = {
        "temperature_K": 300.0, "ground": "cathode", "closure": "minimum-interface",
        "layer": [
            {"material": "Cu", "role": "current-collector", "thickness_nm": 200},
            {"material": "LixSi", "role": "anode", "thickness_nm": 50, "li_fraction": 0.0, "branch": "lithiation"},
            {"material": "LiPON", "role": "electrolyte", "thickness_nm": 1000},
            {"material": "LixCoO2", "role": "cathode", "thickness_nm": 500, "li_fraction": 1.0},
            {"material": "Pt", "role": "current-collector", "thickness_nm": 100},
            {"material": "Si", "role": "base", "thickness_nm": 300},
        ],
    }
    data.update(conditions)
    return Stack.from_dict(data, library, source="built-in Fuller 2021 cell")
