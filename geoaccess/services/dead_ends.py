"""Why there is no journey, in words and in JSON, for the journey and round-trip use cases, the API and the pages.

A dead end is explained by the timetable's stop nearest each end (and whether it is within the walk limit), the
real NaPTAN stops near the home (or origin) that the timetable does not serve, the journey that was missed (the
first arrival after the time needed, or the last departure before the time asked) and the car as the
alternative. Only stop names and distances are given: never a postcode or a position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from geoaccess.analysis.stop_coverage import BUS_STOP_TYPES
from geoaccess.errors import NoRoute
from geoaccess.geometry import haversine_m
from geoaccess.pack import load_pack
from geoaccess.transit.planner import Itinerary, Leg, Planner, clock
from geoaccess.transit.roundtrip import RoundTrip
from geoaccess.transit.sources import DataChoice
from geoaccess.weekdays import WEEKDAYS

UNSERVED_RADIUS_M = 800.0
"""Real stops this close to the home are counted when the timetable does not serve them."""
DISTANCE_BAND_M = 100
"""Distances from a home to named stops are given to the nearest 100 m, so they do not place the home."""
DAY_END_S = 47 * 3600 + 59 * 60
"""The latest arrival a service day's journeys may have (hours past 24 are after midnight)."""

Point = tuple[float, float]


class NoJourney(NoRoute):
    """No public transport journey, with the explanation (:func:`explain_journey`) as ``dead_end``."""

    def __init__(self, message: str, dead_end: dict[str, Any]) -> None:
        super().__init__(f"{message}: {'; '.join(dead_end['why'])}")
        self.dead_end = dead_end


@dataclass(frozen=True)
class Ends:
    """The two ends of the journeys asked for: their names (``home``, ``venue``...) and positions."""

    names: tuple[str, str]
    points: tuple[Point, Point]


def explain_journey(
    planner: Planner,
    ends: Ends,
    when: date,
    *,
    depart_at_s: int | None = None,
    arrive_by_s: int | None = None,
    data: DataChoice | None = None,
) -> dict[str, Any]:
    """Why no journey leaves at ``depart_at_s`` (or arrives by ``arrive_by_s``) on ``when``."""
    if arrive_by_s is not None:
        missed = first_arrival(planner, ends, when, arrive_by_s, f"{clock(arrive_by_s)}, the time asked")
    else:
        missed = last_departure(planner, ends, when, depart_at_s or 0, f"{clock(depart_at_s or 0)}, the time asked")
    return _explained(planner, ends, [missed], data)


def explain_round_trip(
    planner: Planner, trip: RoundTrip, home: Point, venue: Point, data: DataChoice | None = None
) -> dict[str, Any] | None:
    """Why a round trip has no way there in time or no way home the same day; ``None`` when it has both."""
    if trip.feasible:
        return None
    there, back = Ends(("home", "venue"), (home, venue)), Ends(("venue", "home"), (venue, home))
    missed = []
    if trip.outbound is None:
        deadline = trip.start_s - trip.margin_min * 60
        needed = f"the {clock(trip.start_s)} start" + (
            f" (arriving {trip.margin_min} minutes early: by {clock(deadline)})" if trip.margin_min else ""
        )
        missed.append(first_arrival(planner, there, trip.when, deadline, needed))
    if trip.home_again is None:
        missed.append(last_departure(planner, back, trip.when, trip.end_s, f"the session ended at {clock(trip.end_s)}"))
    return _explained(planner, there, missed, data)


def first_arrival(planner: Planner, ends: Ends, when: date, needed_s: int, needed: str) -> dict[str, Any]:
    """The earliest arrival at the far end that day, against the time needed (``needed_s``, in words ``needed``).
    An end with no stop within the walk limit is replaced by the timetable's stop nearest it."""
    reached = _reachable(planner, ends)
    journey = planner.depart_at(*reached.points, when, 0, reached.names)
    vehicle = _first_vehicle(journey)
    if journey is None:
        words = f"no public transport journey goes from {reached.names[0]} to {reached.names[1]} on {_weekday(when)}"
    else:
        words = (
            f"the first arrival from {reached.names[0]} at {reached.names[1]} is {clock(journey.arrive)}"
            + (f" (the {vehicle.kind} from {vehicle.start} at {clock(vehicle.depart)})" if vehicle else "")
            + (f", after {needed}" if journey.arrive > needed_s else f", in time for {needed}")
        )
    return _missed(
        "first_arrival", None if journey is None else journey.arrive, "needed_by", needed_s, reached, vehicle, words
    )


