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


def _delta(today: object, yesterday: object) -> str:
    if today is None or yesterday is None:
        return ""
    change = int(today) - int(yesterday)
    return f"({change:+,} vs previous day)"


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
    return "\n".join(lines)
