"""Write a regional-scale GTFS feed (.zip) with stops inside Cumbria, for scale benchmarks of the transit loader.

Run ``python bench/generate_regional_gtfs.py --routes R --stops-per-route S --trips-per-route T
--out FEED.zip [--seed N]``. The issue's regional size is 600 routes x 30 stops x 100 trips: 60,000
trips and 1.8 million stop times.

Each route is a line of ``S`` stops, 300-900 m apart, walking in a seeded direction from a seeded start
inside Cumbria's box (lat 54.1-55.0, lon -3.5 to -2.3), turning back at the box's edges. Its first stop is
one of ``max(10, R // 10)`` shared hubs, so routes meet and journeys can change. ``T`` trips a day run
05:00-23:00 evenly with a seeded jitter of up to 5 minutes, alternating direction, 1-4 minutes between
stops (fixed per route and segment). One service runs every day of 2025-2029. Files: agency, stops,
routes, trips, stop_times and calendar. ``stop_times.txt`` is written row by row into the zip (the
``csv`` module on a zip member stream), so 1.8 million rows never sit in memory.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LAT_RANGE = (54.1, 55.0)
LON_RANGE = (-3.5, -2.3)
METRES_PER_DEGREE_LAT = 111_320.0
SERVICE_ID = "DAILY"
DAY_START_S = 5 * 3600
DAY_END_S = 23 * 3600


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _route_stops(rng: random.Random, start: tuple[float, float], count: int) -> list[tuple[float, float]]:
    """``count`` positions from ``start`` in a wandering line, 300-900 m apart, kept inside the box."""
    lat, lon = start
    heading = rng.uniform(0, 2 * math.pi)
    points = [(lat, lon)]
    for _ in range(count - 1):
        heading += rng.uniform(-0.5, 0.5)
        step = rng.uniform(300, 900)
        dlat = step * math.cos(heading) / METRES_PER_DEGREE_LAT
        dlon = step * math.sin(heading) / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
        if not LAT_RANGE[0] < lat + dlat < LAT_RANGE[1]:
            heading, dlat = math.pi - heading, -dlat
        if not LON_RANGE[0] < lon + dlon < LON_RANGE[1]:
            heading, dlon = -heading, -dlon
        lat, lon = lat + dlat, lon + dlon
        points.append((lat, lon))
    return points


def _text_member(archive: zipfile.ZipFile, name: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(archive.open(name, "w", force_zip64=True), encoding="utf-8", newline="")


def _rows(name: str, header: list[str], rows: Iterator[list[Any]], archive: zipfile.ZipFile) -> int:
    count = 0
    with _text_member(archive, name) as member:
        writer = csv.writer(member, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_feed(out: Path, routes: int, stops_per_route: int, trips_per_route: int, *, seed: int = 14) -> dict[str, Any]:
    """Write the feed to ``out``; return its counts and two stop ids on route 0 (``sample``, for a query)."""
    if routes < 1 or stops_per_route < 2 or trips_per_route < 1:
        raise ValueError("need at least 1 route, 2 stops per route and 1 trip per route")
    rng = random.Random(seed)
    hubs = [(rng.uniform(54.3, 54.9), rng.uniform(-3.3, -2.5)) for _ in range(max(10, routes // 10))]
    route_stops: list[list[str]] = []
    stop_rows: list[list[Any]] = [
        [f"H{i}", f"Hub {i}", f"{lat:.6f}", f"{lon:.6f}"] for i, (lat, lon) in enumerate(hubs)
    ]
    hops: list[list[int]] = []
    for r in range(routes):
        positions = _route_stops(rng, rng.choice(hubs), stops_per_route)
        ids = [f"H{hubs.index(positions[0])}"]
        for k, (lat, lon) in enumerate(positions[1:], start=1):
            ids.append(f"R{r}S{k}")
            stop_rows.append([ids[-1], f"Route {r} stop {k}", f"{lat:.6f}", f"{lon:.6f}"])
        route_stops.append(ids)
        hops.append([rng.randint(60, 240) for _ in range(stops_per_route - 1)])
    sample = (route_stops[0][1], route_stops[0][min(10, stops_per_route - 1)])
    spread = (DAY_END_S - DAY_START_S) / trips_per_route
    starts = [
        [int(DAY_START_S + t * spread + rng.randint(0, 300)) for t in range(trips_per_route)] for _ in range(routes)
    ]

    def trip_rows() -> Iterator[list[Any]]:
        for r in range(routes):
            for t in range(trips_per_route):
                yield [f"R{r}", SERVICE_ID, f"R{r}T{t}", t % 2]

    def stop_time_rows() -> Iterator[list[Any]]:
        for r in range(routes):
            ids, gaps = route_stops[r], hops[r]
            for t in range(trips_per_route):
                order = range(len(ids)) if t % 2 == 0 else range(len(ids) - 1, -1, -1)
                clock = starts[r][t]
                previous = None
                for sequence, k in enumerate(order, start=1):
                    if previous is not None:
                        clock += gaps[min(k, previous)]
                    stamp = _hms(clock)
                    yield [f"R{r}T{t}", stamp, stamp, ids[k], sequence]
                    previous = k

    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        _rows(
            "agency.txt",
            ["agency_id", "agency_name", "agency_url", "agency_timezone"],
            iter([["BENCH", "Bench Buses", "https://example.org", "Europe/London"]]),
            archive,
        )
        _rows("stops.txt", ["stop_id", "stop_name", "stop_lat", "stop_lon"], iter(stop_rows), archive)
        _rows(
            "routes.txt",
            ["route_id", "agency_id", "route_short_name", "route_type"],
            iter([[f"R{r}", "BENCH", str(r), 3] for r in range(routes)]),
            archive,
        )
        _rows(
            "calendar.txt",
            ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            + ["start_date", "end_date"],
            iter([[SERVICE_ID, 1, 1, 1, 1, 1, 1, 1, "20250101", "20291231"]]),
            archive,
        )
        trips = _rows("trips.txt", ["route_id", "service_id", "trip_id", "direction_id"], trip_rows(), archive)
        stop_times = _rows(
            "stop_times.txt",
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
            stop_time_rows(),
            archive,
        )
    return {"stops": len(stop_rows), "routes": routes, "trips": trips, "stop_times": stop_times, "sample": sample}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, required=True)
    parser.add_argument("--stops-per-route", type=int, required=True)
    parser.add_argument("--trips-per-route", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="output .zip")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    counts = write_feed(args.out, args.routes, args.stops_per_route, args.trips_per_route, seed=args.seed)
    origin, destination = counts["sample"]
    print(
        f"{args.out}: {counts['stops']:,} stops, {counts['routes']:,} routes, {counts['trips']:,} trips, "
        f"{counts['stop_times']:,} stop times; sample query: --from stop:{origin} --to stop:{destination}"
    )


if __name__ == "__main__":
    main()
