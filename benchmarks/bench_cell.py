"""Benchmark: one cell solve (both SCLs, ΔCPD reference included) and a 100-point OCV sweep.

The stack is built once (its OCV curves and Li limits are set up once per stack, as in any sweep);
each timed solve includes the Li-conservation solve, both SCL profiles, the resistances and the ΔCPD
reference state.
Peer: the same calculation done the straightforward scipy way (brentq for Li conservation, then
scipy.integrate.solve_bvp for each space-charge layer to 1e-6), timed in the same run.
Run: .venv/bin/python benchmarks/bench_cell.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from _common import cpu_model, median_s, pin_one_core  # noqa: E402


def peer_cell(stack, ocvs):
    """brentq per OCV + solve_bvp per SCL (what one writes with scipy alone)."""
    from scipy.integrate import solve_bvp
    from scipy.optimize import brentq

    from ssbands.constants import kT_eV

    bal = stack.li_balance
    ca, cc, fractions, ocv_of_q, (lo, hi) = bal.anode, bal.cathode, bal.fractions, bal.ocv, bal.q_range
    se = stack.electrolyte.material
    N, Ef0, eps, al = (se.get(k) for k in ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha"))
    kt = kT_eV(stack.temperature_K)
    B = al * np.exp(Ef0 / kt)
    out = []
    for v in ocvs:
        span = hi - lo
        q = brentq(lambda q, v=v: ocv_of_q(np.array(q)) - v, lo + 1e-13 * span, hi - 1e-13 * span,
                   xtol=1e-30, rtol=1e-15)
        xa, xc = fractions(np.array(q))
        ua, uc = ca.evaluate(xa, 300.0), cc.evaluate(xc, 300.0)
        phi_si = np.interp(xa, [0, 1], [4.85, 2.93])  # work function (stand-in; cost is what matters)
        for phi0 in (1.24 + (phi_si - 2.93) - ua, 1.24 + (5.1 - 2.93) - uc):
            f0 = float(phi0) / kt
            L = 40.0 * max(1.0, (1 + B) / np.sqrt(2 * B))
            xi = np.linspace(0, L, 400)

            def fun(x, y):
                f = np.clip(y[0], -700, 700)
                return np.vstack([y[1], 1 / (B * np.exp(-f) + 1) - 1 / (B * np.exp(f) + 1)])

            sol = solve_bvp(fun, lambda a, b, f0=f0: np.array([a[0] - f0, b[0]]), xi,
                            np.vstack([f0 * np.exp(-xi), -f0 * np.exp(-xi)]), tol=1e-6, max_nodes=100000)
            out.append(sol.success)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    pinned = pin_one_core()
    from ssbands import interface
    from ssbands.cell import electrode_state, fuller2021_stack, solve, solve_arrays
    from ssbands.materials import load_library

    st = fuller2021_stack()
    phi_li = interface.phi_li(load_library())
    sweep = np.linspace(0.0, 4.0, 100)
    n100 = max(3, a.repeats // 2)
    t1 = median_s(lambda: solve(st, 3.0), a.repeats)
    t100 = median_s(lambda: solve(st, sweep), n100)
    # the solve itself (states, both SCLs of every state, ΔCPD reference) without building the xarray Profile
    k1 = median_s(lambda: solve_arrays(st, electrode_state(st, ocv=[3.0, 0.0]), phi_li), a.repeats)
    k100 = median_s(lambda: solve_arrays(st, electrode_state(st, ocv=np.append(sweep, 0.0)), phi_li), n100)
    p1 = median_s(lambda: peer_cell(st, [3.0, 0.0]), a.repeats)
    p100 = median_s(lambda: peer_cell(st, np.append(sweep, 0.0)), 3)
    cpu = cpu_model()
    print(f"machine: {cpu}; python {platform.python_version()}; one core pinned: {pinned}; "
          f"date {time.strftime('%Y-%m-%d')}; median of {a.repeats} (sweep: {n100}) runs\n")
    print("| case | ssbands `solve` (→ Profile) | arrays only (`solve_arrays`) | peer (scipy brentq + solve_bvp) "
          "| ratio (Profile) | target |")
    print("|---|---|---|---|---|---|")
    print(f"| one cell solve at one OCV (both SCLs + ΔCPD reference) | {t1 * 1e3:.2f} ms | {k1 * 1e3:.2f} ms | "
          f"{p1 * 1e3:.1f} ms | {p1 / t1:.0f}× | ≤ 2 ms |")
    print(f"| 100-point OCV sweep | {t100 * 1e3:.1f} ms | {k100 * 1e3:.1f} ms | {p100:.2f} s | {p100 / t100:.0f}× "
          "| ≤ 25 ms |")


if __name__ == "__main__":
    main()
