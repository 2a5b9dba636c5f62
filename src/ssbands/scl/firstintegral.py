r"""Semi-infinite Poisson–Fermi–Dirac space-charge layer from its exact first integral.

Model: Swift, Swift & Qi, Nat. Comput. Sci. 1, 212 (2021).

Two oppositely charged Li defects (interstitial Li_i⁺, vacancy V_Li⁻) with site density N,
saturation α and formation energy E_f0 at the neutral bulk potential::

    c±(x) = N / (1/α + exp{[E_f0 ± e(φ(x) − φ∞)]/kT}),    ε_r ε_0 φ'' = −e (c₊ − c₋)

Dimensionless: ξ = x/λ, λ = sqrt(ε_r ε_0 kT / (α N e²)), f = e(φ∞ − φ)/kT, B = α exp(E_f0/kT)::

    f'' = 1/(B e^{−f} + 1) − 1/(B e^{f} + 1) = −dU/df,
    g(f) ≡ −U(f) = ln[(1 + B² + 2B cosh f)/(1 + B)²] = log1p(4B sinh²(f/2)/(1 + B)²) ≥ 0,
    f'(ξ) = −sign(f) sqrt(2 g(f)),    ξ(f) = ∫_f^{f0} df' / sqrt(2 g(f')).

Every expression is evaluated in log space (``softplus``/``logaddexp``/``expm1``) so that f0 up to
several hundred and B from 1e-300 to 1e300 neither overflow nor cancel. The position ξ(f) is
computed by Gauss–Legendre quadrature in u = ln f (where the integrand is smooth, including the
exponential tail) on a graded table, and f(ξ) is its monotone cubic-Hermite inverse using the
exact slope from the first integral; beyond the table the exact linear-tail law f ∝ exp(−ξ/ℓ)
with ℓ = (1 + B)/sqrt(2B) is used. No mesh, no ODE integration.

Sign conventions: φ0 = φ∞ − φ(0) > 0 means the electrolyte bulk is at the higher potential
(Li|LLZO). ``sigma`` is the charge per area on the electrode side, σ = f'(0)·sqrt(αN kT ε_rε_0),
equal and opposite to the SCL's own charge (Gauss's law).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from ..constants import E_CHARGE, EPS0, K_B, K_B_EV, PER_CM3, kT_eV
from ..errors import InputError

_LN2 = np.log(2.0)
_LN4 = np.log(4.0)
# Gauss-Legendre nodes/weights on [0, 1]
GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(6)
GL_NODES = 0.5 * (GL_NODES + 1.0)
GL_WEIGHTS = 0.5 * GL_WEIGHTS
_GL4_X, _GL4_W = np.polynomial.legendre.leggauss(4)
_GL4_X = 0.5 * (_GL4_X + 1.0)
_GL4_W = 0.5 * _GL4_W


def softplus(x):
    """ln(1 + e^x) without overflow or loss of precision (max(x, 0) + log1p(e^{−|x|}), ~2x faster than logaddexp)."""
    x = np.asarray(x, float)
    a = np.abs(x, out=np.empty(x.shape))
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.log1p(a, out=a)
    a += np.maximum(x, 0.0)
    return a if a.ndim else a[()]


def log_sinh(y):
    """Ln sinh(y) for y > 0, accurate for tiny and huge y."""
    y = np.asarray(y, float)
    with np.errstate(divide="ignore"):
        return y - _LN2 + np.log(-np.expm1(-2.0 * y))


def g_of_f(f, lnB):
    """g(f) = −U(f) of the first integral (≥ 0), stable for any f and ln B."""
    af = np.abs(np.asarray(f, float))
    with np.errstate(divide="ignore"):
        L = _LN4 + lnB - 2.0 * softplus(lnB) + 2.0 * log_sinh(0.5 * af)
    return np.where(af == 0.0, 0.0, softplus(L))


def rhs_of_f(f, lnB):
    """F'' = 1/(B e^{−f} + 1) − 1/(B e^{f} + 1) (= dg/df), stable; odd in f."""
    f = np.asarray(f, float)
    af = np.abs(f)
    with np.errstate(divide="ignore"):
        ln = _LN2 + lnB + log_sinh(af) - softplus(lnB - af) - softplus(lnB + af)
    return np.sign(f) * np.where(af == 0.0, 0.0, np.exp(ln))


#: Largest interface step (V) a layer may screen. The steps of a solid-state cell are sums of electrode
#: potentials (≤ about 6 V vs Li/Li⁺, F2/F⁻ being the most oxidising couple), work-function differences
#: (≤ about 3 eV) and φ0^Li (a few V); a larger |φ0| is an input error, not a layer.
MAX_STEP_V = 20.0
#: Largest defect formation energy E_f0 (eV) in magnitude: formation energies of point defects are a few eV.
MAX_DEFECT_ENERGY_EV = 20.0
#: Largest profile table (layers × nodes) :func:`layer_profiles` builds (each array ~160 MB at most).
MAX_TABLE_NODES = 20_000_000


def dimensionless(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K):
    """Validated dimensionless parameters of a batch of two-defect layers (all arguments broadcast).

    Parameters
    ----------
    phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K : array_like
        As in :func:`first_integral` (V, cm⁻³, eV, –, –, K).

    Returns
    -------
    tuple
        ``(phi0_V, f0, lnB, lambda_m, S_C_per_m2, kT_eV, alphaN_m3)``: the step, f0 = φ0/kT, ln B,
        the length scale λ (m), the charge scale S = sqrt(αN kT ε) (C/m²), kT (eV) and αN (m⁻³).
    """
    names = ("phi0_V", "site_density_cm3", "defect_energy_eV", "permittivity", "alpha", "temperature_K")
    values = (phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K)
    arrays = []
    for name, v in zip(names, values, strict=True):
        try:
            arrays.append(np.asarray(v, float))
        except (TypeError, ValueError):
            raise InputError(f"space-charge layer: {name} must be a number or an array of numbers, got {v!r}") from None
    try:
        args = np.broadcast_arrays(*arrays)
    except ValueError:
        raise InputError("space-charge layer: the parameters do not broadcast together, shapes "
                         + ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays, strict=True))) from None
    phi0, N, Ef0, eps, al, T = args
    for name, arr, ok in (("site_density_cm3", N, N > 0), ("permittivity", eps, eps > 0),
                          ("alpha", al, (al > 0) & (al <= 1)), ("temperature_K", T, T > 0),
                          ("phi0_V", phi0, np.isfinite(phi0)), ("defect_energy_eV", Ef0, np.isfinite(Ef0))):
        if not np.all(ok):
            bad = np.asarray(arr)[~np.asarray(ok)].ravel()[:3]
            raise InputError(f"space-charge layer: {name} has invalid value(s) {bad.tolist()} "
                             "(site density, permittivity, temperature > 0; 0 < alpha <= 1; all finite)")
    if np.any(np.abs(Ef0) > MAX_DEFECT_ENERGY_EV):
        bad = Ef0[np.abs(Ef0) > MAX_DEFECT_ENERGY_EV].ravel()[:3]
        raise InputError(f"space-charge layer: defect_energy_eV = {bad.tolist()} eV is larger than "
                         f"{MAX_DEFECT_ENERGY_EV:g} eV in magnitude; defect formation energies are a few eV")
    if np.any(np.abs(phi0) > MAX_STEP_V):
        bad = phi0[np.abs(phi0) > MAX_STEP_V].ravel()[:3]
        raise InputError(f"space-charge layer: step phi0_V = {bad.tolist()} V is larger than {MAX_STEP_V:g} V in "
                         "magnitude; interface steps of a cell are a few volts (electrode potentials, work-function "
                         "differences and phi0^Li)")
    kt = kT_eV(T)
    f0 = phi0 / kt
    lnB = np.log(al) + Ef0 / kt
    n_m3 = N * PER_CM3
    lam = np.sqrt(eps * EPS0 * kt / (al * n_m3 * E_CHARGE))  # m
    S = np.sqrt(al * n_m3 * K_B * T * eps * EPS0)  # C/m^2
    return phi0, f0, lnB, lam, S, kt, al * n_m3


@dataclass(frozen=True)
class SCLResult:
    """Scalar results of a batch of semi-infinite space-charge layers (arrays, SI + labelled units)."""

    phi0_V: np.ndarray
    f0: np.ndarray
    B: np.ndarray
    lnB: np.ndarray
    debye_scale_m: np.ndarray  # λ
    sigma_C_per_m2: np.ndarray
    capacitance_F_per_m2: np.ndarray  # differential, dσ/dφ0 (magnitude)
    integral_capacitance_F_per_m2: np.ndarray
    saturated_width_m: np.ndarray
    debye_length_m: np.ndarray

    @property
    def sigma_e_per_nm2(self):
        """Electrode-side charge per area in e/nm²."""
        return self.sigma_C_per_m2 / E_CHARGE * 1e-18

    @property
    def capacitance_uF_per_cm2(self):
        """Differential capacitance in µF/cm²."""
        return self.capacitance_F_per_m2 * 100.0

    def to_dict(self) -> dict:
        """Plain JSON-ready dict with the project's output keys (lists for batches)."""
        def v(a, scale=1.0):
            a = np.asarray(a) * scale
            return a.tolist() if a.ndim else float(a)

        return {
            "phi0_V": v(self.phi0_V),
            "sigma_e_per_nm2": v(self.sigma_e_per_nm2),
            "capacitance_uF_per_cm2": v(self.capacitance_uF_per_cm2),
            "integral_capacitance_uF_per_cm2": v(self.integral_capacitance_F_per_m2, 100.0),
            "saturated_width_A": v(self.saturated_width_m, 1e10),
            "debye_length_A": v(self.debye_length_m, 1e10),
            "B": v(self.B),
        }


