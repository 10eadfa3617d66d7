"""OpenStreetMap networks: filters, one-way streets, speeds, formats, cache and bad files.

The fixture ``tests/fixtures/osm/town.osm`` is drawn in its header comment.
"""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.sparse import csgraph

from geoaccess.cli import network as commands
from geoaccess.cli.network import network
from geoaccess.roads import osm
from geoaccess.roads.network import META_NAME, MODES, RoadNetwork
from geoaccess.roads.osm import OsmFileError, build_osm_networks, load_osm_network, read_osm
from geoaccess.roads.speeds import MPH, drive_speed_kph, parse_maxspeed

TOWN = Path(__file__).parent / "fixtures" / "osm" / "town.osm"
PBF_STAMP = "2026-10-02T20:21:22Z"


@pytest.fixture(scope="module")
def town() -> dict[str, RoadNetwork]:
    return read_osm(TOWN)


def node_ids(net: RoadNetwork) -> set[int]:
    return set(net.nodes["node_id"].tolist())


def has_edge(net: RoadNetwork, u: int, v: int) -> bool:
    return bool(((net.edges["u"] == u) & (net.edges["v"] == v)).any())


def seconds(net: RoadNetwork, u: int, v: int) -> float:
    """Quickest time from node u to node v."""
    index = net.index_of
    times = csgraph.dijkstra(net.csr(), indices=index[u])
    return float(times[index[v]])


def write_pbf(source: Path, target: Path) -> Path:
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", PBF_STAMP)
    with osmium.SimpleWriter(str(target), header=header) as writer:
        for entity in osmium.FileProcessor(str(source)):
            writer.add(entity)
    return target


# --- the graph ---------------------------------------------------------------------------


def test_one_way_street_is_one_way_for_cars_only(town):
    drive, walk = town["drive"], town["walk"]
    assert has_edge(drive, 2, 5) and not has_edge(drive, 5, 2)
    assert seconds(drive, 5, 2) > 1.5 * seconds(drive, 2, 5)  # back round the block
    assert has_edge(walk, 2, 5) and has_edge(walk, 5, 2)


def test_each_mode_keeps_only_its_ways(town):
    drive, walk = node_ids(town["drive"]), node_ids(town["walk"])
    assert 22 in walk and 22 not in drive  # footway
    assert 51 in walk and 51 not in drive  # access=private, foot=yes
    assert 15 in drive and 15 not in walk  # trunk with foot=no
    for nodes in (drive, walk):
        assert 30 not in nodes  # railway
        assert 50 not in nodes  # access=private
        assert not nodes & {40, 41, 42}  # island: not strongly connected
    assert not has_edge(town["drive"], 4, 6) and not has_edge(town["walk"], 4, 6)


def test_every_node_reaches_every_other(town):
    for net in town.values():
        times = csgraph.dijkstra(net.csr())
        assert np.isfinite(times).all()


def test_speeds_follow_class_defaults_and_lower_limits(town):
    speeds = town["drive"].edges.groupby("label")["speed_kph"].unique()
    assert speeds["A595"].tolist() == [43.2]  # primary, 30 mph limit above its average
    assert speeds["Fell Road"].tolist() == [41.9]  # secondary, national limit
    assert speeds["School Lane"].tolist() == [20 * MPH]  # tertiary, 20 mph limit below 36.3
    assert speeds["Mill Street"].tolist() == [18.3]  # residential, no limit
    assert (town["walk"].edges["speed_kph"] == 4.8).all()


def test_travel_time_is_length_over_speed(town):
    for net in town.values():
        edges = net.edges
        assert np.allclose(edges["travel_time"], edges["length"] / edges["speed_kph"] * 3.6, rtol=1e-12)
        assert (edges["length"] > 0).all()


def test_each_segment_keeps_its_own_speed(tmp_path):
    # a street whose two halves have different limits: the graph is not simplified, so each keeps its own
    text = (
        TOWN.read_text(encoding="utf-8")
        .replace(
            '<nd ref="3"/><nd ref="10"/><nd ref="11"/>',
            '<nd ref="3"/><nd ref="10"/>',
        )
        .replace(
            '<way id="202">',
            '<way id="205"><nd ref="10"/><nd ref="11"/><tag k="highway" v="primary"/>'
            '<tag k="ref" v="A595"/><tag k="maxspeed" v="10 mph"/></way>\n  <way id="202">',
        )
    )
    assert text.count('k="maxspeed" v="10 mph"') == 1
    source = tmp_path / "split.osm"
    source.write_text(text, encoding="utf-8")
    edges = read_osm(source, ["drive"])["drive"].edges.set_index(["u", "v"])
    assert edges.loc[(3, 10), "speed_kph"] == pytest.approx(43.2)  # A road default, under its 30 mph limit
    assert edges.loc[(10, 11), "speed_kph"] == pytest.approx(10 * MPH)
    for pair in [(3, 10), (10, 11)]:
        segment = edges.loc[pair]
        assert segment["travel_time"] == pytest.approx(segment["length"] / segment["speed_kph"] * 3.6)


