"""A deletion request deletes: after the next run no user-level table holds a row of the
user, a full refresh agrees, a rerun does not bring the user back from the landing zone,
and the audit names no one.

Scenario: a small landing zone is built in two arrival chunks; between them a deletion
request for a user who was active in the first chunk lands (a users file of its own, in a
later arrival hour, as a stream would deliver it).
"""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from engagement.pipeline.build import ParsedSessions, ingest_and_build
from engagement.pipeline.dbt import DbtTarget
from support.commands import entry_point

pytestmark = pytest.mark.slow

GENERATE = ["--users", "400", "--days", "6", "--start-date", "2026-03-02", "--seed", "5", "--faults", "default"]
SPLIT = "2026-03-05T00:00Z"
SESSIONS = ParsedSessions()
# Relations allowed to name the user after the erasure: the suppression list itself, and
# the base views, which read the raw zone as it is (see the README: raw-zone retention).
SUPPRESSION_LIST = {"stg_landing__user_tombstones"}
RAW_ZONE_VIEWS = {"base_landing__view_events", "base_landing__users"}
# Models compared between the incremental and the full-refresh build.
COMPARED = ["fct_view_events", "fct_daily_activity", "fct_daily_platform_activity", "dim_daily_user_status",
            "fct_active_user_fast", "dim_user", "fct_user_churn_risk", "stg_landing__user_changes",
            "int_user_attribute_history"]


def _generate(landing: Path, arrived_from: str | None, arrived_until: str | None) -> None:
    command = [entry_point("engagement-generate"), *GENERATE, "--out", str(landing), "--quiet"]
    if arrived_from:
        command += ["--arrived-from", arrived_from]
    if arrived_until:
        command += ["--arrived-until", arrived_until]
    subprocess.run(command, check=True)


def _build(landing: Path, warehouse: Path, *extra: str) -> None:
    target = DbtTarget(duckdb_path=warehouse, landing_dir=landing, target_path=warehouse.parent / "target")
    result = ingest_and_build(target, ["build", "--exclude-resource-type", "unit_test", *extra],
                              SESSIONS.session(target))
    assert getattr(result.dbt_result, "success", True), "dbt build failed"


def _request_deletion(landing: Path, user_id: int) -> None:
    """Land a deletion request for ``user_id`` the way the generator lands change records."""
    folder = landing / "users" / "ingest_date=2026-03-05"
    folder.mkdir(parents=True, exist_ok=True)
    record = {"user_id": user_id, "email": f"someone{user_id}@example.com", "age": 30,
              "sign_up_date": "2026-03-01", "sign_up_country": "DE", "country": "DE", "city": "Berlin",
              "plan": "basic", "change_type": "deletion_request", "is_deletion_request": True,
              "updated_at": "2026-03-05T01:00:00.000Z", "ingested_at": "2026-03-05T01:00:05.000Z"}
    tmp = folder / ".part-9999-0100.jsonl.gz.tmp"
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    tmp.rename(folder / "part-9999-0100.jsonl.gz")


def _rows_of_user(warehouse: Path, landing: Path, user_id: int) -> dict[str, int]:
    """Rows naming ``user_id`` in every table and view of the warehouse with a user_id column
    (views read the landing sources relative to the landing root, as under dbt)."""
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"set file_search_path = '{landing}'")
        relations = con.execute(
            "select distinct table_name from information_schema.columns"
            " where table_schema = 'main' and column_name = 'user_id'"
        ).fetchall()
        for (name,) in relations:
            count = con.execute(f'select count(*) from main."{name}" where user_id = ?', [user_id]).fetchone()[0]
            if count:
                found[name] = count
    return found


