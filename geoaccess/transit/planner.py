"""Door-to-door public transport journeys: walk to a stop, ride, change, walk to the door.

The walks from the true home and venue positions to stops are routed on the
walk network (the pack's proxy unless a real one is given) up to
``walk_limit_m`` and charged in full. Earliest arrival runs RAPTOR forwards;
latest departure runs it on the time-mirrored day, then rebuilds the journey
forwards from the departure found.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from geoaccess.defaults import MAX_TRANSFERS, WALK_LIMIT_M
from geoaccess.errors import BadInput
from geoaccess.geometry import WGS84, metric_crs_for, transformer
from geoaccess.roads.router import WALK_KPH, Router
from geoaccess.transit.compiled import CompiledDay, compile_day
from geoaccess.transit.raptor import INF, Labels, Ride, Walk, earliest_arrival, load_compiled
from geoaccess.transit.timetable import Timetable

DIRECT_WALK_LIMIT_M = 3000.0
"""Longest journey offered as a walk all the way."""
WALK_CACHE_SIZE = 4096
"""Places whose walks to stops are remembered (bounded: they may be people's homes)."""
ASSUMED = "assumed"
BASIS_WORDS = {
    "cited": "its departure time cited; times at other stops modelled",
    "cif": "times from the 2020 CIF sample",
    ASSUMED: "time assumed",
}
"""A modelled trip's ``basis`` in words, for a leg (a published timetable's trips have none)."""


class NearStop(NamedTuple):
    """A stop near a place: its name, straight-line metres from the place, and (lon, lat)."""

    name: str
    metres: float
    point: tuple[float, float]


@dataclass(frozen=True)
class Leg:
    """One part of a journey."""

    kind: str  # "walk" or the vehicle's mode word ("train", "bus", ...)
    depart: int  # seconds after midnight of the service day
    arrive: int
    start: str  # stop name, or "home"/"origin" and "destination"
    end: str
    route: str | None = None
    operator: str | None = None
    headsign: str | None = None
    metres: float | None = None
    stops: int | None = None
    trip_id: str | None = None
    basis: str | None = None  # what a modelled trip rests on: cited, cif or assumed
    basis_note: str | None = None
    path: tuple[tuple[float, float], ...] = ()  # (lon, lat) along the leg, for maps; not in to_dict

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with clock times."""
        data: dict[str, Any] = {
            "mode": self.kind,
            "from": self.start,
            "to": self.end,
            "depart": clock(self.depart),
            "arrive": clock(self.arrive),
            "minutes": round((self.arrive - self.depart) / 60, 1),
        }
        for key in ("route", "operator", "metres", "stops", "trip_id", "basis", "basis_note"):
            value = getattr(self, key)
            if value is not None:
                data[key] = round(value) if key == "metres" else value
        return data


@dataclass(frozen=True)
class Itinerary:
    """A door-to-door journey: leave, arrive, legs."""

    legs: tuple[Leg, ...]

    @property
    def depart(self) -> int:
        """Leaving the origin (seconds after midnight)."""
        return self.legs[0].depart

    @property
    def arrive(self) -> int:
        """Reaching the destination."""
        return self.legs[-1].arrive

    @property
    def minutes(self) -> float:
        """Door to door."""
        return (self.arrive - self.depart) / 60

    @property
    def changes(self) -> int:
        """Vehicles boarded, less one."""
        return max(0, sum(leg.kind != "walk" for leg in self.legs) - 1)

    @property
    def waiting_minutes(self) -> float:
        """Time spent waiting between legs."""
        gaps = sum(later.depart - earlier.arrive for earlier, later in zip(self.legs, self.legs[1:], strict=False))
        return gaps / 60

    @property
    def assumptions(self) -> list[str]:
        """The note of each assumed trip ridden, once each, in leg order."""
        return assumptions(self.legs)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: depart, arrive, minutes, changes, waiting, legs, the assumed trips' notes."""
        return {
            "depart": clock(self.depart),
            "arrive": clock(self.arrive),
            "minutes": round(self.minutes, 1),
            "changes": self.changes,
            "waiting_minutes": round(self.waiting_minutes, 1),
            "legs": [leg.to_dict() for leg in self.legs],
            "assumptions": self.assumptions,
        }


def assumptions(legs: tuple[Leg, ...] | list[Leg]) -> list[str]:
    """The basis notes of the legs on assumed trips, once each, in leg order."""
    notes = (leg.basis_note or f"{leg.route or leg.kind}: time assumed" for leg in legs if leg.basis == ASSUMED)
    return list(dict.fromkeys(notes))


def clock(seconds: int) -> str:
    """Seconds after midnight -> ``HH:MM`` (hours past 24 stay, as in GTFS: ``24:35``)."""
    minutes = int(round(seconds / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_clock(text: str, field: str = "a time") -> int:
    """``HH:MM`` (hours may pass 23) -> seconds after midnight; a :class:`BadInput` naming ``field`` otherwise."""
    problem = f"{field} is not HH:MM (hours 00 to 47, minutes 00 to 59)"
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
    except ValueError as exc:
        raise BadInput(problem) from exc
    if not (0 <= hours < 48 and 0 <= minutes < 60):
        raise BadInput(problem)
    return hours * 3600 + minutes * 60


@dataclass
class ServiceDays:
    """A timetable's compiled days and their time mirrors, each made once (by ``compile``) and shared by every
    planner on the timetable, whatever its walk limit or transfer cap; safe to use from several threads."""

    timetable: Timetable
    compile: Callable[[Timetable, date], CompiledDay] = compile_day
    _days: dict[tuple[date, bool], CompiledDay] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def day(self, when: date, mirrored: bool = False) -> CompiledDay:
        """The compiled day, or its time mirror."""
        key = (when, mirrored)
        if key not in self._days:
            with self._lock:  # one thread compiles; the others wait for its day
                if key not in self._days:
                    self._days[key] = self.day(when).mirrored() if mirrored else self.compile(self.timetable, when)
        return self._days[key]


@dataclass
class Planner:
    """Plans journeys on one timetable, walking on one walk network."""

    timetable: Timetable
    walker: Router
    walk_limit_m: float = WALK_LIMIT_M
    max_transfers: int = MAX_TRANSFERS
    service_days: InitVar[ServiceDays | None] = None
    days: ServiceDays = field(init=False, repr=False)
    """The timetable's compiled days: ``service_days`` when given (shared with other planners), else its own."""
    _walks: dict[tuple[float, float], dict[int, tuple[float, float]]] = field(default_factory=dict, repr=False)

    def __post_init__(self, service_days: ServiceDays | None) -> None:
        self.days = service_days if service_days is not None else ServiceDays(self.timetable)
        load_compiled()

    def day(self, when: date, mirrored: bool = False) -> CompiledDay:
        """The compiled day (cached), or its time mirror."""
        return self.days.day(when, mirrored)

    @cached_property
    def _crs(self) -> str:
        """Metres for walk radii: British National Grid in Great Britain, else the stops' UTM zone."""
        return metric_crs_for(self.timetable.stops[["lon", "lat"]].to_numpy(dtype=float))

    @cached_property
    def _stop_tree(self) -> tuple[cKDTree, np.ndarray]:
        lonlat = self.timetable.stops[["lon", "lat"]].to_numpy(dtype=float)
        east, north = transformer(WGS84, self._crs).transform(lonlat[:, 0], lonlat[:, 1])
        return cKDTree(np.column_stack([east, north])), lonlat

    def walks(self, lon: float, lat: float) -> dict[int, tuple[float, float]]:
        """Stops within the walk limit of a place: stop row -> (seconds, metres) over the walk network.

        Remembered per place, since a round trip asks for the same places several times.
        """
        key = (round(lon, 6), round(lat, 6))
        if key not in self._walks:
            if len(self._walks) >= WALK_CACHE_SIZE:
                del self._walks[next(iter(self._walks))]  # forget the oldest place
            self._walks[key] = self._walks_from(lon, lat)
        return self._walks[key]

    def nearest_stop(self, lon: float, lat: float) -> NearStop:
        """The timetable's stop nearest a place, and its straight-line metres."""
        tree, lonlat = self._stop_tree
        east, north = transformer(WGS84, self._crs).transform(lon, lat)
        metres, row = tree.query([east, north])
        name = str(self.timetable.stops["stop_name"].iloc[int(row)])
        return NearStop(name, float(metres), (float(lonlat[row, 0]), float(lonlat[row, 1])))

    def _walks_from(self, lon: float, lat: float) -> dict[int, tuple[float, float]]:
        tree, lonlat = self._stop_tree
        east, north = transformer(WGS84, self._crs).transform(lon, lat)
        near = np.asarray(tree.query_ball_point([east, north], self.walk_limit_m), dtype=int)
        if near.size == 0:
            return {}
        matrix = self.walker.many_to_many(
            np.asarray([[lon, lat]]), lonlat[near], with_metres=True, cutoff_s=self._walk_seconds(self.walk_limit_m)
        )
        assert matrix.metres is not None  # asked for with_metres
        seconds, metres = matrix.seconds[0], matrix.metres[0]
        keep = np.isfinite(seconds) & (metres <= self.walk_limit_m)
        return {
            int(stop): (float(s), float(m)) for stop, s, m in zip(near[keep], seconds[keep], metres[keep], strict=True)
        }

    def direct_walk(self, origin: tuple[float, float], destination: tuple[float, float]) -> tuple[float, float] | None:
        """(seconds, metres) of walking all the way, if short enough to offer."""
        (ox, oy), (dx, dy) = (transformer(WGS84, self._crs).transform(*point) for point in (origin, destination))
        if np.hypot(ox - dx, oy - dy) > DIRECT_WALK_LIMIT_M:  # no walk is shorter than the straight line
            return None
        matrix = self.walker.many_to_many(
            np.asarray([origin]),
            np.asarray([destination]),
            with_metres=True,
            cutoff_s=self._walk_seconds(DIRECT_WALK_LIMIT_M),
        )
        assert matrix.metres is not None  # asked for with_metres
        seconds, metres = float(matrix.seconds[0, 0]), float(matrix.metres[0, 0])
        return (seconds, metres) if np.isfinite(seconds) and metres <= DIRECT_WALK_LIMIT_M else None

    def _walk_seconds(self, metres: float) -> float:
        """Time to walk ``metres``: a search cut-off that cannot lose a walk within the limit."""
        return metres / (WALK_KPH / 3.6) + 1.0

    # --- queries ----------------------------------------------------------------------------

    def depart_at(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        when: date,
        time_s: int,
        ends: tuple[str, str] = ("origin", "destination"),
        arrive_by_s: int | None = None,
    ) -> Itinerary | None:
        """The earliest-arriving journey leaving ``origin`` at or after ``time_s``; ``None`` if none (or none
        arriving by ``arrive_by_s``, when given: the search then looks no further).

        ``ends`` names the origin and destination in the legs (for example ``("home", "venue")``).
        """
        compiled = self.day(when)
        access, egress = self.walks(*origin), self.walks(*destination)
        starts = {stop: time_s + int(np.ceil(s)) for stop, (s, _) in access.items()}
        onward = {stop: int(np.ceil(seconds)) for stop, (seconds, _) in egress.items()}
        before = INF if arrive_by_s is None else arrive_by_s + 1
        labels = earliest_arrival(compiled, starts, self.max_transfers, ends=onward, arrive_before=before)
        best = _best_ending(labels, egress)
        walk = self.direct_walk(origin, destination)
        if walk is not None and (best is None or time_s + walk[0] <= best[0]):
            return Itinerary(
                (
                    Leg(
                        "walk",
                        time_s,
                        time_s + int(np.ceil(walk[0])),
                        *ends,
                        metres=walk[1],
                        path=(origin, destination),
                    ),
                )
            )
        if best is None:
            return None
        _, round_number, stop = best
        return _itinerary(compiled, labels, round_number, stop, access, egress, ends, (origin, destination))

    def latest_departure(
        self, origin: tuple[float, float], destination: tuple[float, float], when: date, arrive_by_s: int
    ) -> int | None:
        """The latest time one can leave ``origin`` and still reach ``destination`` by ``arrive_by_s``."""
        mirror = self.day(when, mirrored=True)
        access, egress = self.walks(*origin), self.walks(*destination)
        starts = {stop: -arrive_by_s + int(np.ceil(s)) for stop, (s, _) in egress.items()}
        onward = {stop: int(np.ceil(seconds)) for stop, (seconds, _) in access.items()}
        labels = earliest_arrival(mirror, starts, self.max_transfers, ends=onward)
        best = _best_ending(labels, access)
        latest = None if best is None else -best[0]
        walk = self.direct_walk(origin, destination)
        if walk is not None:
            on_foot = arrive_by_s - int(np.ceil(walk[0]))
            latest = on_foot if latest is None else max(latest, on_foot)
        return latest

    def arrive_by(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        when: date,
        arrive_by_s: int,
        ends: tuple[str, str] = ("origin", "destination"),
    ) -> Itinerary | None:
        """The journey leaving latest that still arrives by ``arrive_by_s``; ``None`` if none does."""
        latest = self.latest_departure(origin, destination, when, arrive_by_s)
        if latest is None:
            return None
        journey = self.depart_at(origin, destination, when, latest, ends, arrive_by_s)
        return journey if journey is not None and journey.arrive <= arrive_by_s else None


def _best_ending(labels: Labels, ends: dict[int, tuple[float, float]]) -> tuple[int, int, int] | None:
    """(arrival at the place, round, stop) of the best label at a stop near it; fewer rounds on ties."""
    best = None
    for round_number in range(len(labels.by_vehicle)):
        arrival = labels.arrival(round_number)
        for stop, (seconds, _) in ends.items():
            if arrival[stop] < INF:
                total = int(arrival[stop] + np.ceil(seconds))
                if best is None or total < best[0]:
                    best = (total, round_number, stop)
    return best


def rides_ending(day: CompiledDay, labels: Labels, ends: dict[int, tuple[float, float]]) -> list[Leg]:
    """The vehicle legs of the best journey in ``labels`` to a stop of ``ends`` (none if no stop is reached), in
    the order they are ridden (on a mirrored day: in real time, their times negated)."""
    best = _best_ending(labels, ends)
    if best is None:
        return []
    legs, _ = _legs_back(day, labels, best[1], best[2])  # last first, which is first in real time on a mirror
    return [leg for leg in (legs if day.reversed else reversed(legs)) if leg.kind != "walk"]


def _itinerary(
    day: CompiledDay,
    labels: Labels,
    round_number: int,
    stop: int,
    access: dict[int, tuple[float, float]],
    egress: dict[int, tuple[float, float]],
    ends: tuple[str, str],
    places: tuple[tuple[float, float], tuple[float, float]],
) -> Itinerary:
    """Rebuild the legs ending at ``stop`` in ``round_number``, then add the walks at both ends."""
    seconds, metres = egress[stop]
    arrive = int(labels.arrival(round_number)[stop])
    last = Leg(
        "walk",
        arrive,
        arrive + int(np.ceil(seconds)),
        _name(day, stop),
        ends[1],
        metres=metres,
        path=(_at(day, stop), places[1]),
    )
    legs, stop = _legs_back(day, labels, round_number, stop)
    seconds, metres = access[stop]
    first = Leg(
        "walk", 0, int(np.ceil(seconds)), ends[0], _name(day, stop), metres=metres, path=(places[0], _at(day, stop))
    )
    return Itinerary(tuple(_just_in_time([first, *reversed(legs), last])))


def _legs_back(day: CompiledDay, labels: Labels, round_number: int, stop: int) -> tuple[list[Leg], int]:
    """The legs (last first) from a start stop to ``stop``'s label in ``round_number``, and that start stop."""
    legs: list[Leg] = []
    on_foot = labels.on_foot[round_number][stop] < labels.by_vehicle[round_number][stop]
    while True:
        if on_foot:
            walk = labels.walks[round_number][stop]
            if walk.source < 0:
                return legs, stop
            end = int(labels.on_foot[round_number][stop])
            legs.append(_walk_leg(day, walk, stop, end))
            stop, on_foot = walk.source, False
            if round_number == 0:  # the first transfer walk leaves a start stop
                return legs, stop
            continue
        ride = labels.rides[round_number][stop]
        legs.append(_ride_leg(day, ride))
        pattern = day.patterns[ride.pattern]
        stop, round_number = int(pattern.stops[ride.board]), round_number - 1
        on_foot = labels.on_foot[round_number][stop] <= pattern.departure[ride.trip, ride.board]


def _walk_leg(day: CompiledDay, walk: Walk, stop: int, end: int) -> Leg:
    return Leg(
        "walk",
        end - int(np.ceil(walk.seconds)),
        end,
        _name(day, walk.source),
        _name(day, stop),
        path=(_at(day, walk.source), _at(day, stop)),
    )


def _just_in_time(legs: list[Leg]) -> list[Leg]:
    """Walks before the first vehicle moved to end just as the next leg starts (leave as late as
    possible); with no vehicle at all, those before the last (the walk to the door, whose times
    are the label's)."""
    first = next((i for i, leg in enumerate(legs) if leg.kind != "walk"), len(legs) - 1)
    for index in range(first - 1, -1, -1):
        walk, start_next = legs[index], legs[index + 1].depart
        legs[index] = replace(walk, depart=start_next - (walk.arrive - walk.depart), arrive=start_next)
    return legs


def _ride_leg(day: CompiledDay, ride: Ride) -> Leg:
    pattern = day.patterns[ride.pattern]
    label = day.route_label(ride.pattern)
    run = str(pattern.trip_ids[ride.trip])
    basis, note = day.basis.get(run, (None, None))
    return Leg(
        label["mode"],
        int(pattern.departure[ride.trip, ride.board]),
        int(pattern.arrival[ride.trip, ride.alight]),
        _name(day, int(pattern.stops[ride.board])),
        _name(day, int(pattern.stops[ride.alight])),
        route=label["route"],
        operator=label["operator"],
        stops=ride.alight - ride.board,
        trip_id=run,
        basis=basis,
        basis_note=note,
        path=tuple(_at(day, int(s)) for s in pattern.stops[ride.board : ride.alight + 1]),
    )


def _name(day: CompiledDay, stop: int) -> str:
    return str(day.stop_names[stop])


def _at(day: CompiledDay, stop: int) -> tuple[float, float]:
    lon, lat = day.stop_lonlat[stop]
    return float(lon), float(lat)
