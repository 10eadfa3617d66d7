"""The REST API under ``/api/v1``: JSON in and out, problem details for every error.

Authentication: ``Authorization: Bearer TOKEN`` (``geoaccess users token NAME``) or a signed-in
session (then unsafe methods need the ``X-CSRFToken`` header); see :func:`geoaccess.web.accounts.api_auth`.

Status codes:

- ``400`` the body is not a JSON object, or a field is missing or of the wrong type
  (``type: urn:geoaccess:problem:invalid-body``);
- ``422`` the values are well formed but unusable: unknown or out-of-area postcode, unknown
  venue, a session that ends before it starts... (``urn:geoaccess:problem:bad-input``), or no
  journey exists between the places at the times asked (``urn:geoaccess:problem:no-route``:
  422 rather than 404, so a 404 always means the URL or job does not exist);
- ``401``/``403`` authentication and roles; ``404`` unknown URL or job; ``405`` wrong method;
  ``503`` the data pack is missing or damaged.

Details never repeat a postcode or coordinates.

Long work (``access``, ``scenario/compare``, ``site``) runs as a background job of
:mod:`geoaccess.web.background` when its pool is running: the answer is ``202`` with the job's URL
(``Location: /api/v1/jobs/ID``) to poll. Without the pool (or with ``API_JOBS = False``) it
runs in the request and answers ``200`` with the result.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from geoaccess.errors import BadInput, DataPackError, NoRoute, VenueFileError
from geoaccess.web.accounts import api_auth, problem
from geoaccess.web.officer import flag_sentences, me, render_file, venues
from geoaccess.web.security import trust_inline_scripts

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ANYONE = ("officer", "manager", "admin")
MANAGERS = ("manager", "admin")
PROBLEM_BAD_BODY = "urn:geoaccess:problem:invalid-body"
PROBLEM_BAD_INPUT = "urn:geoaccess:problem:bad-input"
PROBLEM_NO_ROUTE = "urn:geoaccess:problem:no-route"
PROBLEM_DATA_PACK = "urn:geoaccess:problem:data-pack"
MODES = ("car", "walk", "transit")
MAP_KINDS = ("venues", "isochrones", "journey")
MAP_FORMATS = {"html": "text/html", "png": "image/png", "pdf": "application/pdf"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


class InvalidBody(Exception):
    """The request body is not what the endpoint takes (400)."""


# --- helpers -------------------------------------------------------------------------------------


def body() -> dict:
    """The JSON object sent."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidBody("send a JSON object with 'Content-Type: application/json'")
    return data


def text(data: dict, key: str, *, required: bool = True, default: str | None = None) -> str | None:
    """A string field (numbers are accepted and turned into text)."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidBody(f"'{key}' is required")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidBody(f"'{key}' must be a string")
    return str(value).strip()


def integer(data: dict, key: str, default: int) -> int:
    """A whole-number field."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBody(f"'{key}' must be a whole number")
    return value


def require_synthetic(data: dict) -> None:
    """The API analyses only the synthetic caseload (uploads go through the planner pages)."""
    if data.get("synthetic") is not True:
        raise InvalidBody(
            "'synthetic' must be true: the API analyses the synthetic demonstration caseload only "
            "(upload a real caseload in the planner)"
        )


def place(value: str, *, home: bool = False) -> Any:
    """A venue id, postcode or ``lat,lon``, resolved; an unknown venue id is not repeated back."""
    from geoaccess.places import resolve_place

    try:
        resolved = resolve_place(value, venues())
    except VenueFileError as exc:
        raise BadInput("no venue has that id (GET /api/v1/venues lists them)") from exc
    if home and resolved.kind == "venue":
        raise BadInput("'from' must be a postcode or 'lat,lon', not a venue id")
    return resolved


