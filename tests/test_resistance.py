"""Interface resistance (MODEL.md §5): SCL series integral, Mott–Schottky limit, Frumkin correction."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.constants import kT_eV
from ssbands.errors import InputError, UnknownParameterError
from ssbands.materials.library import load_library
from ssbands.scl.approx import mott_schottky_width
from ssbands.scl.resistance import (
    frumkin_rct,
    interface_resistance,
    mott_schottky_ratio,
    scl_resistance,
    scl_resistance_layer,
)
from ssbands.scl.species import ChargedSpecies, GeneralLayer, SpeciesSet, two_defect_species

LIPON = (3.957e22, 0.275, 7.3)


def depleted_layer(phi0, c=1e18, sigma=1e-6):
    sp = SpeciesSet((ChargedSpecies("Li+", 1, 1e26, 0.0, 1.0), ChargedSpecies("A-", -1, mobile=False,
                                                                           concentration_cm3=c)), 7.3)
    sp = sp.shifted(sp.neutral_potential_V())
    return GeneralLayer(sp, -phi0), sp


def test_r_scl_tends_to_bulk_as_phi0_vanishes():
    phi0 = np.array([0.3, 0.03, 3e-3, 1e-3])
    r = scl_resistance(phi0, *LIPON, bulk_conductivity_S_cm=1e-6)
    assert np.all(np.abs(r["R_ratio"] - 1) < np.array([1, 0.1, 2e-3, 5e-4]))
    assert abs(r["R_ratio"][-1] - 1) < abs(r["R_ratio"][-2] - 1) < abs(r["R_ratio"][-3] - 1)
    # the general-species path gives the same numbers
    sp = SpeciesSet(two_defect_species(LIPON[0], LIPON[1], 0.1), LIPON[2])
    g = scl_resistance_layer(GeneralLayer(sp, 0.3), bulk_conductivity_S_cm=1e-6)
    assert g["R_scl_ohm_cm2"] == pytest.approx(float(r["R_scl_ohm_cm2"][0]), rel=1e-7)
    assert g["R_ratio"] == pytest.approx(float(r["R_ratio"][0]), rel=1e-7)


def test_accumulated_layer_negligible_depleted_layer_thin_film_magnitude():
    """de Klerk & Wagemaker: negligible unless depleted; thin-film oxide cells: 7.6-10 Ω cm²."""
    lib = load_library()
    acc = interface_resistance(lib["LiPON"], 1.24)  # Li|LiPON, two-defect model: one defect accumulates
    assert acc["R_ratio"] < 1.0 and acc["R_excess_ohm_cm2"] < 0 and acc["R_scl_ohm_cm2"] < 2.0
    lay, _ = depleted_layer(0.1)  # Li+ depleted over ~8 nm, σ_bulk 1e-6 S/cm
    dep = scl_resistance_layer(lay, bulk_conductivity_S_cm=1e-6)
    assert 1.0 < dep["R_scl_ohm_cm2"] < 100.0  # the order of the thin-film 7.6-10 Ω cm²
    assert dep["R_ratio"] > 3.0


@pytest.mark.parametrize("phi0", [0.5, 0.8])
def test_depleted_layer_mott_schottky_limit(phi0):
    """ρ_SCL/ρ_∞ over the depletion width → exp(f0)/(2 f0) (asymptotic, corrections O(1/f0))."""
    c = 1e18
    lay, sp = depleted_layer(phi0, c)
    w = float(mott_schottky_width(phi0, c, 7.3))
    x = np.linspace(0, w, 20001)
    cq = sp.species[0].concentration(lay.potential(x))
    ratio = np.trapezoid(1.0 / cq, x) / (w / float(sp.species[0].concentration(0.0)))
    f0 = phi0 / kT_eV(300.0)
    assert ratio == pytest.approx(float(mott_schottky_ratio(phi0)), rel=2.0 / f0)


def test_frumkin_and_interface_resistance_keys():
    kt = kT_eV(300.0)
    rct, i0app = frumkin_rct(1e-3, 0.5, -0.1)
    assert i0app == pytest.approx(1e-3 * np.exp(0.5 * 0.1 / kt))
    assert rct == pytest.approx(kt / i0app)
    lib = load_library()
    out = interface_resistance(lib["LiPON"], np.array([0.5, 1.24]), i0_A_cm2=1e-3, alpha_t=0.5)
    for k in ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio", "R_ct_ohm_cm2"):
        assert out[k].shape == (2,) and np.all(np.isfinite(out[k]))
    assert out["R_ct_ohm_cm2"][1] == pytest.approx(kt / (1e-3 * np.exp(0.5 * 1.24 / kt)))
    with pytest.raises(InputError):
        interface_resistance(lib["LiPON"], 1.0, i0_A_cm2=1e-3)


def test_unknown_material_data_raise_the_library_error():
    lib = load_library()
    with pytest.raises(UnknownParameterError, match="LLZO.*ionic_conductivity_S_cm"):
        interface_resistance(lib["LLZO"], 1.0)
    with pytest.raises(UnknownParameterError, match="site_density_cm3"):
        interface_resistance(lib["LATP"], 1.0)


def test_temperature_dependence_uses_activation_energy(tmp_path):
    lib = load_library()
    r300 = interface_resistance(lib["LiPON"], 0.5, 300.0)
    r350 = interface_resistance(lib["LiPON"], 0.5, 350.0)
    assert r350["R_bulk_same_length_ohm_cm2"] < r300["R_bulk_same_length_ohm_cm2"]
    p = tmp_path / "lib.yaml"
    p.write_text("materials:\n  LiPON: {activation_energy_eV: unknown}\n")
    with pytest.raises(UnknownParameterError, match="activation_energy_eV"):
        interface_resistance(load_library(extra=p)["LiPON"], 0.5, 350.0)