def test_provenance(town):
    provenance = town["drive"].provenance
    assert provenance["network"] == "osm" and provenance["modelled"] is False
    assert provenance["source"] == "town.osm"
    assert provenance["date"] == "2026-10-01T12:00:00Z"
    assert provenance["date_basis"] == "timestamp of the <osm> element"
    assert len(provenance["sha256"]) == 64


# --- formats -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def formats(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    compressed = folder / "town.osm.bz2"
    compressed.write_bytes(bz2.compress(TOWN.read_bytes()))
    return {"bz2": compressed, "pbf": write_pbf(TOWN, folder / "town.osm.pbf")}


@pytest.mark.parametrize("kind", ["bz2", "pbf"])
def test_every_format_gives_the_same_network(town, formats, kind):
    other = read_osm(formats[kind])
    for mode in MODES:
        pd.testing.assert_frame_equal(other[mode].nodes, town[mode].nodes)
        pd.testing.assert_frame_equal(other[mode].edges, town[mode].edges)


def test_pbf_date_comes_from_its_header(formats):
    provenance = read_osm(formats["pbf"], ["walk"])["walk"].provenance
    assert provenance["date"] == PBF_STAMP
    assert provenance["source"] == "town.osm.pbf"


def test_date_falls_back_to_the_newest_road_then_the_file_time(tmp_path):
    source = tmp_path / "plain.osm"
    source.write_text(
        TOWN.read_text(encoding="utf-8").replace(' timestamp="2026-10-01T12:00:00Z"', ""), encoding="utf-8"
    )
    assert read_osm(source, ["drive"])["drive"].provenance["date"] == "2026-09-30T08:00:00Z"
    source.write_text(
        source.read_text(encoding="utf-8").replace(' timestamp="2026-09-30T08:00:00Z"', ""), encoding="utf-8"
    )
    provenance = read_osm(source, ["drive"])["drive"].provenance
    assert provenance["date_basis"] == "file modification time"


def test_missing_nodes_split_a_way_instead_of_joining_across_the_gap(tmp_path):
    # a ring road 1-2-3-4-5-6-1 whose node 4 the file lacks: what is left is the road 3-2-1-6-5
    spots = {1: (54.0, -3.0), 2: (54.0, -2.999), 3: (54.001, -2.999), 5: (54.002, -3.0), 6: (54.001, -3.0)}
    nodes = "".join(f'<node id="{i}" lat="{lat}" lon="{lon}"/>' for i, (lat, lon) in spots.items())
    refs = "".join(f'<nd ref="{i}"/>' for i in (1, 2, 3, 4, 5, 6, 1))
    source = tmp_path / "cut.osm"
    source.write_text(
        f'<osm version="0.6">{nodes}<way id="7">{refs}<tag k="highway" v="residential"/></way></osm>', encoding="utf-8"
    )
    drive = read_osm(source, ["drive"])["drive"]
    assert node_ids(drive) == {1, 2, 3, 5, 6}
    pairs = {(u, v) for u, v in zip(drive.edges["u"], drive.edges["v"], strict=True)}
    assert (3, 5) not in pairs and (5, 3) not in pairs  # nothing joins across the missing node
    along = sum(ox.distance.great_circle(*spots[a], *spots[b]) for a, b in [(3, 2), (2, 1), (1, 6), (6, 5)])
    assert drive.edges["length"].sum() == pytest.approx(2 * along)


def test_motorways_are_one_way_unless_tagged_and_not_walkable():
    assert osm.direction("drive", {"highway": "motorway"}) == 1
    assert osm.direction("drive", {"highway": "motorway", "oneway": "no"}) == 0
    assert osm.direction("drive", {"highway": "primary"}) == 0
    assert osm.direction("drive", {"highway": "primary", "oneway": "-1"}) == -1
    assert osm.direction("drive", {"highway": "primary", "junction": "roundabout"}) == 1
    assert osm.direction("walk", {"highway": "primary", "oneway": "yes"}) == 0
    assert not osm.allows("walk", {"highway": "motorway"})
    assert osm.allows("walk", {"highway": "trunk"})
    assert not osm.allows("drive", {"highway": "footway"})
    assert not osm.allows("drive", {"highway": "residential", "access": "yes", "motor_vehicle": "no"})
    assert osm.allows("drive", {"highway": "residential", "access": "no", "motorcar": "yes"})
    assert not osm.allows("walk", {"highway": "pedestrian", "area": "yes"})


