"""The first five minutes (class 7): `make demo` installs only what the main job needs, every README
command works on a fresh clone, `ssbands band` says what ΔCPD is measured against, `reference_ocv_V` is
the value asked for, notes name variables that exist, and citations resolve to the bibliography."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssbands.cell import Stack, fuller2021_stack, reachable_ocv_range, solve, summary
from ssbands.materials import load_library
from ssbands.materials.library import field_names

from _cli import run_cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
FULLER = str(REPO / "examples" / "stacks" / "fuller2021.toml")
LI_LLZO = str(REPO / "examples" / "stacks" / "li_llzo_lco.toml")
KPFM = REPO / "examples" / "kpfm" / "ramadanlab_passivated_Dark_CPD.npy"
TEST_PEERS = ("devsim", "py-sc-fermi", "mpmath", "hypothesis", "playwright", "pytest", "ruff", "mypy")


# ---- make demo and the dependencies --------------------------------------------------------------

def _requirement_names(reqs) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].strip().lower() for r in reqs}


def test_runtime_dependencies_hold_no_test_peers():
    proj = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = _requirement_names(proj["dependencies"])
    assert not base & set(TEST_PEERS)
    assert set(TEST_PEERS) - {"playwright"} <= _requirement_names(proj["optional-dependencies"]["dev"])


def test_make_demo_installs_the_package_alone_and_make_test_the_extras():
    mk = (REPO / "Makefile").read_text(encoding="utf-8")
    rules = {m.group(1): m.group(2) for m in re.finditer(r"^([$()\w.-]+):([^\n]*)\n((?:\t[^\n]*\n)*)", mk, re.M)}
    assert "$(CORE)" in rules["demo"] and "$(FULL)" not in rules["demo"]
    core = re.search(r"^\$\(CORE\):.*\n((?:\t.*\n)+)", mk, re.M).group(1)
    assert re.search(r"\$\(PIP\) -e \.\s*$", core, re.M) and "[" not in core.replace("[setup]", "")
    full = re.search(r"^\$\(FULL\):.*\n((?:\t.*\n)+)", mk, re.M).group(1)
    assert '".[all,dev]"' in full and "$(FULL)" in rules["test"]
    recipes = "\n".join(line for line in mk.splitlines() if line.startswith("\t"))
    assert "--quiet" not in recipes and recipes.count('@echo "==> [') >= 4  # progress: each step and pip's lines


def test_readme_states_measured_timings():
    assert "TIMING_" not in README
    assert re.search(r"`make demo` [\d.]+ (s|min)", README) and re.search(r"`make test` [\d.]+ (s|min)", README)


# ---- every README command works on a fresh clone -------------------------------------------------

def _readme_commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    cmds = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            for part in line.split(";"):
                words = shlex.split(part)
                if words and words[0] == "ssbands":
                    cmds.append(words[1:])
    return cmds


def test_every_file_a_readme_command_names_ships_with_the_repository():
    cmds = _readme_commands()
    assert len(cmds) >= 9
    for words in cmds:
        for w in words:
            if "/" in w and not w.startswith("-"):
                assert (REPO / w).exists(), f"README names {w}, which a fresh clone does not have"


@pytest.mark.parametrize("words", [w for w in _readme_commands() if w[0] in ("kpfm", "materials", "fermi", "scl")],
                         ids=lambda w: " ".join(w[:2]))
def test_readme_commands_run(words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    args = [str(tmp_path / Path(a).name) if a.endswith((".png", ".nc")) else a for a in words]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert out


def test_the_shipped_kpfm_file_is_mit_with_its_notice():
    notice = (REPO / "examples" / "kpfm" / "NOTICE.md").read_text(encoding="utf-8")
    assert "MIT License" in notice and "RamadanLab" in notice and KPFM.name in notice
    assert KPFM.stat().st_size < 300_000


# ---- ssbands band: the ΔCPD reference ------------------------------------------------------------

def test_band_prints_the_dcpd_reference(capsys):
    code, out, _ = run_cli(capsys, "band", FULLER, "--ocv", "3.75")
    assert code == 0 and "ΔCPD reference: OCV = 0 V" in out
    code, out, _ = run_cli(capsys, "band", FULLER, "--ocv", "3.75", "--reference-ocv", "2.5")
    assert "ΔCPD reference: OCV = 2.5 V" in out
    code, out, _ = run_cli(capsys, "band", LI_LLZO, "--ocv", "3.9")
    assert "ΔCPD reference: lowest reachable OCV" in out


_LO, _HI = reachable_ocv_range(fuller2021_stack())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ref=st.floats(_LO + 1e-6, _HI - 1e-6), ocv=st.floats(0.0, 4.0))
def test_property_reference_ocv_is_exactly_the_value_asked_for(ref, ocv):
    s = summary(solve(fuller2021_stack(), ocv, reference_ocv=ref))
    assert s["reference_ocv_V"] == ref and s["ocv_V"] == ocv


# ---- notes name variables that exist -------------------------------------------------------------

_IDENT = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")


def _known_names(ds) -> set[str]:
    names = set(ds.variables) | set(ds.coords)
    for kind in ("metal", "electrode", "electrolyte"):
        names |= set(field_names(kind))
    return names


@pytest.mark.parametrize("case", ["fuller_ocv0", "li_llzo", "no_transport"])
def test_notes_name_variables_that_exist(case, tmp_path):
    if case == "fuller_ocv0":
        ds = solve(fuller2021_stack(), [0.0, 3.0])
    elif case == "li_llzo":
        ds = solve(Stack.from_toml(LI_LLZO), [3.9, 4.1])
    else:
        lib = tmp_path / "lib.yaml"
        lib.write_text(yaml.safe_dump({"materials": {"LiPON": {"ionic_conductivity_S_cm": "unknown",
                                                               "diffusivity_cm2_s": "unknown"}}}))
        ds = solve(fuller2021_stack(load_library(lib)), 3.0, library=load_library(lib))
    notes = ds.ssb.metadata["notes"]
    assert notes
    known = _known_names(ds)
    for note in notes:
        for name in _IDENT.findall(note):
            assert name in known, f"note names {name!r}, which is not a variable or field: {note}"


# ---- citations resolve to the bibliography ---------------------------------------------------------

def test_every_doi_of_the_library_bibliography_is_in_the_docs_bibliography():
    refs = load_library().references
    bib = (REPO / "docs" / "bibliography.md").read_text(encoding="utf-8").lower()
    for key, ref in refs.items():
        for doi in re.findall(r"doi:\s*(10\.\S+?)[),;]?(?:\s|$)", ref):
            assert doi.lower().rstrip(".") in bib, (key, doi)
