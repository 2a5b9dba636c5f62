r"""Closed forms of the impedance of a homogeneous electrolyte between blocking electrodes (test references).

A homogeneous electrolyte (no equilibrium space charge) of thickness L with carriers q of conductivity
σ_q and chemical capacitance density C_q (F/m³; z²e²c/kT for dilute carriers) between two completely
blocking electrodes (Macdonald, *Phys. Rev.* 92, 4 (1953), doi:10.1103/PhysRev.92.4; Barsoukov &
Macdonald, *Impedance Spectroscopy*, 2nd ed., Wiley 2005, §2.2.3).

* Equal diffusivities D = σ_q/C_q of every carrier: the charge density obeys ρ'' = κ²ρ with
  κ² = (1 + jωτ)/λ², τ = ε/σ, λ² = ε/ΣC_q (Debye length), and::

      Z = R∞/(1 + jωτ) · [1 + tanh(κL/2) / (jωτ · κL/2)],     R∞ = L/σ.

  At low frequency Z → R∞ + 2/(jω ε/λ): the two diffuse layers' capacitances ε/λ in series.
* Any diffusivities (:func:`homogeneous_blocking`): the constant-coefficient ODE system
  σ_q η_q'' = jωC_q(η_q − φ), εφ'' = −ΣC_q(η_q − φ) solved exactly by its eigenvectors (Macdonald's
  unequal-mobility case) — used as the reference with more than one diffusivity.

Units: SI inside (m, S/m, F/m³), Ω cm² out.
"""

from __future__ import annotations

import numpy as np

from ..constants import EPS0

__all__ = ["macdonald_equal_diffusivity", "homogeneous_blocking"]


def macdonald_equal_diffusivity(omega, thickness_m, conductivity_S_m, permittivity, debye_length_m):
    """Impedance (Ω cm²) of a homogeneous electrolyte with equal carrier diffusivities, blocking electrodes.

    Parameters
    ----------
    omega : array_like
        Angular frequency, rad/s.
    thickness_m : float
        Electrolyte thickness L, m.
    conductivity_S_m : float
        Total conductivity σ, S/m.
    permittivity : float
        Relative permittivity ε_r.
    debye_length_m : float
        Debye length λ = sqrt(ε/ΣC_q), m.

    Returns
    -------
    ndarray of complex
        Z·A in Ω cm².
    """
    w = np.asarray(omega, float)
    eps = permittivity * EPS0
    tau = eps / conductivity_S_m
    jwt = 1j * w * tau
    half = 0.5 * thickness_m * np.sqrt(1.0 + jwt) / debye_length_m  # κL/2
    R = thickness_m / conductivity_S_m
    return R / (1.0 + jwt) * (1.0 + np.tanh(half) / (jwt * half)) * 1e4


def homogeneous_blocking(omega, thickness_m, conductivities_S_m, capacitances_F_m3, permittivity):
    """Impedance (Ω cm²) of a homogeneous electrolyte with any carriers between blocking electrodes.

    The exact solution of the linear constant-coefficient system (state y = [η_q, η_q', φ, φ']) by its
    eigen-decomposition, with δφ(0) = 1, δφ(L) = 0 and zero carrier flux at both ends.

    Parameters
    ----------
    omega : array_like
        Angular frequencies, rad/s (> 0).
    thickness_m : float
        Thickness, m.
    conductivities_S_m, capacitances_F_m3 : sequence of float
        σ_q (S/m) and C_q (F/m³) of each carrier.
    permittivity : float
        Relative permittivity.

    Returns
    -------
    ndarray of complex
        Z·A in Ω cm².
    """
    sig = np.asarray(conductivities_S_m, float)
    C = np.asarray(capacitances_F_m3, float)
    eps = permittivity * EPS0
    m = sig.size
    L = float(thickness_m)
    out = []
    for w in np.atleast_1d(np.asarray(omega, float)):
        n = 2 * m + 2
        K = np.zeros((n, n), complex)  # y' = K y
        for q in range(m):
            K[2 * q, 2 * q + 1] = 1.0
            K[2 * q + 1, 2 * q] = 1j * w * C[q] / sig[q]
            K[2 * q + 1, 2 * m] = -1j * w * C[q] / sig[q]
        K[2 * m, 2 * m + 1] = 1.0
        for q in range(m):
            K[2 * m + 1, 2 * q] = -C[q] / eps
        K[2 * m + 1, 2 * m] = C.sum() / eps
        lam, vec = np.linalg.eig(K)
        # the two zero eigenvalues form a Jordan block (uniform field: η_q = φ = a + b x); replace them
        keep = np.argsort(np.abs(lam))[2:]
        lam, vec = lam[keep], vec[:, keep]
        # y(x) = Σ a_k v_k exp(λ_k (x − x_k)), x_k = 0 for Re λ < 0 else L (bounded exponentials)
        xk = np.where(lam.real < 0, 0.0, L)
        e0 = np.exp(lam * (0.0 - xk))
        eL = np.exp(lam * (L - xk))
        # + a_c (constant mode: η = φ = 1) + a_l (linear mode: η = φ = x/L, derivatives 1/L)
        val = np.zeros(n)
        val[0::2] = 1.0
        der = np.zeros(n)
        der[1::2] = 1.0 / L

        Y0 = np.concatenate([vec * e0[None, :], val[:, None], der[:, None]], axis=1)  # rows of y(0)
        YL = np.concatenate([vec * eL[None, :], val[:, None], (val + der)[:, None]], axis=1)  # rows of y(L)
        rows, rhs = [], []
        for q in range(m):  # η_q' = 0 at both ends
            rows += [Y0[2 * q + 1], YL[2 * q + 1]]
            rhs += [0.0, 0.0]
        rows += [Y0[2 * m], YL[2 * m]]
        rhs += [1.0, 0.0]
        a = np.linalg.solve(np.array(rows), np.array(rhs, complex))
        dphi0 = np.sum(a * Y0[2 * m + 1])
        current = -1j * w * eps * dphi0  # displacement current at the blocking wall
        out.append(1.0 / current * 1e4)
    return np.array(out)
