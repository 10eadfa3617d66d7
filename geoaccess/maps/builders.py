"""Map builders: venues, travel-time bands, caseload burden, scenario differences, one journey.

Each returns a :class:`~geoaccess.maps.document.MapDocument` on a light basemap
drawn from the pack (districts, rail lines and stations), so no tiles are needed.
Privacy: burden and scenario maps aggregate people to LSOAs and show counts
below ``suppress_below`` as suppressed; a journey map shows the home only at its
postcode sector's centroid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoaccess.attribution import NAPTAN_ATTRIBUTION, ONS_ATTRIBUTION, OS_ATTRIBUTION, OSM_ATTRIBUTION
from geoaccess.defaults import SUPPRESS_BELOW, THRESHOLDS_MIN
from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.maps.document import (
    BASEMAP_FILL,
    DIVERGING,
    OKABE_ITO,
    SEQUENTIAL,
    Layer,
    LegendEntry,
    MapDocument,
)
from geoaccess.pack import Pack
from geoaccess.venues import KINDS, Programme, Venue

if TYPE_CHECKING:
    from geoaccess.transit.planner import Leg

BANDS = tuple(zip((0, *THRESHOLDS_MIN[:-1]), THRESHOLDS_MIN, strict=True))
"""Travel-time bands (minutes) of the isochrone maps, from the measures' thresholds."""
NO_WAY = "#bdbdbd"
SUPPRESSED = "#f0f0f0"


@dataclass(frozen=True)
class KindStyle:
    """How venues of one kind are drawn: an Okabe-Ito colour and a Font Awesome 6 solid icon.

    The icon tells kinds apart without colour vision; the colour, for those who see it.
    """

    colour: str
    icon: str


KIND_STYLES: dict[str, KindStyle] = {
    "probation_office": KindStyle("#0072B2", "building"),
    "crc_centre": KindStyle("#56B4E9", "handshake"),
    "hub": KindStyle("#009E73", "circle-nodes"),
    "programme_venue": KindStyle("#E69F00", "users"),
    "unpaid_work_site": KindStyle("#D55E00", "hammer"),
    "court": KindStyle("#000000", "gavel"),
    "approved_premises": KindStyle("#CC79A7", "house"),
    "prison": KindStyle("#6E6E6E", "lock"),
    "womens_centre": KindStyle("#F0E442", "venus"),
}
"""One style per kind in :data:`geoaccess.venues.KINDS`."""
APPROXIMATE = LegendEntry("approximate position", "#FFFFFF", "circle", icon="location-dot", dashed=True)
"""The legend's key to a venue placed at an approximate position (drawn with a dashed outline)."""
SESSION_BASIS = {
    "sourced": "sessions sourced",
    "assumed": "sessions assumed",
    "user": "sessions from a user's venue file",
}
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
MAIN_TOWNS = ("CAR", "PNR", "KEN", "BIF", "WKG", "WTH", "LAN", "PRE", "OXN", "MLM", "MCE", "ULV")


def basemap(pack: Pack) -> list[Layer]:
    """Districts, rail lines and the main towns' stations, drawn light."""
    districts = pack.districts[["district", "geometry"]]
    stations = pack.stations[pack.stations["crs"].isin(MAIN_TOWNS)][["name", "geometry"]]
    return [
        Layer("Districts", districts, "polygons", colour=BASEMAP_FILL, fill_opacity=1.0, line_width=0.6, basemap=True),
        Layer("Railways", pack.rail_lines[["geometry"]], "lines", colour="#8c8c8c", line_width=1.0, basemap=True),
        Layer("Towns", stations, "points", colour="#5a5a5a", radius=2.5, label="name", basemap=True),
    ]


def attribution(*, transit: bool = False) -> list[str]:
    """The notices every map carries (OSM for the rail lines; NaPTAN where stops or timetables are used)."""
    notices = [OS_ATTRIBUTION, ONS_ATTRIBUTION, OSM_ATTRIBUTION]
    return notices + [NAPTAN_ATTRIBUTION] if transit else notices


