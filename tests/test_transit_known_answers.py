"""Hand-written feeds with known answers, run through the whole pipeline.

Real postcodes from the pack and the pack's walk network give the walks at both ends;
the stations are at their real positions (Carlisle, Penrith, Oxenholme, Lancaster) and
the bus runs from Carlisle to Brampton. Each scenario asserts the legs, their times,
the changes and the waiting:

* a change at Penrith where ``transfers.txt`` asks 5 minutes, so the 4-minute
  connection is missed and the itinerary shows the later one (and the boundary: a
  4-minute minimum still makes it);
* a fast train that leaves Carlisle after the slow one and overtakes it;
* a train that runs past midnight, as the previous day's train the morning after;
* calendar exceptions: the weekday service removed on one Thursday, an extra service
  added on that Thursday and on a Sunday;
* a bus defined by ``frequencies.txt``: every 15 minutes from 07:00, the last at 09:45;
* a session round trip home after 23:00 on the late train.

The same change and bus feeds are also written as GTFS text and read back through
``read_gtfs``; the planner must give the same journeys.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geoaccess.geocode import geocode
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.router import Router
from geoaccess.transit.compiled import compile_day
from geoaccess.transit.planner import Planner, clock, parse_clock
from geoaccess.transit.roundtrip import round_trip
from geoaccess.transit.timetable import Timetable
from geoaccess.weekdays import WEEKDAYS

WEDNESDAY, THURSDAY, SUNDAY = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 29)
NEXT_THURSDAY, NEXT_SUNDAY = date(2026, 12, 3), date(2026, 12, 6)
STATIONS = {  # real station positions (the pack's rail_stations table)
    "CAR": ("9100CARLILE", "Carlisle", -2.933047, 54.890257),
    "PNR": ("9100PENRITH", "Penrith", -2.758803, 54.661997),
    "OXN": ("9100OXENHLM", "Oxenholme Lake District", -2.722249, 54.305169),
    "LAN": ("9100LANCSTR", "Lancaster", -2.807934, 54.048553),
}
BUS_STOPS = {
    "CBS": ("CBUS1", "Carlisle, Court Square", -2.9325, 54.8906),
    "BRM": ("BRMP1", "Brampton, Front Street", -2.7020, 54.9340),
}
HOME_CARLISLE, HOME_PENRITH, OXENHOLME, LANCASTER, BRAMPTON = "CA1 1QS", "CA11 7JQ", "LA9 7HF", "LA1 5SJ", "CA8 1HW"
ALL_WEEK = {day: 1 for day in WEEKDAYS}
WEEKDAYS_ONLY = {**ALL_WEEK, "saturday": 0, "sunday": 0}
NO_DAYS = {day: 0 for day in WEEKDAYS}


def hm(text: str) -> int:
    return parse_clock(text)


def feed(
    trips: list[tuple[str, str, str, list[tuple[str, str, str]]]],
    *,
    services: dict[str, dict],
    stops: tuple[str, ...] = tuple(STATIONS),
    calendar_dates: list[tuple[str, int, int]] = (),
    transfers: list[tuple[str, str, int, float]] = (),
    frequencies: list[tuple[str, str, str, int]] = (),
) -> Timetable:
    """A timetable from [(trip, route, service, [(stop key, arrive, depart)])] calling at ``stops``."""
    places = {key: value for key, value in {**STATIONS, **BUS_STOPS}.items() if key in stops}
    routes = pd.DataFrame(
        [
            {
                "route_id": "wcml",
                "agency_name": "Avanti West Coast",
                "route_short_name": "",
                "route_long_name": "West Coast Main Line",
                "route_type": 2,
            },
            {
                "route_id": "lakes",
                "agency_name": "Northern",
                "route_short_name": "",
                "route_long_name": "Penrith - Oxenholme",
                "route_type": 2,
            },
            {
                "route_id": "685",
                "agency_name": "Stagecoach",
                "route_short_name": "685",
                "route_long_name": "Carlisle - Brampton",
                "route_type": 3,
            },
        ]
    )
    trip_rows, calls = [], []
    for trip_id, route_id, service_id, sequence in trips:
        trip_rows.append({"trip_id": trip_id, "route_id": route_id, "service_id": service_id, "trip_headsign": ""})
        calls += [
            {
                "trip_id": trip_id,
                "stop_sequence": number,
                "stop_id": places[key][0],
                "arrival_s": hm(arrive),
                "departure_s": hm(depart),
            }
            for number, (key, arrive, depart) in enumerate(sequence, start=1)
        ]
    return Timetable(
        stops=pd.DataFrame([value for value in places.values()], columns=["stop_id", "stop_name", "lon", "lat"]),
        routes=routes,
        trips=pd.DataFrame(trip_rows),
        stop_times=pd.DataFrame(calls),
        calendar=pd.DataFrame(
            [
                {"service_id": name, **days, "start_date": 20260101, "end_date": 20271231}
                for name, days in services.items()
            ]
        ),
        calendar_dates=pd.DataFrame(list(calendar_dates), columns=["service_id", "date", "exception_type"]),
        transfers=pd.DataFrame(
            [(places[a][0], places[b][0], kind, seconds) for a, b, kind, seconds in transfers],
            columns=["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"],
        ),
        frequencies=pd.DataFrame(
            [(trip, hm(start), hm(end), headway, 1) for trip, start, end, headway in frequencies],
            columns=["trip_id", "start_s", "end_s", "headway_s", "exact_times"],
        ),
        provenance={"timetable": "test", "valid_from": "2026-01-01", "valid_to": "2027-12-31", "modelled": False},
    )


def at(stop: str, time: str) -> tuple[str, str, str]:
    return (stop, time, time)


@pytest.fixture(scope="module")
def walker(pack) -> Router:
    return Router(RoadNetwork.load(pack.path / "roads" / "proxy-walk"))


@pytest.fixture(scope="module")
def places(pack) -> dict[str, tuple[float, float]]:
    out = {}
    for postcode in (HOME_CARLISLE, HOME_PENRITH, OXENHOLME, LANCASTER, BRAMPTON):
        location = geocode(postcode, pack)
        out[postcode] = (location.lon, location.lat)
    return out


def rides(journey) -> list[tuple[str, str, str, str, str]]:
    """(mode, from, to, depart, arrive) of each vehicle leg."""
    return [
        (leg.kind, leg.start, leg.end, clock(leg.depart), clock(leg.arrive))
        for leg in journey.legs
        if leg.kind != "walk"
    ]


def check_walks(journey) -> None:
    """Walk, vehicles..., walk; the first walk ends as the first vehicle leaves; times never go back."""
    kinds = [leg.kind for leg in journey.legs]
    assert kinds[0] == kinds[-1] == "walk"
    assert journey.legs[0].arrive == journey.legs[1].depart
    assert journey.legs[0].start == "origin" and journey.legs[-1].end == "destination"
    for earlier, later in zip(journey.legs, journey.legs[1:], strict=False):
        assert earlier.arrive <= later.depart and earlier.end == later.start


# --- a change with a minimum transfer time ---------------------------------------------------


def change_feed(penrith_change_s: float | None = 300.0) -> Timetable:
    """Carlisle 09:00 -> Penrith 09:18; Penrith -> Oxenholme at 09:22 (arr 09:50) and 09:40 (arr 10:08)."""
    trips = [
        ("a1", "wcml", "daily", [at("CAR", "09:00"), at("PNR", "09:18")]),
        ("b1", "lakes", "daily", [at("PNR", "09:22"), at("OXN", "09:50")]),
        ("b2", "lakes", "daily", [at("PNR", "09:40"), at("OXN", "10:08")]),
    ]
    transfers = [] if penrith_change_s is None else [("PNR", "PNR", 2, penrith_change_s)]
    return feed(trips, services={"daily": ALL_WEEK}, transfers=transfers)


def test_a_minimum_transfer_time_makes_the_first_connection_missable(walker, places):
    planner = Planner(change_feed(300.0), walker)
    journey = planner.depart_at(places[HOME_CARLISLE], places[OXENHOLME], THURSDAY, hm("08:40"))
    check_walks(journey)
    assert [leg.kind for leg in journey.legs] == ["walk", "train", "train", "walk"]
    assert rides(journey) == [
        ("train", "Carlisle", "Penrith", "09:00", "09:18"),
        ("train", "Penrith", "Oxenholme Lake District", "09:40", "10:08"),
    ]
    assert [leg.trip_id for leg in journey.legs[1:3]] == ["a1", "b2"]
    assert [leg.operator for leg in journey.legs[1:3]] == ["Avanti West Coast", "Northern"]
    assert journey.changes == 1
    assert journey.waiting_minutes == pytest.approx(22.0)  # 09:18 -> 09:40 at Penrith
    egress = journey.legs[-1]
    assert egress.depart == hm("10:08") and 0 < egress.arrive - egress.depart < 120  # LA9 7HF is by the station
    assert journey.arrive == egress.arrive


@pytest.mark.parametrize(
    ("minimum", "connection", "waiting"),
    [
        (None, "b1", 4.0),  # default change time, 2 min: 09:18 + 2 <= 09:22
        (240.0, "b1", 4.0),  # exactly 4 minutes: made
        (241.0, "b2", 22.0),  # a second too many: missed
        (0.0, "b1", 4.0),
    ],
)
def test_the_minimum_transfer_time_boundary(walker, places, minimum, connection, waiting):
    planner = Planner(change_feed(minimum), walker)
    journey = planner.depart_at(places[HOME_CARLISLE], places[OXENHOLME], THURSDAY, hm("08:40"))
    assert [leg.trip_id for leg in journey.legs if leg.kind != "walk"] == ["a1", connection]
    assert journey.changes == 1 and journey.waiting_minutes == pytest.approx(waiting)


def test_arrive_by_with_a_missable_connection(walker, places):
    planner = Planner(change_feed(300.0), walker)
    home, venue = places[HOME_CARLISLE], places[OXENHOLME]
    assert planner.arrive_by(home, venue, THURSDAY, hm("10:00")) is None  # would need the 09:22
    journey = planner.arrive_by(home, venue, THURSDAY, hm("10:15"))
    assert rides(journey)[0][3] == "09:00" and rides(journey)[1][3:] == ("09:40", "10:08")
    assert journey.depart == planner.latest_departure(home, venue, THURSDAY, hm("10:15"))
    assert journey.legs[0].arrive == hm("09:00")


# --- an overtaking fast train -----------------------------------------------------------------


def overtaking_feed() -> Timetable:
    slow = [at("CAR", "10:00"), ("PNR", "10:20", "10:22"), ("OXN", "11:00", "11:01"), at("LAN", "11:30")]
    fast = [at("CAR", "10:10"), ("PNR", "10:26", "10:27"), ("OXN", "10:50", "10:51"), at("LAN", "11:10")]
    return feed([("slow", "wcml", "daily", slow), ("fast", "wcml", "daily", fast)], services={"daily": ALL_WEEK})


def test_the_fast_train_is_taken_though_it_leaves_later(walker, places):
    timetable = overtaking_feed()
    assert len(compile_day(timetable, THURSDAY).patterns) == 2  # split: the fast train overtakes
    planner = Planner(timetable, walker)
    journey = planner.depart_at(places[HOME_CARLISLE], places[LANCASTER], THURSDAY, hm("09:40"))
    check_walks(journey)
    assert rides(journey) == [("train", "Carlisle", "Lancaster", "10:10", "11:10")]
    assert journey.legs[1].trip_id == "fast" and journey.legs[1].stops == 3
    assert journey.changes == 0 and journey.waiting_minutes == 0
    # from Penrith the slow train leaves first (10:22) but the fast one (10:27) is there first
    from_penrith = planner.depart_at(places[HOME_PENRITH], places[LANCASTER], THURSDAY, hm("10:10"))
    assert rides(from_penrith) == [("train", "Penrith", "Lancaster", "10:27", "11:10")]
    # to arrive at Oxenholme by 11:05 one can leave Carlisle on the 10:10, not only the 10:00
    late = planner.arrive_by(places[HOME_CARLISLE], places[OXENHOLME], THURSDAY, hm("11:05"))
    assert rides(late) == [("train", "Carlisle", "Oxenholme Lake District", "10:10", "10:50")]
    # and Oxenholme to Lancaster: the slow train, there first, is the only one after 10:55
    onward = planner.depart_at(places[OXENHOLME], places[LANCASTER], THURSDAY, hm("10:55"))
    assert rides(onward) == [("train", "Oxenholme Lake District", "Lancaster", "11:01", "11:30")]


# --- past midnight ------------------------------------------------------------------------------


def night_feed() -> Timetable:
    owl = [at("CAR", "23:50"), ("PNR", "24:08", "24:09"), at("OXN", "24:40")]
    owl_back = [at("OXN", "23:30"), ("PNR", "23:58", "23:59"), at("CAR", "24:20")]
    evening = [at("CAR", "19:00"), ("PNR", "19:18", "19:19"), at("OXN", "19:50")]
    return feed(
        [("owl", "wcml", "wed", owl), ("owl_back", "wcml", "wed", owl_back), ("evening", "wcml", "daily", evening)],
        services={"wed": {**NO_DAYS, "wednesday": 1}, "daily": ALL_WEEK},
    )


def test_a_train_past_midnight(walker, places):
    planner = Planner(night_feed(), walker)
    journey = planner.depart_at(places[HOME_CARLISLE], places[OXENHOLME], WEDNESDAY, hm("23:30"))
    check_walks(journey)
    assert rides(journey) == [("train", "Carlisle", "Oxenholme Lake District", "23:50", "24:40")]
    assert journey.to_dict()["arrive"].startswith("24:4")
    # Thursday just after midnight: Wednesday's train, still running
    early = planner.depart_at(places[HOME_PENRITH], places[OXENHOLME], THURSDAY, hm("00:00"))
    assert rides(early) == [("train", "Penrith", "Oxenholme Lake District", "00:09", "00:40")]
    assert "owl" in early.legs[1].trip_id and "previous day" in early.legs[1].trip_id
    by = planner.arrive_by(places[HOME_PENRITH], places[OXENHOLME], THURSDAY, hm("00:45"))
    assert rides(by) == [("train", "Penrith", "Oxenholme Lake District", "00:09", "00:40")]
    # it does not run on Thursday night
    assert planner.depart_at(places[HOME_CARLISLE], places[OXENHOLME], THURSDAY, hm("23:30")) is None


def test_round_trip_home_after_midnight(walker, places):
    planner = Planner(night_feed(), walker)
    result = round_trip(
        planner, places[HOME_CARLISLE], places[OXENHOLME], WEDNESDAY, hm("20:05"), hm("23:00")
    ).to_dict()
    assert result["feasible"]
    assert result["outbound"]["legs"][1]["depart"] == "19:00" and result["outbound"]["legs"][1]["arrive"] == "19:50"
    back = result["return"]
    assert [leg["mode"] for leg in back["legs"]] == ["walk", "train", "walk"]
    assert (back["legs"][1]["depart"], back["legs"][1]["arrive"]) == ("23:30", "24:20")
    assert back["changes"] == 0
    assert result["flags"] == ["home_after_2300"]
    # on Thursday there is no late train home
    thursday = round_trip(
        planner, places[HOME_CARLISLE], places[OXENHOLME], THURSDAY, hm("20:05"), hm("23:00")
    ).to_dict()
    assert not thursday["feasible"] and thursday["flags"] == ["no_return_same_day"]


# --- calendar exceptions ----------------------------------------------------------------------


def calendar_feed() -> Timetable:
    hourly = [(f"h{h}", "wcml", "weekdays", [at("CAR", f"{h:02d}:00"), at("PNR", f"{h:02d}:18")]) for h in range(7, 22)]
    special = [(f"x{h}", "wcml", "special", [at("CAR", f"{h:02d}:30"), at("PNR", f"{h:02d}:48")]) for h in (10, 14)]
    return feed(
        hourly + special,
        services={"weekdays": WEEKDAYS_ONLY},
        calendar_dates=[("weekdays", 20261126, 2), ("special", 20261126, 1), ("special", 20261129, 1)],
    )


@pytest.mark.parametrize(
    ("when", "train"),
    [
        (WEDNESDAY, ("09:00", "h10", "10:00", "10:18")),  # the calendar as written
        (THURSDAY, ("09:00", "x10", "10:30", "10:48")),  # weekday service removed, special added
        (NEXT_THURSDAY, ("09:00", "h10", "10:00", "10:18")),
        (SUNDAY, ("11:00", "x14", "14:30", "14:48")),  # added on a day the calendar does not run
        (NEXT_SUNDAY, ("09:00", None, None, None)),
    ],
)
def test_calendar_exceptions(walker, places, when, train):
    leave, trip, depart, arrive = train
    planner = Planner(calendar_feed(), walker)
    journey = planner.depart_at(places[HOME_CARLISLE], places[HOME_PENRITH], when, hm(leave) + 50 * 60)
    if trip is None:
        assert journey is None
        return
    assert rides(journey) == [("train", "Carlisle", "Penrith", depart, arrive)]
    assert journey.legs[1].trip_id == trip


# --- a frequency-based bus ----------------------------------------------------------------------


def bus_feed() -> Timetable:
    # the template's own times (12:34) are only offsets: 35 minutes from Carlisle to Brampton
    template = [at("CBS", "12:34"), at("BRM", "13:09")]
    return feed(
        [("685t", "685", "daily", template)],
        services={"daily": ALL_WEEK},
        stops=tuple(BUS_STOPS),
        frequencies=[("685t", "07:00", "10:00", 900)],
    )


@pytest.mark.parametrize(
    ("leave", "bus"),
    [
        ("06:30", "07:00"),
        ("08:03", "08:15"),
        ("09:20", "09:30"),
        ("09:35", "09:45"),
        ("09:50", None),
        ("12:30", None),  # not at the template's own time
    ],
)
def test_a_bus_every_15_minutes(walker, places, leave, bus):
    planner = Planner(bus_feed(), walker)
    access = planner.walks(*places[HOME_CARLISLE])
    stop = int(planner.timetable.stops.index[planner.timetable.stops["stop_id"] == "CBUS1"][0])
    assert access[stop][0] < 5 * 60  # a short walk to the stop, so the bus below is the next one
    journey = planner.depart_at(places[HOME_CARLISLE], places[BRAMPTON], THURSDAY, hm(leave))
    if bus is None:
        assert journey is None
        return
    check_walks(journey)
    end = clock(hm(bus) + 35 * 60)
    assert rides(journey) == [("bus", "Carlisle, Court Square", "Brampton, Front Street", bus, end)]
    assert journey.legs[1].route == "685" and journey.legs[1].operator == "Stagecoach"
    assert journey.legs[1].trip_id == f"685t@{bus}:00"
    assert journey.changes == 0 and journey.waiting_minutes == 0
    assert journey.depart == hm(bus) - int(-(-access[stop][0] // 1))  # leaves home just in time


def test_arrive_by_on_the_frequency_bus(walker, places):
    planner = Planner(bus_feed(), walker)
    journey = planner.arrive_by(places[HOME_CARLISLE], places[BRAMPTON], THURSDAY, hm("09:00"))
    assert rides(journey)[0][3:] == ("08:15", "08:50")  # the 08:30 arrives at 09:05
    assert journey.arrive <= hm("09:00")


# --- the same feeds as GTFS text, through read_gtfs ------------------------------------------

GTFS_FILES = {
    "agency.txt": """agency_id,agency_name,agency_url,agency_timezone
