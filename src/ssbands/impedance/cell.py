r"""The impedance spectrum of a whole cell at an open-circuit voltage, and its interface descriptors.

At the given OCV the cell solve gives the steps φ0 of both electrode|electrolyte interfaces
(:mod:`ssbands.interface`); the electrolyte (two-defect model, each defect with its own diffusivity,
:func:`ssbands.scl.transport.defect_transport`) is solved as a finite layer between the two electrodes
(both space-charge layers, any thickness) and its linearised Poisson–Nernst–Planck response is the
spectrum (:mod:`ssbands.impedance.linear`). The electrodes are taken as ideal electron conductors.

Per interface the result reports the step φ0, the excess resistance R_exc of its semi-infinite layer
in the chosen transport limit (:func:`ssbands.scl.transport.excess_resistance`), the Frumkin–Butler–
Volmer charge-transfer resistance R_ct where kinetics are given (:func:`ssbands.scl.kinetics.charge_transfer`)
and the differential capacitance C_SCL of the layer from the first integral.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import interface as ifc
from .._version import __version__
from ..errors import InputError
from ..scl.finite import Region
from ..scl.firstintegral import first_integral
from ..scl.kinetics import charge_transfer
from ..scl.species import ChargedSpecies, SpeciesSet
from ..scl.transport import check_transport_limit, defect_transport, excess_resistance, independent_resistance
from .circuit import Element, fit_circuit
from .kk import lin_kk
from .linear import BC_KINDS, ElectrodeBC
from .model import frequency_grid, spectrum

__all__ = ["cell_interfaces", "electrolyte_region", "impedance", "interface_steps", "to_json"]

SCL_FIELDS = ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha")


def interface_steps(stack, ocv: float, library=None) -> np.ndarray:
    """Steps φ0 (V) of the (anode, cathode) interfaces of a cell at one OCV.

    The same interface kernel as the cell solve (:func:`ssbands.interface.interface_step` with the electrode
    potentials from Li conservation, their work functions at their Li contents and the stack's dipoles),
    without building the band-diagram profile.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell.
    ocv : float
        Open-circuit voltage, V.
    library : Library, optional
        Source of Φ_Li (default: the built-in library).

    Returns
    -------
    ndarray, shape (2,)
        φ0 of the anode|electrolyte and electrolyte|cathode interfaces, V.
    """
    from ..cell import electrode_state
    from ..materials import load_library
    from ..thermo import work_function, work_function_depends_on_li

    lib = library if library is not None else load_library()
    st = electrode_state(stack, ocv=[float(ocv)])
    names = [ly.name for ly in stack.layers]
    ia, ie, ic = (stack.index(r) for r in ("anode", "electrolyte", "cathode"))

    def wf(layer, x):
        m = layer.material
        return float(work_function(m, x)[0]) if work_function_depends_on_li(m) else float(work_function(m))

    phi0_li = float(stack.electrolyte.material.get("phi0_li_V", "the electrolyte's vacuum level (ionic work function)"))
    phi_m = np.array([wf(stack.layers[ia], st.x_anode), wf(stack.layers[ic], st.x_cathode)])
    U = np.array([st.U_anode[0], st.U_cathode[0]])
    dip = np.array([stack.dipole(names[ia], names[ie]), stack.dipole(names[ie], names[ic])])
    return np.asarray(ifc.interface_step(phi0_li, phi_m, ifc.phi_li(lib), U, dip), float)


def _kinetics_pair(kinetics):
    """(anode-side, cathode-side) kinetics dicts or None."""
    if kinetics is None:
        return (None, None)
    if isinstance(kinetics, dict) and set(kinetics) <= {"anode", "cathode"}:
        return (kinetics.get("anode"), kinetics.get("cathode"))
    if isinstance(kinetics, dict):
        return (kinetics, kinetics)
    raise InputError("kinetics must be a dict {'i0_A_cm2': ..., 'alpha_t': ...} or {'anode': {...}, 'cathode': {...}}")


def cell_interfaces(stack, ocv: float, *, transport: str = "local-equilibrium", kinetics=None, carrier_split=None,
                    diffusivities_cm2_s=None, library=None) -> list[dict]:
    """Descriptors of both electrode|electrolyte interfaces of a cell at one OCV.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell.
    ocv : float
        Open-circuit voltage, V.
    transport : {"local-equilibrium", "independent"}
        Transport limit of R_exc.
    kinetics : dict, optional
        ``{"i0_A_cm2": ..., "alpha_t": ...}`` for both interfaces, or ``{"anode": {...}, "cathode": {...}}``
        (optional ``reaction_plane_nm``, ``species``). Without it R_ct is None with a note.
    carrier_split : float, optional
        Fraction of the bulk conductivity carried by Li_i⁺ (overrides the library).
    diffusivities_cm2_s : (float, float), optional
        (D of Li_i⁺, D of V_Li⁻), cm²/s (overrides the library).
    library : Library, optional
        Material library (Φ_Li).

    Returns
    -------
    list of dict
        Per interface (anode side first): ``left``, ``right``, ``phi0_V``, ``R_exc_ohm_cm2``,
        ``R_exc_local_equilibrium_ohm_cm2``, ``R_exc_independent_ohm_cm2`` (for this electrolyte's
        thickness L: [Σ_k 1/(L/σ_k + a_k)]⁻¹ − L/σ∞, as the cell's DC resistance sees it),
        ``R_exc_independent_asymptotic_ohm_cm2`` (Σ t_k² a_k, the L → ∞ limit, valid for L ≫
        ``asymptotic_length_nm``), ``R_ct_ohm_cm2``, ``C_scl_uF_per_cm2``, ``carrier``, ``carrier_state``,
        ``transport``, ``note``.
    """
    check_transport_limit(transport)
    se = stack.electrolyte.material
    T = stack.temperature_K
    # unpacked in SCL_FIELDS order, the positional order of the closed-form SCL functions
    site_density, defect_energy, permittivity, alpha = [se.get(k, "the interface descriptors") for k in SCL_FIELDS]
    tr = defect_transport(se, T, carrier_split=carrier_split, diffusivities_cm2_s=diffusivities_cm2_s)
    phi0 = interface_steps(stack, ocv, library)
    ex = excess_resistance(phi0, site_density, defect_energy, permittivity, alpha, T,
                           diffusivity_Li_i_cm2_s=tr.diffusivity_Li_i_cm2_s,
                           diffusivity_V_Li_cm2_s=tr.diffusivity_V_Li_cm2_s, transport=transport)
    cs = first_integral(phi0, site_density, defect_energy, permittivity, alpha, T).capacitance_uF_per_cm2
    names = [ly.name for ly in stack.layers]
    ia, ie, ic = (stack.index(r) for r in ("anode", "electrolyte", "cathode"))
    L = stack.electrolyte.thickness_nm
    sig = (ex["conductivity_Li_i_S_cm"][0], ex["conductivity_V_Li_S_cm"][0])
    out = []
    pairs = zip((names[ia], names[ie]), (names[ie], names[ic]), _kinetics_pair(kinetics), strict=True)
    for j, (left, right, kin) in enumerate(pairs):
        k = dict(kin or {})
        ct = charge_transfer(phi0[j], site_density, defect_energy, permittivity, alpha, T,
                             i0_A_cm2=k.get("i0_A_cm2"), alpha_t=k.get("alpha_t"),
                             reaction_plane_nm=k.get("reaction_plane_nm", 0.0), species=k.get("species", "Li_i+"))
        a = (ex["excess_Li_i_ohm_cm2"][j], ex["excess_V_Li_ohm_cm2"][j])
        ind = independent_resistance(L, sig, a) - L * 1e-7 / (sig[0] + sig[1])
        out.append({"left": left, "right": right, "phi0_V": float(phi0[j]),
                    "R_exc_ohm_cm2": float(ex["R_exc_local_equilibrium_ohm_cm2"][j] if transport == "local-equilibrium"
                                           else ind),
                    "R_exc_local_equilibrium_ohm_cm2": float(ex["R_exc_local_equilibrium_ohm_cm2"][j]),
                    "R_exc_independent_ohm_cm2": float(ind),
                    "R_exc_independent_asymptotic_ohm_cm2": float(ex["R_exc_independent_ohm_cm2"][j]),
                    "asymptotic_length_nm": float(ex["asymptotic_length_nm"][j]),
                    "R_ct_ohm_cm2": None if ct["R_ct_ohm_cm2"] is None else float(ct["R_ct_ohm_cm2"]),
                    "C_scl_uF_per_cm2": float(cs[j]), "carrier": str(ex["carrier"][j]),
                    "carrier_state": str(ex["carrier_state"][j]), "transport": transport, "note": ct["note"]})
    return out


def electrolyte_region(stack, tr) -> Region:
    """The cell's electrolyte as a finite-solver region: the two-defect model with each defect's diffusivity.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell.
    tr : ssbands.scl.transport.DefectTransport
        Diffusivities of Li_i⁺ and V_Li⁻ (cm²/s; 0: immobile).

    Returns
    -------
    ssbands.scl.finite.Region
        Named after the electrolyte layer, its thickness (nm), bulk potential 0 V.
    """
    se = stack.electrolyte
    N, E, eps, al = (se.material.get(k, "the impedance") for k in SCL_FIELDS)
    sp = SpeciesSet((ChargedSpecies("Li_i+", +1, N, E, al, diffusivity_cm2_s=tr.diffusivity_Li_i_cm2_s or None),
                     ChargedSpecies("V_Li-", -1, N, E, al, diffusivity_cm2_s=tr.diffusivity_V_Li_cm2_s or None)),
                    eps, stack.temperature_K)
    return Region(se.name, se.thickness_nm, sp, 0.0)


def _bcs(electrodes, ifaces, kin):
    kinds = (electrodes, electrodes) if isinstance(electrodes, str) else tuple(electrodes)
    if len(kinds) != 2 or any(k not in BC_KINDS for k in kinds):
        raise InputError(f"electrodes must be one of {BC_KINDS} or a pair of them, got {electrodes!r}")
    out = []
    for kind, itf, k in zip(kinds, ifaces, kin, strict=True):
        if kind == "butler-volmer":
            if itf["R_ct_ohm_cm2"] is None:
                raise InputError(f"butler-volmer electrodes need kinetics at {itf['left']}|{itf['right']}: "
                                 "give kinetics={'i0_A_cm2': ..., 'alpha_t': ...}")
            out.append(ElectrodeBC(kind, itf["R_ct_ohm_cm2"], (k or {}).get("species", "Li_i+")))
        else:
            out.append(ElectrodeBC(kind))
    return out, kinds


def _default_frequencies(R_bulk, C_geo, points=200, f_min=None, f_max=None):
    fc = 1.0 / (2 * np.pi * R_bulk * C_geo)
    return frequency_grid(1e-2 if f_min is None else f_min,
                          max(1e6, 10 ** np.ceil(np.log10(100 * fc))) if f_max is None else f_max, points)


def _circuit(kinds, ifaces, R_bulk, C_geo, rdc):
    """Physics-derived circuit elements with initial values (Ω cm², F/cm²)."""
    els = [Element("bulk", "RC", R_bulk, C_geo)]
    if all(k == "blocking" for k in kinds):
        cs = 1.0 / sum(1.0 / (i["C_scl_uF_per_cm2"] * 1e-6) for i in ifaces)
        return els + [Element("interfaces", "C", None, cs)]
    for kind, i in zip(kinds, ifaces, strict=True):
        name = f"{i['left']}|{i['right']}"
        C = i["C_scl_uF_per_cm2"] * 1e-6
        if kind == "butler-volmer":
            els.append(Element(name, "RC", i["R_ct_ohm_cm2"] + max(i["R_exc_ohm_cm2"], 0.0), C))
        elif kind == "blocking":
            els.append(Element(name, "C", None, C))
        elif i["R_exc_ohm_cm2"] > 1e-3 * R_bulk:
            els.append(Element(name, "RC", i["R_exc_ohm_cm2"], C))
    if len(els) == 1 and np.isfinite(rdc):
        els[0] = Element("bulk", "RC", rdc, C_geo)
    return els


def impedance(stack, ocv: float, frequencies=None, *, electrodes="blocking", transport: str = "local-equilibrium",
              kinetics=None, carrier_split=None, diffusivities_cm2_s=None, exchange_rate_cm3_s=None, library=None,
              richardson: bool = False, fit: bool = True, mesh_options: dict | None = None, points: int = 200,
              f_min_Hz: float | None = None, f_max_Hz: float | None = None) -> xr.Dataset:
    """Impedance spectrum of a cell at one OCV from the linearised Poisson–Nernst–Planck equations.

    Parameters
    ----------
    stack : ssbands.cell.Stack
        The cell (its electrolyte needs the two-defect fields and transport data).
    ocv : float
        Open-circuit voltage, V.
    frequencies : array_like, optional
        Frequencies, Hz (default: 200 log-spaced from 0.01 Hz to 100× the bulk relaxation frequency).
    electrodes : {"blocking", "reversible", "butler-volmer"} or (left, right)
        Electrode conditions for Li⁺ (anode side first).
    transport : {"local-equilibrium", "independent"}
        Fast Frenkel exchange (one ionic rail) or independent carriers.
    kinetics : dict, optional
        ``{"i0_A_cm2", "alpha_t"}`` for both interfaces or ``{"anode": {...}, "cathode": {...}}`` (needed by
        ``butler-volmer``; R_ct is Frumkin-corrected, :func:`ssbands.scl.kinetics.charge_transfer`).
    carrier_split : float, optional
        Fraction of the bulk conductivity carried by Li_i⁺.
    diffusivities_cm2_s : (float, float), optional
        (D of Li_i⁺, D of V_Li⁻), cm²/s.
    exchange_rate_cm3_s : float, optional
        Finite Frenkel exchange rate (``independent`` only), cm⁻³ s⁻¹.
    library : Library, optional
        Material library (Φ_Li).
    richardson : bool
        Richardson-extrapolate from the mesh and its bisection.
    fit : bool
        Fit the equivalent circuit and run the Lin-KK test.
    mesh_options : dict, optional
        Keyword arguments of :func:`ssbands.impedance.model.impedance_mesh`.
    points, f_min_Hz, f_max_Hz : int, float, float
        Number and range of the default log-spaced frequencies when ``frequencies`` is not given (Hz;
        defaults 0.01 Hz to 100× the bulk relaxation frequency).

    Returns
    -------
    xarray.Dataset
        Over ``frequency`` (Hz): ``Z_real_ohm_cm2``, ``Z_imag_ohm_cm2`` (capacitive arcs < 0),
        ``Z_fit_real_ohm_cm2``, ``Z_fit_imag_ohm_cm2`` (circuit), ``kk_residual_real``, ``kk_residual_imag``;
        over ``interface``: ``iface_*`` (left, right, phi0_V, R_exc_ohm_cm2, R_ct_ohm_cm2, C_scl_uF_per_cm2,
        carrier, carrier_state). Attributes: ``R_dc_ohm_cm2`` (inf: blocking), ``R_bulk_ohm_cm2``,
        ``C_geometric_uF_per_cm2``, ``ocv_V``, ``electrodes`` ("left/right"), ``transport``, ``temperature_K``,
        ``electrolyte``, ``thickness_nm``, ``kk_max_residual``, ``circuit`` (JSON text), ``notes``.
    """
    ifaces = cell_interfaces(stack, ocv, transport=transport, kinetics=kinetics, carrier_split=carrier_split,
                             diffusivities_cm2_s=diffusivities_cm2_s, library=library)
    se = stack.electrolyte.material
    tr = defect_transport(se, stack.temperature_K, carrier_split=carrier_split,
                          diffusivities_cm2_s=diffusivities_cm2_s)
    reg = electrolyte_region(stack, tr)
    bcs, kinds = _bcs(electrodes, ifaces, _kinetics_pair(kinetics))
    sig = sum(float(s.concentration(0.0, stack.temperature_K)) * 1e6 * (s.diffusivity_cm2_s or 0.0) * 1e-4
              for s in reg.species.species) * 1.602176634e-19 / reg.species.kt  # S/m
    L = reg.thickness_nm * 1e-9
    R_bulk = L / sig * 1e4
    C_geo = reg.species.eps / L * 1e-4  # F/cm²
    if frequencies is None:
        f = _default_frequencies(R_bulk, C_geo, points, f_min_Hz, f_max_Hz)
    else:
        f = np.asarray(frequencies, float)
    sp = spectrum([reg], -ifaces[0]["phi0_V"], -ifaces[1]["phi0_V"], f, left=bcs[0], right=bcs[1],
                  transport=transport, exchange_rate_cm3_s=exchange_rate_cm3_s, richardson=richardson,
                  mesh_options=mesh_options)
    return _dataset(stack, ocv, sp, ifaces, kinds, tr, R_bulk, C_geo, fit)


def _dataset(stack, ocv, sp, ifaces, kinds, tr, R_bulk, C_geo, fit):
    Z = sp.Z_ohm_cm2
    f = sp.frequency_Hz
    notes = [i["note"] for i in ifaces if i["note"]][:1]
    if not np.isfinite(sp.R_dc_ohm_cm2):
        notes.append("blocking electrodes: no DC current (R_dc is infinite)")
    data = {"Z_real_ohm_cm2": ("frequency", Z.real), "Z_imag_ohm_cm2": ("frequency", Z.imag)}
    attrs = {"R_dc_ohm_cm2": float(sp.R_dc_ohm_cm2), "R_bulk_ohm_cm2": float(R_bulk),
             "C_geometric_uF_per_cm2": float(C_geo * 1e6), "ocv_V": float(ocv), "electrodes": "/".join(kinds),
             "transport": sp.parameters["transport"], "temperature_K": float(stack.temperature_K),
             "electrolyte": stack.electrolyte.material.name, "thickness_nm": float(stack.electrolyte.thickness_nm),
             "mesh_nodes": sp.parameters["nodes"], "richardson": int(sp.parameters["richardson"]),
             "diffusivity_Li_i_cm2_s": tr.diffusivity_Li_i_cm2_s, "diffusivity_V_Li_cm2_s": tr.diffusivity_V_Li_cm2_s,
             "ssbands_version": __version__}
    if fit and f.size >= 5:
        kk = lin_kk(f, Z)
        data["kk_residual_real"] = ("frequency", kk.residual_real)
        data["kk_residual_imag"] = ("frequency", kk.residual_imag)
        attrs["kk_max_residual"] = kk.max_residual
        cf = fit_circuit(f, Z, _circuit(kinds, ifaces, R_bulk, C_geo, sp.R_dc_ohm_cm2))
        data["Z_fit_real_ohm_cm2"] = ("frequency", cf.Z_fit.real)
        data["Z_fit_imag_ohm_cm2"] = ("frequency", cf.Z_fit.imag)
        import json

        attrs["circuit"] = json.dumps(cf.to_dict())
    attrs["notes"] = "\n".join(notes)
    keys = ("left", "right", "phi0_V", "R_exc_ohm_cm2", "R_ct_ohm_cm2", "C_scl_uF_per_cm2", "carrier", "carrier_state")
    for k in keys:
        vals = [np.nan if i[k] is None else i[k] for i in ifaces]
        data[f"iface_{k}"] = ("interface", np.asarray(vals))
    ds = xr.Dataset(data, coords={"frequency": ("frequency", f, {"units": "Hz"}),
                                  "interface": ("interface", [f"{i['left']}|{i['right']}" for i in ifaces])},
                    attrs=attrs)
    ds["Z_real_ohm_cm2"].attrs["units"] = "ohm cm^2"
    ds["Z_imag_ohm_cm2"].attrs.update(units="ohm cm^2", convention="exp(+j omega t): capacitive arcs have Z_imag < 0")
    return ds


def to_json(ds: xr.Dataset) -> dict:
    """JSON-ready dict of an impedance Dataset (the ``ssbands impedance --json`` contract).

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`impedance`.

    Returns
    -------
    dict
        ``frequency_Hz``, ``Z_real_ohm_cm2``, ``Z_imag_ohm_cm2``, ``R_dc_ohm_cm2`` (None when infinite),
        ``R_bulk_ohm_cm2``, ``C_geometric_uF_per_cm2``, ``interfaces`` (each ``left``, ``right``, ``phi0_V``,
        ``R_exc_ohm_cm2``, ``R_ct_ohm_cm2``, ``C_scl_uF_per_cm2``), plus ``ocv_V``, ``electrodes``,
        ``transport``, ``temperature_K``, ``kk_max_residual``, ``circuit`` and ``notes``.
    """
    import json

    def fl(v):
        v = float(v)
        return v if np.isfinite(v) else None

    ifaces = []
    for j in range(ds.sizes["interface"]):
        ifaces.append({"left": str(ds["iface_left"].values[j]), "right": str(ds["iface_right"].values[j]),
                       "phi0_V": fl(ds["iface_phi0_V"].values[j]),
                       "R_exc_ohm_cm2": fl(ds["iface_R_exc_ohm_cm2"].values[j]),
                       "R_ct_ohm_cm2": fl(ds["iface_R_ct_ohm_cm2"].values[j]),
                       "C_scl_uF_per_cm2": fl(ds["iface_C_scl_uF_per_cm2"].values[j])})
    a = ds.attrs
    return {"frequency_Hz": ds["frequency"].values.tolist(), "Z_real_ohm_cm2": ds["Z_real_ohm_cm2"].values.tolist(),
            "Z_imag_ohm_cm2": ds["Z_imag_ohm_cm2"].values.tolist(), "R_dc_ohm_cm2": fl(a["R_dc_ohm_cm2"]),
            "R_bulk_ohm_cm2": fl(a["R_bulk_ohm_cm2"]), "C_geometric_uF_per_cm2": fl(a["C_geometric_uF_per_cm2"]),
            "interfaces": ifaces, "ocv_V": a["ocv_V"], "electrodes": str(a["electrodes"]).split("/"),
            "transport": a["transport"],
            "temperature_K": a["temperature_K"], "kk_max_residual": fl(a.get("kk_max_residual", np.nan)),
            "circuit": json.loads(a["circuit"]) if "circuit" in a else None,
            "notes": [n for n in a.get("notes", "").split("\n") if n]}
