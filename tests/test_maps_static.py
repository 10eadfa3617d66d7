"""PNG and PDF exports: one A4 landscape page with the map, legend, scale, attribution; bad input refused cleanly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import LineString, Point, box

from geoaccess.errors import BadInput
from geoaccess.maps import static, static_pins
from geoaccess.maps.document import BASEMAP_FILL, FAN_OUT_GAP, OKABE_ITO, SEQUENTIAL, Layer, LegendEntry, MapDocument
from geoaccess.maps.static import render_static
from geoaccess.maps.static_furniture import scale_length_km
from geoaccess.pack import load_pack

OS_NOTICE = "Contains OS data © Crown copyright and database right 2025"
ONS_NOTICE = "Contains National Statistics data © Crown copyright and database right 2025"
BAND_60, BAND_120, RAIL, VENUE = SEQUENTIAL[3], SEQUENTIAL[1], OKABE_ITO[7], OKABE_ITO[5]


def _frame(geometries: list, **columns: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geometries, crs="EPSG:4326")


def carlisle_penrith(*, modelled: bool = True) -> MapDocument:
    """Bands, a railway and two venues between Carlisle and Penrith, over a grey land basemap."""
    land = _frame([box(-3.1, 54.5, -2.6, 55.0)])
    bands = _frame([Point(-2.93, 54.89).buffer(0.08), Point(-2.75, 54.66).buffer(0.06)], colour=[BAND_60, BAND_120])
    rail = _frame([LineString([(-2.93, 54.89), (-2.82, 54.76), (-2.75, 54.66)])])
    venues = _frame([Point(-2.93, 54.89), Point(-2.75, 54.66)], name=["Carlisle office", "Penrith office"])
    return MapDocument(
        title="BBR: venues within 120 minutes by public transport",
        subtitle="Thursday, arriving by 17:50",
        layers=[
            Layer("Land", land, "polygons", basemap=True),
            Layer(
                "Travel time",
                bands,
                "polygons",
                colour_column="colour",
                fill_opacity=1.0,
                legend=[LegendEntry("up to 60 min", BAND_60), LegendEntry("60 to 120 min", BAND_120)],
            ),
            Layer("Rail", rail, "lines", colour=RAIL, line_width=3, legend=[LegendEntry("Rail line", RAIL, "line")]),
            Layer(
                "Venues",
                venues,
                "points",
                colour=VENUE,
                fill_opacity=1.0,
                radius=7,
                label="name",
                legend=[LegendEntry("Probation office", VENUE, "circle")],
            ),
        ],
        attribution=[OS_NOTICE, ONS_NOTICE],
        provenance="Network: modelled proxy; timetable: modelled",
        modelled=modelled,
    )


def districts_document() -> MapDocument:
    districts = load_pack().districts
    return MapDocument(
        title="Local authority districts of Cumbria and north Lancashire",
        layers=[
            Layer(
                "Districts",
                districts,
                "polygons",
                colour=OKABE_ITO[4],
                fill_opacity=0.3,
                legend=[LegendEntry("District", OKABE_ITO[4])],
            )
        ],
        attribution=[ONS_NOTICE],
        provenance="ONS boundaries",
    )


@pytest.fixture(scope="module")
def png(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    path = tmp_path_factory.mktemp("png") / "map.png"
    assert render_static(carlisle_penrith(), path) == path
    with Image.open(path) as image:
        assert image.size == (3508, 2480)  # A4 landscape at 300 dpi
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="module")
def pdf_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("pdf") / "map.pdf"
    render_static(carlisle_penrith(), path)
    return _one_a4_page(path)


def _one_a4_page(path: Path) -> str:
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) == pytest.approx(842, abs=1)
    assert float(page.mediabox.height) == pytest.approx(595, abs=1)
    return " ".join(page.extract_text().split())


def _pixels_near(pixels: np.ndarray, colour: str, tolerance: int = 12) -> int:
    near = np.ones(pixels.shape[:2], dtype=bool)
    for channel, start in enumerate((1, 3, 5)):
        near &= np.abs(pixels[..., channel].astype(np.int16) - int(colour[start : start + 2], 16)) <= tolerance
    return int(near.sum())


def _map_area(pixels: np.ndarray) -> np.ndarray:
    """The map's part of the page: below the title, above the footer, left of the legend panel."""
    height, width, _ = pixels.shape
    return pixels[int(0.18 * height) : int(0.88 * height), int(0.04 * width) : int(0.70 * width)]


def test_png_is_a4_landscape_and_not_blank(png: np.ndarray) -> None:
    assert png.shape == (2480, 3508, 3)
    assert png.std() > 20
    packed = (png[..., 0].astype(np.uint32) << 16) | (png[..., 1].astype(np.uint32) << 8) | png[..., 2]
    assert len(np.unique(packed[::2, ::2])) > 200  # distinct colours


def test_png_shows_every_layer_in_the_map_area(png: np.ndarray) -> None:
    area = _map_area(png)
    for colour in (BASEMAP_FILL, BAND_60, BAND_120, RAIL, VENUE):
        assert _pixels_near(area, colour) > 200, colour


