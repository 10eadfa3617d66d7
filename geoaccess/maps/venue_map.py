"""A Folium map of the venue registry, one layer per kind of venue.

Markers are Leaflet DivIcons: an Okabe-Ito colour (safe for colour-blind
readers) plus a Font Awesome glyph per kind, so kinds differ by shape as well
as colour; a dashed outline marks an approximate position. Every text taken
from the registry is HTML-escaped and handed to Leaflet as a JSON string
(folium's Popup and Tooltip put text in JavaScript template literals, where
``${...}`` would run).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, cast

import folium
from branca.element import Element, Figure

from geoaccess.attribution import ONS_ATTRIBUTION, OS_ATTRIBUTION
from geoaccess.maps.elements import Call as _Call
from geoaccess.maps.elements import Legend as _Legend
from geoaccess.maps.elements import set_attribution
from geoaccess.maps.offline_assets import offline_map
from geoaccess.venues import KINDS

if TYPE_CHECKING:
    import geopandas

    from geoaccess.venues import Programme, Venue

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
CUMBRIA_CENTRE = (54.5, -3.0)  # lat, lon: the view when there is nothing to fit


@dataclass(frozen=True)
class KindStyle:
    """How one kind of venue is drawn: fill colour, glyph colour and icon."""

    colour: str
    ink: str
    icon: str  # Font Awesome 6 solid icon name


KIND_STYLES: dict[str, KindStyle] = {
    "probation_office": KindStyle("#0072B2", "#fff", "building"),
    "crc_centre": KindStyle("#56B4E9", "#000", "handshake"),
    "hub": KindStyle("#009E73", "#fff", "circle-nodes"),
    "programme_venue": KindStyle("#E69F00", "#000", "users"),
    "unpaid_work_site": KindStyle("#D55E00", "#fff", "hammer"),
    "court": KindStyle("#000000", "#fff", "gavel"),
    "approved_premises": KindStyle("#CC79A7", "#000", "house"),
    "prison": KindStyle("#6E6E6E", "#fff", "lock"),
    "womens_centre": KindStyle("#F0E442", "#000", "venus"),
}
OTHER_STYLE = KindStyle("#FFFFFF", "#000", "location-dot")
SESSION_BASIS = {
    "sourced": "sessions sourced",
    "assumed": "sessions assumed",
    "user": "sessions from a user's venue file",
}

_CSS = """<style>
.ga-pin{width:26px;height:26px;border-radius:50%;border:2px solid #fff;display:flex;
 align-items:center;justify-content:center;font-size:13px;box-shadow:0 1px 3px rgba(0,0,0,.6)}
