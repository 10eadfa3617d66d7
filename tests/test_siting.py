"""Venue siting: exact methods against brute force, the heuristic against its bound, spopt equality."""

from __future__ import annotations

import itertools
import json
import math
import zlib

import numpy as np
import pytest

from geoaccess.analysis.siting.matrix_file import read_matrix_file
from geoaccess.analysis.siting.measures import UNREACHABLE_PENALTY_MIN, measures, objective_value, weighted_median
from geoaccess.analysis.siting.solve import site_matrix_file, solve
from geoaccess.defaults import SITING_OBJECTIVES
from geoaccess.errors import BadInput

# --- helpers --------------------------------------------------------------------------------


def lexicographic_key(cost, weights, selected, objective, threshold):
    """(primary to minimise, p-median tie-break) of a selection, straight from the definitions."""
    value = objective_value(cost, weights, selected, objective, threshold)
    if objective == "pmedian":
        return value, 0.0
    tie = objective_value(cost, weights, selected, "pmedian", threshold)
    return round(-value if objective == "mclp" else value, 9), tie  # rounded: float sums tie exactly


def brute_force(cost, weights, p, objective, threshold, keep):
    """Every combination, one at a time: the best key."""
    free = [j for j in range(cost.shape[1]) if j not in keep]
    return min(
        lexicographic_key(cost, weights, list(keep) + list(combo), objective, threshold)
        for combo in itertools.combinations(free, p)
    )


def random_instance(rng, m, n, unreachable=0.2, integer=True):
    cost = rng.uniform(0, 200, (m, n))
    if integer:
        cost = cost.round()
    cost[rng.random((m, n)) < unreachable] = np.inf
    weights = rng.integers(0, 6, m).astype(float)
    weights[0] += 1
    return cost, weights


def assert_same_key(a, b):
    assert a[0] == pytest.approx(b[0], rel=1e-9, abs=1e-9)
    assert a[1] == pytest.approx(b[1], rel=1e-9, abs=1e-9)


# --- exact methods against brute force ------------------------------------------------------


@pytest.mark.parametrize("objective", SITING_OBJECTIVES)
@pytest.mark.parametrize("with_keep", [False, True])
@pytest.mark.parametrize("method", ["enumeration", "milp", "auto"])
def test_exact_methods_match_brute_force(objective, with_keep, method):
    rng = np.random.default_rng(zlib.crc32(f"{objective}-{with_keep}-{method}".encode()))
    for _ in range(12):
        m, n = int(rng.integers(2, 25)), int(rng.integers(3, 9))
        cost, weights = random_instance(rng, m, n)
        keep = sorted(rng.choice(n, int(rng.integers(1, 3)), replace=False).tolist()) if with_keep else []
        p = int(rng.integers(1, n - len(keep) + 1))
        threshold = float(rng.choice([30.0, 60.0, 120.0]))
        result = solve(cost, weights, p, objective, threshold=threshold, keep=keep, method=method)
        assert result.optimal and result.gap == 0.0
        assert set(keep) <= set(result.selected) and len(result.selected) == len(keep) + p
        assert result.selected == sorted(result.selected)
        got = lexicographic_key(cost, weights, result.selected, objective, threshold)
        assert_same_key(got, brute_force(cost, weights, p, objective, threshold, keep))
        assert result.objective == pytest.approx(objective_value(cost, weights, result.selected, objective, threshold))


@pytest.mark.slow
def test_milp_equals_enumeration_on_a_larger_instance():
    rng = np.random.default_rng(7)
    cost, weights = random_instance(rng, 150, 16, unreachable=0.1, integer=False)
    for objective, keep in [("pmedian", []), ("pmedian", [3]), ("mclp", []), ("over120", [0, 9])]:
        threshold = 60.0 if objective == "mclp" else 120.0
        exact = solve(cost, weights, 3, objective, threshold=threshold, keep=keep, method="enumeration")
        via_milp = solve(cost, weights, 3, objective, threshold=threshold, keep=keep, method="milp")
        assert exact.method == "enumeration" and via_milp.method == "milp"
        assert via_milp.optimal
        assert_same_key(
            lexicographic_key(cost, weights, via_milp.selected, objective, threshold),
            lexicographic_key(cost, weights, exact.selected, objective, threshold),
        )


