"""Read, validate and write GTFS feeds as :class:`~geoaccess.transit.timetable.Timetable`.

:func:`read_gtfs` loads a feed (a .zip or a folder) all or nothing: every problem it
finds is reported in one :class:`GtfsError` naming the file and line (the header is
line 1). Stops with no time between timed stops get times interpolated linearly, by
``shape_dist_traveled`` when the whole trip has non-decreasing distances, otherwise by
their position in the trip. Entrances, generic nodes and boarding areas (location_type
2-4) are left out; stops and stations (0/1) are kept, each stop with its ``parent_station``
(a kept station, or none). ``pickup_type`` and ``drop_off_type`` are kept (1: none there;
0, 2 and 3 are taken as possible). Transfers kept are stop-to-stop
rules of type 0-3; rows naming routes or trips, and in-seat transfers (types 4 and 5),
say nothing the timetable model can hold and are skipped.

:func:`write_gtfs` writes a timetable back out as a GTFS folder.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoaccess import defaults
from geoaccess._io import sha256_of
from geoaccess.bounded_zip import ZipLimits, ZipOverLimit, open_checked
from geoaccess.errors import BadInput
from geoaccess.transit.timetable import Timetable, empty, gtfs_time, optional, to_date
from geoaccess.weekdays import WEEKDAYS

REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
CALENDAR_FILES = ("calendar.txt", "calendar_dates.txt")
OPTIONAL_FILES = ("frequencies.txt", "transfers.txt", "feed_info.txt")
FEED_FILES = (*REQUIRED_FILES, *CALENDAR_FILES, *OPTIONAL_FILES)
"""Every file read_gtfs reads; a feed's SHA-256 is of the zip, or of a folder's feed files in name order."""
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_name",),
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar.txt": ("service_id", *WEEKDAYS, "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "transfers.txt": ("from_stop_id", "to_stop_id", "transfer_type"),
    "feed_info.txt": (),
}
"""The columns read_gtfs needs in each file; other optional columns default to empty."""
OPTIONAL_COLUMNS = (
    "agency_id",
    "stop_name",
    "location_type",
    "parent_station",
    "pickup_type",
    "drop_off_type",
    "route_short_name",
    "route_long_name",
    "trip_headsign",
    "shape_dist_traveled",
    "timepoint",
    "exact_times",
    "min_transfer_time",
    "from_route_id",
    "to_route_id",
    "from_trip_id",
    "to_trip_id",
    "feed_publisher_name",
    "feed_start_date",
    "feed_end_date",
)
SHOWN = 10
"""How many problems one error message lists."""
PLACEHOLDER_URL = "https://geoaccess.invalid/"
"""GTFS requires agency and publisher URLs; write_gtfs knows none, so it writes this reserved address."""

Feed = dict[str, pd.DataFrame]


class GtfsError(BadInput):
    """A GTFS feed is missing, unreadable or invalid."""


class _Problems:
    """What is wrong with a feed: the first :data:`SHOWN` messages and a count of all."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []
        self.count = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.messages) < SHOWN:
            self.messages.append(message)

    def rows(self, file: str, frame: pd.DataFrame, mask: pd.Series, describe: Callable[[pd.Series], str]) -> None:
        """A problem for each row of ``frame`` (indexed by line number) where ``mask`` holds."""
        bad = frame[mask.to_numpy(dtype=bool)]
        shown = bad.head(max(SHOWN - len(self.messages), 0))
        self.messages.extend(f"{file} line {line}: {describe(row)}" for line, row in shown.iterrows())
        self.count += len(bad)

    def raise_any(self) -> None:
        if self.count:
            more = f"; and {self.count - len(self.messages)} more" if self.count > len(self.messages) else ""
            raise GtfsError(
                f"GTFS feed {self.source}: {self.count} problem(s), nothing loaded: {'; '.join(self.messages)}{more}"
            )


# --- reading -------------------------------------------------------------------------------


