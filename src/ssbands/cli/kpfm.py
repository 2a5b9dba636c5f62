"""``ssbands kpfm``: read KPFM files, make CPD profiles, fit Δf(V) grids, build operando series, fit the model.

Thin: parses options, calls :mod:`ssbands.kpfm.io`, :mod:`~ssbands.kpfm.processing`,
:mod:`~ssbands.kpfm.spectroscopy`, :mod:`~ssbands.kpfm.series` and :mod:`~ssbands.kpfm.fit`, prints
text or JSON. Bad files raise :class:`ssbands.errors.InputError`, which :func:`ssbands.cli.main` turns
into one line and exit 2. Only ``kpfm fit`` uses a material library (its cell model); the data
commands do not take ``--library``.
"""

from __future__ import annotations

import functools
import re

import click

from ..errors import InputError
from .options import FINITE_FLOAT, KeyValueFloat, json_option, library_option, out_file_option, user_library
from .output import emit_json, json_text

_conv = click.option("--convention", type=click.Choice(["sample", "tip"]), default=None,
                     help="The instrument's sign convention when the file does not record it.")
_fmt = click.option("--format", "fmt", default=None,
                    help="Force the file format (gwy, ibw, sxm, 3ds, dat, nanoscope, park, text, npy).")
#: ``kpfm fit --set`` option -> fitted parameter name
_FITTED_PLAIN = {"mu_li_se": "mu_li_se_eV", "width": "width_nm", "front": "front_nm", "x_offset": "x_offset_nm",
                 "x_scale": "x_scale"}


#: Library parameter -> this command line's flag, for messages that name a parameter as ``name=VALUE``.
_PROFILE_FLAGS = {"channel": "--channel", "pixel_size_nm": "--pixel-size-nm", "pixel_units": "--pixel-units",
                  "convention": "--convention"}


def as_flags(message: str, flags: dict) -> str:
    """Rewrite the ``name=VALUE`` parameter hints of a library message as this CLI's flags.

    Parameters
    ----------
    message : str
        The library's message (it names parameters, e.g. ``pass pixel_size_nm=VALUE``).
    flags : dict
        Parameter name -> flag (e.g. ``{"pixel_size_nm": "--pixel-size-nm"}``).

    Returns
    -------
    str
        The message with ``--pixel-size-nm VALUE``; a ``name=True`` becomes the bare flag.
    """
    if not flags:
        return message
    pat = r"(?<![\w.-])(" + "|".join(map(re.escape, flags)) + r")=('[^']*'|\S+?)(?=[\s,;)]|\.(?:\s|$)|$)"

    def sub(m):
        return flags[m.group(1)] if m.group(2) == "True" else f"{flags[m.group(1)]} {m.group(2)}"

    return re.sub(pat, sub, message)


def _flags(flags: dict):
    """Decorator: an InputError from the library is re-raised with its parameter hints as flags."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except InputError as exc:
                msg = as_flags(str(exc), flags)
                if msg == str(exc):
                    raise
                raise InputError(msg) from None
        return wrapper
    return deco


def _rows(text):
    """``START:STOP`` row indices as ``(int, int)``, or None."""
    if text is None:
        return None
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        raise InputError(f"--rows must be START:STOP (row indices), got {text!r}") from None
    return (a, b)


def _range(text, name):
    """``X0:X1`` in nm as ``(float, float)``, or None; ``name`` is the option for the message."""
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
@json_option()
@_fmt
@_conv
@_flags(_PROFILE_FLAGS)
def info(file, as_json, fmt, convention):
    """List the channels of FILE and the potential channel chosen by title and unit.

    \f

    Parameters
    ----------
    file : str
        The instrument file.
    as_json : bool
        Print :meth:`ssbands.kpfm.io.KPFMFile.info` as one JSON object instead of text.
    fmt : str or None
        Forced file format (None: from the file).
    convention : {"sample", "tip"} or None
        The instrument's sign convention when the file does not record it.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..kpfm.io import read

    kf = read(file, fmt=fmt, convention=convention)
    d = kf.info()
    if as_json:
        emit_json(d)
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
        click.echo(f"  note: {as_flags(n, _PROFILE_FLAGS)}")


@kpfm.command()
@click.argument("file", type=click.Path())
@click.option("--channel", default=None, help="Channel title (default: the potential channel).")
@click.option("--rows", default=None, help="Rows START:STOP to average (the profile region).")
@click.option("--mask", type=click.Path(dir_okay=False), default=None,
              help="Mask file (.npy or text, nonzero = excluded pixel).")
@click.option("--level", type=click.Choice(["none", "plane", "lines", "plane+lines"]), default=None,
              help="Levelling (default none for potential, plane for topography).")
