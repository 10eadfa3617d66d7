"""RAPTOR against an independent, deliberately simple search on the same compiled day.

The reference search (:func:`connection_scan`) is written here without RAPTOR's ideas (no
patterns scanned from marked stops, no earliest catchable trip, no pruning). It follows the
rules documented in :mod:`geoaccess.transit.raptor`, in layers ``k`` = vehicles ridden:

* layer 0: on foot at the start stops, and one walking transfer from any of them;
* layer ``k``: a trip may be boarded at any call where it picks up and departs no earlier than
  one is *ready* there after layer ``k - 1`` or before (an arrival on foot, or an arrival by
  vehicle plus the stop's change time); once aboard, every later call of the trip where it sets
  down is an arrival by vehicle; each arrival by vehicle may be followed by one walking transfer
  (an arrival on foot, which cannot walk again).

Every connection (a trip's hop between consecutive calls) is scanned in every layer, so a
missed boarding or a lost label shows as a later answer. The checks run on the real Cairns, New
York subway and Ann Arbor (University of Michigan) feeds in ``tests/data/gtfs`` (see
``tests/data/README.md``) and on seeded
random small timetables with close stops, co-located platforms, stations, ``transfers.txt``
rules and calls without pickup or drop-off.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoaccess.defaults import MAX_TRANSFERS
from geoaccess.geometry import BNG
from geoaccess.transit import compiled
from geoaccess.transit.cif import read_cif
from geoaccess.transit.compiled import CompiledDay, compile_day
from geoaccess.transit.gtfs import read_gtfs, write_gtfs
from geoaccess.transit.planner import _legs_back
from geoaccess.transit.profiles import _earliest_arrivals, _profiles
from geoaccess.transit.raptor import INF, earliest_arrival
from geoaccess.transit.timetable import Timetable
from geoaccess.weekdays import WEEKDAYS

FEEDS = Path(__file__).parent / "data" / "gtfs"
CAIRNS_DAY = date(2014, 6, 4)  # a Wednesday
ANN_ARBOR_DAY = date(2022, 2, 2)  # a Wednesday of the University of Michigan's winter term
NYC_DAY = date(2025, 1, 8)  # a Wednesday
REAL_FEEDS = [("cairns", CAIRNS_DAY), ("nyc_subway", NYC_DAY), ("annarbor", ANN_ARBOR_DAY)]
NEVER = np.iinfo(np.int64).max // 4
CIF_FIXTURE = Path(__file__).parent / "fixtures" / "cif" / "small.cif"
CIF_STATIONS = pd.DataFrame(
    {
        "tiploc": ["CARLILE", "WIGTON", "MRYPORT", "WRKNGTN"],
        "name": ["Carlisle", "Wigton", "Maryport", "Workington"],
        "lon": [-2.933, -3.161, -3.495, -3.558],
        "lat": [54.891, 54.823, 54.711, 54.645],
    }
)


# --- the reference search -------------------------------------------------------------------


@dataclass(frozen=True)
class Connections:
    """A compiled day's hops and walking links as flat arrays, hops grouped by trip in calling order."""

    trip: np.ndarray
    source: np.ndarray
    target: np.ndarray
    depart: np.ndarray
    arrive: np.ndarray
    pickup: np.ndarray  # one may board at ``source``
    drop_off: np.ndarray  # one may alight at ``target``
    walk_source: np.ndarray
    walk_target: np.ndarray
    walk_s: np.ndarray  # whole seconds, rounded up
    change_s: np.ndarray


