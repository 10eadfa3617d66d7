"""The manager's planner: caseloads, scenarios, background analyses, results, maps and exports.

Managers and admins only (officers get 403, anonymous users are sent to sign
in). Everything shown or exported about people is an aggregate: overall, by
district and by LSOA with small counts suppressed, and maps by 10 km hexagon.
An uploaded caseload's validation report names rows and reasons, never a
postcode. See :mod:`geoaccess.web.background` for how uploads and results are kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from geoaccess.analysis.scenarios import scenario_from_dict
from geoaccess.defaults import SITING_COSTS, SITING_OBJECTIVES
from geoaccess.errors import BadInput
from geoaccess.roles import MANAGERS
from geoaccess.services.analysis import SitingRequest, plan_siting
from geoaccess.venues import REPORTING, REQUIREMENTS, Venue, session_fields

from . import background, uploads
from .auth import current_user, login_required
from .job_kinds import ASSET_PLACEHOLDER, MAP_FORMATS, MOST_SITES

bp = Blueprint("planner", __name__, url_prefix="/planner")

UPLOAD_SUFFIXES = (".csv", ".xlsx")
MAX_REPORT_ROWS = 1000
MAX_SCENARIOS = 30
SYNTHETIC_LABEL = "SYNTHETIC demonstration caseload (2,161 people, no real person)"

#: Measures shown in tables: (key in summarise(), label, kind) where kind says how to format.
MEASURE_ROWS = (
    ("people", "People", "count"),
    ("car_minutes_median", "Car minutes to the nearest venue (median)", "minutes"),
    ("pt_minutes_median", "Public transport minutes to the nearest venue (median)", "minutes"),
    ("pt_unreachable", "No public transport way there in the morning window", "count"),
    ("pt_within_60_share", "Public transport within 60 min", "share"),
    ("pt_within_120_share", "Public transport within 120 min", "share"),
    ("round_trip_feasible", "Can get to a session and home again", "count"),
    ("over_120_either_way", "Over two hours either way", "count"),
    ("no_way_there", "No way there for any session", "count"),
    ("no_way_home", "No way home the same day", "count"),
    ("home_after_2300", "Home after 23:00", "count"),
)
DISTRICT_COLUMNS = (
    ("people", "People"),
    ("pt_minutes_median", "PT median min"),
    ("pt_within_120_share", "PT within 120"),
    ("round_trip_feasible", "Round trip possible"),
    ("over_120_either_way", "Over 2 h"),
    ("no_way_home", "No way home"),
)
GAIN_COLUMNS = (
    ("gain_round_trip", "Gain a round trip"),
    ("lose_round_trip", "Lose a round trip"),
    ("no_longer_over_120", "No longer over 2 h"),
    ("newly_over_120", "Newly over 2 h"),
    ("pt_faster_10_min", "PT 10+ min faster"),
    ("pt_slower_10_min", "PT 10+ min slower"),
)


def init_app(app: Flask) -> None:
    """Register the planner pages and start the job pool."""
    background.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.filters.setdefault("ga_measure", format_measure)


manager_required = login_required(*MANAGERS)
"""Signed-in managers and admins only: anonymous -> sign in, others (officers) -> 403."""


def _owner() -> int:
    user = current_user()
    assert user is not None  # manager_required admits signed-in users only
    return int(user.id)


def format_measure(value: float | str | None, kind: str = "count") -> str:
    """A measure as shown in a table ("—" when missing, shares as percentages)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if kind == "share":
        return f"{float(value):.0%}"
    if kind == "minutes":
        return f"{float(value):.0f}"
    if kind == "change_share":
        return f"{float(value) * 100:+.0f} pts"
    if kind == "change":
        return f"{float(value):+g}"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _venues() -> list[Venue]:
    venues: list[Venue] = current_app.extensions["geoaccess"]["venues"]
    return venues


# --- scenarios: kept per manager in the instance folder (no personal data) ---------------------

_scenario_lock = threading.Lock()


def _scenario_file(owner_id: int) -> Path:
    folder = background.planner_root(current_app) / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{int(owner_id)}.json"


def load_scenarios(owner_id: int) -> list[dict[str, Any]]:
    path = _scenario_file(owner_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


def _save_scenarios(owner_id: int, scenarios: list[dict[str, Any]]) -> None:
    path = _scenario_file(owner_id)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(scenarios, indent=1), encoding="utf-8")
    temp.replace(path)


