"""``ssbands screen``: screen anode | electrolyte | cathode cells built from a material library."""

from __future__ import annotations

import click

from ..errors import InputError
from .options import FINITE_FLOAT, CommaList, json_option, library_option, out_dir_option
from .output import emit_json

#: a comma-separated list of material names (None when the option is not given: every computable one)
_NAMES = CommaList(empty_error="a material list must name at least one material (comma-separated)")


@click.command(name="screen")
@click.option("--anodes", type=_NAMES, default=None,
              help="comma-separated anode names (default: every computable anode)")
@click.option("--electrolytes", type=_NAMES, default=None,
              help="comma-separated electrolyte names (default: every computable one)")
@click.option("--cathodes", type=_NAMES, default=None,
              help="comma-separated cathode names (default: every computable cathode)")
@library_option("user library YAML (adds or overrides materials)")
@click.option("--closure", "closure", type=CommaList(), default="minimum-interface", show_default=True,
              help="closure(s) of the SE Fermi level, comma-separated: minimum-interface, extrinsic")
@click.option("--mu-li-se", "mu_li_se", type=FINITE_FLOAT, default=None,
              help="SE bulk mu_Li (eV vs Li metal) for the extrinsic closure")
@click.option("--objective", default="max-abs-phi0", show_default=True,
              help="METRIC[+CONSTRAINT...]: metrics max-abs-phi0, sum-abs-phi0, interface-resistance, "
                   "total-resistance, window-violation or a cell column; constraints stable, no-injection, "
                   "known-flags, positive-ocv")
@click.option("--pareto", type=CommaList(keep_empty=True), default="R_total_ohm_cm2,window_violation_V",
              show_default=True, help="two cell columns (both minimised) for the Pareto set")
@click.option("--states", "n_states", type=click.IntRange(1, 1000), default=2, show_default=True,
              help="electrode states from discharged to charged (2: the two ends)")
@click.option("--temperature", type=FINITE_FLOAT, default=300.0, show_default=True, help="temperature, K")
@click.option("--transport", type=click.Choice(["local-equilibrium", "independent"]), default="local-equilibrium",
              show_default=True, help="transport limit of the interfaces' excess resistance R_exc")
@click.option("--i0", "i0", type=FINITE_FLOAT, default=None,
              help="exchange current density of every interface, A/cm2 (for R_ct; with --alpha-t)")
@click.option("--alpha-t", "alpha_t", type=FINITE_FLOAT, default=None,
              help="charge-transfer coefficient of every interface (for R_ct; with --i0)")
@out_dir_option("ssbands-screen")
@click.option("--resume", is_flag=True, help="finish an interrupted run in --out (finished chunks are kept)")
@click.option("--overwrite", is_flag=True, help="replace a screen already in --out")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="start a local Dask cluster with N worker processes")
@click.option("--scheduler", default=None, help="address of a Dask scheduler (e.g. tcp://host:8786)")
@click.option("--jobs", type=click.IntRange(1), default=None,
              help="local processes when not using Dask (default: all cores)")
@click.option("--chunk-size", "chunk_cells", type=click.IntRange(1), default=100_000, show_default=True,
              help="cells per chunk (results do not depend on it; --resume needs the same)")
@click.option("--mc", "mc_samples", type=click.IntRange(0), default=0, help="Monte Carlo samples (0: off)")
@click.option("--mc-seed", type=click.IntRange(0), default=0, show_default=True, help="Monte Carlo seed")
@click.option("--spread", "spreads", multiple=True,
              help="FIELD=WIDTH, repeatable: work_function_eV, phi0_li_V, dipole_V (uniform +-WIDTH)")
