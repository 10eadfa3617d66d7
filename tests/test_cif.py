"""ATOC CIF reader: a hand-written fixture with known answers, then the real 2020 sample."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geoaccess.errors import BadInput
from geoaccess.transit.cif import CifError, read_cif
from geoaccess.transit.timetable import Timetable

FIXTURE = Path(__file__).parent / "fixtures" / "cif" / "small.cif"
STATIONS = pd.DataFrame(
    {
        "tiploc": ["CARLILE", "DLSTON", "WIGTON", "ASPATRI", "MRYPORT", "WRKNGTN"],
        "crs": ["CAR", "DLS", "WGT", "ASP", "MYP", "WKG"],
        "name": ["Carlisle", "Dalston", "Wigton", "Aspatria", "Maryport", "Workington"],
        "lon": [-2.933, -3.017, -3.161, -3.329, -3.495, -3.558],
        "lat": [54.891, 54.844, 54.823, 54.761, 54.711, 54.645],
    }
)
"""The fixture's stations; Newcastle (NWCSTLE) is left out on purpose: it has no position."""
PERMANENT, OVERLAY, NEW, NIGHT = "C10001P20260105", "C10001O20260112", "C20002N20260111", "C30003P20260105"


def hms(text: str) -> int:
    """``"18:35:30"`` -> seconds (hours may pass 24)."""
    hours, minutes, *seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + (seconds[0] if seconds else 0)


def calls(timetable: Timetable, trip_id: str) -> list[tuple[str, int, int]]:
    frame = timetable.stop_times[timetable.stop_times["trip_id"] == trip_id].sort_values("stop_sequence")
    return [(row.stop_id.removeprefix("9100"), row.arrival_s, row.departure_s) for row in frame.itertuples()]


@pytest.fixture(scope="module")
def small() -> Timetable:
    return read_cif(FIXTURE, STATIONS, note="hand-written fixture")


# --- the fixture ----------------------------------------------------------------------------


def test_one_trip_per_running_schedule_and_none_for_the_cancellation(small):
    assert sorted(small.trips["trip_id"]) == sorted([PERMANENT, OVERLAY, NEW, NIGHT])
    assert small.trips["service_id"].tolist() == small.trips["trip_id"].tolist()
    assert set(small.calendar["service_id"]) == {PERMANENT, OVERLAY, NEW, NIGHT}


def test_stops_are_naptan_rail_codes_for_placed_stations_with_public_calls(small):
    stops = small.stops.set_index("stop_id")
    # Dalston is only passed, Aspatria only a working stop, Newcastle has no position
    assert sorted(stops.index) == ["9100CARLILE", "9100MRYPORT", "9100WIGTON", "9100WRKNGTN"]
    assert stops.loc["9100WIGTON", "stop_name"] == "Wigton"
    assert stops.loc["9100WIGTON", ["lon", "lat"]].tolist() == [-3.161, 54.823]


def test_public_calls_use_public_times(small):
    assert calls(small, PERMANENT) == [
        ("CARLILE", hms("17:55"), hms("18:00")),
        ("WIGTON", hms("18:20"), hms("18:21")),
        ("MRYPORT", hms("18:46"), hms("18:46")),  # take up only: public arrival 0000 means none
        ("WRKNGTN", hms("19:00"), hms("19:00")),
    ]


def test_a_train_past_midnight_keeps_counting_and_a_midnight_public_time_is_real(small):
    assert calls(small, NIGHT) == [
        ("CARLILE", hms("23:40"), hms("23:40")),
        ("WIGTON", hms("24:00"), hms("24:00")),
        ("MRYPORT", hms("24:24"), hms("24:25")),
        ("WRKNGTN", hms("24:40"), hms("24:40")),
    ]
    assert calls(small, NEW)[0] == ("WRKNGTN", 0, 0)  # leaves its origin at 00:00


def test_working_calls_when_asked_with_half_minutes_but_never_passes():
    timetable = read_cif(FIXTURE, STATIONS, public_only=False)
    assert [call[0] for call in calls(timetable, PERMANENT)] == ["CARLILE", "WIGTON", "ASPATRI", "MRYPORT", "WRKNGTN"]
    assert calls(timetable, PERMANENT)[2] == ("ASPATRI", hms("18:35:30"), hms("18:36:30"))
    assert "9100DLSTON" not in set(timetable.stop_times["stop_id"])


def test_routes_name_operator_and_ends_of_the_train(small):
    routes = small.trips.merge(small.routes, on="route_id").set_index("trip_id")
    assert routes.loc[PERMANENT, "agency_name"] == "Northern"
    assert routes.loc[NEW, "agency_name"] == "TransPennine Express"
    assert routes.loc[PERMANENT, "route_long_name"] == "NEWCASTLE - Workington"  # TI name for an unplaced origin
    assert routes.loc[OVERLAY, "route_long_name"] == "Carlisle - Workington"
    assert routes.loc[OVERLAY, "route_id"] == routes.loc[NIGHT, "route_id"]
    assert set(routes["route_type"]) == {2}
    assert routes.loc[NEW, "trip_headsign"] == "Carlisle"


