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
#: Words that mean "this is not the surface potential" even when the unit is V: signals of the
#: feedback loops (bias, amplitude, phase, error, setpoint), lock-in outputs (LI, demod, X/Y/R,
#: harmonics), sensors (temperature, humidity, z sensor), generic inputs and outputs (input, aux,
#: user in/out, ADC/DAC) and potentials that are not the surface's (electrochemical, cell, gate).
_NOT_POTENTIAL_WORDS = re.compile(
    r"(bias|amplitude|deflection|phase|current|excitation|drive|error|userin|user ?in|user ?out|aux|input|"
    r"lateral|friction|frequency|height|topograph|z ?sensor|sensor|applied ?voltage|setpoint|mask|"
    r"lock[- ]?in|(?<![a-z])li(?![a-z])|demod|harmonic|(?<![a-z])(x|y|r|theta)(?![a-z])|temperature|"
    r"(?<![a-z])temp(?![a-z])|thermo|humidity|pressure|(?<![a-z])(adc|dac|in|out)\s*\d|"
    r"electrochem|(?<![a-z])ec(?![a-z])|cell|working ?electrode|reference|gate|drain|counter)",
    re.IGNORECASE)
#: Words that mark a backward (retrace) or forward (trace) scan direction in a channel title.
_BACKWARD = re.compile(r"backward|(?<![a-z])bwd(?![a-z])|retrace|(?<![a-z])backw(?![a-z])|\(r\)|<-|←",
                       re.IGNORECASE)
_FORWARD = re.compile(r"forward|(?<![a-z])fwd(?![a-z])|(?<![a-z])trace|(?<![a-z])forw(?![a-z])|\(f\)|->|→",
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
    """True when a channel title names a signal that is not the surface potential.

    Feedback-loop signals (Bias, Amplitude, Phase, Error, Setpoint), lock-in outputs (LI, Demod,
    X/Y/R), sensors (Temperature, Z sensor), generic inputs and outputs (Input 2, UserIn0, Aux,
    ADC1) and potentials that are not the surface's (electrochemical, cell, gate).

    Parameters
    ----------
    title : str
        Channel title (CamelCase and underscores are split into words).

    Returns
    -------
    bool
    """
    return bool(_NOT_POTENTIAL_WORDS.search(_words(title)))


def scan_direction(title: str) -> str:
    """Scan direction named in a channel title.

    Parameters
    ----------
    title : str
        Channel title, e.g. ``"Bias (backward)"``, ``"NapPotentialRetrace"``, ``"Z fwd"``.

    Returns
    -------
    str
        ``"backward"`` (backward, bwd, Retrace), ``"forward"`` (forward, fwd, Trace) or ``""``
        when the title does not say.
    """
    t = _words(title)
    if _BACKWARD.search(t):
        return "backward"
    if _FORWARD.search(t):
        return "forward"
    return ""


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
                cands = describe_candidates(self.channels)
                raise InputError(
                    f"KPFM file {str(self.path)!r}: no potential channel found (none is titled like "
                    f"CPD/Potential/KPFM with a unit of V and names no other signal"
                    + (f"; candidates: {cands}" if cands else "")
                    + f"). The file has: {self.describe_channels()}. Name one with channel=NAME.")
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

    Only a channel whose title names the surface potential (CPD, KPFM, Potential, ...), names no
    other signal and whose unit is V is a ``"potential"``. A channel in V whose title names nothing
    (e.g. Gwyddion's "Recalibrated Data 1") or names a potential together with another signal
    (e.g. "KPFM Amplitude") is a ``"potential-candidate"``: listed, never chosen automatically.

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
    pot, other = looks_like_potential(t), looks_like_other(t)
    if ch.unit == "V" and pot and not other:
        return "potential"
    if ch.unit == "V" and (pot or (ch.unit_source == "file" and not other)):
        return "potential-candidate"
    if ch.unit == "m" and re.search(r"height|topograph|z ?sensor|^z$", t, re.IGNORECASE):
        return "topography"
    if ch.unit != "V" and pot and not other:
        return "suspect-potential"
    return "other"


def _why_candidate(c: Channel) -> str:
    """Why a channel is listed as a candidate but not chosen (for messages)."""
    if c.role == "suspect-potential":
        return f"title or history says potential but the unit is {c.unit or 'missing'!r}"
    if looks_like_potential(c.title):
        return "the title also names another signal"
    return "unit V but the title does not say potential"


def describe_candidates(channels) -> str:
    """``'A' [V] (why), ...`` for the channels that could hold the potential (for messages).

    Parameters
    ----------
    channels : sequence of Channel
        The file's channels.

    Returns
    -------
    str
        Empty when no channel could be the potential.
    """
    out = []
    for c in channels:
        if c.role == "potential":
            d = c.metadata.get("direction") or scan_direction(c.title)
            out.append(f"{c.title!r} [V]" + (f" ({d})" if d else ""))
        elif c.role in ("potential-candidate", "suspect-potential"):
            out.append(f"{c.title!r} [{c.unit or '?'}] ({_why_candidate(c)})")
    return ", ".join(out)


def _direction(c: Channel) -> str:
    return str(c.metadata.get("direction") or c.metadata.get("line_direction") or scan_direction(c.title)).lower()


def choose_potential(channels: list[Channel], path: Path) -> tuple[str | None, list[str]]:
    """Pick the potential channel by title and unit; return its title and the notes explaining why.

    Only channels of role ``"potential"`` (title names the surface potential and no other signal,
    unit V) are chosen. Among several, a forward (trace) scan is preferred to a backward (retrace)
    one; if more than one remains, the choice is ambiguous and nothing is chosen: the notes list
    the candidates. Channels in V with a neutral title, or whose title also names another signal,
    and channels whose title says potential but whose unit is not V, are listed, never chosen.

    Parameters
    ----------
    channels : list of Channel
        The file's channels (roles set).
    path : Path
        The file (for messages).

    Returns
    -------
    title : str or None
        The chosen channel's title, or None when no channel qualifies or the choice is ambiguous.
    notes : list of str
        Why it was chosen, or the candidates.
    """
    pots = [c for c in channels if c.role == "potential"]
    cands = describe_candidates(channels)
    if not pots:
        if cands:
            return None, [f"no potential channel chosen: no channel is titled like CPD/Potential/KPFM with a "
                          f"unit of V and no other signal; candidates: {cands}; name one with channel=NAME"]
        return None, ["no potential channel: no channel is titled like CPD/Potential/KPFM with a unit "
                      "of V; channels: " + ", ".join(f"{c.title!r} [{c.unit or '?'}]" for c in channels)]
    forward = [c for c in pots if _direction(c) not in ("backward", "retrace")]
    best = forward or pots
    if len(best) > 1:
        return None, [f"no potential channel chosen: {len(best)} channels could be the potential ({cands}); "
                      f"name one with channel=NAME"]
    chosen = best[0]
    others = [c.title for c in channels if c is not chosen and c.role in
              ("potential", "potential-candidate", "suspect-potential")]
    why = "title names a potential and the unit is V"
    if len(pots) > 1:
        why += "; the forward scan is preferred to the backward one"
    elif _direction(chosen) in ("backward", "retrace"):
        why += " (the only one recorded is a backward scan)"
    return chosen.title, [f"potential channel {chosen.title!r}: {why}"
                          + (f" (other candidates: {', '.join(map(repr, others))})" if others else "")]


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
