"""The Airflow DAGs, offline: ``airflow dags test`` builds the same warehouse as ``make run``'s path.

Runs in ``.venv-airflow`` (``make airflow-install``; CI's ``.ci/run`` installs it before
``make test``). Skipped, with the reason, only when that venv is missing outside CI; with
``CI`` set, a missing venv is a failure.

One tiny generated data set (300 users, 7 days ending today, so the freshness check of a
live run has fresh data) is copied twice and built twice: by ``engagement-run
--skip-generate`` (``make run``'s path: ingest, then ``dbt build``) and by the daily DAG
under ``airflow dags test`` (the ingest task, then every cosmos task in order, in one
process, against a throw-away SQLite metadata database). Each build ingests its own copy
(the ingest step's file manifest lives in the landing zone). Every table of the two
warehouses must be equal row for row.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from engagement.settings import PROJECT_DIR
from support.commands import entry_point

pytestmark = pytest.mark.slow

AIRFLOW_BIN = PROJECT_DIR / ".venv-airflow" / "bin"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
DAYS = 7
GENERATION = ["--users", "300", "--days", str(DAYS), "--seed", "3", "--faults", "default"]


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    """The environment of an offline Airflow with a fresh metadata database and this project's dags/."""
    if not (AIRFLOW_BIN / "airflow").is_file():
        if IN_CI:
            pytest.fail("Airflow is missing in CI: run `make airflow-install` before `make test` (.ci/run does)")
        pytest.skip("Airflow is not installed: `make airflow-install` creates .venv-airflow; CI runs this test")
    home = tmp_path_factory.mktemp("airflow_home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Parsing the DAG imports cosmos and reads a 3 MB manifest: more than the default 30 s on a busy machine.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    # The manifest the DAG renders from (what `make airflow-manifest` writes).
    subprocess.run([str(AIRFLOW_BIN / "dbt"), "parse", "--quiet", "--target-path", "target/airflow"],
                   cwd=PROJECT_DIR, env=env, check=True)
    subprocess.run([str(AIRFLOW_BIN / "airflow"), "db", "migrate"], cwd=PROJECT_DIR, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return env


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """A tiny landing zone whose last day is today (UTC): a live run's freshness check passes."""
    out = tmp_path_factory.mktemp("airflow_data") / "landing"
    start = (datetime.now(UTC).date() - timedelta(days=DAYS - 1)).isoformat()
    subprocess.run([entry_point("engagement-generate"), *GENERATION, "--start-date", start,
                    "--out", str(out), "--quiet"], check=True)
    return out


@pytest.fixture(scope="module")
def main_job_warehouse(landing) -> Path:
    """The warehouse of `make run`'s path (engagement-run) on the landing zone."""
    warehouse = landing.parent / "run" / "warehouse.duckdb"
    own_landing = shutil.copytree(landing, landing.parent / "run" / "landing")
    subprocess.run([entry_point("engagement-run"), "--skip-generate", "--landing-dir", str(own_landing),
                    "--duckdb-path", str(warehouse)], check=True, stdout=subprocess.DEVNULL)
    return warehouse


@pytest.fixture(scope="module")
def dag_run(airflow_env, landing) -> tuple[Path, dict[str, str], str]:
    """(warehouse, task states, output) of `airflow dags test engagement_daily <today>`."""
    warehouse = landing.parent / "airflow" / "warehouse.duckdb"
    own_landing = shutil.copytree(landing, landing.parent / "airflow" / "landing")
    env = {**airflow_env, "ENGAGEMENT_LANDING_DIR": str(own_landing), "ENGAGEMENT_DUCKDB_PATH": str(warehouse)}
    today = datetime.now(UTC).date().isoformat()
    result = subprocess.run([str(AIRFLOW_BIN / "airflow"), "dags", "test", "engagement_daily", today],
                            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=3600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    with sqlite3.connect(Path(airflow_env["AIRFLOW_HOME"]) / "airflow.db") as con:
        states = dict(con.execute("select task_id, state from task_instance where dag_id = 'engagement_daily'"))
    return warehouse, states, output


def _tables(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "and table_type = 'BASE TABLE' order by 1").fetchall()]


def test_every_task_of_the_daily_dag_succeeded(dag_run) -> None:
    warehouse, states, output = dag_run
    assert "state=success" in output
    assert states, "no task instance recorded"
    failed = {task: state for task, state in states.items() if state != "success"}
    assert not failed, failed
    # The ingest step ran first and wrote one ingest batch, which the build read.
    assert states.get("ingest") == "success"
    assert len(list((warehouse.parent / "landing" / "_ingest" / "batches").glob("ingest_batch_id=*/_batch.json"))) == 1
    # The freshness SLA check ran (a live run), the build is split by layer, the cross-model tests ran.
    assert "source_freshness" in states and "dbt_build.cross_model_tests" not in states
    assert "cross_model_tests" in states
    layers = {".".join(task.split(".")[1:3]) for task in states if task.startswith("dbt_build.models.")}
    assert {"models.staging", "models.marts", "models.intermediate", "models.semantic"} <= layers
    assert any(task.startswith("dbt_build.seeds.") for task in states)
    assert any(task.startswith("dbt_build.snapshots.") for task in states)


def test_every_data_test_of_the_project_passed_in_the_dag(dag_run) -> None:
    """Each model's tests ran in its task, the cross-model ones in cross_model_tests: none is lost."""
    _, _, output = dag_run
    manifest = json.loads((PROJECT_DIR / "target" / "airflow" / "manifest.json").read_text())
    data_tests = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"}
    passed = set(re.findall(r"\d+ of \d+ PASS (\S+) ", output))
    assert len(data_tests) > 400
    assert data_tests <= passed, sorted(data_tests - passed)[:10]


def _comparable_columns(con, table: str) -> str:
    """The table's columns, floating-point ones rounded to 6 decimals.

    DuckDB aggregates in parallel, so an ``avg`` over doubles can differ in its last bits
    between two builds of the same data (the order of the partial sums differs); every
    other column must be exactly equal.
    """
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'main' and table_name = ? "
        "order by ordinal_position", [table]).fetchall()
    return ", ".join(f'round("{name}", 6) as "{name}"' if data_type in ("DOUBLE", "FLOAT") else f'"{name}"'
                     for name, data_type in columns)


def test_the_dag_builds_the_same_warehouse_as_the_main_job(dag_run, main_job_warehouse) -> None:
    warehouse, _, _ = dag_run
    tables = _tables(main_job_warehouse)
    assert "fct_active_user_fast" in tables and "agg_daily_segment_engagement" in tables
    assert _tables(warehouse) == tables
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{main_job_warehouse}' as main_job (read_only)")
        for table in tables:
            rows = con.execute(f"select count(*) from main.{table}").fetchone()[0]
            columns = _comparable_columns(con, table)
            dag_rows = f"select {columns} from main.{table}"
            job_rows = f"select {columns} from main_job.main.{table}"
            only_dag = con.execute(f"select count(*) from ({dag_rows} except all {job_rows})").fetchone()[0]
            only_job = con.execute(f"select count(*) from ({job_rows} except all {dag_rows})").fetchone()[0]
            assert (only_dag, only_job) == (0, 0), f"{table}: {only_dag} rows only in the DAG's, {only_job} only in the job's ({rows} rows)"
    with duckdb.connect(str(main_job_warehouse), read_only=True) as con:
        assert con.execute("select sum(dau) from fct_active_user_fast").fetchone()[0] > 0


def test_the_stream_dag_runs_the_micro_batch_runner(airflow_env) -> None:
    result = subprocess.run(
        [str(AIRFLOW_BIN / "airflow"), "tasks", "render", "engagement_stream", "micro_batches", "2026-01-02"],
        cwd=PROJECT_DIR, env=airflow_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert f"{AIRFLOW_BIN / 'engagement-stream'} --duration 3300 --interval 30" in result.stdout
