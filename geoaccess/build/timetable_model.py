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
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from geoaccess.build.bus_model import BUS_SERVICES, NOT_MODELLED, bus_points, bus_speed
from geoaccess.build.bus_paths import bus_mesh
from geoaccess.build.model_parts import DAY_TYPES, FACT_FILES, Service, Timing, note, service_row
from geoaccess.build.rail_model import MIN_CONNECTION_NOTE, RAIL_SERVICES, rail_points, rail_transfers
from geoaccess.errors import BadInput
from geoaccess.roads.network import RoadNetwork
from geoaccess.transit.timetable import Timetable, empty, yyyymmdd

SOURCE = "frequency-based model of cited Cumbrian rail and bus service patterns (facts compiled 2026-11)"

SERVICES: tuple[Service, ...] = RAIL_SERVICES + BUS_SERVICES


def modelled_timetable(
    facts_dir: Path,
    run_times_csv: Path,
    stations: pd.DataFrame,
    stops: pd.DataFrame,
    drive: RoadNetwork,
    *,
    valid_from: date,
    valid_to: date,
) -> tuple[Timetable, list[str]]:
    """The default Cumbrian timetable modelled from the cited facts, and its assumptions (sentences).

    Buses run along paths on ``drive``, the proxy drive network built beside it."""
    if valid_to < valid_from:
        raise BadInput(f"valid_to {valid_to} is before valid_from {valid_from}")
    facts = {key: pd.read_csv(Path(facts_dir) / name, dtype=str).fillna("") for key, name in FACT_FILES.items()}
    run_times = pd.read_csv(run_times_csv)
    speed, speed_note = bus_speed(stops)
    assumptions = [_general_note(), speed_note]
    parts = []
    mesh = bus_mesh(drive, stops)
    for service in SERVICES:
        if service.mode == "rail":
            points, minutes, how = rail_points(facts, service, stations, run_times)
        else:
            points, minutes, how = bus_points(service, stops, speed, mesh)
        assumptions += [note(facts, text, service.cites) for text in service.notes] + [how]
        operator = re.sub(r"\s*\(.*\)", "", service_row(facts, service)["operator"])
        parts.append(_service_tables(service, operator, points, minutes))
    assumptions += [
        note(facts, "Not modelled: {0}; no timetable can be built from it.", (cite,)) for cite in NOT_MODELLED
    ]
    tables = {name: pd.concat([part[name] for part in parts], ignore_index=True) for name in parts[0]}
    tables["stops"] = tables["stops"].drop_duplicates("stop_id").sort_values("stop_id")
    tables["transfers"] = rail_transfers(tables["stops"], stations)
    assumptions.append(MIN_CONNECTION_NOTE)
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
        "stations. Each bus route's named towns get one timing stop: the bus-station bay (NaPTAN BCS) nearest "
        "the centre of the town's NaPTAN locality (the mean position of its stops) if the town has one, else the "
        "on-street stop (BCT) nearest that centre; between towns the bus follows the proxy road mesh and calls "
        "at the active stops along it (see each route's note). Through running between lines is ignored: "
        "connections happen at shared stations. Trips are explicit departures; times are rounded to the minute."
    )


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
                    trips.append(
                        {**trip, **_basis(service, timing, times, ordered), "route_id": route_id, "service_id": day}
                    )
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
    times = times[~served["key"].isin(timing.skip).to_numpy()].assign(stop_sequence=lambda kept: np.arange(len(kept)))
    return {"trip_id": trip_id, "trip_headsign": served["stop_name"].iloc[-1]}, times


def _basis(service: Service, timing: Timing, times: pd.DataFrame, ordered: pd.DataFrame) -> dict[str, str]:
    """What one trip rests on, in words: ``"22:00 Carlisle->Barrow-in-Furness (Cumbrian Coast): ..."``."""
    labels = ordered.set_index("stop_id")["label"]
    start = int(times["departure_s"].iloc[0]) // 60
    trip = (
        f"{start // 60:02d}:{start % 60:02d} {labels[times['stop_id'].iloc[0]]}->"
        f"{labels[times['stop_id'].iloc[-1]]} ({service.name})"
    )
    why = timing.why or ("departure time assumed" if timing.basis == "assumed" else timing.basis)
    return {"basis": timing.basis, "basis_note": f"{trip}: {why}"}


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
