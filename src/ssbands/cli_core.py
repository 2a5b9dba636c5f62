"""Core CLI commands: ``materials``, ``band`` and the main job ``demo``."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import click

from .cli import emit_json

library_option = click.option("--library", "library_file", type=click.Path(dir_okay=False), default=None,
                              help="User materials YAML file that adds or overrides materials.")


def _library(path):
    from .materials import load_library

    return load_library(path)


def _echo_warnings(caught):
    for w in caught:
        click.echo(f"ssbands: warning: {w.message}", err=True)


# ------------------------------------------------------------------------------------------ materials
@click.group()
def materials():
    """List and show the materials library (built-in + --library FILE)."""


@materials.command("list")
@library_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--kind", type=click.Choice(["metal", "electrode", "electrolyte"]), default=None)
def materials_list(library_file, as_json, kind):
    """List materials with their kind and how many parameters are unknown."""
    from .materials.library import field_names

    lib = _library(library_file)
    rows = []
    for name in lib:
        m = lib[name]
        if kind and m.kind != kind:
            continue
        fields = field_names(m.kind)
        unknown = [f for f in fields if not m.has(f)]
        estimates = [f for f in fields if m.has(f) and m.param(f).estimate]
        rows.append({"name": m.name, "kind": m.kind, "description": m.description, "origin": m.origin,
                     "unknown": unknown, "estimates": estimates})
    if as_json:
        emit_json({"materials": rows})
        return
    w = max(len(r["name"]) for r in rows) + 2
    click.echo(f"{'name':<{w}}{'kind':<13}{'unknown':>8}{'estimates':>10}  description")
    for r in rows:
        click.echo(f"{r['name']:<{w}}{r['kind']:<13}{len(r['unknown']):>8}{len(r['estimates']):>10}  {r['description']}")


@materials.command("show")
@click.argument("name")
@library_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def materials_show(name, library_file, as_json):
    """Show every parameter of one material with its source (citations resolved)."""
    lib = _library(library_file)
    m = lib[name]
    d = m.to_dict()
    for p in d["parameters"].values():
        if "source" in p:
            p["citation"] = lib.cite(p["source"])
    if as_json:
        emit_json(d)
        return
    click.echo(f"{m.name} ({m.kind}) — {m.description}  [{m.origin}]")
    for f, p in d["parameters"].items():
        unit = f" {p['unit']}" if p.get("unit") else ""
        val = p.get("value", {k: v for k, v in p.items() if k not in ("source", "note", "citation", "description",
                                                                        "unit", "estimate")})
        flag = "  (ESTIMATE)" if p.get("estimate") else ""
        click.echo(f"  {f:<30} {val}{unit}{flag}")
        if p.get("citation"):
            click.echo(f"      source: {p['citation']}")
        if p.get("note"):
            click.echo(f"      note: {p['note']}")


# ------------------------------------------------------------------------------------------ band
@click.command()
@click.argument("stack_file", type=click.Path(dir_okay=False))
@click.option("--ocv", type=float, required=True, help="Open-circuit voltage, V.")
@click.option("--closure", type=click.Choice(["minimum-interface", "extrinsic"]), default=None,
              help="Electrolyte Fermi-level closure (overrides the stack file).")
@click.option("--mu-li-se", "mu_li_se", type=float, default=None,
              help="Li chemical potential of the SE bulk, eV vs Li metal (extrinsic closure).")
@click.option("--ground", type=click.Choice(["cathode", "anode"]), default=None, help="Grounded terminal.")
@click.option("--reference-ocv", type=float, default=None,
              help="OCV of the ΔCPD reference state, V [default: 0 V if reachable, else the as-made state].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None, help="Band diagram PNG/SVG/PDF.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Write the Profile: .nc (NetCDF) or .csv.")
@library_option
def band(stack_file, ocv, closure, mu_li_se, ground, reference_ocv, as_json, plot_file, out_file, library_file):
    """Band diagram of the cell in STACK_FILE (TOML) at one OCV."""
    from .equilibrium import solve, summary
    from .stack import Stack

    lib = _library(library_file) if library_file else None
    overrides = {"closure": closure, "mu_li_se_eV": mu_li_se, "ground": ground}
    stack = Stack.from_toml(stack_file, lib, **overrides)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = solve(stack, ocv, reference_ocv="auto" if reference_ocv is None else reference_ocv, library=lib)
    _echo_warnings(caught)
    if out_file:
        ds.ssb.write(out_file)
    if plot_file:
        from . import plotting

        plotting.band_diagram(ds, plot_file)
    s = summary(ds)
    if as_json:
        emit_json(s)
    else:
        _print_summary(s)


def _print_summary(s):
    click.echo(f"OCV {s['ocv_V']:.4f} V  closure {s['closure']}  ground {s['ground']}  T {s['temperature_K']:g} K")
    click.echo(f"energies: {s['energy_reference']}")
    click.echo(f"{'layer':<12}{'role':<19}{'E_F/eV':>9}{'E_vac/eV':>10}{'Phi/eV':>8}{'mu_Li/eV':>10}"
               f"{'CPD/V':>8}{'dCPD/V':>8}")
    for r in s["layers"]:
        def g(k, w, p=3):
            v = r.get(k)
            return f"{'—':>{w}}" if v is None else f"{v:>{w}.{p}f}"

        click.echo(f"{r['name']:<12}{r['role']:<19}{g('E_F_eV', 9)}{g('E_vac_eV', 10)}{g('work_function_eV', 8, 2)}"
                   f"{g('mu_Li_eV', 10)}{g('cpd_V', 8)}{g('delta_cpd_V', 8)}")
    for i in s["interfaces"]:
        click.echo(f"interface {i['left']}|{i['right']}: phi0 {i['phi0_V']:+.4f} V, dipole {i['dipole_V']:+.3f} V, "
                   f"sigma {i['sigma_e_per_nm2']:+.3f} e/nm², C {i['capacitance_uF_per_cm2']:.2f} µF/cm², "
                   f"saturated {i['saturated_width_A']:.2f} Å, Debye {i['debye_length_A']:.3g} Å")
    for n in s["notes"]:
        click.echo(f"note: {n}")


# ------------------------------------------------------------------------------------------ demo
DEMO_OCVS = (0.0, 1.0, 2.0, 3.0, 3.35, 3.75, 4.0)


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="ssbands-demo", show_default=True,
              help="Output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of tables.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True)
@library_option
def demo(out_dir, as_json, fmt, library_file):
    """The main job: Cu | LixSi | LiPON | LixCoO2 | Pt | Si charged from 0 to 4 V (built-in data).

    Writes band diagrams, the ΔCPD(x) figure, the Profiles (NetCDF) and a CSV summary to OUT, and prints
    the interface steps and ΔCPD per layer at each OCV. With --library FILE the same job runs with your
    values overriding the built-in ones.
    """
    import numpy as np
    import pandas as pd

    from . import plotting
    from .equilibrium import solve, summary
    from .kpfm.forward import blur
    from .profile import atomic_write
    from .stack import fuller2021_stack

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lib = _library(library_file) if library_file else None
    stack = fuller2021_stack(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = solve(stack, np.array(DEMO_OCVS), library=lib)
    _echo_warnings(caught)
    ds.ssb.to_netcdf(out / "profiles.nc")
    summaries = [summary(ds.isel(ocv=i)) for i in range(ds.sizes["ocv"])]
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
    atomic_write(out / "summary.csv", lambda p: df.to_csv(p, index=False))
    figs = []
    for v in DEMO_OCVS:
        p = out / f"band_diagram_{v:.2f}V.{fmt}"
        plotting.band_diagram(ds, p, ocv=v)
        figs.append(p)
    plotting.delta_cpd(ds, out / f"delta_cpd.{fmt}")
    plotting.delta_cpd(blur(ds, 50.0), out / f"delta_cpd_blurred_50nm.{fmt}")
    elapsed = time.perf_counter() - t0
    if as_json:
        emit_json({"out": str(out), "elapsed_s": elapsed, "states": summaries})
        return
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
    click.echo(f"\nwrote {out}/: profiles.nc, summary.csv, {len(figs)} band diagrams, delta_cpd.{fmt}, "
               f"delta_cpd_blurred_50nm.{fmt}  ({elapsed:.1f} s)")
