"""Defect-system inputs and outputs: py-sc-fermi YAML (+ ssbands keys) and SC-Fermi's text inputs.

The readers return the fields of a :class:`~ssbands.defects.DefectSystem` (``DefectSystem(**fields)``);
:func:`system_to_mapping` writes the YAML layout back.

References
----------
A. G. Squires, D. O. Scanlon, B. J. Morgan, "py-sc-fermi: self-consistent Fermi energies and defect
concentrations from electronic structure calculations", J. Open Source Softw. 8, 4962 (2023),
DOI 10.21105/joss.04962 (YAML layout).
J. Buckeridge, Comput. Phys. Commun. 244, 329 (2019), DOI 10.1016/j.cpc.2019.06.017 (SC-Fermi inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..errors import InputError, read_text_file
from ._validate import number
from .model import ChargeState, DefectSpecies, ParabolicBands, TabulatedDOS

__all__ = ["system_fields_from_mapping", "system_fields_from_yaml", "system_fields_from_sc_fermi",
           "system_to_mapping"]

_TOP_KEYS = {"bandgap", "temperature", "nelect", "volume", "spin_pol", "dos", "edos", "convergence_tolerance",
             "n_trial_steps", "defect_species", "bands", "chemical_potentials", "dos_file", "name",
             "description", "notes", "references", "units"}
_SPECIES_KEYS = {"name", "nsites", "fixed_concentration", "charge_states", "stoichiometry", "site_density_cm3",
                 "notes", "description"}
_CS_KEYS = {"charge", "energy", "formation_energy", "degeneracy", "fixed_concentration", "notes"}


def _prefixed(where: str, exc: InputError) -> InputError:
    """The same error with ``where`` in front of its message."""
    return InputError(f"{where}: {exc}")


def _read_totdos(path: Path, where: str):
    """(energies eV, DOS summed over columns) of an SC-Fermi ``totdos.dat``."""
    try:
        data = np.loadtxt(path, comments="#", ndmin=2)
    except FileNotFoundError:
        raise InputError(f"{where}: DOS file {str(path)!r} does not exist") from None
    except (ValueError, OSError) as exc:
        raise InputError(f"{where}: DOS file {str(path)!r} is not a table of numbers ({exc})") from None
    if data.shape[1] < 2:
        raise InputError(f"{where}: DOS file {str(path)!r} needs an energy column and at least one DOS column")
    return data[:, 0], np.sum(np.abs(data[:, 1:]), axis=1)


def _volume_from_unitcell(path: Path, where: str) -> float:
    """Cell volume (Å³) of an SC-Fermi ``unitcell.dat`` (scale factor, then three lattice vectors)."""
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
                 if ln.strip() and not ln.lstrip().startswith("#")]
        factor = float(lines[0].split()[0])
        lat = np.array([[float(v) for v in ln.split()[:3]] for ln in lines[1:4]]) * factor
        vol = abs(float(np.linalg.det(lat)))
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read a cell volume from {str(path)!r} ({exc})") from None
    if not vol > 0:
        raise InputError(f"{where}: {str(path)!r} gives a zero cell volume")
    return vol


def _volume_from_poscar(path: Path, where: str) -> float:
    """Cell volume (Å³) of a VASP POSCAR (a negative scale factor is the volume itself)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        scale = float(lines[1].split()[0])
        lat = np.array([[float(v) for v in ln.split()[:3]] for ln in lines[2:5]])
        vol = abs(float(np.linalg.det(lat)))
        vol = abs(scale) if scale < 0 else vol * scale ** 3
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read a cell volume from POSCAR {str(path)!r} ({exc})") from None
    return vol


def _parabolic_bands(data, bands_spec, gap: float, w: str) -> ParabolicBands:
    if not isinstance(bands_spec, Mapping) or bands_spec.get("model") != "parabolic":
        raise InputError(f"{w}: field 'bands' must be {{model: parabolic, electron_mass: M, hole_mass: M}}")
    extra = sorted(set(map(str, bands_spec)) - {"model", "electron_mass", "hole_mass"})
    if extra:
        raise InputError(f"{w}: bands: unknown key(s) {extra}")
    if "dos" in data or "edos" in data:
        raise InputError(f"{w}: give either 'bands' (parabolic) or 'dos'/'edos', not both")
    try:
        # a missing mass (None) is refused with an InputError by ParabolicBands.__post_init__
        return ParabolicBands(gap, cast(float, bands_spec.get("electron_mass")),
                              cast(float, bands_spec.get("hole_mass")))
    except InputError as exc:
        raise _prefixed(w, exc) from None


