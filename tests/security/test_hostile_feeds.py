"""Hostile timetable and road-network files are refused quickly, and real-scale limits still let real feeds load.

Every hostile file is built here at test time. Each read runs in a worker thread given :data:`SECONDS`
(generous on purpose), so a reader without the limits fails the test instead of hanging it. Where a
smaller limit keeps a test fast, it is lowered in :mod:`geoaccess.defaults`, which the readers consult
each time they read a file.
"""

from __future__ import annotations

import bz2
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hostile_files import run_within

from geoaccess import bounded_zip, defaults
from geoaccess.errors import BadInput
from geoaccess.roads.osm import OsmFileError, build_osm_networks, read_osm
from geoaccess.transit.cif import CifError, read_cif
from geoaccess.transit.gtfs import GtfsError, read_gtfs

FIXTURES = Path(__file__).parents[1] / "fixtures"
FEED = FIXTURES / "gtfs" / "two_lines"
CIF = FIXTURES / "cif" / "small.cif"
TOWN = FIXTURES / "osm" / "town.osm"
STATIONS = pd.DataFrame(
    {
        "tiploc": ["CARLILE", "DLSTON", "WIGTON"],
        "name": ["Carlisle", "Dalston", "Wigton"],
        "lon": [-2.933, -3.017, -3.161],
        "lat": [54.891, 54.844, 54.823],
    }
)
SECONDS = 10.0
SECRET = "SECRET-FEED-TEXT"  # a file's content, which no refusal may repeat
MB = 1024 * 1024


def assert_refused(call: Callable[[], object], kind: type[BadInput], name: str, *words: str) -> str:
    """``call()`` raises a one-line ``kind`` naming the file ``name`` and each of ``words``, within SECONDS."""
    result, error, took = run_within(call, SECONDS)
    assert result is None, f"{name} was read, not refused"
    assert isinstance(error, kind), f"{name}: expected {kind.__name__}, got {error!r}"
    message = str(error)
    assert took < SECONDS
    assert "\n" not in message and name in message, message
    assert SECRET not in message
    for word in ("limit", *words):
        assert word in message, message
    return message


def feed_zip(path: Path, extra: Callable[[zipfile.ZipFile], None] | None = None) -> Path:
    """The fixture feed zipped (so that without the limits it would load), plus ``extra`` members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(FEED.iterdir()):
            archive.write(file, file.name)
        if extra is not None:
            extra(archive)
    return path


def declare_size(path: Path, member: str, size: int) -> Path:
    """Rewrite the uncompressed size the zip's central directory declares for ``member``."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length] == member.encode():
            struct.pack_into("<L", data, at + 24, size)
            path.write_bytes(bytes(data))
            return path
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in {path.name}")


# --- GTFS ----------------------------------------------------------------------------------------


def test_gtfs_zip_bomb_member_is_refused_before_it_is_unpacked(tmp_path):
    """stop_times.txt of 200 MB of one repeated row, compressed to a few hundred KB."""
    row = f"T1,08:00:00,08:00:00,{SECRET},1\n".encode()
    block = row * (MB // len(row))

    def bomb(archive: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("extra/stop_times.txt")  # deeper: replaces the real stop_times.txt
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            member.write(b"trip_id,arrival_time,departure_time,stop_id,stop_sequence\n")
            for _ in range(200):
                member.write(block)

    path = feed_zip(tmp_path / "bomb.zip", bomb)
    assert path.stat().st_size < 2 * MB
    assert_refused(lambda: read_gtfs(path), GtfsError, "bomb.zip", f"{defaults.GTFS_MAX_RATIO}:1", "GTFS_MAX_RATIO")


def test_gtfs_zip_declaring_a_huge_member_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "GTFS_MAX_UNCOMPRESSED_BYTES", 1024**3)
    path = declare_size(feed_zip(tmp_path / "declared.zip"), "stop_times.txt", 3 * 1024**3)
    assert_refused(lambda: read_gtfs(path), GtfsError, "declared.zip", "1,073,741,824 bytes", "GTFS_MAX_UNCOMPRESSED")


def test_gtfs_zip_whose_members_together_unpack_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "GTFS_MAX_UNCOMPRESSED_BYTES", 1000)  # each fixture file is under 500 bytes
    path = feed_zip(tmp_path / "total.zip")
    message = assert_refused(lambda: read_gtfs(path), GtfsError, "total.zip", "1,000 bytes")
    assert "together" in message


def test_gtfs_zip_with_too_many_members_is_refused(tmp_path):
    def many(archive: zipfile.ZipFile) -> None:
        for number in range(5000):
            archive.writestr(f"extra/{number}.txt", b"")

    path = feed_zip(tmp_path / "members.zip", many)
    assert_refused(lambda: read_gtfs(path), GtfsError, "members.zip", "1,000 members", "GTFS_MAX_MEMBERS")


def test_gtfs_zip_directory_too_large_for_the_member_limit_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "GTFS_MAX_MEMBERS", 20)

    def long_names(archive: zipfile.ZipFile) -> None:
        for number in range(5):
            archive.writestr(f"{number}{'x' * 10_000}.txt", b"")

    path = feed_zip(tmp_path / "directory.zip", long_names)  # 15 members, a 50 KB directory

    def unparsed(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile parsed the directory")

    monkeypatch.setattr(bounded_zip.zipfile, "ZipFile", unparsed)
    assert_refused(lambda: read_gtfs(path), GtfsError, "directory.zip", "20 members")


def test_gtfs_zip_larger_than_the_file_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "GTFS_MAX_ZIP_BYTES", 1000)
    path = feed_zip(tmp_path / "large.zip")
    assert_refused(lambda: read_gtfs(path), GtfsError, "large.zip", "1,000 bytes", "GTFS_MAX_ZIP_BYTES")


