"""KPFM data, end to end: from instrument files to CPD(x), interface steps and ΔCPD(x) per OCV.

Builds a synthetic operando series of a three-layer cell (anode | solid electrolyte | cathode, the
cathode side grounded) measured at three OCVs with x-drift, noise and a tip offset, writes each scan
as a Gwyddion file, then runs the same chain a user runs on real files. With the shared real data
present it also reads a real CdTe CPD map. Figures go to docs/figures/ (or the folder given).

    python examples/kpfm_profile.py [OUTDIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.special import erf

from ssbands.kpfm import plots, processing
from ssbands.kpfm.io import read
from ssbands.kpfm.io.gwy import write_gwy
from ssbands.kpfm.series import operando_series

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "figures"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(42)

NX, NY, SIZE_M = 300, 64, (6e-6, 1.28e-6)  # 20 nm pixels
x = (np.arange(NX) + 0.5) * 20.0  # nm


def scan(ocv, drift_nm):
    """CPD map [V]: base CPD of each layer, −OCV on the anode side, smeared by a 60 nm tip."""
    def edge(x0):
        return 0.5 * (1 + erf((x - x0 - drift_nm) / 60.0))
    base = 0.45 - 0.20 * edge(2000) + 0.257 * edge(4000)      # anode | SE | cathode
    cpd = base - ocv * (1 - edge(2000)) + 0.05                 # ΔCPD = ΔV = −OCV on the anode side
    topo = 30e-9 * edge(2000) - 10e-9 * edge(4000)
    return cpd[None, :] + rng.normal(0, 0.02, (NY, NX)), topo[None, :] + rng.normal(0, 1e-9, (NY, NX))


tmp = Path(tempfile.mkdtemp())
files = []
for ocv, drift in [(0.0, 0.0), (1.5, 45.0), (3.0, -30.0)]:
    cpd, topo = scan(ocv, drift)
    p = tmp / f"cell_{ocv:.1f}V.gwy"

    write_gwy(p, [("Height", "m", topo, SIZE_M), ("CPD", "V", cpd, SIZE_M)])
    files.append((p, ocv))

# 1. read: the potential channel is chosen by title and unit
kf = read(files[0][0], convention="sample")
print(f"{kf.path.name}: channels {kf.titles}, potential channel {kf.potential_channel!r}")

# 2. profile: average along y (rows 8..56), no levelling of the potential
prof = processing.map_to_profile(kf, rows=(8, 56))
plots.plot_map(kf.channel(), rows=(8, 56), path=OUT / "kpfm_map.png")

# 3. layers, base reference and interface steps with uncertainties
seg = processing.segment(prof, names=["anode", "SE", "cathode"], n_steps=2)
print("layer boundaries (nm):", np.round(seg.ssb.metadata["layer_boundaries_nm"], 1))
seg = processing.reference_to_base(seg, "cathode")
step = processing.interface_step(seg, (2400, 3700), (4300, 5800), estimator="points")
print(f"SE | cathode step: {step}  (true 0.257 V)")
plots.plot_profile(seg, path=OUT / "kpfm_profile.png")

# 4. operando series: drift-aligned on topography, ΔCPD against OCV = 0
man = tmp / "series.yaml"
man.write_text("convention: sample\nrows: [8, 56]\nalign_on: topography\nscans:\n"
               + "".join(f"  - {{file: {p.name}, ocv_V: {o}}}\n" for p, o in files))
series = operando_series(man)
print("x-drift removed (nm):", np.round(series["shift_nm"].values, 1), "correlation:",
      np.round(series["shift_correlation"].values, 2))
for o, d in zip(series["ocv"].values, series["delta_cpd_V"].values, strict=True):
    print(f"OCV {o:.1f} V: mean ΔCPD anode side {np.nanmean(d[10:90]):+.3f} V, cathode side "
          f"{np.nanmean(d[210:290]):+.3f} V")
plots.plot_series(series, path=OUT / "kpfm_series.png")

# 5. a real file, when the shared data are present
real = ROOT.parent / "shared" / "data" / "kpfm" / "CdTe_0per_350C_2_CPD.gwy"
if real.is_file():
    r = read(real)
    pr = processing.map_to_profile(r)
    print(f"{real.name}: channel {pr.ssb.metadata['channel']!r}, mean CPD "
          f"{np.nanmean(pr['cpd_V'].values):.3f} V; notes: {r.notes[0][:80]}...")
print(f"figures in {OUT}")
