"""The modelled rail services: cited first and last trains and counts, departures, minutes past the hour and
calling patterns from the partial ATOC 2020 CIF sample where the facts are silent (its days are
:data:`~geoaccess.build.rail_patterns.SAMPLE_DAYS`), run times from its medians, and the minimum connection
times at rail stations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geoaccess.build.model_parts import (
    MON_SAT,
    Cite,
    Service,
    Timing,
    bng,
    gaps_km,
    rail_service,
    service_row,
    split_by_distance,
)
from geoaccess.build.rail_patterns import SAMPLE_DAYS
from geoaccess.roads.router import ACCESS_CIRCUITY, WALK_KPH
from geoaccess.transit.compiled import MAX_TRANSFER_WALK_S
from geoaccess.transit.timetable import empty

COAST = "Northern - Cumbrian Coast line"
MF, SA, SU = ("MF",), ("SA",), ("SU",)
DAY_WORDS = {
    day: f"{'Mon-Fri, from ' if day == 'MF' else ''}{sampled:%A} {sampled.day} {sampled:%B %Y}"
    for day, sampled in SAMPLE_DAYS.items()
}
"""The CIF sample day each day type's ``cif`` departures come from, in words."""
CRUG = "evening_services.csv (crug.org.uk, after May 2018)"
AVANTI_WHY = "hourly (cited 1 tph) at the 2020 CIF sample's minutes past; calls at Penrith or Oxenholme by the hour"
SETTLE_WHY = "two-hourly as cited between the cited first and last; no source gives these times"
TYNE_WHY = "hourly as cited, two-hourly late evening; no source gives the times and the CIF sample has no train"
GSW_WHY = "roughly hourly as cited; no source gives the times and the CIF sample has Saturday trains only"
TRANSPENNINE_WHY = (
    "hourly, the cited 15 a day, at the 2020 CIF Saturday sample's minutes past (the sample has no weekday "
    "TransPennine train); calls at Penrith and Oxenholme in the Saturday sample's proportions"
)
CALLS_OXENHOLME, CALLS_PENRITH = ("PNR",), ("OXN",)
"""``skip`` for a West Coast train calling at Oxenholme but not Penrith, and the reverse."""
WEST_COAST_CYCLE = (CALLS_PENRITH, CALLS_OXENHOLME)
"""Calling pattern of assumed Avanti trains by hour (even hours Penrith, odd Oxenholme), near the sample's share."""
TRANSPENNINE_CYCLE = (CALLS_PENRITH, CALLS_OXENHOLME, CALLS_PENRITH, (), (), ())
"""TransPennine calling pattern by hour, the 2020 Saturday sample's: 5 of 6 call at Penrith, 4 of 6 at Oxenholme."""


def cif(
    days: tuple[str, ...], times: str, at: str = "", first: str = "", last: str = "", skip: tuple[str, ...] = ()
) -> Timing:
    """Departures taken from the 2020 CIF sample, on its day for ``days`` (at stop ``at`` if given)."""
    where = f" (time at {at}; earlier stops by modelled run times)" if at else ""
    why = f"departure from the 2020 CIF sample ({DAY_WORDS[days[0]]}){where}"
    return Timing(days, times, at, first, last, basis="cif", why=why, skip=skip)


def cited(
    days: tuple[str, ...], times: str, source: str, at: str = "", first: str = "", origin_total: float | None = None
) -> Timing:
    """Departures quoted from a facts row."""
    return Timing(days, times, at, first, origin_total=origin_total, basis="cited", why=f"time quoted from {source}")


def assumed(
    days: tuple[str, ...],
    times: str,
    why: str,
    at: str = "",
    skip: tuple[str, ...] = (),
    origin_total: float | None = None,
) -> Timing:
    """Departures no source gives, with the reason they are what they are."""
    return Timing(days, times, at, origin_total=origin_total, basis="assumed", why=f"assumed: {why}", skip=skip)


