"""End-to-end: the real generator feeding the real dbt project.

* Replaying arrivals in chunks (incremental runs) gives exactly the marts of one
  full-refresh build of the same landing zone.
* Faults never change a metric: marts from ``--faults default`` equal those from
  ``--faults none`` with the same seed.
* DAU, WAU, MAU and the status counts recomputed from the raw landing files, by
  code written independently of the models, equal the rollup.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from engagement.pipeline.build import ParsedSessions, ingest_and_build
from engagement.pipeline.dbt import DbtTarget
from support.commands import entry_point

pytestmark = pytest.mark.slow

START = date(2026, 3, 2)  # a Monday; DST in the US starts on 2026-03-08, inside the run
DAYS = 12
BASE_ARGS = ["--users", "1500", "--days", str(DAYS), "--start-date", START.isoformat(), "--seed", "11"]
# Window edges are aligned to the generator's flush interval (60 min). The middle
# chunks cut days in two so late events for already-built days arrive in later runs.
CHUNK_EDGES = ["2026-03-04T00:00Z", "2026-03-06T13:00Z", "2026-03-07T02:00Z", "2026-03-10T19:00Z"]
# A short kept history exercises the pruning and the bootstrap path of the status model; a
# short viewing window makes fct_viewing_sessions drop the days that leave it between runs; a
# short churn outcome window gives int_churn_risk_outcomes evaluable days within 12 days.
SHORT_HISTORY_VARS = ("{engagement__status_history_days: 9, engagement__viewing_history_days: 9,"
                      " engagement__churn_outcome_days: 3}")
# The seed's check that the churn model was fitted for the evaluated outcome window (14 days).
SHORT_OUTCOME_EXCLUDE = ("--exclude", "accepted_values_churn_model_training_outcome_days*")
# Landed with the last chunk: a late event of a session built on 03-10 (by the run before),
# starting the evening before, so the session moves to 03-09. The final 9-day viewing window
# starts on 03-06 (the newest activity day is 03-14: sessions that cross midnight), before
# every event of that chunk (72 h late at most), so the run recomputes only touched sessions.
LATE_EVENT_ID = "e2e-late-event-moves-session"
LATE_EVENT_START = datetime(2026, 3, 9, 23, 30, tzinfo=timezone.utc)
LATE_EVENT_PARTITION = "view_events/ingest_date=2026-03-10/ingest_hour=19"
# Records of users whose records earlier runs typed: a re-delivered copy of a sign-up line (a
# second file, with the third chunk: a re-delivery in the last chunk would move that sign-up's
# version to the newest batch, and every kept day of the analysis models would be rebuilt), then
# with the last chunk a profile change (after every generated record, so it is the current
# version) and a deletion request of a user who was never active (so no fact day is rebuilt).
REDELIVERY_CHUNK = 2
REDELIVERED_PARTITION = "users/ingest_date=2026-03-06"
USER_CHANGES_PARTITION = "users/ingest_date=2026-03-10"
PROFILE_CHANGE_AT = datetime(2026, 3, 14, 23, 30, tzinfo=timezone.utc)

MARTS = {
    # model -> columns identifying a row (used to make diffs readable)
    "fct_view_events": ["event_id"],
    "fct_daily_activity": ["activity_date", "user_id"],
    "fct_daily_platform_activity": ["activity_date", "user_id", "platform", "country"],
    "dim_daily_user_status": ["user_id", "activity_date"],
    "fct_active_user_fast": ["activity_date"],
    "dim_user": ["user_id"],
    "stg_landing__users": ["user_id"],
    # The users side: the typed change log (append-only by batch) and the profile history.
    "stg_landing__user_changes": ["user_id", "ingest_batch_id", "file_name"],
    "int_user_attribute_history": ["user_id", "valid_from"],
    "dim_media": ["media_id"],
    "fct_viewing_sessions": ["session_id"],
    # Day-grain analysis models (incremental from analysis_rebuild_from, pruned like the status).
    "int_user_qoe_windowed": ["activity_date", "user_id"],
    "int_user_churn_features": ["activity_date", "user_id"],
    "fct_user_churn_risk": ["activity_date", "user_id"],
    "int_churn_risk_outcomes": ["activity_date", "user_id"],
    "int_user_segments_daily": ["activity_date", "user_id"],
}
# Models that keep only the status history's days on incremental runs (a full refresh builds every day).
BUILD_WATERMARK_MODELS = {"int_user_qoe_windowed", "int_user_churn_features", "fct_user_churn_risk",
                          "int_churn_risk_outcomes", "int_user_segments_daily"}
STATUS_HISTORY_MODELS = {"dim_daily_user_status", *BUILD_WATERMARK_MODELS}


def _generate(out: Path, faults: str, window: tuple[str | None, str | None] = (None, None)) -> None:
    command = [entry_point("engagement-generate"), *BASE_ARGS, "--faults", faults, "--out", str(out), "--quiet"]
    if window[0]:
        command += ["--arrived-from", window[0]]
    if window[1]:
        command += ["--arrived-until", window[1]]
    subprocess.run(command, check=True)


def _land_late_event_moving_a_session(landing: Path, warehouse: Path) -> str:
    """Land one valid playback of a session ``warehouse`` holds on 03-10, starting on 03-09
    (before every event of the session), in an arrival partition of the next chunk; returns the session_id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        session_id, user_id, media_id = con.execute(
            """
            select session_id, user_id, arg_min(media_id, start_timestamp)
            from fct_view_events
            group by session_id, user_id
            having min(start_timestamp) >= timestamptz '2026-03-10 02:00:00+00'
                and max(start_timestamp) < timestamptz '2026-03-10 12:00:00+00'
            order by session_id
            limit 1
            """
        ).fetchone()
    template = json.loads(gzip.decompress(next((landing / "view_events").rglob("*.jsonl.gz")).read_bytes()).splitlines()[0])
    started, ingested = LATE_EVENT_START, datetime(2026, 3, 10, 19, 2, tzinfo=timezone.utc)
    record = {**template, "event_id": LATE_EVENT_ID, "session_id": session_id, "user_id": user_id,
              "media_id": media_id, "event_type": "playback", "platform": "web",
              "start_timestamp": started.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
              "end_timestamp": (started + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
              "position_start_seconds": 0, "position_end_seconds": 1200,
              "ingested_at": ingested.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    path = landing / LATE_EVENT_PARTITION / "e2e-late-event.jsonl.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(record).encode() + b"\n", mtime=0))
    return session_id


def _sign_up_lines(landing: Path, users: set[int]) -> dict[int, bytes]:
    """The landed sign-up line of each of ``users``."""
    lines = {}
    for path in sorted((landing / "users").rglob("*.jsonl.gz")):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            record = json.loads(line)
            if record["user_id"] in users and record["change_type"] == "signup":
                lines[record["user_id"]] = line
    assert set(lines) == users, lines.keys()
    return lines


def _land_users_file(landing: Path, partition: str, lines: list[bytes]) -> None:
    path = landing / partition / "e2e-user-changes.jsonl.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", mtime=0))


