"""Space-charge-layer profiles: semi-infinite layers, thin symmetric cells, an interlayer design.

Run ``python examples/scl_profiles.py [OUT.png]``; writes ``docs/img/scl_profiles.png`` by default.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ssbands.materials.library import load_library  # noqa: E402
from ssbands.scl import (  # noqa: E402
    SpaceChargeLayer,
    SpeciesSet,
    design_interlayer,
    solve_finite_layer,
    two_defect_species,
    two_zone,
)

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "scl_profiles.png"


def params(lib, name):
    m = lib[name]
    return (m.get("phi0_li_V"), m.get("site_density_cm3"), m.get("defect_energy_eV"), m.get("permittivity"),
            m.get("alpha"))


def main(out: str | Path = OUT) -> Path:
    lib = load_library()
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)

    # (a) semi-infinite layers against Li metal, exact (first integral) and two-zone approximation
    x = np.linspace(0, 3.0, 400)
    for name, c in (("LLZO", "C0"), ("LiPON", "C1"), ("LiF", "C2")):
        p = params(lib, name)
        L = SpaceChargeLayer(*p)
        tz = two_zone(*p)
        ax[0].plot(x, p[0] + L.potential(x), c, label=f"Li|{name} (first integral)")
        ax[0].plot(x, p[0] + tz.potential(x), c + "--", lw=1)
    ax[0].set(xlabel="distance from Li (nm)", ylabel="φ(x) − φ(Li) (V)",
              title="(a) semi-infinite SCLs; dashed: two-zone")
    ax[0].legend(fontsize=8)

    # (b) thin symmetric Li|LiPON|Li cells: overlapping layers (finite solver)
    p = params(lib, "LiPON")
    sp = SpeciesSet(two_defect_species(p[1], p[2], p[4]), p[3], 300.0)
    for L_nm in (1.0, 2.0, 5.0, 20.0):
        sol = solve_finite_layer(sp, L_nm, p[0])
        ax[1].plot(sol.x_nm / L_nm, p[0] + sol.phi_V, label=f"{L_nm:g} nm")
    ax[1].set(xlabel="x / thickness", ylabel="φ(x) − φ(Li) (V)", title="(b) Li|LiPON|Li, finite SE")
    ax[1].legend(fontsize=8, title="LiPON thickness")

    # (c) interlayer design: LiF on Li protecting LiPON (target: LiPON's own offset 1.24 V)
    f = params(lib, "LiF")
    d = design_interlayer(f[0], p[0], *f[1:], electrolyte=sp)
    ax[2].plot(d.x_nm, d.potential_V, "C2", label="LiF alone (semi-infinite)")
    st = d.stack
    ax[2].plot(st.x_nm, st.phi_V, "k", lw=1, label="Li|LiF(x*)|LiPON stack")
    ax[2].axhline(p[0], color="C1", ls=":", label="target: φ0(Li|LiPON) = 1.24 V")
    ax[2].axvline(d.thickness_nm, color="0.5", ls="--", label=f"x* = {d.thickness_nm:.2f} nm")
    ax[2].set(xlim=(0, 1.6 * d.thickness_nm), xlabel="distance from Li (nm)", ylabel="φ(x) − φ(Li) (V)",
              title="(c) interlayer design")
    ax[2].legend(fontsize=8)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
