"""Matrix and measure jobs in chunks through Dask: on this machine, or on a Dask cluster.

:func:`run_chunked` splits a frame's rows into chunks, applies a function to
each through Dask and puts the results back together in the original row
order. The chunk functions below (:func:`road_matrix_chunk`,
:func:`window_matrix_chunk`, :func:`measures_chunk`) are module-level, so any
worker that can import ``geoaccess`` can run them; they take only plain,
picklable arguments (frames, strings, paths) and build their router, planner
and scenario inside the worker, once per process (``router_for`` and
``planner_for`` cache them). Bind the shared arguments with
:func:`functools.partial`, or use the ``*_job`` helpers, which do it for you.

Schedulers:

* ``scheduler=None`` runs on this machine with Dask's local **processes**
  scheduler (one process per core, at most one per chunk). Our work is Python
  loops (RAPTOR rounds, per-origin profile reads) that hold the GIL, so
  Dask's threaded scheduler would run them one at a time; processes use every
  core, at the price of each process loading the network and timetable once
  (about a second) and of pickling chunks and results (small next to the
  work). A single chunk runs synchronously in this process. Pass
  ``local="threads"`` or ``local="synchronous"`` to choose otherwise
  (``synchronous`` is the one to debug with).
* ``scheduler="tcp://HOST:PORT"`` sends the chunks to that Dask scheduler
  through :class:`distributed.Client`. Every worker must run the same
  geoaccess (and its data pack); paths given (``--network``, ``--gtfs``,
  ``--cif``) are opened by the workers, so they must exist there too.

The progress bar goes to stderr (stdout stays clean for ``--json``):
:class:`dask.diagnostics.ProgressBar` locally, :func:`distributed.progress`
on a cluster.

Chunking is by origin (or person). Each chunk repeats the work done per
destination (one road search per destination when the chunk is larger than
the destination list[Any], one transit profile per destination and arrival time),
so chunks should be large: thousands of origins, and always more origins than
destinations, or a road chunk searches once per origin instead (tens of times
slower). Each local run also starts its process pool afresh (1-2 s). So
chunks pay off for big jobs only: on two cores, a 4,000-postcode by 22-venue
public transport matrix took 7.6 s in one go and 5.2 s in chunks of 1,000,
while the synthetic caseload's measures (2,161 people, 4.5 s in one go) gain
nothing. The answers do not depend on the chunking: road searches from either
end agree to about 1e-12 s, far below the rounding of minutes (2 decimals)
and km (3 decimals), and transit and measure rows depend only on their own
origin (tests/test_jobs.py checks exact equality).
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geoaccess.defaults import WINDOW
from geoaccess.errors import BadInput, GeoaccessError
from geoaccess.transit.sources import DataChoice

if TYPE_CHECKING:
    from geoaccess.analysis.measures import Settings
    from geoaccess.analysis.scenarios import Scenario

LOCAL_SCHEDULERS = ("processes", "threads", "synchronous")
DEFAULT_LOCAL = "processes"
CONNECT_TIMEOUT_S = 10.0
"""How long to try to reach a scheduler (and to wait for its first worker)."""
PROGRESS_MINIMUM_S = 1.0
"""Local jobs shorter than this draw no progress bar."""
TABLE_SUFFIXES = (".parquet", ".csv")


class JobError(GeoaccessError):
    """A chunked job could not run: the Dask scheduler is unreachable, has no workers, or its
    workers cannot run geoaccess."""


# -- running ---------------------------------------------------------------------------------------------------


def run_chunked(
    function: Callable[[pd.DataFrame], pd.DataFrame],
    frame: pd.DataFrame,
    chunk_size: int,
    *,
    scheduler: str | None = None,
    progress: bool = True,
    local: str = DEFAULT_LOCAL,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
) -> pd.DataFrame:
    """``function`` applied to ``frame`` in chunks of ``chunk_size`` rows through Dask, results
    concatenated in the original row order (with a fresh 0..n-1 index).

    ``scheduler`` is ``None`` for this machine (``local`` picks Dask's local scheduler, see the
    module docstring) or a Dask scheduler address such as ``tcp://10.0.0.5:8786``.
    ``function`` must be picklable (module-level, or a :func:`functools.partial` of one) to run
    in other processes. Errors raised by ``function`` (e.g. :class:`BadInput`) come back as they are.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise BadInput(f"chunk size must be a whole number of rows, 1 or more (got {chunk_size!r})")
    if local not in LOCAL_SCHEDULERS:
        raise BadInput(f"local scheduler {local!r} is not one of {', '.join(LOCAL_SCHEDULERS)}")
    chunks = [frame.iloc[start : start + int(chunk_size)] for start in range(0, len(frame), int(chunk_size))]
    if not chunks:
        return function(frame)  # no rows: the function's own empty result (its columns)
    from dask.delayed import delayed

    label = _label(function)
    run = uuid.uuid4().hex[:8]  # keys unique per run: a shared cluster must not mix two jobs' chunks
    task = delayed(function, name=f"{label}-function-{run}", pure=False)
    parts = [task(chunk, dask_key_name=f"{label}-{run}-{number}") for number, chunk in enumerate(chunks)]
    if scheduler:
        results = _on_cluster(parts, scheduler, progress, connect_timeout_s)
    else:
        results = _on_this_machine(parts, local, progress)
    return pd.concat(results, ignore_index=True)


