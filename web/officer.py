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
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

from geoaccess.errors import BadInput, GeoaccessError, NoRoute
from geoaccess.transit.timetable import WEEKDAYS
from geoaccess.venues import DAYS, PROGRAMMES, Venue
from geoaccess.web.accounts import current_user, login_required
from geoaccess.web.security import trust_inline_scripts

bp = Blueprint("officer", __name__, url_prefix="/officer")

ROLES = ("officer", "manager", "admin")
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
    "margin": "10",
    "every_venue": "1",
}
DAY_CHOICES = [(day.lower(), WEEKDAYS[index].title()) for index, day in enumerate(DAYS)]
LABEL_MAX = 200


# --- the check itself (shared with the API) -------------------------------------------------------


def me() -> Any:
    """The signed-in user."""
    return current_user() if callable(current_user) else current_user


def venues() -> list[Venue]:
    """The venues loaded once for this app."""
    return current_app.extensions["geoaccess"]["venues"]


def clock_text(text: str | None) -> str:
    """``"24:29"`` -> ``"00:29 (next day)"``; other times unchanged."""
    if not text:
        return "—"
    hours, minutes = (int(part) for part in text.split(":"))
    return f"{hours - 24:02d}:{minutes:02d} next day" if hours >= 24 else text


def flag_sentences(day: dict) -> list[str]:
    """The day's flags in plain words, with the day and times (e.g. "no way home after 20:30 on Thursday")."""
    weekday = day["weekday"].title()
    start, end = day["session"]["start"], day["session"]["end"]
    margin = day["session"]["arrive_early_minutes"]
    outbound, home = day.get("outbound"), day.get("return")
    words = {
        "no_outbound": f"no journey arrives in time for the {start} start on {weekday}"
        + (f" (arriving {margin} minutes early)" if margin else ""),
        "outbound_over_120": f"the journey there on {weekday} takes more than two hours"
        + (f" ({outbound['minutes']:.0f} min, leaving home at {outbound['depart']})" if outbound else ""),
        "no_return_same_day": f"no way home after {end} on {weekday}",
        "return_over_120": f"home more than two hours after the session ends at {end} on {weekday}"
        + (f" ({day['minutes_home_after_session']:.0f} min)" if home else ""),
        "home_after_2300": f"home after 23:00 on {weekday}"
        + (f", arriving at {clock_text(home['arrive'])}" if home else ""),
    }
    return [words.get(flag, text) for flag, text in zip(day["flags"], day["flag_text"], strict=True)]


def total_minutes(day: dict) -> float | None:
    """Minutes travelling: the way there plus the session's end to home (waiting included)."""
    if day.get("outbound") is None or day.get("minutes_home_after_session") is None:
        return None
    return round(day["outbound"]["minutes"] + day["minutes_home_after_session"], 1)


def burden_key(row: dict) -> tuple:
    """Sort order of the every-venue table: infeasible last, then fewer flags, then fewer minutes."""
    minutes = row["total_minutes"]
    return (
        not row["feasible"],
        len(row["flags"]),
        float("inf") if minutes is None else minutes,
        row["venue_name"],
        row["weekday_index"],
    )


@dataclass
class Query:
    """What the officer asked, checked."""

    home: str
    venue_id: str | None
    programme: str | None
    day: str
    start: str
    end: str
    margin: int
    every_venue: bool = False

    @classmethod
    def from_mapping(cls, form: Any) -> Query:
        """From the form (or a JSON body): every problem named, the home never repeated."""
        home = str(form.get("home") or form.get("from") or "").strip()
        if not home:
            raise BadInput("enter the person's postcode (or 'lat,lon')")
        programme = str(form.get("programme") or "").strip().upper() or None
        if programme is not None and programme not in PROGRAMMES:
            raise BadInput(f"programme must be one of {', '.join(PROGRAMMES)}")
        venue_id = str(form.get("venue") or "").strip() or None
        if venue_id is None and programme is None:
            raise BadInput("choose a venue, or a programme to use the nearest venue offering it")
        day = str(form.get("day") or "").strip().lower()
        if day not in {key for key, _ in DAY_CHOICES} and day not in {w.lower() for w in WEEKDAYS}:
            raise BadInput("choose a day of the week (Monday to Sunday)")
        margin_text = str(form.get("margin") if form.get("margin") not in (None, "") else "10").strip()
        try:
            margin = int(margin_text)
        except ValueError as exc:
            raise BadInput("arrive-early margin must be a whole number of minutes") from exc
        if not 0 <= margin <= 120:
            raise BadInput("arrive-early margin must be from 0 to 120 minutes")
        every = str(form.get("every_venue") or "").lower() in ("1", "on", "true", "yes")
        return cls(
            home=home,
            venue_id=venue_id,
            programme=programme,
            day=day[:3],
            start=str(form.get("start") or "").strip(),
            end=str(form.get("end") or "").strip(),
            margin=margin,
            every_venue=every,
        )