def connections(day: CompiledDay) -> Connections:
    """Every hop of every trip of ``day``, and its walking links."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ("trip", "source", "target", "depart", "arrive")}
    parts.update(pickup=[], drop_off=[])
    trips = 0
    for pattern in day.patterns:
        count, hops = pattern.arrival.shape[0], len(pattern.stops) - 1
        parts["trip"].append(np.repeat(np.arange(trips, trips + count), hops))
        parts["source"].append(np.tile(pattern.stops[:-1], count))
        parts["target"].append(np.tile(pattern.stops[1:], count))
        parts["depart"].append(pattern.departure[:, :-1].ravel())
        parts["arrive"].append(pattern.arrival[:, 1:].ravel())
        parts["pickup"].append(np.tile(pattern.pickup[:-1], count))
        parts["drop_off"].append(np.tile(pattern.drop_off[1:], count))
        trips += count
    flat = {name: np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64) for name, arrays in parts.items()}
    links = [(a, b, int(np.ceil(s))) for a, targets in enumerate(day.walk_from) for b, s in targets]
    walk_source, walk_target, walk_s = np.asarray(links, dtype=np.int64).reshape(-1, 3).T
    return Connections(
        **flat,
        walk_source=walk_source,
        walk_target=walk_target,
        walk_s=walk_s,
        change_s=np.ceil(day.change_s).astype(np.int64),
    )


def _walk_on(c: Connections, at: np.ndarray) -> np.ndarray:
    """Arrival on foot at each stop by one walking link from ``at``."""
    foot = np.full(len(at), NEVER, dtype=np.int64)
    np.minimum.at(foot, c.walk_target, np.where(at[c.walk_source] < NEVER, at[c.walk_source] + c.walk_s, NEVER))
    return foot


def connection_scan(c: Connections, starts: dict[int, int], max_transfers: int = MAX_TRANSFERS) -> np.ndarray:
    """Earliest arrival at every stop, by vehicle or on foot, riding at most ``max_transfers + 1`` vehicles."""
    stops = len(c.change_s)
    origin = np.full(stops, NEVER, dtype=np.int64)
    for stop, time in starts.items():
        origin[stop] = min(origin[stop], time)
    foot = np.minimum(origin, _walk_on(c, origin))
    best, ready = foot.copy(), foot.copy()
    for _ in range(max_transfers + 1):
        boardable = c.pickup & (ready[c.source] <= c.depart)
        seen = np.cumsum(boardable)
        first_of_trip = np.r_[True, c.trip[1:] != c.trip[:-1]]
        before_trip = np.maximum.accumulate(np.where(first_of_trip, seen - boardable, 0))
        aboard = seen > before_trip  # boarded at this hop or an earlier one of the same trip
        vehicle = np.full(stops, NEVER, dtype=np.int64)
        alight = aboard & c.drop_off
        np.minimum.at(vehicle, c.target[alight], c.arrive[alight])
        foot = _walk_on(c, vehicle)
        best = np.minimum(best, np.minimum(vehicle, foot))
        ready = np.minimum(ready, np.minimum(np.where(vehicle < NEVER, vehicle + c.change_s, NEVER), foot))
    return best


# --- comparing --------------------------------------------------------------------------------


@dataclass
class Tally:
    """Stop arrivals compared, and how RAPTOR's answers differ from the reference's."""

    queries: int = 0
    compared: int = 0
    later: int = 0
    earlier: int = 0
    false_none: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, day: CompiledDay, query: str, raptor: np.ndarray, reference: np.ndarray) -> None:
        self.queries += 1
        reached = (raptor < INF) | (reference < NEVER)
        self.compared += int(reached.sum())
        self.later += int(((raptor > reference) & (raptor < INF)).sum())
        self.earlier += int((raptor < reference).sum())
        self.false_none += int(((raptor >= INF) & (reference < NEVER)).sum())
        for stop in np.flatnonzero(reached & (raptor != np.where(reference < NEVER, reference, INF)))[:2]:
            self.examples.append(f"{query} -> {day.stop_ids[stop]}: raptor {raptor[stop]}, reference {reference[stop]}")

    @property
    def differences(self) -> int:
        return self.later + self.earlier + self.false_none


def random_queries(day: CompiledDay, count: int, seed: int) -> list[tuple[int, int, int]]:
    """(origin stop, departure second, transfer cap): origins are stops some trip calls at."""
    rng = np.random.default_rng(seed)
    served = np.flatnonzero(np.diff(day.pattern_calls.stop_start) > 0)
    origins = rng.choice(served, size=count)
    times = rng.integers(5 * 3600, 24 * 3600, size=count)
    caps = rng.choice([0, 1, 2, MAX_TRANSFERS, MAX_TRANSFERS], size=count)
    return [(int(o), int(t), int(k)) for o, t, k in zip(origins, times, caps, strict=True)]


def differential(day: CompiledDay, count: int, seed: int) -> Tally:
    """RAPTOR and the reference from ``count`` random (origin, time, cap) queries."""
    c, tally = connections(day), Tally()
    for origin, time, cap in random_queries(day, count, seed):
        raptor = earliest_arrival(day, {origin: time}, cap).best()
        tally.add(day, f"{day.stop_ids[origin]} at {time} (cap {cap})", raptor, connection_scan(c, {origin: time}, cap))
    return tally


@cache
def feed_day(name: str, when: date) -> CompiledDay:
    return compile_day(read_gtfs(FEEDS / f"{name}_gtfs.zip"), when)


@cache
def issue_day() -> CompiledDay:
    """Cairns on 2014-06-04 compiled as when the issue measured it: walking transfers in British National
    Grid metres (1.16 x too long there; distances now use the local UTM zone), so its times hold."""
    original = compiled.metric_crs_for
    compiled.metric_crs_for = lambda lonlat: BNG
    try:
        return compile_day(read_gtfs(FEEDS / "cairns_gtfs.zip"), CAIRNS_DAY)
    finally:
        compiled.metric_crs_for = original


def seconds(clock: str) -> int:
    hours, minutes, *rest = (int(part) for part in clock.split(":"))
    return hours * 3600 + minutes * 60 + (rest[0] if rest else 0)


# --- the issue's cases (issue 12) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "leave", "destination", "arrive"),
    [
        # walk 582 s to 750203, trip 4172815 13:24 -> 13:25 to 750204, walk 758 s
        ("750192", "13:13:29", "750195", "13:37:38"),
        # was "no journey": in a round trip, a false "no way home"
        ("750176", "22:12:00", "750171", "23:30:50"),
    ],
)
def test_the_cairns_journeys_the_old_search_missed(origin, leave, destination, arrive):
    day = issue_day()
    index = day.stop_index
    labels = earliest_arrival(day, {index[origin]: seconds(leave)})
    assert labels.best()[index[destination]] == seconds(arrive)
    reference = connection_scan(connections(day), {index[origin]: seconds(leave)})
    assert reference[index[destination]] == seconds(arrive)


def test_a_vehicle_arrival_after_a_walk_arrival_still_walks_on():
    # the first Cairns case, read leg by leg: the ride to 750204 arrives after one got there on
    # foot, yet the walk on from it is what reaches 750195 first
    day = issue_day()
    index = day.stop_index
    labels = earliest_arrival(day, {index["750192"]: seconds("13:13:29")})
    round_number = next(
        k for k in range(len(labels.rides)) if labels.arrival(k)[index["750195"]] == seconds("13:37:38")
    )
    legs, start = _legs_back(day, labels, round_number, index["750195"])
    assert start == index["750192"]
    assert [leg.kind for leg in reversed(legs)] == ["walk", "bus", "walk"]
    assert [leg.end for leg in reversed(legs)] == [
        str(day.stop_names[index[s]]) for s in ("750203", "750204", "750195")
    ]


# --- real feeds -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "when"), REAL_FEEDS)
def test_raptor_equals_the_connection_scan_on_a_real_feed(name, when):
    tally = differential(feed_day(name, when), count=50, seed=12)
    assert tally.compared > 1000
    assert tally.differences == 0, tally.examples


@pytest.mark.slow
@pytest.mark.parametrize(("name", "when"), REAL_FEEDS)
def test_raptor_equals_the_connection_scan_on_many_real_queries(name, when):
    tally = differential(feed_day(name, when), count=1000, seed=2012)
    assert tally.later == 0 and tally.false_none == 0, tally.examples
    assert tally.earlier == 0, tally.examples


def test_rebuilt_journeys_follow_the_rules():
    """Every label rebuilds into legs that chain in time, with never two walks in a row after the start."""
    day = feed_day("cairns", CAIRNS_DAY)
    for origin, time, cap in random_queries(day, 4, seed=7):
        labels = earliest_arrival(day, {origin: time}, cap)
        for round_number in range(len(labels.rides)):
            for stop in np.flatnonzero(labels.arrival(round_number) < INF):
                legs, start = _legs_back(day, labels, round_number, int(stop))
                legs.reverse()
                assert start == origin
                assert legs == [] or legs[-1].arrive == labels.arrival(round_number)[stop]
                assert all(a.arrive <= b.depart for a, b in zip(legs, legs[1:], strict=False))
                kinds = [leg.kind == "walk" for leg in legs]
                assert not any(a and b for a, b in zip(kinds, kinds[1:], strict=False))
                assert sum(not walk for walk in kinds) == round_number


# --- parent stations, pickup and drop-off ------------------------------------------------------


def test_station_transfers_apply_to_its_platforms():
    timetable = read_gtfs(FEEDS / "nyc_subway_gtfs.zip")
    day = feed_day("nyc_subway", NYC_DAY)
    index = day.stop_index
    rules = timetable.transfers[timetable.transfers["from_stop_id"] == timetable.transfers["to_stop_id"]]
    assert (rules["min_transfer_time"] == 180).sum() > 50
    platforms = timetable.stops[timetable.stops["parent_station"] != ""].groupby("parent_station")["stop_id"].agg(list)
    checked = 0
    for station in rules.loc[rules["min_transfer_time"] == 180, "from_stop_id"]:
        rows = [index[p] for p in platforms.get(station, [])]
        for a in rows:
            assert day.change_s[a] == 180
            for b, walk in day.walk_from[a]:
                if b in rows:
                    assert walk >= 180  # no sub-minute "walk" between co-located platforms
                    checked += 1
    assert checked > 100


def test_no_quicker_platform_change_than_the_station_allows():
    # 101N and 101S share a position: arriving on one, the earliest boarding on the other is 180 s later
    day = feed_day("nyc_subway", NYC_DAY)
    index = day.stop_index
    c = connections(day)
    for origin, time, _ in random_queries(day, 6, seed=180):
        reached = connection_scan(c, {origin: time})
        assert (earliest_arrival(day, {origin: time}).best() == np.where(reached < NEVER, reached, INF)).all()
    links = dict(day.walk_from[index["101N"]])
    assert links[index["101S"]] == 180


def tiny(
    calls: dict[str, list[tuple[str, str, int, int]]], stops: list[tuple[str, float, float, str]], transfers=()
) -> Timetable:
    """A daily timetable: {trip: [(stop, HH:MM:SS, pickup_type, drop_off_type)]}, each trip its own route;
    stops (id, lon, lat, parent station); transfers (from, to, type, minimum seconds)."""
    rows = [
        {
            "trip_id": trip,
            "stop_sequence": i,
            "stop_id": stop,
            "arrival_s": seconds(t),
            "departure_s": seconds(t),
            "pickup_type": pickup,
            "drop_off_type": drop_off,
        }
        for trip, sequence in calls.items()
        for i, (stop, t, pickup, drop_off) in enumerate(sequence)
    ]
    return Timetable(
        stops=pd.DataFrame(stops, columns=["stop_id", "lon", "lat", "parent_station"]).assign(
            stop_name=lambda f: f["stop_id"]
        ),
        routes=pd.DataFrame(
            {
                "route_id": list(calls),
                "agency_name": "Op",
                "route_short_name": list(calls),
                "route_long_name": "",
                "route_type": 3,
            }
        ),
        trips=pd.DataFrame(
            {"trip_id": list(calls), "route_id": list(calls), "service_id": "daily", "trip_headsign": ""}
        ),
        stop_times=pd.DataFrame(rows),
        calendar=pd.DataFrame(
            [{"service_id": "daily", **{d: 1 for d in WEEKDAYS}, "start_date": 20260101, "end_date": 20271231}]
        ),
        transfers=pd.DataFrame(
            list(transfers), columns=["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"]
        ),
    )


FAR = [("A", -3.0, 54.6, ""), ("B", -2.95, 54.6, ""), ("C", -2.9, 54.6, ""), ("D", -2.85, 54.6, "")]


def test_no_alighting_where_a_trip_only_picks_up_and_no_boarding_where_it_only_sets_down():
    timetable = tiny(
        {
            "x": [("A", "10:00:00", 0, 0), ("B", "10:10:00", 0, 1), ("C", "10:20:00", 1, 0), ("D", "10:30:00", 0, 0)],
            "y": [("B", "10:40:00", 0, 0), ("D", "10:50:00", 0, 0)],
        },
        FAR,
    )
    day = compile_day(timetable, date(2026, 11, 26))
    from_a = earliest_arrival(day, {0: seconds("09:55")}).best()
    assert from_a[1] >= INF  # x does not set down at B
    assert from_a[2] == seconds("10:20") and from_a[3] == seconds("10:30")
    from_c = earliest_arrival(day, {2: seconds("10:15")}).best()
    assert from_c[3] >= INF  # x does not pick up at C
    from_b = earliest_arrival(day, {1: seconds("10:05")}).best()
    assert from_b[2] == seconds("10:20") and from_b[3] == seconds("10:30")


def test_a_station_rule_sets_the_change_time_at_its_platforms():
    stops = [
        ("S", -3.0, 54.6, ""),
        ("P1", -3.0, 54.6, "S"),
        ("P2", -3.0, 54.6, "S"),
        ("A", -2.95, 54.6, ""),
        ("D", -2.9, 54.6, ""),
    ]
    calls = {
        "in": [("A", "10:00:00", 0, 0), ("P1", "10:10:00", 0, 0)],
        "out": [("P2", "10:12:00", 0, 0), ("D", "10:30:00", 0, 0)],
    }
    quick = compile_day(tiny(calls, stops), date(2026, 11, 26))
    assert earliest_arrival(quick, {3: seconds("09:59")}).best()[4] == seconds("10:30")  # co-located: a 0 s walk
    ruled = compile_day(tiny(calls, stops, [("S", "S", 2, 180)]), date(2026, 11, 26))
    assert earliest_arrival(ruled, {3: seconds("09:59")}).best()[4] >= INF
    assert ruled.change_s[1] == ruled.change_s[2] == 180
    specific = compile_day(tiny(calls, stops, [("S", "S", 2, 180), ("P1", "P2", 2, 60)]), date(2026, 11, 26))
    assert earliest_arrival(specific, {3: seconds("09:59")}).best()[4] == seconds(
        "10:30"
    )  # the platforms' own rule wins


# --- random small timetables ------------------------------------------------------------------


def random_timetable(seed: int) -> Timetable:
    """Close stops (walks chain), co-located platforms of stations, ``transfers.txt`` rules (station,
    stop and not-possible), calls without pickup or drop-off, zero-time hops and trips past midnight."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(6, 14))
    lon = -3.0 + rng.uniform(0, 0.02, count)  # ~1.3 km x 1.1 km: many walking links, some chained
    lat = 54.6 + rng.uniform(0, 0.01, count)
    stops = [(f"S{n}", lon[n], lat[n], "") for n in range(count)]
    for station in range(int(rng.integers(0, 3))):
        base = int(rng.integers(count))
        stops.append((f"ST{station}", lon[base], lat[base], ""))
        stops += [(f"ST{station}P{p}", lon[base], lat[base], f"ST{station}") for p in range(2)]
    ids = [s[0] for s in stops if not s[0].startswith("ST") or "P" in s[0]]
    calls = {}
    for route in range(int(rng.integers(2, 6))):
        sequence = rng.choice(ids, size=int(rng.integers(2, min(6, len(ids)) + 1)), replace=False)
        hops = rng.integers(0, 400, size=len(sequence) - 1)
        no_pickup, no_drop_off = rng.random(len(sequence)) < 0.15, rng.random(len(sequence)) < 0.15
        for trip, start in enumerate(np.sort(rng.integers(6 * 3600, 26 * 3600, size=int(rng.integers(1, 8))))):
            times = start + np.r_[0, np.cumsum(hops + rng.integers(0, 30, size=len(hops)))]
            calls[f"r{route}t{trip}"] = [
                (str(s), f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}", int(p), int(d))
                for s, t, p, d in zip(sequence, times, no_pickup, no_drop_off, strict=True)
            ]
    transfers = []
    stations = [s[0] for s in stops if s[0].startswith("ST") and "P" not in s[0]]
    for stop in rng.choice([s[0] for s in stops], size=int(rng.integers(0, 4))):
        transfers.append((str(stop), str(stop), 2, int(rng.choice([0, 30, 300]))))
    for station in stations:
        transfers.append((station, station, 2, int(rng.choice([0, 180]))))
    for _ in range(int(rng.integers(0, 3))):
        a, b = rng.choice([s[0] for s in stops], size=2, replace=False)
        transfers.append((str(a), str(b), int(rng.choice([2, 3])), int(rng.integers(0, 400))))
    return tiny(calls, stops, transfers)


