"""Hostile parameters get a 4xx, never a 500: database ids out of range, deeply nested or non-finite JSON,
typed homes never echoed in an error, and siting values refused before any job is created."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from web_support import app_for_tests, csrf_of, signed_in, token_for

from geoaccess.web import background
from geoaccess.web.db import Job, session_scope

PROBLEM = "application/problem+json"
ERROR = re.compile(r'id="ga-error">([^<]*)<')

TOO_BIG_IDS = [
    str(2**63),  # past SQLite's and PostgreSQL's bigint: OverflowError in the driver
    str(2**64 + 1),
    str(2**31),  # past PostgreSQL's integer, the type of every id column there
    "0",
    "9" * 5000,  # more digits than Python's int() reads by default
]
CHECK = {
    "venue": "carlisle-crc-lmc",
    "programme": "BBR",
    "day": "thu",
    "start": "18:00",
    "end": "20:30",
    "margin": "10",
    "every_venue": "",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    users = {"olive": "officer", "mary": "manager", "ada": "admin"}
    app = app_for_tests(tmp_path_factory.mktemp("robust"), users)
    app.config["TEST_TOKENS"] = {role: token_for(app, name) for name, role in users.items()}
    yield app
    background.shutdown(app, wait=False)


def bearer(app: Flask, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.config['TEST_TOKENS'][role]}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == PROBLEM
    data = response.get_json()
    assert data["status"] == status and data["title"] and data["detail"] and data["type"]
    return data


def jobs_count(app: Flask) -> int:
    with app.app_context(), session_scope() as db:
        return int(db.scalar(select(func.count()).select_from(Job)) or 0)


# --- 1. database ids out of range are 404, never an overflow -------------------------------------


@pytest.mark.parametrize("job_id", TOO_BIG_IDS)
def test_api_job_ids_out_of_database_range_are_a_404_problem(app: Flask, job_id: str) -> None:
    response = app.test_client().get(f"/api/v1/jobs/{job_id}", headers=bearer(app, "manager"))
    assert_problem(response, 404)


@pytest.mark.parametrize("job_id", TOO_BIG_IDS)
def test_planner_job_and_result_ids_out_of_database_range_are_404(app: Flask, job_id: str) -> None:
    client = signed_in(app, "mary")
    for url in (
        f"/planner/jobs/{job_id}",
        f"/planner/results/{job_id}",
        f"/planner/results/{job_id}/maps/change-1",
        f"/planner/results/{job_id}/maps/change-1.png",
        f"/planner/results/{job_id}/overall.csv",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("check_id", TOO_BIG_IDS)
def test_saved_check_ids_out_of_database_range_are_404(app: Flask, check_id: str) -> None:
    client = signed_in(app, "olive")
    token = csrf_of(client, "/officer/checks")
    assert client.post(f"/officer/checks/{check_id}/delete", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("user_id", TOO_BIG_IDS)
def test_admin_user_ids_out_of_database_range_are_404(app: Flask, user_id: str) -> None:
    client = signed_in(app, "ada")
    token = csrf_of(client, "/admin/users")
    for action, form in (("role", {"role": "officer"}), ("reset", {}), ("disable", {"disabled": "1"})):
        response = client.post(f"/admin/users/{user_id}/{action}", data={"csrf_token": token, **form})
        assert response.status_code == 404, action


def test_ids_in_database_range_still_reach_the_views(app: Flask) -> None:
    client = app.test_client()
    data = assert_problem(client.get(f"/api/v1/jobs/{2**31 - 1}", headers=bearer(app, "manager")), 404)
    assert "job" in data["detail"].lower()  # the view's own answer, not the unknown-URL one


# --- 2. deeply nested, huge or non-finite JSON bodies are a 400 problem --------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        '{"synthetic": true, "keep": ' + "[" * 100_000,  # unbalanced as well
        '{"synthetic": true, "keep": ' + "[" * 40 + "]" * 40 + "}",  # past the limit, yet valid JSON
    ],
    ids=["list-100000", "object-100000", "unclosed-100000", "list-40"],
)
def test_api_refuses_json_nested_too_deep_with_400(app: Flask, raw: str) -> None:
    before = jobs_count(app)
    response = app.test_client().post(
        "/api/v1/site", data=raw, content_type="application/json", headers=bearer(app, "manager")
    )
    assert "nest" in assert_problem(response, 400)["detail"]
    assert jobs_count(app) == before


def test_api_refuses_json_with_too_many_items_with_400(app: Flask) -> None:
    raw = '{"synthetic": true, "keep": [' + ",".join(["0"] * 1_000_000) + "]}"
    response = app.test_client().post(
        "/api/v1/site", data=raw, content_type="application/json", headers=bearer(app, "manager")
    )
    assert "items" in assert_problem(response, 400)["detail"]


def test_api_nesting_inside_strings_is_only_text(app: Flask) -> None:
    raw = '{"q": "' + "[{" * 1000 + '\\"[[["}'  # brackets (and an escaped quote) inside a string
    response = app.test_client().post(
        "/api/v1/geocode", data=raw, content_type="application/json", headers=bearer(app, "officer")
    )
    assert response.status_code in (400, 422) and response.mimetype == PROBLEM
    assert "nest" not in response.get_json()["detail"]


# --- 3. the officer page never repeats the typed home in its error ------------------------------


@pytest.mark.parametrize(
    "home",
    [
        "LA14-1RP",
        "la14-1rp",
        "LA14 1RPX",
        "ZZ99 9ZZ",
        "L!A14 1RP",
        "51.5,-999",
    ],
)
def test_officer_error_never_repeats_the_typed_home(app: Flask, home: str) -> None:
    client = signed_in(app, "olive")
    response = client.post("/officer", data={**CHECK, "home": home, "csrf_token": csrf_of(client, "/officer")})
    assert response.status_code in (400, 422)
    page = response.get_data(as_text=True)
    error = ERROR.search(page).group(1)
    assert error.strip()
    assert home not in error and home.upper() not in error.upper()
    assert "LA14" not in error.upper() and "1RP" not in error.upper() and "ZZ99" not in error.upper()
    # the only place the typed text may appear is the form field it was typed into
    without_field = re.sub(r'<input id="home"[^>]*>', "", page)
    assert home not in without_field


# --- 4. siting values are refused before 202, and no job is made --------------------------------


@pytest.mark.parametrize(
    "raw,status",
    [
        ('{"synthetic": true, "threshold": -5}', 422),
        ('{"synthetic": true, "threshold": 1e308}', 422),
        ('{"synthetic": true, "threshold": 0}', 422),
        ('{"synthetic": true, "threshold": NaN}', 400),
        ('{"synthetic": true, "threshold": -Infinity}', 400),
        ('{"synthetic": true, "threshold": Infinity}', 400),
        ('{"synthetic": true, "threshold": 1e999}', 400),  # a float past the largest: infinity
        ('{"synthetic": true, "session": "Funday 99:99-00:00"}', 422),
        ('{"synthetic": true, "session": "Thu 99:99-00:00"}', 422),
        ('{"synthetic": true, "session": "Thu 20:30-18:00"}', 422),
    ],
)
def test_api_site_refuses_bad_threshold_and_session_before_any_job(app: Flask, raw: str, status: int) -> None:
    before = jobs_count(app)
    response = app.test_client().post(
        "/api/v1/site", data=raw, content_type="application/json", headers=bearer(app, "manager")
    )
    assert_problem(response, status)
    assert jobs_count(app) == before