def _find_scenario(scenarios: list[dict[str, Any]], scenario_id: str) -> dict[str, Any]:
    for scenario in scenarios:
        if scenario.get("id") == scenario_id:
            return scenario
    abort(404)


def _document(scenario: dict[str, Any]) -> dict[str, Any]:
    """The scenario JSON (scenarios.py format) of a saved scenario."""
    return {"name": scenario["name"], "programme": scenario["programme"], "venues": scenario["venues"]}


def _check(scenario: dict[str, Any]) -> None:
    scenario_from_dict(_document(scenario), _venues())


def parse_sessions(text: str) -> list[dict[str, str]] | None:
    """``"Thu 18:00-20:30; Tue 10:00-12:30"`` -> session dicts; empty text -> None (registry sessions)."""
    parts = [part for part in re.split(r"[;,\n]+", text or "") if part.strip()]
    if not parts:
        return None
    sessions = []
    for part in parts:
        fields = session_fields(part)
        if fields is None:
            raise BadInput(f"session {part.strip()[:40]!r} is not 'Day HH:MM-HH:MM' (as in 'Thu 18:00-20:30')")
        sessions.append(fields)
    return sessions


def _edit_scenario(scenario_id: str, change: Callable[[dict[str, Any]], None]) -> BaseResponse:
    """Apply ``change(scenario)`` to a saved scenario if the result is a valid scenario."""
    owner = _owner()
    with _scenario_lock:
        scenarios = load_scenarios(owner)
        scenario = _find_scenario(scenarios, scenario_id)
        edited = json.loads(json.dumps(scenario))
        try:
            change(edited)
            _check(edited)
        except BadInput as exc:
            flash(f"Not changed: {exc}", "danger")
            return redirect(url_for("planner.page", _anchor=f"scenario-{scenario_id}"))
        scenarios[scenarios.index(scenario)] = edited
        _save_scenarios(owner, scenarios)
    flash(f"Scenario “{edited['name']}” saved.", "success")
    return redirect(url_for("planner.page", _anchor=f"scenario-{scenario_id}"))


