"""The officer page's pick map in headless Chromium: clicking it puts "lat,lon" in the home field. No external request.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` Python package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from browser_support import ARTIFACTS, served_app, watched_page
from web_support import PASSWORD

from geoaccess.geocode import geocode

pytestmark = pytest.mark.browser

LATLON = re.compile(r"^(-?\d+\.\d{5}),(-?\d+\.\d{5})$")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app (temporary SQLite database and venue file, one officer) served on loopback."""
    folder = tmp_path_factory.mktemp("browser-pick")
    with served_app(folder, {"olive": "officer"}, VENUES_FILE=str(folder / "venues.geojson")) as (url, _):
        yield url


def test_clicking_the_pick_map_fills_in_the_home_field(served: str, browser: object) -> None:
    base_url = served
    page, watch = watched_page(browser, {"width": 1280, "height": 1200})
    blocked, errors = watch.blocked, watch.errors
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
        page.context.close()

    assert not blocked, f"requests beyond loopback: {blocked}"
    assert not errors, errors
