"""Folium rendering of a MapDocument, and the standalone HTML file (no browser needed)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from geoaccess.errors import BadInput
from geoaccess.maps import interactive
from geoaccess.maps.document import OKABE_ITO, SEQUENTIAL, Layer, LegendEntry, MapDocument, ink
from geoaccess.maps.interactive import render_interactive, save_html, standalone_html
from geoaccess.maps.offline_assets import ASSETS
from geoaccess.pack import Pack

HOSTILE = ["<script>alert(1)</script>", "${alert(2)}"]
URL = re.compile(r"https?://", re.IGNORECASE)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each script and style element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: list[tuple[str, dict[str, str | None], str]] = []
        self._open: tuple[str, dict[str, str | None], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = (tag, dict(attrs), [])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            self.blocks.append((tag, self._open[1], "".join(self._open[2])))
            self._open = None


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    names = [tag for tag, _ in parser.tags]
    assert names.count("html") == names.count("head") == names.count("body") == 1
    return parser


def _document(districts: gpd.GeoDataFrame | None = None, **overrides: object) -> MapDocument:
    bands = gpd.GeoDataFrame(
        {
            "band": ["up to 30 min", "30 to 60 min"],
            "colour": [SEQUENTIAL[0], SEQUENTIAL[2]],
            "tip": ["Carlisle & district", None],
        },
        geometry=[box(-3.0, 54.86, -2.88, 54.92), box(-2.80, 54.64, -2.70, 54.70)],
        crs=4326,
    )
    rail = gpd.GeoDataFrame(
        {"name": ["West Coast Main Line"]}, geometry=[LineString([(-2.933, 54.891), (-2.758, 54.662)])], crs=4326
    )
    venues = gpd.GeoDataFrame(
        {"name": [*HOSTILE, "Penrith office"], "popup": [*HOSTILE, "Penrith office\nThursday 18:00"]},
        geometry=[Point(-2.933, 54.891), Point(-2.9, 54.75), Point(-2.758, 54.662)],
        crs=4326,
    )
    layers = [
        Layer(
            "Travel time",
            bands,
            "polygons",
            colour_column="colour",
            tooltip="tip",
            legend=[LegendEntry("up to 30 min", SEQUENTIAL[0]), LegendEntry("30 to 60 min", SEQUENTIAL[2])],
        ),
        Layer(
            "Rail",
            rail,
            "lines",
            colour="#000000",
            line_width=2,
            popup="name",
            legend=[LegendEntry("Rail line", "#000000", "line")],
        ),
        Layer(
            "Venues <&>",
            venues,
            "points",
            colour=OKABE_ITO[5],
            popup="popup",
            tooltip="name",
            label="name",
            legend=[LegendEntry("Venue", OKABE_ITO[5], "circle")],
        ),
    ]
    if districts is not None:
        layers.insert(0, Layer("Districts", districts, "polygons", basemap=True, label="district"))
    fields: dict[str, object] = {
        "title": "Travel time <to> BBR",
        "subtitle": "Thursday & evening",
        "layers": layers,
        "attribution": ["Contains OS data © Crown copyright and database right 2024", "Contains ONS data"],
        "provenance": "Network: proxy; timetable: modelled",
        "modelled": True,
    }
    fields.update(overrides)
    return MapDocument(**fields)  # type: ignore[arg-type]


def _json_strings(html: str, pattern: str) -> list[str]:
    """The JSON string arguments matched by ``pattern`` (one group holding a JSON string)."""
    return [json.loads(m) for m in re.findall(pattern, html)]


def _features(html: str) -> list[dict]:
    collections = [json.loads(m) for m in re.findall(r"_add\((\{\"features\".*?\})\);\n", html)]
    return [feature for collection in collections for feature in collection["features"]]


@pytest.fixture(scope="module")
def doc(pack: Pack) -> MapDocument:
    return _document(pack.districts)


@pytest.fixture(scope="module")
def page(doc: MapDocument) -> str:
    return render_interactive(doc, asset_prefix="/vendor/").get_root().render()


@pytest.fixture(scope="module")
def standalone(doc: MapDocument) -> str:
    return standalone_html(doc)


def test_layer_control_lists_each_layer_but_not_the_basemap(page: str) -> None:
    _parse(page)
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.DOTALL)
    assert overlays is not None
    names = re.findall(r'"((?:[^"\\]|\\.)*)"\s*:', overlays.group(1))
    assert [unescape(json.loads(f'"{n}"')) for n in names] == ["Travel time", "Rail", "Venues <&>"]
    assert page.rindex("L.control.layers(") > page.rindex("fitBounds("), "layer control is added last"


def test_legend_title_and_attribution(doc: MapDocument, page: str) -> None:
    controls = _json_strings(page, r"d\.innerHTML=(\"(?:[^\"\\]|\\.)*\");")
    title = next(c for c in controls if "ga-heading" in c)
    legend = next(c for c in controls if "ga-swatch" in c)
    assert escape("Travel time <to> BBR") in title and escape("Thursday & evening") in title
    assert "MODELLED" in title
    for label in ("up to 30 min", "30 to 60 min", "Rail line", "Venue", "Travel time", escape("Venues <&>")):
        assert label in legend
    assert "Districts" not in legend
    assert f"<title>{escape(doc.title)}</title>" in page
    assert _json_strings(page, r"\.attributionControl\.setPrefix\((\"[^\"]*\")\)") == ["Leaflet"]
    assert _json_strings(page, r"\.attributionControl\.addAttribution\((\"(?:[^\"\\]|\\.)*\")\)") == [
        escape(doc.footer)
    ]
    assert "MODELLED figures" in doc.footer and "L.control.scale(" in page


def test_text_from_the_data_is_escaped_and_never_in_a_template_literal(page: str) -> None:
    assert "`" not in page, "no JavaScript template literals (folium Popup/Tooltip)"
    assert "<script>alert(1)" not in page
    features = _features(page)
    popups = [unescape(f["properties"]["ga_popup"]) for f in features if "ga_popup" in f["properties"]]
    tooltips = [unescape(f["properties"]["ga_tooltip"]) for f in features if "ga_tooltip" in f["properties"]]
    assert popups == ["West Coast Main Line", *HOSTILE, "Penrith office<br>Thursday 18:00"]
    assert tooltips == ["Carlisle & district", *HOSTILE, "Penrith office"]  # the missing tooltip is skipped
    labels = [json.loads(m) for m in re.findall(r"(\[\[.*?\]\])\.forEach", page)][-1]
    assert [unescape(text) for _, _, text in labels] == [*HOSTILE, "Penrith office"]
    assert all("<" not in text for _, _, text in labels)


def test_basemap_is_light_inert_and_first(pack: Pack, page: str) -> None:
    features = _features(page)
    assert len(features) == len(pack.districts) + 2 + 1 + 3
    assert all(not f["properties"] for f in features[: len(pack.districts)]), "basemap has no popups"
    first_geojson = page.index("L.geoJson(")
    assert '"className": "ga-area ga-basemap"' in page[first_geojson : first_geojson + 400]
    assert '"interactive": false' in page[first_geojson : first_geojson + 400]
    assert page.count('"interactive": false') == 1


def test_rendered_page_loads_only_local_assets(page: str) -> None:
    tags = _parse(page).tags
    links = [attrs.get("src") or attrs.get("href") for _, attrs in tags if "src" in attrs or "href" in attrs]
    assert links and all(link and link.startswith("/vendor/") for link in links)
    assert not URL.search(page)


def test_standalone_inlines_every_asset(standalone: str) -> None:
    parsed = _parse(standalone)
    assert not [a for tag, a in parsed.tags if tag in ("script", "img", "iframe") and a.get("src")]
    assert not [a for tag, a in parsed.tags if tag == "link"], "no <link> elements: stylesheets are inlined"
    assert "geoaccess-inline-asset" not in standalone
    inlined = {a["data-asset"] for _, a, _ in parsed.blocks if a.get("data-asset")}
    assert inlined == set(ASSETS.values())
    for _, attrs, text in parsed.blocks:
        if attrs.get("data-asset", "").endswith(".css"):
            urls = re.findall(r"url\(\s*[\"']?([^\"')]*)", text)
            assert all(u.startswith(("data:", "#")) for u in urls), attrs
        assert "sourceMappingURL" not in text


def test_standalone_has_no_internet_references_outside_vendor_code(standalone: str) -> None:
    parsed = _parse(standalone)
    ours = standalone
    for _, attrs, text in parsed.blocks:
        if attrs.get("data-asset"):
            ours = ours.replace(text, "")
    assert not URL.search(ours), URL.search(ours)
    for _, attrs in parsed.tags:
        for value in attrs.values():
            assert not (value and URL.match(value.strip())), attrs


def test_standalone_fonts_are_woff2_once_each(standalone: str) -> None:
    fonts = re.findall(r"url\(\"data:(font/[a-z0-9]+);base64,([A-Za-z0-9+/=]{40})", standalone)
    assert fonts and {mime for mime, _ in fonts} == {"font/woff2"}
    assert len({head for _, head in fonts}) == len(fonts), "each font file embedded once"
    assert 'format("truetype")' not in standalone


def test_standalone_size(standalone: str, record_property: pytest.RecordProperty) -> None:
    size = len(standalone.encode("utf-8"))
    record_property("standalone_bytes", size)
    print(f"standalone HTML with the district basemap: {size / 1e6:.2f} MB")
    assert size < 2_500_000


def test_save_html_writes_one_file(doc: MapDocument, tmp_path: Path) -> None:
    path = save_html(doc, tmp_path / "map.html")
    assert path == tmp_path / "map.html"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<!DOCTYPE html>") and "<script src=" not in text
    assert os.stat(path).st_mode & 0o044, "readable like any file the user saves"


@pytest.mark.parametrize("name", ["map.htm", "map.png", "map", "map.html.tmp"])
def test_save_html_needs_an_html_suffix(name: str, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="html"):
        save_html(_document(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_save_html_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="folder not found"):
        save_html(_document(), tmp_path / "missing" / "map.html")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "dir.html").mkdir()
    with pytest.raises(BadInput, match="folder"):
        save_html(_document(), tmp_path / "dir.html")


def test_save_html_leaves_nothing_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "map.html"
    target.write_text("old map")

    def broken_replace(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(interactive.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_html(_document(), target)
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"] and target.read_text() == "old map"


def test_bad_documents_are_bad_input() -> None:
    doc = _document()
    empty = gpd.GeoDataFrame(geometry=[], crs=4326)
    cases = {
        "kind must be": [Layer("X", doc.layers[0].frame, "hexagons")],
        "holds Point": [Layer("X", doc.layers[2].frame, "polygons")],
        "column it does not have": [Layer("X", doc.layers[2].frame, "points", popup="nope")],
        "not a colour": [Layer("X", doc.layers[2].frame, "points", colour="red;background:url(x)")],
        "coordinate reference system": [Layer("X", doc.layers[2].frame.set_crs(None, allow_override=True), "points")],
        "nothing to draw": [Layer("X", empty, "points")],
    }
    for message, layers in cases.items():
        with pytest.raises(BadInput, match=message):
            render_interactive(_document(layers=layers), asset_prefix="/vendor/")
    bad_colours = doc.layers[0].frame.assign(colour=["#fde725", "javascript:x"])
    with pytest.raises(BadInput, match="not a colour"):
        render_interactive(
            _document(layers=[Layer("X", bad_colours, "polygons", colour_column="colour")]), asset_prefix="/vendor/"
        )
    with pytest.raises(BadInput, match="not a colour"):
        render_interactive(
            _document(layers=[Layer("X", doc.layers[0].frame, "polygons", legend=[LegendEntry("a", "#zzz")])]),
            asset_prefix="/vendor/",
        )


def test_frames_in_british_national_grid_are_reprojected() -> None:
    doc = _document()
    bng = [Layer(layer.name, layer.frame.to_crs(27700), layer.kind, popup=layer.popup) for layer in doc.layers]
    page = render_interactive(_document(layers=bng), asset_prefix="/vendor/").get_root().render()
    bounds = json.loads(re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page).group(1))
    (south, west), (north, east) = bounds
    assert 54.63 < south < 54.65 and 54.91 < north < 54.93 and -3.01 < west < -2.99 and -2.71 < east < -2.69


def test_missing_colours_fall_back_and_hidden_layers_start_hidden() -> None:
    doc = _document()
    frame = doc.layers[0].frame.assign(colour=[None, "#21918c"])
    layers = [Layer("Bands", frame, "polygons", colour="#777777", colour_column="colour", show=False)]
    page = render_interactive(_document(layers=layers), asset_prefix="/vendor/").get_root().render()
    assert '"fillColor": "#777777"' in page and '"fillColor": "#21918c"' in page
    group = re.search(r"var (feature_group_\w+) = L\.featureGroup\(", page).group(1)
    assert f"{group}.addTo(map_" not in page, "a layer with show=False starts switched off"
    assert f'"Bands" : {group}' in page


def test_missing_and_empty_geometries_are_skipped() -> None:
    doc = _document()
    venues = doc.layers[2].frame
    holes = gpd.GeoDataFrame({"name": ["nowhere", "empty"], "popup": ["a", "b"]}, geometry=[None, Point()], crs=4326)
    layers = [
        Layer(
            "Venues", gpd.GeoDataFrame(gpd.pd.concat([venues, holes]), crs=4326), "points", popup="popup", label="name"
        ),
        Layer("Nothing", holes, "points"),
    ]
    page = render_interactive(_document(layers=layers), asset_prefix="/vendor/").get_root().render()
    assert len(_features(page)) == 3 and "nowhere" not in page
    assert "NaN" not in page.split("fitBounds(")[1][:80]


def _pins(**overrides: object) -> Layer:
    """Three offices as pins: two sharing a position, one at an approximate position, in two groups."""
    frame = gpd.GeoDataFrame(
        {
            "name": ["Carlisle office", "Carlisle hub", "Penrith office"],
            "kind": ["Office", "Hub", "Office"],
            "colour": ["#0072B2", "#009E73", "#0072B2"],
            "icon": ["building", "circle-nodes", "building"],
            "approximate": [False, False, True],
        },
        geometry=[Point(-2.933, 54.891), Point(-2.933, 54.891), Point(-2.758, 54.662)],
        crs=4326,
    )
    settings: dict[str, object] = {
        "colour_column": "colour",
        "icon_column": "icon",
        "dashed_column": "approximate",
        "group_column": "kind",
        "tooltip": "name",
        "radius": 13,
        "legend": [
            LegendEntry("Office", "#0072B2", "circle", icon="building"),
            LegendEntry("approximate position", "#FFFFFF", "circle", icon="location-dot", dashed=True),
        ],
    }
    settings.update(overrides)
    return Layer("Offices", frame, "points", **settings)  # type: ignore[arg-type]


def test_pins_show_a_glyph_in_a_contrasting_ink_and_a_dashed_outline_where_marked() -> None:
    page = render_interactive(_document(layers=[_pins()]), asset_prefix="/vendor/").get_root().render()
    html = [json.loads(m) for m in re.findall(r'"html": ("(?:[^"\\]|\\.)*")', page)]
    assert sorted(html) == sorted(
        [
            interactive.pin_html("#0072B2", "building"),
            interactive.pin_html("#009E73", "circle-nodes"),
            interactive.pin_html("#0072B2", "building", dashed=True),
        ]
    )
    assert 'style="background:#0072B2;color:#ffffff"' in "".join(html)
    assert 'style="background:#009E73;color:#000000"' in "".join(html), "black on green contrasts more"
    assert page.count("new iconRootAlias.DivIcon(") == 2 and '"iconSize": [26, 26]' in page
    assert "new L.CircleMarker(" not in page, "pins, not circles"


def test_pin_groups_get_a_layer_control_entry_each_and_the_legend_draws_pins() -> None:
    page = render_interactive(_document(layers=[_pins()]), asset_prefix="/vendor/").get_root().render()
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.DOTALL)
    assert overlays is not None and re.findall(r'"([^"]+)"\s*:', overlays.group(1)) == ["Office", "Hub"]
    legend = next(c for c in _json_strings(page, r"d\.innerHTML=(\"(?:[^\"\\]|\\.)*\");") if "Offices" in c)
    assert interactive.pin_html("#0072B2", "building") in legend
    assert interactive.pin_html("#FFFFFF", "location-dot", dashed=True) in legend
    layout = page[page.index("pinLayers=") :]
    assert re.match(r"pinLayers=\[\[\[geo_json_\w+,geo_json_\w+\],13\],\]", layout), "both groups, laid out as one"


def test_pages_without_pins_have_no_layout_script(page: str) -> None:
    assert "pinLayers=" not in page


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (_pins(icon_column="nope"), "column it does not have"),
        (_pins(legend=[LegendEntry("x", "#000000", icon="no-such-icon")]), "not a Font Awesome solid icon"),
        (_pins(legend=[LegendEntry("x", "#000000", icon="github")]), "not a Font Awesome solid icon"),  # a brand
        (_pins(colour_column=None, colour="red"), "must be #rgb or #rrggbb"),
    ],
)
def test_bad_pins_are_bad_input(layer: Layer, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        render_interactive(_document(layers=[layer]), asset_prefix="/vendor/")


def test_icons_and_dashes_are_for_points_only() -> None:
    bands = _document().layers[0]
    for setting in ("icon_column", "dashed_column"):
        layer = Layer("Bands", bands.frame, "polygons", **{setting: "band"})  # type: ignore[arg-type]
        with pytest.raises(BadInput, match=f"{setting} is for points"):
            render_interactive(_document(layers=[layer]), asset_prefix="/vendor/")


def test_an_icon_name_cannot_reach_the_page_unchecked() -> None:
    pins = _pins()
    frame = pins.frame.assign(icon=['x"><script>alert(1)</script>', "building", "building"])
    with pytest.raises(BadInput, match="not a Font Awesome solid icon"):
        render_interactive(_document(layers=[dataclasses.replace(pins, frame=frame)]), asset_prefix="/vendor/")


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("colour", [*OKABE_ITO, "#6E6E6E", "#FFFFFF", "#0072b2", "#fff"])
def test_ink_contrasts_with_every_okabe_ito_colour(colour: str) -> None:
    full = colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])
    glyph = ink(colour)
    assert glyph in ("#000000", "#ffffff")
    assert _contrast(full, glyph) >= 4.5
    assert _contrast(full, glyph) >= _contrast(full, "#ffffff" if glyph == "#000000" else "#000000")


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "rgb(0,0,0)", ""])
def test_ink_needs_a_hex_colour(colour: str) -> None:
    with pytest.raises(ValueError, match="not a #rgb or #rrggbb colour"):
        ink(colour)
