"""Command line of the main job: generate the landing zone, build with dbt, summarise.

    engagement-run --users 30000 --days 60 --start-date 2026-01-01 --seed 42 --faults default
    engagement-summary [--duckdb-path FILE]      # the summary of an existing warehouse only

The generator runs in this process (``engagement.generator.cli.main``), before dbt is
imported. dbt's progress is a line per tenth of the nodes and a line per layer
(:mod:`engagement.pipeline.progress`; ``--verbose`` prints dbt's own log lines); the full
log is dbt's ``logs/dbt.log``. Error lines keep the prefix ``run_pipeline:`` the job has
always printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from engagement import settings
from engagement.cli import DEMO_DATA_SET, OneLineParser, add_generation_options, generation_argv
from engagement.generator import cli as generator_cli
from engagement.ingest import HashKeyChanged, IngestLocked, ingest_landing
from engagement.pipeline.dbt import PROJECT_DIR, DbtError, DbtTarget, run_dbt
from engagement.pipeline.progress import BuildProgress
from engagement.pipeline.summary import render_summary

PROG = "run_pipeline"


class GenerationFailed(RuntimeError):
    """The event generator exited with a non-zero status."""

    def __init__(self, returncode: int) -> None:
        super().__init__(f"event generation failed (exit {returncode})")
        self.returncode = returncode


def _add_duckdb_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duckdb-path", type=Path, default=settings.DUCKDB_PATH.path(),
                        help=f"warehouse file (default ${settings.DUCKDB_PATH.name} or {settings.DUCKDB_PATH.default})")


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="Generate the demo event stream, build the dbt project, print the metrics.",
    )
    add_generation_options(parser, defaults=DEMO_DATA_SET)
    parser.add_argument("--landing-dir", type=Path, default=settings.LANDING_DIR.path(),
                        help=f"landing zone (default ${settings.LANDING_DIR.name} or {settings.LANDING_DIR.default})")
    _add_duckdb_path(parser)
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    parser.add_argument("--skip-generate", action="store_true", help="use the landing zone as it is")
    parser.add_argument("--summary-only", action="store_true", help="only print the summary")
    parser.add_argument("--verbose", action="store_true",
                        help="print dbt's log lines (default: progress lines and a summary per layer)")
    return parser


def _generate(args: argparse.Namespace) -> None:
    """Generate the landing zone unless the same arguments already produced it."""
    stamp = args.landing_dir / "_generated_with.json"
    wanted = generation_argv(args)
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        print(f"landing zone {args.landing_dir} already generated with these arguments")
        return
    if stamp.exists() or args.landing_dir.exists():
        # Different arguments: start from a clean landing zone and warehouse.
        shutil.rmtree(args.landing_dir, ignore_errors=True)
        for suffix in ("", ".wal"):
            Path(str(args.duckdb_path) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    sys.stdout.flush()
    code = generator_cli.run_in_process([*wanted, "--out", str(args.landing_dir)])
    if code:
        raise GenerationFailed(code)
    print(f"generated landing zone in {time.perf_counter() - started:.1f}s")
    stamp.write_text(json.dumps(wanted))


def _build(build: list[str], target: DbtTarget, verbose: bool) -> None:
    """Run ``dbt build``: dbt's own lines when ``verbose``, else compact progress and a per-layer summary."""
    if verbose:
        run_dbt(build, target, quiet=False)
        return
    print(f"dbt build: progress below, full log in {PROJECT_DIR / 'logs' / 'dbt.log'}", flush=True)
    progress = BuildProgress()
    try:
        run_dbt(build, target, quiet=True, callbacks=[progress])
    finally:
        print(progress.summary(), flush=True)


def _summarise(duckdb_path: Path) -> None:
    if not duckdb_path.exists():
        raise FileNotFoundError(f"no warehouse at {duckdb_path}: run `make run` first")
    print(render_summary(duckdb_path))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``engagement-run``; returns the process exit code."""
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
            print(ingest_landing(args.landing_dir).line() + f" ({time.perf_counter() - started:.1f}s)")
            started = time.perf_counter()
            build = ["build"] + (["--full-refresh"] if args.full_refresh else [])
            _build(build, target, verbose=args.verbose)
            print(f"dbt build finished in {time.perf_counter() - started:.1f}s\n")
        _summarise(args.duckdb_path)
    except (FileNotFoundError, GenerationFailed, DbtError, IngestLocked, HashKeyChanged) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    return 0


def summary_main(argv: list[str] | None = None) -> int:
    """Entry point of ``engagement-summary``: what ``engagement-run --summary-only`` prints."""
    parser = OneLineParser(prog=PROG, description="Print the metrics summary of an existing warehouse.")
    _add_duckdb_path(parser)
    args = parser.parse_args(argv)
    try:
        _summarise(args.duckdb_path)
    except FileNotFoundError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    return 0
