"""The answer of a siting solve, and its JSON-ready form."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from geoaccess.analysis.siting.measures import UNREACHABLE_PENALTY_MIN
from geoaccess.defaults import LONG_JOURNEY_MIN


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
    threshold: float = LONG_JOURNEY_MIN
    bound: float | None = None
    evaluated: int = 0
    """Combinations evaluated (enumeration), or swaps evaluated (heuristic)."""

    @property
    def added(self) -> list[int]:
        """The selected sites that were not kept."""
        kept = set(self.kept)
        return [j for j in self.selected if j not in kept]

    def to_dict(self, candidate_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """JSON-ready: ids instead of indices when ``candidate_ids`` is given; ``inf`` -> None."""
        out = asdict(self)

        def name(j: int) -> int | str:
            return j if candidate_ids is None else candidate_ids[j]

        out["selected"] = [name(j) for j in self.selected]
        out["kept"] = [name(j) for j in self.kept]
        out["added"] = [name(j) for j in self.added]
        out["unreachable_penalty_minutes"] = UNREACHABLE_PENALTY_MIN
        return {key: _finite_or_none(value) for key, value in out.items()}


def _finite_or_none(value: object) -> object:
    """``value`` with every non-finite float, however deeply nested, replaced by None."""
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
