"""Properties of the compiled day's patterns and of journeys rebuilt from RAPTOR's labels.

``_patterns`` is checked against the timetable itself (each running trip, or frequency run, kept
call for call, in a pattern of its own pickups and drop-offs whose columns sort), on random
timetables with what is hard for it: trips of one route that overtake, run at equal times, pass
midnight, call at one stop only or at a stop twice, share stops but not pickups, and runs expanded
from (possibly overlapping) frequencies. Journeys are rebuilt from every label, forwards and on the
time mirror, and door to door by the planner (depart at and arrive by), and checked leg by leg.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
from test_transit_differential import (
    CAIRNS_DAY,
    Tally,
    connection_scan,
    connections,
    feed_day,
    random_timetable,
    seconds,
    tiny,
)

from geoaccess.defaults import MAX_TRANSFERS
from geoaccess.roads.router import StraightLineWalker
from geoaccess.transit import planner as planner_module
from geoaccess.transit.compiled import DAY_S, CompiledDay, Pattern, PatternCalls, compile_day
from geoaccess.transit.planner import Itinerary, Leg, Planner, _legs_back
from geoaccess.transit.raptor import INF, _first_leaving, earliest_arrival
from geoaccess.transit.timetable import Timetable, gtfs_time
from geoaccess.weekdays import WEEKDAYS

DAY = date(2026, 11, 26)
METRE_LON = 1 / 64_400  # degrees of longitude per metre near 54.6 N
FAR3 = [("A", -3.0, 54.6, ""), ("B", -2.95, 54.6, ""), ("C", -2.9, 54.6, "")]


# --- random timetables with shared routes -------------------------------------------------------


def shared_route_timetable(seed: int) -> Timetable:
    """Routes with many trips each: the same stops with varying hop times (so trips overtake), exact
    copies (equal times), a copy without pickup somewhere, single-stop trips, loops, trips past
    midnight and frequency templates whose rows may overlap (GTFS forbids it; feeds do it)."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(5, 10))
    lon = -3.0 + rng.uniform(0, 0.015, count)
    lat = 54.6 + rng.uniform(0, 0.008, count)
    stops = pd.DataFrame({"stop_id": [f"S{n}" for n in range(count)], "lon": lon, "lat": lat})
    stops["stop_name"] = stops["stop_id"]
    trips, calls, frequencies = [], [], []

    def add(trip: str, route: str, sequence, start: int, hops, dwell, pickup, drop_off) -> None:
        trips.append({"trip_id": trip, "route_id": route, "service_id": "daily", "trip_headsign": ""})
        arrive = start + np.r_[0, np.cumsum(hops + dwell[:-1])]
        for i, stop in enumerate(sequence):
            calls.append(
                {
                    "trip_id": trip,
                    "stop_sequence": 10 * i + 1,  # gaps, and 11 < 2 as text
                    "stop_id": stop,
                    "arrival_s": int(arrive[i]),
                    "departure_s": int(arrive[i] + dwell[i]),
                    "pickup_type": int(pickup[i]),
                    "drop_off_type": int(drop_off[i]),
                }
            )

    routes = int(rng.integers(2, 5))
    for route in range(routes):
        size = int(rng.integers(1, min(5, count) + 1))
        sequence = [f"S{s}" for s in rng.choice(count, size=size, replace=False)]
        if size > 2 and rng.random() < 0.3:
            sequence.append(sequence[0])  # a loop: the first stop again
        size = len(sequence)
        pickup = (rng.random(size) < 0.15).astype(int)
        drop_off = (rng.random(size) < 0.15).astype(int)
        for trip in range(int(rng.integers(1, 9))):
            start = int(rng.integers(4 * 3600, 27 * 3600))
            hops = rng.integers(0, 600, size=size - 1)
            dwell = rng.integers(0, 2, size=size) * rng.integers(0, 90, size=size)
            add(f"r{route}t{trip}", f"r{route}", sequence, start, hops, dwell, pickup, drop_off)
            if rng.random() < 0.2:  # the same trip twice
                add(f"r{route}t{trip}copy", f"r{route}", sequence, start, hops, dwell, pickup, drop_off)
            if rng.random() < 0.2 and size > 1:  # the same stops, without pickup at one of them
                other = pickup.copy()
                other[int(rng.integers(size))] = 1
                add(f"r{route}t{trip}flags", f"r{route}", sequence, start, hops, dwell, other, drop_off)
        if size > 1 and rng.random() < 0.5:  # a frequency template
            hops, dwell = rng.integers(60, 600, size=size - 1), np.zeros(size, dtype=int)
            add(f"r{route}f", f"r{route}", sequence, 0, hops, dwell, np.zeros(size), np.zeros(size))
            first = int(rng.integers(5 * 3600, 20 * 3600))
            headway = int(rng.choice([600, 900, 1800]))
            frequencies.append((f"r{route}f", first, first + int(rng.integers(1, 8)) * headway, headway))
            if rng.random() < 0.5:  # a second row, overlapping the first
                second = first + headway * int(rng.integers(1, 4))
                frequencies.append((f"r{route}f", second, second + 3 * headway, headway))
    return Timetable(
        stops=stops,
        routes=pd.DataFrame(
            {
                "route_id": [f"r{r}" for r in range(routes)],
                "agency_name": "Op",
                "route_short_name": [f"r{r}" for r in range(routes)],
                "route_long_name": "",
                "route_type": 3,
            }
        ),
        trips=pd.DataFrame(trips),
        stop_times=pd.DataFrame(calls),
        calendar=pd.DataFrame(
            [{"service_id": "daily", **{d: 1 for d in WEEKDAYS}, "start_date": 20260101, "end_date": 20271231}]
        ),
        frequencies=pd.DataFrame(frequencies, columns=["trip_id", "start_s", "end_s", "headway_s"]).assign(
            exact_times=0
        ),
    )


