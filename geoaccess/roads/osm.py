"""Drive and walk networks from OpenStreetMap files (``.pbf``, ``.osm``, ``.osm.bz2``), one or several.

Steps:

1. pyosmium streams each file once (:func:`_read_ways`), with node positions, and keeps only the
   ways each mode may use (see *Which ways each mode uses*) as flat arrays: the node ids of each way
   in order, and per way its speed, name and direction. Buildings, railways, rivers and the rest are
   never held; no graph object is built on the way, so memory grows with the roads read (node ids
   on every highway way, positions and ids of the ways kept), not with Python objects per node and
   edge. Several extracts are read as one: a node or piece of way met again (where neighbours
   overlap) is kept once, so shared node ids join them.
2. Each pair of consecutive nodes becomes an edge (:func:`_mode_network`), following osmnx's
   conventions so results match ``osmnx.graph_from_xml`` edge for edge (tests/test_osm_vs_osmnx.py
   checks it): a one-way street (``oneway`` in :data:`ONEWAY_VALUES`, roundabouts, motorways) is one
   edge for drive, reversed for ``oneway=-1``; every walk edge goes both ways; ``length`` is
   osmnx's great-circle distance (m), ``speed_kph`` comes from :mod:`geoaccess.roads.speeds` and
   ``travel_time = length / speed`` in seconds. The graph is not simplified: every OSM node along a
   road stays a node, so a home snaps to the road beside it rather than to a junction kilometres
   away (routing on arrays makes the extra nodes cheap).
3. The strongly connected components are found (in each, every node reaches every other) and kept
   or dropped by *The component rule*.

osmnx is kept for what it does best: its conventions above, downloads of small areas
(``osmnx.graph_from_place`` and friends, whose graphs :meth:`RoadNetwork.from_graph` takes), and
an osmnx MultiDiGraph of any built network on request (:meth:`RoadNetwork.to_graph`).

The component rule
------------------
A component is kept if it has at least :data:`MIN_COMPONENT_NODES` (200)
nodes, or if it is the largest component holding nodes of one of the files
(so every extract keeps its own main network, however small the file); the
rest are dropped, and so are edges between kept components. 200 unsimplified
nodes is about 2-3 km of street: a separate place (an island, a far-away
extract, a village behind a closed bridge) where homes and venues can reach
each other. Smaller pieces are gated estates, car parks, one-way stubs and
slivers clipped at an extract's edge: a home snapped to one would have no
route anywhere though the road beside it connects, so dropping them lets it
snap to the connected network. A share of the largest component (say 1%)
was not chosen: it grows with the extract, and beside a country-sized file
it would drop whole towns of a neighbouring one. Places on two kept
components that do not connect get a clear "no route" (exit 3).

Nothing is dropped silently: each network's :attr:`RoadNetwork.report`
(``build_report`` in its ``network.json``, printed by ``geoaccess network
build``) gives the nodes each step dropped, the nodes read and kept per
file, and each kept component (and the largest dropped ones) with its size
and the file(s) it came from.

Which ways each mode uses
-------------------------
drive: ``highway`` in :data:`DRIVE_HIGHWAYS` (motorway to residential, service,
unclassified, living_street and their ``_link`` roads), not
``service=emergency_access``. A motorway is one-way unless tagged otherwise,
as OSM implies.

walk: ``highway`` in :data:`WALK_HIGHWAYS` (every road but motorways, plus
footways, paths, steps, pedestrian streets, tracks, bridleways and cycleways).
Trunk roads are walkable unless ``foot=no``.

Both: not ``area=yes`` (a square's outline is not a street), and not barred by
access: the most specific tag present decides (drive: ``motorcar``,
``motor_vehicle``, ``vehicle``, ``access``; walk: ``foot``, ``access``), and
the values in :data:`NO_ACCESS` bar, so ``access=private`` + ``foot=yes`` is
walkable but not drivable.

Files (formats, limits) and the data's date: :mod:`geoaccess.roads.osm_files`.

Cache: :func:`build_osm_networks` saves each mode's :class:`RoadNetwork` under
``out_dir/<mode>`` with the input's SHA-256 in its provenance, and reuses it
while the file (and :data:`BUILDER`) is unchanged.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np
import osmium
import osmium.filter
import pandas as pd
from osmnx.distance import great_circle
from scipy.sparse.csgraph import connected_components

from geoaccess.errors import BadInput, DataPackError
from geoaccess.roads.network import META_NAME, MODES, RoadNetwork, cheapest_parallel
from geoaccess.roads.osm_files import (
    STAMP_FORMAT,
    OsmFileError,
    OsmFiles,
    OsmSource,
    check_unpacked,
    checked_paths,
    data_date,
    files_sha256,
    source_of,
)
from geoaccess.roads.speeds import WALK_SPEED_KPH, drive_speed_kph

BUILDER = "geoaccess-osm-4"  # change when filters, speeds or the component rule change, so caches rebuild
MIN_COMPONENT_NODES = 200
"""A strongly connected component with fewer nodes is dropped, unless it is the largest of a file's."""
COMPONENT_RULE = (
    f"keep every strongly connected component of at least {MIN_COMPONENT_NODES} nodes, and each file's "
    "largest; drop the rest"
)
DROPPED_LISTED = 10
"""How many of the largest dropped components the build report lists one by one."""

