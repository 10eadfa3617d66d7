"""Departure-window travel times: for every minute of a window, as r5 reports them.

For each destination, the latest departure from every stop that still arrives
by each possible arrival time (a vehicle's arrival at a stop near it, or one
walking transfer from one, plus the walk) is found by RAPTOR on the time-mirrored day
(one search per distinct arrival time at the destination's stops, earliest first, each keeping only what
beats the journeys the earlier ones found: range RAPTOR). An origin
then reads its earliest arrival for any departure minute off those profiles
through its walks to nearby stops, so the cost grows with destinations and
arrival times, not with origins x minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from geoaccess.transit.compiled import CompiledDay
from geoaccess.transit.planner import Planner
from geoaccess.transit.raptor import INF, Bounds, earliest_arrival

DEFAULT_HORIZON_S = 5 * 3600
"""Journeys longer than this count as unreachable."""


@dataclass(frozen=True)
class WindowTimes:
    """Travel minutes over a departure window, shape (origins, destinations); ``inf`` = unreachable.

    ``median`` and ``p90`` are over the window's departure minutes (waiting at the start
    included, as r5 does); ``best`` is the shortest.
    """

    median: np.ndarray
    p90: np.ndarray
    best: np.ndarray
    departures: np.ndarray


def window_matrix(
    planner: Planner,
    origins: np.ndarray,
    destinations: np.ndarray,
    when: date,
    start_s: int,
    end_s: int,
    step_s: int = 60,
    horizon_s: int = DEFAULT_HORIZON_S,
) -> WindowTimes:
    """Travel times from each origin to each destination, departing every ``step_s`` in the window."""
    departures = np.arange(start_s, end_s + 1, step_s)
    access = [planner.walks(lon, lat) for lon, lat in origins]
    shape = (len(origins), len(destinations))
    median, p90, best = np.full(shape, np.inf), np.full(shape, np.inf), np.full(shape, np.inf)
    for column, destination in enumerate(destinations):
        deadlines, latest = _profiles(planner, tuple(destination), when, start_s, end_s + horizon_s)
        for row, (origin, walks) in enumerate(zip(origins, access, strict=True)):
            leave_by = _origin_profile(latest, walks)
            direct = planner.direct_walk(tuple(origin), tuple(destination))
            arrive = _earliest_arrivals(deadlines, leave_by, departures)
            if direct is not None:
                arrive = np.minimum(arrive, departures + np.ceil(direct[0]))
            minutes = (arrive - departures) / 60.0
            minutes[minutes > horizon_s / 60.0] = np.inf
            median[row, column] = np.percentile(minutes, 50, method="inverted_cdf")  # a real departure's
            p90[row, column] = np.percentile(minutes, 90, method="inverted_cdf")  # time, never inf - inf
            best[row, column] = minutes.min()
    return WindowTimes(median=median, p90=p90, best=best, departures=departures)


def _profiles(
    planner: Planner, destination: tuple[float, float], when: date, first_s: int, last_s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival deadlines at ``destination`` (ascending) and, per deadline, the latest departure
    from every stop that meets it (``-inf`` where none does)."""
    egress = planner.walks(*destination)
    mirror = planner.day(when, mirrored=True)
    forward = planner.day(when)
    times = set()
    onward = _onward_seconds(forward, egress)
    for pattern in forward.patterns:
        for position, stop in enumerate(pattern.stops[1:], start=1):
            if int(stop) in onward and pattern.drop_off[position]:
                times.update((pattern.arrival[:, position] + onward[int(stop)]).tolist())
    deadlines = np.asarray(sorted(t for t in times if first_s <= t <= last_s), dtype=np.int64)
    latest = np.full((len(deadlines), len(mirror.stop_ids)), -np.inf)
    rounds = planner.max_transfers + 2
    known = Bounds.none(len(mirror.stop_ids), rounds)
    for row, deadline in enumerate(deadlines):  # each deadline's journeys meet every later deadline too
        starts = {stop: -int(deadline) + int(np.ceil(seconds)) for stop, (seconds, _) in egress.items()}
        known = known.merged(earliest_arrival(mirror, starts, planner.max_transfers, known))
        reached = known.best()
        latest[row] = np.where(reached < INF, -reached.astype(float), -np.inf)
    return deadlines, latest


def _onward_seconds(day: CompiledDay, egress: dict[int, tuple[float, float]]) -> dict[int, int]:
    """Per stop, the quickest way on to the destination after alighting there: its own walk, or a
    walking transfer to a stop near the destination and that stop's walk (whole seconds)."""
    walk = {stop: int(np.ceil(seconds)) for stop, (seconds, _) in egress.items()}
    onward = dict(walk)
    links = day.walk_links
    sources = np.repeat(np.arange(len(links.start) - 1), np.diff(links.start))
    for source, target, whole_s in zip(sources.tolist(), links.target.tolist(), links.whole_s.tolist(), strict=True):
        if target in walk:
            total = whole_s + walk[target]
            onward[source] = min(onward.get(source, total), total)
    return onward


def _origin_profile(latest: np.ndarray, walks: dict[int, tuple[float, float]]) -> np.ndarray:
    """Per deadline, the latest time to leave the origin (walking to the best stop)."""
    if not walks or latest.size == 0:
        return np.full(len(latest), -np.inf)
    stops = np.fromiter(walks, dtype=int)
    walk_s = np.ceil(np.asarray([walks[s][0] for s in stops]))
    leave: np.ndarray = (latest[:, stops] - walk_s[None, :]).max(axis=1)
    return leave


def _earliest_arrivals(deadlines: np.ndarray, leave_by: np.ndarray, departures: np.ndarray) -> np.ndarray:
    """For each departure minute, the first deadline whose latest leaving time is not before it."""
    if len(deadlines) == 0:
        return np.full(len(departures), np.inf)
    running = np.maximum.accumulate(leave_by)
    first = np.searchsorted(running, departures, side="left")
    arrive = np.full(len(departures), np.inf)
    found = first < len(deadlines)
    arrive[found] = deadlines[first[found]]
    return arrive
