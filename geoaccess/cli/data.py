"""``geoaccess data build|fetch`` and ``geoaccess info``: the data pack and the OpenStreetMap extracts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from geoaccess.cli.options import emit_json, json_option, reports_errors
from geoaccess.errors import EXIT_DATA_PACK
from geoaccess.roads.fetch import GEOFABRIK_ENGLAND, REGIONS, fetch_extract
from geoaccess.settings import cache_root

if TYPE_CHECKING:
    from geoaccess.analysis.stop_coverage import StopCoverage
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
    help="Extract to download; repeat for several (default: all).",
)
@click.option(
    "--dest", type=click.Path(path_type=Path, file_okay=False), help="Folder to download into (default: <cache>/osm)."
)
@click.option(
    "--base-url",
    default=GEOFABRIK_ENGLAND,
    show_default=True,
    help="Folder URL holding <region>-latest.osm.pbf and its .md5 (a mirror, say).",
)
@json_option
@reports_errors
def fetch(regions: tuple[str, ...], dest: Path | None, base_url: str, as_json: bool) -> None:
    """Download Geofabrik's OpenStreetMap extracts (resumable, checksum-checked)."""
    dest = dest or cache_root() / "osm"
    results = [fetch_extract(region, dest, base_url=base_url) for region in regions or REGIONS]
    if as_json:
        emit_json(
            [
                {
                    "region": r.region,
                    "path": str(r.path),
                    "bytes": r.path.stat().st_size,
                    "md5": r.md5,
                    "downloaded": r.downloaded,
                }
                for r in results
            ]
        )
        return
    for r in results:
        status = "downloaded" if r.downloaded else "already up to date"
        click.echo(f"{r.region}: {r.path} ({r.path.stat().st_size / 1e6:.1f} MB, {status})")
    click.echo("next: geoaccess network build --osm FILE")
