"""The same project on Spark equals the DuckDB build of the same data, after two chunks.

A small landing zone arrives in two chunks (the second cuts a day in two, so it carries
late events of a day already built); after each chunk it is ingested once and built on
both engines: DuckDB (the default target, in-process) and Spark (the spark target,
``dbt build --selector spark`` in a subprocess running a local Spark session on plain
Parquet). After the second, incremental run, the core models (facts, the cumulative
status state, dim_daily_user_status, fct_active_user_fast), the retention and the
segment marts hold the same rows on both engines: integers and strings exactly, doubles
to 1e-9 relative, with the documented type differences normalised (support.spark).

Needs Java 17 (pyspark 3.5); skipped without it outside CI, failed without it in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from engagement.settings import PROJECT_DIR
from support.commands import entry_point
from support.spark import COMPARED, build_on_spark, spark_differences
from support.warehouse import build_warehouse

pytestmark = pytest.mark.slow

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
GENERATOR_ARGS = ["--users", "300", "--days", "6", "--start-date", "2026-03-01", "--seed", "7", "--faults", "default"]
#: The first chunk ends mid-day (aligned to the generator's hourly flush): day 4 is built twice.
CHUNK_EDGE = "2026-03-04T13:00Z"


def _generate(landing: Path, *window: str) -> None:
    subprocess.run([entry_point("engagement-generate"), *GENERATOR_ARGS, *window, "--out", str(landing), "--quiet"],
                   check=True)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    """Both engines built after each of two chunks: (DuckDB warehouse, Spark dir, Spark dbt logs)."""
    if shutil.which("java") is None:
        message = "Java (17) is missing: pyspark needs it for the spark target"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("spark_equality")
    landing, warehouse, spark_dir = root / "landing", root / "duckdb" / "warehouse.duckdb", root / "spark"
    logs = []
    for window in (["--arrived-until", CHUNK_EDGE], ["--arrived-from", CHUNK_EDGE]):
        _generate(landing, *window)
        build_warehouse(landing, warehouse)  # ingests the new chunk (one batch), then builds DuckDB
        logs.append(build_on_spark(landing, spark_dir, PROJECT_DIR))
    return warehouse, spark_dir, logs


def test_spark_build_equals_duckdb_after_an_incremental_run(builds) -> None:
    warehouse, spark_dir, _ = builds
    assert spark_differences(warehouse, spark_dir, list(COMPARED)) == {}


def test_spark_runs_incrementally_and_says_what_it_skips(builds) -> None:
    _, spark_dir, logs = builds
    first, second = logs
    # The append models take their incremental path on the second run (stg_landing__user_tombstones,
    # the suppression list, is incremental on both engines).
    assert "incremental model engagement.stg_landing__user_tombstones" in second
    assert "users_snapshot" in first and "skipped" in first
    # Nothing of the Spark session lands in the repository tree.
    for name in ("metastore_db", "spark-warehouse", "derby.log"):
        assert not (PROJECT_DIR / name).exists(), name
    assert (spark_dir / "metastore_db").is_dir() and (spark_dir / "warehouse").is_dir()
