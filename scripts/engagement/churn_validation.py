"""Validate the churn model against the recency and frequency baselines on held-out data.

Reads int_churn_risk_outcomes (one row per evaluable monthly-active user-day: the model's
probability and decile, the recency-only and frequency-only baselines, and two outcomes:
observed N-day inactivity and the generator's ground truth) and, for every scorer and
outcome, recomputes independently of dbt, with scikit-learn's ``roc_auc_score``:

* base rate, top-decile precision, recall and lift (precision / base rate), the top
  decile being each day's decile 1 of that scorer;
* AUC (pooled over the scoring days).

It checks the dbt mart agg_churn_risk_evaluation against the recomputation, and that the
data is held out: the landing zone's generator seed must differ from the training seed
recorded in churn_model_training (seeds/churn_model_training.csv).

    engagement-churn-validation --duckdb-path data/warehouse.duckdb --landing-dir data/landing

Exit codes: 0 ok, 1 the dbt mart disagrees with the recomputation or the data is the
training data, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
from sklearn.metrics import roc_auc_score

from engagement import settings
from engagement.cli import OneLineParser

PROG = "churn_validation"
SCORERS: dict[str, tuple[str, str]] = {
    # scorer -> (score column, decile column) of int_churn_risk_outcomes
    "model": ("churn_probability", "risk_decile"),
    "recency": ("recency_score", "recency_decile"),
    "frequency": ("frequency_score", "frequency_decile"),
}
OUTCOMES: dict[str, str] = {
    "observed_inactivity": "has_churned_observed",
    "truth_churn": "has_churned_truth",
}
#: Relative tolerance when comparing the dbt mart with the recomputation.
TOLERANCE = 1e-9


class UsageError(Exception):
    """A user mistake: reported as one line, exit code 2."""


@dataclass(frozen=True)
class ScorerMetrics:
    """How well one scorer ranked one outcome, pooled over the scoring days."""

    scored: int
    positives: int
    top_decile: int
    top_decile_positives: int
    auc: float | None

    @property
    def base_rate(self) -> float | None:
        """Share of scored user-days with the outcome; None when nothing was scored."""
        return self.positives / self.scored if self.scored else None

    @property
    def precision(self) -> float | None:
        """Share of the top decile with the outcome; None for an empty decile."""
        return self.top_decile_positives / self.top_decile if self.top_decile else None

    @property
    def recall(self) -> float | None:
        """Share of the outcome's user-days caught by the top decile; None without any."""
        return self.top_decile_positives / self.positives if self.positives else None

    @property
    def lift(self) -> float | None:
        """precision / base rate; None when either is undefined or the base rate is 0."""
        if self.precision is None or not self.base_rate:
            return None
        return self.precision / self.base_rate


def scorer_metrics(scores: np.ndarray, deciles: np.ndarray, labels: np.ndarray) -> ScorerMetrics:
    """Metrics of one scorer from parallel arrays (higher score = riskier; decile 1 = top)."""
    labels = labels.astype(bool)
    top = deciles == 1
    auc = float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else None
    return ScorerMetrics(int(len(labels)), int(labels.sum()), int(top.sum()), int((top & labels).sum()), auc)


def evaluate(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], ScorerMetrics]:
    """(scorer, outcome) -> metrics, recomputed from int_churn_risk_outcomes."""
    columns = sorted({c for pair in SCORERS.values() for c in pair} | set(OUTCOMES.values()))
    data = con.sql(f"select {', '.join(columns)} from int_churn_risk_outcomes").fetchnumpy()
    results: dict[tuple[str, str], ScorerMetrics] = {}
    for outcome, label_column in OUTCOMES.items():
        label = data[label_column]
        known = ~np.ma.getmaskarray(label) if np.ma.isMaskedArray(label) else np.array(
            [value is not None for value in label])
        if not known.any():
            continue
        labels = np.asarray(np.ma.filled(label, False) if np.ma.isMaskedArray(label) else label)[known]
        for scorer, (score_column, decile_column) in SCORERS.items():
            scores = np.asarray(data[score_column], dtype=float)[known]
            deciles = np.asarray(data[decile_column])[known]
            results[(scorer, outcome)] = scorer_metrics(scores, deciles, labels.astype(bool))
    return results


def load_dbt_evaluation(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], ScorerMetrics]:
    """The rows of the dbt mart agg_churn_risk_evaluation."""
    rows = con.sql(
        "select scorer, outcome, scored_user_days, churned_user_days, top_decile_user_days, "
        "top_decile_churned_user_days, auc from agg_churn_risk_evaluation"
    ).fetchall()
    return {(r[0], r[1]): ScorerMetrics(r[2], r[3], r[4], r[5], r[6]) for r in rows}


def disagreements(ours: dict[tuple[str, str], ScorerMetrics],
                  dbt: dict[tuple[str, str], ScorerMetrics]) -> list[str]:
    """Keys where the mart and the recomputation differ (counts exactly, AUC within TOLERANCE)."""
    problems = []
    for key in sorted(set(ours) | set(dbt)):
        a, b = ours.get(key), dbt.get(key)
        if a is None or b is None:
            problems.append(f"{key[0]}/{key[1]} only in {'the mart' if a is None else 'the recomputation'}")
            continue
        if (a.scored, a.positives, a.top_decile, a.top_decile_positives) != (
                b.scored, b.positives, b.top_decile, b.top_decile_positives):
            problems.append(f"{key[0]}/{key[1]} counts")
        elif (a.auc is None) != (b.auc is None) or (
                a.auc is not None and abs(a.auc - b.auc) > TOLERANCE * max(1.0, abs(a.auc))):
            problems.append(f"{key[0]}/{key[1]} auc {a.auc} vs {b.auc}")
    return problems


