"""The modelled bus services: cited towns, times and spans, one stop per town."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoaccess.build.model_parts import (
    MON_SAT,
    Cite,
    Service,
    Timing,
    bng,
    bus_service,
    gaps_km,
    split_by_distance,
    town,
)
from geoaccess.errors import BadInput

BUS_STOP_TYPES = ("BCS", "BCT")

BUS_SERVICES: tuple[Service, ...] = (
    bus_service(
        "555",
        "555",
        towns=(
            town("Lancaster", "Lancaster City Centre"),
            town("Carnforth"),
            town("Milnthorpe"),
            town("Levens"),
            town("Kendal"),
            town("Staveley"),
            town("Windermere"),
            town("Ambleside"),
            town("Grasmere"),
            town("Thirlmere"),
            town("Keswick"),
        ),
        spans=(("Lancaster", "Keswick", 160),),
        forward=(
            Timing(MON_SAT, "07:15-18:15/60"),
            Timing(("SU",), "09:15-17:15/120"),
            Timing(("FS",), "20:30, 22:30", first="Kendal"),
        ),
        backward=(
            Timing(MON_SAT, "07:00-18:00/60"),
            Timing(("SU",), "10:00-18:00/120"),
            Timing(("FS",), "21:45, 23:45", last="Kendal"),
        ),
        notes=(
            "555 bus: run time {0} split by straight-line distance between its main stops.",
            "555 bus, Mon-Sat: {1}, assumed 07:15-18:15 from Lancaster and 07:00-18:00 from Keswick (first and "
            "last not found); no Mon-Thu evening journeys ({2}).",
            "555 bus, Friday and Saturday nights: late journeys Kendal to Keswick ({3}) assumed at 20:30 and "
            "22:30 from Kendal, returning 21:45 and 23:45 from Keswick.",
            "555 bus, Sunday: every two hours northbound {4}; southbound assumed two-hourly 10:00-18:00 from "
            "Keswick. The M6 Lancaster-Kendal Sunday extras (08:30, 18:45) are not modelled.",
        ),
        cites=(
            Cite("bus", "555", "on average 2 hours and 40 minutes"),
            Cite("bus", "555", "hourly"),
            Cite("evening", "Stagecoach 555", "late evening buses Kendal-Keswick run Friday and Saturday"),
            Cite("evening", "Stagecoach 555", "Late evening Kendal-Keswick only Fri/Sat"),
            Cite("bus", "555", "northbound 09:15-17:15 from Lancaster"),
        ),
    ),
    bus_service(
        "X4/X5",
        "X4 / X5",
        towns=(town("Workington"), town("Cockermouth"), town("Keswick"), town("Threlkeld"), town("Penrith")),
        forward=(
            Timing(MON_SAT, "07:00-18:00/30, 20:00, 22:00"),
            Timing(("SU",), "09:00-18:00/60"),
            Timing(("FS",), "23:15", last="Keswick"),
        ),
        backward=(
            Timing(MON_SAT, "07:00-18:00/30, 20:00, 22:00"),
            Timing(("SU",), "09:00-18:00/60"),
            Timing(("FS",), "24:15", first="Keswick"),
        ),
        notes=(
            "X4/X5 bus (Workington-Cockermouth-Keswick-Threlkeld-Penrith; the X4's Lakes Distillery detour "
            "ignored): {0}, assumed 07:00-18:00 from each end; evening not stated, assumed two journeys each "
            "way at 20:00 and 22:00 ({1}).",
            "X4/X5 bus, Friday and Saturday: {2}, modelled Workington-Keswick; the source is from 2015.",
            "X4/X5 bus, Sunday: {3}, hours assumed 09:00-18:00.",
        ),
        cites=(
            Cite("bus", "X4 / X5", "half-hourly on weekdays"),
            Cite("evening", "Cumberland network overview", "inter-town routes limited evening service"),
            Cite("bus", "X4 / X5", "late journey Workington 23:15, returning from Keswick 00:15"),
            Cite("bus", "X4 / X5", "Sundays hourly"),
        ),
    ),
    bus_service(
        "300",
        "300",
        towns=(town("Carlisle"), town("Wigton"), town("Maryport"), town("Workington"), town("Whitehaven")),
        spans=(("Carlisle", "Maryport", 59), ("Carlisle", "Workington", 84), ("Carlisle", "Whitehaven", 112)),
        forward=(Timing(MON_SAT, "06:00-18:30/30, 20:00, 22:00"), Timing(("SU",), "09:00-18:00/60")),
        backward=(Timing(MON_SAT, "05:25, 06:30-18:00/30, 19:00-21:00/120"), Timing(("SU",), "10:05-18:05/60")),
        notes=(
            "300 bus (Carlisle-Wigton-Maryport-Workington, continuing as the 30 to Whitehaven, modelled as one "
            "route): run times to Carlisle {0}, {1} and {2}, Carlisle-Wigton-Maryport split by straight-line "
            "distance; the same times used away from Carlisle.",
            "300 bus towards Carlisle, Mon-Sat: first {3}, then {4} 06:30-18:00, then two-hourly ({5}) to the "
            "last {6} from Whitehaven.",
            "300 bus from Carlisle, Mon-Sat: first and last not found ({7}); assumed half-hourly 06:00-18:30, "
            "then 20:00 and 22:00.",
            "300 bus, Sunday: {8}; towards Carlisle from Whitehaven hourly 10:05-18:05 ({9}); from Carlisle "
            "assumed 09:00-18:00.",
        ),
        cites=(
            Cite("evening", "Stagecoach 300/301", "112", "Whitehaven"),
            Cite("evening", "Stagecoach 300/301", "84", "Workington"),
            Cite("evening", "Stagecoach 300/301", "59", "Maryport"),
            Cite("evening", "Stagecoach 300/301", "05:25", "Whitehaven"),
            Cite("bus", "300", "half-hourly on weekdays (was hourly)"),
            Cite("evening", "Stagecoach 300/301", "About two-hourly in evenings", "Workington"),
            Cite("evening", "Stagecoach 300/301", "21:00", "Whitehaven"),
            Cite("evening", "Stagecoach 300 / 30", "Evening last journeys not found"),
            Cite("bus", "300", "hourly on Sundays"),
            Cite("evening", "Stagecoach 300/301", "first 10:05, last 18:05", "Whitehaven"),
        ),
    ),
    bus_service(
        "600",
        "600",
        towns=(town("Carlisle"), town("Wigton"), town("Cockermouth")),
        forward=(Timing(MON_SAT, "07:00-18:00/60"),),
        backward=(Timing(MON_SAT, "07:00-18:00/60"),),
        notes=(
            "600 bus (Carlisle-Wigton-Cockermouth; the c. Dec 2025 extension to Whitehaven not modelled): hourly "
            "({0}), hours assumed 07:00-18:00 from each end; no evening journeys ({1}); no Sunday service "
            "(assumed: none cited).",
        ),
        cites=(
            Cite("evening", "Stagecoach 600", "Carlisle-Cockermouth upgraded to hourly"),
            Cite("evening", "Stagecoach 600", "No late-evening weekday journeys after Sept 2015 cuts"),
        ),
    ),
    bus_service(
        "104",
        "104",
        towns=(town("Carlisle"), town("Penrith")),
        forward=(Timing(MON_SAT, "07:00-18:00/30"),),
        backward=(Timing(MON_SAT, "07:00-18:00/30"),),
        notes=(
            "104 bus (Carlisle-Penrith, modelled without intermediate stops): {0}, hours assumed 07:00-18:00 "
            "({1}); evening and Sunday not found, assumed none.",
        ),
        cites=(
            Cite("evening", "Stagecoach 104", "Half-hourly service restored"),
            Cite("evening", "Cumberland network overview", "outside Carlisle most local services finish"),
        ),
    ),
    bus_service(
        "685",
        "685",
        towns=(
            town("Carlisle"),
            town("Brampton"),
            town("Greenhead"),
            town("Haltwhistle"),
            town("Haydon Bridge"),
            town("Hexham"),
        ),
        forward=(
            Timing(MON_SAT, "07:00-18:00/60"),
            Timing(MON_SAT, "07:30-17:30/60", last="Brampton"),
            Timing(("SU",), "09:00-18:00/60"),
        ),
        backward=(
            Timing(MON_SAT, "06:51-18:51/60, 19:41", at="Hexham"),
            Timing(MON_SAT, "08:00-18:00/60", first="Brampton"),
            Timing(("SU",), "09:00-18:00/60"),
        ),
        notes=(
            "685 bus (modelled Carlisle-Hexham; Newcastle is outside the study area): {0}; from Carlisle "
            "assumed 07:00-18:00 with Brampton shorts at 07:30-17:30 and from Brampton 08:00-18:00.",
            "685 bus westbound, Mon-Sat: from Hexham hourly 06:51-18:51 then 19:41, from the 2011 timetable "
            "({1}; {2}; {3}); Sunday {4}, hours assumed 09:00-18:00 each way.",
        ),
        cites=(
            Cite("bus", "685", "hourly end-to-end, plus hourly Carlisle-Brampton shorts"),
            Cite("evening", "685 Newcastle-Carlisle", "first 05:55"),
            Cite("evening", "685 Newcastle-Carlisle", "last westbound 18:45"),
            Cite("evening", "685 Newcastle-Carlisle", "Hexham dep 19:41"),
            Cite("bus", "685", "hourly through to Newcastle"),
        ),
    ),
    bus_service(
        "X6",
        "X6",
        towns=(
            town("Kendal"),
            town("Grange-over-Sands"),
            town("Lindal", "Lindal-in-Furness"),
            town("Ulverston"),
            town("Barrow-in-Furness"),
        ),
        spans=(("Kendal", "Barrow-in-Furness", 100),),
        forward=(Timing(MON_SAT, "07:00-18:00/60"),),
        backward=(Timing(MON_SAT, "07:00-18:00/60"),),
        notes=(
            "X6 bus (Kendal-Grange-Lindal-Ulverston-Barrow): run time {0} split by straight-line distance; "
            "{1}, hours assumed 07:00-18:00 from each end, no evening journeys ({2}; the July 2024 half-hourly "
            "plan is not modelled).",
            "X6 bus, Sunday: none ({3}).",
        ),
        cites=(
            Cite("bus", "X6", "around one hour 40 minutes"),
            Cite("bus", "X6", "hourly"),
            Cite("bus", "X6", "Evening journeys reduced 2014"),
            Cite("bus", "X6", "Sunday not found"),
        ),
    ),
    bus_service(
        "554",
        "554",
        towns=(town("Carlisle"), town("Keswick")),
        forward=(Timing(MON_SAT, "09:00, 13:00, 17:00"),),
        backward=(Timing(MON_SAT, "07:30, 11:00, 15:00"),),
        notes=(
            "554 bus (Carlisle-Keswick, intermediate stops not cited so none modelled): {0}; assumed three "
            "journeys each way Mon-Sat (from Carlisle 09:00, 13:00, 17:00; from Keswick 07:30, 11:00, 15:00), "
            "none on Sunday.",
        ),
        cites=(Cite("bus", "554", "limited"),),
    ),
    bus_service(
        "400",
        "400",
        towns=(town("Carlisle"), town("Wigton"), town("Silloth")),
        forward=(Timing(MON_SAT, "07:00-17:00/60"),),
        backward=(Timing(MON_SAT, "07:00-17:00/60"),),
        notes=(
            "400 bus (Carlisle-Wigton-Silloth): frequency not found; assumed hourly 07:00-17:00 from each end "
            "Mon-Sat ({0}), nothing after 18:00 ({1}), none on "
            "Sunday.",
        ),
        cites=(
            Cite("evening", "Cumberland network overview", "at least hourly daytime"),
            Cite("evening", "Stagecoach 71", "No journeys after 18:00"),
        ),
    ),
    bus_service(
        "888",
        "888",
        towns=(town("Hexham"), town("Alston"), town("Langwathby"), town("Penrith"), town("Keswick")),
        spans=(("Alston", "Keswick", 70),),
        forward=(
            Timing(("JAS-MS",), "10:00", dwell=(("Alston", 35),)),
            Timing(("JAS-SU",), "10:00", dwell=(("Alston", 20),)),
        ),
        backward=(
            Timing(("JAS-MS",), "16:00", dwell=(("Alston", 35),)),
            Timing(("JAS-SU",), "16:00", dwell=(("Alston", 20),)),
        ),
        notes=(
            "888 bus (Hexham-Alston-Langwathby-Penrith-Keswick; Newcastle outside the study area): {0}, "
            "modelled daily 1 July-30 September; times not found, assumed 10:00 from Hexham and 16:00 from "
            "Keswick; {1} (assumed both ways), {2}; Alston-Keswick {3}, Hexham-Alston at the fitted bus speed.",
        ),
        cites=(
            Cite("bus", "888", "once a day each way, July-September only"),
            Cite("bus", "888", "35 min stop"),
            Cite("bus", "888", "stop shortened to 20 min on Sundays"),
            Cite("bus", "888", "1h10 Alston-Keswick"),
        ),
    ),
)
NOT_MODELLED: tuple[Cite, ...] = (
    Cite("bus", "11 / X12 / X7 / X70", "infrequent; some days only"),
    Cite("bus", "7 ; 62 ; X35 ; 6", "NOT FOUND"),
)
"""Facts rows without enough to model a timetable; each is named in the assumptions."""


def town_stop(locality: str, stops: pd.DataFrame) -> pd.Series:
    """A town's representative bus stop: the bus-station bay (BCS) nearest the locality's centre
    (the mean of all its stops) if the town has one, else the on-street stop (BCT) nearest it."""
    local = stops[(stops["locality"].str.lower() == locality.lower()) & stops["stop_type"].isin(BUS_STOP_TYPES)]
    if local.empty:
        raise BadInput(f"no active NaPTAN bus stop in locality {locality!r}")
    easting, northing = bng(local)
    distance = np.hypot(easting - easting.mean(), northing - northing.mean())
    ranked = local.assign(_rank=local["stop_type"].map(BUS_STOP_TYPES.index), _distance=distance)
    return ranked.sort_values(["_rank", "_distance", "atco"]).iloc[0]


def town_points(service: Service, stops: pd.DataFrame) -> pd.DataFrame:
    """The representative stop of each of the service's towns, keyed by town."""
    chosen = pd.DataFrame([town_stop(locality, stops) for _, locality in service.towns]).reset_index(drop=True)
    towns = [town for town, _ in service.towns]
    return chosen.assign(
        key=towns, label=towns, stop_id=chosen["atco"], stop_name=chosen["locality"] + ", " + chosen["name"]
    )


