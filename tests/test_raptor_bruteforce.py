"""RAPTOR against a brute-force search of a time-expanded graph, on seeded random small timetables.

Each random feed has 8-15 stops at least ~700 m apart, plus a few "twin" stops about
200 m from one of them (so the only walking transfers are between a stop and its twin,
and no walk can chain into another), 3-6 routes, trips before and after midnight,
trips from the previous service day still running after midnight, frequency-based
trips, a calendar with exceptions (a service added and one removed on the day),
``transfers.txt`` minimum change times, overtaking trips and trips that catch up with
the one in front (same arrival at the terminus).

The brute force is built from the *timetable* (its own calendar, frequency expansion
and previous-day shift; only the per-stop change times and the walking links are read
from the compiled day), so it checks ``compile_day`` as well as ``earliest_arrival``:

* nodes are ``("dep", stop, t)`` (at ``stop``, on foot or changed, ready to board at
  ``t``; one per departure time there, chained by waiting arcs), ``("ride", run, i)``
  (aboard ``run`` at its ``i``-th call), ``("arr", stop, t)`` (alighted) and
  ``("walk", stop, t)`` (arrived on foot);
* boarding arcs ``dep -> ride`` (not at a run's last call), riding arcs along the run,
  alighting arcs ``ride -> arr`` (not at its first call), change arcs ``arr -> dep`` at
  the first departure at least the stop's change time later, walking arcs
  ``arr -> walk`` to a linked stop and ``walk -> dep`` at the first departure not before;
* a query adds a start node; the earliest arrival at a stop is the earliest ``arr`` or
  ``walk`` node there that the start reaches (or the start time at the origin).

The vehicle cap uses the same graph in layers (layer = vehicles boarded so far; a
boarding arc goes up one layer). The mirror check runs the graph backwards: the latest
time one can be on foot at each stop and still reach the destination by ``T``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, timedelta

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geoaccess.transit.compiled import DAY_S, compile_day
from geoaccess.transit.raptor import INF, earliest_arrival
from geoaccess.transit.timetable import Timetable, yyyymmdd
from geoaccess.weekdays import WEEKDAYS

DAY = date(2026, 11, 26)  # a Thursday
PREVIOUS = DAY - timedelta(days=1)
SEEDS = range(24)
NEG_INF = -(1 << 60)


# --- random timetables --------------------------------------------------------------------


def random_timetable(seed: int, catch_up: bool = True) -> Timetable:
    """A small random feed exercising every feature the compiler handles (see the module docstring).

    ``catch_up=False`` leaves out the trips that catch up with the one in front and shifts each
    trip by a few seconds so that no two trips of a route reach its last stop at the same time
    (see :func:`test_the_mirror_with_trips_that_catch_up`)."""
    rng = np.random.default_rng(seed)
    n_grid = int(rng.integers(8, 16))
    cells = rng.choice(36, size=n_grid, replace=False)
    stops = []
    for number, cell in enumerate(cells):
        # 0.012 deg lon ~ 770 m and 0.008 deg lat ~ 890 m at 54.6 N; jitter keeps them > 650 m apart
        lon = -3.0 + 0.012 * (cell % 6) + rng.uniform(-0.0008, 0.0008)
        lat = 54.6 + 0.008 * (cell // 6) + rng.uniform(-0.0005, 0.0005)
        stops.append((f"S{number}", f"Stop {number}", lon, lat))
    twins = rng.choice(n_grid, size=int(rng.integers(1, 4)), replace=False)
    for number, base in enumerate(twins):  # ~150-250 m north of its base stop
        _, _, lon, lat = stops[base]
        stops.append((f"T{number}", f"Twin of {base}", lon, lat + rng.uniform(0.0014, 0.0022)))
    stop_ids = [s[0] for s in stops]

    routes, trips, calls, frequencies = [], [], [], []
    services = ["daily", "weekdays", "wed_only", "added", "removed", "sundays"]
    for r in range(int(rng.integers(3, 7))):
        route_id = f"R{r}"
        routes.append(
            {
                "route_id": route_id,
                "agency_name": "Op",
                "route_short_name": route_id,
                "route_long_name": "",
                "route_type": int(rng.choice([2, 3])),
            }
        )
        sequence = [stop_ids[i] for i in rng.choice(len(stops), size=int(rng.integers(3, 8)), replace=False)]
        base_hops = rng.integers(3, 13, size=len(sequence) - 1) * 60
        n_trips = int(rng.integers(5, 21))
        for t in range(n_trips):
            trip_id = f"{route_id}t{t}"
            speed = rng.choice([0.5, 0.8, 1.0, 1.0, 1.3])  # different speeds make overtaking trips
            hops = np.maximum(60, np.round(base_hops * speed / 60) * 60).astype(int)
            dwell = rng.choice([0, 0, 60], size=len(sequence))
            start = int(rng.integers(5 * 60, 26 * 60 + 30)) * 60  # 05:00 to 26:30
            if not catch_up:  # t + 1 seconds: no two trips of a route reach its last stop together
                start += t + 1
            times = []
            clock_s = start
            for position in range(len(sequence)):
                arrive = clock_s
                depart = arrive + int(dwell[position])
                times.append((arrive, depart))
                if position < len(sequence) - 1:
                    clock_s = depart + int(hops[position])
            trips.append(
                {"trip_id": trip_id, "route_id": route_id, "service_id": str(rng.choice(services)), "trip_headsign": ""}
            )
            calls += [
                {"trip_id": trip_id, "stop_sequence": 10 * (p + 1), "stop_id": s, "arrival_s": a, "departure_s": d}
                for p, (s, (a, d)) in enumerate(zip(sequence, times, strict=True))
            ]
            if t == 0 and catch_up:  # a trip that catches up with this one: leaves later, same arrival at the end
                catch_id = f"{route_id}c"
                trips.append({"trip_id": catch_id, "route_id": route_id, "service_id": "daily", "trip_headsign": ""})
                late = [(a + 120, d + 120) for a, d in times[:-1]] + [(times[-1][0], times[-1][0])]
                calls += [
                    {"trip_id": catch_id, "stop_sequence": p + 1, "stop_id": s, "arrival_s": a, "departure_s": d}
                    for p, (s, (a, d)) in enumerate(zip(sequence, late, strict=True))
                ]
            if t == 1 and rng.random() < 0.6:  # a frequency-based trip: the template times are offsets
                window_start = int(rng.integers(6 * 60, 24 * 60)) * 60
                headway = int(rng.choice([600, 900, 1200]))  # the window a whole number of headways:
                frequencies.append(
                    {
                        "trip_id": trip_id,
                        "start_s": window_start,  # no run at end_s itself
                        "end_s": window_start + headway * int(rng.integers(2, 10)),
                        "headway_s": headway,
                        "exact_times": 0,
                    }
                )
    week = {day: 1 for day in WEEKDAYS}
    no_days = {day: 0 for day in WEEKDAYS}
    calendar = pd.DataFrame(
        [
            {"service_id": "daily", **week, "start_date": 20260101, "end_date": 20271231},
            {
                "service_id": "weekdays",
                **week,
                "saturday": 0,
                "sunday": 0,
                "start_date": 20260101,
                "end_date": 20271231,
            },
            {"service_id": "wed_only", **no_days, "wednesday": 1, "start_date": 20260101, "end_date": 20271231},
            {"service_id": "removed", **week, "start_date": 20260101, "end_date": 20271231},
            {"service_id": "sundays", **no_days, "sunday": 1, "start_date": 20260101, "end_date": 20271231},
        ]
    )
    calendar_dates = pd.DataFrame(
        [
            {"service_id": "added", "date": yyyymmdd(DAY), "exception_type": 1},
            {"service_id": "removed", "date": yyyymmdd(DAY), "exception_type": 2},
            {"service_id": "sundays", "date": yyyymmdd(PREVIOUS), "exception_type": 1},  # runs after midnight
        ]
    )
    transfers = []
    for stop in rng.choice(n_grid, size=3, replace=False):  # longer (or shorter) changes at some stops
        transfers.append(
            {
                "from_stop_id": stop_ids[stop],
                "to_stop_id": stop_ids[stop],
                "transfer_type": 2,
                "min_transfer_time": float(rng.choice([0, 60, 300, 600])),
            }
        )
    first_twin = f"T{0}"
    base = stop_ids[twins[0]]
    transfers.append({"from_stop_id": base, "to_stop_id": first_twin, "transfer_type": 2, "min_transfer_time": 420.0})
    if len(twins) > 1:  # one direction of a twin pair is not allowed
        transfers.append(
            {"from_stop_id": "T1", "to_stop_id": stop_ids[twins[1]], "transfer_type": 3, "min_transfer_time": np.nan}
        )
    return Timetable(
        stops=pd.DataFrame(stops, columns=["stop_id", "stop_name", "lon", "lat"]),
        routes=pd.DataFrame(routes),
        trips=pd.DataFrame(trips),
        stop_times=pd.DataFrame(calls),
        calendar=calendar,
        calendar_dates=calendar_dates,
        frequencies=pd.DataFrame(frequencies, columns=["trip_id", "start_s", "end_s", "headway_s", "exact_times"]),
        transfers=pd.DataFrame(transfers),
        provenance={"timetable": "test"},
    )


# --- the brute force -------------------------------------------------------------------------


def running(timetable: Timetable, when: date) -> set[str]:
    """Service ids running on ``when``, written out independently of Timetable.services_on."""
    stamp = yyyymmdd(when)
    out = set()
    for row in timetable.calendar.itertuples(index=False):
        if getattr(row, WEEKDAYS[when.weekday()]) == 1 and row.start_date <= stamp <= row.end_date:
            out.add(row.service_id)
    for row in timetable.calendar_dates.itertuples(index=False):
        if row.date == stamp:
            (out.add if row.exception_type == 1 else out.discard)(row.service_id)
    return out


def runs_of(timetable: Timetable, when: date) -> list[list[tuple[int, int, int]]]:
    """Every vehicle run of service day ``when`` as [(stop row, arrival, departure)], including the
    previous day's runs (shifted by a day) that still depart at or after midnight."""
    row_of = {stop_id: row for row, stop_id in enumerate(timetable.stops["stop_id"])}
    by_trip = {trip: frame.sort_values("stop_sequence") for trip, frame in timetable.stop_times.groupby("trip_id")}
    headways: dict[str, list] = {}
    for row in timetable.frequencies.itertuples(index=False):
        headways.setdefault(row.trip_id, []).append(row)
    runs = []
    for service_day, shift in ((when, 0), (when - timedelta(days=1), -DAY_S)):
        services = running(timetable, service_day)
        for trip in timetable.trips.itertuples(index=False):
            if trip.service_id not in services:
                continue
            frame = by_trip[trip.trip_id]
            stops = [row_of[s] for s in frame["stop_id"]]
            arrive, depart = frame["arrival_s"].to_list(), frame["departure_s"].to_list()
            if trip.trip_id in headways:
                starts = [s for f in headways[trip.trip_id] for s in range(f.start_s, f.end_s, f.headway_s)]
                origin = depart[0]
                variants = [([a - origin + s for a in arrive], [d - origin + s for d in depart]) for s in starts]
            else:
                variants = [(arrive, depart)]
            for a_list, d_list in variants:
                calls = [(stop, a + shift, d + shift) for stop, a, d in zip(stops, a_list, d_list, strict=True)]
                if shift == 0 or max(d for _, _, d in calls) >= 0:
                    runs.append(calls)
    return runs


