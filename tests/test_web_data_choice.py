"""Issue 14, item 5: the web app on the user's own data.

``geoaccess serve --network --gtfs --cif`` (or ``DATA_*`` settings / ``GEOACCESS_*`` variables) makes every
page, API call and job compute on that network and timetable, loaded once at start-up; the admin's "Data in
use" page says which, with their dates; a bad path stops start-up with one line naming it.

Places: the Kouvola extract (tests/data/osm) for roads, New York's subway feed (tests/data/gtfs) for
public transport; the two are far apart, so transit is asked of an app with the feed alone.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from web_support import app_for_tests, csrf_of, signed_in, token_for

from geoaccess.cli.main import main
from geoaccess.defaults import STRAIGHT_WALK_DETOUR
from geoaccess.errors import EXIT_BAD_INPUT, BadInput
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.osm import build_osm_networks
from geoaccess.transit.timetable import Timetable
from geoaccess.venues import load_venues
from geoaccess.web import background, create_app
from geoaccess.web import data as web_data
from geoaccess.web.data import data_choice

DATA = Path(__file__).parent / "data"
KOUVOLA_OSM = DATA / "osm" / "kouvola_osm.pbf"
NYC = DATA / "gtfs" / "nyc_subway_gtfs.zip"
WEST, EAST = "60.530,26.935", "60.522,26.965"  # two ends in the Kouvola extract, 1.8 km apart
TIMES_SQUARE, WALL_STREET = "40.7580,-73.9855", "40.7061,-74.0087"
USERS = {"olive": "officer", "mary": "manager", "ada": "admin"}


def build_network(out: Path) -> Path:
    """Car and walk networks from the Kouvola extract, as `geoaccess network build` makes them."""
    build_osm_networks([KOUVOLA_OSM], out, ("drive", "walk"))
    return out


@pytest.fixture(scope="module")
def kouvola(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_network(tmp_path_factory.mktemp("kouvola"))


@pytest.fixture(scope="module")
def own_app(tmp_path_factory: pytest.TempPathFactory, kouvola: Path) -> Iterator[Flask]:
    """An app on the Kouvola network and the New York feed."""
    app = app_for_tests(tmp_path_factory.mktemp("own"), USERS, DATA_NETWORK=str(kouvola), DATA_GTFS=str(NYC))
    yield app
    background.shutdown(app, wait=False)


@pytest.fixture(scope="module")
def feed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on the New York feed alone (walks in straight lines), with a venue near Wall Street."""
    lat, lon = map(float, WALL_STREET.split(","))
    venue = replace(load_venues()[0], id="wall-street-office", name="Wall Street office", lon=lon, lat=lat)
    app = app_for_tests(tmp_path_factory.mktemp("feed"), USERS, DATA_GTFS=[NYC], VENUE_LOADER=lambda: [venue])
    yield app
    background.shutdown(app, wait=False)


def bearer(app: Flask, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, name)}"}


def car_journey(app: Flask) -> Any:
    body = {"from": WEST, "to": EAST, "mode": "car"}
    return app.test_client().post("/api/v1/journey", json=body, headers=bearer(app, "olive"))


# --- every computation uses the app's data -----------------------------------------------------------


def test_an_api_journey_runs_on_the_network_given(own_app: Flask) -> None:
    response = car_journey(own_app)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    result = response.get_json()
    assert 1 < result["minutes"] < 20
    assert result["provenance"]["network"] == "osm" and result["provenance"]["source"] == "kouvola_osm.pbf"
    assert result["provenance"]["modelled"] is False


