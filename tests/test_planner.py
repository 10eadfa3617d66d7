"""Door-to-door public transport journeys and session round trips on a small known timetable."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from geoaccess.geocode import geocode
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.router import Router
from geoaccess.transit.planner import Planner, clock, parse_clock
from geoaccess.transit.roundtrip import round_trip
from geoaccess.transit.timetable import Timetable

THURSDAY = date(2026, 11, 26)
CARLISLE = ("9100CARLILE", "Carlisle Rail Station", -2.933047, 54.890257)
PENRITH = ("9100PENRITH", "Penrith Rail Station", -2.758803, 54.661997)


def hm(text: str) -> int:
    return parse_clock(text)


def timetable(last_back: str = "21:40", extra_trips: list[tuple[str, str, str, str]] = ()) -> Timetable:
    """Hourly trains Carlisle -> Penrith (18 min) from 07:00 to 21:00, and back from 07:40 to ``last_back``."""
    stops = pd.DataFrame(
        [CARLISLE[:2] + CARLISLE[2:], PENRITH[:2] + PENRITH[2:]], columns=["stop_id", "stop_name", "lon", "lat"]
    )
    routes = pd.DataFrame(
        {
            "route_id": ["wcml"],
            "agency_name": ["Avanti West Coast"],
            "route_short_name": [""],
            "route_long_name": ["Carlisle - Penrith"],
            "route_type": [2],
        }
    )
    trips, calls = [], []
    runs = [(f"s{h}", CARLISLE[0], PENRITH[0], f"{h:02d}:00") for h in range(7, 22)]
    back = [(f"n{h}", PENRITH[0], CARLISLE[0], f"{h:02d}:40") for h in range(7, 24) if f"{h:02d}:40" <= last_back]
    for trip, start, end, leave in [*runs, *back, *extra_trips]:
        trips.append({"trip_id": trip, "route_id": "wcml", "service_id": "weekdays", "trip_headsign": ""})
        calls.append(
            {"trip_id": trip, "stop_sequence": 1, "stop_id": start, "arrival_s": hm(leave), "departure_s": hm(leave)}
        )
        calls.append(
            {
                "trip_id": trip,
                "stop_sequence": 2,
                "stop_id": end,
                "arrival_s": hm(leave) + 18 * 60,
                "departure_s": hm(leave) + 18 * 60,
            }
        )
    calendar = pd.DataFrame(
        {
            "service_id": ["weekdays"],
            "monday": [1],
            "tuesday": [1],
            "wednesday": [1],
            "thursday": [1],
            "friday": [1],
            "saturday": [0],
            "sunday": [0],
            "start_date": [20260101],
            "end_date": [20271231],
        }
    )
    return Timetable(
        stops=stops,
        routes=routes,
        trips=pd.DataFrame(trips),
        stop_times=pd.DataFrame(calls),
        calendar=calendar,
        provenance={"timetable": "test", "valid_from": "2026-01-01", "valid_to": "2027-12-31", "modelled": False},
    )


@pytest.fixture(scope="module")
def walker(pack) -> Router:
    return Router(RoadNetwork.load(pack.path / "roads" / "proxy-walk"))


def place(text: str, pack) -> tuple[float, float]:
    location = geocode(text, pack)
    return location.lon, location.lat


def test_walk_train_walk(walker, pack):
    planner = Planner(timetable(), walker)
    journey = planner.depart_at(place("CA1 1QS", pack), place("CA11 7HW", pack), THURSDAY, hm("09:50"))
    kinds = [leg.kind for leg in journey.legs]
    assert kinds == ["walk", "train", "walk"]
    train = journey.legs[1]
    assert (clock(train.depart), clock(train.arrive)) == ("10:00", "10:18")
    assert train.operator == "Avanti West Coast"
    assert journey.legs[0].arrive <= train.depart  # walked to the station in time
    assert journey.changes == 0 and journey.minutes < 60


def test_arrive_by_leaves_as_late_as_possible(walker, pack):
    planner = Planner(timetable(), walker)
    home, venue = place("CA1 1QS", pack), place("CA11 7HW", pack)
    journey = planner.arrive_by(home, venue, THURSDAY, hm("17:50"))
    assert clock(journey.legs[1].depart) == "17:00"  # the 18:00 train would be too late
    assert journey.arrive <= hm("17:50")
    assert planner.latest_departure(home, venue, THURSDAY, hm("17:50")) == journey.depart


def test_no_trains_on_sunday(walker, pack):
    planner = Planner(timetable(), walker)
    assert planner.depart_at(place("CA1 1QS", pack), place("CA11 7HW", pack), date(2026, 11, 29), hm("09:00")) is None


def test_round_trip_flags(walker, pack):
    home, venue = place("CA1 1QS", pack), place("CA11 7HW", pack)
    works = round_trip(Planner(timetable(), walker), home, venue, THURSDAY, hm("18:00"), hm("20:30")).to_dict()
    assert works["feasible"] and works["flags"] == []
    assert works["return"]["legs"][1]["depart"] == "20:40"
    stranded = round_trip(
        Planner(timetable(last_back="20:00"), walker), home, venue, THURSDAY, hm("18:00"), hm("20:30")
    ).to_dict()
    assert not stranded["feasible"] and stranded["flags"] == ["no_return_same_day"]
    assert stranded["outbound"] is not None
    too_early = round_trip(Planner(timetable(), walker), home, venue, THURSDAY, hm("06:30"), hm("08:00")).to_dict()
    assert "no_outbound" in too_early["flags"]


def test_late_train_home_is_flagged(walker, pack):
    late = timetable(last_back="19:00", extra_trips=[("late", PENRITH[0], CARLISLE[0], "23:10")])
    result = round_trip(
        Planner(late, walker), place("CA1 1QS", pack), place("CA11 7HW", pack), THURSDAY, hm("20:00"), hm("22:30")
    ).to_dict()
    assert result["feasible"] and "home_after_2300" in result["flags"]


def test_a_train_past_midnight_belongs_to_its_service_day(walker, pack):
    night = timetable(last_back="19:00", extra_trips=[("owl", PENRITH[0], CARLISLE[0], "24:20")])
    planner = Planner(night, walker)
    journey = planner.depart_at(place("CA11 7HW", pack), place("CA1 1QS", pack), THURSDAY, hm("23:00"))
    assert clock(journey.legs[1].depart) == "24:20"
    # and it is there early on Friday, as the previous day's train
    friday = planner.depart_at(place("CA11 7HW", pack), place("CA1 1QS", pack), date(2026, 11, 27), hm("00:01"))
    assert clock(friday.legs[1].depart) == "00:20"


def test_a_short_trip_is_walked(walker, pack):
    planner = Planner(timetable(), walker)
    journey = planner.depart_at(place("CA3 8DR", pack), place("CA1 1QS", pack), THURSDAY, hm("10:00"))
    assert [leg.kind for leg in journey.legs] == ["walk"]


def test_departure_window_profile_matches_minute_by_minute_searches(walker, pack):
    from geoaccess.transit.profiles import window_matrix

    planner = Planner(timetable(), walker)
    origins = [place("CA1 1QS", pack), place("CA3 8DR", pack)]
    destination = [place("CA11 7HW", pack)]
    window = window_matrix(
        planner, np.asarray(origins), np.asarray(destination), THURSDAY, hm("07:00"), hm("09:00"), step_s=300
    )
    for row, origin in enumerate(origins):
        minutes = []
        for leave in window.departures:
            journey = planner.depart_at(origin, destination[0], THURSDAY, int(leave))
            minutes.append((journey.arrive - leave) / 60)
        assert window.median[row, 0] == pytest.approx(float(np.median(minutes)), abs=0.02)
        assert window.best[row, 0] == pytest.approx(min(minutes), abs=0.02)