def first_integral(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1, temperature_K=300.0):
    """Surface charge, capacitances and the two widths of semi-infinite SCLs, for a whole batch.

    All arguments broadcast against each other (numpy arrays of interfaces). Closed forms, no
    quadrature: ~10⁷ interfaces per second.

    Parameters
    ----------
    phi0_V : array_like
        Step screened by the layer, φ∞ − φ(0), V (> 0: electrolyte bulk at the higher potential).
    site_density_cm3 : array_like
        Defect site density N, cm⁻³.
    defect_energy_eV : array_like
        Formation energy E_f0 of each defect at the neutral bulk potential, eV.
    permittivity : array_like
        Relative permittivity ε_r.
    alpha : array_like
        Saturation factor α (0 < α ≤ 1).
    temperature_K : array_like
        Temperature, K.
    """
    phi0, f0, lnB, lam, S, kt, _ = dimensionless(phi0_V, site_density_cm3, defect_energy_eV,
                                                  permittivity, alpha, temperature_K)
    # one pass of shared transcendental terms (profiled: this is the whole cost)
    af = np.abs(f0)
    sp_b = softplus(lnB)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.exp(-af)
        lm = np.log(-np.expm1(-af))  # ln(1 − e^{−|f|}); −inf at f = 0
        ls_half = 0.5 * af - _LN2 + lm  # ln sinh(|f|/2)
        g0 = softplus(_LN4 + lnB - 2.0 * sp_b + 2.0 * ls_half)  # g(f0) = −U(f0)
        slope = np.sqrt(2.0 * g0)  # |f'(0)|
        # |f''(f0)| = 2B sinh|f| / [(1+B)² e^{g}]  (the denominator (1+Be^{-f})(1+Be^{f}) = (1+B)² e^{g})
        ln_rhs = lnB + af + lm + np.log1p(e) - 2.0 * sp_b - g0
        small = af < 1e-8
        ratio = np.where(small, np.exp(0.5 * (_LN2 + lnB) - sp_b), np.exp(ln_rhs) / np.where(small, 1.0, slope))
    sigma = -np.sign(f0) * slope * S
    # Debye (tail) length: λ (1 + B)/sqrt(2B), in logs
    ld = lam * np.exp(sp_b - 0.5 * (_LN2 + lnB))
    cdiff = S * ratio / kt  # F/m^2
    cint = np.where(small, cdiff, np.abs(sigma) / np.where(small, 1.0, np.abs(phi0)))
    return SCLResult(phi0_V=phi0, f0=f0, B=np.exp(np.minimum(lnB, 700.0)), lnB=lnB, debye_scale_m=lam,
                     sigma_C_per_m2=sigma, capacitance_F_per_m2=cdiff, integral_capacitance_F_per_m2=cint,
                     saturated_width_m=lam * slope, debye_length_m=ld)


