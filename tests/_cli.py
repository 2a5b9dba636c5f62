"""Run the `ssbands` CLI in-process for tests: (exit code, stdout, stderr)."""

from __future__ import annotations

from ssbands.cli import main


def run_cli(capsys, *args):
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err
