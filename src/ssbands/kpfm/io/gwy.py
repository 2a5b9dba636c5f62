r"""Gwyddion native ``.gwy`` files, read with :mod:`gwyfile` after a bounds-checked walk.

gwyfile trusts every length in the file: a flipped bit can make it loop for billions of iterations
or forever (a string component without its NUL terminator gives a component of size zero). So
:func:`_validate` first walks the whole serialisation (GWY format: ``GWYP`` magic, then objects
``name\0 size:u32 components``, each component ``name\0 typecode data``) with every length checked
against the buffer, and only a file that passes goes to gwyfile.

Channel quirks handled: a channel titled "Topography" in metres that is the raw source of another
channel calibrated to volts (recorded in the channel logs as ``proc::calibrate(... zunit="V")``)
is flagged as a mislabelled raw potential, and the calibrated channel is preferred.
"""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path

import numpy as np

from ._core import UNKNOWN_CONVENTION, KPFMFile, choose_potential, fail, make_channel, missing_library, si_unit

MAGIC = b"GWYP"
_FIXED = {"b": 1, "c": 1, "i": 4, "q": 8, "d": 8}
_ARRAY = {"C": 1, "I": 4, "Q": 8, "D": 8}
_MAX_DEPTH = 64


def _cstr(buf: bytes, pos: int, end: int) -> int:
    """Position just after the NUL that ends the string starting at ``pos``."""
    nul = buf.find(b"\0", pos, end)
    if nul < 0:
        raise ValueError(f"unterminated string at byte {pos}")
    return nul + 1


def _validate_object(buf: bytes, pos: int, end: int, depth: int) -> int:
    if depth > _MAX_DEPTH:
        raise ValueError("objects nested too deeply")
    name_end = _cstr(buf, pos, end)
    if name_end == pos + 1:
        raise ValueError(f"empty object name at byte {pos}")
    try:
        buf[pos:name_end - 1].decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"object name at byte {pos} is not UTF-8") from None
    if name_end + 4 > end:
        raise ValueError(f"object size at byte {name_end} runs past the end")
    (size,) = struct.unpack_from("<I", buf, name_end)
    start = name_end + 4
    obj_end = start + size
    if obj_end > end:
        raise ValueError(f"object at byte {pos} claims {size} bytes, beyond the end of its parent")
    p = start
    while p < obj_end:
        p = _validate_component(buf, p, obj_end, depth)
    return obj_end


def _validate_component(buf: bytes, pos: int, end: int, depth: int) -> int:
    name_end = _cstr(buf, pos, end)
    try:
        buf[pos:name_end - 1].decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"component name at byte {pos} is not UTF-8") from None
    if name_end >= end:
        raise ValueError(f"component at byte {pos} has no type code")
    tc = chr(buf[name_end])
    p = name_end + 1
    if tc in _FIXED:
        p += _FIXED[tc]
    elif tc == "s":
        q = _cstr(buf, p, end)
        try:
            buf[p:q - 1].decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"string at byte {p} is not UTF-8") from None
        p = q
    elif tc == "o":
        p = _validate_object(buf, p, end, depth + 1)
    elif tc in _ARRAY or tc in "SO":
        if p + 4 > end:
            raise ValueError(f"array length at byte {p} runs past the end")
        (n,) = struct.unpack_from("<I", buf, p)
        p += 4
        if tc in _ARRAY:
            p += n * _ARRAY[tc]
        elif tc == "S":
            if n > end - p:
                raise ValueError(f"string array at byte {p} claims {n} items")
            for _ in range(n):
                q = _cstr(buf, p, end)
                buf[p:q - 1].decode("utf-8")
                p = q
        else:
            if n > end - p:
                raise ValueError(f"object array at byte {p} claims {n} items")
            for _ in range(n):
                p = _validate_object(buf, p, end, depth + 1)
    else:
        raise ValueError(f"unknown type code {tc!r} at byte {name_end}")
    if p > end:
        raise ValueError(f"component at byte {pos} runs past the end of its object")
    return p


def _validate(buf: bytes) -> None:
    if buf[:4] != MAGIC:
        raise ValueError("not a Gwyddion file (no 'GWYP' magic)")
    end = _validate_object(buf, 4, len(buf), 0)
    if end != len(buf):
        raise ValueError(f"{len(buf) - end} unexpected bytes after the top-level object")


def _unit(u) -> str:
    if u is None:
        return ""
    try:
        return str(u.get("unitstr", "") or "")
    except AttributeError:
        return ""


_CALIB_V = re.compile(r"proc::calibrate\((?P<args>[^)]*)\)")


def _log(obj, key) -> list[str]:
    lg = obj.get(key)
    try:
        return [str(s) for s in (lg.get("strings") or [])]
    except AttributeError:
        return []


def _calibrates_to_volts(entries: list[str]) -> str | None:
    for e in entries:
        m = _CALIB_V.search(e)
        if m and re.search(r'zunit="?V"?(,|$|\s)', m.group("args")):
            return e.split("@")[0]
    return None


