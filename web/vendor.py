"""Serve the local copies of Leaflet, jQuery, Bootstrap and Font Awesome.

Only files listed by :func:`geoaccess.maps.offline_assets.served_files` are
served; any other path is a 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, send_from_directory

from geoaccess.maps.offline_assets import served_files

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.get("/<path:filename>")
def asset(filename: str) -> Response:
    """One vendored file, cacheable for a day."""
    path = served_files().get(filename)
    if path is None:
        abort(404)
    return send_from_directory(path.parent, path.name, max_age=86400)


def asset_prefix() -> str:
    """URL prefix the vendored files are served under, e.g. ``/vendor/``."""
    return f"{request.script_root}{bp.url_prefix}/"
