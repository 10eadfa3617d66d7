"""Experiment: would contraction hierarchies meet issue 14's car-matrix target? (needs ``pip install -e .[bench]``)

Run ``python bench/experiment_contraction.py NETWORK_FOLDER [--settle-limit 60]`` on a drive network saved by
``geoaccess network build`` (e.g. a grid from ``generate_street_grid.py``). It contracts the network with a
plain contraction hierarchy (node order by edge difference plus contracted neighbours, updated lazily;
witness searches limited to ``--settle-limit`` settled nodes), then answers a 2,000 x 30 many-to-many with
buckets (backward upward searches from the 30 destinations fill buckets, forward upward searches from the
2,000 origins read them), and checks every answer against scipy's Dijkstra, which the router uses today.
It prints the preprocessing time, the shortcuts added, both matrix times and the largest difference.

Written in numba (compiled loops; the preprocessing is millions of small searches no array code can do).
This is a measurement, not part of geoaccess: the results and the conclusion are in
``bench/results/contraction_experiment.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from numba import njit
from scipy import sparse
from scipy.sparse.csgraph import dijkstra


@njit(cache=True)
def _heap_push(keys, vals, size, key, val):
    i = size
    size += 1
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] > key:
            keys[i] = keys[p]
            vals[i] = vals[p]
            i = p
        else:
            break
    keys[i] = key
    vals[i] = val
    return size


@njit(cache=True)
def _heap_pop(keys, vals, size):
    key = keys[0]
    val = vals[0]
    size -= 1
    if size > 0:
        lk = keys[size]
        lv = vals[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and keys[c + 1] < keys[c]:
                c += 1
            if keys[c] < lk:
                keys[i] = keys[c]
                vals[i] = vals[c]
                i = c
            else:
                break
        keys[i] = lk
        vals[i] = lv
    return key, val, size


@njit(cache=True)
def _add_edge(src, dst, w, out_head, out_next, in_head, in_next, count, u, x, weight):
    e = count
    src[e] = u
    dst[e] = x
    w[e] = weight
    out_next[e] = out_head[u]
    out_head[u] = e
    in_next[e] = in_head[x]
    in_head[x] = e
    return count + 1


@njit(cache=True)
def _witness(u, avoid, limit, settle_limit, out_head, out_next, dst, w, contracted, dist, touched, hk, hv):
    """Dijkstra from u not through avoid, up to limit and settle_limit; returns how many touched."""
    nt = 0
    dist[u] = 0.0
    touched[nt] = u
    nt += 1
    size = _heap_push(hk, hv, 0, 0.0, u)
    settled = 0
    while size > 0:
        d, v, size = _heap_pop(hk, hv, size)
        if d > dist[v]:
            continue
        if d > limit:
            break
        settled += 1
        if settled > settle_limit:
            break
        e = out_head[v]
        while e >= 0:
            x = dst[e]
            if x != avoid and not contracted[x]:
                nd = d + w[e]
                if nd < dist[x]:
                    if dist[x] == np.inf:
                        touched[nt] = x
                        nt += 1
                    dist[x] = nd
                    size = _heap_push(hk, hv, size, nd, x)
            e = out_next[e]
    return nt


@njit(cache=True)
def _contract(v, add, graph, count, contracted, scratch, settle_limit):
    """Contract v (add=True) or count the shortcuts it would need (add=False). Returns (shortcuts, count).

    ``graph`` is (src, dst, w, out_head, out_next, in_head, in_next); ``scratch`` is (dist, touched, hk, hv).
    """
    src, dst, w, out_head, out_next, in_head, in_next = graph
    dist, touched, hk, hv = scratch
    shortcuts = 0
    e_in = in_head[v]
    while e_in >= 0:
        u = src[e_in]
        if not contracted[u] and u != v:
            w1 = w[e_in]
            limit = 0.0
            e_out = out_head[v]
            while e_out >= 0:
                x = dst[e_out]
                if not contracted[x] and x != u and x != v:
                    if w1 + w[e_out] > limit:
                        limit = w1 + w[e_out]
                e_out = out_next[e_out]
            if limit > 0.0:
                nt = _witness(u, v, limit, settle_limit, out_head, out_next, dst, w, contracted, dist, touched, hk, hv)
                e_out = out_head[v]
                while e_out >= 0:
                    x = dst[e_out]
                    if not contracted[x] and x != u and x != v:
                        via = w1 + w[e_out]
                        if dist[x] > via:
                            shortcuts += 1
                            dist[x] = via  # one shortcut per (u, x), the shortest
                            if add:
                                count = _add_edge(src, dst, w, out_head, out_next, in_head, in_next, count, u, x, via)
                    e_out = out_next[e_out]
                for k in range(nt):
                    dist[touched[k]] = np.inf
                dist[u] = np.inf
                e_out = out_head[v]
                while e_out >= 0:
                    dist[dst[e_out]] = np.inf
                    e_out = out_next[e_out]
        e_in = in_next[e_in]
    return shortcuts, count


@njit(cache=True)
def _degree(v, head, nxt, other, contracted):
    n = 0
    e = head[v]
    while e >= 0:
        if not contracted[other[e]]:
            n += 1
        e = nxt[e]
    return n


@njit(cache=True)
def _priority(v, graph, count, contracted, deleted, scratch, settle_limit):
    """Edge difference (shortcuts needed less edges removed) plus twice the neighbours already contracted."""
    src, dst, _, out_head, out_next, in_head, in_next = graph
    shortcuts, _ = _contract(v, False, graph, count, contracted, scratch, settle_limit)
    removed = _degree(v, out_head, out_next, dst, contracted) + _degree(v, in_head, in_next, src, contracted)
    return float(shortcuts - removed + 2 * deleted[v])


@njit(cache=True)
def build(n, tails, heads, weights, capacity, settle_limit, fixed_order):
    """Contract every node: in ``fixed_order`` if given (non-empty), else by priority, updated lazily.
    Returns the edges with shortcuts and each node's rank, or no edges if ``capacity`` ran out."""
    src = np.empty(capacity, np.int64)
    dst = np.empty(capacity, np.int64)
    w = np.empty(capacity)
    out_next = np.empty(capacity, np.int64)
    in_next = np.empty(capacity, np.int64)
    out_head = np.full(n, -1, np.int64)
    in_head = np.full(n, -1, np.int64)
    graph = (src, dst, w, out_head, out_next, in_head, in_next)
    count = 0
    for e in range(len(tails)):
        count = _add_edge(src, dst, w, out_head, out_next, in_head, in_next, count, tails[e], heads[e], weights[e])
    scratch = (np.full(n, np.inf), np.empty(n, np.int64), np.empty(capacity + n), np.empty(capacity + n, np.int64))
    contracted = np.zeros(n, np.bool_)
    deleted = np.zeros(n, np.int64)
    rank = np.full(n, -1, np.int64)
    queue_keys, queue_nodes = np.empty(n + 1), np.empty(n + 1, np.int64)  # each node at most once
    queued = 0
    if len(fixed_order):
        for v in fixed_order:
            queued = _heap_push(queue_keys, queue_nodes, queued, float(queued), v)
    else:
        for v in range(n):
            priority = _priority(v, graph, count, contracted, deleted, scratch, settle_limit)
            queued = _heap_push(queue_keys, queue_nodes, queued, priority, v)
    order = 0
    while queued > 0:
        _, v, queued = _heap_pop(queue_keys, queue_nodes, queued)
        if not len(fixed_order):
            now = _priority(v, graph, count, contracted, deleted, scratch, settle_limit)
            if queued > 0 and now > queue_keys[0]:
                queued = _heap_push(queue_keys, queue_nodes, queued, now, v)
                continue
        _, count = _contract(v, True, graph, count, contracted, scratch, settle_limit)
        if count + n > capacity:
            return src[:0], dst[:0], w[:0], rank  # out of room: the caller retries bigger
        contracted[v] = True
        rank[v] = order
        order += 1
        e = out_head[v]
        while e >= 0:
            deleted[dst[e]] += 1
            e = out_next[e]
        e = in_head[v]
        while e >= 0:
            deleted[src[e]] += 1
            e = in_next[e]
    return src[:count], dst[:count], w[:count], rank


