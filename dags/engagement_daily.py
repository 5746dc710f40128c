"""The daily batch DAG: the daily job of ``engagement.pipeline.jobs`` as Airflow tasks.

    ingest (engagement-ingest) ──► source_freshness (SLA check, live runs only)
                               └─► dbt_build: the dbt project rendered by astronomer-cosmos,
                                   one task group per layer and folder (seeds, staging,
                                   snapshots, marts/<domain>, intermediate/<domain>, semantic),
                                   each model's data tests right after it ──► cross_model_tests

* The steps come from :func:`engagement.pipeline.jobs.daily_job`: first ``engagement-ingest``
  (the new landing files become one Parquet ingest batch, which the dbt sources read; the same
  step ``engagement-run`` and ``make build`` run before dbt), then the freshness check, then
  ``dbt build``. The ``dbt build`` step becomes the cosmos task group; every other step a
  ``BashOperator`` running the same installed command; ``live_only`` steps (``dbt source
  freshness``) a task that is skipped in a backfill run, whose data interval is older than
  :data:`LIVE_WITHIN`.
* ``schedule="@daily"``, ``catchup=True`` from ``$ENGAGEMENT_AIRFLOW_START_DATE``: a date range is
  backfilled with ``airflow backfill create --dag-id engagement_daily --from-date A --to-date B``.
  Every model is incremental on arrival (or rebuilt whole), so a run builds what has landed and a
  re-run converges; ``max_active_runs=1`` and ``max_active_tasks=1`` keep one writer on the DuckDB file.
* Retries: 2 per task, 1 minute apart (dbt models apply atomically, so a retried task starts clean).
* dbt runs in-process (cosmos ``ExecutionMode.LOCAL`` with dbtRunner) from the manifest that
  ``make airflow-manifest`` writes (``dbt parse`` into target/airflow/), so parsing the DAG never
  calls dbt. Unit tests are left to CI (``make test``): they check logic, not data.

How this maps to production (README "Orchestration with Airflow"): the KubernetesExecutor with
cosmos ``ExecutionMode.KUBERNETES`` (each task a pod of the project's image) and the Spark target
of profiles.yml; then ``max_active_tasks`` can rise, since Spark has no single-writer file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Folder task groups keyed by their full path (models.marts.segments, not just "segments",
# which models/intermediate/segments would share); read by cosmos when it is imported.
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_HIERARCHICAL_NAMING_FOR_GROUP_NODES_BY_FOLDER", "True")
# No usage telemetry: the DAG must run on a closed network.
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")

from airflow.providers.standard.operators.bash import BashOperator  # noqa: E402
from airflow.sdk import DAG, task  # noqa: E402
from airflow.sdk.exceptions import AirflowSkipException  # noqa: E402
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig  # noqa: E402
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior, TestIndirectSelection  # noqa: E402
from cosmos.operators.local import DbtLocalBaseOperator, DbtTestLocalOperator  # noqa: E402

from engagement import settings  # noqa: E402
from engagement.pipeline.jobs import Step, daily_job  # noqa: E402

PROJECT_DIR = settings.PROJECT_DIR
#: The commands (engagement-*, dbt) live beside the interpreter running Airflow (.venv-airflow/bin).
BIN_DIR = Path(sys.executable).parent
MANIFEST = PROJECT_DIR / "target" / "airflow" / "manifest.json"
#: A run whose data interval ended longer ago than this is a backfill: no freshness check.
LIVE_WITHIN = timedelta(hours=36)

DEFAULT_ARGS = {
    "owner": "analytics-engineering",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
}


def dbt_environment() -> dict[str, str]:
    """The variables profiles.yml reads, as absolute paths (cosmos runs dbt from a copy of the project)."""
    return {
        settings.DUCKDB_PATH.name: str(settings.DUCKDB_PATH.path(root=PROJECT_DIR).resolve()),
        settings.LANDING_DIR.name: str(settings.LANDING_DIR.path(root=PROJECT_DIR).resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def command_task(step: Step) -> BashOperator:
    """A non-dbt step: the installed command with the step's arguments."""
    command = " ".join(shlex.quote(part) for part in [str(BIN_DIR / step.command), *step.args])
    return BashOperator(task_id=step.task_id, bash_command=command, env=dbt_environment(), append_env=True,
                        cwd=str(PROJECT_DIR))


