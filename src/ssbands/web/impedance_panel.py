"""The impedance panel: the spectrum of the page's cell at its OCV (Nyquist and Bode on the page).

``POST /api/panel/impedance`` with ``{"stack", "ocv", "electrodes", "transport", "i0_A_cm2", "alpha_t",
"points"}`` answers the ``ssbands impedance --json`` object of that cell (:func:`ssbands.impedance.impedance`
and :func:`ssbands.impedance.to_json`; the same values as ``ssbands impedance STACK --ocv V --electrodes
E --transport T --points N [--i0 I --alpha-t A] --json``), plus the equivalent-circuit curve
``Z_fit_real_ohm_cm2`` / ``Z_fit_imag_ohm_cm2`` (None without a fit), ``compute_ms`` and ``warnings``.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from ..errors import InputError
from ..profile import to_jsonable
from .compute import TRANSPORT_LIMITS, finite_number, one_line

#: electrode conditions for Li⁺ (as ``ssbands impedance --electrodes``)
ELECTRODES = ("blocking", "reversible", "butler-volmer")

#: default and largest number of frequencies of the panel's spectrum (log-spaced)
DEFAULT_POINTS = 60
MAX_POINTS = 400


def _optional_number(body: dict, key: str, unit: str) -> float | None:
    v = body.get(key)
    return None if v is None else finite_number(v, key, unit)


def impedance_request(body: dict) -> dict:
    """The settings of an impedance-panel request, checked as ``ssbands impedance`` checks its options.

    Parameters
    ----------
    body : dict
        ``ocv`` (V), ``electrodes`` (one of :data:`ELECTRODES`, default blocking), ``transport`` (default
        local-equilibrium), ``i0_A_cm2`` (A/cm²) and ``alpha_t`` (butler-volmer only, both or neither),
        ``points`` (2 to :data:`MAX_POINTS`, default :data:`DEFAULT_POINTS`).

    Returns
    -------
    dict
        Keyword arguments of :func:`ssbands.impedance.impedance` after the stack: ``ocv``,
        ``electrodes``, ``transport``, ``kinetics`` (dict or None) and ``points``.

    Raises
    ------
    InputError
        With a one-line message naming the setting.
    """
    ocv = finite_number(body.get("ocv"), "ocv", "V")
    electrodes = body.get("electrodes") or "blocking"
    if electrodes not in ELECTRODES:
        raise InputError(f"electrodes must be one of {', '.join(ELECTRODES)}, got {electrodes!r}")
    transport = body.get("transport") or "local-equilibrium"
    if transport not in TRANSPORT_LIMITS:
        raise InputError(f"transport must be one of {', '.join(TRANSPORT_LIMITS)}, got {transport!r}")
    i0 = _optional_number(body, "i0_A_cm2", "A/cm2")
    alpha_t = _optional_number(body, "alpha_t", "between 0 and 1")
    if (i0 is None) != (alpha_t is None):
        raise InputError("i0 and alpha_t go together: give the exchange current density i0 (A/cm2) and the "
                         "transfer coefficient alpha_t")
    if electrodes == "butler-volmer" and i0 is None:
        raise InputError("butler-volmer electrodes need the exchange current density i0 (A/cm2) and the transfer "
                         "coefficient alpha_t")
    if i0 is not None and electrodes != "butler-volmer":
        raise InputError("i0 and alpha_t apply to butler-volmer electrodes only")
    points = body.get("points", DEFAULT_POINTS)
    if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
        raise InputError(f"points must be a whole number of frequencies from 2 to {MAX_POINTS}, got {points!r}")
    kinetics = None if i0 is None else {"i0_A_cm2": i0, "alpha_t": alpha_t}
    return {"ocv": ocv, "electrodes": electrodes, "transport": transport, "kinetics": kinetics, "points": points}


def impedance_panel(model: Any, stack: Any, body: dict) -> dict:
    """The impedance spectrum of the page's cell: the ``ssbands impedance --json`` object and the fit curve.

    Parameters
    ----------
    model : ssbands.web.compute.Model
        The server's model (its library is used for Φ_Li).
    stack : ssbands.cell.Stack
        The validated cell.
    body : dict
        The request (see :func:`impedance_request`).

    Returns
    -------
    dict
        :func:`ssbands.impedance.to_json` of the spectrum, plus ``Z_fit_real_ohm_cm2``,
        ``Z_fit_imag_ohm_cm2`` (Ω cm², None without a circuit fit), ``compute_ms`` (ms) and ``warnings``.
    """
    from ..impedance import impedance, to_json

    req = impedance_request(body)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = impedance(stack, req["ocv"], electrodes=req["electrodes"], transport=req["transport"],
                       kinetics=req["kinetics"], library=model.library, points=req["points"])
    out = to_json(ds)
    for part in ("real", "imag"):
        k = f"Z_fit_{part}_ohm_cm2"
        out[k] = ds[k].values.tolist() if k in ds else None
    out["compute_ms"] = (time.perf_counter() - t0) * 1e3
    out["warnings"] = [one_line(w.message) for w in caught]
    return to_jsonable(out)
