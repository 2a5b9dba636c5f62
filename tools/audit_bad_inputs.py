#!/usr/bin/env python3
"""Audit: feed ssbands bad inputs through every entry point and classify what it does with each.

Usage::

    PYTHONPATH=src python tools/audit_bad_inputs.py [--jobs 2] [--timeout 60] [--only SUBSTRING] [--json FILE]

Every case is a bad input: a command line, a Python call or an input file that no correct program
should answer. Each runs in its own process with a wall-clock timeout and a 4 GiB address-space limit,
and is classified as

* ``clear``  — refused: exit status 2 with one ``ssbands: error:`` line (or click's usage error), or an
  :class:`ssbands.errors.SSBandsError` in Python, whose message names what is wrong (one of the case's
  keywords);
* ``poor``   — refused, but with a traceback, another exception type, another exit status, or a message
  that does not name the problem;
* ``wrong``  — accepted: a result was produced for nonsense (a silent wrong answer);
* ``hang``   — it ran past the timeout or exhausted memory.

It prints a table (case, entry point, outcome, first line of the message) and the counts, and exits
with status 1 when any case is ``wrong`` or ``hang`` or more than 2 % are ``poor``. The cases are not
the examples of the issue that motivated the audit: each probes the same kinds of failure with other
inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EX = REPO / "examples"
FULLER = EX / "stacks" / "fuller2021.toml"
LI_LLZO = EX / "stacks" / "li_llzo_lco.toml"
TOY = EX / "defects" / "li_electrolyte_toy.yaml"
PYSCF = EX / "defects" / "li_electrolyte_toy_pyscfermi.yaml"
KPFM = EX / "kpfm" / "ramadanlab_passivated_Dark_CPD.npy"
MEMORY_LIMIT = 4 * 1024 ** 3


@dataclass
class Case:
    """One bad input: ``cli`` (arguments after ``ssbands``) or ``python`` (code) with keywords its refusal names."""

    name: str
    entry: str  # "cli" or "python"
    args: list = field(default_factory=list)
    code: str = ""
    needles: tuple = ()
    outcome: str = ""
    message: str = ""
    seconds: float = 0.0


# ------------------------------------------------------------------------------------------------
# fixture files

def _stack(head: str = "", layers: str | None = None, tail: str = "") -> str:
    text = FULLER.read_text(encoding="utf-8")
    body = text[text.index("[[layer]]"):] if layers is None else layers
    return head + "\n" + body + "\n" + tail


def _layer(material, role, thickness, extra=""):
    return f'[[layer]]\nmaterial = "{material}"\nrole = "{role}"\nthickness_nm = {thickness}\n{extra}\n'


def _cell(anode="LixSi", se="LiPON", cathode="LixCoO2", extra_a="", extra_c="", th_se=1000):
    return (_layer("Cu", "current-collector", 200) + _layer(anode, "anode", 50, extra_a)
            + _layer(se, "electrolyte", th_se) + _layer(cathode, "cathode", 500, extra_c)
            + _layer("Pt", "current-collector", 100))


STACKS = {
    "no_layers": "temperature_K = 300\n",
    "thickness_negative": _stack(layers=_cell(th_se=-5)),
    "thickness_zero": _stack(layers=_cell(th_se=0)),
    "thickness_text": _stack(layers=_cell().replace("thickness_nm = 1000", 'thickness_nm = "1 um"')),
    "thickness_bool": _stack(layers=_cell().replace("thickness_nm = 1000", "thickness_nm = true")),
    "li_fraction_above_1": _stack(layers=_cell(extra_c="li_fraction = 1.5")),
    "li_fraction_negative": _stack(layers=_cell(extra_a="li_fraction = -0.2")),
    "li_fraction_on_se": _stack(layers=_cell().replace('role = "electrolyte"\nthickness_nm = 1000',
                                                       'role = "electrolyte"\nthickness_nm = 1000\nli_fraction = 0.5')),
    "role_unknown": _stack(layers=_cell().replace('role = "electrolyte"', 'role = "separator"')),
    "material_unknown": _stack(layers=_cell(se="LiPONN")),
    "electrolyte_as_anode": _stack(layers=_cell(anode="LLZO")),
    "metal_as_cathode": _stack(layers=_cell(cathode="Au")),
    "two_electrolytes": _stack(layers=_cell() + _layer("LLZO", "electrolyte", 100)),
    "cathode_first": _stack(layers=_layer("LixCoO2", "cathode", 500) + _layer("LiPON", "electrolyte", 1000)
                            + _layer("LixSi", "anode", 50)),
    "interface_not_adjacent": _stack(tail='[[interface]]\nleft = "Cu"\nright = "LiPON"\ndipole_V = 0.1\n'),
    "interface_between_conductors": _stack(tail='[[interface]]\nleft = "Cu"\nright = "LixSi"\ndipole_V = 0.1\n'),
    "interface_unknown_key": _stack(tail='[[interface]]\nleft = "LixSi"\nright = "LiPON"\ndipol_V = 0.1\n'),
    "dipole_text": _stack(tail='[[interface]]\nleft = "LixSi"\nright = "LiPON"\ndipole_V = "large"\n'),
    "dipole_huge": _stack(tail='[[interface]]\nleft = "LiPON"\nright = "LixCoO2"\ndipole_V = 5000.0\n'),
    "temperature_negative": _stack("temperature_K = -5"),
    "temperature_text": _stack('temperature_K = "room"'),
    "ground_unknown": _stack('ground = "earth"'),
    "closure_unknown": _stack('closure = "maximum"'),
    "extrinsic_without_mu": _stack('closure = "extrinsic"'),
    "mu_se_far_below": _stack('closure = "extrinsic"\nmu_li_se_eV = -40.0'),
    "mu_se_text": _stack('closure = "extrinsic"\nmu_li_se_eV = "low"'),
    "tip_text": _stack('tip_work_function_eV = "Pt"'),
    "library_missing": _stack('library = "no_such_library.yaml"'),
    "not_toml": "this is [not toml\n",
    "layer_unknown_key": _stack(layers=_cell(extra_a="thicknes_nm = 3")),
    "duplicate_layer_names": _stack(layers=_cell() + _layer("Cu", "base", 100)),
    "branch_unknown": _stack(layers=_cell(extra_a='branch = "charging"')),
    "branch_on_li_metal": _stack(layers=_cell(anode="Li", extra_a='branch = "lithiation"')),
    "base_left_of_anode": _stack(layers=_layer("Si", "base", 300) + _cell()),
    "layer_not_a_table": 'layer = ["Cu", "LixSi"]\n',
    "defect_table_and_mu": _stack('closure = "extrinsic"\nmu_li_se_eV = -1.0\n'
                                  '[extrinsic_defects]\nfile = "toy.yaml"\nsynthesis_mu_li_eV = -1.5\n'),
    "li_fraction_on_li_metal": _stack(layers=_cell(anode="Li", extra_a="li_fraction = 0.5")),
    "interface_given_twice": _stack(tail='[[interface]]\nleft = "LixSi"\nright = "LiPON"\ndipole_V = 0.1\n'
                                         '[[interface]]\nleft = "LixSi"\nright = "LiPON"\ndipole_V = 0.3\n'),
    "layer_name_empty": _stack(layers=_cell(extra_a='name = ""')),
    "no_room_to_move_li": _stack(layers=_cell(extra_a="li_fraction = 0.0", extra_c="li_fraction = 0.4")),
    "defect_table_missing_file": _stack('closure = "extrinsic"\n[extrinsic_defects]\nfile = "none.yaml"\n'
                                        'synthesis_mu_li_eV = -1.5\n'),
    "defect_table_mu_above_li": _stack('closure = "extrinsic"\n[extrinsic_defects]\nfile = "toy.yaml"\n'
                                       'synthesis_mu_li_eV = 0.7\n'),
}

LIBRARIES = {
    "lib_kind_unknown": "materials:\n  X: {kind: superconductor}\n",
    "lib_wf_negative": "materials:\n  Cu: {work_function_eV: -4.6}\n",
    "lib_wf_in_meV": "materials:\n  Pt: {work_function_eV: 5650}\n",
    "lib_ocv_increasing": "materials:\n  E:\n    kind: electrode\n    ocv_V: {kind: table, x: [0, 1], values: [1, 3]}\n"
                          "    work_function_eV: 4.0\n    li_capacity_cm3: 1e22\n",
    "lib_poly_empty": "materials:\n  E:\n    kind: electrode\n"
                      "    ocv_V: {kind: polynomial, branches: {a: {coefficients: []}}}\n",
    "lib_range_reversed": "materials:\n  LixSi: {li_fraction_range: [0.8, 0.2]}\n",
    "lib_alpha_above_1": "materials:\n  LLZO: {alpha: 1.5}\n",
    "lib_top_list": "- materials\n- LiPON\n",
    "lib_bad_yaml": "materials:\n  LiPON: {permittivity: 15.0\n",
    "lib_window_reversed": "materials:\n  LLZO: {window_V: [2.9, 0.05]}\n",
    "lib_sites_per_m3": "materials:\n  LLZO: {site_density_cm3: 3.27e28}\n",
    "lib_unknown_field": "materials:\n  LLZO: {permitivity: 50}\n",
    "lib_param_unknown_key": "materials:\n  LLZO: {permittivity: {value: 50, sauce: me}}\n",
    "lib_capacity_zero": "materials:\n  LixSi: {li_capacity_cm3: 0}\n",
    "lib_gap_negative": "materials:\n  LLZO: {band_gap_eV: -1}\n",
    "lib_table_nan": "materials:\n  LixSi: {work_function_eV: {kind: table, x: [0, 1], values: [4.8, .nan]}}\n",
    "lib_references_list": "materials:\n  LLZO: {permittivity: 40}\nreferences: [a, b]\n",
    "lib_value_text": "materials:\n  LLZO: {permittivity: fifty}\n",
    "lib_ip_huge": "materials:\n  LLZO: {ionization_potential_eV: 600}\n",
}

_TOY = TOY.read_text(encoding="utf-8")
DEFECTS = {
    "def_not_mapping": "- bandgap\n- 6\n",
    "def_gap_negative": _TOY.replace("bandgap: 6.0", "bandgap: -6.0"),
    "def_charge_fraction": _TOY.replace("-1: {charge: -1, energy: 4.60", "-1: {charge: -1.5, energy: 4.60"),
    "def_degeneracy_zero": _TOY.replace("energy: 3.60, degeneracy: 2", "energy: 3.60, degeneracy: 0"),
    "def_duplicate_names": _TOY.replace("- name: Li_i", "- name: V_Li"),
    "def_repeated_charge": _TOY.replace("0:  {charge: 0,  energy: 3.60", "0:  {charge: -1,  energy: 3.60"),
    "def_no_volume_nsites": _TOY.replace("volume: 130.0", ""),
    "def_mu_not_mapping": _TOY.replace("  Li: -1.5              # eV vs bcc Li (inside a ~0-2.9 V stability window)",
                                       "  - Li"),
    "def_fixed_negative": _TOY.replace("fixed_concentration: 1.0e20", "fixed_concentration: -1.0e20"),
    "def_energy_text": _TOY.replace("energy: 1.75", "energy: low"),
    "def_unknown_species_key": _TOY.replace("    nsites: 4\n", "    nsites: 4\n    nsite: 4\n"),
    "def_mass_zero": _TOY.replace("electron_mass: 0.5", "electron_mass: 0"),
    "def_bands_unknown_model": _TOY.replace("model: parabolic", "model: kane"),
    "def_temperature_zero": _TOY.replace("temperature: 300", "temperature: 0"),
    "def_dos_file_missing": PYSCF.read_text(encoding="utf-8") + "dos_file: missing.dat\n",
    "def_temperature_huge": _TOY.replace("temperature: 300", "temperature: 1.0e7"),
    "def_volume_negative": _TOY.replace("volume: 130.0", "volume: -130.0"),
    "def_species_not_list": _TOY.split("defect_species:")[0] + "defect_species: {V_Li: 1}\n",
}


# ------------------------------------------------------------------------------------------------
# the cases

def _cli_cases(d: Path) -> list[Case]:
    s = {k: str(d / f"{k}.toml") for k in STACKS}
    lib = {k: str(d / f"{k}.yaml") for k in LIBRARIES}
    dfx = {k: str(d / f"{k}.yaml") for k in DEFECTS}
    F = str(FULLER)
    c = [
        # band: command line
        Case("band ocv text", "cli", ["band", F, "--ocv", "abc"], needles=("--ocv",)),
        Case("band ocv inf", "cli", ["band", F, "--ocv", "inf"], needles=("--ocv",)),
        Case("band ground option unknown", "cli", ["band", F, "--ocv", "3", "--ground", "middle"],
             needles=("--ground",)),
        Case("band closure option unknown", "cli", ["band", F, "--ocv", "3", "--closure", "max"],
             needles=("--closure",)),
        Case("band reference ocv far", "cli", ["band", F, "--ocv", "3", "--reference-ocv", "-40"],
             needles=("reference_ocv",)),
        Case("band stack missing", "cli", ["band", str(d / "nope.toml"), "--ocv", "3"], needles=("nope.toml",)),
        Case("band stack is a folder", "cli", ["band", str(d), "--ocv", "3"], needles=("directory", "folder", str(d))),
        Case("band plot to a folder that cannot exist", "cli", ["band", F, "--ocv", "3", "--plot", "/dev/null/x.png"],
             needles=("/dev/null",)),
        Case("band out unknown suffix", "cli", ["band", F, "--ocv", "3", "--out", str(d / "p.xlsx")],
             needles=(".xlsx", "suffix", ".nc")),
        Case("band library missing", "cli", ["band", F, "--ocv", "3", "--library", str(d / "nolib.yaml")],
             needles=("nolib.yaml",)),
        Case("band ocv above charged end", "cli", ["band", str(LI_LLZO), "--ocv", "4.45"], needles=("outside",)),
        Case("band mu-li-se far below", "cli", ["band", F, "--ocv", "3", "--closure", "extrinsic", "--mu-li-se", "-30"],
             needles=("mu_li_se",)),
    ]
    needles = {
        "no_layers": ("layer",), "thickness_negative": ("thickness",), "thickness_zero": ("thickness",),
        "thickness_text": ("thickness",), "thickness_bool": ("thickness",), "li_fraction_above_1": ("li_fraction",),
        "li_fraction_negative": ("li_fraction",), "li_fraction_on_se": ("li_fraction",), "role_unknown": ("role",),
        "material_unknown": ("LiPONN",), "electrolyte_as_anode": ("LLZO", "anode"), "metal_as_cathode": ("Au",),
        "two_electrolytes": ("electrolyte",), "cathode_first": ("order", "anode"),
        "interface_not_adjacent": ("adjacent",), "interface_between_conductors": ("dipole",),
        "interface_unknown_key": ("dipol_V", "interface"), "dipole_text": ("dipole_V",),
        "dipole_huge": ("dipole_V",), "temperature_negative": ("temperature",),
        "temperature_text": ("temperature",), "ground_unknown": ("ground",), "closure_unknown": ("closure",),
        "extrinsic_without_mu": ("mu_li_se",), "mu_se_far_below": ("mu_li_se",), "mu_se_text": ("mu_li_se",),
        "tip_text": ("tip_work_function",), "library_missing": ("no_such_library",), "not_toml": ("TOML",),
        "layer_unknown_key": ("thicknes_nm",), "duplicate_layer_names": ("repeat", "name"),
        "branch_unknown": ("branch",), "branch_on_li_metal": ("branch",), "base_left_of_anode": ("base", "left"),
        "layer_not_a_table": ("layer",), "defect_table_and_mu": ("mu_li_se_eV", "extrinsic_defects"),
        "li_fraction_on_li_metal": ("li_fraction",), "interface_given_twice": ("interface", "twice", "LixSi"),
        "layer_name_empty": ("name",), "no_room_to_move_li": ("room", "li_fraction", "Li contents"),
        "defect_table_missing_file": ("none.yaml",), "defect_table_mu_above_li": ("mu", "above"),
    }
    c += [Case(f"stack file: {k}", "cli", ["band", s[k], "--ocv", "3"], needles=needles[k]) for k in STACKS]
    lib_needles = {
        "lib_kind_unknown": ("kind",), "lib_wf_negative": ("work_function",), "lib_wf_in_meV": ("work_function",),
        "lib_ocv_increasing": ("increase", "ocv"), "lib_poly_empty": ("coefficients",),
        "lib_range_reversed": ("li_fraction_range", "low < high"), "lib_alpha_above_1": ("alpha",),
        "lib_top_list": ("materials",), "lib_bad_yaml": ("YAML",), "lib_window_reversed": ("window_V", "low < high"),
        "lib_sites_per_m3": ("site_density",), "lib_unknown_field": ("permitivity",),
        "lib_param_unknown_key": ("sauce",), "lib_capacity_zero": ("li_capacity",), "lib_gap_negative": ("band_gap",),
        "lib_table_nan": ("finite", "work_function"), "lib_references_list": ("references",),
        "lib_value_text": ("permittivity",), "lib_ip_huge": ("ionization_potential",),
    }
    c += [Case(f"library file: {k}", "cli", ["materials", "list", "--library", lib[k]], needles=lib_needles[k])
          for k in LIBRARIES]
    def_needles = {
        "def_not_mapping": ("mapping",), "def_gap_negative": ("bandgap",), "def_charge_fraction": ("charge",),
        "def_degeneracy_zero": ("degeneracy",), "def_duplicate_names": ("V_Li", "unique"),
        "def_repeated_charge": ("charge",), "def_no_volume_nsites": ("volume",),
        "def_mu_not_mapping": ("chemical_potentials",), "def_fixed_negative": ("fixed_concentration",),
        "def_energy_text": ("energy",), "def_unknown_species_key": ("nsite",), "def_mass_zero": ("electron_mass",),
        "def_bands_unknown_model": ("bands", "parabolic"), "def_temperature_zero": ("temperature",),
        "def_dos_file_missing": ("missing.dat",), "def_temperature_huge": ("temperature",),
        "def_volume_negative": ("volume",), "def_species_not_list": ("defect_species",),
    }
    c += [Case(f"defect file: {k}", "cli", ["fermi", dfx[k]], needles=def_needles[k]) for k in DEFECTS]
    T = str(TOY)
    c += [
        # fermi: command line
        Case("fermi mu without value", "cli", ["fermi", T, "--mu", "Li="], needles=("--mu",)),
        Case("fermi mu two equals", "cli", ["fermi", T, "--mu", "Li=-1=2"], needles=("--mu",)),
        Case("fermi mu with a space", "cli", ["fermi", T, "--mu", "L i=-1"], needles=("element",)),
        Case("fermi temperature text", "cli", ["fermi", T, "--temperature", "warm"], needles=("--temperature",)),
        Case("fermi temperature nan", "cli", ["fermi", T, "--temperature", "nan"], needles=("--temperature",)),
        Case("fermi dos file missing", "cli", ["fermi", str(PYSCF), "--dos-file", str(d / "none.dat")],
             needles=("none.dat",)),
        Case("fermi dos file garbage", "cli", ["fermi", str(d / "nodos.yaml"), "--dos-file", str(d / "garbage.dat")],
             needles=("garbage.dat",)),
        Case("fermi mu for the host element", "cli", ["fermi", T, "--mu", "Zr=-2"], needles=("Zr",)),
        # scl
        Case("scl alpha zero", "cli", ["scl", "--electrolyte", "LLZO", "--phi0", "1", "--alpha", "0"],
             needles=("alpha",)),
        Case("scl alpha above 1", "cli", ["scl", "--electrolyte", "LLZO", "--phi0", "1", "--alpha", "3"],
             needles=("alpha",)),
        Case("scl sites negative", "cli", ["scl", "--phi0", "1", "--sites", "-1e22", "--ef0", "0.1", "--eps", "10"],
             needles=("site_density",)),
        Case("scl eps zero", "cli", ["scl", "--phi0", "1", "--sites", "1e22", "--ef0", "0.1", "--eps", "0"],
             needles=("permittivity",)),
        Case("scl temperature zero", "cli", ["scl", "--phi0", "1", "--sites", "1e22", "--ef0", "0.1", "--eps", "10",
                                             "--temperature", "0"], needles=("temperature",)),
        Case("scl electrolyte is a metal", "cli", ["scl", "--electrolyte", "Cu", "--phi0", "1"], needles=("Cu",)),
        Case("scl electrode is an electrolyte", "cli", ["scl", "--electrolyte", "LLZO", "--electrode", "LiPON"],
             needles=("LiPON",)),
        Case("scl LixSi without Li fraction", "cli", ["scl", "--electrolyte", "LLZO", "--electrode", "LixSi"],
             needles=("LixSi",)),
        Case("scl li fraction beyond range", "cli", ["scl", "--electrolyte", "LLZO", "--electrode", "LixCoO2",
                                                     "--li-fraction", "0.2"], needles=("outside",)),
        Case("scl metal above 6 V", "cli", ["scl", "--electrolyte", "LLZO", "--electrode", "Pt", "--potential", "9"],
             needles=("potential",)),
        Case("scl cathode below 0 V", "cli", ["scl", "--electrolyte", "LLZO", "--electrode", "LixCoO2",
                                              "--potential", "-0.3"], needles=("below 0 V",)),
        Case("scl conductivity zero", "cli", ["scl", "--phi0", "1", "--sites", "1e22", "--ef0", "0.1", "--eps", "10",
                                              "--conductivity", "0"], needles=("conductivity",)),
        Case("scl phi0 missing parameters", "cli", ["scl", "--phi0", "1"], needles=("--sites",)),
        Case("scl electrode without electrolyte", "cli", ["scl", "--electrode", "Li", "--phi0", "1"],
             needles=("--electrolyte", "--phi0")),
        Case("scl defect energy huge negative", "cli", ["scl", "--phi0", "1", "--sites", "1e22", "--ef0", "-80",
                                                        "--eps", "10"], needles=("defect_energy",)),
        # materials, demo
        Case("materials show unknown", "cli", ["materials", "show", "Unobtainium"], needles=("Unobtainium",)),
        Case("demo format unknown", "cli", ["demo", "--out", str(d / "demo"), "--format", "bmp"],
             needles=("--format",)),
        Case("demo out is a file", "cli", ["demo", "--out", str(FULLER)], needles=("fuller2021.toml", "exists")),
        Case("demo library bad", "cli", ["demo", "--out", str(d / "demo2"), "--library", lib["lib_alpha_above_1"]],
             needles=("alpha",)),
        # screen
        Case("screen anode unknown", "cli", ["screen", "--anodes", "Nope", "--out", str(d / "sc1"), "--quiet"],
             needles=("Nope",)),
        Case("screen objective unknown", "cli", ["screen", "--objective", "speed", "--out", str(d / "sc2"), "--quiet"],
             needles=("speed",)),
        Case("screen pareto one column", "cli", ["screen", "--pareto", "R_total_ohm_cm2", "--out", str(d / "sc3"),
                                                 "--quiet"], needles=("Pareto",)),
        Case("screen pareto unknown column", "cli", ["screen", "--pareto", "R_total_ohm_cm2,price",
                                                     "--out", str(d / "sc3b"), "--quiet"], needles=("price",)),
        Case("screen states zero", "cli", ["screen", "--states", "0", "--out", str(d / "sc4")], needles=("--states",)),
        Case("screen chunk zero", "cli", ["screen", "--chunk-size", "0", "--out", str(d / "sc5")],
             needles=("--chunk-size",)),
        Case("screen mc without spread", "cli", ["screen", "--electrolytes", "LLZO", "--mc", "10", "--out",
                                                 str(d / "sc6"), "--quiet"], needles=("--spread",)),
        Case("screen spread unknown field", "cli", ["screen", "--electrolytes", "LLZO", "--mc", "10", "--spread",
                                                    "banana=0.1", "--out", str(d / "sc7"), "--quiet"],
             needles=("banana",)),
        Case("screen closure unknown", "cli", ["screen", "--closure", "optimistic", "--out", str(d / "sc8"),
                                               "--quiet"], needles=("optimistic",)),
        Case("screen temperature absurd", "cli", ["screen", "--electrolytes", "LLZO", "--temperature", "20000",
                                                  "--out", str(d / "sc9"), "--quiet"], needles=("temperature",)),
        Case("screen jobs negative", "cli", ["screen", "--electrolytes", "LLZO", "--jobs", "-3", "--out",
                                             str(d / "sc10"), "--quiet"], needles=("--jobs",)),
        Case("screen out is a file", "cli", ["screen", "--electrolytes", "LLZO", "--out", str(FULLER), "--quiet"],
             needles=("fuller2021.toml",)),
        Case("screen electrolyte listed as cathode", "cli", ["screen", "--cathodes", "LLZO", "--out", str(d / "sc11"),
                                                             "--quiet"], needles=("LLZO",)),
        Case("screen empty list", "cli", ["screen", "--anodes", ",", "--out", str(d / "sc12"), "--quiet"],
             needles=("at least one",)),
        # library synth
        Case("synth unknown fraction 2", "cli", ["library", "synth", "--n-electrodes", "2", "--n-electrolytes", "2",
                                                 "--unknown-fraction", "2", "--out", str(d / "syn1.yaml")],
             needles=("unknown_fraction",)),
        Case("synth negative count", "cli", ["library", "synth", "--n-electrodes", "-1", "--n-electrolytes", "2",
                                             "--out", str(d / "syn2.yaml")], needles=("--n-electrodes",)),
        Case("synth out is a folder", "cli", ["library", "synth", "--n-electrodes", "2", "--n-electrolytes", "2",
                                              "--out", str(d)], needles=("directory", "folder", str(d))),
        # kpfm (entry points of the data commands)
        Case("kpfm info missing file", "cli", ["kpfm", "info", str(d / "scan.gwy")], needles=("scan.gwy",)),
        Case("kpfm info garbage", "cli", ["kpfm", "info", str(d / "garbage.dat")], needles=("garbage.dat",)),
        Case("kpfm profile rows reversed", "cli", ["kpfm", "profile", str(KPFM), "--pixel-size-nm", "20",
                                                   "--rows", "90:10"], needles=("--rows", "rows")),
        Case("kpfm profile pixel size negative", "cli", ["kpfm", "profile", str(KPFM), "--pixel-size-nm", "-20"],
             needles=("--pixel-size-nm", "pixel")),
        Case("kpfm profile base malformed", "cli", ["kpfm", "profile", str(KPFM), "--pixel-size-nm", "20",
                                                    "--base", "somewhere"], needles=("--base", "base")),
        Case("kpfm profile channel unknown", "cli", ["kpfm", "profile", str(KPFM), "--pixel-size-nm", "20",
                                                     "--channel", "Height"], needles=("Height",)),
        Case("kpfm profile format wrong", "cli", ["kpfm", "info", str(KPFM), "--format", "gwy"],
             needles=("gwy", "Gwyddion")),
        Case("kpfm series missing manifest", "cli", ["kpfm", "series", str(d / "series.yaml")],
             needles=("series.yaml",)),
        Case("kpfm fit stack missing", "cli", ["kpfm", "fit", str(d / "series.yaml"), "--stack", str(d / "s.toml")],
             needles=("series.yaml", "s.toml")),
        # a second round, written after the first round was fixed
        Case("band ocv below the lowest reachable", "cli", ["band", str(LI_LLZO), "--ocv", "2.0"],
             needles=("outside",)),
        Case("screen spread nan", "cli", ["screen", "--electrolytes", "LLZO", "--mc", "5", "--spread",
                                          "work_function_eV=nan", "--out", str(d / "sc13"), "--quiet"],
             needles=("--spread", "width")),
        Case("screen mc seed negative", "cli", ["screen", "--electrolytes", "LLZO", "--mc", "5", "--mc-seed", "-4",
                                                "--spread", "work_function_eV=0.1", "--out", str(d / "sc14"),
                                                "--quiet"],
             needles=("--mc-seed", "seed")),
        Case("screen workers zero", "cli", ["screen", "--electrolytes", "LLZO", "--workers", "0", "--out",
                                            str(d / "sc15"), "--quiet"], needles=("--workers",)),
        Case("synth seed negative", "cli", ["library", "synth", "--n-electrodes", "2", "--n-electrolytes", "2",
                                            "--seed", "-5", "--out", str(d / "syn3.yaml")], needles=("--seed", "seed")),
        Case("materials show empty name", "cli", ["materials", "show", ""], needles=("material",)),
        Case("kpfm profile along z", "cli", ["kpfm", "profile", str(KPFM), "--along", "z"], needles=("--along",)),
        Case("kpfm profile mask missing", "cli", ["kpfm", "profile", str(KPFM), "--pixel-size-nm", "20", "--mask",
                                                  str(d / "mask.npy")], needles=("mask.npy",)),
        Case("kpfm profile mask wrong shape", "cli", ["kpfm", "profile", str(KPFM), "--pixel-size-nm", "20", "--mask",
                                                      str(d / "small_mask.npy")], needles=("mask", "shape")),
        Case("kpfm spectroscopy on a map", "cli", ["kpfm", "spectroscopy", str(KPFM)],
             needles=("grid", "spectroscopy", "3ds")),
        Case("kpfm fit params empty", "cli", ["kpfm", "fit", str(d / "series.yaml"), "--stack", str(FULLER),
                                              "--params", ""], needles=("series.yaml", "params")),
        Case("scl target text", "cli", ["scl", "--electrolyte", "LLZO", "--electrode", "Li", "--target", "half"],
             needles=("--target",)),
        Case("scl li fraction at the singular end", "cli", ["scl", "--electrolyte", "LLZO", "--electrode", "LixSi",
                                                            "--li-fraction", "0"], needles=("LixSi",)),
    ]
    return c


def _py(name, code, needles):
    return Case(name, "python", code=textwrap.dedent(code), needles=needles)


def _python_cases(d: Path) -> list[Case]:
    pre = "import numpy as np\nfrom ssbands.cell import *\nst = fuller2021_stack()\n"
    return [
        _py("solve ocv with nan", pre + "solve(st, [3.0, float('nan')])", ("finite",)),
        _py("solve ocv empty", pre + "solve(st, [])", ("OCV", "empty", "ocv")),
        _py("solve ocv 2-D", pre + "solve(st, [[3.0, 3.5]])", ("OCV", "1-D", "ocv")),
        _py("solve reference text", pre + "solve(st, 3.0, reference_ocv='zero')", ("reference_ocv",)),
        _py("electrode_state fractions mismatched",
            pre + "electrode_state(st, li_fractions=([0.1, 0.2], [0.9, 0.8, 0.7]))",
            ("li_fractions", "shape", "length")),
        _py("summary of many states", pre + "summary(solve(st, [1.0, 2.0]))", ("single-state",)),
        _py("stack ground unknown", pre + "fuller2021_stack(ground='middle')", ("ground",)),
        _py("stack with_conditions closure unknown", pre + "st.with_conditions(closure='other')", ("closure",)),
        _py("stack layer tuple empty", "from ssbands.cell import Stack\nStack(layers=())", ("anode",)),
        _py("stack from_dict not mapping", "from ssbands.cell import Stack\nStack.from_dict([1, 2])", ("table",)),
        _py("first_integral negative sites",
            "from ssbands.scl import first_integral\nfirst_integral(1.0, -1e22, 0.1, 10)",
            ("site_density",)),
        _py("first_integral shapes clash", "from ssbands.scl import first_integral\n"
            "first_integral([1.0, 2.0], [1e22, 2e22, 3e22], 0.1, 10)", ("broadcast", "shape")),
        _py("phi0_from_library unknown electrode", "from ssbands.materials import load_library\n"
            "from ssbands.scl import phi0_from_library\nphi0_from_library(load_library(), 'LLZO', 'Nope')", ("Nope",)),
        _py("depth target text", "from ssbands.scl import depth_to_target_nm\n"
            "depth_to_target_nm(1.0, 'half', 1e22, 0.1, 10)", ("target",)),
        _py("defect scan without values", "from ssbands.defects import DefectSystem\n"
            f"DefectSystem.from_yaml({str(TOY)!r}).scan('Li')", ("values",)),
        _py("defect solve temperature list", "from ssbands.defects import DefectSystem\n"
            f"DefectSystem.from_yaml({str(TOY)!r}).solve(temperature_K=[300, 400])", ("scalar",)),
        _py("defect species no charge states", "from ssbands.defects import DefectSpecies\nDefectSpecies('X', ())",
            ("charge_states",)),
        _py("defect species name empty", "from ssbands.defects import DefectSpecies, ChargeState\n"
            "DefectSpecies('', (ChargeState(1, 0.0),), site_density_cm3=1e22)", ("name",)),
        _py("tabulated DOS decreasing energies", "import numpy as np\nfrom ssbands.defects import TabulatedDOS\n"
            "TabulatedDOS(np.linspace(5, -1, 50), np.ones(50), 2.0)", ("edos", "increasing")),
        _py("tabulated DOS negative", "import numpy as np\nfrom ssbands.defects import TabulatedDOS\n"
            "TabulatedDOS(np.linspace(-1, 5, 50), -np.ones(50), 2.0)", ("negative",)),
        _py("load_library of a number", "from ssbands.materials import load_library\nload_library(123)",
            ("library", "path")),
        _py("material field of another kind", "from ssbands.materials import load_library\n"
            "load_library()['Cu'].get('band_gap_eV')", ("band_gap_eV",)),
        _py("objective trailing plus",
            "from ssbands.screening.cells import Objective\nObjective.parse('max-abs-phi0+')",
            ("constraint", "objective")),
        _py("screen zero states", "from ssbands.screening import screen\n"
            f"screen(None, {str(d / 'py_sc')!r}, electrolytes=['LLZO'], n_states=0, jobs=1, figures=False)",
            ("states",)),
        _py("synth count float", "from ssbands.screening.synth import write_synthetic_library\n"
            f"write_synthetic_library({str(d / 'py_syn.yaml')!r}, 2.5, 1)", ("n_electrodes",)),
        _py("interface reference state text", "from ssbands.interface import reference_state\n"
            "reference_state((0.0, 4.0), 'middle')", ("reference_ocv",)),
        _py("kpfm read missing", "from ssbands.kpfm.io import read\n"
            f"read({str(d / 'nothing.sxm')!r})", ("nothing.sxm",)),
        # a second round, written after the first round was fixed
        _py("first_integral negative temperature", "from ssbands.scl import first_integral\n"
            "first_integral(1.0, 1e22, 0.1, 10, 0.1, -300)", ("temperature",)),
        _py("load_library list with a number", "from ssbands.materials import load_library\n"
            "load_library(['x.yaml', 5])", ("library",)),
        _py("work function beyond its table", "from ssbands.materials import load_library\n"
            "from ssbands.thermo import work_function\nwork_function(load_library()['LixSi'], 1.5)",
            ("Li fraction", "table")),
        _py("defect mu text", "from ssbands.defects import DefectSystem\n"
            f"DefectSystem.from_yaml({str(TOY)!r}).solve(mu_eV={{'Li': 'low'}})", ("Li", "chemical potential")),
        _py("defect species nsites and density", "from ssbands.defects import DefectSpecies, ChargeState\n"
            "DefectSpecies('X', (ChargeState(1, 0.0),), nsites=1, site_density_cm3=1e22)", ("nsites",)),
        _py("DOS gap beyond its range", "import numpy as np\nfrom ssbands.defects import TabulatedDOS\n"
            "TabulatedDOS(np.linspace(-1, 2, 40), np.ones(40), 5.0)", ("bandgap",)),
        _py("parabolic bands negative gap", "from ssbands.defects import ParabolicBands\nParabolicBands(-1.0)",
            ("bandgap",)),
        _py("defect system from dict gap text", "from ssbands.defects import DefectSystem\n"
            "DefectSystem.from_dict({'bandgap': 'six', 'bands': {'model': 'parabolic'}})", ("bandgap",)),
        _py("solve with a grid of text", pre + "solve(st, 3.0, grid=('a', 'b'))", ("grid",)),
        _py("electrode_states soc outside", "from ssbands.materials import load_library\n"
            "from ssbands.screening import electrode_states\n"
            "electrode_states(load_library()['LixCoO2'], 'cathode', soc=[0.5, 1.5])", ("states of charge", "soc")),
    ]


# ------------------------------------------------------------------------------------------------
# running and classifying

_RUNNER = r"""
import json, sys, warnings
code = sys.stdin.read()
try:
    from ssbands.errors import SSBandsError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "<case>", "exec"), {})
    print(json.dumps({"outcome": "ok"}))
