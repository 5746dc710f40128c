"""Validate the churn-risk mart against what happened afterwards.

Reads fct_user_churn_risk from the warehouse and scores its top risk decile against two
labels, for every scoring day D whose label window is fully observed:

* observed: the user had no activity on D+1..D+N (N = --outcome-days, 14), from
  fct_daily_activity; the same label as the dbt model agg_churn_risk_evaluation, which
  this script recomputes independently and checks row for row;
* truth: the generator's ground truth (--truth, _truth/users.parquet) puts the user's
  churn_date within D+1..D+M (M = --truth-days, 28); also shown without the users whose
  churn_date is on or before D (they had already churned when scored).

For each label it prints the pooled base rate, top-decile precision, recall and lift
(precision / base rate), then each reason's churn rate when it holds and when it does not.

    engagement-churn-validation --duckdb-path data/warehouse.duckdb \
        --truth data/landing/_truth/users.parquet

Exit codes: 0 ok, 1 the dbt evaluation model disagrees with the recomputation, 2 bad input.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engagement import settings
from engagement.cli import OneLineParser

PROG = "churn_validation"
REASONS: tuple[str, ...] = (
    "has_activity_drop", "has_recent_inactivity", "has_watch_time_drop", "has_poor_qoe",
)


class UsageError(Exception):
    """A user mistake: reported as one line, exit code 2."""


@dataclass(frozen=True)
class DecileMetrics:
    """Counts behind the top-decile metrics of one scoring day (or of several, pooled)."""

    scored: int
    positives: int
    top_decile: int
    top_decile_positives: int

    @property
    def base_rate(self) -> float | None:
        """Share of scored users with the label; None when nobody was scored."""
        return self.positives / self.scored if self.scored else None

    @property
    def precision(self) -> float | None:
        """Share of the top decile with the label; None for an empty decile."""
        return self.top_decile_positives / self.top_decile if self.top_decile else None

    @property
    def recall(self) -> float | None:
        """Share of labelled users caught by the top decile; None when nobody has the label."""
        return self.top_decile_positives / self.positives if self.positives else None

    @property
    def lift(self) -> float | None:
        """precision / base rate; None when either is undefined or the base rate is 0."""
        if self.precision is None or not self.base_rate:
            return None
        return self.precision / self.base_rate


def top_decile_metrics(rows: Iterable[tuple[bool, bool]]) -> DecileMetrics:
    """Metrics of one scoring day from (is_top_decile, has_label) pairs, one per scored user."""
    scored = positives = top = top_positives = 0
    for is_top, has_label in rows:
        scored += 1
        positives += bool(has_label)
        top += bool(is_top)
        top_positives += bool(is_top and has_label)
    return DecileMetrics(scored, positives, top, top_positives)


def pool(metrics: Iterable[DecileMetrics]) -> DecileMetrics:
    """Pool several days (micro-average): counts are summed, the rates follow from the sums."""
    totals = [0, 0, 0, 0]
    for m in metrics:
        for i, value in enumerate((m.scored, m.positives, m.top_decile, m.top_decile_positives)):
            totals[i] += value
    return DecileMetrics(*totals)


def observed_churn(scoring_date: dt.date, active_dates: Sequence[dt.date], horizon_days: int) -> bool:
    """True when none of the sorted `active_dates` falls in scoring_date+1 .. scoring_date+horizon_days."""
    first_after = bisect.bisect_right(active_dates, scoring_date)
    if first_after == len(active_dates):
        return True
    return active_dates[first_after] > scoring_date + dt.timedelta(days=horizon_days)


def truth_churn(scoring_date: dt.date, churn_date: dt.date | None, horizon_days: int) -> bool:
    """True when the ground-truth churn_date falls in scoring_date+1 .. scoring_date+horizon_days."""
    if churn_date is None:
        return False
    return scoring_date < churn_date <= scoring_date + dt.timedelta(days=horizon_days)


def is_evaluable(scoring_date: dt.date, last_observed_date: dt.date, horizon_days: int) -> bool:
    """True when the whole label window after scoring_date is observed."""
    return scoring_date + dt.timedelta(days=horizon_days) <= last_observed_date


@dataclass(frozen=True)
class ScoredRow:
    """One row of fct_user_churn_risk, reduced to what the validation needs."""

    activity_date: dt.date
    user_id: int
    risk_decile: int
    is_lookback_complete: bool
    reasons: tuple[bool, ...]
    days_since_last_activity: int = 0


def recency_top_decile(rows: Sequence[ScoredRow]) -> set[tuple[dt.date, int]]:
    """Reference ranking: per day, the ceil(n/10) users longest inactive (ties: lower user_id)."""
    by_day: dict[dt.date, list[ScoredRow]] = defaultdict(list)
    for row in rows:
        by_day[row.activity_date].append(row)
    top: set[tuple[dt.date, int]] = set()
    for day, day_rows in by_day.items():
        ranked = sorted(day_rows, key=lambda r: (-r.days_since_last_activity, r.user_id))
        top.update((day, r.user_id) for r in ranked[: -(-len(ranked) // 10)])
    return top


def per_day_metrics(
    rows: Sequence[ScoredRow], label: Mapping[tuple[dt.date, int], bool],
) -> dict[dt.date, DecileMetrics]:
    """Top-decile metrics per scoring day for the rows that have a label."""
    by_day: dict[dt.date, list[tuple[bool, bool]]] = defaultdict(list)
    for row in rows:
        key = (row.activity_date, row.user_id)
        if key in label:
            by_day[row.activity_date].append((row.risk_decile == 1, label[key]))
    return {day: top_decile_metrics(pairs) for day, pairs in sorted(by_day.items())}


def reason_rates(
    rows: Sequence[ScoredRow], label: Mapping[tuple[dt.date, int], bool],
) -> list[tuple[str, float, float | None, float | None]]:
    """Per reason: share of labelled rows where it holds, label rate when it holds, when it does not."""
    result = []
    for i, reason in enumerate(REASONS):
        counts = {True: [0, 0], False: [0, 0]}
        for row in rows:
            key = (row.activity_date, row.user_id)
            if key in label:
                counts[row.reasons[i]][0] += 1
                counts[row.reasons[i]][1] += label[key]
        total = counts[True][0] + counts[False][0]
        result.append((
            reason,
            counts[True][0] / total if total else 0.0,
            counts[True][1] / counts[True][0] if counts[True][0] else None,
            counts[False][1] / counts[False][0] if counts[False][0] else None,
        ))
    return result


def load_scores(con: duckdb.DuckDBPyConnection) -> list[ScoredRow]:
    """Read fct_user_churn_risk."""
    data = con.sql(
        "select activity_date, user_id, risk_decile, is_lookback_complete, days_since_last_activity, "
        + ", ".join(REASONS) + " from fct_user_churn_risk"
    ).fetchall()
    return [ScoredRow(r[0], r[1], r[2], r[3], tuple(bool(x) for x in r[5:]), r[4]) for r in data]


def load_active_dates(con: duckdb.DuckDBPyConnection) -> tuple[dict[int, list[dt.date]], dt.date]:
    """Sorted active days per user from fct_daily_activity, and the last observed day."""
    active: dict[int, list[dt.date]] = defaultdict(list)
    for user_id, day in con.sql(
        "select user_id, activity_date from fct_daily_activity where is_active order by 1, 2"
    ).fetchall():
        active[user_id].append(day)
    last = con.execute("select max(activity_date) from fct_daily_activity").fetchone()[0]
    if last is None:
        raise UsageError("fct_daily_activity is empty")
    return active, last


def load_truth(con: duckdb.DuckDBPyConnection, path: Path) -> dict[int, dt.date | None]:
    """user_id -> churn_date (None when the user never churned) from the generator's truth file."""
    if not path.is_file():
        raise UsageError(f"truth file not found: {path}")
    rows = con.execute("select user_id, churn_date from read_parquet(?)", [str(path)]).fetchall()
    return {user_id: churn_date for user_id, churn_date in rows}