def _hermite(xk, yk, dk, x):
    """Cubic Hermite interpolation through (xk, yk) with slopes dk, evaluated at x (vectorised)."""
    i = np.clip(np.searchsorted(xk, x, side="right") - 1, 0, xk.size - 2)
    h = xk[i + 1] - xk[i]
    s = (x - xk[i]) / h
    s2, s3 = s * s, s * s * s
    return ((2 * s3 - 3 * s2 + 1) * yk[i] + (s3 - 2 * s2 + s) * h * dk[i]
            + (-2 * s3 + 3 * s2) * yk[i + 1] + (s3 - s2) * h * dk[i + 1])


def _s_of_f(f):
    """Table arclength: Δ ln f = 0.04 for f < 4, Δf = 0.16 above."""
    f = np.asarray(f, float)
    return np.where(f < 4.0, np.log(f) / 0.04, np.log(4.0) / 0.04 + (f - 4.0) / 0.16)


def _f_of_s(s):
    s4 = np.log(4.0) / 0.04
    return np.where(s < s4, np.exp(0.04 * s), 4.0 + 0.16 * (s - s4))


def _scalar_dimensionless(phi0, N, Ef0, eps, al, T):
    """Scalar fast path of :func:`dimensionless` (floats); None when any input is invalid."""
    try:
        phi0, N, Ef0, eps, al, T = (float(v) for v in (phi0, N, Ef0, eps, al, T))
    except (TypeError, ValueError):
        return None
    if not (N > 0 and eps > 0 and 0 < al <= 1 and T > 0 and all(map(math.isfinite, (phi0, N, Ef0, eps, T)))):
        return None
    kt = K_B_EV * T
    an = al * N * PER_CM3
    return phi0 / kt, math.log(al) + Ef0 / kt, math.sqrt(eps * EPS0 * kt / (an * E_CHARGE)), kt, an