@dataclass
class Expanded:
    """A time-expanded graph of one day (optionally in layers = vehicles boarded)."""

    graph: nx.DiGraph
    departures: list[list[int]]  # per stop: sorted departure times
    walk_from: list[list[tuple[int, int]]]  # per stop: (other stop, whole seconds)
    layers: int | None

    def dep(self, stop: int, time: int, layer: int = 0):
        """The departure-timeline node for the first departure at ``stop`` at or after ``time``."""
        times = self.departures[stop]
        k = bisect.bisect_left(times, time)
        return None if k == len(times) else self._node("dep", stop, times[k], layer)

    def _node(self, *parts):
        return parts if self.layers is not None else parts[:-1]


def expand(timetable: Timetable, when: date, layers: int | None = None) -> Expanded:
    """The time-expanded graph; ``layers`` = the most vehicles to count (``None``: do not count)."""
    day = compile_day(timetable, when)
    runs = runs_of(timetable, when)
    stops = len(day.stop_ids)
    departures_at: list[set[int]] = [set() for _ in range(stops)]
    for calls in runs:
        for stop, _, depart in calls[:-1]:
            departures_at[stop].add(depart)
    departures = [sorted(times) for times in departures_at]
    walk_from = [[(target, math.ceil(seconds)) for target, seconds in links] for links in day.walk_from]
    change = [int(math.ceil(c)) for c in day.change_s]
    expanded = Expanded(nx.DiGraph(), departures, walk_from, layers)
    node = expanded._node
    graph = expanded.graph
    levels = range(layers + 1) if layers is not None else [0]
    for level in levels:
        for stop, times in enumerate(departures):
            for earlier, later in zip(times, times[1:], strict=False):
                graph.add_edge(node("dep", stop, earlier, level), node("dep", stop, later, level))
        for number, calls in enumerate(runs):
            if layers is not None and level == 0:
                continue  # nobody is aboard having boarded nothing
            for i, (stop, arrive, depart) in enumerate(calls):
                aboard = node("ride", number, i, level)
                if i + 1 < len(calls):
                    graph.add_edge(aboard, node("ride", number, i + 1, level))
                    below = level - 1 if layers is not None else level
                    graph.add_edge(node("dep", stop, depart, below), aboard)
                if i > 0:
                    alighted = node("arr", stop, arrive, level)
                    graph.add_edge(aboard, alighted)
                    onward = expanded.dep(stop, arrive + change[stop], level)
                    if onward is not None:
                        graph.add_edge(alighted, onward)
                    for target, seconds in walk_from[stop]:
                        graph.add_edge(alighted, node("walk", target, arrive + seconds, level))
        for n in list(graph.nodes):
            if n[0] == "walk" and (layers is None or n[-1] == level):
                onward = expanded.dep(n[1], n[2], level)
                if onward is not None:
                    graph.add_edge(n, onward)
    return expanded


