"""Accessibility measures, scenarios and their comparison, on the synthetic caseload."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from geoaccess.analysis.measures import Settings, by_area, person_measures, population_measures, summarise
from geoaccess.analysis.scenarios import current_scenario, read_scenario
from geoaccess.analysis.synthetic import synthetic_caseload
from geoaccess.cli.main import main
from geoaccess.errors import EXIT_BAD_INPUT, BadInput
from geoaccess.pack import CUMBRIAN_COUNCILS
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.router import Router
from geoaccess.roads.sources import router_for
from geoaccess.transit.roundtrip import round_trip
from geoaccess.transit.sources import planner_for
from geoaccess.venues import load_venues

WIDER = {
    "name": "BBR also in Workington and Barrow",
    "programme": "BBR",
    "venues": [
        {"id": "carlisle-crc-lmc"},
        {"id": "preston-avenham-street"},
        {"id": "workington-progress-house", "sessions": [{"day": "Thu", "start": "18:00", "end": "20:30"}]},
        {"id": "barrow-probation-office", "sessions": [{"day": "Thu", "start": "18:00", "end": "20:30"}]},
    ],
}


@pytest.fixture(scope="module")
def bbr(pack):
    people = synthetic_caseload(pack).people
    people = people[people["requirement"] == "BBR"].head(60)
    scenario = current_scenario("BBR", load_venues(pack=pack))
    return people, scenario, person_measures(people, scenario, router_for("car"), planner_for())


def test_person_measures_agree_with_single_round_trips(bbr):
    people, scenario, measures = bbr
    planner = planner_for()
    carlisle = next(o for o in scenario.offers if o.venue_id == "carlisle-crc-lmc")
    when = planner.timetable.date_for("thursday")
    for row in range(0, 60, 12):
        person = people.iloc[row]
        single = round_trip(
            planner, (person["lon"], person["lat"]), (carlisle.lon, carlisle.lat), when, 18 * 3600, 20 * 3600 + 1800
        ).to_dict()
        best = measures.iloc[row]
        if best["rt_venue"] == "carlisle-crc-lmc":
            assert best["rt_flags"].split() == single["flags"]
        if single["feasible"]:
            assert best["rt_feasible"]  # the best option is at least as good as this one


def test_summaries_and_suppression(bbr):
    _, _, measures = bbr
    summary = summarise(measures)
    assert summary["people"] == 60
    assert 0 <= summary["pt_within_120_share"] <= 1
    assert summary["no_way_home"] + summary["round_trip_feasible"] <= 60 + summary["no_way_there"]
    areas = by_area(measures, "lsoa21", Settings(suppress_below=5))
    small = [a for a in areas if a.get("suppressed")]
    assert small and all(set(a) == {"lsoa21", "people", "suppressed"} and a["people"] == "<5" for a in small)


def test_scenario_file_and_errors(tmp_path, pack):
    path = tmp_path / "wider.json"
    path.write_text(json.dumps(WIDER))
    scenario = read_scenario(path, load_venues(pack=pack), pack)
    assert [o.venue_id for o in scenario.offers][2:] == ["workington-progress-house", "barrow-probation-office"]
    bad = dict(WIDER, venues=[{"id": "workington-progress-house"}])
    path.write_text(json.dumps(bad))
    with pytest.raises(BadInput, match="venue 1: workington-progress-house does not offer BBR"):
        read_scenario(path, load_venues(pack=pack), pack)
    path.write_text(json.dumps(dict(WIDER, programme="CHESS")))
    with pytest.raises(BadInput, match="the programme is not one of"):
        read_scenario(path, load_venues(pack=pack), pack)


def test_access_and_compare_commands(tmp_path):
    path = tmp_path / "wider.json"
    path.write_text(json.dumps(WIDER))
    runner = CliRunner()
    result = runner.invoke(main, ["scenario", "compare", "today:BBR", str(path), "--synthetic", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["synthetic"] is True and report["provenance"]["caseload"].startswith("SYNTHETIC")
    today, wider = (s["overall"] for s in report["scenarios"])
    assert wider["over_120_either_way"] < today["over_120_either_way"]
    change = report["changes"][0]
    fewer = wider["over_120_either_way"] - today["over_120_either_way"]
    assert change["overall_change"]["over_120_either_way"] == fewer
    for row in change["gains_and_losses_by_district"]:
        assert all(v == 0 or v == "<5" or v >= 5 for k, v in row.items() if k != "district")
    per_person = tmp_path / "people.csv"
    result = runner.invoke(
        main, ["access", "--synthetic", "--programme", "TSP", "--per-person", str(per_person), "--json"]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(per_person)
    assert {"person_id", "pt_minutes", "rt_flags"} <= set(table.columns)
    assert not {"lon", "lat", "postcode"} & set(table.columns)


def test_access_needs_a_caseload():
    result = CliRunner().invoke(main, ["access", "--json"])
    assert result.exit_code == EXIT_BAD_INPUT and "exactly one of --caseload" in result.stderr


def test_site_command_on_a_caseload_and_on_a_matrix(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "site",
            "--synthetic",
            "--programme",
            "BBR",
            "--cost",
            "car",
            "--p",
            "1",
            "--keep",
            "carlisle-crc-lmc,preston-avenham-street",
            "--objective",
            "pmedian",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    chosen = json.loads(result.stdout)
    assert chosen["optimal"] is True and len(chosen["selected"]) == 3
    assert {"carlisle-crc-lmc", "preston-avenham-street"} <= set(chosen["selected"])
    assert chosen["provenance"]["caseload"].startswith("SYNTHETIC")
    matrix = tmp_path / "m.csv"
    matrix.write_text("origin_id,weight,a,b,c\no1,2,10,50,\no2,1,60,5,30\no3,1,,40,20\n")
    result = runner.invoke(main, ["site", "--matrix", str(matrix), "--p", "1", "--keep", "a", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["selected"] == ["a", "b"]  # 2*10 + 5 + 40 = 65 beats 2*10 + 30 + 20
    bad = runner.invoke(main, ["site", "--matrix", str(matrix), "--p", "1", "--keep", "zz"])
    assert bad.exit_code == EXIT_BAD_INPUT and "not candidates" in bad.stderr


@pytest.mark.slow
def test_residents_a_partial_car_network_does_not_reach_are_counted_not_timed(pack, bbr):
    """A user's network covering only the north (here the proxy cut at 54.8 N, dated as a real one)."""
    _, scenario, _ = bbr
    whole = router_for("car").network
    north = whole.nodes[whole.nodes["y"] > 54.8]
    kept = whole.edges["u"].isin(north["node_id"]) & whole.edges["v"].isin(north["node_id"])
    partial = Router(RoadNetwork("drive", north, whole.edges[kept], provenance={"network": "osm", "source": "cut"}))
    cut = population_measures(pack, scenario, partial, planner_for(), councils=CUMBRIAN_COUNCILS)["overall"]
    full = population_measures(pack, scenario, router_for("car"), planner_for(), councils=CUMBRIAN_COUNCILS)["overall"]
    assert full["residents_beyond_car_network"] == 0
    assert 0 < cut["residents_beyond_car_network"] < cut["residents"] == full["residents"]
    assert cut["car_within_60_share"] < full["car_within_60_share"]  # those beyond are not counted as within
