"""Options and parameter types shared by the ``ssbands`` commands.

The parameter types report bad values as :class:`ssbands.errors.InputError` (not
``click.BadParameter``), so that :func:`ssbands.cli.main` prints them as one line on stderr and exits
with status 2, like every other input error. Only the cheap modules (click, :mod:`ssbands.errors`)
are imported here: ``ssbands --help`` loads every command module.
"""

from __future__ import annotations

import math

import click

from ..errors import InputError

LIBRARY_HELP = "User materials YAML file that adds or overrides materials."


def library_option(help_text: str = LIBRARY_HELP):
    """``--library FILE``: a user materials YAML file, passed to the command as ``library_file``.

    Offer it only on commands whose result depends on the material library.

    Parameters
    ----------
    help_text : str
        The option's help text.

    Returns
    -------
    callable
        The click option decorator.
    """
    return click.option("--library", "library_file", type=click.Path(dir_okay=False), default=None, help=help_text)


def json_option(help_text: str | None = "Print one JSON object."):
    """``--json``: print one JSON object instead of text, passed to the command as ``as_json``.

    Parameters
    ----------
    help_text : str or None
        The option's help text.

    Returns
    -------
    callable
        The click option decorator.
    """
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def out_file_option(help_text: str, required: bool = False):
    """``--out FILE``: one output file, passed to the command as ``out_file``.

    Parameters
    ----------
    help_text : str
        The option's help text (say which file types are written).
    required : bool
        Whether the option must be given.

    Returns
    -------
    callable
        The click option decorator.
    """
    return click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None, required=required,
                        help=help_text)


def out_dir_option(default: str, help_text: str | None = None):
    """``--out DIR``: an output folder (created when missing), passed to the command as ``out_dir``.

    Parameters
    ----------
    default : str
        The folder used when the option is not given (shown in the help).
    help_text : str, optional
        The option's help text.

    Returns
    -------
    callable
        The click option decorator.
    """
    return click.option("--out", "out_dir", type=click.Path(file_okay=False), default=default, show_default=True,
                        help=help_text)


def user_library(path):
    """The library for ``--library FILE``: built-in materials with the file's additions and overrides.

    Parameters
    ----------
    path : str or pathlib.Path or None
        The user library YAML file; ``None`` when the option was not given.

    Returns
    -------
    ssbands.materials.Library or None
        ``None`` without a file, so that a stack file's own ``library`` key (or the built-in library)
        applies.
    """
    if not path:
        return None
    from ..materials import load_library

    return load_library(path)


def option_name(param) -> str:
    """The name a message uses for a command-line parameter: its first flag, e.g. ``--phi0``.

    Parameters
    ----------
    param : click.Parameter or None
        The parameter being converted (``None`` outside a command line).

    Returns
    -------
    str
        The first option string, the argument's name, or ``"value"``.
    """
    if param is None:
        return "value"
    opts = getattr(param, "opts", None)
    return opts[0] if opts else str(param.name)


class FiniteFloat(click.ParamType):
    """A float option that rejects NaN and ±inf (and, with ``positive``, values ≤ 0).

    Parameters
    ----------
    positive : bool
        Also require a value > 0.
    unit : str
        Unit appended to the bound in the message, e.g. ``" K"`` gives "must be a finite number > 0 K".
    """

    name = "float"

    def __init__(self, positive: bool = False, unit: str = ""):
        self.positive = positive
        self.unit = unit

    def convert(self, value, param, ctx):
        """The value as a finite float (InputError otherwise; not-a-number text fails as click does)."""
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                self.fail(f"{value!r} is not a valid float.", param, ctx)
        v = float(value)
        if self.positive:
            if not (v > 0 and math.isfinite(v)):
                raise InputError(f"{option_name(param)} must be a finite number > 0{self.unit}, got {v!r}")
        elif not math.isfinite(v):
            raise InputError(f"{option_name(param)} must be a finite number, got {v!r}")
        return v


#: a float option that must be finite (rejects nan, inf, -inf)
FINITE_FLOAT = FiniteFloat()


class KeyValueFloat(click.ParamType):
    """A ``KEY=NUMBER`` option value (usually with ``multiple=True``), converted to ``(key, float)``.

    Parameters
    ----------
    hint : str
        What to write, for the message when ``=`` is missing, e.g. ``"expected ELEMENT=EV, e.g. --mu Li=-1.5"``.
    unit : str
        Appended to the not-a-number message, e.g. ``" (eV)"``.
    """

    name = "key=value"

    def __init__(self, hint: str, unit: str = ""):
        self.hint = hint
        self.unit = unit

    def convert(self, value, param, ctx):
        """``(key, float)`` with the key stripped of spaces; InputError for a missing ``=`` or a bad number."""
        if isinstance(value, tuple):
            return value
        key, sep, val = str(value).partition("=")
        if not sep:
            raise InputError(f"{option_name(param)} {value!r}: {self.hint}")
        try:
            return key.strip(), float(val)
        except ValueError:
            raise InputError(f"{option_name(param)} {value!r}: {val!r} is not a number{self.unit}") from None


class CommaList(click.ParamType):
    """A comma-separated list option, converted to a list of stripped items.

    Parameters
    ----------
    keep_empty : bool
        Keep empty items (``"a,"`` gives ``["a", ""]``) instead of dropping them.
    empty_error : str, optional
        Message of the InputError raised when no item is left.
    """

    name = "text"

    def __init__(self, keep_empty: bool = False, empty_error: str | None = None):
        self.keep_empty = keep_empty
        self.empty_error = empty_error

    def convert(self, value, param, ctx):
        """The items of ``value`` (a list is returned unchanged)."""
        if isinstance(value, (list, tuple)):
            return list(value)
        items = [v.strip() for v in str(value).split(",")]
        if not self.keep_empty:
            items = [v for v in items if v]
        if not items and self.empty_error:
            raise InputError(self.empty_error)
        return items
