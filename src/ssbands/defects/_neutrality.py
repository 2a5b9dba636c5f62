"""The compiled, batched charge-neutrality solve behind :class:`~ssbands.defects.DefectSystem`.

The net charge is strictly decreasing in ε_F, so the root is unique. It is found on the log-safe
function g(ε_F) = ln(positive charge) − ln(negative charge) for a whole batch of (μ, T) at once: a
shared grid brackets every root, then a vectorised Chandrupatla iteration
(``scipy.optimize.elementwise.find_root``) converges each one to machine precision on a band window
trimmed to the states that matter (≤ e⁻⁴⁵ relative error).
"""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np

from .._numerics import log_band_carrier_density
from ..constants import K_B_EV
from ..errors import ConvergenceError, InputError
from .model import ParabolicBands, TabulatedDOS
from .results import FermiScan

#: (cm/Å)³: a concentration per cell of V Å³ is × CM3_PER_A3/V in cm⁻³.
CM3_PER_A3 = 1e24
_TRIM_KT = 45.0  # band states more than 45 kT beyond the window edge contribute < e^-45 relatively
#: A root closer than this many kT to an end of a tabulated DOS is refused (see ``check_inside_dos``).
EDGE_KT = 10.0


class BandStates:
    """One side of a tabulated DOS for the carrier kernel (holes; electrons are mirrored E → −E).

    Parameters
    ----------
    E : ndarray
        State energies, eV above the VBM (mirrored, −E, for electrons).
    a : ndarray
        Trapezoid-weighted state counts per cm³; states with a = 0 are dropped.

    Attributes
    ----------
    top : float
        The highest (mirrored) energy with states, eV.
    """

    __slots__ = ("E", "a", "top")

    def __init__(self, E, a):
        keep = a > 0
        self.E = np.ascontiguousarray(E[keep])
        self.a = np.ascontiguousarray(a[keep])
        self.top = float(self.E.max()) if self.E.size else -np.inf

    def trimmed(self, lower):
        """The states with E ≥ ``lower`` (eV; the others are negligible), as a new BandStates."""
        k = self.E >= lower
        b = BandStates.__new__(BandStates)
        b.E, b.a, b.top = self.E[k], self.a[k], self.top
        return b

    def log_occupied(self, x, kt, scaled):
        """ln Σ_i a_i / (1 + exp((x − E_i)/kT)) for each x (hole-like occupation), log-safe.

        Parameters
        ----------
        x : ndarray (M,)
            Fermi levels (eV; mirrored, −ε_F, for electrons).
        kt : ndarray (M,)
            k_B·T in eV per point.
        scaled : ndarray (n,) or (M, n)
            ``a_i · exp((E_i − top)/kT)`` for this kT (:meth:`scaled_for`).

        Returns
        -------
        ndarray (M,)
            ln(carriers / cm⁻³).
        """
        out = np.empty(x.shape)
        if self.E.size == 0:
            out[:] = -np.inf
            return out
        sep = x >= self.top
        if np.any(sep):
            # all states below x: a_i/(1+e^{(x-E_i)/kT}) = e^{(top-x)/kT} · b_i/(1+e^{(E_i-x)/kT})
            xs = x[sep]
            ks = kt[sep]
            bs = scaled[sep] if scaled.ndim == 2 else scaled
            z = np.exp((self.E[None, :] - xs[:, None]) / np.reshape(ks, (-1, 1)))
            s = np.einsum("ij,ij->i", bs, 1.0 / (1.0 + z)) if bs.ndim == 2 else (1.0 / (1.0 + z)) @ bs
            with np.errstate(divide="ignore"):
                out[sep] = (self.top - xs) / ks + np.log(s)
        ns = ~sep
        if np.any(ns):
            xs = x[ns]
            ks = kt[ns]
            with np.errstate(over="ignore"):
                w = np.exp((xs[:, None] - self.E[None, :]) / np.reshape(ks, (-1, 1)))
            s = (1.0 / (1.0 + w)) @ self.a
            out[ns] = np.log(s)
        return out

    def scaled_for(self, kt_values):
        """b_i = a_i exp((E_i − top)/kT) (cm⁻³) for each kT (eV) in ``kt_values`` → (len(kt), n)."""
        kt_values = np.atleast_1d(kt_values)
        return self.a[None, :] * np.exp((self.E[None, :] - self.top) / kt_values[:, None])


