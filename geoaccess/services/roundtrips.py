"""Can this person reach the session on time, and get home after it? For one day, a week, or every venue.

One set of defaults and checks for the CLI's ``roundtrip``, the API's ``/roundtrip`` and the officer's page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geoaccess.defaults import MARGIN_MIN, MOST_MARGIN_MIN
from geoaccess.errors import BadInput, InvalidRequest, NoRoute, NotCovered
from geoaccess.places import Place, venue_end
from geoaccess.roads.router import Router
from geoaccess.services.dead_ends import explain_round_trip
from geoaccess.services.journeys import check_covered, note_straight_walks, resolve_home
from geoaccess.transit.planner import Itinerary, Planner, parse_clock
from geoaccess.transit.roundtrip import RoundTrip, clock_text, last_way_home, round_trip
from geoaccess.transit.sources import DataChoice, service_date, transit_provenance, week_dates
from geoaccess.venues import PROGRAMMES, Venue, find_venue
from geoaccess.weekdays import SHORT_DAYS, is_weekday, weekday_name

WEEK = "week"


def session_seconds(start: str, end: str) -> tuple[int, int]:
    """A session's start and end (``HH:MM``) in seconds after midnight; the end must follow the start."""
    start_s, end_s = parse_clock(start, "the start time"), parse_clock(end, "the end time")
    if end_s <= start_s:
        raise BadInput(f"the session ends ({end}) before it starts ({start})")
    return start_s, end_s


def checked_margin(margin: int) -> int:
    """Minutes to arrive early, from 0 to :data:`MOST_MARGIN_MIN`."""
    if isinstance(margin, bool) or not isinstance(margin, int) or not 0 <= margin <= MOST_MARGIN_MIN:
        raise BadInput(f"the arrive-early margin must be a whole number of minutes from 0 to {MOST_MARGIN_MIN}")
    return margin


def venue_place(venue_id: str, venues: list[Venue]) -> Place:
    """A venue id as a journey end."""
    return venue_end(venue_by_id(venue_id, venues))


def session_place(
    *, venues: list[Venue], venue: str | None = None, to: str | None = None, data: DataChoice | None = None
) -> Place:
    """Where the session is held: a venue id (``venue``) or a postcode, ``lat,lon`` or ``stop:STOP_ID`` (``to``),
    exactly one; positions anywhere the user's own ``data`` may reach."""
    if (venue is None) == (to is None):
        raise InvalidRequest("give exactly one of a venue id or a postcode or 'lat,lon' for the venue")
    return venue_place(venue, venues) if venue is not None else resolve_home(to or "", venues, data)


def round_trip_days(
    *,
    home: str,
    place: Place,
    venues: list[Venue],
    day: str,
    start: str,
    end: str,
    margin: int = MARGIN_MIN,
    data: DataChoice | None = None,
) -> dict[str, Any]:
    """The session's round trip from ``home`` to ``place`` (see :func:`session_place`) on one day (a weekday
    or a date) or on each day of a week (``day="week"``)."""
    start_s, end_s = session_seconds(start, end)
    margin = checked_margin(margin)
    data = data or DataChoice()
    person = resolve_home(home, venues, data)
    check_covered(data.check_transit_covers, {"home": person, "venue": place})
    planner = data.planner()
    dates = week_dates(planner.timetable) if day.strip().lower() == WEEK else [service_date(day, planner.timetable)]
    ends = (person.lon, person.lat), (place.lon, place.lat)
    trips = [round_trip(planner, *ends, when, start_s, end_s, margin) for when in dates]
    days = [{**trip.to_dict(), "dead_end": explain_round_trip(planner, trip, *ends, data)} for trip in trips]
    for way in (d[key] for d in days for key in ("outbound", "return")):
        if way:
            note_straight_walks(way["legs"], planner)
    result: dict[str, Any] = {
        "from": person.to_dict(),
        "to": place.to_dict(),
        "days": days,
        "provenance": transit_provenance(planner, dates[0]),
    }
    if len(days) == 1:
        keys = ("outbound", "return", "feasible", "flags", "flags_in_words", "assumptions", "rests_on_assumption")
        result.update({key: days[0][key] for key in (*keys, "dead_end")})
    else:
        result["works_on"] = [d["weekday"] for d in days if d["feasible"]]
    return result


