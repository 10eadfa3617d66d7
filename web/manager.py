"""The manager's planner: the page, caseload uploads, the scenario editor and starting background analyses.

Managers and admins only (officers get 403, anonymous users are sent to sign
in). Everything shown or exported about people is an aggregate: overall, by
district and by LSOA with small counts suppressed, and maps by 10 km hexagon.
An uploaded caseload's validation report names rows and reasons, never a
postcode. See :mod:`geoaccess.web.background` for how uploads and results are kept,
:mod:`geoaccess.web.scenarios_store` for the saved scenarios and :mod:`geoaccess.web.results`
for the result pages, maps and exports (routes on this blueprint).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import tempfile
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
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from geoaccess.csv_cells import neutralise_csv_rows
from geoaccess.defaults import SITING_COSTS, SITING_OBJECTIVES
from geoaccess.errors import BadInput
from geoaccess.isolation import LimitExceeded
from geoaccess.roles import MANAGERS
from geoaccess.services.analysis import SitingRequest, check_scenario_count, plan_siting, scenarios_from_documents
from geoaccess.venues import REPORTING, REQUIREMENTS

from . import background, scenarios_store, uploads
from .auth import current_user, login_required
from .job_kinds import MOST_SITES
from .scenarios_store import load_scenarios, parse_sessions
from .views import loaded_venues

bp = Blueprint("planner", __name__, url_prefix="/planner")

UPLOAD_SUFFIXES = (".csv", ".xlsx")
SYNTHETIC_LABEL = "SYNTHETIC demonstration caseload (2,161 people, no real person)"


def init_app(app: Flask) -> None:
    """Register the planner pages (with the result routes of :mod:`.results`) and start the job pool."""
    from . import results  # its routes join bp when imported; it imports this module, so not at the top

    background.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.filters.setdefault("ga_measure", results.format_measure)


manager_required = login_required(*MANAGERS)
"""Signed-in managers and admins only: anonymous -> sign in, others (officers) -> 403."""


def _owner() -> int:
    user = current_user()
    assert user is not None  # manager_required admits signed-in users only
    return int(user.id)


# --- the page ----------------------------------------------------------------------------------


@bp.get("")
@manager_required
def page() -> str:
    """Caseloads, scenarios, analyses and recent jobs."""
    owner = _owner()
    saved = load_scenarios(owner)
    kept = uploads.list_uploads(current_app, owner)
    programmes = [code for code in REQUIREMENTS if any(code == REPORTING or v.offers(code) for v in loaded_venues())]
    choices = [{"value": f"today:{code}", "label": f"Today's venues for {code}"} for code in programmes]
    choices += [{"value": f"saved:{s['id']}", "label": f"{s['name']} ({s['programme']})"} for s in saved]
    return render_template(
        "planner.html",
        uploads=kept,
        scenarios=scenarios_store.scenario_views(saved),
        programmes=programmes,
        scenario_choices=choices,
        venues=sorted(loaded_venues(), key=lambda v: (v.town, v.name)),
        recent=background.list_jobs(owner),
        synthetic_label=SYNTHETIC_LABEL,
        max_upload_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 1024 / 1024,
        objectives=SITING_OBJECTIVES,
        costs=SITING_COSTS,
    )


# --- caseloads ---------------------------------------------------------------------------------


@bp.post("/caseloads")
@manager_required
def upload() -> BaseResponse | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Validate an uploaded caseload; keep its people (no postcodes) if any row is usable."""
    file = request.files.get("caseload")
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
            caseload = uploads.read_uploaded_caseload(current_app, path)
        except (BadInput, LimitExceeded, uploads.ReadersBusy) as exc:
            message = str(exc).replace(path.name, name)
            status = 400 if isinstance(exc, BadInput) else exc.status
            headers = {"Retry-After": "60"} if status == uploads.ReadersBusy.status else {}
            return render_template("planner_refused.html", file_name=name, message=message), status, headers
    if caseload.synthetic:
        caseload.meta["synthetic"] = False  # an upload is treated as personal data whatever it says
    if caseload.people.empty:
        report = uploads.problem_report(caseload)
        return render_template(
            "planner_caseload.html",
            meta=None,
            file_name=name,
            summary=caseload.summary(),
            problems=report["problems"],
            total_problems=report["total"],
        ), 400
    upload_id = uploads.save_upload(current_app, caseload, _owner(), name)
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


@bp.get("/caseloads/<upload_id>")
@manager_required
def caseload(upload_id: str) -> str:
    """An upload's validation report: counts by district and requirement, problem rows and reasons."""
    meta = _upload_or_404(upload_id)
    report = uploads.upload_problems(current_app, upload_id)
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
    return csv_response(
        "caseload-problems.csv",
        ["row", "reason", "message"],
        uploads.upload_problems(current_app, upload_id)["problems"],
    )


@bp.post("/caseloads/<upload_id>/delete")
@manager_required
def delete_caseload(upload_id: str) -> BaseResponse:
    """Delete an upload now (it is deleted anyway when it expires)."""
    _upload_or_404(upload_id)
    uploads.delete_upload(current_app, upload_id, _owner())
    flash("Caseload deleted.", "success")
    return redirect(url_for("planner.page"))


