"""ssbands web in a real browser: pytest-playwright driving Debian's Chromium (/usr/bin/chromium).

Every test blocks and records any request that leaves the loopback interface (the page must work
offline). The figure docs/figures/web_tool.png is written by test_screenshot when the environment
variable SSBANDS_UPDATE_FIGURES=1 is set (otherwise it goes to a temporary folder).
"""

from __future__ import annotations

import json
import os
import types
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

pytest.importorskip("pytest_playwright", reason="the browser tests need pytest-playwright (the dev extra)")
pytest.importorskip("starlette", reason="the browser tests need the web extra")

from ssbands.web.server import load_config, start_background  # noqa: E402

from _cli import run_cli  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium (/usr/bin/chromium) is not installed: the browser tests need it "
           "(.ci/run installs it with apt as root; `playwright install` is not used)")

REPO = Path(__file__).resolve().parents[1]
FULLER = REPO / "examples" / "stacks" / "fuller2021.toml"
KPFM_NPY = REPO / "tests" / "data" / "kpfm" / "ramadanlab_passivated_Dark_CPD.npy"
FIGURE = REPO / "docs" / "figures" / "web_tool.png"


@pytest.fixture(scope="session")
def base_url():
    # replaces pytest-base-url's fixture (deprecated form under pytest 9); the tests use absolute URLs
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": ["--no-sandbox", "--disable-gpu"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1500, "height": 1000}}


@pytest.fixture(scope="module")
def server():
    srv = start_background(load_config(FULLER))
    yield srv
    srv.stop()


@pytest.fixture
def view(page, server):
    """The page with every non-loopback request blocked and recorded, and its errors collected."""
    v = types.SimpleNamespace(page=page, url=server.url, outside=[], requests=[], errors=[])

    def route(r):
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            v.outside.append(r.request.url)
            r.abort()

    page.context.route("**/*", route)
    page.on("request", lambda req: v.requests.append(req.url))
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(20_000)
    yield v
    assert v.outside == [], f"the page tried to leave the machine: {v.outside}"


def _open(v, url=None):
    v.page.goto(url or v.url)
    v.page.wait_for_function("() => window.ssbands && window.ssbands.solves > 0")
    return v.page


def _solves(page) -> int:
    return page.evaluate("() => window.ssbands.solves")


def _set(page, testid, value):
    """Type a value into a number input and commit it (change event)."""
    box = page.get_by_test_id(testid)
    box.fill(str(value))
    box.press("Enter")


def _wait_ocv(page, ocv):
    page.wait_for_function("v => window.ssbands.lastSolve && Math.abs(window.ssbands.lastSolve.ocv_V - v) < 1e-12",
                           arg=ocv)


def _wait_text(page, testid, js_condition):
    """Wait until the text of the element ``testid`` satisfies ``js_condition`` (a JS expression of ``t``)."""
    page.wait_for_function(f"() => {{ const t = document.querySelector('[data-testid={testid}]').textContent; "
                           f"return {js_condition}; }}")


def _legend(page, testid) -> list[str]:
    return page.get_by_test_id(testid).locator(".u-legend .u-series .u-label").all_inner_texts()


def test_page_loads_offline_with_the_automation_contract(view):
    page = _open(view)
    origin = urlsplit(view.url).netloc
    assert view.requests and all(urlsplit(u).netloc == origin for u in view.requests if not u.startswith("data:"))
    for tid in ("ocv", "closure", "band-plot", "dcpd-plot", "error", "pin", "iface-table", "layers",
                "kpfm-file", "screen-panel", "export", "save-case", "zoom-anode", "zoom-cathode"):
        assert page.get_by_test_id(tid).count() == 1, tid
    assert page.get_by_test_id("band-plot").locator("canvas").count() == 1
    assert page.get_by_test_id("error").inner_text() == ""
    last = page.evaluate("() => window.ssbands.lastSolve")
    assert set(last) >= {"ocv_V", "x_nm", "E_vac_eV", "E_F_eV", "cpd_V", "dcpd_V", "latency_ms"}
    assert len(last["x_nm"]) == len(last["E_vac_eV"]) > 100 and last["latency_ms"] > 0
    assert page.get_by_test_id("defects-panel").is_hidden()  # shown only when the server reports it
    assert page.get_by_test_id("impedance-panel").is_visible()  # the server reports the impedance panel
    assert view.errors == []


