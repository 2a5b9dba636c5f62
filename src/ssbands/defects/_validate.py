"""Input validation shared by the defect model, its system and its readers (messages name the field)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError


def number(where: str, fld: str, value, *, positive=False, nonneg=False, allow_none=False):
    """A finite float from a user value, or an InputError naming ``where`` and the field.

    Parameters
    ----------
    where : str
        What is being read (prefix of the message), e.g. ``"defect 'V_Li'"``.
    fld : str
        The field name shown in the message.
    value : object
        The value given (any unit; it is returned unchanged as a float).
    positive, nonneg : bool
        Require value > 0, respectively ≥ 0.
    allow_none : bool
        Return None for a missing value instead of raising.

    Returns
    -------
    float or None
        The value as a float, in the unit it was given in.
    """
    if value is None:
        if allow_none:
            return None
        raise InputError(f"{where}: field {fld!r} is required")
    if isinstance(value, bool):
        raise InputError(f"{where}: field {fld!r} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: field {fld!r} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{where}: field {fld!r} must be finite, got {value!r}")
    if positive and not v > 0:
        raise InputError(f"{where}: field {fld!r} must be > 0, got {value!r}")
    if nonneg and v < 0:
        raise InputError(f"{where}: field {fld!r} must be ≥ 0, got {value!r}")
    return v


def integer(where: str, value) -> int:
    """An integer (a charge in units of e, or an atom count) from a user value.

    Parameters
    ----------
    where : str
        What is being read (prefix of the message).
    value : object
        An int, or a float with an integer value; booleans are refused.

    Returns
    -------
    int
    """
    what = "must be an integer" if "stoichiometry" in where else "charge must be an integer"
    try:
        q = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{where}: {what}, got {value!r}") from None
    if isinstance(value, bool) or (isinstance(value, float) and value != q):
        raise InputError(f"{where}: {what}, got {value!r}")
    return q


def frozen_array(where: str, fld: str, values) -> np.ndarray:
    """A read-only, non-empty, finite float array from a list of numbers.

    Parameters
    ----------
    where : str
        What is being read (prefix of the message).
    fld : str
        The field name shown in the message.
    values : array_like
        The numbers (any unit; returned unchanged).

    Returns
    -------
    ndarray
        A read-only copy as floats.
    """
    try:
        a = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{where}: field {fld!r} must be a list of numbers") from None
    if a.size == 0:
        raise InputError(f"{where}: field {fld!r} is empty")
    if not np.all(np.isfinite(a)):
        raise InputError(f"{where}: field {fld!r} contains a non-finite value")
    a.setflags(write=False)
    return a


#: The chemical element symbols (IUPAC), for checking the keys of chemical potentials.
ELEMENTS = frozenset("""
H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr
Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir
Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh
Fl Mc Lv Ts Og""".split())


def check_elements(where: str, given, used=None) -> None:
    """Refuse chemical-potential keys that are not element symbols or that no defect contains.

    Parameters
    ----------
    where : str
        What is being read (prefix of the message).
    given : iterable of str
        The keys of the chemical potentials given.
    used : sequence of str, optional
        The elements that enter the formation energies (the defects' stoichiometries) or have a
        default chemical potential; None: check the symbols only.

    Raises
    ------
    InputError
        For a key that is not an element symbol (wrong case included) or that has no effect.
    """
    for key in given:
        k = str(key)
        if k not in ELEMENTS:
            fix = k[:1].upper() + k[1:].lower()
            hint = f"; did you mean {fix!r}?" if fix in ELEMENTS else " (element symbols are case-sensitive, e.g. Li)"
            raise InputError(f"{where}: chemical potential of {k!r}: not an element symbol{hint}")
        if used is not None and k not in used:
            used = list(used)
            known = ", ".join(used) if used else "none"
            raise InputError(f"{where}: chemical potential of {k!r} has no effect: no defect whose concentration "
                             f"is free contains {k} (elements that change concentrations: {known}; a species with "
                             "a fixed total or without a stoichiometry does not depend on mu)")

