"""ssbands.defects against py-sc-fermi (the reference implementation of Buckeridge's SC-Fermi method).

Acceptance (issue 3): the self-consistent Fermi level agrees to 1e-6 eV and every concentration to
1e-6 relative on several defect systems, including py-sc-fermi's own example inputs.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.constants as sc

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning:pymatgen.*")]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    psf = pytest.importorskip("py_sc_fermi")
    from py_sc_fermi.defect_charge_state import DefectChargeState as PCS
    from py_sc_fermi.defect_species import DefectSpecies as PSP
    from py_sc_fermi.defect_system import DefectSystem as PSYS
    from py_sc_fermi.dos import DOS as PDOS
    from py_sc_fermi.inputs import InputSet

from ssbands.defects import ChargeState, DefectSpecies, DefectSystem, TabulatedDOS  # noqa: E402 - after the skip

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "defects"
E_TOL = 1e-6      # eV (acceptance)
C_RTOL = 1e-6     # relative (acceptance)


def parabolic_totdos(gap, m_h=1.0, m_e=0.5, volume=100.0, emin=-6.0, emax=None, de=0.01):
    """A tabulated DOS (states/eV/cell) sampled from parabolic bands."""
    emax = gap + 6.0 if emax is None else emax
    e = np.round(np.arange(emin, emax + de / 2, de), 8)

    def pref(m):
        return (volume * 1e-30) / (2 * np.pi ** 2) * (2 * m * sc.m_e / sc.hbar ** 2) ** 1.5 * sc.e ** 1.5

    d = pref(m_h) * np.sqrt(np.clip(-e, 0, None)) + pref(m_e) * np.sqrt(np.clip(e - gap, 0, None))
    return e, d


def to_peer(system: DefectSystem, mu=None, temperature=None) -> PSYS:
    """The same system as py-sc-fermi objects (μ folded into the energies, cm⁻³ → per cell)."""
    mu = dict(system.mu_eV, **(mu or {}))
    b = system.bands
    dos = PDOS(dos=np.array(b.dos), edos=np.array(b.energies_eV), bandgap=b.band_gap_eV, nelect=b.nelect)
    V = system.volume_A3
    species = []
    for s in system.species:
        shift = sum(n * mu.get(el, 0.0) for el, n in s.stoichiometry.items())
        cs = {c.charge: PCS(c.charge, c.degeneracy, None if c.energy is None else c.energy - shift,
                            None if c.fixed_concentration_cm3 is None else c.fixed_concentration_cm3 / 1e24 * V)
              for c in s.charge_states}
        fixed = None if s.fixed_concentration_cm3 is None else s.fixed_concentration_cm3 / 1e24 * V
        species.append(PSP(s.name, s.nsites, cs, fixed))
    return PSYS(species, dos, V, system.temperature_K if temperature is None else temperature)


def assert_agree(sol, peer: PSYS):
    ef, _ = peer.get_sc_fermi()
    ref = peer.concentration_dict(decomposed=True)
    assert abs(sol.fermi_level_eV - ef) < E_TOL
    for name, per_q in sol.concentrations_cm3.items():
        for q, c in per_q.items():
            assert c == pytest.approx(ref[name][q], rel=C_RTOL, abs=1e-300), (name, q)
    assert sol.electrons_cm3 == pytest.approx(ref["n0"], rel=C_RTOL, abs=1e-300)
    assert sol.holes_cm3 == pytest.approx(ref["p0"], rel=C_RTOL, abs=1e-300)
    return ef


# ---- systems -----------------------------------------------------------------------------------

def li_system(T=300.0, frozen=True):
    e, d = parabolic_totdos(4.0, m_h=1.5, m_e=0.4, volume=120.0)
    sp = [
        DefectSpecies("V_Li", (ChargeState(-1, 3.2), ChargeState(0, 2.4, 2)), nsites=4, stoichiometry={"Li": -1}),
        DefectSpecies("Li_i", (ChargeState(1, -1.6), ChargeState(0, 2.2, 2)), nsites=2, stoichiometry={"Li": 1}),
        DefectSpecies("Al_Li", (ChargeState(2, -4.0), ChargeState(1, -0.5, 2)), nsites=4,
                      fixed_concentration_cm3=5e18 if frozen else None, stoichiometry={"Li": -1, "Al": 1}),
    ]
    return DefectSystem(tuple(sp), TabulatedDOS(e, d, 4.0, nelect=18), volume_A3=120.0, temperature_K=T)


def small_gap_system():
    """Narrow gap with many charge states and a fixed charge state: carriers matter."""
    e, d = parabolic_totdos(0.9, m_h=0.8, m_e=0.2, volume=60.0, emin=-4.0, emax=5.0, de=0.005)
    sp = [
        DefectSpecies("V_X", (ChargeState(0, 1.4), ChargeState(-1, 1.1), ChargeState(-2, 1.5), ChargeState(-3, 2.2)),
                      nsites=1),
        DefectSpecies("X_i", (ChargeState(2, 0.7, 2), ChargeState(1, 0.9), ChargeState(0, 1.6, 3)), nsites=2),
        DefectSpecies("Y_i", (ChargeState(1, None, 1, 3e17),), nsites=1),
    ]
    return DefectSystem(tuple(sp), TabulatedDOS(e, d, 0.9, nelect=8), volume_A3=60.0, temperature_K=600.0)


@pytest.mark.filterwarnings("ignore::ssbands.errors.ApproximationWarning")  # compares numerics beyond the dilute limit
@pytest.mark.parametrize("T", [250.0, 300.0, 800.0])
@pytest.mark.parametrize("frozen", [True, False])
def test_li_system_matches_py_sc_fermi(T, frozen):
    s = li_system(T, frozen)
    for mu in (-3.0, -1.5, -0.2):
        sol = s.solve(mu_eV={"Li": mu})
        assert_agree(sol, to_peer(s, {"Li": mu}))


def test_small_gap_system_matches_py_sc_fermi():
    s = small_gap_system()
    for T in (300.0, 600.0, 1200.0):
        assert_agree(s.solve(temperature_K=T), to_peer(s, temperature=T))


@pytest.mark.filterwarnings("ignore::ssbands.errors.ApproximationWarning")  # compares numerics beyond the dilute limit
def test_batched_scan_matches_py_sc_fermi_loop():
    s = li_system()
    mus = np.linspace(-3.5, 0.0, 15)
    scan = s.scan("Li", mus)
    for i, mu in enumerate(mus):
        assert_agree(scan.point(i), to_peer(s, {"Li": mu}))


def test_toy_example_yaml_read_by_both_codes():
    """examples/defects/li_electrolyte_toy_pyscfermi.yaml: py-sc-fermi format, DOS from totdos.dat."""
    path = EXAMPLES / "li_electrolyte_toy_pyscfermi.yaml"
    ours = DefectSystem.from_yaml(path)
    peer = PSYS.from_yaml(str(path), dos_file=str(EXAMPLES / "totdos.dat"))
    assert_agree(ours.solve(), peer)
    # and the extended-format twin gives the same Fermi level at mu_Li = -1.5 up to the DOS sampling
    twin = DefectSystem.from_yaml(EXAMPLES / "li_electrolyte_toy.yaml").solve()
    assert twin.fermi_level_eV == pytest.approx(ours.solve().fermi_level_eV, abs=1e-3)


# py-sc-fermi's own example inputs (github.com/bjmorgan/py-sc-fermi, BSD/MIT-licensed test data):
# tests/dummy_inputs/defect_system.yaml verbatim apart from its placeholder inline DOS
# ("dos: [-1,1,1,1,1,1]", which cannot be normalised), replaced by a totdos.dat.
UPSTREAM_YAML = textwrap.dedent("""\
    bandgap: 0.8084
    temperature: 300
    nelect: 18
    volume: 59
    spin_pol: False
    convergence_tolerance: 1.0e-12
    defect_species:
      - name: "v_Ga"
        nsites: 1
        fixed_concentration: 0.32856e+20
        charge_states:
          0:
            charge: 0
            energy: 2.4451
            degeneracy: 1
          -1:
            charge: -1
            energy: 0.0265
            degeneracy: 1
            fixed_concentration: 0.19e+19
          -2:
            charge: -2
            energy: 2.3469
            degeneracy: 1
          -3:
            charge: -3
            energy: 2.7146
            degeneracy: 1
      - name: "Ga_Sb"
        nsites: 1
        charge_states:
          0:
            charge: 0
            energy: 2.649
            degeneracy: 1
          -1:
            charge: -1
            energy: 2.0937
            degeneracy: 1
          -2:
            charge: -2
            energy: 2.2527
            degeneracy: 1
      - name: "Ga_i"
        nsites: 1
        charge_states:
          1:
            charge: 1
            degeneracy: 1
            fixed_concentration:  0.5e+20
    """)

# examples/sc_fermi_example/{input-fermi.dat,unitcell.dat} of py-sc-fermi (SC-Fermi's GaSb example), verbatim
UPSTREAM_INPUT_FERMI = textwrap.dedent("""\
    # Input file for self-consistent Fermi level code 'sc-fermi'
    1
    18
    0.8084
    100
    2
    V_Ga 4 1
    0  2.4451 1
      -1  0.0265 1
      -2  2.3469 1
      -3  2.7146 1
    Ga_Sb 3 1
    0  2.2649 1
      -1  2.0937 1
      -2  2.2527 1
    """)
UPSTREAM_UNITCELL = textwrap.dedent("""\
    #
    # Enter a scaling factor that will multiply the lattice vector components:
    #
    1.00677000000000
    #
    # Now enter lattice vectors as a 3x3 matrix:
    #
    0.0000000000000000    3.0479500000000002    3.0479500000000002
    3.0479500000000002    0.0000000000000000    3.0479500000000002
    3.0479500000000002    3.0479500000000002    0.0000000000000000
    """)


def _write_gasb_dos(path: Path, volume=59.0):
    # GaSb-like: light electrons, heavier holes (a stand-in for the upstream DFT totdos.dat)
    e, d = parabolic_totdos(0.8084, m_h=0.4, m_e=0.041, volume=volume, emin=-5.0, emax=5.0, de=0.004)
    np.savetxt(path, np.column_stack([e, d]), header="energy (eV)  DOS")


def test_upstream_defect_system_yaml(tmp_path):
    (tmp_path / "defect_system.yaml").write_text(UPSTREAM_YAML)
    _write_gasb_dos(tmp_path / "totdos.dat")
    ours = DefectSystem.from_yaml(tmp_path / "defect_system.yaml")   # totdos.dat found next to the YAML
    peer = PSYS.from_yaml(str(tmp_path / "defect_system.yaml"), dos_file=str(tmp_path / "totdos.dat"))
    sol = ours.solve()
    assert_agree(sol, peer)
    # frozen total of v_Ga is conserved, its fixed -1 state kept
    assert sol.total("v_Ga") == pytest.approx(0.32856e20, rel=1e-12)
    assert sol.concentrations_cm3["v_Ga"][-1] == pytest.approx(0.19e19, rel=1e-12)
    for T in (100.0, 600.0):
        peer.temperature = T
        assert_agree(ours.solve(temperature_K=T), peer)


def test_upstream_sc_fermi_example(tmp_path):
    (tmp_path / "input-fermi.dat").write_text(UPSTREAM_INPUT_FERMI)
    (tmp_path / "unitcell.dat").write_text(UPSTREAM_UNITCELL)
    _write_gasb_dos(tmp_path / "totdos.dat", volume=55.0)
    ours = DefectSystem.from_sc_fermi(tmp_path / "input-fermi.dat")
    inp = InputSet.from_sc_fermi_inputs(str(tmp_path / "input-fermi.dat"), str(tmp_path / "unitcell.dat"),
                                        str(tmp_path / "totdos.dat"))
    peer = PSYS.from_input_set(inp)
    assert ours.volume_A3 == pytest.approx(inp.volume, rel=1e-12)
    assert ours.temperature_K == 100
    assert_agree(ours.solve(), peer)
