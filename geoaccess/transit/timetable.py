"""The timetable model every reader produces: GTFS's tables, typed, with provenance.

GTFS feeds, ATOC CIF rail timetables and the modelled Cumbrian default all
become a :class:`Timetable`; the router compiles one service day of it into
arrays. Times are integer seconds after midnight of the service day (they may
pass 24:00, as in GTFS); dates are integers ``YYYYMMDD``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from geoaccess._io import replace_folder
from geoaccess.errors import BadInput, DataPackError
from geoaccess.weekdays import WEEKDAYS

ROUTE_TYPES = {
    0: "tram",
    1: "metro",
    2: "train",
    3: "bus",
    4: "ferry",
    5: "cable tram",
    6: "aerial lift",
    7: "funicular",
    11: "trolleybus",
    12: "monorail",
}
"""GTFS route_type -> the word itineraries use (extended types 100-1799 map by their hundreds)."""

COLUMNS: dict[str, dict[str, str]] = {
    "stops": {
        "stop_id": "string",
        "stop_name": "string",
        "lon": "float64",
        "lat": "float64",
    },
    "routes": {
        "route_id": "string",
        "agency_name": "string",
        "route_short_name": "string",
        "route_long_name": "string",
        "route_type": "int64",
    },
    "trips": {"trip_id": "string", "route_id": "string", "service_id": "string", "trip_headsign": "string"},
    "stop_times": {
        "trip_id": "string",
        "stop_sequence": "int64",
        "stop_id": "string",
        "arrival_s": "int64",
        "departure_s": "int64",
    },
    "calendar": {
        "service_id": "string",
        **{day: "int8" for day in WEEKDAYS},
        "start_date": "int64",
        "end_date": "int64",
    },
    "calendar_dates": {"service_id": "string", "date": "int64", "exception_type": "int8"},
    "frequencies": {
        "trip_id": "string",
        "start_s": "int64",
        "end_s": "int64",
        "headway_s": "int64",
        "exact_times": "int8",
    },
    "transfers": {
        "from_stop_id": "string",
        "to_stop_id": "string",
        "transfer_type": "int8",
        "min_transfer_time": "float64",
    },
}
"""Every table's columns and dtypes; ``min_transfer_time`` is seconds (NaN when not given)."""
OPTIONAL: dict[str, dict[str, tuple[str, Any]]] = {
    "stops": {"parent_station": ("string", "")},
    "stop_times": {"pickup_type": ("int8", 0), "drop_off_type": ("int8", 0)},
    "trips": {"basis": ("string", ""), "basis_note": ("string", "")},
}
"""Columns a table holds only when its source says something in them: (dtype, the value meant
when absent).
``parent_station`` is a stop's station (``""``: none); ``pickup_type``/``drop_off_type`` are
GTFS's (1: no pickup / no drop-off there). A modelled timetable says what each trip rests on: ``basis`` is
``cited`` (its time is quoted from a source), ``cif`` (taken from a real CIF timetable of another year) or
``assumed``, and ``basis_note`` says so in words; ``""`` is a published timetable's own trip. Read them with
:func:`optional`."""
PROVENANCE = "provenance.json"


def empty(table: str) -> pd.DataFrame:
    """An empty table with the right columns and dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS[table].items()})


def typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the model's columns for ``table``, in order and typed, then those of
    :data:`OPTIONAL` it has that say something (not only the absent value), gaps filled."""
    columns = COLUMNS[table]
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise BadInput(f"{table}: missing column(s) {', '.join(missing)}")
    present = {
        name: (dtype, value)
        for name, (dtype, value) in OPTIONAL.get(table, {}).items()
        if name in frame.columns and not frame[name].fillna(value).eq(value).all()
    }
    frame = frame.fillna({name: value for name, (_, value) in present.items()})
    dtypes = {**columns, **{name: dtype for name, (dtype, _) in present.items()}}
    return frame[list(dtypes)].astype(dtypes).reset_index(drop=True)


def optional(frame: pd.DataFrame, table: str, name: str) -> pd.Series:
    """An :data:`OPTIONAL` column of ``frame`` (a ``table`` or rows drawn from one), or its
    absent value on every row."""
    if name in frame.columns:
        return frame[name]
    dtype, value = OPTIONAL[table][name]
    return pd.Series(value, index=frame.index, dtype=dtype)


