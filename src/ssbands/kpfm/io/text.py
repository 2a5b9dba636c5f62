r"""Plain-text / CSV maps and NumPy ``.npy`` maps (readers and writers).

Text maps: optional header lines ``key: value`` (or ``key = value``, optionally after ``#``) followed
by rows of numbers separated by tabs, commas, semicolons or spaces. Any line ending works (``\n``,
``\r\n`` and old-Mac ``\r``). Recognised keys (case-insensitive): ``title``/``channel``,
``unit``, ``x size [m]``/``y size [m]`` (any length unit in brackets, e.g. ``[nm]``, ``[um]``),
``pixel size [nm]``, ``cpd convention`` (``sample``/``tip``). Everything else is kept as metadata.

``.npy`` maps are loaded with ``allow_pickle=False``. A JSON side file ``NAME.npy.json`` (written by
:func:`write_npy`) may give ``title``, ``unit``, ``size_m`` and ``cpd_convention``.

When a file states no unit, the unit is inferred from its title or file name: a name that says
potential (CPD, KPFM, potential, ...) gives V (``unit_source="inferred"``, reported in the notes);
otherwise the unit stays unknown and the channel is not picked automatically.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ...profile import atomic_write
from ._core import (
    CONVENTIONS,
    UNKNOWN_CONVENTION,
    KPFMFile,
    choose_potential,
    fail,
    looks_like_potential,
    make_channel,
    si_unit,
)

_MAX_TEXT = 256 * 1024 * 1024
_HEADER = re.compile(r"^\s*#?\s*(?P<key>[^:=\t]*?[A-Za-z][^:=\t]*?)\s*[:=]\s*(?P<val>.*?)\s*$")
_SPLIT = re.compile(r"[\t,; ]+")
_BRACKET_UNIT = re.compile(r"[\[(]\s*([^\])]+?)\s*[\])]")


def _size_from_header(header: dict[str, str]) -> tuple[tuple[float, float] | None, list[str]]:
    sx = sy = px = None
    notes: list[str] = []
    for key, val in header.items():
        k = key.lower()
        m = _BRACKET_UNIT.search(key)
        unit = m.group(1) if m else "m"
        base, f = si_unit(unit)
        if base != "m":
            continue
        try:
            v = float(val.split()[0]) * f
        except (ValueError, IndexError):
            continue
        if re.search(r"pixel ?size", k):
            px = v
        elif re.search(r"\bx\b.*(size|range|length|width)|(size|range|length|width).*\bx\b|^width", k):
            sx = v
        elif re.search(r"\by\b.*(size|range|length|height)|(size|range|length|height).*\by\b", k):
            sy = v
    return (sx, sy, px), notes  # type: ignore[return-value]


def _convention(header: dict[str, str]) -> str | None:
    for k, v in header.items():
        if "convention" in k.lower():
            key = v.strip().lower()
            if key in CONVENTIONS:
                return CONVENTIONS[key]
            for text in CONVENTIONS.values():
                if v.strip() == text:
                    return text
    return None


def _unit_and_title(path: Path, header: dict[str, str], title: str | None, unit: str | None):
    notes = []
    title = title or next((v for k, v in header.items() if k.lower() in ("title", "channel", "name")), None) \
        or path.stem
    if unit is None:
        unit = next((v for k, v in header.items() if k.lower() in ("unit", "units", "z unit", "zunit")), None)
    src = "file"
    if not unit:
        if looks_like_potential(title) or looks_like_potential(path.stem):
            unit, src = "V", "inferred"
            notes.append(f"unit not stated in the file; V assumed because the name {title!r} says potential")
        else:
            unit, src = "", "unknown"
            notes.append("unit not stated in the file and the name does not say potential; pass the channel "
                         "name explicitly to use it")
    return title, unit, src, notes


def _finish(path, fmt, data, header, title, unit, src, notes, size):
    sx, sy, px = size
    ny, nx = data.shape
    if sx is None and px is not None:
        sx = px * nx
    if sy is None and px is not None:
        sy = px * ny
    if sx is not None and sy is None:
        sy = sx * ny / nx
        notes.append("y size not stated; square pixels assumed")
    size_m = (sx, sy) if sx is not None else None
    if size_m is None:
        notes.append("the file gives no physical size (pixel units only); pass pixel_size_nm= (CLI: "
                     "--pixel-size-nm) to make a profile")
    ch = make_channel(title, unit, data, size_m, unit_source=src)
    pot, why = choose_potential([ch], path)
    conv = _convention(header) or UNKNOWN_CONVENTION
    return KPFMFile(path, fmt, (ch,), pot, conv, tuple(notes + why), dict(header))


def read_text(path: Path) -> KPFMFile:
    """Read a text/CSV map (see the module docstring).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    KPFMFile
        Channels in SI base units (V, m, Hz, ...), scan size in m.
    """
    if path.stat().st_size > _MAX_TEXT:
        raise fail(path, f"text file larger than {_MAX_TEXT // 2**20} MiB")
    raw = path.read_bytes()
    if b"\0" in raw[:65536]:
        raise fail(path, "contains NUL bytes: a binary file, not a text map")
    text = raw.decode("utf-8", errors="replace")
    if text.count("\ufffd") > max(16, len(text) // 100):
        raise fail(path, "is not text (many bytes that are not UTF-8)")
    header: dict[str, str] = {}
    rows: list[list[float]] = []
    for n, line in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        s = line.strip()
        if not s:
            continue
        toks = [t for t in _SPLIT.split(s) if t]
        if rows or (toks and all(_isnum(t) for t in toks)):
            if s.startswith("#"):
                continue
            try:
                rows.append([float(t) for t in toks])
            except ValueError:
                raise fail(path, f"line {n} is not a row of numbers: {s[:60]!r}") from None
            continue
        m = _HEADER.match(s)
        if m:
            if len(header) < 10000:
                header[m.group("key").lstrip("#").strip()] = m.group("val")
        elif not s.startswith("#"):
            raise fail(path, f"line {n} is neither a 'key: value' header line nor numbers: {s[:60]!r}")
    if not rows:
        raise fail(path, "contains no rows of numbers")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise fail(path, f"rows have different numbers of values ({sorted(widths)[:5]}): truncated or "
                         "not a rectangular map")
    data = np.array(rows, dtype=float)
    if data.shape[0] < 2 or data.shape[1] < 2:
        raise fail(path, f"map of shape {data.shape} is too small (need at least 2 x 2)")
    title, unit, src, notes = _unit_and_title(path, header, None, None)
    size, _ = _size_from_header(header)
    return _finish(path, "text", data, header, title, unit, src, notes, size)


def _isnum(t: str) -> bool:
    try:
        float(t)
        return True
    except ValueError:
        return False


def read_npy(path: Path) -> KPFMFile:
    """Read a 2-D ``.npy`` map (never with pickle) and its optional JSON side file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    KPFMFile
        Channels in SI base units (V, m, Hz, ...), scan size in m.
    """
    try:
        with open(path, "rb") as fh:
            data = np.load(fh, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - numpy raises many types on bad headers
        raise fail(path, "not a valid .npy array (loaded without pickle)", exc) from None
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "fiub" or data.dtype.fields:
        raise fail(path, f"array of type {getattr(data, 'dtype', type(data))} is not a numeric map")
    if data.ndim != 2 or min(data.shape) < 2:
        raise fail(path, f"array of shape {data.shape} is not a 2-D map (ny, nx)")
    side = Path(str(path) + ".json")
    header: dict = {}
    if side.is_file():
        try:
            header = json.loads(side.read_text(encoding="utf-8"))
            if not isinstance(header, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            raise fail(side, "side file is not a JSON object", exc) from None
    title, unit, src, notes = _unit_and_title(path, {k: str(v) for k, v in header.items()
                                                     if isinstance(v, str)},
                                              header.get("title"), header.get("unit"))
    size: tuple[float | None, float | None, float | None] = (None, None, None)
    if "size_m" in header:
        try:
            sx, sy = (float(v) for v in header["size_m"])
            size = (sx, sy, None)
        except (TypeError, ValueError):
            raise fail(side, f"size_m {header['size_m']!r} is not two numbers") from None
    hdr = {k: v for k, v in header.items() if isinstance(v, (str, int, float))}
    if "cpd_convention" in header:
        hdr["convention"] = str(header["cpd_convention"])
    return _finish(path, "npy", np.asarray(data, dtype=float), hdr, title, unit, src, notes, size)


# ------------------------------------------------------------------------------------------ writers
def write_text(path: Path, data, *, title="CPD", unit="V", size_m=None, convention="sample",
               delimiter=None) -> Path:
    """Write a map as text with a ``key: value`` header (tab-separated; comma for ``.csv``).

    Parameters
    ----------
    path : Path
        The file to write.
    data : array_like, shape (ny, nx)
        Values in ``unit``.
    title, unit : str
        Channel title and unit (SI base unit, e.g. V).
    size_m : (float, float), optional
        Scan size ``(x, y)`` in m.
    convention : {"sample", "tip"}
        Sign convention recorded in the header.
    delimiter : str, optional
        Column separator; tab, or comma for ``.csv``.

    Returns
    -------
    Path
        The written file.
    """
    data = np.asarray(data, dtype=float)
    if data.ndim != 2:
        raise ValueError(f"data must be 2-D (ny, nx), got shape {data.shape}")
    delim = delimiter or ("," if path.suffix.lower() == ".csv" else "\t")
    lines = [f"# title: {title}", f"# unit: {unit}", f"# cpd convention: {convention}"]
    if size_m is not None:
        lines += [f"# x size [m]: {float(size_m[0])!r}", f"# y size [m]: {float(size_m[1])!r}"]

    def w(p):
        with open(p, "w", encoding="utf-8", newline="") as fh:
            fh.write("\n".join(lines) + "\n")
            np.savetxt(fh, data, delimiter=delim, fmt="%.10g")

    return atomic_write(path, w)


def write_npy(path: Path, data, *, title="CPD", unit="V", size_m=None, convention="sample") -> Path:
    """Write a map as ``.npy`` plus a JSON side file ``NAME.npy.json`` with title, unit and size.

    Parameters
    ----------
    path : Path
        The ``.npy`` file to write.
    data : array_like, shape (ny, nx)
        Values in ``unit``.
    title, unit : str
        Channel title and unit (SI base unit, e.g. V).
    size_m : (float, float), optional
        Scan size ``(x, y)`` in m.
    convention : {"sample", "tip"}
        Sign convention recorded in the side file.

    Returns
    -------
    Path
        The written ``.npy`` file.
    """
    data = np.asarray(data, dtype=float)
    if data.ndim != 2:
        raise ValueError(f"data must be 2-D (ny, nx), got shape {data.shape}")

    def w(p):
        with open(p, "wb") as fh:
            np.save(fh, data, allow_pickle=False)

    atomic_write(path, w)
    side = {"title": title, "unit": unit, "cpd_convention": convention}
    if size_m is not None:
        side["size_m"] = [float(size_m[0]), float(size_m[1])]
    atomic_write(Path(str(path) + ".json"), lambda p: Path(p).write_text(json.dumps(side, indent=1),
                                                                         encoding="utf-8"))
    return path
