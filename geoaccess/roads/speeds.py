"""Car and walking speeds for OpenStreetMap roads: posted limits and UK class defaults.

Class defaults are the average car speeds of the Department for Transport's
Journey Time Statistics (km/h), which include junction delays and traffic:

=============================================  ==================  =====
OSM ``highway``                                DfT road class      km/h
=============================================  ==================  =====
motorway                                       motorway            77.6
trunk, primary                                 A road              43.2
secondary                                      B road              41.9
tertiary, unclassified                         minor road          36.3
residential, living_street, service            local street        18.3
=============================================  ==================  =====

A ``*_link`` road takes its parent class's speed.

A posted limit (``maxspeed``) is the most a car may do, not what it typically
does, so an edge's car speed is its class default unless the posted limit is
lower: ``min(class default, maxspeed)``. A 20 mph zone (32.2 km/h) slows an A,
B or minor road; a national-limit road keeps its class's average. The known
cost: open rural roads are modelled at the class's national average, which is
slower than they are usually driven.

Everyone walks at :data:`WALK_SPEED_KPH` on every walkable edge.
"""

from __future__ import annotations

import math
import re

MPH = 1.609344  # km per mile
WALK_SPEED_KPH = 4.8

CLASS_SPEEDS_KPH: dict[str, float] = {
    "motorway": 77.6,
    "trunk": 43.2,
    "primary": 43.2,
    "secondary": 41.9,
    "tertiary": 36.3,
    "unclassified": 36.3,
    "residential": 18.3,
    "living_street": 18.3,
    "service": 18.3,
}

# UK legal limits named rather than numbered (GB: and UK: prefixes both occur).
NAMED_LIMITS_KPH: dict[str, float] = {
    "national": 60 * MPH,  # the single-carriageway national limit
    "nsl_single": 60 * MPH,
    "nsl_dual": 70 * MPH,
    "motorway": 70 * MPH,
    "nsl_restricted": 30 * MPH,  # street-lit roads
    "walk": WALK_SPEED_KPH,
}

_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?$")
_ZONE = re.compile(r"^zone:?(\d+)$")


def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` tag in km/h, or None when it gives no number.

    Reads ``"30 mph"``, ``"50"`` (km/h, the OSM default unit), ``"50 km/h"``,
    ``"national"``, ``"GB:nsl_single"``, ``"GB:nsl_dual"``, ``"GB:motorway"``,
    ``"GB:zone20"`` (mph, as UK zones are) and ``"walk"``. Several values
    (``"30 mph;40 mph"``) give the lowest. ``"none"``, ``"signals"``,
    ``"variable"`` and anything unreadable give None.
    """
    if not value:
        return None
    speeds = [_parse_one(part) for part in str(value).split(";")]
    readable = [speed for speed in speeds if speed is not None]
    return min(readable) if readable else None


def _parse_one(text: str) -> float | None:
    text = text.strip().lower()
    for prefix in ("gb:", "uk:"):
        text = text.removeprefix(prefix)
    if text in NAMED_LIMITS_KPH:
        return NAMED_LIMITS_KPH[text]
    if zone := _ZONE.match(text):
        return float(zone.group(1)) * MPH
    number = _NUMBER.match(text)
    if not number:
        return None
    speed = float(number.group(1)) * (MPH if number.group(2) == "mph" else 1.0)
    return speed if speed > 0 else None


def class_speed_kph(highway: str) -> float | None:
    """The DfT average car speed for an OSM ``highway`` class, or None for a non-road class."""
    return CLASS_SPEEDS_KPH.get(highway.removesuffix("_link"))


def drive_speed_kph(highway: str, maxspeed: str | None = None) -> float:
    """Typical car speed on a road: its class default, lowered to a lower posted limit.

    Raises
    ------
    ValueError
        If ``highway`` is not a class cars use (see :data:`CLASS_SPEEDS_KPH`).
    """
    default = class_speed_kph(highway)
    if default is None:
        raise ValueError(f"no car speed for highway={highway}")
    limit = parse_maxspeed(maxspeed)
    return min(default, limit if limit is not None else math.inf)