.ga-pin.ga-approx{border:2px dashed #000}
.ga-legend{background:#fff;padding:6px 8px;border-radius:4px;font:12px/1.5 sans-serif;
 box-shadow:0 1px 4px rgba(0,0,0,.4)}
.ga-legend .ga-pin{display:inline-flex;width:18px;height:18px;font-size:9px;
 vertical-align:middle;margin-right:4px;box-shadow:none;border-color:#999}
.leaflet-popup-content .ga-popup{font-size:13px;line-height:1.35}
.leaflet-popup-content .ga-popup p{margin:.25em 0}
.leaflet-popup-content .ga-popup ul{margin:.25em 0;padding-left:1.2em}
.folium-map.leaflet-container{background:#f7f7f7}
</style>"""


def kind_style(kind: str) -> KindStyle:
    """Style for a venue kind (unknown kinds get a neutral style)."""
    return KIND_STYLES.get(kind, OTHER_STYLE)


def kind_label(kind: str) -> str:
    """Human name of a venue kind."""
    return KINDS.get(kind, kind.replace("_", " "))


def pin_html(style: KindStyle, *, approximate: bool = False) -> str:
    """The marker's HTML: a coloured disc with the kind's glyph."""
    dashed = " ga-approx" if approximate else ""
    return (
        f'<div class="ga-pin{dashed}" style="background:{style.colour};color:{style.ink}">'
        f'<i class="fa-solid fa-{style.icon}" aria-hidden="true"></i></div>'
    )


def _programme_html(programme: Programme) -> str:
    sessions = ", ".join(f"{s.day} {s.start}–{s.end}" for s in programme.sessions)
    basis = SESSION_BASIS.get(programme.basis, f"sessions {programme.basis}")
    when = f"{sessions} ({basis})" if sessions else "no fixed sessions"
    note = f" — {escape(programme.note)}" if programme.note else ""
    title = f"<b>{escape(programme.code)}</b> {escape(programme.name)}"
    return f"<li>{title}: {escape(when)}{note}</li>"


def popup_html(venue: Venue) -> str:
    """Popup content for a venue; every registry text is escaped."""
    where = ", ".join(escape(part) for part in (venue.address, venue.postcode) if part)
    lines = [
        f"<p><b>{escape(venue.name)}</b></p>",
        f"<p>{escape(kind_label(venue.kind))} · {escape(venue.organisation)}</p>",
    ]
    if where:
        lines.append(f"<p>{where}</p>")
    if venue.programmes:
        items = "".join(_programme_html(p) for p in venue.programmes)
        lines.append(f"<p>Programmes:</p><ul>{items}</ul>")
    if venue.opening_days or venue.opening_note:
        days = ", ".join(venue.opening_days) or "not known"
        note = f" ({venue.opening_note})" if venue.opening_note else ""
        lines.append(f"<p>Opening days: {escape(days + note)}</p>")
    lines.append(f"<p>Position confidence: {escape(venue.confidence)}</p>")
    if venue.confidence == "approximate":
        lines.append(f"<p><b>Approximate position: {escape(venue.position_basis)}</b></p>")
    if venue.source_date:
        lines.append(f"<p><small>Source dated {escape(venue.source_date)}</small></p>")
    return f'<div class="ga-popup">{"".join(lines)}</div>'


def provenance(venues: Sequence[Venue]) -> str:
    """One short line on where the venues come from, for the attribution control.

    Source dates in the registry are free text ("2017-07-13; 2022-02-17",
    "undated (commit ...)"): the line gives the span of years found in them
    and says when some are undated; each popup shows its venue's own date.
    """
    years = sorted({int(y) for v in venues for y in _YEAR.findall(v.source_date)})
    undated = sum(1 for v in venues if not _YEAR.search(v.source_date))
    parts = []
    if years:
        parts.append(f"sources dated {years[0]}" + (f"–{years[-1]}" if len(years) > 1 else ""))
    if undated:
        parts.append(f"{undated} undated")
    return f"Venue registry: {', '.join(parts) or 'no sources recorded'}; positions marked approximate are estimates"


def legend_html(kinds: Iterable[str], *, approximate: bool) -> str:
    """Legend rows for the kinds drawn, plus the dashed-outline key if used."""
    rows = [f"{pin_html(kind_style(k))}{escape(kind_label(k))}" for k in kinds]
    if approximate:
        rows.append(f"{pin_html(OTHER_STYLE, approximate=True)}approximate position")
    return "<b>Venues</b><br>" + "<br>".join(rows)


def _add_basemap(fmap: folium.Map, basemap: geopandas.GeoDataFrame) -> None:
    """Draw polygons (e.g. districts) as a light, non-interactive background."""
    folium.GeoJson(
        basemap[["geometry"]].to_crs(4326),
        style_function=lambda _: {"fillColor": "#e6e6e6", "fillOpacity": 1, "color": "#9a9a9a", "weight": 0.8},
        interactive=False,
        control=False,
        name="Basemap",
    ).add_to(fmap)


def _fit(fmap: folium.Map, venues: Sequence[Venue]) -> None:
    lats, lons = [v.lat for v in venues], [v.lon for v in venues]
    fmap.fit_bounds(
        [[min(lats), min(lons)], [max(lats), max(lons)]],
        padding_top_left=(40, 40),
        padding_bottom_right=(40, 80),
        max_zoom=13,
    )


def icon_offsets(venues: Sequence[Venue], radius: int = 14) -> list[tuple[int, int]]:
    """Pixel offsets fanning out the icons of venues that share a position.

    Venues placed at the same point (often an approximate town-centre
    position) would hide one another; each icon moves onto a small ring
    around the point, which stays where it is.
    """
    at: dict[tuple[float, float], list[int]] = defaultdict(list)
    for index, venue in enumerate(venues):
        at[(round(venue.lat, 5), round(venue.lon, 5))].append(index)
    offsets = [(0, 0)] * len(venues)
    for members in at.values():
        if len(members) > 1:
            for k, index in enumerate(members):
                angle = 2 * math.pi * k / len(members)
                offsets[index] = (round(radius * math.cos(angle)), round(radius * math.sin(angle)))
    return offsets


def venue_map(
    venues: Sequence[Venue],
    *,
    asset_prefix: str,
    basemap: geopandas.GeoDataFrame | None = None,
) -> folium.Map:
    """An offline map of venues: a marker layer per kind, legend, layer control, attribution.

    Parameters
    ----------
    venues
        Venues from :func:`geoaccess.venues.load_venues`.
    asset_prefix
        URL prefix of the local JavaScript/CSS files (see
        :func:`geoaccess.maps.offline_assets.offline_map`).
    basemap
        Optional polygons drawn light grey beneath the markers; there are no
        tiles, so without it the background is plain.
    """
    fmap = offline_map(
        asset_prefix=asset_prefix, location=CUMBRIA_CENTRE, zoom_start=9, zoom_snap=0.25, control_scale=True
    )
    cast(Figure, fmap.get_root()).header.add_child(Element(_CSS), name="geoaccess_venue_css")
    if basemap is not None and not basemap.empty:
        _add_basemap(fmap, basemap)

    groups: dict[str, folium.FeatureGroup] = {}
    for venue, (dx, dy) in zip(venues, icon_offsets(venues), strict=True):
        style = kind_style(venue.kind)
        if venue.kind not in groups:
            groups[venue.kind] = folium.FeatureGroup(name=escape(kind_label(venue.kind)))
            groups[venue.kind].add_to(fmap)
        icon = folium.DivIcon(
            html=pin_html(style, approximate=venue.confidence == "approximate"),
            icon_size=(26, 26),
            icon_anchor=(13 - dx, 13 - dy),
            class_name="ga-marker",
        )
        marker = folium.Marker([venue.lat, venue.lon], icon=icon).add_to(groups[venue.kind])
        marker.add_child(_Call("bindPopup", popup_html(venue), {"maxWidth": 340}))
        marker.add_child(_Call("bindTooltip", escape(venue.name)))

    approximate = any(v.confidence == "approximate" for v in venues)
    order = list(KINDS)
    kinds = sorted(groups, key=lambda k: order.index(k) if k in order else len(order))
    fmap.add_child(_Legend(legend_html(kinds, approximate=approximate)))
    notices = [OS_ATTRIBUTION] + ([ONS_ATTRIBUTION] if basemap is not None else [])
    attribution = f"{'. '.join(notices)}. {provenance(venues)}"
    set_attribution(fmap, attribution)  # escaped; prefix "Leaflet" with no web link
    if venues:
        _fit(fmap, venues)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap
