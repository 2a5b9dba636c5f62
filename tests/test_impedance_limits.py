"""The linearised-PNP impedance against its limits: Macdonald's closed forms, R_bulk ∥ C_geo at high frequency,
the series space-charge capacitances at low frequency (blocking), the DC limit = the excess resistances, Lin-KK."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.cell import fuller2021_stack
from ssbands.constants import E_CHARGE, EPS0, kT_eV
from ssbands.impedance import ElectrodeBC, cell_interfaces, impedance, lin_kk, spectrum
from ssbands.impedance.closedform import homogeneous_blocking, macdonald_equal_diffusivity
from ssbands.scl.finite import Region
from ssbands.scl.species import ChargedSpecies, Electrons, SpeciesSet
from ssbands.scl.transport import independent_resistance

T = 300.0
KT = kT_eV(T)
STACK = fuller2021_stack()
BLOCK, REV = ElectrodeBC("blocking"), ElectrodeBC("reversible")


def homogeneous(Dp, Dm, L_nm=200.0, c=1e18, N=1e26, eps=10.0):
    """A dilute binary electrolyte with no equilibrium space charge (φ0 = 0 at both electrodes)."""
    E = KT * np.log(N / c)
    sp = SpeciesSet((ChargedSpecies("Li_i+", 1, N, E, 1.0, diffusivity_cm2_s=Dp),
                     ChargedSpecies("V_Li-", -1, N, E, 1.0, diffusivity_cm2_s=Dm)), eps, T)
    cc = float(sp.species[0].concentration(0.0, T)) * 1e6
    sig = np.array([E_CHARGE * D * 1e-4 * cc / KT for D in (Dp, Dm)])
    C = np.full(2, E_CHARGE * cc / KT * (1 - cc / (N * 1e6)))
    return Region("SE", L_nm, sp, 0.0), sig, C


F_HOM = np.geomspace(1e-1, 1e10, 45)


def test_macdonald_equal_diffusivities():
    reg, sig, C = homogeneous(1e-8, 1e-8)
    s = spectrum([reg], 0.0, 0.0, F_HOM, transport="independent", richardson=True)
    lam = np.sqrt(10 * EPS0 / C.sum())
    ref = macdonald_equal_diffusivity(2 * np.pi * F_HOM, 200e-9, sig.sum(), 10.0, lam)
    np.testing.assert_allclose(s.Z_ohm_cm2, ref, rtol=1e-5)
    # low frequency: the two diffuse-layer capacitances ε/λ in series
    C_low = -1.0 / (2 * np.pi * F_HOM[0] * s.Z_ohm_cm2[0].imag) * 1e4  # F/m²
    assert C_low == pytest.approx(10 * EPS0 / lam / 2, rel=1e-3)
    np.testing.assert_allclose(homogeneous_blocking(2 * np.pi * F_HOM, 200e-9, sig, C, 10.0), ref, rtol=1e-10)


@pytest.mark.parametrize("transport", ["independent", "local-equilibrium"])
def test_macdonald_unequal_diffusivities(transport):
    """Macdonald's unequal-mobility case (exact solution of the homogeneous problem); local equilibrium is the
    same problem with one merged rail, i.e. the carriers' sum."""
    reg, sig, C = homogeneous(1e-8, 4e-10)
    s = spectrum([reg], 0.0, 0.0, F_HOM, transport=transport, richardson=True)
    if transport == "independent":
        ref = homogeneous_blocking(2 * np.pi * F_HOM, 200e-9, sig, C, 10.0)
    else:
        ref = homogeneous_blocking(2 * np.pi * F_HOM, 200e-9, [sig.sum()], [C.sum()], 10.0)
    np.testing.assert_allclose(s.Z_ohm_cm2, ref, rtol=1e-5)


