"""What a map shows, independent of how it is drawn.

Map builders (venues, isochrones, burden, scenario, journey) return a
:class:`MapDocument`: a title, a stack of layers (GeoDataFrames in WGS84 with a
style and legend entries), the attribution and a provenance line. Two renderers
draw it: Folium for interactive pages and standalone HTML
(:mod:`geoaccess.maps.interactive`), matplotlib for PNG and PDF
(:mod:`geoaccess.maps.static`). One style, colour-blind safe, serves both;
points can be drawn as pins (a disc with a Font Awesome glyph), so kinds differ
by shape as well as colour and a map reads without colour vision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
"""The Okabe-Ito palette: distinguishable with the common colour-vision deficiencies."""
SEQUENTIAL = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
"""Viridis steps, light to dark: for ordered bands (30/60/90/120 min, burden shares)."""
DIVERGING = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")
"""Blue (better) to red (worse), for differences between scenarios."""
BASEMAP_FILL = "#eeeeee"
BASEMAP_EDGE = "#b0b0b0"
FAN_OUT_GAP = 1.0
"""Pins that would overlap spread around a ring with this much space between neighbours (px on screen, pt on paper)."""
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: a swatch and its label."""

    label: str
    colour: str
    shape: str = "square"  # "square" (area), "line" or "circle" (point)
    icon: str | None = None  # a Font Awesome icon: the swatch is a pin, as drawn for a layer's ``icon_column``
    dashed: bool = False  # a dashed outline, as drawn for features marked in a layer's ``dashed_column``


@dataclass
class Layer:
    """One drawable layer.

    ``kind`` is ``polygons``, ``lines`` or ``points``. ``colour_column`` names a
    column of hex colours per feature (else ``colour`` is used for all). ``popup``
    and ``tooltip`` name columns of plain text (escaped when drawn). ``basemap``
    layers are drawn first, light and not interactive.

    Points with an ``icon_column`` (Font Awesome 6 solid icon names, e.g.
    ``"building"``) are drawn as opaque pins: a disc ``2 * radius`` across in the
    feature's colour holding the icon in black or white (:func:`ink`); pins
    that would overlap fan out around a ring (:data:`FAN_OUT_GAP`). A
    ``dashed_column`` of booleans outlines the features marked ``True`` with a
    dashed line (e.g. an approximate position). A ``group_column`` lets the
    interactive map's layer control switch the layer's features on and off by
    that column's values (e.g. one entry per kind of venue); prints draw them all.
    """

    name: str
    frame: gpd.GeoDataFrame
    kind: str
    colour: str = "#0072B2"
    colour_column: str | None = None
    fill_opacity: float = 0.6
    line_width: float = 1.0
    radius: float = 6.0
    popup: str | None = None
    tooltip: str | None = None
    label: str | None = None  # a text column written beside points (e.g. town names)
    icon_column: str | None = None
    dashed_column: str | None = None
    group_column: str | None = None
    legend: list[LegendEntry] = field(default_factory=list)
    basemap: bool = False
    show: bool = True


@dataclass
class MapDocument:
    """A map: title, layers bottom to top, attribution and provenance."""

    title: str
    layers: list[Layer]
    attribution: list[str]
    provenance: str
    subtitle: str = ""
    made: date = field(default_factory=date.today)
    modelled: bool = False

    @property
    def footer(self) -> str:
        """The line every export carries: attribution, provenance, date, and MODELLED where so."""
        parts = ["; ".join(self.attribution), self.provenance, f"Made {self.made.isoformat()} with geoaccess"]
        if self.modelled:
            parts.insert(1, "MODELLED figures: see the provenance")
        return ". ".join(part.rstrip(".") for part in parts if part) + "."

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the non-basemap layers (all layers if only basemaps)."""
        frames = [layer.frame for layer in self.layers if not layer.basemap and not layer.frame.empty]
        frames = frames or [layer.frame for layer in self.layers if not layer.frame.empty]
        west, south, east, north = zip(*(frame.total_bounds for frame in frames), strict=True)
        return min(west), min(south), max(east), max(north)


def ink(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (``#rgb`` or ``#rrggbb``): a pin's glyph colour.

    Uses the WCAG relative luminance; every Okabe-Ito colour gets a contrast of 4.5:1 or more.
    Raises :class:`ValueError` for anything but a hex colour.
    """
    if not _HEX.match(colour):
        raise ValueError(f"{colour!r} is not a #rgb or #rrggbb colour")
    digits = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:])
    linear = [
        value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
        for value in (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    ]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05): equal at L = 0.179.
    return "#000000" if (luminance + 0.05) ** 2 > 0.0525 else "#ffffff"
