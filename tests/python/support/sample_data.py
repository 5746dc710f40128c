"""A small, deterministic warehouse with every table the dashboard reads (for tests and demos).

The numbers are synthetic but keep the marts' identities (DAU = new + retained +
resurrected, DAU <= WAU <= MAU), and a few are fixed so tests can look for them on
the page: the as-of day's DAU is :data:`AS_OF_DAU`.

    (cd tests/python && ../../.venv/bin/python -m support.sample_data /tmp/sample.duckdb)
    .venv/bin/engagement-export --duckdb-path /tmp/sample.duckdb   # then publish it for the dashboard
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from support import sample_pages

FIRST_DAY = date(2026, 3, 1)
DAYS = 42
AS_OF_DAY = FIRST_DAY + timedelta(days=DAYS - 2)   # the newest complete day
AS_OF_DAU = 24_681                                  # its DAU, unique on the page
AS_OF_MAU = 98_765
IN_PROGRESS_DAU = 9_137                             # the newest day, still filling up
PLATFORMS = ("mobile", "tv", "web")
COUNTRIES = ("US", "GB", "DE", "BR", "IN", "JP")
PLANS = ("basic", "standard", "premium")
AGE_BANDS = ("18_24", "25_34", "35_44", "45_54", "55_plus")
SIGNUP_COHORTS = ("2025-12", "2026-01", "2026-02")
REGIONS = sample_pages.REGIONS                      # country -> region
INTRADAY_DAY = date(2026, 4, 11)                    # the realtime marts' newest day
INTRADAY_NOW_HOUR = 14                              # hours 0..13 complete, 14 in progress
ANOMALY_MINUTE = datetime(2026, 4, 11, 13, 37)
WARM_UP_DAYS = 29                                   # days before a full 30-day MAU window


def _activity(as_of_dau: int = AS_OF_DAU) -> pd.DataFrame:
    rows = []
    for i in range(DAYS):
        day = FIRST_DAY + timedelta(days=i)
        weekly = 1.0 + 0.12 * math.sin(2 * math.pi * (i % 7) / 7)
        dau = int(round((20_000 + 110 * i) * weekly))
        mau = 80_000 + 450 * i
        if day == AS_OF_DAY:
            dau, mau = as_of_dau, AS_OF_MAU
        if i == DAYS - 1:
            dau = IN_PROGRESS_DAU
        wau = int(dau * 2.4)
        new = 900 + (i * 37) % 400
        resurrected = 2_500 + (i * 53) % 900
        retained = dau - new - resurrected
        churned = 3_000 + (i * 71) % 1_100
        rows.append({
            "activity_date": day,
            "dau": dau, "wau": wau, "mau": mau, "stickiness": dau / mau,
            "new_users": new, "retained_users": retained, "resurrected_users": resurrected,
            "churned_users": churned, "stale_users": 60_000 + 100 * i,
            "quick_ratio": (new + resurrected) / churned,
            "weekly_new_users": new, "weekly_retained_users": int(wau * 0.8),
            "weekly_resurrected_users": resurrected // 2, "weekly_churned_users": churned // 2,
            "weekly_stale_users": 50_000, "weekly_quick_ratio": (new + resurrected // 2) / (churned // 2),
            "sum_days_active_l28": dau * 9,
            "last_ingested_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=23, minutes=50),
        })
    return pd.DataFrame(rows)


def _calendar() -> pd.DataFrame:
    """dim_activity_day: the newest day is partial, the first 29 days are the MAU warm-up."""
    rows = []
    newest = FIRST_DAY + timedelta(days=DAYS - 1)
    for i in range(DAYS):
        day = FIRST_DAY + timedelta(days=i)
        week_start = day - timedelta(days=day.weekday())
        rows.append({
            "activity_date": day, "week_start_date": week_start, "month_start_date": day.replace(day=1),
            "is_complete_day": day < newest, "is_complete_week": week_start + timedelta(days=7) <= newest,
            "is_complete_month": False, "has_full_mau_window": i >= WARM_UP_DAYS,
        })
    return pd.DataFrame(rows)


def _weekly_lifecycle() -> pd.DataFrame:
    rows = []
    start = FIRST_DAY - timedelta(days=FIRST_DAY.weekday())
    previous = 50_000
    for w in range(6):
        new, retained, resurrected, churned = 6_000 + 300 * w, 40_000 + 500 * w, 9_000, 12_000 - 400 * w
        active = new + retained + resurrected
        rows.append({
            "week_start_date": start + timedelta(weeks=w), "week_end_date": start + timedelta(weeks=w, days=6),
            "weekly_active_users": active, "previous_weekly_active_users": previous,
            "new_users": new, "retained_users": retained, "resurrected_users": resurrected,
            "churned_users": -churned, "quick_ratio": (new + resurrected) / churned,
        })
        previous = active
    return pd.DataFrame(rows)


def _cohorts() -> tuple[pd.DataFrame, pd.DataFrame]:
    curve, summary = [], []
    start = FIRST_DAY - timedelta(days=FIRST_DAY.weekday())
    cohorts = 6
    for c in range(cohorts):
        cohort_start = start + timedelta(weeks=c)
        size = 5_000 - 200 * c
        for period in range(cohorts - c):
            rate = 1.0 if period == 0 else 0.55 * (0.82 ** (period - 1)) + 0.01 * c
            curve.append({
                "cohort_grain": "week", "cohort_start": cohort_start, "period_number": period,
                "cohort_size": size, "active_users": int(size * rate), "retention_rate": rate,
                "unbounded_active_users": int(size * min(1.0, rate * 1.2)),
                "unbounded_retention_rate": min(1.0, rate * 1.2),
            })
        for basis in ("first_activity", "signup"):
            summary.append({
                "cohort_basis": basis, "cohort_grain": "week", "cohort_start": cohort_start, "cohort_size": size,
                "d1_retention_rate": 0.42, "d7_retention_rate": 0.31 if c < 5 else None,
                "d14_retention_rate": 0.25 if c < 4 else None, "d28_retention_rate": 0.2 if c < 2 else None,
                "d1_unbounded_retention_rate": 0.45, "d7_unbounded_retention_rate": 0.5 if c < 5 else None,
                "d14_unbounded_retention_rate": 0.55 if c < 4 else None,
                "d28_unbounded_retention_rate": 0.6 if c < 2 else None,
            })
    return pd.DataFrame(curve), pd.DataFrame(summary)


def _histogram() -> pd.DataFrame:
    rows = []
    for offset in (1, 0):  # the as-of day and the day before
        day = AS_OF_DAY - timedelta(days=offset)
        counts = [int(9_000 * 0.86 ** (d - 1)) + (300 if d == 28 else 0) for d in range(1, 29)]
        total = sum(counts)
        for d, users in enumerate(counts, start=1):
            band = "casual" if d <= 4 else "regular" if d <= 13 else "core" if d <= 21 else "power"
            rows.append({
                "activity_date": day, "window_days": 28, "days_active": d, "engagement_band": band,
                "users": users, "users_at_least": sum(counts[d - 1:]), "window_active_users": total,
                "wau": int(AS_OF_DAU * 2.4), "mau": AS_OF_MAU, "share_of_window_active_users": users / total,
                "share_at_least_of_window_active_users": sum(counts[d - 1:]) / total,
                "share_at_least_of_mau": sum(counts[d - 1:]) / AS_OF_MAU, "is_complete_window": True,
            })
    return pd.DataFrame(rows)


def _segments(activity: pd.DataFrame) -> pd.DataFrame:
    """agg_daily_segment_engagement for every day: each segment a fixed share of the day's total."""
    rows = []
    groups = {"platform": PLATFORMS, "country": COUNTRIES, "plan": PLANS, "age_band": AGE_BANDS,
              "signup_cohort": SIGNUP_COHORTS}
    counts = ("dau", "wau", "mau", "new_users", "retained_users", "resurrected_users", "churned_users")
    for day in activity.itertuples(index=False):
        total = {column: int(getattr(day, column)) for column in counts}
        rows.append({"activity_date": day.activity_date, "segment_type": "total", "segment_value": "all",
                     "is_exclusive_segment_type": True, **total})
        for segment_type, values in groups.items():
            weights = [len(values) - k for k in range(len(values))]
            for value, weight in zip(values, weights):
                share = weight / sum(weights)
                row = {column: int(total[column] * share) for column in counts}
                row["mau"] = int(total["mau"] * share * (0.9 + 0.05 * weight))
                rows.append({"activity_date": day.activity_date, "segment_type": segment_type,
                             "segment_value": value, "is_exclusive_segment_type": segment_type != "platform", **row})
    frame = pd.DataFrame(rows)
    countries = frame[frame["segment_type"] == "country"].copy()
    countries["segment_value"] = countries["segment_value"].map(REGIONS)
    regions = countries.groupby(["activity_date", "segment_value"], as_index=False)[list(counts)].sum()
    regions["segment_type"], regions["is_exclusive_segment_type"] = "region", True
    frame = pd.concat([frame, regions], ignore_index=True)
    frame["stickiness"] = frame["dau"] / frame["mau"]
    frame["stale_users"] = 0
    frame["quick_ratio"] = (frame["new_users"] + frame["resurrected_users"]) / frame["churned_users"].where(
        frame["churned_users"] > 0)
    return frame