@dataclass
class Check:
    """A worked check: the round trip, the chosen venue, the table and what is needed for the maps."""

    query: Query
    venue: Venue
    venue_reason: str
    day: dict
    legs: list = field(default_factory=list)
    home_point: tuple[float, float] = (0.0, 0.0)
    week: list[dict] | None = None
    provenance: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """What may be saved: venue, day, times, flags and minutes; no postcode, no position."""
        day = self.day

        def trip(key: str) -> dict | None:
            it = day.get(key)
            return (
                None
                if it is None
                else {
                    "depart": it["depart"],
                    "arrive": it["arrive"],
                    "minutes": it["minutes"],
                    "changes": it["changes"],
                }
            )

        return {
            "venue_id": self.venue.id,
            "venue_name": self.venue.name,
            "town": self.venue.town,
            "programme": self.query.programme,
            "weekday": day["weekday"],
            "date": day["date"],
            "session": day["session"],
            "feasible": day["feasible"],
            "flags": day["flags"],
            "flags_in_words": flag_sentences(day),
            "outbound": trip("outbound"),
            "return": trip("return"),
            "minutes_away": day["minutes_away"],
            "total_minutes": total_minutes(day),
            "timetable": self.provenance.get("timetable", {}).get("timetable"),
            "modelled": bool(self.provenance.get("modelled")),
        }


def run_check(query: Query) -> Check:
    """Work out the round trip (and the every-venue table when asked)."""
    from geoaccess.places import resolve_place
    from geoaccess.transit.planner import parse_clock
    from geoaccess.transit.roundtrip import round_trip
    from geoaccess.transit.sources import planner_for, service_date, transit_provenance
    from geoaccess.venues import find_venue

    registry = venues()
    home = resolve_place(query.home, registry)
    if home.kind == "venue":
        raise BadInput("the home must be a postcode or 'lat,lon', not a venue id")
    home_point = (home.lon, home.lat)
    if query.venue_id:
        venue = find_venue(registry, query.venue_id)
        reason = "chosen"
        if query.programme and not venue.offers(query.programme):
            reason = f"chosen (it does not hold {query.programme} in the registry)"
    else:
        venue, minutes = nearest_offering(home_point, query.programme)
        reason = f"nearest venue offering {query.programme} ({minutes:.0f} min by car)"
    start, end = _session_times(query, venue)
    start_s, end_s = parse_clock(start), parse_clock(end)
    if end_s <= start_s:
        raise BadInput(f"the session ends ({end}) before it starts ({start})")
    planner = planner_for()
    when = service_date(query.day, planner.timetable)
    day = round_trip(planner, home_point, (venue.lon, venue.lat), when, start_s, end_s, query.margin)
    legs = []
    ends = (home_point, (venue.lon, venue.lat))
    if day["outbound"] is not None:
        legs += list(planner.arrive_by(*ends, when, start_s - query.margin * 60, ("home", "venue")).legs)
    if day["return"] is not None:
        legs += list(planner.depart_at(ends[1], ends[0], when, end_s, ("venue", "home")).legs)
    query.start, query.end = start, end
    check = Check(
        query=query,
        venue=venue,
        venue_reason=reason,
        day=day,
        legs=legs,
        home_point=home_point,
        provenance=transit_provenance(planner, when),
    )
    if query.every_venue:
        check.week = every_venue_and_day(
            planner, home_point, query.programme or _first_programme(venue), start_s, end_s, query.margin
        )
    return check


