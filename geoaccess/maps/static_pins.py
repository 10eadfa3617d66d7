"""The static renderer's pins and point labels.

Pins (points with an ``icon_column``) are drawn as on the interactive map: a
disc with the Font Awesome glyph, in the same font. Pins that would overlap on
the page fan out around their group's centre, and labels move clear of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.font_manager import FontProperties
from matplotlib.patheffects import Normal, Stroke
from matplotlib.transforms import Transform, offset_copy

from geoaccess.maps.document import FAN_OUT_GAP, Layer, ink
from geoaccess.maps.offline_assets import solid_font, solid_icons
from geoaccess.maps.static_layers import PX_TO_PT, RGBA, colours, dashed, in_bng
from geoaccess.maps.static_page import INK
from geoaccess.maps.static_text import text_width

PIN_EDGE_PX = 2.0  # a pin's outline, as on the interactive map
LABEL_SIZE = 6.5  # points: names beside points (towns)

Disc = tuple[float, float, float]
"""Where a pin is drawn: centre x and y, in points from the map's origin (BNG 0, 0) at its scale, and radius."""


def draw_pin(
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


def draw_pins(ax: Axes, layer: Layer, metres_per_inch: float) -> list[Disc]:
    """Opaque pins, as on the interactive map; pins that would overlap on the page fan out around their
    group's centre (:func:`_fan_out`). Returns where each was drawn."""
    assert layer.icon_column is not None
    frame = in_bng(layer.frame)
    if frame.empty:
        return []
    points = frame.geometry.representative_point()
    radius = layer.radius * PX_TO_PT
    at, offsets = pin_offsets(layer, frame, 72 / metres_per_inch)
    figure = ax.get_figure(root=True)
    drawn: list[Disc] = []
    for x, y, (px, py), fill, icon, outline_dashed, (dx, dy) in zip(
        points.x,
        points.y,
        at,
        colours(layer, frame, 1.0),
        frame[layer.icon_column],
        dashed(layer, frame),
        offsets,
        strict=True,
    ):
        moved = offset_copy(ax.transData, fig=figure, x=dx, y=-dy, units="points")  # y up on the page
        draw_pin(ax, (x, y), radius, fill, str(icon), dashed=outline_dashed, transform=moved)
        drawn.append((px + dx, py - dy, radius + PIN_EDGE_PX * PX_TO_PT / 2))
    return drawn


def pin_offsets(
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


def draw_labels(ax: Axes, layer: Layer, pins: Sequence[Disc], metres_per_inch: float) -> None:
    """The ``label`` of each of ``layer``'s points to its right, moved clear of the ``pins`` drawn."""
    frame = in_bng(layer.frame)
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
        start = _clear_of(pins, x + offset, y, text_width(str(text), LABEL_SIZE) * 72, LABEL_SIZE)
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