def brute_earliest(expanded: Expanded, source: int, time: int, vehicles: int | None = None) -> np.ndarray:
    """Earliest arrival at every stop from ``source`` at ``time`` (at most ``vehicles`` boarded)."""
    graph, node = expanded.graph, expanded._node
    start = ("start",)
    firsts = [expanded.dep(source, time)]
    for target, seconds in expanded.walk_from[source]:
        walked = node("walk", target, time + seconds, 0)
        graph.add_node(walked)
        onward = expanded.dep(target, time + seconds)
        if onward is not None:
            graph.add_edge(walked, onward)
        firsts.append(walked)
    graph.add_node(start)
    graph.add_edges_from((start, first) for first in firsts if first is not None)
    reached = nx.descendants(graph, start)
    graph.remove_node(start)
    best = np.full(len(expanded.departures), INF, dtype=np.int64)
    best[source] = time
    for n in reached:
        if n[0] in ("arr", "walk") and (vehicles is None or n[-1] <= vehicles):
            best[n[1]] = min(best[n[1]], n[2])
    return best


def brute_latest(expanded: Expanded, destination: int, deadline: int) -> np.ndarray:
    """The latest time one can be on foot at each stop and still reach ``destination`` by ``deadline``."""
    graph = expanded.graph
    sink = ("sink",)
    graph.add_edges_from(
        (n, sink) for n in list(graph.nodes) if n[0] in ("arr", "walk") and n[1] == destination and n[2] <= deadline
    )
    useful = nx.ancestors(graph, sink) if sink in graph else set()
    graph.remove_nodes_from([sink])
    board = np.full(len(expanded.departures), NEG_INF, dtype=np.int64)  # latest useful boarding per stop
    board[destination] = deadline
    for n in useful:
        if n[0] == "dep":
            board[n[1]] = max(board[n[1]], n[2])
    latest = board.copy()
    for stop, links in enumerate(expanded.walk_from):
        for target, seconds in links:
            if board[target] > NEG_INF:
                latest[stop] = max(latest[stop], board[target] - seconds)
    return latest


