r"""The electrolyte bulk inside a cell: its vacuum level against μ_Li,SE, and its space-charge layers.

Two models, one interface (:class:`BulkModel`):

* **Frenkel limit** (no defect model in the library): ionic defects alone set neutrality, the bulk
  vacuum level is tied to μ̄_Li⁺ by the constant step φ0^Li, so E_vac,SE = Φ_Li − μ̄_Li⁺ − φ0^Li does not
  move with μ_Li,SE (slope s = 0) and the layers are the two-defect first integral (Swift & Qi,
  *Phys. Rev. Lett.* 122, 167701 (2019); Swift, Swift & Qi, *Nat. Comput. Sci.* 1, 212 (2021)).
* **From the defect model** (library field ``defect_model``): neutrality is solved at each μ_Li,SE, giving
  ε_F = E_F − E_VBM and E_vac,SE = μ_Li,SE − μ̄_Li⁺ + IP − ε_F(μ_Li,SE); equivalently the interface step
  uses φ0^Li,eff(μ_Li,SE) = Φ_Li − μ_Li,SE − IP + ε_F (:func:`ssbands.defects.electrolyte_bulk`). The slope
  s = dE_vac/dμ_Li,SE lies between 0 (ionic compensation) and 1 (Fermi level pinned by fixed electronic
  dopants). The layers use the same species set (electrons and holes included):
  :func:`ssbands.defects.layer_species` with :class:`ssbands.scl.species.GeneralLayer`.

Across the electrolyte μ_Li,SE varies linearly between its two edges (the closure), so with s > 0 the bulk
vacuum level has a gradient s·Δμ_Li/L (minimum-interface closure).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..errors import InputError

#: μ grid points for interpolating a defect-model bulk across the electrolyte (cubic Hermite with exact slopes).
N_MU_GRID = 65


@functools.lru_cache(maxsize=16)
def _load_system(path: str, mtime: float):
    from ..defects import DefectSystem

    return DefectSystem.from_yaml(path)


def load_defect_model(material: Any):
    """The :class:`~ssbands.defects.DefectSystem` named by an electrolyte's ``defect_model`` field, or None.

    Parameters
    ----------
    material : Material
        An electrolyte.

    Returns
    -------
    DefectSystem or None
    """
    if not material.has("defect_model"):
        return None
    path = Path(str(material.get("defect_model")))
    if not path.is_file():
        raise InputError(f"material {material.name!r}: defect_model file {str(path)!r} does not exist")
    return _load_system(str(path.resolve()), path.stat().st_mtime)


@dataclass(frozen=True)
class BulkState:
    """The electrolyte bulk at an array of μ_Li,SE (all arrays of that shape).

    Attributes
    ----------
    phi0_li_V : ndarray
        Step against Li metal φ0^Li (constant in the Frenkel limit, φ0^Li,eff otherwise), V.
    fermi_above_vbm_eV : ndarray
        ε_F = E_F − E_VBM (NaN when the ionization potential is unknown), eV.
    slope : ndarray
        s = dE_vac,SE/dμ_Li,SE (0 in the Frenkel limit).
    """

    phi0_li_V: np.ndarray
    fermi_above_vbm_eV: np.ndarray
    slope: np.ndarray


class BulkModel:
    """The electrolyte bulk of a cell: φ0^Li, ε_F and s as functions of μ_Li,SE.

    Parameters
    ----------
    material : Material
        The electrolyte.
    phi_li_eV : float
        Work function of Li metal Φ_Li (eV).
    temperature_K : float
        Temperature (K).
    """

    def __init__(self, material: Any, phi_li_eV: float, temperature_K: float):
        self.material = material
        self.phi_li_eV = float(phi_li_eV)
        self.temperature_K = float(temperature_K)
        self.system = load_defect_model(material)
        self.ip = float(material.get("ionization_potential_eV")) if material.has("ionization_potential_eV") else np.nan
        if self.system is not None and not np.isfinite(self.ip):
            raise InputError(f"material {material.name!r}: a defect_model needs its ionization_potential_eV (the "
                             "vacuum level of the bulk is IP above its valence-band maximum)")
        self.phi0_li = (None if self.system is not None
                        else float(material.get("phi0_li_V", "the electrolyte's vacuum level (ionic work function)")))

    @property
    def from_defects(self) -> bool:
        """True when the bulk comes from a defect model."""
        return self.system is not None

    def at(self, mu_li_eV) -> BulkState:
        """The bulk at μ_Li,SE (any shape; exact solves at the unique values).

        Parameters
        ----------
        mu_li_eV : array_like
            μ_Li,SE in eV vs Li metal.

        Returns
        -------
        BulkState
        """
        mu = np.asarray(mu_li_eV, float)
        if self.system is None:
            phi0 = np.full(mu.shape, self.phi0_li)
            phi0_li = cast(float, self.phi0_li)  # set whenever there is no defect model (constructor)
            pos = (mu - self.phi_li_eV) + phi0_li + self.ip
            return BulkState(phi0, pos, np.zeros(mu.shape))
        from ..defects import electrolyte_bulk

        u, inv = np.unique(mu, return_inverse=True)
        b = electrolyte_bulk(self.system, u, self.ip, temperature_K=self.temperature_K, phi_li_eV=self.phi_li_eV)
        take = inv.reshape(mu.shape)
        return BulkState(np.asarray(b.phi0_li_V)[take], b.fermi_level_eV[take], b.slope[take])

    def across(self, mu_li_eV) -> BulkState:
        """The bulk at many μ_Li,SE inside one range (the electrolyte's interior), by interpolation.

        Exact for the Frenkel limit; for a defect model, solved on :data:`N_MU_GRID` points spanning the
        range and interpolated by cubic Hermite with the exact slope dε_F/dμ = 1 − s.

        Parameters
        ----------
        mu_li_eV : array_like
            μ_Li,SE in eV.

        Returns
        -------
        BulkState
        """
        mu = np.asarray(mu_li_eV, float)
        if self.system is None or mu.size <= N_MU_GRID:
            return self.at(mu)
        lo, hi = float(mu.min()), float(mu.max())
        if hi - lo < 1e-12:
            return self.at(mu)
        from scipy.interpolate import CubicHermiteSpline

        g = np.linspace(lo, hi, N_MU_GRID)
        b = self.at(g)
        eps = CubicHermiteSpline(g, b.fermi_above_vbm_eV, 1.0 - b.slope)(mu)
        s = np.interp(mu, g, b.slope)
        phi0 = self.phi_li_eV - mu - self.ip + eps
        return BulkState(phi0, eps, s)

    def layer(self, mu_li_eV: float, phi0_V: float):
        """The space-charge layer screening φ0 at one μ_Li,SE, with the bulk's own species set.

        Parameters
        ----------
        mu_li_eV : float
            μ_Li,SE next to the interface (eV).
        phi0_V : float
            The step screened (V).

        Returns
        -------
        GeneralLayer or SpaceChargeLayer
            Has ``potential(x_nm)``, ``extent_nm(tol)`` and ``result``.
        """
        from ..defects import layer_species

        eps = float(self.material.get("permittivity", "the space-charge layers"))
        alpha = float(self.material.get("alpha")) if self.material.has("alpha") else 1.0
        sp = layer_species(self.system, float(mu_li_eV), eps, temperature_K=self.temperature_K, alpha=alpha)
        return sp.layer(float(phi0_V))
