"""Data access for the dashboard: the current Parquet snapshot, read with in-memory DuckDB.

No Streamlit here, so every query is testable on its own. The dashboard reads only
the snapshot that ``<dashboard_dir>/CURRENT`` names (written atomically by
:mod:`engagement.pipeline.export`; the contract is :mod:`engagement.snapshot`); it never
opens the warehouse, so it cannot block the pipeline's writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
#: The global segment filter's dimensions (segment types of agg_daily_segment_engagement).
FILTER_DIMENSIONS: dict[str, str] = {
    "country": "Country",
    "region": "Region",
    "platform": "Platform",
    "plan": "Plan",
    "age_band": "Age band",
    "signup_cohort": "Sign-up cohort",
}
#: The retention curve mart of each cohort basis (agg_cohort_retention_summary.cohort_basis).
RETENTION_CURVE_MODELS: dict[str, str] = {
    "first_activity": "agg_first_activity_cohort_retention_curve",
    "signup": "agg_signup_cohort_retention_curve",
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
    segment_history: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_daily_segment_engagement, every day
    retention_curves: pd.DataFrame = field(default_factory=pd.DataFrame)  # both curve marts, + cohort_basis
    retention_summary: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_cohort_retention_summary, all
    churn_risk: pd.DataFrame = field(default_factory=pd.DataFrame)  # fct_user_churn_risk x dim_user, one day
    churn_evaluation: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_churn_risk_evaluation
    churn_calibration: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_churn_risk_calibration
    title_performance: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_title_performance
    genre_performance: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_genre_performance
    weekly_qoe: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_weekly_playback_qoe
    qoe_churn: pd.DataFrame = field(default_factory=pd.DataFrame)  # agg_weekly_qoe_churn

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

    pages = _load_pages(reader, as_of_day)
    return DashboardData(
        **pages,
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


def _load_pages(reader: SnapshotReader, as_of_day: date | None) -> dict[str, pd.DataFrame]:
    """The frames of the segment, retention, churn, titles and playback-quality pages."""
    def table(model: str, sql: str, params: list | None = None) -> pd.DataFrame:
        return reader.frame(sql, params) if reader.has(model) else pd.DataFrame()

    frames = {
        "segment_history": table("agg_daily_segment_engagement", f"""
            select activity_date, segment_type, segment_value, dau, wau, mau, stickiness, new_users,
                   retained_users, resurrected_users, churned_users, quick_ratio
            from agg_daily_segment_engagement
            where segment_type in ({", ".join(f"'{t}'" for t in FILTER_DIMENSIONS)})
            order by segment_type, segment_value, activity_date"""),
        "retention_summary": table("agg_cohort_retention_summary",
                                   "select * from agg_cohort_retention_summary order by cohort_start desc"),
        "churn_evaluation": table("agg_churn_risk_evaluation",
                                  "select * from agg_churn_risk_evaluation order by outcome, auc desc"),
        "churn_calibration": table("agg_churn_risk_calibration",
                                   "select * from agg_churn_risk_calibration order by scorer, outcome, score_decile"),
        "title_performance": table("agg_title_performance",
                                   "select * from agg_title_performance order by watchers_rank"),
        "genre_performance": table("agg_genre_performance",
                                   "select * from agg_genre_performance order by watch_seconds desc"),
        "weekly_qoe": table("agg_weekly_playback_qoe",
                            "select * from agg_weekly_playback_qoe order by week_start_date, platform, country"),
        "qoe_churn": table("agg_weekly_qoe_churn",
                           "select * from agg_weekly_qoe_churn order by qoe_measure, bucket_order, week_start_date"),
    }
    curves = [reader.frame(f"select '{basis}' as cohort_basis, * from {model}")
              for basis, model in RETENTION_CURVE_MODELS.items() if reader.has(model)]
    frames["retention_curves"] = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    frames["churn_risk"] = pd.DataFrame()
    if reader.has("fct_user_churn_risk") and as_of_day is not None:
        profile = ("users.country, users.region, users.plan, users.age_band, "
                   "strftime(users.sign_up_date, '%Y-%m') as signup_cohort" if reader.has("dim_user") else
                   ", ".join(f"null as {d}" for d in FILTER_DIMENSIONS if d != "platform"))
        join = "left join dim_user as users on risk.user_id = users.user_id" if reader.has("dim_user") else ""
        frames["churn_risk"] = reader.frame(f"""
            select risk.*, {profile}
            from fct_user_churn_risk as risk {join}
            where risk.activity_date = (select max(activity_date) from fct_user_churn_risk where activity_date <= ?)
            order by risk.risk_rank""", [as_of_day])
    return frames


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


def intraday_dau(data: DashboardData, segment_type: str = "total", segment=None) -> pd.DataFrame:
    """DAU so far by UTC hour (cumulative distinct users) for the newest two intraday days.

    With a platform or country filter (``segment``), "total" is that segment's line and a
    breakdown by the filter's own dimension keeps only its value.
    """
    frame = data.intraday_users
    if frame.empty:
        return frame
    if segment is not None and filter_applies("intraday", segment):
        if segment_type in ("total", segment.dimension):
            return frame[(frame["segment_type"] == segment.dimension)
                         & (frame["segment_value"] == segment.value)].reset_index(drop=True)
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


# --- the global segment filter -----------------------------------------------------------------

@dataclass(frozen=True)
class SegmentFilter:
    """One segment every chart is narrowed to: ``dimension`` (a FILTER_DIMENSIONS key) = ``value``.

    The marts count one segment type per row (no country x plan grain), so the filter is one
    dimension and one value; no dimension means all users.
    """

    dimension: str | None = None
    value: str | None = None

    @property
    def is_active(self) -> bool:
        return bool(self.dimension) and self.value is not None

    def describe(self) -> str:
        return f"{FILTER_DIMENSIONS.get(self.dimension or '', self.dimension)} = {self.value}" if self.is_active \
            else "all users"


ALL_DIMENSIONS = frozenset(FILTER_DIMENSIONS)
PROFILE_DIMENSIONS = frozenset(FILTER_DIMENSIONS) - {"platform"}
#: Each chart: the table it draws from and the filter dimensions that table has.
CHART_SOURCES: dict[str, tuple[str, frozenset[str]]] = {
    "kpis": ("agg_daily_segment_engagement", ALL_DIMENSIONS),
    "trend": ("agg_daily_segment_engagement", ALL_DIMENSIONS),
    "growth_day": ("agg_daily_segment_engagement", ALL_DIMENSIONS),
    "growth_week": ("agg_weekly_lifecycle", frozenset()),
    "l28": ("agg_daily_days_active_histogram", frozenset()),
    "viewing": ("agg_viewing_local_time_heatmap", frozenset({"platform"})),
    "cohorts": ("agg_first_activity_cohort_retention_curve", frozenset()),
    "retention_curves": ("the retention curve marts", frozenset()),
    "retention_table": ("agg_cohort_retention_summary", frozenset()),
    "segments": ("agg_daily_segment_engagement", ALL_DIMENSIONS),
    "segment_trends": ("agg_daily_segment_engagement", ALL_DIMENSIONS),
    "churn_list": ("fct_user_churn_risk with dim_user's profile", PROFILE_DIMENSIONS),
    "churn_evaluation": ("agg_churn_risk_evaluation and agg_churn_risk_calibration", frozenset()),
    "titles": ("agg_title_performance", frozenset()),
    "genres": ("agg_genre_performance", frozenset()),
    "qoe": ("agg_weekly_playback_qoe", frozenset({"platform", "country"})),
    "qoe_churn": ("agg_weekly_qoe_churn", frozenset()),
    "pulse": ("agg_playback_starts_per_minute", frozenset()),
    "intraday": ("agg_intraday_active_users", frozenset({"platform", "country"})),
    "pipeline": ("pipeline_runs", frozenset()),
}


def filter_applies(chart: str, segment: SegmentFilter) -> bool:
    """Whether ``chart``'s source table can be narrowed to ``segment``."""
    return segment.is_active and segment.dimension in CHART_SOURCES[chart][1]


