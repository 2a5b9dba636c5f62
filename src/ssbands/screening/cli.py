"""``ssbands screen`` and ``ssbands library synth``."""

from __future__ import annotations

import math

import click

from ..errors import InputError


def _names(text):
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError("a material list must name at least one material (comma-separated)")
    return names


@click.command(name="screen")
@click.option("--anodes", default=None, help="comma-separated anode names (default: every computable anode)")
@click.option("--electrolytes", default=None, help="comma-separated electrolyte names (default: every computable one)")
@click.option("--cathodes", default=None, help="comma-separated cathode names (default: every computable cathode)")
@click.option("--library", "library_file", type=click.Path(dir_okay=False), default=None,
              help="user library YAML (adds or overrides materials)")
@click.option("--closure", "closure", default="minimum-interface", show_default=True,
              help="closure(s) of the SE Fermi level, comma-separated: minimum-interface, extrinsic")
@click.option("--mu-li-se", "mu_li_se", type=float, default=None,
              help="SE bulk mu_Li (eV vs Li metal) for the extrinsic closure")
@click.option("--objective", default="max-abs-phi0", show_default=True,
              help="METRIC[+CONSTRAINT...]: metrics max-abs-phi0, sum-abs-phi0, total-resistance, window-violation "
                   "or a cell column; constraints stable, no-injection, known-flags, positive-ocv")
@click.option("--pareto", default="R_total_ohm_cm2,window_violation_V", show_default=True,
              help="two cell columns (both minimised) for the Pareto set")
@click.option("--states", "n_states", type=click.IntRange(1, 1000), default=2, show_default=True,
              help="electrode states from discharged to charged (2: the two ends)")
@click.option("--temperature", type=float, default=300.0, show_default=True, help="temperature, K")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="ssbands-screen", show_default=True)
@click.option("--resume", is_flag=True, help="finish an interrupted run in --out (finished chunks are kept)")
@click.option("--overwrite", is_flag=True, help="replace a screen already in --out")
@click.option("--workers", type=int, default=None, help="start a local Dask cluster with N worker processes")
@click.option("--scheduler", default=None, help="address of a Dask scheduler (e.g. tcp://host:8786)")
@click.option("--jobs", type=int, default=None, help="local processes when not using Dask (default: all cores)")
@click.option("--chunk-size", "chunk_cells", type=click.IntRange(1), default=100_000, show_default=True,
              help="cells per chunk (results do not depend on it; --resume needs the same)")
@click.option("--mc", "mc_samples", type=click.IntRange(0), default=0, help="Monte Carlo samples (0: off)")
@click.option("--mc-seed", type=int, default=0, show_default=True, help="Monte Carlo seed")
@click.option("--spread", "spreads", multiple=True,
              help="FIELD=WIDTH, repeatable: work_function_eV, phi0_li_V, dipole_V (uniform +-WIDTH)")
@click.option("--top-k", type=click.IntRange(1), default=3, show_default=True, help="k of P(top k)")
@click.option("--top", "top_n", type=click.IntRange(1), default=10, show_default=True, help="best cells to report")
@click.option("--no-figures", is_flag=True, help="skip figures and report.md")
@click.option("--quiet", is_flag=True, help="no progress bars")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
def screen(anodes, electrolytes, cathodes, library_file, closure, mu_li_se, objective, pareto, n_states, temperature,
           out_dir, resume, overwrite, workers, scheduler, jobs, chunk_cells, mc_samples, mc_seed, spreads, top_k,
           top_n, no_figures, quiet, as_json):
    """Screen anode | electrolyte | cathode cells: interface steps, resistance, flags, ranking, Pareto set."""
    from ..cli import emit_json
    from ..materials.library import load_library
    from .executor import screen as run

    for name, v in (("temperature", temperature), ("mu-li-se", mu_li_se)):
        if v is not None and not math.isfinite(v):
            raise InputError(f"--{name} must be a finite number, got {v!r}")
    lib = load_library(extra=library_file) if library_file else load_library()
    closures = tuple(c.strip() for c in closure.split(",") if c.strip())
    summary = run(lib, out_dir, anodes=_names(anodes), electrolytes=_names(electrolytes), cathodes=_names(cathodes),
                  closures=closures, mu_li_se_eV=mu_li_se, temperature_K=temperature, n_states=n_states,
                  objective=objective, pareto=tuple(p.strip() for p in pareto.split(",")), chunk_cells=chunk_cells,
                  resume=resume, overwrite=overwrite, jobs=jobs, workers=workers, scheduler=scheduler, quiet=quiet,
                  figures=not no_figures, top_n=top_n, mc_samples=mc_samples, mc_seed=mc_seed, spreads=list(spreads),
                  top_k=top_k)
    if as_json:
        emit_json(summary)
        return
    c = summary["counts"]
    click.echo(f"{c['anodes']} anodes x {c['electrolytes']} electrolytes x {c['cathodes']} cathodes: "
               f"{c['interfaces']} interface rows, {c['cells']} cells ({c['feasible']} feasible), "
               f"{c['pareto']} on the Pareto set -> {summary['out']}")
    for s in summary["not_computed"]:
        click.echo(f"not computed: {s['material']} ({s['role']}): {s['reason']}")
    click.echo(f"objective: {summary['objective']['text']} ({summary['objective']['description']})")
    for r in summary["top"]:
        click.echo(f"{r['rank']:>5}  {r['anode']} | {r['electrolyte']} | {r['cathode']}  [{r['closure']}]  "
                   f"score {r['score'] if r['score'] is None else format(r['score'], '.4g')}")


@click.group(name="library")
def library():
    """Material libraries: synthetic libraries for benchmarks."""


@library.command(name="synth")
@click.option("--n-electrodes", type=click.IntRange(0), required=True,
              help="electrodes (half anode-like, half cathode-like)")
@click.option("--n-electrolytes", type=click.IntRange(0), required=True, help="electrolytes")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--unknown-fraction", type=float, default=0.0, show_default=True,
              help="fraction of electrolytes with one SCL parameter 'unknown'")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), required=True, help="library YAML to write")
@click.option("--json", "as_json", is_flag=True)
@click.option("--library", "library_file", type=click.Path(dir_okay=False), default=None,
              help="accepted for uniformity with every command; ignored (synth writes a new library)")
def synth(n_electrodes, n_electrolytes, seed, unknown_fraction, out_file, as_json, library_file):
    """Write a library of FICTITIOUS materials with plausible random values (for benchmarks)."""
    from ..cli import emit_json
    from .synth import write_synthetic_library

    p = write_synthetic_library(out_file, n_electrodes, n_electrolytes, seed, unknown_fraction)
    info = {"file": str(p), "n_electrodes": n_electrodes, "n_electrolytes": n_electrolytes, "seed": seed}
    if as_json:
        emit_json(info)
    else:
        click.echo(f"wrote {p}: {n_electrodes} electrodes, {n_electrolytes} electrolytes (seed {seed})")
