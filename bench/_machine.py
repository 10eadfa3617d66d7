"""What the benchmarks share: one-thread pools, one pinned CPU, timing, and the machine and commit measured.

A benchmark run as ``python bench/<script>.py`` has ``bench/`` first on ``sys.path``, so it imports this
module as ``_machine``. It imports nothing beyond the standard library, so a script can call
:func:`single_thread_pools` before it imports numpy.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)
HERE = Path(__file__).resolve().parent


def single_thread_pools() -> None:
    """Set the BLAS/OpenMP thread pools to one thread; call it before numpy or scipy is imported."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = "1"


def pin_one_cpu() -> int | None:
    """Pin this process to the lowest CPU it may run on and return it (None where it cannot be pinned)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Wall-clock seconds of ``repeat`` calls and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    """Installed version of ``package``."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    """Short commit of the working tree, marked ``+dirty`` when it has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")
