"""Security headers, per-response CSP nonces, and logs free of personal data.

Content-Security-Policy (every response)::

    default-src 'self'; script-src 'self' 'nonce-N'; style-src 'self' 'unsafe-inline';
    img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none';
    frame-ancestors 'self'; base-uri 'self'; form-action 'self'

Scripts: only files from this server and inline ``<script>`` blocks carrying
this response's nonce; no ``'unsafe-inline'``, no ``'unsafe-eval'``, no inline
event handlers. In a Jinja template write ``<script nonce="{{ csp_nonce() }}">``.
Folium pages are made of inline scripts, so the nonce is added to every
``<script>`` tag of a *Folium* page as it leaves (:func:`add_nonce_to_scripts`):
a ``text/html`` response that is a Folium document (it begins with Folium's
own prologue), or one marked with :func:`trust_inline_scripts`, or from an
endpoint listed in ``app.config["CSP_NONCE_ENDPOINTS"]``. Template pages are
never rewritten, so markup injected into one could never gain the nonce.

Styles keep ``'unsafe-inline'``: Leaflet positions map panes, tiles, markers
and popups with inline ``style`` attributes, and Folium emits ``<style>``
blocks; a style cannot run code.

Also ``X-Frame-Options: SAMEORIGIN`` (the home page frames the map),
``Referrer-Policy: no-referrer``, ``X-Content-Type-Options: nosniff``,
``Cross-Origin-Opener-Policy: same-origin``, and ``Cache-Control: no-store``
on responses to signed-in users unless the view set its own caching.

Logging: one line per request on the ``geoaccess.web.requests`` logger with
the method, the *route pattern* (``/api/v1/geocode/<query>``, never the path
as asked, nor its query string), the status and the time taken; and a filter on
the ``geoaccess`` and ``waitress`` handlers that redacts anything shaped like a
UK postcode or a coordinate pair from every log line.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from typing import TextIO

from flask import Flask, Response, current_app, g, request

NONCE_ATTRIBUTE = "ga_csp_nonce"
SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\bnonce=)", re.IGNORECASE)
FOLIUM_PROLOGUE = re.compile(
    r'\A\s*<!DOCTYPE html>\s*<html>\s*<head>\s*<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
)


def csp_nonce() -> str:
    """This response's CSP nonce (made on first use in the request)."""
    nonce: str | None = g.get(NONCE_ATTRIBUTE)
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        setattr(g, NONCE_ATTRIBUTE, nonce)
    return nonce


def content_security_policy(nonce: str) -> str:
    """The policy for a response whose inline scripts carry ``nonce``."""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
    )


def add_nonce_to_scripts(html: str, nonce: str) -> str:
    """``html`` with ``nonce`` on every ``<script>`` tag that has none."""
    return SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html)


def trust_inline_scripts(response: Response) -> Response:
    """Mark a generated HTML page (e.g. a Folium map) whose inline scripts should get the nonce."""
    response.ga_trusted_scripts = True  # type: ignore[attr-defined]  # our marker, read back by _rewrites
    return response


def _rewrites(response: Response) -> bool:
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return False
    if getattr(response, "ga_trusted_scripts", False):
        return True
    if request.endpoint in current_app.config.get("CSP_NONCE_ENDPOINTS", ()):
        return True
    head = response.get_data()[:400].decode("utf-8", "replace")
    return FOLIUM_PROLOGUE.match(head) is not None


def _security_headers(response: Response) -> Response:
    nonce = csp_nonce()
    if _rewrites(response):
        response.set_data(add_nonce_to_scripts(response.get_data(as_text=True), nonce))
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(nonce)
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if "Cache-Control" not in headers and g.get("ga_user") is not None:
        headers["Cache-Control"] = "no-store"
    return response


# --- logging ------------------------------------------------------------------------------

POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?(?:\s*|%20|\+)[0-9][A-Z]{2}\b", re.IGNORECASE)
OUTWARD_PATH = re.compile(r"(?<=/)[A-Z]{1,2}[0-9][A-Z0-9]?(?=[/?\s]|$)", re.IGNORECASE)
COORDINATES = re.compile(r"-?\d{1,3}\.\d{2,}\s*(?:,|%2C|\s)\s*-?\d{1,3}\.\d{2,}", re.IGNORECASE)
BNG = re.compile(r"\b\d{5,6}(?:\.\d+)?\s*,\s*\d{5,7}(?:\.\d+)?\b")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with postcodes, lat/lon and easting/northing pairs replaced by ``[redacted]``."""
    for pattern in (COORDINATES, BNG, POSTCODE):
        text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Redacts postcodes and coordinates from a record's message (and drops its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template only
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_HANDLER_MARK = "_geoaccess_handler"


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(app: Flask) -> None:
    """One stderr handler for ``geoaccess`` (the app logger is ``geoaccess.web``) and ``waitress``, redacting."""
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    for name in ("geoaccess", "waitress"):
        logger = logging.getLogger(name)
        if not any(getattr(h, _HANDLER_MARK, False) for h in logger.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            handler.addFilter(RedactingFilter())
            setattr(handler, _HANDLER_MARK, True)
            logger.addHandler(handler)
            logger.propagate = False
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


request_log = logging.getLogger("geoaccess.web.requests")


def _start_timer() -> None:
    g.ga_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    took = (time.perf_counter() - g.get("ga_started", time.perf_counter())) * 1000
    request_log.info("%s %s %s %.0fms", request.method, rule, response.status_code, took)
    return response


def init_app(app: Flask) -> None:
    """Headers, nonces (``csp_nonce()`` in templates) and request logging for ``app``."""
    app.config.setdefault("CSP_NONCE_ENDPOINTS", ("pages.venues_map",))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    configure_logging(app)
    app.before_request(_start_timer)
    app.after_request(_security_headers)
    if app.config.get("REQUEST_LOG", True):
        app.after_request(_log_request)
