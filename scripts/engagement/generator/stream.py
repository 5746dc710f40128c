"""Stream mode: land the generator's arrival-window files on a simulated clock.

    engagement-stream-events --users N --days D --start-date YYYY-MM-DD --seed S \\
        --faults none|default --out DIR [--speed 60] [--flush-minutes 5] \\
        [--start-at TS] [--until TS] [--duration SECONDS]

The simulated clock starts at ``--start-at`` (default: ``--start-date`` 00:00) and runs
``--speed`` times faster than the wall clock (60: one simulated hour per real minute).
Each time it passes the end of a flush slot, that slot's files (view events and user
records, one file per shard) are written atomically, exactly as a batch run would
write them.

Efficiency: each shard's population and activity chain are built once; every event
day is generated once (``behaviour.generate_day`` + ``faults.inject_faults``, the
batch code) when the clock first needs it, and its rows are kept arrival-sorted in
memory until they have been emitted (a day's records arrive within 7 days, so at
most ~7 days are cached, mostly the current one). Emitting a slot is a binary
search plus the batch writer's rendering of that slot's rows: nothing is
regenerated per tick.

Identity: a stream run that covers ``[start_at, T)`` writes byte-identical files to
``engagement-generate`` with the same arguments, ``--arrived-from start_at
--arrived-until T`` (same ``--flush-minutes``), because it renders the same rows of
each (slot, shard) with the same code. The manifest is one per run, written when the
stream stops, and equals that batch run's manifest.

Outlets: where a slot's records go is the stream's :class:`Outlet`. The default,
:class:`FileOutlet`, writes the landing files above; ``--kafka-bootstrap-servers``
switches to :class:`engagement.generator.publish.KafkaOutlet`, which publishes the same
lines to Kafka topics (the landing sink, ``engagement-sink``, writes them to the landing
zone) and keeps its manifest under ``_manifests/published/``.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from typing import Protocol

import numpy as np

from .behaviour import batch_len, concat_batches, generate_day, make_context, simulate_activity, take_rows
from .catalog import build_catalog, catalog_jsonl, catalog_table
from engagement.cli import OneLineParser, add_generation_options

from .cli import parse_date, parse_timestamp_ms, writable_out
from .faults import inject_faults
from .geo import load_geo, utc_offsets_minutes
from .landing import (atomic_write, media_path, ms_to_datetime, parquet_bytes, user_path, window_label,
                      write_json, write_text_gz)
from .people import DAY_MS, build_name_pools, build_population
from .runner import (ARRIVAL_HORIZON_DAYS, EventWriter, RunConfig, Shared, ShardResult, _render_user_files,
                     _runs, _user_order, arrival_order, build_manifest, truth_table, tune_malloc,
                     user_change_batch)

DEFAULT_FLUSH_MINUTES = 5
DEFAULT_SPEED = 60.0
PREFETCH_SIM_MS = 3_600_000  # generate the next day once the clock is within 1 simulated hour of it


class Outlet(Protocol):
    """Where the stream sends each slot's records (files by default, or a broker)."""

    manifest_dir: str

    def event_writer(self, cfg: RunConfig, shared: Shared, shard: int) -> EventWriter:
        """The view-event writer of one shard."""

    def render_users(self, cfg: RunConfig, shared: Shared, pop, b: dict[str, np.ndarray],
                     files: list[tuple[str, int, int]]) -> None:
        """Write (or send) the user-change records ``b``, one slot per entry of ``files``."""

    def annotate(self, manifest: dict) -> dict:
        """The run's manifest, with anything the outlet adds."""

    def close(self) -> None:
        """Deliver anything still pending."""


class FileOutlet:
    """The default outlet: the batch writer's landing files."""

    manifest_dir = "_manifests"

    def event_writer(self, cfg: RunConfig, shared: Shared, shard: int) -> EventWriter:
        """The batch runner's writer."""
        return EventWriter(cfg, shared, shard)

    render_users = staticmethod(_render_user_files)

    def annotate(self, manifest: dict) -> dict:
        """The manifest unchanged (it equals the batch run's)."""
        return manifest

    def close(self) -> None:
        """Nothing pending: each writer waits for its own files."""