def _profile_table(af0, lnB, sp_b, fmin, d1=0.04, d2=0.16):
    """Table of ξ(f), ln f and d ln f/dξ at nodes from |f0| down to fmin.

    Δ ln f = d1 below f = 4, Δf = d2 above, ξ by 4-point Gauss–Legendre per panel in u = ln f.
    Hermite interpolation on it is accurate to ~3e-8 V (measured against the direct quadrature of
    :meth:`SpaceChargeLayer.position`).
    """
    c = _LN4 + lnB - 2.0 * sp_b  # ln[4B/(1+B)²] ≤ 0
    lo = math.log(fmin)
    if af0 <= 4.0:
        uk = np.linspace(math.log(af0), lo, max(int(math.ceil((math.log(af0) - lo) / d1)), 2) + 1)
        fk = np.exp(uk)
    else:
        n2 = max(int(math.ceil((af0 - 4.0) / d2)), 1)
        n1 = max(int(math.ceil((_LN4 - lo) / d1)), 2)
        fk = np.concatenate([np.linspace(af0, 4.0, n2 + 1)[:-1], np.exp(np.linspace(_LN4, lo, n1 + 1))])
        uk = np.log(fk)
    if af0 < 600.0:  # g = log1p(K sinh²(f/2)), K = 4B/(1+B)² ≤ 1: no overflow below f = 1400
        K = math.exp(c)

        def two_g(f):
            s = np.sinh(0.5 * f)
            s *= s
            s *= K
            np.log1p(s, out=s)
            s *= 2.0
            return s
    else:
        def two_g(f):
            return 2.0 * g_of_f(f, lnB)
    a, b = uk[1:], uk[:-1]
    uq = a[:, None] + (b - a)[:, None] * _GL4_X
    fq = np.exp(uq)
    h = fq / np.sqrt(two_g(fq))
    xi = np.empty(uk.size)
    xi[0] = 0.0
    np.cumsum((b - a) * (h @ _GL4_W), out=xi[1:])
    return xi, uk, -np.sqrt(two_g(fk)) / fk


