r"""Linearised Poisson–Nernst–Planck equations about an equilibrium profile, as a 1D network on a mesh.

Small-signal variables at frequency ω (time factor e^{jωt}): the potential δφ and, for each carrier
"rail" q, its quasi-potential η_q = δμ̄_q/(z_q e) (V). About equilibrium (μ̄ uniform) the flux of a
species is ``i_q = −σ_q ∇η_q`` (Nernst–Einstein conductivity σ_q = z²e²D c/kT) and its excess charge
is ``C_q (η_q − δφ)`` with the chemical capacitance density C_q = −z e dc/dψ (F/m³; = z²e²c/kT for
Boltzmann carriers, times 1 − c/αN for site-saturated defects)::

    ∇·(σ_q ∇η_q) = jω C_q (η_q − δφ) + Σ_q' g_qq' (η_q − η_q'),      ∇·(ε ∇δφ) = −Σ_q C_q (η_q − δφ),

which is the transmission-line form of Jamnik & Maier (*J. Electrochem. Soc.* 146, 4183 (1999),
doi:10.1149/1.1392611; *Phys. Chem. Chem. Phys.* 3, 1668 (2001), doi:10.1039/b100180i) generalised to
any profile and species set. g is the exchange (Frenkel) conductance density, g = κ e²/kT for an
equilibrium exchange rate κ (m⁻³ s⁻¹); fast exchange (local equilibrium) merges the ionic rails.

Finite volumes on the mesh of the equilibrium solve (:func:`ssbands.scl.finite.solve_stack`, nodes
on every boundary, half-cell node volumes). Edge conductances use the exact harmonic mean of a
concentration varying exponentially between the nodes, c_edge = c₁ B(ln c₁ − ln c₀) with the
Bernoulli function B(r) = r/(e^r − 1) (the equilibrium limit of the Scharfetter–Gummel flux), so the
DC resistance of the discrete problem is Σ_e h_e/σ_e exactly. Electrode boundary conditions, per
rail, with δφ = V at the electrode (Chang & Jaffé, *J. Chem. Phys.* 20, 1071 (1952),
doi:10.1063/1.1700669; Macdonald, *Phys. Rev.* 92, 4 (1953), doi:10.1103/PhysRev.92.4):

* ``blocking`` — no flux;
* ``reversible`` — η_q = V (the electrode holds the carrier at equilibrium; δc = 0);
* ``butler-volmer`` — a Faradaic current G_ct (V − η_q) with G_ct = 1/R_ct (linearised Butler–Volmer).

Electronic carriers (electrons, holes) always see ohmic metal contacts (η = V). The terminal current
is jω δσ_electrode + the carrier currents through the contact; Z = V/I (Ω m² here, Ω cm² outside).
Each frequency is one complex banded LU solve (LAPACK ``zgbsv``; rows scaled to unit size).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.linalg import get_lapack_funcs

from ..constants import E_CHARGE, EPS0, PER_CM3
from ..errors import InputError
from ..scl.species import ChargedSpecies

__all__ = ["ElectrodeBC", "BC_KINDS", "PNPNetwork", "build_network", "bernoulli", "rail_names"]

#: Electrode boundary conditions of the ionic rails.
BC_KINDS = ("blocking", "reversible", "butler-volmer")
IONS = "ions"


def bernoulli(r):
    """Bernoulli function B(r) = r/(e^r − 1), B(0) = 1, stable for any r."""
    r = np.asarray(r, float)
    small = np.abs(r) < 1e-8
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = r / np.expm1(np.where(small, 1.0, r))
    return np.where(small, 1.0 - 0.5 * r, out)


@dataclass(frozen=True)
class ElectrodeBC:
    """Boundary condition of one electrode for the ionic rails.

    Parameters
    ----------
    kind : {"blocking", "reversible", "butler-volmer"}
        The condition.
    R_ct_ohm_cm2 : float, optional
        Charge-transfer resistance times area (Ω cm²) of the Faradaic reaction (``butler-volmer``).
    species : str
        Name of the species the reaction exchanges with the electrode (``butler-volmer``); in the
        local-equilibrium limit every ionic species shares one rail, so any ionic name selects it.
    """

    kind: str = "blocking"
    R_ct_ohm_cm2: float | None = None
    species: str = "Li_i+"

    def __post_init__(self):
        if self.kind not in BC_KINDS:
            raise InputError(f"electrode boundary condition must be one of {BC_KINDS}, got {self.kind!r}")
        if self.kind == "butler-volmer":
            r = self.R_ct_ohm_cm2
            if r is None or not (np.isfinite(r) and r > 0):
                raise InputError("a butler-volmer electrode needs R_ct_ohm_cm2 > 0 (from i0 and alpha_t)")


def _is_band(s) -> bool:
    return not isinstance(s, ChargedSpecies)


def rail_names(regions, transport: str) -> list[str]:
    """The carrier rails of a stack.

    One rail per species (``independent``) or one merged ionic rail plus one per electronic species
    (``local-equilibrium``).

    Parameters
    ----------
    regions : sequence of ssbands.scl.finite.Region
        The stack.
    transport : {"local-equilibrium", "independent"}
        The transport limit.

    Returns
    -------
    list of str
        Rail names (species names, or ``"ions"`` for the merged rail).
    """
    names: list[str] = []
    for reg in regions:
        for s in reg.species.species:
            if not getattr(s, "mobile", True):
                continue
            n = IONS if (transport == "local-equilibrium" and not _is_band(s)) else s.name
            if n not in names:
                names.append(n)
    return names


def _rail_of(s, transport):
    return IONS if (transport == "local-equilibrium" and not _is_band(s)) else s.name


def _species_arrays(s, psi, T):
    """Concentration c (m⁻³) and capacitance density C = −z e dc/dψ (F/m³) of one species at potentials ψ (V)."""
    c, dc = s.concentration(psi, T, derivative=True)
    return np.asarray(c, float) * PER_CM3, -s.charge * E_CHARGE * np.asarray(dc, float) * PER_CM3


@dataclass
class PNPNetwork:
    """The discrete linearised PNP problem on a mesh (arrays in SI).

    Attributes
    ----------
    x_m : ndarray (n,)
        Node positions, m.
    rails : list of str
        Carrier rails.
    k_e : ndarray (n−1,)
        ε/h per edge, F/m².
    G : ndarray (nr, n−1)
        Rail conductance per edge σ_edge/h, S/m².
    Cv : ndarray (nr, n)
        Rail capacitance per node (C times the node volume), F/m².
    gx : list of (int, int, ndarray (n,))
        Exchange conductances per node (g times the node volume, S/m²) between two rails.
    bc : dict
        ``{"left": {rail: ("fixed" | "free" | G_ct S/m²)}, "right": ...}``.
    band : bool array (nr,)
        Electronic rails.
    """

    x_m: np.ndarray
    rails: list
    k_e: np.ndarray
    G: np.ndarray
    Cv: np.ndarray
    gx: list
    bc: dict

    @property
    def n(self) -> int:
        """Number of mesh nodes."""
        return self.x_m.size

    @property
    def block(self) -> int:
        """Unknowns per node: the potential φ and one quasi-potential per rail."""
        return 1 + len(self.rails)

    def conducting(self) -> np.ndarray:
        """(nr,) True for rails that conduct somewhere."""
        return np.any(self.G > 0, axis=1)

    # ----------------------------------------------------------------------------------- assembly
    def _triplets(self):
        """COO triplets (rows, cols, A values, M values) and the Dirichlet/BV right-hand-side maps."""
        n, b, nr = self.n, self.block, len(self.rails)
        rows, cols, va, vm = [], [], [], []

        def add(r, c, a=0.0, m=0.0):
            rows.append(np.asarray(r)), cols.append(np.asarray(c))
            va.append(np.broadcast_to(np.asarray(a, float), np.shape(r)).copy())
            vm.append(np.broadcast_to(np.asarray(m, float), np.shape(r)).copy())

        i = np.arange(n - 1)
        P = lambda k: k * b  # noqa: E731
        R = lambda q, k: k * b + 1 + q  # noqa: E731
        add(P(i), P(i), -self.k_e), add(P(i), P(i + 1), self.k_e)
        add(P(i + 1), P(i + 1), -self.k_e), add(P(i + 1), P(i), self.k_e)
        nodes = np.arange(n)
        for q in range(nr):
            add(P(nodes), R(q, nodes), self.Cv[q]), add(P(nodes), P(nodes), -self.Cv[q])
            g = self.G[q]
            add(R(q, i), R(q, i), -g), add(R(q, i), R(q, i + 1), g)
            add(R(q, i + 1), R(q, i + 1), -g), add(R(q, i + 1), R(q, i), g)
            add(R(q, nodes), R(q, nodes), 0.0, -self.Cv[q]), add(R(q, nodes), P(nodes), 0.0, self.Cv[q])
        for qa, qb, gv in self.gx:
            for q1, q2 in ((qa, qb), (qb, qa)):
                add(R(q1, nodes), R(q1, nodes), -gv), add(R(q1, nodes), R(q2, nodes), gv)
        return (np.concatenate(rows), np.concatenate(cols), np.concatenate(va), np.concatenate(vm))

    def _boundary(self, rows, cols, va, vm):
        """Apply the electrode conditions: identity rows for fixed unknowns, G_ct for Faradaic rails.

        Returns the modified triplets and (fixed unknown index → electrode side) and BV (index, G, side).
        """
        n, b = self.n, self.block
        fixed = {0: "left", (n - 1) * b: "right"}
        bv = []
        for side, node in (("left", 0), ("right", n - 1)):
            for q, name in enumerate(self.rails):
                kind = self.bc[side].get(name, "free")
                u = node * b + 1 + q
                if kind == "fixed":
                    fixed[u] = side
                elif kind != "free":
                    bv.append((u, float(kind), side))
        keep = ~np.isin(rows, list(fixed))
        rows, cols, va, vm = rows[keep], cols[keep], va[keep], vm[keep]
        fu = np.array(sorted(fixed))
        rows = np.concatenate([rows, fu] + [np.array([u]) for u, _, _ in bv])
        cols = np.concatenate([cols, fu] + [np.array([u]) for u, _, _ in bv])
        va = np.concatenate([va, np.ones(fu.size)] + [np.array([-g]) for _, g, _ in bv])
        vm = np.concatenate([vm, np.zeros(fu.size)] + [np.zeros(1) for _ in bv])
        # rails absent at a node (no capacitance, no conductance): η = 0 there
        absent = []
        for q in range(len(self.rails)):
            touch = self.Cv[q] > 0
            touch[:-1] |= self.G[q] > 0
            touch[1:] |= self.G[q] > 0
            absent.extend((np.flatnonzero(~touch) * b + 1 + q).tolist())
        absent = [u for u in absent if u not in fixed]
        if absent:
            au = np.array(absent)
            keep = ~np.isin(rows, au)
            rows, cols, va, vm = rows[keep], cols[keep], va[keep], vm[keep]
            rows, cols = np.concatenate([rows, au]), np.concatenate([cols, au])
            va, vm = np.concatenate([va, np.ones(au.size)]), np.concatenate([vm, np.zeros(au.size)])
        return rows, cols, va, vm, fixed, bv

    def assemble(self):
        """Banded (LAPACK ``gbsv`` layout) real matrices A and M of (A + jωM) u = rhs, and the RHS pieces.

        Returns
        -------
        dict
            ``A``, ``M`` (shape (2kl+ku+1, N)), ``kl``, ``fixed`` (index → side), ``bv`` (index, G, side),
            ``rowmax_A``, ``rowmax_M`` (for row scaling).
        """
        rows, cols, va, vm = self._triplets()
        rows, cols, va, vm, fixed, bv = self._boundary(rows, cols, va, vm)
        N = self.n * self.block
        kl = 2 * self.block - 1
        nb = 3 * kl + 1
        A = np.zeros((nb, N))
        M = np.zeros((nb, N))
        r = 2 * kl + rows - cols
        np.add.at(A, (r, cols), va)
        np.add.at(M, (r, cols), vm)
        ra = np.zeros(N)
        rm = np.zeros(N)
        np.maximum.at(ra, rows, np.abs(va))
        np.maximum.at(rm, rows, np.abs(vm))
        ab_row = np.arange(nb)[:, None] - 2 * kl + np.arange(N)[None, :]  # matrix row of each band entry
        return {"A": A, "M": M, "kl": kl, "fixed": fixed, "bv": bv, "rowmax_A": ra, "rowmax_M": rm,
                "ab_row": np.clip(ab_row, 0, N - 1)}

    # -------------------------------------------------------------------------------------- solve
    def _rhs(self, sysm, V):
        N = self.n * self.block
        rhs = np.zeros(N, complex)
        for u, side in sysm["fixed"].items():
            rhs[u] = V[side]
        for u, g, side in sysm["bv"]:
            rhs[u] = -g * V[side]
        return rhs

    def terminal_current(self, u, omega, V=None):
        """Current from the external circuit into the left electrode (A/m²) for the nodal solution u.

        Computed from the network's complex power, I_L V_L = Σ_branches y_b v_b² (reciprocity: the
        branch admittances y_b form a symmetric matrix), which is stationary with respect to errors of
        the internal unknowns — the error of I is second order in the solve's round-off, which keeps
        Re Z accurate at low frequency where it is a 1e-4 part of |Z|.

        Parameters
        ----------
        u : ndarray
            Node-major solution (δφ, η_q per node).
        omega : float
            Angular frequency, rad/s.
        V : dict, optional
            Electrode potentials ``{"left": V_L, "right": 0}`` (default V_L = 1).

        Returns
        -------
        complex
        """
        V = V or {"left": 1.0, "right": 0.0}
        b, n = self.block, self.n
        U = u.reshape(n, b)
        phi = U[:, 0]
        P = 1j * omega * np.sum(self.k_e * np.diff(phi) ** 2)
        for q in range(len(self.rails)):
            eta = U[:, 1 + q]
            P += 1j * omega * np.sum(self.Cv[q] * (phi - eta) ** 2) + np.sum(self.G[q] * np.diff(eta) ** 2)
        for qa, qb, gv in self.gx:
            P += np.sum(gv * (U[:, 1 + qa] - U[:, 1 + qb]) ** 2)
        for side, node in (("left", 0), ("right", n - 1)):
            for q, name in enumerate(self.rails):
                kind = self.bc[side].get(name, "free")
                if kind not in ("fixed", "free"):
                    P += float(kind) * (V[side] - U[node, 1 + q]) ** 2
        return P / V["left"]

    def solve(self, omegas, return_solution: bool = False, method: str = "schur"):
        """Impedance Z(ω) = (V_L − V_R)/I (Ω m²) for angular frequencies ``omegas`` (rad/s).

        Parameters
        ----------
        omegas : array_like
            Angular frequencies, rad/s (> 0 for ``schur``; ``banded`` also takes ω = 0 when a carrier
            passes both electrodes).
        return_solution : bool
            Also return the nodal solutions (``banded`` only; rows: frequencies, columns: node-major
            unknowns).
        method : {"schur", "banded"}
            ``schur``: ladder reduction of the node-admittance matrix, vectorised over frequencies (no
            solution vector; the fast default). ``banded``: one complex banded LU (LAPACK ``zgbsv``) per
            frequency and the current from the network's complex power.

        Returns
        -------
        Z : ndarray of complex
            Impedance times area, Ω m².
        """
        om = np.atleast_1d(np.asarray(omegas, float))
        if method == "schur" and not return_solution and np.all(om > 0):
            from ._schur import network_blocks, terminal_admittance

            return 1.0 / terminal_admittance(network_blocks(self), om)
        if method not in ("schur", "banded"):
            raise InputError(f"method must be 'schur' or 'banded', got {method!r}")
        sysm = self.assemble()
        kl = sysm["kl"]
        gbsv = get_lapack_funcs("gbsv", dtype=np.complex128)
        V = {"left": 1.0, "right": 0.0}
        rhs0 = self._rhs(sysm, V)
        A, M, ra, rm, abr = sysm["A"], sysm["M"], sysm["rowmax_A"], sysm["rowmax_M"], sysm["ab_row"]
        Z = np.empty(om.size, complex)
        sols: list[np.ndarray] | None = [] if return_solution else None
        for k, w in enumerate(om):
            scale = 1.0 / (ra + w * rm)
            ab = (A + (1j * w) * M) * scale[abr]
            b = (rhs0 * scale)[:, None]
            _, _, x, info = gbsv(kl, kl, ab, b, overwrite_ab=1, overwrite_b=1)
            if info != 0:
                raise InputError(f"the linearised PNP system is singular at omega = {w:g} rad/s (info {info}); "
                                 "at omega = 0 blocking electrodes carry no current")
            u = x[:, 0]
            Z[k] = 1.0 / self.terminal_current(u, w, V)
            if sols is not None:  # sols is a list exactly when return_solution
                sols.append(u)
        return (Z, np.array(sols)) if return_solution else Z

    def dc_resistance(self) -> float:
        """DC resistance times area (Ω m²) of the discrete problem by the closed network formula.

        Series of edge resistances h/σ on each rail; rails in parallel (independent carriers). Only for
        rails fixed at both electrodes (reversible) or with Faradaic resistances; inf when no rail
        conducts electrode to electrode. With exchange between rails use :meth:`solve` at ω = 0.
        """
        if self.gx:
            return float(np.real(self.solve([0.0])[0]))
        total = 0.0
        for k, name in enumerate(self.rails):
            ends = [self.bc[s].get(name, "free") for s in ("left", "right")]
            if "free" in ends or np.any(self.G[k] <= 0):
                continue
            r = float(np.sum(1.0 / self.G[k]))
            r += sum(1.0 / float(e) for e in ends if e != "fixed")
            total += 1.0 / r
        return 1.0 / total if total > 0 else float("inf")


def _edge_conductance(c0, c1, D_m2_s, charge, kt, h):
    """σ_edge/h (S/m²) with the exponential-profile harmonic mean of c (m⁻³)."""
    tiny = 1e-300
    l0, l1 = np.log(np.maximum(c0, tiny)), np.log(np.maximum(c1, tiny))
    ce = np.maximum(c1, tiny) * bernoulli(l1 - l0)
    ce = np.where((c0 <= 0) | (c1 <= 0), 0.0, ce)
    return charge ** 2 * E_CHARGE * D_m2_s * ce / kt / h


def build_network(x_nm, phi_V, regions, edge_region, transport: str, left: ElectrodeBC, right: ElectrodeBC,
                  exchange_rate_cm3_s: float | None = None) -> PNPNetwork:
    """The discrete linearised PNP network of an equilibrium profile.

    Parameters
    ----------
    x_nm, phi_V : ndarray (n,)
        Mesh nodes (nm) and equilibrium potential (V) — e.g. a :class:`~ssbands.scl.finite.FiniteSolution`.
    regions : sequence of ssbands.scl.finite.Region
        The stack; each species' ``diffusivity_cm2_s`` is its diffusivity (None or 0: does not move).
    edge_region : ndarray (n−1,) of int
        Region of each edge.
    transport : {"local-equilibrium", "independent"}
        Merged ionic rail (fast exchange) or one rail per species.
    left, right : ElectrodeBC
        Electrode conditions.
    exchange_rate_cm3_s : float, optional
        Equilibrium Frenkel exchange rate κ (cm⁻³ s⁻¹) between the positive and the negative ionic species
        of each region (``independent`` only).

    Returns
    -------
    PNPNetwork
    """
    x = np.asarray(x_nm, float) * 1e-9
    phi = np.asarray(phi_V, float)
    h = np.diff(x)
    n = x.size
    rails = rail_names(regions, transport)
    nr = len(rails)
    eps_e = np.array([regions[k].species.permittivity for k in edge_region]) * EPS0
    G = np.zeros((nr, n - 1))
    Cv = np.zeros((nr, n))
    gx_acc: dict = {}
    for r, reg in enumerate(regions):
        e = np.flatnonzero(edge_region == r)
        if e.size == 0:
            continue
        sp, T = reg.species, reg.species.temperature_K
        kt = sp.kt
        for s in sp.species:
            if not getattr(s, "mobile", True):
                continue
            q = rails.index(_rail_of(s, transport))
            D = float(getattr(s, "diffusivity_cm2_s", None) or 0.0) * 1e-4
            c0, C0 = _species_arrays(s, phi[e] - reg.bulk_potential_V, T)
            c1, C1 = _species_arrays(s, phi[e + 1] - reg.bulk_potential_V, T)
            if transport == "independent" and D <= 0:
                continue  # cannot move and cannot react: δc = 0
            np.add.at(Cv[q], e, 0.5 * h[e] * C0)
            np.add.at(Cv[q], e + 1, 0.5 * h[e] * C1)
            if D > 0:
                G[q, e] += _edge_conductance(c0, c1, D, s.charge, kt, h[e])
        if exchange_rate_cm3_s is not None:
            _exchange(gx_acc, reg, rails, e, h, exchange_rate_cm3_s, n)
    keep = [q for q in range(nr) if np.any(G[q] > 0)]
    G, Cv = G[keep], Cv[keep]
    rails = [rails[q] for q in keep]
    gx = [(rails.index(a), rails.index(b), v) for (a, b), v in gx_acc.items() if a in rails and b in rails]
    bc = {"left": _bc_map(left, rails, regions, transport), "right": _bc_map(right, rails, regions, transport)}
    return PNPNetwork(x, rails, eps_e / h, G, Cv, gx, bc)


def _exchange(acc, reg, rails, e, h, kappa, n):
    """Accumulate the Frenkel exchange conductance (g × node volume) of one region."""
    from ..constants import kT_eV

    if kappa < 0 or not np.isfinite(kappa):
        raise InputError(f"exchange_rate_cm3_s must be a finite number >= 0, got {kappa!r}")
    ions = [s for s in reg.species.species if isinstance(s, ChargedSpecies) and s.mobile]
    pos = [s.name for s in ions if s.charge > 0]
    neg = [s.name for s in ions if s.charge < 0]
    if len(pos) != 1 or len(neg) != 1:
        raise InputError(f"region {reg.name!r}: a Frenkel exchange rate needs exactly one positive and one "
                         "negative mobile ionic species")
    if pos[0] not in rails or neg[0] not in rails:
        return
    g = kappa * PER_CM3 * E_CHARGE / kT_eV(reg.species.temperature_K)  # S/m³
    v = np.zeros(n)
    np.add.at(v, e, 0.5 * h[e] * g)
    np.add.at(v, e + 1, 0.5 * h[e] * g)
    key = (pos[0], neg[0])
    acc[key] = acc.get(key, np.zeros(n)) + v


def _bc_map(bc: ElectrodeBC, rails, regions, transport):
    """{rail: "fixed" | "free" | G_ct (S/m²)} at one electrode."""
    band = {s.name for reg in regions for s in reg.species.species if _is_band(s)}
    out: dict[str, str | float] = {}
    target = None
    if bc.kind == "butler-volmer":
        target = IONS if transport == "local-equilibrium" and bc.species not in band else bc.species
        if target not in rails:
            raise InputError(f"butler-volmer electrode: no mobile species {bc.species!r} to react with "
                             f"(rails: {', '.join(rails)})")
    for name in rails:
        if name in band or bc.kind == "reversible":
            out[name] = "fixed"
        elif name == target:
            # target is set only for butler-volmer, whose __post_init__ requires R_ct_ohm_cm2 > 0
            out[name] = 1e4 / cast(float, bc.R_ct_ohm_cm2)  # S/m²
        else:
            out[name] = "free"
    return out
