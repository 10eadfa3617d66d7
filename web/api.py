"""The REST API under ``/api/v1``: JSON in and out, problem details for every error.

Authentication: ``Authorization: Bearer TOKEN`` (``geoaccess users token NAME``) or a signed-in
session (then unsafe methods need the ``X-CSRFToken`` header); see :func:`geoaccess.web.auth.api_auth`.

Each endpoint reads and type-checks its body here, then calls the same use case as the command line
(:mod:`geoaccess.services`), with the same defaults and checks. Errors are the library's own family
(:mod:`geoaccess.errors`), each answered with its status and problem type:

- ``400`` the body is not a JSON object (or nests too deep, holds too many items, or has a number
  that is not finite), or a field is missing or of the wrong type
  (``type: urn:geoaccess:problem:invalid-body``);
- ``422`` the values are well formed but unusable: unknown or out-of-area postcode, unknown
  venue, a session that ends before it starts... (``urn:geoaccess:problem:bad-input``), or no
  journey exists between the places at the times asked (``urn:geoaccess:problem:no-route``:
  422 rather than 404, so a 404 always means the URL or job does not exist; for public transport
  its ``dead_end`` member says why, naming stops and distances only);
- ``401``/``403`` authentication and roles; ``404`` unknown URL or job; ``405`` wrong method;
  ``503`` the data pack is missing or damaged;
- ``429`` the user already has as many background jobs queued or running as allowed
  (``urn:geoaccess:problem:too-many-jobs``; nothing was queued).

Details never repeat a postcode or coordinates.

Long work (``access``, ``scenario/compare``, ``site``) runs as a background job of
:mod:`geoaccess.web.background` when its pool is running: the answer is ``202`` with the job's URL
(``Location: /api/v1/jobs/ID``) to poll. Without the pool (or with ``API_JOBS = False``) it
runs in the request and answers ``200`` with the result.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from geoaccess.analysis.scenarios import current_scenario
from geoaccess.defaults import DAY, MARGIN_MIN, WINDOW
from geoaccess.errors import BadInput, GeoaccessError, InvalidRequest
from geoaccess.roles import MANAGERS, ROLES
from geoaccess.services.analysis import (
    Analysis,
    SitingRequest,
    measure_settings,
    plan_siting,
    same_programme,
    scenarios_from_documents,
)
from geoaccess.services.dead_ends import NoJourney
from geoaccess.services.journeys import journey as find_journey
from geoaccess.services.maps import FORMATS, isochrone_document, journey_document, map_bytes, venues_document
from geoaccess.services.roundtrips import round_trip_days, session_place
from geoaccess.venues import KINDS, PROGRAMMES, venues_geojson

from . import background
from .auth import api_auth
from .data import data_choice
from .job_kinds import MOST_SITES
from .officer import me
from .problems import problem, problem_for
from .request_checks import conform
from .security import trust_inline_scripts
from .views import loaded_venues

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAP_KINDS = ("venues", "isochrones", "journey")

P = ParamSpec("P")
R = TypeVar("R")


# --- reading the body ----------------------------------------------------------------------------


MAX_NESTING = 32
"""The deepest a body's lists and objects may nest (every endpoint needs a handful of levels)."""
MAX_ITEMS = 100_000
"""The most values, lists, objects and separators a body may hold (its size is bounded too: 10 MB)."""
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{},]')
"""A whole string (an unclosed one runs to the end: no backtracking), or one of ``[]{},``."""


def body() -> dict[str, Any]:
    """The JSON object sent: not nested deeper than :data:`MAX_NESTING`, with at most :data:`MAX_ITEMS`
    items, and with finite numbers only (Python's parser would take ``NaN`` and ``Infinity``)."""
    if not request.is_json:
        raise InvalidRequest("send a JSON object with 'Content-Type: application/json'")
    raw = request.get_data(cache=True)
    try:
        text_ = raw.decode(json.detect_encoding(raw))
    except (UnicodeDecodeError, LookupError):
        raise InvalidRequest("the body is not JSON text in UTF-8") from None
    _check_shape(text_)
    try:
        data = json.loads(text_, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):  # RecursionError cannot happen after _check_shape; kept as a guard
        data = None
    if not isinstance(data, dict):
        raise InvalidRequest("send a JSON object with 'Content-Type: application/json'")
    return data


