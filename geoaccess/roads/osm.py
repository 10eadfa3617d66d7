"""Drive and walk networks from OpenStreetMap files (``.pbf``, ``.osm``, ``.osm.bz2``), one or several.

Steps:

1. pyosmium reads each file once and writes, per mode, a small OSM XML file
   holding only the ways that mode may use, with their nodes' positions (see
   *Which ways each mode uses*). Buildings, railways, rivers and the rest
   never reach osmnx, which reads XML only and holds it all in memory.
   Several extracts go into the same XML: a node or way met again (where
   neighbours overlap) is written once, so shared node ids join them.
2. ``osmnx.graph_from_xml`` turns it into a MultiDiGraph: one-way streets
   (``oneway=yes/-1``, roundabouts, motorways) are one-way for drive; every
   walk edge goes both ways.
3. Each OSM segment gets ``speed_kph`` (:mod:`geoaccess.roads.speeds`) and
   ``travel_time = length / speed`` in seconds; osmnx measures ``length`` (m).
   The graph is not simplified: every OSM node along a road stays a node, so
   a home snaps to the road beside it rather than to a junction kilometres
   away (routing on arrays makes the extra nodes cheap).
4. The strongly connected components are found (in each, every node reaches
   every other) and kept or dropped by *The component rule*.

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

Files and dates
---------------
Any name ending ``.pbf``, ``.osm`` or ``.osm.bz2`` is accepted (``spo_osm.pbf``
too); the format is sniffed from the first bytes (PBF: a BlobHeader naming
``OSMHeader``; XML: ``<?xml`` or ``<osm``; bzip2: ``BZh``, unpacking to XML)
and must agree with the name; anything else is refused in one line. The
data's date is the file header's ``osmosis_replication_timestamp``, else its
``timestamp`` (the ``<osm timestamp>`` attribute of XML, or Overpass's
``osm_base``), else the newest road's edit time; a file with none of these is
dated ``file date (no timestamp in the data): <modification time>``, never
passed off as the data's date.

Cache: :func:`build_osm_networks` saves each mode's :class:`RoadNetwork` under
``out_dir/<mode>`` with the input's SHA-256 in its provenance, and reuses it
while the file (and :data:`BUILDER`) is unchanged.
"""

from __future__ import annotations

import bz2
import hashlib
import re
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any, cast

import networkx as nx
import numpy as np
import osmium
import osmium.filter
import osmnx as ox
from scipy.sparse.csgraph import connected_components

from geoaccess import defaults
from geoaccess._io import sha256_of
from geoaccess.errors import BadInput, DataPackError
from geoaccess.roads.network import META_NAME, MODES, RoadNetwork
from geoaccess.roads.speeds import WALK_SPEED_KPH, drive_speed_kph

SUFFIXES = (".pbf", ".osm", ".osm.bz2")
BUILDER = "geoaccess-osm-3"  # change when filters, speeds or the component rule change, so caches rebuild
MIN_COMPONENT_NODES = 200
"""A strongly connected component with fewer nodes is dropped, unless it is the largest of a file's."""
COMPONENT_RULE = (
    f"keep every strongly connected component of at least {MIN_COMPONENT_NODES} nodes, and each file's "
    "largest; drop the rest"
)
FILE_DATE = "file date (no timestamp in the data)"
"""How the date of a file with no timestamp in its data is labelled: its modification time follows."""
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
KEPT_TAGS = ("highway", "maxspeed", "oneway", "junction", "ref", "name")

_XML_STAMP = re.compile(rb'<osm\b[^>]*?\btimestamp="([^"]+)"')
_OVERPASS_STAMP = re.compile(rb'<meta\b[^>]*?\bosm_base="([^"]+)"')
_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_FORMAT_NAMES = {"pbf": "PBF", "osm": "OSM XML", "osm.bz2": "bzip2-compressed OSM XML"}


class OsmFileError(BadInput):
    """An OpenStreetMap file is missing, unreadable, damaged or holds no usable roads."""


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


def kept_tags(mode: str, tags: Mapping[str, str]) -> dict[str, str]:
    """The tags osmnx needs, with the one-way OSM implies for motorways made explicit."""
    kept = {key: tags[key] for key in KEPT_TAGS if key in tags}
    if mode == "drive" and tags.get("highway") == "motorway":
        kept.setdefault("oneway", "yes")
    return kept