# --- speeds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "kph"),
    [
        ("30 mph", 48.28032),
        ("30mph", 48.28032),
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("national", 96.56064),
        ("GB:nsl_single", 96.56064),
        ("GB:nsl_dual", 112.65408),
        ("GB:motorway", 112.65408),
        ("UK:nsl_single", 96.56064),
        ("GB:zone20", 32.18688),
        ("walk", 4.8),
        ("30 mph;40 mph", 48.28032),
        ("none", None),
        ("signals", None),
        ("variable", None),
        ("0", None),
        ("fast", None),
        (None, None),
    ],
)
def test_parse_maxspeed(tag, kph):
    result = parse_maxspeed(tag)
    assert result == (None if kph is None else pytest.approx(kph))


def test_drive_speed_rules():
    assert drive_speed_kph("motorway", "70 mph") == 77.6
    assert drive_speed_kph("motorway_link") == 77.6
    assert drive_speed_kph("trunk_link", "national") == 43.2
    assert drive_speed_kph("living_street", "10 mph") == pytest.approx(16.09344)
    with pytest.raises(ValueError, match="footway"):
        drive_speed_kph("footway")


# --- cache -------------------------------------------------------------------------------


def test_cache_is_reused_while_the_file_is_unchanged(tmp_path):
    source = tmp_path / "town.osm"
    source.write_bytes(TOWN.read_bytes())
    out = tmp_path / "net"
    first = build_osm_networks(source, out)
    stamps = {mode: (out / mode / "edges.parquet").stat().st_mtime_ns for mode in MODES}
    second = build_osm_networks(source, out)
    assert {mode: (out / mode / "edges.parquet").stat().st_mtime_ns for mode in MODES} == stamps
    assert second["drive"].provenance == first["drive"].provenance
    pd.testing.assert_frame_equal(load_osm_network(out, "walk").edges, first["walk"].edges)

    source.write_bytes(TOWN.read_bytes().replace(b"Fell Road", b"Fell Lane"))
    third = build_osm_networks(source, out, ["drive"])
    assert (out / "drive" / "edges.parquet").stat().st_mtime_ns != stamps["drive"]
    assert (out / "walk" / "edges.parquet").stat().st_mtime_ns == stamps["walk"]
    assert third["drive"].provenance["sha256"] != first["drive"].provenance["sha256"]


def test_a_damaged_cache_is_rebuilt(tmp_path):
    out = tmp_path / "net"
    build_osm_networks(TOWN, out, ["walk"])
    (out / "walk" / "edges.parquet").write_bytes(b"not parquet")
    rebuilt = build_osm_networks(TOWN, out, ["walk"])
    pd.testing.assert_frame_equal(load_osm_network(out, "walk").edges, rebuilt["walk"].edges)


