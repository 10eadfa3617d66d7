"""The manager's planner in headless Chromium: synthetic caseload, today's BBR against BBR in Barrow too.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright``
Python package; Playwright's own browser download is not used. The app is
served by waitress on loopback with a temporary SQLite database; any request
beyond 127.0.0.1 is aborted and fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import ARTIFACTS, served_app, watched_page
from web_support import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    """The app (temporary database, one manager) served on a free loopback port."""
    with served_app(tmp_path_factory.mktemp("planner-browser"), {"manager1": "manager"}) as (url, _):
        yield url


def test_planner_compare_today_with_barrow(base_url: str, browser: object) -> None:
    page, watch = watched_page(browser, {"width": 1280, "height": 1000})
    blocked, failed, errors = watch.blocked, watch.failed, watch.errors
    progress_seen: list[str] = []

    page.goto(f"{base_url}/planner")
    assert "/login" in page.url
    page.fill("#name", "manager1")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/planner")
    assert "SYNTHETIC" in page.inner_text("#caseloads")

    # a scenario from today's BBR venues, with Barrow added on Thursday evenings
    page.select_option("#new-programme", "BBR")
    page.fill("#new-name", "BBR in Barrow too")
    page.click("#new-scenario button[type=submit]")
    card = page.locator(".ga-scenario[data-scenario-name='BBR in Barrow too']")
    card.wait_for()
    card.locator(".ga-add-venue select").select_option("barrow-crc-centre")
    card.locator(".ga-add-venue input[name=sessions]").fill("Thu 18:00-20:30")
    card.locator(".ga-add-venue button[type=submit]").click()
    card = page.locator(".ga-scenario[data-scenario-name='BBR in Barrow too']")
    card.locator("td", has_text="Barrow neighbourhood centre").first.wait_for()
    assert "Thu 18:00-20:30" in card.inner_html()

    # compare it with today's BBR venues, on the synthetic caseload
    page.select_option("#compare-caseload", "synthetic")
    page.select_option("#compare-baseline", "today:BBR")
    page.locator("#run-compare label", has_text="BBR in Barrow too").click()
    page.click("#run-compare button[type=submit]")
    page.wait_for_url("**/planner/results/*")
    bar = page.locator(".ga-progress")
    if bar.is_visible():
        progress_seen.append(bar.get_attribute("aria-valuenow"))
        page.wait_for_function(
            "() => { const b = document.querySelector('.ga-progress');"
            " return !b || b.getAttribute('aria-valuenow') === '100'; }",
            timeout=120_000,
        )
        progress_seen.append("100")
    page.locator("table.ga-overall").wait_for(timeout=120_000)

    overall = page.inner_text("table.ga-overall")
    gains = page.inner_text("table.ga-gains")
    map_frame = page.frame_locator("iframe.ga-result-map").first
    map_frame.locator("path.leaflet-interactive").first.wait_for(state="visible", timeout=20_000)
    map_frame.locator(".ga-legend").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    header = page.inner_text("h1")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "planner.png"), full_page=True)
    page.context.close()

    assert blocked == [], f"the page tried external requests: {blocked}"
    assert failed == [], f"requests failed: {failed}"
    assert errors == [], f"console errors: {errors}"
    assert progress_seen and progress_seen[-1] == "100"
    assert "SYNTHETIC" in header
    assert "today (BBR)" in overall and "BBR in Barrow too" in overall and "Change" in overall
    assert "Barrow-in-Furness" in gains
