"""Time loading a saved car network and one car matrix on it, for ``bench_scale.py`` (run as its child).

Run ``python bench/scale_car_queries.py NETWORK_FOLDER [--origins 2000] [--destinations 30] [--seed 14]``.
Prints one JSON line: ``load_s`` (:meth:`RoadNetwork.load`), ``router_s`` (:class:`Router` ready to route),
``matrix_s`` (:meth:`Router.many_to_many`, origins and destinations drawn uniformly over the network's
bounding box, the first query, so snapping's index build is counted) and the share of pairs with a route.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.router import Router


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", type=Path)
    parser.add_argument("--origins", type=int, default=2000)
    parser.add_argument("--destinations", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    started = time.perf_counter()
    network = RoadNetwork.load(args.network)
    loaded = time.perf_counter()
    router = Router(network)
    ready = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    lon, lat = network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()

    def places(count: int) -> np.ndarray:
        return np.column_stack([rng.uniform(lon.min(), lon.max(), count), rng.uniform(lat.min(), lat.max(), count)])

    origins, destinations = places(args.origins), places(args.destinations)
    before = time.perf_counter()
    matrix = router.many_to_many(origins, destinations)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "load_s": loaded - started,
                "router_s": ready - loaded,
                "matrix_s": done - before,
                "routed_share": float(np.isfinite(matrix.seconds).mean()),
            }
        )
    )


if __name__ == "__main__":
    main()
