"""Operando series must never make data worse: alignment only on a channel that exists and was asked
for, each shift reported with its correlation, implausible shifts refused unless forced, scans of
different sizes resampled onto one axis or refused, never left as silent NaN. Each example has a
test; the property tests at the end cover the class."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssbands.errors import InputError
from ssbands.kpfm import processing as P
from ssbands.kpfm.io import read, write
from ssbands.kpfm.io.gwy import write_gwy
from ssbands.kpfm.series import SeriesSpec, operando_series, read_manifest

from _cli import run_cli as run
from test_kpfm_processing import _series_files, step_map

PROPS = dict(max_examples=25, deadline=None, derandomize=True,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def manifest(d: Path, entries, head: str = "", name: str = "s.yaml") -> Path:
    m = d / name
    m.write_text(head + "scans:\n" + "".join(f"  - {{file: {Path(p).relative_to(d)}, ocv_V: {o}}}\n"
                                             for p, o in entries))
    return m


def cell_files(d: Path, drifts=(0.0, 3.0, -2.0), ocvs=(0.0, 1.0, 2.0), nx=100, width_m=1e-6, topo=True,
               seed=0, noise=0.002):
    """Scans with a CPD step and a topography step, drifted by ``drifts`` pixels of the first scan's grid."""
    from scipy.special import erf

    rng = np.random.default_rng(seed)
    out = []
    for k, (dr, ocv) in enumerate(zip(drifts, ocvs, strict=True)):
        x = (np.arange(nx) + 0.5) * (width_m * 1e9 / nx)  # nm
        x0 = 500.0 + dr * 10.0
        edge = 0.5 * (1 + erf((x - x0) / 30.0))
        cpd = 0.1 + 0.3 * edge - ocv * (1 - edge)
        h = 20e-9 * edge + 5e-9 * np.sin(x / 90.0)
        chans = [("CPD", "V", cpd[None, :] + rng.normal(0, noise, (20, nx)), (width_m, 4e-7))]
        if topo:
            chans.insert(0, ("Height", "m", h[None, :] + rng.normal(0, 2e-10, (20, nx)), (width_m, 4e-7)))
        p = d / f"scan{k}_{ocv:.1f}V.gwy"
        write_gwy(p, chans)
        out.append((p, ocv))
    return out


# ------------------------------------------------------------------ align only on a named, existing channel
def test_no_alignment_unless_asked(tmp_path):
    s = operando_series(manifest(tmp_path, cell_files(tmp_path)))
    assert s.ssb.metadata["alignment"] == "none" and np.all(s["shift_nm"].values == 0)
    assert np.all(np.isnan(s["shift_correlation"].values))
    assert read_manifest(tmp_path).align_on is None  # a folder is never aligned


def test_alignment_on_the_named_channel(tmp_path):
    files = cell_files(tmp_path)
    for how in ("topography", "Height", "cpd"):
        s = operando_series(manifest(tmp_path, files, f"align_on: {how}\n"))
        np.testing.assert_allclose(s["shift_nm"].values, [0, 30, -20], atol=3)
        assert np.all(s["shift_correlation"].values[1:] > 0.5)
        assert [a is None for a in s.ssb.metadata["alignments"]] == [True, False, False]


def test_alignment_channel_must_exist_and_be_named(tmp_path):
    files = cell_files(tmp_path, topo=False)
    with pytest.raises(InputError, match=r"scan0_0\.0V\.gwy' has no topography channel.*align_on: cpd"):
        operando_series(manifest(tmp_path, files, "align_on: topography\n"))  # never a silent fall-back to CPD
    with pytest.raises(InputError, match="no channel 'Phase'"):
        operando_series(manifest(tmp_path, files, "align_on: Phase\n"))
    with pytest.raises(InputError, match="no align_on names what to align on"):
        operando_series(manifest(tmp_path, files, "align: true\n"))
    with pytest.raises(InputError, match="align is false but align_on"):
        operando_series(manifest(tmp_path, files, "align: false\nalign_on: cpd\n"))
    with pytest.raises(InputError, match="must be true or false"):
        read_manifest(manifest(tmp_path, files, "align: 'no'\n"))
    with pytest.raises(InputError, match="positive number"):
        read_manifest(manifest(tmp_path, files, "max_shift_nm: -5\n"))


# ------------------------------------------------------------------ implausible shifts
def noise_files(d: Path, n=3):
    rng = np.random.default_rng(11)
    return [(write(d / f"n{i}_{i:.1f}V.npy", rng.normal(0.3, 0.05, (20, 100)), size_m=(1e-6, 2e-7)), float(i))
            for i in range(n)]


