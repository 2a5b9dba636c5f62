r"""Nanonis ``.sxm`` images, ``.3ds`` spectroscopy grids and ``.dat`` point spectra.

``.3ds`` grids are parsed here (header ``key=value`` lines up to ``:HEADER_END:``, then per pixel
``# Parameters (4 byte)`` parameters and ``Points`` values of each channel, big-endian float32).
Old headers without ``# Parameters (4 byte)``, ``Experiment size``, ``Delay before measuring`` or the
start and end times are read: the parameter count is then that of the ``Fixed parameters`` and
``Experiment parameters`` lists. A grid stopped early holds fewer whole pixels than ``Grid dim``
(or trailing pixels that are all zero): the pixels present are read and the rest are NaN, with a
note. A data block that is not a whole number of pixels is truncated or corrupt and is refused
(nanonispy would pad it with zeros).

``.sxm`` images are parsed here (header ``:KEY:`` blocks up to ``:SCANIT_END:``, then ``\x1a\x04``
and the channels, each forward then backward where recorded): nanonispy's ``Scan`` assumes that
every channel was recorded in both directions, and its header parser uses ``np.float``, which
numpy ≥ 1.24 no longer has. Orientation follows
the common convention: a scan recorded ``up`` is stored bottom line first and is flipped so row 0 is
the top; backward images are mirrored so x runs the same way as forward. The Nanonis Kelvin
controller regulates the bias: when the header says the controller ran (``Kelvin
Controller>Controller status`` ON), the ``Bias`` channel is the KPFM output; when it was off or the
header does not say, the ``Bias`` channel is the applied bias and is not taken as the potential.

``.dat`` point spectra (header ``key<TAB>value`` lines, ``[DATA]``, a line of column names such as
``Bias calc (V)``, ``Frequency Shift (Hz)``, ``Frequency Shift [bwd] (Hz)``, then rows) are read as
1 x 1 spectroscopy grids, so that :func:`ssbands.kpfm.spectroscopy.fit_grid` fits Δf(V) and gives
the CPD at that point.

Nanonis applies the bias to the sample: :data:`SAMPLE_BIAS` (the package convention).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ._core import SAMPLE_BIAS, KPFMFile, choose_potential, fail, make_channel

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
    kelvin, kelvin_key = _kelvin_state(b)
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
            role = "potential" if (kelvin == "on" and unit == "V" and name.lower() == "bias") else None
            channels.append(make_channel(title, unit, img, (sx, sy), metadata={"direction": which},
                                         role=role))
    notes = _kelvin_notes(kelvin, kelvin_key, b)
    pot, why = choose_potential(channels, path)
    meta = {k: v for k, v in b.items() if k != "DATA_INFO" and len(v) < 2000}
    return KPFMFile(path, "nanonis-sxm", tuple(channels), pot, SAMPLE_BIAS, tuple(notes + why), meta)


_ON = {"on", "true", "1", "yes", "enabled"}
_OFF = {"off", "false", "0", "no", "disabled"}


def _kelvin_state(blocks: dict[str, str]) -> tuple[str, str]:
    """Whether the header says the Kelvin controller ran, and the key that says so.

    ``"on"``, ``"off"``, ``"unknown"`` (settings without a status) or ``"absent"`` (no Kelvin
    controller in the header).
    """
    keys = [k for k in blocks if "kelvin" in k.lower()]
    if not keys:
        return "absent", ""
    ranked = sorted(keys, key=lambda k: 0 if re.search(r"controller ?(status|on)", k, re.IGNORECASE) else 1)
    for k in ranked:
        param = k.split(">", 1)[-1].strip().lower()
        if not re.search(r"controller ?(status|on)|^status$|^on/?off$", param):
            continue
        words = blocks[k].split()
        v = words[0].lower() if words else ""
        if v in _ON:
            return "on", k
        if v in _OFF:
            return "off", k
    return "unknown", keys[0]


def _kelvin_notes(state: str, key: str, blocks: dict[str, str]) -> list[str]:
    if state == "on":
        return [f"the header says the Kelvin controller ran ({key}: {blocks[key].strip()}): the 'Bias' channel "
                f"is the KPFM output (the compensating bias)"]
    if state == "off":
        return [f"the Kelvin controller was off ({key}: {blocks[key].strip()}): the 'Bias' channel is the "
                f"applied bias, not a KPFM output"]
    if state == "unknown":
        return [f"the header has Kelvin controller settings ({key}, ...) but does not say whether the controller "
                f"ran: the 'Bias' channel is not taken as the potential; name it with channel=NAME if it is"]
    return []


# ---------------------------------------------------------------------------------------------- .3ds
def _3ds_header(text: str) -> dict[str, str]:
    out = {}
    for line in re.split(r"\r\n|\n|\r", text):
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    return out


def _name_unit(name: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", name)
    return (m.group(1), m.group(2)) if m else (name, "")


def _3ds_layout(path: Path, h: dict[str, str]) -> tuple[int, int, int, int, list[str], list[str], list[str]]:
    """Grid size, parameter count, points, channels and parameter names; old headers allowed."""
    try:
        nx, ny = (int(v) for v in re.findall(r"\d+", h["Grid dim"])[:2])
        npts = int(h["Points"])
        names = [c for c in h["Channels"].split(";") if c]
    except (KeyError, ValueError) as exc:
        raise fail(path, "grid header lacks 'Grid dim', 'Points' or 'Channels', or has a bad value", exc) from None
    fixed = [p for p in h.get("Fixed parameters", "").split(";") if p]
    exp = [p for p in h.get("Experiment parameters", "").split(";") if p]
    notes = []
    if "# Parameters (4 byte)" in h:
        try:
            npar = int(h["# Parameters (4 byte)"])
        except ValueError:
            raise fail(path, f"'# Parameters (4 byte)' = {h['# Parameters (4 byte)']!r} is not a number") from None
        if (fixed or exp) and npar != len(fixed) + len(exp):
            raise fail(path, f"'# Parameters (4 byte)' = {npar} but 'Fixed parameters' and 'Experiment "
                             f"parameters' name {len(fixed) + len(exp)}: corrupt header")
    elif fixed or exp:
        npar = len(fixed) + len(exp)
        notes.append(f"old grid header without '# Parameters (4 byte)': {npar} parameters per pixel counted "
                     f"from 'Fixed parameters' and 'Experiment parameters'")
    else:
        raise fail(path, "grid header gives neither '# Parameters (4 byte)' nor the 'Fixed parameters' / "
                         "'Experiment parameters' lists: the pixel layout is unknown")
    if not (0 < nx <= 4096 and 0 < ny <= 4096 and 2 <= npar <= 4096 and 0 < npts <= 1 << 20 and names):
        raise fail(path, f"implausible grid header: {nx} x {ny} pixels, {npar} parameters, {npts} points, "
                         f"{len(names)} channels")
    par_names = fixed + exp if fixed else ["Sweep Start", "Sweep End"] + exp
    return nx, ny, npar, npts, names, par_names[:npar], notes


def _3ds_block(path: Path, raw: bytes, start: int, nx: int, ny: int, per_px: int) -> tuple[np.ndarray, list[str]]:
    """The data block as ``(ny, nx, per_px)``; pixels a stopped grid did not measure are NaN."""
    have, size = len(raw) - start, per_px * 4
    need = nx * ny * size
    notes = []
    if have > need:
        raise fail(path, f"data block has {have} bytes but the header needs {need} ({nx} x {ny} pixels x "
                         f"{per_px} float32): corrupt")
    if have % size:
        raise fail(path, f"data block has {have} bytes, not a whole number of {size}-byte pixels (the header "
                         f"needs {need} for {nx} x {ny} pixels): truncated or corrupt")
    n = have // size
    if n == 0:
        raise fail(path, f"the grid holds no pixel (the header needs {need} bytes): stopped before its first "
                         f"pixel or truncated")
    vals = np.frombuffer(raw, dtype=">f4", count=n * per_px, offset=start).astype(float).reshape(n, per_px)
    zero = np.all(vals == 0.0, axis=1)
    if zero[-1]:
        last = n - int(np.argmin(zero[::-1])) if not zero.all() else 0
        if last == 0:
            raise fail(path, "every pixel of the grid is zero: nothing was measured")
        notes.append(f"the last {n - last} pixels are all zero: not measured (a grid stopped early and saved "
                     f"at full size); they are NaN")
        n = last
    grid = np.full((nx * ny, per_px), np.nan)
    grid[:n] = vals[:n]
    if n < nx * ny:
        if not notes:
            notes.append(f"grid stopped early: {n} of {nx * ny} pixels measured ({n // nx} full "
                         f"row{'' if n // nx == 1 else 's'}); the other {nx * ny - n} pixels are NaN")
        else:
            notes[-1] += f" ({n} of {nx * ny} pixels measured)"
    return grid.reshape(ny, nx, per_px), notes


def _3ds_sweep(path: Path, h: dict[str, str], params: np.ndarray, par_names: list[str], npts: int) -> np.ndarray:
    """The sweep (a linear ramp from Sweep Start to Sweep End, the format's 'Filetype=Linear')."""
    ftype = h.get("Filetype", "Linear").strip()
    if ftype.lower() != "linear":
        raise fail(path, f"grid 'Filetype' is {ftype!r}: only linear sweeps (Filetype=Linear) are read")
    i0 = par_names.index("Sweep Start") if "Sweep Start" in par_names else 0
    i1 = par_names.index("Sweep End") if "Sweep End" in par_names else 1
    ok = np.isfinite(params[..., i0]) & np.isfinite(params[..., i1])
    if not ok.any():
        raise fail(path, "no pixel gives its sweep start and end")
    v0, v1 = params[..., i0][ok], params[..., i1][ok]
    if np.ptp(v0) > 1e-6 * max(abs(v0).max(), 1e-30) or np.ptp(v1) > 1e-6 * max(abs(v1).max(), 1e-30):
        raise fail(path, "the sweep start or end differs between pixels: one sweep axis cannot describe the grid")
    sweep = np.linspace(np.float32(v0[0]), np.float32(v1[0]), npts, dtype=np.float32).astype(float)
    if not np.all(np.isfinite(sweep)) or np.ptp(sweep) == 0:
        raise fail(path, "sweep start/end parameters are missing or equal")
    return sweep


def read_3ds(path: Path) -> KPFMFile:
    """Read a Nanonis ``.3ds`` grid: spectroscopy channels ``(ny, nx, points)`` and the sweep.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    KPFMFile
        Channels in SI base units (Δf in Hz), the sweep in its unit (``sweep``; its signal in
        ``metadata["sweep_signal"]``, e.g. ``"Bias (V)"``), scan size in m (None when an old
        header has no ``Grid settings``).
    """
    raw = path.read_bytes()
    text, end = _header_text(path, raw, b":HEADER_END:")
    h = _3ds_header(text)
    nx, ny, npar, npts, names, par_names, notes = _3ds_layout(path, h)
    size = None
    if "Grid settings" in h:
        try:
            settings = [float(v) for v in h["Grid settings"].split(";")]
        except ValueError:
            raise fail(path, f"'Grid settings' {h['Grid settings']!r} is not a list of numbers") from None
        if len(settings) < 4 or not all(np.isfinite(settings[2:4])) or min(settings[2:4]) <= 0:
            raise fail(path, f"'Grid settings' {h['Grid settings']!r} has no positive grid size")
        size = (settings[2], settings[3])
    else:
        notes.append("the header has no 'Grid settings': the grid's physical size is unknown")
    nl = raw.find(b"\n", end)
    data_start = (nl + 1) if nl >= 0 else len(raw)
    grid, more = _3ds_block(path, raw, data_start, nx, ny, npar + npts * len(names))
    params = grid[..., :npar]
    sweep = _3ds_sweep(path, h, params, par_names, npts)
    sweep_name = h.get("Sweep Signal")
    channels = []
    for i, name in enumerate(names):
        title, unit = _name_unit(name)
        arr = grid[..., npar + i * npts: npar + (i + 1) * npts]
        channels.append(make_channel(title, unit, arr, size, metadata={"nanonis_name": name}))
    for i, pn in enumerate(par_names):
        if pn in ("Z (m)",):
            channels.append(make_channel("Z (parameter)", "m", params[:, :, i], size,
                                         metadata={"parameter": pn}, role="topography"))
    notes = notes + more + [
        f"spectroscopy grid: {nx} x {ny} pixels, {npts}-point sweep of {sweep_name or 'an unnamed signal'} "
        f"from {sweep[0]:g} to {sweep[-1]:g}; fit it with ssbands.kpfm.spectroscopy.fit_grid",
        "no potential map: the local CPD is the vertex of the parabola fitted to Δf(V) per pixel"]
    meta: dict[str, Any] = {k: v for k, v in h.items() if len(v) < 2000}
    meta["sweep_signal"] = sweep_name
    meta["parameters"] = par_names
    return KPFMFile(path, "nanonis-3ds", tuple(channels), None, SAMPLE_BIAS, tuple(notes), meta, sweep=sweep)


# ---------------------------------------------------------------------------------------------- .dat
#: Columns that hold the bias of a point spectrum, in order of preference (the set value first).
_DAT_SWEEP = ("Bias calc (V)", "Bias (V)")


def _dat_sections(path: Path, text: str) -> tuple[dict[str, str], list[str], list[str]]:
    lines = re.split(r"\r\n|\r|\n", text)
    try:
        i = next(n for n, ln in enumerate(lines) if ln.strip() == "[DATA]")
    except StopIteration:
        raise fail(path, "no [DATA] line: not a Nanonis spectrum (.dat)") from None
    header: dict[str, str] = {}
    for ln in lines[:i]:
        if "\t" in ln:
            k, v = ln.split("\t", 1)
            if k.strip() and len(header) < 10000:
                header[k.strip()] = v.strip().strip("\t")
    rest = [ln for ln in lines[i + 1:] if ln.strip()]
    if not rest:
        raise fail(path, "no column names after [DATA]")
    cols = [c.strip() for c in rest[0].split("\t") if c.strip()]
    return header, cols, rest[1:]


def read_dat(path: Path) -> KPFMFile:
    """Read a Nanonis point spectrum (``.dat``) as a 1 x 1 spectroscopy grid.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    KPFMFile
        Every column but the bias as a channel of shape ``(1, 1, points)`` in SI base units; the
        bias in V as ``sweep``; no physical size (a point).
    """
    if path.stat().st_size > 64 * 1024 * 1024:
        raise fail(path, "spectrum file larger than 64 MiB")
    text = path.read_bytes().decode("latin-1")
    header, cols, rows = _dat_sections(path, text)
    vals = []
    for n, ln in enumerate(rows, 1):
        toks = [t for t in ln.split("\t") if t.strip()]
        try:
            vals.append([float(t) for t in toks])
        except ValueError:
            raise fail(path, f"data row {n} is not numbers: {ln[:60]!r}") from None
        if len(vals[-1]) != len(cols):
            raise fail(path, f"data row {n} has {len(vals[-1])} values for {len(cols)} columns: truncated or corrupt")
    if len(vals) < 3:
        raise fail(path, f"{len(vals)} data rows: a spectrum needs at least 3 points")
    data = np.array(vals, dtype=float)
    sweep_col = next((c for c in _DAT_SWEEP if c in cols), None)
    if sweep_col is None:
        raise fail(path, f"no bias column ({' or '.join(_DAT_SWEEP)}); columns: {', '.join(cols)}")
    sweep = data[:, cols.index(sweep_col)]
    if not np.all(np.isfinite(sweep)) or np.ptp(sweep) == 0:
        raise fail(path, f"column {sweep_col!r} is not a bias sweep (not finite, or constant)")
    channels = []
    for j, name in enumerate(cols):
        if name == sweep_col:
            continue
        title, unit = _name_unit(name)
        title = re.sub(r"\s*\[bwd\]", " (backward)", title)
        channels.append(make_channel(title, unit, data[:, j].reshape(1, 1, -1), None,
                                     metadata={"nanonis_name": name}))
    exp = header.get("Experiment", "")
    notes = [f"point spectrum ({exp or 'experiment not named'}): {data.shape[0]} points of {sweep_col} from "
             f"{sweep[0]:g} to {sweep[-1]:g} V; fit Δf(V) with ssbands.kpfm.spectroscopy.fit_grid"]
    meta: dict[str, Any] = {k: v for k, v in header.items() if len(v) < 2000}
    meta["sweep_signal"] = sweep_col
    return KPFMFile(path, "nanonis-dat", tuple(channels), None, SAMPLE_BIAS, tuple(notes), meta, sweep=sweep)
