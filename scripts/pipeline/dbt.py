"""Thin, in-process wrapper around dbt's programmatic runner.

Calling ``dbtRunner`` in-process saves dbt's start-up (several seconds a call) for
long-lived callers such as tests and the micro-batch runner. Settings that vary per
call (warehouse file, landing root) travel as environment variables, exactly as
profiles.yml reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


class DbtError(RuntimeError):
    """A dbt command failed; the message names the failing nodes."""


@dataclass(frozen=True)
class DbtTarget:
    """Where a build reads from and writes to."""

    duckdb_path: Path
    landing_dir: Path
    target_path: Path | None = None

    def environment(self) -> dict[str, str]:
        """The environment variables profiles.yml reads for this target."""
        return {
            "ENGAGEMENT_DUCKDB_PATH": str(self.duckdb_path),
            "ENGAGEMENT_LANDING_DIR": str(self.landing_dir),
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }


@contextmanager
def _patched_environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the life of the process.

    dbt-duckdb holds its environment (and so the database file and its lock) in a
    class attribute so that later invocations reuse it. A caller that wants to read
    the file itself, or build another warehouse next, must let it go first.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter: nothing held
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        if environment is not None:
            environment.close()
            DuckDBConnectionManager._ENV = None


def run_dbt(args: Sequence[str], target: DbtTarget, quiet: bool = True, keep_open: bool = False) -> object:
    """Run one dbt command in-process against ``target``; raise DbtError on failure.

    The warehouse file is released afterwards unless ``keep_open`` (a long-lived
    runner that is the only writer can keep it). Returns dbt's result object.
    """
    from dbt.cli.main import dbtRunner  # imported lazily: dbt is slow to import

    command = list(args) + ["--project-dir", str(PROJECT_DIR)]
    if target.target_path is not None:
        command += ["--target-path", str(target.target_path)]
    if quiet:
        command = ["--quiet", *command]
    # Partial parsing keys on the environment; each target gets its own target path,
    # and the warehouse file differs, so re-parse rather than trust a stale manifest.
    command = ["--no-partial-parse", *command]
    with _patched_environment(target.environment()):
        try:
            outcome = dbtRunner().invoke(command)
        finally:
            if not keep_open:
                release_warehouse()
    if not outcome.success:
        failures = []
        for node_result in getattr(outcome.result, "results", None) or []:
            status = str(getattr(node_result, "status", ""))
            if status.lower() in {"error", "fail"}:
                failures.append(f"{node_result.node.name}: {node_result.message}")
        detail = "; ".join(failures) or str(outcome.exception or "see dbt output")
        raise DbtError(f"dbt {' '.join(args)} failed: {detail}")
    return outcome.result
