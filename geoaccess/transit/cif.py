"""ATOC CIF rail timetables (a full ``.MCA`` extract) as a :class:`~geoaccess.transit.timetable.Timetable`.

CIF is fixed-width text: 80-character records named by their first two letters.
A schedule is a BS record (train UID, dates, days run, STP indicator), a BX
(operator), then its locations: LO origin, LI intermediate, CR change en route,
LT terminus. HD opens the file and ZZ ends it; TI/TA/TD (TIPLOCs) and AA
(associations) carry nothing the timetable needs, except TI's station names.

Short-term planning: for one train UID, on each date a schedule covers, it
displaces the schedules of lower precedence (C > O > N > P): they get a
calendar_dates removal (exception_type 2) for that date. Cancellations (C) make
no trip. Bank holiday running flags are ignored. An intermediate call whose
activities say set down only (``D``) or pick up only (``U``) becomes a stop time with
no pickup (``pickup_type`` 1) or no drop-off (``drop_off_type`` 1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from geoaccess import defaults
from geoaccess.errors import BadInput
from geoaccess.transit.timetable import COLUMNS, OPTIONAL, Timetable, yyyymmdd

AGENCIES = {
    "NT": "Northern",
    "TP": "TransPennine Express",
    "VT": "Avanti West Coast",
    "SR": "ScotRail",
    "XC": "CrossCountry",
    "LM": "West Midlands Trains",
    "AW": "Transport for Wales",
    "CS": "Caledonian Sleeper",
    "GR": "LNER",
}
"""ATOC TOC code -> operator name (Avanti West Coast was Virgin Trains, VT, until December 2019)."""
PRECEDENCE = "CONP"
"""STP indicators, strongest first: cancellation, overlay, new (STP-only), permanent."""
ROUTE_TYPES = {"B": 3, "5": 3, "S": 4, "4": 4}
"""BS train status -> GTFS route_type for buses (rail replacement) and ships; anything else is rail (2)."""
DAY_S = 24 * 3600
NEAR_MIDNIGHT_S = 60
"""A public time of 0000 is real only this close to a working time of midnight; otherwise it means 'none'."""
MIDNIGHT_DROP_S = 6 * 3600
"""A time this much earlier than the previous one means the train crossed midnight."""
RECORD_LENGTH = 80
IGNORED = frozenset({"TA", "TD", "AA"})


class CifError(BadInput):
    """A CIF file is malformed, incomplete or has nothing to load."""


class _Malformed(Exception):
    """A record could not be read (the reader adds the file and line)."""


@dataclass
class _Header:
    extract_date: date
    valid_from: date
    valid_to: date


@dataclass
class _Call:
    tiploc: str
    public: tuple[int | None, int | None]
    working: tuple[int | None, int | None]
    rules: tuple[int, int] = (0, 0)  # (pickup_type, drop_off_type), from the LI activities


@dataclass
class _Schedule:
    uid: str
    stp: str
    start: date
    end: date
    days: str
    status: str
    line: int
    toc: str = ""
    calls: list[_Call] = field(default_factory=list)
    closed: bool = False

    @property
    def trip_id(self) -> str:
        return f"{self.uid}{self.stp}{yyyymmdd(self.start)}"

    def runs_on(self, day: date) -> bool:
        """Whether the schedule's own dates and days mask include ``day``."""
        return self.start <= day <= self.end and self.days[day.weekday()] == "1"

    def dates(self) -> Iterable[date]:
        """The dates the schedule's own dates and days mask give, in order."""
        for offset in range((self.end - self.start).days + 1):
            day = self.start + timedelta(days=offset)
            if self.days[day.weekday()] == "1":
                yield day


# --- fields ---------------------------------------------------------------------------------


def _field(line: str, first: int, last: int) -> str:
    """Columns ``first``..``last`` (1-based, inclusive, as the CIF specification numbers them)."""
    return line[first - 1 : last]


