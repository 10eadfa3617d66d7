"""Exact siting by integer programming: HiGHS through :func:`scipy.optimize.milp`.

The p-median model has binary site variables and continuous assignment variables, with
``x_ij <= y_j`` only for the sites that beat the person's kept sites, whose cost is a free
fallback assignment. Coverage uses the maximal covering model; its ties are broken by a
second, p-median solve constrained to the best coverage. An answer is proven when HiGHS
reports an optimum within :data:`MILP_REL_GAP`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from geoaccess.analysis.siting.problem import MILP_REL_GAP, Problem

if TYPE_CHECKING:
    from scipy.sparse import csr_array


@dataclass
class MilpOutcome:
    """HiGHS's selection (None when it found none), whether it is proven optimal, and its bound."""

    chosen: list[int] | None
    proven: bool
    bound: float | None  # bound on the reduced p-median sum (pmedian) or covered weight (coverage)


@dataclass
class _Cover:
    """The covering rows: reduced rows the kept sites leave uncovered, and which sites cover them."""

    rows: np.ndarray  # reduced row of each covering row
    i: np.ndarray  # (i, j) pairs: site j covers covering row i
    j: np.ndarray

    @classmethod
    def of(cls, prob: Problem) -> _Cover:
        """The covering rows of a coverage problem."""
        rows = np.flatnonzero(prob.b > prob.threshold)
        i, j = np.nonzero(prob.D[rows] <= prob.threshold)
        return cls(rows, i, j)

    def block(self, offset_c: int, n_vars: int) -> tuple[csr_array, np.ndarray]:
        """Rows c_i - sum_{j covers i} y_j <= 0 over variables [y | ... | c at offset_c]."""
        from scipy.sparse import coo_array, csr_array

        k_cov = len(self.rows)
        rows = np.concatenate([np.arange(k_cov), self.i])
        cols = np.concatenate([offset_c + np.arange(k_cov), self.j])
        vals = np.concatenate([np.ones(k_cov), -np.ones(len(self.i))])
        return csr_array(coo_array((vals, (rows, cols)), shape=(k_cov, n_vars))), np.zeros(k_cov)


def solve_milp(prob: Problem, p: int, deadline: float) -> MilpOutcome:
    """Solve the reduced problem with HiGHS, stopping at ``deadline`` (a ``time.perf_counter()`` value)."""
    m, n = prob.D.shape
    if m == 0:
        return MilpOutcome(list(range(p)), True, 0.0)
    if prob.coverage:
        return _coverage(prob, p, deadline)
    res = _pmedian_program(prob, p, deadline)
    if res.x is None:
        return MilpOutcome(None, False, None)
    dual = getattr(res, "mip_dual_bound", None)
    sum_bound = dual * _scale(prob) if dual is not None and np.isfinite(dual) else None
    return MilpOutcome(_chosen_from(res.x[:n], p), res.status == 0, sum_bound)


def _coverage(prob: Problem, p: int, deadline: float) -> MilpOutcome:
    """Maximal coverage, then the least p-median sum among the selections covering as much."""
    n = prob.D.shape[1]
    cover = _Cover.of(prob)
    res = _coverage_program(prob, p, deadline, cover)
    if res.x is None:
        return MilpOutcome(None, False, None)
    stage1 = _chosen_from(res.x[:n], p)
    fixed_cov = float(prob.w[prob.b <= prob.threshold].sum())
    best_cov = (
        float(prob.w[cover.rows][(prob.D[cover.rows][:, stage1] <= prob.threshold).any(axis=1)].sum())
        if stage1
        else 0.0
    )
    if res.status != 0:
        dual = getattr(res, "mip_dual_bound", None)
        return MilpOutcome(
            stage1, False, fixed_cov + (-dual * _scale(prob) if dual is not None and np.isfinite(dual) else np.inf)
        )
    bound = fixed_cov + best_cov
    res = _pmedian_program(prob, p, deadline, cover=cover, min_cov=best_cov)
    if res.x is None:
        return MilpOutcome(stage1, False, bound)
    chosen = _chosen_from(res.x[:n], p)
    if prob.better(prob.key_of(stage1), prob.key_of(chosen)):  # tolerance let in less coverage
        return MilpOutcome(stage1, False, bound)
    return MilpOutcome(chosen, res.status == 0, bound)


def _coverage_program(prob: Problem, p: int, deadline: float, cover: _Cover) -> Any:
    """HiGHS's answer to maximal coverage. Variables [y (n) | c (covering rows)]."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    n = prob.D.shape[1]
    k_cov = len(cover.rows)
    n_vars = n + k_cov
    cost = np.concatenate([np.zeros(n), -prob.w[cover.rows] / _scale(prob)])
    link, upper = cover.block(n, n_vars)
    card = csr_array(np.concatenate([np.ones(n), np.zeros(k_cov)])[None, :])
    return milp(
        cost,
        integrality=np.concatenate([np.ones(n), np.zeros(k_cov)]),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(link, -np.inf, upper), LinearConstraint(card, p, p)],
        options=_options(deadline),
    )


def _pmedian_program(
    prob: Problem, p: int, deadline: float, *, cover: _Cover | None = None, min_cov: float = 0.0
) -> Any:
    """HiGHS's answer to p-median, covering at least ``min_cov`` of ``cover`` when given.

    Variables [y (n) | x pairs (k) | x0 (m) | c (covering rows)].
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array, csr_array

    m, n = prob.D.shape
    scale = _scale(prob)
    k_cov = 0 if cover is None else len(cover.rows)
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
    if cover is not None:
        block, upper = cover.block(n + k + m, n_vars)
        weight_row = csr_array(np.concatenate([np.zeros(n + k + m), prob.w[cover.rows]])[None, :])
        slack = 0.5 if prob.integral else 1e-9 * prob.total  # whole-number weights: coverages differ by >= 1
        constraints += [LinearConstraint(block, -np.inf, upper), LinearConstraint(weight_row, min_cov - slack, np.inf)]
    return milp(
        cost,
        integrality=np.concatenate([np.ones(n), np.zeros(n_vars - n)]),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options=_options(deadline),
    )


def _scale(prob: Problem) -> float:
    """The objective scale: the total weight (HiGHS then works with values near 1)."""
    return max(prob.total, 1e-300)


def _options(deadline: float) -> dict[str, Any]:
    """HiGHS options: the time left until ``deadline``, and the proven-optimum gap."""
    return {"time_limit": max(deadline - time.perf_counter(), 0.01), "mip_rel_gap": MILP_REL_GAP, "disp": False}


def _chosen_from(y: np.ndarray, p: int) -> list[int]:
    """The p largest site variables (HiGHS returns them within its integrality tolerance of 0/1)."""
    return sorted(int(j) for j in np.argsort(-y, kind="stable")[:p])
