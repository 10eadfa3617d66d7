"""Venue siting: choose ``p`` new venues from candidates, keeping some sites fixed.

A siting problem is a cost matrix ``cost`` of shape (demand points x candidate
sites) in minutes, ``np.inf`` where a demand point cannot reach a candidate,
and ``weights``, the people at each demand point. :func:`solve` chooses ``p``
candidates **in addition to** the kept ones (``keep``), so "keep Carlisle and
Preston and add the best two" is ``p=2, keep=[carlisle, preston]``. Every
person is served by their cheapest selected site. The objectives:

``pmedian``
    Minimise the weighted mean of each person's minimum cost (minutes). A
    person no selected site reaches, or reaches only in more than
    :data:`~geoaccess.analysis.siting.measures.UNREACHABLE_PENALTY_MIN` minutes, is charged
    that penalty (10 hours: "no way to attend"), so an unreachable person always weighs more
    than a reachable one and the mean stays finite. The value reported is that mean.
``mclp``
    Maximal coverage: maximise the people within ``threshold`` minutes
    (``cost <= threshold``) of a selected site. Ties are broken by the p-median
    sum. The value reported is the weight covered.
``over120``
    Minimise the people whose minimum cost exceeds ``threshold`` (120 minutes
    by default) or who cannot reach any selected site. Ties are broken by the
    p-median sum. The value reported is that weight. The people over the
    threshold are exactly the people not covered, so this objective chooses the
    same sites as ``mclp`` with the same threshold; it exists because it is the
    question managers ask ("fewest people over two hours or with no way home":
    give the round-trip cost, ``inf`` where there is no way home).

Methods (``method="auto"`` picks; the result says which was used):

``enumeration`` (exact, ``optimal=True``; :mod:`.enumeration`)
    Every combination of ``p`` non-kept candidates, depth first, with bounding.
    ``auto`` uses it when ``C(n, p) x demand rows`` is within :data:`ENUMERATION_BUDGET`.
``milp`` (exact when HiGHS proves it, within ``time_limit_s``; :mod:`.milp`)
    The p-median or maximal covering integer program. ``optimal=True`` only when
    HiGHS reports a proven optimum (relative gap at most
    :data:`~geoaccess.analysis.siting.problem.MILP_REL_GAP`); otherwise ``gap`` comes
    from HiGHS's dual bound or the Lagrangian bound, whichever is tighter.
``heuristic`` (for large ``p``; :mod:`.heuristic`)
    Greedy addition then vertex substitution. Its ``gap`` is measured against a
    Lagrangian bound (:mod:`.lagrangian`), so it over-estimates the true gap; the
    sites the relaxation picks are a second start for the interchange. For p-median,
    when the bound meets the answer the answer is proven: ``optimal=True`` with
    ``method="heuristic"``. For coverage the heuristic never claims an optimum (the
    bound says nothing about the p-median tie-break).

Rows are reduced before solving (:mod:`.problem`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoaccess.analysis.siting.enumeration import enumerate_exact
from geoaccess.analysis.siting.heuristic import greedy, improve_from, interchange
from geoaccess.analysis.siting.lagrangian import Lagrangian, lagrangian_coverage, lagrangian_pmedian
from geoaccess.analysis.siting.matrix_file import read_matrix_file
from geoaccess.analysis.siting.measures import UNREACHABLE_PENALTY_MIN, measures, objective_value
from geoaccess.analysis.siting.milp import solve_milp
from geoaccess.analysis.siting.problem import MILP_REL_GAP, Problem, reduce_problem, validate
from geoaccess.analysis.siting.result import SitingResult
from geoaccess.defaults import LONG_JOURNEY_MIN, SITING_OBJECTIVES, SITING_TIME_LIMIT_S
from geoaccess.errors import BadInput

METHODS = ("auto", "enumeration", "milp", "heuristic")
ENUMERATION_BUDGET = 1.0e9
"""``method="auto"`` enumerates when (combinations x reduced demand rows) is at most this;
about 1-3 s of numpy on one core before bounding, usually far less after it."""
MILP_MAX_PAIRS = 400_000
"""``method="auto"`` tries the integer program only when it has at most this many assignment
variables (person-site pairs that beat the kept sites); beyond it the heuristic answers."""


def solve(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    objective: str = "pmedian",
    *,
    threshold: float = LONG_JOURNEY_MIN,
    keep: Sequence[int] = (),
    time_limit_s: float | None = None,
    method: str = "auto",
) -> SitingResult:
    """Choose ``p`` sites to add to ``keep`` that optimise ``objective``.

    Parameters
    ----------
    cost
        Minutes, shape (demand points, candidates); ``np.inf`` where unreachable.
    weights
        People at each demand point.
    p
        Number of **new** sites, chosen among the candidates not in ``keep``.
    objective
        ``"pmedian"``, ``"mclp"`` or ``"over120"`` (see the module docstring).
    threshold
        Minutes for ``mclp`` and ``over120`` (reached means ``cost <= threshold``).
    keep
        Candidate indices that stay open; they are in ``selected``.
    time_limit_s
        Limit for the integer program (``None``: :data:`SITING_TIME_LIMIT_S`).
        Enumeration and the heuristic are not cut short.
    method
        ``"auto"``: enumeration when within :data:`ENUMERATION_BUDGET`; else (p-median)
        the heuristic, which is the answer when its Lagrangian bound proves it
        optimal; else the integer program when its size allows
        (:data:`MILP_MAX_PAIRS`), keeping the heuristic's answer when the integer
        program does not beat it within the time limit; else the heuristic.
        Or force ``"enumeration"``, ``"milp"`` or ``"heuristic"``.
    """
    started = time.perf_counter()
    if objective not in SITING_OBJECTIVES:
        raise BadInput(f"objective {objective!r} is not one of {', '.join(SITING_OBJECTIVES)}")
    if method not in METHODS:
        raise BadInput(f"method {method!r} is not one of {', '.join(METHODS)}")
    cost, weights, kept = validate(cost, weights, p, threshold=threshold, keep=keep)
    p = int(p)
    free = np.array([j for j in range(cost.shape[1]) if j not in set(kept)], dtype=int)
    capped = np.minimum(cost, UNREACHABLE_PENALTY_MIN)
    prob = reduce_problem(capped, weights, kept, free, threshold=float(threshold), coverage=objective != "pmedian")
    deadline = started + (SITING_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s))
    answer = _search(prob, p, method, deadline)
    selected = sorted(kept + [int(free[j]) for j in answer.chosen])
    value = objective_value(cost, weights, selected, objective, threshold)
    bound, gap = value, 0.0
    if not answer.proven:
        bound, gap = _bound_and_gap(prob, p, objective, answer, value)
    return SitingResult(
        selected=selected,
        objective=value,
        optimal=answer.proven,
        gap=gap,
        method=answer.method,
        seconds=time.perf_counter() - started,
        measures=measures(cost, weights, selected, threshold),
        objective_name=objective,
        p=p,
        kept=sorted(kept),
        threshold=float(threshold),
        bound=bound,
        evaluated=int(answer.evaluated),
    )


@dataclass
class _Answer:
    """The chosen free columns, how they were found, and the bounds met on the way."""

    chosen: list[int]
    method: str
    proven: bool
    evaluated: int
    milp_bound: float | None = None
    lagrangian: Lagrangian | None = None


def _search(prob: Problem, p: int, method: str, deadline: float) -> _Answer:
    """Choose ``p`` free columns of the reduced problem by ``method`` (``"auto"`` resolved here)."""
    m_red, n_free = prob.D.shape
    if p == n_free or m_red == 0 or p == 0:
        return _Answer(list(range(p)), "enumeration", True, 1)  # every choice is as good
    chosen, evaluated = interchange(prob, greedy(prob, p))
    used, proven = "heuristic", False
    milp_bound: float | None = None
    lagrangian: Lagrangian | None = None
    if method == "auto" and math.comb(n_free, p) * m_red <= ENUMERATION_BUDGET:
        method = "enumeration"
    if not prob.coverage and method in ("auto", "heuristic"):
        lagrangian = lagrangian_pmedian(prob, p, float(prob.w @ prob.D[:, chosen].min(axis=1)))
        chosen, evaluated = improve_from(prob, chosen, lagrangian.chosen, evaluated)
        if prob.key_of(chosen)[0] - lagrangian.bound <= MILP_REL_GAP * abs(lagrangian.bound):
            proven = True  # the Lagrangian bound proves the heuristic's answer optimal
    if method == "auto" and not proven and int((prob.D < prob.b[:, None]).sum()) <= MILP_MAX_PAIRS:
        method = "milp"
    if method == "enumeration":
        chosen, evaluated = enumerate_exact(prob, p, chosen)
        used, proven = "enumeration", True
    elif method == "milp":
        outcome = solve_milp(prob, p, deadline)
        milp_bound = outcome.bound
        if outcome.chosen is not None:
            if outcome.proven or not prob.better(prob.key_of(chosen), prob.key_of(outcome.chosen)):
                chosen, used, proven = outcome.chosen, "milp", outcome.proven
    return _Answer(chosen, used, proven, evaluated, milp_bound, lagrangian)


def _bound_and_gap(prob: Problem, p: int, objective: str, answer: _Answer, value: float) -> tuple[float, float]:
    """The best proven bound (Lagrangian, or HiGHS's dual bound if better) and the relative gap to it."""
    v = prob.D[:, answer.chosen].min(axis=1) if answer.chosen else prob.b
    total_sum, covered = prob.value(v)
    milp_bound = answer.milp_bound
    if objective == "pmedian":
        lagrangian = answer.lagrangian
        if lagrangian is None:
            lagrangian = lagrangian_pmedian(prob, p, total_sum - prob.const_sum)
        lower = lagrangian.bound
        if milp_bound is not None:
            lower = max(lower, milp_bound)
        bound = min((lower + prob.const_sum) / prob.total, value)
        return bound, (value - bound) / value if value > 0 else 0.0
    upper = lagrangian_coverage(prob, p, covered - prob.const_cov).bound + prob.const_cov
    if milp_bound is not None and np.isfinite(milp_bound):
        upper = min(upper, milp_bound + prob.const_cov)
    upper = max(upper, covered)
    if objective == "mclp":
        return upper, (upper - value) / upper if upper > 0 else 0.0
    lower = max(prob.total - upper, 0.0)
    return lower, (value - lower) / value if value > 0 else 0.0


def site_matrix_file(
    path: str | Path,
    p: int,
    objective: str = "pmedian",
    *,
    threshold: float = LONG_JOURNEY_MIN,
    keep: Sequence[str] = (),
    time_limit_s: float | None = None,
) -> dict[str, Any]:
    """The ``geoaccess site --matrix FILE`` answer as JSON-ready data (sites named by their ids)."""
    _, candidate_ids, cost, weights = read_matrix_file(path)
    return site_result_dict(
        cost, weights, candidate_ids, p, objective, threshold=threshold, keep=keep, time_limit_s=time_limit_s
    )


def site_result_dict(
    cost: np.ndarray,
    weights: np.ndarray,
    candidate_ids: Sequence[str],
    p: int,
    objective: str = "pmedian",
    *,
    threshold: float = LONG_JOURNEY_MIN,
    keep: Sequence[str] = (),
    time_limit_s: float | None = None,
) -> dict[str, Any]:
    """Solve with kept sites named by id; the result with ids (for the CLI and the API)."""
    index = {name: j for j, name in enumerate(candidate_ids)}
    unknown = [name for name in keep if name not in index]
    if unknown:
        raise BadInput(
            f"kept site(s) {', '.join(map(repr, unknown))} are not candidates; "
            f"candidates: {', '.join(candidate_ids[:20])}{' ...' if len(candidate_ids) > 20 else ''}"
        )
    result = solve(
        cost, weights, p, objective, threshold=threshold, keep=[index[name] for name in keep], time_limit_s=time_limit_s
    )
    return result.to_dict(list(candidate_ids))
