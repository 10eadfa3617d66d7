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
    :data:`UNREACHABLE_PENALTY_MIN` minutes, is charged that penalty (10 hours:
    "no way to attend"), so an unreachable person always weighs more than a
    reachable one and the mean stays finite. The value reported is that mean.
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

``enumeration`` (exact, ``optimal=True``)
    Every combination of ``p`` non-kept candidates, depth first, evaluated in
    numpy: at each partial combination S one ``np.minimum`` and one
    matrix-vector product give the exact value of S plus each later
    candidate. Both objectives are submodular, so the gain of r more sites is
    at most the sum of their single gains measured at S: a branch is dropped
    when its value plus its r best single gains (or the value with *every*
    later candidate open) cannot beat the incumbent. Candidates are ordered
    best single site first and the incumbent comes from the heuristic, so
    bounding bites early (2,000 x 100, p = 3: about 19,000 of 161,700 triples
    evaluated). ``auto`` uses it when ``C(n, p) x demand rows`` is within
    :data:`ENUMERATION_BUDGET`.
``milp`` (exact when HiGHS proves it, within ``time_limit_s``)
    The integer program solved by HiGHS through :func:`scipy.optimize.milp`:
    the classic p-median model (binary site variables, continuous assignment
    variables, ``x_ij <= y_j``, only for sites that beat the person's kept
    sites, whose cost is a free fallback assignment), and the maximal covering
    model; coverage ties are broken by a second p-median solve constrained to
    the best coverage. ``optimal=True`` only when HiGHS reports a proven
    optimum (relative gap at most :data:`MILP_REL_GAP`); otherwise ``gap``
    comes from HiGHS's dual bound or the Lagrangian bound, whichever is tighter.
``heuristic`` (for large ``p``)
    Greedy addition (add the site that improves the objective most, ``p``
    times) followed by vertex substitution (Teitz and Bart, 1968): the best
    single swap of a chosen site for an unchosen one is made while it
    improves the objective, all swaps evaluated in numpy. Its ``gap`` is
    measured against a **Lagrangian bound** computed by subgradient
    optimisation (not the LP relaxation through HiGHS: on 2,000 x 100 the
    subgradient takes hundredths of a second and, for p-median, reaches the
    LP bound in practice): for p-median the assignment constraints are
    relaxed (a lower bound on the mean), for coverage the covering
    constraints (an upper bound on the people covered). Any multipliers give
    a valid bound, so the reported gap over-estimates the true one. The sites
    the relaxation picks are also tried as a second start for the
    interchange. For p-median, when the bound meets the answer (relative gap
    at most :data:`MILP_REL_GAP`) the answer is proven: ``optimal=True`` with
    ``method="heuristic"``. For coverage the heuristic never claims an
    optimum (the bound says nothing about the p-median tie-break).

Before solving, rows are reduced: each person's cost to a candidate is capped
at the cost of their best kept site (a new site only helps if it beats it),
people no candidate can improve are set aside as a constant, and people with
identical rows are merged with their weights added.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from geoaccess.errors import BadInput

UNREACHABLE_PENALTY_MIN = 600.0
"""Minutes charged in the p-median objective to a person no selected site reaches (or reaches
only in more than this many minutes): 10 hours, "no way to attend"."""
OBJECTIVES = ("pmedian", "mclp", "over120")
METHODS = ("auto", "enumeration", "milp", "heuristic")
ENUMERATION_BUDGET = 1.0e9
"""``method="auto"`` enumerates when (combinations x reduced demand rows) is at most this;
about 1-3 s of numpy on one core before bounding, usually far less after it."""
MILP_MAX_PAIRS = 400_000
"""``method="auto"`` tries the integer program only when it has at most this many assignment
variables (person-site pairs that beat the kept sites); beyond it the heuristic answers."""
DEFAULT_TIME_LIMIT_S = 60.0
"""Time limit of the integer program when ``time_limit_s`` is None."""
MILP_REL_GAP = 1e-9
"""Relative gap at which HiGHS's answer counts as a proven optimum."""
LAGRANGIAN_ITERATIONS = 1000
"""Most subgradient steps of a Lagrangian bound."""
LAGRANGIAN_STALL = 30
"""Steps without improvement after which the subgradient step is halved."""
SHARE_MINUTES = (30, 60, 90, 120)
"""Thresholds of the ``share_within_N`` measures."""
_REL_TOL = 1e-10


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitingResult:
    """The chosen sites and how good they are.

    ``selected`` holds candidate column indices, the kept ones included, sorted.
    ``objective`` is the value of ``objective_name``: mean minutes (``pmedian``,
    unreachable people charged :data:`UNREACHABLE_PENALTY_MIN`), people covered
    (``mclp``) or people over the threshold or unreachable (``over120``).
    ``bound`` is a proven bound on the best possible value (lower for
    ``pmedian``/``over120``, upper for ``mclp``); ``gap`` is the relative
    distance from ``objective`` to it (0 when ``optimal``). For ``mclp`` and
    ``over120`` optimality includes the p-median tie-break; the bound and gap
    are about the coverage alone.
    """

    selected: list[int]
    objective: float
    optimal: bool
    gap: float
    method: str
    seconds: float
    measures: dict[str, float | None]
    objective_name: str = "pmedian"
    p: int = 0
    kept: list[int] = field(default_factory=list)
    threshold: float = 120.0
    bound: float | None = None
    evaluated: int = 0
    """Combinations evaluated (enumeration), or swaps evaluated (heuristic)."""

    @property
    def added(self) -> list[int]:
        """The selected sites that were not kept."""
        kept = set(self.kept)
        return [j for j in self.selected if j not in kept]

    def to_dict(self, candidate_ids: Sequence[str] | None = None) -> dict:
        """JSON-ready: ids instead of indices when ``candidate_ids`` is given; ``inf`` -> None."""
        out = asdict(self)
        name = (lambda j: j) if candidate_ids is None else (lambda j: candidate_ids[j])
        out["selected"] = [name(j) for j in self.selected]
        out["kept"] = [name(j) for j in self.kept]
        out["added"] = [name(j) for j in self.added]
        out["unreachable_penalty_minutes"] = UNREACHABLE_PENALTY_MIN
        return _finite_or_none(out)