def _scenario_views(saved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Saved scenarios with each venue's name and session labels, for the page."""
    by_id = {v.id: v for v in _venues()}
    views = []
    for scenario in saved:
        rows = []
        for item in scenario["venues"]:
            venue = by_id.get(item.get("id"))
            if item.get("sessions") is not None:
                sessions = "; ".join(f"{s['day']} {s['start']}-{s['end']}" for s in item["sessions"])
            elif venue is not None:
                sessions = (
                    "; ".join(
                        s.label() for p in venue.programmes if p.code == scenario["programme"] for s in p.sessions
                    )
                    + " (registry)"
                )
            else:
                sessions = ""
            rows.append(
                {
                    "name": venue.name if venue else item.get("name", "new venue"),
                    "id": item.get("id") or "new venue",
                    "where": venue.town if venue else f"{float(item['lat']):.4f}, {float(item['lon']):.4f}",
                    "sessions": sessions,
                    "new": venue is None,
                }
            )
        views.append({**scenario, "rows": rows})
    return views


# --- the page ----------------------------------------------------------------------------------


@bp.get("")
@manager_required
def page() -> str:
    """Caseloads, scenarios, analyses and recent jobs."""
    owner = _owner()
    saved = load_scenarios(owner)
    kept = uploads.list_uploads(current_app, owner)
    programmes = [code for code in REQUIREMENTS if any(code == REPORTING or v.offers(code) for v in _venues())]
    choices = [{"value": f"today:{code}", "label": f"Today's venues for {code}"} for code in programmes]
    choices += [{"value": f"saved:{s['id']}", "label": f"{s['name']} ({s['programme']})"} for s in saved]
    return render_template(
        "planner.html",
        uploads=kept,
        scenarios=_scenario_views(saved),
        programmes=programmes,
        scenario_choices=choices,
        venues=sorted(_venues(), key=lambda v: (v.town, v.name)),
        recent=background.list_jobs(owner),
        synthetic_label=SYNTHETIC_LABEL,
        max_upload_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 1024 / 1024,
        objectives=SITING_OBJECTIVES,
        costs=SITING_COSTS,
    )


# --- caseloads ---------------------------------------------------------------------------------


@bp.post("/caseloads")
@manager_required
def upload() -> BaseResponse | tuple[str, int]:
    """Validate an uploaded caseload; keep its people (no postcodes) if any row is usable."""
    from geoaccess.analysis.caseload import read_caseload

    try:
        file = request.files.get("caseload")
    except RequestEntityTooLarge:
        raise
    if file is None or not file.filename:
        flash("Choose a caseload file (CSV or XLSX) to upload.", "danger")
        return redirect(url_for("planner.page"))
    name = Path(file.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        flash("A caseload must be a .csv or .xlsx file.", "danger")
        return redirect(url_for("planner.page"))
    with tempfile.TemporaryDirectory(prefix="geoaccess-upload-") as folder:
        path = Path(folder) / f"caseload{suffix}"  # the user's file name is not used on disk
        file.save(path)
        try:
            caseload = read_caseload(path)
        except BadInput as exc:
            message = str(exc).replace(path.name, name)
            return render_template("planner_refused.html", file_name=name, message=message), 400
    if caseload.synthetic:
        caseload.meta["synthetic"] = False  # an upload is treated as personal data whatever it says
    problems = caseload.problems.head(MAX_REPORT_ROWS).to_dict("records")
    if caseload.people.empty:
        return render_template(
            "planner_caseload.html",
            meta=None,
            file_name=name,
            summary=caseload.summary(),
            problems=problems,
            total_problems=len(caseload.problems),
        ), 400
    upload_id = uploads.save_upload(current_app, caseload, _owner(), name)
    report = uploads.uploads_root(current_app) / f"{upload_id}.problems.json"
    report.write_text(json.dumps({"problems": problems, "total": len(caseload.problems)}), encoding="utf-8")
    report.chmod(0o600)
    flash(
        f"{name}: {len(caseload.people):,} people kept; {len(caseload.problems):,} rows with problems.",
        "success" if caseload.problems.empty else "warning",
    )
    return redirect(url_for("planner.caseload", upload_id=upload_id))


def _upload_or_404(upload_id: str) -> dict[str, Any]:
    meta = uploads.upload_meta(current_app, upload_id, _owner())
    if meta is None:
        abort(404)
    return meta


def _problems(upload_id: str) -> dict[str, Any]:
    path = uploads.uploads_root(current_app) / f"{upload_id}.problems.json"
    try:
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))  # written by upload()
    except (OSError, ValueError):
        return {"problems": [], "total": 0}
    return report


@bp.get("/caseloads/<upload_id>")
@manager_required
def caseload(upload_id: str) -> str:
    """An upload's validation report: counts by district and requirement, problem rows and reasons."""
    meta = _upload_or_404(upload_id)
    report = _problems(upload_id)
    return render_template(
        "planner_caseload.html",
        meta=meta,
        file_name=meta["file_name"],
        summary=meta["summary"],
        problems=report["problems"],
        total_problems=report["total"],
    )


@bp.get("/caseloads/<upload_id>/problems.csv")
@manager_required
def caseload_problems(upload_id: str) -> Response:
    """The validation report as CSV: row, reason, message (never a postcode)."""
    _upload_or_404(upload_id)
    return _csv("caseload-problems.csv", ["row", "reason", "message"], _problems(upload_id)["problems"])


@bp.post("/caseloads/<upload_id>/delete")
@manager_required
def delete_caseload(upload_id: str) -> BaseResponse:
    """Delete an upload now (it is deleted anyway when it expires)."""
    _upload_or_404(upload_id)
    uploads.delete_upload(current_app, upload_id, _owner())
    (uploads.uploads_root(current_app) / f"{upload_id}.problems.json").unlink(missing_ok=True)
    flash("Caseload deleted.", "success")
    return redirect(url_for("planner.page"))


# --- scenario editor ---------------------------------------------------------------------------


