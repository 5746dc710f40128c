"""The same project on Spark equals the DuckDB build of the same data, after two chunks.

A small landing zone arrives in two chunks (the second cuts a day in two, so it carries
late events of a day already built); after each chunk it is ingested once and built on
both engines: DuckDB (the default target, in-process) and Spark (the spark target,
``dbt build --selector spark`` in a subprocess running a local Spark session on plain
Parquet). After the second, incremental run, the core models (facts, the cumulative
status state, dim_daily_user_status, fct_active_user_fast), the retention and the
segment marts hold the same rows on both engines: integers and strings exactly, doubles
to 1e-9 relative, with the documented type differences normalised (support.spark).

A third chunk proves the cumulative state carries over two increments, and every
incremental Spark run is checked to be one: each self-updating model executed its
incremental statement (insert overwrite / insert into, never a create), the partitions of
the days a run did not rebuild kept their files, and the append models kept theirs.

Needs Java 17 (pyspark 3.5); skipped without it outside CI, failed without it in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from engagement.settings import PROJECT_DIR
from support.commands import entry_point
from support.spark import (COMPARED, build_on_spark, show_environment, show_inline, spark_differences, spark_table_dir)
from support.warehouse import build_warehouse

pytestmark = pytest.mark.slow

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
GENERATOR_ARGS = ["--users", "300", "--days", "6", "--start-date", "2026-03-01", "--seed", "7", "--faults", "default"]
#: The first chunk ends mid-day (aligned to the generator's hourly flush): day 4 is built twice.
CHUNK_EDGE = "2026-03-04T13:00Z"
#: The third chunk starts here: day 5 is built twice, and days 1-2 are out of its reach (72 h late limit).
THIRD_CHUNK_EDGE = "2026-03-05T13:00Z"
CHUNKS = (["--arrived-until", CHUNK_EDGE], ["--arrived-from", CHUNK_EDGE, "--arrived-until", THIRD_CHUNK_EDGE],
          ["--arrived-from", THIRD_CHUNK_EDGE])
#: The self-updating models and the statement of their incremental run on plain Parquet:
#: dynamic partition overwrite of the days they rebuild, the whole-table overwrite of the
#: cumulative state (from its copy, int_user_activity_states_previous), appends.
INCREMENTAL_STATEMENTS = {
    "fct_daily_activity": "insert overwrite table engagement.fct_daily_activity partition (activity_date)",
    "fct_daily_platform_activity":
        "insert overwrite table engagement.fct_daily_platform_activity partition (activity_date)",
    "dim_daily_user_status": "insert overwrite table engagement.dim_daily_user_status partition (activity_date)",
    "fct_active_user_fast": "insert overwrite table engagement.fct_active_user_fast partition (activity_date)",
    "int_user_activity_states": "insert overwrite table engagement.int_user_activity_states select",
    "stg_landing__view_events": "insert into table engagement.stg_landing__view_events",
    "stg_landing__user_changes": "insert into table engagement.stg_landing__user_changes",
    "fct_view_events": "insert into table engagement.fct_view_events",
    "fct_viewing_sessions": "insert overwrite table engagement.fct_viewing_sessions partition (session_date)",
}
PARTITIONED = ("fct_daily_activity", "fct_daily_platform_activity", "dim_daily_user_status", "fct_active_user_fast")
APPENDED = ("stg_landing__view_events", "fct_view_events", "stg_landing__user_changes")


def _generate(landing: Path, *window: str) -> None:
    subprocess.run([entry_point("engagement-generate"), *GENERATOR_ARGS, *window, "--out", str(landing), "--quiet"],
                   check=True)


@pytest.fixture(scope="module")
def java() -> None:
    """Skip (outside CI) or fail (in CI) without Java, which pyspark needs."""
    if shutil.which("java") is None:
        message = "Java (17) is missing: pyspark needs it for the spark target"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _spark_run_record(spark_dir: Path) -> dict:
    """What the last Spark build left: each self-updating model's main statement (target/run)
    and the files of its table (path below the table folder -> mtime in ns)."""
    run_dir = spark_dir / "target" / "run"
    statements = {model: " ".join(next(run_dir.rglob(f"{model}.sql")).read_text().split())
                  for model in INCREMENTAL_STATEMENTS}
    files = {model: {str(path.relative_to(spark_table_dir(spark_dir, model))): path.stat().st_mtime_ns
                     for path in spark_table_dir(spark_dir, model).rglob("*.parquet")}
             for model in INCREMENTAL_STATEMENTS}
    return {"statements": statements, "files": files}


def _partition_files(files: dict[str, int]) -> dict[str, dict[str, int]]:
    """A day-partitioned table's files by partition folder (activity_date=YYYY-MM-DD)."""
    partitions: dict[str, dict[str, int]] = {}
    for path, mtime in files.items():
        partition, _, name = path.partition("/")
        partitions.setdefault(partition, {})[name] = mtime
    return partitions


