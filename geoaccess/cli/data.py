"""``geoaccess data build|fetch`` and ``geoaccess info``: the data pack, and the downloads (OpenStreetMap extracts,
bus and rail timetables)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoaccess.cli.options import emit_json, json_option, reports_errors
from geoaccess.errors import EXIT_DATA_PACK
from geoaccess.roads.fetch import GEOFABRIK_ENGLAND, REGIONS, Fetched, fetch_extract
from geoaccess.settings import cache_root
from geoaccess.transit.fetch import (
    BODS_GTFS,
    BODS_REGIONS,
    NETWORK_RAIL_CIF,
    PASSWORD_VARIABLE,
    USER_VARIABLE,
    fetch_bods,
    fetch_rail,
    rail_login,
)

if TYPE_CHECKING:
    from geoaccess.analysis.stop_coverage import StopCoverage
    from geoaccess.downloads import Fetched as Download
    from geoaccess.pack import Pack


@click.group()
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


@click.command()
@json_option
@click.option("--verify", is_flag=True, help="Check every file's SHA-256 against the manifest.")
@reports_errors
def info(as_json: bool, verify: bool) -> None:
    """The data pack's provenance (sources, licences, dates, file counts) and its timetable's stop coverage."""
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
    coverage = _coverage(pack)
    payload["coverage"] = coverage.to_dict()
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
        for line in coverage_lines(coverage):
            click.echo(line)
        if verify:
            click.echo(
                "verified: all files match the manifest"
                if not problems
                else "verification FAILED: " + "; ".join(problems)
            )
    if problems:
        sys.exit(EXIT_DATA_PACK)


def _coverage(pack: Pack) -> StopCoverage:
    """Stops the pack's timetable serves and the residents near them (see :mod:`~geoaccess.analysis.stop_coverage`)."""
    from geoaccess.analysis.stop_coverage import stop_coverage
    from geoaccess.transit.sources import load_timetable

    return stop_coverage(pack, load_timetable())


def coverage_lines(coverage: StopCoverage) -> list[str]:
    """The coverage as text: stops served, then the share of residents near a served stop by district."""
    radii = [column for column in coverage.table.columns if column.startswith("within_")]
    heads = "".join(f"{column.removeprefix('within_').replace('_', ' '):>10}" for column in radii)
    lines = [
        f"timetable coverage: {coverage.bus_stops_served:,} of {coverage.bus_stops_active:,} active bus stops "
        f"and {coverage.stations_served} stations served; share of residents within each distance of a served stop:",
        f"  {'district':<24}{'residents':>10}{heads}",
    ]
    for row in coverage.table.to_dict("records"):
        shares = "".join(f"{row[column]:>10.1%}" for column in radii)
        lines.append(f"  {row['district']:<24}{row['residents']:>10,}{shares}")
    return lines


