"""PNG and PDF exports of a :class:`~geoaccess.maps.document.MapDocument`.

One A4 landscape page (11.69 x 8.27 in) drawn with matplotlib and geopandas in
British National Grid (EPSG:27700), so a kilometre is the same length in every
direction and the scale bar is true: a title band (title, subtitle and a
MODELLED badge where the figures are modelled), the map on the left, a panel on
the right with the legend, a scale bar and a north arrow, and the footer
(attribution, provenance, date) across the bottom in small type. Pins (points
with an ``icon_column``) are drawn as on the interactive map: a disc with the
Font Awesome glyph, in the same font; pins that would overlap on the page fan
out around their group's centre, and labels move clear of them.

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
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Polygon, Rectangle
from matplotlib.patheffects import Normal, Stroke
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Transform, offset_copy
from matplotlib.typing import ColorType
from pyproj import Transformer

from geoaccess.errors import BadInput
from geoaccess.maps.document import (
    BASEMAP_EDGE,
    BASEMAP_FILL,
    FAN_OUT_GAP,
    OKABE_ITO,
    Layer,
    LegendEntry,
    MapDocument,
    ink,
)
from geoaccess.maps.offline_assets import solid_font, solid_icons

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
PAGE = (297 / 25.4, 210 / 25.4)  # A4 landscape in inches (11.69 x 8.27)
FORMATS = {".png": "png", ".pdf": "pdf"}
KINDS = ("polygons", "lines", "points")

# Page layout in inches from the bottom-left corner of the page.
MARGIN = 0.35
TITLE_SIZE = 16  # points
SUBTITLE_SIZE = 10
PANEL_WIDTH = 2.75  # legend, scale bar and north arrow to the right of the map
GAP = 0.20
FOOTER_SIZE = 6.5  # points
LABEL_SIZE = 6.5  # points: names beside points (towns)
FOOTER_SPACING = 1.3
MAP_MARGIN = 0.05  # share of the data extent added on each side of doc.bounds()
MIN_SPAN_M = 5_000.0  # a single point still gets a map 5 km across

INK = "#222222"
MUTED = "#555555"
MODELLED_FILL = OKABE_ITO[0]  # orange with black text: high contrast, colour-blind safe
PX_TO_PT = 0.75  # layer widths and radii are given in CSS pixels (as in Leaflet): 1 px = 0.75 pt
PIN_EDGE_PX = 2.0  # a pin's outline, as on the interactive map

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
    if all(_drawable(layer.frame).empty for layer in doc.layers):
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


def _drawable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geometry = frame.geometry
    return frame[geometry.notna() & ~geometry.is_empty]


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

    footer_lines = _wrap(doc.footer, page_w - 2 * MARGIN, FOOTER_SIZE)
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
            _draw_layer(ax, layer)
    for layer in doc.layers:
        if layer.show and not layer.basemap:
            if layer.icon_column is not None:
                pins += _draw_pins(ax, layer, metres_per_inch)
            else:
                _draw_layer(ax, layer)
    for layer in doc.layers:
        if layer.show and layer.label and layer.kind == "points":
            _draw_labels(ax, layer, pins, metres_per_inch)
    # geopandas autoscales as it plots, so the frame is fixed once everything is drawn.
    _frame_map(ax, extent, map_right - map_left, map_top - map_bottom)
    ax.set_xlabel("")  # geopandas labels the axes "Easting [metre]"; the scale bar says it instead
    ax.set_ylabel("")

    panel_left = page_w - MARGIN - PANEL_WIDTH
    furniture_h = 1.05  # scale bar and north arrow at the foot of the panel
    _draw_furniture(figure, panel_left, map_bottom, metres_per_inch)
    _draw_legend(
        figure,
        doc,
        (panel_left, map_bottom + furniture_h + 0.15, PANEL_WIDTH, map_top - map_bottom - furniture_h - 0.15),
    )
    return figure


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches as matplotlib will set it."""
    properties = FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(text, properties, ismath=False)
    return width / 72


