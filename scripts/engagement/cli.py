"""What every command line of the package shares: the parser class and the generator's options.

* :class:`OneLineParser`: bad input is one ``prog: error: message`` line on stderr and
  exit status 2, never a usage dump or a traceback.
* :func:`add_generation_options`: ``--users --days --start-date --seed --faults``, the
  arguments that define a generated data set. Each command keeps its own defaults: the
  generators require them, the main job and the stream runner default to the demo data
  set (:data:`DEMO_DATA_SET`).
* :func:`generation_argv`: the same options back as arguments (for stamps and for
  starting the generator).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

#: The fault-injection profiles of the generator.
FAULT_PROFILES: tuple[str, ...] = ("none", "default")

#: The demo data set (what ``make run`` builds): the defaults of the main job and the stream runner.
DEMO_DATA_SET: Mapping[str, object] = {
    "users": 30000, "days": 60, "start_date": "2026-01-01", "seed": 42, "faults": "default",
}


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are a single stderr line (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print ``prog: error: message`` and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_generation_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup,
                           defaults: Mapping[str, object] | None = None) -> None:
    """Add ``--users --days --start-date --seed --faults`` to ``parser`` (or an argument group).

    An option named in ``defaults`` (by its attribute name: ``start_date``) gets that
    default; every other one is required.
    """
    defaults = defaults or {}
    options = (
        ("--users", "users", int, "total users by the end of the run"),
        ("--days", "days", int, "number of simulated UTC days (part of the output's identity)"),
        ("--start-date", "start_date", str, "first simulated day, YYYY-MM-DD (UTC)"),
        ("--seed", "seed", int, "random seed"),
        ("--faults", "faults", str, "fault injection profile"),
    )
    for flag, name, kind, text in options:
        extra: dict[str, object] = {"choices": FAULT_PROFILES} if name == "faults" else {"type": kind}
        if name in defaults:
            extra["default"] = defaults[name]
            text += f" (default {defaults[name]})"
        else:
            extra["required"] = True
        parser.add_argument(flag, help=text, **extra)


def generation_argv(args: argparse.Namespace) -> list[str]:
    """The generation options of parsed ``args`` as command-line arguments, in a fixed order."""
    return [
        "--users", str(args.users), "--days", str(args.days), "--start-date", args.start_date,
        "--seed", str(args.seed), "--faults", args.faults,
    ]