def _on_this_machine(parts: list[Any], local: str, progress: bool) -> list[pd.DataFrame]:
    from dask.base import compute
    from dask.diagnostics.progress import ProgressBar

    if len(parts) == 1:
        local = "synchronous"  # no pool to start for one chunk
    options: dict[str, object] = {"scheduler": local}
    if local == "processes":
        options["num_workers"] = min(len(parts), os.cpu_count() or 1)
        options["chunksize"] = 1  # Dask batches 6 tasks per process by default: our tasks are big
    bar = ProgressBar(minimum=PROGRESS_MINIMUM_S, out=sys.stderr) if progress else contextlib.nullcontext()
    with bar:
        return list(compute(*parts, **options))


def _on_cluster(parts: list[Any], address: str, progress: bool, timeout_s: float) -> list[pd.DataFrame]:
    from distributed import Client
    from distributed import progress as cluster_progress

    try:
        client = Client(address, timeout=timeout_s, set_as_default=False)
    except Exception as exc:  # refused, timed out, a malformed address, or not a Dask scheduler at all
        raise JobError(f"cannot reach the Dask scheduler at {address}: {_first_line(exc)}") from exc
    try:
        try:
            client.wait_for_workers(1, timeout=timeout_s)
        except (OSError, TimeoutError) as exc:
            raise JobError(f"the Dask scheduler at {address} has no workers (waited {timeout_s:g} s)") from exc
        futures = client.compute(parts)
        if progress:
            with contextlib.redirect_stdout(sys.stderr):  # distributed's text bar writes to stdout
                scheduler_rpc = client.scheduler
                cluster_progress(futures, scheduler=address if scheduler_rpc is None else scheduler_rpc.address)
        try:
            return list(client.gather(futures))
        except ImportError as exc:
            raise JobError(
                f"the Dask workers at {address} cannot run geoaccess ({_first_line(exc)}): "
                "install the same geoaccess on every worker"
            ) from exc
    finally:
        client.close()


def _label(function: Callable[..., Any]) -> str:
    inner = function.func if isinstance(function, partial) else function
    return getattr(inner, "__name__", type(inner).__name__).strip("<>").replace("_", "-")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# -- chunk functions (module-level: they run on workers) -------------------------------------------------------


def road_matrix_chunk(
    origins_chunk: pd.DataFrame,
    destinations: pd.DataFrame,
    mode: str = "car",
    data: DataChoice | None = None,
    cutoff: float | None = None,
) -> pd.DataFrame:
    """:func:`~geoaccess.roads.journeys.road_matrix` for some origins (``id, lon, lat``):
    long ``origin_id, destination_id, minutes, km``. The router is loaded once per worker process."""
    from geoaccess.roads.journeys import road_matrix

    return road_matrix(origins_chunk, destinations, (data or DataChoice()).router(mode), cutoff)


