"""Readers and writers of KPFM/SPM files: one public entry, :func:`read`.

>>> f = read("scan.gwy")                 # doctest: +SKIP
>>> f.potential_channel                   # chosen by title and unit, not by index
'CPD'
>>> cpd = f.channel()                     # the potential channel (or f.channel("Topography"))
>>> cpd.data.shape, cpd.unit, cpd.size_m
((120, 120), 'V', (2e-06, 2e-06))

Formats (``fmt``): ``gwy`` (Gwyddion 2; Gwyddion 1.x files are named and refused), ``ibw`` (Asylum),
``sxm``, ``3ds`` and ``dat`` (Nanonis images, grids and point spectra),
``nanoscope`` (Bruker/Veeco ``.spm``, ``.000``-style numbered files), ``park`` (Park ``.tiff``),
``text`` (``.txt``, ``.csv``, ``.dat``, ``.asc``), ``npy``. The vendor libraries (gwyfile, igor2,
tifffile) are the optional extra ``pip install ssbands[kpfm]``.

Every failure — missing, truncated, corrupt or unsupported file, missing library — raises
:class:`ssbands.errors.InputError` naming the file and what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import InputError
from ._core import CONVENTIONS, SAMPLE_BIAS, TIP_BIAS, UNKNOWN_CONVENTION, Channel, KPFMFile, check_file, fail, si_unit

__all__ = ["read", "write", "detect_format", "KPFMFile", "Channel", "FORMATS", "WRITABLE", "EXTENSIONS",
           "SAMPLE_BIAS", "TIP_BIAS", "UNKNOWN_CONVENTION", "CONVENTIONS", "si_unit"]

FORMATS = ("gwy", "ibw", "sxm", "3ds", "dat", "nanoscope", "park", "text", "npy")
WRITABLE = ("npy", "text", "gwy")

#: Format name of each file extension (lower case), used when the first bytes do not tell.
EXTENSIONS = {".gwy": "gwy", ".ibw": "ibw", ".sxm": "sxm", ".3ds": "3ds", ".spm": "nanoscope",
        ".npy": "npy", ".txt": "text", ".csv": "text", ".dat": "text", ".asc": "text",
        ".tif": "park", ".tiff": "park"}


def detect_format(path: str | Path) -> str:
    """Format name of ``path`` from its first bytes, then its extension.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    InputError
        If the file cannot be opened or its format is not supported.
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"KPFM file {str(p)!r} cannot be opened: {exc.strerror or exc}") from None
    if head.startswith(b"GWYP") or head.startswith(b"GWYO"):
        return "gwy"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\\*File list") or head.startswith(b"?*File list"):
        return "nanoscope"
    if head.startswith(b":NANONIS_VERSION:"):
        return "sxm"
    if head.startswith(b"Grid dim="):
        return "3ds"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "park"
    if re.search(rb"(^|[\r\n])\[DATA\][\r\n]", head) and b"\t" in head:
        return "dat"
    ext = p.suffix.lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    if re.fullmatch(r"\.\d{3}", ext):
        return "nanoscope"
    raise InputError(f"KPFM file {str(p)!r}: unsupported format (extension {ext or 'none'!r}); "
                     f"supported: .gwy .ibw .sxm .3ds .dat .spm/.000 .tiff .txt/.csv .npy, or pass fmt= "
                     f"one of {', '.join(FORMATS)}")


