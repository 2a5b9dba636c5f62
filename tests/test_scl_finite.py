"""Finite electrolytes, overlapping layers and interlayers: the boundary-value solver."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.errors import ConvergenceError, InputError
from ssbands.scl import SpaceChargeLayer, first_integral
from ssbands.scl.finite import Region, graded_mesh, solve_finite_layer, solve_interlayer_stack, solve_stack
from ssbands.scl.species import GeneralLayer, SpeciesSet, two_defect_species

SWIFT = {
    "LLZO": (1.6216363, 3.27455e22, 0.0143907, 50.0),
    "Li2O(110)": (0.7104937, 8.08106e22, 0.8601251, 7.27),
    "LiPON": (1.24, 3.957e22, 0.275, 7.3),
}


def species(name):
    _, N, E, eps = SWIFT[name]
    return SpeciesSet(two_defect_species(N, E, 0.1), eps, 300.0)


@pytest.mark.parametrize("name", list(SWIFT))
@pytest.mark.parametrize("sign", [1, -1])
def test_thick_se_limit_equals_first_integral(name, sign):
    phi0 = sign * SWIFT[name][0]
    sp = species(name)
    S = SpaceChargeLayer(phi0, *SWIFT[name][1:])
    L = max(40 * sp.debye_length_m() * 1e9, 3 * S.extent_nm(1e-3))
    sol = solve_finite_layer(sp, L, phi0, 0.0)
    np.testing.assert_allclose(sol.phi_V, S.potential(sol.x_nm), rtol=0, atol=1e-6)
    r = first_integral(phi0, *SWIFT[name][1:])
    assert sol.sigma_left_C_per_m2 == pytest.approx(float(r.sigma_C_per_m2), rel=1e-6)
    # Gauss: the SE's charge is minus the electrodes' charge, and the whole cell is neutral
    assert sol.charge_C_per_m2[0] == pytest.approx(-(sol.sigma_left_C_per_m2 + sol.sigma_right_C_per_m2), rel=1e-9)
    assert abs(sol.total_charge_C_per_m2) < 1e-9 * abs(sol.sigma_left_C_per_m2)


def test_gauss_law_by_independent_quadrature_of_concentrations():
    """SCL charge from the concentrations (spline-integrated, not the scheme's own sum) = −electrode charge."""
    sp = species("LiPON")
    sol = solve_finite_layer(sp, 12.0, 1.24, 0.4)
    x, (cp, cm) = sol.concentrations(0)
    from scipy.integrate import simpson

    q = 1.602176634e-19 * 1e6 * simpson(cp - cm, x=x * 1e-9)
    assert q == pytest.approx(-(sol.sigma_left_C_per_m2 + sol.sigma_right_C_per_m2), rel=1e-4)


@pytest.mark.parametrize("L_nm", [1.0, 3.0, 20.0])
def test_symmetric_cell_is_symmetric(L_nm):
    sp = species("LiPON")
    sol = solve_finite_layer(sp, L_nm, 1.24)  # Li | LiPON | Li
    xm = np.clip(L_nm - sol.x_nm[::-1], 0.0, L_nm)
    np.testing.assert_allclose(sol.potential(xm), sol.phi_V[::-1], atol=1e-9)
    assert sol.sigma_left_C_per_m2 == pytest.approx(sol.sigma_right_C_per_m2, rel=1e-9)
    assert abs(sol.total_charge_C_per_m2) < 1e-9 * abs(sol.sigma_left_C_per_m2)
    # a half cell with zero field at the mid-plane is the same solution
    half = solve_finite_layer(sp, L_nm / 2, 1.24, right="neumann")
    assert half.sigma_left_C_per_m2 == pytest.approx(sol.sigma_left_C_per_m2, rel=1e-7)
    assert half.phi_V[-1] == pytest.approx(float(sol.potential(np.array([L_nm / 2]))[0]), abs=1e-5)
    np.testing.assert_allclose(half.phi_V, sol.potential(half.x_nm), atol=1e-5)  # (spline between nodes)


def test_overlapping_layers_thin_se_never_reaches_bulk_and_holds_less_charge():
    sp = species("LiPON")
    thick = first_integral(1.24, *SWIFT["LiPON"][1:])
    thin = solve_finite_layer(sp, 2.0, 1.24)
    assert np.max(thin.phi_V) < -0.01  # the mid-plane stays far from the bulk potential 0
    assert abs(thin.sigma_left_C_per_m2) < abs(float(thick.sigma_C_per_m2))


def test_interlayer_stack_continuity_of_phi_and_D():
    li_f = SpeciesSet(two_defect_species(5.98412e22, 0.9733510, 0.1), 9.0, 300.0)
    lipon = species("LiPON")
    sol = solve_interlayer_stack(li_f, 5.0, 1.9160631, lipon, 1.24)
    k = int(np.argmin(np.abs(sol.x_nm - 5.0)))
    assert sol.x_nm[k] == pytest.approx(5.0)
    # one-sided second-order derivatives on each side of the junction: D continuous
    xl, pl = sol.x_nm[k - 2:k + 1] * 1e-9, sol.phi_V[k - 2:k + 1]
    xr, pr = sol.x_nm[k:k + 3] * 1e-9, sol.phi_V[k:k + 3]
    dl = np.polyfit(xl - xl[-1], pl, 2)[1]
    dr = np.polyfit(xr - xr[0], pr, 2)[1]
    assert 9.0 * dl == pytest.approx(7.3 * dr, rel=2e-2)
    assert abs(sol.total_charge_C_per_m2) < 1e-9 * abs(sol.sigma_left_C_per_m2)
    # far end: the SE bulk
    assert sol.phi_V[-1] == pytest.approx(1.24)


def test_general_species_finite_thick_limit():
    from ssbands.scl.species import ChargedSpecies

    sp = SpeciesSet((ChargedSpecies("Li+", 1, 1e22, 0.0, 1.0), ChargedSpecies("A-", -1, mobile=False,
                                                                           concentration_cm3=1e19)), 10.0)
    sp = sp.shifted(sp.neutral_potential_V())
    lay = GeneralLayer(sp, -0.3)
    sol = solve_finite_layer(sp, 3 * lay.extent_nm(1e-9), -0.3, 0.0)
    np.testing.assert_allclose(sol.phi_V, lay.potential(sol.x_nm), atol=1e-6)


def test_convergence_failure_carries_history_and_parameters():
    sp = species("LLZO")
    with pytest.raises(ConvergenceError) as ei:
        solve_finite_layer(sp, 5.0, 1.6, 0.0, max_iter=1)
    d = ei.value.diagnostics
    assert d["residual_history"] and "regions" in d and "phi_left_V" in d


def test_bad_inputs():
    sp = species("LLZO")
    with pytest.raises(InputError):
        Region("x", -1.0, sp)
    with pytest.raises(InputError):
        solve_stack([Region("x", 1.0, sp)], 0.0, None)
    with pytest.raises(InputError):
        solve_stack([Region("x", 1.0, sp)], 0.0, 0.0, right="robin")


def test_graded_mesh():
    x = graded_mesh(10.0, 0.01, 1.05, 0.5)
    assert x[0] == 0 and x[-1] == 10.0 and np.all(np.diff(x) > 0)
    assert np.diff(x)[0] == pytest.approx(0.01) and np.diff(x)[-1] == pytest.approx(0.01)
    assert np.max(np.diff(x)) <= 0.5 * 1.5
