"""The dbt semantic layer (MetricFlow) answers what the marts say.

A module fixture generates a small landing zone, builds the whole project with
``pipeline.build.ingest_and_build`` (which also writes ``semantic_manifest.json``), then the
tests run real ``mf query`` commands and compare every number with SQL written
directly against the marts:

* dau, wau, mau and the daily statuses by day equal the rollup fct_active_user_fast;
* at month and week grain they are the value on the period's last day (never a sum);
* dau by day and user__country equals active users counted by current profile country;
* watch_time_hours equals the sum of fct_daily_activity.time_spent_seconds;
* completion_rate by media__genre equals completed playbacks / playbacks;
* new_users at week and month grain is the period's count (the sum of its days);
* the week_* and month_* lifecycle metrics equal growth accounting recomputed here, in
  Python, from fct_daily_activity's active days, also split by user__plan;
* the saved queries return the newest periods first under ``--limit`` and flag the
  partial ones with dim_activity_day's is_complete_* columns.

``mf`` reads ``<project dir>/target/semantic_manifest.json`` and has no
``--target-path`` option, so the tests point it (DBT_PROJECT_DIR and the working
directory) at a scratch project directory whose entries link to the real project
and whose ``target`` is this build's target path; the repository's own target/
and logs/ are never touched.

Skipped, with the reason, when MetricFlow (``dbt-metricflow``) is not installed in
the running interpreter's environment.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from engagement.pipeline.build import ingest_and_build
from engagement.pipeline.dbt import PROJECT_DIR, DbtTarget
from support.commands import entry_point

MF = Path(sys.executable).parent / "mf"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not MF.exists(),
        reason=f"MetricFlow is not installed: no `mf` next to {sys.executable} (pip install dbt-metricflow)",
    ),
]

START = date(2026, 2, 18)  # 14 days: crosses a month end and two week boundaries
DAYS = 14
GENERATOR_ARGS = ["--users", "800", "--days", str(DAYS), "--start-date", START.isoformat(), "--seed", "23"]
# What the scratch project directory links to (everything dbt and mf read).
PROJECT_ENTRIES = ["dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots", "tests"]
# Only what the semantic models read (the core marts, the lifecycle periods and their parents) and
# the time spine.
BUILD_SELECTION = ["+path:models/marts/core", "+path:models/semantic", "+fct_user_lifecycle_periods"]
TOLERANCE = 1e-9


class SemanticLayer:
    """A built warehouse plus what ``mf`` needs to query it."""

    def __init__(self, warehouse: Path, landing: Path, project: Path) -> None:
        self.warehouse = warehouse
        self.landing = landing
        self.project = project

    def query(self, metrics: list[str], group_by: list[str], *extra: str) -> list[dict[str, str]]:
        """Run ``mf query`` and return its rows (column name -> text), as written by --csv."""
        return self.run_query(["--metrics", ",".join(metrics), "--group-by", ",".join(group_by), *extra])

    def saved_query(self, name: str, *extra: str) -> list[dict[str, str]]:
        """Run ``mf query --saved-query name`` and return its rows."""
        return self.run_query(["--saved-query", name, *extra])

    def run_query(self, arguments: list[str]) -> list[dict[str, str]]:
        """Run ``mf query <arguments>`` and return its rows, in the order mf wrote them."""
        output = self.project / f"result_{len(list(self.project.glob('result_*.csv')))}.csv"
        command = [str(MF), "query", *arguments, "--csv", str(output), "--quiet"]
        environment = {
            **os.environ,
            **DbtTarget(duckdb_path=self.warehouse, landing_dir=self.landing).environment(),
            "DBT_PROJECT_DIR": str(self.project),
        }
        completed = subprocess.run(
            command, cwd=self.project, env=environment, capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0 and output.exists(), (
            f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}"
        )
        with output.open(newline="") as handle:
            return list(csv.DictReader(handle))

    def sql(self, statement: str) -> list[tuple]:
        """Rows of a query run directly against the marts."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(statement).fetchall()


def _day(text: str) -> date:
    """mf writes metric_time as an ISO timestamp; the marts use dates."""
    return date.fromisoformat(text[:10])


def _number(text: str) -> float | None:
    return None if text in ("", "None") else float(text)


