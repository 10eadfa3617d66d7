"""``geoaccess journey --mode transit`` and ``geoaccess roundtrip`` on a real GTFS feed from the tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoaccess.cli.main import main
from geoaccess.errors import EXIT_BAD_INPUT, EXIT_NO_ROUTE

FEED = str(Path(__file__).parent / "fixtures" / "gtfs" / "two_lines")
TRANSIT_JOURNEY = ("journey", "--from", "CA1 1QS", "--to", "CA11 7HW", "--mode", "transit")
ROUNDTRIP = ("roundtrip", "--from", "CA1 1QS")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_transit_journey_json():
    result = run(
        "journey",
        "--from",
        "CA1 1QS",
        "--to",
        "penrith-clint-mill",
        "--mode",
        "transit",
        "--day",
        "thu",
        "--depart-at",
        "07:40",
        "--gtfs",
        FEED,
        "--json",
    )
    assert result.exit_code == 0, result.output
    journey = json.loads(result.stdout)
    assert {"depart", "arrive", "minutes", "changes", "legs", "provenance"} <= set(journey)
    assert [leg["mode"] for leg in journey["legs"]] == ["walk", "train", "walk"]
    assert journey["legs"][1]["depart"] == "08:00" and journey["legs"][1]["operator"]
    provenance = journey["provenance"]
    assert provenance["timetable"]["timetable"] == "gtfs" and provenance["timetable"]["modelled"] is False
    assert provenance["walk_network"]["network"] == "proxy" and provenance["modelled"] is True


def test_roundtrip_json_and_flags():
    result = run(
        "roundtrip",
        "--from",
        "CA1 1QS",
        "--venue",
        "penrith-clint-mill",
        "--day",
        "2026-11-26",
        "--start",
        "09:00",
        "--end",
        "11:00",
        "--gtfs",
        FEED,
        "--json",
    )
    assert result.exit_code == 0, result.output
    trip = json.loads(result.stdout)
    assert {"outbound", "return", "feasible", "flags", "provenance"} <= set(trip)
    assert trip["outbound"]["arrive"] <= "08:50"
    assert trip["return"] is None and trip["feasible"] is False
    assert trip["flags"] == ["no_return_same_day"]


def test_roundtrip_week_view():
    result = run(
        "roundtrip",
        "--from",
        "CA1 1QS",
        "--venue",
        "penrith-clint-mill",
        "--day",
        "week",
        "--start",
        "09:00",
        "--end",
        "11:00",
        "--gtfs",
        FEED,
        "--json",
    )
    assert result.exit_code == 0, result.output
    week = json.loads(result.stdout)
    assert [d["weekday"] for d in week["days"]] == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    assert week["works_on"] == []


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (
            (*TRANSIT_JOURNEY, "--depart-at", "08:00"),
            EXIT_BAD_INPUT,
            "needs a day",
        ),
        (
            (*TRANSIT_JOURNEY, "--day", "thu", "--depart-at", "08:00", "--arrive-by", "09:00"),
            EXIT_BAD_INPUT,
            "exactly one of",
        ),
        (
            (*TRANSIT_JOURNEY, "--day", "thu", "--depart-at", "8 o'clock"),
            EXIT_BAD_INPUT,
            "is not HH:MM",
        ),
        (
            (*TRANSIT_JOURNEY, "--day", "funday", "--depart-at", "08:00"),
            EXIT_BAD_INPUT,
            "is not a weekday",
        ),
        (
            (*TRANSIT_JOURNEY, "--day", "2031-01-01", "--depart-at", "08:00"),
            EXIT_BAD_INPUT,
            "outside the timetable",
        ),
        (
            (*TRANSIT_JOURNEY, "--day", "sun", "--depart-at", "08:00"),
            EXIT_NO_ROUTE,
            "no public transport journey",
        ),
        (
            (*ROUNDTRIP, "--venue", "penrith-clint-mill", "--day", "thu", "--start", "11:00", "--end", "09:00"),
            EXIT_BAD_INPUT,
            "ends (09:00) before it starts",
        ),
        (
            (*ROUNDTRIP, "--venue", "CA11 7HW", "--day", "thu", "--start", "09:00", "--end", "11:00"),
            EXIT_BAD_INPUT,
            "no venue has that id",
        ),
        (
            (*ROUNDTRIP, "--day", "thu", "--start", "09:00", "--end", "11:00"),
            EXIT_BAD_INPUT,
            "exactly one of a venue id",
        ),
    ],
)
def test_bad_transit_input(args, code, fragment):
    result = run(*args, "--gtfs", FEED)
    assert result.exit_code == code, result.output
    assert fragment in result.stderr


def test_two_feeds_merge_and_meet_at_shared_stops(pack):
    from geoaccess.transit.gtfs import read_gtfs
    from geoaccess.transit.timetable import Timetable, merge

    feed = read_gtfs(FEED)
    model = Timetable.load(pack.path / "timetable")
    both = merge([feed, model])
    assert len(both.trips) == len(feed.trips) + len(model.trips)
    assert both.trips["trip_id"].is_unique and both.stops["stop_id"].is_unique
    assert both.provenance["modelled"] is True  # any modelled part makes the whole modelled
    assert both.provenance["timetable"] == "gtfs+modelled"
