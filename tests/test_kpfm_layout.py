"""The layout of ssbands.kpfm: public names at their public paths, the "auto" reference-OCV rule of the fit,
and the KPFM figures written through the shared plotting helpers."""

from __future__ import annotations

import numpy as np
import pytest

import ssbands.cell as eq
from ssbands.cell import fuller2021_stack
from ssbands.errors import InputError


def test_public_names_at_their_paths():
    import ssbands.kpfm.fit as F
    import ssbands.kpfm.plots as KP
    import ssbands.plotting.kpfm as PK
    from ssbands.kpfm import processing, statistics

    for n in F.__all__:
        assert getattr(F, n) is not None, n
    assert F.plot_fit is PK.plot_fit and F.plot_decomposition is PK.plot_decomposition
    for n in ("plot_map", "plot_profile", "plot_series", "plot_fit_map"):
        assert getattr(KP, n) is getattr(PK, n)
    for n in ("RegionMean", "Step", "region_mean", "interface_step", "grain_boundary_stats", "correlation_length_px"):
        assert getattr(processing, n) is getattr(statistics, n)
    assert set(processing.__all__) <= set(dir(processing))


@pytest.mark.parametrize("reach, expected", [((-1.0, 4.0), 0.0), ((0.5, 4.0), 0.5), ((-3.0, -1.0), -1.0)])
def test_auto_reference_ocv_rule(monkeypatch, reach, expected):
    from ssbands.kpfm.fit.model import auto_reference_ocv

    monkeypatch.setattr(eq, "reachable_ocv_range", lambda stack: reach)
    assert auto_reference_ocv(fuller2021_stack()) == expected


def test_auto_reference_ocv_agrees_with_solve():
    from ssbands.kpfm.fit import model_dcpd
    from ssbands.kpfm.fit.model import auto_reference_ocv

    st = fuller2021_stack()
    ref = eq.solve(st, ocv=[1.0]).attrs["reference_ocv_V"]
    assert auto_reference_ocv(st) == pytest.approx(ref, abs=1e-9)
    m = model_dcpd(st, [1.0], np.linspace(0.0, 2000.0, 50), width_nm=20.0)
    assert m.attrs["reference_ocv_V"] == auto_reference_ocv(st)


def test_kpfm_figures_are_written(tmp_path):
    from ssbands.kpfm.io import read, write
    from ssbands.kpfm.plots import plot_map, plot_profile
    from ssbands.kpfm.processing import map_to_profile
    from ssbands.plotting import pyplot

    z = np.tile(np.linspace(0.0, 0.3, 64), (16, 1)) + np.random.default_rng(0).normal(0, 0.01, (16, 64))
    f = write(tmp_path / "m.npy", z, size_m=(640e-9, 160e-9))
    kf = read(f)
    fig = plot_map(kf.channel(), rows=(4, 12), path=tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 5000 and fig is not None
    plt = pyplot()
    fig, ax = plt.subplots()
    out = plot_profile(map_to_profile(kf), ax=ax, path=tmp_path / "profile.svg")
    assert out is fig and (tmp_path / "profile.svg").stat().st_size > 1000
    assert plt.fignum_exists(fig.number)  # a figure the caller owns is written but not closed
    plt.close(fig)
    with pytest.raises(InputError, match="png"):
        plot_map(kf.channel(), path=tmp_path / "map.bmp")
