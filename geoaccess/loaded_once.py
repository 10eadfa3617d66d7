"""Data loaded once per process and shared by its threads: :func:`loaded_once`.

``functools.lru_cache`` keeps its table safe across threads but runs the function outside any lock, so
two threads asking for the same network or timetable at once would both load it (seconds and hundreds
of megabytes each). A function decorated here loads each value once: a thread asking for a value being
loaded waits for it, while values already loaded, and other values, are served at once. A value is kept
while it stays among the ``maxsize`` most recently used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Generic, TypeVar

Value = TypeVar("Value")


class Loader(Generic[Value]):
    """A function whose results are cached, each computed once however many threads ask at the same time."""

    def __init__(self, function: Callable[..., Value], maxsize: int) -> None:
        self._function = function
        self._maxsize = maxsize
        self._values: OrderedDict[tuple[Hashable, ...], Value] = OrderedDict()
        self._loading: dict[tuple[Hashable, ...], threading.Lock] = {}
        self._table = threading.Lock()  # guards _values and _loading, never held while loading
        wraps(function)(self)

    def __call__(self, *args: Hashable) -> Value:
        found = self._lookup(args)
        if found is not None:
            return found[0]
        with self._table:
            key_lock = self._loading.setdefault(args, threading.Lock())
        with key_lock:  # one loader per value; a second thread asking waits here, then finds it
            found = self._lookup(args)
            if found is not None:
                return found[0]
            try:
                value = self._function(*args)
            finally:
                with self._table:
                    self._loading.pop(args, None)
            with self._table:
                self._values[args] = value
                while len(self._values) > self._maxsize:
                    self._values.popitem(last=False)
            return value

    def _lookup(self, args: tuple[Hashable, ...]) -> tuple[Value] | None:
        with self._table:
            if args not in self._values:
                return None
            self._values.move_to_end(args)
            return (self._values[args],)

    def cache_clear(self) -> None:
        """Forget every loaded value (tests; a data folder replaced in place)."""
        with self._table:
            self._values.clear()


def loaded_once(maxsize: int) -> Callable[[Callable[..., Value]], Loader[Value]]:
    """Decorate a loading function (hashable positional arguments) to load once per arguments."""

    def decorate(function: Callable[..., Value]) -> Loader[Value]:
        return Loader(function, maxsize)

    return decorate
