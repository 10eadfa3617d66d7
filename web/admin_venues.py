"""The admin's venue pages: add, edit and remove venues, kept in the user venue file.

The pack's registry (whatever ``VENUE_LOADER`` returned at start-up) is
read-only. Admins' changes live in the user venue file named by the app config
``VENUES_FILE`` (default ``<instance>/venues.geojson``): it holds only venues
added or changed by admins, and is merged over the pack's registry at start-up
and after every save. A venue from the pack cannot be removed; an admin's edit
of one can be undone (the pack's version comes back), and a venue an admin
added can be removed.

Every form row is validated exactly as the CLI validates a venue CSV (a one-row
CSV read with :func:`geoaccess.venues.read_venue_file`); a problem is shown to
the admin, naming what is wrong, and nothing is saved.

Also here: :func:`pick_points`, the public venue positions the officer page's
pick map draws (a Jinja global).
"""

from __future__ import annotations

import csv
import re
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from geoaccess.errors import GeoaccessError
from geoaccess.venues import (
    CSV_COLUMNS,
    KINDS,
    PROGRAMMES,
    Venue,
    merge_venues,
    read_venue_file,
    write_venue_file,
)

from .auth import login_required
from .views import loaded_venues

bp = Blueprint("admin_venues", __name__, url_prefix="/admin/venues")

EXTENSION = "geoaccess.admin_venues"
FORM_FIELDS = (
    "id",
    "name",
    "kind",
    "organisation",
    "address",
    "town",
    "postcode",
    "lon",
    "lat",
    "programmes",
    "opening_days",
)
FIELD_MAX = 500
_ROW_PREFIX = re.compile(r"^.*?nothing loaded: ")
_WHERE = re.compile(r"(^|; )row \d+(?: \(id '[^']*'\))?: ")


def init_app(app: Flask) -> None:
    """Register the pages; merge the user venue file, if it exists, into the registry."""
    app.config.setdefault("VENUES_FILE", str(Path(app.instance_path) / "venues.geojson"))
    base = list(app.extensions["geoaccess"]["venues"])
    app.extensions[EXTENSION] = {"base": base, "lock": threading.Lock()}
    path = Path(app.config["VENUES_FILE"])
    if path.exists():  # a bad file stops start-up with the message naming the bad row
        app.extensions["geoaccess"]["venues"] = merge_venues(base, read_venue_file(path))
    app.jinja_env.globals["pick_points"] = pick_points
    app.register_blueprint(bp)


def pick_points(venues: list[Venue]) -> list[list[Any]]:
    """``[[lat, lon, "name (town)"], ...]`` for the officer's pick map (venue positions are public)."""
    return [[round(v.lat, 5), round(v.lon, 5), f"{v.name} ({v.town})"] for v in venues]


# --- the user venue file ------------------------------------------------------------------------


def _state() -> dict[str, Any]:
    state: dict[str, Any] = current_app.extensions[EXTENSION]
    return state


def _path() -> Path:
    return Path(current_app.config["VENUES_FILE"])


def _base() -> list[Venue]:
    base: list[Venue] = _state()["base"]
    return base


def _changes() -> list[Venue]:
    path = _path()
    return read_venue_file(path) if path.exists() else []


def _save(changes: list[Venue]) -> None:
    """Write the user venue file (or remove it when empty) and reload the registry."""
    path = _path()
    if changes:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_venue_file(changes, path)
    elif path.exists():
        path.unlink()
    current_app.extensions["geoaccess"]["venues"] = merge_venues(_base(), changes)


# --- validation ---------------------------------------------------------------------------------


def _form() -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip()[:FIELD_MAX] for name in FORM_FIELDS}


def _message(exc: GeoaccessError) -> str:
    """The validator's message without the temporary file's name and row number."""
    text = _ROW_PREFIX.sub("", str(exc), count=1)
    return _WHERE.sub(r"\1", text)


def validate(form: dict[str, str], existing: Venue | None) -> Venue:
    """The venue in ``form`` validated as the CLI validates a CSV row; raises with the problem.

    Fields the form does not show (confidence, sources, notes...) are kept from
    ``existing``; its position basis too when the coordinates are unchanged.
    """
    row = {column: "" for column in CSV_COLUMNS}
    row.update({k: v for k, v in form.items() if k in CSV_COLUMNS})
    same_place = existing is not None and _same_position(form, existing)
    if existing is not None:
        for column in ("confidence", "opening_note", "source", "source_date", "notes"):
            row[column] = getattr(existing, column) or ""
        if same_place:
            row["position_basis"] = existing.position_basis
        elif existing.confidence == "approximate":
            row["confidence"] = ""  # a new position is no longer the approximate one
    with tempfile.TemporaryDirectory(prefix="ga-venue-") as folder:
        path = Path(folder) / "venue.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerow(row)
        venue = read_venue_file(path)[0]
    if existing is not None:  # CSV carries no programme notes: keep those of programmes kept
        notes = {p.code: p.note for p in existing.programmes}
        venue = replace(venue, programmes=tuple(replace(p, note=notes.get(p.code, p.note)) for p in venue.programmes))
    return venue