# --- the officer's check: a venue (or the nearest offering a programme), a day, the session ----------------


@dataclass(frozen=True)
class CheckRequest:
    """What an officer asks, checked: the home is never repeated in a message."""

    home: str
    venue_id: str | None
    programme: str | None
    day: str
    start: str
    end: str
    margin: int = MARGIN_MIN
    every_venue: bool = False

    @classmethod
    def from_fields(cls, fields: Any) -> CheckRequest:
        """From a form or a JSON object (``home`` or ``from``, ``venue``, ``programme``, ``day``, times, ``margin``)."""
        home = str(fields.get("home") or fields.get("from") or "").strip()
        if not home:
            raise BadInput("enter the person's postcode (or 'lat,lon')")
        programme = str(fields.get("programme") or "").strip().upper() or None
        if programme is not None and programme not in PROGRAMMES:
            raise BadInput(f"programme must be one of {', '.join(PROGRAMMES)}")
        venue_id = str(fields.get("venue") or "").strip() or None
        if venue_id is None and programme is None:
            raise BadInput("choose a venue, or a programme to use the nearest venue offering it")
        day = str(fields.get("day") or "").strip()
        if not is_weekday(day):
            raise BadInput("choose a day of the week (Monday to Sunday)")
        margin_text = str(fields.get("margin") if fields.get("margin") not in (None, "") else MARGIN_MIN)
        try:
            margin = checked_margin(int(margin_text.strip()))
        except ValueError as exc:
            raise BadInput("the arrive-early margin must be a whole number of minutes") from exc
        return cls(
            home=home,
            venue_id=venue_id,
            programme=programme,
            day=weekday_name(day)[:3],
            start=str(fields.get("start") or "").strip(),
            end=str(fields.get("end") or "").strip(),
            margin=margin,
            every_venue=str(fields.get("every_venue") or "").lower() in ("1", "on", "true", "yes"),
        )


@dataclass
class SessionCheck:
    """A worked check: the venue and why, the round trip, the every-venue table, and what the maps need."""

    request: CheckRequest
    venue: Venue
    venue_reason: str
    trip: RoundTrip
    home_point: tuple[float, float]
    start: str
    end: str
    week: list[dict[str, Any]] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    dead_end: dict[str, Any] | None = None
    last_home: Itinerary | None = None
    other_venue: dict[str, Any] | None = None
    """Where the round trip does not work: the nearest other venue holding the programme (``name``, ``town``,
    car ``minutes``, its ``sessions``)."""
    car: dict[str, Any] | None = None
    """Door-to-door car ``minutes`` as printed and whether the road network is ``modelled`` (or ``why`` there is
    no car time)."""

    @property
    def day(self) -> dict[str, Any]:
        """The round trip in its JSON form, with why it fails where it does
        (:func:`~geoaccess.services.dead_ends.explain_round_trip`) and the last way home that night."""
        last = None if self.last_home is None else self.last_home.to_dict()
        return {**self.trip.to_dict(), "dead_end": self.dead_end, "last_return": last}

    @property
    def legs(self) -> list[Any]:
        """Every leg, there and back, for the journey map."""
        ways = (self.trip.outbound, self.trip.home_again)
        return [leg for way in ways if way is not None for leg in way.legs]

    def summary(self) -> dict[str, Any]:
        """What may be saved: venue, day, times, flags and minutes; no postcode, no position."""
        day = self.day

        def trip(key: str) -> dict[str, Any] | None:
            it = day.get(key)
            keys = ("depart", "arrive", "minutes", "changes")
            return None if it is None else {k: it[k] for k in keys}

        return {
            "venue_id": self.venue.id,
            "venue_name": self.venue.name,
            "town": self.venue.town,
            "programme": self.request.programme,
            "weekday": day["weekday"],
            "date": day["date"],
            "session": day["session"],
            "feasible": day["feasible"],
            "verdict": day["verdict"],
            "flags": day["flags"],
            "flags_in_words": day["flags_in_words"],
            "assumptions": day["assumptions"],
            "rests_on_assumption": day["rests_on_assumption"],
            "outbound": trip("outbound"),
            "return": trip("return"),
            "minutes_away": day["minutes_away"],
            "total_minutes": total_minutes(self.trip),
            "timetable": self.provenance.get("timetable", {}).get("timetable"),
            "modelled": bool(self.provenance.get("modelled")),
        }


