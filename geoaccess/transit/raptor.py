"""RAPTOR (Delling, Pajor and Werneck, 2012): earliest arrival by rounds over a compiled day.

Round ``k`` finds the earliest arrival at every stop using at most ``k``
vehicles: it scans each pattern serving a stop from which one became ready to
board in the round before, boarding the earliest trip that can be caught
there, then relaxes walking transfers from the stops reached by vehicle (the
compiled day's walking links are already closed transitively, so one walk
step suffices). Each stop keeps two labels per round: when one *arrives*
there (for reaching a destination) and when one is *ready to board* there
(a vehicle arrival plus the stop's change time, or a walk arrival, which needs
no change time). Each label keeps how it was reached, so journeys can be
rebuilt leg by leg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoaccess.defaults import MAX_TRANSFERS
from geoaccess.transit.compiled import CompiledDay

INF = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class Ride:
    """How a stop was reached by vehicle: pattern, trip row, boarding and alighting positions."""

    pattern: int
    trip: int
    board: int
    alight: int


@dataclass(frozen=True)
class Walk:
    """How a stop was reached on foot: from which stop (``-1`` = from the origin), taking seconds."""

    source: int
    seconds: float


@dataclass
class Labels:
    """Per round: arrival and readiness to board at each stop (seconds), and how each was reached."""

    arrival: list[np.ndarray]
    how: list[dict[int, Ride | Walk]]
    ready: list[np.ndarray]
    how_ready: list[dict[int, Ride | Walk]]

    def best(self) -> np.ndarray:
        """Earliest arrival at each stop over all rounds."""
        best: np.ndarray = np.minimum.reduce(self.arrival)
        return best


def earliest_arrival(day: CompiledDay, starts: dict[int, int], max_transfers: int = MAX_TRANSFERS) -> Labels:
    """Earliest arrival at every stop from ``starts`` (stop row -> time one is there, on foot)."""
    stops = len(day.stop_ids)
    arrival = np.full(stops, INF, dtype=np.int64)
    how: dict[int, Ride | Walk] = {}
    for stop, time in starts.items():
        if time < arrival[stop]:
            arrival[stop] = time
            how[stop] = Walk(-1, 0.0)
    ready, how_ready = arrival.copy(), dict(how)  # on foot: ready at once
    marked = set(how) | _walk(day, arrival, how, ready, how_ready, set(how))
    labels = Labels(arrival=[arrival], how=[how], ready=[ready], how_ready=[how_ready])
    best, best_ready = arrival.copy(), ready.copy()
    for _ in range(max_transfers + 1):
        if not marked:
            break
        arrival, how, improved = _scan_patterns(day, ready, best, marked)
        ready = np.where(arrival < INF, arrival + day.change_s.astype(np.int64), INF)
        how_ready = dict(how)
        _walk(day, arrival, how, ready, how_ready, improved)
        marked = set(np.flatnonzero(ready < best_ready).tolist())
        best = np.minimum(best, arrival)
        best_ready = np.minimum(best_ready, ready)
        labels.arrival.append(arrival)
        labels.how.append(how)
        labels.ready.append(ready)
        labels.how_ready.append(how_ready)
    return labels


def _scan_patterns(
    day: CompiledDay, ready: np.ndarray, best: np.ndarray, marked: set[int]
) -> tuple[np.ndarray, dict[int, Ride | Walk], set[int]]:
    """One round's vehicle arrivals: scan every pattern through a marked stop from there on."""
    arrival = np.full(len(day.stop_ids), INF, dtype=np.int64)
    how: dict[int, Ride | Walk] = {}
    improved: set[int] = set()
    first: dict[int, int] = {}
    for stop in marked:
        for number, position in day.stop_patterns[stop]:
            if position < first.get(number, 1 << 30):
                first[number] = position
    for number, start in first.items():
        pattern = day.patterns[number]
        trip, board = -1, -1
        for position in range(start, len(pattern.stops)):
            stop = int(pattern.stops[position])
            if trip >= 0:
                time = int(pattern.arrival[trip, position])
                if time < arrival[stop] and time < best[stop]:
                    arrival[stop] = time
                    how[stop] = Ride(number, trip, board, position)
                    improved.add(stop)
            if ready[stop] < INF and position < len(pattern.stops) - 1:
                column = pattern.departure[:, position]
                catch = int(np.searchsorted(column, ready[stop], side="left"))
                if catch < len(column) and (trip < 0 or catch < trip):
                    trip, board = catch, position
    return arrival, how, improved


def _walk(
    day: CompiledDay,
    arrival: np.ndarray,
    how: dict[int, Ride | Walk],
    ready: np.ndarray,
    how_ready: dict[int, Ride | Walk],
    sources: set[int],
) -> set[int]:
    """Walk on from ``sources`` (one step: the links are transitively closed); walkers may board at
    once. Updates arrival and readiness labels; returns the stops whose readiness improved."""
    walked: set[int] = set()
    start = arrival.copy()  # walks start from the stops' own arrivals, never from another walk
    for source in sources:
        for target, seconds in day.walk_from[source]:
            time = start[source] + int(np.ceil(seconds))
            if time < arrival[target]:
                arrival[target] = time
                how[target] = Walk(source, seconds)
            if time < ready[target]:
                ready[target] = time
                how_ready[target] = Walk(source, seconds)
                walked.add(target)
    return walked
