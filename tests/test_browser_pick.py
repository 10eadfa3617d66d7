"""The officer page's pick map in headless Chromium: clicking it puts "lat,lon" in the home field. No external request.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` Python package.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from geoaccess.geocode import geocode
from geoaccess.web import create_app
from geoaccess.web.accounts import create_user
from geoaccess.web.db import session_scope

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "a long enough password 1"
LATLON = re.compile(r"^(-?\d+\.\d{5}),(-?\d+\.\d{5})$")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app (temporary SQLite database and venue file, one officer) served by waitress on loopback."""
    from waitress import wasyncore
    from waitress.server import create_server

    folder = tmp_path_factory.mktemp("browser-pick")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'test.sqlite'}", "SECRET_KEY": "browser-test",
                      "SESSION_COOKIE_SECURE": False, "BOOTSTRAP_ADMIN": False,
                      "VENUES_FILE": str(folder / "venues.geojson")})
    with app.app_context(), session_scope() as db:
        create_user(db, "olive", "officer", PASSWORD, must_change_password=False)
    socket_map: dict = {}
    server = create_server(app, map=socket_map, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.task_dispatcher.shutdown()
    wasyncore.close_all(socket_map)
    thread.join(timeout=5)
    from geoaccess.web import jobs

    jobs.shutdown(app, wait=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium: apt-get update && apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python: pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_clicking_the_pick_map_fills_in_the_home_field(served: str, browser: object) -> None:
    base_url = served
    blocked: list[str] = []
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 1200})

    def only_loopback(route: object, request: object) -> None:
        if urlsplit(request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base_url}/officer")  # anonymous: sent to sign in, then back
        page.fill("#name", "olive")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/officer")

        page.wait_for_selector("#ga-pick.leaflet-container")
        dots = page.locator("#ga-pick path.leaflet-interactive")
        dots.first.wait_for(state="attached")
        venues = dots.count()
        assert venues > 5  # the venues are drawn so the officer can orient
        assert page.input_value("#home") == ""

        points = json.loads(page.get_attribute("#ga-pick", "data-venues"))
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        box = page.locator("#ga-pick").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the venues' centre
        page.wait_for_function("document.getElementById('home').value !== ''")
        first = page.input_value("#home")
        match = LATLON.match(first)
        assert match, first
        lat, lon = float(match.group(1)), float(match.group(2))
        assert min(lats) < lat < max(lats) and min(lons) < lon < max(lons)  # latitude first, among the venues
        assert dots.count() == venues + 1  # the picked point is marked
        assert geocode(first).lat == pytest.approx(lat)  # the geocoder takes it as "lat,lon"

        page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
        page.wait_for_function(f"document.getElementById('home').value !== {first!r}")
        second = LATLON.match(page.input_value("#home"))
        assert second and float(second.group(2)) > lon and float(second.group(1)) > lat  # east and north
        assert dots.count() == venues + 1  # one marker, moved
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "officer_pick.png"), full_page=True)
    finally:
        context.close()

    assert not blocked, f"requests beyond loopback: {blocked}"
    assert not errors, errors