def test_gtfs_folder_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "GTFS_MAX_UNCOMPRESSED_BYTES", 1000)
    folder = shutil.copytree(FEED, tmp_path / "folder_feed")
    assert_refused(lambda: read_gtfs(folder), GtfsError, "folder_feed", "1,000 bytes", "GTFS_MAX_UNCOMPRESSED")


def test_gtfs_file_with_an_endless_header_line_is_refused(tmp_path):
    folder = shutil.copytree(FEED, tmp_path / "header_feed")
    (folder / "stops.txt").write_text("stop_id," + SECRET * (MB // len(SECRET)), encoding="utf-8")
    assert_refused(lambda: read_gtfs(folder), GtfsError, "header_feed", "stops.txt", "GTFS_MAX_HEADER_BYTES")


def test_gtfs_file_naming_too_many_columns_is_refused(tmp_path):
    folder = shutil.copytree(FEED, tmp_path / "columns_feed")
    header = ",".join(f"c{number}" for number in range(5000))
    (folder / "trips.txt").write_text(f"route_id,service_id,trip_id,{header}\n", encoding="utf-8")
    assert_refused(lambda: read_gtfs(folder), GtfsError, "columns_feed", "trips.txt", "500 columns")


# --- CIF -----------------------------------------------------------------------------------------


def test_cif_with_a_10_mb_line_is_refused(tmp_path):
    path = tmp_path / "long_line.cif"
    header = CIF.read_text(encoding="latin-1").splitlines()[0]
    path.write_text(f"{header}\nBS{SECRET * (10 * MB // len(SECRET))}\n", encoding="latin-1")
    message = assert_refused(
        lambda: read_cif(path, STATIONS), CifError, "long_line.cif", "1,000 characters", "CIF_MAX_LINE_CHARS"
    )
    assert "line 2" in message


def test_cif_larger_than_the_file_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "CIF_MAX_FILE_BYTES", 1000)
    path = Path(shutil.copy(CIF, tmp_path / "large.cif"))
    assert_refused(lambda: read_cif(path, STATIONS), CifError, "large.cif", "1,000 bytes", "CIF_MAX_FILE_BYTES")


# --- OpenStreetMap -------------------------------------------------------------------------------


def test_osm_bz2_xml_bomb_is_refused_while_it_streams(tmp_path):
    """200 MB of XML (whitespace inside the <osm> element) compressed to a few hundred bytes."""
    path = tmp_path / "bomb.osm.bz2"
    compressor = bz2.BZ2Compressor()
    parts = [f'<?xml version="1.0"?>\n<osm version="0.6"><!-- {SECRET} -->'.encode()]
    parts += [compressor.compress(b" " * 10 * MB) for _ in range(20)]
    path.write_bytes(bz2.compress(parts[0]) + b"".join(parts[1:]) + compressor.flush() + bz2.compress(b"</osm>\n"))
    assert path.stat().st_size < MB
    assert_refused(lambda: read_osm(path), OsmFileError, "bomb.osm.bz2", "100:1", "OSM_MAX_XML_RATIO")


def test_osm_bz2_unpacking_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "OSM_MAX_XML_BYTES", 1000)  # the town is 4 KB of XML
    path = tmp_path / "town.osm.bz2"
    path.write_bytes(bz2.compress(TOWN.read_bytes()))
    assert_refused(lambda: read_osm(path), OsmFileError, "town.osm.bz2", "1,000 bytes", "OSM_MAX_XML_BYTES")


@pytest.mark.parametrize("build", [read_osm, lambda path: build_osm_networks(path, path.parent / "networks")])
def test_osm_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch, build):
    monkeypatch.setattr(defaults, "OSM_MAX_FILE_BYTES", 1000)
    path = Path(shutil.copy(TOWN, tmp_path / "town.osm"))
    assert_refused(lambda: build(path), OsmFileError, "town.osm", "1,000 bytes", "OSM_MAX_FILE_BYTES")


# --- real feeds still load -----------------------------------------------------------------------


def test_normal_feeds_still_load(tmp_path):
    for source in (FEED, feed_zip(tmp_path / "two_lines.zip")):
        timetable, error, _ = run_within(lambda source=source: read_gtfs(source), SECONDS)
        assert error is None, error
        assert len(timetable.trips) > 0  # type: ignore[attr-defined]
    timetable, error, _ = run_within(lambda: read_cif(CIF, STATIONS), SECONDS)
    assert error is None, error
    assert len(timetable.trips) > 0  # type: ignore[attr-defined]
    compressed = tmp_path / "town.osm.bz2"
    compressed.write_bytes(bz2.compress(TOWN.read_bytes()))
    networks, error, _ = run_within(lambda: read_osm(compressed), SECONDS)
    assert error is None, error
    assert set(networks) == {"drive", "walk"}  # type: ignore[call-overload]


def test_limits_leave_room_for_real_scale_data():
    """The North West BODS GTFS (~100 MB zipped, ~1 GB unzipped), a county PBF (100+ MB), a full CIF."""
    assert defaults.GTFS_MAX_ZIP_BYTES >= 10 * 100 * MB
    assert defaults.GTFS_MAX_UNCOMPRESSED_BYTES >= 4 * 1000 * MB
    assert defaults.GTFS_MAX_MEMBERS >= 100 and defaults.GTFS_MAX_RATIO >= 50
    assert defaults.OSM_MAX_FILE_BYTES >= 10 * 100 * MB and defaults.OSM_MAX_XML_BYTES >= 4 * 2000 * MB
    assert defaults.CIF_MAX_FILE_BYTES >= 2 * 700 * MB and defaults.CIF_MAX_LINE_CHARS > 80
