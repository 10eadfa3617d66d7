"""The modelled default Cumbrian timetable built from the cited facts (geoaccess.build.timetable_model)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta

import pandas as pd
import pytest

from geoaccess.build.bus_model import town_stop
from geoaccess.build.rail_model import calling_pattern
from geoaccess.build.timetable_model import modelled_timetable, parse_times
from geoaccess.errors import BadInput
from geoaccess.roads.sources import router_for
from geoaccess.transit.timetable import COLUMNS, Timetable

VALID_FROM, VALID_TO = date(2026, 12, 1), date(2027, 11, 30)
WEDNESDAY, SATURDAY, SUNDAY = date(2027, 1, 13), date(2027, 1, 16), date(2027, 1, 17)
CARLISLE = "9100CARLILE"


def build(shared, pack) -> tuple[Timetable, list[str]]:
    return modelled_timetable(
        shared / "facts",
        shared / "data/rail/atoc_2020_sample_scheduled_run_times_bbox.csv",
        pack.stations,
        pack.stops,
        router_for("car").network,
        valid_from=VALID_FROM,
        valid_to=VALID_TO,
    )


@pytest.fixture(scope="module")
def model(shared_source, pack) -> tuple[Timetable, list[str]]:
    return build(shared_source, pack)


@pytest.fixture(scope="module")
def timetable(model) -> Timetable:
    return model[0]


def departures(timetable: Timetable, route_id: str, stop_id: str, day: date) -> list[int]:
    """Departure seconds from ``stop_id`` on ``day`` of trips of ``route_id`` that go on from there."""
    trips = timetable.trips[
        (timetable.trips["route_id"] == route_id) & timetable.trips["service_id"].isin(timetable.services_on(day))
    ]
    times = timetable.stop_times[timetable.stop_times["trip_id"].isin(trips["trip_id"])]
    last = times.groupby("trip_id")["stop_sequence"].transform("max")
    return sorted(times.loc[(times["stop_id"] == stop_id) & (times["stop_sequence"] < last), "departure_s"])


def test_the_model_is_a_valid_timetable(timetable):
    rebuilt = Timetable(**{f.name: getattr(timetable, f.name) for f in fields(Timetable)})
    assert len(rebuilt.trips) == len(timetable.trips) > 0
    assert timetable.trips["trip_id"].is_unique
    assert set(timetable.routes["route_type"]) == {2, 3}
    assert timetable.provenance["timetable"] == "modelled" and timetable.provenance["modelled"] is True
    assert timetable.provenance["valid_from"] == VALID_FROM.isoformat()
    assert list(timetable.stop_times.columns) == list(COLUMNS["stop_times"])


def test_every_stop_used_exists_and_is_naptan(timetable, pack):
    used = set(timetable.stop_times["stop_id"])
    assert used <= set(timetable.stops["stop_id"])
    assert used <= set(pack.stations["atco"]) | set(pack.stops["atco"])
    rail_trips = timetable.trips.merge(timetable.routes.query("route_type == 2"), on="route_id")["trip_id"]
    rail_stops = timetable.stop_times.loc[timetable.stop_times["trip_id"].isin(rail_trips), "stop_id"]
    assert rail_stops.str.startswith("9100").all()


RAIL_ROUTES = {
    "Cumbrian Coast": "cumbrian-coast",
    "Furness": "furness-line",
    "Lakes": "lakes-line",
    "West Coast Main Line - Avanti": "avanti-west-coast",
    "West Coast Main Line - TransPennine": "transpennine-express",
    "Settle": "settle-carlisle",
    "Tyne Valley": "tyne-valley",
    "Glasgow South Western": "glasgow-south-western",
}


def test_every_positioned_station_of_each_calling_pattern_is_served(timetable, shared_source, pack):
    rail = pd.read_csv(shared_source / "facts/rail_service_patterns.csv", dtype=str)
    atco = pack.stations.set_index("crs")["atco"]
    stop_times = timetable.stop_times.merge(timetable.trips, on="trip_id")
    served = {route: set(ids) for route, ids in stop_times.groupby("route_id")["stop_id"]}
    assert len(rail) == len(RAIL_ROUTES)
    for service, pattern in zip(rail["service"], rail["calling_pattern"], strict=True):
        route = next(f"rail:{route}" for prefix, route in RAIL_ROUTES.items() if service.startswith(prefix))
        crs, _ = calling_pattern(pattern, pack.stations)
        assert len(crs) >= 4, pattern
        assert {atco[code] for code in crs} <= served[route], service
    coast, _ = calling_pattern(rail["calling_pattern"].iloc[0], pack.stations)
    assert len(coast) == 26


def test_times_increase_along_every_trip(timetable):
    """Strictly between stations; buses may reach the next of two close stops in the same minute."""
    times = timetable.stop_times.sort_values(["trip_id", "stop_sequence"])
    assert (times["departure_s"] >= times["arrival_s"]).all()
    following = times.groupby("trip_id")["arrival_s"].shift(-1)
    has_next = following.notna()
    rail = times["trip_id"].str.startswith("rail:")
    assert (following[has_next & rail] > times.loc[has_next & rail, "departure_s"]).all()
    assert (following[has_next] >= times.loc[has_next, "departure_s"]).all()


def test_carlisle_to_barrow_on_the_coast_takes_about_150_minutes(timetable):
    trips = timetable.trips[timetable.trips["route_id"] == "rail:cumbrian-coast"]["trip_id"]
    times = timetable.stop_times[timetable.stop_times["trip_id"].isin(trips)]
    ends = times.groupby("trip_id").agg(
        first=("stop_id", "first"), last=("stop_id", "last"), start=("departure_s", "min"), end=("arrival_s", "max")
    )
    through = ends[(ends["first"] == CARLISLE) & (ends["last"] == "9100BAROW")]
    assert not through.empty
    assert ((through["end"] - through["start"]) / 60).between(140, 165).all()


def test_settle_carlisle_last_train_from_carlisle_is_2018(timetable):
    for day in (WEDNESDAY, SATURDAY):
        times = departures(timetable, "rail:settle-carlisle", CARLISLE, day)
        assert max(times) == 20 * 3600 + 18 * 60
        assert len(times) == 8


def test_sunday_services_differ_where_the_facts_say_so(timetable):
    assert len(departures(timetable, "rail:settle-carlisle", CARLISLE, SUNDAY)) == 6
    assert departures(timetable, "bus:x6", departures_stop(timetable, "bus:x6"), SUNDAY) == []
    weekday_coast = departures(timetable, "rail:cumbrian-coast", "9100WHITHVN", WEDNESDAY)
    sunday_coast = departures(timetable, "rail:cumbrian-coast", "9100WHITHVN", SUNDAY)
    assert min(sunday_coast) > min(weekday_coast) and len(sunday_coast) < len(weekday_coast)
    lancaster = departures_stop(timetable, "bus:555")
    assert len(departures(timetable, "bus:555", lancaster, SUNDAY)) < len(
        departures(timetable, "bus:555", lancaster, WEDNESDAY)
    )


def departures_stop(timetable: Timetable, route_id: str) -> str:
    """The first stop of the route's first forward trip."""
    trip = timetable.trips[
        (timetable.trips["route_id"] == route_id) & timetable.trips["trip_id"].str.contains(":forward:")
    ]["trip_id"].iloc[0]
    times = timetable.stop_times[timetable.stop_times["trip_id"] == trip]
    return times.sort_values("stop_sequence")["stop_id"].iloc[0]