def _same_position(form: dict[str, str], venue: Venue) -> bool:
    try:
        return abs(float(form["lon"]) - venue.lon) < 1e-6 and abs(float(form["lat"]) - venue.lat) < 1e-6
    except ValueError:
        return not form["lon"] and not form["lat"] and (form["postcode"] or None) == venue.postcode


def programme_cell(venue: Venue) -> str:
    """The programmes in the CSV cell syntax, ``"BBR: Thu 18:00-20:30; TSP [assumed]"``."""
    parts = []
    for p in venue.programmes:
        head = p.code if p.basis == "user" else f"{p.code} [{p.basis}]"
        parts.append(head + (": " + ", ".join(s.label() for s in p.sessions) if p.sessions else ""))
    return "; ".join(parts)


def form_of(venue: Venue) -> dict[str, str]:
    """The form's fields for an existing venue."""
    return {
        "id": venue.id,
        "name": venue.name,
        "kind": venue.kind,
        "organisation": venue.organisation,
        "address": venue.address or "",
        "town": venue.town,
        "postcode": venue.postcode or "",
        "lon": f"{venue.lon:.6f}",
        "lat": f"{venue.lat:.6f}",
        "programmes": programme_cell(venue),
        "opening_days": " ".join(venue.opening_days),
    }


# --- pages --------------------------------------------------------------------------------------


def _page(
    form: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> tuple[str, int, dict[str, str]]:
    base_ids = {v.id for v in _base()}
    try:
        changed_ids = {v.id for v in _changes()}
        file_error = None
    except GeoaccessError as exc:
        changed_ids, file_error = set(), str(exc)
    registry = sorted(loaded_venues(), key=lambda v: (v.town, v.name))
    rows = [
        {"venue": v, "origin": ("added" if v.id not in base_ids else "edited" if v.id in changed_ids else "pack")}
        for v in registry
    ]
    edit_id = request.args.get("edit", "")
    if form is None:
        chosen = next((v for v in registry if v.id == edit_id), None)
        form = form_of(chosen) if chosen else {name: "" for name in FORM_FIELDS}
    html = render_template(
        "admin_venues.html",
        rows=rows,
        form=form,
        error=error or file_error,
        kinds=KINDS,
        programmes=PROGRAMMES,
        editing=bool(form.get("id")) and any(v.id == form["id"] for v in registry),
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.get("")
@login_required("admin")
def page() -> tuple[str, int, dict[str, str]]:
    """The registry, where each venue comes from, and the add/edit form (``?edit=ID`` fills it)."""
    return _page()


@bp.post("")
@login_required("admin")
def save() -> tuple[str, int, dict[str, str]] | BaseResponse:
    """Add a venue, or replace one with the same id; nothing is saved unless all of it is valid."""
    form = _form()
    with _state()["lock"]:
        try:
            changes = _changes()
            existing = next((v for v in loaded_venues() if v.id == form["id"]), None)
            venue = validate(form, existing)
        except GeoaccessError as exc:
            return _page(form, f"Not saved: {_message(exc)}", 422)
        _save(merge_venues(changes, [venue]))
    flash(f"Saved venue {venue.id} ({venue.name}).", "success")
    return redirect(url_for("admin_venues.page"), code=303)


@bp.post("/<venue_id>/remove")
@login_required("admin")
def remove(venue_id: str) -> tuple[str, int, dict[str, str]] | BaseResponse:
    """Remove an added venue, or undo the edit of a pack venue; pack venues themselves stay."""
    with _state()["lock"]:
        try:
            changes = _changes()
        except GeoaccessError as exc:
            return _page(error=f"Not removed: {exc}", status=409)
        if venue_id not in {v.id for v in changes}:
            in_pack = any(v.id == venue_id for v in _base())
            message = "venues from the pack cannot be removed" if in_pack else "no venue has that id"
            return _page(error=f"Not removed: {message}.", status=409 if in_pack else 404)
        _save([v for v in changes if v.id != venue_id])
    in_pack = any(v.id == venue_id for v in _base())
    flash(
        f"Undid the changes to {venue_id}: the pack's version is back." if in_pack else f"Removed venue {venue_id}.",
        "success",
    )
    return redirect(url_for("admin_venues.page"), code=303)
