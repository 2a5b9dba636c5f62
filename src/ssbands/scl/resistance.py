r"""Interface resistance from the space-charge layer and charge transfer.

* **SCL resistance** (series integral, Nernst–Einstein)::

      R_SCL·A = ∫_0^{x_end} dx / σ_ion(x),   σ_ion(x) = Σ_i z_i² e² D_i c_i(x) / kT,

  with x_end where |φ − φ∞| has fallen to ``end_fraction``·kT/e (default 0.01, i.e. 0.26 mV at 300 K).
  The reference is the bulk over the same length, R_bulk·A = x_end/σ_ion,∞, and ``R_ratio`` = R_SCL/R_bulk.
  The length-independent excess ∫(1/σ_ion − 1/σ_ion,∞) dx is reported as ``R_excess_ohm_cm2``.
  The integral is done in potential space with dx = dφ/|φ'| from the first integral — no profile, no
  mesh — and is vectorised over batches of interfaces. D comes from the species' diffusivities, or from
  the bulk ionic conductivity by Nernst–Einstein with the bulk carrier concentration,
  D = σ_bulk kT / (e² Σ z_i² c_i,∞).
* **Mott–Schottky limit** of a fully depleted layer (parabolic potential, Boltzmann carriers)::

      ρ_SCL/ρ_∞ = exp(z e φ0/kT) / (2 z e φ0/kT).

* **Frumkin-corrected charge transfer**: i0,app = i0 exp[(α_t − z) e φ₂/kT] with φ₂ = φ(x₂) − φ∞ the
  potential at the reaction plane (x₂ = 0 by default: φ₂ = −φ0), and R_ct·A = kT/(e i0,app).

Units: Ω cm² for resistances times area, S/cm for conductivities, cm²/s for diffusivities, A/cm² for
current densities.
"""

from __future__ import annotations

import numpy as np

from ..constants import E_CHARGE, K_B_EV, PER_CM3, kT_eV
from ..errors import InputError
from .firstintegral import dimensionless, g_of_f, softplus

