"""tools/house_rules.py: each rule fires on a bad synthetic tree and stays quiet on a good one."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("house_rules", REPO / "tools" / "house_rules.py")
hr = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("house_rules", hr)
_SPEC.loader.exec_module(hr)


def _tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (path relative to ``root/src`` -> source) and return ``root/src``."""
    src = root / "src"
    for rel, text in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return src


def _rules(src: Path, package: str = "ssbands") -> list[tuple[str, str, int]]:
    """(rule, file name, line) of every violation in ``src/package``."""
    return [(v.rule, Path(v.path).name, v.line) for v in hr.check_tree(src, package)]


def _function(name: str, n_lines: int, indent: str = "") -> str:
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(n_lines - 2))
    return f"{indent}def {name}():\n{body}{indent}    return 0\n"


# ----------------------------------------------------------------------------- module length


def test_module_length(tmp_path):
    ok = "\n".join(f"x{i} = {i}" for i in range(800)) + "\n"
    bad = "\n".join(f"x{i} = {i}" for i in range(801)) + "\n"
    src = _tree(tmp_path, {"ssbands/__init__.py": "", "ssbands/ok.py": ok, "ssbands/bad.py": bad})
    assert _rules(src) == [("module-length", "bad.py", 1)]


# ----------------------------------------------------------------------------- function length


def test_function_length_plain_and_method(tmp_path):
    method_bad = "class C:\n    '''Doc.'''\n\n" + _function("long_method", 121, indent="    ")
    src = _tree(
        tmp_path,
        {
            "ssbands/__init__.py": "",
            "ssbands/ok.py": _function("fine", 120),
            "ssbands/bad.py": "\n" + _function("too_long", 121),
            "ssbands/meth.py": method_bad,
        },
    )
    assert sorted(_rules(src)) == [("function-length", "bad.py", 2), ("function-length", "meth.py", 4)]


def test_function_length_counts_closures(tmp_path):
    # 60 lines of its own plus a 70-line closure: 130 lines in the outer span
    inner = _function("inner", 70, indent="    ")
    outer = "def outer():\n" + inner + "".join(f"    y{i} = {i}\n" for i in range(58)) + "    return inner\n"
    short_outer = "def outer():\n" + _function("inner", 30, indent="    ") + "    return inner\n"
    src = _tree(tmp_path, {"ssbands/__init__.py": "", "ssbands/bad.py": outer, "ssbands/ok.py": short_outer})
    assert _rules(src) == [("function-length", "bad.py", 1)]


def test_function_length_data_table_exemption(tmp_path):
    rows = "".join(f"        'k{i}': ({i}, -{i}.5, 'unit', None, np.nan),\n" for i in range(150))
    table = f"def table():\n    '''A literal table.'''\n    return {{\n{rows}    }}\n"
    # a long function with a small table is not exempt
    small_rows = "".join(f"        'k{i}': {i},\n" for i in range(10))
    code = "".join(f"    x{i} = t\n" for i in range(120))
    mixed = "def mixed():\n    t = {\n" + small_rows + "    }\n" + code + "    return t\n"
    # a table of calls is code, not data
    call_rows = "".join(f"        'k{i}': f({i}),\n" for i in range(150))
    calls = f"def calls():\n    return {{\n{call_rows}    }}\n"
    src = _tree(
        tmp_path,
        {"ssbands/__init__.py": "", "ssbands/table.py": table, "ssbands/mixed.py": mixed, "ssbands/calls.py": calls},
    )
    assert sorted(_rules(src)) == [("function-length", "calls.py", 1), ("function-length", "mixed.py", 1)]


# ----------------------------------------------------------------------------- cli imports


def test_cli_imports(tmp_path):
    src = _tree(
        tmp_path,
        {
            "ssbands/__init__.py": "",
            "ssbands/cli/__init__.py": "from .core import main\nfrom ..lib import public\n",
            "ssbands/cli/core.py": "import click\nfrom ssbands.cli import helpers\n",
            "ssbands/cli/helpers.py": "",
            "ssbands/lib.py": (
                "import click\nimport importlib\npublic = 1\nclient = importlib.import_module('ssbands.lib')\n"
            ),
            "ssbands/sub/__init__.py": "",
            "ssbands/sub/defects_cli.py": "",
            "ssbands/bad1.py": "from .cli import main\n",
            "ssbands/bad2.py": "def f():\n    import ssbands.cli.core\n",
            "ssbands/bad3.py": "from .sub import defects_cli\n",
            "ssbands/bad4.py": "import importlib\nm = importlib.import_module('ssbands.cli')\n",
            "ssbands/bad5.py": "from . import cli\n",
        },
    )
    assert sorted(_rules(src)) == [
        ("cli-import", "bad1.py", 1),
        ("cli-import", "bad2.py", 2),
        ("cli-import", "bad3.py", 1),
        ("cli-import", "bad4.py", 2),
        ("cli-import", "bad5.py", 1),
    ]


