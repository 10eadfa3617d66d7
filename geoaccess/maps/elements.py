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
_JS_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")

#: GeoJSON ``onEachFeature`` handler binding each feature's ``ga_popup`` and
#: ``ga_tooltip`` properties (HTML already escaped by the caller).
BIND_FEATURE_TEXT = JsCode(
    "function(feature, layer) {"
    "var p = feature.properties || {};"
    "if (p.ga_popup != null) { layer.bindPopup(p.ga_popup, {maxWidth: 340}); }"
    "if (p.ga_tooltip != null) { layer.bindTooltip(p.ga_tooltip, {sticky: !layer.getLatLng}); }"
    "var said = p.ga_tooltip != null ? p.ga_tooltip : p.ga_popup;"
    "if (layer.setIcon && said != null) {"  # a pin is a button in the tab order: its name is its text
    "var box = document.createElement('div'); box.innerHTML = said;"
    "layer.options.title = layer.options.alt = box.textContent.replace(/\\s+/g, ' ').trim(); }"
    "}"
)
"""Each feature's popup and tooltip; a pin (a keyboard-focusable marker) also named by its text, for screen
readers and on hover."""


class _Macro(MacroElement):
    """branca's ``MacroElement`` named ``name``, with a typed constructor for the elements below."""

    def __init__(self, name: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement.__init__ has no annotations
        self._name = name


class Call(_Macro):
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
        super().__init__("Call")
        self.method = method
        self.args = args
        self.member = member  # e.g. ".attributionControl"


class HtmlControl(_Macro):
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
        super().__init__("Legend")
        if position not in CORNERS:
            raise ValueError(f"position must be one of {CORNERS}: {position!r}")
        if not _CSS_CLASS.match(css_class):
            raise ValueError(f"not a CSS class list: {css_class!r}")
        self.html = html
        self.position = position
        self.css_class = css_class
        self.first = first
        self.quiet = quiet  # clicks and wheel turns on the control do not reach the map


class Labels(_Macro):
    """Text labels (HTML-escaped here) at points, as non-interactive DivIcon markers above every other marker.

    The positions and texts go into the page as one JSON array, so a layer of
    town names costs a few bytes per label rather than a folium Marker each.
    The markers are gathered in a layer group named by :meth:`get_name`.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }}=L.layerGroup().addTo({{ this._parent.get_name() }});"
        "{{ this.items|tojson }}.forEach(function(t){"
        "L.marker([t[0],t[1]],{interactive:false,keyboard:false,zIndexOffset:1000,"
        "icon:L.divIcon({className:'{{ this.css_class }}',iconSize:null,"
        "html:'<span>'+t[2]+'</span>'})}).addTo({{ this.get_name() }});});"
        "{% endmacro %}"
    )

    def __init__(self, items: list[tuple[float, float, str]], *, css_class: str = "ga-label") -> None:
        super().__init__("Labels")
        if not _CSS_CLASS.match(css_class):
            raise ValueError(f"not a CSS class list: {css_class!r}")
        self.items = [[round(lat, 6), round(lon, 6), escape(text)] for lat, lon, text in items]
        self.css_class = css_class


class Declutter(_Macro):
    """Pins that would overlap on screen spread out, and labels moved clear of pins, at every zoom.

    Each entry of ``pins`` is the JavaScript names of the GeoJSON layers holding
    one map layer's pins (DivIcon markers) and their radius in pixels. Within a
    layer, pins that would overlap are grouped, and each group's pins sit on a
    ring around the group's centre just wide enough that neighbours are ``gap``
    apart (a ring that then overlaps another pin joins its group, until none
    overlaps); then every label in ``labels`` (:class:`Labels` groups) that would
    cover a pin moves to the pin's right. It runs again whenever the map is
    zoomed or the layer control shows or hides a layer. The PNG/PDF renderer lays
    pins and labels out by the same rules, once, at its fixed scale.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){"
        "var map={{ this._parent.get_name() }},gap={{ this.gap|tojson }},"
        "pinLayers=[{% for names, radius in this.pins %}[[{{ names|join(',') }}],{{ radius|tojson }}],{% endfor %}],"
        "labelGroups=[{{ this.labels|join(',') }}];"
        "function spread(names,r,discs){"
        "var pins=[];"
        "names.forEach(function(g){g.eachLayer(function(m){if(map.hasLayer(m)&&m.getElement()){"
        "pins.push({m:m,p:map.latLngToContainerPoint(m.getLatLng())});}});});"
        "var up=pins.map(function(_,i){return i;}),at=pins.map(function(pin){return pin.p;}),merged=true;"
        "function find(i){while(up[i]!==i){up[i]=up[up[i]];i=up[i];}return i;}"
        "while(merged){merged=false;"
        "for(var i=0;i<at.length;i++){for(var j=0;j<i;j++){"
        "if(find(i)!==find(j)&&at[i].distanceTo(at[j])<2*r+gap){up[find(i)]=find(j);merged=true;}}}"
        "var groups={};"
        "pins.forEach(function(pin,i){var k=find(i);(groups[k]=groups[k]||[]).push(i);});"
        "Object.keys(groups).forEach(function(k){"
        "var g=groups[k],n=g.length,cx=0,cy=0;if(n<2){return;}var ring=(r+gap/2)/Math.sin(Math.PI/n);"
        "g.forEach(function(i){cx+=pins[i].p.x/n;cy+=pins[i].p.y/n;});"
        "g.forEach(function(i,k){var a=2*Math.PI*k/n;at[i]=L.point(cx+ring*Math.cos(a),cy+ring*Math.sin(a));});});}"
        "pins.forEach(function(pin,i){var e=pin.m.getElement();"
        "e.style.marginLeft=(at[i].x-pin.p.x-r)+'px';e.style.marginTop=(at[i].y-pin.p.y-r)+'px';"
        "discs.push([at[i].x,at[i].y,r+1]);});}"
        "function clear(discs){"
        "var box=map.getContainer().getBoundingClientRect();"
        "labelGroups.forEach(function(group){group.eachLayer(function(m){"
        "var e=m.getElement();if(!e||!e.firstChild){return;}"
        "e.style.marginLeft='';"
        "var t=e.firstChild.getBoundingClientRect(),x0=t.left-box.left,x=x0,y=(t.top+t.bottom)/2-box.top,moved=true;"
        "while(moved){moved=false;discs.forEach(function(d){"
        "if(Math.abs(d[1]-y)<d[2]+t.height/2&&d[0]-d[2]<x+t.width&&x<d[0]+d[2]+1){x=d[0]+d[2]+2;moved=true;}});}"
        "e.style.marginLeft=(x-x0)+'px';});});}"
        "function layout(){var discs=[];"
        "pinLayers.forEach(function(l){spread(l[0],l[1],discs);});clear(discs);}"
        "map.on('zoomend overlayadd overlayremove',layout);map.whenReady(layout);"
        "})();"
        "{% endmacro %}"
    )

    def __init__(self, pins: list[tuple[list[str], float]], labels: list[str], *, gap: float) -> None:
        super().__init__("Declutter")
        names = [name for layer_names, _ in pins for name in layer_names] + labels
        if not all(_JS_NAME.match(name) for name in names):
            raise ValueError(f"not JavaScript variable names: {names!r}")
        self.pins = pins
        self.labels = labels
        self.gap = gap


def set_attribution(fmap: folium.Map, text: str) -> None:
    """Put ``text`` (plain, escaped here) in the attribution control, prefixed "Leaflet" with no web link."""
    fmap.add_child(Call("setPrefix", "Leaflet", member=".attributionControl"))
    fmap.add_child(Call("addAttribution", escape(text), member=".attributionControl"))
