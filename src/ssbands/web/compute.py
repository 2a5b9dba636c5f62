"""What the page computes: a stack sent by the page, validated and cached, solved at one OCV.

The page sends a stack in the stack-file structure (the parsed TOML as JSON, see
:meth:`ssbands.cell.Stack.from_dict`). Keys that name files on the server (``library``,
``extrinsic_defects``) are refused: the server takes paths only from its own command line. The
result of one solve is the ``ssbands band --json`` object (:func:`band_json`) and the arrays along x
the page plots (:func:`profile_arrays`).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from ..cell import Stack, reachable_ocv_range, solve, summary
from ..errors import InputError
from ..materials import Library
from ..profile import to_jsonable

#: stack-file keys the page may not send (they name files on the server)
SERVER_ONLY_KEYS = ("library", "extrinsic_defects")

#: arrays along x sent with every solve (names as in the band-diagram Profile, positions as ``x_nm``)
FRAME_VARIABLES = ("E_vac_eV", "E_F_eV", "E_CBM_eV", "E_VBM_eV", "mu_bar_Li_eV", "mu_Li_eV", "psi_V", "cpd_V",
                   "dcpd_V", "dcpd_work_function_V", "dcpd_potential_V")

_FIELD_PATTERNS = (
    (r"\bOCV\b|\bocv\b|reference_ocv", "ocv"),
    (r"mu_li_se|mu_Li,SE", "mu_li_se"),
    (r"temperature_K", "temperature"),
    (r"tip_work_function", "tip"),
    (r"\[\[interface\]\]|dipole", "dipoles"),
    (r"closure", "closure"),
    (r"\bground\b", "ground"),
)


def one_line(message: object) -> str:
    """A message as one line (the way ``ssbands`` prints errors).

    Parameters
    ----------
    message : object
        An exception or text.

    Returns
    -------
    str
        The non-empty lines of ``str(message)``, stripped and joined by spaces.
    """
    return " ".join(line.strip() for line in str(message).splitlines() if line.strip())


def error_field(message: str) -> str:
    """The page control an error message is about, so the page can show it next to that control.

    Parameters
    ----------
    message : str
        The package's one-line message.

    Returns
    -------
    str
        ``"layer-N"`` (N counted from 1) for a ``[[layer]] #N`` message, ``"layers"`` for other layer or
        material messages, ``"ocv"``, ``"mu_li_se"``, ``"temperature"``, ``"tip"``, ``"dipoles"``,
        ``"closure"``, ``"ground"``, or ``"stack"`` when nothing more specific applies.
    """
    m = re.search(r"\[\[layer\]\] #(\d+)", message)
    if m:
        return f"layer-{m.group(1)}"
    for pattern, name in _FIELD_PATTERNS:
        if re.search(pattern, message):
            return name
    if re.search(r"material|layer", message):
        return "layers"
    return "stack"


def finite_number(value: Any, name: str, unit: str) -> float:
    """``value`` as a finite float, or an InputError naming ``name``.

    Parameters
    ----------
    value : object
        What the page sent (a JSON number; booleans and strings are refused).
    name : str
        The quantity's name in the message, e.g. ``"ocv"``.
    unit : str
        Its unit in the message, e.g. ``"V"``.

    Returns
    -------
    float
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{name} must be a finite number ({unit}), got {value!r}")
    return float(value)


def stack_from_client(data: Any, library: Library) -> Stack:
    """Validate a stack sent by the page and build it with the server's library.

    Parameters
    ----------
    data : object
        The stack in the stack-file structure (a JSON object).
    library : Library
        The server's material library (built-in plus ``--library``).

    Returns
    -------
    Stack

    Raises
    ------
    InputError
        For a stack that is not an object, keys that name server files, or anything
        :meth:`Stack.from_dict` rejects.
    """
    if not isinstance(data, Mapping):
        raise InputError("stack: expected an object in the stack-file structure (layer, interface, closure, ...)")
    refused = sorted(k for k in SERVER_ONLY_KEYS if k in data)
    if refused:
        raise InputError(f"stack: {refused} name files on the server and are not taken from the page; start "
                         "`ssbands web STACK.toml --library FILE` to use them")
    return Stack.from_dict(dict(data), library, source="stack")


def stack_to_client(stack: Stack) -> dict:
    """The stack-file structure of a stack, as the page sends it back (what :func:`stack_from_client` takes).

    Parameters
    ----------
    stack : Stack

    Returns
    -------
    dict
        ``Stack.to_dict()`` without the record-only ``mu_li_se_origin`` (μ_Li,SE from a defect model
        arrives as its value ``mu_li_se_eV``).
    """
    d = stack.to_dict()
    d.pop("mu_li_se_origin", None)
    return d


