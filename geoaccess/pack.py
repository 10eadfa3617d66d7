"""Load a built data pack: its manifest and its tables, each read once.

A pack is a folder (``data/cumbria/``) of Parquet/GeoParquet/GeoJSON files
described by ``manifest.json``. Nothing here reads the raw sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoaccess._io import sha256_of
from geoaccess.errors import DataPackError
from geoaccess.geometry import BNG
from geoaccess.settings import pack_dir

MANIFEST_NAME = "manifest.json"
CUMBRIAN_COUNCILS = ("Cumberland", "Westmorland and Furness")
"""The councils the pack covers in full (its neighbours only in part)."""


@dataclass
class Pack:
    """A data pack on disk; tables load lazily and are cached on the instance."""

    path: Path

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The parsed ``manifest.json``."""
        manifest_path = self.path / MANIFEST_NAME
        if not manifest_path.is_file():
            raise DataPackError(
                f"no data pack at {self.path}: {MANIFEST_NAME} is missing "
                "(build one with `geoaccess data build --source PATH`)"
            )
        try:
            manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataPackError(f"{manifest_path} is not valid JSON: {exc}") from exc
        return manifest

    def file(self, name: str) -> Path:
        """Path of a pack file listed in the manifest."""
        if name not in {entry["file"] for entry in self.manifest["files"]}:
            raise DataPackError(f"the pack at {self.path} has no file {name!r} in its manifest")
        path = self.path / name
        if not path.is_file():
            raise DataPackError(f"the pack at {self.path} lists {name!r} but the file is missing")
        return path

    def table(self, name: str) -> pd.DataFrame:
        """A plain Parquet table."""
        return pd.read_parquet(self.file(name))

    def geotable(self, name: str) -> gpd.GeoDataFrame:
        """A GeoParquet table (WGS84)."""
        return gpd.read_parquet(self.file(name))

    @cached_property
    def postcodes(self) -> pd.DataFrame:
        """Live postcodes in the area, indexed by the postcode without spaces."""
        frame = self.table("postcodes.parquet")
        return frame.set_index(frame["postcode"].str.replace(" ", "", regex=False))

    @cached_property
    def postcodes_terminated(self) -> pd.DataFrame:
        """Terminated postcodes, indexed by the postcode without spaces."""
        frame = self.table("postcodes_terminated.parquet")
        return frame.set_index(frame["postcode"].str.replace(" ", "", regex=False))

    @cached_property
    def postcodes_outside(self) -> pd.DataFrame:
        """Live postcodes outside the area, indexed by the postcode without spaces."""
        frame = self.table("postcodes_outside.parquet")
        return frame.set_index(frame["postcode"].str.replace(" ", "", regex=False))

    @cached_property
    def lsoas(self) -> gpd.GeoDataFrame:
        """2021 LSOAs (simplified) with Census 2021 population."""
        return self.geotable("lsoa21.parquet")

    @cached_property
    def lsoas_bng(self) -> gpd.GeoDataFrame:
        """The LSOAs in British National Grid, for point-in-polygon tests."""
        return self.lsoas.to_crs(BNG)

    @cached_property
    def districts(self) -> gpd.GeoDataFrame:
        """Reporting districts (pre-2023 Cumbrian districts and other councils)."""
        return self.geotable("districts.parquet")

    @cached_property
    def districts_bng(self) -> gpd.GeoDataFrame:
        """The districts in British National Grid."""
        return self.districts.to_crs(BNG)

    @cached_property
    def land(self) -> gpd.GeoDataFrame:
        """The land mask: the union of the coast-clipped LSOAs."""
        return self.geotable("land.parquet")

    @cached_property
    def stations(self) -> gpd.GeoDataFrame:
        """National Rail stations."""
        return self.geotable("rail_stations.parquet")

    @cached_property
    def rail_lines(self) -> gpd.GeoDataFrame:
        """Rail line geometry."""
        return self.geotable("rail_lines.parquet")

    @cached_property
    def stops(self) -> pd.DataFrame:
        """Active NaPTAN stops."""
        return self.table("stops.parquet")

    @property
    def venues_path(self) -> Path:
        """The pack's venue registry (GeoJSON)."""
        return self.file("venues.geojson")

    def verify(self) -> list[str]:
        """Problems found checking every file against the manifest (empty when intact)."""
        problems = []
        for entry in self.manifest["files"]:
            path = self.path / entry["file"]
            if not path.is_file():
                problems.append(f"{entry['file']}: missing")
            elif sha256_of(path) != entry["sha256"]:
                problems.append(f"{entry['file']}: sha256 differs from the manifest")
        return problems


def load_pack(path: Path | None = None) -> Pack:
    """The pack at ``path`` (default: the configured pack), shared per process."""
    return _cached_pack(Path(path) if path else pack_dir())


@lru_cache(maxsize=4)
def _cached_pack(path: Path) -> Pack:
    return Pack(path)
