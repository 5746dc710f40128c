"""Data access for the dashboard: the current Parquet snapshot, read with in-memory DuckDB.

No Streamlit here, so every query is testable on its own. The dashboard reads only
the snapshot that ``<dashboard_dir>/CURRENT`` names (written atomically by
:mod:`engagement.pipeline.export`; the contract is :mod:`engagement.snapshot`); it never
opens the warehouse, so it cannot block the pipeline's writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from engagement import settings
from engagement.settings import PROJECT_DIR
from engagement.snapshot import Snapshot

#: The segment types the breakdown offers, with their labels (the as-of-day values).
SEGMENT_TYPES: dict[str, str] = {
    "country": "Country",
    "platform": "Platform",
    "plan": "Plan",
    "age_band": "Age band",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def dashboard_dir_from_env() -> Path:
    """``$ENGAGEMENT_DASHBOARD_DIR``; its default ``data/dashboard`` is taken relative to the project."""
    return settings.DASHBOARD_DIR.path(root=PROJECT_DIR)


@dataclass
class DashboardData:
    """Every frame the page draws, computed once per snapshot."""

    snapshot: Snapshot
    activity: pd.DataFrame              # fct_active_user_fast, one row per day, oldest first
    weekly_lifecycle: pd.DataFrame      # agg_weekly_lifecycle
    cohort_retention: pd.DataFrame      # weekly first-activity cohorts x weeks since
    cohort_summary: pd.DataFrame        # agg_cohort_retention_summary (first activity, weekly)
    l28_histogram: pd.DataFrame         # days active in 28 days, on the as-of day
    segments: pd.DataFrame              # agg_daily_segment_engagement on the as-of day
    viewing_heatmap: pd.DataFrame       # agg_viewing_local_time_heatmap
    intraday_users: pd.DataFrame        # agg_intraday_active_users, newest two days
    playback_per_minute: pd.DataFrame   # agg_playback_starts_per_minute, newest day
    pipeline_runs: pd.DataFrame         # pipeline_runs, newest 500 batches, oldest first
    as_of_day: date | None = None       # newest complete day (the KPIs' day)
    in_progress_day: date | None = None # newest day, still filling up
    newest_event_ingested_at: datetime | None = None
    calendar: pd.DataFrame | None = None  # dim_activity_day: complete days / weeks, MAU warm-up
    consumer_lag: pd.DataFrame | None = None  # broker mode: pipeline_consumer_lag of the newest batch

    @property
    def has_intraday(self) -> bool:
        return not self.intraday_users.empty or not self.playback_per_minute.empty

    @property
    def is_stream(self) -> bool:
        """Whether the snapshot comes from stream mode (its runner records pipeline_runs).

        Outside stream mode the intraday marts replay the end of the history, whose newest
        day stops part-way: its minutes are not live and not judged as anomalies.
        """
        return not self.pipeline_runs.empty


class SnapshotReader:
    """An in-memory DuckDB with one view per Parquet file of a snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.con = duckdb.connect(":memory:")
        self.con.execute("set TimeZone = 'UTC'")
        for model in snapshot.models:
            path = str(snapshot.folder / f"{model}.parquet").replace("'", "''")
            self.con.execute(f"create view \"{model}\" as select * from read_parquet('{path}')")

    def has(self, model: str) -> bool:
        return model in self.snapshot.models

    def frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def close(self) -> None:
        self.con.close()


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


def _to_date(value) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def load_dashboard_data(snapshot: Snapshot) -> DashboardData:
    """Read every frame the page needs from ``snapshot`` (small: aggregates only)."""
    reader = SnapshotReader(snapshot)
    try:
        return _load(reader, snapshot)
    finally:
        reader.close()


