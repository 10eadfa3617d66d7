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
