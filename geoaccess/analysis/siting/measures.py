"""Values of a selection of sites: each person's best cost, the objectives and the accessibility measures.

A person is served by their cheapest selected site. A person no selected site reaches, or
reaches only in more than :data:`UNREACHABLE_PENALTY_MIN` minutes, is charged that penalty
in the p-median objective, so the mean stays finite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from geoaccess.defaults import LONG_JOURNEY_MIN, SITING_OBJECTIVES, THRESHOLDS_MIN
from geoaccess.errors import BadInput

UNREACHABLE_PENALTY_MIN = 600.0
"""Minutes charged in the p-median objective to a person no selected site reaches (or reaches
only in more than this many minutes): 10 hours, "no way to attend"."""


def best_cost(cost: np.ndarray, selected: Sequence[int]) -> npt.NDArray[np.float64]:
    """Each demand point's minimum cost over ``selected`` (``inf`` when none reaches it)."""
    cost = np.asarray(cost, dtype=float)
    if len(selected) == 0:
        return np.full(cost.shape[0], np.inf)
    best: npt.NDArray[np.float64] = cost[:, list(selected)].min(axis=1)
    return best


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value at which the weight at or below it reaches half the total."""
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if len(values) == 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    at = int(np.searchsorted(cumulative, cumulative[-1] / 2.0, side="left"))
    return float(values[order][min(at, len(values) - 1)])


def measures(
    cost: np.ndarray, weights: np.ndarray, selected: Sequence[int], threshold: float = LONG_JOURNEY_MIN
) -> dict[str, float | None]:
    """Accessibility measures of a selection.

    ``mean_minutes`` is the weighted mean of the minimum cost over the people who
    can reach a selected site (None if nobody can); ``mean_minutes_penalised``
    charges the others :data:`UNREACHABLE_PENALTY_MIN` (the p-median objective);
    ``median_minutes`` is the weighted median over everyone (``inf`` when more
    than half cannot reach). Shares are of the total weight.
    """
    weights = np.asarray(weights, dtype=float)
    best = best_cost(cost, selected)
    total = float(weights.sum())
    reach = np.isfinite(best)
    reach_weight = float(weights[reach].sum())
    out: dict[str, float | None] = {
        "weight_total": total,
        "mean_minutes": float(weights[reach] @ best[reach] / reach_weight) if reach_weight > 0 else None,
        "mean_minutes_penalised": float(weights @ np.minimum(best, UNREACHABLE_PENALTY_MIN) / total),
        "median_minutes": weighted_median(best, weights),
    }
    for minutes in THRESHOLDS_MIN:
        out[f"share_within_{minutes}"] = float(weights[best <= minutes].sum() / total)
    within = float(weights[best <= threshold].sum())
    out["threshold_minutes"] = float(threshold)
    out["weight_within_threshold"] = within
    out["weight_over_threshold"] = total - within
    out["share_over_threshold"] = (total - within) / total
    out["weight_unreachable"] = total - reach_weight
    return out


def objective_value(
    cost: np.ndarray, weights: np.ndarray, selected: Sequence[int], objective: str, threshold: float = LONG_JOURNEY_MIN
) -> float:
    """The value of ``objective`` for a selection, as ``solve`` reports it."""
    weights = np.asarray(weights, dtype=float)
    best = best_cost(cost, selected)
    if objective == "pmedian":
        return float(weights @ np.minimum(best, UNREACHABLE_PENALTY_MIN) / weights.sum())
    covered = float(weights[best <= threshold].sum())
    if objective == "mclp":
        return covered
    if objective == "over120":
        return float(weights.sum()) - covered
    raise BadInput(f"objective {objective!r} is not one of {', '.join(SITING_OBJECTIVES)}")
