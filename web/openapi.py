"""The OpenAPI 3.1 description of ``/api/v1``, written by hand (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any

from geoaccess import __version__
from geoaccess.defaults import (
    LONG_JOURNEY_MIN,
    MARGIN_MIN,
    MOST_COMPARED_SCENARIOS,
    MOST_MARGIN_MIN,
    SITING_COST,
    SITING_COSTS,
    SITING_OBJECTIVE,
    SITING_OBJECTIVES,
    SITING_PROGRAMME,
    WINDOW,
)
from geoaccess.services.journeys import MODES
from geoaccess.services.maps import FORMATS
from geoaccess.services.roundtrips import WEEK
from geoaccess.venues import KINDS, PROGRAMMES, REQUIREMENTS
from geoaccess.weekdays import WEEKDAYS

from .api import MAP_KINDS
from .job_kinds import MOST_SITES

JSON = "application/json"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema or {"type": "object"}}}}


def _body(schema: dict[str, Any], example: dict[str, Any] | None = None) -> dict[str, Any]:
    content = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"required": True, "content": {JSON: content}}


AUTH_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
INPUT_ERRORS = {
    "400": {"$ref": "#/components/responses/InvalidBody"},
    "422": {"$ref": "#/components/responses/Unprocessable"},
}
JOB_ACCEPTED = {
    "description": "Running as a background job: poll the URL in `Location` (and `url`).",
    "headers": {"Location": {"schema": {"type": "string"}, "description": "/api/v1/jobs/{job_id}"}},
    "content": {JSON: {"schema": _ref("JobAccepted")}},
}


def _any_case(word: str) -> str:
    """A regular expression for ``word`` in any case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


_WEEKDAY = "|".join(f"{_any_case(name[:3])}(?:{_any_case(name[3:])})?" for name in WEEKDAYS)
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_HHMM = "[0-9]{1,2}:[0-5][0-9]"

CLOCK = {
    "type": "string",
    "minLength": 1,
    "title": "HH:MM (24-hour clock)",
    "pattern": f"^{_HHMM}$",
    "examples": ["18:00"],
}
DAY = {
    "type": "string",
    "minLength": 1,
    "title": "a weekday (mon..sun or monday..sunday, any case) or a date YYYY-MM-DD",
    "description": "Weekday (mon..sun or monday..sunday) or a date YYYY-MM-DD in the timetable's range.",
    "pattern": f"^(?:{_WEEKDAY}|{_DATE})$",
    "examples": ["thu"],
}
PLACE = {
    "type": "string",
    "minLength": 1,
    "description": "A postcode (any case or spacing), 'lat,lon', or (where a venue may be named) a venue id.",
    "examples": ["LA14 1RP"],
}
TEXT = {"type": "string", "minLength": 1}
"""Any text but the empty string (text of nothing but spaces is well formed but unusable: a 422)."""


def _enum(values: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), **extra}


def _exactly_one(*names: str) -> dict[str, Any]:
    return {"oneOf": [{"required": [name]} for name in names]}


