"""The geoaccess web application (Flask), installed as ``geoaccess.web``.

Pages are served with every script, stylesheet and font from this server:
the app makes no external request and its pages reference no external URL.
"""

from __future__ import annotations

from flask import Flask, Response

from geoaccess.venues import load_venues
from geoaccess.web import vendor, views

#: Content-Security-Policy for every response: the browser may load nothing
#: from another origin, even if a page were to ask.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the Flask app.

    Configuration comes from ``instance/config.py`` if present (skipped when
    ``test_config`` is given), then ``test_config``. Keys:

    ``VENUE_LOADER``
        Zero-argument callable returning the venues to show (default
        :func:`geoaccess.venues.load_venues`: the pack's registry, merged with
        the file named by ``GEOACCESS_VENUES`` if set).
    ``BASEMAP_LOADER``
        Zero-argument callable returning a GeoDataFrame of polygons drawn
        beneath the venue map, or ``None`` (default: the pack's districts,
        simplified for display).

    Both loaders run once, here, so a bad venue file stops start-up with a
    message naming the bad row, and requests share what was loaded.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        VENUE_LOADER=load_venues,
        BASEMAP_LOADER=views.default_basemap,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    app.extensions["geoaccess"] = {
        "venues": app.config["VENUE_LOADER"](),
        "basemap": app.config["BASEMAP_LOADER"](),
    }
    app.register_blueprint(vendor.bp)
    app.register_blueprint(views.bp)

    @app.after_request
    def _same_origin_only(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return app
