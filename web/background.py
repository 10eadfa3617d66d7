"""Background jobs: a small thread pool, their state in the ``Job`` table, and their folders.

Jobs run in a pool (``JOB_WORKERS``, default 2) so no request waits for them. Their state lives in
the ``Job`` table, so a page reload (or a second server process) reads it from the database:
``queued`` -> ``running`` (``progress`` 0..1 and a short ``message``) -> ``done`` (``result_json``)
or ``failed`` (``message``: the error's one-line text, never a traceback). A job left ``running``
or ``queued`` by a previous process is marked failed ("interrupted by a restart") when the app
starts. The kinds of job (measures, comparison, siting) are in :mod:`geoaccess.web.job_kinds`.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from geoaccess.errors import BadInput

from .job_kinds import RUNNERS, Runner
from .uploads import purge_expired_uploads, uploads_root

if TYPE_CHECKING:
    from .db import Job

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by a restart"
_RUNNERS: dict[str, Runner] = dict(RUNNERS)


def register(kind: str, runner: Runner) -> None:
    """Make ``kind`` a job kind run by ``runner(app, params, owner_id, progress, folder) -> result``."""
    _RUNNERS[kind] = runner


def run_now(app: Flask, kind: str, params: dict[str, Any], owner_id: int, folder: Path) -> dict[str, Any]:
    """Run a job of ``kind`` in this thread (no pool), with no progress reports."""
    return _RUNNERS[kind](app, params, owner_id, lambda *_: None, folder)


# --- the pool and the Job table ----------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Start the job pool for ``app`` and fail the jobs an earlier process left unfinished."""
    if "geoaccess_jobs" in app.extensions:
        return
    app.config.setdefault("JOB_WORKERS", 2)
    app.config.setdefault("PLANNER_UPLOAD_DAYS", 7)
    pool = ThreadPoolExecutor(max_workers=int(app.config["JOB_WORKERS"]), thread_name_prefix="geoaccess-job")
    app.extensions["geoaccess_jobs"] = pool
    for folder in (planner_root(app), uploads_root(app), jobs_root(app)):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    fail_interrupted(app)
    purge_expired_uploads(app)


def shutdown(app: Flask, wait: bool = True) -> None:
    """Stop taking jobs (tests and server shutdown)."""
    pool = app.extensions.get("geoaccess_jobs")
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=not wait)


def submit(app: Flask, kind: str, params: dict[str, Any], owner_id: int) -> int:
    """Record a queued job and hand it to the pool; returns its id at once."""
    app = _real(app)
    if kind not in _RUNNERS:
        raise BadInput(f"unknown job kind {kind!r}: one of {', '.join(sorted(_RUNNERS))}")
    from .db import Job, session_scope

    with session_scope(app) as session:
        job = Job(
            owner_id=owner_id,
            kind=kind,
            status="queued",
            progress=0.0,
            message="queued",
            params_json=json.dumps(params),
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


def status(job_id: int, owner_id: int | None = None) -> dict[str, Any] | None:
    """The job as a JSON-ready dict (``None`` if absent, or not ``owner_id``'s when given)."""
    from .db import Job, session_scope

    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or (owner_id is not None and job.owner_id != owner_id):
            return None
        return _as_dict(job)


def list_jobs(owner_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The owner's latest jobs, newest first."""
    from .db import Job, session_scope

    with session_scope() as session:
        rows = session.query(Job).filter(Job.owner_id == owner_id).order_by(Job.id.desc()).limit(limit).all()
        return [_as_dict(job, with_result=False) for job in rows]


def fail_interrupted(app: Flask | None = None) -> int:
    """Mark jobs left queued or running by a previous process as failed; returns how many."""
    from .db import Job, session_scope

    with session_scope(app) as session:
        stale = session.query(Job).filter(Job.status.in_(("queued", "running"))).all()
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
    from .db import Job, session_scope

    try:
        with session_scope(app) as session:
            job = session.get(Job, job_id)
            if job is None or job.status != "queued":
                return
            kind, owner_id, params = job.kind, int(job.owner_id), json.loads(job.params_json or "{}")
            job.status, job.progress, job.message = "running", 0.01, "starting"
        folder = job_folder(app, job_id)
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or fraction >= 1:  # do not hammer the database
                last[0] = now
                _update(app, job_id, progress=max(0.01, min(0.99, float(fraction))), message=message[:200])

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
    """One line saying what went wrong. Library errors (BadInput) are written to be shown and never
    repeat a postcode or position; anything else is named by its type only."""
    if isinstance(exc, BadInput):
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