def expected_runs(timetable: Timetable, day: date) -> dict[str, tuple]:
    """What the compiled day must hold, worked out call by call: run id -> (route, stops, pickups,
    drop-offs, arrivals, departures), for the day's trips and the previous day's still running."""
    runs: dict[str, tuple] = {}
    for when, shift, suffix in ((day, 0, ""), (day - timedelta(days=1), -DAY_S, "(previous day)")):
        services = timetable.services_on(when)
        for trip in timetable.trips.itertuples():
            if trip.service_id not in services:
                continue
            own = timetable.stop_times[timetable.stop_times["trip_id"] == trip.trip_id].sort_values("stop_sequence")
            if own.empty:
                continue
            pickup = own["pickup_type"] if "pickup_type" in own else pd.Series(0, index=own.index)
            drop_off = own["drop_off_type"] if "drop_off_type" in own else pd.Series(0, index=own.index)
            shape = (
                str(trip.route_id),
                tuple(own["stop_id"]),
                tuple(int(p) != 1 for p in pickup),
                tuple(int(d) != 1 for d in drop_off),
            )
            arrival, departure = own["arrival_s"].to_numpy(), own["departure_s"].to_numpy()
            rows = timetable.frequencies[timetable.frequencies["trip_id"] == trip.trip_id]
            starts = {f"{trip.trip_id}": 0} if rows.empty else {}
            for row in rows.itertuples():
                for start in range(row.start_s, row.end_s, row.headway_s):
                    starts[f"{trip.trip_id}@{gtfs_time(start)}"] = start - int(departure[0])
            for run, offset in starts.items():
                if (departure + offset + shift).max() >= 0:
                    times = (
                        tuple(int(t) for t in arrival + offset + shift),
                        tuple(int(t) for t in departure + offset + shift),
                    )
                    runs[run + suffix] = (*shape, *times)
    return runs