# --- the heuristic and its bound ------------------------------------------------------------


@pytest.mark.parametrize("objective", SITING_OBJECTIVES)
def test_heuristic_is_within_its_gap_and_the_bound_is_valid(objective):
    rng = np.random.default_rng({"pmedian": 1, "mclp": 2, "over120": 3}[objective])
    for trial in range(15):
        cost, weights = random_instance(rng, int(rng.integers(20, 60)), int(rng.integers(6, 12)), integer=False)
        keep = [0] if trial % 2 else []
        p = int(rng.integers(1, 5))
        threshold = 50.0 if objective == "mclp" else 70.0
        heuristic = solve(cost, weights, p, objective, threshold=threshold, keep=keep, method="heuristic")
        exact = solve(cost, weights, p, objective, threshold=threshold, keep=keep, method="enumeration")
        assert heuristic.method == "heuristic"
        optimum, value, bound = exact.objective, heuristic.objective, heuristic.bound
        if objective == "mclp":  # maximised: the bound is an upper bound
            assert bound >= optimum - 1e-9
            assert value >= optimum * (1 - heuristic.gap) - 1e-9
            assert heuristic.gap == pytest.approx((bound - value) / bound if bound else 0.0)
        else:
            assert bound <= optimum + 1e-9
            assert value <= optimum + heuristic.gap * value + 1e-9
        assert heuristic.gap >= 0
        if heuristic.optimal:  # claimed only when the Lagrangian bound meets the answer
            assert objective == "pmedian" and value == pytest.approx(optimum, rel=1e-9)


def test_heuristic_can_prove_optimality_by_its_bound():
    # Two clear clusters: the LP relaxation is integral and the Lagrangian bound closes.
    rng = np.random.default_rng(11)
    left, right = rng.uniform(0, 10, 40), rng.uniform(90, 100, 40)
    people = np.concatenate([left, right])
    sites = np.array([5.0, 50.0, 95.0, 30.0, 70.0])
    cost = np.abs(people[:, None] - sites[None, :])
    result = solve(cost, np.ones(80), 2, "pmedian", method="heuristic")
    assert result.selected == [0, 2]
    assert result.optimal and result.gap == pytest.approx(0.0, abs=1e-9)


def test_heuristic_at_larger_p_reports_a_gap_against_enumeration():
    rng = np.random.default_rng(3)
    cost, weights = random_instance(rng, 200, 18, unreachable=0.05, integer=False)
    exact = solve(cost, weights, 6, "pmedian", method="enumeration")
    heuristic = solve(cost, weights, 6, "pmedian", method="heuristic")
    assert heuristic.bound <= exact.objective + 1e-9 <= heuristic.objective + 2e-9
    assert heuristic.objective - exact.objective <= heuristic.gap * heuristic.objective + 1e-9


# --- semantics ------------------------------------------------------------------------------


def test_unreachable_people_and_the_three_objectives():
    inf = np.inf
    cost = np.array(
        [
            [10.0, 200.0, inf],
            [150.0, 20.0, inf],
            [inf, inf, inf],  # nobody reaches this point
            [130.0, 125.0, 5.0],
        ]
    )
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    result = solve(cost, weights, 1, "pmedian", keep=[0])
    assert result.selected == [0, 2]
    expected = (1 * 10 + 2 * 150 + 3 * UNREACHABLE_PENALTY_MIN + 4 * 5) / 10
    assert result.objective == pytest.approx(expected)
    assert result.measures["weight_unreachable"] == 3.0
    assert result.measures["mean_minutes"] == pytest.approx((10 + 300 + 20) / 7)
    mclp = solve(cost, weights, 1, "mclp", threshold=120.0, keep=[0])
    assert mclp.selected == [0, 2] and mclp.objective == 5.0  # 1 (site 0) + 4 (site 2)
    over = solve(cost, weights, 1, "over120", keep=[0])
    assert over.objective == 5.0  # 2 over two hours + 3 with no way at all
    assert over.selected == mclp.selected
    # p is the number of NEW sites
    both = solve(cost, weights, 2, "pmedian", keep=[0])
    assert both.selected == [0, 1, 2] and both.added == [1, 2] and both.kept == [0]