def window_matrix_chunk(
    origins_chunk: pd.DataFrame,
    destinations: pd.DataFrame,
    weekday: str = "wednesday",
    window: str | tuple[str, str] = WINDOW,
    step_min: int = 5,
    data: DataChoice | None = None,
) -> pd.DataFrame:
    """Public transport over a departure window for some origins: long ``origin_id, destination_id,
    minutes`` (median over the window's departures, as r5 and the DfT report), ``p90_minutes`` and
    ``best_minutes``; empty (``NaN``) where unreachable within five hours.

    ``weekday`` is a weekday (``wed``/``wednesday``, the next in the timetable) or a date
    ``YYYY-MM-DD``; ``window`` is ``"HH:MM-HH:MM"`` or a (start, end) pair; ``data`` names the
    timetable and walk network (default: the pack's modelled ones).
    """
    from geoaccess.transit.planner import parse_clock
    from geoaccess.transit.profiles import window_matrix
    from geoaccess.transit.sources import service_date

    start, end = _window(window)
    planner = (data or DataChoice()).planner()
    when = service_date(weekday, planner.timetable)
    times = window_matrix(
        planner,
        origins_chunk[["lon", "lat"]].to_numpy(dtype=float),
        destinations[["lon", "lat"]].to_numpy(dtype=float),
        when,
        parse_clock(start),
        parse_clock(end),
        step_s=int(step_min) * 60,
    )
    n_dest = len(destinations)
    return pd.DataFrame(
        {
            "origin_id": np.repeat(origins_chunk["id"].to_numpy(), n_dest),
            "destination_id": np.tile(destinations["id"].to_numpy(), len(origins_chunk)),
            "minutes": _minutes(times.median),
            "p90_minutes": _minutes(times.p90),
            "best_minutes": _minutes(times.best),
        }
    )


def measures_chunk(
    people_chunk: pd.DataFrame,
    programme: str | Scenario,
    settings: Settings | dict[str, Any] | None = None,
    data: DataChoice | None = None,
) -> pd.DataFrame:
    """:func:`~geoaccess.analysis.measures.person_measures` for some people, for ``programme``'s current
    scenario (today's venues offering it, from the registry; or a :class:`~geoaccess.analysis.scenarios.Scenario`
    given as it is). ``settings`` is a :class:`~geoaccess.analysis.measures.Settings`, its ``asdict`` form
    (see :func:`settings_dict`) or ``None`` for the defaults."""
    from geoaccess.analysis.measures import person_measures
    from geoaccess.analysis.scenarios import Scenario

    data = data or DataChoice()
    scenario = programme if isinstance(programme, Scenario) else _current_scenario(str(programme))
    return person_measures(people_chunk, scenario, data.router("car"), data.planner(), _settings(settings))


def settings_dict(settings: Settings) -> dict[str, Any]:
    """A :class:`~geoaccess.analysis.measures.Settings` as plain data (for :func:`measures_chunk`)."""
    return asdict(settings)


@lru_cache(maxsize=8)
def _current_scenario(programme: str) -> Scenario:
    from geoaccess.analysis.scenarios import current_scenario
    from geoaccess.venues import load_venues

    return current_scenario(programme, load_venues())


def _settings(settings: Settings | dict[str, Any] | None) -> Settings:
    from geoaccess.analysis.measures import DEFAULT_SETTINGS, Settings

    if settings is None:
        return DEFAULT_SETTINGS
    if isinstance(settings, Settings):
        return settings
    values = dict(settings)
    unknown = set(values) - set(Settings.__dataclass_fields__)
    if unknown:
        raise BadInput(f"unknown measure settings: {', '.join(sorted(unknown))}")
    for key in ("window", "thresholds"):
        if key in values:
            values[key] = tuple(values[key])
    return Settings(**values)


