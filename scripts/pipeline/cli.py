"""Command line of the main job: generate the landing zone, build with dbt, summarise.

    python scripts/run_pipeline.py --users 30000 --days 60 --start-date 2026-01-01 --seed 42
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pipeline.dbt import PROJECT_DIR, DbtError, DbtTarget, run_dbt
from pipeline.summary import render_summary


class _OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (no usage dump), exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(
        prog="run_pipeline",
        description="Generate the demo event stream, build the dbt project, print the metrics.",
    )
    parser.add_argument("--users", type=int, default=30000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--start-date", default="2026-01-01")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--faults", choices=["none", "default"], default="default")
    parser.add_argument(
        "--landing-dir",
        type=Path,
        default=Path(os.environ.get("ENGAGEMENT_LANDING_DIR", "data/landing")),
    )
    parser.add_argument(
        "--duckdb-path",
        type=Path,
        default=Path(os.environ.get("ENGAGEMENT_DUCKDB_PATH", "data/warehouse.duckdb")),
    )
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    parser.add_argument("--skip-generate", action="store_true", help="use the landing zone as it is")
    parser.add_argument("--summary-only", action="store_true", help="only print the summary")
    return parser


def _generation_args(args: argparse.Namespace) -> list[str]:
    return [
        "--users", str(args.users), "--days", str(args.days), "--start-date", args.start_date,
        "--seed", str(args.seed), "--faults", args.faults,
    ]


def _generate(args: argparse.Namespace) -> None:
    """Generate the landing zone unless the same arguments already produced it."""
    stamp = args.landing_dir / "_generated_with.json"
    wanted = _generation_args(args)
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        print(f"landing zone {args.landing_dir} already generated with these arguments")
        return
    if stamp.exists() or args.landing_dir.exists():
        # Different arguments: start from a clean landing zone and warehouse.
        import shutil

        shutil.rmtree(args.landing_dir, ignore_errors=True)
        for suffix in ("", ".wal"):
            Path(str(args.duckdb_path) + suffix).unlink(missing_ok=True)
    command = [sys.executable, str(PROJECT_DIR / "scripts" / "generate_events.py"), *wanted,
               "--out", str(args.landing_dir)]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    print(f"generated landing zone in {time.perf_counter() - started:.1f}s")
    stamp.write_text(json.dumps(wanted))


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.users <= 0 or args.days <= 0:
        _parser().error("--users and --days must be positive")
    target = DbtTarget(duckdb_path=args.duckdb_path.resolve(), landing_dir=args.landing_dir.resolve())
    try:
        if not args.summary_only:
            if not args.skip_generate:
                _generate(args)
            args.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            build = ["build"] + (["--full-refresh"] if args.full_refresh else [])
            run_dbt(build, target, quiet=False)
            print(f"dbt build finished in {time.perf_counter() - started:.1f}s\n")
        if not args.duckdb_path.exists():
            raise FileNotFoundError(f"no warehouse at {args.duckdb_path}: run `make run` first")
        print(render_summary(args.duckdb_path))
    except FileNotFoundError as error:
        print(f"run_pipeline: error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"run_pipeline: error: event generation failed (exit {error.returncode})", file=sys.stderr)
        return 1
    except DbtError as error:
        print(f"run_pipeline: error: {error}", file=sys.stderr)
        return 1
    return 0