def _load(reader: SnapshotReader, snapshot: Snapshot) -> DashboardData:
    # --- daily activity: the newest day is still filling up, so the KPIs show the one before
    if reader.has("fct_active_user_fast"):
        activity = reader.frame("select * from fct_active_user_fast order by activity_date")
    else:
        activity = _empty(["activity_date", "dau", "wau", "mau", "stickiness"])
    days = [_to_date(d) for d in activity["activity_date"]] if not activity.empty else []
    in_progress_day = days[-1] if len(days) > 1 else None
    as_of_day = days[-2] if len(days) > 1 else (days[-1] if days else None)
    newest_ingested = None
    if "last_ingested_at" in activity.columns and not activity.empty:
        value = activity["last_ingested_at"].max()
        newest_ingested = None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()

    weekly = (
        reader.frame("select * from agg_weekly_lifecycle order by week_start_date")
        if reader.has("agg_weekly_lifecycle") else _empty(["week_start_date"])
    )

    if reader.has("agg_first_activity_cohort_retention_curve"):
        cohorts = reader.frame(
            """
            select cohort_start, period_number, cohort_size, active_users, retention_rate
            from agg_first_activity_cohort_retention_curve
            where cohort_grain = 'week'
            order by cohort_start, period_number
            """
        )
    else:
        cohorts = _empty(["cohort_start", "period_number", "cohort_size", "active_users", "retention_rate"])

    if reader.has("agg_cohort_retention_summary"):
        summary = reader.frame(
            """
            select cohort_start, cohort_size, d1_retention_rate, d7_retention_rate,
                   d14_retention_rate, d28_retention_rate
            from agg_cohort_retention_summary
            where cohort_basis = 'first_activity' and cohort_grain = 'week'
            order by cohort_start desc
            """
        )
    else:
        summary = _empty(["cohort_start"])

    if reader.has("agg_daily_days_active_histogram") and as_of_day is not None:
        histogram = reader.frame(
            """
            select activity_date, days_active, engagement_band, users,
                   share_of_window_active_users, window_active_users, is_complete_window
            from agg_daily_days_active_histogram
            where window_days = 28
              and activity_date = (
                  select max(activity_date) from agg_daily_days_active_histogram
                  where window_days = 28 and activity_date <= ?
              )
            order by days_active
            """,
            [as_of_day],
        )
    else:
        histogram = _empty(["activity_date", "days_active", "engagement_band", "users"])

    if reader.has("agg_daily_segment_engagement") and as_of_day is not None:
        segments = reader.frame(
            """
            select activity_date, segment_type, segment_value, dau, wau, mau, stickiness
            from agg_daily_segment_engagement
            where activity_date = ?
              and segment_type in ('country', 'platform', 'plan', 'age_band')
            order by segment_type, dau desc, segment_value
            """,
            [as_of_day],
        )
    else:
        segments = _empty(["activity_date", "segment_type", "segment_value", "dau", "wau", "mau", "stickiness"])

    if reader.has("agg_viewing_local_time_heatmap"):
        heatmap = reader.frame(
            """
            select platform, local_start_weekday, local_start_hour, session_count, watch_seconds
            from agg_viewing_local_time_heatmap
            """
        )
    else:
        heatmap = _empty(["platform", "local_start_weekday", "local_start_hour", "session_count", "watch_seconds"])

    if reader.has("agg_intraday_active_users"):
        intraday = reader.frame(
            """
            select activity_date, activity_hour, segment_type, segment_value,
                   active_users_in_hour, cumulative_active_users, is_complete_hour
            from agg_intraday_active_users
            where activity_date >= (select max(activity_date) - 1 from agg_intraday_active_users)
            order by activity_date, segment_type, segment_value, activity_hour
            """
        )
    else:
        intraday = _empty(["activity_date", "activity_hour", "segment_type", "segment_value",
                           "active_users_in_hour", "cumulative_active_users", "is_complete_hour"])

    if reader.has("agg_playback_starts_per_minute"):
        per_minute = reader.frame(
            """
            select minute_start, playback_starts, baseline_playback_starts, baseline_stddev,
                   z_score, is_anomaly
            from agg_playback_starts_per_minute
            where minute_start >= (select max(minute_start) - interval 24 hours
                                   from agg_playback_starts_per_minute)
            order by minute_start
            """
        )
    else:
        per_minute = _empty(["minute_start", "playback_starts", "baseline_playback_starts",
                             "baseline_stddev", "z_score", "is_anomaly"])

    if reader.has("pipeline_runs"):
        runs = reader.frame(
            """
            select * from (
                select * from pipeline_runs order by batch_id desc limit 500
            ) order by batch_id
            """
        )
    else:
        runs = _empty(["batch_id", "started_at", "finished_at", "duration_seconds", "status",
                       "attempts", "new_files", "new_view_events", "lag_seconds"])

    calendar = (
        reader.frame("select * from dim_activity_day order by activity_date")
        if reader.has("dim_activity_day") else None
    )
    consumer_lag = None
    if reader.has("pipeline_consumer_lag"):
        consumer_lag = reader.frame(
            """
            select topic, kafka_partition, lag_records, buffered_records, lag_seconds,
                   event_to_visible_seconds, committed_offset, end_offset, observed_at
            from pipeline_consumer_lag
            where batch_id = (select max(batch_id) from pipeline_consumer_lag)
            order by topic, kafka_partition
            """
        )

    return DashboardData(
        snapshot=snapshot,
        activity=activity,
        weekly_lifecycle=weekly,
        cohort_retention=cohorts,
        cohort_summary=summary,
        l28_histogram=histogram,
        segments=segments,
        viewing_heatmap=heatmap,
        intraday_users=intraday,
        playback_per_minute=per_minute,
        pipeline_runs=runs,
        as_of_day=as_of_day,
        in_progress_day=in_progress_day,
        newest_event_ingested_at=newest_ingested,
        calendar=calendar,
        consumer_lag=consumer_lag,
    )


