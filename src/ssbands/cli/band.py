"""``ssbands band``: the band diagram of a cell (stack TOML) at one open-circuit voltage."""

from __future__ import annotations

import warnings

import click

from ..errors import InputError
from .options import FINITE_FLOAT, json_option, library_option, out_file_option, user_library
from .output import echo_warnings, emit_json


@click.command()
@click.argument("stack_file", type=click.Path(dir_okay=False))
@click.option("--ocv", type=FINITE_FLOAT, required=True, help="Open-circuit voltage, V.")
@click.option("--closure", type=click.Choice(["minimum-interface", "extrinsic"]), default=None,
              help="Electrolyte Fermi-level closure (overrides the stack file).")
@click.option("--mu-li-se", "mu_li_se", type=FINITE_FLOAT, default=None,
              help="Li chemical potential of the SE bulk, eV vs Li metal (extrinsic closure).")
@click.option("--ground", type=click.Choice(["cathode", "anode"]), default=None, help="Grounded terminal.")
@click.option("--reference-ocv", type=FINITE_FLOAT, default=None,
              help="OCV of the ΔCPD reference state, V [default: 0 V if reachable, else the as-made state].")
@click.option("--reference-li-fractions", "reference_li_fractions", default=None, metavar="ANODE,CATHODE",
              callback=lambda ctx, p, v: _two_fractions(v),
              help="State the ΔCPD reference by the electrodes' Li fractions instead of an OCV.")
@click.option("--transport", type=click.Choice(["local-equilibrium", "independent"]), default="local-equilibrium",
              show_default=True, help="Transport limit of the interfaces' excess resistance R_exc.")
@click.option("--i0", "i0", type=FINITE_FLOAT, default=None,
              help="Exchange current density of both interfaces, A/cm2 (for R_ct).")
@click.option("--alpha-t", "alpha_t", type=FINITE_FLOAT, default=None,
              help="Charge-transfer coefficient of both interfaces (for R_ct).")