# --- which format a file holds ---------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """One input file and the format its content shows."""

    path: Path
    format: str  # "pbf", "osm" or "osm.bz2" (libosmium's names)

    @property
    def name(self) -> str:
        return self.path.name

    def file(self) -> osmium.io.File:
        return osmium.io.File(str(self.path), self.format)


def _named_format(name: str) -> str:
    name = name.lower()
    return "pbf" if name.endswith(".pbf") else "osm.bz2" if name.endswith(".bz2") else "osm"


def _looks_like_xml(start: bytes) -> bool:
    start = start.removeprefix(b"\xef\xbb\xbf").lstrip()
    return start.startswith((b"<?xml", b"<osm"))


def _sniffed_format(path: Path) -> str | None:
    """The format the first bytes show: ``pbf``, ``osm``, ``osm.bz2``, or None for anything else."""
    with path.open("rb") as handle:
        start = handle.read(64)
    if len(start) >= 15 and start[4] == 0x0A and start[6:15] == b"OSMHeader":
        return "pbf"  # a 4-byte length, then a BlobHeader whose type (field 1) is "OSMHeader"
    if _looks_like_xml(start):
        return "osm"
    if start.startswith(b"BZh"):
        try:
            with bz2.open(path, "rb") as xml:
                unpacked = xml.read(256)
        except (OSError, EOFError, ValueError):
            return "osm.bz2"  # damaged: pyosmium reports it
        return "osm.bz2" if _looks_like_xml(unpacked) or not unpacked else None
    return None


def _source(path: Path) -> _Source:
    """The file with its format, sniffed from its content and checked against its name."""
    named, sniffed = _named_format(path.name), _sniffed_format(path)
    if sniffed is None:
        what = "the file is empty" if path.stat().st_size == 0 else "its content is not OpenStreetMap data"
        raise OsmFileError(f"cannot read {path.name}: {what} (neither PBF, OSM XML nor bzip2-compressed OSM XML)")
    if sniffed != named:
        name_says = "bzip2 data" if named == "osm.bz2" else _FORMAT_NAMES[named]
        raise OsmFileError(
            f"cannot read {path.name}: {name_says} expected from its name, but its content is "
            f"{_FORMAT_NAMES[sniffed]}; rename it to end {'.osm.bz2' if sniffed == 'osm.bz2' else '.' + sniffed}"
        )
    return _Source(path, sniffed)


# --- reading the file ----------------------------------------------------------------------


def _ids() -> array[int]:
    return array("q")


@dataclass
class _Tally:
    """The node ids one file brought to each step (repeats included; counted once at the end)."""

    highway: array[int] = field(default_factory=_ids)  # on highway ways, with a position in the file
    allowed: dict[str, array[int]] = field(default_factory=dict)  # on ways the mode may use
    written: dict[str, array[int]] = field(default_factory=dict)  # on pieces of two nodes or more


@dataclass
class _Split:
    """What one pass over the OSM files found: per-mode XML files and counts."""

    xml: dict[str, Path]
    highways: int = 0  # ways tagged highway=*
    written: dict[str, int] = field(default_factory=dict)  # way pieces written per mode
    newest: dict[Path, datetime] = field(default_factory=dict)  # newest highway way timestamp per file
    tallies: list[_Tally] = field(default_factory=list)  # per file, in order


