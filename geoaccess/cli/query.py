"""``geoaccess geocode``, ``journey``, ``roundtrip`` and ``matrix``: the questions about places and journeys."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from geoaccess.cli.options import data_choice, data_options, emit_json, json_option, reports_errors, venues_option
from geoaccess.defaults import DAY, MARGIN_MIN, WINDOW
from geoaccess.errors import BadInput

MODES = click.Choice(["car", "walk", "transit"])


@click.command()
@click.argument("query")
@json_option
@reports_errors
def geocode(query: str, as_json: bool) -> None:
    """Position, LSOA and district of a postcode (any case or spacing) or 'lat,lon'."""
    from geoaccess.geocode import geocode as run_geocode

    location = run_geocode(query)
    if as_json:
        emit_json({**location.to_dict(), "modelled": False})
        return
    where = location.postcode or f"{location.lat:.5f},{location.lon:.5f}"
    click.echo(
        f"{where}: {location.lat:.6f}, {location.lon:.6f} (E {location.easting:.0f}, "
        f"N {location.northing:.0f}; {location.precision})"
    )
    click.echo(
        f"  LSOA {location.lsoa21} {location.lsoa21_name}; district {location.district}; council {location.council}"
    )
    click.echo(f"  source: {location.source}")


@click.command()
@click.option("--from", "origin", required=True, help="Postcode, 'lat,lon' or stop:STOP_ID.")
@click.option("--to", "destination", required=True, help="Venue id, postcode, 'lat,lon' or stop:STOP_ID.")
@click.option("--mode", type=MODES, default="car", show_default=True)
@click.option("--day", help="transit: weekday (mon..sun) or date YYYY-MM-DD.")
@click.option("--depart-at", help="transit: leave at HH:MM.")
@click.option("--arrive-by", help="transit: arrive by HH:MM (leaving as late as possible).")
@data_options
@venues_option
@json_option
@reports_errors
def journey(
    origin: str,
    destination: str,
    mode: str,
    day: str | None,
    depart_at: str | None,
    arrive_by: str | None,
    venues_file: Path | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Door-to-door time and route between two places by car, on foot or by public transport."""
    from geoaccess.cli.text import journey_text
    from geoaccess.services.dead_ends import NoJourney
    from geoaccess.services.journeys import journey as find_journey
    from geoaccess.venues import load_venues

    try:
        result = find_journey(
            origin=origin,
            destination=destination,
            venues=load_venues(extra=venues_file),
            mode=mode,
            day=day,
            depart_at=depart_at,
            arrive_by=arrive_by,
            data=data_choice(options),
        )
    except NoJourney as error:
        if as_json:  # the explanation on stdout; the message and exit code as for any error
            emit_json({"error": " ".join(str(error).split()), "dead_end": error.dead_end})
        raise
    if as_json:
        emit_json(result)
    else:
        click.echo(journey_text(result))