_LINKED = ("motorway", "trunk", "primary", "secondary", "tertiary")
DRIVE_HIGHWAYS = frozenset(
    [*_LINKED, *(f"{name}_link" for name in _LINKED), "unclassified", "residential", "living_street", "service"]
)
WALK_HIGHWAYS = (DRIVE_HIGHWAYS - {"motorway", "motorway_link"}) | {
    "pedestrian",
    "footway",
    "path",
    "steps",
    "track",
    "bridleway",
    "cycleway",
}
ACCESS_KEYS = {"drive": ("motorcar", "motor_vehicle", "vehicle", "access"), "walk": ("foot", "access")}
NO_ACCESS = frozenset(["no", "private", "agricultural", "forestry", "emergency", "use_sidepath"])
ONEWAY_VALUES = frozenset(["yes", "true", "1", "-1", "reverse", "T", "F"])
"""``oneway`` values that make a drive way one-way (osmnx's convention)."""
REVERSED_VALUES = frozenset(["-1", "reverse", "T"])
"""``oneway`` values for a way one-way against its node order (osmnx's convention)."""


def allows(mode: str, tags: Mapping[str, str]) -> bool:
    """Whether a way with these OSM tags belongs in the ``mode`` network."""
    highway = tags.get("highway")
    if tags.get("area") == "yes":
        return False
    if mode == "drive" and (highway not in DRIVE_HIGHWAYS or tags.get("service") == "emergency_access"):
        return False
    if mode == "walk" and highway not in WALK_HIGHWAYS:
        return False
    access = next((tags[key] for key in ACCESS_KEYS[mode] if key in tags), None)
    return access not in NO_ACCESS


def direction(mode: str, tags: Mapping[str, str]) -> int:
    """How a ``mode`` edge follows the way's node order: 0 both ways, 1 forward only, -1 backward only.

    Walking goes both ways; driving is one-way on ``oneway`` in :data:`ONEWAY_VALUES`, on a
    roundabout, and on a motorway not tagged otherwise, backward for :data:`REVERSED_VALUES`.
    """
    if mode == "walk":
        return 0
    oneway = tags.get("oneway", "yes" if tags.get("highway") == "motorway" else None)
    if oneway in ONEWAY_VALUES:
        return -1 if oneway in REVERSED_VALUES else 1
    return 1 if tags.get("junction") == "roundabout" else 0


def speed_kph(mode: str, tags: Mapping[str, str]) -> float:
    """The speed a ``mode`` edge of a way with these tags is travelled at."""
    return WALK_SPEED_KPH if mode == "walk" else drive_speed_kph(tags.get("highway", ""), tags.get("maxspeed"))


def road_label(tags: Mapping[str, str]) -> str | None:
    """A road's name for route summaries: ``ref`` (e.g. A595), else ``name``."""
    return tags.get("ref") or tags.get("name") or None


# --- reading the files into arrays ---------------------------------------------------------


def _ids() -> array[int]:
    return array("q")


@dataclass
class _Tally:
    """The node ids one file brought to each step (repeats included; counted once at the end)."""

    highway: array[int] = field(default_factory=_ids)  # on highway ways, with a position in the file
    allowed: dict[str, array[int]] = field(default_factory=dict)  # on ways the mode may use
    written: dict[str, array[int]] = field(default_factory=dict)  # on pieces of two nodes or more