def lipon_regions(ocv, split=None):
    """The LiPON electrolyte of the thin-film cell at an OCV (both space-charge layers) and its interfaces."""
    from ssbands.impedance.cell import electrolyte_region
    from ssbands.scl.transport import defect_transport

    ifs = cell_interfaces(STACK, ocv, carrier_split=split)
    reg = electrolyte_region(STACK, defect_transport(STACK.electrolyte.material, T, carrier_split=split))
    return reg, ifs, (-ifs[0]["phi0_V"], -ifs[1]["phi0_V"])


def test_high_frequency_is_bulk_resistance_parallel_geometric_capacitance():
    reg, _, (pl, pr) = lipon_regions(3.75)
    f = np.array([1e7, 1e8, 1e9, 1e10])
    Rb = 100.0  # L/σ = 1e-4 cm / 1e-6 S/cm
    Cg = 7.3 * EPS0 / 1e-6 * 1e-4  # F/cm²
    Zrc = Rb / (1 + 2j * np.pi * f * Rb * Cg)
    for bc in (BLOCK, REV):
        s = spectrum([reg], pl, pr, f, left=bc, right=bc)
        dev = np.abs(s.Z_ohm_cm2 / Zrc - 1)
        assert np.all(np.diff(dev) < 0) and dev[-1] < 5e-5 and dev[1] < 5e-4


@pytest.mark.parametrize("ocv", [0.5, 3.75])
def test_blocking_low_frequency_is_the_series_of_the_layer_capacitances(ocv):
    """C = −1/(ω Im Z) → (1/C_L + 1/C_R)⁻¹ with C from the first integral (both signs of φ0 appear: 3.75 V has
    φ0 > 0 at the anode and < 0 at the cathode)."""
    reg, ifs, (pl, pr) = lipon_regions(ocv)
    s = spectrum([reg], pl, pr, [1e-5], richardson=True)
    C = -1.0 / (2 * np.pi * 1e-5 * s.Z_ohm_cm2[0].imag) * 1e6  # µF/cm²
    Cs = 1.0 / (1.0 / ifs[0]["C_scl_uF_per_cm2"] + 1.0 / ifs[1]["C_scl_uF_per_cm2"])
    assert C == pytest.approx(Cs, rel=1e-6)
    if ocv == 3.75:
        assert ifs[0]["phi0_V"] > 0 > ifs[1]["phi0_V"]


def test_blocking_low_frequency_independent_carriers_conserve_their_numbers():
    """Without exchange each defect's number is conserved, so the layers draw their charge from a bulk of finite
    chemical capacitance (e²c∞L/kT per defect): C → C_series (1 − a/L), reaching the first-integral value as
    L → ∞ (LiPON's c∞ ≈ 9e17 cm⁻³ makes a ≈ 32 nm)."""
    reg, ifs, (pl, pr) = lipon_regions(3.75, split=0.5)
    Cs = 1.0 / (1.0 / ifs[0]["C_scl_uF_per_cm2"] + 1.0 / ifs[1]["C_scl_uF_per_cm2"])
    a = []
    for L in (4000.0, 16000.0):
        r = Region(reg.name, L, reg.species, 0.0)
        s = spectrum([r], pl, pr, [1e-8], transport="independent", richardson=True)
        C = -1.0 / (2 * np.pi * 1e-8 * s.Z_ohm_cm2[0].imag) * 1e6
        a.append((1 - C / Cs) * L)
    assert 25.0 < a[1] < 40.0 and a[0] == pytest.approx(a[1], rel=0.05)


@pytest.mark.parametrize("ocv", [0.5, 3.75])
def test_dc_limit_is_bulk_plus_excess_resistances_local_equilibrium(ocv):
    reg, ifs, (pl, pr) = lipon_regions(ocv)
    s = spectrum([reg], pl, pr, [1e-6, 1e-3], left=REV, right=REV, richardson=True)
    expect = 100.0 + ifs[0]["R_exc_ohm_cm2"] + ifs[1]["R_exc_ohm_cm2"]
    assert s.R_dc_ohm_cm2 == pytest.approx(expect, rel=1e-6)
    assert s.Z_ohm_cm2[0].real == pytest.approx(s.R_dc_ohm_cm2, rel=1e-9)
    assert abs(s.Z_ohm_cm2[0].imag) < 1e-6 * s.R_dc_ohm_cm2


