"""Build a landing zone into a warehouse, and compare two warehouses model by model.

:func:`build_warehouse` is the one function the ingestion tests use to turn a landing zone
into a warehouse: :func:`engagement.pipeline.build.ingest_and_build` (the ingest step, then
in-process dbt), the path every build of the pipeline takes.

:func:`model_differences` compares every table two builds share (views re-read the
landing zone), as multisets of rows, leaving out what names a landing *file* rather than a
record (``file_name``, ``file_version``, ``line_number``, ``record_id``, the per-file
reconciliation mart), dbt's own bookkeeping (``dbt_*`` columns: build times, invocation ids)
and the other build-time stamps (:data:`BUILD_TIME_COLUMNS`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engagement.pipeline.build import ParsedSessions, ingest_and_build
from engagement.pipeline.dbt import DbtTarget

#: Columns that identify the landing file a row came from (they differ between writers).
FILE_COLUMNS = frozenset({"file_name", "file_version", "line_number", "record_id"})
#: Columns stamped with the time of the build, not derived from the data.
BUILD_TIME_COLUMNS = frozenset({"erased_at"})
#: Tables whose grain is a landing file, and seeds (not built from the landing zone).
NOT_COMPARED = frozenset({"agg_view_event_ingest_reconciliation", "country_regions", "event_types", "platforms"})


#: One dbt parse per warehouse file name, shared by every build (see ParsedSessions).
SESSIONS = ParsedSessions()


def build_warehouse(landing: Path, warehouse: Path) -> None:
    """Ingest ``landing`` and build every model, seed and snapshot into ``warehouse`` (no data tests)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    target = DbtTarget(duckdb_path=warehouse, landing_dir=landing, target_path=warehouse.parent / "target")
    ingest_and_build(target, ["build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"],
                     SESSIONS.session(target))


def _columns(con, catalog: str, table: str) -> list[str]:
    """The compared columns as select expressions: floating-point ones rounded (a sum's last
    bits depend on the order rows are read in, which differs between file layouts)."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = 'main' and table_name = ? order by ordinal_position", [catalog, table]).fetchall()
    return [f'round("{name}", 6)' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
            for name, kind in rows
            if name not in FILE_COLUMNS | BUILD_TIME_COLUMNS and not name.startswith("dbt_")]


def model_differences(left: Path, right: Path, skip: frozenset[str] = frozenset(),
                      as_sets: frozenset[str] = frozenset()) -> dict[str, tuple[int, int, int]]:
    """Per shared table: (rows only in left, rows only in right, rows in left); only tables that differ.

    Tables in ``as_sets`` are compared as sets of distinct rows (a row held twice on one side
    and once on the other is no difference); every other table row for row.
    Raises AssertionError when the two warehouses do not hold the same tables.
    """
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        catalog = con.execute("select current_database()").fetchone()[0]
        tables = {}
        for db in (catalog, "other"):
            tables[db] = {name for (name,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'main' "
                "and table_type = 'BASE TABLE'",
                [db]).fetchall()}
        assert tables[catalog] == tables["other"], (tables[catalog] ^ tables["other"])
        differences = {}
        for table in sorted(tables[catalog] - NOT_COMPARED - skip):
            cols = ", ".join(_columns(con, catalog, table))
            except_ = "except" if table in as_sets else "except all"
            only_left = con.execute(f"select count(*) from (select {cols} from {catalog}.main.{table} "
                                    f"{except_} select {cols} from other.main.{table})").fetchone()[0]
            only_right = con.execute(f"select count(*) from (select {cols} from other.main.{table} "
                                     f"{except_} select {cols} from {catalog}.main.{table})").fetchone()[0]
            if only_left or only_right:
                rows = con.execute(f"select count(*) from {catalog}.main.{table}").fetchone()[0]
                differences[table] = (only_left, only_right, rows)
    return differences
