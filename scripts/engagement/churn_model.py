"""Fit the churn model and write it as dbt seeds (``engagement-churn-fit``).

The model is a logistic regression (scikit-learn) of "leaves within D+1..D+N" (no activity
on those days, or a recorded churn in them: the generator's truth file stands in for a
service's cancellation records) on the feature columns of ``int_user_churn_features``
(macro ``churn_model_features``), fitted on a *training* warehouse built from a generator
run with a different seed than the data the model is evaluated on:

    engagement-generate --users 6000 --days 60 --start-date 2026-01-01 --seed 2024 \\
        --faults default --out data/churn/train/landing
    engagement-ingest --landing-dir data/churn/train/landing
    dbt seed && dbt run --select +int_user_churn_features   (with that landing dir and a warehouse file)
    engagement-churn-fit --duckdb-path data/churn/train/warehouse.duckdb \\
        --landing-dir data/churn/train/landing

``make churn-fit`` runs exactly these steps. It writes ``seeds/churn_model_coefficients.csv``
(intercept and one coefficient per feature, on the raw feature scale) and
``seeds/churn_model_training.csv`` (what the fit read: days, label window, sample size,
the generator arguments and seed, the library version), which are reviewed and committed
like code. The fit is deterministic: the same warehouse gives byte-identical seeds.

Exit codes: 0 ok, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from engagement import settings
from engagement.cli import OneLineParser
from engagement.settings import PROJECT_DIR

PROG = "engagement-churn-fit"
FEATURES_MACRO = PROJECT_DIR / "macros" / "churn" / "churn_model_features.sql"
COEFFICIENTS_FILE = "churn_model_coefficients.csv"
TRAINING_FILE = "churn_model_training.csv"
#: Training labels: observed inactivity alone, or observed inactivity or a recorded churn.
LABELS = ("observed", "observed_or_truth")
#: Inverse regularisation strength of the fit (on standardised features).
REGULARISATION_C = 1.0


class UsageError(Exception):
    """A user mistake: reported as one line, exit code 2."""


@dataclass(frozen=True)
class TrainingSample:
    """The fit's input: one row per monthly-active user-day with a fully observed outcome."""

    features: list[str]
    x: np.ndarray
    y: np.ndarray
    first_date: str
    last_date: str


@dataclass(frozen=True)
class FittedModel:
    """Intercept and coefficients on the raw feature scale (what fct_user_churn_risk multiplies)."""

    intercept: float
    coefficients: dict[str, float]


def feature_names(macro_file: Path = FEATURES_MACRO) -> list[str]:
    """The model's features, in order, from macro churn_model_features (the one list dbt scores)."""
    if not macro_file.is_file():
        raise UsageError(f"feature macro not found: {macro_file}")
    features = re.findall(r"'(feature_[a-z0-9_]+)'", macro_file.read_text())
    if not features:
        raise UsageError(f"{macro_file} lists no feature")
    return features


def load_sample(con: duckdb.DuckDBPyConnection, features: Sequence[str], outcome_days: int,
                incomplete_days: int, truth_file: Path | None) -> TrainingSample:
    """Features and the label of every evaluable user-day, in (activity_date, user_id) order.

    Label: the user leaves within D+1..D+N: no activity on those days (observed, from
    fct_daily_activity), or, with ``truth_file``, a recorded churn (the generator's
    churn_date) in that window. A day is evaluable when D+N is at most the newest activity
    day minus ``incomplete_days`` (the rule of int_churn_risk_outcomes).
    """
    columns = ", ".join(f"scored.{name}" for name in features)
    truth_join = (f"left join read_parquet('{truth_file}') as truth on truth.user_id = scored.user_id"
                  if truth_file else "")
    truth_label = (f"coalesce(bool_or(cast(truth.churn_date as date) > scored.activity_date and "
                   f"cast(truth.churn_date as date) <= scored.activity_date + {int(outcome_days)}), false)"
                   if truth_file else "false")
    query = f"""
        with last_complete as (
            select max(activity_date) - {int(incomplete_days)} as last_complete_date
            from fct_daily_activity
        ),
        scored as (
            select features.*
            from int_user_churn_features as features
            cross join last_complete
            where features.activity_date + {int(outcome_days)} <= last_complete.last_complete_date
        ),
        observed as (
            select
                scored.activity_date,
                scored.user_id,
                count(activity.activity_date) = 0 as has_churned_observed
            from scored
            left join fct_daily_activity as activity
                on activity.user_id = scored.user_id
                and activity.is_active
                and activity.activity_date > scored.activity_date
                and activity.activity_date <= scored.activity_date + {int(outcome_days)}
            group by all
        )
        select
            scored.activity_date,
            scored.user_id,
            {columns},
            any_value(observed.has_churned_observed) or {truth_label} as has_churned
        from scored
        inner join observed using (activity_date, user_id)
        {truth_join}
        group by all
        order by scored.activity_date, scored.user_id
    """
    try:
        rows = con.sql(query).fetchnumpy()
    except duckdb.CatalogException as exc:
        raise UsageError(f"missing model (build +int_user_churn_features first): {str(exc).splitlines()[0]}") from exc
    y = np.asarray(rows["has_churned"]).astype(int)
    if len(y) == 0:
        raise UsageError("no evaluable user-day: the data is shorter than the lookback plus the outcome window")
    if y.min() == y.max():
        raise UsageError("every training user-day has the same outcome: nothing to fit")
    x = np.column_stack([np.asarray(rows[name], dtype=float) for name in features])
    dates = rows["activity_date"]
    return TrainingSample(list(features), x, y, str(dates.min())[:10], str(dates.max())[:10])


