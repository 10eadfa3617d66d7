"""Road routing on a real OpenStreetMap extract: our build and router beside osmnx/networkx and Valhalla.

Run ``python bench/bench_real_roads.py [--extract PATH] [--pairs N] [--mode drive|walk]``. It prints
a Markdown report and writes it to ``bench/results/real_roads.md``. Measured in one run, on the
same extract:

- our network build (``geoaccess.roads.osm.read_osm``): wall time, Python peak memory
  (tracemalloc) and the process's peak resident memory;
- an N x N matrix between N random origin nodes and N random destination nodes of the built
  network: ``Router.many_to_many`` against networkx's per-origin Dijkstra on the very same graph
  (``single_source_dijkstra_path_length`` on ``RoadNetwork.to_graph()``, which is what osmnx's
  routing runs), with their agreement (pairs within 1 ms, largest absolute difference, and
  whether both call the same pairs unreachable);
- Valhalla through pyvalhalla (``pip install pyvalhalla-weekly``, or ``pip install -e '.[bench]'``), where
  ``import valhalla`` works: tiles built from the same extract into a temporary folder by the package's
  bundled ``valhalla_build_tiles`` (one thread), then a ``sources_to_targets`` matrix between the same
  points, both timed. Valhalla has its own speeds, turn costs and restrictions and snaps to the nearest
  edge, so this is a peer comparison, not an identity check: the report gives the median and 90th
  percentile absolute relative difference from our times, the share within 10%, and the pairs only
  one side reaches. Where it cannot be imported the report says so and the rest runs as before.

The default extract is ``tests/data/osm/helsinki_kamppi.osm.pbf`` (see ``tests/data/README.md``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from _machine import version

from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.osm import read_osm
from geoaccess.roads.router import Router

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXTRACT = ROOT / "tests" / "data" / "osm" / "helsinki_kamppi.osm.pbf"
RESULTS = ROOT / "bench" / "results" / "real_roads.md"


def build(extract: Path, mode: str) -> tuple[RoadNetwork, dict[str, float]]:
    tracemalloc.start()
    started = time.perf_counter()
    network = read_osm(extract, [mode])[mode]
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return network, {"seconds": seconds, "python_peak_mb": peak / 2**20, "max_rss_mb": rss_mb}


def ours(network: RoadNetwork, origins: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, float]:
    router = Router(network)
    xy = network.nodes[["x", "y"]].to_numpy()
    started = time.perf_counter()
    seconds = router.many_to_many(xy[origins], xy[targets]).seconds
    return seconds, time.perf_counter() - started


def networkx_matrix(network: RoadNetwork, origins: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, float]:
    graph = network.to_graph()
    ids = network.nodes["node_id"].to_numpy()
    started = time.perf_counter()
    matrix = np.full((len(origins), len(targets)), np.inf)
    for row, origin in enumerate(ids[origins]):
        reached = nx.single_source_dijkstra_path_length(graph, int(origin), weight="travel_time")
        matrix[row] = [reached.get(int(target), np.inf) for target in ids[targets]]
    return matrix, time.perf_counter() - started


def valhalla_matrix(extract: Path, network: RoadNetwork, origins: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """Valhalla's tile build and matrix between the same points, or why it could not run."""
    try:
        import valhalla  # noqa: PLC0415
    except ImportError as exc:
        return {"status": f"skipped: `import valhalla` failed ({exc}); install it with `pip install pyvalhalla-weekly`"}
    xy = network.nodes[["x", "y"]].to_numpy()
    costing = "auto" if network.mode == "drive" else "pedestrian"
    with tempfile.TemporaryDirectory(prefix="bench-valhalla-") as folder:
        tiles = Path(folder) / "tiles"
        tiles.mkdir()
        config = valhalla.get_config(tile_extract="", tile_dir=tiles, verbose=False)
        config["service_limits"][costing]["max_matrix_location_pairs"] = len(origins) * len(targets)
        # Without the second pass the hierarchy-limited first pass leaves pairs unfound that a route finds.
        config["thor"]["costmatrix"]["allow_second_pass"] = True
        config_path = Path(folder) / "valhalla.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        tool = valhalla.PYVALHALLA_DIR / "bin" / "valhalla_build_tiles"
        started = time.perf_counter()
        # In the temporary folder: it writes duplicateways.txt into its working directory.
        subprocess.run([tool, "-c", config_path, "-j", "1", extract.resolve()], cwd=folder, check=True)
        built = time.perf_counter() - started
        actor = valhalla.Actor(str(config_path))  # a path: given a dict, Actor leaves a config file in /tmp
        query = {
            "sources": [{"lon": float(x), "lat": float(y)} for x, y in xy[origins]],
            "targets": [{"lon": float(x), "lat": float(y)} for x, y in xy[targets]],
            "costing": costing,
        }
        started = time.perf_counter()
        answer = actor.matrix(query)
        seconds = time.perf_counter() - started
    times = np.array(
        [
            [np.inf if cell.get("time") is None else cell["time"] for cell in row]
            for row in answer["sources_to_targets"]
        ],
        dtype=float,
    )
    return {
        "status": "run",
        "version": valhalla.__version__,
        "algorithm": answer["algorithm"],
        "build_s": built,
        "matrix_s": seconds,
        "seconds": times,
    }


