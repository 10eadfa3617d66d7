"""The modelled rail services: cited patterns, run times from the ATOC 2020 CIF sample's medians."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geoaccess.build.model_parts import (
    MON_SAT,
    Cite,
    Service,
    Timing,
    gaps_km,
    rail_service,
    service_row,
    split_by_distance,
)

COAST = "Northern - Cumbrian Coast line"

RAIL_SERVICES: tuple[Service, ...] = (
    rail_service(
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
    rail_service(
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
    rail_service(
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
    rail_service(
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
    rail_service(
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
    rail_service(
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
    rail_service(
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
    rail_service(
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