@data.command("fetch")
@click.option(
    "--region",
    "regions",
    multiple=True,
    type=click.Choice(REGIONS),
    help="Geofabrik OpenStreetMap extract to download, kept only if it matches Geofabrik's MD5; repeat for "
    "several (default: all of them, unless --bods-region or --rail is given).",
)
@click.option(
    "--bods-region",
    "bods_regions",
    multiple=True,
    type=click.Choice(BODS_REGIONS),
    help="Bus Open Data Service region whose GTFS zip to download (north_west holds Cumbria and Lancashire); "
    "repeatable. BODS publishes no checksum: the zip must open within the GTFS_MAX_* limits, hold agency, stops, "
    "routes, trips, stop_times and a calendar, and unpack whole with every CRC-32 right; its SHA-256 is recorded.",
)
@click.option(
    "--rail",
    is_flag=True,
    help=f"Download Network Rail's full CIF timetable (SCHEDULE feed, every operator) and unpack it; needs a free "
    f"Network Rail Open Data account in {USER_VARIABLE} and {PASSWORD_VARIABLE} (environment only). Checked to "
    "unpack whole within CIF_MAX_FILE_BYTES, from a full extract's HD header to the ZZ trailer; its SHA-256 is "
    "recorded.",
)
@click.option(
    "--dest",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to download into (default: <cache>/osm, <cache>/bods and <cache>/rail).",
)
@click.option(
    "--base-url",
    default=GEOFABRIK_ENGLAND,
    show_default=True,
    help="Folder URL holding <region>-latest.osm.pbf and its .md5 (a mirror, say).",
)
@click.option(
    "--bods-url", default=BODS_GTFS, show_default=True, help="Folder URL holding <bods-region>/ (a mirror, say)."
)
@click.option("--rail-url", default=NETWORK_RAIL_CIF, show_default=True, help="URL of the gzipped full CIF.")
@click.option(
    "--force",
    is_flag=True,
    help="Download the BODS and rail files again even when the copy in place is unchanged. Without it a copy whose "
    "bytes match its <file>.json record is kept unless the server says the file changed (another ETag or "
    "Last-Modified); a server that gives neither is not asked again.",
)
@json_option
@reports_errors
def fetch(  # noqa: PLR0913 (one parameter per option)
    regions: tuple[str, ...],
    bods_regions: tuple[str, ...],
    rail: bool,
    dest: Path | None,
    base_url: str,
    bods_url: str,
    rail_url: str,
    force: bool,
    as_json: bool,
) -> None:
    """Download OpenStreetMap extracts, BODS bus timetables and the rail timetable (resumable, checked).

    Each file is downloaded into <file>.part (run again to resume a broken download), checked, and only then
    put in place; a file larger than its limit in geoaccess.defaults is refused.
    """

    def folder(kind: str) -> Path:
        return dest or cache_root() / kind

    if rail:
        rail_login()  # missing credentials are said before anything is downloaded
    entries = [
        _osm_entry(fetch_extract(region, folder("osm"), base_url=base_url))
        for region in regions or (() if bods_regions or rail else REGIONS)
    ]
    for region in bods_regions:
        entries.append(_entry("bods", region, fetch_bods(region, folder("bods"), base_url=bods_url, force=force)))
    if rail:
        entries.append(_entry("rail", "great_britain", fetch_rail(folder("rail"), url=rail_url, force=force)))
    if as_json:
        emit_json(entries)
        return
    for entry in entries:
        checksum = f"MD5 {entry['md5']}" if "md5" in entry else f"SHA-256 {entry['sha256']}"
        status = "downloaded" if entry["downloaded"] else "already up to date"
        click.echo(
            f"{entry['source']} {entry['region']}: {entry['path']} "
            f"({_size(entry['bytes'])}, {checksum}, {entry['date']}, {status})"
        )
    kinds = {entry["source"] for entry in entries}
    if "osm" in kinds:
        click.echo("next: geoaccess network build --osm FILE")
    if kinds & {"bods", "rail"}:
        click.echo("next: geoaccess timetable build --gtfs FILE.zip --cif FILE.CIF --date YYYY-MM-DD")


def _osm_entry(fetched: Fetched) -> dict[str, Any]:
    """An OpenStreetMap extract as ``fetch`` reports it (its date: when the file was written)."""
    written = datetime.fromtimestamp(fetched.path.stat().st_mtime, UTC)
    return {
        "source": "osm",
        "region": fetched.region,
        "path": str(fetched.path),
        "bytes": fetched.path.stat().st_size,
        "md5": fetched.md5,
        "date": written.isoformat(timespec="seconds"),
        "downloaded": fetched.downloaded,
    }


def _entry(source: str, region: str, fetched: Download) -> dict[str, Any]:
    """A BODS or rail file as ``fetch`` reports it (its date: when the download finished)."""
    record = fetched.record
    return {
        "source": source,
        "region": region,
        "path": str(record.path),
        "bytes": record.bytes,
        "sha256": record.sha256,
        "date": record.downloaded_at,
        "downloaded": fetched.downloaded,
        "url": record.url,
        "etag": record.etag,
        "last_modified": record.last_modified,
    }


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"
