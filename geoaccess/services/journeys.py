"""One journey between two places, by car, on foot or by public transport.

The places may lie anywhere the data in use covers: the pack's area, or with the user's own network or feeds
the area those reach. A place they do not reach is refused with its distance (:class:`NotCovered`, exit 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from geoaccess.errors import BadInput, InvalidRequest, NotCovered
from geoaccess.geocode import looks_like_coordinates
from geoaccess.places import Place, is_stop, resolve_place
from geoaccess.roads.journeys import road_journey
from geoaccess.roads.router import StraightLineWalker
from geoaccess.services.dead_ends import Ends, NoJourney, explain_journey
from geoaccess.transit.planner import Itinerary, Planner, parse_clock
from geoaccess.transit.sources import DataChoice, service_date, transit_provenance
from geoaccess.venues import Venue
from geoaccess.weekdays import WEEKDAYS

MODES = ("car", "walk", "transit")


def place_for(text: str, venues: list[Venue], data: DataChoice | None = None) -> Place:
    """A venue id, postcode, ``lat,lon`` or ``stop:STOP_ID``, anywhere the user's own data (if any) may reach."""
    data = data or DataChoice()
    return resolve_place(text, venues, anywhere=data.own_data, stop=data.stop_place)


def resolve_home(text: str, venues: list[Venue], data: DataChoice | None = None) -> Place:
    """A person's home: a postcode, ``lat,lon`` or ``stop:STOP_ID`` (never a venue id; what was typed is never
    repeated)."""
    wanted = (text or "").strip()
    if "-" in wanted and not looks_like_coordinates(wanted) and not is_stop(wanted):
        raise BadInput("the home must be a postcode or 'lat,lon', not a venue id")
    return place_for(wanted, venues, data)


def check_covered(check: Callable[[Mapping[str, tuple[float, float]]], None], ends: Mapping[str, Place]) -> None:
    """Run a coverage check (a router's or the timetable's) on each named end; a postcode not covered is
    explained (postcodes are placed with the pack)."""
    for name, place in ends.items():
        try:
            check({name: (place.lon, place.lat)})
        except NotCovered as error:
            if place.kind != "postcode":
                raise
            raise NotCovered(
                f"{error}; the {name} is a postcode, placed with the data pack in its own area: "
                "give 'lat,lon' or stop:STOP_ID for a place this data covers"
            ) from None


def note_straight_walks(legs: list[dict[str, Any]], planner: Planner) -> None:
    """Mark each walk leg ``estimate: straight line x F`` when the planner walks in straight lines."""
    if isinstance(planner.walker, StraightLineWalker):
        for leg in legs:
            if leg["mode"] == "walk":
                leg["estimate"] = f"straight line x {planner.walker.detour:g}"


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
    start, end = place_for(origin, venues, data), place_for(destination, venues, data)
    ends = {"origin": start, "destination": end}
    if mode != "transit":
        router = data.router(mode)
        check_covered(router.check_covers, ends)
        return road_journey(start, end, router)
    if day is None or (depart_at is None) == (arrive_by is None):
        raise InvalidRequest("public transport needs a day and exactly one of a time to leave at or to arrive by")
    check_covered(data.check_transit_covers, ends)
    planner = data.planner()
    when = service_date(day, planner.timetable)
    itinerary = transit_itinerary(planner, start, end, when=when, depart_at=depart_at, arrive_by=arrive_by, data=data)
    result = {
        "from": start.to_dict(),
        "to": end.to_dict(),
        "mode": "transit",
        "date": when.isoformat(),
        "weekday": WEEKDAYS[when.weekday()],
        **itinerary.to_dict(),
        "provenance": transit_provenance(planner, when),
    }
    note_straight_walks(result["legs"], planner)
    return result


def transit_itinerary(
    planner: Planner,
    start: Place,
    end: Place,
    *,
    when: date,
    depart_at: str | None,
    arrive_by: str | None,
    names: tuple[str, str] = ("origin", "destination"),
    data: DataChoice | None = None,
) -> Itinerary:
    """The public transport journey leaving at ``depart_at`` or arriving by ``arrive_by``; if none,
    :class:`~geoaccess.services.dead_ends.NoJourney` explaining why (the car alternative on ``data``'s roads).

    ``names`` label the two ends in the legs (a map names them ``("home", venue name)``).
    """
    ends = Ends(names, ((start.lon, start.lat), (end.lon, end.lat)))
    leave_s = None if depart_at is None else parse_clock(depart_at)
    arrive_s = None if leave_s is not None else parse_clock(arrive_by or "")
    if leave_s is not None:
        found = planner.depart_at(*ends.points, when, leave_s, names)
    else:
        found = planner.arrive_by(*ends.points, when, arrive_s or 0, names)
    if found is None:
        asked = f"leaving at {depart_at}" if depart_at else f"arriving by {arrive_by}"
        why = explain_journey(planner, ends, when, depart_at_s=leave_s, arrive_by_s=arrive_s, data=data)
        raise NoJourney(f"no public transport journey {asked} on {WEEKDAYS[when.weekday()]} {when}", why)
    return found
