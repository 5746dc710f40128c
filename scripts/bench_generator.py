#!/usr/bin/env python3
"""Benchmark the event generator: events/s per format, peak RSS, projection to 50M events/day.

    python scripts/bench_generator.py [--users 1000000] [--days 2] [--formats parquet,jsonl]
                                      [--workers 2] [--out DIR]

Each format runs ``generate_events.py --faults default --quiet`` in a subprocess; the
event-writing phase is timed by the generator itself (``--timings``), the whole run
here; events come from the run's manifest; peak RSS is ``ru_maxrss`` of the children.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "generate_events.py"
SEED_SCALE_EVENTS = 50_000_000


def bench_one(fmt: str, args: argparse.Namespace, out: Path) -> dict:
    """Run one format in a fresh subprocess and collect its figures."""
    target = out / fmt
    timings = out / f"timings-{fmt}.json"
    cmd = [sys.executable, str(SCRIPT), "--users", str(args.users), "--days", str(args.days),
           "--start-date", args.start_date, "--seed", "1", "--faults", "default", "--format", fmt,
           "--out", str(target), "--quiet", "--timings", str(timings)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = __import__("os").wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"generator failed for {fmt} (status {status})")
    manifest = json.loads((target / "_manifests" / "view_events__start__end.json").read_text())
    events = manifest["view_events"]["totals"]["lines"]
    phase = json.loads(timings.read_text())
    size = sum(p.stat().st_size for p in (target / "view_events").rglob("*") if p.is_file())
    return {"format": fmt, "events": events, "wall_s": wall, "events_phase_s": phase["shards_s"],
            "events_per_s_phase": events / phase["shards_s"], "events_per_s_total": events / wall,
            "peak_rss_mib": usage.ru_maxrss / 1024, "bytes": size, "workers": phase["workers"],
            "shards": phase["shards"],
            "projected_seed_day_s": SEED_SCALE_EVENTS / (events / wall)}


def main(argv: list[str] | None = None) -> int:
    """Parse options, run each format, print a table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--start-date", default="2026-01-05")
    p.add_argument("--formats", default="parquet,jsonl")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--out", help="keep outputs here (default: a temp dir, removed)")
    a = p.parse_args(argv)
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="bench-gen-"))
    rows = []
    try:
        for fmt in a.formats.split(","):
            rows.append(bench_one(fmt.strip(), a, out))
            r = rows[-1]
            print(f"{r['format']:8s} events={r['events']:,} workers={r['workers']} shards={r['shards']} "
                  f"event-phase={r['events_phase_s']:.1f}s ({r['events_per_s_phase']:,.0f} ev/s) "
                  f"total={r['wall_s']:.1f}s ({r['events_per_s_total']:,.0f} ev/s) "
                  f"peak_rss={r['peak_rss_mib']:,.0f} MiB size={r['bytes'] / 2**20:,.0f} MiB "
                  f"projected 50M-event day={r['projected_seed_day_s'] / 60:.1f} min", flush=True)
    finally:
        if not a.out:
            shutil.rmtree(out, ignore_errors=True)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
