"""Physical constants and the project's conventions, in one place.

Conventions, used by every module:

* Energies are *electron* energies in eV (higher = less bound), measured from the Fermi level
  of the grounded terminal (E_F(ground) = 0) unless a result says otherwise.
* ``E_F`` is the electron electrochemical potential μ̄_e; the local electrode potential is
  ``V = -E_F / e`` (in V when E_F is in eV).
* ``mu_Li`` is the Li chemical potential with bcc Li metal = 0; an electrode at ``U`` volts vs
  Li/Li⁺ has ``mu_Li = -U`` (eV).
* Local equilibrium Li ⇌ Li⁺ + e⁻: ``mu_Li = mu_bar_Li+ + E_F``.
* ``psi`` is the outer (Volta) potential, ``E_vac = -e psi``; ``phi`` is the electrostatic
  potential that the space-charge layers screen (the inner potential up to a constant surface
  potential per material, taken as zero).
* Work function ``Phi = E_vac - E_F``.
* KPFM: ``CPD = (Phi_tip - E_vac) / e`` (sample-bias convention; Melitz et al., Surf. Sci. Rep. 66, 1 (2011)).
"""

from __future__ import annotations

from scipy import constants as _c

#: Elementary charge, C.
E_CHARGE: float = _c.e
#: Boltzmann constant, J/K.
K_B: float = _c.k
#: Boltzmann constant, eV/K.
K_B_EV: float = _c.k / _c.e
#: Vacuum permittivity, F/m.
EPS0: float = _c.epsilon_0
#: Avogadro constant, 1/mol.
N_A: float = _c.N_A

#: cm⁻³ → m⁻³
PER_CM3: float = 1e6
#: nm → m
NM: float = 1e-9
#: Å → m
ANGSTROM: float = 1e-10


def kT_eV(temperature_K):
    """Thermal energy k_B·T in eV (the thermal voltage k_B·T/e in V)."""
    return K_B_EV * temperature_K


#: The sign convention of every CPD this package computes or reads unless stated otherwise.
CPD_CONVENTION = "CPD = (Phi_tip - E_vac)/e (bias applied to the sample)"

#: The energy reference of every band-diagram result.
ENERGY_REFERENCE = "E_F of the grounded terminal = 0 eV; electron energies"

#: The energy reference of a measured profile (KPFM measures CPD against the tip, whose work function
#: is known only after calibration).
MEASURED_ENERGY_REFERENCE = ("none absolute: measured CPD relative to the tip (absolute only after a tip "
                             "work-function calibration)")
