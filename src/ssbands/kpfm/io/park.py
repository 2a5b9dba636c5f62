"""Park Systems ``.tiff`` files: the data live in private TIFF tags, read with :mod:`tifffile`.

Tags: 50432 magic (0x0E031301), 50433 version (0x01000001 or 0x01000002), 50434 the data (int16,
int32 or float32, little-endian, bottom line first), 50435 the header (little-endian struct; 356
bytes in version 1, 580 in version 2): image type (0 = 2-D map), source name (UTF-16, 32 chars,
e.g. "Topography", "KPFM"), image mode (8 chars), resolution, scan size in µm, tip and sample bias,
data gain, Z scale and offset, Z unit (8 chars), and in version 2 the data type
(0 int16, 1 int32, 2 float32). Value = 10^prefix(unit) × data gain × (raw × Z scale + Z offset),
as Gwyddion's ``psia`` module does.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ._core import UNKNOWN_CONVENTION, KPFMFile, choose_potential, fail, make_channel, missing_library

MAGIC = 0x0E031301
VERSIONS = (0x01000001, 0x01000002)


def _wstr(b: bytes, off: int, nchar: int) -> str:
    return b[off:off + 2 * nchar].decode("utf-16-le", errors="replace").split("\0", 1)[0].strip()


def read_park(path: Path) -> KPFMFile:
    """Read a Park Systems TIFF (one image per file).

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
        import tifffile
    except ImportError:
        raise missing_library(path, "tifffile") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with tifffile.TiffFile(str(path)) as tf:
                page: Any = tf.pages[0]
                tags = page.tags
                magic = tags.get(50432)
                version = tags.get(50433)
                data_tag = tags.get(50434)
                head_tag = tags.get(50435)
                magic = None if magic is None else int(magic.value)
                version = None if version is None else int(version.value)
                data = None if data_tag is None else bytes(data_tag.value)
                head = None if head_tag is None else bytes(head_tag.value)
    except Exception as exc:  # noqa: BLE001 - tifffile raises many types on bad input
        raise fail(path, "tifffile cannot read it as a TIFF", exc) from None
    if magic != MAGIC:
        raise fail(path, "not a Park Systems TIFF (private tag 50432 missing or wrong magic number); "
                         "plain TIFF images carry no calibrated data")
    if version not in VERSIONS:
        raise fail(path, f"unsupported Park TIFF version {version!r}")
    if data is None or head is None:
        raise fail(path, "Park TIFF lacks the data tag 50434 or the header tag 50435")
    need = 580 if version == VERSIONS[1] else 356
    if len(head) < need:
        raise fail(path, f"Park header has {len(head)} bytes, expected at least {need}")
    (image_type,) = struct.unpack_from("<i", head, 0)
    if image_type != 0:
        raise fail(path, f"Park image type {image_type} is not a 2-D map (line profiles and spectroscopy "
                         "are not supported)")
    source = _wstr(head, 4, 32)
    mode = _wstr(head, 68, 8)
    nx, ny = struct.unpack_from("<ii", head, 100)
    fast_up, slow_fwd, swap = struct.unpack_from("<iii", head, 128)  # noqa: F841 - kept in metadata
    xs_um, ys_um, xo_um, yo_um, rate, setp = struct.unpack_from("<6d", head, 140)
    tip_bias, sample_bias, gain, zscale, zoff = struct.unpack_from("<5d", head, 204)
    unit = _wstr(head, 244, 8)
    dtype_code = struct.unpack_from("<i", head, 348)[0] if version == VERSIONS[1] else 0
    if dtype_code not in (0, 1, 2):
        raise fail(path, f"Park data type code {dtype_code} is unknown")
    dt = np.dtype({0: "<i2", 1: "<i4", 2: "<f4"}[dtype_code])
    if not (0 < nx <= 1 << 15 and 0 < ny <= 1 << 15):
        raise fail(path, f"Park header gives an invalid image size {nx} x {ny}")
    if len(data) != nx * ny * dt.itemsize:
        raise fail(path, f"data tag has {len(data)} bytes, expected {nx} x {ny} x {dt.itemsize}")
    vals = np.array([xs_um, ys_um, gain, zscale, zoff])
    if not np.all(np.isfinite(vals)) or xs_um == 0 or ys_um == 0:
        raise fail(path, f"Park header has invalid scan size or gain (x {xs_um} µm, y {ys_um} µm, "
                         f"gain {gain})")
    if zscale == 0:
        zscale = 1.0
    raw = np.frombuffer(data, dtype=dt).reshape(ny, nx)[::-1].astype(float)
    img = gain * (raw * zscale + zoff)
    meta = {"source_name": source, "head_mode": mode, "version": f"{version:08x}", "fast_scan_up": fast_up,
            "slow_scan_forward": slow_fwd, "xy_swap": swap, "x_offset_um": xo_um, "y_offset_um": yo_um,
            "scan_rate_rows_per_s": rate, "set_point": setp, "tip_bias_V": tip_bias,
            "sample_bias_V": sample_bias, "data_gain": gain, "z_scale": zscale, "z_offset": zoff,
            "z_unit": unit}
    ch = make_channel(source or "Image", unit, img, (abs(xs_um) * 1e-6, abs(ys_um) * 1e-6),
                      metadata={"head_mode": mode})
    pot, why = choose_potential([ch], path)
    return KPFMFile(path, "park-tiff", (ch,), pot, UNKNOWN_CONVENTION, tuple(why), meta)
