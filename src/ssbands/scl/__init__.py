"""Space-charge layers in solid electrolytes (Poisson–Fermi–Dirac).

* :mod:`.firstintegral` — semi-infinite two-defect layers, batched closed forms and profiles.
* :mod:`.species` — any list of charged species (defects, frozen dopants, electrons, holes).
* :mod:`.finite` — finite electrolytes, overlapping layers, interlayers (boundary-value solve).
* :mod:`.approx` — two-zone, Gouy–Chapman and Mott–Schottky approximations.
* :mod:`.interlayer` — interlayer design thickness.
* :mod:`.transport` — per-defect transport and the sign-aware excess resistance R_exc.
* :mod:`.kinetics` — Frumkin–Butler–Volmer charge transfer (R_ct, current–overpotential curve).
"""

from .approx import compare_two_zone, gouy_chapman_potential, gouy_chapman_sigma, mott_schottky_width, two_zone
from .finite import FiniteSolution, Region, solve_finite_layer, solve_interlayer_stack, solve_stack
from .firstintegral import SCLResult, SpaceChargeLayer, first_integral, g_of_f, rhs_of_f
from .interlayer import InterlayerDesign, depth_to_target_nm, design_interlayer, phi0_from_library
from .kinetics import butler_volmer_current, charge_transfer, current_overpotential, frumkin_butler_volmer
from .species import (
    ChargedSpecies,
    Electrons,
    GeneralLayer,
    Holes,
    SpeciesSet,
    fermi_dirac_half,
    first_integral_species,
    two_defect_species,
)
from .transport import (
    TRANSPORT_LIMITS,
    DefectTransport,
    arrhenius_diffusivity,
    defect_transport,
    excess_resistance,
    excess_resistance_layer,
    nernst_einstein_conductivity,
)

__all__ = [
    "SCLResult", "SpaceChargeLayer", "first_integral", "g_of_f", "rhs_of_f",
    "ChargedSpecies", "Electrons", "Holes", "SpeciesSet", "GeneralLayer", "first_integral_species",
    "two_defect_species", "fermi_dirac_half",
    "Region", "FiniteSolution", "solve_stack", "solve_finite_layer", "solve_interlayer_stack",
    "two_zone", "compare_two_zone", "gouy_chapman_potential", "gouy_chapman_sigma", "mott_schottky_width",
    "InterlayerDesign", "depth_to_target_nm", "design_interlayer", "phi0_from_library",
    "TRANSPORT_LIMITS", "DefectTransport", "arrhenius_diffusivity", "defect_transport", "excess_resistance",
    "excess_resistance_layer", "nernst_einstein_conductivity", "charge_transfer", "frumkin_butler_volmer",
    "butler_volmer_current", "current_overpotential",
]
