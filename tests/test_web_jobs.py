"""Planner background jobs: lifecycle, persistence in the Job table, restart, failures, kept caseloads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from geoaccess.errors import BadInput
from geoaccess.web import background, create_app, uploads
from geoaccess.web.db import Job, session_scope
from geoaccess.web.users import create_user

RELEASE = threading.Event()
REPORTED = threading.Event()  # set by _slow once its progress report is in the Job table


def _slow(app, params, owner_id, progress, folder):
    progress(0.5, "half way")  # committed before it returns
    REPORTED.set()
    if not RELEASE.wait(timeout=20):
        raise BadInput("the test never released the job")
    return {"echo": params["value"], "owner": owner_id}


def _bad_input(app, params, owner_id, progress, folder):
    raise BadInput("no one in the caseload needs BBR\nsecond line")


def _crash(app, params, owner_id, progress, folder):
    raise ValueError("person at 54.1234,-3.2345 in CA1 1HZ")  # must never reach the message


background.register("test-slow", _slow)
background.register("test-bad-input", _bad_input)
background.register("test-crash", _crash)


def make_app(folder: Path, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "BOOTSTRAP_ADMIN": False,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}",
        "PLANNER_FOLDER": str(folder / "planner"),
        **extra,
    }
    return create_app(config)


@pytest.fixture
def app(tmp_path: Path) -> Iterator:
    app = make_app(tmp_path)
    with app.app_context(), session_scope() as db:
        user, _ = create_user(db, "manager1", "manager", "a long enough password", must_change_password=False)
        app.config["TEST_OWNER"] = user.id
    yield app
    RELEASE.set()
    background.shutdown(app)


def wait_for(app, job_id: int, statuses: tuple[str, ...], timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            job = background.status(job_id)
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {statuses}: {job}")


def test_lifecycle_queued_running_done(app) -> None:
    RELEASE.clear()
    REPORTED.clear()
    owner = app.config["TEST_OWNER"]
    job_id = background.submit(app, "test-slow", {"value": 7}, owner)
    # "running" is committed (progress 0.01, "starting") before the runner reports: wait for the report itself
    assert REPORTED.wait(timeout=30), "the job never reported progress"
    with app.app_context():
        running = background.status(job_id)
    assert running["status"] == "running"
    assert running["progress"] == 0.5 and running["message"] == "half way"
    assert running["result"] is None
    RELEASE.set()
    done = wait_for(app, job_id, ("done", "failed"))
    assert done["status"] == "done" and done["progress"] == 1.0
    assert done["result"] == {"echo": 7, "owner": owner}
    assert done["params"] == {"value": 7}
    with app.app_context():
        assert background.status(job_id, owner_id=owner + 1) is None  # someone else's job is not visible
        assert [j["id"] for j in background.list_jobs(owner)] == [job_id]


def test_unknown_kind_is_refused(app) -> None:
    with pytest.raises(BadInput, match="unknown job kind"):
        background.submit(app, "no-such-kind", {}, app.config["TEST_OWNER"])


def test_failure_message_is_one_line_and_never_data(app) -> None:
    owner = app.config["TEST_OWNER"]
    bad = wait_for(app, background.submit(app, "test-bad-input", {}, owner), ("done", "failed"))
    assert bad["status"] == "failed"
    assert bad["message"] == "no one in the caseload needs BBR"
    crash = wait_for(app, background.submit(app, "test-crash", {}, owner), ("done", "failed"))
    assert crash["status"] == "failed"
    assert crash["message"] == "internal error (ValueError); nothing was saved"
    assert "54.1234" not in crash["message"] and "CA1" not in crash["message"]
    assert "Traceback" not in crash["message"]


def test_jobs_persist_across_a_new_app_on_the_same_database(app, tmp_path) -> None:
    RELEASE.set()
    owner = app.config["TEST_OWNER"]
    job_id = background.submit(app, "test-slow", {"value": "kept"}, owner)
    wait_for(app, job_id, ("done",))
    background.shutdown(app)
    second = make_app(tmp_path)
    try:
        with second.app_context():
            job = background.status(job_id, owner_id=owner)
        assert job["status"] == "done" and job["result"]["echo"] == "kept"
    finally:
        background.shutdown(second)


def test_restart_marks_unfinished_jobs_failed(app, tmp_path) -> None:
    owner = app.config["TEST_OWNER"]
    with app.app_context(), session_scope() as db:
        running = Job(
            owner_id=owner, kind="measures", status="running", progress=0.4, message="measuring", params_json="{}"
        )
        queued = Job(owner_id=owner, kind="compare", status="queued", progress=0.0, message="queued", params_json="{}")
        finished = Job(
            owner_id=owner, kind="site", status="done", progress=1.0, message="done", params_json="{}", result_json="{}"
        )
        db.add_all([running, queued, finished])
        db.flush()
        ids = running.id, queued.id, finished.id
    second = make_app(tmp_path)  # a new process starting on the same database
    try:
        with second.app_context():
            states = [background.status(i) for i in ids]
        assert [s["status"] for s in states] == ["failed", "failed", "done"]
        assert states[0]["message"] == background.INTERRUPTED == "interrupted by a restart"
    finally:
        background.shutdown(second)


def test_uploads_are_owned_deletable_and_expire(app, tmp_path) -> None:
    from geoaccess.analysis.synthetic import synthetic_caseload

    owner = app.config["TEST_OWNER"]
    caseload = synthetic_caseload(crc_cases=40, nps_cases=10)
    upload_id = uploads.save_upload(app, caseload, owner, "../../people.csv")
    data = uploads.uploads_root(app) / f"{upload_id}.parquet"
    assert data.stat().st_mode & 0o777 == 0o600
    meta = uploads.upload_meta(app, upload_id, owner)
    assert meta["file_name"] == "people.csv" and meta["people"] == 50
    assert uploads.upload_meta(app, upload_id, owner + 1) is None  # not another user's
    assert uploads.upload_meta(app, "../" + upload_id, owner) is None
    stored = uploads.load_caseload(app, upload_id, owner)
    assert not stored.synthetic and "postcode" not in stored.frame.columns
    with pytest.raises(BadInput, match="not available"):
        uploads.load_caseload(app, upload_id, owner + 1)
    assert not uploads.delete_upload(app, upload_id, owner + 1)
    assert uploads.delete_upload(app, upload_id, owner)
    assert not data.exists() and uploads.list_uploads(app, owner) == []

    app.config["PLANNER_UPLOAD_DAYS"] = 0  # expires as soon as it is made
    expired = uploads.save_upload(app, caseload, owner, "old.csv")
    assert uploads.upload_meta(app, expired, owner) is None
    assert not (uploads.uploads_root(app) / f"{expired}.parquet").exists()
    uploads.save_upload(app, caseload, owner, "old.csv")
    assert uploads.purge_expired_uploads(app) == 1
    assert not any(uploads.uploads_root(app).iterdir())  # its validation report too


def test_synthetic_caseload_is_labelled(app) -> None:
    stored = uploads.load_caseload(app, uploads.SYNTHETIC, app.config["TEST_OWNER"])
    assert stored.synthetic and "SYNTHETIC" in stored.label


@pytest.mark.slow
def test_measures_job_stores_aggregates_and_maps(app) -> None:
    owner = app.config["TEST_OWNER"]
    job_id = background.submit(app, "measures", {"caseload": "synthetic", "scenarios": [{"today": "BBR"}]}, owner)
    job = wait_for(app, job_id, ("done", "failed"), timeout=120)
    assert job["status"] == "done", job["message"]
    result = job["result"]
    assert result["synthetic"] and result["people"] == result["scenarios"][0]["overall"]["people"]
    assert {row["district"] for row in result["scenarios"][0]["by_district"]} >= {"Carlisle", "Barrow-in-Furness"}
    text = str(result)
    assert "person_id" not in text and "SYN-0" not in text  # no row per person
    folder = background.jobs_root(app) / str(job_id)
    for suffix in (".frame.html", ".html", ".png", ".pdf"):
        assert (folder / f"burden-0{suffix}").stat().st_size > 1000
