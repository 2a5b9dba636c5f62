"""``ssbands impedance`` and the resistance keys of ``ssbands band --json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ssbands
from ssbands.cell import fuller2021_stack

from _cli import run_cli

FULLER = str(Path(__file__).resolve().parents[1] / "examples" / "stacks" / "fuller2021.toml")
KEYS = {"frequency_Hz", "Z_real_ohm_cm2", "Z_imag_ohm_cm2", "R_dc_ohm_cm2", "R_bulk_ohm_cm2",
        "C_geometric_uF_per_cm2", "interfaces"}
IFACE_KEYS = {"left", "right", "phi0_V", "R_exc_ohm_cm2", "R_ct_ohm_cm2", "C_scl_uF_per_cm2"}


def test_json_contract_and_capacitive_sign(capsys, tmp_path):
    code, out, err = run_cli(capsys, "impedance", FULLER, "--ocv", "3.75", "--points", "30", "--json",
                             "--plot", str(tmp_path / "z.png"), "--out", str(tmp_path / "z.nc"))
    assert code in (0, None), err
    d = json.loads(out)
    assert KEYS <= set(d) and len(d["frequency_Hz"]) == 30
    assert all(IFACE_KEYS <= set(i) for i in d["interfaces"])
    assert max(d["Z_imag_ohm_cm2"]) < 0  # blocking cell: capacitive everywhere
    assert d["R_dc_ohm_cm2"] is None  # blocking: no DC current (infinite), null in JSON
    assert (tmp_path / "z.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "z.nc").stat().st_size > 0


@pytest.mark.parametrize("transport", ["local-equilibrium", "independent"])
def test_band_and_impedance_report_the_same_excess_resistance(capsys, transport):
    code, out, err = run_cli(capsys, "band", FULLER, "--ocv", "3.75", "--json", "--transport", transport)
    assert code in (0, None), err
    band = json.loads(out)["interfaces"]
    code, out, err = run_cli(capsys, "impedance", FULLER, "--ocv", "3.75", "--json", "--transport", transport,
                             "--points", "12")
    assert code in (0, None), err
    imp = json.loads(out)["interfaces"]
    for b, i in zip(band, imp, strict=True):
        assert b["R_exc_ohm_cm2"] == pytest.approx(i["R_exc_ohm_cm2"], rel=1e-9)
        assert b["R_ct_ohm_cm2"] is None and i["R_ct_ohm_cm2"] is None  # no kinetics given: null with a note


def test_butler_volmer_needs_kinetics_and_gives_r_ct(capsys):
    code, _, err = run_cli(capsys, "impedance", FULLER, "--ocv", "3.75", "--electrodes", "butler-volmer")
    assert code == 2 and "--i0" in err
    code, _, err = run_cli(capsys, "impedance", FULLER, "--ocv", "3.75", "--i0", "1e-4", "--alpha-t", "0.5")
    assert code == 2 and "butler-volmer" in err
    code, out, err = run_cli(capsys, "band", FULLER, "--ocv", "3.75", "--json", "--i0", "1e-4", "--alpha-t", "0.5")
    assert code in (0, None), err
    rct = [i["R_ct_ohm_cm2"] for i in json.loads(out)["interfaces"]]
    assert all(r is not None and r > 0 for r in rct)


def test_package_is_callable():
    ds = ssbands.impedance(fuller2021_stack(), 3.75, points=10)
    assert ds.sizes["frequency"] == 10 and np.all(ds["Z_imag_ohm_cm2"].values < 0)
