"""The static renderer's legend: a heading per layer and its entries, each with a swatch drawn as the layer draws.

Rows are set smaller until they fit the panel (down to 5.5 pt); any that still
do not fit are summed up as "... and N more".
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle

from geoaccess.maps.document import Layer, LegendEntry, MapDocument
from geoaccess.maps.static_layers import PX_TO_PT, rgba
from geoaccess.maps.static_page import INK, MUTED, PAGE
from geoaccess.maps.static_pins import draw_pin
from geoaccess.maps.static_text import wrap


def _legend_rows(doc: MapDocument) -> list[tuple[str, Layer | None, LegendEntry | None]]:
    """Headings (one per layer with entries) and entries, top to bottom."""
    rows: list[tuple[str, Layer | None, LegendEntry | None]] = []
    for layer in doc.layers:
        if layer.basemap or not layer.show or not layer.legend:
            continue
        rows.append((layer.name, None, None))
        rows.extend((entry.label, layer, entry) for entry in layer.legend)
    return rows


def draw_legend(figure: Figure, doc: MapDocument, box: tuple[float, float, float, float]) -> None:
    """The legend of ``doc`` in ``box`` (left, bottom, width, height in inches on the page); nothing if it
    has no entries or the box is too low."""
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
        (wrap(text, width if entry else width_pt / 72, size + (0 if entry else 0.5), bold=entry is None), layer, entry)
        for text, layer, entry in rows
    ]


def _swatch(ax: Axes, layer: Layer, entry: LegendEntry, centre: tuple[float, float], size: float) -> None:
    """A square (area), line or circle (point) in the entry's colour, drawn as the layer draws it."""
    x, y = centre
    edge = rgba(entry.colour, 1.0, layer)
    fill = rgba(entry.colour, layer.fill_opacity, layer)
    if entry.icon is not None:
        draw_pin(ax, centre, size * 0.5, edge, entry.icon, dashed=entry.dashed)
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
