"""Every environment variable the project reads: its name, its default, what it means.

This module is the only place Python code reads ``ENGAGEMENT_*`` variables. The one
other reader is dbt's ``profiles.yml``, which must repeat its defaults in
``env_var(name, default)`` so that a bare ``dbt build`` works;
``tests/python/test_settings.py`` fails when the two disagree.

An empty variable counts as unset. Relative paths are relative to the working
directory (the repo root, for every Makefile target), except where a caller passes
``root`` (the dashboard, which Streamlit may serve from anywhere).

    python -m engagement.settings                  # every setting, its value and default
    python -m engagement.settings ENGAGEMENT_STREAM_DIR   # one value (what the Makefile asks)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: The repository root: the dbt project, its seeds and the default ``data/`` folder.
#: The package is installed in editable mode (``make install``), so this is the checkout.
PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    """One environment variable with its default."""

    name: str
    default: str
    meaning: str

    def value(self, environ: Mapping[str, str] | None = None) -> str:
        """The variable's value in ``environ`` (default ``os.environ``), else the default."""
        environ = os.environ if environ is None else environ
        return environ.get(self.name) or self.default

    def path(self, environ: Mapping[str, str] | None = None, root: Path | None = None) -> Path:
        """The value as a path; the default (never a value that was set) is taken relative to ``root``."""
        environ = os.environ if environ is None else environ
        if environ.get(self.name):
            return Path(environ[self.name])
        return Path(self.default) if root is None else Path(root) / self.default


DUCKDB_PATH = Setting("ENGAGEMENT_DUCKDB_PATH", "data/warehouse.duckdb", "warehouse file (batch mode)")
LANDING_DIR = Setting("ENGAGEMENT_LANDING_DIR", "data/landing", "landing zone root (batch mode)")
DASHBOARD_DIR = Setting("ENGAGEMENT_DASHBOARD_DIR", "data/dashboard",
                        "where the dashboard's Parquet snapshots are published and read")
DASHBOARD_REFRESH_SECONDS = Setting("ENGAGEMENT_DASHBOARD_REFRESH_SECONDS", "10",
                                    "seconds between the dashboard's re-reads of CURRENT (0: off)")
DUCKDB_THREADS = Setting("ENGAGEMENT_DUCKDB_THREADS", "2", "dbt and DuckDB threads (CI has 2 cores)")
DUCKDB_MEMORY = Setting("ENGAGEMENT_DUCKDB_MEMORY", "6GB",
                        "DuckDB memory_limit (a quarter of 24 GiB; DuckDB spills beyond it)")
TARGET = Setting("ENGAGEMENT_TARGET", "duckdb", "the dbt target of profiles.yml")
HASH_KEY = Setting("ENGAGEMENT_HASH_KEY", "",
                   "key of the HMAC-SHA256 that replaces e-mail addresses at ingest (empty: read the key file)")
HASH_KEY_FILE = Setting("ENGAGEMENT_HASH_KEY_FILE", "data/secrets/hash.key",
                        "file holding the hash key; created with a random key on first use (mode 0600)")
STREAM_DIR = Setting("ENGAGEMENT_STREAM_DIR", "data/stream",
                     "stream mode's folder: its warehouse.duckdb, landing/, target/ and logs")
AIRFLOW_START_DATE = Setting("ENGAGEMENT_AIRFLOW_START_DATE", "2026-01-01",
                             "first logical date of the daily Airflow DAG (catchup runs from it)")
KAFKA_BOOTSTRAP_SERVERS = Setting("ENGAGEMENT_KAFKA_BOOTSTRAP_SERVERS", "",
                                  "broker mode: host:port of a Kafka cluster (empty: start the bundled broker)")
KAFKA_CONFIG = Setting("ENGAGEMENT_KAFKA_CONFIG", "",
                       "broker mode: a client.properties file (security settings) merged into both clients")
SPARK_DIR = Setting("ENGAGEMENT_SPARK_DIR", "data/spark",
                    "spark target: the local session's warehouse dir, Hive metastore (Derby) and derby.log")
SPARK_DRIVER_MEMORY = Setting("ENGAGEMENT_SPARK_DRIVER_MEMORY", "3g",
                              "spark target: the local session's driver memory (the machine is shared)")
SPARK_FILE_FORMAT = Setting("ENGAGEMENT_SPARK_FILE_FORMAT", "parquet",
                            "spark target: table format (parquet; delta, iceberg or hudi where installed)")

#: Every setting, in the order they are documented.
SETTINGS: tuple[Setting, ...] = (
    DUCKDB_PATH, LANDING_DIR, DASHBOARD_DIR, DASHBOARD_REFRESH_SECONDS,
    DUCKDB_THREADS, DUCKDB_MEMORY, TARGET, HASH_KEY, HASH_KEY_FILE, STREAM_DIR,
    AIRFLOW_START_DATE, KAFKA_BOOTSTRAP_SERVERS, KAFKA_CONFIG, SPARK_DIR, SPARK_DRIVER_MEMORY,
    SPARK_FILE_FORMAT,
)


def stream_duckdb_path(environ: Mapping[str, str] | None = None) -> Path:
    """Stream mode's warehouse: ``$ENGAGEMENT_STREAM_DIR/warehouse.duckdb``."""
    return STREAM_DIR.path(environ) / "warehouse.duckdb"


def stream_landing_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Stream mode's landing zone: ``$ENGAGEMENT_STREAM_DIR/landing``."""
    return STREAM_DIR.path(environ) / "landing"


def stream_dashboard_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Stream mode's dashboard snapshots: ``$ENGAGEMENT_STREAM_DIR/dashboard`` (never the batch folder)."""
    return STREAM_DIR.path(environ) / "dashboard"


def by_name(name: str) -> Setting:
    """The setting called ``name``; KeyError names the known ones."""
    for setting in SETTINGS:
        if setting.name == name:
            return setting
    raise KeyError(f"unknown setting {name!r} (known: {', '.join(s.name for s in SETTINGS)})")


def main(argv: Sequence[str] | None = None) -> int:
    """Print one setting's value, or a table of all of them."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m engagement.settings [NAME]", file=sys.stderr)
        return 2
    if args:
        try:
            print(by_name(args[0]).value())
        except KeyError as error:
            print(f"settings: error: {error.args[0]}", file=sys.stderr)
            return 2
        return 0
    for setting in SETTINGS:
        print(f"{setting.name:<38} {setting.value():<24} (default {setting.default}: {setting.meaning})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
