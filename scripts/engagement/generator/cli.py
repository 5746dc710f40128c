"""Command line of the event generator (``engagement-generate``).

    engagement-generate --users N --days D --start-date YYYY-MM-DD --seed S \\
        --faults none|default --out DIR [--format jsonl|parquet] \\
        [--arrived-from TS] [--arrived-until TS] [--flush-minutes M] [--workers W] [--quiet] \\
        [--people-file DIR]
    engagement-generate people --users N --days D --start-date YYYY-MM-DD --seed S --out DIR \\
        [--shard-size K] [--history-days H] [--workers W] [--quiet]

Bad input exits with status 2 and one ``generate_events.py: error: ...`` line on stderr
(the messages keep the name the command had before it became an entry point).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path

from engagement.cli import OneLineParser, add_generation_options

from .people_file import PeopleFileError, build_people_file, check_manifest
from .runner import ARRIVAL_HORIZON_DAYS, RunConfig, run
from .service_calendar import DEFAULT_HISTORY_DAYS

#: Largest run the generator accepts. Beyond these the output is unbounded in practice
#: (a million days is 2,700 years of files; 10**12 users would need terabytes of memory
#: for the population alone), so the command refuses with one line instead of running
#: for hours or failing with a traceback. 10**9 users and ten years of days are far past
#: every benchmark of this project.
MAX_USERS = 1_000_000_000
MAX_DAYS = 3_660
MAX_HISTORY_DAYS = 36_600
#: Sign-ups are spread over the --history-days before --start-date and late arrivals over
#: the week after the last day: every date of a run stays between 1970-01-01 + history and
#: LATEST_END (and inside Python's dates).
EPOCH = dt.date(1970, 1, 1)
LATEST_END = dt.date(9999, 12, 31) - dt.timedelta(days=ARRIVAL_HORIZON_DAYS)

_TS = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(Z|\+00:00)?)?$")


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` -> date (raises ValueError)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def parse_timestamp_ms(text: str) -> int:
    """``YYYY-MM-DDTHH:MM[:SS][Z|+00:00]`` or ``YYYY-MM-DD`` (UTC) -> epoch ms."""
    m = _TS.match(text)
    if not m:
        raise ValueError(text)
    date = dt.date.fromisoformat(m.group(1))
    t = dt.datetime(date.year, date.month, date.day, int(m.group(2) or 0), int(m.group(3) or 0),
                    int(m.group(4) or 0), tzinfo=dt.timezone.utc)
    return int(t.timestamp()) * 1000


def writable_out(p: argparse.ArgumentParser, raw: str) -> Path:
    """``--out`` as a Path, created if needed; ``parser.error`` when it is not a writable directory."""
    out = Path(raw)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        p.error(f"--out {raw!r} is not a writable directory ({exc.strerror or exc})")
    return out


def build_parser() -> OneLineParser:
    """The argument parser (exposed for tests and docs)."""
    p = OneLineParser(prog="generate_events.py",
                      description="Generate synthetic streaming users, catalog and view events.")
    add_generation_options(p)
    p.add_argument("--out", required=True, help="landing directory")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl", help="file format")
    p.add_argument("--arrived-from", help="write records with ingested_at >= TS (UTC)")
    p.add_argument("--arrived-until", help="write records with ingested_at < TS (UTC)")
    p.add_argument("--flush-minutes", type=int, default=60, help="flush interval; must divide 60")
    p.add_argument("--workers", type=int, default=None, help="processes (default min(2, shards))")
    p.add_argument("--shard-size", type=int, default=500_000, help="users per shard (changes output)")
    p.add_argument("--history-days", type=int, default=DEFAULT_HISTORY_DAYS,
                   help=f"days the service ran before --start-date: sign-ups and lifetimes simulated, "
                        f"never landed (default {DEFAULT_HISTORY_DAYS}; changes output)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--timings", help="write wall-clock phase timings (JSON) to this path (benchmarks)")
    p.add_argument("--people-file", metavar="DIR",
                   help="load the population from a people file built by 'engagement-generate people' with "
                        "the same --users --start-date --days --seed --history-days --shard-size (same output, faster)")
    return p


def build_people_parser() -> OneLineParser:
    """The parser of ``engagement-generate people`` (build a people file once)."""
    p = OneLineParser(prog="generate_events.py people",
                      description="Build the people file of a run (population and lifecycle state at --start-date) "
                                  "for --people-file.")
    p.add_argument("--users", type=int, required=True, help="total users by the end of the run")
    p.add_argument("--days", type=int, required=True, help="simulated days of the runs that will use it")
    p.add_argument("--start-date", required=True, help="first simulated day, YYYY-MM-DD (UTC)")
    p.add_argument("--seed", type=int, required=True, help="random seed")
    p.add_argument("--out", required=True, help="people-file directory (created; an old people file there is replaced)")
    p.add_argument("--shard-size", type=int, default=500_000, help="users per shard (must match the runs)")
    p.add_argument("--history-days", type=int, default=DEFAULT_HISTORY_DAYS,
                   help=f"days the service ran before --start-date (default {DEFAULT_HISTORY_DAYS}; must match)")
    p.add_argument("--workers", type=int, default=None, help="processes (default min(2, shards))")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    return p


def _check_identity(p: argparse.ArgumentParser, a: argparse.Namespace) -> dt.date:
    """Validate the arguments that define a population; returns the start date."""
    if not 0 < a.users <= MAX_USERS:
        p.error(f"--users must be between 1 and {MAX_USERS:,} (got {a.users:,})")
    if not 0 < a.days <= MAX_DAYS:
        p.error(f"--days must be between 1 and {MAX_DAYS:,} (got {a.days:,})")
    if a.seed < 0:
        p.error(f"--seed must be >= 0 (got {a.seed})")
    if a.workers is not None and a.workers <= 0:
        p.error(f"--workers must be > 0 (got {a.workers})")
    if a.shard_size <= 0:
        p.error(f"--shard-size must be > 0 (got {a.shard_size})")
    if not 0 <= a.history_days <= MAX_HISTORY_DAYS:
        p.error(f"--history-days must be between 0 and {MAX_HISTORY_DAYS:,} (got {a.history_days:,})")
    earliest_start = EPOCH + dt.timedelta(days=a.history_days)
    try:
        start = parse_date(a.start_date)
    except ValueError:
        p.error(f"--start-date must be YYYY-MM-DD (got {a.start_date!r})")
    if start < earliest_start or start > LATEST_END - dt.timedelta(days=a.days):
        p.error(f"--start-date {a.start_date} with --days {a.days}: the run must lie between "
                f"{earliest_start} and {LATEST_END} (sign-up history before it, late arrivals after it)")
    return start


def config_from_args(argv: list[str] | None = None) -> RunConfig:
    """Parse and validate arguments; calls ``parser.error`` on bad input."""
    p = build_parser()
    a = p.parse_args(argv)
    if a.flush_minutes <= 0 or 60 % a.flush_minutes:
        p.error(f"--flush-minutes must divide 60 (got {a.flush_minutes})")
    start = _check_identity(p, a)
    bounds = {}
    for name in ("arrived_from", "arrived_until"):
        raw = getattr(a, name)
        if raw is None:
            bounds[name] = None
            continue
        flag = "--" + name.replace("_", "-")
        try:
            bounds[name] = parse_timestamp_ms(raw)
        except ValueError:
            p.error(f"{flag} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z] in UTC (got {raw!r})")
        if bounds[name] % (a.flush_minutes * 60_000):
            p.error(f"{flag} {raw!r} is not aligned to the {a.flush_minutes}-minute flush interval")
    if bounds["arrived_from"] is not None and bounds["arrived_until"] is not None \
            and bounds["arrived_from"] >= bounds["arrived_until"]:
        p.error("--arrived-from must be earlier than --arrived-until")
    out = writable_out(p, a.out)
    cfg = RunConfig(users=a.users, days=a.days, start_date=start, seed=a.seed, faults=a.faults,
                    out=out, fmt=a.format, arrived_from_ms=bounds["arrived_from"],
                    arrived_until_ms=bounds["arrived_until"], flush_minutes=a.flush_minutes,
                    shard_size=a.shard_size, workers=a.workers, quiet=a.quiet, timings=a.timings,
                    history_days=a.history_days, people_file=a.people_file)
    if cfg.people_file:
        try:
            check_manifest(cfg.people_file, cfg)
        except PeopleFileError as exc:
            p.error(str(exc))
    return cfg


def people_config_from_args(argv: list[str]) -> RunConfig:
    """Parse and validate ``engagement-generate people`` arguments (``out`` = the people directory)."""
    p = build_people_parser()
    a = p.parse_args(argv)
    start = _check_identity(p, a)
    out = writable_out(p, a.out)
    return RunConfig(users=a.users, days=a.days, start_date=start, seed=a.seed, faults="none", out=out,
                     shard_size=a.shard_size, workers=a.workers, quiet=a.quiet, history_days=a.history_days)


def people_main(argv: list[str]) -> int:
    """``engagement-generate people ...``: build a people file, print a one-line summary."""
    cfg = people_config_from_args(argv)
    manifest = build_people_file(cfg)
    if not cfg.quiet:
        size = sum(s["bytes"] for s in manifest["shards"])
        print(f"wrote the people file of {cfg.users} users ({len(manifest['shards'])} shards, "
              f"{size / 2**20:,.1f} MiB) to {os.fspath(cfg.out)}", file=sys.stderr)
    return 0


def run_in_process(argv: list[str]) -> int:
    """Run the generator's command line in this process; return its exit status.

    For callers that generate before they build (the main job, the stream runner's
    history). A bad argument prints the usual one-line error and returns 2; an
    unexpected failure prints its traceback, as a crashed generator process would,
    and returns 1.
    """
    try:
        return main(argv)
    except SystemExit as stop:  # parser.error: the one-line message is already on stderr
        if stop.code is None:
            return 0
        return stop.code if isinstance(stop.code, int) else 1
    except Exception:  # noqa: BLE001 (reported by the caller as the generation failing)
        traceback.print_exc()
        return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``engagement-generate``: parse, run, print a one-line summary to stderr."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["people"]:
        return people_main(argv[1:])
    cfg = config_from_args(argv)
    try:
        manifest = run(cfg)
    except PeopleFileError as exc:  # a damaged shard or a population of other code, found while running
        print(f"generate_events.py: error: {exc}", file=sys.stderr)
        return 2
    totals = manifest["view_events"]["totals"]
    if not cfg.quiet:
        print(f"wrote {totals['lines']} view-event lines ({totals['valid']} valid) in "
              f"{len(manifest['view_events']['files'])} files, {manifest['users']['records']} user records "
              f"to {os.fspath(cfg.out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # ``python -m engagement.generator.cli`` (benchmarks time it in a fresh process)
    sys.exit(main())
