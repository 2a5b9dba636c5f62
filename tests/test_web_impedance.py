"""ssbands web's impedance panel, server side: the ``ssbands impedance --json`` object over HTTP and the
panel WebSocket, and one-line messages for bad settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient  # noqa: E402

from ssbands.web.app import create_app  # noqa: E402
from ssbands.web.impedance_panel import impedance_request  # noqa: E402
from ssbands.web.server import load_config  # noqa: E402

from _cli import run_cli  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FULLER = REPO / "examples" / "stacks" / "fuller2021.toml"
WS = "ws://127.0.0.1:8765/ws"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(load_config(FULLER)), base_url="http://127.0.0.1:8765") as c:
        yield c


@pytest.fixture(scope="module")
def stack(client):
    return client.get("/api/info").json()["case"]["stack"]


def assert_same_json(got, ref, path="", rtol=1e-10):
    """Every value of ``ref`` (a CLI JSON object) equals the one in ``got`` (numbers to ``rtol``)."""
    if isinstance(ref, dict):
        for k, v in ref.items():
            assert k in got, f"{path}.{k} missing"
            assert_same_json(got[k], v, f"{path}.{k}", rtol)
    elif isinstance(ref, list):
        assert isinstance(got, list) and len(got) == len(ref), path
        if ref and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ref):
            np.testing.assert_allclose(got, ref, rtol=rtol, atol=0, err_msg=path)
        else:
            for i, (a, b) in enumerate(zip(got, ref, strict=True)):
                assert_same_json(a, b, f"{path}[{i}]", rtol)
    elif isinstance(ref, float) and not isinstance(ref, bool):
        assert got == pytest.approx(ref, rel=rtol, abs=0), path
    else:
        assert got == ref, path


def _cli(capsys, ocv, *args):
    code, out, err = run_cli(capsys, "impedance", str(FULLER), "--ocv", repr(ocv), "--json", *args)
    assert code in (0, None), err
    return json.loads(out)


@pytest.mark.parametrize("settings,args", [
    ({"points": 40}, ["--points", "40"]),
    ({"electrodes": "reversible", "transport": "independent", "points": 30},
     ["--electrodes", "reversible", "--transport", "independent", "--points", "30"]),
    ({"electrodes": "butler-volmer", "i0_A_cm2": 1e-5, "alpha_t": 0.5, "points": 30},
     ["--electrodes", "butler-volmer", "--i0", "1e-5", "--alpha-t", "0.5", "--points", "30"]),
])
def test_panel_equals_cli_impedance_json(client, stack, capsys, settings, args):
    r = client.post("/api/panel/impedance", json={"stack": stack, "ocv": 3.7, **settings})
    assert r.status_code == 200, r.text
    got = r.json()
    assert_same_json(got, _cli(capsys, 3.7, *args))
    assert len(got["Z_fit_real_ohm_cm2"]) == len(got["frequency_Hz"]) and got["compute_ms"] > 0


def test_panel_over_the_websocket(client, stack):
    body = {"stack": stack, "ocv": 2.0, "points": 20}
    ref = client.post("/api/panel/impedance", json=body).json()
    with client.websocket_connect(WS) as ws:
        ws.send_text(json.dumps({"type": "panel", "id": 5, "name": "impedance", **body}))
        got = json.loads(ws.receive_text())
        ws.send_text(json.dumps({"type": "panel", "id": 6, "name": "impedance", **body, "electrodes": "butler-volmer"}))
        bad = json.loads(ws.receive_text())
        ws.send_text(json.dumps({"type": "panel", "id": 7, "name": "nothing", **body}))
        missing = json.loads(ws.receive_text())
    assert got["type"] == "panel" and got["id"] == 5 and got["name"] == "impedance"
    got["result"].pop("compute_ms"), ref.pop("compute_ms")
    assert got["result"] == ref
    assert bad["type"] == "error" and bad["id"] == 6 and "butler-volmer electrodes need" in bad["message"]
    assert missing["type"] == "error" and missing["field"] == "request" and "no panel" in missing["message"]


@pytest.mark.parametrize("change,needle", [
    ({"electrodes": "butler-volmer"}, "butler-volmer electrodes need the exchange current density i0"),
    ({"electrodes": "butler-volmer", "i0_A_cm2": 1e-5}, "i0 and alpha_t go together"),
    ({"i0_A_cm2": 1e-5, "alpha_t": 0.5}, "apply to butler-volmer electrodes only"),
    ({"electrodes": "butler-volmer", "i0_A_cm2": -1.0, "alpha_t": 0.5}, "i0 must be > 0"),
    ({"electrodes": "ohmic"}, "electrodes must be one of"),
    ({"transport": "ballistic"}, "transport must be one of"),
    ({"points": 1}, "points must be a whole number"),
    ({"points": 10.5}, "points must be a whole number"),
    ({"ocv": 9.0}, "OCV 9 V is outside"),
])
def test_bad_settings_are_one_line_messages(client, stack, change, needle):
    r = client.post("/api/panel/impedance", json={"stack": stack, "ocv": 3.0, "points": 10, **change})
    assert r.status_code == 400, r.text
    msg = r.json()["error"]
    assert needle in msg and "\n" not in msg


def test_electrolyte_without_transport_data_is_a_message(client, stack):
    s = json.loads(json.dumps(stack))
    s["layer"][2] = {"material": "LLZO", "role": "electrolyte", "thickness_nm": 1000}
    s.pop("interface", None)
    band = client.post("/api/band", json={"stack": s, "ocv": 3.0})
    assert band.status_code == 200  # the band diagram needs no transport data
    r = client.post("/api/panel/impedance", json={"stack": s, "ocv": 3.0, "points": 10})
    assert r.status_code == 400 and "LLZO" in r.json()["error"] and "conductivity_fraction_Li_i" in r.json()["error"]


def test_request_defaults():
    assert impedance_request({"ocv": 1}) == {"ocv": 1.0, "electrodes": "blocking", "transport": "local-equilibrium",
                                             "kinetics": None, "points": 60}
