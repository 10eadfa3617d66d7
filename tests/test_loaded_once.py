"""Values loaded once per process, however many threads ask, without one load holding up the rest."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from geoaccess.loaded_once import loaded_once


def test_threads_asking_at_once_load_a_value_once() -> None:
    calls: list[str] = []

    @loaded_once(maxsize=4)
    def load(name: str) -> str:
        calls.append(name)
        time.sleep(0.2)
        return name.upper()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(load, ["a"] * 6))
    assert answers == ["A"] * 6 and calls == ["a"]


def test_a_value_loaded_is_served_while_another_loads() -> None:
    started, release = threading.Event(), threading.Event()

    @loaded_once(maxsize=4)
    def load(name: str) -> str:
        if name == "slow":
            started.set()
            release.wait(5)
        return name

    assert load("quick") == "quick"
    slow = threading.Thread(target=load, args=("slow",))
    slow.start()
    assert started.wait(5)
    began = time.perf_counter()
    assert load("quick") == "quick" and load("other") == "other"
    waited = time.perf_counter() - began
    release.set()
    slow.join()
    assert waited < 1.0  # neither waited for the slow load


def test_the_least_recently_used_beyond_maxsize_is_loaded_again_and_a_failed_load_is_retried() -> None:
    calls: list[int] = []

    @loaded_once(maxsize=2)
    def load(number: int) -> int:
        calls.append(number)
        if number < 0 and calls.count(number) == 1:
            raise ValueError("first try fails")
        return number

    for number in (1, 2, 1, 3, 1, 2):
        load(number)
    assert calls == [1, 2, 3, 2]  # 2 was dropped when 3 came (1 was used since)
    try:
        load(-1)
    except ValueError:
        pass
    assert load(-1) == -1 and calls.count(-1) == 2
