"""Caseload uploads: kept per owner on disk, without postcodes, deleted when they expire.

An uploaded caseload is criminal-justice personal data. The validated people (pseudonymous id,
lon/lat of the postcode centroid, LSOA, district, council, postcode sector, requirement, sex: never
the postcode) are kept in the instance folder, one Parquet file per upload (mode 0600) beside its
description and validation report, named by a random id, owned by the uploader, deletable by them,
and all three deleted after ``PLANNER_UPLOAD_DAYS`` (default 7) days. Keeping them on disk rather
than in memory lets a job run in any worker process and lets a manager run several analyses on one
upload without sending it again; the expiry and the delete button bound how long the data are held.
Nothing about a person is logged.
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Flask

from geoaccess import defaults
from geoaccess._io import write_atomically
from geoaccess.analysis.caseload import Caseload, read_caseload
from geoaccess.errors import BadInput, GeoaccessError
from geoaccess.isolation import run_isolated
from geoaccess.services.analysis import People, caseload_people

SYNTHETIC = "synthetic"
UPLOAD_ID_BYTES = 16
REPORT_ROWS = 1000
"""The most problem rows an upload's validation report keeps."""
_PARTS = (".parquet", ".problems.json", ".json")  # the people, the validation report, the description
ORPHAN_SECONDS = 3600
"""A part older than this whose upload has no description is deleted (younger: a save may be under way)."""


def uploads_root(app: Flask) -> Path:
    """Where uploads are kept: ``PLANNER_FOLDER/uploads`` (default ``instance/planner/uploads``)."""
    return Path(app.config.get("PLANNER_FOLDER") or Path(app.instance_path) / "planner") / "uploads"


_store_lock = threading.Lock()
_synthetic_lock = threading.Lock()  # apart from the store's: building the synthetic caseload takes a while


def _valid_upload_id(upload_id: str) -> bool:
    return (
        isinstance(upload_id, str)
        and len(upload_id) == UPLOAD_ID_BYTES * 2
        and all(c in "0123456789abcdef" for c in upload_id)
    )


class ReadersBusy(GeoaccessError):
    """Every caseload reader is busy: the upload was not read and may be sent again shortly."""

    status = 503
    title = "Busy"
    problem_type = "urn:geoaccess:problem:busy"


def read_uploaded_caseload(app: Flask, path: Path) -> Caseload:
    """Read, check and geocode an uploaded caseload in a child process with memory and time limits.

    At most ``CASELOAD_READERS`` (config, default ``defaults.CASELOAD_READERS``) are read at once, so a
    burst of hostile uploads costs bounded memory and leaves the server's threads free to answer others;
    an upload that finds every reader busy for ``CASELOAD_READER_WAIT_SECONDS`` (default 30) gets
    :class:`ReadersBusy`. The limits' refusals are :class:`geoaccess.isolation.LimitExceeded`.
    """
    readers = _readers(app)
    if not readers.acquire(timeout=float(app.config.get("CASELOAD_READER_WAIT_SECONDS", 30))):
        raise ReadersBusy("other caseloads are being read just now: send the file again in a minute")
    try:
        return run_isolated(
            read_caseload,
            path,
            memory_bytes=int(app.config.get("CASELOAD_READER_MEMORY_BYTES", defaults.CASELOAD_READER_MEMORY_BYTES)),
            cpu_seconds=defaults.CASELOAD_READER_CPU_SECONDS,
            wall_seconds=defaults.CASELOAD_READER_WALL_SECONDS,
            preload=["geoaccess.analysis.caseload"],
        )
    finally:
        readers.release()


def _readers(app: Flask) -> threading.BoundedSemaphore:
    with _store_lock:
        readers = app.extensions.get("geoaccess_caseload_readers")
        if readers is None:
            readers = threading.BoundedSemaphore(int(app.config.get("CASELOAD_READERS", defaults.CASELOAD_READERS)))
            app.extensions["geoaccess_caseload_readers"] = readers
        return readers


def save_upload(app: Flask, caseload: Caseload, owner_id: int, file_name: str) -> str:
    """Keep a validated caseload's people and its validation report for ``owner_id``; returns the upload id."""
    upload_id = secrets.token_hex(UPLOAD_ID_BYTES)
    root = uploads_root(app)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    people = caseload.people.drop(columns=[c for c in ("postcode",) if c in caseload.people.columns])
    _write_private(root / f"{upload_id}.parquet", lambda path: people.to_parquet(path, index=False))
    now = datetime.now(UTC)
    summary = caseload.summary()
    summary.pop("file", None)
    meta = {
        "id": upload_id,
        "owner_id": int(owner_id),
        "file_name": Path(file_name).name[:120],
        "created": now.isoformat(timespec="seconds"),
        "expires": (now + timedelta(days=float(app.config.get("PLANNER_UPLOAD_DAYS", 7)))).isoformat(
            timespec="seconds"
        ),
        "summary": summary,
        "people": len(people),
    }
    report = problem_report(caseload)
    _write_private(root / f"{upload_id}.problems.json", lambda path: path.write_text(json.dumps(report), "utf-8"))
    # last, and whole or absent: a purge running meanwhile would take a half-written description for an unreadable one
    _write_private(root / f"{upload_id}.json", lambda path: path.write_text(json.dumps(meta), encoding="utf-8"))
    return upload_id


