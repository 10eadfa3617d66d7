"""Car and walking journeys and matrices from the command line, with their provenance."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from geoaccess.cli.main import main
from geoaccess.endpoints import read_endpoints
from geoaccess.errors import EXIT_BAD_INPUT, BadInput


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def journey(*args: str) -> dict:
    result = run("journey", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_car_journey_barrow_to_carlisle_office():
    result = journey("--from", "LA14 1RP", "--to", "carlisle-georgian-house")
    assert result["mode"] == "car"
    assert 45 < result["minutes"] < 150
    assert 100 < result["km"] < 200  # about 85 miles by road
    assert result["to"]["venue_id"] == "carlisle-georgian-house"
    provenance = result["provenance"]
    assert provenance["network"] == "proxy" and provenance["modelled"] is True
    assert provenance["calibration"]["median_abs_pct_error"] > 0
    assert result["path"]["via"][-1] == "Carlisle"


def test_walking_is_slower_than_driving_and_says_it_is_uncalibrated():
    car = journey("--from", "CA1 1QS", "--to", "carlisle-georgian-house")
    walk = journey("--from", "CA1 1QS", "--to", "carlisle-georgian-house", "--mode", "walk")
    assert walk["minutes"] > car["minutes"]
    assert walk["provenance"]["calibration"] is None


def test_off_network_point_is_charged_its_access_leg():
    # A point on the fells well away from any postcode or stop: the leg to the network is charged.
    result = journey("--from", "54.4545,-3.2116", "--to", "kendal-busher-lodge")
    assert result["access_minutes"] > 5


def test_text_output_says_modelled():
    result = run("journey", "--from", "LA14 1RP", "--to", "carlisle-georgian-house")
    assert result.exit_code == 0
    assert "MODELLED" in result.stdout and "median error" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--from", "LA14 1RP", "--to", "carlisle-office"), "no venue has that id"),
        (("--from", "ZZ99 9ZZ", "--to", "carlisle-georgian-house"), "outside the pack's area"),
        (("--from", "54.5,-3.9", "--to", "carlisle-georgian-house"), "outside the pack's area"),
        (("--from", "LA14 1RP", "--to", "carlisle-georgian-house", "--network", "/nonexistent"), "no drive network"),
    ],
)
def test_bad_journey_input(args, fragment):
    result = run("journey", *args)
    assert result.exit_code == EXIT_BAD_INPUT
    assert fragment in result.stderr


def _write(path, rows):
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_matrix_to_venues_is_long_format(tmp_path):
    origins = _write(
        tmp_path / "o.csv", [["id", "postcode", "lon", "lat"], ["a", "LA14 1RP", "", ""], ["b", "", "-2.93", "54.89"]]
    )
    out = tmp_path / "m.csv"
    result = run("matrix", "--origins", str(origins), "--destinations", "venues", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["origin_id", "destination_id", "minutes", "km", "routed_minutes"]
    about = json.loads((tmp_path / "m.csv.provenance.json").read_text())
    assert about["provenance"]["network"] == "proxy" and about["provenance"]["modelled"] is True
    assert about["pairs"] == 44
    assert len(rows) == 2 * 22
    assert all(r["minutes"] != "" for r in rows)
    same_place = next(r for r in rows if r["origin_id"] == "a" and r["destination_id"] == "barrow-probation-office")
    assert float(same_place["minutes"]) == 0.0  # LA14 1RP is that office's postcode


def test_matrix_cutoff_leaves_far_pairs_empty(tmp_path):
    origins = _write(tmp_path / "o.csv", [["id", "postcode"], ["a", "CA3 8DR"]])
    out = tmp_path / "m.csv"
    assert (
        run(
            "matrix", "--origins", str(origins), "--destinations", "venues", "--out", str(out), "--cutoff", "30"
        ).exit_code
        == 0
    )
    rows = {r["destination_id"]: r for r in csv.DictReader(out.open())}
    assert rows["carlisle-crc-lmc"]["minutes"] != ""
    assert rows["preston-avenham-street"]["minutes"] == rows["preston-avenham-street"]["km"] == ""


def test_matrix_between_files(tmp_path):
    origins = _write(tmp_path / "o.csv", [["id", "postcode"], ["a", "CA3 8DR"], ["b", "LA9 4RF"]])
    ends = _write(tmp_path / "d.csv", [["id", "lon", "lat"], ["x", "-3.2292", "54.1125"]])
    out = tmp_path / "m.csv"
    assert (
        run(
            "matrix", "--origins", str(origins), "--destinations", str(ends), "--out", str(out), "--mode", "walk"
        ).exit_code
        == 0
    )
    rows = list(csv.DictReader(out.open()))
    assert [(r["origin_id"], r["destination_id"]) for r in rows] == [("a", "x"), ("b", "x")]


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([["id", "postcode"], ["a", "CA3 8DR"], ["a", "LA9 4RF"]], "line 3: duplicate id 'a' (first on line 2)"),
        ([["id", "lon", "lat"], ["a", "nan", "54.9"]], "line 2: lon and lat must be numbers, not NaN"),
        ([["id", "lon", "lat"], ["a", "x", "54.9"]], "line 2: lon and lat must be numbers"),
        ([["id", "lon", "lat"], ["a", "-0.12", "51.5"]], "line 2: the position is outside the pack's area"),
        ([["id", "postcode"], ["a", "CA1 1AD"]], "line 2: the postcode is no longer in use"),
        ([["id", "postcode"], ["", "CA3 8DR"]], "line 2: empty id"),
        ([["name", "postcode"], ["a", "CA3 8DR"]], "needs an 'id' column"),
        ([["id", "postcode"]], "has no rows"),
    ],
)
def test_bad_endpoint_files_name_the_line(tmp_path, pack, rows, fragment):
    path = _write(tmp_path / "bad.csv", rows)
    with pytest.raises(BadInput) as caught:
        read_endpoints(path, pack)
    assert fragment in str(caught.value)
    assert "CA3 8DR" not in str(caught.value) and "51.5" not in str(caught.value)


def test_matrix_bad_input_writes_nothing(tmp_path):
    origins = _write(tmp_path / "o.csv", [["id", "postcode"], ["a", "CA3 8DR"], ["a", "CA3 8DR"]])
    out = tmp_path / "m.csv"
    result = run("matrix", "--origins", str(origins), "--destinations", "venues", "--out", str(out))
    assert result.exit_code == EXIT_BAD_INPUT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]
    missing = run(
        "matrix", "--origins", str(origins), "--destinations", "venues", "--out", str(tmp_path / "no" / "m.csv")
    )
    assert missing.exit_code == EXIT_BAD_INPUT and "does not exist" in missing.stderr


def test_journey_on_a_built_osm_network(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).parent / "fixtures" / "osm" / "town.osm"
    built = run("network", "build", "--osm", str(fixture), "--out", str(tmp_path / "town"))
    assert built.exit_code == 0, built.output
    result = journey("--from", "54.8900,-2.9300", "--to", "54.8900,-2.9150", "--network", str(tmp_path / "town"))
    assert result["provenance"]["network"] == "osm" and result["provenance"]["modelled"] is False
    assert result["provenance"]["date"].startswith("2026-10-01")
    assert 0 < result["minutes"] < 10
    assert "A595" in result["path"]["via"]


def test_network_calibrate_reports_the_proxy_error():
    result = run("network", "calibrate", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["network"] == "proxy"
    assert report["median_abs_pct_error"] <= 10.0 and report["pairs"] > 500


@pytest.mark.slow
def test_transit_matrix_in_chunks_to_parquet(tmp_path):
    import pandas as pd

    origins = _write(tmp_path / "o.csv", [["id", "postcode"], ["a", "CA1 1QS"], ["b", "LA9 4RF"], ["c", "LA14 1RP"]])
    whole, chunked = tmp_path / "whole.parquet", tmp_path / "chunked.parquet"
    base = [
        "matrix",
        "--origins",
        str(origins),
        "--destinations",
        "venues",
        "--mode",
        "transit",
        "--day",
        "thu",
        "--window",
        "07:00-08:00",
        "--step",
        "15",
    ]
    assert run(*base, "--out", str(whole)).exit_code == 0
    result = run(*base, "--out", str(chunked), "--chunk-size", "2")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(whole), pd.read_parquet(chunked))
    table = pd.read_parquet(whole)
    assert list(table.columns) == ["origin_id", "destination_id", "minutes", "p90_minutes", "best_minutes"]
    about = json.loads((tmp_path / "whole.parquet.provenance.json").read_text())
    assert about["provenance"]["timetable"]["timetable"] == "modelled"
    bad = run(*base, "--out", str(tmp_path / "m.txt"))
    assert bad.exit_code == EXIT_BAD_INPUT
