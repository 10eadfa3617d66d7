"""Routing on arrays: snapping, one-to-many and many-to-many travel times, paths.

The network becomes a CSR matrix; matrices come from the compiled bucket searches of
:mod:`geoaccess.roads.search` (on every core), a single route from scipy's Dijkstra, never
a networkx loop. A place off the network is snapped to its
nearest node through a k-d tree, and the leg from the true point to that node
is charged, so a farm 2 km up a track is not 0 minutes from the road.
Unreachable pairs come back as ``inf`` (``None`` in JSON), never 0. Distances are
measured in the network's own projection (BNG in Great Britain, else its UTM
zone), and :meth:`Router.check_covers` refuses a place too far from the network.

Times are the network's printed estimate: on a car network with a fitted calibration
(:attr:`RoadNetwork.time_calibration`, design "folded": the relation lives in the network's metadata)
every routed time is ``scale x routed + allowance``, the door-to-door figure
the calibration measured; the routed seconds are kept beside it (``routed_seconds``). Walk
networks and uncalibrated networks print their routed seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geoaccess.defaults import NETWORK_COVERAGE_M, PROXY_COVERAGE_M, STRAIGHT_WALK_DETOUR
from geoaccess.errors import BadInput, NoRoute, NotCovered
from geoaccess.geometry import WGS84, haversine_m, metric_crs_for, transformer
from geoaccess.roads.network import RoadNetwork, TimeCalibration
from geoaccess.roads.search import SearchGraph, costs_to_targets, load_compiled

ACCESS_CIRCUITY = 1.3
"""Ratio of the real to the straight-line distance of the leg from a place to the network."""
WALK_KPH = 4.8
"""Walking speed, on the network and on access legs."""
CAR_ACCESS_KPH = 18.3
"""Speed of the car's leg from a place to the network (DfT JTS local-street speed)."""


@dataclass(frozen=True)
class Snap:
    """Where places join the network: node row index, straight-line gap (m), leg time (s)."""

    node: np.ndarray
    gap_m: np.ndarray
    access_s: np.ndarray


@dataclass(frozen=True)
class Route:
    """One fastest route between two places: ``seconds`` as printed, ``routed_seconds`` before calibration."""

    seconds: float
    routed_seconds: float
    metres: float
    access_s: float
    egress_s: float
    node_path: list[int]
    via: list[str]

    @property
    def minutes(self) -> float:
        """Door-to-door minutes."""
        return self.seconds / 60.0


@dataclass(frozen=True)
class Matrix:
    """Door-to-door seconds (as printed) and metres, shape (origins, destinations); ``inf`` = unreachable.

    ``routed_seconds`` are the seconds before the network's calibration (``None``: the same as ``seconds``).
    """

    seconds: np.ndarray
    metres: np.ndarray | None
    routed_seconds: np.ndarray | None = None

    @property
    def routed(self) -> np.ndarray:
        """Seconds as routed, before any calibration."""
        return self.seconds if self.routed_seconds is None else self.routed_seconds


