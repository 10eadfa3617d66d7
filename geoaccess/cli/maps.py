"""``geoaccess map venues|isochrones|burden|scenario|journey --out FILE.html|png|pdf``."""

from __future__ import annotations

from pathlib import Path

import click

from geoaccess.cli.analysis import (
    caseload_option,
    common_options,
    context,
    load_people,
    synthetic_option,
)
from geoaccess.cli.options import reports_errors, venues_option
from geoaccess.errors import BadInput

SUFFIXES = (".html", ".png", ".pdf")
CUMBRIA = ("Cumberland", "Westmorland and Furness")
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


def export(doc, out: Path) -> None:
    """Write ``doc`` as standalone HTML, PNG or PDF (by suffix); nothing partial is left on failure."""
    if out.suffix.lower() not in SUFFIXES:
        raise BadInput(f"cannot write {out}: use a .html, .png or .pdf file name")
    if not out.parent.is_dir():
        raise BadInput(f"cannot write {out}: folder {out.parent} does not exist")
    if out.suffix.lower() == ".html":
        from geoaccess.maps.interactive import save_html

        save_html(doc, out)
    else:
        from geoaccess.maps.static import render_static

        render_static(doc, out)
    click.echo(f"wrote {out}")


def describe(provenance: dict) -> str:
    """A provenance dict as one line of text for a map footer."""
    parts = []
    for key in ("car_network", "walk_network"):
        network = provenance.get(key)
        if network:
            error = (network.get("calibration") or {}).get("median_abs_pct_error")
            parts.append(
                f"{key.replace('_', ' ')}: {network.get('network')} ({network.get('date')})"
                + (
                    f", modelled, median error {error}%"
                    if error is not None
                    else (", modelled" if network.get("modelled") else "")
                )
            )
    table = provenance.get("timetable")
    if table:
        parts.append(
            f"timetable: {table.get('timetable')} ({table.get('source')}, {table.get('valid_from')} to "
            f"{table.get('valid_to')})" + (", modelled" if table.get("modelled") else "")
        )
    if provenance.get("caseload"):
        parts.append(provenance["caseload"])
    return "; ".join(parts)


@click.group("map")
def map_group() -> None:
    """Export maps as standalone HTML, PNG or PDF."""


@map_group.command("venues")
@out_option
@venues_option
@reports_errors
def venues_command(out: Path, venues_file: Path | None) -> None:
    """Every venue, by kind."""
    from geoaccess.maps.builders import venues_map
    from geoaccess.pack import load_pack
    from geoaccess.venues import load_venues

    export(venues_map(load_pack(), load_venues(extra=venues_file)), out)


@map_group.command("isochrones")
@click.option("--venue", "venue_id", required=True, help="Venue id.")
@click.option("--mode", type=click.Choice(["car", "transit"]), default="transit", show_default=True)
@out_option
@common_options
@venues_option
@reports_errors
def isochrones(venue_id, mode, out, weekday, window, suppress, gtfs, cif, network_path, venues_file) -> None:
    """Travel-time bands (30/60/90/120 min) to a venue from every Cumbrian LSOA."""

    from geoaccess.pack import load_pack
    from geoaccess.venues import find_venue, load_venues

    venue = find_venue(load_venues(extra=venues_file), venue_id)
    settings, car, planner = context(weekday, window, suppress, gtfs, cif, network_path)
    export(isochrone_document(load_pack(), venue, mode, settings, car, planner), out)


def isochrone_document(pack, venue, mode: str, settings, car, planner):
    """Travel-time bands to ``venue`` from every Cumbrian LSOA by car or public transport (a MapDocument)."""
    import numpy as np

    from geoaccess.cli.analysis import provenance
    from geoaccess.maps.builders import travel_time_map
    from geoaccess.transit.planner import parse_clock
    from geoaccess.transit.profiles import window_matrix

    lsoas = pack.lsoas[pack.lsoas["council"].isin(CUMBRIA)]
    points = lsoas[["point_lon", "point_lat"]].to_numpy(dtype=float)
    target = np.asarray([[venue.lon, venue.lat]])
    if mode == "car":
        minutes = car.many_to_many(points, target).seconds[:, 0] / 60.0
        label, modelled = "car", bool(car.network.provenance.get("modelled"))
    else:
        when = planner.timetable.date_for(settings.weekday)
        minutes = window_matrix(
            planner,
            points,
            target,
            when,
            parse_clock(settings.window[0]),
            parse_clock(settings.window[1]),
            step_s=settings.step_min * 60,
        ).median[:, 0]
        label = f"public transport ({settings.weekday} {settings.window[0]}-{settings.window[1]}, median)"
        modelled = bool(planner.timetable.provenance.get("modelled"))
    if not np.isfinite(minutes).any():
        raise BadInput(f"no LSOA can reach {venue.id} by {mode}: the map would be empty")
    info = provenance(None, car, planner)
    return travel_time_map(
        pack,
        venue.name,
        (venue.lon, venue.lat),
        minutes,
        label,
        describe(info),
        modelled=modelled or info["modelled"],
        councils=CUMBRIA,
    )


