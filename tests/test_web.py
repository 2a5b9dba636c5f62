"""ssbands web, server side: the band JSON contract, the binary frames, exports, case files, the KPFM
overlay, the screening explorer, and the security guards (loopback, limits, no paths, no pickle/eval)."""

from __future__ import annotations

import io
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from ssbands.web import app as web_app  # noqa: E402
from ssbands.web.app import create_app  # noqa: E402
from ssbands.web.case import case_toml, parse_case  # noqa: E402
from ssbands.web.compute import error_field, slider_range, stack_from_client  # noqa: E402
from ssbands.web.kpfm import safe_upload_name  # noqa: E402
from ssbands.web.protocol import decode_frame, encode_frame  # noqa: E402
from ssbands.web.security import host_allowed, is_loopback, same_origin  # noqa: E402
from ssbands.web.server import load_config  # noqa: E402

from _cli import run_cli  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FULLER = REPO / "examples" / "stacks" / "fuller2021.toml"
LLZO = REPO / "examples" / "stacks" / "li_llzo_lco.toml"
KPFM_NPY = REPO / "tests" / "data" / "kpfm" / "ramadanlab_passivated_Dark_CPD.npy"
WEB = REPO / "src" / "ssbands" / "web"
WS = "ws://127.0.0.1:8765/ws"


def _client(config=None, **changes):
    cfg = config or load_config(FULLER)
    for k, v in changes.items():
        setattr(cfg, k, v)
    return TestClient(create_app(cfg), base_url="http://127.0.0.1:8765")


@pytest.fixture(scope="module")
def client():
    with _client() as c:
        yield c


@pytest.fixture(scope="module")
def fuller_stack(client):
    return client.get("/api/info").json()["case"]["stack"]


def _cli_json(capsys, stack_file, ocv):
    code, out, err = run_cli(capsys, "band", str(stack_file), "--ocv", repr(ocv), "--json")
    assert code == 0, err
    return json.loads(out)


# ----------------------------------------------------------------------------- the band contract


@pytest.mark.parametrize("stack_file,ocv", [(FULLER, 3.7), (LLZO, 3.9), (FULLER, 0.4321)])
def test_post_band_equals_cli_json(capsys, stack_file, ocv):
    with _client(load_config(stack_file)) as c:
        stack = c.get("/api/info").json()["case"]["stack"]
        r = c.post("/api/band", json={"stack": stack, "ocv": ocv})
    assert r.status_code == 200, r.text
    assert r.json() == _cli_json(capsys, stack_file, ocv)


def test_info_lists_library_case_and_capabilities(client):
    info = client.get("/api/info").json()
    names = {m["name"] for m in info["materials"]}
    assert {"LiPON", "LLZO", "LixCoO2", "Cu"} <= names
    assert info["case"]["stack"]["layer"][1]["material"] == "LixSi"
    assert 0.0 <= info["case"]["view"]["ocv"] <= 4.3
    assert info["capabilities"]["screen_folder"] is False
    assert info["capabilities"]["impedance"] is True and "defects" not in info["capabilities"]


def test_websocket_frame_carries_float_arrays_and_the_band_json(client, fuller_stack, capsys):
    with client.websocket_connect(WS) as ws:
        ws.send_text(json.dumps({"type": "solve", "id": 7, "stack": fuller_stack, "ocv": 3.7}))
        header, arrays = decode_frame(ws.receive_bytes())
    assert header["id"] == 7 and header["ocv_V"] == 3.7
    assert header["summary"] == _cli_json(capsys, FULLER, 3.7)
    assert arrays["x_nm"].dtype == np.float64 and arrays["E_vac_eV"].dtype == np.float32
    from ssbands.cell import Stack, solve

    ds = solve(Stack.from_toml(FULLER), 3.7)
    np.testing.assert_array_equal(arrays["x_nm"], ds["x"].values)
    for k in ("E_vac_eV", "E_F_eV", "cpd_V", "dcpd_V", "dcpd_work_function_V", "dcpd_potential_V"):
        np.testing.assert_allclose(arrays[k], ds[k].values, rtol=1e-6, atol=1e-6)
    assert np.isnan(arrays["E_VBM_eV"]).all()  # LiPON: ionization potential unknown
    assert header["slider"][0] == 0.0 and header["slider"][1] == pytest.approx(header["range"][1])


