"""engagement-bench scale: its one-line errors, the landing link and the MAU comparisons.

The benchmark itself is long; these tests check the parts that decide what it reports,
on tiny hand-made data (no dbt run).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import duckdb
import pytest

from engagement.bench import scale
from support.commands import entry_point


def test_split_at_without_landing_from_is_a_one_line_error() -> None:
    result = subprocess.run([entry_point("engagement-bench"), "scale", "--split-at", "2026-03-02T12:00"],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["engagement-bench scale: --split-at needs --landing-from"]


def test_unknown_preset_is_a_one_line_error() -> None:
    result = subprocess.run([entry_point("engagement-bench"), "scale", "--scale", "5m"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "invalid choice" in result.stderr


def test_link_landing_mirrors_landing_files_and_never_writes_the_source(tmp_path: Path) -> None:
    source = tmp_path / "source"
    part = source / "view_events" / "ingest_date=2026-03-02" / "ingest_hour=00" / "part-0000-00.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x")
    (source / "_manifests").mkdir()
    (source / "_manifests" / "m.json").write_text("{}")
    target = tmp_path / "target"
    scale.link_landing(source, target)
    linked = target / part.relative_to(source)
    assert linked.is_symlink() and linked.resolve() == part.resolve()
    assert not (target / "_manifests").exists(), "the source's own manifests are not landing files"
    assert sorted(p.name for p in source.rglob("*")) == sorted(["view_events", "ingest_date=2026-03-02",
                                                                 "ingest_hour=00", "part-0000-00.parquet",
                                                                 "_manifests", "m.json"])


@pytest.fixture()
def tiny_warehouse(tmp_path: Path) -> tuple[Path, Path]:
    """A warehouse with the three tables compare_mau reads, consistent by construction, and its export."""
    warehouse = tmp_path / "warehouse.duckdb"
    day0 = dt.date(2026, 3, 1)
    with duckdb.connect(str(warehouse)) as con:
        # users 1..40; user u is active on days d (0..44) with (u + d) % 5 == 0
        con.execute(f"""
            create table fct_view_events as
            select u as user_id, date '{day0}' + cast(d as integer) as activity_date, true as is_qualifying_playback
            from range(1, 41) t(u), range(45) s(d) where (u + d) % 5 = 0
            union all  -- a preview never makes a user active
            select 99, date '{day0}' + 44, false""")
        con.execute("""
            create table dim_daily_user_status as
            with days as (select distinct activity_date as day from fct_view_events),
                 active as (select distinct user_id, activity_date from fct_view_events where is_qualifying_playback)
            select active.user_id, days.day as activity_date,
                bool_or(active.activity_date = days.day) as is_active,
                bool_or(active.activity_date > days.day - 7) as is_weekly_active,
                true as is_monthly_active
            from days join active on active.activity_date between days.day - 29 and days.day
            group by 1, 2""")
        con.execute("""
            create table fct_active_user_fast as
            select activity_date, count(*) filter (where is_active) as dau,
                count(*) filter (where is_weekly_active) as wau, count(*) as mau
            from dim_daily_user_status group by 1""")
    (tmp_path / "exported").mkdir()
    with duckdb.connect(str(warehouse)) as con:
        # the Parquet copies the chDB and EXPLAIN parts read, laid out as export_facts writes them
        for table in ("fct_view_events", "dim_daily_user_status"):
            out = tmp_path / "exported" / table
            con.execute(f"copy (select * from {table}) to '{out}' (format parquet, partition_by (activity_date), "
                        "write_partition_columns true)")
    return warehouse, tmp_path / "exported"


def test_mau_both_ways_agree_on_consistent_data(tiny_warehouse: tuple[Path, Path]) -> None:
    warehouse, exported = tiny_warehouse
    result = scale.compare_mau(warehouse, exported, repeat=1)
    a = result["a_duckdb"]
    assert a["mau_count_distinct"] == a["mau_status"] == a["mau_rollup"] == 40
    assert a["equal"] and result["c_duckdb_series"]["equal"]
    assert result["c_duckdb_series"]["days"] == 45
    assert result["explain_partition_pruning"]["files_scanned"] in {"30/45", "not shown by this DuckDB"}
    if "error" not in result["b_chdb"]:
        assert result["b_chdb"]["equal"] and result["b_chdb"]["mau_count_distinct"] == 40
        assert result["c_chdb_series"]["equal"]


def test_mau_comparison_reports_a_disagreement(tiny_warehouse: tuple[Path, Path]) -> None:
    warehouse, exported = tiny_warehouse
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update fct_active_user_fast set mau = mau + 1 "
                    "where activity_date = (select max(activity_date) from fct_active_user_fast)")
    result = scale.compare_mau(warehouse, exported, repeat=1)
    assert not result["a_duckdb"]["equal"]


def test_growing_models_pairs_each_model_with_its_short_history_seconds() -> None:
    low = [{"detail": {"nodes": {"a": 1.0, "b": 2.0, "streaming_engagement-on-run-start-0": 0.1}}}, {"detail": {}}]
    high = [{"detail": {"nodes": {"a": 4.0, "streaming_engagement-on-run-start-0": 0.2}}},
            {"detail": {"nodes": {"b": 2.2, "c": 3.0}}}]
    rows = scale.growing_models(low, high)
    assert [r["model"] for r in rows] == ["a", "c", "b"]  # slowest at the long history first, hooks left out
    assert rows[0]["ratio"] == 4.0 and rows[1]["short_s"] is None and rows[1]["ratio"] is None
    assert abs(rows[2]["ratio"] - 1.1) < 1e-9
