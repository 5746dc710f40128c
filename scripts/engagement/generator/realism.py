"""The behaviour targets the generator is tuned to, and how to measure them on a landing zone.

Each :data:`TARGETS` entry is one published figure turned into a band, with its source;
:func:`measure` computes the same figures from a landing tree (view events, user sign-up
records) with DuckDB, the way the warehouse defines them (active = a playback of at least
5 seconds, days in UTC). ``tests/python/test_generator_realism.py`` checks every measured
value against its band; the generator README lists them (``python -m
engagement.generator.realism DIR`` prints the table for any landing tree).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

ACTIVE_MIN_SECONDS = 5  # dbt var engagement__active_min_seconds


@dataclass(frozen=True)
class Target:
    """A measured figure, the band it must stay in, and where the band comes from."""

    name: str
    low: float
    high: float
    source: str
    what: str


#: The tuned targets (bands inclusive).
TARGETS: tuple[Target, ...] = (
    Target("d1_retention", 0.35, 0.60,
           "Antenna (2024): 61% of new premium-SVOD subscribers still subscribed after 3 months, 45% after 12; "
           "Adjust (2023): median app day-1 retention 25% (an install, a weaker commitment than a sign-up)",
           "sign-up cohorts: share active on the day after sign-up"),
    Target("d7_retention", 0.20, 0.40, "as d1 (Antenna survival x the share of subscribers active on a day)",
           "sign-up cohorts: share active on day 7"),
    Target("d30_retention", 0.12, 0.30, "as d1; Adjust (2023) median app day-30 retention 6% is the floor",
           "sign-up cohorts: share active on day 30"),
    Target("retention_keeps_decaying", 1.0, 1.0,
           "Fader & Hardie (2007), 'How to project customer retention': heterogeneous churn gives a steep start "
           "and a slowly decaying tail, never a flat line", "1 when d1 > d7 > d14 > d30 (a decaying curve)"),
    Target("dau_mau", 0.15, 0.30,
           "Sequoia benchmark via June.so: media DAU/MAU 12% average, 18% good, 26% great",
           "mean DAU / MAU (30-day window) over the days with a full window"),
    Target("dau_share_of_accounts", 0.07, 0.14,
           "project design note: 10M daily actives among 100M users", "mean DAU / users signed up by that day"),
    Target("events_per_dau", 4.0, 6.5,
           "project design note: ~50M view events a day for ~10M daily actives (5 per active user)",
           "view events (playbacks and previews) per daily active user"),
    Target("sessions_per_dau", 1.2, 2.0,
           "Conviva State of Streaming (Q2 2019): 20.8 minutes per play; with ~5 plays per active user a day, "
           "1-2 sittings", "distinct sessions per daily active user"),
    Target("tv_over_mobile_minutes_per_play", 2.0, 5.0,
           "Conviva State of Streaming (Q4 2019): 28.7 minutes per play on TV screens, 8.6 on mobile phones (3.3x)",
           "mean playback minutes per play, TV / mobile"),
    Target("session_minutes_mobile", 8.0, 35.0, "Conviva (Q4 2019): mobile plays are short (8.6 min)",
           "median session length on mobile (first start to last end)"),
    Target("session_minutes_web", 25.0, 70.0, "between mobile and TV (Conviva: PCs between phones and TV screens)",
           "median session length on web"),
    Target("session_minutes_tv", 45.0, 140.0,
           "Conviva (Q4 2019) 28.7 min per play on TV; Netflix/Harris (2013): a binge is 2-6 episodes in one sitting",
           "median session length on TV"),
    Target("power_user_share", 0.05, 0.20,
           "a16z, 'The Power User Curve' (Jin & Chen, 2018): a habit product shows a right-hand bump of "
           "near-daily users; with DAU/MAU at 15-30% (above) that bump holds 5-20% of L28 actives",
           "share of L28-active users active on 22-28 of the last 28 days"),
    Target("every_day_share", 0.02, 0.12, "as power users: some users watch every single day",
           "share of L28-active users active on all 28 days"),
    Target("month_over_month_retained", 0.50, 0.85,
           "Samsung Ads Streaming Index: 53% of a streaming TV app's monthly actives (free apps included) are "
           "retained users, the floor; 1 - Antenna's 5.2% monthly churn bounds a subscription service from above",
           "share of MAU also active in the 30 days before"),
    Target("base_monthly_churn", 0.02, 0.08,
           "Antenna (Aug 2024): premium SVOD weighted average gross monthly churn 5.2% (Netflix 1.8%)",
           "truth: share of users subscribed at the start who churn in the first 30 days"),
)


def _events_source(root: Path) -> str:
    if any(root.glob("view_events/*/*/*.parquet")):
        return f"read_parquet('{root}/view_events/*/*/*.parquet', union_by_name = true)"
    return (f"read_json('{root}/view_events/*/*/*.jsonl.gz', format = 'newline_delimited', ignore_errors = true, "
            "columns = {event_id: 'VARCHAR', session_id: 'VARCHAR', user_id: 'BIGINT', event_type: 'VARCHAR', "
            "start_timestamp: 'VARCHAR', end_timestamp: 'VARCHAR', position_start_seconds: 'BIGINT', "
            "position_end_seconds: 'BIGINT', platform: 'VARCHAR'})")


def _users_source(root: Path) -> str:
    if any(root.glob("users/*/*.parquet")):
        return f"read_parquet('{root}/users/*/*.parquet')"
    return (f"read_json('{root}/users/*/*.jsonl.gz', format = 'newline_delimited', "
            "columns = {user_id: 'BIGINT', sign_up_date: 'DATE', change_type: 'VARCHAR'})")


def load(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Create the views the measures read: events (valid, deduplicated), activity, sign-ups, truth."""
    con.execute(f"""
        create or replace table events as
        select distinct on (event_id)
            user_id, session_id, lower(platform) as platform, event_type,
            cast(replace(start_timestamp, 'Z', '') as timestamp) as started_at,
            cast(replace(end_timestamp, 'Z', '') as timestamp) as ended_at,
            position_end_seconds - position_start_seconds as watched_seconds
        from {_events_source(root)}
        where user_id is not null and event_id is not null and start_timestamp like '%Z'
            and event_type in ('playback', 'preview') and lower(platform) in ('web', 'mobile', 'tv')
    """)
    con.execute(f"""
        create or replace table active_days as
        select distinct user_id, cast(started_at as date) as activity_date
        from events where event_type = 'playback' and watched_seconds >= {ACTIVE_MIN_SECONDS}
    """)
    con.execute(f"""
        create or replace table signups as
        select user_id, min(cast(sign_up_date as date)) as sign_up_date
        from {_users_source(root)} where change_type = 'signup' group by 1
    """)
    truth = root / "_truth" / "users.parquet"
    con.execute(f"create or replace table truth as select * from read_parquet('{truth}')")


