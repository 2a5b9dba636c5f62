r"""Finite electrolytes and overlapping space-charge layers: a 1D boundary-value solve.

The two-defect model is that of Swift, Swift & Qi, Nat. Comput. Sci. 1, 212 (2021).

The stack is a list of :class:`Region` s (an interlayer, an electrolyte, ...) between two electrodes.
The unknown is the electrostatic potential φ(x) (V, any common reference); region X holds the species
set ``species`` whose energies are referred to the potential ``bulk_potential_V`` (its neutral-bulk
potential φ_X∞), so its charge density is ρ_X(φ − φ_X∞). Poisson's equation

    d/dx (ε_r(x) ε_0 dφ/dx) = −ρ(x)

is discretised by finite volumes on a graded mesh (nodes on every region boundary, spacing growing
geometrically away from each boundary), which makes the electric displacement D = −ε_rε_0 φ' continuous
at a junction between two materials (no interface charge) and keeps φ continuous (no dipole). The
boundary conditions are Dirichlet at the electrodes (φ(0) = ``phi_left_V``, φ(L) = ``phi_right_V``) or
zero field at the right end (``right="neumann"``: the mid-plane of a symmetric cell, or a bulk end).

The nonlinear system is solved by damped Newton (logarithmic damping of the update in units of kT/e)
with its tridiagonal Jacobian factorised by :func:`scipy.linalg.solve_banded`; the initial guess is
the superposition of the semi-infinite first-integral layers (:meth:`~ssbands.scl.species.SpeciesSet.layer`),
and when Newton fails from it, continuation in the boundary values. Failure raises
:class:`~ssbands.errors.ConvergenceError` carrying the residual history and the parameters.

Charges: ``sigma_left_C_per_m2`` and ``sigma_right_C_per_m2`` are the electrodes' surface charges
(σ_L = −ε_rε_0 φ'(0), σ_R = +ε_rε_0 φ'(L)), ``charge_C_per_m2`` the charge per area of each region;
their sum is zero (the whole cell is neutral) to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.linalg import solve_banded

from ..constants import EPS0
from ..errors import ConvergenceError, InputError
from .species import SpeciesSet, two_defect_species

__all__ = ["Region", "FiniteSolution", "graded_mesh", "solve_stack", "solve_finite_layer",
           "solve_interlayer_stack", "two_defect_region"]


@dataclass(frozen=True)
class Region:
    """One layer of the stack.

    Parameters
    ----------
    name : str
        Label (``"LiF"``, ``"LLZO"``).
    thickness_nm : float
        Thickness, nm (> 0).
    species : SpeciesSet
        Its charged species, permittivity and temperature.
    bulk_potential_V : float
        The potential (same reference as the boundary values) at which its species' energies are given —
        the potential its bulk would take if it were thick (φ_X∞), V.
    """

    name: str
    thickness_nm: float
    species: SpeciesSet
    bulk_potential_V: float = 0.0

    def __post_init__(self):
        if not (np.isfinite(self.thickness_nm) and self.thickness_nm > 0):
            raise InputError(f"region {self.name!r}: thickness_nm must be > 0, got {self.thickness_nm!r}")
        if not np.isfinite(self.bulk_potential_V):
            raise InputError(f"region {self.name!r}: bulk_potential_V must be finite")


def two_defect_region(name, thickness_nm, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1,
                      temperature_K=300.0, bulk_potential_V=0.0, diffusivity_cm2_s=None) -> Region:
    """A region holding the two-defect (Li_i⁺, V_Li⁻) model (Swift, Swift & Qi 2021)."""
    sp = SpeciesSet(two_defect_species(site_density_cm3, defect_energy_eV, alpha, diffusivity_cm2_s),
                    permittivity, temperature_K)
    return Region(name, thickness_nm, sp, bulk_potential_V)


def graded_mesh(thickness_m: float, h0_m: float, ratio: float = 1.03, hmax_m: float | None = None) -> np.ndarray:
    """Nodes on [0, thickness]: spacing h0 at both ends growing by ``ratio`` per cell up to ``hmax``.

    Returns an increasing array that starts at 0 and ends at ``thickness_m`` (m).
    """
    L = float(thickness_m)
    hmax = L / 8.0 if hmax_m is None else min(hmax_m, L / 8.0)
    h0 = min(h0_m, hmax, L / 16.0)
    # one side: spacings h0·r^k until hmax, then hmax
    half = 0.5 * L
    hs = []
    s = 0.0
    h = h0
    while s + h < half:
        hs.append(h)
        s += h
        h = min(h * ratio, hmax)
    xs = np.concatenate([[0.0], np.cumsum(hs)])
    # mirror: left ramp up to ~half, right ramp mirrored; middle gap closed by the last spacing
    left = xs[xs < half]
    right = L - left[::-1]
    x = np.concatenate([left, right])
    # merge a too-small middle gap
    mid = len(left)
    if x[mid] - x[mid - 1] < 0.5 * (x[mid - 1] - x[mid - 2] if mid >= 2 else h0):
        x = np.concatenate([x[:mid - 1], [0.5 * (x[mid - 1] + x[mid])], x[mid + 1:]])
    x[0], x[-1] = 0.0, L
    return x


@dataclass(frozen=True)
class FiniteSolution:
    """Solution of a finite stack (arrays in SI unless named otherwise)."""

    x_nm: np.ndarray
    phi_V: np.ndarray
    region_index: np.ndarray  # region of the edge to the right of each node (last node: last region)
    regions: tuple
    boundaries_nm: np.ndarray
    sigma_left_C_per_m2: float
    sigma_right_C_per_m2: float
    charge_C_per_m2: np.ndarray  # per region
    iterations: int
    residual_history: tuple
    parameters: dict = field(default_factory=dict)

    @property
    def total_charge_C_per_m2(self) -> float:
        """σ_L + σ_R + Σ regions: zero for a neutral cell (Gauss)."""
        return float(self.sigma_left_C_per_m2 + self.sigma_right_C_per_m2 + np.sum(self.charge_C_per_m2))

    def region_nodes(self, k: int) -> slice:
        """Slice of the nodes of region k (both boundary nodes included)."""
        b = self.boundaries_nm
        i0 = int(np.searchsorted(self.x_nm, b[k] - 1e-12 * max(b[-1], 1.0), side="left"))
        i1 = int(np.searchsorted(self.x_nm, b[k + 1] + 1e-12 * max(b[-1], 1.0), side="right"))
        return slice(i0, i1)

    def potential(self, x_nm):
        """φ(x) in V by a cubic spline through the nodes of the region holding x."""
        x = np.asarray(x_nm, float)
        out = np.empty(x.shape)
        b = self.boundaries_nm
        if np.any(x < b[0]) or np.any(x > b[-1]):
            raise InputError(f"positions must lie in [0, {b[-1]:g}] nm")
        k = np.clip(np.searchsorted(b, x, side="right") - 1, 0, len(self.regions) - 1)
        for r in range(len(self.regions)):
            m = k == r
            if np.any(m):
                sl = self.region_nodes(r)
                out[m] = CubicSpline(self.x_nm[sl], self.phi_V[sl])(x[m])
        return out

    def concentrations(self, k: int):
        """Concentrations (cm⁻³) of region k's species at its nodes: (x_nm, [c per species])."""
        sl = self.region_nodes(k)
        reg = self.regions[k]
        return self.x_nm[sl], reg.species.concentrations(self.phi_V[sl] - reg.bulk_potential_V)


