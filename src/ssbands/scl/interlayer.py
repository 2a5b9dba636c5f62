r"""Interlayer design (Swift, Swift & Qi, Nat. Comput. Sci. 1, 212 (2021)).

An interlayer I between an electrode M and a solid electrolyte screens its own step φ0(M|I). Its
potential measured from the electrode's, V(x) = φ(x) − φ(0) = φ0 + [φ(x) − φ∞], rises (for φ0 > 0)
from 0 at the electrode towards φ0 deep inside. The **design thickness** x* is the depth at which
V(x*) equals a target — e.g. φ0(M|SE), the SE's own offset against the same electrode: an SE placed
on an interlayer of thickness x* finds the potential it would have in its own bulk and forms no SCL.
x* exists only when the target lies strictly between 0 and φ0 (same sign); otherwise it is ``None``
(reported as ``null``): the interlayer never reaches the target.

x* comes from the first integral (semi-infinite interlayer; no mesh). :func:`design_interlayer` can also
check it with the finite solver on the real stack M | I(x*) | SE and report the SCL step left in the SE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .firstintegral import GL_NODES, GL_WEIGHTS, dimensionless, g_of_f

__all__ = ["depth_to_target_nm", "InterlayerDesign", "design_interlayer", "electrode_potential", "phi0_from_library"]


def depth_to_target_nm(phi0_V, target_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1,
                       temperature_K=300.0, panels: int = 96):
    """Depth x* (nm) at which the potential, measured from the electrode's, reaches ``target_V`` (batched).

    NaN where it is never reached (target not strictly between 0 and φ0, or equal to φ0); 0 for a
    zero target. Composite Gauss–Legendre quadrature of x = λ∫ df/sqrt(2g(f)) in u = ln f.
    """
    try:
        tgt = np.asarray(target_V, float)
    except (TypeError, ValueError):
        raise InputError(f"target_V must be a number or an array of numbers (V), got {target_V!r}") from None
    phi0, f0, lnB, lam, S, kt, _ = dimensionless(phi0_V + 0.0 * tgt, site_density_cm3, defect_energy_eV,
                                                  permittivity, alpha, temperature_K)
    tgt = np.broadcast_to(tgt, phi0.shape)
    if not np.all(np.isfinite(tgt)):
        raise InputError("target_V must be finite")
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = tgt / phi0
    ok = (frac > 0) & (frac < 1)
    a0 = np.abs(f0)
    at = np.where(ok, a0 * (1.0 - np.where(ok, frac, 0.5)), 1.0)  # |f| at the target
    a0s = np.where(ok, a0, 2.0)
    ua, ub = np.log(at), np.log(a0s)
    e = ua[..., None] + (ub - ua)[..., None] * np.linspace(0.0, 1.0, panels + 1)
    lo, hi = e[..., :-1], e[..., 1:]
    uq = lo[..., None] + (hi - lo)[..., None] * GL_NODES
    fq = np.exp(uq)
    h = fq / np.sqrt(2.0 * g_of_f(fq, lnB[..., None, None]))
    xi = ((hi - lo) * (h @ GL_WEIGHTS)).sum(-1)
    x = np.where(ok, lam * xi * 1e9, np.nan)
    return np.where(tgt == 0, 0.0, x)


@dataclass(frozen=True)
class InterlayerDesign:
    """Result of :func:`design_interlayer` (distances in nm, potentials in V from the electrode's)."""

    thickness_nm: float | None
    reached: bool
    phi0_V: float
    target_V: float
    x_nm: np.ndarray
    potential_V: np.ndarray  # V(x) = φ(x) − φ(electrode)
    stack: object = None  # FiniteSolution of electrode | interlayer(x*) | SE, when checked
    residual_step_V: float | None = None  # φ_SE∞ − φ at the interlayer|SE junction in that stack

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (lengths in nm, potentials in V)."""
        d = {"thickness_nm": self.thickness_nm, "reached": self.reached, "phi0_V": self.phi0_V,
             "target_V": self.target_V}
        if self.residual_step_V is not None:
            d["residual_step_V"] = self.residual_step_V
        return d


def design_interlayer(phi0_V, target_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1,
                      temperature_K=300.0, *, n_points: int = 200, electrolyte=None) -> InterlayerDesign:
    """Design thickness of an interlayer and its potential profile.

    Parameters
    ----------
    phi0_V : float
        The interlayer's step against the electrode, φ0(M|I), V.
    target_V : float
        Target potential measured from the electrode's, V (e.g. φ0(M|SE)).
    site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K
        The interlayer's two-defect parameters.
    n_points : int
        Points of the returned profile, from 0 to 1.5 x* (or to the layer's extent when never reached).
    electrolyte : SpeciesSet, optional
        The SE's species: then the stack electrode | interlayer(x*) | SE (bulk potential ``target_V``)
        is solved by :func:`~ssbands.scl.finite.solve_interlayer_stack` and the SCL step left in the SE
        reported as ``residual_step_V``.
    """
    from .firstintegral import SpaceChargeLayer

    x_star = float(depth_to_target_nm(phi0_V, target_V, site_density_cm3, defect_energy_eV, permittivity, alpha,
                                      temperature_K))
    reached = bool(np.isfinite(x_star))
    layer = SpaceChargeLayer(float(phi0_V), float(site_density_cm3), float(defect_energy_eV), float(permittivity),
                             float(alpha), float(temperature_K))
    xmax = 1.5 * x_star if reached and x_star > 0 else max(layer.extent_nm(1e-3 * max(abs(phi0_V), 1e-3)), 1e-3)
    x = np.linspace(0.0, xmax, n_points)
    v = float(phi0_V) + layer.potential(x)
    stack = None
    resid = None
    if electrolyte is not None and reached and x_star > 0:
        from .finite import solve_interlayer_stack
        from .species import SpeciesSet, two_defect_species

        inter = SpeciesSet(two_defect_species(site_density_cm3, defect_energy_eV, alpha), permittivity, temperature_K)
        stack = solve_interlayer_stack(inter, x_star, float(phi0_V), electrolyte, float(target_V))
        j = int(np.argmin(np.abs(stack.x_nm - x_star)))
        resid = float(target_V - stack.phi_V[j])
    return InterlayerDesign(x_star if reached else None, reached, float(phi0_V), float(target_V), x, v, stack, resid)


#: No electrode potential exceeds that of F2/F- (about 5.9 V vs Li/Li+), the widest electrochemical
#: couple; a metal given a higher potential vs Li/Li+ is an input error.
MAX_METAL_POTENTIAL_V = 6.0


def electrode_potential(material, potential_V: float | None = None, li_fraction: float | None = None) -> float:
    """The potential U vs Li/Li⁺ (V) of an electron conductor, checked against what its data support.

    * Li metal (a constant-potential reservoir): its own potential; ``li_fraction`` does not apply and
      ``potential_V`` only as that same value.
    * An electrode with an OCV curve: U(``li_fraction``), or ``potential_V``; both only when they
      agree (to 1 µV). U must lie between 0 V (below, Li plates) and the highest potential of its
      data (:attr:`ssbands.thermo.OCVCurve.data_potential_range`; a fit's regularisation term
      reaches any potential near the ends of its Li-fraction range).
    * A metal without Li chemistry: ``potential_V`` (0 to :data:`MAX_METAL_POTENTIAL_V`);
      ``li_fraction`` does not apply.

    Parameters
    ----------
    material : Material
        A metal or an electrode.
    potential_V : float, optional
        U vs Li/Li⁺ (V).
    li_fraction : float, optional
        Li fraction of an electrode.

    Returns
    -------
    float
        U in V vs Li/Li⁺.
    """
    from ..thermo import check_electrode_potential, ocv_curve

    name = f"electrode {material.name!r}"
    if not (material.kind == "electrode" and material.has("ocv_V")):
        if li_fraction is not None:
            raise InputError(f"{name} has no Li chemistry: li_fraction does not apply to it")
        if potential_V is None:
            raise InputError(f"{name} has no Li chemistry: give its potential vs Li/Li+ (potential_V)")
        check_electrode_potential(name, potential_V, MAX_METAL_POTENTIAL_V,
                                  "that of F2/F-, the most oxidising couple")
        return float(potential_V)
    curve = ocv_curve(material)
    if curve.reservoir:  # only its own potential is accepted (e.g. a screen row passing it back)
        if li_fraction is not None or (potential_V is not None and abs(float(potential_V) - curve.constant) > 1e-12):
            what = "li_fraction" if li_fraction is not None else f"potential_V = {potential_V:g} V"
            raise InputError(f"{name} is a Li reservoir at {curve.constant:g} V vs Li/Li+ by definition: "
                             f"{what} does not apply to it")
        return float(curve.constant)
    lo, hi = curve.data_potential_range
    if li_fraction is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            u = float(curve(li_fraction))
        check_electrode_potential(f"{name} at Li fraction {li_fraction:g}", u, hi,
                                  "the highest potential of its OCV data")
        if potential_V is not None and abs(float(potential_V) - u) > 1e-6:
            raise InputError(f"{name}: potential_V = {potential_V:g} V disagrees with its OCV curve at li_fraction "
                             f"{li_fraction:g} ({u:.6g} V); give one of them")
        return u
    if potential_V is None:
        raise InputError(f"{name}: give its potential vs Li/Li+ (potential_V) or its Li fraction (li_fraction)")
    check_electrode_potential(name, potential_V, hi, "the highest potential of its OCV data")
    return float(potential_V)


def phi0_from_library(library, electrolyte: str, electrode: str = "Li", potential_V: float | None = None,
                      li_fraction: float | None = None) -> tuple[float, dict]:
    """Interface step φ0(M|SE) = φ0^Li(SE) + (Φ_M − Φ_Li)/e − U_M from library data.

    The formula is :func:`ssbands.interface.interface_step` (no dipole).

    Parameters
    ----------
    library : Library
        Material library.
    electrolyte : str
        Name of the electrolyte.
    electrode : str
        Name of the electrode (default Li metal).
    potential_V : float, optional
        U_M vs Li/Li⁺ (V). Default: that of a Li reservoir, or U(x) from the electrode's OCV curve when
        ``li_fraction`` is given; required for a plain metal.
    li_fraction : float, optional
        Li fraction of the electrode (its work function and potential at that content).

    Returns
    -------
    phi0_V : float
        The step (V).
    details : dict
        ``phi0_li_V``, ``work_function_eV``, ``work_function_li_eV`` and ``potential_V`` used.
    """
    from ..interface import interface_step, phi_li
    from ..thermo import work_function, work_function_depends_on_li

    se = library[electrolyte]
    if se.kind != "electrolyte":
        raise InputError(f"{se.name!r} is a {se.kind}, not an electrolyte")
    m = library[electrode]
    if not m.is_electron_conductor:
        raise InputError(f"{m.name!r} is an electrolyte, not an electrode")
    phi_li_eV = phi_li(library)
    potential_V = electrode_potential(m, potential_V, li_fraction)
    if work_function_depends_on_li(m):
        if li_fraction is None:
            raise InputError(f"electrode {m.name!r}: its work function depends on the Li fraction; "
                             "give its Li fraction (li_fraction)")
        phi_m = float(work_function(m, li_fraction))
    else:
        phi_m = float(work_function(m))
    phi0_li = float(se.get("phi0_li_V", "the interface step phi0"))
    phi0 = float(interface_step(phi0_li, phi_m, phi_li_eV, float(potential_V)))
    return phi0, {"phi0_li_V": phi0_li, "work_function_eV": phi_m, "work_function_li_eV": phi_li_eV,
                  "potential_V": float(potential_V)}