def _dos_path(dfile, base: Path | None, w: str) -> Path:
    if dfile is not None:
        p = Path(dfile)
        if not p.is_absolute() and base is not None:
            p = base / p
    elif base is not None and (base / "totdos.dat").is_file():
        p = base / "totdos.dat"
    else:
        raise InputError(f"{w}: no DOS: give 'dos' and 'edos', a 'dos_file', 'bands: {{model: parabolic, ...}}', "
                         "or put a 'totdos.dat' next to the YAML file")
    if p.suffix == ".xml":
        raise InputError(f"{w}: reading vasprun.xml needs pymatgen; convert it to a totdos.dat "
                         "(energy above VBM, DOS columns) or inline 'dos'/'edos'")
    return p


def _bands(data, gap: float, base: Path | None, w: str, dos_file) -> ParabolicBands | TabulatedDOS:
    """Parabolic bands (ssbands ``bands`` key) or a tabulated DOS (inline, ``dos_file`` or ``totdos.dat``)."""
    bands_spec = data.get("bands")
    if bands_spec is not None:
        if dos_file is not None or data.get("dos_file") is not None:
            raise InputError(f"{w}: a DOS file does not apply with 'bands: {{model: parabolic}}' (the bands give the "
                             "carriers); give either the parabolic bands or a tabulated DOS")
        return _parabolic_bands(data, bands_spec, gap, w)
    spin = bool(data.get("spin_pol", False))
    nelect = number(w, "nelect", data.get("nelect"), positive=True)
    dfile = dos_file if dos_file is not None else data.get("dos_file")
    if "dos" in data or "edos" in data:
        if "dos" not in data or "edos" not in data:
            raise InputError(f"{w}: an inline DOS needs both 'dos' and 'edos'")
        if dfile is not None:
            raise InputError(f"{w}: a DOS file does not apply: the file has an inline DOS ('dos'/'edos'); "
                             "give one of them")
        edos, dos = data["edos"], data["dos"]
    else:
        edos, dos = _read_totdos(_dos_path(dfile, base, w), w)
        spin = False
    try:
        return TabulatedDOS(edos, dos, gap, nelect=nelect, spin_polarised=spin)
    except InputError as exc:
        raise _prefixed(w, exc) from None


def _charge_states(css, loc: str) -> list[ChargeState]:
    """The charge states of one species: a mapping ``{q: {...}}`` or a list of ``{charge: q, ...}``."""
    if isinstance(css, Mapping):
        entries = list(css.items())
    elif isinstance(css, list):
        entries = [(None, c) for c in css]
    else:
        raise InputError(f"{loc}: field 'charge_states' must be a mapping {{charge: {{energy, degeneracy}}}}")
    states = []
    for key, cs in entries:
        cloc = f"{loc}: charge_states[{key!r}]" if key is not None else f"{loc}: charge_states"
        if not isinstance(cs, Mapping):
            raise InputError(f"{cloc}: must be a mapping with 'charge', 'energy' and 'degeneracy'")
        bad = sorted(str(k) for k in cs if str(k) not in _CS_KEYS)
        if bad:
            raise InputError(f"{cloc}: unknown key(s) {bad}; allowed: {sorted(_CS_KEYS)}")
        q = cs.get("charge", key)
        if q is None:
            raise InputError(f"{cloc}: field 'charge' is required")
        if key is not None and "charge" in cs:
            try:
                same = int(key) == int(cs["charge"])
            except (TypeError, ValueError):
                raise InputError(f"{cloc}: charge must be an integer") from None
            if not same:
                raise InputError(f"{cloc}: key {key!r} and field 'charge' {cs['charge']!r} disagree")
        energy = cs.get("energy", cs.get("formation_energy"))
        try:
            states.append(ChargeState(q, energy, cs.get("degeneracy", 1), cs.get("fixed_concentration")))
        except InputError as exc:
            raise _prefixed(loc, exc) from None
    return states


def _one_species(item, i: int, w: str) -> DefectSpecies:
    loc = f"{w}: defect_species[{i}]"
    if not isinstance(item, Mapping):
        raise InputError(f"{loc}: must be a mapping with 'name', 'nsites' and 'charge_states'")
    if "name" not in item and len(item) == 1:  # legacy layout {NAME: {...}}
        (nm, body), = item.items()
        if not isinstance(body, Mapping):
            raise InputError(f"{loc}: must be a mapping with 'name', 'nsites' and 'charge_states'")
        item = {"name": nm, **body}
    loc = f"{loc} ({item.get('name')!r})"
    bad = sorted(str(k) for k in item if str(k) not in _SPECIES_KEYS)
    if bad:
        raise InputError(f"{loc}: unknown key(s) {bad}; allowed: {sorted(_SPECIES_KEYS)}")
    states = _charge_states(item.get("charge_states"), loc)
    st = item.get("stoichiometry") or {}
    if not isinstance(st, Mapping):
        raise InputError(f"{loc}: field 'stoichiometry' must be a mapping element -> atoms added, e.g. {{Li: -1}}")
    try:
        return DefectSpecies(str(item.get("name")), tuple(states), nsites=item.get("nsites"),
                             site_density_cm3=item.get("site_density_cm3"), stoichiometry=st,
                             fixed_concentration_cm3=item.get("fixed_concentration"))
    except InputError as exc:
        raise _prefixed(f"{w}: defect_species[{i}]", exc) from None


