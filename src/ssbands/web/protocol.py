"""The binary frame the page's WebSocket carries: a JSON header and typed little-endian arrays.

Layout of one frame (all integers little-endian)::

    bytes 0..3    magic b"SSB1"
    bytes 4..7    uint32 H, the length of the header
    bytes 8..8+H  the header, UTF-8 JSON: {"arrays": [{"name", "dtype", "offset", "length"}, ...], ...}
    padding       zero bytes up to the next multiple of 8
    data          the arrays, each starting at a multiple of 8 from the start of the data block

``dtype`` is ``"f4"`` (float32) or ``"f8"`` (float64); ``offset`` is in bytes from the start of the
data block and ``length`` counts elements. Values are float32 except positions, which are float64:
the cell grid resolves 1e-4 nm next to an interface µm away from the origin, below float32's
resolution there. NaN marks values that do not exist (e.g. band edges where a material's ionization
potential is unknown). The browser decodes a frame with typed-array views, without copying or
parsing numbers; the same layout is decoded here by :func:`decode_frame` (tests, benchmarks).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping

import numpy as np

MAGIC = b"SSB1"
_DTYPES: dict[str, np.dtype] = {"f4": np.dtype("<f4"), "f8": np.dtype("<f8")}


def _pad8(n: int) -> int:
    return (-n) % 8


def encode_frame(header: Mapping, arrays: Mapping[str, np.ndarray], f8: tuple[str, ...] = ("x_nm",)) -> bytes:
    """One binary frame: ``header`` (JSON) and ``arrays`` (float32, or float64 for the names in ``f8``).

    Parameters
    ----------
    header : mapping
        JSON-ready metadata (the ``arrays`` key is added; it must not be present).
    arrays : mapping of str to array_like
        1-D arrays by name (any float values; NaN allowed).
    f8 : tuple of str
        Names sent as float64 (positions in nm); every other array is sent as float32.

    Returns
    -------
    bytes
        The frame.
    """
    specs, blobs, offset = [], [], 0
    for name, values in arrays.items():
        kind = "f8" if name in f8 else "f4"
        a = np.ascontiguousarray(np.ravel(values), dtype=_DTYPES[kind])
        specs.append({"name": str(name), "dtype": kind, "offset": offset, "length": int(a.size)})
        blob = a.tobytes()
        blobs.append(blob + b"\0" * _pad8(len(blob)))
        offset += len(blobs[-1])
    head = json.dumps({**dict(header), "arrays": specs}, allow_nan=False, separators=(",", ":")).encode("utf-8")
    prefix = MAGIC + struct.pack("<I", len(head)) + head
    return prefix + b"\0" * _pad8(len(prefix)) + b"".join(blobs)


def decode_frame(frame: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and the arrays of a frame made by :func:`encode_frame`.

    Parameters
    ----------
    frame : bytes
        One frame.

    Returns
    -------
    (dict, dict of str to ndarray)
        The header (without ``arrays``) and the arrays by name (float32 or float64).

    Raises
    ------
    ValueError
        When the frame is not in this format.
    """
    if len(frame) < 8 or frame[:4] != MAGIC:
        raise ValueError("not an ssbands frame (bad magic)")
    (n,) = struct.unpack("<I", frame[4:8])
    if 8 + n > len(frame):
        raise ValueError("truncated ssbands frame header")
    header = json.loads(frame[8:8 + n].decode("utf-8"))
    start = 8 + n + _pad8(8 + n)
    out = {}
    for spec in header.pop("arrays"):
        dt = _DTYPES[spec["dtype"]]
        lo = start + int(spec["offset"])
        hi = lo + int(spec["length"]) * dt.itemsize
        if hi > len(frame):
            raise ValueError(f"truncated ssbands frame (array {spec['name']!r})")
        out[spec["name"]] = np.frombuffer(frame, dtype=dt, count=int(spec["length"]), offset=lo)
    return header, out