class ShardStream:
    """One shard's state: its population, the cached arrival-sorted rows not yet emitted."""

    def __init__(self, cfg: RunConfig, shared: Shared, shard: int, start_at_ms: int,
                 outlet: Outlet | None = None) -> None:
        self.cfg, self.shared, self.shard = cfg, shared, shard
        self.outlet = outlet or FileOutlet()
        lo_id = shard * cfg.shard_size + 1
        hi_id = min((shard + 1) * cfg.shard_size, cfg.users)
        self.pop = build_population(cfg.seed, shard, lo_id, hi_id, cfg.users, cfg.days, cfg.start_ms,
                                    shared.geo, shared.pools)
        self.act = simulate_activity(cfg.seed, shard, self.pop, cfg.days, cfg.start_date)
        self.ctx = make_context(cfg.seed, shard, cfg.days, cfg.start_date, shared.geo, shared.catalog,
                                shared.offsets)
        self.writer = self.outlet.event_writer(cfg, shared, shard)
        users = user_change_batch(cfg, shard, self.pop)
        self.users = take_rows(users, _user_order(users)) if batch_len(users) else users
        self.user_files: dict[str, int] = {}
        self.cursor = start_at_ms          # everything arriving before this has been emitted
        self.pending: dict[str, np.ndarray] | None = None  # rows arriving >= cursor, arrival-sorted
        # Days before this one cannot reach the stream (all their records arrived earlier).
        first = (start_at_ms - cfg.start_ms) // DAY_MS - ARRIVAL_HORIZON_DAYS + 1
        self.next_day = int(max(0, first))
        self.cached_days: list[int] = []

    def ensure_days(self, until_ms: int) -> None:
        """Generate every day whose records can arrive before ``until_ms`` (each day once)."""
        cfg = self.cfg
        while self.next_day < cfg.days and cfg.start_ms + self.next_day * DAY_MS < until_ms:
            day = self.next_day
            batch = generate_day(self.ctx, self.pop, self.act, day)
            if cfg.faults == "default":
                batch = inject_faults(batch, cfg.seed, self.shard, day)
            horizon = cfg.start_ms + (day + ARRIVAL_HORIZON_DAYS) * DAY_MS
            keep = (batch["ingested"] >= self.cursor) & (batch["ingested"] < horizon)
            batch = take_rows(batch, np.flatnonzero(keep))
            # Same row order as the batch runner's pending buffer (older days first), then
            # one arrival sort; ties never matter in practice but stay identical anyway.
            merged = batch if self.pending is None else concat_batches([self.pending, batch])
            self.pending = take_rows(merged, arrival_order(merged)) if batch_len(merged) else None
            self.cached_days = [d for d in self.cached_days
                                if cfg.start_ms + (d + ARRIVAL_HORIZON_DAYS) * DAY_MS > self.cursor] + [day]
            self.next_day += 1

    def emit(self, until_ms: int) -> int:
        """Write the files of every slot in ``[cursor, until_ms)``; returns event rows written."""
        cfg = self.cfg
        self.ensure_days(until_ms)
        written = 0
        if batch_len(self.pending):
            cut = int(np.searchsorted(self.pending["ingested"], until_ms, side="left"))
            if cut:
                part = {k: v[:cut] for k, v in self.pending.items()}
                self.writer.flush(part)
                written = cut
                rest = {k: v[cut:] for k, v in self.pending.items()}
                self.pending = rest if batch_len(rest) else None
        if batch_len(self.users):
            ing = self.users["ingested"]
            lo = int(np.searchsorted(ing, self.cursor, side="left"))
            hi = int(np.searchsorted(ing, until_ms, side="left"))
            if hi > lo:
                b = {k: v[lo:hi] for k, v in self.users.items()}
                slots = b["ingested"] // cfg.slot_ms
                files = [(user_path(int(slots[a]) * cfg.slot_ms, self.shard, cfg.fmt), a, z)
                         for a, z in _runs(slots)]
                self.writer.submit(self.outlet.render_users, cfg, self.shared, self.pop, b, files)
                self.user_files.update({rel: z - a for rel, a, z in files})
        self.cursor = until_ms
        return written

    def wait(self) -> None:
        """Block until every submitted file is in place."""
        self.writer._reap(block=True)

    def result(self) -> ShardResult:
        """What the stream wrote so far, in the batch runner's shape (for the manifest)."""
        return ShardResult(self.shard, dict(self.writer.files), dict(self.user_files),
                           truth_table(self.cfg, self.pop, self.act))

    def close(self) -> None:
        """Wait for pending writes and stop the writer threads."""
        self.writer.close()


