"""Background work is bounded: scenarios per comparison, jobs queued or running per user, and a job is
failed as interrupted only when its pool's lease has expired, never because another app started."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from web_support import app_for_tests

from geoaccess.cli.users import users
from geoaccess.defaults import MOST_COMPARED_SCENARIOS
from geoaccess.web import background
from geoaccess.web.db import EXTENSION, Job, session_scope, utcnow
from geoaccess.web.users import create_user, issue_token

PASSWORD = "a long enough password 1"
PROBLEM = "application/problem+json"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
RELEASE = threading.Event()


def _blocked(app, params, owner_id, progress, folder):
    progress(0.5, "waiting")
    if not RELEASE.wait(timeout=30):
        raise RuntimeError("the test never released the job")
    return {"ok": True}


def make_app(folder: Path, **extra) -> Flask:
    return app_for_tests(folder, {}, **extra)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    # every kind of job blocks until released: no test here runs a real analysis
    for kind in ("measures", "compare", "site"):
        monkeypatch.setitem(background._RUNNERS, kind, _blocked)
    RELEASE.clear()
    app = make_app(tmp_path)
    with app.app_context(), session_scope() as db:
        manager, _ = create_user(db, "mary", "manager", PASSWORD, must_change_password=False)
        other, _ = create_user(db, "mike", "manager", PASSWORD, must_change_password=False)
        app.config["TEST_TOKEN"] = issue_token(db, manager)
        app.config["TEST_OWNER"], app.config["TEST_OTHER"] = manager.id, other.id
    yield app
    RELEASE.set()
    background.shutdown(app)


def job_count(app: Flask) -> int:
    with app.app_context(), session_scope() as db:
        return int(db.scalar(select(func.count(Job.id))) or 0)


def job_state(app: Flask, job_id: int) -> tuple[str, str]:
    with app.app_context(), session_scope() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job.status, job.message


def wait_for(app: Flask, job_id: int, status: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job_state(app, job_id)[0] == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never became {status}: {job_state(app, job_id)}")


def add_gone_pools_job(app: Flask, owner_id: int, status: str, heartbeat: datetime) -> int:
    """Record a job of ``status`` held by a pool that has gone, last renewed at ``heartbeat``; returns its id."""
    with app.app_context(), session_scope() as db:
        job = Job(
            owner_id=owner_id,
            kind="compare",
            status=status,
            progress=0.0,
            message=status,
            params_json="{}",
            pool_id="gone-host:1:0123456789abcdef",
            heartbeat=heartbeat,
        )
        db.add(job)
        db.flush()
        return int(job.id)


def compare(app: Flask, scenarios: list[str]):
    return app.test_client().post(
        "/api/v1/scenario/compare",
        json={"synthetic": True, "scenarios": scenarios},
        headers={"Authorization": f"Bearer {app.config['TEST_TOKEN']}"},
    )


def planner_client(app: Flask, name: str = "mary"):
    client = app.test_client()
    csrf = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    csrf = TOKEN.search(client.get("/planner").get_data(as_text=True)).group(1)
    return client, csrf


def flashes(client) -> list[str]:
    return re.findall(r'role="alert">([^<]+)<', client.get("/planner").get_data(as_text=True))


# --- scenarios per comparison --------------------------------------------------------------------


def test_api_compare_of_more_than_the_most_scenarios_is_a_422_and_queues_nothing(app) -> None:
    response = compare(app, ["today:BBR"] * (MOST_COMPARED_SCENARIOS + 1))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert f"at most {MOST_COMPARED_SCENARIOS}" in response.get_json()["detail"]
    assert job_count(app) == 0


def test_api_compare_of_the_most_scenarios_is_still_accepted(app) -> None:
    assert compare(app, ["today:BBR"] * MOST_COMPARED_SCENARIOS).status_code == 202


def test_planner_compare_of_more_than_the_most_scenarios_is_refused_with_a_flash(app) -> None:
    client, csrf = planner_client(app)
    form = {
        "csrf_token": csrf,
        "kind": "compare",
        "caseload": "synthetic",
        "baseline": "today:BBR",
        "others": [f"saved:s{i}" for i in range(MOST_COMPARED_SCENARIOS)],
    }
    response = client.post("/planner/run", data=form)
    assert response.status_code == 302 and response.location.endswith("#analyses")
    assert any(f"at most {MOST_COMPARED_SCENARIOS}" in text for text in flashes(client))
    assert job_count(app) == 0


def test_compare_job_itself_refuses_more_than_the_most_scenarios(tmp_path) -> None:
    from geoaccess.errors import BadInput
    from geoaccess.web.job_kinds import run_compare

    params = {"caseload": "synthetic", "scenarios": [{"today": "BBR"}] * (MOST_COMPARED_SCENARIOS + 1)}
    with pytest.raises(BadInput, match=f"at most {MOST_COMPARED_SCENARIOS}"):
        run_compare(Flask(__name__), params, 1, lambda *_: None, tmp_path)


# --- jobs per user ---------------------------------------------------------------------------------


def test_api_refuses_a_job_beyond_the_per_user_limit_with_429_before_recording_it(app) -> None:
    limit = app.config["JOB_LIMIT_PER_USER"]
    assert limit == background.JOBS_PER_USER == 3
    for _ in range(limit):
        assert compare(app, ["today:BBR", "today:BBR"]).status_code == 202
    response = compare(app, ["today:BBR", "today:BBR"])
    assert response.status_code == 429 and response.mimetype == PROBLEM
    assert response.get_json()["type"] == "urn:geoaccess:problem:too-many-jobs"
    assert job_count(app) == limit


def test_one_users_queue_does_not_block_another_user(app) -> None:
    for _ in range(app.config["JOB_LIMIT_PER_USER"]):
        background.submit(app, "compare", {}, app.config["TEST_OWNER"])
    with pytest.raises(background.TooManyJobs):
        background.submit(app, "compare", {}, app.config["TEST_OWNER"])
    other = background.submit(app, "compare", {}, app.config["TEST_OTHER"])  # mike still has room
    assert job_state(app, other)[0] in ("queued", "running")


def test_simultaneous_submits_cannot_pass_the_limit(app) -> None:
    """Eight submits at once, each pausing 0.2 s after counting the owner's jobs, record exactly the
    limit: the count and the insert are one locked step, not a check another submit can slip past."""
    from sqlalchemy import event

    engine = app.extensions[EXTENSION]["engine"]

    def pause_after_count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT COUNT") and "jobs" in statement:
            time.sleep(0.2)

    event.listen(engine, "after_cursor_execute", pause_after_count)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def submit() -> None:
        start.wait()
        try:
            background.submit(app, "compare", {}, app.config["TEST_OWNER"])
            outcomes.append("queued")
        except background.TooManyJobs:
            outcomes.append("refused")

    try:
        threads = [threading.Thread(target=submit) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "after_cursor_execute", pause_after_count)
    limit = app.config["JOB_LIMIT_PER_USER"]
    assert sorted(outcomes) == ["queued"] * limit + ["refused"] * (8 - limit)
    assert job_count(app) == limit


def test_a_finished_job_frees_a_place(app) -> None:
    owner = app.config["TEST_OWNER"]
    first = background.submit(app, "compare", {}, owner)
    for _ in range(app.config["JOB_LIMIT_PER_USER"] - 1):
        background.submit(app, "compare", {}, owner)
    with pytest.raises(background.TooManyJobs):
        background.submit(app, "compare", {}, owner)
    RELEASE.set()
    wait_for(app, first, "done")
    assert background.submit(app, "compare", {}, owner)


def test_planner_refuses_a_job_beyond_the_per_user_limit_with_a_flash(app) -> None:
    for _ in range(app.config["JOB_LIMIT_PER_USER"]):
        background.submit(app, "compare", {}, app.config["TEST_OWNER"])
    client, csrf = planner_client(app)
    form = {"csrf_token": csrf, "kind": "measures", "caseload": "synthetic", "scenario": "today:BBR"}
    response = client.post("/planner/run", data=form)
    assert response.status_code == 302 and response.location.endswith("#analyses")
    assert any("queued or running" in text for text in flashes(client))
    as_json = client.post("/planner/run", data=form, headers={"Accept": "application/json"})
    assert as_json.status_code == 429
    assert job_count(app) == app.config["JOB_LIMIT_PER_USER"]


# --- leases: only expired jobs are failed as interrupted -------------------------------------------


def test_starting_a_second_app_does_not_fail_the_live_servers_jobs(app, tmp_path) -> None:
    owner = app.config["TEST_OWNER"]
    running = background.submit(app, "compare", {}, owner)
    wait_for(app, running, "running")
    queued = [background.submit(app, "compare", {}, owner) for _ in range(2)]  # two workers: one waits
    second = make_app(tmp_path)  # a second `serve`, or `geoaccess users ...`, on the same database
    background.shutdown(second)
    assert job_state(app, running)[0] == "running"
    assert all(job_state(app, j)[0] in ("queued", "running") for j in queued)
    RELEASE.set()
    for job_id in (running, *queued):
        wait_for(app, job_id, "done")


def test_users_command_does_not_touch_live_jobs(app, tmp_path) -> None:
    running = background.submit(app, "compare", {}, app.config["TEST_OWNER"])
    wait_for(app, running, "running")
    made: list[Flask] = []

    def factory() -> Flask:
        made.append(make_app(tmp_path))
        return made[-1]

    result = CliRunner().invoke(users, ["list"], obj={"app_factory": factory})
    for other in made:
        background.shutdown(other)
    assert result.exit_code == 0, result.output
    assert job_state(app, running)[0] == "running"


def test_a_job_whose_lease_expired_is_failed_at_start(app, tmp_path) -> None:
    owner = app.config["TEST_OWNER"]
    old = utcnow() - timedelta(seconds=float(app.config["JOB_LEASE_SECONDS"]) + 60)
    dead_id = add_gone_pools_job(app, owner, "running", old)
    second = make_app(tmp_path)
    background.shutdown(second)
    assert job_state(app, dead_id) == ("failed", background.INTERRUPTED)


def test_a_live_pool_renews_its_leases_and_expired_jobs_are_failed_while_serving(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(background._RUNNERS, "compare", _blocked)
    RELEASE.clear()
    app = make_app(tmp_path, JOB_HEARTBEAT_SECONDS=0.05, JOB_LEASE_SECONDS=1.0)
    try:
        with app.app_context(), session_scope() as db:
            user, _ = create_user(db, "mary", "manager", PASSWORD, must_change_password=False)
            owner = user.id
        job_id = background.submit(app, "compare", {}, owner)
        wait_for(app, job_id, "running")
        with app.app_context(), session_scope() as db:
            job = db.get(Job, job_id)
            assert job is not None and job.pool_id == background.pool_id(app)
        orphan = add_gone_pools_job(app, owner, "queued", utcnow())
        time.sleep(1.5)  # longer than the lease: the live job's heartbeat keeps it, the orphan expires
        assert job_state(app, job_id)[0] == "running"
        assert job_state(app, orphan) == ("failed", background.INTERRUPTED)
        RELEASE.set()
        wait_for(app, job_id, "done")
    finally:
        RELEASE.set()
        background.shutdown(app)