def _viewing_heatmap() -> pd.DataFrame:
    rows = []
    for p, platform in enumerate(PLATFORMS):
        for weekday in range(1, 8):
            for hour in range(24):
                evening = math.exp(-((hour - (21 if platform == "tv" else 20)) ** 2) / 12)
                weekend = 1.3 if weekday >= 6 else 1.0
                sessions = int(40 + 900 * evening * weekend * (1 + 0.2 * p))
                rows.append({
                    "platform": platform, "local_start_weekday": weekday,
                    "local_start_weekday_name": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[weekday - 1],
                    "local_start_hour": hour, "session_count": sessions, "session_users": int(sessions * 0.9),
                    "view_count": sessions * 3, "watch_seconds": float(sessions * 2_400),
                    "binge_session_count": sessions // 10, "share_of_platform_sessions": 0.0,
                })
    frame = pd.DataFrame(rows)
    frame["share_of_platform_sessions"] = frame["session_count"] / frame.groupby("platform")["session_count"].transform("sum")
    return frame


def _intraday() -> pd.DataFrame:
    rows = []
    for day, last_hour in ((INTRADAY_DAY - timedelta(days=1), 23), (INTRADAY_DAY, INTRADAY_NOW_HOUR)):
        segments = [("total", "all", 1.0)] + [("platform", p, s) for p, s in zip(PLATFORMS, (0.55, 0.3, 0.2))] \
            + [("country", c, 1 / len(COUNTRIES)) for c in COUNTRIES]
        for segment_type, value, share in segments:
            cumulative = 0
            for hour in range(last_hour + 1):
                in_hour = int(share * (800 + 1_400 * math.exp(-((hour - 20) ** 2) / 18)))
                cumulative += int(in_hour * 0.7)
                rows.append({
                    "activity_date": day, "activity_hour": hour, "segment_type": segment_type,
                    "segment_value": value, "active_users_in_hour": in_hour,
                    "cumulative_active_users": cumulative,
                    "is_complete_hour": not (day == INTRADAY_DAY and hour == last_hour),
                })
    return pd.DataFrame(rows)


