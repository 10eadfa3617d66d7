"""One service day of a timetable, compiled to the arrays RAPTOR scans.

Trips running that day (and the previous day's trips still running after
midnight) are expanded from frequencies, grouped into *patterns* (trips that
call at the same stops in the same order, split so that no trip overtakes
another, which keeps each stop's departures sorted) and stored as trip x stop
matrices of arrival and departure seconds. Walking transfers join stops within
:data:`TRANSFER_RADIUS_M`; ``transfers.txt`` minimum times are honoured, a station's rules
applying to its platforms. Each pattern records where its trips pick up and set down.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geoaccess.errors import BadInput
from geoaccess.geometry import WGS84, metric_crs_for, transformer
from geoaccess.roads.router import ACCESS_CIRCUITY, WALK_KPH
from geoaccess.transit.frequencies import expand_frequencies
from geoaccess.transit.timetable import Timetable, mode_word, optional

DAY_S = 86_400
TRANSFER_RADIUS_M = 400.0
"""Stops this close (straight line) are joined by a walking transfer."""
MAX_TRANSFER_WALK_S = 15 * 60
"""Longest walking transfer between stops, through chains of nearby stops."""
LONGEST_LINK_S = 7 * DAY_S
"""No walking link (or ``transfers.txt`` time) is longer than a week: longer ones are damage, not data."""
DEFAULT_CHANGE_S = 120
"""Time to change vehicles at the same stop when ``transfers.txt`` says nothing (an assumption)."""
BLOCK_STOPS = 2048
"""Stops whose walking links are closed together (whole connected groups of them)."""
BLOCK_CELLS = 1 << 22
"""Stop-to-stop walking times held at once while closing links (32 MB)."""


@dataclass(frozen=True)
class Pattern:
    """Trips calling at the same stops in the same order, none overtaking another."""

    stops: np.ndarray  # stop rows, in calling order
    arrival: np.ndarray  # (trips, stops) seconds
    departure: np.ndarray  # (trips, stops) seconds, each column sorted
    trip_ids: np.ndarray
    route_row: int
    pickup: np.ndarray  # per stop: bool, one may board there (pickup_type is not 1)
    drop_off: np.ndarray  # per stop: bool, one may alight there (drop_off_type is not 1)

    @cached_property
    def calls(self) -> tuple[list[int], list[bool], list[bool]]:
        """Stops, pickups and drop-offs as plain lists (quicker to scan one by one)."""
        return self.stops.tolist(), self.pickup.tolist(), self.drop_off.tolist()


@dataclass(frozen=True)
class WalkLinks:
    """Walking transfers as flat arrays: stop ``i``'s links are ``start[i]:start[i + 1]``, each to ``target``
    in ``seconds`` (``whole_s``: rounded up, as labels count them)."""

    start: np.ndarray
    target: np.ndarray
    seconds: np.ndarray
    whole_s: np.ndarray

    @classmethod
    def of(cls, links: list[list[tuple[int, float]]]) -> WalkLinks:
        """From each stop's list of (other stop, seconds)."""
        counts = np.array([len(from_stop) for from_stop in links], dtype=np.int64)
        flat = [link for from_stop in links for link in from_stop]
        return cls.checked(
            np.concatenate([[0], np.cumsum(counts)]),
            np.array([target for target, _ in flat], dtype=np.int64),
            np.array([seconds for _, seconds in flat], dtype=float),
            len(links),
        )

    @classmethod
    def checked(cls, start: np.ndarray, target: np.ndarray, seconds: np.ndarray, stops: int) -> WalkLinks:
        """From flat arrays (as :meth:`of` makes them, or as saved); ``ValueError`` if they do not fit ``stops``."""
        start, target, seconds = np.asarray(start), np.asarray(target), np.asarray(seconds)
        if not (start.dtype.kind in "iu" and target.dtype.kind in "iu" and seconds.dtype.kind in "iuf"):
            raise ValueError("the walking links are not whole stop numbers and seconds")
        start, target, seconds = start.astype(np.int64), target.astype(np.int64), seconds.astype(float)
        if (
            start.ndim != 1
            or target.ndim != 1
            or seconds.ndim != 1
            or len(start) != stops + 1
            or start[0] != 0
            or (np.diff(start) < 0).any()
            or start[-1] != len(target)
            or len(target) != len(seconds)
            or (len(target) and (target.min() < 0 or target.max() >= stops))
            or not ((seconds >= 0) & (seconds <= LONGEST_LINK_S)).all()
        ):
            raise ValueError("the walking links do not fit the day's stops")
        return cls(start=start, target=target, seconds=seconds, whole_s=np.ceil(seconds).astype(np.int64))

    @property
    def lists(self) -> list[list[tuple[int, float]]]:
        """Each stop's links as a list of (other stop, seconds)."""
        targets, seconds, bounds = self.target.tolist(), self.seconds.tolist(), self.start.tolist()
        return [list(zip(targets[a:b], seconds[a:b], strict=True)) for a, b in zip(bounds, bounds[1:], strict=False)]

    def reversed(self) -> WalkLinks:
        """Every link turned round, each stop's links in the order of the stops they come from."""
        source = np.repeat(np.arange(len(self.start) - 1), np.diff(self.start))
        order = np.argsort(self.target, kind="stable")
        counts = np.bincount(self.target, minlength=len(self.start) - 1)
        return WalkLinks(
            start=np.concatenate([[0], np.cumsum(counts)]),
            target=source[order],
            seconds=self.seconds[order],
            whole_s=self.whole_s[order],
        )


