"""The forward ΔCPD model used in fitting.

Knots of the piecewise-linear profile, its closed-form Gaussian blur, the lithiation front, and
:func:`model_dcpd`.

The model profile is piecewise linear in x (layer boundaries appear twice: exact steps), written as
``f(x) = f₀ + Σ_k J_k H(x − x_k) + Σ_k S_k (x − x_k)₊`` (steps J_k, slope changes S_k), so its
convolution with a normalised Gaussian G_σ is

    (G_σ ∗ f)(u) = f₀ + Σ_k J_k Φ(t_k) + Σ_k S_k [(u − x_k) Φ(t_k) + σ φ(t_k)],   t_k = (u − x_k)/σ,

with Φ, φ the standard normal CDF and density: exact at any σ and pixel size, and smooth in every
parameter. Beyond its ends the profile is held constant; σ = 0 means point sampling.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from ...errors import InputError
from ...profile import make_profile

# ------------------------------------------------------------------------------------------------
# closed-form Gaussian blur of a piecewise-linear profile


def profile_knots(x, y):
    """Steps and slope changes of the piecewise-linear profile(s) ``y[..., x]``.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        Positions (nm), non-decreasing; a position given twice is a step.
    y : numpy.ndarray, shape (n,) or (m, n)
        Values at ``x`` (V), one row per profile.

    Returns
    -------
    y0 : numpy.ndarray, shape (m,)
        Value at the left end (V).
    xk : numpy.ndarray, shape (k,)
        Knot positions (nm).
    J : numpy.ndarray, shape (m, k)
        Steps at the knots (V).
    S : numpy.ndarray, shape (m, k)
        Slope changes at the knots (V/nm); the slopes are 0 beyond both ends.
    """
    y = np.atleast_2d(y)
    dx = np.diff(x)
    dy = np.diff(y, axis=1)
    seg = dx > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(seg, dy / np.where(seg, dx, 1.0), 0.0)
    s_pad = np.concatenate([np.zeros((y.shape[0], 1)), s, np.zeros((y.shape[0], 1))], axis=1)
    S = np.diff(s_pad, axis=1)  # slope change at every point (n)
    J = np.where(seg, 0.0, dy)  # step at x[i] for zero-length intervals (n-1)
    xk = np.concatenate([x, x[:-1][~seg]])
    Jk = np.concatenate([np.zeros_like(S), J[:, ~seg]], axis=1)
    Sk = np.concatenate([S, np.zeros((y.shape[0], int((~seg).sum())))], axis=1)
    span = max(float(x[-1] - x[0]), 1.0)
    keep = (np.abs(Jk).max(0) > 1e-13) | (np.abs(Sk).max(0) * span > 1e-13)
    return y[:, 0].copy(), xk[keep], Jk[:, keep], Sk[:, keep]


def blur_matrices(u, xk, sigma):
    """Basis matrices of blurred unit steps and unit slope changes at measured positions.

    Parameters
    ----------
    u : numpy.ndarray, shape (n_u,)
        Measured positions (nm).
    xk : numpy.ndarray, shape (k,)
        Knot positions on the measured axis (nm).
    sigma : float
        Gaussian σ (nm); 0 or less means point sampling.

    Returns
    -------
    step : numpy.ndarray, shape (n_u, k)
        Blurred unit step at each knot (1).
    ramp : numpy.ndarray, shape (n_u, k)
        Blurred unit ramp ``(u − x_k)₊`` at each knot (nm).
    """
    from scipy.special import ndtr

    d = u[:, None] - xk[None, :]
    if sigma <= 0:
        step = (d >= 0).astype(float)
        return step, np.maximum(d, 0.0)
    t = d / sigma
    cdf = ndtr(t)
    pdf = np.exp(-0.5 * t * t) * (1.0 / math.sqrt(2.0 * math.pi))
    return cdf, d * cdf + sigma * pdf


def blur_knots(u, knots, sigma, x_offset, x_scale):
    """Evaluate blurred profiles, given by their knots, at measured positions.

    Parameters
    ----------
    u : array_like, shape (n_u,)
        Measured positions (nm).
    knots : tuple
        ``(y0, xk, J, S)`` from :func:`profile_knots` (model x in nm).
    sigma : float
        Gaussian σ of the instrument response on the measured axis (nm).
    x_offset : float
        Measured x of model x = 0 (nm).
    x_scale : float
        Measured nm per model nm (1).

    Returns
    -------
    numpy.ndarray, shape (m, n_u)
        The blurred profiles (V).
    """
    y0, xk, J, S = knots
    A_J, A_S = blur_matrices(np.asarray(u, float), x_offset + x_scale * xk, sigma)
    return y0[:, None] + J @ A_J.T + (S / x_scale) @ A_S.T


# ------------------------------------------------------------------------------------------------
# the model


@dataclass
class ModelParts:
    """The two parts of the unblurred model ΔCPD of one solve.

    Attributes
    ----------
    x : numpy.ndarray, shape (n,)
        Model positions (nm), layer boundaries twice.
    lidx : numpy.ndarray, shape (n,)
        Layer index of each position.
    wf : numpy.ndarray, shape (m, n)
        −ΔΦ/e part (V), one row per OCV.
    pot : numpy.ndarray, shape (m, n)
        ΔV part (V).
    profile : xarray.Dataset
        The band-diagram Profile of the solve.
    notes : tuple of str
        Warnings the solve raised (as text).
    """

    x: np.ndarray
    lidx: np.ndarray
    wf: np.ndarray
    pot: np.ndarray
    profile: xr.Dataset
    notes: tuple


def _dipole_key(dipoles) -> tuple:
    return tuple(sorted((left, right, float(v)) for (left, right), v in (dipoles or {}).items()))


class ForwardModel:
    """ΔCPD of a stack at several OCVs: caches solves (by μ_Li,SE and dipoles) and knot sets.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell.
    ocv : array_like
        Open-circuit voltages (V).
    reference_ocv : float
        OCV of the reference state of ΔCPD (V).
    library : ssbands.materials.Library, optional
        Materials library of the solves.
    front_layer : str or None
        Electrode (role ``"anode"``/``"cathode"`` or a layer name) holding the lithiation front; None:
        no front.
    """

    def __init__(self, stack, ocv, reference_ocv, library=None, front_layer="anode") -> None:
        self.stack = stack
        self.ocv = np.asarray(ocv, float)
        self.reference_ocv = float(reference_ocv)
        self.library = library
        self._cache: dict = {}
        self.notes: list[str] = []
        names = [ly.name for ly in stack.layers]
        self.layer_names = names
        self.bounds = np.concatenate([[0.0], np.cumsum([ly.thickness_nm for ly in stack.layers])])
        self.front_index = None
        if front_layer is not None:
            fl = stack.layers[stack.index(front_layer)] if front_layer in ("anode", "cathode") \
                else stack.layer(front_layer)
            if fl.role not in ("anode", "cathode"):
                raise InputError(f"front_layer {front_layer!r}: a lithiation front applies to the anode or the "
                                 f"cathode, not the {fl.role} layer {fl.name!r}")
            self.front_index = stack.layers.index(fl)
            self.front_side = "right" if self.front_index < stack.index("electrolyte") else "left"

    @property
    def front_thickness_nm(self) -> float | None:
        """Thickness of the front layer (nm), or None without a front."""
        return None if self.front_index is None else float(np.diff(self.bounds)[self.front_index])

    @property
    def front_name(self) -> str | None:
        """Name of the front layer, or None without a front."""
        return None if self.front_index is None else self.layer_names[self.front_index]

    def stack_for(self, mu, dipoles):
        """The stack with μ_Li,SE (eV, extrinsic closure) and interface dipoles (V) replaced.

        Parameters
        ----------
        mu : float or None
            μ_Li of the electrolyte bulk (eV); None keeps the stack's closure.
        dipoles : dict, optional
            ``{(left, right): dipole_V}``; layer names are matched case-insensitively.

        Returns
        -------
        ssbands.cell.Stack
        """
        st = self.stack
        if mu is not None:
            st = st.with_conditions(closure="extrinsic", mu_li_se_eV=float(mu))
        if dipoles:
            d = dict(st.dipoles)
            for (left, right), v in dipoles.items():
                for key in list(d):
                    if key[0].lower() == left.lower() and key[1].lower() == right.lower():
                        del d[key]
                d[(left, right)] = float(v)
            st = replace(st, dipoles=d)
        return st

    def parts(self, mu=None, dipoles=None) -> ModelParts:
        """Solve (or take from the cache) the model at μ_Li,SE ``mu`` (eV) and ``dipoles`` (V).

        Parameters
        ----------
        mu : float, optional
            μ_Li of the electrolyte bulk (eV).
        dipoles : dict, optional
            ``{(left, right): dipole_V}``.

        Returns
        -------
        ModelParts
            −ΔΦ/e and ΔV (V) over (ocv, model x).
        """
        key = (None if mu is None else float(mu), _dipole_key(dipoles))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        from ...cell import solve

        st = self.stack_for(mu, dipoles)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            p = solve(st, ocv=self.ocv, reference_ocv=self.reference_ocv, library=self.library)
        notes = tuple(dict.fromkeys(str(w.message) for w in caught))
        for n in notes:
            if n not in self.notes:
                self.notes.append(n)
        out = ModelParts(p["x"].values, p["layer_index"].values, np.atleast_2d(p["dcpd_work_function_V"].values),
                         np.atleast_2d(p["dcpd_potential_V"].values), p, notes)
        if not (np.all(np.isfinite(out.wf)) and np.all(np.isfinite(out.pot))):
            raise InputError(f"{self.stack.source}: the model ΔCPD is not finite everywhere (a layer's work "
                             "function is unknown?); the fit needs a complete stack")
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = out
        return out

    def with_front(self, parts: ModelParts, front_nm):
        """The profile with the lithiation front applied.

        The points of the front layer are replaced by four exact ones: the lithiated part (within
        ``front_nm`` of the electrolyte) keeps the model's −ΔΦ/e, the rest has −ΔΦ/e = 0.

        Parameters
        ----------
        parts : ModelParts
            The unblurred model.
        front_nm : float or None
            Lithiated depth (nm), clipped to the layer; None: no front.

        Returns
        -------
        x : numpy.ndarray
            Positions (nm).
        wf, pot : numpy.ndarray
            −ΔΦ/e and ΔV (V) over (ocv, x).
        """
        x, wf, pot = parts.x, parts.wf, parts.pot
        if front_nm is None or self.front_index is None:
            return x, wf, pot
        i = self.front_index
        sel = np.flatnonzero(parts.lidx == i)
        x0, x1 = self.bounds[i], self.bounds[i + 1]
        th = x1 - x0
        d = min(max(float(front_nm), 0.0), th)
        c = wf[:, sel]
        if np.ptp(c, axis=1).max() > 1e-9 or np.ptp(pot[:, sel], axis=1).max() > 1e-9:
            raise InputError(f"layer {self.layer_names[i]!r} is not uniform in the model, so a lithiation front "
                             "cannot be placed in it")
        c = c[:, :1]
        z = np.zeros_like(c)
        if self.front_side == "right":   # electrolyte on the right: lithiated part next to x1
            xf = x1 - d
            seg_wf = np.concatenate([z, z, c, c], axis=1)
        else:
            xf = x0 + d
            seg_wf = np.concatenate([c, c, z, z], axis=1)
        seg_x = np.array([x0, xf, xf, x1])
        seg_pot = np.repeat(pot[:, sel[:1]], 4, axis=1)
        a, b = sel[0], sel[-1] + 1
        xn = np.concatenate([x[:a], seg_x, x[b:]])
        wfn = np.concatenate([wf[:, :a], seg_wf, wf[:, b:]], axis=1)
        potn = np.concatenate([pot[:, :a], seg_pot, pot[:, b:]], axis=1)
        return xn, wfn, potn

    def knots(self, mu, dipoles, front_nm, which="total"):
        """Knots (see :func:`profile_knots`) of the model ΔCPD or one of its parts (cached).

        Parameters
        ----------
        mu : float or None
            μ_Li of the electrolyte bulk (eV).
        dipoles : dict or None
            ``{(left, right): dipole_V}``.
        front_nm : float or None
            Lithiated depth of the front layer (nm).
        which : {"total", "wf", "pot"}
            ΔCPD, its −ΔΦ/e part or its ΔV part.

        Returns
        -------
        tuple
            ``(y0, xk, J, S)`` in V and nm.
        """
        key = ("knots", which, None if mu is None else float(mu), _dipole_key(dipoles),
               None if front_nm is None else float(front_nm))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        x, wf, pot = self.with_front(self.parts(mu, dipoles), front_nm)
        y = {"total": wf + pot, "wf": wf, "pot": pot}[which]
        k = profile_knots(x, y)
        self._cache[key] = k
        return k


def auto_reference_ocv(stack):
    """The ``"auto"`` reference OCV of ΔCPD: 0 V if the cell can reach it, else its lowest reachable OCV.

    The rule is :func:`ssbands.interface.reference_state` (the one the cell solve uses).

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell.

    Returns
    -------
    float
        The reference OCV (V).
    """
    from ...cell import reachable_ocv_range
    from ...interface import reference_state

    return reference_state(reachable_ocv_range(stack)).ocv_V


def check_geometry(width_nm, x_scale) -> None:
    """Check the instrument width and the x scale of the measured axis.

    Parameters
    ----------
    width_nm : float
        Gaussian σ (nm); must be finite and ≥ 0.
    x_scale : float
        Measured nm per model nm; must be finite and > 0.

    Raises
    ------
    InputError
        If either is out of range.
    """
    if not (np.isfinite(width_nm) and width_nm >= 0):
        raise InputError(f"instrument width must be a number of nm >= 0, got {width_nm!r}")
    if not (np.isfinite(x_scale) and x_scale > 0):
        raise InputError(f"x_scale must be a positive number, got {x_scale!r}")


def model_dcpd(stack, ocv, x_nm, *, reference_ocv: float | str = "auto", width_nm: float = 0.0,
               x_offset_nm: float = 0.0, x_scale: float = 1.0, front_nm: float | None = None,
               front_layer: str = "anode", offsets_V=None, library=None) -> xr.Dataset:
    """Model ΔCPD(x) as a KPFM scan would record it: blurred, mapped onto measured x, offset.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell (closure, μ_Li,SE and dipoles as set in it).
    ocv : float or array_like
        Open-circuit voltages (V).
    x_nm : array_like
        Measured positions (nm), e.g. pixel centres.
    reference_ocv : float or "auto"
        OCV (V) of the reference state of ΔCPD (see :func:`ssbands.cell.solve`).
    width_nm : float
        Gaussian σ of the instrument response in nm (0: point sampling).
    x_offset_nm, x_scale : float
        Measured x = ``x_offset_nm + x_scale * model x``.
    front_nm : float, optional
        Lithiated depth of ``front_layer`` from its electrolyte interface (nm); None: all of it.
    offsets_V : array_like, optional
        A constant added to each OCV's ΔCPD (V).

    Returns
    -------
    xarray.Dataset
        Profile over ``(ocv, x)`` with ``dcpd_V`` and its parts ``dcpd_work_function_V`` (−ΔΦ/e) and
        ``dcpd_potential_V`` (ΔV), each blurred (the offset is in ``dcpd_V`` only, and in
        ``offset_V``).
    """
    ocv_a = np.atleast_1d(np.asarray(ocv, float))
    if isinstance(reference_ocv, str):
        if reference_ocv != "auto":
            raise InputError(f"reference_ocv must be a number or 'auto', got {reference_ocv!r}")
        reference_ocv = auto_reference_ocv(stack)
    u = np.asarray(x_nm, float)
    check_geometry(width_nm, x_scale)
    m = ForwardModel(stack, ocv_a, float(reference_ocv), library, front_layer)
    out = {}
    for which in ("wf", "pot"):
        out[which] = blur_knots(u, m.knots(None, None, front_nm, which), float(width_nm), float(x_offset_nm),
                                float(x_scale))
    off = np.zeros(ocv_a.size) if offsets_V is None else np.broadcast_to(np.asarray(offsets_V, float), ocv_a.shape)
    total = out["wf"] + out["pot"] + off[:, None]
    meta = {"stack": stack.to_dict(), "width_nm": width_nm, "x_offset_nm": x_offset_nm, "x_scale": x_scale,
            "front_nm": front_nm, "front_layer": front_layer, "reference_ocv_V": float(reference_ocv),
            "notes": m.notes, "instrument_response": f"gaussian, sigma {width_nm:g} nm (closed form)"}
    ds = make_profile(u, {"dcpd_V": (total, "V", "model Delta CPD (blurred, offset)"),
                          "dcpd_work_function_V": (out["wf"], "V", "-Delta Phi/e part (blurred)"),
                          "dcpd_potential_V": (out["pot"], "V", "Delta V part (blurred)")},
                      kind="model", metadata=meta, dims=("ocv", "x"),
                      coords={"ocv": xr.Variable(("ocv",), ocv_a, {"units": "V"})},
                      attrs={"reference_ocv_V": float(reference_ocv)})
    ds["offset_V"] = xr.Variable(("ocv",), np.array(off, float),
                                 {"units": "V", "long_name": "constant offset per scan"})
    return ds
