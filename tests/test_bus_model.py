"""The modelled buses run along the road mesh and call at the stops on their way (geoaccess.build.bus_paths),
checked against the real 2016 X6 timetable (TransXChange) where the raw sources are present."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoaccess.analysis.stop_coverage import stop_coverage
from geoaccess.build import transport
from geoaccess.build.bus_model import BUS_SERVICES, bus_points, bus_speed, town_points
from geoaccess.build.bus_paths import CALL_RADIUS_M, BusPath, Mesh, _project, bus_mesh, mesh_path, stops_along
from geoaccess.build.model_parts import bng
from geoaccess.build.sources_md import sources_markdown
from geoaccess.build.timetable_model import modelled_timetable
from geoaccess.geocode import geocode_postcode
from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.roads.sources import router_for
from geoaccess.transit.timetable import Timetable

X6_TXC = "data/bus/txc_stagecoach_X6_kendal_barrow_2016_bustimes-fixture.xml"
TXC = {"t": "http://www.transxchange.org.uk/"}
X6_REAL_CALLED = {"outbound": 35, "inbound": 23}
"""Stops of the main 2016 X6 patterns (50 outbound, 36 inbound) the modelled X6 calls at, as measured."""
COVERAGE_800_M = 0.662
"""Share of Cumbria's residents within 800 m of a served stop, as measured on the rebuilt model with the
30, 6, 60, 11, X12 and the Carlisle city services (Carlisle 76.8%; without the city services 59.3%)."""
NEW_SERVICES = {
    "30 Frizington": ["Maryport", "Workington", "Whitehaven", "Cleator Moor", "Frizington"],
    "30 Thornhill": ["Maryport", "Workington", "Whitehaven", "Egremont", "Thornhill"],
    "6": ["Barrow-in-Furness", "Dalton-in-Furness", "Ulverston", "Newby Bridge", "Bowness-on-Windermere", "Windermere"],
    "60": ["Skinburness", "Silloth", "Workington"],
    "11": ["Barrow-in-Furness", "Roa Island", "Ulverston"],
    "X12": ["Ulverston", "Coniston"],
}
"""The services added from the facts rows the model used to leave out, with their towns in order."""


# --- the real 2016 X6 -------------------------------------------------------------------------


def txc_patterns(path: Path) -> dict[str, tuple[str, list[str], list[float], int]]:
    """Each journey pattern of a TransXChange file: direction, stops in order, minutes from the first
    stop (run and wait times) and the number of Monday-Friday journeys using it."""
    root = ET.parse(path).getroot()
    sections = {s.get("id"): s for s in root.iter(f"{{{TXC['t']}}}JourneyPatternSection")}
    journeys = list(root.iter(f"{{{TXC['t']}}}VehicleJourney"))
    by_code = {j.findtext("t:VehicleJourneyCode", namespaces=TXC): j for j in journeys}

    def pattern_of(journey: ET.Element) -> str:
        ref = journey.findtext("t:JourneyPatternRef", namespaces=TXC)
        return ref or pattern_of(by_code[journey.findtext("t:VehicleJourneyRef", namespaces=TXC) or ""])

    weekday = [j for j in journeys if j.find(".//t:MondayToFriday", TXC) is not None]
    uses = pd.Series([pattern_of(j) for j in weekday]).value_counts()
    patterns = {}
    for pattern in root.iter(f"{{{TXC['t']}}}JourneyPattern"):
        stops: list[str] = []
        minutes = [0.0]
        for ref in pattern.findall("t:JourneyPatternSectionRefs", TXC):
            for link in sections[ref.text].findall("t:JourneyPatternTimingLink", TXC):
                if not stops:
                    stops.append(link.findtext("t:From/t:StopPointRef", namespaces=TXC) or "")
                stops.append(link.findtext("t:To/t:StopPointRef", namespaces=TXC) or "")
                waits = [link.findtext(f"t:{end}/t:WaitTime", default="PT0M", namespaces=TXC) for end in ("From", "To")]
                run = link.findtext("t:RunTime", namespaces=TXC) or "PT0M"
                minutes.append(minutes[-1] + sum(_iso_minutes(text) for text in [run, *waits]))
        direction = pattern.findtext("t:Direction", namespaces=TXC) or ""
        patterns[pattern.get("id") or ""] = (direction, stops, minutes, int(uses.get(pattern.get("id"), 0)))
    return patterns


def _iso_minutes(text: str) -> float:
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text)
    assert match, text
    hours, minutes, seconds = (int(value or 0) for value in match.groups())
    return hours * 60 + minutes + seconds / 60


def main_pattern(patterns: dict[str, tuple[str, list[str], list[float], int]], direction: str) -> str:
    """The pattern of ``direction`` with the most journeys among those running Kendal-Barrow in full."""
    full = {key: value for key, value in patterns.items() if value[0] == direction and len(value[1]) >= 30}
    return max(full, key=lambda key: (full[key][3], key))


def in_order(real: list[str], called: list[str]) -> int:
    """How many of ``real`` the modelled calling order ``called`` visits in the same order (the longest
    common subsequence)."""
    position = {stop: index for index, stop in enumerate(called)}
    sequence = [position[stop] for stop in real if stop in position]
    tails: list[int] = []
    for value in sequence:
        index = int(np.searchsorted(tails, value))
        tails[index : index + 1] = [value]
    return len(tails)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stops(shared_source) -> pd.DataFrame:
    """The stops table as the build makes it (with NaPTAN bearings)."""
    return transport.stops(shared_source)


@pytest.fixture(scope="module")
def mesh(stops) -> Mesh:
    """The level-0 mesh of the pack's proxy drive network (what the build routes buses on)."""
    return bus_mesh(router_for("car").network, stops)


