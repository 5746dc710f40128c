"""Orchestration: shards x days, arrival-window filtering, flushing, manifest.

A file's content is a pure function of (seed, arguments except window/workers, flush
slot, shard): every shard simulates from day 0, generates only the days whose arrivals
can reach the window, keeps rows whose ``ingested_at`` is inside the window and writes
each flush slot once no later day can add to it.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import math
import multiprocessing as mp
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from . import __version__
from .behaviour import batch_len, concat_batches, generate_day, make_context, take_rows
from .catalog import Catalog, build_catalog, catalog_jsonl, catalog_table
from .faults import CATEGORIES, FAULT_RATES, SCHEMA_DRIFT_RULE, VALID_VARIANTS, inject_faults
from .geo import Geo, load_geo, utc_offsets_minutes
from .lifecycle import simulate_activity
from .landing import (atomic_write, media_path, parquet_bytes, user_path, view_event_path, write_parquet,
                      window_label, write_json, write_text_gz)
from .people import DAY_MS, NEVER, PLANS, NamePools, Population, build_name_pools, build_population, emails
from .people_file import build_shard, check_manifest, load_shard, verify_one_shard
from .render import event_lines, event_table, lines_parts, user_columns, user_lines_batch, USER_TABLE_SCHEMA
from .rng import Stream, rng_for
from .truth import TRUTH_FILE, TruthWriter, truth_table
from .service_calendar import DEFAULT_HISTORY_DAYS, ServiceCalendar, build_calendar, users_signed_up_before

ARRIVAL_HORIZON_DAYS = 7  # every record generated for day d arrives within [d, d + 7 days)
COUNT_KEYS: tuple[str, ...] = CATEGORIES + VALID_VARIANTS + ("lines",)


@dataclass(frozen=True)
class RunConfig:
    """Validated arguments of one generator run."""

    users: int
    days: int
    start_date: dt.date
    seed: int
    faults: str
    out: Path
    fmt: str = "jsonl"
    arrived_from_ms: int | None = None
    arrived_until_ms: int | None = None
    flush_minutes: int = 60
    shard_size: int = 500_000
    workers: int | None = None
    quiet: bool = True
    timings: str | None = None
    history_days: int = DEFAULT_HISTORY_DAYS
    people_file: str | None = None  # a pre-built people file (never changes output)

    @property
    def start_ms(self) -> int:
        """Start-date 00:00 UTC in epoch ms."""
        return int(np.datetime64(self.start_date, "ms").astype(np.int64))

    @property
    def slot_ms(self) -> int:
        """Flush interval in ms."""
        return self.flush_minutes * 60_000

    @property
    def shards(self) -> int:
        """Number of user shards."""
        return math.ceil(self.users / self.shard_size)

    @property
    def drift_from_ms(self) -> int | None:
        """Ingestion instant from which records carry ``drm_system`` (faults only)."""
        if self.faults != "default":
            return None
        return self.start_ms + math.ceil(self.days / 2) * DAY_MS

    def in_window(self, ms: np.ndarray) -> np.ndarray:
        """Mask of instants inside the half-open arrival window."""
        keep = np.ones(len(ms), dtype=bool)
        if self.arrived_from_ms is not None:
            keep &= ms >= self.arrived_from_ms
        if self.arrived_until_ms is not None:
            keep &= ms < self.arrived_until_ms
        return keep

    def day_reaches_window(self, day: int) -> bool:
        """Whether records generated for ``day`` can arrive inside the window."""
        lo = self.start_ms + day * DAY_MS
        hi = lo + ARRIVAL_HORIZON_DAYS * DAY_MS
        if self.arrived_from_ms is not None and hi <= self.arrived_from_ms:
            return False
        return self.arrived_until_ms is None or lo < self.arrived_until_ms


@dataclass(frozen=True)
class Shared:
    """Read-only inputs shared by all shards."""

    geo: Geo
    pools: NamePools
    catalog: Catalog
    offsets: np.ndarray
    calendar: ServiceCalendar


@dataclass
class ShardResult:
    """What a shard wrote, plus its slice of the ground truth."""

    shard: int
    event_files: dict[str, dict[str, int]]
    user_files: dict[str, int]
    truth: pa.Table | None  # None once the parent has written it
    timings: dict[str, float] | None = None  # benchmark only (``--timings``), never in outputs


def _empty_counts() -> dict[str, int]:
    return {k: 0 for k in COUNT_KEYS}


# --- Users ---------------------------------------------------------------------------

def user_change_batch(cfg: RunConfig, shard: int, pop: Population) -> dict[str, np.ndarray]:
    """Sign-ups, profile updates and deletion requests of a shard as a columnar batch."""
    rng = rng_for(cfg.seed, Stream.USER_CHANGES, shard, 1)
    start, n = cfg.start_ms, pop.n
    idx = np.arange(n)
    base = pop.signup_ms < start
    lag = rng.integers(1_000, 30_000, n)  # run-time records arrive a few seconds later
    parts = [(idx, np.zeros(n, np.int8), pop.signup_ms, np.where(base, start, pop.signup_ms + lag))]
    for ctype, when in ((1, pop.country_change_ms), (1, pop.plan_change_ms), (1, pop.email_change_ms),
                        (2, pop.deletion_ms)):
        sel = np.flatnonzero(when != NEVER)
        parts.append((sel, np.full(len(sel), ctype, np.int8), when[sel], when[sel] + lag[sel]))
    i = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[2] for p in parts])
    moved = pop.country_change_ms[i] <= t
    return {
        "idx": i, "user_id": pop.user_id[i], "email_v": (pop.email_change_ms[i] <= t).astype(np.int8),
        "age": pop.age[i], "signup_ms": pop.signup_ms[i], "signup_country": pop.signup_country[i],
        "country": np.where(moved, pop.country1[i], pop.country0[i]),
        "city": np.where(moved, pop.city1[i], pop.city0[i]),
        "plan": np.where(pop.plan_change_ms[i] <= t, pop.plan1[i], pop.plan0[i]),
        "change_type": np.concatenate([p[1] for p in parts]), "updated": t,
        "ingested": np.concatenate([p[3] for p in parts]),
    }


def write_user_files(cfg: RunConfig, shared: Shared, shard: int, pop: Population,
                     submit: Callable | None = None) -> dict[str, int]:
    """Write the shard's user records inside the window, one file per flush slot.

    ``submit(fn, *args)`` runs the rendering, compression and writes (default: inline);
    the runner passes its writer pool so that they overlap with event generation.
    Returns the record count per file (known before anything is written).
    """
    b = user_change_batch(cfg, shard, pop)
    b = take_rows(b, np.flatnonzero(cfg.in_window(b["ingested"])))
    if batch_len(b) == 0:
        return {}
    b = take_rows(b, _user_order(b))
    slots = b["ingested"] // cfg.slot_ms
    files = [(user_path(int(slots[lo]) * cfg.slot_ms, shard, cfg.fmt), lo, hi) for lo, hi in _runs(slots)]
    (submit or (lambda fn, *args: fn(*args)))(_render_user_files, cfg, shared, pop, b, files)
    return {rel: hi - lo for rel, lo, hi in files}


def _render_user_files(cfg: RunConfig, shared: Shared, pop: Population, b: dict[str, np.ndarray],
                       files: list[tuple[str, int, int]]) -> None:
    email = emails(shared.pools, pop, b["idx"], b["email_v"] == 1)
    geo = shared.geo
    if cfg.fmt == "jsonl":
        lines = user_lines_batch(b, email, geo.city_names, geo.codes, PLANS)
        for rel, lo, hi in files:
            write_text_gz(cfg.out, rel, lines_parts(lines.slice(lo, hi - lo)))
    else:
        cols = user_columns(b, email, geo.city_names, geo.codes, PLANS)
        for rel, lo, hi in files:
            part = pa.Table.from_arrays([c.slice(lo, hi - lo) for c in cols], schema=USER_TABLE_SCHEMA)
            _write_parquet(cfg.out, rel, part)


def _user_order(b: dict[str, np.ndarray]) -> np.ndarray:
    """``np.lexsort((change_type, user_id, ingested))`` as one stable sort of a packed key."""
    ing, uid, ct = b["ingested"], b["user_id"], b["change_type"].astype(np.int64)
    i0, u0 = int(ing.min()), int(uid.min())
    n_ct = int(ct.max()) + 1
    span_u = (int(uid.max()) - u0 + 1) * n_ct
    if ct.min() < 0 or (int(ing.max()) - i0 + 1) * span_u >= 2 ** 62:
        return np.lexsort((ct, uid, ing))
    key = (ing - i0) * span_u + (uid - u0) * n_ct + ct
    return np.argsort(key, kind="stable")


def arrival_order(rows: dict[str, np.ndarray]) -> np.ndarray:
    """Row order by (ingested, eid_hi, eid_lo), ties by position.

    Equal to ``np.lexsort((eid_lo, eid_hi, ingested))``: a fast sort on ``ingested``,
    then the (rare) runs of equal ``ingested`` are re-sorted with the full key.
    """
    ing = rows["ingested"]
    order = np.argsort(ing)
    s = ing[order]
    tie = np.zeros(len(s), dtype=bool)
    same = s[1:] == s[:-1]
    tie[1:] |= same
    tie[:-1] |= same
    if tie.any():
        pos = np.flatnonzero(tie)
        sub = order[pos]
        order[pos] = sub[np.lexsort((sub, rows["eid_lo"][sub], rows["eid_hi"][sub], ing[sub]))]
    return order


def _runs(sorted_keys: np.ndarray) -> list[tuple[int, int]]:
    """[lo, hi) ranges of equal consecutive values."""
    if len(sorted_keys) == 0:
        return []
    cut = np.flatnonzero(np.diff(sorted_keys)) + 1
    edges = np.concatenate([[0], cut, [len(sorted_keys)]])
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


# --- View events ---------------------------------------------------------------------

class EventWriter:
    """Sorts the rows of finished flush slots for one shard, then renders and writes them.

    The main thread only sorts and counts; rendering, compression and file writes run
    as chunk tasks (a run of consecutive flush slots, ~``CHUNK_ROWS`` rows) on a small
    thread pool (numpy, Arrow and zlib release the GIL), overlapping with the next
    day's generation and letting one process use both cores when it runs alone.
    """

    CHUNK_ROWS = 60_000
    MAX_PENDING = 8  # bound memory: wait for the oldest task beyond this many

    def __init__(self, cfg: RunConfig, shared: Shared, shard: int) -> None:
        self.cfg, self.shared, self.shard = cfg, shared, shard
        self.files: dict[str, dict[str, int]] = {}
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.futures: list = []

    def submit(self, fn: Callable, *args) -> None:
        """Run ``fn(*args)`` on the writer pool."""
        self.futures.append(self.pool.submit(fn, *args))
        self._reap(block=False)

    def flush(self, rows: dict[str, np.ndarray], sel: np.ndarray | None = None) -> None:
        """Write every slot present in ``rows`` (or in its rows ``sel``, ascending), all
        of which must be complete."""
        cfg = self.cfg
        if cfg.fmt == "parquet":
            keep = rows["fault"] != CATEGORIES.index("malformed")
            sel = np.flatnonzero(keep) if sel is None else sel[keep[sel]]
        if sel is not None:
            if len(sel) == 0:
                return
            order = sel[arrival_order({k: rows[k][sel] for k in ("ingested", "eid_hi", "eid_lo")})]
        elif batch_len(rows) == 0:
            return
        else:
            order = arrival_order(rows)
        rows = take_rows(rows, order)
        slots = rows["ingested"] // cfg.slot_ms
        drift = cfg.drift_from_ms
        runs = _runs(slots)
        starts = np.array([lo for lo, _ in runs])
        counts = self._counts(rows, drift)
        sums = {k: np.add.reduceat(v.astype(np.int64), starts).tolist() for k, v in counts.items()}
        chunk: list[tuple[str, int, int, int]] = []
        for j, (lo, hi) in enumerate(runs):
            slot_start = int(slots[lo]) * cfg.slot_ms
            rel = view_event_path(slot_start, self.shard, cfg.fmt)
            self.files[rel] = {k: v[j] for k, v in sums.items()}
            chunk.append((rel, slot_start, lo, hi))
            if hi - chunk[0][2] >= self.CHUNK_ROWS or j == len(runs) - 1:
                a, b = chunk[0][2], hi
                part = {k: v[a:b] for k, v in rows.items()}
                self.submit(self._write_chunk, part, [(r, t, lo_ - a, hi_ - a) for r, t, lo_, hi_ in chunk])
                chunk = []

    def _write_chunk(self, rows: dict[str, np.ndarray], files: list[tuple[str, int, int, int]]) -> None:
        """Render rows (a run of whole slots) and write one file per slot."""
        cfg, geo, drift = self.cfg, self.shared.geo, self.cfg.drift_from_ms
        if cfg.fmt == "jsonl":
            lines, overrides = event_lines(rows, geo.city_names, geo.codes, drift)
            for rel, _, lo, hi in files:
                write_text_gz(cfg.out, rel, lines_parts(lines.slice(lo, hi - lo), overrides, lo))
        else:
            table = event_table(rows, geo.city_names, geo.codes, drift)
            for rel, slot_start, lo, hi in files:
                part = table.slice(lo, hi - lo)
                if drift is not None and slot_start < drift:
                    part = part.drop_columns(["drm_system"])
                _write_parquet(cfg.out, rel, part)

    @staticmethod
    def _counts(rows: dict[str, np.ndarray], drift: int | None) -> dict[str, np.ndarray]:
        fault = rows["fault"]
        valid = fault == 0
        out = {name: (fault == code) for code, name in enumerate(CATEGORIES)}
        out["non_utc_offset"] = valid & (rows["tzoff"] != 0)
        out["platform_case"] = valid & (rows["pcase"] != 0)
        out["schema_drift"] = valid & (rows["ingested"] >= drift) if drift is not None else np.zeros_like(valid)
        out["lines"] = np.ones_like(valid)
        return out

    def _reap(self, block: bool) -> None:
        keep = []
        for f in self.futures:
            if block or f.done():
                f.result()
            else:
                keep.append(f)
        self.futures = keep
        while len(self.futures) > self.MAX_PENDING:
            self.futures.pop(0).result()

    def close(self) -> None:
        """Wait for pending writes."""
        self._reap(block=True)
        self.pool.shutdown()


def _write_parquet(root: Path, rel: str, table: pa.Table) -> None:
    write_parquet(root, rel, table)


def run_shard(cfg: RunConfig, shared: Shared, shard: int,
              progress: Callable[[int], None] | None = None) -> ShardResult:
    """Simulate one shard from day 0 and write its files inside the window."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    lo_id = shard * cfg.shard_size + 1
    hi_id = min((shard + 1) * cfg.shard_size, cfg.users)
    if cfg.people_file:
        pop, state = load_shard(cfg.people_file, shard, lo_id, hi_id, cfg.users, cfg.start_ms, shared.calendar)
    else:
        pop, state = build_population(cfg.seed, shard, lo_id, hi_id, cfg.users, cfg.days, cfg.start_ms,
                                      shared.geo, shared.pools, shared.calendar), None
    act = simulate_activity(cfg.seed, shard, pop, cfg.days, cfg.start_date, shared.calendar, state)
    t1 = time.perf_counter()
    writer = EventWriter(cfg, shared, shard)
    user_files = write_user_files(cfg, shared, shard, pop, writer.submit)
    t2 = time.perf_counter()
    ctx = make_context(cfg.seed, shard, cfg.days, cfg.start_date, shared.geo, shared.catalog, shared.offsets)
    pending: dict[str, np.ndarray] | None = None
    for day in range(cfg.days):
        if cfg.day_reaches_window(day):
            batch = generate_day(ctx, pop, act, day)
            if cfg.faults == "default":
                batch = inject_faults(batch, cfg.seed, shard, day)
            horizon = cfg.start_ms + (day + ARRIVAL_HORIZON_DAYS) * DAY_MS
            keep = cfg.in_window(batch["ingested"]) & (batch["ingested"] < horizon)
            if not keep.all():
                batch = take_rows(batch, np.flatnonzero(keep))
            pending = batch if pending is None else concat_batches([pending, batch])
        if pending is not None and batch_len(pending):
            boundary = cfg.start_ms + (day + 1) * DAY_MS  # later days arrive after this
            done = pending["ingested"] < boundary
            if done.all():
                writer.flush(pending)
                pending = None
            else:
                writer.flush(pending, np.flatnonzero(done))
                pending = take_rows(pending, np.flatnonzero(~done))
        if progress:
            progress(1)
    if pending is not None and batch_len(pending):
        writer.flush(pending)
    writer.close()
    t3 = time.perf_counter()
    truth = truth_table(cfg, pop, act)
    timings = {"shard": shard, "population_s": t1 - t0, "users_s": t2 - t1, "events_s": t3 - t2,
               "total_s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0}
    return ShardResult(shard, writer.files, user_files, truth, timings)


# --- Whole run -----------------------------------------------------------------------

def _shard_task(args: tuple) -> ShardResult:
    cfg, shared, shard, queue = args
    return run_shard(cfg, shared, shard, (lambda k: queue.put(k)) if queue is not None else None)


def tune_malloc() -> None:
    """Keep freed memory in glibc's heap instead of returning it to the kernel.

    numpy's large temporaries are otherwise mmap'ed and unmapped per allocation, and
    every reuse page-faults fresh zeroed pages: ~30% of the CPU time of a run went to
    the kernel. Equivalent to MALLOC_MMAP_THRESHOLD_=32MiB (the maximum) and a large
    MALLOC_TRIM_THRESHOLD_; inherited by the forked workers. Arrow's buffers (the
    rendered columns, Parquet pages) are moved to that same heap too (the system
    pool): Arrow's default (mimalloc) hands freed pages back to the kernel and faults
    them in again (a 10M-user Parquet day: 5.7 -> 3.2 system CPU-s, 746k -> 560k page
    faults). No effect on outputs, a no-op where glibc's ``mallopt`` is unavailable.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        libc.mallopt(m_mmap_threshold, 32 * 2**20)
        libc.mallopt(m_trim_threshold, 2**31 - 1)
        libc.mallopt(m_top_pad, 64 * 2**20)
    except (OSError, AttributeError):
        return
    pa.set_memory_pool(pa.system_memory_pool())


def run(cfg: RunConfig) -> dict:
    """Run the generator; returns the manifest (also written under ``_manifests/``)."""
    t0 = time.perf_counter()
    tune_malloc()
    shared = build_shared(cfg)
    if cfg.people_file:
        check_people_file(cfg, shared)
    if cfg.fmt == "jsonl":
        media_bytes = catalog_jsonl(shared.catalog)
        write_text_gz(cfg.out, media_path(cfg.fmt), media_bytes, level=6)
    else:
        atomic_write(cfg.out, media_path(cfg.fmt), parquet_bytes(catalog_table(shared.catalog)))
    shards = cfg.shards
    workers = max(1, min(cfg.workers or 2, shards))
    total_units = shards * cfg.days
    bar = _progress_bar(total_units, cfg.quiet)
    t1 = time.perf_counter()
    results: list[ShardResult] = []
    truth = TruthWriter(cfg.out, shards)
    if workers == 1:
        for s in range(shards):
            results.append(run_shard(cfg, shared, s, bar.update if bar else None))
            truth.add(s, results[-1].truth)
            results[-1].truth = None
    else:
        ctx = mp.get_context("fork")
        manager = ctx.Manager()
        queue = manager.Queue() if bar else None
        stop = threading.Event()
        drain = None
        if bar:
            def _drain() -> None:
                while not stop.is_set() or not queue.empty():
                    try:
                        bar.update(queue.get(timeout=0.2))
                    except Exception:  # noqa: BLE001 (queue.Empty from the manager proxy)
                        pass
            drain = threading.Thread(target=_drain, daemon=True)
            drain.start()
        with ctx.Pool(workers) as pool:
            for result in pool.imap_unordered(_shard_task, [(cfg, shared, s, queue) for s in _heaviest_first(cfg)],
                                              chunksize=1):
                truth.add(result.shard, result.truth)
                result.truth = None  # written: do not keep 100M rows in the parent
                results.append(result)
        stop.set()
        if drain:
            drain.join()
        manager.shutdown()
    if bar:
        bar.close()
    results.sort(key=lambda r: r.shard)
    t2 = time.perf_counter()
    truth.close()
    manifest = build_manifest(cfg, results, shared.catalog.n, truth.rows)
    name = (f"_manifests/view_events__{window_label(cfg.arrived_from_ms, 'start')}__"
            f"{window_label(cfg.arrived_until_ms, 'end')}.json")
    write_json(cfg.out, name, manifest)
    if cfg.timings:
        Path(cfg.timings).write_text(json.dumps({"setup_s": t1 - t0, "shards_s": t2 - t1,
                                                  "finish_s": time.perf_counter() - t2,
                                                  "workers": workers, "shards": shards,
                                                  "per_shard": [r.timings for r in results]}))
    return manifest


def check_people_file(cfg: RunConfig, shared: Shared) -> None:
    """Refuse a people file of another run, version or generator (:class:`PeopleFileError`):
    its manifest must match ``cfg`` and its last shard must equal a fresh build."""
    check_manifest(cfg.people_file, cfg)
    shard = cfg.shards - 1
    lo_id, hi_id = shard * cfg.shard_size + 1, cfg.users
    built = build_shard(cfg.seed, shard, lo_id, hi_id, cfg.users, cfg.days, cfg.start_ms,
                        shared.geo, shared.pools, shared.calendar)
    verify_one_shard(cfg.people_file, shard, built,
                     load_shard(cfg.people_file, shard, lo_id, hi_id, cfg.users, cfg.start_ms, shared.calendar))


def build_shared(cfg: RunConfig) -> Shared:
    """The read-only tables every shard uses: countries, name pools, calendar, catalog, UTC offsets."""
    geo = load_geo()
    cal = build_calendar(cfg.seed, cfg.start_date, cfg.days, cfg.history_days)
    return Shared(geo, build_name_pools(cfg.seed, geo), build_catalog(cfg.seed, cfg.users, cfg.start_date, cfg.days, cal),
                  utc_offsets_minutes(geo, cfg.start_date, cfg.days), cal)


def _heaviest_first(cfg: RunConfig) -> list[int]:
    """Shard indices, most expensive first (users signing up during the run are more
    active than the base, so they weigh triple); outputs do not depend on this."""
    cal = build_calendar(cfg.seed, cfg.start_date, cfg.days, cfg.history_days)
    n_base = users_signed_up_before(cal, cfg.users, 0)

    def cost(s: int) -> int:
        lo, hi = s * cfg.shard_size + 1, min((s + 1) * cfg.shard_size, cfg.users)
        return (hi - lo + 1) + 2 * max(0, hi - max(lo - 1, n_base))

    return sorted(range(cfg.shards), key=lambda s: (-cost(s), s))


def _progress_bar(total: int, quiet: bool):
    import sys
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm
    return tqdm(total=total, unit="shard-day", desc="generating", file=sys.stderr)


def build_manifest(cfg: RunConfig, results: list[ShardResult], media_records: int,
                   truth_records: int | None = None) -> dict:
    """Deterministic manifest: arguments, fault rates, totals and per-file counts."""
    files: dict[str, dict[str, int]] = {}
    user_files: dict[str, int] = {}
    for r in results:
        files.update(r.event_files)
        user_files.update(r.user_files)
    totals = _empty_counts()
    for counts in files.values():
        for k, v in counts.items():
            totals[k] += v
    args = {k: (str(v) if isinstance(v, (Path, dt.date)) else v) for k, v in asdict(cfg).items()
            if k not in ("out", "workers", "quiet", "timings", "arrived_from_ms", "arrived_until_ms", "people_file")}
    args["arrived_from"] = window_label(cfg.arrived_from_ms, "start")
    args["arrived_until"] = window_label(cfg.arrived_until_ms, "end")
    args["format"] = args.pop("fmt")
    return {
        "generator": "streamsim", "generator_version": __version__,
        "arguments": args,
        "fault_rates": dict(FAULT_RATES) if cfg.faults == "default" else {},
        "schema_drift": {"rule": SCHEMA_DRIFT_RULE,
                         "from": None if cfg.drift_from_ms is None else
                         window_label(cfg.drift_from_ms, "")},
        "view_events": {"totals": totals, "files": dict(sorted(files.items()))},
        "users": {"records": sum(user_files.values()), "files": dict(sorted(user_files.items()))},
        "media": {"records": media_records, "file": media_path(cfg.fmt)},
        "truth": {"file": TRUTH_FILE, "records": int(sum(r.truth.num_rows for r in results)
                                                     if truth_records is None else truth_records)},
    }