def test_calendar_from_dates_and_days_run(small):
    calendar = small.calendar.set_index("service_id")
    assert calendar.loc[PERMANENT, ["monday", "friday", "saturday", "start_date", "end_date"]].tolist() == [
        1,
        1,
        0,
        20260105,
        20260327,
    ]
    assert calendar.loc[OVERLAY, ["wednesday", "thursday", "friday"]].tolist() == [1, 0, 1]


def test_overlays_and_the_cancellation_remove_the_permanent_schedule_on_their_dates(small):
    removals = small.calendar_dates
    assert set(removals["service_id"]) == {PERMANENT}
    assert set(removals["exception_type"]) == {2}
    assert sorted(removals["date"]) == [20260114, 20260116, 20260121, 20260123, 20260202]


@pytest.mark.parametrize(
    ("day", "running"),
    [
        (date(2026, 1, 13), {PERMANENT, NIGHT}),  # Tuesday: the permanent schedule
        (date(2026, 1, 14), {OVERLAY, NIGHT}),  # Wednesday in the overlay's range: the overlay instead
        (date(2026, 1, 11), {NEW, NIGHT}),  # Sunday: the STP-only train runs as itself
        (date(2026, 2, 2), {NIGHT}),  # Monday with the cancellation
        (date(2026, 2, 9), {PERMANENT, NIGHT}),
    ],
)
def test_services_on_respects_precedence(small, day, running):
    assert small.services_on(day) == running


def test_provenance(small):
    assert small.provenance == {
        "timetable": "cif",
        "source": "small.cif",
        "valid_from": "2026-01-05",
        "valid_to": "2026-03-29",
        "modelled": False,
        "extract_date": "2026-01-02",
        "schedules": 5,
        "note": "hand-written fixture",
    }


def test_saves_and_loads(small, tmp_path):
    small.save(tmp_path / "rail")
    assert Timetable.load(tmp_path / "rail").stop_times.equals(small.stop_times)


# --- errors ---------------------------------------------------------------------------------

LINES = FIXTURE.read_text(encoding="ascii").splitlines()


def number_of(prefix: str) -> int:
    """1-based line number of the first fixture line starting with ``prefix``."""
    return next(n for n, line in enumerate(LINES, start=1) if line.startswith(prefix))


def edited(line_number: int, new: str | None) -> list[str]:
    """The fixture with one line replaced (or removed when ``new`` is None)."""
    lines = list(LINES)
    if new is None:
        del lines[line_number - 1]
    else:
        lines[line_number - 1] = new
    return lines


def replaced(prefix: str, old: str, new: str) -> list[str]:
    line = LINES[number_of(prefix) - 1]
    assert old in line
    return edited(number_of(prefix), line.replace(old, new, 1))


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (edited(number_of("ZZ"), "XX" + " " * 78), number_of("ZZ"), "unknown record type 'XX'"),
        (replaced("BSNC10001", "260327", "261327"), number_of("BSNC10001"), "bad date '261327'"),
        (replaced("LIWIGTON  1820", "1820 1821", "1860 1821"), number_of("LIWIGTON  1820"), "bad time '1860'"),
        (replaced("LIWIGTON  1820", "18201821", "18201x21"), number_of("LIWIGTON  1820"), "bad time '1x21'"),
        (replaced("BSNC10001", "1111100", "1111200"), number_of("BSNC10001"), "bad days run"),
        (replaced("BSNC10001", "S            P", "S            X"), number_of("BSNC10001"), "STP indicator"),
        (edited(1, None), 1, "no HD header"),
        (edited(number_of("LTWRKNGTN 1900"), None), number_of("LTWRKNGTN 1900"), "C10001 (line 4) has no LT"),
        (edited(len(LINES), None), len(LINES) - 1, "no ZZ trailer"),
        (LINES[:1] + ["ZZ"], 2, "no schedules"),
        (replaced("HD", "FA", "UA"), 1, "update extract"),
        ([], 1, "empty file"),
    ],
)
def test_malformed_files_name_the_file_and_line(tmp_path, lines, line, message):
    path = tmp_path / "broken.cif"
    path.write_text("".join(text + "\n" for text in lines), encoding="ascii")
    with pytest.raises(CifError, match=f"broken.cif, line {line}: .*{re.escape(message)}"):
        read_cif(path, STATIONS)


def test_location_record_out_of_place(tmp_path):
    path = tmp_path / "broken.cif"
    lines = list(LINES)
    c_line = number_of("BSNC10001260202")
    lines.insert(c_line, LINES[number_of("LOCARLILE 1810") - 1])  # a location under the cancellation
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    with pytest.raises(CifError, match=f"line {c_line + 1}: LO record out of place"):
        read_cif(path, STATIONS)


def test_missing_file_and_bad_stations(tmp_path):
    with pytest.raises(CifError, match="cannot read"):
        read_cif(tmp_path / "absent.cif", STATIONS)
    with pytest.raises(BadInput, match="lon"):
        read_cif(FIXTURE, STATIONS.drop(columns="lon"))
    with pytest.raises(CifError, match="no train in it calls at two stations"):
        read_cif(FIXTURE, STATIONS.iloc[:1])


