"""No error message repeats what was typed: every refusal names the field, never its value.

A typed value may be a service user's postcode or home; repeating it puts it in pages, logs and
screenshots. Each case below sends a marker in one field and checks the whole answer for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import app_for_tests, csrf_of, signed_in, token_for

from geoaccess.web import background

MARK = "Zq9echo"  # letters and digits only, so no field refuses it for its characters alone
VENUE = "carlisle-crc-lmc"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("echo")
    app = app_for_tests(
        folder, {"olive": "officer", "mary": "manager", "ada": "admin"}, VENUES_FILE=str(folder / "venues.geojson")
    )
    app.config["TEST_TOKEN"] = token_for(app, "olive")
    yield app
    background.shutdown(app)


def assert_not_echoed(response, where: str) -> None:
    assert 400 <= response.status_code < 500 or response.status_code == 302, (where, response.status_code)
    assert MARK.lower() not in response.get_data(as_text=True).lower(), f"{where} repeats the typed value"


API_CASES = [
    ("/api/v1/geocode", {"q": MARK}),
    ("/api/v1/geocode", {"q": f"CA1 {MARK}"}),
    ("/api/v1/journey", {"from": MARK, "to": "CA1 1HZ", "mode": "car"}),
    ("/api/v1/journey", {"from": "CA1 1HZ", "to": f"LA14 {MARK}", "mode": "car"}),
    ("/api/v1/journey", {"from": "CA1 1HZ", "to": "LA14 1RP", "mode": MARK}),
    ("/api/v1/journey", {"from": "CA1 1HZ", "to": "LA14 1RP", "mode": "transit", "day": MARK, "depart_at": "09:00"}),
    ("/api/v1/roundtrip", {"from": MARK, "venue": VENUE, "day": "thu", "start": "18:00", "end": "20:30"}),
    ("/api/v1/roundtrip", {"from": "CA1 1HZ", "venue": MARK, "day": "thu", "start": "18:00", "end": "20:30"}),
    ("/api/v1/roundtrip", {"from": "CA1 1HZ", "venue": VENUE, "day": MARK, "start": "18:00", "end": "20:30"}),
    ("/api/v1/access", {"programme": MARK, "synthetic": True}),
    ("/api/v1/map", {"kind": MARK}),
]


@pytest.mark.parametrize(("url", "body"), API_CASES, ids=[f"{u} {sorted(b.items())[0]}" for u, b in API_CASES])
def test_api_refusals_do_not_repeat_the_value(app: Flask, url: str, body: dict) -> None:
    response = app.test_client().post(url, json=body, headers={"Authorization": f"Bearer {app.config['TEST_TOKEN']}"})
    assert_not_echoed(response, f"{url} {body}")


def test_geocode_get_does_not_repeat_the_query(app: Flask) -> None:
    client = app.test_client()
    response = client.get(
        f"/api/v1/geocode?q=CA{MARK}", headers={"Authorization": f"Bearer {app.config['TEST_TOKEN']}"}
    )
    assert_not_echoed(response, "GET /api/v1/geocode")


def test_officer_check_does_not_repeat_the_home_or_the_venue(app: Flask) -> None:
    olive = signed_in(app, "olive")
    token = csrf_of(olive, "/officer")
    for form in (
        {"home": f"LA14 {MARK}", "venue": VENUE, "programme": "BBR", "day": "thu"},
        {"home": "LA14 1RP", "venue": MARK, "programme": "BBR", "day": "thu"},
        {"home": "LA14 1RP", "venue": VENUE, "programme": MARK, "day": "thu"},
        {"home": "LA14 1RP", "venue": VENUE, "programme": "BBR", "day": MARK},
        {"home": "LA14 1RP", "venue": VENUE, "programme": "BBR", "day": "thu", "start": MARK},
    ):
        response = olive.post("/officer", data={"start": "18:00", "end": "20:30", **form, "csrf_token": token})
        assert response.status_code in (400, 422), (form, response.status_code)
        assert_not_echoed_in_error(response, f"officer check {form}")


def assert_not_echoed_in_error(response, where: str) -> None:
    """Pages may show a form holding what was typed; the error text itself must not repeat it."""
    text = response.get_data(as_text=True)
    for marker in ('class="alert', 'id="ga-error"', 'id="ga-venue-error"', "invalid-feedback"):
        start = text.find(marker)
        while start != -1:
            assert MARK.lower() not in text[start : text.find("</", start)].lower(), f"{where} error repeats it"
            start = text.find(marker, start + 1)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": MARK},
        {"programmes": MARK},
        {"programmes": f"BBR: {MARK} 18:00-20:30"},
        {"programmes": f"BBR [{MARK}]"},
        {"opening_days": f"Mon {MARK}"},
    ],
)
def test_admin_venue_refusals_do_not_repeat_the_value(app: Flask, change: dict) -> None:
    ada = signed_in(app, "ada")
    form = {
        "id": "barrow-echo-hub",
        "name": "Echo hub",
        "kind": "probation_office",
        "organisation": "Test",
        "postcode": "LA14 1RP",
        "town": "Barrow",
        **change,
        "csrf_token": csrf_of(ada, "/admin/venues"),
    }
    assert_not_echoed_in_error(ada.post("/admin/venues", data=form), f"admin venue {change}")


def test_manager_scenario_refusals_do_not_repeat_the_value(app: Flask) -> None:
    mary = signed_in(app, "mary")
    token = csrf_of(mary, "/planner")
    mary.post("/planner/scenarios", data={"name": "echo", "programme": "BBR", "csrf_token": token})
    scenario = scenario_id(mary)
    base = f"/planner/scenarios/{scenario}"
    for url, form in (
        (f"{base}/venues", {"venue_id": VENUE, "sessions": f"{MARK} 6pm"}),
        (f"{base}/new-venue", {"name": "hall", "lon": "-3.5886", "lat": "54.5489", "sessions": f"Tue {MARK}"}),
    ):
        response = mary.post(url, data={**form, "csrf_token": token}, follow_redirects=True)
        assert_not_echoed_in_error(response, url)
    mary.post(
        f"{base}/new-venue",
        data={"name": MARK, "lon": "-3.5886", "lat": "54.5489", "sessions": "Tue 10:00-12:30", "csrf_token": token},
    )
    again = mary.post(
        f"{base}/new-venue",
        data={"name": MARK, "lon": "-3.5886", "lat": "54.5489", "sessions": "Tue 10:00-12:30", "csrf_token": token},
        follow_redirects=True,
    )
    assert "already in the scenario" in again.get_data(as_text=True)
    assert_not_echoed_in_error(again, "a second new venue of the same name")


def scenario_id(client: FlaskClient) -> str:
    import re

    found = re.findall(r"/planner/scenarios/([0-9a-f]+)", client.get("/planner").get_data(as_text=True))
    assert found, "no scenario was saved"
    return found[-1]


def test_a_duplicate_user_name_is_refused_without_repeating_it(app: Flask, tmp_path: Path) -> None:
    ada = signed_in(app, "ada")
    form = {"name": f"{MARK}user", "role": "officer", "csrf_token": csrf_of(ada, "/admin/users")}
    assert ada.post("/admin/users", data=form).status_code in (200, 201, 302)
    again = ada.post("/admin/users", data={**form, "name": f"{MARK.upper()}USER"})
    assert again.status_code == 400
    assert_not_echoed_in_error(again, "duplicate user")
