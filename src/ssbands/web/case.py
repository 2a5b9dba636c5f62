"""Case files and exports of the page.

A case file is a stack TOML file (docs/stack-file.md) that also keeps the page's view settings
(OCV, pinned cases, panels) on one comment line ``#@ssbands-web {JSON}``: ``ssbands band`` reads it
as an ordinary stack file, and the page restores the whole view from it. Exports are the state on
screen: the band diagram as PNG or SVG (the package's figure), the Profile as CSV or NetCDF.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import threading
import tomllib
from pathlib import Path
from typing import Any

from ..errors import InputError

VIEW_PREFIX = "#@ssbands-web "
#: export format -> (file suffix, media type)
EXPORTS = {"png": (".png", "image/png"), "svg": (".svg", "image/svg+xml"), "csv": (".csv", "text/csv"),
           "nc": (".nc", "application/x-netcdf")}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_FIGURE_LOCK = threading.Lock()  # pyplot is not thread-safe; exports run in worker threads


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k)


def _value(v: Any) -> str:
    """One TOML value (strings, booleans, finite numbers, arrays of these)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise InputError(f"case file: a number must be finite, got {v!r}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise InputError(f"case file: cannot write a value of type {type(v).__name__}")


def _table(d: dict, header: str | None) -> list[str]:
    lines = [header] if header else []
    for k, v in d.items():
        if isinstance(v, dict) or (isinstance(v, list) and v and all(isinstance(x, dict) for x in v)):
            continue
        if v is not None:
            lines.append(f"{_key(k)} = {_value(v)}")
    return lines


def case_toml(stack: dict, view: dict | None = None, title: str | None = None) -> str:
    """The text of a case file: the stack as TOML, the view settings on one comment line.

    Parameters
    ----------
    stack : dict
        The stack in the stack-file structure (as :func:`ssbands.web.compute.stack_to_client` gives).
    view : dict, optional
        The page's view settings (JSON-ready).
    title : str, optional
        A title written as the stack file's ``title``.

    Returns
    -------
    str
        TOML text that ``tomllib`` parses back to ``stack`` (plus ``title``).
    """
    head = ["# ssbands case file: a stack file (ssbands band reads it) with the web page's view on the line below"]
    head.append(VIEW_PREFIX + json.dumps(view or {}, separators=(",", ":"), allow_nan=False))
    top = dict(stack)
    if title:
        top = {"title": str(title), **{k: v for k, v in top.items() if k != "title"}}
    lines = head + _table(top, None)
    for name in ("layer", "interface"):
        for row in top.get(name) or []:
            lines += [""] + _table(dict(row), f"[[{name}]]")
    return "\n".join(lines) + "\n"


def parse_case(text: str) -> tuple[dict, dict]:
    """The stack and the view settings of a case file (or of a plain stack file: empty view).

    Parameters
    ----------
    text : str
        The file's text.

    Returns
    -------
    (dict, dict)
        The stack-file structure and the view settings.
    """
    try:
        stack = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"case file is not valid TOML: {exc}") from None
    view: dict = {}
    for line in text.splitlines():
        if line.startswith(VIEW_PREFIX):
            try:
                view = json.loads(line[len(VIEW_PREFIX):])
            except ValueError as exc:
                raise InputError(f"case file: the {VIEW_PREFIX.strip()} line is not JSON: {exc}") from None
            if not isinstance(view, dict):
                raise InputError(f"case file: the {VIEW_PREFIX.strip()} line must hold a JSON object")
            break
    stack.pop("title", None)
    return stack, view


def export_bytes(ds, fmt: str) -> bytes:
    """The state on screen as a file: band diagram PNG/SVG, or the Profile as CSV/NetCDF.

    Parameters
    ----------
    ds : xarray.Dataset
        The single-state band-diagram Profile.
    fmt : {"png", "svg", "csv", "nc"}

    Returns
    -------
    bytes
        The file's content (written to a private temporary folder and read back).
    """
    if fmt not in EXPORTS:
        raise InputError(f"export format must be one of {', '.join(EXPORTS)}, got {fmt!r}")
    suffix = EXPORTS[fmt][0]
    with tempfile.TemporaryDirectory(prefix="ssbands-web-") as tmp:
        path = Path(tmp) / f"band{suffix}"
        if fmt in ("png", "svg"):
            from ..plotting import band_diagram

            with _FIGURE_LOCK:
                band_diagram(ds, path)
        else:
            ds.ssb.write(path)
        return path.read_bytes()
