"""Benchmark: a 200-frequency impedance spectrum of the whole thin-film cell, against DEVSIM small-signal AC.

Cell: Cu | LixSi | LiPON (1 µm) | LixCoO2 | Pt | Si at 3.75 V (both space-charge layers), local-equilibrium
transport, 200 frequencies from 0.01 Hz to 1e9 Hz. ssbands: the full ``ssbands.impedance.impedance`` call
(cell solve, finite-electrolyte equilibrium, network, ladder reduction; no circuit fit) and its spectrum
solve alone. Peer: DEVSIM (its own model equations, DC solve and small-signal AC) on the same mesh and
frequencies — the same discretisation, so the same accuracy by construction; both are measured against a
reference (Richardson-extrapolated spectrum on a 3× finer mesh). DEVSIM's setup is timed apart from its
solves. Run: .venv/bin/python benchmarks/bench_impedance.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from _common import cpu_model, pin_one_core, time_runs  # noqa: E402


def setup(electrodes):
    from ssbands.cell import fuller2021_stack
    from ssbands.impedance import ElectrodeBC, build_network, cell_interfaces, impedance_mesh
    from ssbands.impedance.cell import electrolyte_region
    from ssbands.scl.finite import solve_stack
    from ssbands.scl.transport import defect_transport

    st = fuller2021_stack()
    ifs = cell_interfaces(st, 3.75)
    reg = electrolyte_region(st, defect_transport(st.electrolyte.material, 300.0))
    pl, pr = -ifs[0]["phi0_V"], -ifs[1]["phi0_V"]
    sol = solve_stack([reg], pl, pr, mesh_nm=impedance_mesh([reg], pl, pr), richardson=False)
    bc = ElectrodeBC(electrodes)
    net = build_network(sol.x_nm, sol.phi_V, sol.regions, sol.region_index[:-1], "local-equilibrium", bc, bc)
    return st, reg, (pl, pr), sol, net


def reference(reg, pl, pr, f, electrodes):
    from ssbands.impedance import ElectrodeBC, spectrum

    bc = ElectrodeBC(electrodes)
    opts = {"h_factor": 0.02, "growth": 1.02, "bulk_points": 180}
    return spectrum([reg], pl, pr, f, left=bc, right=bc, richardson=True, mesh_options=opts).Z_ohm_cm2


def run_case(electrodes, f, repeats):
    from ssbands.impedance import impedance
    from ssbands.impedance.peers import devsim_impedance

    st, reg, (pl, pr), sol, net = setup(electrodes)
    w = 2 * np.pi * f
    t_full, ds = time_runs(lambda: impedance(st, 3.75, f, electrodes=electrodes, fit=False), repeats, keep_output=True)
    coarse = {"growth": 1.2, "h_factor": 0.1, "bulk_points": 30}
    t_rich, dr = time_runs(lambda: impedance(st, 3.75, f, electrodes=electrodes, fit=False, richardson=True,
                                             mesh_options=coarse), repeats, keep_output=True)
    t_solve, Z = time_runs(lambda: net.solve(w) * 1e4, repeats, keep_output=True)
    ref = reference(reg, pl, pr, f, electrodes)
    peer = []
    for _ in range(max(3, repeats // 2)):
        peer.append(devsim_impedance(sol, net, f))
    dv = peer[0]["Z_ohm_cm2"]
    return {"nodes": sol.x_nm.size, "t_full": np.median(t_full), "t_solve": np.median(t_solve),
            "t_dev_setup": np.median([p["setup_s"] + p["dc_s"] for p in peer]),
            "t_dev_ac": np.median([p["ac_s"] for p in peer]),
            "err_mine": float(np.max(np.abs(Z / ref - 1))), "err_full": float(np.max(np.abs(
                (ds["Z_real_ohm_cm2"].values + 1j * ds["Z_imag_ohm_cm2"].values) / ref - 1))),
            "err_dev": float(np.max(np.abs(dv / ref - 1))), "mine_vs_dev": float(np.max(np.abs(dv / Z - 1))),
            "t_rich": np.median(t_rich), "nodes_rich": int(dr.attrs["mesh_nodes"]), "err_rich": float(np.max(np.abs(
                (dr["Z_real_ohm_cm2"].values + 1j * dr["Z_imag_ohm_cm2"].values) / ref - 1)))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    pinned = pin_one_core()
    f = np.geomspace(1e-2, 1e9, 200)
    rows = [(el, run_case(el, f, a.repeats)) for el in ("blocking", "reversible")]
    import devsim

    print(f"machine: {cpu_model()}; python {platform.python_version()}; devsim {devsim.__version__}; one core "
          f"pinned: {pinned}; date {time.strftime('%Y-%m-%d')}; median of {a.repeats} runs (DEVSIM: "
          f"{max(3, a.repeats // 2)})\n")
    print("Cu|LixSi|LiPON(1 µm)|LixCoO2|Pt|Si at 3.75 V, local-equilibrium transport, 200 frequencies 0.01 Hz–1 GHz. "
          "Errors: max |Z/Z_ref − 1| over the 200 frequencies, Z_ref = Richardson-extrapolated spectrum on a 3× "
          "finer mesh.\n")
    print("| electrodes | mesh nodes | ssbands `impedance()` (whole call) | ssbands spectrum solve | DEVSIM AC "
          "(200 solves) | DEVSIM setup + DC | ratio (AC solves) | error ssbands | error DEVSIM | ssbands vs DEVSIM |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for el, r in rows:
        print(f"| {el} | {r['nodes']} | {r['t_full'] * 1e3:.1f} ms | {r['t_solve'] * 1e3:.1f} ms | "
              f"{r['t_dev_ac'] * 1e3:.0f} ms | {r['t_dev_setup'] * 1e3:.0f} ms | {r['t_dev_ac'] / r['t_solve']:.0f}× | "
              f"{r['err_mine']:.1e} | {r['err_dev']:.1e} | {r['mine_vs_dev']:.1e} |")
    print("\nEqual accuracy by extrapolation: ssbands `impedance(..., richardson=True)` on a coarser mesh (its nodes "
          "and their bisection) against DEVSIM on the default mesh.\n")
    print("| electrodes | ssbands mesh nodes | ssbands whole call | error ssbands | DEVSIM AC (default mesh) | "
          "error DEVSIM | ratio |")
    print("|---|---|---|---|---|---|---|")
    for el, r in rows:
        print(f"| {el} | {r['nodes_rich']} (+ bisection) | {r['t_rich'] * 1e3:.1f} ms | {r['err_rich']:.1e} | "
              f"{r['t_dev_ac'] * 1e3:.0f} ms | {r['err_dev']:.1e} | {r['t_dev_ac'] / r['t_rich']:.0f}× |")
    worst = max(r["t_full"] for _, r in rows)
    ratio = min(r["t_dev_ac"] / r["t_full"] for _, r in rows)
    print(f"\nTargets: 200-frequency spectrum ≤ 20 ms on one core — whole call {worst * 1e3:.1f} ms "
          f"({'met' if worst <= 0.02 else 'not met'}); ≥ 50× faster than DEVSIM AC at equal accuracy — "
          f"{ratio:.0f}× counting the whole ssbands call against DEVSIM's AC solves alone "
          f"({'met' if ratio >= 50 else 'not met'}).")


if __name__ == "__main__":
    main()