@dataclass(frozen=True)
class SpaceChargeLayer:
    """One semi-infinite SCL with its potential profile, from the first integral (no mesh).

    Distances are measured from the interface into the electrolyte, in nm. ``potential(x)`` is
    φ(x) − φ∞ in V (equal to −φ0 at x = 0, → 0 deep in the bulk).
    """

    phi0_V: float
    site_density_cm3: float
    defect_energy_eV: float
    permittivity: float
    alpha: float = 0.1
    temperature_K: float = 300.0
    f_min: float = 1e-6
    _table: dict = field(init=False, repr=False, compare=False)  # set in __post_init__

    def __post_init__(self):
        d = _scalar_dimensionless(self.phi0_V, self.site_density_cm3, self.defect_energy_eV, self.permittivity,
                                  self.alpha, self.temperature_K)
        if d is None:  # invalid input: let the array path raise its detailed InputError
            dimensionless(self.phi0_V, self.site_density_cm3, self.defect_energy_eV, self.permittivity,
                           self.alpha, self.temperature_K)
            raise InputError("space-charge layer: invalid parameters")  # pragma: no cover
        f0, lnB, lam, kt, an = d
        if not (self.f_min > 0 and math.isfinite(self.f_min)):
            raise InputError(f"f_min must be > 0, got {self.f_min!r}")
        af0 = abs(f0)
        sp_b = max(lnB, 0.0) + math.log1p(math.exp(-abs(lnB)))
        ell = math.exp(sp_b - 0.5 * (_LN2 + lnB))  # tail length in units of λ
        t = {"f0": f0, "af0": af0, "lnB": lnB, "lam_nm": lam * 1e9, "kt": kt,
             "ell": ell, "alphaN_cm3": an / PER_CM3}
        if af0 > 0:
            t["xi"], t["lnf"], t["dlnf"] = _profile_table(af0, lnB, sp_b, min(self.f_min, 1e-3 * af0))
        object.__setattr__(self, "_table", t)

    # ------------------------------------------------------------------ scalars
    @property
    def result(self) -> SCLResult:
        """Closed-form scalars of this layer (:func:`first_integral`)."""
        return first_integral(self.phi0_V, self.site_density_cm3, self.defect_energy_eV, self.permittivity,
                              self.alpha, self.temperature_K)

    def f(self, x_nm):
        """Dimensionless potential f(x) = e(φ∞ − φ)/kT at distance x (nm) from the interface."""
        t = self._table
        x = np.asarray(x_nm, float)
        if np.any(x < 0):
            raise InputError("SCL positions are distances from the interface and must be >= 0")
        if t["af0"] == 0:
            return np.zeros_like(x)
        xi = x / t["lam_nm"]
        out = np.empty_like(xi)
        inside = xi <= t["xi"][-1]
        out[inside] = np.exp(_hermite(t["xi"], t["lnf"], t["dlnf"], xi[inside]))
        out[~inside] = np.exp(t["lnf"][-1] - (xi[~inside] - t["xi"][-1]) / t["ell"])
        return np.sign(t["f0"]) * out

    def potential(self, x_nm):
        """φ(x) − φ∞ in V at distance x (nm) from the interface."""
        return -self._table["kt"] * self.f(x_nm)

    def position(self, phi_V):
        """Distance (nm) from the interface at which φ − φ∞ equals ``phi_V`` (inverse of potential)."""
        t = self._table
        f = -np.asarray(phi_V, float) / t["kt"]
        if t["af0"] == 0:
            raise InputError("the layer has phi0 = 0: the potential is flat and has no position")
        af = np.sign(t["f0"]) * f
        if np.any(af <= 0) or np.any(af > t["af0"] * (1 + 1e-12)):
            raise InputError("requested potential is outside the layer's range (between -phi0 and 0, exclusive of 0)")
        return self._xi_of_absf(np.minimum(af, t["af0"])) * t["lam_nm"]

    def _xi_of_absf(self, af):
        """ξ at which |f| = af, by direct quadrature (independent of the spline)."""
        t = self._table
        af = np.atleast_1d(np.asarray(af, float))
        u0 = np.log(t["af0"])
        u = np.log(af)
        # panels between u and u0, 64 GL panels each (adequate to ~1e-12)
        n = 64
        edges = u[:, None] + (u0 - u)[:, None] * np.linspace(0, 1, n + 1)[None, :]
        a, b = edges[:, :-1], edges[:, 1:]
        uq = a[..., None] + (b - a)[..., None] * GL_NODES
        fq = np.exp(uq)
        h = fq / np.sqrt(2.0 * g_of_f(fq, t["lnB"]))
        return ((b - a) * (h @ GL_WEIGHTS)).sum(axis=1)

    def concentrations(self, x_nm):
        """(c₊, c₋) in cm⁻³ at distance x (nm): Li interstitials and vacancies."""
        t = self._table
        f = self.f(x_nm)
        an = t["alphaN_cm3"]
        cp = an * np.exp(-softplus(t["lnB"] - f))
        cm = an * np.exp(-softplus(t["lnB"] + f))
        return cp, cm

    def charge_density(self, x_nm):
        """Net charge density ρ(x) in C/cm³."""
        cp, cm = self.concentrations(x_nm)
        return E_CHARGE * (cp - cm)

    def extent_nm(self, tol_V: float = 1e-6) -> float:
        """Distance beyond which |φ − φ∞| < tol_V (from the table; exact tail law beyond it)."""
        t = self._table
        if t["af0"] * t["kt"] <= tol_V:
            return 0.0
        target = np.log(tol_V / t["kt"])
        lnf = t["lnf"]
        if target >= lnf[-1]:
            xi = np.interp(-target, -lnf, t["xi"])
        else:
            xi = t["xi"][-1] + (lnf[-1] - target) * t["ell"]
        return float(xi * t["lam_nm"])


# ------------------------------------------------------------------------------------------------
# many layers of one material at once (the cell solve: two interfaces × many states)

