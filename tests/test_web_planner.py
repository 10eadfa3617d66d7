"""The manager's planner through Flask's test client: roles, uploads, scenarios, jobs, results, exports,
and no postcode or position of a person in any response."""

from __future__ import annotations

import csv
import functools
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import CSRF, app_for_tests, signed_in

from geoaccess.web import background, job_kinds, uploads
from geoaccess.web.db import session_scope

FIXTURES = Path(__file__).parent / "fixtures" / "caseload"
MIXED = FIXTURES / "mixed.csv"
MIXED_POSTCODES = [
    "CA1 1HZ",
    "la141rp",
    "CA1 1X!",
    "CA1 1AD",
    "BB1 1AE",
    "CA99 9ZZ",
    "LA10 5AH",
    "CA12 4AJ",
    "CA10 1AG",
    "CA14 4PR",
    "PR1 1HT",
]
FAKE_UPLOAD = "0" * 32


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator:
    users = {"officer1": "officer", "manager1": "manager", "admin1": "admin", "manager2": "manager"}
    app = app_for_tests(tmp_path_factory.mktemp("planner"), users)
    yield app
    background.shutdown(app)


def token(client) -> str:
    page = client.get("/login")
    if page.status_code == 302:
        page = client.get("/planner")
    return CSRF.search(page.get_data(as_text=True)).group(1)


@functools.cache
def _synthetic_positions() -> frozenset[tuple[float, float]]:
    """Every synthetic person's (lon, lat) and (lat, lon)."""
    from geoaccess.analysis.synthetic import synthetic_caseload

    people = synthetic_caseload().people
    pairs = list(zip(people["lon"], people["lat"], strict=True))
    return frozenset(pairs + [(lat, lon) for lon, lat in pairs])


def assert_private(body: bytes | str) -> None:
    """No synthetic person's coordinates, no person id, no postcode of the uploaded caseloads in ``body``."""
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+", text)]
    pairs = set(zip(numbers, numbers[1:], strict=False))  # neighbouring numbers: "lon, lat" or "lat, lon"
    assert not pairs & _synthetic_positions(), "a synthetic person's position in a response"
    assert "SYN-0" not in text and "person_id" not in text
    assert_no_postcode(text)


class Recorder:
    """A signed-in client that checks every response body it receives with :func:`assert_private`."""

    def __init__(self, app, name: str) -> None:
        self.client = signed_in(app, name)
        self.csrf = CSRF.search(self.client.get("/planner").get_data(as_text=True)).group(1)

    def get(self, url: str, **kw):
        response = self.client.get(url, **kw)
        assert_private(response.get_data())
        return response

    def post(self, url: str, data: dict | None = None, **kw):
        response = self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kw)
        assert_private(response.get_data())
        return response


@pytest.fixture(scope="module")
def manager(app) -> Recorder:
    return Recorder(app, "manager1")


# --- roles -----------------------------------------------------------------------------------

GET_ROUTES = [
    "/planner",
    f"/planner/caseloads/{FAKE_UPLOAD}",
    f"/planner/caseloads/{FAKE_UPLOAD}/problems.csv",
    "/planner/jobs/1",
    "/planner/results/1",
    "/planner/results/1/maps/change-1",
    "/planner/results/1/maps/change-1.png",
    "/planner/results/1/overall.csv",
]
POST_ROUTES = [
    "/planner/caseloads",
    f"/planner/caseloads/{FAKE_UPLOAD}/delete",
    "/planner/scenarios",
    "/planner/scenarios/abc/delete",
    "/planner/scenarios/abc/rename",
    "/planner/scenarios/abc/venues",
    "/planner/scenarios/abc/new-venue",
    "/planner/scenarios/abc/venues/0/remove",
    "/planner/scenarios/abc/venues/0/sessions",
    "/planner/run",
]


def test_every_route_is_in_the_url_map(app) -> None:
    planner_rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("planner.")}
    assert len(planner_rules) == 18  # a new route must be added to GET_ROUTES or POST_ROUTES


