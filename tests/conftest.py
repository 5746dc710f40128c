"""Settings every test shares: a fixed e-mail hash key, so no test writes a key file."""

from __future__ import annotations

import os

from engagement import settings

# Set before any test imports the ingest step; a test that needs another key sets its own.
os.environ.setdefault(settings.HASH_KEY.name, "test-only-hash-key")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def parsed_project(tmp_path_factory: pytest.TempPathFactory):
    """The dbt project parsed once for the session (empty landing zone, scratch warehouse and
    target): for tests that read the manifest or run ``dbt ls`` and build nothing."""
    from engagement.pipeline.dbt import DbtTarget, ParsedProjectDbt

    root = tmp_path_factory.mktemp("parsed_project")
    (root / "landing").mkdir()
    dbt = ParsedProjectDbt(DbtTarget(duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing",
                                     target_path=root / "target"))
    dbt.parse()
    return dbt
