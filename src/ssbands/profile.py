"""The one spatial result type: a *Profile*, an ``xarray.Dataset`` over ``x`` (nm).

Model results (band diagrams) and measurements (KPFM line profiles) are both Profiles. Conventions:

* coordinate ``x`` in nm (anode side first for cells); positions at a boundary between two layers
  appear twice, once for each layer, so that steps are exact;
* every data variable has ``units`` and ``long_name`` attributes;
* ``layer`` (along ``x``) names the layer each point belongs to, where there are layers;
* dataset attributes: ``ssbands_version``, ``kind`` (``"model"`` or ``"measurement"``),
  ``energy_reference``, ``cpd_convention``, and, as JSON text (NetCDF attributes cannot nest),
  ``metadata_json`` with the inputs.

Use :func:`make_profile` to build one, the ``.ssb`` accessor (``ds.ssb.metadata``, ``ds.ssb.to_csv``,
``ds.ssb.to_netcdf``) to read and export it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import xarray as xr

from ._version import __version__
from .constants import CPD_CONVENTION, ENERGY_REFERENCE
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
        "energy_reference": ENERGY_REFERENCE,
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
        return json.loads(self._ds.attrs.get("metadata_json", "{}"))

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


def _netcdf_engine() -> str:
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