def _land_redelivered_sign_up(landing: Path, warehouse: Path) -> int:
    """Land again, in a new file of the next chunk, the sign-up line of a user ``warehouse`` typed; returns the user."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        user = con.execute("select min(user_id) from stg_landing__users where change_count = 1").fetchone()[0]
    _land_users_file(landing, REDELIVERED_PARTITION, [_sign_up_lines(landing, {user})[user]])
    return user


def _land_change_and_deletion_of_typed_users(landing: Path, warehouse: Path, exclude: int) -> dict[str, int]:
    """Land, in a users file of the next chunk, a profile change (another plan) of one user and a
    deletion request of another who was never active, both typed by earlier runs; returns {case: user_id}."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        changed, deleted = (row[0] for row in con.execute(
            "select user_id from stg_landing__users"
            " where user_id <> ? and user_id not in (select user_id from fct_daily_activity)"
            " order by user_id limit 2", [exclude]).fetchall())
    sign_ups = _sign_up_lines(landing, {changed, deleted})
    at = PROFILE_CHANGE_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    change = json.loads(sign_ups[changed])
    change.update(change_type="profile_update", plan="premium" if change["plan"] != "premium" else "basic",
                  updated_at=at, ingested_at=at)
    request = json.loads(sign_ups[deleted])
    request.update(change_type="deletion_request", is_deletion_request=True, updated_at=at, ingested_at=at)
    _land_users_file(landing, USER_CHANGES_PARTITION, [json.dumps(change).encode(), json.dumps(request).encode()])
    return {"changed": changed, "deleted": deleted}


