"""Compare venue scenarios: their measures side by side, the change against the first, and who
gains or loses, as counts by district (never a list of people)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geoaccess.analysis.measures import DEFAULT_SETTINGS, Settings, by_area, person_measures, summarise
from geoaccess.analysis.scenarios import Scenario
from geoaccess.roads.router import Router
from geoaccess.transit.planner import Planner

FASTER_MIN = 10
"""A change of public transport time counted as a gain or loss (minutes)."""


def compare_scenarios(
    scenarios: list[Scenario],
    people: pd.DataFrame,
    car: Router,
    planner: Planner,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """Measures of each scenario for the people needing its programme, and changes against the first."""
    programme = scenarios[0].programme
    group = people[people["requirement"] == programme]
    measured = [person_measures(group, scenario, car, planner, settings) for scenario in scenarios]
    return compare_measured(scenarios, measured, settings)


def compare_measured(
    scenarios: list[Scenario], measured: list[pd.DataFrame], settings: Settings = DEFAULT_SETTINGS
) -> dict[str, Any]:
    """Side-by-side measures and changes against the first, from each scenario's per-person measures."""
    programme = scenarios[0].programme
    entries: list[dict[str, Any]] = [
        {
            "name": s.name,
            "scenario": s.to_dict(),
            "overall": summarise(m, settings),
            "by_district": by_area(m, "district", settings),
        }
        for s, m in zip(scenarios, measured, strict=True)
    ]
    baseline: dict[str, Any] = entries[0]["overall"]
    changes = []
    for entry, measures in zip(entries[1:], measured[1:], strict=True):
        delta = {
            key: round(value - baseline[key], 3)
            for key, value in entry["overall"].items()
            if isinstance(value, int | float) and isinstance(baseline.get(key), int | float)
        }
        changes.append(
            {
                "name": entry["name"],
                "against": entries[0]["name"],
                "overall_change": delta,
                "gains_and_losses_by_district": _gains(measured[0], measures, settings),
            }
        )
    return {
        "programme": programme,
        "people": len(measured[0]),
        "settings": settings.to_dict(),
        "scenarios": entries,
        "changes": changes,
    }


def _gains(before: pd.DataFrame, after: pd.DataFrame, settings: Settings) -> list[dict[str, Any]]:
    """Per district: people who gain or lose a way there and back, two-hour burdens, or transit time."""
    over = "outbound_over_120|return_over_120"
    was_over, now_over = before["rt_flags"].str.contains(over), after["rt_flags"].str.contains(over)
    change = pd.DataFrame(
        {
            "district": before["district"],
            "gain_round_trip": ~before["rt_feasible"] & after["rt_feasible"],
            "lose_round_trip": before["rt_feasible"] & ~after["rt_feasible"],
            "no_longer_over_120": was_over & ~now_over,
            "newly_over_120": ~was_over & now_over,
            "pt_faster_10_min": (before["pt_minutes"] - after["pt_minutes"]) >= FASTER_MIN,
            "pt_slower_10_min": (after["pt_minutes"] - before["pt_minutes"]) >= FASTER_MIN,
        }
    )
    rows = []
    for district, counts in change.groupby("district").sum().iterrows():
        rows.append(
            {
                "district": district,
                **{key: _suppressed(int(value), settings.suppress_below) for key, value in counts.items()},
            }
        )
    return rows


def _suppressed(count: int, below: int) -> int | str:
    """Counts from 1 to ``below - 1`` are shown as ``"<below>"``, so no small group can be singled out."""
    return f"<{below}" if 0 < count < below else count