def venues_map(pack: Pack, venues: Sequence[Venue]) -> MapDocument:
    """Every venue as a pin of its kind's colour and glyph (dashed where the position is approximate),
    with its programmes, sessions and opening days in the popup; the layer control switches kinds."""
    order = list(KINDS)
    venues = sorted(venues, key=lambda v: order.index(v.kind))  # legend, layer control and pins in one order
    frame = gpd.GeoDataFrame(
        {
            "name": [v.name for v in venues],
            "kind": [KINDS[v.kind] for v in venues],
            "colour": [KIND_STYLES[v.kind].colour for v in venues],
            "icon": [KIND_STYLES[v.kind].icon for v in venues],
            "approximate": [v.confidence == "approximate" for v in venues],
            "popup": [_venue_text(v) for v in venues],
        },
        geometry=gpd.points_from_xy([v.lon for v in venues], [v.lat for v in venues]),
        crs=WGS84,
    )
    legend = [
        LegendEntry(KINDS[kind], style.colour, "circle", icon=style.icon)
        for kind, style in KIND_STYLES.items()
        if any(v.kind == kind for v in venues)
    ]
    approximate = sum(v.confidence == "approximate" for v in venues)
    return MapDocument(
        title="Probation venues in Cumbria and north Lancashire",
        subtitle=f"{len(venues)} venues; {approximate} placed at an approximate position",
        layers=[
            *basemap(pack),
            Layer(
                "Venues",
                frame,
                "points",
                colour_column="colour",
                radius=13,
                popup="popup",
                tooltip="name",
                icon_column="icon",
                dashed_column="approximate",
                group_column="kind",
                legend=legend + ([APPROXIMATE] if approximate else []),
            ),
        ],
        attribution=attribution(),
        provenance=_pack_provenance(pack, f"venue registry ({_registry_dates(venues)})"),
    )


def _registry_dates(venues: Sequence[Venue]) -> str:
    """Where the venues come from, in a few words, for the provenance line.

    Source dates in the registry are free text ("2017-07-13; 2022-02-17",
    "undated (commit ...)"): this gives the span of years found in them and
    says how many are undated; each popup shows its venue's own date.
    """
    years = sorted({int(y) for v in venues for y in _YEAR.findall(v.source_date)})
    undated = sum(1 for v in venues if not _YEAR.search(v.source_date))
    parts = []
    if years:
        parts.append(f"sources dated {years[0]}" + (f"–{years[-1]}" if len(years) > 1 else ""))
    if undated:
        parts.append(f"{undated} undated")
    return f"{', '.join(parts) or 'no sources recorded'}; positions marked approximate are estimates"


def travel_time_map(
    pack: Pack,
    venue_name: str,
    venue_point: tuple[float, float],
    minutes: np.ndarray,
    mode_label: str,
    provenance: str,
    *,
    modelled: bool,
    councils: tuple[str, ...],
) -> MapDocument:
    """LSOAs coloured by travel-time band to a venue (``minutes`` per LSOA of ``councils``, inf = no way)."""
    lsoas = _lsoas(pack, councils)
    bands = [_band(m) for m in minutes]
    frame = gpd.GeoDataFrame(
        {
            "colour": [b[1] for b in bands],
            "band": [b[0] for b in bands],
            "popup": [f"{name}: {_minutes_text(m)}" for name, m in zip(lsoas["lsoa21_name"], minutes, strict=True)],
        },
        geometry=lsoas.geometry.values,
        crs=WGS84,
    )
    legend = [LegendEntry(f"{low}-{high} min", SEQUENTIAL[i], "square") for i, (low, high) in enumerate(BANDS)]
    legend += [LegendEntry("over 120 min", SEQUENTIAL[4], "square"), LegendEntry("no way", NO_WAY, "square")]
    venue = gpd.GeoDataFrame({"name": [venue_name]}, geometry=[shapely.Point(venue_point)], crs=WGS84)
    return MapDocument(
        title=f"Travel time to {venue_name} by {mode_label}",
        subtitle="From each LSOA's population-weighted point",
        layers=[
            *basemap(pack),
            Layer(
                f"Minutes by {mode_label}",
                frame,
                "polygons",
                colour_column="colour",
                fill_opacity=0.75,
                line_width=0.2,
                popup="popup",
                legend=legend,
            ),
            Layer(
                "Venue",
                venue,
                "points",
                colour=OKABE_ITO[7],
                radius=8,
                tooltip="name",
                legend=[LegendEntry(venue_name, OKABE_ITO[7], "circle")],
            ),
        ],
        attribution=attribution(transit="transport" in mode_label),
        provenance=provenance,
        modelled=modelled,
    )


