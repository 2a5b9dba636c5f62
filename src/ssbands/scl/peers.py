"""Independent reference solutions of the space-charge-layer problem, for validation and benchmarks.

The test suite and ``benchmarks/bench_scl.py`` compare ssbands' first-integral profiles and finite
solver against these peers on the same problem, in the dimensionless form of
:mod:`ssbands.scl.firstintegral` (ξ = x/λ, f = e(φ∞ − φ)/kT):

* :func:`bvp_semi_infinite` and :func:`bvp_finite` — scipy ``solve_bvp`` collocation;
* :func:`devsim_solve` — DEVSIM finite volumes on a given mesh (optional: DEVSIM needs a BLAS/LAPACK,
  e.g. Debian's ``libopenblas0`` + ``liblapack3``; ``DEVSIM_MATH_LIBS`` is pointed at them when unset).

ssbands' own results never use this module. Every peer starts from the same analytic two-zone guess
(:func:`guess`), which is independent of the solvers under test.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from scipy.special import expit

from ..errors import ConvergenceError
from .approx import two_zone
from .finite import graded_mesh

DEVSIM_MATH_LIBS = "libopenblas.so.0:liblapack.so.3:libblas.so.3"


def guess(L, xi):
    """Initial guess f(ξ): the two-zone analytic approximation of layer ``L`` (a SpaceChargeLayer)."""
    t = L._table
    tz = two_zone(L.phi0_V, L.site_density_cm3, L.defect_energy_eV, L.permittivity, L.alpha, L.temperature_K)
    return -tz.potential(xi * t["lam_nm"]) / t["kt"]


def _rhs(lnB):
    def fun(x, y):
        return np.vstack([y[1], expit(y[0] - lnB) - expit(-y[0] - lnB)])

    return fun


def _solve_bvp(fun, bc, x, g, tol):
    from scipy.integrate import solve_bvp

    sol = solve_bvp(fun, bc, x, np.vstack([g, np.gradient(g, x)]), tol=tol, max_nodes=200000, bc_tol=1e-10)
    if sol.status != 0:
        raise ConvergenceError("solve_bvp (peer) did not converge", {"message": sol.message, "tol": tol})
    return sol


def bvp_semi_infinite(L, xi_max: float, tol: float = 1e-6):
    """solve_bvp of f'' = 1/(B e^{−f}+1) − 1/(B e^{f}+1), f(0) = f0, Robin tail f' = −f/ℓ at ξ_max."""
    t = L._table
    f0, ell = t["f0"], t["ell"]

    def bc(ya, yb):
        return np.array([ya[0] - f0, yb[1] + yb[0] / ell])

    xs = float(L.result.saturated_width_m) / (t["lam_nm"] * 1e-9) + 4.0
    x = np.unique(np.concatenate([np.linspace(0.0, min(2 * xs, xi_max), 150),
                                  np.geomspace(min(xs, xi_max / 2), xi_max, 100)]))
    return _solve_bvp(_rhs(t["lnB"]), bc, x, guess(L, x), tol)


def bvp_finite(L, xi_len: float, tol: float = 1e-6):
    """solve_bvp on [0, ξ_len] with f = f0 at both ends (a symmetric cell)."""
    t = L._table
    f0 = t["f0"]

    def bc(ya, yb):
        return np.array([ya[0] - f0, yb[0] - f0])

    x = np.linspace(0, xi_len, 300)
    return _solve_bvp(_rhs(t["lnB"]), bc, x, np.maximum(guess(L, x), guess(L, xi_len - x)), tol)


def peer_mesh(L, xi_max: float, h0: float = 0.003, hsat: float = 0.02, growth: float = 1.02, tail_h: float = 0.01):
    """Mesh for the peers.

    Fine (``hsat``) through the saturated zone and a few λ beyond, then growing geometrically up to
    ``tail_h`` tail lengths ℓ.
    """
    xs = float(L.result.saturated_width_m / (L._table["lam_nm"] * 1e-9)) + 12.0
    inner = graded_mesh(min(2 * xs, xi_max), h0, 1.01, hsat)
    inner = inner[inner <= min(xs, xi_max)]
    x = list(inner)
    h = inner[-1] - inner[-2]
    hmax = tail_h * L._table["ell"]
    while x[-1] + h < xi_max:
        x.append(x[-1] + h)
        h = min(h * growth, max(hmax, h))
    x[-1] = xi_max
    return np.array(x)


