"""The manager's saved scenarios: kept per manager in the instance folder (no personal data).

Each manager's scenarios are one JSON list in ``<planner root>/scenarios/<user id>.json``, in the
scenario format of :mod:`geoaccess.analysis.scenarios` plus an ``id``. Changes are checked against the
loaded venues before they are saved, and a lock keeps concurrent edits from losing each other.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import abort, current_app

from geoaccess.analysis.scenarios import scenario_from_dict
from geoaccess.errors import BadInput
from geoaccess.venues import SESSION_SHAPE, session_fields

from . import background
from .views import loaded_venues

MAX_SCENARIOS = 30

_lock = threading.Lock()


def _scenario_file(owner_id: int) -> Path:
    folder = background.planner_root(current_app) / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{int(owner_id)}.json"


def load_scenarios(owner_id: int) -> list[dict[str, Any]]:
    """A manager's saved scenarios (none when the file is missing or unreadable)."""
    path = _scenario_file(owner_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


def _save_scenarios(owner_id: int, scenarios: list[dict[str, Any]]) -> None:
    path = _scenario_file(owner_id)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(scenarios, indent=1), encoding="utf-8")
    temp.replace(path)


def _find_scenario(scenarios: list[dict[str, Any]], scenario_id: str) -> dict[str, Any]:
    for scenario in scenarios:
        if scenario.get("id") == scenario_id:
            return scenario
    abort(404)


def _document(scenario: dict[str, Any]) -> dict[str, Any]:
    """The scenario JSON (scenarios.py format) of a saved scenario."""
    return {"name": scenario["name"], "programme": scenario["programme"], "venues": scenario["venues"]}


def _check(scenario: dict[str, Any]) -> None:
    scenario_from_dict(_document(scenario), loaded_venues())


def parse_sessions(text: str) -> list[dict[str, str]] | None:
    """``"Thu 18:00-20:30; Tue 10:00-12:30"`` -> session dicts; empty text -> None (registry sessions)."""
    parts = [part for part in re.split(r"[;,\n]+", text or "") if part.strip()]
    if not parts:
        return None
    sessions = []
    for number, part in enumerate(parts, start=1):
        fields = session_fields(part)
        if fields is None:
            raise BadInput(f"session {number} is not {SESSION_SHAPE}")
        sessions.append(fields)
    return sessions


def add_scenario(owner_id: int, scenario: dict[str, Any]) -> None:
    """Save a new scenario (:class:`BadInput` when the manager already has :data:`MAX_SCENARIOS`)."""
    with _lock:
        scenarios = load_scenarios(owner_id)
        if len(scenarios) >= MAX_SCENARIOS:
            raise BadInput(f"At most {MAX_SCENARIOS} scenarios: delete one first.")
        scenarios.append(scenario)
        _save_scenarios(owner_id, scenarios)


def delete_scenario(owner_id: int, scenario_id: str) -> dict[str, Any]:
    """Delete a saved scenario (404 when there is none) and return it."""
    with _lock:
        scenarios = load_scenarios(owner_id)
        scenario = _find_scenario(scenarios, scenario_id)
        scenarios.remove(scenario)
        _save_scenarios(owner_id, scenarios)
    return scenario


def edit_scenario(owner_id: int, scenario_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``change(scenario)`` to a saved scenario (404 when there is none) and save the result if it is a
    valid scenario; return it. A :class:`BadInput` from ``change`` or the check leaves the scenario as it was."""
    with _lock:
        scenarios = load_scenarios(owner_id)
        scenario = _find_scenario(scenarios, scenario_id)
        edited: dict[str, Any] = json.loads(json.dumps(scenario))
        change(edited)
        _check(edited)
        scenarios[scenarios.index(scenario)] = edited
        _save_scenarios(owner_id, scenarios)
    return edited


def scenario_choice(value: str, saved: list[dict[str, Any]]) -> dict[str, Any]:
    """A job's scenario from the form's choice: ``today:<programme>`` or ``saved:<scenario id>``."""
    if value.startswith("today:"):
        return {"today": value.split(":", 1)[1]}
    if value.startswith("saved:"):
        for scenario in saved:
            if scenario["id"] == value.split(":", 1)[1]:
                return _document(scenario)
    raise BadInput("choose a scenario from the list")


def scenario_views(saved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Saved scenarios with each venue's name and session labels, for the page."""
    by_id = {v.id: v for v in loaded_venues()}
    views = []
    for scenario in saved:
        rows = []
        for item in scenario["venues"]:
            venue = by_id.get(item.get("id"))
            if item.get("sessions") is not None:
                sessions = "; ".join(f"{s['day']} {s['start']}-{s['end']}" for s in item["sessions"])
            elif venue is not None:
                sessions = (
                    "; ".join(
                        s.label() for p in venue.programmes if p.code == scenario["programme"] for s in p.sessions
                    )
                    + " (registry)"
                )
            else:
                sessions = ""
            rows.append(
                {
                    "name": venue.name if venue else item.get("name", "new venue"),
                    "id": item.get("id") or "new venue",
                    "where": venue.town if venue else f"{float(item['lat']):.4f}, {float(item['lon']):.4f}",
                    "sessions": sessions,
                    "new": venue is None,
                }
            )
        views.append({**scenario, "rows": rows})
    return views