def compile_arrays(system) -> dict:
    """The species and bands of a DefectSystem as arrays (variable, frozen and fixed charge states).

    Parameters
    ----------
    system : DefectSystem

    Returns
    -------
    dict
        ``var_*`` arrays of the charge states whose totals are free (ln(N g) with N in cm⁻³, E0 in eV,
        stoichiometry rows), the frozen species, the fixed charges (e·cm⁻³), the band states
        (:class:`BandStates`, per cm³) and the allowed ε_F ``domain`` (eV).
    """
    els = system.elements
    var_q, var_logNg, var_E0, var_st, var_col = [], [], [], [], []
    frozen = []  # (logC', q array, log g array, E0 array, cols)
    fixed_pos = fixed_neg = 0.0
    fixed_vals = []  # (col, value)
    col = 0
    for s in system.species:
        N = system.site_density_cm3(s)
        st = np.array([s.stoichiometry.get(el, 0) for el in els], float)
        fixed_sum = 0.0
        fq, fg, fe, fc = [], [], [], []
        for cs in s.charge_states:
            if cs.is_fixed:
                v = cs.fixed_concentration_cm3
                fixed_sum += v
                fixed_vals.append((col, v))
                if cs.charge > 0:
                    fixed_pos += cs.charge * v
                elif cs.charge < 0:
                    fixed_neg -= cs.charge * v
            elif s.fixed_concentration_cm3 is not None:
                fq.append(cs.charge)
                fg.append(math.log(cs.degeneracy))
                fe.append(cs.energy)
                fc.append(col)
            else:
                var_q.append(cs.charge)
                var_logNg.append(math.log(N * cs.degeneracy))
                var_E0.append(cs.energy)
                var_st.append(st)
                var_col.append(col)
            col += 1
        if s.fixed_concentration_cm3 is not None and fq:
            rest = max(s.fixed_concentration_cm3 - fixed_sum, 0.0)
            frozen.append((math.log(rest) if rest > 0 else -np.inf, np.array(fq, float), np.array(fg),
                           np.array(fe), np.array(fc)))
    K = len(var_q)
    comp = dict(
        els=els, ncol=col,
        var_q=np.array(var_q, float), var_logNg=np.array(var_logNg, float), var_E0=np.array(var_E0, float),
        var_st=np.array(var_st, float).reshape(K, len(els)), var_col=np.array(var_col, int),
        frozen=frozen, fixed_pos=fixed_pos, fixed_neg=fixed_neg, fixed_vals=fixed_vals,
    )
    # bands, per cm^3
    if isinstance(system.bands, TabulatedDOS):
        scale = CM3_PER_A3 / system.volume_A3
        Eh, ah, Ee, ae = system.bands.band_weights()
        comp["holes"] = BandStates(Eh, ah * scale)
        comp["electrons"] = BandStates(-Ee, ae * scale)
        comp["domain"] = (float(system.bands.energies_eV[0]), float(system.bands.energies_eV[-1]))
    else:
        comp["domain"] = (-np.inf, np.inf)
    return comp


