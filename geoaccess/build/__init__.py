"""Build a data pack from the raw open data (``geoaccess data build``).

The pack is everything geoaccess reads at run time; the raw sources are read
only here.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoaccess._io import replace_folder, write_atomically
from geoaccess.analysis.stop_coverage import StopCoverage, stop_coverage
from geoaccess.build import geography, roads, transport
from geoaccess.build.catalogue import SOURCES
from geoaccess.build.registry import venue_records
from geoaccess.build.sources_md import sources_markdown
from geoaccess.build.writer import PackWriter
from geoaccess.errors import DataPackError
from geoaccess.pack import MANIFEST_NAME, Pack
from geoaccess.roads.network import RoadNetwork
from geoaccess.transit.timetable import Timetable

TIMETABLE_VALID = (date(2026, 1, 1), date(2027, 12, 31))
"""Nominal validity of the modelled timetable: a typical week, not a dated timetable."""
AREA = (
    "Cumbria and north Lancashire: the nine councils of Cumberland, Westmorland and Furness, "
    "Lancaster, Preston, Blackpool, Wyre, Fylde, Ribble Valley and South Ribble"
)


def build_pack(source: Path, target: Path, pack_name: str = "cumbria") -> dict[str, Any]:
    """Build the pack from ``source`` (the folder holding ``data/`` and ``facts/``) into ``target``.

    Returns the manifest. All or nothing: a failure leaves any existing pack untouched.
    """
    source = Path(source)
    if not (source / "data").is_dir() or not (source / "facts").is_dir():
        raise DataPackError(f"{source} is not a source folder: it needs data/ and facts/ inside")
    for item in SOURCES.values():
        item.locate(source)
    manifest: dict[str, Any] = {}

    def fill(staging: Path) -> None:
        writer = PackWriter(staging, pack_name, AREA)
        excluded, assumptions, coverage = _write_tables(writer, source)
        manifest.update(writer.finish(sources_markdown(writer.manifest(), excluded, assumptions, coverage)))

    replace_folder(Path(target), fill)
    write_data_sources(Path(target).parent)
    return manifest


def write_data_sources(root: Path) -> None:
    """``SOURCES.md`` of the data folder: every pack's sources and attributions, in one file."""
    packs = sorted(p for p in root.glob("*/SOURCES.md"))
    text = "# Data sources\n\nOne section per data pack in this folder, as its build wrote it.\n\n"
    text += "\n".join(
        p.read_text(encoding="utf-8").replace("# Sources of", "## Sources of", 1).replace("\n## ", "\n### ")
        for p in packs
    )
    write_atomically(root / "SOURCES.md", lambda path: path.write_text(text, encoding="utf-8"))


def _write_tables(writer: PackWriter, source: Path) -> tuple[list[str], list[str], StopCoverage]:
    """Write every table into the staging folder; returns venues excluded (with reasons), the modelled
    timetable's assumptions and the stops it serves."""
    lsoas = geography.read_lsoas(source)
    writer.write_table(
        "districts.parquet",
        geography.districts(lsoas),
        sources=["lsoa21", "lad_names"],
        description="Reporting districts (the six pre-2023 Cumbrian districts and seven "
        "Lancashire districts), dissolved from the simplified 2021 LSOAs",
    )
    writer.write_table(
        "lsoa21.parquet",
        geography.lsoas_with_population(source, lsoas),
        sources=["lsoa21", "population"],
        description="2021 LSOAs, simplified (shared borders kept), with Census 2021 usual residents by age band",
    )
    land = geography.land_mask(geography.read_lsoas(source, simplify=False))
    writer.write_table(
        "land.parquet", land, sources=["lsoa21"], description="Land mask: union of the coast-clipped 2021 LSOAs"
    )
    postcodes = geography.postcodes(source, lsoas)
    writer.write_table(
        "postcodes.parquet",
        postcodes,
        sources=["codepoint"],
        description="Live postcodes in the area: Code-Point Open position, 2021 LSOA, council and reporting district",
    )
    writer.write_table(
        "postcodes_terminated.parquet",
        geography.postcodes_terminated(source, set(postcodes["postcode"])),
        sources=["ons_postcodes"],
        description="Terminated postcodes with their dates (ONS lookup, May 2022)",
    )
    writer.write_table(
        "postcodes_outside.parquet",
        geography.postcodes_outside(source),
        sources=["codepoint", "lad_names"],
        description="Live postcodes in the study box but outside the area, with council",
    )
    writer.write_table(
        "postcode_sectors.parquet",
        geography.sectors(source),
        sources=["sectors"],
        description="Postcode sector centroids",
    )
    stations = transport.stations(source)
    writer.write_table(
        "rail_stations.parquet",
        stations,
        sources=["stations", "msn", "naptan_rail"],
        description="National Rail stations with CRS, TIPLOC and NaPTAN codes",
    )
    writer.write_table(
        "rail_lines.parquet",
        transport.rail_lines(source),
        sources=["rail_lines"],
        description="Simplified rail line geometry",
    )
    stops = transport.stops(source)
    writer.write_table("stops.parquet", stops, sources=["naptan"], description="Active NaPTAN stops")
    drive = _write_roads(writer, source, stops, postcodes, land)
    timetable, assumptions = _write_timetable(writer, source, stations, stops, drive)
    excluded = _write_venues(writer, source, postcodes, stations)
    return excluded, assumptions, stop_coverage(Pack(writer.staging), timetable)


