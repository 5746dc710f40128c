"""The ingest step: landed files -> ingest batches of Parquet that dbt's staging reads.

Runs before every dbt build (``engagement-run``, the micro-batch runner, ``make build``,
the Airflow DAG). Layout and contract: :mod:`engagement.ingest.layout`; which files are
new: :mod:`engagement.ingest.manifest`; what happens to each file:
:mod:`engagement.ingest.batch`.
"""

from engagement.ingest.batch import BatchSummary, HashKeyChanged, IngestConfig, ingest
from engagement.ingest.cli import ingest_landing
from engagement.ingest.layout import INGEST_SUBDIR, ingest_dir_of
from engagement.ingest.manifest import IngestLocked

__all__ = ["BatchSummary", "HashKeyChanged", "INGEST_SUBDIR", "IngestConfig", "IngestLocked", "ingest",
           "ingest_dir_of", "ingest_landing"]