def _region_scale(sp: SpeciesSet, psi_values) -> float:
    """Smallest physical length (m) of a region: Debye length or the kT-curvature length at the boundaries."""
    ld = sp.debye_length_m()
    r = np.abs(sp.rho(np.asarray(psi_values, float)))
    r = r[r > 0]
    ls = np.sqrt(sp.eps * sp.kt / r.max()) if r.size else np.inf
    return float(min(ld, ls))


def _build_mesh(regions, psi_bounds, h_factor, ratio, hmax_factor):
    xs, reg_of_edge = [np.zeros(1)], []
    x0 = 0.0
    for k, reg in enumerate(regions):
        L = reg.thickness_nm * 1e-9
        sc = _region_scale(reg.species, psi_bounds[k])
        hmax = max(hmax_factor * reg.species.debye_length_m(), 40 * sc * h_factor)
        xm = graded_mesh(L, h_factor * sc, ratio, hmax)
        xs.append(x0 + xm[1:])
        reg_of_edge.append(np.full(len(xm) - 1, k))
        x0 += L
    return np.concatenate(xs), np.concatenate(reg_of_edge)


def _initial_guess(x, edge_reg, regions, bounds, phi_left, phi_right, right):
    """Superposition of semi-infinite first-integral layers, region by region."""
    phi = np.empty_like(x)
    start = phi_left
    for k, reg in enumerate(regions):
        a, b = bounds[k], bounds[k + 1]
        m = (x >= a - 1e-18) & (x <= b + 1e-18)
        xl = (x[m] - a) * 1e9
        xr = (b - x[m]) * 1e9
        sp = reg.species
        pb = reg.bulk_potential_V
        left = sp.layer(pb - start).potential(xl) if abs(pb - start) > 0 else 0.0
        if k == len(regions) - 1:
            end = phi_right if right == "dirichlet" else pb
        else:
            end = regions[k + 1].bulk_potential_V  # a junction: aim at the next bulk, refined by Newton
            end = 0.5 * (pb + end)
        rlayer = sp.layer(pb - end).potential(xr) if abs(pb - end) > 0 else 0.0
        phi[m] = pb + left + rlayer
        start = phi[m][-1]
    phi[0] = phi_left
    if right == "dirichlet":
        phi[-1] = phi_right
    return phi


