r"""Charge transfer at an electrode|electrolyte interface: Frumkin-corrected Butler–Volmer kinetics.

The Li⁺ transfer between the electrode and the electrolyte happens at a reaction plane x₂ inside the
space-charge layer, where the potential is φ₂ = φ(x₂) − φ∞ and the reacting defect's concentration is
c(x₂). The apparent exchange current density is (Frumkin correction; Bard & Faulkner, *Electrochemical
Methods*, 2nd ed., Wiley 2001, §13.7; Bazant, *Acc. Chem. Res.* 46, 1144 (2013),
doi:10.1021/ar300145c)::

    i0,app = i0 · [c(x₂)/c∞] · exp(α_t e φ₂/kT),        R_ct·A = kT / (e i0,app),

with c(x₂) from the site-saturated (Fermi–Dirac) profile of the two-defect model — a Boltzmann factor
c∞ exp(−z e φ₂/kT) alone gives more defects than there are sites at the steps these interfaces have
(both are reported). α_t is the cathodic transfer coefficient and i0 the exchange current density the
interface would have without its space-charge layer; both are user input (no published values for
these interfaces). Without them the result is null with a note.

The current–overpotential curve of the interface is the Butler–Volmer law with i0,app (anodic
current positive)::

    i(η) = i0,app [exp((1 − α_t) e η/kT) − exp(−α_t e η/kT)],

with the reaction-plane concentration and potential frozen at equilibrium (the small-η, thin-layer
limit; mass transport in the electrolyte is the impedance's job, :mod:`ssbands.impedance`).
Units: A/cm², Ω cm², V, K, cm⁻³, nm.
"""

from __future__ import annotations

import numpy as np

from ..constants import kT_eV
from ..errors import InputError
from .firstintegral import dimensionless, layer_profiles, softplus

__all__ = ["frumkin_butler_volmer", "butler_volmer_current", "charge_transfer", "current_overpotential"]

_NO_KINETICS = ("no kinetic data: the charge-transfer resistance needs the exchange current density i0 (A/cm^2) and "
                "the transfer coefficient alpha_t of this interface (user input; none are published)")


def _check_kinetics(i0_A_cm2, alpha_t):
    i0 = np.asarray(i0_A_cm2, float)
    at = np.asarray(alpha_t, float)
    if np.any(~np.isfinite(i0)) or np.any(i0 <= 0):
        raise InputError(f"i0 must be > 0 A/cm^2, got {i0_A_cm2!r}")
    if np.any((at < 0) | (at > 1)):
        raise InputError(f"alpha_t (transfer coefficient) must lie in [0, 1], got {alpha_t!r}")
    return i0, at


def frumkin_butler_volmer(i0_A_cm2, alpha_t, concentration_ratio, phi2_V, temperature_K=300.0):
    """Frumkin-corrected exchange current and charge-transfer resistance.

    Parameters
    ----------
    i0_A_cm2 : array_like
        Exchange current density without the space-charge layer, A/cm² (> 0).
    alpha_t : array_like
        Cathodic transfer coefficient (0 ≤ α_t ≤ 1).
    concentration_ratio : array_like
        c(x₂)/c∞ of the reacting defect at the reaction plane.
    phi2_V : array_like
        φ₂ = φ(x₂) − φ∞, V.
    temperature_K : array_like
        Temperature, K.

    Returns
    -------
    R_ct_ohm_cm2 : ndarray
        kT/(e i0,app), Ω cm².
    i0_app_A_cm2 : ndarray
        Apparent exchange current density, A/cm².
    """
    i0, at = _check_kinetics(i0_A_cm2, alpha_t)
    kt = kT_eV(temperature_K)
    with np.errstate(over="ignore", under="ignore"):
        i0_app = i0 * np.asarray(concentration_ratio, float) * np.exp(at * np.asarray(phi2_V, float) / kt)
        return kt / i0_app, i0_app


def butler_volmer_current(overpotential_V, i0_app_A_cm2, alpha_t, temperature_K=300.0):
    """Butler–Volmer current density i(η) = i0,app [e^{(1−α_t)fη} − e^{−α_t fη}], f = e/kT (anodic > 0).

    Parameters
    ----------
    overpotential_V : array_like
        Overpotential η, V.
    i0_app_A_cm2 : array_like
        Apparent exchange current density, A/cm².
    alpha_t : array_like
        Cathodic transfer coefficient.
    temperature_K : float
        Temperature, K.

    Returns
    -------
    ndarray
        Current density, A/cm².
    """
    eta = np.asarray(overpotential_V, float) / kT_eV(temperature_K)
    at = np.asarray(alpha_t, float)
    return np.asarray(i0_app_A_cm2, float) * (np.exp((1.0 - at) * eta) - np.exp(-at * eta))


def _reaction_plane(phi0, N, E, eps, al, T, x2_nm):
    """Reduced potential f = e(φ∞ − φ)/kT at the reaction plane for a batch of steps (closed form at x₂ = 0)."""
    _, f0, *_ = dimensionless(phi0, N, E, eps, al, T)
    if x2_nm == 0:
        return f0
    if x2_nm < 0:
        raise InputError(f"reaction_plane_nm must be >= 0, got {x2_nm!r}")
    flat = np.atleast_1d(f0).ravel() * kT_eV(T)
    f = layer_profiles(flat, N, E, eps, al, T, np.array([float(x2_nm)]))[:, 0]
    return f.reshape(np.shape(f0))


