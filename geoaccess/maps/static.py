"""PNG and PDF exports of a :class:`~geoaccess.maps.document.MapDocument`: the page and its layout.

One A4 landscape page (11.69 x 8.27 in) drawn with matplotlib and geopandas in
British National Grid (EPSG:27700), so a kilometre is the same length in every
direction and the scale bar is true: a title band (title, subtitle and a
MODELLED badge where the figures are modelled), the map on the left, a panel on
the right with the legend (:mod:`~geoaccess.maps.static_legend`), a scale bar
and a north arrow (:mod:`~geoaccess.maps.static_furniture`), and the footer
(attribution, provenance, date) across the bottom in small type. The map holds
the layers (:mod:`~geoaccess.maps.static_layers`) and the pins and labels
(:mod:`~geoaccess.maps.static_pins`).

The figure is a bare :class:`matplotlib.figure.Figure` saved through its own
canvas (Agg for PNG, the PDF backend for PDF), never through ``pyplot``'s
figure manager, so no GUI backend is ever started and the process-wide backend
is left alone. The page is written to a temporary file beside the target and
renamed over it only once complete, so a failed render leaves nothing behind.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pyproj import Transformer

from geoaccess.errors import BadInput
from geoaccess.maps.document import OKABE_ITO, MapDocument
from geoaccess.maps.offline_assets import solid_icons
from geoaccess.maps.static_furniture import draw_furniture
from geoaccess.maps.static_layers import BNG, KINDS, PX_TO_PT, WGS84, draw_layer, drawable, in_bng
from geoaccess.maps.static_legend import draw_legend
from geoaccess.maps.static_page import GAP, INK, MARGIN, MUTED, PAGE, PANEL_WIDTH
from geoaccess.maps.static_pins import PIN_EDGE_PX, Disc, draw_labels, draw_pins, pin_offsets
from geoaccess.maps.static_text import wrap

FORMATS = {".png": "png", ".pdf": "pdf"}

# The title band, footer and map frame (the page's measurements are in static_page).
TITLE_SIZE = 16  # points
SUBTITLE_SIZE = 10
FOOTER_SIZE = 6.5  # points
FOOTER_SPACING = 1.3
MAP_MARGIN = 0.05  # share of the data extent added on each side of doc.bounds()
MIN_SPAN_M = 5_000.0  # a single point still gets a map 5 km across

MODELLED_FILL = OKABE_ITO[0]  # orange with black text: high contrast, colour-blind safe

# matplotlib's rcParams are process-wide; the PDF font setting is applied under a lock so
# concurrent exports (the web app) neither race nor leak the setting to other code.
_RENDER_LOCK = threading.Lock()


def render_static(doc: MapDocument, path: Path | str, *, dpi: int = 300) -> Path:
    """Draw ``doc`` as one A4 landscape page at ``path`` (``.png`` at ``dpi``, or vector ``.pdf``).

    Raises :class:`BadInput` for an unknown suffix, a folder that does not exist, a
    document with no layers or nothing to frame, or a layer of an unknown kind;
    nothing is written then, and nothing partial is left if drawing fails.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"cannot write {path}: unknown map format {path.suffix or '(none)'!r}; use .png or .pdf")
    if not path.parent.is_dir():
        raise BadInput(f"cannot write {path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise BadInput(f"cannot write {path}: it is a folder")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 50 <= dpi <= 1200:
        raise BadInput(f"cannot write {path}: dpi must be a whole number from 50 to 1200, not {dpi!r}")
    _check_document(doc)
    extent = _extent_bng(doc)

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{path.suffix}", dir=path.parent)
    os.close(handle)
    try:
        with _RENDER_LOCK, matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
            figure = _draw(doc, extent)
            if fmt == "png":
                figure.set_size_inches(*_png_inches(dpi))
            figure.savefig(temporary, format=fmt, dpi=dpi, metadata=_metadata(doc, fmt))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; an export is an ordinary file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- checks


def _check_document(doc: MapDocument) -> None:
    if not doc.layers:
        raise BadInput(f"cannot draw the map {doc.title!r}: it has no layers")
    for layer in doc.layers:
        if layer.kind not in KINDS:
            raise BadInput(f"cannot draw layer {layer.name!r}: kind {layer.kind!r} is not one of {', '.join(KINDS)}")
        if layer.colour_column is not None and layer.colour_column not in layer.frame.columns:
            raise BadInput(f"cannot draw layer {layer.name!r}: it has no colour column {layer.colour_column!r}")
        for setting in ("label", "icon_column", "dashed_column"):
            column = getattr(layer, setting)
            if column is not None and column not in layer.frame.columns:
                raise BadInput(f"cannot draw layer {layer.name!r}: it has no {setting} column {column!r}")
            if setting != "label" and column is not None and layer.kind != "points":
                raise BadInput(f"cannot draw layer {layer.name!r}: {setting} is for points, not {layer.kind}")
        icons = set(layer.frame[layer.icon_column]) if layer.icon_column is not None else set()
        icons |= {entry.icon for entry in layer.legend if entry.icon is not None}
        unknown = sorted(str(icon) for icon in icons - set(solid_icons()))
        if unknown:
            raise BadInput(f"cannot draw layer {layer.name!r}: not Font Awesome solid icons: {', '.join(unknown)}")


def _extent_bng(doc: MapDocument) -> tuple[float, float, float, float]:
    """doc.bounds() in BNG metres, with a margin and a minimum size."""
    if all(drawable(layer.frame).empty for layer in doc.layers):
        raise BadInput(f"cannot draw the map {doc.title!r}: its layers have no features, so there is nothing to frame")
    west, south, east, north = doc.bounds()
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise BadInput(f"cannot draw the map {doc.title!r}: its bounds are empty")
    to_bng = Transformer.from_crs(WGS84, BNG, always_xy=True)
    x0, y0, x1, y1 = to_bng.transform_bounds(west, south, east, north, densify_pts=21)
    if not all(math.isfinite(value) for value in (x0, y0, x1, y1)):
        raise BadInput(f"cannot draw the map {doc.title!r}: its bounds lie outside British National Grid")
    width = max(x1 - x0, MIN_SPAN_M)
    height = max(y1 - y0, MIN_SPAN_M)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    pad = MAP_MARGIN * max(width, height)
    return cx - width / 2 - pad, cy - height / 2 - pad, cx + width / 2 + pad, cy + height / 2 + pad


def _png_inches(dpi: int) -> tuple[float, float]:
    """A4 at ``dpi`` in whole pixels (3508 x 2480 at 300 dpi); matplotlib truncates, so aim a little over."""
    width, height = PAGE
    return (round(width * dpi) + 0.25) / dpi, (round(height * dpi) + 0.25) / dpi


def _metadata(doc: MapDocument, fmt: str) -> dict[str, str]:
    if fmt == "pdf":
        return {"Title": doc.title, "Subject": doc.subtitle, "Creator": "geoaccess"}
    return {"Title": doc.title, "Software": "geoaccess", "Copyright": "; ".join(doc.attribution)}


# --------------------------------------------------------------------------- page


def _draw(doc: MapDocument, extent: tuple[float, float, float, float]) -> Figure:
    figure = Figure(figsize=PAGE, facecolor="white")
    FigureCanvasAgg(figure)  # an off-screen canvas: never a GUI window
    page_w, page_h = PAGE

    footer_lines = wrap(doc.footer, page_w - 2 * MARGIN, FOOTER_SIZE)
    footer_h = len(footer_lines) * FOOTER_SIZE * FOOTER_SPACING / 72
    figure.text(
        MARGIN / page_w,
        MARGIN / page_h,
        "\n".join(footer_lines),
        ha="left",
        va="bottom",
        fontsize=FOOTER_SIZE,
        color=MUTED,
        linespacing=FOOTER_SPACING,
    )

    title_h = _draw_title(figure, doc)

    map_bottom = MARGIN + footer_h + 0.15
    map_top = page_h - MARGIN - title_h - 0.12
    map_left = MARGIN
    map_right = page_w - MARGIN - PANEL_WIDTH - GAP
    if map_top - map_bottom < 2.0:
        raise BadInput(f"cannot draw the map {doc.title!r}: its title, subtitle and footer leave no room for the map")
    box = (map_left / page_w, map_bottom / page_h, (map_right - map_left) / page_w, (map_top - map_bottom) / page_h)
    ax = figure.add_axes(box)
    extent = _room_for_pins(doc, extent, map_right - map_left, map_top - map_bottom)
    metres_per_inch = _metres_per_inch(extent, map_right - map_left, map_top - map_bottom)
    pins: list[Disc] = []
    for layer in doc.layers:
        if layer.show and layer.basemap:
            draw_layer(ax, layer)
    for layer in doc.layers:
        if layer.show and not layer.basemap:
            if layer.icon_column is not None:
                pins += draw_pins(ax, layer, metres_per_inch)
            else:
                draw_layer(ax, layer)
    for layer in doc.layers:
        if layer.show and layer.label and layer.kind == "points":
            draw_labels(ax, layer, pins, metres_per_inch)
    # geopandas autoscales as it plots, so the frame is fixed once everything is drawn.
    _frame_map(ax, extent, map_right - map_left, map_top - map_bottom)
    ax.set_xlabel("")  # geopandas labels the axes "Easting [metre]"; the scale bar says it instead
    ax.set_ylabel("")

    panel_left = page_w - MARGIN - PANEL_WIDTH
    furniture_h = 1.05  # scale bar and north arrow at the foot of the panel
    draw_furniture(figure, panel_left, map_bottom, metres_per_inch)
    draw_legend(
        figure,
        doc,
        (panel_left, map_bottom + furniture_h + 0.15, PANEL_WIDTH, map_top - map_bottom - furniture_h - 0.15),
    )
    return figure


def _draw_title(figure: Figure, doc: MapDocument) -> float:
    """Title, subtitle and the MODELLED badge across the top; returns the band's height in inches."""
    page_w, page_h = PAGE
    top = page_h - MARGIN
    badge_w = 2.5 if doc.modelled else 0.0
    text_w = page_w - 2 * MARGIN - badge_w
    title = wrap(doc.title, text_w, TITLE_SIZE, bold=True)
    figure.text(
        MARGIN / page_w,
        top / page_h,
        "\n".join(title),
        ha="left",
        va="top",
        fontsize=TITLE_SIZE,
        fontweight="bold",
        color=INK,
        linespacing=1.15,
    )
    height = len(title) * TITLE_SIZE * 1.15 / 72
    if doc.subtitle:
        subtitle = wrap(doc.subtitle, text_w, SUBTITLE_SIZE)
        height += 0.06
        figure.text(
            MARGIN / page_w,
            (top - height) / page_h,
            "\n".join(subtitle),
            ha="left",
            va="top",
            fontsize=SUBTITLE_SIZE,
            color=MUTED,
            linespacing=1.25,
        )
        height += len(subtitle) * SUBTITLE_SIZE * 1.25 / 72
    if doc.modelled:
        right = (page_w - MARGIN - 0.05) / page_w
        figure.text(
            right,
            (top - 0.05) / page_h,
            "MODELLED",
            ha="right",
            va="top",
            fontsize=15,
            fontweight="bold",
            color="black",
            bbox={"boxstyle": "round,pad=0.35", "facecolor": MODELLED_FILL, "edgecolor": "black", "linewidth": 1.0},
        )
        figure.text(
            right,
            (top - 0.52) / page_h,
            "figures are modelled: see the provenance",
            ha="right",
            va="top",
            fontsize=7,
            color=MUTED,
        )
        height = max(height, 0.66)
    return height


def _metres_per_inch(extent: tuple[float, float, float, float], box_w: float, box_h: float) -> float:
    """The map's scale: ``extent`` fitted to a box ``box_w`` by ``box_h`` inches."""
    x0, y0, x1, y1 = extent
    return max((x1 - x0) / box_w, (y1 - y0) / box_h)


def _room_for_pins(
    doc: MapDocument, extent: tuple[float, float, float, float], box_w: float, box_h: float
) -> tuple[float, float, float, float]:
    """``extent`` grown on every side by as far as a pin reaches from its position, so none is cut by the frame."""
    per_metre = 72 / _metres_per_inch(extent, box_w, box_h)
    reach = max(
        (
            math.hypot(dx, dy) + layer.radius * PX_TO_PT + PIN_EDGE_PX * PX_TO_PT
            for layer in doc.layers
            if layer.show and not layer.basemap and layer.icon_column is not None
            for dx, dy in pin_offsets(layer, in_bng(layer.frame), per_metre)[1]
        ),
        default=0.0,
    )
    pad = 1.1 * reach / per_metre  # a little over: the grown extent draws at a slightly smaller scale
    x0, y0, x1, y1 = extent
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _frame_map(ax: Axes, extent: tuple[float, float, float, float], box_w: float, box_h: float) -> None:
    """Fix the axes to ``extent`` grown to the box's shape, at :func:`_metres_per_inch` both ways."""
    x0, y0, x1, y1 = extent
    scale = _metres_per_inch(extent, box_w, box_h)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.set_xlim(cx - scale * box_w / 2, cx + scale * box_w / 2)
    ax.set_ylim(cy - scale * box_h / 2, cy + scale * box_h / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("white")
    for spine in ax.spines.values():
        spine.set_edgecolor("#888888")
        spine.set_linewidth(0.6)
