"""Benchmark of the KPFM model fit (one core): one least-squares fit of the Fuller 2021 cell model to a
synthetic operando ΔCPD series (4 OCVs + reference, 480 points each). Self-contained; prints a
Markdown table (paste into benchmarks/RESULTS.md (via benchmarks/run.py)).

    python benchmarks/bench_kpfm_fit.py [--repeat 7]

Cases: (a) offsets + width + front + x_offset + x_scale (8 parameters; no new equilibrium solve
during the fit), (b) the same + the LixSi|LiPON dipole (a new equilibrium solve per trial dipole),
(c) one model evaluation (closed-form blur onto the measured x).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import platform  # noqa: E402
from datetime import date  # noqa: E402

import numpy as np  # noqa: E402

from _common import cpu_model, time_runs  # noqa: E402


def _timeit(fn, repeat):
    ts, out = time_runs(fn, repeat, keep_output=True)
    return float(np.median(ts)) * 1e3, float(np.min(ts)) * 1e3, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from ssbands.cell import fuller2021_stack
    from ssbands.kpfm.fit import fit, model_dcpd
    from ssbands.kpfm.fit.model import ForwardModel, blur_knots

    stack = dataclasses.replace(fuller2021_stack(closure="extrinsic", mu_li_se_eV=-1.5),
                                dipoles={("LixSi", "LiPON"): 0.2})
    ocv = np.array([0.0, 1.0, 2.5, 3.5, 3.9])
    u = (np.arange(480) + 0.5) * 5.0
    clean = model_dcpd(stack, ocv, u, reference_ocv=0.0, width_nm=40.0, x_offset_nm=120.0, x_scale=0.97,
                       front_nm=30.0, offsets_V=[0, 0.03, -0.02, 0.02, -0.01])["dcpd_V"].values
    rng = np.random.default_rng(1)
    y = clean + rng.normal(0, 0.0053, clean.shape)
    y[0] = 0.0
    kw = dict(x_nm=u, ocv=ocv, reference_ocv=0.0, sigma_V=0.0075)
    rows = []
    # each fit builds its model afresh (equilibrium solves included), as a user's call would
    t_a, m_a, r_a = _timeit(lambda: fit(y, stack, "offset,width,front,x_offset,x_scale", **kw), args.repeat)
    rows.append(("fit: offsets, width, front, x_offset, x_scale (8 parameters)", t_a, m_a, r_a.nfev))
    start = dataclasses.replace(stack, dipoles={("LixSi", "LiPON"): 0.0})
    t_b, m_b, r_b = _timeit(lambda: fit(y, start, "offset,width,front,x_offset,x_scale,dipole:LixSi|LiPON", **kw),
                            args.repeat)
    rows.append(("fit: the same + dipole LixSi\\|LiPON (9 parameters)", t_b, m_b, r_b.nfev))
    model = ForwardModel(stack, ocv[1:], 0.0)
    kn = model.knots(None, {}, 30.0)
    t_c, m_c, _ = _timeit(lambda: blur_knots(u, kn, 40.0, 120.0, 0.97), max(args.repeat, 50))
    rows.append((f"one model evaluation (4 x 480 points, {kn[1].size} knots)", t_c, m_c, None))
    print(f"Date: {date.today().isoformat()}  ")
    print(f"Machine: {cpu_model()} (one thread), "
          f"Python {platform.python_version()}, numpy {np.__version__}\n")
    print("| case | median (ms) | min (ms) | nfev |")
    print("|---|---:|---:|---:|")
    for name, med, mn, nfev in rows:
        print(f"| {name} | {med:.1f} | {mn:.1f} | {'' if nfev is None else nfev} |")


if __name__ == "__main__":
    main()