def _per_minute() -> pd.DataFrame:
    rows = []
    start = datetime(INTRADAY_DAY.year, INTRADAY_DAY.month, INTRADAY_DAY.day) - timedelta(hours=10)
    end = datetime(INTRADAY_DAY.year, INTRADAY_DAY.month, INTRADAY_DAY.day, INTRADAY_NOW_HOUR, 20)
    minute = start
    while minute <= end:
        hour = minute.hour + minute.minute / 60
        baseline = 30 + 45 * math.exp(-((hour - 20) ** 2) / 18)
        noise = 4 * math.sin(minute.minute * 1.7) + 3 * math.cos(minute.minute * 0.9 + hour)
        starts = max(0, int(round(baseline + noise)))
        if minute == ANOMALY_MINUTE:
            starts = int(baseline * 3)
        stddev = 5.0
        z = (starts - baseline) / stddev
        rows.append({
            "minute_start": minute, "playback_starts": starts, "baseline_playback_starts": baseline,
            "baseline_stddev": stddev, "z_score": z, "is_anomaly": abs(z) >= 3,
        })
        minute += timedelta(minutes=1)
    return pd.DataFrame(rows)


def _pipeline_runs(now: datetime) -> pd.DataFrame:
    rows = []
    batches = 40
    for b in range(1, batches + 1):
        finished = now - timedelta(seconds=30 * (batches - b))
        duration = 6.0 + (b * 7) % 9 * 0.8
        lag = duration + 4 + (b * 13) % 20
        status = "failed" if b == 17 else "success"
        rows.append({
            "batch_id": b, "started_at": finished - timedelta(seconds=duration), "finished_at": finished,
            "duration_seconds": duration, "status": status, "attempts": 2 if b == 17 else 1,
            "new_files": 3 + b % 4, "new_view_events": 2_000 + 37 * b,
            "newest_file_landed_at": finished - timedelta(seconds=lag), "visible_at": finished,
            "lag_seconds": lag if status == "success" else None,
            "newest_event_ingested_at": datetime(2026, 4, 11, 14, 0) + timedelta(minutes=b),
        })
    return pd.DataFrame(rows)


