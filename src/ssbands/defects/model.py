"""The defect model: charge states, defect species and the host's bands (parabolic or a tabulated DOS).

Formation energies follow ΔH_f(X^q; ε_F, μ) = E0(X^q) + q·ε_F − Σ_i n_i μ_i with ε_F above the VBM
and μ_i vs the elemental references (μ_Li = 0 for bcc Li); see :mod:`ssbands.defects`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._numerics import effective_density_of_states_cm3
from ..errors import InputError
from ._validate import frozen_array, integer, number

__all__ = ["ChargeState", "DefectSpecies", "ParabolicBands", "TabulatedDOS"]


@dataclass(frozen=True)
class ChargeState:
    """One charge state of a defect.

    Parameters
    ----------
    charge : int
        q in units of e (a donor that gave up one electron has q = +1).
    energy : float or None
        E0, the formation energy in eV at ε_F = E_VBM and all μ_i = 0 (py-sc-fermi's ``energy``).
        May be None only for a charge state with a fixed concentration.
    degeneracy : float
        g_q > 0 (spin and orientational degeneracy).
    fixed_concentration_cm3 : float or None
        If given, this charge state's concentration (cm⁻³) does not follow ε_F.
    """

    charge: int
    energy: float | None = None
    degeneracy: float = 1.0
    fixed_concentration_cm3: float | None = None

    def __post_init__(self):
        where = f"charge state {self.charge!r}"
        object.__setattr__(self, "charge", integer(where, self.charge))
        where = f"charge state {self.charge:+d}"
        object.__setattr__(self, "energy", number(where, "energy", self.energy, allow_none=True))
        object.__setattr__(self, "degeneracy", number(where, "degeneracy", self.degeneracy, positive=True))
        object.__setattr__(self, "fixed_concentration_cm3",
                           number(where, "fixed_concentration", self.fixed_concentration_cm3,
                                nonneg=True, allow_none=True))
        if self.energy is None and self.fixed_concentration_cm3 is None:
            raise InputError(f"{where}: give either 'energy' (formation energy at the VBM, eV) or "
                             "'fixed_concentration' (cm^-3)")

    @property
    def is_fixed(self) -> bool:
        """True when this charge state's concentration is fixed (does not follow ε_F)."""
        return self.fixed_concentration_cm3 is not None

    def to_dict(self) -> dict:
        """py-sc-fermi's charge-state mapping.

        Returns
        -------
        dict
            ``charge``, ``energy`` (eV), ``degeneracy`` [, ``fixed_concentration`` (cm⁻³)].
        """
        d: dict[str, Any] = {"charge": self.charge, "energy": self.energy, "degeneracy": self.degeneracy}
        if self.fixed_concentration_cm3 is not None:
            d["fixed_concentration"] = self.fixed_concentration_cm3
        return d


@dataclass(frozen=True)
class DefectSpecies:
    """A defect species with its charge states.

    Parameters
    ----------
    name : str
        Unique label, e.g. ``"V_Li"``.
    charge_states : sequence of ChargeState
        At least one; charges must be distinct.
    nsites : float, optional
        Number of equivalent sites per cell (needs the system's cell volume).
    site_density_cm3 : float, optional
        Site density in cm⁻³ (alternative to ``nsites``).
    stoichiometry : mapping element → int, optional
        n_i, atoms of element i *added* to form the defect (V_Li: {"Li": -1}); enters ΔH_f as
        −Σ n_i μ_i.
    fixed_concentration_cm3 : float, optional
        Frozen (quenched) total concentration in cm⁻³; the charge states still follow ε_F.
    """

    name: str
    charge_states: tuple[ChargeState, ...]
    nsites: float | None = None
    site_density_cm3: float | None = None
    stoichiometry: Mapping[str, int] = field(default_factory=dict)
    fixed_concentration_cm3: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"defect species: field 'name' must be a non-empty string, got {self.name!r}")
        where = f"defect {self.name!r}"
        cs = tuple(self.charge_states)
        if not cs:
            raise InputError(f"{where}: field 'charge_states' must list at least one charge state")
        for c in cs:
            if not isinstance(c, ChargeState):
                raise InputError(f"{where}: charge_states must be ChargeState objects, got {c!r}")
        qs = [c.charge for c in cs]
        if len(set(qs)) != len(qs):
            raise InputError(f"{where}: charge states repeat a charge: {qs}")
        object.__setattr__(self, "charge_states", cs)
        object.__setattr__(self, "nsites", number(where, "nsites", self.nsites, positive=True, allow_none=True))
        object.__setattr__(self, "site_density_cm3",
                           number(where, "site_density_cm3", self.site_density_cm3, positive=True, allow_none=True))
        if self.nsites is not None and self.site_density_cm3 is not None:
            raise InputError(f"{where}: give 'nsites' (per cell) or 'site_density_cm3', not both")
        object.__setattr__(self, "fixed_concentration_cm3",
                           number(where, "fixed_concentration", self.fixed_concentration_cm3,
                                nonneg=True, allow_none=True))
        st = {}
        for el, n in dict(self.stoichiometry or {}).items():
            st[str(el)] = integer(f"{where}: stoichiometry[{el!r}]", n)
        object.__setattr__(self, "stoichiometry", MappingProxyType(st))
        variable = [c for c in cs if not c.is_fixed]
        if variable and self.fixed_concentration_cm3 is None and self.nsites is None \
                and self.site_density_cm3 is None:
            raise InputError(f"{where}: give 'nsites' (sites per cell) or 'site_density_cm3' "
                             "(its charge states are not all fixed)")
        if self.fixed_concentration_cm3 is not None:
            fixed_sum = sum(c.fixed_concentration_cm3 for c in cs if c.is_fixed)
            if fixed_sum > self.fixed_concentration_cm3 * (1 + 1e-12):
                raise InputError(f"{where}: fixed charge-state concentrations ({fixed_sum:g} cm^-3) exceed "
                                 f"the species' fixed total ({self.fixed_concentration_cm3:g} cm^-3)")

    @property
    def charges(self) -> tuple[int, ...]:
        """The charges q (units of e) of the charge states, in input order."""
        return tuple(c.charge for c in self.charge_states)

    def charge_state(self, q: int) -> ChargeState:
        """The charge state of charge ``q`` (units of e); InputError if the species has none."""
        for c in self.charge_states:
            if c.charge == q:
                return c
        raise InputError(f"defect {self.name!r} has no charge state {q:+d} (has {list(self.charges)})")

    def formation_energy(self, q: int, e_fermi, mu: Mapping[str, float] | None = None):
        """ΔH_f = E0 + q·ε_F − Σ n_i μ_i of one charge state.

        Parameters
        ----------
        q : int
            Charge (units of e).
        e_fermi : float or array_like
            ε_F above the VBM, eV.
        mu : mapping element → float, optional
            Chemical potentials μ_i in eV vs the elemental references (missing elements: 0).

        Returns
        -------
        ndarray
            ΔH_f in eV, the shape of ``e_fermi``.
        """
        c = self.charge_state(q)
        if c.energy is None:
            raise InputError(f"defect {self.name!r} {q:+d}: no 'energy' given (fixed concentration only)")
        mu = mu or {}
        shift = sum(n * float(mu.get(el, 0.0)) for el, n in self.stoichiometry.items())
        return c.energy + q * np.asarray(e_fermi, float) - shift

    def to_dict(self) -> dict:
        """py-sc-fermi's species mapping (+ ssbands keys ``site_density_cm3``, ``stoichiometry``)."""
        d: dict[str, Any] = {"name": self.name}
        if self.nsites is not None:
            d["nsites"] = self.nsites
        if self.site_density_cm3 is not None:
            d["site_density_cm3"] = self.site_density_cm3
        if self.stoichiometry:
            d["stoichiometry"] = dict(self.stoichiometry)
        if self.fixed_concentration_cm3 is not None:
            d["fixed_concentration"] = self.fixed_concentration_cm3
        d["charge_states"] = {c.charge: c.to_dict() for c in self.charge_states}
        return d


