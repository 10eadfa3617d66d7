"""Write an N x N street grid as an OSM file (``.osm.pbf``) for scale benchmarks of ``geoaccess network build``.

Run ``python bench/generate_street_grid.py --size N --out FILE.osm.pbf [--seed S] [--spacing-m 100]
[--origin-lat 54.6 --origin-lon -2.9]``.

The grid has ``N * N`` nodes (ids ``1 .. N*N``, row by row from the south-west corner at the origin,
``--spacing-m`` apart) and one way per street per stretch of at most :data:`BLOCKS_PER_WAY` blocks,
along each row and each column. Streets are ``highway=primary`` every 10th line, ``tertiary`` every 5th
(from a seeded offset) and ``residential`` otherwise; about 1 in 4 inner residential streets is
``oneway=yes``, in a seeded direction. The outer ring is never one-way, so the drive network is one
strongly connected component. The header carries ``osmosis_replication_timestamp`` (and each object a
version and timestamp), so the file is dated like a Geofabrik extract. Written with pyosmium's
``SimpleWriter``; nothing but the current way is held in memory.
"""

from __future__ import annotations

import argparse
import datetime
import math
import random
from pathlib import Path

import osmium
from osmium.osm.mutable import Node, Way

BLOCKS_PER_WAY = 10
"""A street is cut into ways of at most this many blocks (real streets are several ways long)."""
METRES_PER_DEGREE_LAT = 111_320.0
TIMESTAMP = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _line_tags(index: int, size: int, offset: int, rng: random.Random) -> dict[str, str]:
    """Tags of the ways along one grid line (row or column ``index``)."""
    if (index + offset) % 10 == 0:
        highway = "primary"
    elif (index + offset) % 5 == 0:
        highway = "tertiary"
    else:
        highway = "residential"
    tags = {"highway": highway, "name": f"Street {index}"}
    outer = index in (0, size - 1)
    if highway == "residential" and not outer and rng.random() < 0.25:
        tags["oneway"] = "yes" if rng.random() < 0.5 else "-1"
    return tags


def write_grid(
    out: Path,
    size: int,
    *,
    seed: int = 14,
    spacing_m: float = 100.0,
    origin_lat: float = 54.6,
    origin_lon: float = -2.9,
) -> dict[str, int]:
    """Write the grid to ``out`` and return its node and way counts."""
    if size < 2:
        raise ValueError("--size must be at least 2")
    rng = random.Random(seed)
    dlat = spacing_m / METRES_PER_DEGREE_LAT
    dlon = spacing_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(origin_lat)))
    header = osmium.io.Header()
    stamp = TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    header.set("generator", "geoaccess bench/generate_street_grid.py")
    header.set("osmosis_replication_timestamp", stamp)
    header.set("timestamp", stamp)
    out.parent.mkdir(parents=True, exist_ok=True)
    common = {"version": 1, "timestamp": TIMESTAMP, "changeset": 1, "uid": 1, "user": "bench"}

    def node_id(row: int, col: int) -> int:
        return row * size + col + 1

    ways = 0
    writer = osmium.SimpleWriter(str(out), header=header, overwrite=True)
    try:
        for row in range(size):
            lat = origin_lat + row * dlat
            for col in range(size):
                location = (round(origin_lon + col * dlon, 7), round(lat, 7))
                writer.add_node(Node(id=node_id(row, col), location=location, **common))
        row_offset, col_offset = rng.randrange(10), rng.randrange(10)
        lines = [(True, i, row_offset) for i in range(size)] + [(False, i, col_offset) for i in range(size)]
        for along_row, index, offset in lines:
            tags = _line_tags(index, size, offset, rng)
            for start in range(0, size - 1, BLOCKS_PER_WAY):
                stop = min(start + BLOCKS_PER_WAY, size - 1)
                refs = [node_id(index, k) if along_row else node_id(k, index) for k in range(start, stop + 1)]
                ways += 1
                writer.add_way(Way(id=ways, nodes=refs, tags=tags, **common))
    finally:
        writer.close()
    return {"nodes": size * size, "ways": ways}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True, help="N: the grid is N x N nodes")
    parser.add_argument("--out", type=Path, required=True, help="output file (.osm.pbf)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--spacing-m", type=float, default=100.0, help="metres between neighbouring nodes")
    parser.add_argument("--origin-lat", type=float, default=54.6, help="latitude of the south-west corner")
    parser.add_argument("--origin-lon", type=float, default=-2.9, help="longitude of the south-west corner")
    args = parser.parse_args()
    counts = write_grid(
        args.out,
        args.size,
        seed=args.seed,
        spacing_m=args.spacing_m,
        origin_lat=args.origin_lat,
        origin_lon=args.origin_lon,
    )
    print(f"{args.out}: {counts['nodes']:,} nodes, {counts['ways']:,} ways")


if __name__ == "__main__":
    main()
