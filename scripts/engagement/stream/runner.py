"""The micro-batch loop: build, retry, record, export, every ``interval`` seconds.

See the package docstring (:mod:`engagement.stream`) for why a failed batch converges.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engagement import settings
from engagement.pipeline.build import ingest_and_build
from engagement.pipeline.dbt import DbtTarget, ParsedProjectDbt, release_warehouse
from engagement.kafka.lag import read_lag
from engagement.pipeline.export import export_dashboard_snapshot
from engagement.stream.consumer_lag import broker_lag_text, freshest_event_to_visible
from engagement.stream.runlog import BatchRecord, RunLog, utcnow

# The real-time marts and everything upstream (sources, staging, fct_view_events, dim_media),
# plus the data tests of the real-time marts only. The upstream models' data tests scan
# whole tables (unique event ids over all history) or re-read the landing zone while files
# keep landing (the reconciliation test would race the generator): they belong to the
# daily `dbt build`, not to a 30-second micro-batch. Indirect selection is therefore
# "empty": only the tests selected here run. Unit tests check logic, not data: `make test`.
DEFAULT_SELECT = ("+tag:realtime", "path:models/marts/realtime,resource_type:test")
DEFAULT_EXCLUDE = ("resource_type:unit_test",)
# What a "core" batch adds: the rollup, growth, segment, retention and engagement marts the
# dashboard's top half reads (engagement.pipeline.export.DASHBOARD_MODELS) and their parents.
# Too heavy for every 30-second batch, so it runs on the first batch, then every
# `core_every_batches` batches or `core_every_s` seconds, whichever comes first.
CORE_SELECT = (
    "+fct_active_user_fast", "+agg_daily_segment_engagement", "+agg_first_activity_cohort_retention_curve",
    "+agg_cohort_retention_summary", "+agg_weekly_lifecycle", "+agg_daily_days_active_histogram",
    "+agg_viewing_local_time_heatmap", "+dim_activity_day",
)


@dataclass
class RunnerConfig:
    """Settings of a runner."""

    target: DbtTarget
    interval_s: float = 30.0
    duration_s: float | None = None
    max_batches: int | None = None
    select: Sequence[str] = DEFAULT_SELECT
    exclude: Sequence[str] = DEFAULT_EXCLUDE
    max_attempts: int = 3
    backoff_s: float = 2.0
    dashboard_dir: Path | None = None
    export: bool = True
    core_every_batches: int = 10
    core_every_s: float = 600.0
    core_select: Sequence[str] = CORE_SELECT
    consumer_lag_dir: Path | None = None  # broker mode: the landing sink's state folder (lag.json)

    def dbt_args(self, core: bool = False) -> list[str]:
        """The dbt command of one micro-batch (``core``: with the dashboard's core marts too)."""
        select = [*self.select, *(self.core_select if core else ())]
        args = ["build", "--select", *select, "--indirect-selection", "empty"]
        if self.exclude:
            args += ["--exclude", *self.exclude]
        return args


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


class StreamRunner:
    """The micro-batch loop. ``dbt_call`` is injectable for tests (default: ParsedProjectDbt)."""

    def __init__(self, cfg: RunnerConfig, dbt_call: Callable | None = None,
                 out: Callable[[str], None] = print) -> None:
        self.cfg = cfg
        self.dbt_call = dbt_call or ParsedProjectDbt(cfg.target)
        self.out = out
        self.stop_event = threading.Event()
        self.records: list[BatchRecord] = []
        self.event_lags: list[float] = []  # broker mode: produce of the newest landed record -> visible
        self.run_log = RunLog(cfg.target.duckdb_path, cfg.target.landing_dir)
        #: (batches run before it, monotonic time) of the last successful core batch; None before the first.
        self._last_core: tuple[int, float] | None = None

    def core_due(self) -> bool:
        """Whether the next batch also rebuilds the core marts (first batch, N batches or M seconds since)."""
        if self._last_core is None:
            return True
        batches, at = self._last_core
        cfg = self.cfg
        return ((cfg.core_every_batches > 0 and len(self.records) - batches >= cfg.core_every_batches)
                or (cfg.core_every_s > 0 and time.monotonic() - at >= cfg.core_every_s))

    def next_batch_id(self) -> int:
        """1 + the highest batch_id recorded so far (batch ids continue across restarts, and a
        batch a killed runner left ``running`` is marked ``killed``, never reused)."""
        return self.run_log.recover()

    # --- one batch ------------------------------------------------------------------------

    def run_batch(self, batch_id: int) -> BatchRecord:
        """Build, retrying on failure; record and export. Returns the record."""
        cfg = self.cfg
        started = utcnow()
        consumer_lag = read_lag(cfg.consumer_lag_dir) if cfg.consumer_lag_dir is not None else None
        attempts, error, begun = 0, None, False
        core = self.core_due()
        while attempts < cfg.max_attempts:
            attempts += 1
            try:
                if not begun:  # the `running` row; fails while another process holds the warehouse
                    self.run_log.begin(batch_id, started)
                    begun = True
                ingest_and_build(cfg.target, cfg.dbt_args(core=core), self.dbt_call)
                error = None
                break
            except Exception as exc:  # noqa: BLE001 (dbt, DuckDB, I/O: all retried, then reported)
                error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                release_warehouse()
                if attempts < cfg.max_attempts:
                    self.out(f"  batch {batch_id} attempt {attempts} failed: {error}; retrying")
                    time.sleep(cfg.backoff_s * 2 ** (attempts - 1))
        rec = BatchRecord(batch_id, started, utcnow(), "success" if error is None else "failed", attempts,
                          error=error)
        self.run_log.record(rec, consumer_lag)
        self.records.append(rec)
        if consumer_lag is not None and rec.status == "success":
            fresh = freshest_event_to_visible(consumer_lag, rec.finished_at)
            if fresh is not None:
                self.event_lags.append(fresh)
        if rec.status == "success" and core:
            self._last_core = (len(self.records) - 1, time.monotonic())  # batches before this one
        if rec.status == "success" and cfg.export:
            self._export(rec, core)
        self.out(self.batch_line(rec) + broker_lag_text(consumer_lag, rec.finished_at)
                 + ("  +core marts" if core else ""))
        return rec

    def _export(self, rec: BatchRecord, core: bool) -> None:
        dashboard_dir = self.cfg.dashboard_dir or settings.stream_dashboard_dir()
        try:
            export_dashboard_snapshot(self.cfg.target.duckdb_path, dashboard_dir,
                                      metadata={"batch_id": rec.batch_id, "lag_seconds": rec.lag_seconds,
                                                "source": "stream_runner", "core_refreshed": core})
        except Exception as exc:  # noqa: BLE001 (a dashboard problem must not stop the pipeline)
            self.out(f"  dashboard snapshot failed: {exc}")

    @staticmethod
    def batch_line(rec: BatchRecord) -> str:
        """The live line printed per batch."""
        lag = "-" if rec.lag_seconds is None else f"{rec.lag_seconds:.1f}s"
        clock = "-" if rec.newest_event_ingested_at is None else f"{rec.newest_event_ingested_at:%Y-%m-%d %H:%M}"
        line = (f"batch {rec.batch_id:>4} {rec.status:<7} {rec.duration_seconds:6.1f}s  "
                f"files {rec.new_files if rec.new_files is not None else '-':>4}  "
                f"events {rec.new_view_events if rec.new_view_events is not None else '-':>7}  "
                f"lag {lag:>7}  data clock {clock}")
        if rec.attempts > 1:
            line += f"  ({rec.attempts} attempts)"
        if rec.error:
            line += f"  error: {rec.error}"
        return line

    # --- the loop --------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop after the current batch."""
        self.stop_event.set()

    def _done(self, t0: float) -> bool:
        cfg = self.cfg
        if cfg.max_batches is not None and len(self.records) >= cfg.max_batches:
            return True
        return cfg.duration_s is not None and time.monotonic() - t0 >= cfg.duration_s

    def loop(self) -> list[BatchRecord]:
        """Run batches every ``interval_s`` until stopped, ``duration_s`` elapsed or ``max_batches`` run."""
        cfg = self.cfg
        t0 = time.monotonic()
        batch_id = self.next_batch_id()
        while not self.stop_event.is_set():
            began = time.monotonic()
            self.run_batch(batch_id)
            batch_id += 1
            if self._done(t0):
                break
            wait = cfg.interval_s - (time.monotonic() - began)
            if cfg.duration_s is not None:
                wait = min(wait, cfg.duration_s - (time.monotonic() - t0))
            if wait > 0 and self.stop_event.wait(wait):
                break
            if self._done(t0):
                break
        self.stop_event.set()
        return self.records

    def summary(self) -> str:
        """p50/p95/max lag and batch duration over this run's batches."""
        recs = self.records
        if not recs:
            return "no batches run"
        ok = [r for r in recs if r.status == "success"]
        lags = [r.lag_seconds for r in ok if r.lag_seconds is not None]
        durations = [r.duration_seconds for r in recs]
        text = f"{len(recs)} batches ({len(ok)} ok, {len(recs) - len(ok)} failed)"
        if lags:
            text += (f"; lag p50 {percentile(lags, 50):.1f}s p95 {percentile(lags, 95):.1f}s "
                     f"max {max(lags):.1f}s")
        text += (f"; batch p50 {statistics.median(durations):.1f}s p95 {percentile(durations, 95):.1f}s "
                 f"max {max(durations):.1f}s")
        if self.event_lags:
            lags = self.event_lags
            text += (f"; event->visible p50 {percentile(lags, 50):.1f}s p95 {percentile(lags, 95):.1f}s "
                     f"max {max(lags):.1f}s")
        return text
