"""Where a modelled bus runs: a path on the proxy road mesh between its towns, and the stops along it.

The path is the shortest over the proxy's level-0 mesh (:mod:`geoaccess.roads.proxy`: the Gabriel
graph of every active stop and postcode centroid), by length with links to postcode centroids made
dearer (:data:`OFF_STOP_FACTOR`), so it keeps to the settled corridor and hops from stop to stop through
each village, instead of taking the level 1-3 links that stand for faster roads between thinned stops.
The mesh is the proxy drive network built in the same build (:mod:`geoaccess.build.roads`).

A bus calls at every active NaPTAN bus stop within :data:`CALL_RADIUS_M` of its path, in path order,
except a stop whose NaPTAN bearing (its direction of travel) crosses the path: a stop on a side road.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geoaccess.analysis.stop_coverage import BUS_STOP_TYPES
from geoaccess.build.model_parts import bng
from geoaccess.roads.network import RoadNetwork

CALL_RADIUS_M = 100.0
"""Farthest a stop may lie from the bus's path and be called at. Measured on the X6: of the 134 stops of
the real 2016 timetable (all its patterns) in NaPTAN, 86 lie within 50 m of the modelled path (on it, or
across the road from a stop on it), none more within 100 m, 88 within 120 m and 95 within 150 m (stops
on streets the path does not take); 100 m keeps every near one and leaves parallel streets out."""
SNAP_M = 50.0
"""Farthest a town stop may lie from a mesh node for the bus to be routed from it (else, outside the
mesh, the bus runs straight to the next town without intermediate stops)."""
CROSSING_DEG = 75.0
"""A stop whose bearing differs from the path's heading (either way) by more than this faces across
the path: a side-road stop, not called at."""
HEADING_SPAN_M = 150.0
"""The path's heading at a stop is taken between the path points this far before and after it (the
mesh zig-zags between stops and postcode centroids, so single links point astray)."""
OFF_STOP_FACTOR = 3.0
"""Routing length per metre of a link, for each of its ends at a postcode centroid rather than a bus stop:
stops stand on the roads buses use, postcode centroids among the houses beside them."""
BEARING_DEG = {"N": 0, "NE": 45, "E": 90, "SE": 135, "S": 180, "SW": 225, "W": 270, "NW": 315}


@dataclass(frozen=True)
class Mesh:
    """The level-0 proxy mesh: node positions (BNG metres), routing costs and road seconds of its links."""

    xy: np.ndarray
    cost: sparse.csr_matrix
    seconds: sparse.csr_matrix
    tree: cKDTree


@dataclass(frozen=True)
class BusPath:
    """A bus path: its points (BNG metres) and the cumulative metres and road seconds along it."""

    xy: np.ndarray
    metres: np.ndarray
    seconds: np.ndarray


def bus_mesh(network: RoadNetwork, stops: pd.DataFrame) -> Mesh:
    """The level-0 mesh of a proxy drive network (the one built beside the timetable), with ``stops``' bus stops."""
    return level0_mesh(network, stops[stops["stop_type"].isin(BUS_STOP_TYPES)])


def level0_mesh(network: RoadNetwork, bus_stops: pd.DataFrame) -> Mesh:
    """The links of ``network`` that are Gabriel links of all its nodes (no node inside the circle they
    span): the proxy's level 0, whatever speeds the levels are given. A link's routing length is its
    length times :data:`OFF_STOP_FACTOR` for each end that is not at one of ``bus_stops``."""
    xy = network.xy_metric
    tails, heads = network.edge_index
    middle = (xy[tails] + xy[heads]) / 2
    radius = np.hypot(*(xy[tails] - xy[heads]).T) / 2
    tree = cKDTree(xy)
    inside = np.asarray(tree.query_ball_point(middle, radius * (1 - 1e-6), return_length=True))
    keep = inside == 0
    size = len(xy)
    at_stop = np.zeros(size, dtype=bool)
    gaps, nodes = tree.query(np.column_stack(bng(bus_stops)))
    at_stop[nodes[gaps < 1.0]] = True
    factor = OFF_STOP_FACTOR ** ((~at_stop[tails]).astype(int) + (~at_stop[heads]).astype(int))

    def matrix(values: np.ndarray) -> sparse.csr_matrix:
        values = np.where(values == 0, 1e-9, values)
        return sparse.csr_matrix((values, (tails[keep], heads[keep])), shape=(size, size))

    return Mesh(
        xy=xy,
        cost=matrix((network.edges["length"].to_numpy(float) * factor)[keep]),
        seconds=matrix(network.edges["travel_time"].to_numpy(float)[keep]),
        tree=tree,
    )