# ----------------------------------------------------------------------------- private imports


def test_private_imports(tmp_path):
    src = _tree(
        tmp_path,
        {
            "ssbands/__init__.py": "from ._version import __version__\n",
            "ssbands/_version.py": "__version__ = '1'\n",
            "ssbands/pub.py": "_hidden = 1\nvisible = 2\n",
            "ssbands/_priv.py": "_hidden = 1\nvisible = 2\n",
            "ssbands/good.py": (
                "from ._priv import _hidden, visible\n"
                "from .pub import visible as v\n"
                "from . import _priv\n"
                "from ._version import __version__\n"
                "from scipy import constants as _c\n"
            ),
            "ssbands/bad_public_module.py": "def f():\n    from .pub import _hidden\n",
            "ssbands/sub/__init__.py": "from ._core import _x\nfrom .mod import _y\n",
            "ssbands/sub/_core.py": "_x = 1\n",
            "ssbands/sub/mod.py": "from ._core import _x\n_y = 2\n",
            "ssbands/bad_other_package.py": "from .sub._core import _x\n",
            "ssbands/bad_submodule.py": "from .sub import _core\n",
            "ssbands/sub/bad_up.py": "from .._priv import _hidden\n",
            "ssbands/bad_third_party.py": "from numpy import _private\n",
        },
    )
    assert sorted(_rules(src)) == [
        ("private-import", "__init__.py", 2),
        ("private-import", "bad_other_package.py", 1),
        ("private-import", "bad_public_module.py", 2),
        ("private-import", "bad_submodule.py", 1),
        ("private-import", "bad_third_party.py", 1),
        ("private-import", "bad_up.py", 1),
    ]


# ----------------------------------------------------------------------------- import cycles


def test_import_cycle_direct_and_via_from_dot(tmp_path):
    src = _tree(
        tmp_path,
        {
            "ssbands/__init__.py": "from .a import f\n",
            "ssbands/a.py": "from . import b\n\ndef f():\n    return b\n",
            "ssbands/b.py": "import os\n\nfrom .a import f\n",
        },
    )
    (violation,) = hr.check_tree(src, "ssbands")
    assert violation.rule == "import-cycle"
    assert Path(violation.path).name == "a.py" and violation.line == 1
    assert violation.message == "ssbands.a -> ssbands.b -> ssbands.a"


def test_import_cycle_ignores_lazy_type_checking_and_reexports(tmp_path):
    src = _tree(
        tmp_path,
        {
            # the package re-exports its submodules, which import names from the package
            "ssbands/__init__.py": "from . import a, b\nfrom .a import f\nVERSION = 1\n",
            "ssbands/a.py": (
                "from typing import TYPE_CHECKING\n"
                "from . import VERSION\n"
                "if TYPE_CHECKING:\n"
                "    from .b import g\n"
                "def f():\n"
                "    from .b import g\n"
                "    return g\n"
            ),
            "ssbands/b.py": "from .a import f\n\ndef g():\n    return f\n",
        },
    )
    assert hr.check_tree(src, "ssbands") == []


def test_import_cycle_longer_and_through_class_body(tmp_path):
    src = _tree(
        tmp_path,
        {
            "ssbands/__init__.py": "",
            "ssbands/a.py": "from .b import x\n",
            "ssbands/b.py": "try:\n    from .c import y\nexcept ImportError:\n    y = None\nx = 1\n",
            "ssbands/c.py": "class K:\n    from .a import x\ny = 2\n",
        },
    )
    (violation,) = hr.check_tree(src, "ssbands")
    assert violation.message == "ssbands.a -> ssbands.b -> ssbands.c -> ssbands.a"


# ----------------------------------------------------------------------------- driver


def test_main_output_and_exit_status(tmp_path, capsys):
    src = _tree(tmp_path, {"ssbands/__init__.py": "", "ssbands/bad.py": "from .pub import _x\n", "ssbands/pub.py": ""})
    assert hr.main(["--root", str(src)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("bad.py:1: private-import: private name '_x' imported from ssbands.pub "
                           "(ssbands.pub is not a private module)")
    assert out[-1] == "house rules: 1 violation: private-import 1"
    (src / "ssbands" / "bad.py").write_text("from .pub import x\n")
    assert hr.main(["--root", str(src)]) == 0
    assert capsys.readouterr().out.strip() == "house rules: no violations"
    assert hr.main(["--root", str(tmp_path / "nowhere")]) == 2


def test_real_package_obeys_the_house_rules():
    violations = hr.check_tree(REPO / "src", "ssbands")
    assert not violations, "\n".join(map(str, violations))