def read_gtfs(path: Path | str, *, name: str | None = None) -> Timetable:
    """The timetable in a GTFS feed (a .zip or a folder), validated; raises :class:`GtfsError`.

    ``name`` labels the feed in provenance and messages (default: the file or folder name).
    """
    path = Path(path)
    source = name or path.name
    raw, sha256 = _read_files(path, source)
    problems = _Problems(source)
    feed = _check_structure(raw, problems)
    problems.raise_any()
    timetable, info = _convert(feed, problems)
    timetable.provenance = _provenance(timetable, info, source, sha256)
    return timetable


def _read_files(path: Path, source: str) -> tuple[dict[str, bytes], str]:
    """The feed's .txt files as bytes by name, and the SHA-256 of the zip or of the files in name order."""
    if path.is_dir():
        raw = _read_folder(path, FEED_FILES, source)
        return raw, hashlib.sha256(b"".join(raw[n] for n in sorted(raw))).hexdigest()
    if not path.is_file():
        raise GtfsError(f"GTFS feed {source}: no such file or folder")
    return _read_zip(path, FEED_FILES, source), sha256_of(path)


# Limits (geoaccess.defaults), looked up when a feed is read: a hostile or damaged feed is refused in one
# line naming the feed and the limit, before the parts over it are read (never quoting its content).


def _refused(source: str, what: str) -> GtfsError:
    return GtfsError(f"GTFS feed {source} is refused: {what}; nothing has been loaded from it")


def _over(limit: int, setting: str, unit: str = "bytes") -> str:
    return f"more than the limit of {limit:,} {unit} ({setting})"


def _read_folder(path: Path, names: tuple[str, ...], source: str) -> dict[str, bytes]:
    """The folder's feed files, refused if together they hold more than the unpacked-size limit."""
    limit = defaults.GTFS_MAX_UNCOMPRESSED_BYTES
    refusal = _refused(source, f"its files hold {_over(limit, 'GTFS_MAX_UNCOMPRESSED_BYTES')}")
    sizes = {n: (path / n).stat().st_size for n in names if (path / n).is_file()}
    if sum(sizes.values()) > limit:
        raise refusal
    raw, total = {}, 0
    for name, size in sizes.items():
        with (path / name).open("rb") as handle:
            raw[name] = handle.read(size + 1)
        total += len(raw[name])
        if total > limit:  # grew since its size was checked
            raise refusal
    return raw


