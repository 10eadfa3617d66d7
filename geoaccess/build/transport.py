"""Build the pack's transport tables: rail stations, rail lines and NaPTAN stops."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoaccess.build.catalogue import SOURCES
from geoaccess.geometry import WGS84


def stations(source: Path) -> gpd.GeoDataFrame:
    """National Rail stations with CRS, TIPLOC and NaPTAN ATCO codes."""
    listed = pd.read_csv(SOURCES["stations"].locate(source))
    msn = pd.read_csv(SOURCES["msn"].locate(source))[["crs", "tiploc"]].drop_duplicates("crs")
    naptan = pd.read_csv(SOURCES["naptan_rail"].locate(source))
    naptan = naptan[naptan["Status"] == "active"]
    naptan = naptan.assign(tiploc=naptan["ATCOCode"].str.removeprefix("9100"))[["tiploc", "ATCOCode"]]
    frame = listed.rename(
        columns={"stationName": "name", "crsCode": "crs", "long": "lon", "constituentCountry": "country"}
    )
    frame = frame[["crs", "name", "lon", "lat", "country"]]
    frame = frame.merge(msn, on="crs", how="left").merge(naptan, on="tiploc", how="left")
    frame = frame.rename(columns={"ATCOCode": "atco"}).sort_values("crs").reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=WGS84)


def rail_lines(source: Path) -> gpd.GeoDataFrame:
    """Simplified rail line geometry (OpenStreetMap)."""
    frame = gpd.read_file(SOURCES["rail_lines"].locate(source))
    frame = frame.rename(columns={"id": "line_id"})[["line_id", "geometry"]]
    return frame.to_crs(WGS84).sort_values("line_id").reset_index(drop=True)


def stops(source: Path) -> pd.DataFrame:
    """Active NaPTAN stops (bus, coach, ferry, rail entrances) with WGS84 positions.

    Cumbrian rows carry only easting/northing, so the positions converted from
    British National Grid (``lon_from_bng``/``lat_from_bng``) are used throughout. ``bearing`` is
    NaPTAN's compass point (``N`` .. ``NW``) of the direction of travel at the stop, ``""`` if not given.
    """
    raw = pd.read_csv(SOURCES["naptan"].locate(source), dtype=str)
    active = raw[raw["Status"] == "active"]
    frame = pd.DataFrame(
        {
            "atco": active["ATCOCode"],
            "naptan_code": active["NaptanCode"],
            "name": active["CommonName"],
            "indicator": active["Indicator"],
            "street": active["Street"],
            "locality": active["LocalityName"],
            "stop_type": active["StopType"],
            "bearing": active["Bearing"].fillna(""),
            "lon": active["lon_from_bng"].astype(float),
            "lat": active["lat_from_bng"].astype(float),
        }
    )
    return frame.sort_values("atco").reset_index(drop=True)


def all_stop_positions(source: Path) -> pd.DataFrame:
    """Every NaPTAN stop's locality and position, active or not (for placing venues)."""
    raw = pd.read_csv(SOURCES["naptan"].locate(source), dtype=str)
    return pd.DataFrame(
        {
            "atco": raw["ATCOCode"],
            "locality": raw["LocalityName"],
            "lon": raw["lon_from_bng"].astype(float),
            "lat": raw["lat_from_bng"].astype(float),
        }
    )
