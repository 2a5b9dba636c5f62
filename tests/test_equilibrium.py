"""Cell equilibrium: thermodynamic identities, interface steps, closures, KPFM differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ssbands.cell import Stack, electrode_state, fuller2021_stack, reachable_ocv_range, solve, summary
from ssbands.constants import kT_eV
from ssbands.errors import InputError, SSBandsWarning
from ssbands.materials import load_library

LIB = load_library()
OCVS = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 3.35, 3.75, 4.0])


@pytest.fixture(scope="module")
def fuller():
    return solve(fuller2021_stack(), OCVS)


def _stack(layers, **kw):
    d = {"layer": layers}
    d.update(kw)
    return Stack.from_dict(d)


def li_llzo_lco(**kw):
    return _stack([
        {"material": "Cu", "role": "current-collector", "thickness_nm": 100},
        {"material": "Li", "role": "anode", "thickness_nm": 1000},
        {"material": "LLZO", "role": "electrolyte", "thickness_nm": 2000},
        {"material": "LixCoO2", "role": "cathode", "thickness_nm": 500, "li_fraction": 0.9},
        {"material": "Al", "role": "current-collector", "thickness_nm": 100},
    ], **kw)


def test_thermodynamic_identities_everywhere(fuller):
    ds = fuller
    mu, mub, ef = ds["mu_Li_eV"].values, ds["mu_bar_Li_eV"].values, ds["E_F_eV"].values
    has = np.isfinite(mu)
    # μ_Li = μ̄_Li+ + μ̄_e at every x and OCV where Li is defined
    np.testing.assert_allclose(mu[has], (mub + ef)[has], atol=1e-12)
    # μ̄_Li+ uniform along anode | SE | cathode at each OCV
    ionic = np.isin(ds["layer"].values, ["LixSi", "LiPON", "LixCoO2"])
    assert np.all(has[:, ionic])
    np.testing.assert_allclose(np.ptp(mub[:, ionic], axis=1), 0.0, atol=1e-14)
    # E_F(anode) − E_F(cathode) = e·V_OCV; cathode grounded
    lay = list(ds["layer_name"].values)
    efl = ds["layer_E_F_eV"].values
    np.testing.assert_allclose(efl[:, lay.index("LixSi")] - efl[:, lay.index("LixCoO2")], OCVS, atol=1e-9)
    np.testing.assert_allclose(efl[:, lay.index("LixCoO2")], 0.0, atol=1e-14)
    # electron conductors in contact share E_F (Cu with LixSi; LixCoO2 with Pt and the Si base)
    for group in (["Cu", "LixSi"], ["LixCoO2", "Pt", "Si"]):
        sel = np.isin(ds["layer"].values, group)
        np.testing.assert_allclose(np.ptp(ef[:, sel], axis=1), 0.0, atol=1e-14)
    # E_vac = E_F + Φ on electron conductors, V = −E_F everywhere
    np.testing.assert_allclose(ds["V_V"].values, -ef, atol=0)
    cu = ds["layer"].values == "Cu"
    np.testing.assert_allclose(ds["E_vac_eV"].values[:, cu], ef[:, cu] + 4.65, atol=1e-12)


def test_li_conservation_and_ocv(fuller):
    ds = fuller
    st = fuller2021_stack()
    na = 1.673e23 * 50e-7  # Li capacity of the LixSi film per cm², from the library values
    nc = 3.008e22 * 500e-7
    gained = (ds["anode_li_fraction"].values - 0.0) * na
    lost = (1.0 - ds["cathode_li_fraction"].values) * nc
    np.testing.assert_allclose(gained, lost, rtol=1e-9)
    np.testing.assert_allclose(ds["cathode_U_V"].values - ds["anode_U_V"].values, OCVS, atol=1e-9)
    # at OCV 0 the as-made cell needs the Nernst extension of the LiCoO2 table, and says so
    assert bool(ds["cathode_ocv_extrapolated"].values[0]) and not bool(ds["cathode_ocv_extrapolated"].values[-1])
    assert any("Nernst" in n for n in ds.ssb.metadata["notes"])
    lo, hi = reachable_ocv_range(st)
    assert lo < 0 < 4.0 < hi


def test_delta_cpd_collector_ground_and_lixsi(fuller):
    ds = fuller
    x_layer = ds["layer"].values
    d = ds["dcpd_V"].values
    # anode current collector: ΔCPD = −V_OCV; grounded side (no Φ change): 0
    np.testing.assert_allclose(d[:, x_layer == "Cu"], -OCVS[:, None] * np.ones((1, (x_layer == "Cu").sum())), atol=1e-9)
    for name in ("LixCoO2", "Pt", "Si"):
        np.testing.assert_allclose(d[:, x_layer == name], 0.0, atol=1e-12)
    # LixSi: ΔCPD departs from −V_OCV by exactly −ΔΦ/e; Φ from the library table, interpolated here
    p = LIB["LixSi"].param("work_function_eV").spec
    phi = np.interp(ds["anode_li_fraction"].values, p["x"], p["values"])
    sel = x_layer == "LixSi"
    expect = -OCVS - (phi - phi[0])
    np.testing.assert_allclose(d[:, sel], expect[:, None] * np.ones((1, sel.sum())), atol=1e-9)
    # the two parts always add up, and are what they say
    np.testing.assert_allclose(d, ds["dcpd_work_function_V"].values + ds["dcpd_potential_V"].values, atol=1e-12)
    np.testing.assert_allclose(ds["dcpd_work_function_V"].values[:, sel],
                               -(phi - phi[0])[:, None] * np.ones((1, sel.sum())), atol=1e-9)


def test_cpd_base_and_tip_independence():
    a = solve(fuller2021_stack(), 2.0)
    b = solve(fuller2021_stack(tip_work_function_eV=4.5), 2.0)
    # absolute CPD moves with the tip; CPD vs base and ΔCPD do not (Eqs. 8, 9)
    np.testing.assert_allclose(a["cpd_V"].values - b["cpd_V"].values, 5.65 - 4.5)
    np.testing.assert_allclose(a["cpd_base_V"].values, b["cpd_base_V"].values)
    np.testing.assert_allclose(a["dcpd_V"].values, b["dcpd_V"].values)
    si = a["layer"].values == "Si"
    np.testing.assert_allclose(a["cpd_base_V"].values[si], 0.0)


def phi0_model(phi0_li, phi_m, u_m, dipole=0.0, phi_li=2.93):
    """MODEL.md §2, written independently: φ0(M|SE) = φ0^Li + (Φ_M − Φ_Li)/e − U_M − δ."""
    return phi0_li + (phi_m - phi_li) - u_m - dipole


def test_phi0_li_interface_and_general_electrode():
    ds = solve(li_llzo_lco(), np.array([3.9, 4.1]))
    # Li|LLZO: exactly the SE's φ0^Li, at every OCV
    np.testing.assert_allclose(ds["iface_phi0_V"].values[:, 0], 1.6216363, atol=1e-12)
    # LLZO|LixCoO2 (Φ = 5.1, U = cathode potential)
    u = ds["cathode_U_V"].values
    np.testing.assert_allclose(ds["iface_phi0_V"].values[:, 1], phi0_model(1.6216363, 5.1, u), atol=1e-12)
    # LixSi|LiPON in the Fuller cell: Φ(x) tabulated, U from the polynomial
    f = solve(fuller2021_stack(), OCVS)
    p = LIB["LixSi"].param("work_function_eV").spec
    phi = np.interp(f["anode_li_fraction"].values, p["x"], p["values"])
    np.testing.assert_allclose(f["iface_phi0_V"].values[:, 0], phi0_model(1.24, phi, f["anode_U_V"].values), atol=1e-9)
    # the SE bulk relative to the electrodes reproduces the steps: E_vac continuous at the interface
    x = f["x"].values
    lay = f["layer"].values
    i_se0 = np.flatnonzero(lay == "LiPON")[0]
    np.testing.assert_allclose(f["E_vac_eV"].values[:, i_se0], f["E_vac_eV"].values[:, i_se0 - 1], atol=1e-9)
    assert x[i_se0] == x[i_se0 - 1]


def test_dipole_takes_its_part_of_the_step():
    base = li_llzo_lco()
    d = Stack.from_dict({**base.to_dict(), "interface": [{"left": "Li", "right": "LLZO", "dipole_V": 0.3}]})
    a, b = solve(base, 3.9), solve(d, 3.9)
    assert float(b["iface_phi0_V"][0]) == pytest.approx(1.6216363 - 0.3)
    assert float(b["iface_total_step_V"][0]) == pytest.approx(float(a["iface_total_step_V"][0]))
    # E_vac jumps by −δ at the interface plane
    lay = b["layer"].values
    i = np.flatnonzero(lay == "LLZO")[0]
    assert float(b["E_vac_eV"][i] - b["E_vac_eV"][i - 1]) == pytest.approx(-0.3, abs=1e-9)


def test_symmetric_li_se_li_cell():
    st = _stack([
        {"material": "Cu", "role": "current-collector", "thickness_nm": 100},
        {"material": "Li", "role": "anode", "thickness_nm": 500},
        {"material": "LLZO", "role": "electrolyte", "thickness_nm": 200},
        {"material": "Li", "name": "Li-2", "role": "cathode", "thickness_nm": 500},
        {"material": "Cu", "name": "Cu-2", "role": "current-collector", "thickness_nm": 100},
    ])
    ds = solve(st, 0.0)
    p0 = ds["iface_phi0_V"].values
    assert p0[0] == pytest.approx(p0[1], abs=1e-14) and p0[0] == pytest.approx(1.6216363)
    x, ev = ds["x"].values, ds["E_vac_eV"].values
    se = ds["layer"].values == "LLZO"
    xs, es = x[se], ev[se]
    # opposite orientation: mirror symmetric about the middle; flat bulk
    mid = 0.5 * (xs[0] + xs[-1])
    np.testing.assert_allclose(np.interp(2 * mid - xs[::-1], xs, es), es[::-1], atol=1e-9)
    bulk = np.abs(xs - mid) < 50
    assert np.ptp(es[bulk]) < 1e-9
    assert float(ds["iface_sigma_e_per_nm2"][0]) == pytest.approx(float(ds["iface_sigma_e_per_nm2"][1]))
    with pytest.raises(InputError, match="outside what the electrodes can reach"):
        solve(st, 0.5)


def test_minimum_interface_closure_in_the_cell():
    ds = solve(li_llzo_lco(), 4.0)
    # Li metal (μ=0) is above LLZO's Li-rich limit (V_red = 0.05): the SE sits at μ_red next to the anode;
    # LixCoO2 at ~4 V is below μ_ox (V_ox = 2.91): the SE sits at μ_ox next to the cathode
    np.testing.assert_allclose(ds["iface_se_mu_Li_eV"].values, [-0.05, -2.91], atol=1e-12)
    assert not ds["iface_electrode_in_window"].values.any()
    # E_F(SE) = μ_Li,SE − μ̄_Li+, linear across the SE
    se = ds["layer"].values == "LLZO"
    ef = ds["E_F_eV"].values[se]
    x = ds["x"].values[se]
    np.testing.assert_allclose(ef, ef[0] + (ef[-1] - ef[0]) * (x - x[0]) / (x[-1] - x[0]), atol=1e-12)
    np.testing.assert_allclose(ef[0], -0.05 - float(ds["mu_bar_Li_value_eV"]), atol=1e-12)


def test_minimum_interface_electrode_inside_window():
    """LixSi at ~1 V lies inside LiPON's window (0.68–2.63 V): the SE matches the anode's μ_Li."""
    ds = solve(fuller2021_stack(), np.array([2.0]))
    ua = float(ds["anode_U_V"][0])
    assert 0.68 < ua < 2.63
    assert bool(ds["iface_electrode_in_window"].values[0, 0])
    assert float(ds["iface_se_mu_Li_eV"].values[0, 0]) == pytest.approx(-ua)
    # the SE's E_F equals the anode's at the interface (no jump of μ̄_e)
    lay = ds["layer"].values
    i = np.flatnonzero(lay == "LiPON")[0]
    assert float(ds["E_F_eV"].values[0, i]) == pytest.approx(float(ds["E_F_eV"].values[0, i - 1]), abs=1e-12)


def test_extrinsic_closure_flat():
    ds = solve(li_llzo_lco(closure="extrinsic", mu_li_se_eV=-1.2), 4.0)
    se = ds["layer"].values == "LLZO"
    np.testing.assert_allclose(ds["mu_Li_eV"].values[se], -1.2)
    np.testing.assert_allclose(ds["E_F_eV"].values[se], -1.2 - float(ds["mu_bar_Li_value_eV"]), atol=1e-12)
    # φ0 does not depend on the closure
    mi = solve(li_llzo_lco(), 4.0)
    np.testing.assert_allclose(ds["iface_phi0_V"].values, mi["iface_phi0_V"].values)
    with pytest.raises(InputError, match="mu_li_se"):
        li_llzo_lco(closure="extrinsic")


def test_ground_anode_shifts_every_energy_by_ocv():
    a = solve(li_llzo_lco(), 4.0)
    b = solve(li_llzo_lco(ground="anode"), 4.0)
    np.testing.assert_allclose(b["E_F_eV"].values, a["E_F_eV"].values - 4.0, atol=1e-9)
    np.testing.assert_allclose(b["E_vac_eV"].values, a["E_vac_eV"].values - 4.0, atol=1e-9)
    np.testing.assert_allclose(b["iface_phi0_V"].values, a["iface_phi0_V"].values, atol=1e-12)


def test_scl_profile_in_the_cell_matches_first_integral_and_neutral():
    ds = solve(li_llzo_lco(), 4.0)
    se = ds["layer"].values == "LLZO"
    x = ds["x"].values[se]
    ev = ds["E_vac_eV"].values[se]
    kt = kT_eV(300.0)
    bulk = ev[np.argmin(np.abs(x - x.mean()))]
    # at the interfaces the SE vacuum level is offset from its bulk by exactly φ0 (in eV)
    assert ev[0] - bulk == pytest.approx(float(ds["iface_phi0_V"][0]), abs=1e-9)
    assert ev[-1] - bulk == pytest.approx(float(ds["iface_phi0_V"][1]), abs=1e-9)
    # defects: electroneutral bulk, c+ = c− there
    cp = ds["c_Li_i_cm3"].values[se]
    cm = ds["c_V_Li_cm3"].values[se]
    i = np.argmin(np.abs(x - x.mean()))
    assert cp[i] == pytest.approx(cm[i], rel=1e-9)
    # Gauss: the layer's charge (∫ρ dx by trapezoid on the cell's graded plotting grid, ~0.5 % accurate
    # there; the exact check is in test_scl_firstintegral) = −σ(electrode)
    rho = ds["rho_C_cm3"].values[se] * 1e6  # C/m3
    left = x < x.mean()
    q = np.trapezoid(rho[left], x[left] * 1e-9)
    sigma = float(ds["iface_sigma_e_per_nm2"][0]) * 1.602176634e-19 * 1e18
    assert q == pytest.approx(-sigma, rel=1e-2)
    del kt


def test_overlapping_layers_warn():
    st = _stack([
        {"material": "Li", "role": "anode", "thickness_nm": 100},
        {"material": "LiF", "role": "electrolyte", "thickness_nm": 1000},
        {"material": "Li", "name": "Li2", "role": "cathode", "thickness_nm": 100},
    ], closure="extrinsic", mu_li_se_eV=-1.0)
    with pytest.warns(SSBandsWarning, match="overlap"):
        ds = solve(st, 0.0)
    assert bool(ds["scl_overlap"])


def test_unknown_parameter_in_a_cell_is_named():
    st = _stack([
        {"material": "Li", "role": "anode", "thickness_nm": 100},
        {"material": "LATP", "role": "electrolyte", "thickness_nm": 1000},
        {"material": "LixCoO2", "role": "cathode", "thickness_nm": 100},
    ])
    with pytest.raises(InputError, match=r"LATP.*phi0_li_V"):
        solve(st, 4.0)


def test_li_fraction_input_and_sweep_consistency(fuller):
    st = fuller2021_stack()
    xa, xc = fuller["anode_li_fraction"].values, fuller["cathode_li_fraction"].values
    by_x = solve(st, li_fractions=(xa, xc))
    np.testing.assert_allclose(by_x["ocv"].values, OCVS, atol=1e-9)
    np.testing.assert_allclose(by_x["E_vac_eV"].values, fuller["E_vac_eV"].values, atol=1e-8)
    one = solve(st, 3.0)
    np.testing.assert_allclose(one["dcpd_V"].values, fuller["dcpd_V"].sel(ocv=3.0).values, atol=1e-10)


def test_summary_and_exports(fuller, tmp_path):
    from ssbands.profile import read_profile

    s = summary(fuller.isel(ocv=3))
    assert s["ocv_V"] == 2.0 and s["ground"] == "cathode" and s["closure"] == "minimum-interface"
    assert [r["name"] for r in s["layers"]] == ["Cu", "LixSi", "LiPON", "LixCoO2", "Pt", "Si"]
    assert s["layers"][2]["work_function_eV"] is None
    assert set(s["interfaces"][0]) >= {"left", "right", "phi0_V", "dipole_V", "sigma_e_per_nm2",
                                       "capacitance_uF_per_cm2", "saturated_width_A", "debye_length_A"}
    p = fuller.ssb.to_netcdf(tmp_path / "p.nc")
    back = read_profile(p)
    np.testing.assert_allclose(back["dcpd_V"].values, fuller["dcpd_V"].values)
    assert back.ssb.metadata["closure"] == "minimum-interface"
    c = fuller.isel(ocv=2).ssb.to_csv(tmp_path / "p.csv")
    text = c.read_text()
    assert text.startswith("# ssbands") and "E_vac_eV" in text


def test_ocv_out_of_range_and_bad_arguments():
    with pytest.raises(InputError, match=r"OCV 5 V is outside"):
        solve(fuller2021_stack(), 5.0)
    # the upper limit is where the LixSi anode reaches 0 V vs Li (it would plate Li beyond)
    lo, hi = reachable_ocv_range(fuller2021_stack())
    st = electrode_state(fuller2021_stack(), ocv=[hi - 1e-9])
    assert abs(float(st.U_anode[0])) < 1e-6 and 4.0 < hi < 4.4
    with pytest.raises(InputError, match="plates"):
        solve(fuller2021_stack(), li_fractions=(0.9999, 0.5))
    with pytest.raises(InputError):
        electrode_state(fuller2021_stack())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve(fuller2021_stack(), 1.0)  # the demo cell raises no warning


def test_interface_resistances_in_the_result():
    from ssbands.scl.resistance import interface_resistance

    ds = solve(fuller2021_stack(), np.array([1.0, 3.0]))
    phi0 = ds["iface_phi0_V"].values
    r = interface_resistance(LIB["LiPON"], phi0, 300.0)
    np.testing.assert_allclose(ds["iface_R_scl_ohm_cm2"].values, r["R_scl_ohm_cm2"], rtol=1e-12)
    s = summary(ds.isel(ocv=1))
    assert s["interfaces"][0]["R_scl_ohm_cm2"] > 0 and s["interfaces"][0]["R_ratio"] > 0
    # LLZO has no transport data in the built-in library: NaN (null in JSON) and a note that says why
    li = solve(li_llzo_lco(), 4.0)
    assert np.isnan(li["iface_R_scl_ohm_cm2"].values).all()
    assert any("interface resistances not computed" in n for n in li.ssb.metadata["notes"])
    assert summary(li)["interfaces"][0]["R_scl_ohm_cm2"] is None


def test_extrinsic_mu_li_from_a_defect_model(tmp_path):
    """[extrinsic_defects]: without quenching the defect model returns the synthesis μ_Li itself;
    with a quench from 900 K it gives the μ_Li implied by the frozen defects (checked against the function)."""
    from pathlib import Path

    from ssbands.defects import DefectSystem, extrinsic_mu_li_from_defects

    toy = Path(__file__).resolve().parents[1] / "examples" / "defects" / "li_electrolyte_toy.yaml"
    base = {"closure": "extrinsic", "layer": li_llzo_lco().to_dict()["layer"]}
    st = Stack.from_dict({**base, "extrinsic_defects": {"file": str(toy), "synthesis_mu_li_eV": -1.5}})
    assert st.mu_li_se_eV == pytest.approx(-1.5, abs=1e-9)
    q = Stack.from_dict({**base, "extrinsic_defects": {"file": str(toy), "synthesis_mu_li_eV": -1.5,
                                                        "synthesis_temperature_K": 900}})
    ref = extrinsic_mu_li_from_defects(DefectSystem.from_yaml(toy), -1.5, temperature_K=300.0,
                                       synthesis_temperature_K=900)
    assert q.mu_li_se_eV == pytest.approx(ref.mu_li_eV, abs=1e-12)
    assert "defect model" in q.mu_li_se_origin
    ds = solve(q, 4.0)
    np.testing.assert_allclose(ds["iface_se_mu_Li_eV"].values, ref.mu_li_eV, atol=1e-12)
    with pytest.raises(InputError, match="not both"):
        Stack.from_dict({**base, "mu_li_se_eV": -1.0,
                         "extrinsic_defects": {"file": str(toy), "synthesis_mu_li_eV": -1.5}})
