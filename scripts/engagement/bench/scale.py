"""Benchmark the pipeline at scale: one incremental day per phase, flat cost over history, MAU both ways.

    engagement-bench scale --scale {1m,10m,seed} [--users N] [--sweep-users N]
                           [--history 7,30,90] [--landing-from DIR --split-at TS]
                           [--workdir DIR] [--out data/bench] [--skip-sweep] [--skip-scale]

Two warehouses are built, each from the real generator through the real ingest step and
dbt project (``dbt build`` without tests, one subprocess per phase so that every phase
has its own wall time, CPU time and peak RSS from ``wait4``):

* **the scale day**: ``--users`` users (the preset's), two simulated days. The first day
  is ingested and built (the history), then the second day is ingested and built
  incrementally, phase by phase: generate (pro rata of the generator run), ingest, stage,
  facts, dimensions, status, rollup, analysis marts. ``--landing-from`` uses an existing
  landing zone instead (its files are linked, never written): arrivals before
  ``--split-at`` are the history, the rest the incremental batch.
* **the history sweep**: ``--sweep-users`` users over ``max(history) + 1`` days. The
  warehouse is built up to day H and then day H+1 is built incrementally and timed, for
  each H in ``--history``; the ratio day-90 / day-7 says whether the daily cost is flat.
  On the same warehouse, three answers are computed side by side, each twice and timed:
  (a) MAU of the newest day from the cumulative models vs ``COUNT(DISTINCT user_id)``
  over its 30 days of events, (b) the same in chDB (ClickHouse's embedded engine) over
  the facts exported to Parquet, (c) the DAU/WAU/MAU series of the last 90 days.

Sizes: bytes per landed view event in the landing zone and in the ingest batches, and
per valid event of each fact table exported to Parquet (zstd, partitioned by
``activity_date``), plus the warehouse file. ``EXPLAIN`` of a 30-day query over the
exported events shows the partition pruning (files read of files present).

Prints a table and writes ``<out>/scale-<preset>-<UTC time>.json``. Wall times on a shared
machine are noisy: compare CPU seconds, and ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from engagement import settings
from engagement.pipeline.dbt import DbtTarget
from engagement.settings import PROJECT_DIR

#: Phases of one build, in DAG order: name -> dbt selection (``None``: everything not selected before).
PHASES: tuple[tuple[str, str | None], ...] = (
    ("stage", "path:models/staging"),
    ("facts", "fct_view_events fct_daily_activity fct_daily_platform_activity"),
    ("status", "int_user_activity_states dim_daily_user_status"),
    ("rollup", "fct_active_user_fast"),
    # dim_user reads the newest status day, so the dimensions come after the status.
    ("dimensions", "resource_type:seed resource_type:snapshot dim_user dim_media"),
    ("analysis_marts", None),
)

#: Fact tables whose size per event is reported (exported to Parquet, partitioned by activity_date).
FACT_TABLES: tuple[str, ...] = ("fct_view_events", "fct_daily_activity", "fct_daily_platform_activity",
                                "dim_daily_user_status", "fct_active_user_fast")


@dataclass(frozen=True)
class Preset:
    """Sizes of one benchmark preset."""

    users: int
    sweep_users: int
    memory: str
    description: str


PRESETS: dict[str, Preset] = {
    "1m": Preset(1_000_000, 30_000, "6GB", "1M users (~420k events/day); sweep at 30k users; ~5 min"),
    "10m": Preset(10_000_000, 100_000, "10GB", "10M users (~4.2M events/day); sweep at 100k users; ~15-25 min"),
    "seed": Preset(100_000_000, 300_000, "12GB",
                   "100M users (~42M events/day, 13 GB of Parquet landing per day, ~60 GB free disk "
                   "for landing + ingest batches + warehouse); sweep at 300k users; hours on 2 cores"),
}

START_DATE = dt.date(2026, 3, 2)
SEED = 1


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``engagement-bench scale``."""
    p.add_argument("--scale", choices=sorted(PRESETS), default="1m",
                   help="preset: " + "; ".join(f"{k}: {v.description}" for k, v in PRESETS.items()))
    p.add_argument("--users", type=int, help="users of the scale day (default: the preset's)")
    p.add_argument("--sweep-users", type=int, help="users of the history sweep (default: the preset's)")
    p.add_argument("--history", default="7,30,90", help="history lengths in days of the sweep (default 7,30,90)")
    p.add_argument("--landing-from", type=Path,
                   help="use this landing zone for the scale day instead of generating (linked, not written)")
    p.add_argument("--split-at", help="with --landing-from: arrivals before this UTC time are the history "
                                      "(default: noon of the first arrival day)")
    p.add_argument("--memory", help="DuckDB memory_limit for dbt (default: the preset's)")
    p.add_argument("--workdir", type=Path, help="where data is built (default data/bench/work-<preset>; kept)")
    p.add_argument("--out", type=Path, default=PROJECT_DIR / "data" / "bench", help="JSON output folder")
    p.add_argument("--skip-scale", action="store_true", help="only the history sweep and the MAU comparisons")
    p.add_argument("--skip-sweep", action="store_true", help="only the scale day")
    p.add_argument("--repeat", type=int, default=3, help="runs of each comparison query (best is kept)")