class NeutralityKernel:
    """Charge neutrality of one DefectSystem, compiled once and evaluated for batches of (μ, T).

    Parameters
    ----------
    system : DefectSystem
        The system; only its public attributes are read.
    """

    def __init__(self, system):
        self.comp = compile_arrays(system)
        self.bands = system.bands
        self.band_gap_eV = system.band_gap_eV
        self.mu_defaults = dict(system.mu_eV)
        self.labels = system.labels
        self.source = system.source

    # ---- batched evaluation ------------------------------------------------------------------
    def mu_matrix(self, mu_eV, B):
        """(B, n_el) chemical potentials (eV) from the defaults and overrides (scalars or arrays).

        Returns the matrix over the compiled elements and a mapping element → (B,) array of every
        chemical potential used.
        """
        els = self.comp["els"]
        mu = dict(self.mu_defaults)
        for k, v in dict(mu_eV or {}).items():
            mu[str(k)] = v
        cols = []
        for el in els:
            try:
                v = np.asarray(mu.get(el, 0.0), float)
            except (TypeError, ValueError):
                raise InputError(f"chemical potential of {el!r} must be a number (eV), got {mu.get(el)!r}") from None
            if not np.all(np.isfinite(v)):
                raise InputError(f"chemical potential of {el!r} must be finite")
            cols.append(np.broadcast_to(v, (B,)))
        return np.stack(cols, axis=1) if cols else np.zeros((B, 0)), {el: np.array(np.broadcast_to(
            np.asarray(mu.get(el, 0.0), float), (B,))) for el in (list(els) + [k for k in mu if k not in els])}

    def prepare(self, mu_mat, T):
        """Per-point arrays for the net-charge function at chemical potentials ``mu_mat`` (eV) and T (K)."""
        comp = self.comp
        kt_ = K_B_EV * T
        q = comp["var_q"]
        # log prefactor: ln(N g) − (E0 − Σ n μ)/kT, and slope −q/kT
        base = comp["var_logNg"][None, :] - (comp["var_E0"][None, :] - mu_mat @ comp["var_st"].T) / kt_[:, None]
        pos, neg = q > 0, q < 0
        P = dict(AT=np.ascontiguousarray((base[:, pos] + np.log(q[pos])[None, :]).T), q=q[pos])
        N = dict(AT=np.ascontiguousarray((base[:, neg] + np.log(-q[neg])[None, :]).T), q=q[neg])
        return dict(comp=comp, kt=kt_, P=P, N=N, base=base)

    def log_charges(self, E, prep, rows, bands, carriers=None):
        """(ln positive charge, ln negative charge) in cm⁻³ at ε_F = E for the given rows.

        Terms are stacked as (terms, points) so that every reduction runs along contiguous rows.
        """
        comp = prep["comp"]
        kt_ = prep["kt"][rows]
        x = E / kt_
        termsP, termsN = [], []
        for side, terms in (("P", termsP), ("N", termsN)):
            d = prep[side]
            if d["q"].size:
                terms.append(d["AT"][:, rows] - d["q"][:, None] * x[None, :])
        for logC, fq, fg, fe, _ in comp["frozen"]:
            lw = (fg[:, None] - fe[:, None] / kt_[None, :]) - fq[:, None] * x[None, :]
            lz = log_sum_exp(lw)
            if np.any(fq > 0):
                termsP.append((logC + log_sum_exp(lw[fq > 0] + np.log(fq[fq > 0])[:, None]) - lz)[None, :])
            if np.any(fq < 0):
                termsN.append((logC + log_sum_exp(lw[fq < 0] + np.log(-fq[fq < 0])[:, None]) - lz)[None, :])
        if comp["fixed_pos"] > 0:
            termsP.append(np.full((1, E.size), math.log(comp["fixed_pos"])))
        if comp["fixed_neg"] > 0:
            termsN.append(np.full((1, E.size), math.log(comp["fixed_neg"])))
        if carriers is None:
            lp, ln_ = self.log_carriers(E, kt_, rows, bands)
        else:
            lp, ln_ = carriers
        termsP.append(lp[None, :])
        termsN.append(ln_[None, :])
        return log_sum_exp(np.concatenate(termsP, axis=0)), log_sum_exp(np.concatenate(termsN, axis=0))

    def log_carriers(self, E, kt_, rows, bands):
        """(ln holes, ln electrons) in cm⁻³ at ε_F = E (eV) and k_B·T = kt_ (eV) for the given rows."""
        if isinstance(self.bands, ParabolicBands):
            T = kt_ / K_B_EV
            lp = log_band_carrier_density(-E / kt_, self.bands.effective_dos_cm3(T, self.bands.hole_mass))
            ln_ = log_band_carrier_density((E - self.bands.band_gap_eV) / kt_,
                                           self.bands.effective_dos_cm3(T, self.bands.electron_mass))
            return lp, ln_
        hb, eb, bh, be, tidx = bands
        if bh.shape[0] == 1:
            sh, se = bh[0], be[0]
        else:
            sh, se = bh[tidx[rows]], be[tidx[rows]]
        return hb.log_occupied(E, kt_, sh), eb.log_occupied(-E, kt_, se)

    def bands_for(self, prep, lower, upper):
        """Trimmed band windows for ε_F ∈ [lower, upper] (eV) and scaled weights per unique T."""
        if isinstance(self.bands, ParabolicBands):
            return None
        comp = prep["comp"]
        kt_all = prep["kt"]
        uk, tidx = np.unique(kt_all, return_inverse=True)
        kmax = float(uk.max())
        hb = comp["holes"]
        eb = comp["electrons"]
        hb = hb.trimmed(min(lower, hb.top) - _TRIM_KT * kmax)
        eb = eb.trimmed(min(-upper, eb.top) - _TRIM_KT * kmax)
        return hb, eb, hb.scaled_for(uk), eb.scaled_for(uk), tidx

    def g(self, E, prep, rows, bands):
        """g(ε_F) = ln(positive charge) − ln(negative charge) at ε_F = E (eV), strictly decreasing."""
        lp, ln_ = self.log_charges(E, prep, rows, bands)
        with np.errstate(invalid="ignore"):
            g = lp - ln_
        return g

    # ---- the solver --------------------------------------------------------------------------
    def solve(self, prep, B):
        """The root ε_F (eV above the VBM) of g for each of the B points, and the iterations per point."""
        lo_dom, hi_dom = prep["comp"]["domain"]
        kmax = float(prep["kt"].max())
        gap = self.band_gap_eV
        rows_all = np.arange(B)
        # stage 1: a grid shared by all points brackets every root
        inner_lo = max(lo_dom, -1.0 - 10 * kmax)
        inner_hi = min(hi_dom, gap + 1.0 + 10 * kmax)
        n_in = int(min(max(np.ceil((inner_hi - inner_lo) / 0.05), 8), 600)) + 1
        grid = np.linspace(inner_lo, inner_hi, n_in)
        lo = np.full(B, np.nan)
        hi = np.full(B, np.nan)
        todo = rows_all
        bands = self.bands_for(prep, grid[0], grid[-1])
        lo, hi, below, above = self.grid_bracket(grid, prep, todo, bands, lo, hi)
        # outer grids where needed
        for rows, direction in ((below, -1), (above, +1)):
            if rows.size == 0:
                continue
            start = grid[0] if direction < 0 else grid[-1]
            if np.isfinite(lo_dom):
                end = lo_dom if direction < 0 else hi_dom
                if end == start:
                    continue
                g2 = np.linspace(start, end, int(min(max(np.ceil(abs(end - start) / 0.1), 4), 400)) + 1)
            else:  # parabolic bands: geometric growth out to the search limit
                end = -parabolic_margin(kmax) if direction < 0 else gap + parabolic_margin(kmax)
                span = np.geomspace(0.05, abs(end - start), 120)
                g2 = start + direction * np.concatenate([[0.0], span])
            g2 = np.sort(g2)
            b2 = self.bands_for(prep, g2[0], g2[-1])
            lo, hi, _, _ = self.grid_bracket(g2, prep, rows, b2, lo, hi)
        bad = ~(np.isfinite(lo) & np.isfinite(hi))
        if np.any(bad):
            self.raise_no_root(prep, np.flatnonzero(bad), lo_dom, hi_dom)
        # stage 2: vectorised Chandrupatla on trimmed bands
        from scipy.optimize.elementwise import find_root

        bands = self.bands_for(prep, float(lo.min()), float(hi.max()))

        def f(x, idx):
            idx = idx.astype(int)
            return self.g(np.asarray(x, float), prep, idx, bands)

        exact_lo = lo == hi
        res = find_root(f, (lo, np.where(exact_lo, hi + 1e-300, hi)), args=(rows_all.astype(float),),
                        tolerances=dict(xatol=1e-14, xrtol=4 * np.finfo(float).eps, fatol=0.0, frtol=0.0),
                        maxiter=200)
        E = np.where(exact_lo, lo, res.x)
        ok = exact_lo | res.success | (np.abs(res.bracket[1] - res.bracket[0]) <= 1e-12)
        if not np.all(ok):
            i = int(np.flatnonzero(~ok)[0])
            raise ConvergenceError(
                "charge neutrality: the root finder did not converge",
                {"point": i, "temperature_K": float(prep["kt"][i] / K_B_EV), "status": int(res.status[i]),
                 "bracket_eV": (float(res.bracket[0][i]), float(res.bracket[1][i])),
                 "g_bracket": (float(res.f_bracket[0][i]), float(res.f_bracket[1][i])),
                 "iterations": int(res.nit[i]), "source": self.source})
        self.check_inside_dos(E, prep, lo_dom, hi_dom)
        return E, np.asarray(res.nit)

    def check_inside_dos(self, E, prep, lo_dom, hi_dom):
        """Refuse roots within :data:`EDGE_KT` kT of the ends of a tabulated DOS (ConvergenceError).

        There the states the table leaves out (beyond its energy range) would change the carrier
        densities by more than e^-10 of a state's weight, so the root is an artefact of the table's range.
        """
        if not np.isfinite(lo_dom):
            return
        kt_ = prep["kt"]
        near = (E - lo_dom < EDGE_KT * kt_) | (hi_dom - E < EDGE_KT * kt_)
        if np.any(near):
            i = int(np.flatnonzero(near)[0])
            raise ConvergenceError(
                "charge neutrality: the Fermi level falls at the edge of the tabulated DOS (within "
                f"{EDGE_KT:g} kT of its energy range), where the states the table leaves out decide it; extend "
                "the DOS or check the fixed concentrations",
                {"point": i, "n_failed": int(near.sum()), "fermi_level_eV": float(E[i]),
                 "temperature_K": float(kt_[i] / K_B_EV), "dos_range_eV": (float(lo_dom), float(hi_dom)),
                 "source": self.source})

    def grid_bracket(self, grid, prep, rows, bands, lo, hi):
        """Bracket the roots of ``rows`` on ``grid`` (eV): fills ``lo``/``hi`` in place.

        Returns ``(lo, hi, below, above)``, the rows whose root lies below or above the grid.
        """
        G = grid.size
        R = rows.size
        Eg = np.broadcast_to(grid[None, :], (R, G)).ravel()
        rr = np.repeat(rows, G)
        # carriers depend on (ε_F, T) only: evaluate them once per distinct temperature
        kt_rows = prep["kt"][rows]
        uk, tinv = np.unique(kt_rows, return_inverse=True)
        EE = np.broadcast_to(grid[None, :], (uk.size, G)).ravel()
        kk = np.repeat(uk, G)
        if bands is None:
            lp_u, ln_u = self.log_carriers(EE, kk, None, None)
        else:
            hb, eb = bands[0], bands[1]
            lp_u = hb.log_occupied(EE, kk, hb.scaled_for(uk)[np.repeat(np.arange(uk.size), G)])
            ln_u = eb.log_occupied(-EE, kk, eb.scaled_for(uk)[np.repeat(np.arange(uk.size), G)])
        lp = lp_u.reshape(uk.size, G)[tinv].ravel()
        ln_ = ln_u.reshape(uk.size, G)[tinv].ravel()
        lP, lN = self.log_charges(Eg, prep, rr, bands, carriers=(lp, ln_))
        with np.errstate(invalid="ignore"):
            g = (lP - lN).reshape(R, G)
        if np.any(np.isnan(g)):
            i = int(rows[np.argwhere(np.isnan(g))[0][0]])
            raise ConvergenceError("charge neutrality: the net charge could not be evaluated (NaN)",
                                   {"point": i, "temperature_K": float(prep["kt"][i] / K_B_EV), "source": self.source})
        neg = g <= 0
        has = neg.any(axis=1)
        j = np.argmax(neg, axis=1)
        found = has & (j > 0)
        exact0 = has & (j == 0) & (g[:, 0] == 0)
        r = rows[found]
        lo[r] = grid[j[found] - 1]
        hi[r] = grid[j[found]]
        lo[rows[exact0]] = grid[0]
        hi[rows[exact0]] = grid[0]
        below = rows[has & (j == 0) & ~exact0]   # already negative at the lowest grid point
        above = rows[~has]                       # still positive at the highest
        return lo, hi, below, above

    def raise_no_root(self, prep, bad, lo_dom, hi_dom):
        """Raise the ConvergenceError for points ``bad`` whose net charge keeps one sign on [lo_dom, hi_dom]."""
        i = int(bad[0])
        T = float(prep["kt"][i] / K_B_EV)
        m = parabolic_margin(float(prep["kt"].max()))
        ends = np.array([lo_dom, hi_dom]) if np.isfinite(lo_dom) else np.array([-m, self.band_gap_eV + m])
        bands = self.bands_for(prep, float(ends[0]), float(ends[1]))
        lp, ln_ = self.log_charges(ends, prep, np.array([i, i]), bands)
        raise ConvergenceError(
            "charge neutrality has no solution in the allowed Fermi-level range: the net charge does not "
            "change sign (check fixed concentrations against what the bands can compensate, and the DOS range)",
            {"point": i, "n_failed": int(bad.size), "temperature_K": T, "fermi_range_eV": tuple(float(x) for x in ends),
             "ln_positive_cm3": tuple(float(x) for x in lp), "ln_negative_cm3": tuple(float(x) for x in ln_),
             "source": self.source})

    def result(self, E, T, mu_out, prep, nit) -> FermiScan:
        """The FermiScan at Fermi levels E (eV), temperatures T (K) and chemical potentials ``mu_out``."""
        B = E.size
        conc = self.concentrations(E, prep)
        rows = np.arange(B)
        bands = self.bands_for(prep, float(E.min()), float(E.max()))
        lp, ln_ = self.log_carriers(E, prep["kt"], rows, bands)
        with np.errstate(over="ignore", invalid="ignore"):
            p, n = np.exp(lp), np.exp(ln_)
            lP, lN = self.log_charges(E, prep, rows, bands)
            net = np.exp(lP) - np.exp(lN)
        bad = ~(np.all(np.isfinite(conc), axis=1) & np.isfinite(p) & np.isfinite(n) & np.isfinite(net))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            worst = [self.labels[k] for k in np.flatnonzero(~np.isfinite(conc[i]))]
            raise ConvergenceError(
                "a concentration overflows double precision: some formation energy is far below zero, "
                "outside the dilute limit this model assumes (check E0 and the chemical potentials)",
                {"point": i, "temperature_K": float(T[i]), "fermi_level_eV": float(E[i]),
                 "mu_eV": {k: float(v[i]) for k, v in mu_out.items()}, "overflowing": worst,
                 "source": self.source})
        return FermiScan(fermi_level_eV=E, temperature_K=T, mu_eV=MappingProxyType(mu_out), labels=self.labels,
                         concentrations_cm3=conc, electrons_cm3=n, holes_cm3=p, net_charge_cm3=net,
                         iterations=nit, band_gap_eV=self.band_gap_eV)

    def concentrations(self, E, prep):
        """(B, K) concentrations (cm⁻³) of every charge state at Fermi levels E (eV)."""
        comp = prep["comp"]
        kt_ = prep["kt"]
        B = E.size
        out = np.zeros((B, comp["ncol"]))
        if comp["var_q"].size:
            with np.errstate(over="ignore"):
                out[:, comp["var_col"]] = np.exp(prep["base"] - comp["var_q"][None, :] * (E / kt_)[:, None])
        for logC, fq, fg, fe, cols in comp["frozen"]:
            lw = fg[None, :] - (fe[None, :] + fq[None, :] * E[:, None]) / kt_[:, None]
            out[:, cols] = np.exp(logC + lw - log_sum_exp(lw, axis=-1)[:, None])
        for col, v in comp["fixed_vals"]:
            out[:, col] = v
        return out


def parabolic_margin(kt_max: float) -> float:
    """How far (eV) beyond the band edges ε_F is searched with parabolic bands: 2 eV + 1000 kT."""
    return 2.0 + 1000.0 * kt_max


def log_sum_exp(x, axis: int = 0):
    """ln Σ exp(x) along ``axis`` (0: the first, contiguous rows; −1: the last), overflow-safe.

    Parameters
    ----------
    x : ndarray
        Logarithms of the terms (dimensionless).
    axis : int
        0 or −1.

    Returns
    -------
    ndarray
        −inf where all terms are −inf.
    """
    if x.shape[axis] == 1:
        return np.take(x, 0, axis=axis)
    m = np.max(x, axis=axis)
    ms = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore", over="ignore"):
        return np.log(np.sum(np.exp(x - np.expand_dims(ms, axis)), axis=axis)) + ms
