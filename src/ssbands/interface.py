r"""The electrode|electrolyte interface kernel: one place for the interface step and its flags.

Every feature that needs the step screened by a space-charge layer — the cell solve, ``ssbands scl``,
interlayer design and the N×M screen — calls this module, so the formula lives once.

Physics (energies in eV, potentials in V, e = 1)
------------------------------------------------
* The electrolyte's bulk vacuum level is tied to the Li⁺ electrochemical potential μ̄_Li⁺ by its
  ionic work function (Swift & Qi, *Phys. Rev. Lett.* 122, 167701 (2019); Swift, Swift & Qi,
  *Nat. Comput. Sci.* 1, 212 (2021)):
  ``E_vac,SE = Φ_Li − μ̄_Li⁺ − φ0^Li``, where φ0^Li is the step of the electrolyte against Li metal.
* An electron conductor M at potential U vs Li/Li⁺ has ``E_F = −U − μ̄_Li⁺`` and ``E_vac = E_F + Φ_M``.
* The vacuum level is continuous across the interface apart from a dipole δ, so the space-charge
  layer screens

  .. math:: φ_0(M|SE) = φ_0^{Li} + (Φ_M − Φ_{Li})/e − U_M − δ,

  independent of which electrode is grounded (de Klerk & Wagemaker, *ACS Appl. Energy Mater.* 2018,
  doi:10.1021/acsaem.8b01141, for the electrochemical-potential balance).
* The electrolyte's Fermi level next to the interface is ``E_F,SE = μ_Li,SE − μ̄_Li⁺`` (μ_Li,SE from the
  closure, :func:`ssbands.thermo.se_mu_li_edges`); above its valence-band maximum,
  ``E_F,SE − E_VBM = μ_Li,SE − Φ_Li + φ0^Li + IP`` (IP: ionization potential). Outside [0, E_g]
  carriers are injected: ``holes`` below the VBM, ``electrons`` above the CBM.
* Decomposition: an electrode potential outside the electrolyte's stability window
  [V_red, V_ox] reduces (U < V_red) or oxidises (U > V_ox) it.

All functions broadcast over arrays (interfaces × states) and never loop in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError

#: Codes of the injection flag (index = code; -1 = unknown).
INJECTION_LABELS = ("none", "holes", "electrons")
#: Codes of the decomposition flag (index = code; -1 = unknown).
DECOMPOSITION_LABELS = ("none", "reduction", "oxidation")


def phi_li(library: Any) -> float:
    """Work function of bcc Li metal, Φ_Li (eV), the reference of every ionic work function.

    Parameters
    ----------
    library : Library
        The material library (its ``Li`` entry).

    Returns
    -------
    float
        Φ_Li in eV.
    """
    return float(library["Li"].get("work_function_eV", "the reference work function Phi_Li of the ionic work function"))


def interface_step(phi0_li_V, work_function_eV, phi_li_eV, potential_V, dipole_V=0.0) -> np.ndarray:
    """Step φ0 (V) screened by the electrolyte's space-charge layer at an electrode|electrolyte interface.

    ``φ0 = φ0^Li + (Φ_M − Φ_Li) − U − δ`` (all arguments broadcast).

    Parameters
    ----------
    phi0_li_V : array_like
        Step of the electrolyte against Li metal, φ0^Li (V).
    work_function_eV : array_like
        Work function of the electrode Φ_M (eV), at its Li content.
    phi_li_eV : array_like
        Work function of Li metal Φ_Li (eV).
    potential_V : array_like
        Electrode potential U vs Li/Li⁺ (V).
    dipole_V : array_like
        Interface dipole step δ from the electrode to the electrolyte (V).

    Returns
    -------
    ndarray
        φ0 = φ∞ − φ(0) in V (> 0: the electrolyte bulk is at the higher potential).
    """
    return (np.asarray(phi0_li_V, float) + (np.asarray(work_function_eV, float) - np.asarray(phi_li_eV, float))
            - np.asarray(potential_V, float) - np.asarray(dipole_V, float))


def se_fermi_above_vbm(mu_li_se_eV, phi_li_eV, phi0_li_V, ionization_potential_eV) -> np.ndarray:
    """Electrolyte Fermi level above its valence-band maximum, E_F,SE − E_VBM (eV).

    ``E_F,SE − E_VBM = μ_Li,SE − Φ_Li + φ0^Li + IP`` (independent of μ̄_Li⁺ and of the ground).

    Parameters
    ----------
    mu_li_se_eV : array_like
        Li chemical potential of the electrolyte next to the interface (eV vs Li metal).
    phi_li_eV : array_like
        Work function of Li metal Φ_Li (eV).
    phi0_li_V : array_like
        Step of the electrolyte against Li metal φ0^Li (V).
    ionization_potential_eV : array_like
        Ionization potential of the electrolyte (eV); NaN gives NaN.

    Returns
    -------
    ndarray
        E_F − E_VBM in eV.
    """
    return ((np.asarray(mu_li_se_eV, float) - np.asarray(phi_li_eV, float)) + np.asarray(phi0_li_V, float)
            + np.asarray(ionization_potential_eV, float))


def injection_code(fermi_above_vbm_eV, band_gap_eV) -> np.ndarray:
    """Injection flag codes: 0 none, 1 holes (E_F below the VBM), 2 electrons (above the CBM), −1 unknown.

    Parameters
    ----------
    fermi_above_vbm_eV : array_like
        E_F − E_VBM of the electrolyte (eV); NaN when unknown.
    band_gap_eV : array_like
        Band gap E_g of the electrolyte (eV); NaN when unknown.

    Returns
    -------
    ndarray of int8
        Codes indexing :data:`INJECTION_LABELS` (−1: unknown).
    """
    pos, gap = np.broadcast_arrays(np.asarray(fermi_above_vbm_eV, float), np.asarray(band_gap_eV, float))
    known = np.isfinite(pos) & np.isfinite(gap)
    with np.errstate(invalid="ignore"):
        code = np.where(pos < 0, 1, np.where(pos > gap, 2, 0))
    return np.where(known, code, -1).astype(np.int8)


def injection_labels(codes) -> np.ndarray:
    """Injection flag labels (``none``, ``holes``, ``electrons``, ``unknown``) from :func:`injection_code`.

    Parameters
    ----------
    codes : array_like of int
        Codes from :func:`injection_code`.

    Returns
    -------
    ndarray of str
    """
    labels = np.array((*INJECTION_LABELS, "unknown"))
    return labels[np.asarray(codes, int)]


def decomposition(potential_V, window_V) -> tuple[np.ndarray, np.ndarray]:
    """Decomposition flag of an electrolyte against an electrode potential, and the violation (V).

    Parameters
    ----------
    potential_V : array_like
        Electrode potential U vs Li/Li⁺ (V).
    window_V : (array_like, array_like)
        Stability window (V_red, V_ox) of the electrolyte (V); NaN when unknown.

    Returns
    -------
    code : ndarray of int8
        Index into :data:`DECOMPOSITION_LABELS` (−1: window unknown).
    violation_V : ndarray
        max(V_red − U, U − V_ox, 0) in V (NaN: window unknown).
    """
    U = np.asarray(potential_V, float)
    vred, vox = (np.asarray(v, float) for v in window_V)
    known = np.isfinite(vred) & np.isfinite(vox)
    with np.errstate(invalid="ignore"):
        code = np.where(U < vred, 1, np.where(U > vox, 2, 0))
        viol = np.maximum(np.maximum(vred - U, U - vox), 0.0)
    shape = np.broadcast_shapes(U.shape, vred.shape, vox.shape)
    return (np.broadcast_to(np.where(known, code, -1).astype(np.int8), shape),
            np.broadcast_to(np.where(known, viol, np.nan), shape))


@dataclass(frozen=True)
class ReferenceState:
    """The state against which ΔCPD is measured.

    Attributes
    ----------
    ocv_V : float
        OCV of the reference state (V).
    label : str
        How it was chosen, e.g. ``"OCV = 0 V"``.
    """

    ocv_V: float
    label: str


def reference_state(reachable_V: tuple[float, float], reference_ocv: float | str = "auto") -> ReferenceState:
    """The ΔCPD reference state of a cell.

    ``"auto"``: OCV = 0 V when the cell can reach it (the discharged state of an as-made thin-film
    cell), otherwise the reachable OCV closest to 0 (e.g. a Li-metal cell). A number is used as given.

    Parameters
    ----------
    reachable_V : (float, float)
        Reachable OCV range (V) of the cell from its stated Li contents.
    reference_ocv : float or "auto"
        The requested reference (V), or ``"auto"``.

    Returns
    -------
    ReferenceState
    """
    if isinstance(reference_ocv, str):
        if reference_ocv != "auto":
            raise InputError(f"reference_ocv must be a number, 'auto' or None, got {reference_ocv!r}")
        lo, hi = reachable_V
        if lo <= 0.0 <= hi:
            return ReferenceState(0.0, "OCV = 0 V")
        v = lo if lo > 0 else hi
        return ReferenceState(float(v), f"lowest reachable OCV = {v:.4g} V (OCV = 0 V is not reachable)")
    v = float(reference_ocv)
    if not np.isfinite(v):
        raise InputError(f"reference_ocv must be finite, got {reference_ocv!r}")
    return ReferenceState(v, f"OCV = {v:g} V")