def test_raptor_equals_the_connection_scan_on_random_timetables():
    tally = Tally()
    for seed in range(60):
        day = compile_day(random_timetable(seed), date(2026, 11, 26))
        c = connections(day)
        rng = np.random.default_rng(seed)
        for _ in range(5):
            starts = {
                int(s): int(t)
                for s, t in zip(
                    rng.integers(len(day.stop_ids), size=int(rng.integers(1, 4))),
                    rng.integers(6 * 3600, 26 * 3600, size=3),
                    strict=False,
                )
            }
            cap = int(rng.choice([0, 1, 2, MAX_TRANSFERS]))
            tally.add(
                day,
                f"seed {seed} {starts} (cap {cap})",
                earliest_arrival(day, starts, cap).best(),
                connection_scan(c, starts, cap),
            )
    assert tally.queries == 300 and tally.compared > 1000
    assert tally.differences == 0, tally.examples


def test_gtfs_keeps_parent_stations_pickup_and_drop_off(tmp_path):
    stops = [("S", -3.0, 54.6, ""), ("P1", -3.0, 54.6, "S"), ("A", -2.95, 54.6, ""), ("D", -2.9, 54.6, "")]
    calls = {"x": [("A", "10:00:00", 0, 1), ("P1", "10:10:00", 1, 0), ("D", "10:30:00", 0, 0)]}
    write_gtfs(tiny(calls, stops, [("S", "S", 2, 180)]), tmp_path)
    timetable = read_gtfs(tmp_path)
    assert timetable.stops.set_index("stop_id")["parent_station"].to_dict() == {"S": "", "P1": "S", "A": "", "D": ""}
    assert timetable.stop_times[["pickup_type", "drop_off_type"]].to_numpy().tolist() == [[0, 1], [1, 0], [0, 0]]
    assert compile_day(timetable, date(2026, 11, 26)).change_s.tolist() == [180, 180, 120, 120]