@dataclass(frozen=True)
class AreaCounts:
    """How a map counts people: in hexagons ``hex_km`` wide (``None``: by LSOA), areas with fewer than
    ``suppress_below`` people suppressed, labelled SYNTHETIC when the people are."""

    suppress_below: int = SUPPRESS_BELOW
    hex_km: float | None = 10.0
    synthetic: bool = False

    @property
    def areas(self) -> str:
        """``10 km hexagons`` or ``LSOAs``."""
        return f"{self.hex_km:g} km hexagons" if self.hex_km else "LSOAs"

    @property
    def label(self) -> str:
        """``SYNTHETIC caseload: `` for a synthetic caseload, else nothing."""
        return "SYNTHETIC caseload: " if self.synthetic else ""


def burden_map(
    pack: Pack,
    measures: pd.DataFrame,
    people: pd.DataFrame,
    programme: str,
    provenance: str,
    *,
    modelled: bool,
    counts: AreaCounts,
) -> MapDocument:
    """Share of people over two hours either way or with no way home, by hexagon (or LSOA when
    ``counts.hex_km`` is None); areas with fewer than ``counts.suppress_below`` people are suppressed."""
    burdened = measures["rt_flags"].fillna("").str.contains("over_120|no_return_same_day|no_outbound")
    areas, area_of = _areas(pack, people, counts.hex_km)
    grouped = pd.DataFrame({"area": area_of, "burdened": burdened.to_numpy()}).groupby("area")["burdened"]
    areas = areas.join(pd.DataFrame({"people": grouped.size(), "burdened": grouped.sum()}), on="area", how="inner")
    shown = areas["people"] >= counts.suppress_below
    share = areas["burdened"] / areas["people"]
    colours = np.where(shown, [SEQUENTIAL[min(4, int(s * 5))] for s in share], SUPPRESSED)
    popup = [
        f"{name}: {int(b)} of {int(n)} people ({s:.0%})" if ok else f"{name}: fewer than {counts.suppress_below} people"
        for name, b, n, s, ok in zip(areas["name"], areas["burdened"], areas["people"], share, shown, strict=True)
    ]
    legend = [LegendEntry(f"{20 * i}-{20 * (i + 1)}%", SEQUENTIAL[i], "square") for i in range(5)]
    return MapDocument(
        title=f"{programme}: people over two hours each way or with no way home",
        subtitle=f"{counts.label}{len(measures)} people, share by {counts.areas} of residence",
        layers=[*basemap(pack), _counted_layer("Share burdened", areas, (colours, popup, legend), counts)],
        attribution=attribution(transit=True),
        provenance=provenance,
        modelled=modelled,
    )


def scenario_map(
    pack: Pack,
    before: pd.DataFrame,
    after: pd.DataFrame,
    people: pd.DataFrame,
    names: tuple[str, str],
    provenance: str,
    *,
    modelled: bool,
    counts: AreaCounts,
) -> MapDocument:
    """Change in public transport minutes to the nearest venue, by hexagon (or LSOA): people's median."""
    change = after["pt_minutes"].fillna(600).to_numpy() - before["pt_minutes"].fillna(600).to_numpy()
    areas, area_of = _areas(pack, people, counts.hex_km)
    grouped = pd.DataFrame({"area": area_of, "change": change}).groupby("area")["change"]
    areas = areas.join(
        pd.DataFrame({"people": grouped.size(), "median_change": grouped.median()}), on="area", how="inner"
    )
    shown = areas["people"] >= counts.suppress_below
    colours = np.where(shown, [_change_colour(c) for c in areas["median_change"]], SUPPRESSED)
    popup = [
        f"{name}: median change {c:+.0f} min ({int(n)} people)"
        if ok
        else f"{name}: fewer than {counts.suppress_below} people"
        for name, c, n, ok in zip(areas["name"], areas["median_change"], areas["people"], shown, strict=True)
    ]
    legend = [
        LegendEntry(text, colour, "square")
        for text, colour in zip(
            ("30+ min quicker", "10-30 min quicker", "about the same", "10-30 min slower", "30+ min slower"),
            DIVERGING,
            strict=True,
        )
    ]
    return MapDocument(
        title=f"{names[1]} against {names[0]}",
        subtitle=f"{counts.label}change in public transport minutes to the nearest venue, median by {counts.areas}",
        layers=[*basemap(pack), _counted_layer("Change", areas, (colours, popup, legend), counts)],
        attribution=attribution(transit=True),
        provenance=provenance,
        modelled=modelled,
    )


