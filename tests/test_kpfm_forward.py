"""KPFM forward model: instrument response against analytic convolutions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from ssbands.cell import fuller2021_stack, solve
from ssbands.errors import InputError
from ssbands.kpfm.forward import blur, instrument_response, layer_table


def test_gaussian_step_is_an_error_function():
    x = np.linspace(-500, 500, 2001)
    x = np.concatenate([x[x < 0], [0.0, 0.0], x[x > 0]])  # a boundary point appears twice
    y = np.where(x < 0, 1.0, 0.0)
    y[np.flatnonzero(x == 0)[0]] = 1.0  # the step: 1 on the left copy of x = 0, 0 on the right
    s = 20.0
    out = instrument_response(x, y, s, "gaussian", points_per_width=40)
    expect = 0.5 * (1 - erf(x / (np.sqrt(2) * s)))
    np.testing.assert_allclose(out, expect, atol=2e-4)


def test_lorentzian_step_is_an_arctan():
    x = np.linspace(-2000, 2000, 4001)
    x = np.concatenate([x[x < 0], [0.0, 0.0], x[x > 0]])
    y = (x > 0).astype(float)
    y[np.flatnonzero(x == 0)[1]] = 1.0
    g = 10.0
    out = instrument_response(x, y, g, "lorentzian", points_per_width=20)
    expect = 0.5 + np.arctan(x / g) / np.pi
    mid = np.abs(x) < 200  # away from the ends, where the heavy tails are truncated
    np.testing.assert_allclose(out[mid], expect[mid], atol=1e-3)


def test_constants_preserved_and_batches():
    x = np.linspace(0, 100, 301)
    y = np.stack([np.full_like(x, 0.3), np.full_like(x, -1.2)])
    np.testing.assert_allclose(instrument_response(x, y, 5.0), y, atol=1e-12)
    with pytest.raises(InputError):
        instrument_response(x, y, -1.0)
    with pytest.raises(InputError):
        instrument_response(x, np.full_like(x, np.nan), 1.0)
    with pytest.raises(InputError):
        instrument_response(x, y, 1.0, kind="boxcar")


def test_blur_profile_keeps_far_field_and_table():
    ds = solve(fuller2021_stack(), np.array([0.0, 2.0, 4.0]))
    b = blur(ds, 30.0)
    x = ds["x"].values
    far = x < 200 - 6 * 30.0  # inside Cu, more than 6σ from its only interior edge (the outer end is held)
    np.testing.assert_allclose(b["dcpd_V"].values[:, far], ds["dcpd_V"].values[:, far], atol=1e-6)
    assert b.attrs["instrument_response"].startswith("gaussian")
    t = layer_table(ds)
    assert set(t["layer"]) == {"Cu", "LixSi", "LiPON", "LixCoO2", "Pt", "Si"}
    cu = t[(t.layer == "Cu")]
    np.testing.assert_allclose(cu["dcpd_V"], -cu["ocv_V"], atol=1e-9)
