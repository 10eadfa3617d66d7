"""Parsed feeds and compiled service days kept on disk, so a big feed is read and compiled once, not per process.

An entry is keyed by the SHA-256 of :data:`FORMAT`, the package version and, for each feed in order, its
kind, file name (provenance quotes it) and the SHA-256 of its bytes (a GTFS folder: of its feed files in
name order, as :func:`~geoaccess.transit.gtfs.read_gtfs` records it); CIF feeds add the pack's station
table, which places their stops. Feeds are hashed on every call, not remembered by size and time: SHA-256
runs at about 2 GB/s here (a 200 MB regional zip: 0.1 s), and a file rewritten in place cannot be mistaken.

Layout, under ``<cache>/timetables/<key>/`` (``<cache>`` is :func:`~geoaccess.settings.cache_root`)::

    tables/              the merged Timetable (Parquet per table, provenance.json) and seal.json
    days/YYYY-MM-DD/     day.npz (the compiled day's arrays) and seal.json

Each folder is written whole or not at all (:func:`~geoaccess._io.replace_folder`) and sealed: ``seal.json``
holds the format, the key and every file's size and SHA-256, checked before anything is read; numpy files
are read with ``allow_pickle=False`` and Parquet holds no code, so a cache file cannot run any. A damaged,
foreign or other-version folder is built again. At most :data:`MAX_ENTRIES` feed sets (least recently used
go first) and :data:`MAX_DAYS` days each are kept. A cache that cannot be written is skipped, not an error.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from geoaccess import __version__
from geoaccess._io import replace_folder, sha256_of
from geoaccess.errors import GeoaccessError
from geoaccess.settings import cache_root
from geoaccess.transit.compiled import CompiledDay, Pattern, WalkLinks, assemble, compile_day
from geoaccess.transit.gtfs import FEED_FILES
from geoaccess.transit.timetable import Timetable

FORMAT = 1
"""The cache's layout and the meaning of its arrays; raise it when either, or what the readers and
:func:`~geoaccess.transit.compiled.compile_day` produce, changes."""
MAX_ENTRIES = 8
"""Feed sets kept; the least recently used beyond these are removed."""
MAX_DAYS = 31
"""Compiled days kept per feed set; the least recently used beyond these are removed."""
SEAL = "seal.json"
DAY_FILE = "day.npz"
UNREADABLE = (GeoaccessError, OSError, ValueError, KeyError, TypeError, EOFError)
"""What reading a damaged entry may raise (pyarrow's and zipfile's errors are ValueError/OSError kinds)."""


CODE_MODULES = tuple(
    f"geoaccess.transit.{name}" for name in ("timetable", "gtfs", "cif", "frequencies", "compiled", "cache")
)
"""The modules whose source is part of every key (see :func:`_code_sha256`)."""


@cache
def _code_sha256() -> str:
    """SHA-256 of the modules that make what is cached (readers, compiling, this layout): a checkout whose
    code changed does not read days compiled by the old code, even if :data:`FORMAT` was not raised."""
    digest = hashlib.sha256()
    for name in CODE_MODULES:
        digest.update(Path(str(importlib.import_module(name).__file__)).read_bytes())
    return digest.hexdigest()


def cache_folder() -> Path:
    """Where compiled timetables are kept: ``<cache>/timetables``."""
    return cache_root() / "timetables"


def feed_sha256(path: Path) -> str:
    """SHA-256 of a feed file's bytes, or of a GTFS folder's feed files joined in name order."""
    if not path.is_dir():
        return sha256_of(path)
    digest = hashlib.sha256()
    for name in sorted(n for n in FEED_FILES if (path / n).is_file()):
        digest.update((path / name).read_bytes())
    return digest.hexdigest()


def describe_feeds(gtfs: tuple[Path, ...], cif: tuple[Path, ...]) -> list[dict[str, str]]:
    """Each feed's kind (``gtfs``/``cif``), file name and SHA-256, in order."""
    kinds = [("gtfs", path) for path in gtfs] + [("cif", path) for path in cif]
    return [{"kind": kind, "file": path.name, "sha256": feed_sha256(path)} for kind, path in kinds]