def test_implausible_shift_is_refused_unless_forced(tmp_path):
    m = manifest(tmp_path, noise_files(tmp_path), "align_on: cpd\n")
    with pytest.raises(InputError, match=r"implausible for 2 scan\(s\).*correlation.*force_align=True"):
        operando_series(m)
    s = operando_series(m, force_align=True)
    recs = s.ssb.metadata["alignments"]
    assert recs[0] is None and all(not r["plausible"] and r["problems"] for r in recs[1:])
    m2 = manifest(tmp_path, noise_files(tmp_path), "align_on: cpd\nforce_align: true\n", "f.yaml")
    np.testing.assert_allclose(operando_series(m2)["shift_nm"].values, s["shift_nm"].values)


def test_shift_on_the_search_bound_or_too_large(tmp_path):
    files = cell_files(tmp_path, drifts=(0.0, 12.0, 0.0))
    with pytest.raises(InputError, match="bound of the search"):
        operando_series(manifest(tmp_path, files, "align_on: cpd\nmax_shift_nm: 50\n"))
    big = cell_files(tmp_path, drifts=(0.0, 30.0, 0.0), seed=1)
    with pytest.raises(InputError, match="of the profile"):
        operando_series(manifest(tmp_path, big, "align_on: cpd\n"))
    s = operando_series(manifest(tmp_path, big, "align_on: cpd\nmax_shift_nm: 400\n"))
    assert s["shift_nm"].values[1] == pytest.approx(300, abs=5)


def test_delta_cpd_alignment_refuses_noise(tmp_path):
    rng = np.random.default_rng(3)
    a = P.map_to_profile(read(write(tmp_path / "a.npy", rng.normal(0, 1, (10, 60)), size_m=(6e-7, 1e-7))))
    b = P.map_to_profile(read(write(tmp_path / "b.npy", rng.normal(0, 1, (10, 60)), size_m=(6e-7, 1e-7))))
    with pytest.raises(InputError, match="implausible"):
        P.delta_cpd(b, a, align=True)
    d = P.delta_cpd(b, a, align=True, force_align=True)
    assert d.ssb.metadata["drift_problems"]


def test_cli_reports_shifts_and_forces(capsys, tmp_path):
    m = manifest(tmp_path, cell_files(tmp_path), "align_on: topography\n")
    rc, out, err = run(capsys, "kpfm", "series", str(m))
    assert rc == 0, err
    assert re.search(r"OCV 1 V: shift \+(29|30)\.\d nm \(correlation 0\.9\d\)", out), out
    rc, out, err = run(capsys, "kpfm", "series", str(m), "--json")
    d = json.loads(out)
    assert d["shift_correlation"][0] is None and d["shift_correlation"][1] > 0.5
    assert d["alignments"][1]["plausible"]
    assert d["points_without_data"][0] == 0 and min(d["points_without_data"][1:]) > 0
    assert any("have no data" in n for n in d["notes"])
    nm = manifest(tmp_path, noise_files(tmp_path), "align_on: cpd\n", "n.yaml")
    rc, _, err = run(capsys, "kpfm", "series", str(nm))
    assert rc == 2 and "--force-align" in err and "force_align=True" not in err and err.count("\n") == 1
    rc, out, err = run(capsys, "kpfm", "series", str(nm), "--force-align")
    assert rc == 0 and "forced" in out


# ------------------------------------------------------------------ scans of different sizes
def test_other_pixel_count_same_width_is_resampled(tmp_path):
    (tmp_path / "b").mkdir()
    files = cell_files(tmp_path, drifts=(0.0,), ocvs=(0.0,)) + \
        cell_files(tmp_path / "b", drifts=(0.0,), ocvs=(1.0,), nx=150)
    s = operando_series(manifest(tmp_path, files))
    assert s.sizes["x"] == 100 and not np.isnan(s["delta_cpd_V"].values).any()
    assert any("150 pixels resampled onto the reference's 100" in n for n in s.ssb.metadata["notes"])
    d = s["delta_cpd_V"].values[1]
    assert np.median(d[:30]) == pytest.approx(-1.0, abs=0.02) and np.median(d[-30:]) == pytest.approx(0, abs=0.02)


