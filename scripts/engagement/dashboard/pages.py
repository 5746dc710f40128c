"""The dashboard's pages after the overview (Streamlit): segments, retention, churn risk,
titles and genres, playback quality. Each chart obeys the global segment filter or says why
it cannot (:func:`engagement.dashboard.data.filter_note`); which rows it shows is decided in
:mod:`engagement.dashboard.data`, tested without a browser.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from engagement.dashboard import charts
from engagement.dashboard.data import (
    FILTER_DIMENSIONS,
    DashboardData,
    SegmentFilter,
    churn_at_risk,
    churn_reason_counts,
    cohort_matrix,
    filter_note,
    genre_table,
    qoe_churn,
    retention_curves,
    retention_grains,
    retention_table,
    segment_frame,
    segment_trend,
    top_titles,
    warm_up_end,
    weekly_qoe,
)

PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": False}
SEGMENT_CHART_LIMIT = 12
BASIS_LABELS = {"first_activity": "First activity", "signup": "Sign-up"}
PERCENT = st.column_config.NumberColumn(format="percent")
LOCALIZED = st.column_config.NumberColumn(format="localized")


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, key=key, config=PLOTLY_CONFIG)


def csv_button(frame: pd.DataFrame, name: str, key: str) -> None:
    """A CSV download of ``frame`` (what the table beside it shows)."""
    st.download_button(f"Download {name} (CSV)", frame.to_csv(index=False).encode("utf-8"),
                       file_name=f"{name.replace(' ', '_')}.csv", mime="text/csv", key=key)


def table(frame: pd.DataFrame, name: str, key: str, column_config: dict | None = None) -> None:
    """A table with its CSV download."""
    st.dataframe(frame, hide_index=True, key=f"{key}_table", column_config=column_config or {})
    csv_button(frame, name, f"{key}_csv")


def note(chart_name: str, segment: SegmentFilter, breakdown: str | None = None) -> None:
    """The chart's line about the segment filter (nothing without a filter)."""
    text = filter_note(chart_name, segment, breakdown)
    if text:
        st.caption(("🔎 " if text.startswith("Filtered") else "⚠️ ") + text)


# --- segments ----------------------------------------------------------------------------------

def render_segments_page(data: DashboardData, segment: SegmentFilter, first: date | None, last: date | None) -> None:
    st.subheader("Segments")
    if data.segment_history.empty and data.segments.empty:
        st.info("No segment breakdown in this snapshot.")
        return
    dimension = st.selectbox("Segment by", list(FILTER_DIMENSIONS), format_func=FILTER_DIMENSIONS.get,
                             key="segment_type")
    label = FILTER_DIMENSIONS[dimension]
    left, right = st.columns(2, gap="large")
    with left:
        _render_breakdown(data, segment, dimension, label)
    with right:
        st.markdown(f"**DAU and stickiness over time, by {label.lower()}**")
        note("segment_trends", segment, breakdown=dimension)
        trend = segment_trend(data, dimension, segment, first=first, last=last)
        if trend.empty:
            st.info(f"No daily rows by {label.lower()} in this snapshot.")
            return
        warm_up = warm_up_end(data)
        shown = trend["segment_value"].nunique()
        st.caption(f"{shown} most active values on the as-of day; complete days only"
                   + (f" ({data.in_progress_day:%Y-%m-%d} is in progress and not drawn)" if data.in_progress_day else "")
                   + (f"; shaded up to {warm_up:%Y-%m-%d}: the MAU warm-up" if warm_up else ""))
        chart(charts.segment_trend(trend, label, warm_up), "segment_trend")
        with st.expander(f"Daily table by {label.lower()}"):
            table(trend, f"segment trend by {label.lower()}", "segment_trend", {"stickiness": PERCENT})


def _render_breakdown(data: DashboardData, segment: SegmentFilter, dimension: str, label: str) -> None:
    frame = segment_frame(data, dimension)
    st.markdown(f"**By {label.lower()} on {data.as_of_day:%Y-%m-%d}**" if data.as_of_day else f"**By {label.lower()}**")
    note("segments", segment, breakdown=dimension)
    if frame.empty:
        st.info(f"No breakdown by {label.lower()} in this snapshot.")
        return
    if segment.is_active and segment.dimension == dimension:
        frame = frame[frame["segment_value"] == segment.value]
    shown = frame.head(SEGMENT_CHART_LIMIT)
    top = f" (top {len(shown)} of {len(frame)} by DAU)" if len(frame) > len(shown) else ""
    multi = " (users on several platforms count in each)" if dimension == "platform" else ""
    st.caption(f"DAU, WAU, MAU and stickiness by {label.lower()}{top}{multi}; the as-of day is the newest "
               "complete day")
    chart(charts.segment_bars(shown, label), "segments")
    result = frame[["segment_value", "dau", "wau", "mau", "stickiness"]].rename(columns={
        "segment_value": label, "dau": "DAU", "wau": "WAU", "mau": "MAU", "stickiness": "Stickiness"})
    result["Stickiness"] = result["Stickiness"] * 100
    with st.expander(f"Table by {label.lower()}"):
        st.dataframe(result, hide_index=True, column_config={
            "DAU": LOCALIZED, "WAU": LOCALIZED, "MAU": LOCALIZED,
            "Stickiness": st.column_config.NumberColumn(format="%.1f%%")})
        csv_button(result, f"segments by {label.lower()}", "segments_csv")