def live_dbt_task(step: Step):
    """A live-only dbt step (source freshness): skipped when the run is a backfill."""

    @task(task_id=step.task_id)
    def run_live_dbt_step(data_interval_end=None) -> None:
        if data_interval_end is not None and data_interval_end < datetime.now(UTC) - LIVE_WITHIN:
            raise AirflowSkipException(f"backfill run (interval ended {data_interval_end}): "
                                       "freshness is only checked on live runs")
        from engagement.pipeline.dbt import DbtTarget, patched_environment, run_dbt

        environment = dbt_environment()
        target = DbtTarget(duckdb_path=Path(environment[settings.DUCKDB_PATH.name]),
                           landing_dir=Path(environment[settings.LANDING_DIR.name]),
                           target_path=PROJECT_DIR / "target" / "airflow" / step.task_id)
        with patched_environment(environment):
            run_dbt(list(step.args), target, quiet=False)

    return run_live_dbt_step()


def _profile_config() -> ProfileConfig:
    return ProfileConfig(profile_name="engagement", target_name=settings.TARGET.value(),
                         profiles_yml_filepath=PROJECT_DIR / "profiles.yml")


def cross_model_tests(manifest: Path = MANIFEST) -> list[str]:
    """Data tests not attached to exactly one node: relationships and invariants across models,
    and singular tests that read no model at all (macro edge cases).

    A node's own tests run in its task, right after it (``dbt build --select <model>``,
    cautious indirect selection); a test that also reads another model can only run once
    both exist, so these run together in one task after every model has been built.
    """
    if not manifest.is_file():
        return []
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    return sorted(
        node["name"] for node in nodes.values()
        if node["resource_type"] == "test"
        and len({parent for parent in node["depends_on"]["nodes"] if not parent.startswith("source.")}) != 1
    )


def _skip_openlineage_without_provider() -> None:
    """Do not compute OpenLineage events after each dbt command when nothing can emit them.

    Cosmos re-reads the manifest with openlineage-integration-common after every dbt call
    (about 2 s a task here); in Airflow 3 only the OpenLineage provider consumes the result,
    and it is not installed (requirements-airflow.txt). Install the provider to get lineage.
    """
    if importlib.util.find_spec("airflow.providers.openlineage") is None:
        DbtLocalBaseOperator.calculate_openlineage_events_completes = lambda self, *args, **kwargs: False


def dbt_build_group(step: Step) -> DbtTaskGroup:
    """``dbt build`` as cosmos tasks: a task group per layer and folder, each model built with its tests."""
    full_refresh = "--full-refresh" in step.args
    return DbtTaskGroup(
        group_id=step.task_id,
        project_config=ProjectConfig(
            dbt_project_path=PROJECT_DIR, manifest_path=MANIFEST, env_vars=dbt_environment(),
            partial_parse=True,
        ),
        profile_config=_profile_config(),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=str(BIN_DIR / "dbt"), test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # One task per model, seed and snapshot: `dbt build --select <node>`, i.e. the node, then
            # its own data tests (a failing test fails the task, and its downstream waits).
            test_behavior=TestBehavior.BUILD,
            group_nodes_by_folder=True,
            exclude=["resource_type:unit_test"],
        ),
        operator_args={"full_refresh": full_refresh, "emit_datasets": False},
        default_args=DEFAULT_ARGS,
    )


def cross_model_test_task(tests: list[str]) -> DbtTestLocalOperator:
    """The data tests that read several models, in one ``dbt test`` after the build."""
    return DbtTestLocalOperator(
        task_id="cross_model_tests",
        project_dir=str(PROJECT_DIR),
        profile_config=_profile_config(),
        select=" ".join(tests),
        env=dbt_environment(),
        append_env=True,
        invocation_mode=InvocationMode.DBT_RUNNER,
        dbt_executable_path=str(BIN_DIR / "dbt"),
        manifest_filepath=str(MANIFEST),
        emit_datasets=False,
    )


with DAG(
    dag_id="engagement_daily",
    description="Daily batch: ingest, freshness SLA check, dbt build by layer (cosmos)",
    schedule="@daily",
    start_date=datetime.fromisoformat(settings.AIRFLOW_START_DATE.value()).replace(tzinfo=UTC),
    catchup=True,
    max_active_runs=1,
    max_active_tasks=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(hours=4),
    tags=["engagement", "dbt", "batch"],
    doc_md=__doc__,
) as dag:
    _skip_openlineage_without_provider()
    previous = None
    for job_step in daily_job():
        if job_step.is_dbt and job_step.live_only:
            first = last = live_dbt_task(job_step)
        elif job_step.is_dbt and job_step.args[:1] == ("build",):
            first = last = dbt_build_group(job_step)
            if tests := cross_model_tests():
                last = cross_model_test_task(tests)
                first >> last
        else:
            first = last = command_task(job_step)
        if previous is not None:
            previous >> first
        # The freshness check reports; it does not hold the build back (both follow the ingest).
        if not job_step.live_only:
            previous = last
