"""Coordinate reference systems and small geometry helpers.

Positions are stored as WGS84 lon/lat; distances are measured in metres of a
projection suited to the data: British National Grid (EPSG:27700) in Great
Britain, the local UTM zone elsewhere (:func:`metric_crs_for`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"
GB_LONLAT_BOUNDS = (-8.75, 49.8, 1.8, 60.9)
"""West, south, east, north of Great Britain (with its islands), where British National Grid is used."""
EARTH_RADIUS_M = 6_371_008.8


@lru_cache(maxsize=16)
def transformer(source: str, target: str) -> Transformer:
    """A cached lon/lat-ordered transformer between two CRSs (works on arrays too)."""
    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 lon/lat to British National Grid easting/northing (metres)."""
    return transformer(WGS84, BNG).transform(lon, lat)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """British National Grid easting/northing to WGS84 lon/lat."""
    return transformer(BNG, WGS84).transform(easting, northing)


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 UTM zone (EPSG:326zz north, 327zz south) holding a position."""
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def metric_crs_for(lonlat: npt.ArrayLike) -> str:
    """A CRS in metres for distances among WGS84 ``(lon, lat)`` positions, shape (n, 2): British National
    Grid when their centre (median) is in Great Britain, else the UTM zone of that centre."""
    points = np.atleast_2d(np.asarray(lonlat, dtype=float))
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) == 0:
        return BNG
    lon, lat = (float(v) for v in np.median(points, axis=0))
    west, south, east, north = GB_LONLAT_BOUNDS
    if west <= lon <= east and south <= lat <= north:
        return BNG
    return utm_crs(lon, lat)


def haversine_m(lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike) -> np.ndarray:
    """Great-circle distance in metres between WGS84 positions (broadcast like numpy)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = phi2 - phi1, np.radians(np.subtract(lon2, lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    distance: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distance