def _write_roads(
    writer: PackWriter, source: Path, stops: pd.DataFrame, postcodes: pd.DataFrame, land: gpd.GeoDataFrame
) -> RoadNetwork:
    """The car-time reference and the offline proxy drive and walk networks; returns the drive network."""
    reference = roads.car_reference(source)
    writer.write_table(
        "car_reference.parquet",
        reference,
        sources=["car_reference", "hospitals", "lsoa11"],
        description="External car minutes from 2011 LSOA centroids to hospitals, used to "
        "calibrate and measure road networks",
    )
    dates = {"naptan": SOURCES["naptan"].date, "codepoint": SOURCES["codepoint"].date}
    networks = roads.proxy_networks(stops, postcodes, land, reference, dates)
    for mode, network in networks.items():
        writer.write_network(
            f"roads/proxy-{mode}",
            network,
            sources=["naptan", "codepoint", "lsoa21"],
            description=f"Offline proxy {mode} network (modelled)",
        )
    return networks["drive"]


def _write_timetable(
    writer: PackWriter, source: Path, stations: pd.DataFrame, stops: pd.DataFrame, drive: RoadNetwork
) -> tuple[Timetable, list[str]]:
    """The modelled default timetable (buses along ``drive``); returns it and its assumptions, for SOURCES.md."""
    from geoaccess.build.timetable_model import modelled_timetable

    timetable, assumptions = modelled_timetable(
        source / "facts",
        SOURCES["run_times"].locate(source),
        stations,
        stops,
        drive,
        valid_from=TIMETABLE_VALID[0],
        valid_to=TIMETABLE_VALID[1],
    )
    writer.write_timetable(
        "timetable",
        timetable,
        sources=["rail_patterns", "bus_patterns", "evening_services", "run_times", "naptan", "stations"],
        description="Modelled default timetable (frequency-based, from cited service patterns)",
    )
    return timetable, assumptions


def _write_venues(writer: PackWriter, source: Path, postcodes: pd.DataFrame, stations: pd.DataFrame) -> list[str]:
    """Write the venue registry, validated by the same code that reads users' venue files."""
    from geoaccess.venues import read_venue_file, venues_geojson

    features, excluded = venue_records(source, postcodes, stations, transport.all_stop_positions(source))
    (writer.staging / MANIFEST_NAME).write_text(json.dumps(writer.manifest()), encoding="utf-8")
    draft = writer.staging / "venues-draft.geojson"
    draft.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    venues = read_venue_file(draft, Pack(writer.staging))
    draft.unlink()
    writer.write_json(
        "venues.geojson",
        venues_geojson(venues),
        rows=len(venues),
        columns=list(venues_geojson(venues[:1])["features"][0]["properties"]),
        sources=["venue_facts", "codepoint", "stations", "naptan"],
        description="Venue registry (GeoJSON): kind, address, position and how it was "
        "found, programmes with sessions, opening days, source, confidence",
    )
    return excluded