# --- bad input ---------------------------------------------------------------------------


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    text = TOWN.read_bytes()
    no_roads = text.replace(b'k="highway"', b'k="building"')
    no_nodes = b"\n".join(line for line in text.splitlines() if b"<node " not in line)
    pbf = write_pbf(TOWN, folder / "good.osm.pbf").read_bytes()
    files = {
        "malformed.osm": (b"<osm><way id='1'><nd ref='1'></osm>", "cannot read malformed.osm"),
        "truncated.osm": (text[: len(text) // 2], "cannot read truncated.osm"),
        "notbz2.osm.bz2": (text, "cannot read notbz2.osm.bz2: bzip2"),
        "truncated.osm.bz2": (bz2.compress(text)[:300], "cannot read truncated.osm.bz2"),
        "truncated.osm.pbf": (pbf[: len(pbf) // 2], "cannot read truncated.osm.pbf"),
        "empty.osm": (b"", "cannot read empty.osm"),
        "noroads.osm": (no_roads, "noroads.osm has no roads or paths"),
        "nonodes.osm": (no_nodes, "nonodes.osm has no drive roads with their nodes"),
        "oneway.osm": (
            b'<osm version="0.6"><node id="1" lat="54" lon="-3"/><node id="2" lat="54.001"'
            b' lon="-3"/><way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/>'
            b'<tag k="oneway" v="yes"/></way></osm>',
            "oneway.osm has no connected drive network",
        ),
        "cumbria.txt": (text, "not an OpenStreetMap file name"),
    }
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content)
    return {name: (folder / name, message) for name, (_, message) in files.items()}


def test_bad_files_are_refused_and_nothing_is_cached(tmp_path):
    for name, (path, message) in _bad_files(tmp_path).items():
        out = tmp_path / f"out-{name}"
        with pytest.raises(OsmFileError, match=message.replace(".", r"\.")):
            build_osm_networks(path, out)
        assert not out.exists(), name


def test_a_failed_build_keeps_the_previous_network(tmp_path):
    out = tmp_path / "net"
    build_osm_networks(TOWN, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    source = tmp_path / "town.osm"  # same name, now damaged
    source.write_bytes(TOWN.read_bytes()[:2000])
    with pytest.raises(OsmFileError):
        build_osm_networks(source, out)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_missing_file_and_unknown_mode(tmp_path):
    with pytest.raises(OsmFileError, match="not found"):
        read_osm(tmp_path / "absent.osm")
    with pytest.raises(osm.BadInput, match="cycle"):
        read_osm(TOWN, ["cycle"])


# --- commands ----------------------------------------------------------------------------


def test_constants_copied_to_keep_the_cli_light_match_the_originals():
    assert commands.MODE_CHOICES == MODES
    assert commands.META_NAME == META_NAME


def test_build_and_info_commands(tmp_path):
    runner = CliRunner()
    out = tmp_path / "net"
    result = runner.invoke(network, ["build", "--osm", str(TOWN), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["out"] == str(out)
    assert {entry["mode"] for entry in payload["networks"]} == set(MODES)
    drive = next(entry for entry in payload["networks"] if entry["mode"] == "drive")
    assert (drive["nodes"], drive["edges"], drive["reused"]) == (15, 36, False)

    again = runner.invoke(network, ["build", "--osm", str(TOWN), "--out", str(out), "--mode", "walk"])
    assert again.exit_code == 0, again.output
    assert "walk: 17 nodes, 42 edges (reused" in again.stdout

    info = runner.invoke(network, ["info", str(out), "--json"])
    assert info.exit_code == 0, info.output
    listed = json.loads(info.stdout)
    assert [entry["mode"] for entry in listed] == ["drive", "walk"]
    assert listed[0]["provenance"]["source"] == "town.osm"
    text = runner.invoke(network, ["info", str(out / "walk")])
    assert "osm walk network (town.osm, 2026-10-01T12:00:00Z)" in text.stdout


def test_commands_report_bad_input_in_one_line(tmp_path):
    broken = tmp_path / "broken.osm"
    broken.write_bytes(b"<osm>")
    result = CliRunner().invoke(network, ["build", "--osm", str(broken), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.startswith("geoaccess: cannot read broken.osm")
    assert len(result.stderr.strip().splitlines()) == 1
    missing = CliRunner().invoke(network, ["info", str(tmp_path / "nothing")])
    assert missing.exit_code == 4


def test_build_saves_under_the_cache_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOACCESS_CACHE", str(tmp_path))
    result = CliRunner().invoke(network, ["build", "--osm", str(TOWN), "--mode", "drive"])
    assert result.exit_code == 0, result.output
    assert f"-> {tmp_path / 'networks' / 'town' / 'drive'}" in result.stdout
    assert load_osm_network(tmp_path / "networks" / "town", "drive").mode == "drive"


def test_neighbouring_extracts_join_into_one_network(tmp_path):
    # An "east" extract that overlaps the town at node 13 and carries the road on from it.
    east = tmp_path / "east.osm"
    east.write_text(
        '<osm version="0.6" timestamp="2026-09-01T00:00:00Z">'
        '<node id="13" lat="54.8900" lon="-2.9150"/><node id="60" lat="54.8900" lon="-2.9120"/>'
        '<node id="61" lat="54.8900" lon="-2.9090"/>'
        '<way id="900"><nd ref="13"/><nd ref="60"/><nd ref="61"/><tag k="highway" v="residential"/></way>'
        "</osm>",
        encoding="utf-8",
    )
    drive = read_osm([TOWN, east], ["drive"])["drive"]
    assert {60, 61} <= node_ids(drive) and 1 in node_ids(drive)
    assert drive.provenance["source"] == "town.osm + east.osm"
    assert drive.provenance["date"] == "2026-09-01T00:00:00Z"  # the older of the two
    assert "east.osm" in drive.provenance["date_basis"]
    result = CliRunner().invoke(
        network, ["build", "--osm", str(TOWN), "--osm", str(east), "--out", str(tmp_path / "both"), "--mode", "drive"]
    )
    assert result.exit_code == 0, result.output
    assert "town.osm + east.osm" in result.stdout
