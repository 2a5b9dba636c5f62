r"""Impedance spectrum of a stack of regions between two electrodes (any species set).

The equilibrium profile is the finite-electrolyte Poisson solve (:func:`ssbands.scl.finite.solve_stack`)
on a mesh graded toward every boundary; the small-signal problem about it is
:mod:`ssbands.impedance.linear`. Optionally the spectrum is Richardson-extrapolated from the mesh and
its bisection (the scheme is second order in h).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..scl.finite import FiniteSolution, graded_mesh, solve_stack
from ..scl.transport import check_transport_limit
from .linear import ElectrodeBC, PNPNetwork, build_network

__all__ = ["Spectrum", "impedance_mesh", "spectrum", "frequency_grid"]


def frequency_grid(f_min_Hz: float = 1e-2, f_max_Hz: float = 1e9, points: int = 200) -> np.ndarray:
    """Log-spaced frequencies (Hz) from ``f_min_Hz`` to ``f_max_Hz``.

    Parameters
    ----------
    f_min_Hz, f_max_Hz : float
        Frequency range, Hz (0 < f_min < f_max).
    points : int
        Number of frequencies (≥ 2).

    Returns
    -------
    ndarray
        Frequencies, Hz.
    """
    if not (0 < f_min_Hz < f_max_Hz and np.isfinite(f_max_Hz)) or int(points) < 2:
        raise InputError(f"frequencies: need 0 < f_min < f_max (Hz) and points >= 2, got f_min = {float(f_min_Hz):g}, "
                         f"f_max = {float(f_max_Hz):g}, points = {points!r}")
    return np.geomspace(f_min_Hz, f_max_Hz, int(points))


def _region_scale(reg, psi_values) -> float:
    """Smallest length of a region (m): its Debye length or sqrt(εkT/|ρ|) at the boundary potentials."""
    sp = reg.species
    ld = sp.debye_length_m()
    r = np.abs(sp.rho(np.asarray(psi_values, float)))
    r = r[r > 0]
    return float(min(ld, np.sqrt(sp.eps * sp.kt / r.max()) if r.size else np.inf))


def impedance_mesh(regions, phi_left_V: float, phi_right_V: float, *, h_factor: float = 0.05,
                   growth: float = 1.06, bulk_points: int = 60) -> np.ndarray:
    """Mesh (nm) for the impedance: graded from every region boundary, coarse in the bulk.

    Parameters
    ----------
    regions : sequence of ssbands.scl.finite.Region
        The stack.
    phi_left_V, phi_right_V : float
        Electrode potentials of the equilibrium (same reference as the regions' bulk potentials), V.
    h_factor : float
        First spacing at each boundary = h_factor × the region's smallest length (Debye length, or the
        curvature length sqrt(εkT/|ρ|) at the boundary potentials).
    growth : float
        Geometric growth of the spacing away from a boundary.
    bulk_points : int
        The largest spacing is the region thickness / bulk_points (the bulk response is smooth on the
        scale of the Debye length; diffusion layers sqrt(D/ω) are resolved down to a few spacings).

    Returns
    -------
    ndarray
        Nodes in nm, from 0 to the total thickness, with every region boundary a node.
    """
    allphi = [phi_left_V, phi_right_V] + [r.bulk_potential_V for r in regions]
    xs, x0 = [np.zeros(1)], 0.0
    for reg in regions:
        L = reg.thickness_nm * 1e-9
        s = _region_scale(reg, np.array(allphi) - reg.bulk_potential_V)
        xm = graded_mesh(L, h_factor * s, growth, L / max(int(bulk_points), 8))
        xs.append(x0 + xm[1:])
        x0 += L
    return np.concatenate(xs) * 1e9


@dataclass(frozen=True)
class Spectrum:
    """An impedance spectrum of a stack and what it was computed from.

    Attributes
    ----------
    frequency_Hz : ndarray
    Z_ohm_cm2 : ndarray of complex
        Impedance times electrode area, Ω cm² (capacitive arcs: Im Z < 0).
    R_dc_ohm_cm2 : float
        DC resistance (inf when no carrier passes both electrodes).
    network : PNPNetwork
        The discrete small-signal problem (coarse mesh).
    equilibrium : FiniteSolution
        The equilibrium profile (coarse mesh).
    parameters : dict
        Transport limit, electrode conditions, mesh size, extrapolation.
    """

    frequency_Hz: np.ndarray
    Z_ohm_cm2: np.ndarray
    R_dc_ohm_cm2: float
    network: PNPNetwork
    equilibrium: FiniteSolution
    parameters: dict = field(default_factory=dict)


def _bisect(x):
    xf = np.empty(2 * x.size - 1)
    xf[0::2] = x
    xf[1::2] = 0.5 * (x[1:] + x[:-1])
    return xf


def _one_mesh(regions, phi_left_V, phi_right_V, mesh, omegas, transport, left, right, exchange):
    sol = solve_stack(regions, phi_left_V, phi_right_V, mesh_nm=mesh, richardson=False)
    edge_reg = sol.region_index[:-1]
    net = build_network(sol.x_nm, sol.phi_V, sol.regions, edge_reg, transport, left, right, exchange)
    return net, sol, net.solve(omegas)


def spectrum(regions, phi_left_V: float, phi_right_V: float, frequencies_Hz, *,
             left: ElectrodeBC | None = None, right: ElectrodeBC | None = None,
             transport: str = "local-equilibrium", exchange_rate_cm3_s: float | None = None, mesh_nm=None,
             richardson: bool = False, mesh_options: dict | None = None) -> Spectrum:
    """Impedance of regions between two electrodes about their equilibrium (any species set).

    Parameters
    ----------
    regions : sequence of ssbands.scl.finite.Region
        Left to right; each species' ``diffusivity_cm2_s`` sets its mobility.
    phi_left_V, phi_right_V : float
        Equilibrium electrode potentials (V, the regions' reference), e.g. −φ0 of each interface for one
        electrolyte referred to its bulk.
    frequencies_Hz : array_like
        Frequencies, Hz (> 0).
    left, right : ElectrodeBC
        Electrode conditions (default blocking).
    transport : {"local-equilibrium", "independent"}
        Transport limit (merged ionic rail, or one rail per species).
    exchange_rate_cm3_s : float, optional
        Frenkel exchange rate between the two ionic carriers (``independent`` only), cm⁻³ s⁻¹.
    mesh_nm : array_like, optional
        Mesh nodes (default :func:`impedance_mesh`).
    richardson : bool
        Extrapolate from the mesh and its bisection (4 Z_fine − Z)/3 (slower, ~O(h⁴)).
    mesh_options : dict, optional
        Keyword arguments of :func:`impedance_mesh`.

    Returns
    -------
    Spectrum
    """
    check_transport_limit(transport)
    if exchange_rate_cm3_s is not None and transport != "independent":
        raise InputError("a finite exchange rate applies to transport='independent' (local equilibrium is the "
                         "infinitely fast exchange)")
    f = np.atleast_1d(np.asarray(frequencies_Hz, float))
    if f.size == 0 or np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise InputError("frequencies must be finite and > 0 Hz")
    left = left or ElectrodeBC()
    right = right or ElectrodeBC()
    regions = tuple(regions)
    mesh = impedance_mesh(regions, phi_left_V, phi_right_V, **(mesh_options or {})) if mesh_nm is None \
        else np.asarray(mesh_nm, float)
    om = 2 * np.pi * f
    net, sol, Z = _one_mesh(regions, phi_left_V, phi_right_V, mesh, om, transport, left, right, exchange_rate_cm3_s)
    rdc = net.dc_resistance()
    if richardson:
        netf, _, Zf = _one_mesh(regions, phi_left_V, phi_right_V, _bisect(mesh), om, transport, left, right,
                                exchange_rate_cm3_s)
        Z = (4.0 * Zf - Z) / 3.0
        rdc_f = netf.dc_resistance()
        rdc = (4.0 * rdc_f - rdc) / 3.0 if np.isfinite(rdc) else rdc
    params = {"transport": transport, "left": left.kind, "right": right.kind, "nodes": int(mesh.size),
              "richardson": bool(richardson), "exchange_rate_cm3_s": exchange_rate_cm3_s}
    return Spectrum(f, Z * 1e4, float(rdc) * 1e4, net, sol, params)
