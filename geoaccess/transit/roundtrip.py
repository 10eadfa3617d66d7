"""The officer's question: can this person get to the session on time, and home again after it?"""

from __future__ import annotations

from datetime import date

from geoaccess.transit.planner import Planner, clock
from geoaccess.transit.timetable import WEEKDAYS

DEFAULT_MARGIN_MIN = 10
"""Arrive this many minutes before the session starts."""
LONG_JOURNEY_MIN = 120
LATE_HOME_S = 23 * 3600

FLAGS = {
    "no_outbound": "no journey arrives in time for the start",
    "outbound_over_120": "the journey there takes more than two hours",
    "no_return_same_day": "no journey home after the session that day",
    "return_over_120": "home more than two hours after the session ends",
    "home_after_2300": "home after 23:00",
}
"""Flag code -> plain words."""


def round_trip(
    planner: Planner,
    home: tuple[float, float],
    venue: tuple[float, float],
    when: date,
    start_s: int,
    end_s: int,
    margin_min: int = DEFAULT_MARGIN_MIN,
) -> dict:
    """Outbound (leaving as late as possible, arriving ``margin_min`` early) and the first way home."""
    outbound = planner.arrive_by(home, venue, when, start_s - margin_min * 60, ("home", "venue"))
    home_again = planner.depart_at(venue, home, when, end_s, ("venue", "home"))
    flags = flags_for(
        None if outbound is None else outbound.minutes,
        None if home_again is None else (home_again.arrive - end_s) / 60,
        None if home_again is None else home_again.arrive,
    )
    return {
        "date": when.isoformat(),
        "weekday": WEEKDAYS[when.weekday()],
        "session": {"start": clock(start_s), "end": clock(end_s), "arrive_early_minutes": margin_min},
        "outbound": None if outbound is None else outbound.to_dict(),
        "return": None if home_again is None else home_again.to_dict(),
        "feasible": outbound is not None and home_again is not None,
        "flags": flags,
        "flag_text": [FLAGS[flag] for flag in flags],
        "minutes_away": (
            None if outbound is None or home_again is None else round((home_again.arrive - outbound.depart) / 60, 1)
        ),
        "minutes_home_after_session": None if home_again is None else round((home_again.arrive - end_s) / 60, 1),
    }


def flags_for(outbound_minutes: float | None, return_minutes: float | None, home_at_s: float | None) -> list[str]:
    """The fixed flag codes, from the journey there (leaving home to reaching the venue) and the
    time from the session's end until home (waiting for the first way home included)."""
    flags = []
    if outbound_minutes is None:
        flags.append("no_outbound")
    elif outbound_minutes > LONG_JOURNEY_MIN:
        flags.append("outbound_over_120")
    if return_minutes is None:
        flags.append("no_return_same_day")
    else:
        if return_minutes > LONG_JOURNEY_MIN:
            flags.append("return_over_120")
        if home_at_s > LATE_HOME_S:
            flags.append("home_after_2300")
    return flags


def week(
    planner: Planner,
    home: tuple[float, float],
    venue: tuple[float, float],
    dates: list[date],
    start_s: int,
    end_s: int,
    margin_min: int = DEFAULT_MARGIN_MIN,
) -> list[dict]:
    """The same session on each of ``dates`` (for example the seven days of a week)."""
    return [round_trip(planner, home, venue, when, start_s, end_s, margin_min) for when in dates]
