r"""Transport per species and the sign-aware excess resistance of a space-charge layer.

Each mobile defect k has its own diffusivity — from a diffusivity at 300 K, or from a migration
barrier E_m,k with its prefactor D0,k (``D_k(T) = D0,k exp(−E_m,k/kT)``), or, where only the total
conductivity is published, from an explicit, labelled *carrier split* t_k = σ_k,∞/σ_∞ — and its
conductivity follows by Nernst–Einstein::

    σ_k(x) = z_k² e² D_k c_k(x) / kT.

The DC resistance of a layer is reported as its excess over the bulk (Maier, *Prog. Solid State Chem.*
23, 171 (1995), doi:10.1016/0079-6786(95)00004-E, for space-charge conduction; Jamnik & Maier,
*Phys. Chem. Chem. Phys.* 3, 1668 (2001), doi:10.1039/b100180i, for the two transport limits)::

    R_exc·A = ∫_0^∞ [1/σ(x) − 1/σ_∞] dx,

in two named limits of the exchange between the carriers:

* ``local-equilibrium`` — the Frenkel exchange Li_i⁺ + V_Li⁻ ⇌ Li_Li is fast, all carriers share one
  electrochemical potential and conduct in parallel at every x: σ = Σ_k σ_k (series integral);
* ``independent`` — no exchange: each carrier is its own path from electrode to electrode,
  1/R = Σ_k 1/∫dx/σ_k. For a semi-infinite layer this gives, as the electrolyte length L → ∞,
  R(L) = L/σ_∞ + Σ_k t_k² a_k + O(1/L) with a_k = ∫(1/σ_k − 1/σ_k,∞)dx and t_k = σ_k,∞/σ_∞; the
  expansion holds for L ≫ max_k |a_k| σ_k,∞, reported as ``asymptotic_length_nm``. When that length
  exceeds the electrolyte (a depleted minority carrier has an astronomically large a_k), use the
  finite-thickness form :func:`independent_resistance` with the per-carrier excesses a_k.

Depleting the carrier that carries the current (largest t_k) raises R, accumulating it lowers R. The
integral is done in potential space with dx = λ df/sqrt(2g(f)) from the first integral (no mesh), for
whole batches of interfaces. Units: Ω cm², S/cm, cm²/s, cm⁻³, V, K.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..constants import E_CHARGE, K_B_EV, PER_CM3, kT_eV
from ..errors import InputError
from .firstintegral import dimensionless, g_of_f, softplus

__all__ = ["TRANSPORT_LIMITS", "DEFECTS", "DefectTransport", "arrhenius_diffusivity", "nernst_einstein_conductivity",
           "bulk_defect_concentration", "defect_transport", "excess_resistance", "excess_resistance_layer",
           "carrier_states", "independent_resistance"]

#: The two named transport limits of the excess resistance and of the impedance.
TRANSPORT_LIMITS = ("local-equilibrium", "independent")
#: The two Li defects of the two-defect electrolyte model (Swift, Swift & Qi 2021), charge +1 and −1.
DEFECTS = ("Li_i+", "V_Li-")
_FIELD = {"Li_i+": "Li_i", "V_Li-": "V_Li"}

_GL_X, _GL_W = np.polynomial.legendre.leggauss(10)
_GL_X = 0.5 * (_GL_X + 1.0)
_GL_W = 0.5 * _GL_W


def check_transport_limit(transport: str) -> str:
    """Validate a transport-limit name (one of :data:`TRANSPORT_LIMITS`).

    Parameters
    ----------
    transport : str
        ``"local-equilibrium"`` or ``"independent"``.

    Returns
    -------
    str
        The name, unchanged.
    """
    if transport not in TRANSPORT_LIMITS:
        raise InputError(f"transport must be one of {TRANSPORT_LIMITS}, got {transport!r}")
    return transport


def arrhenius_diffusivity(prefactor_cm2_s, barrier_eV, temperature_K=300.0):
    """D(T) = D0 exp(−E_m/kT).

    Parameters
    ----------
    prefactor_cm2_s : array_like
        Prefactor D0, cm²/s (> 0).
    barrier_eV : array_like
        Migration barrier E_m, eV (≥ 0).
    temperature_K : array_like
        Temperature, K.

    Returns
    -------
    ndarray
        Diffusivity, cm²/s.
    """
    d0 = np.asarray(prefactor_cm2_s, float)
    em = np.asarray(barrier_eV, float)
    if np.any(d0 <= 0) or np.any(em < 0):
        raise InputError("Arrhenius diffusivity: the prefactor must be > 0 and the barrier >= 0")
    return d0 * np.exp(-em / kT_eV(np.asarray(temperature_K, float)))


def nernst_einstein_conductivity(diffusivity_cm2_s, concentration_cm3, charge=1.0, temperature_K=300.0):
    """σ = z² e² D c / kT (Nernst–Einstein).

    Parameters
    ----------
    diffusivity_cm2_s : array_like
        Diffusivity D, cm²/s.
    concentration_cm3 : array_like
        Carrier concentration c, cm⁻³.
    charge : float
        Charge number z.
    temperature_K : array_like
        Temperature, K.

    Returns
    -------
    ndarray
        Conductivity, S/cm.
    """
    return (charge ** 2 * E_CHARGE * np.asarray(diffusivity_cm2_s, float) * np.asarray(concentration_cm3, float)
            / kT_eV(np.asarray(temperature_K, float)))


def bulk_defect_concentration(site_density_cm3, defect_energy_eV, alpha=0.1, temperature_K=300.0):
    """Bulk concentration of each defect of the two-defect model, c∞ = αN/(1 + B), B = α exp(E_f0/kT).

    Parameters
    ----------
    site_density_cm3, defect_energy_eV, alpha, temperature_K : array_like
        Site density N (cm⁻³), formation energy E_f0 (eV), saturation α, temperature (K).

    Returns
    -------
    ndarray
        c∞ in cm⁻³ (the same for Li_i⁺ and V_Li⁻).
    """
    lnB = np.log(np.asarray(alpha, float)) + np.asarray(defect_energy_eV, float) / kT_eV(temperature_K)
    return np.asarray(alpha, float) * np.asarray(site_density_cm3, float) * np.exp(-softplus(lnB))


@dataclass(frozen=True)
class DefectTransport:
    """Diffusivities of the two Li defects at one temperature, with where each came from.

    Parameters
    ----------
    diffusivity_Li_i_cm2_s, diffusivity_V_Li_cm2_s : float
        Diffusivities of Li_i⁺ and V_Li⁻ at ``temperature_K`` (cm²/s, ≥ 0; 0 = immobile).
    temperature_K : float
        Temperature, K.
    sources : dict
        ``{defect: how its diffusivity was obtained}`` (library fields and citations).
    """

    diffusivity_Li_i_cm2_s: float
    diffusivity_V_Li_cm2_s: float
    temperature_K: float = 300.0
    sources: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("diffusivity_Li_i_cm2_s", "diffusivity_V_Li_cm2_s"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be a finite number >= 0, got {v!r}")
        if self.diffusivity_Li_i_cm2_s == 0 and self.diffusivity_V_Li_cm2_s == 0:
            raise InputError("at least one defect must be mobile (a diffusivity > 0)")

    @property
    def diffusivities(self) -> tuple[float, float]:
        """(D of Li_i⁺, D of V_Li⁻) in cm²/s, in the order of :data:`DEFECTS`."""
        return (float(self.diffusivity_Li_i_cm2_s), float(self.diffusivity_V_Li_cm2_s))

    def to_dict(self) -> dict:
        """JSON-ready dict (cm²/s, K, sources)."""
        return {"diffusivity_Li_i_cm2_s": self.diffusivity_Li_i_cm2_s,
                "diffusivity_V_Li_cm2_s": self.diffusivity_V_Li_cm2_s, "temperature_K": self.temperature_K,
                "sources": dict(self.sources)}


def _defect_diffusivity(material, d: str, T: float):
    """(D at T or None, source) of one defect from its own library fields (no carrier split)."""
    f = _FIELD[d]
    fd, fb, f0 = f"diffusivity_{f}_cm2_s", f"migration_barrier_{f}_eV", f"diffusivity_prefactor_{f}_cm2_s"
    if material.has(f0) and material.has(fb):
        return float(arrhenius_diffusivity(material.get(f0), material.get(fb), T)), f"{f0}, {fb}"
    if material.has(fd):
        D = float(material.get(fd))
        if abs(T - 300.0) > 1e-9:
            em = material.get(fb, f"the {d} diffusivity at T = {T:g} K (data at 300 K)")
            D *= float(np.exp(-em / K_B_EV * (1.0 / T - 1.0 / 300.0)))
        return D, fd
    return None, None


def defect_transport(material, temperature_K: float = 300.0, *, carrier_split: float | None = None,
                     diffusivities_cm2_s=None) -> DefectTransport:
    """Diffusivities of Li_i⁺ and V_Li⁻ of a library electrolyte, each from its own data.

    Order of precedence for each defect: ``diffusivities_cm2_s`` given here; a prefactor and barrier
    (``diffusivity_prefactor_*``, ``migration_barrier_*``); a diffusivity at 300 K
    (``diffusivity_*_cm2_s``, moved to T with the barrier); else the bulk ionic conductivity at 300 K
    split between the carriers by ``carrier_split`` (or the library's ``conductivity_fraction_Li_i``),
    D_k = t_k σ kT/(e² c∞) with c∞ from the two-defect model (moved to T with each barrier). There is
    no default split: without one the error says which field to supply.

    Parameters
    ----------
    material : ssbands.materials.library.Material
        The electrolyte.
    temperature_K : float
        Temperature, K.
    carrier_split : float, optional
        Fraction t of the bulk conductivity carried by Li_i⁺ (0 ≤ t ≤ 1), overriding the library.
    diffusivities_cm2_s : (float, float), optional
        (D of Li_i⁺, D of V_Li⁻) in cm²/s at ``temperature_K``, overriding everything.

    Returns
    -------
    DefectTransport

    Raises
    ------
    UnknownParameterError
        Naming the material and the field to supply.
    """
    T = float(temperature_K)
    if diffusivities_cm2_s is not None:
        dp, dm = (float(v) for v in diffusivities_cm2_s)
        return DefectTransport(dp, dm, T, {d: "given" for d in DEFECTS})
    out, src = {}, {}
    for d in DEFECTS:
        out[d], src[d] = _defect_diffusivity(material, d, T)
    if all(out[d] is not None for d in DEFECTS):
        return DefectTransport(out["Li_i+"], out["V_Li-"], T, src)
    purpose = "the carrier split of the ionic conductivity (no default split)"
    t = carrier_split if carrier_split is not None else material.get("conductivity_fraction_Li_i", purpose)
    if not (0.0 <= float(t) <= 1.0):
        raise InputError(f"carrier_split must lie in [0, 1], got {t!r}")
    sig = float(material.get("ionic_conductivity_S_cm", "the defect diffusivities (with a carrier split)"))
    N, E, al = (material.get(k, "the bulk defect concentrations") for k in
                ("site_density_cm3", "defect_energy_eV", "alpha"))
    c300 = float(bulk_defect_concentration(N, E, al, 300.0))
    how = "given" if carrier_split is not None else "conductivity_fraction_Li_i"
    for d, frac in (("Li_i+", float(t)), ("V_Li-", 1.0 - float(t))):
        if out[d] is not None:
            continue
        D = frac * sig * kT_eV(300.0) / (E_CHARGE * c300)
        if abs(T - 300.0) > 1e-9 and D > 0:
            f = f"migration_barrier_{_FIELD[d]}_eV"
            D *= float(np.exp(-material.get(f, f"the {d} diffusivity at T = {T:g} K") / K_B_EV
                              * (1.0 / T - 1.0 / 300.0)))
        out[d], src[d] = D, f"ionic_conductivity_S_cm x carrier split ({how} = {float(t):.3g} for Li_i+)"
    return DefectTransport(out["Li_i+"], out["V_Li-"], T, src)


def _nodes(af0, f_end, n1=60, n2=64):
    """Quadrature nodes in |f| from f_end to |f0| (batched): ln-spaced below 4, linear above.

    Returns (f_nodes, df_weights) of shape (batch, nodes).
    """
    af0 = np.asarray(af0, float)[..., None]
    hi = np.log(np.maximum(np.minimum(af0, 4.0), f_end))
    e1 = np.log(f_end) + (hi - np.log(f_end)) * np.linspace(0.0, 1.0, n1 + 1)
    a, b = e1[..., :-1], e1[..., 1:]
    f1 = np.exp(a[..., None] + (b - a)[..., None] * _GL_X)
    w1 = (b - a)[..., None] * _GL_W * f1
    top = np.maximum(af0, 4.0)
    e2 = 4.0 + (top - 4.0) * np.linspace(0.0, 1.0, n2 + 1)
    a, b = e2[..., :-1], e2[..., 1:]
    f2 = a[..., None] + (b - a)[..., None] * _GL_X
    w2 = (b - a)[..., None] * _GL_W
    sh = af0.shape[:-1]
    return (np.concatenate([f1.reshape(sh + (-1,)), f2.reshape(sh + (-1,))], axis=-1),
            np.concatenate([w1.reshape(sh + (-1,)), w2.reshape(sh + (-1,))], axis=-1))


def carrier_states(phi0_V, charges=(1.0, -1.0)):
    """Whether each carrier is accumulated or depleted at the interface, from the sign of φ0.

    With φ0 = φ∞ − φ(0) > 0 the interface sits below the bulk potential: positive carriers accumulate,
    negative ones are depleted (and the reverse for φ0 < 0).

    Parameters
    ----------
    phi0_V : array_like
        Steps, V.
    charges : sequence of float
        Charge numbers of the carriers (default Li_i⁺, V_Li⁻).

    Returns
    -------
    ndarray of str, shape (..., n_carriers)
        ``"accumulated"``, ``"depleted"`` or ``"none"`` (φ0 = 0).
    """
    s = np.sign(np.asarray(phi0_V, float))[..., None] * np.sign(np.asarray(charges, float))
    return np.where(s > 0, "accumulated", np.where(s < 0, "depleted", "none"))


def _combine(a_k, s_inf, local_excess, transport):
    """Excess of the chosen limit, the independent-carrier excess and the validity length (arrays)."""
    s_tot = s_inf.sum(-1)
    t = s_inf / s_tot[..., None]
    with np.errstate(invalid="ignore"):
        ind = np.where(t > 0, t * t * a_k, 0.0).sum(-1)
        length = np.where(t > 0, np.abs(a_k) * s_inf, 0.0).max(-1)
    return (local_excess if transport == "local-equilibrium" else ind), ind, length, t


def excess_resistance(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1, temperature_K=300.0, *,
                      diffusivity_Li_i_cm2_s, diffusivity_V_Li_cm2_s, transport: str = "local-equilibrium",
                      f_end: float = 1e-10) -> dict:
    """Excess DC resistance of a batch of semi-infinite two-defect layers, in a named transport limit.

    Parameters
    ----------
    phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K : array_like
        The layers (as :func:`~ssbands.scl.first_integral`; V, cm⁻³, eV, –, –, K), broadcast together.
    diffusivity_Li_i_cm2_s, diffusivity_V_Li_cm2_s : array_like
        Diffusivities of Li_i⁺ and V_Li⁻ (cm²/s, ≥ 0, not both 0).
    transport : {"local-equilibrium", "independent"}
        The limit reported as ``R_exc_ohm_cm2`` (both are returned).
    f_end : float
        The integral in f = e(φ∞ − φ)/kT stops at |f| = f_end (its remainder is O(f_end) relative).

    Returns
    -------
    dict of arrays
        ``R_exc_ohm_cm2`` (chosen limit), ``R_exc_local_equilibrium_ohm_cm2``,
        ``R_exc_independent_ohm_cm2``, ``asymptotic_length_nm`` (independent limit valid for electrolytes
        much thicker), ``excess_Li_i_ohm_cm2`` and ``excess_V_Li_ohm_cm2`` (a_k, for
        :func:`independent_resistance`), ``bulk_conductivity_S_cm``, ``conductivity_Li_i_S_cm``,
        ``conductivity_V_Li_S_cm``,
        ``transference_Li_i``, ``carrier`` (the defect carrying most of the bulk current),
        ``carrier_state`` (``accumulated``/``depleted``/``none`` at the interface) and
        ``state_Li_i``, ``state_V_Li``.
    """
    check_transport_limit(transport)
    phi0, f0, lnB, lam, _S, kt, an = dimensionless(phi0_V, site_density_cm3, defect_energy_eV, permittivity,
                                                   alpha, temperature_K)
    D = np.stack(np.broadcast_arrays(np.asarray(diffusivity_Li_i_cm2_s, float),
                                     np.asarray(diffusivity_V_Li_cm2_s, float), phi0)[:2], -1) * 1e-4  # m²/s
    if np.any(~np.isfinite(D)) or np.any(D < 0) or np.any(D.sum(-1) <= 0):
        raise InputError("diffusivities must be finite, >= 0 and not both 0")
    pref = E_CHARGE * D / kt[..., None]  # S/m per m⁻³
    c_inf = an * np.exp(-softplus(lnB))  # m⁻³
    s_inf = pref * c_inf[..., None]  # (..., 2) S/m
    fq, wq = _nodes(np.abs(f0), f_end)
    f = np.sign(f0)[..., None] * fq
    lb = lnB[..., None]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        cp = an[..., None] * np.exp(-softplus(lb - f))
        cm = an[..., None] * np.exp(-softplus(lb + f))
        dx = lam[..., None] * wq / np.sqrt(2.0 * g_of_f(fq, lb))  # m per node
        sp_, sm_ = pref[..., :1] * cp, pref[..., 1:] * cm
        loc = (dx * (1.0 / (sp_ + sm_) - 1.0 / s_inf.sum(-1)[..., None])).sum(-1)
        a_k = np.stack([(dx * (1.0 / sp_ - 1.0 / s_inf[..., :1])).sum(-1),
                        (dx * (1.0 / sm_ - 1.0 / s_inf[..., 1:])).sum(-1)], -1)
    zero = np.abs(f0) <= f_end
    loc = np.where(zero, 0.0, loc)
    a_k = np.where(zero[..., None], 0.0, a_k)
    chosen, ind, length, t = _combine(a_k, s_inf, loc, transport)
    states = carrier_states(phi0)
    major = np.argmax(t, -1)
    return {"R_exc_ohm_cm2": chosen * 1e4, "R_exc_local_equilibrium_ohm_cm2": loc * 1e4,
            "R_exc_independent_ohm_cm2": ind * 1e4, "asymptotic_length_nm": length * 1e9,
            "excess_Li_i_ohm_cm2": a_k[..., 0] * 1e4, "excess_V_Li_ohm_cm2": a_k[..., 1] * 1e4,
            "bulk_conductivity_S_cm": s_inf.sum(-1) / 100.0, "conductivity_Li_i_S_cm": s_inf[..., 0] / 100.0,
            "conductivity_V_Li_S_cm": s_inf[..., 1] / 100.0, "transference_Li_i": t[..., 0],
            "carrier": np.asarray(DEFECTS)[major],
            "carrier_state": np.take_along_axis(states, major[..., None], -1)[..., 0],
            "state_Li_i": states[..., 0], "state_V_Li": states[..., 1]}


def excess_resistance_layer(layer, diffusivities_cm2_s=None, transport: str = "local-equilibrium",
                            end_fraction: float = 1e-8) -> dict:
    """Excess DC resistance of one semi-infinite layer of any species set (ions, dopants, electrons, holes).

    Parameters
    ----------
    layer : ssbands.scl.species.GeneralLayer
        The layer (its species set and step).
    diffusivities_cm2_s : sequence, optional
        One D per species (cm²/s; ``None`` or 0: does not conduct); default each species' own
        ``diffusivity_cm2_s``. Frozen species never conduct.
    transport : {"local-equilibrium", "independent"}
        The limit reported as ``R_exc_ohm_cm2``.
    end_fraction : float
        The integral stops where |φ − φ∞| = end_fraction·kT/e.

    Returns
    -------
    dict
        ``R_exc_ohm_cm2``, ``R_exc_local_equilibrium_ohm_cm2``, ``R_exc_independent_ohm_cm2``,
        ``asymptotic_length_nm``, ``bulk_conductivity_S_cm``, ``partial_conductivities_S_cm`` (per species),
        ``transference`` (per species), ``excess_ohm_cm2`` (a_k per species), ``carrier`` (name) and
        ``carrier_state``.
    """
    check_transport_limit(transport)
    sp = layer.species
    given = list(diffusivities_cm2_s) if diffusivities_cm2_s is not None else \
        [getattr(s, "diffusivity_cm2_s", None) for s in sp.species]
    if len(given) != len(sp.species):
        raise InputError("give one diffusivity per species")
    ds = [float(d) if (d is not None and getattr(s, "mobile", True)) else 0.0
          for d, s in zip(given, sp.species, strict=True)]
    if not any(d > 0 for d in ds):
        raise InputError("the excess resistance needs a diffusivity > 0 for at least one mobile species")
    psi, w, _ = layer.quadrature(end_fraction)

    def sig(s, d, p):  # S/m
        return s.charge ** 2 * d * 1e-4 * s.concentration(p, sp.temperature_K) * PER_CM3 * E_CHARGE / sp.kt

    cond = [(s, d) for s, d in zip(sp.species, ds, strict=True) if d > 0]
    s_inf = np.array([float(sig(s, d, np.array([0.0]))[0]) for s, d in cond])
    with np.errstate(divide="ignore", over="ignore"):
        sq = np.array([sig(s, d, psi) for s, d in cond])
        loc = float(np.sum(w * (1.0 / sq.sum(0) - 1.0 / s_inf.sum())))
        a_k = np.array([np.sum(w * (1.0 / q - 1.0 / si)) for q, si in zip(sq, s_inf, strict=True)])
    chosen, ind, length, t = _combine(a_k, s_inf, loc, transport)
    names = [s.name for s, _ in cond]
    k = int(np.argmax(t))
    state = str(carrier_states(layer.phi0_V, [cond[k][0].charge])[0])
    t_all = dict(zip(names, t.tolist(), strict=True))
    return {"R_exc_ohm_cm2": float(chosen) * 1e4, "R_exc_local_equilibrium_ohm_cm2": loc * 1e4,
            "R_exc_independent_ohm_cm2": float(ind) * 1e4, "asymptotic_length_nm": float(length) * 1e9,
            "bulk_conductivity_S_cm": float(s_inf.sum()) / 100.0,
            "partial_conductivities_S_cm": dict(zip(names, (s_inf / 100.0).tolist(), strict=True)),
            "transference": t_all,
            "excess_ohm_cm2": dict(zip(names, (a_k * 1e4).tolist(), strict=True)),
            "carrier": names[k], "carrier_state": state}


def independent_resistance(thickness_nm, conductivities_S_cm, excesses_ohm_cm2):
    """DC resistance of an electrolyte with independent carriers: 1/R = Σ_k 1/(L/σ_k,∞ + Σ a_k).

    Parameters
    ----------
    thickness_nm : float
        Electrolyte thickness L, nm.
    conductivities_S_cm : sequence of float or array_like
        Bulk partial conductivities σ_k,∞ (one entry per carrier, each a number or an array of
        interfaces), S/cm (0: the carrier does not conduct).
    excesses_ohm_cm2 : sequence of float or array_like
        Per-carrier excess a_k of the interfaces on its path (the sum over the interfaces), Ω cm².

    Returns
    -------
    float or ndarray
        R·A in Ω cm² (inf when no carrier conducts); an array when the entries are arrays.
    """
    L = float(thickness_nm) * 1e-7
    g = 0.0
    for s, a in zip(conductivities_S_cm, excesses_ohm_cm2, strict=True):
        s, a = np.asarray(s, float), np.asarray(a, float)
        with np.errstate(over="ignore", divide="ignore"):
            g = g + np.where(s > 0, 1.0 / (L / np.where(s > 0, s, 1.0) + a), 0.0)
    with np.errstate(divide="ignore"):
        r = np.where(np.asarray(g) > 0, 1.0 / np.where(np.asarray(g) > 0, g, 1.0), np.inf)
    return float(r) if r.ndim == 0 else r