def filter_note(chart: str, segment: SegmentFilter, breakdown: str | None = None) -> str | None:
    """What the chart says about the filter: None without one, else filtered or why not.

    ``breakdown``: the segment type a breakdown chart is drawn by; another dimension's
    filter cannot narrow it (the mart has one segment type per row).
    """
    if not segment.is_active:
        return None
    source, grains = CHART_SOURCES[chart]
    label = FILTER_DIMENSIONS.get(segment.dimension or "", segment.dimension)
    if breakdown is not None and breakdown != segment.dimension and segment.dimension in grains:
        return (f"Not filtered by {segment.describe()}: {source} counts one segment type per row "
                f"(no {label.lower()} x {FILTER_DIMENSIONS.get(breakdown, breakdown).lower()}); all users shown.")
    if segment.dimension in grains:
        return f"Filtered: {segment.describe()}."
    return f"Not filtered by {segment.describe()}: no {label.lower()} grain in {source}; all users shown."


def segment_values(data: DashboardData, dimension: str) -> list[str]:
    """The values of ``dimension`` in the snapshot, most active first (DAU on the as-of day)."""
    history = data.segment_history
    if history.empty:
        return []
    rows = history[history["segment_type"] == dimension]
    newest = rows[rows["activity_date"].map(_to_date) == data.as_of_day] if data.as_of_day else rows.iloc[0:0]
    ranked = newest.sort_values(["dau", "segment_value"], ascending=[False, True])["segment_value"].tolist()
    return ranked + sorted(set(rows["segment_value"]) - set(ranked))