def test_websocket_bad_ocv_is_one_line_next_to_the_ocv_and_the_socket_keeps_working(client, fuller_stack, capsys):
    with client.websocket_connect(WS) as ws:
        ws.send_text(json.dumps({"type": "solve", "id": 1, "stack": fuller_stack, "ocv": 9.0}))
        err = json.loads(ws.receive_text())
        ws.send_text("not json")
        bad = json.loads(ws.receive_text())
        ws.send_text(json.dumps({"type": "solve", "id": 2, "stack": fuller_stack, "ocv": 3.0}))
        header, _ = decode_frame(ws.receive_bytes())
    assert err["type"] == "error" and err["id"] == 1 and err["field"] == "ocv"
    code, _, stderr = run_cli(capsys, "band", str(FULLER), "--ocv", "9", "--json")
    assert code == 2
    cli_msg = stderr.strip().removeprefix("ssbands: error: ")
    assert err["message"].removeprefix("stack: ") == cli_msg.removeprefix(f"{FULLER}: ")
    assert "\n" not in err["message"]
    assert bad["field"] == "request"
    assert header["id"] == 2


@pytest.mark.parametrize("change,field", [
    ({"closure": "extrinsic"}, "mu_li_se"),
    ({"temperature_K": -3}, "temperature"),
    ({"layer": [{"material": "Unobtainium", "role": "anode", "thickness_nm": 5}]}, "layer-1"),
])
def test_bad_stack_fields_name_their_control(client, fuller_stack, change, field):
    r = client.post("/api/band", json={"stack": {**fuller_stack, **change}, "ocv": 3.0})
    assert r.status_code == 400
    assert r.json()["field"] == field


@pytest.mark.parametrize("position,layer,field,needle", [
    (1, {"material": "Unobtainium", "role": "anode", "thickness_nm": 50}, "layer-2", "unknown material"),
    (2, {"material": "LLTO", "role": "electrolyte", "thickness_nm": 500}, "layers", "parameter 'phi0_li_V' is unknown"),
])
def test_unknown_material_and_missing_parameter(client, fuller_stack, position, layer, field, needle):
    stack = json.loads(json.dumps(fuller_stack))
    stack["layer"][position] = layer
    stack.pop("interface", None)  # its LixSi|LiPON pair would be reported first
    r = client.post("/api/band", json={"stack": stack, "ocv": 1.0})
    assert r.status_code == 400 and r.json()["field"] == field and needle in r.json()["error"]
    assert client.post("/api/band", json={"stack": fuller_stack, "ocv": 1.0}).status_code == 200


def test_error_field_and_slider_range():
    assert error_field("stack: [[layer]] #3 (LiPON): thickness_nm must be a positive number") == "layer-3"
    assert error_field("x: OCV 9 V is outside what the electrodes can reach") == "ocv"
    assert error_field("unknown material 'X'") == "layers"
    assert slider_range((-1e9, 4.26)) == (0.0, 4.26)
    assert slider_range((2.8, 4.39)) == (2.8, 4.39)


def test_protocol_round_trip_and_alignment():
    arrays = {"x_nm": np.array([0.0, 1e-4, 1250.0001]), "a": np.array([1.5, np.nan, -2.0]), "b": np.arange(5.0)}
    frame = encode_frame({"id": 3, "note": "ü"}, arrays)
    assert frame[:4] == b"SSB1"
    head, out = decode_frame(frame)
    assert head == {"id": 3, "note": "ü"}
    np.testing.assert_array_equal(out["x_nm"], arrays["x_nm"])
    np.testing.assert_array_equal(out["a"], arrays["a"].astype(np.float32))
    n = int.from_bytes(frame[4:8], "little")
    start = 8 + n + (-(8 + n)) % 8
    assert start % 8 == 0
    with pytest.raises(ValueError):
        decode_frame(b"XXXX" + frame[4:])


def test_frame_endpoint_and_range(client, fuller_stack):
    r = client.post("/api/frame", json={"stack": fuller_stack, "ocv": 2.0})
    assert r.headers["content-type"] == "application/octet-stream"
    head, arrays = decode_frame(r.content)
    assert head["summary"]["ocv_V"] == 2.0 and arrays["x_nm"].size > 100
    rng = client.post("/api/range", json={"stack": fuller_stack}).json()
    assert rng["slider"][0] == 0.0 and rng["range"][1] == pytest.approx(4.2618, abs=1e-3)


# ----------------------------------------------------------------------------- exports, cases, uncertainty