def mesh_path(mesh: Mesh, start: np.ndarray, end: np.ndarray) -> BusPath | None:
    """The cheapest path (see :func:`level0_mesh`) between the mesh nodes at ``start`` and ``end`` (BNG
    metres); ``None`` if either is over :data:`SNAP_M` from a node or no path joins them."""
    gaps, nodes = mesh.tree.query(np.vstack([start, end]))
    if (gaps > SNAP_M).any():
        return None
    source, target = int(nodes[0]), int(nodes[1])
    cost, previous = dijkstra(mesh.cost, indices=source, return_predecessors=True)
    if not np.isfinite(cost[target]):
        return None
    order = [target]
    while order[-1] != source:
        order.append(int(previous[order[-1]]))
    order.reverse()
    steps = np.asarray(mesh.seconds[order[:-1], order[1:]]).ravel()
    return BusPath(
        xy=mesh.xy[order],
        metres=np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(mesh.xy[order], axis=0).T))]),
        seconds=np.concatenate([[0.0], np.cumsum(steps)]),
    )


def stops_along(path: BusPath, stops: pd.DataFrame, radius_m: float = CALL_RADIUS_M) -> pd.DataFrame:
    """The bus stops of ``stops`` within ``radius_m`` of ``path`` and not facing across it, in path order,
    with ``gap_m`` (from the path), ``along_m`` and ``along_s`` (road seconds from the path's start)."""
    candidates = stops[stops["stop_type"].isin(BUS_STOP_TYPES)]
    easting, northing = bng(candidates)
    low, high = path.xy.min(axis=0) - radius_m, path.xy.max(axis=0) + radius_m
    box = (easting >= low[0]) & (easting <= high[0]) & (northing >= low[1]) & (northing <= high[1])
    candidates = candidates[box]
    points = np.column_stack([easting[box], northing[box]])
    gap, along = _project(path, points)
    near = gap <= radius_m
    found = candidates[near].assign(
        gap_m=gap[near],
        along_m=along[near],
        along_s=np.interp(along[near], path.metres, path.seconds),
    )
    heading = _heading(path, along[near])
    bearing = found["bearing"] if "bearing" in found else pd.Series("", index=found.index)
    facing = _faces_along(bearing.fillna("").to_numpy(str), heading)
    return found[facing].sort_values(["along_m", "atco"]).reset_index(drop=True)


def _project(path: BusPath, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's distance from the path and the path metres at its nearest point."""
    start, end = path.xy[:-1], path.xy[1:]
    direction = end - start
    length2 = np.maximum((direction**2).sum(axis=1), 1e-12)
    gap = np.full(len(points), np.inf)
    along = np.zeros(len(points))
    for index in range(len(start)):
        share = np.clip(((points - start[index]) @ direction[index]) / length2[index], 0.0, 1.0)
        nearest = start[index] + share[:, None] * direction[index]
        distance = np.hypot(*(points - nearest).T)
        closer = distance < gap
        gap[closer] = distance[closer]
        along[closer] = path.metres[index] + share[closer] * np.sqrt(length2[index])
    return gap, along


def _heading(path: BusPath, along: np.ndarray) -> np.ndarray:
    """The path's compass heading (degrees) at each ``along`` metre, over :data:`HEADING_SPAN_M` each way."""
    before = _position(path, along - HEADING_SPAN_M)
    after = _position(path, along + HEADING_SPAN_M)
    east, north = (after - before).T
    return np.asarray(np.degrees(np.arctan2(east, north)) % 360)


def _position(path: BusPath, along: np.ndarray) -> np.ndarray:
    """Path points (BNG metres) at ``along`` metres, clipped to the path's ends."""
    clipped = np.clip(along, 0.0, path.metres[-1])
    return np.column_stack(
        [np.interp(clipped, path.metres, path.xy[:, 0]), np.interp(clipped, path.metres, path.xy[:, 1])]
    )


def _faces_along(bearings: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """True where a stop's bearing is unknown or runs along the path (either way)."""
    degrees = np.array([BEARING_DEG.get(value, np.nan) for value in bearings], dtype=float)
    turn = np.abs((degrees - heading + 180) % 360 - 180)
    return np.asarray(np.isnan(degrees) | (np.minimum(turn, 180 - turn) <= CROSSING_DEG))
