"""The near-real-time DAG: the micro-batch runner (``engagement-stream``) as one long-running task.

Every hour a run starts ``engagement-stream --duration <~55 min>``: the runner builds the
real-time models (``+tag:realtime``) every ``interval`` seconds until the hour is nearly over,
records each batch in ``pipeline_runs`` and refreshes the dashboard snapshot; the next run
takes over (batch ids continue). ``max_active_runs=1`` and the runner's own lock on
``<warehouse>.lock`` keep one writer; a killed or failed task is retried, and a retried
micro-batch converges (README "Stream mode").

The runner works on stream mode's warehouse and landing zone (``$ENGAGEMENT_STREAM_DIR``),
never on the daily DAG's warehouse, so the two DAGs never contend for a DuckDB file. On a
Spark target both DAGs write one warehouse and the lock becomes the scheduler's concern.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

from engagement import settings

BIN_DIR = Path(sys.executable).parent

with DAG(
    dag_id="engagement_stream",
    description="Near-real-time: engagement-stream micro-batches, one long-running task per hour",
    schedule="@hourly",
    start_date=datetime.fromisoformat(settings.AIRFLOW_START_DATE.value()).replace(tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "analytics-engineering", "retries": 3, "retry_delay": timedelta(seconds=30)},
    params={
        "duration_seconds": Param(3300, type="integer", minimum=1, description="how long one run keeps batching"),
        "interval_seconds": Param(30, type="integer", minimum=1, description="seconds between batch starts"),
    },
    tags=["engagement", "dbt", "realtime"],
    doc_md=__doc__,
) as dag:
    BashOperator(
        task_id="micro_batches",
        bash_command=(f"{BIN_DIR / 'engagement-stream'} --duration {{{{ params.duration_seconds }}}} "
                      f"--interval {{{{ params.interval_seconds }}}}"),
        cwd=str(settings.PROJECT_DIR),
        execution_timeout=timedelta(minutes=65),
    )