@pytest.mark.parametrize("url", GET_ROUTES)
def test_anonymous_get_is_sent_to_sign_in(app, url) -> None:
    response = app.test_client().get(url)
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("url", POST_ROUTES)
def test_anonymous_post_is_sent_to_sign_in(app, url) -> None:
    client = app.test_client()
    response = client.post(url, data={"csrf_token": token(client)})
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("url", POST_ROUTES)
def test_post_without_csrf_token_is_refused(app, url) -> None:
    client = signed_in(app, "manager1")
    assert client.post(url, data={"programme": "BBR"}).status_code == 400


@pytest.mark.parametrize("url", GET_ROUTES + POST_ROUTES)
def test_officer_is_forbidden(app, url) -> None:
    client = signed_in(app, "officer1")
    if url in POST_ROUTES:
        response = client.post(url, data={"csrf_token": token(client)})
    else:
        response = client.get(url)
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["manager1", "admin1"])
def test_managers_and_admins_see_the_planner(app, name) -> None:
    response = signed_in(app, name).get("/planner")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SYNTHETIC" in text and 'name="csrf_token"' in text
    assert "planner.js" not in text or "<script src=" in text


# --- uploads ---------------------------------------------------------------------------------


def assert_no_postcode(body: bytes | str) -> None:
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    for postcode in MIXED_POSTCODES:
        compact = postcode.replace(" ", "").upper()
        for form in {postcode, postcode.upper(), compact, f"{compact[:-3]} {compact[-3:]}"}:
            assert form not in text, f"postcode {form!r} in a response"