@bp.post("/scenarios")
@manager_required
def new_scenario() -> BaseResponse:
    """A new scenario, starting from today's venues for a programme."""
    from geoaccess.analysis.scenarios import current_scenario

    owner = _owner()
    programme = request.form.get("programme", "").strip().upper()
    try:
        today = current_scenario(programme, _venues())
    except BadInput as exc:
        flash(str(exc), "danger")
        return redirect(url_for("planner.page"))
    name = request.form.get("name", "").strip()[:80] or f"{today.programme} scenario"
    scenario = {
        "id": secrets.token_hex(4),
        "name": name,
        "programme": today.programme,
        "venues": [{"id": o.venue_id} for o in today.offers],
    }
    with _scenario_lock:
        scenarios = load_scenarios(owner)
        if len(scenarios) >= MAX_SCENARIOS:
            flash(f"At most {MAX_SCENARIOS} scenarios: delete one first.", "danger")
            return redirect(url_for("planner.page"))
        scenarios.append(scenario)
        _save_scenarios(owner, scenarios)
    flash(f"Scenario “{name}” made from today's {today.programme} venues.", "success")
    return redirect(url_for("planner.page", _anchor=f"scenario-{scenario['id']}"))


@bp.post("/scenarios/<scenario_id>/delete")
@manager_required
def delete_scenario(scenario_id: str) -> BaseResponse:
    owner = _owner()
    with _scenario_lock:
        scenarios = load_scenarios(owner)
        scenario = _find_scenario(scenarios, scenario_id)
        scenarios.remove(scenario)
        _save_scenarios(owner, scenarios)
    flash(f"Scenario “{scenario['name']}” deleted.", "success")
    return redirect(url_for("planner.page"))


@bp.post("/scenarios/<scenario_id>/rename")
@manager_required
def rename_scenario(scenario_id: str) -> BaseResponse:
    name = request.form.get("name", "").strip()[:80]

    def change(scenario: dict[str, Any]) -> None:
        if not name:
            raise BadInput("give the scenario a name")
        scenario["name"] = name

    return _edit_scenario(scenario_id, change)


@bp.post("/scenarios/<scenario_id>/venues")
@manager_required
def add_venue(scenario_id: str) -> BaseResponse:
    """Add a registry venue (its registry sessions, or those given)."""
    venue_id = request.form.get("venue_id", "").strip()
    text = request.form.get("sessions", "")

    def change(scenario: dict[str, Any]) -> None:
        if not venue_id:
            raise BadInput("choose a venue")
        if any(item.get("id") == venue_id for item in scenario["venues"]):
            raise BadInput(f"{venue_id} is already in the scenario")
        item: dict[str, Any] = {"id": venue_id}
        sessions = parse_sessions(text)
        if sessions is not None:
            item["sessions"] = sessions
        scenario["venues"].append(item)

    return _edit_scenario(scenario_id, change)


@bp.post("/scenarios/<scenario_id>/new-venue")
@manager_required
def add_new_venue(scenario_id: str) -> BaseResponse:
    """Add a venue that is not in the registry, by longitude and latitude."""
    form = request.form

    def change(scenario: dict[str, Any]) -> None:
        try:
            lon, lat = float(form.get("lon", "")), float(form.get("lat", ""))
        except ValueError as exc:
            raise BadInput("give the new venue's longitude and latitude as numbers (e.g. -3.5886, 54.5489)") from exc
        sessions = parse_sessions(form.get("sessions", ""))
        if not sessions:
            raise BadInput("a new venue needs its sessions (e.g. 'Thu 18:00-20:30')")
        name = form.get("name", "").strip()[:80] or f"new venue at {lat:.4f},{lon:.4f}"
        new_id = "new-" + ("-".join("".join(c if c.isalnum() else " " for c in name.lower()).split()) or "venue")
        if any(item.get("new_id") == new_id or item.get("id") == new_id for item in scenario["venues"]):
            raise BadInput(f"a venue called {name!r} is already in the scenario")
        scenario["venues"].append({"name": name, "new_id": new_id, "lon": lon, "lat": lat, "sessions": sessions})

    return _edit_scenario(scenario_id, change)


@bp.post("/scenarios/<scenario_id>/venues/<int:index>/remove")
@manager_required
def remove_venue(scenario_id: str, index: int) -> BaseResponse:
    def change(scenario: dict[str, Any]) -> None:
        if not 0 <= index < len(scenario["venues"]):
            raise BadInput("no such venue in the scenario")
        if len(scenario["venues"]) == 1:
            raise BadInput("a scenario needs at least one venue")
        scenario["venues"].pop(index)

    return _edit_scenario(scenario_id, change)


