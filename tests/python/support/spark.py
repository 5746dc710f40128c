"""Build a landing zone on the spark target, and compare its tables with a DuckDB build.

The spark target (profiles.yml, ``method: session``) runs a local Spark session inside a
``dbt`` subprocess; its tables are plain Parquet under ``$ENGAGEMENT_SPARK_DIR/warehouse``,
which DuckDB reads directly, so the comparison needs no second Spark session.

Type differences between the engines, normalised before comparing (README "Running on Spark"):

* ``int_user_activity_states.activity_history_bitmask``: DuckDB HUGEINT, Spark a
  127-character '0'/'1' string (character k + 1 = bit k); compared as that string.
* timestamps: Spark's TIMESTAMP is UTC-adjusted in Parquet (DuckDB reads TIMESTAMPTZ);
  compared as UTC TIMESTAMP.
* integer widths: DuckDB's count(*) and sum() of integers are BIGINT / HUGEINT, Spark's
  BIGINT / INT in places (a contracted column is cast to its contract type on both); compared as numbers.
* doubles: equal to 1e-9 relative (Spark and DuckDB may add a double sum in another order).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Sequence

import duckdb

from support.commands import entry_point

#: The models the equality test compares, with the columns that identify a row.
COMPARED = {
    "fct_view_events": ["event_id"],
    "fct_daily_activity": ["activity_date", "user_id"],
    "fct_daily_platform_activity": ["activity_date", "user_id", "platform", "country"],
    "int_user_activity_states": ["user_id"],
    "dim_daily_user_status": ["user_id", "activity_date"],
    "fct_active_user_fast": ["activity_date"],
    "dim_user": ["user_id"],
    # Equal while no deletion request arrives after the user's records were typed (none in the
    # test's data): plain Parquet cannot delete them from the change log (README "Running on Spark").
    "stg_landing__user_changes": None,
    "int_user_attribute_history": ["user_id", "valid_from"],
    "dim_retention_cohort_member": None,
    "fct_retention_cohort_member_activity": None,
    "int_cohort_retention_curves": None,
    "agg_signup_cohort_retention_curve": None,
    "agg_first_activity_cohort_retention_curve": None,
    "agg_cohort_retention_summary": None,
    "agg_cohort_retention_brackets": None,
    "agg_weekly_lifecycle": None,
    "int_user_segments_daily": None,
    "int_platform_engagement_daily": None,
    "agg_daily_segment_engagement": None,
    "fct_user_lifecycle_periods": ["user_id", "period_grain", "period_start_date"],
    "int_viewing_history_window": None,
    "fct_viewing_sessions": ["session_id"],
    "agg_viewing_local_time_heatmap": ["platform", "local_start_weekday", "local_start_hour"],
    "agg_daily_viewing_sessions": ["session_date"],
    "agg_title_performance": ["media_id"],
    "agg_genre_performance": ["genre", "media_kind"],
    "agg_weekly_playback_qoe": ["week_start_date", "platform", "country"],
    "int_user_qoe_windowed": ["activity_date", "user_id"],
    "agg_weekly_qoe_churn": ["week_start_date", "qoe_measure", "qoe_bucket"],
    "agg_daily_days_active_histogram": ["activity_date", "window_days", "days_active"],
    "agg_daily_l28_engagement_bands": ["activity_date", "engagement_band"],
    "int_user_churn_features": ["activity_date", "user_id"],
    "fct_user_churn_risk": ["activity_date", "user_id"],
    "int_churn_risk_outcomes": ["activity_date", "user_id"],
    "agg_churn_risk_evaluation": ["scorer", "outcome"],
    "agg_churn_risk_calibration": ["scorer", "outcome", "score_decile"],
    "agg_intraday_active_users": ["activity_date", "activity_hour", "segment_type", "segment_value"],
    "agg_playback_starts_per_minute": ["minute_start"],
}
#: Columns naming the landing file or the build, not the data (as in support.warehouse).
SKIPPED_COLUMNS = frozenset({"file_name", "file_version", "line_number", "record_id", "erased_at"})
RELATIVE_TOLERANCE = 1e-9


def spark_environment(landing: Path, spark_dir: Path) -> dict[str, str]:
    """The environment of a dbt run on the spark target over ``landing``, writing only under ``spark_dir``."""
    return {**os.environ, "ENGAGEMENT_TARGET": "spark", "ENGAGEMENT_LANDING_DIR": str(landing),
            "ENGAGEMENT_SPARK_DIR": str(spark_dir), "ENGAGEMENT_SPARK_DRIVER_MEMORY": "2g",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def show_environment(target: str, work_dir: Path) -> dict[str, str]:
    """The environment of a `dbt show` of inline SQL on ``target`` (spark or duckdb), writing only under ``work_dir``."""
    if target == "spark":
        return spark_environment(work_dir, work_dir / "spark")
    return {**os.environ, "ENGAGEMENT_TARGET": "duckdb", "ENGAGEMENT_DUCKDB_PATH": str(work_dir / "show.duckdb"),
            "ENGAGEMENT_LANDING_DIR": str(work_dir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def build_on_spark(landing: Path, spark_dir: Path, project_dir: Path, extra: Sequence[str] = ()) -> str:
    """``dbt build --selector spark`` (no data tests) on the spark target; dbt's output, raising on failure."""
    spark_dir.mkdir(parents=True, exist_ok=True)
    command = [entry_point("dbt"), "build", "--selector", "spark", "--exclude-resource-type", "test",
               "--target-path", str(spark_dir / "target"), "--log-path", str(spark_dir / "logs"),
               "--profiles-dir", str(project_dir), "--project-dir", str(project_dir), *extra]
    done = subprocess.run(command, env=spark_environment(landing, spark_dir), cwd=spark_dir,
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(line for line in done.stdout.splitlines() if " WARN " not in line)[-6000:]
        raise AssertionError(f"dbt build on spark failed ({done.returncode}):\n{tail}")
    return done.stdout


def spark_table_dir(spark_dir: Path, model: str) -> Path:
    """The folder of a model's Parquet table in the Spark warehouse."""
    return spark_dir / "warehouse" / "engagement.db" / model


def _spark_table(spark_dir: Path, model: str) -> str:
    # Tables partitioned by day (partition_by on Spark) keep activity_date in the folder names.
    return f"read_parquet('{spark_table_dir(spark_dir, model)}/**/*.parquet', hive_partitioning = true)"


def _normalised(con: duckdb.DuckDBPyConnection, relation: str, model: str, engine: str) -> list[tuple]:
    """The rows of one table, sorted, with the engine differences normalised (see the module doc)."""
    # By name: Spark stores a partition column last.
    described = sorted(con.execute(f"describe select * from {relation}").fetchall())
    expressions, kinds = [], []
    for name, kind, *_ in described:
        if name in SKIPPED_COLUMNS or name.startswith("dbt_"):
            continue
        if name == "activity_history_bitmask" and engine == "duckdb":
            # bit k as character k + 1, as the Spark representation stores it
            expressions.append(f"array_to_string(list_transform(range(127), lambda k: "
                               f"cast(((\"{name}\" >> k) & 1) as varchar)), '')")
        elif kind.startswith("TIMESTAMP"):
            expressions.append(f"cast(timezone('UTC', cast(\"{name}\" as timestamptz)) as timestamp)")
        elif kind in ("HUGEINT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT"):
            expressions.append(f"cast(\"{name}\" as bigint)")
        else:
            expressions.append(f'"{name}"')
        kinds.append((name, kind))
    rows = con.execute(f"select {', '.join(expressions)} from {relation}").fetchall()
    return sorted(rows, key=lambda row: tuple((value is None, str(value)) for value in row)), [n for n, _ in kinds]


def _equal(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return left == right


def spark_differences(duckdb_path: Path, spark_dir: Path, models: Sequence[str]) -> dict[str, str]:
    """Per model that differs between the DuckDB warehouse and the Spark tables: what differs (empty: all equal)."""
    differences: dict[str, str] = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for model in models:
            duck_rows, duck_columns = _normalised(con, f"main.{model}", model, "duckdb")
            if not any(spark_table_dir(spark_dir, model).rglob("*.parquet")):
                # A partitioned table with no rows has no file (int_churn_risk_outcomes on a short history).
                if duck_rows:
                    differences[model] = f"{len(duck_rows)} rows on DuckDB, no Parquet file on Spark"
                continue
            spark_rows, spark_columns = _normalised(con, _spark_table(spark_dir, model), model, "spark")
            if duck_columns != spark_columns:
                differences[model] = f"columns differ: {duck_columns} vs {spark_columns}"
                continue
            if len(duck_rows) != len(spark_rows):
                differences[model] = f"{len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"
                continue
            for duck_row, spark_row in zip(duck_rows, spark_rows):
                if not all(_equal(a, b) for a, b in zip(duck_row, spark_row)):
                    differences[model] = f"first differing row: duckdb {duck_row} / spark {spark_row}"
                    break
    return differences


def show_inline(sql: str, project_dir: Path, environment: dict[str, str], work_dir: Path) -> list[dict]:
    """The rows of ``dbt show --inline sql`` (compiled with the project's macros) on the environment's target."""
    work_dir.mkdir(parents=True, exist_ok=True)
    command = [entry_point("dbt"), "show", "--quiet", "--output", "json", "--limit", "100", "--inline", sql,
               "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
               "--profiles-dir", str(project_dir), "--project-dir", str(project_dir)]
    done = subprocess.run(command, env=environment, cwd=work_dir, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return json.loads(done.stdout[done.stdout.index("{"):])["show"]
