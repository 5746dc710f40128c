"""Users: Faker-built name pools composed vectorised into a shard's population,
their engagement type and churn propensities, plus the profile changes and deletion
requests that happen during the run.

Faker is called only to fill small per-locale pools (ASCII first/last names and free
e-mail domains); users are then composed with numpy indexing, so cost is O(pools) in
Faker and O(users) in numpy.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from .geo import FAKER_LOCALE, Geo
from .rng import Stream, rng_for
from .service_calendar import ServiceCalendar, signup_times_ms, users_signed_up_before

DAY_MS = 86_400_000
PLANS: tuple[str, ...] = ("basic", "standard", "premium")
#: Engagement types, in code order (the truth file's ``segment``).
SEGMENTS: tuple[str, ...] = ("heavy", "regular", "casual", "dormant")
#: Share of sign-ups per type; people who sign up during a marketing burst are more often casual.
SEGMENT_MIX = np.array([0.11, 0.31, 0.36, 0.22])
SEGMENT_MIX_BURST = np.array([0.06, 0.24, 0.43, 0.27])
#: Daily activity propensity while subscribed per type: low + width x Beta(2, 2).
PROPENSITY_LOW = np.array([0.35, 0.15, 0.025, 0.004])
PROPENSITY_WIDTH = np.array([0.40, 0.20, 0.08, 0.016])
#: Share of heavy users who watch (almost) every day (propensity 0.95-0.995).
DAILY_VIEWER_SHARE = 0.60
#: Exponent ``a`` of each type's power-law survival to the next decline, S(t) = (1 + t / 40 d) ** -a.
HAZARD_EXPONENT = np.array([0.22, 0.34, 0.52, 0.80])
BURST_HAZARD_FACTOR = 1.3  # promotion-driven sign-ups leave sooner
#: Per-user network/device quality: lognormal sigma (1 = median; higher = worse startup and rebuffering).
NET_QUALITY_SIGMA = 0.45
CHANGE_RATES = {"country": 0.005, "plan": 0.03, "email": 0.01, "deletion": 0.003}
MOVED_BEFORE_START = 0.02  # base users whose current country differs from sign-up country
POOL_SIZE = 200
#: Only these Faker providers are used; loading just them (instead of every provider for
#: every locale) makes pool building ~10x faster and draws exactly the same values.
FAKER_PROVIDERS: list[str] = ["faker.providers.person", "faker.providers.internet"]


@dataclass(frozen=True)
class NamePools:
    """Per-country pools of ASCII name parts and e-mail domains."""

    first: tuple[tuple[str, ...], ...]
    last: tuple[tuple[str, ...], ...]
    domains: tuple[tuple[str, ...], ...]


def _ascii_token(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", folded)


def build_name_pools(seed: int, geo: Geo) -> NamePools:
    """Build deterministic per-country pools with ``Faker.seed_instance`` per locale."""
    fallback = Faker("en_US", providers=FAKER_PROVIDERS)
    fallback.seed_instance(int(np.random.SeedSequence([seed, Stream.POOLS, 0]).generate_state(1)[0]))
    fb_first = [_ascii_token(fallback.first_name()) for _ in range(POOL_SIZE)]
    fb_last = [_ascii_token(fallback.last_name()) for _ in range(POOL_SIZE)]
    firsts, lasts, domains = [], [], []
    for ci, code in enumerate(geo.codes):
        fake = Faker(FAKER_LOCALE.get(code, "en_US"), providers=FAKER_PROVIDERS)
        fake.seed_instance(int(np.random.SeedSequence([seed, Stream.POOLS, ci + 1]).generate_state(1)[0]))
        romanized = hasattr(fake, "first_romanized_name")
        first, last = [], []
        for k in range(POOL_SIZE):
            f = _ascii_token(fake.first_romanized_name() if romanized else fake.first_name())
            l_ = _ascii_token(fake.last_romanized_name() if romanized else fake.last_name())
            first.append(f if len(f) >= 2 else fb_first[k])
            last.append(l_ if len(l_) >= 2 else fb_last[k])
        doms = sorted({fake.free_email_domain() for _ in range(30)})
        firsts.append(tuple(first))
        lasts.append(tuple(last))
        domains.append(tuple(doms))
    return NamePools(tuple(firsts), tuple(lasts), tuple(domains))


@dataclass
class Population:
    """A shard's users (arrays aligned on ``user_id``) and their run-time changes."""

    user_id: np.ndarray          # int64
    signup_ms: np.ndarray        # int64 epoch ms
    signup_day: np.ndarray       # int32 day index relative to start-date (negative = before)
    signup_country: np.ndarray   # int16 country index
    country0: np.ndarray         # int16 current country at start (or sign-up)
    city0: np.ndarray            # int32 global city index
    age: np.ndarray              # int16
    plan0: np.ndarray            # int8
    first_i: np.ndarray          # index into the flattened first-name pools
    last_i: np.ndarray           # index into the flattened last-name pools
    domain0_i: np.ndarray        # e-mail domain (flattened pools) at sign-up
    domain1_i: np.ndarray        # e-mail domain after an e-mail change
    engagement: np.ndarray       # float64 in (0, 1): P(active on a day) while subscribed
    segment: np.ndarray          # int8 index into SEGMENTS
    hazard_exponent: np.ndarray  # float64 ``a`` of the power-law survival to the next decline
    net_quality: np.ndarray      # float64, 1 = median; scales startup time, rebuffers and incidents
    primary_platform: np.ndarray  # int8 0 web 1 mobile 2 tv
    # Changes during the run (ms, or INT64_MAX for "never")
    country_change_ms: np.ndarray
    country1: np.ndarray
    city1: np.ndarray
    plan_change_ms: np.ndarray
    plan1: np.ndarray
    email_change_ms: np.ndarray
    deletion_ms: np.ndarray

    @property
    def n(self) -> int:
        """Number of users in the shard."""
        return len(self.user_id)


