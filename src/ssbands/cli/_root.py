"""The root ``ssbands`` group: version, lazily loaded subcommands, and errors as one line with exit 2.

Subcommand modules are imported only when a command is used (or listed by ``--help``), and they
import the library only inside the commands, so that ``ssbands --version`` and ``ssbands --help``
stay fast. Errors the user can fix (:class:`ssbands.errors.SSBandsError`) exit with status 2 and one
line on stderr, no traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from .._version import __version__
from ..errors import InputError, SSBandsError, SSBandsWarning, UnknownParameterError

#: name -> "module:attribute" of a click command or group, loaded lazily
LAZY_COMMANDS = {
    "materials": "ssbands.cli.materials:materials",
    "band": "ssbands.cli.band:band",
    "demo": "ssbands.cli.demo:demo",
    "kpfm": "ssbands.cli.kpfm:kpfm",
    "scl": "ssbands.cli.scl:scl",
    "fermi": "ssbands.cli.fermi:fermi",
    "screen": "ssbands.cli.screen:screen",
    "library": "ssbands.cli.library:library",
    "web": "ssbands.cli.web:web",
    "impedance": "ssbands.cli.impedance:impedance",
}


def _unavailable(name: str, reason: str) -> click.Command:
    """A stand-in command that says why ``name`` cannot run here (an optional dependency missing)."""

    @click.command(name=name, help=f"(unavailable: {reason})",
                   context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def unavailable():
        raise click.ClickException(f"'ssbands {name}' is unavailable here: {reason}")

    return unavailable


class LazyGroup(click.Group):
    """A click group whose subcommands (:data:`LAZY_COMMANDS`) are imported when first needed."""

    def list_commands(self, ctx):
        """The subcommand names, sorted."""
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx, name):
        """The subcommand ``name`` (imported now), a stand-in if its import fails, or None if unknown."""
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        mod, attr = target.split(":")
        try:
            return getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError) as exc:
            return _unavailable(name, str(exc))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ssbands")
def cli():
    """ssbands: band diagrams, space-charge layers and KPFM of solid-state batteries."""


def _error(message: str, code: int):
    """Print ``ssbands: error: MESSAGE`` as one line on stderr and exit with ``code``."""
    text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    click.echo(f"ssbands: error: {text}", err=True)
    sys.exit(code)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print a warning that no command recorded as one ``ssbands: warning: ...`` line on stderr."""
    text = " ".join(str(message).split())
    click.echo(f"ssbands: warning: {text}", err=True)


def main(argv=None):
    """Run the ``ssbands`` command line (the console script's entry point).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``ssbands`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success. Errors exit through ``SystemExit``: status 2 with one line on stderr for bad
        input (including missing or unreadable files), click's own status and message for usage
        errors, 130 when aborted.
    """
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            warnings.simplefilter("default", SSBandsWarning)  # the package's warnings are always shown
            cli.main(args=argv, prog_name="ssbands", standalone_mode=False)
    except UnknownParameterError as exc:
        _error(InputError(f"{exc} On the command line: --library FILE."), 2)
    except SSBandsError as exc:
        _error(exc, 2)
    except click.exceptions.Abort:
        click.echo("ssbands: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except OSError as exc:  # a file or folder that cannot be read or written (missing, not a folder, ...)
        _error(exc, 2)
    return 0