def hourly(
    days: tuple[str, ...],
    offset: int,
    hours: range,
    sample: dict[str, tuple[str, ...]],
    cycle: tuple[tuple[str, ...], ...],
    why: str,
    at: str = "",
) -> tuple[Timing, ...]:
    """An hourly service at ``offset`` minutes past: the CIF sample's trains (time -> stops passed) in the
    hours it has one, assumed departures calling as ``cycle[hour % len(cycle)]`` in the others."""
    sampled = {int(time[:2]) for time in sample}
    return tuple(cif(days, time, at=at, skip=skip) for time, skip in sample.items()) + tuple(
        assumed(days, f"{hour:02d}:{offset:02d}", why, at=at, skip=cycle[hour % len(cycle)])
        for hour in hours
        if hour not in sampled
    )


COAST_SAMPLE = (
    "the sample's week (17-20 March 2020) and Saturday ran Carlisle-Workington and Whitehaven-Barrow trains with "
    "Workington-Whitehaven replaced by bus, so the model runs Carlisle-Whitehaven and Whitehaven-Barrow trains "
    "at its times (rail between Workington and Whitehaven at the sampled run times: assumed) and a journey "
    "through Whitehaven changes there"
)

SAMPLE_NOTE = (
    "Rail: the ATOC CIF file (atoc_cif_ttisf585_2020-03_sample_bbox.mca, extract of 20 March 2020, 381 "
    "schedules) is a partial slice of the national timetable. Its best-covered days, which the model reads, "
    "hold (each way): Mon-Fri (Thursday 19 March 2020, an engineering week with Workington-Whitehaven bus-"
    "replaced) Coast 18 Carlisle-Workington and 16 back, 14 Whitehaven-Barrow each way; Furness 4 each way "
    "(through coast trains only); Avanti 5 southbound and 2 northbound (against the cited 1 tph); one Settle-"
    "Carlisle train; no TransPennine, Lakes Line, Tyne Valley or Glasgow South Western train. Saturday (21 "
    "March): Coast 19/16 and 15/15, Furness 5/6, Lakes 2/4, Avanti 2/1, TransPennine 2/4, Settle-Carlisle 3/3, "
    "Glasgow South Western 7/4, no Tyne Valley. Sunday (22 March): Coast 2/3, Furness 1/3, Lakes 2/1, Avanti "
    "1/8, TransPennine 4/3, Settle-Carlisle 4/3. Its trains are used as they are (basis 'cif'); the cited "
    "counts, first and last trains stay as cited and the rest of each day is assumed (basis 'assumed')."
)

