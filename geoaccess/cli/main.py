"""The ``geoaccess`` command line.

Exit codes: 0 ok; 2 bad input (a one-line message on stderr); 3 no route found;
4 the data pack is missing or damaged. Every query command takes ``--json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from geoaccess import __version__
from geoaccess._io import write_atomically
from geoaccess.cli.analysis import access, scenario, site
from geoaccess.cli.caseload import caseload
from geoaccess.cli.maps import map_group
from geoaccess.cli.network import fetch, network
from geoaccess.cli.options import (
    EXIT_DATA_PACK,
    emit_json,
    json_option,
    reports_errors,
    venues_option,
)
from geoaccess.cli.transit import roundtrip
from geoaccess.cli.users import users
from geoaccess.errors import BadInput


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoaccess")
def main() -> None:
    """geoaccess: can a person on probation reach their office, programme or unpaid-work site?"""


@main.group()
def data() -> None:
    """Build and inspect data packs."""


@data.command("build")
@click.option(
    "--source",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder holding the raw open data (data/) and cited facts (facts/).",
)
@click.option("--pack", "pack_name", default="cumbria", show_default=True, help="Name of the pack.")
@click.option(
    "--out",
    "data_root",
    type=click.Path(path_type=Path),
    help="Data folder to build into (default: the project's data/).",
)
@reports_errors
def data_build(source: Path, pack_name: str, data_root: Path | None) -> None:
    """Build a data pack from raw open data; the old pack is replaced only on success."""
    from geoaccess.build import build_pack
    from geoaccess.settings import data_root as default_root

    root = data_root or default_root()
    manifest = build_pack(source, root / pack_name, pack_name)
    total = sum(entry["bytes"] for entry in manifest["files"])
    click.echo(f"built {root / pack_name}: {len(manifest['files'])} files, {total / 1e6:.1f} MB")


@main.command()
@json_option
@click.option("--verify", is_flag=True, help="Check every file's SHA-256 against the manifest.")
@reports_errors
def info(as_json: bool, verify: bool) -> None:
    """The data pack's provenance: sources, licences, dates and file counts."""
    from geoaccess.pack import load_pack

    pack = load_pack()
    manifest = pack.manifest
    problems = pack.verify() if verify else None
    payload = {
        "pack": manifest["pack"],
        "path": str(pack.path),
        "area": manifest["area"],
        "total_bytes": sum(entry["bytes"] for entry in manifest["files"]),
        "sources": [
            {key: source[key] for key in ("title", "date", "licence", "attribution", "path")}
            for source in manifest["sources"].values()
        ],
        "files": [
            {key: entry[key] for key in ("file", "rows", "bytes", "sha256", "description", "sources")}
            for entry in manifest["files"]
        ],
    }
    if verify:
        payload["verified"] = not problems
        payload["problems"] = problems
    if as_json:
        emit_json(payload)
    else:
        click.echo(f"pack {payload['pack']} at {payload['path']} ({payload['total_bytes'] / 1e6:.1f} MB)")
        click.echo(f"area: {payload['area']}")
        click.echo("files:")
        for entry in payload["files"]:
            click.echo(f"  {entry['file']:<30} {entry['rows']:>8,} rows  {entry['description']}")
        click.echo("sources:")
        for source in payload["sources"]:
            click.echo(f"  {source['title']} ({source['date']}; {source['licence']})")
        if verify:
            click.echo(
                "verified: all files match the manifest"
                if not problems
                else "verification FAILED: " + "; ".join(problems)
            )
    if problems:
        sys.exit(EXIT_DATA_PACK)


@main.command()
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


@main.group()
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


network_option = click.option(
    "--network",
    "network_path",
    type=click.Path(path_type=Path),
    help="A road network built by `geoaccess network build` (default: the pack's offline proxy).",
)


