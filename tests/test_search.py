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

from geoaccess.roads import search
from geoaccess.roads.osm import read_osm
from geoaccess.roads.router import Router
from geoaccess.roads.search import SearchGraph, costs_to_targets

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
    cost, along = costs_to_targets(SearchGraph.of(graph), sources, targets, lengths=lengths.data)
    np.testing.assert_allclose(cost, dijkstra(graph, indices=sources), rtol=0, atol=1e-9)
    assert along is not None
    expected = np.vstack([lengths_along(graph, lengths, int(source)) for source in sources])
    np.testing.assert_allclose(along, expected, rtol=1e-12, atol=1e-9)
    assert np.isinf(cost).any() and np.isfinite(cost).any()  # the sample has unreached nodes as well as reached


def test_narrow_buckets_rescan_nodes_and_stay_exact():
    graph = random_graph(7, spread=1000.0)
    assert SearchGraph.of(graph).delta > graph.data.min()  # the floor applies: some edges are narrower than a bucket
    cost, _ = costs_to_targets(SearchGraph.of(graph), np.arange(400), np.arange(400))
    np.testing.assert_allclose(cost, dijkstra(graph), rtol=0, atol=1e-9)


def test_zero_cost_edges_and_a_graph_without_edges():
    graph = random_graph(3)
    graph.data[::5] = 1e-9  # what RoadNetwork.csr stores for a zero-cost edge
    cost, _ = costs_to_targets(SearchGraph.of(graph), np.arange(50), np.arange(400))
    np.testing.assert_allclose(cost, dijkstra(graph, indices=np.arange(50)), rtol=0, atol=1e-9)
    empty = sparse.csr_matrix((3, 3))
    cost, _ = costs_to_targets(SearchGraph.of(empty), np.arange(3), np.arange(3))
    np.testing.assert_array_equal(cost, np.where(np.eye(3) == 1, 0.0, np.inf))


def test_limit_repeated_targets_and_threads():
    graph = random_graph(11)
    targets = np.r_[np.arange(400), 5, 5, 17]  # repeated targets do not stop a search early or late
    expected = dijkstra(graph, indices=np.arange(40), limit=12.0)[:, targets]
    for threads in (1, 2, 5):
        cost, _ = costs_to_targets(SearchGraph.of(graph), np.arange(40), targets, limit=12.0, threads=threads)
        np.testing.assert_array_equal(cost, expected)
    assert np.isinf(expected).any() and (expected[np.isfinite(expected)] > 6).any()


def test_a_search_stops_early_only_once_its_targets_are_settled():
    graph = random_graph(5, size=2000, edges=8000)
    near = np.arange(3)  # few targets: the searches end long before the whole graph is scanned
    np.testing.assert_array_equal(
        costs_to_targets(SearchGraph.of(graph), np.arange(100), near)[0],
        dijkstra(graph, indices=np.arange(100))[:, near],
    )


@pytest.mark.parametrize("extract", ["helsinki_kamppi.osm.pbf", "kouvola_osm.pbf"])
def test_real_extracts_every_node(extract):
    router = Router(read_osm(EXTRACTS / extract)["drive"])
    graph = router.times_reversed
    sources = np.random.default_rng(2).choice(graph.shape[0], 25, replace=False)
    cost, along = costs_to_targets(
        SearchGraph.of(graph), sources, np.arange(graph.shape[0]), lengths=router._entry_lengths_reversed
    )
    np.testing.assert_allclose(cost, dijkstra(graph, indices=sources), rtol=0, atol=1e-9)
    assert along is not None
    reached = np.isfinite(cost)
    assert reached.mean() > 0.9 and (along[reached] >= 0).all() and np.isinf(along[~reached]).all()


def test_a_node_rescanned_many_times_queues_no_more_than_once():
    """A hub reached by many cheap paths inside one bucket, fanning out to many far nodes (review of 37473f2:
    the queue's entry pool overflowed and corrupted memory here)."""
    middle, far = 50, 200
    hub = middle + 1
    tails = [*[0] * middle, *range(1, middle + 1), *[hub] * far]
    heads = [*range(1, middle + 1), *[hub] * middle, *range(hub + 1, hub + 1 + far)]
    costs = [*(0.001 * np.arange(middle, 0, -1)), *(0.001 * np.arange(1, middle + 1)), *np.full(far, 100.0)]
    graph = sparse.csr_matrix((costs, (tails, heads)), shape=(hub + 1 + far,) * 2)
    assert SearchGraph.of(graph).delta > 0.05  # every cheap edge is inside one bucket
    cost, _ = costs_to_targets(SearchGraph.of(graph), np.arange(3), np.arange(graph.shape[0]))
    np.testing.assert_allclose(cost, dijkstra(graph, indices=np.arange(3)), rtol=0, atol=1e-9)


def test_mostly_zero_cost_edges_keep_the_ring_of_buckets_small():
    chain = sparse.csr_matrix(([1e-9, 1e-9, 60.0], ([0, 1, 2], [1, 2, 3])), shape=(4, 4))
    layout = SearchGraph.of(chain)
    assert layout.slots <= search.MOST_SLOTS + 2
    np.testing.assert_allclose(costs_to_targets(layout, [0], np.arange(4))[0], dijkstra(chain, indices=[0]))


def test_a_limit_keeps_a_cost_equal_to_it():
    graph = random_graph(13, spread=30.0)
    whole = dijkstra(graph, indices=np.arange(10))
    layout = SearchGraph.of(graph)
    for limit in np.random.default_rng(3).choice(whole[np.isfinite(whole)], 40):
        cost, _ = costs_to_targets(layout, np.arange(10), np.arange(400), limit=float(limit))
        np.testing.assert_array_equal(cost, np.where(whole <= limit, whole, np.inf))


def test_bad_graphs_and_nodes_are_refused():
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="finite and not negative"):
            SearchGraph.of(sparse.csr_matrix(([1.0, bad], ([0, 1], [1, 0])), shape=(2, 2)))
    layout = SearchGraph.of(sparse.csr_matrix(([1.0], ([0], [1])), shape=(2, 2)))
    with pytest.raises(IndexError, match="source node"):
        costs_to_targets(layout, [2], [1])
    with pytest.raises(IndexError, match="target node"):
        costs_to_targets(layout, [0], [-1])
    with pytest.raises(ValueError, match="threads"):
        costs_to_targets(layout, [0], [1], threads=0)


def test_one_compiled_version_serves_every_call():
    search.load_compiled()
    graph = SearchGraph.of(random_graph(1))
    for threads in (1, 2):
        costs_to_targets(graph, np.arange(5), np.arange(9), threads=threads)
        costs_to_targets(graph, np.arange(5), np.arange(9), lengths=graph.costs, threads=threads)
    assert len(search._compiled_search_each.signatures) == 1  # type: ignore[attr-defined]
