"""Benchmark of the KPFM data path (one core): 512x512 map -> CPD(x) profile, 20x20x128 Δf(V) grid ->
CPD map. Self-contained (synthetic data); prints a Markdown table.

    python benchmarks/bench_kpfm.py [--repeat 7]

Targets: map -> profile <= 50 ms, grid -> CPD map <= 100 ms.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from _common import cpu_model, pin_one_core, time_runs  # noqa: E402


def _timeit(fn, repeat):
    ts, _ = time_runs(fn, repeat)
    return float(np.median(ts)) * 1e3, float(np.min(ts)) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    pin_one_core()
    from ssbands.kpfm.io import read, write
    from ssbands.kpfm.processing import map_to_profile
    from ssbands.kpfm.spectroscopy import fit_parabola

    rng = np.random.default_rng(0)
    x = np.arange(512)
    z = 0.2 + 0.3 * (x > 256)[None, :] + rng.normal(0, 0.01, (512, 512))
    tmp = Path(tempfile.mkdtemp())
    kf = read(write(tmp / "map.npy", z, size_m=(10e-6, 10e-6)))
    mask = rng.random((512, 512)) < 0.05
    v = np.linspace(0.2, -0.1, 128)
    cpd = rng.uniform(0.0, 0.1, (20, 20))
    df = -10 * (v - cpd[..., None]) ** 2 - 6 + rng.normal(0, 0.01, (20, 20, 128))
    df_nan = df.copy()
    df_nan[0, 0, 0] = np.nan
    rows = [
        ("512x512 map -> CPD(x) profile (in memory)", lambda: map_to_profile(kf), 50),
        (
            "512x512 map -> profile, 5 % masked, plane levelled",
            lambda: map_to_profile(kf, mask=mask, level="plane"),
            50,
        ),
        ("512x512 .npy read + profile", lambda: map_to_profile(read(tmp / "map.npy")), 50),
        ("20x20x128 Δf(V) -> CPD map (shared sweep)", lambda: fit_parabola(v, df), 100),
        ("20x20x128 Δf(V) -> CPD map (NaN path, batched 3x3)", lambda: fit_parabola(v, df_nan), 100),
    ]
    cpu = cpu_model()
    print(f"KPFM benchmark — {date.today().isoformat()}, {cpu}, one core, median of {args.repeat} runs "
          f"(Python {platform.python_version()}, numpy {np.__version__})\n")
    print("| case | median (ms) | min (ms) | target (ms) | ok |")
    print("|---|---:|---:|---:|:-:|")
    for name, fn, target in rows:
        med, mn = _timeit(fn, args.repeat)
        print(f"| {name} | {med:.2f} | {mn:.2f} | {target} | {'yes' if med <= target else 'NO'} |")


if __name__ == "__main__":
    main()