def _linspace_rows(start, stop, num):
    """Row-wise ``np.linspace(start[k], stop[k], num[k])`` padded with NaN to ``num.max()`` columns."""
    P = int(num.max())
    i = np.arange(P, dtype=float)[None, :]
    div = (num - 1).astype(float)[:, None]
    step = (stop - start)[:, None] / div
    y = i * step + start[:, None]
    last = np.arange(P)[None, :] == (num - 1)[:, None]
    y = np.where(last, stop[:, None], y)
    return np.where(np.arange(P)[None, :] < num[:, None], y, np.nan)


@functools.lru_cache(maxsize=64)
def _shared_tail(lnB: float, sp_b: float, lo: float, d1: float):
    """The tail table (uniform in ln f from 4 down to e^lo) shared by all layers of one material, cached."""
    two_g = _two_g_factory(lnB, sp_b)
    n1 = max(int(math.ceil((_LN4 - lo) / d1)), 2)
    u_tail = np.linspace(_LN4, lo, n1 + 1)
    xt = np.concatenate([[0.0], np.cumsum(_panels(u_tail[1:], u_tail[:-1], two_g))])
    dl_tail = _dlnf(u_tail, two_g)
    for a in (u_tail, xt, dl_tail):
        a.setflags(write=False)
    return u_tail, xt, dl_tail


def _two_g_factory(lnB, sp_b):
    """2 g(f) for the profile tables (the scalar table's formula, vectorised, overflow-safe)."""
    K = math.exp(_LN4 + lnB - 2.0 * sp_b)

    def two_g(f):
        with np.errstate(over="ignore", invalid="ignore"):
            s = np.sinh(0.5 * f)
            out = 2.0 * np.log1p(K * s * s)
        big = f >= 600.0
        if np.any(big):
            out = np.where(big, 2.0 * g_of_f(np.where(big, f, 1.0), lnB), out)
        return out

    two_g.lnB, two_g.sp_b = lnB, sp_b
    return two_g


def _panels(u_lo, u_hi, two_g):
    """ξ increments of the panels [u_lo, u_hi] in u = ln f (4-point Gauss–Legendre; NaN panels → 0)."""
    uq = u_lo[..., None] + (u_hi - u_lo)[..., None] * _GL4_X
    with np.errstate(invalid="ignore"):
        fq = np.exp(uq)
        h = fq / np.sqrt(two_g(fq))
    panel = (u_hi - u_lo) * (h @ _GL4_W)
    return np.where(np.isfinite(panel), panel, 0.0)


def _dlnf(u, two_g):
    with np.errstate(invalid="ignore"):
        fk = np.exp(u)
        return -np.sqrt(two_g(fk)) / fk


def _small_tables(af0, lo, two_g, d1):
    """Tables of layers with |f0| ≤ 4 (nodes uniform in ln f), rows padded with NaN."""
    n = np.maximum(np.ceil((np.log(af0) - lo) / d1).astype(int), 2) + 1
    uk = _linspace_rows(np.log(af0), lo, n)
    panel = _panels(uk[:, 1:], uk[:, :-1], two_g)
    xi = np.concatenate([np.zeros((af0.size, 1)), np.cumsum(panel, axis=1)], axis=1)
    return xi, uk, _dlnf(uk, two_g), n


def _large_tables(af0, lo, two_g, d1, d2):
    """Tables of layers with |f0| > 4.

    A per-layer head (uniform in f down to 4) and one shared tail (uniform in ln f from 4 down to
    f_min), computed once for all layers.
    """
    n2 = np.maximum(np.ceil((af0 - 4.0) / d2).astype(int), 1)
    u_tail, xt, dl_tail = _shared_tail(two_g.lnB, two_g.sp_b, lo, d1)
    n1 = u_tail.size - 1
    f_head = _linspace_rows(af0, np.full(af0.shape, 4.0), n2 + 1)
    with np.errstate(invalid="ignore"):
        u_head = np.log(f_head)
    ph = _panels(u_head[:, 1:], u_head[:, :-1], two_g)
    xh = np.concatenate([np.zeros((af0.size, 1)), np.cumsum(ph, axis=1)], axis=1)
    total = xh[np.arange(af0.size), n2]
    dl_head = _dlnf(u_head, two_g)
    P = int(n2.max()) + n1 + 1
    col = np.arange(P)[None, :]
    head = col < n2[:, None]
    hc = np.minimum(col, u_head.shape[1] - 1)
    ti = np.clip(col - n2[:, None], 0, n1)
    rows = np.arange(af0.size)[:, None]
    n_nodes = n2 + n1 + 1
    valid = col < n_nodes[:, None]
    uk = np.where(valid, np.where(head, u_head[rows, hc], u_tail[ti]), np.nan)
    xi = np.where(valid, np.where(head, xh[rows, hc], total[:, None] + xt[ti]), np.nan)
    dl = np.where(valid, np.where(head, dl_head[rows, hc], dl_tail[ti]), np.nan)
    return xi, uk, dl, n_nodes