def _tiploc(line: str) -> str:
    """The TIPLOC of a location record (columns 3-9; column 10 is a suffix for repeat visits)."""
    return _field(line, 3, 9).strip()


def _digits(text: str, what: str) -> None:
    if not (text.isascii() and text.isdigit()):
        raise _Malformed(f"bad {what} {text!r}")


def _cif_date(text: str, *, day_first: bool = False) -> date:
    """``yymmdd`` (or ``ddmmyy``) -> a date; years 60-99 are 19xx."""
    _digits(text, "date")
    first, month, last = int(text[:2]), int(text[2:4]), int(text[4:])
    year, day = (last, first) if day_first else (first, last)
    try:
        return date(year + (1900 if year >= 60 else 2000), month, day)
    except ValueError:
        raise _Malformed(f"bad date {text!r}") from None


def _clock(text: str) -> int:
    """``HHMM`` -> seconds after midnight."""
    _digits(text, "time")
    hours, minutes = int(text[:2]), int(text[2:])
    if hours > 23 or minutes > 59:
        raise _Malformed(f"bad time {text!r}")
    return hours * 3600 + minutes * 60


def _working_time(text: str) -> int | None:
    """A working time ``HHMM`` plus blank or ``H`` (half a minute) -> seconds; blank -> None."""
    if not text.strip():
        return None
    if text[4:] not in ("", " ", "H"):
        raise _Malformed(f"bad time {text!r}")
    return _clock(text[:4]) + (30 if text[4:] == "H" else 0)


def _public_time(text: str, working: int | None) -> int | None:
    """A public time ``HHMM`` -> seconds; blank, or 0000 away from a midnight working time -> None."""
    if not text.strip():
        return None
    seconds = _clock(text)
    if seconds == 0 and (working is None or min(working, DAY_S - working) > NEAR_MIDNIGHT_S):
        return None
    return seconds


# --- records --------------------------------------------------------------------------------


