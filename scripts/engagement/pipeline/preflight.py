"""Pre-flight checks before a Make target calls dbt: one line that names the fix, not a dbt traceback.

    python -m engagement.pipeline.preflight --landing          # `make build`: landing files exist
    python -m engagement.pipeline.preflight --warehouse        # `make summary`: a warehouse exists

Each check prints ``preflight: error: <what is wrong>: <the fix>`` and the command exits 2
on the first failure; the warehouse is also checked for another process's lock (a running
``make stream`` or a second build), since DuckDB allows one writer per file. (Make variables
such as ``DEMO_USERS`` are checked by the Makefile itself, before anything is installed.)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from engagement import settings
from engagement.cli import OneLineParser
from engagement.ingest.layout import FORMATS

PROG = "preflight"


class PreflightError(RuntimeError):
    """A check failed; the message says what is wrong and how to fix it."""


def landing_files(landing_dir: Path) -> list[Path]:
    """The landed view-event files under ``landing_dir`` (its arrival partitions)."""
    root = landing_dir / "view_events"
    if not root.is_dir():
        return []
    return [path for path in root.glob("ingest_date=*/ingest_hour=*/*")
            if any(path.name.endswith(suffix) for suffix in FORMATS)]


def check_landing(landing_dir: Path) -> None:
    """The landing zone must hold view-event files for the ingest step and dbt to read."""
    if not landing_dir.is_dir():
        raise PreflightError(f"no landing zone at {landing_dir}: run `make generate` (or `make run`) first")
    if not landing_files(landing_dir):
        raise PreflightError(f"no landing files in {landing_dir}/view_events: run `make generate` "
                             "(or `make run`) first")


def check_warehouse(duckdb_path: Path, must_exist: bool) -> None:
    """The warehouse must exist (when ``must_exist``) and not be locked by another process."""
    if not duckdb_path.exists():
        if must_exist:
            raise PreflightError(f"no warehouse at {duckdb_path}: run `make run` (or `make build`) first")
        return
    import duckdb

    try:
        duckdb.connect(str(duckdb_path)).close()
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise PreflightError(f"cannot open the warehouse {duckdb_path}: {error}") from error
        holder = re.search(r"PID (\d+)", str(error))
        raise PreflightError(
            f"the warehouse {duckdb_path} is in use by another process"
            f"{f' (pid {holder.group(1)})' if holder else ''}: stop it (a running `make stream`, "
            "dashboard export or build) or wait for it to finish") from error


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog=PROG, description="Check what a Make target needs before it calls dbt.")
    parser.add_argument("--landing", action="store_true", help="the landing zone holds landing files")
    parser.add_argument("--warehouse", action="store_true", help="the warehouse exists")
    parser.add_argument("--landing-dir", type=Path, default=settings.LANDING_DIR.path())
    parser.add_argument("--duckdb-path", type=Path, default=settings.DUCKDB_PATH.path())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the requested checks; print one line and return 2 on the first failure."""
    args = _parser().parse_args(argv)
    try:
        if args.landing:
            check_landing(args.landing_dir)
        if args.landing or args.warehouse:
            check_warehouse(args.duckdb_path, must_exist=args.warehouse)
    except PreflightError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