def nearest_offering(home: tuple[float, float], programme: str) -> tuple[Venue, float]:
    """The venue offering ``programme`` nearest ``home`` by car, and its minutes."""
    import numpy as np

    from geoaccess.roads.sources import router_for

    offering = [v for v in venues() if v.offers(programme)]
    if not offering:
        raise BadInput(f"no venue in the registry offers {programme}")
    seconds = (
        router_for("car").many_to_many(np.asarray([home]), np.asarray([(v.lon, v.lat) for v in offering])).seconds[0]
    )
    if not np.isfinite(seconds).any():
        raise NoRoute(f"no venue offering {programme} can be reached by road")
    best = int(np.nanargmin(np.where(np.isfinite(seconds), seconds, np.nan)))
    return offering[best], float(seconds[best]) / 60.0


def every_venue_and_day(
    planner: Any, home: tuple[float, float], programme: str | None, start_s: int, end_s: int, margin: int
) -> list[dict]:
    """Each venue offering ``programme`` on each weekday, Monday to Sunday, sorted by burden."""
    from geoaccess.transit.roundtrip import round_trip
    from geoaccess.transit.sources import week_dates

    if programme is None:
        return []
    rows = []
    dates = week_dates(planner.timetable)
    for venue in (v for v in venues() if v.offers(programme)):
        held = {s.day for p in venue.programmes if p.code == programme for s in p.sessions}
        for index, when in enumerate(dates):
            day = round_trip(planner, home, (venue.lon, venue.lat), when, start_s, end_s, margin)
            rows.append(
                {
                    "venue_id": venue.id,
                    "venue_name": venue.name,
                    "town": venue.town,
                    "weekday": day["weekday"].title(),
                    "weekday_index": index,
                    "date": day["date"],
                    "held_then": DAYS[index] in held,
                    "feasible": day["feasible"],
                    "flags": day["flags"],
                    "flags_in_words": flag_sentences(day),
                    "flag_text": day["flag_text"],
                    "leave_home": (day["outbound"] or {}).get("depart"),
                    "at_venue": (day["outbound"] or {}).get("arrive"),
                    "home_again": clock_text((day["return"] or {}).get("arrive")) if day["return"] else None,
                    "total_minutes": total_minutes(day),
                }
            )
    return sorted(rows, key=burden_key)


def _first_programme(venue: Venue) -> str | None:
    return venue.programmes[0].code if venue.programmes else None


def _session_times(query: Query, venue: Venue) -> tuple[str, str]:
    """The times given, else the venue's scheduled session of the programme on that day."""
    if query.start and query.end:
        return query.start, query.end
    day = query.day[:3].title()
    for programme in venue.programmes:
        if query.programme in (None, programme.code):
            for session in programme.sessions:
                if session.day == day:
                    return query.start or session.start, query.end or session.end
    raise BadInput(f"give the session's start and end times ({venue.name} has no scheduled session that day)")


def journey_doc(check: Check, *, coarsen: bool) -> Any:
    """The journey map (both ways); with ``coarsen`` the home is moved to its postcode sector."""
    from geoaccess.cli.maps import describe, home_sector
    from geoaccess.maps.builders import journey_map
    from geoaccess.pack import load_pack

    if not check.legs:
        raise NoRoute("no journey either way: nothing to map")
    pack = load_pack()
    sector = home_sector(pack, *check.home_point) if coarsen else None
    when = check.day["weekday"].title() + " " + check.day["date"]
    title = f"To {check.venue.name} and home again, {when}"
    doc = journey_map(
        pack, check.legs, sector, title, describe(check.provenance), modelled=bool(check.provenance.get("modelled"))
    )
    if not coarsen:
        doc.subtitle = "for the officer's screen only: the PDF shows the home at its postcode sector"
    return doc


