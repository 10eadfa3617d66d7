"""Reading a siting cost matrix from CSV: ``origin_id``, ``weight``, then one column of minutes per candidate.

The whole file is checked before anything is returned; every problem names its line (the
header is line 1). Origin ids are never echoed in messages: they may be personal data.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geoaccess.errors import BadInput

MAX_PROBLEMS_SHOWN = 10

_Row = tuple[int, list[str]]
"""A non-blank CSV row and its line number."""


@dataclass(frozen=True)
class _Columns:
    """Where the fields are in each row."""

    width: int
    origin: int
    weight: int
    candidates: list[int]
    candidate_ids: list[str]


def read_matrix_file(path: str | Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Read a siting matrix CSV: ``origin_id``, ``weight``, then one column of minutes per candidate.

    Returns ``(origin_ids, candidate_ids, cost, weights)`` with ``cost[i, j]`` in minutes,
    ``inf`` where the cell is empty (unreachable). The whole file is checked before
    anything is returned; every problem names its line (the header is line 1).
    Origin ids are never echoed in messages: they may be personal data.
    """
    path = Path(path)
    numbered = _nonblank_rows(path)
    header_line, raw_header = numbered[0]
    header = [cell.strip() for cell in raw_header]
    columns = _columns(path.name, header_line, header)
    problems = _header_problems(header_line, header)
    data = numbered[1:]
    if not data:
        problems.append("no demand rows after the header")
    origin_ids, cost, weights = _read_rows(data, columns, problems)
    if not problems and weights.sum() <= 0:
        problems.append("every weight is 0: there is nobody to site venues for")
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = f" (and {len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        raise BadInput(f"{path.name}: {len(problems)} problem(s), nothing used: {shown}{more}")
    return origin_ids, columns.candidate_ids, cost, weights


def _nonblank_rows(path: Path) -> list[_Row]:
    """The file's non-blank rows with their line numbers; BadInput if it is missing, unreadable or empty."""
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
    return numbered


def _columns(name: str, header_line: int, header: list[str]) -> _Columns:
    """The columns named by the header; BadInput if origin_id, weight or every candidate is missing."""
    missing = [
        f"line {header_line}: no {required} column" for required in ("origin_id", "weight") if required not in header
    ]
    if missing:
        raise BadInput(f"{name}: " + "; ".join(missing) + " (expected origin_id,weight,<venue ids>)")
    origin, weight = header.index("origin_id"), header.index("weight")
    candidates = [c for c in range(len(header)) if c not in (origin, weight)]
    if not candidates:
        raise BadInput(
            f"{name}: line {header_line}: no candidate columns: add one column of minutes "
            "per candidate venue id after origin_id and weight"
        )
    return _Columns(len(header), origin, weight, candidates, [header[c] for c in candidates])


def _header_problems(header_line: int, header: list[str]) -> list[str]:
    """Columns without a name, and names used twice."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(f"line {header_line}: column {position} has no name")
        elif name in seen:
            problems.append(f"line {header_line}: column {name!r} appears twice (columns {seen[name]} and {position})")
        else:
            seen[name] = position
    return problems


def _read_rows(data: list[_Row], columns: _Columns, problems: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(origin ids, cost, weights) of the demand rows; each problem found is added to ``problems``."""
    origin_ids: list[str] = []
    weights = np.zeros(len(data))
    cost = np.full((len(data), len(columns.candidates)), np.inf)
    first_line: dict[str, int] = {}
    for r, (line, row) in enumerate(data):
        if len(row) != columns.width:
            problems.append(f"line {line}: {len(row)} fields, the header has {columns.width}")
            origin_ids.append("")
            continue
        origin = row[columns.origin].strip()
        origin_ids.append(origin)
        if not origin:
            problems.append(f"line {line}: empty origin_id")
        elif origin in first_line:
            problems.append(f"line {line}: origin_id repeats the one on line {first_line[origin]}")
        else:
            first_line[origin] = line
        weights[r] = _weight(line, row[columns.weight], problems)
        cost[r] = _minutes(line, row, columns, problems)
    return origin_ids, cost, weights


def _weight(line: int, text: str, problems: list[str]) -> float:
    """The weight in ``text``, or 0 with a problem added when it is not a number or negative."""
    weight = _number(text)
    if weight is None:
        problems.append(f"line {line}: weight {text.strip()!r} is not a number")
    elif weight < 0:
        problems.append(f"line {line}: weight {weight:g} is negative")
    else:
        return weight
    return 0.0


def _minutes(line: int, row: list[str], columns: _Columns, problems: list[str]) -> np.ndarray:
    """The row's minutes to each candidate, ``inf`` where empty (unreachable) or not usable (a problem added)."""
    minutes = np.full(len(columns.candidates), np.inf)
    for k, c in enumerate(columns.candidates):
        cell = row[c].strip()
        if not cell:
            continue  # unreachable
        value = _number(cell)
        if value is None:
            problems.append(
                f"line {line}: minutes {cell!r} for {columns.candidate_ids[k]!r} is not a number "
                "(leave the cell empty when unreachable)"
            )
        elif value < 0:
            problems.append(f"line {line}: minutes {value:g} for {columns.candidate_ids[k]!r} is negative")
        else:
            minutes[k] = value
    return minutes


def _number(text: str) -> float | None:
    """A finite float, or None."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None