# --- tests ------------------------------------------------------------------------------------


def queries(seed: int, stops: int, count: int) -> list[tuple[int, int]]:
    rng = np.random.default_rng(1000 + seed)
    return [(int(rng.integers(stops)), int(rng.integers(4 * 3600, 26 * 3600))) for _ in range(count)]


@pytest.mark.parametrize("seed", SEEDS)
def test_earliest_arrival_matches_the_time_expanded_graph(seed):
    timetable = random_timetable(seed)
    day = compile_day(timetable, DAY)
    expanded = expand(timetable, DAY)
    for source, time in queries(seed, len(day.stop_ids), 6):
        raptor = earliest_arrival(day, {source: time}, max_transfers=10).best()
        brute = brute_earliest(expanded, source, time)
        differ = np.flatnonzero(raptor != brute)
        assert differ.size == 0, (
            f"seed {seed}, from stop {source} at {time} s: stops {differ.tolist()} "
            f"raptor {raptor[differ].tolist()} brute force {brute[differ].tolist()}"
        )


@pytest.mark.parametrize("seed", SEEDS[:12])
def test_max_transfers_caps_the_vehicles(seed):
    timetable = random_timetable(seed)
    day = compile_day(timetable, DAY)
    expanded = expand(timetable, DAY, layers=4)
    for source, time in queries(seed, len(day.stop_ids), 3):
        for transfers in range(4):
            raptor = earliest_arrival(day, {source: time}, max_transfers=transfers).best()
            brute = brute_earliest(expanded, source, time, vehicles=transfers + 1)
            differ = np.flatnonzero(raptor != brute)
            assert differ.size == 0, (
                f"seed {seed}, {transfers} transfers, from stop {source} at {time} s: stops {differ.tolist()} "
                f"raptor {raptor[differ].tolist()} brute force {brute[differ].tolist()}"
            )