def test_an_api_round_trip_runs_on_the_feed_given(feed_app: Flask) -> None:
    body = {"from": TIMES_SQUARE, "to": WALL_STREET, "day": "wed", "start": "10:00", "end": "12:00"}
    response = feed_app.test_client().post("/api/v1/roundtrip", json=body, headers=bearer(feed_app, "olive"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    result = response.get_json()
    assert result["feasible"] is True
    timetable = result["provenance"]["timetable"]
    assert timetable["source"] == "nyc_subway_gtfs.zip" and timetable["modelled"] is False
    assert any(leg["mode"] != "walk" for leg in result["outbound"]["legs"])


def test_the_officer_check_runs_on_the_feed_given(feed_app: Flask) -> None:
    olive = signed_in(feed_app, "olive")
    form = {
        "home": TIMES_SQUARE,
        "venue": "wall-street-office",
        "programme": "",
        "day": "wed",
        "start": "10:00",
        "end": "12:00",
        "margin": "10",
        "csrf_token": csrf_of(olive, "/officer"),
    }
    response = olive.post("/officer", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    provenance = re.search(r'id="ga-provenance">(.*?)</div>', html, re.S)
    assert provenance is not None
    assert "nyc_subway_gtfs.zip, 2024-12-15 to 2025-01-17" in provenance.group(1)
    assert "MODELLED</strong>, not a live timetable" not in provenance.group(1)
    assert f"Walks: straight lines x {STRAIGHT_WALK_DETOUR:g}, no walk network reaching" in provenance.group(1)


def test_an_api_journey_map_is_drawn_on_the_feed_given(feed_app: Flask) -> None:
    body = {"kind": "journey", "from": TIMES_SQUARE, "to": WALL_STREET, "day": "wed", "depart_at": "09:00"}
    response = feed_app.test_client().post("/api/v1/map", json=body, headers=bearer(feed_app, "olive"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "nyc_subway_gtfs.zip, 2024-12-15 to 2025-01-17" in response.get_data(as_text=True)


@pytest.mark.slow
def test_a_job_runs_on_the_same_data(own_app: Flask) -> None:
    """The synthetic Cumbrian caseload on Kouvola's network: the job uses the app's network, which does
    not reach the people, so it is refused with that network named (before, it gave car medians of about
    16,000 minutes: the straight line to Finland)."""
    assert "geoaccess_jobs" in own_app.extensions
    client, headers = own_app.test_client(), bearer(own_app, "mary")
    response = client.post("/api/v1/access", json={"programme": "BBR", "synthetic": True}, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    deadline = time.monotonic() + 120
    while (job := client.get(response.headers["Location"], headers=headers).get_json())["status"] not in (
        "done",
        "failed",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "failed", job
    assert "kouvola_osm.pbf" in job["message"] and "does not reach" in job["message"], job["message"]
    assert "nothing computed" in job["message"]


# --- loaded once, at start-up ------------------------------------------------------------------------


def test_networks_and_timetable_load_when_the_app_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    network = build_network(tmp_path / "network")
    feed = tmp_path / "warm_nyc.zip"  # a path (and cache key) no other test has loaded
    shutil.copy(NYC, feed)
    app = app_for_tests(tmp_path, USERS, DATA_NETWORK=str(network), DATA_GTFS=str(feed))
    try:

        def no_more_loading(*args: object, **kwargs: object) -> None:
            raise AssertionError("data loaded after start-up")

        monkeypatch.setattr(RoadNetwork, "load", classmethod(no_more_loading))
        monkeypatch.setattr(Timetable, "__init__", no_more_loading)
        assert car_journey(app).status_code == 200
        page = signed_in(app, "ada").get("/admin/data")
        assert page.status_code == 200 and "warm_nyc.zip" in page.get_data(as_text=True)
    finally:
        background.shutdown(app, wait=False)


def test_concurrent_first_uses_load_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[object] = []

    def slow_load(choice: object) -> None:
        loads.append(choice)
        time.sleep(0.2)

    monkeypatch.setattr(web_data, "load", slow_load)
    app = app_for_tests(tmp_path, {}, DATA_WARM=False)
    try:
        assert loads == []
        threads = [threading.Thread(target=data_choice, args=(app,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(loads) == 1
    finally:
        background.shutdown(app, wait=False)


# --- the admin's page --------------------------------------------------------------------------------


def test_the_data_page_lists_the_network_and_feed_with_their_dates(own_app: Flask, kouvola: Path) -> None:
    response = signed_in(own_app, "ada").get("/admin/data")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "nonce-" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    car, walk, timetable = re.findall(r'<section class="card mb-3 ga-data-part".*?</section>', html, re.S)
    for part, mode in ((car, "drive"), (walk, "walk")):
        assert "kouvola_osm.pbf" in part and "2019-01-23" in part  # the extract's newest edit
        assert str(kouvola / mode) in part and "real data" in part
    assert "not calibrated: car minutes are the routed minutes" in car
    assert "nyc_subway_gtfs.zip" in timetable and "2024-12-15 to 2025-01-17" in timetable
    assert str(NYC.resolve()) in timetable
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d UTC</td>", timetable)  # the file's date
    assert "MODELLED" not in html


def test_the_data_page_says_when_the_packs_models_are_in_use(feed_app: Flask) -> None:
    html = signed_in(feed_app, "ada").get("/admin/data").get_data(as_text=True)
    car = re.search(r'<section class="card mb-3 ga-data-part".*?</section>', html, re.S)
    assert car is not None and "MODELLED" in car.group(0) and "calibrated" in car.group(0)
    assert "straight lines" in html  # walks to the New York stops: no walk network reaches them


def test_the_data_page_is_for_admins_only(own_app: Flask) -> None:
    anonymous = own_app.test_client().get("/admin/data")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for name in ("olive", "mary"):
        assert signed_in(own_app, name).get("/admin/data").status_code == 403
    link = 'href="/admin/data">Data in use</a>'
    assert link in signed_in(own_app, "ada").get("/").get_data(as_text=True)
    assert link not in signed_in(own_app, "olive").get("/").get_data(as_text=True)


# --- settings and their checks ------------------------------------------------------------------------


def test_a_missing_network_folder_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=f"^the road network folder {re.escape(str(tmp_path / 'none'))} does not exist$"):
        create_app({"TESTING": True, "DATA_NETWORK": str(tmp_path / "none")})


def test_a_folder_without_a_built_network_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=f"no drive network in {re.escape(str(tmp_path))}"):
        create_app({"TESTING": True, "DATA_NETWORK": str(tmp_path)})


def test_environment_paths_are_read_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "missing.zip"
    monkeypatch.setenv("GEOACCESS_GTFS", f"{NYC}{os.pathsep}{missing}")
    with pytest.raises(BadInput, match=f"^the GTFS feed {re.escape(str(missing))} does not exist$"):
        create_app({"TESTING": True})
    monkeypatch.setenv("GEOACCESS_GTFS", "")
    monkeypatch.setenv("GEOACCESS_CIF", str(tmp_path))
    with pytest.raises(BadInput, match=f"^the CIF file {re.escape(str(tmp_path))} is not a file$"):
        create_app({"TESTING": True})


def test_serve_help_shows_the_data_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--network", "--gtfs", "--cif", "GEOACCESS_GTFS"):
        assert option in result.output


def test_serve_refuses_a_bad_path_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("waitress.serve", lambda *a, **k: pytest.fail("waitress started"))
    result = CliRunner().invoke(main, ["serve", "--gtfs", str(NYC), "--gtfs", str(tmp_path / "feed.zip")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stderr.strip() == f"geoaccess: the GTFS feed {tmp_path / 'feed.zip'} does not exist"


def test_serve_hands_waitress_an_app_on_the_data_given(kouvola: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Flask] = []
    monkeypatch.setattr("waitress.serve", lambda app, **_: served.append(app))
    result = CliRunner().invoke(main, ["serve", "--network", str(kouvola), "--gtfs", str(NYC)])
    assert result.exit_code == 0, result.output
    assert "data in use: car network: osm (2019-01-23" in result.output
    choice = data_choice(served[0])
    assert choice.network == kouvola.resolve() and choice.gtfs == (NYC.resolve(),)
    background.shutdown(served[0], wait=False)
