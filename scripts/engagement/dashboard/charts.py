"""Plotly figures for the dashboard, built from the frames in :mod:`dashboard.data`."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

HEIGHT = 320
COLORS = {
    "dau": "#1f77b4", "wau": "#6baed6", "mau": "#c6dbef", "stickiness": "#d62728",
    "new": "#2ca02c", "retained": "#1f77b4", "resurrected": "#9467bd", "churned": "#d62728",
    "quick_ratio": "#ff7f0e", "baseline": "#7f7f7f", "anomaly": "#d62728",
}
BAND_COLORS = {"casual": "#c6dbef", "regular": "#6baed6", "core": "#2171b5", "power": "#08306b"}


def _layout(fig: go.Figure, height: int = HEIGHT, **kwargs) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hovermode="x unified",
        **kwargs,
    )
    return fig


WARM_UP_LABEL = "warm-up: MAU window not yet full"


def activity_trend(activity: pd.DataFrame, in_progress: bool, warm_up_end=None) -> go.Figure:
    """DAU, WAU and MAU (left axis) with stickiness DAU/MAU (right axis, %).

    ``warm_up_end`` (a date): the days up to it are shaded, since MAU there counts only the
    days seen so far and stickiness starts near 100%.
    """
    frame = activity.iloc[:-1] if in_progress and len(activity) > 1 else activity
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for column, name in (("mau", "MAU"), ("wau", "WAU"), ("dau", "DAU")):
        fig.add_trace(
            go.Scatter(x=frame["activity_date"], y=frame[column], name=name, mode="lines",
                       line={"color": COLORS[column], "width": 2.5 if column == "dau" else 2}),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(x=frame["activity_date"], y=frame["stickiness"] * 100, name="Stickiness (DAU/MAU)",
                   mode="lines", line={"color": COLORS["stickiness"], "dash": "dot"},
                   hovertemplate="%{y:.1f}%"),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="users", rangemode="tozero", secondary_y=False, tickformat=",")
    fig.update_yaxes(title_text="stickiness", rangemode="tozero", secondary_y=True, showgrid=False,
                     ticksuffix="%", tickformat=".0f")
    if not frame.empty:
        shade_warm_up(fig, frame["activity_date"].iloc[0], warm_up_end)
    return _layout(fig)


def shade_warm_up(fig: go.Figure, first_day, warm_up_end) -> go.Figure:
    """Shade the MAU warm-up (``first_day`` .. ``warm_up_end``) on a chart with days on x."""
    if warm_up_end is not None and first_day is not None and pd.Timestamp(first_day) <= pd.Timestamp(warm_up_end):
        fig.add_vrect(x0=pd.Timestamp(first_day), x1=pd.Timestamp(warm_up_end),
                      fillcolor="gray", opacity=0.12, line_width=0, layer="below",
                      annotation_text=WARM_UP_LABEL, annotation_position="top left")
    return fig


def growth_accounting(growth: pd.DataFrame, period_label: str, warm_up_end=None) -> go.Figure:
    """New, retained, resurrected stacked up; churned down (negative); quick ratio on the right.

    ``warm_up_end``: the days (or weeks) up to it are shaded: the first days count everyone as new.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    complete = growth["is_complete"] if "is_complete" in growth.columns else pd.Series(True, index=growth.index)
    opacity = [1.0 if bool(ok) else 0.35 for ok in complete]  # a period the data has not finished: faded
    for column, name in (("retained", "Retained"), ("new", "New"), ("resurrected", "Resurrected"),
                         ("churned", "Churned")):
        fig.add_trace(
            go.Bar(x=growth["period"], y=growth[column], name=name, marker_color=COLORS[column],
                   marker_opacity=opacity),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(x=growth["period"], y=growth["quick_ratio"], name="Quick ratio", mode="lines+markers",
                   line={"color": COLORS["quick_ratio"], "width": 2}, marker={"size": 4},
                   hovertemplate="%{y:.2f}"),
        secondary_y=True,
    )
    if not growth.empty:
        shade_warm_up(fig, growth["period"].iloc[0], warm_up_end)
    fig.update_layout(barmode="relative", bargap=0.15)
    fig.update_yaxes(title_text=f"users per {period_label}", tickformat=",", secondary_y=False)
    fig.update_yaxes(title_text="quick ratio", rangemode="tozero", secondary_y=True, showgrid=False,
                     tickformat=".1f")
    return _layout(fig)


