"""A readable summary of the newest day's engagement metrics."""

from __future__ import annotations

from pathlib import Path

import duckdb


def _fmt_int(value: object) -> str:
    return "-" if value is None else f"{int(value):,}"


def _fmt_ratio(value: object, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{float(value):.1%}" if pct else f"{float(value):.2f}"


def _fmt_auc(value: object) -> str:
    return "n/a" if value is None else f"{float(value):.3f}"


def _delta(today: object, yesterday: object) -> str:
    if today is None or yesterday is None:
        return ""
    change = int(today) - int(yesterday)
    return f"({change:+,} vs previous day)"


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]
        ).fetchall()[0][0]
    )


def _segment_lines(con: duckdb.DuckDBPyConnection, day: object) -> list[str]:
    """DAU by a few segments on ``day`` (as of that day), with the additivity caveat."""
    if not _table_exists(con, "agg_daily_segment_engagement"):
        return []
    lines = ["", "  Segments (DAU, stickiness) — platforms overlap; the other segments sum to the total"]
    for segment_type, limit in (("country", 5), ("platform", 3), ("plan", 3), ("age_band", 7)):
        rows = con.execute(
            """
            select segment_value, dau, stickiness
            from agg_daily_segment_engagement
            where activity_date = ? and segment_type = ?
            order by dau desc, segment_value
            limit ?
            """,
            [day, segment_type, limit],
        ).fetchall()
        cells = ", ".join(f"{value} {_fmt_int(dau)} ({_fmt_ratio(stick, pct=True)})" for value, dau, stick in rows)
        lines.append(f"    {segment_type:<9} {cells}")
    return lines


def _retention_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Latest complete weekly first-activity cohorts' retention, and the last lifecycle week."""
    if not _table_exists(con, "agg_cohort_retention_summary"):
        return []
    lines = ["", "  Retention of weekly first-activity cohorts (share active on day N; '-' = not complete yet)"]
    rows = con.execute(
        """
        select cohort_start, cohort_size, d1_retention_rate, d7_retention_rate,
            d14_retention_rate, d28_retention_rate
        from agg_cohort_retention_summary
        where cohort_basis = 'first_activity' and cohort_grain = 'week'
        order by cohort_start desc
        limit 6
        """
    ).fetchall()
    lines.append(f"    {'cohort week':<12} {'users':>7} {'d1':>7} {'d7':>7} {'d14':>7} {'d28':>7}")
    for start, size, *rates in rows:
        cells = " ".join(f"{('-' if r is None else f'{r:.1%}'):>7}" for r in rates)
        lines.append(f"    {str(start):<12} {_fmt_int(size):>7} {cells}")
    if _table_exists(con, "agg_weekly_lifecycle"):
        week = con.execute(
            """
            select week_start_date, weekly_active_users, new_users, retained_users,
                resurrected_users, churned_users, quick_ratio
            from agg_weekly_lifecycle
            order by week_start_date desc
            limit 1
            """
        ).fetchall()
        if week:
            start, active, new, retained, resurrected, churned, quick = week[0]
            lines.append(
                f"    week of {start}: {_fmt_int(active)} weekly-active = {_fmt_int(new)} new"
                f" + {_fmt_int(retained)} retained + {_fmt_int(resurrected)} resurrected;"
                f" {_fmt_int(-churned)} churned; quick ratio {_fmt_ratio(quick)}"
            )
    return lines


def _churn_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The churn model's headline: top-decile lift and AUC beside the best baseline, per outcome."""
    if not _table_exists(con, "agg_churn_risk_evaluation"):
        return []
    rows = con.execute(
        """
        select outcome, scorer, top_decile_lift, auc, scored_user_days, scoring_days, outcome_days
        from agg_churn_risk_evaluation
        order by outcome, scorer
        """
    ).fetchall()
    if not rows:
        return []
    by_outcome: dict[str, dict[str, tuple]] = {}
    for outcome, scorer, lift, auc, user_days, days, _ in rows:
        by_outcome.setdefault(outcome, {})[scorer] = (lift, auc, user_days, days)
    lines = ["", f"  Churn risk ({rows[0][6]}-day churn, fully observed scoring days): top-decile lift / AUC"
             " of the model and the one-line baselines"]
    for outcome, scorers in by_outcome.items():
        cells = ", ".join(f"{name} {_fmt_ratio(v[0])} / {_fmt_auc(v[1])}" for name, v in sorted(
            scorers.items(), key=lambda item: item[0] != "model"))
        user_days, days = next(iter(scorers.values()))[2:]
        lines.append(f"    {outcome:<20} {cells}  ({_fmt_int(user_days)} user-days, {days} days)")
    return lines


