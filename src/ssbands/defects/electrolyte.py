r"""The electrolyte bulk from its defect chemistry: Fermi level, vacuum level and its slope in μ_Li.

Physics (energies in eV, e = 1)
-------------------------------
* In every phase Li ⇌ Li⁺ + e⁻ is in local equilibrium, μ_Li = μ̄_Li⁺ + E_F, so the electrolyte's Fermi
  level is E_F,SE = μ_Li,SE − μ̄_Li⁺ (Swift & Qi, *Phys. Rev. Lett.* 122, 167701 (2019),
  doi:10.1103/PhysRevLett.122.167701).
* Charge neutrality of *all* species — equilibrated defects, frozen (quenched) defects and dopants,
  electrons and holes — fixes ε_F = E_F − E_VBM at each μ_Li,SE (the self-consistent Fermi level,
  Buckeridge, *Comput. Phys. Commun.* 244, 329 (2019), doi:10.1016/j.cpc.2019.06.017). With
  E_VBM = E_vac − IP the bulk vacuum level is

  .. math:: E_{vac,SE} = μ_{Li,SE} − \bar μ_{Li^+} + IP − ε_F(μ_{Li,SE}).

* Its slope at fixed μ̄_Li⁺ (and fixed μ of the other elements and T) is s = dE_vac/dμ_Li,SE =
  1 − dε_F/dμ_Li. Differentiating the neutrality condition ρ(ε_F, μ_Li) = 0 (implicit-function theorem)::

      dε_F/dμ_Li = −(∂ρ/∂μ_Li)/(∂ρ/∂ε_F) = C_ion / C_tot,   s = C_el / (C_ion + C_el),

  with the "capacitances" (densities in cm⁻³; multiply by e²/k_BT for a capacitance per volume)::

      C_tot = −k_BT ∂ρ/∂ε_F = Σ_free q² c + Σ_frozen X C'_X Var_X(q) + k_BT (∂n/∂ε_F − ∂p/∂ε_F),
      C_ion =  k_BT ∂ρ/∂μ_Li = Σ_free q n_Li c,            C_el = C_tot − C_ion,

  where "free" are the charge states whose totals are in equilibrium with the reservoirs (n_Li Li atoms
  added per defect), "frozen" the species with a quenched total C'_X whose charge states still follow
  ε_F (Var_X(q) = Σ_q c_q (q − q̄)²/C'_X; for a two-level trap C'_X f(1 − f)), and n, p the band
  carriers (F_{−1/2} for parabolic bands, Σ a f(1 − f) for a tabulated DOS). For Li⁺-type defects
  (q = n_Li: Li_i⁺, V_Li⁻) C_ion = Σ z² c. Limits: Frenkel (Li_i⁺/V_Li⁻) or dopant-compensated-by-V_Li
  only → s = 0; Li_i⁺ compensated by electrons → s = ½; E_F pinned by electronic dopants → s = 1.
* In place of the constant step against Li metal, the interface step needs the effective

  .. math:: φ_0^{Li,eff}(μ_{Li,SE}) = Φ_{Li} − μ_{Li,SE} − IP + ε_F(μ_{Li,SE}),

  so that E_vac,SE = Φ_Li − μ̄_Li⁺ − φ0^Li,eff. In the Frenkel limit ε_F − μ_Li is constant and φ0^Li,eff
  is the constant φ0^Li of Swift & Qi (2019) and Swift, Swift & Qi, *Nat. Comput. Sci.* 1, 212 (2021),
  doi:10.1038/s43588-021-00041-y (see :func:`ssbands.defects.frenkel.two_defect_parameters`).

:func:`electrolyte_bulk` solves all of this, vectorised over arrays of μ_Li,SE (and T);
:func:`layer_species` turns the same bulk state into the species set of the space-charge layer
(:class:`ssbands.scl.species.SpeciesSet`), so that bulk and layer are one model.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from .._numerics import effective_density_of_states_cm3, log_fermi_dirac_minus_half
from ..constants import K_B_EV
from ..errors import ApproximationWarning, InputError
from ..scl.species import ChargedSpecies, Electrons, Holes, SpeciesSet
from ._neutrality import CM3_PER_A3, log_sum_exp
from ._validate import number
from .model import ParabolicBands
from .results import ENERGY_REFERENCE, FermiScan
from .system import DefectSystem

__all__ = ["NeutralityDerivatives", "neutrality_derivatives", "ElectrolyteBulk", "electrolyte_bulk",
           "effective_phi0_li", "FrozenChargeState", "layer_species"]

_CHUNK = 2048  # rows per block when summing a tabulated DOS


# ------------------------------------------------------------------------------------ derivatives
@dataclass(frozen=True, eq=False)
class NeutralityDerivatives:
    """Partial derivatives of the net charge ρ(ε_F, μ_Li) at the self-consistent points of a scan.

    All attributes are arrays (B,) of densities in cm⁻³ (k_BT times a derivative of ρ in e·cm⁻³ per eV;
    multiply by e²/k_BT for a capacitance per volume).

    Attributes
    ----------
    defects_cm3 : ndarray
        Σ q² c over the charge states in equilibrium with the reservoirs.
    traps_cm3 : ndarray
        Σ_X C'_X Var_X(q) over frozen species (charge states follow ε_F, totals fixed).
    electrons_cm3, holes_cm3 : ndarray
        k_BT ∂n/∂ε_F and −k_BT ∂p/∂ε_F.
    ionic_cm3 : ndarray
        C_ion = k_BT ∂ρ/∂μ_Li = Σ q n_Li c over the equilibrated charge states.
    """

    defects_cm3: np.ndarray
    traps_cm3: np.ndarray
    electrons_cm3: np.ndarray
    holes_cm3: np.ndarray
    ionic_cm3: np.ndarray

    @property
    def total_cm3(self) -> np.ndarray:
        """C_tot = −k_BT ∂ρ/∂ε_F (cm⁻³), > 0."""
        return self.defects_cm3 + self.traps_cm3 + self.electrons_cm3 + self.holes_cm3

    @property
    def electronic_cm3(self) -> np.ndarray:
        """C_el = C_tot − C_ion (cm⁻³): everything that buffers ε_F without exchanging Li."""
        return self.total_cm3 - self.ionic_cm3

    @property
    def fermi_slope(self) -> np.ndarray:
        """dε_F/dμ_Li = C_ion/C_tot (dimensionless)."""
        return self.ionic_cm3 / self.total_cm3

    @property
    def vacuum_slope(self) -> np.ndarray:
        """The slope s = dE_vac,SE/dμ_Li,SE = C_el/C_tot (dimensionless)."""
        return self.electronic_cm3 / self.total_cm3


def _label_arrays(system: DefectSystem, element: str):
    """Per charge-state column: charge, n_element, kind (0 free, 1 frozen, 2 fixed) and frozen-group id."""
    q, n, kind, group = [], [], [], []
    for gid, s in enumerate(system.species):
        for cs in s.charge_states:
            q.append(cs.charge)
            n.append(s.stoichiometry.get(element, 0))
            if cs.is_fixed:
                kind.append(2)
            elif s.fixed_concentration_cm3 is not None:
                kind.append(1)
            else:
                kind.append(0)
            group.append(gid)
    return np.array(q, float), np.array(n, float), np.array(kind, int), np.array(group, int)


def _tabulated_derivative(E, a, x_eV, kt, sign):
    """Σ a_i f_i(1 − f_i) per point (cm⁻³), f_i = 1/(1 + exp(sign·(E_i − x)/kT)), in row blocks."""
    out = np.empty(x_eV.shape)
    for i0 in range(0, x_eV.size, _CHUNK):
        sl = slice(i0, i0 + _CHUNK)
        z = -np.abs(sign * (E[None, :] - x_eV[sl, None]) / kt[sl, None])
        ez = np.exp(z)
        out[sl] = (ez / (1.0 + ez) ** 2) @ a
    return out


def _carrier_derivatives(system: DefectSystem, E, T):
    """(k_BT ∂n/∂ε_F, −k_BT ∂p/∂ε_F) in cm⁻³ at Fermi levels E (eV above the VBM) and T (K)."""
    kt = K_B_EV * T
    bands = system.bands
    if isinstance(bands, ParabolicBands):
        nc = effective_density_of_states_cm3(T, bands.electron_mass)
        nv = effective_density_of_states_cm3(T, bands.hole_mass)
        dn = np.exp(np.log(nc) + log_fermi_dirac_minus_half((E - bands.band_gap_eV) / kt))
        dp = np.exp(np.log(nv) + log_fermi_dirac_minus_half(-E / kt))
        return dn, dp
    scale = CM3_PER_A3 / cast(float, system.volume_A3)  # a tabulated DOS needs the cell volume (checked)
    Eh, ah, Ee, ae = bands.band_weights()
    return (_tabulated_derivative(Ee, ae * scale, E, kt, +1.0),
            _tabulated_derivative(Eh, ah * scale, E, kt, -1.0))


def neutrality_derivatives(system: DefectSystem, scan: FermiScan, element: str = "Li") -> NeutralityDerivatives:
    """Analytic ∂ρ/∂ε_F and ∂ρ/∂μ_element at the points of a neutrality solve (the bulk capacitances).

    Parameters
    ----------
    system : DefectSystem
        The system that produced ``scan``.
    scan : FermiScan
        Self-consistent points (:meth:`DefectSystem.solve_batch`); ε_F in eV above the VBM, T in K.
    element : str
        The element whose chemical potential is varied (default ``"Li"``).

    Returns
    -------
    NeutralityDerivatives
        Densities in cm⁻³; ``vacuum_slope`` is s and ``fermi_slope`` is dε_F/dμ_element.

    Notes
    -----
    Frozen species keep their totals, so their charge states do not respond to μ (every charge state of a
    species has the same stoichiometry) but do respond to ε_F; individually fixed charge states respond to
    neither. The derivatives are those of the dilute (Boltzmann) defect statistics of :mod:`ssbands.defects`.
    """
    if tuple(scan.labels) != tuple(system.labels):
        raise InputError("neutrality_derivatives: the scan does not belong to this system (labels differ)")
    q, n, kind, group = _label_arrays(system, element)
    c = scan.concentrations_cm3
    B = len(scan)
    free = kind == 0
    defects = c[:, free] @ (q[free] ** 2) if np.any(free) else np.zeros(B)
    ionic = c[:, free] @ (q[free] * n[free]) if np.any(free) else np.zeros(B)
    traps = np.zeros(B)
    for gid in np.unique(group[kind == 1]):
        cols = (group == gid) & (kind == 1)
        cg, qg = c[:, cols], q[cols]
        tot = cg.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            qbar = np.where(tot > 0, (cg @ qg) / np.where(tot > 0, tot, 1.0), 0.0)
        traps += np.sum(cg * (qg[None, :] - qbar[:, None]) ** 2, axis=1)
    dn, dp = _carrier_derivatives(system, scan.fermi_level_eV, scan.temperature_K)
    return NeutralityDerivatives(defects_cm3=defects, traps_cm3=traps, electrons_cm3=dn, holes_cm3=dp,
                                 ionic_cm3=ionic)


# ------------------------------------------------------------------------------------ the bulk
def effective_phi0_li(mu_li_eV, fermi_level_eV, ionization_potential_eV, phi_li_eV):
    """Effective step of the electrolyte against Li metal, φ0^Li,eff = Φ_Li − μ_Li,SE − IP + ε_F (V).

    Parameters
    ----------
    mu_li_eV : array_like
        μ_Li,SE, eV vs bcc Li.
    fermi_level_eV : array_like
        ε_F = E_F − E_VBM of the electrolyte at that μ_Li,SE, eV.
    ionization_potential_eV : array_like
        IP = E_vac − E_VBM, eV.
    phi_li_eV : array_like
        Work function of Li metal Φ_Li, eV.

    Returns
    -------
    ndarray
        φ0^Li,eff in V (all arguments broadcast); use it wherever the constant φ0^Li enters the interface
        step, φ0(M|SE) = φ0^Li,eff + (Φ_M − Φ_Li) − U − δ.
    """
    return (np.asarray(phi_li_eV, float) - np.asarray(mu_li_eV, float) - np.asarray(ionization_potential_eV, float)
            + np.asarray(fermi_level_eV, float))


@dataclass(frozen=True, eq=False)
class ElectrolyteBulk:
    """The electrolyte bulk at each μ_Li,SE: Fermi level, vacuum level, slope s and concentrations.

    Array attributes have the broadcast shape of the ``mu_li_eV`` and ``temperature_K`` given to
    :func:`electrolyte_bulk` (``concentrations_cm3`` has one more axis, the charge states ``labels``).

    Attributes
    ----------
    mu_li_eV : ndarray
        μ_Li,SE, eV vs bcc Li.
    temperature_K : ndarray
        T, K.
    fermi_level_eV : ndarray
        ε_F = E_F − E_VBM, eV.
    vacuum_offset_eV : ndarray
        E_vac,SE − E_F,SE = E_vac,SE − (μ_Li,SE − μ̄_Li⁺) = IP − ε_F, eV.
    slope : ndarray
        s = dE_vac,SE/dμ_Li,SE at fixed μ̄_Li⁺ (dimensionless, analytic).
    fermi_slope : ndarray
        dε_F/dμ_Li = 1 − s (dimensionless).
    capacitance_ionic_cm3, capacitance_electronic_cm3, capacitance_total_cm3 : ndarray
        C_ion, C_el and C_tot = C_ion + C_el (cm⁻³), see :class:`NeutralityDerivatives`.
    derivatives : NeutralityDerivatives
        Their parts (flat, one entry per point).
    electrons_cm3, holes_cm3 : ndarray
        Band carriers, cm⁻³.
    concentrations_cm3 : ndarray
        Every charge state (last axis, order of ``labels``), cm⁻³.
    labels : tuple of (str, int)
        (species name, charge) of the last axis of ``concentrations_cm3``.
    ionization_potential_eV, band_gap_eV : float
        IP and E_g of the electrolyte, eV.
    phi_li_eV : float or None
        Φ_Li used for ``phi0_li_V`` (eV), if given.
    phi0_li_V : ndarray or None
        φ0^Li,eff = Φ_Li − μ_Li,SE − IP + ε_F (V), when ``phi_li_eV`` was given.
    scan : FermiScan
        The flat neutrality solve behind the arrays.
    element : str
        The element of μ (``"Li"``).
    """

    mu_li_eV: np.ndarray
    temperature_K: np.ndarray
    fermi_level_eV: np.ndarray
    vacuum_offset_eV: np.ndarray
    slope: np.ndarray
    fermi_slope: np.ndarray
    capacitance_ionic_cm3: np.ndarray
    capacitance_electronic_cm3: np.ndarray
    capacitance_total_cm3: np.ndarray
    derivatives: NeutralityDerivatives
    electrons_cm3: np.ndarray
    holes_cm3: np.ndarray
    concentrations_cm3: np.ndarray
    labels: tuple
    ionization_potential_eV: float
    band_gap_eV: float
    phi_li_eV: float | None
    phi0_li_V: np.ndarray | None
    scan: FermiScan
    element: str = "Li"

    def vacuum_level_eV(self, mu_bar_li_plus_eV=0.0) -> np.ndarray:
        """E_vac,SE = μ_Li,SE − μ̄_Li⁺ + IP − ε_F (eV) for the given μ̄_Li⁺ (eV; broadcasts)."""
        return self.mu_li_eV - np.asarray(mu_bar_li_plus_eV, float) + self.vacuum_offset_eV

    def concentration(self, name: str, charge: int | None = None) -> np.ndarray:
        """Concentration (cm⁻³) of one charge state, or of a species summed over its charge states."""
        cols = [i for i, (nm, q) in enumerate(self.labels) if nm == name and (charge is None or q == charge)]
        if not cols:
            raise InputError(f"no defect {name!r}" + ("" if charge is None else f" in charge state {charge:+d}"))
        return self.concentrations_cm3[..., cols].sum(axis=-1)

    @property
    def in_gap(self) -> np.ndarray:
        """True where 0 ≤ ε_F ≤ E_g (no carrier injection)."""
        return (self.fermi_level_eV >= 0.0) & (self.fermi_level_eV <= self.band_gap_eV)

    def to_dict(self) -> dict:
        """JSON-ready mapping (lists; energies in eV, concentrations in cm⁻³, φ0 in V)."""
        d: dict[str, Any] = {
            "energy_reference": ENERGY_REFERENCE, "element": self.element,
            "ionization_potential_eV": self.ionization_potential_eV, "band_gap_eV": self.band_gap_eV,
            "mu_li_eV": self.mu_li_eV.tolist(), "temperature_K": self.temperature_K.tolist(),
            "E_F_above_VBM_eV": self.fermi_level_eV.tolist(), "Evac_minus_EF_eV": self.vacuum_offset_eV.tolist(),
            "dEvac_dmuLi": self.slope.tolist(), "dEF_dmuLi": self.fermi_slope.tolist(),
            "capacitance_ionic_cm3": self.capacitance_ionic_cm3.tolist(),
            "capacitance_electronic_cm3": self.capacitance_electronic_cm3.tolist(),
            "electrons_cm3": self.electrons_cm3.tolist(), "holes_cm3": self.holes_cm3.tolist(),
            "labels": [[n, q] for n, q in self.labels], "concentrations_cm3": self.concentrations_cm3.tolist(),
        }
        if self.phi0_li_V is not None:
            d["phi_li_eV"] = self.phi_li_eV
            d["phi0_li_eff_V"] = self.phi0_li_V.tolist()
        return d


def electrolyte_bulk(system: DefectSystem, mu_li_eV, ionization_potential_eV: float, *, temperature_K=None,
                     phi_li_eV: float | None = None, mu_eV: Mapping[str, float] | None = None,
                     element: str = "Li") -> ElectrolyteBulk:
    """Solve the electrolyte bulk at each μ_Li,SE: ε_F, E_vac − E_F, the slope s and the concentrations.

    Parameters
    ----------
    system : DefectSystem
        The electrolyte's defect model; species carry their Li stoichiometry (Li_i: {Li: +1},
        V_Li: {Li: −1}), so μ_Li enters their formation energies.
    mu_li_eV : array_like
        μ_Li,SE in eV vs bcc Li (any shape).
    ionization_potential_eV : float
        IP = E_vac − E_VBM of the electrolyte, eV.
    temperature_K : float or array_like, optional
        T in K (broadcast with ``mu_li_eV``); default the system's.
    phi_li_eV : float, optional
        Work function of Li metal Φ_Li (eV); when given, ``phi0_li_V`` = φ0^Li,eff is returned.
    mu_eV : mapping element → float, optional
        Chemical potentials of the other elements (eV), overriding the system's defaults.
    element : str
        The element whose chemical potential is μ_Li,SE (default ``"Li"``).

    Returns
    -------
    ElectrolyteBulk

    Raises
    ------
    ConvergenceError
        When neutrality has no root (see :meth:`DefectSystem.solve_batch`).
    """
    ip = number("electrolyte_bulk", "ionization_potential_eV", ionization_potential_eV, positive=True)
    phi_li = number("electrolyte_bulk", "phi_li_eV", phi_li_eV, positive=True, allow_none=True)
    mu = np.asarray(mu_li_eV, float)
    T = np.asarray(system.temperature_K if temperature_K is None else temperature_K, float)
    try:
        shape = np.broadcast_shapes(mu.shape, T.shape)
    except ValueError:
        raise InputError(f"electrolyte_bulk: mu_li_eV {mu.shape} and temperature_K {T.shape} "
                         "do not broadcast") from None
    mu_b, T_b = np.broadcast_to(mu, shape), np.broadcast_to(T, shape)
    other = {k: v for k, v in dict(mu_eV or {}).items() if k != element}
    scan = system.solve_batch({**other, element: mu_b.ravel()}, T_b.ravel())
    d = neutrality_derivatives(system, scan, element)
    eps = scan.fermi_level_eV.reshape(shape)
    total = d.total_cm3.reshape(shape)
    ionic = d.ionic_cm3.reshape(shape)
    electronic = d.electronic_cm3.reshape(shape)
    return ElectrolyteBulk(
        mu_li_eV=np.array(mu_b), temperature_K=np.array(T_b), fermi_level_eV=eps, vacuum_offset_eV=ip - eps,
        slope=electronic / total, fermi_slope=ionic / total, capacitance_ionic_cm3=ionic,
        capacitance_electronic_cm3=electronic, capacitance_total_cm3=total, derivatives=d,
        electrons_cm3=scan.electrons_cm3.reshape(shape), holes_cm3=scan.holes_cm3.reshape(shape),
        concentrations_cm3=scan.concentrations_cm3.reshape(shape + (len(scan.labels),)), labels=tuple(scan.labels),
        ionization_potential_eV=ip, band_gap_eV=system.band_gap_eV, phi_li_eV=phi_li,
        phi0_li_V=None if phi_li is None else effective_phi0_li(mu_b, eps, ip, phi_li), scan=scan, element=element)


# ------------------------------------------------------------------------------ the layer species
@dataclass(frozen=True)
class FrozenChargeState:
    """One charge state of a frozen species in a space-charge layer: fixed total, states follow the potential.

    The species' total C' (cm⁻³) is quenched, but electrons equilibrate, so its charge states follow the
    local potential ψ (V): c_q(ψ) = C' g_q e^{−(E_q + qψ)/kT} / Σ_q' g_q' e^{−(E_q' + q'ψ)/kT}. It implements
    the species protocol of :class:`ssbands.scl.species.SpeciesSet` (``name``, ``charge``, ``mobile``,
    ``concentration``).

    Parameters
    ----------
    name : str
        Label, e.g. ``"Al_Li+2"``.
    charge : float
        This state's charge q (units of e).
    total_cm3 : float
        C', the total of the species' variable charge states, cm⁻³ (≥ 0).
    charges : tuple of float
        Charges of all variable charge states of the species (including ``charge``).
    energies_eV : tuple of float
        Their formation energies ΔH_q at ψ = 0 (the bulk), eV.
    degeneracies : tuple of float
        Their degeneracies g_q > 0.
    mobile : bool
        False: the total does not move (and carries no ionic current).
    diffusivity_cm2_s : None
        Frozen species do not diffuse.

    Notes
    -----
    :meth:`SpeciesSet.saturated_rho` treats unknown species types as unbounded, so the saturated-zone width
    of :func:`~ssbands.scl.species.first_integral_species` falls back to |ρ(−φ0)| for a set that contains
    one; σ, the capacitances, the profile and the Debye length are exact.
    """

    name: str
    charge: float
    total_cm3: float
    charges: tuple
    energies_eV: tuple
    degeneracies: tuple
    mobile: bool = False
    diffusivity_cm2_s: float | None = None

    def __post_init__(self):
        lengths = {len(self.charges), len(self.energies_eV), len(self.degeneracies)}
        if self.charge not in self.charges or len(lengths) != 1:
            raise InputError(f"species {self.name!r}: charge must be one of charges; charges, energies_eV and "
                             "degeneracies must have equal lengths")
        if not (np.isfinite(self.total_cm3) and self.total_cm3 >= 0):
            raise InputError(f"species {self.name!r}: total_cm3 must be >= 0, got {self.total_cm3!r}")

    def concentration(self, psi_V, temperature_K=300.0, derivative: bool = False):
        """c(ψ) in cm⁻³ (and dc/dψ in cm⁻³/V with ``derivative=True``) at potential ψ (V) and T (K)."""
        psi = np.asarray(psi_V, float)
        kt = K_B_EV * float(temperature_K)
        qs = np.asarray(self.charges, float)
        lw = np.log(np.asarray(self.degeneracies, float)) - (np.asarray(self.energies_eV, float)
                                                            + qs * psi[..., None]) / kt
        lz = log_sum_exp(lw, axis=-1)
        k = int(np.flatnonzero(qs == self.charge)[0])
        c = self.total_cm3 * np.exp(lw[..., k] - lz)
        if not derivative:
            return c
        qbar = np.sum(qs * np.exp(lw - lz[..., None]), axis=-1)
        return c, -c * (self.charge - qbar) / kt


def _band_species(system: DefectSystem, eps: float, T: float, statistics: str):
    """Electrons and holes of the layer at the bulk Fermi level ``eps`` (eV above the VBM) and T (K)."""
    kt = K_B_EV * T
    gap = system.band_gap_eV
    bands = system.bands
    if isinstance(bands, ParabolicBands):
        nc = float(effective_density_of_states_cm3(T, bands.electron_mass))
        nv = float(effective_density_of_states_cm3(T, bands.hole_mass))
        return Electrons(gap - eps, nc, statistics), Holes(eps, nv, statistics)
    # tabulated DOS: the Boltzmann-equivalent effective densities of states (exact when non-degenerate)
    scale = CM3_PER_A3 / cast(float, system.volume_A3)  # a tabulated DOS needs the cell volume (checked)
    Eh, ah, Ee, ae = bands.band_weights()
    kh, ke = ah > 0, ae > 0
    nv = float(np.exp(log_sum_exp(np.log(ah[kh] * scale) + Eh[kh] / kt, axis=-1)))
    nc = float(np.exp(log_sum_exp(np.log(ae[ke] * scale) - (Ee[ke] - gap) / kt, axis=-1)))
    return Electrons(gap - eps, nc, "boltzmann"), Holes(eps, nv, "boltzmann")


def _species_at(system: DefectSystem, sol, eps: float, mu: Mapping[str, float], T: float, alpha: float):
    """The charged defect species of the layer with their energies at the bulk state (ε_F = ``eps``, eV)."""
    kt = K_B_EV * T
    out: list[ChargedSpecies | FrozenChargeState] = []
    for s in system.species:
        frozen = [c for c in s.charge_states if not c.is_fixed and s.fixed_concentration_cm3 is not None]
        for cs in s.charge_states:
            if cs.charge == 0:
                continue
            name = f"{s.name}{cs.charge:+d}"
            if cs.is_fixed:
                out.append(ChargedSpecies(name, cs.charge, mobile=False, concentration_cm3=cs.fixed_concentration_cm3))
            elif s.fixed_concentration_cm3 is None:
                dh = float(s.formation_energy(cs.charge, eps, mu)) - kt * float(np.log(cs.degeneracy))
                # an equilibrated state of a species without a fixed total has a site density (checked)
                n_sites = cast(float, system.site_density_cm3(s))
                out.append(ChargedSpecies(name, cs.charge, float(n_sites), dh, float(alpha)))
        if frozen and any(c.charge != 0 for c in frozen):
            total = sum(sol.concentrations_cm3[s.name][c.charge] for c in frozen)
            qs = tuple(float(c.charge) for c in frozen)
            es = tuple(float(s.formation_energy(c.charge, eps, mu)) for c in frozen)
            gs = tuple(float(c.degeneracy) for c in frozen)
            out += [FrozenChargeState(f"{s.name}{c.charge:+d}", float(c.charge), total, qs, es, gs)
                    for c in frozen if c.charge != 0]
    return out


def layer_species(system: DefectSystem, mu_li_eV: float, permittivity: float, *, temperature_K: float | None = None,
                  alpha: float = 1.0, mu_eV: Mapping[str, float] | None = None, element: str = "Li",
                  statistics: str = "auto") -> SpeciesSet:
    """The space-charge-layer species set of the electrolyte at one μ_Li,SE (bulk and layer one model).

    The bulk is solved at μ_Li,SE (:meth:`DefectSystem.solve`) and every charged species is referenced to it
    (ψ = 0 in the neutral bulk; a shift ψ of the local potential acts like ε_F → ε_F + ψ at fixed μ):

    * charge states in equilibrium with the reservoirs → mobile :class:`~ssbands.scl.species.ChargedSpecies`
      with the site density N_X, the energy ΔH_q(ε_F, μ) − k_BT ln g_q and the saturation factor ``alpha``
      (c = N/(1/α + e^{E/kT}) → N g e^{−ΔH/kT} in the dilute limit, the defect model's statistics);
    * individually fixed charge states → frozen ``ChargedSpecies`` at their concentration;
    * frozen species (quenched totals) → :class:`FrozenChargeState` (total fixed, ionisation follows ψ);
    * electrons and holes from the bands (:class:`~ssbands.scl.species.Electrons`/``Holes``): parabolic
      bands with N_c, N_v of the effective masses; a tabulated DOS through its Boltzmann-equivalent
      effective densities of states (exact while ε_F is several kT inside the gap).

    Neutral charge states carry no charge and are left out. If the site-saturated statistics (``alpha``
    < 1 or non-dilute energies) make the bulk non-neutral at ψ = 0, the set is re-referenced to the
    potential where it is neutral, with an :class:`~ssbands.errors.ApproximationWarning` giving the shift.

    Parameters
    ----------
    system : DefectSystem
        The electrolyte's defect model.
    mu_li_eV : float
        μ_Li,SE, eV vs bcc Li.
    permittivity : float
        Relative permittivity ε_r of the electrolyte.
    temperature_K : float, optional
        T in K; default the system's.
    alpha : float
        Saturation factor of the mobile defects, 0 < α ≤ 1 (1: plain Fermi–Dirac site occupation).
    mu_eV : mapping element → float, optional
        Chemical potentials of the other elements (eV).
    element : str
        The element of μ_Li,SE.
    statistics : {"auto", "fermi-dirac", "boltzmann"}
        Band-carrier statistics for parabolic bands.

    Returns
    -------
    SpeciesSet
        Neutral at ψ = 0, for :class:`~ssbands.scl.species.GeneralLayer`,
        :func:`~ssbands.scl.species.first_integral_species` or :mod:`ssbands.scl.finite`.
    """
    mu_li = number("layer_species", "mu_li_eV", mu_li_eV)
    T = number("layer_species", "temperature_K", system.temperature_K if temperature_K is None else temperature_K,
               positive=True)
    if not (0 < alpha <= 1):
        raise InputError(f"layer_species: alpha must be in (0, 1], got {alpha!r}")
    mu = dict(system.mu_eV)
    mu.update({k: float(v) for k, v in dict(mu_eV or {}).items()})
    mu[element] = mu_li
    sol = system.solve(mu_eV=mu, temperature_K=T)

    def build(eps):
        sp = _species_at(system, sol, eps, mu, T, alpha) + list(_band_species(system, eps, T, statistics))
        return SpeciesSet(tuple(sp), permittivity, T)

    sset = build(sol.fermi_level_eV)
    if abs(float(sset.rho(0.0))) > 1e-10 * sset.charge_scale():
        shift = sset.neutral_potential_V()
        warnings.warn(f"layer_species: the layer's site statistics (alpha = {alpha:g}) move the neutral bulk by "
                      f"{shift:.4g} V from the dilute defect solve; the set is re-referenced to its own neutral "
                      "potential", ApproximationWarning, stacklevel=2)
        sset = build(sol.fermi_level_eV + shift)
    return sset
