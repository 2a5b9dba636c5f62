"""Built-in material data: every number cited, facets of one bulk material, Li-dependent collectors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ssbands.errors import InputError, UnknownParameterError
from ssbands.materials import load_library
from ssbands.materials.library import safe_load

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "ssbands" / "materials" / "data"
LIB = load_library()
#: the one source that is not a citation: Li metal is the Li/Li+ reference by definition
NOT_CITATIONS = {"definition"}


def _raw_yaml():
    raw = {}
    for fname in ("metals.yaml", "electrodes.yaml", "electrolytes.yaml"):
        raw.update(safe_load((DATA / fname).read_text(encoding="utf-8"))["materials"])
    return raw


RAW = _raw_yaml()


def _sources(name):
    """(field, citation key) of every known parameter of a material, ``alternatives`` included."""
    m = LIB[name]
    for f, p in m.params.items():
        if p.known:
            yield f, p.source
    for f, v in (RAW.get(m.bulk_name or m.name) or {}).items():
        if isinstance(v, dict):
            for key in (v.get("alternatives") or {}):
                yield f, key


@pytest.mark.parametrize("name", list(LIB))
def test_every_built_in_number_cites_a_reference_in_the_bibliography(name):
    bib = (REPO / "docs" / "bibliography.md").read_text(encoding="utf-8").lower()
    for field, key in _sources(name):
        assert key, f"{name}.{field} has no source"
        if key in NOT_CITATIONS:
            continue
        assert key in LIB.references, f"{name}.{field}: source {key!r} is not a key of references.yaml"
        ref = LIB.references[key]
        doi = re.search(r"doi:\s*(\S+?)[;,)]?(?:\s|$)", ref)
        if doi:
            assert doi.group(1).lower() in bib, f"{key}: {doi.group(1)} is not in docs/bibliography.md"
        else:  # no DOI: the first author's surname (or the handbook's name) must be there
            word = next(w for w in re.findall(r"[A-Za-zÀ-ÿ]{3,}", ref))
            assert word.lower() in bib, f"{key}: {word!r} is not in docs/bibliography.md"


def test_no_design_file_citation_left_in_the_data():
    for p in DATA.glob("*.yaml"):
        text = p.read_text(encoding="utf-8")
        assert "model_md" not in text and "MODEL.md" not in text, p.name
    assert "model_md" not in LIB.references


@pytest.mark.parametrize("name,field,value,key", [
    ("LLZO", "band_gap_eV", 6.0, "thompson2017"),
    ("LiF", "band_gap_eV", 14.2, "piacentini1976"),
    ("LiPON", "ionic_conductivity_S_cm", 1.0e-6, "put2016"),
    ("LiPON", "activation_energy_eV", 0.53, "put2016"),
    ("LiPON", "electronic_conductivity_S_cm", 1.0e-15, "put2016"),
])
def test_new_published_values(name, field, value, key):
    p = LIB[name].param(field)
    assert p.value == pytest.approx(value, rel=1e-12) and p.source == key and not p.estimate


@pytest.mark.parametrize("name,field", [
    ("LiPON", "band_gap_eV"), ("LiPON", "ionization_potential_eV"), ("LLZO", "ionization_potential_eV"),
    ("Li2O", "band_gap_eV"), ("LixCoO2", "permittivity"),
    ("LiFePO4", "work_function_eV"), ("Li4Ti5O12", "work_function_eV"), ("NMC111", "work_function_eV"),
    ("LixC6", "work_function_eV"), ("LiFePO4", "ocv_V"), ("LixC6", "ocv_V"), ("Cu", "li_capacity_cm3"),
])
def test_values_nobody_confirmed_stay_unknown(name, field):
    assert not LIB[name].has(field)
    with pytest.raises(UnknownParameterError, match=re.escape(name) + ".*" + field):
        LIB[name].get(field)


# ------------------------------------------------------------------------------------------------
# Li2O: one bulk material, facet-dependent interface dipoles


def test_old_facet_names_resolve_to_li2o_with_identical_values():
    bulk = LIB["Li2O"]
    assert LIB["Li2O(111)"].get("phi0_li_V") == 2.1833214  # exact, as published
    assert LIB["li2o(110)"].get("phi0_li_V") == 0.7104937
    for name, facet in (("Li2O(111)", "111"), ("Li2O(110)", "110")):
        m = LIB[name]
        assert m.name == name and m.facet == facet and m.bulk_name == "Li2O" and m.kind == "electrolyte"
        assert name in LIB and name.upper() in LIB
        for f in ("site_density_cm3", "defect_energy_eV", "alpha", "permittivity"):
            assert m.get(f) == bulk.get(f)
        assert m.param("phi0_li_V").source == "swift2021" and not m.param("phi0_li_V").estimate
        assert m.facets == ()  # a facet record is not expanded again
    assert bulk.facets == ("111", "110") and bulk.facet is None
    assert bulk.get("phi0_li_V") == LIB["Li2O(111)"].get("phi0_li_V")  # the (111) interface is the reference


def test_of_kind_lists_one_entry_per_facet_in_library_order():
    names = [m.name for m in LIB.of_kind("electrolyte")]
    assert names[:6] == ["LLZO", "LiF", "Li2CO3", "Li2O(111)", "Li2O(110)", "LiPON"]
    assert "Li2O" not in names and len(names) == len(set(names))
    assert {"Li2O", "Li2O(111)", "Li2O(110)"} <= set(LIB)


def test_unknown_facet_is_a_clear_error():
    assert "Li2O(100)" not in LIB and "LLZO(100)" not in LIB
    with pytest.raises(InputError, match=r"'Li2O' has no facet '100'; facets: 111, 110"):
        LIB["Li2O(100)"]
    with pytest.raises(InputError, match=r"'LLZO' has no facet '100'; facets: none"):
        LIB["LLZO(100)"]


def test_user_dipoles_and_bulk_overrides_flow_to_the_facets(tmp_path):
    f = tmp_path / "lib.yaml"
    f.write_text("materials:\n  Li2O:\n    permittivity: 8.0\n"
                 "    facet_dipole_V: {'111': 0.0, '110': 1.0, '1-10': -0.25}\n"
                 "  MySE:\n    kind: electrolyte\n    phi0_li_V: 1.5\n    facet_dipole_V: {value: {'001': 0.2}, "
                 "source: me, estimate: true}\n"
                 "references:\n  me: 'my own estimate (test)'\n")
    lib = load_library(f)
    assert lib["Li2O(110)"].get("phi0_li_V") == pytest.approx(2.1833214 - 1.0)
    assert lib["Li2O(1-10)"].get("phi0_li_V") == pytest.approx(2.1833214 + 0.25)
    assert lib["Li2O(110)"].get("permittivity") == 8.0
    p = lib["MySE(001)"].param("phi0_li_V")
    assert p.value == pytest.approx(1.3) and p.estimate  # an estimated dipole makes the facet value one
    names = [m.name for m in lib.of_kind("electrolyte")]
    assert {"Li2O(111)", "Li2O(110)", "Li2O(1-10)", "MySE(001)"} <= set(names) and "MySE" not in names


def test_a_facet_name_in_a_user_file_is_refused_unless_it_is_a_new_material(tmp_path):
    f = tmp_path / "lib.yaml"
    f.write_text("materials:\n  Li2O(110): {permittivity: 3.0}\n")
    with pytest.raises(InputError, match=r"lib\.yaml.*'Li2O\(110\)' is the \(110\) facet of 'Li2O'"):
        load_library(f)
    f.write_text("materials:\n  Li2O(110): {kind: electrolyte, phi0_li_V: 0.5}\n")
    lib = load_library(f)
    assert lib["Li2O(110)"].get("phi0_li_V") == 0.5 and lib["Li2O(110)"].facet is None
    names = [m.name for m in lib.of_kind("electrolyte")]
    assert names.count("Li2O(110)") == 1 and "Li2O(111)" in names


@pytest.mark.parametrize("text,needle", [
    ("  Li2O: {facet_dipole_V: {110: 1.0}}\n", "must be a quoted string"),
    ("  Li2O: {facet_dipole_V: {'11x': 1.0}}\n", "is not Miller indices"),
    ("  Li2O: {facet_dipole_V: {'110': abc}}\n", "facet '110'"),
    ("  Li2O: {facet_dipole_V: {value: 1.0}}\n", "mapping of facets"),
    ("  Li2O: {facet_dipole_V: {value: {}}}\n", "mapping of facets"),
    ("  Li2O: {facet_dipole_V: {kind: table, x: [0, 1], values: [0, 1]}}\n", "mapping of facets"),
    ("  Cu: {li_work_function_eV: 4.0}\n", "expected a table"),
    ("  Cu: {li_work_function_eV: {kind: constant, value: 4.0}}\n", "expected a table"),
    ("  Cu: {li_work_function_eV: {kind: table, x: [0.0, 1.5], values: [4.6, 2.9]}}\n", "within [0, 1]"),
    ("  Cu: {li_work_function_eV: {kind: table, x: [0.0, 1.0], values: [4.6, -1.0]}}\n", "must be > 0"),
    ("  Cu: {li_capacity_cm3: -1.0}\n", "must be > 0"),
])
def test_validation_errors_name_file_material_and_field(tmp_path, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text("materials:\n" + text)
    with pytest.raises(InputError) as e:
        load_library(f)
    msg = str(e.value)
    field = "facet_dipole_V" if "facet" in text else ("li_work_function_eV" if "li_work" in text else "li_capacity")
    assert "bad.yaml" in msg and ("'Li2O'" in msg or "'Cu'" in msg) and field in msg and needle in msg, msg


# ------------------------------------------------------------------------------------------------
# a current collector with a Li-dependent work function; electrodes without data


def test_cu_lithiated_work_function_is_a_labelled_estimate_between_cu_and_li():
    p = LIB["Cu"].param("li_work_function_eV")
    assert p.estimate and "ESTIMATE" in p.note and p.source == "michaelson1977"
    assert p.spec["kind"] == "table" and p.spec["x"] == [0.0, 1.0]
    assert p.spec["values"] == [LIB["Cu"].get("work_function_eV"), LIB["Li"].get("work_function_eV")]
    assert LIB["Cu"].get("work_function_eV") == 4.65  # the pristine collector is unchanged


def test_electrodes_without_data_are_refused_by_the_cell_and_skipped_by_the_screen():
    from ssbands.cell import Stack, solve
    from ssbands.screening.selection import select_materials

    layers = [{"material": "Cu", "role": "current-collector", "thickness_nm": 100},
              {"material": "Li", "role": "anode", "thickness_nm": 100},
              {"material": "LiPON", "role": "electrolyte", "thickness_nm": 1000},
              {"material": "LiFePO4", "role": "cathode", "thickness_nm": 500, "li_fraction": 0.5},
              {"material": "Pt", "role": "current-collector", "thickness_nm": 100}]
    with pytest.raises(UnknownParameterError, match="LiFePO4.*(ocv_V|work_function_eV)"):
        solve(Stack.from_dict({"layer": layers}, LIB))

    for name in ("LiFePO4", "Li4Ti5O12", "NMC111", "LixC6"):
        assert LIB[name].kind == "electrode"
    sel = select_materials(LIB)
    skipped = {d["material"]: d for d in sel.skipped}
    for name in ("LiFePO4", "Li4Ti5O12", "NMC111", "LixC6"):
        assert skipped[name]["field"] in ("ocv_V", "work_function_eV") and name in skipped[name]["reason"]


def test_errors_in_the_built_in_files_name_the_file():
    from ssbands.materials.library import _parse_material

    with pytest.raises(InputError, match=r"built-in library file electrolytes\.yaml: material 'X', field 'alpha'"):
        _parse_material("X", {"kind": "electrolyte", "alpha": 2.0}, "built-in", None, None,
                        file_label="built-in library file electrolytes.yaml")