@click.option("--along", type=click.Choice(["x", "y"]), default="x", help="Profile direction.")
@click.option("--pixel-size-nm", type=FINITE_FLOAT, default=None, help="Pixel size when the file has none.")
@click.option("--pixel-units", is_flag=True, default=False,
              help="Make the profile in pixels (x = pixel centres) for a map without a physical size.")
@click.option("--base", default=None, help="X0:X1 (nm) of the inert base: adds cpd_base_V = CPD - CPD(base).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Save a figure (PNG/PDF/SVG).")
@out_file_option("Write the Profile (.nc or .csv).")
@json_option()
@_fmt
@_conv
@_flags(_PROFILE_FLAGS)
def profile(file, channel, rows, mask, level, along, pixel_size_nm, pixel_units, base, plot, out_file, as_json, fmt,
            convention):
    """Average a map of FILE along y into CPD(x) with its standard deviation.

    \f

    Parameters
    ----------
    file : str
        The instrument file.
    channel : str or None
        Channel title (None: the potential channel).
    rows : str or None
        ``START:STOP`` rows to average.
    mask : str or None
        Mask file (nonzero = excluded pixel).
    level : str or None
        Levelling: none, plane, lines or plane+lines.
    along : {"x", "y"}
        Profile direction.
    pixel_size_nm : float or None
        Pixel size, nm, when the file has none.
    pixel_units : bool
        Make the profile in pixels instead of nm.
    base : str or None
        ``X0:X1`` (nm) of the inert base to reference the CPD to.
    plot, out_file : str or None
        Figure and Profile (.nc or .csv) to write.
    as_json : bool
        Print one JSON object instead of text.
    fmt : str or None
        Forced file format.
    convention : {"sample", "tip"} or None
        The instrument's sign convention when the file does not record it.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..kpfm.io import read
    from ..kpfm.processing import map_to_profile, reference_to_base, region_mean

    kf = read(file, channel=channel, fmt=fmt, convention=convention)
    prof = map_to_profile(kf, None, rows=_rows(rows), mask=mask, level=level, along=along,
                          pixel_size_nm=pixel_size_nm, pixel_units=pixel_units)
    b = _range(base, "--base")
    if b is not None:
        try:
            prof = reference_to_base(prof, b)
        except InputError as exc:
            raise InputError(f"--base {base}: {exc}") from None
    var = "cpd_V" if "cpd_V" in prof else "value"
    allm = region_mean(prof, (float(prof.x.min()), float(prof.x.max())), var)
    if out_file:
        prof.ssb.write(out_file)
    if plot:
        from ..kpfm.plots import plot_profile

        plot_profile(prof, path=plot)
    if as_json:
        emit_json(_profile_json(file, kf, prof, var, allm))
        return
    ch = kf.channel()
    unit = ch.unit or "a.u."
    xu = prof["x"].attrs.get("units", "nm")
    click.echo(f"{file}: channel {ch.title!r} [{unit}], {prof.sizes['x']} points, "
               f"x {float(prof.x[0]):.4g}..{float(prof.x[-1]):.4g} {xu}")
    click.echo(f"mean {allm.mean:.6g} {unit} (sem {allm.sem:.2g}); convention: {prof.attrs['cpd_convention']}")
    for s in prof.ssb.metadata["processing"]:
        click.echo(f"  {s}")
    if out_file:
        click.echo(f"wrote {out_file}")
    if plot:
        click.echo(f"wrote {plot}")


def _profile_json(file, kf, prof, var: str, allm) -> dict:
    """The ``kpfm profile --json`` object: the profile ``var`` (V or the channel's unit) with its statistics."""
    ch = kf.channel()
    meta = prof.ssb.metadata
    svar = "std_V" if var == "cpd_V" else "std"
    xkey = "x_px" if prof["x"].attrs.get("units") == "px" else "x_nm"
    d = {"file": str(file), "format": kf.format, "channel": ch.title, "unit": ch.unit,
         xkey: prof["x"].values, "count": prof["count"].values,
         "mean_V" if var == "cpd_V" else "mean": allm.mean, "sem": allm.sem,
         "cpd_convention": prof.attrs["cpd_convention"], "processing": meta["processing"],
         "notes": list(kf.notes)}
    d[var] = prof[var].values
    d[svar] = prof[svar].values
    if "cpd_base_V" in prof:
        d["cpd_base_V"] = prof["cpd_base_V"].values
        d["base"] = meta["base"]
    return d


@kpfm.command()
@click.argument("file", type=click.Path())
@click.option("--channel", default="Frequency Shift", show_default=True, help="The Δf channel.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Save the CPD and RMS maps.")
@json_option()
@_fmt
@_flags({"channel": "--channel"})
def spectroscopy(file, channel, plot, as_json, fmt):
    """Fit a parabola to Δf(V) at every pixel of a grid: the vertex is the local CPD.

    \f

    Parameters
    ----------
    file : str
        The grid spectroscopy file.
    channel : str
        The Δf channel's title.
    plot : str or None
        Figure of the CPD and RMS maps to write.
    as_json : bool
        Print one JSON object (CPD in V, RMS in Hz) instead of text.
    fmt : str or None
        Forced file format.
    """  # noqa: D301 - the form feed ends the help text click shows
    import numpy as np

    from ..kpfm.io import read
    from ..kpfm.spectroscopy import fit_grid

    kf = read(file, fmt=fmt)
    fit = fit_grid(kf, channel)
    cpd = np.where(fit.valid, fit.cpd_V, np.nan)
    if plot:
        from ..kpfm.plots import plot_fit_map

        plot_fit_map(fit, kf.channel(channel).size_m, path=plot)
    if as_json:
        emit_json({"file": str(file), "format": kf.format, "shape": list(cpd.shape), "cpd_V": cpd,
                   "fit_rms_Hz": fit.rms_total_Hz, "fit_rms_Hz_map": fit.rms_Hz,
                   "curvature_Hz_per_V2": fit.curvature_Hz_per_V2, "valid": fit.valid,
                   "n_valid": int(fit.valid.sum()),
                   "mean_cpd_V": float(np.nanmean(cpd)) if fit.valid.any() else None,
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
@out_file_option("Write the series (.nc or .csv).")
@click.option("--force-align", is_flag=True, default=False,
              help="Apply x shifts that the alignment finds implausible (low confidence or large) anyway.")
@json_option()
@_flags({"force_align": "--force-align"})
def series(manifest, plot, out_file, force_align, as_json):
    """ΔCPD(x) per OCV from a manifest (YAML/TOML) or a folder of scans.

    \f

    Parameters
    ----------
    manifest : str
        The manifest file or a folder of scans.
    plot, out_file : str or None
        Figure and series (.nc or .csv) to write.
    force_align : bool
        Apply implausible x shifts anyway.
    as_json : bool
        Print one JSON object (V, nm) instead of text.
    """  # noqa: D301 - the form feed ends the help text click shows
    import numpy as np

    from ..kpfm.series import operando_series

    s = operando_series(manifest, force_align=True if force_align else None)
    if out_file:
        s.ssb.write(out_file)
    if plot:
        from ..kpfm.plots import plot_series

        plot_series(s, path=plot)
    meta = s.ssb.metadata
    if as_json:
        emit_json({"ocv_V": s["ocv"].values, "x_nm": s["x"].values, "delta_cpd_V": s["delta_cpd_V"].values,
                   "delta_std_V": s["delta_std_V"].values, "cpd_V": s["cpd_V"].values, "std_V": s["std_V"].values,
                   "shift_nm": s["shift_nm"].values, "shift_correlation": s["shift_correlation"].values,
                   "reference_ocv_V": meta["reference_ocv_V"],
                   "files": meta["files"], "channels": meta["channels"], "alignment": meta["alignment"],
                   "alignments": meta["alignments"], "points_without_data": meta["points_without_data"],
                   "notes": meta["notes"], "cpd_convention": s.attrs["cpd_convention"]})
        return
    click.echo(f"{manifest}: {s.sizes['ocv']} scans on {s.sizes['x']} points; reference OCV "
               f"{meta['reference_ocv_V']:g} V; alignment: {meta['alignment']}")
    for v, sh, r, a, d in zip(s["ocv"].values, s["shift_nm"].values, s["shift_correlation"].values,
                              meta["alignments"], s["delta_cpd_V"].values, strict=True):
        conf = "" if a is None else f" (correlation {r:.2f}{'' if a['plausible'] else ', forced'})"
        click.echo(f"  OCV {v:g} V: shift {sh:+.3g} nm{conf}, mean ΔCPD {np.nanmean(d):+.4g} V")
    for n in meta["notes"]:
        click.echo(f"  note: {n}")


@kpfm.command()
@click.argument("source", metavar="MANIFEST_OR_PROFILE", type=click.Path())
@click.option("--stack", "stack_file", required=True, type=click.Path(dir_okay=False),
              help="The cell model (stack TOML).")
@click.option("--params", default="offset,width", show_default=True,
              help="What to fit: mu_li_se, dipole:LEFT|RIGHT, offset, width, front, x_offset, x_scale.")
@click.option("--set", "set_values", multiple=True, metavar="NAME=VALUE",
              type=KeyValueFloat("write NAME=VALUE, e.g. --set width_nm=30"),
              help="Starting value of a fitted parameter or value of a fixed one (width_nm, front_nm, "
                   "x_offset_nm, x_scale, mu_li_se_eV, dipole:L|R, offset@<ocv>V); repeatable.")
@click.option("--front-layer", default="anode", show_default=True, help="Electrode with the lithiation front.")
@click.option("--weights", type=click.Choice(["auto", "std", "none"]), default="auto", show_default=True,
              help="Weight residuals by the measured standard error of each point.")
@click.option("--x-range", default=None, help="X0:X1 (nm): fit only this part of the profiles.")
@click.option("--closure", type=click.Choice(["minimum-interface", "extrinsic"]), default=None,
              help="Electrolyte closure (overrides the stack file).")
@click.option("--mu-li-se", "mu_li_se", type=FINITE_FLOAT, default=None, help="mu_Li of the SE bulk, eV (extrinsic).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Save data + model overlay, residuals and decomposition (PNG/PDF/SVG).")
@out_file_option("Write the fit: .json (result), .nc or .csv (decomposition Profile).")
@json_option()
@library_option("User materials library (YAML).")
@_flags({"params": "--params"})
def fit(source, stack_file, params, set_values, front_layer, weights, x_range, closure, mu_li_se, plot, out_file,
        as_json, library_file):
    """Fit the cell model in --stack to the ΔCPD(x) series in MANIFEST_OR_PROFILE (manifest, folder or .nc).

    \f

    Parameters
    ----------
    source : str
        Manifest, folder of scans, or a series/profile file (.nc).
    stack_file : str
        The cell model (stack TOML).
    params : str
        Comma-separated parameters to fit (see :func:`ssbands.kpfm.fit.parse_params`).
    set_values : tuple of (str, float)
        Starting values of fitted parameters and values of fixed ones (units as named: nm, eV, V).
    front_layer : str
        Electrode with the lithiation front.
    weights : {"auto", "std", "none"}
        Residual weighting.
    x_range : str or None
        ``X0:X1`` (nm) to fit.
    closure : {"minimum-interface", "extrinsic"} or None
        Electrolyte closure (None: the stack file's).
    mu_li_se : float or None
        mu_Li of the SE bulk, eV (extrinsic closure).
    plot, out_file : str or None
        Figure and result (.json) or decomposition (.nc, .csv) to write.
    as_json : bool
        Print the result (without arrays) as one JSON object instead of text.
    library_file : str or None
        User library YAML file (adds or overrides the cell's materials).
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..cell import Stack
    from ..kpfm.fit import fit as fit_model
    from ..kpfm.fit import load_measured, parse_params

    lib = user_library(library_file)
    stack = Stack.from_toml(stack_file, lib, closure=closure, mu_li_se_eV=mu_li_se)
    kinds = parse_params(params)
    initial, fixed = _split_set_values(dict(set_values), kinds)
    measured = load_measured(source)
    res = fit_model(measured, stack, kinds, initial=initial, fixed=fixed, weights=weights, front_layer=front_layer,
                    x_range=_range(x_range, "--x-range"), library=lib)
    if out_file:
        _write_fit(res, out_file)
    if plot:
        from ..kpfm.fit import plot_fit

        plot_fit(res, path=plot)
    if as_json:
        emit_json(res.to_dict(arrays=False))
        return
    _print_fit(source, res)
    if out_file:
        click.echo(f"wrote {out_file}")
    if plot:
        click.echo(f"wrote {plot}")


def _split_set_values(vals: dict, kinds) -> tuple[dict, dict]:
    """``--set`` values as ``(initial, fixed)``: starting values of fitted parameters, values of fixed ones."""
    fitted_names = {_FITTED_PLAIN.get(k, k) for k in kinds}
    initial = {k: v for k, v in vals.items() if k in fitted_names or (k.startswith("offset") and "offset" in kinds)}
    fixed = {k: v for k, v in vals.items() if k not in initial}
    return initial, fixed


def _write_fit(res, out_file: str) -> None:
    """Write a fit result: .json (the whole result) or .nc/.csv (the decomposition Profile)."""
    if out_file.lower().endswith(".json"):
        from ..profile import atomic_write

        text = json_text(res.to_dict())
        atomic_write(out_file, lambda p: p.write_text(text, encoding="utf-8"))
    elif out_file.lower().endswith((".nc", ".csv")):
        res.decomposition.ssb.write(out_file)
    else:
        raise InputError(f"--out {out_file!r}: use a .json (fit result), .nc (NetCDF) or .csv file name")


def _print_fit(source, res) -> None:
    """Print the fitted and fixed parameters with their units, warnings and notes."""
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