def _check_shape(text_: str) -> None:
    """Refuse, before parsing, a body nested too deep or with too many items (strings are skipped whole)."""
    depth = items = 0
    for match in _JSON_TOKEN.finditer(text_):
        token = match.group()
        if token in ("]", "}"):
            depth -= 1
            continue
        items += 1
        if items > MAX_ITEMS:
            raise InvalidRequest(f"the body has more than {MAX_ITEMS} items")
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                raise InvalidRequest(f"the body's lists and objects nest more than {MAX_NESTING} deep")


def _no_constant(name: str) -> float:
    raise InvalidRequest(f"numbers must be finite: {name} is not allowed")


def _finite_float(digits: str) -> float:
    value = float(digits)
    if not math.isfinite(value):
        raise InvalidRequest("numbers must be finite: one is too large")
    return value


def text(data: dict[str, Any], key: str, *, required: bool = True, default: str | None = None) -> str | None:
    """A string field, its ends stripped (checked by :func:`conform` first: never null, empty or another type).

    A field of nothing but spaces is well formed but unusable: a 422 naming the field."""
    value = data.get(key)
    if value is None:
        if required:
            raise InvalidRequest(f"'{key}' is required")
        return default
    if not isinstance(value, str):
        raise InvalidRequest(f"'{key}' must be a string")
    if not value.strip():
        raise BadInput(f"'{key}' holds nothing but spaces")
    return value.strip()


def required_text(data: dict[str, Any], key: str) -> str:
    """A string field that must be there."""
    return text(data, key) or ""


def integer(data: dict[str, Any], key: str, default: int) -> int:
    """A whole-number field (``10.0`` is ten, as in JSON Schema)."""
    value = data.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"'{key}' must be a whole number")
    return value


def number(data: dict[str, Any], key: str, default: float) -> float:
    """A number field."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'{key}' must be a number")
    return float(value)


def require_synthetic(data: dict[str, Any]) -> None:
    """The API analyses only the synthetic caseload (uploads go through the planner pages)."""
    if data.get("synthetic") is not True:
        raise InvalidRequest(
            "'synthetic' must be true: the API analyses the synthetic demonstration caseload only "
            "(upload a real caseload in the planner)"
        )


def handle_errors(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Answer the library's errors with their problem details (no journey: with ``dead_end`` saying why)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        try:
            return view(*args, **kwargs)
        except NoJourney as exc:  # why there is none, as an extension member
            return problem(exc.status, exc.title, str(exc), exc.problem_type, dead_end=exc.dead_end)
        except GeoaccessError as exc:
            return problem_for(exc)

    return wrapped


def jobs_running() -> bool:
    """True when background jobs can be used for long work."""
    return bool(current_app.config.get("API_JOBS", True)) and "geoaccess_jobs" in current_app.extensions


def long_work(kind: str, params: dict[str, Any]) -> Response:
    """Submit a job (202 + Location) or, without the job pool, run it here (200)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as Flask
    if jobs_running():
        job_id = background.submit(app, kind, params, me().id)
        url = f"{bp.url_prefix}/jobs/{job_id}"
        response = jsonify(
            {"job": job_id, "kind": kind, "status": "queued", "url": url, "ran": "as a background job: poll its URL"}
        )
        response.status_code = 202
        response.headers["Location"] = url
        return response
    with tempfile.TemporaryDirectory(prefix="geoaccess-api-") as folder:
        result = background.run_now(app, kind, params, me().id, Path(folder))
    result.pop("maps", None)  # the files went with the temporary folder
    return jsonify({**result, "ran": "synchronously (no job pool)"})


