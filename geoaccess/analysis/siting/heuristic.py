"""The heuristic: greedy addition, then vertex substitution (Teitz and Bart, 1968).

Greedy addition adds the site that improves the objective most, ``p`` times; vertex
substitution then makes the best single swap of a chosen site for an unchosen one while it
improves the objective, all swaps evaluated in numpy.
"""

from __future__ import annotations

import numpy as np

from geoaccess.analysis.siting.problem import Problem


def greedy(prob: Problem, p: int) -> list[int]:
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


def interchange(prob: Problem, chosen: list[int]) -> tuple[list[int], int]:
    """Vertex substitution (Teitz-Bart), best improvement: make the best single swap while it helps.

    Returns the sorted selection and the number of swaps evaluated.
    """
    chosen = list(chosen)
    n = prob.D.shape[1]
    tried = 0
    if not chosen or len(chosen) == n:
        return chosen, tried
    current = prob.key_of(chosen)
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


def improve_from(prob: Problem, chosen: list[int], start: list[int] | None, evaluated: int) -> tuple[list[int], int]:
    """Run the interchange from a second start (the Lagrangian's own selection) too; keep the better answer."""
    if start is None or sorted(start) == sorted(chosen):
        return chosen, evaluated
    other, tried = interchange(prob, start)
    if prob.better(prob.key_of(other), prob.key_of(chosen)):
        return other, evaluated + tried
    return chosen, evaluated + tried