def compiled_runs(day: CompiledDay) -> dict[str, tuple]:
    """The compiled day's runs, in the form of :func:`expected_runs` (a run id twice fails)."""
    runs: dict[str, tuple] = {}
    for number, pattern in enumerate(day.patterns):
        route = str(day.routes["route_id"].iloc[pattern.route_row])
        shape = (
            route,
            tuple(str(day.stop_ids[s]) for s in pattern.stops),
            tuple(bool(p) for p in pattern.pickup),
            tuple(bool(d) for d in pattern.drop_off),
        )
        for row, run in enumerate(pattern.trip_ids):
            assert run not in runs, f"run {run} twice (pattern {number})"
            runs[str(run)] = (
                *shape,
                tuple(int(t) for t in pattern.arrival[row]),
                tuple(int(t) for t in pattern.departure[row]),
            )
    return runs


def assert_fifo(day: CompiledDay) -> None:
    """Within each pattern no trip overtakes: every arrival and departure column sorts."""
    for pattern in day.patterns:
        assert pattern.arrival.shape == pattern.departure.shape == (len(pattern.trip_ids), len(pattern.stops))
        assert (np.diff(pattern.departure, axis=0) >= 0).all(), pattern.trip_ids
        assert (np.diff(pattern.arrival, axis=0) >= 0).all(), pattern.trip_ids


# --- patterns ---------------------------------------------------------------------------------


def test_patterns_hold_every_run_call_for_call_and_none_overtakes():
    splits = 0
    for seed in range(40):
        timetable = shared_route_timetable(seed)
        day = compile_day(timetable, DAY)
        assert compiled_runs(day) == expected_runs(timetable, DAY), seed
        assert_fifo(day)
        assert_fifo(day.mirrored())
        keys = [(p.route_row, tuple(p.stops), tuple(p.pickup), tuple(p.drop_off)) for p in day.patterns]
        splits += len(keys) - len(set(keys))
    assert splits > 5  # the timetables did have trips that overtake (and were split)


def test_trips_that_overtake_are_caught_by_the_earliest_arrival():
    # t2 leaves A later but reaches C first: one sorted pattern would board t1 at A and miss it
    timetable = tiny(
        {
            "t1": [("A", "10:00:00", 0, 0), ("B", "10:10:00", 0, 0), ("C", "10:40:00", 0, 0)],
            "t2": [("A", "10:05:00", 0, 0), ("B", "10:15:00", 0, 0), ("C", "10:20:00", 0, 0)],
        },
        [("A", -3.0, 54.6, ""), ("B", -2.95, 54.6, ""), ("C", -2.9, 54.6, ""), ("D", -2.85, 54.6, "")],
    )
    same_route = replace(timetable, trips=timetable.trips.assign(route_id="t1"))
    day = compile_day(same_route, DAY)
    assert len(day.patterns) == 2
    assert earliest_arrival(day, {0: seconds("09:59")}).best()[2] == seconds("10:20")


def test_overlapping_frequency_rows_do_not_make_a_run_that_goes_back_in_time():
    template = tiny({"t": [("A", "00:00:00", 0, 0), ("B", "00:10:00", 0, 0), ("C", "00:20:00", 0, 0)]}, FAR3)
    timetable = replace(
        template,
        frequencies=pd.DataFrame(
            {
                "trip_id": ["t", "t"],
                "start_s": [seconds("07:00"), seconds("08:00")],
                "end_s": [seconds("08:30"), seconds("09:30")],
                "headway_s": [3600, 3600],
                "exact_times": [0, 0],
            }
        ),
    )
    day = compile_day(timetable, DAY)
    assert all(len(p.stops) == 3 for p in day.patterns)  # not A B C A B C
    assert sorted(r for p in day.patterns for r in p.trip_ids) == ["t@07:00:00", "t@08:00:00", "t@09:00:00"]
    best = earliest_arrival(day, {2: seconds("08:15")}).best()
    assert best[0] >= INF  # no ride from C back to A, arriving at 08:00


