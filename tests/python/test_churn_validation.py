"""engagement.churn_validation (engagement-churn-validation): metrics on hand-made inputs,
the check against the dbt mart, the held-out (seed) check, and the CLI's one-line errors.
A tiny hand-written warehouse stands in for a dbt build (the SQL has its own unit tests)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pytest

from engagement import churn_validation as cv
from support.commands import entry_point

COMMAND = "engagement-churn-validation"

# The four user-days of the dbt unit test agg_churn_risk_evaluation_auc_ties_and_top_decile.
OUTCOME_ROWS = [
    # user, probability, decile, recency, r-decile, frequency, f-decile, observed, truth
    (1, 0.9, 1, 3.0, 2, -1.0, 1, True, True),
    (2, 0.6, 2, 3.0, 1, -2.0, 2, False, False),
    (3, 0.6, 3, 3.0, 3, -3.0, 3, True, None),
    (4, 0.1, 4, 3.0, 4, -4.0, 4, False, None),
]
# What that unit test expects of the mart: (scorer, outcome) -> counts and AUC.
MART_ROWS = [
    ("model", "observed_inactivity", 4, 2, 1, 1, 0.875),
    ("model", "truth_churn", 2, 1, 1, 1, 1.0),
    ("recency", "observed_inactivity", 4, 2, 1, 0, 0.5),
    ("recency", "truth_churn", 2, 1, 1, 0, 0.5),
    ("frequency", "observed_inactivity", 4, 2, 1, 1, 0.75),
    ("frequency", "truth_churn", 2, 1, 1, 1, 1.0),
]


def _warehouse(tmp_path: Path, train_seed: int = 2024, landing_seed: int = 42,
               mart_rows: list[tuple] | None = None) -> tuple[Path, Path]:
    """A warehouse with the three tables the command reads, and a landing manifest."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""create table int_churn_risk_outcomes (user_id bigint, churn_probability double,
        risk_decile bigint, recency_score double, recency_decile bigint, frequency_score double,
        frequency_decile bigint, has_churned_observed boolean, has_churned_truth boolean)""")
    con.executemany("insert into int_churn_risk_outcomes values (?, ?, ?, ?, ?, ?, ?, ?, ?)", OUTCOME_ROWS)
    con.execute("""create table agg_churn_risk_evaluation (scorer varchar, outcome varchar,
        scored_user_days bigint, churned_user_days bigint, top_decile_user_days bigint,
        top_decile_churned_user_days bigint, auc double)""")
    con.executemany("insert into agg_churn_risk_evaluation values (?, ?, ?, ?, ?, ?, ?)", mart_rows or MART_ROWS)
    con.execute("create table churn_model_training (generator_seed bigint, data_set varchar)")
    con.execute("insert into churn_model_training values (?, 'engagement-generate ... --seed ?')", [train_seed])
    con.close()
    landing = tmp_path / "landing"
    (landing / "_manifests").mkdir(parents=True)
    (landing / "_manifests" / "view_events__start__end.json").write_text(
        json.dumps({"arguments": {"seed": landing_seed}}))
    return path, landing


def test_metrics_match_the_dbt_unit_test() -> None:
    scores = np.array([0.9, 0.6, 0.6, 0.1])
    labels = np.array([True, False, True, False])
    m = cv.scorer_metrics(scores, np.array([1, 2, 3, 4]), labels)
    assert (m.scored, m.positives, m.top_decile, m.top_decile_positives) == (4, 2, 1, 1)
    assert m.auc == pytest.approx(0.875)  # ties count half
    assert (m.base_rate, m.precision, m.recall, m.lift) == (0.5, 1.0, 0.5, 2.0)


def test_undefined_rates_are_none() -> None:
    m = cv.scorer_metrics(np.array([0.2, 0.1]), np.array([1, 2]), np.array([False, False]))
    assert m.auc is None and m.recall is None and m.lift is None and m.base_rate == 0.0


def test_recomputation_agrees_with_the_mart_and_runs_clean(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path, landing = _warehouse(tmp_path)
    assert cv.main(["--duckdb-path", str(path), "--landing-dir", str(landing)]) == 0
    out = capsys.readouterr().out
    assert "agg_churn_risk_evaluation agrees with this recomputation on all 6 rows." in out
    assert "observed_inactivity: model top-decile lift 2.000, AUC 0.875" in out
    assert "truth_churn: model top-decile lift 2.000, AUC 1.000" in out


def test_a_mart_that_disagrees_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [row if row[0] != "recency" or row[1] != "truth_churn" else row[:6] + (0.75,) for row in MART_ROWS]
    path, landing = _warehouse(tmp_path, mart_rows=rows)
    assert cv.main(["--duckdb-path", str(path), "--landing-dir", str(landing)]) == 1
    assert "recency/truth_churn auc 0.5 vs 0.75" in capsys.readouterr().err


def test_training_data_is_refused_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path, landing = _warehouse(tmp_path, train_seed=42, landing_seed=42)
    assert cv.main(["--duckdb-path", str(path), "--landing-dir", str(landing)]) == 1
    assert "training seed 42: these figures are in-sample" in capsys.readouterr().err
    assert cv.main(["--duckdb-path", str(path), "--landing-dir", str(landing), "--allow-training-data"]) == 0


def test_headline_names_a_baseline_that_wins() -> None:
    results = {
        ("model", "observed_inactivity"): cv.ScorerMetrics(10, 5, 1, 1, 0.7),
        ("recency", "observed_inactivity"): cv.ScorerMetrics(10, 5, 1, 1, 0.8),
    }
    assert cv.headline(results)[0].endswith("does NOT beat every baseline")


def test_bad_argument_exits_2_with_one_line() -> None:
    result = subprocess.run([entry_point(COMMAND), "--no-such-flag"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("churn_validation: error:")


def test_missing_warehouse_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cv.main(["--duckdb-path", str(tmp_path / "none.duckdb")]) == 2
    assert capsys.readouterr().err.strip() == f"churn_validation: error: warehouse not found: {tmp_path / 'none.duckdb'}"


def test_run_summary_prints_the_churn_headline(tmp_path: Path) -> None:
    """make run's summary: the model's lift / AUC first, then the baselines, per outcome."""
    from engagement.pipeline.summary import _churn_lines

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("""create table agg_churn_risk_evaluation as select * from (values
        ('recency', 'observed_inactivity', 2.19, 0.757, 100, 3, 14),
        ('model', 'observed_inactivity', 2.35, 0.808, 100, 3, 14)) as t(scorer, outcome, top_decile_lift, auc,
        scored_user_days, scoring_days, outcome_days)""")
    lines = _churn_lines(con)
    assert lines[1].startswith("  Churn risk (14-day churn")
    assert lines[2].split() == ["observed_inactivity", "model", "2.35", "/", "0.808,", "recency", "2.19", "/",
                                "0.757", "(100", "user-days,", "3", "days)"]
