"""View-event generation, vectorised per shard and day.

Who is active on a day, with which fade and under which playback-quality incident,
comes from ``lifecycle.simulate_activity``. Each active user-day gets sessions (more for
heavier viewers) whose start times follow a diurnal curve in the user's local time
(DST-correct offsets). A session is on the user's primary platform or another one and is
one of three kinds, by platform and local time: a *binge* walking through consecutive
episodes of a series (2-6 and more on TV), a *movie* (more on TV on Friday and
Saturday evenings, sometimes paused and resumed) or a *browse* of a few titles and
previews. Mobile plays are short and often partial, TV plays long, web in between; a
declining user's sessions shrink, and so do those hit by a quality incident. Titles
are drawn by the day's popularity (unreleased titles never, new releases lifted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .catalog import Catalog, day_popularity
from .geo import Geo
from .lifecycle import Activity, simulate_activity  # noqa: F401  (re-exported for the runners)
from .people import DAY_MS, Population
from .rng import Stream, rng_for, random_uuid4, splitmix64

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

#: Extra sessions per active day (Poisson mean) by engagement type.
EXTRA_SESSIONS = np.array([1.0, 0.7, 0.45, 0.3])
OTHER_PLATFORM_SHARE = 0.18
BINGE, MOVIE, BROWSE = 0, 1, 2
#: Session kind mix (binge, movie, browse) per platform (web, mobile, tv), and on TV on
#: Friday/Saturday evenings (local 18-24 h): movie nights.
KIND_MIX = np.array([[0.25, 0.18, 0.57], [0.12, 0.05, 0.83], [0.40, 0.26, 0.34]])
KIND_MIX_MOVIE_NIGHT = np.array([0.28, 0.47, 0.25])
#: Extra episodes of a binge beyond two (Poisson mean, at most 8) per platform.
BINGE_EXTRA_EPISODES = np.array([1.0, 0.6, 1.8])
#: Browse sessions: previews (Poisson mean, at most 4) and extra titles (Poisson mean, at most 5).
BROWSE_PREVIEWS, BROWSE_EXTRA_TITLES = 0.45, 1.3
#: Minutes a play lasts unless the title ends first (lognormal median per platform, sigma 0.8): the
#: platform effect (Conviva: 28.7 min per play on TV screens, 8.6 on phones).
PLAY_MINUTES_MEDIAN = np.array([16.0, 7.0, 30.0])
PLAY_MINUTES_SIGMA = 0.8
#: P(finishing) a binge episode (not the last of the binge) and the binge's last one, per platform.
BINGE_FINISH = np.array([[0.80, 0.45], [0.65, 0.30], [0.88, 0.55]])
#: A movie: P(finished) per platform; otherwise a budget this many times the platform's play budget.
MOVIE_FINISH, MOVIE_BUDGET_FACTOR = np.array([0.45, 0.20, 0.60]), 2.5
#: Startup-time median (ms) per platform; rebuffers per 20 watched minutes; mobile rebuffers more.
STARTUP_MEDIAN_MS = np.array([850.0, 1300.0, 1050.0])
INCIDENT_STARTUP_FACTOR, INCIDENT_REBUFFER_FACTOR, INCIDENT_WATCH_FACTOR = 3.0, 6.0, 0.8


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
    ep_rows: np.ndarray          # row indices of episodes
    movie_rows: np.ndarray       # row indices of movies
    device_salt: np.uint64


def make_context(seed: int, shard: int, days: int, start_date: dt.date, geo: Geo,
                 catalog: Catalog, offsets: np.ndarray) -> DayContext:
    """Precompute the per-shard lookup tables."""
    salt = np.random.SeedSequence([seed, Stream.IDS, 0]).generate_state(2, dtype=np.uint64)[0]
    return DayContext(seed, shard, days, int(np.datetime64(start_date, "ms").astype(np.int64)),
                      start_date.weekday(), geo, catalog, offsets, np.flatnonzero(catalog.is_episode),
                      np.flatnonzero(~catalog.is_episode), np.uint64(salt))


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
    users = act.users_by_day[day]
    day_ms = ctx.start_ms + day * DAY_MS
    srng = rng_for(seed, Stream.SESSIONS, shard, day)
    erng = rng_for(seed, Stream.EVENTS, shard, day)
    arng = rng_for(seed, Stream.ARRIVALS, shard, day)
    irng = rng_for(seed, Stream.IDS, shard, day)
    cat = ctx.catalog

    # Sessions ---------------------------------------------------------------------
    u_fade = act.fade_by_day[day] * np.where(act.incident_by_day[day], INCIDENT_WATCH_FACTOR, 1.0)
    n_sess_user = 1 + np.minimum(srng.poisson(EXTRA_SESSIONS[pop.segment[users]] * u_fade), 4)
    s_row = np.repeat(np.arange(len(users)), n_sess_user)      # index into today's active users
    s_user = users[s_row]                                     # index into the population
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
    switch = srng.random(n_s) < OTHER_PLATFORM_SHARE
    other = (pop.primary_platform[s_user] + srng.integers(1, 3, n_s)) % 3
    s_platform = np.where(switch, other, pop.primary_platform[s_user]).astype(np.int8)
    local_min = (b * BIN_MINUTES + ctx.offsets[s_country, day, (b * BIN_MINUTES) // 60]) + day * 1440
    local_hour = (local_min // 60) % 24
    local_weekday = (ctx.weekday0 + np.floor_divide(local_min, 1440)) % 7
    movie_night = (s_platform == 2) & (local_hour >= 18) & ((local_weekday == 4) | (local_weekday == 5))
    mix = np.where(movie_night[:, None], KIND_MIX_MOVIE_NIGHT[None, :], KIND_MIX[s_platform])
    kind = np.minimum((srng.random(n_s)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1), 2).astype(np.int8)
    s_fade = u_fade[s_row]
    n_eps = np.maximum(1, np.round((2 + np.minimum(srng.poisson(BINGE_EXTRA_EPISODES[s_platform]), 8)) * s_fade))
    split = srng.random(n_s) < 0.25
    binge_pre = (srng.random(n_s) < 0.10).astype(np.int64)
    movie_pre = (srng.random(n_s) < 0.3) * (1 + np.minimum(srng.poisson(0.3, n_s), 2))
    browse_pre = np.minimum(srng.poisson(BROWSE_PREVIEWS, n_s), 4)
    n_pre = np.select([kind == BINGE, kind == MOVIE], [binge_pre, movie_pre], browse_pre).astype(np.int64)
    n_main = np.select([kind == BINGE, kind == MOVIE], [n_eps, 1 + split],
                       1 + np.minimum(srng.poisson(BROWSE_EXTRA_TITLES, n_s), 5)).astype(np.int64)
    n_ev = n_pre + n_main
    offline = (s_platform == 1) & (srng.random(n_s) < 0.08)
    offline_delay = srng.integers(HOUR_MS, 70 * HOUR_MS, n_s)
    order = _user_time_order(s_user, s_start)
    s_user, s_start, kind, n_ev, n_pre, s_platform = (s_user[order], s_start[order], kind[order], n_ev[order],
                                                      n_pre[order], s_platform[order])
    s_fade, offline, offline_delay, s_row = s_fade[order], offline[order], offline_delay[order], s_row[order]

    # Events -----------------------------------------------------------------------
    n = int(n_ev.sum())
    ev_s = np.repeat(np.arange(n_s), n_ev)
    first_in_s = _group_starts(ev_s)
    k = np.arange(n) - np.flatnonzero(first_in_s)[np.cumsum(first_in_s) - 1]  # index in session
    j = k - n_pre[ev_s]                                                     # index among the main plays
    preview = j < 0
    e_kind = kind[ev_s]
    e_platform = s_platform[ev_s]
    weights = day_popularity(cat, day)
    free_pick = _pick(np.cumsum(weights) / weights.sum(), erng.random(n))
    ep_w = weights[ctx.ep_rows]
    ep_start = ctx.ep_rows[_pick(np.cumsum(ep_w) / ep_w.sum(), erng.random(n_s))][ev_s]
    mv_w = weights[ctx.movie_rows]
    movie = ctx.movie_rows[_pick(np.cumsum(mv_w) / mv_w.sum(), erng.random(n_s))][ev_s]
    binge_row = np.minimum(ep_start + np.maximum(j, 0), cat.n - 1)
    binge_ok = ((e_kind == BINGE) & ~preview & (ep_start + j <= cat.series_last_index[ep_start])
                & (cat.release_day[binge_row] <= day))
    row = np.where(binge_ok, binge_row, np.where((e_kind == MOVIE) & ~preview, movie, free_pick))
    dur = cat.duration_s[row].astype(np.int64)
    # Where a play starts: a resume mid-title, the second half of a paused movie, or 0.
    resume = erng.random(n) < np.where(binge_ok & (j > 0), 0.03, 0.3)
    ps = np.where(resume & ~preview, (dur * erng.uniform(0.05, 0.85, n)).astype(np.int64), 0)
    n_main_e = (n_ev - n_pre)[ev_s]
    movie_part1 = (e_kind == MOVIE) & (j == 0) & (n_main_e == 2)
    movie_part2 = (e_kind == MOVIE) & (j == 1)
    pause_at = ps + ((dur - ps) * erng.uniform(0.2, 0.7, n)).astype(np.int64)
    ps = np.where(movie_part2, np.roll(pause_at, 1), ps)   # part 2 continues where part 1 stopped
    # Where it ends: finished (credits skipped), or after the play's time budget, which is
    # platform-dependent and shrinks with the fade of a declining or incident-hit user.
    e_fade = s_fade[ev_s]
    finish_p = np.select([binge_ok, (e_kind == MOVIE) & ~movie_part1],
                         [BINGE_FINISH[e_platform, (j == n_main_e - 1).astype(np.int64)], MOVIE_FINISH[e_platform]],
                         0.0)
    complete = erng.random(n) < finish_p * e_fade
    budget_s = (60.0 * PLAY_MINUTES_MEDIAN[e_platform] * np.where(e_kind == MOVIE, MOVIE_BUDGET_FACTOR, 1.0)
                * erng.lognormal(0.0, PLAY_MINUTES_SIGMA, n) * e_fade).astype(np.int64)
    pe_full = dur - (dur * erng.uniform(0.0, 0.04, n)).astype(np.int64)
    pe = np.where(complete, pe_full, np.minimum(ps + budget_s, pe_full))
    pe = np.where(movie_part1, pause_at, pe)
    pe = np.where(preview, ps + erng.integers(5, 61, n), pe)
    pe = np.clip(pe, ps + 5, dur)
    ps = np.minimum(ps, pe - 1)
    span_ms = (pe - ps) * 1000
    gap = np.where(preview, erng.integers(500, 10_000, n), erng.integers(3_000, 40_000, n))
    gap = np.where(movie_part2, erng.integers(120_000, 1_800_000, n), gap)  # the pause
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
    platform = e_platform
    moved_e = pop.country_change_ms[e_user] <= start
    country = np.where(moved_e, pop.country1[e_user], pop.country0[e_user]).astype(np.int16)
    city = np.where(moved_e, pop.city1[e_user], pop.city0[e_user]).astype(np.int32)
    uid = pop.user_id[e_user]
    device = device_hash(ctx.device_salt, uid, platform)
    n_ver = np.array([len(v) for v in APP_VERSIONS])
    ver_base = np.cumsum([0] + list(n_ver))[:-1]
    appv = (ver_base[platform] + (device >> np.uint64(17)) % n_ver[platform].astype(np.uint64)).astype(np.int16)

    # Quality of experience: country network x the user's own line x an incident that day.
    e_incident = act.incident_by_day[day][s_row[ev_s]]
    qoe = ctx.geo.qoe_factor[country] * np.sqrt(pop.net_quality[e_user])
    median = STARTUP_MEDIAN_MS[platform] * qoe * np.where(e_incident, INCIDENT_STARTUP_FACTOR, 1.0)
    startup = np.clip(erng.lognormal(np.log(median), 0.5), 80, 30_000).astype(np.int32)
    lam = (np.where(preview, 0.02, 0.12 * (span_ms / 1_200_000.0) ** 0.7) * qoe * np.where(platform == 1, 1.4, 1.0)
           * np.where(e_incident, INCIDENT_REBUFFER_FACTOR, 1.0))
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
