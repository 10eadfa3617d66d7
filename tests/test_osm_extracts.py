"""Real OpenStreetMap extracts: several files joined honestly, the build report, file names and dates.

The extracts in ``tests/data/osm`` are real (see ``tests/data/README.md``): a piece of central
Helsinki and one of Kouvola, 120 km apart. Cut pieces of Helsinki are made here with pyosmium.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import osmium
import pytest
from click.testing import CliRunner

from geoaccess.cli.network import network
from geoaccess.errors import NoRoute
from geoaccess.roads import osm
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.osm import OsmFileError, build_osm_networks, load_osm_network, read_osm
from geoaccess.roads.router import Router

DATA = Path(__file__).parent / "data" / "osm"
HELSINKI = DATA / "helsinki_kamppi.osm.pbf"
KOUVOLA = DATA / "kouvola_osm.pbf"  # a name that does not end .osm.pbf
CUT_LON = 24.9443  # Helsinki's extract spans 24.9352-24.9534 E
WEST_END, EAST_END = (24.9370, 60.1700), (24.9515, 60.1700)  # lon, lat on either side of the cut


@pytest.fixture(scope="module")
def helsinki() -> dict[str, RoadNetwork]:
    return read_osm(HELSINKI)


@pytest.fixture(scope="module")
def far_apart() -> dict[str, RoadNetwork]:
    return read_osm([HELSINKI, KOUVOLA])


def cut(source: Path, target: Path, west: float, east: float, *, complete_ways: bool) -> Path:
    """The part of ``source`` between two longitudes, written with pyosmium.

    ``complete_ways`` keeps every node of a way with a node inside (as Geofabrik cuts its extracts);
    otherwise only the nodes inside are kept and ways crossing the edge lose the rest (osmium's
    "simple" strategy).
    """
    inside = {
        node.id
        for node in osmium.FileProcessor(str(source), osmium.osm.NODE)
        if node.location.valid() and west <= node.location.lon <= east
    }
    wanted = set(inside)
    if complete_ways:
        for way in osmium.FileProcessor(str(source), osmium.osm.WAY):
            refs = [node.ref for node in way.nodes]
            if inside.intersection(refs):
                wanted.update(refs)
    with osmium.SimpleWriter(str(target)) as writer:
        for entity in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(entity, osmium.osm.Node):
                if entity.id in wanted:
                    writer.add_node(entity)
            elif any(node.ref in inside for node in entity.nodes):
                writer.add_way(entity)
    return target


def route_seconds(net: RoadNetwork) -> float:
    return Router(net).route(WEST_END, EAST_END).seconds


# --- several extracts --------------------------------------------------------------------


@pytest.mark.slow
def test_a_far_away_extract_is_kept_as_its_own_component(far_apart, helsinki):
    drive = far_apart["drive"]
    report = drive.report
    kept = report["components"]["kept"]
    assert [c["files"] for c in kept] == [[HELSINKI.name], [KOUVOLA.name]]
    assert kept[0]["nodes"] == len(helsinki["drive"].nodes)  # Helsinki is as it is alone
    assert kept[1]["nodes"] >= osm.MIN_COMPONENT_NODES
    assert len(drive.nodes) == kept[0]["nodes"] + kept[1]["nodes"] == report["nodes_kept"]
    files = {entry["file"]: entry for entry in report["files"]}
    assert files[KOUVOLA.name]["nodes_kept"] == kept[1]["nodes"]
    for entry in files.values():
        assert entry["nodes_read"] >= entry["mode_nodes"] >= entry["nodes_kept"] > 0
        assert entry["mode_nodes"] == entry["nodes_kept"] + entry["nodes_in_dropped_components"]
    # every step says what it dropped, and they add up
    steps = {step["step"]: step["dropped"] for step in report["steps"]}
    assert report["nodes_read"] - sum(steps.values()) == report["nodes_kept"]
    assert steps["simplification"] == 0 and steps["small_components"] > 0
    dropped = report["components"]["dropped"]
    assert dropped["nodes"] == steps["small_components"]
    assert all(c["nodes"] < osm.MIN_COMPONENT_NODES and c["files"] for c in dropped["largest"])


@pytest.mark.slow
def test_routing_between_far_apart_components_is_no_route(far_apart):
    router = Router(far_apart["walk"])
    kouvola = (26.95, 60.53)
    assert np.isfinite(router.route((26.94, 60.525), kouvola).seconds)
    with pytest.raises(NoRoute, match="do not connect") as caught:
        router.route(WEST_END, kouvola)
    assert caught.value.exit_code == 3
    matrix = router.many_to_many(np.array([WEST_END]), np.array([kouvola, EAST_END]))
    assert np.isinf(matrix.seconds[0, 0]) and np.isfinite(matrix.seconds[0, 1])


@pytest.mark.slow
def test_a_small_far_away_extract_keeps_its_largest_component(tmp_path, helsinki):
    # a sliver of Kouvola: far smaller than the rule's minimum, yet its own main network is kept
    sliver = cut(KOUVOLA, tmp_path / "sliver.osm.pbf", 26.948, 26.952, complete_ways=False)
    both = read_osm([HELSINKI, sliver], ["drive"])["drive"]
    kept = both.report["components"]["kept"]
    assert [c["files"] for c in kept] == [[HELSINKI.name], ["sliver.osm.pbf"]]
    assert 2 <= kept[1]["nodes"] < osm.MIN_COMPONENT_NODES
    assert len(both.nodes) == len(helsinki["drive"].nodes) + kept[1]["nodes"]


@pytest.mark.slow
@pytest.mark.parametrize("complete_ways", [True, False], ids=["complete-ways", "simple-cut"])
def test_neighbouring_pieces_join_and_match_the_whole_file(tmp_path, helsinki, complete_ways):
    west = cut(HELSINKI, tmp_path / "west.osm.pbf", 24.9300, CUT_LON + 0.002, complete_ways=complete_ways)
    east = cut(HELSINKI, tmp_path / "east.osm.pbf", CUT_LON - 0.002, 24.9600, complete_ways=complete_ways)
    joined = read_osm([west, east])
    for mode in ("drive", "walk"):
        report = joined[mode].report
        kept = report["components"]["kept"]
        assert kept[0]["files"] == ["west.osm.pbf", "east.osm.pbf"]  # one component from both
        whole = helsinki[mode]
        if complete_ways:  # nothing is lost at the cut: the very same network
            assert len(kept) == 1
            assert set(joined[mode].nodes["node_id"]) == set(whole.nodes["node_id"])
            assert len(joined[mode].edges) == len(whole.edges)
            assert route_seconds(joined[mode]) == pytest.approx(route_seconds(whole), rel=1e-9)
        else:  # segments crossing the overlap whole are lost, pieces on both sides join
            assert np.isfinite(route_seconds(joined[mode]))
            assert route_seconds(joined[mode]) == pytest.approx(route_seconds(whole), rel=0.05)


@pytest.mark.slow
def test_cli_prints_the_join_report(tmp_path):
    out = tmp_path / "net"
    args = ["build", "--osm", str(HELSINKI), "--osm", str(KOUVOLA), "--out", str(out), "--mode", "drive"]
    result = CliRunner().invoke(network, args)
    assert result.exit_code == 0, result.output
    assert "components kept" in result.stdout and f"({KOUVOLA.name})" in result.stdout
    assert f"{KOUVOLA.name}: " in result.stdout and "in components dropped by the component rule" in result.stdout
    meta = json.loads((out / "drive" / "network.json").read_text(encoding="utf-8"))
    assert len(meta["build_report"]["components"]["kept"]) == 2
    assert load_osm_network(out, "drive").report == meta["build_report"]  # kept beside the network
    again = CliRunner().invoke(network, [*args, "--json"])
    payload = json.loads(again.stdout)
    assert payload["networks"][0]["reused"] is True
    assert payload["networks"][0]["report"] == meta["build_report"]


# --- names, formats and dates ------------------------------------------------------------


def test_any_pbf_name_is_accepted(tmp_path):
    drive = build_osm_networks(KOUVOLA, tmp_path / "net", ["drive"])["drive"]
    assert drive.provenance["source"] == "kouvola_osm.pbf"
    plain = tmp_path / "kouvola.pbf"
    plain.write_bytes(KOUVOLA.read_bytes())
    assert len(read_osm(plain, ["drive"])["drive"].nodes) == len(drive.nodes)


def test_content_decides_and_must_agree_with_the_name(tmp_path):
    page = tmp_path / "download.osm.pbf"
    page.write_bytes(b"<!DOCTYPE html><html><body>Rate limited</body></html>")
    with pytest.raises(OsmFileError, match=r"^cannot read download\.osm\.pbf: its content is not OpenStreetMap data"):
        read_osm(page)
    xml_named_pbf = tmp_path / "town.pbf"
    xml_named_pbf.write_bytes((Path(__file__).parent / "fixtures" / "osm" / "town.osm").read_bytes())
    with pytest.raises(OsmFileError, match=r"PBF expected from its name, but its content is OSM XML; rename it"):
        read_osm(xml_named_pbf)
    pbf_named_osm = tmp_path / "kouvola.osm"
    pbf_named_osm.write_bytes(KOUVOLA.read_bytes())
    with pytest.raises(OsmFileError, match=r"content is PBF; rename it to end \.pbf") as caught:
        read_osm(pbf_named_osm)
    assert "\n" not in str(caught.value)


def test_the_date_comes_from_the_data_never_passed_off_from_the_file(tmp_path):
    provenance = read_osm(KOUVOLA, ["walk"])["walk"].provenance
    assert (provenance["date"], provenance["date_basis"]) == ("2019-01-23T19:21:14Z", "newest road's edit timestamp")

    stamped = tmp_path / "stamped.pbf"
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2026-11-01T00:00:00Z")
    with osmium.SimpleWriter(str(stamped), header=header) as writer:
        for entity in osmium.FileProcessor(str(KOUVOLA), osmium.osm.NODE | osmium.osm.WAY):
            writer.add(entity)
    provenance = read_osm(stamped, ["walk"])["walk"].provenance
    assert (provenance["date"], provenance["date_basis"]) == (
        "2026-11-01T00:00:00Z",
        "osmosis_replication_timestamp in the file header",
    )

    bare = tmp_path / "bare.pbf"  # no timestamp anywhere in the data
    with osmium.SimpleWriter(str(bare)) as writer:
        for entity in osmium.FileProcessor(str(KOUVOLA), osmium.osm.NODE | osmium.osm.WAY):
            writer.add(entity.replace(timestamp=datetime(1970, 1, 1, tzinfo=UTC)))
    os.utime(bare, (1_700_000_000, 1_700_000_000))
    provenance = read_osm(bare, ["walk"])["walk"].provenance
    assert provenance["date"] == "file date (no timestamp in the data): 2023-11-14T22:13:20Z"
    assert provenance["date_basis"] == "file modification time"
    result = CliRunner().invoke(network, ["build", "--osm", str(bare), "--out", str(tmp_path / "n"), "--mode", "walk"])
    assert "(file date (no timestamp in the data): 2023-11-14T22:13:20Z)" in result.stdout
    assert "OpenStreetMap data of" not in result.stdout
