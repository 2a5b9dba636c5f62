r"""Point-defect chemistry and the self-consistent Fermi level (MODEL.md §2, §3; Buckeridge 2019).

Conventions (stated once, used everywhere in this module)
---------------------------------------------------------
* Energies are electron energies in eV. **The Fermi level ε_F is measured from the valence-band
  maximum** (E_VBM = 0, E_CBM = E_g), as in SC-Fermi and py-sc-fermi.
* Chemical potentials μ_i are in eV relative to the elemental reference; **μ_Li = 0 for bcc Li
  metal** (MODEL.md §1). A Li-poor electrolyte has μ_Li < 0.
* Formation energy of defect X in charge state q (q in units of e, holes positive)::

      ΔH_f(X^q; ε_F, μ) = E0(X^q) + q·ε_F − Σ_i n_i μ_i

  with ``E0`` its formation energy at ε_F = 0 (the VBM) and all μ_i = 0 (the ``energy`` of
  py-sc-fermi) and ``n_i`` the number of atoms of element i **added** to the host to form the
  defect (n_Li = −1 for a Li vacancy V_Li, +1 for a Li interstitial Li_i). So V_Li becomes
  cheaper as μ_Li falls (Li-poor) and Li_i as μ_Li rises (Li-rich).
* Concentration of a charge state whose total is free (dilute limit, Boltzmann statistics)::

      c(X^q) = N_X · g_q · exp(−ΔH_f / k_B T)          [cm⁻³]

  with N_X the density of sites for X (``nsites`` per cell × 10²⁴/V[Å³], or given in cm⁻³) and
  g_q the degeneracy. A *frozen* (quenched) species keeps its total c_X fixed while its charge
  states follow ε_F: c(X^q) = c_X' · g_q e^{−ΔH_f(q)/kT} / Σ_q' g_q' e^{−ΔH_f(q')/kT}, where c_X'
  is the total minus any individually fixed charge states (exactly the py-sc-fermi rule).
* Electrons and holes from Fermi–Dirac occupation of the bands, either a tabulated DOS
  (states/eV/cell, normalised like py-sc-fermi to ``nelect`` electrons up to mid-gap and integrated
  with the trapezoid rule on py-sc-fermi's index ranges) or parabolic bands with density-of-states
  effective masses, n = N_c F_{1/2}((ε_F − E_g)/kT), p = N_v F_{1/2}(−ε_F/kT),
  N_{c,v} = 2 (2π m_{e,h} k_B T / h²)^{3/2}, F_{1/2} the normalised Fermi–Dirac integral.
* Charge neutrality: p + Σ q·c(X^q)[q>0] = n + Σ |q|·c(X^q)[q<0]. The net charge is strictly
  decreasing in ε_F, so the root is unique. It is found on the log-safe function
  g(ε_F) = ln(positive charge) − ln(negative charge) (no overflow or underflow for any gap or T),
  for a whole batch of (μ, T) at once: a shared grid brackets every root, then a vectorised
  Chandrupatla iteration (``scipy.optimize.elementwise.find_root``) converges each one to machine
  precision on a band window trimmed to the states that matter (≤ e⁻⁴⁵ relative error).

References
----------
J. Buckeridge, "Equilibrium point defect and charge carrier concentrations in a material determined
through calculation of the self-consistent Fermi energy", Comput. Phys. Commun. 244, 329 (2019).
A. G. Squires, D. O. Scanlon, B. J. Morgan, "py-sc-fermi: self-consistent Fermi energies and defect
concentrations from electronic structure calculations", J. Open Source Softw. 8, 4962 (2023).
C. Freysoldt et al., "First-principles calculations for point defects in solids",
Rev. Mod. Phys. 86, 253 (2014) (formation-energy conventions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from scipy import constants as _sc

from .constants import K_B_EV
from .errors import ConvergenceError, InputError, read_text_file

__all__ = [
    "ChargeState",
    "DefectSpecies",
    "ParabolicBands",
    "TabulatedDOS",
    "DefectSystem",
    "FermiSolution",
    "FermiScan",
    "ExtrinsicFermiLevel",
    "extrinsic_mu_li_from_defects",
    "fermi_dirac_half",
    "log_fermi_dirac_half",
]

#: Energy reference of every result of this module.
ENERGY_REFERENCE = "Fermi level measured from the valence-band maximum (E_VBM = 0 eV)"
#: Sign convention of formation energies.
FORMATION_ENERGY_CONVENTION = "dH_f = E0 + q*E_F - sum_i n_i*mu_i (n_i atoms added; mu_Li = 0 for bcc Li)"

_CM3_PER_A3 = 1e24  # (cm/Å)³: concentration per cell of V Å³ → cm⁻³ by × 1e24/V
_TRIM_KT = 45.0  # band states more than 45 kT beyond the window edge contribute < e^-45 relatively
_SQRT_PI = math.sqrt(math.pi)


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------

def _num(where: str, fld: str, value, *, positive=False, nonneg=False, allow_none=False):
    if value is None:
        if allow_none:
            return None
        raise InputError(f"{where}: field {fld!r} is required")
    if isinstance(value, bool):
        raise InputError(f"{where}: field {fld!r} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: field {fld!r} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{where}: field {fld!r} must be finite, got {value!r}")
    if positive and not v > 0:
        raise InputError(f"{where}: field {fld!r} must be > 0, got {value!r}")
    if nonneg and v < 0:
        raise InputError(f"{where}: field {fld!r} must be ≥ 0, got {value!r}")
    return v


def _charge(where: str, value) -> int:
    try:
        q = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: charge must be an integer, got {value!r}") from None
    if isinstance(value, bool) or (isinstance(value, float) and value != q):
        raise InputError(f"{where}: charge must be an integer, got {value!r}")
    return q


def _frozen_array(where: str, fld: str, values) -> np.ndarray:
    try:
        a = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{where}: field {fld!r} must be a list of numbers") from None
    if a.size == 0:
        raise InputError(f"{where}: field {fld!r} is empty")
    if not np.all(np.isfinite(a)):
        raise InputError(f"{where}: field {fld!r} contains a non-finite value")
    a.setflags(write=False)
    return a


def kT(temperature_K):
    """k_B·T in eV."""
    return K_B_EV * np.asarray(temperature_K, float)


# --------------------------------------------------------------------------------------------
# Fermi–Dirac integral of order 1/2
# --------------------------------------------------------------------------------------------

_SERIES_K = np.arange(1, 41, dtype=float)
_SERIES_C = (-1.0) ** (_SERIES_K + 1) / _SERIES_K ** 1.5
_GL_T, _GL_W = np.polynomial.legendre.leggauss(40)
_GL_T = 0.5 * (_GL_T + 1.0)
_GL_W = 0.5 * _GL_W
_N_PANELS = 10


def log_fermi_dirac_half(eta):
    r"""ln F_{1/2}(η) of the normalised (Blakemore) Fermi–Dirac integral.

    F_{1/2}(η) = (2/√π) ∫₀^∞ √x / (1 + e^{x−η}) dx, so that n = N_c F_{1/2}(η) and
    F_{1/2}(η) → e^η for η → −∞ (Boltzmann limit).

    Evaluated in log form (no underflow for η ≪ 0): the alternating series
    Σ (−1)^{k+1} e^{kη}/k^{3/2} (40 terms) for η ≤ −1; composite 10×40-point Gauss–Legendre
    quadrature in t = √x on [0, √(η+50)] for −1 < η ≤ 40; the Sommerfeld expansion to
    O(η⁻⁶) beyond. Relative accuracy better than 1e-12 (η ≤ 40) and 1e-10 (η > 40), checked against
    mpmath's polylogarithm, F_{1/2}(η) = −Li_{3/2}(−e^η), in the tests.

    Parameters
    ----------
    eta : array_like
        Reduced Fermi level (E_F − E_c)/kT (electrons) or (E_v − E_F)/kT (holes).
    """
    eta = np.asarray(eta, float)
    out = np.empty_like(eta)
    lo = eta <= -1.0
    hi = eta > 40.0
    mid = ~(lo | hi)
    if np.any(lo):
        e = eta[lo]
        z = np.exp(e)[..., None]
        ser = np.sum(_SERIES_C * z ** (_SERIES_K - 1.0), axis=-1)
        out[lo] = e + np.log(ser)
    if np.any(mid):
        e = eta[mid]
        tmax = np.sqrt(e + 50.0)
        # panels on [0, tmax]
        edges = np.linspace(0.0, 1.0, _N_PANELS + 1)
        nodes = (edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * _GL_T[None, :]).ravel()
        weights = ((edges[1:] - edges[:-1])[:, None] * _GL_W[None, :]).ravel()
        t = tmax[:, None] * nodes[None, :]
        x = t * t
        with np.errstate(over="ignore"):
            f = 2.0 * t * np.sqrt(x) / (1.0 + np.exp(x - e[:, None]))
        val = (2.0 / _SQRT_PI) * tmax * (f @ weights)
        out[mid] = np.log(val)
    if np.any(hi):
        e = eta[hi]
        val = (4.0 / (3.0 * _SQRT_PI)) * e ** 1.5 * (1.0 + np.pi ** 2 / (8.0 * e ** 2)
                                                        + 7.0 * np.pi ** 4 / (640.0 * e ** 4)
                                                        + 31.0 * np.pi ** 6 / (3072.0 * e ** 6))
        out[hi] = np.log(val)
    return out


def fermi_dirac_half(eta):
    """F_{1/2}(η), the normalised Fermi–Dirac integral (see :func:`log_fermi_dirac_half`)."""
    return np.exp(log_fermi_dirac_half(eta))


# --------------------------------------------------------------------------------------------
# inputs: charge states, species, bands
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChargeState:
    """One charge state of a defect.

    Parameters
    ----------
    charge : int
        q in units of e (a donor that gave up one electron has q = +1).
    energy : float or None
        E0, the formation energy in eV at ε_F = E_VBM and all μ_i = 0 (py-sc-fermi's ``energy``).
        May be None only for a charge state with a fixed concentration.
    degeneracy : float
        g_q > 0 (spin and orientational degeneracy).
    fixed_concentration_cm3 : float or None
        If given, this charge state's concentration (cm⁻³) does not follow ε_F.
    """

    charge: int
    energy: float | None = None
    degeneracy: float = 1.0
    fixed_concentration_cm3: float | None = None

    def __post_init__(self):
        where = f"charge state {self.charge!r}"
        object.__setattr__(self, "charge", _charge(where, self.charge))
        where = f"charge state {self.charge:+d}"
        object.__setattr__(self, "energy", _num(where, "energy", self.energy, allow_none=True))
        object.__setattr__(self, "degeneracy", _num(where, "degeneracy", self.degeneracy, positive=True))
        object.__setattr__(self, "fixed_concentration_cm3",
                           _num(where, "fixed_concentration", self.fixed_concentration_cm3,
                                nonneg=True, allow_none=True))
        if self.energy is None and self.fixed_concentration_cm3 is None:
            raise InputError(f"{where}: give either 'energy' (formation energy at the VBM, eV) or "
                             "'fixed_concentration' (cm^-3)")

    @property
    def is_fixed(self) -> bool:
        return self.fixed_concentration_cm3 is not None

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"charge": self.charge, "energy": self.energy, "degeneracy": self.degeneracy}
        if self.fixed_concentration_cm3 is not None:
            d["fixed_concentration"] = self.fixed_concentration_cm3
        return d


@dataclass(frozen=True)
class DefectSpecies:
    """A defect species with its charge states.

    Parameters
    ----------
    name : str
        Unique label, e.g. ``"V_Li"``.
    charge_states : sequence of ChargeState
        At least one; charges must be distinct.
    nsites : float, optional
        Number of equivalent sites per cell (needs the system's cell volume).
    site_density_cm3 : float, optional
        Site density in cm⁻³ (alternative to ``nsites``).
    stoichiometry : mapping element → int, optional
        n_i, atoms of element i *added* to form the defect (V_Li: {"Li": -1}); enters ΔH_f as
        −Σ n_i μ_i.
    fixed_concentration_cm3 : float, optional
        Frozen (quenched) total concentration in cm⁻³; the charge states still follow ε_F.
    """

    name: str
    charge_states: tuple[ChargeState, ...]
    nsites: float | None = None
    site_density_cm3: float | None = None
    stoichiometry: Mapping[str, int] = field(default_factory=dict)
    fixed_concentration_cm3: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"defect species: field 'name' must be a non-empty string, got {self.name!r}")
        where = f"defect {self.name!r}"
        cs = tuple(self.charge_states)
        if not cs:
            raise InputError(f"{where}: field 'charge_states' must list at least one charge state")
        for c in cs:
            if not isinstance(c, ChargeState):
                raise InputError(f"{where}: charge_states must be ChargeState objects, got {c!r}")
        qs = [c.charge for c in cs]
        if len(set(qs)) != len(qs):
            raise InputError(f"{where}: charge states repeat a charge: {qs}")
        object.__setattr__(self, "charge_states", cs)
        object.__setattr__(self, "nsites", _num(where, "nsites", self.nsites, positive=True, allow_none=True))
        object.__setattr__(self, "site_density_cm3",
                           _num(where, "site_density_cm3", self.site_density_cm3, positive=True, allow_none=True))
        if self.nsites is not None and self.site_density_cm3 is not None:
            raise InputError(f"{where}: give 'nsites' (per cell) or 'site_density_cm3', not both")
        object.__setattr__(self, "fixed_concentration_cm3",
                           _num(where, "fixed_concentration", self.fixed_concentration_cm3,
                                nonneg=True, allow_none=True))
        st = {}
        for el, n in dict(self.stoichiometry or {}).items():
            st[str(el)] = _charge(f"{where}: stoichiometry[{el!r}]", n)
        object.__setattr__(self, "stoichiometry", MappingProxyType(st))
        variable = [c for c in cs if not c.is_fixed]
        if variable and self.fixed_concentration_cm3 is None and self.nsites is None \
                and self.site_density_cm3 is None:
            raise InputError(f"{where}: give 'nsites' (sites per cell) or 'site_density_cm3' "
                             "(its charge states are not all fixed)")
        if self.fixed_concentration_cm3 is not None:
            fixed_sum = sum(c.fixed_concentration_cm3 for c in cs if c.is_fixed)
            if fixed_sum > self.fixed_concentration_cm3 * (1 + 1e-12):
                raise InputError(f"{where}: fixed charge-state concentrations ({fixed_sum:g} cm^-3) exceed "
                                 f"the species' fixed total ({self.fixed_concentration_cm3:g} cm^-3)")

    @property
    def charges(self) -> tuple[int, ...]:
        return tuple(c.charge for c in self.charge_states)

    def charge_state(self, q: int) -> ChargeState:
        for c in self.charge_states:
            if c.charge == q:
                return c
        raise InputError(f"defect {self.name!r} has no charge state {q:+d} (has {list(self.charges)})")

    def formation_energy(self, q: int, e_fermi, mu: Mapping[str, float] | None = None):
        """ΔH_f = E0 + q·ε_F − Σ n_i μ_i in eV (ε_F above the VBM, μ_i vs elemental references)."""
        c = self.charge_state(q)
        if c.energy is None:
            raise InputError(f"defect {self.name!r} {q:+d}: no 'energy' given (fixed concentration only)")
        mu = mu or {}
        shift = sum(n * float(mu.get(el, 0.0)) for el, n in self.stoichiometry.items())
        return c.energy + q * np.asarray(e_fermi, float) - shift

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"name": self.name}
        if self.nsites is not None:
            d["nsites"] = self.nsites
        if self.site_density_cm3 is not None:
            d["site_density_cm3"] = self.site_density_cm3
        if self.stoichiometry:
            d["stoichiometry"] = dict(self.stoichiometry)
        if self.fixed_concentration_cm3 is not None:
            d["fixed_concentration"] = self.fixed_concentration_cm3
        d["charge_states"] = {c.charge: c.to_dict() for c in self.charge_states}
        return d


class _Band:
    """Per-side band data for the carrier kernel (holes; electrons are mirrored E → −E).

    ``E`` are state energies (mirrored for electrons), ``a`` trapezoid-weighted state counts per cm³,
    ``top`` the highest (mirrored) energy with states.
    """

    __slots__ = ("E", "a", "top", "loga")

    def __init__(self, E, a):
        keep = a > 0
        self.E = np.ascontiguousarray(E[keep])
        self.a = np.ascontiguousarray(a[keep])
        self.top = float(self.E.max()) if self.E.size else -np.inf
        with np.errstate(divide="ignore"):
            self.loga = np.log(self.a)

    def trimmed(self, lower):
        """States with E ≥ lower (the others are negligible)."""
        k = self.E >= lower
        b = _Band.__new__(_Band)
        b.E, b.a, b.top, b.loga = self.E[k], self.a[k], self.top, self.loga[k]
        return b

    def log_occupied(self, x, kt, scaled):
        """ln Σ_i a_i / (1 + exp((x − E_i)/kT)) for each x (hole-like occupation), log-safe.

        ``scaled`` is ``a_i · exp((E_i − top)/kT)`` for this kT (precomputed per temperature).
        """
        out = np.empty(x.shape)
        if self.E.size == 0:
            out[:] = -np.inf
            return out
        sep = x >= self.top
        if np.any(sep):
            # all states below x: a_i/(1+e^{(x-E_i)/kT}) = e^{(top-x)/kT} · b_i/(1+e^{(E_i-x)/kT})
            xs = x[sep]
            ks = kt[sep]
            bs = scaled[sep] if scaled.ndim == 2 else scaled
            z = np.exp((self.E[None, :] - xs[:, None]) / np.reshape(ks, (-1, 1)))
            s = np.einsum("ij,ij->i", bs, 1.0 / (1.0 + z)) if bs.ndim == 2 else (1.0 / (1.0 + z)) @ bs
            with np.errstate(divide="ignore"):
                out[sep] = (self.top - xs) / ks + np.log(s)
        ns = ~sep
        if np.any(ns):
            xs = x[ns]
            ks = kt[ns]
            with np.errstate(over="ignore"):
                w = np.exp((xs[:, None] - self.E[None, :]) / np.reshape(ks, (-1, 1)))
            s = (1.0 / (1.0 + w)) @ self.a
            out[ns] = np.log(s)
        return out

    def scaled_for(self, kt_values):
        """b_i = a_i exp((E_i − top)/kT) for each kT in ``kt_values`` → (len(kt), n)."""
        kt_values = np.atleast_1d(kt_values)
        return self.a[None, :] * np.exp((self.E[None, :] - self.top) / kt_values[:, None])


@dataclass(frozen=True)
class ParabolicBands:
    """Parabolic valence and conduction bands with density-of-states effective masses.

    Parameters
    ----------
    band_gap_eV : float
        E_g ≥ 0; the CBM is at ε = E_g above the VBM.
    electron_mass : float
        m_e*/m_0 > 0 (DOS mass, including valley degeneracy).
    hole_mass : float
        m_h*/m_0 > 0.

    Notes
    -----
    N_c = 2 (2π m_e k_B T / h²)^{3/2} (cm⁻³); n = N_c F_{1/2}((ε_F − E_g)/kT),
    p = N_v F_{1/2}(−ε_F/kT) (Sze & Ng, *Physics of Semiconductor Devices*, 3rd ed., §1.4).
    """

    band_gap_eV: float
    electron_mass: float = 1.0
    hole_mass: float = 1.0

    def __post_init__(self):
        w = "bands (parabolic)"
        object.__setattr__(self, "band_gap_eV", _num(w, "bandgap", self.band_gap_eV, nonneg=True))
        object.__setattr__(self, "electron_mass", _num(w, "electron_mass", self.electron_mass, positive=True))
        object.__setattr__(self, "hole_mass", _num(w, "hole_mass", self.hole_mass, positive=True))

    def effective_dos_cm3(self, temperature_K, mass):
        """N = 2 (2π m k_B T / h²)^{3/2} in cm⁻³."""
        T = np.asarray(temperature_K, float)
        m = mass * _sc.m_e
        return 2.0 * (2.0 * np.pi * m * _sc.k * T / _sc.h ** 2) ** 1.5 / 1e6

    def to_dict(self) -> dict:
        return {"model": "parabolic", "electron_mass": self.electron_mass, "hole_mass": self.hole_mass}


@dataclass(frozen=True, eq=False)
class TabulatedDOS:
    """A tabulated total density of states (states/eV per cell), as read by SC-Fermi/py-sc-fermi.

    ``dos`` holds the normalised DOS; :meth:`to_dict` writes the DOS as given (with ``nelect``).

    Parameters
    ----------
    energies_eV : array_like
        Strictly increasing energies with the VBM at 0 (must bracket 0).
    dos : array_like
        States/eV per cell (≥ 0); for ``spin_polarised`` a (2, n) array summed over spin.
    band_gap_eV : float
        E_g ≥ 0, at most the largest energy.
    nelect : float, optional
        If given, the DOS is normalised (py-sc-fermi's rule) so that its trapezoid integral from the
        first energy up to mid-gap equals ``nelect``.

    Notes
    -----
    Holes are integrated over the grid points up to mid-gap (index ``max(mid, i_VBM + 1)``), electrons
    from mid-gap (index ``min(mid, i_CBM − 1) + 1``) on, where ``i_VBM``/``i_CBM`` are the grid points
    nearest 0 and E_g, exactly as py-sc-fermi 2.x does, so that both codes give the same numbers.
    """

    energies_eV: np.ndarray
    dos: np.ndarray
    band_gap_eV: float
    nelect: float | None = None
    spin_polarised: bool = False

    def __post_init__(self):
        w = "DOS"
        e = _frozen_array(w, "edos", self.energies_eV)
        d = np.array(self.dos, dtype=float)
        if self.spin_polarised:
            if d.ndim != 2 or d.shape[0] != 2:
                raise InputError(f"{w}: spin-polarised 'dos' must be two lists (up, down)")
            d = d.sum(axis=0)
        d = _frozen_array(w, "dos", d)
        object.__setattr__(self, "_raw_dos", d)
        if e.ndim != 1 or d.shape != e.shape:
            raise InputError(f"{w}: 'dos' and 'edos' must be lists of equal length, got {d.shape} and {e.shape}")
        if e.size < 3 or np.any(np.diff(e) <= 0):
            raise InputError(f"{w}: 'edos' must be strictly increasing with at least 3 points")
        if np.any(d < 0):
            raise InputError(f"{w}: 'dos' has negative values (first at energy {e[np.argmax(d < 0)]:g} eV)")
        if not (e[0] <= 0.0 <= e[-1]):
            raise InputError(f"{w}: 'edos' must bracket 0 (the VBM), got [{e[0]:g}, {e[-1]:g}] eV")
        gap = _num(w, "bandgap", self.band_gap_eV, nonneg=True)
        if gap > e[-1]:
            raise InputError(f"{w}: 'bandgap' {gap:g} eV exceeds the largest DOS energy {e[-1]:g} eV")
        nelect = _num(w, "nelect", self.nelect, positive=True, allow_none=True)
        object.__setattr__(self, "energies_eV", e)
        object.__setattr__(self, "band_gap_eV", gap)
        object.__setattr__(self, "nelect", nelect)
        i_v = int(np.argmin(np.abs(e)))
        i_c = int(np.argmin(np.abs(e - gap)))
        mid = (i_v + i_c) // 2
        ip = max(mid, i_v + 1)
        i_n = min(mid, i_c - 1) + 1
        if nelect is not None:
            integral = float(np.sum(_trapz_weights(e[:ip]) * d[:ip]))
            if not integral > 0:
                raise InputError(f"{w}: the DOS integrates to zero below mid-gap, cannot normalise to nelect")
            d = d * (nelect / integral)
        d.setflags(write=False)
        object.__setattr__(self, "dos", d)
        object.__setattr__(self, "_ip", ip)
        object.__setattr__(self, "_in", i_n)

    def band_weights(self):
        """(E_h, a_h, E_e, a_e): hole and electron states × trapezoid weights (states per cell)."""
        e, d = self.energies_eV, self.dos
        ip, i_n = self._ip, self._in
        return e[:ip], _trapz_weights(e[:ip]) * d[:ip], e[i_n:], _trapz_weights(e[i_n:]) * d[i_n:]

    def to_dict(self) -> dict:
        d = {"edos": self.energies_eV.tolist(), "dos": self._raw_dos.tolist(), "spin_pol": False}
        if self.nelect is not None:
            d["nelect"] = self.nelect
        return d


def _trapz_weights(x):
    x = np.asarray(x, float)
    w = np.zeros_like(x)
    if x.size < 2:
        return w
    dx = np.diff(x)
    w[:-1] += 0.5 * dx
    w[1:] += 0.5 * dx
    return w


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class FermiScan:
    """Self-consistent Fermi levels and concentrations over a batch of (μ, T) points.

    Attributes
    ----------
    fermi_level_eV : ndarray (B,)
        ε_F above the VBM.
    temperature_K : ndarray (B,)
    mu_eV : mapping element → ndarray (B,)
        Chemical potentials used (vs elemental references; μ_Li = 0 for bcc Li).
    labels : tuple of (species name, charge)
        Column labels of ``concentrations_cm3``.
    concentrations_cm3 : ndarray (B, K)
    electrons_cm3, holes_cm3, net_charge_cm3 : ndarray (B,)
        Carriers and the residual net charge (e·cm⁻³) at the solution.
    iterations : ndarray (B,)
        Root-finder iterations per point.
    """

    fermi_level_eV: np.ndarray
    temperature_K: np.ndarray
    mu_eV: Mapping[str, np.ndarray]
    labels: tuple
    concentrations_cm3: np.ndarray
    electrons_cm3: np.ndarray
    holes_cm3: np.ndarray
    net_charge_cm3: np.ndarray
    iterations: np.ndarray
    band_gap_eV: float

    def __len__(self):
        return int(self.fermi_level_eV.shape[0])

    def concentration(self, name: str, charge: int | None = None) -> np.ndarray:
        """Concentration (cm⁻³) of one charge state, or of the species summed over charge states."""
        cols = [i for i, (n, q) in enumerate(self.labels) if n == name and (charge is None or q == charge)]
        if not cols:
            raise InputError(f"no defect {name!r}" + ("" if charge is None else f" in charge state {charge:+d}"))
        return self.concentrations_cm3[:, cols].sum(axis=1)

    def point(self, i: int) -> "FermiSolution":
        conc: dict[str, dict[int, float]] = {}
        for k, (n, q) in enumerate(self.labels):
            conc.setdefault(n, {})[q] = float(self.concentrations_cm3[i, k])
        return FermiSolution(
            fermi_level_eV=float(self.fermi_level_eV[i]), temperature_K=float(self.temperature_K[i]),
            mu_eV={k: float(v[i]) for k, v in self.mu_eV.items()},
            concentrations_cm3=conc, electrons_cm3=float(self.electrons_cm3[i]),
            holes_cm3=float(self.holes_cm3[i]), net_charge_cm3=float(self.net_charge_cm3[i]),
            band_gap_eV=self.band_gap_eV)

    def to_dict(self) -> dict:
        return {
            "energy_reference": ENERGY_REFERENCE,
            "fermi_level_eV": self.fermi_level_eV.tolist(),
            "temperature_K": self.temperature_K.tolist(),
            "mu_eV": {k: v.tolist() for k, v in self.mu_eV.items()},
            "labels": [[n, q] for n, q in self.labels],
            "concentrations_cm3": self.concentrations_cm3.tolist(),
            "electrons_cm3": self.electrons_cm3.tolist(),
            "holes_cm3": self.holes_cm3.tolist(),
            "net_charge_cm3": self.net_charge_cm3.tolist(),
        }


@dataclass(frozen=True)
class FermiSolution:
    """The self-consistent state at one (μ, T).

    ``fermi_level_eV`` is above the VBM; ``concentrations_cm3`` is ``{name: {charge: cm⁻³}}``.
    """

    fermi_level_eV: float
    temperature_K: float
    mu_eV: Mapping[str, float]
    concentrations_cm3: Mapping[str, Mapping[int, float]]
    electrons_cm3: float
    holes_cm3: float
    net_charge_cm3: float
    band_gap_eV: float

    def total(self, name: str) -> float:
        """Total concentration of a species (cm⁻³)."""
        try:
            return float(sum(self.concentrations_cm3[name].values()))
        except KeyError:
            raise InputError(f"no defect {name!r}") from None

    def to_dict(self) -> dict:
        return {
            "fermi_level_eV": self.fermi_level_eV,
            "energy_reference": ENERGY_REFERENCE,
            "band_gap_eV": self.band_gap_eV,
            "temperature_K": self.temperature_K,
            "mu_eV": dict(self.mu_eV),
            "concentrations_cm3": {n: {f"{q:d}": c for q, c in d.items()}
                                   for n, d in self.concentrations_cm3.items()},
            "electrons_cm3": self.electrons_cm3,
            "holes_cm3": self.holes_cm3,
            "net_charge_cm3": self.net_charge_cm3,
            "formation_energy_convention": FORMATION_ENERGY_CONVENTION,
        }


# --------------------------------------------------------------------------------------------
# the system
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class DefectSystem:
    """Defect species + bands + cell volume + default conditions: everything charge neutrality needs.

    Parameters
    ----------
    species : sequence of DefectSpecies
        Names must be unique. May be empty (intrinsic semiconductor).
    bands : ParabolicBands or TabulatedDOS
    volume_A3 : float, optional
        Cell volume in Å³; needed for ``nsites`` and for a tabulated DOS (per cell).
    temperature_K : float
        Default temperature (K).
    mu_eV : mapping element → float
        Default chemical potentials (eV; μ_Li = 0 for bcc Li).
    source : str, optional
        Where the system was read from (used in error messages).

    Examples
    --------
    >>> sys = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy.yaml")  # doctest: +SKIP
    >>> sol = sys.solve(mu_eV={"Li": -1.0})                                    # doctest: +SKIP
    >>> sol.fermi_level_eV, sol.concentrations_cm3["V_Li"][-1]                  # doctest: +SKIP
    """

    species: tuple[DefectSpecies, ...]
    bands: ParabolicBands | TabulatedDOS
    volume_A3: float | None = None
    temperature_K: float = 300.0
    mu_eV: Mapping[str, float] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self):
        w = self.source or "defect system"
        sp = tuple(self.species)
        names = [s.name for s in sp]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"{w}: defect names must be unique, repeated: {dup}")
        for s in sp:
            if not isinstance(s, DefectSpecies):
                raise InputError(f"{w}: species must be DefectSpecies objects, got {s!r}")
        object.__setattr__(self, "species", sp)
        if not isinstance(self.bands, (ParabolicBands, TabulatedDOS)):
            raise InputError(f"{w}: 'bands' must be ParabolicBands or TabulatedDOS, got {type(self.bands).__name__}")
        object.__setattr__(self, "volume_A3", _num(w, "volume", self.volume_A3, positive=True, allow_none=True))
        object.__setattr__(self, "temperature_K", _num(w, "temperature", self.temperature_K, positive=True))
        object.__setattr__(self, "mu_eV", MappingProxyType(
            {str(k): _num(w, f"chemical_potentials[{k!r}]", v) for k, v in dict(self.mu_eV or {}).items()}))
        if self.volume_A3 is None:
            if isinstance(self.bands, TabulatedDOS):
                raise InputError(f"{w}: field 'volume' (cell volume, Å^3) is required with a tabulated DOS "
                                 "(states per cell)")
            for s in sp:
                if s.nsites is not None:
                    raise InputError(f"{w}: defect {s.name!r} gives 'nsites' per cell, which needs the "
                                     "cell 'volume' (Å^3); give it or use 'site_density_cm3'")
        object.__setattr__(self, "_cache", {})

    # ---- derived quantities ----------------------------------------------------------------
    @property
    def band_gap_eV(self) -> float:
        return self.bands.band_gap_eV

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.species)

    @property
    def elements(self) -> tuple[str, ...]:
        els = []
        for s in self.species:
            for el in s.stoichiometry:
                if el not in els:
                    els.append(el)
        for el in self.mu_eV:
            if el not in els:
                els.append(el)
        return tuple(els)

    def species_by_name(self, name: str) -> DefectSpecies:
        for s in self.species:
            if s.name == name:
                return s
        raise InputError(f"{self.source or 'defect system'}: no defect named {name!r} (have {list(self.names)})")

    def site_density_cm3(self, s: DefectSpecies) -> float | None:
        if s.site_density_cm3 is not None:
            return s.site_density_cm3
        if s.nsites is not None:
            return s.nsites * _CM3_PER_A3 / self.volume_A3
        return None

    @property
    def labels(self) -> tuple:
        return tuple((s.name, c.charge) for s in self.species for c in s.charge_states)

    # ---- construction helpers --------------------------------------------------------------
    def with_frozen(self, totals_cm3: Mapping[str, float]) -> "DefectSystem":
        """A new system in which the named species have fixed (quenched) total concentrations."""
        totals = dict(totals_cm3)
        new = []
        for s in self.species:
            if s.name in totals:
                new.append(replace(s, fixed_concentration_cm3=float(totals.pop(s.name))))
            else:
                new.append(s)
        if totals:
            raise InputError(f"with_frozen: no defect named {sorted(totals)} (have {list(self.names)})")
        return replace(self, species=tuple(new))

    def quenched(self, solution: "FermiSolution", names: Iterable[str] | None = None) -> "DefectSystem":
        """Freeze the totals of ``names`` (default: all species) at their values in ``solution``."""
        names = list(self.names) if names is None else list(names)
        return self.with_frozen({n: solution.total(n) for n in names})

    def with_conditions(self, *, temperature_K=None, mu_eV=None) -> "DefectSystem":
        mu = dict(self.mu_eV)
        mu.update(mu_eV or {})
        return replace(self, temperature_K=self.temperature_K if temperature_K is None else temperature_K,
                       mu_eV=mu)

    # ---- compiled arrays ---------------------------------------------------------------------
    def _compiled(self):
        c = self._cache.get("compiled")
        if c is not None:
            return c
        els = self.elements
        var_q, var_logNg, var_E0, var_st, var_col = [], [], [], [], []
        frozen = []  # (logC', q array, log g array, E0 array, cols)
        fixed_pos = fixed_neg = 0.0
        fixed_vals = []  # (col, value)
        col = 0
        for s in self.species:
            N = self.site_density_cm3(s)
            st = np.array([s.stoichiometry.get(el, 0) for el in els], float)
            fixed_sum = 0.0
            fq, fg, fe, fc = [], [], [], []
            for cs in s.charge_states:
                if cs.is_fixed:
                    v = cs.fixed_concentration_cm3
                    fixed_sum += v
                    fixed_vals.append((col, v))
                    if cs.charge > 0:
                        fixed_pos += cs.charge * v
                    elif cs.charge < 0:
                        fixed_neg -= cs.charge * v
                elif s.fixed_concentration_cm3 is not None:
                    fq.append(cs.charge), fg.append(math.log(cs.degeneracy)), fe.append(cs.energy), fc.append(col)
                else:
                    var_q.append(cs.charge)
                    var_logNg.append(math.log(N * cs.degeneracy))
                    var_E0.append(cs.energy)
                    var_st.append(st)
                    var_col.append(col)
                col += 1
            if s.fixed_concentration_cm3 is not None and fq:
                rest = max(s.fixed_concentration_cm3 - fixed_sum, 0.0)
                frozen.append((math.log(rest) if rest > 0 else -np.inf, np.array(fq, float), np.array(fg),
                               np.array(fe), np.array(fc)))
        K = len(var_q)
        comp = dict(
            els=els, ncol=col,
            var_q=np.array(var_q, float), var_logNg=np.array(var_logNg, float), var_E0=np.array(var_E0, float),
            var_st=np.array(var_st, float).reshape(K, len(els)), var_col=np.array(var_col, int),
            frozen=frozen, fixed_pos=fixed_pos, fixed_neg=fixed_neg, fixed_vals=fixed_vals,
        )
        # bands, per cm^3
        if isinstance(self.bands, TabulatedDOS):
            scale = _CM3_PER_A3 / self.volume_A3
            Eh, ah, Ee, ae = self.bands.band_weights()
            comp["holes"] = _Band(Eh, ah * scale)
            comp["electrons"] = _Band(-Ee, ae * scale)
            comp["domain"] = (float(self.bands.energies_eV[0]), float(self.bands.energies_eV[-1]))
        else:
            comp["domain"] = (-np.inf, np.inf)
        self._cache["compiled"] = comp
        return comp

    # ---- batched evaluation ------------------------------------------------------------------
    def _mu_matrix(self, mu_eV, B):
        """(B, n_el) chemical potentials from defaults and overrides (scalars or arrays)."""
        els = self._compiled()["els"]
        mu = dict(self.mu_eV)
        for k, v in dict(mu_eV or {}).items():
            mu[str(k)] = v
        cols = []
        for el in els:
            v = np.asarray(mu.get(el, 0.0), float)
            if not np.all(np.isfinite(v)):
                raise InputError(f"chemical potential of {el!r} must be finite")
            cols.append(np.broadcast_to(v, (B,)))
        return np.stack(cols, axis=1) if cols else np.zeros((B, 0)), {el: np.array(np.broadcast_to(
            np.asarray(mu.get(el, 0.0), float), (B,))) for el in (list(els) + [k for k in mu if k not in els])}

    def _prepare(self, mu_mat, T):
        """Per-point arrays for the net-charge function."""
        comp = self._compiled()
        kt_ = K_B_EV * T
        q = comp["var_q"]
        # log prefactor: ln(N g) − (E0 − Σ n μ)/kT, and slope −q/kT
        base = comp["var_logNg"][None, :] - (comp["var_E0"][None, :] - mu_mat @ comp["var_st"].T) / kt_[:, None]
        pos, neg = q > 0, q < 0
        P = dict(AT=np.ascontiguousarray((base[:, pos] + np.log(q[pos])[None, :]).T), q=q[pos])
        N = dict(AT=np.ascontiguousarray((base[:, neg] + np.log(-q[neg])[None, :]).T), q=q[neg])
        return dict(comp=comp, kt=kt_, P=P, N=N, base=base)

    def _log_charges(self, E, prep, rows, bands, carriers=None):
        """(ln positive charge, ln negative charge) in cm⁻³ at ε_F = E for the given rows.

        Terms are stacked as (terms, points) so that every reduction runs along contiguous rows.
        """
        comp = prep["comp"]
        kt_ = prep["kt"][rows]
        x = E / kt_
        termsP, termsN = [], []
        for side, terms in (("P", termsP), ("N", termsN)):
            d = prep[side]
            if d["q"].size:
                terms.append(d["AT"][:, rows] - d["q"][:, None] * x[None, :])
        for logC, fq, fg, fe, _ in comp["frozen"]:
            lw = (fg[:, None] - fe[:, None] / kt_[None, :]) - fq[:, None] * x[None, :]
            lz = _lse0(lw)
            if np.any(fq > 0):
                termsP.append((logC + _lse0(lw[fq > 0] + np.log(fq[fq > 0])[:, None]) - lz)[None, :])
            if np.any(fq < 0):
                termsN.append((logC + _lse0(lw[fq < 0] + np.log(-fq[fq < 0])[:, None]) - lz)[None, :])
        if comp["fixed_pos"] > 0:
            termsP.append(np.full((1, E.size), math.log(comp["fixed_pos"])))
        if comp["fixed_neg"] > 0:
            termsN.append(np.full((1, E.size), math.log(comp["fixed_neg"])))
        if carriers is None:
            lp, ln_ = self._log_carriers(E, kt_, rows, bands, prep)
        else:
            lp, ln_ = carriers
        termsP.append(lp[None, :])
        termsN.append(ln_[None, :])
        return _lse0(np.concatenate(termsP, axis=0)), _lse0(np.concatenate(termsN, axis=0))

    def _log_carriers(self, E, kt_, rows, bands, prep):
        if isinstance(self.bands, ParabolicBands):
            T = kt_ / K_B_EV
            lnv = np.log(self.bands.effective_dos_cm3(T, self.bands.hole_mass))
            lnc = np.log(self.bands.effective_dos_cm3(T, self.bands.electron_mass))
            lp = lnv + log_fermi_dirac_half(-E / kt_)
            ln_ = lnc + log_fermi_dirac_half((E - self.bands.band_gap_eV) / kt_)
            return lp, ln_
        hb, eb, bh, be, tidx = bands
        if bh.shape[0] == 1:
            sh, se = bh[0], be[0]
        else:
            sh, se = bh[tidx[rows]], be[tidx[rows]]
        return hb.log_occupied(E, kt_, sh), eb.log_occupied(-E, kt_, se)

    def _bands_for(self, prep, lower, upper):
        """Trimmed band windows for ε_F ∈ [lower, upper] and scaled weights per unique T."""
        if isinstance(self.bands, ParabolicBands):
            return None
        comp = prep["comp"]
        kt_all = prep["kt"]
        uk, tidx = np.unique(kt_all, return_inverse=True)
        kmax = float(uk.max())
        hb = comp["holes"]
        eb = comp["electrons"]
        hb = hb.trimmed(min(lower, hb.top) - _TRIM_KT * kmax)
        eb = eb.trimmed(min(-upper, eb.top) - _TRIM_KT * kmax)
        return hb, eb, hb.scaled_for(uk), eb.scaled_for(uk), tidx

    def _g(self, E, prep, rows, bands):
        lp, ln_ = self._log_charges(E, prep, rows, bands)
        with np.errstate(invalid="ignore"):
            g = lp - ln_
        return g

    # ---- the solver --------------------------------------------------------------------------
    def solve_batch(self, mu_eV: Mapping[str, Any] | None = None, temperature_K=None) -> FermiScan:
        """Self-consistent ε_F and all concentrations for a batch of (μ, T) points.

        Parameters
        ----------
        mu_eV : mapping element → float or array, optional
            Chemical potentials (eV) overriding the system's defaults; arrays broadcast together
            with ``temperature_K`` to the batch shape (1-D).
        temperature_K : float or array, optional
            Temperatures (K); default the system's.

        Returns
        -------
        FermiScan

        Raises
        ------
        ConvergenceError
            If neutrality has no root inside the DOS energy range (tabulated DOS) or within
            2 eV + 1000 kT of the band edges (parabolic bands), e.g. fixed charges beyond what the
            bands can compensate; or if a concentration overflows (formation energy ≪ 0).
        """
        T = np.asarray(self.temperature_K if temperature_K is None else temperature_K, float)
        shapes = [T.shape] + [np.shape(v) for v in dict(mu_eV or {}).values()]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            raise InputError(f"temperature and chemical-potential arrays do not broadcast: {shapes}") from None
        if len(shape) > 1:
            raise InputError("solve_batch takes scalars or 1-D arrays of μ and T")
        B = int(np.prod(shape)) if shape else 1
        T = np.broadcast_to(T, (B,)).astype(float)
        if not np.all(np.isfinite(T)) or np.any(T <= 0):
            raise InputError(f"temperature_K must be finite and > 0, got {T[~(np.isfinite(T) & (T > 0))][:3]}")
        mu_mat, mu_out = self._mu_matrix(mu_eV, B)
        prep = self._prepare(mu_mat, T)
        E, nit = self._solve(prep, B)
        return self._result(E, T, mu_out, mu_mat, prep, nit)

    def solve(self, mu_eV: Mapping[str, float] | None = None, temperature_K: float | None = None) -> FermiSolution:
        """Self-consistent Fermi level and concentrations at one (μ, T); see :meth:`solve_batch`."""
        for k, v in dict(mu_eV or {}).items():
            if np.ndim(v) != 0:
                raise InputError(f"solve takes scalar chemical potentials; use solve_batch for arrays ({k!r})")
        if temperature_K is not None and np.ndim(temperature_K) != 0:
            raise InputError("solve takes a scalar temperature; use solve_batch for arrays")
        return self.solve_batch(mu_eV, temperature_K).point(0)

    def scan(self, element: str = "Li", values=None, temperature_K=None, mu_eV=None) -> FermiScan:
        """Brouwer scan: solve over an array of μ_element (eV) at fixed or matching T (vectorised)."""
        mu = dict(mu_eV or {})
        mu[element] = np.asarray(values, float)
        return self.solve_batch(mu, temperature_K)

    def _solve(self, prep, B):
        lo_dom, hi_dom = prep["comp"]["domain"]
        kmax = float(prep["kt"].max())
        gap = self.band_gap_eV
        rows_all = np.arange(B)
        # stage 1: a grid shared by all points brackets every root
        inner_lo = max(lo_dom, -1.0 - 10 * kmax)
        inner_hi = min(hi_dom, gap + 1.0 + 10 * kmax)
        n_in = int(min(max(np.ceil((inner_hi - inner_lo) / 0.05), 8), 600)) + 1
        grid = np.linspace(inner_lo, inner_hi, n_in)
        lo = np.full(B, np.nan)
        hi = np.full(B, np.nan)
        todo = rows_all
        bands = self._bands_for(prep, grid[0], grid[-1])
        lo, hi, below, above = self._grid_bracket(grid, prep, todo, bands, lo, hi)
        # outer grids where needed
        for rows, direction in ((below, -1), (above, +1)):
            if rows.size == 0:
                continue
            start = grid[0] if direction < 0 else grid[-1]
            if np.isfinite(lo_dom):
                end = lo_dom if direction < 0 else hi_dom
                if end == start:
                    continue
                g2 = np.linspace(start, end, int(min(max(np.ceil(abs(end - start) / 0.1), 4), 400)) + 1)
            else:  # parabolic bands: geometric growth out to the search limit
                end = -_parabolic_margin(kmax) if direction < 0 else gap + _parabolic_margin(kmax)
                span = np.geomspace(0.05, abs(end - start), 120)
                g2 = start + direction * np.concatenate([[0.0], span])
            g2 = np.sort(g2)
            b2 = self._bands_for(prep, g2[0], g2[-1])
            lo, hi, _, _ = self._grid_bracket(g2, prep, rows, b2, lo, hi)
        bad = ~(np.isfinite(lo) & np.isfinite(hi))
        if np.any(bad):
            self._raise_no_root(prep, np.flatnonzero(bad), lo_dom, hi_dom)
        # stage 2: vectorised Chandrupatla on trimmed bands
        from scipy.optimize.elementwise import find_root

        bands = self._bands_for(prep, float(lo.min()), float(hi.max()))

        def f(x, idx):
            idx = idx.astype(int)
            return self._g(np.asarray(x, float), prep, idx, bands)

        exact_lo = lo == hi
        res = find_root(f, (lo, np.where(exact_lo, hi + 1e-300, hi)), args=(rows_all.astype(float),),
                        tolerances=dict(xatol=1e-14, xrtol=4 * np.finfo(float).eps, fatol=0.0, frtol=0.0),
                        maxiter=200)
        E = np.where(exact_lo, lo, res.x)
        ok = exact_lo | res.success | (np.abs(res.bracket[1] - res.bracket[0]) <= 1e-12)
        if not np.all(ok):
            i = int(np.flatnonzero(~ok)[0])
            raise ConvergenceError(
                "charge neutrality: the root finder did not converge",
                {"point": i, "temperature_K": float(prep["kt"][i] / K_B_EV), "status": int(res.status[i]),
                 "bracket_eV": (float(res.bracket[0][i]), float(res.bracket[1][i])),
                 "g_bracket": (float(res.f_bracket[0][i]), float(res.f_bracket[1][i])),
                 "iterations": int(res.nit[i]), "source": self.source})
        return E, np.asarray(res.nit)

    def _grid_bracket(self, grid, prep, rows, bands, lo, hi):
        G = grid.size
        R = rows.size
        Eg = np.broadcast_to(grid[None, :], (R, G)).ravel()
        rr = np.repeat(rows, G)
        # carriers depend on (ε_F, T) only: evaluate them once per distinct temperature
        kt_rows = prep["kt"][rows]
        uk, tinv = np.unique(kt_rows, return_inverse=True)
        EE = np.broadcast_to(grid[None, :], (uk.size, G)).ravel()
        kk = np.repeat(uk, G)
        if bands is None:
            lp_u, ln_u = self._log_carriers(EE, kk, None, None, prep)
        else:
            hb, eb = bands[0], bands[1]
            lp_u = hb.log_occupied(EE, kk, hb.scaled_for(uk)[np.repeat(np.arange(uk.size), G)])
            ln_u = eb.log_occupied(-EE, kk, eb.scaled_for(uk)[np.repeat(np.arange(uk.size), G)])
        lp = lp_u.reshape(uk.size, G)[tinv].ravel()
        ln_ = ln_u.reshape(uk.size, G)[tinv].ravel()
        lP, lN = self._log_charges(Eg, prep, rr, bands, carriers=(lp, ln_))
        with np.errstate(invalid="ignore"):
            g = (lP - lN).reshape(R, G)
        if np.any(np.isnan(g)):
            i = int(rows[np.argwhere(np.isnan(g))[0][0]])
            raise ConvergenceError("charge neutrality: the net charge could not be evaluated (NaN)",
                                   {"point": i, "temperature_K": float(prep["kt"][i] / K_B_EV), "source": self.source})
        neg = g <= 0
        has = neg.any(axis=1)
        j = np.argmax(neg, axis=1)
        found = has & (j > 0)
        exact0 = has & (j == 0) & (g[:, 0] == 0)
        r = rows[found]
        lo[r] = grid[j[found] - 1]
        hi[r] = grid[j[found]]
        lo[rows[exact0]] = grid[0]
        hi[rows[exact0]] = grid[0]
        below = rows[has & (j == 0) & ~exact0]   # already negative at the lowest grid point
        above = rows[~has]                       # still positive at the highest
        return lo, hi, below, above

    def _raise_no_root(self, prep, bad, lo_dom, hi_dom):
        i = int(bad[0])
        T = float(prep["kt"][i] / K_B_EV)
        m = _parabolic_margin(float(prep["kt"].max()))
        ends = np.array([lo_dom, hi_dom]) if np.isfinite(lo_dom) else np.array([-m, self.band_gap_eV + m])
        bands = self._bands_for(prep, float(ends[0]), float(ends[1]))
        lp, ln_ = self._log_charges(ends, prep, np.array([i, i]), bands)
        raise ConvergenceError(
            "charge neutrality has no solution in the allowed Fermi-level range: the net charge does not "
            "change sign (check fixed concentrations against what the bands can compensate, and the DOS range)",
            {"point": i, "n_failed": int(bad.size), "temperature_K": T, "fermi_range_eV": tuple(float(x) for x in ends),
             "ln_positive_cm3": tuple(float(x) for x in lp), "ln_negative_cm3": tuple(float(x) for x in ln_),
             "source": self.source})

    def _result(self, E, T, mu_out, mu_mat, prep, nit) -> FermiScan:
        B = E.size
        conc = self._concentrations(E, prep)
        rows = np.arange(B)
        bands = self._bands_for(prep, float(E.min()), float(E.max()))
        lp, ln_ = self._log_carriers(E, prep["kt"], rows, bands, prep)
        with np.errstate(over="ignore", invalid="ignore"):
            p, n = np.exp(lp), np.exp(ln_)
            lP, lN = self._log_charges(E, prep, rows, bands)
            net = np.exp(lP) - np.exp(lN)
        bad = ~(np.all(np.isfinite(conc), axis=1) & np.isfinite(p) & np.isfinite(n) & np.isfinite(net))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            worst = [self.labels[k] for k in np.flatnonzero(~np.isfinite(conc[i]))]
            raise ConvergenceError(
                "a concentration overflows double precision: some formation energy is far below zero, "
                "outside the dilute limit this model assumes (check E0 and the chemical potentials)",
                {"point": i, "temperature_K": float(T[i]), "fermi_level_eV": float(E[i]),
                 "mu_eV": {k: float(v[i]) for k, v in mu_out.items()}, "overflowing": worst,
                 "source": self.source})
        return FermiScan(fermi_level_eV=E, temperature_K=T, mu_eV=MappingProxyType(mu_out), labels=self.labels,
                         concentrations_cm3=conc, electrons_cm3=n, holes_cm3=p, net_charge_cm3=net,
                         iterations=nit, band_gap_eV=self.band_gap_eV)

    def _concentrations(self, E, prep):
        comp = prep["comp"]
        kt_ = prep["kt"]
        B = E.size
        out = np.zeros((B, comp["ncol"]))
        if comp["var_q"].size:
            with np.errstate(over="ignore"):
                out[:, comp["var_col"]] = np.exp(prep["base"] - comp["var_q"][None, :] * (E / kt_)[:, None])
        for logC, fq, fg, fe, cols in comp["frozen"]:
            lw = fg[None, :] - (fe[None, :] + fq[None, :] * E[:, None]) / kt_[:, None]
            out[:, cols] = np.exp(logC + lw - _lse(lw)[:, None])
        for col, v in comp["fixed_vals"]:
            out[:, col] = v
        return out

    # ---- direct evaluation at a given Fermi level --------------------------------------------
    def state_at(self, e_fermi, mu_eV=None, temperature_K=None) -> FermiScan:
        """Concentrations, carriers and net charge at a *given* ε_F (not self-consistent)."""
        T = np.asarray(self.temperature_K if temperature_K is None else temperature_K, float)
        E = np.atleast_1d(np.asarray(e_fermi, float))
        shape = np.broadcast_shapes(E.shape, T.shape, *[np.shape(v) for v in dict(mu_eV or {}).values()])
        B = int(np.prod(shape))
        E = np.broadcast_to(E, (B,)).astype(float)
        T = np.broadcast_to(T, (B,)).astype(float)
        mu_mat, mu_out = self._mu_matrix(mu_eV, B)
        prep = self._prepare(mu_mat, T)
        return self._result(E, T, mu_out, mu_mat, prep, np.zeros(B, int))

    def net_charge_cm3(self, e_fermi, mu_eV=None, temperature_K=None):
        """Net charge density (e·cm⁻³, holes and donors positive) at a given ε_F."""
        return self.state_at(e_fermi, mu_eV, temperature_K).net_charge_cm3

    def formation_energy(self, name: str, charge: int, e_fermi, mu_eV=None):
        """ΔH_f in eV of one charge state (μ from the system's defaults updated by ``mu_eV``)."""
        mu = dict(self.mu_eV)
        mu.update(mu_eV or {})
        return self.species_by_name(name).formation_energy(charge, e_fermi, mu)

    # ---- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A mapping in py-sc-fermi's YAML layout (+ ssbands keys); :meth:`from_dict` reads it back."""
        d: dict[str, Any] = {"bandgap": self.band_gap_eV, "temperature": self.temperature_K}
        if self.volume_A3 is not None:
            d["volume"] = self.volume_A3
        if isinstance(self.bands, TabulatedDOS):
            d.update(self.bands.to_dict())
        else:
            d["bands"] = self.bands.to_dict()
        if self.mu_eV:
            d["chemical_potentials"] = dict(self.mu_eV)
        d["defect_species"] = [s.to_dict() for s in self.species]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None,
                  source: str | None = None) -> "DefectSystem":
        """Build from a py-sc-fermi-style mapping (see :meth:`from_yaml` for the keys)."""
        return _system_from_mapping(data, base_dir=base_dir, source=source)

    @classmethod
    def from_yaml(cls, path: str | Path, *, dos_file: str | Path | None = None) -> "DefectSystem":
        """Read a py-sc-fermi YAML input (optionally with ssbands extensions).

        py-sc-fermi keys: ``bandgap`` (eV), ``temperature`` (K), ``nelect``, ``volume`` (Å³),
        ``spin_pol``, ``dos``/``edos`` (inline DOS), ``defect_species`` (list of
        ``{name, nsites, [fixed_concentration cm⁻³], charge_states: {q: {charge, energy,
        degeneracy, [fixed_concentration cm⁻³]}}}``). Without an inline DOS the DOS is read from
        ``dos_file`` (argument or key), else from ``totdos.dat`` next to the YAML (SC-Fermi format:
        energy then one or two DOS columns); without ``volume`` from ``unitcell.dat`` or ``POSCAR``
        next to it. ssbands extensions: ``bands: {model: parabolic, electron_mass, hole_mass}``,
        per species ``stoichiometry: {Li: -1}`` and ``site_density_cm3``, top-level
        ``chemical_potentials: {Li: -1.0}`` (eV). ``convergence_tolerance`` and ``n_trial_steps``
        are accepted and ignored (the solver converges to machine precision).
        """
        return _system_from_yaml(path, dos_file=dos_file)


def _parabolic_margin(kt_max: float) -> float:
    """How far (eV) beyond the band edges ε_F is searched with parabolic bands: 2 eV + 1000 kT."""
    return 2.0 + 1000.0 * kt_max


def _lse0(x):
    """log Σ exp(x) along the first axis (contiguous rows); −inf where all terms are −inf."""
    if x.shape[0] == 1:
        return x[0]
    m = np.max(x, axis=0)
    ms = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore", over="ignore"):
        return np.log(np.sum(np.exp(x - ms[None, ...]), axis=0)) + ms


def _lse(x):
    """log Σ exp(x) along the last axis; −inf where all terms are −inf."""
    m = np.max(x, axis=-1)
    ms = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore", over="ignore"):
        return np.log(np.sum(np.exp(x - ms[..., None]), axis=-1)) + ms


# --------------------------------------------------------------------------------------------
# extrinsic control of the electrolyte's Fermi level
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExtrinsicFermiLevel:
    """The SE's Fermi level and Li chemical potential from a defect model (extrinsic closure).

    Attributes
    ----------
    fermi_level_eV : float
        ε_F above the SE's VBM at the operating temperature.
    mu_li_eV : float
        The implied Li chemical potential (eV vs bcc Li): the μ_Li with which the Li defect
        population is in equilibrium at ε_F and the operating T. Feed it to the band diagram as
        ``mu_li_se_eV`` under the ``extrinsic`` closure.
    mu_bar_li_plus_vbm_eV : float
        μ_Li − ε_F, the Li⁺ electrochemical potential on the VBM-referenced scale.
    li_species : str
        The defect species used to infer μ_Li.
    solution : FermiSolution
        The full state at the operating conditions.
    """

    fermi_level_eV: float
    mu_li_eV: float
    mu_bar_li_plus_vbm_eV: float
    li_species: str
    temperature_K: float
    synthesis_temperature_K: float
    frozen: tuple
    solution: FermiSolution

    def to_dict(self) -> dict:
        return {"fermi_level_eV": self.fermi_level_eV, "mu_li_eV": self.mu_li_eV,
                "mu_bar_li_plus_vbm_eV": self.mu_bar_li_plus_vbm_eV, "li_species": self.li_species,
                "temperature_K": self.temperature_K, "synthesis_temperature_K": self.synthesis_temperature_K,
                "frozen": list(self.frozen), "energy_reference": ENERGY_REFERENCE}


def extrinsic_mu_li_from_defects(system: DefectSystem, mu_li_eV: float, *, temperature_K: float = 300.0,
                                 synthesis_temperature_K: float | None = None,
                                 quench: Sequence[str] | None = None, li_species: str | None = None,
                                 element: str = "Li") -> ExtrinsicFermiLevel:
    r"""The electrolyte's Fermi level under ``extrinsic`` control, computed from its defect chemistry.

    Procedure (Buckeridge 2019; the "frozen defect" approach of py-sc-fermi):

    1. Equilibrate the SE with a Li reservoir at ``mu_li_eV`` at the synthesis (processing)
       temperature ``synthesis_temperature_K`` (default: ``temperature_K``).
    2. Quench: freeze the total concentrations of the species in ``quench`` (default: all species
       when the two temperatures differ, none otherwise); electrons, holes and the charge states
       re-equilibrate.
    3. Solve charge neutrality at ``temperature_K`` → ε_F above the VBM.
    4. The implied μ_Li is the Li chemical potential with which the Li-containing species
       ``li_species`` (default: the most abundant species with a nonzero Li stoichiometry) is in
       equilibrium at ε_F and T::

           c_X = Σ_q N_X g_q exp(−[E0_q + q ε_F − n_Li μ_Li − Σ_{i≠Li} n_i μ_i]/kT)
           ⇒ μ_Li = (kT/n_Li) · ln( c_X / Σ_q N_X g_q exp(−[E0_q + q ε_F − Σ_{i≠Li} n_i μ_i]/kT) ).

       Without quenching this returns ``mu_li_eV`` itself (a consistency check).

    In the band diagram (MODEL.md §2, ``ssbands.equilibrium``) the SE's ε_F above its VBM and its
    μ_Li are tied by ε_F = μ_Li,SE + IP + eφ0^Li − Φ_Li; the μ_Li returned here is what the
    ``extrinsic`` closure takes as ``mu_li_se_eV``.

    Parameters
    ----------
    system : DefectSystem
    mu_li_eV : float
        Li chemical potential during synthesis (eV, bcc Li = 0).
    temperature_K : float
        Operating temperature (K).
    synthesis_temperature_K : float, optional
    quench : sequence of str, optional
        Species whose totals are frozen after synthesis.
    li_species : str, optional
    element : str
        The mobile element (default "Li").

    Returns
    -------
    ExtrinsicFermiLevel
    """
    T = _num("extrinsic_mu_li_from_defects", "temperature_K", temperature_K, positive=True)
    Ts = T if synthesis_temperature_K is None else _num("extrinsic_mu_li_from_defects",
                                                        "synthesis_temperature_K", synthesis_temperature_K, positive=True)
    mu_li = _num("extrinsic_mu_li_from_defects", "mu_li_eV", mu_li_eV)
    li_sp = [s for s in system.species if s.stoichiometry.get(element, 0) != 0
             and any(not c.is_fixed for c in s.charge_states)]
    if not li_sp:
        raise InputError(f"{system.source or 'defect system'}: no defect species has a nonzero "
                         f"stoichiometry in {element!r} (e.g. stoichiometry: {{{element}: -1}} for a vacancy); "
                         "cannot infer the Li chemical potential")
    synth = system.solve(mu_eV={element: mu_li}, temperature_K=Ts)
    if quench is None:
        quench = list(system.names) if Ts != T else []
    sys2 = system.quenched(synth, quench) if quench else system
    sol = sys2.solve(mu_eV={element: mu_li}, temperature_K=T)
    if li_species is None:
        li_species = max(li_sp, key=lambda s: sol.total(s.name)).name
    sp = system.species_by_name(li_species)
    n_li = sp.stoichiometry.get(element, 0)
    if n_li == 0:
        raise InputError(f"li_species {li_species!r} has no {element!r} in its stoichiometry")
    mu_other = {k: v for k, v in system.mu_eV.items() if k != element}
    kt_ = K_B_EV * T
    N = system.site_density_cm3(sp)
    if N is None:
        raise InputError(f"defect {li_species!r}: needs 'nsites' or 'site_density_cm3' to infer μ_{element}")
    terms = []
    c_var = 0.0
    for c in sp.charge_states:
        if c.is_fixed:
            continue
        e_form = c.energy + c.charge * sol.fermi_level_eV - sum(n * mu_other.get(el, 0.0)
                                                                 for el, n in sp.stoichiometry.items() if el != element)
        terms.append(math.log(N * c.degeneracy) - e_form / kt_)
        c_var += sol.concentrations_cm3[li_species][c.charge]
    if not c_var > 0:
        raise InputError(f"defect {li_species!r} has zero concentration; cannot infer μ_{element}")
    mu_implied = (kt_ / n_li) * (math.log(c_var) - float(_lse(np.array(terms))))
    return ExtrinsicFermiLevel(fermi_level_eV=sol.fermi_level_eV, mu_li_eV=mu_implied,
                               mu_bar_li_plus_vbm_eV=mu_implied - sol.fermi_level_eV, li_species=li_species,
                               temperature_K=T, synthesis_temperature_K=Ts, frozen=tuple(quench), solution=sol)


# --------------------------------------------------------------------------------------------
# input files: py-sc-fermi YAML (+ ssbands keys) and SC-Fermi text inputs
# --------------------------------------------------------------------------------------------

_TOP_KEYS = {"bandgap", "temperature", "nelect", "volume", "spin_pol", "dos", "edos", "convergence_tolerance",
             "n_trial_steps", "defect_species", "bands", "chemical_potentials", "dos_file", "name",
             "description", "notes", "references", "units"}
_SPECIES_KEYS = {"name", "nsites", "fixed_concentration", "charge_states", "stoichiometry", "site_density_cm3",
                 "notes", "description"}
_CS_KEYS = {"charge", "energy", "formation_energy", "degeneracy", "fixed_concentration", "notes"}


def _prefixed(where: str, exc: InputError) -> InputError:
    return InputError(f"{where}: {exc}")


def _read_totdos(path: Path, where: str):
    try:
        data = np.loadtxt(path, comments="#", ndmin=2)
    except FileNotFoundError:
        raise InputError(f"{where}: DOS file {str(path)!r} does not exist") from None
    except (ValueError, OSError) as exc:
        raise InputError(f"{where}: DOS file {str(path)!r} is not a table of numbers ({exc})") from None
    if data.shape[1] < 2:
        raise InputError(f"{where}: DOS file {str(path)!r} needs an energy column and at least one DOS column")
    return data[:, 0], np.sum(np.abs(data[:, 1:]), axis=1)


def _volume_from_unitcell(path: Path, where: str) -> float:
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        factor = float(lines[0].split()[0])
        lat = np.array([[float(v) for v in ln.split()[:3]] for ln in lines[1:4]]) * factor
        vol = abs(float(np.linalg.det(lat)))
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read a cell volume from {str(path)!r} ({exc})") from None
    if not vol > 0:
        raise InputError(f"{where}: {str(path)!r} gives a zero cell volume")
    return vol


def _volume_from_poscar(path: Path, where: str) -> float:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        scale = float(lines[1].split()[0])
        lat = np.array([[float(v) for v in ln.split()[:3]] for ln in lines[2:5]])
        vol = abs(float(np.linalg.det(lat)))
        vol = abs(scale) if scale < 0 else vol * scale ** 3
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read a cell volume from POSCAR {str(path)!r} ({exc})") from None
    return vol


def _system_from_mapping(data, *, base_dir=None, source=None, dos_file=None) -> DefectSystem:
    w = source or "defect system"
    if not isinstance(data, Mapping):
        raise InputError(f"{w}: expected a mapping of py-sc-fermi keys (bandgap, temperature, defect_species, ...)")
    unknown = sorted(str(k) for k in data if str(k) not in _TOP_KEYS and not str(k).startswith("_"))
    if unknown:
        raise InputError(f"{w}: unknown key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
    base = Path(base_dir) if base_dir is not None else None
    gap = _num(w, "bandgap", data.get("bandgap"), nonneg=True)
    temperature = _num(w, "temperature", data.get("temperature", 300.0), positive=True)
    # bands
    bands_spec = data.get("bands")
    if bands_spec is not None:
        if not isinstance(bands_spec, Mapping) or bands_spec.get("model") != "parabolic":
            raise InputError(f"{w}: field 'bands' must be {{model: parabolic, electron_mass: M, hole_mass: M}}")
        extra = sorted(set(map(str, bands_spec)) - {"model", "electron_mass", "hole_mass"})
        if extra:
            raise InputError(f"{w}: bands: unknown key(s) {extra}")
        if "dos" in data or "edos" in data:
            raise InputError(f"{w}: give either 'bands' (parabolic) or 'dos'/'edos', not both")
        try:
            bands = ParabolicBands(gap, bands_spec.get("electron_mass"), bands_spec.get("hole_mass"))
        except InputError as exc:
            raise _prefixed(w, exc) from None
    else:
        spin = bool(data.get("spin_pol", False))
        nelect = _num(w, "nelect", data.get("nelect"), positive=True)
        dfile = dos_file if dos_file is not None else data.get("dos_file")
        if "dos" in data or "edos" in data:
            if "dos" not in data or "edos" not in data:
                raise InputError(f"{w}: an inline DOS needs both 'dos' and 'edos'")
            edos, dos = data["edos"], data["dos"]
        else:
            if dfile is not None:
                p = Path(dfile)
                if not p.is_absolute() and base is not None:
                    p = base / p
            elif base is not None and (base / "totdos.dat").is_file():
                p = base / "totdos.dat"
            else:
                raise InputError(f"{w}: no DOS: give 'dos' and 'edos', a 'dos_file', 'bands: {{model: parabolic, ...}}', "
                                 "or put a 'totdos.dat' next to the YAML file")
            if p.suffix == ".xml":
                raise InputError(f"{w}: reading vasprun.xml needs pymatgen; convert it to a totdos.dat "
                                 "(energy above VBM, DOS columns) or inline 'dos'/'edos'")
            edos, dos = _read_totdos(p, w)
            spin = False
        try:
            bands = TabulatedDOS(edos, dos, gap, nelect=nelect, spin_polarised=spin)
        except InputError as exc:
            raise _prefixed(w, exc) from None
    # species
    raw_species = data.get("defect_species", [])
    if raw_species is None:
        raw_species = []
    if not isinstance(raw_species, list):
        raise InputError(f"{w}: field 'defect_species' must be a list of defect mappings")
    species = []
    for i, item in enumerate(raw_species):
        loc = f"{w}: defect_species[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(f"{loc}: must be a mapping with 'name', 'nsites' and 'charge_states'")
        if "name" not in item and len(item) == 1:  # legacy layout {NAME: {...}}
            (nm, body), = item.items()
            if not isinstance(body, Mapping):
                raise InputError(f"{loc}: must be a mapping with 'name', 'nsites' and 'charge_states'")
            item = {"name": nm, **body}
        loc = f"{loc} ({item.get('name')!r})"
        bad = sorted(str(k) for k in item if str(k) not in _SPECIES_KEYS)
        if bad:
            raise InputError(f"{loc}: unknown key(s) {bad}; allowed: {sorted(_SPECIES_KEYS)}")
        css = item.get("charge_states")
        if isinstance(css, Mapping):
            entries = list(css.items())
        elif isinstance(css, list):
            entries = [(None, c) for c in css]
        else:
            raise InputError(f"{loc}: field 'charge_states' must be a mapping {{charge: {{energy, degeneracy}}}}")
        states = []
        for key, cs in entries:
            cloc = f"{loc}: charge_states[{key!r}]" if key is not None else f"{loc}: charge_states"
            if not isinstance(cs, Mapping):
                raise InputError(f"{cloc}: must be a mapping with 'charge', 'energy' and 'degeneracy'")
            bad = sorted(str(k) for k in cs if str(k) not in _CS_KEYS)
            if bad:
                raise InputError(f"{cloc}: unknown key(s) {bad}; allowed: {sorted(_CS_KEYS)}")
            q = cs.get("charge", key)
            if q is None:
                raise InputError(f"{cloc}: field 'charge' is required")
            if key is not None and "charge" in cs:
                try:
                    if int(key) != int(cs["charge"]):
                        raise InputError(f"{cloc}: key {key!r} and field 'charge' {cs['charge']!r} disagree")
                except (TypeError, ValueError):
                    raise InputError(f"{cloc}: charge must be an integer") from None
            energy = cs.get("energy", cs.get("formation_energy"))
            try:
                states.append(ChargeState(q, energy, cs.get("degeneracy", 1), cs.get("fixed_concentration")))
            except InputError as exc:
                raise _prefixed(loc, exc) from None
        st = item.get("stoichiometry") or {}
        if not isinstance(st, Mapping):
            raise InputError(f"{loc}: field 'stoichiometry' must be a mapping element -> atoms added, e.g. {{Li: -1}}")
        try:
            species.append(DefectSpecies(str(item.get("name")), tuple(states), nsites=item.get("nsites"),
                                         site_density_cm3=item.get("site_density_cm3"), stoichiometry=st,
                                         fixed_concentration_cm3=item.get("fixed_concentration")))
        except InputError as exc:
            raise _prefixed(f"{w}: defect_species[{i}]", exc) from None
    # volume
    volume = data.get("volume")
    needs_volume = isinstance(bands, TabulatedDOS) or any(s.nsites is not None for s in species)
    if volume is None and needs_volume and base is not None:
        if (base / "unitcell.dat").is_file():
            volume = _volume_from_unitcell(base / "unitcell.dat", w)
        elif (base / "POSCAR").is_file():
            volume = _volume_from_poscar(base / "POSCAR", w)
    if volume is None and needs_volume:
        raise InputError(f"{w}: field 'volume' (cell volume, Å^3) is required (tabulated DOS or 'nsites' per cell); "
                         "give it, or put unitcell.dat/POSCAR next to the YAML file")
    mu = data.get("chemical_potentials") or {}
    if not isinstance(mu, Mapping):
        raise InputError(f"{w}: field 'chemical_potentials' must be a mapping element -> eV, e.g. {{Li: -1.0}}")
    return DefectSystem(tuple(species), bands, volume_A3=volume, temperature_K=temperature, mu_eV=mu, source=w)


def _system_from_yaml(path, *, dos_file=None) -> DefectSystem:
    import yaml

    from .materials.library import safe_load

    p = Path(path)
    w = str(p)
    text = read_text_file(p, "defect input file")
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"defect input file {w!r} is not valid YAML: {exc}") from None
    return _system_from_mapping(data, base_dir=p.parent, source=w, dos_file=dos_file)


def _sc_fermi_from_files(input_file, *, volume_A3=None, unitcell_file=None, totdos_file=None,
                         frozen: bool = False) -> DefectSystem:
    """Read SC-Fermi's text inputs (``input-fermi.dat``, ``unitcell.dat``, ``totdos.dat``)."""
    p = Path(input_file)
    w = str(p)
    lines = [ln.strip() for ln in read_text_file(p, "SC-Fermi input").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        spin = int(lines.pop(0).split()[0])
        nelect = float(lines.pop(0).split()[0])
        gap = float(lines.pop(0).split()[0])
        temperature = float(lines.pop(0).split()[0])
        nd = int(lines.pop(0).split()[0])
        species = {}
        for _ in range(nd):
            name, ncs, nsites = lines.pop(0).split()[:3]
            states = []
            for _ in range(int(ncs)):
                q, e, g = lines.pop(0).split()[:3]
                states.append(ChargeState(int(q), float(e), float(g)))
            species[name] = dict(name=name, states=states, nsites=float(nsites), fixed=None)
        if frozen:
            for _ in range(int(lines.pop(0).split()[0])):
                name, conc = lines.pop(0).split()[:2]
                if name not in species:
                    raise InputError(f"{w}: frozen defect {name!r} is not among the defect species")
                species[name]["fixed"] = float(conc)
            for _ in range(int(lines.pop(0).split()[0])):
                name, q, conc = lines.pop(0).split()[:3]
                cs = ChargeState(int(q), None, 1.0, float(conc))
                if name in species:
                    species[name]["states"] = [c if c.charge != int(q) else
                                               ChargeState(c.charge, c.energy, c.degeneracy, float(conc))
                                               for c in species[name]["states"]]
                else:
                    species[name] = dict(name=name, states=[cs], nsites=1.0, fixed=None)
    except (IndexError, ValueError) as exc:
        raise InputError(f"{w}: not a valid SC-Fermi input file ({exc})") from None
    base = p.parent
    if volume_A3 is None:
        volume_A3 = _volume_from_unitcell(Path(unitcell_file) if unitcell_file else base / "unitcell.dat", w)
    edos, dos = _read_totdos(Path(totdos_file) if totdos_file else base / "totdos.dat", w)
    del spin  # totdos columns are summed whatever the spin setting (as SC-Fermi does)
    sp = tuple(DefectSpecies(d["name"], tuple(d["states"]), nsites=d["nsites"], fixed_concentration_cm3=d["fixed"])
               for d in species.values())
    return DefectSystem(sp, TabulatedDOS(edos, dos, gap, nelect=nelect), volume_A3=volume_A3,
                        temperature_K=temperature, source=w)


DefectSystem.from_sc_fermi = staticmethod(_sc_fermi_from_files)
DefectSystem.from_sc_fermi.__doc__ = _sc_fermi_from_files.__doc__