def _read_zip(path: Path, names: tuple[str, ...], source: str) -> dict[str, bytes]:
    """The zip's feed files (at the top, or in one folder), read only once its whole directory is within limits."""
    size_limit = defaults.GTFS_MAX_ZIP_BYTES
    if path.stat().st_size > size_limit:
        raise _refused(source, f"the zip file holds {_over(size_limit, 'GTFS_MAX_ZIP_BYTES')}")
    limits = ZipLimits(
        members=defaults.GTFS_MAX_MEMBERS,
        unpacked_bytes=defaults.GTFS_MAX_UNCOMPRESSED_BYTES,
        ratio=defaults.GTFS_MAX_RATIO,
    )
    try:
        with open_checked(path, limits) as archive:  # zipfile never unpacks more than a member's checked size
            by_depth = sorted(archive.infolist(), key=lambda member: -member.filename.count("/"))
            members = {member.filename.rsplit("/", 1)[-1]: member for member in by_depth}
            return {n: archive.read(members[n]) for n in names if n in members}
    except ZipOverLimit as over:
        raise _refused(source, _zip_refusal(over, limits)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise GtfsError(f"GTFS feed {source}: not a zip file or a folder") from exc


def _zip_refusal(over: ZipOverLimit, limits: ZipLimits) -> str:
    unpacked = _over(limits.unpacked_bytes, "GTFS_MAX_UNCOMPRESSED_BYTES")
    return {
        "members": f"the zip lists {_over(limits.members, 'GTFS_MAX_MEMBERS', 'members')}",
        "member": f"a member of the zip unpacks to {unpacked}",
        "total": f"the zip's members unpack to {unpacked} together",
        "ratio": f"a member of the zip is compressed more than the limit of {limits.ratio}:1 (GTFS_MAX_RATIO)",
    }[over.limit]


def _check_header(file: str, content: bytes, source: str) -> None:
    """Refuse a file whose header line is longer, or names more columns, than the limits."""
    limit = defaults.GTFS_MAX_HEADER_BYTES
    end = content.find(b"\n", 0, limit + 1)
    if end < 0:
        if len(content) > limit:
            raise _refused(
                source, f"{file}'s header line is longer than the limit of {limit:,} bytes (GTFS_MAX_HEADER_BYTES)"
            )
        end = len(content)
    most = defaults.GTFS_MAX_COLUMNS
    if content.count(b",", 0, end) + 1 > most:
        raise _refused(source, f"{file}'s header names {_over(most, 'GTFS_MAX_COLUMNS', 'columns')}")


def _check_structure(raw: dict[str, bytes], problems: _Problems) -> Feed:
    """Each file as a frame of stripped text indexed by line number; missing files and columns are problems."""
    for missing in (n for n in REQUIRED_FILES if n not in raw):
        problems.add(f"missing required file {missing}")
    if not any(n in raw for n in CALENDAR_FILES):
        problems.add("missing calendar.txt or calendar_dates.txt (at least one is required)")
    feed = {}
    for file, content in raw.items():
        _check_header(file, content, problems.source)
        frame = _parse_csv(file, content, problems)
        if frame is None:
            continue
        absent = [c for c in REQUIRED_COLUMNS[file] if c not in frame.columns]
        if absent:
            problems.add(f"{file}: missing column(s) {', '.join(absent)}")
        feed[file] = frame
    return feed


def _parse_csv(file: str, content: bytes, problems: _Problems) -> pd.DataFrame | None:
    """One GTFS file as text, blank lines dropped, index = line number; ``None`` (and a problem) if unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(content),
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                skip_blank_lines=False,
                index_col=False,
            )
    except pd.errors.EmptyDataError:
        problems.add(f"{file}: empty file (no header line)")
        return None
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as exc:
        problems.add(f"{file}: not a readable CSV file ({str(exc).strip()})")
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.fillna("").apply(lambda column: column.str.strip())
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    for column in OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    return frame[(frame != "").any(axis=1)]


def _convert(feed: Feed, problems: _Problems) -> tuple[Timetable, dict[str, Any]]:
    """The validated timetable and feed_info's facts, or a :class:`GtfsError` listing every problem."""
    stops = _stops(feed["stops.txt"], problems)
    routes = _routes(feed["routes.txt"], feed["agency.txt"], problems)
    calendar = _calendar(feed.get("calendar.txt"), problems)
    calendar_dates = _calendar_dates(feed.get("calendar_dates.txt"), problems)
    services = set(calendar["service_id"]) | set(calendar_dates["service_id"])
    trips = _trips(feed["trips.txt"], set(routes["route_id"]), services, problems)
    stop_times = _stop_times(feed["stop_times.txt"], set(trips["trip_id"]), set(stops["stop_id"]), problems)
    frequencies = _frequencies(feed.get("frequencies.txt"), set(trips["trip_id"]), problems)
    transfers = _transfers(feed.get("transfers.txt"), set(stops["stop_id"]), problems)
    info = _feed_info(feed.get("feed_info.txt"), problems)
    problems.raise_any()
    _check_trips(feed["trips.txt"], stop_times, problems)
    problems.raise_any()
    timetable = Timetable(
        stops=stops,
        routes=routes,
        trips=trips,
        stop_times=_interpolate(stop_times),
        calendar=calendar,
        calendar_dates=calendar_dates,
        frequencies=frequencies,
        transfers=transfers,
    )
    return timetable, info


# --- field checks --------------------------------------------------------------------------


def _ids(file: str, frame: pd.DataFrame, column: str, problems: _Problems) -> None:
    """Every ``column`` value present and unique."""
    problems.rows(file, frame, frame[column] == "", lambda row: f"empty {column}")
    repeated = frame[column].duplicated() & (frame[column] != "")
    first = pd.Series(frame.index, index=frame.index).groupby(frame[column]).transform("first")
    problems.rows(
        file, frame, repeated, lambda row: f"duplicate {column} {row[column]!r} (first on line {first[row.name]})"
    )


def _known(file: str, frame: pd.DataFrame, column: str, known: set[str], problems: _Problems) -> None:
    """Every ``column`` value one of ``known``."""
    problems.rows(file, frame, ~frame[column].isin(known), lambda row: f"unknown {column} {row[column]!r}")


def _choice(file: str, frame: pd.DataFrame, column: str, allowed: tuple[str, ...], problems: _Problems) -> None:
    """Every ``column`` value one of ``allowed`` (``""`` allowed only if listed)."""
    words = ", ".join(a or "empty" for a in allowed)
    problems.rows(
        file, frame, ~frame[column].isin(allowed), lambda row: f"{column} {row[column]!r} is not one of {words}"
    )


def _numbers(
    file: str,
    frame: pd.DataFrame,
    column: str,
    problems: _Problems,
    *,
    low: float,
    high: float = np.inf,
    integer: bool = False,
    required: bool = True,
) -> pd.Series:
    """``column`` as floats in ``[low, high]`` (NaN where empty and not required); others are problems."""
    text = frame[column]
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
    bad = values.isna() | (values < low) | (values > high)
    if integer:
        bad |= ~text.str.fullmatch(r"-?\d+")
    if not required:
        bad &= text != ""
    kind = "an integer" if integer else "a number"
    limits = f"from {low:g} to {high:g}" if np.isfinite(high) else f"of at least {low:g}"
    problems.rows(file, frame, bad, lambda row: f"{column} {row[column]!r} is not {kind} {limits}")
    return values.where(~bad)


LAST_HOUR = 168
"""Times must be less than a week into their service day (GTFS lets hours pass 24 for trips after midnight)."""


def _times(file: str, frame: pd.DataFrame, column: str, problems: _Problems, *, required: bool) -> pd.Series:
    """``column``'s ``H:MM:SS`` times (hours may pass 24, up to :data:`LAST_HOUR`) as seconds, NaN where empty;
    malformed or later ones are problems."""
    text = frame[column]
    valid = text.str.fullmatch(r"\d{1,6}:[0-5]\d:[0-5]\d")
    bad = ~valid & (text != "") if not required else ~valid
    problems.rows(
        file, frame, bad, lambda row: f"{column} {row[column]!r} is not a time H:MM:SS (minutes and seconds below 60)"
    )
    good = text.where(valid)
    parts = [good.str.slice(*span).astype(float) for span in ((None, -6), (-5, -3), (-2, None))]
    late = parts[0] >= LAST_HOUR
    problems.rows(
        file, frame, late, lambda row: f"{column} {row[column]!r} is {LAST_HOUR} hours or more into its service day"
    )
    seconds: pd.Series = (parts[0] * 3600 + parts[1] * 60 + parts[2]).where(~late)
    return seconds


def _dates(file: str, frame: pd.DataFrame, column: str, problems: _Problems, *, required: bool = True) -> pd.Series:
    """``column``'s ``YYYYMMDD`` dates as numbers, NaN where empty; invalid ones are problems."""
    text = frame[column]
    parsed = pd.to_datetime(text.where(text.str.fullmatch(r"\d{8}")), format="%Y%m%d", errors="coerce")
    bad = parsed.isna()
    if not required:
        bad &= text != ""
    problems.rows(file, frame, bad, lambda row: f"{column} {row[column]!r} is not a date YYYYMMDD")
    return pd.to_numeric(text.where(~bad & (text != "")), errors="coerce").astype(float)


# --- tables --------------------------------------------------------------------------------


def _stops(frame: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """Stops and stations (location_type 0/1) with valid coordinates."""
    file = "stops.txt"
    _ids(file, frame, "stop_id", problems)
    _choice(file, frame, "location_type", ("", "0", "1", "2", "3", "4"), problems)
    kept = frame[~frame["location_type"].isin(("2", "3", "4"))]
    stations = set(kept.loc[kept["location_type"] == "1", "stop_id"])
    return pd.DataFrame(
        {
            "stop_id": kept["stop_id"],
            "stop_name": kept["stop_name"],
            "lon": _numbers(file, kept, "stop_lon", problems, low=-180, high=180),
            "lat": _numbers(file, kept, "stop_lat", problems, low=-90, high=90),
            "parent_station": kept["parent_station"].where(kept["parent_station"].isin(stations), ""),
        }
    )


def _routes(frame: pd.DataFrame, agency: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """Routes with their agency's name."""
    file = "routes.txt"
    _ids(file, frame, "route_id", problems)
    route_type = _numbers(file, frame, "route_type", problems, low=0, integer=True)
    if len(agency) > 1:
        _ids("agency.txt", agency, "agency_id", problems)
    agency_name = frame["agency_id"].map(dict(zip(agency["agency_id"], agency["agency_name"], strict=True)))
    if len(agency) == 1:  # a single agency may leave agency_id out, here or in routes.txt
        fallback = (frame["agency_id"] == "") | (agency["agency_id"].iloc[0] == "")
        agency_name = agency_name.mask(fallback, agency["agency_name"].iloc[0])
    problems.rows(
        file,
        frame,
        agency_name.isna() & (frame["agency_id"] != ""),
        lambda row: f"unknown agency_id {row['agency_id']!r}",
    )
    problems.rows(
        file,
        frame,
        agency_name.isna() & (frame["agency_id"] == ""),
        lambda row: f"empty agency_id, but agency.txt has {len(agency)} agencies",
    )
    return pd.DataFrame(
        {
            "route_id": frame["route_id"],
            "agency_name": agency_name,
            "route_short_name": frame["route_short_name"],
            "route_long_name": frame["route_long_name"],
            "route_type": route_type,
        }
    )


def _calendar(frame: pd.DataFrame | None, problems: _Problems) -> pd.DataFrame:
    """Weekly service patterns between two dates."""
    if frame is None:
        return empty("calendar")
    file = "calendar.txt"
    _ids(file, frame, "service_id", problems)
    for day in WEEKDAYS:
        _choice(file, frame, day, ("0", "1"), problems)
    start = _dates(file, frame, "start_date", problems)
    end = _dates(file, frame, "end_date", problems)
    problems.rows(
        file, frame, end < start, lambda row: f"end_date {row['end_date']} is before start_date {row['start_date']}"
    )
    flags = {day: pd.to_numeric(frame[day], errors="coerce") for day in WEEKDAYS}
    return pd.DataFrame({"service_id": frame["service_id"], **flags, "start_date": start, "end_date": end})


def _calendar_dates(frame: pd.DataFrame | None, problems: _Problems) -> pd.DataFrame:
    """Dates a service is added (exception_type 1) or removed (2)."""
    if frame is None:
        return empty("calendar_dates")
    file = "calendar_dates.txt"
    problems.rows(file, frame, frame["service_id"] == "", lambda row: "empty service_id")
    dates = _dates(file, frame, "date", problems)
    _choice(file, frame, "exception_type", ("1", "2"), problems)
    problems.rows(
        file,
        frame,
        frame.duplicated(["service_id", "date"]),
        lambda row: f"service_id {row['service_id']!r} has date {row['date']} twice",
    )
    return pd.DataFrame(
        {
            "service_id": frame["service_id"],
            "date": dates,
            "exception_type": pd.to_numeric(frame["exception_type"], errors="coerce"),
        }
    )


def _trips(frame: pd.DataFrame, routes: set[str], services: set[str], problems: _Problems) -> pd.DataFrame:
    """Trips with known routes and services."""
    file = "trips.txt"
    _ids(file, frame, "trip_id", problems)
    _known(file, frame, "route_id", routes, problems)
    _known(file, frame, "service_id", services, problems)
    return frame[["trip_id", "route_id", "service_id", "trip_headsign"]]


def _stop_times(frame: pd.DataFrame, trips: set[str], stops: set[str], problems: _Problems) -> pd.DataFrame:
    """Stop times in trip and stop_sequence order, indexed by line; a time given only once serves as both."""
    file = "stop_times.txt"
    _known(file, frame, "trip_id", trips, problems)
    problems.rows(
        file,
        frame,
        ~frame["stop_id"].isin(stops),
        lambda row: f"unknown stop_id {row['stop_id']!r} (not a stop or station in stops.txt)",
    )
    sequence = _numbers(file, frame, "stop_sequence", problems, low=0, integer=True)
    arrival = _times(file, frame, "arrival_time", problems, required=False)
    departure = _times(file, frame, "departure_time", problems, required=False)
    problems.rows(
        file,
        frame,
        departure < arrival,
        lambda row: f"departure_time {row['departure_time']} is before arrival_time {row['arrival_time']}",
    )
    arrival, departure = arrival.fillna(departure), departure.fillna(arrival)
    for column in ("pickup_type", "drop_off_type"):
        _choice(file, frame, column, ("", "0", "1", "2", "3"), problems)
    problems.rows(
        file,
        frame,
        (frame["timepoint"] == "1") & arrival.isna(),
        lambda row: "timepoint 1 needs an arrival_time or departure_time",
    )
    distance = pd.to_numeric(frame["shape_dist_traveled"].where(frame["shape_dist_traveled"] != ""), errors="coerce")
    result = pd.DataFrame(
        {
            "trip_id": frame["trip_id"],
            "stop_sequence": sequence,
            "stop_id": frame["stop_id"],
            "arrival_s": arrival,
            "departure_s": departure,
            "pickup_type": (frame["pickup_type"] == "1").astype(int),
            "drop_off_type": (frame["drop_off_type"] == "1").astype(int),
            "distance": distance.astype(float),
        }
    )
    return result.sort_values(["trip_id", "stop_sequence"], kind="stable")


def _check_trips(trips: pd.DataFrame, stop_times: pd.DataFrame, problems: _Problems) -> None:
    """Each trip has at least two stop times, unique sequence numbers, timed ends and times that never go back."""
    file = "stop_times.txt"
    counts = trips["trip_id"].map(stop_times["trip_id"].value_counts()).fillna(0).astype(int)
    problems.rows(
        "trips.txt",
        trips,
        counts < 2,
        lambda row: f"trip {row['trip_id']!r} has {counts[row.name]} stop time(s); a trip needs 2 or more",
    )
    problems.rows(
        file,
        stop_times,
        stop_times.duplicated(["trip_id", "stop_sequence"]),
        lambda row: f"trip {row['trip_id']!r} repeats stop_sequence {row['stop_sequence']:.0f}",
    )
    trip = stop_times["trip_id"]
    untimed = stop_times["arrival_s"].isna()
    problems.rows(
        file,
        stop_times,
        ~trip.duplicated() & untimed,
        lambda row: f"trip {row['trip_id']!r} has no time at its first stop",
    )
    problems.rows(
        file,
        stop_times,
        ~trip.duplicated(keep="last") & untimed,
        lambda row: f"trip {row['trip_id']!r} has no time at its last stop",
    )
    timed = stop_times[stop_times["arrival_s"].notna()]
    previous = timed.groupby("trip_id")["departure_s"].shift()
    problems.rows(
        file,
        timed,
        timed["arrival_s"] < previous,
        lambda row: (
            f"trip {row['trip_id']!r} arrives at {gtfs_time(row['arrival_s'])}, before it leaves "
            f"the previous timed stop at {gtfs_time(previous[row.name])}"
        ),
    )


def _interpolate(stop_times: pd.DataFrame) -> pd.DataFrame:
    """Times for untimed stops, linear between the timed stops either side by distance or position."""
    untimed = stop_times["arrival_s"].isna()
    if not untimed.any():
        return stop_times
    trip = stop_times["trip_id"]
    distance = stop_times["distance"]
    by_distance = distance.notna().groupby(trip).transform("all") & (
        distance.groupby(trip).diff().fillna(0) >= 0
    ).groupby(trip).transform("all")
    x = distance.where(by_distance, stop_times.groupby("trip_id").cumcount().astype(float))
    x_timed = x.where(~untimed)
    x0, x1 = x_timed.groupby(trip).ffill(), x_timed.groupby(trip).bfill()
    t0 = stop_times["departure_s"].groupby(trip).ffill()
    t1 = stop_times["arrival_s"].groupby(trip).bfill()
    share = ((x - x0) / (x1 - x0)).where(x1 > x0, 0.0)
    guess = (t0 + (t1 - t0) * share).round()
    return stop_times.assign(
        arrival_s=stop_times["arrival_s"].fillna(guess), departure_s=stop_times["departure_s"].fillna(guess)
    )


def _frequencies(frame: pd.DataFrame | None, trips: set[str], problems: _Problems) -> pd.DataFrame:
    """Headway-based service periods of template trips."""
    if frame is None:
        return empty("frequencies")
    file = "frequencies.txt"
    _known(file, frame, "trip_id", trips, problems)
    start = _times(file, frame, "start_time", problems, required=True)
    end = _times(file, frame, "end_time", problems, required=True)
    problems.rows(
        file, frame, end <= start, lambda row: f"end_time {row['end_time']} is not after start_time {row['start_time']}"
    )
    headway = _numbers(file, frame, "headway_secs", problems, low=1, integer=True)
    _choice(file, frame, "exact_times", ("", "0", "1"), problems)
    return pd.DataFrame(
        {
            "trip_id": frame["trip_id"],
            "start_s": start,
            "end_s": end,
            "headway_s": headway,
            "exact_times": (frame["exact_times"] == "1").astype(int),
        }
    )


def _transfers(frame: pd.DataFrame | None, stops: set[str], problems: _Problems) -> pd.DataFrame:
    """Stop-to-stop transfer rules (types 0-3); route-, trip- and in-seat rules are skipped."""
    if frame is None:
        return empty("transfers")
    file = "transfers.txt"
    _choice(file, frame, "transfer_type", ("", "0", "1", "2", "3", "4", "5"), problems)
    specific = frame[["from_route_id", "to_route_id", "from_trip_id", "to_trip_id"]].ne("").any(axis=1)
    frame = frame[~specific & ~frame["transfer_type"].isin(("4", "5"))]
    _known(file, frame, "from_stop_id", stops, problems)
    _known(file, frame, "to_stop_id", stops, problems)
    minimum = _numbers(
        file, frame, "min_transfer_time", problems, low=0, high=LAST_HOUR * 3600, integer=True, required=False
    )
    problems.rows(
        file,
        frame,
        (frame["transfer_type"] == "2") & (frame["min_transfer_time"] == ""),
        lambda row: "transfer_type 2 needs a min_transfer_time",
    )
    return pd.DataFrame(
        {
            "from_stop_id": frame["from_stop_id"],
            "to_stop_id": frame["to_stop_id"],
            "transfer_type": pd.to_numeric(frame["transfer_type"].replace("", "0"), errors="coerce"),
            "min_transfer_time": minimum,
        }
    )


def _feed_info(frame: pd.DataFrame | None, problems: _Problems) -> dict[str, Any]:
    """Publisher and validity dates (``YYYYMMDD`` numbers) from feed_info.txt, where given."""
    if frame is None or frame.empty:
        return {}
    first = frame.iloc[:1]
    info = {"publisher": first["feed_publisher_name"].iloc[0] or None}
    for key, column in (("valid_from", "feed_start_date"), ("valid_to", "feed_end_date")):
        value = _dates("feed_info.txt", first, column, problems, required=False).iloc[0]
        info[key] = None if np.isnan(value) else int(value)
    return info


def _provenance(timetable: Timetable, info: dict[str, Any], source: str, sha256: str) -> dict[str, Any]:
    """Where the timetable came from and the dates it covers."""
    dates = pd.concat(
        [timetable.calendar["start_date"], timetable.calendar["end_date"], timetable.calendar_dates["date"]]
    )
    valid_from = info.get("valid_from") or (int(dates.min()) if len(dates) else None)
    valid_to = info.get("valid_to") or (int(dates.max()) if len(dates) else None)
    provenance = {
        "timetable": "gtfs",
        "source": source,
        "valid_from": to_date(valid_from).isoformat() if valid_from else None,
        "valid_to": to_date(valid_to).isoformat() if valid_to else None,
        "modelled": False,
        "sha256": sha256,
    }
    if info.get("publisher"):
        provenance["publisher"] = info["publisher"]
    return provenance


# --- writing -------------------------------------------------------------------------------


def write_gtfs(timetable: Timetable, folder: Path) -> None:
    """Write ``timetable`` as a GTFS folder (read_gtfs reads it back to equal tables).

    Optional files are written only when their table has rows; an optional file left in
    ``folder`` from an earlier export is removed so that it cannot mix with this one.
    """
    if timetable.calendar.empty and timetable.calendar_dates.empty:
        raise GtfsError("cannot write GTFS: the timetable has no calendar or calendar_dates")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for file, frame in _gtfs_tables(timetable).items():
        if frame is None:
            (folder / file).unlink(missing_ok=True)
        else:
            frame.to_csv(folder / file, index=False)


def _gtfs_tables(timetable: Timetable) -> dict[str, pd.DataFrame | None]:
    """Each GTFS file's rows (``None`` for an optional file with none)."""
    agencies = timetable.routes["agency_name"].drop_duplicates().reset_index(drop=True)
    agency_ids = {name: f"A{number}" for number, name in enumerate(agencies, start=1)}
    stops, routes, stop_times = timetable.stops, timetable.routes, timetable.stop_times
    frequencies, transfers = timetable.frequencies, timetable.transfers
    tables: dict[str, pd.DataFrame] = {
        "agency.txt": pd.DataFrame(
            {
                "agency_id": agencies.map(agency_ids),
                "agency_name": agencies,
                "agency_url": PLACEHOLDER_URL,
                "agency_timezone": "Europe/London",
            }
        ),
        "stops.txt": pd.DataFrame(
            {
                "stop_id": stops["stop_id"],
                "stop_name": stops["stop_name"],
                "stop_lat": stops["lat"],
                "stop_lon": stops["lon"],
                "location_type": stops["stop_id"].isin(set(optional(stops, "stops", "parent_station"))).astype(int),
                "parent_station": optional(stops, "stops", "parent_station"),
            }
        ),
        "routes.txt": routes.drop(columns="agency_name").assign(agency_id=routes["agency_name"].map(agency_ids)),
        "trips.txt": timetable.trips,
        "stop_times.txt": pd.DataFrame(
            {
                "trip_id": stop_times["trip_id"],
                "arrival_time": stop_times["arrival_s"].map(gtfs_time),
                "departure_time": stop_times["departure_s"].map(gtfs_time),
                "stop_id": stop_times["stop_id"],
                "stop_sequence": stop_times["stop_sequence"],
                "pickup_type": optional(stop_times, "stop_times", "pickup_type"),
                "drop_off_type": optional(stop_times, "stop_times", "drop_off_type"),
            }
        ),
        "calendar.txt": timetable.calendar,
        "calendar_dates.txt": timetable.calendar_dates,
        "frequencies.txt": pd.DataFrame(
            {
                "trip_id": frequencies["trip_id"],
                "start_time": frequencies["start_s"].map(gtfs_time),
                "end_time": frequencies["end_s"].map(gtfs_time),
                "headway_secs": frequencies["headway_s"],
                "exact_times": frequencies["exact_times"],
            }
        ),
        "transfers.txt": transfers.assign(min_transfer_time=transfers["min_transfer_time"].round().astype("Int64")),
        "feed_info.txt": _feed_info_table(timetable.provenance),
    }
    skippable = (*CALENDAR_FILES, *OPTIONAL_FILES)
    return {file: None if file in skippable and frame.empty else frame for file, frame in tables.items()}


def _feed_info_table(provenance: dict[str, Any]) -> pd.DataFrame:
    """feed_info.txt's one row from a timetable's provenance."""
    row = {
        "feed_publisher_name": provenance.get("publisher") or "geoaccess",
        "feed_publisher_url": PLACEHOLDER_URL,
        "feed_lang": "en",
        "feed_version": provenance.get("source") or "",
    }
    for column, key in (("feed_start_date", "valid_from"), ("feed_end_date", "valid_to")):
        row[column] = (provenance.get(key) or "").replace("-", "")
    return pd.DataFrame([row])