def test_an_empty_day_and_single_stop_trips_compile():
    calls = {"x": [("A", "10:00:00", 0, 0)], "y": [("B", "11:00:00", 0, 0)]}
    timetable = tiny(calls, FAR3)
    day = compile_day(timetable, DAY)
    assert sorted(len(p.stops) for p in day.patterns) == [1, 1]
    assert (earliest_arrival(day, {0: seconds("09:00")}).best()[1:] >= INF).all()
    weekends_off = replace(timetable, calendar=timetable.calendar.assign(saturday=0, sunday=0))
    empty = compile_day(weekends_off, date(2026, 11, 29))  # a Sunday: nothing today, nor left from Saturday
    assert empty.patterns == [] and not empty.pattern_calls.stop_calls.size
    assert (earliest_arrival(empty, {0: 0}).best()[1:] >= INF).all()


def test_raptor_equals_the_connection_scan_on_shared_route_timetables():
    tally = Tally()
    for seed in range(40):
        day = compile_day(shared_route_timetable(seed), DAY)
        c = connections(day)
        rng = np.random.default_rng(seed)
        for _ in range(4):
            starts = {int(rng.integers(len(day.stop_ids))): int(rng.integers(5 * 3600, 27 * 3600))}
            cap = int(rng.choice([0, 1, MAX_TRANSFERS]))
            raptor = earliest_arrival(day, starts, cap).best()
            assert (raptor >= min(starts.values())).all()  # nothing reached before setting out
            tally.add(day, f"seed {seed} {starts} (cap {cap})", raptor, connection_scan(c, starts, cap))
    assert tally.compared > 300
    assert tally.differences == 0, tally.examples


def best_at_place(labels, ends: dict[int, int]) -> tuple[int, int] | None:
    """(arrival at the place, fewest rounds for it) over every round's labels at the ``ends`` stops."""
    found = []
    for round_number in range(len(labels.by_vehicle)):
        arrival = labels.arrival(round_number)
        found += [(int(arrival[stop]) + extra, round_number) for stop, extra in ends.items() if arrival[stop] < INF]
    return min(found) if found else None


def test_target_pruning_finds_the_same_arrival_at_the_place_in_as_few_rounds():
    """On a real feed, where a later round often reaches the place earlier than the first one to reach it."""
    day = feed_day("cairns", CAIRNS_DAY)
    rng = np.random.default_rng(14)
    improved_later = 0
    for _ in range(150):
        starts = {int(rng.integers(len(day.stop_ids))): int(rng.integers(6 * 3600, 20 * 3600))}
        ends = {int(stop): int(rng.integers(0, 600)) for stop in rng.choice(len(day.stop_ids), 3, replace=False)}
        whole = earliest_arrival(day, starts, MAX_TRANSFERS)
        pruned = earliest_arrival(day, starts, MAX_TRANSFERS, ends=ends)
        assert best_at_place(pruned, ends) == best_at_place(whole, ends), (starts, ends)
        by_round = {best_at_place(replace(whole, by_vehicle=whole.by_vehicle[: k + 1]), ends) for k in range(4)}
        improved_later += len({found[0] for found in by_round if found}) > 1
    assert improved_later > 10  # the pruning was put to the test


# --- journeys rebuilt from labels ----------------------------------------------------------------


class Checker:
    """Checks legs against a compiled day (forwards or its mirror): places, times, calls, walks."""

    def __init__(self, day: CompiledDay) -> None:
        self.day = day
        self.row = {str(name): row for row, name in enumerate(day.stop_names)}
        assert len(self.row) == len(day.stop_names)  # names tell stops apart in these tests
        self.trip = {str(t): (n, r) for n, p in enumerate(day.patterns) for r, t in enumerate(p.trip_ids)}

    def ride(self, leg: Leg) -> None:
        number, row = self.trip[str(leg.trip_id)]
        pattern = self.day.patterns[number]
        fits = [
            board
            for board in range(len(pattern.stops) - int(leg.stops or 0))
            if self.day.stop_names[pattern.stops[board]] == leg.start
            and self.day.stop_names[pattern.stops[board + leg.stops]] == leg.end
            and pattern.departure[row, board] == leg.depart
            and pattern.arrival[row, board + leg.stops] == leg.arrive
        ]
        assert fits, leg
        assert any(pattern.pickup[b] and pattern.drop_off[b + leg.stops] for b in fits), leg
        assert leg.stops > 0

    def walk(self, leg: Leg) -> None:
        links = dict(self.day.walk_from[self.row[leg.start]])
        assert self.row[leg.end] in links, leg
        assert leg.arrive - leg.depart == int(np.ceil(links[self.row[leg.end]])), leg

    def legs(self, legs: list[Leg], start: int, begin: int) -> None:
        """``legs`` in travelling order from ``start`` (stop row), there at ``begin``."""
        at, when, by_vehicle = start, begin, False
        for number, leg in enumerate(legs):
            assert self.row[leg.start] == at, (number, legs)
            if leg.kind == "walk":
                assert number == 0 or by_vehicle, ("two walks in a row", legs)
                self.walk(leg)
                assert leg.depart >= when, legs
                by_vehicle = False
            else:
                self.ride(leg)
                ready = when + (int(np.ceil(self.day.change_s[at])) if by_vehicle else 0)
                assert leg.depart >= ready, ("change too quick", legs)
                by_vehicle = True
            at, when = self.row[leg.end], leg.arrive


