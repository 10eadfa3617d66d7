"""The routing core agrees with networkx, and reports unreachable pairs as unreachable.

On the default proxy drive graph, a seeded sample of node-to-node pairs (so
the access legs are 0) must match networkx's Dijkstra on ``network.to_graph()``
within 1e-6 s, and the metres along the fastest paths within 1e-6 m. A small
hand-made graph with a one-way link, a zero-cost link and a node cut off from
the rest checks that unreachable pairs are ``inf`` (never 0), that ``route``
raises :class:`NoRoute` for them, and that a cut-off applies to door-to-door
times. The speed comparison lives in ``bench/bench_roads.py``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geoaccess.errors import NoRoute
from geoaccess.pack import Pack
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.router import ACCESS_CIRCUITY, CAR_ACCESS_KPH, Router

TOL_S = 1e-6
TOL_M = 1e-6
SEED = 20240603


# --- the default proxy graph against networkx -----------------------------------------------


@pytest.fixture(scope="module")
def proxy(pack: Pack) -> tuple[RoadNetwork, Router, nx.MultiDiGraph]:
    network = RoadNetwork.load(pack.path / "roads" / "proxy-drive")
    return network, Router(network), network.to_graph()


@pytest.fixture(scope="module")
def sample(proxy) -> dict:
    """40 origin and 5 destination node rows, and networkx's reverse searches from the destinations.

    Each search is ``(predecessors, seconds)``: on the reversed graph a node's
    predecessors are the next nodes on its fastest ways to the destination
    (more than one where fastest paths tie).
    """
    network, _, graph = proxy
    rows = np.random.default_rng(SEED).choice(len(network.nodes), 45, replace=False)
    origins, destinations = rows[:40], rows[40:]
    ids = network.nodes["node_id"].to_numpy()
    reversed_graph = graph.reverse(copy=False)
    searches = {
        int(d): nx.dijkstra_predecessor_and_distance(reversed_graph, int(ids[d]), weight="travel_time")
        for d in destinations
    }
    return {
        "origins": origins,
        "destinations": destinations,
        "ids": ids,
        "searches": searches,
        "lonlat": network.nodes[["x", "y"]].to_numpy(),
    }


def path_metres(graph: nx.MultiDiGraph, path: list[int]) -> float:
    """Metres along a node path of ``graph`` (one edge per (u, v), as ``to_graph`` makes)."""
    total = 0.0
    for a, b in zip(path[:-1], path[1:], strict=True):
        parallel = graph[a][b]
        assert len(parallel) == 1, f"to_graph kept {len(parallel)} edges {a} -> {b}"
        total += next(iter(parallel.values()))["length"]
    return total


def networkx_expected(sample: dict, graph: nx.MultiDiGraph, origin_rows: np.ndarray) -> tuple:
    """networkx seconds and metres (origins x sample destinations) between node rows.

    Metres are ``nan`` where the fastest path is not unique (a tie anywhere on it).
    """
    ids, searches = sample["ids"], sample["searches"]
    seconds = np.full((len(origin_rows), len(sample["destinations"])), np.inf)
    metres = seconds.copy()
    for j, d in enumerate(sample["destinations"]):
        predecessors, lengths = searches[int(d)]
        for i, o in enumerate(origin_rows):
            node = int(ids[o])
            if node not in lengths:
                continue
            seconds[i, j] = lengths[node]
            path, unique = [node], True
            while predecessors[path[-1]]:  # walks forwards in the real graph, to the destination
                unique &= len(predecessors[path[-1]]) == 1
                path.append(predecessors[path[-1]][0])
            metres[i, j] = path_metres(graph, path) if unique else np.nan
    return seconds, metres


def assert_equal_matrix(ours: np.ndarray, theirs: np.ndarray, tol: float, what: str) -> None:
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(theirs), err_msg=f"{what}: unreachable pairs differ")
    both = np.isfinite(ours)
    worst = float(np.abs(ours[both] - theirs[both]).max()) if both.any() else 0.0
    assert worst <= tol, f"{what}: max difference {worst:g} over {tol:g}"


def test_node_to_node_matrix_equals_networkx(proxy, sample) -> None:
    network, router, graph = proxy
    lonlat, origins, destinations = sample["lonlat"], sample["origins"], sample["destinations"]
    snapped = router.snap(lonlat[origins, 0], lonlat[origins, 1])
    np.testing.assert_array_equal(snapped.node, origins)  # node positions snap to themselves ...
    np.testing.assert_array_equal(snapped.access_s, 0.0)  # ... with no access leg

    matrix = router.many_to_many(lonlat[origins], lonlat[destinations], with_metres=True)  # reverse search
    seconds, metres = networkx_expected(sample, graph, origins)
    assert np.isfinite(seconds).any()
    assert_equal_matrix(matrix.routed, seconds, TOL_S, "routed seconds")  # the calibration is applied after
    unique = ~np.isnan(metres)
    assert unique.mean() > 0.9, "too many tied fastest paths to compare metres"
    assert_equal_matrix(matrix.metres[unique], metres[unique], TOL_M, "metres")
    plain = router.many_to_many(lonlat[origins], lonlat[destinations])
    assert plain.metres is None
    np.testing.assert_array_equal(plain.seconds, matrix.seconds)


def test_forward_search_equals_networkx(proxy, sample) -> None:
    """Fewer origins than destinations: the router searches forwards from each origin."""
    _, router, graph = proxy
    lonlat, ids = sample["lonlat"], sample["ids"]
    origins, destinations = sample["destinations"][:2], sample["origins"]
    matrix = router.many_to_many(lonlat[origins], lonlat[destinations], with_metres=True)
    seconds = np.full(matrix.seconds.shape, np.inf)
    metres = seconds.copy()
    for i, o in enumerate(origins):
        predecessors, lengths = nx.dijkstra_predecessor_and_distance(graph, int(ids[o]), weight="travel_time")
        for j, d in enumerate(destinations):
            node = int(ids[d])
            if node not in lengths:
                continue
            seconds[i, j] = lengths[node]
            path, unique = [node], True
            while predecessors[path[-1]]:  # walks backwards, to the origin
                unique &= len(predecessors[path[-1]]) == 1
                path.append(predecessors[path[-1]][0])
            metres[i, j] = path_metres(graph, path[::-1]) if unique else np.nan
    assert_equal_matrix(matrix.routed, seconds, TOL_S, "routed seconds")
    unique = ~np.isnan(metres)
    assert unique.mean() > 0.9, "too many tied fastest paths to compare metres"
    assert_equal_matrix(matrix.metres[unique], metres[unique], TOL_M, "metres")


def test_places_off_the_network_add_the_same_access_legs(proxy, sample, pack: Pack) -> None:
    network, router, _ = proxy
    ids, lonlat, destinations = sample["ids"], sample["lonlat"], sample["destinations"]
    # Postcode centroids are nodes of the proxy, so move them off it by up to ~300 m.
    rng = np.random.default_rng(SEED)
    places = pack.postcodes[["lon", "lat"]].sample(12, random_state=SEED).to_numpy()
    places = places + rng.uniform(-0.003, 0.003, places.shape)
    snapped = router.snap(places[:, 0], places[:, 1])
    assert (snapped.gap_m > 0).all()
    np.testing.assert_allclose(snapped.access_s, snapped.gap_m * ACCESS_CIRCUITY / (CAR_ACCESS_KPH / 3.6))
    expected = np.full((len(places), len(destinations)), np.inf)
    for j, d in enumerate(destinations):
        lengths = sample["searches"][int(d)][1]
        network_s = np.asarray([lengths.get(int(ids[n]), np.inf) for n in snapped.node])
        expected[:, j] = network_s + snapped.access_s
    matrix = router.many_to_many(places, lonlat[destinations])
    assert_equal_matrix(matrix.routed, expected, TOL_S, "door-to-door routed seconds")


def test_route_agrees_with_the_matrix(proxy, sample) -> None:
    _, router, graph = proxy
    lonlat, ids = sample["lonlat"], sample["ids"]
    origins, destinations = sample["origins"][:3], sample["destinations"][:2]
    matrix = router.many_to_many(lonlat[origins], lonlat[destinations], with_metres=True)
    for i, o in enumerate(origins):
        for j, d in enumerate(destinations):
            route = router.route(tuple(lonlat[o]), tuple(lonlat[d]))
            assert route.node_path[0] == o and route.node_path[-1] == d
            assert abs(route.seconds - matrix.seconds[i, j]) <= TOL_S
            assert abs(route.metres - matrix.metres[i, j]) <= TOL_M
            assert abs(route.minutes * 60 - route.seconds) <= TOL_S
            path_ids = [int(ids[n]) for n in route.node_path]
            along = sum(
                next(iter(graph[a][b].values()))["travel_time"]
                for a, b in zip(path_ids[:-1], path_ids[1:], strict=True)
            )
            assert abs(along - route.routed_seconds) <= TOL_S


def test_cutoff_on_the_proxy(proxy, sample, pack: Pack) -> None:
    _, router, _ = proxy
    places = pack.postcodes[["lon", "lat"]].sample(30, random_state=SEED + 1).to_numpy()
    places = places + np.random.default_rng(SEED + 1).uniform(-0.003, 0.003, places.shape)  # off the nodes
    targets = sample["lonlat"][sample["destinations"]]
    for origins, destinations in ((places, targets), (targets, places)):  # both search directions
        full = router.many_to_many(origins, destinations, with_metres=True)
        cutoff = float(np.median(full.seconds[np.isfinite(full.seconds)]))
        cut = router.many_to_many(origins, destinations, cutoff_s=cutoff, with_metres=True)
        within = full.seconds <= cutoff
        assert within.any() and not within.all()
        np.testing.assert_array_equal(cut.seconds, np.where(within, full.seconds, np.inf))
        np.testing.assert_array_equal(cut.metres, np.where(within, full.metres, np.inf))


# --- a hand-made graph: one-way, zero-cost and cut-off links --------------------------------

# Node ids are not row numbers on purpose. 10 -> 11 is one-way (60 s), 11 <-> 12 two-way (120 s),
# 12 -> 14 one-way and free (0 s: csgraph would read an explicit 0 as "no edge"), 13 has no links.
NODES = pd.DataFrame(
    {
        "node_id": np.array([10, 11, 12, 13, 14], dtype=np.int64),
        "x": [-2.760, -2.745, -2.730, -2.700, -2.730],
        "y": [54.660, 54.660, 54.660, 54.700, 54.665],
    }
)
EDGES = pd.DataFrame(
    {
        "u": np.array([10, 11, 12, 12], dtype=np.int64),
        "v": np.array([11, 12, 11, 14], dtype=np.int64),
        "length": [1000.0, 2000.0, 2000.0, 0.0],
        "speed_kph": [60.0, 60.0, 60.0, 60.0],
        "travel_time": [60.0, 120.0, 120.0, 0.0],
    }
)
INF = np.inf
# Door-to-door seconds between the node positions, rows and columns in NODES order.
EXPECTED_S = np.array(
    [
        [0.0, 60.0, 180.0, INF, 180.0],
        [INF, 0.0, 120.0, INF, 120.0],
        [INF, 120.0, 0.0, INF, 0.0],
        [INF, INF, INF, 0.0, INF],
        [INF, INF, INF, INF, 0.0],
    ]
)
EXPECTED_M = np.array(
    [
        [0.0, 1000.0, 3000.0, INF, 3000.0],
        [INF, 0.0, 2000.0, INF, 2000.0],
        [INF, 2000.0, 0.0, INF, 0.0],
        [INF, INF, INF, 0.0, INF],
        [INF, INF, INF, INF, 0.0],
    ]
)


@pytest.fixture(scope="module")
def toy() -> tuple[Router, np.ndarray]:
    network = RoadNetwork(mode="drive", nodes=NODES.copy(), edges=EDGES.copy(), provenance={"network": "test"})
    return Router(network), NODES[["x", "y"]].to_numpy()


def test_unreachable_pairs_are_inf_never_zero(toy) -> None:
    router, places = toy
    for rows, cols in (
        (slice(None), slice(None)),  # 5 x 5: forward searches
        (slice(None), slice(0, 3)),  # 5 x 3: reverse searches
        (slice(3, 4), slice(None)),
    ):  # one origin, the cut-off node
        matrix = router.many_to_many(places[rows], places[cols], with_metres=True)
        expected_s, expected_m = EXPECTED_S[rows, cols], EXPECTED_M[rows, cols]
        assert_equal_matrix(matrix.seconds, expected_s, TOL_S, "seconds")
        assert_equal_matrix(matrix.metres, expected_m, TOL_M, "metres")
        unreachable = ~np.isfinite(expected_s)
        assert (matrix.seconds[unreachable] == np.inf).all()
        assert (matrix.metres[unreachable] == np.inf).all()
    one = router.one_to_many(tuple(places[3]), places)
    np.testing.assert_array_equal(one.seconds[0], EXPECTED_S[3])


def test_route_raises_no_route_for_unreachable_pairs(toy) -> None:
    router, places = toy
    for origin, destination in ((1, 0), (0, 3), (3, 0), (4, 2)):  # against the one-way; to/from the island
        with pytest.raises(NoRoute):
            router.route(tuple(places[origin]), tuple(places[destination]))
    route = router.route(tuple(places[0]), tuple(places[4]))
    assert route.node_path == [0, 1, 2, 4]
    assert abs(route.seconds - 180.0) <= TOL_S and abs(route.metres - 3000.0) <= TOL_M


def test_cutoff_is_door_to_door(toy) -> None:
    router, places = toy
    matrix = router.many_to_many(places, places, cutoff_s=100.0)
    assert_equal_matrix(matrix.seconds, np.where(EXPECTED_S <= 100.0, EXPECTED_S, INF), TOL_S, "seconds")
    # A place 0.001 deg west of node 10 (about 64 m) pays an access leg on top of the 60 s link.
    off = np.array([[places[0, 0] - 0.001, places[0, 1]]])
    access = float(router.snap(off[:, 0], off[:, 1]).access_s[0])
    assert 10.0 < access < 30.0
    within = router.many_to_many(off, places[1:2], cutoff_s=60.0 + access + 1.0)
    beyond = router.many_to_many(off, places[1:2], cutoff_s=60.0 + access - 1.0)
    assert abs(within.seconds[0, 0] - (60.0 + access)) <= TOL_S
    assert beyond.seconds[0, 0] == np.inf


@pytest.mark.parametrize("value", [np.nan, np.inf, -1.0])
def test_bad_edge_times_are_refused(value):
    from geoaccess.errors import BadInput

    nodes = pd.DataFrame({"node_id": [1, 2], "x": [-3.0, -3.001], "y": [54.0, 54.0]})
    edges = pd.DataFrame({"u": [1], "v": [2], "length": [100.0], "travel_time": [value]})
    with pytest.raises(BadInput, match="travel_time is missing, infinite or negative"):
        RoadNetwork(mode="drive", nodes=nodes, edges=edges)


@pytest.mark.slow
def test_searches_in_batches_give_the_same_matrix(proxy, pack: Pack) -> None:
    _, router, _ = proxy
    places = pack.postcodes.sample(300, random_state=5)[["lon", "lat"]].to_numpy()
    whole = router.many_to_many(places[:200], places[100:], with_metres=True)  # 200 sources: 2 batches
    for row in (0, 150, 199):
        single = router.one_to_many(tuple(places[row]), places[100:], with_metres=True)
        assert np.array_equal(whole.seconds[row], single.seconds[0])
        assert np.allclose(whole.metres[row], single.metres[0])
