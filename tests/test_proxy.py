"""The offline proxy road network: on land, connected, calibrated and honest about it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geoaccess.geocode import geocode
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.proxy import (
    BRIDGE_MAX_M,
    CORRIDOR_M,
    ProxyParameters,
    proxy_links,
    proxy_network,
)
from geoaccess.roads.router import Router


@pytest.fixture(scope="module")
def drive(pack) -> RoadNetwork:
    return RoadNetwork.load(pack.path / "roads" / "proxy-drive")


@pytest.fixture(scope="module")
def router(drive) -> Router:
    return Router(drive)


def test_proxy_says_it_is_modelled_and_gives_its_measured_error(drive):
    provenance = drive.provenance
    assert provenance["network"] == "proxy" and provenance["modelled"] is True
    calibration = provenance["calibration"]
    assert calibration["pairs"] > 500
    assert calibration["median_abs_pct_error"] <= 10.0  # of the printed minutes, measured on held-out pairs
    assert {band["band_km"] for band in calibration["bands"]} >= {"0-10", "10-25", "25-50", "50-100"}
    assert calibration["relation"].startswith("printed minutes =") and calibration["scale"] > 1
    assert drive.time_calibration is not None


def test_walk_proxy_says_it_is_not_calibrated(pack):
    walk = RoadNetwork.load(pack.path / "roads" / "proxy-walk")
    assert walk.provenance["modelled"] is True and walk.provenance["calibration"] is None
    assert np.allclose(walk.edges["speed_kph"], 4.8)


def test_proxy_follows_osmnx_conventions(drive):
    graph = RoadNetwork(
        mode="drive",
        nodes=drive.nodes.head(200),
        edges=drive.edges[drive.edges["u"].isin(range(200)) & drive.edges["v"].isin(range(200))],
        provenance=drive.provenance,
    ).to_graph()
    u, v, data = next(iter(graph.edges(data=True)))
    assert {"length", "speed_kph", "travel_time"} <= set(data)
    assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))
    assert {"x", "y"} <= set(graph.nodes[u])


def _route_km(router, a: str, b: str, pack) -> float:
    start, end = geocode(a, pack), geocode(b, pack)
    return router.route((start.lon, start.lat), (end.lon, end.lat)).metres / 1000


def test_no_link_crosses_morecambe_bay(router, pack):
    # Grange-over-Sands to Morecambe: about 14 km straight across the bay, far more by road.
    assert _route_km(router, "LA11 6DP", "LA4 4AS", pack) > 35


def test_walney_island_is_joined_by_its_bridge(router, pack):
    # Walney Island postcodes reach Barrow town centre over a short bridge link.
    assert _route_km(router, "LA14 3NS", "LA14 1RP", pack) < 12


def test_links_stay_on_land_except_short_bridges(drive, pack):
    land = shapely.buffer(pack.land.to_crs(drive.crs).geometry.iloc[0], 60)
    xy = drive.xy_metric
    rows, cols = drive.edge_index
    sample = np.random.default_rng(3).choice(len(rows), 5000, replace=False)
    lines = shapely.linestrings(np.stack([xy[rows[sample]], xy[cols[sample]]], axis=1))
    bridge = drive.edges["label"].to_numpy()[sample] == "link assumed across water"
    on_land = shapely.covered_by(lines, land)
    assert on_land[~bridge].all()
    level_0_circuity = drive.provenance["parameters"]["circuity"][0]  # bridges join parts at level 0
    assert (shapely.length(lines[bridge]) <= BRIDGE_MAX_M * level_0_circuity).all()


# --- the construction rules on a small made-up coast ---------------------------------------


def _points(xy_m: list[tuple[float, float]]) -> pd.DataFrame:
    from geoaccess.geometry import to_wgs84

    lonlat = [to_wgs84(330000 + x, 540000 + y) for x, y in xy_m]
    return pd.DataFrame({"x": [p[0] for p in lonlat], "y": [p[1] for p in lonlat], "kind": "stop", "label": None})


def _land(*boxes: tuple[float, float, float, float]) -> shapely.Geometry:
    return shapely.union_all([shapely.box(330000 + a, 540000 + b, 330000 + c, 540000 + d) for a, b, c, d in boxes])


def _row_pairs(links) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in zip(links.pairs["a"], links.pairs["b"], strict=True)}


def test_water_wider_than_a_bridge_splits_and_the_smaller_part_is_dropped():
    left = [(x, y) for x in range(0, 2000, 400) for y in range(0, 2000, 400)]
    right = [(x + 5000, y) for x, y in left[:6]]
    links = proxy_links(_points(left + right), _land((-100, -100, 2100, 2100), (4900, -100, 7100, 2100)))
    assert len(links.points) == len(left)  # the island 3 km away is not joined
    assert links.dropped_points == 6
    assert not links.pairs["bridge"].any()


def test_a_short_gap_is_bridged():
    left = [(x, y) for x in range(0, 2000, 400) for y in range(0, 2000, 400)]
    right = [(x + 2900, y) for x, y in left]
    links = proxy_links(_points(left + right), _land((-100, -100, 2100, 2100), (2800, -100, 4800, 2100)))
    assert len(links.points) == 2 * len(left)
    assert links.pairs["bridge"].sum() >= 1
    assert links.pairs.loc[links.pairs["bridge"], "straight_m"].max() <= BRIDGE_MAX_M


def test_no_link_crosses_empty_country():
    # Two villages 6 km apart on a land bridge with nobody in between: only a join link, no shortcut
    # through empty country is added beyond the one needed to connect them.
    west = [(x, y) for x in range(0, 600, 150) for y in range(0, 600, 150)]
    east = [(x + 6000, y) for x, y in west]
    links = proxy_links(_points(west + east), _land((-100, -100, 6700, 700)))
    long = links.pairs[links.pairs["straight_m"] > 2 * CORRIDOR_M]
    assert len(long) == 1  # the single link joining the two parts


def test_speeds_follow_levels_and_walking_is_flat():
    left = [(x, y) for x in range(0, 3000, 300) for y in range(0, 3000, 300)]
    links = proxy_links(_points(left), _land((-100, -100, 3100, 3100)))
    params = ProxyParameters(circuity=(1.25, 1.2, 1.1, 1.05), level_kph=(30.0, 50.0, 70.0, 90.0))
    drive = proxy_network(links, params, "drive", {"network": "proxy"})
    walk = proxy_network(links, params, "walk", {"network": "proxy"})
    assert set(drive.edges["speed_kph"]) <= {30.0, 50.0, 70.0, 90.0}
    assert np.allclose(walk.edges["speed_kph"], 4.8)
    assert np.allclose(drive.edges["length"].sum(), walk.edges["length"].sum())
    by_level = links.pairs.groupby("level")["straight_m"].sum()
    expected = sum(by_level.get(level, 0.0) * c for level, c in enumerate(params.circuity))
    assert drive.edges["length"].sum() == pytest.approx(2 * expected)
