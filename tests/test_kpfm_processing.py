"""KPFM processing, Δf(V) fits and operando series on synthetic maps with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ssbands.errors import InputError
from ssbands.kpfm import processing as P
from ssbands.kpfm.io import SAMPLE_BIAS, read, write
from ssbands.kpfm.series import operando_series, read_manifest
from ssbands.kpfm.spectroscopy import fit_grid, fit_parabola

DATA = Path(__file__).resolve().parent / "data" / "kpfm"


def step_map(ny=40, nx=100, x0=50.0, height=0.25, noise=0.01, seed=0, shift_px=0.0):
    """CPD map with a step of ``height`` V at column ``x0 + shift_px`` (erf-smoothed), plus noise."""
    from scipy.special import erf

    rng = np.random.default_rng(seed)
    j = np.arange(nx) + 0.5
    prof = 0.1 + height * 0.5 * (1 + erf((j - x0 - shift_px) / 3.0))
    return prof[None, :] + rng.normal(0, noise, size=(ny, nx))


def test_level_plane_removes_tilt_exactly():
    jj, ii = np.mgrid[0:20, 0:30]
    z = 0.3 + 0.01 * ii - 0.02 * jj
    lev, plane = P.level_plane(z)
    np.testing.assert_allclose(lev, 0, atol=1e-12)
    np.testing.assert_allclose(plane, z, atol=1e-12)
    z2 = z.copy()
    z2[5, 5] = 100.0
    mask = np.zeros_like(z2, bool)
    mask[5, 5] = True
    np.testing.assert_allclose(P.level_plane(z2, mask)[0][~mask], 0, atol=1e-9)


@pytest.mark.parametrize("method", ["median", "mean", "linear"])
def test_level_lines_removes_row_offsets(method):
    rng = np.random.default_rng(1)
    z = np.zeros((10, 16)) + rng.normal(size=(10, 1))
    out = P.level_lines(z, method=method)
    np.testing.assert_allclose(out, 0, atol=1e-12)


def test_average_rows_mean_std_count_with_mask():
    z = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]])
    mask = np.array([[False, False], [False, False], [True, False]])
    m, s, n = P.average_rows(z, mask)
    np.testing.assert_allclose(m, [2.0, 4.0])
    np.testing.assert_allclose(s, [np.std([1, 3], ddof=1), np.std([2, 6], ddof=1)])
    np.testing.assert_array_equal(n, [2, 2])


def _file(tmp_path, z, name="cpd.npy", size=(1e-6, 4e-7)):
    return read(write(tmp_path / name, z, title="CPD", unit="V", size_m=size))


def test_map_to_profile_is_a_measurement_profile(tmp_path):
    z = step_map()
    kf = _file(tmp_path, z)
    pr = P.map_to_profile(kf)
    assert pr.attrs["kind"] == "measurement" and pr.attrs["cpd_convention"] == SAMPLE_BIAS
    assert pr["cpd_V"].attrs["units"] == "V" and pr["x"].attrs["units"] == "nm"
    np.testing.assert_allclose(pr["x"].values, (np.arange(100) + 0.5) * 10.0)
    np.testing.assert_allclose(pr["cpd_V"].values, z.mean(0))
    np.testing.assert_allclose(pr["std_V"].values, z.std(0, ddof=1))
    meta = pr.ssb.metadata
    assert meta["channel"] == "CPD" and meta["source_file"].endswith("cpd.npy")
    assert "levelling: none" in meta["processing"]  # opt-in for potential channels
    # rows region, user mask file, levelling opt-in
    m = np.zeros_like(z)
    m[:, :10] = 1
    np.save(tmp_path / "mask.npy", m)
    pr2 = P.map_to_profile(kf, rows=(0, 20), mask=tmp_path / "mask.npy", level="lines")
    assert (pr2["count"].values[:10] == 0).all() and (pr2["count"].values[10:] == 20).all()
    assert any("mask" in s for s in pr2.ssb.metadata["processing"])
    with pytest.raises(InputError, match="shape"):
        np.save(tmp_path / "bad.npy", np.zeros((3, 3)))
        P.map_to_profile(kf, mask=tmp_path / "bad.npy")


def test_profile_needs_a_pixel_size():
    kf = read(DATA / "ramadanlab_passivated_Dark_CPD.npy")
    with pytest.raises(InputError, match="pixel_size_nm"):
        P.map_to_profile(kf)
    pr = P.map_to_profile(kf, pixel_size_nm=20)
    assert pr.sizes["x"] == 256 and pr["x"].values[1] - pr["x"].values[0] == pytest.approx(20)


def test_xcorr_shift_recovers_subpixel_drift():
    a = step_map(ny=1, nx=200, x0=80, noise=0)[0] + step_map(ny=1, nx=200, x0=130, height=-0.1, noise=0)[0]
    for true in (0.0, 3.0, -7.4, 12.25):
        b = step_map(ny=1, nx=200, x0=80, shift_px=true, noise=0)[0] + \
            step_map(ny=1, nx=200, x0=130, height=-0.1, shift_px=true, noise=0)[0]
        assert P.xcorr_shift(a, b, dx_nm=2.0) == pytest.approx(2.0 * true, abs=0.3)


def test_detect_steps_and_segment(tmp_path):
    z = step_map(nx=200, x0=60) + step_map(nx=200, x0=140, height=-0.4, seed=1) - 0.1
    pr = P.map_to_profile(_file(tmp_path, z, size=(2e-6, 4e-7)))
    steps = P.detect_steps(pr["x"].values, pr["cpd_V"].values)
    np.testing.assert_allclose(steps, [600, 1400], atol=15)
    seg = P.segment(pr, names=["anode", "SE", "cathode"], n_steps=2)
    assert list(dict.fromkeys(seg["layer"].values)) == ["anode", "SE", "cathode"]
    seg2 = P.segment(pr, [600.0, 1400.0], ["a", "b", "c"])
    assert (seg2["layer"].values == "b").sum() == 80
    with pytest.raises(InputError, match="need 3 layer names"):
        P.segment(pr, [600.0, 1400.0], ["a"])


def test_reference_delta_and_interface_step(tmp_path):
    z = step_map(height=0.257, noise=0.02, seed=3)
    pr = P.map_to_profile(_file(tmp_path, z))
    based = P.reference_to_base(pr, (0, 400))
    assert np.nanmean(based["cpd_base_V"].values[:40]) == pytest.approx(0.0, abs=1e-12)
    st = P.interface_step(pr, (0, 400), (600, 1000))
    assert st.step_V == pytest.approx(0.257, abs=0.01)
    # standard errors combined: the pooled-pixel estimate for 40 x 40 pixels per side
    expected = np.hypot(z[:, :40].std(ddof=1) / 40, z[:, 60:].std(ddof=1) / 40)
    assert st.sigma_V == pytest.approx(expected, rel=0.05)
    assert "±" in str(st)
    assert P.interface_step(pr, (0, 400), (600, 1000), estimator="sd").sigma_V > st.sigma_V
    # delta CPD against a reference scan that drifted by 4 pixels
    ref = P.map_to_profile(_file(tmp_path, step_map(height=0.257, noise=0.0, seed=4), "ref.npy"))
    moved = P.map_to_profile(_file(tmp_path, step_map(height=0.257, noise=0.0, shift_px=4) + 0.5, "m.npy"))
    d = P.delta_cpd(moved, ref, align=True)
    assert d.ssb.metadata["drift_shift_nm"] == pytest.approx(40, abs=3)
    assert np.nanmedian(d["delta_cpd_V"].values) == pytest.approx(0.5, abs=1e-3)


def test_grain_boundary_stats():
    z = np.load(DATA / "ramadanlab_passivated_Dark_CPD.npy")
    gb = np.load(DATA / "ramadanlab_passivated_GBmask_2pixel.npy")
    s = P.grain_boundary_stats(z, gb)
    assert s["gb"]["n"] + s["grain"]["n"] == z.size
    assert s["difference"] == pytest.approx(z[gb == 1].mean() - z[gb == 0].mean())
    assert abs(s["difference"]) < 1e-3 and not s["significant"]  # the documented "no contrast" case
    # a real 20 mV boundary contrast is found significant
    rng = np.random.default_rng(0)
    zz = rng.normal(0, 0.005, size=gb.shape) + 0.02 * gb
    assert P.grain_boundary_stats(zz, gb)["significant"]


def test_parabola_fit_recovers_vertex_with_noise_and_nan():
    rng = np.random.default_rng(5)
    v = np.linspace(-0.5, 0.5, 64)
    cpd = rng.uniform(-0.2, 0.2, size=(6, 7))
    df = -8.0 * (v - cpd[..., None]) ** 2 - 3.0 + rng.normal(0, 0.01, size=(6, 7, 64))
    fit = fit_parabola(v, df)
    np.testing.assert_allclose(fit.cpd_V, cpd, atol=3e-3)
    np.testing.assert_allclose(fit.curvature_Hz_per_V2, -8.0, rtol=0.02)
    assert fit.valid.all() and 0.007 < fit.rms_total_Hz < 0.013
    df[0, 0, :10] = np.nan
    fit2 = fit_parabola(v, df)
    assert fit2.n_points[0, 0] == 54 and fit2.cpd_V[0, 0] == pytest.approx(cpd[0, 0], abs=5e-3)
    # wrong curvature and vertex outside the sweep are flagged
    bad = fit_parabola(v, 8.0 * (v - 2.0) ** 2)
    assert not bad.valid and not bad.in_range


def test_fit_grid_synthetic_and_real(tmp_path):
    from test_kpfm_io import SHARED, make_3ds

    p = tmp_path / "g.3ds"
    cpd, _, _ = make_3ds(p)
    fit = fit_grid(p)
    np.testing.assert_allclose(fit.cpd_V, cpd, atol=1e-5)
    with pytest.raises(InputError, match="not a spectroscopy grid"):
        fit_grid(DATA / "ramadanlab_passivated_Dark_CPD.npy")
    real = SHARED / "nanonis_KPFM_grid_Bias_spectroscopy.3ds"
    if real.is_file():
        kf = read(real)
        f = fit_grid(kf)
        ref = np.polyfit(kf.sweep, kf.channel("Frequency Shift").data.reshape(-1, 128).T, 2)
        np.testing.assert_allclose(f.cpd_V.ravel(), -ref[1] / (2 * ref[0]), atol=1e-9)
        assert f.valid.all() and (f.curvature_Hz_per_V2 < 0).all() and f.rms_total_Hz < 0.05


def _series_files(tmp_path, shifts=(0, 3, -2), ocvs=(0.0, 1.0, 2.0)):
    entries = []
    for s, ocv in zip(shifts, ocvs, strict=True):
        z = step_map(height=0.3, noise=0.002, shift_px=s, seed=int(ocv * 10)) - ocv * (np.arange(100) + 0.5 < 50 + s)
        p = write(tmp_path / f"scan_{ocv:.1f}V.npy", z, size_m=(1e-6, 4e-7))
        entries.append((p, ocv))
    return entries


def test_operando_series_manifest_yaml_toml_and_folder(tmp_path):
    entries = _series_files(tmp_path)
    yml = tmp_path / "series.yaml"
    yml.write_text("align_on: cpd\nscans:\n" + "".join(f"  - {{file: {p.name}, ocv_V: {o}}}\n" for p, o in entries))
    s = operando_series(yml)
    assert s["delta_cpd_V"].dims == ("ocv", "x") and list(s["ocv"].values) == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(s["shift_nm"].values, [0, 30, -20], atol=3)
    for i, ocv in enumerate([0.0, 1.0, 2.0]):
        d = s["delta_cpd_V"].values[i]
        assert np.nanmedian(d[5:40]) == pytest.approx(-ocv, abs=0.01)  # anode side: -V_OCV
        assert np.nanmedian(d[60:95]) == pytest.approx(0.0, abs=0.01)  # grounded side: 0
    toml = tmp_path / "series.toml"
    toml.write_text("align_on = 'cpd'\n" + "".join(f"[[scans]]\nfile = '{p.name}'\nocv_V = {o}\n" for p, o in entries))
    np.testing.assert_allclose(operando_series(toml)["delta_cpd_V"].values, s["delta_cpd_V"].values)
    assert read_manifest(tmp_path).scans[1].ocv_V == 1.0
    bad = tmp_path / "bad.yaml"
    bad.write_text("scans:\n  - {file: x.npy}\n")
    with pytest.raises(InputError, match="ocv_V"):
        read_manifest(bad)
