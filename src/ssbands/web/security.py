"""The page server's guards: loopback hosts, body size limits, same-origin WebSockets, safe headers.

* The server listens on the loopback interface unless told otherwise (:func:`is_loopback`); while it
  does, it answers only requests addressed to a loopback host name (no DNS rebinding).
* Request bodies are read in chunks up to a limit (:func:`read_limited`); a larger body is refused
  with status 413 before it is held in memory.
* JSON endpoints take ``application/json`` and uploads ``application/octet-stream`` only, so another
  web site cannot post to them from a user's browser without a CORS preflight (which is not granted).
* A WebSocket from a browser must come from the page's own origin (:func:`same_origin`).
* Every response carries a Content-Security-Policy without ``unsafe-eval`` or inline scripts.
* Nothing the client sends is unpickled or evaluated: bodies are parsed as JSON (finite numbers
  only) or handed as bytes to the package's file readers (``.npy`` without pickle).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
}


class RequestRefused(Exception):
    """A request the server refuses, with the HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or an address) is on the loopback interface only.

    Parameters
    ----------
    host : str
        The address the server binds, e.g. ``127.0.0.1``, ``localhost``, ``::1`` or ``0.0.0.0``.

    Returns
    -------
    bool
    """
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def host_allowed(host_header: str | None, loopback: bool) -> bool:
    """Whether a request's ``Host`` header may be answered (any, unless the server is loopback-only).

    Parameters
    ----------
    host_header : str or None
        The ``Host`` header (``name[:port]``).
    loopback : bool
        The server listens on loopback only.

    Returns
    -------
    bool
    """
    if not loopback:
        return True
    if not host_header:
        return False
    name = urlsplit("//" + host_header).hostname or ""
    return is_loopback(name)


def same_origin(origin: str | None, host_header: str | None) -> bool:
    """Whether a WebSocket's ``Origin`` is the page's own (no Origin: not a browser, allowed).

    Parameters
    ----------
    origin : str or None
        The ``Origin`` header.
    host_header : str or None
        The ``Host`` header.

    Returns
    -------
    bool
    """
    if origin is None:
        return True
    if not host_header:
        return False
    return urlsplit(origin).netloc.lower() == host_header.lower()


def check_content_type(headers, expected: str) -> None:
    """Refuse (415) a body whose Content-Type is not ``expected``.

    Parameters
    ----------
    headers : mapping
        The request headers.
    expected : str
        ``application/json`` or ``application/octet-stream``.
    """
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != expected:
        raise RequestRefused(415, f"send the body as {expected} (got {ctype or 'no content type'})")


async def read_limited(request, limit: int) -> bytes:
    """The body of ``request``, read in chunks; refused (413) as soon as it exceeds ``limit`` bytes.

    Parameters
    ----------
    request : starlette.requests.Request
    limit : int
        Largest accepted body, bytes.

    Returns
    -------
    bytes
    """
    declared = request.headers.get("content-length")
    too_big = f"request body larger than the server's limit of {limit} bytes"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestRefused(413, too_big)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise RequestRefused(413, too_big)
    return bytes(buf)


def _no_constants(name: str):
    raise ValueError(f"{name} is not a finite number")


def parse_json(body: bytes | str) -> Any:
    """Parse a JSON body (plain JSON only: no NaN or Infinity); refused (400) otherwise.

    Parameters
    ----------
    body : bytes or str

    Returns
    -------
    object
    """
    try:
        return json.loads(body, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestRefused(400, f"the body is not valid JSON: {exc}") from None
