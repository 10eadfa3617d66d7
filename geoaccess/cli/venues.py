"""``geoaccess venues list|validate|export``: the venue registry."""

from __future__ import annotations

from pathlib import Path

import click

from geoaccess.cli.options import emit_json, json_option, reports_errors, venues_option
from geoaccess.errors import BadInput


@click.group()
def venues() -> None:
    """List, check and export the venue registry."""


@venues.command("list")
@click.option("--kind", help="Only venues of this kind (e.g. probation_office).")
@click.option("--programme", help="Only venues holding this programme (BBR, TSP, NSOGP, UPW).")
@venues_option
@json_option
@reports_errors
def venues_list(kind: str | None, programme: str | None, venues_file: Path | None, as_json: bool) -> None:
    """Every venue with its kind, position confidence and programmes."""
    from geoaccess.venues import KINDS, PROGRAMMES, load_venues, venues_geojson

    if kind and kind not in KINDS:
        raise BadInput(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    if programme and programme.upper() not in PROGRAMMES:
        raise BadInput(f"--programme {programme!r} is not one of {', '.join(PROGRAMMES)}")
    selected = [
        v
        for v in load_venues(extra=venues_file)
        if (not kind or v.kind == kind) and (not programme or v.offers(programme.upper()))
    ]
    if as_json:
        emit_json(venues_geojson(selected))
        return
    for venue in selected:
        programmes = "; ".join(
            f"{p.code} {', '.join(s.label() for s in p.sessions)} ({p.basis})" for p in venue.programmes
        )
        click.echo(f"{venue.id:<34} {venue.kind_label:<18} {venue.town:<20} {venue.confidence:<12} {programmes}")


@venues.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@reports_errors
def venues_validate(path: Path, as_json: bool) -> None:
    """Check a venue file without using it; names every bad row."""
    from geoaccess.venues import read_venue_file

    checked = read_venue_file(path)
    if as_json:
        emit_json({"file": str(path), "valid": True, "venues": len(checked)})
    else:
        click.echo(f"{path}: {len(checked)} venue(s), all valid")


@venues.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="File to write: .geojson or .csv (a starting point for your own venue file).",
)
@venues_option
@reports_errors
def venues_export(out: Path, venues_file: Path | None) -> None:
    """Write the registry to a file you can edit and pass back with --venues."""
    from geoaccess.venues import load_venues, write_venue_file

    if not out.parent.is_dir():
        raise BadInput(f"cannot write {out}: folder {out.parent} does not exist")
    if out.suffix.lower() not in (".geojson", ".json", ".csv"):
        raise BadInput(f"cannot write {out}: use a .geojson or .csv file name")
    registry = load_venues(extra=venues_file)
    write_venue_file(registry, out)
    click.echo(f"wrote {len(registry)} venues to {out}")
