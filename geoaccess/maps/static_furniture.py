"""The static renderer's map furniture at the foot of the panel: a true-length scale bar and a grid north arrow."""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from geoaccess.maps.static_page import GAP, INK, MARGIN, MUTED, PAGE, PANEL_WIDTH


def scale_length_km(map_width_m: float) -> float:
    """A round length (1, 2 or 5 x 10^n km) near a fifth of the map's width."""
    target = map_width_m / 5 / 1000
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target * 1.1:
            return step * power
    return power


def draw_furniture(figure: Figure, left: float, bottom: float, metres_per_inch: float) -> None:
    """The scale bar from ``left`` and the north arrow at the page's right margin, both from ``bottom``
    (inches on the page), for a map at ``metres_per_inch``."""
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
