"""KPFM overlay of the page: an uploaded measurement as a profile, and the model fitted to it.

An upload is the file's bytes (the page never sends a path). They are written under a fresh private
temporary folder with a sanitised name (the name's extension tells the readers the format) and read
with the package's readers (:func:`ssbands.kpfm.io.read` and
:func:`ssbands.kpfm.processing.map_to_profile`, or a NetCDF Profile with ``dcpd_V``/``cpd_V``); the
folder is removed at once. Messages name the uploaded file, not the temporary folder.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import threading
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..profile import to_jsonable
from .compute import finite_number, one_line

#: fit parameters the page offers (names of :func:`ssbands.kpfm.fit.parse_params`)
FIT_PARAMETERS = ("offset", "width", "x_offset", "x_scale", "mu_li_se")
_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_upload_name(name: Any) -> str:
    """A file name for an upload: the last path component, letters, digits, ``._-`` only.

    Parameters
    ----------
    name : object
        The name the page reports (may hold directories or odd characters; never used as a path).

    Returns
    -------
    str
        At most 80 characters, no leading dot; ``"upload"`` when nothing is left.
    """
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = _NAME.sub("_", base).lstrip(".")[-80:]
    return base or "upload"


def _profile_of(path: Path, pixel_size_nm, channel, flip_sign) -> tuple[dict, Any]:
    """Read one file into (description, Profile)."""
    if path.suffix.lower() == ".nc":
        from ..profile import read_profile

        ds = read_profile(path)
        return {"format": "netcdf-profile", "channel": None, "notes": []}, ds
    from ..kpfm.io import read
    from ..kpfm.processing import map_to_profile

    kf = read(path, channel=channel)
    ds = map_to_profile(kf, channel, pixel_size_nm=pixel_size_nm, flip_sign=bool(flip_sign))
    return {"format": kf.format, "channel": kf.channel(channel).title, "notes": list(kf.notes)}, ds


def read_upload(data: bytes, name: Any, *, pixel_size_nm: float | None = None, channel: str | None = None,
                flip_sign: bool = False) -> dict:
    """Read an uploaded KPFM file (bytes) into a measured profile along x.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The name the page reports (sanitised with :func:`safe_upload_name`; its extension picks the
        reader when the content does not).
    pixel_size_nm : float, optional
        Pixel size for files without a physical size, nm.
    channel : str, optional
        Channel to use instead of the automatic potential channel.
    flip_sign : bool
        Negate the values (tip-bias instruments).

    Returns
    -------
    dict
        ``name``, ``format``, ``channel``, ``kind`` (``"dcpd"`` for a ΔCPD Profile, ``"cpd"`` for a
        CPD map), ``x_nm``, ``values_V``, ``std_V`` (or None), ``notes``.
    """
    fname = safe_upload_name(name)
    if pixel_size_nm is not None:
        pixel_size_nm = finite_number(pixel_size_nm, "pixel_size_nm", "nm")
        if pixel_size_nm <= 0:
            raise InputError(f"pixel_size_nm must be > 0 nm, got {pixel_size_nm!r}")
    with tempfile.TemporaryDirectory(prefix="ssbands-web-") as tmp:
        path = Path(tmp) / fname
        path.write_bytes(data)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                info, ds = _profile_of(path, pixel_size_nm, channel or None, flip_sign)
        except InputError as exc:
            raise InputError(one_line(str(exc).replace(str(path), fname).replace(tmp, "."))) from None
        notes = [n.replace(str(path), fname) for n in info["notes"]]
        notes += [one_line(w.message).replace(str(path), fname) for w in caught]
    var = next((v for v in ("dcpd_V", "delta_cpd_V", "cpd_V") if v in ds), None)
    if var is None:
        raise InputError(f"{fname}: the profile has no cpd_V or dcpd_V (a map of another quantity? name the "
                         f"potential channel); it has {sorted(ds.data_vars)}")
    y = ds[var]
    if y.ndim != 1:
        raise InputError(f"{fname}: {var} has dims {y.dims}; upload one profile (a single OCV)")
    std = ds["std_V"].values if "std_V" in ds and ds["std_V"].ndim == 1 else None
    return {"name": fname, "format": info["format"], "channel": info["channel"],
            "kind": "cpd" if var == "cpd_V" else "dcpd", "x_nm": np.asarray(ds["x"].values, float),
            "values_V": np.asarray(y.values, float), "std_V": std, "notes": notes}


class UploadStore:
    """The last few uploads of a server, by random token (the page refers to an upload by its token).

    Parameters
    ----------
    size : int
        Uploads kept.
    """

    def __init__(self, size: int = 8):
        self._items: OrderedDict[str, dict] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, item: dict) -> str:
        """Keep an upload.

        Parameters
        ----------
        item : dict
            The upload (:func:`read_upload`).

        Returns
        -------
        str
            Its new random token.
        """
        token = secrets.token_urlsafe(12)
        with self._lock:
            self._items[token] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return token

    def get(self, token: Any) -> dict:
        """The upload of a token.

        Parameters
        ----------
        token : object
            A token from :meth:`add`.

        Returns
        -------
        dict
            The upload; InputError when the token is unknown or expired.
        """
        with self._lock:
            item = self._items.get(str(token))
        if item is None:
            raise InputError("the KPFM upload is no longer on the server (it keeps the last few); upload it again")
        return item


def fit_upload(stack, library, measured: dict, ocv: Any, params, reference_ocv: Any = None) -> dict:
    """Fit the cell model to an uploaded profile taken at ``ocv``.

    A CPD map is absolute: its fit needs ``offset`` (a constant), which the page selects by default.

    Parameters
    ----------
    stack : Stack
        The cell on the page.
    library : Library
        The server's library.
    measured : dict
        An upload (:func:`read_upload`).
    ocv : float
        OCV of the measurement, V (checked: a finite number).
    params : list of str
        Parameters from :data:`FIT_PARAMETERS`.
    reference_ocv : float, optional
        OCV of the ΔCPD reference state (default: the automatic reference of the band diagram).

    Returns
    -------
    dict
        :meth:`ssbands.kpfm.fit.FitResult.to_dict` (parameters, χ², profiles on the measured x).
    """
    from ..cell import reachable_ocv_range
    from ..interface import reference_state
    from ..kpfm.fit import fit

    if not isinstance(params, list) or not params or any(p not in FIT_PARAMETERS for p in params):
        raise InputError(f"params must be a non-empty list from {', '.join(FIT_PARAMETERS)}, got {params!r}")
    ocv = finite_number(ocv, "ocv", "V")
    if reference_ocv is None:
        reference_ocv = reference_state(reachable_ocv_range(stack), "auto").ocv_V
    reference_ocv = finite_number(reference_ocv, "reference_ocv", "V")
    if abs(ocv - reference_ocv) < 1e-9:
        raise InputError(f"the OCV ({ocv:g} V) is the ΔCPD reference state; move the OCV to fit a measured profile")
    x, y = measured["x_nm"], measured["values_V"]
    ok = np.isfinite(y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = fit(y[None, ok], stack, list(params), x_nm=x[ok], ocv=[ocv], reference_ocv=reference_ocv,
                sigma_V=None, weights="none", library=library)
    d = r.to_dict()
    d["warnings"] = list(d.get("warnings", [])) + [one_line(w.message) for w in caught]
    return to_jsonable(d)