class _Parser:
    """Reads records one at a time, checking their order; :meth:`finish` gives the result."""

    def __init__(self) -> None:
        self.header: _Header | None = None
        self.schedules: list[_Schedule] = []
        self.names: dict[str, str] = {}
        self.ended = False
        self.handlers: dict[str, Callable[[str, int], None]] = {
            "HD": self.hd,
            "TI": self.ti,
            "BS": self.bs,
            "BX": self.bx,
            "LO": self.lo,
            "LI": self.li,
            "CR": self.cr,
            "LT": self.lt,
            "ZZ": self.zz,
        }

    def feed(self, line: str, number: int) -> None:
        if not line.strip():
            return
        kind = line[:2]
        if len(line) > RECORD_LENGTH:
            raise _Malformed(f"{kind} record longer than {RECORD_LENGTH} characters")
        if self.header is None and kind != "HD":
            raise _Malformed("no HD header record: is this an ATOC CIF file?")
        if self.ended:
            raise _Malformed(f"{kind} record after the ZZ trailer")
        if kind in IGNORED:
            return
        if kind not in self.handlers:
            raise _Malformed(f"unknown record type {kind!r}")
        self.handlers[kind](line.ljust(RECORD_LENGTH), number)

    def finish(self) -> tuple[_Header, list[_Schedule], dict[str, str]]:
        if self.header is None:
            raise _Malformed("empty file: no HD header record")
        if not self.ended:
            raise _Malformed("no ZZ trailer record: the file looks truncated")
        if not self.schedules:
            raise _Malformed("no schedules (BS records)")
        return self.header, self.schedules, self.names

    def hd(self, line: str, number: int) -> None:
        if self.header is not None:
            raise _Malformed("a second HD header record")
        if _field(line, 47, 47) != "F":
            raise _Malformed("an update extract (HD update indicator is not F): give a full extract")
        self.header = _Header(
            extract_date=_cif_date(_field(line, 23, 28), day_first=True),
            valid_from=_cif_date(_field(line, 49, 54), day_first=True),
            valid_to=_cif_date(_field(line, 55, 60), day_first=True),
        )

    def ti(self, line: str, number: int) -> None:
        self.names[_tiploc(line)] = _field(line, 19, 44).strip()

    def bs(self, line: str, number: int) -> None:
        self._check_closed()
        if _field(line, 3, 3) != "N":
            raise _Malformed("BS transaction type is not N (new): only full extracts are read")
        stp, days, to = _field(line, 80, 80), _field(line, 22, 28), _field(line, 16, 21)
        if stp not in PRECEDENCE:
            raise _Malformed(f"bad STP indicator {stp!r}")
        if len(days) != 7 or set(days) - {"0", "1"}:
            raise _Malformed(f"bad days run {days!r}")
        assert self.header is not None
        self.schedules.append(
            _Schedule(
                uid=_field(line, 4, 9),
                stp=stp,
                start=_cif_date(_field(line, 10, 15)),
                end=self.header.valid_to if to == "999999" else _cif_date(to),
                days=days,
                status=_field(line, 30, 30),
                line=number,
            )
        )

    def bx(self, line: str, number: int) -> None:
        schedule = self.schedules[-1] if self.schedules else None
        if schedule is None or schedule.calls:
            raise _Malformed("BX record out of place (it must follow its BS record)")
        schedule.toc = _field(line, 12, 13).strip()

    def lo(self, line: str, number: int) -> None:
        working = _working_time(_field(line, 11, 15))
        public = _public_time(_field(line, 16, 19), working)
        self._current("LO", first=True).calls.append(_Call(_tiploc(line), (None, public), (None, working)))

    def li(self, line: str, number: int) -> None:
        arrival, departure = _working_time(_field(line, 11, 15)), _working_time(_field(line, 16, 20))
        _working_time(_field(line, 21, 25))  # a pass time: checked, but a pass is not a call
        public = (_public_time(_field(line, 26, 29), arrival), _public_time(_field(line, 30, 33), departure))
        activities = {_field(line, first, first + 1).strip() for first in range(43, 55, 2)}
        rules = (int("D" in activities), int("U" in activities))  # set down only; pick up only
        self._current("LI").calls.append(_Call(_tiploc(line), public, (arrival, departure), rules))

    def cr(self, line: str, number: int) -> None:
        self._current("CR")

    def lt(self, line: str, number: int) -> None:
        working = _working_time(_field(line, 11, 15))
        public = _public_time(_field(line, 16, 19), working)
        schedule = self._current("LT")
        schedule.calls.append(_Call(_tiploc(line), (public, None), (working, None)))
        schedule.closed = True

    def zz(self, line: str, number: int) -> None:
        self._check_closed()
        self.ended = True

    def _current(self, kind: str, *, first: bool = False) -> _Schedule:
        """The open schedule a location record belongs to (``first``: it must have no calls yet)."""
        schedule = self.schedules[-1] if self.schedules else None
        if schedule is None or schedule.closed or schedule.stp == "C" or bool(schedule.calls) == first:
            place = "open a schedule's locations" if first else "follow an LO in a schedule"
            raise _Malformed(f"{kind} record out of place (it must {place})")
        return schedule

    def _check_closed(self) -> None:
        last = self.schedules[-1] if self.schedules else None
        if last is not None and last.stp != "C" and not last.closed:
            raise _Malformed(f"the schedule for train {last.uid} (line {last.line}) has no LT terminating record")


