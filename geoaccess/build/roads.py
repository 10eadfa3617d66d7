"""Build the pack's road tables: the car-time reference and the offline proxy networks."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoaccess.build.catalogue import SOURCES
from geoaccess.geometry import BNG
from geoaccess.roads.calibration import PACK_REFERENCE, calibrated, load_fitted
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.proxy import proxy_links, proxy_network, proxy_points
from geoaccess.roads.router import WALK_KPH


def car_reference(source: Path) -> pd.DataFrame:
    """External car minutes, long format: one row per (2011 LSOA, hospital) pair.

    Origins are the ONS 2011 LSOA centroids; destinations the hospitals' points.
    """
    wide = pd.read_csv(SOURCES["car_reference"].locate(source))
    hospitals = pd.read_csv(SOURCES["hospitals"].locate(source))
    hospitals["key"] = hospitals["postcode"].str.replace(" ", "", regex=False)
    lsoas = gpd.read_file(SOURCES["lsoa11"].locate(source), columns=["LSOA11CD", "LONG", "LAT"])
    long = wide.melt(id_vars=["LSOA11CD", "LSOA11NM", "lad_active_cd"], var_name="key", value_name="minutes")
    long = long.merge(lsoas[["LSOA11CD", "LONG", "LAT"]], on="LSOA11CD", how="left", validate="many_to_one")
    long = long.merge(hospitals[["key", "Longitude", "Latitude"]], on="key", how="left", validate="many_to_one")
    missing = long[["LONG", "Longitude"]].isna().any(axis=1)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} reference pairs lack an LSOA or hospital position")
    frame = pd.DataFrame(
        {
            "lsoa11": long["LSOA11CD"],
            "origin_lon": long["LONG"],
            "origin_lat": long["LAT"],
            "destination": long["key"],
            "destination_lon": long["Longitude"],
            "destination_lat": long["Latitude"],
            "minutes": long["minutes"],
        }
    )
    return frame.sort_values(["lsoa11", "destination"]).reset_index(drop=True)


def proxy_networks(
    stops: pd.DataFrame,
    postcodes: pd.DataFrame,
    land_wgs84: gpd.GeoDataFrame,
    reference: pd.DataFrame,
    dates: dict[str, str],
) -> dict[str, RoadNetwork]:
    """The proxy drive and walk networks with the recorded parameters; the drive network prints the recorded
    calibration's minutes and carries their measured error."""
    links = proxy_links(proxy_points(stops, postcodes), land_wgs84.to_crs(BNG).geometry.iloc[0])
    params, relation = load_fitted()
    base = {
        "network": "proxy",
        "source": "offline proxy: Gabriel-graph links between active NaPTAN stops and Code-Point Open "
        "postcode centroids, on the coast-clipped land mask",
        "date": max(dates.values()),
        "input_dates": dates,
        "modelled": True,
        "nodes_dropped": {"outside_area": links.outside_points, "unconnected": links.dropped_points},
        "parameters": params.to_dict(),
    }
    drive, _ = calibrated(
        proxy_network(links, params, "drive", base), relation, reference, land_wgs84.geometry.iloc[0], PACK_REFERENCE
    )
    walk = proxy_network(
        links,
        params,
        "walk",
        {
            **base,
            "walk_kph": WALK_KPH,
            "calibration": None,
            "note": "walking times are not calibrated: 4.8 km/h on every link",
        },
    )
    return {"drive": drive, "walk": walk}