@bp.post("/scenarios/<scenario_id>/venues/<int:index>/sessions")
@manager_required
def set_sessions(scenario_id: str, index: int) -> BaseResponse:
    """Change a venue's session days and times (empty: the registry's sessions)."""
    text = request.form.get("sessions", "")

    def change(scenario: dict[str, Any]) -> None:
        if not 0 <= index < len(scenario["venues"]):
            raise BadInput("no such venue in the scenario")
        item = scenario["venues"][index]
        sessions = parse_sessions(text)
        if sessions is None:
            if not item.get("id"):
                raise BadInput("a new venue needs its sessions")
            item.pop("sessions", None)
        else:
            item["sessions"] = sessions

    return _edit_scenario(scenario_id, change)


# --- running analyses --------------------------------------------------------------------------


def _caseload_choice(owner: int) -> str:
    source = request.form.get("caseload", uploads.SYNTHETIC).strip()
    if source != uploads.SYNTHETIC and uploads.upload_meta(current_app, source, owner) is None:
        raise BadInput("choose the synthetic caseload or one of your uploads")
    return source


def _scenario_choice(value: str, saved: list[dict[str, Any]]) -> dict[str, Any]:
    if value.startswith("today:"):
        return {"today": value.split(":", 1)[1]}
    if value.startswith("saved:"):
        for scenario in saved:
            if scenario["id"] == value.split(":", 1)[1]:
                return _document(scenario)
    raise BadInput("choose a scenario from the list")


@bp.post("/run")
@manager_required
def run() -> tuple[Response, int] | BaseResponse:
    """Start a measures, compare or site job; go to its page (which shows progress, then results)."""
    owner = _owner()
    kind = request.form.get("kind", "")
    saved = load_scenarios(owner)
    try:
        params: dict[str, Any] = {"caseload": _caseload_choice(owner)}
        if kind == "measures":
            params["scenarios"] = [_scenario_choice(request.form.get("scenario", ""), saved)]
        elif kind == "compare":
            chosen = [request.form.get("baseline", "")] + [v for v in request.form.getlist("others") if v]
            if len(chosen) < 2:
                raise BadInput("choose a baseline and at least one scenario to compare with it")
            if len(set(chosen)) != len(chosen):
                raise BadInput("choose different scenarios to compare")
            params["scenarios"] = [_scenario_choice(v, saved) for v in chosen]
        elif kind == "site":
            params.update(_siting_request().to_dict())
        else:
            raise BadInput("unknown analysis")
        for document in params.get("scenarios", []):
            scenario_from_dict(document, _venues())  # refuse a bad scenario now, not in the job
        job_id = background.submit(current_app, kind, params, owner)
    except BadInput as exc:
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"error": f"Not started: {exc}"}), 422
        flash(f"Not started: {exc}", "danger")
        return redirect(url_for("planner.page", _anchor="analyses"))
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"id": job_id, "status_url": url_for("planner.job_status", job_id=job_id)}), 202
    return redirect(url_for("planner.result", job_id=job_id))


def _siting_request() -> SitingRequest:
    """The siting form as a request, checked as the job will check it (at most :data:`MOST_SITES` venues)."""
    form, defaults = request.form, SitingRequest()
    try:
        p = int(form.get("p", str(defaults.p)))
    except ValueError as exc:
        raise BadInput(f"p (venues to add) must be a whole number from 1 to {MOST_SITES}") from exc
    keep = [k.strip() for k in re.split(r"[,\s]+", form.get("keep", "")) if k.strip()] + form.getlist("keep_ids")
    siting = SitingRequest(
        programme=form.get("programme", defaults.programme),
        p=p,
        objective=form.get("objective", defaults.objective),
        cost=form.get("cost", defaults.cost),
        keep=tuple(keep),
        session=form.get("session", "").strip() or None,
    )
    plan_siting(siting, venues=_venues(), most_p=MOST_SITES)
    return siting


def _job_or_404(job_id: int) -> dict[str, Any]:
    job = background.status(job_id, owner_id=_owner())
    if job is None:
        abort(404)
    return job


@bp.get("/jobs/<int:job_id>")
@manager_required
def job_status(job_id: int) -> Response:
    """A job's status as JSON, polled by planner.js (the result is fetched with the results page)."""
    job = _job_or_404(job_id)
    job.pop("result", None)
    job["result_url"] = url_for("planner.result", job_id=job_id)
    return jsonify(job)


