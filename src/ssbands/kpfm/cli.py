"""``ssbands kpfm``: read KPFM files, make CPD profiles, fit Δf(V) grids, build operando series.

Thin: parses options, calls :mod:`ssbands.kpfm.io`, :mod:`~ssbands.kpfm.processing`,
:mod:`~ssbands.kpfm.spectroscopy` and :mod:`~ssbands.kpfm.series`, prints text or JSON. Bad files
raise :class:`ssbands.errors.InputError`, which ``ssbands.cli.main`` turns into one line and exit 2.
"""

from __future__ import annotations


import click
import numpy as np

from ..errors import InputError

_library = click.option("--library", type=click.Path(dir_okay=False), default=None,
                        help="User materials library (accepted for uniformity; not used by kpfm data commands).")
_json = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
_conv = click.option("--convention", type=click.Choice(["sample", "tip"]), default=None,
                     help="The instrument's sign convention when the file does not record it.")
_fmt = click.option("--format", "fmt", default=None,
                    help="Force the file format (gwy, ibw, sxm, 3ds, nanoscope, park, text, npy).")


def _emit(obj):
    from ..cli import emit_json

    emit_json(obj)


def _rows(text):
    if text is None:
        return None
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        raise InputError(f"--rows must be START:STOP (row indices), got {text!r}") from None
    return (a, b)


def _range(text, name):
    if text is None:
        return None
    try:
        a, b = (float(v) for v in text.split(":"))
    except ValueError:
        raise InputError(f"{name} must be X0:X1 in nm, got {text!r}") from None
    return (a, b)


@click.group(name="kpfm")
def kpfm():
    """KPFM data: read instrument files, CPD profiles, Δf(V) grids, operando series."""


@kpfm.command()
@click.argument("file", type=click.Path())
@_json
@_fmt
@_conv
@_library
def info(file, as_json, fmt, convention, library):
    """List the channels of FILE and the potential channel chosen by title and unit."""
    from .io import read

    kf = read(file, fmt=fmt, convention=convention)
    d = kf.info()
    if as_json:
        _emit(d)
        return
    click.echo(f"{file}: {kf.format}")
    for c in kf.channels:
        size = "unknown size" if c.size_m is None else f"{c.size_m[0] * 1e6:.4g} x {c.size_m[1] * 1e6:.4g} µm"
        mark = "  <- potential" if c.title == kf.potential_channel else ""
        click.echo(f"  {c.title!r:32} [{c.unit or '?'}] {'x'.join(map(str, c.shape)):>12}  {size}  "
                   f"({c.role}){mark}")
    click.echo(f"potential channel: {kf.potential_channel}")
    click.echo(f"cpd convention: {kf.cpd_convention}")
    for n in kf.notes:
        click.echo(f"  note: {n}")


@kpfm.command()
@click.argument("file", type=click.Path())
@click.option("--channel", default=None, help="Channel title (default: the potential channel).")
@click.option("--rows", default=None, help="Rows START:STOP to average (the profile region).")
@click.option("--mask", type=click.Path(dir_okay=False), default=None,
              help="Mask file (.npy or text, nonzero = excluded pixel).")
@click.option("--level", type=click.Choice(["none", "plane", "lines", "plane+lines"]), default=None,
              help="Levelling (default none for potential, plane for topography).")
@click.option("--along", type=click.Choice(["x", "y"]), default="x", help="Profile direction.")
@click.option("--pixel-size-nm", type=float, default=None, help="Pixel size when the file has none.")
@click.option("--base", default=None, help="X0:X1 (nm) of the inert base: adds cpd_base_V = CPD - CPD(base).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Save a figure (PNG/PDF/SVG).")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the Profile (.nc or .csv).")
@_json
@_fmt
@_conv
@_library
def profile(file, channel, rows, mask, level, along, pixel_size_nm, base, plot, out, as_json, fmt,
            convention, library):
    """Average a map of FILE along y into CPD(x) with its standard deviation."""
    from .io import read
    from .processing import map_to_profile, reference_to_base, region_mean

    kf = read(file, channel=channel, fmt=fmt, convention=convention)
    r = _rows(rows)
    prof = map_to_profile(kf, None, rows=r, mask=mask, level=level, along=along, pixel_size_nm=pixel_size_nm)
    b = _range(base, "--base")
    if b is not None:
        prof = reference_to_base(prof, b)
    var = "cpd_V" if "cpd_V" in prof else "value"
    svar = "std_V" if var == "cpd_V" else "std"
    allm = region_mean(prof, (float(prof.x.min()), float(prof.x.max())), var)
    if out:
        prof.ssb.write(out)
    if plot:
        from .plots import plot_profile

        plot_profile(prof, path=plot)
    ch = kf.channel()
    meta = prof.ssb.metadata
    if as_json:
        d = {"file": str(file), "format": kf.format, "channel": ch.title, "unit": ch.unit,
             "x_nm": prof["x"].values, "count": prof["count"].values,
             "mean_V" if var == "cpd_V" else "mean": allm.mean, "sem": allm.sem,
             "cpd_convention": prof.attrs["cpd_convention"], "processing": meta["processing"],
             "notes": list(kf.notes)}
        d[var] = prof[var].values
        d[svar] = prof[svar].values
        if "cpd_base_V" in prof:
            d["cpd_base_V"] = prof["cpd_base_V"].values
            d["base"] = meta["base"]
        _emit(d)
        return
    unit = ch.unit or "a.u."
    click.echo(f"{file}: channel {ch.title!r} [{unit}], {prof.sizes['x']} points, "
               f"x {float(prof.x[0]):.4g}..{float(prof.x[-1]):.4g} nm")
    click.echo(f"mean {allm.mean:.6g} {unit} (sem {allm.sem:.2g}); convention: {prof.attrs['cpd_convention']}")
    for s in meta["processing"]:
        click.echo(f"  {s}")
    if out:
        click.echo(f"wrote {out}")
    if plot:
        click.echo(f"wrote {plot}")


