"""Scale benchmark: ``geoaccess network build`` and ``geoaccess journey --mode transit --gtfs`` as inputs grow.

Run ``python bench/bench_scale.py [--sizes 100,300,600,1000] [--routes 60,300] [--full] [--workdir DIR]``.

For each grid size N it writes an N x N street grid (``generate_street_grid.py``), runs
``geoaccess network build --osm GRID --out DIR --force`` (drive and walk), then times loading the drive
network, making its router and one 2,000 x 30 car matrix in one more child (``scale_car_queries.py``).
For each route count R it writes a feed of R routes x 30 stops x 100 trips (``generate_regional_gtfs.py``;
``--stops-per-route``, ``--trips-per-route``) and runs ``geoaccess journey --mode transit --gtfs FEED``
between two stops of route 0 twice in a row, each call a new process, with a timetable cache that starts
empty: the first call reads and compiles the feed, the second starts from the cache. ``--full`` adds the
issue's regional size, 600 routes (1.8 million stop times). The timetable's own targets (build, one stop
to all, round trips) are measured by ``bench_timetable_scale.py``.

Every command runs as a child process; its wall-clock time and peak resident memory (``ru_maxrss`` from
``os.wait4`` on that child, which takes in the child's own children) are measured. The script prints a
Markdown table (input, size, seconds, peak MB, and the seconds and MB each added unit of input cost over
the size before, so linear growth shows as a steady column) and writes it to ``bench/results/scale.md``
(``--out``) with the machine described. The load average at the start and end is recorded: on a shared
machine the times are upper bounds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _machine import cpu_model, git_revision, version
from generate_regional_gtfs import write_feed
from generate_street_grid import write_grid

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "scale.md"
GEOACCESS = Path(sys.executable).parent / "geoaccess"
BEFORE_FIGURES = [
    "`geoaccess network build` (osmnx graph on the way), 100 x 100 grid: 3.5 s, 360 MB",
    "`geoaccess network build`, 200 x 200 grid: 8.5 s, 611 MB",
    "`geoaccess network build`, 300 x 300 grid: 18.1 s, 1,067 MB (about 0.9 GB more per 100,000 nodes: a "
    "1,000 x 1,000 grid would need about 9 GB)",
    "`geoaccess journey --mode transit --gtfs FEED`, 300 routes: 6.1 s, 1,041 MB, and the same on every call",
    "the same, 600 routes (by hand): 14.7 s, 2,690 MB, on every call",
]
"""Measured on this machine at commit babd731, before issue 14's changes (``bench/results/scale.md`` then)."""
ORIGINS, DESTINATIONS = 2000, 30
"""The car matrix's size (scale_car_queries.py's defaults): a caseload against a county's venues."""
WALK_LIMIT_M = 5000
"""The pack's proxy walk network is sparse in the hills: a generous walk limit lets the sample stops reach it."""
ISSUE_FIGURES = [
    "`geoaccess network build`, 300 x 300 grid (90,000 nodes): 16 s, 1.0 GB peak",
    "`geoaccess network build`, 600 x 600 grid (360,000 nodes): 60 s, 3.3 GB peak",
    "`geoaccess journey --mode transit --gtfs FEED`, 600 routes x 30 stops x 100 trips (60,000 trips, "
    "1.8 million stop times): 43 s and 1.1 GB, every call",
]


@dataclass
class Run:
    """One measured child process."""

    command: str
    size: str
    units: float
    unit_name: str
    seconds: float
    peak_mb: float
    status: int


def measure(argv: list[str]) -> tuple[float, float, int, str]:
    """Run ``argv`` as a child: wall seconds, peak RSS in MB (the child and its children), exit status, stderr tail."""
    seconds, peak, status, tail, _ = measure_output(argv)
    return seconds, peak, status, tail


