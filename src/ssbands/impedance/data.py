r"""Measured impedance spectra: reading them and fitting physical parameters of the model to them.

* :func:`read_eis_csv` reads a delimited text file of frequency, Z′ and Z″ (comma, semicolon, tab or
  whitespace; a header row is optional). With a header, columns are found by name (``freq``/``f``;
  ``Z'``/``Re``/``Zreal``; ``Z''``/``Im``/``Zimag``; a leading minus or ``-Im`` marks a column holding
  −Z″); without one the first three numeric columns are f, Z′, Z″ and a third column that is mostly
  positive is read as −Z″ (capacitive data have Z″ < 0) — the note says which was assumed. With
  ``area_cm2`` the impedance (Ω) is multiplied by the electrode area to give Ω cm².
  ``instrument=...`` reads vendor exports through the maintained reader of the ``impedance`` package
  (impedance.py, Murbach et al., *J. Open Source Softw.* 5, 2349 (2020), doi:10.21105/joss.02349) when
  it is installed.
* :func:`fit_parameters` fits chosen physical parameters (exchange current densities, diffusivities,
  interface dipoles, …) of a model spectrum to data by least squares on the relative complex
  residual, with standard errors from the Jacobian; :func:`cell_model` builds that model from a
  stack (each evaluation is a full linearised-PNP spectrum, milliseconds).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InputError, read_text_file

__all__ = ["EISData", "read_eis_csv", "ParameterFit", "fit_parameters", "cell_model", "CELL_PARAMETERS"]


@dataclass(frozen=True)
class EISData:
    """A measured spectrum.

    Attributes
    ----------
    frequency_Hz : ndarray
    Z_ohm_cm2 : ndarray of complex
        Area-specific impedance (Ω cm²; Ω when no area was given and the file is not area-specific).
    source : str
    notes : tuple of str
    """

    frequency_Hz: np.ndarray
    Z_ohm_cm2: np.ndarray
    source: str = ""
    notes: tuple = field(default_factory=tuple)


_F = re.compile(r"^(f|freq|frequency)\b", re.I)
_RE = re.compile(r"(z'(?!')|zre|z_re|re\(z\)|real|z_real|zreal|^re\b|z1)", re.I)
_IM = re.compile(r"(z''|zim|z_im|im\(z\)|imag|z_imag|zimag|^-?im\b|z2)", re.I)


def _columns(header):
    """(f, Z', Z'' column indices, whether Z'' is stored negated) from header names, or None."""
    h = [c.strip().strip('"').replace("\u2032", "'").replace("\u2033", "''").replace("\u2212", "-") for c in header]
    fi = next((i for i, c in enumerate(h) if _F.search(c)), None)
    ii = next((i for i, c in enumerate(h) if _IM.search(c)), None)
    ri = next((i for i, c in enumerate(h) if i != ii and _RE.search(c)), None)
    if None in (fi, ri, ii):
        return None
    neg = h[ii].lstrip().startswith("-") or "-im" in h[ii].lower() or "-z" in h[ii].lower()
    return fi, ri, ii, neg


def _rows(text):
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise InputError("the EIS file has no data rows")
    sample = "\n".join(lines[:20])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t ")
        rows = list(csv.reader(lines, dialect))
    except csv.Error:
        rows = [ln.split() for ln in lines]
    return [[c for c in r if c.strip() != ""] for r in rows]


def _read_instrument(path, instrument):
    try:
        from impedance import preprocessing
    except ImportError:
        raise InputError(f"reading {instrument!r} exports needs the 'impedance' package (pip install impedance); "
                         "or export the data as CSV of frequency, Z', Z''") from None
    f, Z = preprocessing.readFile(str(path), instrument=instrument)
    return np.asarray(f, float), np.asarray(Z, complex)


def read_eis_csv(path, *, area_cm2: float | None = None, imag_sign: str = "auto",
                 instrument: str | None = None) -> EISData:
    """Read a measured impedance spectrum.

    Parameters
    ----------
    path : str or Path
        Text file of frequency (Hz), Z′ (Ω) and Z″ (Ω) columns, or a vendor export with ``instrument``.
    area_cm2 : float, optional
        Electrode area, cm²: the impedance is multiplied by it (Ω → Ω cm²). Without it the values are
        taken as already area-specific.
    imag_sign : {"auto", "as-is", "negated"}
        Whether the third column is Z″ (``as-is``) or −Z″ (``negated``); ``auto`` uses the header, else
        the sign of the data (mostly positive → −Z″).
    instrument : str, optional
        Vendor format read by ``impedance.preprocessing.readFile`` (e.g. ``"gamry"``, ``"autolab"``,
        ``"biologic"``, ``"parstat"``, ``"zplot"``, ``"versastudio"``, ``"powersuite"``, ``"chinstruments"``).

    Returns
    -------
    EISData
    """
    notes = []
    if instrument is not None:
        f, Z = _read_instrument(path, instrument)
        notes.append(f"read with impedance.preprocessing.readFile(instrument={instrument!r})")
    else:
        f, Z, note = _parse_text(read_text_file(path, "EIS data file"), imag_sign, str(path))
        notes.append(note)
    if f.size < 2 or np.any(~np.isfinite(f)) or np.any(f <= 0) or np.any(~np.isfinite(Z)):
        raise InputError(f"EIS data file {str(path)!r}: need >= 2 rows with finite values and frequencies > 0")
    if area_cm2 is not None:
        if not (np.isfinite(area_cm2) and area_cm2 > 0):
            raise InputError(f"area_cm2 must be > 0, got {area_cm2!r}")
        Z = Z * float(area_cm2)
        notes.append(f"multiplied by the electrode area {area_cm2:g} cm^2 (ohm -> ohm cm^2)")
    else:
        notes.append("no electrode area given: the values are taken as area-specific (ohm cm^2)")
    return EISData(f, Z, str(path), tuple(notes))


def _parse_text(text, imag_sign, where):
    if imag_sign not in ("auto", "as-is", "negated"):
        raise InputError(f"imag_sign must be 'auto', 'as-is' or 'negated', got {imag_sign!r}")
    rows = _rows(text)
    cols = None
    try:
        [float(c) for c in rows[0][:3]]
    except ValueError:
        cols = _columns(rows[0])
        if cols is None:
            raise InputError(f"EIS data file {where!r}: header {rows[0]!r} does not name frequency, Z' and Z'' "
                             "columns (use e.g. 'freq, Zreal, Zimag')") from None
        rows = rows[1:]
    fi, ri, ii, neg = cols if cols else (0, 1, 2, None)
    try:
        data = np.array([[float(r[fi]), float(r[ri]), float(r[ii])] for r in rows])
    except (ValueError, IndexError) as exc:
        raise InputError(f"EIS data file {where!r}: a row is not numeric or has too few columns ({exc})") from None
    f, zr, zi = data.T
    if imag_sign == "negated" or (imag_sign == "auto" and neg):
        zi, note = -zi, "third column read as -Z''"
    elif imag_sign == "as-is" or (imag_sign == "auto" and neg is False):
        note = "third column read as Z''"
    elif np.mean(zi > 0) > 0.5:
        zi, note = -zi, "no header: the third column is mostly positive, read as -Z'' (capacitive Z'' < 0)"
    else:
        note = "no header: the third column read as Z''"
    return f, zr + 1j * zi, note


@dataclass(frozen=True)
class ParameterFit:
    """Result of :func:`fit_parameters`.

    Attributes
    ----------
    names : tuple of str
    values : ndarray
    stderr : ndarray
        Standard errors (same units as the values; NaN when not identifiable).
    Z_fit : ndarray of complex
    rms_residual : float
        RMS of the relative complex residual.
    success : bool
    notes : tuple of str
    """

    names: tuple
    values: np.ndarray
    stderr: np.ndarray
    Z_fit: np.ndarray
    rms_residual: float
    success: bool
    notes: tuple = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """JSON-ready dict ``{name: {"value", "stderr"}}`` plus ``rms_residual`` and ``notes``."""
        def fl(v):
            return float(v) if np.isfinite(v) else None

        return {"parameters": {n: {"value": fl(v), "stderr": fl(s)} for n, v, s in
                               zip(self.names, self.values, self.stderr, strict=True)},
                "rms_residual": fl(self.rms_residual), "success": self.success, "notes": list(self.notes)}


def fit_parameters(data: EISData, model, initial: dict, *, log: dict | None = None) -> ParameterFit:
    """Least-squares fit of physical parameters of a model spectrum to measured data.

    Parameters
    ----------
    data : EISData
        The measured spectrum (Ω cm²).
    model : callable
        ``model(params: dict, frequency_Hz) -> Z_ohm_cm2`` (e.g. :func:`cell_model`).
    initial : dict
        ``{name: initial value}`` of the parameters to fit.
    log : dict, optional
        ``{name: bool}``: fit in log space (positive quantities; default True for values > 0).

    Returns
    -------
    ParameterFit
        Values with standard errors from the Jacobian (cov = s²(JᵀJ)⁻¹, s² the residual variance).
    """
    from scipy.optimize import least_squares

    names = tuple(initial)
    x0 = np.array([float(initial[n]) for n in names])
    lg = np.array([(log or {}).get(n, x0[i] > 0) for i, n in enumerate(names)], bool)
    f = data.frequency_Hz
    w = 1.0 / np.abs(data.Z_ohm_cm2)

    def unpack(p):
        return {n: (np.exp(v) if lg[i] else v) for i, (n, v) in enumerate(zip(names, p, strict=True))}

    def res(p):
        d = (np.asarray(model(unpack(p), f), complex) - data.Z_ohm_cm2) * w
        return np.concatenate([d.real, d.imag])

    p0 = np.where(lg, np.log(np.abs(x0)), x0)
    sol = least_squares(res, p0, method="trf", x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    vals = np.array([unpack(sol.x)[n] for n in names])
    r = sol.fun
    s2 = float(r @ r) / max(r.size - len(names), 1)
    notes = []
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac) * s2
        se_p = np.sqrt(np.maximum(np.diag(cov), 0.0))
        stderr = np.where(lg, vals * se_p, se_p)
    except np.linalg.LinAlgError:
        stderr = np.full(len(names), np.nan)
        notes.append("singular Jacobian: the parameters are not identifiable from these data")
    Zf = np.asarray(model(unpack(sol.x), f), complex)
    return ParameterFit(names, vals, stderr, Zf, float(np.sqrt(np.mean(r * r))), bool(sol.success), tuple(notes))


#: Parameters :func:`cell_model` can vary.
CELL_PARAMETERS = ("i0_A_cm2", "i0_anode_A_cm2", "i0_cathode_A_cm2", "alpha_t", "diffusivity_Li_i_cm2_s",
                   "diffusivity_V_Li_cm2_s", "dipole_anode_V", "dipole_cathode_V")


def cell_model(stack, ocv: float, *, electrodes="butler-volmer", transport: str = "local-equilibrium",
               fixed: dict | None = None, library=None, mesh_options: dict | None = None):
    """A model ``model(params, frequency_Hz) -> Z_ohm_cm2`` of a cell for :func:`fit_parameters`.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell.
    ocv : float
        Open-circuit voltage of the measurement, V.
    electrodes, transport :
        As :func:`ssbands.impedance.impedance`.
    fixed : dict, optional
        Values of :data:`CELL_PARAMETERS` that are not fitted (e.g. ``alpha_t``, the diffusivities).
    library : Library, optional
    mesh_options : dict, optional

    Returns
    -------
    callable
    """
    from ..cell.stack import ReadOnlyMapping
    from .cell import impedance

    base = dict(fixed or {})
    bad = set(base) - set(CELL_PARAMETERS)
    if bad:
        raise InputError(f"unknown cell parameter(s) {sorted(bad)}; known: {CELL_PARAMETERS}")
    names = [ly.name for ly in stack.layers]
    ia, ie, ic = (stack.index(r) for r in ("anode", "electrolyte", "cathode"))
    pairs = ((names[ia], names[ie]), (names[ie], names[ic]))

    def model(params, frequency_Hz):
        p = {**base, **params}
        bad = set(p) - set(CELL_PARAMETERS)
        if bad:
            raise InputError(f"unknown cell parameter(s) {sorted(bad)}; known: {CELL_PARAMETERS}")
        st = stack
        if "dipole_anode_V" in p or "dipole_cathode_V" in p:
            dip = dict(stack.dipoles)
            for key, pair in (("dipole_anode_V", pairs[0]), ("dipole_cathode_V", pairs[1])):
                if key in p:
                    dip[pair] = float(p[key])
            st = replace(stack, dipoles=ReadOnlyMapping(dip))
        kin = None
        i0a = p.get("i0_anode_A_cm2", p.get("i0_A_cm2"))
        i0c = p.get("i0_cathode_A_cm2", p.get("i0_A_cm2"))
        if i0a is not None or i0c is not None:
            at = p.get("alpha_t", 0.5)
            kin = {"anode": None if i0a is None else {"i0_A_cm2": i0a, "alpha_t": at},
                   "cathode": None if i0c is None else {"i0_A_cm2": i0c, "alpha_t": at}}
        D = None
        if "diffusivity_Li_i_cm2_s" in p or "diffusivity_V_Li_cm2_s" in p:
            if not ("diffusivity_Li_i_cm2_s" in p and "diffusivity_V_Li_cm2_s" in p):
                raise InputError("give both diffusivity_Li_i_cm2_s and diffusivity_V_Li_cm2_s (fitted or fixed)")
            D = (p["diffusivity_Li_i_cm2_s"], p["diffusivity_V_Li_cm2_s"])
        ds = impedance(st, ocv, frequency_Hz, electrodes=electrodes, transport=transport, kinetics=kin,
                       diffusivities_cm2_s=D, library=library, fit=False, mesh_options=mesh_options)
        return ds["Z_real_ohm_cm2"].values + 1j * ds["Z_imag_ohm_cm2"].values

    return model
