"""The officer's page: can this person reach the session on time, and get home again after it?

``/officer`` takes a home (postcode or ``lat,lon``), a venue or a programme (the
nearest venue offering it, by car time), a day and the session's times, and
shows the way there and the first way home, their minutes, the flags in plain
words, the journey map and, if asked, every venue offering the programme on
every weekday, sorted by burden.

Nothing about the person is stored unless the officer presses "Save this
check", and then only a summary without the postcode or any position (venue,
day, times, flags, minutes). The home is posted, never put in a URL: the map
and its PDF are kept for :data:`CACHE_TTL_S` seconds in a server-side cache
under a random id, readable only by the officer who made them. (The cache is
per process: behind several worker processes, run one process with threads,
as ``geoaccess serve`` does.)
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from geoaccess.defaults import MARGIN_MIN
from geoaccess.errors import GeoaccessError
from geoaccess.roles import ROLES
from geoaccess.services.maps import map_bytes, round_trip_document
from geoaccess.services.roundtrips import CheckRequest, check_session
from geoaccess.transit.planner import BASIS_WORDS
from geoaccess.transit.roundtrip import VERDICTS, assumptions_line, clock_text, duration_text, verdict_for
from geoaccess.venues import PROGRAMMES
from geoaccess.weekdays import WEEKDAYS

from .auth import current_user, login_required
from .data import data_choice
from .db import User
from .security import trust_inline_scripts
from .views import loaded_venues

bp = Blueprint("officer", __name__, url_prefix="/officer")

CACHE_TTL_S = 15 * 60
"""How long a check's map and PDF stay available (they hold a home position)."""
CACHE_SIZE = 256
DEFAULTS = {
    "home": "",
    "venue": "",
    "programme": "BBR",
    "day": "thu",
    "start": "18:00",
    "end": "20:30",
    "margin": str(MARGIN_MIN),
    "every_venue": "1",
}
DAY_CHOICES = [(name[:3], name.title()) for name in WEEKDAYS]
LABEL_MAX = 200


def me() -> User:
    """The signed-in user (inside a view that admits signed-in users only)."""
    user = current_user()
    assert user is not None  # login_required and api_auth admit signed-in users only
    return user


# --- the short-lived cache of maps --------------------------------------------------------------------


class CheckCache:
    """Recent checks by random id, for their map, PDF and saving; entries expire and the oldest go first."""

    def __init__(self, ttl_s: float = CACHE_TTL_S, size: int = CACHE_SIZE) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._items: OrderedDict[str, tuple[float, int, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, owner_id: int, item: dict[str, Any]) -> str:
        """Keep ``item`` for its owner; returns its id."""
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._expire()
            self._items[key] = (time.monotonic() + self.ttl_s, owner_id, item)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return key

    def get(self, key: str, owner_id: int) -> dict[str, Any] | None:
        """The item, if it exists, has not expired and belongs to ``owner_id``."""
        with self._lock:
            self._expire()
            entry = self._items.get(key)
        if entry is None or entry[1] != owner_id:
            return None
        return entry[2]

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, (expires, _, _) in self._items.items() if expires <= now]:
            del self._items[key]


def cache() -> CheckCache:
    """This app's cache of recent checks."""
    found: CheckCache = current_app.extensions["geoaccess.officer"]
    return found


# --- pages -------------------------------------------------------------------------------------------


def _page(form: dict[str, str], status: int = 200, **context: Any) -> tuple[str, int]:
    offered = sorted(loaded_venues(), key=lambda v: (not v.programmes, v.town, v.name))
    return render_template(
        "officer.html",
        form=form,
        venues=offered,
        programmes=PROGRAMMES,
        day_choices=DAY_CHOICES,
        clock_text=clock_text,
        duration_text=duration_text,
        assumptions_line=assumptions_line,
        basis_words=BASIS_WORDS,
        verdict_words=WEEK_VERDICTS,
        headline=headline,
        caveat=caveat,
        venue_line=venue_line,
        **context,
    ), status


WEEK_VERDICTS = {"does_not_work": "no", "works_but_hard": "hard", "works": "yes"}
"""The verdict's levels (:data:`~geoaccess.transit.roundtrip.VERDICTS`) in the every-venue table's one word."""


UK = ZoneInfo("Europe/London")


def uk_time(moment: datetime) -> str:
    """A stored (UTC) moment as the clock in the UK showed it: ``2026-11-29 17:45`` (GMT or BST)."""
    return moment.astimezone(UK).strftime("%Y-%m-%d %H:%M")


def saved_verdict(summary: dict[str, Any]) -> str:
    """A saved check's verdict in words (:data:`~geoaccess.transit.roundtrip.VERDICTS`); checks saved before
    verdicts were kept have theirs worked out from whether it works and its flags."""
    level = summary.get("verdict") or verdict_for(bool(summary.get("feasible")), summary.get("flags") or [])
    return VERDICTS[level]


def headline(day: dict[str, Any]) -> str:
    """The answer in one line: "Leave by 14:38 – arrive 17:04 – home 23:42 – away 9 h 04 min" (or what is
    missing)."""
    there, back = day["outbound"], day["return"]
    parts = (
        [f"Leave by {clock_text(there['depart'])}", f"arrive {clock_text(there['arrive'])}"]
        if there
        else ["No way there in time"]
    )
    parts.append(f"home {clock_text(back['arrive'])}" if back else "no way home that day")
    if day["minutes_away"] is not None:
        parts.append(f"away {duration_text(day['minutes_away'])}")
    return " – ".join(parts)


