"""The shared band-carrier numerics (ssbands._numerics): one F_{1/2}, one band-carrier density."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from ssbands import _numerics
from ssbands._numerics import (
    band_carrier_density,
    effective_density_of_states_cm3,
    fermi_dirac_half,
    log_band_carrier_density,
    log_fermi_dirac_minus_half,
)
from ssbands.errors import InputError


def test_defects_and_scl_share_one_implementation():
    import ssbands.defects as defects
    import ssbands.scl as scl
    import ssbands.scl.species as species

    assert defects.fermi_dirac_half is species.fermi_dirac_half is scl.fermi_dirac_half is fermi_dirac_half
    assert defects.log_fermi_dirac_half is _numerics.log_fermi_dirac_half


@pytest.mark.parametrize("eta", [-300.0, -30.0, -1.0, -0.2, 0.0, 1.5, 12.0, 39.0, 40.0, 41.0, 80.0, 500.0])
def test_fermi_dirac_minus_half_against_mpmath(eta):
    ref = float(mpmath.re(-mpmath.polylog(0.5, -mpmath.exp(eta))))
    rtol = 1e-12 if eta <= 40 else 1e-9
    assert np.exp(log_fermi_dirac_minus_half(np.array([eta])))[0] == pytest.approx(ref, rel=rtol)


def test_derivative_is_the_slope_of_f_half():
    eta = np.array([-5.0, -0.5, 0.3, 7.0, 30.0, 60.0])
    h = 1e-5
    _, d = fermi_dirac_half(eta, derivative=True)
    fd = (fermi_dirac_half(eta + h) - fermi_dirac_half(eta - h)) / (2 * h)
    np.testing.assert_allclose(d, fd, rtol=1e-8)


def test_log_forms_do_not_underflow():
    eta = np.array([-1e4, -900.0])
    np.testing.assert_allclose(log_fermi_dirac_minus_half(eta), eta, rtol=0, atol=1e-12)
    np.testing.assert_allclose(log_band_carrier_density(eta, 1e19), np.log(1e19) + eta, rtol=1e-15)


def test_band_carrier_density_statistics():
    eta = np.array([-40.0, -26.0, -24.0, -2.0, 0.0, 3.0])
    N = 2.5e19
    boltz, dboltz = band_carrier_density(eta, N, "boltzmann", derivative=True)
    np.testing.assert_array_equal(boltz, N * np.exp(eta))
    np.testing.assert_array_equal(dboltz, boltz)
    fd, dfd = band_carrier_density(eta, N, "fermi-dirac", derivative=True)
    f, d = fermi_dirac_half(eta, derivative=True)
    np.testing.assert_array_equal(fd, N * f)
    np.testing.assert_array_equal(dfd, N * d)
    auto = band_carrier_density(eta, N, "auto")
    np.testing.assert_array_equal(auto[:2], boltz[:2])   # η ≤ −25: Boltzmann
    np.testing.assert_array_equal(auto[2:], fd[2:])      # η > −25: Fermi–Dirac
    assert band_carrier_density(np.float64(0.5), N).shape == ()
    with pytest.raises(InputError, match="statistics"):
        band_carrier_density(eta, N, "maxwell")


def test_effective_density_of_states_free_electron_mass():
    # N_c(300 K, m0) = 2.51e19 cm^-3 (Sze & Ng, Table 1.4 scale)
    assert float(effective_density_of_states_cm3(300.0, 1.0)) == pytest.approx(2.5094e19, rel=1e-4)
    assert float(effective_density_of_states_cm3(600.0, 0.5)) == pytest.approx(
        float(effective_density_of_states_cm3(300.0, 1.0)), rel=1e-12)
