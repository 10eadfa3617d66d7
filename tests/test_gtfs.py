"""GTFS reading, validation and writing on small hand-written feeds (tests/fixtures/gtfs)."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geoaccess.errors import BadInput
from geoaccess.transit.gtfs import GtfsError, read_gtfs, write_gtfs
from geoaccess.transit.timetable import COLUMNS, Timetable

FEED = Path(__file__).parent / "fixtures" / "gtfs" / "two_lines"


@pytest.fixture(scope="module")
def timetable() -> Timetable:
    return read_gtfs(FEED)


def edited(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the two_lines feed with ``old`` (found exactly once) replaced by ``new`` in ``file``."""
    folder = tmp_path / "feed"
    shutil.copytree(FEED, folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {file} exactly once"
    (folder / file).write_text(text.replace(old, new), encoding="utf-8")
    return folder


def problem(folder: Path) -> str:
    with pytest.raises(GtfsError) as caught:
        read_gtfs(folder)
    return str(caught.value)


def seconds(text: str) -> int:
    hours, minutes, secs = map(int, text.split(":"))
    return hours * 3600 + minutes * 60 + secs


def times(timetable: Timetable, trip_id: str) -> list[tuple[str, int, int]]:
    rows = timetable.stop_times[timetable.stop_times["trip_id"] == trip_id]
    return list(zip(rows["stop_id"], rows["arrival_s"], rows["departure_s"], strict=True))


def assert_same_tables(left: Timetable, right: Timetable) -> None:
    for table in COLUMNS:
        pd.testing.assert_frame_equal(getattr(left, table), getattr(right, table), obj=table)


# --- reading -------------------------------------------------------------------------------


def test_reads_every_table_with_model_dtypes(timetable: Timetable) -> None:
    for table, columns in COLUMNS.items():
        frame = getattr(timetable, table)
        given = {"stops": {"parent_station": "string"}}.get(table, {})  # CARP1's station is CAR
        assert list(frame.columns) == [*columns, *given]
        assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == {**columns, **given}
    assert len(timetable.trips) == 4
    assert len(timetable.stop_times) == 11


def test_times_pass_midnight_and_fill_a_missing_half(timetable: Timetable) -> None:
    assert times(timetable, "T0800") == [
        ("CARP1", seconds("08:00:00"), seconds("08:00:00")),
        ("PEN", seconds("08:20:00"), seconds("08:22:00")),
        ("OXN", seconds("08:55:00"), seconds("08:55:00")),
    ]
    assert times(timetable, "T2350")[0] == ("CARP1", seconds("23:50:00"), seconds("23:50:00"))
    assert times(timetable, "T2350")[-1] == ("OXN", seconds("24:35:00"), seconds("24:35:00"))


def test_untimed_stop_interpolated_by_position(timetable: Timetable) -> None:
    # T2350 has no shape_dist_traveled: Penrith is half-way (by stop count) from 23:50 to 24:35.
    assert times(timetable, "T2350")[1] == ("PEN", seconds("24:12:30"), seconds("24:12:30"))


def test_untimed_stop_interpolated_by_distance(timetable: Timetable) -> None:
    # B0900 has distances 0, 30, 50: Maryport is 30/50 of the way from 09:00 to 10:00.
    assert times(timetable, "B0900")[1] == ("MAR", seconds("09:36:00"), seconds("09:36:00"))


def test_stops_and_stations_kept_entrances_dropped(timetable: Timetable) -> None:
    stops = timetable.stops.set_index("stop_id")
    assert "CAR" in stops.index and "CARP1" in stops.index and "CARE" not in stops.index
    assert stops.loc["PEN", ["lon", "lat"]].tolist() == [-2.7586, 54.6619]


def test_routes_carry_agency_names(timetable: Timetable) -> None:
    names = dict(zip(timetable.routes["route_id"], timetable.routes["agency_name"], strict=True))
    assert names == {"R1": "Northern Trains", "B300": "Stagecoach Cumbria"}


def test_single_agency_needs_no_agency_id(tmp_path: Path) -> None:
    folder = edited(tmp_path, "agency.txt", "SC,Stagecoach Cumbria,https://www.stagecoachbus.com,Europe/London\n", "")
    (folder / "agency.txt").write_text(
        "agency_name,agency_url,agency_timezone\nCumbria Transit,https://example.org,Europe/London\n", encoding="utf-8"
    )
    assert set(read_gtfs(folder).routes["agency_name"]) == {"Cumbria Transit"}


def test_frequencies_and_transfers(timetable: Timetable) -> None:
    frequency = timetable.frequencies.iloc[0]
    assert (
        frequency["trip_id"],
        frequency["start_s"],
        frequency["end_s"],
        frequency["headway_s"],
        frequency["exact_times"],
    ) == ("BFREQ", seconds("07:00:00"), seconds("19:00:00"), 3600, 1)
    transfers = timetable.transfers
    assert transfers["min_transfer_time"].iloc[:2].tolist() == [600.0, 600.0]
    assert pd.isna(transfers["min_transfer_time"].iloc[2])


def test_trip_specific_and_in_seat_transfers_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(FEED, folder)
    (folder / "transfers.txt").write_text(
        "from_stop_id,to_stop_id,transfer_type,min_transfer_time,from_trip_id,to_trip_id\n"
        "CAR,CARB,2,600,,\n"
        "OXN,OXN,3,,T0800,T2350\n"
        ",,4,,T0800,T2350\n",
        encoding="utf-8",
    )
    assert read_gtfs(folder).transfers[["from_stop_id", "to_stop_id"]].values.tolist() == [["CAR", "CARB"]]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 26), {"WD"}),  # a Thursday
        (date(2026, 11, 28), {"SAT"}),  # a Saturday
        (date(2026, 12, 25), set()),  # Friday, Christmas Day: WD removed
        (date(2026, 12, 28), {"WD", "SAT"}),  # Monday, bank holiday: SAT added
        (date(2027, 4, 1), set()),  # after the calendar ends
    ],
)
def test_services_on(timetable: Timetable, day: date, expected: set[str]) -> None:
    assert timetable.services_on(day) == expected


