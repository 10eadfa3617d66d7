"""The static renderer's layers: features in British National Grid, each in its colour, as areas, lines or circles.

Layer widths and radii are given in CSS pixels, as in Leaflet, and drawn at
:data:`PX_TO_PT` points each. Pins (points with an ``icon_column``) are drawn
by :mod:`geoaccess.maps.static_pins`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.typing import ColorType

from geoaccess.errors import BadInput
from geoaccess.maps.document import BASEMAP_EDGE, BASEMAP_FILL, Layer

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
KINDS = ("polygons", "lines", "points")
PX_TO_PT = 0.75  # layer widths and radii are given in CSS pixels (as in Leaflet): 1 px = 0.75 pt

RGBA = tuple[float, float, float, float]


def rgba(colour: ColorType, alpha: float, layer: Layer) -> RGBA:
    """``colour`` at ``alpha``; :class:`BadInput` naming ``layer`` if it is not a colour."""
    try:
        return to_rgba(colour, alpha)
    except ValueError:
        raise BadInput(f"cannot draw layer {layer.name!r}: {colour!r} is not a colour") from None


def colours(layer: Layer, frame: gpd.GeoDataFrame, alpha: float) -> list[RGBA]:
    """One RGBA colour per feature: the colour column where given, else the layer colour."""
    if layer.colour_column is None:
        return [rgba(layer.colour, alpha, layer)] * len(frame)
    return [rgba(value, alpha, layer) for value in frame[layer.colour_column]]


def drawable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The features that have a geometry."""
    geometry = frame.geometry
    return frame[geometry.notna() & ~geometry.is_empty]


def in_bng(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The features that have a geometry, in British National Grid (a frame with no CRS is taken as WGS84)."""
    frame = drawable(frame)
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    return frame.to_crs(BNG)


def dashed(layer: Layer, frame: gpd.GeoDataFrame) -> list[bool]:
    """Per feature: outlined dashed (``dashed_column``)?"""
    if layer.dashed_column is None or layer.basemap:
        return [False] * len(frame)
    return [isinstance(value, bool | np.bool_) and bool(value) for value in frame[layer.dashed_column]]


def draw_layer(ax: Axes, layer: Layer) -> None:
    """``layer``'s features on the map ``ax`` (in BNG metres), basemaps beneath the rest."""
    frame = in_bng(layer.frame)
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
                facecolor=np.array(colours(layer, frame, layer.fill_opacity)),
                edgecolor=np.array(colours(layer, frame, 1.0)),
                linewidth=width,
                zorder=2,
            )
    elif layer.kind == "lines":
        frame.geometry.plot(
            ax=ax,
            color=np.array(colours(layer, frame, 1.0)),
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
            c=colours(layer, frame, layer.fill_opacity),
            edgecolors=colours(layer, frame, 1.0),
            linewidths=max(width, 0.5),
            linestyles=["--" if mark else "-" for mark in dashed(layer, frame)],
            marker="o",
            zorder=1.6 if layer.basemap else 4,
        )
    else:  # render_static has already refused other kinds
        raise BadInput(f"cannot draw layer {layer.name!r}: kind {layer.kind!r} is not one of {', '.join(KINDS)}")
