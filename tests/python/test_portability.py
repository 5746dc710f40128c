"""engagement.portability: DuckDB-only SQL outside the dispatched macros fails the lint.

* the project's models and macros have none, nor do the models' contracts name a type Spark has
  not (``make lint`` runs the same check);
* each rule catches its construct, and comments and ``default__`` macro bodies are skipped;
* the models the check skips are exactly those the spark selector leaves out (besides the
  ones that need a table format), so a ported model cannot stay unchecked;
* the self-updating models render the strategy of each engine and table format (DuckDB,
  Spark on plain Parquet, Spark on Delta), by dbt parse alone.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from engagement import portability
from engagement.settings import PROJECT_DIR
from engagement.pipeline.dbt import DbtTarget, ParsedProjectDbt
from support.commands import entry_point

#: Left out of the spark selector because plain Parquet has no UPDATE / DELETE, not because of SQL.
NEEDS_TABLE_FORMAT = {"fct_privacy_erasures"}


def test_the_project_has_no_duckdb_only_sql() -> None:
    findings = portability.check(portability.project_files())
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("sql", [
    "select * from t qualify row_number() over (order by a) = 1",
    "select cast(1 as hugeint) << 3",
    "select a::varchar from t",
    "select regexp_extract(a, '[0-9]+') from t",
    "select extract(isodow from d) from t",
    "select json_valid(a), struct_pack(x := 1) from t",
    "select to_hours(3) + d from t",
    "select * from read_parquet('x.parquet')",
])
def test_each_rule_finds_its_construct(sql: str) -> None:
    assert portability.findings_in(Path("m.sql"), sql)


def test_comments_and_duckdb_macro_bodies_are_not_read() -> None:
    sql = """
    {# qualify and hugeint in a comment #}
    -- a :: b
    {% macro default__thing(x) %}cast({{ x }} as hugeint) << 1{% endmacro %}
    {% macro spark__thing(x) %}shiftleft({{ x }}, 1){% endmacro %}
    select 'a << b' as text_with_operator, regexp_extract(a, '[0-9]+', 0) as digits
    """
    assert portability.findings_in(Path("m.sql"), sql) == []
    (finding,) = portability.findings_in(Path("m.sql"), "select 1\n{% macro spark__x() %}a >> 1{% endmacro %}")
    assert finding.line == 2 and "bitmask_shift_right" in finding.advice


def test_contract_types_spark_has_not_are_found() -> None:
    yaml_text = ("columns:\n  - name: a\n    data_type: hugeint\n  - name: b\n    data_type: varchar\n"
                 "  - name: c\n    data_type: bigint\n  - name: d\n    data_type: string\n")
    found = portability.contract_findings_in(Path("m.yml"), yaml_text)
    assert [(finding.line, finding.text) for finding in found] == [(3, "data_type: hugeint"), (5, "data_type: varchar")]
    assert "bigint" in found[0].advice and found[1].advice == "string"


def test_the_command_names_the_file_and_fails(tmp_path) -> None:
    model = tmp_path / "m.sql"
    model.write_text("select\n    a::bigint\nfrom t\n")
    done = subprocess.run([str(Path(entry_point("python"))), "-m", "engagement.portability", str(model)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{model}:2: '::' is DuckDB-only" in done.stdout


def test_skipped_models_are_those_spark_does_not_build(tmp_path) -> None:
    (tmp_path / "landing").mkdir()
    dbt = ParsedProjectDbt(DbtTarget(duckdb_path=tmp_path / "warehouse.duckdb", landing_dir=tmp_path / "landing",
                                     target_path=tmp_path / "target"))

    def names(*selection: str) -> set[str]:
        lines = dbt(["--log-level", "none", "ls", "--resource-type", "model", *selection,
                     "--output", "json", "--output-keys", "name"])
        return {json.loads(line)["name"] for line in lines}

    left_out = names() - names("--selector", "spark")
    assert left_out - NEEDS_TABLE_FORMAT == set(portability.NOT_PORTED)


#: The self-updating models' config as each target renders it (materialization, strategy,
#: partition_by) and how int_user_activity_states_previous hands the state its stored rows
#: (int_user_attribute_history, like stg_landing__users and dim_user: a table on plain Parquet).
DAILY = ("fct_daily_activity", "fct_daily_platform_activity", "fct_active_user_fast")
RENDERED_CONFIG = {
    "duckdb": {**{m: ("incremental", "delete+insert", None) for m in (*DAILY, "int_user_activity_states")},
               "dim_daily_user_status": ("incremental", "append", None),
               "fct_viewing_sessions": ("incremental", "delete+insert", None),
               "int_user_attribute_history": ("incremental", "delete+insert", None),
               "int_user_activity_states_previous": ("view", None, None)},
    "parquet": {**{m: ("incremental", "insert_overwrite", "activity_date") for m in (*DAILY, "dim_daily_user_status")},
                "int_user_activity_states": ("incremental", "insert_overwrite", None),
                "fct_viewing_sessions": ("incremental", "insert_overwrite", "session_date"),
                "int_user_attribute_history": ("table", None, None),
                "int_user_activity_states_previous": ("table", None, None)},
    "delta": {**{m: ("incremental", "merge", "activity_date") for m in DAILY},
              "int_user_activity_states": ("incremental", "merge", None),
              "dim_daily_user_status": ("incremental", "append", "activity_date"),
              "fct_viewing_sessions": ("incremental", "merge", "session_date"),
              "int_user_attribute_history": ("incremental", "merge", None),
              "int_user_activity_states_previous": ("view", None, None)},
}


@pytest.mark.parametrize("flavour", list(RENDERED_CONFIG))
def test_self_updating_models_render_their_strategy_per_engine_and_format(tmp_path, flavour) -> None:
    """Compile-only (dbt parse, no connection): DuckDB delete+insert; Spark on plain Parquet partition
    insert_overwrite (the state: whole-table overwrite from its copy); Spark on Delta merge. The
    append models append everywhere."""
    environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "ENGAGEMENT_LANDING_DIR": str(tmp_path),
                   "ENGAGEMENT_DUCKDB_PATH": str(tmp_path / "w.duckdb"), "ENGAGEMENT_SPARK_DIR": str(tmp_path / "spark"),
                   "ENGAGEMENT_TARGET": "duckdb" if flavour == "duckdb" else "spark"}
    if flavour != "duckdb":
        environment["ENGAGEMENT_SPARK_FILE_FORMAT"] = flavour
    subprocess.run([entry_point("dbt"), "parse", "--quiet", "--target-path", str(tmp_path / "target"),
                    "--log-path", str(tmp_path / "logs"), "--profiles-dir", str(PROJECT_DIR),
                    "--project-dir", str(PROJECT_DIR)], env=environment, cwd=tmp_path, check=True)
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    config = {node["name"]: node["config"] for node in nodes.values() if node["resource_type"] == "model"}
    rendered = {name: (config[name]["materialized"], config[name].get("incremental_strategy")
                       if config[name]["materialized"] == "incremental" else None, config[name].get("partition_by"))
                for name in RENDERED_CONFIG[flavour]}
    assert rendered == RENDERED_CONFIG[flavour]
    for name in ("stg_landing__view_events", "fct_view_events", "stg_landing__user_changes"):
        assert (config[name]["materialized"], config[name]["incremental_strategy"]) == ("incremental", "append")
    # A merge needs a key unique per row: a user's versions are several rows.
    history_key = {"duckdb": "user_id", "parquet": "user_id", "delta": ["user_id", "valid_from"]}[flavour]
    assert config["int_user_attribute_history"]["unique_key"] == history_key
    if flavour != "duckdb":
        assert {config[name]["file_format"] for name in RENDERED_CONFIG[flavour]} == {flavour}
