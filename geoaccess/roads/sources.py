"""Which road network to route on: the pack's offline proxy, or a real one built from OSM."""

from __future__ import annotations

from pathlib import Path

from geoaccess.errors import BadInput
from geoaccess.loaded_once import loaded_once
from geoaccess.pack import load_pack
from geoaccess.roads.network import META_NAME, MODES, RoadNetwork
from geoaccess.roads.router import Router

TRAVEL_MODES = {"car": "drive", "walk": "walk"}
"""User-facing mode -> network mode."""


def network_mode(mode: str) -> str:
    """``car`` or ``walk`` (or the network names ``drive``/``walk``) -> the network mode."""
    if mode in TRAVEL_MODES:
        return TRAVEL_MODES[mode]
    if mode in MODES:
        return mode
    raise BadInput(f"mode {mode!r} is not one of {', '.join(TRAVEL_MODES)}")


def network_folder(mode: str, path: Path | None = None) -> Path:
    """Folder of the network for ``mode``: under ``path`` (built by ``geoaccess network build``)
    or, by default, the pack's proxy."""
    mode = network_mode(mode)
    if path is None:
        return load_pack().path / "roads" / f"proxy-{mode}"
    path = Path(path)
    if (path / META_NAME).is_file():
        return path
    if (path / mode / META_NAME).is_file():
        return path / mode
    raise BadInput(
        f"no {mode} network in {path}: expected {path / mode / META_NAME} "
        "(build one with `geoaccess network build --osm FILE`)"
    )


@loaded_once(maxsize=8)
def _router_at(folder: Path) -> Router:
    return Router(RoadNetwork.load(folder))


def router_for(mode: str, path: Path | None = None) -> Router:
    """A router on the chosen network, loaded once per process."""
    return _router_at(network_folder(mode, path).resolve())