def _parse(path: Path) -> tuple[_Header, list[_Schedule], dict[str, str]]:
    """Every record of ``path``, checked; :class:`CifError` names the line of the first fault.

    The file size and line length limits (geoaccess.defaults, looked up now) are checked first and as
    each line is read: a longer line is refused without reading the rest of it.
    """
    parser = _Parser()
    number = 0
    try:
        size_limit = defaults.CIF_MAX_FILE_BYTES
        if path.stat().st_size > size_limit:
            raise _refused(path, f"the file holds more than the limit of {size_limit:,} bytes (CIF_MAX_FILE_BYTES)")
        limit = defaults.CIF_MAX_LINE_CHARS
        with path.open(encoding="latin-1") as lines:
            for number, line in enumerate(iter(partial(lines.readline, limit + 1), ""), start=1):
                if len(line) > limit and not line.endswith("\n"):
                    raise _refused(
                        path, f"line {number} is longer than the limit of {limit:,} characters (CIF_MAX_LINE_CHARS)"
                    )
                parser.feed(line.rstrip("\r\n"), number)
        return parser.finish()
    except _Malformed as error:
        raise CifError(f"{path}, line {max(number, 1)}: {error}") from None
    except OSError as error:
        raise CifError(f"cannot read CIF file {path}: {error.strerror}") from None


def _refused(path: Path, what: str) -> CifError:
    return CifError(f"{path} is refused: {what}; nothing has been loaded from it")


# --- timetable ------------------------------------------------------------------------------


Call = tuple[str, int, int, int, int]
"""(tiploc, arrival_s, departure_s, pickup_type, drop_off_type)."""


def _timed_calls(schedule: _Schedule, public_only: bool) -> list[Call]:
    """Each call's :data:`Call`, times increasing (past 24:00 after midnight).

    Public times where the call has any; otherwise, unless ``public_only``, working times.
    """
    kept: list[_Call] = []
    times: list[int] = []
    for call in schedule.calls:
        arrival, departure = call.public if public_only or call.public != (None, None) else call.working
        first = arrival if arrival is not None else departure
        last = departure if departure is not None else arrival
        if first is None or last is None:
            continue
        kept.append(call)
        times += [first, last]
    times = _unwrap(times)
    return [(call.tiploc, times[2 * n], times[2 * n + 1], *call.rules) for n, call in enumerate(kept)]


def _unwrap(times: list[int]) -> list[int]:
    """Add a day each time the clock goes back past midnight; never let a time go backwards."""
    previous, offset = 0, 0
    result: list[int] = []
    for seconds in times:
        seconds += offset
        if seconds < previous - MIDNIGHT_DROP_S:
            offset += DAY_S
            seconds += DAY_S
        previous = max(previous, seconds)
        result.append(previous)
    return result


def _removed_dates(schedules: list[_Schedule]) -> dict[int, set[date]]:
    """For each schedule (by position), the dates on which a stronger schedule of its train UID runs."""
    by_uid: dict[str, list[int]] = defaultdict(list)
    for position, schedule in enumerate(schedules):
        by_uid[schedule.uid].append(position)
    removed: dict[int, set[date]] = defaultdict(set)
    for positions in by_uid.values():
        for weak in positions:
            for strong in positions:
                if PRECEDENCE.index(schedules[strong].stp) < PRECEDENCE.index(schedules[weak].stp):
                    removed[weak].update(d for d in schedules[strong].dates() if schedules[weak].runs_on(d))
    return removed


def _places(stations: pd.DataFrame) -> dict[str, tuple[str, float, float]]:
    """TIPLOC -> (name, lon, lat) for stations with a position."""
    missing = [name for name in ("tiploc", "name", "lon", "lat") if name not in stations.columns]
    if missing:
        raise BadInput(f"the stations table has no {', '.join(missing)} column(s)")
    placed = stations.dropna(subset=["tiploc", "lon", "lat"]).drop_duplicates("tiploc")
    return {
        str(row.tiploc).strip(): (str(row.name), float(row.lon), float(row.lat))
        for row in placed[["tiploc", "name", "lon", "lat"]].itertuples(index=False)
    }


