"""Generate docs/api.md (the API reference) from the package's docstrings.

Run: .venv/bin/python docs/make_api.py   (a test checks that docs/api.md is up to date)
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

MODULES = [
    "ssbands.constants", "ssbands.errors", "ssbands.materials.library", "ssbands.thermo", "ssbands.interface",
    "ssbands.cell.stack", "ssbands.cell.state", "ssbands.cell.electrolyte", "ssbands.cell.solve",
    "ssbands.cell.summary",
    "ssbands.profile", "ssbands.plotting", "ssbands.scl.firstintegral", "ssbands.scl.species",
    "ssbands.scl.finite", "ssbands.scl.approx", "ssbands.scl.interlayer", "ssbands.scl.resistance",
    "ssbands.scl.transport", "ssbands.scl.kinetics", "ssbands.defects",
    "ssbands.kpfm.forward", "ssbands.kpfm.io", "ssbands.kpfm.processing", "ssbands.kpfm.spectroscopy",
    "ssbands.kpfm.series", "ssbands.kpfm.fit", "ssbands.screening", "ssbands.impedance",
    "ssbands.impedance.linear", "ssbands.impedance.model", "ssbands.impedance.circuit", "ssbands.impedance.kk",
    "ssbands.impedance.data", "ssbands.plotting.impedance",
    "ssbands.web.compute", "ssbands.web.fast", "ssbands.web.impedance_panel", "ssbands.web.protocol", "ssbands.web.app",
    "ssbands.web.server",
]


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return "(no docstring)"
    return inspect.cleandoc(doc).split("\n\n")[0].replace("\n", " ")


def render() -> str:
    out = ["# API reference", "",
           "Generated from the docstrings by `docs/make_api.py`; the full docstrings (parameters with units, "
           "returns, references) are in the code and in `help()`.", ""]
    for name in MODULES:
        mod = importlib.import_module(name)
        out += [f"## `{name}`", "", _first_paragraph(mod.__doc__), ""]
        public = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for n in sorted(public):
            obj = getattr(mod, n, None)
            if obj is None or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", "").split(".")[0] != "ssbands":
                continue
            if "__all__" not in vars(mod) and obj.__module__ != name:
                continue
            try:
                sig = str(inspect.signature(obj))
            except (TypeError, ValueError):
                sig = "(...)"
            if len(sig) > 160:
                sig = sig[:157] + "...)"
            kind = "class" if inspect.isclass(obj) else "def"
            out += [f"- **`{kind} {n}{sig}`** — {_first_paragraph(obj.__doc__)}"]
        out.append("")
    return "\n".join(out)


def main() -> Path:
    p = Path(__file__).resolve().parent / "api.md"
    p.write_text(render(), encoding="utf-8")
    return p


if __name__ == "__main__":
    print(main())
