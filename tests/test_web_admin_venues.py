"""The admin's venue pages: auth, add by postcode, validation, CSRF, remove, the user venue file, start-up merge."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
import web_support
from flask import Flask
from flask.testing import FlaskClient
from web_support import CSRF, PASSWORD, signed_in

from geoaccess.web import create_app
from geoaccess.web.db import session_scope
from geoaccess.web.users import create_user

NEW = {
    "id": "barrow-test-hub",
    "name": "Barrow Test Hub",
    "kind": "hub",
    "town": "Barrow-in-Furness",
    "postcode": "LA14 1RP",
    "lon": "",
    "lat": "",
    "programmes": "BBR: Thu 18:00-20:30; TSP",
    "opening_days": "Mon Tue",
}


def _config(folder: Path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{folder / 'test.sqlite'}",
        "SESSION_COOKIE_SECURE": False,
        "SECRET_KEY": "test",
        "BOOTSTRAP_ADMIN": False,
        "VENUES_FILE": str(folder / "venues.geojson"),
    }


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("admin-venues")


@pytest.fixture(scope="module")
def app(folder: Path) -> Iterator[Flask]:
    app = create_app(_config(folder))
    with app.app_context(), session_scope() as db:
        for name, role in (("olive", "officer"), ("mary", "manager"), ("ada", "admin")):
            create_user(db, name, role, PASSWORD, must_change_password=False)
    yield app
    from geoaccess.web import background

    background.shutdown(app, wait=False)


def csrf_of(client: FlaskClient, url: str = "/admin/venues") -> str:
    return web_support.csrf_of(client, url)


@pytest.fixture(scope="module")
def ada(app: Flask) -> FlaskClient:
    return signed_in(app, "ada")


def registry_ids(app: Flask) -> set[str]:
    return {v.id for v in app.extensions["geoaccess"]["venues"]}


def api_ids(client: FlaskClient) -> set[str]:
    response = client.get("/api/v1/venues")
    assert response.status_code == 200
    return {f["properties"]["id"] for f in response.get_json()["features"]}


# --- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,url", [("get", "/admin/venues"), ("post", "/admin/venues"), ("post", "/admin/venues/x/remove")]
)
def test_anonymous_is_sent_to_sign_in(app: Flask, method: str, url: str) -> None:
    client = app.test_client()
    if method == "post":
        token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        response = client.post(url, data={**NEW, "csrf_token": token})
    else:
        response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("name", ["olive", "mary"])
def test_officer_and_manager_are_refused(app: Flask, name: str) -> None:
    client = signed_in(app, name)
    assert client.get("/admin/venues").status_code == 403
    token = csrf_of(client, "/officer/checks" if name == "olive" else "/")
    assert client.post("/admin/venues", data={**NEW, "csrf_token": token}).status_code == 403
    assert client.post("/admin/venues/x/remove", data={"csrf_token": token}).status_code == 403
    assert "barrow-test-hub" not in registry_ids(app)
    assert "/admin/venues" not in client.get("/").get_data(as_text=True)  # no nav link


def test_admin_sees_the_registry_and_the_nav_link(app: Flask, ada: FlaskClient) -> None:
    response = ada.get("/admin/venues")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/admin/venues"' in html
    assert "carlisle-crc-lmc" in html
    assert "cannot be removed" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_missing_csrf_is_400_and_saves_nothing(app: Flask, ada: FlaskClient, folder: Path) -> None:
    response = ada.post("/admin/venues", data=NEW)
    assert response.status_code == 400
    assert not (folder / "venues.geojson").exists()
    assert "barrow-test-hub" not in registry_ids(app)
    assert ada.post("/admin/venues/barrow-test-hub/remove").status_code == 400


@pytest.mark.parametrize(
    "change,problem",
    [
        ({"programmes": "BBR: Thursday 6pm"}, "programme 1 session 1 is not 'Day HH:MM-HH:MM'"),
        ({"programmes": "XYZ"}, "a programme code is not one of"),
        ({"kind": "castle"}, "kind is not one of"),
        ({"id": "Not A Slug"}, "id must be two or more lower-case words"),
        ({"opening_days": "Mon Funday"}, "opening_days: day 2 is not a day"),
        ({"postcode": ""}, "no position: give lon and lat, or a postcode"),
        ({"lon": "-3.2"}, "give both lon and lat"),
        ({"programmes": "BBR: Thu 20:30-18:00"}, "ends (18:00) before it starts (20:30)"),
    ],
)
def test_a_bad_row_shows_the_problem_and_saves_nothing(
    app: Flask, ada: FlaskClient, folder: Path, change: dict, problem: str
) -> None:
    before = list(app.extensions["geoaccess"]["venues"])
    response = ada.post("/admin/venues", data={**NEW, **change, "csrf_token": csrf_of(ada)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(r'id="ga-venue-error">([^<]*)<', html).group(1)
    assert problem in unescape(error), error
    assert "venue.csv" not in error and "row 2" not in error
    assert not (folder / "venues.geojson").exists()
    assert app.extensions["geoaccess"]["venues"] == before
    assert f'value="{NEW["name"]}"' in html  # the form keeps what was typed


def test_admin_adds_a_venue_by_postcode_then_removes_it(app: Flask, ada: FlaskClient, folder: Path) -> None:
    response = ada.post("/admin/venues", data={**NEW, "csrf_token": csrf_of(ada)})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert "barrow-test-hub" in api_ids(ada)
    venue = next(v for v in app.extensions["geoaccess"]["venues"] if v.id == "barrow-test-hub")
    assert venue.postcode == "LA14 1RP" and 54.0 < venue.lat < 54.2 and -3.3 < venue.lon < -3.1
    assert [(p.code, [s.label() for s in p.sessions]) for p in venue.programmes] == [
        ("BBR", ["Thu 18:00-20:30"]),
        ("TSP", []),
    ]
    assert venue.opening_days == ("Mon", "Tue")
    document = json.loads((folder / "venues.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in document["features"]] == ["barrow-test-hub"]  # only the changes
    page = ada.get("/admin/venues").get_data(as_text=True)
    assert "Saved venue barrow-test-hub" in page
    assert "/admin/venues/barrow-test-hub/remove" in page
    officer_page = signed_in(app, "olive").get("/officer").get_data(as_text=True)
    assert "Barrow Test Hub" in officer_page

    response = ada.post("/admin/venues/barrow-test-hub/remove", data={"csrf_token": csrf_of(ada)})
    assert response.status_code == 303
    assert "barrow-test-hub" not in api_ids(ada)
    assert "barrow-test-hub" not in registry_ids(app)
    assert not (folder / "venues.geojson").exists()


def test_a_pack_venue_cannot_be_removed_but_an_edit_can_be_undone(app: Flask, ada: FlaskClient, folder: Path) -> None:
    token = csrf_of(ada)
    response = ada.post("/admin/venues/carlisle-crc-lmc/remove", data={"csrf_token": token})
    assert response.status_code == 409
    assert "venues from the pack cannot be removed" in response.get_data(as_text=True)
    assert "carlisle-crc-lmc" in registry_ids(app)

    form = ada.get("/admin/venues?edit=carlisle-crc-lmc").get_data(as_text=True)
    assert 'value="carlisle-crc-lmc"' in form
    original = next(v for v in app.extensions["geoaccess"]["venues"] if v.id == "carlisle-crc-lmc")
    fields = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1)
        for name in ("id", "name", "town", "postcode", "lon", "lat", "programmes", "opening_days")
    }
    fields = {k: unescape(v) for k, v in fields.items()}
    fields["name"] = "Carlisle CRC (renamed)"
    response = ada.post("/admin/venues", data={**fields, "kind": original.kind, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    edited = next(v for v in app.extensions["geoaccess"]["venues"] if v.id == "carlisle-crc-lmc")
    assert edited.name == "Carlisle CRC (renamed)"
    assert (edited.lon, edited.lat, edited.position_basis) == (
        pytest.approx(original.lon),
        pytest.approx(original.lat),
        original.position_basis,
    )
    assert [p.code for p in edited.programmes] == [p.code for p in original.programmes]
    assert len(app.extensions["geoaccess"]["venues"]) == len(app.extensions["geoaccess.admin_venues"]["base"])

    # a fresh app merges the user venue file at start-up
    restarted = create_app(_config(folder))
    assert (
        next(v for v in restarted.extensions["geoaccess"]["venues"] if v.id == "carlisle-crc-lmc").name
        == "Carlisle CRC (renamed)"
    )
    from geoaccess.web import background

    background.shutdown(restarted, wait=False)

    response = ada.post("/admin/venues/carlisle-crc-lmc/remove", data={"csrf_token": token})
    assert response.status_code == 303
    assert next(v for v in app.extensions["geoaccess"]["venues"] if v.id == "carlisle-crc-lmc") == original


def test_officer_page_embeds_the_pick_map(app: Flask) -> None:
    html = signed_in(app, "olive").get("/officer").get_data(as_text=True)
    assert 'id="ga-pick"' in html and 'data-target="home"' in html
    points = json.loads(unescape(re.search(r"data-venues='([^']*)'", html).group(1)))
    assert len(points) == len(app.extensions["geoaccess"]["venues"])
    assert all(53.5 < lat < 55.5 and -4 < lon < -2 for lat, lon, _ in points)
    assert "/vendor/leaflet/leaflet.js" in html and "/static/pick.js" in html
    assert "<script>" not in html  # no inline script


def test_opening_days_written_as_a_range_are_saved_whole(app: Flask, ada: FlaskClient) -> None:
    response = ada.post("/admin/venues", data={**NEW, "opening_days": "Monday-Friday", "csrf_token": csrf_of(ada)})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    venue = next(v for v in app.extensions["geoaccess"]["venues"] if v.id == "barrow-test-hub")
    assert venue.opening_days == ("Mon", "Tue", "Wed", "Thu", "Fri")  # was saved as ("Mon",): cut short


def test_the_page_does_not_show_the_servers_file_paths(app: Flask, ada: FlaskClient, folder: Path) -> None:
    page = ada.get("/admin/venues").get_data(as_text=True)
    assert str(folder) not in page and app.config["VENUES_FILE"] not in page and "VENUES_FILE" in page


def test_programme_sessions_are_listed_with_their_times(ada: FlaskClient) -> None:
    page = ada.get("/admin/venues").get_data(as_text=True)
    row = re.search(r'<tr id="venue-carlisle-crc-lmc">.*?</tr>', page, re.S).group(0)
    assert "BBR: Thu 18:00-20:30" in row
