"""The electrolyte's μ_Li from its defect chemistry: the ``extrinsic`` closure of the band diagram.

:func:`extrinsic_mu_li_from_defects` equilibrates a defect model at synthesis, quenches it and solves
neutrality at the operating temperature; :func:`mu_li_from_defect_table` does the same for a stack
file's ``[extrinsic_defects]`` table.

References
----------
J. Buckeridge, "Equilibrium point defect and charge carrier concentrations in a material determined
through calculation of the self-consistent Fermi energy", Comput. Phys. Commun. 244, 329 (2019),
DOI 10.1016/j.cpc.2019.06.017.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from ..constants import K_B_EV
from ..errors import InputError
from ._neutrality import log_sum_exp
from ._validate import number
from .results import ENERGY_REFERENCE, FermiSolution
from .system import DefectSystem

__all__ = ["ExtrinsicFermiLevel", "extrinsic_mu_li_from_defects", "mu_li_from_defect_table",
           "EXTRINSIC_DEFECTS_KEYS"]

#: The keys of a stack file's ``[extrinsic_defects]`` table.
EXTRINSIC_DEFECTS_KEYS = frozenset({"file", "synthesis_mu_li_eV", "synthesis_temperature_K", "quench", "li_species"})


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
    temperature_K, synthesis_temperature_K : float
        Operating and synthesis temperatures (K).
    frozen : tuple of str
        The species whose totals were quenched.
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
        """JSON-ready mapping of the scalars (energies in eV, temperatures in K), without the solution."""
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

    In the band diagram (:mod:`ssbands.cell`) the SE's ε_F above its VBM and its
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
        Synthesis (processing) temperature (K); default ``temperature_K``.
    quench : sequence of str, optional
        Species whose totals are frozen after synthesis.
    li_species : str, optional
        The species from which μ_Li is inferred.
    element : str
        The mobile element (default "Li").

    Returns
    -------
    ExtrinsicFermiLevel
    """
    T = number("extrinsic_mu_li_from_defects", "temperature_K", temperature_K, positive=True)
    Ts = T if synthesis_temperature_K is None else number(
        "extrinsic_mu_li_from_defects", "synthesis_temperature_K", synthesis_temperature_K, positive=True)
    mu_li = number("extrinsic_mu_li_from_defects", "mu_li_eV", mu_li_eV)
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
    mu_implied = _implied_mu(system, sol, li_species, element, T)
    return ExtrinsicFermiLevel(fermi_level_eV=sol.fermi_level_eV, mu_li_eV=mu_implied,
                               mu_bar_li_plus_vbm_eV=mu_implied - sol.fermi_level_eV, li_species=li_species,
                               temperature_K=T, synthesis_temperature_K=Ts, frozen=tuple(quench), solution=sol)


def _implied_mu(system: DefectSystem, sol: FermiSolution, li_species: str, element: str, T: float) -> float:
    """μ_element (eV) with which ``li_species`` is in equilibrium in ``sol`` at T (K)."""
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
        # an equilibrated (not fixed) charge state always has an energy (ChargeState checks it)
        e_form = cast(float, c.energy) + c.charge * sol.fermi_level_eV - sum(
            n * mu_other.get(el, 0.0) for el, n in sp.stoichiometry.items() if el != element)
        terms.append(math.log(N * c.degeneracy) - e_form / kt_)
        c_var += sol.concentrations_cm3[li_species][c.charge]
    if not c_var > 0:
        raise InputError(f"defect {li_species!r} has zero concentration; cannot infer μ_{element}")
    return (kt_ / n_li) * (math.log(c_var) - float(log_sum_exp(np.array(terms), axis=-1)))


def mu_li_from_defect_table(raw, temperature_K: float, source: str) -> tuple[float, str]:
    """μ_Li of the SE bulk under extrinsic control from a stack file's ``[extrinsic_defects]`` table.

    Parameters
    ----------
    raw : mapping
        The table: ``file`` (defect YAML, ssbands or py-sc-fermi format; relative to the stack file),
        ``synthesis_mu_li_eV`` (eV vs bcc Li), optional ``synthesis_temperature_K`` (K), ``quench``
        (species names) and ``li_species``; see :func:`extrinsic_mu_li_from_defects`.
    temperature_K : float
        Operating temperature (K).
    source : str
        The stack file's path (``"<dict>"`` or ``"<python>"`` when not read from a file), used for
        relative paths and in error messages.

    Returns
    -------
    tuple of (float, str)
        μ_Li in eV vs bcc Li, and a description of where it came from.
    """
    w = f"{source}: [extrinsic_defects]"
    if not isinstance(raw, Mapping):
        raise InputError(f"{w}: expected a table with 'file' and 'synthesis_mu_li_eV'")
    bad = set(raw) - EXTRINSIC_DEFECTS_KEYS
    if bad or "file" not in raw or "synthesis_mu_li_eV" not in raw:
        raise InputError(f"{w}: needs 'file' (defect YAML, ssbands or py-sc-fermi format) and 'synthesis_mu_li_eV'; "
                         f"optional 'synthesis_temperature_K', 'quench', 'li_species'; got {sorted(raw)}")
    path = Path(str(raw["file"]))
    if not path.is_absolute() and source not in ("<dict>", "<python>"):
        path = Path(source).parent / path
    system = DefectSystem.from_yaml(path)
    r = extrinsic_mu_li_from_defects(system, float(raw["synthesis_mu_li_eV"]), temperature_K=temperature_K,
                                     synthesis_temperature_K=raw.get("synthesis_temperature_K"),
                                     quench=raw.get("quench"), li_species=raw.get("li_species"))
    ts_note = ", T_s " + str(raw["synthesis_temperature_K"]) + " K" if raw.get("synthesis_temperature_K") else ""
    return float(r.mu_li_eV), (f"defect model {path} (synthesis mu_Li {raw['synthesis_mu_li_eV']} eV"
                               f"{ts_note};"
                               f" E_F = {r.fermi_level_eV:.4f} eV above the VBM)")
