"""Which timetable and walk network a request uses: the pack's modelled default, or the feeds and network given.

Walks use the network given, else the pack's proxy when it covers some of the feeds' stops, else straight lines
(:class:`~geoaccess.roads.router.StraightLineWalker`), and the provenance says which.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from geoaccess.defaults import MAX_TRANSFERS, WALK_LIMIT_M
from geoaccess.errors import BadInput
from geoaccess.loaded_once import loaded_once
from geoaccess.pack import load_pack
from geoaccess.places import Place
from geoaccess.roads.journeys import network_provenance
from geoaccess.roads.router import Router, StraightLineWalker
from geoaccess.roads.sources import router_for
from geoaccess.transit.cache import MAX_DAYS, CacheEntry, describe_feeds
from geoaccess.transit.coverage import StopIndex
from geoaccess.transit.planner import Planner, ServiceDays
from geoaccess.transit.timetable import Timetable, merge, to_date_text
from geoaccess.weekdays import WEEKDAYS, is_weekday, weekday_name

STATIONS = "rail_stations.parquet"
"""The pack's table that places a CIF feed's stops (so part of a CIF feed's cache key)."""


def load_timetable(gtfs: tuple[Path, ...] = (), cif: tuple[Path, ...] = ()) -> Timetable:
    """The feeds given (GTFS zips or folders, CIF files) merged, else the pack's modelled timetable."""
    return _load(tuple(Path(p).resolve() for p in gtfs), tuple(Path(p).resolve() for p in cif))


def _load(gtfs: tuple[Path, ...], cif: tuple[Path, ...]) -> Timetable:
    return _service_days(gtfs, cif).timetable


@loaded_once(maxsize=4)
def _service_days(gtfs: tuple[Path, ...], cif: tuple[Path, ...]) -> ServiceDays:
    """The timetable and its compiled days, once per process, shared by every planner on it. The user's feeds
    go through the on-disk cache (:mod:`~geoaccess.transit.cache`); the pack's modelled timetable, small and
    already saved as tables, is read and compiled as it is."""
    if not gtfs and not cif:
        return ServiceDays(Timetable.load(load_pack().path / "timetable"))
    entry = _cache_entry(gtfs, cif)
    timetable, _ = entry.timetable(lambda: _read_feeds(gtfs, cif))
    return ServiceDays(timetable, entry.compiled_day)


def _read_feeds(gtfs: tuple[Path, ...], cif: tuple[Path, ...]) -> Timetable:
    from geoaccess.transit.cif import read_cif
    from geoaccess.transit.gtfs import read_gtfs

    feeds = [read_gtfs(path) for path in gtfs]
    feeds += [read_cif(path, load_pack().stations) for path in cif]
    return merge(feeds)


def _cache_entry(gtfs: tuple[Path, ...], cif: tuple[Path, ...]) -> CacheEntry:
    """The feeds' cache entry. A feed that cannot be hashed (missing, unreadable) is given to its reader,
    which says in its own words what is wrong."""
    try:
        feeds = describe_feeds(gtfs, cif)
    except OSError:
        _read_feeds(gtfs, cif)
        raise
    stations = next((f["sha256"] for f in load_pack().manifest["files"] if f["file"] == STATIONS), "") if cif else ""
    return CacheEntry.of(feeds, stations)


@loaded_once(maxsize=4)
def _planner(
    gtfs: tuple[Path, ...], cif: tuple[Path, ...], walk_network: Path | None, walk_limit_m: float, max_transfers: int
) -> Planner:
    days = _service_days(gtfs, cif)
    walker = _walker(days.timetable, gtfs or cif, walk_network)
    return Planner(days.timetable, walker, walk_limit_m, max_transfers, service_days=days)


def _walker(timetable: Timetable, own_feeds: tuple[Path, ...], walk_network: Path | None) -> Router:
    """The walk network given; else the pack's proxy, unless the user's feeds have no stop it covers: then
    straight lines."""
    walker = router_for("walk", walk_network)
    if walk_network is not None or not own_feeds:
        return walker
    stops = timetable.stops[["lon", "lat"]].to_numpy(dtype=float)
    if walker.reaches(stops[:, 0], stops[:, 1]).any():
        return walker
    return StraightLineWalker(stops)


@loaded_once(maxsize=4)
def _stop_index(gtfs: tuple[Path, ...], cif: tuple[Path, ...]) -> StopIndex:
    return StopIndex(_load(gtfs, cif))


def prepare_timetable(
    gtfs: tuple[Path, ...], cif: tuple[Path, ...], *, on: str | None = None, days: int = 1
) -> dict[str, Any]:
    """Put the feeds' tables and compiled days in the cache ahead of use: the day ``on`` (``YYYY-MM-DD`` or a
    weekday, as :func:`service_date` takes), else ``days`` consecutive dates from today's (moved into the
    timetable's range); say what was built or found, its size and the seconds each step took."""
    if not gtfs and not cif:
        raise BadInput("give the feeds to prepare: --gtfs and/or --cif")
    if not 1 <= days <= MAX_DAYS:
        raise BadInput(f"the number of days must be from 1 to {MAX_DAYS} (got {days})")
    gtfs, cif = tuple(Path(p).resolve() for p in gtfs), tuple(Path(p).resolve() for p in cif)
    started = time.perf_counter()
    entry = _cache_entry(gtfs, cif)
    timetable, cached = entry.timetable(lambda: _read_feeds(gtfs, cif))
    report: dict[str, Any] = {
        "cache": str(entry.folder),
        "feeds": entry.feeds,
        "tables": {"cached": cached, "seconds": round(time.perf_counter() - started, 2)},
        "days": [],
    }
    first = service_date(on, timetable) if on else timetable.date_for(WEEKDAYS[date.today().weekday()])
    for when in (first + timedelta(days=n) for n in range(1 if on else days)):
        started = time.perf_counter()
        _, cached = entry.day(timetable, when)
        report["days"].append(
            {"date": when.isoformat(), "cached": cached, "seconds": round(time.perf_counter() - started, 2)}
        )
    report["bytes"] = entry.size_bytes()
    return report


def planner_for(
    gtfs: tuple[Path, ...] = (),
    cif: tuple[Path, ...] = (),
    walk_network: Path | None = None,
    walk_limit_m: float = WALK_LIMIT_M,
    max_transfers: int = MAX_TRANSFERS,
) -> Planner:
    """A planner on the chosen timetable and walk network, built once per process."""
    return _planner(
        tuple(Path(p).resolve() for p in gtfs),
        tuple(Path(p).resolve() for p in cif),
        walk_network,
        walk_limit_m,
        max_transfers,
    )


def service_date(text: str, timetable: Timetable, today: date | None = None) -> date:
    """``wed``/``wednesday`` (the next one in the timetable's range) or ``YYYY-MM-DD`` (checked)."""
    wanted = (text or "").strip().lower()
    if is_weekday(wanted):
        return timetable.date_for(weekday_name(wanted), today)
    try:
        when = date.fromisoformat(wanted)
    except ValueError as exc:
        raise BadInput("the day is not a weekday (mon..sun) or a date YYYY-MM-DD") from exc
    start = to_date_text(timetable.provenance.get("valid_from"))
    end = to_date_text(timetable.provenance.get("valid_to"))
    if (start and when < start) or (end and when > end):
        raise BadInput(f"{when} is outside the timetable, which runs {start} to {end}")
    return when


def week_dates(timetable: Timetable, today: date | None = None) -> list[date]:
    """Seven consecutive dates, Monday first, from the next Monday in the timetable's range."""
    monday = timetable.date_for("monday", today)
    return [monday + timedelta(days=offset) for offset in range(7)]


def transit_provenance(planner: Planner, when: date) -> dict[str, Any]:
    """Timetable and walk network a transit result came from, and whether each is modelled."""
    p = planner.timetable.provenance
    timetable: dict[str, Any] = {
        key: p[key] for key in ("timetable", "source", "valid_from", "valid_to", "modelled") if key in p
    }
    if p.get("timetable") == "modelled":
        timetable["assumptions"] = "see data/SOURCES.md"
    walker = planner.walker
    walks = dict(walker.provenance) if isinstance(walker, StraightLineWalker) else network_provenance(walker.network)
    return {
        "timetable": timetable,
        "service_date": when.isoformat(),
        "walk_network": walks,
        "modelled": bool(p.get("modelled") or walks.get("modelled")),
    }


Reaches = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Which WGS84 positions (lon, lat arrays) some data covers."""
CheckCovers = Callable[[Mapping[str, tuple[float, float]]], None]
"""Raises :class:`~geoaccess.errors.NotCovered` for the first named end the data does not cover."""


@dataclass(frozen=True)
class DataChoice:
    """The data behind a request: feeds and a built network given by the user, else the pack's modelled ones."""

    gtfs: tuple[Path, ...] = ()
    cif: tuple[Path, ...] = ()
    network: Path | None = None
    walk_limit_m: float = WALK_LIMIT_M
    max_transfers: int = MAX_TRANSFERS

    def __post_init__(self) -> None:
        if not 0 < self.walk_limit_m <= 10_000:
            raise BadInput(f"the walk limit must be more than 0 and at most 10000 metres (got {self.walk_limit_m:g})")
        if not 0 <= self.max_transfers <= 10:
            raise BadInput(f"the transfer cap must be from 0 to 10 (got {self.max_transfers})")

    def router(self, mode: str) -> Router:
        """The car (``car``) or walking (``walk``) router, loaded once per process."""
        return router_for(mode, self.network)

    def planner(self) -> Planner:
        """The public transport planner on the chosen timetable and walk network, built once per process."""
        return planner_for(self.gtfs, self.cif, self.network, self.walk_limit_m, self.max_transfers)

    @property
    def own_data(self) -> bool:
        """True when the user gave a network or feeds: positions are then accepted wherever that data reaches."""
        return bool(self.gtfs or self.cif or self.network is not None)

    def stop_place(self, stop_id: str) -> Place:
        """A stop of the chosen timetable (``stop:STOP_ID``) as a journey end."""
        return self._stops().place(stop_id)

    def check_transit_covers(self, ends: Mapping[str, tuple[float, float]]) -> None:
        """:class:`~geoaccess.errors.NotCovered` for the first end (name -> (lon, lat)) that the user's feeds have
        no stop within the walk limit of, or that the walk network given does not reach. The pack's timetable
        covers the pack's area, which geocoding has checked."""
        if self.gtfs or self.cif:
            self._stops().check_near(ends, self.walk_limit_m)
        if self.network is not None:
            self.router("walk").check_covers(ends)

    def transit_reaches(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which WGS84 positions :meth:`check_transit_covers` would pass (all of them on the pack's data)."""
        within = np.ones(len(lon), dtype=bool)
        if self.gtfs or self.cif:
            within &= self._stops().within(lon, lat, self.walk_limit_m)
        if self.network is not None:
            within &= self.router("walk").reaches(lon, lat)
        return within

    def coverage(self, mode: str) -> tuple[Reaches, CheckCovers]:
        """Which positions the data for ``mode`` (car, walk or transit) covers, and the check that explains one."""
        if mode == "transit":
            return self.transit_reaches, self.check_transit_covers
        router = self.router(mode)
        return router.reaches, router.check_covers

    def _stops(self) -> StopIndex:
        return _stop_index(tuple(Path(p).resolve() for p in self.gtfs), tuple(Path(p).resolve() for p in self.cif))

    def resolved(self) -> DataChoice:
        """The same choice with absolute paths (a Dask worker's working folder is not ours)."""

        def absolute(path: Path) -> Path:
            return Path(path).expanduser().resolve()

        return replace(
            self,
            gtfs=tuple(absolute(p) for p in self.gtfs),
            cif=tuple(absolute(p) for p in self.cif),
            network=None if self.network is None else absolute(self.network),
        )