def test_coverage_ties_are_broken_by_the_pmedian_sum():
    cost = np.array([[10.0, 50.0, 30.0], [100.0, 100.0, 100.0]])
    result = solve(cost, np.array([1.0, 1.0]), 1, "mclp", threshold=60.0)
    assert result.selected == [0]  # all three cover the first point; site 0 is nearest


def test_a_time_over_the_penalty_counts_as_no_way():
    cost = np.array([[700.0, np.inf], [1.0, 1.0]])
    a = solve(cost, np.ones(2), 1, "pmedian", method="enumeration")
    assert a.objective == pytest.approx((UNREACHABLE_PENALTY_MIN + 1) / 2)


def test_measures_and_weighted_median():
    cost = np.array([[10.0], [40.0], [100.0], [np.inf]])
    weights = np.array([1.0, 1.0, 1.0, 1.0])
    got = measures(cost, weights, [0], threshold=90.0)
    assert got["share_within_30"] == 0.25 and got["share_within_60"] == 0.5
    assert got["share_within_90"] == 0.5 and got["share_within_120"] == 0.75
    assert got["weight_over_threshold"] == 2.0 and got["weight_unreachable"] == 1.0
    assert got["median_minutes"] == 40.0
    assert got["mean_minutes"] == pytest.approx(50.0)
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])) == 3.0
    assert weighted_median(np.array([5.0, np.inf]), np.array([1.0, 3.0])) == math.inf


def test_rows_no_candidate_improves_are_set_aside_correctly():
    rng = np.random.default_rng(5)
    cost, weights = random_instance(rng, 40, 7)
    cost[:, 0] = 1.0  # the kept site is best for everyone: nothing to gain
    for objective in SITING_OBJECTIVES:
        result = solve(cost, weights, 2, objective, keep=[0])
        assert result.optimal
        assert_same_key(
            lexicographic_key(cost, weights, result.selected, objective, 120.0),
            brute_force(cost, weights, 2, objective, 120.0, [0]),
        )


