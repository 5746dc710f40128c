"""ParsedSessions: builds of several warehouses in one process share a dbt parse per file name.

Before, a second warehouse file name in the same process (the Kafka tests' and the Spark
equality test's, in one `make test`) raised "a shared manifest needs warehouse files of the
same name" and the later test never built anything.
"""

from __future__ import annotations

from pathlib import Path

from engagement.pipeline.build import ParsedSessions
from engagement.pipeline.dbt import DbtTarget


def _target(path: Path) -> DbtTarget:
    return DbtTarget(duckdb_path=path, landing_dir=path.parent / "landing", target_path=path.parent / "target")


def test_warehouses_of_another_name_get_their_own_parse(tmp_path: Path) -> None:
    sessions = ParsedSessions()
    first = sessions.session(_target(tmp_path / "a" / "w.duckdb"))
    same_name = sessions.session(_target(tmp_path / "b" / "w.duckdb"))
    other_name = sessions.session(_target(tmp_path / "c" / "warehouse.duckdb"))
    assert first.target.duckdb_path != same_name.target.duckdb_path
    assert other_name.target.duckdb_path == tmp_path / "c" / "warehouse.duckdb"
    assert len(sessions._parsed) == 2, "one parse per file name, shared by warehouses named alike"
    assert len({id(p) for p in sessions._parsed.values()}) == 2


def test_vars_get_their_own_parse(tmp_path: Path) -> None:
    sessions = ParsedSessions()
    sessions.session(_target(tmp_path / "a" / "w.duckdb"))
    sessions.session(_target(tmp_path / "b" / "w.duckdb"), "{engagement__status_history_days: 9}")
    assert len(sessions._parsed) == 2
