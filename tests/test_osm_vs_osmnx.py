"""The streaming OSM build against osmnx's own, edge for edge, on real extracts.

:mod:`geoaccess.roads.osm` reads OpenStreetMap into arrays without building a graph; here the
same files go through ``osmnx.graph_from_xml`` (the way networks were built before issue 14),
from an XML of the ways each mode may use, and both must give the same nodes, positions and
directed edges with the same lengths, speeds and names, before any component is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import numpy as np
import osmium
import osmium.filter
import osmnx as ox
import pandas as pd
import pytest

from geoaccess.roads import osm
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.osm_files import source_of
from geoaccess.roads.speeds import WALK_SPEED_KPH, drive_speed_kph

EXTRACTS = Path(__file__).parent / "data" / "osm"
OSMNX_TAGS = ("highway", "maxspeed", "oneway", "junction", "ref", "name")


def _pieces(path: Path) -> Iterator[tuple[int, list[tuple[int, float, float]], dict[str, str]]]:
    """Each highway way's runs of located nodes (two or more), with its tags."""
    processor = osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.KeyFilter("highway"))
    for way in processor:
        if not way.is_way():
            continue
        located = [(n.ref, n.location.lon, n.location.lat) if n.location.valid() else None for n in way.nodes]
        runs = [list(run) for valid, run in groupby(located, key=lambda n: n is not None) if valid]
        for number, run in enumerate(run for run in runs if len(run) > 1):
            yield way.id * 100 + number, run, dict(way.tags)


def _osmnx_network(path: Path, mode: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> RoadNetwork:
    """The ``mode`` network osmnx builds from an XML of the ways :func:`osm.allows` for ``mode``."""
    xml = folder / f"{mode}.osm"
    seen: set[int] = set()
    with osmium.SimpleWriter(str(xml), overwrite=True) as writer:
        for way_id, run, tags in _pieces(path):
            if not osm.allows(mode, tags):
                continue
            for ref, lon, lat in run:
                if ref not in seen:
                    seen.add(ref)
                    writer.add_node(osmium.osm.mutable.Node(id=ref, location=(lon, lat)))
            kept = {key: tags[key] for key in OSMNX_TAGS if key in tags}
            if mode == "drive" and tags["highway"] == "motorway":
                kept.setdefault("oneway", "yes")
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=[ref for ref, _, _ in run], tags=kept))
    monkeypatch.setattr(ox.settings, "useful_tags_way", list(OSMNX_TAGS))
    graph = ox.graph_from_xml(xml, bidirectional=mode == "walk", simplify=False, retain_all=True)
    for _, _, data in graph.edges(data=True):
        speed = WALK_SPEED_KPH if mode == "walk" else drive_speed_kph(data["highway"], data.get("maxspeed"))
        data["speed_kph"], data["travel_time"] = speed, data["length"] / speed * 3.6
    return RoadNetwork.from_graph(graph, mode, {})


def _sorted(network: RoadNetwork) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = network.nodes.sort_values("node_id").reset_index(drop=True)
    edges = network.edges.sort_values(["u", "v"]).reset_index(drop=True)
    edges["label"] = edges["label"].astype(object).where(edges["label"].notna(), None)
    return nodes, edges


@pytest.mark.slow
@pytest.mark.parametrize("extract", ["helsinki_kamppi.osm.pbf", "kouvola_osm.pbf"])
@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_streaming_build_equals_osmnx_edge_for_edge(
    extract: str, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = EXTRACTS / extract
    read = osm._read_ways([source_of(path)], [mode])
    ours = osm._mode_network(read, mode, {"source": extract})
    theirs = _osmnx_network(path, mode, tmp_path, monkeypatch)
    our_nodes, our_edges = _sorted(ours)
    their_nodes, their_edges = _sorted(theirs)
    assert len(our_edges) > 1000
    assert our_nodes["node_id"].tolist() == their_nodes["node_id"].tolist()
    assert np.array_equal(our_nodes[["x", "y"]].to_numpy(), their_nodes[["x", "y"]].to_numpy())
    assert our_edges[["u", "v"]].equals(their_edges[["u", "v"]])
    for column in ("length", "speed_kph", "travel_time"):
        assert np.allclose(our_edges[column], their_edges[column], rtol=1e-12, atol=0), column
    assert our_edges["label"].tolist() == their_edges["label"].tolist()
