"""Export the marts the dashboard reads to an atomically published Parquet snapshot.

The dashboard must never fight the pipeline for the DuckDB file (DuckDB allows one
writer, and a reader would block or be blocked by it). Instead, whoever owns the
warehouse (the micro-batch runner after each successful batch, or ``make dashboard``
once) calls :func:`export_dashboard_snapshot`, which writes one Parquet file per mart
into a new snapshot folder and publishes it. The folder layout, ``_snapshot.json``,
``CURRENT`` and pruning are the contract in :mod:`engagement.snapshot`, which the
dashboard reads with the same code: a snapshot folder is written under a temporary
name and renamed into place when complete; ``CURRENT`` is replaced (temp file, then
``os.replace``) only after that, so a reader that follows ``CURRENT`` always sees a
whole, consistent snapshot.

Command line (exports once; the warehouse must not be open in another process)::

    engagement-export [--duckdb-path data/warehouse.duckdb] [--dashboard-dir data/dashboard] [--if-stale]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from engagement import settings
from engagement.cli import OneLineParser
from engagement.snapshot import (
    CURRENT_FILE,
    SNAPSHOT_METADATA_FILE,
    SNAPSHOTS_DIR,
    TEMP_PREFIX,
    current_snapshot,
    fsync_dir,
    new_snapshot_name,
    publish,
)

#: The marts the dashboard reads, in the order they are exported. Missing ones are
#: skipped (listed under "missing" in ``_snapshot.json``); ``pipeline_runs`` is the
#: stream runner's freshness log (written by Python, declared as the dbt source
#: ``pipeline.pipeline_runs``; a batch-built warehouse has none), ``pipeline_consumer_lag`` its
#: broker-mode sibling (the landing sink's lag per partition).
DASHBOARD_MODELS: tuple[str, ...] = (
    "fct_active_user_fast",
    "agg_daily_segment_engagement",
    "agg_first_activity_cohort_retention_curve",
    "agg_cohort_retention_summary",
    "agg_weekly_lifecycle",
    "agg_daily_days_active_histogram",
    "agg_viewing_local_time_heatmap",
    "agg_intraday_active_users",
    "agg_playback_starts_per_minute",
    "dim_activity_day",
    "pipeline_runs",
    "pipeline_consumer_lag",
    # The pages after the overview: retention curves by sign-up cohort, churn risk and its
    # evaluation, titles and genres, playback quality versus churn.
    "agg_signup_cohort_retention_curve",
    "fct_user_churn_risk",
    "dim_user",
    "agg_churn_risk_evaluation",
    "agg_churn_risk_calibration",
    "agg_title_performance",
    "agg_genre_performance",
    "agg_weekly_playback_qoe",
    "agg_weekly_qoe_churn",
)

#: Models exported in part, to keep the snapshot small (and free of what the page never
#: shows): the columns to keep, and a row filter. dim_user only carries the segments the
#: churn list is filtered by; fct_user_churn_risk (one row per monthly-active user and day)
#: only its newest two days (the newest may still be in progress; the page shows the other).
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "dim_user": ("user_id", "country", "region", "plan", "age_band", "sign_up_date"),
}
EXPORT_ROWS: dict[str, str] = {
    "fct_user_churn_risk": "activity_date >= (select max(activity_date) - 1 from main.fct_user_churn_risk)",
}

_WAREHOUSE_SCHEMA = "main"


class ExportError(RuntimeError):
    """The snapshot could not be exported (the warehouse is missing or locked)."""


def _select_list(con, model: str) -> str:
    """Columns of ``model``, with 128-bit integers narrowed so Parquet keeps them integral."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [_WAREHOUSE_SCHEMA, model],
    ).fetchall()
    keep = EXPORT_COLUMNS.get(model)
    parts = []
    for name, data_type in columns:
        if keep is not None and name not in keep:
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        if data_type.upper() in ("HUGEINT", "UHUGEINT"):
            parts.append(f"cast({quoted} as bigint) as {quoted}")
        else:
            parts.append(quoted)
    return ", ".join(parts)


