"""Operando series: scans at several OCVs → ΔCPD(x) per OCV on a common x axis.

ΔCPD = CPD − CPD(reference) is Eq. 9 of the KPFM perspective of Swift, Fuller, Talin, Qi et al.

A series is given by a manifest file (YAML or TOML) or a folder:

.. code-block:: yaml

    # series.yaml -- paths are relative to this file
    channel: CPD            # optional, default: each file's potential channel
    pixel_size_nm: 20       # optional, only for files without a physical size
    convention: sample      # optional: 'sample' or 'tip' when the files do not say
    align_on: topography    # optional x-drift alignment: 'topography', 'cpd' or a channel title
    max_shift_nm: 500       # optional bound on the drift
    force_align: false      # apply shifts the alignment finds implausible (default false)
    rows: [0, 64]           # optional profile region (rows start, stop)
    scans:
      - {file: ocv_0.00V.gwy, ocv_V: 0.0}
      - {file: ocv_3.70V.gwy, ocv_V: 3.7, channel: CPD}

TOML: the same keys, with ``[[scans]]`` tables. A top-level YAML list of scans is accepted too.
A folder: every readable file whose name contains an OCV like ``3.7V`` or ``ocv_3p7`` is used (no
alignment).

The reference scan is the one marked ``reference: true``, otherwise the one whose OCV is closest to
0 V (the discharged state). The scans are aligned in x only when asked (``align_on``), only on a
channel every file has, and each shift is reported with its correlation coefficient; a shift the
cross-correlation finds implausible (correlation below 0.5 or not significant against noise, on the
bound of the search, or beyond a quarter of the scan without ``max_shift_nm``) is refused unless
``force_align`` is set. Each scan's
CPD(x) is interpolated onto the reference's x: scans with other pixel counts over the same width are
resampled; scans of different widths are refused unless aligned, and then the x axis is cut to the
range every scan covers. Points left without data by a shift are counted and reported. ΔCPD = CPD −
CPD_ref, with standard deviations combined in quadrature. The result is one Profile with dims
``(ocv, x)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
        Pixel size (nm) for files without a physical size (files with one keep their own).
    convention : {"sample", "tip"}, optional
        Sign convention when the files do not record it.
    align : bool, optional
        Remove the x-drift by cross-correlation; None: align exactly when ``align_on`` is given.
    align_on : str, optional
        What the alignment correlates: ``"topography"`` (each file's topography channel),
        ``"cpd"`` (the CPD profiles) or a channel title every file has. Required to align.
    max_shift_nm : float, optional
        Largest drift searched (nm).
    rows : (int, int), optional
        Profile region: rows ``[start, stop)`` of each map.
    source : str
        The manifest or folder.
    force_align : bool
        Apply shifts that the cross-correlation finds implausible.
    """

    scans: tuple[Scan, ...]
    channel: str | None = None
    pixel_size_nm: float | None = None
    convention: str | None = None
    align: bool | None = None
    align_on: str | None = None
    max_shift_nm: float | None = None
    rows: tuple[int, int] | None = None
    source: str = ""
    force_align: bool = False


_KEYS = {"channel", "pixel_size_nm", "convention", "align", "align_on", "max_shift_nm", "force_align", "rows",
         "scans"}


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
    align_on = doc.get("align_on")
    if align_on is not None and (not isinstance(align_on, str) or not align_on.strip()):
        raise InputError(f"series manifest {str(p)!r}: align_on = {align_on!r} must be 'topography', 'cpd' or "
                         f"a channel title")
    return SeriesSpec(tuple(scans), doc.get("channel"), _opt_float(doc, "pixel_size_nm", p),
                      doc.get("convention"), _opt_bool(doc, "align", p), align_on,
                      _opt_float(doc, "max_shift_nm", p), rows, str(p), bool(_opt_bool(doc, "force_align", p)))


def _opt_float(doc, key, p):
    if doc.get(key) is None:
        return None
    try:
        v = float(doc[key])
    except (TypeError, ValueError):
        raise InputError(f"series manifest {str(p)!r}: {key} = {doc[key]!r} is not a number") from None
    if not (np.isfinite(v) and v > 0):
        raise InputError(f"series manifest {str(p)!r}: {key} = {doc[key]!r} must be a positive number (nm)")
    return v


def _opt_bool(doc, key, p):
    v = doc.get(key)
    if v is None or isinstance(v, bool):
        return v
    raise InputError(f"series manifest {str(p)!r}: {key} = {v!r} must be true or false")


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


