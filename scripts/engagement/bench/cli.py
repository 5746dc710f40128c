"""Command line of the benchmarks: ``engagement-bench generator|stream [options]``.

    engagement-bench generator     # generator throughput and peak memory (make bench)
    engagement-bench stream        # stream mode: lag and batch duration (make bench-stream)
    engagement-bench scale         # pipeline at scale: phases, flat daily cost, MAU both ways (make bench)
"""

from __future__ import annotations

from types import ModuleType

from engagement.bench import generator, scale, stream
from engagement.cli import OneLineParser

#: name -> (module with configure/run, one-line description)
BENCHMARKS: dict[str, tuple[ModuleType, str]] = {
    "generator": (generator, "generator throughput per format, CPU time and peak memory"),
    "stream": (stream, "stream mode: lag from arrival to visibility and batch duration"),
    "scale": (scale, "pipeline at scale: seconds and peak RSS per phase, history sweep, MAU both ways"),
}


def build_parser() -> OneLineParser:
    """The parser with one subcommand per benchmark."""
    parser = OneLineParser(prog="engagement-bench", description="Run one of the project's benchmarks.")
    commands = parser.add_subparsers(dest="benchmark", required=True, metavar="{" + ",".join(BENCHMARKS) + "}")
    for name, (module, description) in BENCHMARKS.items():
        sub = commands.add_parser(name, help=description, description=(module.__doc__ or description).splitlines()[0])
        module.configure(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``engagement-bench``."""
    args = build_parser().parse_args(argv)
    module, _ = BENCHMARKS[args.benchmark]
    return module.run(args)
