"""The data every journey, round trip, map, measure and job of the app is computed on: one
:class:`~geoaccess.transit.sources.DataChoice`, checked and loaded at start-up and shared by every request
thread and background job.

Settings (app config, each defaulting to an environment variable):

``DATA_NETWORK`` (``GEOACCESS_NETWORK``)
    A folder from ``geoaccess network build``, holding its car (``drive``) and ``walk`` networks.
``DATA_GTFS`` (``GEOACCESS_GTFS``)
    GTFS feeds (zips or folders): a list of paths, or one string of paths separated by ``os.pathsep``.
``DATA_CIF`` (``GEOACCESS_CIF``)
    ATOC CIF rail timetable files, given the same way.
``DATA_WARM`` (default on)
    Load the networks and timetable in ``create_app``, so the first request does not wait; when off they
    load on first use, once, under a lock.

With none of the first three, the pack's modelled networks and timetable are used. A path that does not
exist, or a network folder without a built car and walk network, stops start-up with a one-line
:class:`~geoaccess.errors.BadInput` naming it. The choice holds the default walk limit and transfer cap; a
request that sets its own derives them from it with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask, current_app

from geoaccess.errors import BadInput
from geoaccess.roads.sources import network_folder
from geoaccess.services.engines import analysis_provenance, describe
from geoaccess.transit.sources import DataChoice

EXTENSION = "geoaccess.data"
SETTINGS = {"DATA_NETWORK": "GEOACCESS_NETWORK", "DATA_GTFS": "GEOACCESS_GTFS", "DATA_CIF": "GEOACCESS_CIF"}
"""App config key -> the environment variable it defaults to."""
COVERED_MODES = ("car", "walk", "transit")

_LOADING = threading.Lock()
"""Held while the app's data warms up (routers, planner, stop indexes), so it is warmed once; each part is
also loaded once per process by :mod:`geoaccess.loaded_once`."""


class DataInUse:
    """The app's data choice, loaded once per process."""

    def __init__(self, choice: DataChoice) -> None:
        self.base = choice
        self._loaded = False

    def loaded(self) -> DataChoice:
        """The choice, its networks, timetable and coverage indexes loaded (by the first caller, the others
        waiting for it)."""
        if not self._loaded:
            with _LOADING:
                if not self._loaded:
                    load(self.base)
                    self._loaded = True
        return self.base


def init_app(app: Flask) -> None:
    """Check the data settings (a bad path stops start-up), and load the data unless ``DATA_WARM`` is off."""
    for key, variable in SETTINGS.items():
        app.config.setdefault(key, os.environ.get(variable) or None)
    app.config.setdefault("DATA_WARM", True)
    in_use = DataInUse(checked_choice(app.config["DATA_NETWORK"], app.config["DATA_GTFS"], app.config["DATA_CIF"]))
    app.extensions[EXTENSION] = in_use
    if app.config["DATA_WARM"]:
        in_use.loaded()


def data_choice(app: Flask | None = None) -> DataChoice:
    """The data ``app`` (default: the current one) computes on, loaded."""
    in_use: DataInUse = (app or current_app).extensions[EXTENSION]
    return in_use.loaded()


def quoted_provenance(choice: DataChoice) -> dict[str, Any]:
    """The car network, timetable and the walks to and from stops of ``choice``, as results quote them."""
    return analysis_provenance(choice.router("car"), choice.planner(), date.today())  # its date is not quoted


def data_line(app: Flask) -> str:
    """The data ``app`` computes on, in one line (for the server's start-up message)."""
    return describe(quoted_provenance(data_choice(app)))


def checked_choice(network: Any, gtfs: Any, cif: Any) -> DataChoice:
    """The :class:`DataChoice` of these settings (a path, a list of paths or an ``os.pathsep``-separated
    string; empty for none), with absolute paths, each checked to exist."""
    feeds = tuple(_existing(path, "GTFS feed") for path in _paths(gtfs))
    rail = tuple(_existing(path, "CIF file", kind="file") for path in _paths(cif))
    folders = _paths(network)
    if len(folders) > 1:
        raise BadInput(f"give one road network folder, not {len(folders)}: {', '.join(map(str, folders))}")
    built = _network(folders[0]) if folders else None
    return DataChoice(gtfs=feeds, cif=rail, network=built)


def load(choice: DataChoice) -> None:
    """Load the car and walk routers, the planner and what checks coverage, so that later calls find them
    cached (``router_for``, ``planner_for``: once per process)."""
    choice.planner()
    nowhere = np.empty(0)
    for mode in COVERED_MODES:
        reaches, _ = choice.coverage(mode)  # car and walk load their routers here
        reaches(nowhere, nowhere)  # and their spatial indexes (the feeds' stop index for transit)


def _paths(value: Any) -> tuple[Path, ...]:
    if not value:
        return ()
    parts: Iterable[Any] = str(value).split(os.pathsep) if isinstance(value, str | os.PathLike) else value
    return tuple(Path(str(part).strip()).expanduser() for part in parts if str(part).strip())


def _existing(path: Path, what: str, *, kind: str | None = None) -> Path:
    """``path`` made absolute, or a one-line error naming it: missing, or not a ``file`` or ``folder``."""
    if not path.exists():
        raise BadInput(f"the {what} {path} does not exist")
    if (kind == "file" and not path.is_file()) or (kind == "folder" and not path.is_dir()):
        raise BadInput(f"the {what} {path} is not a {kind}")
    return path.resolve()


def _network(path: Path) -> Path:
    """A built network folder (car and walk networks under it), or a one-line error naming it."""
    folder = _existing(path, "road network folder", kind="folder")
    for mode in ("car", "walk"):
        network_folder(mode, folder)  # names the folder and what is missing from it
    return folder
