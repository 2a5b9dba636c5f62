r"""The physics-derived equivalent circuit of a cell and its least-squares fit to a spectrum.

The circuit is a series of parallel RC elements (Barsoukov & Macdonald, *Impedance Spectroscopy*, 2nd
ed., Wiley 2005, §4.1):

* ``bulk`` — R_bulk ∥ C_geo (the electrolyte: L/σ∞ and ε/L);
* one element per interface — R ∥ C with C the space-charge capacitance C_SCL (the interfacial double
  layer of this model, so C_dl = C_SCL) and R the interface's DC resistance: R_ct + R_exc for
  Butler–Volmer electrodes, R_exc where a reversible interface has a resistive (positive) excess, and
  R = ∞ (a pure capacitor) for blocking electrodes, whose two capacitors in series are one element.

Parameters are fitted in logarithms (positivity) by :func:`scipy.optimize.least_squares` on the
relative complex residual (Z − Z_fit)/|Z|; standard errors come from the Jacobian,
cov = s²(JᵀJ)⁻¹ with s² the residual variance, and are relative (σ_p/p) in the log parametrisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np

from ..errors import InputError

__all__ = ["Element", "CircuitFit", "circuit_impedance", "fit_circuit"]


@dataclass(frozen=True)
class Element:
    """One element of a series circuit.

    Parameters
    ----------
    name : str
        Label (``"bulk"``, ``"anode|LiPON"``, ``"series"``).
    kind : {"RC", "C", "R"}
        Parallel R∥C, a capacitor, or a resistor.
    R_ohm_cm2, C_F_cm2 : float, optional
        Initial values (Ω cm², F/cm²).
    """

    name: str
    kind: str
    R_ohm_cm2: float | None = None
    C_F_cm2: float | None = None

    def parameters(self) -> list[tuple[str, float]]:
        """(parameter name, initial value) of this element's free parameters."""
        out = []
        if self.kind in ("RC", "R"):
            # an R or RC element carries its resistance (None raises TypeError in float(), cast or not)
            out.append((f"R_{self.name}", float(cast(float, self.R_ohm_cm2))))
        if self.kind in ("RC", "C"):
            # a C or RC element carries its capacitance (None raises TypeError in float(), cast or not)
            out.append((f"C_{self.name}", float(cast(float, self.C_F_cm2))))
        return out


def circuit_impedance(omega, elements, values=None):
    """Impedance (Ω cm²) of a series of :class:`Element` s at angular frequencies ``omega`` (rad/s).

    Parameters
    ----------
    omega : array_like
        Angular frequencies, rad/s.
    elements : sequence of Element
        The circuit.
    values : sequence of float, optional
        Parameter values in the order of the elements' parameters (default: their initial values).

    Returns
    -------
    ndarray of complex
    """
    w = np.asarray(omega, float)
    vals = list(values) if values is not None else [v for e in elements for _, v in e.parameters()]
    Z = np.zeros(w.shape, complex)
    i = 0
    for e in elements:
        if e.kind == "RC":
            R, C = vals[i], vals[i + 1]
            Z += R / (1.0 + 1j * w * R * C)
            i += 2
        elif e.kind == "C":
            Z += 1.0 / (1j * w * vals[i])
            i += 1
        elif e.kind == "R":
            Z += vals[i]
            i += 1
        else:
            raise InputError(f"circuit element kind must be RC, C or R, got {e.kind!r}")
    return Z


@dataclass(frozen=True)
class CircuitFit:
    """Result of :func:`fit_circuit`.

    Attributes
    ----------
    elements : tuple of Element
        The circuit (with the initial values).
    names : tuple of str
        Parameter names (``R_<element>`` in Ω cm², ``C_<element>`` in F/cm²).
    values : ndarray
        Fitted values.
    relative_stderr : ndarray
        Standard error / value (NaN where the parameters are not separately identifiable).
    Z_fit : ndarray of complex
        The fitted circuit at the data frequencies, Ω cm².
    rms_residual : float
        RMS of the relative complex residual.
    success : bool
    notes : tuple of str
    """

    elements: tuple
    names: tuple
    values: np.ndarray
    relative_stderr: np.ndarray
    Z_fit: np.ndarray
    rms_residual: float
    success: bool
    notes: tuple = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """JSON-ready dict: ``{name: {"value", "relative_stderr"}}``, ``rms_residual``, ``notes``."""
        def fl(v):
            v = float(v)
            return v if np.isfinite(v) else None

        return {"parameters": {n: {"value": fl(v), "relative_stderr": fl(s)}
                               for n, v, s in zip(self.names, self.values, self.relative_stderr, strict=True)},
                "rms_residual": fl(self.rms_residual), "success": bool(self.success), "notes": list(self.notes)}


def fit_circuit(frequency_Hz, Z_ohm_cm2, elements) -> CircuitFit:
    """Least-squares fit of a series circuit to a spectrum (relative complex residual, log parameters).

    Parameters
    ----------
    frequency_Hz : array_like
        Frequencies, Hz.
    Z_ohm_cm2 : array_like of complex
        The spectrum, Ω cm².
    elements : sequence of Element
        The circuit with positive initial values.

    Returns
    -------
    CircuitFit
    """
    from scipy.optimize import least_squares

    f = np.asarray(frequency_Hz, float)
    Z = np.asarray(Z_ohm_cm2, complex)
    om = 2 * np.pi * f
    pars = [p for e in elements for p in e.parameters()]
    names = tuple(n for n, _ in pars)
    x0 = np.array([v for _, v in pars], float)
    if np.any(~np.isfinite(x0)) or np.any(x0 <= 0):
        raise InputError(f"circuit fit: initial values must be finite and > 0, got {dict(zip(names, x0, strict=True))}")
    w = 1.0 / np.abs(Z)

    def res(lx):
        with np.errstate(over="ignore", invalid="ignore"):  # trial steps may overflow; least squares backs off
            d = (circuit_impedance(om, elements, np.exp(lx)) - Z) * w
        return np.concatenate([d.real, d.imag])

    sol = least_squares(res, np.log(x0), method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=4000)
    vals = np.exp(sol.x)
    r = sol.fun
    dof = max(r.size - vals.size, 1)
    s2 = float(r @ r) / dof
    notes = []
    J = sol.jac
    try:
        JTJ = J.T @ J
        cond = np.linalg.cond(JTJ)
        if not np.isfinite(cond) or cond > 1e14:
            raise np.linalg.LinAlgError("ill-conditioned")
        rel = np.sqrt(np.maximum(np.diag(np.linalg.inv(JTJ)) * s2, 0.0))
    except np.linalg.LinAlgError:
        rel = np.full(vals.size, np.nan)
        notes.append("the parameters are not separately identifiable from this spectrum (singular Jacobian)")
    Zf = circuit_impedance(om, elements, vals)
    return CircuitFit(tuple(elements), names, vals, rel, Zf, float(np.sqrt(np.mean(r * r))), bool(sol.success),
                      tuple(notes))