@dataclass(frozen=True)
class ParabolicBands:
    """Parabolic valence and conduction bands with density-of-states effective masses.

    Parameters
    ----------
    band_gap_eV : float
        E_g ≥ 0; the CBM is at ε = E_g above the VBM.
    electron_mass : float
        m_e*/m_0 > 0 (DOS mass, including valley degeneracy).
    hole_mass : float
        m_h*/m_0 > 0.

    Notes
    -----
    N_c = 2 (2π m_e k_B T / h²)^{3/2} (cm⁻³); n = N_c F_{1/2}((ε_F − E_g)/kT),
    p = N_v F_{1/2}(−ε_F/kT) (Sze & Ng, *Physics of Semiconductor Devices*, 3rd ed., §1.4).
    """

    band_gap_eV: float
    electron_mass: float = 1.0
    hole_mass: float = 1.0

    def __post_init__(self):
        w = "bands (parabolic)"
        object.__setattr__(self, "band_gap_eV", number(w, "bandgap", self.band_gap_eV, nonneg=True))
        object.__setattr__(self, "electron_mass", number(w, "electron_mass", self.electron_mass, positive=True))
        object.__setattr__(self, "hole_mass", number(w, "hole_mass", self.hole_mass, positive=True))

    def effective_dos_cm3(self, temperature_K, mass):
        """N = 2 (2π m k_B T / h²)^{3/2} in cm⁻³ at ``temperature_K`` (K) for the mass ratio ``mass`` (m/m_0)."""
        return effective_density_of_states_cm3(temperature_K, mass)

    def to_dict(self) -> dict:
        """The ssbands ``bands`` mapping: ``{model: parabolic, electron_mass, hole_mass}``."""
        return {"model": "parabolic", "electron_mass": self.electron_mass, "hole_mass": self.hole_mass}