@pytest.fixture(scope="module")
def services(stops, mesh) -> dict[str, pd.DataFrame]:
    speed, _ = bus_speed(stops)
    return {service.name: bus_points(service, stops, speed, mesh)[0] for service in BUS_SERVICES}


@pytest.fixture(scope="module")
def timetable(shared_source, pack, stops) -> Timetable:
    timetable, _ = modelled_timetable(
        shared_source / "facts",
        shared_source / "data/rail/atoc_2020_sample_scheduled_run_times_bbox.csv",
        pack.stations,
        stops,
        router_for("car").network,
        valid_from=date(2026, 12, 1),
        valid_to=date(2027, 11, 30),
    )
    return timetable


@pytest.fixture(scope="module")
def x6_patterns(shared_source) -> dict[str, tuple[str, list[str], list[float], int]]:
    return txc_patterns(shared_source / X6_TXC)


def trip_stops(timetable: Timetable, route_id: str, direction: str) -> list[str]:
    """The stops of the longest trip of ``route_id`` in ``direction``."""
    trips = timetable.trips[timetable.trips["trip_id"].str.startswith(f"{route_id}:{direction}:")]
    times = timetable.stop_times[timetable.stop_times["trip_id"].isin(trips["trip_id"])]
    longest = times.groupby("trip_id").size().idxmax()
    return list(times[times["trip_id"] == longest].sort_values("stop_sequence")["stop_id"])


# --- tests ------------------------------------------------------------------------------------


def test_each_bus_calls_in_path_order_within_the_radius(services, stops, mesh):
    for service in BUS_SERVICES:
        points = services[service.name]
        towns = town_points(service, stops)
        rows = list(points["key"])
        for start, end in zip(towns.itertuples(), towns.iloc[1:].itertuples(), strict=False):
            between = points.iloc[rows.index(start.key) + 1 : rows.index(end.key)]
            xy = np.column_stack(bng(pd.DataFrame([start._asdict(), end._asdict()])))
            path = mesh_path(mesh, xy[0], xy[1])
            if path is None:
                assert between.empty, f"{service.name} {start.key}-{end.key}"
                continue
            gap, along = _project(path, np.column_stack(bng(between)))
            assert (gap <= CALL_RADIUS_M + 1e-6).all(), f"{service.name} {start.key}-{end.key}"
            assert (np.diff(along) >= -1e-6).all(), f"{service.name} {start.key}-{end.key} out of order"
        assert points["stop_id"].is_unique
        assert len(points) > len(towns) or service.name == "888"


def test_every_bus_runs_both_ways_through_the_same_stops(timetable):
    for route_id in timetable.routes.query("route_type == 3")["route_id"]:
        assert trip_stops(timetable, route_id, "forward") == trip_stops(timetable, route_id, "backward")[::-1]


def test_towns_keep_their_stops_and_cited_run_times(services, stops):
    for service in BUS_SERVICES:
        towns = town_points(service, stops)
        points = services[service.name].set_index("key")
        assert list(points.loc[towns["key"], "stop_id"]) == list(towns["atco"])
        for start, end, total in service.spans:
            assert points.loc[end, "minute"] - points.loc[start, "minute"] == pytest.approx(total), service.name