def check_session(request: CheckRequest, *, venues: list[Venue], data: DataChoice | None = None) -> SessionCheck:
    """Work out the officer's check: the round trip, and the every-venue table when asked."""
    data = data or DataChoice()
    home = resolve_home(request.home, venues, data)
    home_point = (home.lon, home.lat)
    if request.venue_id:
        venue = venue_by_id(request.venue_id, venues)
        reason = "chosen"
        if request.programme and not venue.offers(request.programme):
            reason = f"chosen (it does not hold {request.programme} in the registry)"
    else:
        programme = request.programme or ""
        car = data.router("car")
        check_covered(car.check_covers, {"home": home})
        venue, minutes = nearest_offering(home_point, programme, venues, car)
        modelled = ", MODELLED network" if car.network.provenance.get("modelled") else ""
        reason = f"nearest venue offering {programme} ({minutes:.0f} min by car{modelled})"
    start, end = scheduled_times(request, venue)
    start_s, end_s = session_seconds(start, end)
    check_covered(data.check_transit_covers, {"home": home, "venue": venue_end(venue)})
    planner = data.planner()
    when = service_date(request.day, planner.timetable)
    trip = round_trip(planner, home_point, (venue.lon, venue.lat), when, start_s, end_s, request.margin)
    check = SessionCheck(
        request=request,
        venue=venue,
        venue_reason=reason,
        trip=trip,
        home_point=home_point,
        start=start,
        end=end,
        provenance=transit_provenance(planner, when),
        dead_end=explain_round_trip(planner, trip, home_point, (venue.lon, venue.lat), data),
        last_home=last_way_home(planner, (venue.lon, venue.lat), home_point, when, end_s),
        car=car_time(data.router("car"), home_point, (venue.lon, venue.lat)),
    )
    if not trip.feasible and request.programme:
        check.other_venue = other_venue(home_point, request.programme, venue, venues, data.router("car"))
    if request.every_venue:
        listed = request.programme or (venue.programmes[0].code if venue.programmes else None)
        check.week = every_session(planner, home_point, listed, venues, request.margin)
    return check


def venue_by_id(venue_id: str, venues: list[Venue]) -> Venue:
    """The venue with this id (an unknown id is not repeated back: see :func:`~geoaccess.venues.find_venue`)."""
    return find_venue(venues, venue_id.strip())


def nearest_offering(
    home: tuple[float, float], programme: str, venues: list[Venue], car: Router
) -> tuple[Venue, float]:
    """The venue offering ``programme`` nearest ``home`` by car, and its minutes (among the venues the car
    network reaches)."""
    offering = [v for v in venues if v.offers(programme)]
    if not offering:
        raise BadInput(f"no venue in the registry offers {programme}")
    places = np.asarray([(v.lon, v.lat) for v in offering])
    seconds = car.many_to_many(np.asarray([home]), places).seconds[0]
    seconds[~car.reaches(places[:, 0], places[:, 1])] = np.inf
    if not np.isfinite(seconds).any():
        raise NoRoute(f"no venue offering {programme} can be reached by road")
    best = int(np.nanargmin(np.where(np.isfinite(seconds), seconds, np.nan)))
    return offering[best], float(seconds[best]) / 60.0