def _consumer_lag(now: datetime) -> pd.DataFrame:
    """Broker mode's lag per partition for the last two batches (the page shows the newest)."""
    rows = []
    for b in (39, 40):
        visible = now - timedelta(seconds=30 * (40 - b))
        for topic, partitions in (("view_events", 4), ("users", 4)):
            for p in range(partitions):
                behind = (b + 3 * p) % 7 if topic == "view_events" else 0
                rows.append({
                    "batch_id": b, "observed_at": visible - timedelta(seconds=8), "consumer_group": "sample",
                    "topic": topic, "kafka_partition": p, "committed_offset": 1_000 * b + p,
                    "end_offset": 1_000 * b + p + behind, "lag_records": behind, "buffered_records": behind,
                    "oldest_pending_produced_at": visible - timedelta(seconds=11) if behind else None,
                    "lag_seconds": 3.0 if behind else 0.0,
                    "newest_landed_produced_at": visible - timedelta(seconds=12 + p),
                    "visible_at": visible, "event_to_visible_seconds": 12.0 + p,
                })
    return pd.DataFrame(rows)


def build_sample_warehouse(path: Path, realtime: bool = True, now: datetime | None = None,
                           as_of_dau: int = AS_OF_DAU) -> Path:
    """Write a small DuckDB warehouse with the dashboard's tables to ``path``.

    ``realtime=False`` leaves out the stream-mode tables (intraday marts, pipeline_runs and
    broker mode's pipeline_consumer_lag),
    as in a warehouse built in batch mode; ``as_of_dau`` changes the as-of day's DAU
    (to see a new snapshot reach the page).
    """
    import duckdb

    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    curve, summary = _cohorts()
    curve, signup_curve, summary = sample_pages.retention_extras(FIRST_DAY, AS_OF_DAY, curve, summary)
    activity = _activity(as_of_dau)
    weeks = sorted(_weekly_lifecycle()["week_start_date"])
    evaluation, calibration = sample_pages.churn_evaluation()
    title_performance, genre_performance = sample_pages.titles((FIRST_DAY, AS_OF_DAY))
    weekly_qoe, qoe_churn = sample_pages.playback_qoe(weeks, PLATFORMS, COUNTRIES)
    tables = {
        "fct_active_user_fast": activity,
        "agg_daily_segment_engagement": _segments(activity),
        "agg_first_activity_cohort_retention_curve": curve,
        "agg_signup_cohort_retention_curve": signup_curve,
        "agg_cohort_retention_summary": summary,
        "agg_weekly_lifecycle": _weekly_lifecycle(),
        "agg_daily_days_active_histogram": _histogram(),
        "agg_viewing_local_time_heatmap": _viewing_heatmap(),
        "dim_activity_day": _calendar(),
        "dim_user": sample_pages.users(COUNTRIES, PLANS, AGE_BANDS),
        "fct_user_churn_risk": sample_pages.churn_risk((AS_OF_DAY - timedelta(days=1), AS_OF_DAY,
                                                        AS_OF_DAY + timedelta(days=1))),
        "agg_churn_risk_evaluation": evaluation,
        "agg_churn_risk_calibration": calibration,
        "agg_title_performance": title_performance,
        "agg_genre_performance": genre_performance,
        "agg_weekly_playback_qoe": weekly_qoe,
        "agg_weekly_qoe_churn": qoe_churn,
    }
    if realtime:
        tables.update({
            "agg_intraday_active_users": _intraday(),
            "agg_playback_starts_per_minute": _per_minute(),
            "pipeline_runs": _pipeline_runs(now),
            "pipeline_consumer_lag": _consumer_lag(now),
        })
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create or replace table main.{name} as select * from frame")
            con.unregister("frame")
    finally:
        con.close()
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m support.sample_data <warehouse.duckdb>  (from tests/python)", file=sys.stderr)
        sys.exit(2)
    print(build_sample_warehouse(Path(sys.argv[1])))