@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("csv", b"# ssbands"), ("nc", None)])
def test_export_formats(client, fuller_stack, fmt, magic):
    r = client.post("/api/export", json={"stack": fuller_stack, "ocv": 3.0, "format": fmt})
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    if magic:
        assert r.content.startswith(magic)
    else:
        assert r.content[:3] in (b"CDF", b"\x89HD")


def test_case_file_round_trip_and_band_reads_it(client, fuller_stack, tmp_path, capsys):
    view = {"ocv": 3.25, "pins": [{"label": "1 V", "ocv": 1.0}], "view": {"kpfm": {"offset": 0.1}}}
    r = client.post("/api/case/save", json={"stack": fuller_stack, "view": view, "title": "a \"quoted\" title"})
    assert r.status_code == 200
    path = tmp_path / "case.toml"
    path.write_text(r.text, encoding="utf-8")
    back = client.post("/api/case/parse", json={"text": r.text}).json()
    assert back == {"stack": fuller_stack, "view": view}
    code, out, err = run_cli(capsys, "band", str(path), "--ocv", "3.25", "--json")
    assert code == 0, err
    assert json.loads(out) == _cli_json(capsys, FULLER, 3.25)
    stack, v = parse_case(case_toml({"layer": [{"material": "Cu", "role": "anode", "thickness_nm": 1.5}]}))
    assert stack["layer"][0]["thickness_nm"] == 1.5 and v == {}


def test_uncertainty_bands(client, fuller_stack):
    r = client.post("/api/uncertainty", json={"stack": fuller_stack, "ocv": 3.0, "n_samples": 6,
                                              "spreads": {"work_function_eV": 0.2, "phi0_li_V": 0.1}})
    assert r.status_code == 200, r.text
    d = r.json()
    lo, mid, hi = (np.array(d["dcpd_V"][k], float) for k in ("p05", "p50", "p95"))
    assert np.all(lo <= mid + 1e-12) and np.all(mid <= hi + 1e-12) and np.any(hi - lo > 1e-3)
    assert d["info"]["solved"] == 6
    zero = client.post("/api/uncertainty", json={"stack": fuller_stack, "ocv": 3.0, "n_samples": 2, "spreads": {}})
    frame = decode_frame(client.post("/api/frame", json={"stack": fuller_stack, "ocv": 3.0}).content)[1]
    np.testing.assert_allclose(zero.json()["E_vac_eV"]["p50"], frame["E_vac_eV"], atol=1e-5)
    bad = client.post("/api/uncertainty", json={"stack": fuller_stack, "ocv": 3.0, "spreads": {"band_gap_eV": 1}})
    assert bad.status_code == 400 and "unknown spread field" in bad.json()["error"]


# ----------------------------------------------------------------------------- KPFM and screening