def render_summary(duckdb_path: Path) -> str:
    """Return the summary of the latest day in ``fct_active_user_fast`` as text."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            """
            select activity_date, dau, wau, mau, stickiness, new_users, retained_users,
                   resurrected_users, churned_users, stale_users, quick_ratio,
                   weekly_new_users, weekly_resurrected_users, weekly_churned_users
            from fct_active_user_fast
            order by activity_date desc
            limit 3
            """
        ).fetchall()
        reconciliation = con.execute("select * from agg_view_event_ingest_reconciliation limit 0")
        count_columns = [
            column[0] for column in reconciliation.description
            if column[0].endswith("_records") and column[0] not in ("landed_records", "rejected_records")
        ]
        totals = con.execute(
            "select " + ", ".join(f"coalesce(sum({c}), 0)" for c in count_columns)
            + " from agg_view_event_ingest_reconciliation"
        ).fetchall()[0]
        quality = []
        for column, count in zip(count_columns, totals):
            name = column.removesuffix("_records")
            if name.startswith("rejected_"):
                if count:
                    quality.append(("rejected", name.removeprefix("rejected_"), count))
            else:
                quality.append((name, "", count))
        events = con.execute(
            "select count(*), min(activity_date), max(activity_date) from fct_view_events"
        ).fetchall()[0]
        complete_day = rows[1][0] if len(rows) > 1 else (rows[0][0] if rows else None)
        analysis = _segment_lines(con, complete_day) + _retention_lines(con) + _churn_lines(con)
    if not rows:
        return "No activity yet: fct_active_user_fast is empty."
    # The newest day is still filling up (events keep arriving for up to the lateness
    # limit, and sessions run past midnight): report the newest complete day.
    in_progress = rows[0] if len(rows) > 1 else None
    complete = rows[1:] if len(rows) > 1 else rows
    latest = complete[0]
    previous = complete[1] if len(complete) > 1 else (None,) * len(latest)
    (day, dau, wau, mau, stickiness, new, retained, resurrected, churned, stale, quick,
     w_new, w_res, w_churn) = latest
    lines = [
        f"Engagement on {day} (UTC)  [{_fmt_int(events[0])} valid view events, {events[1]} .. {events[2]}]",
        "",
        f"  DAU         {_fmt_int(dau):>12}  {_delta(dau, previous[1])}",
        f"  WAU         {_fmt_int(wau):>12}  {_delta(wau, previous[2])}",
        f"  MAU         {_fmt_int(mau):>12}  {_delta(mau, previous[3])}",
        f"  Stickiness  {_fmt_ratio(stickiness, pct=True):>12}  (DAU / MAU)",
        "",
        "  Daily growth accounting",
        f"    new          {_fmt_int(new):>10}",
        f"    retained     {_fmt_int(retained):>10}",
        f"    resurrected  {_fmt_int(resurrected):>10}",
        f"    churned      {_fmt_int(churned):>10}",
        f"    stale        {_fmt_int(stale):>10}",
        f"    quick ratio  {_fmt_ratio(quick):>10}  ((new + resurrected) / churned)",
        "",
        f"  Weekly: new {_fmt_int(w_new)}, resurrected {_fmt_int(w_res)}, churned {_fmt_int(w_churn)}",
        "",
        "  Landed view-event lines",
    ]
    if in_progress is not None:
        lines[1:1] = [f"  (newest day {in_progress[0]} is still in progress: DAU so far {_fmt_int(in_progress[1])})"]
    for status, reason, count in quality:
        label = f"{status} ({reason})" if reason else status
        lines.append(f"    {label:<32} {count:>10,}")
    lines += analysis
    return "\n".join(lines)
