"""The dashboard snapshot exporter: contents, atomic publication, pruning, read-only access."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from engagement.pipeline import export
from engagement.pipeline.export import DASHBOARD_MODELS, ExportError, export_dashboard_snapshot
from engagement.snapshot import current_snapshot_dir, prune_snapshots


def _warehouse(path: Path, models: tuple[str, ...] = ("fct_active_user_fast", "agg_weekly_lifecycle")) -> Path:
    con = duckdb.connect(str(path))
    for index, model in enumerate(models):
        con.execute(
            f"create table {model} as select range as id, range * {index + 1} as value, "
            "cast(range as hugeint) as big from range(100)"
        )
    con.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_writes_present_models_lists_missing_and_publishes_current(tmp_path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb")
    folder = export_dashboard_snapshot(warehouse, tmp_path / "dash", {"batch_id": 7})

    assert current_snapshot_dir(tmp_path / "dash") == folder
    assert (tmp_path / "dash" / "CURRENT").read_text().strip() == folder.name
    assert folder.parent == tmp_path / "dash" / "snapshots"
    document = json.loads((folder / "_snapshot.json").read_text())
    assert document["models"] == ["fct_active_user_fast", "agg_weekly_lifecycle"]
    assert document["missing"] == [m for m in DASHBOARD_MODELS if m not in document["models"]]
    assert "pipeline_runs" in document["missing"]
    assert document["batch_id"] == 7
    assert document["as_of"].endswith("Z") and document["as_of"][:4].isdigit()
    con = duckdb.connect()
    rows = con.execute(
        f"select count(*), sum(value), typeof(any_value(big)) from read_parquet('{folder}/agg_weekly_lifecycle.parquet')"
    ).fetchall()
    assert rows == [(100, 9900, "BIGINT")], "128-bit integers are narrowed to BIGINT"


def test_pipeline_runs_is_exported_when_present(tmp_path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb", ("fct_active_user_fast", "pipeline_runs"))
    folder = export_dashboard_snapshot(warehouse, tmp_path / "dash")
    assert (folder / "pipeline_runs.parquet").is_file()
    assert "pipeline_runs" in json.loads((folder / "_snapshot.json").read_text())["models"]


def test_export_opens_the_warehouse_read_only(tmp_path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb")
    before = _digest(warehouse)
    reader = duckdb.connect(str(warehouse), read_only=True)  # another reader is fine
    try:
        export_dashboard_snapshot(warehouse, tmp_path / "dash")
    finally:
        reader.close()
    assert _digest(warehouse) == before, "the warehouse file is not modified"
    assert not list(tmp_path.glob("w.duckdb.wal"))


def test_a_held_warehouse_is_a_clear_error_and_publishes_nothing(tmp_path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb")
    writer = duckdb.connect(str(warehouse))  # like a dbt process that has not released it
    try:
        with pytest.raises(ExportError, match="read-only"):
            export_dashboard_snapshot(warehouse, tmp_path / "dash")
    finally:
        writer.close()
    assert current_snapshot_dir(tmp_path / "dash") is None
    assert list((tmp_path / "dash" / "snapshots").iterdir()) == []


def test_missing_warehouse_is_an_export_error(tmp_path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_dashboard_snapshot(tmp_path / "none.duckdb", tmp_path / "dash")


def test_failure_half_way_keeps_current_and_leaves_no_temp_folder(tmp_path, monkeypatch) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb")
    dash = tmp_path / "dash"
    first = export_dashboard_snapshot(warehouse, dash)
    real_select = export._select_list

    def failing(con, model):
        if model == "agg_weekly_lifecycle":  # the second model: the first is already written
            raise duckdb.IOException("disk full")
        return real_select(con, model)

    monkeypatch.setattr(export, "_select_list", failing)
    with pytest.raises(duckdb.IOException):
        export_dashboard_snapshot(warehouse, dash)
    assert current_snapshot_dir(dash) == first
    assert [p.name for p in (dash / "snapshots").iterdir()] == [first.name]


def test_current_never_names_a_half_written_snapshot(tmp_path) -> None:
    """A reader polling CURRENT while exports run always finds a complete snapshot."""
    warehouse = _warehouse(tmp_path / "w.duckdb")
    dash = tmp_path / "dash"
    export_dashboard_snapshot(warehouse, dash)
    stop = threading.Event()
    problems: list[str] = []
    checks = [0]

    def reader() -> None:
        con = duckdb.connect()
        while not stop.is_set():
            name = (dash / "CURRENT").read_text().strip()
            folder = dash / "snapshots" / name
            try:
                document = json.loads((folder / "_snapshot.json").read_text())
                for model in document["models"]:
                    con.execute(f"select count(*) from read_parquet('{folder}/{model}.parquet')").fetchall()
                checks[0] += 1
            except FileNotFoundError:
                # pruned between reading CURRENT and opening: only ever an older snapshot
                current = (dash / "CURRENT").read_text().strip()
                if current == name:
                    problems.append(f"{name} named by CURRENT but incomplete")
            except Exception as error:  # noqa: BLE001 - any other failure is a torn snapshot
                problems.append(f"{name}: {error}")
        con.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(10):
            export_dashboard_snapshot(warehouse, dash)
    finally:
        stop.set()
        thread.join()
    assert not problems
    assert checks[0] > 0


def test_prune_keeps_the_newest_three_and_never_current(tmp_path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb")
    dash = tmp_path / "dash"
    folders = [export_dashboard_snapshot(warehouse, dash) for _ in range(5)]
    remaining = sorted(p.name for p in (dash / "snapshots").iterdir())
    assert remaining == sorted(f.name for f in folders[-3:])
    assert current_snapshot_dir(dash) == folders[-1]

    # CURRENT names a snapshot older than the newest three (newer ones appeared that
    # were never published, say): pruning spares it, and stale temp folders go.
    (dash / "CURRENT").write_text(folders[2].name + "\n")
    newer = [dash / "snapshots" / f"29991231T00000{i}_000000Z" for i in range(3)]
    for folder in newer:
        folder.mkdir()
    (dash / "snapshots" / ".tmp-crashed.123").mkdir()  # left by an export that died
    removed = prune_snapshots(dash)
    remaining = sorted(p.name for p in (dash / "snapshots").iterdir())
    assert remaining == sorted([folders[2].name, *(f.name for f in newer)])
    assert set(removed) == {folders[3].name, folders[4].name, ".tmp-crashed.123"}


def test_cli_reports_one_line(tmp_path, capsys) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb")
    assert export.main(["--duckdb-path", str(warehouse), "--dashboard-dir", str(tmp_path / "dash")]) == 0
    assert "2 models" in capsys.readouterr().out
    assert export.main(["--duckdb-path", str(tmp_path / "none.duckdb"),
                        "--dashboard-dir", str(tmp_path / "dash")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("export: error:") and len(err.strip().splitlines()) == 1


def test_if_stale_exports_only_a_warehouse_newer_than_current(tmp_path, capsys) -> None:
    """`make dashboard`'s check: no warehouse, or one older than CURRENT, exports nothing."""
    dash = tmp_path / "dash"
    args = ["--duckdb-path", str(tmp_path / "w.duckdb"), "--dashboard-dir", str(dash), "--if-stale"]
    assert export.main(args) == 0 and not dash.exists(), "no warehouse: nothing to do, no error"
    warehouse = _warehouse(tmp_path / "w.duckdb")
    assert export.is_stale(warehouse, dash)
    assert export.main(args) == 0 and "2 models" in capsys.readouterr().out
    first = current_snapshot_dir(dash)
    assert not export.is_stale(warehouse, dash)
    assert export.main(args) == 0 and capsys.readouterr().out == ""
    assert current_snapshot_dir(dash) == first
    later = (dash / "CURRENT").stat().st_mtime + 5
    os.utime(warehouse, (later, later))
    assert export.main(args) == 0 and current_snapshot_dir(dash) != first


