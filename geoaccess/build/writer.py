"""Write a data pack's files, with its manifest and SOURCES.md, into a staging folder.

The build fills the staging folder of :func:`geoaccess._io.replace_folder`, which moves it into
place only when every file and the manifest are complete, so a failed build never leaves a
half-written pack.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoaccess._io import sha256_of
from geoaccess.build.catalogue import SOURCES
from geoaccess.pack import MANIFEST_NAME
from geoaccess.roads.network import META_NAME, RoadNetwork
from geoaccess.transit.timetable import COLUMNS as TIMETABLE_COLUMNS
from geoaccess.transit.timetable import PROVENANCE, Timetable


@dataclass(frozen=True)
class PackFile:
    """One manifest entry."""

    file: str
    description: str
    sources: list[str]  # keys into geoaccess.build.catalogue.SOURCES
    licences: list[str]
    dates: list[str]
    rows: int
    columns: list[str]
    bytes: int
    sha256: str


class PackWriter:
    """Writes a pack's files into ``staging`` and records each one for the manifest."""

    def __init__(self, staging: Path, pack_name: str, area: str) -> None:
        self.staging = staging
        self.pack_name = pack_name
        self.area = area
        self.entries: list[PackFile] = []

    def write_table(self, name: str, frame: pd.DataFrame, *, description: str, sources: list[str]) -> None:
        """Write a (Geo)DataFrame as (Geo)Parquet and record it in the manifest."""
        path = self.staging / name
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_parquet(path, index=False, compression="zstd", schema_version="1.0.0")
        else:
            frame.to_parquet(path, index=False, compression="zstd")
        self._record(path, description, sources, len(frame), [str(c) for c in frame.columns])

    def write_json(
        self,
        name: str,
        payload: object,
        *,
        rows: int,
        columns: list[str],
        description: str,
        sources: list[str],
    ) -> None:
        """Write a JSON document (for example the venue GeoJSON) and record it."""
        path = self.staging / name
        path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        self._record(path, description, sources, rows, columns)

    def write_network(self, name: str, network: RoadNetwork, *, description: str, sources: list[str]) -> None:
        """Save a road network into the folder ``name`` and record each of its files."""
        network.save(self.staging / name)
        for part, rows, columns in (
            ("nodes.parquet", len(network.nodes), list(network.nodes.columns)),
            ("edges.parquet", len(network.edges), list(network.edges.columns)),
        ):
            self._record(
                self.staging / name / part,
                f"{description}: {part.split('.')[0]}",
                sources,
                rows,
                [str(c) for c in columns],
            )
        self._record(self.staging / name / META_NAME, f"{description}: provenance", sources, 1, ["meta"])

    def write_timetable(self, name: str, timetable: Timetable, *, description: str, sources: list[str]) -> None:
        """Save a timetable into the folder ``name`` and record each of its files."""
        timetable.save(self.staging / name)
        for table in TIMETABLE_COLUMNS:
            frame = getattr(timetable, table)
            self._record(
                self.staging / name / f"{table}.parquet",
                f"{description}: {table}",
                sources,
                len(frame),
                [str(c) for c in frame.columns],
            )
        self._record(self.staging / name / PROVENANCE, f"{description}: provenance", sources, 1, ["meta"])

    def _record(self, path: Path, description: str, sources: list[str], rows: int, columns: list[str]) -> None:
        used = [SOURCES[key] for key in sources]
        self.entries.append(
            PackFile(
                file=path.relative_to(self.staging).as_posix(),
                description=description,
                sources=sources,
                licences=sorted({s.licence for s in used}),
                dates=[s.date for s in used],
                rows=rows,
                columns=columns,
                bytes=path.stat().st_size,
                sha256=sha256_of(path),
            )
        )

    def manifest(self) -> dict[str, Any]:
        """The manifest document: pack identity, sources used, and every file."""
        used = sorted({key for entry in self.entries for key in entry.sources})
        return {
            "pack": self.pack_name,
            "area": self.area,
            "format_version": 1,
            "sources": {key: asdict(SOURCES[key]) for key in used},
            "files": [asdict(e) for e in sorted(self.entries, key=lambda e: e.file)],
        }

    def finish(self, sources_md: str) -> dict[str, Any]:
        """Write the manifest and SOURCES.md; returns the manifest."""
        manifest = self.manifest()
        (self.staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (self.staging / "SOURCES.md").write_text(sources_md, encoding="utf-8")
        return manifest
