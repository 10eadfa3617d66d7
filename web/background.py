"""Background jobs: a small thread pool, their state in the ``Job`` table, and their folders.

Jobs run in a pool (``JOB_WORKERS``, default 2) so no request waits for them. Their state lives in
the ``Job`` table, so a page reload (or a second server process) reads it from the database:
``queued`` -> ``running`` (``progress`` 0..1 and a short ``message``) -> ``done`` (``result_json``)
or ``failed`` (``message``: the error's one-line text, never a traceback). The kinds of job
(measures, comparison, siting) are in :mod:`geoaccess.web.job_kinds`.

Each job holds a lease: the id of the pool (process) that runs it (``pool_id``) and a ``heartbeat``
that pool renews every :data:`HEARTBEAT_SECONDS` while the job is queued or running. Only a job whose
lease has expired (no heartbeat for ``JOB_LEASE_SECONDS``, default :data:`LEASE_SECONDS`) or that has
none is marked failed ("interrupted by a restart"): when an app starts and then on every heartbeat.
So a second ``serve`` or a ``geoaccess users`` command, which build an app on the same database,
never fail the live server's jobs.

Each user may have at most ``JOB_LIMIT_PER_USER`` (default :data:`JOBS_PER_USER`) jobs queued or
running; :func:`submit` refuses another with :class:`TooManyJobs` before recording it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from geoaccess.errors import BadInput, NoRoute

from .job_kinds import RUNNERS, Runner
from .uploads import purge_expired_uploads, uploads_root

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .db import Job

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by a restart"
ACTIVE = ("queued", "running")
JOBS_PER_USER = 3
"""Default for ``JOB_LIMIT_PER_USER``: the most jobs one user may have queued or running at once."""
LEASE_SECONDS = 120.0
"""Default for ``JOB_LEASE_SECONDS``: a job whose pool has not renewed it for this long is failed."""
HEARTBEAT_SECONDS = 30.0
"""Default for ``JOB_HEARTBEAT_SECONDS``: how often a pool renews the lease of its jobs."""


class TooManyJobs(BadInput):
    """The user already has as many jobs queued or running as allowed (HTTP 429)."""

    status = 429
    title = "Too many jobs"
    problem_type = "urn:geoaccess:problem:too-many-jobs"


_RUNNERS: dict[str, Runner] = dict(RUNNERS)


def register(kind: str, runner: Runner) -> None:
    """Make ``kind`` a job kind run by ``runner(app, params, owner_id, progress, folder) -> result``."""
    _RUNNERS[kind] = runner


def run_now(app: Flask, kind: str, params: dict[str, Any], owner_id: int, folder: Path) -> dict[str, Any]:
    """Run a job of ``kind`` in this thread (no pool), with no progress reports."""
    return _RUNNERS[kind](app, params, owner_id, lambda *_: None, folder)


# --- the pool and the Job table ----------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Start the job pool for ``app`` (with its heartbeat) and fail the jobs whose lease has expired."""
    if "geoaccess_jobs" in app.extensions:
        return
    app.config.setdefault("JOB_WORKERS", 2)
    app.config.setdefault("PLANNER_UPLOAD_DAYS", 7)
    app.config.setdefault("JOB_LIMIT_PER_USER", JOBS_PER_USER)
    app.config.setdefault("JOB_LEASE_SECONDS", LEASE_SECONDS)
    app.config.setdefault("JOB_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    pool = ThreadPoolExecutor(max_workers=int(app.config["JOB_WORKERS"]), thread_name_prefix="geoaccess-job")
    app.extensions["geoaccess_jobs"] = pool
    app.extensions["geoaccess_job_pool_id"] = new_pool_id()
    for folder in (planner_root(app), uploads_root(app), jobs_root(app)):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    fail_interrupted(app)
    purge_expired_uploads(app)
    stop = threading.Event()
    app.extensions["geoaccess_job_heartbeat"] = stop
    threading.Thread(target=_beat, args=(app, stop), name="geoaccess-job-heartbeat", daemon=True).start()


def new_pool_id() -> str:
    """An id for a job pool: host, process id and a random part (``host:pid:hex``, at most 64 characters)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


def pool_id(app: Flask) -> str | None:
    """The id of ``app``'s job pool (``None`` without one)."""
    value = app.extensions.get("geoaccess_job_pool_id")
    return str(value) if value is not None else None


def _beat(app: Flask, stop: threading.Event) -> None:
    """Until ``stop``: renew the lease of this pool's jobs, and fail the jobs whose lease has expired."""
    while not stop.wait(float(app.config["JOB_HEARTBEAT_SECONDS"])):
        try:
            heartbeat(app)
            fail_interrupted(app)
        except Exception:  # noqa: BLE001 - a missed beat is retried; the lease allows several
            log.warning("could not renew the job leases", exc_info=True)


def heartbeat(app: Flask) -> int:
    """Renew the lease of the jobs ``app``'s pool has queued or running; returns how many."""
    from .db import Job, session_scope, utcnow

    mine = pool_id(app)
    if mine is None:
        return 0
    with session_scope(app) as session:
        return int(
            session.query(Job)
            .filter(Job.pool_id == mine, Job.status.in_(ACTIVE))
            .update({Job.heartbeat: utcnow()}, synchronize_session=False)
        )


def shutdown(app: Flask, wait: bool = True) -> None:
    """Stop taking jobs (tests and server shutdown)."""
    stop = app.extensions.get("geoaccess_job_heartbeat")
    if stop is not None:
        stop.set()
    pool = app.extensions.get("geoaccess_jobs")
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=not wait)


