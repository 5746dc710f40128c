"""The sample warehouse's tables for the dashboard's pages after the overview.

Retention curves by sign-up cohort and at day grain, churn risk (the scored users of the two
newest days, their profile segments, the model's evaluation and calibration), titles and
genres, and playback quality by week with its relation to churn. Deterministic and small;
the tests recompute what the page shows from the exported Parquet, so only the shapes and a
few identities matter (ranks follow probabilities, churned <= users, ...).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

USERS = 240
GENRES = ("drama", "comedy", "documentary", "thriller", "kids", "sci_fi")
TITLES = 30
REGIONS = {"US": "North America", "GB": "Europe", "DE": "Europe", "BR": "Latin America",
           "IN": "Asia Pacific", "JP": "Asia Pacific"}
FIRST_SIGN_UP = date(2025, 12, 1)
REASONS = (  # (flag, words), in the mart's order
    ("has_recent_inactivity", "no viewing for {days} days"),
    ("has_activity_drop", "active 1 of the last 7 days, down from 4.0 a week"),
    ("has_watch_time_drop", "watch time down 40% on the weeks before"),
    ("has_shorter_sessions", "sessions 30% shorter than before"),
    ("has_poor_qoe", "poor playback: slow starts or rebuffering (startup p90 4.1 s vs 1.9 s typical)"),
    ("has_recent_downgrade", "moved to a cheaper plan on 2026-03-20"),
    ("is_new_user", "new subscriber: joined 12 days ago"),
)
FLAG_EVERY = {"has_recent_inactivity": 4, "has_activity_drop": 3, "has_watch_time_drop": 5,
              "has_shorter_sessions": 6, "has_poor_qoe": 7, "has_recent_downgrade": 13, "is_new_user": 11}


def users(countries, plans, age_bands) -> pd.DataFrame:
    """dim_user, with columns the export leaves out (email_hash, age, city)."""
    rows = []
    for u in range(1, USERS + 1):
        country = countries[u % len(countries)]
        rows.append({
            "user_id": u, "email_hash": f"{u:064x}", "age": 20 + u % 50, "age_band": age_bands[(u // 3) % len(age_bands)],
            "sign_up_date": FIRST_SIGN_UP + timedelta(days=u % 90), "sign_up_country": country,
            "country": country, "region": REGIONS.get(country, "unknown"), "city": f"city {u % 7}",
            "plan": plans[(u // 2) % len(plans)],
        })
    return pd.DataFrame(rows)


def churn_risk(days: tuple[date, ...]) -> pd.DataFrame:
    """fct_user_churn_risk for ``days``: every user scored each day, ranked by probability."""
    frames = []
    for index, day in enumerate(days):
        rows = []
        for u in range(1, USERS + 1):
            probability = (0.02 + 0.96 * ((u * 37) % USERS) / USERS) * (1 - 0.1 * index)
            flags = {flag: u % every == 0 for flag, every in FLAG_EVERY.items()}
            days_since = u % 9
            reasons = [words.format(days=days_since) for flag, words in REASONS if flags[flag]]
            rows.append({
                "activity_date": day, "user_id": u, "churn_probability": probability,
                "risk_score": 100 * probability, "risk_reasons": "; ".join(reasons) or "no warning sign",
                "reason_count": len(reasons), **flags, "days_active_l7": 7 - days_since % 8,
                "days_since_last_activity": days_since, "tenure_days": 10 + u, "is_lookback_complete": u % 17 != 0,
            })
        frame = pd.DataFrame(rows).sort_values(["churn_probability", "days_since_last_activity", "user_id"],
                                               ascending=[False, False, True]).reset_index(drop=True)
        frame["risk_rank"] = range(1, len(frame) + 1)
        frame["risk_decile"] = [1 + (rank - 1) * 10 // len(frame) for rank in frame["risk_rank"]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def churn_evaluation() -> tuple[pd.DataFrame, pd.DataFrame]:
    """agg_churn_risk_evaluation and agg_churn_risk_calibration."""
    evaluation, calibration = [], []
    for s, scorer in enumerate(("model", "recency", "frequency")):
        for o, outcome in enumerate(("observed_inactivity", "truth_churn")):
            scored, churned = 50_000, 6_000 - 500 * o
            top, top_churned = 5_000, 2_400 - 400 * s - 200 * o
            evaluation.append({
                "scorer": scorer, "outcome": outcome, "outcome_days": 14, "first_scoring_date": date(2026, 3, 10),
                "last_scoring_date": date(2026, 3, 25), "scoring_days": 16, "scored_user_days": scored,
                "churned_user_days": churned, "top_decile_user_days": top, "top_decile_churned_user_days": top_churned,
                "base_rate": churned / scored, "top_decile_precision": top_churned / top,
                "top_decile_recall": top_churned / churned, "top_decile_lift": (top_churned / top) / (churned / scored),
                "auc": 0.81 - 0.06 * s - 0.02 * o,
            })
            for decile in range(1, 11):
                rate = max(0.01, 0.45 - 0.045 * decile + 0.01 * s)
                calibration.append({
                    "scorer": scorer, "outcome": outcome, "score_decile": decile, "scored_user_days": 5_000,
                    "churned_user_days": int(5_000 * rate), "observed_churn_rate": int(5_000 * rate) / 5_000,
                    "mean_predicted_probability": rate * 1.1 if scorer == "model" else None,
                })
    return pd.DataFrame(evaluation), pd.DataFrame(calibration)


def titles(window: tuple[date, date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """agg_title_performance and agg_genre_performance (summed from it)."""
    rows = []
    for i in range(1, TITLES + 1):
        watchers = 5_000 - 150 * i + (i % 4) * 7
        completed = int(watchers * (0.3 + 0.02 * (i % 10)))
        kind = "episode" if i % 3 == 0 else "movie"
        rows.append({
            "media_id": i, "title": f"Title {i:02d}", "genre": GENRES[i % len(GENRES)], "media_kind": kind,
            "series_id": i // 3 if kind == "episode" else None, "series_title": f"Series {i // 3}" if kind == "episode" else None,
            "watchers": watchers, "completed_watchers": completed, "completion_rate": completed / watchers,
            "playback_count": watchers * 2, "completed_playback_count": completed, "playback_completion_rate": completed / (watchers * 2),
            "watch_seconds": float(watchers * 1_800), "watch_seconds_per_watcher": 1_800.0,
            "is_ranked_for_completion": True, "watchers_rank": i, "completion_rank": None,
            "window_start_date": window[0], "window_end_date": window[1],
        })
    performance = pd.DataFrame(rows)
    performance["completion_rank"] = performance["completion_rate"].rank(ascending=False, method="first").astype("int64")
    genres = performance.groupby(["genre", "media_kind"], as_index=False).agg(
        titles_watched=("media_id", "count"), user_title_pairs=("watchers", "sum"),
        completed_user_title_pairs=("completed_watchers", "sum"), playback_count=("playback_count", "sum"),
        completed_playback_count=("completed_playback_count", "sum"), watch_seconds=("watch_seconds", "sum"))
    genres["completion_rate"] = genres["completed_user_title_pairs"] / genres["user_title_pairs"]
    genres["playback_completion_rate"] = genres["completed_playback_count"] / genres["playback_count"]
    genres["watch_seconds_per_user_title"] = genres["watch_seconds"] / genres["user_title_pairs"]
    genres["share_of_watch_time"] = genres["watch_seconds"] / genres["watch_seconds"].sum()
    genres["window_start_date"], genres["window_end_date"] = window
    return performance, genres


def playback_qoe(weeks: list[date], platforms, countries) -> tuple[pd.DataFrame, pd.DataFrame]:
    """agg_weekly_playback_qoe (the newest week incomplete) and agg_weekly_qoe_churn."""
    qoe = []
    for w, week in enumerate(weeks):
        for p, platform in enumerate(platforms):
            for c, country in enumerate(countries):
                playbacks = 400 + 60 * c + 90 * p + 10 * w
                rebuffered = playbacks * (3 + p + c % 3) // 100
                p50 = 900.0 + 150 * p + 20 * c
                qoe.append({
                    "week_start_date": week, "is_complete_week": w < len(weeks) - 1, "platform": platform,
                    "country": country, "playback_count": playbacks, "users": playbacks // 3,
                    "startup_p50_ms": p50, "startup_p90_ms": p50 * 2.1, "startup_p99_ms": p50 * 3.5,
                    "rebuffer_ratio": 0.002 * (1 + p), "rebuffer_ratio_p50": 0.0, "rebuffer_ratio_p90": 0.004 * (1 + p),
                    "rebuffer_ratio_p99": 0.02 * (1 + p), "rebuffered_playback_count": rebuffered,
                    "rebuffered_playback_share": rebuffered / playbacks, "watch_seconds": float(playbacks * 1_500),
                })
    churn = []
    buckets = {"startup_p90_quartile": ("q1", "q2", "q3", "q4"),
               "rebuffer_ratio_band": ("none", "(0%, 0.01%]", "(0.01%, 0.1%]", "(0.1%, 1.0%]")}
    for w, week in enumerate(weeks[:-2]):  # W+1 must be complete
        for m, (measure, names) in enumerate(buckets.items()):
            for order, bucket in enumerate(names, start=1 if measure == "startup_p90_quartile" else 0):
                users = 900 - 40 * order + 10 * w
                churned = users * (8 + 4 * order + m) // 100
                churn.append({
                    "week_start_date": week, "qoe_measure": measure, "qoe_bucket": bucket, "bucket_order": order,
                    "users": users, "churned_next_week_users": churned, "next_week_churn_share": churned / users,
                    "bucket_min_value": float(order), "bucket_max_value": float(order) + 0.5,
                })
    return pd.DataFrame(qoe), pd.DataFrame(churn)


def retention_extras(first_day: date, as_of_day: date, week_curve: pd.DataFrame,
                     summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Day-grain first-activity curves, the sign-up curves (day and week), day-grain summary rows.

    Returns (first-activity curve with day rows added, sign-up curve, summary with day rows added).
    """
    def day_rows(base: float, first_period_rate: float) -> list[dict]:
        rows = []
        for c in range(10):
            cohort = as_of_day - timedelta(days=20 - c)
            size = 400 + 13 * c
            for period in range(0, min(14, (as_of_day - cohort).days) + 1):
                rate = first_period_rate if period == 0 else base * (0.93 ** period)
                rows.append({"cohort_grain": "day", "cohort_start": cohort, "period_number": period,
                             "cohort_size": size, "active_users": int(size * rate), "retention_rate": int(size * rate) / size,
                             "unbounded_active_users": int(size * min(1.0, rate * 1.2)),
                             "unbounded_retention_rate": int(size * min(1.0, rate * 1.2)) / size})
        return rows

    first_activity = pd.concat([week_curve, pd.DataFrame(day_rows(0.48, 1.0))], ignore_index=True)
    signup_week = week_curve.copy()
    signup_week["retention_rate"] = signup_week["retention_rate"] * 0.8
    signup_week["active_users"] = (signup_week["cohort_size"] * signup_week["retention_rate"]).astype("int64")
    signup = pd.concat([signup_week, pd.DataFrame(day_rows(0.36, 0.7))], ignore_index=True)
    day_summary = []
    for basis, curve in (("first_activity", first_activity), ("signup", signup)):
        days = curve[curve["cohort_grain"] == "day"]
        for cohort, rows in days.groupby("cohort_start"):
            rates = dict(zip(rows["period_number"], rows["retention_rate"]))
            unbounded = dict(zip(rows["period_number"], rows["unbounded_retention_rate"]))
            day_summary.append({
                "cohort_basis": basis, "cohort_grain": "day", "cohort_start": cohort,
                "cohort_size": int(rows["cohort_size"].iloc[0]),
                **{f"d{n}_retention_rate": rates.get(n) for n in (1, 7, 14, 28)},
                **{f"d{n}_unbounded_retention_rate": unbounded.get(n) for n in (1, 7, 14, 28)},
            })
    return first_activity, signup, pd.concat([summary, pd.DataFrame(day_summary)], ignore_index=True)
