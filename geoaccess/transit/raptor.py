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

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from numba import njit

from geoaccess.defaults import MAX_TRANSFERS
from geoaccess.transit.compiled import CompiledDay, PatternCalls

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


@dataclass(frozen=True)
class Rides:
    """How each stop was reached by vehicle in one round, as arrays (``pattern`` -1: not by vehicle);
    ``rides[stop]`` is its :class:`Ride`."""

    pattern: np.ndarray
    trip: np.ndarray
    board: np.ndarray
    alight: np.ndarray

    @classmethod
    def none(cls, stops: int) -> Rides:
        never = np.full(stops, -1, dtype=np.int64)
        return cls(never, never, never, never)

    def __getitem__(self, stop: int) -> Ride:
        if self.pattern[stop] < 0:
            raise KeyError(stop)
        return Ride(int(self.pattern[stop]), int(self.trip[stop]), int(self.board[stop]), int(self.alight[stop]))

    def stops(self) -> np.ndarray:
        """The stops reached by vehicle."""
        return np.flatnonzero(self.pattern >= 0)


@dataclass
class Labels:
    """Per round: arrival by vehicle and on foot at each stop (seconds), and how each was reached.

    Round 0 has no vehicle arrivals; a walk's ``source`` is a start stop in round 0 and a stop
    reached by vehicle in the same round otherwise.
    """

    by_vehicle: list[np.ndarray]
    rides: list[Rides]
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
    day: CompiledDay,
    starts: dict[int, int],
    max_transfers: int = MAX_TRANSFERS,
    bounds: Bounds | None = None,
    ends: dict[int, int] | None = None,
    arrive_before: int = INF,
) -> Labels:
    """Earliest arrival at every stop from ``starts`` (stop row -> time one is there, on foot).

    With ``bounds`` (journeys from a start no earlier than these, see :class:`Bounds`), a label that does not
    beat the bound of its round or an earlier one is dropped: the labels returned are only the improvements.

    With ``ends`` (stop row -> whole seconds on from there to the one place wanted), the search goes on only
    from stops reached before the best arrival at that place found so far (target pruning): the journeys to
    it are the same, and labels elsewhere that could not lead to an earlier arrival there are left out.
    ``arrive_before`` starts that bound lower: only journeys reaching the place before it are wanted.
    """
    stops = len(day.stop_ids)
    change = day.change_s.astype(np.int64)
    floor = bounds.on_foot[0] if bounds is not None else np.full(stops, INF, dtype=np.int64)
    origin = np.full(stops, INF, dtype=np.int64)
    for stop, time in starts.items():
        origin[stop] = min(origin[stop], time)
    foot, walks = _walk(day, origin, np.flatnonzero(origin < INF))
    at_start = (origin < INF) & (origin <= foot)
    foot[at_start] = origin[at_start]
    walks.source[at_start], walks.seconds[at_start] = -1, 0.0
    kept = foot < floor
    foot[~kept], walks.source[~kept] = INF, NOT_WALKED
    labels = Labels(
        by_vehicle=[np.full(stops, INF, dtype=np.int64)], rides=[Rides.none(stops)], on_foot=[foot], walks=[walks]
    )
    ready = foot.copy()
    best_vehicle = np.full(stops, INF, dtype=np.int64)
    best_ready = np.minimum(ready, floor)
    marked = np.flatnonzero(ready < INF)
    end_stops, onward = _ends(ends)
    arrival = arrive_before  # the best arrival at the place of ``ends`` so far, or the bound given
    for round_number in range(1, max_transfers + 2):
        if len(end_stops):
            reached = np.minimum(labels.by_vehicle[-1], labels.on_foot[-1])[end_stops]
            arrival = min(arrival, int(np.min(np.where(reached < INF, reached + onward, INF))))
            ready = np.where(ready < arrival, ready, INF)
            marked = marked[ready[marked] < INF]
        if not len(marked):
            break
        if bounds is not None:
            known = bounds.by_vehicle[round_number]
            best_vehicle = np.minimum(best_vehicle, known)
            known_ready = np.minimum(np.where(known < INF, known + change, INF), bounds.on_foot[round_number])
            best_ready = np.minimum(best_ready, known_ready)
        vehicle, rides = _scan_patterns(day, ready, best_vehicle, marked)
        best_vehicle = np.minimum(best_vehicle, vehicle)
        changed = np.where(vehicle < INF, vehicle + change, INF)
        foot, walks = _walk(day, vehicle, rides.stops())
        dominated = foot >= np.minimum(best_ready, changed)
        foot[dominated] = INF
        walks.source[dominated] = NOT_WALKED
        ready = np.minimum(changed, foot)
        marked = np.flatnonzero(ready < best_ready)
        best_ready = np.minimum(best_ready, ready)
        labels.by_vehicle.append(vehicle)
        labels.rides.append(rides)
        labels.on_foot.append(foot)
        labels.walks.append(walks)
    return labels


