"""Run one call in a child process with limits on memory, CPU time and wall-clock time.

Used for work on files that strangers send (a caseload uploaded to the web app): however hostile the
file, the serving process keeps its memory and its threads, and the child is killed at the first limit
it passes. Children come from a fork server (``multiprocessing``'s ``forkserver`` start method), so they
start clean of the server's threads and locks, with the modules named in ``preload`` already imported.

The function, its arguments and its result cross a pipe by pickling. An exception raised on purpose
(:class:`~geoaccess.errors.GeoaccessError`) is raised again in the caller unchanged; any other error
in the child becomes :class:`IsolatedCallFailed` naming only its type (its text may quote the input).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.context import ForkServerContext
from typing import Any, TypeVar, cast

from geoaccess.errors import GeoaccessError

T = TypeVar("T")

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_WATCH_SECONDS = 0.05  # how often the child's resident memory is looked at
_ADDRESS_SPACE_FACTOR = 4  # the child's address space is capped at this many times its memory limit, in case
# an allocation outruns the watch
_context_lock = threading.Lock()
_context: ForkServerContext | None = None


class LimitExceeded(GeoaccessError):
    """The child passed a limit (memory, CPU time or wall-clock time) and was stopped."""

    status = 413
    title = "Too large to process"
    problem_type = "urn:geoaccess:problem:too-large"


class IsolatedCallFailed(GeoaccessError):
    """The child raised an unexpected error or died without an answer (a fault, not bad input)."""

    status = 500
    title = "Internal error"
    problem_type = "urn:geoaccess:problem:internal"


def run_isolated(
    function: Callable[..., T],
    *args: Any,
    memory_bytes: int,
    cpu_seconds: int,
    wall_seconds: float,
    preload: Sequence[str] = (),
) -> T:
    """``function(*args)`` computed in a fresh child with at most ``memory_bytes`` of resident memory,
    ``cpu_seconds`` of CPU and ``wall_seconds`` of waiting; raises :class:`LimitExceeded` when it passes
    one. ``function`` must be importable by name (a module-level function or a builtin)."""
    context = _fork_server(preload)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, function, args, memory_bytes, cpu_seconds), daemon=True)
    child.start()
    sender.close()
    try:
        outcome = _wait(receiver, child, wall_seconds, memory_bytes)
    finally:
        receiver.close()
        _stop(child)
    return cast(T, _result(outcome, child.exitcode, memory_bytes, cpu_seconds))


def _fork_server(preload: Sequence[str]) -> ForkServerContext:
    """The fork server context; ``preload`` counts only on the first call (the server then starts once)."""
    global _context
    with _context_lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(list(preload))
        return _context


def _wait(
    receiver: multiprocessing.connection.Connection,
    child: multiprocessing.process.BaseProcess,
    seconds: float,
    memory_bytes: int,
) -> tuple[str, Any] | None:
    """The child's ``(kind, value)`` message, or None when it died silently.

    Watches the child's resident memory meanwhile and stops it, raising :class:`LimitExceeded`, when that
    passes ``memory_bytes`` or when ``seconds`` have passed without an answer.
    """
    deadline = time.monotonic() + seconds
    while not receiver.poll(_WATCH_SECONDS):
        if _resident_bytes(child.pid) > memory_bytes:
            child.kill()
            raise LimitExceeded(_memory_message(memory_bytes))
        if time.monotonic() > deadline:
            child.kill()
            raise LimitExceeded(f"the work took longer than the limit of {seconds:g} seconds and was stopped")
    try:
        message: tuple[str, Any] = receiver.recv()
    except (EOFError, OSError):
        return None
    return message


def _stop(child: multiprocessing.process.BaseProcess) -> None:
    child.join(timeout=5)
    if child.is_alive():
        child.kill()
        child.join()


def _result(outcome: tuple[str, Any] | None, exit_code: int | None, memory_bytes: int, cpu_seconds: int) -> Any:
    if outcome is None:
        if exit_code in (-signal.SIGXCPU, -signal.SIGKILL):
            raise LimitExceeded(f"the work used more than the limit of {cpu_seconds} CPU seconds and was stopped")
        raise IsolatedCallFailed(f"the worker process ended without an answer (exit code {exit_code})")
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "memory":
        raise LimitExceeded(_memory_message(memory_bytes))
    if kind == "raised":
        raise value
    raise IsolatedCallFailed(f"the worker process failed ({value})")


def _memory_message(memory_bytes: int) -> str:
    return f"the work needed more than the limit of {memory_bytes / 1024 / 1024:g} MB of memory and was stopped"


def _child_main(
    sender: multiprocessing.connection.Connection,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    memory_bytes: int,
    cpu_seconds: int,
) -> None:
    """In the child: set the limits, run, send one message."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    backstop = _address_space() + _ADDRESS_SPACE_FACTOR * memory_bytes  # allocators reserve more than they use
    resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
    try:
        message: tuple[str, Any] = ("ok", function(*args))
    except MemoryError:
        message = ("memory", None)
    except GeoaccessError as exc:
        message = ("raised", exc)
    except Exception as exc:  # noqa: BLE001 - a fault in the child is reported by type only
        message = ("failed", type(exc).__name__)
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("memory", None))
    finally:
        sender.close()


def _address_space() -> int:
    """The calling process's virtual memory size in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * _PAGE_BYTES


def _resident_bytes(pid: int | None) -> int:
    """A process's resident memory in bytes (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0