def _newton(x, edge_reg, regions, phi, phi_left, phi_right, right, max_iter, tol_V, history):
    n = len(x)
    h = np.diff(x)
    eps_e = np.array([regions[k].species.permittivity for k in edge_reg])  # relative, per edge
    c = eps_e / h  # ε_r / h per edge
    kts = min(r.species.kt for r in regions)
    # per node: contributions of the left edge's and the right edge's material (half cells)
    vol_l = np.concatenate([[0.0], 0.5 * h])  # from edge i-1
    vol_r = np.concatenate([0.5 * h, [0.0]])  # from edge i
    reg_l = np.concatenate([[edge_reg[0]], edge_reg])
    reg_r = np.concatenate([edge_reg, [edge_reg[-1]]])
    groups = []
    for k, reg in enumerate(regions):
        nodes = np.nonzero(((reg_l == k) & (vol_l > 0)) | ((reg_r == k) & (vol_r > 0)))[0]
        w = np.where(reg_l[nodes] == k, vol_l[nodes], 0.0) + np.where(reg_r[nodes] == k, vol_r[nodes], 0.0)
        groups.append((nodes, w / EPS0, reg))

    def residual(p, jac=False):
        flux = c * np.diff(p)  # ε_r (φ_{i+1} − φ_i)/h
        F = np.zeros(n)
        F[:-1] += flux
        F[1:] -= flux
        d = np.zeros(n)
        for nodes, w, reg in groups:
            if jac:
                r, dr = reg.species.rho(p[nodes] - reg.bulk_potential_V, derivative=True)
                np.add.at(d, nodes, w * dr)
            else:
                r = reg.species.rho(p[nodes] - reg.bulk_potential_V)
            np.add.at(F, nodes, w * r)
        if not jac:
            return F
        diag = -np.concatenate([c, [0.0]]) - np.concatenate([[0.0], c]) + d
        return F, diag

    free = np.ones(n, bool)
    free[0] = False
    if right == "dirichlet":
        free[-1] = False
    idx = np.nonzero(free)[0]
    i0, i1 = idx[0], idx[-1] + 1
    for it in range(1, max_iter + 1):
        F, diag = residual(phi, jac=True)
        Fs = F[i0:i1]
        scale = np.abs(c[i0 - 1:i1 - 1]) + np.abs(c[i0:i1] if i1 <= n - 1 else np.concatenate([c[i0:], [0.0]]))
        history.append(float(np.max(np.abs(Fs) / (scale * kts))))
        m = i1 - i0
        ab = np.zeros((3, m))
        ab[1] = diag[i0:i1]
        ab[0, 1:] = c[i0:i1 - 1]
        ab[2, :-1] = c[i0:i1 - 1]
        try:
            delta = solve_banded((1, 1), ab, -Fs, check_finite=True)
        except (np.linalg.LinAlgError, ValueError) as exc:
            return phi, it, False, f"singular Jacobian: {exc}"
        # logarithmic damping in units of kT/e
        damped = np.sign(delta) * kts * np.log1p(np.abs(delta) / kts)
        phi = phi.copy()
        phi[i0:i1] += damped
        if not np.all(np.isfinite(phi)):
            return phi, it, False, "non-finite potential"
        if np.max(np.abs(delta)) < tol_V:
            return phi, it, True, ""
    return phi, max_iter, False, "maximum number of Newton iterations reached"