@pytest.fixture(scope="module")
def semantic_layer(tmp_path_factory: pytest.TempPathFactory) -> SemanticLayer:
    root = tmp_path_factory.mktemp("semantic")
    landing = root / "landing"
    warehouse = root / "semantic.duckdb"
    target_path = root / "target"
    subprocess.run(
        [entry_point("engagement-generate"), *GENERATOR_ARGS, "--faults", "default", "--out", str(landing), "--quiet"],
        check=True,
    )
    target = DbtTarget(duckdb_path=warehouse, landing_dir=landing, target_path=target_path)
    skip_tests = ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]
    ingest_and_build(target, ["build", "--select", *BUILD_SELECTION, *skip_tests])
    project = root / "project"
    project.mkdir()
    for entry in PROJECT_ENTRIES:
        (project / entry).symlink_to(PROJECT_DIR / entry)
    (project / "target").symlink_to(target_path)
    assert (target_path / "semantic_manifest.json").exists(), "dbt wrote no semantic_manifest.json"
    return SemanticLayer(warehouse, landing, project)


def test_daily_user_counts_equal_the_rollup(semantic_layer: SemanticLayer) -> None:
    metrics = ["dau", "wau", "mau", "new_users", "retained_users", "resurrected_users", "churned_users", "stale_users"]
    rows = semantic_layer.query(metrics, ["metric_time__day"])
    from_mf = {_day(row["metric_time__day"]): tuple(int(row[name]) for name in metrics) for row in rows}
    rollup = semantic_layer.sql(f"select activity_date, {', '.join(metrics)} from fct_active_user_fast")
    expected = {row[0]: tuple(row[1:]) for row in rollup}
    assert len(expected) >= DAYS
    assert from_mf == expected


def test_stickiness_and_quick_ratio_equal_the_rollup(semantic_layer: SemanticLayer) -> None:
    rows = semantic_layer.query(["stickiness", "quick_ratio"], ["metric_time__day"])
    rollup_rows = semantic_layer.sql("select activity_date, stickiness, quick_ratio from fct_active_user_fast")
    rollup = {row[0]: row[1:] for row in rollup_rows}
    assert len(rows) == len(rollup)
    for row in rows:
        stickiness, quick_ratio = rollup[_day(row["metric_time__day"])]
        assert _number(row["stickiness"]) == pytest.approx(stickiness, abs=TOLERANCE)
        if quick_ratio is None:
            assert _number(row["quick_ratio"]) is None
        else:
            assert _number(row["quick_ratio"]) == pytest.approx(quick_ratio, abs=TOLERANCE)


@pytest.mark.parametrize("grain", ["week", "month"])
def test_user_counts_at_coarser_grains_are_the_period_end_value(semantic_layer: SemanticLayer, grain: str) -> None:
    """A month's DAU is the DAU of its last day with data, never the sum of its days."""
    metrics = ["dau", "wau", "mau", "churned_users"]
    rows = semantic_layer.query(metrics, [f"metric_time__{grain}"])
    from_mf = {_day(row[f"metric_time__{grain}"]): tuple(int(row[name]) for name in metrics) for row in rows}
    period_end = semantic_layer.sql(
        f"""
        with periods as (
            select *, date_trunc('{grain}', activity_date) as period_start,
                max(activity_date) over (partition by date_trunc('{grain}', activity_date)) as period_last_day
            from fct_active_user_fast
        )
        select cast(period_start as date), {', '.join(metrics)}
        from periods where activity_date = period_last_day
        """
    )
    expected = {row[0]: tuple(row[1:]) for row in period_end}
    assert len(expected) >= 2, f"the data must span at least two {grain}s"
    assert from_mf == expected


def test_active_users_in_period_counts_distinct_users(semantic_layer: SemanticLayer) -> None:
    rows = semantic_layer.query(["active_users_in_period"], ["metric_time__month"])
    from_mf = {_day(row["metric_time__month"]): int(row["active_users_in_period"]) for row in rows}
    expected = dict(
        semantic_layer.sql(
            """
            select cast(date_trunc('month', activity_date) as date), count(distinct user_id)
            from fct_daily_activity where is_active group by 1
            """
        )
    )
    assert from_mf == expected


def test_dau_by_day_and_country(semantic_layer: SemanticLayer) -> None:
    """dau split by user__country (the current profile country of dim_user) sums to DAU."""
    rows = semantic_layer.query(["dau"], ["metric_time__day", "user__country"])
    from_mf = {(_day(row["metric_time__day"]), row["user__country"]): int(row["dau"]) for row in rows}
    expected = {
        (row[0], row[1]): row[2]
        for row in semantic_layer.sql(
            """
            select status.activity_date, users.country, count(case when status.is_active then 1 end)
            from dim_daily_user_status as status
            inner join dim_user as users on status.user_id = users.user_id
            group by 1, 2
            """
        )
    }
    assert len({country for _, country in expected}) > 1
    assert from_mf == expected


