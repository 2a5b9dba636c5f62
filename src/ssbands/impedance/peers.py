"""DEVSIM small-signal AC of the same problem on the same mesh: the independent peer of the impedance.

DEVSIM (Sanchez, https://devsim.org) solves the *nonlinear* Poisson–Nernst–Planck equations written
here in its own model language — the potential φ and one quasi-potential η per carrier rail, the
site-saturated concentrations c_k(φ − η) as symbolic node models, the edge currents
i = Σ_k z_k²e²D_k c_edge/kT (η@n0 − η@n1)/h with the same exponential-profile edge concentration
c_edge = c₁ B(ln c₁ − ln c₀) (DEVSIM's Bernoulli function) — finds the DC solution from ssbands'
equilibrium and linearises it itself (``solve(type="ac")``: its own symbolic Jacobian, its own sparse
LU). Blocking contacts have no contact equation for the rails; reversible contacts fix η = V;
Butler–Volmer contacts fix η at a circuit node joined to the source by the charge-transfer resistor.

ssbands' own results never use this module (tests and benchmarks do). DEVSIM needs a BLAS/LAPACK at
import (see :func:`ssbands.scl.peers.import_devsim`).
"""

from __future__ import annotations

import time

import numpy as np

from ..constants import E_CHARGE, EPS0
from ..errors import InputError
from ..scl.peers import QuietFd1, import_devsim
from ..scl.species import ChargedSpecies

__all__ = ["devsim_impedance"]

_K = {"n": 0}


def _conc_expr(s, phi, eta, kt, ref):
    """DEVSIM expression of c(φ − η) of a site-saturated species (cm⁻³)."""
    if not isinstance(s, ChargedSpecies) or not s.mobile:
        raise InputError("the DEVSIM peer handles mobile lattice species (ChargedSpecies) only")
    return (f"({s.site_density_cm3!r}/({1.0 / s.alpha!r} + exp(({s.energy_eV!r} + ({s.charge!r})*"
            f"({phi} - {eta} - {ref!r}))/{kt!r})))")


def _rails(species, transport):
    if transport == "local-equilibrium":
        return {"eta": list(species)}
    return {f"eta{k}": [s] for k, s in enumerate(species) if (s.diffusivity_cm2_s or 0) > 0}


def _mesh(ds, name, x_cm):
    ds.create_1d_mesh(mesh=name)
    n = x_cm.size
    for i, x in enumerate(x_cm):
        ps = (x_cm[i + 1] - x) if i < n - 1 else (x - x_cm[i - 1])
        kw = {"tag": "left"} if i == 0 else ({"tag": "right"} if i == n - 1 else {})
        ds.add_1d_mesh_line(mesh=name, pos=float(x), ps=float(ps), **kw)
    ds.add_1d_contact(mesh=name, name="left", tag="left", material="metal")
    ds.add_1d_contact(mesh=name, name="right", tag="right", material="metal")
    ds.add_1d_region(mesh=name, material="SE", region="se", tag1="left", tag2="right")
    ds.finalize_mesh(mesh=name)


def _edge(ds, dev, name, expr, variables):
    ds.edge_model(device=dev, region="se", name=name, equation=expr)
    for v in variables:
        for nd in ("n0", "n1"):
            ds.edge_model(device=dev, region="se", name=f"{name}:{v}@{nd}", equation=f"diff({expr}, {v}@{nd})")


def _node(ds, dev, name, expr, variables):
    ds.node_model(device=dev, region="se", name=name, equation=expr)
    for v in variables:
        ds.node_model(device=dev, region="se", name=f"{name}:{v}", equation=f"diff({expr}, {v})")