class QuietFd1:
    """Context manager: DEVSIM's C++ core prints its log on file descriptor 1; send it to /dev/null meanwhile."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        self.null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self.null, 1)

    def __exit__(self, *exc):
        os.dup2(self.saved, 1)
        os.close(self.null)
        os.close(self.saved)
        return False


def import_devsim():
    """Import DEVSIM (pointing it at Debian's BLAS/LAPACK when ``DEVSIM_MATH_LIBS`` is unset).

    Raises ImportError with the reason and the fix when it cannot be loaded.
    """
    os.environ.setdefault("DEVSIM_MATH_LIBS", DEVSIM_MATH_LIBS)
    try:
        with QuietFd1():
            import devsim
    except Exception as exc:  # RuntimeError when no BLAS/LAPACK is found
        raise ImportError(f"DEVSIM cannot be imported ({type(exc).__name__}: {exc}); it needs a BLAS/LAPACK: "
                          "apt-get install libopenblas0 liblapack3 and DEVSIM_MATH_LIBS=libopenblas.so.0") from None
    devsim.set_parameter(name="debug_level", value="error")
    return devsim


_N = {"k": 0}


def devsim_solve(L, xi_nodes, f_right: float = 0.0, init=None):
    """DEVSIM finite volumes for f'' = rhs(f) on ``xi_nodes``: f(0) = f0, f(end) = ``f_right``.

    ``init(x)`` gives the initial guess (default :func:`guess`). Returns
    ``(x, f, setup_seconds, solve_seconds)``.
    """
    ds = import_devsim()
    with QuietFd1():
        return _devsim_solve(ds, L, np.asarray(xi_nodes, float), f_right, init)


def _devsim_solve(ds, L, xi_nodes, f_right, init):
    t = L._table
    t0 = time.perf_counter()
    _N["k"] += 1
    mesh, dev = f"ssb_peer_mesh{_N['k']}", f"ssb_peer_dev{_N['k']}"
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
    ds.set_parameter(device=dev, region="se", name="Bk", value=float(np.exp(t["lnB"])))
    ds.set_parameter(device=dev, region="se", name="f0", value=float(t["f0"]))
    ds.set_parameter(device=dev, region="se", name="fr", value=float(f_right))
    rhs = "1/(Bk*exp(-f)+1) - 1/(Bk*exp(f)+1)"
    ds.node_model(device=dev, region="se", name="rhs", equation=rhs)
    ds.node_model(device=dev, region="se", name="rhs:f", equation=f"diff({rhs}, f)")
    ds.edge_model(device=dev, region="se", name="E", equation="(f@n0 - f@n1)*EdgeInverseLength")
    ds.edge_model(device=dev, region="se", name="E:f@n0", equation="EdgeInverseLength")
    ds.edge_model(device=dev, region="se", name="E:f@n1", equation="-EdgeInverseLength")
    ds.equation(device=dev, region="se", name="PoissonEq", variable_name="f", node_model="rhs", edge_model="E",
                variable_update="log_damp")
    for c, v in (("top", "f - f0"), ("bot", "f - fr")):
        ds.contact_node_model(device=dev, contact=c, name=f"{c}bc", equation=v)
        ds.contact_node_model(device=dev, contact=c, name=f"{c}bc:f", equation="1")
        ds.contact_equation(device=dev, contact=c, name="PoissonEq", node_model=f"{c}bc")
    x = np.array(ds.get_node_model_values(device=dev, region="se", name="x"))
    g = guess(L, x) if init is None else init(x)
    g[0], g[-1] = t["f0"], f_right
    ds.set_node_values(device=dev, region="se", name="f", values=g.tolist())
    t1 = time.perf_counter()
    ds.solve(type="dc", absolute_error=1e-10, relative_error=1e-7, maximum_iterations=80)
    t2 = time.perf_counter()
    f = np.array(ds.get_node_model_values(device=dev, region="se", name="f"))
    ds.delete_device(device=dev)
    ds.delete_mesh(mesh=mesh)
    return x, f, t1 - t0, t2 - t1