def _ends(ends: dict[int, int] | None) -> tuple[np.ndarray, np.ndarray]:
    """The stops of ``ends`` and the seconds on from each, as arrays (empty without ends)."""
    if not ends:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.fromiter(ends, dtype=np.int64, count=len(ends)), np.fromiter(ends.values(), dtype=np.int64)


def _scan_patterns(
    day: CompiledDay, ready: np.ndarray, best_vehicle: np.ndarray, marked: np.ndarray
) -> tuple[np.ndarray, Rides]:
    """One round's vehicle arrivals: scan every pattern through a marked stop from there on, keeping
    arrivals earlier than any vehicle arrival there so far; all patterns at once, as arrays.

    At each call from the first marked one, the trip caught is the earliest trip of the pattern one could
    board at an earlier call (the first trip leaving there at or after one is ready): the first call that
    gives the earliest trip is where it is boarded. Trips do not overtake, so an earlier trip caught is
    earlier at every later call. Of equal arrivals at a stop, the lowest pattern (then call) gives the ride
    (calls are numbered pattern after pattern, and scanned in that order).
    """
    calls = day.pattern_calls
    stops = len(day.stop_ids)
    vehicle = np.full(stops, INF, dtype=np.int64)
    at_marked = calls.stop_calls[_ranges(calls.stop_start, marked)]
    if not len(at_marked):
        return vehicle, Rides.none(stops)
    first = np.full(len(calls.start) - 1, INF, dtype=np.int64)
    np.minimum.at(first, calls.pattern[at_marked], at_marked)
    patterns = np.flatnonzero(first < INF)
    lengths = calls.start[patterns + 1] - first[patterns]
    scanned = np.repeat(first[patterns] - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    segment = np.repeat(np.arange(len(patterns), dtype=np.int64), lengths)
    ready_here = ready[calls.stop[scanned]]
    boarding = np.flatnonzero(calls.boards[scanned] & (ready_here < INF))
    catch = np.full(len(scanned), NO_TRIP, dtype=np.int64)
    if len(boarding):
        call = scanned[boarding]
        found = _first_leaving(calls, call, ready_here[boarding])
        catch[boarding] = np.where(found < calls.trips[call], found, NO_TRIP)
    trip, board = _caught_before(catch, calls.position[scanned], segment)
    riding = np.flatnonzero((trip != NO_TRIP) & calls.alights[scanned])
    call = scanned[riding]
    time = calls.arrival[calls.column[call] + trip[riding]]
    stop = calls.stop[call]
    better = np.flatnonzero(time < best_vehicle[stop])
    np.minimum.at(vehicle, stop[better], time[better])
    earliest = better[time[better] == vehicle[stop[better]]]
    first = np.full(stops, len(riding), dtype=np.int64)  # calls are scanned in order: the lowest index wins
    np.minimum.at(first, stop[earliest], earliest)
    reached = np.flatnonzero(first < len(riding))
    chosen = first[reached]
    call, riding = call[chosen], riding[chosen]
    rides = Rides(*(np.full(stops, -1, dtype=np.int64) for _ in range(4)))
    for column, values in zip(
        (rides.pattern, rides.trip, rides.board, rides.alight),
        (calls.pattern[call], trip[riding], board[riding], calls.position[call]),
        strict=True,
    ):
        column[reached] = values
    return vehicle, rides


NO_TRIP = PatternCalls.NO_TRIP
_POSITION_BITS = PatternCalls.POSITION_BITS


def _first_leaving(calls: PatternCalls, call: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """At each call, the first trip (row in its pattern) leaving at or after ``ready``; the trip count if none:
    a binary search in each call's own sorted column of departures (a compiled loop)."""
    return _compiled_first_leaving(
        calls.column, calls.departure, np.ascontiguousarray(call, np.int64), np.ascontiguousarray(ready, np.int64)
    )


def _first_leaving_loop(column: np.ndarray, departure: np.ndarray, call: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """:func:`_first_leaving` on the arrays themselves (compiled by numba)."""
    found = np.empty(len(call), np.int64)
    for row in range(len(call)):
        low, high = column[call[row]], column[call[row] + 1]
        first = low
        while low < high:
            middle = (low + high) >> 1
            if departure[middle] < ready[row]:
                low = middle + 1
            else:
                high = middle
        found[row] = low - first
    return found


_compiled_first_leaving = cast(Callable[..., np.ndarray], njit(cache=True, nogil=True)(_first_leaving_loop))


def load_compiled() -> None:
    """Make RAPTOR's compiled loop ready (from numba's on-disk cache): paid when a planner is made, not by
    its first search."""
    empty, read_only = np.zeros(0, np.int64), np.zeros(0, np.int64)
    read_only.flags.writeable = False  # a mirrored day's departures are read-only: numba compiles them apart
    for departure in (empty, read_only):
        _compiled_first_leaving(np.zeros(1, np.int64), departure, empty, empty)


def _ranges(start: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The indices ``start[r]:start[r + 1]`` of each row ``r``, one after another."""
    count = start[rows + 1] - start[rows]
    total = int(count.sum())
    return np.repeat(start[rows] - np.cumsum(count) + count, count) + np.arange(total)


def _caught_before(catch: np.ndarray, position: np.ndarray, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per scanned call, the earliest trip caught at an earlier call of its pattern (:data:`NO_TRIP` if none)
    and the position where it was first caught: a running minimum of (trip, position) within each pattern.

    Patterns are kept apart by giving each later one a lower band of keys, so one running minimum over
    all of them restarts at each pattern's first call; bands are made as narrow as the keys allow, and
    patterns are taken in groups if their bands would not fit 63 bits.
    """
    key = (catch << _POSITION_BITS) | position
    band = 1 << (NO_TRIP.bit_length() + _POSITION_BITS)
    group_size = max(1, (1 << 62) // band)
    groups = int(segment[-1]) // group_size + 1
    if groups == 1:
        offset = (group_size - 1 - segment) * band
        running = np.minimum.accumulate(key + offset) - offset
    else:
        running = np.empty_like(key)
        for low in range(0, groups * group_size, group_size):
            rows = np.flatnonzero((segment >= low) & (segment < low + group_size))
            offset = (low + group_size - 1 - segment[rows]) * band
            running[rows] = np.minimum.accumulate(key[rows] + offset) - offset
    before = np.empty_like(running)
    before[1:] = running[:-1]
    starts = np.r_[True, segment[1:] != segment[:-1]]
    before[starts] = (NO_TRIP << _POSITION_BITS) | 0
    return before >> _POSITION_BITS, before & ((1 << _POSITION_BITS) - 1)


def _walk(day: CompiledDay, start: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, Walks]:
    """Arrivals on foot by one walking transfer from ``sources`` (leaving at ``start``): at each stop the
    earliest, and the walk that gives it."""
    stops = len(day.stop_ids)
    foot = np.full(stops, INF, dtype=np.int64)
    walks = Walks(np.full(stops, NOT_WALKED, dtype=np.int64), np.zeros(stops))
    origins = sources[start[sources] < INF]
    links = day.walk_links
    first, count = links.start[origins], links.start[origins + 1] - links.start[origins]
    if not count.sum():
        return foot, walks
    source = np.repeat(origins, count)
    link = np.repeat(first - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
    time = start[source] + links.whole_s[link]
    target = links.target[link]
    np.minimum.at(foot, target, time)
    earliest = np.flatnonzero(time == foot[target])
    first_listed = np.full(stops, len(time), dtype=np.int64)
    np.minimum.at(first_listed, target[earliest], earliest)  # of equal walks to a stop, the first listed is taken
    reached = np.flatnonzero(first_listed < len(time))
    chosen = first_listed[reached]
    walks.source[reached], walks.seconds[reached] = source[chosen], links.seconds[link[chosen]]
    return foot, walks
