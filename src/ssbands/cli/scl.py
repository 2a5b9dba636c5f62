"""``ssbands scl``: one semi-infinite space-charge layer from library data or explicit parameters."""

from __future__ import annotations

import math

import click

from ..errors import InputError
from .options import FINITE_FLOAT, json_option, library_option
from .output import emit_json

#: the explicit options of the SCL parameters, in the order of :func:`ssbands.scl.first_integral`
_EXPLICIT = ("sites", "ef0", "eps", "alpha")
#: option -> library field
_FIELDS = {"sites": "site_density_cm3", "ef0": "defect_energy_eV", "eps": "permittivity", "alpha": "alpha"}
_RESISTANCE_KEYS = ("R_scl_ohm_cm2", "R_bulk_same_length_ohm_cm2", "R_ratio", "R_excess_ohm_cm2")
_RESULT_KEYS = ("sigma_e_per_nm2", "capacitance_uF_per_cm2", "integral_capacitance_uF_per_cm2", "saturated_width_A",
                "debye_length_A")


@click.command(name="scl")
@click.option("--electrolyte", help="electrolyte name in the library (gives N, E_f0, eps, alpha, phi0^Li)")
@click.option("--electrode", help="electrode or metal name; phi0 = phi0^Li(SE) + (Phi_M - Phi_Li)/e - U_M")
@click.option("--potential", "--ocv", "potential", type=FINITE_FLOAT, default=None,
              help="electrode potential U_M vs Li/Li+ in V (default 0 for Li; from the OCV curve with --li-fraction)")
@click.option("--li-fraction", type=FINITE_FLOAT, default=None,
              help="Li fraction of the electrode (tabulated Phi(x), U(x))")
@library_option("user library YAML")
@click.option("--phi0", type=FINITE_FLOAT, default=None, help="step screened by the SCL, V (> 0: SE bulk higher)")
@click.option("--sites", type=FINITE_FLOAT, default=None, help="defect site density N, cm^-3")
@click.option("--ef0", type=FINITE_FLOAT, default=None, help="defect formation energy E_f0, eV")
@click.option("--eps", type=FINITE_FLOAT, default=None, help="relative permittivity")
@click.option("--alpha", type=FINITE_FLOAT, default=None, help="saturation factor (0 < alpha <= 1)")
@click.option("--temperature", type=FINITE_FLOAT, default=300.0, show_default=True, help="temperature, K")
@click.option("--target", type=FINITE_FLOAT, default=None,
              help="potential from the electrode's (V) whose depth to report (interlayer design)")
