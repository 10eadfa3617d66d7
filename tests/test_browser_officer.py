"""The officer's journey check in headless Chromium: sign in, check, see the map, save. No external request.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` Python package.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import ARTIFACTS, fill_in_the_barrow_check, served_app, watched_page
from web_support import PASSWORD

from geoaccess.web.db import SavedCheck, session_scope

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """The app (temporary SQLite database, one officer) served on a free loopback port."""
    with served_app(tmp_path_factory.mktemp("browser-officer"), {"olive": "officer"}) as url_and_app:
        yield url_and_app


def test_officer_checks_a_journey_sees_the_map_and_saves_it(served: tuple[str, object], browser: object) -> None:
    base_url, app = served
    page, watch = watched_page(browser, {"width": 1280, "height": 1500})
    blocked, failed, errors = watch.blocked, watch.failed, watch.errors

    page.goto(f"{base_url}/officer")  # anonymous: sent to sign in, then back
    page.fill("#name", "olive")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/officer")

    fill_in_the_barrow_check(page)
    assert "LA14" not in page.url

    page.wait_for_function("() => document.activeElement.id === 'ga-headline'")  # the answer is focused, read out first
    assert -2 < page.locator("#ga-headline").bounding_box()["y"] < 250  # and at the top of the window
    assert page.inner_text("#ga-headline").startswith("Leave by ")
    verdict = page.inner_text("#ga-verdict")
    assert "Works, but hard" in verdict and "modelled" in verdict
    assert "more than two hours" in verdict and "20:30 on Thursday" in verdict and "after 23:00" in verdict
    assert "Barrow-In-Furness" in page.inner_text("#ga-outbound")
    assert "Carlisle" in page.inner_text("#ga-return") and "home" in page.inner_text("#ga-return")
    assert page.locator("#ga-week tbody tr").count() == 2  # BBR is held on Wednesdays at Preston, Thursdays at Carlisle
    assert "MODELLED" in page.inner_text("#ga-provenance")

    frame = page.frame_locator("iframe.ga-journey-map")
    frame.locator("path.ga-line").first.wait_for(state="attached", timeout=20_000)
    assert frame.locator("path.ga-line").count() >= 4  # walk, train, train, walk there; and home
    assert "Carlisle" in frame.locator(".ga-title").inner_text()
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "officer.png"), full_page=True)

    page.fill("#label", "browser case BBR")
    page.click("#ga-save")
    page.wait_for_url(f"{base_url}/officer/checks")
    assert "browser case BBR" in page.inner_text("#ga-saved")
    assert "LA14" not in page.content()
    with app.app_context(), session_scope() as db:
        rows = db.query(SavedCheck).all()
    assert len(rows) == 1 and "LA14" not in rows[0].summary_json

    page.context.close()
    assert not blocked, f"requests beyond this machine were attempted: {blocked}"
    assert not failed, failed
    assert not errors, errors
