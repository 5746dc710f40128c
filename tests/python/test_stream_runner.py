"""Micro-batch runner: lock, retries, freshness records, idempotence after a failed batch,
one short end-to-end stream (generator + runner) through the real dbt project, and the
stream generator dying with its runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from engagement.pipeline.dbt import PROJECT_DIR, DbtError, DbtTarget, ParsedProjectDbt
from engagement.stream.lock import WarehouseLock
from engagement.stream.runlog import PIPELINE_RUNS_DDL
from engagement.stream.runner import RunnerConfig, StreamRunner, percentile
from support.commands import entry_point

GEN = ["--users", "1500", "--days", "6", "--start-date", "2026-03-02", "--seed", "3", "--faults", "default"]


def _runner(tmp_path: Path, dbt_call, **kw) -> StreamRunner:
    target = DbtTarget(tmp_path / "w.duckdb", tmp_path / "landing", tmp_path / "target")
    cfg = RunnerConfig(target=target, export=False, backoff_s=0.01, **kw)
    return StreamRunner(cfg, dbt_call=dbt_call, out=lambda msg: None)


def _runs(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select batch_id, status, attempts, lag_seconds, duration_seconds "
                           "from pipeline_runs order by batch_id").fetchall()


def test_second_runner_exits_with_one_clear_line(tmp_path):
    with WarehouseLock(tmp_path / "w.duckdb"):
        result = subprocess.run([entry_point("engagement-stream"), "--duckdb-path",
                                 str(tmp_path / "w.duckdb"), "--landing-dir", str(tmp_path), "--duration", "1"],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "another stream runner" in result.stderr and "w.duckdb.lock" in result.stderr


def test_failed_attempt_is_retried_and_recorded(tmp_path):
    calls = []

    def flaky(args):
        calls.append(args)
        if len(calls) == 1:
            raise DbtError("simulated failure")

    runner = _runner(tmp_path, flaky, max_attempts=3)
    rec = runner.run_batch(1)
    assert (rec.status, rec.attempts, len(calls)) == ("success", 2, 2)
    assert _runs(tmp_path / "w.duckdb")[0][:3] == (1, "success", 2)


def test_batch_failing_every_attempt_is_recorded_as_failed(tmp_path):
    def broken(args):
        raise DbtError("always")

    runner = _runner(tmp_path, broken, max_attempts=2)
    runner.run_batch(7)
    assert _runs(tmp_path / "w.duckdb") == [(7, "failed", 2, None, pytest.approx(0.01, abs=5))]
    assert runner.next_batch_id() == 8


def test_pipeline_runs_source_documents_every_column_of_the_ddl():
    """The dbt source declaring the run log lists exactly the columns the runner creates."""
    ddl_columns = [line.split()[0] for line in PIPELINE_RUNS_DDL.strip().splitlines()[1:-1]]
    sources = yaml.safe_load((PROJECT_DIR / "models" / "staging" / "pipeline" / "_pipeline__sources.yml").read_text())
    (source,) = [s for s in sources["sources"] if s["name"] == "pipeline"]
    (table,) = [t for t in source["tables"] if t["name"] == "pipeline_runs"]
    assert [c["name"] for c in table["columns"]] == ddl_columns
    assert all(c.get("description") for c in table["columns"])


def test_percentile_nearest_rank():
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 95) == 4
    assert percentile([5.0], 95) == 5.0


# --- end to end (real generator, real dbt) ---------------------------------------------------

REALTIME_MARTS = {
    "fct_view_events": "event_id",
    "agg_intraday_active_users": "activity_date, activity_hour, segment_type, segment_value",
    "agg_playback_starts_per_minute": "minute_start",
}


def _snapshot(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        out = {}
        for table, key in REALTIME_MARTS.items():
            out[table] = con.execute(f"select * from {table} order by {key}").fetchall()
        return out


def test_core_marts_are_rebuilt_on_the_first_batch_then_every_n_batches(tmp_path):
    calls = []
    runner = _runner(tmp_path, calls.append, core_every_batches=2, core_every_s=0)
    for batch_id in range(1, 6):
        runner.run_batch(batch_id)
    with_core = ["+fct_active_user_fast" in args for args in calls]
    assert with_core == [True, False, True, False, True]
    assert all("+tag:realtime" in args for args in calls)


def test_core_marts_are_rebuilt_after_m_seconds_and_retried_until_a_batch_succeeds(tmp_path):
    calls = []

    def fails_once(args):
        calls.append(args)
        if len(calls) == 1:
            raise DbtError("simulated failure")

    runner = _runner(tmp_path, fails_once, max_attempts=1, core_every_batches=0, core_every_s=3600)
    for batch_id in range(1, 4):
        runner.run_batch(batch_id)
    # The first (core) batch failed, so the second is core again; the third is within the hour.
    assert ["+fct_active_user_fast" in args for args in calls] == [True, True, False]
    runner._last_core = (runner._last_core[0], runner._last_core[1] - 3600)
    runner.run_batch(4)
    assert "+fct_active_user_fast" in calls[-1]


STREAM_BATCHES = 3


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    """Three days of history, then a stream at 1200x (20 simulated minutes, two file sets, a
    second) with a runner every 2 s for exactly three batches, through the real CLI
    (``--with-generator``). The run counts batches, not seconds: a slow machine makes
    batches longer, never fewer. At 1200x the stream's three event days take 3.6 minutes
    and its clock runs 8.4 more for late arrivals, far longer than three batches."""
    root = tmp_path_factory.mktemp("stream")
    command = [entry_point("engagement-stream"), "--with-generator", *GEN[:-2],
               "--faults", "default", "--speed", "1200", "--flush-minutes", "10", "--history-days", "3",
               "--interval", "2", "--max-batches", str(STREAM_BATCHES), "--no-export",
               "--landing-dir", str(root / "landing"), "--duckdb-path", str(root / "w.duckdb")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr + result.stdout
    return root, result.stdout


def test_stream_end_to_end_records_freshness(streamed):
    root, stdout = streamed
    runs = _runs(root / "w.duckdb")
    assert len(runs) == STREAM_BATCHES
    assert all(status == "success" for _, status, *_ in runs)
    assert all(lag is not None and lag >= 0 for *_, lag, _ in runs[1:])
    assert "lag p50" in stdout.splitlines()[-1]
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        later = con.execute("select sum(new_view_events), count(*) filter (where new_files > 0) "
                            "from pipeline_runs where batch_id > 1").fetchone()
        pulse = con.execute("select count(*), sum(playback_starts) from agg_playback_starts_per_minute").fetchone()
    assert later[0] > 0 and later[1] >= 2          # the stream kept adding events batch after batch
    assert pulse[0] > 0 and pulse[1] > 0
    # The first batch also built the core marts: stream mode has DAU/WAU/MAU for the dashboard.
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), max(mau) from fct_active_user_fast").fetchone()[1] > 0
    batch_lines = [line for line in stdout.splitlines() if line.startswith("batch ")]
    assert len(batch_lines) == STREAM_BATCHES and batch_lines[0].endswith("+core marts")


def test_failed_mid_batch_then_retry_equals_clean_build(streamed, tmp_path):
    """Land more files, fail a batch right after staging (half applied), retry: the
    warehouse then equals one clean build of the same landing zone."""
    root, _ = streamed
    landing = root / "landing"
    manifests = sorted((landing / "_manifests").glob("view_events__*__*.json"))
    resume = max(p.stem.rsplit("__", 1)[-1] for p in manifests)
    start_at = f"{resume[:4]}-{resume[4:6]}-{resume[6:8]}T{resume[9:11]}:{resume[11:13]}"
    subprocess.run([entry_point("engagement-stream-events"), *GEN, "--out", str(landing),
                    "--speed", "1e9", "--flush-minutes", "10", "--start-at", start_at, "--quiet",
                    "--until", _plus_hours(start_at, 3)], check=True, timeout=120)

    target = DbtTarget(root / "w.duckdb", landing, root / "target")
    real = ParsedProjectDbt(target)
    attempts = []

    def crash_after_staging(args):
        attempts.append(args)
        if len(attempts) == 1:
            real(["build", "--select", "stg_landing__view_events"])  # applied...
            raise DbtError("simulated crash in the middle of the batch")  # ...then died
        return real(args)

    runner = StreamRunner(RunnerConfig(target=target, export=False, backoff_s=0.01),
                          dbt_call=crash_after_staging, out=lambda msg: None)
    rec = runner.run_batch(runner.next_batch_id())
    assert (rec.status, rec.attempts) == ("success", 2)
    assert rec.new_view_events > 0 and rec.lag_seconds >= 0

    clean = DbtTarget(tmp_path / "clean.duckdb", landing, tmp_path / "target")
    ParsedProjectDbt(clean)(RunnerConfig(target=clean).dbt_args())
    incremental, rebuilt = _snapshot(root / "w.duckdb"), _snapshot(tmp_path / "clean.duckdb")
    for table in REALTIME_MARTS:
        assert incremental[table] == rebuilt[table], table


def test_sigint_stops_between_batches(streamed, tmp_path):
    root, _ = streamed
    proc = subprocess.Popen([entry_point("engagement-stream"), "--interval", "1", "--no-export",
                             "--landing-dir", str(root / "landing"), "--duckdb-path", str(tmp_path / "w.duckdb"),
                             "--target-path", str(tmp_path / "target")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("batch"):
            proc.send_signal(signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=120)
    lines += rest.splitlines(keepends=True)
    assert proc.returncode == 0, "".join(lines)
    assert any("stopping after the current batch" in line for line in lines)
    runs = _runs(tmp_path / "w.duckdb")
    assert 1 <= len(runs) <= 2 and all(status == "success" for _, status, *_ in runs)


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _stream_generator_of(pid: int) -> int | None:
    """The pid of the stream generator that process ``pid`` started, if any."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if stat is not None and int(stat[1]) == pid and b"engagement.generator.stream" in cmdline:
            return int(entry.name)
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_stream_generator_dies_with_a_killed_runner(tmp_path):
    """kill -9 of the runner (no clean-up runs) still stops the stream generator it started."""
    proc = subprocess.Popen([entry_point("engagement-stream"), "--with-generator", *GEN, "--speed", "60",
                             "--history-days", "1", "--interval", "3600", "--no-export",
                             "--landing-dir", str(tmp_path / "landing"), "--duckdb-path", str(tmp_path / "w.duckdb")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("stream generator: clock from"):
                break
        assert lines and lines[-1].startswith("stream generator: clock from"), "".join(lines)
        deadline = time.monotonic() + 30
        generator = _stream_generator_of(proc.pid)
        while generator is None and time.monotonic() < deadline:
            time.sleep(0.1)
            generator = _stream_generator_of(proc.pid)
        assert generator is not None, "the runner started no stream generator"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stat = _proc_stat(generator)
        if stat is None or stat[0] == "Z":  # exited (a zombie is dead, only not yet reaped)
            break
        time.sleep(0.2)
    else:
        os.kill(generator, signal.SIGKILL)
        pytest.fail("the stream generator outlived its killed runner")


def _plus_hours(ts: str, hours: int) -> str:
    import datetime as dt
    return (dt.datetime.fromisoformat(ts) + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
