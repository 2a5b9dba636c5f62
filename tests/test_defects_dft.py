"""DFT readers: a doped DefectThermodynamics JSON, pymatgen-analysis-defects FormationEnergyDiagram JSON and
a PFD_solution YAML written here give the expected defect model and N, E_f0 and φ0^Li."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest

from ssbands.constants import K_B_EV
from ssbands.defects import (
    electrolyte_bulk,
    read_doped_json,
    read_pfd_solution_yaml,
    read_pmg_defects_json,
    two_defect_parameters,
)
from ssbands.errors import InputError

IP, PHI_LI, T = 6.2, 2.93, 300.0
KT = K_B_EV * T
BULK_COMP = {"Li": 56.0, "La": 24.0, "Zr": 16.0, "O": 96.0}
E_BULK = -1500.0
REFS = {"Li": -1.91, "La": -4.93, "Zr": -8.55, "O": -4.95, "Al": -3.75}
VBM = 2.80
A = 13.0  # cubic cell edge of defect.structure, Å
VOL = A ** 3


def entry(energy, comp_change, correction=0.0):
    comp = dict(BULK_COMP)
    for el, n in comp_change.items():
        comp[el] = comp.get(el, 0.0) + n
    return {"@module": "pymatgen.entries.computed_entries", "@class": "ComputedStructureEntry", "energy": energy,
            "correction": correction, "composition": comp, "energy_adjustments": [], "parameters": {}, "data": {}}


def defect(kind, mult):
    lattice = {"@module": "pymatgen.core.lattice", "@class": "Lattice",
               "matrix": [[A, 0.0, 0.0], [0.0, A, 0.0], [0.0, 0.0, A]], "pbc": [True, True, True]}
    return {"@module": "pymatgen.analysis.defects.core", "@class": kind, "multiplicity": mult,
            "structure": {"@module": "pymatgen.core.structure", "@class": "Structure", "lattice": lattice, "sites": []}}


# (name, class, multiplicity, q, Δn, E_sc (eV), corrections, degeneracy factors)
ROWS = [
    ("Li_i_C1_+1", "Interstitial", 48, 1, {"Li": 1}, -1506.43, {"kumagai_charge_correction": 0.12},
     {"spin degeneracy": 1, "orientational degeneracy": 2}),
    ("Li_i_C1_0", "Interstitial", 48, 0, {"Li": 1}, -1501.10, {},
     {"spin degeneracy": 2, "orientational degeneracy": 2}),
    ("v_Li_-1", "Vacancy", 56, -1, {"Li": -1}, -1490.80, {"kumagai_charge_correction": 0.10},
     {"spin degeneracy": 1, "orientational degeneracy": 1}),
    ("v_Li_0", "Vacancy", 56, 0, {"Li": -1}, -1494.30, {}, {"spin degeneracy": 2, "orientational degeneracy": 1}),
    ("Al_Li_+2", "Substitution", 56, 2, {"Al": 1, "Li": -1}, -1506.60, {"kumagai_charge_correction": 0.45},
     {"spin degeneracy": 1, "orientational degeneracy": 1}),
]
LIMITS = {"LLZO-Li2O-La2O3": {"Li": -0.40, "La": -5.60, "Zr": -9.10, "O": -2.10, "Al": -4.30},
          "LLZO-La2Zr2O7-O2": {"Li": -2.60, "La": -6.80, "Zr": -10.2, "O": 0.0, "Al": -6.10}}


def doped_entry(row):
    name, cls, mult, q, dn, e_sc, corr, deg = row
    return {"@module": "doped.core", "@class": "DefectEntry", "name": name, "charge_state": q,
            "sc_entry": entry(e_sc, dn), "bulk_entry": entry(E_BULK, {}), "corrections": corr,
            "corrections_metadata": {}, "degeneracy_factors": deg, "defect": defect(cls, mult),
            "calculation_metadata": {}}


def doped_json():
    chempots = {"limits": {k: {el: v + REFS[el] for el, v in lim.items()} for k, lim in LIMITS.items()},
                "elemental_refs": REFS, "limits_wrt_el_refs": LIMITS}
    return {"@module": "doped.thermodynamics", "@class": "DefectThermodynamics",
            "defect_entries": {row[0]: doped_entry(row) for row in ROWS}, "chempots": chempots, "el_refs": REFS,
            "vbm": VBM, "band_gap": 5.9, "dist_tol": 1.5, "check_compatibility": True, "bulk_formula": "Li7La3Zr2O12",
            "bulk_dos": None, "skip_dos_check": False}


def doped_formation_energy(row, mu_rel, fermi_level):
    """doped's DefectEntry.formation_energy: ediff + Σ(−Δn)(μ_rel + ref) + q (vbm + E_F)."""
    _, _, _, q, dn, e_sc, corr, _ = row
    ediff = e_sc + sum(corr.values()) - E_BULK
    return ediff + sum(-n * (mu_rel.get(el, 0.0) + REFS[el]) for el, n in dn.items()) + q * (VBM + fermi_level)


