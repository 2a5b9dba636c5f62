#!/usr/bin/env python3
"""Check the house rules of the ``ssbands`` source tree (stdlib only, ``ast`` based).

Usage::

    python tools/house_rules.py [--root src] [--package ssbands]

Every ``*.py`` file under ``<root>/<package>`` is parsed (never imported) and checked
against the rules below.  Each violation is printed as one line
``path:line: rule: message``; a summary with the counts per rule follows, and the exit
status is 1 when there is any violation (0 otherwise, 2 on a usage error).

Rules
-----
``module-length``
    No module is longer than 800 lines (physical lines of the file).
``function-length``
    No function or method is longer than 120 lines, counted from its ``def`` line to its
    last line (decorators excluded).  Nested functions and classes (closures) count
    toward the enclosing function's length, so only outermost functions are measured;
    methods of a class are measured one by one.

    *Data-table exemption*: a function is exempt when its body is predominantly a
    literal data table, i.e. when the lines covered by literal tables make up at least
    half of the function's lines **and** the remaining lines number at most 120.  A
    literal table is a ``dict``, ``list``, ``tuple`` or ``set`` display spanning at least
    3 lines whose elements are only constants, names, attribute references, unary/binary
    operations on these and further such displays (no calls, comprehensions or lambdas).
    A long function with a small table in it is not exempt.
``cli-import``
    Library code never imports the command-line layer: a module may not import
    ``<package>.cli`` or any module below it, nor any module of the package whose dotted
    name has a component matching ``cli``, ``*_cli``, ``cli_*`` or ``*_cli_*`` (e.g.
    ``defects_cli``, ``cli_core``).  Third-party modules (``click``) are not concerned.
    Modules of the CLI layer itself (``<package>.cli`` and everything below it) and
    ``<package>.__main__`` are exempt.  Imports anywhere in a module count (including
    imports inside functions), as do ``importlib.import_module("...")`` calls with a
    literal string argument.
``private-import``
    No cross-module private import: ``from X import _name`` where ``_name`` starts with
    exactly one underscore (dunder names such as ``__version__`` are fine) is a violation
    unless ``X`` is a private module (its file name starts with ``_``) in the same package
    as the importing module.  When ``X._name`` is itself a private submodule
    (``from . import _core``), the same condition is applied to ``X._name``.  Public names
    imported from a private module are always fine.  Imports anywhere in a module count.
``import-cycle``
    No import cycle between modules of the package.  The import graph is built from
    **module-level** imports only: statements at the top level of the module, including
    those nested in top-level ``if``/``try``/``with`` blocks and class bodies, but
    excluding blocks guarded by ``if TYPE_CHECKING:`` and all imports inside functions
    (these run lazily and cannot deadlock an import).  ``from X import name`` is an edge
    to the submodule ``X.name`` when that is a module of the package, and to ``X``
    otherwise (``from . import x`` is handled the same way).  Edges from a package
    ``__init__`` to its own submodules (re-exports) are ignored, so a package that
    re-exports its submodules is not a cycle with them.  One violation is reported per
    strongly connected component, showing one cycle through it.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 120
TABLE_FRACTION = 0.5
MIN_TABLE_LINES = 3

RULES = ("module-length", "function-length", "cli-import", "private-import", "import-cycle", "design-citation")

#: Citations of design files outside the repository or of issue numbers (code and docs cite papers).
DESIGN_CITATION = re.compile(r"\bMODEL\.md|\bARCHITECTURE\.md|shared/design|\b[Ii]ssues?\s*#?\s*\d+")

_CLI_COMPONENT = re.compile(r"(^|_)cli(_|$)")
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
_CONTAINERS = (ast.Dict, ast.List, ast.Tuple, ast.Set)
_LITERAL_LEAVES = (
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.UnaryOp,
    ast.BinOp,
    ast.operator,
    ast.unaryop,
    ast.expr_context,
)


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: where (``path``, ``line``), which ``rule`` and why (``message``)."""

    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