def test_provenance_from_feed_info(timetable: Timetable) -> None:
    sha = hashlib.sha256(b"".join((FEED / name).read_bytes() for name in sorted(p.name for p in FEED.iterdir())))
    assert timetable.provenance == {
        "timetable": "gtfs",
        "source": "two_lines",
        "valid_from": "2026-11-01",
        "valid_to": "2027-03-31",
        "modelled": False,
        "publisher": "Test Publisher",
        "sha256": sha.hexdigest(),
    }


def test_provenance_dates_from_calendars_without_feed_info(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(FEED, folder)
    (folder / "feed_info.txt").unlink()
    provenance = read_gtfs(folder, name="northern").provenance
    assert (provenance["source"], provenance["valid_from"], provenance["valid_to"]) == (
        "northern",
        "2026-11-02",
        "2027-03-28",
    )
    assert "publisher" not in provenance


def test_zip_reads_like_the_folder(tmp_path: Path, timetable: Timetable) -> None:
    archive = tmp_path / "two_lines.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in sorted(FEED.iterdir()):
            handle.write(file, file.name)
    zipped = read_gtfs(archive)
    assert_same_tables(zipped, timetable)
    assert zipped.provenance["source"] == "two_lines.zip"
    assert zipped.provenance["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()


def test_zip_of_a_folder(tmp_path: Path, timetable: Timetable) -> None:
    archive = tmp_path / "zipped_folder.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in sorted(FEED.iterdir()):
            handle.write(file, f"two_lines/{file.name}")
    assert_same_tables(read_gtfs(archive), timetable)


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    folder = edited(tmp_path, "stops.txt", "PEN,Penrith", "\nPEN,Penrith")
    assert read_gtfs(folder).stops["stop_id"].tolist() == read_gtfs(FEED).stops["stop_id"].tolist()
    broken = edited(tmp_path / "b", "stops.txt", "PEN,Penrith North Lakes,54.6619", "\nPEN,Penrith,95")
    assert "stops.txt line 6: stop_lat '95'" in problem(broken)


# --- bad input -----------------------------------------------------------------------------

BAD = [
    (
        "stops.txt",
        "CAR,Carlisle,54.8906",
        "CARP1,Carlisle,54.8906",
        "stops.txt line 3: duplicate stop_id 'CARP1' (first on line 2)",
    ),
    ("routes.txt", "B300,SC", "R1,SC", "routes.txt line 3: duplicate route_id 'R1' (first on line 2)"),
    ("routes.txt", "B300,SC", "B300,XX", "routes.txt line 3: unknown agency_id 'XX'"),
    ("routes.txt", "B300,SC", "B300,", "routes.txt line 3: empty agency_id, but agency.txt has 2 agencies"),
    ("trips.txt", "R1,WD,T2350", "R1,WD,T0800", "trips.txt line 3: duplicate trip_id 'T0800'"),
    ("calendar.txt", "SAT,0", "WD,0", "calendar.txt line 3: duplicate service_id 'WD'"),
    ("trips.txt", "B300,SAT", "B301,SAT", "trips.txt line 4: unknown route_id 'B301'"),
    ("trips.txt", "B300,WD", "B300,SUN", "trips.txt line 5: unknown service_id 'SUN'"),
    ("stop_times.txt", "BFREQ,08:00:00", "BFRQ,08:00:00", "stop_times.txt line 12: unknown trip_id 'BFRQ'"),
    ("stop_times.txt", "B0900,,,MAR", "B0900,,,MARY", "stop_times.txt line 9: unknown stop_id 'MARY'"),
    ("stop_times.txt", "08:00:00,CARP1", "08:00:00,CARE", "stop_times.txt line 2: unknown stop_id 'CARE'"),
    ("frequencies.txt", "BFREQ", "BFRX", "frequencies.txt line 2: unknown trip_id 'BFRX'"),
    ("transfers.txt", "CARB,CAR,", "CARB,CARX,", "transfers.txt line 3: unknown to_stop_id 'CARX'"),
    (
        "stop_times.txt",
        "08:20:00,08:22:00",
        "08:20,08:22:00",
        "stop_times.txt line 3: arrival_time '08:20' is not a time H:MM:SS",
    ),
    ("stop_times.txt", "8:55:00", "8:65:00", "stop_times.txt line 4: arrival_time '8:65:00' is not a time"),
    (
        "stop_times.txt",
        "24:35:00,24:35:00",
        "24:35:00,1200000:00:00",
        "stop_times.txt line 7: departure_time '1200000:00:00' is not a time",
    ),
    (
        "stop_times.txt",
        "24:35:00,24:35:00",
        "24:35:00,168:00:00",
        "stop_times.txt line 7: departure_time '168:00:00' is 168 hours or more into its service day",
    ),
    (
        "stop_times.txt",
        "24:35:00,24:35:00",
        "24:35:00,24:35:60",
        "stop_times.txt line 7: departure_time '24:35:60' is not a time",
    ),
    (
        "stop_times.txt",
        "08:20:00,08:22:00",
        "08:20:00,08:12:00",
        "stop_times.txt line 3: departure_time 08:12:00 is before arrival_time 08:20:00",
    ),
    (
        "stop_times.txt",
        "8:55:00",
        "8:15:00",
        "stop_times.txt line 4: trip 'T0800' arrives at 08:15:00, before it leaves the previous timed stop at 08:22:00",
    ),
    ("stop_times.txt", "T2350,,23:50:00", "T2350,,24:50:00", "stop_times.txt line 7: trip 'T2350' arrives at 24:35:00"),
    (
        "stop_times.txt",
        "BFREQ,08:00:00,08:00:00,WKG,2,50\n",
        "",
        "trips.txt line 5: trip 'BFREQ' has 1 stop time(s); a trip needs 2 or more",
    ),
    (
        "stop_times.txt",
        "T2350,24:35:00,24:35:00",
        "T2350,,",
        "stop_times.txt line 7: trip 'T2350' has no time at its last stop",
    ),
    (
        "stop_times.txt",
        "T0800,08:00:00,08:00:00",
        "T0800,,",
        "stop_times.txt line 2: trip 'T0800' has no time at its first stop",
    ),
    (
        "stop_times.txt",
        "T0800,08:20:00,08:22:00,PEN,2",
        "T0800,08:20:00,08:22:00,PEN,1",
        "stop_times.txt line 3: trip 'T0800' repeats stop_sequence 1",
    ),
    (
        "stop_times.txt",
        "08:22:00,PEN,2",
        "08:22:00,PEN,two",
        "stop_times.txt line 3: stop_sequence 'two' is not an integer",
    ),
    (
        "stops.txt",
        "54.6619,-2.7586",
        "94.6619,-2.7586",
        "stops.txt line 5: stop_lat '94.6619' is not a number from -90 to 90",
    ),
    ("stops.txt", "54.6425,-3.5487", "54.6425,", "stops.txt line 9: stop_lon '' is not a number from -180 to 180"),
    ("stops.txt", "-2.9334,1", "-2.9334,7", "stops.txt line 2: location_type '7' is not one of empty, 0, 1, 2, 3, 4"),
    (
        "calendar.txt",
        "0,0,20261102,20270328\nSAT",
        "0,0,20261131,20270328\nSAT",
        "calendar.txt line 2: start_date '20261131' is not a date YYYYMMDD",
    ),
    (
        "calendar.txt",
        "0,0,20261102,20270328\nSAT",
        "0,0,20261102,20260328\nSAT",
        "calendar.txt line 2: end_date 20260328 is before start_date 20261102",
    ),
    ("calendar.txt", "WD,1,1,1,1,1", "WD,1,1,1,1,2", "calendar.txt line 2: friday '2' is not one of 0, 1"),
    ("calendar_dates.txt", "20261225", "2026-12-25", "calendar_dates.txt line 2: date '2026-12-25' is not a date"),
    (
        "calendar_dates.txt",
        "20261225,2",
        "20261225,3",
        "calendar_dates.txt line 2: exception_type '3' is not one of 1, 2",
    ),
    ("frequencies.txt", ",3600,", ",0,", "frequencies.txt line 2: headway_secs '0' is not an integer of at least 1"),
    (
        "frequencies.txt",
        "07:00:00,19:00:00",
        "07:00:00,06:00:00",
        "frequencies.txt line 2: end_time 06:00:00 is not after start_time 07:00:00",
    ),
    ("frequencies.txt", "07:00:00,19:00:00", "7am,19:00:00", "frequencies.txt line 2: start_time '7am' is not a time"),
    (
        "transfers.txt",
        "PEN,PEN,0,",
        "PEN,PEN,7,",
        "transfers.txt line 4: transfer_type '7' is not one of empty, 0, 1, 2, 3, 4, 5",
    ),
    (
        "transfers.txt",
        "CAR,CARB,2,600",
        "CAR,CARB,2,",
        "transfers.txt line 2: transfer_type 2 needs a min_transfer_time",
    ),
    ("transfers.txt", "CAR,CARB,2,600", "CAR,CARB,2,-5", "transfers.txt line 2: min_transfer_time '-5' is not"),
    (
        "transfers.txt",
        "CAR,CARB,2,600",
        "CAR,CARB,2,99999999999999999999",
        "transfers.txt line 2: min_transfer_time '99999999999999999999' is not an integer from 0 to 604800",
    ),
    ("feed_info.txt", ",20261101,", ",2026111,", "feed_info.txt line 2: feed_start_date '2026111' is not a date"),
    ("stops.txt", "stop_lat,stop_lon", "latitude,stop_lon", "stops.txt: missing column(s) stop_lat"),
    (
        "stops.txt",
        "PEN,Penrith North Lakes,54.6619,-2.7586,,",
        "PEN,Penrith North Lakes,54.6619,-2.7586,,,extra",
        "stops.txt: not a readable CSV file",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), BAD, ids=[case[3][:60] for case in BAD])
def test_bad_input_names_file_and_line(tmp_path: Path, file: str, old: str, new: str, expected: str) -> None:
    message = problem(edited(tmp_path, file, old, new))
    assert message.startswith("GTFS feed feed: ")
    assert "nothing loaded" in message
    assert expected in message


@pytest.mark.parametrize("file", ["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt"])
def test_missing_required_file(tmp_path: Path, file: str) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(FEED, folder)
    (folder / file).unlink()
    assert f"missing required file {file}" in problem(folder)


def test_one_calendar_file_is_enough_but_not_none(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(FEED, folder)
    (folder / "calendar.txt").unlink()
    (folder / "calendar_dates.txt").write_text(
        "service_id,date,exception_type\nWD,20261126,1\nSAT,20261128,1\n", encoding="utf-8"
    )
    assert read_gtfs(folder).services_on(date(2026, 11, 26)) == {"WD"}
    (folder / "calendar_dates.txt").unlink()
    assert "missing calendar.txt or calendar_dates.txt" in problem(folder)


def test_many_problems_in_one_message(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(FEED, folder)
    rows = "".join(f"X{n},Stop {n},100,0\n" for n in range(15))
    (folder / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon\n" + rows, encoding="utf-8")
    message = problem(folder)
    assert message.count("; ") >= 10
    assert "stops.txt line 2: stop_lat '100'" in message and "stops.txt line 11:" in message
    assert message.endswith("more")
    assert "line 12" not in message


def test_not_a_feed(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file or folder"):
        read_gtfs(tmp_path / "nowhere.zip")
    bogus = tmp_path / "bogus.zip"
    bogus.write_text("not a zip", encoding="utf-8")
    with pytest.raises(GtfsError, match="bogus.zip: not a zip file"):
        read_gtfs(bogus)


# --- writing -------------------------------------------------------------------------------


def test_write_then_read_gives_equal_tables(tmp_path: Path, timetable: Timetable) -> None:
    write_gtfs(timetable, tmp_path / "out")
    again = read_gtfs(tmp_path / "out")
    assert_same_tables(again, timetable)
    assert (again.provenance["valid_from"], again.provenance["valid_to"]) == ("2026-11-01", "2027-03-31")
    assert again.provenance["publisher"] == "Test Publisher"
    assert "T2350,24:35:00,24:35:00,OXN,3" in (tmp_path / "out" / "stop_times.txt").read_text(encoding="utf-8")


def test_write_skips_empty_optional_tables(tmp_path: Path, timetable: Timetable) -> None:
    out = tmp_path / "out"
    write_gtfs(timetable, out)
    bare = Timetable(
        stops=timetable.stops,
        routes=timetable.routes,
        trips=timetable.trips,
        stop_times=timetable.stop_times,
        calendar=timetable.calendar,
        provenance={"source": "model"},
    )
    write_gtfs(bare, out)
    names = {path.name for path in out.iterdir()}
    assert names == {
        "agency.txt",
        "stops.txt",
        "routes.txt",
        "trips.txt",
        "stop_times.txt",
        "calendar.txt",
        "feed_info.txt",
    }
    assert_same_tables(read_gtfs(out), bare)


def test_write_refuses_a_timetable_without_calendars(tmp_path: Path, timetable: Timetable) -> None:
    bare = Timetable(
        stops=timetable.stops, routes=timetable.routes, trips=timetable.trips, stop_times=timetable.stop_times
    )
    with pytest.raises(GtfsError, match="no calendar or calendar_dates"):
        write_gtfs(bare, tmp_path / "out")