# --- the real 2020 sample -------------------------------------------------------------------


@pytest.fixture(scope="module")
def rail_folder(shared_source: Path) -> Path:
    folder = shared_source / "data" / "rail"
    if not (folder / "atoc_cif_ttisf585_2020-03_sample_bbox.mca").is_file():
        pytest.skip(f"the ATOC CIF sample is not in {folder}")
    return folder


@pytest.fixture(scope="module")
def sample(rail_folder: Path) -> tuple[Timetable, pd.DataFrame, pd.DataFrame]:
    """The sample timetable, its schedules CSV and the stations (MSN) it is read with."""
    stations = pd.read_csv(rail_folder / "atoc_msn_2020_stations_bbox.csv")
    timetable = read_cif(rail_folder / "atoc_cif_ttisf585_2020-03_sample_bbox.mca", stations, note="sample")
    schedules = pd.read_csv(rail_folder / "atoc_2020_sample_schedules_bbox.csv", dtype=str)
    return timetable, schedules, stations


def test_sample_schedules_match_the_companion_list(sample):
    timetable, schedules, _ = sample
    assert timetable.provenance["schedules"] == len(schedules) == 381
    assert timetable.provenance["valid_from"] == "2020-03-20"
    assert timetable.provenance["extract_date"] == "2020-03-20"
    # every schedule calling at two or more placed stations is a trip, and nothing else
    expected = schedules[schedules["n_calls_in_bbox"].astype(int) >= 2]
    ids = expected["train_uid"] + expected["stp"] + "20" + expected["date_from"]
    assert sorted(timetable.trips["trip_id"]) == sorted(ids)
    counts = timetable.stop_times.groupby("trip_id").size()
    assert counts[ids].tolist() == expected["n_calls_in_bbox"].astype(int).tolist()
    assert len(timetable.trips) == 338
    assert len(timetable.stops) == 92


def test_sample_operators_and_rail_replacement_buses(sample):
    timetable, schedules, _ = sample
    routes = timetable.trips.merge(timetable.routes, on="route_id")
    uid = routes["trip_id"].str[:6]
    buses = set(schedules.loc[schedules["category"] == "BR", "train_uid"])
    assert set(routes.loc[uid.isin(buses), "route_type"]) == {3}
    assert set(routes.loc[~uid.isin(buses), "route_type"]) == {2}
    assert {"Northern", "TransPennine Express", "Avanti West Coast", "ScotRail"} <= set(routes["agency_name"])


def test_sample_train_matches_its_timetable_and_the_run_times(sample, rail_folder):
    """Y20467, Saturdays 21:46 Barrow-in-Furness to Preston."""
    timetable, _, stations = sample
    train = calls(timetable, "Y20467P20200222")
    assert [call[0] for call in train] == [
        "BAROW",
        "ROOSE",
        "DALTON",
        "ULVRSTN",
        "CARK",
        "KTBK",
        "GOVS",
        "ARNSIDE",
        "SDAL",
        "CRNF",
        "LANCSTR",
        "PRST",
    ]
    assert train[0][2] == hms("21:46") and train[3][1:] == (hms("22:04"), hms("22:04"))
    assert train[-1][1] == hms("23:09")
    run_times = pd.read_csv(rail_folder / "atoc_2020_sample_scheduled_run_times_bbox.csv")
    run_times = run_times.set_index(["from_crs", "to_crs"])
    crs = dict(zip(stations["tiploc"], stations["crs"], strict=True))
    for (here, _, departure), (there, arrival, _) in zip(train, train[1:], strict=False):
        low, high = run_times.loc[(crs[here], crs[there]), ["min_minutes", "max_minutes"]]
        assert low <= (arrival - departure) / 60 <= high, (here, there)


def test_sample_times_increase_and_run_past_midnight(sample):
    stop_times = sample[0].stop_times.sort_values(["trip_id", "stop_sequence"])
    steps = stop_times.groupby("trip_id")["arrival_s"].diff().dropna()
    assert (steps >= 0).all()
    assert (stop_times["departure_s"] >= stop_times["arrival_s"]).all()
    assert stop_times["arrival_s"].max() > 24 * 3600


def test_sample_overlay_replaces_the_permanent_schedule(sample):
    timetable = sample[0]
    # Y57062: permanent Tuesdays to Fridays, overlaid on Friday 20 March 2020
    assert {"Y57062O20200320"} <= timetable.services_on(date(2020, 3, 20))
    assert "Y57062P20200218" not in timetable.services_on(date(2020, 3, 20))
    assert "Y57062P20200218" in timetable.services_on(date(2020, 3, 27))
    assert "Y57062O20200320" not in timetable.services_on(date(2020, 3, 27))


def test_sample_with_the_packs_stations_meets_naptan(pack, rail_folder):
    """Read with the pack's rail stations, stop ids are the stations' NaPTAN codes."""
    timetable = read_cif(rail_folder / "atoc_cif_ttisf585_2020-03_sample_bbox.mca", pack.stations)
    atco = set(pack.stations["atco"].dropna())
    assert set(timetable.stops["stop_id"]) <= atco
    assert len(timetable.trips) == 338
