"""Timetable cache at regional scale: first load + compile, later calls, and queries, with peak memory.

Run ``python bench/bench_timetable_scale.py [--routes 300,600] [--workdir DIR] [--out FILE]``.

For each route count R it writes a feed of R routes x 30 stops x 100 trips (``generate_regional_gtfs.py``)
and, with an empty cache folder (``GEOACCESS_CACHE`` in the workdir), measures as child processes:

1. ``geoaccess timetable build --gtfs FEED --date thu``: reading the feed and compiling the Thursday that
   ``--day thu`` means, into the cache (the first load + compile);
2. ``geoaccess journey --mode transit --gtfs FEED`` from ``stop:R0S1`` to ``stop:R0S10``, Thursday 08:00,
   three times (later calls, end to end: start-up, cache read, walks, search, output);
3. this script with ``--query FEED``: in one process, the planner from the cache, then earliest arrival
   from one stop to all stops (RAPTOR at the default transfer cap; the median and the slowest of 9 origins
   after one warm-up), and one person's round trips (``transit.roundtrip.round_trip``: the latest way there arriving
   10 minutes early and the first way home, as the officer's check makes them) to 10 venues placed at
   stops of 10 routes, a 10:00-12:00 session (the first person, who pays for the time-mirrored day, and a
   second).

Every child's wall-clock time and peak RSS (``os.wait4``) are taken; the table goes to
``bench/results/timetable_scale.md`` with the figures measured before the cache beside it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import cpu_model, git_revision, version
from bench_scale import WALK_LIMIT_M, journey_argv, measure_output, memory_total_gb
from generate_regional_gtfs import write_feed

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "timetable_scale.md"
STOPS, TRIPS = 30, 100
VENUES = 10
BEFORE = {
    300: "4.5 s, 975 MB (every call)",
    600: "13.5 s, 2,764 MB (every call); 14.7 s, 2,690 MB in the brief",
}
"""``geoaccess journey --mode transit --gtfs FEED`` on the code before the cache (commit b4cdcc7), measured here
with ``/usr/bin/time -v`` on the same feeds: each call read and compiled the whole feed."""
TARGETS = {
    "build": "<= 15 s, <= 1.5 GB",
    "journey": "<= 2 s, <= 1.5 GB",
    "one_to_all": "<= 50 ms",
    "round_trips": "<= 300 ms",
}
"""Issue 14's targets on the 600-route feed."""


