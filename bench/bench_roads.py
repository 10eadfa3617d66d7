"""Road routing benchmark on the default (offline proxy) drive graph, ours against networkx.

Run ``python bench/bench_roads.py [--repeat N]``. It prints a Markdown report and
writes it to ``bench/results/roads.md``. Measured, on the same graph and in the
same run:

- graph size, proxy build time (from the pack's own tables), network load time,
  ``Router`` construction time and peak memory;
- a 2,000-origin x 30-destination car matrix (2,000 seeded random postcodes to
  the 22 pack venues plus 8 seeded random postcodes) with ``Router.many_to_many``,
  with and without metres, against the same matrix from a networkx loop (one
  ``single_source_dijkstra_path_length`` per destination on the reversed
  graph, plus the same access legs);
- a single one-to-all query: scipy's Dijkstra on the router's CSR matrix
  against ``networkx.single_source_dijkstra_path_length``;
- equality of the two answers.

The process is pinned to one CPU (``--no-pin`` to skip) and BLAS/OpenMP
thread pools are set to one thread before numpy and scipy are imported, so the
headline figures are one-core figures. scipy's ``csgraph.dijkstra`` is
single-threaded in any case: it runs one search after another in compiled code.
"""

from __future__ import annotations

from _machine import cpu_model, git_revision, pin_one_cpu, single_thread_pools, timed, version

single_thread_pools()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import datetime  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from geoaccess.pack import load_pack  # noqa: E402
from geoaccess.roads.network import RoadNetwork  # noqa: E402
from geoaccess.roads.router import ACCESS_CIRCUITY, Router  # noqa: E402
from geoaccess.roads.search import costs_to_targets  # noqa: E402
from geoaccess.venues import load_venues  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "roads.md"
ORIGINS = 2_000
DESTINATIONS = 30
TARGET_MATRIX_S = 1.5
TARGET_SPEEDUP = 20.0
TARGET_EQUAL_S = 1e-6


# --- measuring ------------------------------------------------------------------------------


def traced_peak_mib(fn: Callable[[], object]) -> float:
    """Peak Python/numpy heap (MiB) allocated by one call, by tracemalloc."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def maxrss_mib() -> float:
    """Peak resident set size of this process so far (MiB; ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fmt_s(seconds: float) -> str:
    """Seconds as ``0.123 s`` or ``12.3 ms``."""
    return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds:.3f} s"


def best_median(times: list[float]) -> str:
    """``best / median (n runs)``."""
    return f"{fmt_s(min(times))} / {fmt_s(statistics.median(times))} ({len(times)})"


# --- the networkx side ----------------------------------------------------------------------


def networkx_matrix(
    router: Router, reversed_graph: nx.MultiDiGraph, origins: np.ndarray, destinations: np.ndarray
) -> np.ndarray:
    """Door-to-door seconds (origins, destinations) by one networkx search per destination.

    Same snapping and access legs as the router (``Router.snap``); the network
    part is ``single_source_dijkstra_path_length`` on the reversed graph.
    """
    start = router.snap(origins[:, 0], origins[:, 1])
    end = router.snap(destinations[:, 0], destinations[:, 1])
    node_ids = router.network.nodes["node_id"].to_numpy()
    origin_ids = node_ids[start.node]
    seconds = np.full((len(origins), len(destinations)), np.inf)
    found: dict[int, dict] = {}
    for j, target in enumerate(node_ids[end.node]):
        target = int(target)
        if target not in found:
            found[target] = nx.single_source_dijkstra_path_length(reversed_graph, target, weight="travel_time")
        lengths = found[target]
        network_s = np.fromiter((lengths.get(int(o), np.inf) for o in origin_ids), float, len(origin_ids))
        seconds[:, j] = network_s + start.access_s + end.access_s[j]
    return seconds


