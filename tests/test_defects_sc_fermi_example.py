"""ssbands.defects against py-sc-fermi on py-sc-fermi's own SC-Fermi example inputs.

The inputs in tests/data/py_sc_fermi/ (input-fermi.dat, unitcell.dat, totdos.dat) are copied
verbatim from github.com/bjmorgan/py-sc-fermi (MIT licence; see NOTICE.md there). They describe
the GaSb example: V_Ga and Ga_Sb, 18 electrons, gap 0.8084 eV, 100 K, with a real DFT DOS.
Both codes read the same files; the self-consistent Fermi level must agree to 1e-6 eV and every
concentration (and both carrier densities) to 1e-6 relative.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning:pymatgen.*")]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pytest.importorskip("py_sc_fermi")
    from py_sc_fermi.defect_system import DefectSystem as PSYS
    from py_sc_fermi.inputs import InputSet

from ssbands.defects import DefectSystem  # noqa: E402 - after the skip

DATA = Path(__file__).resolve().parent / "data" / "py_sc_fermi"
INPUT, UNITCELL, TOTDOS = DATA / "input-fermi.dat", DATA / "unitcell.dat", DATA / "totdos.dat"
E_TOL = 1e-6      # eV (acceptance)
C_RTOL = 1e-6     # relative (acceptance)
INPUT_T = 100.0   # temperature written in input-fermi.dat


def peer_system(temperature_K: float | None = None) -> PSYS:
    """py-sc-fermi's own reading of the three files (optionally at another temperature)."""
    inputs = InputSet.from_sc_fermi_inputs(str(INPUT), str(UNITCELL), str(TOTDOS))
    peer = PSYS.from_input_set(inputs)
    if temperature_K is not None:
        peer.temperature = temperature_K
    return peer


def compare(sol, peer: PSYS) -> dict[str, float]:
    """Assert agreement; return the largest differences seen (for the record)."""
    ef, _ = peer.get_sc_fermi()
    ref = peer.concentration_dict(decomposed=True)
    worst = {"dE_eV": abs(sol.fermi_level_eV - ef), "rel_conc": 0.0, "rel_carriers": 0.0}
    assert worst["dE_eV"] < E_TOL, (sol.fermi_level_eV, ef)
    assert set(sol.concentrations_cm3) == {s.name for s in peer.defect_species}
    for name, per_q in sol.concentrations_cm3.items():
        assert set(per_q) == set(ref[name]), name
        for q, c in per_q.items():
            assert c == pytest.approx(ref[name][q], rel=C_RTOL, abs=1e-300), (name, q, c, ref[name][q])
            if ref[name][q] > 0:
                worst["rel_conc"] = max(worst["rel_conc"], abs(c / ref[name][q] - 1.0))
    for ours, key in ((sol.electrons_cm3, "n0"), (sol.holes_cm3, "p0")):
        assert ours == pytest.approx(ref[key], rel=C_RTOL, abs=1e-300), (key, ours, ref[key])
        worst["rel_carriers"] = max(worst["rel_carriers"], abs(ours / ref[key] - 1.0))
    return worst


def test_example_files_are_the_upstream_copies():
    """Guard against accidental edits: sizes and shape recorded in NOTICE.md."""
    assert {p.name: p.stat().st_size for p in (INPUT, UNITCELL, TOTDOS)} == {
        "input-fermi.dat": 1298, "unitcell.dat": 339, "totdos.dat": 63768}
    data = np.loadtxt(TOTDOS, comments="#")
    assert data.shape == (1301, 2)
    assert np.ptp(np.diff(data[:, 0])) < 1e-9          # uniform energy grid
    assert data[0, 0] < 0.0 < 0.8084 < data[-1, 0]      # brackets the VBM and the gap


def test_both_codes_read_the_same_system():
    ours = DefectSystem.from_sc_fermi(INPUT)
    peer = peer_system()
    assert ours.temperature_K == pytest.approx(peer.temperature) == INPUT_T
    assert ours.volume_A3 == pytest.approx(peer.volume, rel=1e-12)
    assert ours.band_gap_eV == pytest.approx(peer.dos.bandgap)
    assert ours.bands.nelect == peer.dos.nelect == 18
    np.testing.assert_array_equal(np.asarray(ours.bands.energies_eV), peer.dos.edos)
    assert ours.names == tuple(s.name for s in peer.defect_species) == ("V_Ga", "Ga_Sb")
    for s in ours.species:
        ps = peer.defect_species_by_name(s.name)
        assert s.nsites == ps.nsites
        assert set(s.charges) == set(ps.charge_states)
        for c in s.charge_states:
            pc = ps.charge_states[c.charge]
            assert c.energy == pytest.approx(pc.energy) and c.degeneracy == pc.degeneracy


@pytest.mark.parametrize("T", [None, 300.0, 1000.0], ids=["input_100K", "300K", "1000K"])
def test_sc_fermi_example_matches_py_sc_fermi(T):
    ours = DefectSystem.from_sc_fermi(INPUT)
    sol = ours.solve(temperature_K=T)
    worst = compare(sol, peer_system(T))
    assert worst["dE_eV"] < E_TOL
    # the example is strongly p-type: V_Ga(-1) compensated by holes, E_F near (below) the VBM
    assert sol.holes_cm3 > sol.electrons_cm3
    assert sol.concentrations_cm3["V_Ga"][-1] == pytest.approx(sol.holes_cm3, rel=1e-3)


def test_explicit_paths_and_volume_give_the_same_answer(tmp_path, monkeypatch):
    """Explicit unitcell/totdos paths, or a given volume, from an unrelated working directory."""
    monkeypatch.chdir(tmp_path)
    default = DefectSystem.from_sc_fermi(INPUT).solve()
    explicit = DefectSystem.from_sc_fermi(str(INPUT), unitcell_file=str(UNITCELL), totdos_file=str(TOTDOS)).solve()
    by_volume = DefectSystem.from_sc_fermi(INPUT, volume_A3=peer_system().volume, totdos_file=TOTDOS).solve()
    for other in (explicit, by_volume):
        assert other.fermi_level_eV == pytest.approx(default.fermi_level_eV, abs=1e-12)
        for name, per_q in default.concentrations_cm3.items():
            for q, c in per_q.items():
                assert other.concentrations_cm3[name][q] == pytest.approx(c, rel=1e-10, abs=1e-300)