def _equations(ds, dev, reg, rails, kt):
    """Poisson and one continuity equation per rail (region models)."""
    eps = reg.species.permittivity * EPS0 / 100.0  # F/cm
    ref = reg.bulk_potential_V
    allv = ["phi", *rails]
    rho_terms, rail_rho = [], {}
    for r, sps in rails.items():
        rail_rho[r] = " + ".join(f"({s.charge!r})*{_conc_expr(s, 'phi', r, kt, ref)}" for s in sps)
        rho_terms.append(rail_rho[r])
    _node(ds, dev, "negrho", f"-{E_CHARGE!r}*({' + '.join(rho_terms)})", allv)
    _edge(ds, dev, "DField", f"{eps!r}*(phi@n0 - phi@n1)*EdgeInverseLength", allv)
    ds.equation(device=dev, region="se", name="PoissonEquation", variable_name="phi", node_model="negrho",
                edge_model="DField")
    for r, sps in rails.items():
        terms = []
        for s in sps:
            D = float(s.diffusivity_cm2_s or 0.0)
            if D <= 0:
                continue
            c0 = _conc_expr(s, "phi@n0", f"{r}@n0", kt, ref)
            c1 = _conc_expr(s, "phi@n1", f"{r}@n1", kt, ref)
            ce = f"({c1}*B(log({c1}) - log({c0})))"
            terms.append(f"{s.charge ** 2 * E_CHARGE * D / kt!r}*{ce}")
        cur = f"({' + '.join(terms)})*({r}@n0 - {r}@n1)*EdgeInverseLength"
        _edge(ds, dev, f"I_{r}", cur, allv)
        _node(ds, dev, f"rho_{r}", f"{E_CHARGE!r}*({rail_rho[r]})", allv)
        ds.equation(device=dev, region="se", name=f"Cont_{r}", variable_name=r, edge_model=f"I_{r}",
                    time_node_model=f"rho_{r}")


def _contact(ds, dev, side, rails, kinds, node_name, phi_dc):
    """Contact equations of one electrode.

    φ = V (a circuit node on the left, ground on the right) and the rails per condition; the rails'
    quasi-potentials are 0 at equilibrium while φ = ``phi_dc``, so a fixed rail follows the electrode's
    deviation V − φ_dc.
    """
    left = side == "left"
    pot = f"phi - {node_name}" if left else f"phi - {phi_dc!r}"
    ds.contact_node_model(device=dev, contact=side, name=f"{side}_phi", equation=pot)
    ds.contact_node_model(device=dev, contact=side, name=f"{side}_phi:phi", equation="1")
    if left:
        ds.contact_node_model(device=dev, contact=side, name=f"{side}_phi:{node_name}", equation="-1")
    for r in rails:
        ds.contact_node_model(device=dev, contact=side, name=f"{side}_phi:{r}", equation="0")
    kw = {"circuit_node": node_name} if left else {}
    # the electrode's charge: the displacement at the contact minus the ionic charge of the contact's half box
    ds.contact_equation(device=dev, contact=side, name="PoissonEquation", node_model=f"{side}_phi",
                        edge_charge_model="DField", node_charge_model="negrho", **kw)
    for r in rails:
        kind = kinds.get(r, "free")
        if kind == "free":
            continue
        if kind == "fixed":
            target = node_name if left else None
        else:
            target = f"{node_name}_{r}"
        shift = phi_dc if (target is not None and (left or kind != "fixed")) and left else 0.0
        expr = f"{r} - {target} + {shift!r}" if target else r
        ds.contact_node_model(device=dev, contact=side, name=f"{side}_{r}", equation=expr)
        ds.contact_node_model(device=dev, contact=side, name=f"{side}_{r}:{r}", equation="1")
        if target:
            ds.contact_node_model(device=dev, contact=side, name=f"{side}_{r}:{target}", equation="-1")
        kw = {"circuit_node": target} if target else {}
        ds.contact_equation(device=dev, contact=side, name=f"Cont_{r}", node_model=f"{side}_{r}",
                            edge_current_model=f"I_{r}", node_charge_model=f"rho_{r}", **kw)


