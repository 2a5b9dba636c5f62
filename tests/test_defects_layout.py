"""The ssbands.defects package: public names, the stack-table closure, the readers' field mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

import ssbands.defects as defects
from ssbands.defects import (
    DefectSystem,
    extrinsic_mu_li_from_defects,
    mu_li_from_defect_table,
)
from ssbands.defects.io import system_fields_from_yaml, system_to_mapping
from ssbands.errors import InputError

TOY = Path(__file__).resolve().parents[1] / "examples" / "defects" / "li_electrolyte_toy.yaml"


def test_public_names_are_importable_from_the_package():
    for name in defects.__all__:
        assert getattr(defects, name) is not None
    assert {"ChargeState", "DefectSpecies", "ParabolicBands", "TabulatedDOS", "DefectSystem", "FermiSolution",
            "FermiScan", "ExtrinsicFermiLevel", "extrinsic_mu_li_from_defects", "fermi_dirac_half",
            "log_fermi_dirac_half"} <= set(defects.__all__)
    assert defects.ENERGY_REFERENCE.startswith("Fermi level measured from the valence-band maximum")


def test_defect_table_closure_matches_the_function():
    mu, origin = mu_li_from_defect_table({"file": str(TOY), "synthesis_mu_li_eV": -1.5,
                                          "synthesis_temperature_K": 900}, 300.0, "<dict>")
    ref = extrinsic_mu_li_from_defects(DefectSystem.from_yaml(TOY), -1.5, temperature_K=300.0,
                                       synthesis_temperature_K=900)
    assert mu == ref.mu_li_eV
    assert origin.startswith(f"defect model {TOY} (synthesis mu_Li -1.5 eV, T_s 900 K;")


@pytest.mark.parametrize("raw, match", [
    (3, "expected a table"),
    ({"file": "x.yaml"}, "needs 'file'"),
    ({"file": "x.yaml", "synthesis_mu_li_eV": -1, "extra": 1}, "needs 'file'"),
])
def test_defect_table_errors(raw, match):
    with pytest.raises(InputError, match=match):
        mu_li_from_defect_table(raw, 300.0, "cell.toml")


def test_relative_file_is_next_to_the_stack_file(tmp_path):
    (tmp_path / "toy.yaml").write_text(TOY.read_text(encoding="utf-8"), encoding="utf-8")
    mu, _ = mu_li_from_defect_table({"file": "toy.yaml", "synthesis_mu_li_eV": -1.5}, 300.0,
                                    str(tmp_path / "cell.toml"))
    assert mu == pytest.approx(-1.5, abs=1e-9)


def test_reader_fields_build_the_system_and_write_back():
    fields = system_fields_from_yaml(TOY)
    assert set(fields) == {"species", "bands", "volume_A3", "temperature_K", "mu_eV", "source"}
    s = DefectSystem(**fields)
    assert system_to_mapping(s) == s.to_dict() == DefectSystem.from_yaml(TOY).to_dict()
    assert DefectSystem.from_dict(s.to_dict()).solve().to_dict() == s.solve().to_dict()