@dataclass(frozen=True)
class CacheEntry:
    """One feed set's place in the cache: its parsed tables and its compiled days."""

    folder: Path
    key: str
    feeds: list[dict[str, str]]

    @classmethod
    def of(cls, feeds: list[dict[str, str]], stations_sha256: str = "", root: Path | None = None) -> CacheEntry:
        """The entry for ``feeds`` (from :func:`describe_feeds`) under ``root`` (default :func:`cache_folder`);
        ``stations_sha256``, of the table placing CIF stops, counts only with a CIF feed."""
        cif = any(feed["kind"] == "cif" for feed in feeds)
        said = {
            "format": FORMAT,
            "version": __version__,
            "code": _code_sha256(),
            "feeds": feeds,
            "stations": stations_sha256 if cif else "",
        }
        key = hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()
        return cls((root or cache_folder()) / key, key, feeds)

    def timetable(self, read: Callable[[], Timetable]) -> tuple[Timetable, bool]:
        """The cached tables, else ``read()`` saved for next time; and whether they came from the cache."""
        tables = self.folder / "tables"
        if _sealed(tables, self.key):
            try:
                timetable = Timetable.load(tables)
                _touch(self.folder)
                return timetable, True
            except UNREADABLE:
                pass
        timetable = read()
        _save_sealed(tables, self.key, timetable.save)
        _touch(self.folder)
        _prune(self.folder.parent, MAX_ENTRIES)
        return timetable, False

    def compiled_day(self, timetable: Timetable, when: date) -> CompiledDay:
        """:func:`~geoaccess.transit.compiled.compile_day` through the cache."""
        return self.day(timetable, when)[0]

    def day(self, timetable: Timetable, when: date) -> tuple[CompiledDay, bool]:
        """The compiled day from the cache, else compiled and saved; and whether it came from the cache."""
        folder = self.folder / "days" / when.isoformat()
        if _sealed(folder, self.key):
            try:
                with np.load(folder / DAY_FILE, allow_pickle=False) as arrays:
                    compiled = _from_arrays(dict(arrays), timetable, when)
                _touch(folder)
                return compiled, True
            except UNREADABLE:
                pass
        compiled = compile_day(timetable, when)
        _save_sealed(folder, self.key, lambda staging: _write_arrays(staging / DAY_FILE, _to_arrays(compiled)))
        _prune(folder.parent, MAX_DAYS)
        return compiled, False

    def size_bytes(self) -> int:
        """Bytes the entry holds on disk."""
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


# --- sealed folders -----------------------------------------------------------------------------------


def _save_sealed(folder: Path, key: str, fill: Callable[[Path], object]) -> None:
    """Write a folder with ``fill`` and seal it; a cache that cannot be written is left as it is."""

    def sealed(staging: Path) -> None:
        fill(staging)
        files = {p.name: {"bytes": p.stat().st_size, "sha256": sha256_of(p)} for p in sorted(staging.iterdir())}
        seal = {"format": FORMAT, "key": key, "files": files, "written": time.time()}
        (staging / SEAL).write_text(json.dumps(seal, indent=1) + "\n", encoding="utf-8")

    try:
        replace_folder(folder, sealed)
    except (OSError, ValueError, TypeError):
        pass  # read-only or full disk, another process saving the same folder, or tables pyarrow cannot write:
        # the answer does not change, it is only not kept


def _sealed(folder: Path, key: str) -> bool:
    """True when ``folder`` has a seal of this format and key and every file it lists, unaltered, and no other."""
    try:
        seal = json.loads((folder / SEAL).read_text(encoding="utf-8"))
        files = seal["files"]
        if seal["format"] != FORMAT or seal["key"] != key:
            return False
        present = {p.name for p in folder.iterdir()} - {SEAL}
        return present == set(files) and all(
            (folder / name).stat().st_size == said["bytes"] and sha256_of(folder / name) == said["sha256"]
            for name, said in files.items()
        )
    except UNREADABLE:
        return False