# --- the short-lived cache of maps --------------------------------------------------------------------


class CheckCache:
    """Recent checks by random id, for their map, PDF and saving; entries expire and the oldest go first."""

    def __init__(self, ttl_s: float = CACHE_TTL_S, size: int = CACHE_SIZE) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._items: OrderedDict[str, tuple[float, int, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, owner_id: int, item: dict) -> str:
        """Keep ``item`` for its owner; returns its id."""
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._expire()
            self._items[key] = (time.monotonic() + self.ttl_s, owner_id, item)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return key

    def get(self, key: str, owner_id: int) -> dict | None:
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
    return current_app.extensions["geoaccess.officer"]


# --- pages -------------------------------------------------------------------------------------------


def _page(form: dict, status: int = 200, **context: Any) -> tuple[str, int]:
    offered = sorted(venues(), key=lambda v: (not v.programmes, v.town, v.name))
    return render_template(
        "officer.html",
        form=form,
        venues=offered,
        programmes=PROGRAMMES,
        day_choices=DAY_CHOICES,
        clock_text=clock_text,
        **context,
    ), status


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
        query = Query.from_mapping(form)
        result = run_check(query)
    except NoRoute as exc:
        return _page(form, 422, error=str(exc))
    except GeoaccessError as exc:
        return _page(form, 422 if isinstance(exc, BadInput) else 500, error=str(exc))
    form.update(start=query.start, end=query.end)
    summary = result.summary()
    key = None
    if result.legs:
        key = cache().put(me().id, {"check": result, "summary": summary})
    else:
        key = cache().put(me().id, {"check": None, "summary": summary})
    return _page(
        form, result=result, summary=summary, key=key, flags=flag_sentences(result.day), has_map=bool(result.legs)
    )


@bp.get("/map/<key>")
@login_required(*ROLES)
def journey_map_page(key: str) -> Response:
    """The journey map of a recent check, as a whole page for the iframe."""
    from geoaccess.maps.interactive import render_interactive
    from geoaccess.web.vendor import asset_prefix

    item = _cached(key)
    if item.get("check") is None:
        abort(404)
    if "html" not in item:
        item["html"] = (
            render_interactive(journey_doc(item["check"], coarsen=False), asset_prefix=asset_prefix())
            .get_root()
            .render()
        )
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
        item["pdf"] = render_file(journey_doc(item["check"], coarsen=True), "pdf")
    response = Response(item["pdf"], mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="journey-check.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/save")
@login_required(*ROLES)
def save() -> Response:
    """Save a recent check's summary (no postcode, no position) under the label typed."""
    from geoaccess.web.db import SavedCheck, session_scope

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

    from geoaccess.web.db import SavedCheck, session_scope

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
    return render_template("officer_checks.html", saved=saved, clock_text=clock_text)


@bp.post("/checks/<int:check_id>/delete")
@login_required(*ROLES)
def delete_check(check_id: int) -> Response:
    """Delete one of the current user's saved checks (another user's is a 404)."""
    from geoaccess.web.db import SavedCheck, session_scope

    with session_scope() as db:
        row = db.get(SavedCheck, check_id)
        if row is None or row.owner_id != me().id:
            abort(404)
        db.delete(row)
    flash("Deleted the saved check.", "success")
    return redirect(url_for("officer.checks"))


def _cached(key: str) -> dict:
    item = cache().get(key, me().id)
    if item is None:
        abort(404)
    return item


def render_file(doc: Any, fmt: str) -> bytes:
    """A MapDocument as PNG or PDF bytes."""
    from geoaccess.maps.static import render_static

    with tempfile.TemporaryDirectory(prefix="geoaccess-map-") as folder:
        path = Path(folder) / f"map.{fmt}"
        render_static(doc, path, dpi=150)
        return path.read_bytes()


def init_app(app: Flask) -> None:
    """Register the officer pages and this app's cache of recent checks."""
    app.extensions["geoaccess.officer"] = CheckCache(app.config.get("OFFICER_CACHE_TTL_S", CACHE_TTL_S))
    app.register_blueprint(bp)
