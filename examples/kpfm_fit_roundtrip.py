"""Round trip of the KPFM model fit: synthetic operando scans of the Fuller 2021 thin-film cell are
written as files, read back as a ΔCPD series and fitted; figures go to docs/figures/.

    python examples/kpfm_fit_roundtrip.py

Truth: extrinsic closure with mu_Li,SE = -1.5 eV, a 0.2 V dipole at LixSi|LiPON (both model inputs,
held fixed: ΔCPD cannot determine them, see docs/kpfm-fit.md), a Gaussian instrument sigma of 40 nm,
the anode lithiated over 30 of its 50 nm, measured x = 120 nm + 0.97 x_model, a tip offset per scan,
30 mV pixel noise on 32-row maps.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np

from ssbands.cell import fuller2021_stack
from ssbands.kpfm.fit import fit, model_dcpd, plot_decomposition, plot_fit
from ssbands.kpfm.io import write
from ssbands.kpfm.series import operando_series

FIG = Path(__file__).resolve().parents[1] / "docs" / "figures"
OCV = np.array([0.0, 1.0, 2.5, 3.5, 3.9])
TIP = np.array([0.10, 0.13, 0.08, 0.12, 0.09])
TRUE = {"width_nm": 40.0, "front_nm": 30.0, "x_offset_nm": 120.0, "x_scale": 0.97}
NX, NY, PIXEL_NM, NOISE_V = 480, 32, 5.0, 0.03


def main(fig_dir=None):
    fig = Path(fig_dir) if fig_dir else FIG
    stack = dataclasses.replace(fuller2021_stack(closure="extrinsic", mu_li_se_eV=-1.5),
                                dipoles={("LixSi", "LiPON"): 0.2})
    u = (np.arange(NX) + 0.5) * PIXEL_NM
    clean = model_dcpd(stack, OCV, u, reference_ocv=0.0, width_nm=TRUE["width_nm"],
                       x_offset_nm=TRUE["x_offset_nm"], x_scale=TRUE["x_scale"], front_nm=TRUE["front_nm"])
    rng = np.random.default_rng(2024)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lines = []
        for i, v in enumerate(OCV):
            cpd = clean["dcpd_V"].values[i] + 0.5 + TIP[i]          # any common CPD level cancels in ΔCPD
            z = np.repeat(cpd[None, :], NY, axis=0) + rng.normal(0, NOISE_V, (NY, NX))
            f = write(tmp / f"scan_{v:.2f}V.gwy" if _has_gwyfile() else tmp / f"scan_{v:.2f}V.npy", z,
                      title="CPD", unit="V", size_m=(NX * PIXEL_NM * 1e-9, NY * PIXEL_NM * 1e-9))
            lines.append(f"  - {{file: {f.name}, ocv_V: {v}}}")
        (tmp / "series.yaml").write_text("align: false\nconvention: sample\nscans:\n" + "\n".join(lines) + "\n")
        series = operando_series(tmp / "series.yaml")
    res = fit(series, stack, "offset,width,front,x_offset,x_scale")
    truth = dict(TRUE, **{f"offset@{v:g}V": TIP[i] - TIP[0] for i, v in enumerate(OCV) if v != 0})
    print(f"reduced chi2 = {res.reduced_chi2:.3f} on {res.n_points} points ({res.nfev} model evaluations)")
    print(f"{'parameter':16} {'fit':>12} {'stderr':>10} {'truth':>10} {'z':>6}")
    for name, p in res.parameters.items():
        z = (p.value - truth[name]) / p.stderr
        print(f"{name:16} {p.value:12.5f} {p.stderr:10.5f} {truth[name]:10.5f} {z:6.2f}")
    for w in res.warnings:
        print("warning:", w)
    fig.mkdir(parents=True, exist_ok=True)
    plot_fit(res, path=fig / "kpfm_fit.png")
    plot_decomposition(res, path=fig / "kpfm_fit_decomposition.png")
    print(f"wrote {fig / 'kpfm_fit.png'} and {fig / 'kpfm_fit_decomposition.png'}")
    return res, truth


def _has_gwyfile():
    try:
        import gwyfile  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