def operando_series(spec: SeriesSpec | str | Path, *, force_align: bool | None = None) -> xr.Dataset:
    """ΔCPD(x) per OCV on the reference scan's x axis, as one Profile with dims ``(ocv, x)``.

    Parameters
    ----------
    spec : SeriesSpec or str or Path
        A series, or a manifest or folder for :func:`read_manifest`.
    force_align : bool, optional
        Apply shifts the alignment finds implausible; overrides the manifest's ``force_align``.

    Returns
    -------
    xarray.Dataset
        ``cpd_V``, ``std_V``, ``delta_cpd_V``, ``delta_std_V``, ``count`` over ``(ocv, x)``;
        coordinates ``ocv`` (V), ``shift_nm`` (the x-drift removed from each scan, nm) and
        ``shift_correlation`` (its correlation coefficient, NaN without alignment); metadata lists the
        files, channels, reference, the alignment of each scan and the points left without data.

    Raises
    ------
    InputError
        Repeated OCVs, an alignment channel that is missing or was not named, an implausible shift
        (unless forced), scans of different widths that are not aligned, mixed sign conventions.
    """
    from .io import read

    if not isinstance(spec, SeriesSpec):
        spec = read_manifest(spec)
    if force_align is not None:
        spec = replace(spec, force_align=bool(force_align))
    ocvs = [s.ocv_V for s in spec.scans]
    if len(set(ocvs)) != len(ocvs):
        raise InputError(f"series {spec.source!r}: OCVs repeat ({ocvs}); give each scan a distinct ocv_V")
    align_on = _align_on(spec)
    scans = [spec.scans[i] for i in np.argsort(ocvs)]
    iref = _reference_index(scans)
    files = [read(s.file, convention=spec.convention) for s in scans]
    profiles = [_profile(spec, kf, s.channel or spec.channel) for kf, s in zip(files, scans, strict=True)]
    for p, s in zip(profiles, scans, strict=True):
        if "cpd_V" not in p:
            raise InputError(f"scan {str(s.file)!r}: channel {p.ssb.metadata['channel']!r} is not in V")
    notes = _check_widths(spec, scans, profiles, iref, align_on)
    aligns = _align(spec, scans, files, profiles, iref, align_on)
    shifts = np.array([a.shift_nm if a is not None else 0.0 for a in aligns])
    xref, cut = _common_axis(scans, profiles, iref, shifts, align_on, notes)
    cpd, std, cnt, empty = _resample(profiles, xref, shifts)
    for i, k in enumerate(empty):
        if k:
            notes.append(f"{k} of {xref.size} points have no data from {scans[i].file.name} after its x shift "
                         f"(NaN, count 0)")
    dcpd = cpd - cpd[iref]
    dstd = np.sqrt(std ** 2 + std[iref] ** 2)
    dstd[iref] = 0.0
    convs = {kf.cpd_convention for kf in files}
    if len(convs) > 1:
        raise InputError(f"series {spec.source!r}: scans have different sign conventions {sorted(convs)}; "
                         f"set 'convention' in the manifest")
    conv = convs.pop()
    how = "none" if align_on is None else _ALIGN_NAMES.get(align_on, f"channel {align_on!r}")
    meta = {"series": spec.source, "files": [str(s.file) for s in scans], "ocv_V": [s.ocv_V for s in scans],
            "channels": [p.ssb.metadata["channel"] for p in profiles], "reference_file": str(scans[iref].file),
            "reference_ocv_V": scans[iref].ocv_V, "alignment": how, "shift_nm": shifts,
            "alignments": [_alignment_record(a) for a in aligns], "points_without_data": empty,
            "x_cut_nm": cut, "notes": notes,
            "processing": ["per scan: " + "; ".join(profiles[iref].ssb.metadata["processing"]),
                           f"x-drift alignment on {how}" if how != "none" else "no x alignment",
                           "interpolated onto the reference scan's x", "ΔCPD = CPD − CPD(reference) (Eq. 9)"],
            "cpd_convention": conv}
    corr = np.array([a.correlation if a is not None else np.nan for a in aligns])
    coords = {"ocv": xr.Variable(("ocv",), np.asarray([s.ocv_V for s in scans], float),
                                 attrs={"units": "V", "long_name": "open-circuit voltage"}),
              "shift_nm": xr.Variable(("ocv",), shifts, attrs={"units": "nm", "long_name": "x-drift removed"}),
              "shift_correlation": xr.Variable(("ocv",), corr, attrs={
                  "units": "1", "long_name": "correlation coefficient of the alignment at the shift"})}
    return make_profile(xref, {"cpd_V": (cpd, "V", "contact potential difference"),
                               "std_V": (std, "V", "standard deviation over the averaged pixels"),
                               "delta_cpd_V": (dcpd, "V", "CPD change against the reference scan"),
                               "delta_std_V": (dstd, "V", "standard deviation of delta CPD"),
                               "count": (cnt, "1", "number of averaged pixels")},
                        kind="measurement", metadata=meta, dims=("ocv", "x"), coords=coords,
                        attrs={"cpd_convention": conv})