@map_group.command("burden")
@caseload_option
@synthetic_option
@click.option("--programme", default="BBR", show_default=True)
@hex_option
@out_option
@common_options
@reports_errors
def burden(
    caseload_file, synthetic, programme, hex_km, out, weekday, window, suppress, gtfs, cif, network_path
) -> None:
    """Share of a caseload over two hours each way or with no way home, by LSOA (small counts suppressed)."""
    from geoaccess.analysis.measures import person_measures
    from geoaccess.analysis.scenarios import current_scenario
    from geoaccess.cli.analysis import provenance
    from geoaccess.maps.builders import burden_map
    from geoaccess.pack import load_pack
    from geoaccess.venues import load_venues

    caseload = load_people(caseload_file, synthetic)
    settings, car, planner = context(weekday, window, suppress, gtfs, cif, network_path)
    scenario = current_scenario(programme, load_venues())
    people = caseload.people[caseload.people["requirement"] == scenario.programme]
    if people.empty:
        raise BadInput(f"no one in the caseload needs {scenario.programme}: the map would be empty")
    measures = person_measures(people, scenario, car, planner, settings)
    info = provenance(caseload, car, planner)
    export(
        burden_map(
            load_pack(),
            measures,
            people,
            scenario.programme,
            describe(info),
            modelled=info["modelled"],
            synthetic=caseload.synthetic,
            suppress_below=suppress,
            hex_km=hex_km or None,
        ),
        out,
    )


@map_group.command("scenario")
@click.argument("scenarios", nargs=2)
@caseload_option
@synthetic_option
@hex_option
@out_option
@common_options
@reports_errors
def scenario_command(
    scenarios, caseload_file, synthetic, hex_km, out, weekday, window, suppress, gtfs, cif, network_path
) -> None:
    """Change in public transport time to the nearest venue between two scenarios, by LSOA."""
    from geoaccess.analysis.measures import person_measures
    from geoaccess.analysis.scenarios import current_scenario, read_scenario
    from geoaccess.cli.analysis import provenance
    from geoaccess.maps.builders import scenario_map
    from geoaccess.pack import load_pack
    from geoaccess.venues import load_venues

    venues = load_venues()
    chosen = [
        current_scenario(text.split(":", 1)[1], venues)
        if text.lower().startswith("today:")
        else read_scenario(Path(text), venues)
        for text in scenarios
    ]
    if chosen[0].programme != chosen[1].programme:
        raise BadInput("the two scenarios must be for the same programme")
    caseload = load_people(caseload_file, synthetic)
    settings, car, planner = context(weekday, window, suppress, gtfs, cif, network_path)
    people = caseload.people[caseload.people["requirement"] == chosen[0].programme]
    if people.empty:
        raise BadInput(f"no one in the caseload needs {chosen[0].programme}: the map would be empty")
    before, after = (person_measures(people, s, car, planner, settings) for s in chosen)
    info = provenance(caseload, car, planner)
    export(
        scenario_map(
            load_pack(),
            before,
            after,
            people,
            (chosen[0].name, chosen[1].name),
            describe(info),
            modelled=info["modelled"],
            synthetic=caseload.synthetic,
            suppress_below=suppress,
            hex_km=hex_km or None,
        ),
        out,
    )


@map_group.command("journey")
@click.option("--from", "origin", required=True, help="Home: postcode or 'lat,lon'.")
@click.option("--to", "destination", required=True, help="Venue id, postcode or 'lat,lon'.")
@click.option("--day", required=True, help="Weekday (mon..sun) or date YYYY-MM-DD.")
@click.option("--depart-at", help="Leave at HH:MM.")
@click.option("--arrive-by", help="Arrive by HH:MM.")
@click.option("--gtfs", multiple=True, type=click.Path(path_type=Path))
@click.option("--cif", multiple=True, type=click.Path(path_type=Path))
@click.option("--network", "network_path", type=click.Path(path_type=Path))
@out_option
@venues_option
@reports_errors
def journey_command(origin, destination, day, depart_at, arrive_by, gtfs, cif, network_path, out, venues_file) -> None:
    """One public transport journey; the home is shown only at its postcode sector."""
    from geoaccess.pack import load_pack
    from geoaccess.places import resolve_place
    from geoaccess.transit.sources import planner_for, service_date
    from geoaccess.venues import load_venues

    if (depart_at is None) == (arrive_by is None):
        raise BadInput("give exactly one of --depart-at or --arrive-by")
    registry = load_venues(extra=venues_file)
    home, place = resolve_place(origin, registry), resolve_place(destination, registry)
    planner = planner_for(gtfs, cif, network_path)
    export(
        journey_document(load_pack(), planner, home, place, service_date(day, planner.timetable), depart_at, arrive_by),
        out,
    )


def journey_document(pack, planner, home, place, when, depart_at: str | None, arrive_by: str | None):
    """One public transport journey as a MapDocument, the home at its postcode sector; NoRoute if none."""
    from geoaccess.errors import NoRoute
    from geoaccess.maps.builders import journey_map
    from geoaccess.transit.planner import parse_clock
    from geoaccess.transit.sources import transit_provenance

    ends = ((home.lon, home.lat), (place.lon, place.lat))
    trip = (
        planner.depart_at(*ends, when, parse_clock(depart_at), ("home", place.label))
        if depart_at
        else planner.arrive_by(*ends, when, parse_clock(arrive_by), ("home", place.label))
    )
    if trip is None:
        raise NoRoute(f"no public transport journey on {when}: nothing to map")
    info = transit_provenance(planner, when)
    return journey_map(
        pack,
        list(trip.legs),
        home_sector(pack, home.lon, home.lat),
        f"Journey to {place.label}, {when:%A %d %B %Y}",
        describe(info),
        modelled=info["modelled"],
    )


def home_sector(pack, lon: float, lat: float) -> str:
    """The postcode sector of the postcode nearest a home (``"CA1 1"``)."""
    import numpy as np

    postcodes = pack.postcodes
    nearest = int(np.argmin((postcodes["lon"] - lon) ** 2 + (postcodes["lat"] - lat) ** 2))
    return str(postcodes["postcode"].iloc[nearest])[:-2]
