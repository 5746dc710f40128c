"""Batch-level faults: an empty batch, a rerun with no input, full refreshes, stale sources."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from engagement.pipeline.dbt import DbtError
from faultkit import (NOW, SESSIONS, Replay, arrival_of, build, copy_warehouse, differences, query, scalar,
                      target_of)


def test_empty_batch_changes_nothing(replay: Replay) -> None:
    """Step 5 committed a batch whose only file is a valid, empty .jsonl.gz: it is recorded,
    and the build over it changes no row."""
    summary = replay.summaries[4]
    assert summary.batch_id == replay.summaries[3].batch_id + 1
    assert summary.files == {"loaded": 1} and not any(summary.rows.values())
    rel = next(rel for rel in replay.injected if "fault-empty-batch" in rel)
    assert query(replay.incremental, "select file_status, lines_read, landed_records "
                                     "from agg_view_event_ingest_reconciliation where file_name = ?",
                 [rel]) == [("loaded", 0, 0)]
    before, after = replay.fingerprints[3], replay.fingerprints[4]
    changed = [m for m in before if before[m] != after[m] and m != "agg_view_event_ingest_reconciliation"]
    assert not changed, f"an empty batch changed {changed}"


def test_rerun_with_no_input_changes_nothing(replay: Replay) -> None:
    """Step 6 found no new file: no batch, and every model has the same rows as before."""
    assert replay.summaries[5].batch_id is None
    assert replay.fingerprints[5] == replay.fingerprints[4]


def test_full_refresh_after_incremental_runs_is_idempotent(replay: Replay, tmp_path) -> None:
    """A full refresh of a warehouse built incrementally gives the full-refresh answer
    (it refused to, for fct_active_user_fast, before: full_refresh=false)."""
    warehouse = copy_warehouse(replay.incremental, tmp_path / "refreshed")
    build(replay.landing, warehouse, "--full-refresh")
    for model in ("fct_view_events", "dim_daily_user_status", "fct_active_user_fast", "stg_landing__view_events"):
        assert differences(warehouse, replay.full, model)[:2] == (0, 0), model


DEFINITION_CHANGE = "{engagement__active_min_seconds: 900}"


def test_full_refresh_after_a_definition_change(replay: Replay, tmp_path) -> None:
    """After the active-user definition changes, `dbt build --full-refresh` on the old warehouse
    gives the same rollup as a new warehouse built with the new definition, and it differs
    from the old answer (so the comparison proves something)."""
    changed = copy_warehouse(replay.incremental, tmp_path / "changed")
    fresh = tmp_path / "fresh" / "warehouse.duckdb"
    build(replay.landing, changed, "--full-refresh", dbt_vars=DEFINITION_CHANGE)
    build(replay.landing, fresh, "--full-refresh", dbt_vars=DEFINITION_CHANGE)
    for model in ("fct_daily_activity", "dim_daily_user_status", "fct_active_user_fast"):
        assert differences(changed, fresh, model)[:2] == (0, 0), f"{model} is stale after --full-refresh"
    old_dau = scalar(replay.incremental, "select sum(dau) from fct_active_user_fast")
    new_dau = scalar(changed, "select sum(dau) from fct_active_user_fast")
    assert new_dau < old_dau, "a 15-minute threshold should drop some active days"


def test_source_freshness_reads_arrival_partitions(replay: Replay, tmp_path) -> None:
    """`make freshness` (dbt source freshness on the landing sources): the newest load is the end
    of the newest arrival hour read, never a record's own timestamp (the 2027 record of step 2)."""
    target = target_of(replay.landing, replay.incremental)
    output = tmp_path / "sources.json"
    # Months after the data, on the wall clock: stale, and said so (an error, not a pass).
    with pytest.raises(DbtError):
        SESSIONS.session(target)(["source", "freshness", "--select", "source:landing", "--output", str(output)])
    results = {r["unique_id"].rsplit(".", 1)[1]: r for r in json.loads(output.read_text())["results"]}
    assert {"view_events", "users"} <= set(results)
    newest = max(arrival_of(rel) for rel, step in replay.step_of.items()
                 if rel.startswith("view_events/") and "2027" not in rel)
    loaded = results["view_events"]["max_loaded_at"][:19]
    assert loaded == (newest + dt.timedelta(hours=1)).isoformat(), results["view_events"]
    assert results["view_events"]["status"] == "error"
    assert NOW.isoformat() > loaded