@bp.get("/results/<int:job_id>")
@manager_required
def result(job_id: int) -> str:
    """The job's progress while it runs; its tables and maps when done."""
    job = _job_or_404(job_id)
    return render_template(
        "planner_result.html",
        job=job,
        result=job.get("result"),
        measure_rows=MEASURE_ROWS,
        district_columns=DISTRICT_COLUMNS,
        gain_columns=GAIN_COLUMNS,
    )


def _done_result(job_id: int) -> dict[str, Any]:
    job = _job_or_404(job_id)
    if job["status"] != "done" or not job.get("result"):
        abort(404)
    result_: dict[str, Any] = job["result"]
    return result_


def _map_path(job_id: int, key: str, suffix: str) -> Path:
    result_ = _done_result(job_id)
    if key not in {m["key"] for m in result_.get("maps", [])}:
        abort(404)
    path = background.jobs_root(current_app) / str(job_id) / f"{key}{suffix}"
    if not path.is_file():
        abort(404)
    return path


@bp.get("/results/<int:job_id>/maps/<key>")
@manager_required
def map_frame(job_id: int, key: str) -> Response:
    """A result map as a page for the results page's iframe (assets from /vendor)."""
    from .security import trust_inline_scripts
    from .vendor import asset_prefix

    html = _map_path(job_id, key, ".frame.html").read_text(encoding="utf-8")
    return trust_inline_scripts(Response(html.replace(ASSET_PLACEHOLDER, asset_prefix()), mimetype="text/html"))


@bp.get("/results/<int:job_id>/maps/<key>.<fmt>")
@manager_required
def map_export(job_id: int, key: str, fmt: str) -> Response:
    """A result map as standalone HTML (works offline), PNG or PDF."""
    if fmt not in MAP_FORMATS:
        abort(404)
    path = _map_path(job_id, key, f".{fmt}")
    return send_file(
        path,
        as_attachment=True,
        download_name=f"geoaccess-{job_id}-{key}.{fmt}",
        mimetype={"html": "text/html", "png": "image/png", "pdf": "application/pdf"}[fmt],
    )


def _csv(name: str, columns: list[str], rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _columns(rows: list[dict[str, Any]], first: list[str]) -> list[str]:
    columns = list(first)
    for row in rows:
        columns += [k for k in row if k not in columns]
    return columns


@bp.get("/results/<int:job_id>/<table>.csv")
@manager_required
def export_csv(job_id: int, table: str) -> Response:
    """Aggregate tables: overall, districts, lsoas (measures), changes (compare), sites (site)."""
    result_ = _done_result(job_id)
    label = "SYNTHETIC" if result_.get("synthetic") else "caseload"
    name = f"geoaccess-{job_id}-{label}-{table}.csv"
    rows: list[dict[str, Any]] = []
    if table == "overall" and result_.get("scenarios"):
        rows = [{"scenario": e["name"], **e["overall"]} for e in result_["scenarios"]]
        return _csv(name, _columns(rows, ["scenario"]), rows)
    if table == "districts" and result_.get("scenarios"):
        rows = [{"scenario": e["name"], **row} for e in result_["scenarios"] for row in e["by_district"]]
        return _csv(name, _columns(rows, ["scenario", "district"]), rows)
    if table == "lsoas" and result_.get("kind") == "measures":
        rows = [{"scenario": e["name"], **row} for e in result_["scenarios"] for row in e["by_lsoa"]]
        return _csv(name, _columns(rows, ["scenario", "lsoa21"]), rows)
    if table == "changes" and result_.get("kind") == "compare":
        rows = [
            {"scenario": c["name"], "against": c["against"], **row}
            for c in result_["changes"]
            for row in c["gains_and_losses_by_district"]
        ]
        return _csv(name, _columns(rows, ["scenario", "against", "district"]), rows)
    if table == "sites" and result_.get("kind") == "site":
        rows = [
            {"venue_id": v, "name": result_["names"].get(v, v), "kept": v in result_["kept"]}
            for v in result_["selected"]
        ]
        rows += [
            {"venue_id": "", "name": f"{which} venues", **result_[f"{which}_overall"]} for which in ("today", "chosen")
        ]
        return _csv(name, _columns(rows, ["venue_id", "name", "kept"]), rows)
    abort(404)