AV,Avanti West Coast,https://example.invalid/,Europe/London
NT,Northern,https://example.invalid/,Europe/London
SC,Stagecoach,https://example.invalid/,Europe/London
""",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
    + "".join(
        f'{stop_id},"{name}",{lat},{lon}\n' for stop_id, name, lon, lat in [*STATIONS.values(), *BUS_STOPS.values()]
    ),
    "routes.txt": """route_id,agency_id,route_short_name,route_long_name,route_type
wcml,AV,,West Coast Main Line,2
lakes,NT,,Penrith - Oxenholme,2
685,SC,685,Carlisle - Brampton,3
""",
    "trips.txt": """route_id,service_id,trip_id
wcml,daily,a1
lakes,daily,b1
lakes,daily,b2
685,daily,685t
wcml,special,x10
""",
    "stop_times.txt": """trip_id,arrival_time,departure_time,stop_id,stop_sequence
a1,09:00:00,09:00:00,9100CARLILE,1
a1,09:18:00,09:18:00,9100PENRITH,2
b1,09:22:00,09:22:00,9100PENRITH,1
b1,09:50:00,09:50:00,9100OXENHLM,2
b2,09:40:00,09:40:00,9100PENRITH,1
b2,10:08:00,10:08:00,9100OXENHLM,2
685t,12:34:00,12:34:00,CBUS1,1
685t,13:09:00,13:09:00,BRMP1,2
x10,10:30:00,10:30:00,9100CARLILE,1
x10,10:48:00,10:48:00,9100PENRITH,2
""",
    "calendar.txt": """service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
