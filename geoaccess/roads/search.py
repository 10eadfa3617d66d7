"""Many shortest-path searches at once, compiled: costs from each source to a few target nodes of a CSR graph.

scipy's ``dijkstra`` (a Fibonacci heap, holding the GIL) takes ~140 ms per
search on a million-node road network and returns whole rows. Here each search
keeps its open nodes in buckets of width ``delta`` of tentative cost, scanned in
order (Delta-stepping, run one search per thread): it is exact for any
``delta`` > 0, because a node improved while its own bucket is scanned is
queued and scanned again. Each open node sits in exactly one bucket (a doubly
linked list per bucket), so a search needs a fixed amount of memory. A search
stops once every target is settled (or the limit is passed), only the targets'
costs are kept, and the compiled loop releases the GIL, so searches run side by
side on one shared pool of a thread per CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import cast

import numpy as np
from numba import njit
from scipy import sparse

BUCKETS_PER_MEDIAN_EDGE = 8
"""``delta`` is the cheapest edge, but no less than the median edge over this (few buckets scanned empty)..."""
MOST_SLOTS = 1 << 16
"""... and no less than the dearest edge over this (the ring of buckets stays small whatever the costs)."""


def available_cpus() -> int:
    """CPUs this process may run on (its affinity where the system says, else every CPU)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@cache
def _pool(process: int) -> ThreadPoolExecutor:
    """One pool per process for every caller: concurrent requests share the CPUs (and their scratch memory)
    instead of each starting a thread per CPU; a forked child (``process``: its id) makes its own."""
    return ThreadPoolExecutor(max_workers=available_cpus(), thread_name_prefix="geoaccess-search")


@dataclass(frozen=True)
class SearchGraph:
    """A CSR graph checked and laid out once for the compiled searches: non-negative finite costs,
    ``indptr`` int64, ``indices`` int32, costs float64, and the bucket width and ring size they call for."""

    indptr: np.ndarray
    indices: np.ndarray
    costs: np.ndarray
    delta: float
    slots: int

    @classmethod
    def of(cls, graph: sparse.csr_matrix) -> SearchGraph:
        """The search layout of ``graph``; ``ValueError`` for a cost that is negative, NaN or infinite, or a
        graph too large for 32-bit node numbers."""
        costs = np.ascontiguousarray(graph.data, dtype=np.float64)
        if not np.isfinite(costs).all() or (costs < 0).any():
            raise ValueError("edge costs must be finite and not negative")
        if graph.shape[0] >= 1 << 31 or len(costs) >= 1 << 31:
            raise ValueError(f"a graph of {graph.shape[0]:,} nodes and {len(costs):,} edges is too large to search")
        dearest = float(costs.max(initial=0.0))
        positive = costs[costs > 0]
        delta = float(
            max(
                positive.min() if len(positive) else 1.0,
                np.median(positive) / BUCKETS_PER_MEDIAN_EDGE if len(positive) else 1.0,
                dearest / MOST_SLOTS,
            )
        )
        return cls(
            indptr=np.ascontiguousarray(graph.indptr, dtype=np.int64),
            indices=np.ascontiguousarray(graph.indices, dtype=np.int32),
            costs=costs,
            delta=delta,
            slots=int(dearest / delta) + 2,  # a relaxed edge lands at most this many buckets ahead
        )

    @property
    def size(self) -> int:
        """Number of nodes."""
        return len(self.indptr) - 1


Graph = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""CSR ``indptr`` (int64), ``indices`` (int32), edge costs and edge lengths (float64; lengths empty: not wanted)."""
Scratch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""A search's working arrays: per node its cost, length along, whether it is queued and whether it was scanned,
and its neighbours in its bucket's list (next, previous); per bucket its list's first node."""


def _search(
    graph: Graph,
    source: int,
    bounds: tuple[float, int],
    targets: tuple[np.ndarray, np.ndarray, int],
    out: tuple[np.ndarray, np.ndarray],
    scratch: Scratch,
) -> None:
    """One search from ``source`` within ``bounds`` (bucket width, last bucket to scan): the cost of each of
    ``targets`` (rows, a mask of them, how many distinct), and the length along its cheapest path when the graph
    has lengths, into ``out`` (costs, lengths; ``inf`` beyond the last bucket or unreached)."""
    indptr, indices, weights, lengths = graph
    delta, last_bucket = bounds
    target_rows, is_target, target_count = targets
    out_cost, out_length = out
    cost, along, queued, scanned, next_node, previous_node, heads = scratch
    with_lengths = len(lengths) > 0
    slots = len(heads)
    cost[:] = np.inf
    queued[:] = False
    scanned[:] = False
    heads[:] = -1
    cost[source] = 0.0
    along[source] = 0.0
    next_node[source] = -1
    previous_node[source] = -1
    heads[0] = source
    queued[source] = True
    waiting = 1
    unsettled = target_count  # distinct targets not yet settled
    bucket = 0
    while waiting > 0 and unsettled > 0 and bucket <= last_bucket:
        slot = bucket % slots
        while heads[slot] != -1:
            node = heads[slot]
            heads[slot] = next_node[node]
            if next_node[node] != -1:
                previous_node[next_node[node]] = -1
            queued[node] = False
            waiting -= 1
            if not scanned[node] and is_target[node]:
                unsettled -= 1  # final once this bucket is scanned
            scanned[node] = True
            here = cost[node]
            for edge in range(indptr[node], indptr[node + 1]):
                head = indices[edge]
                reached = here + weights[edge]
                if reached < cost[head]:
                    if queued[head]:  # take it out of the bucket its old cost put it in
                        before, after = previous_node[head], next_node[head]
                        if before == -1:
                            heads[int(cost[head] / delta) % slots] = after
                        else:
                            next_node[before] = after
                        if after != -1:
                            previous_node[after] = before
                    else:
                        queued[head] = True
                        waiting += 1
                    cost[head] = reached
                    if with_lengths:
                        along[head] = along[node] + lengths[edge]
                    head_slot = int(reached / delta) % slots
                    next_node[head] = heads[head_slot]
                    previous_node[head] = -1
                    if heads[head_slot] != -1:
                        previous_node[heads[head_slot]] = head
                    heads[head_slot] = head
        bucket += 1
    for column in range(len(target_rows)):
        row = target_rows[column]
        reached_row = scanned[row] and int(cost[row] / delta) <= last_bucket
        out_cost[column] = cost[row] if reached_row else np.inf
        if with_lengths:
            out_length[column] = along[row] if reached_row else np.inf