def _solve_on_mesh(x, edge_reg, regions, bounds, phi, phi_left_V, pr, right, max_iter, tol_V, history, params):
    sol, it, ok, why = _newton(x, edge_reg, regions, phi, phi_left_V, pr, right, max_iter, tol_V, history)
    total_it = it
    if not ok:  # continuation in the boundary values from the flat (bulk) state
        ref = regions[0].bulk_potential_V
        sol = None
        for s in np.linspace(0.0, 1.0, 9)[1:]:
            pl = ref + s * (phi_left_V - ref)
            prr = regions[-1].bulk_potential_V + s * (pr - regions[-1].bulk_potential_V)
            start = sol if sol is not None else _initial_guess(x, edge_reg, regions, bounds, pl, prr, right)
            start = start.copy()
            start[0] = pl
            if right == "dirichlet":
                start[-1] = prr
            sol, it, ok, why = _newton(x, edge_reg, regions, start, pl, prr, right, max_iter, tol_V, history)
            total_it += it
            if not ok:
                break
    if not ok:
        raise ConvergenceError(f"finite space-charge solve did not converge ({why})",
                               {"residual_history": history[-12:], "iterations": total_it, **params})
    return sol, total_it


def _charges(x, edge_reg, regions, sol, right):
    """Electrode charges and region charges per area (C/m²), consistent with the discrete scheme."""
    h = np.diff(x)
    eps_e = np.array([regions[k].species.permittivity for k in edge_reg]) * EPS0
    q = np.zeros(len(regions))
    for k, reg in enumerate(regions):
        il = np.nonzero(edge_reg == k)[0]
        rl = reg.species.rho(sol[il] - reg.bulk_potential_V)
        rr = reg.species.rho(sol[il + 1] - reg.bulk_potential_V)
        q[k] = np.sum(0.5 * h[il] * (rl + rr))
    reg0, regn = regions[0], regions[-1]
    rho0 = float(reg0.species.rho(sol[0] - reg0.bulk_potential_V))
    rhon = float(regn.species.rho(sol[-1] - regn.bulk_potential_V))
    sig_l = -(eps_e[0] * (sol[1] - sol[0]) / h[0] + 0.5 * h[0] * rho0)
    sig_r = eps_e[-1] * (sol[-1] - sol[-2]) / h[-1] - 0.5 * h[-1] * rhon if right == "dirichlet" else 0.0
    return float(sig_l), float(sig_r), q