def _reader(fmt: str):
    if fmt == "gwy":
        from .gwy import read_gwy as r
    elif fmt == "ibw":
        from .ibw import read_ibw as r
    elif fmt == "sxm":
        from .nanonis import read_sxm as r
    elif fmt == "3ds":
        from .nanonis import read_3ds as r
    elif fmt == "dat":
        from .nanonis import read_dat as r
    elif fmt == "nanoscope":
        from .nanoscope import read_nanoscope as r
    elif fmt == "park":
        from .park import read_park as r
    elif fmt == "text":
        from .text import read_text as r
    elif fmt == "npy":
        from .text import read_npy as r
    else:
        raise InputError(f"unknown KPFM format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return r


def read(path: str | Path, channel: str | None = None, fmt: str | None = None,
         convention: str | None = None) -> KPFMFile:
    """Read a KPFM/SPM file.

    Parameters
    ----------
    path : str or Path
        The file.
    channel : str, optional
        Name of the channel to use as the potential (case-insensitive), overriding the automatic
        choice by title and unit; an unknown name raises InputError listing the channels.
    fmt : str, optional
        Force a format (one of :data:`FORMATS`) instead of detecting it.
    convention : {"sample", "tip"}, optional
        The instrument's sign convention when the file does not record it (or to override it).

    Returns
    -------
    KPFMFile
        Channels in SI base units (V, m, Hz, ...), scan size in m.
    """
    p = check_file(path)
    fmt = fmt or detect_format(p)
    reader = _reader(fmt)
    try:
        kf = reader(p)
    except InputError as exc:
        if str(p) in str(exc):
            raise
        raise InputError(f"KPFM file {str(p)!r}: {exc}") from None
    except MemoryError:
        raise fail(p, "too large to read into memory (a corrupt size field?)") from None
    except Exception as exc:  # noqa: BLE001 - any other failure of a parser is a bad file
        raise fail(p, f"cannot be read as {fmt}", exc) from None
    return _apply_options(kf, channel, convention)


def _apply_options(kf: KPFMFile, channel, convention) -> KPFMFile:
    from dataclasses import replace

    if channel is not None:
        ch = kf.channel(channel)
        notes = kf.notes + (f"potential channel {ch.title!r} named by the user",)
        if ch.unit != "V":
            notes += (f"WARNING: channel {ch.title!r} has unit {ch.unit or 'missing'!r}, not V",)
        kf = replace(kf, potential_channel=ch.title, notes=notes)
    if convention is not None:
        if convention not in CONVENTIONS or convention == "unknown":
            raise InputError(f"convention must be 'sample' or 'tip', got {convention!r}")
        kf = replace(kf, cpd_convention=CONVENTIONS[convention],
                     notes=kf.notes + (f"cpd convention set by the user: bias on the {convention}",))
    return kf


def _public_mode(path: Path) -> None:
    """Give a file written through a temporary file the usual permissions (0666 minus umask)."""
    import os

    um = os.umask(0)
    os.umask(um)
    try:
        os.chmod(path, 0o666 & ~um)
    except OSError:
        pass


def write(path: str | Path, data, *, title: str = "CPD", unit: str = "V", size_m=None,
          convention: str = "sample", fmt: str | None = None) -> Path:
    """Write a 2-D map ``data[y, x]`` in a format that :func:`read` reads back.

    Parameters
    ----------
    path : str or Path
        ``.npy`` (with a JSON side file), ``.txt``/``.csv`` (``key: value`` header) or ``.gwy``.
    data : array_like, shape (ny, nx)
        Values in ``unit`` (SI base unit, e.g. V).
    title, unit : str
        Channel title and the unit of ``data``.
    size_m : (float, float), optional
        Physical size ``(x, y)`` in metres (required for ``.gwy``).
    convention : {"sample", "tip"}
        Sign convention recorded with the data (text and npy formats).
    fmt : {"npy", "text", "gwy"}, optional
        Force a format instead of the extension's.

    Returns
    -------
    Path
        The written file.
    """
    p = Path(path)
    out = _write(p, data, title, unit, size_m, convention, fmt)
    for q in (p, Path(str(p) + ".json")):
        if q.exists():
            _public_mode(q)
    return out


def _write(p, data, title, unit, size_m, convention, fmt):
    fmt = fmt or EXTENSIONS.get(p.suffix.lower())
    if fmt == "npy":
        from .text import write_npy
        return write_npy(p, data, title=title, unit=unit, size_m=size_m, convention=convention)
    if fmt == "text":
        from .text import write_text
        return write_text(p, data, title=title, unit=unit, size_m=size_m, convention=convention)
    if fmt == "gwy":
        from ...profile import atomic_write
        from .gwy import write_gwy
        if size_m is None:
            raise InputError("writing .gwy needs size_m=(x, y) in metres")
        return atomic_write(p, lambda tmp: write_gwy(tmp, [(title, unit, data, size_m)]))
    raise InputError(f"cannot write {str(p)!r}: writable formats are {', '.join(WRITABLE)} "
                     f"(.npy, .txt/.csv, .gwy)")
