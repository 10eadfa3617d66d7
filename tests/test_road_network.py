"""RoadNetwork's edges: one per (tail, head), the quickest, no self-loops, whatever the ids' integer type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoaccess.roads.network import RoadNetwork


def _network(u: list[int], v: list[int], seconds: list[float], dtype: str) -> RoadNetwork:
    nodes = pd.DataFrame({"node_id": np.array([1, 2, 3, 4, 5], dtype=dtype), "x": np.zeros(5), "y": np.zeros(5)})
    edges = pd.DataFrame(
        {
            "u": np.array(u, dtype=dtype),
            "v": np.array(v, dtype=dtype),
            "length": np.ones(len(u)),
            "travel_time": np.array(seconds, dtype=float),
        }
    )
    return RoadNetwork(mode="drive", nodes=nodes, edges=edges)


@pytest.mark.parametrize("dtype", ["int64", "uint64", "int32"])
def test_of_parallel_edges_the_quickest_is_kept_and_self_loops_dropped(dtype: str) -> None:
    network = _network([1, 3, 1, 2, 4], [2, 4, 2, 2, 5], [5.0, 5.0, 9.0, 1.0, 3.0], dtype)
    kept = network.edges[["u", "v", "travel_time"]].astype(float).to_numpy().tolist()
    assert kept == [[1, 2, 5.0], [3, 4, 5.0], [4, 5, 3.0]]
    assert network.csr()[0, 1] == 5.0  # not 14: parallel edges would add up in the CSR matrix
    unsorted = _network([1, 3, 1], [2, 4, 2], [5.0, 5.0, 9.0], dtype)  # no self-loop to give it away
    assert unsorted.edges[["u", "v"]].astype(int).to_numpy().tolist() == [[1, 2], [3, 4]]


def test_edges_already_one_per_pair_in_order_are_taken_as_they_are() -> None:
    network = _network([1, 1, 2], [2, 3, 3], [5.0, 4.0, 3.0], "int64")
    again = RoadNetwork(mode="drive", nodes=network.nodes, edges=network.edges)
    assert again.edges.equals(network.edges)
