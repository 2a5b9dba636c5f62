"""Space-charge-layer benchmarks: ssbands against scipy solve_bvp and DEVSIM, timed in the same run.

Self-contained; prints Markdown (``python benchmarks/bench_scl.py``; collected into benchmarks/RESULTS.md
by benchmarks/run.py).
One core: BLAS threads are pinned to 1 and the process to CPU 0. Each timing is the median of >= 5
runs. DEVSIM needs a BLAS/LAPACK (Debian: ``apt-get install libopenblas0 liblapack3``; DEVSIM looks for
unversioned names, so ``ssbands.scl.peers`` sets ``DEVSIM_MATH_LIBS=libopenblas.so.0`` when absent).
The peers (solve_bvp, DEVSIM) are ``ssbands.scl.peers``, shared with the test suite.

1. Batched semi-infinite SCL (σ, capacitances, widths) for 10⁵ interfaces (target ≥ 2·10⁶ /s).
2. One full φ(x) profile accurate to 1e-6 V (target ≥ 100× faster than solve_bvp and than DEVSIM).
3. A finite-SE solve (symmetric Li|LiPON|Li cell, 5 nm: overlapping layers).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

from ssbands.scl import SpaceChargeLayer, first_integral  # noqa: E402
from ssbands.scl.finite import graded_mesh, solve_finite_layer  # noqa: E402
from ssbands.scl.peers import bvp_finite, bvp_semi_infinite, devsim_solve, guess, import_devsim, peer_mesh  # noqa: E402
from ssbands.scl.species import SpeciesSet, two_defect_species  # noqa: E402

from _common import cpu_model, median_s, pin_one_core  # noqa: E402

pin_one_core()

REPEATS = 7
LLZO = (1.6216363, 3.27455e22, 0.0143907, 50.0)
LIPON = (1.24, 3.957e22, 0.275, 7.3)


def fmt(s):
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} µs"


def devsim_available():
    try:
        import_devsim()
    except ImportError as exc:  # pragma: no cover
        return f"DEVSIM unavailable: {exc}"
    return None


# ---------------------------------------------------------------------------------------- benches
def bench_batch(lines):
    rng = np.random.default_rng(0)
    n = 100_000
    phi0 = rng.uniform(-2.5, 2.5, n)
    N = 10 ** rng.uniform(21, 23, n)
    E = rng.uniform(0.0, 1.0, n)
    eps = rng.uniform(5, 60, n)
    al = np.full(n, 0.1)
    T = np.full(n, 300.0)
    t_ss = median_s(lambda: first_integral(phi0, N, E, eps, al, T))
    # plain numpy evaluation of the closed form σ only (the reference speed for the batched solver)
    lnB = np.log(al) + E / (8.617333262e-5 * T)

    def plain():
        f = phi0 / (8.617333262e-5 * T)
        return np.sqrt(2 * np.log1p(4 * np.exp(lnB) * np.sinh(f / 2) ** 2 / (1 + np.exp(lnB)) ** 2))

    with np.errstate(over="ignore", invalid="ignore"):
        t_plain = median_s(plain)
    # peer: solve_bvp per interface (20 interfaces, extrapolated)
    idx = np.arange(20)

    def peer():
        for i in idx:
            L = SpaceChargeLayer(phi0[i], N[i], E[i], eps[i])
            xi_max = min(L.extent_nm(1e-9), L.extent_nm(1e-6)) / L._table["lam_nm"]
            bvp_semi_infinite(L, xi_max)

    t_peer = median_s(peer, 5) / 20 * n
    lines += ["## 1. Batched semi-infinite SCL: σ, capacitances, widths for 10⁵ interfaces", "",
              "| method | time for 10⁵ | interfaces / s | ratio vs ssbands |", "|---|---|---|---|",
              f"| ssbands `first_integral` (all outputs, log-space, validated) | {fmt(t_ss)} | {n / t_ss:.3g} | 1 |",
              f"| plain numpy closed form, σ only (unvalidated, overflows for large f) | {fmt(t_plain)} | "
              f"{n / t_plain:.3g} | {t_ss / t_plain:.2g}× faster |",
              f"| scipy `solve_bvp` per interface (20 timed, extrapolated) | {t_peer:.3g} s | {n / t_peer:.3g} | "
              f"{t_peer / t_ss:.3g}× slower |", "",
              f"Target ≥ 2·10⁶ interfaces/s on one core: **{'met' if n / t_ss >= 2e6 else 'MISSED'}** "
              f"({n / t_ss:.3g}/s). The batch allocates ~10 result arrays of 0.8 MB; its time varies up to 2× "
              "with the C allocator's state (page faults on fresh memory vs. reused heap: 3.6–14 ms measured in one "
              "session), so read the rate as ± a factor 2 around the median reported here.", ""]


def bench_profile(lines):
    lines += ["## 2. One full φ(x) profile accurate to 1e-6 V", "",
              "ssbands: `SpaceChargeLayer(...)` (first-integral table, no mesh) + `potential(x)` at 200 points. "
              "solve_bvp: tol 1e-6 on [0, x(1e-9 V)], Robin tail. DEVSIM: finite volumes on a graded mesh "
              "fine enough for 1e-6 V (spacing 0.003λ at the interface, 0.02λ through the saturated zone, "
              "ℓ/100 in the tail), Newton with log damping; its time is split into setup (mesh, models) and solve. "
              "All three start from the same analytic two-zone guess (peers only). Errors are max |Δφ| "
              "against the ssbands profile at each peer's nodes.", "",
              "| material | ssbands | solve_bvp | DEVSIM solve | DEVSIM setup+solve | bvp/ssbands | "
              "DEVSIM(solve)/ssbands | DEVSIM(total)/ssbands | bvp err (V) | DEVSIM err (V) | DEVSIM nodes |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    miss = []
    why = devsim_available()
    for name, p in (("LLZO", LLZO), ("LiPON", LIPON)):

        def ours(p=p):
            L = SpaceChargeLayer(*p)
            return L.potential(np.linspace(0.0, 5.0, 200))

        t_ss = median_s(ours, 21)
        L = SpaceChargeLayer(*p)
        t = L._table
        xi_max = L.extent_nm(1e-9) / t["lam_nm"]
        t_bvp = median_s(lambda L=L, xi_max=xi_max: bvp_semi_infinite(L, xi_max, 1e-6))
        sol = bvp_semi_infinite(L, xi_max, 1e-6)
        e_bvp = float(np.max(np.abs(-t["kt"] * sol.y[0] - L.potential(sol.x * t["lam_nm"]))))
        if why is None:
            xn = peer_mesh(L, xi_max)
            runs = [devsim_solve(L, xn) for _ in range(REPEATS)]
            t_ds = statistics.median(r[3] for r in runs)
            t_dst = statistics.median(r[2] + r[3] for r in runs)
            x, f = runs[0][0], runs[0][1]
            e_ds = float(np.max(np.abs(-t["kt"] * f - L.potential(x * t["lam_nm"]))))
            ds_cells = (f"{fmt(t_ds)} | {fmt(t_dst)} | {t_bvp / t_ss:.0f}× | {t_ds / t_ss:.0f}× | "
                        f"{t_dst / t_ss:.0f}× | {e_bvp:.1e} | {e_ds:.1e} | {len(xn)}")
            if t_ds / t_ss < 100:
                miss.append(f"{name}: DEVSIM solve only {t_ds / t_ss:.0f}×")
        else:
            ds_cells = f"n/a | n/a | {t_bvp / t_ss:.0f}× | n/a | n/a | {e_bvp:.1e} | n/a | n/a"
        if t_bvp / t_ss < 100:
            miss.append(f"{name}: solve_bvp only {t_bvp / t_ss:.0f}×")
        lines.append(f"| {name} | {fmt(t_ss)} | {fmt(t_bvp)} | {ds_cells} |")
    verdict = "**met**" if not miss else "**MISSED** — " + "; ".join(miss)
    lines += ["", "Target ≥ 100× faster than each peer: " + verdict, ""]
    if why:
        lines += [f"({why})", ""]
    if miss:
        lines += ["Why the solve_bvp ratio falls short: the ssbands profile costs ≈ 0.1 ms, of which ≈ 60 µs is the "
                  "first-integral table (≈ 700 nodes × 5 evaluations of g(f), vectorised) and ≈ 35 µs the 200-point "
                  "Hermite evaluation — both dominated by the fixed cost of ~50 numpy calls, not by arithmetic "
                  "(a 4× coarser table with quintic Hermite interpolation only saved ≈ 15 µs, measured). solve_bvp "
                  "started from the analytic two-zone guess converges in 3–5 ms (11 ms from a plain "
                  "parabola-plus-exponential guess, which would give ≈ 80–100×). A numba kernel was tried and "
                  "measured, not adopted: compiled scalar code for the same 750-node table was slower than numpy's "
                  "vectorised transcendental functions (141 µs vs 62 µs), and a cheaper 4th-order corrected-"
                  "trapezoid table (one g evaluation per node) lost accuracy (1e-4 relative in x) at large B, where "
                  "the saturation onset at f ≈ ln B is sharp; numba for the interpolation alone would give ≈ 80 µs, "
                  "still short of 100×. Against DEVSIM (which needs ~2400–3100 nodes to reach 1e-6 V) "
                  "the target is met.", ""]


def bench_finite(lines):
    name, p = "LiPON", LIPON
    L_nm = 5.0
    sp = SpeciesSet(two_defect_species(p[1], p[2], 0.1), p[3], 300.0)
    t_ss = median_s(lambda: solve_finite_layer(sp, L_nm, p[0]))
    sol = solve_finite_layer(sp, L_nm, p[0])
    Lay = SpaceChargeLayer(*p)
    t = Lay._table
    xi_len = L_nm / t["lam_nm"]
    t_bvp = median_s(lambda: bvp_finite(Lay, xi_len, 1e-6))
    b = bvp_finite(Lay, xi_len, 1e-6)
    e_bvp = float(np.max(np.abs(-t["kt"] * b.sol(sol.x_nm / t["lam_nm"])[0] - sol.phi_V)))
    row = (f"| symmetric Li\\|{name}\\|Li, {L_nm:g} nm (overlapping layers) | {fmt(t_ss)} ({len(sol.x_nm)} nodes, "
           f"Richardson) | {fmt(t_bvp)} | {t_bvp / t_ss:.1f}× | {e_bvp:.1e} |")
    extra = ""
    if devsim_available() is None:
        half = graded_mesh(xi_len, 0.003, 1.02, 0.02)
        runs = [devsim_solve(Lay, half, f_right=t["f0"], init=lambda x: np.maximum(guess(Lay, x),
                                                                                  guess(Lay, xi_len - x)))
                for _ in range(REPEATS)]
        t_ds = statistics.median(r[3] for r in runs)
        x, f = runs[0][0], runs[0][1]
        e_ds = float(np.max(np.abs(-t["kt"] * f - sol.potential(np.clip(x * t["lam_nm"], 0, L_nm)))))
        extra = (f" DEVSIM (same cell, {len(half)} nodes): solve {fmt(t_ds)} ({t_ds / t_ss:.1f}× ssbands), "
                 f"max |Δφ| {e_ds:.1e} V.")
    lines += ["## 3. Finite-SE solve", "",
              "| problem | ssbands `solve_finite_layer` | solve_bvp (tol 1e-6) | ratio | max \\|Δφ\\| vs bvp (V) |",
              "|---|---|---|---|---|", row, "", extra.strip(), ""]


def main():
    model = cpu_model()
    import scipy

    lines = ["# Space-charge-layer benchmarks (`benchmarks/bench_scl.py`)", "",
             f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}",
             f"- machine: {model} (`lscpu | grep 'Model name'`), one core (affinity + BLAS threads = 1)",
             f"- Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
             + (f", devsim {__import__('devsim').__version__}" if devsim_available() is None else ""),
             f"- every time is the median of ≥ {REPEATS} runs (peer and ssbands in the same run)", ""]
    bench_batch(lines)
    bench_profile(lines)
    bench_finite(lines)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
