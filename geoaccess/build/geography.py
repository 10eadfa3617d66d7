"""Build the pack's place tables: postcodes, LSOAs with population, districts, land mask."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geoaccess.build.catalogue import SOURCES
from geoaccess.geometry import BNG, WGS84
from geoaccess.pack import CUMBRIAN_COUNCILS

LSOA_SIMPLIFY_M = 30.0
LAND_SIMPLIFY_M = 10.0
AGE_BANDS = {
    "Aged 15 years and under": "age_0_15",
    "Aged 16 to 24 years": "age_16_24",
    "Aged 25 to 34 years": "age_25_34",
    "Aged 35 to 49 years": "age_35_49",
    "Aged 50 to 64 years": "age_50_64",
    "Aged 65 years and over": "age_65_plus",
}


def read_lsoas(source: Path, *, simplify: bool = True) -> gpd.GeoDataFrame:
    """2021 LSOA polygons (British National Grid) with their reporting district.

    ``simplify`` simplifies them by ``LSOA_SIMPLIFY_M`` keeping shared borders shared.
    The district is the 2021 local authority district the LSOA is named after ("Allerdale 007A"):
    in Cumbria the six pre-2023 districts probation still reports by, elsewhere the council.
    """
    raw = gpd.read_file(SOURCES["lsoa21"].locate(source))
    frame = raw[["LSOA21CD", "LSOA21NM", "lad_active_cd", "lad_active_nm", "geometry"]]
    frame = frame.rename(
        columns={
            "LSOA21CD": "lsoa21",
            "LSOA21NM": "lsoa21_name",
            "lad_active_cd": "council_code",
            "lad_active_nm": "council",
        }
    )
    frame["district"] = frame["lsoa21_name"].str.rsplit(" ", n=1).str[0]
    codes = _district_codes(source)
    frame["district_code"] = frame["district"].map(codes)
    unnamed = sorted(set(frame.loc[frame["district_code"].isna(), "district"]))
    if unnamed:
        raise ValueError(f"no ONS district code for {unnamed}")
    frame = frame.to_crs(BNG)
    if simplify:
        frame["geometry"] = shapely.coverage_simplify(frame.geometry.values, LSOA_SIMPLIFY_M)
    return frame.sort_values("lsoa21").reset_index(drop=True)


def _district_codes(source: Path) -> dict[str, str]:
    names = pd.read_csv(SOURCES["lad_names"].locate(source), sep="|", header=None, names=["code", "name", "lon", "lat"])
    return dict(zip(names["name"], names["code"], strict=True))


def districts(lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reporting districts dissolved from the simplified LSOAs (so borders agree exactly)."""
    frame = lsoas.dissolve(by=["district_code", "district"], as_index=False, aggfunc={"council": "first"})
    frame["in_cumbria"] = frame["council"].isin(CUMBRIAN_COUNCILS)
    frame = frame[["district_code", "district", "council", "in_cumbria", "geometry"]]
    return frame.sort_values("district_code").reset_index(drop=True).to_crs(WGS84)


def lsoas_with_population(source: Path, lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Simplified LSOA polygons with Census 2021 usual residents by age band."""
    population = pd.read_csv(SOURCES["population"].locate(source))
    population = population.rename(
        columns={"lsoa21_code": "lsoa21", "total_usual_residents": "population", **AGE_BANDS}
    )
    population = population[["lsoa21", "population", *AGE_BANDS.values(), "reppoint_lon", "reppoint_lat"]]
    frame = lsoas.merge(population, on="lsoa21", how="left", validate="one_to_one")
    missing = frame["population"].isna().sum()
    if missing:
        raise ValueError(f"{missing} LSOAs have no Census 2021 population row")
    frame["adults_16_plus"] = frame[[c for c in AGE_BANDS.values() if c != "age_0_15"]].sum(axis=1)
    frame = frame.rename(columns={"reppoint_lon": "point_lon", "reppoint_lat": "point_lat"})
    return frame.to_crs(WGS84)


def land_mask(lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The pack's area as one (multi)polygon: the union of the coast-clipped LSOAs."""
    land = shapely.union_all(lsoas.geometry.values)
    land = shapely.simplify(land, LAND_SIMPLIFY_M, preserve_topology=True)
    frame = gpd.GeoDataFrame({"name": ["land"]}, geometry=[land], crs=BNG).to_crs(WGS84)
    frame["geometry"] = frame.geometry.make_valid()  # reprojection can pinch narrow inlets
    return frame


def postcodes(source: Path, lsoas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Live postcodes inside the area with position, LSOA, council and reporting district."""
    raw = pd.read_csv(SOURCES["codepoint"].locate(source), dtype={"pq": "int16"})
    inside = raw[raw["LSOA21CD"].notna()]
    district = dict(zip(lsoas["lsoa21"], lsoas["district"], strict=True))
    frame = pd.DataFrame(
        {
            "postcode": inside["postcode"],
            "lon": inside["lon"].round(6),
            "lat": inside["lat"].round(6),
            "easting": inside["easting"].astype("int32"),
            "northing": inside["northing"].astype("int32"),
            "quality": inside["pq"],
            "lsoa21": inside["LSOA21CD"],
            "lsoa21_name": inside["LSOA21NM"],
            "council_code": inside["lad_active_cd"],
            "council": inside["lad_active_nm"],
            "district": inside["LSOA21CD"].map(district),
        }
    )
    return frame.sort_values("postcode").reset_index(drop=True)


def postcodes_outside(source: Path) -> pd.DataFrame:
    """Live postcodes known to Code-Point but outside the pack's area, with their council name."""
    raw = pd.read_csv(SOURCES["codepoint"].locate(source))
    outside = raw[raw["LSOA21CD"].isna()]
    lookup = {code: name for name, code in _district_codes(source).items()}
    frame = pd.DataFrame(
        {
            "postcode": outside["postcode"],
            "council": outside["admin_district_code"].map(lookup).fillna(outside["admin_district_code"]),
        }
    )
    return frame.sort_values("postcode").reset_index(drop=True)


def postcodes_terminated(source: Path, live: set[str]) -> pd.DataFrame:
    """Postcodes the ONS lookup marks terminated and Code-Point no longer lists."""
    raw = pd.read_csv(SOURCES["ons_postcodes"].locate(source), dtype=str)
    ended = raw[raw["doterm"].notna() & ~raw["pcds"].isin(live)]
    frame = pd.DataFrame(
        {
            "postcode": ended["pcds"],
            "introduced": ended["dointr"].map(_yyyymm),
            "terminated": ended["doterm"].map(_yyyymm),
            "lsoa11": ended["lsoa11cd"],
            "council_2022": ended["ladnm"],
        }
    )
    return frame.sort_values("postcode").reset_index(drop=True)


def _yyyymm(value: str) -> str:
    """ONS ``YYYYMM`` to ``YYYY-MM``."""
    return f"{value[:4]}-{value[4:6]}"


def sectors(source: Path) -> pd.DataFrame:
    """Postcode sector centroids, for showing a home only at sector precision."""
    raw = pd.read_csv(SOURCES["sectors"].locate(source))
    frame = raw[["sector", "n_postcodes", "lon", "lat"]].copy()
    return frame.sort_values("sector").reset_index(drop=True)