def slider_range(ocv_range: tuple[float, float]) -> tuple[float, float]:
    """The OCV slider's span: the reachable range, cut to at most 1 V below 0 V and its top.

    Parameters
    ----------
    ocv_range : (float, float)
        Reachable OCV range (V), possibly unbounded below (Nernst extension of a dilute electrode).

    Returns
    -------
    (float, float)
        Slider minimum and maximum (V).
    """
    lo, hi = (float(v) for v in ocv_range)
    if not math.isfinite(hi):
        hi = (lo if math.isfinite(lo) else 0.0) + 5.0
    return max(lo, min(0.0, hi - 1.0)), hi


def band_json(ds: xr.Dataset) -> dict:
    """The ``ssbands band --json`` object of a single-state Profile (NaN as None).

    Parameters
    ----------
    ds : xarray.Dataset
        A single-state band-diagram Profile.

    Returns
    -------
    dict
        :func:`ssbands.cell.summary` made JSON-ready, exactly as the command prints it.
    """
    return to_jsonable(summary(ds))


def profile_arrays(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """The arrays along x the page plots, from a single-state Profile.

    Parameters
    ----------
    ds : xarray.Dataset
        A single-state band-diagram Profile.

    Returns
    -------
    dict of str to ndarray
        ``x_nm`` (nm) and each of :data:`FRAME_VARIABLES` present (eV or V; NaN where not defined).
    """
    out = {"x_nm": ds["x"].values}
    for name in FRAME_VARIABLES:
        if name in ds:
            out[name] = ds[name].values
    return out


@dataclass
class Solved:
    """One solved state: the Profile, its ``band --json`` object and what the solve said."""

    dataset: xr.Dataset
    summary: dict
    ocv_range: tuple[float, float]
    solve_ms: float
    warnings: list[str] = field(default_factory=list)

    def header(self) -> dict:
        """JSON-ready metadata sent with the arrays.

        Returns
        -------
        dict
            ``ocv_V`` (V), ``summary`` (the ``band --json`` object), ``range`` and ``slider`` (V, None
            for an unbounded end), ``solve_ms`` (ms) and ``warnings``.
        """
        lo, hi = self.ocv_range
        return {"ocv_V": self.summary["ocv_V"], "summary": self.summary,
                "range": [lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None],
                "slider": list(slider_range(self.ocv_range)), "solve_ms": self.solve_ms,
                "warnings": self.warnings}


class Model:
    """The solver behind one page server: a fixed library and a small cache of validated stacks.

    Parameters
    ----------
    library : Library
        The material library of the server.
    cache_size : int
        Stacks kept (the page usually moves one slider of one stack).
    """

    def __init__(self, library: Library, cache_size: int = 32):
        self.library = library
        self._cache: OrderedDict[str, Stack] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    def stack(self, data: Any) -> Stack:
        """The validated :class:`Stack` of a stack sent by the page (cached by its JSON text).

        Parameters
        ----------
        data : object
            The stack in the stack-file structure.

        Returns
        -------
        Stack
        """
        try:
            key = json.dumps(data, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError):
            raise InputError("stack: not plain JSON (numbers must be finite)") from None
        with self._lock:
            st = self._cache.get(key)
            if st is not None:
                self._cache.move_to_end(key)
                return st
        st = stack_from_client(data, self.library)
        with self._lock:
            self._cache[key] = st
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return st

    def solve(self, data: Any, ocv: Any, reference_ocv: Any = None) -> Solved:
        """Solve a stack sent by the page at one OCV, as ``ssbands band`` does.

        Parameters
        ----------
        data : object
            The stack (stack-file structure).
        ocv : float
            Open-circuit voltage, V.
        reference_ocv : float, optional
            OCV of the ΔCPD reference state, V (None: automatic, as the command's default).

        Returns
        -------
        Solved
        """
        t0 = time.perf_counter()
        v = finite_number(ocv, "ocv", "V")
        ref = "auto" if reference_ocv is None else finite_number(reference_ocv, "reference_ocv", "V")
        st = self.stack(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = solve(st, v, reference_ocv=ref, library=self.library)
        s = band_json(ds)
        dt = (time.perf_counter() - t0) * 1e3
        return Solved(ds, s, reachable_ocv_range(st), dt, [one_line(w.message) for w in caught])

    def ocv_range(self, data: Any) -> tuple[float, float]:
        """Reachable OCV range of a stack sent by the page.

        Parameters
        ----------
        data : object
            The stack in the stack-file structure.

        Returns
        -------
        (float, float)
            Lowest and highest reachable OCV, V (may be ±inf).
        """
        return reachable_ocv_range(self.stack(data))