# --- small pure helpers the page uses (tested directly) ---------------------------------------

def kpis(data: DashboardData) -> dict[str, float | int | None]:
    """DAU, WAU, MAU, stickiness and quick ratio on the as-of day, with day-on-day deltas."""
    activity = data.activity
    if activity.empty or data.as_of_day is None:
        return {}
    dates = activity["activity_date"].map(_to_date)
    index = dates[dates == data.as_of_day].index[0]
    row = activity.loc[index]
    position = activity.index.get_loc(index)
    previous = activity.iloc[position - 1] if position > 0 else None
    result: dict[str, float | int | None] = {}
    for column in ("dau", "wau", "mau", "stickiness", "quick_ratio"):
        if column not in activity.columns:
            continue
        value = row[column]
        result[column] = None if pd.isna(value) else value
        if previous is not None and not pd.isna(value) and not pd.isna(previous[column]):
            result[f"{column}_delta"] = value - previous[column]
    if data.in_progress_day is not None:
        result["dau_so_far"] = int(activity.iloc[-1]["dau"])
    return result


def warm_up_end(data: DashboardData) -> date | None:
    """The last day of the MAU warm-up (no full 30-day window behind it), or None."""
    calendar = data.calendar
    if calendar is None or calendar.empty or "has_full_mau_window" not in calendar.columns:
        return None
    warm = calendar[~calendar["has_full_mau_window"].astype(bool)]
    return None if warm.empty else _to_date(warm["activity_date"].max())


def incomplete_weeks(data: DashboardData) -> set[date]:
    """Monday of each ISO week the data has not finished (dim_activity_day.is_complete_week false)."""
    calendar = data.calendar
    if calendar is None or calendar.empty or "is_complete_week" not in calendar.columns:
        return set()
    partial = calendar[~calendar["is_complete_week"].astype(bool)]
    return {_to_date(day) for day in partial["week_start_date"]}


def judged_minutes(data: DashboardData) -> pd.DataFrame:
    """The pulse's minutes whose anomaly flag counts.

    In stream mode every minute (the baseline is taken as of the same point of the data
    clock). Outside it the pulse replays history whose newest day stops part-way (the
    batch data simply ends), so the minutes of incomplete days are left out: their low
    counts are the end of the data, not an anomaly.
    """
    per_minute = data.playback_per_minute
    if data.is_stream or per_minute.empty:
        return per_minute
    if data.calendar is not None and not data.calendar.empty:
        complete = {_to_date(d) for d, ok in zip(data.calendar["activity_date"], data.calendar["is_complete_day"])
                    if bool(ok)}
    else:
        newest = _to_date(pd.Timestamp(per_minute["minute_start"].max()).date())
        complete = {_to_date(pd.Timestamp(m).date()) for m in per_minute["minute_start"]} - {newest}
    days = per_minute["minute_start"].map(lambda m: pd.Timestamp(m).date())
    return per_minute[days.isin(complete)]


def growth_frame(data: DashboardData, grain: str = "day") -> pd.DataFrame:
    """Growth accounting: new, retained, resurrected (up) and churned (down, negative) users.

    ``grain`` "day" uses the daily statuses of complete days; "week" the calendar weeks
    of agg_weekly_lifecycle. Columns: period, new, retained, resurrected, churned, quick_ratio,
    is_complete (false for a week the data has not finished: drawn faded, not a drop).
    """
    columns = ["period", "new", "retained", "resurrected", "churned", "quick_ratio"]
    if grain == "week":
        weekly = data.weekly_lifecycle
        if weekly.empty or "new_users" not in weekly.columns:
            return _empty(columns)
        frame = pd.DataFrame({
            "period": weekly["week_start_date"],
            "new": weekly["new_users"],
            "retained": weekly["retained_users"],
            "resurrected": weekly["resurrected_users"],
            "churned": -weekly["churned_users"].abs(),
            "quick_ratio": weekly["quick_ratio"],
        })
        partial = incomplete_weeks(data)
        frame["is_complete"] = [_to_date(week) not in partial for week in frame["period"]]
        return frame.reset_index(drop=True)
    activity = data.activity
    if activity.empty or "new_users" not in activity.columns:
        return _empty(columns)
    complete = activity.iloc[:-1] if data.in_progress_day is not None else activity
    frame = pd.DataFrame({
        "period": complete["activity_date"],
        "new": complete["new_users"],
        "retained": complete["retained_users"],
        "resurrected": complete["resurrected_users"],
        "churned": -complete["churned_users"].abs(),
        "quick_ratio": complete["quick_ratio"],
        "is_complete": True,
    })
    return frame.reset_index(drop=True)