@dataclass(frozen=True, eq=False)
class TabulatedDOS:
    """A tabulated total density of states (states/eV per cell), as read by SC-Fermi/py-sc-fermi.

    ``dos`` holds the normalised DOS; :meth:`to_dict` writes the DOS as given (with ``nelect``).

    Parameters
    ----------
    energies_eV : array_like
        Strictly increasing energies with the VBM at 0 (must bracket 0).
    dos : array_like
        States/eV per cell (≥ 0); for ``spin_polarised`` a (2, n) array summed over spin.
    band_gap_eV : float
        E_g ≥ 0, at most the largest energy.
    nelect : float, optional
        If given, the DOS is normalised (py-sc-fermi's rule) so that its trapezoid integral from the
        first energy up to mid-gap equals ``nelect``.

    Notes
    -----
    Holes are integrated over the grid points up to mid-gap (index ``max(mid, i_VBM + 1)``), electrons
    from mid-gap (index ``min(mid, i_CBM − 1) + 1``) on, where ``i_VBM``/``i_CBM`` are the grid points
    nearest 0 and E_g, exactly as py-sc-fermi 2.x does, so that both codes give the same numbers.
    """

    energies_eV: np.ndarray
    dos: np.ndarray
    band_gap_eV: float
    nelect: float | None = None
    spin_polarised: bool = False
    # set in __post_init__: the DOS as given, and the ends of the hole/electron windows (grid indices)
    _raw_dos: np.ndarray = field(init=False, repr=False, compare=False)
    _ip: int = field(init=False, repr=False, compare=False)
    _in: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        w = "DOS"
        e = frozen_array(w, "edos", self.energies_eV)
        d = np.array(self.dos, dtype=float)
        if self.spin_polarised:
            if d.ndim != 2 or d.shape[0] != 2:
                raise InputError(f"{w}: spin-polarised 'dos' must be two lists (up, down)")
            d = d.sum(axis=0)
        d = frozen_array(w, "dos", d)
        object.__setattr__(self, "_raw_dos", d)
        if e.ndim != 1 or d.shape != e.shape:
            raise InputError(f"{w}: 'dos' and 'edos' must be lists of equal length, got {d.shape} and {e.shape}")
        if e.size < 3 or np.any(np.diff(e) <= 0):
            raise InputError(f"{w}: 'edos' must be strictly increasing with at least 3 points")
        if np.any(d < 0):
            raise InputError(f"{w}: 'dos' has negative values (first at energy {e[np.argmax(d < 0)]:g} eV)")
        if not (e[0] <= 0.0 <= e[-1]):
            raise InputError(f"{w}: 'edos' must bracket 0 (the VBM), got [{e[0]:g}, {e[-1]:g}] eV")
        gap = number(w, "bandgap", self.band_gap_eV, nonneg=True)
        if gap > e[-1]:
            raise InputError(f"{w}: 'bandgap' {gap:g} eV exceeds the largest DOS energy {e[-1]:g} eV")
        nelect = number(w, "nelect", self.nelect, positive=True, allow_none=True)
        object.__setattr__(self, "energies_eV", e)
        object.__setattr__(self, "band_gap_eV", gap)
        object.__setattr__(self, "nelect", nelect)
        i_v = int(np.argmin(np.abs(e)))
        i_c = int(np.argmin(np.abs(e - gap)))
        mid = (i_v + i_c) // 2
        ip = max(mid, i_v + 1)
        i_n = min(mid, i_c - 1) + 1
        if nelect is not None:
            integral = float(np.sum(_trapz_weights(e[:ip]) * d[:ip]))
            if not integral > 0:
                raise InputError(f"{w}: the DOS integrates to zero below mid-gap, cannot normalise to nelect")
            d = d * (nelect / integral)
        d.setflags(write=False)
        object.__setattr__(self, "dos", d)
        object.__setattr__(self, "_ip", ip)
        object.__setattr__(self, "_in", i_n)

    def band_weights(self):
        """Hole and electron states with their trapezoid weights.

        Returns
        -------
        tuple of ndarray
            (E_h, a_h, E_e, a_e): state energies (eV above the VBM) and states per cell of the hole
            and electron windows.
        """
        e, d = self.energies_eV, self.dos
        ip, i_n = self._ip, self._in
        return e[:ip], _trapz_weights(e[:ip]) * d[:ip], e[i_n:], _trapz_weights(e[i_n:]) * d[i_n:]

    def to_dict(self) -> dict:
        """py-sc-fermi's inline DOS keys: ``edos`` (eV), ``dos`` as given (states/eV/cell), ``nelect``."""
        d = {"edos": self.energies_eV.tolist(), "dos": self._raw_dos.tolist(), "spin_pol": False}
        if self.nelect is not None:
            d["nelect"] = self.nelect
        return d


def _trapz_weights(x):
    """Trapezoid-rule weights of the grid ``x`` (same unit as ``x``)."""
    x = np.asarray(x, float)
    w = np.zeros_like(x)
    if x.size < 2:
        return w
    dx = np.diff(x)
    w[:-1] += 0.5 * dx
    w[1:] += 0.5 * dx
    return w


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
