"""The title catalog: movies and episodes of series, with Zipf-like popularity.

Episodes of a series get consecutive ``media_id`` values in (season, episode) order,
so a binge of "the next episode" is ``media_id + 1`` while it stays in the series.

Titles also *release during the run*: every week a few movies and one season drop
(all episodes of a series' last season on one Friday), and on each of the calendar's
tentpole days a top title. A title cannot be watched before its release day, and a
new one draws a crowd that fades over a couple of weeks (``day_popularity``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .rng import Stream, rng_for
from .service_calendar import ServiceCalendar

GENRES: tuple[str, ...] = ("Drama", "Comedy", "Action", "Thriller", "Documentary",
                           "Animation", "Sci-Fi", "Romance", "Horror", "Crime",
                           "Family", "Reality")
_ADJ = ("Silent", "Broken", "Golden", "Hidden", "Last", "Crimson", "Endless", "Wild",
        "Lost", "Bright", "Dark", "Frozen", "Secret", "Electric", "Quiet", "Burning",
        "Northern", "Midnight", "Savage", "Gentle", "Hollow", "Iron", "Paper", "Velvet")
_NOUN = ("River", "Kingdom", "Signal", "Harbor", "Garden", "Empire", "Storm", "Mirror",
         "Frontier", "Orchard", "Station", "Circuit", "Legacy", "Shadow", "Voyage",
         "Promise", "Island", "Machine", "Witness", "Summer", "Crown", "Desert", "Code",
         "Horizon", "Chef's Table", "Heist", "Detective", "Family")
MIN_TITLES, MAX_TITLES = 2_000, 20_000
#: Releases inside the run per week: movies and season drops (on Fridays).
WEEKLY_MOVIE_RELEASES, WEEKLY_SEASON_DROPS = 3, 1
#: A new title's popularity x (1 + lift e^(-age / NEW_RELEASE_DECAY_DAYS)) after its release.
NEW_RELEASE_LIFT, TENTPOLE_LIFT, NEW_RELEASE_DECAY_DAYS = 6.0, 25.0, 10.0


@dataclass(frozen=True)
class Catalog:
    """Columnar catalog; row i has media_id i + 1."""

    media_id: np.ndarray        # int64
    title: list[str]
    genre: np.ndarray           # int8 index into GENRES
    is_episode: np.ndarray      # bool
    series_id: np.ndarray       # int64, 0 for movies
    series_title: list[str | None]
    season: np.ndarray          # int16, 0 for movies
    episode: np.ndarray         # int16, 0 for movies
    duration_s: np.ndarray      # int32
    release_date: np.ndarray    # datetime64[D]
    popularity: np.ndarray      # float64, sums to 1
    series_last_index: np.ndarray  # int64: row index of the last episode of the row's series
    release_day: np.ndarray     # int64 release day relative to start_date (negative = before the run)
    release_lift: np.ndarray    # float64 new-release lift (0 for the back catalog)

    @property
    def n(self) -> int:
        """Number of titles."""
        return len(self.media_id)


def catalog_size(users: int) -> int:
    """Number of titles: ~2,000 for small bases, growing mildly with users, capped."""
    return int(np.clip(round(MIN_TITLES * max(1.0, users / 100_000) ** 0.3), MIN_TITLES, MAX_TITLES))


def build_catalog(seed: int, users: int, start_date: dt.date, days: int, cal: ServiceCalendar) -> Catalog:
    """Build the deterministic catalog for ``seed``, the user count and the run's days."""
    rng = rng_for(seed, Stream.CATALOG)
    target = catalog_size(users)
    n_movies = int(target * 0.45)
    # Series: seasons x episodes until the episode budget is used.
    seasons_l, eps_l = [], []
    budget = target - n_movies
    while budget > 0:
        seasons = int(min(rng.geometric(0.45), 8))
        eps = int(rng.integers(6, 14))
        take = min(seasons * eps, budget)
        seasons_l.append(seasons)
        eps_l.append(eps)
        budget -= take
    n_series = len(seasons_l)
    ranks = rng.permutation(n_series + n_movies).astype(np.float64) + 1.0  # Zipf ranks
    s_pop = 1.0 / ranks[:n_series] ** 1.05
    m_pop = 1.0 / ranks[n_series:] ** 1.05
    start_day = np.datetime64(start_date, "D")

    title, genre, is_ep, sid, stitle, season, episode, dur, rel, pop = ([] for _ in range(10))
    last_idx: list[int] = []
    for k in range(n_movies):
        title.append(_title(rng))
        genre.append(int(rng.integers(len(GENRES))))
        is_ep.append(False); sid.append(0); stitle.append(None); season.append(0); episode.append(0)
        dur.append(int(rng.integers(80 * 60, 180 * 60 + 1)))
        rel.append(start_day - int(min(rng.exponential(1500), 30 * 365)) - 1)
        pop.append(m_pop[k])
        last_idx.append(len(title) - 1)
    remaining = target - n_movies
    for s in range(n_series):
        name = _title(rng)
        g = int(rng.integers(len(GENRES)))
        ep_len = int(rng.integers(20, 61)) * 60
        first_release = start_day - int(min(rng.exponential(900), 15 * 365)) - 400
        rows_before = len(title)
        for se in range(1, seasons_l[s] + 1):
            for ep in range(1, eps_l[s] + 1):
                if remaining == 0:
                    break
                title.append(f"{name} S{se}E{ep}")
                genre.append(g); is_ep.append(True); sid.append(s + 1); stitle.append(name)
                season.append(se); episode.append(ep)
                dur.append(int(np.clip(ep_len + rng.integers(-180, 181), 20 * 60, 60 * 60)))
                rel.append(min(first_release + 365 * (se - 1) + 7 * (ep - 1), start_day - 1))
                pop.append(s_pop[s] * 0.93 ** (se - 1) * 0.97 ** (ep - 1) * (1.6 if ep == 1 else 1.0))
                remaining -= 1
        last_idx.extend([len(title) - 1] * (len(title) - rows_before))
    popularity = np.array(pop, dtype=np.float64)
    popularity /= popularity.sum()
    release = np.array(rel, dtype="datetime64[D]")
    lift = np.zeros(len(title))
    is_episode, series = np.array(is_ep), np.array(sid, dtype=np.int64)
    season_arr = np.array(season, dtype=np.int16)
    _schedule_run_releases(rng, start_day, days, cal, is_episode, series, season_arr, popularity, release, lift)
    return Catalog(
        media_id=np.arange(1, len(title) + 1, dtype=np.int64), title=title,
        genre=np.array(genre, dtype=np.int8), is_episode=is_episode,
        series_id=series, series_title=stitle,
        season=season_arr, episode=np.array(episode, dtype=np.int16),
        duration_s=np.array(dur, dtype=np.int32), release_date=release,
        popularity=popularity, series_last_index=np.array(last_idx, dtype=np.int64),
        release_day=(release - start_day).astype(np.int64), release_lift=lift,
    )