def _touch(folder: Path) -> None:
    """Mark ``folder`` as just used (pruning keeps the most recently used)."""
    try:
        os.utime(folder)
    except OSError:
        pass


def _prune(parent: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used folders in ``parent`` (and any left half-written)."""
    try:
        folders = sorted((p for p in parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


# --- a compiled day as arrays -------------------------------------------------------------------------


def _to_arrays(day: CompiledDay) -> dict[str, np.ndarray]:
    """The parts of ``day`` not read from its timetable, as flat arrays (times as int32: seconds within days)."""
    patterns = day.patterns
    links = day.walk_links
    basis = sorted(day.basis.items())
    return {
        "stop_start": _starts(len(p.stops) for p in patterns),
        "stops": _flat([p.stops for p in patterns], np.int64),
        "pickup": _flat([p.pickup for p in patterns], bool),
        "drop_off": _flat([p.drop_off for p in patterns], bool),
        "trip_start": _starts(len(p.trip_ids) for p in patterns),
        "trip_ids": np.asarray([str(t) for p in patterns for t in p.trip_ids], dtype=str),
        "arrival": _seconds([p.arrival.ravel() for p in patterns]),
        "departure": _seconds([p.departure.ravel() for p in patterns]),
        "route_row": np.asarray([p.route_row for p in patterns], dtype=np.int64),
        "change_s": day.change_s,
        "walk_start": links.start,
        "walk_target": links.target,
        "walk_seconds": links.seconds,
        "basis_run": np.asarray([run for run, _ in basis], dtype=str),
        "basis": np.asarray([said[0] for _, said in basis], dtype=str),
        "basis_note": np.asarray([said[1] for _, said in basis], dtype=str),
    }


def _write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An ``.npz`` file (what :func:`numpy.load` reads), refusing any array of Python objects."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _starts(sizes: Iterable[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.fromiter(sizes, dtype=np.int64))]).astype(np.int64)


def _flat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _seconds(parts: list[np.ndarray]) -> np.ndarray:
    """Times as int32; a time beyond int32 (68 years; the readers refuse times a week into a day) is not cached."""
    times = _flat(parts, np.int64)
    if times.size and (times.min() < np.iinfo(np.int32).min or times.max() > np.iinfo(np.int32).max):
        raise ValueError("a time beyond 32 bits")
    return times.astype(np.int32)


def _from_arrays(arrays: dict[str, np.ndarray], timetable: Timetable, when: date) -> CompiledDay:
    """The compiled day saved by :func:`_to_arrays`, on ``timetable``."""
    stop_start, trip_start = arrays["stop_start"], arrays["trip_start"]
    trip_ids = arrays["trip_ids"].astype(object)
    arrival, departure = arrays["arrival"].astype(np.int64), arrays["departure"].astype(np.int64)
    patterns = []
    cell = 0
    for number, route_row in enumerate(arrays["route_row"].tolist()):
        calls = slice(stop_start[number], stop_start[number + 1])
        runs = slice(trip_start[number], trip_start[number + 1])
        shape = (runs.stop - runs.start, calls.stop - calls.start)
        cells = slice(cell, cell + shape[0] * shape[1])
        cell = cells.stop
        patterns.append(
            Pattern(
                stops=arrays["stops"][calls],
                arrival=arrival[cells].reshape(shape),
                departure=departure[cells].reshape(shape),
                trip_ids=trip_ids[runs],
                route_row=route_row,
                pickup=arrays["pickup"][calls],
                drop_off=arrays["drop_off"][calls],
            )
        )
    if cell != len(arrival):
        raise ValueError("the saved day's times do not match its patterns")
    stops = len(timetable.stops)
    links = WalkLinks.checked(arrays["walk_start"], arrays["walk_target"], arrays["walk_seconds"], stops)
    basis = zip(arrays["basis_run"].tolist(), arrays["basis"].tolist(), arrays["basis_note"].tolist(), strict=True)
    return assemble(
        timetable,
        when,
        patterns=patterns,
        change_s=arrays["change_s"],
        walk_links=links,
        basis={run: (said, note) for run, said, note in basis},
    )
