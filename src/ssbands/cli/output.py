"""What the commands print: one JSON object on stdout, warnings as one line each on stderr."""

from __future__ import annotations

import json

import click


def json_text(obj) -> str:
    """``obj`` as indented JSON text: arrays as lists, NaN as ``null`` (strict JSON).

    Parameters
    ----------
    obj : object
        Dicts, lists, numbers, strings, numpy arrays and scalars (see :func:`ssbands.profile.to_jsonable`).

    Returns
    -------
    str
        The JSON text, indented by 2 spaces.
    """
    from ..profile import to_jsonable

    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False)


def emit_json(obj) -> None:
    """Print one JSON object on stdout (NaN → null).

    Parameters
    ----------
    obj : object
        What to print (see :func:`json_text`).
    """
    click.echo(json_text(obj))


def echo_warnings(caught) -> None:
    """Print recorded warnings on stderr, one ``ssbands: warning: ...`` line each.

    Parameters
    ----------
    caught : list of warnings.WarningMessage
        The warnings recorded by ``warnings.catch_warnings(record=True)``.
    """
    for w in caught:
        click.echo(f"ssbands: warning: {w.message}", err=True)
