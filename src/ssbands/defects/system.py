"""The defect system: species + bands + cell + default conditions, and its charge-neutrality solve.

:class:`DefectSystem` is the entry point: :meth:`~DefectSystem.solve` (one μ, T),
:meth:`~DefectSystem.solve_batch` (arrays of μ and T), :meth:`~DefectSystem.scan` (Brouwer scans),
:meth:`~DefectSystem.state_at` (a given ε_F), and the readers ``from_yaml``/``from_dict``/``from_sc_fermi``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import numpy as np

from ..errors import ApproximationWarning, InputError
from ._neutrality import CM3_PER_A3, NeutralityKernel
from ._validate import check_elements, number
from .io import (
    system_fields_from_mapping,
    system_fields_from_sc_fermi,
    system_fields_from_yaml,
    system_to_mapping,
)
from .model import DefectSpecies, ParabolicBands, TabulatedDOS
from .results import FermiScan, FermiSolution

__all__ = ["DefectSystem"]

#: Highest temperature (K) of a defect equilibrium: no solid exists above about 4300 K.
MAX_TEMPERATURE_K = 5000.0
#: Deepest chemical potential (eV below the elemental reference) of an element in a compound: formation
#: enthalpies are at most about 10 eV per atom, so a lower value is an input error.
MAX_MU_DEPTH_EV = 20.0


@dataclass(frozen=True, eq=False)
class DefectSystem:
    """Defect species + bands + cell volume + default conditions: everything charge neutrality needs.

    Parameters
    ----------
    species : sequence of DefectSpecies
        Names must be unique. May be empty (intrinsic semiconductor).
    bands : ParabolicBands or TabulatedDOS
    volume_A3 : float, optional
        Cell volume in Å³; needed for ``nsites`` and for a tabulated DOS (per cell).
    temperature_K : float
        Default temperature (K).
    mu_eV : mapping element → float
        Default chemical potentials (eV; μ_Li = 0 for bcc Li).
    source : str, optional
        Where the system was read from (used in error messages).

    Examples
    --------
    >>> sys = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy.yaml")  # doctest: +SKIP
    >>> sol = sys.solve(mu_eV={"Li": -1.0})                                    # doctest: +SKIP
    >>> sol.fermi_level_eV, sol.concentrations_cm3["V_Li"][-1]                  # doctest: +SKIP
    """

    species: tuple[DefectSpecies, ...]
    bands: ParabolicBands | TabulatedDOS
    volume_A3: float | None = None
    temperature_K: float = 300.0
    mu_eV: Mapping[str, float] = field(default_factory=dict)
    source: str | None = None
    _cache: dict = field(init=False, repr=False, compare=False)  # set in __post_init__

    def __post_init__(self):
        w = self.source or "defect system"
        sp = tuple(self.species)
        names = [s.name for s in sp]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"{w}: defect names must be unique, repeated: {dup}")
        for s in sp:
            if not isinstance(s, DefectSpecies):
                raise InputError(f"{w}: species must be DefectSpecies objects, got {s!r}")
        object.__setattr__(self, "species", sp)
        if not isinstance(self.bands, (ParabolicBands, TabulatedDOS)):
            raise InputError(f"{w}: 'bands' must be ParabolicBands or TabulatedDOS, got {type(self.bands).__name__}")
        object.__setattr__(self, "volume_A3", number(w, "volume", self.volume_A3, positive=True, allow_none=True))
        object.__setattr__(self, "temperature_K", number(w, "temperature", self.temperature_K, positive=True))
        object.__setattr__(self, "mu_eV", MappingProxyType(
            {str(k): number(w, f"chemical_potentials[{k!r}]", v) for k, v in dict(self.mu_eV or {}).items()}))
        self._check_fixed_against_sites(w)
        if self.volume_A3 is None:
            if isinstance(self.bands, TabulatedDOS):
                raise InputError(f"{w}: field 'volume' (cell volume, Å^3) is required with a tabulated DOS "
                                 "(states per cell)")
            for s in sp:
                if s.nsites is not None:
                    raise InputError(f"{w}: defect {s.name!r} gives 'nsites' per cell, which needs the "
                                     "cell 'volume' (Å^3); give it or use 'site_density_cm3'")
        object.__setattr__(self, "_cache", {})

    def _check_fixed_against_sites(self, w: str) -> None:
        """Refuse fixed (quenched) concentrations above a species' site density (more defects than sites)."""
        for s in self.species:
            if s.site_density_cm3 is not None:
                n = s.site_density_cm3
            elif s.nsites is not None and self.volume_A3 is not None:
                n = s.nsites * CM3_PER_A3 / self.volume_A3
            else:
                continue  # only fixed charge states, no site density: nothing to compare with
            # is_fixed means fixed_concentration_cm3 is not None
            states = sum(cast(float, c.fixed_concentration_cm3) for c in s.charge_states if c.is_fixed)
            for what, v in (("fixed_concentration", s.fixed_concentration_cm3),
                            ("the sum of its fixed charge states", states)):
                if v is not None and v > n * (1 + 1e-12):
                    raise InputError(f"{w}: defect {s.name!r}: {what} {v:g} cm^-3 exceeds its site density "
                                     f"{n:g} cm^-3 (more defects than sites)")

    def _warn_beyond_dilute(self, scan: FermiScan) -> None:
        """ApproximationWarning when a concentration exceeds its species' site density (not dilute)."""
        bad = np.zeros(scan.fermi_level_eV.shape, bool)
        worst = {}
        for k, (name, q) in enumerate(scan.labels):
            n = self.site_density_cm3(self.species_by_name(name))
            if n is not None:
                over = scan.concentrations_cm3[:, k] > n * (1 + 1e-9)
                if np.any(over):
                    worst[f"{name}{q:+d}"] = float(np.max(scan.concentrations_cm3[over, k] / n))
                bad |= over
        if np.any(bad):
            import warnings

            i = int(np.flatnonzero(bad)[0])
            mu = ", ".join(f"mu_{k} = {float(v[i]):g} eV" for k, v in scan.mu_eV.items())
            detail = ", ".join(f"{k} up to {v:.3g} x its site density" for k, v in worst.items())
            warnings.warn(f"{self.source or 'defect system'}: at {int(bad.sum())} of {bad.size} points (first: "
                          f"T = {float(scan.temperature_K[i]):g} K, {mu}) a defect concentration exceeds its site "
                          f"density ({detail}): a formation energy is negative there, outside the dilute limit the "
                          "model assumes; those concentrations are not physical", ApproximationWarning, stacklevel=3)

    def check_chemical_potentials(self, mu_eV: Mapping[str, Any] | None) -> None:
        """Refuse chemical potentials that are not element symbols or that would change no concentration.

        A chemical potential has an effect only through a species whose total is free: the charge
        states of a frozen species (fixed total) share its stoichiometry, so μ cancels between them.
        (:meth:`solve` checks the symbols only: a quenched system is solved at the μ of its synthesis.)

        Parameters
        ----------
        mu_eV : mapping element → float, or None
            Chemical potentials (eV).

        Raises
        ------
        InputError
        """
        self._check_mu(mu_eV, effect=True)

    def _check_mu(self, mu_eV, effect: bool = False) -> None:
        """Chemical-potential keys must be element symbols (and, with ``effect``, change some concentration)."""
        if not mu_eV:
            return
        used = None
        if effect:
            used = []
            for s in self.species:
                if s.fixed_concentration_cm3 is None and any(not c.is_fixed for c in s.charge_states):
                    used += [el for el in s.stoichiometry if s.stoichiometry[el] != 0 and el not in used]
        check_elements(self.source or "defect system", mu_eV, used)

    # ---- derived quantities ----------------------------------------------------------------
    @property
    def band_gap_eV(self) -> float:
        """E_g of the bands, eV."""
        return self.bands.band_gap_eV

    @property
    def names(self) -> tuple[str, ...]:
        """The species names, in input order."""
        return tuple(s.name for s in self.species)

    @property
    def elements(self) -> tuple[str, ...]:
        """Elements in the stoichiometries, then any other element with a default chemical potential."""
        els = []
        for s in self.species:
            for el in s.stoichiometry:
                if el not in els:
                    els.append(el)
        for el in self.mu_eV:
            if el not in els:
                els.append(el)
        return tuple(els)

    def species_by_name(self, name: str) -> DefectSpecies:
        """The species called ``name``; InputError if there is none."""
        for s in self.species:
            if s.name == name:
                return s
        raise InputError(f"{self.source or 'defect system'}: no defect named {name!r} (have {list(self.names)})")

    def site_density_cm3(self, s: DefectSpecies) -> float | None:
        """Site density N_X of species ``s`` in cm⁻³ (``site_density_cm3``, or ``nsites``·10²⁴/V[Å³]).

        None when the species gives neither (all its charge states are fixed).
        """
        if s.site_density_cm3 is not None:
            return s.site_density_cm3
        if s.nsites is not None:
            # 'nsites' needs the cell volume (checked in __post_init__), so volume_A3 is not None here
            return s.nsites * CM3_PER_A3 / cast(float, self.volume_A3)
        return None

    @property
    def labels(self) -> tuple:
        """(species name, charge) of every charge state: the columns of FermiScan concentrations."""
        return tuple((s.name, c.charge) for s in self.species for c in s.charge_states)

    # ---- construction helpers --------------------------------------------------------------
    def with_frozen(self, totals_cm3: Mapping[str, float]) -> DefectSystem:
        """A new system in which the named species have fixed (quenched) total concentrations.

        Parameters
        ----------
        totals_cm3 : mapping name → float
            Total concentration of each named species, cm⁻³.

        Returns
        -------
        DefectSystem
        """
        totals = dict(totals_cm3)
        new = []
        for s in self.species:
            if s.name in totals:
                new.append(replace(s, fixed_concentration_cm3=float(totals.pop(s.name))))
            else:
                new.append(s)
        if totals:
            raise InputError(f"with_frozen: no defect named {sorted(totals)} (have {list(self.names)})")
        return replace(self, species=tuple(new))

    def with_stoichiometry(self, stoichiometry: Mapping[str, Mapping[str, int]],
                           reference_mu_eV: Mapping[str, float] | None = None) -> DefectSystem:
        """A new system in which the named species carry a stoichiometry (so that μ enters ΔH_f).

        A plain py-sc-fermi or SC-Fermi input has formation energies at fixed chemical potentials and no
        stoichiometry. Given the n_i of each species and the μ_i (eV) at which its energies were
        evaluated, the energies at μ = 0 become E0' = E0 + Σ_i n_i μ_i^ref, so every formation energy at
        ``reference_mu_eV`` is unchanged and the system can be scanned in μ (e.g.
        :func:`ssbands.defects.electrolyte.electrolyte_bulk`).

        Parameters
        ----------
        stoichiometry : mapping name → mapping element → int
            Atoms of each element added to form the defect, e.g. ``{"V_Li": {"Li": -1}, "Li_i": {"Li": 1}}``;
            replaces the species' stoichiometry.
        reference_mu_eV : mapping element → float, optional
            The chemical potentials (eV vs the elemental references) at which the given energies were
            computed (missing elements: 0). Also becomes the new system's default μ.

        Returns
        -------
        DefectSystem
        """
        st = {str(k): dict(v) for k, v in dict(stoichiometry).items()}
        ref = {str(k): float(v) for k, v in dict(reference_mu_eV or {}).items()}
        unknown = sorted(set(st) - set(self.names))
        if unknown:
            raise InputError(f"with_stoichiometry: no defect named {unknown} (have {list(self.names)})")
        new = []
        for s in self.species:
            if s.name not in st:
                new.append(s)
                continue
            shift = sum(int(n) * ref.get(el, 0.0) for el, n in st[s.name].items())
            states = tuple(c if c.energy is None else replace(c, energy=c.energy + shift) for c in s.charge_states)
            new.append(replace(s, charge_states=states, stoichiometry=st[s.name]))
        mu = dict(self.mu_eV)
        mu.update(ref)
        return replace(self, species=tuple(new), mu_eV=mu)

    def quenched(self, solution: FermiSolution, names: Iterable[str] | None = None) -> DefectSystem:
        """Freeze the totals (cm⁻³) of ``names`` (default: all species) at their values in ``solution``."""
        names = list(self.names) if names is None else list(names)
        return self.with_frozen({n: solution.total(n) for n in names})

    def with_conditions(self, *, temperature_K=None, mu_eV=None) -> DefectSystem:
        """A new system with another default temperature (K) and/or updated default μ (eV)."""
        mu = dict(self.mu_eV)
        mu.update(mu_eV or {})
        return replace(self, temperature_K=self.temperature_K if temperature_K is None else temperature_K,
                       mu_eV=mu)

    def _kernel(self) -> NeutralityKernel:
        """The compiled neutrality kernel (built once per system)."""
        k = self._cache.get("kernel")
        if k is None:
            k = self._cache["kernel"] = NeutralityKernel(self)
        return k

    # ---- the solver --------------------------------------------------------------------------
    def solve_batch(self, mu_eV: Mapping[str, Any] | None = None, temperature_K=None) -> FermiScan:
        """Self-consistent ε_F and all concentrations for a batch of (μ, T) points.

        Parameters
        ----------
        mu_eV : mapping element → float or array, optional
            Chemical potentials (eV) overriding the system's defaults; arrays broadcast together
            with ``temperature_K`` to the batch shape (1-D).
        temperature_K : float or array, optional
            Temperatures (K); default the system's.

        Returns
        -------
        FermiScan

        Raises
        ------
        ConvergenceError
            If neutrality has no root inside the DOS energy range (tabulated DOS) or within
            2 eV + 1000 kT of the band edges (parabolic bands), e.g. fixed charges beyond what the
            bands can compensate; if the root lies within 10 kT of the ends of a tabulated DOS (the
            states the table leaves out would decide it); or if a concentration overflows
            (formation energy ≪ 0).
        InputError
            For a chemical-potential key that is not an element symbol (case included).

        Warns
        -----
        ApproximationWarning
            At points where a concentration exceeds its species' site density (a negative formation
            energy: outside the dilute limit the Boltzmann statistics assume).
        """
        self._check_mu(mu_eV)
        T = np.asarray(self.temperature_K if temperature_K is None else temperature_K, float)
        shapes = [T.shape] + [np.shape(v) for v in dict(mu_eV or {}).values()]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            raise InputError(f"temperature and chemical-potential arrays do not broadcast: {shapes}") from None
        if len(shape) > 1:
            raise InputError("solve_batch takes scalars or 1-D arrays of μ and T")
        B = int(np.prod(shape)) if shape else 1
        T = np.broadcast_to(T, (B,)).astype(float)
        if not np.all(np.isfinite(T)) or np.any(T <= 0):
            raise InputError(f"temperature_K must be finite and > 0, got {T[~(np.isfinite(T) & (T > 0))][:3]}")
        if np.any(T > MAX_TEMPERATURE_K):
            raise InputError(f"temperature_K {float(T.max()):g} K: no solid exists above about 4300 K (the highest "
                             f"known melting point), so a defect equilibrium above {MAX_TEMPERATURE_K:g} K is not one")
        kernel = self._kernel()
        mu_mat, mu_out = kernel.mu_matrix(mu_eV, B)
        prep = kernel.prepare(mu_mat, T)
        E, nit = kernel.solve(prep, B)
        scan = kernel.result(E, T, mu_out, prep, nit)
        self._warn_beyond_dilute(scan)
        return scan

    def solve(self, mu_eV: Mapping[str, float] | None = None, temperature_K: float | None = None) -> FermiSolution:
        """Self-consistent Fermi level and concentrations at one (μ, T); see :meth:`solve_batch`.

        Parameters
        ----------
        mu_eV : mapping element → float, optional
            Chemical potentials (eV vs elemental references) overriding the system's defaults.
        temperature_K : float, optional
            Temperature (K); default the system's.

        Returns
        -------
        FermiSolution

        Raises
        ------
        InputError
            For a chemical potential above its elemental reference (μ > 0: the element would
            precipitate), besides the errors of :meth:`solve_batch`.
        """
        for k, v in dict(mu_eV or {}).items():
            if np.ndim(v) != 0:
                raise InputError(f"solve takes scalar chemical potentials; use solve_batch for arrays ({k!r})")
        if temperature_K is not None and np.ndim(temperature_K) != 0:
            raise InputError("solve takes a scalar temperature; use solve_batch for arrays")
        mu = dict(self.mu_eV)
        mu.update(mu_eV or {})
        for k, v in mu.items():
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise InputError(f"{self.source or 'defect system'}: chemical potential of {k} must be a number "
                                 f"(eV), got {v!r}") from None
            if float(v) > 0:
                raise InputError(f"{self.source or 'defect system'}: chemical potential of {k} = {float(v):g} eV is "
                                 f"above its elemental reference (mu = 0): {k} would precipitate as its element; "
                                 "it must be <= 0 eV")
            if float(v) < -MAX_MU_DEPTH_EV:
                raise InputError(f"{self.source or 'defect system'}: chemical potential of {k} = {float(v):g} eV is "
                                 f"further below its elemental reference than any compound's formation enthalpy "
                                 f"allows; it must lie in [-{MAX_MU_DEPTH_EV:g}, 0] eV")
        return self.solve_batch(mu_eV, temperature_K).point(0)

    def scan(self, element: str = "Li", values=None, temperature_K=None, mu_eV=None) -> FermiScan:
        """Brouwer scan: solve over an array of μ_element at fixed or matching T (vectorised).

        Parameters
        ----------
        element : str
            The element whose chemical potential is scanned.
        values : array_like
            μ_element values, eV vs the elemental reference.
        temperature_K : float or array_like, optional
            Temperature(s) in K, broadcast with ``values``.
        mu_eV : mapping element → float, optional
            Other chemical potentials (eV).

        Returns
        -------
        FermiScan
        """
        if values is None:
            raise InputError(f"scan needs values: the chemical potentials of {element!r} to scan (eV)")
        mu = dict(mu_eV or {})
        try:
            mu[element] = np.asarray(values, float)
        except (TypeError, ValueError):
            raise InputError(f"scan values of {element!r} must be numbers (eV), got {values!r}") from None
        return self.solve_batch(mu, temperature_K)

    # ---- direct evaluation at a given Fermi level --------------------------------------------
    def state_at(self, e_fermi, mu_eV=None, temperature_K=None) -> FermiScan:
        """Concentrations, carriers and net charge at a *given* ε_F (not self-consistent).

        Parameters
        ----------
        e_fermi : float or array_like
            ε_F above the VBM, eV.
        mu_eV : mapping element → float or array, optional
            Chemical potentials (eV) overriding the defaults.
        temperature_K : float or array_like, optional
            Temperature(s), K.

        Returns
        -------
        FermiScan
            With zero iterations.
        """
        T = np.asarray(self.temperature_K if temperature_K is None else temperature_K, float)
        E = np.atleast_1d(np.asarray(e_fermi, float))
        shape = np.broadcast_shapes(E.shape, T.shape, *[np.shape(v) for v in dict(mu_eV or {}).values()])
        B = int(np.prod(shape))
        E = np.broadcast_to(E, (B,)).astype(float)
        T = np.broadcast_to(T, (B,)).astype(float)
        kernel = self._kernel()
        mu_mat, mu_out = kernel.mu_matrix(mu_eV, B)
        prep = kernel.prepare(mu_mat, T)
        return kernel.result(E, T, mu_out, prep, np.zeros(B, int))

    def net_charge_cm3(self, e_fermi, mu_eV=None, temperature_K=None):
        """Net charge density (e·cm⁻³, holes and donors positive) at a given ε_F (eV above the VBM)."""
        return self.state_at(e_fermi, mu_eV, temperature_K).net_charge_cm3

    def formation_energy(self, name: str, charge: int, e_fermi, mu_eV=None):
        """ΔH_f in eV of one charge state at ε_F = ``e_fermi`` (eV above the VBM).

        μ (eV) from the system's defaults updated by ``mu_eV``; see :meth:`DefectSpecies.formation_energy`.
        """
        mu = dict(self.mu_eV)
        mu.update(mu_eV or {})
        return self.species_by_name(name).formation_energy(charge, e_fermi, mu)

    # ---- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A mapping in py-sc-fermi's YAML layout (+ ssbands keys); :meth:`from_dict` reads it back."""
        return system_to_mapping(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None,
                  source: str | None = None) -> DefectSystem:
        """Build from a py-sc-fermi-style mapping (see :meth:`from_yaml` for the keys).

        Parameters
        ----------
        data : mapping
            The keys of a py-sc-fermi YAML input (+ ssbands keys).
        base_dir : str or Path, optional
            Where relative files (``dos_file``, ``totdos.dat``, ``unitcell.dat``, ``POSCAR``) are looked up.
        source : str, optional
            Name used in error messages.

        Returns
        -------
        DefectSystem
        """
        return cls(**system_fields_from_mapping(data, base_dir=base_dir, source=source))

    @classmethod
    def from_yaml(cls, path: str | Path, *, dos_file: str | Path | None = None) -> DefectSystem:
        """Read a py-sc-fermi YAML input (optionally with ssbands extensions).

        py-sc-fermi keys: ``bandgap`` (eV), ``temperature`` (K), ``nelect``, ``volume`` (Å³),
        ``spin_pol``, ``dos``/``edos`` (inline DOS), ``defect_species`` (list of
        ``{name, nsites, [fixed_concentration cm⁻³], charge_states: {q: {charge, energy,
        degeneracy, [fixed_concentration cm⁻³]}}}``). Without an inline DOS the DOS is read from
        ``dos_file`` (argument or key), else from ``totdos.dat`` next to the YAML (SC-Fermi format:
        energy then one or two DOS columns); without ``volume`` from ``unitcell.dat`` or ``POSCAR``
        next to it. ssbands extensions: ``bands: {model: parabolic, electron_mass, hole_mass}``,
        per species ``stoichiometry: {Li: -1}`` and ``site_density_cm3``, top-level
        ``chemical_potentials: {Li: -1.0}`` (eV). ``convergence_tolerance`` and ``n_trial_steps``
        are accepted and ignored (the solver converges to machine precision).

        Parameters
        ----------
        path : str or Path
            The YAML file.
        dos_file : str or Path, optional
            DOS file (SC-Fermi ``totdos.dat`` format) when the YAML has no inline DOS.

        Returns
        -------
        DefectSystem
        """
        return cls(**system_fields_from_yaml(path, dos_file=dos_file))

    @classmethod
    def from_sc_fermi(cls, input_file: str | Path, *, volume_A3: float | None = None,
                      unitcell_file: str | Path | None = None, totdos_file: str | Path | None = None,
                      frozen: bool = False) -> DefectSystem:
        """Read SC-Fermi's text inputs (``input-fermi.dat``, ``unitcell.dat``, ``totdos.dat``).

        Parameters
        ----------
        input_file : str or Path
            SC-Fermi's ``input-fermi.dat`` (energies in eV, temperature in K).
        volume_A3 : float, optional
            Cell volume in Å³; default from ``unitcell_file``.
        unitcell_file, totdos_file : str or Path, optional
            Default ``unitcell.dat`` and ``totdos.dat`` next to ``input_file``.
        frozen : bool
            The input file has SC-Fermi's frozen-defect sections (``input-fermi-frozen.dat``).

        Returns
        -------
        DefectSystem
        """
        return cls(**system_fields_from_sc_fermi(input_file, volume_A3=volume_A3, unitcell_file=unitcell_file,
                                                 totdos_file=totdos_file, frozen=frozen))