@kpfm.command()
@click.argument("file", type=click.Path())
@click.option("--channel", default="Frequency Shift", show_default=True, help="The Δf channel.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Save the CPD and RMS maps.")
@_json
@_fmt
@_library
def spectroscopy(file, channel, plot, as_json, fmt, library):
    """Fit a parabola to Δf(V) at every pixel of a grid: the vertex is the local CPD."""
    from .io import read
    from .spectroscopy import fit_grid

    kf = read(file, fmt=fmt)
    fit = fit_grid(kf, channel)
    cpd = np.where(fit.valid, fit.cpd_V, np.nan)
    if plot:
        from .plots import plot_fit_map

        plot_fit_map(fit, kf.channel(channel).size_m, path=plot)
    if as_json:
        _emit({"file": str(file), "format": kf.format, "shape": list(cpd.shape), "cpd_V": cpd,
               "fit_rms_Hz": fit.rms_total_Hz, "fit_rms_Hz_map": fit.rms_Hz,
               "curvature_Hz_per_V2": fit.curvature_Hz_per_V2, "valid": fit.valid,
               "n_valid": int(fit.valid.sum()), "mean_cpd_V": float(np.nanmean(cpd)) if fit.valid.any() else None,
               "cpd_convention": kf.cpd_convention, "size_m": kf.channel(channel).size_m})
        return
    v = fit.valid
    click.echo(f"{file}: {cpd.shape[0]} x {cpd.shape[1]} pixels, {int(v.sum())} valid fits")
    if v.any():
        click.echo(f"CPD (vertex bias) {np.nanmin(cpd):.4g} .. {np.nanmax(cpd):.4g} V, mean {np.nanmean(cpd):.4g} V")
    click.echo(f"fit RMS {fit.rms_total_Hz:.3g} Hz; convention: {kf.cpd_convention}")


@kpfm.command()
@click.argument("manifest", type=click.Path())
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Save ΔCPD(x) per OCV.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the series (.nc or .csv).")
@_json
@_library
def series(manifest, plot, out, as_json, library):
    """ΔCPD(x) per OCV from a manifest (YAML/TOML) or a folder of scans."""
    from .series import operando_series

    s = operando_series(manifest)
    if out:
        s.ssb.write(out)
    if plot:
        from .plots import plot_series

        plot_series(s, path=plot)
    meta = s.ssb.metadata
    if as_json:
        _emit({"ocv_V": s["ocv"].values, "x_nm": s["x"].values, "delta_cpd_V": s["delta_cpd_V"].values,
               "delta_std_V": s["delta_std_V"].values, "cpd_V": s["cpd_V"].values, "std_V": s["std_V"].values,
               "shift_nm": s["shift_nm"].values, "reference_ocv_V": meta["reference_ocv_V"],
               "files": meta["files"], "channels": meta["channels"], "alignment": meta["alignment"],
               "cpd_convention": s.attrs["cpd_convention"]})
        return
    click.echo(f"{manifest}: {s.sizes['ocv']} scans on {s.sizes['x']} points; reference OCV "
               f"{meta['reference_ocv_V']:g} V; alignment: {meta['alignment']}")
    for v, sh, d in zip(s["ocv"].values, s["shift_nm"].values, s["delta_cpd_V"].values):
        click.echo(f"  OCV {v:g} V: shift {sh:+.3g} nm, mean ΔCPD {np.nanmean(d):+.4g} V")


