r"""Bruker/Veeco/Digital Instruments Nanoscope files (``.spm``, ``.000``, ``.001``, ...).

No maintained Python library reads them, so this is a parser of the documented layout:

* a text header of ``\key: value`` lines (CR LF), grouped in sections that start with ``\*Name``
  and end at ``\*File list end``; every ``\*Ciao image list`` section describes one image;
* CIAO value parameters ``\@[group:]Name: V [soft scale] (hard scale) hard value``, where the soft
  scale names another parameter (e.g. ``Sens. Zscan``, ``nm/V``) whose value converts volts into
  physical units;
* the image at ``Data offset`` (bytes), ``Data length`` bytes, ``Bytes/pixel`` little-endian signed
  integers, ``Samps/line`` x ``Number of lines``, stored bottom line first.

Scaling chain of an image (Nanoscope ≥ 4.3; Command Reference Manual, appendix "Data File
Format"): value = raw × (Z-scale hard value / 2^(8·Bytes/pixel)) × soft scale, i.e. ``raw`` LSB ×
V/LSB × (nm/V). The data are rescaled to the full integer range when the file is saved, so the hard
value, not the acquisition's hard scale in parentheses, converts the stored LSB; this is also what
Gwyddion does for images. A channel whose hard value is not hard scale × 2^16 was auto-ranged: it
is valid, read with its hard value, and noted. The soft scale (a sensitivity such as ``Sens.
Zscan: V 15.068 nm/V``) is looked up in the Scanner list, then the Ciao scan list; a sensitivity
without a unit leaves the hard value's unit (V; deg for ``Sens. Phase``). A Z scale without a soft
scale is in its hard value's unit (seen for Potential). The display-only ``Z magnify`` is ignored.
Scan size ``"15 15 ~m"`` (``~m`` is µm) gives the physical size.

Bruker's KPFM ("Potential") applies the bias to the tip or the sample depending on the mode; the
convention is recorded as unknown.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import numpy as np

from ._core import UNKNOWN_CONVENTION, KPFMFile, choose_potential, fail, make_channel, si_unit

_END = b"\\*File list end"
_VALUE = re.compile(r"^\s*V\s*(?:\[(?P<soft>[^\]]*)\])?\s*(?:\((?P<hscale>[-+0-9.eE]+)\s*(?P<hsunit>[^)]*)\))?"
                    r"\s*(?P<hval>[-+0-9.eE]+)\s*(?P<unit>\S*)\s*$")


def _sections(text: str) -> list[tuple[str, dict[str, str]]]:
    secs: list[tuple[str, dict[str, str]]] = []
    cur: dict[str, str] = {}
    name = "header"
    for line in re.split(r"\r\n|\n|\r", text):
        line = line.strip()
        if not line.startswith("\\"):
            continue
        if line.startswith("\\*"):
            secs.append((name, cur))
            name, cur = line[2:].strip(), {}
            continue
        m = re.match(r"^\\@?(?:(\d+):)?([^:]*):(.*)$", line)
        if not m:
            continue
        group, k, v = m.group(1), m.group(2).strip(), m.group(3).strip()
        if len(cur) < 20000:
            # "\@2:Z scale" is stored as "2:Z scale" and as "Z scale"
            if group:
                cur[f"{group}:{k}"] = v
            cur.setdefault(k, v) if group else cur.__setitem__(k, v)
    secs.append((name, cur))
    return secs


def _value(s: str) -> dict | None:
    m = _VALUE.match(s)
    if not m:
        return None
    return {"soft": (m.group("soft") or "").strip(), "hscale": m.group("hscale"),
            "hsunit": (m.group("hsunit") or "").strip(), "hval": float(m.group("hval")),
            "unit": m.group("unit") or ""}


def _soft_scale(name: str, sections) -> tuple[float, str, str] | None:
    """``(value, unit, section)`` of a sensitivity, from the Scanner list first, then the Ciao scan list."""
    order = {"scanner list": 0, "microscope list": 0, "ciao scan list": 1}
    for sec, d in sorted(sections, key=lambda sd: order.get(sd[0].lower(), 2)):
        for key in (name, name.split(":", 1)[-1]):
            if key in d:
                m = re.match(r"^\s*V\s+([-+0-9.eE]+)\s*(\S*)", d[key])
                if m:
                    return float(m.group(1)), m.group(2), sec
    return None


def _z_scaling(path, title: str, zfield: str, secs, bpp: int) -> tuple[float, str, dict, str | None]:
    """Factor (unit per LSB), unit, the scaling record and a note (auto-ranged) of one image."""
    z = _value(zfield)
    if z is None:
        raise fail(path, f"image {title!r}: cannot parse Z scale {zfield!r}")
    lsb_v = z["hval"] / 2.0 ** (8 * bpp)
    note = None
    if z["hscale"] is not None and bpp == 2:
        hs = float(z["hscale"])
        if hs > 0 and not np.isclose(hs * 65536, z["hval"], rtol=1e-3):
            note = (f"image {title!r} was auto-ranged when saved: Z scale hard value {z['hval']:g} "
                    f"{z['unit'] or 'V'} is not hard scale {hs:g} V/LSB x 2^16; the hard value converts the "
                    f"stored data, as the format defines")
    unit = z["unit"] or "V"
    factor = lsb_v
    scaling = {"z_scale_hard_value": z["hval"], "z_scale_hard_scale": z["hscale"], "bytes_per_pixel": bpp,
               "volts_per_lsb": lsb_v, "auto_ranged": note is not None}
    if z["soft"]:
        ss = _soft_scale(z["soft"], secs)
        if ss is None:
            raise fail(path, f"image {title!r}: soft scale {z['soft']!r} is not defined in the header")
        sval, sunit, sec = ss
        num = sunit.split("/")[0] if "/" in sunit else sunit
        factor = lsb_v * sval
        unit = num or ("deg" if z["soft"].strip().lower() == "sens. phase" else unit)
        scaling.update({"soft_scale": z["soft"], "soft_scale_value": sval, "soft_scale_unit": sunit,
                        "soft_scale_section": sec})
    return factor, unit, scaling, note


def _int(d: dict, key: str, path) -> int:
    try:
        return int(float(d[key].split()[0]))
    except (KeyError, ValueError, IndexError):
        raise fail(path, f"image header lacks a valid {key!r}") from None


def _scan_size(s: str) -> tuple[float, float]:
    parts = s.split()
    nums = [float(p) for p in parts if re.fullmatch(r"[-+0-9.eE]+", p)]
    unit = next((p for p in parts if not re.fullmatch(r"[-+0-9.eE]+", p)), "nm")
    base, f = si_unit(unit)
    if base != "m" or not nums:
        raise ValueError(f"scan size {s!r}")
    return nums[0] * f, (nums[1] if len(nums) > 1 else nums[0]) * f


def read_nanoscope(path: Path) -> KPFMFile:
    """Read every image of a Nanoscope file, scaled to SI units (see the module docstring).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    KPFMFile
        Channels in SI base units (V, m, Hz, ...), scan size in m.
    """
    raw = path.read_bytes()
    if not raw.startswith(b"\\*File list") and not raw.startswith(b"?*File list"):
        raise fail(path, "not a Nanoscope file (it does not start with '\\*File list')")
    end = raw.find(_END, 0, 1 << 22)
    if end < 0:
        raise fail(path, "no '\\*File list end' in the header: truncated or not a Nanoscope file")
    text = raw[:end].decode("latin-1")
    secs = _sections(text)
    general = {}
    for name, d in secs:
        if name.lower() in ("file list", "ciao scan list", "scanner list", "equipment list",
                            "ciao force list", "header"):
            general.update(d)
    version = general.get("Version", "")
    scan_size_general = general.get("Scan size")
    channels = []
    notes = []
    for name, d in secs:
        if name.lower() != "ciao image list":
            continue
        off, length = _int(d, "Data offset", path), _int(d, "Data length", path)
        bpp = _int(d, "Bytes/pixel", path) if "Bytes/pixel" in d else 2
        nx = _int(d, "Samps/line", path)
        ny = _int(d, "Number of lines", path)
        if bpp not in (2, 4):
            raise fail(path, f"Bytes/pixel {bpp} is not 2 or 4")
        if not (0 < nx <= 1 << 15 and 0 < ny <= 1 << 15):
            raise fail(path, f"image size {nx} x {ny} is not valid")
        if length < nx * ny * bpp:
            raise fail(path, f"Data length {length} is less than {nx} x {ny} x {bpp} bytes")
        if off < end or off + nx * ny * bpp > len(raw):
            raise fail(path, f"image data at bytes {off}..{off + nx * ny * bpp} lies outside the file "
                             f"({len(raw)} bytes): truncated")
        img_title = d.get("Image Data") or d.get("2:Image Data") or ""
        m = re.search(r'"([^"]*)"', img_title)
        title = m.group(1) if m else (cast(re.Match[str], re.search(r"\[([^\]]*)\]", img_title)).group(1)
                                      if "[" in img_title else "Image")
        zkey = next((k for k in d if re.fullmatch(r"(\d+:)?Z scale", k)), None)
        if zkey is None:
            raise fail(path, f"image {title!r} has no 'Z scale' parameter")
        factor, unit, scaling, note = _z_scaling(path, title, d[zkey], secs, bpp)
        if note:
            notes.append(note)
        try:
            size_m = _scan_size(d.get("Scan size") or scan_size_general or "")
        except ValueError:
            raise fail(path, f"image {title!r}: cannot parse its scan size") from None
        rawimg = np.frombuffer(raw, dtype=np.dtype(f"<i{bpp}"), count=nx * ny, offset=off)
        img = rawimg.reshape(ny, nx)[::-1].astype(float) * factor
        ss_text = d.get("Scan size") or scan_size_general or ""
        if "Aspect ratio" in d and len(re.findall(r"[-+0-9.eE]+(?=\s)", ss_text + " ")) < 2:
            try:
                a, b = (float(v) for v in d["Aspect ratio"].split(":"))
                size_m = (size_m[0], size_m[0] * b / a) if a > 0 and b > 0 else size_m
            except ValueError:
                pass
        line_dir = d.get("Line direction", "")
        full_title = title if not line_dir or line_dir.lower() == "trace" else f"{title} ({line_dir})"
        channels.append(make_channel(full_title, unit, img, size_m,
                                     metadata={"scaling": scaling, "line_direction": line_dir,
                                               "data_offset": off}))
    if not channels:
        raise fail(path, "header describes no images ('\\*Ciao image list' sections)")
    pot, why = choose_potential(channels, path)
    meta = {"version": version, **{k: v for k, v in general.items() if len(v) < 500}}
    notes.append("scaling: raw LSB x (Z scale hard value / 2^(8 bytes/pixel)) V/LSB x soft scale (sensitivity)")
    return KPFMFile(path, "nanoscope", tuple(channels), pot, UNKNOWN_CONVENTION, tuple(notes + why), meta)
