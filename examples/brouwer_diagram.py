"""Brouwer diagram of the toy Li electrolyte (examples/defects/li_electrolyte_toy.yaml).

Writes docs/figures/brouwer_li_toy.png (or the path given as the first argument): defect and carrier
concentrations and the self-consistent Fermi level against μ_Li at 300 K, from one batched solve.
The numbers in the input are ILLUSTRATIVE, not a real material.

    python examples/brouwer_diagram.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ssbands.defects import DefectSystem  # noqa: E402

HERE = Path(__file__).resolve().parent


def main(out=None):
    out = Path(out) if out else HERE.parent / "docs" / "figures" / "brouwer_li_toy.png"
    system = DefectSystem.from_yaml(HERE / "defects" / "li_electrolyte_toy.yaml")
    mu = np.linspace(-3.0, 0.0, 200)          # eV vs bcc Li (Li-poor → Li-rich)
    scan = system.scan("Li", mu, temperature_K=300.0)

    fig, (ax, axf) = plt.subplots(2, 1, figsize=(6.0, 6.5), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1.3]})
    for name, q in scan.labels:
        c = scan.concentration(name, q)
        if np.max(c) > 1e-12:
            ax.semilogy(mu, c, label=f"{name}$^{{{q:+d}}}$".replace("+0", "0").replace("-0", "0"))
    ax.semilogy(mu, scan.electrons_cm3, "k--", label="electrons")
    ax.semilogy(mu, scan.holes_cm3, "k:", label="holes")
    ax.set_ylim(1e-12, 1e22)
    ax.set_ylabel("concentration (cm$^{-3}$)")
    ax.set_title("Toy Li electrolyte (illustrative numbers), 300 K")
    ax.legend(fontsize=8, ncol=2, loc="center left")
    axf.plot(mu, scan.fermi_level_eV, "C3")
    axf.axhline(0.0, color="0.5", lw=0.8)
    axf.axhline(system.band_gap_eV, color="0.5", lw=0.8)
    axf.set_ylabel("$E_F - E_{VBM}$ (eV)")
    axf.set_xlabel(r"$\mu_{Li}$ (eV vs bcc Li)")
    axf.set_ylim(-0.3, system.band_gap_eV + 0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    print(f"wrote {out}")
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