def test_cif_set_down_and_pick_up_only_calls(tmp_path):
    lines = CIF_FIXTURE.read_text(encoding="ascii").splitlines()
    wigton = next(n for n, line in enumerate(lines) if line.startswith("LIWIGTON  1820"))
    lines[wigton] = lines[wigton][:42] + "D " + lines[wigton][44:]  # activity: set down only
    (tmp_path / "activities.cif").write_text("\n".join(lines) + "\n", encoding="ascii")
    timetable = read_cif(tmp_path / "activities.cif", CIF_STATIONS)
    permanent = timetable.stop_times[timetable.stop_times["trip_id"] == "C10001P20260105"]
    rules = {row.stop_id: (row.pickup_type, row.drop_off_type) for row in permanent.itertuples()}
    assert rules == {
        "9100CARLILE": (0, 0),
        "9100WIGTON": (1, 0),  # D: set down only
        "9100MRYPORT": (0, 1),  # U: pick up only
        "9100WRKNGTN": (0, 0),
    }


def test_the_mirror_swaps_pickup_and_drop_off():
    timetable = tiny(
        {
            "x": [("A", "10:00:00", 0, 0), ("B", "10:10:00", 0, 1), ("C", "10:20:00", 0, 0)],
            "y": [("A", "10:05:00", 0, 0), ("B", "10:30:00", 0, 0)],
            "z": [("A", "10:07:00", 1, 0), ("C", "10:15:00", 0, 0)],
        },
        FAR,
    )
    mirror = compile_day(timetable, date(2026, 11, 26)).mirrored()
    latest = -earliest_arrival(mirror, {1: -seconds("10:40")}).best()
    assert latest[0] == seconds("10:05")  # x does not set down at B: the later y it is
    latest = -earliest_arrival(mirror, {2: -seconds("10:40")}).best()
    assert latest[0] == seconds("10:00")  # z does not pick up at A


