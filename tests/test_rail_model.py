"""The modelled rail services (geoaccess.build.rail_model) against the 2020 ATOC CIF sample and the facts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geoaccess.build import rail_patterns
from geoaccess.build.model_parts import Timing
from geoaccess.build.rail_model import INTERCHANGES, MIN_CONNECTION_MIN, RAIL_SERVICES, rail_transfers
from geoaccess.build.timetable_model import modelled_timetable, parse_times
from geoaccess.roads.sources import router_for
from geoaccess.transit.compiled import compile_day
from geoaccess.transit.timetable import Timetable

WEDNESDAY = date(2027, 1, 13)
DAYS = {"MF": WEDNESDAY, "SA": date(2027, 1, 16), "SU": date(2027, 1, 17)}


@pytest.fixture(scope="module")
def timetable(shared_source, pack) -> Timetable:
    timetable, _ = modelled_timetable(
        shared_source / "facts",
        shared_source / "data/rail/atoc_2020_sample_scheduled_run_times_bbox.csv",
        pack.stations,
        pack.stops,
        router_for("car").network,
        valid_from=date(2026, 12, 1),
        valid_to=date(2027, 11, 30),
    )
    return timetable


@pytest.fixture(scope="module")
def sample(shared_source, pack) -> Timetable:
    return rail_patterns.sample_timetable(shared_source, pack.stations)


def model_calls(timetable: Timetable, route: str, day: str, pack) -> pd.DataFrame:
    """The model's calls of ``rail:<route>`` on ``day``, shaped like :func:`rail_patterns.calls`."""
    trips = timetable.trips[(timetable.trips["route_id"] == f"rail:{route}") & (timetable.trips["service_id"] == day)]
    frame = timetable.stop_times[timetable.stop_times["trip_id"].isin(trips["trip_id"])]
    crs = pack.stations.set_index("atco")["crs"]
    return frame.assign(crs=frame["stop_id"].map(crs), minute=frame["departure_s"] // 60)


def share(counts: tuple[int, int]) -> float:
    return counts[0] / counts[1]


def test_penrith_calls_follow_the_cif_sample(timetable, sample, pack):
    avanti = rail_patterns.calls(sample, "MF", pack.stations, "Avanti")
    assert rail_patterns.calling_share(avanti, "PNR", ("CAR", "PRE")) == (3, 7)
    modelled = model_calls(timetable, "avanti-west-coast", "MF", pack)
    assert share(rail_patterns.calling_share(modelled, "PNR", ("CAR", "PRE"))) == pytest.approx(3 / 7, abs=0.1)
    # The sample has no weekday TransPennine train: the model follows its Saturday.
    assert rail_patterns.calling_share(
        rail_patterns.calls(sample, "MF", pack.stations, "TransPennine"), "PNR", ("CAR", "PRE")
    ) == (0, 0)
    saturday = rail_patterns.calling_share(
        rail_patterns.calls(sample, "SA", pack.stations, "TransPennine"), "PNR", ("CAR", "PRE")
    )
    modelled = model_calls(timetable, "transpennine-express", "MF", pack)
    assert share(rail_patterns.calling_share(modelled, "PNR", ("CAR", "PRE"))) == pytest.approx(
        share(saturday), abs=0.1
    )
    for route in ("avanti-west-coast", "transpennine-express"):
        every = rail_patterns.calling_share(model_calls(timetable, route, "MF", pack), "OXN", ("CAR", "PRE"))
        assert every[0] < every[1], route


@pytest.mark.parametrize("day", ["MF", "SA"])
def test_coast_trains_leave_carlisle_at_the_cif_times(timetable, sample, pack, day):
    cif = rail_patterns.departures(rail_patterns.calls(sample, day, pack.stations, "Northern"), "CAR", "WKG")
    modelled = rail_patterns.departures(model_calls(timetable, "cumbrian-coast", day, pack), "CAR", "WKG")
    assert modelled == cif
    assert {minute % 60 for minute in modelled} != {0}


def test_the_last_coast_train_towards_barrow_is_the_cifs(timetable, sample, pack):
    cif = rail_patterns.calls(sample, "MF", pack.stations, "Northern")
    modelled = model_calls(timetable, "cumbrian-coast", "MF", pack)
    last = max(rail_patterns.departures(cif, "WTH", "BIF"))
    assert last == 20 * 60 + 18
    assert max(rail_patterns.departures(modelled, "WTH", "BIF")) == last
    assert rail_patterns.departures(modelled, "CAR", "BIF") == []  # the sample's week has no through train
    runs = modelled[modelled["crs"].isin(["CAR", "WTH"])].pivot(index="trip_id", columns="crs", values="minute")
    runs = runs.dropna().query("CAR < WTH")  # Carlisle-Whitehaven trains: minute leaving Carlisle, reaching Whitehaven
    in_time = runs[runs["WTH"] + MIN_CONNECTION_MIN["station"] <= last]
    assert in_time["CAR"].max() < 20 * 60  # no invented 20:00 or 22:00 to Barrow
    assert in_time["CAR"].max() in rail_patterns.departures(cif, "CAR", "WKG")


def stop_of(timing: Timing, keys: list[str]) -> str:
    """The key of the stop a timing's times are given at."""
    return timing.at or timing.first or keys[0]


def service_keys(timetable: Timetable, name: str, direction: str, pack) -> list[str]:
    """The route's stops (CRS) in the order of ``direction``, from its longest trip that way."""
    trips = timetable.trips[timetable.trips["trip_id"].str.contains(f":{direction}:")]
    trips = trips[trips["route_id"] == timetable.routes.set_index("route_short_name").loc[name, "route_id"]]
    times = timetable.stop_times[timetable.stop_times["trip_id"].isin(trips["trip_id"])]
    longest = times.groupby("trip_id").size().idxmax()
    crs = pack.stations.set_index("atco")["crs"]
    return list(times[times["trip_id"] == longest].sort_values("stop_sequence")["stop_id"].map(crs))


def timed(timetable: Timetable, basis: str, pack):
    """(service, timing, departure minute, station, model calls) for every departure of that basis."""
    for service in RAIL_SERVICES:
        for direction, timings in (("forward", service.forward), ("backward", service.backward)):
            keys = service_keys(timetable, service.name, direction, pack)
            for timing in timings:
                if timing.basis == basis and timing.origin_total is None:
                    for day in timing.days:
                        route = timetable.routes.set_index("route_short_name").loc[service.name, "route_id"]
                        calls = model_calls(timetable, route.removeprefix("rail:"), day, pack)
                        for minute in parse_times(timing.times):
                            yield service, timing, day, minute, stop_of(timing, keys), calls


def test_cif_departures_are_in_the_sample_and_the_model(timetable, sample, pack):
    samples = {day: rail_patterns.calls(sample, day, pack.stations) for day in rail_patterns.SAMPLE_DAYS}
    checked = 0
    for service, _, day, minute, station, calls in timed(timetable, "cif", pack):
        in_sample = samples[day]
        assert minute in set(in_sample.loc[in_sample["crs"] == station, "minute"]), (service.name, day, minute)
        assert minute in set(calls.loc[calls["crs"] == station, "minute"]), (service.name, day, minute)
        checked += 1
    assert checked > 150


def test_cited_times_are_kept_exactly(timetable, pack):
    quoted = list(timed(timetable, "cited", pack))
    assert {(service.name, minute) for service, _, _, minute, _, _ in quoted} >= {
        ("Cumbrian Coast", 6 * 60 + 57),
        ("Cumbrian Coast", 22 * 60 + 9),
        ("Cumbrian Coast", 6 * 60 + 5),
        ("Furness line", 23 * 60 + 14),
        ("Settle-Carlisle", 20 * 60 + 18),
        ("Avanti West Coast", 5 * 60 + 41),
    }
    for service, _, day, minute, station, calls in quoted:
        assert minute in set(calls.loc[calls["crs"] == station, "minute"]), (service.name, day, minute)


def test_every_rail_trip_says_what_it_rests_on(timetable):
    rail = timetable.trips[timetable.trips["route_id"].str.startswith("rail:")]
    assert set(rail["basis"]) == {"cited", "cif", "assumed"}
    assert (rail["basis_note"].str.len() > 30).all()
    assert rail.loc[rail["basis"] == "cif", "basis_note"].str.contains("2020 CIF sample").all()
    assert rail.loc[rail["basis"] == "assumed", "basis_note"].str.contains("assumed").all()
    assert rail.loc[rail["basis"] == "cited", "basis_note"].str.contains("quoted from").all()


def test_transfers_carry_the_documented_minimum_connection_times(timetable, pack):
    transfers = timetable.transfers
    atco = pack.stations.set_index("crs")["atco"]
    same = transfers[transfers["from_stop_id"] == transfers["to_stop_id"]].set_index("from_stop_id")
    rail_stops = set(timetable.stop_times["stop_id"][timetable.stop_times["stop_id"].str.startswith("9100")])
    assert rail_stops <= set(same.index)
    assert (same.loc[atco[list(INTERCHANGES)], "min_transfer_time"] == 60 * MIN_CONNECTION_MIN["interchange"]).all()
    assert same.loc[atco["WKG"], "min_transfer_time"] == 60 * MIN_CONNECTION_MIN["station"]
    between = transfers[transfers["from_stop_id"] != transfers["to_stop_id"]]
    assert not between.empty
    assert (between["min_transfer_time"] >= 60 * MIN_CONNECTION_MIN["rail and bus"]).all()
    assert (between["from_stop_id"].str.startswith("9100") != between["to_stop_id"].str.startswith("9100")).all()


@pytest.mark.parametrize("day", ["MF", "SU"])
def test_no_modelled_rail_change_is_under_the_minimum(timetable, pack, day):
    compiled = compile_day(timetable, DAYS[day])
    interchanges = set(pack.stations.set_index("crs").loc[list(INTERCHANGES), "atco"])
    for stop_id, row in compiled.stop_index.items():
        rail = stop_id.startswith("9100")
        if rail:
            least = MIN_CONNECTION_MIN["interchange" if stop_id in interchanges else "station"]
            assert compiled.change_s[row] >= 60 * least, stop_id
        for target, seconds in compiled.walk_from[row]:
            if rail != str(compiled.stop_ids[target]).startswith("9100"):
                assert seconds >= 60 * MIN_CONNECTION_MIN["rail and bus"], (stop_id, compiled.stop_ids[target])


def test_transfers_of_a_rail_stop_and_a_nearby_bus_stop():
    stops = pd.DataFrame(
        {
            "stop_id": ["9100X", "bus-near", "bus-far"],
            "stop_name": ["X", "N", "F"],
            "lon": [-3.0, -3.001, -2.8],
            "lat": [54.5] * 3,
        }
    )
    stations = pd.DataFrame({"atco": ["9100X"], "crs": ["XXX"]})
    transfers = rail_transfers(stops, stations)
    pairs = set(zip(transfers["from_stop_id"], transfers["to_stop_id"], strict=True))
    assert pairs == {("9100X", "9100X"), ("9100X", "bus-near"), ("bus-near", "9100X")}
    assert list(transfers["min_transfer_time"]) == [300.0, 600.0, 600.0]