def solve_stack(regions, phi_left_V: float, phi_right_V: float | None = None, *, right: str = "dirichlet",
                h_factor: float = 0.02, ratio: float = 1.03, hmax_factor: float = 0.25, max_iter: int = 200,
                tol_V: float = 1e-13, initial=None, richardson: bool = True, mesh_nm=None) -> FiniteSolution:
    """Solve Poisson's equation through a stack of regions between two electrodes.

    Parameters
    ----------
    regions : sequence of Region
        Left to right.
    phi_left_V : float
        φ at the left electrode, V.
    phi_right_V : float, optional
        φ at the right electrode, V (``right="dirichlet"``).
    right : {"dirichlet", "neumann"}
        Right boundary: a fixed potential, or zero field (symmetric cell mid-plane, or a bulk end).
    h_factor, ratio, hmax_factor : float
        Mesh: first spacing at every boundary = ``h_factor`` × the region's smallest length (Debye
        length, or sqrt(εkT/|ρ|) at the boundary values), geometric growth ``ratio`` per cell, largest
        spacing ``hmax_factor`` × the Debye length.
    max_iter : int
        Newton iterations per attempt.
    tol_V : float
        Convergence: largest Newton update, V.
    initial : callable, optional
        φ(x_nm) to start from instead of the first-integral superposition.
    mesh_nm : array_like, optional
        Use these nodes (nm, increasing, from 0 to the total thickness, containing every region boundary)
        instead of the graded mesh (e.g. to compare with another solver on the same mesh).
    richardson : bool
        Also solve on the mesh with every interval bisected and Richardson-extrapolate φ and the
        charges at the coarse nodes (the scheme is second order: the error drops from O(h²) to O(h⁴)).
        Default True; the accuracy reaches 1e-6 V against the first integral on the default mesh.

    Raises
    ------
    ConvergenceError
        With ``diagnostics`` holding ``residual_history`` (max scaled residual per iteration),
        ``iterations``, the reason and the parameters.
    """
    regions = tuple(regions)
    if not regions:
        raise InputError("a stack needs at least one region")
    if right not in ("dirichlet", "neumann"):
        raise InputError(f"right boundary must be 'dirichlet' or 'neumann', got {right!r}")
    if right == "dirichlet" and (phi_right_V is None or not np.isfinite(phi_right_V)):
        raise InputError("right='dirichlet' needs a finite phi_right_V")
    if not np.isfinite(phi_left_V):
        raise InputError("phi_left_V must be finite")
    for reg in regions:
        reg.species.check_neutral()
    bounds = np.concatenate([[0.0], np.cumsum([r.thickness_nm * 1e-9 for r in regions])])
    # potentials each region may see (for the mesh scale): its bulk, the electrode values, neighbours
    allphi = [phi_left_V] + [r.bulk_potential_V for r in regions] + ([phi_right_V] if right == "dirichlet" else [])
    psi_b = [np.array(allphi) - r.bulk_potential_V for r in regions]
    if mesh_nm is None:
        x, edge_reg = _build_mesh(regions, psi_b, h_factor, ratio, hmax_factor)
    else:
        x = np.asarray(mesh_nm, float) * 1e-9
        tol = 1e-9 * bounds[-1]
        if (x.ndim != 1 or x.size < 3 or not np.all(np.diff(x) > 0) or abs(x[0]) > tol
                or abs(x[-1] - bounds[-1]) > tol
                or any(np.min(np.abs(x - b)) > tol for b in bounds)):
            raise InputError("mesh_nm must increase from 0 to the total thickness and contain every region boundary")
        x[0], x[-1] = 0.0, bounds[-1]
        edge_reg = np.clip(np.searchsorted(bounds, 0.5 * (x[1:] + x[:-1])) - 1, 0, len(regions) - 1)
    params = {"regions": [(r.name, r.thickness_nm, r.species.permittivity, r.bulk_potential_V) for r in regions],
              "phi_left_V": phi_left_V, "phi_right_V": phi_right_V, "right": right, "nodes": len(x),
              "temperature_K": regions[0].species.temperature_K}
    pr = phi_right_V if right == "dirichlet" else regions[-1].bulk_potential_V
    if initial is not None:
        phi = np.asarray(initial(x * 1e9), float).copy()
        phi[0] = phi_left_V
        if right == "dirichlet":
            phi[-1] = phi_right_V
    else:
        phi = _initial_guess(x, edge_reg, regions, bounds, phi_left_V, pr, right)
    history: list[float] = []
    sol, total_it = _solve_on_mesh(x, edge_reg, regions, bounds, phi, phi_left_V, pr, right, max_iter, tol_V,
                                   history, params)
    sig_l, sig_r, q = _charges(x, edge_reg, regions, sol, right)
    if richardson:
        # every interval bisected: the O(h²) error of the scheme drops 4x; extrapolate at the coarse nodes
        xf = np.empty(2 * len(x) - 1)
        xf[0::2] = x
        xf[1::2] = 0.5 * (x[1:] + x[:-1])
        ef = np.repeat(edge_reg, 2)
        phif0 = np.empty_like(xf)
        phif0[0::2] = sol
        phif0[1::2] = 0.5 * (sol[1:] + sol[:-1])
        solf, itf = _solve_on_mesh(xf, ef, regions, bounds, phif0, phi_left_V, pr, right, max_iter, tol_V,
                                   history, params)
        total_it += itf
        sl2, sr2, q2 = _charges(xf, ef, regions, solf, right)
        sol = (4.0 * solf[0::2] - sol) / 3.0
        sig_l, sig_r, q = (4.0 * sl2 - sig_l) / 3.0, (4.0 * sr2 - sig_r) / 3.0, (4.0 * q2 - q) / 3.0
    return FiniteSolution(x_nm=x * 1e9, phi_V=sol, region_index=np.concatenate([edge_reg, [edge_reg[-1]]]),
                          regions=regions, boundaries_nm=bounds * 1e9, sigma_left_C_per_m2=float(sig_l),
                          sigma_right_C_per_m2=float(sig_r), charge_C_per_m2=q, iterations=total_it,
                          residual_history=tuple(history), parameters=params)