SESSIONS = ParsedSessions()


def _build(landing: Path, warehouse: Path, *extra: str, dbt_vars: str | None = None, with_tests: bool = True) -> None:
    """Ingest, then dbt build; without tests it still loads seeds and snapshots, unlike dbt run.

    Unit tests do not depend on data (make dbt-test runs them); data tests run when asked.
    Every warehouse is called warehouse.duckdb (in its own folder) so that one parse serves all.
    """
    assert warehouse.name == "warehouse.duckdb"
    target = DbtTarget(duckdb_path=warehouse, landing_dir=landing, target_path=warehouse.parent / "target")
    skip_tests = ["--exclude-resource-type", "unit_test"]
    if not with_tests:
        skip_tests += ["--exclude-resource-type", "test"]
    ingest_and_build(target, ["build", *skip_tests, *extra], SESSIONS.session(target, dbt_vars))


def _differences(left: Path, right: Path, model: str, where: str = "true") -> tuple[int, int, int]:
    """Rows only in left, only in right (both filtered by ``where``), and the row count of left.

    A day-grain analysis model's last_ingest_batch_id is the batch of the run that built the
    row (a full refresh stamps every row with the newest): compared apart, not here."""
    columns = "* exclude (last_ingest_batch_id)" if model in BUILD_WATERMARK_MODELS else "*"
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        only_left = con.execute(
            f"select count(*) from (select {columns} from main.{model} where {where}"
            f" except all select {columns} from other.main.{model})"
        ).fetchall()[0][0]
        only_right = con.execute(
            f"select count(*) from (select {columns} from other.main.{model}"
            f" except all select {columns} from main.{model})"
        ).fetchall()[0][0]
        rows = con.execute(f"select count(*) from main.{model}").fetchall()[0][0]
    return only_left, only_right, rows


@pytest.fixture(scope="module")
def chunked_and_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Landing zone replayed in chunks into one warehouse, and fully refreshed into another."""
    root = tmp_path_factory.mktemp("chunked")
    landing = root / "landing"
    incremental = root / "incremental" / "warehouse.duckdb"
    full = root / "full" / "warehouse.duckdb"
    edges: list[str | None] = [None, *CHUNK_EDGES, None]
    profile_versions: set[tuple[int, str]] = set()
    for number, (arrived_from, arrived_until) in enumerate(zip(edges, edges[1:])):
        _generate(landing, "default", (arrived_from, arrived_until))
        last = number == len(edges) - 2
        if last:
            moved_session = _land_late_event_moving_a_session(landing, incremental)
            (incremental.parent / "moved_session.txt").write_text(moved_session)
            cases = json.loads((incremental.parent / "user_cases.json").read_text())
            cases.update(_land_change_and_deletion_of_typed_users(landing, incremental, cases["redelivered"]))
            (incremental.parent / "user_cases.json").write_text(json.dumps(cases))
        if number == REDELIVERY_CHUNK:
            redelivered = _land_redelivered_sign_up(landing, incremental)
            (incremental.parent / "user_cases.json").write_text(json.dumps({"redelivered": redelivered}))
        # Intermediate runs only build; the last one also runs every data test.
        _build(landing, incremental, *SHORT_OUTCOME_EXCLUDE, dbt_vars=SHORT_HISTORY_VARS, with_tests=last)
        with duckdb.connect(str(incremental), read_only=True) as con:
            profile_versions |= set(con.execute("select user_id, cast(updated_at as varchar) from stg_landing__users").fetchall())
    # What users_snapshot must hold: every profile stg_landing__users showed after some run.
    (incremental.parent / "profile_versions.json").write_text(json.dumps(sorted(profile_versions)))
    _build(landing, full, "--full-refresh", *SHORT_OUTCOME_EXCLUDE, dbt_vars=SHORT_HISTORY_VARS)
    return landing, incremental, full


@pytest.fixture(scope="module")
def faults_default_and_none(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Full builds of the same seed with and without injected faults."""
    root = tmp_path_factory.mktemp("faults")
    built = []
    for faults in ("default", "none"):
        landing = root / faults / "landing"
        warehouse = root / faults / "warehouse.duckdb"
        _generate(landing, faults)
        _build(landing, warehouse, with_tests=False)
        built.append(warehouse)
    return root / "default" / "landing", built[0], built[1]


