"""The steps of the daily job, written once: ``engagement-run`` and the Airflow DAG both read them.

A step is an installed command (an ``engagement-*`` entry point of this package, or
``dbt``) with its arguments. ``engagement-run`` runs the steps in order, in-process
(:func:`run_steps`); the Airflow DAG (``dags/engagement_daily.py``) turns each step into
a task: the ``dbt build`` step becomes the astronomer-cosmos task groups (one per layer,
tests after each model), every other step a ``BashOperator`` that runs the same command.
The first step is always the ingest step (``engagement-ingest``, :mod:`engagement.ingest`):
the dbt sources read its Parquet ingest batches, so no build may skip it. A step added
here runs in both without another edit.

    python -m engagement.pipeline.jobs           # print the daily job's commands

This module imports nothing outside the standard library at import time: the DAG file
imports it in the Airflow scheduler's parse loop.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata

#: The package's distribution name (pyproject.toml), whose entry points are the commands.
DISTRIBUTION = "streaming-engagement"

#: The ingest step's command: new landing files -> Parquet ingest batches (engagement.ingest).
INGEST_COMMAND = "engagement-ingest"


@dataclass(frozen=True)
class Step:
    """One step of a job: ``command`` (an entry point or ``dbt``) with ``args``.

    ``task_id`` names the Airflow task. ``live_only`` steps only make sense against data
    that is arriving now (a freshness check): ``engagement-run`` on the historical demo
    data set, and the DAG's backfill runs, skip them.
    """

    task_id: str
    command: str
    args: tuple[str, ...] = ()
    live_only: bool = False

    @property
    def is_dbt(self) -> bool:
        """Whether the step is a dbt command (run with dbtRunner, or cosmos in the DAG)."""
        return self.command == "dbt"

    def argv(self) -> list[str]:
        """The command line, as a user would type it."""
        return [self.command, *self.args]


def installed_commands(distribution: str = DISTRIBUTION) -> dict[str, metadata.EntryPoint]:
    """The console scripts ``distribution`` declares, by name (empty when it is not installed)."""
    try:
        points = metadata.distribution(distribution).entry_points
    except metadata.PackageNotFoundError:
        return {}
    return {point.name: point for point in points if point.group == "console_scripts"}


def daily_job(full_refresh: bool = False) -> list[Step]:
    """The daily job's steps, in order.

    1. ``engagement-ingest``: the new landing files become one ingest batch, which the
       dbt sources read (every build starts with it);
    2. ``dbt source freshness`` (live runs only): the SLA check on the ingested data;
    3. ``dbt build``: seeds, models, snapshot, data tests (the DAG splits it by layer).
    """
    return [
        Step("ingest", INGEST_COMMAND),
        Step("source_freshness", "dbt", ("source", "freshness"), live_only=True),
        Step("dbt_build", "dbt", ("build", *(["--full-refresh"] if full_refresh else []))),
    ]


def run_steps(steps: Sequence[Step], run_dbt_step: Callable[[Step], object],
              out: Callable[[str], None] = print, include_live_only: bool = False) -> None:
    """Run ``steps`` in order in this process; raise on the first failure.

    dbt steps go to ``run_dbt_step`` (the caller's dbtRunner wrapper); every other step
    calls its entry point's function with the step's arguments, and a non-zero return
    raises :class:`StepFailed`.
    """
    commands = installed_commands()
    for step in steps:
        if step.live_only and not include_live_only:
            continue
        if step.is_dbt:
            run_dbt_step(step)
            continue
        if step.command not in commands:
            raise StepFailed(f"{step.command} is not installed (make install)")
        out(f"{step.task_id}: {' '.join(step.argv())}")
        code = commands[step.command].load()(list(step.args))
        if code:
            raise StepFailed(f"{' '.join(step.argv())} exited {code}")


class StepFailed(RuntimeError):
    """A non-dbt step of a job failed."""


def main(argv: Sequence[str] | None = None) -> int:
    """Print the daily job's commands, one a line."""
    del argv
    for step in daily_job():
        print(" ".join(step.argv()) + ("   # live runs only" if step.live_only else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
