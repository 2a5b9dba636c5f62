r"""General charged species in an electrolyte and their semi-infinite space-charge layer.

Generalises the two-defect model of Swift, Swift & Qi, Nat. Comput. Sci. 1, 212 (2021).

Every species' concentration is a function of the local potential ψ = φ − φ_ref alone (φ_ref: the
reference potential of the species' energies, normally the neutral bulk), so the charge density
ρ(ψ) = e Σ z_i c_i(ψ) is a function of ψ, and Poisson's equation ε_rε_0 ψ'' = −ρ(ψ) keeps its exact
first integral for a semi-infinite layer::

    (ε_rε_0/2) ψ'(x)² = G(ψ) ≡ −∫_0^ψ ρ(ψ') dψ'   (ψ → 0, ψ' → 0 in the bulk),
    σ_electrode = −ε_rε_0 ψ'(0) = −sign(φ0) sqrt(2 ε_rε_0 G(−φ0)),
    x(ψ) = ∫_ψ^{−φ0} dψ' / sqrt(2 G(ψ')/ε_rε_0).

G is computed by composite Gauss–Legendre quadrature of ρ (no mesh, no ODE); ψ(0) = −φ0 with
φ0 = φ∞ − φ(0) > 0 meaning the bulk is at the higher potential (the convention of
:mod:`ssbands.scl.firstintegral`).

Species
-------
* :class:`ChargedSpecies` — a lattice defect of charge z (units of e) on N sites with saturation α
  and energy E (eV, at ψ = 0)::

      mobile:  c(ψ) = N / (1/α + exp[(E + z e ψ)/kT])        (Fermi–Dirac-like site statistics)
      frozen:  c(ψ) = c_fixed                                 (quenched; e.g. a dopant)

  With z = ±1 and E = E_f0 the pair (Li_i⁺, V_Li⁻) is the two-defect model of Swift, Swift & Qi (2021).
* :class:`Electrons` / :class:`Holes` — band carriers from the band edges (E_C − E_F, E_F − E_V in the
  bulk, eV) and the effective densities of states, with Boltzmann statistics or the Fermi–Dirac
  integral F_{1/2} (``statistics="auto"`` switches to Fermi–Dirac where η > −25)::

      n(ψ) = N_C F_{1/2}(η_n),  η_n = [E_F − E_C + eψ]/kT ;   p(ψ) = N_V F_{1/2}(η_p),  η_p = [E_V − E_F − eψ]/kT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
from scipy.interpolate import CubicHermiteSpline

from .._numerics import CARRIER_STATISTICS, band_carrier_density, fermi_dirac_half
from ..constants import E_CHARGE, EPS0, PER_CM3, kT_eV
from ..errors import InputError
from .firstintegral import SCLResult, softplus

__all__ = ["ChargedSpecies", "Electrons", "Holes", "SpeciesSet", "two_defect_species", "fermi_dirac_half",
           "first_integral_species", "GeneralLayer"]

_GL_X16, _GL_W16 = np.polynomial.legendre.leggauss(16)
_GL_X16 = 0.5 * (_GL_X16 + 1.0)
_GL_W16 = 0.5 * _GL_W16
_GL_X6, _GL_W6 = np.polynomial.legendre.leggauss(6)
_GL_X6 = 0.5 * (_GL_X6 + 1.0)
_GL_W6 = 0.5 * _GL_W6


# --------------------------------------------------------------------------------------- species
@dataclass(frozen=True)
class ChargedSpecies:
    """One charged lattice species (defect or dopant).

    Parameters
    ----------
    name : str
        Label, e.g. ``"Li_i+"``.
    charge : float
        Charge number z (units of e); nonzero.
    site_density_cm3 : float
        Site density N, cm⁻³ (> 0).
    energy_eV : float
        Formation energy E at ψ = 0 (the reference potential), eV (mobile species only).
    alpha : float
        Saturation factor α, the largest fraction of sites the species may fill (0 < α ≤ 1).
    mobile : bool
        ``False`` for a frozen (quenched) species, whose concentration is ``concentration_cm3``.
    concentration_cm3 : float or None
        Fixed concentration of a frozen species, cm⁻³ (≥ 0).
    diffusivity_cm2_s : float or None
        Diffusivity D, cm²/s (used for the ionic conductivity, :mod:`ssbands.scl.resistance`).
    """

    name: str
    charge: float
    site_density_cm3: float = 1.0
    energy_eV: float = 0.0
    alpha: float = 1.0
    mobile: bool = True
    concentration_cm3: float | None = None
    diffusivity_cm2_s: float | None = None

    def __post_init__(self):
        def bad(msg):
            raise InputError(f"species {self.name!r}: {msg}")

        if not np.isfinite(self.charge) or self.charge == 0:
            bad(f"charge must be a nonzero finite number, got {self.charge!r}")
        if self.mobile:
            if not (np.isfinite(self.site_density_cm3) and self.site_density_cm3 > 0):
                bad(f"site_density_cm3 must be > 0, got {self.site_density_cm3!r}")
            if not (0 < self.alpha <= 1):
                bad(f"alpha must be in (0, 1], got {self.alpha!r}")
            if not np.isfinite(self.energy_eV):
                bad(f"energy_eV must be finite, got {self.energy_eV!r}")
        else:
            c = self.concentration_cm3
            if c is None or not np.isfinite(c) or c < 0:
                bad(f"a frozen species needs concentration_cm3 >= 0, got {c!r}")
        if self.diffusivity_cm2_s is not None and not (self.diffusivity_cm2_s > 0):
            bad(f"diffusivity_cm2_s must be > 0, got {self.diffusivity_cm2_s!r}")

    def concentration(self, psi_V, temperature_K=300.0, derivative: bool = False):
        """c(ψ) in cm⁻³ (and dc/dψ in cm⁻³/V with ``derivative=True``)."""
        psi = np.asarray(psi_V, float)
        if not self.mobile:
            # a frozen species has concentration_cm3 >= 0 (checked in __post_init__), never None
            c = np.full(psi.shape, float(cast(float, self.concentration_cm3)))
            return (c, np.zeros(psi.shape)) if derivative else c
        kt = kT_eV(temperature_K)
        an = self.alpha * self.site_density_cm3
        arg = np.log(self.alpha) + (self.energy_eV + self.charge * psi) / kt
        c = an * np.exp(-softplus(arg))
        if not derivative:
            return c
        # dc/dψ = −c (z/kT) (1 − c/(αN)),  1 − c/(αN) = 1/(1 + e^{−arg})
        return c, -c * (self.charge / kt) * np.exp(-softplus(-arg))


@dataclass(frozen=True)
class _Band:
    offset_eV: float  # E_C − E_F (electrons) or E_F − E_V (holes) in the bulk (ψ = 0), eV
    effective_dos_cm3: float = 2.5e19
    statistics: str = "auto"
    diffusivity_cm2_s: float | None = None

    def __post_init__(self):
        kind = type(self).__name__
        if self.statistics not in CARRIER_STATISTICS:
            raise InputError(f"{kind}: statistics must be 'boltzmann', 'fermi-dirac' or 'auto', "
                             f"got {self.statistics!r}")
        if not (np.isfinite(self.effective_dos_cm3) and self.effective_dos_cm3 > 0):
            raise InputError(f"{kind}: effective_dos_cm3 must be > 0, got {self.effective_dos_cm3!r}")
        if not np.isfinite(self.offset_eV):
            raise InputError(f"{kind}: band offset must be finite, got {self.offset_eV!r}")

    mobile = True

    def _eta(self, psi, kt):
        raise NotImplementedError

    def concentration(self, psi_V, temperature_K=300.0, derivative: bool = False):
        """n(ψ) in cm⁻³ (and dn/dψ in cm⁻³/V with ``derivative=True``) at potential ψ (V) and T (K)."""
        psi0 = np.asarray(psi_V, float)
        psi = np.atleast_1d(psi0)
        kt = kT_eV(temperature_K)
        eta, deta = self._eta(psi, kt)
        if not derivative:
            return band_carrier_density(eta, self.effective_dos_cm3, self.statistics).reshape(psi0.shape)
        c, dc = band_carrier_density(eta, self.effective_dos_cm3, self.statistics, derivative=True)
        return c.reshape(psi0.shape), (dc * deta).reshape(psi0.shape)


@dataclass(frozen=True)
class Electrons(_Band):
    """Conduction-band electrons (charge −1). ``offset_eV`` = E_C − E_F in the bulk, eV."""

    name: str = "e-"
    charge: float = -1.0

    def _eta(self, psi, kt):
        return (-self.offset_eV + psi) / kt, 1.0 / kt


@dataclass(frozen=True)
class Holes(_Band):
    """Valence-band holes (charge +1). ``offset_eV`` = E_F − E_V in the bulk, eV."""

    name: str = "h+"
    charge: float = 1.0

    def _eta(self, psi, kt):
        return (-self.offset_eV - psi) / kt, -1.0 / kt


def two_defect_species(site_density_cm3, defect_energy_eV, alpha=0.1, diffusivity_cm2_s=None):
    """The (Li_i⁺, V_Li⁻) pair of the two-defect model (Swift, Swift & Qi 2021) as a species list."""
    return (ChargedSpecies("Li_i+", +1, site_density_cm3, defect_energy_eV, alpha, diffusivity_cm2_s=diffusivity_cm2_s),
            ChargedSpecies("V_Li-", -1, site_density_cm3, defect_energy_eV, alpha, diffusivity_cm2_s=diffusivity_cm2_s))


@dataclass(frozen=True)
class SpeciesSet:
    """The charged species of one material, its permittivity and temperature.

    ``rho(psi)`` is the charge density in C/m³ at potential ψ (V, from the reference potential of the
    species' energies). A semi-infinite layer needs a neutral bulk, ρ(0) = 0; :meth:`neutral_potential_V`
    finds the potential where it is, :meth:`shifted` re-references the energies to it.
    """

    species: tuple
    permittivity: float
    temperature_K: float = 300.0

    def __post_init__(self):
        sp = tuple(self.species)
        object.__setattr__(self, "species", sp)
        if not sp:
            raise InputError("a species set needs at least one charged species")
        if not any(getattr(s, "mobile", True) for s in sp):
            raise InputError("a species set needs at least one mobile species (otherwise nothing screens)")
        if not (np.isfinite(self.permittivity) and self.permittivity > 0):
            raise InputError(f"permittivity must be > 0, got {self.permittivity!r}")
        if not (np.isfinite(self.temperature_K) and self.temperature_K > 0):
            raise InputError(f"temperature_K must be > 0, got {self.temperature_K!r}")

    @property
    def kt(self) -> float:
        """Thermal energy kT in eV."""
        return float(kT_eV(self.temperature_K))

    @property
    def eps(self) -> float:
        """Absolute permittivity ε_rε_0, F/m."""
        return self.permittivity * EPS0

    def concentrations(self, psi_V):
        """Concentrations (cm⁻³) of every species at ψ, one array per species."""
        return [s.concentration(psi_V, self.temperature_K) for s in self.species]

    def rho(self, psi_V, derivative: bool = False):
        """Charge density ρ(ψ) in C/m³ (and dρ/dψ in C/m³/V)."""
        psi = np.asarray(psi_V, float)
        r = np.zeros(psi.shape)
        d = np.zeros(psi.shape)
        for s in self.species:
            if derivative:
                c, dc = s.concentration(psi, self.temperature_K, True)
                d += s.charge * dc
            else:
                c = s.concentration(psi, self.temperature_K)
            r += s.charge * c
        k = E_CHARGE * PER_CM3
        return (r * k, d * k) if derivative else r * k

    def charge_scale(self) -> float:
        """Σ |z| c at ψ = 0 in C/m³ (the scale against which neutrality is judged)."""
        return E_CHARGE * PER_CM3 * sum(abs(s.charge) * float(s.concentration(0.0, self.temperature_K))
                                        for s in self.species)

    def neutral_potential_V(self) -> float:
        """ψ at which ρ(ψ) = 0 (the bulk potential of this material relative to its energy reference)."""
        from scipy.optimize import brentq

        lo, hi = -1.0, 1.0
        for _ in range(60):
            if self.rho(lo) > 0 > self.rho(hi):
                break
            lo, hi = 2 * lo, 2 * hi
        else:
            raise InputError("species set: no potential makes the bulk neutral (check charges and energies)")
        return float(brentq(lambda p: float(self.rho(p)), lo, hi, xtol=1e-15, rtol=1e-15, maxiter=400))

    def shifted(self, psi_V: float) -> SpeciesSet:
        """The same material with its potential reference moved to ψ = ``psi_V`` (energies re-referenced)."""
        new: list[ChargedSpecies | Electrons | Holes] = []
        for s in self.species:
            if isinstance(s, ChargedSpecies):
                new.append(s if not s.mobile else ChargedSpecies(
                    s.name, s.charge, s.site_density_cm3, s.energy_eV + s.charge * psi_V, s.alpha, True, None,
                    s.diffusivity_cm2_s))
            elif isinstance(s, Electrons):
                new.append(Electrons(s.offset_eV - psi_V, s.effective_dos_cm3, s.statistics, s.diffusivity_cm2_s))
            elif isinstance(s, Holes):
                new.append(Holes(s.offset_eV + psi_V, s.effective_dos_cm3, s.statistics, s.diffusivity_cm2_s))
            else:  # pragma: no cover - user species types must implement this themselves
                raise InputError(f"cannot shift species of type {type(s).__name__}")
        return SpeciesSet(tuple(new), self.permittivity, self.temperature_K)

    def as_two_defect(self):
        """(N, E_f0, α) when this set is exactly the symmetric (Li_i⁺, V_Li⁻) pair, else None."""
        sp = self.species
        if (len(sp) == 2 and all(isinstance(s, ChargedSpecies) and s.mobile for s in sp)
                and sorted(s.charge for s in sp) == [-1, 1]
                and sp[0].site_density_cm3 == sp[1].site_density_cm3 and sp[0].energy_eV == sp[1].energy_eV
                and sp[0].alpha == sp[1].alpha):
            return sp[0].site_density_cm3, sp[0].energy_eV, sp[0].alpha
        return None

    def layer(self, phi0_V: float):
        """The semi-infinite layer screening φ0.

        The closed-form :class:`SpaceChargeLayer` for the two-defect pair (faster), else
        :class:`GeneralLayer`. Both have ``potential``/``position``/``extent_nm``.
        """
        td = self.as_two_defect()
        if td is not None:
            from .firstintegral import SpaceChargeLayer

            return SpaceChargeLayer(float(phi0_V), td[0], td[1], self.permittivity, td[2], self.temperature_K)
        return GeneralLayer(self, phi0_V)

    def saturated_rho(self, direction: float) -> float:
        """|ρ(ψ → direction·∞)| in C/m³.

        Mobile defects at their saturation (z·direction < 0) or absent; ``inf`` when band carriers
        accumulate without bound in that direction.
        """
        r = 0.0
        for s in self.species:
            if isinstance(s, ChargedSpecies):
                if not s.mobile:
                    r += s.charge * cast(float, s.concentration_cm3)  # set for a frozen species (checked)
                elif s.charge * direction < 0:
                    r += s.charge * s.alpha * s.site_density_cm3
            elif s.charge * direction < 0:  # electrons for ψ → +∞, holes for ψ → −∞
                return float("inf")
        return abs(r) * E_CHARGE * PER_CM3

    def check_neutral(self, rtol: float = 1e-8) -> None:
        """Raise InputError when the bulk (ψ = 0) is not neutral to ``rtol``."""
        r0 = float(self.rho(0.0))
        scale = self.charge_scale()
        if abs(r0) > rtol * scale:
            raise InputError(f"species set: the bulk at psi = 0 is not neutral (rho = {r0:.4g} C/m^3, "
                             f"relative {abs(r0) / scale:.3g}); a semi-infinite layer needs a neutral bulk. "
                             f"Use .shifted(.neutral_potential_V()) (= {self.neutral_potential_V():.6g} V) "
                             "or adjust the energies")

    def G(self, psi_V, panels_per_kT: float = 1.0):
        """G(ψ) = −∫_0^ψ ρ dψ' in J/m³ (≥ 0 for a stable bulk), vectorised, 16-point composite GL."""
        psi = np.atleast_1d(np.asarray(psi_V, float))
        n = max(int(np.ceil(np.max(np.abs(psi)) / self.kt * panels_per_kT)), 1) if psi.size else 1
        s = (np.arange(n)[:, None] + _GL_X16[None, :]).ravel() / n  # (n*16,) in (0, 1)
        w = np.tile(_GL_W16, n) / n
        pts = psi[:, None] * s[None, :]
        out = -psi * (self.rho(pts) @ w)
        return out.reshape(np.shape(psi_V))

    def debye_length_m(self) -> float:
        """Linear-screening (tail) length sqrt(ε_rε_0 / (−dρ/dψ at 0)), m."""
        _, d = self.rho(np.array([0.0]), derivative=True)
        if not d[0] < 0:
            raise InputError("species set: dρ/dψ >= 0 at the bulk; the bulk does not screen (no mobile charge?)")
        return float(np.sqrt(self.eps / -d[0]))


# ----------------------------------------------------------------------------- first integral
def first_integral_species(species: SpeciesSet, phi0_V) -> SCLResult:
    """Semi-infinite SCLs of a general species set for a batch of steps φ0 (V), by quadrature of ρ.

    Returns an :class:`~ssbands.scl.firstintegral.SCLResult` with the same fields as
    :func:`~ssbands.scl.first_integral`; for a general species list ``B``/``lnB`` are NaN,
    ``debye_scale_m`` is the tail (Debye) length, and the saturated width is |σ|/|ρ(−φ0)| (the width the
    saturated charge density |ρ(ψ → ∓∞)| would need to hold the layer's charge — λ|f'(0)| for the two-defect
    model; |ρ(−φ0)| replaces the saturated density when band carriers make it unbounded).
    """
    species.check_neutral()
    phi0 = np.asarray(phi0_V, float)
    if not np.all(np.isfinite(phi0)):
        raise InputError("phi0_V must be finite")
    G0 = species.G(-phi0)
    if np.any(G0 < 0):
        raise InputError("species set: G(ψ) < 0 — the charge density does not screen (ρ has the sign of ψ)")
    eps = species.eps
    sigma = -np.sign(phi0) * np.sqrt(2.0 * eps * G0)
    r0, _ = species.rho(-phi0, derivative=True)
    ld = species.debye_length_m()
    small = np.abs(phi0) < 1e-8 * species.kt
    with np.errstate(divide="ignore", invalid="ignore"):
        cdiff = np.where(small, eps / ld, eps * np.abs(r0) / np.abs(np.where(small, 1.0, sigma)))
        cint = np.where(small, eps / ld, np.abs(sigma) / np.where(small, 1.0, np.abs(phi0)))
        rsat = np.where(phi0 > 0, species.saturated_rho(-1.0), species.saturated_rho(+1.0))
        rsat = np.where(np.isfinite(rsat), rsat, np.abs(r0))
        xsat = np.where(small, 0.0, np.abs(sigma) / np.where(rsat == 0, np.inf, rsat))
    nan = np.full(phi0.shape, np.nan)
    return SCLResult(phi0_V=phi0, f0=phi0 / species.kt, B=nan, lnB=nan, debye_scale_m=np.full(phi0.shape, ld),
                     sigma_C_per_m2=sigma, capacitance_F_per_m2=cdiff, integral_capacitance_F_per_m2=cint,
                     saturated_width_m=xsat, debye_length_m=np.full(phi0.shape, ld))


@dataclass(frozen=True)
class GeneralLayer:
    """Semi-infinite SCL of a general species set, φ(x) from the first integral (no mesh).

    The same interface as :class:`~ssbands.scl.SpaceChargeLayer`: distances from the interface in nm,
    ``potential(x)`` = φ(x) − φ∞ in V (−φ0 at x = 0).
    """

    species: SpeciesSet
    phi0_V: float
    f_min: float = 1e-9
    _t: dict = field(init=False, repr=False, compare=False)  # set in __post_init__

    def __post_init__(self):
        sp = self.species
        sp.check_neutral()
        kt, eps = sp.kt, sp.eps
        a0 = abs(float(self.phi0_V)) / kt
        sgn = -np.sign(self.phi0_V)  # sign of ψ inside the layer
        ld = sp.debye_length_m()
        t = {"a0": a0, "sgn": float(sgn), "kt": kt, "ld_nm": ld * 1e9}
        if a0 > 0:
            fmin = min(self.f_min, 1e-3 * a0)
            # table nodes in a = |ψ|/kT: Δ ln a = 0.04 below 4, Δa = 0.16 above
            s0 = np.log(fmin) / 0.04
            s4 = np.log(4.0) / 0.04
            s_top = np.log(a0) / 0.04 if a0 < 4 else s4 + (a0 - 4.0) / 0.16
            s = np.linspace(s_top, s0, max(int(np.ceil(s_top - s0)), 2) + 1)
            ak = np.where(s < s4, np.exp(0.04 * s), 4.0 + 0.16 * (s - s4))
            ak[0], ak[-1] = a0, fmin
            ak = ak[::-1]  # increasing
            # G at nodes: cumulative 6-pt GL of ρ over [a_k, a_{k+1}] (in ψ), start from G(fmin) by GL
            psi_k = sgn * ak * kt
            edges = np.concatenate([[0.0], psi_k])
            lo, hi = edges[:-1], edges[1:]
            q = lo[:, None] + (hi - lo)[:, None] * _GL_X6[None, :]
            dG = -(hi - lo) * (sp.rho(q) @ _GL_W6)
            Gk = np.cumsum(dG)
            if np.any(Gk <= 0):
                raise InputError("species set: G(ψ) <= 0 inside the layer — the charge does not screen")
            # G at the 6 GL nodes of each interval [a_k, a_{k+1}] in u = ln a: nested 6-pt GL from a_k
            uk = np.log(ak)
            ua, ub = uk[:-1], uk[1:]
            uq = ua[:, None] + (ub - ua)[:, None] * _GL_X6[None, :]  # (m, 6)
            pq = sgn * np.exp(uq) * kt
            plo = psi_k[:-1][:, None]
            inner = plo[..., None] + (pq - plo)[..., None] * _GL_X6  # (m, 6, 6)
            Gq = Gk[:-1][:, None] - (pq - plo) * (sp.rho(inner) @ _GL_W6)
            # ξ contributions: dx = d|ψ| / sqrt(2G/ε) ; |ψ| = kt e^u → d|ψ| = kt e^u du
            h = kt * np.exp(uq) / np.sqrt(2.0 * Gq / eps)
            panel = (ub - ua) * (h @ _GL_W6)
            x = np.concatenate([[0.0], np.cumsum(panel[::-1])])[::-1]  # x(a_k), 0 at a0, metres
            slope = -np.sqrt(2.0 * Gk / eps) / (ak * kt)  # d ln a / dx, 1/m
            t.update(x_nm=x * 1e9, lna=uk, G=Gk)
            # spline of ln a over x (x decreasing with k → reverse)
            t["spline"] = CubicHermiteSpline(x[::-1] * 1e9, uk[::-1], slope[::-1] * 1e-9, extrapolate=False)
            t["sigma"] = float(-np.sign(self.phi0_V) * np.sqrt(2.0 * eps * Gk[-1]))
        else:
            t["sigma"] = 0.0
        object.__setattr__(self, "_t", t)

    @property
    def result(self) -> SCLResult:
        """Scalars of this layer (:func:`first_integral_species`)."""
        return first_integral_species(self.species, self.phi0_V)

    @property
    def sigma_C_per_m2(self) -> float:
        """Electrode-side charge per area, C/m²."""
        return self._t["sigma"]

    def potential(self, x_nm):
        """φ(x) − φ∞ in V at distance x (nm) from the interface."""
        t = self._t
        x = np.asarray(x_nm, float)
        if np.any(x < 0):
            raise InputError("SCL positions are distances from the interface and must be >= 0")
        if t["a0"] == 0:
            return np.zeros_like(x)
        out = np.empty_like(x)
        xmax = t["x_nm"][0]
        inside = x <= xmax
        out[inside] = np.exp(t["spline"](x[inside]))
        out[~inside] = np.exp(t["lna"][0] - (x[~inside] - xmax) / t["ld_nm"])
        return t["sgn"] * t["kt"] * out

    def position(self, phi_V):
        """Distance (nm) at which φ − φ∞ equals ``phi_V`` (monotone inverse of :meth:`potential`)."""
        t = self._t
        a = np.asarray(phi_V, float) / (t["sgn"] * t["kt"]) if t["a0"] else None
        if a is None or np.any(a <= 0) or np.any(a > t["a0"] * (1 + 1e-12)):
            raise InputError("requested potential is outside the layer's range (between -phi0 and 0, exclusive of 0)")
        a = np.minimum(np.atleast_1d(a), t["a0"])
        lna, x = t["lna"], t["x_nm"]
        la = np.log(a)
        out = np.empty(a.shape)
        beyond = la < lna[0]
        out[beyond] = x[0] + (lna[0] - la[beyond]) * t["ld_nm"]
        ins = ~beyond
        if np.any(ins):
            k = np.clip(np.searchsorted(lna, la[ins], side="right") - 1, 0, len(lna) - 2)
            u0, u1 = la[ins], lna[k + 1]
            uq = u0[:, None] + (u1 - u0)[:, None] * _GL_X6[None, :]
            out[ins] = x[k + 1] + (u1 - u0) * (self._dx_du(uq) @ _GL_W6) * 1e9
        return out.reshape(np.shape(phi_V))

    def _G_at(self, u):
        """G (J/m³) at |ψ| = kT e^u (array), by 6-point GL of ρ from the table node below."""
        t = self._t
        lna = t["lna"]
        k = np.clip(np.searchsorted(lna, u, side="right") - 1, 0, len(lna) - 1)
        psik = t["sgn"] * np.exp(lna[k]) * t["kt"]
        pq = t["sgn"] * np.exp(u) * t["kt"]
        inner = psik[..., None] + (pq - psik)[..., None] * _GL_X6
        return t["G"][k] - (pq - psik) * (self.species.rho(inner) @ _GL_W6)

    def _dx_du(self, u):
        """dx/du (m) at |ψ| = kT e^u: |dψ/du| / |ψ'| with |ψ'| = sqrt(2G/ε)."""
        kt = self._t["kt"]
        return kt * np.exp(u) / np.sqrt(2.0 * self._G_at(u) / self.species.eps)

    def quadrature(self, end_fraction: float = 1e-2):
        """Nodes ψ_q (V) and weights w_q (m) with ∫_0^{x_end} F(ψ(x)) dx ≈ Σ w_q F(ψ_q).

        x_end is where |ψ| falls to ``end_fraction``·kT/e (the layer's conventional end); the rule is
        composite 6-point Gauss–Legendre in u = ln|ψ| on the layer's table panels (no mesh in x).
        Returns ``(psi_q, w_q, x_end_m)``.
        """
        t = self._t
        if t["a0"] <= end_fraction:
            return np.zeros(0), np.zeros(0), 0.0
        lna = t["lna"]
        lo = np.log(end_fraction)
        edges = np.concatenate([[lo], lna[lna > lo]])
        if lo < lna[0]:
            raise InputError(f"end_fraction {end_fraction:g} is below the layer table (f_min = {np.exp(lna[0]):g})")
        ua, ub = edges[:-1], edges[1:]
        uq = ua[:, None] + (ub - ua)[:, None] * _GL_X6[None, :]
        w = (ub - ua)[:, None] * _GL_W6[None, :] * self._dx_du(uq)
        psi = t["sgn"] * t["kt"] * np.exp(uq)
        return psi.ravel(), w.ravel(), float(w.sum())

    def concentrations(self, x_nm):
        """Concentrations (cm⁻³) of every species at x (nm), one array per species."""
        return self.species.concentrations(self.potential(x_nm))

    def extent_nm(self, tol_V: float = 1e-6) -> float:
        """Distance beyond which |φ − φ∞| < tol_V."""
        t = self._t
        if t["a0"] * t["kt"] <= tol_V:
            return 0.0
        return float(self.position(t["sgn"] * tol_V))