def load_dbt_evaluation(con: duckdb.DuckDBPyConnection, outcome_days: int) -> dict[dt.date, DecileMetrics]:
    """Rows of the dbt model agg_churn_risk_evaluation with the same outcome window."""
    rows = con.execute(
        "select activity_date, scored_users, churned_users, top_decile_users, top_decile_churned_users "
        "from agg_churn_risk_evaluation where outcome_days = ?", [outcome_days],
    ).fetchall()
    return {r[0]: DecileMetrics(*r[1:]) for r in rows}


def _fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f}%" if pct else f"{value:.2f}"


def format_table(results: Sequence[tuple[str, Sequence[dt.date], DecileMetrics]]) -> str:
    """The summary table: one line per label, pooled over its scoring days."""
    header = (f"{'label':<46} {'scoring days':<24} {'user-days':>9} {'base rate':>9} "
              f"{'top-10% precision':>17} {'recall':>7} {'lift':>5}")
    lines = [header, "-" * len(header)]
    for name, days, m in results:
        span = f"{days[0]}..{days[-1]} ({len(days)})" if days else "none"
        lines.append(f"{name:<46} {span:<24} {m.scored:>9,} {_fmt(m.base_rate):>9} "
                     f"{_fmt(m.precision):>17} {_fmt(m.recall):>7} {_fmt(m.lift, pct=False):>5}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments (bad input exits 2 with a one-line message)."""
    landing = settings.LANDING_DIR.path()
    parser = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb-path", type=Path, default=settings.DUCKDB_PATH.path(),
                        help=f"warehouse file (default ${settings.DUCKDB_PATH.name} or {settings.DUCKDB_PATH.default})")
    parser.add_argument("--truth", type=Path, default=None,
                        help="generator ground truth users.parquet (default <landing>/_truth/users.parquet "
                             "when it exists; the truth rows are skipped without it)")
    parser.add_argument("--outcome-days", type=int, default=14,
                        help="observed label: no activity on D+1..D+N (default 14, as the dbt model)")
    parser.add_argument("--truth-days", type=int, default=28,
                        help="truth label: churn_date within D+1..D+M (default 28)")
    parser.add_argument("--include-incomplete-lookback", action="store_true",
                        help="also score days whose baseline window starts before the data does")
    parser.add_argument("--per-day", action="store_true", help="also print the observed metrics per day")
    args = parser.parse_args(argv)
    for name in ("outcome_days", "truth_days"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.truth is None:
        default_truth = landing / "_truth" / "users.parquet"
        args.truth = default_truth if default_truth.is_file() else None
    return args


def run(args: argparse.Namespace) -> int:
    """Load, evaluate, print; return the exit code."""
    if not args.duckdb_path.is_file():
        raise UsageError(f"warehouse not found: {args.duckdb_path}")
    try:
        con = duckdb.connect(str(args.duckdb_path), read_only=True)
    except duckdb.Error as exc:
        raise UsageError(f"cannot open {args.duckdb_path}: {str(exc).splitlines()[0]}") from exc
    try:
        scores = load_scores(con)
        active, last_observed = load_active_dates(con)
        truth = load_truth(con, args.truth) if args.truth else None
        dbt_eval = load_dbt_evaluation(con, args.outcome_days)
    except duckdb.CatalogException as exc:
        raise UsageError(f"missing model in {args.duckdb_path} (build models/marts/churn first): "
                         f"{str(exc).splitlines()[0]}") from exc
    finally:
        con.close()

    kept = [r for r in scores if r.is_lookback_complete or args.include_incomplete_lookback]
    observed = {
        (r.activity_date, r.user_id): observed_churn(r.activity_date, active.get(r.user_id, []),
                                                     args.outcome_days)
        for r in scores if is_evaluable(r.activity_date, last_observed, args.outcome_days)
    }

    # The dbt model must agree with this recomputation on every day it evaluates.
    recomputed = per_day_metrics(scores, observed)
    mismatches = sorted(d for d in set(recomputed) | set(dbt_eval) if recomputed.get(d) != dbt_eval.get(d))

    results = []
    observed_days = per_day_metrics(kept, observed)
    results.append((f"observed: no activity D+1..D+{args.outcome_days}",
                    list(observed_days), pool(observed_days.values())))
    recency_top = recency_top_decile(kept)
    recency_rows = [ScoredRow(r.activity_date, r.user_id, 1 if (r.activity_date, r.user_id) in recency_top else 10,
                              r.is_lookback_complete, r.reasons, r.days_since_last_activity) for r in kept]
    recency_days = per_day_metrics(recency_rows, observed)
    results.append(("  reference: rank by days since last activity",
                    list(recency_days), pool(recency_days.values())))
    truth_label: dict[tuple[dt.date, int], bool] = {}
    if truth is not None:
        truth_label = {
            (r.activity_date, r.user_id): truth_churn(r.activity_date, truth.get(r.user_id), args.truth_days)
            for r in kept if is_evaluable(r.activity_date, last_observed, args.truth_days)
        }
        truth_days = per_day_metrics(kept, truth_label)
        results.append((f"truth: churn_date in D+1..D+{args.truth_days}",
                        list(truth_days), pool(truth_days.values())))
        not_yet_churned = {
            key: value for key, value in truth_label.items()
            if truth.get(key[1]) is None or truth[key[1]] > key[0]
        }
        fresh_days = per_day_metrics(kept, not_yet_churned)
        results.append(("truth, excluding users churned on or before D",
                        list(fresh_days), pool(fresh_days.values())))

    lookback = "all scoring days" if args.include_incomplete_lookback else "scoring days with a complete lookback"
    print(f"Churn-risk validation of {args.duckdb_path} ({lookback}; data observed until {last_observed})")
    print(format_table(results))
    for name, label in (("observed", observed), ("truth", truth_label)):
        if not label:
            continue
        kept_label = {(r.activity_date, r.user_id): label[(r.activity_date, r.user_id)]
                      for r in kept if (r.activity_date, r.user_id) in label}
        print(f"\nReasons vs the {name} label: share of user-days flagged, churn rate when flagged / not")
        for reason, share, rate_on, rate_off in reason_rates(kept, kept_label):
            print(f"  {reason:<24} {_fmt(share):>6}   {_fmt(rate_on):>6} / {_fmt(rate_off):>6}")
    if args.per_day:
        print(f"\nObserved label per scoring day\n{'day':<12} {'users':>6} {'base':>7} {'prec':>7} "
              f"{'recall':>7} {'lift':>5}")
        for day, m in observed_days.items():
            print(f"{day!s:<12} {m.scored:>6} {_fmt(m.base_rate):>7} {_fmt(m.precision):>7} "
                  f"{_fmt(m.recall):>7} {_fmt(m.lift, pct=False):>5}")
    if truth is None:
        print("\n(no truth file: pass --truth PATH for the ground-truth rows)")
    if mismatches:
        print(f"\n{PROG}: error: agg_churn_risk_evaluation disagrees with the recomputation on "
              f"{len(mismatches)} day(s), first {mismatches[0]}", file=sys.stderr)
        return 1
    print(f"\nagg_churn_risk_evaluation agrees with this recomputation on all {len(dbt_eval)} days.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``engagement-churn-validation``."""
    args = parse_args(argv)
    try:
        return run(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