def measure(root: Path, start: str, days: int) -> dict[str, float]:
    """Every target's measured value on the landing tree ``root`` (run from ``start`` over ``days``)."""
    con = duckdb.connect()
    try:
        load(con, root)
        return _measures(con, start, days)
    finally:
        con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> float:
    value = con.execute(sql, params or []).fetchone()[0]
    return float("nan") if value is None else float(value)


def _measures(con: duckdb.DuckDBPyConnection, start: str, days: int) -> dict[str, float]:
    first = f"date '{start}'"
    last = f"(date '{start}' + interval {days - 1} day)"
    out: dict[str, float] = {}
    for n in (1, 7, 14, 30):
        out[f"d{n}_retention"] = _one(con, f"""
            select avg(case when a.user_id is null then 0 else 1 end)
            from signups s
            left join active_days a
                on a.user_id = s.user_id and a.activity_date = s.sign_up_date + {n}
            where s.sign_up_date >= {first} and s.sign_up_date + {n} <= cast({last} as date)
        """)
    out["retention_keeps_decaying"] = float(
        out["d1_retention"] > out["d7_retention"] > out["d14_retention"] > out["d30_retention"])
    con.execute(f"""
        create or replace table daily as
        with days as (select distinct activity_date as day from active_days),
        dau as (select activity_date as day, count(*) as dau from active_days group by 1),
        mau as (
            select days.day, count(distinct a.user_id) as mau
            from days join active_days a on a.activity_date between days.day - 29 and days.day group by 1
        ),
        events_per_day as (
            select cast(started_at as date) as day, count(*) as events, count(distinct session_id) as sessions
            from events group by 1
        ),
        accounts as (
            select days.day, count(s.user_id) as accounts
            from days join signups s on s.sign_up_date <= days.day group by 1
        )
        select dau.day, dau.dau, mau.mau, e.events, e.sessions, accounts.accounts
        from dau join mau using (day) join events_per_day e using (day) join accounts using (day)
        where dau.day between {first} and {last}
    """)
    out["dau_mau"] = _one(con, f"select avg(dau / mau) from daily where day >= {first} + 29")
    out["dau_share_of_accounts"] = _one(con, "select avg(dau / accounts) from daily")
    out["events_per_dau"] = _one(con, "select sum(events) / sum(dau) from daily")
    out["sessions_per_dau"] = _one(con, "select sum(sessions) / sum(dau) from daily")
    plays = dict(con.execute("""
        select platform, avg(epoch(ended_at - started_at)) / 60 from events
        where event_type = 'playback' group by 1
    """).fetchall())
    out["tv_over_mobile_minutes_per_play"] = plays["tv"] / plays["mobile"]
    sessions = dict(con.execute("""
        with s as (
            select session_id, arg_min(platform, started_at) as platform,
                epoch(max(ended_at) - min(started_at)) / 60 as minutes
            from events group by 1
        )
        select platform, median(minutes) from s group by 1
    """).fetchall())
    for platform in ("mobile", "web", "tv"):
        out[f"session_minutes_{platform}"] = sessions[platform]
    l28 = con.execute(f"""
        with l28 as (
            select user_id, count(*) as days_active from active_days
            where activity_date between cast({last} as date) - 27 and {last} group by 1
        )
        select avg(case when days_active >= 22 then 1 else 0 end), avg(case when days_active = 28 then 1 else 0 end)
        from l28
    """).fetchone()
    out["power_user_share"], out["every_day_share"] = float(l28[0]), float(l28[1])
    out["month_over_month_retained"] = _one(con, f"""
        with now as (select distinct user_id from active_days
                     where activity_date between cast({last} as date) - 29 and {last}),
        before as (select distinct user_id from active_days
                   where activity_date between cast({last} as date) - 59 and cast({last} as date) - 30)
        select avg(case when before.user_id is null then 0 else 1 end)
        from now left join before using (user_id)
    """) if days >= 60 else float("nan")
    out["base_monthly_churn"] = _one(con, f"""
        select avg(case when churn_date < {first} + 30 then 1 else 0 end)
        from truth where state_at_start in ('subscribed', 'declining')
    """)
    out["first_seen_signed_up_before"] = _one(con, f"""
        with first_seen as (select user_id, min(activity_date) as first_day from active_days group by 1)
        select avg(case when s.sign_up_date < {first} then 1 else 0 end)
        from first_seen f join signups s using (user_id)
        where f.first_day > cast({last} as date) - 14
    """)
    return out


def format_table(values: dict[str, float]) -> str:
    """Markdown table: target, band, measured value, source."""
    lines = ["| target | band | measured | what | source |", "|---|---|---|---|---|"]
    for t in TARGETS:
        v = values.get(t.name, float("nan"))
        ok = t.low <= v <= t.high
        lines.append(f"| `{t.name}` | {t.low:g}–{t.high:g} | {v:.3g}{'' if ok else ' (out of band)'} | "
                     f"{t.what} | {t.source} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m engagement.generator.realism DIR --start-date D --days N``: print the table."""
    p = argparse.ArgumentParser(prog="realism", description=__doc__.split("\n\n")[0])
    p.add_argument("root", type=Path)
    p.add_argument("--start-date", required=True)
    p.add_argument("--days", type=int, required=True)
    a = p.parse_args(argv)
    values = measure(a.root, a.start_date, a.days)
    print(format_table(values))
    extra = {k: v for k, v in values.items() if k not in {t.name for t in TARGETS}}
    for k, v in extra.items():
        print(f"{k}: {v:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
