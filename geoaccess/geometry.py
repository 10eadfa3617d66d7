"""Coordinate reference systems and small geometry helpers.

Positions are stored as WGS84 lon/lat; distances are measured in British
National Grid (EPSG:27700) metres.
"""

from __future__ import annotations

from functools import lru_cache

from pyproj import Transformer

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"


@lru_cache(maxsize=2)
def transformer(source: str, target: str) -> Transformer:
    """A cached lon/lat-ordered transformer between two CRSs (works on arrays too)."""
    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 lon/lat to British National Grid easting/northing (metres)."""
    return transformer(WGS84, BNG).transform(lon, lat)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """British National Grid easting/northing to WGS84 lon/lat."""
    return transformer(BNG, WGS84).transform(easting, northing)
