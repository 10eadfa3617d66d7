"""Folium maps that work offline: local assets, no tile servers."""

from geoaccess.maps.offline_assets import offline_map, resolve, served_files
from geoaccess.maps.venue_map import venue_map

__all__ = ["offline_map", "resolve", "served_files", "venue_map"]
