"""Export the marts the dashboard reads to an atomically published Parquet snapshot.

The dashboard must never fight the pipeline for the DuckDB file (DuckDB allows one
writer, and a reader would block or be blocked by it). Instead, whoever owns the
warehouse (the micro-batch runner after each successful batch, or ``make dashboard``
once) calls :func:`export_dashboard_snapshot`, which writes::

    <dashboard_dir>/snapshots/<as_of_compact>/<model>.parquet
    <dashboard_dir>/snapshots/<as_of_compact>/_snapshot.json
    <dashboard_dir>/CURRENT          # one line: the folder name of the newest snapshot

A snapshot folder is written under a temporary name and renamed into place when
complete; ``CURRENT`` is replaced (temp file, then ``os.replace``) only after that,
so a reader that follows ``CURRENT`` always sees a whole, consistent snapshot.
Older snapshots are pruned, keeping the newest few, never the one ``CURRENT`` names.

Command line (exports once; the warehouse must not be open in another process)::

    python scripts/pipeline/export.py [--duckdb-path data/warehouse.duckdb] [--dashboard-dir data/dashboard]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

#: The marts the dashboard reads, in the order they are exported. Missing ones are
#: skipped (listed under "missing" in ``_snapshot.json``); ``pipeline_runs`` is the
#: stream runner's freshness log (a plain table, not a dbt model).
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
    "pipeline_runs",
)

DASHBOARD_DIR_ENV = "ENGAGEMENT_DASHBOARD_DIR"
DEFAULT_DASHBOARD_DIR = Path("data/dashboard")
CURRENT_FILE = "CURRENT"
SNAPSHOTS_DIR = "snapshots"
SNAPSHOT_METADATA_FILE = "_snapshot.json"
KEEP_SNAPSHOTS = 3
_TEMP_PREFIX = ".tmp-"
_WAREHOUSE_SCHEMA = "main"


class ExportError(RuntimeError):
    """The snapshot could not be exported (the warehouse is missing or locked)."""


def dashboard_dir_from_env() -> Path:
    """The dashboard folder: ``$ENGAGEMENT_DASHBOARD_DIR``, default ``data/dashboard``."""
    return Path(os.environ.get(DASHBOARD_DIR_ENV) or DEFAULT_DASHBOARD_DIR)


def current_snapshot_dir(dashboard_dir: Path) -> Path | None:
    """The folder ``CURRENT`` names, or None when nothing has been exported yet."""
    try:
        name = (Path(dashboard_dir) / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    folder = Path(dashboard_dir) / SNAPSHOTS_DIR / name
    return folder if folder.is_dir() else None


def _snapshot_name(as_of: datetime, snapshots: Path) -> str:
    """A folder name that sorts by export time and is not already taken."""
    base = as_of.strftime("%Y%m%dT%H%M%S_%fZ")
    name, suffix = base, 1
    while (snapshots / name).exists():
        name = f"{base}-{suffix}"
        suffix += 1
    return name


def _select_list(con, model: str) -> str:
    """Columns of ``model``, with 128-bit integers narrowed so Parquet keeps them integral."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [_WAREHOUSE_SCHEMA, model],
    ).fetchall()
    parts = []
    for name, data_type in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if data_type.upper() in ("HUGEINT", "UHUGEINT"):
            parts.append(f"cast({quoted} as bigint) as {quoted}")
        else:
            parts.append(quoted)
    return ", ".join(parts)


def _write_text_atomically(path: Path, text: str) -> None:
    temp = path.with_name(f"{_TEMP_PREFIX}{path.name}.{os.getpid()}")
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def prune_snapshots(dashboard_dir: Path, keep: int = KEEP_SNAPSHOTS) -> list[str]:
    """Delete all but the newest ``keep`` snapshots (never CURRENT's) and stale temp folders.

    Returns the names removed.
    """
    snapshots = Path(dashboard_dir) / SNAPSHOTS_DIR
    if not snapshots.is_dir():
        return []
    current = current_snapshot_dir(dashboard_dir)
    current_name = current.name if current is not None else None
    finished = sorted(
        (p.name for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith(".")),
        reverse=True,
    )
    kept = set(finished[:keep])
    if current_name is not None:
        kept.add(current_name)
    removed = []
    for entry in snapshots.iterdir():
        # Temp folders of exports that crashed half-way (ours is already renamed).
        stale_temp = entry.name.startswith(_TEMP_PREFIX)
        if (entry.is_dir() and (stale_temp or entry.name not in kept)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


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
    name = _snapshot_name(as_of, snapshots)
    temp = snapshots / f"{_TEMP_PREFIX}{name}.{os.getpid()}"
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
                con.execute(
                    f"copy (select {_select_list(con, model)} from {_WAREHOUSE_SCHEMA}.\"{model}\") "
                    f"to '{target_sql}' (format parquet)"
                )
                exported.append(model)
        finally:
            con.close()
        document = {
            "as_of": as_of.isoformat(timespec="seconds").replace("+00:00", "Z"),
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
        _fsync_dir(snapshots)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _write_text_atomically(dashboard_dir / CURRENT_FILE, name + "\n")
    _fsync_dir(dashboard_dir)
    prune_snapshots(dashboard_dir)
    return final


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Export one snapshot from the command line; a one-line error on failure."""
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="export", description="Export the dashboard's Parquet snapshot.")
    parser.add_argument(
        "--duckdb-path", type=Path,
        default=Path(environ.get("ENGAGEMENT_DUCKDB_PATH") or "data/warehouse.duckdb"),
        help="the warehouse to read (default: $ENGAGEMENT_DUCKDB_PATH or data/warehouse.duckdb)",
    )
    parser.add_argument(
        "--dashboard-dir", type=Path,
        default=Path(environ.get(DASHBOARD_DIR_ENV) or DEFAULT_DASHBOARD_DIR),
        help="where snapshots go (default: $ENGAGEMENT_DASHBOARD_DIR or data/dashboard)",
    )
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