def problem_report(caseload: Caseload) -> dict[str, Any]:
    """The validation report: the first :data:`REPORT_ROWS` problems (row, reason, message) and their total."""
    return {"problems": caseload.problems.head(REPORT_ROWS).to_dict("records"), "total": len(caseload.problems)}


def upload_problems(app: Flask, upload_id: str) -> dict[str, Any]:
    """The validation report :func:`save_upload` kept (none if it cannot be read); check the owner first."""
    if not _valid_upload_id(upload_id):
        return {"problems": [], "total": 0}
    try:
        report: dict[str, Any] = json.loads((uploads_root(app) / f"{upload_id}.problems.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {"problems": [], "total": 0}
    return report


def _write_private(path: Path, write: Callable[[Path], object]) -> None:
    """Let ``write`` fill ``path`` whole or not at all (no partial file left behind), readable by the owner only."""

    def private(partial: Path) -> None:
        write(partial)
        partial.chmod(0o600)

    write_atomically(path, private)


def upload_meta(app: Flask, upload_id: str, owner_id: int) -> dict[str, Any] | None:
    """The upload's description if it exists, has not expired and is ``owner_id``'s."""
    if not _valid_upload_id(upload_id):
        return None
    path = uploads_root(app) / f"{upload_id}.json"
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))  # written by save_upload
    except (OSError, ValueError):
        return None
    if meta.get("owner_id") != int(owner_id):
        return None
    if datetime.fromisoformat(meta["expires"]) <= datetime.now(UTC):
        delete_upload(app, upload_id, owner_id=None)
        return None
    return meta


def list_uploads(app: Flask, owner_id: int) -> list[dict[str, Any]]:
    """The owner's uploads that have not expired, newest first."""
    purge_expired_uploads(app)
    found = []
    for path in uploads_root(app).glob("*.json"):
        meta = upload_meta(app, path.stem, owner_id)
        if meta is not None:
            found.append(meta)
    return sorted(found, key=lambda m: m["created"], reverse=True)


def delete_upload(app: Flask, upload_id: str, owner_id: int | None) -> bool:
    """Delete an upload (only the owner's when ``owner_id`` is given); True if something was deleted."""
    if not _valid_upload_id(upload_id):
        return False
    root = uploads_root(app)
    if owner_id is not None and upload_meta(app, upload_id, owner_id) is None:
        return False
    with _store_lock:
        removed = False
        for path in (root / f"{upload_id}{part}" for part in _PARTS):
            if path.exists():
                path.unlink()
                removed = True
    return removed


def purge_expired_uploads(app: Flask) -> int:
    """Delete every expired (or unreadable) upload; returns how many."""
    root = uploads_root(app)
    if not root.is_dir():
        return 0
    now, count = datetime.now(UTC), 0
    for path in root.glob("*.json"):
        if not _valid_upload_id(path.stem):  # a validation report: it goes with its upload
            continue
        try:
            expired = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["expires"]) <= now
        except (OSError, ValueError, KeyError, TypeError):
            expired = True
        if expired:
            count += delete_upload(app, path.stem, owner_id=None)
    orphaned = time.time() - ORPHAN_SECONDS
    for path in root.glob("*.*"):  # people or a report without its description
        upload_id = path.name.split(".", 1)[0]
        if _valid_upload_id(upload_id) and not (root / f"{upload_id}.json").exists():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < orphaned:
                    path.unlink()
    return count


@functools.cache
def _synthetic_people() -> People:
    return caseload_people(synthetic=True)


def load_caseload(app: Flask, source: str, owner_id: int) -> People:
    """``"synthetic"`` (made once per process) or an upload id of ``owner_id``'s."""
    if source == SYNTHETIC:
        with _synthetic_lock:
            return _synthetic_people()
    meta = upload_meta(app, source, owner_id)
    if meta is None:
        raise BadInput("that caseload upload is not available (deleted, expired or not yours): upload it again")
    people = pd.read_parquet(uploads_root(app) / f"{source}.parquet")
    return People(people, f"uploaded caseload ({meta['people']} people)", False)