@dataclass(frozen=True)
class PatternCalls:
    """Every pattern's calls as flat arrays, for RAPTOR's vectorised scan.

    Calls run pattern after pattern: pattern ``p``'s are ``start[p]:start[p + 1]``, in calling order. Each
    call's column of departures (one per trip, sorted: trips do not overtake) is
    ``departure[column[c]:column[c + 1]]``, and ``arrival`` holds the arrival seconds in the same layout.
    ``stop_calls[stop_start[s]:stop_start[s + 1]]`` are the calls at stop ``s``.
    """

    start: np.ndarray
    stop: np.ndarray
    pattern: np.ndarray
    position: np.ndarray
    boards: np.ndarray  # one may board here: the trip picks up and it is not the pattern's last call
    alights: np.ndarray
    trips: np.ndarray  # trips of the call's pattern
    column: np.ndarray
    departure: np.ndarray
    arrival: np.ndarray
    stop_start: np.ndarray
    stop_calls: np.ndarray

    NO_TRIP = (1 << 24) - 1
    """The scan's "no trip caught"; a pattern has fewer trips than this."""
    POSITION_BITS = 20
    """A pattern has at most 2**20 calls, so a call's position fits these bits of the scan's keys."""

    def matrix(self, values: np.ndarray, pattern: int) -> np.ndarray:
        """Pattern ``pattern``'s (trips, stops) matrix of ``values`` (:attr:`departure` or :attr:`arrival`): a view."""
        first, end = self.start[pattern], self.start[pattern + 1]
        trips = int(self.trips[first]) if end > first else 0
        return values[self.column[first] : self.column[end]].reshape(end - first, trips).T

    def mirrored(self, pickups: list[np.ndarray]) -> PatternCalls:
        """The calls of the time-mirrored day (each pattern's calls and trips reversed, seconds negated and
        arrival and departure swapped, boarding where one could alight); ``pickups``: each pattern's
        :attr:`Pattern.pickup`, which :attr:`boards` does not keep at a last call."""
        length = np.diff(self.start)[self.pattern]
        source = self.start[self.pattern] + length - 1 - self.position  # the call each mirrored call reverses
        last = self.position == length - 1
        # Entry k of mirrored call c (its column starts at column[c]) is entry trips - 1 - k of call source[c]:
        # column[source[c]] + trips - 1 - (e - column[c]) for the entry's flat position e, in two big arrays.
        source_entry = np.repeat(self.column[source] + self.trips - 1 + self.column[:-1], self.trips)
        source_entry -= np.arange(len(self.departure))
        departure, arrival = self.arrival.take(source_entry), self.departure.take(source_entry)
        np.negative(departure, out=departure)
        np.negative(arrival, out=arrival)
        stop = self.stop[source]
        order = np.argsort(stop, kind="stable")
        pickup = np.concatenate(pickups).astype(bool) if pickups else np.empty(0, bool)
        return replace(
            self,
            stop=stop,
            boards=self.alights[source] & ~last,
            alights=pickup[source],
            departure=departure,
            arrival=arrival,
            stop_start=np.searchsorted(stop[order], np.arange(len(self.stop_start))),
            stop_calls=order,
        )

    @classmethod
    def of(cls, patterns: list[Pattern], stops: int) -> PatternCalls:
        """The flat arrays of ``patterns``; a day beyond the limits above is refused, never scanned wrongly."""
        lengths = np.array([len(p.stops) for p in patterns], dtype=np.int64)
        trips = np.array([len(p.trip_ids) for p in patterns], dtype=np.int64)
        if len(patterns) and (lengths.max() > 1 << cls.POSITION_BITS or trips.max() >= cls.NO_TRIP):
            raise BadInput(
                f"a pattern of this timetable has {int(lengths.max()):,} calls or {int(trips.max()):,} trips; "
                f"at most {1 << cls.POSITION_BITS:,} calls and {cls.NO_TRIP - 1:,} trips can be searched"
            )
        start = np.concatenate([[0], np.cumsum(lengths)])
        calls = int(start[-1])
        call_trips = np.repeat(trips, lengths)
        column = np.concatenate([[0], np.cumsum(call_trips)])
        stop = np.concatenate([p.stops for p in patterns]).astype(np.int64) if patterns else np.empty(0, np.int64)
        pickup = np.concatenate([p.pickup for p in patterns]).astype(bool) if patterns else np.empty(0, bool)
        last = np.zeros(calls, dtype=bool)
        last[start[1:] - 1] = True
        departures = [p.departure.T.ravel() for p in patterns]
        arrivals = [p.arrival.T.ravel() for p in patterns]
        order = np.argsort(stop, kind="stable")
        return cls(
            start=start,
            stop=stop,
            pattern=np.repeat(np.arange(len(patterns), dtype=np.int64), lengths),
            position=np.arange(calls, dtype=np.int64) - np.repeat(start[:-1], lengths),
            boards=pickup & ~last,
            alights=np.concatenate([p.drop_off for p in patterns]).astype(bool) if patterns else np.empty(0, bool),
            trips=call_trips,
            column=column,
            departure=np.concatenate(departures).astype(np.int64) if patterns else np.empty(0, np.int64),
            arrival=np.concatenate(arrivals).astype(np.int64) if patterns else np.empty(0, np.int64),
            stop_start=np.searchsorted(stop[order], np.arange(stops + 1)),
            stop_calls=order,
        )


