"""Operando series: scans at several OCVs → ΔCPD(x) per OCV on a common x axis.

ΔCPD = CPD − CPD(reference) is Eq. 9 of the KPFM perspective of Swift, Fuller, Talin, Qi et al.

A series is given by a manifest file (YAML or TOML) or a folder:

.. code-block:: yaml

    # series.yaml -- paths are relative to this file
    channel: CPD            # optional, default: each file's potential channel
    pixel_size_nm: 20       # optional, for files without a physical size
    convention: sample      # optional: 'sample' or 'tip' when the files do not say
    align: true             # x-drift alignment by cross-correlation (default true)
    align_on: topography    # 'topography' (a topography channel of each file) or 'cpd'
    max_shift_nm: 500       # optional bound on the drift
    rows: [0, 64]           # optional profile region (rows start, stop)
    scans:
      - {file: ocv_0.00V.gwy, ocv_V: 0.0}
      - {file: ocv_3.70V.gwy, ocv_V: 3.7, channel: CPD}

TOML: the same keys, with ``[[scans]]`` tables. A top-level YAML list of scans is accepted too.
A folder: every readable file whose name contains an OCV like ``3.7V`` or ``ocv_3p7`` is used.

The reference scan is the one marked ``reference: true``, otherwise the one whose OCV is closest to
0 V (the discharged state). Each scan's CPD(x) is aligned in x to the reference (cross-correlation of
the row-averaged topography when every file has one, else of the CPD profiles' gradients) and
interpolated onto the reference's x; ΔCPD = CPD − CPD_ref, with standard deviations combined in
quadrature. The result is one Profile with dims ``(ocv, x)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import InputError
from ..profile import make_profile
from ._common import fill_gaps

_OCV_NAME = re.compile(r"(?i)(?:ocv[_\- ]?)?(-?\d+(?:[.p]\d+)?)\s*v(?![a-z])|ocv[_\- ]?(-?\d+(?:[.p]\d+)?)")


@dataclass(frozen=True)
class Scan:
    """One entry of a series: a file at an open-circuit voltage.

    Attributes
    ----------
    file : pathlib.Path
        The KPFM file.
    ocv_V : float
        Open-circuit voltage of the scan (V).
    channel : str, optional
        Potential channel of this file (overrides the series' channel).
    reference : bool
        This is the reference scan of ΔCPD.
    """

    file: Path
    ocv_V: float
    channel: str | None = None
    reference: bool = False


@dataclass(frozen=True)
class SeriesSpec:
    """A series as read from a manifest or a folder (see the module docstring for the keys).

    Attributes
    ----------
    scans : tuple of Scan
        The scans.
    channel : str, optional
        Potential channel of every file (default: each file's own choice).
    pixel_size_nm : float, optional
        Pixel size (nm) for files without a physical size.
    convention : {"sample", "tip"}, optional
        Sign convention when the files do not record it.
    align : bool
        Remove the x-drift by cross-correlation.
    align_on : {"topography", "cpd"}
        What the alignment correlates.
    max_shift_nm : float, optional
        Largest drift searched (nm).
    rows : (int, int), optional
        Profile region: rows ``[start, stop)`` of each map.
    source : str
        The manifest or folder.
    """

    scans: tuple[Scan, ...]
    channel: str | None = None
    pixel_size_nm: float | None = None
    convention: str | None = None
    align: bool = True
    align_on: str = "topography"
    max_shift_nm: float | None = None
    rows: tuple[int, int] | None = None
    source: str = ""


_KEYS = {"channel", "pixel_size_nm", "convention", "align", "align_on", "max_shift_nm", "rows", "scans"}


def read_manifest(path: str | Path) -> SeriesSpec:
    """Read a series manifest (YAML ``.yaml``/``.yml`` or TOML ``.toml``) or scan a folder.

    Parameters
    ----------
    path : str or Path
        The manifest (paths in it are relative to it), or a folder whose file names give the OCVs.

    Returns
    -------
    SeriesSpec

    Raises
    ------
    InputError
        A missing or invalid manifest, unknown keys, a non-numeric OCV or size.
    """
    p = Path(path)
    if p.is_dir():
        return _from_folder(p)
    if not p.is_file():
        raise InputError(f"series manifest {str(p)!r} does not exist")
    text = p.read_bytes()
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            doc = tomllib.loads(text.decode("utf-8"))
        else:
            import yaml

            doc = yaml.safe_load(text.decode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - parser errors of both libraries
        raise InputError(f"series manifest {str(p)!r} is not valid {'TOML' if p.suffix == '.toml' else 'YAML'}: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if isinstance(doc, list):
        doc = {"scans": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("scans"), list) or not doc["scans"]:
        raise InputError(f"series manifest {str(p)!r} needs a non-empty list 'scans' of "
                         f"{{file: ..., ocv_V: ...}} entries")
    unknown = set(doc) - _KEYS
    if unknown:
        raise InputError(f"series manifest {str(p)!r}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    scans = []
    for i, e in enumerate(doc["scans"]):
        if not isinstance(e, dict) or "file" not in e or "ocv_V" not in e:
            raise InputError(f"series manifest {str(p)!r}: scans[{i}] must have 'file' and 'ocv_V', got {e!r}")
        bad = set(e) - {"file", "ocv_V", "channel", "reference"}
        if bad:
            raise InputError(f"series manifest {str(p)!r}: scans[{i}] has unknown keys {sorted(bad)}")
        try:
            ocv = float(e["ocv_V"])
        except (TypeError, ValueError):
            raise InputError(f"series manifest {str(p)!r}: scans[{i}].ocv_V = {e['ocv_V']!r} is not a "
                             f"number (volts)") from None
        f = Path(str(e["file"]))
        f = f if f.is_absolute() else p.parent / f
        scans.append(Scan(f, ocv, e.get("channel"), bool(e.get("reference", False))))
    rows = doc.get("rows")
    if rows is not None:
        try:
            r0, r1 = (int(v) for v in rows)
        except (TypeError, ValueError):
            raise InputError(f"series manifest {str(p)!r}: rows must be [start, stop], got {rows!r}") from None
        rows = (r0, r1)
    return SeriesSpec(tuple(scans), doc.get("channel"), _opt_float(doc, "pixel_size_nm", p),
                      doc.get("convention"), bool(doc.get("align", True)), str(doc.get("align_on", "topography")),
                      _opt_float(doc, "max_shift_nm", p), rows, str(p))


def _opt_float(doc, key, p):
    if doc.get(key) is None:
        return None
    try:
        return float(doc[key])
    except (TypeError, ValueError):
        raise InputError(f"series manifest {str(p)!r}: {key} = {doc[key]!r} is not a number") from None


def _from_folder(folder: Path) -> SeriesSpec:
    from .io import EXTENSIONS

    scans = []
    for f in sorted(folder.iterdir()):
        if not f.is_file() or (f.suffix.lower() not in EXTENSIONS and not re.fullmatch(r"\.\d{3}", f.suffix)):
            continue
        m = _OCV_NAME.search(f.stem)
        if not m:
            continue
        val = (m.group(1) or m.group(2)).replace("p", ".")
        scans.append(Scan(f, float(val)))
    if not scans:
        raise InputError(f"folder {str(folder)!r} has no KPFM files whose names give an OCV (e.g. "
                         f"'scan_3.7V.gwy'); write a manifest instead")
    return SeriesSpec(tuple(scans), source=str(folder))


def _reference_index(scans) -> int:
    flagged = [i for i, s in enumerate(scans) if s.reference]
    if len(flagged) > 1:
        raise InputError(f"more than one scan is marked reference: {[str(scans[i].file) for i in flagged]}")
    if flagged:
        return flagged[0]
    return int(np.argmin([abs(s.ocv_V) for s in scans]))


def operando_series(spec: SeriesSpec | str | Path) -> xr.Dataset:
    """ΔCPD(x) per OCV on the reference scan's x axis, as one Profile with dims ``(ocv, x)``.

    Parameters
    ----------
    spec : SeriesSpec or str or Path
        A series, or a manifest or folder for :func:`read_manifest`.

    Returns
    -------
    xarray.Dataset
        ``cpd_V``, ``std_V``, ``delta_cpd_V``, ``delta_std_V``, ``count`` over ``(ocv, x)``;
        coordinates ``ocv`` (V) and ``shift_nm`` (the x-drift removed from each scan, nm);
        metadata lists the files, channels, reference and the alignment.
    """
    from .io import read
    from .processing import average_rows, level_plane, map_to_profile, xcorr_shift

    if not isinstance(spec, SeriesSpec):
        spec = read_manifest(spec)
    ocvs = [s.ocv_V for s in spec.scans]
    if len(set(ocvs)) != len(ocvs):
        raise InputError(f"series {spec.source!r}: OCVs repeat ({ocvs}); give each scan a distinct ocv_V")
    order = np.argsort(ocvs)
    scans = [spec.scans[i] for i in order]
    iref = _reference_index(scans)
    files = [read(s.file, convention=spec.convention) for s in scans]
    profiles = [map_to_profile(kf, s.channel or spec.channel, rows=spec.rows, pixel_size_nm=spec.pixel_size_nm)
                for kf, s in zip(files, scans, strict=True)]
    for p, s in zip(profiles, scans, strict=True):
        if "cpd_V" not in p:
            raise InputError(f"scan {str(s.file)!r}: channel {p.ssb.metadata['channel']!r} is not in V")
    ref = profiles[iref]
    xref = ref["x"].values
    dx = float(xref[1] - xref[0]) if xref.size > 1 else 1.0
    shifts = np.zeros(len(scans))
    how = "none"
    if spec.align and len(scans) > 1:
        topo = [next((c for c in kf.channels if c.role == "topography" and c.data.ndim == 2), None) for kf in files]
        use_topo = spec.align_on == "topography" and all(t is not None for t in topo)
        how = "row-averaged topography" if use_topo else "CPD profile gradients"
        if use_topo:
            sig = [average_rows(level_plane(t.data)[0], None, _rows(spec))[0] for t in topo if t is not None]
            xs = [p["x"].values for p in profiles]
            sig = [np.interp(xref, x, fill_gaps(sg)) for x, sg in zip(xs, sig, strict=True)]
        else:
            sig = [np.interp(xref, p["x"].values, fill_gaps(p["cpd_V"].values)) for p in profiles]
        for i in range(len(scans)):
            if i != iref:
                shifts[i] = xcorr_shift(sig[iref], sig[i], dx, spec.max_shift_nm)
    cpd = np.empty((len(scans), xref.size))
    std = np.empty_like(cpd)
    cnt = np.empty(cpd.shape, int)
    for i, p in enumerate(profiles):
        x = p["x"].values
        cpd[i] = np.interp(xref + shifts[i], x, p["cpd_V"].values, left=np.nan, right=np.nan)
        std[i] = np.interp(xref + shifts[i], x, p["std_V"].values, left=np.nan, right=np.nan)
        c = np.interp(xref + shifts[i], x, p["count"].values.astype(float), left=0, right=0)
        cnt[i] = np.rint(c).astype(int)
    dcpd = cpd - cpd[iref]
    dstd = np.sqrt(std ** 2 + std[iref] ** 2)
    dstd[iref] = 0.0
    convs = {kf.cpd_convention for kf in files}
    if len(convs) > 1:
        raise InputError(f"series {spec.source!r}: scans have different sign conventions {sorted(convs)}; "
                         f"set 'convention' in the manifest")
    conv = convs.pop()
    meta = {"series": spec.source, "files": [str(s.file) for s in scans], "ocv_V": [s.ocv_V for s in scans],
            "channels": [p.ssb.metadata["channel"] for p in profiles], "reference_file": str(scans[iref].file),
            "reference_ocv_V": scans[iref].ocv_V, "alignment": how, "shift_nm": shifts,
            "processing": ["per scan: " + "; ".join(profiles[iref].ssb.metadata["processing"]),
                           f"x-drift alignment on {how}" if how != "none" else "no x alignment",
                           "interpolated onto the reference scan's x", "ΔCPD = CPD − CPD(reference) (Eq. 9)"],
            "cpd_convention": conv}
    dims = ("ocv", "x")
    coords = {"ocv": xr.Variable(("ocv",), np.asarray([s.ocv_V for s in scans], float),
                                 attrs={"units": "V", "long_name": "open-circuit voltage"}),
              "shift_nm": xr.Variable(("ocv",), shifts, attrs={"units": "nm", "long_name": "x-drift removed"})}
    return make_profile(xref, {"cpd_V": (cpd, "V", "contact potential difference"),
                               "std_V": (std, "V", "standard deviation over the averaged pixels"),
                               "delta_cpd_V": (dcpd, "V", "CPD change against the reference scan"),
                               "delta_std_V": (dstd, "V", "standard deviation of delta CPD"),
                               "count": (cnt, "1", "number of averaged pixels")},
                        kind="measurement", metadata=meta, dims=dims, coords=coords,
                        attrs={"cpd_convention": conv})


def _rows(spec):
    return None if spec.rows is None else slice(*spec.rows)
