"""No journey is explained: the timetable's nearest stops, the real stops it does not serve, the journey missed
and the car, in JSON and in words (CLI, API, officer page), never repeating the home's postcode or position."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from web_support import app_for_tests, csrf_of, signed_in, token_for

from geoaccess.cli.main import main
from geoaccess.errors import EXIT_NO_ROUTE
from geoaccess.web import background
from geoaccess.web.openapi import document

LANGDALE = ("--from", "LA22 9JU", "--venue", "kendal-busher-lodge", "--day", "wed", "--start", "10:00")
RAVENSTONEDALE = ("--from", "CA17 4NQ", "--venue", "penrith-clint-mill", "--day", "thu", "--start", "18:00")
KESWICK_SUNDAY = ("--from", "CA12 5JR", "--venue", "penrith-clint-mill", "--day", "sun", "--start", "18:00")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def roundtrip_json(*args: str) -> dict:
    result = run("roundtrip", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_no_echo(text: str, postcode: str, lon: float, lat: float) -> None:
    """Neither the postcode (any spacing) nor the position appears."""
    squashed = re.sub(r"\s", "", text.upper())
    assert postcode.replace(" ", "") not in squashed
    assert f"{lon:.3f}" not in text and f"{lat:.3f}" not in text


def assert_explained(dead_end: dict, home: str = "home") -> None:
    """The parts of an explanation, each in the words too."""
    stops = dead_end["stops"][home]
    assert stops["nearest"] and stops["metres"] > stops["walk_limit_metres"] and stops["within_walk_limit"] is False
    unserved = dead_end["unserved_stops"]
    assert unserved["within_metres"] == 800 and unserved["count"] >= 1
    assert unserved["nearest"]["name"] and unserved["nearest"]["metres"] <= 800
    assert dead_end["missed"] and all(m["text"] and m["kind"] for m in dead_end["missed"])
    assert dead_end["car"]["minutes"] > 0 and dead_end["car"]["modelled"] is True
    assert "MODELLED" in dead_end["car"]["text"] and "calibrated: median error" in dead_end["car"]["text"]
    assert dead_end["car"]["median_abs_pct_error"] > 0
    texts = [stops["text"], unserved["text"], *(m["text"] for m in dead_end["missed"]), dead_end["car"]["text"]]
    assert all(text in dead_end["why"] for text in texts)


def test_great_langdale_to_kendal_is_explained():
    result = roundtrip_json(*LANGDALE, "--end", "13:00")
    day = result["days"][0]
    assert not day["feasible"] and result["dead_end"] == day["dead_end"]
    dead_end = day["dead_end"]
    assert_explained(dead_end)
    assert dead_end["stops"]["home"]["nearest"].startswith("Grasmere, ")  # the served stop nearest Langdale
    assert dead_end["stops"]["venue"]["within_walk_limit"] is True
    assert "Dungeon Ghyll" in dead_end["unserved_stops"]["nearest"]["name"]
    there, back = dead_end["missed"]
    assert there["kind"] == "first_arrival" and there["needed_by"] == "09:50" and there["vehicle"]["mode"] == "bus"
    assert back["kind"] == "last_departure" and back["needed_after"] == "13:00"
    assert "(the stop nearest the home)" in there["text"]
    geo = json.loads(run("geocode", "LA22 9JU", "--json").stdout)
    assert_no_echo(json.dumps(dead_end), "LA22 9JU", geo["lon"], geo["lat"])


def test_ravenstonedale_to_penrith_is_explained_in_text():
    result = roundtrip_json(*RAVENSTONEDALE, "--end", "20:30")
    dead_end = result["dead_end"]
    assert_explained(dead_end)
    back = next(m for m in dead_end["missed"] if m["kind"] == "last_departure")
    assert back["at"] < back["needed_after"] == "20:30"
    assert back["text"].endswith("before the session ended at 20:30")
    text = run("roundtrip", *RAVENSTONEDALE, "--end", "20:30")
    assert text.exit_code == 0
    assert "  why:" in text.stdout
    for reason in dead_end["why"]:
        assert f"    - {reason}" in text.stdout
    assert "Ravenstonedale" in dead_end["unserved_stops"]["text"]


def test_the_last_bus_missed_from_a_home_the_timetable_serves():
    dead_end = roundtrip_json(*KESWICK_SUNDAY, "--end", "20:30")["dead_end"]
    assert dead_end["stops"]["home"]["within_walk_limit"] is True
    (back,) = dead_end["missed"]
    assert back["between"] == ["the venue", "the home"]
    assert re.fullmatch(
        r"the last bus from .+ towards the home left at \d\d:\d\d \(setting off by \d\d:\d\d\), "
        r"before the session ended at 20:30",
        back["text"],
    )


def test_a_bus_the_walk_to_the_stop_makes_one_miss_is_not_offered():
    # the session ends at 17:59: the last bus home leaves its stop at 18:00, but the venue is minutes from it
    args = ("--from", "CA12 5JR", "--venue", "penrith-clint-mill", "--day", "sun", "--start", "17:00")
    missed = roundtrip_json(*args, "--end", "17:59")["dead_end"]["missed"]
    back = next(item for item in missed if item["kind"] == "last_departure")
    assert "left at 18:00 (setting off by" in back["text"] and "before the session ended at 17:59" in back["text"]


def test_a_journey_with_no_route_says_why_in_json_and_words():
    args = ("journey", "--from", "LA22 9JU", "--to", "kendal-busher-lodge", "--mode", "transit", "--day", "wed")
    result = run(*args, "--arrive-by", "09:50", "--json")
    assert result.exit_code == EXIT_NO_ROUTE
    answer = json.loads(result.stdout)
    assert_explained(answer["dead_end"], home="origin")
    assert answer["dead_end"]["missed"][0]["kind"] == "first_arrival"
    assert "by car it takes" in result.stderr and "not served by this timetable" in result.stderr
    late = run(*args, "--depart-at", "23:30")
    assert late.exit_code == EXIT_NO_ROUTE and "the last bus from" in late.stderr


# --- the web ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = app_for_tests(tmp_path_factory.mktemp("dead-ends"), {"olive": "officer"})
    yield app
    background.shutdown(app, wait=False)


def test_api_explains_dead_ends(app):
    client, headers = app.test_client(), {"Authorization": f"Bearer {token_for(app, 'olive')}"}
    body = {"from": "CA17 4NQ", "venue": "penrith-clint-mill", "day": "thu", "start": "18:00", "end": "20:30"}
    trip = client.post("/api/v1/roundtrip", json=body, headers=headers).get_json()
    assert_explained(trip["dead_end"])
    body = {"from": "LA22 9JU", "to": "kendal-busher-lodge", "mode": "transit", "day": "wed", "arrive_by": "09:50"}
    response = client.post("/api/v1/journey", json=body, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "urn:geoaccess:problem:no-route"
    assert_explained(problem["dead_end"], home="origin")
    assert "LA22" not in problem["detail"].upper()


def test_officer_page_says_why_there_is_no_journey(app):
    olive = signed_in(app, "olive")
    form = {"home": "LA22 9JU", "venue": "kendal-busher-lodge", "programme": "", "day": "wed"}
    form |= {"start": "10:00", "end": "13:00", "margin": "10", "csrf_token": csrf_of(olive, "/officer")}
    html = olive.post("/officer", data=form).get_data(as_text=True)
    box = re.search(r'id="ga-dead-end">(.*?)</div>', html, re.S).group(1)
    assert "Grasmere, " in box and "not served by this timetable" in box and "by car it takes" in box
    assert "first arrival" in box and "last bus" in box


def test_openapi_describes_the_new_fields():
    schemas = document()["components"]["schemas"]
    assert {"stops", "unserved_stops", "missed", "car", "why"} <= set(schemas["DeadEnd"]["properties"])
    assert schemas["Leg"]["properties"]["basis"]["enum"] == ["cited", "cif", "assumed"]
    assert "basis_note" in schemas["Leg"]["properties"]
    for name in ("Itinerary", "Journey", "RoundTripDay", "RoundTrip"):
        assert schemas[name]["properties"]["assumptions"]["type"] == "array"
    for name in ("RoundTripDay", "RoundTrip"):
        assert {"rests_on_assumption", "dead_end"} <= set(schemas[name]["properties"])
    assert "dead_end" in schemas["Problem"]["properties"]
