"""Users: Faker-built name pools composed vectorised into a shard's population,
plus the profile changes and deletion requests that happen during the run.

Faker is called only to fill small per-locale pools (ASCII first/last names and free
e-mail domains); users are then composed with numpy indexing, so cost is O(pools) in
Faker and O(users) in numpy.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from .geo import FAKER_LOCALE, Geo
from .rng import Stream, rng_for

DAY_MS = 86_400_000
BASE_SHARE = 0.85          # share of the final user count that exists before start-date
HISTORY_DAYS = 3 * 365     # base sign-ups spread over this many days before start-date
PLANS: tuple[str, ...] = ("basic", "standard", "premium")
CHANGE_RATES = {"country": 0.005, "plan": 0.03, "email": 0.01, "deletion": 0.003}
MOVED_BEFORE_START = 0.02  # base users whose current country differs from sign-up country
POOL_SIZE = 200


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
    fallback = Faker("en_US")
    fallback.seed_instance(int(np.random.SeedSequence([seed, Stream.POOLS, 0]).generate_state(1)[0]))
    fb_first = [_ascii_token(fallback.first_name()) for _ in range(POOL_SIZE)]
    fb_last = [_ascii_token(fallback.last_name()) for _ in range(POOL_SIZE)]
    firsts, lasts, domains = [], [], []
    for ci, code in enumerate(geo.codes):
        fake = Faker(FAKER_LOCALE.get(code, "en_US"))
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
    email0: pa.Array             # e-mail at sign-up (Arrow strings)
    email1: pa.Array             # e-mail after a change
    engagement: np.ndarray       # float64 in (0, 1)
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


def base_user_count(users: int) -> int:
    """Users existing before start-date."""
    return int(round(users * BASE_SHARE))


def build_population(seed: int, shard: int, lo_id: int, hi_id: int, users: int, days: int,
                     start_ms: int, geo: Geo, pools: NamePools) -> Population:
    """Users ``lo_id..hi_id`` (inclusive) of a run with ``users`` users over ``days`` days."""
    rng = rng_for(seed, Stream.USERS, shard)
    uid = np.arange(lo_id, hi_id + 1, dtype=np.int64)
    n = len(uid)
    n_base = base_user_count(users)
    n_new = users - n_base
    is_base = uid <= n_base
    # Sign-up times: base users monotone in user_id with ~2.7x growth over three years;
    # new users spread evenly over the run days.
    q = (uid - 0.5) / max(n_base, 1)
    growth = 1.0
    t_hist = np.log1p(q * np.expm1(growth)) / growth  # 0..1 through the history window
    base_ms = start_ms - HISTORY_DAYS * DAY_MS + (t_hist * HISTORY_DAYS * DAY_MS).astype(np.int64)
    j = uid - n_base - 1
    new_day = (j * days) // max(n_new, 1)
    new_ms = start_ms + new_day * DAY_MS + rng.integers(0, DAY_MS, n)
    signup_ms = np.where(is_base, np.minimum(base_ms, start_ms - 1000), new_ms)
    signup_day = np.floor_divide(signup_ms - start_ms, DAY_MS).astype(np.int32)

    signup_country = rng.choice(geo.n, size=n, p=geo.weights).astype(np.int16)
    moved = is_base & (rng.random(n) < MOVED_BEFORE_START)
    other = rng.choice(geo.n, size=n, p=geo.weights).astype(np.int16)
    country0 = np.where(moved, other, signup_country).astype(np.int16)
    city0 = _draw_city(rng, geo, country0)
    age = _draw_age(rng, n)
    plan0 = _draw_plan(rng, geo, country0)
    engagement = rng.beta(1.3, 3.2, n)
    primary = _draw_platform(rng, geo, country0)

    fi = rng.integers(0, POOL_SIZE, n)
    li = rng.integers(0, POOL_SIZE, n)
    di = rng.integers(0, 1 << 30, n)
    di2 = rng.integers(0, 1 << 30, n)
    email0, email1 = _emails(pools, signup_country, fi, li, di, di2, uid)

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
                      email0, email1, engagement, primary, country_change, country1, city1,
                      plan_change, plan1, email_change, deletion)


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


def _emails(pools: NamePools, country: np.ndarray, fi: np.ndarray, li: np.ndarray,
            di: np.ndarray, di2: np.ndarray, uid: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """``first.last<user_id>@domain`` (unique thanks to user_id) and a changed variant."""
    n_c = len(pools.first)
    first_flat = [f for pool in pools.first for f in pool]
    last_flat = [l_ for pool in pools.last for l_ in pool]
    dom_flat = [d for pool in pools.domains for d in pool]
    dom_start = np.cumsum([0] + [len(p) for p in pools.domains])[:n_c]
    dom_count = np.array([len(p) for p in pools.domains])
    c = country.astype(np.int64)
    f = pc.take(pa.array(first_flat), pa.array(c * POOL_SIZE + fi))
    l_ = pc.take(pa.array(last_flat), pa.array(c * POOL_SIZE + li))
    d1 = pc.take(pa.array(dom_flat), pa.array(dom_start[c] + di % dom_count[c]))
    d2 = pc.take(pa.array(dom_flat), pa.array(dom_start[c] + di2 % dom_count[c]))
    ids = pc.cast(pa.array(uid), pa.string())
    e0 = pc.binary_join_element_wise(f, ".", l_, ids, "@", d1, "")
    e1 = pc.binary_join_element_wise(f, "_", l_, ".", ids, "@", d2, "")
    return e0, e1
