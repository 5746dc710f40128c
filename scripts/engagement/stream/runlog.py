"""The run log: one ``main.pipeline_runs`` row per micro-batch, and what each batch made visible.

``pipeline_runs`` is written here (Python, not dbt) and read by the dashboard; dbt
declares it as the source ``pipeline.pipeline_runs``
(``models/staging/pipeline/_pipeline__sources.yml``), so lineage shows it. Its columns
are :data:`PIPELINE_RUNS_DDL`; keep that file's column docs in step with them.

A batch's row is written twice: ``running`` when it starts (so a batch killed mid-way
leaves a row, and its id is never reused: the next runner marks it ``killed``), and
its outcome when it ends. What a batch made visible is exact, whatever happened to the
batches before it: the ingest batches staging had not loaded before the build and has
loaded after it, their view-event files (from the file manifest, with each file's
landing time) and their clean records. Those ingest batches are pruned by id, so the
cost does not grow with history. A row that cannot be written (another process holds
the warehouse) is kept and written with the next batch that can. In broker mode the
landing sink's lag per partition, read before the build, is written with the row to a
sibling table (:mod:`.consumer_lag`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from engagement.ingest.layout import INGEST_SUBDIR

if TYPE_CHECKING:
    from engagement.kafka.lag import LagSnapshot

PIPELINE_RUNS_DDL = """
create table if not exists main.pipeline_runs (
    batch_id integer,
    started_at timestamp,
    finished_at timestamp,
    duration_seconds double,
    status varchar,
    attempts integer,
    new_files integer,
    new_view_events bigint,
    newest_file_landed_at timestamp,
    visible_at timestamp,
    lag_seconds double,
    newest_event_ingested_at timestamp,
    oldest_file_landed_at timestamp,
    max_lag_seconds double,
    first_ingest_batch_id integer,
    last_ingest_batch_id integer,
    error varchar
)
"""
#: Columns added since the first release (an older warehouse gets them on first use).
ADDED_COLUMNS = {"first_ingest_batch_id": "integer", "last_ingest_batch_id": "integer", "error": "varchar"}


def utcnow() -> dt.datetime:
    """Naive UTC wall-clock time (the warehouse stores UTC timestamps without zone)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass
class BatchRecord:
    """One row of pipeline_runs."""

    batch_id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    status: str
    attempts: int
    new_files: int | None = None
    new_view_events: int | None = None
    newest_file_landed_at: dt.datetime | None = None
    newest_event_ingested_at: dt.datetime | None = None
    oldest_file_landed_at: dt.datetime | None = None
    first_ingest_batch_id: int | None = None
    last_ingest_batch_id: int | None = None
    error: str | None = field(default=None, repr=False)

    @property
    def duration_seconds(self) -> float:
        """Wall-clock duration including retries."""
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def lag_seconds(self) -> float | None:
        """Visibility minus the newest included file's landing time."""
        if self.newest_file_landed_at is None:
            return None
        return (self.finished_at - self.newest_file_landed_at).total_seconds()

    @property
    def max_lag_seconds(self) -> float | None:
        """Visibility minus the oldest new file's landing time (worst case in the batch)."""
        if self.oldest_file_landed_at is None:
            return None
        return (self.finished_at - self.oldest_file_landed_at).total_seconds()

    def values(self) -> list:
        """The row, in PIPELINE_RUNS_DDL's column order."""
        return [self.batch_id, self.started_at, self.finished_at, self.duration_seconds, self.status,
                self.attempts, self.new_files, self.new_view_events, self.newest_file_landed_at,
                self.finished_at if self.status == "success" else None, self.lag_seconds,
                self.newest_event_ingested_at, self.oldest_file_landed_at, self.max_lag_seconds,
                self.first_ingest_batch_id, self.last_ingest_batch_id, self.error]


