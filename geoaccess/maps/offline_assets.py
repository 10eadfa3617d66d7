"""Folium's JavaScript and CSS from local files, never from a CDN.

A folium page links Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers
and a rotate stylesheet from CDNs; offline it renders a white page. Here every
asset name folium uses maps to a file shipped in a Python package or vendored
in ``geoaccess/maps/vendor``, served under one URL prefix chosen by the caller.
The layout under the prefix keeps each stylesheet's relative ``url()``
references working (Leaflet ``images/``, Font Awesome ``../webfonts/``).

``glyphicons_css`` (Bootstrap 3 icons, only for awesome-markers with
``prefix="glyphicon"``) is dropped: no local copy exists and nothing here uses it.

:func:`solid_icons` names the Font Awesome icons map pins can use, and
:func:`solid_font` is the font the PNG/PDF renderer draws them with, so a pin
looks the same on the page and on paper.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, Link

from geoaccess.errors import EXIT_DATA_PACK, GeoaccessError

#: folium asset name -> path under the asset prefix.
ASSETS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "bootstrap": "bootstrap/js/bootstrap.min.js",
    "awesome_markers": "awesome-markers/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/leaflet.css",
    "bootstrap_css": "bootstrap/css/bootstrap.min.css",
    "awesome_markers_font_css": "fontawesome/css/all.min.css",
    "awesome_markers_css": "awesome-markers/leaflet.awesome-markers.css",
    "awesome_rotate_css": "folium/leaflet.awesome.rotate.css",
}

#: Asset names folium links that are deliberately left out (see module docstring).
DROPPED = frozenset({"glyphicons_css"})

#: Folders the stylesheets load files from by relative ``url()``: served whole.
SUPPORT_DIRS = ("leaflet/images", "fontawesome/webfonts", "awesome-markers/images")

#: Font Awesome's solid style, in the stylesheet's ``fa-solid`` weight (900).
SOLID_FONT = "fontawesome/webfonts/fa-solid-900.ttf"
_ICON_RULE = re.compile(r'(?P<selectors>(?:\.fa-[a-z0-9-]+:before,?)+)\{content:"\\(?P<code>[0-9a-f]+)"\}')
_ICON_NAME = re.compile(r"\.fa-([a-z0-9-]+):before")


class AssetError(GeoaccessError):
    """A map needs a JavaScript or CSS file that has no local copy (the installation is incomplete)."""

    exit_code = EXIT_DATA_PACK
    status = 503
    title = "Installation incomplete"
    problem_type = "urn:geoaccess:problem:installation"


@cache
def _roots() -> dict[str, Path]:
    """First path segment under the prefix -> folder holding those files."""
    import flask_bootstrap
    from xstatic.pkg import font_awesome, jquery, leaflet

    vendor = Path(__file__).with_name("vendor")
    return {
        "leaflet": Path(leaflet.BASE_DIR),
        "jquery": Path(jquery.BASE_DIR),
        "fontawesome": Path(font_awesome.BASE_DIR),
        "bootstrap": Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5",
        "awesome-markers": vendor / "awesome-markers",
        "folium": vendor / "folium",
    }


def _file(url_path: str) -> Path:
    """Local file for a path under the prefix, e.g. ``leaflet/leaflet.js``."""
    top, _, rest = url_path.partition("/")
    return _roots()[top] / rest


def resolve(name: str) -> Path:
    """Local file for a folium asset name such as ``"leaflet_css"``."""
    if name not in ASSETS:
        raise AssetError(f"no local copy of folium asset {name!r}; known: {sorted(ASSETS)}")
    return _file(ASSETS[name])


@cache
def served_files() -> dict[str, Path]:
    """Every file to serve, keyed by its path under the asset prefix."""
    files = {path: _file(path) for path in ASSETS.values()}
    for folder in SUPPORT_DIRS:
        for path in sorted(_file(folder).iterdir()):
            if path.is_file():
                files[f"{folder}/{path.name}"] = path
    return files


def solid_font() -> Path:
    """The Font Awesome solid font file (TrueType), for drawing icons outside a browser."""
    return _file(SOLID_FONT)


@cache
def solid_icons() -> dict[str, str]:
    """Font Awesome solid icon names (``fa-solid fa-NAME``) -> the character that draws each in :func:`solid_font`.

    Read from the stylesheet the pages load, keeping the icons the solid font
    has a glyph for (brand icons are in another font).
    """
    from matplotlib.ft2font import FT2Font

    css = _file(ASSETS["awesome_markers_font_css"]).read_text(encoding="utf-8")
    in_font = FT2Font(str(solid_font())).get_charmap()
    icons: dict[str, str] = {}
    for rule in _ICON_RULE.finditer(css):
        code = int(rule["code"], 16)
        if code in in_font:
            icons.update(dict.fromkeys(_ICON_NAME.findall(rule["selectors"]), chr(code)))
    return icons


def local_url(name: str, url: str, asset_prefix: str) -> str:
    """URL to use for a folium link: local for known assets, unchanged if already local.

    Raises :class:`AssetError` for a remote URL with no local copy, so an
    offline page never silently depends on a CDN.
    """
    if name in ASSETS:
        return asset_prefix + ASSETS[name]
    if "://" in url or url.startswith("//"):
        raise AssetError(
            f"map element links {name!r} from {url}: add a local copy to geoaccess.maps.offline_assets.ASSETS"
        )
    return url


class _LocalAssetHeader(Element):
    """Figure header that points every JS/CSS link at a local file when rendered.

    folium elements add their links to ``figure.header`` while the figure's
    children render, just before the header itself renders; rewriting here
    covers the map and any plugin element added to it.
    """

    def __init__(self, asset_prefix: str) -> None:
        super().__init__()
        self.asset_prefix = asset_prefix

    def render(self, **kwargs: object) -> str:
        for name, child in self._children.items():
            if isinstance(child, Link):
                child.url = local_url(name, child.url, self.asset_prefix)
        return super().render(**kwargs)


def _offline_figure(asset_prefix: str) -> Figure:
    """A branca Figure whose header serves assets from ``asset_prefix``."""
    figure = Figure()
    header = _LocalAssetHeader(asset_prefix)
    for name, child in figure.header._children.items():
        header.add_child(child, name=name)
    header._parent = figure
    figure.header = header
    return figure


def offline_map(*, asset_prefix: str, **folium_kwargs: Any) -> folium.Map:
    """A folium Map that loads nothing from the internet.

    Parameters
    ----------
    asset_prefix
        URL prefix the files of :func:`served_files` are served under,
        ending in ``/`` (e.g. ``"/vendor/"``).
    **folium_kwargs
        Passed to :class:`folium.Map`. ``tiles`` defaults to ``None`` (no
        basemap); a tile URL template, if given, must be a local path.
    """
    if not asset_prefix.endswith("/"):
        raise ValueError(f"asset_prefix must end with '/': {asset_prefix!r}")
    tiles = folium_kwargs.setdefault("tiles", None)
    if tiles is not None and not (isinstance(tiles, str) and tiles.startswith("/")):
        raise AssetError(f"tiles must be None or a local URL template like '/tiles/...': {tiles!r}")
    fmap = folium.Map(**folium_kwargs)
    fmap.default_css = [(n, u) for n, u in fmap.default_css if n not in DROPPED]
    fmap.add_to(_offline_figure(asset_prefix))
    return fmap
