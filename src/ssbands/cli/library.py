"""``ssbands library synth``: write a synthetic library of fictitious materials (for benchmarks)."""

from __future__ import annotations

import click

from .options import FINITE_FLOAT, json_option, out_file_option
from .output import emit_json


@click.group(name="library")
def library():
    """Material libraries: synthetic libraries for benchmarks."""


@library.command(name="synth")
@click.option("--n-electrodes", type=click.IntRange(0), required=True,
              help="electrodes (half anode-like, half cathode-like)")
@click.option("--n-electrolytes", type=click.IntRange(0), required=True, help="electrolytes")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--unknown-fraction", type=FINITE_FLOAT, default=0.0, show_default=True,
              help="fraction of electrolytes with one SCL parameter 'unknown'")
@out_file_option("library YAML to write", required=True)
@click.option("--overwrite", is_flag=True, help="replace the file if it exists")
@json_option(None)
def synth(n_electrodes, n_electrolytes, seed, unknown_fraction, out_file, overwrite, as_json):
    """Write a library of FICTITIOUS materials with plausible random values (for benchmarks).

    \f

    Parameters
    ----------
    n_electrodes, n_electrolytes : int
        How many electrodes (half anode-like, half cathode-like) and electrolytes.
    seed : int
        Random seed.
    unknown_fraction : float
        Fraction of electrolytes with one SCL parameter "unknown" (0 to 1).
    out_file : str
        The library YAML file to write.
    overwrite : bool
        Replace ``out_file`` if it exists (otherwise that is an error).
    as_json : bool
        Print ``{"file", "n_electrodes", "n_electrolytes", "seed"}`` as JSON instead of text.
    """  # noqa: D301 - the form feed ends the help text click shows
    from pathlib import Path

    from ..errors import InputError
    from ..screening.synth import check_size, write_synthetic_library

    check_size(n_electrodes, n_electrolytes)
    if Path(out_file).exists() and not overwrite:
        raise InputError(f"--out {out_file!r} already exists; choose another file or add --overwrite")
    total = n_electrodes + n_electrolytes

    def progress(done):  # one line per 1000 materials on stderr, only for libraries that take a while
        click.echo(f"ssbands library synth: {done}/{total} materials", err=True)

    p = write_synthetic_library(out_file, n_electrodes, n_electrolytes, seed, unknown_fraction, overwrite=overwrite,
                                progress=progress if total >= 2000 else None)
    info = {"file": str(p), "n_electrodes": n_electrodes, "n_electrolytes": n_electrolytes, "seed": seed}
    if as_json:
        emit_json(info)
    else:
        click.echo(f"wrote {p}: {n_electrodes} electrodes, {n_electrolytes} electrolytes (seed {seed})")
