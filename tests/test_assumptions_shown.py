"""Answers that rest on a modelled trip's assumed time say so: CLI text and JSON, the API, the officer page,
saved checks and the caseload measures; a published GTFS feed's answers rest on nothing assumed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask
from markupsafe import escape
from web_support import app_for_tests, csrf_of, signed_in, token_for

from geoaccess.analysis.measures import by_area, person_measures, summarise
from geoaccess.analysis.scenarios import current_scenario
from geoaccess.analysis.synthetic import synthetic_caseload
from geoaccess.cli.main import main
from geoaccess.geocode import geocode
from geoaccess.roads.sources import router_for
from geoaccess.services.roundtrips import round_trip_days, session_place
from geoaccess.transit.batch import round_trips
from geoaccess.transit.planner import Planner
from geoaccess.transit.roundtrip import round_trip
from geoaccess.transit.sources import DataChoice, load_timetable, planner_for
from geoaccess.transit.timetable import Timetable
from geoaccess.venues import find_venue, load_venues
from geoaccess.web import background

CAIRNS = Path(__file__).parent / "data" / "gtfs" / "cairns_gtfs.zip"
BARROW_TO_CARLISLE = ("--from", "LA14 1RP", "--venue", "carlisle-crc-lmc", "--day", "thu")
SESSION = ("--start", "18:00", "--end", "20:30")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def notes_of(day: dict) -> list[str]:
    """The basis notes of the assumed legs, there then home, once each."""
    legs = [leg for key in ("outbound", "return") if day[key] for leg in day[key]["legs"]]
    return list(dict.fromkeys(leg["basis_note"] for leg in legs if leg.get("basis") == "assumed"))


@pytest.fixture(scope="module")
def barrow_json() -> dict:
    result = run("roundtrip", *BARROW_TO_CARLISLE, *SESSION, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_round_trip_json_lists_the_assumed_trips_in_leg_order(barrow_json):
    day = barrow_json["days"][0]
    assert day["rests_on_assumption"] is True and barrow_json["rests_on_assumption"] is True
    assert day["assumptions"] == notes_of(day) and len(day["assumptions"]) >= 2
    assert barrow_json["assumptions"] == day["assumptions"]
    assert day["outbound"]["assumptions"] + day["return"]["assumptions"] == day["assumptions"]
    for key in ("outbound", "return"):
        for leg in day[key]["legs"]:
            if leg["mode"] == "walk":
                assert "basis" not in leg
            else:
                assert leg["basis"] == "assumed" and leg["basis_note"]
    assert day["dead_end"] is None


def test_round_trip_text_says_it_rests_on_assumed_times(barrow_json):
    result = run("roundtrip", *BARROW_TO_CARLISLE, *SESSION)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "rests on assumed times:" in line)
    assert all(note in line for note in barrow_json["assumptions"])
    assert "[time assumed]" in result.stdout


def test_journey_json_and_text_list_assumptions():
    args = ("journey", "--from", "LA14 1RP", "--to", "carlisle-crc-lmc", "--mode", "transit", "--day", "thu")
    result = run(*args, "--arrive-by", "17:50", "--json")
    assert result.exit_code == 0, result.output
    journey = json.loads(result.stdout)
    assert journey["assumptions"] and journey["assumptions"] == notes_of({"outbound": journey, "return": None})
    text = run(*args, "--arrive-by", "17:50")
    assert "rests on assumed times: " + journey["assumptions"][0] in text.stdout


def test_a_published_gtfs_feed_rests_on_nothing_assumed():
    data = DataChoice(gtfs=(CAIRNS,))
    registry = load_venues()
    result = round_trip_days(
        home="stop:750001",
        place=session_place(venues=registry, to="-16.9186,145.7781", data=data),
        venues=registry,
        day="2014-06-05",
        start="10:00",
        end="12:00",
        data=data,
    )
    assert result["feasible"] and result["assumptions"] == [] and result["rests_on_assumption"] is False
    legs = [leg for key in ("outbound", "return") for leg in result[key]["legs"]]
    assert any(leg["mode"] == "bus" for leg in legs) and not any("basis" in leg for leg in legs)
    text = run(
        *("roundtrip", "--gtfs", str(CAIRNS), "--from", "stop:750001", "--to", "-16.9186,145.7781"),
        *("--day", "2014-06-05", "--start", "10:00", "--end", "12:00"),
    )
    assert text.exit_code == 0, text.output
    assert "assumed" not in text.stdout


def test_cif_trips_are_shown_on_the_leg_but_are_no_assumption():
    pack_timetable = load_timetable()
    trips = pack_timetable.trips.assign(basis="cif", basis_note="taken from the 2020 CIF sample")
    tables = {name: getattr(pack_timetable, name) for name in ("stops", "routes", "stop_times", "calendar")}
    timetable = Timetable(**tables, trips=trips, provenance=pack_timetable.provenance)
    planner = Planner(timetable, planner_for().walker)
    home, venue = geocode("LA14 1RP"), find_venue(load_venues(), "carlisle-crc-lmc")
    when = timetable.date_for("thursday")
    trip = round_trip(planner, (home.lon, home.lat), (venue.lon, venue.lat), when, 18 * 3600, 20 * 3600 + 1800)
    day = trip.to_dict()
    rides = [leg for leg in day["outbound"]["legs"] if leg["mode"] != "walk"]
    assert rides and all(leg["basis"] == "cif" for leg in rides)
    assert day["assumptions"] == [] and day["rests_on_assumption"] is False


# --- the web: the API and the officer's page -------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = app_for_tests(tmp_path_factory.mktemp("assumptions"), {"olive": "officer"})
    yield app
    background.shutdown(app, wait=False)


def test_api_round_trip_lists_assumptions(app, barrow_json):
    body = {"from": "LA14 1RP", "venue": "carlisle-crc-lmc", "day": "thu", "start": "18:00", "end": "20:30"}
    headers = {"Authorization": f"Bearer {token_for(app, 'olive')}"}
    response = app.test_client().post("/api/v1/roundtrip", json=body, headers=headers)
    assert response.status_code == 200
    data = response.get_json()
    assert data["assumptions"] == barrow_json["assumptions"] and data["rests_on_assumption"] is True
    assert data["outbound"]["legs"][1]["basis"] == "assumed"


def test_officer_page_and_saved_check_show_assumptions(app, barrow_json):
    olive = signed_in(app, "olive")
    form = {"home": "LA14 1RP", "venue": "carlisle-crc-lmc", "programme": "BBR", "day": "thu"}
    form |= {"start": "18:00", "end": "20:30", "margin": "10", "csrf_token": csrf_of(olive, "/officer")}
    html = olive.post("/officer", data=form).get_data(as_text=True)
    box = re.search(r'id="ga-assumptions">(.*?)</div>', html, re.S).group(1)
    assert "rests on assumed times" in box
    assert all(str(escape(note)) in box for note in barrow_json["assumptions"])
    assert "ga-basis" in html and "ga-dead-end" not in html
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)
    saved = olive.post("/officer/save", data={"key": key, "label": "case 1", "csrf_token": csrf_of(olive, "/officer")})
    assert saved.status_code == 302
    checks = olive.get("/officer/checks").get_data(as_text=True)
    assert "rests on assumed times" in checks


# --- measures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def measured(pack):
    people = synthetic_caseload(pack).people
    people = people[people["requirement"] == "BBR"].head(24)
    scenario = current_scenario("BBR", load_venues(pack=pack))
    return people, person_measures(people, scenario, router_for("car"), planner_for())


def test_measures_count_the_people_resting_on_an_assumption(measured):
    _, measures = measured
    resting = measures["rt_rests_on_assumption"]
    assert resting.dtype == bool and resting.any()
    assert (measures.loc[resting, "rt_assumptions"] != "").all()
    assert (measures.loc[~resting, "rt_assumptions"] == "").all()
    summary = summarise(measures)
    assert summary["rests_on_assumption"] == int(resting.sum())
    assert sum(row.get("rests_on_assumption", 0) for row in by_area(measures, "district")) <= summary["people"]


def test_batched_round_trips_rest_on_the_same_assumptions_as_single_ones(measured):
    people, _ = measured
    planner = planner_for()
    venue = find_venue(load_venues(), "carlisle-crc-lmc")
    when = planner.timetable.date_for("thursday")
    homes = people[["lon", "lat"]].to_numpy(dtype=float)[:8]
    batch = round_trips(planner, homes, (venue.lon, venue.lat), when, 18 * 3600, 20 * 3600 + 1800)
    trips = planner.timetable.trips
    assumed = set(trips.loc[trips["basis"] == "assumed", "basis_note"])
    for home, notes in zip(homes, batch.assumptions, strict=True):
        single = round_trip(planner, tuple(home), (venue.lon, venue.lat), when, 18 * 3600, 20 * 3600 + 1800)
        assert bool(notes) == single.to_dict()["rests_on_assumption"]
        # equally good journeys may differ in a middle leg (another train on the same change), so the notes
        # are those of assumed trips, not necessarily the single planner's
        assert set(notes) <= assumed
    assert np.isfinite(batch.leave_home).any()
