"""The one spatial result type: a *Profile*, an ``xarray.Dataset`` over ``x`` (nm).

Model results (band diagrams) and measurements (KPFM line profiles) are both Profiles. Conventions:

* coordinate ``x`` in nm (anode side first for cells); positions at a boundary between two layers
  appear twice, once for each layer, so that steps are exact;
* every data variable has ``units`` and ``long_name`` attributes;
* ``layer`` (along ``x``) names the layer each point belongs to, where there are layers;
* dataset attributes: ``ssbands_version``, ``kind`` (``"model"`` or ``"measurement"``),
  ``energy_reference``, ``cpd_convention``, and, as JSON text (NetCDF attributes cannot nest),
  ``metadata_json`` with the inputs.

Tables that belong to a spatial result are dimensions of the same Dataset (so one NetCDF-3 file
holds everything): a per-layer table over ``layer_name`` (variables ``layer_*``), a per-interface
table over ``interface`` (variables ``iface_*``) and per-state scalars over ``ocv``. The accessor
returns each as its own Dataset with plain names: ``ds.ssb.layers``, ``ds.ssb.interfaces``,
``ds.ssb.states``, ``ds.ssb.spatial``. :func:`validate_profile` checks the schema.

A measurement carries its own reference: ``energy_reference`` says that measured CPD has no absolute
energy reference unless the tip was calibrated (``tip_calibration`` attribute), and its
``cpd_convention`` is the instrument's.

Use :func:`make_profile` to build one, the ``.ssb`` accessor (``ds.ssb.metadata``, ``ds.ssb.to_csv``,
``ds.ssb.to_netcdf``) to read and export it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import xarray as xr

from ._version import __version__
from .constants import CPD_CONVENTION, ENERGY_REFERENCE, MEASURED_ENERGY_REFERENCE
from .errors import InputError


def _jsonable(obj):
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if np.isfinite(f) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def to_jsonable(obj):
    """Convert numpy scalars/arrays, paths and NaN (→ null) into plain JSON types."""
    return _jsonable(obj)


def make_profile(x_nm, variables: Mapping[str, tuple[Any, str, str]], *, kind: str,
                 metadata: Mapping[str, Any] | None = None, layer=None, dims=("x",),
                 coords: Mapping[str, Any] | None = None, attrs: Mapping[str, Any] | None = None) -> xr.Dataset:
    """Build a Profile.

    Parameters
    ----------
    x_nm : array_like
        Positions in nm.
    variables : mapping
        ``name -> (values, units, long_name)``; values have dims ``dims`` (last one ``x``).
    kind : {"model", "measurement"}
    metadata : mapping, optional
        Inputs and settings, stored as JSON text in ``attrs["metadata_json"]``.
    layer : array_like of str, optional
        Layer name of each x.
    """
    if kind not in ("model", "measurement"):
        raise InputError(f"Profile kind must be 'model' or 'measurement', got {kind!r}")
    x = np.asarray(x_nm, float)
    data_vars = {}
    for name, (values, units, long_name) in variables.items():
        data_vars[name] = xr.Variable(dims, np.asarray(values), attrs={"units": units, "long_name": long_name})
    c = {"x": xr.Variable(("x",), x, attrs={"units": "nm", "long_name": "position"})}
    if layer is not None:
        c["layer"] = xr.Variable(("x",), np.asarray(layer, dtype=str), attrs={"long_name": "layer name"})
    c.update(coords or {})
    return xr.Dataset(data_vars, coords=c, attrs=base_attrs(kind, metadata, attrs))


def base_attrs(kind: str, metadata: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None) -> dict:
    """The attributes every Profile carries (version, kind, references, metadata as JSON)."""
    a = {
        "ssbands_version": __version__,
        "kind": kind,
        "energy_reference": ENERGY_REFERENCE if kind == "model" else MEASURED_ENERGY_REFERENCE,
        "cpd_convention": CPD_CONVENTION,
        "metadata_json": json.dumps(to_jsonable(dict(metadata or {})), sort_keys=True),
    }
    a.update(extra or {})
    return a


def atomic_write(path: str | Path, writer) -> Path:
    """Write a file atomically: ``writer(tmp_path)`` then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


