"""A standalone map file in headless Chromium, opened from disk with networking off.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright``
Python package; Playwright's own browser download is not used. The screenshot
is kept in ``tests/artifacts/standalone.png``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from browser_support import ARTIFACTS
from shapely.geometry import LineString, Point, box

from geoaccess.maps.document import OKABE_ITO, SEQUENTIAL, Layer, LegendEntry, MapDocument
from geoaccess.maps.interactive import save_html
from geoaccess.pack import Pack

pytestmark = pytest.mark.browser

HOSTILE = ["<script>alert(1)</script>", "${alert(2)}"]


def _document(pack: Pack) -> MapDocument:
    bands = gpd.GeoDataFrame(
        {
            "band": ["up to 30 min", "30 to 60 min", "60 to 90 min"],
            "colour": [SEQUENTIAL[0], SEQUENTIAL[2], SEQUENTIAL[4]],
            "tip": ["Carlisle: within 30 min", "Wigton: 30 to 60 min", "Penrith: 60 to 90 min"],
        },
        geometry=[box(-3.00, 54.86, -2.86, 54.92), box(-3.20, 54.80, -3.12, 54.86), box(-2.80, 54.64, -2.70, 54.69)],
        crs=4326,
    )
    rail = gpd.GeoDataFrame(
        {"name": ["West Coast Main Line"]},
        geometry=[LineString([(-2.933, 54.891), (-2.85, 54.80), (-2.758, 54.662)])],
        crs=4326,
    )
    venues = gpd.GeoDataFrame(
        {
            "name": [*HOSTILE, "Penrith office", "Carlisle & Eden hub"],
            "popup": [*HOSTILE, "Penrith office\nThursday 18:00", "Carlisle & Eden hub"],
        },
        geometry=[Point(-2.933, 54.891), Point(-2.95, 54.75), Point(-2.758, 54.662), Point(-2.91, 54.88)],
        crs=4326,
    )
    offices = gpd.GeoDataFrame(
        {"name": ["Penrith office", "Penrith hub"], "icon": ["building", "circle-nodes"]},
        geometry=[Point(-2.755, 54.665), Point(-2.755, 54.665)],  # one position: the pins fan out
        crs=4326,
    )
    return MapDocument(
        title="Travel time to BBR groups",
        subtitle="Public transport, Thursday evening",
        layers=[
            Layer("Districts", pack.districts, "polygons", basemap=True, label="district"),
            Layer(
                "Travel time",
                bands,
                "polygons",
                colour_column="colour",
                tooltip="tip",
                popup="band",
                legend=[LegendEntry(b, c) for b, c in zip(bands["band"], bands["colour"], strict=True)],
            ),
            Layer(
                "Rail",
                rail,
                "lines",
                colour="#000000",
                line_width=2.5,
                tooltip="name",
                legend=[LegendEntry("Rail line", "#000000", "line")],
            ),
            Layer(
                "Venues",
                venues,
                "points",
                colour=OKABE_ITO[5],
                radius=7,
                popup="popup",
                tooltip="name",
                label="name",
                legend=[LegendEntry("Venue", OKABE_ITO[5], "circle")],
            ),
            Layer(
                "Offices",
                offices,
                "points",
                colour=OKABE_ITO[4],
                icon_column="icon",
                radius=13,
                tooltip="name",
                legend=[LegendEntry("Office", OKABE_ITO[4], "circle", icon="building")],
            ),
        ],
        attribution=[
            "Contains OS data © Crown copyright and database right 2024",
            "Contains ONS data licensed under the Open Government Licence v3.0",
        ],
        provenance="Network: proxy; timetable: modelled",
        modelled=True,
    )


def test_standalone_map_renders_from_disk_with_networking_off(browser: object, pack: Pack, tmp_path: Path) -> None:
    doc = _document(pack)
    path = save_html(doc, tmp_path / "standalone.html")
    requests: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []

    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)

    def local_only(route: object, request: object) -> None:
        if request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("window.L !== undefined && document.querySelector('path.ga-point') !== null")
    page.locator(".ga-legend").wait_for(state="visible")
    page.locator(".ga-title").wait_for(state="visible")
    page.wait_for_function("document.querySelector('.leaflet-zoom-anim') === null")  # view settled

    counts = {
        name: page.locator(selector).count()
        for name, selector in {
            "points": "path.ga-point.leaflet-interactive",
            "areas": "path.ga-area.leaflet-interactive",
            "lines": "path.ga-line.leaflet-interactive",
            "basemap": "path.ga-basemap",
            "interactive basemap": "path.ga-basemap.leaflet-interactive",
            "labels": ".ga-label",
        }.items()
    }
    title = page.locator(".ga-title").inner_text()
    legend = page.locator(".ga-legend").inner_text()
    layer_names = page.locator(".leaflet-control-layers-overlays").inner_text()
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    scale = page.locator(".leaflet-control-scale").count()
    external_links = page.locator("a[href^='http']").count()
    pins = [page.locator(".ga-marker").nth(i).bounding_box() for i in range(page.locator(".ga-marker").count())]
    glyph_font = page.locator(".ga-marker i").first.evaluate("e => getComputedStyle(e, '::before').fontFamily")
    font_faces = page.evaluate(
        "async () => (await document.fonts.load('900 16px \"Font Awesome 6 Free\"', '\\uf007')).length"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "standalone.png"))

    popups = []
    for index in range(len(HOSTILE)):
        page.locator("path.ga-point").nth(index).click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible")
        popups.append(popup.inner_text())
        page.locator(".leaflet-popup-close-button").click()
        page.locator(".leaflet-popup").wait_for(state="detached")
    context.close()

    assert blocked == [], f"the page tried network requests: {blocked}"
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert errors == [], f"console errors: {errors}"
    assert dialogs == [], f"text from the data ran as script: {dialogs}"
    assert counts == {
        "points": 4,
        "areas": 3,
        "lines": 1,
        "basemap": len(pack.districts),
        "interactive basemap": 0,
        "labels": 4 + len(pack.districts),
    }
    assert "Travel time to BBR groups" in title and "MODELLED" in title
    for label in ("up to 30 min", "60 to 90 min", "Rail line", "Venue", "Travel time"):
        assert label in legend
    for name in ("Travel time", "Rail", "Venues"):
        assert name in layer_names
    assert "Districts" not in layer_names, "basemap layers stay out of the layer control"
    assert attribution.startswith("Leaflet") and "Contains OS data" in attribution
    assert "MODELLED figures" in attribution and "Network: proxy" in attribution
    assert scale == 1
    assert external_links == 0, "the map links to an external site"
    assert font_faces > 0, "the inlined Font Awesome webfont did not load"
    assert popups == HOSTILE, "popups must show the names as text"
    first, second = pins
    assert first is not None and second is not None, "both pins drawn"
    assert abs(first["x"] - second["x"]) >= first["width"] or abs(first["y"] - second["y"]) >= first["height"], (
        "pins at one position fan out"
    )
    assert "Font Awesome 6 Free" in glyph_font