daily,1,1,1,1,1,1,1,20260101,20271231
""",
    "calendar_dates.txt": """service_id,date,exception_type
special,20261126,1
""",
    "frequencies.txt": """trip_id,start_time,end_time,headway_secs,exact_times
685t,07:00:00,10:00:00,900,1
""",
    "transfers.txt": """from_stop_id,to_stop_id,transfer_type,min_transfer_time
9100PENRITH,9100PENRITH,2,300
CBUS1,9100CARLILE,3,
9100CARLILE,CBUS1,3,
""",
}


def test_the_same_feeds_read_from_gtfs(walker, places, tmp_path: Path):
    """One feed with the change, the bus and an added date; transfers.txt forbids walking between
    Court Square and the station (see test_a_walking_transfer_at_the_start_keeps_the_legs_in_order)."""
    gtfs = pytest.importorskip("geoaccess.transit.gtfs", reason="geoaccess.transit.gtfs is not there yet")
    if not hasattr(gtfs, "read_gtfs"):
        pytest.skip("geoaccess.transit.gtfs.read_gtfs is not written yet")
    for name, text in GTFS_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    planner = Planner(gtfs.read_gtfs(tmp_path), walker)
    journey = planner.depart_at(places[HOME_CARLISLE], places[OXENHOLME], THURSDAY, hm("08:40"))
    assert rides(journey) == [
        ("train", "Carlisle", "Penrith", "09:00", "09:18"),
        ("train", "Penrith", "Oxenholme Lake District", "09:40", "10:08"),
    ]
    assert journey.changes == 1 and journey.waiting_minutes == pytest.approx(22.0)
    assert planner.arrive_by(places[HOME_CARLISLE], places[OXENHOLME], THURSDAY, hm("10:00")) is None
    bus = planner.depart_at(places[HOME_CARLISLE], places[BRAMPTON], THURSDAY, hm("08:03"))
    assert rides(bus) == [("bus", "Carlisle, Court Square", "Brampton, Front Street", "08:15", "08:50")]
    assert planner.depart_at(places[HOME_CARLISLE], places[BRAMPTON], THURSDAY, hm("09:50")) is None
    special = planner.depart_at(places[HOME_CARLISLE], places[HOME_PENRITH], THURSDAY, hm("10:00"))
    assert rides(special) == [("train", "Carlisle", "Penrith", "10:30", "10:48")]
    assert planner.depart_at(places[HOME_CARLISLE], places[HOME_PENRITH], WEDNESDAY, hm("10:00")) is None


# --- a bug found on the way ---------------------------------------------------------------------


def test_a_walking_transfer_at_the_start_keeps_the_legs_in_order(walker, places):
    # Court Square is 160 m from CA1 1QS and 60 m from Carlisle station: walking home -> Court
    # Square (121 s on the walk network) -> station (51 s walking transfer) beats the direct walk (190 s).
    timetable = feed(
        [("a1", "wcml", "daily", [at("CAR", "09:00"), at("PNR", "09:18")])],
        services={"daily": ALL_WEEK},
        stops=("CAR", "PNR", "CBS"),
    )
    planner = Planner(timetable, walker)
    home, penrith = places[HOME_CARLISLE], places[HOME_PENRITH]
    journey = planner.depart_at(home, penrith, THURSDAY, hm("08:40"))
    assert rides(journey) == [("train", "Carlisle", "Penrith", "09:00", "09:18")]
    for earlier, later in zip(journey.legs, journey.legs[1:], strict=False):
        assert earlier.arrive <= later.depart, journey.legs
    assert journey.waiting_minutes >= 0
    latest = planner.latest_departure(home, penrith, THURSDAY, hm("09:30"))
    assert planner.arrive_by(home, penrith, THURSDAY, hm("09:30")).depart == latest


def test_window_matrix_unreachable_is_inf_not_nan(walker, places):
    """Regression: with 181 departures, linear-interpolated percentiles gave a + (inf - a) * 0 = NaN."""
    import numpy as np

    from geoaccess.transit.profiles import window_matrix

    planner = Planner(bus_feed(), walker)
    origins = np.asarray([places[HOME_CARLISLE]])
    destinations = np.asarray([places[LANCASTER], places[BRAMPTON]])  # never / only until 09:45
    with np.errstate(invalid="ignore"):
        window = window_matrix(planner, origins, destinations, THURSDAY, hm("09:00"), hm("12:00"))
    assert len(window.departures) == 181
    assert np.isinf(window.best[0, 0])
    assert 35 < window.best[0, 1] < 45  # walk, the 35-minute bus, walk
    # Brampton is reachable for 09:00-09:4x only (< 50 of 181 minutes): median and p90 are unreachable
    assert np.isinf(window.median[0, 0]) and np.isinf(window.p90[0, 0])
    assert np.isinf(window.median[0, 1]) and np.isinf(window.p90[0, 1])