RAIL_SERVICES: tuple[Service, ...] = (
    rail_service(
        "Cumbrian Coast",
        "Cumbrian Coast line",
        forward=(
            cif(
                MF,
                "06:19, 07:10, 08:08, 09:02, 10:13, 11:07, 12:10, 13:07, 14:08, 14:41, 15:12, 15:59, 17:07, "
                "17:54, 19:09, 20:00, 20:55, 22:01",
                last="WTH",
            ),
            cif(
                MF,
                "06:18, 07:04, 07:30, 08:25, 09:18, 11:23, 12:16, 13:19, 14:16, 15:50, 16:21, 18:18, 19:03, 20:18",
                first="WTH",
            ),
            cif(
                SA,
                "06:16, 07:10, 08:13, 09:08, 10:13, 11:07, 12:10, 13:07, 14:08, 14:41, 15:12, 16:26, 17:07, "
                "17:54, 18:46, 19:09, 20:00, 21:06, 21:49",
                last="WTH",
            ),
            cif(
                SA,
                "06:18, 07:04, 07:30, 08:25, 09:21, 11:23, 12:16, 13:19, 14:16, 15:50, 16:21, 17:36, 18:18, "
                "19:03, 20:20",
                first="WTH",
            ),
            cif(SU, "09:45, 10:23"),
            assumed(
                SU,
                "11:23-19:23/60",
                "hourly at the sample's Sunday :23 offset after its two trains, making the "
                "cited 11 a day; the sample has no later Sunday train",
            ),
        ),
        backward=(
            cif(
                MF,
                "05:58, 06:51, 07:50, 09:27, 10:22, 11:18, 12:06, 14:17, 14:49, 15:44, 17:17, 18:07, 19:12, 20:19",
                last="WTH",
            ),
            cited(MF, "06:05", CRUG, first="WKG"),
            cited(MF, "06:57, 22:09", CRUG, at="WTH", first="WTH"),
            cif(MF, "06:48", first="WKG"),
            cif(
                MF,
                "07:42, 08:34, 09:27, 11:09, 12:03, 12:53, 13:56, 14:56, 15:59, 16:33, 17:19, 18:07, 18:53, 20:55",
                at="WKG",
                first="WTH",
            ),
            cif(
                SA,
                "05:58, 06:51, 07:54, 09:17, 10:22, 11:18, 12:06, 14:14, 14:49, 15:44, 16:11, 17:17, 18:07, "
                "18:57, 19:44",
                last="WTH",
            ),
            cif(SA, "06:48", first="WKG"),
            cif(
                SA,
                "07:42, 08:34, 09:33, 10:55, 12:03, 12:53, 13:56, 14:56, 15:58, 16:33, 17:19, 17:47, 18:53, "
                "19:43, 20:35",
                at="WKG",
                first="WTH",
            ),
            cited(SU, "10:16, 20:30", CRUG, at="WTH"),
            assumed(SU, "11:16-19:16/60", "hourly between the cited first and last from Whitehaven", at="WTH"),
            cited(SU, "08:55", CRUG, first="WKG"),
            cif(SU, "09:40", first="WKG"),
        ),
        notes=(
            SAMPLE_NOTE,
            "Cumbrian Coast line, Mon-Fri and Saturday: departures from the partial 2020 ATOC CIF sample (Mon-Fri "
            "from Thursday 19 March 2020, Saturday from 21 March 2020): 18 (Saturday 19) Carlisle-Workington "
            "trains southbound from Carlisle at about :07-:13 past, 14 (15) Whitehaven-Barrow and 14 (15) "
            "Barrow-Whitehaven, 16 (16) Workington-Carlisle, two-hourly in the evening as cited ({0}); "
            + COAST_SAMPLE
            + ".",
            "Cumbrian Coast line northbound, Mon-Fri: the cited first {1} and last {2} from Whitehaven and first "
            "{3} from Workington are kept as quoted; the sample's last Workington departure is 22:27, as cited "
            "({4}), and is the cited 22:09 from Whitehaven, so it is not added twice. The sample holds fewer "
            "trains than the cited 19 a day from Whitehaven and 18 Whitehaven-Barrow ({5}): peak extras are "
            "under-counted.",
            "Cumbrian Coast line southbound: the facts give no first or last departure from Carlisle ({6}); the "
            "sample's are used, so the last train towards Barrow leaves Whitehaven at 20:18 Mon-Fri and the later "
            "Carlisle trains (20:00, 20:55, 22:01) go no further than Whitehaven; the sample's 19:09 from Carlisle "
            "reaches Whitehaven too close to 20:18 for the 5-minute change, so the model's last way from "
            "Carlisle to Barrow is the 17:54 (whether the 19:09 ran through in a normal week the sample cannot "
            "say).",
            "Cumbrian Coast line, Sunday: northbound the cited first {7} and last from Whitehaven ({8}), hourly "
            "between (assumed), with the cited 08:55 ({9}) and the sample's 09:40 from Workington; southbound "
            "the sample's 09:45 and 10:23 from Carlisle, then hourly at :23 to 19:23 (assumed), 11 trains as "
            "cited ({10}).",
            "Cumbrian Coast line: trains call at all stations, request stops included (the cited all-stations "
            "pattern; a few sampled trains pass some request stops, which is not modelled).",
        ),
        cites=(
            Cite("evening", COAST, "about hourly daytime and two hourly evenings", "Whitehaven"),
            Cite("evening", COAST, "06:57", "Whitehaven"),
            Cite("evening", COAST, "22:09", "Whitehaven"),
            Cite("evening", COAST, "06:05", "Workington"),
            Cite("evening", COAST, "22:27", "Workington"),
            Cite("rail", "Cumbrian Coast line", "18 trains/day each way Whitehaven-Barrow"),
            Cite("evening", COAST, "Outbound from Carlisle: first/last not found", "Carlisle"),
            Cite("evening", COAST, "first 10:16, last 20:30, 11 trains/day", "Whitehaven"),
            Cite("rail", "Cumbrian Coast line", "11 each way Whitehaven-Barrow"),
            Cite("evening", COAST, "first 08:55, last 20:48, 13 trains/day", "Workington"),
            Cite("rail", "Cumbrian Coast line", "11 each way Whitehaven-Barrow"),
        ),
        total=150,
    ),
    rail_service(
        "Furness line",
        "Furness line",
        forward=(
            *hourly(MF, 50, range(6, 20), {"09:58": (), "12:50": (), "15:50": ()}, ((),), "hourly at the sample's :50"),
            cif(MF, "21:45"),
            *hourly(SA, 50, range(6, 19), {"09:58": (), "12:50": (), "15:50": ()}, ((),), "hourly at the sample's :50"),
            cif(SA, "19:34, 20:42"),
            cited(SA, "21:35", "evening_services.csv (a 2017 Saturday)"),
            cif(SU, "08:40, 09:05, 12:53"),
            assumed(SU, "10:53, 14:53-20:53/120", "two-hourly as cited, at the sample's Sunday :53"),
        ),
        backward=(
            *hourly(
                MF,
                13,
                range(6, 20),
                {"10:13": (), "13:13": (), "16:13": (), "19:13": ()},
                ((),),
                "hourly at the sample's :13",
            ),
            assumed(MF, "21:13", "two-hourly evening (cited) after the sample's 19:13; no source gives it"),
            assumed(MF, "22:32", "no source gives the weekday last train: the 2020 sample's Saturday 22:32"),
            *hourly(SA, 13, range(6, 20), {"10:13": (), "13:01": (), "16:13": ()}, ((),), "hourly at the sample's :13"),
            cif(SA, "22:32"),
            cited(SA, "23:14", "evening_services.csv (a 2017 Saturday)"),
            cif(SU, "10:11"),
            assumed(SU, "12:11-22:11/120", "two-hourly as cited, at the sample's Sunday :11; the last is not known"),
        ),
        notes=(
            "Furness line (modelled Barrow-in-Furness to Lancaster; through running to Preston and Manchester and "
            "on to the coast ignored, change at Lancaster and Barrow): {0} daytime, from the partial 2020 ATOC CIF "
            "sample where it has a train (Mon-Fri 3 from Barrow and 4 from Lancaster; Saturday 6 and 5; Sunday "
            "3 and 1), otherwise hourly at its minutes past (:50 from Barrow, :13 from Lancaster, assumed) from "
            "06:00, two-hourly in the evening ({1}).",
            "Furness line, last trains: Mon-Fri the sample's 21:45 from Barrow; from Lancaster no source gives the "
            "weekday last train (the cited 23:14 is a 2017 Saturday train and the sample's latest weekday one is "
            "19:13), so 21:13 and 22:32 are assumed, the latter the sample's Saturday 22:32 (its Saturday 23:28 is "
            "not applied to weekdays). Saturday: the cited {2} from Barrow and {3} from "
            "Lancaster (2017 Saturday references, kept as quoted; the sample's Saturday 21:46 and 23:28 are left "
            "out as later than the cited last).",
            "Furness line, Sunday: the sample's 08:40, 09:05 and 12:53 from Barrow and 10:11 from Lancaster, "
            "otherwise two-hourly ({4}) at their minutes past (assumed); the current Sunday pattern is not confirmed.",
        ),
        cites=(
            Cite("rail", "Furness line", "roughly hourly"),
            Cite("evening", "Northern/TPE - Furness line", "Every two hours in the evenings"),
            Cite("evening", "Northern - Furness line", "21:35", "Barrow"),
            Cite("evening", "Northern - Furness line", "23:14", "Lancaster"),
            Cite("evening", "Northern/TPE - Furness line", "Every two hours on Sundays"),
        ),
    ),
    rail_service(
        "Lakes Line",
        "Lakes Line",
        forward=(
            assumed(MF, "07:00-22:00/60", "hourly as cited; no source gives the hours"),
            assumed(SA, "07:00-20:00/60", "hourly as cited before the sample's Saturday evening trains"),
            cif(SA, "21:16, 22:01"),
            cif(SU, "10:30, 11:18"),
            assumed(SU, "12:18-20:18/60", "hourly as cited, at the sample's Sunday :18"),
        ),
        backward=(
            assumed(MF, "06:30-21:30/60", "hourly as cited; no source gives the hours"),
            assumed(SA, "06:30-17:30/60", "hourly as cited before the sample's Saturday evening trains"),
            cif(SA, "18:55, 20:44, 21:40, 22:26"),
            cif(SU, "10:55"),
            assumed(SU, "11:55-20:55/60", "hourly as cited, at the sample's Sunday :55"),
        ),
        notes=(
            "Lakes Line (Oxenholme-Windermere): {0}, run times from the ATOC sample (cited: {1}); first and "
            "last trains not found ({2}) and the 2020 CIF sample has no weekday train: assumed hourly from "
            "Oxenholme 07:00-22:00 and from Windermere 06:30-21:30 Mon-Fri, a one-train shuttle; through trains to "
            "Manchester ignored. Saturday: the sample's evening trains (21:16 and 22:01 from Oxenholme; 18:55, "
            "20:44, 21:40 and 22:26 from Windermere) after hourly daytime trains (assumed).",
            "Lakes Line, Sunday: {3}; the sample's 10:30 and 11:18 from Oxenholme and 10:55 from Windermere, then "
            "hourly at those minutes past to 20:18 and 20:55 (assumed).",
        ),
        cites=(
            Cite("rail", "Lakes Line", "1 tph"),
            Cite("rail", "Lakes Line", "20 (Oxenholme 14:04 - Windermere 14:24 in Oct 2007)"),
            Cite("evening", "Northern - Windermere branch", "First/last departures not found", "Oxenholme"),
            Cite("evening", "Northern - Windermere branch", "Sundays: hourly service", "Oxenholme"),
        ),
    ),
    rail_service(
        "Avanti West Coast",
        "West Coast Main Line - Avanti",
        forward=(
            *hourly(MF, 53, range(6, 22), {"16:53": (), "20:53": CALLS_OXENHOLME}, WEST_COAST_CYCLE, AVANTI_WHY),
            *hourly(SA, 53, range(6, 22), {"11:53": CALLS_OXENHOLME}, WEST_COAST_CYCLE, AVANTI_WHY),
            *hourly(
                SU,
                53,
                range(10, 22),
                {
                    "11:41": (),
                    "11:55": CALLS_OXENHOLME,
                    "12:40": (),
                    "12:53": CALLS_OXENHOLME,
                    "13:42": (),
                    "15:42": CALLS_OXENHOLME,
                    "19:43": (),
                    "20:53": CALLS_OXENHOLME,
                },
                WEST_COAST_CYCLE,
                AVANTI_WHY,
            ),
        ),
        backward=(
            cited(MF, "05:41", "evening_services.csv (a 2019 Monday, arrival at Carlisle)"),
            *hourly(
                MF,
                8,
                range(6, 22),
                {
                    "08:08": CALLS_PENRITH,
                    "10:08": CALLS_OXENHOLME,
                    "11:13": ("OXN", "LAN"),
                    "12:08": CALLS_OXENHOLME,
                    "15:11": ("PNR", "LAN"),
                },
                WEST_COAST_CYCLE,
                AVANTI_WHY,
            ),
            *hourly(
                SA, 8, range(6, 22), {"10:50": CALLS_OXENHOLME, "17:11": ("PNR", "LAN")}, WEST_COAST_CYCLE, AVANTI_WHY
            ),
            *hourly(SU, 8, range(9, 22), {"15:11": ("PNR", "LAN")}, WEST_COAST_CYCLE, AVANTI_WHY),
        ),
        notes=(
            "Avanti West Coast (modelled Preston-Carlisle; London and Glasgow are outside the study area): {0}, "
            "hourly at the 2020 ATOC CIF sample's minutes past (:08 from Carlisle, :53 from Preston), its trains "
            "where it has one (Mon-Fri from 19 March 2020: 5 southbound, 2 northbound; Saturday 2 and 1; Sunday "
            "1 and 8), each calling where the sampled train calls. Oxenholme and Penrith are 'selected' calls "
            "({1}): of the sample's 7 Mon-Fri trains 3 call at Penrith and 5 at Oxenholme; assumed trains call at "
            "Penrith in even hours and Oxenholme in odd hours (about half at each). Lockerbie omitted.",
            "Avanti West Coast, first and last: the first southbound is the cited {2} at Carlisle (Mon-Fri); "
            "otherwise hours assumed, southbound to 21:08 and northbound 06:53-21:53 (no source gives the last "
            "trains). Sunday: {3}; assumed hourly 10:53-21:53 from Preston and 09:08-21:08 from Carlisle around "
            "the sample's trains.",
        ),
        cites=(
            Cite("rail", "West Coast Main Line - Avanti", "1 tph London Euston-Glasgow"),
            Cite("rail", "West Coast Main Line - Avanti", "Oxenholme Lake District (selected trains)"),
            Cite("evening", "Avanti West Coast (then Virgin)", "05:41"),
            Cite("rail", "West Coast Main Line - Avanti", "Current Sunday pattern not confirmed"),
        ),
    ),
    rail_service(
        "TransPennine Express",
        "West Coast Main Line - TransPennine",
        forward=(
            *hourly(MF, 5, range(7, 22), {}, TRANSPENNINE_CYCLE, TRANSPENNINE_WHY),
            *hourly(
                SA,
                5,
                range(7, 22),
                {"08:02": CALLS_PENRITH, "09:05": CALLS_OXENHOLME, "13:10": CALLS_PENRITH, "20:05": ()},
                TRANSPENNINE_CYCLE,
                TRANSPENNINE_WHY,
            ),
            *hourly(
                SU,
                5,
                range(10, 21),
                {"09:24": CALLS_OXENHOLME, "10:05": (), "22:03": ("LAN", "PNR")},
                TRANSPENNINE_CYCLE,
                TRANSPENNINE_WHY,
            ),
        ),
        backward=(
            *hourly(MF, 35, range(6, 21), {}, TRANSPENNINE_CYCLE, TRANSPENNINE_WHY, at="CAR"),
            *hourly(SA, 35, range(6, 21), {"13:35": (), "18:33": ()}, TRANSPENNINE_CYCLE, TRANSPENNINE_WHY, at="CAR"),
            *hourly(
                SU,
                35,
                range(9, 20),
                {"09:49": CALLS_OXENHOLME, "10:34": (), "15:23": (), "23:31": ("LAN", "OXN", "PNR")},
                TRANSPENNINE_CYCLE,
                TRANSPENNINE_WHY,
                at="CAR",
            ),
        ),
        notes=(
            "TransPennine Express (modelled Preston-Lockerbie; Manchester, Glasgow and Edinburgh are outside "
            "the study area): {0}, hourly, :05 from Preston 07:05-21:05 and :35 from Carlisle 06:35-20:35 (hours "
            "assumed; minutes past from the 2020 ATOC CIF sample, which has TransPennine trains on Saturday 21 "
            "and Sunday 22 March 2020 only: 6 and 7). Calls at {1}: as in the Saturday sample, where 5 of 6 "
            "trains call at Penrith and 4 of 6 at Oxenholme, the model's trains by the hour call at both, or skip "
            "one; the sampled trains keep their own calls.",
            "TransPennine Express, Sunday: {2}; assumed hourly 10:05-20:05 from Preston and 09:35-19:35 from "
            "Carlisle around the sample's trains. The extra evening Manchester-Oxenholme trains of December 2024 "
            "are not modelled.",
        ),
        cites=(
            Cite("rail", "West Coast Main Line - TransPennine", "15 services each way every day"),
            Cite("rail", "West Coast Main Line - TransPennine", "Oxenholme Lake District and/or Penrith North Lakes"),
            Cite("rail", "West Coast Main Line - TransPennine", "Not found."),
        ),
    ),
    rail_service(
        "Settle-Carlisle",
        "Settle-Carlisle line",
        forward=(
            cited(MON_SAT, "08:49, 16:49", "rail_service_patterns.csv (Leeds departures)", origin_total=165),
            assumed(MON_SAT, "06:49, 10:49-14:49/120, 18:49", SETTLE_WHY, origin_total=165),
            cif(MF, "06:22", at="SET"),
            cif(SU, "10:07, 15:26, 17:21", at="SET"),
            assumed(SU, "11:49, 16:49, 18:49", "three more Leeds departures to make the cited six", origin_total=165),
        ),
        backward=(
            cited(MON_SAT, "05:51", "evening_services.csv (2019)"),
            cited(MON_SAT, "20:18", "evening_services.csv (from May 2018)"),
            assumed(MON_SAT, "08:18-18:18/120", SETTLE_WHY),
            cif(SU, "12:25, 15:20, 17:25, 19:11"),
            assumed(SU, "08:25, 10:25", "two more at the sample's :25 to make the cited six"),
        ),
        notes=(
            "Settle-Carlisle southbound from Carlisle, Mon-Sat: first {0}, then two-hourly ({1}) 08:18-18:18 "
            "(assumed) to the last {2}; 8 trains (cited: {3}). The 2020 ATOC CIF sample's Saturday trains (07:54, "
            "16:18 and 20:15 from Carlisle) are not used: the cited pattern is.",
            "Settle-Carlisle northbound: Leeds, Shipley, Keighley and Skipton are outside the study area, so "
            "trains start at Settle, 165 minutes ({4}) less the modelled Settle-Carlisle run after leaving "
            "Leeds; Leeds departures two-hourly 06:49-18:49 Mon-Sat (7 trains, including the cited {5} and "
            "{6}), plus the sample's 06:22 from Settle Mon-Fri.",
            "Settle-Carlisle, Sunday: {7}; the sample's 12:25, 15:20, 17:25 and 19:11 from Carlisle and 10:07, "
            "15:26 and 17:21 from Settle, the rest assumed. Hellifield omitted ('stop not confirmed').",
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
    rail_service(
        "Tyne Valley",
        "Tyne Valley line",
        forward=(
            assumed(MON_SAT, "06:00-19:00/60, 21:00", TYNE_WHY, origin_total=90),
            assumed(SU, "09:00-21:00/60", TYNE_WHY, origin_total=90),
        ),
        backward=(assumed(MON_SAT, "06:00-19:00/60, 21:00", TYNE_WHY), assumed(SU, "09:00-21:00/60", TYNE_WHY)),
        notes=(
            "Tyne Valley line (modelled Haydon Bridge-Carlisle; Newcastle to Hexham is outside the study area): "
            "hourly ({0}) rather than the Dec 2019 '2 tph to Carlisle', which the facts flag as unverified; "
            "two-hourly evening ({1}); the 2020 ATOC CIF sample has no Tyne Valley train; "
            "hours assumed 06:00-19:00 then 21:00 from Carlisle and from Newcastle, "
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
    rail_service(
        "Glasgow South Western",
        "Glasgow South Western line",
        forward=(assumed(MON_SAT, "06:00-19:00/60, 21:00", GSW_WHY), assumed(SU, "10:00-19:00/180", GSW_WHY)),
        backward=(assumed(MON_SAT, "06:00-19:00/60, 21:00", GSW_WHY), assumed(SU, "10:00-19:00/180", GSW_WHY)),
        notes=(
            "Glasgow South Western line (modelled Carlisle-Dumfries; beyond Dumfries is outside the study "
            "area): {0}; hours assumed 06:00-19:00 then 21:00 from each end (the 2020 ATOC CIF sample has "
            "ScotRail trains on Saturday 21 March 2020 only, 7 from Carlisle and 4 to it, not used).",
            "Glasgow South Western line, Sunday: 4 trains each way ({1}), times assumed 10:00, 13:00, 16:00, 19:00.",
        ),
        cites=(
            Cite("rail", "Glasgow South Western line", "roughly hourly"),
            Cite("rail", "Glasgow South Western line", "two Sunday trains to Kilmarnock and two more"),
        ),
    ),
)


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


def rail_points(
    facts: dict[str, pd.DataFrame], service: Service, stations: pd.DataFrame, run_times: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, np.ndarray], str]:
    """Stations served (in pattern order) and minutes per segment each way, with a note on how."""
    crs, outside = calling_pattern(service_row(facts, service)["calling_pattern"], stations)
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
        minutes[direction] = _fill_rail(known, gaps_km(frame), service.total)
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


# --- minimum connection times ---------------------------------------------------------------------

INTERCHANGES = {
    "CAR": "Carlisle",
    "PRE": "Preston",
    "LAN": "Lancaster",
    "OXN": "Oxenholme",
    "BIF": "Barrow-in-Furness",
}
"""The main rail interchanges of the study area (CRS -> name)."""
MIN_CONNECTION_MIN = {"interchange": 7, "station": 5, "rail and bus": 10}
"""Minimum connection minutes: train to train at a main interchange and at any other station, and between
a train and a bus at a stop within a walking transfer of the station (either way)."""
MIN_CONNECTION_NOTE = (
    "Minimum connection times (assumed unless said): train to train {interchange} minutes at the main "
    "interchanges ({names}) and {station} minutes at other stations; train to bus or bus to train {bus} minutes, "
    "or the walk between the station and the stop if longer. They are the timetable's transfers "
    "(min_transfer_time per stop), replacing the router's 2-minute default at stations. Basis: the National "
    "Rail Conditions of Carriage (condition 25(d)) asked passengers to allow at least 5 minutes to change "
    "trains, or the interchange time the National Rail Timetable shows for the station (published per station "
    "in its MSN file); the sources here hold no station's figure (atoc_msn_2020_stations_bbox.csv has only "
    "TIPLOC, CRS, name and position, and the CIF sample carries no change times), so 5 minutes is that "
    "default, and {interchange} minutes at the large interchanges (several platforms, footbridges) and {bus} "
    "minutes between train and bus are assumptions."
).format(
    interchange=MIN_CONNECTION_MIN["interchange"],
    station=MIN_CONNECTION_MIN["station"],
    bus=MIN_CONNECTION_MIN["rail and bus"],
    names=", ".join(INTERCHANGES.values()),
)


def rail_transfers(stops: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """The transfers table for ``stops`` (the timetable's): each rail stop's train-to-train minimum, and
    between a rail stop and every other stop within a walking transfer of it, both ways, the train-bus
    minimum or the walk (straight line times the router's circuity, at its walking speed) if longer."""
    kind = stations.set_index("atco")["crs"].isin(list(INTERCHANGES))
    rail = stops[stops["stop_id"].isin(kind.index)]
    same = pd.DataFrame(
        {
            "from_stop_id": rail["stop_id"],
            "to_stop_id": rail["stop_id"],
            "min_transfer_time": 60.0
            * np.where(kind[rail["stop_id"]], MIN_CONNECTION_MIN["interchange"], MIN_CONNECTION_MIN["station"]),
        }
    )
    station, stop, walk_s = _walks(rail, stops[~stops["stop_id"].isin(kind.index)])
    seconds = np.maximum(walk_s, 60.0 * MIN_CONNECTION_MIN["rail and bus"])
    between = pd.DataFrame(
        {
            "from_stop_id": np.concatenate([station, stop]),
            "to_stop_id": np.concatenate([stop, station]),
            "min_transfer_time": np.concatenate([seconds, seconds]),
        }
    )
    frame = pd.concat([same, between], ignore_index=True).assign(transfer_type=2)
    return frame[list(empty("transfers").columns)].sort_values(["from_stop_id", "to_stop_id"], ignore_index=True)


def _walks(rail: pd.DataFrame, other: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rail stop id, other stop id, walking seconds) for the pairs within the router's longest walking
    transfer (:data:`~geoaccess.transit.compiled.MAX_TRANSFER_WALK_S`)."""
    if rail.empty or other.empty:
        return np.array([], dtype=object), np.array([], dtype=object), np.array([], dtype=float)
    rail_xy, other_xy = np.column_stack(bng(rail)), np.column_stack(bng(other))
    metres = np.hypot(*(rail_xy[:, None, :] - other_xy[None, :, :]).transpose(2, 0, 1))
    seconds = metres * ACCESS_CIRCUITY / (WALK_KPH / 3.6)
    rows, columns = np.nonzero(seconds <= MAX_TRANSFER_WALK_S)
    return rail["stop_id"].to_numpy()[rows], other["stop_id"].to_numpy()[columns], seconds[rows, columns]