def check_every_label(day: CompiledDay, starts: dict[int, int], cap: int) -> int:
    labels = earliest_arrival(day, starts, cap)
    checker, checked = Checker(day), 0
    for round_number in range(len(labels.rides)):
        arrival = labels.arrival(round_number)
        for stop in np.flatnonzero(arrival < INF).tolist():
            legs, start = _legs_back(day, labels, round_number, stop)
            legs.reverse()
            assert start in starts
            checker.legs(legs, start, starts[start])
            assert (legs[-1].arrive if legs else starts[start]) == arrival[stop]
            assert (checker.row[legs[-1].end] if legs else start) == stop
            assert sum(leg.kind != "walk" for leg in legs) == round_number
            checked += 1
    return checked


def test_every_label_rebuilds_into_legs_that_follow_the_rules_forwards_and_mirrored():
    checked = 0
    for seed in range(25):
        for timetable in (random_timetable(seed), shared_route_timetable(seed)):
            day = compile_day(timetable, DAY)
            rng = np.random.default_rng(seed)
            starts = {
                int(s): int(t)
                for s, t in zip(
                    rng.choice(len(day.stop_ids), size=2, replace=False),
                    rng.integers(6 * 3600, 24 * 3600, size=2),
                    strict=True,
                )
            }
            cap = int(rng.choice([1, MAX_TRANSFERS]))
            checked += check_every_label(day, starts, cap)
            mirror_starts = {stop: -time - 3 * 3600 for stop, time in starts.items()}
            checked += check_every_label(day.mirrored(), mirror_starts, cap)
    assert checked > 500


# --- door to door -------------------------------------------------------------------------------


def check_itinerary(planner: Planner, journey: Itinerary, origin, destination, leave: int) -> None:
    day = planner.day(DAY)
    checker = Checker(day)
    legs = list(journey.legs)
    assert legs[0].start == "origin" and legs[-1].end == "destination"
    assert journey.depart >= leave
    assert all(a.arrive <= b.depart and a.end == b.start for a, b in zip(legs, legs[1:], strict=False))
    if len(legs) == 1:
        return
    first, last = legs[0], legs[-1]
    access, egress = planner.walks(*origin), planner.walks(*destination)
    assert first.arrive - first.depart == int(np.ceil(access[checker.row[first.end]][0]))
    assert last.arrive - last.depart == int(np.ceil(egress[checker.row[last.start]][0]))
    middle = legs[1:-1]
    start = checker.row[first.end]
    checker.legs(middle, start, first.arrive)