def _when(field: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    """``then`` applies when ``field`` is ``value``."""
    return {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": then}


SYNTHETIC = {
    "type": "boolean",
    "const": True,
    "description": "Must be true: the API analyses the synthetic demonstration caseload only.",
}

ASSUMPTIONS = {
    "type": "array",
    "items": {"type": "string"},
    "description": "The basis_note of each assumed trip ridden, once each, in leg order (empty: none).",
}
RESTS = {"type": "boolean", "description": "The way there or home rides an assumed trip."}
NEAR_STOP = {
    "type": "object",
    "properties": {
        "nearest": {"type": "string"},
        "metres": {"type": "integer", "description": "Straight line."},
        "within_walk_limit": {"type": "boolean", "description": "A stop is within the walk limit on foot."},
        "walk_limit_metres": {"type": "integer"},
        "text": {"type": "string"},
    },
}
MISSED = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["first_arrival", "last_departure"]},
        "at": {"type": ["string", "null"], "description": "The first arrival, or the last vehicle's departure."},
        "needed_by": CLOCK,
        "needed_after": CLOCK,
        "between": {"type": "array", "items": {"type": "string"}},
        "vehicle": {"type": ["object", "null"]},
        "text": {"type": "string"},
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details. `detail` never repeats a postcode or position.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {
                "type": "string",
                "examples": ["urn:geoaccess:problem:bad-input"],
                "description": "about:blank, or urn:geoaccess:problem:invalid-body (400), "
                "bad-input (422), no-route (422), data-pack (503)",
            },
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "dead_end": {**_ref("DeadEnd"), "description": "no-route for public transport: why there is none."},
        },
    },
    "Place": {
        "type": "object",
        "properties": {
            "kind": {"enum": ["venue", "postcode", "coordinates"]},
            "label": {"type": "string"},
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "venue_id": {"type": "string"},
        },
    },
    "Location": {
        "type": "object",
        "properties": {
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "easting": {"type": "number"},
            "northing": {"type": "number"},
            "lsoa21": {"type": "string"},
            "lsoa21_name": {"type": "string"},
            "council": {"type": "string"},
            "district": {"type": "string"},
            "postcode": {"type": ["string", "null"]},
            "precision": {"type": "string"},
            "source": {"type": "string"},
            "modelled": {"type": "boolean"},
        },
    },
    "Leg": {
        "type": "object",
        "properties": {
            "mode": {"type": "string"},
            "from": {"type": "string"},
            "to": {"type": "string"},
            "depart": CLOCK,
            "arrive": CLOCK,
            "minutes": {"type": "number"},
            "route": {"type": "string"},
            "operator": {"type": "string"},
            "metres": {"type": "integer"},
            "stops": {"type": "integer"},
            "trip_id": {"type": "string"},
            "basis": {
                "enum": ["cited", "cif", "assumed"],
                "description": "A modelled trip's basis: its time cited from a source, taken from the 2020 CIF "
                "sample, or assumed. Absent for a published timetable's trips.",
            },
            "basis_note": {"type": "string", "description": "The basis in words, naming the trip."},
        },
    },
    "Itinerary": {
        "type": "object",
        "properties": {
            "depart": CLOCK,
            "arrive": {"type": "string", "description": "HH:MM; hours past 23 are after midnight"},
            "minutes": {"type": "number"},
            "changes": {"type": "integer"},
            "waiting_minutes": {"type": "number"},
            "legs": {"type": "array", "items": _ref("Leg")},
            "assumptions": ASSUMPTIONS,
        },
    },
    "DeadEnd": {
        "type": "object",
        "description": "Why there is no journey: the timetable's nearest stop at each end, the real (NaPTAN) stops "
        "near the home the timetable does not serve, the journeys missed, the car (modelled or not), and all "
        "of it in words (`why`). Stops and distances only: never a postcode or position.",
        "properties": {
            "stops": {"type": "object", "additionalProperties": NEAR_STOP},
            "unserved_stops": {
                "type": "object",
                "properties": {
                    "within_metres": {"type": "integer"},
                    "count": {"type": "integer"},
                    "nearest": {"type": ["object", "null"]},
                    "text": {"type": "string"},
                },
            },
            "missed": {"type": "array", "items": MISSED},
            "car": {
                "type": "object",
                "properties": {
                    "minutes": {"type": ["number", "null"]},
                    "modelled": {"type": "boolean"},
                    "median_abs_pct_error": {
                        "type": ["number", "null"],
                        "description": "The calibrated car minutes' measured error, if calibrated.",
                    },
                    "text": {"type": "string"},
                },
            },
            "why": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Provenance": {
        "type": "object",
        "description": "Timetable and networks a result came from, and whether they are modelled.",
        "additionalProperties": True,
    },
    "GeocodeRequest": {"type": "object", "required": ["q"], "properties": {"q": PLACE}},
    "JourneyRequest": {
        "type": "object",
        "required": ["from", "to"],
        "properties": {
            "from": PLACE,
            "to": PLACE,
            "mode": _enum(MODES, default="car"),
            "day": DAY,
            "depart_at": CLOCK,
            "arrive_by": CLOCK,
        },
        "allOf": [_when("mode", "transit", {"required": ["day"], **_exactly_one("depart_at", "arrive_by")})],
        "description": "transit needs `day` and exactly one of `depart_at` or `arrive_by`. No field may be null: "
        "leave an optional one out for its default.",
    },
    "Journey": {
        "type": "object",
        "properties": {
            "from": _ref("Place"),
            "to": _ref("Place"),
            "mode": {"type": "string"},
            "minutes": {"type": "number"},
            "km": {"type": "number"},
            "date": {"type": "string"},
            "weekday": {"type": "string"},
            "depart": CLOCK,
            "arrive": {"type": "string"},
            "legs": {"type": "array", "items": _ref("Leg")},
            "assumptions": ASSUMPTIONS,
            "provenance": _ref("Provenance"),
        },
    },
    "RoundTripRequest": {
        "type": "object",
        "required": ["from", "day", "start", "end"],
        **_exactly_one("venue", "to"),
        "properties": {
            "from": PLACE,
            "venue": {**TEXT, "description": "Venue id (or give `to`)."},
            "to": PLACE,
            "day": {
                **DAY,
                "title": f"{DAY['title']}, or {WEEK}",
                "description": "As `day` elsewhere, or 'week' for Monday to Sunday.",
                "pattern": f"^(?:{_WEEKDAY}|{_DATE}|{_any_case(WEEK)})$",
            },
            "start": CLOCK,
            "end": CLOCK,
            "margin": {
                "type": "integer",
                "minimum": 0,
                "maximum": MOST_MARGIN_MIN,
                "default": MARGIN_MIN,
                "description": "Arrive this many minutes early.",
            },
        },
    },
    "RoundTripDay": {
        "type": "object",
        "properties": {
            "date": {"type": "string"},
            "weekday": {"type": "string"},
            "session": {"type": "object"},
            "outbound": {"oneOf": [_ref("Itinerary"), {"type": "null"}]},
            "return": {"oneOf": [_ref("Itinerary"), {"type": "null"}]},
            "feasible": {"type": "boolean"},
            "verdict": {"enum": ["does_not_work", "works_but_hard", "works"]},
            "verdict_text": {"type": "string"},
            "flags": {
                "type": "array",
                "items": {
                    "enum": [
                        "no_outbound",
                        "outbound_over_120",
                        "no_return_same_day",
                        "return_over_120",
                        "home_after_2300",
                    ]
                },
            },
            "flag_text": {"type": "array", "items": {"type": "string"}},
            "flags_in_words": {"type": "array", "items": {"type": "string"}},
            "minutes_away": {"type": ["number", "null"]},
            "minutes_home_after_session": {"type": ["number", "null"]},
            "assumptions": ASSUMPTIONS,
            "rests_on_assumption": RESTS,
            "dead_end": {"oneOf": [_ref("DeadEnd"), {"type": "null"}]},
        },
    },
    "RoundTrip": {
        "type": "object",
        "properties": {
            "from": _ref("Place"),
            "to": _ref("Place"),
            "days": {"type": "array", "items": _ref("RoundTripDay")},
            "feasible": {"type": "boolean"},
            "flags": {"type": "array", "items": {"type": "string"}},
            "works_on": {"type": "array", "items": {"type": "string"}},
            "assumptions": ASSUMPTIONS,
            "rests_on_assumption": RESTS,
            "dead_end": {"oneOf": [_ref("DeadEnd"), {"type": "null"}]},
            "provenance": _ref("Provenance"),
        },
    },
    "AccessRequest": {
        "type": "object",
        "required": ["programme", "synthetic"],
        "properties": {"programme": _enum(REQUIREMENTS), "synthetic": SYNTHETIC},
    },
    "CompareRequest": {
        "type": "object",
        "required": ["scenarios", "synthetic"],
        "properties": {
            "scenarios": {
                "type": "array",
                "minItems": 2,
                "maxItems": MOST_COMPARED_SCENARIOS,
                "items": {
                    "oneOf": [
                        {
                            "type": "string",
                            "title": "'today:' and a programme code",
                            "pattern": f"^{_any_case('today')}:(?:{'|'.join(map(_any_case, REQUIREMENTS))})$",
                            "examples": ["today:BBR"],
                        },
                        {
                            "type": "object",
                            "description": "The scenario format of geoaccess/analysis/scenarios.py: name, programme, "
                            "venues [{id} | {name, lon, lat, sessions}].",
                        },
                    ]
                },
            },
            "synthetic": SYNTHETIC,
        },
    },
    "SiteRequest": {
        "type": "object",
        "required": ["synthetic"],
        "properties": {
            "programme": _enum(REQUIREMENTS, default=SITING_PROGRAMME),
            "p": {"type": "integer", "minimum": 1, "maximum": MOST_SITES, "default": 1},
            "objective": _enum(SITING_OBJECTIVES, default=SITING_OBJECTIVE),
            "keep": {
                "oneOf": [{"type": "array", "items": TEXT}, {"type": "string"}],
                "description": "Venue ids: a list, or one comma-separated string.",
            },
            "cost": _enum(SITING_COSTS, default=SITING_COST),
            "threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 24 * 60, "default": LONG_JOURNEY_MIN},
            "session": {**TEXT, "examples": ["Thu 18:00-20:30"]},
            "synthetic": SYNTHETIC,
        },
    },
    "MapRequest": {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": _enum(MAP_KINDS),
            "format": _enum(FORMATS, default="html"),
            "venue": {**TEXT, "description": "isochrones: venue id"},
            "mode": _enum(["car", "transit"], description="isochrones (default transit)"),
            "day": DAY,
            "window": {
                "type": "string",
                "minLength": 1,
                "title": "HH:MM-HH:MM",
                "pattern": f"^{_HHMM}-{_HHMM}$",
                "examples": [WINDOW],
                "description": "isochrones",
            },
            "from": PLACE,
            "to": PLACE,
            "depart_at": CLOCK,
            "arrive_by": CLOCK,
        },
        "allOf": [
            _when("kind", "isochrones", {"required": ["venue"]}),
            _when("kind", "journey", {"required": ["from", "to", "day"], **_exactly_one("depart_at", "arrive_by")}),
        ],
        "description": "isochrones needs venue; journey needs from, to, day and exactly one of depart_at or "
        "arrive_by, and its home is drawn at the postcode sector's centroid.",
    },
    "JobAccepted": {
        "type": "object",
        "properties": {
            "job": {"type": "integer"},
            "kind": {"type": "string"},
            "status": {"type": "string"},
            "url": {"type": "string"},
        },
    },
    "Job": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "status": {"enum": ["queued", "running", "done", "failed"]},
            "progress": {"type": "number"},
            "message": {"type": "string"},
            "created": {"type": "string"},
            "updated": {"type": "string"},
            "params": {"type": "object"},
            "result": {
                "type": ["object", "null"],
                "description": "Aggregates only (by district and LSOA, small counts suppressed).",
            },
        },
    },
    "FeatureCollection": {
        "type": "object",
        "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array"}},
    },
}

