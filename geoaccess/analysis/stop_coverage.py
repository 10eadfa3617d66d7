"""How many people live near a stop a timetable serves: by district, within 400 m, 800 m and 2 km.

Residents are placed at postcodes: each Census 2021 LSOA's usual residents are shared equally among
the current postcodes located in it (Code-Point Open has no household counts), and a postcode's
distance to a stop is the straight line from its centroid. The same measure over every active NaPTAN
bus stop and rail station shows what a complete timetable could reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.pack import CUMBRIAN_COUNCILS, Pack
from geoaccess.transit.timetable import Timetable

RADII_M = (400, 800, 2000)
BUS_STOP_TYPES = ("BCT", "BCS", "BCE")
"""NaPTAN stop types a bus calls at: on-street stops, bus-station bays and entrances."""
RAIL_STOP_TYPES = ("RSE",)
"""NaPTAN rail station entrances."""
RAIL_PREFIX = "9100"
"""NaPTAN rail stops are 9100 + TIPLOC: the stations of the modelled timetable and of CIF files."""


@dataclass(frozen=True)
class StopCoverage:
    """Stops served and the share of residents near one, overall and by district."""

    bus_stops_served: int
    bus_stops_active: int
    stations_served: int
    table: pd.DataFrame  # district, residents, within_<r>_m shares (the last row: all districts)

    def to_dict(self) -> dict[str, object]:
        """Plain dict for JSON."""
        return {
            "bus_stops_served": self.bus_stops_served,
            "bus_stops_active": self.bus_stops_active,
            "stations_served": self.stations_served,
            "by_district": self.table.to_dict("records"),
        }


def postcode_residents(pack: Pack, councils: Iterable[str] = CUMBRIAN_COUNCILS) -> pd.DataFrame:
    """``district, easting, northing, residents`` of each current postcode in ``councils``."""
    postcodes = pack.postcodes[pack.postcodes["council"].isin(tuple(councils))]
    population = pack.lsoas.set_index("lsoa21")["population"]
    per_lsoa = postcodes.groupby("lsoa21")["postcode"].transform("count")
    residents = postcodes["lsoa21"].map(population).astype(float) / per_lsoa
    return pd.DataFrame(
        {
            "district": postcodes["district"].to_numpy(),
            "easting": postcodes["easting"].to_numpy(dtype=float),
            "northing": postcodes["northing"].to_numpy(dtype=float),
            "residents": residents.to_numpy(),
        }
    )


def served_stop_ids(timetable: Timetable) -> set[str]:
    """Stops some trip calls at."""
    return set(timetable.stop_times["stop_id"].astype(str))


def stop_coverage(
    pack: Pack, timetable: Timetable, radii: tuple[int, ...] = RADII_M, councils: Iterable[str] = CUMBRIAN_COUNCILS
) -> StopCoverage:
    """Coverage of the stops ``timetable`` serves: active bus stops in ``councils`` it serves (by ATCO code),
    stations (by 9100 code, anywhere), and residents near any stop it serves."""
    served = served_stop_ids(timetable)
    stops = timetable.stops[timetable.stops["stop_id"].astype(str).isin(served)]
    area = _area_stops(pack, councils)
    bus = area[area["stop_type"].isin(BUS_STOP_TYPES)]
    return StopCoverage(
        bus_stops_served=int(bus["atco"].isin(served).sum()),
        bus_stops_active=len(bus),
        stations_served=int(stops["stop_id"].astype(str).str.startswith(RAIL_PREFIX).sum()),
        table=coverage_table(postcode_residents(pack, councils), stops[["lon", "lat"]].to_numpy(float), radii),
    )


def every_stop_coverage(
    pack: Pack, radii: tuple[int, ...] = RADII_M, councils: Iterable[str] = CUMBRIAN_COUNCILS
) -> pd.DataFrame:
    """The same table for every active bus stop and rail station: what a complete timetable could reach."""
    stops = pack.stops[pack.stops["stop_type"].isin(BUS_STOP_TYPES + RAIL_STOP_TYPES)]
    return coverage_table(postcode_residents(pack, councils), stops[["lon", "lat"]].to_numpy(float), radii)


def coverage_table(residents: pd.DataFrame, stops_lonlat: np.ndarray, radii: tuple[int, ...]) -> pd.DataFrame:
    """Share of residents within each radius of a stop, by district and overall (rounded to 0.001)."""
    if len(stops_lonlat):
        east, north = transformer(WGS84, BNG).transform(stops_lonlat[:, 0], stops_lonlat[:, 1])
        gap, _ = cKDTree(np.column_stack([east, north])).query(residents[["easting", "northing"]].to_numpy())
    else:
        gap = np.full(len(residents), np.inf)
    frame = residents.assign(gap=gap)
    rows = [_shares(name, group, radii) for name, group in frame.groupby("district", sort=True)]
    rows.append(_shares("all", frame, radii))
    return pd.DataFrame(rows)


def _shares(name: str, group: pd.DataFrame, radii: tuple[int, ...]) -> dict[str, object]:
    weights = group["residents"].to_numpy()
    total = float(weights.sum())
    row: dict[str, object] = {"district": name, "residents": round(total)}
    for radius in radii:
        row[f"within_{radius}_m"] = round(float(weights[group["gap"].to_numpy() <= radius].sum()) / total, 3)
    return row


def _area_stops(pack: Pack, councils: Iterable[str]) -> pd.DataFrame:
    """Active NaPTAN stops in ``councils`` (by the LSOA they stand in)."""
    import geopandas as gpd

    stops = pack.stops
    points = gpd.GeoDataFrame(stops, geometry=gpd.points_from_xy(stops["lon"], stops["lat"]), crs=WGS84)
    lsoas = pack.lsoas[pack.lsoas["council"].isin(tuple(councils))][["geometry"]].to_crs(WGS84)
    inside = gpd.sjoin(points, lsoas, predicate="within", how="inner")
    return stops.loc[inside.index.unique()]
