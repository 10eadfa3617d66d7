"""Pages: the home page with the venue map and table, the map itself, a health check."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely
from flask import Blueprint, Response, current_app, render_template

from geoaccess.geometry import WGS84
from geoaccess.maps.venue_map import kind_label, venue_map
from geoaccess.pack import load_pack
from geoaccess.web.vendor import asset_prefix

if TYPE_CHECKING:
    import geopandas

    from geoaccess.venues import Venue

bp = Blueprint("pages", __name__)


BASEMAP_SIMPLIFY_M = 150.0  # small enough to read at county zoom, keeps the page light


def default_basemap() -> geopandas.GeoDataFrame:
    """The pack's district polygons, simplified for display (shared borders kept)."""
    districts = load_pack().districts_bng[["district", "geometry"]].copy()
    districts["geometry"] = shapely.coverage_simplify(districts.geometry.values, BASEMAP_SIMPLIFY_M)
    return districts.to_crs(WGS84)


def _venues() -> list[Venue]:
    return current_app.extensions["geoaccess"]["venues"]


@bp.get("/")
def home() -> str:
    """Title, introduction, the venue map (in an iframe) and a table of venues."""
    venues = sorted(_venues(), key=lambda v: (v.town, v.name))
    return render_template("home.html", venues=venues, kind_label=kind_label)


@bp.get("/map/venues")
def venues_map() -> Response:
    """The venue map as a complete HTML page, for the home page's iframe."""
    fmap = venue_map(_venues(), asset_prefix=asset_prefix(), basemap=current_app.extensions["geoaccess"]["basemap"])
    return Response(fmap.get_root().render(), mimetype="text/html")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness check."""
    return {"status": "ok"}