def test_users_snapshot_keeps_every_profile_version_the_runs_showed(chunked_and_full: tuple[Path, Path, Path]) -> None:
    """One version per (user, updated_at) that stg_landing__users showed after a run, though
    each snapshot run compares only the users with newer change records; the current
    version is the last run's profile; erased users have no version."""
    _, incremental, _ = chunked_and_full
    shown = {tuple(row) for row in json.loads((incremental.parent / "profile_versions.json").read_text())}
    with duckdb.connect(str(incremental), read_only=True) as con:
        erased = {row[0] for row in con.execute("select user_id from stg_landing__user_tombstones").fetchall()}
        versions = con.execute("select user_id, cast(dbt_valid_from as varchar) from users_snapshot").fetchall()
        current = set(con.execute(
            "select user_id, cast(updated_at as varchar) from users_snapshot where dbt_valid_to is null").fetchall())
        latest = set(con.execute("select user_id, cast(updated_at as varchar) from stg_landing__users").fetchall())
    expected = {(user, at) for user, at in shown if user not in erased}
    assert len(versions) == len(set(versions)), "a profile version captured twice"
    assert len({user for user, _ in expected}) < len(expected), "no user changed between runs: the check proves little"
    assert set(versions) == expected
    assert current == latest


@pytest.mark.parametrize("model", sorted(MARTS))
def test_chunked_incremental_equals_full_refresh(chunked_and_full: tuple[Path, Path, Path], model: str) -> None:
    _, incremental, full = chunked_and_full
    where = "true"
    if model in STATUS_HISTORY_MODELS:
        # A full refresh builds every day; incremental runs keep the last 9 (see below).
        with duckdb.connect(str(incremental), read_only=True) as con:
            first_kept = con.execute("select min(activity_date) from dim_daily_user_status").fetchone()[0]
        where = f"activity_date >= date '{first_kept}'"
    only_full, only_incremental, rows = _differences(full, incremental, model, where)
    assert rows > 0, f"{model} is empty: the comparison would prove nothing"
    assert (only_incremental, only_full) == (0, 0), (
        f"{model}: {only_incremental} rows only in the incremental build, {only_full} only in the full refresh"
    )


def test_a_late_event_moves_a_built_session_to_an_earlier_day(chunked_and_full: tuple[Path, Path, Path]) -> None:
    """The late event of the last chunk moved a session built on 03-10 to 03-09 in both builds (the
    comparison above checks every column); the sessions before the 9-day window are gone; and the
    last run read only the touched sessions' events, from a literal day after the window's start."""
    _, incremental, full = chunked_and_full
    moved = (incremental.parent / "moved_session.txt").read_text()
    for warehouse in (incremental, full):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select session_date, started_at from fct_viewing_sessions where session_id = ?", [moved]
            ).fetchall()
            first_day = con.execute("select min(session_date) from fct_viewing_sessions").fetchone()[0]
        assert [(day, at.astimezone(timezone.utc)) for day, at in rows] == [(date(2026, 3, 9), LATE_EVENT_START)]
        assert first_day == date(2026, 3, 6)
    compiled = next((incremental.parent / "target" / "compiled").rglob("fct_viewing_sessions.sql")).read_text()
    read_from = re.search(r"where\s+activity_date >= date '([0-9-]+)'", compiled)
    assert read_from and date.fromisoformat(read_from.group(1)) > date(2026, 3, 5), compiled[:2000]
    assert ") as touched_sessions" in compiled