def export_dashboard_snapshot(
    duckdb_path: Path,
    dashboard_dir: Path,
    metadata: dict | None = None,
    models: Sequence[str] = DASHBOARD_MODELS,
) -> Path:
    """Export the dashboard's marts from ``duckdb_path`` and publish them as CURRENT.

    Opens the warehouse read-only (call it only when no dbt process holds the file:
    the runner calls ``pipeline.dbt.release_warehouse()`` first). Writes one Parquet
    file per model present (missing ones are listed in ``_snapshot.json`` under
    "missing") into a temp folder, renames it to ``snapshots/<as_of_compact>``, then
    atomically replaces ``CURRENT`` and prunes all but the newest 3 snapshots.
    ``metadata`` (JSON-serialisable) is merged into ``_snapshot.json``.
    Returns the new snapshot folder.
    """
    import duckdb

    duckdb_path = Path(duckdb_path)
    dashboard_dir = Path(dashboard_dir)
    if not duckdb_path.is_file():
        raise ExportError(f"warehouse {duckdb_path} does not exist: build it first (make build)")
    snapshots = dashboard_dir / SNAPSHOTS_DIR
    snapshots.mkdir(parents=True, exist_ok=True)

    as_of = datetime.now(UTC)
    name = new_snapshot_name(as_of, snapshots)
    temp = snapshots / f"{TEMP_PREFIX}{name}.{os.getpid()}"
    temp.mkdir()
    exported: list[str] = []
    missing: list[str] = []
    try:
        try:
            con = duckdb.connect(str(duckdb_path), read_only=True)
        except duckdb.Error as error:
            raise ExportError(f"cannot open {duckdb_path} read-only: {error}") from error
        try:
            present = {
                row[0]
                for row in con.execute(
                    "select table_name from information_schema.tables where table_schema = ?",
                    [_WAREHOUSE_SCHEMA],
                ).fetchall()
            }
            for model in models:
                if model not in present:
                    missing.append(model)
                    continue
                target = temp / f"{model}.parquet"
                target_sql = str(target).replace("'", "''")
                where = f" where {EXPORT_ROWS[model]}" if model in EXPORT_ROWS else ""
                con.execute(
                    f"copy (select {_select_list(con, model)} from {_WAREHOUSE_SCHEMA}.\"{model}\"{where}) "
                    f"to '{target_sql}' (format parquet)"
                )
                exported.append(model)
        finally:
            con.close()
        document = {
            "as_of": as_of.isoformat(timespec="seconds").replace("+00:00", "Z"),
            # Which warehouse the snapshot came from: `--if-stale` re-exports when it is another one.
            "warehouse": str(duckdb_path.resolve()),
            "models": exported,
            "missing": missing,
            **(dict(metadata) if metadata else {}),
        }
        with open(temp / SNAPSHOT_METADATA_FILE, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, default=str)
            handle.write("\n")
        for file in temp.iterdir():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
        final = snapshots / name
        os.rename(temp, final)
        fsync_dir(snapshots)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    publish(dashboard_dir, name)
    return final


def is_stale(duckdb_path: Path, dashboard_dir: Path) -> bool:
    """Whether the warehouse exists and CURRENT does not show it as it is now.

    Stale when nothing was published yet, when CURRENT's snapshot came from another
    warehouse (or does not say which, as snapshots before this check), or when the
    warehouse file is newer than CURRENT.
    """
    duckdb_path, current = Path(duckdb_path), Path(dashboard_dir) / CURRENT_FILE
    if not duckdb_path.is_file():
        return False
    snapshot = current_snapshot(dashboard_dir)
    if snapshot is None or snapshot.metadata.get("warehouse") != str(duckdb_path.resolve()):
        return True
    return duckdb_path.stat().st_mtime > current.stat().st_mtime


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point of ``engagement-export``: export one snapshot; a one-line error on failure."""
    environ = os.environ if environ is None else environ
    parser = OneLineParser(prog="export", description="Export the dashboard's Parquet snapshot.")
    parser.add_argument(
        "--duckdb-path", type=Path, default=settings.DUCKDB_PATH.path(environ),
        help=f"the warehouse to read (default: ${settings.DUCKDB_PATH.name} or {settings.DUCKDB_PATH.default})",
    )
    parser.add_argument(
        "--dashboard-dir", type=Path, default=settings.DASHBOARD_DIR.path(environ),
        help=f"where snapshots go (default: ${settings.DASHBOARD_DIR.name} or {settings.DASHBOARD_DIR.default})",
    )
    parser.add_argument(
        "--if-stale", action="store_true",
        help="do nothing unless the warehouse exists and CURRENT is older or came from another warehouse "
             "(what `make dashboard` does)",
    )
    args = parser.parse_args(argv)
    if args.if_stale and not is_stale(args.duckdb_path, args.dashboard_dir):
        return 0
    try:
        folder = export_dashboard_snapshot(args.duckdb_path, args.dashboard_dir, {"source": "export-cli"})
    except ExportError as error:
        print(f"export: error: {error}", file=sys.stderr)
        return 1
    document = json.loads((folder / SNAPSHOT_METADATA_FILE).read_text(encoding="utf-8"))
    print(
        f"export: snapshot {folder} as of {document['as_of']}: {len(document['models'])} models"
        + (f" (missing: {', '.join(document['missing'])})" if document["missing"] else "")
    )
    return 0