def _wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` inches (measured, not guessed from a character count)."""
    width *= 0.9  # Agg hints glyphs to whole pixels, so text set at a low dpi runs up to ~9% wider than measured
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _text_width(candidate, size, bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while len(line) > 1 and _text_width(line, size, bold) > width:  # a word longer than a line: split it
            low, high = 1, len(line) - 1  # the longest prefix that fits, by bisection
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if _text_width(line[:middle], size, bold) <= width else (low, middle - 1)
            lines.append(line[:low])
            line = line[low:]
    if line:
        lines.append(line)
    return lines or [""]


def _draw_title(figure: Figure, doc: MapDocument) -> float:
    """Title, subtitle and the MODELLED badge across the top; returns the band's height in inches."""
    page_w, page_h = PAGE
    top = page_h - MARGIN
    badge_w = 2.5 if doc.modelled else 0.0
    text_w = page_w - 2 * MARGIN - badge_w
    title = _wrap(doc.title, text_w, TITLE_SIZE, bold=True)
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
        subtitle = _wrap(doc.subtitle, text_w, SUBTITLE_SIZE)
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
            for dx, dy in _pin_offsets(layer, _in_bng(layer.frame), per_metre)[1]
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


# --------------------------------------------------------------------------- layers


RGBA = tuple[float, float, float, float]
Disc = tuple[float, float, float]
"""Where a pin is drawn: centre x and y, in points from the map's origin (BNG 0, 0) at its scale, and radius."""


def _rgba(colour: ColorType, alpha: float, layer: Layer) -> RGBA:
    try:
        return to_rgba(colour, alpha)
    except ValueError:
        raise BadInput(f"cannot draw layer {layer.name!r}: {colour!r} is not a colour") from None


def _colours(layer: Layer, frame: gpd.GeoDataFrame, alpha: float) -> list[RGBA]:
    """One RGBA colour per feature: the colour column where given, else the layer colour."""
    if layer.colour_column is None:
        return [_rgba(layer.colour, alpha, layer)] * len(frame)
    return [_rgba(value, alpha, layer) for value in frame[layer.colour_column]]


def _in_bng(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The features that have a geometry, in British National Grid (a frame with no CRS is taken as WGS84)."""
    frame = _drawable(frame)
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    return frame.to_crs(BNG)


def _draw_layer(ax: Axes, layer: Layer) -> None:
    frame = _in_bng(layer.frame)
    if frame.empty:
        return
    width = layer.line_width * PX_TO_PT
    # Per-feature colours go to geopandas as arrays, which it splits by geometry type.
    if layer.kind == "polygons":
        if layer.basemap:
            frame.geometry.plot(ax=ax, facecolor=BASEMAP_FILL, edgecolor=BASEMAP_EDGE, linewidth=0.4, zorder=1)
        else:
            frame.geometry.plot(
                ax=ax,
                facecolor=np.array(_colours(layer, frame, layer.fill_opacity)),
                edgecolor=np.array(_colours(layer, frame, 1.0)),
                linewidth=width,
                zorder=2,
            )
    elif layer.kind == "lines":
        frame.geometry.plot(
            ax=ax,
            color=np.array(_colours(layer, frame, 1.0)),
            linewidth=width,
            zorder=1.5 if layer.basemap else 3,
            capstyle="round",
            joinstyle="round",
        )
    elif layer.kind == "points":
        points = frame.geometry.representative_point()
        diameter = 2 * layer.radius * PX_TO_PT
        ax.scatter(
            points.x,
            points.y,
            s=diameter**2,
            c=_colours(layer, frame, layer.fill_opacity),
            edgecolors=_colours(layer, frame, 1.0),
            linewidths=max(width, 0.5),
            linestyles=["--" if mark else "-" for mark in _dashed(layer, frame)],
            marker="o",
            zorder=1.6 if layer.basemap else 4,
        )
    else:  # _check_document has already refused other kinds
        raise BadInput(f"cannot draw layer {layer.name!r}: kind {layer.kind!r} is not one of {', '.join(KINDS)}")


def _dashed(layer: Layer, frame: gpd.GeoDataFrame) -> list[bool]:
    """Per feature: outlined dashed (``dashed_column``)?"""
    if layer.dashed_column is None or layer.basemap:
        return [False] * len(frame)
    return [isinstance(value, bool | np.bool_) and bool(value) for value in frame[layer.dashed_column]]


def _draw_pin(
    ax: Axes,
    centre: tuple[float, float],
    radius: float,
    fill: RGBA,
    icon: str,
    *,
    dashed: bool,
    transform: Transform | None = None,
) -> None:
    """One pin at ``centre``: a disc ``radius`` points in radius, outlined white (black dashed if ``dashed``),
    with the icon in black or white; ``transform`` (default: the axes' data) can move it off its position."""
    x, y = centre
    at = transform or ax.transData
    solid = [Stroke(linewidth=PIN_EDGE_PX * PX_TO_PT + 1.0, foreground="#00000066"), Normal()]  # a thin shadow
    ax.scatter(
        [x],
        [y],
        s=(2 * radius) ** 2,
        c=[fill],
        edgecolors="#000000" if dashed else "#ffffff",
        linewidths=PIN_EDGE_PX * PX_TO_PT,
        linestyles="--" if dashed else "-",
        path_effects=[] if dashed else solid,
        zorder=4,
        transform=at,
    )
    font = FontProperties(fname=solid_font(), size=radius)
    glyph = ink(to_hex(fill, keep_alpha=False))
    ax.text(
        x, y, solid_icons()[icon], fontproperties=font, color=glyph, ha="center", va="center", zorder=4.1, transform=at
    )


def _draw_pins(ax: Axes, layer: Layer, metres_per_inch: float) -> list[Disc]:
    """Opaque pins, as on the interactive map; pins that would overlap on the page fan out around their
    group's centre (:func:`_fan_out`). Returns where each was drawn."""
    assert layer.icon_column is not None
    frame = _in_bng(layer.frame)
    if frame.empty:
        return []
    points = frame.geometry.representative_point()
    radius = layer.radius * PX_TO_PT
    at, offsets = _pin_offsets(layer, frame, 72 / metres_per_inch)
    figure = ax.get_figure(root=True)
    drawn: list[Disc] = []
    for x, y, (px, py), fill, icon, dashed, (dx, dy) in zip(
        points.x,
        points.y,
        at,
        _colours(layer, frame, 1.0),
        frame[layer.icon_column],
        _dashed(layer, frame),
        offsets,
        strict=True,
    ):
        moved = offset_copy(ax.transData, fig=figure, x=dx, y=-dy, units="points")  # y up on the page
        _draw_pin(ax, (x, y), radius, fill, str(icon), dashed=dashed, transform=moved)
        drawn.append((px + dx, py - dy, radius + PIN_EDGE_PX * PX_TO_PT / 2))
    return drawn


def _pin_offsets(
    layer: Layer, frame: gpd.GeoDataFrame, per_metre: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Each pin's position in points on the page (``per_metre``; y upwards), and :func:`_fan_out`'s offset for it
    (y downwards): pins that would overlap are spread around their group's centre."""
    points = frame.geometry.representative_point()
    at = [(x * per_metre, y * per_metre) for x, y in zip(points.x, points.y, strict=True)]
    return at, _fan_out([(x, -y) for x, y in at], layer.radius * PX_TO_PT)


def _fan_out(positions: Sequence[tuple[float, float]], radius: float) -> list[tuple[float, float]]:
    """Offsets that spread pins of ``radius`` which would overlap around rings; ``(0, 0)`` for a pin left alone.

    Venues placed at the same point or in one town would hide one another.
    Pins that overlap are grouped, and each group's pins move onto a ring around
    the group's centre just wide enough that neighbours are :data:`FAN_OUT_GAP`
    apart; a ring that then overlaps another pin joins its group, until none
    overlaps. Positions, radius and offsets are in points on the page, y
    downwards. The interactive map does the same in the browser at each zoom
    (:class:`~geoaccess.maps.elements.Declutter`).
    """
    group = list(range(len(positions)))  # union-find: each pin's representative

    def find(index: int) -> int:
        while group[index] != index:
            group[index] = group[group[index]]
            index = group[index]
        return index

    at = list(positions)
    merged = True
    while merged:  # each round merges two groups or ends
        merged = False
        for i in range(len(at)):
            for j in range(i):
                if find(i) != find(j) and math.dist(at[i], at[j]) < 2 * radius + FAN_OUT_GAP:
                    group[find(i)] = find(j)
                    merged = True
        members: dict[int, list[int]] = {}
        for index in range(len(at)):
            members.setdefault(find(index), []).append(index)
        for indices in (indices for indices in members.values() if len(indices) > 1):
            cx = sum(positions[i][0] for i in indices) / len(indices)
            cy = sum(positions[i][1] for i in indices) / len(indices)
            ring = (radius + FAN_OUT_GAP / 2) / math.sin(math.pi / len(indices))
            for k, index in enumerate(indices):
                angle = 2 * math.pi * k / len(indices)
                at[index] = (cx + ring * math.cos(angle), cy + ring * math.sin(angle))
    return [(x - x0, y - y0) for (x, y), (x0, y0) in zip(at, positions, strict=True)]


def _clear_of(pins: Sequence[Disc], x: float, y: float, width: float, height: float) -> float:
    """Where a label ``width`` by ``height`` points, starting at ``x`` and centred on ``y``, clears every pin:
    each pin it would cover pushes it past the pin's right-hand side."""
    moved = True
    while moved:
        moved = False
        for px, py, radius in pins:
            if abs(py - y) < radius + height / 2 and px - radius < x + width and x < px + radius + 1:
                x, moved = px + radius + 2, True
    return x


def _draw_labels(ax: Axes, layer: Layer, pins: Sequence[Disc], metres_per_inch: float) -> None:
    frame = _in_bng(layer.frame)
    if frame.empty:
        return
    points = frame.geometry.representative_point()
    offset = layer.radius * PX_TO_PT + 2  # points to the right of the circle
    per_metre = 72 / metres_per_inch
    # The white halo is a stroked copy underneath: text drawn with path effects becomes outlines
    # in a PDF, and the plain copy on top keeps the place names searchable and selectable.
    halo = [Stroke(linewidth=2.2, foreground="white")]
    for point, text in zip(points, frame[layer.label], strict=True):
        if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
            continue
        x, y = point.x * per_metre, point.y * per_metre
        start = _clear_of(pins, x + offset, y, _text_width(str(text), LABEL_SIZE) * 72, LABEL_SIZE)
        for effects, zorder in ((halo, 5), (None, 5.1)):
            ax.annotate(
                str(text),
                (point.x, point.y),
                xytext=(start - x, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=LABEL_SIZE,
                color=INK,
                path_effects=effects,
                zorder=zorder,
                annotation_clip=True,
                clip_on=True,
            )  # never spill past the map's frame


# --------------------------------------------------------------------------- legend


def _legend_rows(doc: MapDocument) -> list[tuple[str, Layer | None, LegendEntry | None]]:
    """Headings (one per layer with entries) and entries, top to bottom."""
    rows: list[tuple[str, Layer | None, LegendEntry | None]] = []
    for layer in doc.layers:
        if layer.basemap or not layer.show or not layer.legend:
            continue
        rows.append((layer.name, None, None))
        rows.extend((entry.label, layer, entry) for entry in layer.legend)
    return rows


def _draw_legend(figure: Figure, doc: MapDocument, box: tuple[float, float, float, float]) -> None:
    left, bottom, width, height = box
    page_w, page_h = PAGE
    rows = _legend_rows(doc)
    if not rows or height <= 0.3:
        return
    ax = figure.add_axes((left / page_w, bottom / page_h, width / page_w, height / page_h))
    # Axes units are points, origin at the top-left, so rows can be laid out by type size.
    width_pt, height_pt = width * 72, height * 72
    ax.set_xlim(0, width_pt)
    ax.set_ylim(height_pt, 0)
    ax.set_axis_off()

    heading_pt = 16.0  # the "Legend" caption
    size = 8.0
    while True:
        wrapped = _wrap_rows(rows, width_pt, size)
        needed = heading_pt + sum(
            len(lines) * size * 1.25 + size * (0.75 if entry is None else 0.45) for lines, _, entry in wrapped
        )
        if needed <= height_pt or size <= 5.5:
            break
        size -= 0.5
    ax.text(0, 0, "Legend", ha="left", va="top", fontsize=10, fontweight="bold", color=INK)
    y = heading_pt
    swatch = size * 1.4
    shown = 0
    for lines, layer, entry in wrapped:
        row_h = len(lines) * size * 1.25 + size * (0.75 if entry is None else 0.45)
        if y + row_h > height_pt - size * 1.5 and shown < len(wrapped) - 1:
            ax.text(
                0,
                y,
                f"... and {len(wrapped) - shown} more",
                ha="left",
                va="top",
                fontsize=size,
                color=MUTED,
                style="italic",
            )
            break
        if entry is None or layer is None:
            ax.text(
                0,
                y + size * 0.5,
                "\n".join(lines),
                ha="left",
                va="top",
                fontsize=size + 0.5,
                fontweight="bold",
                color=INK,
                linespacing=1.25,
            )
        else:
            centre = y + size * 0.9
            _swatch(ax, layer, entry, (swatch / 2 + 1, centre), swatch)
            ax.text(
                swatch + 6,
                y + size * 0.25,
                "\n".join(lines),
                ha="left",
                va="top",
                fontsize=size,
                color=INK,
                linespacing=1.25,
            )
        y += row_h
        shown += 1


def _wrap_rows(
    rows: Sequence[tuple[str, Layer | None, LegendEntry | None]], width_pt: float, size: float
) -> list[tuple[list[str], Layer | None, LegendEntry | None]]:
    width = (width_pt - size * 1.4 - 6) / 72
    return [
        (_wrap(text, width if entry else width_pt / 72, size + (0 if entry else 0.5), bold=entry is None), layer, entry)
        for text, layer, entry in rows
    ]


def _swatch(ax: Axes, layer: Layer, entry: LegendEntry, centre: tuple[float, float], size: float) -> None:
    """A square (area), line or circle (point) in the entry's colour, drawn as the layer draws it."""
    x, y = centre
    edge = _rgba(entry.colour, 1.0, layer)
    fill = _rgba(entry.colour, layer.fill_opacity, layer)
    if entry.icon is not None:
        _draw_pin(ax, centre, size * 0.5, edge, entry.icon, dashed=entry.dashed)
    elif entry.shape == "line":
        ax.add_line(
            Line2D(
                [x - size / 2, x + size / 2],
                [y, y],
                color=edge,
                linewidth=max(layer.line_width * PX_TO_PT, 1.0),
                solid_capstyle="butt",
            )
        )
    elif entry.shape == "circle":
        ax.add_patch(Circle((x, y), size * 0.4, facecolor=fill, edgecolor=edge, linewidth=0.75))
    else:
        ax.add_patch(
            Rectangle((x - size / 2, y - size * 0.4), size, size * 0.8, facecolor=fill, edgecolor=edge, linewidth=0.75)
        )


# --------------------------------------------------------------------------- scale bar, north arrow


def scale_length_km(map_width_m: float) -> float:
    """A round length (1, 2 or 5 x 10^n km) near a fifth of the map's width."""
    target = map_width_m / 5 / 1000
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target * 1.1:
            return step * power
    return power


def _draw_furniture(figure: Figure, left: float, bottom: float, metres_per_inch: float) -> None:
    page_w, page_h = PAGE
    # The scale bar lives in an axes whose x unit is the map's metre, so its length is true.
    length_km = scale_length_km(metres_per_inch * (page_w - 2 * MARGIN - PANEL_WIDTH - GAP))
    bar_in = length_km * 1000 / metres_per_inch
    ax = figure.add_axes((left / page_w, bottom / page_h, (bar_in + 0.6) / page_w, 0.55 / page_h))
    ax.set_xlim(-0.15 * metres_per_inch, (bar_in + 0.45) * metres_per_inch)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    segment = length_km * 1000 / 4
    for index in range(4):
        ax.add_patch(
            Rectangle(
                (index * segment, 0.2),
                segment,
                0.14,
                facecolor=INK if index % 2 == 0 else "white",
                edgecolor=INK,
                linewidth=0.6,
            )
        )
    for value in (0, length_km / 2, length_km):
        ax.text(value * 1000, 0.42, f"{value:g}", ha="center", va="bottom", fontsize=7, color=INK)
    ax.text(length_km * 1000 + 0.08 * metres_per_inch, 0.27, "km", ha="left", va="center", fontsize=7, color=INK)
    ax.text(0, 0.92, "Scale", ha="left", va="top", fontsize=7, color=MUTED)

    # North arrow: the map is drawn in British National Grid, so "up" is grid north (true north
    # differs from it by under a degree across Cumbria and Lancashire).
    arrow_w, arrow_h = 0.45, 0.9
    nx = (page_w - MARGIN - arrow_w) / page_w
    north = figure.add_axes((nx, bottom / page_h, arrow_w / page_w, arrow_h / page_h))
    north.set_xlim(-1, 1)
    north.set_ylim(0, 2)
    north.set_axis_off()
    north.add_patch(
        Polygon([(0, 1.45), (-0.45, 0.45), (0, 0.7)], closed=True, facecolor=INK, edgecolor=INK, linewidth=0.6)
    )
    north.add_patch(
        Polygon([(0, 1.45), (0.45, 0.45), (0, 0.7)], closed=True, facecolor="white", edgecolor=INK, linewidth=0.6)
    )
    north.text(0, 1.5, "N", ha="center", va="bottom", fontsize=11, fontweight="bold", color=INK)
    north.text(0, 0.35, "grid north", ha="center", va="top", fontsize=5.5, color=MUTED)