def cohort_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Share of each weekly first-activity cohort active N weeks later."""
    sizes = matrix.attrs.get("cohort_size", {})
    labels = [f"{day:%Y-%m-%d} (n={sizes.get(day, 0):,})" for day in matrix.index]
    values = matrix.to_numpy(dtype="float64") * 100
    text = [["" if pd.isna(v) else f"{v:.0f}%" for v in row] for row in values]
    fig = go.Figure(
        go.Heatmap(
            z=values, x=[f"W{int(c)}" for c in matrix.columns], y=labels, text=text,
            texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=100,
            colorbar={"title": {"text": "% active"}, "ticksuffix": "%"},
            hovertemplate="cohort %{y}<br>week %{x}: %{z:.1f}%<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title_text="first-activity week")
    fig.update_xaxes(title_text="weeks since first activity", side="top")
    fig.update_layout(hovermode="closest")
    return _layout(fig, height=max(HEIGHT, 24 * len(labels) + 90))


def l28_histogram(histogram: pd.DataFrame) -> go.Figure:
    """Users by number of active days in the 28 days ending the as-of day, coloured by band."""
    fig = go.Figure()
    for band in ("casual", "regular", "core", "power"):
        part = histogram[histogram["engagement_band"] == band]
        if part.empty:
            continue
        fig.add_trace(go.Bar(x=part["days_active"], y=part["users"], name=band.capitalize(),
                             marker_color=BAND_COLORS[band],
                             hovertemplate="%{x} days: %{y:,} users<extra></extra>"))
    other = histogram[~histogram["engagement_band"].isin(list(BAND_COLORS))]
    if not other.empty:
        fig.add_trace(go.Bar(x=other["days_active"], y=other["users"], name="users"))
    fig.update_xaxes(title_text="days active in the last 28 days", dtick=1 if len(histogram) <= 28 else None)
    fig.update_yaxes(title_text="users", tickformat=",")
    fig.update_layout(barmode="stack", bargap=0.1, hovermode="closest")
    return _layout(fig)


def segment_bars(segments: pd.DataFrame, label: str) -> go.Figure:
    """DAU, WAU and MAU per segment value (bars) with stickiness (right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for column, name in (("dau", "DAU"), ("wau", "WAU"), ("mau", "MAU")):
        fig.add_trace(go.Bar(x=segments["segment_value"], y=segments[column], name=name,
                             marker_color=COLORS[column]), secondary_y=False)
    fig.add_trace(
        go.Scatter(x=segments["segment_value"], y=segments["stickiness"] * 100, name="Stickiness",
                   mode="markers", marker={"color": COLORS["stickiness"], "size": 10, "symbol": "diamond"},
                   hovertemplate="%{y:.1f}%"),
        secondary_y=True,
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=label, type="category")
    fig.update_yaxes(title_text="users", tickformat=",", secondary_y=False)
    fig.update_yaxes(title_text="stickiness", rangemode="tozero", ticksuffix="%", tickformat=".0f",
                     showgrid=False, secondary_y=True)
    return _layout(fig)


def viewing_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Viewing sessions started by local weekday and hour."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(), x=[f"{h:02d}" for h in matrix.columns], y=list(matrix.index),
            colorscale="YlOrRd", colorbar={"title": {"text": "sessions"}},
            hovertemplate="%{y} %{x}:00 local: %{z:,} sessions<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="local hour of day (viewer's time zone)", type="category")
    fig.update_layout(hovermode="closest")
    return _layout(fig)


def playback_pulse(per_minute: pd.DataFrame, judged: pd.DataFrame | None = None) -> go.Figure:
    """Playback starts per minute against the same hour's baseline; anomalies marked.

    ``judged``: the minutes whose anomaly flag counts (default all; see
    ``engagement.dashboard.data.judged_minutes``).
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=per_minute["minute_start"], y=per_minute["baseline_playback_starts"],
                             name="Baseline (same hour, previous 7 days)", mode="lines",
                             line={"color": COLORS["baseline"], "dash": "dash"}))
    fig.add_trace(go.Scatter(x=per_minute["minute_start"], y=per_minute["playback_starts"],
                             name="Playback starts / min", mode="lines",
                             line={"color": COLORS["dau"], "width": 1.5}))
    judged = per_minute if judged is None else judged
    anomalies = judged[judged["is_anomaly"].fillna(False).astype(bool)]
    fig.add_trace(go.Scatter(x=anomalies["minute_start"], y=anomalies["playback_starts"],
                             name=f"Anomaly ({len(anomalies)})", mode="markers",
                             marker={"color": COLORS["anomaly"], "size": 10, "symbol": "x"},
                             customdata=anomalies["z_score"],
                             hovertemplate="%{y} starts (z = %{customdata:.1f})<extra>anomaly</extra>"))
    fig.update_xaxes(title_text="minute (UTC)")
    fig.update_yaxes(title_text="playback starts per minute", rangemode="tozero")
    return _layout(fig)


def dau_so_far(intraday: pd.DataFrame) -> go.Figure:
    """Cumulative distinct active users by UTC hour, one line per day (today vs yesterday)."""
    fig = go.Figure()
    days = sorted(intraday["activity_date"].unique())
    for index, day in enumerate(days):
        part = intraday[intraday["activity_date"] == day]
        newest = index == len(days) - 1
        label = f"{pd.Timestamp(day):%Y-%m-%d}" + (" (today)" if newest else "")
        fig.add_trace(go.Scatter(
            x=part["activity_hour"], y=part["cumulative_active_users"], name=label,
            mode="lines+markers", marker={"size": 5},
            line={"color": COLORS["dau"] if newest else COLORS["baseline"], "width": 2.5 if newest else 1.5,
                  "dash": None if newest else "dot"},
            hovertemplate="until %{x}:59 UTC: %{y:,} users",
        ))
    fig.update_xaxes(title_text="hour of day (UTC)", range=[-0.5, 23.5], dtick=2)
    fig.update_yaxes(title_text="DAU so far", tickformat=",", rangemode="tozero")
    return _layout(fig)


def pipeline_timings(runs: pd.DataFrame) -> go.Figure:
    """Lag from arrival to visibility and batch duration, per micro-batch."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=runs["batch_id"], y=runs["duration_seconds"], name="Batch duration (s)",
                         marker_color=COLORS["wau"]))
    fig.add_trace(go.Scatter(x=runs["batch_id"], y=runs["lag_seconds"], name="Lag arrival → visible (s)",
                             mode="lines+markers", marker={"size": 4}, line={"color": COLORS["quick_ratio"]}))
    failed = runs[runs["status"] != "success"] if "status" in runs.columns else runs.iloc[0:0]
    if not failed.empty:
        fig.add_trace(go.Scatter(x=failed["batch_id"], y=failed["duration_seconds"], name="Failed batch",
                                 mode="markers", marker={"color": COLORS["anomaly"], "size": 10, "symbol": "x"}))
    fig.update_xaxes(title_text="batch")
    fig.update_yaxes(title_text="seconds", rangemode="tozero")
    return _layout(fig)