@json_option()
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None, help="Band diagram PNG/SVG/PDF.")
@out_file_option("Write the Profile: .nc (NetCDF) or .csv.")
@library_option()
def band(stack_file, ocv, closure, mu_li_se, ground, reference_ocv, reference_li_fractions, transport, i0, alpha_t,
         as_json, plot_file, out_file, library_file):
    """Band diagram of the cell in STACK_FILE (TOML) at one OCV.

    \f

    Parameters
    ----------
    stack_file : str
        The stack TOML file.
    ocv : float
        Open-circuit voltage, V.
    closure : {"minimum-interface", "extrinsic"} or None
        Electrolyte Fermi-level closure (None: the stack file's).
    mu_li_se : float or None
        Li chemical potential of the SE bulk, eV vs Li metal (extrinsic closure).
    ground : {"cathode", "anode"} or None
        Grounded terminal (None: the stack file's).
    reference_ocv : float or None
        OCV of the ΔCPD reference state, V (None: automatic).
    reference_li_fractions : (float, float) or None
        Li fractions (anode, cathode) of the ΔCPD reference state instead of an OCV.
    transport : str
        ``local-equilibrium`` or ``independent`` (the limit of ``R_exc_ohm_cm2``).
    i0, alpha_t : float or None
        Exchange current density (A/cm²) and transfer coefficient of both interfaces (``R_ct_ohm_cm2``).
    as_json : bool
        Print the summary as one JSON object instead of tables.
    plot_file : str or None
        Band diagram figure to write (PNG/SVG/PDF).
    out_file : str or None
        Profile to write (.nc or .csv).
    library_file : str or None
        User library YAML file (adds or overrides materials; replaces the stack file's ``library``).
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..cell import Stack, solve, summary

    lib = user_library(library_file)
    if mu_li_se is not None:
        effective = closure or _file_closure(stack_file)
        if effective != "extrinsic":
            raise InputError(f"--mu-li-se applies to the extrinsic closure only; the closure here is '{effective}', "
                             "which takes the electrolyte's mu_Li from the electrodes (add --closure extrinsic)")
    overrides = {"closure": closure, "mu_li_se_eV": mu_li_se, "ground": ground}
    stack = Stack.from_toml(stack_file, lib, **overrides)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if reference_ocv is not None and reference_li_fractions is not None:
            raise click.UsageError("give --reference-ocv or --reference-li-fractions, not both")
        if (i0 is None) != (alpha_t is None):
            raise click.UsageError("--i0 and --alpha-t go together")
        ds = solve(stack, ocv, reference_ocv="auto" if reference_ocv is None else reference_ocv,
                   reference_li_fractions=reference_li_fractions, library=lib, transport=transport,
                   kinetics=None if i0 is None else {"i0_A_cm2": i0, "alpha_t": alpha_t})
    echo_warnings(caught)
    if out_file:
        ds.ssb.write(out_file)
    if plot_file:
        from ..plotting import band_diagram

        band_diagram(ds, plot_file)
    s = summary(ds)
    if as_json:
        emit_json(s)
    else:
        print_summary(s)


def _file_closure(stack_file) -> str:
    """The closure a stack file sets (its default when it sets none or cannot be read here)."""
    import tomllib
    from pathlib import Path

    try:
        data = tomllib.loads(Path(stack_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "minimum-interface"  # Stack.from_toml reports the file's problem
    return str(data.get("closure", "minimum-interface"))


def _cell(row: dict, key: str, width: int, digits: int = 3) -> str:
    """``row[key]`` right-aligned in ``width`` characters with ``digits`` decimals, or a dash if missing."""
    v = row.get(key)
    return f"{'—':>{width}}" if v is None else f"{v:>{width}.{digits}f}"


def print_summary(s: dict) -> None:
    """Print the summary of one equilibrium state as text tables (layers, interfaces, notes).

    Parameters
    ----------
    s : dict
        :func:`ssbands.cell.summary` of one state (energies in eV, potentials in V).
    """
    click.echo(f"OCV {s['ocv_V']:.4f} V  closure {s['closure']}  ground {s['ground']}  T {s['temperature_K']:g} K")
    click.echo(f"energies: {s['energy_reference']}")
    if s.get("reference_ocv_V") is not None:
        click.echo(f"ΔCPD reference: {s['reference_state']} (dCPD = CPD − CPD at OCV {s['reference_ocv_V']:g} V)")
    click.echo(f"{'layer':<12}{'role':<19}{'E_F/eV':>9}{'E_vac/eV':>10}{'Phi/eV':>8}{'mu_Li/eV':>10}"
               f"{'CPD/V':>8}{'dCPD/V':>8}")
    for r in s["layers"]:
        click.echo(f"{r['name']:<12}{r['role']:<19}{_cell(r, 'E_F_eV', 9)}{_cell(r, 'E_vac_eV', 10)}"
                   f"{_cell(r, 'work_function_eV', 8, 2)}{_cell(r, 'mu_Li_eV', 10)}{_cell(r, 'cpd_V', 8)}"
                   f"{_cell(r, 'delta_cpd_V', 8)}")
    for i in s["interfaces"]:
        click.echo(f"interface {i['left']}|{i['right']}: phi0 {i['phi0_V']:+.4f} V, dipole {i['dipole_V']:+.3f} V, "
                   f"sigma {i['sigma_e_per_nm2']:+.3f} e/nm², C {i['capacitance_uF_per_cm2']:.2f} µF/cm², "
                   f"saturated {i['saturated_width_A']:.2f} Å, Debye {i['debye_length_A']:.3g} Å")
    for n in s["notes"]:
        click.echo(f"note: {n}")


def _two_fractions(value):
    """Parse ``A,C`` into two finite Li fractions in [0, 1] (None passes through)."""
    if value is None:
        return None
    import math

    parts = [p.strip() for p in str(value).split(",")]
    try:
        a, c = (float(p) for p in parts)
    except ValueError:
        raise click.BadParameter(f"expected two numbers ANODE,CATHODE, got {value!r}") from None
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (a, c)):
        raise click.BadParameter(f"Li fractions must be finite numbers in [0, 1], got {value!r}")
    return a, c