def mirror_mismatches(timetable: Timetable, seed: int) -> list[str]:
    day = compile_day(timetable, DAY)
    mirror = day.mirrored()
    expanded = expand(timetable, DAY)
    problems = []
    for destination, deadline in queries(seed + 500, len(day.stop_ids), 6):
        reached = earliest_arrival(mirror, {destination: -deadline}, max_transfers=10).best()
        raptor = np.where(reached < INF, -reached, NEG_INF)
        brute = brute_latest(expanded, destination, deadline)
        differ = np.flatnonzero(raptor != brute)
        if differ.size:
            problems.append(
                f"seed {seed}, to stop {destination} by {deadline} s: stops {differ.tolist()} "
                f"raptor {raptor[differ].tolist()} brute force {brute[differ].tolist()}"
            )
    return problems


@pytest.mark.parametrize("seed", SEEDS)
def test_the_mirror_gives_latest_departures(seed):
    problems = mirror_mismatches(random_timetable(seed, catch_up=False), seed)
    assert not problems, problems


@pytest.mark.slow
def test_the_mirror_with_trips_that_catch_up():
    problems = [p for seed in SEEDS for p in mirror_mismatches(random_timetable(seed), seed)]
    assert not problems, problems


def tiny(calls: dict[str, list[tuple[str, str]]], stops: list[tuple[str, float, float]]) -> Timetable:
    """A daily timetable from {trip: [(stop, HH:MM[:SS])]}; each trip is its own route."""

    def seconds(text: str) -> int:
        parts = [int(p) for p in text.split(":")]
        return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)

    rows = [
        {"trip_id": trip, "stop_sequence": i, "stop_id": stop, "arrival_s": seconds(t), "departure_s": seconds(t)}
        for trip, sequence in calls.items()
        for i, (stop, t) in enumerate(sequence)
    ]
    routes = [trip.rstrip("0123456789") or trip for trip in calls]
    return Timetable(
        stops=pd.DataFrame([(s, s, lon, lat) for s, lon, lat in stops], columns=["stop_id", "stop_name", "lon", "lat"]),
        routes=pd.DataFrame(
            {
                "route_id": sorted(set(routes)),
                "agency_name": "Op",
                "route_short_name": sorted(set(routes)),
                "route_long_name": "",
                "route_type": 3,
            }
        ),
        trips=pd.DataFrame({"trip_id": list(calls), "route_id": routes, "service_id": "daily", "trip_headsign": ""}),
        stop_times=pd.DataFrame(rows),
        calendar=pd.DataFrame(
            [{"service_id": "daily", **{d: 1 for d in WEEKDAYS}, "start_date": 20260101, "end_date": 20271231}]
        ),
    )


