"""The run log: one ``main.pipeline_runs`` row per micro-batch, and what each batch made visible.

``pipeline_runs`` is written here (Python, not dbt) and read by the dashboard; dbt
declares it as the source ``pipeline.pipeline_runs``
(``models/staging/pipeline/_pipeline__sources.yml``), so lineage shows it. Its columns
are :data:`PIPELINE_RUNS_DDL`; keep that file's column docs in step with them.

What a batch made visible is measured from the warehouse after the build: staged files
(``stg_landing__view_events``) that earlier batches had not seen, their clean records,
and their landing times (file mtimes), from which the lag follows. Only the newest
ingest days are scanned, so the cost does not grow with history. In broker mode the
landing sink's lag per partition goes to a sibling table (:mod:`.consumer_lag`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

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
    max_lag_seconds double
)
"""


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


def _ingest_date(file_name: str) -> dt.date:
    """ingest_date of a landing path ``view_events/ingest_date=YYYY-MM-DD/...``."""
    try:
        return dt.date.fromisoformat(file_name.split("ingest_date=", 1)[1][:10])
    except (IndexError, ValueError):
        return dt.date.max


def _to_datetime(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).replace(tzinfo=None)


class RunLog:
    """Reads and appends the run log of one warehouse (only while dbt does not hold the file)."""

    def __init__(self, duckdb_path: Path, landing_dir: Path) -> None:
        self.duckdb_path = duckdb_path
        self.landing_dir = landing_dir
        self.loaded_files: set[str] | None = None
        self._since: dt.date | None = None

    def _connect(self):
        import duckdb
        return duckdb.connect(str(self.duckdb_path))

    @staticmethod
    def _has_table(con, name: str) -> bool:
        return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'main' "
                                "and table_name = ?", [name]).fetchone()[0])

    def _staged_files(self, con, since: dt.date | None) -> dict[str, int]:
        """file_name -> clean records, for staged files with ingest_date >= since."""
        if not self._has_table(con, "stg_landing__view_events"):
            return {}
        where = "" if since is None else f"where ingest_date >= date '{since.isoformat()}'"
        rows = con.execute(f"select file_name, count(*) filter (where record_status = 'clean') "
                           f"from main.stg_landing__view_events {where} group by file_name").fetchall()
        return {name: int(n) for name, n in rows}

    def _recent_since(self, con) -> dt.date | None:
        if not self._has_table(con, "stg_landing__view_events"):
            return None
        newest = con.execute("select max(ingest_date) from main.stg_landing__view_events").fetchone()[0]
        return None if newest is None else newest - dt.timedelta(days=1)

    def next_batch_id(self) -> int:
        """1 + the highest batch_id recorded so far (batch ids continue across restarts)."""
        with self._connect() as con:
            con.execute(PIPELINE_RUNS_DDL)
            return int(con.execute("select coalesce(max(batch_id), 0) from main.pipeline_runs").fetchone()[0]) + 1

    def start(self) -> None:
        """Note the files staged before this run's first batch (they are not "new"); call it before that build."""
        with self._connect() as con:
            self._since = self._recent_since(con)
            self.loaded_files = set(self._staged_files(con, self._since))

    def record(self, rec: BatchRecord, consumer_lag=None) -> None:
        """Work out what the batch made visible, then append its pipeline_runs row (and, in
        broker mode, the sink's lag snapshot read before the build: ``pipeline_consumer_lag``)."""
        if self.loaded_files is None:
            raise RuntimeError("RunLog.start() must run before the first batch's build")
        with self._connect() as con:
            if consumer_lag is not None:
                from engagement.stream.consumer_lag import insert_consumer_lag
                insert_consumer_lag(con, rec.batch_id, consumer_lag, rec.finished_at)
            if rec.status == "success":
                self._measure(con, rec)
            con.execute(PIPELINE_RUNS_DDL)
            con.execute(
                "insert into main.pipeline_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [rec.batch_id, rec.started_at, rec.finished_at, rec.duration_seconds, rec.status, rec.attempts,
                 rec.new_files, rec.new_view_events, rec.newest_file_landed_at, rec.finished_at, rec.lag_seconds,
                 rec.newest_event_ingested_at, rec.oldest_file_landed_at, rec.max_lag_seconds])

    def _measure(self, con, rec: BatchRecord) -> None:
        staged = self._staged_files(con, self._since)
        new = {name: n for name, n in staged.items() if name not in self.loaded_files}
        mtimes = []
        for name in new:
            try:
                mtimes.append((self.landing_dir / name).stat().st_mtime)
            except OSError:
                pass
        rec.new_files = len(new)
        rec.new_view_events = sum(new.values())
        if mtimes:
            rec.newest_file_landed_at = _to_datetime(max(mtimes))
            rec.oldest_file_landed_at = _to_datetime(min(mtimes))
        if self._has_table(con, "fct_view_events"):
            since = self._since or dt.date(1970, 1, 1)
            rec.newest_event_ingested_at = con.execute(
                "select max(ingested_at) from main.fct_view_events where ingest_date >= ?", [since]
            ).fetchone()[0]
        self.loaded_files.update(new)
        recent = self._recent_since(con)
        if recent is not None and (self._since is None or recent > self._since):
            self._since = recent
            self.loaded_files = {f for f in self.loaded_files if _ingest_date(f) >= recent}
