"""The shared CLI options: ``--library`` only where a material library is used (and it is used), the
finite-float, KEY=VALUE and comma-list parameter types, one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pytest

from ssbands.cli import LAZY_COMMANDS, cli
from ssbands.cli.options import CommaList, FiniteFloat, KeyValueFloat
from ssbands.errors import InputError

from _cli import run_cli

REPO = Path(__file__).resolve().parents[1]
FULLER = str(REPO / "examples" / "stacks" / "fuller2021.toml")

#: every command whose result depends on the material library
LIBRARY_COMMANDS = {("materials", "list"), ("materials", "show"), ("band",), ("demo",), ("scl",), ("kpfm", "fit"),
                    ("screen",), ("impedance",)}
#: commands that take --library but serve a page instead of printing JSON (tested in test_web.py)
SERVER_COMMANDS = {("web",)}


def _all_commands():
    """Every leaf command of ``ssbands`` as a tuple of names."""
    ctx = click.Context(cli)
    out = []
    for name in LAZY_COMMANDS:
        cmd = cli.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            out += [(name, sub) for sub in cmd.list_commands(ctx)]
        else:
            out.append((name,))
    return out


def test_library_option_exactly_on_the_commands_that_use_materials(capsys):
    commands = _all_commands()
    assert LIBRARY_COMMANDS <= set(commands) and len(commands) == 14 + len(SERVER_COMMANDS)
    for cmd in commands:
        code, out, _ = run_cli(capsys, *cmd, "--help")
        assert code in (0, None) and ("--library" in out) == (cmd in LIBRARY_COMMANDS | SERVER_COMMANDS), cmd
        if cmd not in LIBRARY_COMMANDS | SERVER_COMMANDS:
            code, _, err = run_cli(capsys, *cmd, "x", "--library", "lib.yaml")
            assert code == 2 and "--library" in err, cmd


def _series(tmp_path):
    """A small operando series (3 scans, 100 pixels over 1 µm) and its manifest."""
    from ssbands.kpfm.io import write

    rng = np.random.default_rng(0)
    j = np.arange(100) + 0.5
    lines = []
    for ocv in (0.0, 1.0, 2.0):
        z = 0.1 + 0.3 * (j >= 50) - ocv * (j < 50) + rng.normal(0, 0.002, (40, 100))
        p = write(tmp_path / f"scan_{ocv:.1f}V.npy", z, size_m=(1e-6, 4e-7))
        lines.append(f"  - {{file: {p.name}, ocv_V: {ocv}}}\n")
    man = tmp_path / "series.yaml"
    man.write_text("align_on: cpd\nscans:\n" + "".join(lines))
    return str(man)


def _args(cmd, tmp_path):
    """Valid arguments of a command that takes ``--library`` (cheap runs), and what to read from its JSON."""
    if cmd == ("kpfm", "fit"):
        return [_series(tmp_path), "--stack", FULLER, "--params", "offset", "--json"], lambda d: d["reduced_chi2"]
    return {
        ("materials", "list"): (["--json"], lambda d: sorted(m["name"] for m in d["materials"])),
        ("materials", "show"): (["LiPON", "--json"], lambda d: d["parameters"]["phi0_li_V"]["value"]),
        ("band",): ([FULLER, "--ocv", "3.0", "--json"], lambda d: d["interfaces"][0]["phi0_V"]),
        ("demo",): (["--out", str(tmp_path / "demo"), "--json"], lambda d: d["states"][0]["interfaces"][0]["phi0_V"]),
        ("scl",): (["--electrolyte", "LiPON", "--electrode", "Li", "--json"], lambda d: d["phi0_V"]),
        ("impedance",): ([FULLER, "--ocv", "3.0", "--points", "12", "--json"],
                         lambda d: d["interfaces"][0]["phi0_V"]),
        ("screen",): (["--out", str(tmp_path / "scr"), "--anodes", "Li", "--electrolytes", "LiPON", "--cathodes",
                       "LixCoO2", "--no-figures", "--quiet", "--jobs", "1", "--overwrite", "--json"],
                      lambda d: d["top"][0]["score"]),
    }[cmd]


@pytest.mark.parametrize("cmd", sorted(LIBRARY_COMMANDS - {("demo",)}), ids=" ".join)
def test_user_library_changes_the_result(cmd, tmp_path, capsys):
    """A user library that overrides a value the command uses changes what it prints (demo: test_cli_core)."""
    lib = tmp_path / "lib.yaml"
    lib.write_text("materials:\n  LiPON: {phi0_li_V: 1.5}\n  MySE: {kind: electrolyte, permittivity: 10}\n")
    args, read = _args(cmd, tmp_path)
    code, out, err = run_cli(capsys, *cmd, *args)
    assert code in (0, None), err
    code, out2, err = run_cli(capsys, *cmd, *args, "--library", str(lib))
    assert code in (0, None), err
    assert read(json.loads(out)) != read(json.loads(out2))


@pytest.mark.parametrize("cmd", sorted(LIBRARY_COMMANDS), ids=" ".join)
def test_missing_library_file_is_one_line_exit_2(cmd, tmp_path, capsys):
    args, _ = _args(cmd, tmp_path)
    code, out, err = run_cli(capsys, *cmd, *args, "--library", str(tmp_path / "nope.yaml"))
    assert code == 2 and out == "" and "nope.yaml" in err and "does not exist" in err
    assert len(err.strip().splitlines()) == 1


def test_scl_loads_the_library_with_explicit_parameters(tmp_path, capsys):
    """scl with explicit parameters uses no material, but a given --library file is still read (and checked)."""
    explicit = ["--phi0", "1", "--sites", "1e22", "--ef0", "0.2", "--eps", "10", "--json"]
    code, _, err = run_cli(capsys, "scl", *explicit, "--library", str(tmp_path / "nope.yaml"))
    assert code == 2 and "does not exist" in err


def test_bad_library_yaml_is_one_line(tmp_path, capsys):
    lib = tmp_path / "bad.yaml"
    lib.write_text("materials: [\n")
    code, out, err = run_cli(capsys, "materials", "list", "--library", str(lib))
    assert code == 2 and out == "" and "not valid YAML" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, needle", [
    (["band", FULLER, "--ocv", "nan"], "--ocv must be a finite number, got nan"),
    (["band", FULLER, "--ocv", "3", "--reference-ocv", "inf"], "--reference-ocv must be a finite number, got inf"),
    (["scl", "--phi0", "-inf"], "--phi0 must be a finite number, got -inf"),
    (["scl", "--ocv", "nan", "--phi0", "1"], "--potential must be a finite number, got nan"),
    (["screen", "--temperature", "nan"], "--temperature must be a finite number, got nan"),
    (["fermi", "x.yaml", "--temperature", "0"], "--temperature must be a finite number > 0 K, got 0.0"),
    (["fermi", "x.yaml", "--mu", "Li"], "--mu 'Li': expected ELEMENT=EV, e.g. --mu Li=-1.5"),
    (["fermi", "x.yaml", "--mu", "Li=a"], "--mu 'Li=a': 'a' is not a number (eV)"),
    (["kpfm", "fit", "x.yaml", "--stack", FULLER, "--set", "width_nm"], "--set 'width_nm': write NAME=VALUE"),
    (["kpfm", "profile", "x.npy", "--pixel-size-nm", "inf"], "--pixel-size-nm must be a finite number, got inf"),
    (["screen", "--anodes", " , "], "a material list must name at least one material"),
])
def test_bad_option_values_are_one_line_exit_2(args, needle, capsys):
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == "" and needle in err and len(err.strip().splitlines()) == 1


def test_parameter_types():
    t = FiniteFloat()
    assert t.convert("1e3", None, None) == 1000.0 and t.convert(2, None, None) == 2.0
    with pytest.raises(InputError, match="finite"):
        t.convert("inf", None, None)
    with pytest.raises(click.BadParameter, match="not a valid float"):
        t.convert("abc", None, None)
    with pytest.raises(InputError, match="> 0 K"):
        FiniteFloat(positive=True, unit=" K").convert("-1", None, None)
    kv = KeyValueFloat("write K=V")
    assert kv.convert(" Li = -1.5", None, None) == ("Li", -1.5)
    with pytest.raises(InputError, match="write K=V"):
        kv.convert("Li", None, None)
    assert CommaList().convert(" a, b,,", None, None) == ["a", "b"]
    assert CommaList(keep_empty=True).convert("a,", None, None) == ["a", ""]
    assert CommaList().convert(",", None, None) == []
    with pytest.raises(InputError, match="at least one"):
        CommaList(empty_error="at least one").convert(",", None, None)