# --- retention ---------------------------------------------------------------------------------

def render_retention_page(data: DashboardData, segment: SegmentFilter) -> None:
    st.subheader("Retention curves")
    grains = retention_grains(data)
    if not grains:
        st.info("No retention curves in this snapshot.")
    else:
        bases = [b for b in BASIS_LABELS if b in set(data.retention_curves["cohort_basis"])]
        left, right = st.columns(2)
        basis = left.segmented_control("Cohort basis", bases, format_func=BASIS_LABELS.get, default=bases[0],
                                       key="retention_basis") or bases[0]
        default = "week" if "week" in grains else grains[0]
        grain = right.segmented_control("Cohort grain", grains, default=default, key="retention_grain") or default
        note("retention_curves", segment)
        curves = retention_curves(data, basis, grain)
        missing = [g for g in ("day", "week", "month") if g not in grains]
        st.caption(f"{BASIS_LABELS[basis]} cohorts by {grain}: the share of each of the newest "
                   f"{curves['cohort_start'].nunique()} cohorts active N {grain}s later; complete periods only "
                   "(a period that has not ended is not drawn)"
                   + (f"; {' and '.join(missing)} cohorts are not built by the curve marts" if missing else ""))
        chart(charts.retention_curves(curves, grain), "retention_curves")
        summary = retention_table(data, basis, grain)
        st.markdown(f"**D1 / D7 / D14 / D28 retention, {BASIS_LABELS[basis].lower()} cohorts by {grain}**")
        note("retention_table", segment)
        st.caption("Empty: day N is not complete yet for every member of the cohort")
        if summary.empty:
            st.info("No D1-D28 summary for this basis and grain.")
        else:
            shown = summary.rename(columns={
                "cohort_start": "Cohort", "cohort_size": "Users", "d1_retention_rate": "D1",
                "d7_retention_rate": "D7", "d14_retention_rate": "D14", "d28_retention_rate": "D28"})
            table(shown, f"retention {basis} {grain}", "retention_summary",
                  {name: PERCENT for name in ("D1", "D7", "D14", "D28")})
    st.subheader("Cohort retention")
    matrix = cohort_matrix(data)
    note("cohorts", segment)
    if matrix.empty:
        st.info("No retention cohorts in this snapshot.")
    else:
        st.caption("Share of each weekly first-activity cohort active in week N after it; a week that has not "
                   "ended is left blank")
        chart(charts.cohort_heatmap(matrix), "cohorts")
    summary = data.cohort_summary
    if not summary.empty and "d1_retention_rate" in summary.columns:
        legacy = summary.rename(columns={
            "cohort_start": "Cohort week", "cohort_size": "Users", "d1_retention_rate": "D1",
            "d7_retention_rate": "D7", "d14_retention_rate": "D14", "d28_retention_rate": "D28"})
        with st.expander("D1 / D7 / D14 / D28 retention by cohort (empty: the day is not complete yet)"):
            st.dataframe(legacy, hide_index=True, key="retention_table",
                         column_config={name: PERCENT for name in ("D1", "D7", "D14", "D28")})
            csv_button(legacy, "retention by cohort", "retention_csv")


# --- churn risk --------------------------------------------------------------------------------

