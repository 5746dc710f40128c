"""Benchmark the event generator: events/s per format, peak RSS, projection to 50M events/day.

    engagement-bench generator [--users 2000000] [--days 2] [--formats parquet,jsonl]
                               [--workers 2] [--repeat 3] [--out DIR]

Each format runs the generator (``python -m engagement.generator.cli --faults default
--quiet``) ``--repeat`` times, each in a fresh process (so that peak RSS and CPU time
are the run's own, from ``wait4``), and reports the best (shortest event phase) and the
median run.

What is timed:

* ``event-phase``: wall time of the parallel shard phase, measured by the generator
  itself (``--timings``): every shard builds its population, writes its user records
  and simulates, renders, compresses and writes its view events. Excluded: the setup
  before it (imports, Faker name pools, catalog, media file) and the truth/manifest
  writing after it. events/s = view-event lines written (valid + fault rows, from the
  run's manifest) / that wall time.
* ``total``: wall time of the whole subprocess (what a user waits for), and events/s
  over it; the 50M-event projection uses this whole-run rate.
* ``cpu``: user + system CPU seconds of the generator and its worker processes
  (``wait4``), and events per CPU-second: the figure to compare on a busy machine,
  since wall times stretch when other processes compete for the cores.
* ``per shard``: main-thread seconds per stage (population; user-record batch, whose
  rendering and compression run on the writer threads; events, including the wait for
  all pending writes) and the shard's process CPU seconds.

Peak RSS is ``ru_maxrss`` of the largest process (the parent or one worker).

With ``--people-file DIR`` every format also runs with ``--people-file DIR`` (rows labelled
``<format>+pf``), after the people file is built there with ``engagement-generate people``
(timed the same way, with its size on disk) unless DIR already holds the one of this
workload. ``--seed-scale`` is the issue's seed-scale day: ``--users 100000000 --days 1
--formats parquet --repeat 1`` and a people file in ``--out`` (or the temp dir), i.e.

    engagement-bench generator --seed-scale [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATOR_MODULE = "engagement.generator.cli"
SEED_SCALE_EVENTS = 50_000_000
SEED_SCALE_USERS = 100_000_000


def bench_one(fmt: str, args: argparse.Namespace, out: Path, rep: int, people: Path | None = None) -> dict:
    """Run one format once in a fresh subprocess and collect its figures (with ``--people-file
    people`` when given)."""
    label = f"{fmt}+pf" if people else fmt
    target = out / f"{label}-{rep}"
    shutil.rmtree(target, ignore_errors=True)
    timings = out / f"timings-{label}-{rep}.json"
    cmd = [sys.executable, "-m", GENERATOR_MODULE, "--users", str(args.users), "--days", str(args.days),
           "--start-date", args.start_date, "--seed", "1", "--faults", "default", "--format", fmt,
           "--out", str(target), "--quiet", "--timings", str(timings)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if people:
        cmd += ["--people-file", str(people)]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"generator failed for {fmt} (status {status})")
    manifest = json.loads((target / "_manifests" / "view_events__start__end.json").read_text())
    events = manifest["view_events"]["totals"]["lines"]
    phase = json.loads(timings.read_text())
    size = sum(p.stat().st_size for p in (target / "view_events").rglob("*") if p.is_file())
    cpu = usage.ru_utime + usage.ru_stime
    per_shard = phase.get("per_shard") or []
    if not args.out:
        shutil.rmtree(target, ignore_errors=True)
    return {"format": label, "events": events, "wall_s": wall, "events_phase_s": phase["shards_s"],
            "setup_s": phase["setup_s"], "finish_s": phase["finish_s"],
            "events_per_s_phase": events / phase["shards_s"], "events_per_s_total": events / wall,
            "cpu_s": cpu, "events_per_cpu_s": events / cpu, "load_avg_1m_before": load,
            "peak_rss_mib": usage.ru_maxrss / 1024, "bytes": size, "workers": phase["workers"],
            "shards": phase["shards"], "per_shard": per_shard,
            "projected_seed_day_s": SEED_SCALE_EVENTS / (events / wall)}


def build_people(args: argparse.Namespace, people: Path) -> dict:
    """Build the workload's people file in ``people`` (fresh subprocess, timed), unless it is already there."""
    import datetime as dt

    from engagement.generator.people_file import PeopleFileError, check_manifest
    from engagement.generator.runner import RunConfig

    cfg = RunConfig(users=args.users, days=args.days, start_date=dt.date.fromisoformat(args.start_date), seed=1,
                    faults="default", out=people)
    size = lambda: sum(p.stat().st_size for p in people.glob("part-*.parquet"))  # noqa: E731
    try:
        check_manifest(people, cfg)
        return {"reused": True, "bytes": size()}
    except PeopleFileError:
        pass
    cmd = [sys.executable, "-m", GENERATOR_MODULE, "people", "--users", str(args.users), "--days", str(args.days),
           "--start-date", args.start_date, "--seed", "1", "--out", str(people), "--quiet"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"people-file build failed (status {status})")
    return {"reused": False, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "bytes": size(),
            "peak_rss_mib": usage.ru_maxrss / 1024, "load_avg_1m_before": load}