def _counted_layer(
    name: str,
    areas: gpd.GeoDataFrame,
    styled: tuple[np.ndarray, list[str], list[LegendEntry]],
    counts: AreaCounts,
) -> Layer:
    """Areas coloured by what was counted in them (``styled``: colours, popups, legend); the suppressed
    ones grey, and said so in the legend."""
    colours, popup, legend = styled
    frame = gpd.GeoDataFrame({"colour": colours, "popup": popup}, geometry=areas.geometry.values, crs=WGS84)
    suppressed = LegendEntry(f"fewer than {counts.suppress_below} people (suppressed)", SUPPRESSED, "square")
    return Layer(
        name,
        frame,
        "polygons",
        colour_column="colour",
        fill_opacity=0.8,
        line_width=0.2,
        popup="popup",
        legend=[*legend, suppressed],
    )


def _areas(pack: Pack, people: pd.DataFrame, hex_km: float | None) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Areas people are counted in (index ``area``, ``name``, WGS84 polygons) and each person's area."""
    if hex_km is None:
        lsoas = pack.lsoas.set_index("lsoa21", drop=False).rename_axis("area")
        return lsoas.rename(columns={"lsoa21_name": "name"})[["name", "geometry"]], people["lsoa21"].to_numpy()
    size = hex_km * 1000 / np.sqrt(3)  # circumradius of a pointy-top hexagon this wide across its flats
    east, north = transformer(WGS84, BNG).transform(people["lon"].to_numpy(), people["lat"].to_numpy())
    q, r = _hex_round((np.sqrt(3) / 3 * east - north / 3) / size, (2 / 3 * north) / size)
    keys = np.asarray([f"hex {a},{b}" for a, b in zip(q, r, strict=True)])
    cells = sorted(set(zip(q.tolist(), r.tolist(), strict=True)))
    polygons = [_hexagon(size * np.sqrt(3) * (a + b / 2), size * 1.5 * b, size) for a, b in cells]
    frame = gpd.GeoDataFrame(
        {"area": [f"hex {a},{b}" for a, b in cells], "name": [f"{hex_km:g} km area" for _ in cells]},
        geometry=polygons,
        crs=BNG,
    )
    return frame.set_index("area").to_crs(WGS84), keys