def turned_round(day: CompiledDay) -> CompiledDay:
    """The mirror made the plain way, pattern by pattern and link by link (the reference for the gathers)."""
    patterns = [
        compiled.Pattern(
            stops=p.stops[::-1].copy(),
            arrival=-p.departure[::-1, ::-1],
            departure=-p.arrival[::-1, ::-1],
            trip_ids=p.trip_ids[::-1],
            route_row=p.route_row,
            pickup=p.drop_off[::-1].copy(),
            drop_off=p.pickup[::-1].copy(),
        )
        for p in day.patterns
    ]
    walk_to: list[list[tuple[int, float]]] = [[] for _ in day.walk_from]
    for source, links in enumerate(day.walk_from):
        for target, walk_s in links:
            walk_to[target].append((source, walk_s))
    return replace(day, patterns=patterns, walk_links=compiled.WalkLinks.of(walk_to), reversed=not day.reversed)


@pytest.mark.parametrize(("name", "when"), REAL_FEEDS)
def test_the_mirrors_flat_arrays_are_those_of_its_patterns_turned_round(name, when):
    day = feed_day(name, when)
    mirror, expected = day.mirrored(), turned_round(day)
    assert mirror.walk_from == expected.walk_from
    for ours, theirs in zip(mirror.patterns, expected.patterns, strict=True):
        for name_ in ("stops", "arrival", "departure", "trip_ids", "pickup", "drop_off"):
            np.testing.assert_array_equal(getattr(ours, name_), getattr(theirs, name_))
    made = compiled.PatternCalls.of(expected.patterns, len(day.stop_ids))
    for name_ in made.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(mirror.pattern_calls, name_), getattr(made, name_), err_msg=name_)
    for name_ in expected.walk_links.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(mirror.walk_links, name_), getattr(expected.walk_links, name_))
    assert mirror.mirrored().pattern_calls.departure.tolist() == day.pattern_calls.departure.tolist()


