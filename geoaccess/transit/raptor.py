"""RAPTOR (Delling, Pajor and Werneck, 2012): earliest arrival by rounds over a compiled day.

The rules it is exact under (``tests/test_transit_differential.py`` checks it against a
separately written connection scan that follows the same rules):

* One starts *on foot* at the ``starts`` stops (after the walk from the true origin) and may
  first take one walking transfer from one of them (round 0).
* Round ``k`` (1 to ``max_transfers + 1``) rides the ``k``-th vehicle: one boards a trip at a
  stop where it picks up (``pickup_type`` not 1) when *ready* there after round ``k - 1``, and
  alights where it sets down (``drop_off_type`` not 1): that is an arrival *by vehicle*.
* After alighting one may take at most one walking transfer (a compiled walking link, already
  closed transitively through chains of nearby stops up to
  :data:`~geoaccess.transit.compiled.MAX_TRANSFER_WALK_S`, with ``transfers.txt`` minimum
  times, station rules applying to their platforms; its seconds are rounded up): that is an
  arrival *on foot*. A walk never follows another walk, except the first transfer walk after
  the walk from the origin.
* Ready to board = an arrival on foot (no change time) or an arrival by vehicle plus the
  stop's change time (``transfers.txt`` from the stop, or its station, to itself; else
  :data:`~geoaccess.transit.compiled.DEFAULT_CHANGE_S`). A trip is caught if it departs at or
  after that moment.
* A stop is reached at its earliest arrival of either kind, with at most ``max_transfers + 1``
  vehicles.

The two kinds of arrival are kept apart in every round, because they lead on differently: a
vehicle arrival may walk on but must change; a walker may board at once but not walk again.
A vehicle arrival is dropped only if no earlier than the best vehicle arrival there in this or
an earlier round; a walking arrival only if no earlier than the best readiness there. Each label
keeps how it was reached, so journeys can be rebuilt leg by leg.
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


@dataclass(frozen=True)
class Walks:
    """How each stop was reached on foot in one round, as arrays: the stop walked from (``-1``: the origin,
    :data:`NOT_WALKED`: not reached on foot) and the seconds; ``walks[stop]`` is its :class:`Walk`."""

    source: np.ndarray
    seconds: np.ndarray

    def __getitem__(self, stop: int) -> Walk:
        if self.source[stop] == NOT_WALKED:
            raise KeyError(stop)
        return Walk(int(self.source[stop]), float(self.seconds[stop]))


NOT_WALKED = -2


@dataclass
class Labels:
    """Per round: arrival by vehicle and on foot at each stop (seconds), and how each was reached.

    Round 0 has no vehicle arrivals; a walk's ``source`` is a start stop in round 0 and a stop
    reached by vehicle in the same round otherwise.
    """

    by_vehicle: list[np.ndarray]
    rides: list[dict[int, Ride]]
    on_foot: list[np.ndarray]
    walks: list[Walks]

    def arrival(self, round_number: int) -> np.ndarray:
        """Earliest arrival at each stop in one round, by vehicle or on foot."""
        both: np.ndarray = np.minimum(self.by_vehicle[round_number], self.on_foot[round_number])
        return both

    def best(self) -> np.ndarray:
        """Earliest arrival at each stop over all rounds."""
        best: np.ndarray = np.minimum(np.minimum.reduce(self.by_vehicle), np.minimum.reduce(self.on_foot))
        return best


@dataclass(frozen=True)
class Bounds:
    """Per round, arrivals by vehicle and on foot that journeys already found reach (range RAPTOR): a search
    whose start is no later than theirs can make the same journeys, so it keeps only what beats them."""

    by_vehicle: list[np.ndarray]
    on_foot: list[np.ndarray]

    @classmethod
    def none(cls, stops: int, rounds: int) -> Bounds:
        """No journeys known yet: every bound ``INF``."""
        never = np.full(stops, INF, dtype=np.int64)
        return cls([never] * rounds, [never] * rounds)

    @classmethod
    def of(cls, labels: Labels, rounds: int) -> Bounds:
        """The bounds ``labels`` give, padded to ``rounds`` rounds."""
        never = np.full(len(labels.on_foot[0]), INF, dtype=np.int64)
        pad = [never] * (rounds - len(labels.on_foot))
        return cls(labels.by_vehicle + pad, labels.on_foot + pad)

    def merged(self, labels: Labels) -> Bounds:
        """These bounds and the arrivals of ``labels``, round by round."""
        new = Bounds.of(labels, len(self.on_foot))
        return Bounds(
            [np.minimum(a, b) for a, b in zip(self.by_vehicle, new.by_vehicle, strict=True)],
            [np.minimum(a, b) for a, b in zip(self.on_foot, new.on_foot, strict=True)],
        )

    def best(self) -> np.ndarray:
        """Earliest arrival at each stop over all rounds."""
        best: np.ndarray = np.minimum(np.minimum.reduce(self.by_vehicle), np.minimum.reduce(self.on_foot))
        return best


def earliest_arrival(
    day: CompiledDay, starts: dict[int, int], max_transfers: int = MAX_TRANSFERS, bounds: Bounds | None = None
) -> Labels:
    """Earliest arrival at every stop from ``starts`` (stop row -> time one is there, on foot).

    With ``bounds`` (journeys from a start no earlier than these, see :class:`Bounds`), a label that does not
    beat the bound of its round or an earlier one is dropped: the labels returned are only the improvements.
    """
    stops = len(day.stop_ids)
    change = day.change_s.astype(np.int64)
    floor = bounds.on_foot[0] if bounds is not None else np.full(stops, INF, dtype=np.int64)
    origin = np.full(stops, INF, dtype=np.int64)
    for stop, time in starts.items():
        origin[stop] = min(origin[stop], time)
    foot, walks = _walk(day, origin, set(np.flatnonzero(origin < INF).tolist()))
    at_start = (origin < INF) & (origin <= foot)
    foot[at_start] = origin[at_start]
    walks.source[at_start], walks.seconds[at_start] = -1, 0.0
    kept = foot < floor
    foot[~kept], walks.source[~kept] = INF, NOT_WALKED
    labels = Labels(by_vehicle=[np.full(stops, INF, dtype=np.int64)], rides=[{}], on_foot=[foot], walks=[walks])
    ready = foot.copy()
    best_vehicle = np.full(stops, INF, dtype=np.int64)
    best_ready = np.minimum(ready, floor)
    marked = set(np.flatnonzero(ready < INF).tolist())
    for round_number in range(1, max_transfers + 2):
        if not marked:
            break
        if bounds is not None:
            known = bounds.by_vehicle[round_number]
            best_vehicle = np.minimum(best_vehicle, known)
            known_ready = np.minimum(np.where(known < INF, known + change, INF), bounds.on_foot[round_number])
            best_ready = np.minimum(best_ready, known_ready)
        vehicle, rides = _scan_patterns(day, ready, best_vehicle, marked)
        best_vehicle = np.minimum(best_vehicle, vehicle)
        changed = np.where(vehicle < INF, vehicle + change, INF)
        foot, walks = _walk(day, vehicle, set(rides))
        dominated = foot >= np.minimum(best_ready, changed)
        foot[dominated] = INF
        walks.source[dominated] = NOT_WALKED
        ready = np.minimum(changed, foot)
        marked = set(np.flatnonzero(ready < best_ready).tolist())
        best_ready = np.minimum(best_ready, ready)
        labels.by_vehicle.append(vehicle)
        labels.rides.append(rides)
        labels.on_foot.append(foot)
        labels.walks.append(walks)
    return labels


def _scan_patterns(
    day: CompiledDay, ready: np.ndarray, best_vehicle: np.ndarray, marked: set[int]
) -> tuple[np.ndarray, dict[int, Ride]]:
    """One round's vehicle arrivals: scan every pattern through a marked stop from there on,
    keeping arrivals earlier than any vehicle arrival there so far."""
    arrival = best_vehicle.tolist()  # a vehicle arrival must beat these; plain lists scan faster
    ready_at = ready.tolist()
    rides: dict[int, Ride] = {}
    first: dict[int, int] = {}
    for stop in marked:
        for number, position in day.stop_patterns[stop]:
            if position < first.get(number, 1 << 30):
                first[number] = position
    for number, start in first.items():
        pattern = day.patterns[number]
        stops, pickup, drop_off = pattern.calls
        trip, board = -1, -1
        times: list[int] = []  # the caught trip's arrivals
        earlier: list[int] = []  # the departures of the trip before it (none: it is the first)
        for position in range(start, len(stops)):
            stop = stops[position]
            if trip >= 0 and drop_off[position] and times[position] < arrival[stop]:
                arrival[stop] = times[position]
                rides[stop] = Ride(number, trip, board, position)
            if ready_at[stop] < INF and pickup[position] and position < len(stops) - 1:
                if trip >= 0 and (trip == 0 or earlier[position] < ready_at[stop]):
                    continue  # no earlier trip can be caught here
                catch = int(pattern.departure[:, position].searchsorted(ready_at[stop], side="left"))
                if catch < len(pattern.trip_ids) and (trip < 0 or catch < trip):
                    trip, board, times = catch, position, pattern.arrival[catch].tolist()
                    earlier = pattern.departure[catch - 1].tolist() if catch else []
    vehicle = np.full(len(day.stop_ids), INF, dtype=np.int64)
    if rides:
        reached = np.fromiter(rides, dtype=np.int64, count=len(rides))
        vehicle[reached] = np.asarray(arrival, dtype=np.int64)[reached]
    return vehicle, rides


def _walk(day: CompiledDay, start: np.ndarray, sources: set[int]) -> tuple[np.ndarray, Walks]:
    """Arrivals on foot by one walking transfer from ``sources`` (leaving at ``start``): at each stop the
    earliest, and the walk that gives it."""
    stops = len(day.stop_ids)
    foot = np.full(stops, INF, dtype=np.int64)
    walks = Walks(np.full(stops, NOT_WALKED, dtype=np.int64), np.zeros(stops))
    origins = np.fromiter(sources, dtype=np.int64, count=len(sources))
    origins = origins[start[origins] < INF]
    links = day.walk_links
    first, count = links.start[origins], links.start[origins + 1] - links.start[origins]
    if not count.sum():
        return foot, walks
    source = np.repeat(origins, count)
    link = np.repeat(first - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
    time = start[source] + links.whole_s[link]
    target = links.target[link]
    order = np.argsort(time, kind="stable")
    _, earliest = np.unique(target[order], return_index=True)
    chosen = order[earliest]
    reached = target[chosen]
    foot[reached] = time[chosen]
    walks.source[reached], walks.seconds[reached] = source[chosen], links.seconds[link[chosen]]
    return foot, walks
