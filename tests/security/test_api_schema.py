"""The API keeps to its OpenAPI document and the document to the API: schemathesis, seeded and short,
runs every check on every operation in-process, and what the audit found stays fixed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from web_support import app_for_tests, token_for

from geoaccess.web import background
from geoaccess.web.openapi import document

PROBLEM = "application/problem+json"
JOURNEY = {"from": "LA14 1RP", "to": "carlisle-crc-lmc", "mode": "transit", "day": "thu", "arrive_by": "17:50"}
ROUNDTRIP = {"from": "LA14 1RP", "venue": "carlisle-crc-lmc", "day": "thu", "start": "18:00", "end": "20:30"}
SEED = 20240611


def _done_at_once(app: Flask, params: dict[str, Any], owner_id: int, progress: Any, folder: Path) -> dict[str, Any]:
    """A job that finishes at once: the run checks the API, not the analyses behind it."""
    return {"ok": True}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("schema")
    with pytest.MonkeyPatch.context() as patch:
        for kind in ("measures", "compare", "site"):
            patch.setitem(background._RUNNERS, kind, _done_at_once)
        app = app_for_tests(folder, {"ada": "admin"})
        app.config["TEST_TOKEN"] = token_for(app, "ada")
        FORWARD.app = app
        yield app
        FORWARD.app = None
        background.shutdown(app, wait=True)


def bearer(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.config['TEST_TOKEN']}"}


UNUSABLE = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
"""Statuses a schema-valid request may get where a well-formed value can still be unusable: a postcode or
venue id that does not exist, a session that ends before it starts, no route (422, never 400)."""
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"deterministic": True, "max-examples": 10, "database": "none"},
        "operations": [
            {"include-path-regex": path, "checks": {"positive_data_acceptance": {"expected-statuses": UNUSABLE}}}
            for path in (
                "^/geocode$",
                "^/journey$",
                "^/roundtrip$",
                "^/access$",
                "^/scenario/compare$",
                "^/site$",
                "^/map$",
            )
        ],
    }
)


class Forward:
    """The WSGI app schemathesis calls: it hands each request to the app of the module's fixture."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None, "the app fixture sets the app"
        return self.app(environ, start_response)


FORWARD = Forward()
# Every phase (examples, coverage, fuzzing) in both modes (positive data: ST202 positive_data_acceptance; negative
# data: ST201 negative_data_rejection) with every check (ST401 ignored_auth re-sends each 2xx without, then with a
# bad, token) is schemathesis's default; `deterministic` derandomizes it. The document is loaded here rather than
# through `schemathesis.pytest.from_fixture`, whose lazy loader does not run under pytest 9.2.
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)
schema.app = FORWARD


@pytest.mark.slow
@schema.parametrize()
def test_api_keeps_to_its_schema(case: schemathesis.Case, app: Flask) -> None:
    case.call_and_validate(app=app, headers=bearer(app))


# --- what the audit found: the server and the document now say the same ------------------------


def valid(name: str, instance: object) -> bool:
    """Whether ``instance`` fits the schema ``name`` of the OpenAPI document (JSON Schema 2020-12)."""
    root = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": document()["components"]["schemas"]}}
    return bool(jsonschema_rs.Draft202012Validator(root).is_valid(instance))


def parameter(path: str, name: str) -> dict[str, Any]:
    operation = document()["paths"][path]["get"]
    return next(p["schema"] for p in operation["parameters"] if p["name"] == name)


def refused(response: Any, status: int, field: str, *, never: str | None = None) -> None:
    """A problem+json ``status`` that names ``field`` (and never repeats ``never``, the value sent)."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == PROBLEM
    detail = response.get_json()["detail"]
    assert f"'{field}'" in detail or f"{field} " in detail, detail
    if never is not None:
        assert never not in detail


def test_an_empty_q_is_refused_by_the_schema_and_the_server(app: Flask) -> None:
    assert not jsonschema_rs.Draft202012Validator(parameter("/geocode", "q")).is_valid("")
    refused(app.test_client().get("/api/v1/geocode?q=", headers=bearer(app)), 400, "q")


@pytest.mark.parametrize("value", ["\x046", "XYZ", "", "bbr", " BBR"])
def test_a_programme_code_must_be_one_of_the_listed_codes(app: Flask, value: str) -> None:
    schema_ = jsonschema_rs.Draft202012Validator(parameter("/venues", "programme"))
    assert not schema_.is_valid(value)
    response = app.test_client().get("/api/v1/venues", query_string={"programme": value}, headers=bearer(app))
    refused(response, 422, "programme", never=value if value in ("\x046", "XYZ") else None)
    good = app.test_client().get("/api/v1/venues", query_string={"programme": "BBR"}, headers=bearer(app))
    assert schema_.is_valid("BBR") and good.status_code == 200


@pytest.mark.parametrize(
    "path,name,body,field",
    [
        ("/api/v1/journey", "JourneyRequest", {**JOURNEY, "mode": None}, "mode"),
        ("/api/v1/roundtrip", "RoundTripRequest", {**ROUNDTRIP, "to": None}, "to"),
        ("/api/v1/map", "MapRequest", {"kind": "venues", "window": {}}, "window"),
        ("/api/v1/map", "MapRequest", {"kind": "venues", "arrive_by": ""}, "arrive_by"),
        ("/api/v1/site", "SiteRequest", {"synthetic": True, "session": None}, "session"),
    ],
)
def test_null_empty_or_mistyped_fields_are_a_400_naming_the_field(
    app: Flask, path: str, name: str, body: dict[str, Any], field: str
) -> None:
    assert not valid(name, body)
    refused(app.test_client().post(path, json=body, headers=bearer(app)), 400, field)


@pytest.mark.parametrize(
    "path,name,body",
    [
        ("/api/v1/journey", "JourneyRequest", JOURNEY),
        ("/api/v1/journey", "JourneyRequest", {"from": "LA14 1RP", "to": "carlisle-crc-lmc"}),
        ("/api/v1/roundtrip", "RoundTripRequest", ROUNDTRIP),
        ("/api/v1/map", "MapRequest", {"kind": "venues", "format": "html"}),
    ],
)
def test_the_same_requests_without_the_bad_field_are_valid_and_answered(
    app: Flask, path: str, name: str, body: dict[str, Any]
) -> None:
    assert valid(name, body)
    assert app.test_client().post(path, json=body, headers=bearer(app)).status_code == 200


def test_every_operation_refuses_anonymous_requests_with_a_bearer_challenge(app: Flask) -> None:
    client = app.test_client()
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue
            url = "/api/v1" + path.replace("{job_id}", "1")
            example = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
            response = client.open(url, method=method.upper(), json=example if method == "post" else None)
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.mimetype == PROBLEM
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
