"""Where a journey starts or ends: a venue id, a postcode, ``lat,lon`` or ``stop:STOP_ID`` text, resolved and checked.

Postcodes are located with the pack, so they lie in its area. A position must be in the pack's area too,
unless the user's own road network or timetable is in use: then the area of the query is the area of that
data, and whether it reaches the place is checked when routing (:class:`~geoaccess.errors.NotCovered`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geoaccess.errors import BadInput, OutsideArea
from geoaccess.geocode import coordinates_of, geocode, looks_like_coordinates
from geoaccess.pack import Pack, load_pack
from geoaccess.venues import Venue, find_venue

STOP_PREFIX = "stop:"
"""``stop:STOP_ID`` names a stop of the timetable in use."""


@dataclass(frozen=True)
class Place:
    """A resolved journey end: what was asked for, its name and its position."""

    kind: str  # "venue", "postcode", "coordinates" or "stop"
    label: str
    lon: float
    lat: float
    venue_id: str | None = None
    stop_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        data: dict[str, Any] = {"kind": self.kind, "label": self.label, "lon": self.lon, "lat": self.lat}
        if self.venue_id:
            data["venue_id"] = self.venue_id
        if self.stop_id:
            data["stop_id"] = self.stop_id
        return data


def venue_end(venue: Venue) -> Place:
    """A venue as a journey end."""
    return Place(kind="venue", label=venue.name, lon=venue.lon, lat=venue.lat, venue_id=venue.id)


def is_stop(text: str) -> bool:
    """True when the text has the ``stop:STOP_ID`` shape."""
    return (text or "").strip().lower().startswith(STOP_PREFIX)


def resolve_place(
    text: str,
    venues: list[Venue],
    pack: Pack | None = None,
    *,
    anywhere: bool = False,
    stop: Callable[[str], Place] | None = None,
) -> Place:
    """A venue id (exact), ``stop:STOP_ID`` (looked up with ``stop``), else a postcode or ``lat,lon`` geocoded
    in the pack's area; with ``anywhere`` (the user's own data in use) a position outside it is taken as given."""
    wanted = (text or "").strip()
    if is_stop(wanted):
        if stop is None:
            raise BadInput("stop:STOP_ID names a stop of a timetable: this question uses none")
        return stop(wanted[len(STOP_PREFIX) :].strip())
    if "-" in wanted and not looks_like_coordinates(wanted):  # a slug: no postcode has a hyphen
        return venue_end(find_venue(venues, wanted))
    try:
        location = geocode(wanted, pack or load_pack())
    except OutsideArea:  # outside the pack or off its land: with the user's own data, that data decides
        point = coordinates_of(wanted) if anywhere else None
        if point is None:
            raise
        lon, lat = round(point[0], 6), round(point[1], 6)
        return Place(kind="coordinates", label=f"{lat:.5f},{lon:.5f}", lon=lon, lat=lat)
    if location.postcode:
        return Place(kind="postcode", label=location.postcode, lon=location.lon, lat=location.lat)
    return Place(kind="coordinates", label=f"{location.lat:.5f},{location.lon:.5f}", lon=location.lon, lat=location.lat)
