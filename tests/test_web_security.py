"""Security headers, CSP nonces on Folium pages only, and logs free of postcodes and coordinates."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask import Blueprint, Response, render_template_string
from flask.testing import FlaskClient

from geoaccess.web import create_app
from geoaccess.web.security import add_nonce_to_scripts, redact, trust_inline_scripts

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{20,})'")
FOLIUM_LIKE = """<!DOCTYPE html>
<html>
<head>
    <meta http-equiv="content-type" content="text/html; charset=UTF-8" />
    <script src="/vendor/leaflet/leaflet.js"></script>
</head><body><script>var a = 1;</script><SCRIPT type="text/javascript">b()</SCRIPT></body></html>"""


def _extra() -> Blueprint:
    bp = Blueprint("sec", __name__)

    @bp.get("/sec/template")
    def template_page() -> str:  # markup that reached a template unescaped must not gain the nonce
        return render_template_string(
            '<!doctype html><p>{{ x|safe }}</p><script nonce="{{ csp_nonce() }}">ok()</script>',
            x="<script>evil()</script>",
        )

    @bp.get("/sec/folium")
    def folium_page() -> Response:
        return Response(FOLIUM_LIKE, mimetype="text/html")

    @bp.get("/sec/trusted")
    def trusted() -> Response:
        return trust_inline_scripts(Response("<div><script>x()</script></div>", mimetype="text/html"))

    @bp.get("/sec/json")
    def as_json() -> dict:
        return {"script": "<script>"}

    return bp


@pytest.fixture()
def client(tmp_path: Path) -> FlaskClient:
    from test_web_home import SAMPLE  # venues with hostile text (tests/ is on sys.path under pytest)

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite'}",
            "VENUE_LOADER": lambda: SAMPLE,
            "SECRET_KEY": "t",
        }
    )
    app.register_blueprint(_extra())
    return app.test_client()


@pytest.mark.parametrize(
    "url", ["/", "/login", "/map/venues", "/healthz", "/nowhere", "/sec/json", "/vendor/leaflet/leaflet.js"]
)
def test_every_response_has_the_security_headers(client: FlaskClient, url: str) -> None:
    headers = client.get(url).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy and "base-uri 'self'" in policy
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert NONCE.search(script_src)
    assert "http" not in policy and "*" not in policy
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_nonces_are_fresh_per_response(client: FlaskClient) -> None:
    nonces = {NONCE.search(client.get("/").headers["Content-Security-Policy"]).group(1) for _ in range(5)}
    assert len(nonces) == 5


def test_folium_map_scripts_all_carry_the_responses_nonce(client: FlaskClient) -> None:
    response = client.get("/map/venues")
    nonce = NONCE.search(response.headers["Content-Security-Policy"]).group(1)
    html = response.get_data(as_text=True)
    tags = re.findall(r"<script\b[^>]*>", html, re.I)
    assert len(tags) >= 3 and any("src=" not in t for t in tags)
    assert all(f'nonce="{nonce}"' in t for t in tags), tags
    assert html.count("nonce=") == len(tags)  # one each, nothing else touched
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handlers would need 'unsafe-inline'"


def test_any_folium_document_and_trusted_pages_get_nonces(client: FlaskClient) -> None:
    for url, count in (("/sec/folium", 3), ("/sec/trusted", 1)):
        response = client.get(url)
        nonce = NONCE.search(response.headers["Content-Security-Policy"]).group(1)
        assert (
            response.get_data(as_text=True).count(f'<script nonce="{nonce}"')
            + response.get_data(as_text=True).count(f'<SCRIPT nonce="{nonce}"')
            == count
        ), url


def test_template_pages_are_never_rewritten(client: FlaskClient) -> None:
    response = client.get("/sec/template")
    nonce = NONCE.search(response.headers["Content-Security-Policy"]).group(1)
    html = response.get_data(as_text=True)
    assert "<script>evil()</script>" in html  # no nonce: the browser refuses it
    assert f'<script nonce="{nonce}">ok()</script>' in html  # csp_nonce() in templates


def test_add_nonce_to_scripts_keeps_existing_nonces() -> None:
    html = '<script>a</script><script nonce="x">b</script><scripts><script\nsrc="/a.js"></script>'
    out = add_nonce_to_scripts(html, "N")
    assert (
        out == '<script nonce="N">a</script><script nonce="x">b</script><scripts>'
        '<script nonce="N"\nsrc="/a.js"></script>'
    )


def test_signed_in_responses_are_not_cached(tmp_path: Path) -> None:
    from test_web_accounts import add_user, login, make_app

    app = make_app(tmp_path)
    add_user(app, "olive", "officer")
    client = app.test_client()
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login(client, "olive")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "max-age" in client.get("/vendor/leaflet/leaflet.js").headers["Cache-Control"]


@pytest.mark.parametrize(
    "text",
    [
        "LA14 1RP",
        "la141rp",
        "CA3 8DR",
        "LA14%201RP",
        "LA14+1RP",
        "54.8925,-2.9329",
        "54.8925, -2.9329",
        "-2.93 54.89",
        "54.89%2C-2.93",
        "321000, 528000",
    ],
)
def test_redact_removes_postcodes_and_coordinates(text: str) -> None:
    assert redact(f"GET /x?q={text} done") == "GET /x?q=[redacted] done"


def test_redact_keeps_ordinary_text() -> None:
    line = "GET /api/v1/journey 200 12ms user 3 signed in; job 42 done in 1.5 s"
    assert redact(line) == line


def test_request_logs_name_the_route_never_the_query(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("geoaccess.web.requests")
    logger.addHandler(handler)
    try:
        client.get("/login?postcode=LA14+1RP&lat=54.11&lon=-3.22")
        client.get("/vendor/LA14 1RP/54.11,-3.22")
    finally:
        logger.removeHandler(handler)
    lines = [r.getMessage() for r in records]
    assert lines[0].startswith("GET /login 200 ") and lines[1].startswith("GET /vendor/<path:filename> 404 ")
    assert not re.search(r"LA14|54\.11|-3\.22|postcode", " ".join(lines))
    printed = capsys.readouterr().err
    assert "GET /login 200" in printed and "LA14" not in printed


def test_app_log_lines_are_redacted(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    logging.getLogger("geoaccess.web.officer").warning("no route from %s at %s", "LA14 1RP", (54.11, -3.22))
    try:
        raise ValueError("bad postcode CA3 8DR")
    except ValueError:
        logging.getLogger("geoaccess.web").exception("failed for %s", "LA14 1RP")
    printed = capsys.readouterr().err
    assert "no route from [redacted] at ([redacted])" in printed
    assert "LA14" not in printed and "CA3 8DR" not in printed and "54.11" not in printed
    assert "ValueError: bad postcode [redacted]" in printed