def test_calendar_covers_the_validity_range(timetable):
    for day in (VALID_FROM, VALID_TO, VALID_FROM + timedelta(days=100)):
        assert timetable.services_on(day), day
    assert not timetable.services_on(VALID_TO + timedelta(days=1))
    assert timetable.services_on(date(2027, 8, 4)) >= {"MF", "JAS-MS"}
    assert "JAS-MS" not in timetable.services_on(WEDNESDAY)


def test_assumptions_name_every_service(model):
    timetable, assumptions = model
    assert timetable.provenance["assumptions"] == len(assumptions) > 20
    text = "\n".join(assumptions)
    for name in timetable.routes["route_short_name"]:
        assert name in text
    for unmodelled in ("Blueworks", "X35", "Saturday", "Sunday", "20:18", "Through running"):
        assert unmodelled in text


def test_the_build_is_deterministic(model, shared_source, pack):
    again = build(shared_source, pack)
    assert again[1] == model[1]
    for table in COLUMNS:
        pd.testing.assert_frame_equal(getattr(again[0], table), getattr(model[0], table))


def test_departure_times_parse():
    assert parse_times("06:00-08:00/60, 20:18, 24:15") == [360, 420, 480, 1218, 1455]
    with pytest.raises(BadInput):
        parse_times("06:00-07:30/60")


def test_a_town_stop_is_its_bus_station_else_the_stop_nearest_the_centre():
    stops = pd.DataFrame(
        {
            "atco": ["a", "b", "c", "d"],
            "name": ["A", "B", "C", "D"],
            "locality": ["Town"] * 3 + ["Village"],
            "stop_type": ["BCT", "BCS", "BCT", "BCT"],
            "lon": [-3.0, -3.1, -3.02, -2.0],
            "lat": [54.0, 54.1, 54.0, 54.0],
        }
    )
    assert town_stop("Town", stops)["atco"] == "b"
    assert town_stop("Town", stops[stops["atco"] != "b"])["atco"] in {"a", "c"}
    assert town_stop("Village", stops)["atco"] == "d"
    with pytest.raises(BadInput):
        town_stop("Nowhere", stops)