class RunLog:
    """Reads and writes the run log of one warehouse (only while dbt does not hold the file)."""

    def __init__(self, duckdb_path: Path, landing_dir: Path) -> None:
        self.duckdb_path = duckdb_path
        self.landing_dir = landing_dir
        self._unwritten: list[tuple[BatchRecord, LagSnapshot | None]] = []
        self._staged_before: int | None = None

    def _connect(self):
        import duckdb
        con = duckdb.connect(str(self.duckdb_path))
        con.execute(PIPELINE_RUNS_DDL)
        present = {row[0] for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'main' "
            "and table_name = 'pipeline_runs'").fetchall()}
        for column, kind in ADDED_COLUMNS.items():
            if column not in present:
                con.execute(f"alter table main.pipeline_runs add column {column} {kind}")
        return con

    @staticmethod
    def _has_table(con, name: str) -> bool:
        return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'main' "
                                "and table_name = ?", [name]).fetchone()[0])

    def _staged_batch(self, con) -> int:
        if not self._has_table(con, "stg_landing__view_events"):
            return 0
        return int(con.execute("select coalesce(max(ingest_batch_id), 0) from main.stg_landing__view_events")
                   .fetchone()[0])

    def recover(self) -> int:
        """Mark batches a killed runner left ``running`` as ``killed``; return the next batch id."""
        with self._connect() as con:
            con.execute("update main.pipeline_runs set status = 'killed', "
                        "error = 'the runner stopped during this batch (killed or crashed)' "
                        "where status = 'running'")
            return int(con.execute("select coalesce(max(batch_id), 0) from main.pipeline_runs").fetchone()[0]) + 1

    def begin(self, batch_id: int, started_at: dt.datetime) -> None:
        """Write the ``running`` row and note what staging held (raises when the warehouse is held)."""
        with self._connect() as con:
            self._flush(con)
            self._staged_before = self._staged_batch(con)
            con.execute("delete from main.pipeline_runs where batch_id = ?", [batch_id])
            con.execute("insert into main.pipeline_runs (batch_id, started_at, status, attempts) "
                        "values (?, ?, 'running', 0)", [batch_id, started_at])

    def record(self, rec: BatchRecord, consumer_lag: LagSnapshot | None = None) -> None:
        """Measure what the batch made visible and write its outcome (kept for later if the warehouse
        is held); in broker mode also the sink's lag snapshot read before the build
        (``pipeline_consumer_lag``)."""
        try:
            with self._connect() as con:
                if rec.status == "success":
                    self._measure(con, rec)
                self._flush(con)
                self._write(con, rec, consumer_lag)
        except Exception as exc:  # noqa: BLE001 (the row must not be lost: written with the next batch)
            if "lock" not in str(exc).lower():
                raise
            self._unwritten.append((rec, consumer_lag))

    def _flush(self, con) -> None:
        while self._unwritten:
            self._write(con, *self._unwritten.pop(0))

    @staticmethod
    def _write(con, rec: BatchRecord, consumer_lag: LagSnapshot | None = None) -> None:
        con.execute("delete from main.pipeline_runs where batch_id = ?", [rec.batch_id])
        con.execute(f"insert into main.pipeline_runs values ({', '.join('?' * 17)})", rec.values())
        if consumer_lag is not None:
            from engagement.stream.consumer_lag import insert_consumer_lag
            insert_consumer_lag(con, rec.batch_id, consumer_lag, rec.finished_at)

    def _measure(self, con, rec: BatchRecord) -> None:
        before = self._staged_before if self._staged_before is not None else 0
        after = self._staged_batch(con)
        rec.first_ingest_batch_id, rec.last_ingest_batch_id = (before + 1, after) if after > before else (None, None)
        rec.new_files, rec.new_view_events = 0, 0
        if after <= before:
            return
        manifest = (self.landing_dir / INGEST_SUBDIR / "batches" / "*" / "files.parquet").as_posix()
        files = con.execute(
            "select count(*), max(modified_at), min(modified_at) from ("
            f" select distinct file_name, file_version, modified_at from read_parquet('{manifest}',"
            "  hive_partitioning = true, hive_types = {'ingest_batch_id': 'INTEGER'})"
            " where file_kind = 'view_events' and file_status <> 'deferred'"
            " and ingest_batch_id > ? and ingest_batch_id <= ?)", [before, after]).fetchone()
        rec.new_files = int(files[0])
        rec.newest_file_landed_at, rec.oldest_file_landed_at = files[1], files[2]
        events = con.execute(
            "select count(*) filter (where record_status = 'clean'), max(ingested_at) filter "
            "(where record_status = 'clean') from main.stg_landing__view_events "
            "where ingest_batch_id > ? and ingest_batch_id <= ?", [before, after]).fetchone()
        rec.new_view_events = int(events[0])
        rec.newest_event_ingested_at = events[1]
