"""The dispatched macros the ported viewing, churn and real-time marts need give the same values on both engines.

* ``iso_weekday``: ISO day of the week, 1 = Monday .. 7 = Sunday, on dates and on timestamps
  around midnight (Spark's own dayofweek() would make Sunday 1);
* ``round_double``: a double rounded to n decimals on its exact binary value, halves away from
  zero, as DuckDB's round() does (Spark's rounds the shortest decimal string: 2.65 -> 2.7);
* ``spark__generate_series``: dbt.generate_series is 1 .. n as a BIGINT on Spark too (dbt's
  default goes through power() and gives a DOUBLE there, which breaks a bigint contract column).

Each runs ``dbt show --inline`` on the duckdb and on the spark target (a local Spark session).
Needs Java 17 for the spark case; skipped without it outside CI, failed without it in CI.
"""

from __future__ import annotations

import os
import shutil

import pytest

from engagement.settings import PROJECT_DIR
from support.spark import show_environment, show_inline

pytestmark = pytest.mark.slow

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

#: (name, SQL expression, expected value). 2026-03-01 is a Sunday.
CASES = [
    *[(f"weekday_2026_03_0{day}", f"{{{{ iso_weekday(\"date '2026-03-0{day}'\") }}}}", (day + 5) % 7 + 1)
      for day in range(1, 8)],
    ("weekday_sunday_last_millisecond", "{{ iso_weekday(\"timestamp '2026-03-01 23:59:59.999'\") }}", 7),
    ("weekday_monday_midnight", "{{ iso_weekday(\"timestamp '2026-03-02 00:00:00'\") }}", 1),
    *[(f"round_{name}", f"{{{{ round_double('cast({value} as double)', {digits}) }}}}", expected)
      for name, value, digits, expected in [
          ("binary_below_half", "2.65", 1, 2.6), ("exact_half", "2.25", 1, 2.3), ("negative", "-2.65", 1, -2.6),
          ("binary_above_half", "0.45", 1, 0.5), ("two_digits_half", "0.125", 2, 0.13),
          ("two_digits_below", "1.005", 2, 1.0), ("whole", "2.5", 0, 3.0), ("quotient", "2650 / 1000.0", 1, 2.6)]],
    ("round_as_text", f"cast({{{{ round_double('cast(2.65 as double)', 1) }}}} as {{{{ dbt.type_string() }}}})", "2.6"),
    ("series_count", "(select count(*) from ({{ dbt.generate_series(24) }}) as series)", 24),
    ("series_sum", "(select sum(generated_number) from ({{ dbt.generate_series(24) }}) as series)", 300),
    ("series_type", "(select lower(max(typeof(generated_number))) from ({{ dbt.generate_series(3) }}) as series)",
     "bigint"),
]


@pytest.mark.parametrize("target", ["duckdb", "spark"])
def test_macros_give_the_same_values_on_both_engines(tmp_path, target) -> None:
    if target == "spark" and shutil.which("java") is None:
        message = "Java (17) is missing: pyspark needs it for the spark target"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    sql = "select " + ", ".join(f"{expression} as {name}" for name, expression, _ in CASES)
    (row,) = show_inline(sql, PROJECT_DIR, show_environment(target, tmp_path), tmp_path / "show")
    got = {name.lower(): value for name, value in row.items()}
    assert got == {name: expected for name, _, expected in CASES}
