"""Many shortest-path searches at once, compiled: costs from each source to a few target nodes of a CSR graph.

scipy's ``dijkstra`` (a Fibonacci heap, holding the GIL) takes ~140 ms per
search on a million-node road network and returns whole rows. Here each search
keeps its open nodes in buckets of width ``delta`` of tentative cost, scanned in
order (Delta-stepping, run one search per thread): it is exact for any
``delta`` > 0, because a node improved while its own bucket is scanned is
queued and scanned again. A search stops once every target is settled (or the
limit is passed), only the targets' costs are kept, and the compiled loop
releases the GIL, so searches run side by side on every available core.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import numpy as np
from numba import njit
from scipy import sparse

BUCKETS_PER_MEDIAN_EDGE = 8
"""``delta`` is the shortest edge, but no less than the median edge over this: bounds the buckets to scan."""


Graph = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""CSR ``indptr`` (int64), ``indices`` (int32), edge costs and edge lengths (float64; lengths empty: not wanted)."""
Scratch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""A search's working arrays: cost, length along and cost when scanned per node; bucket heads; queued entries'
node and next entry."""


def _search(
    graph: Graph,
    source: int,
    bounds: tuple[float, float],
    targets: tuple[np.ndarray, np.ndarray, int],
    out: tuple[np.ndarray, np.ndarray],
    scratch: Scratch,
) -> None:
    """One search from ``source`` within ``bounds`` (limit, bucket width): the cost of each of ``targets`` (rows,
    a mask of them, how many distinct), and the length along its cheapest path when the graph has lengths, into
    ``out`` (costs, lengths)."""
    indptr, indices, weights, lengths = graph
    limit, delta = bounds
    target_rows, is_target, target_count = targets
    out_cost, out_length = out
    cost, along, scanned_at, heads, entry_node, entry_next = scratch
    with_lengths = len(lengths) > 0
    slots = len(heads)
    cost[:] = np.inf
    scanned_at[:] = -1.0
    heads[:] = -1
    free = -1  # a stack of spent entries, linked through entry_next
    fresh = 1  # entries below this have been used at least once
    cost[source] = 0.0
    along[source] = 0.0
    entry_node[0] = source
    entry_next[0] = -1
    heads[0] = 0
    queued = 1
    unsettled = target_count  # distinct targets not yet settled
    bucket = 0
    while queued > 0 and unsettled > 0 and bucket * delta <= limit:
        slot = bucket % slots
        while heads[slot] != -1:
            entry = heads[slot]
            heads[slot] = entry_next[entry]
            node = entry_node[entry]
            entry_next[entry] = free
            free = entry
            queued -= 1
            here = cost[node]
            if scanned_at[node] == here or int(here / delta) != bucket:
                continue  # scanned already at this cost, or queued again in a lower bucket since
            if scanned_at[node] < 0 and is_target[node]:
                unsettled -= 1  # final once this bucket is scanned
            scanned_at[node] = here
            for edge in range(indptr[node], indptr[node + 1]):
                head = indices[edge]
                reached = here + weights[edge]
                if reached < cost[head]:
                    cost[head] = reached
                    if with_lengths:
                        along[head] = along[node] + lengths[edge]
                    if free != -1:
                        entry, free = free, entry_next[free]
                    else:
                        entry, fresh = fresh, fresh + 1
                    head_slot = int(reached / delta) % slots
                    entry_node[entry] = head
                    entry_next[entry] = heads[head_slot]
                    heads[head_slot] = entry
                    queued += 1
        bucket += 1
    for column in range(len(target_rows)):
        found = cost[target_rows[column]]
        reached = found < np.inf and found <= limit
        out_cost[column] = found if reached else np.inf
        if with_lengths:
            out_length[column] = along[target_rows[column]] if reached else np.inf


def _search_each(
    graph: Graph,
    sources: np.ndarray,
    bounds: tuple[float, float],
    slots: int,
    targets: np.ndarray,
    out: tuple[np.ndarray, np.ndarray],
) -> None:
    """:func:`_search` from each of ``sources`` in turn into its row of ``out`` (costs, lengths), with ``slots``
    buckets, reusing one set of scratch arrays."""
    size = len(graph[0]) - 1
    edges = len(graph[1])
    is_target = np.zeros(size, np.bool_)
    for target in targets:
        is_target[target] = True
    target_count = int(is_target.sum())
    scratch = (
        np.empty(size),
        np.empty(size),
        np.empty(size),
        np.empty(slots, np.int64),
        np.empty(edges + 1, np.int32),  # no more entries are queued at once than edges + 1
        np.empty(edges + 1, np.int32),
    )
    out_cost, out_length = out
    for row in range(len(sources)):
        _compiled_search(
            graph, sources[row], bounds, (targets, is_target, target_count), (out_cost[row], out_length[row]), scratch
        )


_compiled_search = cast(Callable[..., None], njit(cache=True, nogil=True)(_search))
_compiled_search_each = cast(Callable[..., None], njit(cache=True, nogil=True)(_search_each))


def bucket_width(weights: np.ndarray) -> float:
    """``delta`` for a graph's edge costs: the cheapest positive edge, but at least the median over
    :data:`BUCKETS_PER_MEDIAN_EDGE` (so a few near-zero edges do not make millions of empty buckets)."""
    positive = weights[weights > 0]
    if len(positive) == 0:
        return 1.0
    return float(max(positive.min(), np.median(positive) / BUCKETS_PER_MEDIAN_EDGE))


def costs_to_targets(
    graph: sparse.csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    limit: float = np.inf,
    lengths: np.ndarray | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Cheapest cost from each ``sources`` row to each ``targets`` row of ``graph`` (non-negative costs), shape
    (sources, targets), ``inf`` when unreachable or over ``limit``; with ``lengths`` (one value per stored entry of
    ``graph``, in its order) also the sum of lengths along each cheapest path. ``threads``: at most this many
    searches side by side (default: every CPU this process may use)."""
    indptr = np.asarray(graph.indptr, dtype=np.int64)
    indices = np.asarray(graph.indices, dtype=np.int32)
    weights = np.asarray(graph.data, dtype=np.float64)
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    delta = bucket_width(weights)
    slots = int(weights.max(initial=0.0) / delta) + 2  # a relaxed edge lands at most this many buckets ahead
    edge_lengths = np.zeros(0) if lengths is None else np.asarray(lengths, dtype=np.float64)
    out_cost = np.empty((len(sources), len(targets)))
    out_length = np.empty_like(out_cost) if lengths is not None else np.empty((len(sources), 0))
    workers = max(1, min(len(sources), threads or len(os.sched_getaffinity(0))))

    def run(share: slice) -> None:
        graph_arrays = (indptr, indices, weights, edge_lengths)
        _compiled_search_each(
            graph_arrays, sources[share], (float(limit), delta), slots, targets, (out_cost[share], out_length[share])
        )

    shares = [slice(worker, None, workers) for worker in range(workers)]
    if workers == 1:
        run(shares[0])
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, shares))
    return out_cost, (out_length if lengths is not None else None)


def load_compiled() -> None:
    """Make the compiled searches ready (read from numba's on-disk cache, or compiled once after an install):
    ~0.15 s once per process, paid when a router is made rather than by its first query."""
    costs_to_targets(sparse.csr_matrix((1, 1)), np.zeros(1, np.int64), np.zeros(1, np.int64))