def doped_concentration(row, mu_rel, fermi_level):
    """doped's DefectEntry.equilibrium_concentration (cm^-3): multiplicity g exp(−E_f/kT) / V."""
    g = math.prod(row[7].values())
    return row[2] * g * math.exp(-doped_formation_energy(row, mu_rel, fermi_level) / KT) / (VOL * 1e-24)


def expected_two_defect():
    li_i, v_li = ROWS[0], ROWS[2]
    ni, nv = 48e24 / VOL, 56e24 / VOL
    ai = doped_formation_energy(li_i, {}, 0.0) - KT * math.log(2.0)
    av = doped_formation_energy(v_li, {}, 0.0)
    delta = 0.5 * (av - ai) + 0.5 * KT * math.log(ni / nv)
    return math.sqrt(ni * nv), 0.5 * (ai + av), PHI_LI - IP + delta


# ------------------------------------------------------------------------------------------- doped
@pytest.mark.parametrize("compress", [False, True])
def test_doped_json_gives_the_formation_energies_and_concentrations(tmp_path, compress):
    path = tmp_path / ("llzo_thermo.json.gz" if compress else "llzo_thermo.json")
    text = json.dumps(doped_json())
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    model = read_doped_json(path, ionization_potential_eV=IP)
    s = model.system
    assert model.format == "doped" and model.band_gap_eV == 5.9 and s.band_gap_eV == 5.9
    assert set(s.names) == {"Li_i_C1", "v_Li", "Al_Li"}
    assert dict(s.species_by_name("Al_Li").stoichiometry) == {"Al": 1, "Li": -1}
    assert model.limit == "LLZO-Li2O-La2O3" and dict(s.mu_eV) == LIMITS["LLZO-Li2O-La2O3"]
    for row in ROWS:
        base = row[0].rsplit("_", 1)[0]
        for ef in (0.0, 2.3):
            mu = LIMITS["LLZO-La2Zr2O7-O2"]
            got = float(s.formation_energy(base, row[3], ef, mu))
            assert got == pytest.approx(doped_formation_energy(row, mu, ef), abs=1e-10)
    # concentrations at a state of the solved system = doped's equilibrium concentrations at that E_F
    sol = s.solve(mu_eV=LIMITS["LLZO-La2Zr2O7-O2"])
    for row in ROWS:
        base = row[0].rsplit("_", 1)[0]
        ref = doped_concentration(row, LIMITS["LLZO-La2Zr2O7-O2"], sol.fermi_level_eV)
        assert sol.concentrations_cm3[base][row[3]] == pytest.approx(ref, rel=1e-9)


def test_doped_json_gives_the_expected_two_defect_parameters(tmp_path):
    path = tmp_path / "thermo.json"
    path.write_text(json.dumps(doped_json()), encoding="utf-8")
    model = read_doped_json(path, ionization_potential_eV=IP)
    p = model.two_defect_parameters(PHI_LI, interstitial="Li_i_C1", vacancy="v_Li")
    N, ef0, phi0 = expected_two_defect()
    assert p.site_density_cm3 == pytest.approx(N, rel=1e-12)
    assert p.defect_energy_eV == pytest.approx(ef0, abs=1e-10)
    assert p.phi0_li_V == pytest.approx(phi0, abs=1e-10)
    assert not p.symmetric
    # the defect model's own bulk in a Frenkel-dominated window reproduces that φ0^Li (Al_Li held out)
    frenkel = two_defect_parameters(model.system, IP, PHI_LI, interstitial="Li_i_C1", vacancy="v_Li")
    assert frenkel.phi0_li_V == p.phi0_li_V


