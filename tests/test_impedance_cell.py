"""The public impedance API of a cell: Dataset, JSON contract, circuit fit, measured data, figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssbands.cell import fuller2021_stack
from ssbands.errors import InputError
from ssbands.impedance import (
    cell_interfaces,
    cell_model,
    fit_parameters,
    impedance,
    interface_steps,
    read_eis_csv,
    to_json,
)
from ssbands.impedance.data import EISData

STACK = fuller2021_stack()
JSON_KEYS = {"frequency_Hz", "Z_real_ohm_cm2", "Z_imag_ohm_cm2", "R_dc_ohm_cm2", "R_bulk_ohm_cm2",
             "C_geometric_uF_per_cm2", "interfaces"}
IFACE_KEYS = {"left", "right", "phi0_V", "R_exc_ohm_cm2", "R_ct_ohm_cm2", "C_scl_uF_per_cm2"}
KIN = {"i0_A_cm2": 1e-3, "alpha_t": 0.5}


@pytest.fixture(scope="module")
def blocking():
    return impedance(STACK, 3.75)


def test_dataset_and_json_contract(blocking):
    ds = blocking
    assert ds.sizes["frequency"] == 200 and ds.sizes["interface"] == 2
    assert np.all(ds["Z_imag_ohm_cm2"].values < 0)  # capacitive arcs: Z_imag < 0
    assert ds.attrs["R_bulk_ohm_cm2"] == pytest.approx(100.0)
    assert ds.attrs["C_geometric_uF_per_cm2"] == pytest.approx(7.3 * 8.8541878128e-14 / 1e-4 * 1e6, rel=1e-9)
    assert ds.attrs["kk_max_residual"] <= 1e-3
    j = to_json(ds)
    assert JSON_KEYS <= set(j) and all(set(i) >= IFACE_KEYS for i in j["interfaces"])
    assert j["R_dc_ohm_cm2"] is None and any("blocking" in n for n in j["notes"])
    assert [i["left"] for i in j["interfaces"]] == ["LixSi", "LiPON"]
    assert j["interfaces"][0]["R_ct_ohm_cm2"] is None
    json.dumps(j, allow_nan=False)
    f = np.array(j["frequency_Hz"])
    assert f[-1] >= 100.0 / (2 * np.pi * 100.0 * 6.46e-9)  # beyond the bulk arc


def test_interfaces_at_the_thin_film_cell():
    """Li_xSi|LiPON at 3.75 V depletes the vacancies that carry LiPON's current (Senevirathne barriers): a
    resistive interface, not the accumulated-layer shortcut the single-D model gave."""
    ifs = cell_interfaces(STACK, 3.75)
    a, c = ifs
    assert a["carrier"] == "V_Li-" and a["carrier_state"] == "depleted" and a["R_exc_ohm_cm2"] > 10.0
    assert c["carrier_state"] == "accumulated" and c["R_exc_ohm_cm2"] < 0
    assert a["phi0_V"] > 0 > c["phi0_V"]
    ind = cell_interfaces(STACK, 3.75, transport="independent")
    assert ind[0]["R_exc_ohm_cm2"] == ind[0]["R_exc_independent_ohm_cm2"]
    assert ind[0]["asymptotic_length_nm"] > 1e6  # the semi-infinite form would not apply to a 1 µm film


def test_reversible_and_butler_volmer_dc_and_circuit():
    rev = impedance(STACK, 3.75, electrodes="reversible")
    ifs = cell_interfaces(STACK, 3.75)
    assert rev.attrs["R_dc_ohm_cm2"] == pytest.approx(100 + ifs[0]["R_exc_ohm_cm2"] + ifs[1]["R_exc_ohm_cm2"],
                                                      rel=1e-2)
    circ = json.loads(rev.attrs["circuit"])
    total = sum(v["value"] for k, v in circ["parameters"].items() if k.startswith("R_"))
    assert total == pytest.approx(rev.attrs["R_dc_ohm_cm2"], rel=2e-2)
    bv = impedance(STACK, 0.5, electrodes=("butler-volmer", "reversible"), kinetics={"anode": KIN})
    j = to_json(bv)
    assert j["interfaces"][0]["R_ct_ohm_cm2"] > 0 and j["interfaces"][1]["R_ct_ohm_cm2"] is None
    assert j["R_dc_ohm_cm2"] == pytest.approx(to_json(impedance(STACK, 0.5, electrodes="reversible", fit=False))
                                              ["R_dc_ohm_cm2"] + j["interfaces"][0]["R_ct_ohm_cm2"], rel=1e-9)
    assert "Z_fit_real_ohm_cm2" in bv


def test_input_errors():
    with pytest.raises(InputError, match="kinetics"):
        impedance(STACK, 3.0, electrodes="butler-volmer")
    with pytest.raises(InputError, match="electrodes"):
        impedance(STACK, 3.0, electrodes="ohmic")
    with pytest.raises(InputError, match="transport"):
        impedance(STACK, 3.0, transport="fast")
    with pytest.raises(InputError, match="exchange"):
        impedance(STACK, 3.0, exchange_rate_cm3_s=1e20)
    with pytest.raises(InputError, match="frequencies"):
        impedance(STACK, 3.0, [0.0, 1.0])


def test_csv_roundtrip_and_sign_conventions(tmp_path, blocking):
    f = blocking["frequency"].values
    Z = blocking["Z_real_ohm_cm2"].values + 1j * blocking["Z_imag_ohm_cm2"].values
    area = 0.25
    p = tmp_path / "eis.csv"
    rows = "\n".join(f"{a:.12g},{b:.12g},{c:.12g}" for a, b, c in zip(f, Z.real / area, -Z.imag / area, strict=True))
    p.write_text("freq/Hz,Z'/Ohm,-Z''/Ohm\n" + rows + "\n")
    d = read_eis_csv(p, area_cm2=area)
    np.testing.assert_allclose(d.Z_ohm_cm2, Z, rtol=1e-10)
    assert any("-Z''" in n for n in d.notes)
    q = tmp_path / "plain.txt"  # no header, whitespace, -Z'' stored: detected from the sign
    q.write_text("\n".join(f"{a:.12g}\t{b:.12g}\t{c:.12g}" for a, b, c in zip(f, Z.real, -Z.imag, strict=True)))
    e = read_eis_csv(q)
    np.testing.assert_allclose(e.Z_ohm_cm2, Z, rtol=1e-10)
    assert read_eis_csv(q, imag_sign="as-is").Z_ohm_cm2.imag[0] > 0
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="header"):
        read_eis_csv(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_eis_csv(tmp_path / "missing.csv")


def test_fit_physical_parameters_recovers_the_exchange_current():
    """Synthetic measurement from the model with i0 = 1e-3 A/cm² at both interfaces and 0.3 % noise: the fit
    recovers i0 within its standard error."""
    f = np.geomspace(1e-1, 1e8, 60)
    opts = {"growth": 1.12, "h_factor": 0.1, "bulk_points": 30}
    model = cell_model(STACK, 0.5, electrodes="butler-volmer", fixed={"alpha_t": 0.5}, mesh_options=opts)
    Z = model({"i0_A_cm2": 1e-3}, f)
    rng = np.random.default_rng(1)
    noisy = Z * (1 + 3e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size)))
    fit = fit_parameters(EISData(f, noisy), model, {"i0_A_cm2": 3e-4})
    v, se = fit.values[0], fit.stderr[0]
    assert abs(v - 1e-3) < 4 * se and se / v < 0.02 and fit.success
    assert fit.to_dict()["parameters"]["i0_A_cm2"]["stderr"] > 0
    with pytest.raises(InputError, match="unknown cell parameter"):
        cell_model(STACK, 0.5, fixed={"D": 1.0})


def test_figure(tmp_path, blocking):
    from ssbands.plotting.impedance import impedance_figure

    d = EISData(blocking["frequency"].values[::10],
                (blocking["Z_real_ohm_cm2"].values + 1j * blocking["Z_imag_ohm_cm2"].values)[::10])
    out = impedance_figure(blocking, tmp_path / "nyq.png", data=d)
    assert out.exists() and out.stat().st_size > 10_000


def test_interface_steps_are_the_cell_solve_steps():
    from dataclasses import replace

    from ssbands.cell import ReadOnlyMapping, solve

    st = replace(STACK, dipoles=ReadOnlyMapping({("LixSi", "LiPON"): 0.12, ("LiPON", "LixCoO2"): -0.05}))
    for v in (0.0, 1.3, 3.75):
        np.testing.assert_allclose(interface_steps(st, v), solve(st, v)["iface_phi0_V"].values, rtol=0, atol=1e-14)
