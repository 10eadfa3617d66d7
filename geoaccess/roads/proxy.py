"""The offline proxy road network: a calibrated stand-in until a real OSM extract is loaded.

No road network can be obtained offline, so the proxy is built from real
points that lie on roads or where people live: active NaPTAN stops (on bus
roads) and postcode centroids. Points are joined by the links of their Gabriel
graph (a pair is linked when no other point lies in the circle the pair spans:
a sparse, connected mesh linking each point to its natural neighbours),
keeping only links that stay on land (the coast-clipped LSOAs, so no link
crosses Morecambe Bay, the Duddon or the Solway) and that run through
settled country: every point along a link lies within ``CORRIDOR_M`` of some
stop or postcode, so no link strikes across the empty Lakeland fells or the
Pennines where no road runs. Parts left unconnected are
joined across their shortest gap if it is short (a bridge, e.g. to Walney
Island), else dropped.

Real roads form a hierarchy, so the proxy has one too: level 0 links every
point; levels 1-3 link thinned sets of bus stops (one per 2, 8 and 25 km grid
cell, stops lying on the roads buses use) by their own Gabriel graphs, standing
for the main roads, the A roads and the trunk roads. A link of level ``l`` and
straight length ``d`` is ``LEVEL_CIRCUITY[l] * d`` metres long and is driven at
its level's speed. The speeds are fitted to external car times by
:mod:`geoaccess.roads.calibration`; they are effective speeds of a model, not
road speeds, and every result on this network says it is modelled, how its
printed minutes are calibrated and the measured error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError, cKDTree

from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.router import WALK_KPH

STOP_TYPES = ("BCT", "BCS", "BCE", "TXR", "RSE")
"""NaPTAN stop types that sit on roads: street stops, bus-station bays and entrances, taxi ranks,
rail-station entrances (ferry and air stops are left out)."""
LAND_TOLERANCE_M = 50.0
"""How far a link may stray past the (10 m simplified) coastline: coast roads, harbour edges."""
JOIN_MAX_M = 10000.0
"""Longest land link added to join an otherwise unconnected part (a farm up a long track)."""
BRIDGE_MAX_M = 1500.0
"""Longest gap bridged to join an otherwise unconnected part (Walney Island's bridge is ~300 m)."""
LABEL_RADIUS_M = 2000.0
"""A point is labelled with the NaPTAN locality of the nearest stop within this distance."""
CORRIDOR_M = 1500.0
"""Farthest a point along a link may lie from any stop or postcode (roads pass houses and stops)."""
CORRIDOR_STEP_M = 500.0
"""Spacing of the points checked along a link."""
LEVEL_CIRCUITY = (1.15, 1.10, 1.05, 1.05)
"""Road length per straight-line metre of a link of levels 0-3 (streets between neighbouring points, main
roads on ~2 km links, A roads on ~8 km links, trunk roads on ~25 km links): longer links stand for straighter
roads. A route's km over the straight line is this times the zigzag of its links through the Gabriel graph
(about 1.15-1.3) plus the access legs; the values are set so that the median route on the reference's pairs is
1.25-1.35 times the straight line for trips over 10 km (published UK road circuity is ~1.2-1.35; Cumbria's
bays and fells push its 25-50 km band to ~1.45) and ~1.3 below 10 km. Times cannot tell circuity from speed
(the fit sees only their ratio), so these stated assumptions set the reported distances only."""
LEVEL_CELLS_M = (2000.0, 8000.0, 25000.0)
"""Grid cell of the thinned stops of levels 1, 2 and 3 (level 0 links every point)."""


@dataclass(frozen=True)
class ProxyParameters:
    """Each level's circuity (stated, :data:`LEVEL_CIRCUITY`) and link speed (fitted by calibration)."""

    circuity: tuple[float, ...]
    level_kph: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for provenance."""
        return {"circuity": list(self.circuity), "level_kph": [round(v, 3) for v in self.level_kph]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProxyParameters:
        """From :meth:`to_dict`'s form."""
        return cls(
            circuity=tuple(float(v) for v in data["circuity"]), level_kph=tuple(float(v) for v in data["level_kph"])
        )


@dataclass(frozen=True)
class ProxyLinks:
    """The proxy's points and undirected links, before speeds are applied."""

    points: pd.DataFrame  # node_id, x, y, label, kind
    pairs: pd.DataFrame  # a, b (row indices), straight_m, level, bridge
    dropped_points: int  # on land but in a part too far from the rest to join
    outside_points: int  # outside the land mask (beyond the pack's area)


def proxy_points(stops: pd.DataFrame, postcodes: pd.DataFrame) -> pd.DataFrame:
    """Road-side stops and postcode centroids, labelled with the nearest stop's locality."""
    on_road = stops[stops["stop_type"].isin(STOP_TYPES)]
    points = pd.concat(
        [
            pd.DataFrame({"x": on_road["lon"], "y": on_road["lat"], "kind": "stop"}),
            pd.DataFrame({"x": postcodes["lon"], "y": postcodes["lat"], "kind": "postcode"}),
        ],
        ignore_index=True,
    )
    points = points.drop_duplicates(["x", "y"]).reset_index(drop=True)
    stop_xy = _bng(on_road["lon"].to_numpy(), on_road["lat"].to_numpy())
    gap, nearest = cKDTree(stop_xy).query(_bng(points["x"].to_numpy(), points["y"].to_numpy()))
    localities = on_road["locality"].to_numpy()[nearest]
    points["label"] = np.where(gap <= LABEL_RADIUS_M, localities, None)
    return points


def proxy_links(points: pd.DataFrame, land: shapely.Geometry) -> ProxyLinks:
    """The levelled links of the proxy, on land and joined into one connected network.

    ``land`` is the land mask in British National Grid.
    """
    area = shapely.buffer(land, LAND_TOLERANCE_M)
    shapely.prepare(area)
    xy = _bng(points["x"].to_numpy(), points["y"].to_numpy())
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    points, xy = points[inside].reset_index(drop=True), xy[inside]
    tree = cKDTree(xy)
    pairs = _gabriel_pairs(xy, np.arange(len(xy)))
    pairs = pairs[_on_land(xy, pairs, area) & _in_corridor(xy, pairs, tree)]
    pairs, bridges = _join_parts(xy, pairs, area)
    keep = _largest_part(len(xy), pairs)
    levels = [pairs]
    stops = np.flatnonzero(keep & (points["kind"] == "stop").to_numpy())
    for cell in LEVEL_CELLS_M:
        upper = _gabriel_pairs(xy, _thinned(xy, stops, cell))
        levels.append(upper[_on_land(xy, upper, area) & _in_corridor(xy, upper, tree)])
    renumber = np.cumsum(keep) - 1
    frames = []
    for level, found in enumerate(levels):
        found = found[keep[found[:, 0]] & keep[found[:, 1]]]
        frames.append(
            pd.DataFrame(
                {
                    "a": renumber[found[:, 0]],
                    "b": renumber[found[:, 1]],
                    "straight_m": np.hypot(*(xy[found[:, 0]] - xy[found[:, 1]]).T),
                    "level": np.int8(level),
                    "bridge": np.isin(found[:, 0] * len(xy) + found[:, 1], bridges) if level == 0 else False,
                }
            )
        )
    kept = points[keep].reset_index(drop=True)
    kept.insert(0, "node_id", np.arange(len(kept), dtype=np.int64))
    return ProxyLinks(
        points=kept,
        pairs=pd.concat(frames, ignore_index=True),
        dropped_points=int((~keep).sum()),
        outside_points=int((~inside).sum()),
    )


def proxy_network(links: ProxyLinks, params: ProxyParameters, mode: str, provenance: dict[str, Any]) -> RoadNetwork:
    """The proxy as a drive or walk :class:`RoadNetwork` (links usable both ways).

    Walking uses every link at the walking speed.
    """
    straight = links.pairs["straight_m"].to_numpy()
    level = links.pairs["level"].to_numpy()
    length = straight * np.asarray(params.circuity)[level]
    if mode == "drive":
        speed = np.asarray(params.level_kph)[level]
    else:
        speed = np.full(len(straight), WALK_KPH)
    one_way = pd.DataFrame(
        {
            "u": links.pairs["a"].to_numpy(np.int64),
            "v": links.pairs["b"].to_numpy(np.int64),
            "length": length,
            "speed_kph": speed,
            "travel_time": length / (speed / 3.6),
            "label": np.where(links.pairs["bridge"], "link assumed across water", np.array(None)),  # object array
        }
    )
    both = pd.concat([one_way, one_way.rename(columns={"u": "v", "v": "u"})], ignore_index=True)
    nodes = links.points[["node_id", "x", "y", "label"]]
    return RoadNetwork(mode=mode, nodes=nodes, edges=both, provenance=provenance)


def _bng(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    east, north = transformer(WGS84, BNG).transform(lon, lat)
    return np.column_stack([east, north])


def _gabriel_pairs(xy: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Gabriel graph of the points ``members`` (rows of ``xy``), as sorted (a, b) rows of ``xy``.

    A Delaunay edge is kept when its diametral circle holds no other member.
    """
    sub = xy[members]
    if len(sub) < 2:
        return np.empty((0, 2), dtype=np.int64)
    try:
        triangles = Delaunay(sub).simplices
    except QhullError:  # fewer than three points, or all in a line: link them in order along it
        order = np.argsort((sub - sub.mean(axis=0)) @ np.linalg.svd(sub - sub.mean(axis=0))[2][0])
        return np.sort(members[np.column_stack([order[:-1], order[1:]])], axis=1)
    edges = np.vstack([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    middle = (sub[edges[:, 0]] + sub[edges[:, 1]]) / 2
    radius = np.hypot(*(sub[edges[:, 0]] - sub[edges[:, 1]]).T) / 2
    nearest, _ = cKDTree(sub).query(middle)  # the ends lie at `radius`; a point inside is closer
    edges = edges[nearest >= radius * (1 - 1e-9)]
    return np.sort(members[edges], axis=1)


def _thinned(xy: np.ndarray, candidates: np.ndarray, cell_m: float) -> np.ndarray:
    """The candidate nearest the centre of each grid cell that holds any (sorted rows of ``xy``)."""
    cells = np.floor(xy[candidates] / cell_m)
    offset = np.hypot(*(xy[candidates] - (cells + 0.5) * cell_m).T)
    frame = pd.DataFrame({"row": candidates, "cx": cells[:, 0], "cy": cells[:, 1], "offset": offset})
    best = frame.sort_values(["offset", "row"]).drop_duplicates(["cx", "cy"])
    return np.sort(best["row"].to_numpy())


def _on_land(xy: np.ndarray, pairs: np.ndarray, area: shapely.Geometry) -> np.ndarray:
    """Which straight links lie within ``area`` (the land, widened by the tolerance)."""
    lines = shapely.linestrings(np.stack([xy[pairs[:, 0]], xy[pairs[:, 1]]], axis=1))
    covered: np.ndarray = shapely.covered_by(lines, area)
    return covered


def _in_corridor(xy: np.ndarray, pairs: np.ndarray, tree: cKDTree) -> np.ndarray:
    """Which links have every checked point along them within ``CORRIDOR_M`` of a proxy point."""
    length = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    steps = np.floor(length / CORRIDOR_STEP_M).astype(int)
    ok = np.ones(len(pairs), dtype=bool)
    long = np.flatnonzero(steps > 0)
    if long.size == 0:
        return ok
    link = np.repeat(long, steps[long])
    first = np.repeat(np.cumsum(steps[long]) - steps[long], steps[long])
    fraction = (np.arange(len(link)) - first + 1) / (steps[link] + 1)
    samples = xy[pairs[link, 0]] + (xy[pairs[link, 1]] - xy[pairs[link, 0]]) * fraction[:, None]
    gap, _ = tree.query(samples, distance_upper_bound=CORRIDOR_M)
    far = np.isinf(gap)
    ok[np.unique(link[far])] = False
    return ok


def _join_parts(xy: np.ndarray, pairs: np.ndarray, area: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Join each unconnected part to its nearest other part: by land if the link stays on
    land (within ``JOIN_MAX_M``), else by a bridge if the gap is short.

    Returns the links with joins added, and the bridges' ``a * n + b`` keys.
    """
    n = len(xy)
    bridges: list[tuple[int, int]] = []
    joins: list[tuple[int, int]] = []
    for _ in range(50):  # each round joins every part to its nearest neighbour part
        count, label = connected_components(_adjacency(n, pairs), directed=False)
        if count == 1:
            break
        sizes = np.bincount(label)
        added = False
        for part in np.argsort(sizes)[:-1]:
            members = np.flatnonzero(label == part)
            gap, member, point = _nearest_outside(xy, members, np.flatnonzero(label != part))
            link = (min(member, point), max(member, point))
            if gap <= JOIN_MAX_M and _on_land(xy, np.asarray([link]), area)[0]:
                joins.append(link)
            elif gap <= BRIDGE_MAX_M:
                bridges.append(link)
            else:
                continue
            added = True
        if not added:
            break
        pairs = np.unique(np.vstack([pairs, np.asarray(joins + bridges).reshape(-1, 2)]), axis=0)
    keys = np.asarray([a * n + b for a, b in bridges], dtype=np.int64)
    return pairs, keys


def _nearest_outside(xy: np.ndarray, members: np.ndarray, outside: np.ndarray) -> tuple[float, int, int]:
    """Shortest gap from a part's members to the points ``outside`` it: (metres, member, point)."""
    gaps, nearest = cKDTree(xy[outside]).query(xy[members])
    best = int(np.argmin(gaps))
    return float(gaps[best]), int(members[best]), int(outside[nearest[best]])


def _adjacency(n: int, pairs: np.ndarray) -> sparse.csr_matrix:
    ones = np.ones(len(pairs))
    return sparse.csr_matrix((ones, (pairs[:, 0], pairs[:, 1])), shape=(n, n))


def _largest_part(n: int, pairs: np.ndarray) -> np.ndarray:
    """Mask of the points in the largest connected part."""
    _, label = connected_components(_adjacency(n, pairs), directed=False)
    largest: np.ndarray = label == np.bincount(label).argmax()
    return largest