# --- scenario editor ---------------------------------------------------------------------------


def _edit(scenario_id: str, change: Callable[[dict[str, Any]], None]) -> BaseResponse:
    """Apply ``change(scenario)`` to a saved scenario if the result is a valid scenario; back to it on the page."""
    try:
        edited = scenarios_store.edit_scenario(_owner(), scenario_id, change)
    except BadInput as exc:
        flash(f"Not changed: {exc}", "danger")
    else:
        flash(f"Scenario “{edited['name']}” saved.", "success")
    return redirect(url_for("planner.page", _anchor=f"scenario-{scenario_id}"))


@bp.post("/scenarios")
@manager_required
def new_scenario() -> BaseResponse:
    """A new scenario, starting from today's venues for a programme."""
    from geoaccess.analysis.scenarios import current_scenario

    programme = request.form.get("programme", "").strip().upper()
    name = request.form.get("name", "").strip()[:80]
    try:
        today = current_scenario(programme, loaded_venues())
        name = name or f"{today.programme} scenario"
        scenario = {
            "id": secrets.token_hex(4),
            "name": name,
            "programme": today.programme,
            "venues": [{"id": o.venue_id} for o in today.offers],
        }
        scenarios_store.add_scenario(_owner(), scenario)
    except BadInput as exc:
        flash(str(exc), "danger")
        return redirect(url_for("planner.page"))
    flash(f"Scenario “{name}” made from today's {today.programme} venues.", "success")
    return redirect(url_for("planner.page", _anchor=f"scenario-{scenario['id']}"))


@bp.post("/scenarios/<scenario_id>/delete")
@manager_required
def delete_scenario(scenario_id: str) -> BaseResponse:
    scenario = scenarios_store.delete_scenario(_owner(), scenario_id)
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

    return _edit(scenario_id, change)


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
            raise BadInput("that venue is already in the scenario")
        item: dict[str, Any] = {"id": venue_id}
        sessions = parse_sessions(text)
        if sessions is not None:
            item["sessions"] = sessions
        scenario["venues"].append(item)

    return _edit(scenario_id, change)


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
            raise BadInput("a new venue of that name is already in the scenario")
        scenario["venues"].append({"name": name, "new_id": new_id, "lon": lon, "lat": lat, "sessions": sessions})

    return _edit(scenario_id, change)


@bp.post("/scenarios/<scenario_id>/venues/<int:index>/remove")
@manager_required
def remove_venue(scenario_id: str, index: int) -> BaseResponse:
    def change(scenario: dict[str, Any]) -> None:
        if not 0 <= index < len(scenario["venues"]):
            raise BadInput("no such venue in the scenario")
        if len(scenario["venues"]) == 1:
            raise BadInput("a scenario needs at least one venue")
        scenario["venues"].pop(index)

    return _edit(scenario_id, change)


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

    return _edit(scenario_id, change)


# --- running analyses --------------------------------------------------------------------------


def _caseload_choice(owner: int) -> str:
    source = request.form.get("caseload", uploads.SYNTHETIC).strip()
    if source != uploads.SYNTHETIC and uploads.upload_meta(current_app, source, owner) is None:
        raise BadInput("choose the synthetic caseload or one of your uploads")
    return source


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
            params["scenarios"] = [scenarios_store.scenario_choice(request.form.get("scenario", ""), saved)]
        elif kind == "compare":
            chosen = [request.form.get("baseline", "")] + [v for v in request.form.getlist("others") if v]
            if len(chosen) < 2:
                raise BadInput("choose a baseline and at least one scenario to compare with it")
            if len(set(chosen)) != len(chosen):
                raise BadInput("choose different scenarios to compare")
            check_scenario_count(len(chosen))
            params["scenarios"] = [scenarios_store.scenario_choice(v, saved) for v in chosen]
        elif kind == "site":
            params.update(_siting_request().to_dict())
        else:
            raise BadInput("unknown analysis")
        scenarios_from_documents(params.get("scenarios", []), loaded_venues())  # refuse them now, not in the job
        job_id = background.submit(current_app, kind, params, owner)
    except BadInput as exc:  # TooManyJobs too (429): nothing was recorded
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"error": f"Not started: {exc}"}), exc.status
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
    plan_siting(siting, venues=loaded_venues(), most_p=MOST_SITES)
    return siting


def job_or_404(job_id: int, *, with_result: bool = True) -> dict[str, Any]:
    """The signed-in user's job (404 when it is not theirs or does not exist)."""
    job = background.status(job_id, owner_id=_owner(), with_result=with_result)
    if job is None:
        abort(404)
    return job


@bp.get("/jobs/<id:job_id>")
@manager_required
def job_status(job_id: int) -> Response:
    """A job's status as JSON, polled by planner.js (the result is fetched with the results page)."""
    job = job_or_404(job_id, with_result=False)
    job["result_url"] = url_for("planner.result", job_id=job_id)
    return jsonify(job)


def csv_response(name: str, columns: list[str], rows: list[dict[str, Any]]) -> Response:
    """``rows`` as a CSV download called ``name`` (``columns`` in order, missing values empty); text a
    spreadsheet would read as a formula is neutralised (:mod:`geoaccess.csv_cells`)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in neutralise_csv_rows(rows):
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