@dataclass
class _ModeWays:
    """One mode's pieces of way as flat arrays: node ids in travel order, and per piece its attributes."""

    refs: array[int] = field(default_factory=_ids)  # node ids, piece after piece
    ends: array[int] = field(default_factory=_ids)  # where each piece ends in ``refs``
    speeds: array[float] = field(default_factory=lambda: array("d"))  # km/h per piece
    labels: array[int] = field(default_factory=_ids)  # per piece, into _Read.labels; -1 none
    both_ways: array[int] = field(default_factory=lambda: array("b"))  # per piece: 1 both ways, 0 one way

    def add(self, refs: list[int], speed: float, label: int, way_direction: int) -> None:
        self.refs.extend(reversed(refs) if way_direction < 0 else refs)
        self.ends.append(len(self.refs))
        self.speeds.append(speed)
        self.labels.append(label)
        self.both_ways.append(way_direction == 0)


@dataclass
class _Read:
    """What one pass over the OSM files found: each mode's ways, node positions, labels and counts."""

    ways: dict[str, _ModeWays]
    node_ids: array[int] = field(default_factory=_ids)  # positions of every node kept (repeats possible)
    lons: array[float] = field(default_factory=lambda: array("d"))
    lats: array[float] = field(default_factory=lambda: array("d"))
    labels: dict[str, int] = field(default_factory=dict)  # road name -> code
    highways: int = 0  # ways tagged highway=*
    newest: dict[Path, datetime] = field(default_factory=dict)  # newest highway way timestamp per file
    tallies: list[_Tally] = field(default_factory=list)  # per file, in order

    @cached_property
    def _first_reads(self) -> tuple[np.ndarray, np.ndarray]:
        """Every node id read, sorted and distinct, and where its position was first read (once for all modes;
        only asked once the files are read)."""
        ids, first = np.unique(np.frombuffer(self.node_ids, dtype=np.int64), return_index=True)
        return ids, first

    def label_code(self, label: str | None) -> int:
        return -1 if label is None else self.labels.setdefault(label, len(self.labels))

    def positions(self, node_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude of each of these (sorted, distinct) node ids: the first position read."""
        ids, first = self._first_reads
        rows = first[np.searchsorted(ids, node_ids)]
        return np.frombuffer(self.lons, dtype=np.float64)[rows], np.frombuffer(self.lats, dtype=np.float64)[rows]


def _ways(source: OsmSource) -> Iterator[osmium.osm.Way]:
    """The highway ways of one file, with their nodes' locations."""
    processor = (
        osmium.FileProcessor(source.file(), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    return cast(Iterator[osmium.osm.Way], iter(processor))  # the filters pass ways only


Run = list[tuple[int, float, float]]
"""Consecutive nodes of a way present in the file: (id, lon, lat) each."""


def _runs(way: osmium.osm.Way) -> tuple[list[Run], int]:
    """The runs of consecutive nodes of a way whose position the file has, and how many nodes it names."""
    runs: list[Run] = [[]]
    count = 0
    for node in way.nodes:
        count += 1
        location = node.location
        if location.valid():
            runs[-1].append((node.ref, location.lon, location.lat))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run], count


class _Pieces:
    """Which pieces of way have been kept, so a way met again in a neighbouring file is kept once.

    A way whole the first time is skipped when met again; a way cut by a file's edge (some nodes
    missing) may bring new pieces from the next file, which are kept too, so a road crossing the
    cut is joined again (overlapping segments become parallel edges, of which the network keeps one).
    """

    def __init__(self) -> None:
        self.whole_ways: set[int] = set()
        self.cut_ways: dict[int, set[tuple[int, int, int]]] = {}

    def new(self, way_id: int, pieces: list[Run], whole: bool) -> list[Run]:
        """The pieces of this way not kept yet."""
        if way_id in self.whole_ways:
            return []
        kept = self.cut_ways.get(way_id)
        if whole:
            self.whole_ways.add(way_id)
            return pieces if kept is None else self._unseen(kept, pieces)
        if kept is None:
            kept = self.cut_ways[way_id] = set()
        return self._unseen(kept, pieces)

    @staticmethod
    def _unseen(kept: set[tuple[int, int, int]], pieces: list[Run]) -> list[Run]:
        fresh = []
        for run in pieces:
            key = (run[0][0], run[-1][0], len(run))
            if key not in kept:
                kept.add(key)
                fresh.append(run)
        return fresh


def _read_ways(sources: list[OsmSource], modes: list[str]) -> _Read:
    """Each mode's usable pieces of way, with their nodes' positions; one pass over each source.

    Neighbouring extracts overlap at their border: a node or piece of way met again is kept
    once, but counted for each file it is in.
    """
    read = _Read(ways={mode: _ModeWays() for mode in modes})
    pieces_kept = _Pieces()
    speeds: dict[tuple[str, str, str | None], float] = {}
    for source in sources:
        tally = _Tally(allowed={m: _ids() for m in modes}, written={m: _ids() for m in modes})
        read.tallies.append(tally)
        for way in _ways(source):
            read.highways += 1
            if way.timestamp.timestamp() > 0:
                read.newest[source.path] = max(read.newest.get(source.path, way.timestamp), way.timestamp)
            runs, named = _runs(way)  # a cut-out extract may lack some nodes: keep the runs it has
            located = [node[0] for run in runs for node in run]
            tally.highway.extend(located)
            tags = dict(way.tags)
            modes_here = [mode for mode in modes if allows(mode, tags)]
            if not modes_here:
                continue
            pieces = [run for run in runs if len(run) > 1]
            for mode in modes_here:
                tally.allowed[mode].extend(located)
                tally.written[mode].extend(node[0] for run in pieces for node in run)
            fresh = pieces_kept.new(way.id, pieces, whole=len(located) == named)
            if not fresh:
                continue
            label = read.label_code(road_label(tags))
            for run in fresh:
                ids, lons, lats = zip(*run, strict=True)
                read.node_ids.extend(ids)
                read.lons.extend(lons)
                read.lats.extend(lats)
                for mode in modes_here:
                    key = (mode, tags["highway"], tags.get("maxspeed"))
                    if key not in speeds:
                        speeds[key] = speed_kph(mode, tags)
                    read.ways[mode].add(list(ids), speeds[key], label, direction(mode, tags))
    return read


def _mode_network(read: _Read, mode: str, provenance: dict[str, Any]) -> RoadNetwork:
    """The ``mode`` network of every piece read (every component), with lengths, speeds and times."""
    ways = read.ways[mode]
    refs = np.frombuffer(ways.refs, dtype=np.int64)
    ends = np.frombuffer(ways.ends, dtype=np.int64)
    piece = np.repeat(np.arange(len(ends)), np.diff(ends, prepend=0))
    same = piece[:-1] == piece[1:]
    tails, heads, piece = refs[:-1][same], refs[1:][same], piece[:-1][same]
    both = np.frombuffer(ways.both_ways, dtype=np.int8).astype(bool)[piece]
    tails, heads = np.concatenate([tails, heads[both]]), np.concatenate([heads, tails[both]])
    piece = np.concatenate([piece, piece[both]])
    if not len(tails):
        raise OsmFileError(
            f"{provenance['source']} has no connected {mode} network: no two places on its roads can be reached "
            "from each other"
        )
    node_ids = np.unique(refs)
    lon, lat = read.positions(node_ids)
    del refs
    tail_row, head_row = np.searchsorted(node_ids, tails), np.searchsorted(node_ids, heads)
    length = np.asarray(great_circle(lat[tail_row], lon[tail_row], lat[head_row], lon[head_row]))
    del tail_row, head_row
    speed = np.frombuffer(ways.speeds, dtype=np.float64)[piece]
    seconds = length / speed * 3.6
    kept = cheapest_parallel(tails, heads, seconds)
    label_codes = np.frombuffer(ways.labels, dtype=np.int64)[piece[kept]]
    edges = pd.DataFrame(
        {
            "u": tails[kept],
            "v": heads[kept],
            "length": length[kept],
            "speed_kph": speed[kept],
            "travel_time": seconds[kept],
            "label": pd.Categorical.from_codes(label_codes, categories=list(read.labels)),
        }
    )
    nodes = pd.DataFrame({"node_id": node_ids, "x": lon, "y": lat})
    return RoadNetwork(mode=mode, nodes=nodes, edges=edges, provenance=provenance)


# --- components and the build report -------------------------------------------------------


def _unique(*ids: array[int]) -> np.ndarray:
    """The distinct node ids in these arrays."""
    parts = [np.frombuffer(part, dtype=np.int64) for part in ids if len(part)]
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


@dataclass
class _Components:
    """The strongly connected components of a network, which files each holds nodes of, and the rule's verdict."""

    labels: np.ndarray  # component of each node row
    sizes: np.ndarray  # nodes per component
    members: list[np.ndarray]  # per file: a mask over node rows of the nodes it brought
    touching: list[set[int]]  # per file: the components holding its nodes
    files: list[str]
    keep: np.ndarray  # per component


def _components(whole: RoadNetwork, written: list[np.ndarray], files: list[str]) -> _Components:
    """Find the components and apply the rule: at least MIN_COMPONENT_NODES nodes, or a file's largest."""
    _, labels = connected_components(whole.csr(), directed=True, connection="strong")
    sizes = np.bincount(labels)
    node_ids = whole.nodes["node_id"].to_numpy()
    members = [np.isin(node_ids, ids) for ids in written]
    touching = [np.unique(labels[mask]) for mask in members]
    keep = sizes >= MIN_COMPONENT_NODES
    for touched in touching:
        if len(touched):
            keep[touched[np.argmax(sizes[touched])]] = True
    keep &= sizes >= 2  # a lone node has no road to route on
    return _Components(labels, sizes, members, [set(t.tolist()) for t in touching], files, keep)


def _component_entries(found: _Components, components: np.ndarray) -> list[dict[str, Any]]:
    return [
        {
            "nodes": int(found.sizes[c]),
            "files": [name for name, comps in zip(found.files, found.touching, strict=True) if int(c) in comps],
        }
        for c in components
    ]


def _report(mode: str, read: _Read, found: _Components, files: list[str], counts: dict[str, int]) -> dict[str, Any]:
    """What the build of one mode read, dropped at each step and kept, per file and per component."""
    kept_rows = found.keep[found.labels]
    order = np.argsort(-found.sizes, kind="stable")
    kept = order[found.keep[order]]
    dropped = order[~found.keep[order]]
    per_file = []
    for name, tally, mask in zip(files, read.tallies, found.members, strict=True):
        per_file.append(
            {
                "file": name,
                "nodes_read": int(len(_unique(tally.highway))),
                "mode_nodes": int(len(_unique(tally.written[mode]))),
                "nodes_kept": int((mask & kept_rows).sum()),
                "nodes_in_dropped_components": int((mask & ~kept_rows).sum()),
            }
        )
    steps = [
        ("not_routable", f"on no way a {mode} route may use (highway type, access, area)", "read", "allowed"),
        ("cut_at_edge", "on a piece of way cut to a single node by the file's edge", "allowed", "written"),
        ("simplification", "simplification: none, every OSM node stays", "written", "written"),
        ("small_components", "in components dropped by the component rule", "written", "kept"),
    ]
    return {
        "mode": mode,
        "rule": COMPONENT_RULE,
        "min_component_nodes": MIN_COMPONENT_NODES,
        "nodes_read": counts["read"],
        "nodes_kept": counts["kept"],
        "steps": [
            {"step": key, "what": what, "dropped": counts[before] - counts[after]} for key, what, before, after in steps
        ],
        "files": per_file,
        "components": {
            "count": len(found.sizes),
            "kept": _component_entries(found, kept),
            "dropped": {
                "count": len(dropped),
                "nodes": int(found.sizes[dropped].sum()),
                "largest": _component_entries(found, dropped[:DROPPED_LISTED]),
            },
        },
    }


def _kept_network(whole: RoadNetwork, read: _Read, files: list[str]) -> RoadNetwork:
    """The network of the components the rule keeps, with its build report."""
    mode = whole.mode
    written = [_unique(tally.written[mode]) for tally in read.tallies]
    found = _components(whole, written, files)
    kept_rows = found.keep[found.labels]
    rows, cols = whole.edge_index
    kept_edges = kept_rows[rows] & (found.labels[rows] == found.labels[cols])
    counts = {
        "read": len(_unique(*(tally.highway for tally in read.tallies))),
        "allowed": len(_unique(*(tally.allowed[mode] for tally in read.tallies))),
        "written": len(np.unique(np.concatenate(written))),
        "kept": int(kept_rows.sum()),
    }
    report = _report(mode, read, found, files, counts)
    if not kept_edges.any():
        raise OsmFileError(
            f"{' + '.join(files)} has no connected {mode} network: no two places "
            "on its roads can be reached from each other"
        )
    return RoadNetwork(
        mode=mode,
        nodes=whole.nodes[kept_rows],
        edges=whole.edges[kept_edges],
        provenance=whole.provenance,
        report=report,
    )


def read_osm(files: OsmFiles, modes: Iterable[str] = MODES) -> dict[str, RoadNetwork]:
    """Build the ``modes`` networks of one OpenStreetMap file or several, without caching them.

    Several files (neighbouring extracts, e.g. Cumbria and Lancashire) become one
    network, joined where they share nodes; its date is the oldest of theirs. Each
    network's ``report`` says what was read, dropped and kept (see the module notes).

    Raises
    ------
    OsmFileError
        If a file is missing, malformed, truncated or there are no usable roads.
    """
    paths = checked_paths(files)
    return _read_osm(paths, modes, files_sha256(paths))


def _read_osm(paths: list[Path], modes: Iterable[str], sha256: str) -> dict[str, RoadNetwork]:
    """:func:`read_osm` on files already checked, whose SHA-256 (:func:`files_sha256`) is known."""
    names = " + ".join(p.name for p in paths)
    modes = list(dict.fromkeys(modes))
    for mode in modes:
        if mode not in MODES:
            raise BadInput(f"mode {mode!r} is not one of {', '.join(MODES)}")
    sources = [source_of(path) for path in paths]
    for source in sources:
        check_unpacked(source)
    try:
        read = _read_ways(sources, modes)
        date = data_date(sources, read.newest)
    except RuntimeError as exc:  # pyosmium's parse, decompression and format errors
        raise OsmFileError(
            f"cannot read {names}: {exc}; is each a complete OpenStreetMap file in the format its name says?"
        ) from exc
    if read.highways == 0:
        raise OsmFileError(f"{names} has no roads or paths (no way tagged highway=*)")
    provenance: dict[str, Any] = {
        "network": "osm",
        "source": names,
        "modelled": False,
        "sha256": sha256,
        "builder": BUILDER,
        "date": date.text,
        "date_basis": date.basis,
        "built": datetime.now(UTC).strftime(STAMP_FORMAT),
    }
    networks = {}
    for mode in modes:
        if not read.ways[mode].ends:
            raise OsmFileError(
                f"{names} has no {mode} roads with their nodes "
                f"({read.highways} highway ways in all; is the file cut short?)"
            )
        whole = _mode_network(read, mode, dict(provenance))
        networks[mode] = _kept_network(whole, read, [p.name for p in paths])
    return networks


# --- cache ---------------------------------------------------------------------------------


def load_osm_network(out_dir: Path, mode: str) -> RoadNetwork:
    """The ``mode`` network saved under ``out_dir`` by :func:`build_osm_networks`."""
    return RoadNetwork.load(Path(out_dir) / mode)


def _cached(out_dir: Path, mode: str, sha256: str) -> RoadNetwork | None:
    """The saved ``mode`` network if it was built by this builder from a file with this hash."""
    if not (out_dir / mode / META_NAME).is_file():
        return None
    try:
        network = load_osm_network(out_dir, mode)
    except (DataPackError, BadInput):
        return None  # damaged or from another version: rebuild
    provenance = network.provenance
    return network if (provenance.get("sha256"), provenance.get("builder")) == (sha256, BUILDER) else None


def build_osm_networks(
    files: OsmFiles, out_dir: Path, modes: Iterable[str] = MODES, *, force: bool = False
) -> dict[str, RoadNetwork]:
    """Build (or reuse) and save the ``modes`` networks of one OpenStreetMap file or several.

    Each mode is saved, all or nothing, to ``out_dir/<mode>``. A saved network
    built from files with the same SHA-256 is loaded instead of rebuilt,
    unless ``force``. On error nothing is saved and earlier saves stay as they were.
    """
    paths, out_dir = checked_paths(files), Path(out_dir)
    modes = list(dict.fromkeys(modes))
    sha256 = files_sha256(paths)  # read once: it keys the cache and goes into a new build's provenance
    networks: dict[str, RoadNetwork] = {}
    if not force:
        networks = {mode: network for mode in modes if (network := _cached(out_dir, mode, sha256)) is not None}
    missing = [mode for mode in modes if mode not in networks]
    if missing:
        built = _read_osm(paths, missing, sha256)
        for mode, network in built.items():
            network.save(out_dir / mode)
        networks.update(built)
    return {mode: networks[mode] for mode in modes}