@dataclass
class Module:
    """A parsed module of the checked package."""

    name: str  # dotted module name, e.g. "ssbands.scl.finite"
    path: Path
    display: str  # path as printed in violations
    is_package: bool  # an __init__.py
    source: str
    tree: ast.Module
    imports: list[Import] = field(default_factory=list)

    @property
    def package(self) -> str:
        """Dotted name of the package this module belongs to (itself for ``__init__``)."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    """One imported module (``target``) or name (``name`` from module ``source``)."""

    line: int
    source: str  # absolute dotted module named in the statement ("X" of "from X import n")
    name: str | None  # imported name for "from X import name", None for "import X"
    target: str  # module the statement binds to: X.name if that is a module, else X
    module_level: bool  # counts for the import graph


# ----------------------------------------------------------------------------- collection


def collect_modules(root: Path, package: str) -> dict[str, Module]:
    """Parse every ``.py`` file of ``root/package`` into :class:`Module` objects by dotted name.

    Parameters
    ----------
    root : Path
        Directory that contains the package directory (the ``src`` of a src layout).
    package : str
        Name of the top-level package directory.

    Returns
    -------
    dict[str, Module]
        Modules keyed by dotted name, with their imports resolved.
    """
    base = root / package
    if not base.is_dir():
        raise FileNotFoundError(f"no package directory {base}")
    modules: dict[str, Module] = {}
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
        try:
            display = str(path.relative_to(Path.cwd()))
        except ValueError:
            display = str(path)
        name = ".".join(parts)
        modules[name] = Module(name, path, display, is_package, source, tree)
    for module in modules.values():
        module.imports = list(_resolve_imports(module, modules))
    return modules


def _walk_imports(tree: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """Yield every import node (and literal ``import_module`` call) with its module-level flag."""

    def visit(node: ast.AST, module_level: bool) -> Iterator[tuple[ast.AST, bool]]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, module_level
            return
        if isinstance(node, ast.Call) and _import_module_arg(node) is not None:
            yield node, module_level
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            module_level = False
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.body:
                yield from visit(stmt, False)
            for stmt in node.orelse:
                yield from visit(stmt, module_level)
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, module_level)

    yield from visit(tree, True)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_module_arg(call: ast.Call) -> str | None:
    func = call.func
    named = (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id == "import_module"
    )
    if named and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _resolve_relative(module: Module, level: int, name: str | None) -> str:
    """Absolute dotted name of ``from <level dots><name> import ...`` inside ``module``."""
    if level == 0:
        return name or ""
    parts = module.package.split(".")
    if level - 1 >= len(parts):
        raise ValueError(f"{module.display}: relative import beyond the top-level package")
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _resolve_imports(module: Module, modules: dict[str, Module]) -> Iterator[Import]:
    for node, module_level in _walk_imports(module.tree):
        line = getattr(node, "lineno", 1)
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(line, alias.name, None, alias.name, module_level)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_relative(module, node.level, node.module)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                target = sub if sub in modules else source
                yield Import(line, source, alias.name, target, module_level)
        else:  # importlib.import_module("literal")
            arg = _import_module_arg(node)  # type: ignore[arg-type]
            if arg and not arg.startswith("."):
                yield Import(line, arg, None, arg, False)


# ----------------------------------------------------------------------------- rules


def check_module_length(module: Module, limit: int = MAX_MODULE_LINES) -> list[Violation]:
    """Rule ``module-length``: the module has at most ``limit`` lines.

    Parameters
    ----------
    module : Module
        Parsed module.
    limit : int
        Largest allowed number of lines.

    Returns
    -------
    list[Violation]
        One violation when the module is too long, else none.
    """
    n = len(module.source.splitlines())
    if n > limit:
        return [Violation(module.display, 1, "module-length", f"{n} lines (limit {limit})")]
    return []


def _outermost_functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions not nested in another function (module-level functions and methods)."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, _FUNCTION_NODES):
            yield child
        else:
            yield from _outermost_functions(child)


def _is_literal_table(node: ast.AST) -> bool:
    if not isinstance(node, _CONTAINERS):
        return False
    if node.end_lineno - node.lineno + 1 < MIN_TABLE_LINES:  # type: ignore[attr-defined,operator]
        return False
    for sub in ast.walk(node):
        if not isinstance(sub, _CONTAINERS + _LITERAL_LEAVES):
            return False
    return True


def table_lines(func: ast.AST) -> set[int]:
    """Line numbers of ``func`` covered by literal data tables (see the module docstring).

    Parameters
    ----------
    func : ast.AST
        A function definition node.

    Returns
    -------
    set[int]
        Source line numbers (1-based) lying inside a maximal literal container.
    """
    lines: set[int] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_literal_table(child):
                lines.update(range(child.lineno, child.end_lineno + 1))  # type: ignore[attr-defined]
            else:
                visit(child)

    visit(func)
    return lines


def check_function_length(module: Module, limit: int = MAX_FUNCTION_LINES) -> list[Violation]:
    """Rule ``function-length``: no outermost function or method is longer than ``limit`` lines.

    Parameters
    ----------
    module : Module
        Parsed module.
    limit : int
        Largest allowed number of lines of a function, closures included.

    Returns
    -------
    list[Violation]
        One violation per function that is too long and not a data table.
    """
    out = []
    for func in _outermost_functions(module.tree):
        span = func.end_lineno - func.lineno + 1  # type: ignore[operator]
        if span <= limit:
            continue
        table = len(table_lines(func))
        if table >= TABLE_FRACTION * span and span - table <= limit:
            continue
        note = f", {table} of them a data table" if table else ""
        out.append(
            Violation(
                module.display,
                func.lineno,
                "function-length",
                f"function {func.name!r} has {span} lines{note} (limit {limit})",
            )
        )
    return out


def _is_cli_module(name: str, package: str) -> bool:
    parts = name.split(".")
    if parts[0] != package:
        return False
    return any(_CLI_COMPONENT.search(part) for part in parts[1:])


def _is_cli_layer(name: str, package: str) -> bool:
    cli = f"{package}.cli"
    return name == cli or name.startswith(cli + ".") or name == f"{package}.__main__"


def check_cli_imports(module: Module, package: str) -> list[Violation]:
    """Rule ``cli-import``: library modules never import the CLI layer.

    Parameters
    ----------
    module : Module
        Parsed module with resolved imports.
    package : str
        Top-level package name.

    Returns
    -------
    list[Violation]
        One violation per offending import.
    """
    if _is_cli_layer(module.name, package):
        return []
    out = []
    for imp in module.imports:
        bad = next((m for m in (imp.target, imp.source) if _is_cli_module(m, package)), None)
        if bad is not None:
            out.append(
                Violation(module.display, imp.line, "cli-import", f"library module {module.name} imports {bad}")
            )
    return out


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def check_private_imports(module: Module, modules: dict[str, Module]) -> list[Violation]:
    """Rule ``private-import``: no ``from X import _name`` across modules.

    Parameters
    ----------
    module : Module
        Parsed module with resolved imports.
    modules : dict[str, Module]
        All modules of the package (to tell submodules from names).

    Returns
    -------
    list[Violation]
        One violation per offending imported name.
    """
    out = []
    for imp in module.imports:
        if imp.name is None or not _is_private(imp.name):
            continue
        # the module whose privacy matters: the private submodule X._name itself, or X
        holder = imp.target
        parent, _, base = holder.rpartition(".")
        private_module = holder in modules and _is_private(base)
        if private_module and parent == module.package:
            continue
        if not private_module:
            why = f"{holder} is not a private module"
        else:
            why = f"{holder} is not in package {module.package}"
        out.append(
            Violation(
                module.display,
                imp.line,
                "private-import",
                f"private name {imp.name!r} imported from {imp.source} ({why})",
            )
        )
    return out


def import_graph(modules: dict[str, Module]) -> dict[str, dict[str, int]]:
    """Module-level import graph of the package (see the module docstring for what counts).

    Parameters
    ----------
    modules : dict[str, Module]
        All modules of the package with resolved imports.

    Returns
    -------
    dict[str, dict[str, int]]
        ``graph[a][b]`` is the line of the first module-level import of ``b`` in ``a``.
    """
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for module in modules.values():
        for imp in module.imports:
            target = imp.target
            if not imp.module_level or target not in modules or target == module.name:
                continue
            if module.is_package and target.startswith(module.name + "."):
                continue  # a package re-exporting its own submodule
            graph[module.name].setdefault(target, imp.line)
    return graph


def _strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); components in discovery order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                components.append(sorted(component))
    return components


def _cycle_through(start: str, members: set[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """Shortest cycle from ``start`` back to itself inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child not in members:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in previous:
                    previous[child] = node
                    nxt.append(child)
        frontier = nxt
    return [start, start]