def render_churn_page(data: DashboardData, segment: SegmentFilter) -> None:
    st.subheader("Users at risk of churning")
    risk = churn_at_risk(data, segment, limit=None)
    note("churn_list", segment)
    if data.churn_risk.empty:
        st.info("No churn risk scores in this snapshot (fct_user_churn_risk).")
    elif risk.empty:
        st.info(f"No scored user in {segment.describe()}.")
    else:
        day = pd.Timestamp(risk["activity_date"].iloc[0])
        top_decile = int((risk["risk_decile"] == 1).sum())
        partial = int((~risk["is_lookback_complete"].astype(bool)).sum()) if "is_lookback_complete" in risk else 0
        columns = st.columns(3)
        columns[0].metric("Users scored", f"{len(risk):,}", help="monthly-active users on the day")
        columns[1].metric("In the riskiest decile", f"{top_decile:,}")
        columns[2].metric("Mean churn probability", f"{risk['churn_probability'].mean():.1%}")
        st.caption(f"Scored on {day:%Y-%m-%d}, the newest complete day; "
                   f"{partial:,} users with less history than the model's lookback (warm-up) are scored on what "
                   "there is. Rank: within the selection (overall rank beside it)")
        shown = risk.head(50)[["rank_in_selection", "risk_rank", "user_id", "risk_score", "risk_decile",
                               "risk_reasons", "days_since_last_activity", *[c for c in ("plan", "country")
                                                                              if c in risk.columns]]]
        table(shown, "churn risk list", "churn", {"risk_score": st.column_config.NumberColumn(format="%.1f")})
        reasons = churn_reason_counts(data, segment)
        st.markdown("**Why the riskiest decile is at risk**")
        st.caption("Users of risk decile 1 in the selection carrying each reason (a user can carry several)")
        chart(charts.horizontal_bars(reasons["reason"], reasons["users"], "users"), "churn_reasons")
    st.subheader("How well the risk score ranks")
    note("churn_evaluation", segment)
    evaluation = data.churn_evaluation
    if evaluation.empty:
        st.info("No churn model evaluation in this snapshot (agg_churn_risk_evaluation).")
        return
    first, last = evaluation["first_scoring_date"].min(), evaluation["last_scoring_date"].max()
    st.caption(f"Held-out scoring days {pd.Timestamp(first):%Y-%m-%d} to {pd.Timestamp(last):%Y-%m-%d} (outcomes "
               "fully observed): the model against two one-line baselines")
    shown = evaluation[["scorer", "outcome", "auc", "top_decile_precision", "top_decile_recall", "top_decile_lift",
                        "base_rate", "scored_user_days"]]
    table(shown, "churn model evaluation", "churn_evaluation", {
        "top_decile_precision": PERCENT, "top_decile_recall": PERCENT, "base_rate": PERCENT,
        "auc": st.column_config.NumberColumn(format="%.3f"),
        "top_decile_lift": st.column_config.NumberColumn(format="%.2f")})
    model = data.churn_calibration
    model = model[model["scorer"] == "model"] if not model.empty else model
    if not model.empty:
        st.markdown("**Calibration: observed churn against predicted probability, by decile**")
        chart(charts.calibration(model), "churn_calibration")


# --- titles and genres -------------------------------------------------------------------------

def render_titles_page(data: DashboardData, segment: SegmentFilter) -> None:
    titles = top_titles(data)
    if titles.empty:
        st.info("No title performance in this snapshot (agg_title_performance).")
        return
    first, last = titles["window_start_date"].min(), titles["window_end_date"].max()
    window = f"viewing window {pd.Timestamp(first):%Y-%m-%d} to {pd.Timestamp(last):%Y-%m-%d}"
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Top titles by watchers")
        note("titles", segment)
        st.caption(f"Distinct watchers per title over the {window} (the newest day included as far as it goes)")
        chart(charts.horizontal_bars(titles["title"], titles["watchers"], "watchers"), "titles")
        table(titles[["watchers_rank", "title", "genre", "media_kind", "watchers", "completion_rate",
                      "watch_seconds_per_watcher"]], "top titles", "titles", {"completion_rate": PERCENT})
    with right:
        st.subheader("Genres")
        note("genres", segment)
        genres = genre_table(data)
        st.caption(f"Share of watch time and completion rate (completed user-title pairs / pairs) by genre, {window}")
        chart(charts.horizontal_bars(genres["genre"], (genres["share_of_watch_time"] * 100).round(1),
                                     "% of watch time"), "genres")
        table(genres, "genres", "genres", {"completion_rate": PERCENT, "share_of_watch_time": PERCENT})


# --- playback quality --------------------------------------------------------------------------

def render_quality_page(data: DashboardData, segment: SegmentFilter) -> None:
    st.subheader("Playback quality by week")
    note("qoe", segment)
    weekly = weekly_qoe(data, segment)
    if weekly.empty:
        st.info("No playback quality in this snapshot (agg_weekly_playback_qoe)." if data.weekly_qoe.empty
                else f"No playbacks in {segment.describe()}.")
    else:
        partial = sorted({pd.Timestamp(w).date() for w, ok in zip(weekly["week_start_date"], weekly["is_complete_week"])
                          if not bool(ok)})
        st.caption("Per ISO week and platform: the share of playbacks that rebuffered (exact) and startup p90 "
                   "(the playback-weighted mean of the per-country p90s)"
                   + (f"; hollow markers: the week of {partial[-1]:%Y-%m-%d} is not complete yet" if partial else ""))
        chart(charts.weekly_qoe(weekly), "qoe")
        table(weekly, "playback quality by week", "qoe", {"rebuffered_playback_share": PERCENT})
    st.subheader("Playback quality versus churn")
    note("qoe_churn", segment)
    pooled = qoe_churn(data)
    if pooled.empty:
        st.info("No QoE-churn relation in this snapshot (agg_weekly_qoe_churn).")
        return
    st.caption(f"Users active in week W, by their week-W playback quality: the share not active in W+1, pooled over "
               f"{int(pooled['weeks'].max())} weeks whose next week is complete (the partial week is left out)")
    chart(charts.qoe_churn(pooled), "qoe_churn")
    table(pooled, "qoe versus churn", "qoe_churn", {"next_week_churn_share": PERCENT})