def cohort_matrix(data: DashboardData, max_weeks: int = 12) -> pd.DataFrame:
    """Retention rate (0..1) by weekly first-activity cohort (rows) and weeks since (columns)."""
    cohorts = data.cohort_retention
    if cohorts.empty:
        return pd.DataFrame()
    cohorts = cohorts[cohorts["period_number"] <= max_weeks]
    matrix = cohorts.pivot_table(
        index="cohort_start", columns="period_number", values="retention_rate", aggfunc="first"
    )
    matrix.index = [pd.Timestamp(v).date() for v in matrix.index]
    sizes = cohorts.groupby("cohort_start")["cohort_size"].first()
    sizes.index = [pd.Timestamp(v).date() for v in sizes.index]
    matrix.attrs["cohort_size"] = sizes.to_dict()
    return matrix


def segment_frame(data: DashboardData, segment_type: str) -> pd.DataFrame:
    """DAU, WAU, MAU and stickiness per value of ``segment_type`` on the as-of day."""
    segments = data.segments
    if segments.empty:
        return segments
    frame = segments[segments["segment_type"] == segment_type]
    return frame.sort_values(["dau", "segment_value"], ascending=[False, True]).reset_index(drop=True)


def viewing_matrix(data: DashboardData, platform: str | None = None) -> pd.DataFrame:
    """Sessions started by local weekday (rows Mon..Sun) and local hour (columns 0..23)."""
    heatmap = data.viewing_heatmap
    if heatmap.empty:
        return pd.DataFrame()
    if platform:
        heatmap = heatmap[heatmap["platform"] == platform]
    matrix = heatmap.pivot_table(
        index="local_start_weekday", columns="local_start_hour", values="session_count", aggfunc="sum"
    )
    matrix = matrix.reindex(index=range(1, 8), columns=range(24)).fillna(0).astype("int64")
    matrix.index = list(WEEKDAYS)
    return matrix


def viewing_platforms(data: DashboardData) -> list[str]:
    heatmap = data.viewing_heatmap
    return sorted(heatmap["platform"].dropna().unique().tolist()) if not heatmap.empty else []


def intraday_dau(data: DashboardData, segment_type: str = "total") -> pd.DataFrame:
    """DAU so far by UTC hour (cumulative distinct users) for the newest two intraday days."""
    frame = data.intraday_users
    if frame.empty:
        return frame
    return frame[frame["segment_type"] == segment_type].reset_index(drop=True)


def pipeline_health(data: DashboardData) -> dict[str, float | int | None]:
    """Lag (arrival to visibility) and batch duration percentiles over successful batches."""
    runs = data.pipeline_runs
    if runs.empty:
        return {}
    ok = runs[runs["status"] == "success"] if "status" in runs.columns else runs
    result: dict[str, float | int | None] = {
        "batches": int(len(runs)),
        "failed": int((runs["status"] != "success").sum()) if "status" in runs.columns else 0,
    }
    for column, prefix in (("lag_seconds", "lag"), ("duration_seconds", "duration")):
        values = ok[column].dropna() if column in ok.columns else pd.Series(dtype="float64")
        if values.empty:
            result.update({f"{prefix}_p50": None, f"{prefix}_p95": None, f"{prefix}_max": None})
        else:
            result.update({
                f"{prefix}_p50": float(values.quantile(0.5)),
                f"{prefix}_p95": float(values.quantile(0.95)),
                f"{prefix}_max": float(values.max()),
            })
    if "finished_at" in runs.columns:
        last = runs["finished_at"].max()
        result["last_finished_at"] = None if pd.isna(last) else pd.Timestamp(last).to_pydatetime()
    return result


def snapshot_age_seconds(snapshot: Snapshot, now: datetime | None = None) -> float | None:
    """Seconds since the snapshot was exported."""
    if snapshot.as_of is None:
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (now - snapshot.as_of).total_seconds())