def check_import_cycles(modules: dict[str, Module]) -> list[Violation]:
    """Rule ``import-cycle``: the module-level import graph has no cycle.

    Parameters
    ----------
    modules : dict[str, Module]
        All modules of the package with resolved imports.

    Returns
    -------
    list[Violation]
        One violation per strongly connected component of more than one module.
    """
    graph = import_graph(modules)
    out = []
    for component in _strongly_connected(graph):
        if len(component) < 2:
            continue
        start = component[0]
        cycle = _cycle_through(start, set(component), graph)
        line = graph[cycle[0]][cycle[1]]
        others = f" (component of {len(component)} modules)" if len(component) > len(cycle) - 1 else ""
        out.append(
            Violation(modules[start].display, line, "import-cycle", " -> ".join(cycle) + others)
        )
    return out


# ----------------------------------------------------------------------------- driver


def check_design_citations(module: Module) -> list[Violation]:
    """Flag citations of design files outside the repository or of issue numbers in a module's text.

    Parameters
    ----------
    module : Module
        The module to check.

    Returns
    -------
    list[Violation]
        One violation per offending line.
    """
    return [Violation(module.display, i, "design-citation", f"cites {m.group(0)!r}; cite a paper instead")
            for i, line in enumerate(module.source.splitlines(), 1) if (m := DESIGN_CITATION.search(line))]