def last_departure(planner: Planner, ends: Ends, when: date, needed_s: int, needed: str) -> dict[str, Any]:
    """The latest journey from the near end that day against the time it is needed after (``needed_s``, in words
    ``needed``): its first vehicle names the stop and time. An end with no stop within the walk limit is replaced
    by the timetable's stop nearest it."""
    reached = _reachable(planner, ends)
    journey = planner.arrive_by(*reached.points, when, DAY_END_S, reached.names)
    vehicle = _first_vehicle(journey)
    if vehicle is None:
        words = f"no public transport journey goes from {reached.names[0]} to {reached.names[1]} on {_weekday(when)}"
    else:
        assert journey is not None  # it has a vehicle
        late = journey.depart < needed_s  # setting off from the near end, walk to the stop included
        words = f"the last {vehicle.kind} from {vehicle.start} towards {reached.names[1]} " + (
            f"left at {clock(vehicle.depart)} (setting off by {clock(journey.depart)}), before {needed}"
            if late
            else f"leaves at {clock(vehicle.depart)}"
        )
    return _missed(
        "last_departure", None if vehicle is None else vehicle.depart, "needed_after", needed_s, reached, vehicle, words
    )


def _missed(
    kind: str, at_s: int | None, needed_key: str, needed_s: int, ends: Ends, vehicle: Leg | None, words: str
) -> dict[str, Any]:
    """A journey missed in JSON: its kind, the time found and the time needed, between which ends, in words."""
    return {
        "kind": kind,
        "at": None if at_s is None else clock(at_s),
        needed_key: clock(needed_s),
        "between": list(ends.names),
        "vehicle": None
        if vehicle is None
        else {"mode": vehicle.kind, "from": vehicle.start, "depart": clock(vehicle.depart)},
        "text": words,
    }


def _reachable(planner: Planner, ends: Ends) -> Ends:
    """The ends, each named "the home"..., or where no stop is within the walk limit of one, the timetable's stop
    nearest it, named "<stop> (the stop nearest the home)"."""
    names, points = [], []
    for name, point in zip(ends.names, ends.points, strict=True):
        if planner.walks(*point):
            names.append(f"the {name}")
            points.append(point)
        else:
            stop = planner.nearest_stop(*point)
            names.append(f"{stop.name} (the stop nearest the {name})")
            points.append(stop.point)
    return Ends((names[0], names[1]), (points[0], points[1]))


def _explained(planner: Planner, ends: Ends, missed: list[dict[str, Any]], data: DataChoice | None) -> dict[str, Any]:
    """The stops at both ends, the unserved real stops near the first, the journeys missed and the car."""
    (first, second), (near, far) = ends.names, ends.points
    stops = {first: stop_reach(planner, near, first), second: stop_reach(planner, far, second)}
    unserved = unserved_stops(planner, near, first)
    car = car_alternative(data or DataChoice(), near, far)
    why = [stops[first]["text"], stops[second]["text"], unserved["text"], *(m["text"] for m in missed), car["text"]]
    return {"stops": stops, "unserved_stops": unserved, "missed": missed, "car": car, "why": why}


def stop_reach(planner: Planner, point: Point, name: str) -> dict[str, Any]:
    """The timetable's stop nearest ``point``, its straight-line distance, and whether one is within the walk
    limit on foot."""
    stop, metres, _ = planner.nearest_stop(*point)
    walks = planner.walks(*point)
    limit_km = f"{planner.walk_limit_m / 1000:g} km"
    if walks:
        on_foot = min(m for _, m in walks.values())
        reach = f"a stop is within the {limit_km} walk limit ({_distance(on_foot)} on foot)"
    else:
        reach = f"no stop is within the {limit_km} walk limit on foot"
    return {
        "nearest": stop,
        "metres": _banded(metres),
        "within_walk_limit": bool(walks),
        "walk_limit_metres": round(planner.walk_limit_m),
        "text": f"the timetable's stop nearest the {name} is {stop}, {_distance(metres)} away in a straight line; "
        + reach,
    }