NEVER = np.iinfo(np.int64).max


def base_user_count(users: int, cal: ServiceCalendar) -> int:
    """Users who signed up before start-date (the history the landing zone does not contain)."""
    return users_signed_up_before(cal, users, 0)


def signup_columns(lo_id: int, hi_id: int, users: int, start_ms: int,
                   cal: ServiceCalendar) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(user_id, signup_ms, signup_day, in_burst) of users ``lo_id..hi_id``: pure functions
    of the calendar (no random draws), recomputed when a people file is loaded."""
    uid = np.arange(lo_id, hi_id + 1, dtype=np.int64)
    # Sign-up times: the calendar's seasonal curve from the launch, monotone in user_id.
    signup_ms = signup_times_ms(cal, uid, users)
    signup_day = np.floor_divide(signup_ms - start_ms, DAY_MS).astype(np.int32)
    in_burst = np.isin(signup_day + cal.history_days, cal.burst_days)
    return uid, signup_ms, signup_day, in_burst


def hazard_exponents(segment: np.ndarray, net_quality: np.ndarray, in_burst: np.ndarray) -> np.ndarray:
    """Exponent ``a`` of each user's survival to the next decline (type x line quality x promotion)."""
    return (HAZARD_EXPONENT[segment] * (0.8 + 0.2 * net_quality)
            * np.where(in_burst, BURST_HAZARD_FACTOR, 1.0))


def build_population(seed: int, shard: int, lo_id: int, hi_id: int, users: int, days: int,
                     start_ms: int, geo: Geo, pools: NamePools, cal: ServiceCalendar) -> Population:
    """Users ``lo_id..hi_id`` (inclusive) of a run with ``users`` users over ``days`` days."""
    rng = rng_for(seed, Stream.USERS, shard)
    uid, signup_ms, signup_day, in_burst = signup_columns(lo_id, hi_id, users, start_ms, cal)
    n = len(uid)
    is_base = signup_ms < start_ms

    signup_country = rng.choice(geo.n, size=n, p=geo.weights).astype(np.int16)
    moved = is_base & (rng.random(n) < MOVED_BEFORE_START)
    other = rng.choice(geo.n, size=n, p=geo.weights).astype(np.int16)
    country0 = np.where(moved, other, signup_country).astype(np.int16)
    city0 = _draw_city(rng, geo, country0)
    age = _draw_age(rng, n)
    plan0 = _draw_plan(rng, geo, country0)
    primary = _draw_platform(rng, geo, country0)
    segment, engagement = _draw_engagement(rng, in_burst)
    net_quality = rng.lognormal(0.0, NET_QUALITY_SIGMA, n)
    hazard_exponent = hazard_exponents(segment, net_quality, in_burst)

    fi = rng.integers(0, POOL_SIZE, n)
    li = rng.integers(0, POOL_SIZE, n)
    di = rng.integers(0, 1 << 30, n)
    di2 = rng.integers(0, 1 << 30, n)
    first_i, last_i, dom0_i, dom1_i = _email_parts(pools, signup_country, fi, li, di, di2)

    # Run-time changes (own stream so the population above never depends on them).
    crng = rng_for(seed, Stream.USER_CHANGES, shard)
    end_ms = start_ms + days * DAY_MS
    earliest = np.maximum(signup_ms + 3_600_000, start_ms)

    def when(rate: float) -> np.ndarray:
        hit = crng.random(n) < rate
        t = earliest + (crng.random(n) * np.maximum(end_ms - earliest, 0)).astype(np.int64)
        return np.where(hit & (earliest < end_ms), t, NEVER)

    country_change = when(CHANGE_RATES["country"])
    plan_change = when(CHANGE_RATES["plan"])
    email_change = when(CHANGE_RATES["email"])
    deletion = when(CHANGE_RATES["deletion"])
    shift = crng.integers(1, geo.n, n)
    country1 = ((country0 + shift) % geo.n).astype(np.int16)
    city1 = _draw_city(crng, geo, country1)
    plan1 = ((plan0 + crng.integers(1, 3, n)) % 3).astype(np.int8)
    # Nothing changes after a deletion request.
    country_change = np.where(country_change < deletion, country_change, NEVER)
    plan_change = np.where(plan_change < deletion, plan_change, NEVER)
    email_change = np.where(email_change < deletion, email_change, NEVER)
    return Population(uid, signup_ms, signup_day, signup_country, country0, city0, age, plan0,
                      first_i, last_i, dom0_i, dom1_i, engagement, segment, hazard_exponent, net_quality, primary,
                      country_change, country1, city1,
                      plan_change, plan1, email_change, deletion)


