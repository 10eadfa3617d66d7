"""The modelled bus services: cited towns, times and spans; each bus calls at the stops along its path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoaccess.build.bus_paths import CALL_RADIUS_M, Mesh, mesh_path, stops_along
from geoaccess.build.model_parts import (
    MON_SAT,
    Cite,
    Service,
    Timing,
    bng,
    bus_service,
    gaps_km,
    town,
)
from geoaccess.errors import BadInput

TOWN_STOP_TYPES = ("BCS", "BCT")
"""Stop types a town's timing stop may be, best first: a bus-station bay, else an on-street stop."""

HOURLY = 'hourly cited (bus_routes.csv "hourly")'
HALF_HOURLY = 'half-hourly cited (bus_routes.csv "half-hourly on weekdays")'
LATE_555 = "Fri/Sat late Kendal-Keswick journeys cited (evening_services.csv)"
X4_DAYTIME = (
    Timing(MON_SAT, "07:00-18:00/30", why=f"{HALF_HOURLY}; first 07:00 and last 18:00 assumed"),
    Timing(MON_SAT, "20:00, 22:00", why="no source gives evening journeys: 20:00 and 22:00 assumed"),
    Timing(("SU",), "09:00-18:00/60", why='hourly cited (bus_routes.csv "Sundays hourly"), hours 09:00-18:00 assumed'),
)
HOURLY_600 = 'hourly cited (evening_services.csv "upgraded to hourly"), hours 07:00-18:00 assumed'
HALF_HOURLY_104 = "half-hourly cited (evening_services.csv, 2014), hours 07:00-18:00 assumed"
SHORTS_685 = "hourly Carlisle-Brampton shorts cited (bus_routes.csv), times assumed"
SUNDAY_685 = "hourly Sunday service cited (bus_routes.csv), hours 09:00-18:00 assumed"
HOURLY_X6 = f"{HOURLY}; no source gives first, last or evening journeys: 07:00-18:00 assumed"
LIMITED_554 = 'a "limited" service cited (bus_routes.csv); three journeys and their times assumed'
HOURLY_400 = "no source gives a frequency: hourly 07:00-17:00 assumed"
ONCE_888 = "once a day each way July-September cited (bus_routes.csv)"
WEEKDAY_30 = (
    'the 300 half-hourly on weekdays and "most journeys continue as service 30" cited (bus_routes.csv, '
    "evening_services.csv); each branch assumed to take every other 300, so hourly"
)
TO_30 = f"{WEEKDAY_30}, leaving Whitehaven as the modelled 300 from Carlisle arrives (times assumed)"
FROM_30 = f"{WEEKDAY_30}, reaching Whitehaven as the modelled 300 leaves for Carlisle (times assumed)"
SUNDAY_30 = (
    'Sunday 30 "every 30 min" Maryport-Egremont/Frizington cited (evening_services.csv, council plan '
    "Aug 2024), read as alternate journeys to each branch, so hourly; hours 09:00-18:00 assumed"
)
DAYTIME_6 = "no source gives a daytime frequency: hourly assumed; the 06:00 early journey's time assumed"
SUNDAY_6 = (
    'Sunday early journeys cited ("extended to Sundays", evening_services.csv), 06:00 from Barrow and '
    "07:00 from Windermere assumed"
)
SUNDAY_DAYTIME_6 = "a Sunday daytime service is implied but not described: two-hourly 09:00-17:00 assumed"
LATE_6 = (
    'one "new late evening journey seven days a week" cited (evening_services.csv); direction and time '
    "not found: 22:30 from Windermere (funded for hospitality staff going home) assumed"
)
TWO_HOURLY_60 = "no source gives a frequency: two-hourly 07:00-17:00 assumed (a coast road, not a main inter-town road)"
BLUEWORKS = 'an "infrequent" service "some days only" cited (bus_routes.csv); Mon-Fri and times assumed'

