"""RFC 9457 problem details: the ``application/problem+json`` answers of the API and its auth checks."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from geoaccess.errors import GeoaccessError

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> Response:
    """A problem details response; a 401 also carries ``WWW-Authenticate: Bearer``."""
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="geoaccess"'
    return response


def problem_for(error: GeoaccessError) -> Response:
    """The problem details of one of the library's errors: its status, title and type (:mod:`geoaccess.errors`)."""
    return problem(error.status, error.title, str(error), error.problem_type)
