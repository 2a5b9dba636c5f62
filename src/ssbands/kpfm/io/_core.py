"""Data model shared by the KPFM readers: :class:`Channel`, :class:`KPFMFile`, unit parsing and the
choice of the potential channel.

Every reader returns channel data in SI base units (V, m, Hz, A, deg) with the physical size of the
scan in metres, so downstream code never deals with vendor prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...constants import CPD_CONVENTION
from ...errors import InputError

#: The package convention: the nulling bias is applied to the sample.
SAMPLE_BIAS = CPD_CONVENTION
#: The opposite convention: the nulling bias is applied to the tip (values are the negative).
TIP_BIAS = "CPD = (E_vac - Phi_tip)/e (bias applied to the tip)"
#: Convention not recorded in the file.
UNKNOWN_CONVENTION = ("unknown: the file does not record whether the bias is applied to the tip or the "
                      "sample; state it with convention='sample' or 'tip'")

CONVENTIONS = {"sample": SAMPLE_BIAS, "tip": TIP_BIAS, "unknown": UNKNOWN_CONVENTION}

#: Words in a channel title that mean "this is the surface potential".
_POTENTIAL_WORDS = re.compile(
    r"(?<![a-z])(cpd|kpfm|skpm|kpm|fm-?kpfm|am-?kpfm|potential|surface ?potential|contact ?potential|"
    r"kelvin|nap ?potential|work ?function|spv)(?![a-z])", re.IGNORECASE)
#: Words that mean "this is not the potential" even when the unit is V.
_NOT_POTENTIAL_WORDS = re.compile(
    r"(bias|amplitude|deflection|phase|current|excitation|drive|error|userin|user ?in|aux|input|lateral|"
    r"friction|frequency|height|topograph|z ?sensor|bias ?spectroscopy|applied ?voltage|setpoint|mask)",
    re.IGNORECASE)

_SI_PREFIX = {"y": 1e-24, "z": 1e-21, "a": 1e-18, "f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6,
              "µ": 1e-6, "μ": 1e-6, "~": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1, "k": 1e3, "M": 1e6,
              "G": 1e9}
_BASE_UNITS = {"m", "V", "Hz", "A", "deg", "rad", "s", "N", "F", "Ohm", "W", "K", "N/m", ""}
_ALIASES = {"°": "deg", "º": "deg", "degree": "deg", "degrees": "deg", "volt": "V", "volts": "V",
            "meter": "m", "metre": "m", "hz": "Hz", "v": "V"}


def si_unit(unit: str | None) -> tuple[str, float]:
    """Split a unit string into an SI base unit and the factor that converts to it.

    Parameters
    ----------
    unit : str or None
        e.g. ``"nm"``, ``"um"``, ``"µm"``, ``"~m"`` (Nanoscope's µ), ``"mV"``, ``"V"``, ``"kHz"``.

    Returns
    -------
    base : str
        SI base unit (``"m"``, ``"V"``, ...); the input itself when it is not recognised.
    factor : float
        Multiply values in ``unit`` by this to get values in ``base``.
    """
    u = (unit or "").strip()
    u = _ALIASES.get(u, u)
    if u in _BASE_UNITS:
        return u, 1.0
    if len(u) >= 2 and u[0] in _SI_PREFIX:
        rest = _ALIASES.get(u[1:], u[1:])
        if rest in _BASE_UNITS and rest:
            return rest, _SI_PREFIX[u[0]]
    return u, 1.0


def _words(title: str) -> str:
    """Split CamelCase, underscores and digits into words: 'NapPotentialRetrace' -> 'Nap Potential Retrace'."""
    t = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", " ", title or "")
    return re.sub(r"[_\-./]+", " ", t)


def looks_like_potential(title: str) -> bool:
    """True when a channel title names a surface/contact potential (CPD, KPFM, Potential, ...).

    Parameters
    ----------
    title : str
        Channel title (CamelCase and underscores are split into words).

    Returns
    -------
    bool
    """
    return bool(_POTENTIAL_WORDS.search(_words(title)))


def looks_like_other(title: str) -> bool:
    """True when a channel title names a signal that is not a potential (Amplitude, Phase, ...).

    Parameters
    ----------
    title : str
        Channel title.

    Returns
    -------
    bool
    """
    return bool(_NOT_POTENTIAL_WORDS.search(title or ""))


@dataclass(frozen=True)
class Channel:
    """One data channel of a KPFM/SPM file.

    Attributes
    ----------
    title : str
        The channel's name in the file (corrected where the library mangles it).
    unit : str
        SI base unit of ``data`` (``"V"``, ``"m"``, ``"Hz"``, ``"deg"``, ``""`` if unknown).
    data : numpy.ndarray
        ``(ny, nx)`` map, row 0 at the top of the image, or ``(ny, nx, n)`` for a spectroscopy grid.
    size_m : tuple of float or None
        Physical scan size ``(x, y)`` in metres; None when the file does not say.
    unit_source : str
        ``"file"`` (stated by the file), ``"inferred"`` (from the title or file name), or
        ``"unknown"``.
    role : str
        ``"potential"``, ``"suspect-potential"`` (title or history says potential but the unit is
        wrong), ``"topography"``, ``"spectroscopy"`` or ``"other"``.
    note : str
        Anything the reader had to correct or assume about this channel.
    metadata : dict
        Channel-level metadata (processing log, direction, scaling, ...).
    """

    title: str
    unit: str
    data: np.ndarray
    size_m: tuple[float, float] | None = None
    unit_source: str = "file"
    role: str = "other"
    note: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data`` in pixels (``(ny, nx)`` or ``(ny, nx, n)``)."""
        return tuple(int(n) for n in self.data.shape)

    @property
    def pixel_size_m(self) -> tuple[float, float] | None:
        """``(dx, dy)`` in metres, or None when the size is unknown."""
        if self.size_m is None:
            return None
        ny, nx = self.data.shape[:2]
        return (self.size_m[0] / nx, self.size_m[1] / ny)

    def summary(self) -> dict:
        """JSON-ready description: title, unit, shape, size_m, role, note.

        Returns
        -------
        dict
            Size in m, shape in pixels.
        """
        d = {"title": self.title, "unit": self.unit, "shape": list(self.shape),
             "size_m": list(self.size_m) if self.size_m is not None else None,
             "role": self.role, "unit_source": self.unit_source}
        if self.note:
            d["note"] = self.note
        return d


@dataclass(frozen=True)
class KPFMFile:
    """A KPFM/SPM file read by :func:`ssbands.kpfm.io.read`.

    Attributes
    ----------
    path : pathlib.Path
    format : str
        ``"gwyddion"``, ``"asylum-ibw"``, ``"nanonis-sxm"``, ``"nanonis-3ds"``, ``"nanoscope"``,
        ``"park-tiff"``, ``"text"``, ``"npy"``.
    channels : tuple of Channel
    potential_channel : str or None
        Title of the channel that holds the surface potential (chosen by title and unit), or None.
    cpd_convention : str
        The instrument's sign convention (see :data:`SAMPLE_BIAS`, :data:`TIP_BIAS`).
    notes : tuple of str
        What the reader decided and why (channel choice, corrected units, quirks).
    metadata : dict
        The file's own metadata (header keys, notes, processing logs).
    sweep : numpy.ndarray or None
        Bias sweep in V of a spectroscopy grid (``.3ds``), else None.
    """

    path: Path
    format: str
    channels: tuple[Channel, ...]
    potential_channel: str | None
    cpd_convention: str = UNKNOWN_CONVENTION
    notes: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    sweep: np.ndarray | None = None

    @property
    def titles(self) -> list[str]:
        """Titles of the channels, in file order."""
        return [c.title for c in self.channels]

    def channel(self, name: str | None = None) -> Channel:
        """Return the channel named ``name`` (case-insensitive), or the potential channel.

        Parameters
        ----------
        name : str, optional
            Channel title; None: the potential channel.

        Returns
        -------
        Channel

        Raises
        ------
        InputError
            If there is no such channel, or ``name`` is None and the file has no potential channel;
            the message lists the channels the file has.
        """
        if name is None:
            if self.potential_channel is None:
                raise InputError(
                    f"KPFM file {str(self.path)!r}: no potential channel found (none is titled like "
                    f"CPD/Potential/KPFM with a unit of V). The file has: {self.describe_channels()}. "
                    f"Name one with channel=NAME (CLI: --channel NAME).")
            name = self.potential_channel
        for c in self.channels:
            if c.title == name:
                return c
        for c in self.channels:
            if c.title.lower() == str(name).lower():
                return c
        raise InputError(f"KPFM file {str(self.path)!r} has no channel {name!r}; it has: "
                         f"{self.describe_channels()}")

    def describe_channels(self) -> str:
        """One line listing each channel's title, unit and shape (for messages).

        Returns
        -------
        str
        """
        return ", ".join(f"{c.title!r} [{c.unit or '?'}] {'x'.join(map(str, c.shape))}"
                         for c in self.channels) or "no channels"

    def info(self) -> dict:
        """JSON-ready summary: format, channels, potential_channel, convention, notes.

        Returns
        -------
        dict
        """
        return {"file": str(self.path), "format": self.format,
                "channels": [c.summary() for c in self.channels],
                "potential_channel": self.potential_channel,
                "cpd_convention": self.cpd_convention, "notes": list(self.notes)}


def make_channel(title, unit, data, size_m=None, *, unit_source="file", metadata=None, note="",
                 role=None) -> Channel:
    """Build a channel, converting ``unit`` (possibly prefixed) to its SI base unit.

    Parameters
    ----------
    title : str
        Channel title.
    unit : str or None
        Unit of ``data`` as the file gives it (e.g. ``"mV"``, ``"nm"``).
    data : array_like
        Numeric map or grid, in ``unit``.
    size_m : (float, float), optional
        Scan size ``(x, y)`` in m; must be positive and finite.
    unit_source : str
        ``"file"``, ``"inferred"`` or ``"unknown"``.
    metadata : dict, optional
        Channel-level metadata.
    note : str
        What the reader corrected or assumed.
    role : str, optional
        Force a role instead of :func:`classify`.

    Returns
    -------
    Channel
        Data in the SI base unit (float).
    """
    base, factor = si_unit(unit)
    arr = np.asarray(data)
    if arr.dtype.kind not in "fiub":
        raise InputError(f"channel {title!r}: data of type {arr.dtype} is not numeric")
    arr = arr.astype(float, copy=False)
    if factor != 1.0:
        arr = arr * factor
    if size_m is not None:
        sx, sy = (float(size_m[0]), float(size_m[1]))
        if not (np.isfinite(sx) and np.isfinite(sy) and sx > 0 and sy > 0):
            raise InputError(f"channel {title!r}: physical size {size_m!r} m is not positive and finite")
        size_m = (sx, sy)
    ch = Channel(str(title).strip(), base, arr, size_m, unit_source, "other", note, dict(metadata or {}))
    return replace(ch, role=role or classify(ch))


def classify(ch: Channel) -> str:
    """Role of a channel from its title and unit (not its index).

    Parameters
    ----------
    ch : Channel
        The channel.

    Returns
    -------
    str
        ``"spectroscopy"``, ``"potential"``, ``"potential-candidate"``, ``"topography"``,
        ``"suspect-potential"`` or ``"other"``.
    """
    if ch.data.ndim == 3:
        return "spectroscopy"
    t = ch.title
    if ch.unit == "V" and looks_like_potential(t):
        return "potential"
    if ch.unit == "V" and ch.unit_source == "file" and not looks_like_other(t):
        return "potential-candidate"
    if ch.unit == "m" and re.search(r"height|topograph|z ?sensor|^z$", t, re.IGNORECASE):
        return "topography"
    if ch.unit not in ("V",) and looks_like_potential(t):
        return "suspect-potential"
    return "other"


_RANK = {"potential": 3, "potential-candidate": 2, "suspect-potential": 1}


def choose_potential(channels: list[Channel], path: Path) -> tuple[str | None, list[str]]:
    """Pick the potential channel by title and unit; return its title and the notes explaining why.

    Ranking: a title that says potential *and* unit V > unit V stated by the file with a neutral
    title (e.g. Gwyddion's "Recalibrated Data 1") > a title or processing history that says
    potential with a wrong unit (used only when nothing else qualifies, and reported).
    Among equals the later channel wins (a derived, calibrated channel comes after its source).

    Parameters
    ----------
    channels : list of Channel
        The file's channels (roles set).
    path : Path
        The file (for messages).

    Returns
    -------
    title : str or None
        The chosen channel's title, or None when no channel qualifies.
    notes : list of str
        Why it was chosen (and warnings).
    """
    notes: list[str] = []
    ranked = [(_RANK.get(c.role, 0), i, c) for i, c in enumerate(channels)]
    ranked = [r for r in ranked if r[0] > 0]
    if not ranked:
        return None, ["no potential channel: no channel is titled like CPD/Potential/KPFM with a unit "
                      "of V; channels: " + ", ".join(f"{c.title!r} [{c.unit or '?'}]" for c in channels)]
    best_rank = max(r[0] for r in ranked)
    best = [r for r in ranked if r[0] == best_rank]
    # prefer an exact potential word over a generic one, then the last (derived) channel
    best.sort(key=lambda r: (looks_like_potential(r[2].title), r[1]))
    chosen = best[-1][2]
    others = [r[2].title for r in ranked if r[2] is not chosen]
    why = {3: "title names a potential and the unit is V",
           2: "unit V stated by the file and the title names no other signal",
           1: "title or processing history says potential although the unit is "
              f"{chosen.unit or 'missing'!r}"}[best_rank]
    notes.append(f"potential channel {chosen.title!r}: {why}"
                 + (f" (other candidates: {', '.join(map(repr, others))})" if others else ""))
    if chosen.role == "suspect-potential":
        notes.append(f"WARNING: channel {chosen.title!r} is used as potential although its unit is "
                     f"{chosen.unit or 'missing'!r}; check its calibration")
    return chosen.title, notes


def check_file(path) -> Path:
    """Check that ``path`` exists and is a file.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        If it does not exist or is a directory.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"KPFM file {str(p)!r} does not exist")
    if p.is_dir():
        raise InputError(f"KPFM file {str(p)!r} is a directory, not a file")
    return p


def fail(path, what: str, exc: BaseException | None = None) -> InputError:
    """An InputError naming the file and what is wrong with it.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What is wrong.
    exc : BaseException, optional
        The underlying error (its type and message are appended).

    Returns
    -------
    InputError
        With a message of at most 400 characters.
    """
    detail = f": {type(exc).__name__}: {exc}" if exc is not None and str(exc) else (
        f": {type(exc).__name__}" if exc is not None else "")
    msg = f"KPFM file {str(path)!r}: {what}{detail}"
    if len(msg) > 400:
        msg = msg[:397] + "..."
    return InputError(msg)


def missing_library(path, lib: str) -> InputError:
    """An InputError saying that reading ``path`` needs the optional library ``lib``.

    Parameters
    ----------
    path : str or Path
        The file.
    lib : str
        The library's name.

    Returns
    -------
    InputError
    """
    return InputError(f"KPFM file {str(path)!r} needs the optional library {lib!r}, which is not "
                      f"installed: pip install ssbands[kpfm]")
