"""Process-level faults, each in a subprocess: kill -9 of dbt and of the stream runner, two
writers, a non-UTC host, a small memory limit.

Each runs on a copy (of a warehouse, or of a few generated files), never on the shared
replay, and compares with the replay's builds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from engagement.pipeline.dbt import DbtError, patched_environment

from faultkit import (COMPARED_MODELS, NO_TESTS, NOW, SELECT, STEP_CUTOFFS, Replay, copy_arrived, copy_warehouse,
                      dbt_environment, dbt_only, differences, entry_point, query, scalar, target_of, wait_for)

STAGING_DONE = "OK created sql incremental model main.stg_landing__view_events"


def _dbt_build(target, *extra: str, select: list[str] = SELECT, log_dir: Path | None = None) -> list[str]:
    """The dbt CLI command of one build (default: the suite's selection, no tests) on ``target``."""
    command = [entry_point("dbt"), "build", *select, *NO_TESTS, *extra, *target.paths()]
    if log_dir is not None:
        command += ["--log-path", str(log_dir)]
    return command


def test_kill_9_of_dbt_mid_build_recovers(replay: Replay, tmp_path: Path) -> None:
    """dbt killed right after staging appended three new batches, before the facts: the next
    build brings every model to exactly the full refresh's rows (nothing lost, nothing twice)."""
    warehouse = copy_warehouse(replay.snapshots[3], tmp_path / "killed")
    target = target_of(replay.landing, warehouse)
    log = tmp_path / "dbt.out"
    with open(log, "w") as out:
        build = subprocess.Popen(_dbt_build(target, log_dir=tmp_path / "logs"), env=dbt_environment(target),
                                 stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: STAGING_DONE in log.read_text() or build.poll() is not None, 300,
                     "dbt to build stg_landing__view_events", poll_s=0.02)
            os.kill(build.pid, signal.SIGKILL)
        finally:
            build.wait(timeout=60)
    assert build.returncode == -signal.SIGKILL, "dbt finished before it could be killed"
    staged, facts = (scalar(warehouse, f"select max(ingest_batch_id) from {m}")
                     for m in ("stg_landing__view_events", "fct_view_events"))
    assert staged > facts, "the kill was meant to land between staging and the facts"
    dbt_only(replay.landing, warehouse)
    for model in COMPARED_MODELS:
        assert differences(warehouse, replay.full, model)[:2] == (0, 0), model


def _stream(landing: Path, warehouse: Path, *extra: str, log_dir: Path) -> list[str]:
    return [entry_point("engagement-stream"), "--landing-dir", str(landing), "--duckdb-path", str(warehouse),
            "--interval", "1", "--no-export", *extra]


def _stream_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DBT_LOG_PATH": str(tmp_path / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def test_kill_9_of_the_stream_runner(replay: Replay, tmp_path: Path) -> None:
    """The runner killed mid-batch (staging built, facts not): the batch is marked killed, its
    id is not reused, and the next batch publishes and reports what the killed one ingested."""
    landing, warehouse = tmp_path / "landing", tmp_path / "stream" / "warehouse.duckdb"
    copy_arrived(replay.source, landing, STEP_CUTOFFS[0])
    env = _stream_env(tmp_path)
    dbt_log = tmp_path / "logs" / "dbt.log"
    with open(tmp_path / "runner-1.out", "w") as out:
        runner = subprocess.Popen(_stream(landing, warehouse, "--max-batches", "3", log_dir=tmp_path), env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: (dbt_log.is_file() and STAGING_DONE in dbt_log.read_text()) or runner.poll() is not None,
                     300, "the runner's first batch to build staging", poll_s=0.02)
            os.kill(runner.pid, signal.SIGKILL)
        finally:
            runner.wait(timeout=60)
    assert runner.returncode == -signal.SIGKILL, (tmp_path / "runner-1.out").read_text()
    copy_arrived(replay.source, landing, STEP_CUTOFFS[1], skip=[p.relative_to(landing).as_posix()
                                                                for p in landing.rglob("*") if p.is_file()])
    done = subprocess.run(_stream(landing, warehouse, "--max-batches", "1", log_dir=tmp_path), env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = query(warehouse, "select batch_id, status, first_ingest_batch_id, last_ingest_batch_id, new_files, "
                            "new_view_events from pipeline_runs order by batch_id")
    assert [(r[0], r[1]) for r in runs] == [(1, "killed"), (2, "success")]
    clean = scalar(warehouse, "select count(*) from stg_landing__view_events where record_status = 'clean'")
    files = scalar(warehouse, "select count(distinct file_name) from stg_landing__view_events")
    assert runs[1][2:] == (1, 2, files, clean), "the restarted batch must report what the killed one ingested"
    assert scalar(warehouse, "select count(*) from fct_view_events") == clean
    full = tmp_path / "full" / "warehouse.duckdb"
    dbt_only(landing, full, "--full-refresh")
    for model in ("stg_landing__view_events", "fct_view_events"):
        assert differences(warehouse, full, model)[:2] == (0, 0), model


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_two_writers(replay: Replay, tmp_path: Path) -> None:
    """Another process holds the warehouse when the runner starts: one error line naming the
    holder, exit 1, no batch started (so no row and no id to lose); once it is gone the next
    run takes batch 1 and catches up. Two ingest steps at once: one commits the batch, the
    other stops with one line or finds nothing new; no file is read twice."""
    landing, warehouse = tmp_path / "landing", tmp_path / "stream" / "warehouse.duckdb"
    copy_arrived(replay.source, landing, STEP_CUTOFFS[0])
    env = _stream_env(tmp_path)
    warehouse.parent.mkdir(parents=True)
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse), "120"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        blocked = subprocess.run(_stream(landing, warehouse, "--max-batches", "1", log_dir=tmp_path),
                                 env=env, capture_output=True, text=True, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    errors = blocked.stderr.strip().splitlines()
    assert blocked.returncode == 1 and len(errors) == 1 and "Traceback" not in blocked.stderr, blocked.stderr
    assert errors[0].startswith("run_stream: error:") and "lock" in errors[0] and str(holder.pid) in errors[0]
    assert not (landing / "_ingest").exists(), "nothing may be ingested while the warehouse is held"
    done = subprocess.run(_stream(landing, warehouse, "--max-batches", "1", log_dir=tmp_path), env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = query(warehouse, "select batch_id, status from pipeline_runs order by batch_id")
    assert runs == [(1, "success")]
    assert scalar(warehouse, "select count(*) from fct_view_events") == \
        scalar(warehouse, "select count(*) from stg_landing__view_events where record_status = 'clean'") > 0
    # Two ingest steps at the same moment on new files.
    copy_arrived(replay.source, landing, STEP_CUTOFFS[1], skip=[p.relative_to(landing).as_posix()
                                                                for p in landing.rglob("*") if p.is_file()
                                                                and "_ingest" not in p.parts])
    command = [entry_point("engagement-ingest"), "--landing-dir", str(landing), "--now", NOW.isoformat()]
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in both]
    committed = [o for o in outcomes if o[0] == 0 and o[1].startswith("ingest: batch ")]
    assert len(committed) == 1, outcomes
    other = next(o for o in outcomes if o is not committed[0])
    assert (other[0] == 0 and other[1].strip() == "ingest: no new landing files") or \
        (other[0] == 1 and len(other[2].strip().splitlines()) == 1 and "another ingest" in other[2]), other
    manifest = (landing / "_ingest" / "batches" / "*" / "files.parquet").as_posix()
    assert duckdb.sql(f"select count(*) - count(distinct file_name) from read_parquet('{manifest}')"
                      ).fetchall()[0][0] == 0


def test_non_utc_host(replay: Replay, tmp_path: Path) -> None:
    """The ingest step and dbt under TZ=America/Los_Angeles (DST starts on 2026-03-08, inside
    the data) give the rows a UTC host gave: the first step's files, ingested and built."""
    landing = tmp_path / "landing"
    first = [rel for rel, step in replay.step_of.items() if step == 1]
    copy_arrived(replay.source, landing, STEP_CUTOFFS[0], skip=set(replay.lines) - set(first))
    assert {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()} == set(first)
    env = {**os.environ, "TZ": "America/Los_Angeles"}
    subprocess.run([entry_point("engagement-ingest"), "--landing-dir", str(landing), "--now", NOW.isoformat()],
                   env=env, check=True, capture_output=True, timeout=300)
    ours = landing / "_ingest" / "batches" / "ingest_batch_id=000001"
    theirs = replay.landing / "_ingest" / "batches" / "ingest_batch_id=000001"
    for kind in ("view_events", "users", "files"):
        pattern = "files.parquet" if kind == "files" else f"{kind}-*.parquet"
        diff = duckdb.sql(f"select count(*) from (select * from read_parquet('{ours / pattern}') except all "
                          f"select * from read_parquet('{theirs / pattern}'))").fetchall()[0][0]
        assert diff == 0, f"{kind}: {diff} rows differ under TZ=America/Los_Angeles"
    warehouse = tmp_path / "tz" / "warehouse.duckdb"
    target = target_of(landing, warehouse)
    subprocess.run(_dbt_build(target, "--full-refresh"), env=dbt_environment(target, TZ="America/Los_Angeles"),
                   check=True, capture_output=True, timeout=600)
    for model in COMPARED_MODELS:
        assert differences(warehouse, replay.snapshots[1], model)[:2] == (0, 0), model


def test_small_memory_limit(replay: Replay, tmp_path: Path) -> None:
    """ENGAGEMENT_DUCKDB_MEMORY=500MB and one thread: the full refresh finishes with the same
    rows; a limit far too small fails with DuckDB's out-of-memory error (so the limit is applied)."""
    warehouse = tmp_path / "small" / "warehouse.duckdb"
    with patched_environment({"ENGAGEMENT_DUCKDB_MEMORY": "500MB", "ENGAGEMENT_DUCKDB_THREADS": "1"}):
        dbt_only(replay.landing, warehouse, "--full-refresh")
    for model in COMPARED_MODELS:
        assert differences(warehouse, replay.full, model)[:2] == (0, 0), model
    with patched_environment({"ENGAGEMENT_DUCKDB_MEMORY": "1MB", "ENGAGEMENT_DUCKDB_THREADS": "1"}):
        with pytest.raises(DbtError, match="(?i)memory"):
            dbt_only(replay.landing, tmp_path / "tiny" / "warehouse.duckdb", "--full-refresh")