def test_png_legend_sits_beside_the_map(png: np.ndarray) -> None:
    height, width, _ = png.shape
    panel = png[int(0.15 * height) : int(0.5 * height), int(0.73 * width) :]
    for colour in (BAND_60, BAND_120, RAIL, VENUE):
        assert _pixels_near(panel, colour) > 20, colour


def test_pdf_is_one_a4_page_with_title_attribution_and_modelled(pdf_text: str) -> None:
    assert "BBR: venues within 120 minutes by public transport" in pdf_text
    assert "Thursday, arriving by 17:50" in pdf_text
    assert "Contains OS data © Crown copyright" in pdf_text
    assert ONS_NOTICE in pdf_text
    assert "MODELLED" in pdf_text
    assert "Network: modelled proxy" in pdf_text
    for text in ("Legend", "Travel time", "up to 60 min", "Rail line", "Probation office", "km", "N"):
        assert text in pdf_text
    assert "Penrith office" in pdf_text  # point labels stay text, not outlines


def test_pdf_of_the_pack_districts_is_not_marked_modelled(tmp_path: Path) -> None:
    path = render_static(districts_document(), tmp_path / "districts.PDF")
    text = _one_a4_page(path)
    assert "Local authority districts of Cumbria and north Lancashire" in text
    assert ONS_NOTICE in text
    assert "MODELLED" not in text


def test_png_dpi_sets_the_pixel_size(tmp_path: Path) -> None:
    path = render_static(districts_document(), tmp_path / "districts.png", dpi=100)
    with Image.open(path) as image:
        assert image.size == (1169, 827)
        pixels = np.asarray(image.convert("RGB"))
    assert _pixels_near(_map_area(pixels), OKABE_ITO[4], tolerance=30) > 100  # district borders


@pytest.mark.parametrize(("width_km", "expected"), [(100, 20), (170, 20), (37, 5), (8, 1), (2.4, 0.5), (600, 100)])
def test_scale_bar_is_a_round_fifth_of_the_width(width_km: float, expected: float) -> None:
    assert scale_length_km(width_km * 1000) == pytest.approx(expected)


# --------------------------------------------------------------------------- bad input, nothing left behind


def test_missing_folder_is_refused_before_drawing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static, "_draw", lambda *args: pytest.fail("drew the map"))
    target = tmp_path / "no such folder" / "map.png"
    with pytest.raises(BadInput, match=r"cannot write .*map\.png: folder .*no such folder does not exist"):
        render_static(carlisle_penrith(), target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["map.svg", "map", "map.png.tmp"])
def test_unknown_suffix_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(BadInput, match="use .png or .pdf"):
        render_static(carlisle_penrith(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def _empty_document() -> MapDocument:
    return MapDocument(title="Nothing", layers=[Layer("Empty", _frame([]), "points")], attribution=[], provenance="")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (MapDocument(title="No layers", layers=[], attribution=[], provenance=""), "has no layers"),
        (_empty_document(), "nothing to frame"),
        (
            MapDocument(
                title="Bad kind",
                layers=[Layer("Odd", _frame([Point(-2.9, 54.9)]), "hexagons")],
                attribution=[],
                provenance="",
            ),
            "kind 'hexagons' is not one of",
        ),
    ],
)
def test_bad_documents_are_refused(tmp_path: Path, document: MapDocument, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        render_static(document, tmp_path / "map.pdf")
    assert list(tmp_path.iterdir()) == []


def test_bad_dpi_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="dpi"):
        render_static(carlisle_penrith(), tmp_path / "map.png", dpi=0)
    assert list(tmp_path.iterdir()) == []


