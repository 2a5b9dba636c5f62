"""The impedance against DEVSIM's small-signal AC of the same problem on the same mesh.

DEVSIM solves the nonlinear Poisson–Nernst–Planck equations written in its own model language, finds the
DC solution from ssbands' equilibrium and linearises them itself (its own symbolic Jacobian and sparse LU).
The normal run uses a coarse mesh and 8 frequencies; the ``slow`` test the default mesh, 40 frequencies
and two OCVs, from 1 Hz to 1 GHz. Below ~1 Hz DEVSIM's double-precision sparse LU loses accuracy where Z is
set by a nearly floating carrier rail (blocking electrodes: Re Z is a 1e-4 part of |Z|; independent carriers
with a minority path: 5e-4 at 0.01 Hz); :func:`test_low_frequency_precision_against_iterative_refinement`
shows that ssbands' ladder reduction keeps 1e-7 there, against an iteratively refined extended-precision
solve of the same discrete system.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

from ssbands.cell import fuller2021_stack
from ssbands.impedance import ElectrodeBC, build_network, cell_interfaces, impedance_mesh
from ssbands.impedance.cell import electrolyte_region
from ssbands.scl.finite import solve_stack
from ssbands.scl.peers import import_devsim
from ssbands.scl.transport import defect_transport

STACK = fuller2021_stack()
COARSE = {"growth": 1.15, "h_factor": 0.1, "bulk_points": 30}


def _devsim():
    try:
        return import_devsim()
    except ImportError as exc:
        pytest.skip(str(exc))


def problem(ocv, mesh_options):
    ifs = cell_interfaces(STACK, ocv)
    reg = electrolyte_region(STACK, defect_transport(STACK.electrolyte.material, 300.0))
    pl, pr = -ifs[0]["phi0_V"], -ifs[1]["phi0_V"]
    mesh = impedance_mesh([reg], pl, pr, **mesh_options)
    return solve_stack([reg], pl, pr, mesh_nm=mesh, richardson=False)


def network(sol, transport, bcs):
    L = [ElectrodeBC(k, 30.0 if k == "butler-volmer" else None) for k in bcs]
    return build_network(sol.x_nm, sol.phi_V, sol.regions, sol.region_index[:-1], transport, L[0], L[1])


def compare(sol, transport, bcs, f):
    from ssbands.impedance.peers import devsim_impedance

    net = network(sol, transport, bcs)
    mine = net.solve(2 * np.pi * f) * 1e4
    peer = devsim_impedance(sol, net, f, transport)
    assert np.max(np.abs(peer["phi_dc_V"] - sol.phi_V)) < 1e-9  # the same equilibrium
    return np.abs(peer["Z_ohm_cm2"] / mine - 1)


BCS = [("blocking", "blocking"), ("reversible", "reversible"), ("butler-volmer", "reversible"),
       ("reversible", "butler-volmer")]


@pytest.mark.parametrize("transport", ["local-equilibrium", "independent"])
@pytest.mark.parametrize("bcs", BCS)
def test_devsim_ac_reduced(transport, bcs):
    _devsim()
    sol = problem(3.75, COARSE)
    f = np.geomspace(1.0, 1e8, 8)
    assert np.max(compare(sol, transport, bcs, f)) < 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("ocv", [0.5, 3.75])
@pytest.mark.parametrize("transport", ["local-equilibrium", "independent"])
@pytest.mark.parametrize("bcs", BCS)
def test_devsim_ac_full(ocv, transport, bcs):
    _devsim()
    sol = problem(ocv, {})
    f = np.geomspace(1.0, 1e9, 40)
    assert np.max(compare(sol, transport, bcs, f)) < 1e-4


def refined_impedance(net, w):
    """Z of the discrete system by LU with iterative refinement of the residual in extended precision."""
    rows, cols, va, vm = net._triplets()  # noqa: SLF001 - test access to the assembled system
    rows, cols, va, vm, _, _ = net._boundary(rows, cols, va, vm)  # noqa: SLF001
    N = net.n * net.block
    A = np.zeros((N, N), np.clongdouble)
    np.add.at(A, (rows, cols), va.astype(np.clongdouble) + 1j * np.longdouble(w) * vm.astype(np.clongdouble))
    rhs = net._rhs(net.assemble(), {"left": 1.0, "right": 0.0})  # noqa: SLF001
    lu = sl.lu_factor(A.astype(complex))
    x = sl.lu_solve(lu, rhs)
    for _ in range(8):
        r = rhs.astype(np.clongdouble) - A @ x.astype(np.clongdouble)
        x = x + sl.lu_solve(lu, r.astype(complex))
    return 1.0 / net.terminal_current(x, w) * 1e4


@pytest.mark.parametrize("transport", ["local-equilibrium", "independent"])
@pytest.mark.parametrize("bcs", [("blocking", "blocking"), ("reversible", "butler-volmer")])
def test_low_frequency_precision_against_iterative_refinement(transport, bcs):
    sol = problem(3.75, COARSE)
    net = network(sol, transport, bcs)
    for f in (1e-2, 1e-1):
        w = 2 * np.pi * f
        ref = refined_impedance(net, w)
        assert abs(net.solve([w])[0] * 1e4 / ref - 1) < 1e-5
        assert abs((net.solve([w])[0] * 1e4).real / ref.real - 1) < 1e-3  # Re Z is ~1e-4 of |Z| here