def segment_activity(data: DashboardData, segment: SegmentFilter) -> pd.DataFrame:
    """fct_active_user_fast's daily shape (DAU/WAU/MAU, stickiness, growth) for one segment."""
    history = data.segment_history
    if history.empty:
        return _empty(["activity_date", "dau", "wau", "mau", "stickiness"])
    rows = history[(history["segment_type"] == segment.dimension) & (history["segment_value"] == segment.value)]
    return rows.drop(columns=["segment_type", "segment_value"]).sort_values("activity_date").reset_index(drop=True)


def apply_segment_filter(data: DashboardData, segment: SegmentFilter) -> DashboardData:
    """``data`` with its daily activity narrowed to ``segment`` (the KPIs, trend and daily growth).

    The in-progress day stays the newest day; the other frames are narrowed where they are
    drawn (viewing, intraday, churn list, QoE) or carry a note (:func:`filter_note`).
    """
    if not segment.is_active:
        return data
    return replace(data, activity=segment_activity(data, segment))


def segment_trend(data: DashboardData, dimension: str, segment: SegmentFilter, limit: int = 6,
                  first: date | None = None, last: date | None = None) -> pd.DataFrame:
    """DAU and stickiness per day of ``dimension``'s values (complete days only).

    The ``limit`` most active values on the as-of day, or only the filter's value when the
    filter is on the same dimension.
    """
    history = data.segment_history
    if history.empty:
        return _empty(["activity_date", "segment_value", "dau", "stickiness"])
    rows = history[history["segment_type"] == dimension]
    values = ([segment.value] if segment.is_active and segment.dimension == dimension
              else segment_values(data, dimension)[:limit])
    rows = rows[rows["segment_value"].isin(values)]
    days = rows["activity_date"].map(_to_date)
    keep = days != data.in_progress_day if data.in_progress_day is not None else days.notna()
    if first is not None:
        keep &= days >= first
    if last is not None:
        keep &= days <= last
    order = {value: index for index, value in enumerate(values)}
    rows = rows[keep].assign(_order=lambda f: f["segment_value"].map(order))
    return (rows.sort_values(["_order", "activity_date"]).drop(columns="_order")
            [["activity_date", "segment_value", "dau", "wau", "mau", "stickiness"]].reset_index(drop=True))


# --- the retention, churn, titles and playback-quality pages -------------------------------------

def retention_grains(data: DashboardData) -> list[str]:
    """The cohort grains the curve marts hold (day, week; month where built), in that order."""
    curves = data.retention_curves
    present = set(curves["cohort_grain"]) if not curves.empty else set()
    return [grain for grain in ("day", "week", "month") if grain in present]


def retention_curves(data: DashboardData, basis: str, grain: str, max_cohorts: int = 8) -> pd.DataFrame:
    """Retention by period since the cohort day for the ``max_cohorts`` newest cohorts of a basis and grain."""
    curves = data.retention_curves
    if curves.empty:
        return curves
    rows = curves[(curves["cohort_basis"] == basis) & (curves["cohort_grain"] == grain)]
    newest = sorted(rows["cohort_start"].unique())[-max_cohorts:]
    return rows[rows["cohort_start"].isin(newest)].sort_values(["cohort_start", "period_number"]).reset_index(drop=True)


def retention_table(data: DashboardData, basis: str, grain: str) -> pd.DataFrame:
    """D1 / D7 / D14 / D28 retention of each cohort of a basis and grain, newest first."""
    summary = data.retention_summary
    if summary.empty:
        return summary
    rows = summary[(summary["cohort_basis"] == basis) & (summary["cohort_grain"] == grain)]
    columns = ["cohort_start", "cohort_size", "d1_retention_rate", "d7_retention_rate", "d14_retention_rate",
               "d28_retention_rate"]
    return rows.sort_values("cohort_start", ascending=False)[columns].reset_index(drop=True)


CHURN_REASON_FLAGS: dict[str, str] = {
    "has_recent_inactivity": "no recent viewing",
    "has_activity_drop": "fewer active days",
    "has_watch_time_drop": "less watch time",
    "has_shorter_sessions": "shorter sessions",
    "has_poor_qoe": "poor playback",
    "has_recent_downgrade": "cheaper plan",
    "is_new_user": "new subscriber",
}


