"""Days of the week, named once: GTFS's full names, the registry's three-letter days, and what users type."""

from __future__ import annotations

from geoaccess.errors import BadInput

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Full lower-case names, Monday first (GTFS calendar columns; ``date.weekday()`` indexes them)."""
SHORT_DAYS = tuple(name[:3].title() for name in WEEKDAYS)
"""``Mon`` .. ``Sun``: how venue sessions and opening days are written."""


def weekday_name(text: str) -> str:
    """``mon``, ``Mon``, ``monday`` or ``Monday`` -> ``monday``; a :class:`BadInput` otherwise."""
    wanted = (text or "").strip().lower()
    for name in WEEKDAYS:
        if wanted in (name, name[:3]):
            return name
    raise BadInput("the day is not a weekday (mon..sun, or monday..sunday)")


def is_weekday(text: str) -> bool:
    """True for any spelling :func:`weekday_name` accepts."""
    wanted = (text or "").strip().lower()
    return any(wanted in (name, name[:3]) for name in WEEKDAYS)


def days_written(text: str) -> tuple[str, ...]:
    """Days as people write them, as :data:`SHORT_DAYS` Monday first: ``"Mon Wed Fri"``, ``"Mon, Tue"``,
    ``"Monday-Friday"``, ``"Mon-Fri Sat"``; a :class:`BadInput` saying which part (by number) is neither a day
    nor a range of days (a range runs forward within one week)."""
    chosen: set[int] = set()
    for number, part in enumerate(text.replace(",", " ").split(), start=1):  # messages name the place, never echo
        ends = part.replace("–", "-").split("-")
        if len(ends) > 2 or not all(is_weekday(end) for end in ends):
            raise BadInput(f"day {number} is not a day (Mon..Sun, Monday..Sunday) or a range of days such as Mon-Fri")
        first, last = (WEEKDAYS.index(weekday_name(end)) for end in (ends[0], ends[-1]))
        if last < first:
            raise BadInput(f"day {number} is a range that runs backwards: write it Monday first, such as Mon-Fri")
        chosen.update(range(first, last + 1))
    return tuple(SHORT_DAYS[index] for index in sorted(chosen))
