"""The venue registry: the shipped venues, users' venue files, and bad files refused whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geoaccess.errors import BadInput, VenueFileError
from geoaccess.geocode import locate_point
from geoaccess.venues import (
    KINDS,
    find_venue,
    load_venues,
    read_venue_file,
    venues_geojson,
    write_venue_file,
)
from geoaccess.weekdays import days_written

CSV_HEADER = "id,name,kind,organisation,address,postcode,town,lon,lat,programmes,opening_days\n"


@pytest.fixture(scope="module")
def registry(pack):
    return load_venues(pack=pack)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_registry_is_complete_and_valid(registry, pack):
    ids = [v.id for v in registry]
    assert len(ids) == len(set(ids)) == 22
    assert {v.kind for v in registry} <= set(KINDS)
    for venue in registry:
        locate_point(venue.lon, venue.lat, pack)  # every venue is on land in the area
        assert venue.source, venue.id
        assert venue.position_basis, venue.id


def test_registry_holds_the_inspection_facts(registry):
    towns = {code: {v.town for v in registry if v.offers(code)} for code in ("BBR", "TSP", "NSOGP", "UPW")}
    assert towns["BBR"] == towns["TSP"] == {"Carlisle", "Preston"}
    assert towns["NSOGP"] == {"Carlisle", "Kendal"}
    assert "bendrigg-trust" in {v.id for v in registry if v.offers("UPW")}
    penrith = find_venue(registry, "penrith-clint-mill")
    assert len(penrith.opening_days) == 1
    assert "one day a week" in penrith.opening_note


def test_unsourced_sessions_are_marked_assumed(registry):
    for venue in registry:
        for programme in venue.programmes:
            assert programme.basis == "assumed"
            assert programme.sessions


def test_venues_without_an_address_are_placed_approximately_and_say_how(registry):
    for venue in registry:
        if venue.address is None and venue.postcode is None and venue.kind != "court":
            assert venue.confidence == "approximate", venue.id
        if venue.confidence == "approximate":
            assert venue.position_basis.startswith("approximate:"), venue.id


def test_postcoded_venue_sits_at_its_postcode(registry, pack):
    barrow = find_venue(registry, "barrow-probation-office")
    assert barrow.postcode == "LA14 1RP"
    assert (barrow.lon, barrow.lat) == (-3.229233, 54.112495)
    assert barrow.confidence == "high"


def test_unknown_venue_id_suggests_close_ids(registry):
    with pytest.raises(VenueFileError, match="carlisle-"):
        find_venue(registry, "carlisle-office")


def test_user_csv_adds_and_edits_venues(tmp_path, pack):
    path = write(
        tmp_path,
        "mine.csv",
        CSV_HEADER + "workington-hub,Workington group room,programme_venue,CRC,,CA14 4EW,Workington,,,"
        "BBR: Mon 18:00-20:30; TSP: Wed 10:00-12:30,Mon Wed\n"
        + "penrith-clint-mill,Penrith Probation Office,probation_office,HMPPS,,CA11 7HW,Penrith,,,,"
        "Mon Thu\n",
    )
    merged = load_venues(extra=path, pack=pack)
    hub = find_venue(merged, "workington-hub")
    assert (hub.lon, hub.lat) == (-3.543042, 54.640807)  # CA14 4EW centroid
    assert [p.code for p in hub.programmes] == ["BBR", "TSP"]
    assert hub.programmes[0].sessions[0].label() == "Mon 18:00-20:30"
    assert hub.programmes[0].basis == "user"
    assert find_venue(merged, "penrith-clint-mill").opening_days == ("Mon", "Thu")
    assert len(merged) == 23


def test_geojson_and_csv_round_trip(tmp_path, registry, pack):
    for name in ("venues.geojson", "venues.csv"):
        path = tmp_path / name
        write_venue_file(registry, path)
        again = read_venue_file(path, pack)
        assert [v.id for v in again] == [v.id for v in registry]

        def kept(venues, keep_notes):
            return [
                (
                    v.lon,
                    v.lat,
                    v.opening_days,
                    v.opening_note,
                    v.confidence,
                    v.position_basis,
                    [(p.code, p.sessions, p.basis, p.note if keep_notes else "") for p in v.programmes],
                )
                for v in venues
            ]

        keep_notes = name.endswith(".geojson")
        assert kept(again, keep_notes) == kept(registry, keep_notes)


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("x-1,Name,,Org,,CA3 8DR,Carlisle,,,,", r"row 2 \(id 'x-1'\): missing field\(s\) kind"),
        ("Bad Id,Name,court,Org,,CA3 8DR,Carlisle,,,,", "row 2.*lower-case words"),
        ("x-1,Name,castle,Org,,CA3 8DR,Carlisle,,,,", "row 2.*kind is not one of"),
        ("x-1,Name,court,Org,,,Carlisle,,,,", "row 2.*no position"),
        ("x-1,Name,court,Org,,,Carlisle,-2.9,,,", "row 2.*both lon and lat"),
        ("x-1,Name,court,Org,,,Carlisle,-0.12,51.5,,", "row 2.*outside the pack's area"),
        ("x-1,Name,court,Org,,CA1 1AD,Carlisle,,,,", "row 2.*no longer in use"),
        ("x-1,Name,court,Org,,,Carlisle,-2.9,54.9,XYZ: Mon 10:00-11:00,", "row 2.*a programme code is not one of"),
        ("x-1,Name,court,Org,,,Carlisle,-2.9,54.9,BBR: Mon 10:00,", "row 2.*not 'Day HH:MM-HH:MM'"),
        ("x-1,Name,court,Org,,,Carlisle,-2.9,54.9,BBR: Mon 21:00-20:00,", "row 2.*ends \\(20:00\\) before"),
        ("x-1,Name,court,Org,,,Carlisle,-2.9,54.9,BBR: Mon 25:00-26:00,", "row 2.*not HH:MM"),
        ("x-1,Name,court,Org,,,Carlisle,-2.9,54.9,,Funday", "row 2.*opening_days: day 1 is not a day"),
    ],
)
def test_bad_csv_rows_are_named(tmp_path, pack, row, fragment):
    path = write(tmp_path, "bad.csv", CSV_HEADER + row + "\n")
    with pytest.raises(VenueFileError, match=fragment):
        read_venue_file(path, pack)


def test_duplicate_ids_name_both_rows_and_nothing_loads(tmp_path, pack):
    good = "a-1,Name,court,Org,,CA3 8DR,Carlisle,,,,\n"
    other = "b-2,Other,court,Org,,CA3 8DR,Carlisle,,,,\n"
    path = write(tmp_path, "dup.csv", CSV_HEADER + good + other + good)
    with pytest.raises(VenueFileError, match=r"row 4: duplicate id 'a-1' \(first at row 2\)"):
        read_venue_file(path, pack)
    with pytest.raises(VenueFileError, match="nothing loaded"):
        load_venues(extra=path, pack=pack)


def test_every_problem_in_a_file_is_reported(tmp_path, pack):
    path = write(
        tmp_path,
        "bad.csv",
        CSV_HEADER + "a-1,Name,,Org,,CA3 8DR,Carlisle,,,,\n" + "b-2,Name,court,Org,,,Carlisle,,,,\n",
    )
    with pytest.raises(VenueFileError, match=r"2 problem\(s\).*row 2.*row 3"):
        read_venue_file(path, pack)


def test_missing_csv_column_is_named(tmp_path, pack):
    path = write(tmp_path, "bad.csv", "id,name,town\nx,y,z\n")
    with pytest.raises(VenueFileError, match="missing column\\(s\\) kind"):
        read_venue_file(path, pack)


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("bad.geojson", "{not json", "not valid JSON"),
        ("bad.geojson", '{"type": "Feature"}', "FeatureCollection"),
        ("empty.geojson", '{"type": "FeatureCollection", "features": []}', "no venues"),
        ("bad.txt", "hello", "must be .geojson, .json or .csv"),
    ],
)
def test_unreadable_files(tmp_path, pack, name, text, fragment):
    with pytest.raises(VenueFileError, match=fragment):
        read_venue_file(write(tmp_path, name, text), pack)


def test_geojson_feature_with_a_missing_field_is_named(tmp_path, registry, pack):
    document = venues_geojson(registry[:3])
    del document["features"][1]["properties"]["kind"]
    document["features"][2]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    path = write(tmp_path, "v.geojson", json.dumps(document))
    expected = r"feature 2 \(id '[a-z-]+'\): missing field\(s\) kind.*feature 3"
    with pytest.raises(VenueFileError, match=expected):
        read_venue_file(path, pack)


def test_missing_venue_file(tmp_path, pack):
    with pytest.raises(VenueFileError, match="not found"):
        read_venue_file(tmp_path / "nope.csv", pack)


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ("Monday-Friday", ("Mon", "Tue", "Wed", "Thu", "Fri")),
        ("Mon-Fri", ("Mon", "Tue", "Wed", "Thu", "Fri")),
        ("Sat, mon  wed", ("Mon", "Wed", "Sat")),
        ("Tue–Thu Sun", ("Tue", "Wed", "Thu", "Sun")),
        ("", ()),
    ],
)
def test_opening_days_are_read_as_written_ranges_included(written: str, days: tuple[str, ...]) -> None:
    assert days_written(written) == days


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("Mon Mondayish", "day 2 is not a day"),
        ("Fri-Mon", "day 1 is a range that runs backwards"),
        ("Mon-Wed-Fri", "day 1 is not"),
    ],
)
def test_opening_days_that_are_not_days_are_refused_never_cut_short(written: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        days_written(written)