except SSBandsError as e:
    print(json.dumps({"outcome": "refused", "type": type(e).__name__, "msg": str(e)}))
except MemoryError as e:
    print(json.dumps({"outcome": "memory", "type": "MemoryError", "msg": str(e)}))
except Exception as e:
    print(json.dumps({"outcome": "other", "type": type(e).__name__, "msg": str(e)}))
"""


def _limit_memory():  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _named(message: str, needles) -> bool:
    low = message.lower()
    return not needles or any(n.lower() in low for n in needles)


def run_case(case: Case, cwd: Path, timeout: float, env: dict) -> Case:
    """Run one case in a child process and set its outcome and message."""
    t0 = time.perf_counter()
    if case.entry == "cli":
        cmd, stdin = [sys.executable, "-m", "ssbands.cli", *case.args], None
    else:
        cmd, stdin = [sys.executable, "-c", _RUNNER], case.code
    try:
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env,
                           preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        case.outcome, case.message, case.seconds = "hang", f"no answer within {timeout:g} s", timeout
        return case
    case.seconds = time.perf_counter() - t0
    err = p.stderr.strip()
    if case.entry == "python":
        try:
            r = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            case.outcome, case.message = ("hang" if "MemoryError" in err else "poor"), (err.splitlines() or ["?"])[-1]
            return case
        msg = r.get("msg", "")
        case.message = f"{r.get('type', '')}: {msg}" if r["outcome"] != "ok" else "returned a result"
        if r["outcome"] == "ok":
            case.outcome = "wrong"
        elif r["outcome"] == "memory":
            case.outcome = "hang"
        elif r["outcome"] == "refused" and "\n" not in msg.strip() and _named(msg, case.needles):
            case.outcome = "clear"
        else:
            case.outcome = "poor"
        return case
    lines = [ln for ln in err.splitlines() if ln.strip()]
    case.message = lines[-1] if lines else (p.stdout.strip().splitlines() or [""])[0]
    if p.returncode == 0:
        case.outcome, case.message = "wrong", "exit 0: " + ((p.stdout.strip().splitlines() or [""])[0])
    elif "MemoryError" in err or p.returncode in (-9, 137):
        case.outcome = "hang"
    elif "Traceback" in err or p.returncode != 2:
        case.outcome = "poor"
    else:
        ours = len(lines) == 1 and lines[0].startswith("ssbands: error: ")
        usage = any(ln.startswith("Error: ") for ln in lines)  # click's usage error names the option
        case.outcome = "clear" if (ours or usage) and _named(err, case.needles) else "poor"
    return case


def _write_fixtures(d: Path) -> None:
    for k, text in STACKS.items():
        (d / f"{k}.toml").write_text(text, encoding="utf-8")
    for k, text in LIBRARIES.items():
        (d / f"{k}.yaml").write_text(text, encoding="utf-8")
    for k, text in DEFECTS.items():
        (d / f"{k}.yaml").write_text(text, encoding="utf-8")
    (d / "toy.yaml").write_text(_TOY, encoding="utf-8")
    (d / "garbage.dat").write_bytes(b"\x00\x01 not a table \xff\xfe" * 10)
    nodos = PYSCF.read_text(encoding="utf-8")
    (d / "nodos.yaml").write_text(nodos, encoding="utf-8")
    import numpy as np

    np.save(d / "small_mask.npy", np.zeros((4, 4)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case before it counts as a hang")
    ap.add_argument("--only", default=None, help="run only the cases whose name contains this text")
    ap.add_argument("--json", default=None, help="also write the results as JSON to this file")
    a = ap.parse_args(argv)
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["MPLBACKEND"] = "Agg"
    with tempfile.TemporaryDirectory(prefix="ssbands-audit-") as tmp:
        d = Path(tmp)
        _write_fixtures(d)
        cases = _cli_cases(d) + _python_cases(d)
        if a.only:
            cases = [c for c in cases if a.only in c.name]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            done = list(pool.map(lambda c: run_case(c, d, a.timeout, env), cases))
        total = time.perf_counter() - t0
    counts = {k: sum(c.outcome == k for c in done) for k in ("clear", "poor", "wrong", "hang")}
    width = max(len(c.name) for c in done)
    print(f"{'case':<{width}}  entry   outcome  s      message")
    for c in done:
        print(f"{c.name:<{width}}  {c.entry:<6}  {c.outcome:<7}  {c.seconds:5.1f}  {c.message[:150]}")
    n = len(done)
    print(f"\n{n} bad inputs in {total:.0f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f" ({100 * counts['poor'] / max(n, 1):.1f} % poor)")
    if a.json:
        Path(a.json).write_text(json.dumps([c.__dict__ for c in done], indent=1), encoding="utf-8")
    bad = counts["wrong"] or counts["hang"] or counts["poor"] > 0.02 * n
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