def nested_order(x: np.ndarray, y: np.ndarray, tails: np.ndarray, heads: np.ndarray, leaf: int = 64) -> np.ndarray:
    """Nodes in nested-dissection order: split at the median of the wider coordinate; the nodes of the lower
    half with an edge to the upper half (the separator) come after both halves, each ordered the same way."""
    side = np.zeros(len(x), dtype=np.int8)  # scratch: 1 lower half, 2 upper half

    def ordered(nodes: np.ndarray, edges: np.ndarray) -> list[np.ndarray]:
        if len(nodes) <= leaf:
            return [nodes]
        axis = x if np.ptp(x[nodes]) >= np.ptp(y[nodes]) else y
        lower = axis[nodes] <= np.median(axis[nodes])
        side[nodes[lower]], side[nodes[~lower]] = 1, 2
        a, b = side[tails[edges]], side[heads[edges]]
        crossing = edges[a != b]
        separator = np.unique(np.where(side[tails[crossing]] == 1, tails[crossing], heads[crossing]))
        side[separator] = 3
        halves = []
        for label in (1, 2):
            part = nodes[side[nodes] == label]
            part_edges = edges[(side[tails[edges]] == label) & (side[heads[edges]] == label)]
            halves.append((part, part_edges))
        side[nodes] = 0
        if not len(separator) or any(len(part) == len(nodes) for part, _ in halves):
            return [nodes]  # no useful split
        return [*ordered(*halves[0]), *ordered(*halves[1]), separator]

    return np.concatenate(ordered(np.arange(len(x)), np.arange(len(tails))))