def _touched_days(spark_dir: Path, batch: int) -> set[str]:
    """The activity days of the clean view events ingest batch ``batch`` brought (read from Spark's table)."""
    table = f"{spark_table_dir(spark_dir, 'fct_view_events')}/**/*.parquet"
    with duckdb.connect() as con:
        rows = con.execute(f"select distinct cast(activity_date as varchar) from read_parquet('{table}') "
                           f"where ingest_batch_id = {batch}").fetchall()
    return {f"activity_date={day}" for (day,) in rows}


@pytest.fixture(scope="module")
def builds(java, tmp_path_factory) -> tuple[Path, Path, list[str], list[dict]]:
    """Both engines built after each of three chunks: (DuckDB warehouse, Spark dir, Spark dbt logs,
    per Spark build: its statements and files (_spark_run_record), the batch's touched days and
    the differences from DuckDB after it)."""
    root = tmp_path_factory.mktemp("spark_equality")
    landing, warehouse, spark_dir = root / "landing", root / "duckdb" / "warehouse.duckdb", root / "spark"
    logs, runs = [], []
    for batch, window in enumerate(CHUNKS, start=1):
        _generate(landing, *window)
        build_warehouse(landing, warehouse)  # ingests the new chunk (one batch), then builds DuckDB
        logs.append(build_on_spark(landing, spark_dir, PROJECT_DIR))
        runs.append({**_spark_run_record(spark_dir), "touched_days": _touched_days(spark_dir, batch),
                     "differences": spark_differences(warehouse, spark_dir, list(COMPARED))})
    return warehouse, spark_dir, logs, runs


def test_spark_build_equals_duckdb_after_an_incremental_run(builds) -> None:
    warehouse, spark_dir, _, runs = builds
    assert spark_differences(warehouse, spark_dir, list(COMPARED)) == {}
    # ... and after every chunk: the state carried over one increment, then over two.
    assert [run["differences"] for run in runs] == [{}] * len(CHUNKS)


def test_spark_runs_the_incremental_branch_of_every_self_updating_model(builds) -> None:
    """Every build after the first ran each self-updating model's incremental statement; the first created them."""
    _, spark_dir, _, runs = builds
    for model, statement in INCREMENTAL_STATEMENTS.items():
        assert runs[0]["statements"][model].startswith("create table"), model
        for run in runs[1:]:
            assert run["statements"][model].startswith(statement), (model, run["statements"][model][:200])
    # dbt-spark sets dynamic partition overwrite for a partitioned insert_overwrite model.
    assert "set spark.sql.sources.partitionOverwriteMode = DYNAMIC" in (spark_dir / "logs" / "dbt.log").read_text()


def test_spark_incremental_runs_leave_the_days_they_do_not_rebuild(builds) -> None:
    """A day partition before the first day a run touched keeps its files (same names, same mtimes);
    the daily facts rewrite exactly the touched days; the append models keep every file they had."""
    _, _, _, runs = builds
    kept = dict.fromkeys(PARTITIONED, 0)
    for previous, run in zip(runs, runs[1:]):
        first_touched = min(run["touched_days"])
        for model in PARTITIONED:
            before, after = _partition_files(previous["files"][model]), _partition_files(run["files"][model])
            rewritten = {partition for partition in before if before[partition] != after.get(partition)}
            assert all(partition >= first_touched for partition in rewritten), (model, rewritten, first_touched)
            assert rewritten, model
            kept[model] += len(before) - len(rewritten)
            if model.startswith("fct_daily_"):
                assert rewritten == run["touched_days"] & set(before), model
        for model in APPENDED:
            before, after = previous["files"][model], run["files"][model]
            assert before.items() <= after.items() and len(after) > len(before), model
    # The last chunk cannot reach the first days: some partitions were kept, not rewritten.
    assert all(kept.values()), kept