def test_a_tiny_time_limit_never_claims_an_unproven_optimum():
    rng = np.random.default_rng(9)
    cost, weights = random_instance(rng, 300, 30, unreachable=0.0, integer=False)
    result = solve(cost, weights, 6, "pmedian", method="milp", time_limit_s=0.001)
    exact = solve(cost, weights, 6, "pmedian", method="enumeration") if result.optimal else None
    if exact is not None:
        assert result.objective == pytest.approx(exact.objective, rel=1e-9)
    else:
        assert result.gap >= 0 and result.bound <= result.objective
    assert len(result.selected) == 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"objective": "fastest"}, "objective"),
        ({"p": 9}, "cannot add 9"),
        ({"p": -1}, "p must be"),
        ({"p": 0}, "nothing to choose"),
        ({"keep": [7]}, "not a candidate index"),
        ({"threshold": 600.0}, "threshold"),
        ({"method": "guess"}, "method"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    cost = np.ones((3, 4))
    args = {"p": 1, "objective": "pmedian", **kwargs}
    with pytest.raises(BadInput, match=message):
        solve(cost, np.ones(3), args.pop("p"), args.pop("objective"), **args)


def test_bad_matrices_are_refused():
    with pytest.raises(BadInput, match="negative or NaN"):
        solve(np.array([[1.0, -2.0]]), np.ones(1), 1, "pmedian")
    with pytest.raises(BadInput, match="weights"):
        solve(np.ones((2, 2)), np.ones(3), 1, "pmedian")
    with pytest.raises(BadInput, match="add up to 0"):
        solve(np.ones((2, 2)), np.zeros(2), 1, "pmedian")


# --- the matrix file ------------------------------------------------------------------------


def write(tmp_path, text, name="matrix.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_matrix_file(tmp_path):
    path = write(tmp_path, "origin_id,weight,carlisle,barrow,kendal\na1,2,30.5,,45\n\na2,1,90,20,35\n")
    ids, candidates, cost, weights = read_matrix_file(path)
    assert ids == ["a1", "a2"] and candidates == ["carlisle", "barrow", "kendal"]
    assert cost[0, 1] == math.inf and cost[1, 0] == 90.0
    assert weights.tolist() == [2.0, 1.0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("origin_id,weight,a\nX9 1AA,1,5\nX9 1AA,2,6\n", "line 3: origin_id repeats the one on line 2"),
        ("origin_id,weight,a\np1,1,soon\n", "line 2: minutes 'soon'"),
        ("origin_id,weight,a\np1,-1,5\n", "line 2: weight -1 is negative"),
        ("origin_id,weight\np1,1\n", "no candidate columns"),
        ("origin_id,weight,a\np1,1,5,6\n", "line 2: 4 fields"),
        ("origin_id,a\np1,5\n", "no weight column"),
        ("origin_id,weight,a\np1,1,-3\n", "minutes -3 for 'a' is negative"),
        ("origin_id,weight,a,a\np1,1,3,4\n", "column 'a' appears twice"),
        ("origin_id,weight,a\n", "no demand rows"),
        ("", "empty"),
    ],
)
def test_bad_matrix_files_name_the_line(tmp_path, text, message):
    with pytest.raises(BadInput, match=message) as caught:
        read_matrix_file(write(tmp_path, text))
    assert "X9 1AA" not in str(caught.value)  # origin ids may be postcodes: never echoed


def test_site_matrix_file_gives_ids_and_json(tmp_path):
    path = write(
        tmp_path,
        "origin_id,weight,carlisle,preston,barrow,workington\n"
        "p1,3,20,,95,40\n"
        "p2,2,140,30,80,150\n"
        "p3,5,150,110,15,70\n"
        "p4,1,,,,\n",
    )
    answer = site_matrix_file(path, 1, "over120", keep=["carlisle", "preston"])
    json.dumps(answer, allow_nan=False)
    assert answer["selected"] == ["barrow", "carlisle", "preston"] or answer["selected"] == [
        "carlisle",
        "preston",
        "barrow",
    ]
    assert set(answer["kept"]) == {"carlisle", "preston"} and answer["added"] == ["barrow"]
    assert answer["objective"] == 1.0 and answer["optimal"] is True
    assert answer["measures"]["weight_unreachable"] == 1.0
    with pytest.raises(BadInput, match="'lancaster'"):
        site_matrix_file(path, 1, keep=["lancaster"])


# --- equality with spopt --------------------------------------------------------------------


def euclidean_instance(seed, m, n):
    rng = np.random.default_rng(seed)
    people, sites = rng.uniform(0, 100, (m, 2)), rng.uniform(0, 100, (n, 2))
    cost = np.linalg.norm(people[:, None, :] - sites[None, :, :], axis=2).round(1)
    return cost, rng.integers(1, 10, m).astype(float)


def spopt_solver():
    pulp = pytest.importorskip("pulp")
    pytest.importorskip("spopt")
    if "HiGHS" in pulp.listSolvers(onlyAvailable=True):
        return pulp.HiGHS(msg=False)
    return pulp.PULP_CBC_CMD(msg=False)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("keep", [[], [2, 7]])
def test_pmedian_optimum_equals_spopt(keep):
    solver = spopt_solver()
    from spopt.locate import PMedian

    cost, weights = euclidean_instance(20261126, 300, 20)
    ours = solve(cost, weights, 3, "pmedian", keep=keep)
    assert ours.optimal
    predefined = None
    if keep:
        predefined = np.zeros(20, dtype=int)
        predefined[keep] = 1
    # spopt's p counts every open site, kept ones included
    model = PMedian.from_cost_matrix(
        cost, weights, p_facilities=3 + len(keep), predefined_facilities_arr=predefined
    ).solve(solver)
    theirs = sorted(j for j, var in enumerate(model.fac_vars) if var.value() > 0.5)
    assert model.problem.objective.value() == pytest.approx(ours.objective * weights.sum(), rel=1e-9)
    assert ours.selected == theirs  # the optimum is unique on this instance


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_mclp_optimum_equals_spopt():
    solver = spopt_solver()
    from spopt.locate import MCLP

    cost, weights = euclidean_instance(7, 300, 20)
    ours = solve(cost, weights, 3, "mclp", threshold=25.0)
    model = MCLP.from_cost_matrix(cost, weights, service_radius=25.0, p_facilities=3).solve(solver)
    theirs = sorted(j for j, var in enumerate(model.fac_vars) if var.value() > 0.5)
    assert model.problem.objective.value() == pytest.approx(ours.objective)
    assert objective_value(cost, weights, theirs, "mclp", 25.0) == pytest.approx(ours.objective)