def upward_graphs(n, src, dst, w, rank):
    """Forward upward CSR (u -> x, rank x > rank u) and backward upward CSR (x <- u with rank u > rank x)."""
    up = rank[dst] > rank[src]
    f_order = np.lexsort((dst[up], src[up]))
    f_src, f_dst, f_w = src[up][f_order], dst[up][f_order], w[up][f_order]
    f_ptr = np.concatenate([[0], np.cumsum(np.bincount(f_src, minlength=n))])
    down = ~up
    b_src, b_dst, b_w = dst[down], src[down], w[down]  # from x (lower) to u (higher), reversed edge
    b_order = np.lexsort((b_dst, b_src))
    b_src, b_dst, b_w = b_src[b_order], b_dst[b_order], b_w[b_order]
    b_ptr = np.concatenate([[0], np.cumsum(np.bincount(b_src, minlength=n))])
    return f_ptr, f_dst, f_w, b_ptr, b_dst, b_w


@njit(cache=True)
def _upward(s, ptr, nbr, wt, dist, touched, hk, hv):
    nt = 0
    dist[s] = 0.0
    touched[nt] = s
    nt += 1
    size = _heap_push(hk, hv, 0, 0.0, s)
    while size > 0:
        d, v, size = _heap_pop(hk, hv, size)
        if d > dist[v]:
            continue
        for k in range(ptr[v], ptr[v + 1]):
            x = nbr[k]
            nd = d + wt[k]
            if nd < dist[x]:
                if dist[x] == np.inf:
                    touched[nt] = x
                    nt += 1
                dist[x] = nd
                size = _heap_push(hk, hv, size, nd, x)
    return nt