class _Tables:
    """The timetable's rows, gathered schedule by schedule."""

    def __init__(self, places: dict[str, tuple[str, float, float]], names: dict[str, str]) -> None:
        self.places, self.names = places, names
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
        self.routes: dict[str, tuple[str, str, str, str, int]] = {}
        self.trip_ids: set[str] = set()

    def name(self, tiploc: str) -> str:
        return self.places[tiploc][0] if tiploc in self.places else self.names.get(tiploc) or tiploc

    def add(self, schedule: _Schedule, calls: list[Call], removed: set[date]) -> None:
        """One schedule's route, trip, calls at placed stations, calendar and removals."""
        origin, destination = calls[0][0], calls[-1][0]
        route_type = ROUTE_TYPES.get(schedule.status, 2)
        route_id = f"{schedule.toc or '?'}:{origin}:{destination}:{route_type}"
        self.routes[route_id] = (
            route_id,
            AGENCIES.get(schedule.toc, schedule.toc or "unknown operator"),
            "",
            f"{self.name(origin)} - {self.name(destination)}",
            route_type,
        )
        trip_id = schedule.trip_id
        while trip_id in self.trip_ids:
            trip_id += "+"
        self.trip_ids.add(trip_id)
        self.rows["trips"].append((trip_id, route_id, trip_id, self.name(destination), "", ""))  # a published trip
        placed = [call for call in calls if call[0] in self.places]
        self.rows["stop_times"] += [
            (trip_id, sequence, f"9100{tiploc}", arrival, departure, pickup, drop_off)
            for sequence, (tiploc, arrival, departure, pickup, drop_off) in enumerate(placed, start=1)
        ]
        self.rows["calendar"].append(
            (trip_id, *(int(flag) for flag in schedule.days), yyyymmdd(schedule.start), yyyymmdd(schedule.end))
        )
        self.rows["calendar_dates"] += [(trip_id, yyyymmdd(day), 2) for day in sorted(removed)]

    def frames(self) -> dict[str, pd.DataFrame]:
        self.rows["routes"] = list(self.routes.values())
        used = sorted({row[2].removeprefix("9100") for row in self.rows["stop_times"]})
        self.rows["stops"] = [(f"9100{tiploc}", *self.places[tiploc], "") for tiploc in used]
        return {
            table: pd.DataFrame(rows, columns=[*COLUMNS[table], *OPTIONAL.get(table, {})])
            for table, rows in self.rows.items()
        }


def read_cif(path: Path, stations: pd.DataFrame, *, public_only: bool = True, note: str | None = None) -> Timetable:
    """An ATOC CIF full extract as a timetable, with short-term-plan precedence applied.

    Parameters
    ----------
    path
        The ``.MCA`` (or ``.CIF``) file.
    stations
        Rail stations with ``tiploc``, ``name``, ``lon`` and ``lat`` (the pack's ``rail_stations``).
        Calls at TIPLOCs without a position are left out; stop ids are NaPTAN's ``9100`` + TIPLOC.
    public_only
        Keep only calls with public times (the default); otherwise also working-timetable calls,
        at their working times (half minutes kept). Passes are never calls.
    note
        Stored as ``provenance["note"]`` (for example, that the file is a sample).

    Raises
    ------
    CifError
        For a malformed record (naming the file and line), a missing HD header or ZZ trailer,
        an update extract, or no schedule calling at two placed stations.
    """
    path = Path(path)
    places = _places(stations)
    header, schedules, names = _parse(path)
    removed = _removed_dates(schedules)
    tables = _Tables(places, names)
    for position, schedule in enumerate(schedules):
        if schedule.stp == "C":
            continue
        calls = _timed_calls(schedule, public_only)
        if sum(call[0] in tables.places for call in calls) < 2:
            continue
        if any(day not in removed[position] for day in schedule.dates()):
            tables.add(schedule, calls, removed[position])
    if not tables.rows["trips"]:
        raise CifError(f"{path}: no train in it calls at two stations of the stations table on any date")
    provenance = {
        "timetable": "cif",
        "source": path.name,
        "valid_from": header.valid_from.isoformat(),
        "valid_to": header.valid_to.isoformat(),
        "modelled": False,
        "extract_date": header.extract_date.isoformat(),
        "schedules": len(schedules),
        "note": note,
    }
    return Timetable(**tables.frames(), provenance=provenance)