def _draw_engagement(rng: np.random.Generator, in_burst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Engagement type and daily activity propensity (P(active) on a day while subscribed)."""
    n = len(in_burst)
    cum = np.where(in_burst[:, None], np.cumsum(SEGMENT_MIX_BURST), np.cumsum(SEGMENT_MIX))
    segment = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(SEGMENTS) - 1).astype(np.int8)
    shape = rng.beta(2.0, 2.0, n)
    daily = rng.random(n) < DAILY_VIEWER_SHARE
    p = PROPENSITY_LOW[segment] + PROPENSITY_WIDTH[segment] * shape
    p = np.where((segment == 0) & daily, 0.95 + 0.045 * shape, p)
    return segment, p


def _draw_city(rng: np.random.Generator, geo: Geo, country: np.ndarray) -> np.ndarray:
    # City rank ~ Zipf-ish within the country's list.
    u = rng.random(len(country))
    count = geo.city_count[country].astype(np.float64)
    rank = np.minimum(np.floor(count * u ** 1.8), count - 1).astype(np.int32)
    return (geo.city_start[country] + rank).astype(np.int32)


def _draw_age(rng: np.random.Generator, n: int) -> np.ndarray:
    kind = rng.random(n)
    core = rng.normal(31, 7.5, n)
    teen = rng.integers(13, 18, n)
    older = 46 + rng.exponential(11, n)
    age = np.where(kind < 0.72, np.clip(core, 18, 45), np.where(kind < 0.78, teen, older))
    return np.clip(np.round(age), 13, 90).astype(np.int16)


def _draw_categorical(rng: np.random.Generator, mix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    cum = np.cumsum(mix, axis=1)[rows]
    u = rng.random(len(rows))[:, None]
    return np.minimum((u > cum).sum(axis=1), mix.shape[1] - 1).astype(np.int8)


def _draw_plan(rng: np.random.Generator, geo: Geo, country: np.ndarray) -> np.ndarray:
    return _draw_categorical(rng, geo.plan_mix, country)


def _draw_platform(rng: np.random.Generator, geo: Geo, country: np.ndarray) -> np.ndarray:
    return _draw_categorical(rng, geo.platform_mix, country)


def _email_parts(pools: NamePools, country: np.ndarray, fi: np.ndarray, li: np.ndarray,
                 di: np.ndarray, di2: np.ndarray) -> tuple[np.ndarray, ...]:
    """Indices (into the flattened pools) of each user's name parts and two domains."""
    n_c = len(pools.first)
    dom_start = np.cumsum([0] + [len(p) for p in pools.domains])[:n_c]
    dom_count = np.array([len(p) for p in pools.domains])
    c = country.astype(np.int64)
    return (c * POOL_SIZE + fi, c * POOL_SIZE + li, dom_start[c] + di % dom_count[c],
            dom_start[c] + di2 % dom_count[c])


@functools.lru_cache(maxsize=4)
def _flat_pools(pools: NamePools) -> tuple[pa.Array, pa.Array, pa.Array]:
    return (pa.array([f for pool in pools.first for f in pool]), pa.array([l_ for pool in pools.last for l_ in pool]),
            pa.array([d for pool in pools.domains for d in pool]))


def emails(pools: NamePools, pop: Population, idx: np.ndarray, changed: np.ndarray) -> pa.Array:
    """E-mail of users ``idx`` (rows of ``pop``): ``first.last<user_id>@domain`` at sign-up,
    ``first_last.<user_id>@domain2`` where ``changed`` (unique thanks to user_id)."""
    first, last, doms = _flat_pools(pools)
    changed = np.asarray(changed, dtype=bool)
    dom = np.where(changed, pop.domain1_i[idx], pop.domain0_i[idx])
    flag = pa.array(changed.astype(np.int8))
    return pc.binary_join_element_wise(
        pc.take(first, pa.array(pop.first_i[idx])), pc.take(pa.array([".", "_"]), flag),
        pc.take(last, pa.array(pop.last_i[idx])), pc.take(pa.array(["", "."]), flag),
        pc.cast(pa.array(pop.user_id[idx]), pa.string()), "@", pc.take(doms, pa.array(dom)), "")
