"""engagement.portability: DuckDB-only SQL outside the dispatched macros fails the lint.

* the project's models and macros have none, nor do the models' contracts name a type Spark has
  not (``make lint`` runs the same check);
* each rule catches its construct, and comments and ``default__`` macro bodies are skipped;
* the models the check skips are exactly those the spark selector leaves out (besides the
  ones that need a table format), so a ported model cannot stay unchecked.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from engagement import portability
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
