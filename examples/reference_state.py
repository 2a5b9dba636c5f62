"""How the LiPON|LixCoO2 step of the as-made (ΔCPD reference) state depends on the stated Li contents.

The reference state of ΔCPD is a physical state of the electrodes. For the thin-film cell of the demo
it is OCV = 0 V by default, which the Li-conservation solve reaches only through the LixSi fit's singular
term and the dilute-limit Nernst extension of the LixCoO2 table. Stating the as-made contents instead
(``reference_li_fractions``) makes the assumption explicit; this script shows how much the step that a
KPFM line scan would see at the cathode interface (ψ(SE) − ψ(LixCoO2)) depends on it.

Run: .venv/bin/python examples/reference_state.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ssbands.cell import fuller2021_stack, solve
from ssbands.plotting import pyplot, save_figure


def step_at_reference(stack, x_anode, x_cathode):
    """LiPON|LixCoO2 total step (V) and OCV (V) of the state with the given Li fractions."""
    ds = solve(stack, li_fractions=([x_anode], [x_cathode]), reference_ocv=None)
    return float(ds["iface_total_step_V"].values[0, 1]), float(ds["ocv"].values[0])


def main(out_dir: str = ".") -> list[tuple[float, float, float, float]]:
    stack = fuller2021_stack()
    rows = []
    for xa in (0.01, 0.05):
        for xc in (0.90, 0.95, 0.99, 0.999, 0.9999):
            step, ocv = step_at_reference(stack, xa, xc)
            rows.append((xa, xc, ocv, step))
    auto = solve(stack, 0.0)
    a = auto.attrs
    print(f"default reference ({a['reference_state']}): LixSi x = {a['reference_anode_li_fraction']:.4g}, "
          f"LixCoO2 x = {a['reference_cathode_li_fraction']:.6g}, "
          f"LiPON|LixCoO2 step {float(auto['iface_total_step_V'].values[1]):+.3f} V")
    print("x(LixSi)  x(LixCoO2)  OCV/V    step LiPON|LixCoO2 / V")
    for xa, xc, ocv, step in rows:
        print(f"{xa:8.3f}  {xc:10.4f}  {ocv:6.3f}   {step:+.3f}")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    xc = np.array([0.90, 0.95, 0.99, 0.999, 0.9999])
    for xa in (0.01, 0.05):
        ax.plot(1 - xc, [s for a, c, o, s in rows if a == xa], "o-", label=f"LixSi x = {xa:g}")
    ax.set_xscale("log")
    ax.set_xlabel("1 − x(LixCoO2) of the reference state")
    ax.set_ylabel("LiPON|LixCoO2 step ψ(SE) − ψ(LCO) (V)")
    ax.set_title("The reference state sets the as-made interface step", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "reference_state_step.png")
    return rows


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
