"""What a map shows, independent of how it is drawn.

Map builders (venues, isochrones, burden, scenario, journey) return a
:class:`MapDocument`: a title, a stack of layers (GeoDataFrames in WGS84 with a
style and legend entries), the attribution and a provenance line. Two renderers
draw it: Folium for interactive pages and standalone HTML
(:mod:`geoaccess.maps.interactive`), matplotlib for PNG and PDF
(:mod:`geoaccess.maps.static`). One style, colour-blind safe, serves both.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: a swatch and its label."""

    label: str
    colour: str
    shape: str = "square"  # "square" (area), "line" or "circle" (point)


@dataclass
class Layer:
    """One drawable layer.

    ``kind`` is ``polygons``, ``lines`` or ``points``. ``colour_column`` names a
    column of hex colours per feature (else ``colour`` is used for all). ``popup``
    and ``tooltip`` name columns of plain text (escaped when drawn). ``basemap``
    layers are drawn first, light and not interactive.
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