def _set_values(items):
    out = {}
    for it in items:
        name, sep, val = it.partition("=")
        if not sep:
            raise InputError(f"--set {it!r}: write NAME=VALUE, e.g. --set width_nm=30")
        try:
            out[name.strip()] = float(val)
        except ValueError:
            raise InputError(f"--set {it!r}: {val!r} is not a number") from None
    return out


@kpfm.command()
@click.argument("source", metavar="MANIFEST_OR_PROFILE", type=click.Path())
@click.option("--stack", "stack_file", required=True, type=click.Path(dir_okay=False),
              help="The cell model (stack TOML).")
@click.option("--params", default="offset,width", show_default=True,
              help="What to fit: mu_li_se, dipole:LEFT|RIGHT, offset, width, front, x_offset, x_scale.")
@click.option("--set", "set_values", multiple=True, metavar="NAME=VALUE",
              help="Starting value of a fitted parameter or value of a fixed one (width_nm, front_nm, "
                   "x_offset_nm, x_scale, mu_li_se_eV, dipole:L|R, offset@<ocv>V); repeatable.")
@click.option("--front-layer", default="anode", show_default=True, help="Electrode with the lithiation front.")
@click.option("--weights", type=click.Choice(["auto", "std", "none"]), default="auto", show_default=True,
              help="Weight residuals by the measured standard error of each point.")
@click.option("--x-range", default=None, help="X0:X1 (nm): fit only this part of the profiles.")
@click.option("--closure", type=click.Choice(["minimum-interface", "extrinsic"]), default=None,
              help="Electrolyte closure (overrides the stack file).")
@click.option("--mu-li-se", "mu_li_se", type=float, default=None, help="mu_Li of the SE bulk, eV (extrinsic).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Save data + model overlay, residuals and decomposition (PNG/PDF/SVG).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the fit: .json (result), .nc or .csv (decomposition Profile).")
@_json
@click.option("--library", type=click.Path(dir_okay=False), default=None, help="User materials library (YAML).")
def fit(source, stack_file, params, set_values, front_layer, weights, x_range, closure, mu_li_se, plot, out,
        as_json, library):
    """Fit the cell model in --stack to the ΔCPD(x) series in MANIFEST_OR_PROFILE (manifest, folder or .nc)."""
    import json as _jsonlib

    from ..materials import load_library
    from ..profile import atomic_write, to_jsonable
    from ..stack import Stack
    from .fit import fit as do_fit
    from .fit import load_measured, parse_params

    lib = load_library(library) if library else None
    stack = Stack.from_toml(stack_file, lib, closure=closure, mu_li_se_eV=mu_li_se)
    kinds = parse_params(params)
    vals = _set_values(set_values)
    fitted_plain = {"mu_li_se": "mu_li_se_eV", "width": "width_nm", "front": "front_nm",
                    "x_offset": "x_offset_nm", "x_scale": "x_scale"}
    fitted_names = {fitted_plain.get(k, k) for k in kinds}
    initial = {k: v for k, v in vals.items() if k in fitted_names or (k.startswith("offset") and "offset" in kinds)}
    fixed = {k: v for k, v in vals.items() if k not in initial}
    measured = load_measured(source)
    res = do_fit(measured, stack, kinds, initial=initial, fixed=fixed, weights=weights, front_layer=front_layer,
                 x_range=_range(x_range, "--x-range"), library=lib)
    if out:
        if out.lower().endswith(".json"):
            text = _jsonlib.dumps(to_jsonable(res.to_dict()), indent=2, allow_nan=False)
            atomic_write(out, lambda p: p.write_text(text, encoding="utf-8"))
        elif out.lower().endswith((".nc", ".csv")):
            res.decomposition.ssb.write(out)
        else:
            raise InputError(f"--out {out!r}: use a .json (fit result), .nc (NetCDF) or .csv file name")
    if plot:
        from .fit import plot_fit

        plot_fit(res, path=plot)
    if as_json:
        _emit(res.to_dict(arrays=False))
        return
    click.echo(f"{source}: fitted {len(res.names)} parameters to {res.n_points} points at OCV "
               f"{', '.join(f'{v:g}' for v in res.ocv_V)} V (reference {res.reference_ocv_V:g} V); "
               f"reduced chi2 = {res.reduced_chi2:.4g}{'' if res.weighted else ' V^2 (unweighted)'}")
    for name, p in res.parameters.items():
        click.echo(f"  {name:28} = {p.value:.6g} ± {p.stderr:.2g} {p.unit}")
    for k, v in res.fixed.items():
        click.echo(f"  {k:28} = {v:.6g} (fixed)")
    for w in res.warnings:
        click.echo(f"  warning: {w}")
    for n in res.notes:
        click.echo(f"  note: {n}")
    if out:
        click.echo(f"wrote {out}")
    if plot:
        click.echo(f"wrote {plot}")
