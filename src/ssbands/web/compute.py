"""What the page computes: a stack sent by the page, validated and cached, solved at one OCV.

The page sends a stack in the stack-file structure (the parsed TOML as JSON, see
:meth:`ssbands.cell.Stack.from_dict`). Keys that name files on the server (``library``,
``extrinsic_defects``) are refused: the server takes paths only from its own command line. The
result of one solve is the ``ssbands band --json`` object (:func:`band_json`) and the arrays along x
the page plots (:func:`profile_arrays`). :meth:`Model.solve` builds the Profile (exports, ``POST
/api/band``); :meth:`Model.solve_fast` gives the same object and arrays without it (the slider's
WebSocket, :mod:`ssbands.web.fast`).
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

from .. import interface as ifc
from ..cell import Stack, solve, summary
from ..errors import InputError
from ..materials import Library
from ..profile import to_jsonable
from .fast import FRAME_VARIABLES, PreparedStack, band_summary, frame_arrays

__all__ = ["FRAME_VARIABLES", "SERVER_ONLY_KEYS", "TRANSPORT_LIMITS", "Model", "Solved", "band_json", "error_field",
           "finite_number", "one_line", "profile_arrays", "slider_range", "solve_options", "stack_from_client",
           "stack_to_client"]

#: stack-file keys the page may not send (they name files on the server)
SERVER_ONLY_KEYS = ("library", "extrinsic_defects")

#: transport limits of the interfaces' excess resistance R_exc
TRANSPORT_LIMITS = ("local-equilibrium", "independent")

_FIELD_PATTERNS = (
    (r"\bOCV\b|\bocv\b|reference_ocv", "ocv"),
    (r"mu_li_se|mu_Li,SE", "mu_li_se"),
    (r"temperature_K", "temperature"),
    (r"tip_work_function", "tip"),
    (r"\[\[interface\]\]|dipole", "dipoles"),
    (r"closure", "closure"),
    (r"\bground\b", "ground"),
    (r"\bi0\b|i0_A_cm2|alpha_t|kinetics", "kinetics"),
    (r"\btransport\b", "transport"),
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
        ``"closure"``, ``"ground"``, ``"kinetics"`` (i0, alpha_t), ``"transport"``, or ``"stack"`` when
        nothing more specific applies.
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


def solve_options(body: Mapping) -> dict:
    """The transport limit and kinetics of a request (``transport``, ``kinetics``), checked.

    Parameters
    ----------
    body : mapping
        The request: ``transport`` (``"local-equilibrium"``, the default, or ``"independent"``) and
        ``kinetics`` (None, or ``{"i0_A_cm2": A/cm², "alpha_t": number}`` of both interfaces).

    Returns
    -------
    dict
        ``transport`` (str) and ``kinetics`` (dict of two floats, or None): keyword arguments of
        :meth:`Model.solve`.

    Raises
    ------
    InputError
        For an unknown transport limit or kinetics that are not two finite numbers.
    """
    transport = body.get("transport")
    if transport is None:
        transport = "local-equilibrium"
    if transport not in TRANSPORT_LIMITS:
        raise InputError(f"transport must be one of {', '.join(TRANSPORT_LIMITS)}, got {transport!r}")
    kin = body.get("kinetics")
    if kin is not None:
        if not isinstance(kin, Mapping) or set(kin) != {"i0_A_cm2", "alpha_t"}:
            raise InputError('kinetics must be {"i0_A_cm2": A/cm2, "alpha_t": number} (or null)')
        kin = {"i0_A_cm2": finite_number(kin["i0_A_cm2"], "kinetics i0_A_cm2", "A/cm2"),
               "alpha_t": finite_number(kin["alpha_t"], "kinetics alpha_t", "between 0 and 1")}
    return {"transport": transport, "kinetics": kin}


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
    """One solved state: its ``band --json`` object, the arrays the page plots and what the solve said.

    ``dataset`` is the band-diagram Profile (None from :meth:`Model.solve_fast`); ``arrays`` the plotted
    arrays (None from :meth:`Model.solve`: then they are read from the Profile).
    """

    dataset: xr.Dataset | None
    summary: dict
    ocv_range: tuple[float, float]
    solve_ms: float
    warnings: list[str] = field(default_factory=list)
    arrays: dict[str, np.ndarray] | None = None

    def frame_arrays(self) -> dict[str, np.ndarray]:
        """The arrays along x the page plots (:func:`profile_arrays`).

        Returns
        -------
        dict of str to ndarray
        """
        if self.arrays is not None:
            return self.arrays
        if self.dataset is None:
            raise InputError("this solve kept neither its arrays nor its Profile")
        return profile_arrays(self.dataset)

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
        self._cache: OrderedDict[str, PreparedStack] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()
        self._phi_li: float | None = None

    def prepared(self, data: Any) -> PreparedStack:
        """The validated stack sent by the page with its per-stack data (cached by its JSON text).

        Parameters
        ----------
        data : object
            The stack in the stack-file structure.

        Returns
        -------
        PreparedStack
        """
        try:
            key = json.dumps(data, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError):
            raise InputError("stack: not plain JSON (numbers must be finite)") from None
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        st = stack_from_client(data, self.library)
        if self._phi_li is None:
            self._phi_li = ifc.phi_li(self.library)
        prep = PreparedStack(st, self._phi_li)
        with self._lock:
            self._cache[key] = prep
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return prep

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
        return self.prepared(data).stack

    def solve(self, data: Any, ocv: Any, reference_ocv: Any = None, *, transport: str = "local-equilibrium",
              kinetics: dict | None = None) -> Solved:
        """Solve a stack sent by the page at one OCV, as ``ssbands band`` does (the Profile included).

        Parameters
        ----------
        data : object
            The stack (stack-file structure).
        ocv : float
            Open-circuit voltage, V.
        reference_ocv : float, optional
            OCV of the ΔCPD reference state, V (None: automatic, as the command's default).
        transport : {"local-equilibrium", "independent"}
            Transport limit of the interfaces' R_exc (``band --transport``).
        kinetics : dict, optional
            ``{"i0_A_cm2", "alpha_t"}`` of both interfaces for R_ct (``band --i0 --alpha-t``).

        Returns
        -------
        Solved
        """
        t0 = time.perf_counter()
        v = finite_number(ocv, "ocv", "V")
        ref = "auto" if reference_ocv is None else finite_number(reference_ocv, "reference_ocv", "V")
        prep = self.prepared(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = solve(prep.stack, v, reference_ocv=ref, library=self.library, grid=prep.grid, transport=transport,
                       kinetics=kinetics)
        s = band_json(ds)
        dt = (time.perf_counter() - t0) * 1e3
        return Solved(ds, s, prep.ocv_range, dt, [one_line(w.message) for w in caught])

    def solve_fast(self, data: Any, ocv: Any, reference_ocv: Any = None, *, transport: str = "local-equilibrium",
                   kinetics: dict | None = None) -> Solved:
        """:meth:`solve` without the Profile: the same ``band --json`` object and arrays, faster (the slider).

        Parameters
        ----------
        data, ocv, reference_ocv, transport, kinetics
            As for :meth:`solve`.

        Returns
        -------
        Solved
            With ``dataset`` None and ``arrays`` set.
        """
        t0 = time.perf_counter()
        v = finite_number(ocv, "ocv", "V")
        ref = "auto" if reference_ocv is None else finite_number(reference_ocv, "reference_ocv", "V")
        prep = self.prepared(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a, reference = prep.solve(v, ref, transport, kinetics)
        s = band_summary(a, reference)
        arrays = frame_arrays(a)
        dt = (time.perf_counter() - t0) * 1e3
        return Solved(None, s, prep.ocv_range, dt, [one_line(w.message) for w in caught], arrays)

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
        return self.prepared(data).ocv_range