def test_user_changes_of_typed_users_reach_the_users_side(chunked_and_full: tuple[Path, Path, Path]) -> None:
    """Records of users typed by earlier runs, in both builds (the comparison above checks every
    column): the re-delivered sign-up is a second row of the change log but neither a second change
    nor a second version; the profile change is the new current version and the user's profile;
    the user who asked for deletion is on the suppression list and in no typed record, profile or
    version, though their sign-up was typed by the first run."""
    landing, incremental, full = chunked_and_full
    cases = json.loads((incremental.parent / "user_cases.json").read_text())
    for warehouse in (incremental, full):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            def value(sql: str, case: str) -> object:
                return con.execute(sql, [cases[case]]).fetchone()[0]

            records, sign_ups, moments = con.execute(
                "select count(*), count(*) filter (where change_type = 'signup'), count(distinct updated_at)"
                " from stg_landing__user_changes where user_id = ?", [cases["redelivered"]]).fetchone()
            assert sign_ups == 2
            assert value("select change_count from stg_landing__users where user_id = ?", "redelivered") == records - 1
            assert value("select count(*) from int_user_attribute_history where user_id = ?", "redelivered") == moments
            current = con.execute("select valid_from, plan from int_user_attribute_history"
                                  " where user_id = ? and is_current_version", [cases["changed"]]).fetchall()
            profile = con.execute("select updated_at, plan from stg_landing__users where user_id = ?",
                                  [cases["changed"]]).fetchall()
            assert [(at.astimezone(timezone.utc), plan) for at, plan in current] == \
                [(at.astimezone(timezone.utc), plan) for at, plan in profile] == [(PROFILE_CHANGE_AT, profile[0][1])]
            assert value("select count(*) from int_user_attribute_history where user_id = ?", "changed") >= 2
            assert value("select count(*) from stg_landing__user_tombstones where user_id = ?", "deleted") == 1
            for model in ("stg_landing__user_changes", "stg_landing__users", "int_user_attribute_history", "dim_user"):
                assert value(f"select count(*) from {model} where user_id = ?", "deleted") == 0, model
    with duckdb.connect(str(incremental), read_only=True) as con:
        con.execute(f"set file_search_path = '{landing}'")  # the base view reads the ingest batches
        first_batch = con.execute("select min(ingest_batch_id) from base_landing__users where user_id = ?",
                                  [cases["deleted"]]).fetchone()[0]
        request_batch = con.execute("select request_ingest_batch_id from stg_landing__user_tombstones"
                                    " where user_id = ?", [cases["deleted"]]).fetchone()[0]
        newest = con.execute("select max(ingest_batch_id) from stg_landing__user_changes").fetchone()[0]
    assert first_batch == 1 and request_batch == newest > 1


def test_users_side_last_run_read_only_the_new_batch(chunked_and_full: tuple[Path, Path, Path]) -> None:
    """The last run of the change log, stg_landing__users and int_user_attribute_history took their
    incremental branch with a literal batch watermark: typed the newest batch only, and recomputed
    only the users with records in it (the comparison above proves the rows equal a full refresh)."""
    _, incremental, _ = chunked_and_full
    compiled = incremental.parent / "target" / "compiled"
    with duckdb.connect(str(incremental), read_only=True) as con:
        newest = con.execute("select max(ingest_batch_id) from stg_landing__user_changes").fetchone()[0]
    for model in ("stg_landing__user_changes", "stg_landing__users", "int_user_attribute_history"):
        sql = next(compiled.rglob(f"{model}.sql")).read_text()
        watermark = re.search(r"where\s+ingest_batch_id > ([0-9]+)", sql)
        assert watermark and 0 < int(watermark.group(1)) < newest, (model, sql[:1500])
        if model != "stg_landing__user_changes":
            assert "inner join changed_users" in sql, model


