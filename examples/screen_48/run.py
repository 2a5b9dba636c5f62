"""A screen the size of Swift et al.'s 48 configurations, from the built-in library.

Requested: 4 anodes (Li, LixSi on its lithiation branch, LixSi on its delithiation branch, Li4Ti5O12)
x 6 electrolytes (LLZO, LiPON, LiF, Li2CO3, Li2O(111), Li2O(110): the built-in electrolytes whose
phi0^Li is known) x 2 cathodes (LixCoO2, LiFePO4) = 48 cells. Li4Ti5O12 and LiFePO4 have no published
work function in the sources used here, so the screen lists them as not computed and ranks the
3 x 6 x 1 = 18 cells it can compute. Five states per electrode from discharged to charged; objective:
the worst-case |phi0| over the range; Pareto set of (max |phi0|, stability-window violation);
Monte Carlo with work functions +-0.3 eV (the order of the spread between the Michaelson (1977) and
Riviere (1969) work-function compilations kept in the built-in library).

Run from the repository root:  python examples/screen_48/run.py
Outputs (committed): examples/screen_48/output/ (report.md, figures, tables, summary.json).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ssbands.materials import load_library
from ssbands.screening import screen

HERE = Path(__file__).resolve().parent


def main(out_dir=None):
    lib = load_library(extra=HERE / "library.yaml")
    # relative paths in the committed summary
    out = Path(out_dir) if out_dir else Path(os.path.relpath(HERE / "output"))
    s = screen(lib, out, anodes=["Li", "LixSi", "LixSi-delithiation", "Li4Ti5O12"],
               electrolytes=["LLZO", "LiPON", "LiF", "Li2CO3", "Li2O(111)", "Li2O(110)"],
               cathodes=["LixCoO2", "LiFePO4"], n_states=5, objective="max-abs-phi0",
               pareto=("max_abs_phi0_V", "window_violation_V"), overwrite=True, jobs=1, quiet=True,
               mc_samples=500, mc_seed=2022, spreads={"work_function_eV": 0.3}, top_k=3)
    c = s["counts"]
    print(f"computed {c['cells']} of 48 requested cells; not computed: "
          + ", ".join(f"{d['material']} ({d['field']})" for d in s["not_computed"]))
    for r in s["top"][:5]:
        print(f"{r['rank']:>3} {r['anode']} | {r['electrolyte']} | {r['cathode']}: max|phi0| = {r['score']:.3f} V")
    print(json.dumps({k: s["files"][k] for k in ("report", "cells")}, indent=1))
    return s


if __name__ == "__main__":
    main()