def test_doped_limits_and_overrides():
    data = doped_json()
    m = read_doped_json(data, limit="Li-poor")
    assert m.limit == "LLZO-La2Zr2O7-O2" and m.source == "<mapping>"
    assert read_doped_json(data, limit="Li-rich").limit == "LLZO-Li2O-La2O3"
    assert read_doped_json(data, limit="LLZO-La2Zr2O7-O2").system.mu_eV["O"] == 0.0
    with pytest.raises(InputError, match="unknown chemical-potential limit"):
        read_doped_json(data, limit="Cu-rich")
    shifted = read_doped_json(data, el_refs={**REFS, "Li": REFS["Li"] + 0.1}, band_gap_eV=6.5)
    assert shifted.band_gap_eV == 6.5
    e_a = read_doped_json(data).system.formation_energy("v_Li", -1, 0.0, {})
    e_b = shifted.system.formation_energy("v_Li", -1, 0.0, {})
    assert float(e_b - e_a) == pytest.approx(0.1, abs=1e-12)  # one Li removed: −Δn·Δref


def test_doped_list_layout_duplicates_and_suffixes():
    data = doped_json()
    entries = [doped_entry(r) for r in ROWS]
    metastable = doped_entry(ROWS[2])
    metastable["sc_entry"]["energy"] += 0.3  # a metastable v_Li_-1: the lower one is kept
    other_site = doped_entry(("Li_i_C1_+1_b", "Interstitial", 24, 1, {"Li": 1}, -1506.0, {}, {}))
    data["defect_entries"] = [*entries, metastable, other_site]
    m = read_doped_json(data)
    assert "Li_i_C1_b" in m.system.names
    assert any("ground state" in n for n in m.notes)
    ref = read_doped_json(doped_json()).system.formation_energy("v_Li", -1, 0.0, {})
    assert float(m.system.formation_energy("v_Li", -1, 0.0, {})) == pytest.approx(float(ref), abs=1e-12)


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.pop("defect_entries"), "not a doped DefectThermodynamics"),
    (lambda d: (d.pop("el_refs"), d["chempots"].pop("elemental_refs")), "no elemental reference energy"),
    (lambda d: d["defect_entries"]["v_Li_0"]["defect"].pop("multiplicity"), "multiplicity"),
    (lambda d: d["defect_entries"]["v_Li_0"]["sc_entry"]["composition"].update(Li=55.5), "non-integer"),
    (lambda d: d.pop("vbm"), "vbm"),
])
def test_doped_errors(mutate, match):
    data = doped_json()
    mutate(data)
    with pytest.raises(InputError, match=match):
        read_doped_json(data)


