"""The officer's question: can this person get to the session on time, and home again after it?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from geoaccess.defaults import LONG_JOURNEY_MIN, MARGIN_MIN
from geoaccess.transit.planner import Itinerary, Planner, clock
from geoaccess.transit.planner import assumptions as assumed_notes
from geoaccess.weekdays import WEEKDAYS

LATE_HOME_S = 23 * 3600

FLAGS = {
    "no_outbound": "no journey arrives in time for the start",
    "outbound_over_120": "the journey there takes more than two hours",
    "no_return_same_day": "no journey home after the session that day",
    "return_over_120": "home more than two hours after the session ends",
    "home_after_2300": "home after 23:00",
}
"""Flag code -> plain words."""
VERDICTS = {
    "does_not_work": "Does not work",
    "works_but_hard": "Works, but hard: over two hours or home after 23:00",
    "works": "Works",
}
"""The verdict in three levels, in plain words: no way there in time or no way home that day; a way there and
back, but with a flag (over two hours, or home after 23:00); a way there and back with none."""


def verdict_for(feasible: bool, flags: list[str]) -> str:
    """The level of :data:`VERDICTS` of a round trip that works or not, with these flags."""
    if not feasible:
        return "does_not_work"
    return "works_but_hard" if flags else "works"


@dataclass(frozen=True)
class RoundTrip:
    """One session on one day: the way there (leaving as late as possible) and the first way home."""

    when: date
    start_s: int
    end_s: int
    margin_min: int
    outbound: Itinerary | None
    home_again: Itinerary | None

    @property
    def feasible(self) -> bool:
        """There is a way there in time and a way home the same day."""
        return self.outbound is not None and self.home_again is not None

    @property
    def verdict(self) -> str:
        """The level of :data:`VERDICTS`."""
        return verdict_for(self.feasible, self.flags)

    @property
    def minutes_home_after_session(self) -> float | None:
        """The session's end until home (waiting for the first way home included)."""
        return None if self.home_again is None else (self.home_again.arrive - self.end_s) / 60

    @property
    def assumptions(self) -> list[str]:
        """The notes of the assumed trips the way there and home ride, once each, in leg order."""
        return assumed_notes([leg for way in (self.outbound, self.home_again) if way for leg in way.legs])

    @property
    def flags(self) -> list[str]:
        """The fixed flag codes of :data:`FLAGS`."""
        return flags_for(
            None if self.outbound is None else self.outbound.minutes,
            self.minutes_home_after_session,
            None if self.home_again is None else self.home_again.arrive,
        )

    @property
    def weekday(self) -> str:
        """``thursday``."""
        return WEEKDAYS[self.when.weekday()]

    def flags_in_words(self) -> list[str]:
        """The flags in plain words with the day and times ("no way home after 20:30 on Thursday")."""
        weekday, start, end = self.weekday.title(), clock(self.start_s), clock(self.end_s)
        out, home = self.outbound, self.home_again
        words = {
            "no_outbound": f"no journey arrives in time for the {start} start on {weekday}"
            + (f" (arriving {self.margin_min} minutes early)" if self.margin_min else ""),
            "outbound_over_120": f"the journey there on {weekday} takes more than two hours"
            + (f" ({out.minutes:.0f} min, leaving home at {clock(out.depart)})" if out else ""),
            "no_return_same_day": f"no way home after {end} on {weekday}",
            "return_over_120": f"home more than two hours after the session ends at {end} on {weekday}"
            + (f" ({self.minutes_home_after_session:.0f} min)" if home else ""),
            "home_after_2300": f"home after 23:00 on {weekday}"
            + (f", arriving at {clock_text(clock(home.arrive))}" if home else ""),
        }
        return [words[flag] for flag in self.flags]

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the day, the session, both ways, feasibility, flags (codes, short and full words)."""
        out, home = self.outbound, self.home_again
        after = self.minutes_home_after_session
        flags = self.flags
        return {
            "date": self.when.isoformat(),
            "weekday": self.weekday,
            "session": {
                "start": clock(self.start_s),
                "end": clock(self.end_s),
                "arrive_early_minutes": self.margin_min,
            },
            "outbound": None if out is None else out.to_dict(),
            "return": None if home is None else home.to_dict(),
            "feasible": self.feasible,
            "verdict": self.verdict,
            "verdict_text": VERDICTS[self.verdict],
            "flags": flags,
            "flag_text": [FLAGS[flag] for flag in flags],
            "flags_in_words": self.flags_in_words(),
            "minutes_away": None if out is None or home is None else round((home.arrive - out.depart) / 60, 1),
            "minutes_home_after_session": None if after is None else round(after, 1),
            "assumptions": self.assumptions,
            "rests_on_assumption": bool(self.assumptions),
        }


def round_trip(
    planner: Planner,
    home: tuple[float, float],
    venue: tuple[float, float],
    when: date,
    start_s: int,
    end_s: int,
    margin_min: int = MARGIN_MIN,
) -> RoundTrip:
    """Outbound (leaving as late as possible, arriving ``margin_min`` early) and the first way home."""
    outbound = planner.arrive_by(home, venue, when, start_s - margin_min * 60, ("home", "venue"))
    home_again = planner.depart_at(venue, home, when, end_s, ("venue", "home"))
    return RoundTrip(when, start_s, end_s, margin_min, outbound, home_again)


LAST_HOME_BY_S = 27 * 3600
"""The last way home must have one home by 03:00 the next morning."""


def last_way_home(
    planner: Planner, venue: tuple[float, float], home: tuple[float, float], when: date, end_s: int
) -> Itinerary | None:
    """The journey leaving ``venue`` latest, no earlier than the session's end, that still gets home that night
    (by :data:`LAST_HOME_BY_S`); ``None`` if none does."""
    journey = planner.arrive_by(venue, home, when, LAST_HOME_BY_S, ("venue", "home"))
    return journey if journey is not None and journey.depart >= end_s else None


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
        if home_at_s is not None and home_at_s > LATE_HOME_S:
            flags.append("home_after_2300")
    return flags


def clock_text(text: str | None) -> str:
    """``"24:29"`` -> ``"00:29 next day"``; other times unchanged; ``None`` -> a dash."""
    if not text:
        return "—"
    hours, minutes = (int(part) for part in text.split(":"))
    return f"{hours - 24:02d}:{minutes:02d} next day" if hours >= 24 else text


def duration_text(minutes: float | None) -> str:
    """Minutes as people say them: ``46 min``, ``2 h 26 min``, ``9 h 04 min``; ``None`` -> a dash."""
    if minutes is None:
        return "—"
    whole = round(minutes)
    return f"{whole} min" if whole < 60 else f"{whole // 60} h {whole % 60:02d} min"


def assumptions_line(notes: list[str]) -> str | None:
    """``rests on assumed times: ...`` for the notes of the assumed trips of an answer; ``None`` when none."""
    return f"rests on assumed times: {'; '.join(notes)}" if notes else None