def caveat(provenance: dict[str, Any]) -> str:
    """One sentence on how far to trust the times: modelled, or which timetable and when it is valid."""
    timetable = provenance.get("timetable") or {}
    if timetable.get("modelled"):
        return (
            "These times are modelled from published service patterns, not read from the operators' "
            "timetables: check them with the operator before relying on them."
        )
    valid = (
        f", valid {timetable['valid_from']} to {timetable['valid_to']}"
        if timetable.get("valid_from") and timetable.get("valid_to")
        else ""
    )
    return f"These times come from the timetable {timetable.get('timetable') or 'given'}{valid}."


def venue_line(result: Any) -> str:
    """Which venue and why, in plain words, and whether its position is only approximate."""
    reason = result.venue_reason
    line = "" if reason == "chosen" else f"{reason[0].upper()}{reason[1:]}."
    if result.venue.confidence == "approximate":
        basis = result.venue.position_basis.removeprefix("approximate: ")
        line += f" Its position is approximate: {basis}."
    return line.strip()


@bp.get("")
@login_required(*ROLES)
def page() -> tuple[str, int]:
    """The empty form."""
    return _page(dict(DEFAULTS))


@bp.post("")
@login_required(*ROLES)
def check() -> tuple[str, int]:
    """Work out the check posted; nothing is stored."""
    form = {key: request.form.get(key, "") for key in DEFAULTS}
    form["every_venue"] = "1" if request.form.get("every_venue") else ""
    try:
        result = check_session(CheckRequest.from_fields(form), venues=loaded_venues(), data=data_choice())
    except GeoaccessError as exc:
        return _page(form, exc.status, error=str(exc))
    form.update(start=result.start, end=result.end)
    summary = result.summary()
    key = cache().put(me().id, {"check": result if result.legs else None, "summary": summary})
    return _page(
        form, result=result, summary=summary, key=key, flags=summary["flags_in_words"], has_map=bool(result.legs)
    )


@bp.get("/map/<key>")
@login_required(*ROLES)
def journey_map_page(key: str) -> Response:
    """The journey map of a recent check, as a whole page for the iframe."""
    from geoaccess.maps.interactive import interactive_html

    from .vendor import asset_prefix

    item = _cached(key)
    if item.get("check") is None:
        abort(404)
    if "html" not in item:
        item["html"] = interactive_html(round_trip_document(item["check"], coarsen=False), asset_prefix=asset_prefix())
    response = Response(item["html"], mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return trust_inline_scripts(response)  # the security module gives Folium's inline scripts the nonce


@bp.get("/map/<key>.pdf")
@login_required(*ROLES)
def journey_pdf(key: str) -> Response:
    """The journey map as an A4 PDF, the home shown only at its postcode sector."""
    item = _cached(key)
    if item.get("check") is None:
        abort(404)
    if "pdf" not in item:
        item["pdf"] = map_bytes(round_trip_document(item["check"], coarsen=True), "pdf")
    response = Response(item["pdf"], mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="journey-check.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/save")
@login_required(*ROLES)
def save() -> BaseResponse:
    """Save a recent check's summary (no postcode, no position) under the label typed."""
    from .db import SavedCheck, session_scope

    label = " ".join((request.form.get("label") or "").split())[:LABEL_MAX]
    item = cache().get(request.form.get("key") or "", me().id)
    if item is None:
        flash("That check has expired: run it again, then save it.", "warning")
        return redirect(url_for("officer.page"))
    if not label:
        flash("Type a label for the check before saving it (not the person's name or postcode).", "warning")
        return redirect(url_for("officer.checks"))
    with session_scope() as db:
        db.add(SavedCheck(owner_id=me().id, label=label, summary_json=json.dumps(item["summary"])))
    flash(f"Saved the check as “{label}”.", "success")
    return redirect(url_for("officer.checks"))


@bp.get("/checks")
@login_required(*ROLES)
def checks() -> str:
    """The current user's saved checks, newest first."""
    from sqlalchemy import select

    from .db import SavedCheck, session_scope

    with session_scope() as db:
        rows = db.scalars(
            select(SavedCheck)
            .where(SavedCheck.owner_id == me().id)
            .order_by(SavedCheck.created.desc(), SavedCheck.id.desc())
        ).all()
    saved = [
        {"id": row.id, "label": row.label, "created": row.created, "summary": json.loads(row.summary_json)}
        for row in rows
    ]
    return render_template(
        "officer_checks.html",
        saved=saved,
        clock_text=clock_text,
        duration_text=duration_text,
        assumptions_line=assumptions_line,
        uk_time=uk_time,
        saved_verdict=saved_verdict,
    )


@bp.post("/checks/<id:check_id>/delete")
@login_required(*ROLES)
def delete_check(check_id: int) -> BaseResponse:
    """Delete one of the current user's saved checks (another user's is a 404)."""
    from .db import SavedCheck, session_scope

    with session_scope() as db:
        row = db.get(SavedCheck, check_id)
        if row is None or row.owner_id != me().id:
            abort(404)
        db.delete(row)
    flash("Deleted the saved check.", "success")
    return redirect(url_for("officer.checks"))


def _cached(key: str) -> dict[str, Any]:
    item = cache().get(key, me().id)
    if item is None:
        abort(404)
    return item


def init_app(app: Flask) -> None:
    """Register the officer pages and this app's cache of recent checks."""
    app.extensions["geoaccess.officer"] = CheckCache(app.config.get("OFFICER_CACHE_TTL_S", CACHE_TTL_S))
    app.register_blueprint(bp)