CARLISLE_CITY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kingstown Broadway", ("Stanwix", "St Anns Hill")),
    ("Houghton", ("Stanwix",)),
    ("Botcherby", ()),
    ("Harraby East", ("Harraby",)),
    ("Upperby", ("Currock",)),
    ("Blackwell", ()),
    ("Morton West", ("Denton Holme",)),
    ("Belle Vue", ("Newtown",)),
    ("Sandsfield Park", ("Caldewgate",)),
)
"""Carlisle city services: a terminus in each direction (NaPTAN localities) and the localities on the way.
The council says most Carlisle areas have services; no source gives a route, so these stand for them."""
CITY_WHY = (
    "a Carlisle city service is cited ('most Carlisle areas have 7-day services from early morning until late "
    "evening'); its route and times are not: assumed"
)


def city_service(terminus: str, via: tuple[str, ...]) -> Service:
    """A modelled Carlisle city service from the city centre to ``terminus`` (see :data:`CARLISLE_CITY`)."""
    towns = (town("Carlisle"), *(town(place) for place in via), town(terminus))
    timings = (
        Timing(MON_SAT, "07:00-18:00/30", why=f"{CITY_WHY}: half-hourly 07:00-18:00"),
        Timing(MON_SAT, "19:00-23:00/60", why=f"{CITY_WHY}: hourly 19:00-23:00"),
        Timing(("SU",), "08:00-22:00/60", why=f"{CITY_WHY}: hourly on Sunday"),
    )
    return bus_service(
        f"Carlisle city ({terminus})",
        "104",  # the operator shown: none is given for city services; Stagecoach runs the 104 from Carlisle
        towns=towns,
        forward=timings,
        backward=timings,
        notes=(
            f"Carlisle city service to {terminus}: the council's statement {{0}} is the only source on Carlisle "
            "town services; no route or time is given, so one modelled route runs from the city centre to each "
            "of nine outer districts along the road mesh, assumed half-hourly 07:00-18:00 and hourly to 23:00 "
            "Mon-Sat, hourly 08:00-22:00 on Sunday; the operator is not given (the 104's is shown).",
        ),
        cites=(Cite("evening", "Cumberland network overview", "most Carlisle areas have 7-day services"),),
    )


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
            Timing(MON_SAT, "07:15-18:15/60", why=f"{HOURLY}; first 07:15 and last 18:15 from Lancaster assumed"),
            Timing(
                ("SU",),
                "09:15-17:15/120",
                basis="cited",
                why="Sunday two-hourly 09:15-17:15 from Lancaster cited (bus_routes.csv, winter 2020/21)",
            ),
            Timing(("FS",), "20:30, 22:30", first="Kendal", why=f"{LATE_555}; 20:30 and 22:30 from Kendal assumed"),
        ),
        backward=(
            Timing(MON_SAT, "07:00-18:00/60", why=f"{HOURLY}; first 07:00 and last 18:00 from Keswick assumed"),
            Timing(("SU",), "10:00-18:00/120", why="no source gives Sunday southbound times: two-hourly assumed"),
            Timing(("FS",), "21:45, 23:45", last="Kendal", why=f"{LATE_555}; 21:45 and 23:45 from Keswick assumed"),
        ),
        notes=(
            "555 bus: run time {0} split by road time along its path between its main stops.",
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
        towns=(
            town("Workington"),
            town("Cockermouth"),
            town("Keswick"),
            town("Threlkeld"),
            town("Penruddock"),
            town("Stainton"),
            town("Penrith"),
        ),
        forward=(
            *X4_DAYTIME,
            Timing(("FS",), "23:15", last="Keswick", basis="cited", why="Fri/Sat late bus from Workington 23:15 cited"),
        ),
        backward=(
            *X4_DAYTIME,
            Timing(("FS",), "24:15", first="Keswick", basis="cited", why="Fri/Sat late bus from Keswick 00:15 cited"),
        ),
        notes=(
            "X4/X5 bus (Workington-Cockermouth-Keswick-Threlkeld-Penrith; the X4's Lakes Distillery detour "
            "ignored): {0}, assumed 07:00-18:00 from each end; evening not stated, assumed two journeys each "
            "way at 20:00 and 22:00 ({1}).",
            "X4/X5 bus between Threlkeld and Penrith: the cited road is the A66 ({4}); the A66 villages "
            "Penruddock and Stainton are added as timing points (assumed, not cited) to keep the bus on it, as "
            "the shortest path over the proxy mesh otherwise runs by Ullswater and Pooley Bridge. 'Troutbeck' is "
            "not used: its NaPTAN locality mixes the A66 hamlet with Troutbeck near Windermere.",
            "X4/X5 bus, Friday and Saturday: {2}, modelled Workington-Keswick; the source is from 2015.",
            "X4/X5 bus, Sunday: {3}, hours assumed 09:00-18:00.",
        ),
        cites=(
            Cite("bus", "X4 / X5", "half-hourly on weekdays"),
            Cite("evening", "Cumberland network overview", "inter-town routes limited evening service"),
            Cite("bus", "X4 / X5", "late journey Workington 23:15, returning from Keswick 00:15"),
            Cite("bus", "X4 / X5", "Sundays hourly"),
            Cite("bus", "X4 / X5", "Threlkeld/Troutbeck (A66)"),
        ),
    ),
    bus_service(
        "300",
        "300",
        towns=(town("Carlisle"), town("Wigton"), town("Maryport"), town("Workington"), town("Whitehaven")),
        spans=(("Carlisle", "Maryport", 59), ("Carlisle", "Workington", 84), ("Carlisle", "Whitehaven", 112)),
        forward=(
            Timing(MON_SAT, "06:00-18:30/30", why=f"{HALF_HOURLY}; first and last from Carlisle not found: assumed"),
            Timing(MON_SAT, "20:00, 22:00", why="evening journeys from Carlisle not found: 20:00 and 22:00 assumed"),
            Timing(("SU",), "09:00-18:00/60", why='hourly cited (bus_routes.csv "hourly on Sundays"), hours assumed'),
        ),
        backward=(
            Timing(MON_SAT, "05:25", basis="cited", why="first bus from Whitehaven cited 05:25 (evening_services.csv)"),
            Timing(MON_SAT, "06:30-18:00/30", why=f"{HALF_HOURLY}; minutes past the hour assumed"),
            Timing(MON_SAT, "19:00", why='"about two-hourly in evenings" cited, 19:00 assumed'),
            Timing(MON_SAT, "21:00", basis="cited", why="last bus from Whitehaven cited 21:00 (evening_services.csv)"),
            Timing(
                ("SU",), "10:05, 18:05", basis="cited", why="Sunday first 10:05 and last 18:05 from Whitehaven cited"
            ),
            Timing(
                ("SU",),
                "11:05-17:05/60",
                why='hourly cited (bus_routes.csv "hourly on Sundays"), times between assumed',
            ),
        ),
        notes=(
            "300 bus (Carlisle-Wigton-Maryport-Workington, continuing as the 30 to Whitehaven, modelled as one "
            "route): run times to Carlisle {0}, {1} and {2}, Carlisle-Wigton-Maryport split by road time "
            "along its path; the same times used away from Carlisle.",
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
        forward=(Timing(MON_SAT, "07:00-18:00/60", why=HOURLY_600),),
        backward=(Timing(MON_SAT, "07:00-18:00/60", why=HOURLY_600),),
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
        forward=(Timing(MON_SAT, "07:00-18:00/30", why=HALF_HOURLY_104),),
        backward=(Timing(MON_SAT, "07:00-18:00/30", why=HALF_HOURLY_104),),
        notes=(
            "104 bus (Carlisle-Penrith; its path is the {2}, by Low and High Hesket, Calthwaite and Plumpton): "
            "{0}, hours assumed 07:00-18:00 ({1}); evening and Sunday not found, assumed none.",
        ),
        cites=(
            Cite("evening", "Stagecoach 104", "Half-hourly service restored"),
            Cite("evening", "Cumberland network overview", "outside Carlisle most local services finish"),
            Cite("bus", "104", "A6 corridor incl. High Hesket / Armathwaite road end"),
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
            Timing(MON_SAT, "07:00-18:00/60", why="hourly cited (bus_routes.csv), times from Carlisle assumed"),
            Timing(MON_SAT, "07:30-17:30/60", last="Brampton", why=SHORTS_685),
            Timing(("SU",), "09:00-18:00/60", why=SUNDAY_685),
        ),
        backward=(
            Timing(MON_SAT, "06:51-18:51/60", at="Hexham", why="hourly cited; :51 at Hexham assumed from the 19:41"),
            Timing(MON_SAT, "19:41", at="Hexham", basis="cited", why="Hexham 19:41 cited (2011 timetable)"),
            Timing(MON_SAT, "08:00-18:00/60", first="Brampton", why=SHORTS_685),
            Timing(("SU",), "09:00-18:00/60", why=SUNDAY_685),
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
            town("Lindal", "Lindale"),
            town("Ulverston"),
            town("Barrow-in-Furness"),
        ),
        spans=(("Kendal", "Barrow-in-Furness", 100),),
        forward=(Timing(MON_SAT, "07:00-18:00/60", why=HOURLY_X6),),
        backward=(Timing(MON_SAT, "07:00-18:00/60", why=HOURLY_X6),),
        notes=(
            "X6 bus (Kendal-Grange-Lindal-Ulverston-Barrow; 'Lindal' read as Lindale, the village between "
            "Grange and the A590 towards Ulverston, as the cited order requires, not Lindal-in-Furness beyond "
            "Ulverston, which the path passes anyway): run time {0} split by road time along its path; "
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
        forward=(Timing(MON_SAT, "09:00, 13:00, 17:00", why=LIMITED_554),),
        backward=(Timing(MON_SAT, "07:30, 11:00, 15:00", why=LIMITED_554),),
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
        forward=(Timing(MON_SAT, "07:00-17:00/60", why=HOURLY_400),),
        backward=(Timing(MON_SAT, "07:00-17:00/60", why=HOURLY_400),),
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
            Timing(("JAS-MS",), "10:00", dwell=(("Alston", 35),), why=f"{ONCE_888}, 10:00 from Hexham assumed"),
            Timing(("JAS-SU",), "10:00", dwell=(("Alston", 20),), why=f"{ONCE_888}, 10:00 from Hexham assumed"),
        ),
        backward=(
            Timing(("JAS-MS",), "16:00", dwell=(("Alston", 35),), why=f"{ONCE_888}, 16:00 from Keswick assumed"),
            Timing(("JAS-SU",), "16:00", dwell=(("Alston", 20),), why=f"{ONCE_888}, 16:00 from Keswick assumed"),
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
    bus_service(
        "30 Frizington",
        "300 (continuing as 30)",
        towns=(
            town("Maryport"),
            town("Workington"),
            town("Whitehaven"),
            town("Cleator Moor"),
            town("Frizington"),
        ),
        spans=(("Workington", "Whitehaven", 112 - 84), ("Maryport", "Whitehaven", 112 - 59)),
        forward=(
            Timing(MON_SAT, "07:52-19:52/60", first="Whitehaven", why=TO_30),
            Timing(("SU",), "09:00-18:00/60", why=SUNDAY_30),
        ),
        backward=(
            Timing(MON_SAT, "06:30-17:30/60", last="Whitehaven", at="Whitehaven", why=FROM_30),
            Timing(("SU",), "09:00-18:00/60", why=SUNDAY_30),
        ),
        notes=(
            "30 bus, Frizington branch (Maryport-Workington-Whitehaven-Cleator Moor-Frizington): {0} ({1}); "
            "Cleator Moor, between Whitehaven and Frizington, is assumed as a timing point (not cited). "
            "Mon-Sat it is modelled Whitehaven-Frizington only, as the continuation of the 300 ({2}): every "
            "other 300 assumed, leaving Whitehaven 07:52-19:52 as the modelled 300 from Carlisle arrives and "
            "reaching it 06:30-17:30 as the 300 leaves (times assumed).",
            "30 bus, Sunday: {3}, read as alternate journeys to Frizington and to Egremont, so each branch "
            "hourly, 09:00-18:00 from each end assumed. Run times Maryport-Workington-Whitehaven as the 300's "
            "({4}, {5}, {6}).",
        ),
        cites=(
            Cite("evening", "Stagecoach 300 / 30", "most journeys continue as service 30 to Whitehaven"),
            Cite("bus", "300 (continuing as 30)", "Thornhill or Frizington"),
            Cite("bus", "300", "half-hourly on weekdays (was hourly)"),
            Cite("evening", "Stagecoach 300 / 30", "service 30 every 30 min on Sundays between Egremont/Frizington"),
            Cite("evening", "Stagecoach 300/301", "112", "Whitehaven"),
            Cite("evening", "Stagecoach 300/301", "84", "Workington"),
            Cite("evening", "Stagecoach 300/301", "59", "Maryport"),
        ),
    ),
    bus_service(
        "30 Thornhill",
        "300 (continuing as 30)",
        towns=(
            town("Maryport"),
            town("Workington"),
            town("Whitehaven"),
            town("Egremont"),
            town("Thornhill"),
        ),
        spans=(("Workington", "Whitehaven", 112 - 84), ("Maryport", "Whitehaven", 112 - 59)),
        forward=(
            Timing(MON_SAT, "08:22-20:22/60", first="Whitehaven", why=TO_30),
            Timing(("SU",), "09:30-17:30/60", last="Egremont", why=SUNDAY_30),
        ),
        backward=(
            Timing(MON_SAT, "07:00-18:00/60", last="Whitehaven", at="Whitehaven", why=FROM_30),
            Timing(("SU",), "09:30-17:30/60", first="Egremont", why=SUNDAY_30),
        ),
        notes=(
            "30 bus, Thornhill branch (Maryport-Workington-Whitehaven-Egremont-Thornhill): {0} ({1}). Mon-Sat "
            "modelled Whitehaven-Thornhill only, as the continuation of the 300 ({2}): the other half of the "
            "300s assumed, leaving Whitehaven 08:22-20:22 and reaching it 07:00-18:00 (times assumed).",
            "30 bus, Sunday: {3}, modelled Maryport-Egremont (Thornhill is not named for Sundays), hourly "
            "09:30-17:30 from each end assumed, between the Frizington journeys.",
        ),
        cites=(
            Cite("evening", "Stagecoach 300 / 30", "most journeys continue as service 30 to Whitehaven"),
            Cite("bus", "300 (continuing as 30)", "Thornhill or Frizington"),
            Cite("bus", "300", "half-hourly on weekdays (was hourly)"),
            Cite("evening", "Stagecoach 300 / 30", "service 30 every 30 min on Sundays between Egremont/Frizington"),
        ),
    ),
    bus_service(
        "6",
        "X6",  # the operator: Stagecoach Cumbria & North Lancashire (the 6 has no bus_routes.csv row of its own)
        towns=(
            town("Barrow-in-Furness"),
            town("Dalton-in-Furness"),
            town("Ulverston"),
            town("Newby Bridge"),
            town("Bowness-on-Windermere", "Bowness on Windermere"),
            town("Windermere"),
        ),
        forward=(
            Timing(MON_SAT, "06:00-18:00/60", why=DAYTIME_6),
            Timing(("SU",), "06:00", why=SUNDAY_6),
            Timing(("SU",), "09:00-17:00/120", why=SUNDAY_DAYTIME_6),
        ),
        backward=(
            Timing(MON_SAT, "06:00-18:00/60", why=DAYTIME_6),
            Timing(("SU",), "07:00", why=SUNDAY_6),
            Timing(("SU",), "09:00-17:00/120", why=SUNDAY_DAYTIME_6),
            Timing(("MF", "SA", "SU"), "22:30", why=LATE_6),
        ),
        notes=(
            "6 bus (Barrow-Dalton-Ulverston-Newby Bridge-Bowness-Windermere; the cited end 'Windermere/Bowness' "
            "is modelled through Bowness to Windermere, the order the road from Newby Bridge takes): {0} and "
            "{1}; {2}. Daytime frequency not found: assumed hourly 06:00-18:00 from each end Mon-Sat (the 06:00 "
            "as the early journey); Sunday the early journeys assumed at 06:00 from Barrow and 07:00 from "
            "Windermere, then two-hourly 09:00-17:00 each way (assumed); the late journey assumed at 22:30 from "
            "Windermere every day, its direction not stated. bus_routes.csv found nothing on a '6' ({3}).",
        ),
        cites=(
            Cite("evening", "Stagecoach 6 Barrow", "new late evening journey seven days a week"),
            Cite("evening", "Stagecoach 6 Barrow", "early morning journeys extended to Sundays"),
            Cite("evening", "Stagecoach 6 Barrow", "Exact times not found"),
            Cite("bus", "7 ; 62 ; X35 ; 6", "NOT FOUND"),
        ),
    ),
    bus_service(
        "60",
        "400",
        towns=(town("Skinburness"), town("Silloth"), town("Workington")),
        forward=(Timing(MON_SAT, "07:00-17:00/120", why=TWO_HOURLY_60),),
        backward=(Timing(MON_SAT, "07:00-17:00/120", why=TWO_HOURLY_60),),
        notes=(
            "60 bus ({0}; Maryport is not named but the coast road from Silloth passes through it, so the bus "
            "calls there): frequency, hours and operator not found (the 400's operator is shown); assumed "
            "two-hourly 07:00-17:00 from each end Mon-Sat, less than the council's {1}, which is said of main "
            "inter-town roads; nothing after 18:00 ({2}), none on Sunday.",
        ),
        cites=(
            Cite("bus", "400", "new 60 Skinburness-Silloth-Workington (2023/24)"),
            Cite("evening", "Cumberland network overview", "main inter-town roads at least hourly daytime"),
            Cite("evening", "Cumberland network overview", "outside Carlisle most local services finish"),
        ),
    ),
    bus_service(
        "11",
        "11 / X12",
        towns=(town("Barrow-in-Furness"), town("Roa Island"), town("Ulverston")),
        forward=(Timing(("MF",), "09:30, 12:30, 15:30", why=BLUEWORKS),),
        backward=(Timing(("MF",), "10:45, 13:45, 16:45", why=BLUEWORKS),),
        notes=(
            "11 bus ({0}): the coast road villages are not named; the bus runs by the shortest path, through "
            "Roose and Rampside to Roa Island, then back through Rampside and along the coast road (Aldingham, "
            "Baycliff, Bardsea) to Ulverston. {1} ({2}): modelled as three journeys each way Mon-Fri (from "
            "Barrow 09:30, 12:30, 15:30; from Ulverston 10:45, 13:45, 16:45), all assumed; none at weekends.",
        ),
        cites=(
            Cite("bus", "11 / X12", "11: Barrow - coast road villages - Roa Island - Ulverston"),
            Cite("bus", "11 / X12", "infrequent; some days only"),
            Cite("bus", "11 / X12", "Friends fund Thu/Fri, Blueworks Mon-Wed"),
        ),
    ),
    bus_service(
        "X12",
        "11 / X12",
        towns=(town("Ulverston"), town("Coniston")),
        forward=(Timing(("MF",), "09:30, 14:00", why=BLUEWORKS),),
        backward=(Timing(("MF",), "11:00, 15:30", why=BLUEWORKS),),
        notes=(
            "X12 bus ({0}): {1} ({2}); modelled as two journeys each way Mon-Fri (from Ulverston 09:30 and "
            "14:00, from Coniston 11:00 and 15:30), all assumed; none at weekends.",
        ),
        cites=(
            Cite("bus", "11 / X12", "X12: Ulverston - Coniston"),
            Cite("bus", "11 / X12", "infrequent; some days only"),
            Cite("bus", "11 / X12", "Friends fund Thu/Fri, Blueworks Mon-Wed"),
        ),
    ),
    *(city_service(terminus, via) for terminus, via in CARLISLE_CITY),
)
NOT_MODELLED: tuple[Cite, ...] = (
    Cite("bus", "11 / X12 / X7 / X70", "X70: Ulverston town service"),
    Cite("bus", "11 / X12 / X7 / X70", "X7: not described"),
    Cite("bus", "7 ; 62 ; X35 ; 6", "NOT FOUND"),
)
"""Facts rows without enough to model a timetable; each is named in the assumptions."""


def town_stop(locality: str, stops: pd.DataFrame) -> pd.Series:
    """A town's representative bus stop: the bus-station bay (BCS) nearest the locality's centre
    (the mean of all its stops) if the town has one, else the on-street stop (BCT) nearest it."""
    local = stops[(stops["locality"].str.lower() == locality.lower()) & stops["stop_type"].isin(TOWN_STOP_TYPES)]
    if local.empty:
        raise BadInput(f"no active NaPTAN bus stop in locality {locality!r}")
    easting, northing = bng(local)
    distance = np.hypot(easting - easting.mean(), northing - northing.mean())
    ranked = local.assign(_rank=local["stop_type"].map(TOWN_STOP_TYPES.index), _distance=distance)
    return ranked.sort_values(["_rank", "_distance", "atco"]).iloc[0]


def town_points(service: Service, stops: pd.DataFrame) -> pd.DataFrame:
    """The representative stop of each of the service's towns, keyed by town."""
    chosen = pd.DataFrame([town_stop(locality, stops) for _, locality in service.towns]).reset_index(drop=True)
    towns = [town for town, _ in service.towns]
    return chosen.assign(
        key=towns, label=towns, stop_id=chosen["atco"], stop_name=chosen["locality"] + ", " + chosen["name"]
    )


def bus_points(
    service: Service, stops: pd.DataFrame, speed: float, mesh: Mesh
) -> tuple[pd.DataFrame, dict[str, np.ndarray], str]:
    """The service's stops in order and minutes per segment each way, with a note on how.

    The towns' stops (see :func:`town_stop`) are the timing points, timed by :func:`_bus_minutes`;
    between two towns the bus calls at the stops along its path (:mod:`geoaccess.build.bus_paths`),
    timed by road time along the path.
    """
    towns = town_points(service, stops)
    legs = [_leg(towns.iloc[index], towns.iloc[index + 1], stops, mesh) for index in range(len(towns) - 1)]
    gaps = gaps_km(towns)
    town_minutes = _bus_minutes(list(towns["key"]), gaps, service.spans, speed, _road_weights(legs, gaps))
    points = _called(towns, legs, town_minutes)
    forward = np.diff(points["minute"].to_numpy())
    how = "cited times split by road time along the path" if service.spans else "the fitted bus speed"
    return (
        points,
        {"forward": forward, "backward": forward[::-1]},
        (
            f"{service.name} bus: timing points (one per town) {_named(towns)}; run times between them from "
            f"{how}, {towns['key'].iloc[0]}-{towns['key'].iloc[-1]} {forward.sum():.0f} min; calls at "
            f"{len(points)} stops along its path ({_unrouted(towns, legs)})."
        ),
    )


@dataclass(frozen=True)
class TownLeg:
    """The stops between two towns along the bus path (``share``: fraction of the road time to each)
    and the path's road seconds."""

    stops: pd.DataFrame
    seconds: float


def _leg(start: pd.Series, end: pd.Series, stops: pd.DataFrame, mesh: Mesh) -> TownLeg | None:
    """The leg between two towns' stops; ``None`` if no path joins them on the mesh."""
    xy = np.column_stack(bng(pd.DataFrame([start, end])))
    path = mesh_path(mesh, xy[0], xy[1])
    if path is None:
        return None
    seconds = max(float(path.seconds[-1]), 1e-9)
    found = stops_along(path, stops)
    found = found[(found["stop_type"] != "BCS") & ~found["atco"].isin([start["atco"], end["atco"]])]
    return TownLeg(found.assign(share=found["along_s"] / seconds), seconds)


def _road_weights(legs: list[TownLeg | None], gaps: np.ndarray) -> np.ndarray:
    """Each leg's road seconds; a leg without a path gets its straight-line km at the routed legs' mean
    seconds per km."""
    routed = np.array([leg is not None for leg in legs])
    seconds = np.array([leg.seconds if leg is not None else 0.0 for leg in legs])
    per_km = seconds[routed].sum() / gaps[routed].sum() if routed.any() else 1.0
    return np.where(routed, seconds, gaps * per_km)


def _called(towns: pd.DataFrame, legs: list[TownLeg | None], town_minutes: np.ndarray) -> pd.DataFrame:
    """Towns and the stops between them in order, each called once, with ``minute`` from the first."""
    at_town = np.concatenate([[0.0], np.cumsum(town_minutes)])
    parts = []
    for index, leg in enumerate(legs):
        parts.append(towns.iloc[[index]].assign(minute=at_town[index]))
        if leg is not None:
            parts.append(
                leg.stops.assign(
                    key=leg.stops["atco"],
                    label=leg.stops["name"],
                    stop_id=leg.stops["atco"],
                    stop_name=leg.stops["locality"] + ", " + leg.stops["name"],
                    minute=at_town[index] + leg.stops["share"] * town_minutes[index],
                )
            )
    parts.append(towns.iloc[[-1]].assign(minute=at_town[-1]))
    columns = ["key", "label", "stop_id", "stop_name", "lon", "lat", "minute"]
    return pd.concat([part[columns] for part in parts], ignore_index=True).drop_duplicates("stop_id")


def _named(towns: pd.DataFrame) -> str:
    return "; ".join(
        f"{town}: {name} {indicator} ({atco})".replace("  ", " ")
        for town, name, indicator, atco in zip(
            towns["key"], towns["name"], towns["indicator"].fillna(""), towns["atco"], strict=True
        )
    )


def _unrouted(towns: pd.DataFrame, legs: list[TownLeg | None]) -> str:
    """Which legs ran without a path (an end off the proxy mesh, outside the area)."""
    keys = list(towns["key"])
    missing = [f"{keys[index]}-{keys[index + 1]}" for index, leg in enumerate(legs) if leg is None]
    return f"no path, so no stops between: {', '.join(missing)}" if missing else "every leg routed"


def _bus_minutes(
    towns: list[str],
    gaps: np.ndarray,
    spans: tuple[tuple[str, str, float], ...],
    speed: float,
    weights: np.ndarray,
) -> np.ndarray:
    """Segment minutes: each cited span (in order) gives its not yet fixed segments the rest of its
    minutes in proportion to ``weights`` (road seconds); segments outside every span run at ``speed``
    (km/min) along their straight-line ``gaps``."""
    minutes = gaps / speed
    fixed = np.zeros(len(gaps), dtype=bool)
    for start, end, total in spans:
        inside = np.zeros(len(gaps), dtype=bool)
        inside[towns.index(start) : towns.index(end)] = True
        free = inside & ~fixed
        rest = total - minutes[inside & fixed].sum()
        minutes[free] = rest * weights[free] / weights[free].sum()
        fixed |= inside
    return minutes


def bus_speed(stops: pd.DataFrame) -> tuple[float, str]:
    """Mean straight-line speed (km/min) over each bus service's longest cited span, each facts row
    counted once (the 30s' spans repeat the 300's run times)."""
    km, minutes, names = 0.0, 0.0, []
    counted: list[str] = []
    for service in BUS_SERVICES:
        if service.spans and not any(service.facts.startswith(facts) for facts in counted):
            counted.append(service.facts)
            start, end, total = max(service.spans, key=lambda span: span[2])
            points = town_points(service, stops).set_index("key")
            km += gaps_km(points.loc[_service_towns(service, start, end)]).sum()
            minutes += total
            names.append(f"{service.name} {start}-{end} {total:g} min")
    speed = km / minutes
    return speed, (
        f"Bus run times without a cited time use {speed * 60:.1f} km/h along the straight lines "
        f"between towns, the mean over the cited journeys ({'; '.join(names)}). Each bus runs between its "
        "towns' stops (the timing points) along the shortest path by length over the level-0 links of the "
        "proxy road network (every active stop and postcode centroid joined to its natural neighbours, so the "
        f"path passes through the villages on the way) and calls at every active NaPTAN bus stop within "
        f"{CALL_RADIUS_M:g} m of that path, in path order, both ways (not at other bus-station bays, nor at a "
        "stop whose NaPTAN bearing crosses the path: a side-road stop); times at those stops share the "
        "run time between the towns by road time along the path. This replaces the one stop per town "
        "stated above."
    )


def _service_towns(service: Service, start: str, end: str) -> list[str]:
    """The service's towns from ``start`` to ``end`` inclusive."""
    towns = [town for town, _ in service.towns]
    return towns[towns.index(start) : towns.index(end) + 1]