def measure_output(argv: list[str]) -> tuple[float, float, int, str, str]:
    """:func:`measure`, with the child's standard output as well."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        errors.seek(0)
        tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return seconds, usage.ru_maxrss / 1024, process.returncode, tail[0], output.decode("utf-8", "replace")


def grid_runs(sizes: list[int], workdir: Path, seed: int) -> list[Run]:
    runs = []
    for size in sizes:
        grid = workdir / f"grid_{size}.osm.pbf"
        started = time.perf_counter()
        counts = write_grid(grid, size, seed=seed)
        print(f"generated {grid.name}: {counts['nodes']:,} nodes in {time.perf_counter() - started:.1f} s", flush=True)
        argv = [
            str(GEOACCESS),
            "network",
            "build",
            "--osm",
            str(grid),
            "--out",
            str(workdir / f"net_{size}"),
            "--force",
        ]
        seconds, peak, status, tail = measure(argv)
        print(f"  network build: {seconds:.1f} s, {peak:,.0f} MB, exit {status} {tail if status else ''}", flush=True)
        label = f"{size} x {size} ({counts['nodes']:,} nodes)"
        runs.append(Run("network build", label, counts["nodes"] / 1e5, "100k nodes", seconds, peak, status))
        if status == 0:
            runs += car_query_runs(workdir / f"net_{size}" / "drive", label, counts["nodes"] / 1e5)
    return runs


def car_query_runs(network: Path, label: str, units: float) -> list[Run]:
    """Load the built car network and route a 2,000 x 30 matrix on it, in one child (scale_car_queries.py)."""
    argv = [sys.executable, str(HERE / "scale_car_queries.py"), str(network)]
    _, peak, status, tail, output = measure_output(argv)
    if status:
        print(f"  car queries failed: exit {status} {tail}", flush=True)
        return [Run("car network load + matrix", label, units, "100k nodes", float("nan"), peak, status)]
    times = json.loads(output)
    print(f"  load {times['load_s']:.2f} s, router {times['router_s']:.2f} s, matrix {times['matrix_s']:.2f} s")
    return [
        Run("car network load", label, units, "100k nodes", times["load_s"], peak, status),
        Run("car router ready", label, units, "100k nodes", times["router_s"], peak, status),
        Run(f"car matrix {ORIGINS:,} x {DESTINATIONS}", label, units, "100k nodes", times["matrix_s"], peak, status),
    ]


def journey_argv(feed: Path, origin: str, destination: str) -> list[str]:
    """The benchmark's journey: between two stops of the feed, Thursday 08:00, a generous walk limit."""
    return [
        str(GEOACCESS), "journey", "--mode", "transit", "--gtfs", str(feed),
        "--from", f"stop:{origin}", "--to", f"stop:{destination}",
        "--day", "thu", "--depart-at", "08:00", "--walk-limit", str(WALK_LIMIT_M),
    ]  # fmt: skip


def feed_runs(routes: list[int], stops: int, trips: int, workdir: Path, seed: int) -> list[Run]:
    runs = []
    for count in routes:
        feed = workdir / f"feed_{count}x{stops}x{trips}.zip"
        started = time.perf_counter()
        made = write_feed(feed, count, stops, trips, seed=seed)
        print(
            f"generated {feed.name}: {made['stop_times']:,} stop times, {feed.stat().st_size / 1e6:.0f} MB zip "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        argv = journey_argv(feed, *made["sample"])
        label = f"{count} x {stops} x {trips} ({made['trips']:,} trips, {made['stop_times']:,} stop times)"
        for call in (1, 2):
            seconds, peak, status, tail = measure(argv)
            print(f"  journey call {call}: {seconds:.1f} s, {peak:,.0f} MB, exit {status} {tail if status else ''}")
            runs.append(
                Run(f"journey --mode transit, call {call}", label, made["stop_times"] / 1e6, "M stop times",
                    seconds, peak, status)
            )  # fmt: skip
    return runs


def memory_total_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.0f} GB"
    except OSError:
        pass
    return "unknown"


GRID_TARGETS = [
    ("network build", "seconds", 90.0, "build <= 90 s"),
    ("network build", "peak_mb", 2048.0, "build peak <= 2 GB"),
    ("car network load", "seconds", 2.0, "load <= 2 s"),
    (f"car matrix {ORIGINS:,} x {DESTINATIONS}", "seconds", 2.0, f"{ORIGINS:,} x {DESTINATIONS} car matrix <= 2 s"),
]
"""Issue 14's targets on the 1,000 x 1,000 grid: (command, measure, limit, wording)."""


def target_lines(runs: list[Run]) -> list[str]:
    """Issue 14's grid targets against the 1,000 x 1,000 rows, if that size was run."""
    largest = {run.command: run for run in runs if run.size.startswith("1000 x 1000")}
    if not largest:
        return []
    lines = ["", "Issue 14's targets on the 1,000 x 1,000 grid:", "", "| target | measured | met |", "|---|---:|---|"]
    for command, measure, limit, wording in GRID_TARGETS:
        if command in largest:
            value = getattr(largest[command], measure)
            shown = f"{value:,.0f} MB" if measure == "peak_mb" else f"{value:.2f} s"
            lines.append(f"| {wording} | {shown} | {'yes' if value <= limit else 'no'} |")
    return lines


