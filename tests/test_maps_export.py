"""`geoaccess map ...`: every kind of map exports, privacy holds, bad input leaves nothing behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoaccess.analysis.synthetic import synthetic_caseload
from geoaccess.cli.main import main
from geoaccess.errors import EXIT_BAD_INPUT
from geoaccess.geocode import geocode

FEED = str(Path(__file__).parent / "fixtures" / "gtfs" / "two_lines")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def positions_in(text: str) -> set[tuple[float, float]]:
    """Every [lon, lat] pair in the text, rounded to 4 decimals (about 10 m)."""
    pairs = re.findall(r"\[\s*(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)\s*\]", text)
    return {(round(float(x), 4), round(float(y), 4)) for x, y in pairs}


@pytest.mark.parametrize("suffix", [".html", ".png", ".pdf"])
def test_venue_map_exports(tmp_path, suffix):
    out = tmp_path / f"venues{suffix}"
    result = run("map", "venues", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_isochrones_by_car_and_transit(tmp_path):
    for mode in ("car", "transit"):
        out = tmp_path / f"iso-{mode}.html"
        result = run("map", "isochrones", "--venue", "carlisle-crc-lmc", "--mode", mode, "--out", str(out))
        assert result.exit_code == 0, result.output
        html = out.read_text()
        assert "Travel time to" in html and "MODELLED" in html and "Contains OS data" in html


def test_burden_map_suppresses_small_counts_and_shows_no_home(tmp_path, pack):
    out = tmp_path / "burden.html"
    result = run("map", "burden", "--synthetic", "--programme", "BBR", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "fewer than 5 people" in html and "SYNTHETIC" in html
    people = synthetic_caseload(pack).people
    homes = {(round(x, 4), round(y, 4)) for x, y in zip(people["lon"], people["lat"], strict=True)}
    assert not positions_in(html) & homes


def test_journey_map_shows_the_home_only_at_its_sector(tmp_path, pack):
    home = geocode("CA1 1QS", pack)
    for suffix in (".html", ".pdf"):
        out = tmp_path / f"journey{suffix}"
        result = run(
            "map",
            "journey",
            "--from",
            "CA1 1QS",
            "--to",
            "penrith-clint-mill",
            "--day",
            "thu",
            "--depart-at",
            "07:40",
            "--gtfs",
            FEED,
            "--out",
            str(out),
        )
        assert result.exit_code == 0, result.output
    html = (tmp_path / "journey.html").read_text()
    assert (round(home.lon, 4), round(home.lat, 4)) not in positions_in(html)
    assert "CA1 1QS" not in html
    assert "postcode sector" in html


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("map", "isochrones", "--venue", "nowhere-office"), "no venue has that id"),
        (("map", "venues", "--out", "/nonexistent/folder/v.html"), "does not exist"),
        (("map", "venues", "--out", "venues.svg"), "use a .html, .png or .pdf"),
    ],
)
def test_bad_map_input(tmp_path, args, fragment):
    arguments = list(args)
    if "--out" not in arguments:
        arguments += ["--out", str(tmp_path / "m.html")]
    result = run(*arguments)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert fragment in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_isochrone_that_reaches_nothing_is_refused(tmp_path):
    fell = tmp_path / "fell.csv"  # a venue high on Scafell, no LSOA within walking distance, no Sunday trains
    fell.write_text("id,name,kind,town,lon,lat\nscafell-hut,Scafell hut,programme_venue,Wasdale,-3.2116,54.4545\n")
    out = tmp_path / "iso.html"
    result = run(
        "map",
        "isochrones",
        "--venue",
        "scafell-hut",
        "--venues",
        str(fell),
        "--day",
        "sun",
        "--gtfs",
        FEED,
        "--out",
        str(out),
    )
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "the map would be empty" in result.stderr and not out.exists()


def test_empty_caseload_is_refused(tmp_path):
    caseload = tmp_path / "c.csv"
    caseload.write_text("id,postcode,requirement\na,ZZ99 9ZZ,BBR\n")
    result = run("map", "burden", "--caseload", str(caseload), "--out", str(tmp_path / "b.html"))
    assert result.exit_code == EXIT_BAD_INPUT and "no usable rows" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]