@xr.register_dataset_accessor("ssb")
class ProfileAccessor:
    """``ds.ssb``: metadata and export of a Profile."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    @property
    def metadata(self) -> dict:
        """The inputs and settings stored with the Profile (parsed ``metadata_json``)."""
        return json.loads(self._ds.attrs.get("metadata_json", "{}"))

    def _table(self, prefix: str, dim: str | None, new_dim: str | None) -> xr.Dataset:
        ds = self._ds
        var_names = cast("list[str]", list(ds.data_vars))  # a Profile names its variables by str
        names = [v for v in var_names if v.startswith(prefix) and (dim is None or dim in ds[v].dims)]
        if not names:
            raise InputError(f"this Profile has no {prefix.rstrip('_') or 'state'} table")
        out = ds[names].rename({v: v[len(prefix):] for v in names})
        if dim is not None and new_dim is not None:
            out = out.rename({dim: new_dim})
        return out.drop_vars([c for c in out.coords if "x" in out[c].dims])

    @property
    def layers(self) -> xr.Dataset:
        """The per-layer table (variables ``layer_*`` without the prefix, over ``layer``)."""
        return self._table("layer_", "layer_name", "layer")

    @property
    def interfaces(self) -> xr.Dataset:
        """The per-interface table (variables ``iface_*`` without the prefix, over ``interface``)."""
        return self._table("iface_", "interface", None)

    @property
    def states(self) -> xr.Dataset:
        """Per-state scalars (electrode Li contents and potentials, flags).

        The variables without ``x``, ``layer_name`` or ``interface`` dimensions.
        """
        ds = self._ds
        names = [v for v in ds.data_vars if not {"x", "layer_name", "interface"} & set(ds[v].dims)]
        return ds[names].drop_vars([c for c in ds.coords if "x" in ds[c].dims or "layer_name" in ds[c].dims
                                    or "interface" in ds[c].dims], errors="ignore")

    @property
    def spatial(self) -> xr.Dataset:
        """The variables along ``x``."""
        ds = self._ds
        return ds[[v for v in ds.data_vars if "x" in ds[v].dims]]

    def validate(self) -> xr.Dataset:
        """Check the Profile schema (see :func:`validate_profile`); returns the Dataset."""
        return validate_profile(self._ds)

    def to_netcdf(self, path: str | Path) -> Path:
        """Write NetCDF (atomically)."""
        ds = self._ds
        return atomic_write(path, lambda p: ds.to_netcdf(p, engine=_netcdf_engine()))

    def write(self, path: str | Path) -> Path:
        """Write NetCDF (``.nc``) or CSV (``.csv``), chosen by the file name's extension."""
        ext = Path(path).suffix.lower()
        if ext == ".nc":
            return self.to_netcdf(path)
        if ext == ".csv":
            return self.to_csv(path)
        raise InputError(f"output file {str(path)!r}: use a .nc (NetCDF) or .csv file name")

    def to_csv(self, path: str | Path) -> Path:
        """Write the variables along ``x`` as CSV (one column per variable and per extra index)."""
        ds = self._ds
        xvars = [v for v in ds.data_vars if ds[v].dims and ds[v].dims[-1] == "x"]
        df = ds[xvars].to_dataframe().reset_index()
        header = "\n".join([f"# ssbands {ds.attrs.get('ssbands_version')} {ds.attrs.get('kind')} profile",
                            f"# energy reference: {ds.attrs.get('energy_reference')}",
                            f"# CPD convention: {ds.attrs.get('cpd_convention')}",
                            "# units: " + ", ".join(f"{v} [{ds[v].attrs.get('units', '')}]" for v in xvars)])

        def w(p):
            with open(p, "w", encoding="utf-8", newline="") as fh:
                fh.write(header + "\n")
                df.to_csv(fh, index=False)

        return atomic_write(path, w)


REQUIRED_ATTRS = ("ssbands_version", "kind", "energy_reference", "cpd_convention", "metadata_json")


def validate_profile(ds: xr.Dataset) -> xr.Dataset:
    """Check that a Dataset follows the Profile schema; raise InputError naming the first violation.

    The schema: the attributes of :data:`REQUIRED_ATTRS` (``kind`` model or measurement, metadata as
    JSON); a 1-D coordinate ``x`` in nm with finite values; every data variable with ``units`` and
    ``long_name``; ``x`` the last dimension of every spatial variable; ``layer_*`` variables over
    ``layer_name`` and ``iface_*`` variables over ``interface``.

    Parameters
    ----------
    ds : xarray.Dataset

    Returns
    -------
    xarray.Dataset
        ``ds`` itself.
    """
    missing = [a for a in REQUIRED_ATTRS if a not in ds.attrs]
    if missing:
        raise InputError(f"Profile: missing attribute(s) {missing}")
    if ds.attrs["kind"] not in ("model", "measurement"):
        raise InputError(f"Profile: attribute kind must be 'model' or 'measurement', got {ds.attrs['kind']!r}")
    try:
        json.loads(ds.attrs["metadata_json"])
    except (TypeError, ValueError) as exc:
        raise InputError(f"Profile: attribute metadata_json is not JSON ({exc})") from None
    if "x" not in ds.coords or ds["x"].dims != ("x",):
        raise InputError("Profile: needs a 1-D coordinate 'x' (positions in nm)")
    if ds["x"].attrs.get("units") != "nm":
        raise InputError(f"Profile: coordinate x must be in nm, has units {ds['x'].attrs.get('units')!r}")
    if not np.all(np.isfinite(ds["x"].values)):
        raise InputError("Profile: coordinate x has non-finite values")
    for name, var in ds.data_vars.items():
        for a in ("units", "long_name"):
            if a not in var.attrs:
                raise InputError(f"Profile: variable {name!r} has no {a!r} attribute")
        if "x" in var.dims and var.dims[-1] != "x":
            raise InputError(f"Profile: variable {name!r} has dims {var.dims}; x must be the last dimension")
        for prefix, dim in (("layer_", "layer_name"), ("iface_", "interface")):
            if str(name).startswith(prefix) and dim not in var.dims:
                raise InputError(f"Profile: table variable {name!r} must be over {dim!r}, has dims {var.dims}")
    return ds


def _netcdf_engine() -> Literal["netcdf4", "h5netcdf", "scipy"]:
    """netCDF4 or h5netcdf (+h5py) when installed, else scipy's NetCDF3 writer (always available)."""
    import importlib.util

    if importlib.util.find_spec("netCDF4"):
        return "netcdf4"
    if importlib.util.find_spec("h5netcdf") and importlib.util.find_spec("h5py"):
        return "h5netcdf"
    return "scipy"


def read_profile(path: str | Path) -> xr.Dataset:
    """Read a Profile written by :meth:`ProfileAccessor.to_netcdf`."""
    try:
        return xr.load_dataset(path, engine=_netcdf_engine())
    except FileNotFoundError:
        raise InputError(f"profile file {str(path)!r} does not exist") from None
    except Exception as exc:  # noqa: BLE001 - engines raise many types
        raise InputError(f"profile file {str(path)!r} cannot be read as NetCDF: {exc}") from None