@pytest.fixture(scope="module")
def erased(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("deletion")
    landing = root / "landing"
    incremental = root / "incremental" / "warehouse.duckdb"
    _generate(landing, None, SPLIT)
    _build(landing, incremental)
    with duckdb.connect(str(incremental), read_only=True) as con:
        # The most active user of the first chunk, so the erasure touches many rows and days.
        user_id, days = con.execute(
            "select user_id, count(*) from fct_daily_activity group by 1 order by 2 desc, 1 limit 1"
        ).fetchone()
        before = con.execute("select * from fct_active_user_fast order by activity_date").fetchall()
    assert days >= 2
    before_request = _rows_of_user(incremental, landing, user_id)
    assert before_request, "the user must have rows before the request"
    _request_deletion(landing, user_id)
    _generate(landing, SPLIT, None)
    _build(landing, incremental)
    after_run = _rows_of_user(incremental, landing, user_id)
    _build(landing, incremental)  # a rerun with no new input
    after_rerun = _rows_of_user(incremental, landing, user_id)
    full = root / "full" / "warehouse.duckdb"
    _build(landing, full, "--full-refresh")
    return {"user_id": user_id, "incremental": incremental, "full": full, "after_run": after_run,
            "after_rerun": after_rerun, "rollup_before": before, "before_request": before_request}


def test_no_user_level_table_keeps_the_user(erased: dict) -> None:
    assert set(erased["after_run"]) - RAW_ZONE_VIEWS == SUPPRESSION_LIST, erased["after_run"]
    assert erased["after_run"]["stg_landing__user_tombstones"] == 1
    assert erased["after_run"]["base_landing__users"] >= 1, "the raw zone still holds the request (by design)"


def test_the_typed_change_log_is_erased(erased: dict) -> None:
    """The stored, typed user records (e-mail hash, age, city, ...) held the user before the
    request, which arrived after they were typed; after the run they hold none, in the
    incremental build and in the full refresh (which types the raw zone again)."""
    assert erased["before_request"]["stg_landing__user_changes"] >= 1
    assert "stg_landing__user_changes" not in erased["after_run"]
    with duckdb.connect(str(erased["full"]), read_only=True) as con:
        rows = con.execute("select count(*) from stg_landing__user_changes where user_id = ?",
                           [erased["user_id"]]).fetchone()[0]
        typed = con.execute("select count(*) from stg_landing__user_changes").fetchone()[0]
    assert rows == 0 and typed > 0


def test_a_rerun_does_not_bring_the_user_back(erased: dict) -> None:
    assert set(erased["after_rerun"]) - RAW_ZONE_VIEWS == SUPPRESSION_LIST, erased["after_rerun"]


def test_the_snapshot_and_staged_lines_are_erased(erased: dict) -> None:
    with duckdb.connect(str(erased["incremental"]), read_only=True) as con:
        versions = con.execute("select count(*) from users_snapshot where user_id = ?",
                               [erased["user_id"]]).fetchone()[0]
        erased_lines = con.execute(
            "select count(*) from stg_landing__view_events where record_status = 'erased'"
        ).fetchone()[0]
        placeholders_with_payload = con.execute(
            "select count(*) from stg_landing__view_events where record_status = 'erased'"
            " and (event_id is not null or started_at is not null or raw_record is not null)"
        ).fetchone()[0]
    assert versions == 0
    assert erased_lines > 0
    assert placeholders_with_payload == 0


def test_the_audit_counts_without_naming_anyone(erased: dict) -> None:
    with duckdb.connect(str(erased["incremental"]), read_only=True) as con:
        columns = {row[0] for row in con.execute("describe fct_privacy_erasures").fetchall()}
        rows = con.execute(
            "select users_erased, staged_lines_erased, first_affected_date from fct_privacy_erasures"
        ).fetchall()
    assert not columns & {"user_id", "email", "email_hash", "city", "age"}
    assert sum(row[0] for row in rows) >= 1
    assert sum(row[1] for row in rows) > 0, "lines staged before the request were erased"
    assert any(row[2] is not None for row in rows)


@pytest.mark.parametrize("model", COMPARED)
def test_full_refresh_agrees(erased: dict, model: str) -> None:
    with duckdb.connect(str(erased["incremental"]), read_only=True) as con:
        con.execute(f"attach '{erased['full']}' as full_refresh (read_only)")
        rows = con.execute(f"select count(*) from main.{model}").fetchone()[0]
        only_incremental = con.execute(
            f"select count(*) from (select * from main.{model} except all select * from full_refresh.main.{model})"
        ).fetchone()[0]
        only_full = con.execute(
            f"select count(*) from (select * from full_refresh.main.{model} except all select * from main.{model})"
        ).fetchone()[0]
    assert rows > 0
    assert (only_incremental, only_full) == (0, 0)


def test_published_days_are_recomputed_without_the_user(erased: dict) -> None:
    """The rollup's days that counted the user were recomputed, so at least one changed."""
    with duckdb.connect(str(erased["incremental"]), read_only=True) as con:
        after = dict(
            (row[0], row) for row in con.execute("select * from fct_active_user_fast order by activity_date").fetchall()
        )
    changed = [row[0] for row in erased["rollup_before"] if after.get(row[0]) != row]
    assert changed, "no day of the rollup lost the erased user"
