"""Siting benchmark: geoaccess.analysis.siting.solve against spopt (HiGHS and CBC through PuLP), same run.

Run ``python bench/bench_siting.py [--repeat N] [--cap100 S] [--no-cbc]``. It prints a
Markdown report and writes it to ``bench/results/siting.md``.

Instance (seeded): 2,000 demand points = random live postcodes of the pack, weighted
1-5 people each (seeded integers: the synthetic caseload of issue 5 item 2 replaces
them later); candidates = 100 random NaPTAN stops of the pack, the first 50 of which
form the 50-candidate instance; cost = door-to-door car minutes on the pack's offline
proxy road network (``router_for("car").many_to_many``). p = 3 new sites, p-median.

Measured in the same process, pinned to one CPU, with BLAS/OpenMP pools at one
thread: ours by exact enumeration with bounding (``method="enumeration"``), by the
default ``method="auto"``, and a plain numpy exhaustive search over every triple
(no bounding: the baseline quoted in DESIGN.md); spopt's ``PMedian.from_cost_matrix``
+ ``solve`` with HiGHS and with CBC (model build included: that is what a user
waits for). The optimum of each is checked equal. spopt on 100 candidates runs once
with a time cap (``--cap100``); a capped run gives a lower bound on its time.
"""

from __future__ import annotations

from _machine import cpu_model, git_revision, pin_one_cpu, single_thread_pools, timed, version

single_thread_pools()

import argparse  # noqa: E402
import datetime  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from itertools import combinations  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from geoaccess.analysis.siting.measures import UNREACHABLE_PENALTY_MIN  # noqa: E402
from geoaccess.analysis.siting.solve import solve  # noqa: E402
from geoaccess.pack import load_pack  # noqa: E402
from geoaccess.roads.sources import router_for  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "siting.md"
SEED = 20261126
DEMAND, CANDIDATES, P = 2_000, 100, 3
TARGET_SPEEDUP = 100.0


def instance() -> tuple[np.ndarray, np.ndarray, dict]:
    pack = load_pack()
    rng = np.random.default_rng(SEED)
    postcodes, stops = pack.postcodes, pack.stops
    origins = postcodes.iloc[rng.choice(len(postcodes), DEMAND, replace=False)][["lon", "lat"]].to_numpy()
    sites = stops.iloc[rng.choice(len(stops), CANDIDATES, replace=False)][["lon", "lat"]].to_numpy()
    weights = rng.integers(1, 6, DEMAND).astype(float)
    started = time.perf_counter()
    minutes = router_for("car").many_to_many(origins, sites).seconds / 60.0
    info = {
        "matrix_s": time.perf_counter() - started,
        "unreachable": int(np.isinf(minutes).sum()),
        "max_min": float(minutes[np.isfinite(minutes)].max()),
        "median_min": float(np.median(minutes)),
    }
    return minutes, weights, info


def plain_exhaustive(cost: np.ndarray, weights: np.ndarray) -> tuple[float, list[int]]:
    """Every triple, no bounding: for each pair, all third sites in one numpy pass."""
    capped = np.minimum(cost, UNREACHABLE_PENALTY_MIN)
    n = capped.shape[1]
    best, best_sel = np.inf, None
    for i, j in combinations(range(n - 1), 2):
        pair = np.minimum(capped[:, i], capped[:, j])
        values = weights @ np.minimum(pair[:, None], capped[:, j + 1 :])
        k = int(np.argmin(values))
        if values[k] < best:
            best, best_sel = float(values[k]), [i, j, j + 1 + k]
    return best / weights.sum(), best_sel


def spopt_pmedian(cost: np.ndarray, weights: np.ndarray, solver_name: str, cap: float | None):
    """(seconds, mean minutes or None, selection or None, status) of spopt's p-median."""
    import pulp
    from spopt.locate import PMedian

    solver = (
        pulp.HiGHS(msg=False, timeLimit=cap) if solver_name == "HiGHS" else pulp.PULP_CBC_CMD(msg=False, timeLimit=cap)
    )
    capped = np.minimum(cost, UNREACHABLE_PENALTY_MIN)  # spopt needs finite costs; ours caps the same way
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = PMedian.from_cost_matrix(capped, weights, p_facilities=P)
        try:
            model.solve(solver)
            status = "optimal"
        except RuntimeError as exc:
            status = f"not solved ({exc})"
    seconds = time.perf_counter() - started
    status_name = pulp.LpStatus.get(model.problem.status, str(model.problem.status))
    try:
        selected = sorted(j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5)
        value = float(model.problem.objective.value()) / weights.sum()
    except (TypeError, AttributeError):
        selected, value = None, None
    if status != "optimal":
        status = f"stopped: PuLP status {status_name}"
    return seconds, value, selected, status


