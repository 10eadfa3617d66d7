"""The planner's kinds of background job: caseload measures, scenario comparison and siting, with their maps.

Each runs the same use case as the command line (:mod:`geoaccess.services.analysis`). A job stores
aggregates only: overall measures, by district and by LSOA (areas with fewer than ``suppress_below``
people suppressed), gains and losses by district, siting choices. Maps are rendered from people
aggregated to 10 km hexagons (small counts suppressed) and saved beside the job as the planner's
page, standalone HTML, PNG and PDF; no list of homes is ever stored.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from geoaccess.analysis.measures import Settings
from geoaccess.defaults import SUPPRESS_BELOW
from geoaccess.errors import BadInput
from geoaccess.maps.document import MapDocument
from geoaccess.maps.interactive import interactive_html
from geoaccess.services.analysis import (
    Analysis,
    SitingRequest,
    check_scenario_count,
    compare,
    measure_scenarios,
    plan_siting,
    same_programme,
    scenarios_from_documents,
    site,
)
from geoaccess.services.maps import burden_document, change_document, export_map

from .data import data_choice
from .uploads import load_caseload
from .views import loaded_venues

Progress = Callable[[float, str], None]
Runner = Callable[[Flask, dict[str, Any], int, Progress, Path], dict[str, Any]]
ASSET_PLACEHOLDER = "__GEOACCESS_ASSETS__/"
"""Stands in for the vendored-asset URL prefix in saved map pages; replaced when served."""
MAP_FORMATS = ("html", "png", "pdf")
MOST_SITES = 5
"""A siting job adds at most this many venues."""


def _analysis(app: Flask) -> Analysis:
    """The app's data (:func:`~geoaccess.web.data.data_choice`) with its suppression count
    (``PLANNER_SUPPRESS_BELOW``)."""
    settings = Settings(suppress_below=int(app.config.get("PLANNER_SUPPRESS_BELOW", SUPPRESS_BELOW)))
    return Analysis(settings=settings, data=data_choice(app))


def save_map(doc: MapDocument, folder: Path, key: str) -> dict[str, Any]:
    """Write a map as the page shown in the planner's iframe, standalone HTML, PNG and PDF."""
    frame = interactive_html(doc, asset_prefix=ASSET_PLACEHOLDER)
    (folder / f"{key}.frame.html").write_text(frame, encoding="utf-8")
    for fmt in MAP_FORMATS:
        export_map(doc, folder / f"{key}.{fmt}")
    return {"key": key, "title": doc.title, "subtitle": doc.subtitle}


def run_measures(app: Flask, params: dict[str, Any], owner_id: int, progress: Progress, folder: Path) -> dict[str, Any]:
    """Measures of one or more scenarios of a programme, with a burden map for each."""
    progress(0.02, "loading the caseload and networks")
    people = load_caseload(app, str(params.get("caseload", "")), owner_id)
    analysis = _analysis(app)
    documents = params.get("scenarios") or [{"today": params.get("programme", "")}]
    scenarios = scenarios_from_documents(documents, loaded_venues(app))
    programme = same_programme(scenarios)
    entries, maps, steps = [], [], 2 * len(scenarios)
    for index, scenario in enumerate(scenarios):
        progress((2 * index + 0.1) / steps, f"measuring {scenario.name}")
        measured = measure_scenarios(people=people, scenarios=[scenario], analysis=analysis)[0]
        entries.append(measured.summary(analysis.settings))
        progress((2 * index + 1) / steps, f"drawing the map of {scenario.name}")
        doc = burden_document(measured, people=people, analysis=analysis)
        maps.append(save_map(doc, folder, f"burden-{index}"))
    return {
        "kind": "measures",
        "programme": programme,
        "people": len(people.needing(programme)),
        "caseload": people.label,
        "synthetic": people.synthetic,
        "settings": analysis.settings.to_dict(),
        "provenance": analysis.provenance(people),
        "scenarios": entries,
        "maps": maps,
    }


def run_compare(app: Flask, params: dict[str, Any], owner_id: int, progress: Progress, folder: Path) -> dict[str, Any]:
    """Two or more scenarios side by side, changes against the first, gains and losses by district, and a
    map of the change for each against the first."""
    documents = params.get("scenarios") or []
    check_scenario_count(len(documents))
    progress(0.02, "loading the caseload and networks")
    people = load_caseload(app, str(params.get("caseload", "")), owner_id)
    analysis = _analysis(app)
    scenarios = scenarios_from_documents(documents, loaded_venues(app))
    progress(0.1, f"measuring {len(scenarios)} scenarios")
    result, measured = compare(people=people, scenarios=scenarios, analysis=analysis)
    maps = []
    for index, after in enumerate(measured[1:], start=1):
        progress(0.5 + 0.5 * (index - 1) / len(measured), f"drawing the map of {after.scenario.name}")
        doc = change_document(measured[0], after, people=people, analysis=analysis)
        maps.append(save_map(doc, folder, f"change-{index}"))
    return {**result, "kind": "compare", "caseload": people.label, "maps": maps}


def run_site(app: Flask, params: dict[str, Any], owner_id: int, progress: Progress, folder: Path) -> dict[str, Any]:
    """Choose ``p`` venues to add to the kept ones (as ``geoaccess site``), and map the change."""
    progress(0.02, "loading the caseload and networks")
    people = load_caseload(app, str(params.get("caseload", "")), owner_id)
    analysis = _analysis(app)
    fields = {key: params[key] for key in SitingRequest.__dataclass_fields__ if params.get(key) is not None}
    fields["keep"] = tuple(fields.get("keep", ()))
    try:
        request = SitingRequest(**fields)
    except TypeError as exc:
        raise BadInput("the siting job's parameters are not a siting request") from exc
    plan = plan_siting(request, venues=loaded_venues(app), most_p=MOST_SITES)
    progress(0.1, f"timing {len(plan.candidates)} candidate venues and choosing {request.p}")
    result, measured = site(people=people, plan=plan, analysis=analysis, measure_change=True)
    progress(0.9, "drawing the map")
    doc = change_document(measured[0], measured[1], people=people, analysis=analysis)
    return {**result, "kind": "site", "caseload": people.label, "maps": [save_map(doc, folder, "site-1")]}


RUNNERS: dict[str, Runner] = {"measures": run_measures, "compare": run_compare, "site": run_site}
"""Job kind -> what runs it."""
KINDS = tuple(RUNNERS)