def _finite_or_none(value):
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- measures -------------------------------------------------------------------------------


def best_cost(cost: np.ndarray, selected: Sequence[int]) -> np.ndarray:
    """Each demand point's minimum cost over ``selected`` (``inf`` when none reaches it)."""
    cost = np.asarray(cost, dtype=float)
    if len(selected) == 0:
        return np.full(cost.shape[0], np.inf)
    return cost[:, list(selected)].min(axis=1)


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
    cost: np.ndarray, weights: np.ndarray, selected: Sequence[int], threshold: float = 120.0
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
    for minutes in SHARE_MINUTES:
        out[f"share_within_{minutes}"] = float(weights[best <= minutes].sum() / total)
    within = float(weights[best <= threshold].sum())
    out["threshold_minutes"] = float(threshold)
    out["weight_within_threshold"] = within
    out["weight_over_threshold"] = total - within
    out["share_over_threshold"] = (total - within) / total
    out["weight_unreachable"] = total - reach_weight
    return out


def objective_value(
    cost: np.ndarray, weights: np.ndarray, selected: Sequence[int], objective: str, threshold: float = 120.0
) -> float:
    """The value of ``objective`` for a selection, as :func:`solve` reports it."""
    weights = np.asarray(weights, dtype=float)
    best = best_cost(cost, selected)
    if objective == "pmedian":
        return float(weights @ np.minimum(best, UNREACHABLE_PENALTY_MIN) / weights.sum())
    covered = float(weights[best <= threshold].sum())
    if objective == "mclp":
        return covered
    if objective == "over120":
        return float(weights.sum()) - covered
    raise BadInput(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")


# --- the reduced problem --------------------------------------------------------------------


@dataclass
class _Problem:
    """Rows reduced for solving; columns are the free (non-kept) candidates."""

    D: np.ndarray  # (m, n) capped cost, never above b
    b: np.ndarray  # (m,) cost of the best kept site (capped at the penalty)
    w: np.ndarray  # (m,) merged weights
    const_sum: float  # p-median sum of the rows set aside
    const_cov: float  # weight covered among the rows set aside
    total: float  # total weight
    threshold: float
    coverage: bool
    integral: bool  # all weights whole numbers

    @property
    def tol_sum(self) -> float:
        return _REL_TOL * max(self.total, 1e-300) * UNREACHABLE_PENALTY_MIN

    @property
    def tol_cov(self) -> float:
        return _REL_TOL * max(self.total, 1e-300)

    def keys(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(primary, secondary) to minimise for each column of row-minimum vectors ``V``."""
        sums = self.w @ V
        if not self.coverage:
            return sums, np.zeros_like(sums)
        return -(self.w @ (V <= self.threshold)), sums

    def key(self, v: np.ndarray) -> tuple[float, float]:
        prim, sec = self.keys(v[:, None])
        return float(prim[0]), float(sec[0])

    def better(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        tol = self.tol_cov if self.coverage else self.tol_sum
        if a[0] < b[0] - tol:
            return True
        return abs(a[0] - b[0]) <= tol and a[1] < b[1] - self.tol_sum

    def pick(self, prim: np.ndarray, sec: np.ndarray) -> int:
        """Index of the lexicographically best (primary, secondary)."""
        tol = self.tol_cov if self.coverage else self.tol_sum
        best = prim.min()
        tied = np.flatnonzero(prim <= best + tol)
        return int(tied[np.argmin(sec[tied])])

    def value(self, v: np.ndarray) -> tuple[float, float]:
        """(p-median sum, covered weight) of a row-minimum vector, set-aside rows included."""
        return (float(self.w @ v) + self.const_sum, float(self.w[v <= self.threshold].sum()) + self.const_cov)


def _reduce(
    capped: np.ndarray, weights: np.ndarray, keep: list[int], free: np.ndarray, threshold: float, coverage: bool
) -> _Problem:
    if keep:
        b = capped[:, keep].min(axis=1)
    else:
        b = np.full(capped.shape[0], UNREACHABLE_PENALTY_MIN)
    D = np.minimum(capped[:, free], b[:, None])
    improvable = (D < b[:, None]).any(axis=1) & (weights > 0)
    aside = ~improvable
    const_sum = float(weights[aside] @ b[aside])
    const_cov = float(weights[aside & (b <= threshold)].sum())
    D, b, w = D[improvable], b[improvable], weights[improvable]
    if len(w):
        rows, inverse = np.unique(np.column_stack([D, b]), axis=0, return_inverse=True)
        merged = np.bincount(inverse.ravel(), weights=w, minlength=len(rows))
        D, b, w = np.ascontiguousarray(rows[:, :-1]), rows[:, -1].copy(), merged
    integral = bool(np.all(weights == np.round(weights)))
    return _Problem(
        D=D,
        b=b,
        w=w,
        const_sum=const_sum,
        const_cov=const_cov,
        total=float(weights.sum()),
        threshold=threshold,
        coverage=coverage,
        integral=integral,
    )


# --- heuristic: greedy addition + vertex substitution ----------------------------------------


def _greedy(prob: _Problem, p: int) -> list[int]:
    """Add, ``p`` times, the site that improves the objective most."""
    chosen: list[int] = []
    v = prob.b.copy()
    for _ in range(p):
        prim, sec = prob.keys(np.minimum(v[:, None], prob.D))
        prim[chosen] = np.inf
        j = prob.pick(prim, sec)
        chosen.append(j)
        v = np.minimum(v, prob.D[:, j])
    return chosen


def _interchange(prob: _Problem, chosen: list[int]) -> tuple[list[int], int]:
    """Vertex substitution (Teitz-Bart), best improvement: make the best single swap while it helps."""
    chosen = list(chosen)
    n = prob.D.shape[1]
    tried = 0
    if not chosen or len(chosen) == n:
        return chosen, tried
    current = _key_of(prob, chosen)
    while True:
        best_swap, best_key = None, current
        for position in range(len(chosen)):
            others = chosen[:position] + chosen[position + 1 :]
            rest = prob.D[:, others].min(axis=1) if others else prob.b
            prim, sec = prob.keys(np.minimum(rest[:, None], prob.D))
            prim[chosen] = np.inf
            j = prob.pick(prim, sec)
            tried += n - len(chosen)
            key = (float(prim[j]), float(sec[j]))
            if prob.better(key, best_key):
                best_swap, best_key = (position, j), key
        if best_swap is None:
            return sorted(chosen), tried
        chosen[best_swap[0]] = best_swap[1]
        current = best_key


def _key_of(prob: _Problem, chosen: Sequence[int]) -> tuple[float, float]:
    return prob.key(prob.D[:, list(chosen)].min(axis=1) if len(chosen) else prob.b)


# --- Lagrangian bounds (with a Lagrangian heuristic on the side) ----------------------------


@dataclass
class _Lagrangian:
    bound: float  # on the reduced rows: lower p-median sum, or upper covered weight
    chosen: list[int] | None  # the best selection met on the way (the relaxation's own choices)


def _lagrangian_pmedian(prob: _Problem, p: int, upper_sum: float) -> _Lagrangian:
    """A lower bound on the p-median sum of the reduced rows: the assignment constraints
    ``sum_j x_ij = 1`` are relaxed with multipliers ``lam_i`` (subgradient optimisation)::

        L(lam) = sum_i lam_i + sum_i min(0, w_i b_i - lam_i) + (sum of the p smallest rho_j),
        rho_j  = sum_i min(0, w_i d_ij - lam_i)

    (``b_i`` is the kept-site cost, always available). Every ``L(lam)`` is a valid bound.
    """
    w, D, b = prob.w, prob.D, prob.b
    m, n = D.shape
    if m == 0:
        return _Lagrangian(0.0, None)
    wb, wD = w * b, w[:, None] * D
    k = min(p, n - 1)
    lam = w * np.partition(D, k, axis=1)[:, k]  # each row's (p+1)-th nearest cost
    best, theta, stall = -np.inf, 2.0, 0
    best_chosen, best_primal = None, upper_sum
    for iteration in range(LAGRANGIAN_ITERATIONS):
        rho = np.minimum(0.0, wD - lam[:, None]).sum(axis=0)
        chosen = np.argpartition(rho, p - 1)[:p] if p < n else np.arange(n)
        value = float(lam.sum() + np.minimum(0.0, wb - lam).sum() + rho[chosen].sum())
        if iteration % 5 == 0:  # the relaxation's sites as a selection: a better upper bound?
            primal = float(w @ np.minimum(b, D[:, chosen].min(axis=1)))
            if primal < best_primal - prob.tol_sum:
                best_primal, best_chosen = primal, sorted(int(j) for j in chosen)
        if value > best + 1e-12 * abs(best_primal):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= LAGRANGIAN_STALL:
                theta, stall = theta / 2.0, 0
        if best_primal - best <= MILP_REL_GAP * abs(best_primal) or theta < 1e-4:
            break
        g = 1.0 - (wb < lam) - (wD[:, chosen] < lam[:, None]).sum(axis=1)
        norm = float(g @ g)
        if norm == 0.0:  # a zero subgradient: lam is optimal
            break
        lam = lam + theta * (best_primal - value) / norm * g
    return _Lagrangian(min(best, best_primal), best_chosen)


def _lagrangian_coverage(prob: _Problem, p: int, lower_cov: float) -> _Lagrangian:
    """An upper bound on the weight covered among the reduced rows: the covering constraints
    ``c_i <= sum_{j covers i} y_j`` are relaxed with multipliers ``mu_i >= 0``::

        L(mu) = sum_i max(0, w_i - mu_i) + (sum of the p largest sigma_j),  sigma_j = sum_{i covered by j} mu_i
    """
    T = prob.threshold
    fixed = prob.b <= T
    covered_anyway = float(prob.w[fixed].sum())
    w = prob.w[~fixed]
    a = (prob.D[~fixed] <= T).astype(float)
    n = a.shape[1]
    target = lower_cov - covered_anyway
    if len(w) == 0:
        return _Lagrangian(covered_anyway, None)
    mu = w.copy()  # start: the sum of the p largest single-site coverages
    best, theta, stall = np.inf, 2.0, 0
    best_chosen = None
    for iteration in range(LAGRANGIAN_ITERATIONS):
        sigma = mu @ a
        chosen = np.argpartition(-sigma, p - 1)[:p] if p < n else np.arange(n)
        value = float(np.maximum(0.0, w - mu).sum() + sigma[chosen].sum())
        if iteration % 5 == 0:
            primal = float(w[a[:, chosen].max(axis=1) > 0].sum())
            if primal > target + prob.tol_cov:
                target, best_chosen = primal, sorted(int(j) for j in chosen)
        if value < best - 1e-12 * max(prob.total, 1.0):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= LAGRANGIAN_STALL:
                theta, stall = theta / 2.0, 0
        if best - target <= (1.0 - 1e-9 if prob.integral else 1e-9 * prob.total) or theta < 1e-4:
            break
        s = a[:, chosen].sum(axis=1) - (w > mu)
        norm = float(s @ s)
        if norm == 0.0:
            break
        mu = np.maximum(0.0, mu - theta * (value - target) / norm * s)
    bound = min(covered_anyway + max(best, target), float(prob.w.sum()))
    if prob.integral:
        bound = math.floor(bound + 1e-9)
    return _Lagrangian(bound, best_chosen)


# --- exact: enumeration with bounding -------------------------------------------------------


def _top_after(values: np.ndarray, r: int) -> np.ndarray:
    """For each position j, the sum of the r largest ``values[k]`` with k > j (0 where fewer)."""
    k = len(values)
    order = np.argsort(-values, kind="stable")
    after = order[None, :] > np.arange(k)[:, None]  # (j, t): sorted item t lies after j
    take = after & (np.cumsum(after, axis=1) <= r)
    return (take * values[order][None, :]).sum(axis=1)


def _enumerate(prob: _Problem, p: int, incumbent: list[int]) -> tuple[list[int], int]:
    """The exact optimum by depth-first enumeration with bounding; (chosen columns, combinations).

    At each partial combination S (next members taken from columns after its last), one
    numpy pass gives the exact value of S + {k} for every later k. The p-median sum and
    the coverage are submodular, so the gain of adding r more sites is at most the sum of
    their single gains measured at S: a child S + {j} is dropped when its value plus the
    r best single gains after j cannot beat the incumbent, or when even opening every
    later candidate could not.
    """
    m, n = prob.D.shape
    # best single sites first: bounding then prunes the later, weaker partial combinations
    prim, sec = prob.keys(prob.D)
    order = np.lexsort((sec, prim))
    D = np.ascontiguousarray(prob.D[:, order])
    suffix = np.empty((m, n + 1))
    suffix[:, n] = prob.b
    suffix[:, :n] = np.minimum.accumulate(D[:, ::-1], axis=1)[:, ::-1]
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    best_cols = sorted(int(rank[j]) for j in incumbent)
    best_key = prob.key(D[:, best_cols].min(axis=1) if best_cols else prob.b)
    tol_prim = prob.tol_cov if prob.coverage else prob.tol_sum
    total_cov = float(prob.w.sum())
    counted = 0

    def hopeless(prim_b: float, sec_b: float) -> bool:
        """Can nothing with these bounds (lower, on the keys to minimise) beat the incumbent?"""
        if prim_b > best_key[0] + tol_prim:
            return True
        return prob.coverage and prim_b >= best_key[0] - tol_prim and sec_b > best_key[1] + prob.tol_sum

    def leaf(start: int, v: np.ndarray, prefix: list[int]) -> None:
        nonlocal best_key, best_cols, counted
        V = np.minimum(v[:, None], D[:, start:])
        counted += V.shape[1]
        if prob.coverage:
            prim = -(prob.w @ (V <= prob.threshold))
            sec = np.full(prim.shape, np.inf)
            near = prim <= best_key[0] + tol_prim
            if near.any():
                sec[near] = prob.w @ V[:, near]
        else:
            prim = prob.w @ V
            sec = np.zeros_like(prim)
        j = prob.pick(prim, sec)
        key = (float(prim[j]), float(sec[j]))
        if prob.better(key, best_key):
            best_key, best_cols = key, prefix + [start + j]

    def visit(start: int, left: int, v: np.ndarray, prefix: list[int], f_sum: float, f_cov: float) -> None:
        if left == 1:
            leaf(start, v, prefix)
            return
        V = np.minimum(v[:, None], D[:, start:])
        sums = prob.w @ V  # exact p-median sum of S + {k}, k = start ...
        lower_sum = sums - _top_after(f_sum - sums, left - 1)
        if prob.coverage:
            covs = prob.w @ (V <= prob.threshold)
            upper_cov = np.minimum(covs + _top_after(covs - f_cov, left - 1), total_cov)
            prim_b, sec_b = -upper_cov, lower_sum
        else:
            covs = sums
            prim_b, sec_b = lower_sum, np.zeros_like(lower_sum)
        for offset in range(n - left + 1 - start):
            if hopeless(float(prim_b[offset]), float(sec_b[offset])):
                continue
            j = start + offset
            child = V[:, offset]
            if hopeless(*prob.key(np.minimum(child, suffix[:, j + 1]))):  # every later site open
                continue
            visit(j + 1, left - 1, child, prefix + [j], float(sums[offset]), float(covs[offset]))

    if p > 0 and m > 0:
        f_sum = float(prob.w @ prob.b)
        visit(0, p, prob.b, [], f_sum, float(prob.w[prob.b <= prob.threshold].sum()))
    return [int(order[j]) for j in best_cols], counted


# --- exact: integer program (HiGHS) ---------------------------------------------------------


@dataclass
class _MilpOutcome:
    chosen: list[int] | None
    proven: bool
    bound: float | None  # bound on the reduced p-median sum (pmedian) or covered weight (coverage)


def _milp(prob: _Problem, p: int, deadline: float) -> _MilpOutcome:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array, csr_array

    m, n = prob.D.shape
    if m == 0:
        return _MilpOutcome(list(range(p)), True, 0.0)
    scale = max(prob.total, 1e-300)

    def options() -> dict:
        return {"time_limit": max(deadline - time.perf_counter(), 0.01), "mip_rel_gap": MILP_REL_GAP, "disp": False}

    cover_rows = np.flatnonzero(prob.b > prob.threshold) if prob.coverage else np.array([], dtype=int)
    empty = np.array([], dtype=int)
    cover_i, cover_j = np.nonzero(prob.D[cover_rows] <= prob.threshold) if prob.coverage else (empty, empty)
    k_cov = len(cover_rows)

    def coverage_block(offset_c: int, n_vars: int) -> tuple[csr_array, np.ndarray]:
        """Rows c_i - sum_{j covers i} y_j <= 0 over variables [y | ... | c at offset_c]."""
        rows = np.concatenate([np.arange(k_cov), cover_i])
        cols = np.concatenate([offset_c + np.arange(k_cov), cover_j])
        vals = np.concatenate([np.ones(k_cov), -np.ones(len(cover_i))])
        return csr_array(coo_array((vals, (rows, cols)), shape=(k_cov, n_vars))), np.zeros(k_cov)

    best_cov = 0.0
    bound: float | None = None
    stage1: list[int] = []
    if prob.coverage:
        # stage 1: maximal coverage. Variables [y (n) | c (k_cov)]
        n_vars = n + k_cov
        cost = np.concatenate([np.zeros(n), -prob.w[cover_rows] / scale])
        link, upper = coverage_block(n, n_vars)
        card = csr_array(np.concatenate([np.ones(n), np.zeros(k_cov)])[None, :])
        res = milp(
            cost,
            integrality=np.concatenate([np.ones(n), np.zeros(k_cov)]),
            bounds=Bounds(0, 1),
            constraints=[LinearConstraint(link, -np.inf, upper), LinearConstraint(card, p, p)],
            options=options(),
        )
        if res.x is None:
            return _MilpOutcome(None, False, None)
        stage1 = _chosen_from(res.x[:n], p)
        fixed_cov = float(prob.w[prob.b <= prob.threshold].sum())
        best_cov = (
            float(prob.w[cover_rows][(prob.D[cover_rows][:, stage1] <= prob.threshold).any(axis=1)].sum())
            if stage1
            else 0.0
        )
        dual = getattr(res, "mip_dual_bound", None)
        bound = fixed_cov + (-dual * scale if dual is not None and np.isfinite(dual) else np.inf)
        if res.status != 0:
            return _MilpOutcome(stage1, False, bound)
        bound = fixed_cov + best_cov

    # p-median (stage 2 for coverage). Variables [y (n) | x pairs (k) | x0 (m) | c (k_cov)]
    pair_i, pair_j = np.nonzero(prob.D < prob.b[:, None])
    k = len(pair_i)
    n_vars = n + k + m + k_cov
    cost = np.concatenate(
        [np.zeros(n), prob.w[pair_i] * prob.D[pair_i, pair_j] / scale, prob.w * prob.b / scale, np.zeros(k_cov)]
    )
    assign = coo_array(
        (np.ones(k + m), (np.concatenate([pair_i, np.arange(m)]), n + np.arange(k + m))), shape=(m, n_vars)
    )
    link = coo_array(
        (
            np.concatenate([np.ones(k), -np.ones(k)]),
            (np.concatenate([np.arange(k), np.arange(k)]), np.concatenate([n + np.arange(k), pair_j])),
        ),
        shape=(k, n_vars),
    )
    card = csr_array(np.concatenate([np.ones(n), np.zeros(n_vars - n)])[None, :])
    constraints = [
        LinearConstraint(csr_array(assign), 1, 1),
        LinearConstraint(csr_array(link), -np.inf, 0),
        LinearConstraint(card, p, p),
    ]
    if prob.coverage:
        block, upper = coverage_block(n + k + m, n_vars)
        weight_row = csr_array(np.concatenate([np.zeros(n + k + m), prob.w[cover_rows]])[None, :])
        slack = 0.5 if prob.integral else 1e-9 * prob.total  # whole-number weights: coverages differ by >= 1
        constraints += [LinearConstraint(block, -np.inf, upper), LinearConstraint(weight_row, best_cov - slack, np.inf)]
    res = milp(
        cost,
        integrality=np.concatenate([np.ones(n), np.zeros(n_vars - n)]),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options=options(),
    )
    if res.x is None:
        return _MilpOutcome(stage1 if prob.coverage else None, False, bound)
    chosen = _chosen_from(res.x[:n], p)
    if prob.coverage:
        if prob.better(_key_of(prob, stage1), _key_of(prob, chosen)):  # tolerance let in less coverage
            return _MilpOutcome(stage1, False, bound)
        return _MilpOutcome(chosen, res.status == 0, bound)
    dual = getattr(res, "mip_dual_bound", None)
    sum_bound = dual * scale if dual is not None and np.isfinite(dual) else None
    return _MilpOutcome(chosen, res.status == 0, sum_bound)


def _chosen_from(y: np.ndarray, p: int) -> list[int]:
    """The p largest site variables (HiGHS returns them within its integrality tolerance of 0/1)."""
    return sorted(int(j) for j in np.argsort(-y, kind="stable")[:p])


# --- the solver -----------------------------------------------------------------------------


def _validate(cost, weights, p, objective, threshold, keep, method) -> tuple[np.ndarray, np.ndarray, list[int]]:
    if objective not in OBJECTIVES:
        raise BadInput(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    if method not in METHODS:
        raise BadInput(f"method {method!r} is not one of {', '.join(METHODS)}")
    cost = np.asarray(cost, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if cost.ndim != 2 or cost.shape[0] == 0 or cost.shape[1] == 0:
        raise BadInput(
            f"the cost matrix must be (demand points x candidates) with at least one of each, not shape {cost.shape}"
        )
    if weights.shape != (cost.shape[0],):
        raise BadInput(f"{len(np.atleast_1d(weights))} weights for {cost.shape[0]} demand points")
    if np.isnan(cost).any() or (cost < 0).any():
        raise BadInput("the cost matrix has negative or NaN minutes (use inf for unreachable)")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise BadInput("weights must be finite and not negative")
    if weights.sum() <= 0:
        raise BadInput("the weights add up to 0: there is nobody to site venues for")
    if isinstance(p, bool) or int(p) != p or p < 0:
        raise BadInput(f"p must be a whole number of sites to add, 0 or more (got {p!r})")
    if not (math.isfinite(threshold) and 0 <= threshold < UNREACHABLE_PENALTY_MIN):
        raise BadInput(f"threshold must be from 0 to under {UNREACHABLE_PENALTY_MIN:g} minutes (got {threshold!r})")
    n = cost.shape[1]
    kept = []
    for j in keep:
        if isinstance(j, bool) or int(j) != j or not 0 <= j < n:
            raise BadInput(f"kept site {j!r} is not a candidate index from 0 to {n - 1}")
        if int(j) not in kept:
            kept.append(int(j))
    if int(p) > n - len(kept):
        raise BadInput(f"cannot add {int(p)} sites: only {n - len(kept)} candidates are not already kept")
    if int(p) == 0 and not kept:
        raise BadInput("nothing to choose: p is 0 and no site is kept")
    return cost, weights, kept


def solve(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    objective: str = "pmedian",
    *,
    threshold: float = 120.0,
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
        Limit for the integer program (``None``: :data:`DEFAULT_TIME_LIMIT_S`).
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
    cost, weights, kept = _validate(cost, weights, p, objective, threshold, keep, method)
    p = int(p)
    n_all = cost.shape[1]
    free = np.array([j for j in range(n_all) if j not in set(kept)], dtype=int)
    capped = np.minimum(cost, UNREACHABLE_PENALTY_MIN)
    coverage = objective != "pmedian"
    prob = _reduce(capped, weights, kept, free, float(threshold), coverage)
    m_red, n_free = prob.D.shape
    deadline = started + (DEFAULT_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s))

    combinations = math.comb(n_free, p)
    evaluated = 0
    milp_bound = None
    lagrangian = None
    if p == n_free or m_red == 0 or p == 0:
        chosen, used, proven = list(range(p)), "enumeration", True  # every choice is as good
        evaluated = 1
    else:
        chosen, evaluated = _interchange(prob, _greedy(prob, p))
        used, proven = "heuristic", False
        if method == "auto" and combinations * m_red <= ENUMERATION_BUDGET:
            method = "enumeration"
        if not coverage and method in ("auto", "heuristic"):
            lagrangian = _lagrangian_pmedian(prob, p, float(prob.w @ prob.D[:, chosen].min(axis=1)))
            chosen, evaluated = _improve_from(prob, chosen, lagrangian.chosen, evaluated)
            if _key_of(prob, chosen)[0] - lagrangian.bound <= MILP_REL_GAP * abs(lagrangian.bound):
                proven = True  # the Lagrangian bound proves the heuristic's answer optimal
        if method == "auto" and not proven and int((prob.D < prob.b[:, None]).sum()) <= MILP_MAX_PAIRS:
            method = "milp"
        if method == "enumeration":
            chosen, evaluated = _enumerate(prob, p, chosen)
            used, proven = "enumeration", True
        elif method == "milp":
            outcome = _milp(prob, p, deadline)
            milp_bound = outcome.bound
            if outcome.chosen is not None:
                if outcome.proven or not prob.better(_key_of(prob, chosen), _key_of(prob, outcome.chosen)):
                    chosen, used, proven = outcome.chosen, "milp", outcome.proven
    selected = sorted(kept + [int(free[j]) for j in chosen])
    value = objective_value(cost, weights, selected, objective, threshold)

    bound, gap = value, 0.0
    if not proven:
        bound, gap = _bound_and_gap(prob, p, objective, chosen, value, milp_bound, lagrangian)
    return SitingResult(
        selected=selected,
        objective=value,
        optimal=proven,
        gap=gap,
        method=used,
        seconds=time.perf_counter() - started,
        measures=measures(cost, weights, selected, threshold),
        objective_name=objective,
        p=p,
        kept=sorted(kept),
        threshold=float(threshold),
        bound=bound,
        evaluated=int(evaluated),
    )


def _improve_from(prob: _Problem, chosen: list[int], start: list[int] | None, evaluated: int) -> tuple[list[int], int]:
    """Run the interchange from the Lagrangian's own selection too; keep the better answer."""
    if start is None or sorted(start) == sorted(chosen):
        return chosen, evaluated
    other, tried = _interchange(prob, start)
    if prob.better(_key_of(prob, other), _key_of(prob, chosen)):
        return other, evaluated + tried
    return chosen, evaluated + tried


def _bound_and_gap(
    prob: _Problem,
    p: int,
    objective: str,
    chosen: list[int],
    value: float,
    milp_bound: float | None,
    lagrangian: _Lagrangian | None,
) -> tuple[float, float]:
    """The best proven bound (Lagrangian, or HiGHS's dual bound if better) and the relative gap to it."""
    v = prob.D[:, chosen].min(axis=1) if chosen else prob.b
    total_sum, covered = prob.value(v)
    if objective == "pmedian":
        if lagrangian is None:
            lagrangian = _lagrangian_pmedian(prob, p, total_sum - prob.const_sum)
        lower = lagrangian.bound
        if milp_bound is not None:
            lower = max(lower, milp_bound)
        bound = min((lower + prob.const_sum) / prob.total, value)
        return bound, (value - bound) / value if value > 0 else 0.0
    upper = _lagrangian_coverage(prob, p, covered - prob.const_cov).bound + prob.const_cov
    if milp_bound is not None and np.isfinite(milp_bound):
        upper = min(upper, milp_bound + prob.const_cov)
    upper = max(upper, covered)
    if objective == "mclp":
        return upper, (upper - value) / upper if upper > 0 else 0.0
    lower = max(prob.total - upper, 0.0)
    return lower, (value - lower) / value if value > 0 else 0.0


# --- the matrix file ------------------------------------------------------------------------

MAX_PROBLEMS_SHOWN = 10


def read_matrix_file(path: str | Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Read a siting matrix CSV: ``origin_id``, ``weight``, then one column of minutes per candidate.

    Returns ``(origin_ids, candidate_ids, cost, weights)`` with ``cost[i, j]`` in minutes,
    ``inf`` where the cell is empty (unreachable). The whole file is checked before
    anything is returned; every problem names its line (the header is line 1).
    Origin ids are never echoed in messages: they may be personal data.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"matrix file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise BadInput(f"{path.name}: not a readable CSV file ({exc})") from exc
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise BadInput(f"{path.name}: the file is empty; expected a header origin_id,weight,<venue ids>")
    header_line, header = numbered[0]
    header = [cell.strip() for cell in header]
    problems: list[str] = []
    for required in ("origin_id", "weight"):
        if required not in header:
            problems.append(f"line {header_line}: no {required} column")
    if problems:
        raise BadInput(f"{path.name}: " + "; ".join(problems) + " (expected origin_id,weight,<venue ids>)")
    origin_col, weight_col = header.index("origin_id"), header.index("weight")
    candidate_cols = [c for c in range(len(header)) if c not in (origin_col, weight_col)]
    if not candidate_cols:
        raise BadInput(
            f"{path.name}: line {header_line}: no candidate columns: add one column of minutes "
            "per candidate venue id after origin_id and weight"
        )
    candidate_ids = [header[c] for c in candidate_cols]
    seen_columns: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(f"line {header_line}: column {position} has no name")
        elif name in seen_columns:
            problems.append(
                f"line {header_line}: column {name!r} appears twice (columns {seen_columns[name]} and {position})"
            )
        else:
            seen_columns[name] = position
    data = numbered[1:]
    if not data:
        problems.append("no demand rows after the header")
    origin_ids: list[str] = []
    weights = np.zeros(len(data))
    cost = np.full((len(data), len(candidate_cols)), np.inf)
    first_line: dict[str, int] = {}
    for r, (line, row) in enumerate(data):
        if len(row) != len(header):
            problems.append(f"line {line}: {len(row)} fields, the header has {len(header)}")
            origin_ids.append("")
            continue
        origin = row[origin_col].strip()
        origin_ids.append(origin)
        if not origin:
            problems.append(f"line {line}: empty origin_id")
        elif origin in first_line:
            problems.append(f"line {line}: origin_id repeats the one on line {first_line[origin]}")
        else:
            first_line[origin] = line
        weight = _number(row[weight_col])
        if weight is None:
            problems.append(f"line {line}: weight {row[weight_col].strip()!r} is not a number")
        elif weight < 0:
            problems.append(f"line {line}: weight {weight:g} is negative")
        else:
            weights[r] = weight
        for k, c in enumerate(candidate_cols):
            cell = row[c].strip()
            if not cell:
                continue  # unreachable
            minutes = _number(cell)
            if minutes is None:
                problems.append(
                    f"line {line}: minutes {cell!r} for {candidate_ids[k]!r} is not a number "
                    "(leave the cell empty when unreachable)"
                )
            elif minutes < 0:
                problems.append(f"line {line}: minutes {minutes:g} for {candidate_ids[k]!r} is negative")
            else:
                cost[r, k] = minutes
    if not problems and weights.sum() <= 0:
        problems.append("every weight is 0: there is nobody to site venues for")
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = f" (and {len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        raise BadInput(f"{path.name}: {len(problems)} problem(s), nothing used: {shown}{more}")
    return origin_ids, candidate_ids, cost, weights


def _number(text: str) -> float | None:
    """A finite float, or None."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def site_matrix_file(
    path: str | Path,
    p: int,
    objective: str = "pmedian",
    *,
    threshold: float = 120.0,
    keep: Sequence[str] = (),
    time_limit_s: float | None = None,
) -> dict:
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
    threshold: float = 120.0,
    keep: Sequence[str] = (),
    time_limit_s: float | None = None,
) -> dict:
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