def test_different_widths_refused_unless_aligned_then_cut_to_the_overlap(tmp_path):
    (tmp_path / "b").mkdir()
    files = cell_files(tmp_path, drifts=(0.0,), ocvs=(0.0,)) + \
        cell_files(tmp_path / "b", drifts=(0.0,), ocvs=(1.0,), nx=120, width_m=1.2e-6)
    with pytest.raises(InputError, match=r"different widths.*1200 nm.*reference.*1000 nm"):
        operando_series(manifest(tmp_path, files))
    s = operando_series(manifest(tmp_path, files, "align_on: topography\n"))
    assert not np.isnan(s["delta_cpd_V"].values).any() and s.ssb.metadata["x_cut_nm"] is not None
    assert any("x cut to" in n for n in s.ssb.metadata["notes"])


def test_pixel_size_only_for_files_without_one(tmp_path):
    files = _series_files(tmp_path)  # npy files of 1 µm / 100 px = 10 nm
    s = operando_series(manifest(tmp_path, files, "pixel_size_nm: 10\nalign_on: cpd\n"))
    assert s["x"].values[1] - s["x"].values[0] == pytest.approx(10)
    with pytest.raises(InputError, match=r"pixel_size_nm = 20 nm disagrees.*10 nm per pixel"):
        operando_series(manifest(tmp_path, files, "pixel_size_nm: 20\n"))
    bare = [(write(tmp_path / f"b{i}_{o}V.npy", step_map(seed=i), title="CPD"), o) for i, o in enumerate((0.0, 1.0))]
    with pytest.raises(InputError, match="no physical size; give pixel_size_nm"):
        operando_series(manifest(tmp_path, bare))
    assert operando_series(manifest(tmp_path, bare, "pixel_size_nm: 20\n"))["x"].values[1] == pytest.approx(30)


def test_series_spec_defaults_do_not_align():
    spec = SeriesSpec(scans=())
    assert spec.align is None and spec.align_on is None and spec.force_align is False


# ------------------------------------------------------------------ property tests of the class
@settings(**PROPS)
@given(drift=st.floats(-8.0, 8.0), nx=st.sampled_from([80, 100, 125, 160]), seed=st.integers(0, 50))
def test_property_alignment_recovers_the_drift_with_high_correlation(tmp_path_factory, drift, nx, seed):
    """A real drift (any pixel count, same width) is found to within a pixel and reported as plausible."""
    d = tmp_path_factory.mktemp("al")
    files = cell_files(d, drifts=(0.0,), ocvs=(0.0,), seed=seed)
    (d / "b").mkdir()
    files += cell_files(d / "b", drifts=(drift,), ocvs=(1.5,), nx=nx, seed=seed + 1)
    s = operando_series(manifest(d, files, "align_on: topography\n"))
    assert s["shift_nm"].values[1] == pytest.approx(10.0 * drift, abs=10.0)
    assert s["shift_correlation"].values[1] > 0.5 and s.ssb.metadata["alignments"][1]["plausible"]
    empty = s.ssb.metadata["points_without_data"][1]
    assert int(np.isnan(s["cpd_V"].values[1]).sum()) == empty  # every NaN is counted and reported


@settings(**PROPS)
@given(seed=st.integers(0, 1000), n=st.integers(2, 4))
def test_property_noise_is_never_aligned_silently(tmp_path_factory, seed, n):
    """Profiles of pure noise: every alignment is refused, and forcing it marks each shift implausible."""
    d = tmp_path_factory.mktemp("nz")
    rng = np.random.default_rng(seed)
    files = [(write(d / f"n{i}_{i}.0V.npy", rng.normal(0.3, 0.05, (8, 90)), size_m=(9e-7, 1e-7)), float(i))
             for i in range(n)]
    m = manifest(d, files, "align_on: cpd\n")
    with pytest.raises(InputError, match="implausible"):
        operando_series(m)
    recs = operando_series(m, force_align=True).ssb.metadata["alignments"]
    assert sum(r is not None and not r["plausible"] for r in recs) >= 1


@settings(**PROPS)
@given(w=st.floats(1.05, 3.0), nx=st.integers(40, 160))
def test_property_different_widths_without_alignment_always_refused(tmp_path_factory, w, nx):
    d = tmp_path_factory.mktemp("wd")
    a = write(d / "a_0.0V.npy", step_map(nx=100), size_m=(1e-6, 4e-7))
    b = write(d / "b_1.0V.npy", step_map(nx=nx), size_m=(1e-6 * w, 4e-7))
    with pytest.raises(InputError, match="different widths"):
        operando_series(manifest(d, [(a, 0.0), (b, 1.0)]))
