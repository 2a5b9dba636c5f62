r"""Nanonis ``.sxm`` images and ``.3ds`` spectroscopy grids.

``.3ds`` grids are read with :mod:`nanonispy` after the header is checked here: nanonispy
``resize``-s the data block to the grid shape, which silently pads a truncated file with zeros; the
reader therefore requires the data block to have exactly ``nx*ny*(n_params + points*n_channels)``
big-endian float32 values.

``.sxm`` images are parsed here (header ``:KEY:`` blocks up to ``:SCANIT_END:``, then ``\x1a\x04``
and the channels, each forward then backward where recorded): nanonispy's ``Scan`` assumes that
every channel was recorded in both directions, and its header parser uses ``np.float``, which
numpy ≥ 1.24 no longer has. Orientation follows
the common convention: a scan recorded ``up`` is stored bottom line first and is flipped so row 0 is
the top; backward images are mirrored so x runs the same way as forward.

Nanonis applies the bias to the sample: :data:`SAMPLE_BIAS` (the package convention).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ._core import SAMPLE_BIAS, KPFMFile, choose_potential, fail, make_channel, missing_library

_MAX_HEADER = 4 * 1024 * 1024


def _header_text(path: Path, raw: bytes, tag: bytes) -> tuple[str, int]:
    i = raw.find(tag, 0, _MAX_HEADER)
    if i < 0:
        raise fail(path, f"no {tag.decode()} tag in the first {_MAX_HEADER // 1024 // 1024} MiB: not a "
                         "Nanonis file or a truncated header")
    return raw[:i].decode("latin-1"), i


# ---------------------------------------------------------------------------------------------- .sxm
def _sxm_blocks(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    for m in re.finditer(r":([^:\n\r]+):\r?\n(.*?)(?=\r?\n:[^:\n\r]+:\r?\n|\Z)", text, re.DOTALL):
        blocks[m.group(1).strip()] = m.group(2).strip("\r\n")
    return blocks


def read_sxm(path: Path) -> KPFMFile:
    """Read a Nanonis ``.sxm`` scan (every channel, forward and backward).

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
    text, end = _header_text(path, raw, b":SCANIT_END:")
    start = raw.find(b"\x1a\x04", end, end + 200)
    if start < 0:
        raise fail(path, "no \\x1a\\x04 data marker after :SCANIT_END:")
    start += 2
    b = _sxm_blocks(text)
    try:
        nx, ny = (int(v) for v in b["SCAN_PIXELS"].split()[:2])
        sx, sy = (float(v) for v in b["SCAN_RANGE"].split()[:2])
        kind = b.get("SCANIT_TYPE", "FLOAT MSBFIRST").split()
        direction = b.get("SCAN_DIR", "up").strip().lower()
        rows = [ln.split("\t") for ln in b["DATA_INFO"].splitlines() if ln.strip()]
    except (KeyError, ValueError) as exc:
        raise fail(path, "header lacks SCAN_PIXELS / SCAN_RANGE / DATA_INFO or has bad values", exc) from None
    if not (0 < nx <= 65536 and 0 < ny <= 65536):
        raise fail(path, f"SCAN_PIXELS {nx} x {ny} is not a valid image size")
    head = [c.strip() for c in rows[0] if c.strip()]
    try:
        i_name, i_unit, i_dir = head.index("Name"), head.index("Unit"), head.index("Direction")
    except ValueError:
        raise fail(path, f"DATA_INFO header {head!r} lacks Name/Unit/Direction") from None
    chans = []
    for r in rows[1:]:
        cells = [c.strip() for c in r if c.strip()]
        if len(cells) < len(head):
            raise fail(path, f"DATA_INFO row {r!r} has too few columns")
        chans.append((cells[i_name], cells[i_unit], cells[i_dir].lower()))
    byteorder = ">" if "MSBFIRST" in [k.upper() for k in kind] else "<"
    dtype = np.dtype(byteorder + ("i4" if "INT" in [k.upper() for k in kind] else "f4"))
    nimg = sum(2 if d == "both" else 1 for _, _, d in chans)
    need = nimg * nx * ny * dtype.itemsize
    have = len(raw) - start
    if have < need:
        raise fail(path, f"truncated: data block has {have} bytes, the header needs {need}")
    if have > need + 4096:
        raise fail(path, f"data block has {have} bytes, {have - need} more than the header describes")
    arr = np.frombuffer(raw, dtype=dtype, count=nimg * nx * ny, offset=start).astype(float)
    imgs = arr.reshape(nimg, ny, nx)
    kelvin = any("kelvin" in k.lower() for k in b)
    channels, k = [], 0
    for name, unit, d in chans:
        for which in (("forward", "backward") if d == "both" else (d,)):
            img = imgs[k]
            k += 1
            if direction == "up":
                img = img[::-1]
            if which == "backward":
                img = img[:, ::-1]
            title = name.replace("_", " ") + ("" if which == "forward" else " (backward)")
            role = "potential" if (kelvin and unit == "V" and name.lower() == "bias" and which == "forward") \
                else None
            channels.append(make_channel(title, unit, img, (sx, sy), metadata={"direction": which},
                                         role=role))
    notes = []
    if kelvin:
        notes.append("Kelvin controller settings in the header: the 'Bias' channel is the KPFM "
                     "compensation bias")
    pot, why = choose_potential(channels, path)
    meta = {k: v for k, v in b.items() if k != "DATA_INFO" and len(v) < 2000}
    return KPFMFile(path, "nanonis-sxm", tuple(channels), pot, SAMPLE_BIAS, tuple(notes + why), meta)


