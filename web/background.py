"""Background jobs for the planner: caseload measures, scenario comparison and siting.

Jobs run in a small thread pool (``JOB_WORKERS``, default 2) so no request
waits for them. Their state lives in the ``Job`` table, so a page reload (or a
second server process) reads it from the database: ``queued`` -> ``running``
(``progress`` 0..1 and a short ``message``) -> ``done`` (``result_json``) or
``failed`` (``message``: the error's one-line text, never a traceback). A job
left ``running`` or ``queued`` by a previous process is marked failed
("interrupted by a restart") when the app starts.

Caseloads. An uploaded caseload is criminal-justice personal data. The
validated people (pseudonymous id, lon/lat of the postcode centroid, LSOA,
district, council, postcode sector, requirement, sex: never the postcode) are
kept in the instance folder, one Parquet file per upload (mode 0600) named by
a random id, owned by the uploader, deletable by them, and deleted after
``PLANNER_UPLOAD_DAYS`` (default 7) days. Keeping them on disk rather than in
memory lets a job run in any worker process and lets a manager run several
analyses on one upload without sending it again; the expiry and the delete
button bound how long the data are held. Nothing about a person is logged.

Results. A job stores aggregates only: overall measures, by district and by
LSOA (:func:`geoaccess.analysis.measures.by_area` suppresses areas with fewer than
``suppress_below`` people), gains and losses by district, siting choices.
Maps are rendered in the job from people aggregated to 10 km hexagons (small
counts suppressed) and saved beside the job as HTML, PNG and PDF; no list of
homes is ever stored.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from flask import Flask

from geoaccess.errors import BadInput

log = logging.getLogger(__name__)

KINDS = ("measures", "compare", "site")
STATUSES = ("queued", "running", "done", "failed")
INTERRUPTED = "interrupted by a restart"
ASSET_PLACEHOLDER = "__GEOACCESS_ASSETS__/"
"""Stands in for the vendored-asset URL prefix in saved map pages; replaced when served."""
MAP_FORMATS = ("html", "png", "pdf")
SYNTHETIC = "synthetic"
UPLOAD_ID_BYTES = 16

Progress = Callable[[float, str], None]
Runner = Callable[[Flask, dict, int, Progress, Path], dict]

_RUNNERS: dict[str, Runner] = {}


def register(kind: str, runner: Runner) -> None:
    """Make ``kind`` a job kind run by ``runner(app, params, owner_id, progress, folder) -> result``."""
    _RUNNERS[kind] = runner


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


def submit(app: Flask, kind: str, params: dict, owner_id: int) -> int:
    """Record a queued job and hand it to the pool; returns its id at once."""
    app = _real(app)
    if kind not in _RUNNERS:
        raise BadInput(f"unknown job kind {kind!r}: one of {', '.join(sorted(_RUNNERS))}")
    from geoaccess.web.db import Job, session_scope

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


def status(job_id: int, owner_id: int | None = None) -> dict | None:
    """The job as a JSON-ready dict (``None`` if absent, or not ``owner_id``'s when given)."""
    from geoaccess.web.db import Job, session_scope

    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or (owner_id is not None and job.owner_id != owner_id):
            return None
        return _as_dict(job)


def list_jobs(owner_id: int, limit: int = 20) -> list[dict]:
    """The owner's latest jobs, newest first."""
    from geoaccess.web.db import Job, session_scope

    with session_scope() as session:
        rows = session.query(Job).filter(Job.owner_id == owner_id).order_by(Job.id.desc()).limit(limit).all()
        return [_as_dict(job, with_result=False) for job in rows]


def fail_interrupted(app: Flask | None = None) -> int:
    """Mark jobs left queued or running by a previous process as failed; returns how many."""
    from geoaccess.web.db import Job, session_scope

    with session_scope(app) as session:
        stale = session.query(Job).filter(Job.status.in_(("queued", "running"))).all()
        for job in stale:
            job.status, job.message = "failed", INTERRUPTED
        return len(stale)


def _as_dict(job, *, with_result: bool = True) -> dict:
    out = {
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
    from geoaccess.web.db import Job, session_scope

    with session_scope(app) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        for key, value in fields.items():
            setattr(job, key, value)


def _run(app: Flask, job_id: int) -> None:
    """Run one job in a pool thread, recording progress, result or failure."""
    from geoaccess.web.db import Job, session_scope

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


def uploads_root(app: Flask) -> Path:
    return planner_root(app) / "uploads"


def jobs_root(app: Flask) -> Path:
    return planner_root(app) / "jobs"


def job_folder(app: Flask, job_id: int) -> Path:
    folder = jobs_root(app) / str(int(job_id))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- caseloads: uploads kept per owner, expiring -----------------------------------------------


@dataclass(frozen=True)
class StoredCaseload:
    """A caseload ready for a job: the people (no postcodes), a label, whether synthetic."""

    people: pd.DataFrame
    label: str
    synthetic: bool


_store_lock = threading.Lock()
_synthetic_cache: dict[str, StoredCaseload] = {}


def _valid_upload_id(upload_id: str) -> bool:
    return (
        isinstance(upload_id, str)
        and len(upload_id) == UPLOAD_ID_BYTES * 2
        and all(c in "0123456789abcdef" for c in upload_id)
    )


def save_upload(app: Flask, caseload, owner_id: int, file_name: str) -> str:
    """Keep a validated caseload's people for ``owner_id``; returns the upload id."""
    upload_id = secrets.token_hex(UPLOAD_ID_BYTES)
    root = uploads_root(app)
    root.mkdir(parents=True, exist_ok=True)
    people = caseload.people.drop(columns=[c for c in ("postcode",) if c in caseload.people.columns])
    data = root / f"{upload_id}.parquet"
    temp = root / f".{upload_id}.tmp"
    people.to_parquet(temp, index=False)
    temp.chmod(0o600)
    temp.replace(data)
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
    meta_path = root / f"{upload_id}.json"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    meta_path.chmod(0o600)
    return upload_id


def upload_meta(app: Flask, upload_id: str, owner_id: int) -> dict | None:
    """The upload's description if it exists, has not expired and is ``owner_id``'s."""
    if not _valid_upload_id(upload_id):
        return None
    path = uploads_root(app) / f"{upload_id}.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("owner_id") != int(owner_id):
        return None
    if datetime.fromisoformat(meta["expires"]) <= datetime.now(UTC):
        delete_upload(app, upload_id, owner_id=None)
        return None
    return meta


def list_uploads(app: Flask, owner_id: int) -> list[dict]:
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
        for path in (root / f"{upload_id}.parquet", root / f"{upload_id}.json"):
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
        try:
            expired = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["expires"]) <= now
        except (OSError, ValueError, KeyError, TypeError):
            expired = True
        if expired:
            count += delete_upload(app, path.stem, owner_id=None)
    for path in root.glob("*.parquet"):  # data without its description
        if not (root / f"{path.stem}.json").exists():
            path.unlink(missing_ok=True)
    return count


def load_caseload(app: Flask, source: str, owner_id: int) -> StoredCaseload:
    """``"synthetic"`` or an upload id of ``owner_id``'s."""
    if source == SYNTHETIC:
        with _store_lock:
            if SYNTHETIC not in _synthetic_cache:
                from geoaccess.analysis.synthetic import synthetic_caseload

                people = synthetic_caseload().people
                _synthetic_cache[SYNTHETIC] = StoredCaseload(people, "SYNTHETIC demonstration caseload", True)
            return _synthetic_cache[SYNTHETIC]
    meta = upload_meta(app, source, owner_id)
    if meta is None:
        raise BadInput("that caseload upload is not available (deleted, expired or not yours): upload it again")
    people = pd.read_parquet(uploads_root(app) / f"{source}.parquet")
    return StoredCaseload(people, f"uploaded caseload ({meta['people']} people)", False)


def remove_job_files(app: Flask, job_id: int) -> None:
    """Delete a job's saved maps."""
    shutil.rmtree(jobs_root(app) / str(int(job_id)), ignore_errors=True)


# --- scenarios from the planner's JSON ---------------------------------------------------------


def scenario_from_dict(document: dict, venues: list):
    """A :class:`~geoaccess.analysis.scenarios.Scenario` from ``{"today": "BBR"}`` or the scenario JSON format
    (``geoaccess/analysis/scenarios.py``); every problem is a BadInput naming the venue."""
    from geoaccess.analysis.scenarios import current_scenario, scenario_from_document

    if not isinstance(document, dict):
        raise BadInput("a scenario must be an object")
    if document.get("today"):
        return current_scenario(str(document["today"]), venues)
    name = str(document.get("name") or "scenario")[:80]
    return scenario_from_document(document, venues, label=f"scenario {name!r}")


# --- the job kinds -----------------------------------------------------------------------------


def _context(app: Flask):
    """(settings, car router, transit planner, venues): loaded once per process and shared."""
    from geoaccess.analysis.measures import Settings
    from geoaccess.roads.sources import router_for
    from geoaccess.transit.sources import planner_for

    settings = Settings(suppress_below=int(app.config.get("PLANNER_SUPPRESS_BELOW", 5)))
    return settings, router_for("car", None), planner_for((), (), None), app.extensions["geoaccess"]["venues"]


def _provenance(caseload: StoredCaseload, car, planner) -> dict:
    from geoaccess.cli.analysis import provenance

    return provenance(caseload, car, planner)


def _group(caseload: StoredCaseload, programme: str) -> pd.DataFrame:
    people = caseload.people[caseload.people["requirement"] == programme]
    if people.empty:
        raise BadInput(f"no one in the caseload needs {programme}")
    return people


def save_map(doc, folder: Path, key: str) -> dict:
    """Write a map as the page shown in the planner's iframe, standalone HTML, PNG and PDF."""
    from geoaccess.maps.interactive import render_interactive, save_html
    from geoaccess.maps.static import render_static

    frame = render_interactive(doc, asset_prefix=ASSET_PLACEHOLDER).get_root().render()
    (folder / f"{key}.frame.html").write_text(frame, encoding="utf-8")
    save_html(doc, folder / f"{key}.html")
    render_static(doc, folder / f"{key}.png", dpi=150)
    render_static(doc, folder / f"{key}.pdf")
    return {"key": key, "title": doc.title, "subtitle": doc.subtitle}


def run_measures(app: Flask, params: dict, owner_id: int, progress: Progress, folder: Path) -> dict:
    """Measures of one or more scenarios of a programme, with a burden map for each."""
    from geoaccess.analysis.measures import by_area, person_measures, summarise
    from geoaccess.cli.maps import describe
    from geoaccess.maps.builders import burden_map
    from geoaccess.pack import load_pack

    progress(0.02, "loading the caseload and networks")
    caseload = load_caseload(app, str(params.get("caseload", "")), owner_id)
    settings, car, planner, venues = _context(app)
    documents = params.get("scenarios") or [{"today": params.get("programme", "")}]
    scenarios = [scenario_from_dict(d, venues) for d in documents]
    programme = scenarios[0].programme
    if any(s.programme != programme for s in scenarios):
        raise BadInput("the scenarios measured together must be for the same programme")
    people = _group(caseload, programme)
    info = _provenance(caseload, car, planner)
    entries, maps, steps = [], [], 2 * len(scenarios)
    for index, scenario in enumerate(scenarios):
        progress((2 * index + 0.1) / steps, f"measuring {scenario.name} ({len(people)} people)")
        measures = person_measures(people, scenario, car, planner, settings)
        entries.append(
            {
                "name": scenario.name,
                "scenario": scenario.to_dict(),
                "overall": summarise(measures, settings),
                "by_district": by_area(measures, "district", settings),
                "by_lsoa": by_area(measures, "lsoa21", settings),
            }
        )
        progress((2 * index + 1) / steps, f"drawing the map of {scenario.name}")
        doc = burden_map(
            load_pack(),
            measures,
            people,
            programme,
            describe(info),
            modelled=info["modelled"],
            synthetic=caseload.synthetic,
            suppress_below=settings.suppress_below,
        )
        maps.append(save_map(doc, folder, f"burden-{index}"))
    return {
        "kind": "measures",
        "programme": programme,
        "people": len(people),
        "caseload": caseload.label,
        "synthetic": caseload.synthetic,
        "settings": settings.to_dict(),
        "provenance": info,
        "scenarios": entries,
        "maps": maps,
    }


def run_compare(app: Flask, params: dict, owner_id: int, progress: Progress, folder: Path) -> dict:
    """Two or more scenarios side by side, changes against the first, gains and losses by district, and a
    map of the change for each against the first (as :func:`geoaccess.analysis.comparison.compare_scenarios`)."""
    from geoaccess.analysis.comparison import compare_measured
    from geoaccess.analysis.measures import person_measures
    from geoaccess.cli.maps import describe
    from geoaccess.maps.builders import scenario_map
    from geoaccess.pack import load_pack

    progress(0.02, "loading the caseload and networks")
    caseload = load_caseload(app, str(params.get("caseload", "")), owner_id)
    settings, car, planner, venues = _context(app)
    documents = params.get("scenarios") or []
    if len(documents) < 2:
        raise BadInput("a comparison needs two or more scenarios")
    scenarios = [scenario_from_dict(d, venues) for d in documents]
    programme = scenarios[0].programme
    if any(s.programme != programme for s in scenarios):
        raise BadInput("the scenarios compared must be for the same programme")
    people = _group(caseload, programme)
    info = _provenance(caseload, car, planner)
    steps = len(scenarios) + (len(scenarios) - 1)
    measured = []
    for index, scenario in enumerate(scenarios):
        progress((index + 0.1) / steps, f"measuring {scenario.name} ({len(people)} people)")
        measured.append(person_measures(people, scenario, car, planner, settings))
    compared = compare_measured(scenarios, measured, settings)
    entries, changes, maps = compared["scenarios"], compared["changes"], []
    for index, (entry, measures) in enumerate(zip(entries[1:], measured[1:], strict=True), start=1):
        progress((len(scenarios) + index - 1) / steps, f"drawing the map of {entry['name']}")
        doc = scenario_map(
            load_pack(),
            measured[0],
            measures,
            people,
            (entries[0]["name"], entry["name"]),
            describe(info),
            modelled=info["modelled"],
            synthetic=caseload.synthetic,
            suppress_below=settings.suppress_below,
        )
        maps.append(save_map(doc, folder, f"change-{index}"))
    return {
        "kind": "compare",
        "programme": programme,
        "people": len(people),
        "caseload": caseload.label,
        "synthetic": caseload.synthetic,
        "settings": settings.to_dict(),
        "provenance": info,
        "scenarios": entries,
        "changes": changes,
        "maps": maps,
    }


SITE_OBJECTIVES = ("pmedian", "mclp", "over120")
SITE_COSTS = ("car", "transit", "roundtrip")


def run_site(app: Flask, params: dict, owner_id: int, progress: Progress, folder: Path) -> dict:
    """Choose ``p`` venues to add to the kept ones (see ``geoaccess site``), and map the change."""
    import numpy as np

    from geoaccess.analysis.measures import person_measures, summarise
    from geoaccess.analysis.scenarios import Scenario, current_scenario
    from geoaccess.analysis.siting import solve as siting
    from geoaccess.analysis.siting.candidates import candidates
    from geoaccess.analysis.siting.costs import cost_matrix, parse_session
    from geoaccess.cli.maps import describe
    from geoaccess.maps.builders import scenario_map
    from geoaccess.pack import load_pack

    progress(0.02, "loading the caseload and networks")
    caseload = load_caseload(app, str(params.get("caseload", "")), owner_id)
    settings, car, planner, venues = _context(app)
    try:
        p = int(params.get("p", 1))
        threshold = float(params.get("threshold", 120.0))
    except (TypeError, ValueError) as exc:
        raise BadInput("p must be a whole number and threshold a number of minutes") from exc
    if not 1 <= p <= 5:
        raise BadInput("p (venues to add) must be from 1 to 5")
    objective, cost = str(params.get("objective", "over120")), str(params.get("cost", "roundtrip"))
    if objective not in SITE_OBJECTIVES or cost not in SITE_COSTS:
        raise BadInput(f"objective must be one of {', '.join(SITE_OBJECTIVES)} and cost one of {', '.join(SITE_COSTS)}")
    keep = [str(k).strip() for k in params.get("keep") or [] if str(k).strip()]
    scenario = current_scenario(str(params.get("programme", "BBR")), venues)
    session = (
        parse_session(str(params["session"]), scenario.programme)
        if params.get("session")
        else scenario.offers[0].sessions[0]
    )
    offers = candidates(load_pack(), venues, scenario, session)
    people = _group(caseload, scenario.programme)
    progress(0.1, f"timing {len(offers)} candidate venues for {len(people)} people")
    minutes = cost_matrix(people, offers, cost, car, planner, settings)
    progress(0.6, "choosing venues")
    result = siting.site_result_dict(
        minutes,
        np.ones(len(people)),
        [o.venue_id for o in offers],
        p,
        objective,
        threshold=threshold,
        keep=keep,
        time_limit_s=float(app.config.get("PLANNER_SITE_SECONDS", 30)),
    )
    names = {o.venue_id: o.name for o in offers}
    info = _provenance(caseload, car, planner)
    result.update(
        {
            "kind": "site",
            "programme": scenario.programme,
            "cost": cost,
            "people": len(people),
            "new_venue_session": session.label(),
            "candidates": len(offers),
            "caseload": caseload.label,
            "synthetic": caseload.synthetic,
            "settings": settings.to_dict(),
            "provenance": info,
            "names": {key: names.get(key, key) for key in {*result["selected"], *keep}},
            "maps": [],
        }
    )
    chosen = Scenario(
        name=f"{scenario.programme}: chosen venues",
        programme=scenario.programme,
        offers=tuple(o for o in offers if o.venue_id in set(result["selected"])),
    )
    progress(0.75, "measuring today's venues and the chosen ones")
    before = person_measures(people, scenario, car, planner, settings)
    after = person_measures(people, chosen, car, planner, settings)
    result["today_overall"], result["chosen_overall"] = summarise(before, settings), summarise(after, settings)
    progress(0.9, "drawing the map")
    doc = scenario_map(
        load_pack(),
        before,
        after,
        people,
        (scenario.name, chosen.name),
        describe(info),
        modelled=info["modelled"],
        synthetic=caseload.synthetic,
        suppress_below=settings.suppress_below,
    )
    result["maps"].append(save_map(doc, folder, "site-1"))
    return result


register("measures", run_measures)
register("compare", run_compare)
register("site", run_site)