def _window(window: str | tuple[str, str]) -> tuple[str, str]:
    parts = window.split("-") if isinstance(window, str) else list(window)
    if len(parts) != 2 or not all(str(p).strip() for p in parts):
        raise BadInput(f"window {window!r} must be HH:MM-HH:MM")
    return str(parts[0]).strip(), str(parts[1]).strip()


def _minutes(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), np.round(values, 2), np.nan).ravel()


# -- whole jobs (what the CLI and the services call) -----------------------------------------------------------


@dataclass(frozen=True)
class Chunking:
    """How a job is cut (``chunk_size`` rows a chunk) and where it runs: this machine (``local`` picks
    Dask's local scheduler) or the cluster of a Dask ``scheduler`` address."""

    chunk_size: int
    scheduler: str | None = None
    progress: bool = True
    local: str = DEFAULT_LOCAL

    def run(self, function: Callable[[pd.DataFrame], pd.DataFrame], frame: pd.DataFrame) -> pd.DataFrame:
        """``function`` over ``frame`` in these chunks (see :func:`run_chunked`)."""
        return run_chunked(
            function, frame, self.chunk_size, scheduler=self.scheduler, progress=self.progress, local=self.local
        )


def road_matrix_job(
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    mode: str = "car",
    data: DataChoice | None = None,
    cutoff: float | None = None,
    chunking: Chunking = Chunking(5000),
) -> pd.DataFrame:
    """A whole road matrix, chunked by origin (see :func:`road_matrix_chunk` and :func:`run_chunked`)."""
    chosen = (data or DataChoice()).resolved()
    return chunking.run(
        partial(road_matrix_chunk, destinations=destinations, mode=mode, data=chosen, cutoff=cutoff), origins
    )


def window_matrix_job(
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    day: str = "wednesday",
    window: str | tuple[str, str] = WINDOW,
    step_min: int = 5,
    data: DataChoice | None = None,
    chunking: Chunking = Chunking(2000),
) -> pd.DataFrame:
    """A whole public transport window matrix, chunked by origin.

    A weekday is turned into its date here, once, so every worker uses the same service day.
    """
    from geoaccess.transit.sources import service_date

    _window(window)  # a bad window fails here, not on every worker
    chosen = (data or DataChoice()).resolved()
    when = service_date(day, chosen.planner().timetable).isoformat()
    job = partial(
        window_matrix_chunk, destinations=destinations, weekday=when, window=window, step_min=step_min, data=chosen
    )
    return chunking.run(job, origins)


def measures_job(
    people: pd.DataFrame,
    programme: str | Scenario,
    settings: Settings | dict[str, Any] | None = None,
    *,
    data: DataChoice | None = None,
    chunking: Chunking = Chunking(500),
) -> pd.DataFrame:
    """:func:`~geoaccess.analysis.measures.person_measures` for many people, chunked by person."""
    job = partial(
        measures_chunk,
        programme=programme,
        settings=None if settings is None else settings_dict(_settings(settings)),
        data=(data or DataChoice()).resolved(),
    )
    return chunking.run(job, people)


# -- output ----------------------------------------------------------------------------------------------------


def check_table_path(path: Path | str) -> Path:
    """``path`` if a table can be written there (``.parquet`` or ``.csv``, in an existing folder),
    else a :class:`BadInput`; call it before a long job, not after."""
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise BadInput(f"cannot write {path.name}: use a .parquet or .csv file name")
    if not path.parent.is_dir():
        raise BadInput(f"cannot write {path}: folder {path.parent} does not exist")
    return path


def write_table(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` to ``path``: Parquet for ``.parquet``, CSV for ``.csv`` (no index), atomically
    (a hidden temporary file beside it, renamed into place; a failure leaves nothing behind)."""
    from geoaccess._io import write_atomically

    path = check_table_path(path)
    if path.suffix.lower() == ".parquet":
        write_atomically(path, lambda partial_path: frame.to_parquet(partial_path, index=False))
    else:
        from geoaccess.csv_cells import neutralise_csv_frame

        text_safe = neutralise_csv_frame(frame)  # no cell a spreadsheet would run as a formula
        write_atomically(path, lambda partial_path: text_safe.to_csv(partial_path, index=False))
    return path
