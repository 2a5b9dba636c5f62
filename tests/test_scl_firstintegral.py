"""Semi-infinite Poisson–Fermi–Dirac layer: against independent high-precision and analytic solutions."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssbands.constants import E_CHARGE, EPS0, K_B, kT_eV
from ssbands.errors import InputError
from ssbands.scl import SpaceChargeLayer, first_integral, g_of_f, rhs_of_f

mp.mp.dps = 30
SWIFT = {  # MODEL.md §3: phi0, N, E_f0, eps
    "LLZO": (1.6216363, 3.27455e22, 0.0143907, 50.0),
    "LiF": (1.9160631, 5.98412e22, 0.9733510, 9.0),
    "Li2CO3": (1.8444179, 1.64941e22, 0.9110166, 5.64),
    "Li2O(111)": (2.1833214, 8.08106e22, 0.8601251, 7.27),
    "Li2O(110)": (0.7104937, 8.08106e22, 0.8601251, 7.27),
}


def mp_rhs(f, B):
    """f'' from the defect concentrations c±/(αN) = 1/(1 + B e^{∓f}), in mpmath."""
    return 1 / (B * mp.e ** (-f) + 1) - 1 / (B * mp.e ** f + 1)


def mp_g(f, B):
    """−U(f) by quadrature of f'' (independent of the closed form)."""
    return mp.quad(lambda t: mp_rhs(t, B), [0, f])


def mp_g_closed(f, B):
    """−U(f) = ln[(1 + B² + 2B cosh f)/(1 + B)²] = log1p(4B sinh²(f/2)/(1 + B)²), 30 digits
    (checked against the quadrature mp_g above)."""
    return mp.log1p(4 * B * mp.sinh(f / 2) ** 2 / (1 + B) ** 2)


@pytest.mark.parametrize("f0", [1e-6, 0.3, 5.0, 40.0, 90.0])
@pytest.mark.parametrize("lnB", [np.log(1e-3), np.log(0.1745), 0.0, np.log(1e6), np.log(1e16)])
def test_first_integral_energy_equals_quadrature_of_rhs(f0, lnB):
    B = mp.e ** mp.mpf(lnB)
    ref = mp_g(mp.mpf(f0), B)
    assert g_of_f(f0, lnB) == pytest.approx(float(ref), rel=1e-11)
    assert g_of_f(-f0, lnB) == pytest.approx(float(ref), rel=1e-11)  # even
    assert rhs_of_f(f0, lnB) == pytest.approx(float(mp_rhs(mp.mpf(f0), B)), rel=1e-11)
    assert rhs_of_f(-f0, lnB) == pytest.approx(-float(mp_rhs(mp.mpf(f0), B)), rel=1e-11)  # odd
    assert float(mp_g_closed(mp.mpf(f0), B)) == pytest.approx(float(ref), rel=1e-20)


@pytest.mark.parametrize("name", list(SWIFT))
def test_sigma_against_mpmath_gauss_law(name):
    """σ (electrode charge) = −∫ρ dx, with ρ from the concentrations and x from an mpmath quadrature."""
    phi0, N, Ef0, eps = SWIFT[name]
    T, alpha = 300.0, 0.1
    kt = mp.mpf(kT_eV(T))
    B = alpha * mp.e ** (mp.mpf(Ef0) / kt)
    f0 = mp.mpf(phi0) / kt
    # ∫_0^∞ f'' dξ along the layer = ∫_{f0}^{0} f'' (dξ/df) df with dξ/df = −1/sqrt(2 g(f))
    Q = mp.quad(lambda f: mp_rhs(f, B) / mp.sqrt(2 * mp_g_closed(f, B)), [0, 1e-6, 1, f0 / 2, f0])
    S = mp.sqrt(alpha * N * 1e6 * K_B * T * eps * EPS0)
    sigma_ref = -Q * S  # electrode charge; the layer's own charge is +Q·S for f0 > 0
    r = first_integral(phi0, N, Ef0, eps, alpha, T)
    assert float(r.sigma_C_per_m2) == pytest.approx(float(sigma_ref), rel=1e-8)
    # sign: φ0 > 0 → cations accumulate → positive layer → negative electrode
    assert r.sigma_C_per_m2 < 0


@pytest.mark.parametrize("name", ["LLZO", "Li2O(110)", "LiF"])
def test_position_x_of_phi_against_mpmath(name):
    phi0, N, Ef0, eps = SWIFT[name]
    T, alpha = 300.0, 0.1
    L = SpaceChargeLayer(phi0, N, Ef0, eps, alpha, T)
    kt = mp.mpf(kT_eV(T))
    B = alpha * mp.e ** (mp.mpf(Ef0) / kt)
    f0 = mp.mpf(phi0) / kt
    lam_nm = float(np.sqrt(eps * EPS0 * kT_eV(T) / (alpha * N * 1e6 * E_CHARGE))) * 1e9
    for frac in (0.99, 0.9, 0.5, 0.1, 1e-2, 1e-4, 1e-7):
        f = f0 * frac
        xi = mp.quad(lambda t: 1 / mp.sqrt(2 * mp_g_closed(t, B)), [f, (f + f0) / 2, f0])
        x_ref = float(xi) * lam_nm
        # x(φ) (direct quadrature) and φ(x) (the table used for plotting) both agree to 1e-6
        assert float(L.position(-phi0 * frac)[0]) == pytest.approx(x_ref, rel=1e-6)
        assert float(L.f(x_ref)) == pytest.approx(float(f), rel=1e-6)


def test_profile_against_scipy_solve_bvp():
    """Independent fine-mesh solution of the same ODE (scipy solve_bvp) for LLZO."""
    from scipy.integrate import solve_bvp

    phi0, N, Ef0, eps = SWIFT["LLZO"]
    L = SpaceChargeLayer(phi0, N, Ef0, eps)
    lnB = np.log(0.1) + Ef0 / kT_eV(300.0)
    B = np.exp(lnB)
    f0 = phi0 / kT_eV(300.0)
    xi_max = 40.0

    def fun(xi, y):
        f = y[0]
        return np.vstack([y[1], 1 / (B * np.exp(-f) + 1) - 1 / (B * np.exp(f) + 1)])

    def bc(ya, yb):
        return np.array([ya[0] - f0, yb[0]])

    xi = np.concatenate([np.linspace(0, 2, 400), np.linspace(2.01, xi_max, 800)])
    guess = np.vstack([f0 * np.exp(-xi), -f0 * np.exp(-xi)])
    sol = solve_bvp(fun, bc, xi, guess, tol=1e-9, max_nodes=200000)
    assert sol.success
    lam_nm = L._table["lam_nm"]
    xs = np.linspace(0, 10, 60)
    np.testing.assert_allclose(L.f(xs * lam_nm), sol.sol(xs)[0], rtol=2e-5, atol=1e-6 * f0)


def test_gouy_chapman_dilute_limit():
    """B ≫ e^{f0}: f'' = (2/B) sinh f, tanh(f/4) = tanh(f0/4) exp(−κξ), κ = sqrt(2/B)."""
    T = 300.0
    kt = kT_eV(T)
    alpha, N, eps = 0.1, 1e22, 10.0
    Ef0 = kt * np.log(1e16 / alpha)  # B = 1e16
    for f0 in (0.5, 5.0, 15.0):
        r = first_integral(f0 * kt, N, Ef0, eps, alpha, T)
        S = np.sqrt(alpha * N * 1e6 * K_B * T * eps * EPS0)
        assert float(r.sigma_C_per_m2) == pytest.approx(-np.sqrt(8 / 1e16) * np.sinh(f0 / 2) * S, rel=1e-9)
        L = SpaceChargeLayer(f0 * kt, N, Ef0, eps, alpha, T)
        lam = L._table["lam_nm"]
        kappa = np.sqrt(2 / 1e16)
        xi = np.array([0.0, 0.1, 1.0, 3.0]) / kappa
        f_gc = 4 * np.arctanh(np.tanh(f0 / 4) * np.exp(-kappa * xi))
        np.testing.assert_allclose(L.f(xi * lam), f_gc, rtol=1e-6)
        # Debye length = λ (1+B)/sqrt(2B) → Gouy–Chapman's λ sqrt(B/2) for B ≫ 1
        assert float(r.debye_length_m) == pytest.approx(lam * 1e-9 * np.sqrt(1e16 / 2), rel=1e-7)


def test_published_screening_lengths():
    """MODEL.md §3: the tail screening length is ~3 Å for LLZO and ~1.5 mm for LiF, and for LLZO
    (B ≈ 0.17) λ(1+B)/sqrt(2B) and λ sqrt(B/2) differ about sevenfold."""
    r = first_integral(*SWIFT["LLZO"])
    assert float(r.debye_length_m) * 1e10 == pytest.approx(3.0, rel=0.05)
    assert float(r.B) == pytest.approx(0.1745, rel=1e-3)
    ratio = float(r.debye_length_m / (r.debye_scale_m * np.sqrt(r.B / 2)))
    assert ratio == pytest.approx((1 + float(r.B)) / float(r.B), rel=1e-9) and 6.5 < ratio < 7.0
    r = first_integral(*SWIFT["LiF"])
    assert float(r.debye_length_m) * 1e3 == pytest.approx(1.5, rel=0.05)


def test_capacitance_is_derivative_of_sigma_and_small_signal_limit():
    phi0, N, Ef0, eps = SWIFT["Li2O(110)"]
    h = 1e-6
    for p in (-1.0, -0.05, 0.3, 2.0):
        r = first_integral(p, N, Ef0, eps)
        dsig = (first_integral(p + h, N, Ef0, eps).sigma_C_per_m2
                - first_integral(p - h, N, Ef0, eps).sigma_C_per_m2) / (2 * h)
        assert float(r.capacitance_F_per_m2) == pytest.approx(abs(float(dsig)), rel=1e-6)
    r0 = first_integral(0.0, N, Ef0, eps)
    assert float(r0.sigma_C_per_m2) == 0.0
    assert float(r0.capacitance_F_per_m2) == pytest.approx(eps * EPS0 / float(r0.debye_length_m), rel=1e-12)


@pytest.mark.parametrize("lnB", np.log([1e-3, 1e-1, 1.0, 1e4, 1e10, 1e16]))
@pytest.mark.parametrize("f0", [-100.0, -30.0, 0.01, 30.0, 60.0, 100.0])
def test_robust_over_the_required_range(lnB, f0):
    T = 300.0
    kt = kT_eV(T)
    Ef0 = kt * (lnB - np.log(0.1))
    r = first_integral(f0 * kt, 3e22, Ef0, 10.0, 0.1, T)
    for v in (r.sigma_C_per_m2, r.capacitance_F_per_m2, r.saturated_width_m, r.debye_length_m):
        assert np.isfinite(v)
    L = SpaceChargeLayer(f0 * kt, 3e22, Ef0, 10.0, 0.1, T)
    x = np.concatenate([[0.0], np.geomspace(1e-4, 10 * L.extent_nm(1e-9 * abs(f0) * kt) + 1e-3, 300)])
    f = L.f(x)
    assert np.all(np.isfinite(f))
    assert f[0] == pytest.approx(f0, rel=1e-12)
    assert np.all(np.diff(np.abs(f)) <= 1e-12 * abs(f0))  # monotone decay toward the bulk
    # the interpolated profile φ(x) inverts the direct quadrature x(φ) (independent code paths)
    xm = x[1:-1:10]
    fm = L.f(xm)
    keep = np.abs(fm) > 1e-12 * abs(f0)
    ld_nm = float(first_integral(f0 * kt, 3e22, Ef0, 10.0, 0.1, T).debye_length_m) * 1e9
    np.testing.assert_allclose(L.position(-kt * fm[keep]), xm[keep], rtol=1e-6, atol=1e-12 * ld_nm)


@settings(max_examples=60, deadline=None)
@given(phi0=st.floats(-3, 3), lnN=st.floats(np.log(1e19), np.log(1e23)), Ef0=st.floats(0, 1.2),
       eps=st.floats(2, 100), alpha=st.floats(0.01, 1.0))
def test_properties(phi0, lnN, Ef0, eps, alpha):
    N = float(np.exp(lnN))
    r = first_integral(phi0, N, Ef0, eps, alpha)
    rm = first_integral(-phi0, N, Ef0, eps, alpha)
    assert float(r.sigma_C_per_m2) == pytest.approx(-float(rm.sigma_C_per_m2), rel=1e-12, abs=1e-300)
    assert float(r.sigma_C_per_m2) * phi0 <= 0
    assert r.capacitance_F_per_m2 > 0 and r.debye_length_m > 0
    # |σ| is bounded by the fully saturated (Mott–Schottky-like) and linear limits
    C0 = eps * EPS0 / float(r.debye_length_m)
    assert abs(float(r.sigma_C_per_m2)) <= C0 * abs(phi0) * (1 + 1e-9) or abs(phi0) > 0


def test_batched_equals_scalar_and_bad_input():
    phi0 = np.array([0.1, 1.0, 2.0])
    r = first_integral(phi0, 3e22, 0.5, 10.0)
    for i, p in enumerate(phi0):
        assert float(r.sigma_C_per_m2[i]) == float(first_integral(p, 3e22, 0.5, 10.0).sigma_C_per_m2)
    with pytest.raises(InputError, match="permittivity"):
        first_integral(1.0, 3e22, 0.5, -1.0)
    with pytest.raises(InputError, match="alpha"):
        first_integral(1.0, 3e22, 0.5, 10.0, alpha=2.0)


def test_gauss_law_on_a_fine_grid():
    """∫ρ dx over the layer (fine trapezoid on the profile) = −σ, to the quadrature's accuracy."""
    for name in ("LLZO", "Li2O(110)"):
        phi0, N, Ef0, eps = SWIFT[name]
        L = SpaceChargeLayer(phi0, N, Ef0, eps)
        x = np.concatenate([[0.0], np.geomspace(1e-6, 40 * L.extent_nm(1e-9), 40000)])
        q = np.trapezoid(L.charge_density(x) * 1e6, x * 1e-9)  # C/m2
        assert q == pytest.approx(-float(L.result.sigma_C_per_m2), rel=1e-5)