def test_watch_time_hours_by_day(semantic_layer: SemanticLayer) -> None:
    rows = semantic_layer.query(["watch_time_hours"], ["metric_time__day"])
    expected = dict(
        semantic_layer.sql("select activity_date, sum(time_spent_seconds) / 3600.0 from fct_daily_activity group by 1")
    )
    assert len(rows) == len(expected) >= DAYS
    for row in rows:
        assert _number(row["watch_time_hours"]) == pytest.approx(expected[_day(row["metric_time__day"])], rel=1e-9)


def test_completion_rate_by_genre(semantic_layer: SemanticLayer) -> None:
    rows = semantic_layer.query(["completion_rate", "playbacks"], ["media__genre"])
    expected = {
        row[0]: row[1:]
        for row in semantic_layer.sql(
            """
            select media.genre,
                cast(count(case when events.is_completed then 1 end) as double) / count(*),
                count(*)
            from fct_view_events as events
            inner join dim_media as media on events.media_id = media.media_id
            where events.event_type = 'playback'
            group by 1
            """
        )
    }
    assert len(rows) == len(expected) > 1
    for row in rows:
        rate, playbacks = expected[row["media__genre"]]
        assert int(row["playbacks"]) == playbacks
        assert _number(row["completion_rate"]) == pytest.approx(rate, abs=TOLERANCE)


@pytest.mark.parametrize("grain", ["week", "month"])
def test_new_users_at_coarser_grains_is_the_period_count(semantic_layer: SemanticLayer, grain: str) -> None:
    """Weekly new users = users whose first active day is in the ISO week (not the last day's count)."""
    rows = semantic_layer.query(["new_users"], [f"metric_time__{grain}"])
    from_mf = {_day(row[f"metric_time__{grain}"]): int(row["new_users"]) for row in rows}
    expected = dict(
        semantic_layer.sql(
            f"""
            select cast(date_trunc('{grain}', first_activity_date) as date), count(*)
            from (select user_id, min(activity_date) as first_activity_date
                  from fct_daily_activity where is_active group by 1)
            group by 1
            """
        )
    )
    assert len(expected) >= 2 and max(expected.values()) > 0
    assert from_mf == expected


def test_saved_queries_return_the_newest_periods_first_with_completeness(semantic_layer: SemanticLayer) -> None:
    calendar = semantic_layer.sql(
        "select activity_date, week_start_date, is_complete_day, is_complete_week from dim_activity_day"
    )
    newest_day = max(row[0] for row in calendar)
    complete_day = {row[0]: row[2] for row in calendar}
    complete_week = {row[1]: row[3] for row in calendar}
    # The generated data ends at the end of its last day's arrivals: some day is complete, and
    # the day of the data clock is not (its midnight has not passed).
    assert complete_day[newest_day] is False and any(complete_day.values())

    days = semantic_layer.saved_query("daily_active_users", "--limit", "3")
    assert [_day(row["metric_time__day"]) for row in days] == sorted(complete_day, reverse=True)[:3]
    assert [row["activity_day__is_complete_day"].lower() for row in days] == [
        str(complete_day[_day(row["metric_time__day"])]).lower() for row in days
    ]

    weeks = semantic_layer.saved_query("weekly_new_users", "--limit", "2")
    assert [_day(row["metric_time__week"]) for row in weeks] == sorted(complete_week, reverse=True)[:2]
    assert weeks[0]["activity_day__is_complete_week"].lower() == "false"

    only_complete = semantic_layer.query(
        ["new_users"], ["metric_time__week"], "--where", "{{ Dimension('activity_day__is_complete_week') }}"
    )
    assert {_day(row["metric_time__week"]) for row in only_complete} == {
        week for week, complete in complete_week.items() if complete
    }


def _period_start(day: date, grain: str) -> date:
    return day - timedelta(days=day.weekday()) if grain == "week" else day.replace(day=1)


def _previous_period_start(start: date, grain: str) -> date:
    return start - timedelta(days=7) if grain == "week" else (start - timedelta(days=1)).replace(day=1)


