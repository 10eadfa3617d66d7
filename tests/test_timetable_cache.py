"""The timetable cache: parsed feeds and compiled days saved on disk, found again only for the very same feeds,
date and format, rebuilt when damaged; ``geoaccess timetable build`` fills it and the planners use it."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geoaccess.cli.timetable import timetable as timetable_group
from geoaccess.roads.router import StraightLineWalker
from geoaccess.transit import cache, sources
from geoaccess.transit.cache import CacheEntry, describe_feeds
from geoaccess.transit.compiled import CompiledDay, WalkLinks
from geoaccess.transit.gtfs import read_gtfs
from geoaccess.transit.planner import Planner, ServiceDays
from geoaccess.transit.timetable import Timetable

FEED = Path(__file__).parent / "data" / "gtfs" / "cairns_gtfs.zip"
THURSDAY = date(2014, 6, 5)
FRIDAY = date(2014, 6, 6)


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    copy = tmp_path / "feed" / "cairns.zip"
    copy.parent.mkdir()
    shutil.copyfile(FEED, copy)
    return copy


def entry_for(feed: Path, root: Path) -> CacheEntry:
    return CacheEntry.of(describe_feeds((feed,), ()), root=root)


def never_read() -> Timetable:
    raise AssertionError("the feed was read again although its tables are cached")


def assert_same_day(cached: CompiledDay, fresh: CompiledDay) -> None:
    assert len(cached.patterns) == len(fresh.patterns) > 0
    for mine, theirs in zip(cached.patterns, fresh.patterns, strict=True):
        for name in ("stops", "arrival", "departure", "trip_ids", "pickup", "drop_off"):
            ours, expected = getattr(mine, name), getattr(theirs, name)
            assert ours.dtype == expected.dtype and np.array_equal(ours, expected), name
        assert mine.route_row == theirs.route_row
    assert cached.walk_from == fresh.walk_from
    assert np.array_equal(cached.change_s, fresh.change_s) and cached.basis == fresh.basis
    assert list(cached.stop_ids) == list(fresh.stop_ids) and cached.routes.equals(fresh.routes)


def journeys(planner: Planner) -> list[object]:
    """Earliest arrivals and latest departures between a spread of the feed's stops."""
    lonlat = planner.timetable.stops[["lon", "lat"]].to_numpy(dtype=float)
    picks = [tuple(lonlat[row]) for row in np.linspace(0, len(lonlat) - 1, 6).astype(int)]
    found: list[object] = []
    for origin in picks:
        for destination in picks:
            if origin != destination:
                early = planner.depart_at(origin, destination, THURSDAY, 8 * 3600)
                late = planner.arrive_by(origin, destination, THURSDAY, 17 * 3600)
                found.append([None if j is None else j.to_dict() for j in (early, late)])
    assert any(pair != [None, None] for pair in found)
    return found


def test_a_cache_hit_plans_the_same_journeys_as_a_fresh_compile(feed: Path, tmp_path: Path) -> None:
    entry = entry_for(feed, tmp_path / "cache")
    _, from_cache = entry.timetable(lambda: read_gtfs(feed))
    assert not from_cache
    again = entry_for(feed, tmp_path / "cache")  # as a later process finds it
    timetable, from_cache = again.timetable(never_read)
    assert from_cache
    day, from_cache = again.day(timetable, THURSDAY)
    assert not from_cache
    cached_day, from_cache = again.day(timetable, THURSDAY)
    assert from_cache and cached_day is not day

    fresh = read_gtfs(feed)
    fresh_planner = Planner(fresh, StraightLineWalker(fresh.stops[["lon", "lat"]].to_numpy(dtype=float)))
    assert_same_day(cached_day, fresh_planner.day(THURSDAY))
    days = ServiceDays(timetable, lambda _, when: again.day(timetable, when)[0])
    cached_planner = Planner(
        timetable, StraightLineWalker(timetable.stops[["lon", "lat"]].to_numpy(dtype=float)), service_days=days
    )
    assert journeys(cached_planner) == journeys(fresh_planner)


def test_a_changed_feed_misses(feed: Path, tmp_path: Path) -> None:
    entry = entry_for(feed, tmp_path / "cache")
    entry.timetable(lambda: read_gtfs(feed))
    with zipfile.ZipFile(feed, "a") as archive:  # one more byte somewhere: a different SHA-256
        archive.comment = b"changed"
    changed = entry_for(feed, tmp_path / "cache")
    assert changed.key != entry.key
    _, from_cache = changed.timetable(lambda: read_gtfs(feed))
    assert not from_cache


def test_another_date_misses(feed: Path, tmp_path: Path) -> None:
    entry = entry_for(feed, tmp_path / "cache")
    timetable, _ = entry.timetable(lambda: read_gtfs(feed))
    entry.day(timetable, THURSDAY)
    assert entry.day(timetable, THURSDAY)[1]
    friday, from_cache = entry.day(timetable, FRIDAY)
    assert not from_cache and friday.day == FRIDAY


