r"""Monte Carlo over literature scatter: each cell's score distribution and its chance to rank in the top k.

Parameters that sources disagree on are perturbed additively, one draw per material (or per pair)
per sample, from a uniform distribution on [−w, +w] (``distribution="normal"``: standard deviation w):

* ``work_function_eV`` — every electrode's Φ (all its states shift together; the reference Φ_Li is
  Li metal's own draw, so Li|SE steps stay at φ0^Li as they must); values from different sources
  differ by up to ~0.3 eV;
* ``phi0_li_V`` — every electrolyte's φ0^Li (e.g. DFT functional dependence);
* ``dipole_V`` — an interface dipole δ per electrode|electrolyte pair (default 0, rarely known).

For each sample the interface arrays are recomputed with :func:`~.interfaces.compute_interfaces`
(the resistances only when the objective needs them), every cell is scored and ranked as in the main screen
(:func:`~.cells.combine`, :func:`~.cells.rank_scores`, per closure), and per cell the mean, standard
deviation and 5/50/95 % quantiles of the score, the median rank, P(feasible) and P(rank ≤ k) are
reported. Draws come from ``numpy.random.default_rng(seed)`` in a fixed order, so a seed reproduces
the table exactly. Memory is samples × cells × 8 bytes (capped at ``max_values``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import InputError
from .cells import Objective, combine, rank_scores, score_class
from .interfaces import compute_interfaces
from .selection import Selection
from .store import to_parquet_bytes, write_bytes

__all__ = ["monte_carlo", "monte_carlo_outputs", "SPREAD_FIELDS", "parse_spreads"]

SPREAD_FIELDS = ("work_function_eV", "phi0_li_V", "dipole_V")


def parse_spreads(items) -> dict:
    """Parse spreads: ``["work_function_eV=0.3", ...]`` or ``"a=0.3,b=0.1"`` → ``{field: width}``.

    Parameters
    ----------
    items : str, sequence of str, mapping or None
        ``FIELD=WIDTH`` items (comma-separated allowed) or a mapping; fields from :data:`SPREAD_FIELDS`,
        widths in V or eV (≥ 0).

    Returns
    -------
    dict of str to float
        Validated widths (empty for None).
    """
    if items is None:
        return {}
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        if isinstance(items, str):
            items = [items]
        pairs = []
        for it in items:
            for p in str(it).split(","):
                if not p.strip():
                    continue
                if "=" not in p:
                    raise InputError(f"spread {p!r}: expected FIELD=WIDTH (e.g. work_function_eV=0.3)")
                k, v = p.split("=", 1)
                try:
                    pairs.append((k.strip(), float(v)))
                except ValueError:
                    raise InputError(f"spread {p!r}: WIDTH must be a number") from None
    out = {}
    for k, v in pairs:
        if k not in SPREAD_FIELDS:
            raise InputError(f"spread: unknown field {k!r}; choose from {', '.join(SPREAD_FIELDS)}")
        if not (np.isfinite(v) and v >= 0):
            raise InputError(f"spread {k}: width must be a finite number >= 0, got {v!r}")
        out[k] = float(v)
    return out


def _draw_shifts(rng, sel: Selection, n_samples: int, spreads: Mapping[str, float], distribution: str):
    """Draw the shifts of every sample in a fixed order.

    Electrode work functions ``wf`` (S, M) and Li's ``li`` (S,) in eV, electrolyte φ0^Li ``p0`` (S, E)
    and dipoles ``dip`` (S, E, M) in V.
    """

    def draw(width, shape):
        if distribution == "uniform":
            return rng.uniform(-width, width, size=shape)
        return rng.normal(0.0, width, size=shape)

    electrodes = sel.electrodes
    names = sorted({e.name.lower() for e in electrodes} | {"li"})
    col = {n: i for i, n in enumerate(names)}
    S, E = n_samples, len(sel.electrolytes)
    # fixed draw order: work functions, phi0_li, dipoles (each drawn even at width 0 so adding a field
    # never changes the others' draws)
    wf = draw(spreads.get("work_function_eV", 0.0), (S, len(names)))
    p0 = draw(spreads.get("phi0_li_V", 0.0), (S, E))
    dp = draw(spreads.get("dipole_V", 0.0), (S, E, len(names)))
    m_idx = np.array([col[e.name.lower()] for e in electrodes])
    return {"wf": wf[:, m_idx], "li": wf[:, col["li"]], "p0": p0, "dip": dp[:, :, m_idx]}


def _sample_scores(sel: Selection, closures: tuple, obj: Objective, shifts: dict, *, top_k: int, mu_li_se_eV,
                   temperature_K: float, transport: str = "local-equilibrium", kinetics=None):
    """Scores and ranks of every cell in every sample, and per cell the feasible and top-k counts."""
    Q, E, A, C = len(closures), len(sel.electrolytes), len(sel.anodes), len(sel.cathodes)
    n_cells = Q * E * A * C
    electrodes = sel.electrodes
    wf_shift, li_shift, p0, dip = shifts["wf"], shifts["li"], shifts["p0"], shifts["dip"]
    S = li_shift.shape[0]
    need_r = obj.metric.startswith("R_")
    scores = np.empty((S, n_cells))
    feas = np.zeros(n_cells)
    top = np.zeros(n_cells)
    ranks = np.empty((S, n_cells), np.int32)
    anode_idx, cathode_idx = np.arange(A), np.arange(A, A + C)
    block = max(1, int(2_000_000 // max(1, E * len(electrodes) * electrodes[0].soc.size * Q)))
    for s0 in range(0, S, block):
        s1 = min(S, s0 + block)
        res = compute_interfaces(electrodes, sel.electrolytes, sel.phi_li_eV, closures, mu_li_se_eV=mu_li_se_eV,
                                 temperature_K=temperature_K, dipole_V=dip[s0:s1],
                                 work_function_shift_eV=wf_shift[s0:s1], phi0_li_shift_V=p0[s0:s1],
                                 phi_li_shift_eV=li_shift[s0:s1], resistance=need_r, transport=transport,
                                 kinetics=kinetics)
        for j in range(s1 - s0):
            ifc = {k: res[k][j] for k in ("phi0_V", "R_scl_ohm_cm2", "R_exc_ohm_cm2", "R_ct_ohm_cm2",
                                          "window_violation_V", "decomposition_code", "injection_code")}
            ifc["potential_V"] = res["potential_V"]
            for q in range(Q):
                cols = combine(ifc, anode_idx, cathode_idx, q, slice(None), slice(None), slice(None), obj)
                lo, hi = q * E * A * C, (q + 1) * E * A * C
                sc = cols["score"]
                cl = score_class(sc, cols["feasible"], cols["negative_ocv"])
                r = rank_scores(sc, cl)
                scores[s0 + j, lo:hi] = sc
                ranks[s0 + j, lo:hi] = r
                feas[lo:hi] += cols["feasible"]
                top[lo:hi] += (r >= 1) & (r <= top_k)  # rank 0: not a working cell, never in the top k
    return scores, ranks, feas, top


def _score_statistics(scores: np.ndarray):
    """Per-cell mean, standard deviation and 5/50/95 % quantiles over the samples (NaN-aware)."""
    n_cells = scores.shape[1]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cells whose score is NaN in every sample stay NaN
        qs = np.nanpercentile(scores, [5, 50, 95], axis=0) if np.any(~np.isnan(scores)) else \
            np.full((3, n_cells), np.nan)
        mean = np.nanmean(scores, axis=0) if np.any(~np.isnan(scores)) else np.full(n_cells, np.nan)
        std = np.nanstd(scores, axis=0) if np.any(~np.isnan(scores)) else np.full(n_cells, np.nan)
    return mean, std, qs


def monte_carlo(selection: Selection, closures=("minimum-interface",), objective="max-abs-phi0", *,
                n_samples: int = 200, seed: int = 0, spreads: Mapping[str, float] | None = None,
                distribution: str = "uniform", top_k: int = 3, mu_li_se_eV: float | None = None,
                temperature_K: float = 300.0, max_values: int = 20_000_000, transport: str = "local-equilibrium",
                kinetics=None) -> dict:
    """Score distributions and P(top k) of every cell under parameter scatter.

    Parameters
    ----------
    selection : Selection
        The screen's materials (:func:`~.selection.select_materials`).
    closures, objective, mu_li_se_eV, temperature_K
        As for the screen.
    n_samples : int
        Monte Carlo samples.
    seed : int
        Seed of ``numpy.random.default_rng``.
    spreads : mapping
        ``{field: width}`` with fields from :data:`SPREAD_FIELDS` (V or eV).
    distribution : {"uniform", "normal"}
        Uniform on [−w, w] or normal with standard deviation w.
    top_k : int
        k of P(rank ≤ k) (per closure).
    max_values : int
        Refuse runs needing more than this many stored scores (samples × cells).
    transport, kinetics
        Transport limit of R_exc and the charge-transfer kinetics ``{"i0_A_cm2", "alpha_t"}`` (A/cm², –),
        as for the screen (they matter only for a resistance objective).

    Returns
    -------
    dict
        ``columns`` (cell_id, labels as (codes, names) pairs, score statistics, ``p_top_k``,
        ``p_feasible``, ``rank_median``) and ``info`` (settings).
    """
    obj = Objective.parse(objective)
    spreads = dict(spreads or {})
    for k in spreads:
        if k not in SPREAD_FIELDS:
            raise InputError(f"unknown spread field {k!r}; choose from {', '.join(SPREAD_FIELDS)}")
    if distribution not in ("uniform", "normal"):
        raise InputError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")
    if n_samples < 1 or top_k < 1:
        raise InputError("n_samples and top_k must be >= 1")
    sel = selection
    closures = tuple(closures)
    Q, E, A, C = len(closures), len(sel.electrolytes), len(sel.anodes), len(sel.cathodes)
    n_cells = Q * E * A * C
    if n_cells * n_samples > max_values:
        raise InputError(f"Monte Carlo over {n_cells} cells x {n_samples} samples needs more than {max_values} stored "
                         "scores; screen fewer materials or use fewer samples")
    rng = np.random.default_rng(seed)
    shifts = _draw_shifts(rng, sel, n_samples, spreads, distribution)
    scores, ranks, feas, top = _sample_scores(sel, closures, obj, shifts, top_k=top_k, mu_li_se_eV=mu_li_se_eV,
                                              temperature_K=temperature_K, transport=transport, kinetics=kinetics)
    S = n_samples
    mean, std, qs = _score_statistics(scores)
    q_, e_, a_, c_ = (g.ravel() for g in np.meshgrid(np.arange(Q), np.arange(E), np.arange(A), np.arange(C),
                                                      indexing="ij"))
    columns = {
        "cell_id": np.arange(n_cells, dtype=np.int64),
        "anode": (a_, [e.name for e in sel.anodes]), "electrolyte": (e_, [r.name for r in sel.electrolytes]),
        "cathode": (c_, [e.name for e in sel.cathodes]), "closure": (q_, list(closures)),
        "score_mean": mean, "score_std": std, "score_p05": qs[0], "score_p50": qs[1], "score_p95": qs[2],
        "rank_median": np.median(ranks, axis=0), f"p_top_{top_k}": top / S, "p_feasible": feas / S,
    }
    info = {"n_samples": S, "seed": seed, "spreads": spreads, "distribution": distribution, "top_k": top_k,
            "objective": obj.text}
    return {"columns": columns, "info": info}


def monte_carlo_outputs(out, selection: Selection, closures, objective, *, n_samples: int, seed: int,
                        spreads: Mapping[str, float], distribution: str = "uniform", top_k: int = 3,
                        mu_li_se_eV: float | None = None, temperature_K: float = 300.0, top_n: int = 10,
                        transport: str = "local-equilibrium", kinetics=None):
    """Run :func:`monte_carlo` for a screen and write ``out/uncertainty.parquet``.

    Parameters
    ----------
    out : str or Path
        Output folder.
    selection, closures, objective, n_samples, seed, spreads, distribution, top_k, mu_li_se_eV, temperature_K
        As for :func:`monte_carlo` (μ_Li,SE in eV vs Li metal, temperature in K, spreads in V or eV).
    transport, kinetics
        As for :func:`monte_carlo`.
    top_n : int
        Cells listed in ``most_likely_top``.

    Returns
    -------
    info : dict
        The summary's ``uncertainty`` entry: settings, ``file`` and ``most_likely_top`` (the ``top_n``
        cells most likely to rank in the top k).
    table : pandas.DataFrame
        The table as written (label columns as str).
    """
    import pandas as pd

    mc = monte_carlo(selection, closures, objective, n_samples=n_samples, seed=seed, spreads=spreads,
                     distribution=distribution, top_k=top_k, mu_li_se_eV=mu_li_se_eV, temperature_K=temperature_K,
                     transport=transport, kinetics=kinetics)
    path = Path(out) / "uncertainty.parquet"
    write_bytes(path, to_parquet_bytes(mc["columns"]))
    df = pd.read_parquet(path)
    for c in ("anode", "electrolyte", "cathode", "closure"):
        df[c] = df[c].astype(str)
    key = f"p_top_{top_k}"
    best = df.sort_values([key, "score_p50"], ascending=[False, True], kind="stable").head(top_n)
    info = {**mc["info"], "file": str(path), "most_likely_top": best.to_dict(orient="records")}
    return info, df