def _lifecycle_recomputed(active_days: list[tuple[int, date]], grain: str) -> dict[date, dict[str, set[int]]]:
    """Per period start: the users new, retained, resurrected and churned in it, from active (user, day) pairs.

    Written from the definition (def_period_lifecycle_status), not from the model's SQL: active in P
    = active on a day of P; the status compares P with the period before; periods after the newest
    observed one are not reported.
    """
    active: dict[date, set[int]] = {}
    first_period: dict[int, date] = {}
    for user_id, day in active_days:
        start = _period_start(day, grain)
        active.setdefault(start, set()).add(user_id)
        first_period[user_id] = min(first_period.get(user_id, start), start)
    result = {}
    for start in sorted(active):
        previous = active.get(_previous_period_start(start, grain), set())
        now = active[start]
        new = {user for user in now if first_period[user] == start}
        result[start] = {
            "new": new,
            "retained": (now & previous) - new,
            "resurrected": now - previous - new,
            "churned": previous - now,
        }
    return result


@pytest.mark.parametrize("grain", ["week", "month"])
def test_lifecycle_metrics_equal_growth_accounting_from_active_days(semantic_layer: SemanticLayer, grain: str) -> None:
    statuses = ["new", "retained", "resurrected", "churned", "active"]
    metrics = [f"{grain}_{status}_users" for status in statuses] + [f"{grain}_quick_ratio"]
    rows = semantic_layer.query(metrics, [f"metric_time__{grain}"])
    active_days = semantic_layer.sql("select user_id, activity_date from fct_daily_activity where is_active")
    expected = _lifecycle_recomputed(active_days, grain)
    assert len(expected) >= 2 and any(period["churned"] for period in expected.values())
    assert any(period["resurrected"] for period in expected.values()) or grain == "month"
    from_mf = {_day(row[f"metric_time__{grain}"]): row for row in rows}
    assert set(from_mf) == set(expected)
    for start, period in expected.items():
        row = from_mf[start]
        counts = {status: len(period[status]) for status in statuses[:-1]}
        counts["active"] = counts["new"] + counts["retained"] + counts["resurrected"]
        assert {status: int(row[f"{grain}_{status}_users"]) for status in statuses} == counts, start
        ratio = _number(row[f"{grain}_quick_ratio"])
        if counts["churned"] == 0:
            assert ratio is None
        else:
            assert ratio == pytest.approx((counts["new"] + counts["resurrected"]) / counts["churned"], rel=TOLERANCE)


def test_weekly_lifecycle_splits_by_plan_add_up_to_the_totals(semantic_layer: SemanticLayer) -> None:
    """Split by the user's current plan (dim_user through the user entity), the parts add up to the week's totals."""
    metrics = ["week_new_users", "week_retained_users", "week_resurrected_users", "week_churned_users"]
    by_plan = semantic_layer.query(metrics, ["metric_time__week", "user__plan"])
    assert len({row["user__plan"] for row in by_plan}) > 1
    summed: dict[date, list[int]] = {}
    for row in by_plan:
        sums = summed.setdefault(_day(row["metric_time__week"]), [0] * len(metrics))
        for index, name in enumerate(metrics):
            sums[index] += int(row[name])
    totals = {
        _day(row["metric_time__week"]): [int(row[name]) for name in metrics]
        for row in semantic_layer.query(metrics, ["metric_time__week"])
    }
    assert summed == totals


def test_lifecycle_saved_queries_flag_partial_and_warm_up_periods(semantic_layer: SemanticLayer) -> None:
    calendar = semantic_layer.sql("select week_start_date, month_start_date, is_complete_week, is_complete_month from dim_activity_day")
    first_day = semantic_layer.sql("select min(activity_date) from dim_activity_day")[0][0]
    for name, grain, start_column, complete_column in [("weekly_lifecycle", "week", 0, 2), ("monthly_lifecycle", "month", 1, 3)]:
        complete = {row[start_column]: row[complete_column] for row in calendar}
        rows = semantic_layer.saved_query(name)
        starts = [_day(row[f"metric_time__{grain}"]) for row in rows]
        assert starts == sorted(complete, reverse=True), name
        for row, start in zip(rows, starts):
            assert row["user_period__is_complete_period"].lower() == str(complete[start]).lower(), (name, start)
            observed = _previous_period_start(start, grain) >= first_day
            assert row["user_period__has_observed_previous_period"].lower() == str(observed).lower(), (name, start)
        assert rows[0]["user_period__is_complete_period"].lower() == "false"
