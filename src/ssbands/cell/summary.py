"""The ``ssbands band --json`` contract: a plain dict of a single-state band-diagram Profile."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import InputError


def summary(ds: xr.Dataset) -> dict:
    """Plain dict of a single-state Profile: the ``ssbands band --json`` contract.

    Keys: ``ocv_V``, ``ground``, ``closure``, ``temperature_K``, ``energy_reference``, ``layers``
    (name, material, role, x_start_nm, x_end_nm, E_F_eV, E_vac_eV, work_function_eV, mu_Li_eV,
    cpd_V, cpd_base_V, delta_cpd_V, delta_cpd_work_function_V, delta_cpd_potential_V, li_fraction),
    ``interfaces`` (left, right, phi0_V, dipole_V, total_step_V, sigma_e_per_nm2,
    capacitance_uF_per_cm2, saturated_width_A, debye_length_A, se_mu_Li_eV, se_E_F_eV,
    electrode_in_window, injection), ``electrodes`` and ``notes``. NaN becomes None in JSON.

    Parameters
    ----------
    ds : xarray.Dataset
        A single-state band-diagram Profile (from :func:`ssbands.cell.solve` at one OCV).

    Returns
    -------
    dict
        JSON-ready summary (energies in eV, potentials in V, lengths in nm or Å as named).
    """
    if "ocv" in ds.dims:
        raise InputError("summary() takes a single-state Profile; select one OCV with ds.isel(ocv=i)")
    meta = ds.ssb.metadata

    def f(v):
        v = float(v)
        return v if np.isfinite(v) else None

    layers = []
    x = ds["x"].values
    lay = ds["layer"].values
    for j, name in enumerate(ds["layer_name"].values):
        role = str(ds["layer_role"].values[j])
        sel = np.flatnonzero(lay == name)
        mid = sel[np.argmin(np.abs(x[sel] - 0.5 * (x[sel[0]] + x[sel[-1]])))]
        row = {
            "name": str(name), "material": str(ds["layer_material"].values[j]), "role": role,
            "x_start_nm": f(ds["layer_x_start_nm"].values[j]), "x_end_nm": f(ds["layer_x_end_nm"].values[j]),
            "E_F_eV": f(ds["layer_E_F_eV"].values[j]), "E_vac_eV": f(ds["layer_E_vac_eV"].values[j]),
            "work_function_eV": f(ds["layer_work_function_eV"].values[j]),
            "mu_Li_eV": f(ds["layer_mu_Li_eV"].values[j]), "cpd_V": f(ds["layer_cpd_V"].values[j]),
        }
        if "layer_cpd_base_V" in ds:
            row["cpd_base_V"] = f(ds["layer_cpd_base_V"].values[j])
        if "dcpd_V" in ds:
            row["delta_cpd_V"] = f(ds["dcpd_V"].values[mid])
            row["delta_cpd_work_function_V"] = f(ds["dcpd_work_function_V"].values[mid])
            row["delta_cpd_potential_V"] = f(ds["dcpd_potential_V"].values[mid])
        if role == "electrolyte" and "layer_dEvac_dmuLi" in ds:
            row["E_F_above_VBM_eV"] = f(ds["layer_E_F_above_VBM_eV"].values[j])
            row["dEvac_dmuLi"] = f(ds["layer_dEvac_dmuLi"].values[j])
        if role == "anode":
            row["li_fraction"] = f(ds["anode_li_fraction"])
            row["U_vs_Li_V"] = f(ds["anode_U_V"])
        if role == "cathode":
            row["li_fraction"] = f(ds["cathode_li_fraction"])
            row["U_vs_Li_V"] = f(ds["cathode_U_V"])
        layers.append(row)
    ifaces = []
    for j, name in enumerate(ds["interface"].values):
        left, right = str(name).split("|")
        ifaces.append({
            "left": left, "right": right,
            "phi0_V": f(ds["iface_phi0_V"].values[j]), "dipole_V": f(ds["iface_dipole_V"].values[j]),
            "total_step_V": f(ds["iface_total_step_V"].values[j]),
            "sigma_e_per_nm2": f(ds["iface_sigma_e_per_nm2"].values[j]),
            "capacitance_uF_per_cm2": f(ds["iface_capacitance_uF_per_cm2"].values[j]),
            "saturated_width_A": f(ds["iface_saturated_width_A"].values[j]),
            "debye_length_A": f(ds["iface_debye_length_A"].values[j]),
            "se_mu_Li_eV": f(ds["iface_se_mu_Li_eV"].values[j]),
            "se_E_F_eV": f(ds["iface_se_E_F_eV"].values[j]),
            "se_E_F_above_VBM_eV": f(ds["iface_se_E_F_above_VBM_eV"].values[j]),
            "electrode_in_window": bool(ds["iface_electrode_in_window"].values[j]),
            "R_scl_ohm_cm2": f(ds["iface_R_scl_ohm_cm2"].values[j]),
            "R_bulk_same_length_ohm_cm2": f(ds["iface_R_bulk_same_length_ohm_cm2"].values[j]),
            "R_ratio": f(ds["iface_R_ratio"].values[j]),
            "R_exc_ohm_cm2": f(ds["iface_R_exc_ohm_cm2"].values[j]) if "iface_R_exc_ohm_cm2" in ds else None,
            "R_ct_ohm_cm2": f(ds["iface_R_ct_ohm_cm2"].values[j]) if "iface_R_ct_ohm_cm2" in ds else None,
            "injection": str(ds["iface_injection"].values[j]),
        })
    return {
        "ocv_V": f(ds["ocv"]), "ground": ds.attrs["ground"], "closure": ds.attrs["closure"],
        "temperature_K": float(ds.attrs["temperature_K"]), "energy_reference": ds.attrs["energy_reference"],
        "cpd_convention": ds.attrs["cpd_convention"], "tip_work_function_eV": meta.get("tip_work_function_eV"),
        "reference_ocv_V": ds.attrs.get("reference_ocv_V"), "reference_state": ds.attrs.get("reference_state"),
        "reference": None if "reference_ocv_V" not in ds.attrs else {
            k: ds.attrs[f"reference_{k}"] for k in ("anode_li_fraction", "cathode_li_fraction", "anode_U_V",
                                                    "cathode_U_V")},
        "mu_Li_se_eV": meta["stack"].get("mu_li_se_eV"),
        "layers": layers, "interfaces": ifaces,
        "notes": meta.get("notes", []), "ssbands_version": ds.attrs["ssbands_version"],
    }
