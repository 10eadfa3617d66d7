"""Frequency expansion (geoaccess.transit.frequencies) against a plain loop, run by run.

The reference is the loop ``compiled._calls_on`` used before it was vectorised: for each frequency
row, for each start in ``range(start_s, end_s, headway_s)``, the trip's calls shifted to leave at the
start and named ``trip@HH:MM:SS``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoaccess.transit import compiled
from geoaccess.transit.compiled import DAY_S, _calls_on
from geoaccess.transit.frequencies import expand_frequencies
from geoaccess.transit.gtfs import read_gtfs
from geoaccess.transit.timetable import Timetable

SAMPLE = Path(__file__).parent / "data" / "gtfs" / "gtfs_kit_sample_gtfs.zip"
"""gtfs-kit's copy of the GTFS reference's demo feed: 11 frequency rows over 3 trips (tests/data/README.md)."""
MONDAY = date(2026, 11, 30)
SAMPLE_WEEK = [date(2007, 6, 4) + timedelta(days=offset) for offset in range(7)]
"""A week in the demo feed's range; its Monday's full-week service is cancelled (calendar_dates.txt)."""


def clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def reference_runs(calls: pd.DataFrame, frequencies: pd.DataFrame) -> pd.DataFrame:
    """One run at a time, as the loop did."""
    expanded = []
    for row in frequencies.itertuples(index=False):
        template = calls[calls["trip_id"] == row.trip_id]
        first = template["departure_s"].iloc[0]
        for start in range(row.start_s, row.end_s, row.headway_s):
            expanded.append(
                template.assign(
                    arrival_s=start + template["arrival_s"].to_numpy() - first,
                    departure_s=start + template["departure_s"].to_numpy() - first,
                    run_id=f"{row.trip_id}@{clock(start)}",
                )
            )
    return pd.concat(expanded, ignore_index=True) if expanded else calls.iloc[:0].assign(run_id=pd.Series(dtype=object))


def reference_calls_on(timetable: Timetable, day: date, shift_s: int) -> pd.DataFrame:
    """``_calls_on`` with the reference loop in place of the vectorised expansion."""
    original = compiled.expand_frequencies
    compiled.expand_frequencies = reference_runs
    try:
        return _calls_on(timetable, day, shift_s)
    finally:
        compiled.expand_frequencies = original


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same rows in the same order, same values (dtypes of equal values may differ)."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for column in want.columns:
        assert got[column].astype(object).tolist() == want[column].astype(object).tolist(), column


def frame(rows: list[tuple[object, ...]], columns: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


def calls_of(trips: dict[str, list[tuple[int, int]]]) -> pd.DataFrame:
    """Calls from ``trip -> [(arrival, departure), ...]``, in trip then calling order."""
    rows = [
        (trip, seq + 1, f"{trip}-{seq}", arrive, depart)
        for trip in sorted(trips)
        for seq, (arrive, depart) in enumerate(trips[trip])
    ]
    return frame(rows, "trip_id stop_sequence stop_id arrival_s departure_s")


def frequencies_of(rows: list[tuple[str, int, int, int]]) -> pd.DataFrame:
    return frame(rows, "trip_id start_s end_s headway_s")


# --- the demo feed --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Timetable:
    return read_gtfs(SAMPLE)


def test_sample_feed_has_frequencies(sample: Timetable) -> None:
    assert len(sample.frequencies) == 11
    assert set(sample.frequencies["trip_id"]) == {"STBA", "CITY1", "CITY2"}


@pytest.mark.parametrize("shift", [0, -DAY_S])
def test_sample_feed_calls_match_the_loop(sample: Timetable, shift: int) -> None:
    sizes = []
    for day in SAMPLE_WEEK:
        calls = _calls_on(sample, day, shift)
        same(calls, reference_calls_on(sample, day, shift))
        sizes.append(calls["run_id"].nunique())
    assert sizes[0] == 0 and min(sizes[1:5]) > 100  # nothing on the cancelled Monday


def test_sample_feed_runs(sample: Timetable) -> None:
    runs = _calls_on(sample, SAMPLE_WEEK[1], 0)
    stba = runs[runs["trip_id"] == "STBA"]
    assert stba["run_id"].nunique() == len(range(6 * 3600, 22 * 3600, 1800)) == 32
    assert stba["run_id"].iloc[0] == "STBA@06:00:00"
    city1 = runs.loc[runs["trip_id"] == "CITY1", "run_id"].unique()
    # 06:00-07:59:59 every 30 min (4), 08:00-09:59:59 every 10 (12), 10:00-15:59:59 every 30 (12),
    # 16:00-18:59:59 every 10 (18), 19:00-22:00 every 30 (6)
    assert len(city1) == 4 + 12 + 12 + 18 + 6
    assert "CITY1@21:30:00" in set(city1)
    assert "CITY1@22:00:00" not in set(city1)  # the end is not a start


# --- random tables --------------------------------------------------------------------------------


def random_case(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    trips: dict[str, list[tuple[int, int]]] = {}
    for number in range(int(rng.integers(1, 8))):
        stops = int(rng.integers(1, 9))
        depart = int(rng.integers(0, 30 * 3600))
        times = []
        for _ in range(stops):
            arrive = depart + int(rng.integers(0, 600))
            depart = arrive + int(rng.integers(0, 120))
            times.append((arrive, depart))
        trips[f"T{number}"] = times
    names = sorted(trips) + ["GHOST"] * int(rng.integers(0, 2))  # a frequency row whose trip has no calls
    rows = []
    for _ in range(int(rng.integers(0, 12))):
        start = int(rng.integers(0, 28 * 3600))
        rows.append(
            (str(rng.choice(names)), start, start + int(rng.integers(-600, 6 * 3600)), int(rng.integers(60, 2400)))
        )
    return calls_of(trips), frequencies_of(rows)


@pytest.mark.parametrize("seed", range(30))
def test_random_tables_match_the_loop(seed: int) -> None:
    calls, frequencies = random_case(np.random.default_rng(seed))
    known = frequencies[frequencies["trip_id"].isin(calls["trip_id"])]  # the loop fails on a trip with no calls
    same(expand_frequencies(calls, frequencies), reference_runs(calls, known))


# --- edge cases -----------------------------------------------------------------------------------


def test_headway_not_dividing_the_window() -> None:
    calls = calls_of({"A": [(100, 100), (400, 460)]})
    runs = expand_frequencies(calls, frequencies_of([("A", 3600, 3600 + 1000, 300)]))
    assert runs["run_id"].unique().tolist() == ["A@01:00:00", "A@01:05:00", "A@01:10:00", "A@01:15:00"]
    assert runs["departure_s"].tolist() == [3600, 3960, 3900, 4260, 4200, 4560, 4500, 4860]
    assert runs["arrival_s"].tolist() == [3600, 3900, 3900, 4200, 4200, 4500, 4500, 4800]


def test_empty_window_gives_no_runs() -> None:
    calls = calls_of({"A": [(0, 0), (60, 60)]})
    assert expand_frequencies(calls, frequencies_of([("A", 7200, 7200, 600)])).empty
    assert expand_frequencies(calls, frequencies_of([("A", 7200, 3600, 600)])).empty
    assert expand_frequencies(calls, frequencies_of([("A", 7200, 7201, 600)]))["run_id"].unique().tolist() == [
        "A@02:00:00"
    ]


def test_non_positive_headway_gives_no_runs() -> None:
    calls = calls_of({"A": [(0, 0), (60, 60)]})
    assert expand_frequencies(calls, frequencies_of([("A", 0, 3600, 0), ("A", 0, 3600, -60)])).empty


def test_several_rows_for_one_trip_keep_row_order() -> None:
    calls = calls_of({"A": [(0, 0), (60, 60)], "B": [(10, 10)]})
    rows = [("A", 7200, 7500, 300), ("B", 0, 120, 60), ("A", 3600, 4200, 300)]
    runs = expand_frequencies(calls, frequencies_of(rows))
    assert runs["run_id"].unique().tolist() == ["A@02:00:00", "B@00:00:00", "B@00:01:00", "A@01:00:00", "A@01:05:00"]
    same(runs, reference_runs(calls, frequencies_of(rows)))


def test_times_past_midnight() -> None:
    calls = calls_of({"N": [(0, 0), (1800, 1800)]})
    runs = expand_frequencies(calls, frequencies_of([("N", 23 * 3600 + 1800, 26 * 3600, 3600)]))
    assert runs["run_id"].unique().tolist() == ["N@23:30:00", "N@24:30:00", "N@25:30:00"]
    assert runs["arrival_s"].max() == 25 * 3600 + 3600


def test_other_columns_are_kept() -> None:
    calls = calls_of({"A": [(0, 0), (60, 60)]}).assign(route_id="R1", pickup_type=[0, 1])
    runs = expand_frequencies(calls, frequencies_of([("A", 0, 600, 300)]))
    assert list(runs.columns) == [*calls.columns, "run_id"]
    assert runs["pickup_type"].tolist() == [0, 1, 0, 1]
    assert runs["stop_sequence"].tolist() == [1, 2, 1, 2]


def test_trip_in_frequencies_is_not_also_a_scheduled_run() -> None:
    timetable = Timetable(
        stops=frame([("S1", "One", 0.0, 54.0), ("S2", "Two", 0.01, 54.0)], "stop_id stop_name lon lat"),
        routes=frame([("R", "Op", "1", "", 3)], "route_id agency_name route_short_name route_long_name route_type"),
        trips=frame([("F", "R", "ALL", ""), ("T", "R", "ALL", "")], "trip_id route_id service_id trip_headsign"),
        stop_times=frame(
            [
                ("F", 1, "S1", 36000, 36000),
                ("F", 2, "S2", 36300, 36300),
                ("T", 1, "S1", 500, 500),
                ("T", 2, "S2", 800, 800),
            ],
            "trip_id stop_sequence stop_id arrival_s departure_s",
        ),
        calendar=frame(
            [("ALL", 1, 1, 1, 1, 1, 1, 1, 20260101, 20271231)],
            "service_id monday tuesday wednesday thursday friday saturday sunday start_date end_date",
        ),
        frequencies=frame([("F", 21600, 23400, 900, 1)], "trip_id start_s end_s headway_s exact_times"),
    )
    calls = _calls_on(timetable, MONDAY, 0)
    assert calls["run_id"].unique().tolist() == ["T", "F@06:00:00", "F@06:15:00"]
    assert calls.loc[calls["trip_id"] == "F", "departure_s"].tolist() == [21600, 21900, 22500, 22800]
    same(calls, reference_calls_on(timetable, MONDAY, 0))
    same(_calls_on(timetable, MONDAY, -DAY_S), reference_calls_on(timetable, MONDAY, -DAY_S))