def _search_each(
    graph: Graph,
    sources: np.ndarray,
    bounds: tuple[float, int],
    slots: int,
    targets: np.ndarray,
    out: tuple[np.ndarray, np.ndarray],
) -> None:
    """:func:`_search` from each of ``sources`` in turn into its row of ``out`` (costs, lengths), with ``slots``
    buckets, reusing one set of scratch arrays."""
    size = len(graph[0]) - 1
    is_target = np.zeros(size, np.bool_)
    for target in targets:
        is_target[target] = True
    target_count = int(is_target.sum())
    scratch = (
        np.empty(size),
        np.empty(size),
        np.empty(size, np.bool_),
        np.empty(size, np.bool_),
        np.empty(size, np.int32),
        np.empty(size, np.int32),
        np.empty(slots, np.int32),
    )
    out_cost, out_length = out
    for row in range(len(sources)):
        _compiled_search(
            graph, sources[row], bounds, (targets, is_target, target_count), (out_cost[row], out_length[row]), scratch
        )


_compiled_search = cast(Callable[..., None], njit(cache=True, nogil=True)(_search))
_compiled_search_each = cast(Callable[..., None], njit(cache=True, nogil=True)(_search_each))


def costs_to_targets(
    graph: SearchGraph,
    sources: np.ndarray,
    targets: np.ndarray,
    limit: float = np.inf,
    lengths: np.ndarray | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Cheapest cost from each ``sources`` node to each ``targets`` node of ``graph``, shape (sources, targets),
    ``inf`` when unreachable or over ``limit``; with ``lengths`` (one value per edge, in the CSR's order) also the
    sum of lengths along each cheapest path. ``threads``: at most this many searches side by side (default: a
    thread per CPU this process may use, shared with every other caller)."""
    sources = np.ascontiguousarray(sources, dtype=np.int64)
    targets = np.ascontiguousarray(targets, dtype=np.int64)
    for name, rows in (("source", sources), ("target", targets)):
        if len(rows) and (rows.min() < 0 or rows.max() >= graph.size):
            raise IndexError(f"a {name} node is not a node of this {graph.size:,}-node graph")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be 1 or more, not {threads}")
    edge_lengths = np.zeros(0) if lengths is None else np.ascontiguousarray(lengths, dtype=np.float64)
    if lengths is not None and len(edge_lengths) != len(graph.costs):
        raise ValueError(f"{len(edge_lengths):,} lengths for {len(graph.costs):,} edges")
    arrays = (graph.indptr, graph.indices, graph.costs, edge_lengths)
    last_bucket = int(min(limit / graph.delta, float(1 << 62)))  # costs never reach 2**62 buckets (see SearchGraph)
    bounds = (graph.delta, last_bucket)
    workers = max(1, min(len(sources), threads or available_cpus()))
    shares = [np.arange(worker, len(sources), workers) for worker in range(workers)]

    def run(share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cost = np.empty((len(share), len(targets)))
        along = np.empty((len(share), len(targets) if lengths is not None else 0))
        _compiled_search_each(arrays, sources[share], bounds, graph.slots, targets, (cost, along))
        return cost, along

    found = [run(shares[0])] if workers == 1 else list(_pool(os.getpid()).map(run, shares))
    out_cost = np.empty((len(sources), len(targets)))
    out_length = np.empty_like(out_cost) if lengths is not None else None
    for share, (cost, along) in zip(shares, found, strict=True):
        out_cost[share] = cost
        if out_length is not None:
            out_length[share] = along
    over = out_cost > limit  # the last bucket scanned may hold costs just over the limit
    out_cost[over] = np.inf
    if out_length is not None:
        out_length[over | np.isinf(out_cost)] = np.inf
    return out_cost, out_length


def load_compiled() -> None:
    """Make the compiled searches ready (read from numba's on-disk cache, or compiled once after an install):
    ~0.15 s once per process, paid when a router is made rather than by its first query (every call passes the
    same array types, so this one compiled version serves them all)."""
    costs_to_targets(SearchGraph.of(sparse.csr_matrix((1, 1))), np.zeros(1, np.int64), np.zeros(1, np.int64))
