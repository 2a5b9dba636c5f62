"""Materials library: published values, citations, unknowns and user overrides."""

from __future__ import annotations

import pytest

from ssbands.errors import InputError, UnknownParameterError
from ssbands.materials import load_library

LIB = load_library()


@pytest.mark.parametrize("name,field,value", [
    # MODEL.md §3 (Swift, Swift & Qi 2021)
    ("LLZO", "phi0_li_V", 1.6216363), ("LLZO", "site_density_cm3", 3.27455e22), ("LLZO", "defect_energy_eV", 0.0143907),
    ("LLZO", "permittivity", 50.0), ("LiF", "phi0_li_V", 1.9160631), ("LiF", "defect_energy_eV", 0.9733510),
    ("Li2CO3", "site_density_cm3", 1.64941e22), ("Li2CO3", "permittivity", 5.64), ("Li2O(111)", "phi0_li_V", 2.1833214),
    ("Li2O(110)", "phi0_li_V", 0.7104937), ("Li2O(110)", "site_density_cm3", 8.08106e22), ("LiPON", "phi0_li_V", 1.24),
    # MODEL.md §6 work functions (Michaelson/CRC)
    ("Li", "work_function_eV", 2.93), ("Cu", "work_function_eV", 4.65), ("Pt", "work_function_eV", 5.65),
    ("Pd", "work_function_eV", 5.12), ("Al", "work_function_eV", 4.28), ("Ni", "work_function_eV", 5.15),
    ("Au", "work_function_eV", 5.10), ("Si", "work_function_eV", 4.85), ("LixCoO2", "work_function_eV", 5.1),
])
def test_published_values(name, field, value):
    assert LIB[name].get(field) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("name,window", [
    ("LLZO", (0.05, 2.91)), ("LiPON", (0.68, 2.63)), ("LATP", (2.17, 4.21)), ("LAGP", (2.70, 4.27)),
    ("LLTO", (1.75, 3.71)), ("Li3PS4", (1.71, 2.31)), ("LGPS", (1.71, 2.14)), ("Li6PS5Cl", (1.71, 2.01)),
    ("Li7P3S11", (2.28, 2.31)), ("Li3PO4", (0.69, 4.21)),
])
def test_stability_windows_zhu2015(name, window):
    assert LIB[name].get("window_V") == pytest.approx(window)
    assert "Zhu" in LIB.cite(LIB[name].param("window_V").source)


def test_every_known_value_has_a_source_and_alpha_is_0_1_for_swift():
    for name in LIB:
        m = LIB[name]
        for f, p in m.params.items():
            if p.known:
                assert p.source, f"{name}.{f} has no source"
    for name in ("LLZO", "LiF", "Li2CO3", "Li2O(111)", "Li2O(110)"):
        assert LIB[name].get("alpha") == 0.1


def test_required_materials_present_case_insensitive():
    for n in ["Li", "Cu", "Pt", "Pd", "Al", "Ni", "Au", "Si", "LixSi", "LixCoO2", "LiPON", "LLZO", "LATP", "LAGP",
              "LLTO", "Li3PS4", "LGPS", "Li6PS5Cl", "Li7P3S11", "Li3PO4", "LiF", "Li2CO3", "Li2O(111)", "Li2O(110)"]:
        assert n in LIB
        assert LIB[n.lower()].name == n


def test_lipon_estimates_are_labelled_and_derived():
    m = LIB["LiPON"]
    for f in ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha"):
        p = m.param(f)
        assert p.estimate and "ESTIMATE" in p.note
    # the documented derivation of N: Li2.9PO3.3N0.46 at 2.5 g/cm3
    M = 2.9 * 6.941 + 30.974 + 3.3 * 15.999 + 0.46 * 14.007
    assert m.get("site_density_cm3") == pytest.approx(2.9 * 2.5 / M * 6.02214076e23, rel=1e-3)
    assert m.get("permittivity") == pytest.approx((9.0 + 5.64 + 7.27) / 3, abs=0.01)
    assert m.get("defect_energy_eV") == pytest.approx(0.55 / 2)


def test_unknown_parameter_error_names_material_field_and_fix():
    with pytest.raises(UnknownParameterError) as e:
        LIB["LATP"].get("phi0_li_V", "the band diagram")
    msg = str(e.value)
    assert "LATP" in msg and "phi0_li_V" in msg and "load_library" in msg
    assert "--" not in msg  # library code names parameters, not command-line flags


def test_cli_adds_the_flag_to_an_unknown_parameter(capsys):
    from _cli import run_cli

    code, _out, err = run_cli(capsys, "scl", "--electrolyte", "LATP", "--electrode", "Li")
    assert code == 2
    assert "LATP" in err and "is unknown" in err and "--library FILE" in err and len(err.strip().splitlines()) == 1


def test_user_library_overrides_one_field_and_adds_a_material(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("materials:\n  lipon: {permittivity: 15}\n  MySE:\n    kind: electrolyte\n"
                 "    phi0_li_V: {value: 1.1, source: my DFT}\n    site_density_cm3: 3e22\n")
    lib = load_library(f)
    assert lib["LiPON"].get("permittivity") == 15.0
    assert lib["LiPON"].param("permittivity").source == str(f)
    assert lib["LiPON"].get("phi0_li_V") == 1.24  # untouched field kept
    assert lib["MySE"].get("site_density_cm3") == 3e22  # 3e22 without a dot is read as a number
    assert LIB["LiPON"].get("permittivity") == pytest.approx(7.3)  # built-in not mutated


@pytest.mark.parametrize("text,needle", [
    ("materials:\n  LiPON: {permitivity: 15}\n", "permitivity"),
    ("materials:\n  LiPON: {band_gap_eV: -1.0}\n", "band_gap_eV"),
    ("materials:\n  LiPON: {permittivity: abc}\n", "permittivity"),
    ("materials:\n  X: {kind: plasma}\n", "kind"),
    ("materials: [1, 2]\n", "materials"),
    ("materials:\n  LiPON: {window_V: [3.0, 1.0]}\n", "window_V"),
    ("materials: {a: [\n", "not valid YAML"),
])
def test_bad_user_library_is_a_clear_error(tmp_path, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(InputError) as e:
        load_library(f)
    assert needle in str(e.value) and "bad.yaml" in str(e.value)


def test_missing_library_file():
    with pytest.raises(InputError, match="does not exist"):
        load_library("/nonexistent/lib.yaml")