@dataclass
class CompiledDay:
    """The arrays for one service day; see the module docstring."""

    day: date
    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_lonlat: np.ndarray  # (n, 2)
    patterns: list[Pattern]
    change_s: np.ndarray  # per stop: minimum time to change vehicles there
    walk_links: WalkLinks  # walking transfers between stops
    routes: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    reversed: bool = False
    basis: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Run id -> (``basis``, ``basis_note``) of its trip, for the runs of trips that say what they rest on
    (a modelled timetable's; see :data:`~geoaccess.transit.timetable.OPTIONAL`)."""

    @cached_property
    def walk_from(self) -> list[list[tuple[int, float]]]:
        """Per stop, its walking transfers as (other stop, seconds)."""
        return self.walk_links.lists

    @cached_property
    def pattern_calls(self) -> PatternCalls:
        """:attr:`patterns` as flat arrays, for RAPTOR's vectorised scan."""
        return PatternCalls.of(self.patterns, len(self.stop_ids))

    @property
    def stop_index(self) -> dict[str, int]:
        """Stop id -> row."""
        return {stop_id: row for row, stop_id in enumerate(self.stop_ids)}

    def route_label(self, pattern: int) -> dict[str, str]:
        """Route name, operator and mode word for a pattern's legs."""
        return dict(self._route_labels[self.patterns[pattern].route_row])

    @cached_property
    def _route_labels(self) -> list[dict[str, str]]:
        """:meth:`route_label` of each row of :attr:`routes` (a row read from the table costs ~1 ms)."""
        columns = ("route_short_name", "route_long_name", "agency_name", "route_type")
        return [
            {
                "route": str(short or long),
                "route_long_name": str(long),
                "operator": str(agency),
                "mode": mode_word(int(kind)),
            }
            for short, long, agency, kind in zip(*(self.routes[column].tolist() for column in columns), strict=True)
        ]

    def mirrored(self) -> CompiledDay:
        """The same day with time running backwards: trips reversed, seconds negated.

        The earliest arrival on the mirror from a place at ``-t`` is minus the latest
        departure to reach that place by ``t``. Made from this day's flat arrays in a few
        gathers (each mirrored pattern is a view of them), not pattern by pattern.
        """
        calls = self.pattern_calls.mirrored([pattern.pickup for pattern in self.patterns])
        for flat in (calls.arrival, calls.departure):
            flat.flags.writeable = False  # the mirrored patterns' matrices are views of these, which RAPTOR scans
        patterns = [
            Pattern(
                stops=pattern.stops[::-1].copy(),
                arrival=calls.matrix(calls.arrival, row),
                departure=calls.matrix(calls.departure, row),
                trip_ids=pattern.trip_ids[::-1].copy(),  # no trip overtakes: reversed, every column sorts
                route_row=pattern.route_row,
                pickup=pattern.drop_off[::-1].copy(),
                drop_off=pattern.pickup[::-1].copy(),
            )
            for row, pattern in enumerate(self.patterns)
        ]
        mirror = replace(self, patterns=patterns, walk_links=self.walk_links.reversed(), reversed=not self.reversed)
        for name, value in (("pattern_calls", calls), ("_route_labels", self._route_labels)):
            mirror.__dict__[name] = value  # cached_property values live here: derived, not rebuilt
        return mirror


def compile_day(timetable: Timetable, day: date) -> CompiledDay:
    """The arrays for ``day``: that day's trips plus the previous day's after midnight."""
    stops = timetable.stops.reset_index(drop=True)
    stop_row = pd.Series(np.arange(len(stops)), index=stops["stop_id"].to_numpy())
    calls = pd.concat(
        [_calls_on(timetable, day, 0), _calls_on(timetable, day - timedelta(days=1), -DAY_S)], ignore_index=True
    )
    calls = calls[calls["departure_s"].groupby(calls["run_id"]).transform("max") >= 0]
    route_row = pd.Series(np.arange(len(timetable.routes)), index=timetable.routes["route_id"].to_numpy())
    patterns = _patterns(calls, stop_row, route_row)
    change, walks = _transfers(timetable, stop_row, stops[["lon", "lat"]].to_numpy(dtype=float))
    links = WalkLinks.of(walks)
    return assemble(
        timetable, day, patterns=patterns, change_s=change, walk_links=links, basis=_basis(timetable, calls)
    )


def assemble(
    timetable: Timetable,
    day: date,
    *,
    patterns: list[Pattern],
    change_s: np.ndarray,
    walk_links: WalkLinks,
    basis: dict[str, tuple[str, str]],
) -> CompiledDay:
    """A compiled day from its patterns, change times, walking transfers and trip bases, with its stops,
    routes and provenance taken from ``timetable`` (as compiled, or as saved in a cache)."""
    stops = timetable.stops.reset_index(drop=True)
    return CompiledDay(
        day=day,
        stop_ids=stops["stop_id"].to_numpy(dtype=object),
        stop_names=stops["stop_name"].to_numpy(dtype=object),
        stop_lonlat=stops[["lon", "lat"]].to_numpy(dtype=float),
        patterns=patterns,
        change_s=change_s,
        walk_links=walk_links,
        routes=timetable.routes.reset_index(drop=True),
        provenance=timetable.provenance,
        basis=basis,
    )


def _basis(timetable: Timetable, calls: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Run id -> its trip's (basis, basis note), for trips with a basis."""
    trips = timetable.trips
    said = trips[optional(trips, "trips", "basis") != ""]
    if said.empty:
        return {}
    runs = calls[["run_id", "trip_id"]].drop_duplicates("run_id").merge(said, on="trip_id")
    notes = optional(runs, "trips", "basis_note")
    return {
        str(run): (str(basis), str(note)) for run, basis, note in zip(runs["run_id"], runs["basis"], notes, strict=True)
    }


def _calls_on(timetable: Timetable, day: date, shift_s: int) -> pd.DataFrame:
    """Stop calls of the trips running on ``day`` (frequencies expanded), times shifted by ``shift_s``."""
    running = timetable.trips[timetable.trips["service_id"].isin(timetable.services_on(day))]
    calls = timetable.stop_times.merge(running[["trip_id", "route_id"]], on="trip_id")
    calls = calls.sort_values(["trip_id", "stop_sequence"])
    frequencies = timetable.frequencies[timetable.frequencies["trip_id"].isin(running["trip_id"])]
    scheduled = calls[~calls["trip_id"].isin(frequencies["trip_id"])].assign(run_id=lambda f: f["trip_id"])
    runs = expand_frequencies(calls, frequencies)  # vectorised; calls are in trip order
    # overlapping rows of one trip (GTFS forbids them; feeds have them) give a run twice, under one id:
    # kept twice, its calls would join into one run going back in time
    runs = runs.drop_duplicates(["run_id", "stop_sequence"])
    frame = pd.concat([scheduled, runs], ignore_index=True) if len(runs) else scheduled.reset_index(drop=True)
    frame["arrival_s"] += shift_s
    frame["departure_s"] += shift_s
    if shift_s:
        frame["run_id"] = frame["run_id"] + "(previous day)"
    return frame


def _patterns(calls: pd.DataFrame, stop_row: pd.Series, route_row: pd.Series) -> list[Pattern]:
    """Group runs by route, stop sequence and where they pick up and set down, then split so that
    no run overtakes another."""
    patterns: list[Pattern] = []
    if calls.empty:
        return patterns
    runs = _runs(calls, stop_row)
    for (route_id, sequence, pickup, drop_off), members in _group_runs(runs).items():
        arrival = np.vstack([runs[run].arrival for run in members])
        departure = np.vstack([runs[run].departure for run in members])
        order = np.lexsort((arrival[:, -1], departure[:, 0]))
        for chain in _fifo_chains(arrival[order], departure[order]):
            rows = order[chain]
            patterns.append(
                Pattern(
                    stops=np.asarray(sequence, dtype=np.int64),
                    arrival=arrival[rows],
                    departure=departure[rows],
                    trip_ids=np.asarray(members, dtype=object)[rows],
                    route_row=int(route_row.loc[route_id]),
                    pickup=np.asarray(pickup, dtype=bool),
                    drop_off=np.asarray(drop_off, dtype=bool),
                )
            )
    return patterns


RunKey = tuple[str, tuple[int, ...], tuple[bool, ...], tuple[bool, ...]]
"""What puts runs in one pattern: route id, stop rows, pickups and drop-offs."""


class _Run(NamedTuple):
    """One run's pattern key and its arrival and departure seconds at each call."""

    key: RunKey
    arrival: np.ndarray
    departure: np.ndarray


def _runs(calls: pd.DataFrame, stop_row: pd.Series) -> dict[str, _Run]:
    """Each run's calls (in the order given), by run id in order of first appearance."""
    codes, run_ids = pd.factorize(calls["run_id"], sort=False)
    order = np.argsort(codes, kind="stable")
    cuts = np.flatnonzero(np.diff(codes[order])) + 1
    columns = [
        stop_row.loc[calls["stop_id"].to_numpy()].to_numpy()[order],
        (optional(calls, "stop_times", "pickup_type").to_numpy() != 1)[order],
        (optional(calls, "stop_times", "drop_off_type").to_numpy() != 1)[order],
        calls["arrival_s"].to_numpy(dtype=np.int64)[order],
        calls["departure_s"].to_numpy(dtype=np.int64)[order],
    ]
    stops, pickups, drop_offs, arrivals, departures = (np.split(column, cuts) for column in columns)
    routes = calls["route_id"].to_numpy()[order][np.r_[0, cuts]]
    return {
        str(run): _Run((str(route), tuple(stop.tolist()), tuple(up.tolist()), tuple(down.tolist())), arrive, depart)
        for run, route, stop, up, down, arrive, depart in zip(
            run_ids, routes, stops, pickups, drop_offs, arrivals, departures, strict=True
        )
    }


def _group_runs(runs: dict[str, _Run]) -> dict[RunKey, list[str]]:
    """(route id, stop sequence, pickups, drop-offs) -> run ids, in a stable order."""
    groups: dict[RunKey, list[str]] = {}
    for run_id, run in runs.items():
        groups.setdefault(run.key, []).append(run_id)
    return dict(sorted(groups.items(), key=lambda item: item[0]))


def _fifo_chains(arrival: np.ndarray, departure: np.ndarray) -> list[list[int]]:
    """Split runs (sorted by first departure) into chains in which none overtakes the one before."""
    chains: list[list[int]] = []
    for run in range(len(arrival)):
        for chain in chains:
            last = chain[-1]
            if (arrival[run] >= arrival[last]).all() and (departure[run] >= departure[last]).all():
                chain.append(run)
                break
        else:
            chains.append([run])
    return chains


def _transfers(
    timetable: Timetable, stop_row: pd.Series, lonlat: np.ndarray
) -> tuple[np.ndarray, list[list[tuple[int, float]]]]:
    """Per-stop change times and walking transfers: nearby stops, closed transitively, then
    ``transfers.txt``'s rules as minimum times (type 3, not possible, removes the link)."""
    change = np.full(len(lonlat), float(DEFAULT_CHANGE_S))
    walks: dict[tuple[int, int], float] = {}
    if len(lonlat) > 1:
        east, north = transformer(WGS84, metric_crs_for(lonlat)).transform(lonlat[:, 0], lonlat[:, 1])
        xy = np.column_stack([east, north])
        near = cKDTree(xy).query_pairs(TRANSFER_RADIUS_M, output_type="ndarray")
        gap = xy[near[:, 0]] - xy[near[:, 1]]
        seconds = (np.hypot(gap[:, 0], gap[:, 1]) * ACCESS_CIRCUITY / (WALK_KPH / 3.6)).tolist()
        a, b = near[:, 0].tolist(), near[:, 1].tolist()
        walks.update(zip(zip(a, b, strict=True), seconds, strict=True))
        walks.update(zip(zip(b, a, strict=True), seconds, strict=True))
    rules = _rules(timetable, stop_row)
    for (a, b), minimum in rules.items():
        if a == b and minimum is not None:
            change[a] = minimum
        elif minimum is not None:
            walks[(a, b)] = max(walks.get((a, b), 0.0), minimum)
    links = _closed(walks, len(lonlat))
    for source, targets in enumerate(links):
        kept = []
        for target, seconds in targets:
            minimum = rules.get((source, target), 0.0)
            if minimum is not None:  # a quicker way round through other stops obeys the rule too
                kept.append((target, max(seconds, minimum)))
        links[source] = kept
    return change, links


def _rules(timetable: Timetable, stop_row: pd.Series) -> dict[tuple[int, int], float | None]:
    """``transfers.txt``: (from row, to row) -> minimum seconds, ``None`` if not possible.

    A rule naming a station applies to each of its platforms (and to the station itself); a
    rule naming the stops themselves wins over one naming their stations.
    """
    stops = timetable.stops
    parent = optional(stops, "stops", "parent_station")
    children = stops[parent != ""].groupby(parent[parent != ""])["stop_id"].agg(list).to_dict()
    known = timetable.transfers[
        timetable.transfers["from_stop_id"].isin(stop_row.index)
        & timetable.transfers["to_stop_id"].isin(stop_row.index)
    ]
    ranked: dict[tuple[int, int], tuple[int, float | None]] = {}
    for row in known.itertuples(index=False):
        minimum = (
            None if row.transfer_type == 3 else 0.0 if np.isnan(row.min_transfer_time) else float(row.min_transfer_time)
        )
        for origin in [row.from_stop_id, *children.get(row.from_stop_id, [])]:
            for target in [row.to_stop_id, *children.get(row.to_stop_id, [])]:
                pair = (int(stop_row.loc[origin]), int(stop_row.loc[target]))
                rank = (origin == row.from_stop_id) + (target == row.to_stop_id)
                if rank >= ranked.get(pair, (-1, None))[0]:
                    ranked[pair] = (rank, minimum)
    return {pair: minimum for pair, (_, minimum) in ranked.items()}


def _closed(walks: dict[tuple[int, int], float], stops: int) -> list[list[tuple[int, float]]]:
    """Walking links closed transitively (the quickest walk through chains of nearby stops), up to
    :data:`MAX_TRANSFER_WALK_S`, so one walking step between vehicles is always enough.

    A walk stays within its stop's connected group of links, so groups are solved apart, in blocks holding
    at most :data:`BLOCK_CELLS` distances: memory stays bounded however many stops the feed has."""
    links: list[list[tuple[int, float]]] = [[] for _ in range(stops)]
    if not walks:
        return links
    pairs = np.asarray(sorted(walks))
    seconds = np.asarray([walks[tuple(pair)] for pair in pairs])
    graph = sparse.csr_matrix((np.maximum(seconds, 1e-6), (pairs[:, 0], pairs[:, 1])), shape=(stops, stops))
    is_source = np.zeros(stops, dtype=bool)
    is_source[pairs[:, 0]] = True
    for nodes in _spans(graph):
        local = np.flatnonzero(is_source[nodes])
        if not len(local):
            continue
        within = graph[nodes][:, nodes]
        step = max(1, BLOCK_CELLS // len(nodes))
        for first in range(0, len(local), step):
            rows = local[first : first + step]
            quickest = dijkstra(within, indices=rows, limit=MAX_TRANSFER_WALK_S)
            row, column = np.nonzero(np.isfinite(quickest))
            keep = rows[row] != column
            row, column = row[keep], column[keep]
            found = zip(nodes[rows[row]].tolist(), nodes[column].tolist(), quickest[row, column].tolist(), strict=True)
            for source, target, walk_s in found:
                links[source].append((target, walk_s))
    return links


def _spans(graph: sparse.csr_matrix) -> list[np.ndarray]:
    """The stops in runs of whole connected groups (each group's stops ascending), a run holding at most
    :data:`BLOCK_STOPS` stops unless one group alone is larger."""
    _, group = connected_components(graph, directed=True, connection="weak")
    order = np.argsort(group, kind="stable")
    cuts = np.flatnonzero(np.diff(group[order])) + 1
    ends = [*cuts.tolist(), len(order)]
    spans: list[np.ndarray] = []
    start = 0
    for number, end in enumerate(ends):
        if number == len(ends) - 1 or ends[number + 1] - start > BLOCK_STOPS:  # the next group would not fit
            spans.append(order[start:end])
            start = end
    return spans