@njit(cache=True)
def many_to_many(n, f_ptr, f_dst, f_w, b_ptr, b_dst, b_w, sources, targets):
    dist = np.full(n, np.inf)
    touched = np.empty(n, np.int64)
    hk = np.empty(len(f_dst) + len(b_dst) + n)
    hv = np.empty(len(f_dst) + len(b_dst) + n, np.int64)
    # buckets: for each node, entries (target index, distance), as lists built in two passes
    counts = np.zeros(n + 1, np.int64)
    all_nodes = []
    all_d = []
    for j in range(len(targets)):
        nt = _upward(targets[j], b_ptr, b_dst, b_w, dist, touched, hk, hv)
        nodes = touched[:nt].copy()
        ds = dist[nodes].copy()
        all_nodes.append(nodes)
        all_d.append(ds)
        for k in range(nt):
            counts[nodes[k] + 1] += 1
            dist[nodes[k]] = np.inf
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    b_t = np.empty(start[-1], np.int64)
    b_d = np.empty(start[-1])
    for j in range(len(targets)):
        nodes = all_nodes[j]
        ds = all_d[j]
        for k in range(len(nodes)):
            y = nodes[k]
            b_t[fill[y]] = j
            b_d[fill[y]] = ds[k]
            fill[y] += 1
    out = np.full((len(sources), len(targets)), np.inf)
    for i in range(len(sources)):
        nt = _upward(sources[i], f_ptr, f_dst, f_w, dist, touched, hk, hv)
        for k in range(nt):
            y = touched[k]
            dy = dist[y]
            for q in range(start[y], start[y + 1]):
                total = dy + b_d[q]
                if total < out[i, b_t[q]]:
                    out[i, b_t[q]] = total
            dist[y] = np.inf
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", type=Path, help="a saved drive network folder (nodes.parquet, edges.parquet)")
    parser.add_argument("--settle-limit", type=int, default=60, help="witness searches stop after this many nodes")
    parser.add_argument(
        "--order", choices=["priority", "nested"], default="priority", help="contraction order (see the results)"
    )
    parser.add_argument("--origins", type=int, default=2000)
    parser.add_argument("--destinations", type=int, default=30)
    args = parser.parse_args()
    nodes = pd.read_parquet(args.network / "nodes.parquet")
    edges = pd.read_parquet(args.network / "edges.parquet")
    ids = nodes["node_id"].to_numpy()
    n = len(ids)
    tails = np.searchsorted(ids, edges["u"].to_numpy()).astype(np.int64)
    heads = np.searchsorted(ids, edges["v"].to_numpy()).astype(np.int64)
    seconds = edges["travel_time"].to_numpy(dtype=float)
    print(f"{args.network}: {n:,} nodes, {len(tails):,} edges")
    started = time.perf_counter()
    fixed = np.empty(0, dtype=np.int64)
    if args.order == "nested":
        lon, lat = nodes["x"].to_numpy(dtype=float), nodes["y"].to_numpy(dtype=float)
        fixed = nested_order(lon * np.cos(np.radians(lat.mean())), lat, tails, heads).astype(np.int64)
        print(f"nested dissection order: {time.perf_counter() - started:.1f} s")
    capacity = len(tails) * 4
    while True:
        src, dst, weight, rank = build(n, tails, heads, seconds, capacity, args.settle_limit, fixed)
        if len(src):
            break
        capacity *= 2
    graphs = upward_graphs(n, src, dst, weight, rank)
    print(f"contraction: {time.perf_counter() - started:.1f} s, {len(src) - len(tails):,} shortcuts added")
    rng = np.random.default_rng(14)
    origins = rng.choice(n, args.origins, replace=False)
    destinations = rng.choice(n, args.destinations, replace=False)
    many_to_many(n, *graphs, origins[:2], destinations[:2])  # compile first
    started = time.perf_counter()
    contracted = many_to_many(n, *graphs, origins, destinations)
    print(f"matrix by contraction hierarchy: {time.perf_counter() - started:.3f} s")
    reversed_graph = sparse.csr_matrix((seconds, (heads, tails)), shape=(n, n))
    started = time.perf_counter()
    reference = dijkstra(reversed_graph, indices=destinations)[:, origins].T
    print(f"matrix by scipy's Dijkstra (today): {time.perf_counter() - started:.3f} s")
    reached = np.isfinite(reference)
    assert (np.isfinite(contracted) == reached).all(), "a pair reached by one and not the other"
    print(f"largest difference: {np.max(np.abs(contracted[reached] - reference[reached])):.2e} s")


if __name__ == "__main__":
    main()