def fmt_s(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f} s (1 run)"
    return f"{min(values):.3f} s / {statistics.median(values):.3f} s ({len(values)})"


def versions() -> str:
    return ", ".join(f"{name} {version(name)}" for name in ("numpy", "scipy", "highspy", "spopt", "pulp"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cap100", type=float, default=900.0, help="time cap (s) of spopt on 100 candidates")
    parser.add_argument("--no-cbc", action="store_true", help="skip spopt with CBC")
    parser.add_argument("--no-spopt", action="store_true", help="ours only (quick check)")
    args = parser.parse_args()
    cpu = pin_one_cpu()
    pinned = "not pinned (no sched_setaffinity)" if cpu is None else f"pinned to CPU {cpu}"
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cost100, weights, info = instance()
    print(f"matrix built in {info['matrix_s']:.2f} s", file=sys.stderr)

    rows = []
    for n in (50, 100):
        cost = cost100[:, :n]
        enum_t, enum = timed(lambda c=cost: solve(c, weights, P, "pmedian", method="enumeration"), args.repeat)
        auto_t, auto = timed(lambda c=cost: solve(c, weights, P, "pmedian"), args.repeat)
        plain_t, plain = timed(lambda c=cost: plain_exhaustive(c, weights), max(1, args.repeat // 2))
        combos = len(list(combinations(range(n), P)))
        row = {
            "n": n,
            "combos": combos,
            "enum_t": enum_t,
            "enum": enum,
            "auto_t": auto_t,
            "auto": auto,
            "plain_t": plain_t,
            "plain": plain,
            "spopt": {},
        }
        if not args.no_spopt:
            solvers = ["HiGHS"] + ([] if args.no_cbc or n == 100 else ["CBC"])
            for name in solvers:
                cap = args.cap100 if n == 100 else None
                print(f"spopt {name} on {n} candidates ...", file=sys.stderr, flush=True)
                row["spopt"][name] = spopt_pmedian(cost, weights, name, cap)
                print(f"  {row['spopt'][name][0]:.1f} s", file=sys.stderr, flush=True)
        rows.append(row)

    lines = [
        "# Siting benchmark: geoaccess.analysis.siting.solve vs spopt",
        "",
        f"Generated by `bench/bench_siting.py --repeat {args.repeat} --cap100 {args.cap100:g}"
        f"{' --no-cbc' if args.no_cbc else ''}` on {when}, commit {git_revision()}. Machine: {cpu_model()}, "
        f"{os.cpu_count()} CPUs, {pinned}, BLAS/OpenMP at one thread; Python {platform.python_version()}; "
        f"{versions()}. Times are wall clock, best / median (runs).",
        "",
        "Instance: 2,000 demand points = seeded random live postcodes of the pack (weights: seeded integers "
        "1-5), candidates = seeded random NaPTAN stops (the first 50 of the 100), cost = door-to-door car "
        'minutes on the pack\'s offline proxy road network (`router_for("car").many_to_many`, '
        f"{info['matrix_s']:.2f} s for the 2,000 x 100 matrix; median {info['median_min']:.1f} min, "
        f"max {info['max_min']:.1f} min, {info['unreachable']} unreachable pairs). "
        "p-median, p = 3 new sites, nothing kept.",
        "",
        "| Candidates | Method | Time | Mean minutes (objective) | Selected | Same optimum | Speed-up vs spopt+HiGHS |",
        "|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for row in rows:
        n, enum, auto = row["n"], row["enum"], row["auto"]
        ref = enum.objective
        highs = row["spopt"].get("HiGHS")

        def speedup(times, highs=highs):
            if highs is None:
                return "n/a"
            bound = ">= " if not highs[3].startswith("optimal") else ""
            return f"{bound}{highs[0] / min(times):,.0f}x"

        def same(value, selected, ref=ref, enum=enum):
            if value is None:
                return "no answer"
            ok = abs(value - ref) <= 1e-9 * ref
            return ("yes" if ok else f"**no** ({value - ref:+.3g})") + (
                "" if selected == enum.selected else " (other tied sites)"
            )

        lines.append(
            f"| {n} | ours, exact enumeration with bounding ({enum.evaluated:,} of {row['combos']:,} "
            f"triples evaluated) | {fmt_s(row['enum_t'])} | {enum.objective:.6f} | {enum.selected} | "
            f"(reference) | {speedup(row['enum_t'])} |"
        )
        lines.append(
            f'| {n} | ours, `method="auto"` (answered by: {auto.method}, optimal={auto.optimal}) | '
            f"{fmt_s(row['auto_t'])} | {auto.objective:.6f} | {auto.selected} | "
            f"{same(auto.objective, auto.selected)} | {speedup(row['auto_t'])} |"
        )
        plain_value, plain_sel = row["plain"]
        lines.append(
            f"| {n} | plain numpy exhaustive, all {row['combos']:,} triples, no bounding | "
            f"{fmt_s(row['plain_t'])} | {plain_value:.6f} | {plain_sel} | "
            f"{same(plain_value, plain_sel)} | {speedup(row['plain_t'])} |"
        )
        for name, (seconds, value, selected, status) in row["spopt"].items():
            shown = "n/a" if value is None else f"{value:.6f}"
            lines.append(
                f"| {n} | spopt `PMedian.from_cost_matrix` + {name} ({status}) | "
                f"{seconds:.1f} s (1 run) | {shown} | {selected} | {same(value, selected)} | "
                f"1x (ours by enumeration: {seconds / min(row['enum_t']):,.0f}x faster) |"
            )
        if highs is not None:
            factor = highs[0] / min(row["enum_t"])
            bound = "" if highs[3].startswith("optimal") else " (spopt stopped at its cap: a lower bound)"
            equal = highs[1] is not None and abs(highs[1] - ref) <= 1e-9 * ref
            verdicts.append(
                f"| {n} candidates: >= {TARGET_SPEEDUP:.0f}x faster than spopt+HiGHS, same optimum | "
                f"{factor:,.0f}x{bound}; optimum equal: {'yes' if equal else 'no/unknown'} | "
                f"**{'met' if factor >= TARGET_SPEEDUP and (equal or bound) else 'not met'}** |"
            )
    if verdicts:
        lines[6:6] = [
            "## Targets (issue 5, items 5 and 8)",
            "",
            "| Target | Measured | Verdict |",
            "|---|---|---|",
            *verdicts,
            "",
            "## Timings",
            "",
        ]
    lines += [
        "",
        "## Larger p, 2,000 x 100 (ours only; one run each)",
        "",
        "| p | Method asked | Answered by | Time | Mean minutes | Optimal | Gap to bound |",
        "|---|---|---|---|---|---|---|",
    ]
    for p, asked in [(4, "auto"), (5, "heuristic"), (5, "auto"), (8, "auto"), (12, "auto"), (20, "heuristic")]:
        started = time.perf_counter()
        result = solve(cost100, weights, p, "pmedian", method=asked)
        lines.append(
            f"| {p} | {asked} | {result.method} | {time.perf_counter() - started:.3f} s | "
            f"{result.objective:.6f} | {result.optimal} | {result.gap:.2e} |"
        )
    lines += [
        "",
        "Notes:",
        "",
        '- Ours: `geoaccess.analysis.siting.solve.solve(cost, weights, 3, "pmedian", method=...)`; the time '
        "includes input checks, row reduction, the greedy + interchange incumbent and the measures of the answer. "
        "`auto` enumerates here (C(n, 3) x rows is within `ENUMERATION_BUDGET`); beyond the budget it runs the "
        "heuristic and its Lagrangian bound, which proves the optimum when it meets the answer, and only then "
        "the HiGHS integer program (see the larger-p table).",
        "- DESIGN.md measured spopt+HiGHS at about 120 s (CBC 160 s) on a 2,000 x 50, p = 3 instance of its own; "
        "on this instance, in this run, spopt took the times above. The speed-ups are against the same-run "
        "figures.",
        "- spopt builds a PuLP model with 2,000 x n assignment variables and hands it to the solver; "
        "its time includes building the model (the user's wait), as in DESIGN.md's figures.",
        f"- Unreachable pairs (none here) are charged {UNREACHABLE_PENALTY_MIN:g} minutes on both sides.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
