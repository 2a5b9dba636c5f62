"""The page server: a thin Starlette (ASGI) app over :mod:`ssbands.web.compute` and its siblings.

Routes (all JSON unless stated):

* ``GET /`` the page; ``/static/...`` its scripts, styles and the vendored uPlot (no CDN).
* ``GET /api/info`` library, initial case, limits and capabilities.
* ``POST /api/band`` ``{"stack": {...}, "ocv": V[, "reference_ocv": V, "transport": limit, "kinetics":
  {"i0_A_cm2", "alpha_t"}]}`` → the ``ssbands band --json`` object of that stack and OCV (with
  ``--transport`` and ``--i0/--alpha-t``).
* ``WS /ws`` the slider channel: text ``{"type": "solve", "id", "stack", "ocv"[, "transport",
  "kinetics"]}`` in, one binary frame (:mod:`ssbands.web.protocol`) or a text ``{"type": "error",
  "id", "field", "message"}`` out; ``{"type": "panel", "id", "name", "stack", ...}`` is answered by
  ``{"type": "panel", "id", "name", "result"}`` (the page asks its panels on a second socket).
* ``POST /api/frame`` the same solve as one binary frame over HTTP.
* ``POST /api/export`` (PNG, SVG, CSV, NetCDF), ``/api/uncertainty``, ``/api/case/save``,
  ``/api/case/parse``, ``/api/kpfm/upload`` (raw bytes), ``/api/kpfm/fit``, ``/api/screen/live``,
  ``GET /api/screen`` (the ``--screen`` folder), ``POST /api/panel/{name}`` (registered panels; the
  impedance panel, :mod:`ssbands.web.impedance_panel`, is registered here).

Errors the user can fix come back as status 400 with ``{"error": one line, "field": control}``; the
server logs anything else and answers 500, and keeps serving.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .._version import __version__
from ..errors import SSBandsError
from ..materials import Library
from .case import EXPORTS, case_toml, export_bytes, parse_case
from .compute import Model, error_field, one_line, slider_range, solve_options
from .impedance_panel import impedance_panel
from .kpfm import FIT_PARAMETERS, UploadStore, fit_upload, read_upload
from .protocol import encode_frame
from .security import (
    SECURITY_HEADERS,
    RequestRefused,
    check_content_type,
    host_allowed,
    parse_json,
    read_limited,
    same_origin,
)
from .uncertainty import SPREAD_FIELDS, monte_carlo_bands

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("ssbands.web")

#: extra panels by name: ``fn(model, stack, body) -> JSON-ready dict``; each name is reported as a capability
PANELS: dict[str, Callable[[Model, Any, dict], dict]] = {}


def register_panel(name: str, compute: Callable[[Model, Any, dict], dict]) -> None:
    """Add a panel to the page (e.g. impedance): the server reports ``name`` as a capability.

    Parameters
    ----------
    name : str
        The panel's name (letters, digits, ``-``); the page shows the panel registered under it.
    compute : callable
        ``compute(model, stack, body)`` → JSON-ready dict for ``POST /api/panel/{name}``; ``stack`` is
        the validated :class:`ssbands.cell.Stack`, ``body`` the request (with ``ocv``).
    """
    PANELS[name] = compute


register_panel("impedance", impedance_panel)


@dataclass
class WebConfig:
    """Settings of one page server.

    Attributes
    ----------
    library : Library
        Materials (built-in plus ``--library``).
    stack : dict
        The initial stack (stack-file structure).
    ocv : float or None
        Initial OCV, V (None: the middle of the reachable range).
    title : str
        Where the initial stack came from.
    screen_dir : Path or None
        A screen folder for the explorer (from the command line only).
    loopback : bool
        Listening on loopback only (then only loopback Host headers are answered).
    max_upload_bytes, max_json_bytes : int
        Largest KPFM upload and largest JSON body, bytes.
    """

    library: Library
    stack: dict
    ocv: float | None = None
    title: str = ""
    screen_dir: Path | None = None
    loopback: bool = True
    max_upload_bytes: int = 32 * 2**20
    max_json_bytes: int = 2**20
    view: dict = field(default_factory=dict)


def _failure(exc: BaseException) -> JSONResponse:
    """The JSON error response of an exception (400 input, 4xx refused, 500 otherwise, logged)."""
    if isinstance(exc, RequestRefused):
        return JSONResponse({"error": str(exc), "field": "request"}, status_code=exc.status)
    if isinstance(exc, (SSBandsError, ValueError)):
        msg = one_line(exc)
        return JSONResponse({"error": msg, "field": error_field(msg)}, status_code=400)
    log.exception("internal error")
    return JSONResponse({"error": f"internal error ({type(exc).__name__}: {one_line(exc)}); the server keeps running",
                         "field": "stack"}, status_code=500)


def _guarded(fn):
    async def endpoint(request: Request):
        try:
            return await fn(request)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a response; the server stays up
            return _failure(exc)

    endpoint.__name__ = fn.__name__
    return endpoint


def _materials(lib: Library) -> list[dict]:
    from ..thermo import work_function_depends_on_li

    out = []
    for m in sorted(lib.values(), key=lambda m: (m.kind, m.name.lower())):
        li_wf = m.is_electron_conductor and work_function_depends_on_li(m)
        roles = {"metal": ["current-collector", "base"], "electrolyte": ["electrolyte"],
                 "electrode": ["anode", "cathode"] + ([] if li_wf else ["current-collector", "base"])}[m.kind]
        out.append({"name": m.name, "kind": m.kind, "description": m.description, "roles": roles})
    return out


class Handlers:
    """The route handlers of one server (its config, model, uploads and screen table)."""

    def __init__(self, config: WebConfig):
        self.config = config
        self.model = Model(config.library)
        self.uploads = UploadStore()
        self._screen: Any = None

    async def json_body(self, request: Request) -> Any:
        """The request's JSON body (Content-Type and size checked)."""
        check_content_type(request.headers, "application/json")
        return parse_json(await read_limited(request, self.config.max_json_bytes))

    @staticmethod
    def _object(body: Any) -> dict:
        if not isinstance(body, dict):
            raise RequestRefused(400, "the body must be a JSON object")
        return body

    async def index(self, request: Request):
        """The page."""
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})

    async def info(self, request: Request):
        """Library, initial case, limits and capabilities."""
        c = self.config
        rng = await run_in_threadpool(self.model.ocv_range, c.stack)
        lo, hi = slider_range(rng)
        ocv = c.ocv if c.ocv is not None else round(0.5 * (lo + hi), 3)
        caps = {"screen_folder": c.screen_dir is not None, **{name: True for name in PANELS}}
        return JSONResponse({
            "version": __version__, "title": c.title, "materials": _materials(c.library),
            "case": {"stack": c.stack, "view": {**c.view, "ocv": ocv}},
            "capabilities": caps, "fit_parameters": list(FIT_PARAMETERS), "spread_fields": list(SPREAD_FIELDS),
            "exports": list(EXPORTS),
            "limits": {"max_upload_bytes": c.max_upload_bytes, "max_json_bytes": c.max_json_bytes},
        })

    async def band(self, request: Request):
        """The ``ssbands band --json`` object of a stack at one OCV."""
        body = self._object(await self.json_body(request))
        opts = solve_options(body)
        solved = await run_in_threadpool(lambda: self.model.solve(body.get("stack"), body.get("ocv"),
                                                                  body.get("reference_ocv"), **opts))
        return JSONResponse(solved.summary)

    async def frame(self, request: Request):
        """One solve as a binary frame (as on the WebSocket): pinned cases, restored views, scripts."""
        body = self._object(await self.json_body(request))
        opts = solve_options(body)
        solved = await run_in_threadpool(lambda: self.model.solve_fast(body.get("stack"), body.get("ocv"),
                                                                       body.get("reference_ocv"), **opts))
        data = encode_frame({"type": "solve", "id": None, **solved.header()}, solved.frame_arrays())
        return Response(data, media_type="application/octet-stream")

    async def ocv_range(self, request: Request):
        """Reachable OCV range and slider span of a stack."""
        body = self._object(await self.json_body(request))
        lo, hi = await run_in_threadpool(self.model.ocv_range, body.get("stack"))
        return JSONResponse({"range": [v if math.isfinite(v) else None for v in (lo, hi)],
                             "slider": list(slider_range((lo, hi)))})

    async def export(self, request: Request):
        """The state on screen as a PNG, SVG, CSV or NetCDF file."""
        body = self._object(await self.json_body(request))
        fmt = str(body.get("format", ""))
        if fmt not in EXPORTS:
            raise RequestRefused(400, f"format must be one of {', '.join(EXPORTS)}")
        opts = solve_options(body)
        solved = await run_in_threadpool(lambda: self.model.solve(body.get("stack"), body.get("ocv"), **opts))
        data = await run_in_threadpool(export_bytes, solved.dataset, fmt)
        name = f"ssbands_band_{solved.summary['ocv_V']:.3f}V{EXPORTS[fmt][0]}"
        return Response(data, media_type=EXPORTS[fmt][1],
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    async def uncertainty(self, request: Request):
        """Monte Carlo bands of the band diagram at the page's OCV."""
        body = self._object(await self.json_body(request))
        stack = await run_in_threadpool(self.model.stack, body.get("stack"))
        ocv = self.model_ocv(body)
        out = await run_in_threadpool(lambda: monte_carlo_bands(
            stack, self.model.library, ocv, body.get("spreads", {}), n_samples=body.get("n_samples", 50),
            seed=body.get("seed", 0), distribution=body.get("distribution", "uniform")))
        from ..profile import to_jsonable

        return JSONResponse(to_jsonable(out))

    @staticmethod
    def model_ocv(body: dict) -> float:
        """The ``ocv`` of a request body, checked."""
        from .compute import finite_number

        return finite_number(body.get("ocv"), "ocv", "V")

    async def case_save(self, request: Request):
        """A case file (stack TOML with the view settings) of the page's state."""
        body = self._object(await self.json_body(request))
        await run_in_threadpool(self.model.stack, body.get("stack"))
        view = body.get("view") or {}
        if not isinstance(view, dict):
            raise RequestRefused(400, "view must be an object")
        text = case_toml(body["stack"], view, body.get("title"))
        return Response(text, media_type="application/toml",
                        headers={"content-disposition": 'attachment; filename="ssbands_case.toml"'})

    async def case_parse(self, request: Request):
        """The stack and view of a case file's text (the stack validated)."""
        body = self._object(await self.json_body(request))
        text = body.get("text")
        if not isinstance(text, str):
            raise RequestRefused(400, "text must be the case file's text")
        stack, view = parse_case(text)
        await run_in_threadpool(self.model.stack, stack)
        return JSONResponse({"stack": stack, "view": view})

    async def kpfm_upload(self, request: Request):
        """Read an uploaded KPFM file (raw bytes; name and options in the query) into a profile."""
        check_content_type(request.headers, "application/octet-stream")
        data = await read_limited(request, self.config.max_upload_bytes)
        if not data:
            raise RequestRefused(400, "the upload is empty")
        q = request.query_params
        px = q.get("pixel_size_nm")
        item = await run_in_threadpool(lambda: read_upload(
            data, q.get("name", "upload"), pixel_size_nm=float(px) if px else None, channel=q.get("channel") or None,
            flip_sign=q.get("flip_sign") in ("1", "true")))
        token = self.uploads.add(item)
        from ..profile import to_jsonable

        return JSONResponse(to_jsonable({"token": token, **item}))

    async def kpfm_fit(self, request: Request):
        """Fit the model on the page to an uploaded profile."""
        body = self._object(await self.json_body(request))
        measured = self.uploads.get(body.get("token"))
        stack = await run_in_threadpool(self.model.stack, body.get("stack"))
        out = await run_in_threadpool(fit_upload, stack, self.model.library, measured, body.get("ocv"),
                                      body.get("params", ["offset", "width"]), body.get("reference_ocv"))
        return JSONResponse(out)

    async def screen_folder(self, request: Request):
        """Heatmap of the ``--screen`` folder."""
        from .screen import heatmap, table_from_folder

        if self.config.screen_dir is None:
            raise RequestRefused(404, "no screen folder: start `ssbands web --screen DIR` (or compute one live)")
        if self._screen is None:
            self._screen = await run_in_threadpool(table_from_folder, self.config.screen_dir)
        q = request.query_params
        out = await run_in_threadpool(heatmap, self._screen, q.get("descriptor", "phi0_V"), q.get("state", "worst"),
                                      q.get("closure") or None)
        return JSONResponse({"source": str(Path(self.config.screen_dir).name), **out})

    async def screen_live(self, request: Request):
        """Heatmap of a small screen computed now."""
        from .screen import heatmap, table_live

        body = self._object(await self.json_body(request))
        df = await run_in_threadpool(table_live, self.model.library, body)
        out = await run_in_threadpool(heatmap, df, body.get("descriptor", "phi0_V"), body.get("state", "worst"))
        return JSONResponse({"source": "live", **out})

    async def panel(self, request: Request):
        """A registered extra panel (e.g. impedance) for the page's stack and OCV."""
        name = request.path_params["name"]
        if name not in PANELS:
            raise RequestRefused(404, f"no panel {name!r} on this server")
        body = self._object(await self.json_body(request))
        stack = await run_in_threadpool(self.model.stack, body.get("stack"))
        return JSONResponse(await run_in_threadpool(PANELS[name], self.model, stack, body))

    def panel_result(self, msg: dict) -> dict:
        """The answer of a registered panel to a request (``name``, ``stack`` and the panel's settings).

        Parameters
        ----------
        msg : dict
            The request (a WebSocket message or an HTTP body with ``name``).

        Returns
        -------
        dict
            What the panel's compute function returns (JSON-ready).
        """
        name = msg.get("name")
        if not isinstance(name, str) or name not in PANELS:
            raise RequestRefused(404, f"no panel {name!r} on this server")
        return PANELS[name](self.model, self.model.stack(msg.get("stack")), msg)

    def solve_message(self, text: str, received: float | None = None) -> bytes | str:
        """The reply to one WebSocket message: a binary frame (solve), a JSON text (panel) or a JSON error text.

        Parameters
        ----------
        text : str
            The message.
        received : float, optional
            ``time.perf_counter()`` when the server received it (the frame's ``queue_ms`` is the wait
            from then to the start of the solve, ms).

        Returns
        -------
        bytes or str
        """
        rid = None
        t0 = time.perf_counter()
        queue_ms = (t0 - received) * 1e3 if received is not None else 0.0
        try:
            msg = parse_json(text)
            if not isinstance(msg, dict) or msg.get("type") not in ("solve", "panel"):
                raise RequestRefused(400, 'messages are {"type": "solve", "id", "stack", "ocv"} or '
                                          '{"type": "panel", "id", "name", "stack", ...}')
            rid = msg.get("id")
            if msg["type"] == "panel":
                return json.dumps({"type": "panel", "id": rid, "name": msg.get("name"),
                                   "result": self.panel_result(msg)}, allow_nan=False)
            solved = self.model.solve_fast(msg.get("stack"), msg.get("ocv"), msg.get("reference_ocv"),
                                           **solve_options(msg))
            arrays = solved.frame_arrays()
            handle_ms = (time.perf_counter() - t0) * 1e3
            return encode_frame({"type": "solve", "id": rid, **solved.header(), "handle_ms": handle_ms,
                                 "queue_ms": queue_ms}, arrays)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message; the server stays up
            if not isinstance(exc, (SSBandsError, ValueError, RequestRefused)):
                log.exception("internal error in a solve")
            msg_text = one_line(exc)
            fld = error_field(msg_text) if not isinstance(exc, RequestRefused) else "request"
            return json.dumps({"type": "error", "id": rid if isinstance(rid, (int, str)) else None,
                               "field": fld, "message": msg_text})

    async def websocket(self, ws: WebSocket):
        """The slider channel: one solve (or panel request) per message, answered in order."""
        if not same_origin(ws.headers.get("origin"), ws.headers.get("host")):
            await ws.close(code=1008)
            return
        await ws.accept()
        try:
            while True:
                message = await ws.receive()
                received = time.perf_counter()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    await ws.send_text(json.dumps({"type": "error", "id": None, "field": "request",
                                                   "message": "send solve requests as JSON text"}))
                    continue
                if len(text) > self.config.max_json_bytes:
                    reply: bytes | str = json.dumps({"type": "error", "id": None, "field": "request",
                                                     "message": "message larger than the server's limit"})
                else:
                    reply = await run_in_threadpool(self.solve_message, text, received)
                if isinstance(reply, bytes):
                    await ws.send_bytes(reply)
                else:
                    await ws.send_text(reply)
        except WebSocketDisconnect:
            return


class Guard:
    """ASGI middleware: refuse non-loopback Host headers on a loopback server; add security headers."""

    def __init__(self, app, loopback: bool):
        self.app = app
        self.loopback = loopback

    async def __call__(self, scope, receive, send):
        """Handle one ASGI connection (HTTP or WebSocket)."""
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if not host_allowed(headers.get("host"), self.loopback):
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await JSONResponse({"error": "this server answers loopback host names only", "field": "request"},
                                      status_code=421)(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(config: WebConfig) -> Guard:
    """The ASGI app of the page server.

    Parameters
    ----------
    config : WebConfig

    Returns
    -------
    Guard
        The Starlette app inside its guard (an ASGI app; serve it with uvicorn, see
        :func:`ssbands.web.server.serve`).
    """
    h = Handlers(config)
    post = [("/api/band", h.band), ("/api/frame", h.frame), ("/api/range", h.ocv_range), ("/api/export", h.export),
            ("/api/uncertainty", h.uncertainty), ("/api/case/save", h.case_save), ("/api/case/parse", h.case_parse),
            ("/api/kpfm/upload", h.kpfm_upload), ("/api/kpfm/fit", h.kpfm_fit), ("/api/screen/live", h.screen_live),
            ("/api/panel/{name}", h.panel)]
    routes = [Route("/", h.index), Route("/api/info", _guarded(h.info)),
              Route("/api/screen", _guarded(h.screen_folder)),
              *(Route(path, _guarded(fn), methods=["POST"]) for path, fn in post),
              WebSocketRoute("/ws", h.websocket),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes)
    app.state.handlers = h
    return Guard(app, config.loopback)
