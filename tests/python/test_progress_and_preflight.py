"""The newcomer's view of a build: compact dbt progress, and pre-flight checks that name the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from engagement.pipeline import preflight
from engagement.pipeline.progress import BuildProgress, layer_of


def _event(name: str, **data) -> SimpleNamespace:
    return SimpleNamespace(info=SimpleNamespace(name=name), data=SimpleNamespace(**data))


def _finished(resource_type: str, path: str, name: str, status: str, message: str = "") -> SimpleNamespace:
    node = SimpleNamespace(resource_type=resource_type, node_path=path, node_name=name, node_status=status)
    return _event("NodeFinished", node_info=node, run_result=SimpleNamespace(status=status, message=message))


def test_layers_are_the_models_top_folder_or_the_resource_type() -> None:
    assert layer_of("model", "staging/landing/stg_landing__view_events.sql") == "staging"
    assert layer_of("model", "marts/core/fct_view_events.sql") == "marts"
    assert layer_of("seed", "platforms.csv") == "seeds"
    assert layer_of("test", "unique_dim_user_user_id.sql") == "data tests"
    assert layer_of("unit_test", "x") == "unit tests"


def test_progress_prints_a_line_per_tenth_and_a_summary_per_layer() -> None:
    lines: list[str] = []
    progress = BuildProgress(steps=2, out=lines.append)
    progress(_event("LogStartLine", total=4, index=1, description="x"))
    progress(_finished("seed", "platforms.csv", "platforms", "success"))
    assert lines == []
    progress(_finished("model", "staging/landing/stg_a.sql", "stg_a", "success"))
    assert len(lines) == 1 and "50%" in lines[0] and "2/4 nodes" in lines[0] and "stg_a" in lines[0]
    progress(_finished("test", "not_null_a.sql", "not_null_a", "pass"))
    progress(_finished("test", "unique_a.sql", "unique_a", "fail", "Got 3 results"))
    progress(_finished("exposure", "dashboard", "dashboard", "no-op"))
    assert len(lines) == 2 and "100%" in lines[1]
    summary = progress.summary().splitlines()
    assert summary == [
        "  seeds       1 ok",
        "  staging     1 ok",
        "  data tests  1 ok, 1 fail",
        "  FAIL unique_a: Got 3 results",
    ]


def test_no_progress_no_summary() -> None:
    assert BuildProgress(out=lambda line: None).summary() == ""


def test_an_empty_landing_zone_names_make_generate(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere"
    assert preflight.main(["--landing", "--landing-dir", str(missing), "--duckdb-path", str(tmp_path / "w.duckdb")]) == 2
    assert "run `make generate`" in capsys.readouterr().err
    (tmp_path / "landing" / "view_events").mkdir(parents=True)
    assert preflight.main(["--landing", "--landing-dir", str(tmp_path / "landing"),
                           "--duckdb-path", str(tmp_path / "w.duckdb")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no landing files" in error and "make generate" in error
    partition = tmp_path / "landing" / "view_events" / "ingest_date=2026-03-01" / "ingest_hour=00"
    partition.mkdir(parents=True)
    (partition / "part-0.jsonl.gz").write_bytes(b"")
    assert preflight.main(["--landing", "--landing-dir", str(tmp_path / "landing"),
                           "--duckdb-path", str(tmp_path / "w.duckdb")]) == 0


def test_a_missing_warehouse_names_make_run(tmp_path: Path, capsys) -> None:
    assert preflight.main(["--warehouse", "--duckdb-path", str(tmp_path / "w.duckdb")]) == 2
    assert "no warehouse at" in capsys.readouterr().err
    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    assert preflight.main(["--warehouse", "--duckdb-path", str(tmp_path / "w.duckdb")]) == 0


def test_a_warehouse_another_process_holds_is_one_line(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(warehouse)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(preflight.PreflightError, match=rf"in use by another process \(pid {holder.pid}\): stop it"):
            preflight.check_warehouse(warehouse, must_exist=True)
    finally:
        holder.kill()
        holder.wait()
    preflight.check_warehouse(warehouse, must_exist=True)
