"""The home page in headless Chromium: the venue map (the venue MapDocument, drawn interactive) renders with
no external request: a pin per venue with its kind's glyph, the legend, the basemap, attribution and provenance.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright``
Python package; Playwright's own browser download is not used.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import ARTIFACTS, served, watched_page

from geoaccess.venues import KINDS, load_venues
from geoaccess.web import create_app

pytestmark = pytest.mark.browser

LAYOUT = """() => {
  const discs = [...document.querySelectorAll('.ga-marker')].map(e => {
    const r = e.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2, r: r.width / 2, name: e.title || e.innerHTML};
  });
  const found = {'overlapping pins': [], 'labels on pins': []};
  discs.forEach((a, i) => discs.slice(0, i).forEach(b => {
    if (Math.hypot(a.x - b.x, a.y - b.y) < a.r + b.r - 0.5) found['overlapping pins'].push([a.x, a.y, b.x, b.y]);
  }));
  document.querySelectorAll('.ga-label span').forEach(s => {
    const t = s.getBoundingClientRect();
    discs.forEach(d => {
      const nx = Math.max(t.left, Math.min(d.x, t.right)), ny = Math.max(t.top, Math.min(d.y, t.bottom));
      if (Math.hypot(nx - d.x, ny - d.y) < d.r - 1) found['labels on pins'].push(s.textContent);
    });
  });
  return found;
}"""
"""Pins that overlap one another, and labels that cover a pin, on screen."""
ZOOM_IN = """() => new Promise(done => {
  const map = window[Object.keys(window).find(name => /^map_[0-9a-f]+$/.test(name))];
  map.once('zoomend', () => requestAnimationFrame(done));
  map.zoomIn();
})"""
"""Zoom the map in a step, and wait until it has settled."""


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
    pins = map_frame.locator(".leaflet-marker-icon.ga-marker")
    pins.first.wait_for(state="visible", timeout=10_000)
    legend = map_frame.locator(".ga-legend")
    legend.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    map_frame.locator("body").evaluate(  # the view settled: no zoom animation under way
        "() => new Promise(done => { const wait = () => document.querySelector('.leaflet-zoom-anim') ? "
        "requestAnimationFrame(wait) : done(); wait(); })"
    )
    fonts_ok = map_frame.locator("body").evaluate(
        "async () => { await document.fonts.ready; return document.fonts.check('900 13px \"Font Awesome 6 Free\"'); }"
    )
    basemap_paths = map_frame.locator("path.ga-basemap").count()
    crowding = map_frame.locator("body").evaluate(LAYOUT)
    pin_count = pins.count()
    glyphs = map_frame.locator(".ga-marker .ga-pin i.fa-solid").count()
    legend_text = legend.inner_text()
    legend_pins = legend.locator(".ga-pin").count()
    layer_names = map_frame.locator(".leaflet-control-layers-overlays").inner_text()
    attribution = map_frame.locator(".leaflet-control-attribution").inner_text()
    external_links = map_frame.locator("a[href^='http']").count()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    pins.first.click()
    popup = map_frame.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    popup_text = popup.inner_text()
    map_frame.locator(".leaflet-popup-close-button").click()
    map_frame.locator("body").evaluate(ZOOM_IN)  # laid out again at the new scale
    crowding_zoomed = map_frame.locator("body").evaluate(LAYOUT)
    page.context.close()

    venues = load_venues()
    kinds = [KINDS[kind] for kind in KINDS if any(v.kind == kind for v in venues)]
    assert blocked == [], f"the page tried external requests: {blocked}"
    assert failed == [], f"requests failed: {failed}"
    assert errors == [], f"console errors: {errors}"
    assert pin_count == glyphs == len(venues)
    assert fonts_ok, "Font Awesome webfont did not load"
    assert external_links == 0, "the map links to an external site"
    assert basemap_paths > 0, "district basemap not drawn"
    assert all(kind in legend_text for kind in kinds) and "approximate position" in legend_text
    assert legend_pins == len(kinds) + 1, "a pin per kind, and the dashed key to approximate positions"
    assert all(kind in layer_names for kind in kinds), "the layer control switches each kind"
    assert attribution.startswith("Leaflet") and "Contains OS data" in attribution
    assert "venue registry (sources dated" in attribution, "provenance of the venues"
    assert "Position confidence" in popup_text
    assert crowding == crowding_zoomed == {"overlapping pins": [], "labels on pins": []}
