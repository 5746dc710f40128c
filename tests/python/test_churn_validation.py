"""engagement.churn_validation (engagement-churn-validation): metric and label functions on
hand-made inputs, the CLI's one-line errors, and (when CHURN_VALIDATION_DUCKDB_PATH points
at a built warehouse) a run against a real warehouse. Builds nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from engagement import churn_validation as cv
from support.commands import entry_point

COMMAND = "engagement-churn-validation"
D = dt.date(2026, 2, 10)


def test_top_decile_metrics_counts_and_rates() -> None:
    # 10 users, 3 churned; the top decile (1 user) churned.
    rows = [(True, True), (False, True), (False, True)] + [(False, False)] * 7
    m = cv.top_decile_metrics(rows)
    assert (m.scored, m.positives, m.top_decile, m.top_decile_positives) == (10, 3, 1, 1)
    assert m.base_rate == pytest.approx(0.3)
    assert m.precision == 1.0
    assert m.recall == pytest.approx(1 / 3)
    assert m.lift == pytest.approx(1 / 0.3)


def test_random_top_decile_has_lift_one() -> None:
    # Top decile churns at the base rate: lift 1, recall = decile share.
    rows = [(i < 10, i % 2 == 0) for i in range(100)]
    m = cv.top_decile_metrics(rows)
    assert m.base_rate == 0.5 and m.precision == 0.5
    assert m.lift == pytest.approx(1.0)
    assert m.recall == pytest.approx(0.1)


def test_undefined_rates_are_none() -> None:
    nobody_churned = cv.top_decile_metrics([(True, False), (False, False)])
    assert nobody_churned.recall is None and nobody_churned.lift is None
    assert nobody_churned.precision == 0.0 and nobody_churned.base_rate == 0.0
    empty = cv.top_decile_metrics([])
    assert empty.base_rate is None and empty.precision is None and empty.lift is None


def test_pool_sums_counts_not_rates() -> None:
    day1 = cv.DecileMetrics(scored=10, positives=5, top_decile=1, top_decile_positives=1)
    day2 = cv.DecileMetrics(scored=90, positives=5, top_decile=9, top_decile_positives=0)
    pooled = cv.pool([day1, day2])
    assert pooled == cv.DecileMetrics(100, 10, 10, 1)
    assert pooled.precision == pytest.approx(0.1)  # not the mean of 1.0 and 0.0


@pytest.mark.parametrize(
    ("active_dates", "expected"),
    [
        ([], True),                                       # never active again
        ([D], True),                                      # active on D itself does not count
        ([D - dt.timedelta(days=3)], True),               # only before D
        ([D + dt.timedelta(days=1)], False),              # D+1: first day of the window
        ([D + dt.timedelta(days=14)], False),             # D+14: last day of the window
        ([D + dt.timedelta(days=15)], True),              # D+15: after the window
        ([D, D + dt.timedelta(days=15)], True),
    ],
)
def test_observed_churn_window_edges(active_dates: list[dt.date], expected: bool) -> None:
    assert cv.observed_churn(D, active_dates, 14) is expected


@pytest.mark.parametrize(
    ("churn_date", "expected"),
    [
        (None, False),
        (D, False),                                       # already churned on D
        (D + dt.timedelta(days=1), True),
        (D + dt.timedelta(days=28), True),
        (D + dt.timedelta(days=29), False),
    ],
)
def test_truth_churn_window_edges(churn_date: dt.date | None, expected: bool) -> None:
    assert cv.truth_churn(D, churn_date, 28) is expected


def test_is_evaluable_needs_the_whole_window() -> None:
    assert cv.is_evaluable(D, D + dt.timedelta(days=14), 14)
    assert not cv.is_evaluable(D, D + dt.timedelta(days=13), 14)


def test_per_day_metrics_and_reason_rates() -> None:
    rows = [
        cv.ScoredRow(D, 1, 1, True, (True, True, False, False)),
        cv.ScoredRow(D, 2, 2, True, (False, True, False, False)),
        cv.ScoredRow(D, 3, 3, True, (False, False, False, False)),
        cv.ScoredRow(D + dt.timedelta(days=1), 1, 1, True, (True, False, False, False)),  # unlabelled day
    ]
    label = {(D, 1): True, (D, 2): False, (D, 3): True}
    per_day = cv.per_day_metrics(rows, label)
    assert list(per_day) == [D]
    assert per_day[D] == cv.DecileMetrics(3, 2, 1, 1)
    rates = {name: (share, on, off) for name, share, on, off in cv.reason_rates(rows, label)}
    assert rates["has_activity_drop"] == (pytest.approx(1 / 3), 1.0, 0.5)
    assert rates["has_recent_inactivity"] == (pytest.approx(2 / 3), 0.5, 1.0)
    assert rates["has_poor_qoe"] == (0.0, None, pytest.approx(2 / 3))


@pytest.mark.parametrize("args", [["--outcome-days", "0"], ["--truth-days", "x"]])
def test_bad_arguments_exit_2_with_one_line(args: list[str]) -> None:
    result = subprocess.run([entry_point(COMMAND), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("churn_validation: error:")


def test_missing_warehouse_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [entry_point(COMMAND), "--duckdb-path", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"churn_validation: error: warehouse not found: {tmp_path / 'none.duckdb'}"


@pytest.mark.skipif(not os.environ.get("CHURN_VALIDATION_DUCKDB_PATH"),
                    reason="set CHURN_VALIDATION_DUCKDB_PATH to a warehouse with models/marts/churn built")
def test_against_a_built_warehouse() -> None:
    """The dbt evaluation model agrees with the recomputation (exit 0) and the table prints."""
    cmd = [entry_point(COMMAND), "--duckdb-path", os.environ["CHURN_VALIDATION_DUCKDB_PATH"]]
    if os.environ.get("CHURN_VALIDATION_TRUTH"):
        cmd += ["--truth", os.environ["CHURN_VALIDATION_TRUTH"]]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "observed: no activity D+1..D+14" in result.stdout
    assert "agg_churn_risk_evaluation agrees" in result.stdout


def test_recency_reference_takes_the_longest_inactive_tenth() -> None:
    rows = [cv.ScoredRow(D, user_id, 5, True, (False,) * 4, days_since_last_activity=user_id % 7)
            for user_id in range(1, 22)]  # 21 users -> ceil(21 / 10) = 3 in the top decile
    top = cv.recency_top_decile(rows)
    assert top == {(D, 6), (D, 13), (D, 20)}  # 6 days since last activity; ties by user_id