@dataclass
class StubPlanner:
    """What :func:`geoaccess.transit.profiles._profiles` asks of a planner, on one compiled day."""

    compiled: CompiledDay
    egress: dict[int, tuple[float, float]]
    max_transfers: int = MAX_TRANSFERS

    def walks(self, lon: float, lat: float) -> dict[int, tuple[float, float]]:
        return self.egress

    def day(self, when: date, mirrored: bool = False) -> CompiledDay:
        return self.compiled.mirrored() if mirrored else self.compiled


def test_window_profiles_equal_forward_searches_on_random_timetables():
    """The arrival deadlines include alighting, one walking transfer, then the walk to the place."""
    checked = 0
    for seed in range(30):
        day = compile_day(random_timetable(seed), date(2026, 11, 26))
        rng = np.random.default_rng(seed)
        ends = rng.choice(len(day.stop_ids), size=2, replace=False)
        egress = {int(stop): (float(rng.integers(0, 300)), 0.0) for stop in ends}
        near = set(egress) | {source for source, links in enumerate(day.walk_from) for t, _ in links if t in egress}
        deadlines, latest = _profiles(StubPlanner(day, egress), (0.0, 0.0), day.day, 0, 30 * 3600)  # type: ignore[arg-type]
        for origin in (s for s in range(len(day.stop_ids)) if s not in near):
            leave = np.sort(rng.integers(6 * 3600, 26 * 3600, size=3))
            profile = _earliest_arrivals(deadlines, latest[:, origin], leave)
            for time, arrive in zip(leave, profile, strict=True):
                best = earliest_arrival(day, {origin: int(time)}).best()
                forward = min(
                    (best[s] + int(np.ceil(w)) for s, (w, _) in egress.items() if best[s] < INF), default=np.inf
                )
                assert arrive == forward, (seed, origin, time)
                checked += 1
    assert checked > 300
