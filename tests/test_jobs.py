"""Chunked jobs through Dask give the single-process answers, locally and on a LocalCluster."""

from __future__ import annotations

import logging
import time
from functools import partial

import pandas as pd
import pytest

from geoaccess.analysis import chunked as jobs
from geoaccess.analysis.chunked import JobError, run_chunked, write_table
from geoaccess.analysis.measures import Settings, person_measures
from geoaccess.analysis.scenarios import current_scenario
from geoaccess.analysis.synthetic import synthetic_caseload
from geoaccess.endpoints import venue_endpoints
from geoaccess.errors import BadInput
from geoaccess.roads.journeys import road_matrix
from geoaccess.roads.sources import router_for
from geoaccess.transit.planner import parse_clock
from geoaccess.transit.profiles import window_matrix
from geoaccess.transit.sources import planner_for
from geoaccess.venues import load_venues


@pytest.fixture(scope="module")
def origins(pack) -> pd.DataFrame:
    """60 postcodes spread over the pack (every 600th), as endpoints."""
    postcodes = pack.postcodes.iloc[::600].head(60)
    return pd.DataFrame(
        {"id": postcodes["postcode"].to_numpy(), "lon": postcodes["lon"].to_numpy(), "lat": postcodes["lat"].to_numpy()}
    )


@pytest.fixture(scope="module")
def venues(pack) -> pd.DataFrame:
    return venue_endpoints(load_venues(pack=pack))


@pytest.fixture(scope="module")
def road_whole(origins, venues) -> pd.DataFrame:
    return road_matrix(origins, venues, router_for("car"))


def add_row_number(chunk: pd.DataFrame, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"id": chunk["id"].to_numpy(), "n": range(offset, offset + len(chunk))})


@pytest.mark.slow
def test_chunked_road_matrix_on_this_machine_equals_one_go(origins, venues, road_whole):
    assert len(origins) == 60 and len(venues) == 22
    # chunks of 16 < 22 venues search from each origin; the whole matrix searches from each venue
    chunked = jobs.road_matrix_job(origins, venues, chunking=jobs.Chunking(16, progress=False))  # local processes
    assert len(chunked) == 60 * 22 and chunked["minutes"].notna().all()
    pd.testing.assert_frame_equal(chunked, road_whole, check_exact=True)
    threads = run_chunked(
        partial(jobs.road_matrix_chunk, destinations=venues, mode="car"), origins, 25, local="threads", progress=False
    )
    pd.testing.assert_frame_equal(threads, road_whole, check_exact=True)


@pytest.mark.slow
def test_chunked_jobs_on_a_local_dask_cluster_equal_one_go(origins, venues, road_whole, capfd):
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    ) as cluster:
        with Client(cluster, set_as_default=False) as client:  # the workers run this venv's geoaccess
            where = client.run(lambda: __import__("geoaccess").__file__)
            assert len(where) == 2 and len(set(where.values())) == 1
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        chunked = jobs.road_matrix_job(origins, venues, chunking=jobs.Chunking(16, scheduler=address))
        pd.testing.assert_frame_equal(chunked, road_whole, check_exact=True)
        out, err = capfd.readouterr()
        assert out == "" and "Completed" in err  # the bar goes to stderr, stdout stays clean for --json
        with pytest.raises(BadInput, match="mode 'bike'"):  # a worker's error comes back as it is
            jobs.road_matrix_job(
                origins, venues, mode="bike", chunking=jobs.Chunking(30, scheduler=address, progress=False)
            )
    assert cluster.status.name == "closed"
    assert time.perf_counter() - started < 20


def test_chunked_transit_window_matrix_equals_one_go(origins, venues):
    starts, ends = origins.head(10), venues.iloc[[0, 7, 14]]
    planner = planner_for()
    when = planner.timetable.date_for("wednesday")
    whole = window_matrix(
        planner,
        starts[["lon", "lat"]].to_numpy(),
        ends[["lon", "lat"]].to_numpy(),
        when,
        parse_clock("07:00"),
        parse_clock("08:00"),
        step_s=600,
    )
    chunked = jobs.window_matrix_job(
        starts,
        ends,
        day="wed",
        window="07:00-08:00",
        step_min=10,
        chunking=jobs.Chunking(3, local="threads", progress=False),
    )
    assert list(chunked.columns) == ["origin_id", "destination_id", "minutes", "p90_minutes", "best_minutes"]
    assert list(chunked["origin_id"]) == [o for o in starts["id"] for _ in range(3)]
    for column, values in (("minutes", whole.median), ("p90_minutes", whole.p90), ("best_minutes", whole.best)):
        expected = pd.Series(values.ravel()).where(lambda s: s != float("inf")).round(2)
        pd.testing.assert_series_equal(chunked[column], expected, check_names=False, check_exact=True)
    assert chunked["minutes"].notna().any()


@pytest.mark.slow
def test_chunked_measures_equal_one_go(pack):
    people = synthetic_caseload(pack).people
    people = people[people["requirement"] == "BBR"].head(40)
    settings = Settings(window=("07:00", "09:00"), step_min=10)
    whole = person_measures(
        people, current_scenario("BBR", load_venues(pack=pack)), router_for("car"), planner_for(), settings
    )
    chunked = jobs.measures_job(people, "BBR", settings, chunking=jobs.Chunking(15, progress=False))  # local processes
    assert len(chunked) == 40 and list(chunked["person_id"]) == list(people["person_id"])
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)


def test_run_chunked_keeps_row_order_and_checks_chunk_size():
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(10)]}, index=range(100, 110))
    result = run_chunked(add_row_number, frame, 3, local="threads", progress=False)
    assert list(result["id"]) == list(frame["id"]) and list(result.index) == list(range(10))
    assert run_chunked(add_row_number, frame.iloc[:0], 3, progress=False).empty
    for bad in (0, -1, 2.5, True):
        with pytest.raises(BadInput, match="chunk size"):
            run_chunked(add_row_number, frame, bad)
    with pytest.raises(BadInput, match="local scheduler"):
        run_chunked(add_row_number, frame, 3, local="cluster")


def test_write_table_parquet_and_csv(tmp_path, road_whole):
    for name in ("matrix.parquet", "matrix.csv"):
        path = write_table(road_whole, tmp_path / name)
        back = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
        pd.testing.assert_frame_equal(back, road_whole, check_exact=name.endswith(".parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matrix.csv", "matrix.parquet"]  # no temp files left
    with pytest.raises(BadInput, match=r"use a \.parquet or \.csv"):
        write_table(road_whole, tmp_path / "matrix.xlsx")
    with pytest.raises(BadInput, match="does not exist"):
        write_table(road_whole, tmp_path / "missing" / "matrix.csv")
    assert not (tmp_path / "matrix.xlsx").exists()


def test_unreachable_scheduler_is_a_one_line_job_error(origins):
    started = time.perf_counter()
    with pytest.raises(JobError, match=r"^cannot reach the Dask scheduler at tcp://127\.0\.0\.1:1: ") as caught:
        run_chunked(add_row_number, origins, 10, scheduler="tcp://127.0.0.1:1", connect_timeout_s=1)
    assert "\n" not in str(caught.value)
    assert time.perf_counter() - started < 5
    with pytest.raises(JobError, match="cannot reach the Dask scheduler at nonsense"):
        run_chunked(add_row_number, origins, 10, scheduler="nonsense", connect_timeout_s=1)
