"""The modelled default Cumbrian timetable: cited service patterns turned into a :class:`Timetable`.

No complete current timetable is available offline, so the default pack carries a
frequency-based model of the main rail lines and inter-town buses, built from the
cited facts in ``../shared/facts`` (service patterns, frequencies, first and last
services) and from run times in a real 2020 ATOC CIF sample. Every departure is either
quoted from a facts row (whose text is checked at build time and cited in the
assumptions) or is an assumption stated in the list returned beside the timetable.

Trips are expanded explicitly (no ``frequencies`` rows), one per departure, so that
irregular cited times such as the 20:18 last Settle-Carlisle train stay exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Formatter
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from geoaccess.errors import BadInput
from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.transit.timetable import Timetable, empty, yyyymmdd

SOURCE = "frequency-based model of cited Cumbrian rail and bus service patterns (facts compiled 2026-11)"
FACT_FILES = {"rail": "rail_service_patterns.csv", "bus": "bus_routes.csv", "evening": "evening_services.csv"}
DAY_TYPES: dict[str, tuple[tuple[int, ...], tuple[int, int] | None]] = {
    "MF": ((1, 1, 1, 1, 1, 0, 0), None),
    "SA": ((0, 0, 0, 0, 0, 1, 0), None),
    "SU": ((0, 0, 0, 0, 0, 0, 1), None),
    "FS": ((0, 0, 0, 0, 1, 1, 0), None),
    "JAS-MS": ((1, 1, 1, 1, 1, 1, 0), (701, 930)),
    "JAS-SU": ((0, 0, 0, 0, 0, 0, 1), (701, 930)),
}
"""Service ids: weekdays/flags (Mon..Sun) and an optional season (MMDD..MMDD)."""
MON_SAT = ("MF", "SA")
BUS_STOP_TYPES = ("BCS", "BCT")


@dataclass(frozen=True)
class Cite:
    """A quotation from one facts row: ``quote`` must appear in the row whose ``service`` starts so."""

    file: str
    service: str
    quote: str
    origin: str = ""


@dataclass(frozen=True)
class Timing:
    """Departures of one direction on some day types.

    ``times`` is ``"06:00-18:00/60, 20:18"`` (every 60 min from 06:00 to 18:00 inclusive, then
    20:18), given at stop ``at`` (default: the trip's first stop). ``first``/``last`` cut a
    short working out of the pattern. With ``origin_total``, times are at an origin outside
    the study area that many minutes before the trip's last stop.
    """

    days: tuple[str, ...]
    times: str
    at: str = ""
    first: str = ""
    last: str = ""
    origin_total: float | None = None
    dwell: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Service:
    """One modelled route: its stops (rail: parsed from the facts row; bus: towns) and timings.

    ``forward`` runs in the order of ``stops``; ``backward`` in reverse. Bus ``spans`` are cited
    minutes between two towns, shared among the segments between them by straight-line distance.
    """

    name: str
    mode: str
    facts: str
    forward: tuple[Timing, ...]
    backward: tuple[Timing, ...]
    notes: tuple[str, ...]
    cites: tuple[Cite, ...] = ()
    towns: tuple[tuple[str, str], ...] = ()
    spans: tuple[tuple[str, str, float], ...] = ()
    total: float | None = None


def _rail(
    name: str,
    facts: str,
    forward: tuple[Timing, ...],
    backward: tuple[Timing, ...],
    notes: tuple[str, ...],
    cites: tuple[Cite, ...],
    total: float | None = None,
) -> Service:
    return Service(name, "rail", facts, forward, backward, notes, cites, total=total)


def _bus(
    name: str,
    facts: str,
    towns: tuple[tuple[str, str], ...],
    forward: tuple[Timing, ...],
    backward: tuple[Timing, ...],
    notes: tuple[str, ...],
    cites: tuple[Cite, ...] = (),
    spans: tuple[tuple[str, str, float], ...] = (),
) -> Service:
    return Service(name, "bus", facts, forward, backward, notes, cites, towns, spans)


def _town(name: str, locality: str = "") -> tuple[str, str]:
    return name, locality or name


COAST = "Northern - Cumbrian Coast line"
SERVICES: tuple[Service, ...] = (
    _rail(
        "Cumbrian Coast",
        "Cumbrian Coast line",
        forward=(Timing(MON_SAT, "06:00-18:00/60, 20:00, 22:00"), Timing(("SU",), "10:00-20:00/60")),
        backward=(
            Timing(MON_SAT, "06:57-18:57/60, 20:09, 22:09", at="WTH"),
            Timing(MON_SAT, "06:05", first="WKG"),
            Timing(("SU",), "10:16-19:16/60, 20:30", at="WTH"),
            Timing(("SU",), "08:55-09:55/60", first="WKG"),
        ),
        notes=(
            "Cumbrian Coast line northbound (towards Carlisle), Mon-Sat: times at Whitehaven hourly from the "
            "first {0} to 18:57, then two-hourly to the last {1}, following {2}; this gives 15 full-line trains "
            "against the 19 a day cited from Whitehaven and the 18 a day cited Whitehaven-Barrow ({3}), so "
            "peak extras are under-counted.",
            "Cumbrian Coast line northbound, Mon-Sat: one extra Workington-Carlisle train at the first {4}; the "
            "modelled last train leaves Workington at about 22:34 (ATOC run times), not the cited {5}.",
            "Cumbrian Coast line southbound (from Carlisle): first and last departures not found ({6}); "
            "assumed hourly from Carlisle 06:00-18:00, then 20:00 and 22:00, mirroring the northbound span "
            "and the cited 'c.1 tph' ({7}).",
            "Cumbrian Coast line, Sunday northbound: times at Whitehaven hourly from 10:16 to 19:16 "
            "plus the last at 20:30 (11 trains; {8}; {9}); two extra Workington-Carlisle trains at 08:55 ({10}) "
            "and 09:55 (assumed) bring Workington to the 13 cited.",
            "Cumbrian Coast line, Sunday southbound: not found; assumed hourly from Carlisle 10:00-20:00 "
            "(11 trains, the cited Sunday count each way).",
            "Cumbrian Coast line: all trains call at all 26 stations (the cited all-stations pattern; request "
            "stops treated as always served); Saturday treated as Mon-Fri (no Saturday source).",
        ),
        cites=(
            Cite("evening", COAST, "06:57", "Whitehaven"),
            Cite("evening", COAST, "22:09", "Whitehaven"),
            Cite("evening", COAST, "about hourly daytime and two hourly evenings", "Whitehaven"),
            Cite("rail", "Cumbrian Coast line", "18 trains/day each way Whitehaven-Barrow"),
            Cite("evening", COAST, "06:05", "Workington"),
            Cite("evening", COAST, "22:27", "Workington"),
            Cite("evening", COAST, "Outbound from Carlisle: first/last not found", "Carlisle"),
            Cite("rail", "Cumbrian Coast line", "c.1 tph for most of the day"),
            Cite("evening", COAST, "first 10:16, last 20:30, 11 trains/day", "Whitehaven"),
            Cite("rail", "Cumbrian Coast line", "11 each way Whitehaven-Barrow"),
            Cite("evening", COAST, "first 08:55, last 20:48, 13 trains/day", "Workington"),
        ),
        total=150,
    ),
    _rail(
        "Furness line",
        "Furness line",
        forward=(Timing(MON_SAT, "06:35-18:35/60, 19:35-21:35/120"), Timing(("SU",), "09:35-21:35/120")),
        backward=(Timing(MON_SAT, "06:14-18:14/60, 19:14-23:14/120"), Timing(("SU",), "10:14-22:14/120")),
        notes=(
            "Furness line (modelled Barrow-in-Furness to Lancaster; through running to Preston and Manchester "
            "ignored, change at Lancaster): {0} daytime, hourly 06:35-18:35 from Barrow and 06:14-18:14 from "
            "Lancaster (first trains assumed), then two-hourly in the evening ({1}) to the last {2} from Barrow "
            "and {3} from Lancaster; both last times are 2017 Saturday references applied to Mon-Sat.",
            "Furness line, Sunday: two-hourly 09:35-21:35 from Barrow and 10:14-22:14 from Lancaster ({4}); "
            "the current Sunday frequency is not confirmed and the hours are assumed.",
        ),
        cites=(
            Cite("rail", "Furness line", "roughly hourly"),
            Cite("evening", "Northern/TPE - Furness line", "Every two hours in the evenings"),
            Cite("evening", "Northern - Furness line", "21:35", "Barrow"),
            Cite("evening", "Northern - Furness line", "23:14", "Lancaster"),
            Cite("evening", "Northern/TPE - Furness line", "Every two hours on Sundays"),
        ),
    ),
    _rail(
        "Lakes Line",
        "Lakes Line",
        forward=(Timing(MON_SAT, "07:00-22:00/60"), Timing(("SU",), "09:00-21:00/60")),
        backward=(Timing(MON_SAT, "06:30-21:30/60"), Timing(("SU",), "08:30-20:30/60")),
        notes=(
            "Lakes Line (Oxenholme-Windermere): {0}, run times from the ATOC sample (cited: {1}); first and "
            "last trains not found ({2}): assumed hourly from Oxenholme 07:00-22:00 and from Windermere "
            "06:30-21:30 Mon-Sat, a one-train shuttle; through trains to Manchester ignored.",
            "Lakes Line, Sunday: {3}; hours assumed 09:00-21:00 from Oxenholme, 08:30-20:30 from Windermere.",
        ),
        cites=(
            Cite("rail", "Lakes Line", "1 tph"),
            Cite("rail", "Lakes Line", "20 (Oxenholme 14:04 - Windermere 14:24 in Oct 2007)"),
            Cite("evening", "Northern - Windermere branch", "First/last departures not found", "Oxenholme"),
            Cite("evening", "Northern - Windermere branch", "Sundays: hourly service", "Oxenholme"),
        ),
    ),
    _rail(
        "Avanti West Coast",
        "West Coast Main Line - Avanti",
        forward=(Timing(MON_SAT, "07:00-22:00/60"), Timing(("SU",), "10:00-21:00/60")),
        backward=(Timing(MON_SAT, "05:41-21:41/60"), Timing(("SU",), "09:41-21:41/60")),
        notes=(
            "Avanti West Coast (modelled Preston-Carlisle; London and Glasgow are outside the study area): "
            "{0}; every train modelled as calling at Oxenholme and Penrith although only selected trains do, "
            "and Lockerbie (a 'selected' call) omitted.",
            "Avanti West Coast southbound from Carlisle: first at {1} (arrival at Carlisle), then hourly to "
            "21:41 (last not found: assumed); northbound from Preston hourly 07:00-22:00 (assumed).",
            "Avanti West Coast, Sunday: {2}; assumed hourly, 10:00-21:00 from Preston and 09:41-21:41 from Carlisle.",
        ),
        cites=(
            Cite("rail", "West Coast Main Line - Avanti", "1 tph London Euston-Glasgow"),
            Cite("evening", "Avanti West Coast (then Virgin)", "05:41"),
            Cite("rail", "West Coast Main Line - Avanti", "Current Sunday pattern not confirmed"),
        ),
    ),
    _rail(
        "TransPennine Express",
        "West Coast Main Line - TransPennine",
        forward=(Timing(MON_SAT, "07:30-21:30/60"), Timing(("SU",), "10:30-20:30/60")),
        backward=(Timing(MON_SAT, "06:00-20:00/60"), Timing(("SU",), "09:00-19:00/60")),
        notes=(
            "TransPennine Express (modelled Preston-Lockerbie; Manchester, Glasgow and Edinburgh are outside "
            "the study area): {0}, modelled as 15 trains each way, hourly 07:30-21:30 from Preston and "
            "06:00-20:00 from Lockerbie (hours assumed); every train calls at both Oxenholme and Penrith "
            "(cited: {1}).",
            "TransPennine Express, Sunday: {2}; assumed hourly 10:30-20:30 from Preston and 09:00-19:00 from "
            "Lockerbie. The extra evening Manchester-Oxenholme trains of December 2024 are not modelled.",
        ),
        cites=(
            Cite("rail", "West Coast Main Line - TransPennine", "15 services each way every day"),
            Cite("rail", "West Coast Main Line - TransPennine", "call at Penrith and/or Oxenholme"),
            Cite("rail", "West Coast Main Line - TransPennine", "Not found."),
        ),
    ),
    _rail(
        "Settle-Carlisle",
        "Settle-Carlisle line",
        forward=(
            Timing(MON_SAT, "06:49-18:49/120", origin_total=165),
            Timing(("SU",), "08:49-18:49/120", origin_total=165),
        ),
        backward=(Timing(MON_SAT, "05:51, 08:18-20:18/120"), Timing(("SU",), "09:18-19:18/120")),
        notes=(
            "Settle-Carlisle southbound from Carlisle, Mon-Sat: first {0}, then two-hourly ({1}) 08:18-18:18 to "
            "the last {2}; 8 trains (cited: {3}).",
            "Settle-Carlisle northbound: Leeds, Shipley, Keighley and Skipton are outside the study area, so "
            "trains start at Settle, 165 minutes ({4}) less the modelled Settle-Carlisle run after leaving "
            "Leeds; Leeds departures two-hourly 06:49-18:49 Mon-Sat (7 trains, including the cited {5} and "
            "{6}).",
            "Settle-Carlisle, Sunday: {7}; assumed two-hourly, from Carlisle 09:18-19:18 and from Leeds "
            "08:49-18:49. Hellifield omitted ('stop not confirmed').",
        ),
        cites=(
            Cite("evening", "Northern - Settle-Carlisle", "05:51 (2019)"),
            Cite("rail", "Settle-Carlisle line", "about every 2 hours"),
            Cite("evening", "Northern - Settle-Carlisle", "20:18 (from May 2018)"),
            Cite("rail", "Settle-Carlisle line", "c.7-8 trains per day each way"),
            Cite("rail", "Settle-Carlisle line", "0849-1134 = 165 min"),
            Cite("rail", "Settle-Carlisle line", "08:49 ex-Leeds"),
            Cite("rail", "Settle-Carlisle line", "extra 16:49 Leeds-Carlisle added"),
            Cite("rail", "Settle-Carlisle line", "six trains each way on Sundays"),
        ),
    ),
    _rail(
        "Tyne Valley",
        "Tyne Valley line",
        forward=(
            Timing(MON_SAT, "06:00-19:00/60, 21:00", origin_total=90),
            Timing(("SU",), "09:00-21:00/60", origin_total=90),
        ),
        backward=(Timing(MON_SAT, "06:00-19:00/60, 21:00"), Timing(("SU",), "09:00-21:00/60")),
        notes=(
            "Tyne Valley line (modelled Haydon Bridge-Carlisle; Newcastle to Hexham is outside the study area): "
            "hourly ({0}) rather than the Dec 2019 '2 tph to Carlisle', which the facts flag as unverified; "
            "two-hourly evening ({1}); hours assumed 06:00-19:00 then 21:00 from Carlisle and from Newcastle, "
            "westbound trains reaching Haydon Bridge 90 minutes ({2}) less the modelled Haydon Bridge-Carlisle "
            "run after leaving Newcastle.",
            "Tyne Valley line, Sunday: {3}; hours assumed 09:00-21:00.",
        ),
        cites=(
            Cite("rail", "Tyne Valley line", "basic hourly Carlisle-Newcastle"),
            Cite("evening", "Northern - Tyne Valley line (historical)", "two-hourly in evenings"),
            Cite("evening", "Northern - Tyne Valley line", "90 (Carlisle-Newcastle)", "Carlisle"),
            Cite("rail", "Tyne Valley line", "hourly to Newcastle on Sundays"),
        ),
    ),
    _rail(
        "Glasgow South Western",
        "Glasgow South Western line",
        forward=(Timing(MON_SAT, "06:00-19:00/60, 21:00"), Timing(("SU",), "10:00-19:00/180")),
        backward=(Timing(MON_SAT, "06:00-19:00/60, 21:00"), Timing(("SU",), "10:00-19:00/180")),
        notes=(
            "Glasgow South Western line (modelled Carlisle-Dumfries; beyond Dumfries is outside the study "
            "area): {0}; hours assumed 06:00-19:00 then 21:00 from each end.",
            "Glasgow South Western line, Sunday: 4 trains each way ({1}), times assumed 10:00, 13:00, 16:00, 19:00.",
        ),
        cites=(
            Cite("rail", "Glasgow South Western line", "roughly hourly"),
            Cite("rail", "Glasgow South Western line", "two Sunday trains to Kilmarnock and two more"),
        ),
    ),
    _bus(
        "555",
        "555",
        towns=(
            _town("Lancaster", "Lancaster City Centre"),
            _town("Carnforth"),
            _town("Milnthorpe"),
            _town("Levens"),
            _town("Kendal"),
            _town("Staveley"),
            _town("Windermere"),
            _town("Ambleside"),
            _town("Grasmere"),
            _town("Thirlmere"),
            _town("Keswick"),
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
    _bus(
        "X4/X5",
        "X4 / X5",
        towns=(_town("Workington"), _town("Cockermouth"), _town("Keswick"), _town("Threlkeld"), _town("Penrith")),
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
    _bus(
        "300",
        "300",
        towns=(_town("Carlisle"), _town("Wigton"), _town("Maryport"), _town("Workington"), _town("Whitehaven")),
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
    _bus(
        "600",
        "600",
        towns=(_town("Carlisle"), _town("Wigton"), _town("Cockermouth")),
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
    _bus(
        "104",
        "104",
        towns=(_town("Carlisle"), _town("Penrith")),
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
    _bus(
        "685",
        "685",
        towns=(
            _town("Carlisle"),
            _town("Brampton"),
            _town("Greenhead"),
            _town("Haltwhistle"),
            _town("Haydon Bridge"),
            _town("Hexham"),
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
    _bus(
        "X6",
        "X6",
        towns=(
            _town("Kendal"),
            _town("Grange-over-Sands"),
            _town("Lindal", "Lindal-in-Furness"),
            _town("Ulverston"),
            _town("Barrow-in-Furness"),
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
    _bus(
        "554",
        "554",
        towns=(_town("Carlisle"), _town("Keswick")),
        forward=(Timing(MON_SAT, "09:00, 13:00, 17:00"),),
        backward=(Timing(MON_SAT, "07:30, 11:00, 15:00"),),
        notes=(
            "554 bus (Carlisle-Keswick, intermediate stops not cited so none modelled): {0}; assumed three "
            "journeys each way Mon-Sat (from Carlisle 09:00, 13:00, 17:00; from Keswick 07:30, 11:00, 15:00), "
            "none on Sunday.",
        ),
        cites=(Cite("bus", "554", "limited"),),
    ),
    _bus(
        "400",
        "400",
        towns=(_town("Carlisle"), _town("Wigton"), _town("Silloth")),
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
    _bus(
        "888",
        "888",
        towns=(_town("Hexham"), _town("Alston"), _town("Langwathby"), _town("Penrith"), _town("Keswick")),
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


def modelled_timetable(
    facts_dir: Path,
    run_times_csv: Path,
    stations: pd.DataFrame,
    stops: pd.DataFrame,
    *,
    valid_from: date,
    valid_to: date,
) -> tuple[Timetable, list[str]]:
    """The default Cumbrian timetable modelled from the cited facts, and its assumptions (sentences)."""
    if valid_to < valid_from:
        raise BadInput(f"valid_to {valid_to} is before valid_from {valid_from}")
    facts = {key: pd.read_csv(Path(facts_dir) / name, dtype=str).fillna("") for key, name in FACT_FILES.items()}
    run_times = pd.read_csv(run_times_csv)
    speed, speed_note = _bus_speed(stops)
    assumptions = [_general_note(), speed_note]
    parts = []
    for service in SERVICES:
        if service.mode == "rail":
            points, minutes, note = _rail_points(facts, service, stations, run_times)
        else:
            points, minutes, note = _bus_points(service, stops, speed)
        assumptions += [_note(facts, text, service.cites) for text in service.notes] + [note]
        operator = re.sub(r"\s*\(.*\)", "", _service_row(facts, service)["operator"])
        parts.append(_service_tables(service, operator, points, minutes))
    assumptions += [
        _note(facts, "Not modelled: {0}; no timetable can be built from it.", (cite,)) for cite in NOT_MODELLED
    ]
    tables = {name: pd.concat([part[name] for part in parts], ignore_index=True) for name in parts[0]}
    tables["stops"] = tables["stops"].drop_duplicates("stop_id").sort_values("stop_id")
    provenance = {
        "timetable": "modelled",
        "source": SOURCE,
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat(),
        "modelled": True,
        "assumptions": len(assumptions),
    }
    timetable = Timetable(**tables, calendar=_calendar(valid_from, valid_to), provenance=provenance)
    return timetable, assumptions


def _general_note() -> str:
    return (
        "Service days: Mon-Fri, Saturday and Sunday are separate services; Saturday is treated as Mon-Fri "
        "wherever no source gives a Saturday difference; Friday and Saturday late extras are a fourth service; "
        "bank holidays are not modelled. Rail stops are the NaPTAN rail codes (9100 + TIPLOC) of the pack's "
        "stations. Each bus route's named towns get one stop: the bus-station bay (NaPTAN BCS) nearest the "
        "centre of the town's NaPTAN locality (the mean position of its stops) if the town has one, else the "
        "on-street stop (BCT) nearest that centre. Through running between lines is ignored: connections happen at "
        "shared stations. Trips are explicit departures; times are rounded to the minute."
    )


# --- facts and citations ----------------------------------------------------------------------


def _fact_row(facts: dict[str, pd.DataFrame], cite: Cite) -> pd.Series:
    """The facts row cited: service starts with ``cite.service``, origin too, and it holds the quote."""
    frame = facts[cite.file]
    rows = frame[frame["service"].str.startswith(cite.service) & frame["from"].str.startswith(cite.origin)]
    rows = rows[rows.apply(lambda row: any(cite.quote in value for value in row), axis=1)]
    if rows.empty:
        raise BadInput(
            f"{FACT_FILES[cite.file]}: no row for {cite.service!r} ({cite.origin or 'any origin'}) "
            f"quoting {cite.quote!r}; the facts changed, so update geoaccess.build.timetable_model"
        )
    return rows.iloc[0]


def _note(facts: dict[str, pd.DataFrame], text: str, cites: tuple[Cite, ...]) -> str:
    """``text`` with its ``{n}`` fields as quotations (file, row, date) and the cited sites at the end."""
    used = sorted({int(name) for _, name, _, _ in Formatter().parse(text) if name})
    rows = {index: _fact_row(facts, cites[index]) for index in used}
    quoted = [
        f"'{cite.quote}' ({FACT_FILES[cite.file]} '{rows[i]['service']}', {rows[i]['source_date'] or 'undated'})"
        if i in rows
        else ""
        for i, cite in enumerate(cites)
    ]
    sites = sorted(
        {
            urlparse(url.strip()).netloc.removeprefix("www.")
            for row in rows.values()
            for url in row["source"].split(" ; ")
            if url.strip()
        }
    )
    return text.format(*quoted) + (f" Sources: {', '.join(sites)}." if sites else "")


# --- stops ------------------------------------------------------------------------------------


def normalise(name: str) -> str:
    """``"Barrow-In-Furness"`` -> ``"barrow in furness"``: lower case, no brackets, hyphens or '&'."""
    name = re.sub(r"\([^)]*\)", " ", name.lower()).replace("&", " and ").replace("-", " ")
    return " ".join(re.sub(r"[^a-z ]", " ", name).split())


def station_crs(name: str, stations: pd.DataFrame) -> str | None:
    """The CRS of the pack station called ``name`` (exact, else one whose name extends or is extended by it)."""
    wanted = normalise(name)
    names = stations["name"].map(normalise)
    exact = stations.loc[names == wanted, "crs"]
    if len(exact) == 1:
        return str(exact.iloc[0])
    near = stations.loc[[n.startswith(wanted + " ") or wanted.startswith(n + " ") for n in names], "crs"]
    return str(near.iloc[0]) if len(near) == 1 else None


def calling_points(pattern: str) -> list[str]:
    """Station names of a facts calling pattern; bracketed (unconfirmed) calls and trailing notes dropped."""
    text = re.sub(r"\([^)]*\)", "", pattern).replace("...", ";").split(". ")[0]
    parts = re.split(r";|/| and/or | or ", text)
    return [part.strip(" .") for part in parts if part.strip(" .")]


def calling_pattern(pattern: str, stations: pd.DataFrame) -> tuple[list[str], list[str]]:
    """CRS codes of the calling points inside the study area, and the names left out."""
    crs: list[str] = []
    outside: list[str] = []
    for name in calling_points(pattern):
        code = station_crs(name, stations)
        (crs if code else outside).append(code or name)
    return crs, outside


def town_stop(locality: str, stops: pd.DataFrame) -> pd.Series:
    """A town's representative bus stop: the bus-station bay (BCS) nearest the locality's centre
    (the mean of all its stops) if the town has one, else the on-street stop (BCT) nearest it."""
    local = stops[(stops["locality"].str.lower() == locality.lower()) & stops["stop_type"].isin(BUS_STOP_TYPES)]
    if local.empty:
        raise BadInput(f"no active NaPTAN bus stop in locality {locality!r}")
    easting, northing = _bng(local)
    distance = np.hypot(easting - easting.mean(), northing - northing.mean())
    ranked = local.assign(_rank=local["stop_type"].map(BUS_STOP_TYPES.index), _distance=distance)
    return ranked.sort_values(["_rank", "_distance", "atco"]).iloc[0]


def _bng(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    easting, northing = transformer(WGS84, BNG).transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    return np.asarray(easting), np.asarray(northing)


def _gaps_km(points: pd.DataFrame) -> np.ndarray:
    """Straight-line distances (km) between consecutive points."""
    easting, northing = _bng(points)
    return np.hypot(np.diff(easting), np.diff(northing)) / 1000


# --- run times --------------------------------------------------------------------------------


def split_by_distance(gaps_km: np.ndarray, minutes: float) -> np.ndarray:
    """``minutes`` shared among segments in proportion to their straight-line length."""
    return minutes * gaps_km / float(gaps_km.sum())


def _rail_points(
    facts: dict[str, pd.DataFrame], service: Service, stations: pd.DataFrame, run_times: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, np.ndarray], str]:
    """Stations served (in pattern order) and minutes per segment each way, with a note on how."""
    crs, outside = calling_pattern(_service_row(facts, service)["calling_pattern"], stations)
    points = stations.set_index("crs").loc[crs].reset_index()
    points = points.assign(stop_id=points["atco"], stop_name=points["name"], key=points["crs"], label=points["name"])
    medians = run_times.set_index(["from_crs", "to_crs"])["median_minutes"].to_dict()
    minutes, missing = {}, 0
    for direction, frame in (("forward", points), ("backward", points.iloc[::-1])):
        order = list(frame["crs"])
        known = np.array(
            [medians.get((a, b), medians.get((b, a), np.nan)) for a, b in zip(order, order[1:], strict=False)],
            dtype=float,
        )
        missing = max(missing, int(np.isnan(known).sum()))
        minutes[direction] = _fill_rail(known, _gaps_km(frame), service.total)
    how = (
        "every consecutive pair from the ATOC 2020 sample medians (the reverse pair where only that "
        "direction was sampled)"
        if not missing
        else f"ATOC 2020 sample medians, {missing} missing pair(s) sharing the rest of the stated end-to-end "
        "time by straight-line distance (the known pairs' mean speed if none is stated)"
    )
    left_out = f"; calling points outside the study area left out: {', '.join(outside)}" if outside else ""
    return (
        points,
        minutes,
        (
            f"{service.name} rail run times: {how}; {crs[0]}-{crs[-1]} "
            f"{minutes['forward'].sum():.0f} min, {crs[-1]}-{crs[0]} "
            f"{minutes['backward'].sum():.0f} min ({len(crs)} stations{left_out})."
        ),
    )


def _fill_rail(known: np.ndarray, gaps: np.ndarray, total: float | None) -> np.ndarray:
    """Missing pairs (NaN) take the rest of ``total`` by distance, else the known pairs' mean speed."""
    missing = np.isnan(known)
    if not missing.any():
        return known
    rest = (total or 0) - known[~missing].sum()
    if rest <= 0:
        rest = gaps[missing].sum() * known[~missing].sum() / gaps[~missing].sum()
    known[missing] = split_by_distance(gaps[missing], rest)
    return known


def _town_points(service: Service, stops: pd.DataFrame) -> pd.DataFrame:
    """The representative stop of each of the service's towns, keyed by town."""
    chosen = pd.DataFrame([town_stop(locality, stops) for _, locality in service.towns]).reset_index(drop=True)
    towns = [town for town, _ in service.towns]
    return chosen.assign(
        key=towns, label=towns, stop_id=chosen["atco"], stop_name=chosen["locality"] + ", " + chosen["name"]
    )


def _bus_points(service: Service, stops: pd.DataFrame, speed: float) -> tuple[pd.DataFrame, dict[str, np.ndarray], str]:
    """One stop per town (see :func:`town_stop`) and minutes per segment each way, with a note on how."""
    points = _town_points(service, stops)
    forward = _bus_minutes(list(points["key"]), _gaps_km(points), service.spans, speed)
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


def _bus_speed(stops: pd.DataFrame) -> tuple[float, str]:
    """Mean straight-line speed (km/min) over each bus service's longest cited span."""
    km, minutes, names = 0.0, 0.0, []
    for service in SERVICES:
        if service.spans:
            start, end, total = max(service.spans, key=lambda span: span[2])
            points = _town_points(service, stops).set_index("key")
            km += _gaps_km(points.loc[_service_towns(service, start, end)]).sum()
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


def _service_row(facts: dict[str, pd.DataFrame], service: Service) -> pd.Series:
    frame = facts[service.mode]
    return frame[frame["service"].str.startswith(service.facts)].iloc[0]


# --- tables -----------------------------------------------------------------------------------


def parse_times(text: str) -> list[int]:
    """``"06:00-08:00/60, 20:18"`` -> ``[360, 420, 480, 1218]`` (minutes after midnight)."""
    result: list[int] = []
    for item in text.split(","):
        match = re.fullmatch(r"\s*(\d\d):(\d\d)(?:-(\d\d):(\d\d)/(\d+))?\s*", item)
        if not match:
            raise BadInput(f"bad departure times {item!r}")
        h1, m1, h2, m2, step = match.groups()
        start = int(h1) * 60 + int(m1)
        end = int(h2) * 60 + int(m2) if h2 else start
        if (end - start) % int(step or 1):
            raise BadInput(f"departure times {item!r}: the last time is not on the step")
        result += list(range(start, end + 1, int(step or 1)))
    return result


def _service_tables(
    service: Service, operator: str, points: pd.DataFrame, minutes: dict[str, np.ndarray]
) -> dict[str, pd.DataFrame]:
    """routes, trips, stop_times and stops for one service."""
    route_id = f"{service.mode}:{re.sub(r'[^a-z0-9]+', '-', service.name.lower())}"
    route = {
        "route_id": route_id,
        "agency_name": operator,
        "route_short_name": service.name,
        "route_long_name": f"{points['label'].iloc[0]} - {points['label'].iloc[-1]}",
        "route_type": 2 if service.mode == "rail" else 3,
    }
    trips, stop_times = [], []
    for direction, timings in (("forward", service.forward), ("backward", service.backward)):
        ordered = points if direction == "forward" else points.iloc[::-1].reset_index(drop=True)
        for timing in timings:
            for day in timing.days:
                for minute in parse_times(timing.times):
                    trip, times = _trip(f"{route_id}:{direction}:{day}", minute, timing, ordered, minutes[direction])
                    trips.append({**trip, "route_id": route_id, "service_id": day})
                    stop_times.append(times)
    return {
        "stops": points[["stop_id", "stop_name", "lon", "lat"]],
        "routes": pd.DataFrame([route]),
        "trips": pd.DataFrame(trips),
        "stop_times": pd.concat(stop_times, ignore_index=True),
    }


def _trip(
    prefix: str, minute: int, timing: Timing, ordered: pd.DataFrame, segments: np.ndarray
) -> tuple[dict[str, str], pd.DataFrame]:
    """One trip and its stop times; ``segments`` are minutes between consecutive stops of ``ordered``."""
    keys = list(ordered["key"])
    lo = keys.index(timing.first) if timing.first else 0
    hi = keys.index(timing.last) if timing.last else len(keys) - 1
    dwell = np.array([dict(timing.dwell).get(key, 0.0) for key in keys[lo : hi + 1]])
    arrive = np.concatenate([[0.0], np.cumsum(segments[lo:hi] + dwell[:-1])])
    start = float(minute)
    if timing.origin_total is not None:
        start += timing.origin_total - arrive[-1]
    elif timing.at:
        at = keys.index(timing.at) - lo
        start -= arrive[at] + dwell[at]
    served = ordered.iloc[lo : hi + 1]
    trip_id = f"{prefix}:{keys[lo]}:{round(start):04d}"
    times = pd.DataFrame(
        {
            "trip_id": trip_id,
            "stop_sequence": np.arange(len(served)),
            "stop_id": served["stop_id"].to_numpy(),
            "arrival_s": np.round(start + arrive).astype(np.int64) * 60,
            "departure_s": np.round(start + arrive + dwell).astype(np.int64) * 60,
        }
    )
    return {"trip_id": trip_id, "trip_headsign": served["stop_name"].iloc[-1]}, times


def _calendar(valid_from: date, valid_to: date) -> pd.DataFrame:
    """One row per service id (seasonal ids once per year, clipped to the validity range)."""
    rows = []
    for service_id, (flags, season) in DAY_TYPES.items():
        spans = (
            [(valid_from, valid_to)]
            if season is None
            else [
                (
                    max(valid_from, date(year, season[0] // 100, season[0] % 100)),
                    min(valid_to, date(year, season[1] // 100, season[1] % 100)),
                )
                for year in range(valid_from.year, valid_to.year + 1)
            ]
        )
        rows += [
            {
                "service_id": service_id,
                **dict(zip(empty("calendar").columns[1:8], flags, strict=True)),
                "start_date": yyyymmdd(start),
                "end_date": yyyymmdd(end),
            }
            for start, end in spans
            if start <= end
        ]
    return pd.DataFrame(rows, columns=empty("calendar").columns)