def test_ocv_slider_updates_last_solve_equal_to_band_json(view, capsys, tmp_path):
    page = _open(view)
    slider = page.get_by_test_id("ocv")
    slider.focus()
    for _ in range(25):
        page.keyboard.press("ArrowRight")  # one input event per step of 1 mV: the page re-solves while it moves
    ocv = float(slider.input_value())
    _wait_ocv(page, ocv)
    slider.fill("3.7")
    _wait_ocv(page, 3.7)
    last = page.evaluate("() => window.ssbands.lastSolve")
    summary = page.evaluate("() => window.ssbands.lastSummary")
    csv = tmp_path / "profile.csv"
    code, out, err = run_cli(capsys, "band", str(FULLER), "--ocv", repr(last["ocv_V"]), "--json", "--out", str(csv))
    assert code == 0, err
    assert summary == json.loads(out)
    import pandas as pd

    ref = pd.read_csv(csv, comment="#")
    np.testing.assert_array_equal(last["x_nm"], ref["x"].to_numpy())
    for k in ("E_vac_eV", "E_F_eV", "cpd_V", "dcpd_V"):
        np.testing.assert_allclose(last[k], ref[k].to_numpy(), rtol=1e-6, atol=2e-6, err_msg=k)
    assert page.get_by_test_id("ocv-input").input_value() == "3.7"
    assert view.errors == []


def test_reload_from_the_url_restores_the_state(view):
    page = _open(view)
    page.get_by_test_id("closure").select_option("extrinsic")
    page.wait_for_function("() => window.ssbands.lastSummary.closure === 'extrinsic'")
    _set(page, "mu-li-se-input", -1.5)
    page.wait_for_function("() => window.ssbands.lastSummary.mu_Li_se_eV === -1.5")
    _set(page, "ocv-input", 3.1)
    _wait_ocv(page, 3.1)
    page.get_by_test_id("layer-3-thickness").fill("800")
    page.get_by_test_id("layer-3-thickness").press("Enter")
    page.wait_for_function("() => window.ssbands.lastSummary.layers[2].x_end_nm === 1050")
    page.wait_for_function("() => location.hash.startsWith('#s=') && window.ssbands.state.ocv === 3.1")
    page.wait_for_timeout(300)  # the URL is written 150 ms after the last change
    url = page.url
    page.reload()
    page.wait_for_function("() => window.ssbands && window.ssbands.solves > 0")
    assert page.url == url
    s = page.evaluate("() => window.ssbands.lastSummary")
    assert s["closure"] == "extrinsic" and s["mu_Li_se_eV"] == -1.5 and s["ocv_V"] == 3.1
    assert s["layers"][2]["x_end_nm"] == 1050
    assert page.get_by_test_id("closure").input_value() == "extrinsic"
    assert page.get_by_test_id("ocv-input").input_value() == "3.1"
    assert page.get_by_test_id("layer-3-thickness").input_value() == "800"
    assert view.errors == []


def test_pinned_comparison(view):
    page = _open(view)
    _set(page, "ocv-input", 1.0)
    _wait_ocv(page, 1.0)
    first = page.evaluate("() => window.ssbands.lastSolve.E_vac_eV")
    page.get_by_test_id("pin").click()
    _set(page, "ocv-input", 4.0)
    _wait_ocv(page, 4.0)
    page.get_by_test_id("pin").click()
    assert page.get_by_test_id("pins").locator("li").count() == 2
    legend = _legend(page, "band-plot")
    assert any("1.000 V" in t for t in legend) and any("4.000 V" in t for t in legend)
    assert any("ΔCPD 1.000 V" in t for t in _legend(page, "dcpd-plot"))
    pinned = page.evaluate("() => window.ssbands.compare.frames[0].E_vac_eV")
    assert pinned == first
    page.get_by_test_id("pin-remove-1").click()
    assert page.get_by_test_id("pins").locator("li").count() == 1
    page.wait_for_timeout(300)
    page.reload()
    page.wait_for_function("() => window.ssbands && window.ssbands.solves > 0")
    assert page.get_by_test_id("pins").locator("li").inner_text().strip().startswith("1.000 V")
    np.testing.assert_allclose(page.evaluate("() => window.ssbands.compare.frames[0].E_vac_eV"), first)
    assert view.errors == []


