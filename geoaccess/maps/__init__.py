"""Maps that work offline: :mod:`~geoaccess.maps.builders` make a :class:`~geoaccess.maps.document.MapDocument`,
:mod:`~geoaccess.maps.interactive` draws it with Folium (local assets, no tile servers) and
:mod:`~geoaccess.maps.static` as a PNG or PDF page."""

from geoaccess.maps.offline_assets import offline_map, resolve, served_files

__all__ = ["offline_map", "resolve", "served_files"]
