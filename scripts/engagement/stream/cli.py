"""Command line of stream mode (``engagement-stream``): the micro-batch runner, optionally with the generator.

    engagement-stream --interval 30 [--duration S] [--max-batches N] [--landing-dir DIR] [--duckdb-path FILE]
    engagement-stream --with-generator --users 30000 --speed 60     # what `make stream` runs

The warehouse and landing zone default to ``$ENGAGEMENT_STREAM_DIR/warehouse.duckdb`` and
``$ENGAGEMENT_STREAM_DIR/landing`` (``data/stream``). Error lines keep the prefix
``run_stream:`` the runner has always printed.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from engagement import settings
from engagement.cli import DEMO_DATA_SET, OneLineParser, add_generation_options
from engagement.pipeline.dbt import DbtTarget
from engagement.stream.lock import LockHeld, WarehouseLock
from engagement.stream.runner import DEFAULT_EXCLUDE, DEFAULT_SELECT, RunnerConfig, StreamRunner
from engagement.kafka.clients import DEFAULT_PARTITIONS
from engagement.stream.broker_mode import BrokerStack
from engagement.stream.supervisor import GeneratorSupervisor

PROG = "run_stream"


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``engagement-stream``."""
    stream_dir, stream_default = f"${settings.STREAM_DIR.name}", settings.STREAM_DIR.default
    parser = OneLineParser(
        prog=PROG, description="Near-real-time micro-batches (and optionally the stream generator).")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between batch starts (default 30)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    parser.add_argument("--max-batches", type=int,
                        help="stop after this many batches (default: no limit; with --duration, whichever comes first)")
    parser.add_argument("--landing-dir", type=Path, default=settings.stream_landing_dir(),
                        help=f"landing zone (default {stream_dir}/landing, i.e. {stream_default}/landing)")
    parser.add_argument("--duckdb-path", type=Path, default=settings.stream_duckdb_path(),
                        help=f"warehouse file (default {stream_dir}/warehouse.duckdb, "
                             f"i.e. {stream_default}/warehouse.duckdb)")
    parser.add_argument("--target-path", type=Path, help="dbt target path (default: <duckdb dir>/target)")
    parser.add_argument("--select", nargs="+", default=list(DEFAULT_SELECT), help="dbt selection of a batch")
    parser.add_argument("--exclude", nargs="*", default=list(DEFAULT_EXCLUDE), help="dbt exclusion of a batch")
    parser.add_argument("--max-attempts", type=int, default=3, help="attempts per batch (default 3)")
    parser.add_argument("--backoff", type=float, default=2.0, help="seconds before the first retry, doubling")
    parser.add_argument("--dashboard-dir", type=Path,
                        help=f"snapshot folder (default {stream_dir}/dashboard, apart from the batch snapshots)")
    parser.add_argument("--core-every-batches", type=int, default=10,
                        help="also rebuild the core marts (rollup, growth, segments, retention) every N batches "
                             "(default 10; 0: only by time)")
    parser.add_argument("--core-every-minutes", type=float, default=10.0,
                        help="...or when this many minutes have passed since the last core rebuild "
                             "(default 10; 0: only by count); the first batch always rebuilds them")
    parser.add_argument("--no-export", action="store_true", help="do not refresh the dashboard snapshot")
    broker = parser.add_argument_group("ingestion (--mode broker: devices -> Kafka topic -> sink -> landing zone)")
    broker.add_argument("--mode", choices=("files", "broker"), default="files",
                        help="files: the generator writes the landing files (default); broker: it publishes "
                             "to a broker and the landing sink writes them")
    broker.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS,
                        help=f"partitions per topic when the topics are created (default {DEFAULT_PARTITIONS})")
    broker.add_argument("--sink-roll-seconds", type=float, default=5.0,
                        help="the sink lands a file once it is this old (default 5)")
    gen = parser.add_argument_group("stream generator (with --with-generator)")
    gen.add_argument("--with-generator", action="store_true",
                     help="also run engagement-stream-events into --landing-dir (stopped on exit)")
    add_generation_options(gen, defaults=DEMO_DATA_SET)
    gen.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    gen.add_argument("--flush-minutes", type=int, default=5, help="simulated minutes per landed file set")
    gen.add_argument("--history-days", type=int, default=8,
                     help="days landed by one batch run before the stream starts (default 8: the pulse baseline)")
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.interval <= 0 or (args.duration is not None and args.duration <= 0) or args.max_attempts < 1:
        parser.error("--interval and --duration must be > 0 and --max-attempts >= 1")
    if args.core_every_batches < 0 or args.core_every_minutes < 0:
        parser.error("--core-every-batches and --core-every-minutes must be >= 0")
    if args.partitions < 1 or args.sink_roll_seconds <= 0:
        parser.error("--partitions must be >= 1 and --sink-roll-seconds > 0")
    if args.max_batches is not None and args.max_batches < 1:
        parser.error(f"--max-batches must be >= 1 (got {args.max_batches})")
    for parent in [args.duckdb_path, *args.duckdb_path.parents]:
        if parent.exists():
            if not parent.is_dir() and parent != args.duckdb_path:
                parser.error(f"--duckdb-path {args.duckdb_path}: {parent} is a file, not a folder")
            if parent == args.duckdb_path and parent.is_dir():
                parser.error(f"--duckdb-path {args.duckdb_path} is a folder, not a warehouse file")
            break
    if not args.with_generator and not args.landing_dir.is_dir():
        parser.error(f"--landing-dir {args.landing_dir} is not a folder (land files first, or use --with-generator)")
    if args.with_generator and (args.speed <= 0 or args.flush_minutes <= 0 or 60 % args.flush_minutes
                                or args.history_days < 1 or args.history_days >= args.days):
        parser.error("--speed must be > 0, --flush-minutes must divide 60, 1 <= --history-days < --days")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``engagement-stream``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check(parser, args)

    def out(msg: str) -> None:
        print(msg, flush=True)

    duckdb_path = args.duckdb_path.resolve()
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    lock = WarehouseLock(duckdb_path)
    try:
        lock.acquire()
    except LockHeld as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    landing = args.landing_dir.resolve()
    target = DbtTarget(duckdb_path=duckdb_path, landing_dir=landing,
                       target_path=(args.target_path or duckdb_path.parent / "target").resolve())
    stack = BrokerStack(args, landing, duckdb_path.parent, out) if args.mode == "broker" else None
    cfg = RunnerConfig(target=target, interval_s=args.interval, duration_s=args.duration,
                       max_batches=args.max_batches, select=args.select, exclude=args.exclude,
                       max_attempts=args.max_attempts, backoff_s=args.backoff,
                       dashboard_dir=args.dashboard_dir, export=not args.no_export,
                       core_every_batches=args.core_every_batches, core_every_s=args.core_every_minutes * 60,
                       consumer_lag_dir=stack.sink_state_dir if stack is not None else None)
    runner = StreamRunner(cfg, out=out)
    interrupts = {"n": 0}

    def _on_signal(signum, frame):  # noqa: ARG001
        interrupts["n"] += 1
        if interrupts["n"] > 1:
            raise KeyboardInterrupt
        out("stopping after the current batch (Ctrl-C again to abort)")
        runner.request_stop()

    supervisor = None
    status = 0
    try:
        history_end = None
        if stack is not None:  # broker mode: broker, sink (and the publishing generator)
            supervisor = stack
            if args.with_generator:
                history_end = supervisor.land_history()  # before the handlers: Ctrl-C here aborts
        elif args.with_generator:
            supervisor = GeneratorSupervisor(args, landing, duckdb_path.parent / "stream_generator.log", out)
            history_end = supervisor.land_history()  # before the handlers: Ctrl-C here aborts
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
        if supervisor is not None:
            supervisor.start(history_end)
        out(f"runner: dbt {' '.join(cfg.dbt_args())} every {cfg.interval_s:g}s on {duckdb_path} "
            f"(lock {lock.path}); the core marts too on the first batch, then every "
            f"{cfg.core_every_batches or '-'} batches / {f'{args.core_every_minutes:g}' if args.core_every_minutes else '-'} minutes")
        if stack is not None:
            stack.watch(lambda code, name: _generator_exited(code, runner, out, name))
        elif supervisor is not None:
            supervisor.watch(lambda code: _generator_exited(code, runner, out))
        runner.loop()
    except KeyboardInterrupt:
        out("aborted")
        status = 130
    except Exception as exc:  # noqa: BLE001 (one clear line, not a traceback)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        status = 1
    finally:
        if supervisor is not None:
            supervisor.stop()
        lock.release()
    out(runner.summary())
    return status


def _generator_exited(code: int, runner: StreamRunner, out, name: str = "stream generator") -> None:
    """Stop the runner (after its batch) when the generator (or, in broker mode, the sink) dies."""
    if not runner.stop_event.is_set():
        out(f"{name} exited ({code}); stopping after the current batch")
        runner.request_stop()


if __name__ == "__main__":  # ``python -m engagement.stream.cli`` (the stream benchmark runs it per trial)
    sys.exit(main())
