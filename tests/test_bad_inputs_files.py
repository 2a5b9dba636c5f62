"""No silent wrong answers from input files (class 3): duplicate keys, unknown top-level keys and unknown
citation keys are errors in library files, defect YAML and stack TOML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssbands.cell import Stack
from ssbands.defects import DefectSystem
from ssbands.errors import InputError
from ssbands.materials import load_library
from ssbands.materials.library import LIBRARY_TOP_KEYS, safe_load

from _cli import run_cli

REPO = Path(__file__).resolve().parents[1]
FULLER = REPO / "examples" / "stacks" / "fuller2021.toml"
TOY = REPO / "examples" / "defects" / "li_electrolyte_toy.yaml"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---- duplicate keys ------------------------------------------------------------------------------

def test_duplicate_material_in_a_library_file(tmp_path, capsys):
    p = _write(tmp_path, "lib.yaml", "materials:\n  LiPON: {permittivity: 15.0}\n  LiPON: {permittivity: 20.0}\n")
    with pytest.raises(InputError, match=r"key 'LiPON' appears twice \(lines 2 and 3\)"):
        load_library(p)
    code, _, err = run_cli(capsys, "materials", "show", "LiPON", "--library", str(p))
    assert code == 2 and "appears twice" in err and str(p) in err and err.count("\n") == 1


def test_duplicate_field_in_a_library_file(tmp_path):
    p = _write(tmp_path, "lib.yaml", "materials:\n  MySE:\n    kind: electrolyte\n    phi0_li_V: 1.0\n"
                                     "    phi0_li_V: 2.0\n")
    with pytest.raises(InputError, match="'phi0_li_V' appears twice"):
        load_library(p)


def test_duplicate_key_in_a_defect_yaml(tmp_path, capsys):
    text = TOY.read_text(encoding="utf-8").replace("bandgap: 6.0", "bandgap: 6.0\nbandgap: 3.0")
    p = _write(tmp_path, "toy.yaml", text)
    with pytest.raises(InputError, match="'bandgap' appears twice"):
        DefectSystem.from_yaml(p)
    code, _, err = run_cli(capsys, "fermi", str(p))
    assert code == 2 and "appears twice" in err


def test_duplicate_key_in_a_stack_file(tmp_path, capsys):
    p = _write(tmp_path, "s.toml", "temperature_K = 300\ntemperature_K = 320\n" + FULLER.read_text(encoding="utf-8"))
    code, _, err = run_cli(capsys, "band", str(p), "--ocv", "3")
    assert code == 2 and "not valid TOML" in err and err.count("\n") == 1


def test_yaml_merge_keys_are_not_duplicates():
    data = safe_load("a: &x {k: 1, j: 2}\nb: {<<: *x, k: 3}\n")
    assert data["b"] == {"k": 3, "j": 2}


# ---- unknown top-level keys ----------------------------------------------------------------------

def test_unknown_top_level_key_in_a_library_file(tmp_path):
    p = _write(tmp_path, "lib.yaml", "materials:\n  LiPON: {permittivity: 15.0}\nreferenses:\n  a: b\n")
    with pytest.raises(InputError, match=r"unknown top-level key\(s\) \['referenses'\]"):
        load_library(p)


def test_unknown_top_level_key_in_a_defect_yaml(tmp_path):
    p = _write(tmp_path, "toy.yaml", TOY.read_text(encoding="utf-8") + "bandgapp: 3.0\n")
    with pytest.raises(InputError, match=r"unknown key\(s\) \['bandgapp'\]"):
        DefectSystem.from_yaml(p)


def test_unknown_top_level_key_in_a_stack_file(tmp_path):
    p = _write(tmp_path, "s.toml", "temprature_K = 320\n" + FULLER.read_text(encoding="utf-8"))
    with pytest.raises(InputError, match=r"unknown key\(s\) \['temprature_K'\]"):
        Stack.from_toml(p)


# ---- citation keys -------------------------------------------------------------------------------

def test_unknown_citation_key_refused(tmp_path, capsys):
    p = _write(tmp_path, "lib.yaml", "materials:\n  LiPON: {permittivity: {value: 15.0, source: smith2020}}\n")
    with pytest.raises(InputError, match="citation key 'smith2020' is not in the bibliography"):
        load_library(p)
    code, _, err = run_cli(capsys, "materials", "show", "LiPON", "--library", str(p))
    assert code == 2 and "'LiPON'" in err and "'permittivity'" in err


def test_unknown_alternative_citation_refused(tmp_path):
    p = _write(tmp_path, "lib.yaml", "materials:\n  Cu: {work_function_eV: {value: 4.6, source: michaelson1977, "
                                     "alternatives: {nobody1999: 4.4}}}\n")
    with pytest.raises(InputError, match="'nobody1999'"):
        load_library(p)


def test_defined_or_written_out_citations_accepted(tmp_path):
    p = _write(tmp_path, "lib.yaml", "materials:\n  LiPON: {permittivity: {value: 15.0, source: smith2020}}\n"
                                     "  LLZO: {permittivity: {value: 60.0, source: \"my DFT, 2026\"}}\n"
                                     "references:\n  smith2020: \"J. Smith, J. Chem. Phys. 1, 1 (2020)\"\n")
    lib = load_library(p)
    assert lib.cite(lib["LiPON"].param("permittivity").source).startswith("J. Smith")
    assert lib["LLZO"].param("permittivity").source == "my DFT, 2026"


def test_every_builtin_citation_key_resolves():
    lib = load_library()
    for m in lib.values():
        for f, p in m.params.items():
            if p.source and " " not in p.source and "(" not in p.source:
                assert p.source in lib.references, (m.name, f, p.source)


# ---- property: a library file is read exactly when it is well formed ------------------------------

_FIELDS = ["permittivity", "phi0_li_V", "alpha", "site_density_cm3", "permitivity", "phi0_Li_V"]
_TOP = ["materials", "references", "_anchors", "material", "refs", "Materials"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=4),
       tops=st.lists(st.sampled_from(_TOP[2:]), max_size=2), source=st.sampled_from(["", "smith2020", "x y"]))
def test_property_library_files_read_only_when_well_formed(tmp_path, fields, tops, source):
    """Every key is either used or refused: duplicates, unknown fields, unknown top-level keys and unknown
    citation keys never pass silently; a well-formed file always loads."""
    values = {"permittivity": 15.0, "phi0_li_V": 1.5, "alpha": 0.1, "site_density_cm3": 1e22,
              "permitivity": 15.0, "phi0_Li_V": 1.5}
    lines = ["materials:", "  MySE:", "    kind: electrolyte"]
    for f in fields:
        v = values[f]
        lines.append(f"    {f}: {{value: {v}, source: {source}}}" if source else f"    {f}: {v}")
    for t in tops:
        lines.append(f"{t}: {{}}")
    p = tmp_path / "lib.yaml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good = (len(set(fields)) == len(fields) and all(f in values and not f.startswith(("permitivity", "phi0_Li"))
                                                     for f in fields)
            and all(t.startswith("_") or t in LIBRARY_TOP_KEYS for t in tops) and len(set(tops)) == len(tops)
            and source != "smith2020")
    if good:
        lib = load_library(p)
        for f in fields:
            assert lib["MySE"].has(f)
    else:
        with pytest.raises(InputError):
            load_library(p)


def test_yaml_dump_of_a_defect_system_reads_back():
    s = DefectSystem.from_yaml(TOY)
    data = yaml.safe_load(yaml.safe_dump(s.to_dict()))
    assert DefectSystem.from_dict(data).to_dict() == s.to_dict()


@pytest.mark.parametrize("field, value, why", [
    ("work_function_eV", 500.0, "work functions"),
    ("site_density_cm3", 3e28, r"atoms per cm\^3"),
    ("permittivity", 0.5, "vacuum"),
    ("band_gap_eV", 60.0, "band gaps"),
])
def test_values_outside_physical_bounds_refused(tmp_path, field, value, why):
    kind = "metal" if field == "work_function_eV" else "electrolyte"
    name = "Cu" if kind == "metal" else "LLZO"
    p = _write(tmp_path, "lib.yaml", f"materials:\n  {name}: {{{field}: {value}}}\n")
    with pytest.raises(InputError, match=why):
        load_library(p)


def test_missing_table_file_refused_when_the_library_is_read(tmp_path):
    p = _write(tmp_path, "lib.yaml", "materials:\n  MyEl:\n    kind: electrode\n"
                                     "    ocv_V: {kind: table, file: nope.csv}\n"
                                     "    work_function_eV: 4.0\n    li_capacity_cm3: 1e22\n")
    with pytest.raises(InputError, match="nope.csv' does not exist"):
        load_library(p)