@click.option("--diffusivity", type=FINITE_FLOAT, default=None, help="defect diffusivity, cm^2/s (for R_SCL)")
@click.option("--conductivity", type=FINITE_FLOAT, default=None, help="bulk ionic conductivity, S/cm (for R_SCL)")
@json_option("print JSON")
def scl(electrolyte, electrode, potential, li_fraction, library_file, phi0, sites, ef0, eps, alpha, temperature,
        target, diffusivity, conductivity, as_json):
    """Space-charge layer of an electrolyte: charge, capacitance, widths (and resistance, depth to a target).

    \f

    Parameters
    ----------
    electrolyte, electrode : str or None
        Library names; with both, phi0 and the SCL parameters come from the library.
    potential : float or None
        Electrode potential vs Li/Li+, V.
    li_fraction : float or None
        Li fraction of the electrode.
    library_file : str or None
        User library YAML file (adds or overrides materials).
    phi0 : float or None
        Interface step screened by the layer, V (overrides the library's).
    sites, ef0, eps, alpha : float or None
        Site density (cm^-3), defect formation energy (eV), relative permittivity, saturation factor
        (override the library's).
    temperature : float
        Temperature, K.
    target : float or None
        Potential from the electrode's, V, whose depth to report.
    diffusivity, conductivity : float or None
        Defect diffusivity (cm^2/s) or bulk ionic conductivity (S/cm) for the layer's resistance.
    as_json : bool
        Print one JSON object instead of ``key value`` lines.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..materials import load_library
    from ..scl import depth_to_target_nm, first_integral

    explicit = {"sites": sites, "ef0": ef0, "eps": eps, "alpha": alpha}
    _check_option_use(electrolyte, electrode, potential, li_fraction, phi0, diffusivity, conductivity)
    lib = load_library(library_file) if library_file or electrolyte is not None else None
    info, mat, phi0 = _from_library(lib, electrolyte, electrode, phi0, potential, li_fraction, explicit)
    if mat is not None:
        from ..thermo import check_data_temperature

        check_data_temperature(temperature, f"the library data of {mat.name}")
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
    out.update({k: d[k] for k in _RESULT_KEYS})
    out["sign_convention"] = "phi0 = phi(SE bulk) - phi(electrode); sigma is the electrode-side charge"
    if target is not None:
        x = float(depth_to_target_nm(phi0, target, N, E, ep, al, temperature))
        out["target_V"] = float(target)
        out["depth_to_target_A"] = x * 10.0 if math.isfinite(x) else None
        if not math.isfinite(x):  # null says "never reached"; the note says why
            out["depth_to_target_note"] = (f"never reached: the potential from the electrode's goes from 0 to "
                                           f"phi0 = {phi0:.4g} V; a target strictly between them has a depth")
    out.update(_resistance(mat, phi0, (N, E, ep, al), temperature, diffusivity, conductivity))
    if as_json:
        emit_json(out)
        return
    for k, v in out.items():
        click.echo(f"{k:32s} {v if not isinstance(v, float) else f'{v:.6g}'}")


def _check_option_use(electrolyte, electrode, potential, li_fraction, phi0, diffusivity, conductivity) -> None:
    """Refuse options that would have no effect with the others given (InputError naming them)."""
    given = [f for f, v in (("--potential", potential), ("--li-fraction", li_fraction)) if v is not None]
    if given and electrode is None:
        raise InputError(f"{' and '.join(given)} {'describe' if len(given) > 1 else 'describes'} the electrode: "
                         "used with --electrode NAME only")
    if phi0 is not None and electrode is not None:
        raise InputError("--phi0 gives the step directly, so --electrode (and its --potential/--li-fraction) would "
                         "have no effect; give either --phi0 or --electrode")
    if diffusivity is not None and conductivity is not None:
        raise InputError("--diffusivity and --conductivity each set the layer's resistance; give one of them")


def _check_reservoir(material, potential, li_fraction) -> None:
    """Refuse --potential and --li-fraction for a Li reservoir (Li metal is at 0 V vs Li/Li+ by definition)."""
    from ..thermo import ocv_curve

    if not (material.kind == "electrode" and material.has("ocv_V")):
        return
    curve = ocv_curve(material)
    given = [f for f, v in (("--potential", potential), ("--li-fraction", li_fraction)) if v is not None]
    if curve.reservoir and given:
        raise InputError(f"--electrode {material.name} is a Li reservoir at {curve.constant:g} V vs Li/Li+ by "
                         f"definition: {' and '.join(given)} {'do' if len(given) > 1 else 'does'} not apply to it")


def _library_call(fn, *args):
    """Call a library function, naming the command-line options in its InputError."""
    try:
        return fn(*args)
    except InputError as exc:
        text = str(exc).replace("potential_V", "--potential").replace("li_fraction", "--li-fraction")
        raise InputError(text) from None


def _from_library(lib, electrolyte, electrode, phi0, potential, li_fraction, explicit):
    """Fill the SCL parameters missing from ``explicit`` (in place) and phi0 from the library.

    Returns ``(info, material, phi0)``: the names and phi0 details for the output, the electrolyte
    (None without ``--electrolyte``) and the step (V; None when neither given nor computable).
    """
    from ..scl import phi0_from_library

    info: dict = {}
    if electrolyte is None:
        if electrode is not None:
            raise InputError("--electrode needs --electrolyte")
        return info, None, phi0
    mat = lib[electrolyte]
    if mat.kind != "electrolyte":
        raise InputError(f"--electrolyte {electrolyte!r} is a {mat.kind}, not an electrolyte")
    for k, f in _FIELDS.items():
        if explicit[k] is None:
            explicit[k] = mat.get(f, "the space-charge layer")
    info["electrolyte"] = mat.name
    if phi0 is None:
        if electrode is None:
            raise InputError("give --electrode NAME (or --phi0 V) with --electrolyte")
        _check_reservoir(lib[electrode], potential, li_fraction)
        phi0, det = _library_call(phi0_from_library, lib, mat.name, electrode, potential, li_fraction)
        info.update({"electrode": lib[electrode].name, **det})
    return info, mat, phi0


def _resistance(mat, phi0, params, temperature, diffusivity, conductivity) -> dict:
    """The SCL resistance keys (ohm cm^2) when the options or the library's transport data allow, else {}.

    Explicit ``diffusivity`` (cm^2/s) or ``conductivity`` (S/cm) take precedence over the library;
    when the library's data cannot give it (e.g. an activation energy unknown away from 300 K), the
    result is ``{"resistance_note": why}``.
    """
    from ..scl.resistance import interface_resistance, scl_resistance

    if diffusivity is not None or conductivity is not None:
        n, ef0, eps, alpha = params
        rr = scl_resistance(phi0, n, ef0, eps, alpha, temperature, diffusivity_cm2_s=diffusivity,
                            bulk_conductivity_S_cm=None if diffusivity is not None else conductivity)
        return {k: float(rr[k]) for k in _RESISTANCE_KEYS}
    if mat is not None and (mat.has("diffusivity_cm2_s") or mat.has("ionic_conductivity_S_cm")):
        try:
            rr = interface_resistance(mat, phi0, temperature)
        except InputError as exc:  # e.g. activation energy unknown at T != 300 K: omit, say why
            return {"resistance_note": str(exc)}
        return {k: rr[k] for k in _RESISTANCE_KEYS}
    return {}