def _schedule_run_releases(rng: np.random.Generator, start_day: np.datetime64, days: int, cal: ServiceCalendar,
                           is_episode: np.ndarray, series: np.ndarray, season: np.ndarray,
                           popularity: np.ndarray, release: np.ndarray, lift: np.ndarray) -> None:
    """Move some titles' release into the run: weekly movies and season drops on Fridays,
    a top title on each tentpole day (in place)."""
    first_friday = (4 - int((start_day.astype(int) + 3) % 7)) % 7  # 1970-01-01 was a Thursday
    fridays = [d for d in range(first_friday, days, 7)]
    movies = np.flatnonzero(~is_episode)
    # Last season of each series with at least two seasons: a "new season" candidate.
    last_season = {}
    for row in np.flatnonzero(is_episode):
        last_season[series[row]] = max(last_season.get(series[row], 0), season[row])
    droppable = [s for s, n in sorted(last_season.items()) if n >= 2]
    by_pop = np.argsort(-popularity, kind="stable")
    top_movies = [int(r) for r in by_pop if not is_episode[r]][:10]
    top_series = list(dict.fromkeys(int(series[r]) for r in by_pop if is_episode[r] and series[r] in droppable))[:10]
    used_movies: set[int] = set()
    used_series: set[int] = set()

    def drop_season(s: int, day: int, strength: float) -> None:
        rows = np.flatnonzero((series == s) & (season == last_season[s]))
        release[rows] = start_day + day
        lift[rows] = strength
        used_series.add(s)

    for i, day in enumerate(cal.tentpole_run_days().tolist()):
        pool = [s for s in top_series if s not in used_series] if i % 2 == 0 else []
        if pool:
            drop_season(pool[int(rng.integers(len(pool)))], day, TENTPOLE_LIFT)
            continue
        pool_m = [m for m in top_movies if m not in used_movies]
        if pool_m:
            m = pool_m[int(rng.integers(len(pool_m)))]
            release[m], lift[m] = start_day + day, TENTPOLE_LIFT
            used_movies.add(m)
    for day in fridays:
        choice = [m for m in rng.choice(movies, size=min(len(movies), WEEKLY_MOVIE_RELEASES + 5), replace=False)
                  if int(m) not in used_movies][:WEEKLY_MOVIE_RELEASES]
        for m in choice:
            release[m], lift[m] = start_day + day, NEW_RELEASE_LIFT
            used_movies.add(int(m))
        pool = [s for s in droppable if s not in used_series]
        for _ in range(WEEKLY_SEASON_DROPS):
            if pool:
                s = pool.pop(int(rng.integers(len(pool))))
                drop_season(s, day, NEW_RELEASE_LIFT)


