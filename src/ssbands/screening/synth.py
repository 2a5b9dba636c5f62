"""Synthetic material libraries of any size, with physically plausible random values (for benchmarks).

Every value is drawn from a range typical of the real materials in the built-in library and the
published sources (see the materials library) — the materials are **fictitious**; the file says so
in every description.

* Electrodes alternate between anode-like (OCV table falling from 0.4–1.6 V to 0.02–0.3 V over
  x = 0…1; work function 3.0–4.9 eV at x = 0 falling toward 2.9–3.3 eV when lithiated) and
  cathode-like (OCV 3.9–4.6 V falling to 3.0–3.8 V; work function 4.3–6.0 eV, constant).
* Electrolytes: φ0^Li 0.3–2.5 V, N 1e22–1e23 cm⁻³ (log-uniform), E_f0 0.01–1.0 eV, α = 0.1,
  ε_r 5–60 (log-uniform), window V_red 0–1.8 V, V_ox 2.0–4.5 V, gap 3–9 eV, IP 5.5–9.5 eV, σ_ion
  1e-8–1e-2 S/cm (log-uniform), E_a 0.2–0.6 eV.
* ``unknown_fraction`` of the electrolytes get one field set to ``unknown`` (to exercise the
  "cannot compute" path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["MAX_SYNTH_MATERIALS", "check_size", "synthetic_library", "write_synthetic_library"]

_X = [0.0, 0.25, 0.5, 0.75, 1.0]
#: Most materials one synthetic library may hold: 20 000 materials already make a 10 MB YAML file that
#: takes about a minute to load (and the screen's cells grow as anodes × electrolytes × cathodes).
MAX_SYNTH_MATERIALS = 20_000


def _falling(rng, hi, lo):
    """Draw a strictly decreasing 5-point curve from ``hi`` to ``lo`` (random convex/concave shape)."""
    w = np.sort(rng.uniform(0.0, 1.0, 3))[::-1]
    return [float(hi)] + [float(lo + (hi - lo) * v) for v in w] + [float(lo)]


def check_size(n_electrodes: int, n_electrolytes: int) -> None:
    """Refuse negative counts and libraries larger than :data:`MAX_SYNTH_MATERIALS` (before any work).

    Parameters
    ----------
    n_electrodes, n_electrolytes : int
        Requested numbers of materials.

    Raises
    ------
    InputError
    """
    for name, n in (("n_electrodes", n_electrodes), ("n_electrolytes", n_electrolytes)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"{name} must be an integer >= 0, got {n!r}")
    total = int(n_electrodes) + int(n_electrolytes)
    if total > MAX_SYNTH_MATERIALS:
        raise InputError(f"a synthetic library of {total} materials is too large: at most {MAX_SYNTH_MATERIALS} "
                         "materials per file (a larger file takes minutes to write and to load); write several "
                         "smaller libraries with different seeds instead")


def synthetic_library(n_electrodes: int, n_electrolytes: int, seed: int = 0, unknown_fraction: float = 0.0,
                      progress=None) -> dict:
    """Draw the ``materials:`` mapping of a synthetic library (a plain dict, ready for YAML).

    Parameters
    ----------
    n_electrodes : int
        Electrodes; even indices are anode-like, odd ones cathode-like.
    n_electrolytes : int
        Electrolytes.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same library.
    unknown_fraction : float
        Fraction of electrolytes with one SCL parameter ``unknown``.
    progress : callable, optional
        Called with the number of materials drawn so far (every 1000 materials).

    Returns
    -------
    dict
        Material name → fields.
    """
    check_size(n_electrodes, n_electrolytes)
    if not 0 <= unknown_fraction <= 1:
        raise InputError(f"unknown_fraction must be in [0, 1], got {unknown_fraction!r}")
    rng = np.random.default_rng(seed)
    src = f"synthetic (ssbands library synth, seed {seed})"
    mats: dict = {}
    width = len(str(max(n_electrodes, n_electrolytes, 1)))
    for i in range(n_electrodes):
        if i % 2 == 0:
            name = f"SynAnode{i // 2 + 1:0{width}d}"
            u = _falling(rng, rng.uniform(0.4, 1.6), rng.uniform(0.02, 0.3))
            phi_top = rng.uniform(3.0, 4.9)
            phi_end = rng.uniform(2.9, 3.3)
            wf_values = _falling(rng, phi_top, min(phi_end, phi_top - 0.05))
            wf: dict[str, Any] = {"kind": "table", "x": list(_X), "values": [round(v, 5) for v in wf_values],
                                  "source": src}
            cap = float(10 ** rng.uniform(22.3, 23.3))
        else:
            name = f"SynCathode{i // 2 + 1:0{width}d}"
            u = _falling(rng, rng.uniform(3.9, 4.6), rng.uniform(3.0, 3.8))
            wf = {"value": round(float(rng.uniform(4.3, 6.0)), 4), "source": src}
            cap = float(10 ** rng.uniform(22.0, 22.7))
        mats[name] = {
            "kind": "electrode", "description": "FICTITIOUS synthetic electrode for benchmarks",
            "ocv_V": {"kind": "table", "x": list(_X), "values": [round(v, 5) for v in u], "source": src},
            "work_function_eV": wf, "li_capacity_cm3": {"value": cap, "source": src},
            "li_fraction_range": {"value": [0.0, 1.0], "source": src},
        }
        if progress is not None and (i + 1) % 1000 == 0:
            progress(i + 1)
    fields = ("phi0_li_V", "site_density_cm3", "defect_energy_eV", "permittivity")
    for j in range(n_electrolytes):
        name = f"SynSE{j + 1:0{width}d}"
        vred = rng.uniform(0.0, 1.8)
        m = {
            "kind": "electrolyte", "description": "FICTITIOUS synthetic electrolyte for benchmarks",
            "phi0_li_V": round(float(rng.uniform(0.3, 2.5)), 5),
            "site_density_cm3": float(10 ** rng.uniform(22.0, 23.0)),
            "defect_energy_eV": round(float(rng.uniform(0.01, 1.0)), 5),
            "alpha": 0.1,
            "permittivity": round(float(10 ** rng.uniform(np.log10(5.0), np.log10(60.0))), 4),
            "window_V": [round(float(vred), 4), round(float(rng.uniform(2.0, 4.5)), 4)],
            "band_gap_eV": round(float(rng.uniform(3.0, 9.0)), 4),
            "ionization_potential_eV": round(float(rng.uniform(5.5, 9.5)), 4),
            "ionic_conductivity_S_cm": float(10 ** rng.uniform(-8.0, -2.0)),
            "activation_energy_eV": round(float(rng.uniform(0.2, 0.6)), 4),
        }
        if rng.uniform() < unknown_fraction:
            m[fields[int(rng.integers(len(fields)))]] = "unknown"
        mats[name] = m
        if progress is not None and (n_electrodes + j + 1) % 1000 == 0:
            progress(n_electrodes + j + 1)
    return mats


def write_synthetic_library(path, n_electrodes: int, n_electrolytes: int, seed: int = 0,
                            unknown_fraction: float = 0.0, overwrite: bool = False, progress=None) -> Path:
    """Write a synthetic library YAML (atomically) and return its path.

    Parameters
    ----------
    path : str or Path
        The YAML file to write.
    n_electrodes, n_electrolytes, seed, unknown_fraction
        See :func:`synthetic_library`.
    overwrite : bool
        Replace an existing file (otherwise an existing file is an error).
    progress : callable, optional
        Called with the number of materials drawn so far (see :func:`synthetic_library`).

    Returns
    -------
    Path
    """
    import yaml

    from ..profile import atomic_write

    check_size(n_electrodes, n_electrolytes)
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{str(p)!r} is a directory; give the library YAML file to write")
    if p.exists() and not overwrite:
        raise InputError(f"{str(p)!r} already exists; choose another file or allow overwriting it (overwrite=True)")
    doc = {"materials": synthetic_library(n_electrodes, n_electrolytes, seed, unknown_fraction, progress)}
    header = (f"# Synthetic materials library: {n_electrodes} electrodes, {n_electrolytes} electrolytes, seed {seed}.\n"
              "# FICTITIOUS materials with plausible random values (ssbands.screening.synth), for benchmarks only.\n")
    text = header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120)
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
