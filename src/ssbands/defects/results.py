"""Results of the neutrality solve: one state (:class:`FermiSolution`) or a batch (:class:`FermiScan`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["ENERGY_REFERENCE", "FORMATION_ENERGY_CONVENTION", "FermiScan", "FermiSolution"]

#: Energy reference of every result of :mod:`ssbands.defects`.
ENERGY_REFERENCE = "Fermi level measured from the valence-band maximum (E_VBM = 0 eV)"
#: Sign convention of formation energies.
FORMATION_ENERGY_CONVENTION = "dH_f = E0 + q*E_F - sum_i n_i*mu_i (n_i atoms added; mu_Li = 0 for bcc Li)"


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
    band_gap_eV : float
        E_g of the system, eV.
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
        """The number of (μ, T) points B."""
        return int(self.fermi_level_eV.shape[0])

    def concentration(self, name: str, charge: int | None = None) -> np.ndarray:
        """Concentration of one charge state, or of the species summed over charge states.

        Parameters
        ----------
        name : str
            Species name.
        charge : int, optional
            Charge state (units of e); all charge states when omitted.

        Returns
        -------
        ndarray (B,)
            Concentration in cm⁻³ at each point.
        """
        cols = [i for i, (n, q) in enumerate(self.labels) if n == name and (charge is None or q == charge)]
        if not cols:
            raise InputError(f"no defect {name!r}" + ("" if charge is None else f" in charge state {charge:+d}"))
        return self.concentrations_cm3[:, cols].sum(axis=1)

    def point(self, i: int) -> FermiSolution:
        """The state at point ``i`` as a :class:`FermiSolution`."""
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
        """JSON-ready mapping (lists per point; energies in eV above the VBM, concentrations in cm⁻³)."""
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

    Attributes
    ----------
    fermi_level_eV : float
        ε_F above the VBM, eV.
    temperature_K : float
    mu_eV : mapping element → float
        Chemical potentials used (eV vs elemental references; μ_Li = 0 for bcc Li).
    concentrations_cm3 : mapping
        ``{name: {charge: cm⁻³}}``.
    electrons_cm3, holes_cm3, net_charge_cm3 : float
        Carriers (cm⁻³) and the residual net charge (e·cm⁻³).
    band_gap_eV : float
        E_g, eV.
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
        """JSON-ready mapping (the ``ssbands fermi --json`` object, without ``input``)."""
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
