"""The generator's behaviour stays inside the published bands it is tuned to.

Its own data set (8,000 users x 70 days, seed 2031, no other test uses it): every target of
``engagement.generator.realism.TARGETS`` (the generator README's table) inside its band,
then the mechanisms behind them, checked on the landing files and the ground truth:
seasonal sign-ups with history before the window, warning signs before a churn, quality
incidents and plan changes that set declines off, and users coming back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from engagement.generator.cli import main
from engagement.generator.realism import TARGETS, load, measure

START, DAYS, USERS, SEED = "2026-04-06", 70, 8000, 2031


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("realism")
    assert main(["--users", str(USERS), "--days", str(DAYS), "--start-date", START, "--seed", str(SEED),
                 "--faults", "none", "--format", "parquet", "--quiet", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def measured(landing: Path) -> dict[str, float]:
    return measure(landing, START, DAYS)


@pytest.fixture(scope="module")
def con(landing: Path):
    connection = duckdb.connect()
    load(connection, landing)
    yield connection
    connection.close()


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_target_inside_its_band(measured: dict[str, float], target) -> None:
    value = measured[target.name]
    assert target.low <= value <= target.high, f"{target.name} = {value:.4f}, band {target.low}-{target.high}"


def test_signups_are_seasonal_and_the_window_starts_long_after_launch(con) -> None:
    daily = [n for (n,) in con.execute(f"""
        select count(*) from signups where sign_up_date >= date '{START}' group by sign_up_date order by 1
    """).fetchall()]
    assert len(daily) >= DAYS - 2
    mean = sum(daily) / len(daily)
    assert (sum((x - mean) ** 2 for x in daily) / len(daily)) ** 0.5 / mean > 0.15  # not a constant
    weekend, weekday = con.execute(f"""
        select avg(case when isodow(sign_up_date) >= 6 then n end), avg(case when isodow(sign_up_date) < 6 then n end)
        from (select sign_up_date, count(*) as n from signups where sign_up_date >= date '{START}' group by 1)
    """).fetchone()
    assert weekend > 1.05 * weekday
    new_share = con.execute(f"select avg(case when sign_up_date >= date '{START}' then 1 else 0 end) "
                            "from signups").fetchone()[0]
    assert 0.02 <= new_share <= 0.15  # most accounts come from the history before the window
    launch = con.execute("select min(sign_up_date) from signups").fetchone()[0]
    assert (dt.date.fromisoformat(START) - launch).days >= 1000


def test_first_seen_is_not_new_and_settles(con) -> None:
    """Early in the data almost every first-seen user is an old account; later fewer are."""
    first_week, last_two_weeks = con.execute(f"""
        with first_seen as (select user_id, min(activity_date) as first_day from active_days group by 1)
        select
            avg(case when f.first_day < date '{START}' + 7 then (s.sign_up_date < date '{START}')::int end),
            avg(case when f.first_day >= date '{START}' + {DAYS - 14} then (s.sign_up_date < date '{START}')::int end)
        from first_seen f join signups s using (user_id)
    """).fetchone()
    assert first_week > 0.95
    assert last_two_weeks < first_week - 0.2


def test_activity_and_sessions_decline_before_a_churn(con) -> None:
    """Warning signs: in the week before leaving, fewer active days and shorter sessions than before."""
    recent, baseline, recent_minutes, baseline_minutes = con.execute(f"""
        with churners as (
            select user_id, churn_date from truth
            where churn_date >= date '{START}' + 35 and churn_reason in ('voluntary_cancel', 'lapse')
        ),
        sessions as (
            select user_id, cast(min(started_at) as date) as day, epoch(max(ended_at) - min(started_at)) / 60 as m
            from events group by user_id, session_id
        )
        select
            avg((select count(*) from active_days a where a.user_id = c.user_id
                 and a.activity_date between c.churn_date - 7 and c.churn_date - 1)),
            avg((select count(*) from active_days a where a.user_id = c.user_id
                 and a.activity_date between c.churn_date - 35 and c.churn_date - 8) / 4.0),
            (select avg(m) from sessions s join churners c2 using (user_id)
             where s.day between c2.churn_date - 7 and c2.churn_date - 1),
            (select avg(m) from sessions s join churners c2 using (user_id)
             where s.day between c2.churn_date - 35 and c2.churn_date - 8)
        from churners c
    """).fetchone()
    assert recent < 0.6 * baseline
    assert recent_minutes < 0.9 * baseline_minutes


def test_quality_incidents_and_plan_changes_set_declines_off(con, landing: Path) -> None:
    triggers = dict(con.execute("""
        select churn_trigger, count(*) from truth where churn_reason in ('voluntary_cancel', 'lapse') group by 1
    """).fetchall())
    assert triggers.get("playback_quality", 0) > 0.05 * sum(triggers.values())
    assert triggers.get("plan_change", 0) > 0
    # Users whose decline a quality incident set off saw much slower starts in the weeks before it.
    before, overall = con.execute(f"""
        with quality as (
            select user_id, decline_start_date from truth
            where churn_trigger = 'playback_quality' and decline_start_date >= date '{START}' + 21
        ),
        startups as (select user_id, cast(left(start_timestamp, 10) as date) as day, startup_ms from read_parquet(
            '{landing}/view_events/*/*/*.parquet', union_by_name = true))
        select
            (select quantile_cont(s.startup_ms, 0.9) from startups s join quality q using (user_id)
             where s.day between q.decline_start_date - 21 and q.decline_start_date - 1),
            (select quantile_cont(startup_ms, 0.9) from startups)
    """).fetchone()
    assert before > 1.5 * overall
    # Cancellers downgrade their plan during the decline more often than anybody else changes plan.
    downgrade_share = con.execute(f"""
        with changes as (
            select user_id, cast(replace(updated_at, 'Z', '') as timestamp) as changed_at, plan,
                lag(plan) over (partition by user_id order by updated_at, change_type) as previous_plan
            from read_parquet('{landing}/users/*/*.parquet')
        ),
        downgraded as (
            select distinct user_id, cast(changed_at as date) as day from changes
            where plan != previous_plan
                and (previous_plan, plan) in (('premium', 'standard'), ('standard', 'basic'), ('premium', 'basic'))
        )
        select
            avg(case when t.churn_reason = 'voluntary_cancel' then
                (exists (select 1 from downgraded d where d.user_id = t.user_id
                         and d.day between t.decline_start_date and t.churn_date))::int end),
            avg((exists (select 1 from downgraded d where d.user_id = t.user_id))::int)
        from truth t
    """).fetchone()
    assert downgrade_share[0] > 3 * downgrade_share[1]


def test_churned_users_come_back(con) -> None:
    back = con.execute(f"""
        select count(*), count(a.user_id) from truth t
        left join active_days a on a.user_id = t.user_id and a.activity_date between t.return_date and t.return_date + 6
        where t.return_date is not null
    """).fetchone()
    assert back[0] > 0.01 * USERS          # resurrection happens
    assert back[1] > 0.5 * back[0]         # and the returning user actually watches in their first week back