def submit(app: Flask, kind: str, params: dict[str, Any], owner_id: int) -> int:
    """Record a queued job and hand it to the pool; returns its id at once.

    Raises :class:`TooManyJobs` (nothing recorded) when ``owner_id`` already has ``JOB_LIMIT_PER_USER``
    jobs queued or running."""
    app = _real(app)
    if kind not in _RUNNERS:
        raise BadInput(f"unknown job kind {kind!r}: one of {', '.join(sorted(_RUNNERS))}")
    from .db import Job, session_scope, utcnow

    limit = int(app.config.get("JOB_LIMIT_PER_USER", JOBS_PER_USER))
    with session_scope(app) as session:
        _lock_owner(session, owner_id)  # held to the commit: two submits cannot both see room for one more
        if _count_active(session, owner_id, app) >= limit:
            raise TooManyJobs(
                f"you already have {limit} analyses queued or running: wait for one to finish, then try again"
            )
        job = Job(
            owner_id=owner_id,
            kind=kind,
            status="queued",
            progress=0.0,
            message="queued",
            params_json=json.dumps(params),
            pool_id=pool_id(app),
            heartbeat=utcnow(),
        )
        session.add(job)
        session.flush()
        job_id = int(job.id)
    app.extensions["geoaccess_jobs"].submit(_run, app, job_id)
    return job_id


def _real(app: Flask) -> Flask:
    """The app itself, not the ``current_app`` proxy (which a pool thread cannot use)."""
    getter = getattr(app, "_get_current_object", None)
    return getter() if getter is not None else app


def status(job_id: int, owner_id: int | None = None, *, with_result: bool = True) -> dict[str, Any] | None:
    """The job as a JSON-ready dict (``None`` if absent, or not ``owner_id``'s when given); its ``result``
    only ``with_result`` (a siting or comparison result is large: progress polls leave it out)."""
    from .db import Job, session_scope

    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or (owner_id is not None and job.owner_id != owner_id):
            return None
        return _as_dict(job, with_result=with_result)


