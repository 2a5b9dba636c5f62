"""Screening explorer of the page: a heatmap of one interface descriptor over electrodes × electrolytes.

The interface table comes from a screen folder named on the server's command line
(``ssbands web --screen DIR``: its ``interfaces.parquet``, written by ``ssbands screen``) or is
computed live for a small set of materials with the screen's batched kernel
(:func:`ssbands.screening.compute_interfaces`), so both give the same numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..materials import Library
from .compute import finite_number

#: descriptors offered on the page: column -> (label, unit)
DESCRIPTORS = {
    "phi0_V": ("φ0 (step screened by the SCL)", "V"),
    "total_step_V": ("φ0 + dipole", "V"),
    "sigma_e_per_nm2": ("σ (electrode charge)", "e/nm²"),
    "capacitance_uF_per_cm2": ("C (differential)", "µF/cm²"),
    "saturated_width_A": ("saturated width", "Å"),
    "debye_length_A": ("Debye length", "Å"),
    "R_scl_ohm_cm2": ("R_SCL × area", "Ω cm²"),
    "R_ratio": ("R_SCL / R_bulk (same length)", ""),
    "window_violation_V": ("outside the SE window", "V"),
    "se_E_F_above_VBM_eV": ("SE E_F above its VBM", "eV"),
}
#: most electrodes (or electrolytes) a live screen may compute
MAX_LIVE = 40


def table_from_folder(folder: str | Path) -> pd.DataFrame:
    """The interface table of a screen folder (``interfaces.parquet``).

    Parameters
    ----------
    folder : str or Path
        A folder written by ``ssbands screen`` (named on the server's command line).

    Returns
    -------
    pandas.DataFrame
        One row per electrode × electrolyte × state × closure.
    """
    path = Path(folder) / "interfaces.parquet"
    if not path.exists():
        raise InputError(f"screen folder {str(folder)!r} has no interfaces.parquet (run `ssbands screen --out DIR`)")
    try:
        df = pd.read_parquet(path)
    except ImportError as exc:
        raise InputError(f"reading a screen folder needs pyarrow (pip install 'ssbands[screen]'): {exc}") from None
    for c in ("electrode", "role", "electrolyte", "state", "closure"):
        df[c] = df[c].astype(str)
    return df


def _names(value: Any, what: str) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{what} must be a list of material names")
    if len(value) > MAX_LIVE:
        raise InputError(f"{what}: at most {MAX_LIVE} materials in a live screen (use `ssbands screen` for more)")
    return value


def table_live(library: Library, request: dict) -> pd.DataFrame:
    """Compute the interface table of a small screen now.

    Parameters
    ----------
    library : Library
        The server's library.
    request : dict
        ``anodes``, ``electrolytes``, ``cathodes`` (lists of names; missing: every computable one),
        ``n_states`` (2..11), ``closure`` (``minimum-interface`` or ``extrinsic``), ``mu_li_se_eV``
        (extrinsic), ``temperature_K``.

    Returns
    -------
    pandas.DataFrame
        The same columns as a screen folder's ``interfaces.parquet``.
    """
    from ..screening import compute_interfaces, select_materials
    from ..screening.interfaces import interface_columns

    n_states = request.get("n_states", 3)
    if isinstance(n_states, bool) or not isinstance(n_states, int) or not 2 <= n_states <= 11:
        raise InputError(f"n_states must be an integer from 2 to 11, got {n_states!r}")
    closure = request.get("closure", "minimum-interface")
    mu = request.get("mu_li_se_eV")
    mu = None if mu is None else finite_number(mu, "mu_li_se_eV", "eV")
    T = finite_number(request.get("temperature_K", 300.0), "temperature_K", "K")
    sel = select_materials(library, _names(request.get("anodes"), "anodes"),
                           _names(request.get("electrolytes"), "electrolytes"),
                           _names(request.get("cathodes"), "cathodes"), n_states=n_states, temperature_K=T)
    if not sel.electrodes or not sel.electrolytes:
        raise InputError("nothing to screen: no computable electrode or electrolyte among those named")
    if len(sel.electrodes) > 2 * MAX_LIVE or len(sel.electrolytes) > MAX_LIVE:
        raise InputError(f"at most {MAX_LIVE} materials per role in a live screen (use `ssbands screen` for more)")
    res = compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV, (closure,), mu_li_se_eV=mu,
                             temperature_K=T)
    cols = interface_columns(res, sel.electrodes, sel.electrolytes, (closure,), temperature_K=T)
    data = {k: (np.asarray(v[1], dtype=object)[v[0]] if isinstance(v, tuple) else v) for k, v in cols.items()}
    return pd.DataFrame(data)


def heatmap(df: pd.DataFrame, descriptor: str = "phi0_V", state: str = "worst", closure: str | None = None) -> dict:
    """One descriptor over electrodes (rows) × electrolytes (columns).

    Parameters
    ----------
    df : pandas.DataFrame
        An interface table (:func:`table_from_folder` or :func:`table_live`).
    descriptor : str
        A column from :data:`DESCRIPTORS`.
    state : str
        An electrode state label (``discharged``, ``charged``, ``soc=0.5``, ...) or ``"worst"``: the
        value of largest magnitude over the states.
    closure : str, optional
        The closure to show (default: the table's first).

    Returns
    -------
    dict
        ``rows`` ({electrode, role}), ``columns`` (electrolytes), ``values`` (rows × columns, None
        where not computed), ``descriptor``, ``label``, ``unit``, ``state``, ``states``, ``closure``,
        ``closures``, ``descriptors``.
    """
    if descriptor not in DESCRIPTORS:
        raise InputError(f"descriptor must be one of {', '.join(DESCRIPTORS)}, got {descriptor!r}")
    closures = list(dict.fromkeys(df["closure"]))
    closure = closure or closures[0]
    if closure not in closures:
        raise InputError(f"closure {closure!r} is not in this screen; it has {closures}")
    d = df[df["closure"] == closure]
    states = list(dict.fromkeys(d["state"]))
    if state != "worst" and state not in states:
        raise InputError(f"state {state!r} is not in this screen; choose worst or one of {states}")
    rows = list(dict.fromkeys(zip(d["electrode"], d["role"], strict=True)))
    cols = list(dict.fromkeys(d["electrolyte"]))
    ri = {r: i for i, r in enumerate(rows)}
    ci = {c: j for j, c in enumerate(cols)}
    vals = np.full((len(rows), len(cols)), np.nan)
    if state != "worst":
        d = d[d["state"] == state]
    for (el, role, se), g in d.groupby(["electrode", "role", "electrolyte"], sort=False):
        v = g[descriptor].to_numpy(float)
        v = v[np.isfinite(v)]
        if v.size:
            vals[ri[(el, role)], ci[se]] = v[np.argmax(np.abs(v))]
    label, unit = DESCRIPTORS[descriptor]
    return {"rows": [{"electrode": e, "role": r} for e, r in rows], "columns": cols,
            "values": [[None if not np.isfinite(x) else float(x) for x in row] for row in vals],
            "descriptor": descriptor, "label": label, "unit": unit, "state": state, "states": ["worst", *states],
            "closure": closure, "closures": closures,
            "descriptors": [{"name": k, "label": lab, "unit": u} for k, (lab, u) in DESCRIPTORS.items()]}
