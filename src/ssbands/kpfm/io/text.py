r"""Plain-text / CSV maps and NumPy ``.npy`` maps (readers and writers).

Text maps: optional header lines ``key: value`` (or ``key = value``, optionally after ``#``) followed
by rows of numbers separated by tabs, commas, semicolons or spaces (in tab- or semicolon-separated
rows a comma inside a value is a decimal comma). Any line ending works (``\n``, ``\r\n`` and old-Mac
``\r``). Recognised keys (case-insensitive): ``title``/``channel``, ``unit``/``value units``, the scan
size as ``x size``/``y size``/``width``/``height``/``scan size``/``pixel size``, with the length unit
either in brackets in the key (``x size [nm]: 2000``) or after the value (``Width: 2.000 µm``, as
Gwyddion's ASCII export writes its ``# Channel:``, ``# Width:``, ``# Height:``, ``# Value units:``
header), and ``cpd convention`` (``sample``/``tip``). Everything else is kept as metadata. A size
field without a length unit is never guessed: the size is then unknown (pixel units only) and the
notes name the field.

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
    looks_like_other,
    looks_like_potential,
    make_channel,
    si_unit,
)

_MAX_TEXT = 256 * 1024 * 1024
_HEADER = re.compile(r"^\s*#?\s*(?P<key>[^:=\t]*?[A-Za-z][^:=\t]*?)\s*[:=]\s*(?P<val>.*?)\s*$")
_BRACKET_UNIT = re.compile(r"[\[(]\s*([^\])]+?)\s*[\])]")
_NUM = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?"
#: A size value: one or two numbers (``2``, ``2 x 3``, ``15 15``, ``2, 3``) and an optional unit after them.
_SIZE_VALUE = re.compile(rf"^\s*(?P<a>{_NUM})(?:\s*(?:[x×*;]|,\s)\s*(?P<b>{_NUM})|\s+(?P<b2>{_NUM}))?"
                         r"\s*(?P<unit>[^\d\s].*?)?\s*$")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+(?:[eE][-+]?\d+)?$")
_X_KEY = re.compile(r"^(?:image |scan )?width$|(?<![a-z])x(?![a-z]).*(size|range|length|width|extent|real)|"
                    r"(size|range|length|width|extent|real).*(?<![a-z])x(?![a-z])|^xreal$")
_Y_KEY = re.compile(r"^(?:image |scan )?height$|(?<![a-z])y(?![a-z]).*(size|range|length|height|extent|real)|"
                    r"(size|range|length|height|extent|real).*(?<![a-z])y(?![a-z])|^yreal$")
_XY_KEY = re.compile(r"^(?:scan|image)? ?(?:size|range|area)$")
_PX_KEY = re.compile(r"pixel ?(size|spacing|pitch)")
_TITLE_KEYS = ("title", "channel", "name", "channel name", "data name")
_UNIT_KEYS = ("unit", "units", "z unit", "z units", "zunit", "value unit", "value units", "data unit", "data units")


def _number(text: str) -> float:
    """A header number; a comma between digits is a decimal comma (Gwyddion writes the header in the locale)."""
    return float(text.replace(",", ".")) if "," in text and "." not in text else float(text)


def _length_factor(unit: str) -> float | None:
    """Metres per ``unit`` (``"µm"``, ``"nm"``, ``"~m"``, ``"Å"``, ...), or None when it is not a length."""
    u = unit.strip()
    if u in ("Å", "Å", "angstrom", "Angstrom"):
        return 1e-10
    base, f = si_unit(u)
    return f if base == "m" and u else None


def _size_field(key: str, val: str) -> tuple[list[float] | None, str | None]:
    """The length(s) in m of a size field, or None and why it cannot be used (unit missing, not a length)."""
    m_key = _BRACKET_UNIT.search(key)
    m = _SIZE_VALUE.match(val)
    if m is None:
        return None, f"header field {key!r}: {val!r} is not a number with a length unit"
    nums = [_number(m.group("a"))] + [_number(g) for g in (m.group("b"), m.group("b2")) if g]
    unit_after = (m.group("unit") or "").strip()
    unit_key = m_key.group(1) if m_key else ""
    if unit_key and unit_after and _length_factor(unit_key) != _length_factor(unit_after):
        raise ValueError(f"header field {key!r}: the unit in brackets ({unit_key!r}) and the unit after the "
                         f"value ({unit_after!r}) disagree")
    unit = unit_after or unit_key
    if not unit:
        return None, (f"header field '{key}: {val}' gives no length unit, so the scan size is unknown; write it "
                      f"with its unit (e.g. '{key}: {val} µm') or give the pixel size")
    f = _length_factor(unit)
    if f is None:
        return None, f"header field '{key}: {val}' is not a length (unit {unit!r}); the scan size is unknown"
    return [v * f for v in nums], None


def _size_from_header(header: dict[str, str]) -> tuple[tuple[float | None, float | None, float | None], list[str]]:
    """Scan size ``(x, y, pixel)`` in m from the header, and notes on size fields that could not be used.

    A length is read from a unit in brackets in the key (``x size [nm]: 2000``) or after the value
    (``Width: 2.000 µm``, Gwyddion's ASCII export); a size field without a unit is never guessed.
    """
    sx = sy = px = None
    notes: list[str] = []
    for key, val in header.items():
        k = _BRACKET_UNIT.sub("", key).strip().lower()
        kind = ("px" if _PX_KEY.search(k) else "x" if _X_KEY.search(k) else "y" if _Y_KEY.search(k)
                else "xy" if _XY_KEY.search(k) else None)
        if kind is None:
            continue
        vals, why = _size_field(key, val)
        if vals is None:
            notes.append(str(why))
            continue
        if kind == "px":
            px = vals[0]
        elif kind == "x":
            sx = vals[0]
        elif kind == "y":
            sy = vals[0]
        else:
            sx, sy = (vals[0], vals[-1]) if sx is None and sy is None else (sx, sy)
    return (sx, sy, px), notes


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
    title = title or next((v for k, v in header.items() if k.lower() in _TITLE_KEYS and v), None) or path.stem
    if unit is None:
        unit = next((v for k, v in header.items() if k.lower() in _UNIT_KEYS), None)
    src = "file"
    if not unit:
        if looks_like_potential(title) and not looks_like_other(title):
            unit, src = "V", "inferred"
            notes.append(f"unit not stated in the file; V assumed because the name {title!r} says potential")
        else:
            unit, src = "", "unknown"
            notes.append("unit not stated in the file and the name does not say potential; pass the channel "
                         "name explicitly to use it")
    return title, unit, src, notes


def _finish(path, fmt, data, header, title, unit, src, notes, size, size_notes=()) -> KPFMFile:
    sx, sy, px = size
    ny, nx = data.shape
    for n, s_, ax in ((nx, sx, "x"), (ny, sy, "y")):
        if px is not None and s_ is not None and not np.isclose(px * n, s_, rtol=0.01):
            raise fail(path, f"the header's pixel size ({px * 1e9:.6g} nm) x {n} pixels = {px * n * 1e9:.6g} nm "
                             f"disagrees with its {ax} size ({s_ * 1e9:.6g} nm); correct one of the two fields")
    if sx is None and px is not None:
        sx = px * nx
    if sy is None and px is not None:
        sy = px * ny
    if sx is not None and sy is None:
        sy = sx * ny / nx
        notes.append("y size not stated; square pixels assumed")
    if sx is None and sy is not None:
        sx = sy * nx / ny
        notes.append("x size not stated; square pixels assumed")
    size_m = (sx, sy) if sx is not None else None
    meta: dict = {}
    notes = notes + list(size_notes)
    if size_m is None:
        meta["size_note"] = "; ".join(size_notes) if size_notes else "the file gives no physical size"
        notes.append("no physical size (pixel units only): pass pixel_size_nm=VALUE or pixel_units=True to "
                     "make a profile")
    ch = make_channel(title, unit, data, size_m, unit_source=src, metadata=meta)
    pot, why = choose_potential([ch], path)
    conv = _convention(header) or UNKNOWN_CONVENTION
    return KPFMFile(path, fmt, (ch,), pot, conv, tuple(notes + why), dict(header))


def _decode(path: Path, raw: bytes) -> tuple[str, list[str]]:
    """Text of a text map: UTF-8, else Latin-1 (older exports write µ as the byte 0xB5)."""
    if b"\0" in raw[:65536]:
        raise fail(path, "contains NUL bytes: a binary file, not a text map")
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    bad = sum(1 for ch in text if "\x7f" <= ch <= "\x9f")
    if bad > max(16, len(text) // 100):
        raise fail(path, "is not text (many bytes that are neither UTF-8 nor Latin-1 text)")
    return text, ["the file is not UTF-8; read as Latin-1"]


def _tokens(s: str) -> list[str]:
    """Values of a data line.

    Tab- or semicolon-separated (a comma inside a value is then a decimal comma, as Gwyddion's
    export writes in some locales), else comma-separated, else whitespace-separated.
    """
    if "\t" in s or ";" in s:
        toks = [t.strip() for t in re.split(r"[\t;]", s) if t.strip()]
        if any("," in t for t in toks) and all(_DECIMAL_COMMA.match(t) or _isnum(t) for t in toks):
            toks = [t.replace(",", ".") for t in toks]
        return toks
    if "," in s:
        return [t.strip() for t in s.split(",") if t.strip()]
    return s.split()


def _parse_lines(path: Path, text: str) -> tuple[dict[str, str], list[list[float]]]:
    header: dict[str, str] = {}
    rows: list[list[float]] = []
    for n, line in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        s = line.strip()
        if not s:
            continue
        toks = _tokens(s)
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
    return header, rows


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
    text, notes0 = _decode(path, path.read_bytes())
    header, rows = _parse_lines(path, text)
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
    try:
        size, size_notes = _size_from_header(header)
    except ValueError as exc:
        raise fail(path, str(exc)) from None
    return _finish(path, "text", data, header, title, unit, src, notes0 + notes, size, size_notes)


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