def read_gwy(path: Path) -> KPFMFile:
    """Read a Gwyddion ``.gwy`` file (all image channels).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    KPFMFile
        Channels in SI base units (V, m, Hz, ...), scan size in m.
    """
    buf = path.read_bytes()
    if buf[:4] == b"GWYO":
        raise fail(path, "is a Gwyddion 1.x file (magic 'GWYO'), an old format that gwyfile cannot read; open "
                         "it in Gwyddion 2 and save it again as .gwy (File > Save As)")
    try:
        import gwyfile
    except ImportError:
        raise missing_library(path, "gwyfile") from None
    try:
        _validate(buf)
    except (ValueError, struct.error, UnicodeDecodeError, RecursionError) as exc:
        raise fail(path, "corrupt or not a Gwyddion .gwy file", exc) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = gwyfile.load(str(path))
        keys = [k for k in obj.keys() if re.fullmatch(r"/\d+/data", k)]
    except Exception as exc:  # noqa: BLE001 - the library raises many types on bad input
        raise fail(path, "gwyfile cannot read it", exc) from None
    keys.sort(key=lambda k: int(k.split("/")[1]))
    raw = []
    for k in keys:
        df = obj[k]
        try:
            xres, yres = int(df["xres"]), int(df["yres"])
            data = np.asarray(df["data"], dtype=float)
            if data.size != xres * yres or xres < 1 or yres < 1:
                raise ValueError(f"{data.size} values for {xres} x {yres} pixels")
            data = data.reshape(yres, xres)
            size = (float(df["xreal"]), float(df["yreal"]))
            unit_xy, unit_z = _unit(df.get("si_unit_xy")), _unit(df.get("si_unit_z"))
        except Exception as exc:  # noqa: BLE001
            raise fail(path, f"data field {k} is malformed", exc) from None
        num = k.split("/")[1]
        title = str(obj.get(f"/{num}/data/title", f"Channel {num}"))
        raw.append((num, title, unit_xy, unit_z, data, size, _log(obj, f"/{num}/data/log")))
    if not raw:
        raise fail(path, "contains no image channels (no /N/data fields)")

    channels = []
    notes = []
    for num, title, unit_xy, unit_z, data, size, log in raw:
        base_xy, fxy = si_unit(unit_xy or "m")
        if base_xy != "m":
            raise fail(path, f"channel {title!r} has lateral unit {unit_xy!r}, not a length")
        size_m = (size[0] * fxy, size[1] * fxy)
        note = ""
        role = None
        # a channel in metres whose history shows it was recalibrated into volts elsewhere
        if si_unit(unit_z)[0] != "V":
            for num2, title2, _, unit2, _, _, log2 in raw:
                if num2 == num or si_unit(unit2)[0] != "V" or not log:
                    continue
                step = _calibrates_to_volts(log2[len(log):]) if log2[:len(log)] == log else None
                if step:
                    note = (f"labelled {title!r} [{unit_z}] but it is the raw potential signal: "
                            f"channel {title2!r} [V] was made from it by {step}")
                    role = "suspect-potential"
                    break
            own = _calibrates_to_volts(log)
            if own and not note:
                note = f"unit {unit_z!r} but its log calibrates it to volts ({own})"
                role = "suspect-potential"
        if note:
            notes.append(f"channel {title!r}: {note}")
        channels.append(make_channel(title, unit_z, data, size_m, metadata={"gwy_key": f"/{num}/data",
                                                                            "log": log},
                                     note=note, role=role))
    pot, why = choose_potential(channels, path)
    meta = {k: obj[k] for k in obj.keys() if isinstance(obj[k], (str, int, float, bool))}
    return KPFMFile(path, "gwyddion", tuple(channels), pot, UNKNOWN_CONVENTION, tuple(notes + why), meta)


def write_gwy(path: Path, channels) -> None:
    """Write ``[(title, unit, data (ny, nx), (sx_m, sy_m)), ...]`` as a Gwyddion file.

    Parameters
    ----------
    path : Path
        The file to write.
    channels : sequence of tuple
        ``(title, unit, data, (sx_m, sy_m))``: data in ``unit`` (SI base unit), scan size in m.
    """
    try:
        from gwyfile.objects import GwyContainer, GwyDataField, GwySIUnit
    except ImportError:
        raise missing_library(path, "gwyfile") from None
    c = GwyContainer()
    for i, (title, unit, data, size_m) in enumerate(channels):
        d = np.ascontiguousarray(np.asarray(data, dtype=float))
        c[f"/{i}/data"] = GwyDataField(d, xreal=float(size_m[0]), yreal=float(size_m[1]),
                                       si_unit_xy=GwySIUnit(unitstr="m"), si_unit_z=GwySIUnit(unitstr=unit))
        c[f"/{i}/data/title"] = str(title)
    c.tofile(str(path))