def report(runs: list[Run], args: argparse.Namespace, load_before: str, load_after: str, commit: str) -> str:
    lines = [
        "# Scale: network build and transit journey as inputs grow",
        "",
        "Made by `python bench/bench_scale.py " + shlex.join(sys.argv[1:]) + "`"
        + ("" if not args.label else f"; {args.label}") + ".",
        "",
        "| command | input size | seconds | peak MB | added s per added unit | added MB per added unit | exit |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    previous: dict[str, Run] = {}
    for run in runs:
        before = previous.get(run.command)
        if before is None or run.units <= before.units:
            marginal_s = marginal_mb = "-"
        else:
            grown = run.units - before.units
            marginal_s = f"{(run.seconds - before.seconds) / grown:.1f} s / {run.unit_name}"
            marginal_mb = f"{(run.peak_mb - before.peak_mb) / grown:,.0f} MB / {run.unit_name}"
        previous[run.command] = run
        lines.append(
            f"| {run.command} | {run.size} | {run.seconds:.1f} | {run.peak_mb:,.0f} | {marginal_s} | {marginal_mb} "
            f"| {run.status} |"
        )
    lines += target_lines(runs)
    lines += [
        "",
        "Each row is one child process (`" + str(GEOACCESS.name) + "` from the venv); seconds are wall-clock, "
        "peak MB is the child's `ru_maxrss` (its own children included). Network build builds drive and walk "
        "(`--force`, nothing reused). The car rows are one more child per grid (`scale_car_queries.py`): "
        "loading the saved drive network, making its router, and one matrix from 2,000 origins to 30 destinations "
        "drawn uniformly over the grid (times in-process; the peak MB is that child's, shared by its three rows). "
        "The journey runs between two stops of route 0 (`stop:R0S1` to "
        f"`stop:R0S10`), Thursday 08:00, `--walk-limit {WALK_LIMIT_M}`; the two calls are consecutive "
        "processes sharing a timetable cache that starts empty (call 1 builds it, call 2 reads it). "
        "The *per unit* columns are the growth from the previous size of the same command divided by "
        "the growth in input (so the fixed start-up cost drops out): steady down the table is linear growth, "
        "rising is worse than linear.",
        "",
        "Before issue 14's changes (this machine, commit babd731):",
        "",
        *[f"- {figure}" for figure in BEFORE_FIGURES],
        "",
        "Figures given in issue 14 (on the reporter's machine):",
        "",
        *[f"- {figure}" for figure in ISSUE_FIGURES],
        "",
        "## Machine",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; memory {memory_total_gb()}",
        f"- {platform.system()} {platform.release()}, {platform.machine()}; Python {platform.python_version()}",
        f"- numpy {version('numpy')}, pandas {version('pandas')}, scipy {version('scipy')}, "
        f"osmnx {version('osmnx')}, networkx {version('networkx')}, osmium {version('osmium')}",
        f"- load average (1, 5, 15 min) at start {load_before}, at end {load_after}; another job may share the CPUs",
        f"- commit: {commit}; run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
    ]
    return "\n".join(lines) + "\n"


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=_ints, default=[100, 300, 600, 1000], help="grid sizes N (default 100,300,600,1000; '' none)"
    )
    parser.add_argument("--routes", type=_ints, default=[60, 300], help="feed route counts (default 60,300; '' none)")
    parser.add_argument("--stops-per-route", type=int, default=30)
    parser.add_argument("--trips-per-route", type=int, default=100)
    parser.add_argument("--full", action="store_true", help="add the issue's regional feed: 600 routes")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workdir", type=Path, help="where the grids, feeds and networks go (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--label", default="", help="a note for the results file (e.g. 'before issue 14')")
    parser.add_argument("--git", action="store_true", help="record the commit (runs git)")
    args = parser.parse_args()
    routes = sorted(set(args.routes) | ({600} if args.full else set()))
    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="geoaccess-scale-") as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        os.environ["GEOACCESS_CACHE"] = str(workdir / "cache")  # the children's timetable cache starts empty
        runs = grid_runs(args.sizes, workdir, args.seed)
        runs += feed_runs(routes, args.stops_per_route, args.trips_per_route, workdir, args.seed)
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = report(runs, args, load_before, load_after, git_revision() if args.git else "not recorded")
    sys.stdout.write("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