def networkx_matrix_metres(
    router: Router, reversed_graph: nx.MultiDiGraph, origins: np.ndarray, destinations: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`networkx_matrix` plus metres along each fastest path (``single_source_dijkstra``)."""
    start = router.snap(origins[:, 0], origins[:, 1])
    end = router.snap(destinations[:, 0], destinations[:, 1])
    node_ids = router.network.nodes["node_id"].to_numpy()
    origin_ids = node_ids[start.node]
    seconds = np.full((len(origins), len(destinations)), np.inf)
    metres = np.full_like(seconds, np.inf)
    adjacency = reversed_graph.adj
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for j, target in enumerate(node_ids[end.node]):
        target = int(target)
        if target not in found:
            lengths, paths = nx.single_source_dijkstra(reversed_graph, target, weight="travel_time")
            network_s = np.full(len(origin_ids), np.inf)
            along = np.full(len(origin_ids), np.inf)
            for i, o in enumerate(origin_ids):
                path = paths.get(int(o))
                if path is None:
                    continue
                network_s[i] = lengths[int(o)]
                along[i] = sum(
                    min(adjacency[a][b].values(), key=lambda d: d["travel_time"])["length"]
                    for a, b in zip(path[:-1], path[1:], strict=True)
                )
            found[target] = network_s, along
        network_s, along = found[target]
        seconds[:, j] = network_s + start.access_s + end.access_s[j]
        metres[:, j] = along + (start.gap_m + end.gap_m[j]) * ACCESS_CIRCUITY
    return seconds, metres


def compare(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, int, bool]:
    """Max |difference| on pairs both reach, pairs over 1e-6, and whether the unreachable sets match."""
    ours_ok, theirs_ok = np.isfinite(ours), np.isfinite(theirs)
    same_unreachable = bool((ours_ok == theirs_ok).all())
    both = ours_ok & theirs_ok
    diff = np.abs(ours[both] - theirs[both])
    return (float(diff.max()) if diff.size else 0.0), int((diff > TARGET_EQUAL_S).sum()), same_unreachable


# --- the run --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each fast query (default 5)")
    parser.add_argument("--nx-repeat", type=int, default=2, help="runs of each networkx loop (default 2)")
    parser.add_argument("--seed", type=int, default=20240603, help="sampling seed")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    parser.add_argument("--no-build", action="store_true", help="skip timing the proxy build")
    parser.add_argument(
        "--no-metres-nx", action="store_true", help="skip the (slow) networkx loop with paths for the metres comparison"
    )
    parser.add_argument(
        "--square",
        type=int,
        default=500,
        help="also time an N x N postcode matrix (forward searches; 0 to skip; default 500)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"report file (default {RESULTS})")
    args = parser.parse_args(argv)
    repeat, nx_repeat = max(1, args.repeat), max(1, args.nx_repeat)

    affinity_before = sorted(os.sched_getaffinity(0))
    if not args.no_pin:
        pin_one_cpu()
    affinity = sorted(os.sched_getaffinity(0))
    rng = np.random.default_rng(args.seed)

    # Graph, load, router ------------------------------------------------------------------
    pack = load_pack()
    folder = pack.path / "roads" / "proxy-drive"
    load_times, network = timed(lambda: RoadNetwork.load(folder), repeat)
    router_times, router = timed(lambda: Router(network), repeat)
    n_nodes, n_edges = len(network.nodes), len(network.edges)
    rss_router = maxrss_mib()

    build_note = "not measured (--no-build)"
    if not args.no_build:
        build_note = time_proxy_build(pack, n_nodes, n_edges)

    # Places --------------------------------------------------------------------------------
    postcodes = pack.postcodes
    origin_rows = rng.choice(len(postcodes), ORIGINS, replace=False)
    origins = postcodes[["lon", "lat"]].to_numpy()[origin_rows]
    venues = load_venues()
    pad_rows = rng.choice(
        np.setdiff1d(np.arange(len(postcodes)), origin_rows), DESTINATIONS - len(venues), replace=False
    )
    destinations = np.vstack(
        [np.asarray([[v.lon, v.lat] for v in venues]), postcodes[["lon", "lat"]].to_numpy()[pad_rows]]
    )

    # Ours ----------------------------------------------------------------------------------
    first_s, _ = timed(lambda: router.many_to_many(origins, destinations), 1)  # builds the k-d tree
    plain_times, plain = timed(lambda: router.many_to_many(origins, destinations), repeat)
    metres_times, with_metres = timed(lambda: router.many_to_many(origins, destinations, with_metres=True), repeat)
    cutoff_times, cut = timed(lambda: router.many_to_many(origins, destinations, cutoff_s=1800.0), repeat)
    traced_plain = traced_peak_mib(lambda: router.many_to_many(origins, destinations))
    traced_metres = traced_peak_mib(lambda: router.many_to_many(origins, destinations, with_metres=True))
    rss_ours = maxrss_mib()

    # Where our time goes (public pieces of many_to_many, same inputs) ----------------------
    snap_times, (start, end) = timed(
        lambda: (router.snap(origins[:, 0], origins[:, 1]), router.snap(destinations[:, 0], destinations[:, 1])), repeat
    )
    sources = np.unique(end.node)
    search_times, _ = timed(lambda: dijkstra(router.times_reversed, indices=sources), repeat)
    ours_search_times, _ = timed(lambda: costs_to_targets(router._search_reversed, sources, start.node), repeat)
    ours_metres_times, _ = timed(
        lambda: costs_to_targets(router._search_reversed, sources, start.node, lengths=router._entry_lengths_reversed),
        repeat,
    )
    profile = profile_text(lambda: router.many_to_many(origins, destinations, with_metres=True))
    off_origins, off_destinations = int((start.gap_m > 0).sum()), int((end.gap_m > 0).sum())

    # networkx ------------------------------------------------------------------------------
    graph_times, graph = timed(network.to_graph, 1)
    reversed_graph = graph.reverse(copy=False)
    rss_graph = maxrss_mib()
    nx_times, nx_seconds = timed(lambda: networkx_matrix(router, reversed_graph, origins, destinations), nx_repeat)
    rss_nx = maxrss_mib()
    nx_metres_times: list[float] = []
    nx_metres = None
    if not args.no_metres_nx:
        nx_metres_times, (_, nx_metres) = timed(
            lambda: networkx_matrix_metres(router, reversed_graph, origins, destinations), 1
        )

    # One to all ----------------------------------------------------------------------------
    node = int(rng.integers(n_nodes))
    node_id = int(network.nodes["node_id"].iloc[node])
    ota_times, ota = timed(lambda: dijkstra(router.times, indices=node), repeat)
    ota_nx_times, ota_nx = timed(
        lambda: nx.single_source_dijkstra_path_length(graph, node_id, weight="travel_time"), nx_repeat
    )
    all_positions = network.nodes[["x", "y"]].to_numpy()
    origin_lonlat = (float(all_positions[node, 0]), float(all_positions[node, 1]))
    ota_api_times, ota_api = timed(lambda: router.one_to_many(origin_lonlat, all_positions), repeat)
    ids = network.nodes["node_id"].to_numpy()
    ota_nx_array = np.fromiter((ota_nx.get(int(i), np.inf) for i in ids), float, len(ids))

    # A square matrix (run last: its peak memory would hide the networkx figures) -----------
    square_note = "not run (--square 0)"
    if args.square > 0:
        rows = rng.choice(len(postcodes), 2 * args.square, replace=False)
        square_o = postcodes[["lon", "lat"]].to_numpy()[rows[: args.square]]
        square_d = postcodes[["lon", "lat"]].to_numpy()[rows[args.square :]]
        square_s, _ = timed(lambda: router.many_to_many(square_o, square_d), 1)
        square_mib = traced_peak_mib(lambda: router.many_to_many(square_o, square_d))
        square_note = (
            f"{fmt_s(square_s[0])} (one run), tracemalloc peak {square_mib:.0f} MiB for a "
            f"{args.square * args.square * 8 / 2**20:.1f} MiB result"
        )

    # Equality ------------------------------------------------------------------------------
    # networkx routes on the graph's own seconds: compare ours as routed, before the network's calibration
    # (the cut-off applies to printed minutes, so it is that limit as routed).
    routed_cut = 1800.0 if router.calibration is None else router.calibration.routed_limit_s(1800.0)
    eq_plain = compare(plain.routed, nx_seconds)
    eq_metres_s = compare(with_metres.routed, nx_seconds)
    eq_cut = compare(cut.routed, np.where(nx_seconds <= routed_cut, nx_seconds, np.inf))
    eq_ota = compare(ota, ota_nx_array)
    eq_ota_api = compare(ota_api.routed[0], ota_nx_array)
    eq_m = compare(with_metres.metres, nx_metres) if nx_metres is not None else None

    # Report --------------------------------------------------------------------------------
    speed_best = min(nx_times) / min(plain_times)
    speed_median = statistics.median(nx_times) / statistics.median(plain_times)
    speed_metres = (min(nx_metres_times) / min(metres_times)) if nx_metres_times else None
    ota_speed = min(ota_nx_times) / min(ota_times)
    n_sources = len(sources)
    reach = np.isfinite(plain.seconds)
    matrix_ok = min(plain_times) <= TARGET_MATRIX_S
    speed_ok = speed_best >= TARGET_SPEEDUP
    equal_ok = (
        eq_plain[0] <= TARGET_EQUAL_S
        and eq_plain[2]
        and eq_metres_s[0] <= TARGET_EQUAL_S
        and eq_ota[0] <= TARGET_EQUAL_S
        and eq_ota[2]
    )

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    lines = [
        "# Road routing benchmark: geoaccess Router vs networkx",
        "",
        f"Generated by `bench/bench_roads.py --repeat {repeat} --nx-repeat {nx_repeat}` on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {git_revision()}. "
        "Times are wall clock, shown as best / median (runs). Graph: the default offline "
        "proxy drive network of the data pack (`roads/proxy-drive`).",
        "",
        "## Targets (issue 3, item 5)",
        "",
        "| Target | Measured | Verdict |",
        "|---|---|---|",
        f"| 2,000 x 30 car matrix in <= {TARGET_MATRIX_S} s on one core | {fmt_s(min(plain_times))} "
        f"best, {fmt_s(statistics.median(plain_times))} median | {verdict(matrix_ok)} |",
        f"| >= {TARGET_SPEEDUP:.0f}x faster than the networkx loop | {speed_best:.0f}x (best vs best), "
        f"{speed_median:.0f}x (median vs median) | {verdict(speed_ok)} |",
        f"| equal to networkx within {TARGET_EQUAL_S:g} s | max diff {eq_plain[0]:.2e} s, "
        f"same unreachable pairs: {'yes' if eq_plain[2] else 'NO'} | {verdict(equal_ok)} |",
        "",
        "## Graph and setup",
        "",
        "| Item | Value |",
        "|---|---|",
        f"| Graph | {n_nodes:,} nodes, {n_edges:,} directed edges ({network.provenance.get('network', '?')} "
        f"{network.mode}) |",
        f"| Proxy build (graph only, from the pack's stops, postcodes and land mask) | {build_note} |",
        f"| `RoadNetwork.load` (Parquet) | {best_median(load_times)} |",
        f"| `Router(network)` (CSR, reversed CSR, edge lookup) | {best_median(router_times)} |",
        f"| First `many_to_many` (includes the lazy k-d tree build) | {fmt_s(first_s[0])} |",
        f"| `network.to_graph()` (networkx MultiDiGraph, for the comparison) | {fmt_s(graph_times[0])} |",
        f"| Peak RSS after load + router | {rss_router:.0f} MiB |",
        f"| Peak RSS after our matrices | {rss_ours:.0f} MiB |",
        f"| Peak RSS after `to_graph()` | {rss_graph:.0f} MiB |",
        f"| Peak RSS after the networkx loop | {rss_nx:.0f} MiB |",
        f"| Peak RSS at the end (after the {args.square:,} x {args.square:,} matrix) | {maxrss_mib():.0f} MiB |",
        f"| tracemalloc peak of one matrix call: seconds only / with metres | {traced_plain:.1f} MiB / "
        f"{traced_metres:.1f} MiB |",
        "",
        f"## {ORIGINS:,} x {DESTINATIONS} car matrix",
        "",
        f"Origins: {ORIGINS:,} postcodes drawn from the pack (seed {args.seed}). Destinations: the "
        f"{len(venues)} pack venues and {DESTINATIONS - len(venues)} more random postcodes; they snap "
        f"to {n_sources} distinct nodes, so the router runs {n_sources} searches on the reversed graph "
        f"and networkx runs {n_sources} `single_source_dijkstra_path_length` calls on "
        "`G.reverse(copy=False)`. Both sides add the same access legs from `Router.snap`. "
        f"Reachable pairs: {int(reach.sum()):,} of {reach.size:,}. On the proxy, postcode centroids "
        f"are graph nodes, so access legs are mostly 0: {off_origins} of {ORIGINS:,} origins and "
        f"{off_destinations} of {DESTINATIONS} destinations lie off a node.",
        "",
        "| Query | Ours | networkx | Speed-up (best) | Max abs diff | Unreachable sets equal |",
        "|---|---|---|---|---|---|",
        f"| Seconds | {best_median(plain_times)} | {best_median(nx_times)} | {speed_best:.0f}x | "
        f"{eq_plain[0]:.2e} s | {'yes' if eq_plain[2] else 'NO'} |",
        f"| Seconds + metres (`with_metres=True`; networkx: `single_source_dijkstra` paths, lengths "
        f"summed) | {best_median(metres_times)} | "
        + (
            f"{best_median(nx_metres_times)} | {speed_metres:.0f}x | {eq_metres_s[0]:.2e} s; metres "
            f"{eq_m[0]:.2e} m ({eq_m[1]} pairs > 1e-6 m) | {'yes' if eq_m[2] else 'NO'} |"
            if eq_m is not None
            else "not run | | | |"
        ),
        f"| Seconds, 30-minute cut-off (`cutoff_s=1800`) | {best_median(cutoff_times)} | (filtered "
        f"from the loop above) | | {eq_cut[0]:.2e} s | {'yes' if eq_cut[2] else 'NO'} |",
        f"| Seconds, {args.square:,} x {args.square:,} postcodes (as many destinations as origins: "
        f"one forward search per origin) | {square_note} | not run | | | |",
        "",
        "Where our matrix time goes (the public pieces of `many_to_many`, timed alone):",
        "",
        "| Piece | Time |",
        "|---|---|",
        f"| `Router.snap` of origins and destinations (pyproj + k-d tree) | {best_median(snap_times)} |",
        f"| scipy `dijkstra`, {n_sources} sources, reversed CSR, whole rows (the engine before issue 14's end; "
        f"for comparison) | {best_median(search_times)} |",
        f"| compiled bucket searches to the origins' nodes (`search.costs_to_targets`, what `many_to_many` calls) "
        f"| {best_median(ours_search_times)} |",
        f"| the same adding up metres along the paths (`with_metres=True`) | {best_median(ours_metres_times)} |",
        f"| everything else (gathering, access legs) | "
        f"~{fmt_s(max(0.0, min(plain_times) - min(snap_times) - min(ours_search_times)))} seconds only, "
        f"~{fmt_s(max(0.0, min(metres_times) - min(snap_times) - min(ours_metres_times)))} with metres |",
        "",
        "## Single one-to-all query",
        "",
        f"From node row {node} (seeded) to all {n_nodes:,} nodes.",
        "",
        "| Query | Time | Speed-up vs networkx (best) | Max abs diff vs networkx |",
        "|---|---|---|---|",
        f"| scipy `dijkstra(router.times, indices=node)` | {best_median(ota_times)} | {ota_speed:.0f}x | "
        f"{eq_ota[0]:.2e} s (unreachable equal: {'yes' if eq_ota[2] else 'NO'}) |",
        f"| `Router.one_to_many` to every node's position (snaps {n_nodes:,} points too) | "
        f"{best_median(ota_api_times)} | {min(ota_nx_times) / min(ota_api_times):.0f}x | "
        f"{eq_ota_api[0]:.2e} s |",
        f"| networkx `single_source_dijkstra_path_length(G, node, weight='travel_time')` | "
        f"{best_median(ota_nx_times)} | 1x | |",
        "",
        "## Machine",
        "",
        "| Item | Value |",
        "|---|---|",
        f"| CPU | {cpu_model()}; {os.cpu_count()} logical CPUs |",
        f"| CPU affinity | {affinity_before} before, {affinity} during the run "
        f"({'pinned to one CPU' if not args.no_pin else 'not pinned'}) |",
        "| Threads | OMP/OpenBLAS/MKL/NumExpr/BLIS thread counts set to 1 before importing numpy; "
        "scipy's `csgraph.dijkstra` is single-threaded anyway (one search after another) |",
        f"| OS | {platform.platform()} |",
        f"| Python | {platform.python_implementation()} {platform.python_version()} |",
        "| Packages | "
        + ", ".join(f"{p} {version(p)}" for p in ("numpy", "scipy", "networkx", "pandas", "pyproj", "geoaccess"))
        + " |",
        "",
        "<details><summary>cProfile of one <code>many_to_many(..., with_metres=True)</code> call</summary>",
        "",
        "```",
        profile,
        "```",
        "",
        "</details>",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"written to {args.out}", file=sys.stderr)
    return 0


def time_proxy_build(pack: object, n_nodes: int, n_edges: int) -> str:
    """Seconds to rebuild the proxy drive graph from the pack's tables (no calibration), as text."""
    try:
        from geoaccess.geometry import BNG
        from geoaccess.roads.calibration import load_fitted
        from geoaccess.roads.proxy import proxy_links, proxy_network, proxy_points

        started = time.perf_counter()
        links = proxy_links(
            proxy_points(pack.stops, pack.postcodes.reset_index(drop=True)), pack.land.to_crs(BNG).geometry.iloc[0]
        )
        params, _ = load_fitted()
        built = proxy_network(links, params, "drive", {})
        took = time.perf_counter() - started
    except Exception as exc:  # the build is optional context: say why it failed
        return f"not measured ({type(exc).__name__}: {exc})"
    same = (len(built.nodes), len(built.edges)) == (n_nodes, n_edges)
    size = (
        "same size as the shipped graph"
        if same
        else (
            f"gives {len(built.nodes):,} nodes, {len(built.edges):,} edges vs the shipped graph's "
            f"{n_nodes:,} / {n_edges:,}"
        )
    )
    return f"{took:.1f} s (one run; {size})"


def profile_text(fn: Callable[[], object], top: int = 12) -> str:
    """The top of a cProfile of one call, by internal time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    text = out.getvalue().strip().splitlines()
    start = next((i for i, line in enumerate(text) if "ncalls" in line), 0)
    head = [line for line in text[:start] if "function calls" in line]
    return "\n".join(head + text[start:])


if __name__ == "__main__":
    raise SystemExit(main())