def test_if_stale_re_exports_a_snapshot_of_another_warehouse(tmp_path, capsys) -> None:
    """A snapshot of the stream's warehouse (or an older one without provenance) is stale for the batch one."""
    dash = tmp_path / "dash"
    batch = _warehouse(tmp_path / "batch.duckdb")
    stream = _warehouse(tmp_path / "stream.duckdb", ("fct_active_user_fast",))
    export_dashboard_snapshot(stream, dash, {"source": "stream_runner"})
    assert export.is_stale(stream, dash) is False
    assert export.is_stale(batch, dash), "CURRENT came from another warehouse"
    args = ["--duckdb-path", str(batch), "--dashboard-dir", str(dash), "--if-stale"]
    assert export.main(args) == 0 and "2 models" in capsys.readouterr().out
    document = json.loads((current_snapshot_dir(dash) / "_snapshot.json").read_text())
    assert document["warehouse"] == str(batch.resolve())
    del document["warehouse"]
    (current_snapshot_dir(dash) / "_snapshot.json").write_text(json.dumps(document))
    assert export.is_stale(batch, dash), "a snapshot that does not say where it came from"


def test_partial_models_keep_only_their_columns_and_rows(tmp_path) -> None:
    """dim_user keeps only the segments the churn list is filtered by; churn risk its newest two days."""
    from support import sample_data

    warehouse = sample_data.build_sample_warehouse(tmp_path / "w.duckdb", realtime=False)
    folder = export_dashboard_snapshot(warehouse, tmp_path / "dash")
    con = duckdb.connect()
    columns = [row[0] for row in con.execute(f"describe select * from read_parquet('{folder}/dim_user.parquet')")
               .fetchall()]
    assert sorted(columns) == sorted(export.EXPORT_COLUMNS["dim_user"])
    days = con.execute(f"select distinct activity_date from read_parquet('{folder}/fct_user_churn_risk.parquet') "
                       "order by 1").fetchall()
    newest = sample_data.AS_OF_DAY + timedelta(days=1)
    assert [day for (day,) in days] == [sample_data.AS_OF_DAY, newest]
    document = json.loads((folder / "_snapshot.json").read_text())
    assert set(document["missing"]) == {"agg_intraday_active_users", "agg_playback_starts_per_minute",
                                        "pipeline_runs", "pipeline_consumer_lag"}
