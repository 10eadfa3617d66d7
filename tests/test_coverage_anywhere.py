"""Issue 12 (items 2, 3, part of 6): a query's area is the area of the data in use.

With a network or timetable of their own, users may ask about places anywhere that data covers, measured
in a projection suited to it (the local UTM zone outside Great Britain); a place the data does not reach is
refused with the distance (exit 3), never answered with a number.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geoaccess.cli.main import main
from geoaccess.defaults import NETWORK_COVERAGE_M, STRAIGHT_WALK_DETOUR, WALK_LIMIT_M
from geoaccess.errors import EXIT_BAD_INPUT, EXIT_NO_ROUTE, NotCovered, OutsideArea
from geoaccess.geometry import BNG, haversine_m, metric_crs_for
from geoaccess.roads.osm import build_osm_networks
from geoaccess.roads.router import StraightLineWalker
from geoaccess.roads.sources import router_for
from geoaccess.services.analysis import Analysis, access, caseload_people
from geoaccess.services.journeys import journey, place_for
from geoaccess.services.roundtrips import CheckRequest, check_session, round_trip_days
from geoaccess.transit.sources import DataChoice
from geoaccess.venues import load_venues

DATA = Path(__file__).parent / "data"
KOUVOLA_OSM = DATA / "osm" / "kouvola_osm.pbf"
GTFS_KIT_SDIST = Path("/tmp/s/sdist/gtfs_kit-13.0.1.tar.gz")
WEST, EAST = "60.530,26.935", "60.522,26.965"  # two ends in the Kouvola extract, 1.8 km apart
CARLISLE = "54.8925,-2.9329"
TIMES_SQUARE, WALL_STREET = "40.7580,-73.9855", "40.7061,-74.0087"
NEWARK_WEST = "40.75,-74.25"  # about 20 km west of the nearest subway stop


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def kouvola(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Drive and walk networks built from the Kouvola extract (as `geoaccess network build` does)."""
    out = tmp_path_factory.mktemp("kouvola")
    build_osm_networks([KOUVOLA_OSM], out, ("drive", "walk"))
    return out


