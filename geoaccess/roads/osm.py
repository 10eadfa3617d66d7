"""Drive and walk networks from an OpenStreetMap file (``.osm``, ``.osm.bz2``, ``.osm.pbf``).

Steps:

1. pyosmium reads the file once (any of the three formats) and writes, per
   mode, a small OSM XML file holding only the ways that mode may use, with
   their nodes' positions (see *Which ways each mode uses*). Buildings,
   railways, rivers and the rest never reach osmnx, which reads XML only and
   holds it all in memory.
2. ``osmnx.graph_from_xml`` turns it into a MultiDiGraph: one-way streets
   (``oneway=yes/-1``, roundabouts, motorways) are one-way for drive; every
   walk edge goes both ways.
3. Each OSM segment gets ``speed_kph`` (:mod:`geoaccess.roads.speeds`) and
   ``travel_time = length / speed`` in seconds; osmnx measures ``length`` (m).
4. The largest strongly connected component is kept, so every node can reach
   every other. The graph is not simplified: every OSM node along a road
   stays a node, so a home snaps to the road beside it rather than to a
   junction kilometres away (routing on arrays makes the extra nodes cheap).

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

Cache: :func:`build_osm_networks` saves each mode's :class:`RoadNetwork` under
``out_dir/<mode>`` with the input's SHA-256 in its provenance, and reuses it
while the file (and :data:`BUILDER`) is unchanged.
"""

from __future__ import annotations

import bz2
import hashlib
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import cast

import networkx as nx
import osmium
import osmium.filter
import osmnx as ox

from geoaccess import defaults
from geoaccess._io import sha256_of
from geoaccess.errors import BadInput, DataPackError
from geoaccess.roads.network import META_NAME, MODES, RoadNetwork
from geoaccess.roads.speeds import WALK_SPEED_KPH, drive_speed_kph

SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf")
BUILDER = "geoaccess-osm-2"  # change when filters or speeds change, so caches rebuild

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
_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


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


# --- reading the file ----------------------------------------------------------------------


@dataclass
class _Split:
    """What one pass over an OSM file found: per-mode XML files and counts."""

    xml: dict[str, Path]
    highways: int = 0  # ways tagged highway=*
    written: dict[str, int] = field(default_factory=dict)  # way pieces written per mode
    newest: dict[Path, datetime] = field(default_factory=dict)  # newest highway way timestamp per file