# --- endpoints -----------------------------------------------------------------------------------


@bp.get("/geocode")
@api_auth(*ROLES)
@handle_errors
def geocode_get() -> Response:
    """Position, LSOA and district of ``?q=`` (a postcode or ``lat,lon``). POST keeps it out of URLs."""
    query = request.args.get("q")
    if query is None:
        raise InvalidRequest("'q' is required: a postcode or 'lat,lon'")
    if not query:
        raise InvalidRequest("'q' must not be empty: a postcode or 'lat,lon'")
    return _geocode(query)


@bp.post("/geocode")
@api_auth(*ROLES)
@handle_errors
def geocode_post() -> Response:
    """As GET, with ``{"q": ...}`` in the body (preferred: the postcode stays out of any URL log)."""
    data = body()
    conform(data, "GeocodeRequest")
    return _geocode(required_text(data, "q"))


def _geocode(query: str) -> Response:
    from geoaccess.geocode import geocode

    if not query.strip():
        raise BadInput("'q' holds nothing but spaces: a postcode or 'lat,lon'")
    return jsonify({**geocode(query).to_dict(), "modelled": False})


@bp.get("/venues")
@api_auth(*ROLES)
@handle_errors
def venues_list() -> Response:
    """The venue registry as GeoJSON (``?programme=BBR``, ``?kind=hub`` filter it; each as listed, exactly)."""
    programme = request.args.get("programme")
    kind = request.args.get("kind")
    if programme is not None and programme not in PROGRAMMES:
        raise BadInput(f"programme must be one of {', '.join(PROGRAMMES)}")
    if kind is not None and kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    chosen = [v for v in loaded_venues() if (not programme or v.offers(programme)) and (not kind or v.kind == kind)]
    return jsonify(venues_geojson(chosen))


@bp.post("/journey")
@api_auth(*ROLES)
@handle_errors
def journey() -> Response:
    """Door to door by car, on foot or by public transport."""
    data = body()
    conform(data, "JourneyRequest")
    result = find_journey(
        origin=required_text(data, "from"),
        destination=required_text(data, "to"),
        venues=loaded_venues(),
        mode=text(data, "mode", required=False, default="car") or "car",
        day=text(data, "day", required=False),
        depart_at=text(data, "depart_at", required=False),
        arrive_by=text(data, "arrive_by", required=False),
        data=data_choice(),
    )
    return jsonify(result)


@bp.post("/roundtrip")
@api_auth(*ROLES)
@handle_errors
def roundtrip() -> Response:
    """Can someone get to a session on time by public transport, and home after it? (``day: "week"`` for all)"""
    data = body()
    conform(data, "RoundTripRequest")
    chosen = data_choice()
    place = session_place(
        venues=loaded_venues(),
        venue=text(data, "venue", required=False),
        to=text(data, "to", required=False),
        data=chosen,
    )
    result = round_trip_days(
        home=required_text(data, "from"),
        place=place,
        venues=loaded_venues(),
        day=required_text(data, "day"),
        start=required_text(data, "start"),
        end=required_text(data, "end"),
        margin=integer(data, "margin", MARGIN_MIN),
        data=chosen,
    )
    return jsonify(result)


@bp.post("/access")
@api_auth(*MANAGERS)
@handle_errors
def access() -> Response:
    """Travel burden of the synthetic caseload to the venues offering a programme (aggregates only)."""
    data = body()
    require_synthetic(data)
    conform(data, "AccessRequest")
    scenario = current_scenario(required_text(data, "programme"), loaded_venues())  # a bad programme is a 422 now
    return long_work("measures", {"caseload": "synthetic", "programme": scenario.programme})