def churn_at_risk(data: DashboardData, segment: SegmentFilter, limit: int | None = 50) -> pd.DataFrame:
    """The scored users of the churn day, riskiest first, narrowed to the filter's segment.

    ``rank_in_selection`` ranks within the shown segment (``risk_rank`` is among all users).
    """
    risk = data.churn_risk
    if risk.empty:
        return risk
    if filter_applies("churn_list", segment) and segment.dimension in risk.columns:
        risk = risk[risk[segment.dimension] == segment.value]
    risk = risk.sort_values("risk_rank").reset_index(drop=True)
    risk.insert(0, "rank_in_selection", range(1, len(risk) + 1))
    return risk if limit is None else risk.head(limit)


def churn_reason_counts(data: DashboardData, segment: SegmentFilter) -> pd.DataFrame:
    """How many of the selection's top-decile users (risk_decile 1) carry each reason."""
    risk = churn_at_risk(data, segment, limit=None)
    if risk.empty:
        return _empty(["reason", "users"])
    top = risk[risk["risk_decile"] == 1]
    counts = [(label, int(top[flag].fillna(False).astype(bool).sum()))
              for flag, label in CHURN_REASON_FLAGS.items() if flag in top.columns]
    return pd.DataFrame(counts, columns=["reason", "users"]).sort_values(
        ["users", "reason"], ascending=[False, True]).reset_index(drop=True)


def top_titles(data: DashboardData, limit: int = 15) -> pd.DataFrame:
    """The ``limit`` titles with the most watchers in the viewing window."""
    titles = data.title_performance
    if titles.empty:
        return titles
    return titles.sort_values(["watchers_rank", "media_id"]).head(limit).reset_index(drop=True)


def genre_table(data: DashboardData) -> pd.DataFrame:
    """Completion rate and watch time by genre (movies and episodes pooled: sums, then ratios)."""
    genres = data.genre_performance
    if genres.empty:
        return genres
    pooled = genres.groupby("genre", as_index=False)[
        ["titles_watched", "user_title_pairs", "completed_user_title_pairs", "watch_seconds"]].sum()
    pooled["completion_rate"] = pooled["completed_user_title_pairs"] / pooled["user_title_pairs"]
    pooled["share_of_watch_time"] = pooled["watch_seconds"] / pooled["watch_seconds"].sum()
    return pooled.sort_values(["watch_seconds", "genre"], ascending=[False, True]).reset_index(drop=True)


def weekly_qoe(data: DashboardData, segment: SegmentFilter) -> pd.DataFrame:
    """Playback quality per ISO week and platform, narrowed to a platform or country filter.

    Sums are exact (playbacks, rebuffered playbacks, their share); startup p90 across
    countries is the playback-weighted mean of the per-country p90s (percentiles do not add).
    """
    qoe = data.weekly_qoe
    if qoe.empty:
        return qoe
    if filter_applies("qoe", segment):
        qoe = qoe[qoe[segment.dimension] == segment.value]
    qoe = qoe.assign(_weighted_p90=qoe["startup_p90_ms"] * qoe["playback_count"])
    weekly = qoe.groupby(["week_start_date", "platform"], as_index=False).agg(
        is_complete_week=("is_complete_week", "all"), playback_count=("playback_count", "sum"),
        rebuffered_playback_count=("rebuffered_playback_count", "sum"), _weighted_p90=("_weighted_p90", "sum"))
    weekly["rebuffered_playback_share"] = weekly["rebuffered_playback_count"] / weekly["playback_count"]
    weekly["startup_p90_ms"] = weekly["_weighted_p90"] / weekly["playback_count"]
    return weekly.drop(columns="_weighted_p90").sort_values(["platform", "week_start_date"]).reset_index(drop=True)


def qoe_churn(data: DashboardData) -> pd.DataFrame:
    """Share of users not active the week after, by week-W QoE bucket, pooled over the weeks."""
    churn = data.qoe_churn
    if churn.empty:
        return churn
    pooled = churn.groupby(["qoe_measure", "bucket_order", "qoe_bucket"], as_index=False)[
        ["users", "churned_next_week_users"]].sum()
    pooled["next_week_churn_share"] = pooled["churned_next_week_users"] / pooled["users"]
    weeks = churn.groupby("qoe_measure")["week_start_date"].nunique()
    pooled["weeks"] = pooled["qoe_measure"].map(weeks)
    return pooled.sort_values(["qoe_measure", "bucket_order"]).reset_index(drop=True)
