"""Fit parameters: names, units, starting values, bounds, fixed settings and the no-effect probe.

The parameter spec is parsed into result names; the probe rejects a parameter with no effect on the
model ΔCPD.

=================  ===============================  ==========================================
spec name          result name [unit]               meaning
=================  ===============================  ==========================================
``mu_li_se``       ``mu_li_se_eV`` [eV]             μ_Li of the SE bulk (extrinsic closure)
``dipole:L|R``     ``dipole:L|R`` [V]               interface dipole between layers L and R
``offset``         ``offset@<ocv>V`` [V]            one constant per fitted scan (tip/reference)
``width``          ``width_nm`` [nm]                Gaussian σ of the instrument response
``front``          ``front_nm`` [nm]                lithiated depth of the front layer
``x_offset``       ``x_offset_nm`` [nm]             measured x of model x = 0
``x_scale``        ``x_scale`` [1]                  measured nm per model nm
=================  ===============================  ==========================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from .model import ForwardModel, check_geometry

#: unit of each parameter kind (by result-name prefix)
PARAM_UNITS = {"mu_li_se_eV": "eV", "dipole": "V", "offset": "V", "width_nm": "nm", "front_nm": "nm",
               "x_offset_nm": "nm", "x_scale": "1"}
#: result name of each spec name
SPEC_NAMES = {"mu_li_se": "mu_li_se_eV", "width": "width_nm", "front": "front_nm", "x_offset": "x_offset_nm",
              "x_scale": "x_scale", "offset": "offset"}
_ALIASES = {"mu_li_se_ev": "mu_li_se", "width_nm": "width", "sigma": "width", "front_nm": "front",
            "x_offset_nm": "x_offset", "offsets": "offset", "tip_offset": "offset"}
#: default (lower, upper) bounds per kind, in the kind's unit (front and width are set from the data)
BOUNDS = {"mu_li_se_eV": (-6.0, 0.0), "dipole": (-3.0, 3.0), "offset": (-np.inf, np.inf),
          "width_nm": (0.0, np.inf), "front_nm": (0.0, np.inf), "x_offset_nm": (-np.inf, np.inf),
          "x_scale": (0.5, 2.0)}
#: finite step used only for the "has no effect" probe, per kind, in the kind's unit
PROBE = {"mu_li_se_eV": 0.05, "dipole": 0.05, "offset": 0.01, "width_nm": 1.0, "front_nm": 1.0,
         "x_offset_nm": 1.0, "x_scale": 0.01}
#: result names accepted in initial/fixed/bounds besides ``dipole:L|R`` and ``offset@<ocv>V``
KNOWN_NAMES = {"mu_li_se_eV", "width_nm", "front_nm", "x_offset_nm", "x_scale", "offset"}


def parse_params(spec: str | Sequence[str]) -> list[str]:
    """Parse a parameter list like ``"mu_li_se,dipole:LixSi|LiPON,offset,width"``.

    Parameters
    ----------
    spec : str or sequence of str
        Comma-separated names (or a list): ``mu_li_se``, ``dipole:LEFT|RIGHT``, ``offset``,
        ``width``, ``front``, ``x_offset``, ``x_scale``.

    Returns
    -------
    list of str
        Canonical kinds in the order given (``"dipole:L|R"`` keeps its layer names), no repeats.
    """
    items = [s for s in (spec.split(",") if isinstance(spec, str) else list(spec))]
    out: list[str] = []
    for raw in items:
        s = str(raw).strip()
        if not s:
            continue
        if s.lower().startswith("dipole"):
            m = re.fullmatch(r"(?i)dipole:\s*([^|]+?)\s*\|\s*(.+?)\s*", s)
            if not m:
                raise InputError(f"parameter {s!r}: write an interface dipole as dipole:LEFT|RIGHT with the two "
                                 "adjacent layer names, e.g. dipole:LixSi|LiPON")
            k = f"dipole:{m.group(1)}|{m.group(2)}"
        else:
            k = _ALIASES.get(s.lower(), s.lower())
            if k not in SPEC_NAMES:
                raise InputError(f"unknown fit parameter {s!r}; choose from mu_li_se, dipole:LEFT|RIGHT, offset, "
                                 "width, front, x_offset, x_scale")
        if k in out:
            raise InputError(f"fit parameter {s!r} is listed twice")
        out.append(k)
    if not out:
        raise InputError("no fit parameters given; e.g. params='offset,width'")
    return out


def param_kind(name: str) -> str:
    """Kind of a result name: ``"dipole"``, ``"offset"``, or the name itself.

    Parameters
    ----------
    name : str
        A result name (``"dipole:L|R"``, ``"offset@1V"``, ``"width_nm"``, ...).

    Returns
    -------
    str
        The key of :data:`PARAM_UNITS`, :data:`BOUNDS` and :data:`PROBE`.
    """
    return "dipole" if name.startswith("dipole:") else "offset" if name.startswith("offset@") else name


def offset_name(ocv: float) -> str:
    """Result name of the offset of the scan at ``ocv`` (V), e.g. ``"offset@3.5V"``.

    Parameters
    ----------
    ocv : float
        OCV of the scan (V).

    Returns
    -------
    str
    """
    return f"offset@{ocv:g}V"


def param_unit(name: str) -> str:
    """Unit of a result name (``"eV"``, ``"V"``, ``"nm"``, ``"1"``; ``""`` if unknown).

    Parameters
    ----------
    name : str
        A result name.

    Returns
    -------
    str
    """
    k = param_kind(name)
    return PARAM_UNITS[k] if k in PARAM_UNITS else PARAM_UNITS.get(name, "")


@dataclass
class ParameterSet:
    """The fitted parameters and the fixed settings of one fit.

    Attributes
    ----------
    names : list of str
        Result names of the fitted parameters, in the order of the parameter vector.
    initial : numpy.ndarray
        Starting values (units of :data:`PARAM_UNITS`); the coarse x-offset search updates it.
    lower, upper : numpy.ndarray
        Bounds (same units).
    fixed : dict
        Values of the settings not fitted, by result name.
    ocv : numpy.ndarray
        OCVs of the fitted scans (V), one offset each.
    """

    names: list[str]
    initial: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    fixed: dict[str, float]
    ocv: np.ndarray

    def values(self, theta):
        """All model settings at the parameter vector ``theta``.

        Parameters
        ----------
        theta : array_like
            Fitted values in the order of :attr:`names`.

        Returns
        -------
        values : dict
            Every setting by result name (fixed ones included).
        dipoles : dict
            ``{(left, right): dipole_V}``.
        offsets : numpy.ndarray
            Offset of each fitted scan (V).
        """
        v = dict(self.fixed)
        v.update(zip(self.names, theta, strict=True))
        dip = {}
        for k, val in v.items():
            if k.startswith("dipole:"):
                left, right = k[7:].split("|")
                dip[(left, right)] = val
        off = np.array([v.get(offset_name(o), v.get("offset", 0.0)) for o in self.ocv])
        return v, dip, off


def fitted_names(kinds: Sequence[str], stack, ocv_fit) -> list[str]:
    """Result names of the fitted parameters (one offset per scan, dipoles with the stack's layer names).

    Parameters
    ----------
    kinds : sequence of str
        From :func:`parse_params`.
    stack : ssbands.cell.Stack
        The cell.
    ocv_fit : array_like
        OCVs of the fitted scans (V).

    Returns
    -------
    list of str
    """
    stack_names = {ly.name.lower(): ly.name for ly in stack.layers}
    names: list[str] = []
    for k in kinds:
        if k == "offset":
            names += [offset_name(v) for v in ocv_fit]
        elif k.startswith("dipole:"):
            left, right = k[7:].split("|")
            if left.lower() not in stack_names or right.lower() not in stack_names:
                raise InputError(f"fit parameter {k!r}: no such layer in {stack.source}; layers: "
                                 f"{[ly.name for ly in stack.layers]}")
            names.append(f"dipole:{stack_names[left.lower()]}|{stack_names[right.lower()]}")
        else:
            names.append(SPEC_NAMES[k])
    return names


def check_names(names, stack, initial: Mapping, fixed: Mapping, bounds: Mapping) -> None:
    """Reject unknown names in ``initial``/``fixed``/``bounds``, and a parameter fitted and fixed.

    Parameters
    ----------
    names : list of str
        Fitted result names.
    stack : ssbands.cell.Stack
        The cell (fitting μ_Li,SE needs its extrinsic closure or a starting value).
    initial, fixed, bounds : mapping
        By result name.

    Raises
    ------
    InputError
    """
    if "mu_li_se_eV" in names and stack.closure != "extrinsic" and "mu_li_se_eV" not in initial:
        raise InputError(f"{stack.source}: fitting mu_li_se needs the extrinsic closure (closure = \"extrinsic\" "
                         "and a starting mu_li_se_eV in the stack file, or initial={'mu_li_se_eV': ...})")
    for k in list(initial) + list(fixed) + list(bounds):
        if k not in KNOWN_NAMES and not k.startswith(("dipole:", "offset@")):
            raise InputError(f"unknown parameter name {k!r} in initial/fixed/bounds; use one of "
                             f"{sorted(KNOWN_NAMES)}, 'dipole:L|R' or 'offset@<ocv>V'")
    for k in fixed:
        if k in names:
            raise InputError(f"parameter {k!r} is both fitted and fixed")


def starting_value(name: str, stack, initial: Mapping, fixed: Mapping, dx_meas: float, span: float,
                   front_th) -> float:
    """Starting value of a fitted parameter (unit of :data:`PARAM_UNITS`).

    Parameters
    ----------
    name : str
        Result name.
    stack : ssbands.cell.Stack
        Gives μ_Li,SE (eV; −1 eV if unset) and the dipoles (V).
    initial, fixed : mapping
        User values by result name (``"offset"`` starts every offset).
    dx_meas : float
        Median pixel size (nm); the width starts at max(3 pixels, 1 % of the span).
    span : float
        Measured x span (nm).
    front_th : float or None
        Thickness of the front layer (nm); the front starts at half of it.

    Returns
    -------
    float
    """
    k = param_kind(name)
    if name in initial:
        return float(initial[name])
    if k == "offset":
        return float(initial.get("offset", 0.0))
    if name == "mu_li_se_eV":
        return float(stack.mu_li_se_eV) if stack.mu_li_se_eV is not None else -1.0
    if k == "dipole":
        left, right = name[7:].split("|")
        return stack.dipole(left, right)
    if name == "width_nm":
        return float(fixed.get("width_nm", max(3.0 * dx_meas, 0.01 * span)))
    if name == "front_nm":
        return 0.5 * front_th
    if name == "x_offset_nm":
        return 0.0
    if name == "x_scale":
        return 1.0
    raise AssertionError(name)


def parameter_bounds(name: str, bounds: Mapping, dx_meas: float, span: float, front_th) -> tuple[float, float]:
    """Lower and upper bound of a fitted parameter (unit of :data:`PARAM_UNITS`).

    Parameters
    ----------
    name : str
        Result name.
    bounds : mapping
        User bounds by result name, replacing :data:`BOUNDS`.
    dx_meas : float
        Median pixel size (nm); the width's default lower bound is 1e-3 pixel.
    span : float
        Measured x span (nm); the width's default upper bound.
    front_th : float or None
        Thickness of the front layer (nm); the front's default upper bound.

    Returns
    -------
    (float, float)

    Raises
    ------
    InputError
        If the lower bound is not below the upper one.
    """
    if name in bounds:
        lo, hi = (float(v) for v in bounds[name])
    else:
        lo, hi = BOUNDS[param_kind(name)]
        if name == "front_nm":
            hi = front_th
        if name == "width_nm":
            lo, hi = 1e-3 * max(dx_meas, 1e-9), max(span, 1e-9)
    if not lo < hi:
        raise InputError(f"bounds of {name!r}: lower {lo} must be below upper {hi}")
    return lo, hi


def fixed_settings(names, fixed: Mapping, front_th, front_name) -> dict[str, float]:
    """Values of the settings not fitted: width 0 nm, x offset 0 nm, x scale 1, and what ``fixed`` gives.

    Parameters
    ----------
    names : list of str
        Fitted result names.
    fixed : mapping
        User values by result name (front in nm, μ_Li,SE in eV, dipoles and offsets in V).
    front_th : float or None
        Thickness of the front layer (nm), None without a front layer.
    front_name : str or None
        Name of the front layer.

    Returns
    -------
    dict

    Raises
    ------
    InputError
        A front without a front layer or outside the layer, a bad width or x scale.
    """
    fx: dict[str, float] = {}
    for n, dflt in (("width_nm", 0.0), ("x_offset_nm", 0.0), ("x_scale", 1.0)):
        if n not in names:
            fx[n] = float(fixed.get(n, dflt))
    if "front_nm" not in names and "front_nm" in fixed:
        if front_th is None:
            raise InputError("front_nm given but no front_layer")
        fx["front_nm"] = float(fixed["front_nm"])
    if "mu_li_se_eV" not in names and "mu_li_se_eV" in fixed:
        fx["mu_li_se_eV"] = float(fixed["mu_li_se_eV"])
    for k, v in fixed.items():
        if k.startswith(("dipole:", "offset@")) or k == "offset":
            fx[k] = float(v)
    check_geometry(fx.get("width_nm", 0.0), fx.get("x_scale", 1.0))
    if "front_nm" in fx and not 0 <= fx["front_nm"] <= front_th:
        raise InputError(f"front_nm = {fx['front_nm']} is outside 0..{front_th} nm (thickness of {front_name})")
    return fx


def build_parameters(kinds: Sequence[str], stack, model: ForwardModel, x_nm, ocv_fit, initial: Mapping,
                     fixed: Mapping, bounds: Mapping) -> ParameterSet:
    """The parameter set of a fit: names, starting values, bounds and fixed settings, all checked.

    Parameters
    ----------
    kinds : sequence of str
        From :func:`parse_params`.
    stack : ssbands.cell.Stack
        The cell.
    model : ForwardModel
        Gives the front layer and its thickness (nm).
    x_nm : numpy.ndarray
        Measured positions (nm).
    ocv_fit : numpy.ndarray
        OCVs of the fitted scans (V).
    initial, fixed, bounds : mapping
        User values by result name.

    Returns
    -------
    ParameterSet

    Raises
    ------
    InputError
        Unknown layers or names, a parameter fitted and fixed, bad bounds or starting values.
    """
    names = fitted_names(kinds, stack, ocv_fit)
    check_names(names, stack, initial, fixed, bounds)
    front_th = model.front_thickness_nm
    dx_meas = float(np.median(np.diff(x_nm))) if x_nm.size > 1 else 1.0
    span = float(x_nm[-1] - x_nm[0])
    p0 = np.array([starting_value(n, stack, initial, fixed, dx_meas, span, front_th) for n in names], float)
    lb = np.array([parameter_bounds(n, bounds, dx_meas, span, front_th)[0] for n in names])
    ub = np.array([parameter_bounds(n, bounds, dx_meas, span, front_th)[1] for n in names])
    for n, v, lo, hi in zip(names, p0, lb, ub, strict=True):
        if not (np.isfinite(v) and lo <= v <= hi):
            raise InputError(f"starting value of {n!r} = {v!r} is outside its bounds [{lo}, {hi}]")
    p0 = np.clip(p0, lb, ub)
    fx = fixed_settings(names, fixed, front_th, model.front_name)
    return ParameterSet(names, p0, lb, ub, fx, ocv_fit)


def electrolyte_slope(stack, mu_li_se_eV: float, library=None) -> float:
    """Slope s = dE_vac/dμ_Li,SE of the stack's electrolyte bulk at μ_Li,SE (0 in the Frenkel limit).

    ΔCPD sees μ_Li,SE only through s (the electrolyte's vacuum level moves by s·Δμ_Li,SE), so a fit of
    μ_Li,SE has a standard error ∝ 1/s and is impossible at s = 0.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell.
    mu_li_se_eV : float
        μ_Li,SE (eV vs Li metal).
    library : Library, optional
        Source of Φ_Li (default: built-in).

    Returns
    -------
    float
    """
    from ...cell.electrolyte import BulkModel
    from ...interface import phi_li
    from ...materials import load_library

    lib = library if library is not None else load_library()
    return float(BulkModel(stack.electrolyte.material, phi_li(lib), stack.temperature_K).at(mu_li_se_eV).slope)


def check_identifiable(resid: Callable, params: ParameterSet, front_name) -> None:
    """Reject a parameter with no effect at all on the residuals (a clear error, not a huge error bar).

    Each parameter is moved by its :data:`PROBE` step from its starting value (down when up would
    leave its bounds); a residual change below 1e-9 of the largest residual means no effect.

    Parameters
    ----------
    resid : callable
        Residual vector of a parameter vector.
    params : ParameterSet
        The fitted parameters.
    front_name : str or None
        Name of the front layer (for the message).

    Raises
    ------
    InputError
        Naming the parameter, with the physical reason for μ_Li,SE and the front.
    """
    p0, ub = params.initial, params.upper
    r0 = resid(p0)
    for j, n in enumerate(params.names):
        step = PROBE[param_kind(n)]
        t = p0.copy()
        t[j] = t[j] + step if t[j] + step <= ub[j] else t[j] - step
        if np.max(np.abs(resid(t) - r0)) <= 1e-9 * max(1.0, float(np.max(np.abs(r0)))):
            why = ""
            if n == "mu_li_se_eV":
                why = (" The electrolyte's vacuum level does not follow mu_Li,SE (slope s = dE_vac/dmu_Li,SE = 0, "
                       "the Frenkel limit: ionic defects alone set neutrality), so mu_Li,SE moves only its Fermi "
                       "level, which KPFM does not see. An electrolyte with a defect model giving s > 0 makes it "
                       "fittable.")
            elif n == "front_nm":
                why = f" The work function of {front_name} does not change at the fitted OCVs."
            raise InputError(f"fit parameter {n!r} has no effect on the model ΔCPD at these OCVs and "
                             f"positions, so the data cannot determine it; fix it instead.{why}")
