"""Benchmark of stream mode: lag from arrival to visibility and batch duration.

    engagement-bench stream                       # 1M users (1/100 of the seed scale), 60x for 300 s,
                                                  # then 240x and 960x for 150 s each
    engagement-bench stream --trials 60:300,120:150 --users 1000000

Steps (all through the real command line, ``python -m engagement.stream.cli``, one fresh
process per step so that each trial starts like ``make stream`` does):

1. bootstrap (timed, not part of the figures): ``engagement-stream --with-generator`` lands
   ``--history-days`` of history with one batch run of the generator and builds the
   real-time selection on it once (an empty warehouse's first batch);
2. one trial per ``speed:seconds``: ``engagement-stream --with-generator --speed S
   --duration T --interval I`` (the generator resumes its clock where the previous trial
   stopped); the runner's ``pipeline_runs`` rows of the trial are then summarised:
   events landed per real second, batch duration and lag percentiles. ``lag`` is the
   contract's (visible_at - newest included file's landing time); ``max lag`` is the
   worst file of each batch (visible_at - oldest new file's landing time), i.e. what the
   unluckiest event waited. ``events / s`` = new view events / (batches x interval). A trial meets the target when p95 max-lag < 60 s and p95
   batch duration < 20 s. The first batch of a trial (runner start, generator still
   setting up) is left out.

Prints one table; the machine's load average is printed before and after (shared host).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from engagement.stream.runner import percentile

STREAM_MODULE = "engagement.stream.cli"


def configure(p: argparse.ArgumentParser) -> None:
    """The options of ``engagement-bench stream``."""
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--start-date", default="2026-03-02")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--history-days", type=int, default=8)
    p.add_argument("--flush-minutes", type=int, default=5)
    p.add_argument("--interval", type=float, default=30.0)
    p.add_argument("--trials", default="60:300,240:150,960:150", help="speed:seconds,...")
    p.add_argument("--workdir", type=Path, default=Path("data/bench_stream"))
    p.add_argument("--fresh", action="store_true", help="delete the work directory first")


def _run_stream(args, workdir: Path, speed: float, duration: float, interval: float, log: Path) -> float:
    command = [sys.executable, "-m", STREAM_MODULE, "--with-generator",
               "--users", str(args.users), "--days", str(args.days), "--start-date", args.start_date,
               "--seed", str(args.seed), "--history-days", str(args.history_days),
               "--flush-minutes", str(args.flush_minutes), "--speed", str(speed),
               "--duration", str(duration), "--interval", str(interval), "--no-export",
               "--landing-dir", str(workdir / "landing"), "--duckdb-path", str(workdir / "warehouse.duckdb")]
    started = time.perf_counter()
    with open(log, "a") as fh:
        fh.write(f"\n$ {' '.join(command)}\n")
        fh.flush()
        subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - started


def _batches(db: Path, after: int) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select batch_id, status, duration_seconds, new_view_events, lag_seconds, max_lag_seconds "
            "from pipeline_runs where batch_id > ? order by batch_id", [after]).fetchall()


def _max_batch(db: Path) -> int:
    if not db.exists():
        return 0
    with duckdb.connect(str(db), read_only=True) as con:
        has = con.execute("select count(*) from information_schema.tables where table_name = 'pipeline_runs'"
                          ).fetchone()[0]
        return int(con.execute("select coalesce(max(batch_id), 0) from pipeline_runs").fetchone()[0]) if has else 0


def _fmt(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f} / {max(values):.1f}"


def run(args: argparse.Namespace) -> int:
    """Run the bootstrap and the trials; print the table."""
    workdir = args.workdir.resolve()
    if args.fresh:
        shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "bench_stream.log"
    db = workdir / "warehouse.duckdb"
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (2-core shared machine)")
    if _max_batch(db) == 0:
        took = _run_stream(args, workdir, speed=1, duration=1, interval=3600, log=log)
        print(f"bootstrap: {args.history_days} days of history for {args.users:,} users landed and built "
              f"in {took:.0f}s")
    rows = []
    for trial in args.trials.split(","):
        speed, seconds = (float(x) for x in trial.split(":"))
        before = _max_batch(db)
        load0 = os.getloadavg()[0]
        _run_stream(args, workdir, speed, seconds, args.interval, log)
        batches = _batches(db, before)[1:]  # drop the runner's first batch (start-up)
        ok = [b for b in batches if b[1] == "success"]
        durations = [b[2] for b in batches]
        lags = [b[4] for b in ok if b[4] is not None]
        max_lags = [b[5] for b in ok if b[5] is not None]
        events = sum(b[3] or 0 for b in ok)
        real = len(batches) * args.interval  # each counted batch picks up ~one interval of landing
        meets = bool(max_lags) and percentile(max_lags, 95) < 60 and percentile(durations, 95) < 20 \
            and len(ok) == len(batches)
        rows.append((speed, seconds, len(batches), len(batches) - len(ok), events,
                     events / max(real, 1), _fmt(durations), _fmt(lags), _fmt(max_lags), meets,
                     load0, os.getloadavg()[0]))
        print(f"  {speed:g}x for {seconds:g}s: {len(batches)} batches, {events:,} new view events, "
              f"batch {_fmt(durations)} s, lag {_fmt(lags)} s, max lag {_fmt(max_lags)} s, "
              f"{'meets' if meets else 'MISSES'} the target")
    print()
    print("| speed | run (s) | batches (failed) | new view events | events / s | batch p50 / p95 / max (s) "
          "| lag p50 / p95 / max (s) | max lag p50 / p95 / max (s) | target met | load 1-min (start / end) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]:g}x | {r[1]:g} | {r[2]} ({r[3]}) | {r[4]:,} | {r[5]:,.0f} | {r[6]} | {r[7]} | {r[8]} | "
              f"{'yes' if r[9] else 'no'} | {r[10]:.2f} / {r[11]:.2f} |")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; log: {log}")
    return 0