def mode_word(route_type: int) -> str:
    """``train``, ``bus``, ... for a GTFS route_type (basic or extended)."""
    if route_type in ROUTE_TYPES:
        return ROUTE_TYPES[route_type]
    hundreds = {1: "train", 2: "coach", 4: "metro", 7: "bus", 9: "tram", 10: "ferry", 12: "ferry"}
    return hundreds.get(route_type // 100, "public transport")


def gtfs_time(seconds: float) -> str:
    """Seconds after midnight -> GTFS's ``HH:MM:SS``, hours passing 24 as needed: ``87300`` -> ``"24:15:00"``."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def yyyymmdd(day: date) -> int:
    """``date(2026, 11, 26)`` -> ``20261126``."""
    return day.year * 10000 + day.month * 100 + day.day


def to_date(value: int) -> date:
    """``20261126`` -> ``date(2026, 11, 26)``."""
    return date(value // 10000, value // 100 % 100, value % 100)


@dataclass
class Timetable:
    """A public transport timetable: GTFS's tables (see :data:`COLUMNS`) and where it came from.

    ``provenance`` has at least ``timetable`` (``gtfs``, ``cif`` or ``modelled``),
    ``source``, ``valid_from`` and ``valid_to`` (``YYYY-MM-DD``) and ``modelled``.
    """

    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    calendar: pd.DataFrame = field(default_factory=lambda: empty("calendar"))
    calendar_dates: pd.DataFrame = field(default_factory=lambda: empty("calendar_dates"))
    frequencies: pd.DataFrame = field(default_factory=lambda: empty("frequencies"))
    transfers: pd.DataFrame = field(default_factory=lambda: empty("transfers"))
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table in COLUMNS:
            setattr(self, table, typed(table, getattr(self, table)))

    def services_on(self, day: date) -> set[str]:
        """Service ids running on ``day`` (calendar, then calendar_dates exceptions)."""
        stamp = yyyymmdd(day)
        weekday = WEEKDAYS[day.weekday()]
        calendar = self.calendar
        running = set(
            calendar.loc[
                (calendar[weekday] == 1) & (calendar["start_date"] <= stamp) & (calendar["end_date"] >= stamp),
                "service_id",
            ]
        )
        exceptions = self.calendar_dates[self.calendar_dates["date"] == stamp]
        running |= set(exceptions.loc[exceptions["exception_type"] == 1, "service_id"])
        running -= set(exceptions.loc[exceptions["exception_type"] == 2, "service_id"])
        return running

    def date_for(self, weekday: str, today: date | None = None) -> date:
        """The first date with this weekday on or after ``today``, moved into the validity range."""
        start = to_date_text(self.provenance.get("valid_from")) or (today or date.today())
        end = to_date_text(self.provenance.get("valid_to"))
        first = max(today or date.today(), start)
        if end is not None and first > end:
            first = start
        target = WEEKDAYS.index(weekday)
        return first + timedelta(days=(target - first.weekday()) % 7)

    # --- persistence ------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write each table as Parquet plus ``provenance.json``; all or nothing."""

        def fill(staging: Path) -> None:
            for table in COLUMNS:
                getattr(self, table).to_parquet(staging / f"{table}.parquet", index=False, compression="zstd")
            (staging / PROVENANCE).write_text(json.dumps(self.provenance, indent=1) + "\n", encoding="utf-8")

        replace_folder(folder, fill)

    @classmethod
    def load(cls, folder: Path) -> Timetable:
        """Read a timetable written by :meth:`save`."""
        folder = Path(folder)
        if not (folder / PROVENANCE).is_file():
            raise DataPackError(f"no timetable at {folder}: {PROVENANCE} is missing")
        tables = {table: pd.read_parquet(folder / f"{table}.parquet") for table in COLUMNS}
        provenance = json.loads((folder / PROVENANCE).read_text(encoding="utf-8"))
        return cls(**tables, provenance=provenance)


def to_date_text(text: str | None) -> date | None:
    """``"2026-11-26"`` -> a date (``None`` stays ``None``)."""
    return date.fromisoformat(text) if text else None


def merge(timetables: list[Timetable]) -> Timetable:
    """Several feeds as one (rail plus bus). Ids are prefixed ``<n>:`` so feeds cannot clash,
    except stop ids, which stay as they are so that feeds sharing NaPTAN codes meet at their stops."""
    if len(timetables) == 1:
        return timetables[0]
    tables: dict[str, list[pd.DataFrame]] = {table: [] for table in COLUMNS}
    for number, timetable in enumerate(timetables, start=1):
        prefix = f"{number}:"
        for table in COLUMNS:
            frame = getattr(timetable, table).copy()
            for column in ("route_id", "trip_id", "service_id"):
                if column in frame:
                    frame[column] = prefix + frame[column]
            tables[table].append(frame)
    stops = pd.concat(tables.pop("stops")).drop_duplicates("stop_id")
    provenance = {
        "timetable": "+".join(t.provenance.get("timetable", "?") for t in timetables),
        "source": " + ".join(t.provenance.get("source", "?") for t in timetables),
        "valid_from": max(t.provenance.get("valid_from") or "" for t in timetables) or None,
        "valid_to": min((t.provenance["valid_to"] for t in timetables if t.provenance.get("valid_to")), default=None),
        "modelled": any(t.provenance.get("modelled") for t in timetables),
        "feeds": [t.provenance for t in timetables],
    }
    return Timetable(stops=stops, **{name: pd.concat(frames) for name, frames in tables.items()}, provenance=provenance)