def _species(data, w: str) -> list[DefectSpecies]:
    raw_species = data.get("defect_species", [])
    if raw_species is None:
        raw_species = []
    if not isinstance(raw_species, list):
        raise InputError(f"{w}: field 'defect_species' must be a list of defect mappings")
    return [_one_species(item, i, w) for i, item in enumerate(raw_species)]


def _volume(data, bands, species, base: Path | None, w: str):
    """The cell volume (Å³): the ``volume`` key, else unitcell.dat or POSCAR in ``base`` when needed."""
    volume = data.get("volume")
    needs_volume = isinstance(bands, TabulatedDOS) or any(s.nsites is not None for s in species)
    if volume is None and needs_volume and base is not None:
        if (base / "unitcell.dat").is_file():
            volume = _volume_from_unitcell(base / "unitcell.dat", w)
        elif (base / "POSCAR").is_file():
            volume = _volume_from_poscar(base / "POSCAR", w)
    if volume is None and needs_volume:
        raise InputError(f"{w}: field 'volume' (cell volume, Å^3) is required (tabulated DOS or 'nsites' per cell); "
                         "give it, or put unitcell.dat/POSCAR next to the YAML file")
    return volume


def system_fields_from_mapping(data: Mapping[str, Any], *, base_dir: str | Path | None = None,
                               source: str | None = None, dos_file: str | Path | None = None) -> dict[str, Any]:
    """The DefectSystem fields of a py-sc-fermi-style mapping (keys: see ``DefectSystem.from_yaml``).

    Parameters
    ----------
    data : mapping
        ``bandgap`` (eV), ``temperature`` (K), ``nelect``, ``volume`` (Å³), ``spin_pol``, ``dos``/``edos``
        (states/eV/cell, eV), ``defect_species`` (energies in eV, concentrations in cm⁻³), and the ssbands
        keys ``bands``, ``chemical_potentials`` (eV), ``dos_file``.
    base_dir : str or Path, optional
        Where relative files (``dos_file``, ``totdos.dat``, ``unitcell.dat``, ``POSCAR``) are looked up.
    source : str, optional
        Name used in error messages (default "defect system").
    dos_file : str or Path, optional
        DOS file overriding the ``dos_file`` key.

    Returns
    -------
    dict
        Keyword arguments of :class:`~ssbands.defects.DefectSystem`.
    """
    w = source or "defect system"
    if not isinstance(data, Mapping):
        raise InputError(f"{w}: expected a mapping of py-sc-fermi keys (bandgap, temperature, defect_species, ...)")
    unknown = sorted(str(k) for k in data if str(k) not in _TOP_KEYS and not str(k).startswith("_"))
    if unknown:
        raise InputError(f"{w}: unknown key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
    base = Path(base_dir) if base_dir is not None else None
    gap = number(w, "bandgap", data.get("bandgap"), nonneg=True)
    temperature = number(w, "temperature", data.get("temperature", 300.0), positive=True)
    bands = _bands(data, gap, base, w, dos_file)
    species = _species(data, w)
    volume = _volume(data, bands, species, base, w)
    mu = data.get("chemical_potentials") or {}
    if not isinstance(mu, Mapping):
        raise InputError(f"{w}: field 'chemical_potentials' must be a mapping element -> eV, e.g. {{Li: -1.0}}")
    return dict(species=tuple(species), bands=bands, volume_A3=volume, temperature_K=temperature, mu_eV=mu,
                source=w)


def system_fields_from_yaml(path: str | Path, *, dos_file: str | Path | None = None) -> dict[str, Any]:
    """The DefectSystem fields of a py-sc-fermi YAML file (see :func:`system_fields_from_mapping`).

    Parameters
    ----------
    path : str or Path
        The YAML file; relative files are looked up next to it.
    dos_file : str or Path, optional
        DOS file (SC-Fermi ``totdos.dat`` format) when the YAML has no inline DOS.

    Returns
    -------
    dict
        Keyword arguments of :class:`~ssbands.defects.DefectSystem`.
    """
    import yaml

    from ..materials.library import safe_load

    p = Path(path)
    w = str(p)
    text = read_text_file(p, "defect input file")
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"defect input file {w!r} is not valid YAML: {exc}") from None
    return system_fields_from_mapping(data, base_dir=p.parent, source=w, dos_file=dos_file)