def other_venue(
    home: tuple[float, float], programme: str, venue: Venue, venues: list[Venue], car: Router
) -> dict[str, Any] | None:
    """The venue holding ``programme`` nearest ``home`` by car other than ``venue``, with its car minutes and
    sessions; ``None`` when no other venue holds it or none can be reached by road."""
    try:
        found, minutes = nearest_offering(home, programme, [v for v in venues if v.id != venue.id], car)
    except (BadInput, NoRoute):
        return None
    sessions = [s.label() for p in found.programmes if p.code == programme for s in p.sessions]
    return {"id": found.id, "name": found.name, "town": found.town, "car_minutes": minutes, "sessions": sessions}


def scheduled_times(request: CheckRequest, venue: Venue) -> tuple[str, str]:
    """The times asked for, else the venue's scheduled session of the programme on that day."""
    if request.start and request.end:
        return request.start, request.end
    day = request.day[:3].title()
    for programme in venue.programmes:
        if request.programme in (None, programme.code):
            for session in programme.sessions:
                if session.day == day:
                    return request.start or session.start, request.end or session.end
    raise BadInput(f"give the session's start and end times ({venue.name} has no scheduled session that day)")


def car_time(car: Router, home: tuple[float, float], venue: tuple[float, float]) -> dict[str, Any]:
    """The car's door-to-door minutes from home to the venue (as the network prints them), beside public
    transport; ``why`` instead where the car network does not reach or join them."""
    modelled = bool(car.network.provenance.get("modelled"))
    try:
        car.check_covers({"home": home, "venue": venue})
        route = car.route(home, venue)
    except (NotCovered, NoRoute) as exc:
        return {"minutes": None, "modelled": modelled, "why": str(exc)}
    return {"minutes": route.minutes, "modelled": modelled, "why": None}


def total_minutes(trip: RoundTrip) -> float | None:
    """Minutes travelling: the way there plus the session's end to home (waiting included)."""
    after = trip.minutes_home_after_session
    if trip.outbound is None or after is None:
        return None
    return round(trip.outbound.minutes + after, 1)


def every_session(
    planner: Planner, home: tuple[float, float], programme: str | None, venues: list[Venue], margin: int
) -> list[dict[str, Any]]:
    """Each session of ``programme`` at each venue holding it, on the session's own day and times in the
    timetable's next week: Monday first, and on each day the least burden first."""
    if programme is None:
        return []
    rows = []
    dates = week_dates(planner.timetable)
    for venue in venues:
        sessions = [s for p in venue.programmes if p.code == programme for s in p.sessions]
        for session in sessions:
            index = SHORT_DAYS.index(session.day)
            start_s, end_s = session_seconds(session.start, session.end)
            trip = round_trip(planner, home, (venue.lon, venue.lat), dates[index], start_s, end_s, margin)
            day = trip.to_dict()
            rows.append(
                {
                    "venue_id": venue.id,
                    "venue_name": venue.name,
                    "town": venue.town,
                    "weekday": day["weekday"].title(),
                    "weekday_index": index,
                    "date": day["date"],
                    "session": f"{session.start}–{session.end}",
                    "feasible": day["feasible"],
                    "verdict": day["verdict"],
                    "flags": day["flags"],
                    "flags_in_words": day["flags_in_words"],
                    "flag_text": day["flag_text"],
                    "rests_on_assumption": day["rests_on_assumption"],
                    "leave_home": (day["outbound"] or {}).get("depart"),
                    "at_venue": (day["outbound"] or {}).get("arrive"),
                    "home_again": clock_text(day["return"]["arrive"]) if day["return"] else None,
                    "total_minutes": total_minutes(trip),
                }
            )
    return sorted(rows, key=lambda row: (row["weekday_index"], *_burden_key(row)))


def _burden_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Infeasible last, then fewer flags, then fewer minutes."""
    minutes = row["total_minutes"]
    return (
        not row["feasible"],
        len(row["flags"]),
        float("inf") if minutes is None else minutes,
        row["venue_name"],
        row["weekday_index"],
    )
