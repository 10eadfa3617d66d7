"""``geoaccess journey --mode transit`` and ``geoaccess roundtrip``."""

from __future__ import annotations

from pathlib import Path

import click

from geoaccess.cli.options import emit_json, json_option, reports_errors, venues_option
from geoaccess.errors import BadInput, NoRoute
from geoaccess.places import Place
from geoaccess.transit.timetable import WEEKDAYS


def transit_journey(
    start: Place,
    end: Place,
    day: str | None,
    depart_at: str | None,
    arrive_by: str | None,
    gtfs: tuple[Path, ...],
    cif: tuple[Path, ...],
    walk_network: Path | None,
    walk_limit: float,
    max_transfers: int,
) -> dict:
    """The transit journey asked for, as a JSON-ready dict; :class:`NoRoute` when there is none."""
    from geoaccess.transit.planner import parse_clock
    from geoaccess.transit.sources import planner_for, service_date, transit_provenance

    if day is None or (depart_at is None) == (arrive_by is None):
        raise BadInput("public transport needs --day and exactly one of --depart-at or --arrive-by")
    planner = planner_for(gtfs, cif, walk_network, walk_limit, max_transfers)
    when = service_date(day, planner.timetable)
    origin, destination = (start.lon, start.lat), (end.lon, end.lat)
    if depart_at is not None:
        itinerary = planner.depart_at(origin, destination, when, parse_clock(depart_at))
    else:
        itinerary = planner.arrive_by(origin, destination, when, parse_clock(arrive_by))
    if itinerary is None:
        asked = f"leaving at {depart_at}" if depart_at else f"arriving by {arrive_by}"
        raise NoRoute(f"no public transport journey {asked} on {WEEKDAYS[when.weekday()]} {when}")
    return {
        "from": start.to_dict(),
        "to": end.to_dict(),
        "mode": "transit",
        "date": when.isoformat(),
        "weekday": WEEKDAYS[when.weekday()],
        **itinerary.to_dict(),
        "provenance": transit_provenance(planner, when),
    }


@click.command()
@click.option("--from", "origin", required=True, help="Home: postcode or 'lat,lon'.")
@click.option("--venue", help="Venue id.")
@click.option("--to", "destination", help="Or a postcode or 'lat,lon' for the venue.")
@click.option("--day", required=True, help="Weekday (mon..sun), date YYYY-MM-DD, or 'week' for every day.")
@click.option("--start", required=True, help="Session start, HH:MM.")
@click.option("--end", required=True, help="Session end, HH:MM.")
@click.option("--margin", default=10, show_default=True, type=int, help="Arrive this many minutes early.")
@click.option(
    "--network",
    "walk_network",
    type=click.Path(path_type=Path),
    help="A walk network built by `geoaccess network build` (default: the pack's proxy).",
)
@click.option("--gtfs", multiple=True, type=click.Path(path_type=Path), help="GTFS feed; repeatable.")
@click.option("--cif", multiple=True, type=click.Path(path_type=Path), help="ATOC CIF file; repeatable.")
@click.option("--walk-limit", default=2000.0, show_default=True, type=float)
@click.option("--max-transfers", default=4, show_default=True, type=int)
@venues_option
@json_option
@reports_errors
def roundtrip(
    origin: str,
    venue: str | None,
    destination: str | None,
    day: str,
    start: str,
    end: str,
    margin: int,
    walk_network: Path | None,
    gtfs: tuple[Path, ...],
    cif: tuple[Path, ...],
    walk_limit: float,
    max_transfers: int,
    venues_file: Path | None,
    as_json: bool,
) -> None:
    """Can someone get from home to a session on time by public transport, and home again after it?"""
    from geoaccess.cli.text import roundtrip_text
    from geoaccess.places import resolve_place
    from geoaccess.transit.planner import parse_clock
    from geoaccess.transit.roundtrip import round_trip
    from geoaccess.transit.sources import planner_for, service_date, transit_provenance, week_dates
    from geoaccess.venues import load_venues

    if (venue is None) == (destination is None):
        raise BadInput("give exactly one of --venue VENUE_ID or --to POSTCODE|LAT,LON")
    start_s, end_s = parse_clock(start), parse_clock(end)
    if end_s <= start_s:
        raise BadInput(f"the session ends ({end}) before it starts ({start})")
    if margin < 0:
        raise BadInput("--margin must be zero or more minutes")
    registry = load_venues(extra=venues_file)
    home = resolve_place(origin, registry)
    place = resolve_place(venue or destination, registry)
    if venue is not None and place.venue_id is None:
        raise BadInput(f"--venue {venue!r} is not a venue id; use --to for a postcode or position")
    planner = planner_for(gtfs, cif, walk_network, walk_limit, max_transfers)
    dates = week_dates(planner.timetable) if day.strip().lower() == "week" else [service_date(day, planner.timetable)]
    days = [
        round_trip(planner, (home.lon, home.lat), (place.lon, place.lat), when, start_s, end_s, margin)
        for when in dates
    ]
    result = {
        "from": home.to_dict(),
        "to": place.to_dict(),
        "days": days,
        "provenance": transit_provenance(planner, dates[0]),
    }
    if len(days) == 1:
        result.update({key: days[0][key] for key in ("outbound", "return", "feasible", "flags")})
    else:
        result["works_on"] = [d["weekday"] for d in days if d["feasible"]]
    if as_json:
        emit_json(result)
    else:
        click.echo(roundtrip_text(result))