def list_jobs(owner_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The owner's latest jobs, newest first."""
    from .db import Job, session_scope

    with session_scope() as session:
        rows = session.query(Job).filter(Job.owner_id == owner_id).order_by(Job.id.desc()).limit(limit).all()
        return [_as_dict(job, with_result=False) for job in rows]


def active_jobs(owner_id: int, app: Flask | None = None) -> int:
    """How many of ``owner_id``'s jobs are queued or running under a live lease."""
    from .db import session_scope

    with session_scope(app) as session:
        return _count_active(session, owner_id, app)


def _count_active(session: Session, owner_id: int, app: Flask | None) -> int:
    from sqlalchemy import func, or_

    from .db import Job

    return int(
        session.query(func.count(Job.id))
        .filter(Job.owner_id == owner_id, Job.status.in_(ACTIVE))
        .filter(or_(Job.heartbeat.is_(None), Job.heartbeat >= _lease_cutoff(app)))
        .scalar()
        or 0
    )


def _lock_owner(session: Session, owner_id: int) -> None:
    """Take the write lock on the owner's row until the transaction ends (a row lock on PostgreSQL; on
    SQLite the database's one write lock, taken before anything is read so the count that follows is
    current)."""
    from sqlalchemy import update

    from .db import User

    session.execute(update(User).where(User.id == owner_id).values(id=User.id))


def _lease_cutoff(app: Flask | None) -> datetime:
    """Heartbeats older than this have expired."""
    from flask import current_app

    from .db import utcnow

    config = (app or current_app).config
    return utcnow() - timedelta(seconds=float(config.get("JOB_LEASE_SECONDS", LEASE_SECONDS)))


def fail_interrupted(app: Flask | None = None) -> int:
    """Mark failed the queued or running jobs whose lease has expired (no heartbeat for ``JOB_LEASE_SECONDS``)
    or that have no lease: their process has stopped. Jobs of a live pool, this one or another process's,
    are left alone. Returns how many were failed."""
    from sqlalchemy import or_

    from .db import Job, session_scope

    with session_scope(app) as session:
        stale = (
            session.query(Job)
            .filter(Job.status.in_(ACTIVE))
            .filter(or_(Job.heartbeat.is_(None), Job.heartbeat < _lease_cutoff(app)))
            .all()
        )
        for job in stale:
            job.status, job.message = "failed", INTERRUPTED
        return len(stale)


def _as_dict(job: Job, *, with_result: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": round(float(job.progress or 0), 3),
        "message": job.message or "",
        "created": _iso(job.created),
        "updated": _iso(job.updated),
        "params": json.loads(job.params_json or "{}"),
    }
    if with_result:
        out["result"] = json.loads(job.result_json) if job.result_json else None
    return out


def _iso(value: object) -> str | None:
    return (
        value.isoformat(timespec="seconds") if isinstance(value, datetime) else (None if value is None else str(value))
    )


def _update(app: Flask, job_id: int, **fields: object) -> None:
    from .db import Job, session_scope

    with session_scope(app) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        for key, value in fields.items():
            setattr(job, key, value)


def _run(app: Flask, job_id: int) -> None:
    """Run one job in a pool thread, recording progress, result or failure."""
    from .db import Job, session_scope, utcnow

    try:
        with session_scope(app) as session:
            job = session.get(Job, job_id)
            if job is None or job.status != "queued":
                return
            kind, owner_id, params = job.kind, int(job.owner_id), json.loads(job.params_json or "{}")
            job.status, job.progress, job.message = "running", 0.01, "starting"
            job.pool_id, job.heartbeat = pool_id(app), utcnow()
        folder = job_folder(app, job_id)
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or fraction >= 1:  # do not hammer the database
                last[0] = now
                _update(
                    app,
                    job_id,
                    progress=max(0.01, min(0.99, float(fraction))),
                    message=message[:200],
                    heartbeat=utcnow(),
                )

        with app.app_context():
            result = _RUNNERS[kind](app, params, owner_id, progress, folder)
        _update(app, job_id, status="done", progress=1.0, message="done", result_json=json.dumps(result))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        message = failure_message(exc)
        log.warning("job %s failed (%s)", job_id, type(exc).__name__)  # never the message: it may quote data
        try:
            _update(app, job_id, status="failed", message=message)
        except Exception:  # noqa: BLE001
            log.exception("could not record the failure of job %s", job_id)


def failure_message(exc: BaseException) -> str:
    """One line saying what went wrong. Library errors (BadInput, NoRoute) are written to be shown and never
    repeat a postcode or position; anything else is named by its type only."""
    if isinstance(exc, BadInput | NoRoute):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return text[:300]
    return f"internal error ({type(exc).__name__}); nothing was saved"


# --- folders -----------------------------------------------------------------------------------


def planner_root(app: Flask) -> Path:
    """Where uploads, scenarios and result maps are kept: ``PLANNER_FOLDER``, default ``instance/planner``."""
    return Path(app.config.get("PLANNER_FOLDER") or Path(app.instance_path) / "planner")


def jobs_root(app: Flask) -> Path:
    return planner_root(app) / "jobs"


def job_folder(app: Flask, job_id: int) -> Path:
    folder = jobs_root(app) / str(int(job_id))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def remove_job_files(app: Flask, job_id: int) -> None:
    """Delete a job's saved maps."""
    shutil.rmtree(jobs_root(app) / str(int(job_id)), ignore_errors=True)