def check_tree(root: Path, package: str = "ssbands") -> list[Violation]:
    """Run every rule on the package ``root/package``.

    Parameters
    ----------
    root : Path
        Directory containing the package directory.
    package : str
        Top-level package name.

    Returns
    -------
    list[Violation]
        All violations, sorted by path and line.
    """
    modules = collect_modules(Path(root), package)
    out: list[Violation] = []
    for module in modules.values():
        out += check_module_length(module)
        out += check_function_length(module)
        out += check_cli_imports(module, package)
        out += check_private_imports(module, modules)
        out += check_design_citations(module)
    out += check_import_cycles(modules)
    return sorted(out)


def summary(violations: Iterable[Violation]) -> str:
    """One-line count of ``violations`` per rule.

    Parameters
    ----------
    violations : Iterable[Violation]
        Violations as returned by :func:`check_tree`.

    Returns
    -------
    str
        E.g. ``"3 violations: function-length 2, private-import 1"`` or ``"no violations"``.
    """
    counts: dict[str, int] = {}
    for v in violations:
        counts[v.rule] = counts.get(v.rule, 0) + 1
    total = sum(counts.values())
    if not total:
        return "house rules: no violations"
    parts = ", ".join(f"{rule} {counts[rule]}" for rule in RULES if rule in counts)
    return f"house rules: {total} violation{'s' if total != 1 else ''}: {parts}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status.

    Parameters
    ----------
    argv : list[str], optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 without violations, 1 with violations, 2 on a usage error.
    """
    default_root = Path(__file__).resolve().parent.parent / "src"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=default_root, help="directory holding the package (src)")
    parser.add_argument("--package", default="ssbands", help="top-level package name")
    args = parser.parse_args(argv)
    try:
        violations = check_tree(args.root, args.package)
    except (FileNotFoundError, SyntaxError, ValueError) as exc:
        print(f"house_rules: {exc}", file=sys.stderr)
        return 2
    for v in violations:
        print(v)
    print(summary(violations))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