def test_planner_journeys_arrive_when_raptor_says_and_chain_leg_by_leg(monkeypatch):
    monkeypatch.setattr(planner_module, "DIRECT_WALK_LIMIT_M", 500.0)  # so that most journeys use stops
    checked, shapes = 0, set()
    for seed in range(16):
        timetable = random_timetable(seed) if seed % 2 else shared_route_timetable(seed)
        lonlat = timetable.stops[["lon", "lat"]].to_numpy(dtype=float)
        planner = Planner(timetable, StraightLineWalker(lonlat), walk_limit_m=500.0)
        rng = np.random.default_rng(seed)
        for _ in range(6):
            origin, destination = (tuple(lonlat[rng.integers(len(lonlat))] + rng.normal(0, 0.002, 2)) for _ in "od")
            leave = int(rng.integers(6 * 3600, 23 * 3600))
            journey = planner.depart_at(origin, destination, DAY, leave)
            access, egress = planner.walks(*origin), planner.walks(*destination)
            best = earliest_arrival(
                planner.day(DAY), {s: leave + int(np.ceil(w)) for s, (w, _) in access.items()}
            ).best()
            options = [best[s] + int(np.ceil(w)) for s, (w, _) in egress.items() if best[s] < INF]
            walk = planner.direct_walk(origin, destination)
            if walk is not None:
                options.append(leave + int(np.ceil(walk[0])))
            if journey is None:
                assert options == []
                continue
            assert journey.arrive == min(options)
            check_itinerary(planner, journey, origin, destination, leave)
            shapes.add(tuple(leg.kind for leg in journey.legs))
            deadline = journey.arrive + int(rng.integers(0, 1800))
            back = planner.arrive_by(origin, destination, DAY, deadline)
            assert back is not None and back.arrive <= deadline
            assert back.depart == planner.latest_departure(origin, destination, DAY, deadline)
            check_itinerary(planner, back, origin, destination, back.depart)
            later = planner.depart_at(origin, destination, DAY, back.depart + 1)
            assert later is None or later.arrive > deadline  # none leaves later and is there in time
            checked += 1
    assert checked > 40
    assert {("walk",), ("walk", "walk"), ("walk", "walk", "walk"), ("walk", "bus", "walk")} <= shapes
    assert any(shape.count("bus") > 1 for shape in shapes)


def test_a_journey_without_a_vehicle_leaves_when_asked():
    # too far to offer a walk all the way (over 3 km), but stops A and B (300 m apart) between
    stops = [("A", -3.0, 54.6, ""), ("B", -3.0 + 300 * METRE_LON, 54.6, ""), ("C", -2.9, 54.6, "")]
    timetable = tiny({"x": [("A", "10:00:00", 0, 0), ("C", "10:10:00", 0, 0)]}, stops)
    planner = Planner(timetable, StraightLineWalker(timetable.stops[["lon", "lat"]].to_numpy(dtype=float)))
    origin, destination = (-3.0 - 1400 * METRE_LON, 54.6), (-3.0 + 1700 * METRE_LON, 54.6)
    assert planner.direct_walk(origin, destination) is None
    journey = planner.depart_at(origin, destination, DAY, seconds("09:00"))
    assert [leg.kind for leg in journey.legs] == ["walk", "walk", "walk"]
    assert journey.depart == seconds("09:00")
    assert all(a.arrive == b.depart for a, b in zip(journey.legs, journey.legs[1:], strict=False))
    assert journey.minutes < 60
    back = planner.arrive_by(origin, destination, DAY, seconds("12:00"))
    assert back.arrive == seconds("12:00")
    assert back.depart == planner.latest_departure(origin, destination, DAY, seconds("12:00"))


def test_the_first_trip_leaving_is_found_in_each_calls_own_column():
    rng = np.random.default_rng(14)
    patterns = []
    for trips in (1, 2, 3, 7, 8, 100, 257):
        departure = np.sort(rng.integers(0, 40, size=(trips, 3)), axis=0)  # ties and columns of one value
        patterns.append(
            Pattern(np.arange(3), departure, departure, np.arange(trips).astype(str), 0, *[np.ones(3, bool)] * 2)
        )
    calls = PatternCalls.of(patterns, 3)
    call = np.repeat(np.arange(len(calls.stop)), 45)
    ready = np.tile(np.arange(-2, 43), len(calls.stop))
    expected = [
        np.searchsorted(calls.departure[calls.column[c] : calls.column[c + 1]], r, side="left")
        for c, r in zip(call, ready, strict=True)
    ]
    assert _first_leaving(calls, call, ready).tolist() == expected