def category_bars(categories: pd.Series, values: pd.Series, x_title: str, y_title: str) -> go.Figure:
    """One bar per category."""
    fig = go.Figure(go.Bar(x=categories, y=values, marker_color=COLORS["dau"], name=y_title,
                           hovertemplate="%{x}: %{y:,}<extra></extra>"))
    fig.update_xaxes(title_text=x_title, type="category")
    fig.update_yaxes(title_text=y_title, tickformat=",", rangemode="tozero")
    fig.update_layout(hovermode="closest", showlegend=False)
    return _layout(fig)


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def segment_trend(trend: pd.DataFrame, label: str, warm_up_end=None) -> go.Figure:
    """DAU (top) and stickiness (bottom) per day, one line per segment value."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4])
    for index, (value, part) in enumerate(trend.groupby("segment_value", sort=False)):
        color = PALETTE[index % len(PALETTE)]
        fig.add_trace(go.Scatter(x=part["activity_date"], y=part["dau"], name=str(value), mode="lines",
                                 legendgroup=str(value), line={"color": color}), row=1, col=1)
        fig.add_trace(go.Scatter(x=part["activity_date"], y=part["stickiness"] * 100, name=str(value),
                                 mode="lines", legendgroup=str(value), showlegend=False,
                                 line={"color": color, "dash": "dot"}, hovertemplate="%{y:.1f}%"), row=2, col=1)
    if not trend.empty:
        shade_warm_up(fig, trend["activity_date"].min(), warm_up_end)
    fig.update_yaxes(title_text=f"DAU by {label.lower()}", tickformat=",", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="stickiness", ticksuffix="%", tickformat=".0f", rangemode="tozero", row=2, col=1)
    return _layout(fig, height=HEIGHT + 120)


def retention_curves(curves: pd.DataFrame, grain: str) -> go.Figure:
    """Share of each cohort active N periods after its cohort period, one line per cohort."""
    fig = go.Figure()
    for index, (cohort, part) in enumerate(curves.groupby("cohort_start")):
        size = int(part["cohort_size"].iloc[0])
        fig.add_trace(go.Scatter(
            x=part["period_number"], y=part["retention_rate"] * 100, mode="lines+markers", marker={"size": 4},
            name=f"{pd.Timestamp(cohort):%Y-%m-%d} (n={size:,})", line={"color": PALETTE[index % len(PALETTE)]},
            hovertemplate=f"{grain} %{{x}}: %{{y:.1f}}%<extra></extra>"))
    fig.update_xaxes(title_text=f"{grain}s since the cohort {grain}", dtick=1 if grain != "day" else None)
    fig.update_yaxes(title_text="% of the cohort active", ticksuffix="%", range=[0, 105])
    fig.update_layout(hovermode="closest", legend={"orientation": "v", "x": 1.02, "y": 1})
    return _layout(fig)


def calibration(frame: pd.DataFrame) -> go.Figure:
    """The model's observed churn rate against its mean predicted probability, by risk decile."""
    fig = go.Figure()
    for index, (outcome, part) in enumerate(frame.groupby("outcome")):
        color = PALETTE[index % len(PALETTE)]
        fig.add_trace(go.Bar(x=part["score_decile"], y=part["observed_churn_rate"] * 100, name=f"observed ({outcome})",
                             marker_color=color, opacity=0.7, hovertemplate="decile %{x}: %{y:.1f}%"))
        fig.add_trace(go.Scatter(x=part["score_decile"], y=part["mean_predicted_probability"] * 100,
                                 name=f"predicted ({outcome})", mode="lines+markers",
                                 line={"color": color, "dash": "dash"}, hovertemplate="decile %{x}: %{y:.1f}%"))
    fig.update_xaxes(title_text="risk decile (1 = riskiest tenth)", dtick=1)
    fig.update_yaxes(title_text="churn rate", ticksuffix="%", rangemode="tozero")
    fig.update_layout(barmode="group")
    return _layout(fig)