def _ways(source: _Source) -> Iterator[osmium.osm.Way]:
    """The highway ways of one file, with their nodes' locations."""
    processor = (
        osmium.FileProcessor(source.file(), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    return cast(Iterator[osmium.osm.Way], iter(processor))  # the filters pass ways only


class _Writers:
    """Per-mode writers of the split XML, writing each node once and each piece of way once.

    A way met again in a neighbouring file is skipped if it was whole the first time; a way
    cut by a file's edge (some nodes missing) may bring new pieces from the next file, which
    are written too, so a road crossing the cut is joined again (overlapping segments become
    parallel edges, of which the network keeps one).
    """

    def __init__(self, stack: ExitStack, split: _Split) -> None:
        self.writers = {
            mode: stack.enter_context(osmium.SimpleWriter(str(path), overwrite=True))
            for mode, path in split.xml.items()
        }
        self.seen_nodes: dict[str, set[int]] = {mode: set() for mode in split.xml}
        self.whole_ways: set[int] = set()
        self.cut_ways: dict[int, set[tuple[int, int, int]]] = {}
        self.extra_ids = 0
        self.split = split

    def new_pieces(self, way_id: int, pieces: list[list[Any]], whole: bool) -> list[tuple[int, list[Any]]]:
        """The pieces of this way not written yet, each with the way id to write it under."""
        if way_id in self.whole_ways:
            return []
        written = self.cut_ways.get(way_id)
        if whole:
            self.whole_ways.add(way_id)
        else:
            self.cut_ways.setdefault(way_id, set())
        if written is None:  # first met: a way split by missing nodes gives extra pieces ids no OSM way has
            keys = [(run[0].ref, run[-1].ref, len(run)) for run in pieces]
            if not whole:
                self.cut_ways[way_id].update(keys)
            return [(way_id if n == 0 else -(way_id * 1000 + n), run) for n, run in enumerate(pieces)]
        fresh = []
        for run in pieces:
            key = (run[0].ref, run[-1].ref, len(run))
            if key not in written:
                written.add(key)
                self.extra_ids += 1
                fresh.append((-(10**15 + self.extra_ids), run))
        return fresh

    def write(self, mode: str, pieces: list[tuple[int, list[Any]]], tags: dict[str, str]) -> None:
        writer, seen = self.writers[mode], self.seen_nodes[mode]
        for piece_id, run in pieces:
            for node in run:
                if node.ref not in seen:
                    seen.add(node.ref)
                    writer.add_node(
                        osmium.osm.mutable.Node(id=node.ref, location=(node.location.lon, node.location.lat))
                    )
            writer.add_way(
                osmium.osm.mutable.Way(id=piece_id, nodes=[node.ref for node in run], tags=kept_tags(mode, tags))
            )
            self.split.written[mode] += 1


def _split(sources: list[_Source], folder: Path, modes: Iterable[str]) -> _Split:
    """Write each mode's ways, with their nodes, to ``folder/<mode>.osm``; one pass over each source.

    Neighbouring extracts overlap at their border: a node or piece of way met again is written
    once, but counted for each file it is in.
    """
    split = _Split(xml={mode: folder / f"{mode}.osm" for mode in modes})
    split.written = dict.fromkeys(split.xml, 0)
    with ExitStack() as stack:
        writers = _Writers(stack, split)
        for source in sources:
            tally = _Tally(allowed={m: _ids() for m in split.xml}, written={m: _ids() for m in split.xml})
            split.tallies.append(tally)
            for way in _ways(source):
                split.highways += 1
                if way.timestamp.timestamp() > 0:
                    split.newest[source.path] = max(split.newest.get(source.path, way.timestamp), way.timestamp)
                # A cut-out extract may lack some nodes: keep the runs of nodes it has.
                runs = [list(run) for valid, run in groupby(way.nodes, key=lambda n: n.location.valid()) if valid]
                located = [node.ref for run in runs for node in run]
                tally.highway.extend(located)
                tags = dict(way.tags)
                modes_here = [mode for mode in split.xml if allows(mode, tags)]
                if not modes_here:
                    continue
                pieces = [run for run in runs if len(run) > 1]
                for mode in modes_here:
                    tally.allowed[mode].extend(located)
                    tally.written[mode].extend(node.ref for run in pieces for node in run)
                fresh = writers.new_pieces(way.id, pieces, whole=len(located) == len(way.nodes))
                for mode in modes_here:
                    writers.write(mode, fresh, tags)
    return split


@dataclass(frozen=True, order=True)
class _Date:
    """When a file's data is from (ISO ``stamp``), as shown (``text``), and how it is known (``basis``)."""

    stamp: str
    text: str
    basis: str


def _header_stamp(source: _Source, header: osmium.io.Header) -> tuple[str, str] | None:
    """A timestamp the file's header gives for its data, with where it was found."""
    if stamp := header.get("osmosis_replication_timestamp"):
        return stamp, "osmosis_replication_timestamp in the file header"
    if stamp := header.get("timestamp"):
        return stamp, "timestamp in the file header"
    if source.format == "pbf":
        return None
    opener = bz2.open if source.format == "osm.bz2" else open
    with opener(source.path, "rb") as handle:
        start = handle.read(4096)
    if match := _XML_STAMP.search(start):
        return match.group(1).decode("ascii", "replace"), "timestamp of the <osm> element"
    if match := _OVERPASS_STAMP.search(start):
        return match.group(1).decode("ascii", "replace"), "osm_base of the Overpass <meta> element"
    return None


def _file_date(source: _Source, header: osmium.io.Header, newest: datetime | None) -> _Date:
    """The data's date: file header, else newest road edit, else the file's date, labelled as such."""
    if found := _header_stamp(source, header):
        return _Date(found[0], found[0], found[1])
    if newest is not None:
        stamp = newest.strftime(_STAMP_FORMAT)
        return _Date(stamp, stamp, "newest road's edit timestamp")
    stamp = datetime.fromtimestamp(source.path.stat().st_mtime, UTC).strftime(_STAMP_FORMAT)
    return _Date(stamp, f"{FILE_DATE}: {stamp}", "file modification time")


@contextmanager
def _osmnx_offline() -> Iterator[None]:
    """osmnx settings for reading a local file: no web requests, cache or log files; our tags only."""
    wanted = {
        "use_cache": False,
        "doh_url_template": None,
        "log_file": False,
        "log_console": False,
        "cache_only_mode": False,
        "all_oneway": False,
        "useful_tags_way": list(KEPT_TAGS),
        "useful_tags_node": [],
    }
    saved = {name: getattr(ox.settings, name) for name in wanted}
    for name, value in wanted.items():
        setattr(ox.settings, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _graph(xml: Path, mode: str) -> nx.MultiDiGraph:
    """The ``mode`` graph of one split XML file, every component of it, with speeds and travel times."""
    with _osmnx_offline():
        graph = ox.graph_from_xml(xml, bidirectional=mode == "walk", simplify=False, retain_all=True)
        for _, _, data in graph.edges(data=True):
            speed = WALK_SPEED_KPH if mode == "walk" else drive_speed_kph(data["highway"], data.get("maxspeed"))
            data["speed_kph"] = speed
            data["travel_time"] = data["length"] / speed * 3.6
        return graph


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


def _report(mode: str, split: _Split, found: _Components, files: list[str], counts: dict[str, int]) -> dict[str, Any]:
    """What the build of one mode read, dropped at each step and kept, per file and per component."""
    kept_rows = found.keep[found.labels]
    order = np.argsort(-found.sizes, kind="stable")
    kept = order[found.keep[order]]
    dropped = order[~found.keep[order]]
    per_file = []
    for name, tally, mask in zip(files, split.tallies, found.members, strict=True):
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
        ("graph", "lost building the graph (osmnx)", "written", "graph"),
        ("simplification", "simplification: none, every OSM node stays", "graph", "graph"),
        ("small_components", "in components dropped by the component rule", "graph", "kept"),
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


def _kept_network(whole: RoadNetwork, split: _Split, files: list[str]) -> RoadNetwork:
    """The network of the components the rule keeps, with its build report."""
    mode = whole.mode
    written = [_unique(tally.written[mode]) for tally in split.tallies]
    found = _components(whole, written, files)
    kept_rows = found.keep[found.labels]
    rows, cols = whole.edge_index
    kept_edges = kept_rows[rows] & (found.labels[rows] == found.labels[cols])
    counts = {
        "read": len(_unique(*(tally.highway for tally in split.tallies))),
        "allowed": len(_unique(*(tally.allowed[mode] for tally in split.tallies))),
        "written": len(np.unique(np.concatenate(written))),
        "graph": len(whole.nodes),
        "kept": int(kept_rows.sum()),
    }
    report = _report(mode, split, found, files, counts)
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


OsmFiles = Path | str | Sequence[Path | str]
"""One OpenStreetMap file, or several neighbouring extracts read as one network."""


def _sources(files: OsmFiles) -> list[Path]:
    """The files as paths, each checked to exist with an OpenStreetMap name."""
    paths = [Path(files)] if isinstance(files, str | Path) else [Path(f) for f in files]
    if not paths:
        raise OsmFileError("no OpenStreetMap file given")
    for path in paths:
        if not path.name.lower().endswith(SUFFIXES):
            raise OsmFileError(
                f"{path.name}: not an OpenStreetMap file name; expected one ending {', '.join(SUFFIXES)}"
            )
        if not path.is_file():
            raise OsmFileError(f"OpenStreetMap file not found: {path}")
        _check_size(path)
    return paths


# Limits (geoaccess.defaults), looked up when a file is read: a hostile or damaged file is refused in one
# line naming the file and the limit. pyosmium streams every format; what it unpacks from a .pbf is bounded
# per block, but a .osm.bz2 could unpack without end, so it is measured first, in one streaming pass.
_XML_RATIO_FROM_BYTES = 64 * 1024 * 1024
_XML_CHUNK_BYTES = 1024 * 1024


def _refused(path: Path, what: str) -> OsmFileError:
    return OsmFileError(f"{path.name} is refused: {what}; nothing has been loaded from it")


def _check_size(path: Path) -> None:
    limit = defaults.OSM_MAX_FILE_BYTES
    if path.stat().st_size > limit:
        raise _refused(path, f"the file holds more than the limit of {limit:,} bytes (OSM_MAX_FILE_BYTES)")


def _check_unpacked(source: _Source) -> None:
    """Refuse a .osm.bz2 that unpacks to more than the limit, or is compressed beyond the ratio limit.

    The XML is decompressed and dropped as it streams, stopping at the first limit passed; a damaged
    stream is left for pyosmium to report.
    """
    if source.format != "osm.bz2":
        return
    path = source.path
    limit, ratio = defaults.OSM_MAX_XML_BYTES, defaults.OSM_MAX_XML_RATIO
    unpacked = 0
    try:
        with path.open("rb") as packed, bz2.BZ2File(packed) as xml:
            while chunk := xml.read(_XML_CHUNK_BYTES):
                unpacked += len(chunk)
                if unpacked > limit:
                    raise _refused(path, f"it unpacks to more than the limit of {limit:,} bytes (OSM_MAX_XML_BYTES)")
                if unpacked > _XML_RATIO_FROM_BYTES and unpacked > ratio * packed.tell():
                    raise _refused(path, f"it is compressed more than the limit of {ratio}:1 (OSM_MAX_XML_RATIO)")
    except (OSError, EOFError):
        return


def _sources_sha256(paths: list[Path]) -> str:
    """SHA-256 of one file, or of the files' SHA-256s in order."""
    if len(paths) == 1:
        return sha256_of(paths[0])
    return hashlib.sha256("".join(sha256_of(p) for p in paths).encode("ascii")).hexdigest()


def _header(source: _Source) -> osmium.io.Header:
    with osmium.io.Reader(source.file(), osmium.osm.NOTHING) as reader:
        return reader.header()


def _dates(sources: list[_Source], split: _Split) -> _Date:
    """The date of the data: the file's, or the oldest of several files'."""
    dates = [_file_date(s, _header(s), split.newest.get(s.path)) for s in sources]
    if len(sources) == 1:
        return dates[0]
    oldest, source = min(zip(dates, sources, strict=True), key=lambda pair: pair[0].stamp)
    return _Date(oldest.stamp, oldest.text, f"{oldest.basis} of {source.name}, the oldest of the files")


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
    paths = _sources(files)
    return _read_osm(paths, modes, _sources_sha256(paths))


def _read_osm(paths: list[Path], modes: Iterable[str], sha256: str) -> dict[str, RoadNetwork]:
    """:func:`read_osm` on files already checked, whose SHA-256 (:func:`_sources_sha256`) is known."""
    names = " + ".join(p.name for p in paths)
    modes = list(dict.fromkeys(modes))
    for mode in modes:
        if mode not in MODES:
            raise BadInput(f"mode {mode!r} is not one of {', '.join(MODES)}")
    sources = [_source(path) for path in paths]
    provenance: dict[str, Any] = {
        "network": "osm",
        "source": names,
        "modelled": False,
        "sha256": sha256,
        "builder": BUILDER,
    }
    for source in sources:
        _check_unpacked(source)
    with tempfile.TemporaryDirectory(prefix="geoaccess-osm-") as folder:
        try:
            split = _split(sources, Path(folder), modes)
            date = _dates(sources, split)
        except RuntimeError as exc:  # pyosmium's parse, decompression and format errors
            raise OsmFileError(
                f"cannot read {names}: {exc}; is each a complete OpenStreetMap file in the format its name says?"
            ) from exc
        if split.highways == 0:
            raise OsmFileError(f"{names} has no roads or paths (no way tagged highway=*)")
        provenance["date"], provenance["date_basis"] = date.text, date.basis
        provenance["built"] = datetime.now(UTC).strftime(_STAMP_FORMAT)
        networks = {}
        for mode in modes:
            if split.written[mode] == 0:
                raise OsmFileError(
                    f"{names} has no {mode} roads with their nodes "
                    f"({split.highways} highway ways in all; is the file cut short?)"
                )
            graph = _graph(split.xml[mode], mode)
            if graph.number_of_edges() == 0:
                raise OsmFileError(
                    f"{names} has no connected {mode} network: no two places "
                    "on its roads can be reached from each other"
                )
            whole = RoadNetwork.from_graph(graph, mode, dict(provenance))
            networks[mode] = _kept_network(whole, split, [p.name for p in paths])
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
    paths, out_dir = _sources(files), Path(out_dir)
    modes = list(dict.fromkeys(modes))
    sha256 = _sources_sha256(paths)  # read once: it keys the cache and goes into a new build's provenance
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
