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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .constants import kT_eV
from .errors import InputError

FUNCTION_KINDS = ("constant", "polynomial", "table")
CLOSURES = ("minimum-interface", "extrinsic")
#: Temperatures (K) around which the built-in material data hold: OCV curves measured and work
#: functions, defect energies and permittivities tabulated at room temperature (298–300 K).
DATA_TEMPERATURE_RANGE_K = (250.0, 350.0)
#: Temperatures (K) outside which a calculation from room-temperature material data is refused: far
#: below, Arrhenius transport and kT-scaled profiles underflow; far above, the electrodes and
#: electrolytes are not the materials the data describe (Li melts at 453.65 K).
TEMPERATURE_LIMITS_K = (50.0, 1500.0)


def check_data_temperature(temperature_K, what: str = "the material data") -> None:
    """Refuse a temperature outside :data:`TEMPERATURE_LIMITS_K`; warn far from room temperature.

    The built-in data (OCV curves, work functions, defect energies, permittivities) are room-temperature
    values; outside :data:`DATA_TEMPERATURE_RANGE_K` a result extrapolates them with kT alone
    (:class:`~ssbands.errors.TemperatureWarning`).

    Parameters
    ----------
    temperature_K : float or array_like
        Temperature(s) in K.
    what : str
        What is used at that temperature, for the message.

    Raises
    ------
    InputError
        Outside :data:`TEMPERATURE_LIMITS_K` (or not a finite number).
    """
    t = np.atleast_1d(np.asarray(temperature_K, float))
    tmin, tmax = TEMPERATURE_LIMITS_K
    bad = ~((t >= tmin) & (t <= tmax))
    if np.any(bad):
        raise InputError(f"temperature {t[bad][0]:g} K is outside {tmin:g}-{tmax:g} K, the range in which "
                         f"{what} (room-temperature values) can be used at all")
    lo, hi = DATA_TEMPERATURE_RANGE_K
    far = (t < lo) | (t > hi)
    if np.any(far):
        import warnings

        from .errors import TemperatureWarning

        warnings.warn(f"temperature {t[far][0]:g} K is far from the room temperature (about 300 K) at which "
                      f"{what} were obtained; only kT is changed, the data are used as they are "
                      f"(data hold within {lo:g}-{hi:g} K)", TemperatureWarning, stacklevel=3)


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

    Where the data hold: :attr:`data_potential_range` is the span of potentials the electrode's own
    data cover (a table's values; a fit's polynomial over its fitted Li-fraction range, without its
    singular regularisation term). Beyond it a potential comes from an extension (the Nernst law
    of a table, the ``singular_term`` of a fit) and :meth:`extrapolated` says so.
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
    # arrays derived from the tuples above in __post_init__ (not constructor arguments)
    _coef: np.ndarray = field(init=False, repr=False, compare=False)
    _tx: np.ndarray = field(init=False, repr=False, compare=False)
    _tu: np.ndarray = field(init=False, repr=False, compare=False)

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
        u: np.ndarray
        with np.errstate(divide="ignore", over="ignore"):
            if self.kind == "polynomial":
                u = np.polyval(self._coef, np.asarray(x, float))
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

    @property
    def data_potential_range(self) -> tuple[float, float]:
        """(lowest, highest) potential in V vs Li/Li⁺ that the electrode's data cover.

        A table: its lowest and highest value. A polynomial fit: the polynomial alone (without the
        singular regularisation term) over the fitted Li-fraction range [x_min, x_max], sampled on
        4001 points and at the ends. A constant: its value.

        Returns
        -------
        (float, float)
            Potentials in V vs Li/Li⁺.
        """
        if self.kind == "constant":
            return float(self.constant), float(self.constant)
        if self.kind == "table":
            return float(np.min(self._tu)), float(np.max(self._tu))
        u = np.polyval(self._coef, np.linspace(self.x_min, self.x_max, 4001).astype(float))
        return float(np.min(u)), float(np.max(u))

    def extrapolated(self, x) -> np.ndarray:
        """True where the potential at Li fraction ``x`` does not come from the data.

        A table: ``x`` lies on its Nernst extension. A fit with a singular term: the term takes the
        potential outside :attr:`data_potential_range` (near the ends of the Li-fraction range).

        Parameters
        ----------
        x : array_like
            Li fractions (inside [x_min, x_max]).

        Returns
        -------
        ndarray of bool
        """
        x = np.asarray(x, float)
        if self.kind == "polynomial" and self.singular_term:
            lo, hi = self.data_potential_range
            with np.errstate(divide="ignore", invalid="ignore"):
                u = self.evaluate(x, 300.0)  # a polynomial does not depend on temperature
            return (u < lo) | (u > hi)
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


