"""The result of a fit: :class:`FitParameter` and :class:`FitResult` (with its plain-JSON form)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from ...profile import to_jsonable


@dataclass
class FitParameter:
    """One fitted parameter: best value, standard error, unit and bounds.

    Attributes
    ----------
    name : str
        Result name (``width_nm``, ``dipole:L|R``, ``offset@<ocv>V``, ...).
    value, stderr : float
        Best value and its standard error, in ``unit``.
    unit : str
        ``"eV"``, ``"V"``, ``"nm"`` or ``"1"``.
    lower, upper : float
        Bounds of the fit (``unit``).
    initial : float
        Starting value (``unit``).
    """

    name: str
    value: float
    stderr: float
    unit: str
    lower: float
    upper: float
    initial: float

    def to_dict(self) -> dict:
        """Plain form: ``{value, stderr, unit, initial, bounds: [lower, upper]}``.

        Returns
        -------
        dict
        """
        return {"value": self.value, "stderr": self.stderr, "unit": self.unit, "initial": self.initial,
                "bounds": [self.lower, self.upper]}


@dataclass
class FitResult:
    """Outcome of :func:`fit` (serialise with :meth:`to_dict`).

    Attributes
    ----------
    parameters : dict of FitParameter
        Fitted parameters by name (``mu_li_se_eV``, ``dipole:L|R``, ``offset@<ocv>V``, ``width_nm``,
        ``front_nm``, ``x_offset_nm``, ``x_scale``).
    fixed : dict
        Values of the model settings that were held fixed (same names).
    covariance, correlation : ndarray (p, p)
        In the order of ``names``.
    reduced_chi2 : float
        χ²/(N − p); dimensionless for weighted fits, the residual variance in V² for unweighted ones.
    decomposition : xarray.Dataset
        Profile over (ocv, x) on the measured x: ``measured_V``, ``sigma_V``, ``dcpd_fit_V`` (model with
        offset), ``dcpd_work_function_V`` (−ΔΦ/e), ``dcpd_potential_V`` (ΔV), ``offset_V``,
        ``residual_V`` (measured − model, NaN where not fitted), ``used``.
    model_profile : xarray.Dataset
        The unblurred band-diagram Profile of the best parameters (model x), without the front.
    """

    parameters: dict
    fixed: dict
    names: list
    covariance: np.ndarray
    correlation: np.ndarray
    chi2: float
    reduced_chi2: float
    n_points: int
    dof: int
    weighted: bool
    absolute_sigma: bool | None
    ocv_V: np.ndarray
    reference_ocv_V: float
    decomposition: xr.Dataset
    model_profile: xr.Dataset | None
    success: bool
    message: str
    nfev: int
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    source: str = ""

    def value(self, name: str) -> float:
        """Value of a fitted or fixed setting by result name.

        Parameters
        ----------
        name : str
            Result name.

        Returns
        -------
        float
            In the parameter's unit (:data:`~.parameters.PARAM_UNITS`).
        """
        return self.parameters[name].value if name in self.parameters else float(self.fixed[name])

    def stderr(self, name: str) -> float:
        """Standard error of a fitted parameter by result name.

        Parameters
        ----------
        name : str
            Result name.

        Returns
        -------
        float
            In the parameter's unit.
        """
        return self.parameters[name].stderr

    @property
    def residuals(self) -> np.ndarray:
        """Measured − model (V), (n_ocv, n_x); NaN at points not fitted."""
        return self.decomposition["residual_V"].values

    def to_dict(self, arrays: bool = True) -> dict:
        """Plain-JSON form of the result.

        ``parameters`` {name: {value, stderr, unit, ...}}, ``correlation`` {names, matrix},
        ``reduced_chi2``, ``n_points`` ... and, with ``arrays``, the profiles.

        Parameters
        ----------
        arrays : bool
            Include the measured, fitted and decomposed profiles (V) and x (nm).

        Returns
        -------
        dict
            JSON-ready (NaN and inf as null).
        """
        d: dict[str, Any] = {
            "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
            "fixed": dict(self.fixed),
            "correlation": {"names": list(self.names), "matrix": self.correlation},
            "covariance": {"names": list(self.names), "matrix": self.covariance},
            "reduced_chi2": self.reduced_chi2, "chi2": self.chi2, "n_points": self.n_points, "dof": self.dof,
            "n_parameters": len(self.names), "weighted": self.weighted, "absolute_sigma": self.absolute_sigma,
            "ocv_V": self.ocv_V, "reference_ocv_V": self.reference_ocv_V,
            "residual_rms_V": float(np.sqrt(np.nanmean(self.residuals ** 2))),
            "success": self.success, "message": self.message, "nfev": self.nfev,
            "warnings": list(self.warnings), "notes": list(self.notes), "source": self.source,
        }
        if arrays:
            ds = self.decomposition
            d["profiles"] = {"x_nm": ds["x"].values, **{v: ds[v].values for v in (
                "measured_V", "dcpd_fit_V", "dcpd_work_function_V", "dcpd_potential_V", "residual_V")}}
        return to_jsonable(d)


