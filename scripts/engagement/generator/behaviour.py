"""Activity simulation and view-event generation, vectorised per shard and day.

Activity is a per-user Markov chain over UTC days with states inactive / active /
dormant / churned: habit (P(active | active yesterday) high), a low restart rate
scaled by engagement, a weekend lift, dormancy with rare resurrection, a churn hazard
(ground truth) and deletion requests. Each active user-day then gets sessions whose
start times follow a diurnal curve in the user's local time (DST-correct offsets), and
each session a run of consecutive events (binges walk through a series' episodes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .catalog import Catalog
from .geo import Geo
from .people import DAY_MS, NEVER, Population
from .rng import Stream, rng_for, random_uuid4, splitmix64

INACTIVE, ACTIVE, DORMANT, CHURNED = 0, 1, 2, 3
PLATFORMS: tuple[str, ...] = ("web", "mobile", "tv")
APP_VERSIONS: tuple[tuple[str, ...], ...] = (
    ("web-2025.11.2", "web-2025.12.0", "web-2026.01.1"),
    ("8.14.0", "8.15.2", "8.16.0", "8.16.1"),
    ("5.3.0", "5.4.1", "6.0.0"),
)
BIN_MINUTES = 5
BINS_PER_DAY = 24 * 60 // BIN_MINUTES
HOUR_MS = 3_600_000
MAX_VALID_LATENESS_MS = 71 * HOUR_MS  # keep valid arrivals well inside the 72 h limit


@dataclass
class Activity:
    """Output of the chain for a shard: who is active which day, and churn truth."""

    active: np.ndarray      # (n_users, days) bool
    churn_day: np.ndarray   # int32, -1 when the user never churned during the run


def chain_probabilities(engagement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(active | active yesterday), P(active | inactive yesterday)) per user."""
    p_stay = 0.35 + 0.6 * engagement
    p_start = 0.011 + 0.24 * engagement ** 1.6
    return p_stay, p_start


