"""Band diagrams and ΔCPD of the Fuller et al. (2021) thin-film cell, charged from 0 to 4 V.

Writes docs/figures/band_diagram_3.75V.png and docs/figures/delta_cpd.png (the README figures).
Run: .venv/bin/python examples/fuller2021_band_diagrams.py
"""

from pathlib import Path

import numpy as np

from ssbands import plotting
from ssbands.cell import Stack, solve, summary

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "figures"


def main(out: Path = OUT) -> dict:
    stack = Stack.from_toml(HERE / "stacks" / "fuller2021.toml")
    ds = solve(stack, np.array([0.0, 1.0, 2.0, 3.0, 3.35, 3.75, 4.0]))
    out.mkdir(parents=True, exist_ok=True)
    plotting.band_diagram(ds, out / "band_diagram_3.75V.png", ocv=3.75)
    plotting.delta_cpd(ds, out / "delta_cpd.png")
    s = summary(ds.sel(ocv=3.75))
    for i in s["interfaces"]:
        print(f"{i['left']}|{i['right']}: phi0 = {i['phi0_V']:+.3f} V, sigma = {i['sigma_e_per_nm2']:+.2f} e/nm2")
    return s


if __name__ == "__main__":
    main()