def test_rollup_keeps_days_beyond_the_status_history(chunked_and_full: tuple[Path, Path, Path]) -> None:
    """The rollup keeps every day it computed, also beyond the kept status history, and a
    full refresh recomputes every one of them (the comparison above checks the rows)."""
    _, incremental, full = chunked_and_full
    with duckdb.connect(str(incremental), read_only=True) as con:
        kept = {row[0] for row in con.execute("select activity_date from fct_active_user_fast").fetchall()}
    with duckdb.connect(str(full), read_only=True) as con:
        rebuilt = {row[0] for row in con.execute("select activity_date from fct_active_user_fast").fetchall()}
    assert rebuilt == kept
    with duckdb.connect(str(incremental), read_only=True) as con:
        status_days = con.execute("select count(distinct activity_date) from dim_daily_user_status").fetchone()[0]
    assert len(kept) > status_days == 9


@pytest.mark.parametrize("model", sorted(BUILD_WATERMARK_MODELS))
def test_analysis_watermark_is_the_newest_batch_and_days_were_not_all_rebuilt(
        chunked_and_full: tuple[Path, Path, Path], model: str) -> None:
    """After the last run the newest stamp is the newest batch, and older days kept the stamp of an
    earlier run: the last run rebuilt only some days (so the comparison above tests incrementality)."""
    _, incremental, _ = chunked_and_full
    with duckdb.connect(str(incremental), read_only=True) as con:
        newest = con.execute("select max(last_ingest_batch_id) from fct_daily_activity").fetchone()[0]
        stamps = con.execute(f"select min(last_ingest_batch_id), max(last_ingest_batch_id) from {model}").fetchone()
    assert stamps[1] == newest
    if model != "int_churn_risk_outcomes":  # its days all lie within the outcome window of the late events
        assert stamps[0] < newest, f"{model}: every day was rebuilt by the last run"


def test_status_history_is_pruned_to_the_configured_days(chunked_and_full: tuple[Path, Path, Path]) -> None:
    _, incremental, _ = chunked_and_full
    with duckdb.connect(str(incremental), read_only=True) as con:
        days = con.execute("select count(distinct activity_date) from dim_daily_user_status").fetchall()[0][0]
        first_kept = con.execute("select min(activity_date) from dim_daily_user_status").fetchone()[0]
        analysis_first = {model: con.execute(f"select min(activity_date) from {model}").fetchone()[0]
                          for model in sorted(STATUS_HISTORY_MODELS - {"dim_daily_user_status"})}
    assert days == 9
    # The analysis models follow the status's pruning (outcomes start later: D + N must be observed).
    assert all(first is not None and first >= first_kept for first in analysis_first.values()), analysis_first
    assert analysis_first["int_user_churn_features"] == first_kept


# int_churn_risk_outcomes is empty here: 12 days hold no 14-day outcome window.
@pytest.mark.parametrize("model", sorted(set(MARTS) - {"fct_view_events", "int_churn_risk_outcomes"}))
def test_faults_do_not_change_any_metric(faults_default_and_none: tuple[Path, Path, Path], model: str) -> None:
    _, with_faults, without_faults = faults_default_and_none
    only_faulty, only_clean, rows = _differences(with_faults, without_faults, model)
    assert rows > 0
    assert (only_faulty, only_clean) == (0, 0), f"{model} differs between --faults default and none"


def test_faults_do_not_change_valid_events(faults_default_and_none: tuple[Path, Path, Path]) -> None:
    _, with_faults, without_faults = faults_default_and_none
    with duckdb.connect(str(with_faults), read_only=True) as con:
        con.execute(f"attach '{without_faults}' as clean (read_only)")
        # The file a valid event landed in is the same; only the fault rows were added.
        differing = con.execute(
            """
            select count(*) from (
                select * exclude (file_name) from main.fct_view_events
                except all
                select * exclude (file_name) from clean.main.fct_view_events
            )
            """
        ).fetchall()[0][0]
        rejected = con.execute("select count(*) from main.fct_rejected_view_events").fetchall()[0][0]
        clean_rejected = con.execute("select count(*) from clean.main.fct_rejected_view_events").fetchall()[0][0]
    assert differing == 0
    assert rejected > 0, "--faults default injected nothing the pipeline rejected"
    assert clean_rejected == 0, "--faults none produced rejected records"


