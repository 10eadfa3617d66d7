"""Frequency-based trips (GTFS ``frequencies.txt``) expanded into runs, with numpy rather than a loop per run.

A frequency row says that a trip's stop times are a template, run from ``start_s`` every
``headway_s`` seconds while the start is before ``end_s`` (``range(start_s, end_s, headway_s)``).
Each run keeps the template's calls, shifted so that it leaves its first stop at its start, and is
named ``"{trip_id}@HH:MM:SS"`` (hours may pass 24). ``exact_times`` does not change the runs:
both kinds are expanded the same way, from ``start_s``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoaccess.transit.timetable import gtfs_time


def expand_frequencies(calls: pd.DataFrame, frequencies: pd.DataFrame) -> pd.DataFrame:
    """The runs of the frequency rows, each a copy of its trip's calls with shifted times and a ``run_id``.

    ``calls`` are stop calls (``trip_id``, ``arrival_s``, ``departure_s`` and any other columns, kept
    as they are), each trip's rows together in calling order; ``frequencies`` has ``trip_id``,
    ``start_s``, ``end_s`` and ``headway_s``. Rows come out by frequency row, then by start, then in
    calling order, indexed from 0. A row whose trip has no calls, or whose headway is not positive,
    gives no runs.
    """
    trip_ids = calls["trip_id"].to_numpy(dtype=object)
    first, size = _trip_blocks(trip_ids, frequencies["trip_id"].to_numpy(dtype=object))
    starts, row_of_run = _run_starts(frequencies, size)
    run_first, run_size = first[row_of_run], size[row_of_run]
    rows = _block_rows(run_first, run_size)
    run_of_row = np.repeat(np.arange(len(starts)), run_size)
    departure = calls["departure_s"].to_numpy(dtype=np.int64)
    arrival = calls["arrival_s"].to_numpy(dtype=np.int64)
    shift = starts[run_of_row] - departure[run_first[run_of_row]]  # start minus the template's first departure
    labels = np.asarray(
        [f"{trip}@{gtfs_time(start)}" for trip, start in zip(trip_ids[run_first], starts, strict=True)],
        dtype=object,
    )
    out = calls.iloc[rows].reset_index(drop=True)
    out["arrival_s"] = arrival[rows] + shift
    out["departure_s"] = departure[rows] + shift
    out["run_id"] = labels[run_of_row]
    return out


def _trip_blocks(trip_ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each wanted trip: the row where its calls start and how many there are (0 if none)."""
    if len(trip_ids) == 0:
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=np.int64)
    change = np.flatnonzero(trip_ids[1:] != trip_ids[:-1]) + 1
    block_first = np.concatenate([[0], change]).astype(np.int64)
    block_size = np.diff(np.concatenate([block_first, [len(trip_ids)]])).astype(np.int64)
    where = {trip: index for index, trip in enumerate(trip_ids[block_first])}
    found = np.asarray([where.get(trip, -1) for trip in wanted], dtype=np.int64)
    known, block = found >= 0, np.maximum(found, 0)
    return np.where(known, block_first[block], 0), np.where(known, block_size[block], 0)


def _run_starts(frequencies: pd.DataFrame, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every run's start, and the frequency row it comes from, in row then start order."""
    start = frequencies["start_s"].to_numpy(dtype=np.int64)
    end = frequencies["end_s"].to_numpy(dtype=np.int64)
    headway = frequencies["headway_s"].to_numpy(dtype=np.int64)
    positive = headway > 0
    step = np.where(positive, headway, 1)
    count = np.where(positive & (size > 0), np.maximum(-((start - end) // step), 0), 0)  # len(range(...))
    row_of_run = np.repeat(np.arange(len(count)), count)
    within = np.arange(len(row_of_run)) - np.repeat(np.cumsum(count) - count, count)
    return start[row_of_run] + step[row_of_run] * within, row_of_run


def _block_rows(first: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The row numbers ``first[i] .. first[i] + size[i] - 1`` for each block, concatenated."""
    total = int(size.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.arange(total) - np.repeat(np.cumsum(size) - size, size)
    rows: np.ndarray = np.repeat(first, size) + offsets
    return rows