def training_seed(con: duckdb.DuckDBPyConnection) -> tuple[int | None, str]:
    """The generator seed and command of the model's training data (churn_model_training)."""
    row = con.execute("select generator_seed, data_set from churn_model_training").fetchone()
    return (None, "") if row is None else (row[0], row[1])


def landing_seed(landing_dir: Path) -> int | None:
    """The generator seed in the landing zone's manifest; None when there is no manifest."""
    manifests = sorted((landing_dir / "_manifests").glob("view_events__*.json"))
    if not manifests:
        return None
    return json.loads(manifests[0].read_text())["arguments"]["seed"]


def _fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f}%" if pct else f"{value:.3f}"


def format_table(results: dict[tuple[str, str], ScorerMetrics]) -> str:
    """One line per (outcome, scorer)."""
    header = (f"{'outcome':<20} {'scorer':<10} {'user-days':>9} {'base rate':>9} {'top-10% precision':>17} "
              f"{'recall':>7} {'lift':>6} {'AUC':>6}")
    lines = [header, "-" * len(header)]
    for outcome in OUTCOMES:
        for scorer in SCORERS:
            m = results.get((scorer, outcome))
            if m is None:
                continue
            lines.append(f"{outcome:<20} {scorer:<10} {m.scored:>9,} {_fmt(m.base_rate):>9} "
                         f"{_fmt(m.precision):>17} {_fmt(m.recall):>7} {_fmt(m.lift, False):>6} "
                         f"{_fmt(m.auc, False):>6}")
    return "\n".join(lines)


def headline(results: dict[tuple[str, str], ScorerMetrics]) -> list[str]:
    """One line per outcome: the model's lift and AUC beside the best baseline's."""
    lines = []
    for outcome in OUTCOMES:
        model = results.get(("model", outcome))
        if model is None or model.lift is None:
            continue
        baselines = [(name, results[(name, outcome)]) for name in SCORERS
                     if name != "model" and (name, outcome) in results]
        parts = ", ".join(f"{name} {_fmt(m.lift, False)} / {_fmt(m.auc, False)}" for name, m in baselines)
        beats = all((m.lift or 0) < model.lift and (m.auc or 0) < (model.auc or 0) for _, m in baselines)
        lines.append(f"{outcome}: model top-decile lift {_fmt(model.lift, False)}, AUC {_fmt(model.auc, False)} "
                     f"(baselines lift / AUC: {parts}) -> "
                     f"{'beats both' if beats else 'does NOT beat every baseline'}")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments (bad input exits 2 with a one-line message)."""
    parser = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb-path", type=Path, default=settings.DUCKDB_PATH.path(),
                        help=f"warehouse file (default ${settings.DUCKDB_PATH.name} or {settings.DUCKDB_PATH.default})")
    parser.add_argument("--landing-dir", type=Path, default=settings.LANDING_DIR.path(),
                        help="its landing zone: the generator manifest's seed is checked against the training seed")
    parser.add_argument("--allow-training-data", action="store_true",
                        help="evaluate even when the data has the training seed (in-sample figures, labelled so)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """Load, recompute, compare, print; return the exit code."""
    if not args.duckdb_path.is_file():
        raise UsageError(f"warehouse not found: {args.duckdb_path}")
    try:
        con = duckdb.connect(str(args.duckdb_path), read_only=True)
    except duckdb.Error as exc:
        raise UsageError(f"cannot open {args.duckdb_path}: {str(exc).splitlines()[0]}") from exc
    try:
        results = evaluate(con)
        dbt_eval = load_dbt_evaluation(con)
        train_seed, train_data = training_seed(con)
    except duckdb.CatalogException as exc:
        raise UsageError(f"missing model in {args.duckdb_path} (build +agg_churn_risk_evaluation first): "
                         f"{str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
    if not results:
        raise UsageError("int_churn_risk_outcomes is empty: the data is shorter than the outcome window")

    seed = landing_seed(args.landing_dir)
    in_sample = seed is not None and seed == train_seed
    print(f"Churn model validation of {args.duckdb_path} (landing seed {seed}; "
          f"model trained on seed {train_seed}: {train_data})")
    print(format_table(results))
    print()
    for line in headline(results):
        print(line)
    problems = disagreements(results, dbt_eval)
    if problems:
        print(f"{PROG}: error: agg_churn_risk_evaluation disagrees with the recomputation: "
              f"{'; '.join(problems)}", file=sys.stderr)
        return 1
    print(f"agg_churn_risk_evaluation agrees with this recomputation on all {len(dbt_eval)} rows.")
    if in_sample:
        message = f"the landing zone has the training seed {seed}: these figures are in-sample, not held out"
        if not args.allow_training_data:
            print(f"{PROG}: error: {message}", file=sys.stderr)
            return 1
        print(f"warning: {message}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``engagement-churn-validation``."""
    args = parse_args(argv)
    try:
        return run(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