@click.option("--top-k", type=click.IntRange(1), default=3, show_default=True, help="k of P(top k)")
@click.option("--top", "top_n", type=click.IntRange(1), default=10, show_default=True, help="best cells to report")
@click.option("--no-figures", is_flag=True, help="skip figures and report.md")
@click.option("--quiet", is_flag=True, help="no progress bars")
@json_option("print the summary as JSON")
def screen(anodes, electrolytes, cathodes, library_file, closure, mu_li_se, objective, pareto, n_states, temperature,
           transport, i0, alpha_t, out_dir, resume, overwrite, workers, scheduler, jobs, chunk_cells, mc_samples,
           mc_seed, spreads, top_k, top_n, no_figures, quiet, as_json):
    """Screen anode | electrolyte | cathode cells: interface steps, resistance, flags, ranking, Pareto set.

    \f

    Parameters
    ----------
    anodes, electrolytes, cathodes : list of str or None
        Material names (None: every computable one of the role).
    library_file : str or None
        User library YAML file (adds or overrides materials).
    closure : list of str
        SE Fermi-level closures.
    mu_li_se : float or None
        SE bulk mu_Li, eV vs Li metal (extrinsic closure).
    objective : str
        Ranking metric and constraints.
    pareto : list of str
        Two cell columns (both minimised) for the Pareto set.
    n_states : int
        Electrode states from discharged to charged.
    temperature : float
        Temperature, K.
    transport : str
        Transport limit of R_exc (``local-equilibrium`` or ``independent``).
    i0, alpha_t : float or None
        Exchange current density (A/cm²) and transfer coefficient of every interface (R_ct; both or none).
    out_dir : str
        Output folder.
    resume, overwrite : bool
        Finish an interrupted run / replace an existing one in ``out_dir``.
    workers, jobs : int or None
        Local Dask workers / local processes.
    scheduler : str or None
        Address of a Dask scheduler.
    chunk_cells : int
        Cells per chunk.
    mc_samples, mc_seed : int
        Monte Carlo samples (0: off) and seed.
    spreads : tuple of str
        ``FIELD=WIDTH`` uniform spreads of the Monte Carlo (eV or V).
    top_k, top_n : int
        k of P(top k); best cells to report.
    no_figures, quiet : bool
        Skip figures and report.md; no progress bars.
    as_json : bool
        Print the summary as JSON instead of text.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..materials import load_library
    from ..screening import screen as run_screening

    if mu_li_se is not None and "extrinsic" not in closure:
        raise InputError(f"--mu-li-se applies to the extrinsic closure only; --closure is {','.join(closure)} "
                         "(add extrinsic: --closure minimum-interface,extrinsic)")
    if (i0 is None) != (alpha_t is None):
        raise click.UsageError("--i0 and --alpha-t go together")
    if mc_samples > 0 and not spreads:
        raise click.UsageError("--mc needs at least one --spread FIELD=WIDTH (e.g. work_function_eV=0.3)")
    lib = load_library(library_file)
    try:
        summary = run_screening(lib, out_dir, anodes=anodes, electrolytes=electrolytes, cathodes=cathodes,
                                closures=tuple(closure), mu_li_se_eV=mu_li_se, temperature_K=temperature,
                                n_states=n_states, objective=objective, pareto=tuple(pareto), chunk_cells=chunk_cells,
                                resume=resume, overwrite=overwrite, jobs=jobs, workers=workers, scheduler=scheduler,
                                quiet=quiet, figures=not no_figures, top_n=top_n, mc_samples=mc_samples,
                                mc_seed=mc_seed, spreads=list(spreads), top_k=top_k, transport=transport,
                                kinetics=None if i0 is None else {"i0_A_cm2": i0, "alpha_t": alpha_t})
    except KeyboardInterrupt:
        click.echo(f"ssbands screen: interrupted; finished chunks are kept in {out_dir} - rerun with --resume to "
                   "complete", err=True)
        raise
    if as_json:
        emit_json(summary)
        return
    _print_screen(summary)


def _print_screen(summary: dict) -> None:
    """Print the counts, what was not computed, the objective and the best cells of a screen."""
    c = summary["counts"]
    click.echo(f"{c['anodes']} anodes x {c['electrolytes']} electrolytes x {c['cathodes']} cathodes: "
               f"{c['interfaces']} interface rows, {c['cells']} cells ({c['feasible']} feasible"
               + (f", {c['negative_ocv']} not ranked: OCV <= 0 at every state" if c.get("negative_ocv") else "")
               + f"), {c['pareto']} on the Pareto set -> {summary['out']}")
    for s in summary["not_computed"]:
        click.echo(f"not computed: {s['material']} ({s['role']}): {s['reason']}")
    click.echo(f"objective: {summary['objective']['text']} ({summary['objective']['description']})")
    for r in summary["top"]:
        click.echo(f"{r['rank']:>5}  {r['anode']} | {r['electrolyte']} | {r['cathode']}  [{r['closure']}]  "
                   f"score {r['score'] if r['score'] is None else format(r['score'], '.4g')}")