@pytest.mark.parametrize(
    "damage",
    ["truncate the day", "flip a byte of the day", "truncate a table", "remove the seal", "other format"],
)
def test_a_damaged_entry_is_rebuilt_without_error(feed: Path, tmp_path: Path, damage: str) -> None:
    entry = entry_for(feed, tmp_path / "cache")
    timetable, _ = entry.timetable(lambda: read_gtfs(feed))
    good, _ = entry.day(timetable, THURSDAY)
    day_folder = entry.folder / "days" / THURSDAY.isoformat()
    tables = entry.folder / "tables"
    if damage == "truncate the day":
        (day_folder / cache.DAY_FILE).write_bytes((day_folder / cache.DAY_FILE).read_bytes()[:500])
    elif damage == "flip a byte of the day":
        data = bytearray((day_folder / cache.DAY_FILE).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (day_folder / cache.DAY_FILE).write_bytes(bytes(data))
    elif damage == "truncate a table":
        (tables / "stop_times.parquet").write_bytes(b"PAR1")
    elif damage == "remove the seal":
        (day_folder / cache.SEAL).unlink()
    else:
        seal = json.loads((day_folder / cache.SEAL).read_text())
        (day_folder / cache.SEAL).write_text(json.dumps({**seal, "format": cache.FORMAT + 1}))

    read_again = damage == "truncate a table"
    timetable, from_cache = entry.timetable(lambda: read_gtfs(feed) if read_again else never_read())
    assert from_cache is not read_again
    rebuilt, from_cache = entry.day(timetable, THURSDAY)
    assert from_cache is read_again  # a new table folder keeps the day; a damaged day is compiled again
    assert_same_day(rebuilt, good)
    assert entry.day(timetable, THURSDAY)[1]  # and saved sound


def test_old_entries_are_pruned(feed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_DAYS", 1)
    entry = entry_for(feed, tmp_path / "cache")
    timetable, _ = entry.timetable(lambda: read_gtfs(feed))
    entry.day(timetable, THURSDAY)
    entry.day(timetable, FRIDAY)
    assert [p.name for p in (entry.folder / "days").iterdir()] == [FRIDAY.isoformat()]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GEOACCESS_CACHE", str(tmp_path / "home"))
    for cached in (sources._service_days, sources._planner, sources._stop_index):
        cached.cache_clear()
    yield tmp_path / "home"
    for cached in (sources._service_days, sources._planner, sources._stop_index):
        cached.cache_clear()


def test_timetable_build_fills_the_cache_the_planners_use(
    feed: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = ["build", "--gtfs", str(feed), "--date", THURSDAY.isoformat()]
    first = CliRunner().invoke(timetable_group, [*build, "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["feeds"] == [
        {"kind": "gtfs", "file": "cairns.zip", "sha256": describe_feeds((feed,), ())[0]["sha256"]}
    ]
    assert report["tables"]["cached"] is False
    assert [(d["date"], d["cached"]) for d in report["days"]] == [(THURSDAY.isoformat(), False)]
    assert report["bytes"] > 0 and Path(report["cache"]).parent == cache_home / "timetables"

    again = CliRunner().invoke(timetable_group, build)
    assert again.exit_code == 0, again.output
    assert f"day {THURSDAY.isoformat()}: from the cache" in again.stdout and "tables: from the cache" in again.stdout

    monkeypatch.setattr(sources, "_read_feeds", lambda *_: never_read())
    monkeypatch.setattr(cache, "compile_day", lambda *_: pytest.fail("a prepared day was compiled again"))
    near = sources.planner_for((feed,), walk_limit_m=500.0)
    far = sources.planner_for((feed,), walk_limit_m=1500.0, max_transfers=2)
    assert near is not far and near.days is far.days and near.timetable is far.timetable
    assert near.day(THURSDAY) is far.day(THURSDAY)
    assert journeys(far)


def test_timetable_build_refuses_what_it_cannot_do(cache_home: Path) -> None:
    runner = CliRunner()
    nothing = runner.invoke(timetable_group, ["build", "--days", "2"])
    assert nothing.exit_code == 2 and "--gtfs" in nothing.output
    both = runner.invoke(timetable_group, ["build", "--gtfs", str(FEED), "--date", "2014-06-05", "--days", "2"])
    assert both.exit_code == 2 and "not both" in both.output
    outside = runner.invoke(timetable_group, ["build", "--gtfs", str(FEED), "--date", "2030-01-02"])
    assert outside.exit_code == 2 and "outside the timetable" in outside.output
    missing = runner.invoke(timetable_group, ["build", "--gtfs", str(cache_home / "none.zip")])
    assert missing.exit_code == 2 and "none.zip: no such file" in missing.output


@pytest.mark.parametrize(
    ("start", "target", "seconds"),
    [
        ([0, 1, 1], [1], [60.0, 5.0]),  # more seconds than links
        ([0, 2, 1], [1, 0], [60.0, 5.0]),  # a stop's links end before they start
        ([0, 1, 2], [1, 2], [60.0, 5.0]),  # a link to a stop that is not there
        ([0, 1, 2], [1, 0], [60.0, 1e300]),  # a walk no whole number of seconds can hold
        ([0, 1, 2], [1, 0], [60.0, np.nan]),
        ([0.0, 0.7, 2.0], [1, 0], [60.0, 5.0]),  # stop numbers that are not whole
        ([[0], [1], [2]], [1, 0], [60.0, 5.0]),
    ],
)
def test_saved_walking_links_that_do_not_fit_the_day_are_refused(start, target, seconds) -> None:
    assert WalkLinks.checked(np.array([0, 1, 2]), np.array([1, 0]), np.array([60.0, 5.0]), 2).whole_s.tolist() == [
        60,
        5,
    ]
    with pytest.raises(ValueError, match="walking links"):
        WalkLinks.checked(np.asarray(start), np.asarray(target), np.asarray(seconds), 2)