# --------------------------------------------------------------------------- processes


@dataclass
class Measured:
    """Wall and CPU seconds and peak RSS of one subprocess (``wait4``)."""

    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    model_s: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def run_measured(name: str, command: Sequence[str], env: dict[str, str], log: Path) -> Measured:
    """Run ``command`` to completion, its output appended to ``log``; raise SystemExit on failure."""
    with log.open("a") as fh:
        fh.write(f"\n$ {' '.join(command)}\n")
        fh.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(list(command), env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=PROJECT_DIR)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"engagement-bench scale: {name} failed (exit status {status >> 8}); see {log}")
    measured = Measured(name, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    # Progress, one JSON line per step: a long run that is stopped still leaves its figures.
    with log.with_name("progress.jsonl").open("a") as fh:
        fh.write(json.dumps({"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                             **asdict(measured)}) + "\n")
    return measured


class Pipeline:
    """One warehouse fed from one landing zone: ingest and dbt phases as measured subprocesses."""

    def __init__(self, root: Path, landing: Path, memory: str) -> None:
        self.root = root
        self.landing = landing
        self.warehouse = root / "warehouse.duckdb"
        self.target_path = root / "target"
        self.log = root / "bench.log"
        self.env = {**os.environ,
                    **DbtTarget(self.warehouse, landing).environment(),
                    settings.DUCKDB_MEMORY.name: memory,
                    settings.HASH_KEY_FILE.name: str(root / "hash.key")}

    def ingest(self, until: dt.datetime) -> Measured:
        """One ingest batch of the files whose arrival partition starts before ``until``."""
        clock = until - dt.timedelta(minutes=1)  # a partition starting exactly at ``until`` waits
        return run_measured("ingest", [_bin("engagement-ingest"), "--landing-dir", str(self.landing),
                                       "--now", clock.isoformat(), "--future-tolerance-minutes", "0"],
                            self.env, self.log)

    def last_batch_lines(self) -> int:
        """View-event lines of the newest ingest batch."""
        batches = sorted((self.landing / "_ingest" / "batches").glob("ingest_batch_id=*"))
        with duckdb.connect() as con:
            return con.execute(f"select count(*) from read_parquet('{batches[-1]}/view_events-*.parquet')").fetchone()[0]

    def dbt_build(self, name: str, select: str | None, exclude: str | None = None,
                  extra: Sequence[str] = ()) -> Measured:
        """``dbt build`` (no tests) of a selection; model_s is the sum of the nodes' execution times."""
        command = [_bin("dbt"), "--quiet", "build", "--exclude-resource-type", "test",
                   "--exclude-resource-type", "unit_test", "--target-path", str(self.target_path), *extra]
        if select:
            command += ["--select", *select.split()]
        if exclude:
            command += ["--exclude", *exclude.split()]
        measured = run_measured(name, command, self.env, self.log)
        results = json.loads((self.target_path / "run_results.json").read_text())["results"]
        nodes = {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results}
        measured.model_s = sum(nodes.values())
        measured.detail["slowest_nodes"] = dict(sorted(nodes.items(), key=lambda kv: -kv[1])[:5])
        measured.detail["nodes"] = nodes  # every node's seconds: per-model ratios across history lengths
        return measured

    def build_phases(self) -> list[Measured]:
        """One incremental build, phase by phase (:data:`PHASES`)."""
        done: list[str] = []
        measured = []
        for name, select in PHASES:
            if select is None:
                measured.append(self.dbt_build(name, None, exclude=" ".join(done)))
            else:
                measured.append(self.dbt_build(name, select))
                done.append(select)
        return measured

    def build_all(self, name: str = "build") -> Measured:
        """One build of everything in one dbt process (the history before a timed day)."""
        return self.dbt_build(name, None)


def generate(out: Path, users: int, days: int, log: Path) -> tuple[Measured, int]:
    """Run the generator (Parquet landing, default faults); returns its figures and the view-event lines."""
    command = [_bin("engagement-generate"), "--users", str(users), "--days", str(days),
               "--start-date", START_DATE.isoformat(), "--seed", str(SEED), "--faults", "default",
               "--format", "parquet", "--out", str(out), "--quiet"]
    measured = run_measured("generate", command, dict(os.environ), log)
    lines = 0
    for manifest in (out / "_manifests").glob("view_events__*.json"):
        lines += json.loads(manifest.read_text())["view_events"]["totals"]["lines"]
    measured.detail["events"] = lines
    measured.detail["events_per_s"] = lines / measured.wall_s
    return measured, lines


def link_landing(source: Path, target: Path) -> None:
    """Mirror ``source``'s landing files under ``target`` as symbolic links (the source is never written)."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if relative.parts and relative.parts[0].startswith("_"):
            continue  # manifests and ingest batches of the source are not landing files
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.symlink_to(path.resolve())


# --------------------------------------------------------------------------- sizes


def _tree_bytes(path: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in path.rglob(pattern) if p.is_file() or p.is_symlink())


def export_facts(warehouse: Path, out: Path) -> dict[str, dict[str, Any]]:
    """Export each fact table to Parquet (zstd, one folder per activity_date); sizes and rows."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    sizes = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set preserve_insertion_order = false")
        for table in FACT_TABLES:
            folder = out / table
            rows = con.execute(f"select count(*) from main.{table}").fetchone()[0]
            start = time.perf_counter()
            con.execute(f"copy (select * from main.{table}) to '{folder}' "
                        "(format parquet, compression zstd, partition_by (activity_date), "
                        "write_partition_columns true, overwrite_or_ignore true)")
            sizes[table] = {"rows": rows, "bytes": _tree_bytes(folder, "*.parquet"),
                            "files": len(list(folder.rglob("*.parquet"))),
                            "export_s": round(time.perf_counter() - start, 2)}
    return sizes


def size_report(landing: Path, warehouse: Path, facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Bytes per event in the landing zone, the ingest batches, each exported fact table and the warehouse."""
    batches = landing / "_ingest" / "batches"
    with duckdb.connect() as con:
        landed = con.execute(f"select count(*) from read_parquet('{batches}/*/view_events-*.parquet')").fetchone()[0]
    valid = facts["fct_view_events"]["rows"]
    landing_bytes = _tree_bytes(landing / "view_events")
    ingest_bytes = _tree_bytes(batches, "view_events-*.parquet")
    report: dict[str, Any] = {
        "landed_view_event_lines": landed,
        "valid_view_events": valid,
        "landing_bytes_per_line": landing_bytes / landed,
        "ingest_batch_bytes_per_line": ingest_bytes / landed,
        "warehouse_file_bytes_per_valid_event": warehouse.stat().st_size / valid,
        "tables": {},
    }
    for table, info in facts.items():
        report["tables"][table] = {**info, "bytes_per_valid_event": info["bytes"] / valid,
                                   "bytes_per_row": info["bytes"] / max(info["rows"], 1)}
    return report


# --------------------------------------------------------------------------- MAU both ways


def _best(run: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    best = float("inf")
    answer = None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = run()
        best = min(best, time.perf_counter() - start)
    return answer, best


def _parquet(folder: Path) -> str:
    return f"{folder}/*/*.parquet"


def compare_mau(warehouse: Path, exported: Path, repeat: int) -> dict[str, Any]:
    """(a) DuckDB, (b) chDB: MAU of the newest day; (c) the 90-day DAU/WAU/MAU series; each both ways."""
    events = _parquet(exported / "fct_view_events")
    status = _parquet(exported / "dim_daily_user_status")
    result: dict[str, Any] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        day = con.execute("select max(activity_date) from main.fct_active_user_fast").fetchone()[0]
        first = day - dt.timedelta(days=29)
        series_from = day - dt.timedelta(days=89)
        cumulative_sql = f"select mau from main.fct_active_user_fast where activity_date = date '{day}'"
        status_sql = (f"select count(*) from main.dim_daily_user_status "
                      f"where activity_date = date '{day}' and is_monthly_active")
        naive_sql = (f"select count(distinct user_id) from main.fct_view_events where is_qualifying_playback "
                     f"and activity_date between date '{first}' and date '{day}'")
        cumulative, t_cumulative = _best(lambda: con.execute(cumulative_sql).fetchone()[0], repeat)
        from_status, t_status = _best(lambda: con.execute(status_sql).fetchone()[0], repeat)
        naive, t_naive = _best(lambda: con.execute(naive_sql).fetchone()[0], repeat)
        result["day"] = str(day)
        result["a_duckdb"] = {
            "mau_rollup": cumulative, "mau_status": from_status, "mau_count_distinct": naive,
            "equal": cumulative == from_status == naive,
            "rollup_s": t_cumulative, "status_s": t_status, "count_distinct_s": t_naive,
            "ratio_count_distinct_over_status": t_naive / t_status,
            "ratio_count_distinct_over_rollup": t_naive / t_cumulative,
        }
        series_cumulative_sql = (f"select activity_date, dau, wau, mau from main.fct_active_user_fast "
                                 f"where activity_date >= date '{series_from}' order by 1")
        series_naive_sql = f"""
            with active_days as (
                select distinct user_id, activity_date from main.fct_view_events
                where is_qualifying_playback and activity_date > date '{series_from}' - 30
            ),
            covered as (
                select user_id, activity_date + cast(k.k as integer) as day, k.k as age
                from active_days cross join range(30) as k(k)
            )
            select day as activity_date,
                count(distinct case when age = 0 then user_id end) as dau,
                count(distinct case when age < 7 then user_id end) as wau,
                count(distinct user_id) as mau
            from covered where day between date '{series_from}' and date '{day}'
            group by 1 order by 1"""
        series_cumulative, t_sc = _best(lambda: con.execute(series_cumulative_sql).fetchall(), repeat)
        series_naive, t_sn = _best(lambda: con.execute(series_naive_sql).fetchall(), repeat)
        result["c_duckdb_series"] = {
            "days": len(series_cumulative), "equal": series_cumulative == series_naive,
            "rollup_s": t_sc, "count_distinct_s": t_sn, "ratio": t_sn / t_sc,
        }
        explain = con.execute(f"explain analyze select count(distinct user_id) from read_parquet('{events}', "
                              f"hive_partitioning = true) where activity_date between date '{first}' "
                              f"and date '{day}'").fetchall()
    plan = "\n".join(row[-1] for row in explain)
    files = re.search(r"Scanning Files:\s*(\d+)\s*/\s*(\d+)", plan)
    result["explain_partition_pruning"] = {
        "query": f"count(distinct user_id) over exported fct_view_events, activity_date {first}..{day}",
        "files_scanned": f"{files.group(1)}/{files.group(2)}" if files else "not shown by this DuckDB",
        "plan_lines": [line for line in plan.splitlines() if re.search(r"File|Filter|activity_date|Files", line)][:12],
    }
    result.update(_compare_chdb(events, status, day, first, series_from, repeat))
    return result


def _compare_chdb(events: str, status: str, day: dt.date, first: dt.date, series_from: dt.date,
                  repeat: int) -> dict[str, Any]:
    """(b) and (c) in chDB over the same Parquet files; a one-line reason when chDB is missing."""
    try:
        import chdb  # noqa: PLC0415 - optional: only this benchmark needs it
    except ImportError as error:
        return {"b_chdb": {"error": f"chdb not installed ({error}); pip install chdb"}}
    session = chdb.session.Session() if hasattr(chdb, "session") else None
    query = (lambda sql: session.query(sql, "CSV")) if session else (lambda sql: chdb.query(sql, "CSV"))

    def scalar(sql: str) -> int:
        return int(str(query(sql)).strip())

    status_sql = (f"select count() from file('{status}', Parquet) "
                  f"where activity_date = toDate('{day}') and is_monthly_active")
    naive_sql = (f"select uniqExact(user_id) from file('{events}', Parquet) where is_qualifying_playback "
                 f"and activity_date between toDate('{first}') and toDate('{day}')")
    from_status, t_status = _best(lambda: scalar(status_sql), repeat)
    naive, t_naive = _best(lambda: scalar(naive_sql), repeat)
    series_sql = f"""
        select day, uniqExactIf(user_id, age = 0), uniqExactIf(user_id, age < 7), uniqExact(user_id)
        from (
            select user_id, activity_date + age as day, age
            from (select distinct user_id, activity_date from file('{events}', Parquet)
                  where is_qualifying_playback and activity_date > toDate('{series_from}') - 30)
            array join range(30) as age
        )
        where day between toDate('{series_from}') and toDate('{day}')
        group by day order by day"""
    series, t_series = _best(lambda: str(query(series_sql)), repeat)
    status_series_sql = (f"select activity_date, countIf(is_active), countIf(is_weekly_active), "
                         f"countIf(is_monthly_active) from file('{status}', Parquet) where activity_date >= "
                         f"toDate('{series_from}') group by activity_date order by activity_date")
    status_series, t_status_series = _best(lambda: str(query(status_series_sql)), repeat)
    return {
        "b_chdb": {"mau_status": from_status, "mau_count_distinct": naive, "equal": from_status == naive,
                   "status_s": t_status, "count_distinct_s": t_naive, "ratio": t_naive / t_status},
        "c_chdb_series": {"equal": series.replace('"', "") == status_series.replace('"', ""),
                          "status_s": t_status_series, "count_distinct_s": t_series,
                          "ratio": t_series / t_status_series},
    }


# --------------------------------------------------------------------------- the two runs


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def scale_day(args: argparse.Namespace, preset: Preset, root: Path) -> dict[str, Any]:
    """History (day 1) then one incremental day (day 2), phase by phase, at ``--users`` users."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    landing = root / "landing"
    users = args.users or preset.users
    report: dict[str, Any] = {"users": users}
    if args.landing_from:
        link_landing(args.landing_from, landing)
        first_day = min(dt.date.fromisoformat(p.name.split("=")[1])
                        for p in (landing / "view_events").glob("ingest_date=*"))
        split = (dt.datetime.fromisoformat(args.split_at).replace(tzinfo=None) if args.split_at
                 else _midnight(first_day) + dt.timedelta(hours=12))
        until = split + dt.timedelta(days=30)  # every later arrival is the incremental batch
        report["landing_from"] = str(args.landing_from)
        report["split_at"] = split.isoformat()
        generated = None
    else:
        generated, _ = generate(landing, users, 2, root / "bench.log")
        split = _midnight(START_DATE + dt.timedelta(days=1))
        until = _midnight(START_DATE + dt.timedelta(days=2))
    pipeline = Pipeline(root, landing, args.memory or preset.memory)
    report["history_ingest"] = asdict(pipeline.ingest(split))
    report["history_build"] = asdict(pipeline.build_all("history_build"))
    phases = [pipeline.ingest(until)]
    new_lines = pipeline.last_batch_lines()
    phases += pipeline.build_phases()
    facts = export_facts(pipeline.warehouse, root / "exported")
    sizes = size_report(landing, pipeline.warehouse, facts)
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as con:
        report["status_users"] = con.execute("select count(distinct user_id) from main.dim_daily_user_status "
                                             "where activity_date = (select max(activity_date) "
                                             "from main.dim_daily_user_status)").fetchone()[0]
    report["incremental_lines"] = new_lines
    if generated is not None:
        share = new_lines / max(generated.detail["events"], 1)
        report["generator_run"] = asdict(generated)
        phases.insert(0, Measured("generate", generated.wall_s * share, generated.cpu_s * share,
                                  generated.peak_rss_mib, detail={"pro_rata_of_run_s": generated.wall_s}))
    report["phases"] = [asdict(m) for m in phases]
    report["total_wall_s"] = sum(m.wall_s for m in phases)
    report["total_cpu_s"] = sum(m.cpu_s for m in phases)
    report["peak_rss_mib"] = max(m.peak_rss_mib for m in phases)
    report["sizes"] = sizes
    return report


def growing_models(low: list[dict[str, Any]], high: list[dict[str, Any]], top: int = 8) -> list[dict[str, Any]]:
    """The models slowest at the longest history, with their seconds at the shortest and the ratio."""
    def seconds(phases: list[dict[str, Any]]) -> dict[str, float]:
        return {node: s for p in phases for node, s in p.get("detail", {}).get("nodes", {}).items()}
    short, long = seconds(low), seconds(high)
    rows = [{"model": node, "short_s": short.get(node), "long_s": s,
             "ratio": s / short[node] if short.get(node) else None}
            for node, s in long.items() if not node.startswith("streaming_engagement-on-run")]
    return sorted(rows, key=lambda r: -r["long_s"])[:top]


def history_sweep(args: argparse.Namespace, preset: Preset, root: Path) -> dict[str, Any]:
    """The incremental day at each history length, then the MAU comparisons on the longest one."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    histories = sorted(int(h) for h in args.history.split(","))
    users = args.sweep_users or preset.sweep_users
    landing = root / "landing"
    generated, _ = generate(landing, users, histories[-1] + 1, root / "bench.log")
    pipeline = Pipeline(root, landing, args.memory or preset.memory)
    days: dict[str, Any] = {}
    for history in histories:
        pipeline.ingest(_midnight(START_DATE + dt.timedelta(days=history)))
        pipeline.build_all(f"catch_up_to_{history}")
        phases = [pipeline.ingest(_midnight(START_DATE + dt.timedelta(days=history + 1)))]
        phases += pipeline.build_phases()
        days[str(history)] = {"phases": [asdict(m) for m in phases],
                              "wall_s": sum(m.wall_s for m in phases), "cpu_s": sum(m.cpu_s for m in phases),
                              "model_s": sum(m.model_s or 0 for m in phases),
                              "peak_rss_mib": max(m.peak_rss_mib for m in phases)}
    low, high = days[str(histories[0])], days[str(histories[-1])]
    report: dict[str, Any] = {
        "users": users, "generator_run": asdict(generated), "days": days,
        "ratio_label": f"day{histories[-1]}/day{histories[0]}",
        "ratio_model_s": high["model_s"] / low["model_s"], "ratio_cpu_s": high["cpu_s"] / low["cpu_s"],
        "ratio_wall_s": high["wall_s"] / low["wall_s"],
        "growing_models": growing_models(low["phases"], high["phases"]),
    }
    facts = export_facts(pipeline.warehouse, root / "exported")
    report["sizes"] = size_report(landing, pipeline.warehouse, facts)
    report["mau"] = compare_mau(pipeline.warehouse, root / "exported", args.repeat)
    return report


# --------------------------------------------------------------------------- output


def _phase_table(phases: list[dict[str, Any]]) -> list[str]:
    lines = [f"  {'phase':<16}{'wall s':>9}{'cpu s':>9}{'model s':>9}{'peak MiB':>10}"]
    for m in phases:
        model = f"{m['model_s']:.1f}" if m.get("model_s") is not None else "-"
        lines.append(f"  {m['name']:<16}{m['wall_s']:>9.1f}{m['cpu_s']:>9.1f}{model:>9}{m['peak_rss_mib']:>10.0f}")
    return lines


def render(report: dict[str, Any]) -> str:
    """The printed table."""
    out = [f"engagement-bench scale --scale {report['preset']}  ({report['started_at']}, "
           f"load {report['load_avg_1m_before']:.1f})"]
    if "scale_day" in report:
        s = report["scale_day"]
        out.append(f"\nIncremental day at {s['users']:,} users ({s['incremental_lines']:,} new view-event lines; "
                   f"{s['status_users']:,} users in the status state):")
        out += _phase_table(s["phases"])
        out.append(f"  {'total':<16}{s['total_wall_s']:>9.1f}{s['total_cpu_s']:>9.1f}{'':>9}{s['peak_rss_mib']:>10.0f}")
        out += _size_lines(s["sizes"])
    if "history_sweep" in report:
        h = report["history_sweep"]
        out.append(f"\nIncremental day by history length at {h['users']:,} users (dbt build, no tests):")
        out.append(f"  {'history':<10}{'wall s':>9}{'cpu s':>9}{'model s':>9}{'peak MiB':>10}")
        for history, d in h["days"].items():
            out.append(f"  {history + ' d':<10}{d['wall_s']:>9.1f}{d['cpu_s']:>9.1f}{d['model_s']:>9.1f}"
                       f"{d['peak_rss_mib']:>10.0f}")
        out.append(f"  ratio {h['ratio_label']}: model s {h['ratio_model_s']:.2f}, cpu s {h['ratio_cpu_s']:.2f}, "
                   f"wall s {h['ratio_wall_s']:.2f}")
        if h.get("growing_models"):
            out.append(f"  slowest models at the longest history ({h['ratio_label']} of each):")
            out += [f"    {r['model']:<40}{r['short_s'] or 0:>7.2f} ->{r['long_s']:>7.2f} s"
                    + (f"  {r['ratio']:.2f}x" if r["ratio"] else "") for r in h["growing_models"]]
        last = list(h["days"].values())[-1]
        out.append("  phases of the longest history:")
        out += _phase_table(last["phases"])
        out += _size_lines(h["sizes"])
        m = h["mau"]
        a, c = m["a_duckdb"], m["c_duckdb_series"]
        out.append(f"\nMAU of {m['day']} (same run, same data; best of {report['repeat']}):")
        out.append(f"  (a) DuckDB  count distinct {a['mau_count_distinct']:,} in {a['count_distinct_s'] * 1e3:.1f} ms; "
                   f"status {a['mau_status']:,} in {a['status_s'] * 1e3:.1f} ms; rollup {a['mau_rollup']:,} in "
                   f"{a['rollup_s'] * 1e3:.2f} ms; equal {a['equal']}; ratio {a['ratio_count_distinct_over_status']:.1f}x "
                   f"(vs rollup {a['ratio_count_distinct_over_rollup']:.0f}x)")
        b = m["b_chdb"]
        if "error" in b:
            out.append(f"  (b) chDB    {b['error']}")
        else:
            out.append(f"  (b) chDB    count distinct {b['mau_count_distinct']:,} in {b['count_distinct_s'] * 1e3:.1f} ms; "
                       f"status {b['mau_status']:,} in {b['status_s'] * 1e3:.1f} ms; equal {b['equal']}; "
                       f"ratio {b['ratio']:.1f}x")
        out.append(f"  (c) DuckDB  {c['days']}-day DAU/WAU/MAU series: count distinct {c['count_distinct_s'] * 1e3:.0f} ms, "
                   f"rollup {c['rollup_s'] * 1e3:.2f} ms; equal {c['equal']}; ratio {c['ratio']:.0f}x")
        if "c_chdb_series" in m:
            cc = m["c_chdb_series"]
            out.append(f"  (c) chDB    series: count distinct {cc['count_distinct_s'] * 1e3:.0f} ms, status "
                       f"{cc['status_s'] * 1e3:.0f} ms; equal {cc['equal']}; ratio {cc['ratio']:.1f}x")
        e = m["explain_partition_pruning"]
        out.append(f"  EXPLAIN ANALYZE {e['query']}: files scanned {e['files_scanned']}")
    return "\n".join(out)


def _size_lines(sizes: dict[str, Any]) -> list[str]:
    lines = [f"  bytes per landed line: landing {sizes['landing_bytes_per_line']:.1f}, ingest batches "
             f"{sizes['ingest_batch_bytes_per_line']:.1f}; warehouse file per valid event "
             f"{sizes['warehouse_file_bytes_per_valid_event']:.1f}",
             "  per valid event, exported Parquet (zstd): " + ", ".join(
                 f"{t} {v['bytes_per_valid_event']:.2f}" for t, v in sizes["tables"].items())]
    return lines


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; print the table and write the JSON report."""
    if args.landing_from and not args.landing_from.is_dir():
        raise SystemExit(f"engagement-bench scale: --landing-from {args.landing_from} is not a directory")
    if args.split_at and not args.landing_from:
        raise SystemExit("engagement-bench scale: --split-at needs --landing-from")
    preset = PRESETS[args.scale]
    workdir = args.workdir or PROJECT_DIR / "data" / "bench" / f"work-{args.scale}"
    started = dt.datetime.now(dt.timezone.utc)
    report: dict[str, Any] = {"preset": args.scale, "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "load_avg_1m_before": os.getloadavg()[0], "cpus": os.cpu_count(),
                              "memory_limit": args.memory or preset.memory, "repeat": args.repeat}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"scale-{args.scale}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    # The report is rewritten after each part, so a run stopped in the sweep keeps the scale day.
    if not args.skip_scale:
        report["scale_day"] = scale_day(args, preset, workdir / "scale")
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    if not args.skip_sweep:
        report["history_sweep"] = history_sweep(args, preset, workdir / "sweep")
    report["load_avg_1m_after"] = os.getloadavg()[0]
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(render(report))
    print(f"\nwritten: {path}")
    return 0
