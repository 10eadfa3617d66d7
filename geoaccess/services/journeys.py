"""One journey between two places, by car, on foot or by public transport."""

from __future__ import annotations

from datetime import date
from typing import Any

from geoaccess.errors import BadInput, InvalidRequest, NoRoute
from geoaccess.geocode import looks_like_coordinates
from geoaccess.places import Place, resolve_place
from geoaccess.roads.journeys import road_journey
from geoaccess.transit.planner import Itinerary, Planner, parse_clock
from geoaccess.transit.sources import DataChoice, service_date, transit_provenance
from geoaccess.venues import Venue
from geoaccess.weekdays import WEEKDAYS

MODES = ("car", "walk", "transit")


def resolve_home(text: str, venues: list[Venue]) -> Place:
    """A person's home: a postcode or ``lat,lon`` (never a venue id; what was typed is never repeated)."""
    wanted = (text or "").strip()
    if "-" in wanted and not looks_like_coordinates(wanted):
        raise BadInput("the home must be a postcode or 'lat,lon', not a venue id")
    return resolve_place(wanted, venues)


def journey(
    *,
    origin: str,
    destination: str,
    venues: list[Venue],
    mode: str = "car",
    day: str | None = None,
    depart_at: str | None = None,
    arrive_by: str | None = None,
    data: DataChoice | None = None,
) -> dict[str, Any]:
    """Door-to-door minutes and route between two places (venue ids, postcodes or ``lat,lon``)."""
    if mode not in MODES:
        raise InvalidRequest(f"the mode is not one of {', '.join(MODES)}")
    data = data or DataChoice()
    start, end = resolve_place(origin, venues), resolve_place(destination, venues)
    if mode != "transit":
        return road_journey(start, end, data.router(mode))
    if day is None or (depart_at is None) == (arrive_by is None):
        raise InvalidRequest("public transport needs a day and exactly one of a time to leave at or to arrive by")
    planner = data.planner()
    when = service_date(day, planner.timetable)
    itinerary = transit_itinerary(planner, start, end, when=when, depart_at=depart_at, arrive_by=arrive_by)
    return {
        "from": start.to_dict(),
        "to": end.to_dict(),
        "mode": "transit",
        "date": when.isoformat(),
        "weekday": WEEKDAYS[when.weekday()],
        **itinerary.to_dict(),
        "provenance": transit_provenance(planner, when),
    }


def transit_itinerary(
    planner: Planner,
    start: Place,
    end: Place,
    *,
    when: date,
    depart_at: str | None,
    arrive_by: str | None,
    names: tuple[str, str] = ("origin", "destination"),
) -> Itinerary:
    """The public transport journey leaving at ``depart_at`` or arriving by ``arrive_by``; NoRoute if none.

    ``names`` label the two ends in the legs (a map names them ``("home", venue name)``).
    """
    ends = ((start.lon, start.lat), (end.lon, end.lat))
    if depart_at is not None:
        found = planner.depart_at(*ends, when, parse_clock(depart_at), names)
    else:
        found = planner.arrive_by(*ends, when, parse_clock(arrive_by or ""), names)
    if found is None:
        asked = f"leaving at {depart_at}" if depart_at else f"arriving by {arrive_by}"
        raise NoRoute(f"no public transport journey {asked} on {WEEKDAYS[when.weekday()]} {when}")
    return found
