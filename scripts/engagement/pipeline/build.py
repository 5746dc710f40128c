"""One build of the warehouse: ingest the new landing files, then run dbt on them.

Every job that builds (``engagement-run``, the micro-batch runner, the tests, the DAG)
goes through :func:`ingest_and_build`, so the ingest step can never be skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engagement.ingest import BatchSummary, ingest_landing
from engagement.pipeline.dbt import DbtTarget, ParsedProjectDbt, run_dbt

DbtCall = Callable[[Sequence[str]], object]


@dataclass
class BuildResult:
    """What a build ingested and what dbt returned."""

    ingest: BatchSummary
    dbt_result: object


def ingest_and_build(target: DbtTarget, dbt_args: Sequence[str], dbt: DbtCall | None = None,
                     now: dt.datetime | None = None) -> BuildResult:
    """Ingest ``target.landing_dir`` (one batch, possibly empty), then run ``dbt_args``.

    ``dbt`` runs one dbt command (default: :func:`run_dbt` against ``target``, which
    parses the project afresh); a long-lived caller passes a :class:`ParsedProjectDbt`.
    """
    summary = ingest_landing(target.landing_dir, now)
    call = dbt or (lambda args: run_dbt(args, target))
    return BuildResult(summary, call(dbt_args))


class ParsedSessions:
    """Parsed dbt sessions shared by builds of several warehouses (tests, benchmarks).

    One parse per set of ``--vars`` and warehouse file name: dbt-duckdb names the database
    after the file's stem and the manifest holds relation names, so warehouses named alike
    share a parse (see :meth:`ParsedProjectDbt.for_target`) and a differently named one gets
    its own.
    """

    def __init__(self) -> None:
        self._parsed: dict[tuple[str | None, str], ParsedProjectDbt] = {}

    def session(self, target: DbtTarget, dbt_vars: str | None = None) -> ParsedProjectDbt:
        """A session on ``target`` whose manifest was parsed once for ``dbt_vars`` and its file name."""
        key = (dbt_vars, Path(target.duckdb_path).stem)
        if key not in self._parsed:
            self._parsed[key] = ParsedProjectDbt(target, dbt_vars)
        return self._parsed[key].for_target(target)
