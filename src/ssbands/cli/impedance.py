"""``ssbands impedance``: the impedance spectrum of a cell at one OCV (linearised Poisson–Nernst–Planck)."""

from __future__ import annotations

import warnings

import click

from .options import FINITE_FLOAT, json_option, library_option, out_file_option, user_library
from .output import echo_warnings, emit_json


@click.command()
@click.argument("stack_file", type=click.Path(dir_okay=False))
@click.option("--ocv", type=FINITE_FLOAT, required=True, help="Open-circuit voltage, V.")
@click.option("--electrodes", type=click.Choice(["blocking", "reversible", "butler-volmer"]), default="blocking",
              show_default=True, help="Electrode condition for Li+ at both electrodes.")
@click.option("--transport", type=click.Choice(["local-equilibrium", "independent"]), default="local-equilibrium",
              show_default=True, help="Fast Frenkel exchange (one ionic rail) or independent carriers.")
@click.option("--f-min", "f_min", type=FINITE_FLOAT, default=None, help="Lowest frequency, Hz [default: 0.01].")
@click.option("--f-max", "f_max", type=FINITE_FLOAT, default=None,
              help="Highest frequency, Hz [default: 100x the bulk relaxation frequency].")
@click.option("--points", type=int, default=200, show_default=True, help="Number of frequencies (log-spaced).")
@click.option("--i0", "i0", type=FINITE_FLOAT, default=None,
              help="Exchange current density of both interfaces, A/cm2 (butler-volmer).")
@click.option("--alpha-t", "alpha_t", type=FINITE_FLOAT, default=None,
              help="Charge-transfer coefficient of both interfaces (butler-volmer).")
@json_option()
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None,
              help="Nyquist and Bode figure (PNG/SVG/PDF) with the circuit fit.")
@out_file_option("Write the spectrum Dataset (.nc).")
@library_option()
def impedance(stack_file, ocv, electrodes, transport, f_min, f_max, points, i0, alpha_t, as_json, plot_file,
              out_file, library_file):
    """Impedance spectrum Z(f) of the cell in STACK_FILE (TOML) at one OCV.

    \f

    Parameters
    ----------
    stack_file : str
        The stack TOML file.
    ocv : float
        Open-circuit voltage, V.
    electrodes : str
        ``blocking``, ``reversible`` or ``butler-volmer`` (needs ``i0`` and ``alpha_t``).
    transport : str
        ``local-equilibrium`` or ``independent``.
    f_min, f_max : float or None
        Frequency range, Hz (None: the model's defaults).
    points : int
        Number of frequencies.
    i0, alpha_t : float or None
        Exchange current density (A/cm²) and charge-transfer coefficient of both interfaces.
    as_json : bool
        Print one JSON object.
    plot_file, out_file : str or None
        Figure and NetCDF output.
    library_file : str or None
        User library YAML file.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..cell import Stack
    from ..impedance import impedance as spectrum_of
    from ..impedance import to_json

    if (i0 is None) != (alpha_t is None):
        raise click.UsageError("--i0 and --alpha-t go together")
    if electrodes == "butler-volmer" and i0 is None:
        raise click.UsageError("--electrodes butler-volmer needs --i0 A/cm2 and --alpha-t")
    if i0 is not None and electrodes != "butler-volmer":
        raise click.UsageError("--i0/--alpha-t apply to --electrodes butler-volmer only")
    if points < 2:
        raise click.UsageError(f"--points must be >= 2, got {points}")
    lib = user_library(library_file)
    stack = Stack.from_toml(stack_file, lib)
    kinetics = None if i0 is None else {"i0_A_cm2": i0, "alpha_t": alpha_t}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = spectrum_of(stack, ocv, None, electrodes=electrodes, transport=transport, kinetics=kinetics,
                         library=lib, points=points, f_min_Hz=f_min, f_max_Hz=f_max)
    echo_warnings(caught)
    if out_file:
        ds.to_netcdf(out_file)
    if plot_file:
        from ..plotting.impedance import impedance_figure

        impedance_figure(ds, plot_file)
    d = to_json(ds)
    if as_json:
        emit_json(d)
        return
    _print(d)


def _print(d: dict) -> None:
    """Text summary of a spectrum: the DC, bulk and geometric values and the interfaces."""
    def fmt(v, unit):
        return "—" if v is None else f"{v:.4g} {unit}"

    click.echo(f"OCV {d['ocv_V']:.4f} V  electrodes {d['electrodes']}  transport {d['transport']}  "
               f"{len(d['frequency_Hz'])} frequencies {d['frequency_Hz'][0]:.3g}..{d['frequency_Hz'][-1]:.3g} Hz")
    click.echo(f"R_dc {fmt(d['R_dc_ohm_cm2'], 'ohm cm2')}  R_bulk {fmt(d['R_bulk_ohm_cm2'], 'ohm cm2')}  "
               f"C_geo {fmt(d['C_geometric_uF_per_cm2'], 'uF/cm2')}")
    for i in d["interfaces"]:
        click.echo(f"interface {i['left']}|{i['right']}: phi0 {i['phi0_V']:+.4f} V, R_exc "
                   f"{fmt(i['R_exc_ohm_cm2'], 'ohm cm2')}, R_ct {fmt(i['R_ct_ohm_cm2'], 'ohm cm2')}, "
                   f"C_scl {fmt(i['C_scl_uF_per_cm2'], 'uF/cm2')}")
    for n in d.get("notes", []):
        click.echo(f"note: {n}")