def test_animate_ocv_sweep(view):
    page = _open(view)
    n = _solves(page)
    page.get_by_test_id("animate").click()
    page.wait_for_function("n => window.ssbands.solves >= n + 6", arg=n)
    page.get_by_test_id("animate").click()
    seen = page.evaluate("() => window.ssbands.latencies.length")
    assert seen >= 6
    ocv = page.evaluate("() => window.ssbands.lastSolve.ocv_V")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.ssbands.lastSolve.ocv_V") == pytest.approx(ocv, abs=0.2)  # stopped
    assert view.errors == []


def test_save_and_load_a_case_file(view, tmp_path):
    page = _open(view)
    _set(page, "ocv-input", 2.2)
    _wait_ocv(page, 2.2)
    page.get_by_test_id("dipole-anode").fill("0.25")
    page.wait_for_function("() => window.ssbands.lastSummary.interfaces[0].dipole_V === 0.25")
    with page.expect_download() as d:
        page.get_by_test_id("save-case").click()
    case = tmp_path / "case.toml"
    case.write_bytes(Path(d.value.path()).read_bytes())
    assert "dipole_V = 0.25" in case.read_text() and "#@ssbands-web" in case.read_text()
    page.goto("about:blank")
    _open(view)  # a fresh page with the server's case
    assert page.evaluate("() => window.ssbands.lastSummary.interfaces[0].dipole_V") == 0.0
    page.get_by_test_id("load-case").set_input_files(str(case))
    _wait_ocv(page, 2.2)
    page.wait_for_function("() => window.ssbands.lastSummary.interfaces[0].dipole_V === 0.25")
    assert page.get_by_test_id("dipole-anode-value").inner_text() == "0.250 V"
    assert view.errors == []


def test_kpfm_file_overlay_and_fit(view):
    page = _open(view)
    _set(page, "ocv-input", 3.7)
    _wait_ocv(page, 3.7)
    page.get_by_test_id("kpfm-pixel").fill("10")
    page.get_by_test_id("kpfm-file").set_input_files(str(KPFM_NPY))
    _wait_text(page, "kpfm-status", "t.includes('256 points')")
    assert any(t.startswith("measured: ramadanlab_passivated_Dark_CPD.npy") for t in _legend(page, "dcpd-plot"))
    offset = float(page.get_by_test_id("kpfm-offset").input_value())
    assert -2 < offset < 2  # mean matched to the model
    page.get_by_test_id("kpfm-fit").click()
    _wait_text(page, "kpfm-result", "t.includes('width_nm')")
    assert "offset@3.7V" in page.get_by_test_id("kpfm-result").inner_text()
    assert any(t.startswith("fit") for t in _legend(page, "dcpd-plot"))
    assert page.get_by_test_id("error").inner_text() == ""
    assert view.errors == []


def test_bad_ocv_shows_the_message_and_the_page_keeps_working(view, capsys):
    page = _open(view)
    n = _solves(page)
    _set(page, "ocv-input", 9)
    _wait_text(page, "error-ocv", "t.length > 0")
    msg = page.get_by_test_id("error-ocv").inner_text()
    code, _, err = run_cli(capsys, "band", str(FULLER), "--ocv", "9")
    assert code == 2
    assert msg.removeprefix("stack: ") == err.strip().removeprefix(f"ssbands: error: {FULLER}: ")
    assert page.get_by_test_id("error").inner_text() == msg
    assert _solves(page) == n  # the last good diagram stays on screen
    assert page.get_by_test_id("band-plot").locator("canvas").count() == 1
    page.get_by_test_id("ocv").fill("2.5")
    _wait_ocv(page, 2.5)
    assert page.get_by_test_id("error-ocv").inner_text() == "" and page.get_by_test_id("error").inner_text() == ""
    page.get_by_test_id("layer-3-thickness").fill("-5")
    page.get_by_test_id("layer-3-thickness").press("Enter")
    _wait_text(page, "error-layers", "t.startsWith('layer 3')")
    assert "thickness_nm must be a positive number" in page.get_by_test_id("error-layers").inner_text()
    page.get_by_test_id("layer-3-thickness").fill("1000")
    page.get_by_test_id("layer-3-thickness").press("Enter")
    _wait_text(page, "error-layers", "t === ''")
    assert view.errors == []


