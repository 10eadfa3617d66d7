"""The admin's "Data in use" page (``/admin/data``): the car network, the walk network and the timetable every
result of this server is computed on (:mod:`geoaccess.web.data`), each with its source, dates, whether it is
modelled, the files it was loaded from and, for the car network, how its minutes are calibrated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template

from geoaccess.pack import load_pack
from geoaccess.roads.journeys import network_provenance
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.sources import network_folder
from geoaccess.services.engines import calibration_error, describe
from geoaccess.transit.sources import DataChoice

from .auth import login_required
from .data import data_choice, quoted_provenance

bp = Blueprint("admin_data", __name__, url_prefix="/admin/data")


@dataclass(frozen=True)
class SourceFile:
    """A file or folder data was loaded from, with its size and when it last changed."""

    path: str
    modified: str
    size: str

    @classmethod
    def of(cls, path: Path) -> SourceFile:
        """``path`` as it is on disk now (a folder: its files added up; its newest change)."""
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        stats = [p.stat() for p in files]
        newest = max((s.st_mtime for s in stats), default=path.stat().st_mtime)
        changed = datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return cls(str(path), changed, _size(sum(s.st_size for s in stats)))


@dataclass(frozen=True)
class DataPart:
    """One network or timetable: a one-line summary, labelled facts, whether modelled, its files."""

    title: str
    summary: str
    facts: list[tuple[str, str]]
    modelled: bool
    files: list[SourceFile]


def init_app(app: Flask) -> None:
    """Register the page."""
    app.register_blueprint(bp)


@bp.get("")
@login_required("admin")
def page() -> Response:
    """The networks and timetable in use, as results quote them, and the files behind them."""
    choice = data_choice()
    quoted = quoted_provenance(choice)
    parts = [
        _network_part("Car network", choice, "car"),
        _network_part("Walk network", choice, "walk"),
        _timetable_part(choice, quoted),
    ]
    response = current_app.make_response(
        render_template("admin_data.html", parts=parts, quoted=describe(quoted), own_data=choice.own_data)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _network_part(title: str, choice: DataChoice, mode: str) -> DataPart:
    network: RoadNetwork = choice.router(mode).network
    summary = network_provenance(network)
    facts = [
        ("Network", str(summary.get("network", ""))),
        ("Source", str(summary.get("source", ""))),
        ("Data date", str(summary.get("date", "not known"))),
        *_optional(network.provenance, ("built", "Built"), ("sha256", "SHA-256 of the sources")),
        ("Modelled", "yes" if summary.get("modelled") else "no"),
    ]
    calibration = _calibration(summary)
    if calibration:
        facts.append(("Calibration", calibration))
    folder = network_folder(mode, choice.network)
    return DataPart(title, network.describe(), facts, bool(summary.get("modelled")), [SourceFile.of(folder)])


def _calibration(summary: dict[str, Any]) -> str:
    """How a network's printed minutes are calibrated and their measured error, else its note (if any)."""
    calibration = summary.get("calibration")
    if calibration:
        return (
            f"{calibration.get('relation')}; {calibration_error(calibration)} "
            f"({calibration.get('measured_on', 'measured')})"
        )
    return str(summary.get("note", ""))


def _timetable_part(choice: DataChoice, quoted: dict[str, Any]) -> DataPart:
    provenance = choice.planner().timetable.provenance
    table = quoted["timetable"]
    facts = [
        ("Timetable", str(table.get("timetable", ""))),
        ("Source", str(table.get("source", ""))),
        *_optional(provenance, ("publisher", "Publisher"), ("sha256", "SHA-256 of the feeds")),
        ("Runs", f"{table.get('valid_from') or 'not known'} to {table.get('valid_to') or 'not known'}"),
        ("Modelled", "yes" if table.get("modelled") else "no"),
        ("Walks to and from stops", describe({"walk_network": quoted["walk_network"]})),
    ]
    paths = [*choice.gtfs, *choice.cif] if choice.gtfs or choice.cif else [load_pack().path / "timetable"]
    return DataPart(
        "Timetable",
        describe({"timetable": table}),
        facts,
        bool(table.get("modelled")),
        [SourceFile.of(Path(path)) for path in paths],
    )


def _optional(provenance: dict[str, Any], *keys: tuple[str, str]) -> list[tuple[str, str]]:
    """(label, value) for each key present in ``provenance``."""
    return [(label, str(provenance[key])) for key, label in keys if provenance.get(key)]


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    return f"{count / 1024:,.1f} KB" if count < 1024**2 else f"{count / 1024**2:,.1f} MB"
