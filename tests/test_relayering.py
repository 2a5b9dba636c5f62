"""The re-layered core: interface kernel, immutable stack, batched SCL profiles, Profile schema."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from ssbands import interface as ifc
from ssbands.cell import ReadOnlyMapping, Stack, fuller2021_stack, solve
from ssbands.errors import ApproximationWarning, InputError, SSBandsWarning
from ssbands.materials import load_library
from ssbands.profile import validate_profile
from ssbands.scl import SpaceChargeLayer
from ssbands.scl.firstintegral import layer_profiles
from ssbands.scl.interlayer import phi0_from_library


def test_interface_step_formula_by_hand():
    # phi0 = phi0_Li + (Phi_M - Phi_Li) - U - delta, checked with numbers worked by hand
    assert ifc.interface_step(1.0, 5.0, 3.0, 4.0, 0.5) == pytest.approx(1.0 + 2.0 - 4.0 - 0.5, abs=1e-15)
    out = ifc.interface_step(np.array([1.0, 2.0])[:, None], np.array([4.0, 5.0, 6.0]), 2.9, 0.0)
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(2.0 + 6.0 - 2.9, abs=1e-14)


def test_kernel_is_used_by_cell_and_scl_alike():
    """The same interface computed by the cell solve and by phi0_from_library (one formula)."""
    lib = load_library()
    st = fuller2021_stack()
    s = solve(st, 3.0).ssb.interfaces
    ds = solve(st, 3.0)
    x_c = float(ds["cathode_li_fraction"])
    phi0, _ = phi0_from_library(lib, "LiPON", "LixCoO2", potential_V=float(ds["cathode_U_V"]), li_fraction=x_c)
    assert float(s["phi0_V"][1]) == pytest.approx(phi0, abs=1e-12)


def test_fermi_above_vbm_and_injection_flags():
    pos = ifc.se_fermi_above_vbm(-1.0, 2.9, 1.2, 6.0)
    assert pos == pytest.approx(-1.0 - 2.9 + 1.2 + 6.0)
    codes = ifc.injection_code(np.array([-0.1, 1.0, 5.1, np.nan]), 5.0)
    assert codes.tolist() == [1, 0, 2, -1]
    assert ifc.injection_labels(codes).tolist() == ["holes", "none", "electrons", "unknown"]
    code, viol = ifc.decomposition(np.array([0.0, 1.0, 5.0]), (0.5, 4.0))
    assert code.tolist() == [1, 0, 2] and viol.tolist() == pytest.approx([0.5, 0.0, 1.0])


def test_reference_state_rule():
    assert ifc.reference_state((-1.0, 4.0)).ocv_V == 0.0
    r = ifc.reference_state((2.5, 4.2))
    assert r.ocv_V == 2.5 and "not reachable" in r.label
    assert ifc.reference_state((-4.0, -1.0)).ocv_V == -1.0
    assert ifc.reference_state((0, 4), 1.5).label == "OCV = 1.5 V"
    with pytest.raises(InputError, match="reference_ocv"):
        ifc.reference_state((0, 4), "zero")


def test_stack_is_immutable_and_picklable():
    st = fuller2021_stack(interface=[{"left": "LixSi", "right": "LiPON", "dipole_V": 0.1}])
    assert isinstance(st.dipoles, ReadOnlyMapping)
    with pytest.raises(TypeError):
        st.dipoles[("LixSi", "LiPON")] = float("nan")  # type: ignore[index]
    with pytest.raises(AttributeError):
        st.temperature_K = 1.0  # type: ignore[misc]
    assert not hasattr(st, "derived")
    d2 = pickle.loads(pickle.dumps(st.dipoles))
    assert d2 == st.dipoles and hash(d2) == hash(st.dipoles)
    assert st.li_balance is st.li_balance  # built once, from immutable fields


def test_nan_dipole_is_still_refused_after_construction_route():
    st = fuller2021_stack()
    from dataclasses import replace

    with pytest.raises(InputError, match="finite"):
        replace(st, dipoles={("LixSi", "LiPON"): float("nan")})


@pytest.mark.parametrize("material", ["LLZO", "LiPON", "LiF"])
def test_batched_profiles_equal_single_layers(material):
    lib = load_library()
    m = lib[material]
    args = [m.get(k) for k in ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha")]
    phi0 = np.array([2.2, -0.7, 0.0, 1e-6, 0.03, -3.5])
    x = np.concatenate([[0.0], np.geomspace(1e-4, 3e3, 200)])
    f, ext = layer_profiles(phi0, *args, 300.0, x, extent_tol_V=2.585e-5)
    for k, p in enumerate(phi0):
        L = SpaceChargeLayer(float(p), *args, temperature_K=300.0)
        np.testing.assert_allclose(f[k], L.f(x), rtol=1e-12, atol=0)
        assert ext[k] == pytest.approx(L.extent_nm(2.585e-5), rel=1e-12, abs=1e-12)


def test_profile_schema_and_tables():
    ds = solve(fuller2021_stack(), [1.0, 3.0])
    validate_profile(ds)
    assert set(ds.ssb.interfaces.data_vars) >= {"phi0_V", "capacitance_uF_per_cm2", "injection"}
    assert ds.ssb.layers.sizes["layer"] == 6
    assert "anode_li_fraction" in ds.ssb.states and "x" not in ds.ssb.states.dims
    assert "phi_V" not in ds  # psi_V is the one potential variable
    bad = ds.copy()
    bad["E_vac_eV"].attrs.pop("units")
    with pytest.raises(InputError, match="E_vac_eV"):
        validate_profile(bad)


def test_profile_records_material_values_and_sources():
    ds = solve(fuller2021_stack(), 3.0)
    mats = ds.ssb.metadata["materials"]
    lipon = mats["LiPON"]["parameters"]
    assert lipon["phi0_li_V"]["value"] == pytest.approx(load_library()["LiPON"].get("phi0_li_V"))
    assert lipon["phi0_li_V"]["source"]
    assert "work_function_eV" in mats["Li"]["parameters"]


def test_overlap_warning_is_in_the_family():
    st = fuller2021_stack()
    from dataclasses import replace

    thin = replace(st, layers=tuple(replace(ly, thickness_nm=5.0) if ly.role == "electrolyte" else ly
                                    for ly in st.layers))
    with pytest.warns(ApproximationWarning):
        solve(thin, 3.0)
    assert issubclass(ApproximationWarning, SSBandsWarning)


def test_ocv_and_li_fractions_together_are_refused():
    with pytest.raises(InputError, match="not both"):
        solve(fuller2021_stack(), 3.0, li_fractions=(0.1, 0.9))


def test_measured_profile_has_its_own_reference():
    from ssbands.profile import make_profile

    ds = make_profile([0, 1], {"cpd_V": ([0.1, 0.2], "V", "CPD")}, kind="measurement")
    assert "tip" in ds.attrs["energy_reference"] and "grounded" not in ds.attrs["energy_reference"]
    assert Stack  # imported for the public path