def _ways(source: Path) -> Iterator[osmium.osm.Way]:
    """The highway ways of one file, with their nodes' locations."""
    processor = (
        osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    return cast(Iterator[osmium.osm.Way], iter(processor))  # the filters pass ways only


def _split(sources: list[Path], folder: Path, modes: Iterable[str]) -> _Split:
    """Write each mode's ways, with their nodes, to ``folder/<mode>.osm``; one pass over each source.

    Neighbouring extracts overlap at their border: a way or node met again is written once.
    """
    split = _Split(xml={mode: folder / f"{mode}.osm" for mode in modes})
    split.written = dict.fromkeys(split.xml, 0)
    seen_nodes: dict[str, set[int]] = {mode: set() for mode in split.xml}
    seen_ways: set[int] = set()
    with ExitStack() as stack:
        writers = {
            mode: stack.enter_context(osmium.SimpleWriter(str(path), overwrite=True))
            for mode, path in split.xml.items()
        }
        for source, way in ((file, way) for file in sources for way in _ways(file)):
            split.highways += 1
            if way.timestamp.timestamp() > 0:
                split.newest[source] = max(split.newest.get(source, way.timestamp), way.timestamp)
            if way.id in seen_ways:
                continue
            seen_ways.add(way.id)
            tags = dict(way.tags)
            modes_here = [mode for mode in writers if allows(mode, tags)]
            if not modes_here:
                continue
            # A cut-out extract may lack some nodes: keep the runs of nodes it has.
            runs = [list(run) for valid, run in groupby(way.nodes, key=lambda n: n.location.valid()) if valid]
            pieces = [run for run in runs if len(run) > 1]
            for mode in modes_here:
                for number, run in enumerate(pieces):
                    for node in run:
                        if node.ref not in seen_nodes[mode]:
                            seen_nodes[mode].add(node.ref)
                            writers[mode].add_node(
                                osmium.osm.mutable.Node(id=node.ref, location=(node.location.lon, node.location.lat))
                            )
                    # a way split by missing nodes: extra pieces get ids no OSM way has
                    piece_id = way.id if number == 0 else -(way.id * 1000 + number)
                    writers[mode].add_way(
                        osmium.osm.mutable.Way(
                            id=piece_id, nodes=[node.ref for node in run], tags=kept_tags(mode, tags)
                        )
                    )
                    split.written[mode] += 1
    return split


def _file_date(source: Path, header: osmium.io.Header, newest: datetime | None) -> tuple[str, str]:
    """The data's date and where it came from: file header, newest way, else file mtime."""
    if stamp := header.get("osmosis_replication_timestamp"):
        return stamp, "osmosis_replication_timestamp in the file header"
    if source.name.endswith((".osm", ".osm.bz2")):
        opener = bz2.open if source.suffix == ".bz2" else open
        with opener(source, "rb") as handle:
            if match := _XML_STAMP.search(handle.read(4096)):
                return match.group(1).decode("ascii", "replace"), "timestamp of the <osm> element"
    if newest is not None:
        return newest.strftime(_STAMP_FORMAT), "newest road's edit timestamp"
    mtime = datetime.fromtimestamp(source.stat().st_mtime, UTC)
    return mtime.strftime(_STAMP_FORMAT), "file modification time"


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
    """The ``mode`` graph of one split XML file: speeds, then the largest strongly connected part."""
    with _osmnx_offline():
        graph = ox.graph_from_xml(xml, bidirectional=mode == "walk", simplify=False, retain_all=True)
        for _, _, data in graph.edges(data=True):
            speed = WALK_SPEED_KPH if mode == "walk" else drive_speed_kph(data["highway"], data.get("maxspeed"))
            data["speed_kph"] = speed
            data["travel_time"] = data["length"] / speed * 3.6
        return ox.truncate.largest_component(graph, strongly=True)


OsmFiles = Path | str | Sequence[Path | str]
"""One OpenStreetMap file, or several neighbouring extracts read as one network."""


def _sources(files: OsmFiles) -> list[Path]:
    """The files as paths, each checked to exist with an OpenStreetMap name."""
    paths = [Path(files)] if isinstance(files, str | Path) else [Path(f) for f in files]
    if not paths:
        raise OsmFileError("no OpenStreetMap file given")
    for path in paths:
        if not path.name.endswith(SUFFIXES):
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


def _check_unpacked(path: Path) -> None:
    """Refuse a .osm.bz2 that unpacks to more than the limit, or is compressed beyond the ratio limit.

    The XML is decompressed and dropped as it streams, stopping at the first limit passed; a damaged
    stream is left for pyosmium to report.
    """
    if not path.name.endswith(".osm.bz2"):
        return
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


def _header(path: Path) -> osmium.io.Header:
    with osmium.io.Reader(str(path), osmium.osm.NOTHING) as reader:
        return reader.header()


def read_osm(files: OsmFiles, modes: Iterable[str] = MODES) -> dict[str, RoadNetwork]:
    """Build the ``modes`` networks of one OpenStreetMap file or several, without caching them.

    Several files (neighbouring extracts, e.g. Cumbria and Lancashire) become one
    network; its date is the oldest of theirs.

    Raises
    ------
    OsmFileError
        If a file is missing, malformed, truncated or there are no usable roads.
    """
    paths = _sources(files)
    names = " + ".join(p.name for p in paths)
    modes = list(dict.fromkeys(modes))
    for mode in modes:
        if mode not in MODES:
            raise BadInput(f"mode {mode!r} is not one of {', '.join(MODES)}")
    provenance = {
        "network": "osm",
        "source": names,
        "modelled": False,
        "sha256": _sources_sha256(paths),
        "builder": BUILDER,
    }
    for path in paths:
        _check_unpacked(path)
    with tempfile.TemporaryDirectory(prefix="geoaccess-osm-") as folder:
        try:
            split = _split(paths, Path(folder), modes)
            dates = [_file_date(p, _header(p), split.newest.get(p)) for p in paths]
            if len(paths) > 1:
                dates = [
                    (date, f"{basis} of {p.name}, the oldest of the files")
                    for p, (date, basis) in zip(paths, dates, strict=True)
                ]
        except RuntimeError as exc:  # pyosmium's parse, decompression and format errors
            raise OsmFileError(
                f"cannot read {names}: {exc}; is each a complete OpenStreetMap file in the format its name says?"
            ) from exc
        if split.highways == 0:
            raise OsmFileError(f"{names} has no roads or paths (no way tagged highway=*)")
        provenance["date"], provenance["date_basis"] = min(dates)
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
            networks[mode] = RoadNetwork.from_graph(graph, mode, dict(provenance))
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
    networks: dict[str, RoadNetwork] = {}
    if not force:
        sha256 = _sources_sha256(paths)
        networks = {mode: network for mode in modes if (network := _cached(out_dir, mode, sha256)) is not None}
    missing = [mode for mode in modes if mode not in networks]
    if missing:
        built = read_osm(paths, missing)
        for mode, network in built.items():
            network.save(out_dir / mode)
        networks.update(built)
    return {mode: networks[mode] for mode in modes}
