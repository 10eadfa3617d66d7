"""Folium elements shared by the map renderers, all safe with untrusted text.

folium's ``Popup`` and ``Tooltip`` put their text in JavaScript template
literals, where ``${...}`` runs; nothing here does. Text reaches Leaflet only
as JSON strings (Jinja's ``tojson`` escapes ``<``, ``>``, ``&`` and quotes, so
they are also safe inside the page's ``<script>`` block), and callers
HTML-escape it first because Leaflet sets popups, tooltips and controls as
``innerHTML``.
"""

from __future__ import annotations

import re
from html import escape

import folium
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

CORNERS = ("topleft", "topright", "bottomleft", "bottomright")
_CSS_CLASS = re.compile(r"^[A-Za-z_][A-Za-z0-9_ -]*$")

#: GeoJSON ``onEachFeature`` handler binding each feature's ``ga_popup`` and
#: ``ga_tooltip`` properties (HTML already escaped by the caller).
BIND_FEATURE_TEXT = JsCode(
    "function(feature, layer) {"
    "var p = feature.properties || {};"
    "if (p.ga_popup != null) { layer.bindPopup(p.ga_popup, {maxWidth: 340}); }"
    "if (p.ga_tooltip != null) { layer.bindTooltip(p.ga_tooltip, {sticky: !layer.getLatLng}); }"
    "}"
)


class Call(MacroElement):
    """A JavaScript method call on the parent layer, with JSON-encoded arguments.

    Jinja's ``tojson`` escapes ``<``, ``>``, ``&`` and quotes, so the arguments
    are safe inside the page's ``<script>`` block.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}{{ this.member }}.{{ this.method }}("
        "{{ this.args|map('tojson')|join(', ') }});"
        "{% endmacro %}"
    )

    def __init__(self, method: str, *args: object, member: str = "") -> None:
        super().__init__()
        self._name = "Call"
        self.method = method
        self.args = args
        self.member = member  # e.g. ".attributionControl"


class HtmlControl(MacroElement):
    """A Leaflet control holding fixed HTML (the caller escapes any text in it).

    ``first`` puts it above the controls already in its corner (Leaflet
    appends top-corner controls below earlier ones, e.g. the zoom buttons).
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var c=L.control({position:'{{ this.position }}'});"
        "c.onAdd=function(){var d=L.DomUtil.create('div','{{ this.css_class }}');"
        "d.innerHTML={{ this.html|tojson }};"
        "{%- if this.quiet %}L.DomEvent.disableClickPropagation(d);L.DomEvent.disableScrollPropagation(d);"
        "{%- endif %}return d;};"
        "c.addTo({{ this._parent.get_name() }});"
        "{%- if this.first %}var k=c.getContainer(),p=k.parentNode;p.insertBefore(k,p.firstChild);"
        "{%- endif %}})();"
        "{% endmacro %}"
    )

    def __init__(
        self,
        html: str,
        *,
        position: str = "topleft",
        css_class: str = "ga-legend",
        first: bool = False,
        quiet: bool = False,
    ) -> None:
        super().__init__()
        if position not in CORNERS:
            raise ValueError(f"position must be one of {CORNERS}: {position!r}")
        if not _CSS_CLASS.match(css_class):
            raise ValueError(f"not a CSS class list: {css_class!r}")
        self._name = "Legend"
        self.html = html
        self.position = position
        self.css_class = css_class
        self.first = first
        self.quiet = quiet  # clicks and wheel turns on the control do not reach the map


class Legend(HtmlControl):
    """A legend control in the top-left corner (clear of the long attribution)."""

    def __init__(self, html: str) -> None:
        super().__init__(html)


class Labels(MacroElement):
    """Text labels (HTML-escaped here) at points, as non-interactive DivIcon markers.

    The positions and texts go into the page as one JSON array, so a layer of
    town names costs a few bytes per label rather than a folium Marker each.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this.items|tojson }}.forEach(function(t){"
        "L.marker([t[0],t[1]],{interactive:false,keyboard:false,"
        "icon:L.divIcon({className:'{{ this.css_class }}',iconSize:null,"
        "html:'<span>'+t[2]+'</span>'})}).addTo({{ this._parent.get_name() }});});"
        "{% endmacro %}"
    )

    def __init__(self, items: list[tuple[float, float, str]], *, css_class: str = "ga-label") -> None:
        super().__init__()
        if not _CSS_CLASS.match(css_class):
            raise ValueError(f"not a CSS class list: {css_class!r}")
        self._name = "Labels"
        self.items = [[round(lat, 6), round(lon, 6), escape(text)] for lat, lon, text in items]
        self.css_class = css_class


def set_attribution(fmap: folium.Map, text: str) -> None:
    """Put ``text`` (plain, escaped here) in the attribution control, prefixed "Leaflet" with no web link."""
    fmap.add_child(Call("setPrefix", "Leaflet", member=".attributionControl"))
    fmap.add_child(Call("addAttribution", escape(text), member=".attributionControl"))