def test_mirror_tie_minimal():
    # X: A 10:00, B 10:10, C 10:30; Y: A 10:05, B 10:15, C 10:30 (Y catches X up at C)
    timetable = tiny(
        {
            "bus1": [("A", "10:00"), ("B", "10:10"), ("C", "10:30")],
            "bus2": [("A", "10:05"), ("B", "10:15"), ("C", "10:30")],
        },
        [("A", -3.0, 54.6), ("B", -2.95, 54.6), ("C", -2.9, 54.6)],
    )
    day = compile_day(timetable, DAY)
    assert len(day.patterns) == 1  # one pattern, neither trip overtakes
    reached = earliest_arrival(day.mirrored(), {2: -(10 * 3600 + 30 * 60)}).best()
    assert -reached[1] == 10 * 3600 + 15 * 60  # leave B on the 10:15 (Y), not the 10:10


def test_walk_arriving_within_the_change_time_of_a_vehicle_arrival():
    # A and B are ~150 m apart (a 196 s walking transfer); change time at B is 120 s.
    # From O: bus r1 to A at 09:57, walk to B at 10:00:16; bus r2 to B at 10:00 (ready 10:02).
    # The 10:01:30 from B to D can be caught only by the walker.
    timetable = tiny(
        {
            "r1": [("O", "09:40"), ("A", "09:57")],
            "r2": [("O", "09:41"), ("B", "10:00")],
            "r3": [("B", "10:01:30"), ("D", "10:20")],
        },
        [("O", -3.0, 54.6), ("A", -2.98, 54.61), ("B", -2.98, 54.6118), ("D", -2.95, 54.63)],
    )
    day = compile_day(timetable, DAY)
    start = 9 * 3600 + 30 * 60
    brute = brute_earliest(expand(timetable, DAY), 0, start)
    assert brute[3] == 10 * 3600 + 20 * 60
    raptor = earliest_arrival(day, {0: start}, max_transfers=10).best()
    assert raptor[3] == brute[3]


def test_the_random_feeds_exercise_what_they_should():
    """Guard the generator: the features above really occur in the compiled days."""
    seen = {"walks": 0, "previous_day": 0, "past_midnight": 0, "frequency": 0, "split": 0, "change": 0}
    for seed in SEEDS:
        timetable = random_timetable(seed)
        day = compile_day(timetable, DAY)
        seen["walks"] += sum(len(links) for links in day.walk_from)
        seen["change"] += int((day.change_s != 120).sum())
        ids = [str(t) for p in day.patterns for t in p.trip_ids]
        seen["previous_day"] += sum("(previous day)" in t for t in ids)
        seen["frequency"] += sum("@" in t for t in ids)
        seen["past_midnight"] += sum(int((p.departure[:, 0] >= DAY_S).sum()) for p in day.patterns)
        keys = [(p.route_row, tuple(p.stops)) for p in day.patterns]
        seen["split"] += len(keys) - len(set(keys))  # overtaking trips split a route's pattern
    assert all(count > 0 for count in seen.values()), seen


def test_a_vehicle_arrival_pruned_by_a_walk_can_still_walk_on():
    # P - B - C in a line ~300 m apart: walking links P-B and B-C, none P-C (~600 m).
    # From P at 09:50: on foot to B by ~09:55; bus P 10:00 -> B 10:05, walk B -> C by ~10:10, bus C 10:20 -> D.
    timetable = tiny(
        {"r1": [("P", "10:00"), ("B", "10:05")], "r2": [("C", "10:20"), ("D", "10:40")]},
        [("P", -3.0, 54.6), ("B", -3.0, 54.6027), ("C", -3.0, 54.6054), ("D", -2.9, 54.65)],
    )
    day = compile_day(timetable, DAY)
    # the walking links are closed through the chain: P reaches C directly (about 600 m)
    assert [sorted(int(t) for t, _ in links) for links in day.walk_from] == [[1, 2], [0, 2], [0, 1], []]
    start = 9 * 3600 + 50 * 60
    brute = brute_earliest(expand(timetable, DAY), 0, start)
    assert brute[3] == 10 * 3600 + 40 * 60
    assert earliest_arrival(day, {0: start}, max_transfers=10).best()[3] == brute[3]