_ALIGN_NAMES = {"topography": "row-averaged topography", "cpd": "CPD profile gradients"}


def _align_on(spec: SeriesSpec) -> str | None:
    """What to align on, or None; refuses alignment without a named channel and contradictory keys."""
    if spec.align is False:
        if spec.align_on is not None:
            raise InputError(f"series {spec.source!r}: align is false but align_on = {spec.align_on!r} is given; "
                             f"remove one of them")
        return None
    if spec.align_on is None:
        if spec.align:
            raise InputError(f"series {spec.source!r}: align is true but no align_on names what to align on; "
                             f"give align_on: topography, cpd or a channel title every file has")
        return None
    a = spec.align_on.strip()
    return a.lower() if a.lower() in _ALIGN_NAMES else a


def _profile(spec: SeriesSpec, kf, channel):
    """The scan's CPD profile; ``pixel_size_nm`` only for a file without a physical size."""
    from .processing import map_to_profile

    if kf.sweep is not None:
        raise InputError(f"scan {str(kf.path)!r} is a spectroscopy grid ({kf.format}), not a map: fit its "
                         f"Δf(V) with ssbands.kpfm.spectroscopy.fit_grid and write the CPD map as a file first")
    ch = kf.channel(channel)
    px = None
    if ch.size_m is None:
        if spec.pixel_size_nm is None:
            raise InputError(f"scan {str(kf.path)!r}: channel {ch.title!r} has no physical size; give "
                             f"pixel_size_nm (nm per pixel) in the manifest")
        px = spec.pixel_size_nm
    elif spec.pixel_size_nm is not None:
        own = ch.size_m[0] * 1e9 / ch.data.shape[1]
        if not np.isclose(own, spec.pixel_size_nm, rtol=0.01):
            raise InputError(f"series {spec.source!r}: pixel_size_nm = {spec.pixel_size_nm:g} nm disagrees with "
                             f"the file's own {own:.4g} nm per pixel ({str(kf.path)!r}); pixel_size_nm is only "
                             f"for files without a physical size")
    return map_to_profile(kf, ch.title, rows=spec.rows, pixel_size_nm=px)


def _width(p) -> float:
    x = p["x"].values
    dx = float(x[1] - x[0]) if x.size > 1 else 0.0
    return float(x[-1] - x[0]) + dx


def _check_widths(spec, scans, profiles, iref, align_on) -> list[str]:
    """Notes on resampling; refuses scans of different widths that are not aligned."""
    notes: list[str] = []
    ref = profiles[iref]
    wref, nref = _width(ref), ref.sizes["x"]
    dxref = wref / nref
    odd = [i for i, p in enumerate(profiles) if abs(_width(p) - wref) > 0.5 * dxref]
    if odd and align_on is None:
        widths = ", ".join(f"{scans[i].file.name}: {_width(profiles[i]):.6g} nm" for i in odd)
        raise InputError(f"series {spec.source!r}: scans cover different widths ({widths}; reference "
                         f"{scans[iref].file.name}: {wref:.6g} nm) and the files give no common origin; crop "
                         f"them to the same region, or align them (align_on: topography, cpd or a channel "
                         f"title) so that the overlap is found")
    for i, (s, p) in enumerate(zip(scans, profiles, strict=True)):
        if p.sizes["x"] != nref and i not in odd:
            notes.append(f"{s.file.name}: {p.sizes['x']} pixels resampled onto the reference's {nref} by "
                         f"linear interpolation")
    return notes