def _feed(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gtfs-kit 13.0.1 sample feed: from tests/data/gtfs, else from its sdist; skipped if neither is here."""
    if (DATA / "gtfs" / name).is_file():
        return DATA / "gtfs" / name
    if not GTFS_KIT_SDIST.is_file():
        pytest.skip(f"{name} is in neither tests/data/gtfs nor {GTFS_KIT_SDIST}")
    out = tmp_path_factory.mktemp("gtfs")
    with tarfile.open(GTFS_KIT_SDIST) as archive:
        member = archive.getmember(f"gtfs_kit-13.0.1/data/{name}")
        source = archive.extractfile(member)
        assert source is not None
        (out / name).write_bytes(source.read())
    return out / name


@pytest.fixture(scope="module")
def nyc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _feed("nyc_subway_gtfs.zip", tmp_path_factory)


# --- roads outside Great Britain -------------------------------------------------------------------


def test_a_car_journey_on_a_foreign_network_is_sensible(kouvola: Path) -> None:
    result = journey(origin=WEST, destination=EAST, venues=[], mode="car", data=DataChoice(network=kouvola))
    straight_km = float(haversine_m(26.935, 60.530, 26.965, 60.522)) / 1000
    assert 1 < result["minutes"] < 20
    assert 1.0 <= result["km"] / straight_km <= 2.5  # a plausible circuity
    assert result["provenance"]["network"] == "osm"
    assert result["from"]["kind"] == "coordinates"


def test_distances_on_a_foreign_network_are_in_its_utm_zone(kouvola: Path) -> None:
    router = router_for("car", kouvola)
    assert router.network.crs == metric_crs_for([[26.95, 60.53]]) == "EPSG:32635"
    lon, lat = 26.95, 60.5305
    snap = router.snap([lon], [lat])
    node = router.network.nodes.iloc[int(snap.node[0])]
    true_gap = float(haversine_m(lon, lat, node["x"], node["y"]))
    assert snap.gap_m[0] == pytest.approx(true_gap, rel=0.005)  # BNG would say ~3% more here


def test_great_britain_keeps_british_national_grid(pack: object) -> None:
    assert metric_crs_for([[-2.93, 54.89], [-3.2, 54.5]]) == BNG
    assert router_for("car").network.crs == BNG


def test_a_cumbrian_place_on_a_foreign_network_is_not_covered(kouvola: Path) -> None:
    with pytest.raises(NotCovered) as caught:
        journey(origin=CARLISLE, destination=EAST, venues=[], mode="car", data=DataChoice(network=kouvola))
    message = str(caught.value)
    assert f"no road of this car network within {NETWORK_COVERAGE_M / 1000:g} km of the origin" in message
    assert "the nearest is 18" in message and "km away" in message  # ~1,860 km
    assert "54.89" not in message and "-2.93" not in message  # never the position


def test_the_cli_exits_3_with_the_reason_and_no_number(kouvola: Path) -> None:
    result = run("journey", "--from", CARLISLE, "--to", EAST, "--mode", "car", "--network", str(kouvola))
    assert result.exit_code == EXIT_NO_ROUTE
    assert "no road of this car network within 5 km of the origin" in result.output
    assert "minutes" not in result.output


def test_the_cli_answers_a_journey_on_a_foreign_network(kouvola: Path) -> None:
    result = run("journey", "--from", WEST, "--to", EAST, "--mode", "car", "--network", str(kouvola), "--json")
    assert result.exit_code == 0, result.output
    assert 1 < json.loads(result.output)["minutes"] < 20


def test_positions_outside_the_pack_still_need_data_of_their_own() -> None:
    with pytest.raises(OutsideArea):
        journey(origin=WEST, destination=EAST, venues=[], mode="car")
    assert run("journey", "--from", WEST, "--to", EAST).exit_code == EXIT_BAD_INPUT


def test_a_postcode_on_a_foreign_network_is_refused_with_the_reason(kouvola: Path) -> None:
    with pytest.raises(NotCovered) as caught:
        journey(origin="CA3 8DR", destination=EAST, venues=[], mode="car", data=DataChoice(network=kouvola))
    message = str(caught.value)
    assert "the origin is a postcode, placed with the data pack" in message
    assert "CA3" not in message


def test_calibrate_refuses_a_network_outside_the_reference_area(kouvola: Path) -> None:
    result = run("network", "calibrate", "--network", str(kouvola / "drive"))
    assert result.exit_code == EXIT_NO_ROUTE
    assert "outside this network's area" in result.output
    assert "median absolute error" not in result.output


# --- timetables outside Great Britain --------------------------------------------------------------


def test_a_home_far_from_every_stop_is_not_covered(nyc: Path) -> None:
    with pytest.raises(NotCovered) as caught:
        round_trip_days(
            home=NEWARK_WEST,
            place=place_for(WALL_STREET, [], DataChoice(gtfs=(nyc,))),
            venues=[],
            day="wed",
            start="10:00",
            end="12:00",
            data=DataChoice(gtfs=(nyc,)),
        )
    message = str(caught.value)
    assert message.startswith(f"no stop of this timetable within {WALK_LIMIT_M / 1000:g} km of the home: the nearest")
    assert "20." in message and "km away" in message


def test_the_roundtrip_cli_exits_3_instead_of_does_not_work(nyc: Path) -> None:
    args = ["--day", "week", "--start", "10:00", "--end", "12:00", "--gtfs", str(nyc)]
    result = run("roundtrip", "--from", NEWARK_WEST, "--to", WALL_STREET, *args)
    assert result.exit_code == EXIT_NO_ROUTE
    assert "no stop of this timetable within 2 km of the home: the nearest is" in result.output
    assert "NOT" not in result.output


def test_a_transit_journey_far_from_stops_exits_3(nyc: Path) -> None:
    args = ["--mode", "transit", "--day", "wed", "--depart-at", "09:00", "--gtfs", str(nyc)]
    result = run("journey", "--from", TIMES_SQUARE, "--to", NEWARK_WEST, *args)
    assert result.exit_code == EXIT_NO_ROUTE
    assert "no stop of this timetable within 2 km of the destination" in result.output


def test_walks_without_a_walk_network_are_straight_lines_and_say_so(nyc: Path) -> None:
    result = journey(
        origin=TIMES_SQUARE,
        destination=WALL_STREET,
        venues=[],
        mode="transit",
        day="wed",
        depart_at="09:00",
        data=DataChoice(gtfs=(nyc,)),
    )
    walks = result["provenance"]["walk_network"]
    assert walks["network"] == "straight line"
    assert walks["detour_factor"] == STRAIGHT_WALK_DETOUR
    assert walks["modelled"] and result["provenance"]["modelled"]
    walk_legs = [leg for leg in result["legs"] if leg["mode"] == "walk"]
    assert walk_legs and all(leg["estimate"] == f"straight line x {STRAIGHT_WALK_DETOUR:g}" for leg in walk_legs)
    assert any(leg["mode"] != "walk" for leg in result["legs"])
    assert 10 < result["minutes"] < 60


def test_stop_ids_name_places(nyc: Path) -> None:
    result = journey(
        origin="stop:101",
        destination="stop:142",
        venues=[],
        mode="transit",
        day="wed",
        depart_at="09:00",
        data=DataChoice(gtfs=(nyc,)),
    )
    assert result["from"] == {
        "kind": "stop",
        "label": "Van Cortlandt Park-242 St",
        "lon": pytest.approx(-73.898583),
        "lat": pytest.approx(40.889248),
        "stop_id": "101",
    }
    assert result["to"]["label"] == "South Ferry"
    unknown = run("journey", "--from", "stop:nope", "--to", "stop:142", "--mode", "transit", "--day", "wed")
    assert unknown.exit_code == EXIT_BAD_INPUT


def test_straight_line_walks_use_the_feeds_projection(nyc: Path) -> None:
    walker = DataChoice(gtfs=(nyc,)).planner().walker
    assert isinstance(walker, StraightLineWalker) and walker.crs == "EPSG:32618"
    matrix = walker.many_to_many(np.asarray([[-73.9855, 40.7580]]), np.asarray([[-73.9755, 40.7580]]), with_metres=True)
    straight = float(haversine_m(-73.9855, 40.7580, -73.9755, 40.7580))
    assert matrix.metres is not None
    assert matrix.metres[0, 0] == pytest.approx(straight * STRAIGHT_WALK_DETOUR, rel=0.005)  # BNG: x1.44


# --- matrices on the user's own data ---------------------------------------------------------------


def _endpoints(path: Path, rows: list[tuple[str, str]]) -> Path:
    """An endpoints CSV of (id, 'lat,lon') rows."""
    lines = ["id,lon,lat"] + [f"{ident},{text.split(',')[1]},{text.split(',')[0]}" for ident, text in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def car_matrix(places: Path, out: Path, network: Path) -> object:
    """``geoaccess matrix`` by car from every place of the file to every other, on ``network``."""
    return run(
        "matrix", "--origins", str(places), "--destinations", str(places), "--out", str(out), "--network", str(network)
    )


def test_a_car_matrix_on_a_foreign_network(kouvola: Path, tmp_path: Path) -> None:
    origins = _endpoints(tmp_path / "o.csv", [("w", WEST), ("e", EAST)])
    out = tmp_path / "m.csv"
    result = car_matrix(origins, out, kouvola)
    assert result.exit_code == 0, result.output
    table = {(r.split(",")[0], r.split(",")[1]): r.split(",")[2] for r in out.read_text().splitlines()[1:]}
    assert float(table[("w", "w")]) < 2 and 1 < float(table[("w", "e")]) < 20


def test_a_matrix_names_the_rows_its_data_does_not_cover(kouvola: Path, tmp_path: Path) -> None:
    origins = _endpoints(tmp_path / "o.csv", [("w", WEST), ("far", CARLISLE), ("e", EAST)])
    out = tmp_path / "m.csv"
    result = car_matrix(origins, out, kouvola)
    assert result.exit_code == EXIT_NO_ROUTE
    assert (
        "o.csv: 1 row(s) the data in use does not cover, nothing computed: line 3: no road of this car network"
        in result.output
    )
    assert "54.89" not in result.output and not out.exists()


def test_a_transit_matrix_names_rows_far_from_every_stop(nyc: Path, tmp_path: Path) -> None:
    origins = _endpoints(tmp_path / "o.csv", [("ts", TIMES_SQUARE), ("newark", NEWARK_WEST)])
    dests = _endpoints(tmp_path / "d.csv", [("ws", WALL_STREET)])
    out = tmp_path / "m.csv"
    args = ["--mode", "transit", "--day", "wed", "--window", "08:00-08:30", "--gtfs", str(nyc)]
    result = run("matrix", "--origins", str(origins), "--destinations", str(dests), "--out", str(out), *args)
    assert result.exit_code == EXIT_NO_ROUTE
    assert "line 3: no stop of this timetable within 2 km of the origin: the nearest is 20." in result.output
    good = _endpoints(tmp_path / "o2.csv", [("ts", TIMES_SQUARE)])
    result = run("matrix", "--origins", str(good), "--destinations", str(dests), "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    assert 10 < float(out.read_text().splitlines()[1].split(",")[2]) < 60


def test_stop_distances_are_great_circle_anywhere(nyc: Path) -> None:
    stops = DataChoice(gtfs=(nyc,))._stops()
    lon, lat = np.array([-73.9855, -74.25, 151.2]), np.array([40.7580, 40.75, -33.9])  # Sydney too
    brute = [
        float(haversine_m(x, y, stops.lonlat[:, 0], stops.lonlat[:, 1]).min()) for x, y in zip(lon, lat, strict=True)
    ]
    assert stops.nearest_m(lon, lat) == pytest.approx(brute)


def test_the_nearest_venue_is_not_sought_on_a_car_network_that_misses_the_home(kouvola: Path) -> None:
    request = CheckRequest(home="CA3 8DR", venue_id=None, programme="BBR", day="wed", start="", end="")
    with pytest.raises(NotCovered) as caught:
        check_session(request, venues=load_venues(), data=DataChoice(network=kouvola))
    assert str(caught.value).startswith("no road of this car network within 5 km of the home")


def test_measures_on_a_car_network_missing_the_caseload_are_refused_not_computed(kouvola: Path, pack: object) -> None:
    """On Kouvola's network a Cumbrian caseload's car minutes would be the straight line to Finland."""
    analysis = Analysis(data=DataChoice(network=kouvola))
    with pytest.raises(NotCovered) as refused:
        access(people=caseload_people(synthetic=True), analysis=analysis, venues=load_venues(), programme="BBR")
    message = str(refused.value)
    assert "kouvola_osm.pbf" in message and "people" in message and "nothing computed" in message
    assert "carlisle-crc-lmc" in message  # venues are named; people are only counted