def test_a_cited_departure_keeps_its_time_at_the_town_stops(timetable, services):
    x6 = services["X6"].set_index("key")
    times = timetable.stop_times[timetable.stop_times["trip_id"] == "bus:x6:forward:MF:Kendal:0420"]
    at = times.set_index("stop_id")["departure_s"] // 60
    assert at[x6.loc["Kendal", "stop_id"]] == 7 * 60
    assert at[x6.loc["Barrow-in-Furness", "stop_id"]] == 8 * 60 + 40  # 'around one hour 40 minutes'
    assert (np.diff(times.sort_values("stop_sequence")["departure_s"]) >= 0).all()


def test_cited_departures_are_marked_cited(timetable):
    bus = timetable.trips[timetable.trips["route_id"].str.startswith("bus:")]
    assert set(bus["basis"]) == {"cited", "assumed"}
    assert not bus["basis_note"].str.endswith("departure time assumed").any()
    first_300 = bus[bus["basis_note"].str.startswith("05:25 Whitehaven->Carlisle (300)")]
    assert set(first_300["basis"]) == {"cited"} and "first bus" in first_300["basis_note"].iloc[0]
    assert set(bus.loc[bus["basis_note"].str.contains("(X6)", regex=False), "basis"]) == {"assumed"}


def test_x6_calls_at_most_real_2016_stops_in_order(timetable, x6_patterns):
    for direction, modelled in (("outbound", "forward"), ("inbound", "backward")):
        real = x6_patterns[main_pattern(x6_patterns, direction)][1]
        called = trip_stops(timetable, "bus:x6", modelled)
        assert len(set(real) & set(called)) >= X6_REAL_CALLED[direction] - 3, direction
        assert in_order(real, called) >= X6_REAL_CALLED[direction] - 6, direction


def test_x6_run_time_is_near_the_real_2016_one(services, x6_patterns):
    direction, real, minutes, _ = x6_patterns[main_pattern(x6_patterns, "outbound")]
    modelled = services["X6"]["minute"].iloc[-1]
    assert abs(modelled - minutes[-1]) <= 0.25 * minutes[-1]


def test_most_residents_live_near_a_served_stop(pack, timetable):
    coverage = stop_coverage(pack, timetable)
    overall = coverage.table.set_index("district").loc["all"]
    assert overall["within_800_m"] >= COVERAGE_800_M - 0.01
    assert coverage.bus_stops_served > 500
    section = sources_markdown(pack.manifest, [], [], coverage)
    assert "## Stops the modelled timetable serves" in section and "| all |" in section


def _service(name: str):
    return next(service for service in BUS_SERVICES if service.name == name)


def _bus_trips(timetable: Timetable, name: str) -> pd.DataFrame:
    route_id = "bus:" + re.sub(r"[^a-z0-9]+", "-", name.lower())
    return timetable.trips[timetable.trips["route_id"] == route_id]


def _calls_towns_in_order(timetable: Timetable, services, name: str) -> None:
    """The service calls at its towns in order, and its trips serve each town's stop."""
    keys = list(services[name]["key"])
    assert [keys.index(town) for town in NEW_SERVICES[name]] == sorted(keys.index(town) for town in NEW_SERVICES[name])
    towns = services[name].set_index("key").loc[NEW_SERVICES[name], "stop_id"]
    trips = _bus_trips(timetable, name)["trip_id"]
    assert set(towns) <= set(timetable.stop_times.loc[timetable.stop_times["trip_id"].isin(trips), "stop_id"]), name


def _basis_notes(timetable: Timetable, name: str) -> pd.Series:
    trips = _bus_trips(timetable, name)
    assert not trips.empty, name
    assert set(trips["basis"]) == {"assumed"}, name  # no time of theirs is quoted
    return trips["basis_note"]