def transit_options(command):
    """``--gtfs``, ``--cif``, ``--walk-limit`` and ``--max-transfers`` for public transport commands."""
    options = [
        click.option(
            "--gtfs",
            multiple=True,
            type=click.Path(path_type=Path),
            help="GTFS feed (.zip or folder) to use instead of the modelled timetable; repeatable.",
        ),
        click.option(
            "--cif",
            multiple=True,
            type=click.Path(path_type=Path),
            help="ATOC CIF rail timetable file to use (with any --gtfs); repeatable.",
        ),
        click.option(
            "--walk-limit",
            default=2000.0,
            show_default=True,
            type=float,
            help="Longest walk (metres) to the first stop or from the last.",
        ),
        click.option("--max-transfers", default=4, show_default=True, type=int),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.option("--from", "origin", required=True, help="Postcode or 'lat,lon'.")
@click.option("--to", "destination", required=True, help="Venue id, postcode or 'lat,lon'.")
@click.option("--mode", type=click.Choice(["car", "walk", "transit"]), default="car", show_default=True)
@click.option("--day", help="transit: weekday (mon..sun) or date YYYY-MM-DD.")
@click.option("--depart-at", help="transit: leave at HH:MM.")
@click.option("--arrive-by", help="transit: arrive by HH:MM (leaving as late as possible).")
@network_option
@transit_options
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
    network_path: Path | None,
    gtfs: tuple[Path, ...],
    cif: tuple[Path, ...],
    walk_limit: float,
    max_transfers: int,
    venues_file: Path | None,
    as_json: bool,
) -> None:
    """Door-to-door time and route between two places by car, on foot or by public transport."""
    from geoaccess.places import resolve_place
    from geoaccess.venues import load_venues

    registry = load_venues(extra=venues_file)
    start, end = resolve_place(origin, registry), resolve_place(destination, registry)
    if mode == "transit":
        from geoaccess.cli.transit import transit_journey

        result = transit_journey(
            start, end, day, depart_at, arrive_by, gtfs, cif, network_path, walk_limit, max_transfers
        )
    else:
        from geoaccess.roads.journeys import road_journey
        from geoaccess.roads.sources import router_for

        result = road_journey(start, end, router_for(mode, network_path))
    if as_json:
        emit_json(result)
        return
    from geoaccess.cli.text import journey_text

    click.echo(journey_text(result))


@main.command()
@click.option(
    "--origins", required=True, type=click.Path(path_type=Path), help="CSV with id and postcode, or id, lon and lat."
)
@click.option("--destinations", required=True, help="CSV like --origins, or 'venues' for every venue in the registry.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="File to write: .csv or .parquet.")
@click.option("--cutoff", type=float, help="car/walk: leave pairs longer than this many minutes empty.")
@click.option("--mode", type=click.Choice(["car", "walk", "transit"]), default="car", show_default=True)
@click.option("--day", default="wed", show_default=True, help="transit: weekday (mon..sun) or date YYYY-MM-DD.")
@click.option("--window", default="07:00-10:00", show_default=True, help="transit: departure window HH:MM-HH:MM.")
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
@network_option
@transit_options
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
    network_path: Path | None,
    gtfs: tuple[Path, ...],
    cif: tuple[Path, ...],
    walk_limit: float,
    max_transfers: int,
    venues_file: Path | None,
) -> None:
    """Travel times between many places: origin_id, destination_id, minutes, then km (car, walk) or
    p90_minutes and best_minutes (transit)."""
    from geoaccess.analysis.chunked import check_table_path, road_matrix_job, window_matrix_job, write_table
    from geoaccess.endpoints import read_endpoints, venue_endpoints
    from geoaccess.venues import load_venues

    check_table_path(out)
    if mode == "transit" and cutoff is not None:
        raise BadInput("--cutoff applies to car and walk; transit pairs over five hours are left empty")
    starts = read_endpoints(origins)
    ends = (
        venue_endpoints(load_venues(extra=venues_file))
        if destinations == "venues"
        else read_endpoints(Path(destinations))
    )
    chunk = chunk_size or (2000 if scheduler else len(starts))
    run = {"chunk_size": chunk, "scheduler": scheduler, "progress": sys.stderr.isatty()}
    about = {"mode": mode, "origins": origins.name, "destinations": destinations}
    if mode == "transit":
        from geoaccess.transit.sources import planner_for, service_date, transit_provenance

        planner = planner_for(gtfs, cif, network_path, walk_limit, max_transfers)
        when = service_date(day, planner.timetable)
        table = window_matrix_job(
            starts,
            ends,
            day=when.isoformat(),
            window=window,
            step_min=step_min,
            gtfs=gtfs,
            cif=cif,
            network_path=network_path,
            walk_limit_m=walk_limit,
            max_transfers=max_transfers,
            **run,
        )
        about.update(
            window=window,
            step_minutes=step_min,
            statistic="median over the window's departures",
            provenance=transit_provenance(planner, when),
        )
        described = f"timetable {planner.timetable.provenance.get('timetable')} on {when}"
    else:
        from geoaccess.roads.journeys import network_provenance
        from geoaccess.roads.sources import router_for

        router = router_for(mode, network_path)
        table = road_matrix_job(starts, ends, mode=mode, network_path=network_path, cutoff=cutoff, **run)
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@reports_errors
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app with the waitress production WSGI server."""
    from waitress import serve as waitress_serve

    from geoaccess.web import create_app

    app = create_app()
    click.echo(f"geoaccess serving on http://{host}:{port} (Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="geoaccess")


main.add_command(network)
main.add_command(roundtrip)
main.add_command(caseload)
main.add_command(access)
main.add_command(scenario)
main.add_command(site)
main.add_command(map_group)
main.add_command(users)
data.add_command(fetch)

if __name__ == "__main__":
    main()
