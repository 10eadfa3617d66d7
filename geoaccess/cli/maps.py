"""``geoaccess map venues|isochrones|burden|scenario|journey --out FILE.html|png|pdf``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geoaccess.cli.analysis import named_scenarios, people_of
from geoaccess.cli.options import (
    analysis_of,
    analysis_options,
    caseload_options,
    data_choice,
    data_options,
    reports_errors,
    venues_option,
)
from geoaccess.defaults import SITING_PROGRAMME

hex_option = click.option(
    "--hex-km",
    default=10.0,
    show_default=True,
    type=float,
    help="Count people in hexagons this wide; 0 counts them by LSOA.",
)
out_option = click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="File to write: .html (standalone, works offline), .png (300 dpi) or .pdf (A4).",
)


def _write(doc: Any, out: Path) -> None:
    from geoaccess.services.maps import export_map

    export_map(doc, out)
    click.echo(f"wrote {out}")


@click.group("map")
def map_group() -> None:
    """Export maps as standalone HTML, PNG or PDF."""


@map_group.command("venues")
@out_option
@venues_option
@reports_errors
def venues_command(out: Path, venues_file: Path | None) -> None:
    """Every venue, by kind."""
    from geoaccess.services.maps import venues_document
    from geoaccess.venues import load_venues

    _write(venues_document(load_venues(extra=venues_file)), out)


@map_group.command("isochrones")
@click.option("--venue", "venue_id", required=True, help="Venue id.")
@click.option("--mode", type=click.Choice(["car", "transit"]), default="transit", show_default=True)
@out_option
@analysis_options
@venues_option
@reports_errors
def isochrones(venue_id: str, mode: str, out: Path, venues_file: Path | None, **options: Any) -> None:
    """Travel-time bands (30/60/90/120 min) to a venue from every Cumbrian LSOA."""
    from geoaccess.services.maps import isochrone_document
    from geoaccess.venues import load_venues

    venues = load_venues(extra=venues_file)
    _write(isochrone_document(venue_id=venue_id, mode=mode, analysis=analysis_of(options), venues=venues), out)


@map_group.command("burden")
@caseload_options
@click.option("--programme", default=SITING_PROGRAMME, show_default=True)
@hex_option
@out_option
@analysis_options
@reports_errors
def burden(
    caseload_file: Path | None, synthetic: bool, programme: str, hex_km: float, out: Path, **options: Any
) -> None:
    """Share of a caseload over two hours each way or with no way home, by area (small counts suppressed)."""
    from geoaccess.analysis.scenarios import current_scenario
    from geoaccess.services.analysis import measure_scenarios
    from geoaccess.services.maps import burden_document
    from geoaccess.venues import load_venues

    people = people_of(caseload_file, synthetic)
    analysis = analysis_of(options)
    scenario = current_scenario(programme, load_venues())
    measured = measure_scenarios(people=people, scenarios=[scenario], analysis=analysis)[0]
    _write(burden_document(measured, people=people, analysis=analysis, hex_km=hex_km or None), out)


@map_group.command("scenario")
@click.argument("scenarios", nargs=2)
@caseload_options
@hex_option
@out_option
@analysis_options
@reports_errors
def scenario_command(
    scenarios: tuple[str, str], caseload_file: Path | None, synthetic: bool, hex_km: float, out: Path, **options: Any
) -> None:
    """Change in public transport time to the nearest venue between two scenarios, by area."""
    from geoaccess.services.analysis import measure_scenarios
    from geoaccess.services.maps import change_document
    from geoaccess.venues import load_venues

    chosen = named_scenarios(scenarios, load_venues())
    people = people_of(caseload_file, synthetic)
    analysis = analysis_of(options)
    before, after = measure_scenarios(people=people, scenarios=chosen, analysis=analysis)
    _write(change_document(before, after, people=people, analysis=analysis, hex_km=hex_km or None), out)


@map_group.command("journey")
@click.option("--from", "origin", required=True, help="Home: postcode or 'lat,lon'.")
@click.option("--to", "destination", required=True, help="Venue id, postcode or 'lat,lon'.")
@click.option("--day", required=True, help="Weekday (mon..sun) or date YYYY-MM-DD.")
@click.option("--depart-at", help="Leave at HH:MM.")
@click.option("--arrive-by", help="Arrive by HH:MM.")
@data_options
@out_option
@venues_option
@reports_errors
def journey_command(
    origin: str,
    destination: str,
    day: str,
    depart_at: str | None,
    arrive_by: str | None,
    out: Path,
    venues_file: Path | None,
    **options: Any,
) -> None:
    """One public transport journey; the home is shown only at its postcode sector."""
    from geoaccess.services.maps import journey_document
    from geoaccess.venues import load_venues

    doc = journey_document(
        home=origin,
        to=destination,
        day=day,
        venues=load_venues(extra=venues_file),
        depart_at=depart_at,
        arrive_by=arrive_by,
        data=data_choice(options),
    )
    _write(doc, out)