def people_line(b: dict, people: Path) -> str:
    """One summary line of the people-file build."""
    if b["reused"]:
        return f"people   reused {people} ({b['bytes'] / 2**20:,.0f} MiB; build not timed)"
    return (f"people   build  {b['wall_s']:.1f}s cpu={b['cpu_s']:.1f}s peak_rss={b['peak_rss_mib']:,.0f} MiB "
            f"size={b['bytes'] / 2**20:,.0f} MiB load={b['load_avg_1m_before']:.1f} ({people})")


def line(r: dict, label: str) -> str:
    """One human-readable summary line of a run."""
    return (f"{r['format']:8s} {label:6s} events={r['events']:,} workers={r['workers']} shards={r['shards']} "
            f"event-phase={r['events_phase_s']:.2f}s ({r['events_per_s_phase']:,.0f} ev/s) "
            f"total={r['wall_s']:.2f}s ({r['events_per_s_total']:,.0f} ev/s) "
            f"cpu={r['cpu_s']:.1f}s ({r['events_per_cpu_s']:,.0f} ev/cpu-s) "
            f"peak_rss={r['peak_rss_mib']:,.0f} MiB size={r['bytes'] / 2**20:,.0f} MiB "
            f"load={r['load_avg_1m_before']:.1f} projected 50M-event day={r['projected_seed_day_s'] / 60:.1f} min")


def shard_line(r: dict) -> str:
    """Per-shard stage seconds of a run."""
    parts = [f"#{s['shard']}: pop {s['population_s']:.2f} users {s['users_s']:.2f} events {s['events_s']:.2f} "
             f"cpu {s['cpu_s']:.2f}" for s in sorted(r["per_shard"], key=lambda s: s["shard"])]
    return f"{'':8s} per shard (main-thread s; process cpu s): " + " | ".join(parts)


def configure(p: argparse.ArgumentParser) -> None:
    """The options of ``engagement-bench generator``."""
    p.add_argument("--users", type=int, default=2_000_000)
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--start-date", default="2026-01-05")
    p.add_argument("--formats", default="parquet,jsonl")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--repeat", type=int, default=3, help="runs per format (best and median reported)")
    p.add_argument("--out", help="keep outputs and timings here (default: a temp dir, removed)")
    p.add_argument("--people-file", metavar="DIR",
                   help="also run every format with this people file (built there first unless it matches)")
    p.add_argument("--seed-scale", action="store_true",
                   help="the seed-scale day: --users 100000000 --days 1 --formats parquet --repeat 1, "
                        "with and without a people file (in --out, or the temp dir, unless --people-file)")


def run(a: argparse.Namespace) -> int:
    """Run each format, print a table."""
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="bench-gen-"))
    out.mkdir(parents=True, exist_ok=True)
    if a.seed_scale:
        a.users, a.days, a.formats, a.repeat = SEED_SCALE_USERS, 1, "parquet", 1
        a.people_file = a.people_file or str(out / "people")
    print(f"workload: --users {a.users:,} --days {a.days} --start-date {a.start_date} --seed 1 --faults default, "
          f"{os.cpu_count()} CPUs, {a.repeat} run(s) per format", flush=True)
    summary = []
    people = Path(a.people_file) if a.people_file else None
    variants = [(fmt.strip(), None) for fmt in a.formats.split(",")]
    try:
        if people:
            built = build_people(a, people)
            print(people_line(built, people), flush=True)
            summary.append({"people_file": str(people), **built})
            variants = [v for fmt, _ in variants for v in ((fmt, None), (fmt, people))]
        for fmt, with_people in variants:
            runs = []
            for rep in range(a.repeat):
                runs.append(bench_one(fmt, a, out, rep, with_people))
                print(line(runs[-1], f"run{rep + 1}"), flush=True)
            fmt = runs[-1]["format"]
            best = min(runs, key=lambda r: r["events_phase_s"])
            med = {k: statistics.median(r[k] for r in runs) for k in
                   ("events_per_s_phase", "events_per_s_total", "events_per_cpu_s", "peak_rss_mib")}
            print(line(best, "BEST"), flush=True)
            print(shard_line(best), flush=True)
            print(f"{fmt:8s} MEDIAN event-phase {med['events_per_s_phase']:,.0f} ev/s, total "
                  f"{med['events_per_s_total']:,.0f} ev/s, {med['events_per_cpu_s']:,.0f} ev/cpu-s, "
                  f"peak_rss {med['peak_rss_mib']:,.0f} MiB", flush=True)
            summary.append({"format": fmt, "best": best, "median": med, "runs": runs})
    finally:
        if not a.out:
            shutil.rmtree(out, ignore_errors=True)
    print(json.dumps(summary, indent=1))
    return 0
