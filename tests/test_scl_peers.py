"""The SCL profile against independent peers on the same problem: scipy solve_bvp and DEVSIM.

The normal run uses reduced sizes (coarser DEVSIM mesh, looser solve_bvp tolerance); the
``slow``-marked tests are the full-size comparisons (DEVSIM converged to 1e-6 V on a fine mesh).
DEVSIM needs a BLAS/LAPACK at import: with Debian's ``libopenblas0`` + ``liblapack3`` it must be told
where they are, ``DEVSIM_MATH_LIBS=libopenblas.so.0:liblapack.so.3:libblas.so.3`` (``ssbands.scl.peers`` sets
it when absent). The peers themselves live in ``ssbands.scl.peers``, shared with the benchmarks.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.scl import SpaceChargeLayer
from ssbands.scl.finite import solve_finite_layer
from ssbands.scl.peers import bvp_semi_infinite, devsim_solve, import_devsim, peer_mesh
from ssbands.scl.species import SpeciesSet, two_defect_species

SWIFT = {
    "LLZO": (1.6216363, 3.27455e22, 0.0143907, 50.0),
    "LiF": (1.9160631, 5.98412e22, 0.9733510, 9.0),
    "Li2CO3": (1.8444179, 1.64941e22, 0.9110166, 5.64),
    "Li2O(111)": (2.1833214, 8.08106e22, 0.8601251, 7.27),
    "Li2O(110)": (0.7104937, 8.08106e22, 0.8601251, 7.27),
    "LiPON": (1.24, 3.957e22, 0.275, 7.3),
}


def _bvp_case(name, sign, tol, atol):
    phi0, N, E, eps = SWIFT[name]
    L = SpaceChargeLayer(sign * phi0, N, E, eps)
    t = L._table
    # a domain of ≤ 60 tail lengths beyond the saturated zone (LiF's tail is mm long: stop at 1e-6 V)
    xi_max = min(L.extent_nm(1e-9), L.extent_nm(1e-6) * 1.0) / t["lam_nm"]
    sol = bvp_semi_infinite(L, xi_max, tol)
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
    try:
        return import_devsim()
    except ImportError as exc:
        pytest.skip(str(exc))


def _devsim_case(name, sign, h0, hsat, atol_fi, tail_h=0.05, growth=1.05):
    _devsim()
    phi0, N, E, eps = SWIFT[name]
    L = SpaceChargeLayer(sign * phi0, N, E, eps)
    t = L._table
    xi_max = L.extent_nm(1e-9) / t["lam_nm"]
    xn = peer_mesh(L, xi_max, h0, hsat, growth, tail_h=tail_h)
    x, f, _, _ = devsim_solve(L, xn)
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