def test_screening_explorer_opens_a_cell(view):
    page = _open(view)
    page.get_by_test_id("screen-compute").click()
    page.wait_for_selector("[data-testid=screen-heatmap] td.cell")
    cols = page.get_by_test_id("screen-heatmap").locator("thead th").all_inner_texts()[1:]
    rows = page.get_by_test_id("screen-heatmap").locator("tbody th").all_inner_texts()
    i, j = rows.index("LixSi (anode)"), cols.index("LLZO")
    page.get_by_test_id(f"screen-cell-{i}-{j}").click()
    page.wait_for_function("() => window.ssbands.lastSummary.layers[2].material === 'LLZO'")
    assert page.get_by_test_id("layer-3-material").input_value() == "LLZO"
    assert view.errors == []


def test_export_downloads_a_figure(view):
    page = _open(view)
    page.get_by_test_id("export-format").select_option("png")
    with page.expect_download() as d:
        page.get_by_test_id("export").click()
    assert Path(d.value.path()).read_bytes().startswith(b"\x89PNG")


def test_screenshot(view, tmp_path):
    page = _open(view)
    _set(page, "ocv-input", 1.0)
    _wait_ocv(page, 1.0)
    page.get_by_test_id("pin").click()
    _set(page, "ocv-input", 3.9)
    _wait_ocv(page, 3.9)
    page.get_by_test_id("spread-n_samples").fill("20")
    page.get_by_test_id("spread-n_samples").press("Enter")
    page.get_by_test_id("uncertainty").click()
    _wait_text(page, "uncertainty-status", "t.includes('samples')")
    page.get_by_test_id("screen-compute").click()
    page.wait_for_selector("[data-testid=screen-heatmap] td.cell")
    page.wait_for_function("() => window.ssbands.lastImpedance && window.ssbands.lastImpedance.ocv_V === 3.9")
    page.wait_for_timeout(200)
    path = FIGURE if os.environ.get("SSBANDS_UPDATE_FIGURES") == "1" else tmp_path / "web_tool.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 50_000
    assert view.errors == []


def _impedance_at(page, ocv, **settings):
    """Wait for the impedance panel's answer at ``ocv`` with ``settings`` (electrodes, transport)."""
    def js(v):
        return json.dumps(json.dumps(v, separators=(",", ":")))

    cond = " && ".join([f"Math.abs(r.ocv_V - {ocv!r}) < 1e-12"]
                       + [f"JSON.stringify(r.{k}) === {js(v)}" for k, v in settings.items()])
    page.wait_for_function(f"() => {{ const r = window.ssbands.lastImpedance; return r && {cond}; }}")
    return page.evaluate("() => window.ssbands.lastImpedance")


def _floats(obj):
    """``obj`` with every number as a float (JavaScript hands large whole floats back as ints)."""
    if isinstance(obj, dict):
        return {k: _floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_floats(v) for v in obj]
    return float(obj) if isinstance(obj, int) and not isinstance(obj, bool) else obj


def _assert_cli_values(got, ref, path=""):
    """Every value of the CLI's JSON object ``ref`` equals the page's (numbers to 1e-10 relative)."""
    if isinstance(ref, dict):
        for k, v in ref.items():
            _assert_cli_values(got[k], v, f"{path}.{k}")
    elif isinstance(ref, list) and ref and all(isinstance(v, float) for v in ref):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=0, err_msg=path)
    elif isinstance(ref, list):
        assert len(got) == len(ref), path
        for i, (a, b) in enumerate(zip(got, ref, strict=True)):
            _assert_cli_values(a, b, f"{path}[{i}]")
    elif isinstance(ref, float):
        assert got == pytest.approx(ref, rel=1e-10, abs=0), path
    else:
        assert got == ref, path