@bp.post("/scenario/compare")
@api_auth(*MANAGERS)
@handle_errors
def scenario_compare() -> Response:
    """Compare two or more scenarios (``"today:BBR"`` or scenario objects) for the synthetic caseload."""
    data = body()
    require_synthetic(data)
    conform(data, "CompareRequest")
    documents = [{"today": item.split(":", 1)[1]} if isinstance(item, str) else item for item in data["scenarios"]]
    same_programme(scenarios_from_documents(documents, loaded_venues()), least=2)  # a 422 before any job is queued
    return long_work("compare", {"caseload": "synthetic", "scenarios": documents})


@bp.post("/site")
@api_auth(*MANAGERS)
@handle_errors
def site() -> Response:
    """Choose ``p`` venues (at most :data:`MOST_SITES`) to add to the kept ones for the synthetic caseload."""
    data = body()
    require_synthetic(data)
    conform(data, "SiteRequest")
    keep = data.get("keep", [])
    if isinstance(keep, str):
        keep = [k.strip() for k in keep.split(",") if k.strip()]
    defaults = SitingRequest()
    request_ = SitingRequest(
        programme=text(data, "programme", required=False) or defaults.programme,
        p=integer(data, "p", defaults.p),
        objective=text(data, "objective", required=False) or defaults.objective,
        cost=text(data, "cost", required=False) or defaults.cost,
        threshold=number(data, "threshold", defaults.threshold),
        keep=tuple(keep),
        session=text(data, "session", required=False),
    )
    plan_siting(request_, venues=loaded_venues(), most_p=MOST_SITES)  # every problem is a 422 now, not a failed job
    return long_work("site", {"caseload": "synthetic", **request_.to_dict()})


@bp.get("/jobs/<id:job_id>")
@api_auth(*ROLES)
@handle_errors
def job(job_id: int) -> Response:
    """A job's status, progress and (when done) result; only its owner sees it."""
    found = background.status(job_id, owner_id=me().id)
    if found is None:
        return problem(404, "Not Found", "No job of yours has this id.")
    return jsonify(found)


@bp.post("/map")
@api_auth(*ROLES)
@handle_errors
def map_export() -> Response:
    """A map as standalone HTML, PNG or PDF: ``kind`` venues, isochrones or journey (home coarsened)."""
    data = body()
    conform(data, "MapRequest")
    kind = required_text(data, "kind")
    fmt = text(data, "format", required=False, default="html") or "html"
    if kind == "venues":
        doc = venues_document(loaded_venues())
    elif kind == "isochrones":
        settings = measure_settings(
            day=text(data, "day", required=False) or DAY, window=text(data, "window", required=False) or WINDOW
        )
        doc = isochrone_document(
            venue_id=required_text(data, "venue"),
            mode=text(data, "mode", required=False) or "transit",
            analysis=Analysis(settings=settings, data=data_choice()),
            venues=loaded_venues(),
        )
    else:
        doc = journey_document(
            home=required_text(data, "from"),
            to=required_text(data, "to"),
            day=required_text(data, "day"),
            venues=loaded_venues(),
            depart_at=text(data, "depart_at", required=False),
            arrive_by=text(data, "arrive_by", required=False),
            data=data_choice(),
        )
    response = Response(map_bytes(doc, fmt), mimetype=FORMATS[fmt])
    if fmt == "html":
        response = trust_inline_scripts(response)
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}-map.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    from .openapi import document

    return jsonify(document())


# --- errors outside the views: unknown URLs and methods ------------------------------------------


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _chain(app: Flask, code: int) -> None:
    """Answer ``code`` under /api/ as problem+json; elsewhere leave it to the handler before (or Flask's)."""
    previous = app.error_handler_spec.get(None, {}).get(code, {}).copy()

    def handler(error: HTTPException) -> Any:  # a problem, or whatever the handler before answers
        if _is_api():
            response = problem(error.code or code, error.name, _detail(error))
            if code == 405 and isinstance(error, MethodNotAllowed) and error.valid_methods:
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
