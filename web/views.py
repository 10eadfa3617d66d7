"""Pages: the home page with the venue map and table, the map itself, a health check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, render_template

from geoaccess.maps.interactive import interactive_html
from geoaccess.services.engines import describe
from geoaccess.services.maps import venues_document

from .data import data_choice, quoted_provenance
from .security import trust_inline_scripts
from .vendor import asset_prefix

if TYPE_CHECKING:
    from geoaccess.venues import Venue

bp = Blueprint("pages", __name__)


def loaded_venues(app: Flask | None = None) -> list[Venue]:
    """The venues of ``app`` (default: the current one): its loader's, run once at start, with the admins' changes."""
    venues: list[Venue] = (app or current_app).extensions["geoaccess"]["venues"]
    return venues


@bp.get("/")
def home() -> str:
    """Title, introduction, the venue map (in an iframe) and a table of venues."""
    venues = sorted(loaded_venues(), key=lambda v: (v.town, v.name))
    return render_template("home.html", venues=venues)


@bp.get("/map/venues")
def venues_map() -> Response:
    """The venue map as a complete HTML page, for the home page's iframe: the same document as
    ``geoaccess map venues`` and the API export, drawn with this server's copies of Leaflet and Font Awesome."""
    html = interactive_html(venues_document(loaded_venues()), asset_prefix=asset_prefix())
    return trust_inline_scripts(Response(html, mimetype="text/html"))


@bp.get("/about/data")
def about_data() -> str:
    """How the times are worked out, in plain English, with the data this server uses now."""
    provenance = quoted_provenance(data_choice())
    return render_template("about_data.html", data_now=describe(provenance), modelled=bool(provenance.get("modelled")))


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness check."""
    return {"status": "ok"}
