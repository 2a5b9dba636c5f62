"""``ssbands fermi``: the self-consistent Fermi level of a defect system (py-sc-fermi YAML input).

Thin: parses the options, calls :mod:`ssbands.defects`, prints a table or one JSON object.
"""

from __future__ import annotations

import click

from .options import FiniteFloat, KeyValueFloat, json_option
from .output import emit_json


@click.command("fermi")
@click.argument("input_file", metavar="INPUT.yaml", type=click.Path(dir_okay=False))
@json_option()
@click.option("--temperature", "temperature_K", type=FiniteFloat(positive=True, unit=" K"), default=None,
              help="Temperature in K (default: the file's 'temperature').")
@click.option("--mu", "mu", multiple=True, metavar="ELEMENT=EV",
              type=KeyValueFloat("expected ELEMENT=EV, e.g. --mu Li=-1.5", " (eV)"),
              help="Chemical potential in eV vs the elemental reference (mu_Li = 0: bcc Li); repeatable.")
@click.option("--dos-file", type=click.Path(dir_okay=False), default=None,
              help="DOS file (SC-Fermi totdos.dat format) when the YAML has no inline DOS.")
def fermi(input_file, as_json, temperature_K, mu, dos_file):
    """Self-consistent Fermi level and defect/carrier concentrations of INPUT.yaml.

    INPUT.yaml is a py-sc-fermi input (bandgap, temperature, nelect, volume, dos/edos or a
    totdos.dat next to it, defect_species) with optional ssbands keys (bands: parabolic,
    stoichiometry, chemical_potentials). The Fermi level is reported above the VBM.
    \f

    Parameters
    ----------
    input_file : str
        The defect input YAML file.
    as_json : bool
        Print the solution as one JSON object instead of a table.
    temperature_K : float or None
        Temperature, K (None: the file's).
    mu : tuple of (str, float)
        Chemical potentials, eV vs the elemental references (``--mu Li=-1.5``).
    dos_file : str or None
        DOS file (totdos.dat format) when the YAML has no inline DOS.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..defects import DefectSystem
    from ..errors import InputError

    try:
        system = DefectSystem.from_yaml(input_file, dos_file=dos_file)
    except InputError as exc:  # name the option where the file's DOS and --dos-file clash
        if dos_file is not None and "a DOS file does not apply" in str(exc):
            raise InputError(f"--dos-file: {exc}") from None
        raise
    import warnings

    from ..errors import ApproximationWarning

    system.check_chemical_potentials(dict(mu))  # a --mu that changes nothing is refused

    with warnings.catch_warnings():  # a state outside the model's dilute limit is not an answer here
        warnings.simplefilter("error", ApproximationWarning)
        try:
            sol = system.solve(mu_eV=dict(mu), temperature_K=temperature_K)
        except ApproximationWarning as w:
            raise InputError(str(w)) from None
    d = sol.to_dict()
    d["input"] = str(input_file)
    if as_json:
        emit_json(d)
        return
    click.echo(f"{input_file}: T = {sol.temperature_K:g} K, E_g = {sol.band_gap_eV:g} eV")
    if sol.mu_eV:
        click.echo("  chemical potentials: " + ", ".join(f"mu_{k} = {v:g} eV" for k, v in sol.mu_eV.items()))
    click.echo(f"  self-consistent Fermi level: {sol.fermi_level_eV:.6f} eV above the VBM")
    click.echo(f"  electrons: {sol.electrons_cm3:.4e} cm^-3   holes: {sol.holes_cm3:.4e} cm^-3")
    click.echo("  defect          charge   concentration (cm^-3)")
    for name, per_q in sol.concentrations_cm3.items():
        for q, c in sorted(per_q.items()):
            click.echo(f"  {name:<15} {q:+6d}   {c:.4e}")