def test_the_30_continues_the_300_to_frizington_and_thornhill(timetable, services):
    for name in ("30 Frizington", "30 Thornhill"):
        assert [town for town, _ in _service(name).towns] == NEW_SERVICES[name]
        _calls_towns_in_order(timetable, services, name)
        notes = _basis_notes(timetable, name)
        assert notes.str.contains("most journeys continue as service 30").any()
        assert notes.str.contains('Sunday 30 "every 30 min"').any()
    # Mon-Sat the 30 leaves Whitehaven as the modelled 300 from Carlisle (06:00, +112 min) arrives
    first = _bus_trips(timetable, "30 Frizington")
    assert "bus:30-frizington:forward:MF:Whitehaven:0472" in set(first["trip_id"])
    # Sunday the Thornhill branch runs Maryport-Egremont only
    towns = services["30 Thornhill"].set_index("key")["stop_id"]
    sunday = _bus_trips(timetable, "30 Thornhill").query("service_id == 'SU'")["trip_id"]
    called = timetable.stop_times[timetable.stop_times["trip_id"].isin(sunday)].groupby("trip_id")["stop_id"]
    assert len(sunday) == 18
    assert called.apply(lambda stops: towns["Egremont"] in set(stops) and towns["Thornhill"] not in set(stops)).all()


def test_the_6_runs_barrow_to_windermere_with_a_late_journey_every_day(timetable, services):
    assert [town for town, _ in _service("6").towns] == NEW_SERVICES["6"]
    _calls_towns_in_order(timetable, services, "6")
    notes = _basis_notes(timetable, "6")
    assert notes.str.contains("no source gives a daytime frequency").any()
    late = _bus_trips(timetable, "6")[notes.str.contains("new late evening journey")]
    assert sorted(late["service_id"]) == ["MF", "SA", "SU"]


def test_the_60_runs_skinburness_silloth_workington(timetable, services):
    assert [town for town, _ in _service("60").towns] == NEW_SERVICES["60"]
    _calls_towns_in_order(timetable, services, "60")
    assert _basis_notes(timetable, "60").str.contains("no source gives a frequency: two-hourly").all()
    called = services["60"]["stop_name"]
    assert called.str.startswith("Maryport,").any()  # on the coast road, though not named


def test_the_blueworks_11_and_x12_run_a_few_weekday_journeys(timetable, services):
    for name in ("11", "X12"):
        assert [town for town, _ in _service(name).towns] == NEW_SERVICES[name]
        _calls_towns_in_order(timetable, services, name)
        assert _basis_notes(timetable, name).str.contains('"infrequent" service "some days only" cited').all()
        assert set(_bus_trips(timetable, name)["service_id"]) == {"MF"}
    coast = services["11"]["stop_name"]
    assert all(coast.str.startswith(f"{village},").any() for village in ("Rampside", "Aldingham", "Bardsea"))


def test_the_x4_x5_keeps_to_the_a66_and_the_104_to_the_a6(services):
    x4 = services["X4/X5"]["stop_name"]
    assert not x4.str.startswith("Pooley Bridge,").any()
    assert x4.str.startswith("Penruddock,").any()
    a6 = services["104"]["stop_name"]
    assert all(a6.str.startswith(f"{village},").any() for village in ("High Hesket", "Plumpton"))


@pytest.mark.parametrize("postcode", ["CA2 4LS", "CA3 9RF"])
def test_a_home_beside_a_real_stop_has_a_served_stop_within_400_m(pack, timetable, postcode):
    home = geocode_postcode(postcode, pack)
    served = timetable.stops[timetable.stops["stop_id"].isin(timetable.stop_times["stop_id"])]
    east, north = bng(served)
    home_east, home_north = bng(pd.DataFrame({"lon": [home.lon], "lat": [home.lat]}))
    assert np.hypot(east - home_east[0], north - home_north[0]).min() <= 400


def test_stops_along_a_path_keep_its_order_and_drop_side_roads():
    origin = np.array([350000.0, 500000.0])  # near Kendal, in British National Grid metres
    path = BusPath(
        xy=origin + np.array([[0.0, 0.0], [0.0, 1000.0]]),
        metres=np.array([0.0, 1000.0]),
        seconds=np.array([0.0, 60.0]),
    )
    east, north = np.array([30.0, -20.0, 40.0, 300.0]), np.array([800.0, 200.0, 500.0, 500.0])
    lon, lat = transformer(BNG, WGS84).transform(origin[0] + east, origin[1] + north)
    stops = pd.DataFrame(
        {
            "atco": ["late", "early", "side", "far"],
            "stop_type": "BCT",
            "bearing": ["S", "N", "E", ""],
            "lon": lon,
            "lat": lat,
        }
    )
    found = stops_along(path, stops)
    assert list(found["atco"]) == ["early", "late"]
    assert found["along_s"].tolist() == pytest.approx([12.0, 48.0], abs=0.5)
