"""`ssbands kpfm ...` end to end: JSON contracts, files written, one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ssbands.kpfm.io import write
from ssbands.profile import read_profile

from _cli import run_cli as run

DATA = Path(__file__).resolve().parent / "data" / "kpfm"




def test_info_json(capsys):
    rc, out, _ = run(capsys, "kpfm", "info", str(DATA / "asylum_cypher_P0089OP0027.ibw"), "--json")
    d = json.loads(out)
    assert rc == 0 and d["format"] == "asylum-ibw" and d["potential_channel"] is None
    assert d["channels"][0] == {**d["channels"][0], "title": "HeightRetrace", "unit": "m",
                                "shape": [256, 256], "size_m": [2e-6, 2e-6]}
    rc, out, _ = run(capsys, "kpfm", "info", str(DATA / "ramadanlab_passivated_Dark_CPD.npy"))
    assert rc == 0 and "potential channel: ramadanlab_passivated_Dark_CPD" in out


def test_profile_json_out_and_plot(capsys, tmp_path):
    rng = np.random.default_rng(0)
    z = 0.5 + rng.normal(0, 0.01, (20, 30))
    f = write(tmp_path / "m.gwy", z, title="CPD", unit="V", size_m=(3e-6, 2e-6))
    nc, png, csv = tmp_path / "p.nc", tmp_path / "p.png", tmp_path / "p.csv"
    rc, out, err = run(capsys, "kpfm", "profile", str(f), "--json", "--out", str(nc), "--plot", str(png))
    assert rc == 0, err
    d = json.loads(out)
    assert d["channel"] == "CPD" and len(d["x_nm"]) == len(d["cpd_V"]) == len(d["std_V"]) == 30
    assert d["mean_V"] == pytest.approx(z.mean())
    assert d["x_nm"][0] == pytest.approx(50.0)
    assert read_profile(nc)["cpd_V"].values == pytest.approx(z.mean(0))
    assert png.stat().st_size > 1000
    rc, _, _ = run(capsys, "kpfm", "profile", str(f), "--out", str(csv), "--rows", "0:10", "--base", "0:500")
    assert rc == 0 and csv.read_text().startswith("# ssbands")


def test_profile_pixel_size_and_channel(capsys):
    npy = str(DATA / "ramadanlab_passivated_Dark_CPD.npy")
    rc, _, err = run(capsys, "kpfm", "profile", npy)
    assert rc == 2 and "pixel-size-nm" in err and err.count("\n") == 1
    rc, out, _ = run(capsys, "kpfm", "profile", npy, "--pixel-size-nm", "20", "--json")
    assert rc == 0 and json.loads(out)["x_nm"][1] == pytest.approx(30.0)
    rc, _, err = run(capsys, "kpfm", "profile", str(DATA / "asylum_cypher_P0089OP0027.ibw"))
    assert rc == 2 and "no potential channel" in err and "HeightRetrace" in err
    rc, out, _ = run(capsys, "kpfm", "profile", str(DATA / "asylum_cypher_P0089OP0027.ibw"),
                     "--channel", "HeightRetrace", "--json")
    assert rc == 0 and json.loads(out)["unit"] == "m"


def test_spectroscopy_json(capsys, tmp_path):
    from test_kpfm_io import make_3ds

    p = tmp_path / "g.3ds"
    cpd, _, _ = make_3ds(p)
    rc, out, err = run(capsys, "kpfm", "spectroscopy", str(p), "--json", "--plot", str(tmp_path / "f.png"))
    assert rc == 0, err
    d = json.loads(out)
    assert d["shape"] == [3, 4] and np.allclose(d["cpd_V"], cpd, atol=1e-5)
    assert isinstance(d["fit_rms_Hz"], float) and d["fit_rms_Hz"] < 1e-3


def test_series_json(capsys, tmp_path):
    from test_kpfm_processing import _series_files

    entries = _series_files(tmp_path)
    man = tmp_path / "s.yaml"
    man.write_text("align_on: cpd\nscans:\n" + "".join(f"  - {{file: {p.name}, ocv_V: {o}}}\n" for p, o in entries))
    rc, out, err = run(capsys, "kpfm", "series", str(man), "--json", "--plot", str(tmp_path / "s.png"))
    assert rc == 0, err
    d = json.loads(out)
    assert d["ocv_V"] == [0.0, 1.0, 2.0] and np.array(d["delta_cpd_V"], dtype=float).shape == (3, 100)


@pytest.mark.parametrize("content,name", [(b"GWYP\x00\x01garbage", "bad.gwy"), (b"\x00" * 50, "bad.ibw"),
                                          (b"hello", "bad.xyz"), (b"\x93NUMPY\x01\x00", "bad.npy")])
def test_corrupt_file_one_line_exit_2(capsys, tmp_path, content, name):
    p = tmp_path / name
    p.write_bytes(content)
    rc, out, err = run(capsys, "kpfm", "info", str(p))
    assert rc == 2 and name in err and err.count("\n") == 1 and "Traceback" not in err


def test_example_runs(tmp_path):
    import runpy
    import sys

    ex = Path(__file__).resolve().parents[1] / "examples" / "kpfm_profile.py"
    old = sys.argv
    sys.argv = [str(ex), str(tmp_path)]
    try:
        runpy.run_path(str(ex), run_name="__main__")
    finally:
        sys.argv = old
    for name in ("kpfm_map.png", "kpfm_profile.png", "kpfm_series.png"):
        assert (tmp_path / name).stat().st_size > 1000
