"""Round trips for many homes to one session at once, for caseload measures and siting.

Going there: one search on the time-mirrored day per possible arrival time at
the venue gives, for every stop, the latest departure that still arrives then;
each home reads its latest leaving time and its arrival off those profiles.
Coming home: one forward search from the venue at the session's end gives the
earliest arrival at every stop; each home adds its walk from the nearest stops.
Two searches per arrival time serve every home, where :func:`round_trip` runs
three searches per home; the answers are the same (tested).

Which assumed trips each home's answer rests on is read off the same searches: the
way home is traced back through the venue's forward search (the very journey
:func:`round_trip` finds), the way there through one search on the mirrored day
from the venue at the session's deadline (the journey that leaves latest, as
:meth:`~geoaccess.transit.planner.Planner.latest_departure` finds it; where two
journeys leave equally late the planner may show the other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from geoaccess.defaults import MARGIN_MIN
from geoaccess.transit.compiled import CompiledDay
from geoaccess.transit.planner import Planner, assumptions, rides_ending
from geoaccess.transit.profiles import DEFAULT_HORIZON_S, _earliest_arrivals, _origin_profile, _profiles
from geoaccess.transit.raptor import INF, Labels, earliest_arrival
from geoaccess.transit.roundtrip import flags_for


@dataclass(frozen=True)
class RoundTrips:
    """Per home: leave home, reach the venue, reach home again (seconds; ``nan`` when there is no way), and
    the notes of the assumed trips its way there and home ride (see the module docstring)."""

    leave_home: npt.NDArray[np.float64]
    at_venue: npt.NDArray[np.float64]
    home_again: npt.NDArray[np.float64]
    session_end_s: int
    assumptions: list[list[str]] = field(default_factory=list)

    @property
    def outbound_minutes(self) -> np.ndarray:
        """Leaving home to reaching the venue."""
        return (self.at_venue - self.leave_home) / 60.0

    @property
    def return_minutes(self) -> np.ndarray:
        """Session end to reaching home."""
        return (self.home_again - self.session_end_s) / 60.0

    def flags(self) -> list[list[str]]:
        """The round-trip flag codes of each home."""
        out, back = self.outbound_minutes, self.return_minutes
        return [
            flags_for(
                None if np.isnan(o) else float(o), None if np.isnan(r) else float(r), None if np.isnan(h) else float(h)
            )
            for o, r, h in zip(out, back, self.home_again, strict=True)
        ]


def round_trips(
    planner: Planner,
    homes: np.ndarray,
    venue: tuple[float, float],
    when: date,
    start_s: int,
    end_s: int,
    margin_min: int = MARGIN_MIN,
    horizon_s: int = DEFAULT_HORIZON_S,
) -> RoundTrips:
    """Round trips from each (lon, lat) home to a session at ``venue``."""
    deadline = start_s - margin_min * 60
    deadlines, latest = _profiles(planner, venue, when, deadline - horizon_s, deadline)
    there = _venue_search(planner, venue, when, -deadline, mirrored=True)
    home_search = _venue_search(planner, venue, when, end_s, mirrored=False)
    reached_back = home_search[1].best()
    back = np.where(reached_back < INF, reached_back.astype(float), np.inf)
    leave = np.full(len(homes), np.nan)
    arrive = np.full(len(homes), np.nan)
    home_again = np.full(len(homes), np.nan)
    notes: list[list[str]] = []
    for row, (lon, lat) in enumerate(homes):
        walks = planner.walks(lon, lat)
        leave_by = _origin_profile(latest, walks)
        direct = planner.direct_walk((lon, lat), venue)
        if direct is not None:  # walking all the way: leave in time to arrive by each deadline
            leave_by = np.maximum(leave_by, deadlines - np.ceil(direct[0]))
        ok = deadlines <= deadline
        latest_leave = np.max(leave_by[ok], initial=-np.inf)
        on_foot = direct is not None and latest_leave <= deadline - np.ceil(direct[0])
        if direct is not None:
            latest_leave = max(latest_leave, deadline - np.ceil(direct[0]))
        if np.isfinite(latest_leave):
            leave[row] = latest_leave
            reached = _earliest_arrivals(deadlines, leave_by, np.asarray([latest_leave]))[0]
            if direct is not None:
                reached = min(reached, latest_leave + np.ceil(direct[0]))
            arrive[row] = reached
        walk_home = planner.direct_walk(venue, (lon, lat))
        home_again[row] = _home_time(back, walks, walk_home, end_s)
        walked_home = walk_home is not None and home_again[row] >= end_s + np.ceil(walk_home[0])
        went = np.isfinite(arrive[row]) and not on_foot  # only the journeys the verdict uses carry its notes
        came_back = np.isfinite(home_again[row]) and not walked_home
        notes.append(_assumed(walks, there if went else None, home_search if came_back else None))
    return RoundTrips(leave_home=leave, at_venue=arrive, home_again=home_again, session_end_s=end_s, assumptions=notes)


def _venue_search(
    planner: Planner, venue: tuple[float, float], when: date, at_s: int, mirrored: bool
) -> tuple[CompiledDay, Labels]:
    """RAPTOR from the stops near ``venue``, reached at ``at_s`` plus each walk (on the mirrored day ``at_s``
    is minus the deadline there, and the labels lead back to the homes' stops), and the day it ran on."""
    day = planner.day(when, mirrored=mirrored)
    starts = {stop: at_s + int(np.ceil(seconds)) for stop, (seconds, _) in planner.walks(*venue).items()}
    return day, earliest_arrival(day, starts, planner.max_transfers)


def _assumed(walks: dict[int, tuple[float, float]], *searches: tuple[CompiledDay, Labels] | None) -> list[str]:
    """The notes of the assumed trips ridden by the journeys the venue's searches give to a home's stops
    (``None``: that way is walked)."""
    return assumptions([leg for search in searches if search is not None for leg in rides_ending(*search, walks)])


def _home_time(
    arrivals: np.ndarray, walks: dict[int, tuple[float, float]], direct: tuple[float, float] | None, end_s: int
) -> float:
    """Earliest time home: the best stop near home plus the walk from it, or walking all the way."""
    best = np.inf
    if walks:
        stops = np.fromiter(walks, dtype=int)
        walk_s = np.ceil(np.asarray([walks[s][0] for s in stops]))
        best = float((arrivals[stops] + walk_s).min())
    if direct is not None:
        best = min(best, end_s + float(np.ceil(direct[0])))
    return best if np.isfinite(best) else np.nan
