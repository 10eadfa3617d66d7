"""The REST API under /api/v1: auth failures, problem details, every endpoint, the OpenAPI document."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from web_support import app_for_tests, signed_in, token_for

from geoaccess.web import background

PROBLEM = "application/problem+json"
ROUNDTRIP = {
    "from": "LA14 1RP",
    "venue": "carlisle-crc-lmc",
    "day": "thu",
    "start": "18:00",
    "end": "20:30",
    "margin": 10,
}
JOURNEY = {"from": "LA14 1RP", "to": "carlisle-crc-lmc", "mode": "transit", "day": "thu", "arrive_by": "17:50"}
ENDPOINTS = [  # method, path, body, roles allowed
    ("get", "/api/v1/geocode?q=LA14%201RP", None, {"officer", "manager", "admin"}),
    ("post", "/api/v1/geocode", {"q": "LA14 1RP"}, {"officer", "manager", "admin"}),
    ("get", "/api/v1/venues", None, {"officer", "manager", "admin"}),
    ("post", "/api/v1/journey", JOURNEY, {"officer", "manager", "admin"}),
    ("post", "/api/v1/roundtrip", ROUNDTRIP, {"officer", "manager", "admin"}),
    ("post", "/api/v1/access", {"programme": "BBR", "synthetic": True}, {"manager", "admin"}),
    (
        "post",
        "/api/v1/scenario/compare",
        {"scenarios": ["today:BBR", "today:BBR"], "synthetic": True},
        {"manager", "admin"},
    ),
    ("post", "/api/v1/site", {"programme": "BBR", "p": 1, "synthetic": True}, {"manager", "admin"}),
    ("post", "/api/v1/map", {"kind": "venues", "format": "html"}, {"officer", "manager", "admin"}),
    ("get", "/api/v1/jobs/999999", None, {"officer", "manager", "admin"}),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    users = {"olive": "officer", "mary": "manager", "ada": "admin", "mike": "manager"}
    app = app_for_tests(tmp_path_factory.mktemp("api"), users)
    app.config["TEST_TOKENS"] = {
        "officer": token_for(app, "olive"),
        "manager": token_for(app, "mary"),
        "admin": token_for(app, "ada"),
        "other_manager": token_for(app, "mike"),
    }
    yield app
    background.shutdown(app, wait=False)


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def auth(app: Flask, role: str) -> dict:
    return {"Authorization": f"Bearer {app.config['TEST_TOKENS'][role]}"}


def call(client: FlaskClient, method: str, path: str, body: dict | None, headers: dict | None = None):
    if method == "get":
        return client.get(path, headers=headers or {})
    return client.post(path, json=body, headers=headers or {})


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == PROBLEM
    data = response.get_json()
    assert data["status"] == status and data["title"] and data["detail"] and data["type"]
    return data


# --- auth failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,body,roles", ENDPOINTS)
def test_anonymous_is_401(client: FlaskClient, method: str, path: str, body: dict | None, roles: set) -> None:
    response = call(client, method, path, body)
    if method == "post":  # no session, no token: CSRF or auth refuses it, either way problem+json 400/401
        assert response.status_code in (400, 401) and response.mimetype == PROBLEM
    else:
        assert_problem(response, 401)


@pytest.mark.parametrize("method,path,body,roles", ENDPOINTS)
def test_bad_token_is_401(client: FlaskClient, method: str, path: str, body: dict | None, roles: set) -> None:
    assert_problem(call(client, method, path, body, {"Authorization": "Bearer not-a-token"}), 401)
    assert_problem(call(client, method, path, body, {"Authorization": "Basic abc"}), 401)


@pytest.mark.parametrize("method,path,body,roles", ENDPOINTS)
def test_wrong_role_is_403(
    app: Flask, client: FlaskClient, method: str, path: str, body: dict | None, roles: set
) -> None:
    for role in {"officer", "manager", "admin"} - roles:
        assert_problem(call(client, method, path, body, auth(app, role)), 403)


def test_session_posts_need_the_csrf_header(app: Flask) -> None:
    client = signed_in(app, "olive")  # asserts the sign-in's 302
    assert client.get("/api/v1/venues").status_code == 200  # a signed-in session may use the API
    missing = client.post("/api/v1/roundtrip", json=ROUNDTRIP)
    assert_problem(missing, 400)
    assert "CSRF" in missing.get_json()["detail"]
    page = client.get("/officer").get_data(as_text=True)
    header = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    ok = client.post("/api/v1/roundtrip", json=ROUNDTRIP, headers={"X-CSRFToken": header})
    assert ok.status_code == 200 and ok.get_json()["feasible"] is True


# --- unknown routes, methods, bodies -----------------------------------------------------------


def test_unknown_route_and_method_are_problem_json(app: Flask, client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here", headers=auth(app, "officer")), 404)
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    response = client.get("/api/v1/roundtrip", headers=auth(app, "officer"))
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]
    assert_problem(client.delete("/api/v1/venues", headers=auth(app, "officer")), 405)
    assert client.get("/no-such-page").mimetype != PROBLEM  # pages keep their HTML errors


@pytest.mark.parametrize(
    "body,status,words",
    [
        (None, 400, "JSON object"),
        ({**ROUNDTRIP, "from": None}, 400, "'from' is required"),
        ({**ROUNDTRIP, "margin": "ten"}, 400, "'margin' must be a whole number"),
        ({**ROUNDTRIP, "to": "CA3 8DR"}, 400, "exactly one of"),
        ({**ROUNDTRIP, "from": "ZZ99 9ZZ"}, 422, "outside"),
        ({**ROUNDTRIP, "from": "LA14 1XX"}, 422, "postcode"),
        ({**ROUNDTRIP, "venue": "no-such-venue"}, 422, "no venue has that id"),
        ({**ROUNDTRIP, "start": "6pm"}, 422, "HH:MM"),
        ({**ROUNDTRIP, "end": "17:00"}, 422, "before it starts"),
        ({**ROUNDTRIP, "day": "someday"}, 422, "weekday"),
    ],
)
def test_bad_roundtrip_requests_name_the_problem_never_the_postcode(
    app: Flask, client: FlaskClient, body: dict, status: int, words: str
) -> None:
    if body is None:
        response = client.post("/api/v1/roundtrip", data="not json", headers=auth(app, "officer"))
    else:
        response = client.post("/api/v1/roundtrip", json=body, headers=auth(app, "officer"))
    detail = assert_problem(response, status)["detail"]
    assert words in detail
    for secret in ("ZZ99", "LA14", "1XX", "1RP"):
        assert secret not in detail


def test_no_route_is_422_no_route(app: Flask, client: FlaskClient) -> None:
    body = {**JOURNEY, "arrive_by": "03:00"}
    data = assert_problem(client.post("/api/v1/journey", json=body, headers=auth(app, "officer")), 422)
    assert data["type"] == "urn:geoaccess:problem:no-route"


# --- good requests ------------------------------------------------------------------------------


def test_roundtrip_known_answer(app: Flask, client: FlaskClient) -> None:
    data = client.post("/api/v1/roundtrip", json=ROUNDTRIP, headers=auth(app, "officer")).get_json()
    assert data["feasible"] is True
    assert data["flags"] == ["outbound_over_120", "return_over_120", "home_after_2300"]
    assert data["days"][0]["weekday"] == "thursday"
    assert any("20:30 on Thursday" in text for text in data["flags_in_words"])
    assert data["provenance"]["timetable"]["timetable"] == "modelled"
    assert data["outbound"]["legs"][0]["mode"] == "walk"


def test_roundtrip_week(app: Flask, client: FlaskClient) -> None:
    data = client.post("/api/v1/roundtrip", json={**ROUNDTRIP, "day": "week"}, headers=auth(app, "officer")).get_json()
    assert len(data["days"]) == 7 and "thursday" in data["works_on"]


def test_geocode_venues_and_journeys(app: Flask, client: FlaskClient) -> None:
    h = auth(app, "officer")
    place = client.get("/api/v1/geocode?q=la141rp", headers=h).get_json()
    assert place["postcode"] == "LA14 1RP" and place["modelled"] is False
    assert client.post("/api/v1/geocode", json={"q": "54.89,-2.93"}, headers=h).get_json()["postcode"] is None
    venues = client.get("/api/v1/venues?programme=BBR", headers=h).get_json()
    assert {f["properties"]["id"] for f in venues["features"]} == {"carlisle-crc-lmc", "preston-avenham-street"}
    assert_problem(client.get("/api/v1/venues?programme=XYZ", headers=h), 422)
    car = client.post(
        "/api/v1/journey", json={"from": "LA14 1RP", "to": "carlisle-crc-lmc", "mode": "car"}, headers=h
    ).get_json()
    assert car["mode"] == "car" and car["minutes"] > 60 and car["provenance"]["modelled"] is True
    transit = client.post("/api/v1/journey", json=JOURNEY, headers=h).get_json()
    assert transit["mode"] == "transit" and transit["arrive"] <= "17:50"
    assert_problem(client.post("/api/v1/journey", json={**JOURNEY, "mode": "boat"}, headers=h), 400)
    assert_problem(client.post("/api/v1/journey", json={**JOURNEY, "depart_at": "15:00"}, headers=h), 400)


@pytest.mark.parametrize("fmt,magic", [("html", b"<!DOCTYPE html>"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_venue_map_export(app: Flask, client: FlaskClient, fmt: str, magic: bytes) -> None:
    response = client.post("/api/v1/map", json={"kind": "venues", "format": fmt}, headers=auth(app, "officer"))
    assert response.status_code == 200 and response.data.lstrip()[: len(magic)].upper() == magic.upper()
    assert "attachment" in response.headers["Content-Disposition"]
    if fmt == "png":  # A4 landscape at the README's 300 dpi (it was 150)
        with Image.open(io.BytesIO(response.data)) as png:
            assert png.size == (3508, 2480) and round(png.info["dpi"][0]) == 300


def test_journey_map_export_coarsens_the_home(app: Flask, client: FlaskClient) -> None:
    body = {
        "kind": "journey",
        "format": "html",
        "from": "LA14 1RP",
        "to": "carlisle-crc-lmc",
        "day": "thu",
        "arrive_by": "17:50",
    }
    response = client.post("/api/v1/map", json=body, headers=auth(app, "officer"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "postcode sector" in html and "LA14 1RP" not in html
    assert_problem(client.post("/api/v1/map", json={"kind": "moon"}, headers=auth(app, "officer")), 400)


@pytest.mark.slow
def test_isochrone_map_export(app: Flask, client: FlaskClient) -> None:
    body = {"kind": "isochrones", "venue": "carlisle-crc-lmc", "mode": "car", "format": "png"}
    response = client.post("/api/v1/map", json=body, headers=auth(app, "manager"))
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")


def test_analysis_needs_the_synthetic_caseload_and_good_values(app: Flask, client: FlaskClient) -> None:
    h = auth(app, "manager")
    assert (
        "synthetic"
        in assert_problem(client.post("/api/v1/access", json={"programme": "BBR"}, headers=h), 400)["detail"]
    )
    assert_problem(client.post("/api/v1/access", json={"programme": "XYZ", "synthetic": True}, headers=h), 422)
    assert_problem(
        client.post("/api/v1/scenario/compare", json={"scenarios": ["today:BBR"], "synthetic": True}, headers=h), 400
    )
    assert_problem(
        client.post(
            "/api/v1/scenario/compare", json={"scenarios": ["today:BBR", "today:TSP"], "synthetic": True}, headers=h
        ),
        422,
    )
    assert_problem(client.post("/api/v1/site", json={"p": 9, "synthetic": True}, headers=h), 422)
    assert_problem(client.post("/api/v1/site", json={"keep": ["nowhere-at-all"], "synthetic": True}, headers=h), 422)
    assert_problem(client.post("/api/v1/site", json={"objective": "best", "synthetic": True}, headers=h), 422)


@pytest.mark.slow
def test_long_work_runs_as_a_job_seen_only_by_its_owner(app: Flask, client: FlaskClient) -> None:
    if "geoaccess_jobs" not in app.extensions:
        pytest.skip("the job pool is not running in this app")
    h = auth(app, "manager")
    response = client.post("/api/v1/access", json={"programme": "BBR", "synthetic": True}, headers=h)
    assert response.status_code == 202
    url = response.headers["Location"]
    assert re.fullmatch(r"/api/v1/jobs/\d+", url) and response.get_json()["url"] == url
    assert_problem(client.get(url, headers=auth(app, "other_manager")), 404)
    deadline = time.monotonic() + 120
    while True:
        job = client.get(url, headers=h).get_json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["status"] == "done", job["message"]
    overall = job["result"]["scenarios"][0]["overall"]
    assert overall["people"] > 0 and job["result"]["synthetic"] is True
    assert "postcode" not in str(job["result"]).lower() or "postcode_sector" not in str(job["result"])


@pytest.mark.slow
def test_long_work_runs_in_the_request_without_the_pool(app: Flask, client: FlaskClient) -> None:
    app.config["API_JOBS"] = False
    try:
        started = time.monotonic()
        response = client.post(
            "/api/v1/access", json={"programme": "BBR", "synthetic": True}, headers=auth(app, "manager")
        )
    finally:
        app.config["API_JOBS"] = True
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.get_json()
    assert data["ran"].startswith("synchronously") and data["scenarios"][0]["overall"]["people"] > 0
    assert time.monotonic() - started < 120


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "Problem" in doc["components"]["schemas"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (path, method)
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (path, method)
            if path != "/openapi.json":
                assert "401" in operation["responses"] and "403" in operation["responses"]


def test_openapi_refs_resolve(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    refs = re.findall(r'"\$ref": "#/([^"]+)"', __import__("json").dumps(doc))
    for ref in refs:
        node = doc
        for part in ref.split("/"):
            node = node[part]