def agreement(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    both = np.isfinite(a) & np.isfinite(b)
    diff = np.abs(a[both] - b[both])
    return {
        "same_unreachable": bool((np.isfinite(a) == np.isfinite(b)).all()),
        "within_1ms": float((diff <= 1e-3).mean()) if both.any() else float("nan"),
        "max_abs_s": float(diff.max()) if both.any() else float("nan"),
        "reachable_pairs": int(both.sum()),
    }


def peer_agreement(ours: np.ndarray, theirs: np.ndarray) -> dict[str, Any]:
    """How near another engine's times are to ours, relative to ours, over pairs both reach (ours > 0)."""
    both = np.isfinite(ours) & np.isfinite(theirs) & (ours > 0)
    relative = np.abs(theirs[both] - ours[both]) / ours[both]
    return {
        "pairs": int(both.sum()),
        "median": float(np.median(relative)),
        "p90": float(np.percentile(relative, 90)),
        "within_10pc": float((relative <= 0.1).mean()),
        "median_ratio": float(np.median(theirs[both] / ours[both])),
        "only_ours_reach": int((np.isfinite(ours) & ~np.isfinite(theirs)).sum()),
        "only_theirs_reach": int((~np.isfinite(ours) & np.isfinite(theirs)).sum()),
    }


def report(args: argparse.Namespace) -> str:
    network, built = build(args.extract, args.mode)
    rng = np.random.default_rng(args.seed)
    size = len(network.nodes)
    origins, targets = rng.choice(size, args.pairs), rng.choice(size, args.pairs)
    our_s, our_t = ours(network, origins, targets)
    nx_s, nx_t = networkx_matrix(network, origins, targets)
    same = agreement(our_s, nx_s)
    valhalla = valhalla_matrix(args.extract, network, origins, targets)
    n = args.pairs
    components = network.report["components"]
    lines = [
        f"# Real road network benchmark ({args.mode})",
        "",
        f"Extract `{args.extract.name}` ({args.extract.stat().st_size:,} bytes; {network.provenance['date']}, "
        f"{network.provenance['date_basis']}); {size:,} nodes, {len(network.edges):,} edges kept "
        f"({len(components['kept'])} component(s) kept, {components['dropped']['count']} dropped with "
        f"{components['dropped']['nodes']} nodes). {n} x {n} matrix between seeded random nodes (seed {args.seed}).",
        "",
        "| engine | build (s) | build peak memory | matrix (s) | agreement with ours |",
        "|---|---:|---|---:|---|",
        f"| geoaccess (pyosmium build in osmnx conventions; compiled bucket-queue Dijkstra) | {built['seconds']:.2f} | "
        f"{built['python_peak_mb']:.0f} MB Python peak, {built['max_rss_mb']:.0f} MB process max RSS | "
        f"{our_t:.3f} | - |",
        f"| networkx per-origin Dijkstra (what osmnx runs), same graph | (ours) | - | {nx_t:.3f} | "
        f"{same['within_1ms']:.1%} of {same['reachable_pairs']:,} reachable pairs within 1 ms; max abs "
        f"difference {same['max_abs_s']:.2g} s; same unreachable pairs: {same['same_unreachable']} |",
    ]
    if valhalla["status"] == "run":
        peer = peer_agreement(our_s, valhalla["seconds"])
        lines.append(
            f"| Valhalla {valhalla['version']} (pyvalhalla; `{valhalla['algorithm']}`), same extract | "
            f"{valhalla['build_s']:.2f} (tiles, 1 thread) | - | {valhalla['matrix_s']:.3f} | peer: median "
            f"{peer['median']:.1%}, 90th percentile {peer['p90']:.1%} relative difference; {peer['within_10pc']:.1%} "
            f"of {peer['pairs']:,} pairs within 10% |"
        )
        notes = [
            "",
            "Valhalla is a peer, not an identity check: it has its own speeds, turn costs and restrictions, and "
            "snaps each point to its nearest edge, so its times differ from ours by model, not by error. Its "
            f"agreement is over the pairs both reach with our time > 0; median ratio Valhalla/ours "
            f"{peer['median_ratio']:.2f}. Pairs only we reach: {peer['only_ours_reach']:,}; only Valhalla reaches: "
            f"{peer['only_theirs_reach']:,}.",
        ]
    else:
        lines.append(f"| Valhalla | - | - | - | {valhalla['status']} |")
        notes = []
    lines += [
        "",
        f"Speed-up of our matrix over networkx: {nx_t / our_t:.1f}x.",
        *notes,
        "",
        f"Python {platform.python_version()}, {platform.machine()}; numpy {version('numpy')}, scipy "
        f"{version('scipy')}, networkx {version('networkx')}, osmnx {version('osmnx')}, numba {version('numba')}, "
        f"osmium {version('osmium')}; run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, default=DEFAULT_EXTRACT, help="OSM file (.pbf, .osm, .osm.bz2)")
    parser.add_argument("--pairs", type=int, default=200, help="N for the N x N matrix (default 200)")
    parser.add_argument("--mode", choices=("drive", "walk"), default="drive")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    text = report(args)
    sys.stdout.write(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
