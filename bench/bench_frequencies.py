"""Frequency expansion benchmark: compiling a frequency-based feed's service day, and a week of round trips.

Run ``python bench/bench_frequencies.py [FEED] [--profile]``. FEED is a GTFS .zip or folder; without
it a synthetic São Paulo-shaped feed is written to a temporary folder and used: 36 frequency trips
(18 radial bus routes through the centre, both directions, 40-62 stops each, 90 s between
stops) with hourly ``frequencies.txt`` rows (3 to 20 minute headways, some not dividing the hour),
which expand to about 8,100 runs a day, as r5py's São Paulo sample does (36 frequency trips,
8,145 runs).

The real São Paulo feed is r5py's sample data: the package ``r5py.sampledata.sao_paulo`` (on the
package index as ``r5py-sampledata-sao-paulo``) holds no data, only the address it downloads
``spo_gtfs.zip`` from at run time (the ``data/`` folder of the ``r5py/r5py.sampledata.sao_paulo``
repository on GitHub, tag ``v1.0.3.post2``, SHA-256 ``b944d537...89e2c7``). Download it by hand and
pass its path as FEED; it is not kept in this repository.

It prints:

- ``compile_day``: one service day (the Monday of :func:`geoaccess.transit.sources.week_dates`),
  with the number of runs, calls and patterns;
- a week of round trips: :func:`geoaccess.transit.roundtrip.round_trip` on each of the seven days
  between two stops at opposite ends of the network (session 18:00-20:30), on a fresh
  :class:`~geoaccess.transit.planner.Planner` (so every day is compiled, and mirrored, inside the
  timing). The walker is a straight-line stand-in (no walk network covers the feed), so the figure is
  the timetable's share of the work.

``--profile`` adds the top of a cProfile of one ``compile_day``. To time older code, copy the
``geoaccess`` package and this script side by side into another folder and run the copy: the script
imports the ``geoaccess`` beside it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geoaccess.geometry import BNG, WGS84, transformer  # noqa: E402
from geoaccess.roads.router import ACCESS_CIRCUITY, WALK_KPH, Matrix  # noqa: E402
from geoaccess.transit.compiled import compile_day  # noqa: E402
from geoaccess.transit.gtfs import read_gtfs  # noqa: E402
from geoaccess.transit.planner import Planner  # noqa: E402
from geoaccess.transit.roundtrip import round_trip  # noqa: E402
from geoaccess.transit.sources import week_dates  # noqa: E402
from geoaccess.transit.timetable import Timetable  # noqa: E402

CENTRE = (-46.6333, -23.5505)  # Praça da Sé, São Paulo (lon, lat)
ROUTES = 18
STOP_SPACING_M = 400.0
STOP_GAP_S = 90
HEADWAY_MIN = [20, 20, 20, 20, 15, 10, 5, 4, 4, 5, 7, 7, 7, 7, 7, 6, 5, 4, 4, 5, 8, 10, 13, 15]
"""Base headway in minutes for each hour of the day; each route scales it a little."""


def synthetic_feed(folder: Path) -> Path:
    """Write the São Paulo-shaped GTFS feed described in the module docstring into ``folder``."""
    rng = np.random.default_rng(12)
    stops, routes, trips, stop_times, frequencies = [], [], [], [], []
    for route in range(ROUTES):
        angle = np.pi * route / ROUTES + rng.uniform(-0.05, 0.05)
        count = int(rng.integers(40, 63))
        along = (np.arange(count) - count / 2) * STOP_SPACING_M
        lon = CENTRE[0] + along * np.cos(angle) / (111_320 * np.cos(np.radians(CENTRE[1])))
        lat = CENTRE[1] + along * np.sin(angle) / 110_540
        ids = [f"S{route:02d}_{k:02d}" for k in range(count)]
        stops += [
            {"stop_id": s, "stop_name": f"Parada {s}", "stop_lat": y, "stop_lon": x}
            for s, x, y in zip(ids, lon, lat, strict=True)
        ]
        routes.append(
            {"route_id": f"R{route:02d}", "agency_id": "SPT", "route_short_name": f"{8000 + route}-10", "route_type": 3}
        )
        scale = rng.uniform(0.85, 1.15)
        for direction, order in ((0, ids), (1, ids[::-1])):
            trip = f"R{route:02d}_{direction}"
            trips.append({"route_id": f"R{route:02d}", "service_id": "USD", "trip_id": trip, "direction_id": direction})
            for seq, stop in enumerate(order):
                clock = _clock(seq * STOP_GAP_S)
                stop_times.append(
                    {
                        "trip_id": trip,
                        "arrival_time": clock,
                        "departure_time": clock,
                        "stop_id": stop,
                        "stop_sequence": seq + 1,
                    }
                )
            for hour, minutes in enumerate(HEADWAY_MIN):
                frequencies.append(
                    {
                        "trip_id": trip,
                        "start_time": _clock(hour * 3600),
                        "end_time": _clock(hour * 3600 + 3599),
                        "headway_secs": int(round(minutes * scale * 60)),
                    }
                )
    tables = {
        "agency": [
            {
                "agency_id": "SPT",
                "agency_name": "SPTrans (synthetic)",
                "agency_url": "https://example.invalid/",
                "agency_timezone": "America/Sao_Paulo",
            }
        ],
        "stops": stops,
        "routes": routes,
        "trips": trips,
        "stop_times": stop_times,
        "frequencies": frequencies,
        "calendar": [
            {
                "service_id": "USD",
                **dict.fromkeys(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], 1),
                "start_date": 20250101,
                "end_date": 20301231,
            }
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        pd.DataFrame(rows).to_csv(folder / f"{name}.txt", index=False)
    return folder


@dataclass
class StraightWalker:
    """Walking along straight lines (British National Grid metres, as the planner's stop search uses)."""

    def many_to_many(
        self, origins: np.ndarray, destinations: np.ndarray, cutoff_s: float | None = None, with_metres: bool = False
    ) -> Matrix:
        to_grid = transformer(WGS84, BNG)
        ox, oy = to_grid.transform(np.atleast_2d(origins)[:, 0], np.atleast_2d(origins)[:, 1])
        dx, dy = to_grid.transform(np.atleast_2d(destinations)[:, 0], np.atleast_2d(destinations)[:, 1])
        metres = np.hypot(np.subtract.outer(ox, dx), np.subtract.outer(oy, dy)) * ACCESS_CIRCUITY
        seconds = metres / (WALK_KPH / 3.6)
        if cutoff_s is not None:
            seconds = np.where(seconds <= cutoff_s, seconds, np.inf)
        return Matrix(seconds=seconds, metres=metres if with_metres else None)


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def ends(timetable: Timetable) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two stops far apart: the ends of the first route's first trip."""
    first = timetable.stop_times[timetable.stop_times["trip_id"] == timetable.trips["trip_id"].iloc[0]]
    first = first.sort_values("stop_sequence")
    where = timetable.stops.set_index("stop_id")[["lon", "lat"]]
    a, b = (where.loc[first["stop_id"].iloc[k]] for k in (0, -1))
    return (float(a["lon"]), float(a["lat"])), (float(b["lon"]), float(b["lat"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("feed", nargs="?", help="a GTFS .zip or folder (default: the synthetic São Paulo-shaped feed)")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of one compile_day")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        feed = Path(args.feed) if args.feed else synthetic_feed(Path(scratch) / "sao_paulo_shaped")
        started = time.perf_counter()
        timetable = read_gtfs(feed)
        print(f"feed: {args.feed or 'synthetic São Paulo-shaped'}; read_gtfs {time.perf_counter() - started:.2f} s")
    days = week_dates(timetable)
    print(
        f"frequency rows {len(timetable.frequencies):,}, frequency trips {timetable.frequencies['trip_id'].nunique()}"
    )

    started = time.perf_counter()
    day = compile_day(timetable, days[0])
    one_day = time.perf_counter() - started
    runs = sum(len(p.trip_ids) for p in day.patterns)
    print(f"compile_day {days[0]}: {one_day:.2f} s ({runs:,} runs in {len(day.patterns)} patterns)")

    home, venue = ends(timetable)
    planner = Planner(timetable, StraightWalker())  # type: ignore[arg-type]  # a stand-in walker
    started = time.perf_counter()
    trips = [round_trip(planner, home, venue, when, 18 * 3600, 20 * 3600 + 1800) for when in days]
    week = time.perf_counter() - started
    feasible = sum(trip.feasible for trip in trips)
    print(f"week of round trips ({days[0]}..{days[-1]}): {week:.2f} s ({feasible} of 7 days feasible)")

    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(compile_day, timetable, days[0])
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())


if __name__ == "__main__":
    main()
