"""Asylum Research (Igor binary wave, ``.ibw``) files, read with :mod:`igor2`.

Quirks handled:

* igor2 splits the 32-byte dimension labels on the wrong boundary and returns corrupted names
  ("DeflectionRetracee", "PhaseRetracerace"); the labels are re-read from the file's label block,
  each cut at its first NUL byte.
* The wave has one data unit for all layers, so each channel's unit is inferred from its name the
  way Asylum names them (Height/Amplitude/Deflection/ZSensor: m, Phase: deg, Potential/
  NapPotential/UserIn/Bias: V, Current: A, Frequency: Hz) and marked ``unit_source="inferred"``.
* Igor stores ``wave[p][q]`` with ``p`` along x; maps are returned as ``(ny, nx)`` with row 0 at the
  top (largest y), as Gwyddion shows them.
* Asylum applies the KPFM nulling bias to the tip (vendor default), recorded as :data:`TIP_BIAS`.
"""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ._core import TIP_BIAS, KPFMFile, choose_potential, fail, make_channel, missing_library

_UNITS = [(r"potential|nap ?potential|userin|user ?in|bias|voltage|kpfm|cpd", "V"),
          (r"height|zsensor|z ?sensor|deflection|amplitude|^z", "m"),
          (r"phase", "deg"), (r"current", "A"), (r"frequency|freq", "Hz")]


def _unit_for(title: str) -> str:
    t = title.lower()
    for pat, unit in _UNITS:
        if re.search(pat, t):
            return unit
    return ""


def _raw_labels(raw: bytes, bh: dict, dim: int) -> list[str] | None:
    try:
        off = (64 + int(bh["wfmSize"]) + int(bh["formulaSize"]) + int(bh["noteSize"])
               + int(bh["dataEUnitsSize"]) + int(sum(bh["dimEUnitsSize"]))
               + int(sum(bh["dimLabelsSize"][:dim])))
        n = int(bh["dimLabelsSize"][dim])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    if n <= 0 or n % 32 or off + n > len(raw):
        return None
    block = raw[off:off + n]
    return [block[i:i + 32].split(b"\0", 1)[0].decode("latin-1") for i in range(0, n, 32)]


def _parse_note(note: bytes) -> dict:
    text = note.decode("latin-1", errors="replace")
    out: dict[str, Any] = {}
    for line in re.split(r"\r\n|\r|\n", text):
        if ":" in line:
            k, v = line.split(":", 1)
            k = k.strip()
            if k and len(out) < 5000:
                out[k] = v.strip()
    return out


def _num(meta: dict, key: str):
    try:
        v = float(meta[key])
        return v if np.isfinite(v) and v > 0 else None
    except (KeyError, ValueError):
        return None


def read_ibw(path: Path) -> KPFMFile:
    """Read an Asylum ``.ibw`` image (all layers as channels).

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
        from igor2 import binarywave
    except ImportError:
        raise missing_library(path, "igor2") from None
    raw = path.read_bytes()
    if len(raw) < 64 + 320 or struct.unpack_from("<h", raw, 0)[0] not in (1, 2, 3, 5) and \
            struct.unpack_from(">h", raw, 0)[0] not in (1, 2, 3, 5):
        raise fail(path, "not an Igor binary wave (bad version field)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = binarywave.load(str(path))
        wave = w["wave"]
        wh = wave["wave_header"]
        data = np.asarray(wave["wData"])
        note = _parse_note(bytes(wave.get("note", b"") or b""))
        bh = wave["bin_header"]
        version = int(w["version"])
        sfa = [float(v) for v in wh["sfA"]] if "sfA" in wh else [float(wh.get("hsA", 1.0)), 1.0]
        data_units = wave.get("data_units", b"") or b"".join(wh.get("dataUnits", [b""]))
    except Exception as exc:  # noqa: BLE001 - igor2 raises many types on bad input
        raise fail(path, "igor2 cannot read it as an Igor binary wave", exc) from None
    if data.dtype.kind not in "fiu":
        raise fail(path, f"wave data of type {data.dtype} is not numeric")
    if data.ndim == 2:
        data = data[:, :, None]
    if data.ndim != 3 or min(data.shape) < 1 or data.shape[0] < 2 or data.shape[1] < 2:
        raise fail(path, f"wave of shape {data.shape} is not an image (x, y[, channel])")
    nx, ny, nch = data.shape
    labels = _raw_labels(raw, bh, 2) if version == 5 else None
    notes = []
    if labels is None or len(labels) < nch + 1:
        lab = wave.get("labels") or []
        labels = [x.decode("latin-1") if isinstance(x, bytes) else str(x)
                  for x in (lab[2] if len(lab) > 2 else [])]
        if len(labels) >= nch + 1:
            notes.append("channel labels taken from igor2 (could not be re-read from the file)")
    titles = [labels[i + 1] if len(labels) > i + 1 and labels[i + 1] else f"Channel {i}" for i in range(nch)]
    fast = _num(note, "FastScanSize") or _num(note, "ScanSize")
    slow = _num(note, "SlowScanSize") or _num(note, "ScanSize")
    size_m: tuple[Any, Any] | None
    if fast and slow:
        size_m = (fast, slow)
    else:
        size_m = (abs(sfa[0]) * nx, abs(sfa[1]) * ny) if len(sfa) > 1 and sfa[0] and sfa[1] else None
        notes.append("scan size not in the note; taken from the wave scaling (sfA x points)")
    du = data_units.decode("latin-1", errors="replace").strip() if isinstance(data_units, bytes) \
        else str(data_units).strip()
    channels = []
    for i, title in enumerate(titles):
        img = np.flipud(np.asarray(data[:, :, i], dtype=float).T)
        unit = _unit_for(title)
        src = "inferred"
        if not unit and nch == 1 and du:
            unit, src = du, "file"
        if not unit:
            src = "unknown"
        channels.append(make_channel(title, unit, img, size_m, unit_source=src,
                                     metadata={"layer": i}))
    pot, why = choose_potential(channels, path)
    meta = {"igor_version": version, "wave_name": wh.get("bname", b"").decode("latin-1", "replace")
            if isinstance(wh.get("bname"), bytes) else str(wh.get("bname", "")), **note}
    notes.append("units inferred from Asylum channel names (the wave stores one unit for all layers)")
    notes.append("cpd_convention: Asylum applies the nulling bias to the tip (vendor default); "
                 "check your setup")
    return KPFMFile(path, "asylum-ibw", tuple(channels), pot, TIP_BIAS, tuple(notes + why), meta)