@click.command()
@click.option("--from", "origin", required=True, help="Home: postcode, 'lat,lon' or stop:STOP_ID.")
@click.option("--venue", help="Venue id.")
@click.option("--to", "destination", help="Or a postcode, 'lat,lon' or stop:STOP_ID for the venue.")
@click.option("--day", required=True, help="Weekday (mon..sun), date YYYY-MM-DD, or 'week' for every day.")
@click.option("--start", required=True, help="Session start, HH:MM.")
@click.option("--end", required=True, help="Session end, HH:MM.")
@click.option("--margin", default=MARGIN_MIN, show_default=True, type=int, help="Arrive this many minutes early.")
@data_options
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
    venues_file: Path | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Can someone get from home to a session on time by public transport, and home again after it?"""
    from geoaccess.cli.text import roundtrip_text
    from geoaccess.services.roundtrips import round_trip_days, session_place
    from geoaccess.venues import load_venues

    registry = load_venues(extra=venues_file)
    data = data_choice(options)
    result = round_trip_days(
        home=origin,
        place=session_place(venues=registry, venue=venue, to=destination, data=data),
        venues=registry,
        day=day,
        start=start,
        end=end,
        margin=margin,
        data=data,
    )
    if as_json:
        emit_json(result)
    else:
        click.echo(roundtrip_text(result))


@click.command()
@click.option(
    "--origins", required=True, type=click.Path(path_type=Path), help="CSV with id and postcode, or id, lon and lat."
)
@click.option("--destinations", required=True, help="CSV like --origins, or 'venues' for every venue in the registry.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="File to write: .csv or .parquet.")
@click.option("--cutoff", type=float, help="car/walk: leave pairs longer than this many minutes empty.")
@click.option("--mode", type=MODES, default="car", show_default=True)
@click.option("--day", default=DAY, show_default=True, help="transit: weekday (mon..sun) or date YYYY-MM-DD.")
@click.option("--window", default=WINDOW, show_default=True, help="transit: departure window HH:MM-HH:MM.")
@click.option(
    "--step",
    "step_min",
    default=5,
    show_default=True,
    type=click.IntRange(1, 60),
    help="transit: minutes between departures.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    help="Origins per chunk, run in parallel through Dask (default: one chunk, or 2000 with --scheduler).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler (tcp://HOST:PORT) to run the chunks on; default: this machine.",
)
@data_options
@venues_option
@reports_errors
def matrix(
    origins: Path,
    destinations: str,
    out: Path,
    cutoff: float | None,
    mode: str,
    day: str,
    window: str,
    step_min: int,
    chunk_size: int | None,
    scheduler: str | None,
    venues_file: Path | None,
    **options: Any,
) -> None:
    """Travel times between many places: origin_id, destination_id, minutes, then km (car, walk) or
    p90_minutes and best_minutes (transit)."""
    from geoaccess._io import write_atomically
    from geoaccess.analysis.chunked import (
        Chunking,
        check_table_path,
        road_matrix_job,
        window_matrix_job,
        write_table,
    )
    from geoaccess.endpoints import check_endpoints_covered, read_endpoints, venue_endpoints
    from geoaccess.roads.journeys import network_provenance
    from geoaccess.transit.sources import service_date, transit_provenance
    from geoaccess.venues import load_venues

    check_table_path(out)
    if mode == "transit" and cutoff is not None:
        raise BadInput("--cutoff applies to car and walk; transit pairs over five hours are left empty")
    data = data_choice(options)
    starts = read_endpoints(origins, anywhere=data.own_data)
    ends = (
        venue_endpoints(load_venues(extra=venues_file))
        if destinations == "venues"
        else read_endpoints(Path(destinations), anywhere=data.own_data)
    )
    reaches, check = data.coverage(mode)
    for frame, name, end in ((starts, origins.name, "origin"), (ends, destinations, "destination")):
        check_endpoints_covered(frame, Path(name).name, reaches, check, end)
    chunk = chunk_size or (2000 if scheduler else len(starts))
    chunking = Chunking(chunk, scheduler=scheduler, progress=sys.stderr.isatty())
    about: dict[str, Any] = {"mode": mode, "origins": origins.name, "destinations": destinations}
    if mode == "transit":
        planner = data.planner()
        when = service_date(day, planner.timetable)
        table = window_matrix_job(
            starts, ends, day=when.isoformat(), window=window, step_min=step_min, data=data, chunking=chunking
        )
        about.update(
            window=window,
            step_minutes=step_min,
            statistic="median over the window's departures",
            provenance=transit_provenance(planner, when),
        )
        described = f"timetable {planner.timetable.provenance.get('timetable')} on {when}"
    else:
        router = data.router(mode)
        table = road_matrix_job(starts, ends, mode=mode, data=data, cutoff=cutoff, chunking=chunking)
        about.update(cutoff_minutes=cutoff, provenance=network_provenance(router.network))
        described = f"network: {router.network.describe()}"
    about.update(
        pairs=len(table),
        reachable=int(table["minutes"].notna().sum()),
        chunk_size=chunk,
        scheduler=scheduler or "this machine",
    )
    write_table(table, out)
    sidecar = out.with_name(f"{out.name}.provenance.json")
    write_atomically(sidecar, lambda path: path.write_text(json.dumps(about, indent=1), encoding="utf-8"))
    click.echo(
        f"wrote {about['pairs']} pairs ({about['reachable']} reachable) to {out}, provenance in "
        f"{sidecar.name}; {described}"
    )