def devsim_impedance(solution, network, frequencies_Hz, transport: str = "local-equilibrium") -> dict:
    """DEVSIM small-signal AC impedance of a single-region electrolyte on the mesh of ``solution``.

    Parameters
    ----------
    solution : ssbands.scl.finite.FiniteSolution
        Equilibrium of one region (mesh and starting potential; DEVSIM re-solves the DC problem).
    network : ssbands.impedance.linear.PNPNetwork
        The ssbands network of the same problem (for its rails and electrode conditions; Faradaic
        conductances become circuit resistors).
    frequencies_Hz : array_like
        Frequencies, Hz.
    transport : {"local-equilibrium", "independent"}
        Must match the network.

    Returns
    -------
    dict
        ``Z_ohm_cm2`` (complex array), ``phi_dc_V`` (DEVSIM's DC potential), ``setup_s``, ``dc_s``, ``ac_s``.
    """
    if len(solution.regions) != 1:
        raise InputError("the DEVSIM peer handles one region")
    if network.gx:
        raise InputError("the DEVSIM peer has no exchange reaction")
    ds = import_devsim()
    with QuietFd1():
        try:
            return _run(ds, solution, network, np.atleast_1d(np.asarray(frequencies_Hz, float)), transport)
        finally:
            for d in ds.get_device_list():
                if d.startswith("ssb_ac_dev"):
                    ds.delete_device(device=d)
            for m in ds.get_mesh_list():
                if m.startswith("ssb_ac_mesh"):
                    ds.delete_mesh(mesh=m)
            try:
                ds.delete_circuit()
            except ds.error:  # DEVSIM 2.x deletes the circuit, then raises an empty error
                pass


def _run(ds, solution, network, f, transport):
    t0 = time.perf_counter()
    reg = solution.regions[0]
    kt = reg.species.kt
    mobile = [s for s in reg.species.species if getattr(s, "mobile", True)]
    rails = _rails(mobile, transport)
    if len(rails) != len(network.rails):
        raise InputError("network and DEVSIM rails differ")
    names = dict(zip(network.rails, rails, strict=True))  # ssbands rail name -> DEVSIM variable
    _K["n"] += 1
    mesh, dev = f"ssb_ac_mesh{_K['n']}", f"ssb_ac_dev{_K['n']}"
    _mesh(ds, mesh, np.asarray(solution.x_nm) * 1e-7)
    ds.create_device(mesh=mesh, device=dev)
    for v in ("phi", *rails):
        ds.node_solution(device=dev, region="se", name=v)
        ds.edge_from_node_model(device=dev, region="se", node_model=v)
    ds.set_node_values(device=dev, region="se", name="phi", values=[float(v) for v in solution.phi_V])
    for r in rails:
        ds.set_node_values(device=dev, region="se", name=r, values=[0.0] * solution.x_nm.size)
    _equations(ds, dev, reg, rails, kt)
    ds.add_circuit_node(name="nL", value=0.0)
    ds.circuit_element(name="V1", n1="nL", n2="0", value=float(solution.phi_V[0]), acreal=1.0)
    for side in ("left", "right"):
        kinds = {}
        for rn, var in names.items():
            k = network.bc[side].get(rn, "free")
            kinds[var] = k if k in ("fixed", "free") else "bv"
            if k not in ("fixed", "free"):
                node = f"nL_{var}" if side == "left" else f"nR_{var}"
                other = "nL" if side == "left" else "0"
                ds.add_circuit_node(name=node, value=float(solution.phi_V[0]) if side == "left" else 0.0)
                ds.circuit_element(name=f"R{side}{var}", n1=other, n2=node, value=1.0 / float(k) * 1e4)
        _contact(ds, dev, side, rails, kinds, "nL" if side == "left" else "nR",
                 float(solution.phi_V[0] if side == "left" else solution.phi_V[-1]))
    return _solve(ds, dev, mesh, f, solution, t0)


def _solve(ds, dev, mesh, f, solution, t0):
    t1 = time.perf_counter()
    ds.solve(type="dc", absolute_error=1e-12, relative_error=1e-5, maximum_iterations=40)
    t2 = time.perf_counter()
    phi = np.array(ds.get_node_model_values(device=dev, region="se", name="phi"))
    Z = np.empty(f.size, complex)
    for k, fr in enumerate(f):
        ds.solve(type="ac", frequency=float(fr))
        current = (ds.get_circuit_node_value(solution="ssac_real", node="V1.I")
                   + 1j * ds.get_circuit_node_value(solution="ssac_imag", node="V1.I"))
        Z[k] = -1.0 / current
    t3 = time.perf_counter()
    return {"Z_ohm_cm2": Z, "phi_dc_V": phi, "setup_s": t1 - t0, "dc_s": t2 - t1, "ac_s": t3 - t2}
