"""The home page, the venue map page (the venue MapDocument, drawn interactive) and the vendored assets."""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from geoaccess.attribution import ONS_ATTRIBUTION, OS_ATTRIBUTION
from geoaccess.maps.builders import KIND_STYLES, basemap, venues_map
from geoaccess.maps.interactive import render_interactive
from geoaccess.maps.offline_assets import served_files, solid_icons
from geoaccess.pack import Pack
from geoaccess.venues import KINDS, Programme, Session, Venue, load_venues
from geoaccess.web import create_app

EVIL = "<script>alert(1)</script>"
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}


def _venue(**changes: object) -> Venue:
    bbr = Programme(
        code="BBR", name="Building Better Relationships", sessions=(Session("Thu", "18:00", "20:30"),), basis="sourced"
    )
    venue = Venue(
        id="carlisle-test-office",
        name="Carlisle Test Office",
        kind="probation_office",
        organisation="Probation Service",
        address="1 Lowther Street",
        postcode="CA3 8DR",
        town="Carlisle",
        lon=-2.93,
        lat=54.89,
        position_basis="postcode centroid",
        confidence="high",
        programmes=(bbr,),
        opening_days=("Mon", "Tue"),
        source="test",
        source_date="2025-01-01",
    )
    return dataclasses.replace(venue, **changes)


SAMPLE = [
    _venue(),
    _venue(
        id="workington-hub",
        name="Workington Hub",
        kind="hub",
        town="Workington",
        lon=-3.55,
        lat=54.64,
        confidence="approximate",
        position_basis="town centre of Workington",
        programmes=(),
    ),
    _venue(
        id="evil",
        name=EVIL,
        kind="court",
        organisation="${alert(2)}`",
        town="Kendal",
        lon=-2.75,
        lat=54.33,
        address="</script><b>x</b>",
        source_date="2024-06-30",
    ),
]


@pytest.fixture()
def app() -> Flask:
    return create_app({"TESTING": True, "VENUE_LOADER": lambda: SAMPLE})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _call_args(html: str, method: str) -> list[str]:
    """First (JSON string) argument of every ``.method(...)`` call in the page."""
    return [json.loads(m) for m in re.findall(rf'\.{method}\(("(?:[^"\\]|\\.)*")', html)]


def _features(html: str) -> list[dict]:
    """Every GeoJSON feature the page adds to the map."""
    collections = [json.loads(m) for m in re.findall(r"_add\((\{\"features\".*?\})\);\n", html)]
    return [feature for collection in collections for feature in collection["features"]]


def _venue_features(html: str) -> list[dict]:
    """The venues' features: the only ones with a popup (basemap features have none)."""
    return [f for f in _features(html) if "ga_popup" in f["properties"]]


def test_home_page_shows_title_map_and_every_venue(client: FlaskClient) -> None:
    html = _text(client, "/")
    assert "geoaccess — Cumbria probation venues" in html
    assert "<iframe" in html and 'src="/map/venues"' in html
    for venue in SAMPLE[:2]:
        assert venue.name in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and EVIL not in html


def test_the_map_page_is_in_english_and_lets_readers_zoom(client: FlaskClient) -> None:
    html = _text(client, "/map/venues")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    viewport = re.findall(r'<meta name="viewport"[^>]*>', html)
    assert viewport == ['<meta name="viewport" content="width=device-width, initial-scale=1.0">']  # no zoom cap


def test_home_page_lists_the_registry() -> None:
    venues = load_venues()
    html = _text(create_app({"TESTING": True}).test_client(), "/")
    for venue in venues:
        assert str(escape(venue.name)) in html, venue.name


def test_map_has_a_pin_per_venue_a_layer_per_kind_layer_control_last(client: FlaskClient) -> None:
    html = _text(client, "/map/venues")
    venues = _venue_features(html)
    assert len(venues) == len(SAMPLE)
    assert {tuple(f["geometry"]["coordinates"]) for f in venues} == {(v.lon, v.lat) for v in SAMPLE}
    assert html.count("new iconRootAlias.DivIcon(") == 3, "each kind's pins are Leaflet DivIcons"
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.DOTALL)
    assert overlays is not None
    assert re.findall(r'"([^"]+)"\s*:', overlays.group(1)) == ["Probation office", "Hub", "Court"]
    assert html.rindex("L.control.layers(") > html.rindex("_add(")


def test_pins_show_the_kind_by_glyph_as_well_as_colour(client: FlaskClient) -> None:
    html = _text(client, "/map/venues")
    for kind in ("probation_office", "hub", "court"):
        style = KIND_STYLES[kind]
        assert f"background:{style.colour}" in html and f"fa-solid fa-{style.icon}" in html, kind
    assert html.count("ga-pin ga-dashed") == 2, "the approximate hub's pin and its legend key are dashed"
    controls = [json.loads(m) for m in re.findall(r'd\.innerHTML=("(?:[^"\\]|\\.)*");', html)]
    legend = next(c for c in controls if "ga-pin" in c)
    for label in ("Venues", "Probation office", "Hub", "Court", "approximate position"):
        assert label in legend
    assert legend.count('class="ga-pin') == 4


