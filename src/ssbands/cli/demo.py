"""``ssbands demo``: the main job, the Fuller et al. (2021) thin-film cell charged from 0 to 4 V."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import click

from .options import json_option, library_option, out_dir_option, user_library
from .output import echo_warnings, emit_json

#: the open-circuit voltages of the demo, V
DEMO_OCVS = (0.0, 1.0, 2.0, 3.0, 3.35, 3.75, 4.0)


@click.command()
@out_dir_option("ssbands-demo", "Output folder.")
@json_option("Print the summary as JSON instead of tables.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True)
@library_option()
def demo(out_dir, as_json, fmt, library_file):
    """The main job: Cu | LixSi | LiPON | LixCoO2 | Pt | Si charged from 0 to 4 V (built-in data).

    Writes band diagrams, the ΔCPD(x) figure, the Profiles (NetCDF) and a CSV summary to OUT, and prints
    the interface steps and ΔCPD per layer at each OCV. With --library FILE the same job runs with your
    values overriding the built-in ones.
    \f

    Parameters
    ----------
    out_dir : str
        Output folder (created when missing).
    as_json : bool
        Print ``{"out", "elapsed_s", "states"}`` as JSON instead of tables.
    fmt : {"png", "svg", "pdf"}
        Figure file format.
    library_file : str or None
        User library YAML file (adds or overrides materials).
    """  # noqa: D301 - the form feed ends the help text click shows
    import numpy as np

    from ..cell import fuller2021_stack, solve, summary

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lib = user_library(library_file)
    stack = fuller2021_stack(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = solve(stack, np.array(DEMO_OCVS), library=lib)
    echo_warnings(caught)
    ds.ssb.to_netcdf(out / "profiles.nc")
    summaries = [summary(ds.isel(ocv=i)) for i in range(ds.sizes["ocv"])]
    _write_summary_csv(summaries, out / "summary.csv")
    n_figures = _write_figures(ds, out, fmt)
    cu = _lithiated_collector(stack, lib, out, fmt)
    elapsed = time.perf_counter() - t0
    if as_json:
        emit_json({"out": str(out), "elapsed_s": elapsed, "states": summaries, "lithiated_collector": cu})
        return
    _print_demo(summaries)
    click.echo(f"\nLi in the Cu collector (as the operando study saw; {cu['li_fraction']:g} Li fraction over "
               f"{cu['front_nm']:g} nm next to LixSi, work function from the library's labelled estimate): at "
               f"{cu['ocv_V']:g} V, ΔCPD in that zone is {cu['delta_cpd_zone_V']:+.3f} V against "
               f"{cu['delta_cpd_pristine_V']:+.3f} V in the pristine Cu -> delta_cpd_cu_lithiated.{fmt}")
    click.echo(f"\nwrote {out}/: profiles.nc, summary.csv, {n_figures} band diagrams, delta_cpd.{fmt}, "
               f"delta_cpd_blurred_50nm.{fmt}, delta_cpd_cu_lithiated.{fmt}  ({elapsed:.1f} s)")


def _write_summary_csv(summaries: list[dict], path: Path) -> None:
    """Write one row per layer and per interface of every state (OCV in V) to the CSV file ``path``."""
    import pandas as pd

    from ..profile import atomic_write

    rows = []
    for s in summaries:
        for r in s["layers"]:
            rows.append({"ocv_V": s["ocv_V"], "kind": "layer", "name": r["name"], "role": r["role"],
                         "li_fraction": r.get("li_fraction"), "E_F_eV": r["E_F_eV"], "E_vac_eV": r["E_vac_eV"],
                         "work_function_eV": r["work_function_eV"], "mu_Li_eV": r["mu_Li_eV"],
                         "cpd_base_V": r.get("cpd_base_V"), "delta_cpd_V": r["delta_cpd_V"],
                         "delta_cpd_work_function_V": r["delta_cpd_work_function_V"],
                         "delta_cpd_potential_V": r["delta_cpd_potential_V"]})
        for i in s["interfaces"]:
            rows.append({"ocv_V": s["ocv_V"], "kind": "interface", "name": f"{i['left']}|{i['right']}",
                         "phi0_V": i["phi0_V"], "sigma_e_per_nm2": i["sigma_e_per_nm2"],
                         "capacitance_uF_per_cm2": i["capacitance_uF_per_cm2"],
                         "saturated_width_A": i["saturated_width_A"], "debye_length_A": i["debye_length_A"]})
    df = pd.DataFrame(rows)
    atomic_write(path, lambda p: df.to_csv(p, index=False))


def _write_figures(ds, out: Path, fmt: str) -> int:
    """Write a band diagram per OCV and the ΔCPD(x) figures (raw and blurred by 50 nm); the band diagram count."""
    from ..kpfm.forward import blur
    from ..plotting import band_diagram, delta_cpd

    for v in DEMO_OCVS:
        band_diagram(ds, out / f"band_diagram_{v:.2f}V.{fmt}", ocv=v)
    delta_cpd(ds, out / f"delta_cpd.{fmt}")
    delta_cpd(blur(ds, 50.0), out / f"delta_cpd_blurred_50nm.{fmt}")
    return len(DEMO_OCVS)


def _lithiated_collector(stack, lib, out: Path, fmt: str, li_fraction: float = 0.5, front_nm: float = 60.0,
                         ocv: float = 3.75) -> dict:
    """The demo cell with Li taken up by the Cu collector next to the anode: ΔCPD figure and values (V)."""
    from ..cell import Stack, solve
    from ..plotting import delta_cpd

    data = stack.to_dict()
    data["layer"][0].update(li_fraction=li_fraction, lithiation_front_nm=front_nm)
    lithiated = Stack.from_dict(data, lib, source="demo cell with Li in the Cu collector")
    ds = solve(lithiated, [ocv], library=lib)
    delta_cpd(ds, out / f"delta_cpd_cu_lithiated.{fmt}")
    x, layer, d = ds["x"].values, ds["layer"].values, ds["dcpd_V"].values[0]
    cu = layer == lithiated.layers[0].name
    edge = x[cu].max() - front_nm
    return {"ocv_V": ocv, "li_fraction": li_fraction, "front_nm": front_nm,
            "delta_cpd_zone_V": float(d[cu & (x > edge)][-1]), "delta_cpd_pristine_V": float(d[cu & (x < edge)][0])}


def _print_demo(summaries: list[dict]) -> None:
    """Print the interface steps and the ΔCPD per layer (V) at each OCV, and the notes."""
    click.echo("ssbands demo: Cu | LixSi | LiPON | LixCoO2 | Pt | Si base (Fuller et al. 2021 geometry), "
               "closure minimum-interface, cathode grounded, 300 K")
    click.echo("\nInterface steps screened by the LiPON space-charge layers (phi0 > 0: SE bulk at higher potential)")
    click.echo(f"{'OCV/V':>6}{'x(LixSi)':>10}{'x(LiCoO2)':>10}{'phi0 LixSi|LiPON':>18}{'phi0 LiPON|LiCoO2':>19}"
               f"{'sigma_L e/nm2':>14}{'sigma_R e/nm2':>14}")
    for s in summaries:
        a, c = s["layers"][1], s["layers"][3]
        il, ir = s["interfaces"]
        click.echo(f"{s['ocv_V']:>6.2f}{a['li_fraction']:>10.4g}{c['li_fraction']:>10.4f}{il['phi0_V']:>18.3f}"
                   f"{ir['phi0_V']:>19.3f}{il['sigma_e_per_nm2']:>14.3f}{ir['sigma_e_per_nm2']:>14.3f}")
    names = [r["name"] for r in summaries[0]["layers"]]
    click.echo("\nΔCPD per layer vs OCV = 0 (V, layer middle) = −ΔΦ/e + ΔV")
    click.echo(f"{'OCV/V':>6}" + "".join(f"{n:>10}" for n in names))
    for s in summaries:
        click.echo(f"{s['ocv_V']:>6.2f}" + "".join(f"{r['delta_cpd_V']:>10.3f}" for r in s["layers"]))
    click.echo("\n  of which −ΔΦ/e (work-function change):")
    for s in summaries:
        click.echo(f"{s['ocv_V']:>6.2f}" + "".join(f"{r['delta_cpd_work_function_V']:>10.3f}" for r in s["layers"]))
    for n in summaries[0]["notes"]:
        click.echo(f"note: {n}")
