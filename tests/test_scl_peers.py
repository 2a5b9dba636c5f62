"""The SCL profile against independent peers on the same problem: scipy solve_bvp and DEVSIM.

The normal run uses reduced sizes (coarser DEVSIM mesh, looser solve_bvp tolerance); the
``slow``-marked tests are the full-size comparisons (DEVSIM converged to 1e-6 V on a fine mesh).
DEVSIM needs a BLAS/LAPACK at import: with Debian's ``libopenblas0`` + ``liblapack3`` it must be told
where they are, ``DEVSIM_MATH_LIBS=libopenblas.so.0:liblapack.so.3:libblas.so.3`` (set here when absent).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy.integrate import solve_bvp
from scipy.special import expit

from ssbands.scl import SpaceChargeLayer
from ssbands.scl.approx import two_zone
from ssbands.scl.finite import graded_mesh, solve_finite_layer
from ssbands.scl.species import SpeciesSet, two_defect_species

SWIFT = {
    "LLZO": (1.6216363, 3.27455e22, 0.0143907, 50.0),
    "LiF": (1.9160631, 5.98412e22, 0.9733510, 9.0),
    "Li2CO3": (1.8444179, 1.64941e22, 0.9110166, 5.64),
    "Li2O(111)": (2.1833214, 8.08106e22, 0.8601251, 7.27),
    "Li2O(110)": (0.7104937, 8.08106e22, 0.8601251, 7.27),
    "LiPON": (1.24, 3.957e22, 0.275, 7.3),
}


def guess(L: SpaceChargeLayer, xi):
    """Initial guess f(ξ) for the peers: the two-zone analytic approximation (independent of the solver)."""
    t = L._table
    tz = two_zone(L.phi0_V, L.site_density_cm3, L.defect_energy_eV, L.permittivity, L.alpha, L.temperature_K)
    return -tz.potential(xi * t["lam_nm"]) / t["kt"]


def bvp(L: SpaceChargeLayer, xi_max: float, tol: float):
    """solve_bvp of f'' = 1/(B e^{-f}+1) − 1/(B e^{f}+1), f(0) = f0, Robin tail f' = −f/ℓ at ξ_max."""
    t = L._table
    f0, lnB, ell = t["f0"], t["lnB"], t["ell"]

    def fun(x, y):
        return np.vstack([y[1], expit(y[0] - lnB) - expit(-y[0] - lnB)])

    def bc(ya, yb):
        return np.array([ya[0] - f0, yb[1] + yb[0] / ell])

    xs = float(L.result.saturated_width_m) / (t["lam_nm"] * 1e-9) + 4.0
    x = np.unique(np.concatenate([np.linspace(0.0, min(2 * xs, xi_max), 150),
                                  np.geomspace(min(xs, xi_max / 2), xi_max, 100)]))
    g = guess(L, x)
    sol = solve_bvp(fun, bc, x, np.vstack([g, np.gradient(g, x)]), tol=tol, max_nodes=200000, bc_tol=1e-10)
    assert sol.status == 0, sol.message
    return sol


def _bvp_case(name, sign, tol, atol):
    phi0, N, E, eps = SWIFT[name]
    L = SpaceChargeLayer(sign * phi0, N, E, eps)
    t = L._table
    # a domain of ≤ 60 tail lengths beyond the saturated zone (LiF's tail is mm long: stop at 1e-6 V)
    xi_max = min(L.extent_nm(1e-9), L.extent_nm(1e-6) * 1.0) / t["lam_nm"]
    sol = bvp(L, xi_max, tol)
    phi_bvp = -t["kt"] * sol.y[0]
    err = np.max(np.abs(phi_bvp - L.potential(sol.x * t["lam_nm"])))
    assert err < atol, (name, err)


@pytest.mark.parametrize("name", ["LLZO", "LiPON"])
def test_profile_agrees_with_solve_bvp_reduced(name):
    _bvp_case(name, 1, 1e-6, 1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SWIFT))
@pytest.mark.parametrize("sign", [1, -1])
def test_profile_agrees_with_solve_bvp_full(name, sign):
    _bvp_case(name, sign, 1e-8, 1e-6)


# ----------------------------------------------------------------------------------------- DEVSIM
def _devsim():
    os.environ.setdefault("DEVSIM_MATH_LIBS", "libopenblas.so.0:liblapack.so.3:libblas.so.3")
    try:
        import devsim
    except Exception as exc:  # RuntimeError when no BLAS/LAPACK is found
        pytest.skip(f"DEVSIM cannot be imported ({type(exc).__name__}: {exc}); it needs a BLAS/LAPACK: "
                    "apt-get install libopenblas0 liblapack3 and DEVSIM_MATH_LIBS=libopenblas.so.0")
    devsim.set_parameter(name="debug_level", value="error")
    return devsim


_N = {"k": 0}


