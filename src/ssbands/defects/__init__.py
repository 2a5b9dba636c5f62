r"""Point-defect chemistry and the self-consistent Fermi level (Buckeridge 2019).

Conventions (stated once, used everywhere in this package)
----------------------------------------------------------
* Energies are electron energies in eV. **The Fermi level ε_F is measured from the valence-band
  maximum** (E_VBM = 0, E_CBM = E_g), as in SC-Fermi and py-sc-fermi.
* Chemical potentials μ_i are in eV relative to the elemental reference; **μ_Li = 0 for bcc Li
  metal**. A Li-poor electrolyte has μ_Li < 0.
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
  N_{c,v} = 2 (2π m_{e,h} k_B T / h²)^{3/2}, F_{1/2} the normalised Fermi–Dirac integral
  (:mod:`ssbands._numerics`, shared with :mod:`ssbands.scl.species`).
* Charge neutrality: p + Σ q·c(X^q)[q>0] = n + Σ |q|·c(X^q)[q<0]. The net charge is strictly
  decreasing in ε_F, so the root is unique. It is found on the log-safe function
  g(ε_F) = ln(positive charge) − ln(negative charge) (no overflow or underflow for any gap or T),
  for a whole batch of (μ, T) at once: a shared grid brackets every root, then a vectorised
  Chandrupatla iteration (``scipy.optimize.elementwise.find_root``) converges each one to machine
  precision on a band window trimmed to the states that matter (≤ e⁻⁴⁵ relative error).

Modules
-------
* :mod:`.model` — :class:`ChargeState`, :class:`DefectSpecies`, :class:`ParabolicBands`, :class:`TabulatedDOS`.
* :mod:`.system` — :class:`DefectSystem`: the compiled, batched neutrality solve and Brouwer scans.
* :mod:`.results` — :class:`FermiSolution`, :class:`FermiScan`.
* :mod:`.closure` — μ_Li of the electrolyte from its defect model (the ``extrinsic`` closure).
* :mod:`.electrolyte` — the electrolyte bulk at each μ_Li,SE: ε_F, E_vac − E_F, the slope
  s = dE_vac/dμ_Li (analytic, from the ionic and electronic capacitances), φ0^Li,eff, and the
  space-charge-layer species set of the same model.
* :mod:`.frenkel` — the two-defect layer parameters N, E_f0, φ0^Li in the Frenkel limit, and back.
* :mod:`.dft` — defect models from doped's ``DefectThermodynamics`` JSON, pymatgen-analysis-defects'
  ``FormationEnergyDiagram`` JSON and PFD_solution's YAML input (no optional dependency needed).
* :mod:`.io` — py-sc-fermi YAML and SC-Fermi text inputs, the YAML layout written back.

References
----------
J. Buckeridge, "Equilibrium point defect and charge carrier concentrations in a material determined
through calculation of the self-consistent Fermi energy", Comput. Phys. Commun. 244, 329 (2019).
A. G. Squires, D. O. Scanlon, B. J. Morgan, "py-sc-fermi: self-consistent Fermi energies and defect
concentrations from electronic structure calculations", J. Open Source Softw. 8, 4962 (2023).
C. Freysoldt et al., "First-principles calculations for point defects in solids",
Rev. Mod. Phys. 86, 253 (2014) (formation-energy conventions).
"""

from .._numerics import fermi_dirac_half, log_fermi_dirac_half
from .closure import (
    ExtrinsicFermiLevel,
    extrinsic_mu_li_from_defects,
    mu_li_from_defect_table,
)
from .dft import DefectModelInput, read_doped_json, read_pfd_solution_yaml, read_pmg_defects_json
from .electrolyte import (
    ElectrolyteBulk,
    FrozenChargeState,
    NeutralityDerivatives,
    effective_phi0_li,
    electrolyte_bulk,
    layer_species,
    neutrality_derivatives,
)
from .frenkel import TwoDefectParameters, frenkel_system, two_defect_parameters
from .model import ChargeState, DefectSpecies, ParabolicBands, TabulatedDOS
from .results import (
    ENERGY_REFERENCE,
    FORMATION_ENERGY_CONVENTION,
    FermiScan,
    FermiSolution,
)
from .system import DefectSystem

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
    "mu_li_from_defect_table",
    "ElectrolyteBulk",
    "electrolyte_bulk",
    "NeutralityDerivatives",
    "neutrality_derivatives",
    "effective_phi0_li",
    "FrozenChargeState",
    "layer_species",
    "TwoDefectParameters",
    "two_defect_parameters",
    "frenkel_system",
    "DefectModelInput",
    "read_doped_json",
    "read_pmg_defects_json",
    "read_pfd_solution_yaml",
    "fermi_dirac_half",
    "log_fermi_dirac_half",
    "ENERGY_REFERENCE",
    "FORMATION_ENERGY_CONVENTION",
]