def solve_finite_layer(species: SpeciesSet, thickness_nm: float, phi0_left_V: float, phi0_right_V: float | None = None,
                       *, right: str = "dirichlet", **kw) -> FiniteSolution:
    """One electrolyte of finite thickness between two electrodes (thin SE, symmetric cell).

    ``phi0_left_V`` and ``phi0_right_V`` are the steps each electrode would have with a semi-infinite
    SE (φ∞ − φ(electrode), the convention of :func:`~ssbands.scl.first_integral`); the potential is
    returned relative to the SE's neutral-bulk potential, so φ(0) = −φ0_left and φ(L) = −φ0_right.
    ``phi0_right_V=None`` means the same as the left (a symmetric cell). With ``right="neumann"`` the
    right end has zero field.
    """
    if phi0_right_V is None:
        phi0_right_V = phi0_left_V
    reg = Region("SE", thickness_nm, species, 0.0)
    return solve_stack([reg], -float(phi0_left_V), -float(phi0_right_V), right=right, **kw)


def solve_interlayer_stack(interlayer: SpeciesSet, interlayer_nm: float, phi0_interlayer_V: float,
                           electrolyte: SpeciesSet, phi0_electrolyte_V: float, electrolyte_nm: float | None = None,
                           **kw) -> FiniteSolution:
    """Electrode | interlayer (given thickness) | electrolyte (thick: its bulk at the far end).

    Potentials are measured from the electrode's (φ(0) = 0). ``phi0_interlayer_V`` and
    ``phi0_electrolyte_V`` are the steps each material would screen alone against this electrode
    (φ0(M|X) of :func:`ssbands.interface.interface_step`), i.e. the bulk potentials of the two
    materials. At the junction φ and
    D are continuous. ``electrolyte_nm`` defaults to 40 Debye lengths of the electrolyte (at least 5 nm);
    its far end sits at its bulk potential.
    """
    if electrolyte_nm is None:
        electrolyte_nm = max(40.0 * electrolyte.debye_length_m() * 1e9, 5.0)
    regs = [Region("interlayer", interlayer_nm, interlayer, float(phi0_interlayer_V)),
            Region("electrolyte", electrolyte_nm, electrolyte, float(phi0_electrolyte_V))]
    return solve_stack(regs, 0.0, float(phi0_electrolyte_V), right="dirichlet", **kw)