def test_spark_runs_incrementally_and_says_what_it_skips(builds) -> None:
    _, spark_dir, logs, _ = builds
    first, second, *_ = logs
    # The append models take their incremental path on the second run (stg_landing__user_tombstones,
    # the suppression list, is incremental on both engines).
    assert "incremental model engagement.stg_landing__user_tombstones" in second
    assert "users_snapshot" in first and "skipped" in first
    # Nothing of the Spark session lands in the repository tree.
    for name in ("metastore_db", "spark-warehouse", "derby.log"):
        assert not (PROJECT_DIR / name).exists(), name
    assert (spark_dir / "metastore_db").is_dir() and (spark_dir / "warehouse").is_dir()


#: (name, dbt.datediff / dbt.dateadd call, expected value): the edges dbt-spark's own macros get wrong
#: (a millisecond difference without parentheses; `cast(n - 1 * 3600 as int)`; whole seconds only).
#: Timestamps are compared as microseconds since the epoch ({epoch} is the engine's function).
T0 = "timestamp '2026-03-01 00:00:00.250'"
T1 = "timestamp '2026-03-01 00:00:01.125'"
DATE_MACRO_CASES = [
    ("ms_positive", f"{{{{ dbt.datediff(\"{T0}\", \"{T1}\", 'millisecond') }}}}", 875),
    ("ms_negative", f"{{{{ dbt.datediff(\"{T1}\", \"{T0}\", 'millisecond') }}}}", -875),
    ("ms_over_hours", f"{{{{ dbt.datediff(\"{T0}\", \"timestamp '2026-03-02 03:00:00.000'\", 'millisecond') }}}}",
     97_199_750),
    ("day_across_midnight", "{{ dbt.datediff(\"timestamp '2026-03-01 23:59:59'\", \"timestamp '2026-03-02 00:00:01'\", "
     "'day') }}", 1),
    ("day_of_dates", "{{ dbt.datediff(\"date '2026-02-27'\", \"date '2026-03-02'\", 'day') }}", 3),
    ("hour_boundary", "{{ dbt.datediff(\"timestamp '2026-03-01 00:59:00'\", \"timestamp '2026-03-01 01:01:00'\", "
     "'hour') }}", 1),
    ("add_hours_expression", f"{{epoch}}({{{{ dbt.dateadd('hour', '2 - 1', \"{T0}\") }}}})",
     1772326800250000),
    ("add_minutes_keeps_fraction", f"{{epoch}}({{{{ dbt.dateadd('minute', '(1 + 1) * 60 + 10', \"{T0}\") }}}})",
     1772331000250000),
    ("add_milliseconds", f"{{epoch}}({{{{ dbt.dateadd('millisecond', 1500, \"{T0}\") }}}})", 1772323201750000),
    ("add_days_negative", "{epoch}({{ dbt.dateadd('day', -1 * 4, \"cast('2026-03-01' as date)\") }})",
     1771977600000000),
    ("add_days_to_timestamp", f"{{epoch}}({{{{ dbt.dateadd('day', 3, \"{T0}\") }}}})", 1772582400250000),
]


@pytest.mark.parametrize("target", ["duckdb", "spark"])
def test_date_macros_give_duckdbs_numbers(java, tmp_path, target) -> None:
    """spark__datediff / spark__dateadd (macros/cross_db) give the numbers DuckDB gives, on the edges."""
    epoch = "unix_micros" if target == "spark" else "epoch_us"
    sql = "select " + ", ".join(f"{call.replace('{epoch}', epoch)} as {name}"
                                for name, call, _ in DATE_MACRO_CASES)
    (row,) = show_inline(sql, PROJECT_DIR, show_environment(target, tmp_path), tmp_path / "show")
    got = {name.lower(): value for name, value in row.items()}
    assert got == {name: expected for name, _, expected in DATE_MACRO_CASES}