def test_impedance_panel_nyquist_and_bode_equal_impedance_json(view, capsys):
    page = _open(view)
    _set(page, "ocv-input", 3.7)
    _wait_ocv(page, 3.7)
    got = _impedance_at(page, 3.7, electrodes=["blocking", "blocking"])
    code, out, err = run_cli(capsys, "impedance", str(FULLER), "--ocv", "3.7", "--points", "60", "--json")
    assert code in (0, None), err
    _assert_cli_values(got, json.loads(out))
    # the Nyquist canvas is drawn (non-blank) and the Bode plot is a uPlot canvas
    inked = page.evaluate("""() => { const c = document.querySelector('[data-testid=nyquist-plot]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return [c.width, n]; }""")
    assert inked[0] > 200 and inked[1] > 1000
    assert page.get_by_test_id("bode-plot").locator("canvas").count() == 1
    values = page.get_by_test_id("impedance-values").inner_text()
    assert "∞" in values and "100.0000" in values  # blocking: no DC current; R_bulk of 1 µm LiPON
    assert "LixSi|LiPON" in page.get_by_test_id("impedance-iface-table").inner_text()
    # the band tables show R_exc/R_ct, E_F − VBM, dE_vac/dμ_Li and the ΔCPD reference state
    s = page.evaluate("() => window.ssbands.lastSummary")
    assert "R_exc (Ω cm²)" in page.get_by_test_id("iface-table").inner_text()
    assert "dE_vac/dμ_Li" in page.get_by_test_id("layer-table").inner_text()
    assert s["reference_state"] in page.get_by_test_id("reference").inner_text()
    # reversible electrodes, independent carriers: the spectrum and the band's R_exc follow
    page.get_by_test_id("imp-electrodes").select_option("reversible")
    page.get_by_test_id("imp-transport").select_option("independent")
    got = _impedance_at(page, 3.7, electrodes=["reversible", "reversible"], transport="independent")
    code, out, err = run_cli(capsys, "impedance", str(FULLER), "--ocv", "3.7", "--points", "60", "--json",
                             "--electrodes", "reversible", "--transport", "independent")
    _assert_cli_values(got, json.loads(out))
    assert got["R_dc_ohm_cm2"] > 0
    code, out, err = run_cli(capsys, "band", str(FULLER), "--ocv", "3.7", "--json", "--transport", "independent")
    band = json.loads(out)
    page.wait_for_function("v => window.ssbands.lastSummary.interfaces[0].R_exc_ohm_cm2 === v",
                           arg=band["interfaces"][0]["R_exc_ohm_cm2"])
    assert _floats(page.evaluate("() => window.ssbands.lastSummary")) == _floats(band)
    assert view.errors == []


def test_impedance_bad_input_shows_a_message_and_the_page_keeps_working(view, capsys):
    page = _open(view)
    _set(page, "ocv-input", 3.0)
    _wait_ocv(page, 3.0)
    _impedance_at(page, 3.0)
    page.get_by_test_id("imp-electrodes").select_option("butler-volmer")
    _wait_text(page, "error-impedance", "t.length > 0")
    assert "butler-volmer electrodes need the exchange current density i0" in \
        page.get_by_test_id("error-impedance").inner_text()
    _set(page, "ocv-input", 3.1)
    _wait_ocv(page, 3.1)  # the band diagram keeps solving
    _set(page, "imp-i0", "1e-5")
    _set(page, "imp-alpha-t", "0.5")
    got = _impedance_at(page, 3.1, electrodes=["butler-volmer", "butler-volmer"])
    _wait_text(page, "error-impedance", "t === ''")
    assert all(i["R_ct_ohm_cm2"] > 0 for i in got["interfaces"])
    code, out, err = run_cli(capsys, "band", str(FULLER), "--ocv", "3.1", "--json", "--i0", "1e-5", "--alpha-t", "0.5")
    page.wait_for_function("() => window.ssbands.lastSummary.interfaces[0].R_ct_ohm_cm2 !== null")
    # R_ct in the interface table (JavaScript writes 8.2e17 as an integer: compare as floats)
    assert _floats(page.evaluate("() => window.ssbands.lastSummary")) == _floats(json.loads(out))
    # an electrolyte without transport data: the band diagram solves, the panel says what is missing
    page.get_by_test_id("layer-3-material").select_option("LLZO")
    page.wait_for_function("() => window.ssbands.lastSummary.layers[2].material === 'LLZO'")
    assert page.evaluate("() => window.ssbands.state.stack.interface[0].right") == "LLZO"  # the dipole follows
    _wait_text(page, "error-impedance", "t.includes('conductivity_fraction_Li_i')")
    assert "LLZO" in page.get_by_test_id("error-impedance").inner_text()
    page.get_by_test_id("layer-3-material").select_option("LiPON")
    page.wait_for_function("() => window.ssbands.lastSummary.layers[2].material === 'LiPON'")
    _wait_text(page, "error-impedance", "t === ''")
    assert view.errors == []
