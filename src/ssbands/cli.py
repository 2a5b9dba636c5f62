"""The ``ssbands`` command. Thin: parses arguments, calls the library, prints or writes results.

Subcommand groups live in their own modules and are imported only when used, so that
``ssbands --version`` stays fast. Errors the user can fix (``SSBandsError``) exit with status 2 and
one line on stderr, no traceback.
"""

from __future__ import annotations

import importlib
import json
import sys

import click

from ._version import __version__
from .errors import SSBandsError

#: name -> "module:attribute" of a click command or group, loaded lazily
LAZY_COMMANDS = {
    "materials": "ssbands.cli_core:materials",
    "band": "ssbands.cli_core:band",
    "demo": "ssbands.cli_core:demo",
    "kpfm": "ssbands.kpfm.cli:kpfm",
    "scl": "ssbands.scl.cli:scl",
    "fermi": "ssbands.defects_cli:fermi",
    "screen": "ssbands.screening.cli:screen",
    "library": "ssbands.screening.cli:library",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx, name):
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        mod, attr = target.split(":")
        try:
            return getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError) as exc:
            # an optional dependency missing: say so when the command is used
            reason = str(exc)

            @click.command(name=name, help=f"(unavailable: {reason})",
                           context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
            def _unavailable():
                raise click.ClickException(f"'ssbands {name}' is unavailable here: {reason}")

            return _unavailable


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ssbands")
def cli():
    """ssbands: band diagrams, space-charge layers and KPFM of solid-state batteries."""


def emit_json(obj) -> None:
    """Print one JSON object on stdout (NaN → null)."""
    from .profile import to_jsonable

    click.echo(json.dumps(to_jsonable(obj), indent=2, allow_nan=False))


def main(argv=None):
    try:
        cli.main(args=argv, prog_name="ssbands", standalone_mode=False)
    except SSBandsError as exc:
        click.echo(f"ssbands: error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("ssbands: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        click.echo(f"ssbands: error: {exc}", err=True)
        sys.exit(2)
    return 0


if __name__ == "__main__":  # pragma: no cover
    main()
