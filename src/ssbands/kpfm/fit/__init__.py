"""Least-squares fit of the cell model to measured ΔCPD(x) profiles.

The model ΔCPD of scan *i* at measured position *u* (nm) is

    ΔCPD_model,i(u) = [G_σ ∗ (−ΔΦ_i/e + ΔV_i)](x(u)) + c_i,       u = x_offset + x_scale · x

where ``−ΔΦ_i/e`` and ``ΔV_i`` are the two parts of ΔCPD that :func:`ssbands.cell.solve` gives
for the stack at OCV_i against the measured reference OCV (Eq. 9 of the KPFM perspective of Swift,
Fuller, Talin, Qi et al.), ``G_σ`` is a normalised Gaussian of standard deviation σ (the instrument's
lateral response, in nm of the *measured* axis), ``c_i`` a constant tip/reference offset of scan *i*,
and ``x_offset``/``x_scale`` map model positions to measured ones. The model profile is piecewise linear
in x (layer boundaries appear twice: exact steps), so the convolution is evaluated **in closed form**:
writing the profile as
``f(x) = f₀ + Σ_k J_k H(x − x_k) + Σ_k S_k (x − x_k)₊`` (steps J_k, slope changes S_k),

    (G_σ ∗ f)(u) = f₀ + Σ_k J_k Φ(t_k) + Σ_k S_k [(u − x_k) Φ(t_k) + σ φ(t_k)],   t_k = (u − x_k)/σ,

with Φ, φ the standard normal CDF and density. The result is exact at any σ and pixel size, and a
smooth function of every parameter (no grid quantisation of boundaries), which finite-difference
Jacobians need. Beyond its ends the profile is held constant (as in
:func:`ssbands.kpfm.forward.instrument_response`). σ = 0 means point sampling (no blur).

**Lithiation front** (``front``): the electrode named by ``front_layer`` (default the anode) is
lithiated only within ``front_nm`` of its electrolyte interface. There it has the work function the
model gives at that OCV; between the front and its current collector it keeps the reference state's
work function, so the −ΔΦ/e part of ΔCPD is 0 there. ΔV (the Fermi level) is uniform over the whole
electron conductor either way. ``front_nm`` equal to the layer thickness is the plain model (whole
electrode at the Li fraction Li conservation gives); ``front_nm = 0``: no work-function change at
all. One front depth is shared by all OCVs.

Parameters that can be fitted (``params`` names; result names and units in brackets):

=================  ===============================  ==========================================
``mu_li_se``       ``mu_li_se_eV`` [eV]             μ_Li of the SE bulk (extrinsic closure)
``dipole:L|R``     ``dipole:L|R`` [V]               interface dipole between layers L and R
``offset``         ``offset@<ocv>V`` [V]            one constant per fitted scan (tip/reference)
``width``          ``width_nm`` [nm]                Gaussian σ of the instrument response
``front``          ``front_nm`` [nm]                lithiated depth of the front layer
``x_offset``       ``x_offset_nm`` [nm]             measured x of model x = 0
``x_scale``        ``x_scale`` [1]                  measured nm per model nm
=================  ===============================  ==========================================

Identifiability (stated, tested): in the equilibrium model the electrolyte's vacuum level is tied to
μ̄_Li⁺ by its ionic work function, so μ_Li,SE moves only the electrolyte's *Fermi level*, not E_vac:
it has **no effect on CPD or ΔCPD** and asking to fit it raises :class:`~ssbands.errors.InputError`.
An interface dipole changes only how the fixed total step is shared between the dipole sheet and the
space-charge layer (Å to nm wide), so after the instrument blur it is weakly determined (large
standard error, reported with a warning when the relative error exceeds 100 %).

Uncertainties: ``cov = s² (JᵀJ)⁻¹`` with J the Jacobian of the residuals at the optimum. Unweighted fits
use the residual variance ``s² = Σr²/(N − p)``; weighted fits (the measured standard error of each
averaged point, ``weights="std"``) divide residuals by it and use ``s² = max(1, χ²_red)``
(``absolute_sigma=None``, default; ``True``: ``s² = 1``, ``False``: ``s² = χ²_red``). Standard errors
are ``sqrt(diag(cov))``; the correlation matrix is ``cov_ij / (σ_i σ_j)``. The reference scan's noise is
common to all ΔCPD profiles of a series: when the series gives each scan's ``std_V`` and ``count``, the
fit is a generalised least squares with, at each x, the covariance ``diag(var_i) + var_ref·11ᵀ`` over
the scans (var = std²/count); ignoring it would understate the errors of parameters shared by all scans
(width, x mapping) by up to ~1.6×.

Package layout: :mod:`.parameters` (the parameter spec, names, units, bounds, the no-effect probe),
:mod:`.model` (the blurred forward model), :mod:`.measured` (the data and their weights),
:mod:`.optimiser` (least squares), :mod:`.uncertainty` (covariance, standard errors, warnings),
:mod:`.result` (:class:`FitResult`), :mod:`.fitting` (:func:`fit`); the figures are in
:mod:`ssbands.plotting.kpfm`.
"""

from __future__ import annotations

from ...plotting.kpfm import plot_decomposition, plot_fit
from .fitting import fit
from .measured import load_measured
from .model import model_dcpd
from .parameters import PARAM_UNITS, parse_params
from .result import FitParameter, FitResult

__all__ = ["FitResult", "FitParameter", "fit", "model_dcpd", "parse_params", "load_measured",
           "plot_fit", "plot_decomposition", "PARAM_UNITS"]
