r"""The two-defect (Frenkel) layer parameters N, E_f0 and φ0^Li from a defect model, and back.

Derivation (Swift & Qi, *Phys. Rev. Lett.* 122, 167701 (2019), doi:10.1103/PhysRevLett.122.167701;
Swift, Swift & Qi, *Nat. Comput. Sci.* 1, 212 (2021), doi:10.1038/s43588-021-00041-y)
---------------------------------------------------------------------------------------------------
Take the Li interstitial Li_i⁺ (q = +1, one Li added) and the Li vacancy V_Li⁻ (q = −1, one Li removed),
with formation energies E_i, E_v at ε_F = E_VBM and μ = 0, site densities N_i, N_v and degeneracies g_i, g_v
(Freysoldt et al., *Rev. Mod. Phys.* 86, 253 (2014) conventions)::

    ΔH_i = E_i + ε_F − μ_Li,     ΔH_v = E_v − ε_F + μ_Li,     c = N g e^{−ΔH/k_BT}.

1. **Frenkel neutrality** c_i = c_v fixes the combination ε_F − μ_Li = −μ̄_Li⁺ on the VBM scale::

       (ε_F − μ_Li)* = (A_v − A_i)/2 + (k_BT/2) ln(N_i/N_v),    A = E − k_BT ln g (− Σ_{j≠Li} n_j μ_j),

   independent of μ_Li: in this limit μ_Li moves E_F and μ̄_Li⁺ together and leaves the vacuum level alone.
2. **The step against Li metal.** Li metal's electrons sit at E_F = E_vac − Φ_Li and the electrolyte's
   bulk Fermi level is ε_F above E_VBM = E_vac,SE − IP; with E_F,SE = μ_Li,SE − μ̄_Li⁺ the vacuum-level
   step that the electrolyte's SCL screens against Li (no interface dipole) is::

       φ0^Li = Φ_Li − IP + (ε_F − μ_Li)*                                               [V]

   (φ0^Li > 0: the electrolyte bulk is at the higher potential, as for Li|LLZO; it is the same as the
   general φ0^Li,eff = Φ_Li − μ_Li,SE − IP + ε_F(μ_Li,SE) of :mod:`ssbands.defects.electrolyte` evaluated
   in this limit).
3. **The layer model.** At the neutral bulk both defects have the formation energy (A_i + A_v)/2 when
   N_i = N_v; the symmetric two-defect model of Swift, Swift & Qi (2021) takes::

       N = √(N_i N_v),    E_f0 = (A_i + A_v)/2,

   which is exact for N_i = N_v and otherwise keeps the bulk concentration c_0 = N e^{−E_f0/k_BT} =
   √(c_i c_v), the Frenkel product and the (dilute) Debye length; only the saturation densities αN_i, αN_v
   of an asymmetric pair are approximated (``symmetric`` says which case applies).

:func:`frenkel_system` is the inverse: the Frenkel defect model whose :func:`two_defect_parameters` are a
given (N, E_f0, φ0^Li), e.g. from a PFD_solution input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

from ..constants import K_B_EV
from ..errors import InputError
from ._validate import number
from .model import ChargeState, DefectSpecies, ParabolicBands
from .system import DefectSystem

__all__ = ["TwoDefectParameters", "two_defect_parameters", "frenkel_system"]


@dataclass(frozen=True)
class TwoDefectParameters:
    """Parameters of the symmetric two-defect (Li_i⁺, V_Li⁻) space-charge model.

    Attributes
    ----------
    site_density_cm3 : float
        N, cm⁻³.
    defect_energy_eV : float
        E_f0, the formation energy of either defect at the neutral bulk, eV.
    phi0_li_V : float or None
        φ0^Li, the step against Li metal, V (None when IP or Φ_Li is unknown).
    alpha : float
        Saturation factor α.
    temperature_K : float
        T, K.
    permittivity : float or None
        ε_r, when known.
    fermi_minus_mu_li_eV : float or None
        (ε_F − μ_Li)* at Frenkel neutrality, eV (ε_F above the VBM; None when not derived from energies).
    interstitial, vacancy : str or None
        Names of the defect species used.
    interstitial_site_density_cm3, vacancy_site_density_cm3 : float or None
        N_i and N_v, cm⁻³.
    source : str or None
        Where the parameters came from.
    extra : dict
        Other inputs carried along (e.g. PFD_solution's ``phi_target``).
    """

    site_density_cm3: float
    defect_energy_eV: float
    phi0_li_V: float | None
    alpha: float = 0.1
    temperature_K: float = 300.0
    permittivity: float | None = None
    fermi_minus_mu_li_eV: float | None = None
    interstitial: str | None = None
    vacancy: str | None = None
    interstitial_site_density_cm3: float | None = None
    vacancy_site_density_cm3: float | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def symmetric(self) -> bool:
        """True when N_i = N_v (or unknown), i.e. the symmetric two-defect model is exact."""
        ni, nv = self.interstitial_site_density_cm3, self.vacancy_site_density_cm3
        return ni is None or nv is None or math.isclose(ni, nv, rel_tol=1e-12)

    def library_fields(self) -> dict[str, float]:
        """The electrolyte's library fields as a mapping.

        Returns
        -------
        dict
            ``phi0_li_V`` (V), ``site_density_cm3`` (cm⁻³), ``defect_energy_eV`` (eV), ``alpha`` and,
            when known, ``permittivity``.
        """
        d: dict[str, float] = {"site_density_cm3": self.site_density_cm3, "defect_energy_eV": self.defect_energy_eV,
                               "alpha": self.alpha}
        if self.phi0_li_V is not None:
            d["phi0_li_V"] = self.phi0_li_V
        if self.permittivity is not None:
            d["permittivity"] = self.permittivity
        return d

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of every field (SI-like units as in the names)."""
        return {"site_density_cm3": self.site_density_cm3, "defect_energy_eV": self.defect_energy_eV,
                "phi0_li_V": self.phi0_li_V, "alpha": self.alpha, "temperature_K": self.temperature_K,
                "permittivity": self.permittivity, "fermi_minus_mu_li_eV": self.fermi_minus_mu_li_eV,
                "interstitial": self.interstitial, "vacancy": self.vacancy,
                "interstitial_site_density_cm3": self.interstitial_site_density_cm3,
                "vacancy_site_density_cm3": self.vacancy_site_density_cm3, "symmetric": self.symmetric,
                "source": self.source, **({"extra": dict(self.extra)} if self.extra else {})}


def _candidates(system: DefectSystem, q: int, element: str, name: str | None):
    """(species, charge state) pairs in equilibrium with charge q and n_element = q (Li⁺-type defects)."""
    found = []
    for s in system.species:
        if name is not None and s.name != name:
            continue
        if s.fixed_concentration_cm3 is not None or s.stoichiometry.get(element, 0) != q:
            continue
        for cs in s.charge_states:
            if cs.charge == q and not cs.is_fixed:
                found.append((s, cs))
    w = system.source or "defect system"
    kind = "interstitial" if q > 0 else "vacancy"
    if not found:
        what = f"defect {name!r}" if name is not None else "no defect"
        raise InputError(f"{w}: {what} has no equilibrated charge state {q:+d} with stoichiometry "
                         f"{{{element}: {q:+d}}} (the Li {kind} of the Frenkel pair)")
    if len(found) > 1:
        raise InputError(f"{w}: several candidates for the Li {kind} ({[s.name for s, _ in found]}); "
                         f"name one with {kind}=...")
    return found[0]


def two_defect_parameters(system: DefectSystem, ionization_potential_eV: float | None = None,
                          phi_li_eV: float | None = None, *, temperature_K: float | None = None,
                          alpha: float = 0.1, permittivity: float | None = None, interstitial: str | None = None,
                          vacancy: str | None = None, element: str = "Li") -> TwoDefectParameters:
    """N, E_f0 and φ0^Li of the two-defect layer model from a defect model, in the Frenkel limit.

    See the module docstring for the derivation: (ε_F − μ_Li)* = (A_v − A_i)/2 + (kT/2) ln(N_i/N_v),
    φ0^Li = Φ_Li − IP + (ε_F − μ_Li)*, N = √(N_i N_v), E_f0 = (A_i + A_v)/2 with A = E0 − kT ln g − Σ_{j≠Li} n_j μ_j.

    Parameters
    ----------
    system : DefectSystem
        The defect model; it must contain an equilibrated Li interstitial (charge +1, stoichiometry
        {Li: +1}) and Li vacancy (charge −1, {Li: −1}). Other species are ignored here: the result
        describes the bulk only where the Frenkel pair sets neutrality (check with
        :func:`ssbands.defects.electrolyte.electrolyte_bulk`: s ≈ 0 *and* φ0^Li,eff equal to ``phi0_li_V``;
        a dopant compensated by V_Li⁻ also gives s = 0 but another φ0^Li,eff).
    ionization_potential_eV : float, optional
        IP of the electrolyte, eV; needed for φ0^Li.
    phi_li_eV : float, optional
        Work function of Li metal Φ_Li, eV; needed for φ0^Li.
    temperature_K : float, optional
        T in K (enters through degeneracies and unequal site densities); default the system's.
    alpha : float
        Saturation factor carried into the result (0 < α ≤ 1).
    permittivity : float, optional
        ε_r carried into the result.
    interstitial, vacancy : str, optional
        Species names, when the system has several candidates.
    element : str
        The mobile element (default ``"Li"``).

    Returns
    -------
    TwoDefectParameters
        ``phi0_li_V`` is None unless both IP and Φ_Li are given.
    """
    T = number("two_defect_parameters", "temperature_K",
               system.temperature_K if temperature_K is None else temperature_K, positive=True)
    if not (0 < alpha <= 1):
        raise InputError(f"two_defect_parameters: alpha must be in (0, 1], got {alpha!r}")
    ip = number("two_defect_parameters", "ionization_potential_eV", ionization_potential_eV, positive=True,
                allow_none=True)
    phi_li = number("two_defect_parameters", "phi_li_eV", phi_li_eV, positive=True, allow_none=True)
    kt = K_B_EV * T
    si, ci = _candidates(system, +1, element, interstitial)
    sv, cv = _candidates(system, -1, element, vacancy)
    mu = dict(system.mu_eV)

    def a(s, cs):
        other = sum(n * float(mu.get(el, 0.0)) for el, n in s.stoichiometry.items() if el != element)
        return cs.energy - kt * math.log(cs.degeneracy) - other

    # equilibrated charge states need a site density (DefectSpecies checks it): never None here
    ni, nv = cast(float, system.site_density_cm3(si)), cast(float, system.site_density_cm3(sv))
    ai, av = a(si, ci), a(sv, cv)
    delta = 0.5 * (av - ai) + 0.5 * kt * math.log(ni / nv)
    phi0 = None if ip is None or phi_li is None else phi_li - ip + delta
    return TwoDefectParameters(site_density_cm3=math.sqrt(ni * nv), defect_energy_eV=0.5 * (ai + av), phi0_li_V=phi0,
                               alpha=float(alpha), temperature_K=T, permittivity=permittivity,
                               fermi_minus_mu_li_eV=delta, interstitial=si.name, vacancy=sv.name,
                               interstitial_site_density_cm3=ni, vacancy_site_density_cm3=nv, source=system.source)


def frenkel_system(site_density_cm3: float, defect_energy_eV: float, phi0_li_V: float, ionization_potential_eV: float,
                   phi_li_eV: float, band_gap_eV: float, *, temperature_K: float = 300.0, electron_mass: float = 1.0,
                   hole_mass: float = 1.0, mu_li_eV: float | None = None, source: str | None = None) -> DefectSystem:
    """The Frenkel (Li_i⁺, V_Li⁻) defect model with given two-defect parameters.

    The inverse of :func:`two_defect_parameters`.
    With Δ = φ0^Li − Φ_Li + IP = (ε_F − μ_Li)*: Li_i⁺ has E0 = E_f0 − Δ and V_Li⁻ has E0 = E_f0 + Δ
    (g = 1, both on N sites), so that at any μ_Li the bulk is Frenkel-neutral at ε_F = μ_Li + Δ with both
    defects at E_f0.

    Parameters
    ----------
    site_density_cm3 : float
        N, cm⁻³.
    defect_energy_eV : float
        E_f0, eV.
    phi0_li_V : float
        φ0^Li, V.
    ionization_potential_eV : float
        IP, eV.
    phi_li_eV : float
        Φ_Li, eV.
    band_gap_eV : float
        E_g of the parabolic bands, eV.
    temperature_K : float
        Default temperature of the system, K.
    electron_mass, hole_mass : float
        Density-of-states masses m*/m_0 of the parabolic bands.
    mu_li_eV : float, optional
        Default μ_Li of the system, eV vs bcc Li.
    source : str, optional
        Name used in messages.

    Returns
    -------
    DefectSystem
        Species ``Li_i`` and ``V_Li`` with stoichiometries {Li: +1}, {Li: −1}.
    """
    w = source or "frenkel_system"
    N = number(w, "site_density_cm3", site_density_cm3, positive=True)
    ef0 = number(w, "defect_energy_eV", defect_energy_eV)
    delta = (number(w, "phi0_li_V", phi0_li_V) - number(w, "phi_li_eV", phi_li_eV, positive=True)
             + number(w, "ionization_potential_eV", ionization_potential_eV, positive=True))
    species = (DefectSpecies("Li_i", (ChargeState(+1, ef0 - delta),), site_density_cm3=N, stoichiometry={"Li": 1}),
               DefectSpecies("V_Li", (ChargeState(-1, ef0 + delta),), site_density_cm3=N, stoichiometry={"Li": -1}))
    mu = {} if mu_li_eV is None else {"Li": float(mu_li_eV)}
    return DefectSystem(species, ParabolicBands(band_gap_eV, electron_mass, hole_mass), temperature_K=temperature_K,
                        mu_eV=mu, source=w)