# ---------------------------------------------------------------------------------------------- .3ds
def _3ds_header(text: str) -> dict[str, str]:
    out = {}
    for line in re.split(r"\r\n|\n|\r", text):
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    return out


def read_3ds(path: Path) -> KPFMFile:
    """Read a Nanonis ``.3ds`` grid: spectroscopy channels ``(ny, nx, points)`` and the sweep.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    KPFMFile
        Channels in SI base units (Δf in Hz), the bias sweep in V (``sweep``), scan size in m.
    """
    try:
        import nanonispy
    except ImportError:
        raise missing_library(path, "nanonispy") from None
    raw = path.read_bytes()
    text, end = _header_text(path, raw, b":HEADER_END:")
    h = _3ds_header(text)
    try:
        nx, ny = (int(v) for v in re.findall(r"\d+", h["Grid dim"])[:2])
        npar = int(h["# Parameters (4 byte)"])
        npts = int(h["Points"])
        names = [c for c in h["Channels"].split(";") if c]
        settings = [float(v) for v in h["Grid settings"].split(";")]
        sweep_name = h.get("Sweep Signal", "Bias (V)")
    except (KeyError, ValueError) as exc:
        raise fail(path, "grid header lacks 'Grid dim', '# Parameters (4 byte)', 'Points', 'Channels' "
                         "or 'Grid settings', or has a bad value", exc) from None
    if not (0 < nx <= 4096 and 0 < ny <= 4096 and 2 <= npar <= 4096 and 0 < npts <= 1 << 20 and names):
        raise fail(path, f"implausible grid header: {nx} x {ny} pixels, {npar} parameters, {npts} points, "
                         f"{len(names)} channels")
    data_start = raw.find(b"\n", end) + 1
    per_px = npar + npts * len(names)
    need = nx * ny * per_px * 4
    have = len(raw) - data_start
    if have != need:
        raise fail(path, f"data block has {have} bytes but the header needs {need} "
                         f"({nx} x {ny} pixels x {per_px} float32): truncated or corrupt")
    if len(settings) < 4 or not all(np.isfinite(settings[2:4])) or min(settings[2:4]) <= 0:
        raise fail(path, f"'Grid settings' {h['Grid settings']!r} has no positive grid size")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = nanonispy.read.Grid(str(path))
        sig = g.signals
        sweep = np.asarray(sig["sweep_signal"], dtype=float)
        params = np.asarray(sig["params"], dtype=float)
    except Exception as exc:  # noqa: BLE001
        raise fail(path, "nanonispy cannot read the grid", exc) from None
    size = (settings[2], settings[3])
    channels = []
    for name in names:
        m = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", name)
        title, unit = (m.group(1), m.group(2)) if m else (name, "")
        arr = np.asarray(sig[name], dtype=float)
        channels.append(make_channel(title, unit, arr, size, metadata={"nanonis_name": name}))
    par_names = ["Sweep Start", "Sweep End"] + [p for p in h.get("Experiment parameters", "").split(";") if p]
    for i, pn in enumerate(par_names[:npar]):
        if pn in ("Z (m)",):
            channels.append(make_channel("Z (parameter)", "m", params[:, :, i], size,
                                         metadata={"parameter": pn}, role="topography"))
    if not np.all(np.isfinite(sweep)) or sweep.size != npts or np.ptp(sweep) == 0:
        raise fail(path, "sweep start/end parameters are missing or equal")
    notes = [f"spectroscopy grid: {nx} x {ny} pixels, {npts}-point sweep of {sweep_name} from "
             f"{sweep[0]:g} to {sweep[-1]:g}; fit it with ssbands.kpfm.spectroscopy.fit_grid "
             f"(CLI: ssbands kpfm spectroscopy)",
             "no potential map: the local CPD is the vertex of the parabola fitted to Δf(V) per pixel"]
    meta: dict[str, Any] = {k: v for k, v in h.items() if len(v) < 2000}
    meta["sweep_signal"] = sweep_name
    meta["parameters"] = par_names[:npar]
    return KPFMFile(path, "nanonis-3ds", tuple(channels), None, SAMPLE_BIAS, tuple(notes), meta,
                    sweep=sweep)