@pytest.mark.parametrize("split", [None, 0.3])
def test_dc_limit_independent_carriers(split):
    """Each carrier its own path: 1/R = Σ_k 1/(L/σ_k + a_k,left + a_k,right) with the first-integral a_k."""
    from ssbands.scl.transport import excess_resistance

    reg, ifs, (pl, pr) = lipon_regions(3.75, split=split)
    s = spectrum([reg], pl, pr, [1e-3], left=REV, right=REV, transport="independent", richardson=True)
    sp = reg.species.species
    ex = excess_resistance(np.array([ifs[0]["phi0_V"], ifs[1]["phi0_V"]]), 3.957e22, 0.275, 7.3, 0.1, T,
                           diffusivity_Li_i_cm2_s=sp[0].diffusivity_cm2_s,
                           diffusivity_V_Li_cm2_s=sp[1].diffusivity_cm2_s)
    sig = (ex["conductivity_Li_i_S_cm"][0], ex["conductivity_V_Li_S_cm"][0])
    a = (ex["excess_Li_i_ohm_cm2"].sum(), ex["excess_V_Li_ohm_cm2"].sum())
    assert s.R_dc_ohm_cm2 == pytest.approx(independent_resistance(1000.0, sig, a), rel=1e-6)


def test_dc_limit_butler_volmer_adds_the_charge_transfer_resistances():
    reg, ifs, (pl, pr) = lipon_regions(0.5)
    rev = spectrum([reg], pl, pr, [1e-3], left=REV, right=REV)
    bv = spectrum([reg], pl, pr, [1e-3], left=ElectrodeBC("butler-volmer", 40.0),
                  right=ElectrodeBC("butler-volmer", 7.0))
    assert bv.R_dc_ohm_cm2 == pytest.approx(rev.R_dc_ohm_cm2 + 47.0, rel=1e-12)
    assert bv.Z_ohm_cm2[0].real == pytest.approx(bv.R_dc_ohm_cm2, rel=1e-7)


def test_exchange_rate_connects_the_two_limits():
    reg, _, (pl, pr) = lipon_regions(0.5, split=0.2)
    f = np.geomspace(1e-2, 1e8, 30)
    loc = spectrum([reg], pl, pr, f, left=REV, right=REV)
    ind = spectrum([reg], pl, pr, f, left=REV, right=REV, transport="independent")
    slow = spectrum([reg], pl, pr, f, left=REV, right=REV, transport="independent", exchange_rate_cm3_s=1e-30)
    fast = spectrum([reg], pl, pr, f, left=REV, right=REV, transport="independent", exchange_rate_cm3_s=1e28)
    np.testing.assert_allclose(slow.Z_ohm_cm2, ind.Z_ohm_cm2, rtol=1e-9)
    np.testing.assert_allclose(fast.Z_ohm_cm2, loc.Z_ohm_cm2, rtol=1e-5)
    assert np.max(np.abs(ind.Z_ohm_cm2 / loc.Z_ohm_cm2 - 1)) > 1e-2


def test_schur_reduction_matches_the_banded_lu():
    reg, _, (pl, pr) = lipon_regions(3.75)
    s = spectrum([reg], pl, pr, [1.0], left=REV, right=ElectrodeBC("butler-volmer", 5.0), transport="independent")
    f = np.geomspace(1e0, 1e8, 12)  # (the banded LU loses Re Z below ~1 Hz; the ladder reduction does not)
    w = 2 * np.pi * f
    np.testing.assert_allclose(s.network.solve(w), s.network.solve(w, method="banded"), rtol=1e-7)