def day_popularity(cat: Catalog, day: int) -> np.ndarray:
    """Viewing weights of every title on run day ``day``: 0 before release, new releases lifted."""
    age = day - cat.release_day
    boost = 1.0 + cat.release_lift * np.exp(-np.maximum(age, 0) / NEW_RELEASE_DECAY_DAYS)
    return np.where(age >= 0, cat.popularity * boost, 0.0)


def _title(rng: np.random.Generator) -> str:
    adj, noun = _ADJ[rng.integers(len(_ADJ))], _NOUN[rng.integers(len(_NOUN))]
    form = rng.integers(4)
    if form == 0:
        return f"The {adj} {noun}"
    if form == 1:
        return f"{adj} {noun}"
    if form == 2:
        return f"{noun} of the {adj} {_NOUN[rng.integers(len(_NOUN))]}"
    return f"{adj} {noun} {int(rng.integers(2, 4))}"


def catalog_records(cat: Catalog) -> list[dict]:
    """Catalog rows as dicts in the landing column order."""
    rows = []
    for i in range(cat.n):
        ep = bool(cat.is_episode[i])
        rows.append({
            "media_id": int(cat.media_id[i]), "title": cat.title[i], "genre": GENRES[cat.genre[i]],
            "kind": "episode" if ep else "movie",
            "series_id": int(cat.series_id[i]) if ep else None,
            "series_title": cat.series_title[i],
            "season_number": int(cat.season[i]) if ep else None,
            "episode_number": int(cat.episode[i]) if ep else None,
            "duration_seconds": int(cat.duration_s[i]), "release_date": str(cat.release_date[i]),
            "popularity": round(float(cat.popularity[i]), 10),
        })
    return rows


def catalog_jsonl(cat: Catalog) -> bytes:
    """Catalog as JSONL bytes (compact, keys in landing order)."""
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for r in catalog_records(cat)).encode("utf-8")


MEDIA_SCHEMA = pa.schema([
    ("media_id", pa.int64()), ("title", pa.string()), ("genre", pa.string()), ("kind", pa.string()),
    ("series_id", pa.int64()), ("series_title", pa.string()), ("season_number", pa.int32()),
    ("episode_number", pa.int32()), ("duration_seconds", pa.int32()), ("release_date", pa.string()),
    ("popularity", pa.float64()),
])


def catalog_table(cat: Catalog) -> pa.Table:
    """Catalog as an Arrow table (same columns as the JSONL)."""
    return pa.Table.from_pylist(catalog_records(cat), schema=MEDIA_SCHEMA)
