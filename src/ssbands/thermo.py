"""Thermodynamics of the electrodes and the electrolyte's Li chemical potential.

* Electrode open-circuit potential ``U(x)`` vs Li/Li⁺ over Li fraction ``x`` (constant, 7th-order
  polynomial with optional singular terms, or a table with a dilute-limit Nernst extension below its
  voltage range), and ``mu_Li = -U`` (eV).
* Work function Φ(x) (constant or tabulated).
* The electrolyte's Li chemical potential under the two closures (Swift & Qi, Phys. Rev. Lett. 122, 167701 (2019)).

Everything is vectorised over numpy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .constants import kT_eV
from .errors import InputError

FUNCTION_KINDS = ("constant", "polynomial", "table")
CLOSURES = ("minimum-interface", "extrinsic")


def validate_function_spec(where: str, spec: Mapping[str, Any]) -> None:
    """Check a function spec from a library file; raise InputError naming ``where``."""
    kind = spec.get("kind")
    if kind not in FUNCTION_KINDS:
        raise InputError(f"{where}: 'kind' must be one of {FUNCTION_KINDS}, got {kind!r}")
    if kind == "constant":
        if not isinstance(spec.get("value"), (int, float)):
            raise InputError(f"{where}: a constant needs a numeric 'value'")
    elif kind == "polynomial":
        br = spec.get("branches")
        if not isinstance(br, Mapping) or not br:
            raise InputError(f"{where}: a polynomial needs 'branches: {{name: {{coefficients: [...]}}}}'")
        for name, b in br.items():
            c = b.get("coefficients") if isinstance(b, Mapping) else None
            if not (isinstance(c, list) and c and all(isinstance(v, (int, float)) for v in c)):
                raise InputError(f"{where}: branch {name!r} needs a list of numeric 'coefficients' "
                                 "(highest power first)")
        d = spec.get("default_branch", next(iter(br)))
        if d not in br:
            raise InputError(f"{where}: default_branch {d!r} is not one of {list(br)}")
    else:
        if "file" in spec:
            return  # checked when loaded
        x, v = spec.get("x"), spec.get("values")
        if not (isinstance(x, list) and isinstance(v, list) and len(x) == len(v) >= 2):
            raise InputError(f"{where}: a table needs lists 'x' and 'values' of equal length >= 2 (or 'file')")
        xa = np.asarray(x, float)
        if not np.all(np.isfinite(xa)) or not np.all(np.diff(xa) > 0):
            raise InputError(f"{where}: table 'x' must be finite and strictly increasing")
        if not np.all(np.isfinite(np.asarray(v, float))):
            raise InputError(f"{where}: table 'values' must be finite numbers")


def _load_table(spec: Mapping[str, Any], where: str) -> tuple[np.ndarray, np.ndarray]:
    if "file" in spec:
        path = Path(spec.get("_dir", ".")) / spec["file"]
        try:
            data = np.loadtxt(path, delimiter=",", comments="#", ndmin=2)
        except OSError:
            raise InputError(f"{where}: table file {str(path)!r} cannot be read") from None
        except ValueError as exc:
            raise InputError(f"{where}: table file {str(path)!r} is not a two-column numeric CSV: {exc}") from None
        if data.shape[1] != 2:
            raise InputError(f"{where}: table file {str(path)!r} must have two columns (x, value)")
        x, v = data[:, 0], data[:, 1]
    else:
        x, v = np.asarray(spec["x"], float), np.asarray(spec["values"], float)
    order = np.argsort(x)
    x, v = x[order], v[order]
    if np.any(np.diff(x) <= 0):
        raise InputError(f"{where}: table x values must be distinct")
    return x, v


@dataclass(frozen=True)
class OCVCurve:
    """Open-circuit potential U(x) vs Li/Li⁺ of one electrode (one branch).

    ``x_min``/``x_max`` bound the Li fraction; ``nernst_from`` is the Li fraction above which a
    tabulated curve is continued by the dilute-vacancy Nernst law (``None``: no extension).
    ``reservoir`` is True for an electrode whose potential does not depend on its Li content
    (Li metal).
    """

    name: str
    kind: str
    x_min: float
    x_max: float
    coefficients: tuple[float, ...] = ()
    singular_term: float = 0.0
    table_x: tuple[float, ...] = ()
    table_u: tuple[float, ...] = ()
    constant: float = 0.0
    nernst_from: float | None = None

    @property
    def reservoir(self) -> bool:
        """True for a constant-potential electrode (Li metal): its Li content does not change U."""
        return self.kind == "constant"

    def __call__(self, x, temperature_K: float = 300.0) -> np.ndarray:
        """U(x) in V. Outside [x_min, x_max] it raises InputError."""
        x = np.asarray(x, float)
        if self.kind != "constant" and (np.any(x < self.x_min) or np.any(x > self.x_max)):
            raise InputError(f"{self.name}: Li fraction {x.min():.6g}..{x.max():.6g} is outside "
                             f"[{self.x_min:g}, {self.x_max:g}]")
        return self.evaluate(x, temperature_K)

    def evaluate(self, x: np.ndarray, temperature_K: float) -> np.ndarray:
        """U(x) without range checks (x already inside [x_min, x_max]); ±inf at singular ends."""
        if self.kind == "constant":
            return np.full(np.shape(x), self.constant)
        with np.errstate(divide="ignore"):
            if self.kind == "polynomial":
                u = np.polyval(self._coef, x)
                if self.singular_term:
                    u = u + self.singular_term * (1.0 / x - 1.0 / (1.0 - x))  # correct ±inf at both ends
                return u
            u = np.interp(x, self._tx, self._tu)
            if self.nernst_from is not None:
                xe = self.nernst_from
                kt = kT_eV(temperature_K)
                xc = np.minimum(np.maximum(x, xe), 1.0)
                ext = kt * (np.log((1 - xc) / xc) - np.log((1 - xe) / xe))
                u = np.where(x > xe, self._tu[-1] + ext, u)
            return u

    def __post_init__(self):
        object.__setattr__(self, "_coef", np.asarray(self.coefficients, float))
        object.__setattr__(self, "_tx", np.asarray(self.table_x, float))
        object.__setattr__(self, "_tu", np.asarray(self.table_u, float))

    def extrapolated(self, x) -> np.ndarray:
        """True where ``x`` lies on the Nernst extension rather than on the data."""
        x = np.asarray(x, float)
        if self.nernst_from is None:
            return np.zeros(x.shape, bool)
        return x > self.nernst_from


def plating_limit(curve: OCVCurve, temperature_K: float, lo: float | None = None, hi: float | None = None) -> float:
    """Largest Li fraction in [lo, hi] (default: the curve's range) with U ≥ 0 vs Li/Li⁺.

    Beyond it the electrode would be more Li-rich than Li metal (μ_Li > 0) and Li would plate, so no
    equilibrium state lies there. Bisection (U decreases with x); ``inf`` for a reservoir (Li metal).
    """
    if curve.reservoir:
        return np.inf
    lo = curve.x_min if lo is None else lo
    hi = curve.x_max if hi is None else hi
    with np.errstate(divide="ignore", invalid="ignore"):
        if curve.evaluate(np.array(hi), temperature_K) >= 0:
            return hi
        for _ in range(200):
            m = 0.5 * (lo + hi)
            if m in (lo, hi):
                break
            if curve.evaluate(np.array(m), temperature_K) >= 0:
                lo = m
            else:
                hi = m
    return lo


def ocv_curve(material, branch: str | None = None) -> OCVCurve:
    """Build the OCV curve of an electrode material (``material.get('ocv_V')``)."""
    spec = material.get("ocv_V", "the open-circuit potential")
    where = f"material {material.name!r}, field 'ocv_V'"
    kind = spec["kind"]
    if kind == "constant":
        if branch not in (None, "lithiation", "delithiation"):
            raise InputError(f"{where}: unknown branch {branch!r}")
        return OCVCurve(material.name, "constant", -np.inf, np.inf, constant=float(spec["value"]))
    lo, hi = (material.get("li_fraction_range") if material.has("li_fraction_range") else (0.0, 1.0))
    if kind == "polynomial":
        branches = spec["branches"]
        b = branch or spec.get("default_branch", next(iter(branches)))
        if b not in branches:
            raise InputError(f"{where}: unknown branch {b!r}; choose one of {list(branches)}")
        br = branches[b]
        return OCVCurve(f"{material.name} ({b})", "polynomial", lo, hi,
                        coefficients=tuple(float(c) for c in br["coefficients"]),
                        singular_term=float(br.get("singular_term", 0.0)))
    if branch not in (None, "lithiation", "delithiation"):
        raise InputError(f"{where}: unknown branch {branch!r}")
    tx, tu = _load_table(spec, where)
    if not (np.all(np.diff(tu) <= 0) and tu[0] > tu[-1]):
        raise InputError(f"{where}: a tabulated OCV must not increase with Li fraction")
    # dilute-vacancy Nernst extension below the table's voltage range (toward x -> 1)
    x_hi = min(hi, 1.0)
    nernst = float(tx[-1]) if tx[-1] < x_hi else None
    return OCVCurve(material.name, "table", max(lo, float(tx[0])), x_hi, table_x=tuple(tx), table_u=tuple(tu),
                    nernst_from=nernst)


def work_function(material, x=None) -> np.ndarray | float:
    """Work function Φ in eV of an electron conductor (at Li fraction ``x`` if it is tabulated)."""
    p = material.get("work_function_eV", "the vacuum level of an electron conductor")
    if isinstance(p, (int, float)):
        return float(p) if x is None else np.full(np.shape(x), float(p))
    if p.get("kind") == "constant":
        v = float(p["value"])
        return v if x is None else np.full(np.shape(x), v)
    if p.get("kind") != "table":
        raise InputError(f"material {material.name!r}: work_function_eV must be a number or a table")
    tx, tv = _load_table(p, f"material {material.name!r}, field 'work_function_eV'")
    if x is None:
        raise InputError(f"material {material.name!r}: its work function depends on the Li fraction; give li_fraction")
    xa = np.asarray(x, float)
    if np.any(xa < tx[0] - 1e-12) or np.any(xa > tx[-1] + 1e-12):
        raise InputError(f"material {material.name!r}: Li fraction outside its work-function table "
                         f"[{tx[0]:g}, {tx[-1]:g}]")
    return np.interp(xa, tx, tv)


def lithiated_work_function(material, x) -> np.ndarray | float:
    """Work function Φ (eV) of a lithiated current-collector surface at Li fraction ``x``.

    From the metal's ``li_work_function_eV`` table (x = 0 pristine .. 1 saturated).

    Parameters
    ----------
    material : Material
        A metal with ``li_work_function_eV``.
    x : float or array_like
        Li fraction of the lithiated zone.

    Returns
    -------
    float or ndarray
        Φ in eV.
    """
    p = material.get("li_work_function_eV", "the work function of a lithiated current collector")
    tx, tv = _load_table(p, f"material {material.name!r}, field 'li_work_function_eV'")
    xa = np.asarray(x, float)
    if np.any(xa < tx[0] - 1e-12) or np.any(xa > tx[-1] + 1e-12):
        raise InputError(f"material {material.name!r}: Li fraction outside its li_work_function_eV table "
                         f"[{tx[0]:g}, {tx[-1]:g}]")
    out = np.interp(xa, tx, tv)
    return float(out) if out.ndim == 0 else out


def work_function_depends_on_li(material) -> bool:
    """True when the material's work function is tabulated against its Li fraction.

    Parameters
    ----------
    material : Material

    Returns
    -------
    bool
    """
    p = material.param("work_function_eV")
    return bool(p.spec) and p.spec.get("kind") == "table"


def se_mu_li_edges(closure: str, mu_anode, mu_cathode, window_V=None, mu_li_se=None):
    """μ_Li of the electrolyte bulk next to the anode and next to the cathode (eV).

    * ``minimum-interface``: the SE sits at its Li-rich stability limit (μ_red = −V_red) next to the
      anode and at its Li-poor limit (μ_ox = −V_ox) next to the cathode; where an electrode's μ_Li
      lies inside the window, the SE takes the electrode's value on that side. Equivalently, each side
      is the electrode's μ_Li clipped to [μ_ox, μ_red].
    * ``extrinsic``: flat, equal to ``mu_li_se`` on both sides.

    Returns ``(mu_left, mu_right, inside_left, inside_right)``; the flags say whether the electrode's
    μ_Li was inside the window (so the SE matched it).
    """
    mu_anode = np.asarray(mu_anode, float)
    mu_cathode = np.asarray(mu_cathode, float)
    if closure == "extrinsic":
        if mu_li_se is None:
            raise InputError("closure 'extrinsic' needs mu_li_se_eV (the Li chemical potential of the SE bulk, "
                             "eV vs Li metal; e.g. -1.2); give mu_li_se_eV in the stack file or as a condition")
        m = np.broadcast_to(np.asarray(mu_li_se, float), np.broadcast_shapes(mu_anode.shape, mu_cathode.shape))
        return m.copy(), m.copy(), np.zeros(m.shape, bool), np.zeros(m.shape, bool)
    if closure != "minimum-interface":
        raise InputError(f"unknown closure {closure!r}; choose one of {CLOSURES}")
    v_red, v_ox = window_V
    mu_red, mu_ox = -v_red, -v_ox
    left = np.clip(mu_anode, mu_ox, mu_red)
    right = np.clip(mu_cathode, mu_ox, mu_red)
    inside_l = (mu_anode > mu_ox) & (mu_anode < mu_red)
    inside_r = (mu_cathode > mu_ox) & (mu_cathode < mu_red)
    return left, right, inside_l, inside_r