def bus_points(service: Service, stops: pd.DataFrame, speed: float) -> tuple[pd.DataFrame, dict[str, np.ndarray], str]:
    """One stop per town (see :func:`town_stop`) and minutes per segment each way, with a note on how."""
    points = town_points(service, stops)
    forward = _bus_minutes(list(points["key"]), gaps_km(points), service.spans, speed)
    named = "; ".join(
        f"{town}: {name} {indicator} ({atco})".replace("  ", " ")
        for town, name, indicator, atco in zip(
            points["key"], points["name"], points["indicator"].fillna(""), points["atco"], strict=True
        )
    )
    how = "cited times split by straight-line distance" if service.spans else "the fitted bus speed"
    return (
        points,
        {"forward": forward, "backward": forward[::-1]},
        (
            f"{service.name} bus stops (one per town): {named}; run times from {how}, "
            f"{points['key'].iloc[0]}-{points['key'].iloc[-1]} {forward.sum():.0f} min."
        ),
    )


def _bus_minutes(
    towns: list[str], gaps: np.ndarray, spans: tuple[tuple[str, str, float], ...], speed: float
) -> np.ndarray:
    """Segment minutes: each cited span (in order) gives its not yet fixed segments the rest of its
    minutes by distance; segments outside every span run at ``speed`` (km/min)."""
    minutes = gaps / speed
    fixed = np.zeros(len(gaps), dtype=bool)
    for start, end, total in spans:
        inside = np.zeros(len(gaps), dtype=bool)
        inside[towns.index(start) : towns.index(end)] = True
        free = inside & ~fixed
        minutes[free] = split_by_distance(gaps[free], total - minutes[inside & fixed].sum())
        fixed |= inside
    return minutes


def bus_speed(stops: pd.DataFrame) -> tuple[float, str]:
    """Mean straight-line speed (km/min) over each bus service's longest cited span."""
    km, minutes, names = 0.0, 0.0, []
    for service in BUS_SERVICES:
        if service.spans:
            start, end, total = max(service.spans, key=lambda span: span[2])
            points = town_points(service, stops).set_index("key")
            km += gaps_km(points.loc[_service_towns(service, start, end)]).sum()
            minutes += total
            names.append(f"{service.name} {start}-{end} {total:g} min")
    speed = km / minutes
    return speed, (
        f"Bus run times without a cited time use {speed * 60:.1f} km/h along the straight lines "
        f"between stops, the mean over the cited journeys ({'; '.join(names)})."
    )


def _service_towns(service: Service, start: str, end: str) -> list[str]:
    """The service's towns from ``start`` to ``end`` inclusive."""
    towns = [town for town, _ in service.towns]
    return towns[towns.index(start) : towns.index(end) + 1]
