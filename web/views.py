"""Pages: the home page with the venue map and table, the map itself, a health check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Response, current_app, render_template

from geoaccess.errors import DataPackError
from geoaccess.maps.venue_map import kind_label, venue_map
from geoaccess.web.vendor import asset_prefix

if TYPE_CHECKING:
    import geopandas

    from geoaccess.venues import Venue

bp = Blueprint("pages", __name__)


def default_venues() -> list[Venue]:
    """The venue registry of the configured pack."""
    from geoaccess.venues import load_venues

    return load_venues()


def default_basemap() -> geopandas.GeoDataFrame | None:
    """The pack's district polygons, or ``None`` when no pack is available."""
    try:
        from geoaccess.pack import load_pack

        return load_pack().districts
    except (ImportError, DataPackError):
        return None


def _venues() -> list[Venue]:
    return current_app.config["VENUE_LOADER"]()


@bp.get("/")
def home() -> str:
    """Title, introduction, the venue map (in an iframe) and a table of venues."""
    venues = sorted(_venues(), key=lambda v: (v.town, v.name))
    return render_template("home.html", venues=venues, kind_label=kind_label)


@bp.get("/map/venues")
def venues_map() -> Response:
    """The venue map as a complete HTML page, for the home page's iframe."""
    fmap = venue_map(_venues(), asset_prefix=asset_prefix(),
                     basemap=current_app.config["BASEMAP_LOADER"]())
    return Response(fmap.get_root().render(), mimetype="text/html")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness check."""
    return {"status": "ok"}
