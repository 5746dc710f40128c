"""Engagement dashboard: ``streamlit run scripts/engagement/dashboard/app.py`` (or ``make dashboard``).

Reads only the Parquet snapshot ``$ENGAGEMENT_DASHBOARD_DIR/CURRENT`` names (default
``data/dashboard``), which the pipeline replaces atomically after each successful
build, so the page never touches the DuckDB warehouse the pipeline writes. While
served, the page re-reads CURRENT every ``$ENGAGEMENT_DASHBOARD_REFRESH_SECONDS``
(default 10; 0 turns it off), so moving metrics appear without a reload.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from engagement import settings
from engagement.dashboard import charts, pages
from engagement.dashboard.data import (
    FILTER_DIMENSIONS,
    DashboardData,
    SegmentFilter,
    apply_segment_filter,
    dashboard_dir_from_env,
    filter_applies,
    growth_frame,
    incomplete_weeks,
    intraday_dau,
    judged_minutes,
    kpis,
    load_dashboard_data,
    pipeline_health,
    segment_values,
    snapshot_age_seconds,
    viewing_matrix,
    viewing_platforms,
    warm_up_end,
)
from engagement.snapshot import current_snapshot

STALE_AFTER_SECONDS = 300
PAGES = ("Overview", "Segments", "Retention", "Churn risk", "Titles & genres", "Playback quality",
         "Live & pipeline")


def _refresh_seconds() -> float | None:
    try:
        value = float(settings.DASHBOARD_REFRESH_SECONDS.value())
    except ValueError:
        value = float(settings.DASHBOARD_REFRESH_SECONDS.default)
    return value if value > 0 else None


@st.cache_resource(max_entries=3, show_spinner=False)
def _cached_data(folder: str, _snapshot) -> DashboardData:
    """One load per snapshot folder (a new export is a new folder, so a new cache entry)."""
    return load_dashboard_data(_snapshot)


def _fmt_int(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{int(value):,}"


def _fmt_pct(value, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{value * 100:.{digits}f}%"


def _fmt_seconds(value) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def _fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.0f} days ago"


_chart = pages.chart
_csv_button = pages.csv_button
_note = pages.note


def apply_date_range(data: DashboardData, first: date, last: date) -> DashboardData:
    """The daily and weekly frames restricted to ``first``..``last`` (the KPIs keep the as-of day)."""
    days = data.activity["activity_date"].map(lambda d: pd.Timestamp(d).date())
    weeks = (data.weekly_lifecycle["week_start_date"].map(lambda d: pd.Timestamp(d).date())
             if "week_start_date" in data.weekly_lifecycle.columns and not data.weekly_lifecycle.empty else None)
    weekly = data.weekly_lifecycle
    if weeks is not None:
        weekly = weekly[(weeks <= last) & (weeks + pd.Timedelta(days=6) >= first)]
    in_progress = data.in_progress_day if data.in_progress_day and first <= data.in_progress_day <= last else None
    return replace(data, activity=data.activity[(days >= first) & (days <= last)], weekly_lifecycle=weekly,
                   in_progress_day=in_progress)


def render_date_range(data: DashboardData, container=st) -> tuple[date | None, date | None]:
    """A date-range picker for the daily charts (trend, growth, segment trends): the range picked."""
    if data.activity.empty:
        return None, None
    first = pd.Timestamp(data.activity["activity_date"].min()).date()
    last = pd.Timestamp(data.activity["activity_date"].max()).date()
    picked = container.date_input("Date range (daily charts)", (first, last), min_value=first, max_value=last,
                                  key="date_range")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        return picked[0], picked[1]
    return None, None  # half-picked: wait for the second date


def render_segment_filter(data: DashboardData, container=st) -> SegmentFilter:
    """The global segment filter: one dimension and one of its values (or all users)."""
    dimensions = ["all", *(d for d in FILTER_DIMENSIONS if segment_values(data, d))]
    left, right = container.columns(2)
    dimension = left.selectbox("Segment filter", dimensions, key="segment_dimension",
                               format_func=lambda d: "All users" if d == "all" else FILTER_DIMENSIONS[d])
    if dimension == "all":
        right.selectbox("Segment", ["–"], key="segment_value", disabled=True)
        return SegmentFilter()
    value = right.selectbox(FILTER_DIMENSIONS[dimension], segment_values(data, dimension), key="segment_value")
    return SegmentFilter(dimension, value)


def render_filters(data: DashboardData) -> tuple[SegmentFilter, date | None, date | None]:
    """The row of global filters above the pages."""
    left, right = st.columns([1, 2])
    first, last = render_date_range(data, left)
    segment = render_segment_filter(data, right)
    return segment, first, last


def render_header(data: DashboardData) -> None:
    snapshot = data.snapshot
    age = snapshot_age_seconds(snapshot)
    as_of = snapshot.as_of.strftime("%Y-%m-%d %H:%M:%S UTC") if snapshot.as_of else "unknown"
    parts = [f"**Data as of {as_of}** (exported {_fmt_age(age)})"]
    if data.as_of_day is not None:
        parts.append(f"metrics for **{data.as_of_day:%Y-%m-%d}**, the newest complete day")
    if data.newest_event_ingested_at is not None:
        parts.append(f"newest event ingested {data.newest_event_ingested_at:%Y-%m-%d %H:%M} (event clock)")
    st.markdown(" · ".join(parts))
    if age is not None and age > STALE_AFTER_SECONDS and not data.pipeline_runs.empty:
        st.warning(f"The snapshot is {_fmt_age(age)}: is the stream runner still going?", icon="⚠️")
    if snapshot.missing:
        st.caption("Not in this snapshot: " + ", ".join(snapshot.missing))


def render_kpis(data: DashboardData, segment: SegmentFilter = SegmentFilter()) -> None:
    values = kpis(data)
    if not values:
        st.info("No activity yet: fct_active_user_fast is empty." if not segment.is_active
                else f"No activity for {segment.describe()}.")
        return
    _note("kpis", segment)
    columns = st.columns(6)
    columns[0].metric("DAU", _fmt_int(values.get("dau")),
                      delta=_fmt_int(values["dau_delta"]) if "dau_delta" in values else None,
                      help="Users active on the day (a playback of at least 5 s)")
    columns[1].metric("WAU", _fmt_int(values.get("wau")),
                      delta=_fmt_int(values["wau_delta"]) if "wau_delta" in values else None,
                      help="Users active in the 7 days ending on the day")
    columns[2].metric("MAU", _fmt_int(values.get("mau")),
                      delta=_fmt_int(values["mau_delta"]) if "mau_delta" in values else None,
                      help="Users active in the 30 days ending on the day")
    columns[3].metric("Stickiness (DAU/MAU)", _fmt_pct(values.get("stickiness")),
                      delta=(f"{values['stickiness_delta'] * 100:+.1f} pp" if "stickiness_delta" in values else None))
    quick = values.get("quick_ratio")
    columns[4].metric("Quick ratio", "–" if quick is None else f"{quick:.2f}",
                      help="(new + resurrected) / churned users on the day")
    if data.in_progress_day is not None:
        columns[5].metric(f"DAU so far, {data.in_progress_day:%b %d}", _fmt_int(values.get("dau_so_far")),
                          help="The newest day is still filling up")


def render_trend_and_growth(data: DashboardData, segment: SegmentFilter = SegmentFilter()) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Active users and stickiness")
        _note("trend", segment)
        if data.activity.empty:
            st.info("No daily activity in this snapshot.")
        else:
            warm_up = warm_up_end(data)
            st.caption("DAU / WAU / MAU per UTC day (left axis); stickiness = DAU / MAU (right axis)"
                       + (f"; shaded up to {warm_up:%Y-%m-%d}: the MAU warm-up (not a real drop)" if warm_up else "")
                       + (f"; {data.in_progress_day:%Y-%m-%d} is still in progress and not drawn"
                          if data.in_progress_day is not None else ""))
            _chart(charts.activity_trend(data.activity, data.in_progress_day is not None, warm_up), "trend")
    with right:
        st.subheader("Growth accounting")
        if data.activity.empty and data.weekly_lifecycle.empty:
            st.info("No growth accounting in this snapshot.")
            return
        grain = st.segmented_control(
            "Period", ["Daily", "Weekly"], default="Daily", key="growth_grain", label_visibility="collapsed",
        ) or "Daily"
        growth = growth_frame(data, "week" if grain == "Weekly" else "day")
        _note("growth_week" if grain == "Weekly" else "growth_day", segment)
        if growth.empty:
            st.info("No growth accounting in this snapshot.")
        else:
            partial = sorted(incomplete_weeks(data)) if grain == "Weekly" else []
            warm_up = warm_up_end(data)
            st.caption("New, retained and resurrected users up; churned users down; "
                       "quick ratio = (new + resurrected) / churned (right axis)"
                       + (f"; faded: the week of {partial[-1]:%Y-%m-%d} is not complete yet" if partial else "")
                       + (f"; {data.in_progress_day:%Y-%m-%d} is in progress and not drawn"
                          if grain == "Daily" and data.in_progress_day is not None else "")
                       + (f"; shaded up to {warm_up:%Y-%m-%d}: the warm-up (early users all count as new)"
                          if warm_up else ""))
            _chart(charts.growth_accounting(growth, "day" if grain == "Daily" else "week", warm_up), "growth")


def render_l28_and_viewing(data: DashboardData, segment: SegmentFilter) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        histogram = data.l28_histogram
        st.subheader("Days active in the last 28 days")
        _note("l28", segment)
        if histogram.empty:
            st.info("No L28 histogram in this snapshot.")
        else:
            day = pd.Timestamp(histogram["activity_date"].iloc[0])
            total = int(histogram["users"].sum())
            complete = bool(histogram["is_complete_window"].all()) if "is_complete_window" in histogram else True
            st.caption(f"On {day:%Y-%m-%d}: {total:,} users active at least once in 28 days, "
                       "by number of active days (bands: casual 1-4, regular 5-13, core 14-21, power 22-28)"
                       + ("" if complete else "; warm-up: fewer than 28 days of data behind this day"))
            _chart(charts.l28_histogram(histogram), "l28")
    with right:
        _render_viewing(data, segment)


def _render_viewing(data: DashboardData, segment: SegmentFilter = SegmentFilter()) -> None:
    """Sessions by local weekday and hour, filtered by platform (the global filter's, if set)."""
    st.subheader("When people watch")
    _note("viewing", segment)
    if data.viewing_heatmap.empty:
        st.info("No viewing sessions in this snapshot.")
    else:
        platforms = viewing_platforms(data)
        forced = filter_applies("viewing", segment)
        platform = st.selectbox("Platform", ["All platforms", *platforms], key="viewing_platform", disabled=forced)
        if forced:
            platform = segment.value
        matrix = viewing_matrix(data, None if platform == "All platforms" else platform)
        st.caption("Viewing sessions started, by the viewer's local weekday and hour, over the whole history "
                   "(the in-progress day included as far as it goes)")
        _chart(charts.viewing_heatmap(matrix), "viewing")


def render_intraday(data: DashboardData, segment: SegmentFilter = SegmentFilter()) -> None:
    st.header("Intraday pulse", divider="gray")
    if not data.has_intraday:
        st.info("No intraday data yet: the real-time marts appear after the first micro-batch of `make stream`.")
        return
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Playback starts per minute")
        _note("pulse", segment)
        per_minute = data.playback_per_minute
        if per_minute.empty:
            st.info("No intraday data yet.")
        else:
            judged = judged_minutes(data)
            anomalies = int(judged["is_anomaly"].fillna(False).astype(bool).sum())
            last = per_minute.iloc[-1]
            if data.is_stream:
                st.caption(f"Last minute {pd.Timestamp(last['minute_start']):%Y-%m-%d %H:%M} UTC: "
                           f"{int(last['playback_starts']):,} starts; {anomalies} anomalous minutes "
                           "(|z| against the same hour of the previous 7 days)")
            else:
                st.caption(f"Replayed history, not live: the last 24 h of the batch data, up to "
                           f"{pd.Timestamp(last['minute_start']):%Y-%m-%d %H:%M} UTC. {anomalies} anomalous "
                           f"minutes on complete days ({len(per_minute) - len(judged):,} minutes of the "
                           "partial newest day are not judged: the data ends there). Live in `make stream`.")
            _chart(charts.playback_pulse(per_minute, judged), "pulse")
    with right:
        st.subheader("DAU so far, by hour")
        options = {"total": "Total", "platform": "Platform", "country": "Country"}
        segment_type = st.selectbox("Breakdown", list(options), format_func=options.get, key="intraday_segment")
        _note("intraday", segment, breakdown=None if segment_type == "total" else segment_type)
        frame = intraday_dau(data, segment_type, segment)
        if frame.empty:
            st.info("No intraday data yet." if data.intraday_users.empty else f"No intraday rows for {segment.describe()}.")
        elif segment_type == "total":
            newest = frame[frame["activity_date"] == frame["activity_date"].max()]
            partial = newest[~newest["is_complete_hour"].astype(bool)] if "is_complete_hour" in newest else newest.iloc[0:0]
            st.caption(f"Distinct active users since 00:00 UTC: {int(newest['cumulative_active_users'].max()):,} "
                       f"on {pd.Timestamp(newest['activity_date'].iloc[0]):%Y-%m-%d} so far"
                       + (f" (hour {int(partial['activity_hour'].iloc[0]):02d}:00 still in progress)"
                          if not partial.empty else ""))
            _chart(charts.dau_so_far(frame), "dau_so_far")
        else:
            newest = frame[frame["activity_date"] == frame["activity_date"].max()]
            latest = (newest.sort_values("activity_hour").groupby("segment_value").tail(1)
                      .sort_values("cumulative_active_users", ascending=False))
            st.caption(f"DAU so far on {pd.Timestamp(newest['activity_date'].iloc[0]):%Y-%m-%d}, "
                       f"by {options[segment_type].lower()}")
            _chart(charts.category_bars(latest["segment_value"], latest["cumulative_active_users"],
                                        options[segment_type], "DAU so far"), "intraday_segments")


def render_pipeline(data: DashboardData, segment: SegmentFilter = SegmentFilter()) -> None:
    st.header("Data freshness and pipeline health", divider="gray")
    _note("pipeline", segment)
    health = pipeline_health(data)
    if not health:
        st.info("No pipeline runs recorded: `pipeline_runs` is written by the stream runner (`make stream`).")
        return
    columns = st.columns(6)
    columns[0].metric("Lag p50", _fmt_seconds(health["lag_p50"]), help="newest file landed → visible in marts")
    columns[1].metric("Lag p95", _fmt_seconds(health["lag_p95"]))
    columns[2].metric("Lag max", _fmt_seconds(health["lag_max"]))
    columns[3].metric("Batch p50", _fmt_seconds(health["duration_p50"]))
    columns[4].metric("Batch p95", _fmt_seconds(health["duration_p95"]))
    columns[5].metric("Batches (failed)", f"{health['batches']:,} ({health['failed']})")
    runs = data.pipeline_runs
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Lag and batch duration")
        _chart(charts.pipeline_timings(runs), "pipeline")
    with right:
        st.subheader("Last batches")
        last_finished = health.get("last_finished_at")
        if last_finished is not None:
            age = (datetime.now(UTC).replace(tzinfo=None) - last_finished.replace(tzinfo=None)).total_seconds()
            st.caption(f"Last batch finished {last_finished:%Y-%m-%d %H:%M:%S} UTC ({_fmt_age(max(age, 0))})")
        wanted = [c for c in ("batch_id", "finished_at", "status", "attempts", "new_files", "new_view_events",
                              "duration_seconds", "lag_seconds") if c in runs.columns]
        last_batches = runs[wanted].sort_values("batch_id", ascending=False).head(10)
        st.dataframe(
            last_batches, hide_index=True,
            column_config={
                "batch_id": "batch", "finished_at": st.column_config.DatetimeColumn("finished (UTC)",
                                                                                     format="HH:mm:ss"),
                "new_view_events": st.column_config.NumberColumn("new events", format="localized"),
                "new_files": "files",
                "duration_seconds": st.column_config.NumberColumn("duration", format="%.1f s"),
                "lag_seconds": st.column_config.NumberColumn("lag", format="%.1f s"),
            },
        )
        _csv_button(last_batches, "last batches", "pipeline_csv")
    render_consumer_lag(data)


def render_consumer_lag(data: DashboardData) -> None:
    """Broker mode only: the landing sink's lag per topic partition at the newest batch."""
    lag = data.consumer_lag
    if lag is None or lag.empty:
        return
    st.subheader("Broker lag per partition (landing sink)")
    st.caption("Records the broker holds that are not in durable landing files yet, and the time from "
               "producing the newest landed record to its visibility in the marts.")
    shown = lag[["topic", "kafka_partition", "lag_records", "buffered_records", "lag_seconds",
                 "event_to_visible_seconds"]]
    st.dataframe(
        shown, hide_index=True,
        column_config={
            "kafka_partition": "partition", "lag_records": "lag (records)", "buffered_records": "held by sink",
            "lag_seconds": st.column_config.NumberColumn("lag", format="%.1f s"),
            "event_to_visible_seconds": st.column_config.NumberColumn("event → visible", format="%.1f s"),
        },
    )
    _csv_button(shown, "broker lag", "consumer_lag_csv")


def render_page(dashboard_dir: Path) -> None:
    """The whole page for the snapshot CURRENT names now."""
    snapshot = current_snapshot(dashboard_dir)
    if snapshot is None:
        st.info(
            f"No dashboard snapshot in `{dashboard_dir}` yet. Build the warehouse and export one with "
            "`make dashboard`, or start `make stream`: this page picks it up by itself."
        )
        return
    try:
        data = _cached_data(str(snapshot.folder), snapshot)
    except (duckdb.Error, OSError):
        # Pruned between reading CURRENT and reading its files (the exporter keeps
        # three snapshots, so this needs a very slow reader): follow CURRENT again.
        snapshot = current_snapshot(dashboard_dir)
        if snapshot is None:
            st.info("The dashboard snapshot is being replaced; this page refreshes by itself.")
            return
        data = _cached_data(str(snapshot.folder), snapshot)
    render_header(data)
    segment, first, last = render_filters(data)
    filtered = apply_segment_filter(data, segment)
    tabs = dict(zip(PAGES, st.tabs(list(PAGES))))
    with tabs["Overview"]:
        render_kpis(filtered, segment)
        daily = apply_date_range(filtered, first, last) if first is not None else filtered
        render_trend_and_growth(daily, segment)
        render_l28_and_viewing(data, segment)
    with tabs["Segments"]:
        pages.render_segments_page(data, segment, first, last)
    with tabs["Retention"]:
        pages.render_retention_page(data, segment)
    with tabs["Churn risk"]:
        pages.render_churn_page(data, segment)
    with tabs["Titles & genres"]:
        pages.render_titles_page(data, segment)
    with tabs["Playback quality"]:
        pages.render_quality_page(data, segment)
    with tabs["Live & pipeline"]:
        render_intraday(data, segment)
        render_pipeline(data, segment)


def main() -> None:
    st.set_page_config(page_title="Engagement dashboard", layout="wide")
    st.title("Streaming engagement")
    dashboard_dir = dashboard_dir_from_env()
    refresh = _refresh_seconds()

    @st.fragment(run_every=refresh)
    def live_page() -> None:
        render_page(dashboard_dir)

    live_page()


main()