def devsim_solve(ds, layer, f0, lnB, ell, xi_nodes):
    """f'' = rhs(f) by DEVSIM's finite volumes on the given nodes (dimensionless), f(0) = f0, f(end) = 0."""
    _N["k"] += 1
    mesh, dev = f"scl_mesh{_N['k']}", f"scl_dev{_N['k']}"
    ds.create_1d_mesh(mesh=mesh)
    n = len(xi_nodes)
    for i, x in enumerate(xi_nodes):
        ps = (xi_nodes[i + 1] - x) if i < n - 1 else (x - xi_nodes[i - 1])
        kw = {"tag": "top"} if i == 0 else ({"tag": "bot"} if i == n - 1 else {})
        ds.add_1d_mesh_line(mesh=mesh, pos=float(x), ps=float(ps), **kw)
    ds.add_1d_contact(mesh=mesh, name="top", tag="top", material="metal")
    ds.add_1d_contact(mesh=mesh, name="bot", tag="bot", material="metal")
    ds.add_1d_region(mesh=mesh, material="SE", region="se", tag1="top", tag2="bot")
    ds.finalize_mesh(mesh=mesh)
    ds.create_device(mesh=mesh, device=dev)
    ds.node_solution(device=dev, region="se", name="f")
    ds.edge_from_node_model(device=dev, region="se", node_model="f")
    ds.set_parameter(device=dev, region="se", name="Bk", value=float(np.exp(lnB)))
    ds.set_parameter(device=dev, region="se", name="f0", value=float(f0))
    rhs = "1/(Bk*exp(-f)+1) - 1/(Bk*exp(f)+1)"
    ds.node_model(device=dev, region="se", name="rhs", equation=rhs)
    ds.node_model(device=dev, region="se", name="rhs:f", equation=f"diff({rhs}, f)")
    ds.edge_model(device=dev, region="se", name="E", equation="(f@n0 - f@n1)*EdgeInverseLength")
    ds.edge_model(device=dev, region="se", name="E:f@n0", equation="EdgeInverseLength")
    ds.edge_model(device=dev, region="se", name="E:f@n1", equation="-EdgeInverseLength")
    ds.equation(device=dev, region="se", name="PoissonEq", variable_name="f", node_model="rhs", edge_model="E",
                variable_update="log_damp")
    for c, v in (("top", "f - f0"), ("bot", "f")):
        ds.contact_node_model(device=dev, contact=c, name=f"{c}bc", equation=v)
        ds.contact_node_model(device=dev, contact=c, name=f"{c}bc:f", equation="1")
        ds.contact_equation(device=dev, contact=c, name="PoissonEq", node_model=f"{c}bc")
    x = np.array(ds.get_node_model_values(device=dev, region="se", name="x"))
    g = guess(layer, x)
    g[0], g[-1] = f0, 0.0
    ds.set_node_values(device=dev, region="se", name="f", values=g.tolist())
    ds.solve(type="dc", absolute_error=1e-10, relative_error=1e-7, maximum_iterations=80)
    f = np.array(ds.get_node_model_values(device=dev, region="se", name="f"))
    ds.delete_device(device=dev)
    ds.delete_mesh(mesh=mesh)
    return x, f


def peer_mesh(L: SpaceChargeLayer, xi_max, h0, hsat, growth=1.05, tail_h=0.05):
    """Fine (hsat) through the saturated zone and a few λ beyond it, then growing geometrically."""
    xs = float(L.result.saturated_width_m / (L._table["lam_nm"] * 1e-9)) + 12.0
    inner = graded_mesh(min(2 * xs, xi_max), h0, 1.01, hsat)
    inner = inner[inner <= min(xs, xi_max)]
    x = list(inner)
    h = inner[-1] - inner[-2]
    hmax = tail_h * L._table["ell"]  # the tail is resolved on its own length ℓ
    while x[-1] + h < xi_max:
        x.append(x[-1] + h)
        h = min(h * growth, max(hmax, h))
    x[-1] = xi_max
    return np.array(x)


def _devsim_case(name, sign, h0, hsat, atol_fi, tail_h=0.05, growth=1.05):
    ds = _devsim()
    phi0, N, E, eps = SWIFT[name]
    L = SpaceChargeLayer(sign * phi0, N, E, eps)
    t = L._table
    xi_max = L.extent_nm(1e-9) / t["lam_nm"]
    xn = peer_mesh(L, xi_max, h0, hsat, growth, tail_h=tail_h)
    x, f = devsim_solve(ds, L, t["f0"], t["lnB"], t["ell"], xn)
    assert np.allclose(x, xn, rtol=0, atol=1e-9 * xi_max)
    phi_ds = -t["kt"] * f
    # 1) the same discrete problem: ssbands' finite solver on DEVSIM's mesh, without extrapolation
    sp = SpeciesSet(two_defect_species(N, E, 0.1), eps, 300.0)
    mine = solve_finite_layer(sp, xi_max * t["lam_nm"], sign * phi0, 0.0, mesh_nm=xn * t["lam_nm"], richardson=False)
    assert np.max(np.abs(mine.phi_V - phi_ds)) < 1e-8
    # 2) the continuum problem: DEVSIM's profile against the first integral (its discretisation error)
    err = np.max(np.abs(phi_ds - L.potential(x * t["lam_nm"])))
    assert err < atol_fi, (name, err)


# DEVSIM runs the materials whose tail fits a finite domain (LLZO: ℓ = 0.3 nm, LiPON: 2.3 nm); LiF, Li2CO3
# and Li2O have tails of micrometres to millimetres (B ~ 1e13-1e15), which only the first integral spans.
@pytest.mark.parametrize("name", ["LLZO", "LiPON"])
def test_profile_agrees_with_devsim_reduced(name):
    _devsim_case(name, 1, 0.01, 0.1, 5e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["LLZO", "LiPON"])
@pytest.mark.parametrize("sign", [1, -1])
def test_profile_agrees_with_devsim_full(name, sign):
    _devsim_case(name, sign, 0.003, 0.02, 1e-6, tail_h=0.01, growth=1.02)
