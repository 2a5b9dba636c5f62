"""Small array helpers shared by the KPFM modules."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def fill_gaps(a):
    """Fill the NaN/inf gaps of a 1-D profile by linear interpolation over the pixel index.

    Parameters
    ----------
    a : numpy.ndarray, shape (n,)
        Values (any unit); returned as is when all are finite.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Same unit; gaps at the ends take the nearest finite value.

    Raises
    ------
    InputError
        If no value is finite.
    """
    ok = np.isfinite(a)
    if ok.all():
        return a
    if not ok.any():
        raise InputError("profile has no finite values")
    idx = np.arange(a.size)
    return np.interp(idx, idx[ok], a[ok])
