"""The planner's results: a job's page with its tables and maps, the maps as frames and exports, the tables as CSV.

Routes on the planner blueprint (:data:`geoaccess.web.manager.bp`), for managers and admins only, each for
the signed-in user's own jobs. Everything shown or exported is an aggregate: overall, by district and by
LSOA with small counts suppressed, and maps by 10 km hexagon.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, render_template, send_file

from geoaccess.services.engines import describe

from . import background
from .job_kinds import ASSET_PLACEHOLDER, MAP_FORMATS
from .manager import bp, csv_response, job_or_404, manager_required

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
    ("rests_on_assumption", "Best round trip rests on an assumed (modelled) time", "count"),
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


@bp.get("/results/<id:job_id>")
@manager_required
def result(job_id: int) -> str:
    """The job's progress while it runs; its tables and maps when done."""
    job = job_or_404(job_id)
    result_ = job.get("result")
    return render_template(
        "planner_result.html",
        job=job,
        result=result_,
        data_line=describe(result_.get("provenance") or {}) if result_ else "",
        measure_rows=MEASURE_ROWS,
        district_columns=DISTRICT_COLUMNS,
        gain_columns=GAIN_COLUMNS,
    )


def _done_result(job_id: int) -> dict[str, Any]:
    job = job_or_404(job_id)
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


@bp.get("/results/<id:job_id>/maps/<key>")
@manager_required
def map_frame(job_id: int, key: str) -> Response:
    """A result map as a page for the results page's iframe (assets from /vendor)."""
    from .security import trust_inline_scripts
    from .vendor import asset_prefix

    html = _map_path(job_id, key, ".frame.html").read_text(encoding="utf-8")
    return trust_inline_scripts(Response(html.replace(ASSET_PLACEHOLDER, asset_prefix()), mimetype="text/html"))


@bp.get("/results/<id:job_id>/maps/<key>.<fmt>")
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


def _columns(rows: list[dict[str, Any]], first: list[str]) -> list[str]:
    columns = list(first)
    for row in rows:
        columns += [k for k in row if k not in columns]
    return columns


def _csv_export(name: str, rows: list[dict[str, Any]], first: list[str], result_: dict[str, Any]) -> Response:
    """``rows`` as a CSV download, ``first`` columns first and the result's provenance last (whether any data
    were modelled, and which networks, timetable and caseload, on every row); text cells that a spreadsheet
    would read as a formula (a scenario or venue named ``=...``) are neutralised by :func:`csv_response`."""
    provenance = result_.get("provenance") or {}
    stamp = {"provenance_modelled": bool(provenance.get("modelled")), "provenance": describe(provenance)}
    return csv_response(name, _columns(rows, first) + list(stamp), [{**row, **stamp} for row in rows])


@bp.get("/results/<id:job_id>/<table>.csv")
@manager_required
def export_csv(job_id: int, table: str) -> Response:
    """Aggregate tables: overall, districts, lsoas (measures), changes (compare), sites (site)."""
    result_ = _done_result(job_id)
    label = "SYNTHETIC" if result_.get("synthetic") else "caseload"
    name = f"geoaccess-{job_id}-{label}-{table}.csv"
    rows: list[dict[str, Any]] = []
    if table == "overall" and result_.get("scenarios"):
        rows = [{"scenario": e["name"], **e["overall"]} for e in result_["scenarios"]]
        return _csv_export(name, rows, ["scenario"], result_)
    if table == "districts" and result_.get("scenarios"):
        rows = [{"scenario": e["name"], **row} for e in result_["scenarios"] for row in e["by_district"]]
        return _csv_export(name, rows, ["scenario", "district"], result_)
    if table == "lsoas" and result_.get("kind") == "measures":
        rows = [{"scenario": e["name"], **row} for e in result_["scenarios"] for row in e["by_lsoa"]]
        return _csv_export(name, rows, ["scenario", "lsoa21"], result_)
    if table == "changes" and result_.get("kind") == "compare":
        rows = [
            {"scenario": c["name"], "against": c["against"], **row}
            for c in result_["changes"]
            for row in c["gains_and_losses_by_district"]
        ]
        return _csv_export(name, rows, ["scenario", "against", "district"], result_)
    if table == "sites" and result_.get("kind") == "site":
        rows = [
            {"venue_id": v, "name": result_["names"].get(v, v), "kept": v in result_["kept"]}
            for v in result_["selected"]
        ]
        rows += [
            {"venue_id": "", "name": f"{which} venues", **result_[f"{which}_overall"]} for which in ("today", "chosen")
        ]
        return _csv_export(name, rows, ["venue_id", "name", "kept"], result_)
    abort(404)
