"""Interlayer design (Swift, Swift & Qi 2021): depth at which the potential reaches a target."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.errors import InputError
from ssbands.materials.library import load_library
from ssbands.scl import SpaceChargeLayer
from ssbands.scl.interlayer import depth_to_target_nm, design_interlayer, phi0_from_library
from ssbands.scl.species import SpeciesSet, two_defect_species

LIF = (1.9160631, 5.98412e22, 0.9733510, 9.0)


def test_depth_to_target_matches_profile_inverse_and_is_batched():
    targets = np.array([0.2, 1.0, 1.24, 1.9])
    x = depth_to_target_nm(LIF[0], targets, *LIF[1:])
    L = SpaceChargeLayer(*LIF)
    np.testing.assert_allclose(x, L.position(targets - LIF[0]), rtol=1e-9)
    # the potential from the electrode's at x* is the target
    np.testing.assert_allclose(LIF[0] + L.potential(x), targets, atol=1e-7)
    assert np.all(np.diff(x) > 0)


def test_never_reached_is_nan_and_zero_target_is_zero():
    x = depth_to_target_nm(LIF[0], np.array([2.5, -0.3, LIF[0], 0.0]), *LIF[1:])
    assert np.isnan(x[:3]).all() and x[3] == 0.0
    d = design_interlayer(LIF[0], 2.5, *LIF[1:])
    assert d.thickness_nm is None and not d.reached and d.to_dict()["thickness_nm"] is None
    neg = depth_to_target_nm(-0.8, -0.4, *LIF[1:])  # negative step, same-sign target: reached
    assert np.isfinite(neg)


def test_design_with_stack_check_lipon_on_lif():
    """LiF on Li protecting LiPON (target 1.24 V): the finite stack confirms the SE's step is small."""
    lipon = SpeciesSet(two_defect_species(3.957e22, 0.275, 0.1), 7.3, 300.0)
    d = design_interlayer(LIF[0], 1.24, *LIF[1:], electrolyte=lipon)
    assert d.reached and 1.0 < d.thickness_nm < 20.0
    assert d.potential_V[0] == pytest.approx(0.0, abs=1e-12)
    assert abs(d.residual_step_V) < 0.05 * 1.24  # the SE is left with a few % of its step (vs 1.24 V bare)
    k = np.searchsorted(d.x_nm, d.thickness_nm)
    assert d.potential_V[k - 1] <= 1.24 <= d.potential_V[k]


def test_phi0_from_library_li_and_other_electrodes():
    lib = load_library()
    phi0, det = phi0_from_library(lib, "LLZO", "Li")
    assert phi0 == pytest.approx(1.6216363)
    phi0_cu, _ = phi0_from_library(lib, "LLZO", "Cu", potential_V=3.0)
    assert phi0_cu == pytest.approx(1.6216363 + (4.65 - 2.93) - 3.0)
    with pytest.raises(InputError, match="potential"):
        phi0_from_library(lib, "LLZO", "Cu")
    with pytest.raises(InputError, match="li_fraction"):
        phi0_from_library(lib, "LLZO", "LixSi")
    p, det = phi0_from_library(lib, "LLZO", "LixSi", li_fraction=0.5)
    assert p == pytest.approx(1.6216363 + det["work_function_eV"] - 2.93 - det["potential_V"])
