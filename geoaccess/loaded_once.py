"""Data loaded once per process and shared by its threads: :func:`loaded_once`.

``functools.lru_cache`` keeps its table safe across threads but runs the function outside any lock, so
two threads asking for the same network or timetable at once would both load it (seconds and hundreds
of megabytes each). Every function decorated here runs under one process-wide re-entrant lock: loads
happen one at a time (one may call another, as a planner loads its timetable), and a value is loaded
once while it stays among the ``maxsize`` most recent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import lru_cache, wraps
from typing import Generic, TypeVar

Value = TypeVar("Value")

_LOADING = threading.RLock()


class Loader(Generic[Value]):
    """A function whose results are cached, computed under the process-wide loading lock."""

    def __init__(self, function: Callable[..., Value], maxsize: int) -> None:
        self._cached = lru_cache(maxsize=maxsize)(function)
        wraps(function)(self)

    def __call__(self, *args: Hashable) -> Value:
        with _LOADING:
            return self._cached(*args)

    def cache_clear(self) -> None:
        """Forget every loaded value (tests; a data folder replaced in place)."""
        with _LOADING:
            self._cached.cache_clear()


def loaded_once(maxsize: int) -> Callable[[Callable[..., Value]], Loader[Value]]:
    """Decorate a loading function (hashable positional arguments) to run once per arguments, under a lock."""

    def decorate(function: Callable[..., Value]) -> Loader[Value]:
        return Loader(function, maxsize)

    return decorate