def unserved_stops(planner: Planner, point: Point, name: str) -> dict[str, Any]:
    """Active NaPTAN stops within :data:`UNSERVED_RADIUS_M` of ``point`` that the timetable has no stop for."""
    stops = _naptan()
    metres = haversine_m(point[0], point[1], stops["lon"].to_numpy(), stops["lat"].to_numpy())
    near = (metres <= UNSERVED_RADIUS_M) & ~stops["atco"].isin(planner.timetable.stops["stop_id"]).to_numpy()
    count = int(near.sum())
    nearest = None
    words = f"no real (NaPTAN) stop within {UNSERVED_RADIUS_M:.0f} m of the {name} is left out of the timetable"
    if count:
        row = int(np.flatnonzero(near)[np.argmin(metres[near])])
        nearest = {"name": str(stops["label"].iloc[row]), "metres": _banded(float(metres[row]))}
        words = (
            f"{count} real (NaPTAN) stop{'s' if count != 1 else ''} within {UNSERVED_RADIUS_M:.0f} m of the {name} "
            f"{'are' if count != 1 else 'is'} not served by this timetable; the nearest is {nearest['name']}, "
            f"{_distance(float(metres[row]))} away"
        )
    return {"within_metres": round(UNSERVED_RADIUS_M), "count": count, "nearest": nearest, "text": words}


def car_alternative(data: DataChoice, origin: Point, destination: Point) -> dict[str, Any]:
    """Minutes by car on the road network in use, and whether that network is modelled."""
    car = data.router("car")
    modelled = bool(car.network.provenance.get("modelled"))
    points = np.asarray([origin, destination])
    seconds = np.inf
    if car.reaches(points[:, 0], points[:, 1]).all():
        seconds = float(car.many_to_many(points[:1], points[1:]).seconds[0, 0])
    if not np.isfinite(seconds):
        return {"minutes": None, "modelled": modelled, "text": "the road network in use does not join the two by car"}
    minutes = round(seconds / 60, 1)
    network = "MODELLED road network" if modelled else "road network"
    calibration = car.network.provenance.get("calibration") or {}
    error = calibration.get("median_abs_pct_error")
    quality = f", calibrated: median error {error}%" if error is not None else ""
    return {
        "minutes": minutes,
        "modelled": modelled,
        "median_abs_pct_error": error,
        "text": f"by car it takes {minutes:.0f} min ({network}{quality})",
    }


@lru_cache(maxsize=1)
def _naptan() -> pd.DataFrame:
    """The pack's active NaPTAN bus stops: ``atco``, ``label`` (locality, name and indicator), ``lon``, ``lat``."""
    stops = load_pack().stops
    stops = stops[stops["stop_type"].isin(BUS_STOP_TYPES)]  # a bus could serve them (stations are 9100 codes)
    label = stops["name"].astype(str)
    locality = stops["locality"].fillna("").astype(str)
    indicator = stops["indicator"].fillna("").astype(str)
    label = np.where(locality != "", locality + ", " + label, label)
    label = np.where(indicator != "", label + " (" + indicator + ")", label)
    return pd.DataFrame({"atco": stops["atco"].astype(str), "label": label, "lon": stops["lon"], "lat": stops["lat"]})


def _first_vehicle(journey: Itinerary | None) -> Leg | None:
    """The journey's first vehicle leg, if it has one."""
    return next((leg for leg in (journey.legs if journey else ()) if leg.kind != "walk"), None)


def _banded(metres: float) -> int:
    """Metres to the nearest 100 (at least 100): distances from a home to named stops must not place it."""
    return max(DISTANCE_BAND_M, int(round(metres / DISTANCE_BAND_M)) * DISTANCE_BAND_M)


def _distance(metres: float) -> str:
    if metres >= 1000:
        return f"{metres / 1000:.1f} km"
    return "under 100 m" if metres < DISTANCE_BAND_M else f"about {_banded(metres)} m"


def _weekday(when: date) -> str:
    return WEEKDAYS[when.weekday()].title()