def handle_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map body and library errors to problem details."""
    from functools import wraps

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except InvalidBody as exc:
            return problem(400, "Invalid request body", str(exc), PROBLEM_BAD_BODY)
        except NoRoute as exc:
            return problem(422, "No route", str(exc), PROBLEM_NO_ROUTE)
        except BadInput as exc:
            return problem(422, "Bad input", str(exc), PROBLEM_BAD_INPUT)
        except DataPackError as exc:
            return problem(503, "Data pack unavailable", str(exc), PROBLEM_DATA_PACK)

    return wrapped


def jobs_running() -> bool:
    """True when background jobs can be used for long work."""
    return bool(current_app.config.get("API_JOBS", True)) and "geoaccess_jobs" in current_app.extensions


def long_work(kind: str, params: dict) -> Response:
    """Submit a job (202 + Location) or, without the job pool, run it here (200)."""
    from geoaccess.web import background as jobs

    if jobs_running():
        job_id = jobs.submit(current_app._get_current_object(), kind, params, me().id)
        url = f"{bp.url_prefix}/jobs/{job_id}"
        response = jsonify(
            {"job": job_id, "kind": kind, "status": "queued", "url": url, "ran": "as a background job: poll its URL"}
        )
        response.status_code = 202
        response.headers["Location"] = url
        return response
    runner = {"measures": jobs.run_measures, "compare": jobs.run_compare, "site": jobs.run_site}[kind]
    with tempfile.TemporaryDirectory(prefix="geoaccess-api-") as folder:
        result = runner(current_app._get_current_object(), params, me().id, lambda *_: None, Path(folder))
    result.pop("maps", None)  # the files went with the temporary folder
    return jsonify({**result, "ran": "synchronously (no job pool)"})


# --- endpoints -----------------------------------------------------------------------------------


@bp.get("/geocode")
@api_auth(*ANYONE)
@handle_errors
def geocode_get() -> Response:
    """Position, LSOA and district of ``?q=`` (a postcode or ``lat,lon``). POST keeps it out of URLs."""
    return _geocode(request.args.get("q", ""))


@bp.post("/geocode")
@api_auth(*ANYONE)
@handle_errors
def geocode_post() -> Response:
    """As GET, with ``{"q": ...}`` in the body (preferred: the postcode stays out of any URL log)."""
    return _geocode(text(body(), "q"))


def _geocode(query: str) -> Response:
    from geoaccess.geocode import geocode

    if not query.strip():
        raise InvalidBody("'q' is required: a postcode or 'lat,lon'")
    return jsonify({**geocode(query).to_dict(), "modelled": False})


@bp.get("/venues")
@api_auth(*ANYONE)
@handle_errors
def venues_list() -> Response:
    """The venue registry as GeoJSON (``?programme=BBR``, ``?kind=hub`` filter it)."""
    from geoaccess.venues import KINDS, PROGRAMMES, venues_geojson

    programme = (request.args.get("programme") or "").strip().upper()
    kind = (request.args.get("kind") or "").strip()
    if programme and programme not in PROGRAMMES:
        raise BadInput(f"programme must be one of {', '.join(PROGRAMMES)}")
    if kind and kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    chosen = [v for v in venues() if (not programme or v.offers(programme)) and (not kind or v.kind == kind)]
    return jsonify(venues_geojson(chosen))


@bp.post("/journey")
@api_auth(*ANYONE)
@handle_errors
def journey() -> Response:
    """Door to door by car, on foot or by public transport."""
    data = body()
    mode = text(data, "mode", required=False, default="car")
    if mode not in MODES:
        raise InvalidBody(f"'mode' must be one of {', '.join(MODES)}")
    start, end = place(text(data, "from")), place(text(data, "to"))
    if mode == "transit":
        from geoaccess.cli.transit import transit_journey

        depart_at, arrive_by = text(data, "depart_at", required=False), text(data, "arrive_by", required=False)
        if (depart_at is None) == (arrive_by is None):
            raise InvalidBody("transit needs exactly one of 'depart_at' or 'arrive_by' (HH:MM)")
        return jsonify(transit_journey(start, end, text(data, "day"), depart_at, arrive_by, (), (), None, 2000.0, 4))
    from geoaccess.roads.journeys import road_journey
    from geoaccess.roads.sources import router_for

    return jsonify(road_journey(start, end, router_for(mode)))


@bp.post("/roundtrip")
@api_auth(*ANYONE)
@handle_errors
def roundtrip() -> Response:
    """Can someone get to a session on time by public transport, and home after it? (``day: "week"`` for all)"""
    from geoaccess.transit.planner import parse_clock
    from geoaccess.transit.roundtrip import round_trip
    from geoaccess.transit.sources import planner_for, service_date, transit_provenance, week_dates

    data = body()
    venue_id, destination = text(data, "venue", required=False), text(data, "to", required=False)
    if (venue_id is None) == (destination is None):
        raise InvalidBody("give exactly one of 'venue' (a venue id) or 'to' (a postcode or 'lat,lon')")
    day = text(data, "day")
    start, end = text(data, "start"), text(data, "end")
    margin = integer(data, "margin", 10)
    start_s, end_s = parse_clock(start), parse_clock(end)
    if end_s <= start_s:
        raise BadInput(f"the session ends ({end}) before it starts ({start})")
    if not 0 <= margin <= 120:
        raise BadInput("'margin' must be from 0 to 120 minutes")
    home = place(text(data, "from"), home=True)
    if venue_id is not None and not _SLUG.match(venue_id):
        raise BadInput("'venue' must be a venue id (GET /api/v1/venues lists them); use 'to' for a postcode")
    target = place(venue_id or destination)
    planner = planner_for()
    dates = week_dates(planner.timetable) if day.lower() == "week" else [service_date(day, planner.timetable)]
    days = []
    for when in dates:
        result = round_trip(planner, (home.lon, home.lat), (target.lon, target.lat), when, start_s, end_s, margin)
        result["flags_in_words"] = flag_sentences(result)
        days.append(result)
    answer = {
        "from": home.to_dict(),
        "to": target.to_dict(),
        "days": days,
        "provenance": transit_provenance(planner, dates[0]),
    }
    if len(days) == 1:
        answer.update({key: days[0][key] for key in ("outbound", "return", "feasible", "flags", "flags_in_words")})
    else:
        answer["works_on"] = [d["weekday"] for d in days if d["feasible"]]
    return jsonify(answer)


@bp.post("/access")
@api_auth(*MANAGERS)
@handle_errors
def access() -> Response:
    """Travel burden of the synthetic caseload to the venues offering a programme (aggregates only)."""
    from geoaccess.analysis.scenarios import current_scenario

    data = body()
    require_synthetic(data)
    programme = text(data, "programme")
    current_scenario(programme, venues())  # a bad programme is a 422 now, not a failed job later
    return long_work("measures", {"caseload": "synthetic", "programme": programme.upper()})


@bp.post("/scenario/compare")
@api_auth(*MANAGERS)
@handle_errors
def scenario_compare() -> Response:
    """Compare two or more scenarios (``"today:BBR"`` or scenario objects) for the synthetic caseload."""
    from geoaccess.web.background import scenario_from_dict

    data = body()
    require_synthetic(data)
    items = data.get("scenarios")
    if not isinstance(items, list) or len(items) < 2:
        raise InvalidBody("'scenarios' must be a list of two or more scenarios ('today:BBR' or objects)")
    documents = []
    for item in items:
        if isinstance(item, str):
            if not item.lower().startswith("today:"):
                raise InvalidBody("a scenario given as text must be 'today:PROGRAMME'")
            item = {"today": item.split(":", 1)[1]}
        if not isinstance(item, dict):
            raise InvalidBody("each scenario must be 'today:PROGRAMME' or an object")
        documents.append(item)
    chosen = [scenario_from_dict(d, venues()) for d in documents]
    if len({s.programme for s in chosen}) != 1:
        raise BadInput("the scenarios compared must be for the same programme")
    return long_work("compare", {"caseload": "synthetic", "scenarios": documents})


@bp.post("/site")
@api_auth(*MANAGERS)
@handle_errors
def site() -> Response:
    """Choose ``p`` venues to add to the kept ones for the synthetic caseload."""
    from geoaccess.analysis.scenarios import current_scenario
    from geoaccess.venues import find_venue
    from geoaccess.web.background import SITE_COSTS, SITE_OBJECTIVES

    data = body()
    require_synthetic(data)
    programme = text(data, "programme", required=False, default="BBR")
    p = integer(data, "p", 1)
    objective = text(data, "objective", required=False, default="over120")
    cost = text(data, "cost", required=False, default="roundtrip")
    keep = data.get("keep", [])
    if isinstance(keep, str):
        keep = [k.strip() for k in keep.split(",") if k.strip()]
    if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
        raise InvalidBody("'keep' must be a list of venue ids (or one comma-separated string)")
    threshold = data.get("threshold", 120)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise InvalidBody("'threshold' must be a number of minutes")
    if not 1 <= p <= 5:
        raise BadInput("'p' (venues to add) must be from 1 to 5")
    if objective not in SITE_OBJECTIVES:
        raise BadInput(f"'objective' must be one of {', '.join(SITE_OBJECTIVES)}")
    if cost not in SITE_COSTS:
        raise BadInput(f"'cost' must be one of {', '.join(SITE_COSTS)}")
    current_scenario(programme, venues())
    for venue_id in keep:
        try:
            find_venue(venues(), venue_id)
        except VenueFileError as exc:
            raise BadInput("'keep' names a venue id that does not exist (GET /api/v1/venues lists them)") from exc
    params = {
        "caseload": "synthetic",
        "programme": programme.upper(),
        "p": p,
        "objective": objective,
        "cost": cost,
        "keep": keep,
        "threshold": float(threshold),
    }
    if data.get("session"):
        params["session"] = text(data, "session")
    return long_work("site", params)


@bp.get("/jobs/<int:job_id>")
@api_auth(*ANYONE)
@handle_errors
def job(job_id: int) -> Response:
    """A job's status, progress and (when done) result; only its owner sees it."""
    from geoaccess.web import background as jobs

    found = jobs.status(job_id, owner_id=me().id)
    if found is None:
        return problem(404, "Not Found", "No job of yours has this id.")
    return jsonify(found)