def weekly_qoe(weekly: pd.DataFrame) -> go.Figure:
    """Share of playbacks that rebuffered (left) and startup p90 (right) per week and platform.

    A week the data has not finished is drawn with hollow markers.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("playbacks that rebuffered", "startup p90 (s)"))
    for index, (platform, part) in enumerate(weekly.groupby("platform")):
        color = PALETTE[index % len(PALETTE)]
        symbols = ["circle" if bool(ok) else "circle-open" for ok in part["is_complete_week"]]
        fig.add_trace(go.Scatter(x=part["week_start_date"], y=part["rebuffered_playback_share"] * 100, name=platform,
                                 legendgroup=platform, mode="lines+markers", line={"color": color},
                                 marker={"symbol": symbols, "size": 8}, hovertemplate="%{y:.2f}%"), row=1, col=1)
        fig.add_trace(go.Scatter(x=part["week_start_date"], y=part["startup_p90_ms"] / 1000, name=platform,
                                 legendgroup=platform, showlegend=False, mode="lines+markers", line={"color": color},
                                 marker={"symbol": symbols, "size": 8}, hovertemplate="%{y:.2f} s"), row=1, col=2)
    fig.update_yaxes(ticksuffix="%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    return _layout(fig)


def qoe_churn(pooled: pd.DataFrame) -> go.Figure:
    """Share of users not active the week after, by their week's QoE bucket (one panel per measure)."""
    measures = list(dict.fromkeys(pooled["qoe_measure"]))
    fig = make_subplots(rows=1, cols=max(1, len(measures)), subplot_titles=measures, shared_yaxes=True)
    for index, measure in enumerate(measures, start=1):
        part = pooled[pooled["qoe_measure"] == measure]
        fig.add_trace(go.Bar(x=part["qoe_bucket"], y=part["next_week_churn_share"] * 100, name=measure,
                             marker_color=PALETTE[index - 1], customdata=part["users"],
                             hovertemplate="%{x}: %{y:.1f}% of %{customdata:,} users<extra></extra>"),
                      row=1, col=index)
        fig.update_xaxes(type="category", row=1, col=index)
    fig.update_yaxes(title_text="not active the next week", ticksuffix="%", rangemode="tozero", row=1, col=1)
    fig.update_layout(hovermode="closest", showlegend=False)
    return _layout(fig)


def horizontal_bars(categories: pd.Series, values: pd.Series, x_title: str) -> go.Figure:
    """One horizontal bar per category, the first on top."""
    fig = go.Figure(go.Bar(y=categories, x=values, orientation="h", marker_color=COLORS["dau"], name=x_title,
                           hovertemplate="%{y}: %{x:,}<extra></extra>"))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(title_text=x_title, tickformat=",", rangemode="tozero")
    fig.update_layout(hovermode="closest", showlegend=False)
    return _layout(fig, height=max(HEIGHT, 22 * len(categories) + 80))
