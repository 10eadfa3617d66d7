"""Signing in and finding one's way, in headless Chromium at desktop and phone sizes: each role lands on its own
page, reaches every page it may use from the navigation, can skip to the content by keyboard, and axe-core finds
no serious or critical problem on any of those pages or their maps. Screenshots go to ``tests/artifacts``.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` Python package.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import ARTIFACTS, fill_in_the_barrow_check, serious_violations, served_app, watched_page
from web_support import PASSWORD

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
LANDING = {"olive": "/officer", "mona": "/planner", "adam": "/admin/users"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with an officer, a manager and an admin, served on a free loopback port."""
    users = {"olive": "officer", "mona": "manager", "adam": "admin"}
    with served_app(tmp_path_factory.mktemp("browser-navigation"), users) as (url, _):
        yield url


def sign_in(page: object, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{LANDING[name]}")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", LANDING)
def test_each_role_lands_on_its_page_and_every_page_in_reach_passes_axe(
    served: str, browser: object, name: str, size: str
) -> None:
    page, watch = watched_page(browser, SIZES[size])
    sign_in(page, served, name)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    links = page.locator("nav .nav-link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert LANDING[name] in hrefs and "/officer" in hrefs
    problems = {}
    for href in hrefs:
        page.goto(f"{served}{href}", wait_until="networkidle")
        assert page.locator('nav .nav-link[aria-current="page"]').get_attribute("href") == href
        problems.update(serious_violations(page))
        shot = href.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(ARTIFACTS / f"navigation-{name}-{size}-{shot}.png"))
    assert not problems, problems
    assert not (watch.blocked or watch.failed or watch.errors), (watch.blocked, watch.failed, watch.errors)


@pytest.mark.parametrize("size", SIZES)
def test_the_sign_in_page_and_an_officers_result_pass_axe(served: str, browser: object, size: str) -> None:
    page, watch = watched_page(browser, SIZES[size])
    page.goto(f"{served}/login", wait_until="networkidle")
    assert not serious_violations(page)
    sign_in(page, served, "olive")
    fill_in_the_barrow_check(page)
    page.frame_locator("iframe.ga-journey-map").locator("path.ga-line").first.wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    problems = serious_violations(page)
    page.screenshot(path=str(ARTIFACTS / f"navigation-officer-result-{size}.png"), full_page=True)
    assert not problems, problems
    assert not (watch.blocked or watch.failed or watch.errors), (watch.blocked, watch.failed, watch.errors)
