"""Folium maps load every script, stylesheet and font from local files."""

from __future__ import annotations

import posixpath
import re
from typing import ClassVar

import folium
import pytest
from folium.elements import JSCSSMixin

from geoaccess.maps.offline_assets import (
    ASSETS,
    DROPPED,
    AssetError,
    offline_map,
    resolve,
    served_files,
)

PREFIX = "/vendor/"
LINK = re.compile(r'(?:src|href)\s*=\s*"([^"]*)"')
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


def _links(html: str) -> list[str]:
    return LINK.findall(html)


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_every_asset_resolves_to_a_local_file(name: str) -> None:
    path = resolve(name)
    assert path.is_file() and path.stat().st_size > 0, path


def test_every_folium_asset_is_local_or_deliberately_dropped() -> None:
    names = {n for n, _ in folium.Map.default_js + folium.Map.default_css}
    assert names == set(ASSETS) | DROPPED


def test_served_files_exist_and_include_every_asset() -> None:
    files = served_files()
    assert set(ASSETS.values()) <= set(files)
    for path in files.values():
        assert path.is_file() and path.stat().st_size > 0, path


def test_offline_map_links_only_local_files() -> None:
    fmap = offline_map(asset_prefix=PREFIX, location=(54.6, -3.0), zoom_start=8)
    folium.Marker((54.9, -2.9), icon=folium.Icon(icon="info-sign")).add_to(fmap)
    html = fmap.get_root().render()
    links = _links(html)
    assert links, "no script or stylesheet links rendered"
    for url in links:
        assert "://" not in url and not url.startswith("//"), url
        assert url.startswith(PREFIX) and url[len(PREFIX) :] in served_files(), url
    assert not re.search(r"https?://", html.replace("http-equiv", ""))


def test_plugin_links_are_rewritten_when_known() -> None:
    class Plugin(JSCSSMixin):
        default_js: ClassVar = [("leaflet", "https://cdn.example.org/leaflet.js")]
        default_css: ClassVar = [("leaflet_css", "https://cdn.example.org/leaflet.css")]

    fmap = offline_map(asset_prefix=PREFIX)
    fmap.add_child(Plugin())
    html = fmap.get_root().render()
    assert "example.org" not in html
    assert f'src="{PREFIX}leaflet/leaflet.js"' in html


def test_plugin_needing_an_unknown_cdn_file_fails_loudly() -> None:
    class Plugin(JSCSSMixin):
        default_js: ClassVar = [("mystery", "https://cdn.example.org/mystery.js")]

    fmap = offline_map(asset_prefix=PREFIX)
    fmap.add_child(Plugin())
    with pytest.raises(AssetError, match="mystery"):
        fmap.get_root().render()


@pytest.mark.parametrize("tiles", ["OpenStreetMap", "https://tile.example.org/{z}/{x}/{y}.png"])
def test_remote_tiles_are_refused(tiles: str) -> None:
    with pytest.raises(AssetError):
        offline_map(asset_prefix=PREFIX, tiles=tiles, attr="x")


def test_stylesheet_urls_resolve_to_served_files() -> None:
    """Font Awesome's ../webfonts, Leaflet's images/ and awesome-markers' images/ are served."""
    files = served_files()
    checked = 0
    for url_path, path in files.items():
        if not url_path.endswith(".css"):
            continue
        for ref in CSS_URL.findall(path.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#")):
                continue
            assert "://" not in ref, f"{url_path} fetches {ref}"
            target = posixpath.normpath(posixpath.join(posixpath.dirname(url_path), ref))
            assert target in files, f"{url_path} references {ref}, not served"
            checked += 1
    assert any(p.startswith("fontawesome/webfonts/") for p in files)
    assert checked >= 10
