"""The compiled bucket searches give scipy's Dijkstra costs exactly, and the lengths along those paths.

Random graphs are drawn with costs that tie nowhere (so each cheapest path is
unique and its length is defined), with zero-cost edges, and with a few edges far
cheaper or dearer than the rest (so buckets are narrower than some edges and a
node is improved while its bucket is scanned). The real Helsinki and Kouvola
extracts are checked too, on every node of their car networks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from geoaccess.roads.osm import read_osm
from geoaccess.roads.router import Router
from geoaccess.roads.search import bucket_width, costs_to_targets

EXTRACTS = Path(__file__).parent / "data" / "osm"


def random_graph(seed: int, size: int = 400, edges: int = 1600, spread: float = 1.0) -> sparse.csr_matrix:
    """A directed graph with distinct edge costs; ``spread`` > 1 makes some edges far cheaper and dearer."""
    rng = np.random.default_rng(seed)
    tails, heads = rng.integers(0, size, edges), rng.integers(0, size, edges)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    _, first = np.unique(tails * size + heads, return_index=True)  # no parallel edges
    tails, heads = tails[first], heads[first]
    costs = rng.uniform(1.0, 10.0, len(tails)) * spread ** rng.uniform(-1, 1, len(tails))
    return sparse.csr_matrix((costs, (tails, heads)), shape=(size, size))


def lengths_along(graph: sparse.csr_matrix, lengths: sparse.csr_matrix, source: int) -> np.ndarray:
    """Sum of ``lengths`` along scipy's cheapest path from ``source`` to every node (``inf`` if unreached)."""
    cost, previous = dijkstra(graph, indices=source, return_predecessors=True)
    total = np.full(graph.shape[0], np.inf)
    total[source] = 0.0
    for node in np.argsort(cost):  # a node's predecessor is cheaper, so its total is known first
        if np.isfinite(cost[node]) and node != source:
            total[node] = total[previous[node]] + lengths[previous[node], node]
    return total


@pytest.mark.parametrize("spread", [1.0, 1000.0])
@pytest.mark.parametrize("seed", range(4))
def test_costs_and_lengths_are_scipys(seed, spread):
    graph = random_graph(seed, spread=spread)
    lengths = graph.copy()
    lengths.data = np.random.default_rng(seed + 100).uniform(50, 500, graph.nnz)
    sources, targets = np.arange(0, 400, 37), np.arange(400)
    cost, along = costs_to_targets(graph, sources, targets, lengths=lengths.data)
    np.testing.assert_allclose(cost, dijkstra(graph, indices=sources), rtol=0, atol=1e-9)
    assert along is not None
    expected = np.vstack([lengths_along(graph, lengths, int(source)) for source in sources])
    np.testing.assert_allclose(along, expected, rtol=1e-12, atol=1e-9)
    assert np.isinf(cost).any() and np.isfinite(cost).any()  # the sample has unreached nodes as well as reached


def test_narrow_buckets_rescan_nodes_and_stay_exact():
    graph = random_graph(7, spread=1000.0)
    assert bucket_width(graph.data) > graph.data.min()  # the floor applies: some edges are narrower than a bucket
    cost, _ = costs_to_targets(graph, np.arange(400), np.arange(400))
    np.testing.assert_allclose(cost, dijkstra(graph), rtol=0, atol=1e-9)


def test_zero_cost_edges_and_a_graph_without_edges():
    graph = random_graph(3)
    graph.data[::5] = 1e-9  # what RoadNetwork.csr stores for a zero-cost edge
    cost, _ = costs_to_targets(graph, np.arange(50), np.arange(400))
    np.testing.assert_allclose(cost, dijkstra(graph, indices=np.arange(50)), rtol=0, atol=1e-9)
    empty = sparse.csr_matrix((3, 3))
    cost, _ = costs_to_targets(empty, np.arange(3), np.arange(3))
    np.testing.assert_array_equal(cost, np.where(np.eye(3) == 1, 0.0, np.inf))


def test_limit_repeated_targets_and_threads():
    graph = random_graph(11)
    targets = np.r_[np.arange(400), 5, 5, 17]  # repeated targets do not stop a search early or late
    expected = dijkstra(graph, indices=np.arange(40), limit=12.0)[:, targets]
    for threads in (1, 2, 5):
        cost, _ = costs_to_targets(graph, np.arange(40), targets, limit=12.0, threads=threads)
        np.testing.assert_array_equal(cost, expected)
    assert np.isinf(expected).any() and (expected[np.isfinite(expected)] > 6).any()


def test_a_search_stops_early_only_once_its_targets_are_settled():
    graph = random_graph(5, size=2000, edges=8000)
    near = np.arange(3)  # few targets: the searches end long before the whole graph is scanned
    np.testing.assert_array_equal(
        costs_to_targets(graph, np.arange(100), near)[0], dijkstra(graph, indices=np.arange(100))[:, near]
    )


@pytest.mark.parametrize("extract", ["helsinki_kamppi.osm.pbf", "kouvola_osm.pbf"])
def test_real_extracts_every_node(extract):
    router = Router(read_osm(EXTRACTS / extract)["drive"])
    graph = router.times_reversed
    sources = np.random.default_rng(2).choice(graph.shape[0], 25, replace=False)
    cost, along = costs_to_targets(graph, sources, np.arange(graph.shape[0]), lengths=router._entry_lengths_reversed)
    np.testing.assert_allclose(cost, dijkstra(graph, indices=sources), rtol=0, atol=1e-9)
    assert along is not None
    reached = np.isfinite(cost)
    assert reached.mean() > 0.9 and (along[reached] >= 0).all() and np.isinf(along[~reached]).all()
