"""``ssbands scl``: one semi-infinite space-charge layer from library data or explicit parameters."""

from __future__ import annotations

import math

import click

from ..errors import InputError

_EXPLICIT = ("sites", "ef0", "eps", "alpha")


@click.command(name="scl")
@click.option("--electrolyte", help="electrolyte name in the library (gives N, E_f0, eps, alpha, phi0^Li)")
@click.option("--electrode", help="electrode or metal name; phi0 = phi0^Li(SE) + (Phi_M - Phi_Li)/e - U_M")
@click.option("--potential", "--ocv", "potential", type=float, default=None,
              help="electrode potential U_M vs Li/Li+ in V (default 0 for Li; from the OCV curve with --li-fraction)")
@click.option("--li-fraction", type=float, default=None, help="Li fraction of the electrode (tabulated Phi(x), U(x))")
@click.option("--library", "library_file", type=click.Path(dir_okay=False), default=None, help="user library YAML")
@click.option("--phi0", type=float, default=None, help="step screened by the SCL, V (> 0: SE bulk higher)")
@click.option("--sites", type=float, default=None, help="defect site density N, cm^-3")
@click.option("--ef0", type=float, default=None, help="defect formation energy E_f0, eV")
@click.option("--eps", type=float, default=None, help="relative permittivity")
@click.option("--alpha", type=float, default=None, help="saturation factor (0 < alpha <= 1)")
@click.option("--temperature", type=float, default=300.0, show_default=True, help="temperature, K")
@click.option("--target", type=float, default=None,
              help="potential from the electrode's (V) whose depth to report (interlayer design)")
@click.option("--diffusivity", type=float, default=None, help="defect diffusivity, cm^2/s (for R_SCL)")
@click.option("--conductivity", type=float, default=None, help="bulk ionic conductivity, S/cm (for R_SCL)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def scl(electrolyte, electrode, potential, li_fraction, library_file, phi0, sites, ef0, eps, alpha, temperature,
        target, diffusivity, conductivity, as_json):
    """Space-charge layer of an electrolyte: charge, capacitance, widths (and resistance, depth to a target)."""
    from ..cli import emit_json
    from ..materials.library import load_library
    from ..resistance import interface_resistance, scl_resistance
    from .firstintegral import first_integral
    from .interlayer import depth_to_target_nm, phi0_from_library

    explicit = {"sites": sites, "ef0": ef0, "eps": eps, "alpha": alpha}
    for name, v in [("phi0", phi0), ("temperature", temperature), ("target", target), *explicit.items(),
                    ("potential", potential), ("li-fraction", li_fraction)]:
        if v is not None and not math.isfinite(v):
            raise InputError(f"--{name} must be a finite number, got {v!r}")
    info: dict = {}
    mat = None
    if electrolyte is not None:
        lib = load_library(extra=library_file) if library_file else load_library()
        mat = lib[electrolyte]
        if mat.kind != "electrolyte":
            raise InputError(f"--electrolyte {electrolyte!r} is a {mat.kind}, not an electrolyte")
        fields = {"sites": "site_density_cm3", "ef0": "defect_energy_eV", "eps": "permittivity", "alpha": "alpha"}
        for k, f in fields.items():
            if explicit[k] is None:
                explicit[k] = mat.get(f, "the space-charge layer")
        info["electrolyte"] = mat.name
        if phi0 is None:
            if electrode is None:
                raise InputError("give --electrode NAME (or --phi0 V) with --electrolyte")
            phi0, det = phi0_from_library(lib, mat.name, electrode, potential, li_fraction)
            info.update({"electrode": lib[electrode].name, **det})
    elif electrode is not None:
        raise InputError("--electrode needs --electrolyte")
    if phi0 is None:
        raise InputError("give --phi0 V, or --electrolyte NAME --electrode NAME")
    if explicit["alpha"] is None:
        explicit["alpha"] = 0.1
    missing = [k for k in ("sites", "ef0", "eps") if explicit[k] is None]
    if missing:
        raise InputError("missing " + ", ".join(f"--{k}" for k in missing) + " (or give --electrolyte NAME)")
    N, E, ep, al = (float(explicit[k]) for k in _EXPLICIT)
    r = first_integral(phi0, N, E, ep, al, temperature)
    out = {**info, "phi0_V": float(phi0), "temperature_K": float(temperature), "site_density_cm3": N,
           "defect_energy_eV": E, "permittivity": ep, "alpha": al}
    d = r.to_dict()
    for k in ("sigma_e_per_nm2", "capacitance_uF_per_cm2", "integral_capacitance_uF_per_cm2", "saturated_width_A",
              "debye_length_A"):
        out[k] = d[k]
    out["sign_convention"] = "phi0 = phi(SE bulk) - phi(electrode); sigma is the electrode-side charge"
    if target is not None:
        x = float(depth_to_target_nm(phi0, target, N, E, ep, al, temperature))
        out["target_V"] = float(target)
        out["depth_to_target_A"] = x * 10.0 if math.isfinite(x) else None
    # resistance when the data allow
    res = None
    if diffusivity is not None or conductivity is not None:
        rr = scl_resistance(phi0, N, E, ep, al, temperature, diffusivity_cm2_s=diffusivity,
                            bulk_conductivity_S_cm=None if diffusivity is not None else conductivity)
        res = {k: float(rr[k]) for k in ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio", "R_excess_ohm_cm2")}
    elif mat is not None and (mat.has("diffusivity_cm2_s") or mat.has("ionic_conductivity_S_cm")):
        try:
            rr = interface_resistance(mat, phi0, temperature)
            res = {k: rr[k] for k in ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio", "R_excess_ohm_cm2")}
        except InputError as exc:  # e.g. activation energy unknown at T != 300 K: omit, say why
            out["resistance_note"] = str(exc)
    if res is not None:
        out.update(res)
    if as_json:
        emit_json(out)
        return
    for k, v in out.items():
        click.echo(f"{k:32s} {v if not isinstance(v, float) else f'{v:.6g}'}")