def _sc_fermi_species(lines: list[str], frozen: bool, w: str) -> dict[str, dict]:
    """The defect blocks of input-fermi.dat (and its frozen sections), consuming ``lines``."""
    nd = int(lines.pop(0).split()[0])
    species: dict[str, dict[str, Any]] = {}
    for _ in range(nd):
        name, ncs, nsites = lines.pop(0).split()[:3]
        states = []
        for _ in range(int(ncs)):
            q, e, g = lines.pop(0).split()[:3]
            states.append(ChargeState(int(q), float(e), float(g)))
        species[name] = dict(name=name, states=states, nsites=float(nsites), fixed=None)
    if frozen:
        for _ in range(int(lines.pop(0).split()[0])):
            name, conc = lines.pop(0).split()[:2]
            if name not in species:
                raise InputError(f"{w}: frozen defect {name!r} is not among the defect species")
            species[name]["fixed"] = float(conc)
        for _ in range(int(lines.pop(0).split()[0])):
            name, q, conc = lines.pop(0).split()[:3]
            cs = ChargeState(int(q), None, 1.0, float(conc))
            if name in species:
                species[name]["states"] = [c if c.charge != int(q) else
                                           ChargeState(c.charge, c.energy, c.degeneracy, float(conc))
                                           for c in species[name]["states"]]
            else:
                species[name] = dict(name=name, states=[cs], nsites=1.0, fixed=None)
    return species


def system_fields_from_sc_fermi(input_file: str | Path, *, volume_A3: float | None = None,
                                unitcell_file: str | Path | None = None, totdos_file: str | Path | None = None,
                                frozen: bool = False) -> dict[str, Any]:
    """The DefectSystem fields of SC-Fermi's text inputs (``input-fermi.dat``, ``unitcell.dat``, ``totdos.dat``).

    Parameters
    ----------
    input_file : str or Path
        ``input-fermi.dat``: spin, nelect, gap (eV), temperature (K), then the defects (energies in eV).
    volume_A3 : float, optional
        Cell volume in Å³; default from ``unitcell_file``.
    unitcell_file, totdos_file : str or Path, optional
        Default ``unitcell.dat`` and ``totdos.dat`` next to ``input_file``.
    frozen : bool
        The file has SC-Fermi's frozen-defect sections (totals and charge states in cm⁻³).

    Returns
    -------
    dict
        Keyword arguments of :class:`~ssbands.defects.DefectSystem`.
    """
    p = Path(input_file)
    w = str(p)
    lines = [ln.strip() for ln in read_text_file(p, "SC-Fermi input").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        int(lines.pop(0).split()[0])  # spin: totdos columns are summed whatever its value (as SC-Fermi does)
        nelect = float(lines.pop(0).split()[0])
        gap = float(lines.pop(0).split()[0])
        temperature = float(lines.pop(0).split()[0])
        species = _sc_fermi_species(lines, frozen, w)
    except (IndexError, ValueError) as exc:
        raise InputError(f"{w}: not a valid SC-Fermi input file ({exc})") from None
    base = p.parent
    if volume_A3 is None:
        volume_A3 = _volume_from_unitcell(Path(unitcell_file) if unitcell_file else base / "unitcell.dat", w)
    edos, dos = _read_totdos(Path(totdos_file) if totdos_file else base / "totdos.dat", w)
    sp = tuple(DefectSpecies(d["name"], tuple(d["states"]), nsites=d["nsites"], fixed_concentration_cm3=d["fixed"])
               for d in species.values())
    return dict(species=sp, bands=TabulatedDOS(edos, dos, gap, nelect=nelect), volume_A3=volume_A3,
                temperature_K=temperature, source=w)


def system_to_mapping(system) -> dict[str, Any]:
    """A mapping in py-sc-fermi's YAML layout (+ ssbands keys) that :func:`system_fields_from_mapping` reads back.

    Parameters
    ----------
    system : DefectSystem

    Returns
    -------
    dict
        ``bandgap`` (eV), ``temperature`` (K), ``volume`` (Å³), the DOS or ``bands``, ``chemical_potentials``
        (eV) and ``defect_species``.
    """
    d: dict[str, Any] = {"bandgap": system.band_gap_eV, "temperature": system.temperature_K}
    if system.volume_A3 is not None:
        d["volume"] = system.volume_A3
    if isinstance(system.bands, TabulatedDOS):
        d.update(system.bands.to_dict())
    else:
        d["bands"] = system.bands.to_dict()
    if system.mu_eV:
        d["chemical_potentials"] = dict(system.mu_eV)
    d["defect_species"] = [s.to_dict() for s in system.species]
    return d