@bp.post("/map")
@api_auth(*ANYONE)
@handle_errors
def map_export() -> Response:
    """A map as standalone HTML, PNG or PDF: ``kind`` venues, isochrones or journey (home coarsened)."""
    data = body()
    kind = text(data, "kind")
    fmt = text(data, "format", required=False, default="html").lower()
    if kind not in MAP_KINDS:
        raise InvalidBody(f"'kind' must be one of {', '.join(MAP_KINDS)}")
    if fmt not in MAP_FORMATS:
        raise InvalidBody(f"'format' must be one of {', '.join(MAP_FORMATS)}")
    doc = {"venues": _venues_doc, "isochrones": _isochrones_doc, "journey": _journey_doc}[kind](data)
    if fmt == "html":
        from geoaccess.maps.interactive import standalone_html

        response = trust_inline_scripts(Response(standalone_html(doc), mimetype=MAP_FORMATS[fmt]))
    else:
        response = Response(render_file(doc, fmt), mimetype=MAP_FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}-map.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _venues_doc(_data: dict) -> Any:
    from geoaccess.maps.builders import venues_map
    from geoaccess.pack import load_pack

    return venues_map(load_pack(), venues())


def _isochrones_doc(data: dict) -> Any:
    """Travel-time bands to a venue from every Cumbrian LSOA (car, or public transport 07:00-10:00 Wednesday)."""

    from geoaccess.cli.analysis import context
    from geoaccess.cli.maps import isochrone_document
    from geoaccess.pack import load_pack
    from geoaccess.venues import find_venue

    mode = text(data, "mode", required=False, default="transit")
    if mode not in ("car", "transit"):
        raise InvalidBody("'mode' must be car or transit for isochrones")
    try:
        venue = find_venue(venues(), text(data, "venue"))
    except VenueFileError as exc:
        raise BadInput("no venue has that id (GET /api/v1/venues lists them)") from exc
    settings, car, planner = context(
        text(data, "day", required=False, default="wed"),
        text(data, "window", required=False, default="07:00-10:00"),
        5,
        (),
        (),
        None,
    )
    return isochrone_document(load_pack(), venue, mode, settings, car, planner)