def fit(sample: TrainingSample, c: float = REGULARISATION_C) -> FittedModel:
    """L2 logistic regression on standardised features, folded back to the raw scale.

    logit = b0 + sum(w_j * (x_j - mean_j) / scale_j) = (b0 - sum(w_j mean_j / scale_j)) + sum((w_j / scale_j) x_j).
    A constant feature (scale 0) gets coefficient 0.
    """
    scaler = StandardScaler().fit(sample.x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=2000)
    model.fit((sample.x - scaler.mean_) / scale, sample.y)
    weights = model.coef_[0] / scale
    weights = np.where(scaler.scale_ > 0, weights, 0.0)
    intercept = float(model.intercept_[0] - np.sum(weights * scaler.mean_))
    return FittedModel(intercept, dict(zip(sample.features, (float(w) for w in weights), strict=True)))


def generator_arguments(landing_dir: Path) -> dict:
    """The generator arguments recorded in the landing zone's manifest (seed, users, days...)."""
    manifests = sorted((landing_dir / "_manifests").glob("view_events__*.json"))
    if not manifests:
        raise UsageError(f"no generator manifest under {landing_dir / '_manifests'}")
    return json.loads(manifests[0].read_text())["arguments"]


def write_seeds(seeds_dir: Path, model: FittedModel, sample: TrainingSample, outcome_days: int,
                arguments: dict, label: str) -> None:
    """Write the coefficients and the training record (12 significant digits: stable diffs)."""
    with (seeds_dir / COEFFICIENTS_FILE).open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["feature", "coefficient"])
        writer.writerow(["intercept", f"{model.intercept:.12g}"])
        for name in sample.features:
            writer.writerow([name, f"{model.coefficients[name]:.12g}"])
    data_set = (f"engagement-generate --users {arguments['users']} --days {arguments['days']} "
                f"--start-date {arguments['start_date']} --seed {arguments['seed']} "
                f"--faults {arguments['faults']} --history-days {arguments.get('history_days', 0)}")
    with (seeds_dir / TRAINING_FILE).open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["first_training_date", "trained_through_date", "outcome_days", "training_user_days",
                         "training_churn_rate", "training_label", "generator_seed", "data_set", "fitted_with"])
        writer.writerow([sample.first_date, sample.last_date, outcome_days, len(sample.y),
                         f"{sample.y.mean():.6f}", label, arguments["seed"], data_set,
                         f"scikit-learn {sklearn.__version__} LogisticRegression C={REGULARISATION_C} solver=lbfgs "
                         "on standardised features"])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments (bad input exits 2 with a one-line message)."""
    parser = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb-path", type=Path, default=settings.DUCKDB_PATH.path(),
                        help="training warehouse (built from a different seed than the evaluation data)")
    parser.add_argument("--landing-dir", type=Path, default=settings.LANDING_DIR.path(),
                        help="its landing zone (the generator manifest names the seed)")
    parser.add_argument("--seeds-dir", type=Path, default=PROJECT_DIR / "seeds",
                        help="where the two seed files are written (default the project's seeds/)")
    parser.add_argument("--outcome-days", type=int, default=14,
                        help="label: no activity on D+1..D+N (must equal engagement__churn_outcome_days)")
    parser.add_argument("--label", choices=LABELS, default="observed_or_truth",
                        help="training label: observed (no activity on D+1..D+N) or observed_or_truth (that, "
                             "or the generator's churn_date in the window: a stand-in for cancellation records; "
                             "default)")
    parser.add_argument("--incomplete-days", type=int, default=1,
                        help="newest days still filling up (engagement__retention_incomplete_days)")
    args = parser.parse_args(argv)
    if args.outcome_days < 1:
        parser.error("--outcome-days must be at least 1")
    return args


def run(args: argparse.Namespace) -> int:
    """Load the sample, fit, write the seeds, print a summary."""
    if not args.duckdb_path.is_file():
        raise UsageError(f"warehouse not found: {args.duckdb_path}")
    features = feature_names()
    arguments = generator_arguments(args.landing_dir)
    truth_file = None
    if args.label == "observed_or_truth":
        truth_file = args.landing_dir / "_truth" / "users.parquet"
        if not truth_file.is_file():
            raise UsageError(f"truth file not found: {truth_file} (or pass --label observed)")
    con = duckdb.connect(str(args.duckdb_path), read_only=True)
    try:
        sample = load_sample(con, features, args.outcome_days, args.incomplete_days, truth_file)
    finally:
        con.close()
    model = fit(sample)
    write_seeds(args.seeds_dir, model, sample, args.outcome_days, arguments, args.label)
    print(f"{PROG}: fitted on {len(sample.y):,} user-days {sample.first_date}..{sample.last_date} "
          f"(label {args.label}, rate {sample.y.mean():.1%}, generator seed {arguments['seed']}); wrote "
          f"{args.seeds_dir / COEFFICIENTS_FILE} and {args.seeds_dir / TRAINING_FILE}")
    for name, weight in model.coefficients.items():
        print(f"  {name:<40} {weight:+.4f}")
    print(f"  {'intercept':<40} {model.intercept:+.4f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``engagement-churn-fit``."""
    args = parse_args(argv)
    try:
        return run(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