def simulate_activity(seed: int, shard: int, pop: Population, days: int,
                      start_date: dt.date) -> Activity:
    """Run the activity chain from day 0 for every user of the shard."""
    n = pop.n
    e = pop.engagement
    p_stay, p_start = chain_probabilities(e)
    p_dormant = 0.015 * (1.0 - e)
    p_resurrect = 0.006
    hazard = 0.0012 * (1.0 - e) ** 2
    stationary = p_start / (1.0 - p_stay + p_start)
    rng0 = rng_for(seed, Stream.ACTIVITY_INIT, shard)
    u0 = rng0.random(n)
    dormant0 = rng0.random(n) < 0.25 * (1.0 - e)
    state = np.where(dormant0, DORMANT, np.where(u0 < stationary, ACTIVE, INACTIVE)).astype(np.int8)
    active = np.zeros((n, days), dtype=bool)
    churn_day = np.full(n, -1, dtype=np.int32)
    start_ms = int(np.datetime64(start_date, "ms").astype(np.int64))
    deletion_day = np.where(pop.deletion_ms == NEVER, days,
                            (np.minimum(pop.deletion_ms, start_ms + days * DAY_MS) - start_ms) // DAY_MS)
    weekday0 = start_date.weekday()
    for d in range(days):
        rng = rng_for(seed, Stream.ACTIVITY, shard, d)
        u = rng.random(n)
        v = rng.random(n)
        weekend = (weekday0 + d) % 7 >= 5
        lift_start, lift_stay = (1.22, 1.04) if weekend else (1.0, 1.0)
        was_active = state == ACTIVE
        p_act = np.where(was_active, np.minimum(p_stay * lift_stay, 0.97), p_start * lift_start)
        p_act = np.where(state == DORMANT, p_resurrect, p_act)
        new_state = np.where(u < p_act, ACTIVE, INACTIVE).astype(np.int8)
        to_dormant = (new_state == INACTIVE) & (state != ACTIVE) & (v < p_dormant)
        stay_dormant = (state == DORMANT) & (new_state == INACTIVE)
        new_state[to_dormant | stay_dormant] = DORMANT
        before = pop.signup_day > d
        churn_now = (state != CHURNED) & ~before & (v > 1.0 - hazard)
        churn_day[churn_now] = d
        new_state[churn_now | (state == CHURNED)] = CHURNED
        # Users who do not exist yet stay inactive; the sign-up day is usually active.
        on_signup = pop.signup_day == d
        new_state[before] = INACTIVE
        new_state[on_signup] = np.where(u[on_signup] < 0.85, ACTIVE, INACTIVE)
        new_state[deletion_day <= d] = CHURNED  # deleted accounts never come back
        state = new_state
        active[:, d] = state == ACTIVE
    return Activity(active, churn_day)


def diurnal_weight(local_hour: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    """Relative session-start intensity at a local hour (peak 20-22h, trough 4-6h)."""
    circ = (local_hour - 21.0 + 12.0) % 24.0 - 12.0
    evening = np.exp(-0.5 * (circ / 2.4) ** 2)
    midday = 0.28 * np.exp(-0.5 * ((local_hour - 13.5) / 3.0) ** 2)
    morning = 0.10 * np.exp(-0.5 * ((local_hour - 8.0) / 1.5) ** 2)
    return 0.03 + evening + morning + np.where(weekend, 2.4, 1.0) * midday


def start_time_cdf(offsets: np.ndarray, day: int, weekday0: int) -> np.ndarray:
    """Per-country CDF over the UTC 5-minute bins of ``day`` (rows offset by country index).

    ``offsets`` is (countries, days, 24) minutes; returns a flat array where row ``c``
    holds ``c + cdf`` so one ``searchsorted`` samples every country at once.
    """
    n_c = offsets.shape[0]
    utc_min = np.arange(BINS_PER_DAY) * BIN_MINUTES + BIN_MINUTES / 2.0
    off = offsets[:, day, (utc_min // 60).astype(int)]            # (c, bins)
    local_min = day * 1440 + utc_min[None, :] + off
    local_hour = (local_min / 60.0) % 24.0
    weekend = (weekday0 + np.floor_divide(local_min, 1440).astype(int)) % 7 >= 5
    w = diurnal_weight(local_hour, weekend)
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    return (cdf + np.arange(n_c)[:, None]).ravel()


def _group_starts(group: np.ndarray) -> np.ndarray:
    """Boolean mask of the first row of each run of equal values (sorted input)."""
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return first


def _exclusive_group_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    cs = np.cumsum(values)
    excl = cs - values
    starts = np.flatnonzero(first)
    run_id = np.cumsum(first) - 1
    return excl - excl[starts][run_id]


def _grouped_cummax(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    run_id = np.cumsum(first) - 1
    lo = values.min() if len(values) else 0
    span = (values.max() - lo + 1) if len(values) else 1
    shifted = (values - lo) + run_id.astype(np.int64) * span
    return np.maximum.accumulate(shifted) - run_id.astype(np.int64) * span + lo


@dataclass
class DayContext:
    """Everything shared by the event generation of one shard (read-only)."""

    seed: int
    shard: int
    days: int
    start_ms: int
    weekday0: int
    geo: Geo
    catalog: Catalog
    offsets: np.ndarray          # (countries, days, 24) minutes
    cat_cdf: np.ndarray          # popularity CDF over all titles
    ep_rows: np.ndarray          # row indices of episodes
    ep_cdf: np.ndarray           # popularity CDF over episodes
    device_salt: np.uint64


def make_context(seed: int, shard: int, days: int, start_date: dt.date, geo: Geo,
                 catalog: Catalog, offsets: np.ndarray) -> DayContext:
    """Precompute the per-shard lookup tables."""
    ep_rows = np.flatnonzero(catalog.is_episode)
    ep_pop = catalog.popularity[ep_rows]
    salt = np.random.SeedSequence([seed, Stream.IDS, 0]).generate_state(2, dtype=np.uint64)[0]
    return DayContext(seed, shard, days, int(np.datetime64(start_date, "ms").astype(np.int64)),
                      start_date.weekday(), geo, catalog, offsets,
                      np.cumsum(catalog.popularity) / catalog.popularity.sum(), ep_rows,
                      np.cumsum(ep_pop) / ep_pop.sum(), np.uint64(salt))


def device_hash(salt: np.uint64, user_id: np.ndarray, platform: np.ndarray) -> np.ndarray:
    """Stable 64-bit device id per (user, platform)."""
    with np.errstate(over="ignore"):
        key = (user_id.astype(np.uint64) * np.uint64(4) + platform.astype(np.uint64)) ^ salt
    return splitmix64(key)


def _user_time_order(user: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``np.lexsort((t, user))`` as one stable sort of a packed (user, t) key."""
    if len(user) == 0:
        return np.zeros(0, dtype=np.intp)
    u0, t0 = int(user.min()), int(t.min())
    span = int(t.max()) - t0 + 1
    if (int(user.max()) - u0 + 1) * span >= 2 ** 62:
        return np.lexsort((t, user))
    return np.argsort((user.astype(np.int64) - u0) * span + (t - t0), kind="stable")


def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def generate_day(ctx: DayContext, pop: Population, act: Activity, day: int) -> dict[str, np.ndarray]:
    """All valid view events of users active on UTC ``day`` (columnar)."""
    seed, shard = ctx.seed, ctx.shard
    users = np.flatnonzero(act.active[:, day])
    day_ms = ctx.start_ms + day * DAY_MS
    srng = rng_for(seed, Stream.SESSIONS, shard, day)
    erng = rng_for(seed, Stream.EVENTS, shard, day)
    arng = rng_for(seed, Stream.ARRIVALS, shard, day)
    irng = rng_for(seed, Stream.IDS, shard, day)

    # Sessions ---------------------------------------------------------------------
    n_sess_user = 1 + np.minimum(srng.poisson(0.6, len(users)), 5)
    s_user = np.repeat(users, n_sess_user)                      # index into population
    n_s = len(s_user)
    moved = pop.country_change_ms[s_user] <= day_ms
    s_country = np.where(moved, pop.country1[s_user], pop.country0[s_user]).astype(np.int64)
    cdf = start_time_cdf(ctx.offsets, day, ctx.weekday0)
    b = np.searchsorted(cdf, srng.random(n_s) + s_country, side="right") - s_country * BINS_PER_DAY
    b = np.clip(b, 0, BINS_PER_DAY - 1)
    s_start = day_ms + b * (BIN_MINUTES * 60_000) + srng.integers(0, BIN_MINUTES * 60_000, n_s)
    on_signup = pop.signup_day[s_user] == day
    s_start = np.where(on_signup, np.maximum(s_start, pop.signup_ms[s_user] + srng.integers(30_000, 900_000, n_s)),
                       s_start)
    binge = srng.random(n_s) < 0.25
    n_ev = np.where(binge, 2 + np.minimum(srng.poisson(2.0, n_s), 10), 1 + np.minimum(srng.poisson(1.75, n_s), 12))
    switch = srng.random(n_s) < 0.12
    other = (pop.primary_platform[s_user] + srng.integers(1, 3, n_s)) % 3
    s_platform = np.where(switch, other, pop.primary_platform[s_user]).astype(np.int8)
    offline = (s_platform == 1) & (srng.random(n_s) < 0.08)
    offline_delay = srng.integers(HOUR_MS, 70 * HOUR_MS, n_s)
    order = _user_time_order(s_user, s_start)
    s_user, s_start, binge, n_ev, s_platform = s_user[order], s_start[order], binge[order], n_ev[order], s_platform[order]
    offline, offline_delay = offline[order], offline_delay[order]

    # Events -----------------------------------------------------------------------
    n = int(n_ev.sum())
    ev_s = np.repeat(np.arange(n_s), n_ev)
    first_in_s = _group_starts(ev_s)
    k = np.arange(n) - np.flatnonzero(first_in_s)[np.cumsum(first_in_s) - 1]  # index in session
    e_binge = binge[ev_s]
    preview = erng.random(n) < np.where(e_binge, np.where(k == 0, 0.06, 0.0), 0.165)
    cat = ctx.catalog
    free_pick = _pick(ctx.cat_cdf, erng.random(n))
    ep_start = ctx.ep_rows[_pick(ctx.ep_cdf, erng.random(n_s))][ev_s]
    binge_row = ep_start + k
    binge_ok = e_binge & (binge_row <= cat.series_last_index[ep_start])
    row = np.where(binge_ok, binge_row, free_pick)
    dur = cat.duration_s[row].astype(np.int64)
    resume = erng.random(n) < np.where(binge_ok & (k > 0), 0.03, 0.3)
    ps = np.where(resume & ~preview, (dur * erng.uniform(0.05, 0.85, n)).astype(np.int64), 0)
    complete = erng.random(n) < np.where(binge_ok, 0.82, 0.45)
    pe_full = dur - (dur * erng.uniform(0.0, 0.04, n)).astype(np.int64)
    pe_part = ps + ((dur - ps) * erng.uniform(0.03, 0.9, n)).astype(np.int64)
    pe = np.where(complete, pe_full, pe_part)
    pe = np.where(preview, ps + erng.integers(5, 61, n), pe)
    pe = np.clip(pe, ps + 5, dur)
    ps = np.minimum(ps, pe - 1)
    span_ms = (pe - ps) * 1000
    gap = np.where(preview, erng.integers(500, 10_000, n), erng.integers(3_000, 40_000, n))
    step = span_ms + gap
    offset_in_s = _exclusive_group_cumsum(step, first_in_s)
    s_len = np.add.reduceat(step, np.flatnonzero(first_in_s)) if n else np.zeros(0, np.int64)
    # Sessions of one user-day never overlap: s'_i = A_i + cummax(s_i - A_i) per user.
    u_first = _group_starts(s_user)
    acc = _exclusive_group_cumsum(s_len + 60_000, u_first)
    s_start = acc + _grouped_cummax(s_start - acc, u_first)
    start = s_start[ev_s] + offset_in_s
    end = start + span_ms

    e_user = s_user[ev_s]
    platform = s_platform[ev_s]
    moved_e = pop.country_change_ms[e_user] <= start
    country = np.where(moved_e, pop.country1[e_user], pop.country0[e_user]).astype(np.int16)
    city = np.where(moved_e, pop.city1[e_user], pop.city0[e_user]).astype(np.int32)
    uid = pop.user_id[e_user]
    device = device_hash(ctx.device_salt, uid, platform)
    n_ver = np.array([len(v) for v in APP_VERSIONS])
    ver_base = np.cumsum([0] + list(n_ver))[:-1]
    appv = (ver_base[platform] + (device >> np.uint64(17)) % n_ver[platform].astype(np.uint64)).astype(np.int16)

    qoe = ctx.geo.qoe_factor[country]
    median = np.array([850.0, 1300.0, 1050.0])[platform] * qoe
    startup = np.clip(erng.lognormal(np.log(median), 0.5), 80, 30_000).astype(np.int32)
    lam = np.where(preview, 0.02, 0.12 * (span_ms / 1_200_000.0) ** 0.7) * qoe * np.where(platform == 1, 1.4, 1.0)
    rcount = erng.poisson(lam).astype(np.int32)
    rms = np.where(rcount > 0, (rcount * erng.lognormal(np.log(1400.0), 0.7, n)).astype(np.int64), 0)
    rms = np.minimum(rms, span_ms // 2).astype(np.int32)
    rcount = np.where(rms > 0, rcount, 0).astype(np.int32)

    # Arrival ----------------------------------------------------------------------
    delay = np.clip(arng.lognormal(np.log(15_000.0), 1.1, n), 200, 900_000).astype(np.int64)
    e_off = offline[ev_s]
    delay = np.where(e_off, offline_delay[ev_s] + arng.integers(0, 2_000, n), delay)
    ingested = np.minimum(end + delay, start + MAX_VALID_LATENESS_MS)
    ingested = np.maximum(ingested, end)

    eid_hi, eid_lo = random_uuid4(irng, n)
    sid_hi, sid_lo = random_uuid4(irng, n_s)
    zeros8 = np.zeros(n, dtype=np.int8)
    return {
        "eid_hi": eid_hi, "eid_lo": eid_lo, "sid_hi": sid_hi[ev_s], "sid_lo": sid_lo[ev_s],
        "user_id": uid, "media_id": cat.media_id[row], "etype": preview.astype(np.int8),
        "start": start, "end": end, "ps": ps.astype(np.int32), "pe": pe.astype(np.int32),
        "platform": platform, "country": country, "city": city, "device": device, "appv": appv,
        "startup": startup, "rcount": rcount, "rms": rms, "ingested": ingested,
        "fault": zeros8, "tzoff": np.zeros(n, dtype=np.int16), "pcase": zeros8.copy(),
        "nullkey": zeros8.copy(), "malformed": zeros8.copy(),
    }


def concat_batches(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate columnar batches with the same keys."""
    batches = [b for b in batches if b is not None]
    if len(batches) == 1:
        return batches[0]
    return {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}


def take_rows(batch: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    """Select rows of a columnar batch."""
    return {k: v[idx] for k, v in batch.items()}


def batch_len(batch: dict[str, np.ndarray] | None) -> int:
    """Number of rows in a batch (0 for None)."""
    return 0 if batch is None else len(batch["ingested"])
