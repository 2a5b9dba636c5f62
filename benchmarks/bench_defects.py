"""Benchmark: a 200-point μ_Li scan of the self-consistent Fermi level, ssbands (one batched solve)
vs py-sc-fermi (200 solves in a loop), same system, same run. Prints a Markdown table.

The system: examples/defects/li_electrolyte_toy_pyscfermi.yaml (toy Li electrolyte, tabulated DOS of
904 points from totdos.dat, three defect species, one frozen), with μ_Li folded into the formation
energies for py-sc-fermi (which has no chemical potentials) exactly as its users do. Only the Fermi
level is timed for py-sc-fermi (``get_sc_fermi``); ssbands' time includes all concentrations.

    python benchmarks/bench_defects.py [--repeats 7] [--points 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from _common import cpu_model

ROOT = Path(__file__).resolve().parents[1]
YAML = ROOT / "examples" / "defects" / "li_electrolyte_toy_pyscfermi.yaml"
# Li stoichiometry of each species (atoms added) used to fold μ_Li into the energies
STOICH = {"V_Li": -1, "Li_i": 1, "Al_Li": -1}
MU_REF = -1.5   # the file's energies correspond to μ_Li = -1.5 eV


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--points", type=int, default=200)
    args = ap.parse_args()

    from dataclasses import replace

    from ssbands.defects import DefectSystem

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from py_sc_fermi.defect_system import DefectSystem as PSYS

    base = DefectSystem.from_yaml(YAML)
    # give the species their Li stoichiometry and shift E0 to the μ_Li = 0 reference
    species = []
    for s in base.species:
        n = STOICH[s.name]
        cs = tuple(replace(c, energy=None if c.energy is None else c.energy + n * MU_REF) for c in s.charge_states)
        species.append(replace(s, charge_states=cs, stoichiometry={"Li": n}))
    ours = replace(base, species=tuple(species), mu_eV={"Li": MU_REF})
    mus = np.linspace(-3.0, 0.0, args.points)

    def run_ssbands():
        return ours.scan("Li", mus).fermi_level_eV

    peer = PSYS.from_yaml(str(YAML), dos_file=str(YAML.parent / "totdos.dat"))
    e0 = {(ds.name, q): cs.energy for ds in peer.defect_species for q, cs in ds.charge_states.items()}

    def run_peer():
        out = np.empty(mus.size)
        for i, mu in enumerate(mus):
            for ds in peer.defect_species:
                for q, cs in ds.charge_states.items():
                    if e0[(ds.name, q)] is not None:
                        cs._energy = e0[(ds.name, q)] - STOICH[ds.name] * (mu - MU_REF)
            out[i] = peer.get_sc_fermi()[0]
        return out

    run_ssbands()  # warm-up (imports, caches)
    t_ours, t_peer = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        ef_ours = run_ssbands()
        t_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        ef_peer = run_peer()
        t_peer.append(time.perf_counter() - t)
    m_ours, m_peer = statistics.median(t_ours), statistics.median(t_peer)
    dmax = float(np.max(np.abs(ef_ours - ef_peer)))
    print(f"CPU: {cpu_model()}; {time.strftime('%Y-%m-%d')}; numpy {np.__version__}; "
          f"median of {args.repeats} runs; one process, one thread per library call\n")
    print("| task | ssbands (batched) | py-sc-fermi (loop) | ratio | max abs(ΔE_F) |")
    print("|---|---|---|---|---|")
    print(f"| {args.points}-point μ_Li scan of E_F (904-point DOS, 3 species) | {m_ours * 1e3:.2f} ms "
          f"| {m_peer * 1e3:.1f} ms ({m_peer / args.points * 1e3:.2f} ms/solve) | {m_peer / m_ours:.0f}× "
          f"| {dmax:.1e} eV |")


if __name__ == "__main__":
    main()