def query(feed: Path) -> dict[str, Any]:
    """In-process timings on the cached feed (run in a child; see the module docstring)."""
    import numpy as np

    from geoaccess.transit.raptor import earliest_arrival
    from geoaccess.transit.roundtrip import round_trip
    from geoaccess.transit.sources import planner_for, service_date

    started = time.perf_counter()
    planner = planner_for((feed,), walk_limit_m=WALK_LIMIT_M)
    when = service_date("thu", planner.timetable)
    day = planner.day(when)
    loaded_ms = (time.perf_counter() - started) * 1000
    rows = {stop_id: row for row, stop_id in enumerate(day.stop_ids)}
    routes = len(planner.timetable.routes)
    spread = range(0, routes, max(1, routes // VENUES))
    origins = [rows[f"R{route}S1"] for route in spread]
    earliest_arrival(day, {origins[0]: 8 * 3600}, planner.max_transfers)  # warm-up (walk links, caches)
    one_to_all = []
    for origin in origins[1:]:
        started = time.perf_counter()
        labels = earliest_arrival(day, {origin: 8 * 3600}, planner.max_transfers)
        one_to_all.append((time.perf_counter() - started) * 1000)
    reached = int((labels.best() < np.iinfo(np.int64).max // 2).sum())
    venues = [_at(day, rows[f"R{route}S15"]) for route in spread][:VENUES]
    people = []
    for home_stop in ("R1S3", "R2S5"):
        home = _at(day, rows[home_stop])
        started = time.perf_counter()
        trips = [round_trip(planner, home, venue, when, 10 * 3600, 12 * 3600) for venue in venues]
        people.append(((time.perf_counter() - started) * 1000, sum(trip.feasible for trip in trips)))
    return {
        "load_ms": loaded_ms,
        "one_to_all_ms": one_to_all,
        "stops_reached": reached,
        "stops": len(rows),
        "round_trips_ms": [ms for ms, _ in people],
        "feasible": [count for _, count in people],
        "venues": len(venues),
    }


def _at(day: Any, row: int) -> tuple[float, float]:
    lon, lat = day.stop_lonlat[row]
    return float(lon), float(lat)


def feed_rows(count: int, workdir: Path, seed: int) -> list[dict[str, Any]]:
    """The measured steps for one feed size."""
    feed = workdir / f"feed_{count}x{STOPS}x{TRIPS}.zip"
    made = write_feed(feed, count, STOPS, TRIPS, seed=seed)
    size = f"{count} routes ({made['trips']:,} trips, {made['stop_times'] / 1e6:.2f} M stop times)"
    print(f"generated {feed.name}: {feed.stat().st_size / 1e6:.0f} MB", flush=True)
    env_cache = workdir / f"cache_{count}"
    os.environ["GEOACCESS_CACHE"] = str(env_cache)  # the children inherit it
    build = [
        sys.executable, "-c", "from geoaccess.cli.timetable import timetable; timetable()",
        "build", "--gtfs", str(feed), "--date", "thu", "--json",
    ]  # fmt: skip
    seconds, peak, status, tail, output = measure_output(build)
    report = json.loads(output) if status == 0 else {}
    rows = [
        {
            "step": "timetable build (first load + compile, one day)",
            "size": size,
            "value": f"{seconds:.1f} s",
            "peak": peak,
            "status": status,
            "note": f"cache entry {report.get('bytes', 0) / 1e6:.0f} MB" if status == 0 else tail,
            "target": "build",
        }
    ]
    journey = journey_argv(feed, *made["sample"])
    calls = [measure_output(journey) for _ in range(3)]
    times = [call[0] for call in calls]
    rows.append(
        {
            "step": "later `journey` call, end to end (median of 3; slowest)",
            "size": size,
            "value": f"{statistics.median(times):.2f} s; {max(times):.2f} s",
            "peak": max(call[1] for call in calls),
            "status": max(call[2] for call in calls),
            "note": f"before: {BEFORE.get(count, '-')}",
            "target": "journey",
        }
    )
    seconds, peak, status, tail, output = measure_output([sys.executable, __file__, "--query", str(feed)])
    if status:
        rows.append({"step": "queries", "size": size, "value": "-", "peak": peak, "status": status, "note": tail})
        return rows
    found = json.loads(output)
    ms = found["one_to_all_ms"]
    rows += [
        {
            "step": "earliest arrival, one stop to all (median; slowest of 9)",
            "size": size,
            "value": f"{statistics.median(ms):.0f} ms; {max(ms):.0f} ms",
            "peak": peak,
            "status": status,
            "note": f"planner and day from the cache in {found['load_ms']:.0f} ms; "
            f"{found['stops_reached']:,} of {found['stops']:,} stops reached",
            "target": "one_to_all",
        },
        {
            "step": f"one person's round trips to {found['venues']} venues (first person; second)",
            "size": size,
            "value": " ms; ".join(f"{value:.0f}" for value in found["round_trips_ms"]) + " ms",
            "peak": peak,
            "status": status,
            "note": f"feasible: {found['feasible']}; the first person's includes the time-mirrored day",
            "target": "round_trips",
        },
    ]
    return rows


def markdown(rows: list[dict[str, Any]], load_before: str, load_after: str) -> str:
    lines = [
        "# Timetable cache at regional scale",
        "",
        "Made by `python bench/bench_timetable_scale.py " + shlex.join(sys.argv[1:]) + "`.",
        "",
        "| step | feed | time | peak MB | target (600 routes) | exit | note |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    for row in rows:
        target = TARGETS.get(row.get("target", ""), "-")
        lines.append(
            f"| {row['step']} | {row['size']} | {row['value']} | {row['peak']:,.0f} | {target} | {row['status']} "
            f"| {row['note']} |"
        )
    lines += [
        "",
        "Before the cache (commit b4cdcc7), every `journey --mode transit --gtfs FEED` call read and compiled "
        "the whole feed: " + "; ".join(f"{count} routes: {text}" for count, text in BEFORE.items()) + ". "
        "The query rows share one child (its peak MB is that process's). Feeds: R routes x 30 stops x 100 trips "
        "(`generate_regional_gtfs.py`, its default seed 14). The journey is `stop:R0S1` to `stop:R0S10`, "
        f"Thursday 08:00, `--walk-limit {WALK_LIMIT_M}`, as in `bench_scale.py`. The query rows are RAPTOR "
        "(`transit/raptor.py`, every pattern of a round scanned at once on flat arrays; a search for one place "
        "pruned by the best arrival there so far), three searches per round trip (`transit/roundtrip.py`).",
        "",
        "## Machine",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; memory {memory_total_gb()}",
        f"- {platform.system()} {platform.release()}, {platform.machine()}; Python {platform.python_version()}",
        f"- numpy {version('numpy')}, pandas {version('pandas')}, scipy {version('scipy')}, "
        f"pyarrow {version('pyarrow')}",
        f"- load average (1, 5, 15 min) at start {load_before}, at end {load_after}; other jobs shared the CPUs",
        f"- commit: {git_revision()}; run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", default="300,600", help="route counts, comma-separated")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--query", type=Path, help=argparse.SUPPRESS)  # the in-process child
    args = parser.parse_args()
    if args.query:
        print(json.dumps(query(args.query.resolve())))
        return
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="timetable-scale-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        rows = [
            row for count in (int(c) for c in args.routes.split(",")) for row in feed_rows(count, workdir, args.seed)
        ]
    text = markdown(rows, load_before, " ".join(f"{x:.2f}" for x in os.getloadavg()))
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