def test_an_error_while_drawing_leaves_nothing(tmp_path: Path) -> None:
    document = carlisle_penrith()
    document.layers[1].frame["colour"] = ["#0072B2", "not a colour"]  # found only when the layer is drawn
    with pytest.raises(BadInput, match="Travel time"):
        render_static(document, tmp_path / "map.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_an_error_while_writing_leaves_the_old_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    target = tmp_path / f"map{suffix}"
    target.write_bytes(b"the previous export")

    def fail_halfway(self: Figure, fname: str, **kwargs: object) -> None:
        Path(fname).write_bytes(b"half a page")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        render_static(carlisle_penrith(), target)
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"the previous export"


# --------------------------------------------------------------------------- pins

PIN = "#CC79A7"  # reddish purple, on pins only


def _pins_document(points: list[Point], colours: list[str], *, approximate: bool = False) -> MapDocument:
    venues = _frame(
        points,
        colour=colours,
        icon=["house"] * len(points),
        approximate=[approximate] * len(points),
        name=[f"venue {i}" for i in range(len(points))],
    )
    towns = _frame([Point(-2.93, 54.89)], name=["Carlisle"])
    return MapDocument(
        title="Pins",
        layers=[
            Layer("Land", _frame([box(-3.6, 53.7, -2.2, 55.2)]), "polygons", basemap=True),
            Layer("Towns", towns, "points", radius=2.5, label="name", basemap=True),
            Layer(
                "Venues",
                venues,
                "points",
                colour_column="colour",
                icon_column="icon",
                dashed_column="approximate",
                radius=13,
                legend=[
                    LegendEntry("Approved premises", PIN, "circle", icon="house"),
                    LegendEntry("approximate position", "#FFFFFF", "circle", icon="location-dot", dashed=True),
                ],
            ),
        ],
        attribution=[OS_NOTICE],
        provenance="test venues",
    )


def _render(doc: MapDocument, path: Path, dpi: int = 100) -> np.ndarray:
    render_static(doc, path, dpi=dpi)
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_fan_out_spreads_pins_that_would_overlap_and_leaves_others_alone() -> None:
    radius = 10.0
    at = [(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (5.0, 3.0), (25.0, 0.0), (200.0, 200.0)]
    offsets = static_pins._fan_out(at, radius)
    placed = [(x + dx, y + dy) for (x, y), (dx, dy) in zip(at, offsets, strict=True)]
    for i, a in enumerate(placed):
        for b in placed[:i]:
            assert np.hypot(a[0] - b[0], a[1] - b[1]) >= 2 * radius + FAN_OUT_GAP - 1e-9
    assert offsets[-1] == (0.0, 0.0), "a pin far from the others stays where it is"
    centre = np.mean(placed[:5], axis=0)
    assert np.allclose(centre, np.mean(at[:5], axis=0)), "a group's ring is centred where its pins were"


def test_a_label_moves_clear_of_pins() -> None:
    pins = [(10.0, 0.0, 5.0), (22.0, 0.0, 5.0), (100.0, 50.0, 5.0)]
    assert static_pins._clear_of(pins, 8.0, 0.0, width=30.0, height=6.0) == 29.0  # past both pins in its way
    assert static_pins._clear_of(pins, 8.0, 20.0, width=30.0, height=6.0) == 8.0  # above them: stays


def test_pins_are_drawn_with_their_colour_glyph_and_legend(tmp_path: Path) -> None:
    points = [Point(-2.93, 54.89)] * 4 + [Point(-2.75, 54.33)]
    pixels = _render(_pins_document(points, [PIN] * 4 + [OKABE_ITO[4]]), tmp_path / "pins.png")
    height, width, _ = pixels.shape
    area = pixels[:, : int(0.70 * width)]  # left of the legend panel
    assert _pixels_near(area, PIN) > 4 * 200 and _pixels_near(area, OKABE_ITO[4]) > 200
    assert _pixels_near(pixels[: int(0.5 * height), int(0.73 * width) :], PIN) > 50, "the legend's pin"
    pdf = render_static(_pins_document(points, [PIN] * 5), tmp_path / "pins.pdf")
    text = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    assert "Approved premises" in text and "approximate position" in text and "Carlisle" in text


def test_pins_fanned_out_at_the_edge_of_the_map_stay_inside_it(tmp_path: Path) -> None:
    cluster = [Point(-2.93, 54.89)] * 6
    at_edge = _pins_document([*cluster, Point(-2.75, 54.33)], [PIN] * 6 + [OKABE_ITO[4]])
    inside = _pins_document([*cluster, Point(-2.75, 54.33), Point(-3.0, 55.1)], [PIN] * 6 + [OKABE_ITO[4]] * 2)
    edge_pixels = _pixels_near(_render(at_edge, tmp_path / "edge.png"), PIN)
    inside_pixels = _pixels_near(_render(inside, tmp_path / "inside.png"), PIN)
    assert edge_pixels == pytest.approx(inside_pixels, rel=0.05), "no pin of the group is cut by the frame"


@pytest.mark.parametrize("icon", ["no-such-icon", "github"])
def test_unknown_icons_are_refused_before_drawing(tmp_path: Path, icon: str) -> None:
    doc = _pins_document([Point(-2.93, 54.89)], [PIN])
    doc.layers[-1].frame["icon"] = [icon]
    with pytest.raises(BadInput, match=f"not Font Awesome solid icons: {icon}"):
        render_static(doc, tmp_path / "map.pdf")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("setting", ["icon_column", "dashed_column"])
def test_icons_and_dashes_are_for_points_only(tmp_path: Path, setting: str) -> None:
    land = Layer("Land", _frame([box(-3.1, 54.5, -2.6, 55.0)], kind=["land"]), "polygons")
    doc = MapDocument(title="x", layers=[dataclasses.replace(land, **{setting: "kind"})], attribution=[], provenance="")
    with pytest.raises(BadInput, match=f"{setting} is for points, not polygons"):
        render_static(doc, tmp_path / "map.png")
    assert list(tmp_path.iterdir()) == []


def test_circle_points_can_be_outlined_dashed(tmp_path: Path) -> None:
    venues = _frame([Point(-2.93, 54.89), Point(-2.75, 54.66)], approximate=[True, False])
    doc = MapDocument(
        title="Dashed",
        layers=[
            Layer("Venues", venues, "points", colour=VENUE, fill_opacity=1.0, radius=7, dashed_column="approximate")
        ],
        attribution=[],
        provenance="",
    )
    assert _pixels_near(_render(doc, tmp_path / "dashed.png"), VENUE) > 100