def charge_transfer(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1, temperature_K=300.0, *,
                    i0_A_cm2=None, alpha_t=None, reaction_plane_nm: float = 0.0, species: str = "Li_i+") -> dict:
    """Frumkin–Butler–Volmer charge transfer of a batch of electrode|electrolyte interfaces (two-defect model).

    Parameters
    ----------
    phi0_V : array_like
        Steps screened by the space-charge layers, V (φ0 > 0: electrolyte bulk at the higher potential).
    site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K : float
        The electrolyte (cm⁻³, eV, –, –) and temperature (K).
    i0_A_cm2, alpha_t : float, optional
        Exchange current density (A/cm²) and cathodic transfer coefficient. Without them ``R_ct_ohm_cm2``
        is None and ``note`` says why.
    reaction_plane_nm : float
        Distance of the reaction plane x₂ from the interface, nm.
    species : {"Li_i+", "V_Li-"}
        The defect whose concentration enters the Frumkin factor (the one the transferred Li⁺ becomes or
        fills).

    Returns
    -------
    dict
        ``R_ct_ohm_cm2``, ``i0_app_A_cm2`` (None without kinetics), ``phi2_V``, ``c_reaction_plane_cm3``
        (site-saturated), ``c_boltzmann_cm3`` (what a Boltzmann factor would give), ``c_bulk_cm3``,
        ``site_limit_cm3`` (αN), ``note``. Floats for a scalar step, arrays otherwise.
    """
    if species not in ("Li_i+", "V_Li-"):
        raise InputError(f"species must be 'Li_i+' or 'V_Li-', got {species!r}")
    z = 1.0 if species == "Li_i+" else -1.0
    T = float(temperature_K)
    kt = kT_eV(T)
    f2 = _reaction_plane(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, T, float(reaction_plane_nm))
    lnB = np.log(alpha) + defect_energy_eV / kt
    an = float(alpha) * float(site_density_cm3)
    ln_ratio = softplus(lnB) - softplus(lnB - z * f2)  # ln c(x2)/c∞ (site-saturated)
    c_inf = an * np.exp(-softplus(lnB))
    out = {"phi2_V": -kt * f2, "c_reaction_plane_cm3": c_inf * np.exp(ln_ratio), "c_bulk_cm3": c_inf,
           "site_limit_cm3": an, "R_ct_ohm_cm2": None, "i0_app_A_cm2": None, "note": _NO_KINETICS}
    with np.errstate(over="ignore"):
        out["c_boltzmann_cm3"] = c_inf * np.exp(z * f2)
    if (i0_A_cm2 is None) != (alpha_t is None):
        raise InputError("the charge-transfer resistance needs both i0_A_cm2 and alpha_t")
    if i0_A_cm2 is not None:
        rct, i0app = frumkin_butler_volmer(i0_A_cm2, alpha_t, np.exp(ln_ratio), -kt * f2, T)
        out.update({"R_ct_ohm_cm2": rct, "i0_app_A_cm2": i0app, "note": None})
    return {k: (float(v) if isinstance(v, np.ndarray) and v.ndim == 0 else v) for k, v in out.items()}


def current_overpotential(overpotential_V, phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1,
                          temperature_K=300.0, *, i0_A_cm2, alpha_t, reaction_plane_nm: float = 0.0,
                          species: str = "Li_i+") -> dict:
    """Current–overpotential curve of one interface (Frumkin-corrected Butler–Volmer).

    Parameters
    ----------
    overpotential_V : array_like
        Overpotentials η, V.
    phi0_V : float
        Step of the interface, V.
    site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K : float
        The electrolyte and temperature.
    i0_A_cm2, alpha_t : float
        Exchange current density (A/cm²) and cathodic transfer coefficient.
    reaction_plane_nm : float
        Distance of the reaction plane from the interface, nm.
    species : str
        Reacting defect (see :func:`charge_transfer`).

    Returns
    -------
    dict
        ``overpotential_V``, ``current_A_cm2`` (anodic positive), ``i0_app_A_cm2``, ``R_ct_ohm_cm2`` (the
        slope dη/di at η = 0).
    """
    if np.ndim(phi0_V) != 0:
        raise InputError("current_overpotential takes one interface (a scalar phi0_V)")
    ct = charge_transfer(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K,
                         i0_A_cm2=i0_A_cm2, alpha_t=alpha_t, reaction_plane_nm=reaction_plane_nm, species=species)
    eta = np.asarray(overpotential_V, float)
    return {"overpotential_V": eta, "current_A_cm2": butler_volmer_current(eta, ct["i0_app_A_cm2"], alpha_t,
                                                                          temperature_K),
            "i0_app_A_cm2": ct["i0_app_A_cm2"], "R_ct_ohm_cm2": ct["R_ct_ohm_cm2"]}