class Router:
    """Fastest routes on one :class:`RoadNetwork` (times in seconds, distances in metres); times as printed
    (calibrated where the network has a :class:`TimeCalibration`)."""

    def __init__(self, network: RoadNetwork) -> None:
        self.network = network
        self.calibration: TimeCalibration | None = network.time_calibration
        self.times = network.csr("travel_time")
        self.times.sort_indices()
        self.times_reversed = self.times.T.tocsr()
        self._edge_keys, self._edge_lengths = _edge_lookup(network, self.times.shape[0])
        access_kph = WALK_KPH if network.mode == "walk" else CAR_ACCESS_KPH
        self.access_mps = access_kph / 3.6
        load_compiled()

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(self.network.xy_metric, balanced_tree=False, compact_nodes=False)  # 3x quicker to build

    # --- snapping ---------------------------------------------------------------------------

    def snap(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Snap:
        """Nearest node of each WGS84 point and the time charged to reach it."""
        lon, lat = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        if bad.any():
            raise BadInput(
                f"position {int(np.flatnonzero(bad)[0]) + 1} has a missing or non-numeric longitude/latitude"
            )
        east, north = transformer(WGS84, self.network.crs).transform(lon, lat)
        gap, node = self._tree.query(np.column_stack([east, north]))
        node = np.minimum(node, len(self.network.nodes) - 1)  # a point the projection cannot place: gap inf
        access = gap * ACCESS_CIRCUITY / self.access_mps
        return Snap(node=np.asarray(node), gap_m=np.asarray(gap), access_s=np.asarray(access))

    @property
    def coverage_m(self) -> float:
        """Farthest a place may be from the nearest node: the pack's proxy covers the pack's land, whose
        farthest point is ~10 km from a node; any other network covers places near its roads."""
        return PROXY_COVERAGE_M if self.network.provenance.get("network") == "proxy" else NETWORK_COVERAGE_M

    def reaches(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray:
        """Which WGS84 points are within :attr:`coverage_m` of the node they snap to, in true (great-circle)
        metres, not projected ones (a place may be far outside the network's projection)."""
        lon, lat = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
        snap = self.snap(lon, lat)
        x, y = self.network.nodes["x"].to_numpy(dtype=float), self.network.nodes["y"].to_numpy(dtype=float)
        within: np.ndarray = np.isfinite(snap.gap_m) & (
            haversine_m(lon, lat, x[snap.node], y[snap.node]) <= self.coverage_m
        )
        return within

    def check_covers(self, ends: Mapping[str, tuple[float, float]]) -> None:
        """:class:`NotCovered` for the first end (name -> (lon, lat)) the network does not :meth:`reach <reaches>`,
        giving the distance to its nearest node (never the position)."""
        nodes = self.network.nodes
        for name, (lon, lat) in ends.items():
            if not self.reaches(lon, lat)[0]:
                km = float(haversine_m(lon, lat, nodes["x"].to_numpy(), nodes["y"].to_numpy()).min()) / 1000.0
                west, south = nodes[["x", "y"]].min()
                east, north = nodes[["x", "y"]].max()
                raise NotCovered(
                    f"no road of this {'car' if self.network.mode == 'drive' else 'walk'} network within "
                    f"{self.coverage_m / 1000:g} km of the {name}: the nearest is {km:.1f} km away (the network "
                    f"covers latitude {south:.2f} to {north:.2f}, longitude {west:.2f} to {east:.2f})"
                )

    # --- queries ----------------------------------------------------------------------------

    def one_to_many(
        self,
        origin: tuple[float, float],
        destinations: np.ndarray,
        cutoff_s: float | None = None,
        with_metres: bool = False,
    ) -> Matrix:
        """Door-to-door times from one (lon, lat) to each of ``destinations`` (n, 2)."""
        return self.many_to_many(np.asarray([origin]), destinations, cutoff_s, with_metres)

    def many_to_many(
        self, origins: np.ndarray, destinations: np.ndarray, cutoff_s: float | None = None, with_metres: bool = False
    ) -> Matrix:
        """Door-to-door times as printed (and optionally path metres) between (lon, lat) arrays, with the routed
        times beside them; ``cutoff_s`` applies to the printed times.

        Runs one search per destination on the reversed graph when there are fewer
        destinations than origins, else one per origin; pairs beyond ``cutoff_s``
        or with no route are ``inf``.
        """
        origins, destinations = np.atleast_2d(origins), np.atleast_2d(destinations)
        start = self.snap(origins[:, 0], origins[:, 1])
        end = self.snap(destinations[:, 0], destinations[:, 1])
        reverse = len(destinations) < len(origins)
        sources, targets = (end, start) if reverse else (start, end)
        search_graph = self._search_reversed if reverse else self._search_forward
        limit = np.inf if cutoff_s is None else float(cutoff_s)
        routed_limit = limit if self.calibration is None else self.calibration.routed_limit_s(limit)
        unique_sources, source_row = np.unique(sources.node, return_inverse=True)
        lengths = (self._entry_lengths_reversed if reverse else self._entry_lengths) if with_metres else None
        network_s, along = costs_to_targets(search_graph, unique_sources, targets.node, routed_limit, lengths)
        network_s = network_s[source_row]
        metres = None
        if along is not None:  # with_metres
            gaps = sources.gap_m[:, None] + targets.gap_m[None, :]
            metres = along[source_row] + gaps * ACCESS_CIRCUITY
        routed = network_s + sources.access_s[:, None] + targets.access_s[None, :]
        if reverse:
            routed, metres = routed.T, (None if metres is None else metres.T)
        routed = np.where(routed <= routed_limit, routed, np.inf)
        seconds = self._printed(routed)
        seconds = np.where(seconds <= limit, seconds, np.inf)
        if metres is not None:
            metres = np.where(np.isfinite(seconds), metres, np.inf)
        return Matrix(seconds=seconds, metres=metres, routed_seconds=np.where(np.isfinite(seconds), routed, np.inf))

    def route(self, origin: tuple[float, float], destination: tuple[float, float]) -> Route:
        """The fastest route between two (lon, lat) places, with its node path and the places passed."""
        start = self.snap([origin[0]], [origin[1]])
        end = self.snap([destination[0]], [destination[1]])
        source, target = int(start.node[0]), int(end.node[0])
        dist, pred = dijkstra(self.times, indices=source, return_predecessors=True)
        if not np.isfinite(dist[target]):
            raise NoRoute(
                f"no {self.network.mode} route: the two places are on parts of the network that do not connect"
            )
        path = [target]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        path.reverse()
        nodes = np.asarray(path)
        metres = float(self._lengths(nodes[:-1], nodes[1:]).sum())
        metres += float(start.gap_m[0] + end.gap_m[0]) * ACCESS_CIRCUITY
        routed = float(dist[target] + start.access_s[0] + end.access_s[0])
        return Route(
            seconds=float(self._printed(np.asarray(routed))),
            routed_seconds=routed,
            metres=metres,
            access_s=float(start.access_s[0]),
            egress_s=float(end.access_s[0]),
            node_path=path,
            via=self._via(nodes),
        )

    # --- helpers ----------------------------------------------------------------------------

    def _printed(self, routed_s: np.ndarray) -> np.ndarray:
        """The seconds printed for routed ones: the network's calibration applied, if it has one."""
        return routed_s if self.calibration is None else self.calibration.printed_s(routed_s)

    def _lengths(self, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """Length (m) of each edge tail -> head (``nan`` where there is no such edge)."""
        keys = tails.astype(np.int64) * self.times.shape[0] + heads
        positions = np.minimum(np.searchsorted(self._edge_keys, keys), len(self._edge_keys) - 1)
        found = self._edge_keys[positions] == keys
        return np.where(found, self._edge_lengths[positions], np.nan)

    @cached_property
    def _search_forward(self) -> SearchGraph:
        return SearchGraph.of(self.times)

    @cached_property
    def _search_reversed(self) -> SearchGraph:
        return SearchGraph.of(self.times_reversed)

    @cached_property
    def _entry_lengths(self) -> np.ndarray:
        """Length (m) of the edge behind each stored entry of :attr:`times`, in the CSR's order."""
        tails = np.repeat(np.arange(self.times.shape[0]), np.diff(self.times.indptr))
        return self._lengths(tails, self.times.indices)

    @cached_property
    def _entry_lengths_reversed(self) -> np.ndarray:
        """Length (m) of the edge behind each stored entry of :attr:`times_reversed`, in its CSR's order."""
        heads = np.repeat(np.arange(self.times.shape[0]), np.diff(self.times_reversed.indptr))
        return self._lengths(self.times_reversed.indices, heads)

    def _via(self, nodes: np.ndarray) -> list[str]:
        """Distinct names along a node path, in order: each edge's road name, else its head's place."""
        names = np.full(len(nodes) - 1, None, dtype=object)
        node_labels = self.network.nodes.get("label")
        if node_labels is not None:
            names[:] = node_labels.to_numpy()[nodes[1:]]
        edge_labels = self.network.edges.get("label")
        if edge_labels is not None:
            keys = nodes[:-1].astype(np.int64) * self.times.shape[0] + nodes[1:]
            on_edge = edge_labels.to_numpy()[self._edge_order[np.searchsorted(self._edge_keys, keys)]]
            names = np.where([isinstance(n, str) and n != "" for n in on_edge], on_edge, names)
        via: list[str] = []
        for name in names:
            if isinstance(name, str) and name and name not in via[-3:]:
                via.append(name)
        return via

    @cached_property
    def _edge_order(self) -> np.ndarray:
        rows, cols = self.network.edge_index
        return np.argsort(rows.astype(np.int64) * self.times.shape[0] + cols, kind="stable")


def _edge_lookup(network: RoadNetwork, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``tail * size + head`` keys of every edge and the edge lengths in that order."""
    rows, cols = network.edge_index
    keys = rows.astype(np.int64) * size + cols
    order = np.argsort(keys, kind="stable")
    lengths = network.edges["length"].to_numpy(dtype=float)[order]
    return keys[order], lengths


class StraightLineWalker(Router):
    """Walks as straight lines times a stated detour factor, at walking speed: for a timetable whose area no
    walk network covers. It has no network, so it answers :meth:`many_to_many` (all a planner asks of its
    walker) and says what it is in :attr:`provenance`."""

    def __init__(self, area: np.ndarray, detour: float = STRAIGHT_WALK_DETOUR) -> None:
        """``area``: (lon, lat) positions (a timetable's stops) choosing the projection distances are measured in."""
        self.detour = detour
        self.crs = metric_crs_for(area)
        self.access_mps = WALK_KPH / 3.6
        self.provenance: dict[str, Any] = {
            "network": "straight line",
            "mode": "walk",
            "modelled": True,
            "detour_factor": detour,
            "walk_kph": WALK_KPH,
            "note": f"no walk network covers the timetable's area: walks are straight lines x {detour:g} "
            f"at {WALK_KPH:g} km/h (give a walk network with --network)",
        }

    def many_to_many(
        self, origins: np.ndarray, destinations: np.ndarray, cutoff_s: float | None = None, with_metres: bool = False
    ) -> Matrix:
        """Straight-line walking seconds (and metres, detour included) between (lon, lat) arrays."""
        project = transformer(WGS84, self.crs).transform
        (ox, oy), (dx, dy) = (project(*np.atleast_2d(points).T) for points in (origins, destinations))
        metres = np.hypot(np.subtract.outer(ox, dx), np.subtract.outer(oy, dy)) * self.detour
        seconds = metres / self.access_mps
        seconds = np.where(seconds <= (np.inf if cutoff_s is None else cutoff_s), seconds, np.inf)
        return Matrix(
            seconds=seconds,
            metres=np.where(np.isfinite(seconds), metres, np.inf) if with_metres else None,
            routed_seconds=seconds,
        )
