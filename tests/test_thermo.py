"""Electrode OCV curves, work functions and the electrolyte closures."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.constants import kT_eV
from ssbands.errors import InputError
from ssbands.materials import load_library
from ssbands.thermo import ocv_curve, se_mu_li_edges, work_function

LIB = load_library()


def verbrugge(s, branch):
    """Verbrugge, Baker & Xiao (2016) polynomial, written out independently."""
    p = {"lithiation": (-96.63, 372.6, -587.6, 489.9, -232.8, 62.99, -9.286, 0.8633),
         "delithiation": (-51.02, 161.3, -205.7, 140.2, -58.76, 16.87, -3.792, 0.9937)}[branch]
    u = sum(c * s ** (7 - i) for i, c in enumerate(p))
    if branch == "lithiation":
        u = u + 1e-4 * (1 / s + 1 / (s - 1))
    return u


@pytest.mark.parametrize("branch", ["lithiation", "delithiation"])
def test_lixsi_polynomial(branch):
    s = np.linspace(0.01, 0.99, 57)
    c = ocv_curve(LIB["LixSi"], branch)
    np.testing.assert_allclose(c(s), verbrugge(s, branch), rtol=1e-12, atol=1e-12)
    assert np.all(np.diff(c(s)) < 0)


@pytest.mark.parametrize("x,u", [(0.5, 4.16), (0.6, 4.02), (0.7, 3.93), (0.8, 3.90), (0.9, 3.88), (0.95, 3.82),
                                 (0.99, 3.66)])
def test_lico2_table_spot_values(x, u):
    # spot values published with the data (shared/data/materials/SOURCES.md), 2-decimal rounding
    assert ocv_curve(LIB["LixCoO2"])(x) == pytest.approx(u, abs=0.006)


def test_lico2_nernst_extension_is_continuous_with_nernst_slope():
    c = ocv_curve(LIB["LixCoO2"])
    xe = c.nernst_from
    assert xe == pytest.approx(0.9989, abs=1e-4)
    assert c(xe + 1e-12) == pytest.approx(c(xe), abs=1e-8)
    T = 300.0
    x = np.array([0.9995, 0.9999, 0.99999])
    h = 1e-9
    slope = (c(x + h, T) - c(x - h, T)) / (2 * h)
    np.testing.assert_allclose(slope, -kT_eV(T) / (x * (1 - x)), rtol=1e-4)
    assert c.extrapolated(0.9995) and not c.extrapolated(0.9)
    with pytest.raises(InputError, match="outside"):
        c(0.3)  # beyond the charged end: no extension there


def test_lixsi_work_function_approximation_labelled_and_decreasing():
    p = LIB["LixSi"].param("work_function_eV")
    assert p.estimate and "APPROXIMATE" in p.note
    s = np.linspace(0, 1, 50)
    w = work_function(LIB["LixSi"], s)
    assert w[0] == pytest.approx(4.85) and np.all(np.diff(w) <= 0)
    nodes = np.array(p.spec["x"])
    np.testing.assert_allclose(work_function(LIB["LixSi"], nodes), 2.93 + 1.92 * np.exp(-nodes / 0.15), atol=6e-5)


def test_minimum_interface_closure():
    window = (0.68, 2.63)  # LiPON
    # Li metal anode (mu=0) is more Li-rich than V_red: SE sits at mu_red = -0.68;
    # a cathode at 4 V is below mu_ox: SE at mu_ox = -2.63
    left, right, il, ir = se_mu_li_edges("minimum-interface", 0.0, -4.0, window)
    assert (left, right) == (pytest.approx(-0.68), pytest.approx(-2.63)) and not il and not ir
    # electrodes inside the window: the SE matches them
    left, right, il, ir = se_mu_li_edges("minimum-interface", -1.0, -2.0, window)
    assert (left, right) == (pytest.approx(-1.0), pytest.approx(-2.0)) and il and ir


def test_extrinsic_closure_flat_and_requires_value():
    left, right, _, _ = se_mu_li_edges("extrinsic", np.zeros(3), np.full(3, -4.0), None, -1.2)
    np.testing.assert_array_equal(left, -1.2)
    np.testing.assert_array_equal(right, -1.2)
    with pytest.raises(InputError, match="mu_li_se"):
        se_mu_li_edges("extrinsic", 0.0, -4.0, None, None)
    with pytest.raises(InputError, match="closure"):
        se_mu_li_edges("maximum", 0.0, -4.0, (0, 1))
