"""Where a journey starts or ends: a venue id, a postcode or ``lat,lon`` text, resolved and checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geoaccess.geocode import geocode, looks_like_coordinates
from geoaccess.pack import Pack, load_pack
from geoaccess.venues import Venue, find_venue


@dataclass(frozen=True)
class Place:
    """A resolved journey end: what was asked for, its name and its position."""

    kind: str  # "venue", "postcode" or "coordinates"
    label: str
    lon: float
    lat: float
    venue_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        data: dict[str, Any] = {"kind": self.kind, "label": self.label, "lon": self.lon, "lat": self.lat}
        if self.venue_id:
            data["venue_id"] = self.venue_id
        return data


def resolve_place(text: str, venues: list[Venue], pack: Pack | None = None) -> Place:
    """A venue id (exact), else a postcode or ``lat,lon`` geocoded in the pack's area."""
    wanted = (text or "").strip()
    if "-" in wanted and not looks_like_coordinates(wanted):  # a slug: no postcode has a hyphen
        venue = find_venue(venues, wanted)
        return Place(kind="venue", label=venue.name, lon=venue.lon, lat=venue.lat, venue_id=venue.id)
    location = geocode(wanted, pack or load_pack())
    if location.postcode:
        return Place(kind="postcode", label=location.postcode, lon=location.lon, lat=location.lat)
    return Place(kind="coordinates", label=f"{location.lat:.5f},{location.lon:.5f}", lon=location.lon, lat=location.lat)
