"""CSV cells a spreadsheet will not run: text that would start a formula is made plain text.

Every CSV geoaccess writes (CLI and web) passes its cells through these helpers. Following the OWASP
guidance on CSV injection, a *text* cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading single quote, so Excel, LibreOffice and Sheets show it as text instead of
evaluating it. Only ``str`` values are touched: numbers stay numbers (a float ``-3.5`` is written as
``-3.5``), whereas the text ``"-3"`` typed by a user becomes ``'-3``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a text cell may not start with (OWASP, CSV injection)."""

T = TypeVar("T")


def neutralise_csv_text(value: T) -> T | str:
    """``value`` with a leading ``'`` if it is text starting with a formula character; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_csv_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row for :class:`csv.DictWriter` with every text cell neutralised (keys as they are)."""
    return {key: neutralise_csv_text(value) for key, value in row.items()}


def neutralise_csv_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """:func:`neutralise_csv_row` of each row."""
    return [neutralise_csv_row(row) for row in rows]


def neutralise_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for ``to_csv`` with every text cell neutralised.

    Only columns that can hold text (object, string and categorical) are looked at, and in them only
    ``str`` values change; numeric, boolean and date columns are left exactly as they are.
    """
    out = frame.copy()
    for position, dtype in enumerate(frame.dtypes):
        if dtype.kind == "O":  # object, str/string and category columns
            out.isetitem(position, frame.iloc[:, position].astype(object).map(neutralise_csv_text))
    return out
