"""Draw a :class:`~geoaccess.maps.document.MapDocument` with Folium, and save it as one HTML file.

:func:`render_interactive` returns an offline Folium map (local assets, no
tiles): basemap layers first, light and inert; then one layer-control entry
per layer (or per value of its ``group_column``); a legend, scale bar, title
box and the document's footer in the attribution control. Points with an
``icon_column`` are pins: Leaflet DivIcons, a coloured disc with a Font Awesome
glyph; at every zoom, pins that would overlap fan out and labels move clear of
them (:class:`~geoaccess.maps.elements.Declutter`). Every text from the data
(popups, tooltips, labels, names) is HTML-escaped and reaches Leaflet as a JSON
string, never through folium's ``Popup``/``Tooltip`` (JavaScript template literals).

:func:`standalone_html` inlines every script, stylesheet, image and font, so
the file opens from disk with no server and no internet; :func:`save_html`
writes it atomically.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import mimetypes
import os
import re
import secrets
from functools import cache
from html import escape
from pathlib import Path
from typing import Any, NamedTuple, cast

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure

from geoaccess.errors import BadInput
from geoaccess.maps.document import (
    BASEMAP_EDGE,
    BASEMAP_FILL,
    FAN_OUT_GAP,
    Layer,
    LegendEntry,
    MapDocument,
    ink,
)
from geoaccess.maps.elements import BIND_FEATURE_TEXT, Call, Declutter, HtmlControl, Labels, set_attribution
from geoaccess.maps.offline_assets import AssetError, offline_map, served_files, solid_icons

KINDS = {
    "polygons": ("Polygon", "MultiPolygon"),
    "lines": ("LineString", "MultiLineString"),
    "points": ("Point", "MultiPoint"),
}
PATH_CLASS = {"polygons": "ga-area", "lines": "ga-line", "points": "ga-point"}
"""SVG class per kind of layer (basemaps add ``ga-basemap``): lets tests and CSS find them."""
DECIMALS = 5  # about 1 m: coordinates are rounded to keep pages small
POINT_EDGE = "#333333"
_COLOUR = re.compile(r"^(#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-zA-Z]{3,20})$")

_CSS = """<style>
.folium-map.leaflet-container{background:#f7f7f7}
.ga-title{background:rgba(255,255,255,.94);padding:6px 10px;border-radius:4px;max-width:26rem;
 font:13px/1.35 sans-serif;color:#222;box-shadow:0 1px 4px rgba(0,0,0,.4)}
.ga-title .ga-heading{font-size:16px;font-weight:700}
.ga-title .ga-modelled{display:inline-block;margin-top:3px;padding:0 5px;border:1.5px solid #b2182b;
 color:#b2182b;font-weight:700;letter-spacing:.06em}
.ga-legend{background:rgba(255,255,255,.94);padding:6px 8px;border-radius:4px;font:12px/1.5 sans-serif;
 color:#222;box-shadow:0 1px 4px rgba(0,0,0,.4);max-height:45vh;overflow-y:auto}
.ga-legend .ga-group+.ga-group{margin-top:4px}
.ga-legend .ga-swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:-2px;
 border:1px solid rgba(0,0,0,.45)}
.ga-legend .ga-swatch.ga-circle{border-radius:50%}
.ga-legend .ga-swatch.ga-line{height:0;border:0;border-top:3px solid;vertical-align:3px}
.ga-label span{position:absolute;white-space:nowrap;transform:translate(7px,-50%);
 font:11px/1.1 sans-serif;color:#333;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}
.ga-label.ga-centre span{transform:translate(-50%,-50%)}
.leaflet-container .leaflet-control-attribution{max-width:60vw;white-space:normal;font-size:11px;line-height:1.35}
.leaflet-container .leaflet-control-layers{font:13px/1.4 sans-serif}
.leaflet-popup-content{font-size:13px;line-height:1.35}
.ga-pin{box-sizing:border-box;width:100%;height:100%;border-radius:50%;border:2px solid #fff;display:flex;
 align-items:center;justify-content:center;box-shadow:0 1px 3px rgba(0,0,0,.6)}
.ga-pin.ga-dashed{border:2px dashed #000}
.ga-legend .ga-pin{display:inline-flex;width:22px;height:22px;font-size:11px;margin:1px 6px 1px 0;vertical-align:middle;
 box-shadow:none;border-color:#999}
.ga-legend .ga-pin.ga-dashed{border-color:#000}
.ga-legend .ga-swatch.ga-dashed{border-style:dashed;border-color:#000}
</style>"""


def render_interactive(doc: MapDocument, *, asset_prefix: str) -> folium.Map:
    """The document as an offline Folium map.

    Parameters
    ----------
    doc
        The map: layers bottom to top (basemap layers are drawn first
        whatever their position, in the basemap greys, without popups and
        outside the layer control).
    asset_prefix
        URL prefix of the local JavaScript/CSS files (see
        :func:`geoaccess.maps.offline_assets.offline_map`).

    Raises
    ------
    BadInput
        An unknown layer kind, geometries of the wrong type, a missing
        column, an unusable colour, a frame with no CRS, or nothing to draw.
    """
    doc = _checked(doc)
    west, south, east, north = doc.bounds()
    fmap = offline_map(
        asset_prefix=asset_prefix,
        location=((south + north) / 2, (west + east) / 2),
        zoom_start=9,
        zoom_snap=0.25,
        control_scale=True,
    )
    root = cast(Figure, fmap.get_root())
    root.title = escape(doc.title)
    root.header.add_child(Element(_CSS), name="geoaccess_interactive_css")

    labels: list[str] = []
    pins: list[tuple[list[str], float]] = []
    for layer in (layer for layer in doc.layers if layer.basemap):
        labels += _draw(fmap, layer).labels
    for layer in (layer for layer in doc.layers if not layer.basemap):
        features = []
        for name, rows in _groups(layer):
            group = folium.FeatureGroup(name=escape(name), show=layer.show)
            drawn = _draw(group, layer, rows)
            features += drawn.features
            labels += drawn.labels
            group.add_to(fmap)
        if layer.icon_column is not None and features:
            pins.append((features, layer.radius))
    if pins:  # after every layer: its script refers to them
        fmap.add_child(Declutter(pins, labels, gap=FAN_OUT_GAP))

    fmap.add_child(HtmlControl(title_html(doc), css_class="ga-title", first=True, quiet=True))
    legend = legend_html(doc.layers)
    if legend:
        fmap.add_child(HtmlControl(legend, position="bottomleft", css_class="ga-legend", quiet=True))
    set_attribution(fmap, doc.footer)
    # Leaflet animates a fitBounds from the initial view; a static export must not catch it mid-zoom.
    # More room at the foot: the attribution control there runs to several lines.
    fit = {"paddingTopLeft": [30, 30], "paddingBottomRight": [30, 60], "maxZoom": 14, "animate": False}
    fmap.add_child(Call("fitBounds", [[south, west], [north, east]], fit))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def title_html(doc: MapDocument) -> str:
    """The title box: title, subtitle, and MODELLED where the figures are modelled."""
    parts = [f'<div class="ga-heading">{escape(doc.title)}</div>']
    if doc.subtitle:
        parts.append(f"<div>{escape(doc.subtitle)}</div>")
    if doc.modelled:
        parts.append('<div class="ga-modelled" title="modelled figures: see the provenance">MODELLED</div>')
    return "".join(parts)


def pin_html(colour: str, icon: str, *, dashed: bool = False, where: str = "a pin") -> str:
    """A pin's HTML: a disc of ``colour`` (hex) holding the Font Awesome ``icon`` in black or white."""
    if icon not in solid_icons():
        raise BadInput(f"{where}: {icon!r} is not a Font Awesome solid icon name")
    try:
        glyph = ink(colour)
    except ValueError as error:
        raise BadInput(f"{where}: a pin's colour must be #rgb or #rrggbb, not {colour!r}") from error
    outline = " ga-dashed" if dashed else ""
    return (
        f'<div class="ga-pin{outline}" style="background:{colour};color:{glyph}">'
        f'<i class="fa-solid fa-{icon}" aria-hidden="true"></i></div>'
    )


def _swatch(entry: LegendEntry, opacity: float) -> str:
    """A legend key, at the fill opacity its layer is drawn with (pins are opaque)."""
    where = f"legend entry {entry.label!r}"
    colour = escape(_colour(entry.colour, where=where))
    if entry.icon is not None:
        return pin_html(entry.colour, entry.icon, dashed=entry.dashed, where=where)
    dashed = " ga-dashed" if entry.dashed else ""
    if entry.shape == "line":
        return f'<span class="ga-swatch ga-line" style="border-top-color:{colour}"></span>'
    shape = "ga-circle" if entry.shape == "circle" else "ga-square"
    return f'<span class="ga-swatch {shape}{dashed}" style="background:{colour};opacity:{min(1.0, opacity):g}"></span>'


def legend_html(layers: list[Layer]) -> str:
    """Legend rows grouped under each layer's name; empty when no layer has entries."""
    groups = []
    for layer in layers:
        if layer.legend:
            opacity = 1.0 if layer.basemap else layer.fill_opacity
            rows = "".join(f"<div>{_swatch(entry, opacity)}{escape(entry.label)}</div>" for entry in layer.legend)
            groups.append(f'<div class="ga-group"><b>{escape(layer.name)}</b>{rows}</div>')
    return "".join(groups)


def _colour(value: object, *, where: str) -> str:
    text = str(value).strip()
    if not _COLOUR.match(text):
        raise BadInput(f"{where}: {text!r} is not a colour (use #rrggbb)")
    return text


def _checked(doc: MapDocument) -> MapDocument:
    """The document with every frame in WGS84 and every layer's settings checked."""
    layers = []
    for layer in doc.layers:
        where = f"map layer {layer.name!r}"
        if layer.kind not in KINDS:
            raise BadInput(f"{where}: kind must be one of {sorted(KINDS)}, not {layer.kind!r}")
        frame = layer.frame
        if frame.crs is None:
            raise BadInput(f"{where} has no coordinate reference system (expected WGS84, EPSG:4326)")
        if frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        for setting in ("colour_column", "popup", "tooltip", "label", "icon_column", "dashed_column", "group_column"):
            column = getattr(layer, setting)
            if column is not None and column not in frame.columns:
                raise BadInput(f"{where}: {setting} names a column it does not have: {column!r}")
        for setting in ("icon_column", "dashed_column"):
            if getattr(layer, setting) is not None and layer.kind != "points":
                raise BadInput(f"{where}: {setting} is for points, not {layer.kind}")
        _colour(layer.colour, where=where)
        for number in ("fill_opacity", "line_width", "radius"):
            value = getattr(layer, number)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise BadInput(f"{where}: {number} must be a number >= 0, not {value!r}")
        frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()]  # nothing to draw there
        wrong = sorted(set(frame.geom_type) - set(KINDS[layer.kind]))
        if wrong:
            raise BadInput(f"{where} is {layer.kind} but holds {', '.join(wrong)} geometries")
        layers.append(dataclasses.replace(layer, frame=frame))
    if all(layer.frame.empty for layer in layers):
        raise BadInput(f"the map {doc.title!r} has nothing to draw: every layer is empty")
    return dataclasses.replace(doc, layers=layers)


def _text_html(value: object) -> str | None:
    """Plain text as HTML: escaped, line breaks kept; ``None`` for missing values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return escape(str(value)).replace("\n", "<br>")


def _style(layer: Layer, colour: str) -> dict[str, Any]:
    if layer.basemap:
        if layer.kind == "polygons":
            return {
                "fillColor": BASEMAP_FILL,
                "color": BASEMAP_EDGE,
                "weight": layer.line_width,
                "fillOpacity": 1,
                "opacity": 1,
            }
        if layer.kind == "lines":
            return {"color": BASEMAP_EDGE, "weight": layer.line_width, "opacity": 1}
        return {
            "color": BASEMAP_EDGE,
            "fillColor": BASEMAP_FILL,
            "weight": layer.line_width,
            "fill": True,
            "fillOpacity": 1,
            "radius": layer.radius,
        }
    if layer.kind == "polygons":
        return {
            "fillColor": colour,
            "color": colour,
            "weight": layer.line_width,
            "fillOpacity": layer.fill_opacity,
            "opacity": 0.9,
        }
    if layer.kind == "lines":
        return {"color": colour, "weight": layer.line_width, "opacity": 0.9}
    return {
        "fillColor": colour,
        "color": POINT_EDGE,
        "weight": layer.line_width,
        "fill": True,
        "fillOpacity": layer.fill_opacity,
        "radius": layer.radius,
    }


def _groups(layer: Layer) -> list[tuple[str, np.ndarray | None]]:
    """Layer-control entries for a layer: its name, or each value of its ``group_column`` with its rows."""
    if layer.group_column is None:
        return [(layer.name, None)]
    values = layer.frame[layer.group_column].astype(str).to_numpy()
    return [(str(value), np.flatnonzero(values == value)) for value in pd.unique(values)]


def _dashed(layer: Layer) -> list[bool]:
    """Per feature: outlined dashed (``dashed_column``)?"""
    if layer.dashed_column is None or layer.basemap:
        return [False] * len(layer.frame)
    return [isinstance(value, bool | np.bool_) and bool(value) for value in layer.frame[layer.dashed_column]]


class _Drawn(NamedTuple):
    """The JavaScript names of what :func:`_draw` added: its GeoJSON layer and its labels (none, or one each)."""

    features: list[str]
    labels: list[str]


def _draw(parent: folium.Map | folium.FeatureGroup, layer: Layer, rows: np.ndarray | None = None) -> _Drawn:
    """Add one layer's features (and labels) to ``parent``: all of them, or those at positions ``rows``."""
    frame = layer.frame
    if frame.empty:
        return _Drawn([], [])
    where = f"map layer {layer.name!r}"
    geoms = shapely.transform(np.asarray(frame.geometry.values), lambda xy: np.round(xy, DECIMALS))
    if layer.colour_column is not None and not layer.basemap:
        colours = [
            layer.colour
            if value is None or (not isinstance(value, str) and pd.isna(value))
            else _colour(value, where=where)
            for value in frame[layer.colour_column]
        ]
    else:
        colours = [layer.colour] * len(frame)
    texts = {
        key: [_text_html(v) for v in frame[column]] if column is not None and not layer.basemap else None
        for key, column in (("ga_popup", layer.popup), ("ga_tooltip", layer.tooltip))
    }
    dashed = _dashed(layer)
    pins = layer.icon_column is not None and not layer.basemap
    if pins:  # DivIcon options: the pin's HTML
        styles = [
            {"html": pin_html(colour, str(icon), dashed=mark, where=where)}
            for colour, icon, mark in zip(colours, frame[layer.icon_column], dashed, strict=True)
        ]
    else:
        styles = [
            _style(layer, colour) | ({"dashArray": "4 3"} if mark else {})
            for colour, mark in zip(colours, dashed, strict=True)
        ]
    indices = range(len(frame)) if rows is None else rows.tolist()
    features = []
    for i in indices:
        properties = {key: values[i] for key, values in texts.items() if values is not None and values[i] is not None}
        features.append(
            {"type": "Feature", "id": str(i), "properties": properties, "geometry": shapely.geometry.mapping(geoms[i])}
        )

    css_class = PATH_CLASS[layer.kind] + (" ga-basemap" if layer.basemap else "")
    options: dict[str, Any] = {"className": css_class}
    if layer.basemap:
        options["interactive"] = False
    marker: folium.Marker | folium.CircleMarker | None = None
    if pins:
        size = round(2 * layer.radius)
        marker = folium.Marker(
            icon=folium.DivIcon(icon_size=(size, size), icon_anchor=(size // 2, size // 2), class_name="ga-marker")
        )
    elif layer.kind == "points":
        marker = folium.CircleMarker(radius=layer.radius, fill=True, **options)
    geojson = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda feature: styles[int(feature["id"])],
        on_each_feature=None if layer.basemap else BIND_FEATURE_TEXT,
        marker=marker,
        control=False,
        **options,
    ).add_to(parent)

    if layer.label is not None:
        items = []
        for i in indices:
            geom, text = geoms[i], frame[layer.label].iloc[i]
            if text is None or (not isinstance(text, str) and pd.isna(text)) or not str(text).strip():
                continue
            point = (
                geom
                if geom.geom_type == "Point"
                else (geom.geoms[0] if geom.geom_type == "MultiPoint" else geom.representative_point())
            )
            items.append((point.y, point.x, str(text)))
        if items:
            centred = "" if layer.kind == "points" else " ga-centre"
            labels = Labels(items, css_class="ga-label" + centred)
            parent.add_child(labels)
            return _Drawn([geojson.get_name()], [labels.get_name()])
    return _Drawn([geojson.get_name()], [])


# --- standalone HTML -------------------------------------------------------------------------

_PLACEHOLDER = "geoaccess-inline-asset/"
_SCRIPT_LINK = re.compile(r'<script src="' + re.escape(_PLACEHOLDER) + r'(?P<path>[^"]+)"></script>')
_STYLE_LINK = re.compile(r'<link rel="stylesheet" href="' + re.escape(_PLACEHOLDER) + r'(?P<path>[^"]+)"\s*/?>')
_FONT_FACE = re.compile(r"@font-face\s*\{(?P<body>[^}]*)\}")
_SRC = re.compile(r"(?P<head>(?:^|;)\s*src\s*:)(?P<value>[^;]*)")
_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<url>[^"')]*)(?P=q)\s*\)""")
_SOURCE_MAP = re.compile(r"(?:/\*[#@] sourceMappingURL=[^*]*\*/|//[#@] sourceMappingURL=\S*)")
_MIME = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
}


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _woff2_only(css: str) -> str:
    """Keep only woff2 sources in each ``@font-face`` and embed each font file once.

    Font Awesome repeats its files under legacy family names (Font Awesome 5,
    FontAwesome) for old class names; inlined, each copy would add the whole
    font again, so a face whose file was already used is dropped.
    """
    used: set[str] = set()

    def face(match: re.Match[str]) -> str:
        body = match.group("body")
        src = _SRC.search(body)
        if src is None:
            return match.group(0)
        entries = [e.strip() for e in src.group("value").split(",") if e.strip()]
        woff2 = [e for e in entries if 'format("woff2")' in e or "format('woff2')" in e] or entries
        files = {m.group("url") for e in woff2 for m in _URL.finditer(e)}
        if files and files <= used:
            return ""
        used.update(files)
        body = body[: src.start("value")] + ",".join(woff2) + body[src.end("value") :]
        return "@font-face{" + body + "}"

    return _FONT_FACE.sub(face, css)


@cache
def _inline_css(path: Path) -> str:
    """A stylesheet with fonts cut to woff2 and every relative ``url()`` as a data URI."""
    css = _SOURCE_MAP.sub("", _woff2_only(path.read_text(encoding="utf-8")))

    def embed(match: re.Match[str]) -> str:
        url = match.group("url").strip()
        if url.startswith(("data:", "#")) or not url:
            return match.group(0)
        if "://" in url or url.startswith("//"):
            raise AssetError(f"{path.name} loads {url}: a standalone map cannot fetch it")
        target = (path.parent / url.split("?")[0].split("#")[0]).resolve()
        if not target.is_file():
            raise AssetError(f"{path.name} refers to {url}, not found at {target}")
        return f'url("{_data_uri(target)}")'

    css = _URL.sub(embed, css)
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


@cache
def _inline_js(path: Path) -> str:
    js = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
    if re.search(r"<!--|</script", js, flags=re.IGNORECASE):
        raise AssetError(f"{path.name} contains '<!--' or '</script' and cannot be inlined safely")
    return js


def _asset(path: str) -> Path:
    files = served_files()
    if path not in files:
        raise AssetError(f"the map links {path!r}, which has no local copy")
    return files[path]


_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')


def interactive_html(doc: MapDocument, *, asset_prefix: str) -> str:
    """:func:`render_interactive` as a whole HTML page: in British English (``lang``), and letting readers zoom
    the page (Folium's viewport forbids it, which fails WCAG 1.4.4)."""
    html = render_interactive(doc, asset_prefix=asset_prefix).get_root().render()
    html = html.replace("<html>", '<html lang="en-GB">', 1)
    return _VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1.0">', html, count=1)


def standalone_html(doc: MapDocument) -> str:
    """The map as one HTML page with every script, stylesheet, image and font inlined.

    It opens from disk with no server and no internet. Fonts are embedded as
    woff2 only (every current browser reads it).
    """
    html = interactive_html(doc, asset_prefix=_PLACEHOLDER)
    html = _SCRIPT_LINK.sub(
        lambda m: f'<script data-asset="{escape(m["path"])}">{_inline_js(_asset(m["path"]))}</script>', html
    )
    html = _STYLE_LINK.sub(
        lambda m: f'<style data-asset="{escape(m["path"])}">{_inline_css(_asset(m["path"]))}</style>', html
    )
    if _PLACEHOLDER in html:
        raise AssetError("the map links a local file in a form that could not be inlined")
    return html


def save_html(doc: MapDocument, path: str | os.PathLike[str]) -> Path:
    """Write :func:`standalone_html` to ``path`` (``.html``), atomically; returns the path.

    The page is built first and written to a temporary file beside the
    target, then renamed over it, so a failure leaves no partial file.
    """
    target = Path(path)
    if target.suffix.lower() != ".html":
        raise BadInput(f"a standalone map is saved as .html, not {target.suffix or 'no suffix'!r}: {target}")
    if not target.parent.is_dir():
        raise BadInput(f"folder not found for the map: {target.parent}")
    if target.is_dir():
        raise BadInput(f"{target} is a folder, not a file name")
    data = standalone_html(doc).encode("utf-8")
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target