def test_every_landed_file_reconciles_with_the_generator_manifest(
    faults_default_and_none: tuple[Path, Path, Path],
) -> None:
    """Per file: lines = clean + duplicate + rejected + erased, each count equal to what was
    injected, except for the lines of users who asked for deletion: those are erased whatever
    the generator made them, so each count may fall short of the injected one by exactly the
    file's erased lines."""
    landing, with_faults, _ = faults_default_and_none
    manifests = list((landing / "_manifests").glob("view_events__*.json"))
    assert len(manifests) == 1
    injected = json.loads(manifests[0].read_text())["view_events"]["files"]
    with duckdb.connect(str(with_faults), read_only=True) as con:
        rows = con.execute(
            """
            select file_name, landed_records, clean_records, duplicate_records,
                rejected_malformed_records, rejected_missing_key_records,
                rejected_end_before_start_records, rejected_over_24h_records,
                rejected_unknown_platform_records, rejected_unknown_event_type_records,
                rejected_future_timestamp_records, rejected_too_late_records,
                rejected_invalid_timestamp_records, erased_records
            from agg_view_event_ingest_reconciliation
            """
        ).fetchall()
    staged = {row[0]: row[1:-1] for row in rows}
    erased = {row[0]: row[-1] for row in rows}
    assert set(staged) == set(injected), "files staged differ from files written"
    assert sum(erased.values()) > 0, "no deletion request erased a line: the erasure path went untested"
    for file_name, counts in injected.items():
        expected = (
            counts["lines"], counts["valid"], counts["duplicate"], counts["malformed"], counts["null_key"],
            counts["end_before_start"], counts["over_24h"], counts["unknown_platform"],
            counts["unknown_event_type"], counts["future_timestamp"], counts["too_late"], 0,
        )
        got = staged[file_name]
        assert got[0] == expected[0], file_name
        shortfall = [want - have for have, want in zip(got[1:], expected[1:])]
        assert min(shortfall) >= 0 and sum(shortfall) == erased[file_name], (file_name, got, expected)
    totals = json.loads(manifests[0].read_text())["view_events"]["totals"]
    assert totals["duplicate"] > 0 and totals["malformed"] > 0, "the fault mix injected nothing to check"


# --- an independent recomputation from the raw landing files ---------------------------

ALLOWED_PLATFORMS = {"web", "mobile", "tv"}
ALLOWED_EVENT_TYPES = {"playback", "preview"}