def test_kpfm_upload_overlay_and_fit(client, fuller_stack):
    r = client.post("/api/kpfm/upload?name=ramadan_CPD.npy&pixel_size_nm=10", content=KPFM_NPY.read_bytes(),
                    headers={"content-type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["kind"] == "cpd" and len(up["x_nm"]) == 256 and up["x_nm"][1] - up["x_nm"][0] == pytest.approx(10)
    f = client.post("/api/kpfm/fit", json={"token": up["token"], "stack": fuller_stack, "ocv": 3.7,
                                           "params": ["offset", "width"]})
    assert f.status_code == 200, f.text
    fit = f.json()
    assert {"offset@3.7V", "width_nm"} <= set(fit["parameters"])
    assert len(fit["profiles"]["dcpd_fit_V"][0]) == 256
    gone = client.post("/api/kpfm/fit", json={"token": "nope", "stack": fuller_stack, "ocv": 3.7})
    assert gone.status_code == 400


def test_screen_live_heatmap_and_folder(client):
    r = client.post("/api/screen/live", json={"descriptor": "phi0_V", "n_states": 2})
    assert r.status_code == 200, r.text
    h = r.json()
    assert {"LLZO", "LiPON"} <= set(h["columns"]) and any(row["electrode"] == "Li" for row in h["rows"])
    assert len(h["values"]) == len(h["rows"]) and h["states"][0] == "worst"
    assert client.get("/api/screen").status_code == 404  # no --screen folder on this server
    pytest.importorskip("pyarrow")
    cfg = load_config(FULLER, screen_dir=REPO / "examples" / "screen_48" / "output")
    with _client(cfg) as c:
        assert c.get("/api/info").json()["capabilities"]["screen_folder"] is True
        h2 = c.get("/api/screen?descriptor=phi0_V&state=charged").json()
    assert "LixSi-delithiation" in [row["electrode"] for row in h2["rows"]]


def test_registered_panel_is_a_capability(client, fuller_stack):
    web_app.register_panel("demo", lambda model, stack, body: {"layers": len(stack.layers), "ocv": body["ocv"]})
    try:
        with _client() as c:
            assert c.get("/api/info").json()["capabilities"]["demo"] is True
            r = c.post("/api/panel/demo", json={"stack": fuller_stack, "ocv": 1.0})
            assert r.json() == {"layers": 6, "ocv": 1.0}
            assert c.post("/api/panel/other", json={"stack": fuller_stack}).status_code == 404
    finally:
        web_app.PANELS.pop("demo")


def test_internal_error_is_answered_and_the_server_keeps_serving(client, fuller_stack, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(web_app.Handlers, "model_ocv", staticmethod(boom))
    r = client.post("/api/uncertainty", json={"stack": fuller_stack, "ocv": 3.0})
    assert r.status_code == 500 and "kaboom" in r.json()["error"]
    monkeypatch.undo()
    assert client.post("/api/band", json={"stack": fuller_stack, "ocv": 3.0}).status_code == 200


# ----------------------------------------------------------------------------- security


def test_loopback_by_default(capsys, monkeypatch):
    from ssbands.cli.web import web

    assert {p.name: p.default for p in web.params}["host"] == "127.0.0.1"
    assert load_config().loopback is True and load_config(host="0.0.0.0").loopback is False
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
    calls = []
    monkeypatch.setattr("ssbands.web.server.serve", lambda config, **kw: calls.append((config, kw)))
    code, out, err = run_cli(capsys, "web", "--no-browser", "--port", "0")
    assert code == 0 and calls[-1][1]["host"] == "127.0.0.1" and "warning" not in err
    code, out, err = run_cli(capsys, "web", "--no-browser", "--host", "0.0.0.0", str(LLZO))
    assert code == 0 and "not a loopback address" in err
    assert calls[-1][0].loopback is False and calls[-1][0].title == "li_llzo_lco.toml"


def test_web_library_option(capsys, monkeypatch, tmp_path, fuller_stack):
    monkeypatch.setattr("ssbands.web.server.serve", lambda config, **kw: None)
    code, out, err = run_cli(capsys, "web", "--no-browser", "--library", str(tmp_path / "nope.yaml"))
    assert code == 2 and out == "" and "nope.yaml" in err and "does not exist" in err
    assert len(err.strip().splitlines()) == 1
    lib = tmp_path / "lib.yaml"
    lib.write_text("materials:\n  LiPON: {phi0_li_V: 1.5}\n")
    with _client(load_config(FULLER, lib)) as c:
        r = c.post("/api/band", json={"stack": fuller_stack, "ocv": 3.0}).json()
    code, out, err = run_cli(capsys, "band", str(FULLER), "--ocv", "3.0", "--json", "--library", str(lib))
    assert r == json.loads(out)
    assert r["interfaces"][0]["phi0_V"] != _cli_json(capsys, FULLER, 3.0)["interfaces"][0]["phi0_V"]


def test_loopback_server_refuses_other_host_names(client):
    assert host_allowed("127.0.0.1:8765", True) and host_allowed("localhost", True)
    assert not host_allowed("evil.example:8765", True) and host_allowed("evil.example", False)
    r = client.get("/api/info", headers={"host": "evil.example"})
    assert r.status_code == 421


def test_security_headers_forbid_eval_and_inline_scripts(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "connect-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text  # every script is a file


def test_websocket_from_another_origin_is_refused(client, fuller_stack):
    assert same_origin(None, "127.0.0.1:8765") and same_origin("http://127.0.0.1:8765", "127.0.0.1:8765")
    assert not same_origin("http://evil.example", "127.0.0.1:8765")
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(WS, headers={"origin": "http://evil.example"}) as ws:
            ws.send_text(json.dumps({"type": "solve", "id": 1, "stack": fuller_stack, "ocv": 1.0}))
            ws.receive_bytes()


def test_upload_and_json_size_limits():
    with _client(max_upload_bytes=1000, max_json_bytes=2000) as c:
        big = c.post("/api/kpfm/upload?name=a.npy", content=b"\0" * 1001,
                     headers={"content-type": "application/octet-stream"})
        assert big.status_code == 413 and "limit" in big.json()["error"]

        def chunks():  # no Content-Length: the limit holds while streaming
            for _ in range(20):
                yield b"\0" * 100

        streamed = c.post("/api/kpfm/upload?name=a.npy", content=chunks(),
                          headers={"content-type": "application/octet-stream"})
        assert streamed.status_code == 413
        j = c.post("/api/band", content=json.dumps({"stack": {"x": "y" * 3000}, "ocv": 1}),
                   headers={"content-type": "application/json"})
        assert j.status_code == 413
        with c.websocket_connect(WS) as ws:
            ws.send_text(json.dumps({"type": "solve", "pad": "y" * 3000}))
            assert "limit" in json.loads(ws.receive_text())["message"]


def test_wrong_content_type_and_non_finite_json_are_refused(client, fuller_stack):
    form = client.post("/api/band", content=json.dumps({"stack": fuller_stack, "ocv": 1}),
                       headers={"content-type": "text/plain"})
    assert form.status_code == 415
    nan = client.post("/api/band", content='{"stack": {}, "ocv": NaN}', headers={"content-type": "application/json"})
    assert nan.status_code == 400 and "not valid JSON" in nan.json()["error"]


def test_no_server_side_path_from_the_client(client, fuller_stack, tmp_path):
    for key, value in (("library", "/etc/passwd"), ("extrinsic_defects", {"file": "/etc/passwd",
                                                                          "synthesis_mu_li_eV": -1})):
        r = client.post("/api/band", json={"stack": {**fuller_stack, key: value}, "ocv": 1.0})
        assert r.status_code == 400 and "not taken from the page" in r.json()["error"]
    with pytest.raises(Exception, match="not taken from the page"):
        stack_from_client({**fuller_stack, "library": "x.yaml"}, None)
    assert safe_upload_name("../../etc/passwd") == "passwd"
    assert safe_upload_name("C:\\x\\..\\scan.gwy") == "scan.gwy"
    assert safe_upload_name(".hidden") == "hidden" and safe_upload_name("") == "upload"
    # the name of an upload is never a path: the bytes are what is read
    r = client.post(f"/api/kpfm/upload?name={KPFM_NPY}&pixel_size_nm=10", content=b"x,y\n1,2\n",
                    headers={"content-type": "application/octet-stream"})
    assert r.status_code == 400 and str(KPFM_NPY.parent) not in r.json()["error"]
    assert "ssbands-web-" not in r.json()["error"]  # messages do not leak the temporary folder


class _Marker:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_pickled_uploads_are_not_unpickled(client, tmp_path):
    marker = tmp_path / "unpickled"
    buf = io.BytesIO()
    np.save(buf, np.array([_Marker(str(marker))], dtype=object), allow_pickle=True)
    r = client.post("/api/kpfm/upload?name=evil.npy&pixel_size_nm=1", content=buf.getvalue(),
                    headers={"content-type": "application/octet-stream"})
    assert r.status_code == 400 and "without pickle" in r.json()["error"]
    raw = client.post("/api/kpfm/upload?name=evil.pkl", content=pickle.dumps(_Marker(str(marker))),
                      headers={"content-type": "application/octet-stream"})
    assert raw.status_code == 400
    assert not marker.exists()


def test_sources_have_no_pickle_or_eval():
    py = "\n".join(p.read_text(encoding="utf-8") for p in WEB.glob("*.py"))
    assert not re.search(r"import pickle|from pickle|pickle\.|\beval\(|\bexec\(|yaml\.load\(|allow_pickle=True", py)
    js = "\n".join(p.read_text(encoding="utf-8") for p in (WEB / "static" / "js").glob("*.js"))
    assert not re.search(r"\beval\(|new Function|innerHTML|outerHTML|document\.write|setTimeout\(\s*['\"]", js)
    vendor = (WEB / "static" / "vendor" / "uplot" / "uPlot.iife.min.js").read_text(encoding="utf-8")
    assert "eval(" not in vendor and "new Function" not in vendor
    assert (WEB / "static" / "vendor" / "uplot" / "LICENSE").read_text().startswith("The MIT License")


def test_page_assets_are_all_local(client):
    html = client.get("/").text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/static/") or r.startswith("data:") for r in refs)
    for r in refs:
        if r.startswith("/static/"):
            assert client.get(r).status_code == 200, r
    for js in (WEB / "static" / "js").glob("*.js"):
        text = js.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, js.name
        for imp in re.findall(r'from "(\./[^"]+)"', text):
            assert (js.parent / imp).exists(), (js.name, imp)
