"""Which OpenStreetMap files a network is built from: names, formats, limits, hashes and dates.

Any name ending ``.pbf``, ``.osm`` or ``.osm.bz2`` is accepted (``spo_osm.pbf``
too); the format is sniffed from the first bytes (PBF: a BlobHeader naming
``OSMHeader``; XML: ``<?xml`` or ``<osm``; bzip2: ``BZh``, unpacking to XML)
and must agree with the name; anything else is refused in one line. A file
larger than ``OSM_MAX_FILE_BYTES``, or a ``.osm.bz2`` unpacking beyond
``OSM_MAX_XML_BYTES`` or ``OSM_MAX_XML_RATIO`` (:mod:`geoaccess.defaults`), is
refused before anything is read from it.

The data's date is the file header's ``osmosis_replication_timestamp``, else its
``timestamp`` (the ``<osm timestamp>`` attribute of XML, or Overpass's
``osm_base``), else the newest road's edit time; a file with none of these is
dated ``file date (no timestamp in the data): <modification time>``, never
passed off as the data's date.
"""

from __future__ import annotations

import bz2
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import osmium

from geoaccess import defaults
from geoaccess._io import sha256_of
from geoaccess.errors import BadInput

SUFFIXES = (".pbf", ".osm", ".osm.bz2")
FILE_DATE = "file date (no timestamp in the data)"
"""How the date of a file with no timestamp in its data is labelled: its modification time follows."""
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_XML_STAMP = re.compile(rb'<osm\b[^>]*?\btimestamp="([^"]+)"')
_OVERPASS_STAMP = re.compile(rb'<meta\b[^>]*?\bosm_base="([^"]+)"')
_FORMAT_NAMES = {"pbf": "PBF", "osm": "OSM XML", "osm.bz2": "bzip2-compressed OSM XML"}


class OsmFileError(BadInput):
    """An OpenStreetMap file is missing, unreadable, damaged or holds no usable roads."""


# --- which format a file holds ---------------------------------------------------------------


@dataclass(frozen=True)
class OsmSource:
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


def source_of(path: Path) -> OsmSource:
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
    return OsmSource(path, sniffed)


OsmFiles = Path | str | Sequence[Path | str]
"""One OpenStreetMap file, or several neighbouring extracts read as one network."""


def checked_paths(files: OsmFiles) -> list[Path]:
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


def check_unpacked(source: OsmSource) -> None:
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


def files_sha256(paths: list[Path]) -> str:
    """SHA-256 of one file, or of the files' SHA-256s in order."""
    if len(paths) == 1:
        return sha256_of(paths[0])
    return hashlib.sha256("".join(sha256_of(p) for p in paths).encode("ascii")).hexdigest()


def _header(source: OsmSource) -> osmium.io.Header:
    with osmium.io.Reader(source.file(), osmium.osm.NOTHING) as reader:
        return reader.header()


def data_date(sources: list[OsmSource], newest: dict[Path, datetime]) -> FileDate:
    """The date of the data: the file's, or the oldest of several files'; ``newest`` is each file's newest
    road edit, used when its header has no timestamp."""
    dates = [_file_date(s, _header(s), newest.get(s.path)) for s in sources]
    if len(sources) == 1:
        return dates[0]
    oldest, source = min(zip(dates, sources, strict=True), key=lambda pair: pair[0].stamp)
    return FileDate(oldest.stamp, oldest.text, f"{oldest.basis} of {source.name}, the oldest of the files")


@dataclass(frozen=True, order=True)
class FileDate:
    """When a file's data is from (ISO ``stamp``), as shown (``text``), and how it is known (``basis``)."""

    stamp: str
    text: str
    basis: str


def _header_stamp(source: OsmSource, header: osmium.io.Header) -> tuple[str, str] | None:
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


def _file_date(source: OsmSource, header: osmium.io.Header, newest: datetime | None) -> FileDate:
    """The data's date: file header, else newest road edit, else the file's date, labelled as such."""
    if found := _header_stamp(source, header):
        return FileDate(found[0], found[0], found[1])
    if newest is not None:
        stamp = newest.strftime(STAMP_FORMAT)
        return FileDate(stamp, stamp, "newest road's edit timestamp")
    stamp = datetime.fromtimestamp(source.path.stat().st_mtime, UTC).strftime(STAMP_FORMAT)
    return FileDate(stamp, f"{FILE_DATE}: {stamp}", "file modification time")