def _parse_instant(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(timezone.utc)


def _active_days_from_raw(landing: Path) -> dict[int, set[date]]:
    """Active days per user, straight from the landed lines, by the written definition."""
    first_arrival: dict[str, tuple[datetime, str, str, dict]] = {}
    for path in sorted((landing / "view_events").rglob("*.jsonl.gz")):
        relative = str(path.relative_to(landing))
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                line = line.rstrip("\n")
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(record, dict) or not record.get("event_id"):
                    continue
                arrived = _parse_instant(record.get("ingested_at"))
                if arrived is None:
                    continue
                key = (arrived, relative, line)
                event_id = str(record["event_id"]).strip().lower()
                if event_id not in first_arrival or key < first_arrival[event_id][:3]:
                    first_arrival[event_id] = (*key, record)
    active: dict[int, set[date]] = defaultdict(set)
    for arrived, _, _, record in first_arrival.values():
        started = _parse_instant(record.get("start_timestamp"))
        ended = _parse_instant(record.get("end_timestamp"))
        user_id = record.get("user_id")
        if not isinstance(user_id, int) or not isinstance(record.get("media_id"), int):
            continue
        if started is None or ended is None:
            continue
        event_type = str(record.get("event_type", "")).strip().lower()
        platform = str(record.get("platform", "")).strip().lower()
        if event_type not in ALLOWED_EVENT_TYPES or platform not in ALLOWED_PLATFORMS:
            continue
        if ended < started or ended - started > timedelta(hours=24):
            continue
        if started > arrived + timedelta(minutes=5) or arrived > started + timedelta(hours=72):
            continue
        if event_type == "playback" and (ended - started).total_seconds() >= 5:
            active[user_id].add(started.date())
    return active


def _deleted_users_from_raw(landing: Path) -> set[int]:
    """Users with a deletion request among the landed change records (they are erased)."""
    deleted = set()
    for path in sorted((landing / "users").rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("is_deletion_request") is True:
                    deleted.add(record.get("user_id"))
    return deleted


def _expected_rollup(active: dict[int, set[date]]) -> dict[date, dict[str, int]]:
    days = sorted({day for user_days in active.values() for day in user_days})
    first_day, last_day = days[0], days[-1]
    first_active = {user: min(user_days) for user, user_days in active.items()}
    expected: dict[date, dict[str, int]] = {}
    day = first_day
    while day <= last_day:
        counts = defaultdict(int)
        for user, user_days in active.items():
            if first_active[user] > day:
                continue
            today = day in user_days
            yesterday = (day - timedelta(days=1)) in user_days
            counts["dau"] += today
            counts["wau"] += any(day - timedelta(days=k) in user_days for k in range(7))
            counts["mau"] += any(day - timedelta(days=k) in user_days for k in range(30))
            if first_active[user] == day:
                status = "new"
            elif today and yesterday:
                status = "retained"
            elif today:
                status = "resurrected"
            elif yesterday:
                status = "churned"
            else:
                status = "stale"
            counts[f"{status}_users"] += 1
        expected[day] = dict(counts)
        day += timedelta(days=1)
    return expected


def test_rollup_matches_independent_recomputation_from_raw_files(
    faults_default_and_none: tuple[Path, Path, Path],
) -> None:
    landing, with_faults, _ = faults_default_and_none
    deleted = _deleted_users_from_raw(landing)
    assert deleted, "the data set has no deletion request: the erasure path went untested"
    active = {user: days for user, days in _active_days_from_raw(landing).items() if user not in deleted}
    expected = _expected_rollup(active)
    columns = ["dau", "wau", "mau", "new_users", "retained_users", "resurrected_users", "churned_users", "stale_users"]
    with duckdb.connect(str(with_faults), read_only=True) as con:
        rows = con.execute(f"select activity_date, {', '.join(columns)} from fct_active_user_fast").fetchall()
    actual = {row[0]: dict(zip(columns, row[1:])) for row in rows}
    assert set(actual) == set(expected)
    mismatches = {
        day: (actual[day], {c: expected[day].get(c, 0) for c in columns})
        for day in expected
        if actual[day] != {c: expected[day].get(c, 0) for c in columns}
    }
    assert not mismatches, f"first mismatching day: {min(mismatches)} -> {mismatches[min(mismatches)]}"


def test_summary_reports_the_newest_complete_day(faults_default_and_none: tuple[Path, Path, Path]) -> None:
    from engagement.pipeline.summary import render_summary

    _, with_faults, _ = faults_default_and_none
    with duckdb.connect(str(with_faults), read_only=True) as con:
        days = con.execute(
            "select activity_date, dau, wau, mau from fct_active_user_fast order by activity_date desc limit 2"
        ).fetchall()
    (newest, newest_dau, _, _), (complete, dau, wau, mau) = days
    text = render_summary(with_faults)
    assert text.startswith(f"Engagement on {complete} (UTC)")
    assert f"newest day {newest} is still in progress: DAU so far {newest_dau:,}" in text
    for label, value in (("DAU", dau), ("WAU", wau), ("MAU", mau)):
        assert any(line.split()[:2] == [label, f"{value:,}"] for line in text.splitlines()), label
    assert "rejected (malformed)" in text
    with duckdb.connect(str(with_faults), read_only=True) as con:
        top_country, top_dau = con.execute(
            "select segment_value, dau from agg_daily_segment_engagement"
            " where activity_date = ? and segment_type = 'country' order by dau desc, segment_value limit 1",
            [complete],
        ).fetchall()[0]
    country_line = next(line for line in text.splitlines() if line.strip().startswith("country "))
    assert country_line.split()[1:3] == [top_country, f"{top_dau:,}"]
    assert "Retention of weekly first-activity cohorts" in text