def potential_limit(curve: OCVCurve, temperature_K: float, u_max: float, lo: float | None = None,
                    hi: float | None = None) -> float:
    """Smallest Li fraction in [lo, hi] (default: the curve's range) with U ≤ ``u_max`` (V vs Li/Li⁺).

    Below it the electrode's potential would exceed ``u_max``. Bisection (U decreases with x);
    ``-inf`` for a reservoir (Li metal).

    Parameters
    ----------
    curve : OCVCurve
    temperature_K : float
        Temperature (K).
    u_max : float
        Highest allowed potential (V vs Li/Li⁺).
    lo, hi : float, optional
        Li-fraction interval searched.

    Returns
    -------
    float
        Li fraction.
    """
    if curve.reservoir:
        return -np.inf
    lo = curve.x_min if lo is None else lo
    hi = curve.x_max if hi is None else hi
    with np.errstate(divide="ignore", invalid="ignore"):
        if curve.evaluate(np.array(lo), temperature_K) <= u_max:
            return lo
        for _ in range(200):
            m = 0.5 * (lo + hi)
            if m in (lo, hi):
                break
            if curve.evaluate(np.array(m), temperature_K) <= u_max:
                hi = m
            else:
                lo = m
    return hi


def check_electrode_potential(name: str, potential_V, u_max: float, what: str) -> None:
    """Refuse electrode potentials below 0 V vs Li/Li⁺ (Li plates) or above ``u_max`` (beyond the data).

    Parameters
    ----------
    name : str
        The electrode, for the message.
    potential_V : array_like
        Potentials (V vs Li/Li⁺).
    u_max : float
        Highest potential the data support (V vs Li/Li⁺).
    what : str
        Where ``u_max`` comes from, for the message (e.g. "the span of its OCV data").

    Raises
    ------
    InputError
    """
    u = np.atleast_1d(np.asarray(potential_V, float))
    if not np.all(np.isfinite(u)):
        raise InputError(f"{name}: its potential is not finite there (the end of its Li-fraction range)")
    if np.any(u < 0):
        raise InputError(f"{name}: potential {u[u < 0][0]:.6g} V vs Li/Li+ is below 0 V (more Li-rich than Li "
                         "metal: Li would plate)")
    if np.any(u > u_max):
        raise InputError(f"{name}: potential {u[u > u_max][0]:.6g} V vs Li/Li+ is above {u_max:.6g} V, "
                         f"{what}; no data support it")


def ocv_curve(material, branch: str | None = None) -> OCVCurve:
    """Build the OCV curve of an electrode material (``material.get('ocv_V')``)."""
    spec = material.get("ocv_V", "the open-circuit potential")
    where = f"material {material.name!r}, field 'ocv_V'"
    kind = spec["kind"]
    if branch is not None and kind != "polynomial":
        raise InputError(f"{where}: branch {branch!r} does not apply: this OCV is a {kind} without branches (a "
                         "branch selects one of the fits of a polynomial OCV, e.g. LixSi's lithiation)")
    if kind == "constant":
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