def test_upload_good_caseload_shows_the_report_and_keeps_no_postcode(app, manager) -> None:
    response = manager.post(
        "/planner/caseloads",
        {"caseload": (io.BytesIO(MIXED.read_bytes()), "mixed.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    upload_id = response.location.rsplit("/", 1)[1]
    page = manager.get(response.location)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for row, reason in (
        (4, "malformed"),
        (5, "terminated"),
        (6, "outside area"),
        (8, "missing"),
        (9, "duplicate id"),
        (10, "bad requirement"),
        (11, "bad sex"),
    ):
        assert re.search(rf"<td>{row}</td><td>{reason}</td>", text), (row, reason)
    report = manager.get(f"/planner/caseloads/{upload_id}/problems.csv")
    rows = list(csv.DictReader(io.StringIO(report.get_data(as_text=True))))
    assert report.status_code == 200 and rows[0].keys() == {"row", "reason", "message"}
    for body in (text, report.get_data(), manager.get("/planner").get_data()):
        assert_no_postcode(body)
    kept = (uploads.uploads_root(app) / f"{upload_id}.parquet").read_bytes()
    assert_no_postcode(kept.decode("latin-1"))
    # someone else's upload is not there for them
    assert signed_in(app, "manager2").get(f"/planner/caseloads/{upload_id}").status_code == 404


@pytest.mark.slow
def test_upload_measures_job_on_a_real_upload(app, manager) -> None:
    response = manager.post(
        "/planner/caseloads",
        {"caseload": (io.BytesIO(MIXED.read_bytes()), "mixed.csv")},
        content_type="multipart/form-data",
    )
    upload_id = response.location.rsplit("/", 1)[1]
    job_id = run_job(manager, {"kind": "measures", "caseload": upload_id, "scenario": "today:UPW"})
    page = manager.get(f"/planner/results/{job_id}").get_data(as_text=True)
    assert "ga-overall" in page and "uploaded caseload" in page
    assert manager.get(f"/planner/results/{job_id}/lsoas.csv").status_code == 200
    assert_no_postcode(page)


def test_upload_xlsx(manager) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["id", "postcode", "requirement"], ["X1", "CA1 1HZ", "BBR"], ["X2", "CA99 9ZZ", "TSP"]):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    response = manager.post(
        "/planner/caseloads", {"caseload": (data, "people.xlsx")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert "outside area" in manager.get(response.location).get_data(as_text=True)


def test_upload_with_identifying_columns_is_refused(app, manager) -> None:
    before = set(uploads.uploads_root(app).iterdir())
    body = b"Surname,postcode,Date of birth\nSmith,CA1 1HZ,1980-01-01\n"
    response = manager.post(
        "/planner/caseloads", {"caseload": (io.BytesIO(body), "names.csv")}, content_type="multipart/form-data"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "ga-refused" in text and "Surname" in text
    assert "Smith" not in text and "1980" not in text
    assert_no_postcode(text)
    assert set(uploads.uploads_root(app).iterdir()) == before  # nothing kept


def test_upload_with_no_usable_row_keeps_nothing(app, manager) -> None:
    before = set(uploads.uploads_root(app).iterdir())
    response = manager.post(
        "/planner/caseloads",
        {"caseload": (io.BytesIO(b"postcode\nCA99 9ZZ\nnope\n"), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "nothing was kept" in response.get_data(as_text=True)
    assert set(uploads.uploads_root(app).iterdir()) == before


def test_upload_wrong_type_or_missing_file(manager) -> None:
    response = manager.post(
        "/planner/caseloads", {"caseload": (io.BytesIO(b"x"), "people.txt")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert ".csv or .xlsx" in manager.get("/planner").get_data(as_text=True)
    assert manager.post("/planner/caseloads", {}, content_type="multipart/form-data").status_code == 302


def test_upload_too_large_is_refused(app, manager) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2000
    try:
        body = b"postcode\n" + b"CA1 1HZ\n" * 400
        response = manager.post(
            "/planner/caseloads", {"caseload": (io.BytesIO(body), "big.csv")}, content_type="multipart/form-data"
        )
        assert response.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit


def test_delete_upload(app, manager) -> None:
    response = manager.post(
        "/planner/caseloads",
        {"caseload": (io.BytesIO(MIXED.read_bytes()), "gone.csv")},
        content_type="multipart/form-data",
    )
    upload_id = response.location.rsplit("/", 1)[1]
    assert manager.post(f"/planner/caseloads/{upload_id}/delete").status_code == 302
    assert manager.get(f"/planner/caseloads/{upload_id}").status_code == 404
    assert not (uploads.uploads_root(app) / f"{upload_id}.parquet").exists()


# --- scenarios -------------------------------------------------------------------------------


def _scenario_ids(manager) -> list[str]:
    return re.findall(r'id="scenario-([0-9a-f]{8})"', manager.get("/planner").get_data(as_text=True))


def _flashes(manager) -> list[str]:
    return re.findall(r'role="alert">([^<]+)<', manager.get("/planner").get_data(as_text=True))


def test_scenario_editor(manager) -> None:
    assert manager.post("/planner/scenarios", {"programme": "BBR", "name": "Edited"}).status_code == 302
    sid = _scenario_ids(manager)[-1]
    base = f"/planner/scenarios/{sid}"
    manager.post(f"{base}/venues", {"venue_id": "barrow-crc-centre", "sessions": "Thu 18:00-20:30"})
    assert "saved" in _flashes(manager)[0]
    manager.post(f"{base}/venues", {"venue_id": "barrow-crc-centre", "sessions": ""})
    assert "Not changed" in _flashes(manager)[0]  # no BBR there today and no sessions given
    manager.post(f"{base}/venues", {"venue_id": "workington-progress-house", "sessions": "Thursday 6pm"})
    assert "Not changed" in _flashes(manager)[0]
    manager.post(
        f"{base}/new-venue",
        {"name": "Whitehaven hall", "lon": "-3.5886", "lat": "54.5489", "sessions": "Tue 10:00-12:30"},
    )
    manager.post(f"{base}/new-venue", {"name": "At sea", "lon": "-5.5", "lat": "54.5", "sessions": "Tue 10:00-12:30"})
    assert "Not changed" in _flashes(manager)[-1]  # outside the pack's area
    page = manager.get("/planner").get_data(as_text=True)
    assert "Whitehaven hall" in page and "Thu 18:00-20:30" in page
    manager.post(f"{base}/venues/0/sessions", {"sessions": "Mon 10:00-12:00; Wed 18:00-20:30"})
    assert "Mon 10:00-12:00; Wed 18:00-20:30" in manager.get("/planner").get_data(as_text=True)
    manager.post(f"{base}/venues/0/sessions", {"sessions": "Mon 12:00-10:00"})
    assert "Not changed" in _flashes(manager)[0]
    manager.post(f"{base}/venues/0/remove")
    manager.post(f"{base}/rename", {"name": "Renamed"})
    page = manager.get("/planner").get_data(as_text=True)
    assert "Renamed" in page
    assert manager.post("/planner/scenarios/nothere/rename", {"name": "x"}).status_code == 404
    manager.post(f"{base}/delete")
    assert sid not in _scenario_ids(manager)


# --- jobs, results and exports ---------------------------------------------------------------


def _user_id(app, name: str) -> int:
    from sqlalchemy import select

    from geoaccess.web.db import User

    with app.app_context(), session_scope() as db:
        return db.scalar(select(User.id).where(User.name == name))


def run_job(manager, form: dict, timeout: float = 180.0) -> int:
    started = time.monotonic()
    response = manager.post("/planner/run", form)
    assert time.monotonic() - started < 2.0, "starting a job must not block"
    assert response.status_code == 302 and "/planner/results/" in response.location, response.location
    job_id = int(response.location.rsplit("/", 1)[1])
    page = manager.get(response.location)
    assert page.status_code == 200 and "ga-progress" in page.get_data(as_text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        status = manager.get(f"/planner/jobs/{job_id}")
        assert time.monotonic() - started < 2.0
        job = status.get_json()
        assert "result" not in job
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job["message"]
            return job_id
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture(scope="module")
def barrow(manager) -> str:
    manager.post("/planner/scenarios", {"programme": "BBR", "name": "BBR in Barrow too"})
    sid = _scenario_ids(manager)[-1]
    manager.post(f"/planner/scenarios/{sid}/venues", {"venue_id": "barrow-crc-centre", "sessions": "Thu 18:00-20:30"})
    return sid


def test_compare_job_tables_maps_and_exports(app, manager, barrow) -> None:
    job_id = run_job(
        manager, {"kind": "compare", "caseload": "synthetic", "baseline": "today:BBR", "others": f"saved:{barrow}"}
    )
    page = manager.get(f"/planner/results/{job_id}").get_data(as_text=True)
    for marker in ("ga-overall", "ga-gains", "ga-districts", "SYNTHETIC", "BBR in Barrow too", "Barrow-in-Furness"):
        assert marker in page
    frame = manager.get(f"/planner/results/{job_id}/maps/change-1")
    assert frame.status_code == 200 and "leaflet" in frame.get_data(as_text=True).lower()
    page = frame.get_data(as_text=True)
    assert "/vendor/" in page and job_kinds.ASSET_PLACEHOLDER not in page
    nonce = re.search(r"'nonce-([^']+)'", frame.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}"' in frame.get_data(as_text=True)
    for fmt, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF-"), ("html", b"<!DOCTYPE html>")):
        exported = manager.get(f"/planner/results/{job_id}/maps/change-1.{fmt}")
        assert exported.status_code == 200 and exported.data.lstrip()[: len(magic)] == magic
        assert "attachment" in exported.headers["Content-Disposition"]
    for table, first in (("overall", "scenario"), ("districts", "scenario"), ("changes", "scenario")):
        exported = manager.get(f"/planner/results/{job_id}/{table}.csv")
        assert exported.status_code == 200 and exported.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
        assert rows and next(iter(rows[0])) == first
        assert "person_id" not in rows[0]
        assert rows[0]["provenance_modelled"] in ("True", "False") and "timetable" in rows[0]["provenance"]
    assert manager.get(f"/planner/results/{job_id}/lsoas.csv").status_code == 404  # only for measures
    assert manager.get(f"/planner/results/{job_id}/maps/nope.png").status_code == 404
    assert manager.get(f"/planner/results/{job_id}/maps/change-1.exe").status_code == 404
    other = signed_in(app, "manager2")  # another manager cannot see this job
    assert other.get(f"/planner/results/{job_id}").status_code == 404
    assert other.get(f"/planner/jobs/{job_id}").status_code == 404


@pytest.mark.slow
def test_measures_job(manager, barrow) -> None:
    job_id = run_job(manager, {"kind": "measures", "caseload": "synthetic", "scenario": f"saved:{barrow}"})
    page = manager.get(f"/planner/results/{job_id}").get_data(as_text=True)
    assert "ga-overall" in page and "burden-0" in page
    rows = list(csv.DictReader(io.StringIO(manager.get(f"/planner/results/{job_id}/lsoas.csv").get_data(as_text=True))))
    assert rows and all(r["people"] != "" for r in rows)
    assert any(r["people"].startswith("<") for r in rows)  # small areas suppressed


@pytest.mark.slow
def test_site_job(manager) -> None:
    job_id = run_job(
        manager,
        {
            "kind": "site",
            "caseload": "synthetic",
            "programme": "BBR",
            "p": "1",
            "objective": "over120",
            "cost": "roundtrip",
            "keep": "carlisle-crc-lmc, preston-avenham-street",
        },
    )
    page = manager.get(f"/planner/results/{job_id}").get_data(as_text=True)
    assert "ga-sites" in page and "added" in page and "carlisle-crc-lmc" in page
    sites = manager.get(f"/planner/results/{job_id}/sites.csv")
    assert sites.status_code == 200 and "chosen venues" in sites.get_data(as_text=True)


def test_bad_run_requests_are_refused_before_starting(manager, barrow) -> None:
    for form in (
        {"kind": "compare", "caseload": "synthetic", "baseline": "today:BBR"},
        {"kind": "compare", "caseload": "synthetic", "baseline": "today:BBR", "others": "today:BBR"},
        {"kind": "measures", "caseload": FAKE_UPLOAD, "scenario": "today:BBR"},
        {"kind": "measures", "caseload": "synthetic", "scenario": "saved:nothere"},
        {"kind": "format-disk", "caseload": "synthetic"},
    ):
        response = manager.post("/planner/run", form)
        assert response.status_code == 302 and response.location.endswith("#analyses")
        assert any("Not started" in flash for flash in _flashes(manager))  # earlier flashes may be waiting


def test_failed_job_shows_its_message(manager) -> None:
    # a comparison across programmes starts (the scenarios are valid) and fails in the job
    response = manager.post(
        "/planner/run", {"kind": "compare", "caseload": "synthetic", "baseline": "today:BBR", "others": "today:TSP"}
    )
    job_id = int(response.location.rsplit("/", 1)[1])
    for _ in range(200):
        job = manager.get(f"/planner/jobs/{job_id}").get_json()
        if job["status"] == "failed":
            break
        time.sleep(0.1)
    assert job["message"] == "the scenarios must be for the same programme"
    assert "ga-job-failed" in manager.get(f"/planner/results/{job_id}").get_data(as_text=True)


def test_json_run_returns_the_status_url(manager) -> None:
    response = manager.post(
        "/planner/run",
        {"kind": "measures", "caseload": "synthetic", "scenario": "today:BBR"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 202
    status_url = response.get_json()["status_url"]
    assert manager.get(status_url).get_json()["status"] in ("queued", "running", "done")


def test_json_run_refuses_bad_values_before_starting(manager) -> None:
    # the planner checks a siting request as the job and the API do (p at most 5), before any job starts
    response = manager.post(
        "/planner/run",
        {"kind": "site", "caseload": "synthetic", "programme": "BBR", "p": "9"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422 and "from 1 to 5" in response.get_json()["error"]


def test_the_privacy_check_finds_a_position_an_id_or_a_postcode() -> None:
    """The check every manager response goes through (Recorder) is not vacuous."""
    lon, lat = next(iter(_synthetic_positions()))
    assert_private(b'{"district": "Carlisle", "people": 12, "centre": [-2.93, 54.89]}')
    for leak in (f"[{lon}, {lat}]", f"{lat},{lon}", "SYN-00042", "person_id", "la141rp", "CA1 1HZ", "CA11HZ"):
        with pytest.raises(AssertionError):
            assert_private(f"<td>{leak}</td>".encode())