def test_pages_reference_no_external_url(client: FlaskClient) -> None:
    for url in ("/", "/map/venues"):
        html = _text(client, url).replace("http-equiv", "")
        assert not re.search(r"https?://|//cdn", html), url


def test_every_vendor_url_in_the_pages_is_served(client: FlaskClient) -> None:
    urls = set()
    for page in ("/", "/map/venues"):
        urls |= set(re.findall(r'(?:src|href)="(/vendor/[^"]+)"', _text(client, page)))
    assert len(urls) >= 8
    for url in sorted(urls):  # plus what their stylesheets load by url()
        if url.endswith(".css"):
            css = _text(client, url)
            urls |= {
                posixpath.normpath(posixpath.join(posixpath.dirname(url), ref))
                for ref in CSS_URL.findall(css)
                if not ref.startswith(("data:", "#"))
            }
    assert any("/webfonts/" in u for u in urls)
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == CONTENT_TYPES[posixpath.splitext(url)[1]], url


@pytest.mark.parametrize(
    "url",
    [
        "/vendor/../pyproject.toml",
        "/vendor/leaflet/../../pyproject.toml",
        "/vendor/%2e%2e/pyproject.toml",
        "/vendor/leaflet/leaflet-src.js",  # on disk beside leaflet.js, but not listed
        "/vendor/nothing.js",
    ],
)
def test_vendor_serves_only_listed_files(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_vendor_lists_files_that_exist() -> None:
    assert all(path.is_file() for path in served_files().values())


def test_every_kind_has_its_own_colour_and_glyph() -> None:
    assert list(KIND_STYLES) == list(KINDS), "one style per kind, in the registry's order"
    styles = KIND_STYLES.values()
    assert len({s.colour.lower() for s in styles}) == len({s.icon for s in styles}) == len(KINDS)
    assert all(s.icon in solid_icons() for s in styles)


def test_popups_escape_registry_text(client: FlaskClient) -> None:
    html = _text(client, "/map/venues")
    assert EVIL not in html and "</script><b>" not in html
    assert html.count("${alert") == 1  # inside the popup's JSON string, checked below
    venues = _venue_features(html)
    popups = [f["properties"]["ga_popup"] for f in venues]
    assert len(popups) == len(SAMPLE)
    evil = next(p for p in popups if "alert(1)" in p)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evil
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in evil
    assert "${alert(2)}`" in evil  # a JSON string, never a JS template literal
    assert any("&lt;script&gt;" in f["properties"]["ga_tooltip"] for f in venues)


def test_popup_content(client: FlaskClient) -> None:
    popups = [f["properties"]["ga_popup"] for f in _venue_features(_text(client, "/map/venues"))]
    office = next(p for p in popups if "Carlisle Test Office" in p)
    for text in (
        "Probation office",
        "Probation Service",
        "1 Lowther Street, CA3 8DR",
        "BBR",
        "Building Better Relationships",
        "Thu 18:00–20:30 (sessions sourced)",
        "Opening days: Mon, Tue",
        "Position confidence: high",
    ):
        assert text in office, text
    assert "Approximate position" not in office
    hub = next(p for p in popups if "Workington Hub" in p)
    assert "Approximate position: town centre of Workington" in hub


def test_attribution_and_provenance(client: FlaskClient) -> None:
    (attribution,) = _call_args(_text(client, "/map/venues"), "addAttribution")
    assert str(escape(OS_ATTRIBUTION)) in attribution and str(escape(ONS_ATTRIBUTION)) in attribution
    assert "venue registry (sources dated 2024–2025" in attribution
    assert "positions marked approximate are estimates" in attribution


def test_map_draws_the_pack_basemap_beneath_the_venues(client: FlaskClient, pack: Pack) -> None:
    html = _text(client, "/map/venues")
    first = html.index("L.geoJson(")
    assert '"className": "ga-area ga-basemap"' in html[first : first + 400]
    assert html.count('"interactive": false') == 3, "districts, railways and towns are inert"
    assert len(_features(html)) == sum(len(layer.frame) for layer in basemap(pack)) + len(SAMPLE)


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_responses_forbid_other_origins(client: FlaskClient) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy


def test_pins_and_labels_are_laid_out_at_every_zoom(pack: Pack) -> None:
    """Venues sharing a position (or crowding a town) are spread apart in the browser, where the scale is known:
    the layout script gets every kind's pins and the town labels, and runs on each zoom and layer toggle
    (tests/test_browser_home.py checks what it does)."""
    twin = _venue(id="carlisle-twin", name="Carlisle Twin", kind="hub")
    html = render_interactive(venues_map(pack, [SAMPLE[0], twin]), asset_prefix="/vendor/").get_root().render()
    layout = html[html.index("pinLayers=") :]
    pins = re.search(r"pinLayers=\[\[\[([^\]]*)\],13\],\]", layout)
    assert pins is not None and len(pins.group(1).split(",")) == 2, "one pin layer: a GeoJSON per kind"
    labels = re.search(r"labelGroups=\[([^\]]*)\]", layout)
    assert labels is not None and all(f"var {name}=L.layerGroup()" in html for name in labels.group(1).split(","))
    assert "map.on('zoomend overlayadd overlayremove',layout)" in layout
    assert html.index("pinLayers=") > html.rindex("_add("), "laid out after every layer is on the map"
