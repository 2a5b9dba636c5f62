"""``ssbands materials list|show``: the materials library (built-in + ``--library FILE``)."""

from __future__ import annotations

import click

from .options import json_option, library_option
from .output import emit_json

#: show-text keys of a parameter that are not part of its value
_NOT_VALUE = ("source", "note", "citation", "description", "unit", "estimate")


@click.group()
def materials():
    """List and show the materials library (built-in + --library FILE)."""


@materials.command("list")
@library_option()
@json_option("Print JSON.")
@click.option("--kind", type=click.Choice(["metal", "electrode", "electrolyte"]), default=None)
def materials_list(library_file, as_json, kind):
    """List materials with their kind and how many parameters are unknown.

    \f

    Parameters
    ----------
    library_file : str or None
        User library YAML file (adds or overrides materials).
    as_json : bool
        Print ``{"materials": [...]}`` instead of a table.
    kind : {"metal", "electrode", "electrolyte"} or None
        List only materials of this kind.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..materials import field_names, load_library

    lib = load_library(library_file)
    rows = []
    for name in lib:
        m = lib[name]
        if kind and m.kind != kind:
            continue
        fields = field_names(m.kind)
        unknown = [f for f in fields if not m.has(f)]
        estimates = [f for f in fields if m.has(f) and m.param(f).estimate]
        rows.append({"name": m.name, "kind": m.kind, "description": m.description, "origin": m.origin,
                     "unknown": unknown, "estimates": estimates})
    if as_json:
        emit_json({"materials": rows})
        return
    w = max(len(r["name"]) for r in rows) + 2
    click.echo(f"{'name':<{w}}{'kind':<13}{'unknown':>8}{'estimates':>10}  description")
    for r in rows:
        click.echo(f"{r['name']:<{w}}{r['kind']:<13}{len(r['unknown']):>8}{len(r['estimates']):>10}  "
                   f"{r['description']}")


@materials.command("show")
@click.argument("name")
@library_option()
@json_option("Print JSON.")
def materials_show(name, library_file, as_json):
    """Show every parameter of one material with its source (citations resolved).

    \f

    Parameters
    ----------
    name : str
        The material's name (case-insensitive).
    library_file : str or None
        User library YAML file (adds or overrides materials).
    as_json : bool
        Print the material as one JSON object instead of text.
    """  # noqa: D301 - the form feed ends the help text click shows
    from ..materials import load_library

    lib = load_library(library_file)
    m = lib[name]
    d = m.to_dict()
    for p in d["parameters"].values():
        if "source" in p:
            p["citation"] = lib.cite(p["source"])
    if as_json:
        emit_json(d)
        return
    click.echo(f"{m.name} ({m.kind}) — {m.description}  [{m.origin}]")
    for f, p in d["parameters"].items():
        unit = f" {p['unit']}" if p.get("unit") else ""
        val = p.get("value", {k: v for k, v in p.items() if k not in _NOT_VALUE})
        flag = "  (ESTIMATE)" if p.get("estimate") else ""
        click.echo(f"  {f:<30} {val}{unit}{flag}")
        if p.get("citation"):
            click.echo(f"      source: {p['citation']}")
        if p.get("note"):
            click.echo(f"      note: {p['note']}")
