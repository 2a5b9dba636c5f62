"""Uncertainty bands of the page's band diagram: Monte Carlo over literature spreads of the inputs.

The same fields and draws as the screen's Monte Carlo (:mod:`ssbands.screening.uncertainty`):
electron-conductor work functions including Φ_Li (eV), the electrolyte's φ0^Li (V) and the
electrode|electrolyte dipoles (V), each shifted by a draw uniform on [−w, w] (or normal with
standard deviation w). Every sample is a full cell solve at the page's OCV; the bands are the 5th and
95th percentiles of E_vac(x), E_F(x) and ΔCPD(x) over the samples.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from types import MappingProxyType

import numpy as np

from ..cell import Stack, solve
from ..errors import InputError
from ..materials import Library, Material
from .compute import finite_number

#: spread fields (as in the screen's Monte Carlo) and the most samples one request may ask for
SPREAD_FIELDS = ("work_function_eV", "phi0_li_V", "dipole_V")
MAX_SAMPLES = 400
BAND_VARIABLES = ("E_vac_eV", "E_F_eV", "dcpd_V")


def shifted_material(material: Material, field_name: str, delta: float) -> Material:
    """A copy of ``material`` with the parameter ``field_name`` shifted by ``delta``.

    Parameters
    ----------
    material : Material
    field_name : str
        A known parameter: a number, a constant, or a table with inline ``values``.
    delta : float
        The shift, in the field's unit.

    Returns
    -------
    Material
        The shifted copy (the same object when ``delta`` is 0).

    Raises
    ------
    InputError
        When the parameter is a table read from a file (not shifted here).
    """
    if delta == 0.0:
        return material
    p = material.param(field_name)
    if p.value is not None:
        new = replace(p, value=float(p.value) + delta)
    elif p.spec.get("kind") == "constant":
        new = replace(p, spec=MappingProxyType({**p.spec, "value": float(p.spec["value"]) + delta}))
    elif p.spec.get("kind") == "table" and "values" in p.spec:
        new = replace(p, spec=MappingProxyType({**p.spec, "values": [float(v) + delta for v in p.spec["values"]]}))
    else:
        raise InputError(f"material {material.name!r}: {field_name} is not a number or an inline table; "
                         "its spread cannot be sampled here")
    return replace(material, params=MappingProxyType({**material.params, field_name: new}))


def _draw(rng, width: float, shape, distribution: str):
    if distribution == "uniform":
        return rng.uniform(-width, width, size=shape)
    return rng.normal(0.0, width, size=shape)


def _spreads(spreads) -> dict[str, float]:
    if not isinstance(spreads, dict):
        raise InputError("spreads must be an object {field: width}")
    out = {}
    for k, v in spreads.items():
        if k not in SPREAD_FIELDS:
            raise InputError(f"unknown spread field {k!r}; choose from {', '.join(SPREAD_FIELDS)}")
        w = finite_number(v, f"spread {k}", "V or eV")
        if w < 0:
            raise InputError(f"spread {k} must be >= 0, got {w!r}")
        out[k] = w
    return out


def _sample_stack(stack: Stack, library: Library, wf: dict, p0: float, dip: np.ndarray):
    """The stack and library of one sample (shifted work functions, φ0^Li and dipoles)."""
    layers = []
    for ly in stack.layers:
        m = ly.material
        if m.is_electron_conductor and m.has("work_function_eV"):
            m = shifted_material(m, "work_function_eV", wf[m.name.lower()])
        elif ly.role == "electrolyte":
            m = shifted_material(m, "phi0_li_V", p0)
        layers.append(replace(ly, material=m))
    names = [ly.name for ly in stack.layers]
    ia, ie, ic = stack.index("anode"), stack.index("electrolyte"), stack.index("cathode")
    dipoles = dict(stack.dipoles)
    for j, (lf, r) in enumerate(((names[ia], names[ie]), (names[ie], names[ic]))):
        base = stack.dipole(lf, r)
        dipoles = {k: v for k, v in dipoles.items() if (k[0].lower(), k[1].lower()) != (lf.lower(), r.lower())}
        if base + dip[j] != 0.0:
            dipoles[(lf, r)] = base + dip[j]
    li = shifted_material(library["Li"], "work_function_eV", wf["li"])
    lib = Library([li if m.name.lower() == "li" else m for m in library.values()], library.references)
    return replace(stack, layers=tuple(layers), dipoles=dipoles), lib


def monte_carlo_bands(stack: Stack, library: Library, ocv: float, spreads: dict, *, n_samples: int = 50,
                      seed: int = 0, distribution: str = "uniform") -> dict:
    """Percentile bands of the band diagram at one OCV under parameter scatter.

    Parameters
    ----------
    stack : Stack
        The cell.
    library : Library
        Its library (gives Φ_Li).
    ocv : float
        Open-circuit voltage, V.
    spreads : dict
        ``{field: width}`` with fields from :data:`SPREAD_FIELDS` (eV or V).
    n_samples : int
        Samples (at most :data:`MAX_SAMPLES`).
    seed : int
        Seed of ``numpy.random.default_rng``.
    distribution : {"uniform", "normal"}

    Returns
    -------
    dict
        ``x_nm``; for each of :data:`BAND_VARIABLES` its ``p05``, ``p50`` and ``p95`` arrays; ``phi0_V``
        percentiles of both interfaces; ``info`` (settings, samples used, failed samples, seconds).
    """
    sp = _spreads(spreads)
    if distribution not in ("uniform", "normal"):
        raise InputError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or not 2 <= n_samples <= MAX_SAMPLES:
        raise InputError(f"n_samples must be an integer from 2 to {MAX_SAMPLES}, got {n_samples!r}")
    t0 = time.perf_counter()
    rng = np.random.default_rng(int(seed))
    names = sorted({ly.material.name.lower() for ly in stack.layers if ly.material.is_electron_conductor} | {"li"})
    # fixed draw order (work functions, phi0_li, dipoles), each drawn even at width 0, as the screen does
    wf = _draw(rng, sp.get("work_function_eV", 0.0), (n_samples, len(names)), distribution)
    p0 = _draw(rng, sp.get("phi0_li_V", 0.0), (n_samples,), distribution)
    dp = _draw(rng, sp.get("dipole_V", 0.0), (n_samples, 2), distribution)
    rows: dict[str, list] = {k: [] for k in BAND_VARIABLES}
    phi0, failed, x = [], [], None
    for i in range(n_samples):
        st, lib = _sample_stack(stack, library, dict(zip(names, wf[i], strict=True)), float(p0[i]), dp[i])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = solve(st, ocv, library=lib)
        except InputError as exc:
            failed.append(str(exc))
            continue
        x = ds["x"].values
        for k in BAND_VARIABLES:
            rows[k].append(ds[k].values)
        phi0.append(ds["iface_phi0_V"].values)
    if x is None:
        raise InputError(f"no Monte Carlo sample could be solved: {failed[0] if failed else 'no samples'}")
    out: dict = {"x_nm": x}
    for k, v in rows.items():
        q = np.nanpercentile(np.array(v), [5, 50, 95], axis=0)
        out[k] = {"p05": q[0], "p50": q[1], "p95": q[2]}
    q = np.percentile(np.array(phi0), [5, 50, 95], axis=0)
    out["phi0_V"] = {"p05": q[0], "p50": q[1], "p95": q[2]}
    out["info"] = {"n_samples": n_samples, "solved": n_samples - len(failed), "failed": failed[:3],
                   "spreads": sp, "distribution": distribution, "seed": int(seed),
                   "seconds": time.perf_counter() - t0}
    return out
