"""The siting problem as the solvers see it: inputs checked, rows reduced, selections compared.

Before solving, rows are reduced: each person's cost to a candidate is capped at the cost
of their best kept site (a new site only helps if it beats it), people no candidate can
improve are set aside as a constant, and people with identical rows are merged with their
weights added. Columns are the free (not kept) candidates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geoaccess.analysis.siting.measures import UNREACHABLE_PENALTY_MIN
from geoaccess.errors import BadInput

MILP_REL_GAP = 1e-9
"""Relative gap at which a bound proves an answer optimal (HiGHS's, or the Lagrangian one)."""
_REL_TOL = 1e-10


@dataclass
class Problem:
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
        """Tolerance on a p-median sum."""
        return _REL_TOL * max(self.total, 1e-300) * UNREACHABLE_PENALTY_MIN

    @property
    def tol_cov(self) -> float:
        """Tolerance on a covered weight."""
        return _REL_TOL * max(self.total, 1e-300)

    def keys(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(primary, secondary) to minimise for each column of row-minimum vectors ``V``."""
        sums = self.w @ V
        if not self.coverage:
            return sums, np.zeros_like(sums)
        return -(self.w @ (V <= self.threshold)), sums

    def key(self, v: np.ndarray) -> tuple[float, float]:
        """(primary, secondary) to minimise for one row-minimum vector ``v``."""
        prim, sec = self.keys(v[:, None])
        return float(prim[0]), float(sec[0])

    def key_of(self, chosen: Sequence[int]) -> tuple[float, float]:
        """(primary, secondary) to minimise for a selection of columns."""
        return self.key(self.D[:, list(chosen)].min(axis=1) if len(chosen) else self.b)

    def better(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Is key ``a`` better than key ``b`` beyond the tolerances?"""
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


def validate(
    cost: np.ndarray, weights: np.ndarray, p: int, *, threshold: float, keep: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """``cost`` and ``weights`` as float arrays and the kept sites without repeats; BadInput if unusable."""
    cost, weights = _checked_arrays(cost, weights)
    if isinstance(p, bool) or int(p) != p or p < 0:
        raise BadInput(f"p must be a whole number of sites to add, 0 or more (got {p!r})")
    if not (math.isfinite(threshold) and 0 <= threshold < UNREACHABLE_PENALTY_MIN):
        raise BadInput(f"threshold must be from 0 to under {UNREACHABLE_PENALTY_MIN:g} minutes (got {threshold!r})")
    n = cost.shape[1]
    kept = _checked_kept(keep, n)
    if int(p) > n - len(kept):
        raise BadInput(f"cannot add {int(p)} sites: only {n - len(kept)} candidates are not already kept")
    if int(p) == 0 and not kept:
        raise BadInput("nothing to choose: p is 0 and no site is kept")
    return cost, weights, kept


def _checked_arrays(cost: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cost matrix and weights as float arrays, checked for shape and values."""
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
    return cost, weights


def _checked_kept(keep: Sequence[int], n: int) -> list[int]:
    """The kept candidate indices in first-seen order, repeats dropped."""
    kept: list[int] = []
    for j in keep:
        if isinstance(j, bool) or int(j) != j or not 0 <= j < n:
            raise BadInput(f"kept site {j!r} is not a candidate index from 0 to {n - 1}")
        if int(j) not in kept:
            kept.append(int(j))
    return kept


def reduce_problem(
    capped: np.ndarray, weights: np.ndarray, kept: list[int], free: np.ndarray, *, threshold: float, coverage: bool
) -> Problem:
    """The reduced problem over the ``free`` columns of ``capped`` (costs capped at the penalty)."""
    if kept:
        b = capped[:, kept].min(axis=1)
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
    return Problem(
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
