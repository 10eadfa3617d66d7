"""A road network as arrays, with its provenance, saved as Parquet and loaded in a blink.

Every road network geoaccess routes on, whether built from OpenStreetMap or
the offline proxy, becomes a :class:`RoadNetwork`: node positions, directed
edges (cheapest of any parallel edges kept) and a provenance record saying
where it came from and whether it is modelled. It converts to and from an
osmnx-convention ``networkx.MultiDiGraph`` (node ``x``/``y``; edge ``length``
in metres, ``speed_kph``, ``travel_time`` in seconds), so every code path is
shared; routing itself runs on the CSR arrays (:mod:`geoaccess.roads.router`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from geoaccess._io import replace_folder, write_atomically
from geoaccess.errors import BadInput, DataPackError
from geoaccess.geometry import WGS84, metric_crs_for, transformer

MODES = ("drive", "walk")
FORMAT_VERSION = 1
META_NAME = "network.json"


@dataclass(frozen=True)
class TimeCalibration:
    """The fitted relation a car network's printed minutes follow: ``scale x routed + allowance``.

    A car network whose provenance carries a ``calibration`` with ``scale`` and ``allowance_min``
    (fitted by :mod:`geoaccess.roads.calibration` against an external reference) prints this
    door-to-door estimate, not the routed minutes: the router folds it into every time it gives.
    Any journey with routed time, however short (two homes at one postcode centroid still drive their
    access legs), gets the allowance; only a routed time of 0 prints 0.
    """

    scale: float
    allowance_min: float

    def printed_s(self, routed_s: np.ndarray) -> np.ndarray:
        """Printed seconds for routed ones (``inf`` stays ``inf``, 0 stays 0)."""
        printed: np.ndarray = np.where(routed_s > 0, self.scale * routed_s + 60.0 * self.allowance_min, 0.0)
        return printed

    def routed_limit_s(self, printed_limit_s: float) -> float:
        """The routed seconds within which a printed time can stay within ``printed_limit_s``."""
        return max(0.0, (printed_limit_s - 60.0 * self.allowance_min) / self.scale)

    def relation(self) -> str:
        """The relation in words, for provenance."""
        return f"printed minutes = {self.scale:g} x routed minutes + {self.allowance_min:g} min"


@dataclass
class RoadNetwork:
    """Nodes and directed edges of one mode's road network.

    ``nodes`` has ``node_id`` (int64), ``x`` (lon), ``y`` (lat) and optional
    ``label``; ``edges`` has ``u``, ``v`` (node ids), ``length`` (m),
    ``speed_kph``, ``travel_time`` (s) and optional ``label`` (road name or
    place). ``provenance`` says which network this is: ``network`` (``osm`` or
    ``proxy``), ``source``, ``date``, ``modelled`` and, for a car network fitted to a
    reference, its ``calibration``: the relation its printed minutes follow (``scale``,
    ``allowance_min``; see :attr:`time_calibration`), the reference, and the measured error of
    the printed minutes. ``report`` is how it was built (for an
    OSM network: the nodes each step dropped and the components kept), saved
    beside it in ``network.json`` as ``build_report``.
    """

    mode: str
    nodes: pd.DataFrame
    edges: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise BadInput(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.nodes.empty or self.edges.empty:
            raise BadInput(f"the {self.mode} network is empty: it has no roads to route on")
        for column in ("node_id", "x", "y"):
            if column not in self.nodes:
                raise BadInput(f"network nodes lack the {column!r} column")
        for column in ("u", "v", "length", "travel_time"):
            if column not in self.edges:
                raise BadInput(f"network edges lack the {column!r} column")
        for column in ("length", "travel_time"):
            values = self.edges[column].to_numpy(dtype=float)
            bad = ~np.isfinite(values) | (values < 0)
            if bad.any():
                raise BadInput(
                    f"the {self.mode} network has {int(bad.sum())} edge(s) whose {column} is "
                    "missing, infinite or negative"
                )
        self.nodes = self.nodes.reset_index(drop=True)
        self.edges = _cheapest_parallel(self.edges)

    # --- derived arrays ---------------------------------------------------------------------

    @cached_property
    def index_of(self) -> pd.Series:
        """Node id -> row index."""
        return pd.Series(np.arange(len(self.nodes)), index=self.nodes["node_id"].to_numpy())

    @cached_property
    def crs(self) -> str:
        """The projection distances on this network are measured in: BNG in Great Britain, else the UTM zone."""
        return metric_crs_for(self.nodes[["x", "y"]].to_numpy(dtype=float))

    @cached_property
    def xy_metric(self) -> np.ndarray:
        """Node positions in metres of :attr:`crs`, shape (n, 2)."""
        east, north = transformer(WGS84, self.crs).transform(self.nodes["x"].to_numpy(), self.nodes["y"].to_numpy())
        return np.column_stack([east, north])

    @cached_property
    def edge_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Edge endpoints as node row indices."""
        index = self.index_of
        return (index.loc[self.edges["u"].to_numpy()].to_numpy(), index.loc[self.edges["v"].to_numpy()].to_numpy())

    @property
    def time_calibration(self) -> TimeCalibration | None:
        """The relation this car network's printed minutes follow, if fitted (walk networks: never)."""
        calibration = self.provenance.get("calibration") or {}
        if self.mode != "drive" or "scale" not in calibration:
            return None
        return TimeCalibration(scale=float(calibration["scale"]), allowance_min=float(calibration["allowance_min"]))

    def csr(self, weight: str = "travel_time") -> sparse.csr_matrix:
        """The graph as a CSR matrix of ``weight`` (seconds or metres) for scipy.sparse.csgraph."""
        rows, cols = self.edge_index
        values = self.edges[weight].to_numpy(dtype=float)
        size = len(self.nodes)
        # csgraph treats an explicit 0 as "no edge": keep zero-cost edges with a negligible cost.
        values = np.where(values == 0, 1e-9, values)
        return sparse.csr_matrix((values, (rows, cols)), shape=(size, size))

    # --- networkx interchange ---------------------------------------------------------------

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, mode: str, provenance: dict[str, Any]) -> RoadNetwork:
        """From an osmnx-convention MultiDiGraph (``x``, ``y``; ``length``, ``travel_time``)."""
        if graph.number_of_nodes() == 0 or graph.number_of_edges() == 0:
            raise BadInput(f"the {mode} network is empty: it has no roads to route on")
        node_ids, data = zip(*graph.nodes(data=True), strict=True)
        nodes = pd.DataFrame(
            {
                "node_id": np.asarray(node_ids, dtype=np.int64),
                "x": [d["x"] for d in data],
                "y": [d["y"] for d in data],
            }
        )
        labels = [d.get("label") for d in data]
        if any(labels):
            nodes["label"] = labels
        rows = [
            (u, v, d["length"], d.get("speed_kph", np.nan), d["travel_time"], _edge_label(d))
            for u, v, d in graph.edges(data=True)
        ]
        edges = pd.DataFrame(rows, columns=["u", "v", "length", "speed_kph", "travel_time", "label"])
        edges[["u", "v"]] = edges[["u", "v"]].astype(np.int64)
        return cls(mode=mode, nodes=nodes, edges=edges, provenance=provenance)

    def to_graph(self) -> nx.MultiDiGraph:
        """An osmnx-convention MultiDiGraph of this network."""
        graph = nx.MultiDiGraph(crs=WGS84, mode=self.mode, **{"provenance": self.provenance})
        graph.add_nodes_from(
            (int(row.node_id), {"x": float(row.x), "y": float(row.y)}) for row in self.nodes.itertuples(index=False)
        )
        graph.add_edges_from(
            (
                int(row.u),
                int(row.v),
                {"length": float(row.length), "speed_kph": float(row.speed_kph), "travel_time": float(row.travel_time)},
            )
            for row in self.edges.itertuples(index=False)
        )
        return graph

    # --- persistence ------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write ``nodes.parquet``, ``edges.parquet`` and ``network.json``; all or nothing."""

        def fill(staging: Path) -> None:
            self.nodes.to_parquet(staging / "nodes.parquet", index=False, compression="zstd")
            self.edges.to_parquet(staging / "edges.parquet", index=False, compression="zstd")
            self._write_meta(staging / META_NAME)

        replace_folder(folder, fill)

    def save_provenance(self, folder: Path) -> None:
        """Rewrite only ``network.json`` of the network saved in ``folder`` (e.g. with a new calibration)."""
        write_atomically(Path(folder) / META_NAME, self._write_meta)

    def _write_meta(self, path: Path) -> None:
        meta = {
            "format_version": FORMAT_VERSION,
            "mode": self.mode,
            "provenance": self.provenance,
            "nodes": len(self.nodes),
            "edges": len(self.edges),
        }
        if self.report:
            meta["build_report"] = self.report
        path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> RoadNetwork:
        """Read a network saved by :meth:`save`."""
        folder = Path(folder)
        meta_path = folder / META_NAME
        if not meta_path.is_file():
            raise DataPackError(
                f"no road network at {folder}: {META_NAME} is missing (build one with `geoaccess network build`)"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise DataPackError(
                f"the road network at {folder} has format {meta.get('format_version')}; "
                f"this geoaccess reads format {FORMAT_VERSION}: rebuild it"
            )
        try:
            nodes = pd.read_parquet(folder / "nodes.parquet")
            edges = pd.read_parquet(folder / "edges.parquet")
        except (OSError, ValueError) as exc:
            raise DataPackError(f"the road network at {folder} is damaged: {exc}") from exc
        return cls(
            mode=meta["mode"],
            nodes=nodes,
            edges=edges,
            provenance=meta["provenance"],
            report=meta.get("build_report", {}),
        )

    def describe(self) -> str:
        """One line on what this network is, for provenance lines and logs."""
        p = self.provenance
        text = f"{p.get('network', '?')} {self.mode} network ({p.get('source', 'unknown source')}"
        text += f", {p['date']})" if p.get("date") else ")"
        if p.get("modelled"):
            text += "; modelled"
        calibration = p.get("calibration") or {}
        if self.time_calibration is not None:
            text += (
                f"; calibrated ({self.time_calibration.relation()}): median error "
                f"{calibration['median_abs_pct_error']}% against {calibration['reference']}"
            )
        elif self.mode == "drive":
            text += "; not calibrated: routed minutes"
        return text


def _edge_label(data: dict[str, Any]) -> str | None:
    """A road's name for path summaries: ``ref`` (e.g. A595), else ``name``, else a given label."""
    for key in ("ref", "name", "label"):
        value = data.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return str(value)
    return None


def cheapest_parallel(tails: np.ndarray, heads: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Rows of the edges to keep, in (tail, head) order: no self-loops, and of parallel edges the quickest
    (the first given, on a tie); a CSR matrix would add parallel edges up."""
    order = np.lexsort((seconds, heads, tails))
    order = order[tails[order] != heads[order]]
    sorted_tails, sorted_heads = tails[order], heads[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (sorted_tails[1:] != sorted_tails[:-1]) | (sorted_heads[1:] != sorted_heads[:-1])
    kept: np.ndarray = order[first]
    return kept


def _cheapest_parallel(edges: pd.DataFrame) -> pd.DataFrame:
    """The edges as :func:`cheapest_parallel` keeps them; edges already so (as saved) are taken as they are."""
    tails, heads = edges["u"].to_numpy(), edges["v"].to_numpy()
    later = (tails[1:] > tails[:-1]) | ((tails[1:] == tails[:-1]) & (heads[1:] > heads[:-1]))
    if (tails != heads).all() and later.all():
        return edges.reset_index(drop=True)
    kept = cheapest_parallel(tails, heads, edges["travel_time"].to_numpy(dtype=float))
    return edges.iloc[kept].reset_index(drop=True)