def _batched_tables(af0, lnB, sp_b, f_min, d1=0.04, d2=0.16):
    """Profile tables (ξ, ln f, d ln f/dξ) of many layers of one material, rows padded with NaN.

    Row k holds the nodes of the scalar table for |f0| = af0[k] (same node rule as
    :class:`SpaceChargeLayer`), so interpolation on it gives the same profile; the tail that all
    layers with |f0| > 4 share is integrated once.
    """
    two_g = _two_g_factory(lnB, sp_b)
    small = af0 <= 4.0
    parts = []
    if np.any(small):
        parts.append((small, _small_tables(af0[small], np.log(np.minimum(f_min, 1e-3 * af0[small])), two_g, d1)))
    if np.any(~small):
        big = ~small
        lo = np.log(np.minimum(f_min, 1e-3 * af0[big]))
        if np.all(lo == lo[0]):
            parts.append((big, _large_tables(af0[big], float(lo[0]), two_g, d1, d2)))
        else:  # f_min above 4e-3: tails differ per layer
            for k in np.flatnonzero(big):
                m = np.zeros(af0.shape, bool)
                m[k] = True
                parts.append((m, _large_tables(af0[m], float(np.log(min(f_min, 1e-3 * af0[k]))), two_g, d1, d2)))
    P = max(t[0].shape[1] for _, t in parts)
    xi, uk, dl = (np.full((af0.size, P), np.nan) for _ in range(3))
    n_nodes = np.zeros(af0.size, int)
    for mask, (x_, u_, d_, n_) in parts:
        w = x_.shape[1]
        xi[mask, :w], uk[mask, :w], dl[mask, :w] = x_, u_, d_
        n_nodes[mask] = n_
    return xi, uk, dl, n_nodes


def _row_search(table, n_valid, q):
    """Row-wise ``searchsorted(table[k, :n_valid[k]], q[k], side="right")`` (q shared or one row per table row).

    numpy's binary search per row is faster than any vectorised bisection at every batch size measured
    (4 to 200 rows); the tables themselves are built without a loop over rows.
    """
    q = np.broadcast_to(q, (table.shape[0], np.shape(q)[-1]))
    return np.stack([np.searchsorted(table[k, :n_valid[k]], q[k], side="right") for k in range(table.shape[0])])


def _hermite_rows(xi_t, lnf_t, dlnf_t, n_nodes, xq):
    """Values of ln f at per-row query positions xq (n, q) from the padded tables (monotone cubic Hermite)."""
    rows = np.arange(n_nodes.size)[:, None]
    i = np.clip(_row_search(xi_t, n_nodes, xq) - 1, 0, (n_nodes - 2)[:, None])
    x0, x1 = xi_t[rows, i], xi_t[rows, i + 1]
    h = x1 - x0
    s = (xq - x0) / h
    s2, s3 = s * s, s * s * s
    return ((2 * s3 - 3 * s2 + 1) * lnf_t[rows, i] + (s3 - 2 * s2 + s) * h * dlnf_t[rows, i]
            + (-2 * s3 + 3 * s2) * lnf_t[rows, i + 1] + (s3 - s2) * h * dlnf_t[rows, i + 1])


def _extents(xi_t, lnf_t, n_nodes, xi_end, lnf_end, target, ell):
    """ξ beyond which ln|f| < target, per row (table interpolation or the exact tail law)."""
    e = np.empty(n_nodes.size)
    beyond = target < lnf_end
    e[beyond] = xi_end[beyond] + (lnf_end[beyond] - target) * ell
    inner = ~beyond
    if np.any(inner):
        neg = np.where(np.isfinite(lnf_t), -lnf_t, np.inf)[inner]
        nn = n_nodes[inner]
        j = np.clip(_row_search(neg, nn, np.array([-target]))[:, 0], 1, nn - 1)
        r = np.arange(nn.size)
        xa, xb = neg[r, j - 1], neg[r, j]
        ya, yb = xi_t[inner][r, j - 1], xi_t[inner][r, j]
        below = -target <= neg[r, 0]
        e[inner] = np.where(below, xi_t[inner][r, 0], ya + (yb - ya) * (-target - xa) / (xb - xa))
    return e