def _hex_round(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axial hexagon coordinates rounded to the nearest cell (cube rounding)."""
    s = -q - r
    rq, rr, rs = np.round(q), np.round(r), np.round(s)
    dq, dr, ds = np.abs(rq - q), np.abs(rr - r), np.abs(rs - s)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    return rq.astype(int), rr.astype(int)


def _hexagon(x: float, y: float, size: float) -> shapely.Polygon:
    angles = np.radians(30 + 60 * np.arange(6))
    return shapely.Polygon(np.column_stack([x + size * np.cos(angles), y + size * np.sin(angles)]))


def journey_map(
    pack: Pack, legs: Sequence[Leg], home_sector: str | None, title: str, provenance: str, *, modelled: bool
) -> MapDocument:
    """One journey's legs. The home end is moved to its postcode sector's centroid (``home_sector``)."""
    paths = [list(leg.path) for leg in legs]
    if home_sector is not None:
        centre = _sector_centre(pack, home_sector)
        if legs[0].start == "home":
            paths[0][0] = centre
        if legs[-1].end == "home":
            paths[-1][-1] = centre
    colours = {"walk": OKABE_ITO[7], "train": OKABE_ITO[4], "bus": OKABE_ITO[5]}
    frame = gpd.GeoDataFrame(
        {
            "colour": [colours.get(leg.kind, OKABE_ITO[2]) for leg in legs],
            "popup": [
                f"{leg.kind} {leg.route or ''}: {leg.start} -> {leg.end}, {_clock(leg.depart)}-{_clock(leg.arrive)}"
                + (" (time assumed)" if leg.basis == "assumed" else "")
                for leg in legs
            ],
        },
        geometry=[shapely.LineString(path) if len(path) > 1 else shapely.Point(path[0]) for path in paths],
        crs=WGS84,
    )
    ends = gpd.GeoDataFrame(
        {"name": [legs[0].start, legs[-1].end]},
        geometry=[shapely.Point(paths[0][0]), shapely.Point(paths[-1][-1])],
        crs=WGS84,
    )
    legend = [
        LegendEntry(kind, colour, "line") for kind, colour in colours.items() if any(leg.kind == kind for leg in legs)
    ]
    return MapDocument(
        title=title,
        subtitle="home shown at its postcode sector, not its address" if home_sector else "",
        layers=[
            *basemap(pack),
            Layer("Journey", frame, "lines", colour_column="colour", line_width=3, popup="popup", legend=legend),
            Layer("Ends", ends, "points", colour=OKABE_ITO[0], radius=7, label="name"),
        ],
        attribution=attribution(transit=True),
        provenance=provenance,
        modelled=modelled,
    )


def _sector_centre(pack: Pack, sector: str) -> tuple[float, float]:
    """Centroid of a postcode sector (``"CA1 1"``): the pack's table, else the mean of its postcodes."""
    sectors = pack.table("postcode_sectors.parquet").set_index("sector")
    if sector in sectors.index:
        return float(sectors.loc[sector, "lon"]), float(sectors.loc[sector, "lat"])
    members = pack.postcodes[pack.postcodes["postcode"].str.startswith(sector)]
    return float(members["lon"].mean()), float(members["lat"].mean())


def _lsoas(pack: Pack, councils: tuple[str, ...] | None) -> gpd.GeoDataFrame:
    lsoas = pack.lsoas if councils is None else pack.lsoas[pack.lsoas["council"].isin(councils)]
    return lsoas.reset_index(drop=True)


def _band(minutes: float) -> tuple[str, str]:
    if not np.isfinite(minutes):
        return "no way", NO_WAY
    for index, (low, high) in enumerate(BANDS):
        if minutes < high:
            return f"{low}-{high} min", SEQUENTIAL[index]
    return "over 120 min", SEQUENTIAL[4]


def _change_colour(change: float) -> str:
    edges = (-30, -10, 10, 30)
    return DIVERGING[int(np.searchsorted(edges, change, side="right"))]


def _minutes_text(minutes: float) -> str:
    return f"{minutes:.0f} min" if np.isfinite(minutes) else "no way within the limits"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}"


def _programme_text(programme: Programme) -> str:
    sessions = ", ".join(f"{s.day} {s.start}–{s.end}" for s in programme.sessions)
    basis = SESSION_BASIS.get(programme.basis, f"sessions {programme.basis}")
    when = f"{sessions} ({basis})" if sessions else "no fixed sessions"
    note = f" — {programme.note}" if programme.note else ""
    return f"• {programme.code} {programme.name}: {when}{note}"


def _venue_text(venue: Venue) -> str:
    """A venue's popup, plain text a line at a time: what it is, where, programmes, days, how sure its position is."""
    lines = [venue.name, f"{KINDS[venue.kind]} · {venue.organisation}"]
    where = ", ".join(part for part in (venue.address, venue.postcode) if part)
    if where:
        lines.append(where)
    if venue.programmes:
        lines += ["Programmes:", *(_programme_text(p) for p in venue.programmes)]
    if venue.opening_days or venue.opening_note:
        note = f" ({venue.opening_note})" if venue.opening_note else ""
        lines.append(f"Opening days: {', '.join(venue.opening_days) or 'not known'}{note}")
    lines.append(f"Position confidence: {venue.confidence}")
    if venue.confidence == "approximate":
        lines.append(f"Approximate position: {venue.position_basis}")
    if venue.source_date:
        lines.append(f"{'Source dated' if _YEAR.search(venue.source_date) else 'Source:'} {venue.source_date}")
    return "\n".join(lines)


def _pack_provenance(pack: Pack, what: str) -> str:
    dates = ", ".join(
        f"{s['title'].split(' (')[0]} {s['date']}"
        for key, s in pack.manifest["sources"].items()
        if key in ("codepoint", "lsoa21", "naptan", "rail_lines")
    )
    return f"Pack {pack.manifest['pack']}: {what}; data: {dates}"
