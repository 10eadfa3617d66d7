"""The command line: JSON output, one-line errors and documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from geoaccess.cli.main import main
from geoaccess.errors import EXIT_BAD_INPUT, EXIT_DATA_PACK


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_geocode_json_gives_the_code_point_position():
    result = run("geocode", "la14 1rp", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["postcode"] == "LA14 1RP"
    assert (payload["lon"], payload["lat"]) == (-3.229233, 54.112495)
    assert payload["district"] == "Barrow-in-Furness"
    assert payload["modelled"] is False
    assert "Code-Point Open" in payload["source"]


def test_geocode_text_output():
    result = run("geocode", "54.8925,-2.9329")
    assert result.exit_code == 0
    assert "district Carlisle" in result.stdout


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("", "empty"),
        ("garbage!", "only letters, digits and spaces"),
        ("CA1 1AD", "terminated"),
        ("51.5,-0.12", "outside the pack's area"),
    ],
)
def test_bad_input_exits_2_with_one_line(query, fragment):
    result = run("geocode", query)
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("geoaccess: ") and fragment in lines[0]


def test_info_json_lists_each_source_with_licence_and_date():
    result = run("info", "--json", "--verify")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["pack"] == "cumbria" and payload["verified"] is True
    titles = {s["title"]: s for s in payload["sources"]}
    assert any("Code-Point Open" in t for t in titles)
    for source in payload["sources"]:
        assert source["licence"] and source["date"] and source["attribution"]
    assert {f["file"] for f in payload["files"]} >= {"postcodes.parquet", "venues.geojson"}
    coverage = payload["coverage"]
    assert 0 < coverage["bus_stops_served"] <= coverage["bus_stops_active"]
    overall = coverage["by_district"][-1]
    assert overall["district"] == "all" and 0 < overall["within_400_m"] <= overall["within_800_m"] <= 1


def test_info_text_reports_the_timetable_coverage_by_district():
    result = run("info")
    assert result.exit_code == 0, result.output
    assert "active bus stops" in result.stdout and "Carlisle" in result.stdout and "800 m" in result.stdout


def test_info_without_a_pack_exits_4(tmp_path):
    result = run("info", env={"GEOACCESS_DATA": str(tmp_path)})
    assert result.exit_code == EXIT_DATA_PACK
    assert "manifest.json is missing" in result.stderr


def test_venues_list_filters_and_json():
    result = run("venues", "list", "--programme", "bbr", "--json")
    assert result.exit_code == 0
    towns = {f["properties"]["town"] for f in json.loads(result.stdout)["features"]}
    assert towns == {"Carlisle", "Preston"}
    text = run("venues", "list", "--kind", "probation_office").stdout
    assert "penrith-clint-mill" in text and "hmp-haverigg" not in text
    bad = run("venues", "list", "--kind", "castle")
    assert bad.exit_code == EXIT_BAD_INPUT and "is not one of" in bad.stderr


def test_venues_export_edit_and_use(tmp_path):
    out = tmp_path / "venues.csv"
    assert run("venues", "export", "--out", str(out)).exit_code == 0
    text = out.read_text().replace("Penrith Probation Office (Clint Mill)", "Penrith Clint Mill (edited)")
    out.write_text(text)
    assert run("venues", "validate", str(out)).exit_code == 0
    listed = json.loads(run("venues", "list", "--venues", str(out), "--json").stdout)
    names = {f["properties"]["name"] for f in listed["features"]}
    assert "Penrith Clint Mill (edited)" in names


def test_venues_validate_names_the_bad_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,name,kind,town,postcode\nok-1,A,court,Carlisle,CA3 8DR\nok-1,B,court,Carlisle,CA3 8DR\n")
    result = run("venues", "validate", str(path))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "row 3: duplicate id 'ok-1' (first at row 2)" in result.stderr


def test_export_to_a_missing_folder_is_refused(tmp_path):
    result = run("venues", "export", "--out", str(tmp_path / "nope" / "v.csv"))
    assert result.exit_code == EXIT_BAD_INPUT and "does not exist" in result.stderr
    assert not (tmp_path / "nope").exists()


def test_installed_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "geoaccess", "--version"], capture_output=True, text=True, check=True
    )
    assert "geoaccess" in result.stdout