LONG_WORK = {
    "200": _json("Ran in the request (no job pool): the result, aggregates only."),
    "202": JOB_ACCEPTED,
    "429": _problem("This user already has the most jobs queued or running that one user may have."),
}


def _op(
    summary: str,
    roles: str,
    responses: dict[str, Any],
    *,
    request: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    errors: bool = True,
    tag: str = "journeys",
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "description": f"Roles: {roles}.",
        "tags": [tag],
        "responses": {**responses, **AUTH_ERRORS, **(INPUT_ERRORS if errors else {})},
    }
    if request is not None:
        operation["requestBody"] = request
    if params:
        operation["parameters"] = params
    return operation


PATHS = {
    "/geocode": {
        "get": _op(
            "Geocode a postcode or 'lat,lon'",
            "officer, manager, admin",
            {"200": _json("The position and its areas.", _ref("Location"))},
            params=[
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": PLACE,
                    "description": "Postcode or 'lat,lon'. Prefer POST: query strings may be logged.",
                }
            ],
        ),
        "post": _op(
            "Geocode (postcode in the body)",
            "officer, manager, admin",
            {"200": _json("The position and its areas.", _ref("Location"))},
            request=_body(_ref("GeocodeRequest")),
        ),
    },
    "/venues": {
        "get": _op(
            "The venue registry as GeoJSON",
            "officer, manager, admin",
            {"200": _json("Venues.", _ref("FeatureCollection"))},
            tag="venues",
            params=[
                {"name": "programme", "in": "query", "schema": _enum(PROGRAMMES)},
                {"name": "kind", "in": "query", "schema": _enum(KINDS)},
            ],
        )
    },
    "/journey": {
        "post": _op(
            "Door to door by car, walk or public transport",
            "officer, manager, admin",
            {"200": _json("The journey.", _ref("Journey"))},
            request=_body(
                _ref("JourneyRequest"),
                {"from": "LA14 1RP", "to": "carlisle-crc-lmc", "mode": "transit", "day": "thu", "arrive_by": "17:50"},
            ),
        )
    },
    "/roundtrip": {
        "post": _op(
            "Reach a session on time and get home after it",
            "officer, manager, admin",
            {"200": _json("The round trip (or a week of them).", _ref("RoundTrip"))},
            request=_body(
                _ref("RoundTripRequest"),
                {
                    "from": "LA14 1RP",
                    "venue": "carlisle-crc-lmc",
                    "day": "thu",
                    "start": "18:00",
                    "end": "20:30",
                    "margin": 10,
                },
            ),
        )
    },
    "/access": {
        "post": _op(
            "Travel burden of the synthetic caseload (aggregates)",
            "manager, admin",
            LONG_WORK,
            request=_body(_ref("AccessRequest"), {"programme": "BBR", "synthetic": True}),
            tag="analysis",
        )
    },
    "/scenario/compare": {
        "post": _op(
            "Compare venue scenarios for the synthetic caseload",
            "manager, admin",
            LONG_WORK,
            tag="analysis",
            request=_body(
                _ref("CompareRequest"),
                {
                    "scenarios": [
                        "today:BBR",
                        {
                            "name": "BBR in Barrow too",
                            "programme": "BBR",
                            "venues": [
                                {"id": "carlisle-crc-lmc"},
                                {
                                    "id": "barrow-crc-centre",
                                    "sessions": [{"day": "Thu", "start": "18:00", "end": "20:30"}],
                                },
                            ],
                        },
                    ],
                    "synthetic": True,
                },
            ),
        )
    },
    "/site": {
        "post": _op(
            "Choose venues to add (siting) for the synthetic caseload",
            "manager, admin",
            LONG_WORK,
            tag="analysis",
            request=_body(
                _ref("SiteRequest"),
                {
                    "programme": "BBR",
                    "p": 1,
                    "objective": "over120",
                    "keep": ["carlisle-crc-lmc", "preston-avenham-street"],
                    "cost": "roundtrip",
                    "synthetic": True,
                },
            ),
        )
    },
    "/jobs/{job_id}": {
        "get": _op(
            "A background job's status and result (its owner only)",
            "officer, manager, admin",
            {"200": _json("The job.", _ref("Job")), "404": _problem("No job of yours has this id.")},
            errors=False,
            tag="analysis",
            params=[{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        )
    },
    "/map": {
        "post": _op(
            "Export a map as standalone HTML, PNG or PDF",
            "officer, manager, admin",
            {
                "200": {
                    "description": "The map file (attachment).",
                    "content": {
                        "text/html": {"schema": {"type": "string"}},
                        "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                        "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}},
                    },
                }
            },
            request=_body(_ref("MapRequest"), {"kind": "venues", "format": "pdf"}),
            tag="maps",
        )
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "tags": ["meta"],
            "security": [],
            "responses": {"200": _json("OpenAPI 3.1 document.")},
        }
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document."""
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "geoaccess API",
                "version": __version__,
                "description": "Journeys, round trips to sessions, venue registry, caseload measures, scenarios, "
                "siting and map exports for probation in Cumbria. JSON in and out; errors are "
                "problem details (application/problem+json) that never repeat a postcode. "
                "400: the body is malformed; 422: values unusable or no route; 404: unknown URL "
                "or job; 405: wrong method. Figures on the shipped pack are MODELLED (see each "
                "result's provenance).",
            },
            "servers": [{"url": "/api/v1"}],
            "security": [{"bearerAuth": []}, {"sessionCookie": []}],
            "tags": [{"name": n} for n in ("journeys", "venues", "analysis", "maps", "meta")],
            "paths": PATHS,
            "components": {
                "schemas": SCHEMAS,
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A token from `geoaccess users token NAME`.",
                    },
                    "sessionCookie": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "session",
                        "description": "A signed-in browser session; unsafe methods then need the X-CSRFToken header.",
                    },
                },
                "responses": {
                    "Unauthorized": _problem("No valid bearer token or session."),
                    "Forbidden": _problem("The account's role may not do this."),
                    "InvalidBody": _problem("The body is not a JSON object, or a field is missing or mistyped."),
                    "Unprocessable": _problem("Values unusable (bad-input) or no journey exists (no-route)."),
                },
            },
        }
    )