def _signal(spec, kf, p, align_on, xref):
    """The alignment signal of one scan on the reference's x: row-averaged channel or CPD profile."""
    from .processing import map_to_profile

    if align_on == "cpd":
        return np.interp(xref, p["x"].values, fill_gaps(p["cpd_V"].values))
    if align_on == "topography":
        topo = [c for c in kf.channels if c.role == "topography" and c.data.ndim == 2]
        fwd = [c for c in topo if "backward" not in str(c.metadata.get("direction", "")).lower()
               and not re.search(r"backward|retrace|bwd", c.title, re.IGNORECASE)]
        topo = fwd or topo
        if len(topo) != 1:
            what = "no topography channel" if not topo else \
                f"{len(topo)} topography channels ({', '.join(repr(c.title) for c in topo)})"
            raise InputError(f"scan {str(kf.path)!r} has {what}; channels: {kf.describe_channels()}; align on a "
                             f"channel title it has (align_on: TITLE), on the CPD (align_on: cpd), or do not align")
        title = topo[0].title
    else:
        title = kf.channel(align_on).title
    px = spec.pixel_size_nm if kf.channel(title).size_m is None else None
    q = map_to_profile(kf, title, rows=spec.rows, level="plane", pixel_size_nm=px)
    return np.interp(xref, q["x"].values, fill_gaps(q[next(iter(q.data_vars))].values))


def _align(spec, scans, files, profiles, iref, align_on) -> list:
    """Alignment of each scan to the reference (None for the reference and without alignment)."""
    from .processing import xcorr_alignment

    out: list = [None] * len(scans)
    if align_on is None or len(scans) < 2:
        return out
    xref = profiles[iref]["x"].values
    dx = float(xref[1] - xref[0]) if xref.size > 1 else 1.0
    sig = [_signal(spec, kf, p, align_on, xref) for kf, p in zip(files, profiles, strict=True)]
    bad = []
    for i in range(len(scans)):
        if i == iref:
            continue
        out[i] = a = xcorr_alignment(sig[iref], sig[i], dx, spec.max_shift_nm)
        if a.problems:
            bad.append(f"{scans[i].file.name}: shift {a.shift_nm:+.4g} nm, correlation {a.correlation:.2f} "
                       f"({'; '.join(a.problems)})")
    if bad and not spec.force_align:
        raise InputError(f"series {spec.source!r}: the x alignment on {_ALIGN_NAMES.get(align_on, align_on)} is "
                         f"implausible for {len(bad)} scan(s): {' | '.join(bad)}. Align on another channel, bound "
                         f"the drift (max_shift_nm), do not align, or apply the shifts anyway with "
                         f"force_align=True (manifest: force_align: true)")
    return out


def _alignment_record(a) -> dict | None:
    if a is None:
        return None
    return {"shift_nm": a.shift_nm, "correlation": a.correlation, "significance": a.significance,
            "overlap": a.overlap, "plausible": a.plausible, "problems": list(a.problems)}


def _common_axis(scans, profiles, iref, shifts, align_on, notes):
    """The reference's x, cut to the range every shifted scan covers when the scans' widths differ."""
    xref = profiles[iref]["x"].values
    wref = _width(profiles[iref])
    dx = wref / xref.size
    if align_on is None or all(abs(_width(p) - wref) <= 0.5 * dx for p in profiles):
        return xref, None
    lo = max(float(p["x"].values[0]) - sh for p, sh in zip(profiles, shifts, strict=True))
    hi = min(float(p["x"].values[-1]) - sh for p, sh in zip(profiles, shifts, strict=True))
    keep = (xref >= lo - 1e-9 * dx) & (xref <= hi + 1e-9 * dx)
    if keep.sum() < max(4, xref.size // 2):
        raise InputError(f"the aligned scans overlap on {max(hi - lo, 0):.4g} nm only, less than half of the "
                         f"reference scan ({wref:.4g} nm); crop the scans to a common region")
    notes.append(f"scans of different widths: x cut to {xref[keep][0]:.6g}..{xref[keep][-1]:.6g} nm, the range "
                 f"every aligned scan covers ({int(keep.sum())} of {xref.size} points)")
    return xref[keep], [float(xref[keep][0]), float(xref[keep][-1])]


def _resample(profiles, xref, shifts):
    """CPD, std and count of every scan at ``xref + shift``; points outside a scan are NaN (count 0)."""
    n = len(profiles)
    cpd = np.empty((n, xref.size))
    std = np.empty_like(cpd)
    cnt = np.empty(cpd.shape, int)
    empty = []
    for i, p in enumerate(profiles):
        x = p["x"].values
        xs = xref + shifts[i]
        cpd[i] = np.interp(xs, x, p["cpd_V"].values, left=np.nan, right=np.nan)
        std[i] = np.interp(xs, x, p["std_V"].values, left=np.nan, right=np.nan)
        c = np.interp(xs, x, p["count"].values.astype(float), left=0, right=0)
        cnt[i] = np.rint(c).astype(int)
        empty.append(int(((xs < x[0] - 1e-9) | (xs > x[-1] + 1e-9)).sum()))
    return cpd, std, cnt, empty