def _check_table_size(af0, phi0, kt, f_min) -> None:
    """Refuse layers whose profile tables would not fit in memory (a huge |φ0|/kT: step or temperature)."""
    head = np.maximum(np.ceil((af0 - 4.0) / 0.16), 0)
    tail = np.ceil((np.log(np.maximum(af0, 4.0)) - np.log(np.minimum(f_min, 1e-3 * af0))) / 0.04)
    nodes = float(af0.size) * float(np.max(head + tail + 2))
    if nodes > MAX_TABLE_NODES:
        k = int(np.argmax(af0))
        raise InputError(f"space-charge profiles: a step of {float(phi0[k]):.4g} V at kT = {kt:.4g} eV "
                         f"(|phi0|/kT = {float(af0[k]):.4g}) over {af0.size} layers needs {nodes:.3g} table nodes, "
                         f"more than {MAX_TABLE_NODES:.0e}; the temperature is too low or the step too large")


def layer_profiles(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1, temperature_K=300.0,
                   x_nm=(), f_min: float = 1e-6, extent_tol_V: float | None = None):
    """Potential profiles of many semi-infinite layers of ONE material.

    Row k equals ``SpaceChargeLayer(phi0_V[k], ...).f(x_nm[k])`` (same tables, same interpolation), but
    all tables are built together, without a Python loop over layers (the tail that every layer with
    |f0| > 4 shares is integrated once).

    Parameters
    ----------
    phi0_V : array_like, shape (n,)
        Steps screened by the layers (V).
    site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K : float
        Material and temperature (scalars: one material), units as in :func:`first_integral`.
    x_nm : array_like, shape (m,) or (n, m)
        Distances from the interface (nm, ≥ 0): shared by all layers, or one row per layer.
    f_min : float
        Smallest tabulated |f| (as :class:`SpaceChargeLayer`).
    extent_tol_V : float, optional
        If given, also return each layer's extent (nm) beyond which |φ − φ∞| < extent_tol_V.

    Returns
    -------
    f : ndarray, shape (n, m)
        Dimensionless potential e(φ∞ − φ)/kT.
    extent_nm : ndarray, shape (n,)
        Only when ``extent_tol_V`` is given.
    """
    phi0 = np.atleast_1d(np.asarray(phi0_V, float))
    x = np.broadcast_to(np.asarray(x_nm, float), (phi0.size, np.shape(x_nm)[-1]))
    if np.any(x < 0):
        raise InputError("SCL positions are distances from the interface and must be >= 0")
    d = _scalar_dimensionless(0.0, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K)
    if d is None or not np.all(np.isfinite(phi0)):
        dimensionless(phi0, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K)
        raise InputError("space-charge layer: invalid parameters")  # pragma: no cover
    _, lnB, lam, kt, _ = d
    lam_nm = lam * 1e9
    sp_b = max(lnB, 0.0) + math.log1p(math.exp(-abs(lnB)))
    ell = math.exp(sp_b - 0.5 * (_LN2 + lnB))
    f0 = phi0 / kt
    af0 = np.abs(f0)
    f = np.zeros(x.shape)
    ext = np.zeros(phi0.size)
    nz = af0 > 0
    if np.any(nz):
        _check_table_size(af0[nz], phi0[nz], kt, f_min)
        xi_t, lnf_t, dlnf_t, n_nodes = _batched_tables(af0[nz], lnB, sp_b, f_min)
        rows = np.arange(n_nodes.size)
        xi_end, lnf_end = xi_t[rows, n_nodes - 1], lnf_t[rows, n_nodes - 1]
        xi = x[nz] / lam_nm
        lnf = lnf_end[:, None] - (xi - xi_end[:, None]) / ell  # the exact tail law beyond the tables
        # only columns inside some layer's table need the table search
        cols = np.any(xi <= xi_end[:, None], axis=0)
        if np.any(cols):
            xq = xi[:, cols]
            herm = _hermite_rows(xi_t, lnf_t, dlnf_t, n_nodes, xq)
            lnf[:, cols] = np.where(xq <= xi_end[:, None], herm, lnf[:, cols])
        f[nz] = np.sign(f0[nz])[:, None] * np.exp(lnf)
        if extent_tol_V is not None:
            e = _extents(xi_t, lnf_t, n_nodes, xi_end, lnf_end, np.log(extent_tol_V / kt), ell)
            ext[nz] = np.where(af0[nz] * kt <= extent_tol_V, 0.0, e * lam_nm)
    if extent_tol_V is not None:
        return f, ext
    return f