__all__ = ["scl_resistance", "scl_resistance_layer", "mott_schottky_ratio", "frumkin_rct", "interface_resistance",
           "diffusivity_from_conductivity"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_GL_X = 0.5 * (_GL_X + 1.0)
_GL_W = 0.5 * _GL_W


def diffusivity_from_conductivity(conductivity_S_cm, carrier_cm3, charge=1.0, temperature_K=300.0):
    """Nernst–Einstein: D (cm²/s) = σ kT / (z² e² c) for carriers of total concentration c (cm⁻³)."""
    c = np.asarray(carrier_cm3, float)
    if np.any(c <= 0):
        raise InputError("Nernst-Einstein: the bulk carrier concentration must be > 0")
    # σ [S/cm] kT[eV] / (z² e [C] c [cm^-3]) -> cm²/s
    return np.asarray(conductivity_S_cm, float) * kT_eV(temperature_K) / (charge ** 2 * E_CHARGE * c)


def mott_schottky_ratio(phi0_V, charge=1.0, temperature_K=300.0):
    """ρ_SCL/ρ_∞ = exp(zeφ0/kT)/(2zeφ0/kT) of a fully depleted (Mott–Schottky) layer (|zφ0| ≫ kT/e)."""
    y = charge * np.asarray(phi0_V, float) / kT_eV(temperature_K)
    with np.errstate(over="ignore", divide="ignore"):
        return np.exp(y) / (2.0 * y)


def frumkin_rct(i0_A_cm2, alpha_t, phi2_V, charge=1.0, temperature_K=300.0):
    """Frumkin-corrected charge-transfer resistance R_ct·A (Ω cm²) and i0,app (A/cm²).

    i0,app = i0 exp[(α_t − z) e φ₂/kT], R_ct = kT/(e i0,app). Returns ``(R_ct, i0_app)``.
    """
    i0 = np.asarray(i0_A_cm2, float)
    if np.any(i0 <= 0):
        raise InputError(f"i0 must be > 0 A/cm^2, got {i0_A_cm2!r}")
    at = np.asarray(alpha_t, float)
    if np.any((at < 0) | (at > 1)):
        raise InputError(f"alpha_t (transfer coefficient) must lie in [0, 1], got {alpha_t!r}")
    kt = kT_eV(temperature_K)
    i0_app = i0 * np.exp((at - charge) * np.asarray(phi2_V, float) / kt)
    return kt / i0_app, i0_app


def _panels(f0a, f_end, n1=40, n2=48):
    """Quadrature nodes in |f| from f_end to |f0| (batched): ln-spaced below 4, linear above.

    Returns (f_nodes, df_weights) of shape (batch, nodes).
    """
    f0a = np.asarray(f0a, float)[..., None]
    top1 = np.minimum(f0a, 4.0)
    lo = np.log(f_end)
    hi = np.log(np.maximum(top1, f_end))
    e1 = lo + (hi - lo) * np.linspace(0, 1, n1 + 1)
    a, b = e1[..., :-1], e1[..., 1:]
    u = a[..., None] + (b - a)[..., None] * _GL_X
    f1 = np.exp(u)
    w1 = (b - a)[..., None] * _GL_W * f1
    top2 = np.maximum(f0a, 4.0)
    e2 = 4.0 + (top2 - 4.0) * np.linspace(0, 1, n2 + 1)
    a, b = e2[..., :-1], e2[..., 1:]
    f2 = a[..., None] + (b - a)[..., None] * _GL_X
    w2 = (b - a)[..., None] * _GL_W
    sh = f0a.shape[:-1]
    return (np.concatenate([f1.reshape(sh + (-1,)), f2.reshape(sh + (-1,))], axis=-1),
            np.concatenate([w1.reshape(sh + (-1,)), w2.reshape(sh + (-1,))], axis=-1))


def scl_resistance(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1, temperature_K=300.0, *,
                   diffusivity_cm2_s=None, bulk_conductivity_S_cm=None, end_fraction=1e-2) -> dict:
    """SCL resistance of a batch of two-defect layers (Li_i⁺ and V_Li⁻ with the same D).

    Parameters
    ----------
    phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K : array_like
        The layer (as for :func:`~ssbands.scl.first_integral`); broadcast against each other.
    diffusivity_cm2_s : array_like, optional
        Defect diffusivity D, cm²/s.
    bulk_conductivity_S_cm : array_like, optional
        Bulk ionic conductivity, S/cm (used when D is not given: Nernst–Einstein with c+∞ + c−∞).
    end_fraction : float
        The layer ends where |φ − φ∞| = end_fraction·kT/e.

    Returns
    -------
    dict of arrays
        ``R_scl_ohm_cm2``, ``R_bulk_same_length_ohm_cm2``, ``R_ratio``, ``R_excess_ohm_cm2``, ``length_nm``,
        ``bulk_conductivity_S_cm``, ``diffusivity_cm2_s``.
    """
    phi0, f0, lnB, lam, S, kt, an = dimensionless(phi0_V, site_density_cm3, defect_energy_eV, permittivity,
                                                   alpha, temperature_K)
    T = np.broadcast_to(np.asarray(temperature_K, float), phi0.shape)
    c_inf = 2.0 * an * np.exp(-softplus(lnB))  # m^-3, c+ + c- in the bulk
    if diffusivity_cm2_s is not None:
        D = np.broadcast_to(np.asarray(diffusivity_cm2_s, float), phi0.shape) * 1e-4  # m²/s
        if np.any(D <= 0):
            raise InputError("diffusivity_cm2_s must be > 0")
    elif bulk_conductivity_S_cm is not None:
        sb = np.broadcast_to(np.asarray(bulk_conductivity_S_cm, float), phi0.shape)
        if np.any(sb <= 0):
            raise InputError("bulk_conductivity_S_cm must be > 0")
        D = sb * 100.0 * kt / (E_CHARGE * c_inf)  # S/m · V / (C/m³) = m²/s
    else:
        raise InputError("the SCL resistance needs diffusivity_cm2_s or bulk_conductivity_S_cm")
    if not (0 < end_fraction < 1):
        raise InputError(f"end_fraction must be in (0, 1), got {end_fraction!r}")
    pref = E_CHARGE * D / kt  # S/m per m^-3 (e² D c / kT with kT in eV → e D c/kt)
    sig_inf = pref * c_inf
    a0 = np.abs(f0)
    fq, wq = _panels(a0, end_fraction)
    lnBq = lnB[..., None]
    cq = an[..., None] * (np.exp(-softplus(lnBq - fq)) + np.exp(-softplus(lnBq + fq)))
    dxi = wq / np.sqrt(2.0 * g_of_f(fq, lnBq))  # dξ per node
    active = a0 > end_fraction
    L = np.where(active, lam * dxi.sum(-1), 0.0)  # m
    R = np.where(active, lam * (dxi / (pref[..., None] * cq)).sum(-1), 0.0)  # Ω m²
    Rb = L / sig_inf
    excess = np.where(active, lam * (dxi * (1.0 / (pref[..., None] * cq) - 1.0 / sig_inf[..., None])).sum(-1), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(active, R / np.where(active, Rb, 1.0), 1.0)
    return {"R_scl_ohm_cm2": R * 1e4, "R_bulk_same_length_ohm_cm2": Rb * 1e4, "R_ratio": ratio,
            "R_excess_ohm_cm2": excess * 1e4, "length_nm": L * 1e9, "bulk_conductivity_S_cm": sig_inf / 100.0,
            "diffusivity_cm2_s": D * 1e4, "temperature_K": T}


def scl_resistance_layer(layer, diffusivities_cm2_s=None, bulk_conductivity_S_cm=None, end_fraction=1e-2) -> dict:
    """SCL resistance of one :class:`~ssbands.scl.species.GeneralLayer` (any species list).

    ``diffusivities_cm2_s``: one D per species (``None`` entries: immobile, e.g. frozen species), or
    ``None`` to use each species' own ``diffusivity_cm2_s``; or give ``bulk_conductivity_S_cm`` to set a
    common D for all mobile species by Nernst–Einstein. Frozen species never conduct.
    """
    sp = layer.species
    kt = sp.kt
    ds = list(diffusivities_cm2_s) if diffusivities_cm2_s is not None else \
        [getattr(s, "diffusivity_cm2_s", None) for s in sp.species]
    if len(ds) != len(sp.species):
        raise InputError("give one diffusivity per species")
    mobile = [getattr(s, "mobile", True) for s in sp.species]
    c_inf = [float(s.concentration(0.0, sp.temperature_K)) for s in sp.species]
    if bulk_conductivity_S_cm is not None:
        denom = sum(s.charge ** 2 * c for s, c, m in zip(sp.species, c_inf, mobile, strict=True) if m)
        d = float(diffusivity_from_conductivity(bulk_conductivity_S_cm, denom, 1.0, sp.temperature_K))
        ds = [d if m else None for m in mobile]
    ds = [d if m else None for d, m in zip(ds, mobile, strict=True)]
    if all(d is None for d in ds):
        raise InputError("the SCL resistance needs a diffusivity for at least one mobile species "
                         "(or bulk_conductivity_S_cm)")

    def sigma(psi):  # S/m
        out = np.zeros(np.shape(psi))
        for s, d in zip(sp.species, ds, strict=True):
            if d is not None:
                out += s.charge ** 2 * d * 1e-4 * s.concentration(psi, sp.temperature_K) * PER_CM3
        return out * E_CHARGE / kt

    psi, w, L = layer.quadrature(end_fraction)
    s_inf = float(sigma(np.array([0.0]))[0])
    R = float(np.sum(w / sigma(psi)))
    Rb = L / s_inf
    ex = float(np.sum(w * (1.0 / sigma(psi) - 1.0 / s_inf)))
    return {"R_scl_ohm_cm2": R * 1e4, "R_bulk_same_length_ohm_cm2": Rb * 1e4, "R_ratio": R / Rb if L > 0 else 1.0,
            "R_excess_ohm_cm2": ex * 1e4, "length_nm": L * 1e9, "bulk_conductivity_S_cm": s_inf / 100.0}


def _material_transport(material, temperature_K):
    """(diffusivity_cm2_s or None, bulk conductivity S/cm or None) of a library electrolyte at T."""
    T = float(temperature_K)
    arr = None
    if abs(T - 300.0) > 1e-9:
        ea = material.get("activation_energy_eV", f"the ionic transport at T = {T:g} K (data are at 300 K)")
        arr = np.exp(-ea / K_B_EV * (1.0 / T - 1.0 / 300.0))
    if material.has("diffusivity_cm2_s"):
        d = material.get("diffusivity_cm2_s")
        return d * (arr if arr is not None else 1.0), None
    sig = material.get("ionic_conductivity_S_cm", "the SCL resistance (or give diffusivity_cm2_s)")
    # Arrhenius for σT: σ(T) = σ(300) (300/T) exp[−E_a/k (1/T − 1/300)]
    return None, sig * ((300.0 / T) * arr if arr is not None else 1.0)


def interface_resistance(material, phi0_V, temperature_K=300.0, *, i0_A_cm2=None, alpha_t=None, charge=1.0,
                         reaction_plane_nm=0.0, end_fraction=1e-2) -> dict:
    """Resistances of an electrode|electrolyte interface from library data (batched over ``phi0_V``).

    Parameters
    ----------
    material : ssbands.materials.library.Material
        The electrolyte (fields ``site_density_cm3``, ``defect_energy_eV``, ``alpha``, ``permittivity``
        and ``diffusivity_cm2_s`` or ``ionic_conductivity_S_cm``; ``activation_energy_eV`` when T ≠ 300 K).
    phi0_V : array_like
        Step screened by the SCL, V (φ0 > 0: electrolyte bulk at the higher potential).
    temperature_K : float
    i0_A_cm2, alpha_t : float, optional
        Exchange current density (A/cm²) and transfer coefficient: adds the Frumkin-corrected
        ``R_ct_ohm_cm2`` (and ``i0_app_A_cm2``, ``phi2_V``).
    charge : float
        Charge number z of the transferred ion (1 for Li⁺).
    reaction_plane_nm : float
        Distance of the reaction plane from the interface, nm (φ₂ = φ(x₂) − φ∞).

    Returns
    -------
    dict
        ``R_scl_ohm_cm2``, ``R_bulk_same_length_ohm_cm2``, ``R_ratio``, ``R_excess_ohm_cm2``,
        ``scl_length_nm``, ``mott_schottky_ratio`` (the fully-depleted limit for comparison) and, with
        i0, ``R_ct_ohm_cm2``. Floats for a scalar ``phi0_V``, arrays otherwise.

    Raises
    ------
    UnknownParameterError
        When the library does not know a parameter this needs (names the material and the field).
    """
    purpose = "the space-charge-layer resistance"
    N = material.get("site_density_cm3", purpose)
    E = material.get("defect_energy_eV", purpose)
    al = material.get("alpha", purpose)
    eps = material.get("permittivity", purpose)
    D, sb = _material_transport(material, temperature_K)
    r = scl_resistance(phi0_V, N, E, eps, al, temperature_K, diffusivity_cm2_s=D, bulk_conductivity_S_cm=sb,
                       end_fraction=end_fraction)
    out = {"R_scl_ohm_cm2": r["R_scl_ohm_cm2"], "R_bulk_same_length_ohm_cm2": r["R_bulk_same_length_ohm_cm2"],
           "R_ratio": r["R_ratio"], "R_excess_ohm_cm2": r["R_excess_ohm_cm2"], "scl_length_nm": r["length_nm"],
           "mott_schottky_ratio": mott_schottky_ratio(np.abs(phi0_V), charge, temperature_K)}
    if (i0_A_cm2 is None) != (alpha_t is None):
        raise InputError("the charge-transfer resistance needs both i0_A_cm2 and alpha_t")
    if i0_A_cm2 is not None:
        phi0 = np.asarray(phi0_V, float)
        if reaction_plane_nm == 0:
            phi2 = -phi0
        else:
            from .firstintegral import SpaceChargeLayer

            phi2 = np.array([float(SpaceChargeLayer(float(p), N, E, eps, al, temperature_K).potential(
                np.array([reaction_plane_nm]))[0]) for p in np.atleast_1d(phi0)]).reshape(phi0.shape)
        rct, i0app = frumkin_rct(i0_A_cm2, alpha_t, phi2, charge, temperature_K)
        out.update({"R_ct_ohm_cm2": rct, "i0_app_A_cm2": i0app, "phi2_V": phi2})
    return {k: (float(v) if np.ndim(v) == 0 else np.asarray(v)) for k, v in out.items()}
