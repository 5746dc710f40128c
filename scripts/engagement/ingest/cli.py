"""``engagement-ingest``: run one ingest batch over a landing zone and say what it did.

    engagement-ingest [--landing-dir DIR] [--now 2026-03-02T10:00] [--future-tolerance-minutes 60]

Exit status 0 also when there was nothing new; 1 with one line on a failure the operator
must act on (another ingest running, a changed hash key, an unwritable folder).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from engagement import settings
from engagement.cli import OneLineParser
from engagement.ingest import hashing
from engagement.ingest.batch import BatchSummary, HashKeyChanged, IngestConfig, ingest
from engagement.ingest.layout import ingest_dir_of
from engagement.ingest.manifest import IngestLocked

PROG = "engagement-ingest"


def utc_now() -> dt.datetime:
    """Naive UTC wall-clock time."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def ingest_landing(landing_dir: Path, now: dt.datetime | None = None,
                   future_tolerance: dt.timedelta = dt.timedelta(hours=1), threads: int | None = None) -> BatchSummary:
    """One ingest batch over ``landing_dir`` with the configured hash key (what every job calls)."""
    key = hashing.load_key(settings.HASH_KEY.value(), settings.HASH_KEY_FILE.path())
    cfg = IngestConfig(landing_dir=Path(landing_dir), ingest_dir=ingest_dir_of(landing_dir), hash_key=key,
                       now=now or utc_now(), future_tolerance=future_tolerance,
                       duckdb_threads=threads or int(settings.DUCKDB_THREADS.value()))
    return ingest(cfg)


def _parse_now(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``engagement-ingest``."""
    parser = OneLineParser(prog=PROG, description="Ingest new landing files into Parquet ingest batches.")
    parser.add_argument("--landing-dir", type=Path, default=settings.LANDING_DIR.path(),
                        help=f"landing zone (default ${settings.LANDING_DIR.name} or {settings.LANDING_DIR.default})")
    parser.add_argument("--now", help="the ingest clock, ISO 8601 UTC (default: the wall clock); "
                                      "files whose arrival partition starts later (plus the tolerance) wait")
    parser.add_argument("--future-tolerance-minutes", type=int, default=60,
                        help="how far past the clock an arrival partition may start (default 60)")
    args = parser.parse_args(argv)
    if not args.landing_dir.is_dir():
        parser.error(f"--landing-dir {args.landing_dir} is not a directory (run `make generate` first)")
    try:
        now = _parse_now(args.now) if args.now else None
    except ValueError:
        parser.error(f"--now must be an ISO 8601 timestamp (got {args.now!r})")
    if args.future_tolerance_minutes < 0:
        parser.error("--future-tolerance-minutes must be >= 0")
    try:
        summary = ingest_landing(args.landing_dir, now, dt.timedelta(minutes=args.future_tolerance_minutes))
    except (IngestLocked, HashKeyChanged, OSError, ValueError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    print(summary.line())
    return 0
