"""What the real 2020 ATOC CIF sample says about a line: departures between two stations and calling shares.

The modelled rail services (:mod:`geoaccess.build.rail_model`) take their minute-past-the-hour offsets,
calling patterns and, where the facts are silent, departures from this sample; these readers are how the
tests check that they still match it. The sample days are :data:`SAMPLE_DAYS`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from geoaccess.transit.cif import read_cif
from geoaccess.transit.timetable import Timetable

CIF_SAMPLE = "data/rail/atoc_cif_ttisf585_2020-03_sample_bbox.mca"
"""The sample, relative to the raw sources folder."""
SAMPLE_DAYS = {"MF": date(2020, 3, 19), "SA": date(2020, 3, 21), "SU": date(2020, 3, 22)}
"""The day read for each modelled day type: the Thursday, Saturday and Sunday the sample covers best."""


def sample_timetable(source: Path, stations: pd.DataFrame) -> Timetable:
    """The CIF sample under ``source`` (the raw sources folder), read with the pack's stations."""
    return read_cif(source / CIF_SAMPLE, stations, note="partial 2020 sample")


def calls(timetable: Timetable, day: str, stations: pd.DataFrame, operator: str = "") -> pd.DataFrame:
    """One row per public call on the sample day for ``day``: trip, CRS, sequence, departure minute."""
    trips = timetable.trips[timetable.trips["service_id"].isin(timetable.services_on(SAMPLE_DAYS[day]))]
    routes = timetable.routes[timetable.routes["agency_name"].str.startswith(operator)]
    trips = trips[trips["route_id"].isin(routes["route_id"]) & trips["route_id"].isin(_rail(timetable))]
    frame = timetable.stop_times[timetable.stop_times["trip_id"].isin(trips["trip_id"])]
    crs = stations.set_index("atco")["crs"]
    return frame.assign(crs=frame["stop_id"].map(crs), minute=frame["departure_s"] // 60)[
        ["trip_id", "crs", "stop_sequence", "minute"]
    ]


def _rail(timetable: Timetable) -> set[str]:
    return set(timetable.routes.loc[timetable.routes["route_type"] == 2, "route_id"])


def departures(frame: pd.DataFrame, origin: str, towards: str) -> list[int]:
    """Departure minutes from ``origin`` of the trips in ``frame`` (see :func:`calls`) that call at
    ``towards`` later on, sorted."""
    both = frame[frame["crs"] == origin].merge(frame[frame["crs"] == towards], on="trip_id", suffixes=("", "_end"))
    return sorted(both.loc[both["stop_sequence"] < both["stop_sequence_end"], "minute"].astype(int))


def calling_share(frame: pd.DataFrame, station: str, between: tuple[str, str]) -> tuple[int, int]:
    """Of the trips in ``frame`` calling at both ``between`` stations, how many call at ``station``."""
    trips = frame.groupby("trip_id")["crs"].agg(frozenset)
    running = trips[[set(between) <= set(stops) for stops in trips]]
    return sum(station in stops for stops in running), len(running)
