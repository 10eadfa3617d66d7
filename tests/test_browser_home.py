"""The home page in headless Chromium: the map renders with no external request.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright``
Python package; Playwright's own browser download is not used.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import ARTIFACTS, served, watched_page

from geoaccess.venues import load_venues
from geoaccess.web import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    """The app (temporary database) served on a free loopback port."""
    database = tmp_path_factory.mktemp("db") / "geoaccess.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "browser-test", "TESTING": True})
    with served(app) as url:
        yield url


def test_home_page_renders_the_venue_map_offline(base_url: str, browser: object) -> None:
    page, watch = watched_page(browser, {"width": 1280, "height": 1100})
    blocked, failed, errors = watch.blocked, watch.failed, watch.errors

    page.goto(f"{base_url}/", wait_until="networkidle")
    map_frame = page.frame_locator("iframe.ga-map")
    markers = map_frame.locator(".leaflet-marker-icon")
    markers.first.wait_for(state="visible", timeout=10_000)
    map_frame.locator(".ga-legend").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    fonts_ok = map_frame.locator("body").evaluate(
        "async () => { await document.fonts.ready; return document.fonts.check('900 13px \"Font Awesome 6 Free\"'); }"
    )
    basemap_paths = map_frame.locator(".leaflet-overlay-pane path").count()
    marker_count = markers.count()
    external_links = map_frame.locator("a[href^='http']").count()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    page.context.close()

    assert blocked == [], f"the page tried external requests: {blocked}"
    assert failed == [], f"requests failed: {failed}"
    assert errors == [], f"console errors: {errors}"
    assert marker_count == len(load_venues())
    assert fonts_ok, "Font Awesome webfont did not load"
    assert external_links == 0, "the map links to an external site"
    assert basemap_paths > 0, "district basemap not drawn"