@dataclasses.dataclass(frozen=True)
class StreamConfig:
    """Validated arguments of a stream run."""

    run: RunConfig
    start_at_ms: int
    speed: float = DEFAULT_SPEED
    until_ms: int | None = None
    duration_s: float | None = None
    quiet: bool = False
    kafka_bootstrap_servers: str | None = None


class StreamGenerator:
    """The long-lived stream: simulated clock, per-shard caches, slot emission."""

    def __init__(self, scfg: StreamConfig, log=None, outlet: Outlet | None = None) -> None:
        self.scfg = scfg
        self.outlet = outlet or FileOutlet()
        self.cfg = dataclasses.replace(scfg.run, arrived_from_ms=scfg.start_at_ms, arrived_until_ms=None)
        self.log = log or (lambda msg: None)
        self.stop_requested = False
        self.shards: list[ShardStream] = []
        self.cursor = scfg.start_at_ms

    def setup(self) -> None:
        """Build the shared tables, populations and the days the first slots need."""
        tune_malloc()
        cfg = self.cfg
        geo = load_geo()
        self.shared = Shared(geo, build_name_pools(cfg.seed, geo), build_catalog(cfg.seed, cfg.users, cfg.start_date),
                             utc_offsets_minutes(geo, cfg.start_date, cfg.days))
        if cfg.fmt == "jsonl":
            write_text_gz(cfg.out, media_path(cfg.fmt), catalog_jsonl(self.shared.catalog), level=6)
        else:
            atomic_write(cfg.out, media_path(cfg.fmt), parquet_bytes(catalog_table(self.shared.catalog)))
        self.shards = [ShardStream(cfg, self.shared, s, self.scfg.start_at_ms, self.outlet)
                       for s in range(cfg.shards)]
        import pyarrow as pa
        atomic_write(cfg.out, "_truth/users.parquet",
                     parquet_bytes(pa.concat_tables([truth_table(cfg, s.pop, s.act) for s in self.shards])))
        for s in self.shards:
            s.ensure_days(self.scfg.start_at_ms + cfg.slot_ms)

    def emit_until(self, until_ms: int) -> int:
        """Emit all slots before ``until_ms`` for every shard; returns event rows written."""
        rows = sum(s.emit(until_ms) for s in self.shards)
        for s in self.shards:
            s.wait()
        self.cursor = until_ms
        return rows

    def prefetch(self, sim_ms: float) -> None:
        """Generate the next day ahead of time when the clock is close to it."""
        for s in self.shards:
            s.ensure_days(int(sim_ms) + PREFETCH_SIM_MS)

    def run(self) -> dict | None:
        """Run the clock until stopped (``--until``, ``--duration`` or a signal)."""
        scfg, cfg = self.scfg, self.cfg
        slot = cfg.slot_ms
        end_ms = scfg.until_ms
        run_end_ms = cfg.start_ms + (cfg.days + ARRIVAL_HORIZON_DAYS) * DAY_MS
        end_ms = run_end_ms if end_ms is None else min(end_ms, run_end_ms)
        t0 = time.monotonic()
        while not self.stop_requested:
            elapsed = time.monotonic() - t0
            if scfg.duration_s is not None and elapsed >= scfg.duration_s:
                break
            sim = scfg.start_at_ms + elapsed * scfg.speed * 1000.0
            due = min(int(sim // slot) * slot, end_ms)
            if due > self.cursor:
                n = self.emit_until(due)
                behind = (time.monotonic() - t0) - (due - scfg.start_at_ms) / 1000.0 / scfg.speed
                verb = "landed" if isinstance(self.outlet, FileOutlet) else "published"
                self.log(f"{ms_to_datetime(due):%Y-%m-%d %H:%M} simulated: {verb} {n} view-event lines "
                         f"({max(0.0, behind):.1f}s after the slot closed)")
                if due >= end_ms:
                    break
                self.prefetch(sim)
                continue
            next_real = t0 + (self.cursor + slot - scfg.start_at_ms) / 1000.0 / scfg.speed
            wait = next_real - time.monotonic()
            if scfg.duration_s is not None:
                wait = min(wait, t0 + scfg.duration_s - time.monotonic())
            if wait > 0:
                time.sleep(min(wait, 0.25))
        return self.finish()

    def finish(self) -> dict | None:
        """Wait for writes; write the run's manifest (covering ``[start_at, cursor)``)."""
        for s in self.shards:
            s.close()
        self.outlet.close()
        if self.cursor <= self.scfg.start_at_ms:
            return None
        cfg = dataclasses.replace(self.cfg, arrived_until_ms=self.cursor)
        manifest = self.outlet.annotate(build_manifest(cfg, [s.result() for s in self.shards], self.shared.catalog.n))
        name = (f"{self.outlet.manifest_dir}/view_events__{window_label(cfg.arrived_from_ms, 'start')}__"
                f"{window_label(cfg.arrived_until_ms, 'end')}.json")
        write_json(cfg.out, name, manifest)
        return manifest


# --- Command line --------------------------------------------------------------------

def build_parser() -> OneLineParser:
    """Arguments of ``engagement-stream-events`` (its messages keep the name ``stream_events.py``)."""
    p = OneLineParser(prog="stream_events.py",
                      description="Land the generator's files on a simulated clock (stream mode).")
    add_generation_options(p, defaults={"days": 60})
    p.add_argument("--out", required=True, help="landing directory")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl", help="file format")
    p.add_argument("--speed", type=float, default=DEFAULT_SPEED,
                   help="simulated seconds per real second (default 60: an hour a minute)")
    p.add_argument("--flush-minutes", type=int, default=DEFAULT_FLUSH_MINUTES,
                   help=f"flush slot in simulated minutes, must divide 60 (default {DEFAULT_FLUSH_MINUTES})")
    p.add_argument("--start-at", help="simulated start instant (UTC, slot-aligned; default --start-date 00:00)")
    p.add_argument("--until", help="stop when the simulated clock reaches this instant")
    p.add_argument("--duration", type=float, help="stop after this many real seconds")
    p.add_argument("--shard-size", type=int, default=500_000, help="users per shard (changes output)")
    p.add_argument("--quiet", action="store_true", help="no per-slot log lines")
    p.add_argument("--kafka-bootstrap-servers", metavar="HOST:PORT",
                   help="publish view events and user changes to Kafka (topics view_events, users) "
                        "instead of writing their files; --out keeps the catalog, truth and manifest")
    return p


def config_from_args(argv: list[str] | None = None) -> StreamConfig:
    """Parse and validate; bad input exits 2 with one line."""
    p = build_parser()
    a = p.parse_args(argv)
    for name, value, low in (("--users", a.users, 1), ("--days", a.days, 1), ("--seed", a.seed, 0),
                             ("--shard-size", a.shard_size, 1)):
        if value < low:
            p.error(f"{name} must be >= {low} (got {value})")
    if a.speed <= 0:
        p.error(f"--speed must be > 0 (got {a.speed})")
    if a.flush_minutes <= 0 or 60 % a.flush_minutes:
        p.error(f"--flush-minutes must divide 60 (got {a.flush_minutes})")
    if a.duration is not None and a.duration <= 0:
        p.error(f"--duration must be > 0 (got {a.duration})")
    if a.kafka_bootstrap_servers is not None and a.format != "jsonl":
        p.error("--kafka-bootstrap-servers needs --format jsonl (records travel as JSON lines)")
    try:
        start = parse_date(a.start_date)
    except ValueError:
        p.error(f"--start-date must be YYYY-MM-DD (got {a.start_date!r})")
    slot = a.flush_minutes * 60_000
    bounds: dict[str, int | None] = {}
    for flag, raw in (("--start-at", a.start_at), ("--until", a.until)):
        if raw is None:
            bounds[flag] = None
            continue
        try:
            bounds[flag] = parse_timestamp_ms(raw)
        except ValueError:
            p.error(f"{flag} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z] in UTC (got {raw!r})")
        if bounds[flag] % slot:
            p.error(f"{flag} {raw!r} is not aligned to the {a.flush_minutes}-minute flush slot")
    start_ms = int(np.datetime64(start, "ms").astype(np.int64))
    start_at = bounds["--start-at"] if bounds["--start-at"] is not None else start_ms
    if start_at < start_ms:
        p.error("--start-at must not be before --start-date")
    if bounds["--until"] is not None and bounds["--until"] <= start_at:
        p.error("--until must be later than --start-at")
    out = writable_out(p, a.out)
    run_cfg = RunConfig(users=a.users, days=a.days, start_date=start, seed=a.seed, faults=a.faults, out=out,
                        fmt=a.format, flush_minutes=a.flush_minutes, shard_size=a.shard_size, quiet=True)
    return StreamConfig(run=run_cfg, start_at_ms=start_at, speed=a.speed, until_ms=bounds["--until"],
                        duration_s=a.duration, quiet=a.quiet, kafka_bootstrap_servers=a.kafka_bootstrap_servers)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the stream until ``--until``/``--duration`` or SIGINT/SIGTERM."""
    scfg = config_from_args(argv)

    def log(msg: str) -> None:
        print(f"stream_events: {msg}", file=sys.stderr, flush=True)

    outlet, fatal = None, ()
    if scfg.kafka_bootstrap_servers:
        from .publish import KafkaOutlet, KafkaPublisher, PublishError  # the Kafka client only where used
        outlet, fatal = KafkaOutlet(KafkaPublisher(scfg.kafka_bootstrap_servers)), (PublishError,)
    gen = StreamGenerator(scfg, log=None if scfg.quiet else log, outlet=outlet)

    def _stop(signum, frame):  # noqa: ARG001
        gen.stop_requested = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _run(scfg, gen, log)
    except fatal as exc:  # a record the broker never acknowledged: one line, exit 1
        print(f"stream_events: error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(scfg: StreamConfig, gen: StreamGenerator, log) -> int:
    """Set up, run the clock, log a one-line summary."""
    started = time.perf_counter()
    gen.setup()
    if not scfg.quiet:
        log(f"ready in {time.perf_counter() - started:.1f}s: {scfg.run.users} users, clock at "
            f"{ms_to_datetime(scfg.start_at_ms):%Y-%m-%dT%H:%MZ}, {scfg.speed:g}x, "
            f"{scfg.run.flush_minutes}-minute slots -> {os.fspath(scfg.run.out)}")
    manifest = gen.run()
    if not scfg.quiet and manifest is not None:
        totals = manifest["view_events"]["totals"]
        log(f"stopped at {ms_to_datetime(gen.cursor):%Y-%m-%dT%H:%MZ} simulated: {totals['lines']} view-event "
            f"lines in {len(manifest['view_events']['files'])} files")
    return 0


if __name__ == "__main__":  # ``python -m engagement.generator.stream``: how the stream runner starts it
    sys.exit(main())