def test_electrons_conduct_through_ohmic_contacts():
    """A mixed conductor: ions blocked, electrons ohmic at the metals — the DC resistance is the electrons'
    bulk plus the electron excess of each layer (first integral of the general species set)."""
    from ssbands.scl.species import GeneralLayer
    from ssbands.scl.transport import excess_resistance_layer

    ions = (ChargedSpecies("Li_i+", 1, 1e22, 0.3, 0.1, diffusivity_cm2_s=1e-9),
            ChargedSpecies("V_Li-", -1, 1e22, 0.3, 0.1, diffusivity_cm2_s=1e-9))
    sp = SpeciesSet(ions + (Electrons(0.7, 2.5e19, diffusivity_cm2_s=0.1),), 8.0, T)
    sp = sp.shifted(sp.neutral_potential_V())
    reg = Region("MIEC", 300.0, sp, 0.0)
    s = spectrum([reg], -0.2, 0.15, np.geomspace(1e-2, 1e9, 150), richardson=True)
    assert s.network.rails == ["ions", "e-"]
    n_bulk = float(sp.species[2].concentration(0.0, T))
    R = 300e-7 / (E_CHARGE * 0.1 * n_bulk / KT)
    for phi0 in (0.2, -0.15):
        R += excess_resistance_layer(GeneralLayer(sp, phi0), transport="independent")["excess_ohm_cm2"]["e-"]
    assert s.R_dc_ohm_cm2 == pytest.approx(R, rel=1e-5)
    assert lin_kk(s.frequency_Hz, s.Z_ohm_cm2).max_residual < 1e-3


CASES = [(el, tr, ocv) for el in ("blocking", "reversible", "butler-volmer")
         for tr in ("local-equilibrium", "independent") for ocv in (0.5, 3.75)]


@pytest.mark.parametrize("electrodes,transport,ocv", CASES)
def test_every_spectrum_passes_lin_kk(electrodes, transport, ocv):
    ds = impedance(STACK, ocv, electrodes=electrodes, transport=transport, fit=False,
                   kinetics={"i0_A_cm2": 1e-3, "alpha_t": 0.5})
    f = ds["frequency"].values
    Z = ds["Z_real_ohm_cm2"].values + 1j * ds["Z_imag_ohm_cm2"].values
    assert f.size == 200
    assert lin_kk(f, Z).max_residual <= 1e-3
    # the test has teeth: a spectrum with a real part that violates Kramers–Kronig fails it
    broken = Z + 0.05 * np.abs(Z) * np.exp(-np.log10(f / np.sqrt(f[0] * f[-1])) ** 2)
    assert lin_kk(f, broken).max_residual > 5e-3


def test_interlayer_stack_two_regions():
    """Li | LiF (10 nm) | LiPON (300 nm) | electrode: the carriers cross the junction (the same species names
    continue), the spectrum is Kramers–Kronig consistent and its DC limit is the network's own."""
    def two_defect(N, E, eps, Dp, Dm):
        return SpeciesSet((ChargedSpecies("Li_i+", 1, N, E, 0.1, diffusivity_cm2_s=Dp),
                           ChargedSpecies("V_Li-", -1, N, E, 0.1, diffusivity_cm2_s=Dm)), eps, T)

    regs = [Region("LiF", 10.0, two_defect(5.98412e22, 0.9733510, 9.0, 1e-9, 1e-9), 1.916),
            Region("LiPON", 300.0, two_defect(3.957e22, 0.275, 7.3, 1e-9, 1e-7), 1.24)]
    f = np.geomspace(1e-2, 1e10, 150)
    for transport in ("local-equilibrium", "independent"):
        s = spectrum(regs, 0.0, 1.24, f, left=REV, right=REV, transport=transport)
        assert lin_kk(f, s.Z_ohm_cm2).max_residual < 1e-3
        assert s.network.solve([1e-9])[0] * 1e4 == pytest.approx(s.R_dc_ohm_cm2, rel=1e-8)
        assert np.isfinite(s.R_dc_ohm_cm2) and s.R_dc_ohm_cm2 > 0
