"""Every example script runs (into a temporary folder) and produces what it says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EX = Path(__file__).resolve().parents[1] / "examples"


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem + "_example", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_brouwer_diagram(tmp_path):
    out = tmp_path / "brouwer.png"
    load(EX / "brouwer_diagram.py").main(out)
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_kpfm_fit_roundtrip_recovers_truth(tmp_path):
    res, truth = load(EX / "kpfm_fit_roundtrip.py").main(tmp_path)
    assert (tmp_path / "kpfm_fit.png").is_file() and (tmp_path / "kpfm_fit_decomposition.png").is_file()
    for name, p in res.parameters.items():
        assert abs(p.value - truth[name]) < 4 * p.stderr, name


def test_screen_48(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load(EX / "screen_48" / "run.py").main(tmp_path / "out")
    assert s["counts"]["cells"] == 18
    assert {d["material"] for d in s["not_computed"]} >= {"Li4Ti5O12", "LiFePO4"}
    assert (tmp_path / "out" / "report.md").is_file()


def test_reference_state_step_depends_on_the_stated_cathode_content(tmp_path):
    rows = load(EX / "reference_state.py").main(tmp_path)
    assert (tmp_path / "reference_state_step.png").is_file()
    # the step does not depend on the anode's content, and rises as the stated LixCoO2 content -> 1:
    # U_LCO falls, and phi0 = phi0_Li + (Phi_LCO - Phi_Li) - U_LCO rises one for one
    by_anode = {}
    for xa, xc, _ocv, step in rows:
        by_anode.setdefault(xa, []).append((xc, step))
    a, b = by_anode.values()
    assert [s for _, s in a] == [s for _, s in b]
    steps = [s for _, s in a]
    assert all(s2 > s1 for s1, s2 in zip(steps, steps[1:], strict=False))