def _journey_doc(data: dict) -> Any:
    """One public transport journey; the home is shown only at its postcode sector."""
    from geoaccess.cli.maps import journey_document
    from geoaccess.pack import load_pack
    from geoaccess.transit.sources import planner_for, service_date

    home, target = place(text(data, "from"), home=True), place(text(data, "to"))
    depart_at, arrive_by = text(data, "depart_at", required=False), text(data, "arrive_by", required=False)
    if (depart_at is None) == (arrive_by is None):
        raise InvalidBody("a journey map needs exactly one of 'depart_at' or 'arrive_by' (HH:MM)")
    planner = planner_for()
    return journey_document(
        load_pack(), planner, home, target, service_date(text(data, "day"), planner.timetable), depart_at, arrive_by
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    from geoaccess.web.openapi import document

    return jsonify(document())


# --- errors outside the views: unknown URLs and methods ------------------------------------------


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _chain(app: Flask, code: int) -> None:
    """Answer ``code`` under /api/ as problem+json; elsewhere leave it to the handler before (or Flask's)."""
    previous = app.error_handler_spec.get(None, {}).get(code, {}).copy()

    def handler(error: HTTPException) -> Any:
        if _is_api():
            response = problem(error.code or code, error.name, _detail(error))
            if code == 405 and getattr(error, "valid_methods", None):
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        for cls in type(error).__mro__:
            if cls in previous:
                return previous[cls](error)
        return error

    app.register_error_handler(code, handler)


def _detail(error: HTTPException) -> str:
    if error.code == 404:
        return "There is nothing at this URL: GET /api/v1/openapi.json lists the API."
    if error.code == 405:
        return f"This URL takes {', '.join(sorted(getattr(error, 'valid_methods', None) or []))}."
    if error.code == 413:
        return "The request body is too large."
    if error.code == 500:
        return "Something went wrong on the server; it has been logged without the request's data."
    return str(error.description)


def init_app(app: Flask) -> None:
    """Register the API and its problem+json answers for unknown URLs, methods and server errors."""
    app.register_blueprint(bp)
    for code in (400, 404, 405, 413, 415, 500):
        _chain(app, code)