def test_reader_errors_on_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_doped_json(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        read_doped_json(bad)


# ---------------------------------------------------------------------- pymatgen-analysis-defects
def pmg_fed(rows, pd_extra=()):
    pd = [{"@class": "ComputedEntry", "energy": 2 * REFS["Li"], "correction": 0.0, "composition": {"Li": 2.0}},
          {"@class": "ComputedEntry", "energy": -1.5, "correction": 0.0, "composition": {"Li": 1.0}},
          {"@class": "ComputedEntry", "energy": 2 * REFS["O"], "correction": 0.0, "composition": {"O": 2.0}},
          {"@class": "ComputedEntry", "energy": -40.0, "correction": 0.0, "composition": {"Li": 2.0, "O": 1.0}},
          *pd_extra]
    des = []
    for _name, cls, mult, q, dn, e_sc, corr, _ in rows:
        des.append({"@module": "pymatgen.analysis.defects.thermo", "@class": "DefectEntry", "charge_state": q,
                    "sc_entry": entry(e_sc, dn), "corrections": {"freysoldt": sum(corr.values())},
                    "defect": defect(cls, mult), "bulk_entry": None})
    return {"@module": "pymatgen.analysis.defects.thermo", "@class": "FormationEnergyDiagram",
            "defect_entries": des, "pd_entries": pd, "vbm": VBM, "band_gap": 5.9, "bulk_entry": entry(E_BULK, {}),
            "inc_inf_values": False}


def test_pmg_formation_energy_diagrams_give_the_expected_two_defect_parameters(tmp_path):
    multi = {"@class": "MultiFormationEnergyDiagram",
             "formation_energy_diagrams": [pmg_fed(ROWS[0:2]), pmg_fed(ROWS[2:4])]}
    path = tmp_path / "fed.json"
    path.write_text(json.dumps(multi), encoding="utf-8")
    m = read_pmg_defects_json(path, ionization_potential_eV=IP)
    assert m.format == "pymatgen-analysis-defects"
    assert m.elemental_references_eV["Li"] == pytest.approx(REFS["Li"])  # the lowest Li entry per atom
    assert set(m.system.names) == {"Li_i", "v_Li"}
    # pymatgen: ediff − Σ(μ_ref + μ)Δn + vbm q, no degeneracies
    for row in ROWS[:4]:
        name = "Li_i" if row[4]["Li"] > 0 else "v_Li"
        assert float(m.system.formation_energy(name, row[3], 0.0, {})) == pytest.approx(
            doped_formation_energy(row, {}, 0.0), abs=1e-10)
    p = m.two_defect_parameters(PHI_LI)
    ni, nv = 48e24 / VOL, 56e24 / VOL
    ai, av = doped_formation_energy(ROWS[0], {}, 0.0), doped_formation_energy(ROWS[2], {}, 0.0)
    assert p.site_density_cm3 == pytest.approx(math.sqrt(ni * nv), rel=1e-12)
    assert p.defect_energy_eV == pytest.approx(0.5 * (ai + av), abs=1e-10)
    assert p.phi0_li_V == pytest.approx(PHI_LI - IP + 0.5 * (av - ai) + 0.5 * KT * math.log(ni / nv), abs=1e-10)


def test_pmg_single_diagram_and_list():
    one = read_pmg_defects_json(pmg_fed(ROWS[2:4]), mu_eV={"Li": -1.0})
    assert one.system.names == ("v_Li",) and one.system.mu_eV["Li"] == -1.0
    two = read_pmg_defects_json([pmg_fed(ROWS[2:4]), pmg_fed(ROWS[2:4])])
    assert two.system.names == ("v_Li", "v_Li_2")
    with pytest.raises(InputError, match="not FormationEnergyDiagram"):
        read_pmg_defects_json({"foo": 1})
    no_al_ref = pmg_fed(ROWS[4:5])
    with pytest.raises(InputError, match="Al"):
        read_pmg_defects_json(no_al_ref)
    assert read_pmg_defects_json(no_al_ref, el_refs={"Al": REFS["Al"]}).system.names == ("Al_Li",)


# ---------------------------------------------------------------------------------- PFD_solution
LLZO_PFD = """\
phi0    : 1.6216363422810787  # Charge-neutrality potential (V)
NSites  : 3.27455e+22         # Defect site density (cm^-3)
Ef0     : 0.0143907397384     # Formation energy at charge neutrality (eV)
epsilon : 50                  # Dielectric constant
alpha   : 0.1                 # Saturation parameter
T       : 300                 # Temperature (Kelvin)

phi_target : 1.24              # Target phi for LiPON interlayer (V)
"""


def test_pfd_solution_yaml_gives_the_layer_and_its_frenkel_model(tmp_path):
    path = tmp_path / "LLZO.yaml"
    path.write_text(LLZO_PFD, encoding="utf-8")
    m = read_pfd_solution_yaml(path)
    assert m.system is None and m.format == "PFD_solution"
    lay = m.two_defect_parameters()
    assert (lay.site_density_cm3, lay.defect_energy_eV, lay.phi0_li_V) == (3.27455e22, 0.0143907397384,
                                                                            1.6216363422810787)
    assert lay.permittivity == 50 and lay.alpha == 0.1 and lay.temperature_K == 300
    assert lay.extra == {"phi_target_V": 1.24}
    full = read_pfd_solution_yaml(path, ionization_potential_eV=IP, phi_li_eV=PHI_LI, band_gap_eV=6.0)
    p = two_defect_parameters(full.system, IP, PHI_LI)
    assert p.site_density_cm3 == pytest.approx(3.27455e22, rel=1e-14)
    assert p.defect_energy_eV == pytest.approx(0.0143907397384, abs=1e-14)
    assert p.phi0_li_V == pytest.approx(1.6216363422810787, abs=1e-13)
    b = electrolyte_bulk(full.system, np.linspace(-3, 0, 13), IP, phi_li_eV=PHI_LI)
    assert np.max(np.abs(b.phi0_li_V - 1.6216363422810787)) < 1e-9


@pytest.mark.parametrize("text, match", [
    ("phi0: 1.0\nNSites: 1e22\n", "Ef0"),
    ("phi0: 1.0\nNSites: 1e22\nEf0: 0.5\nfoo: 1\n", "unknown key"),
    ("- 1\n- 2\n", "expected a mapping"),
    ("phi0: [\n", "not valid YAML"),
])
def test_pfd_solution_errors(tmp_path, text, match):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        read_pfd_solution_yaml(path)
