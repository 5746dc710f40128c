"""The service's calendar: when people sign up, and which days everybody watches more.

The service launched ``history_days`` before ``--start-date``; sign-ups run from the
launch to the end of the run as one seasonal intensity per UTC day:

    intensity(day) = growth trend x launch ramp x weekday x holiday x marketing burst
                     x tentpole release x day-level noise

Users are placed on that curve by their id: user ``k`` of ``N`` signs up when the
cumulative intensity reaches ``(k - 0.5) / N`` of the total, so sign-up time is
monotone in user id, the daily counts follow the curve, and nothing depends on the shard.
Inside a day the sign-up instants follow a fixed evening-heavy UTC curve.

Every random draw here comes from one stream per seed (``Stream.CALENDAR``), never from
a shard's: all shards see the same calendar.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np

from .rng import Stream, rng_for

DAY_MS = 86_400_000
#: Days the service has run before ``--start-date`` (three years): the history the landing zone does not contain.
DEFAULT_HISTORY_DAYS = 3 * 365
#: Yearly growth of the sign-up intensity (e^0.3 = +35% sign-ups per year).
SIGNUP_GROWTH_PER_YEAR = 0.30
#: Launch ramp: sign-ups start at 1 + LAUNCH_LIFT times the trend and fade with this half-life.
LAUNCH_LIFT, LAUNCH_HALF_LIFE_DAYS = 2.0, 20.0
#: Sign-ups by weekday, Monday first (mean 1): weekends and Friday evenings bring people in.
WEEKDAY_SIGNUPS: tuple[float, ...] = (0.93, 0.88, 0.88, 0.92, 1.08, 1.20, 1.11)
#: Marketing bursts: a Poisson number per year, each lasting 3-10 days, peak lift 1.5-3x, fading linearly.
BURSTS_PER_YEAR = 6.0
#: A big ("tentpole") release every 14-35 days: sign-ups x1.6 on the day, x1.3 the two days after.
TENTPOLE_GAP_DAYS = (14, 35)
TENTPOLE_SIGNUP_LIFT = (1.6, 1.3, 1.3)
#: Viewing lift on a tentpole day and the two after (applies to every subscribed user).
TENTPOLE_VIEWING_LIFT = (1.10, 1.06, 1.03)
#: Day-level noise of the sign-up intensity (lognormal sigma).
SIGNUP_NOISE_SIGMA = 0.10


def _thanksgiving(year: int) -> dt.date:
    """Fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)


def holiday_lifts(day: dt.date) -> tuple[float, float]:
    """(sign-up lift, viewing lift) of a calendar day: year-end holidays, Thanksgiving and
    the Black Friday / Cyber Monday promotions."""
    md = (day.month, day.day)
    signup = {(12, 24): 1.3, (12, 25): 1.8, (12, 26): 1.5, (12, 31): 1.2, (1, 1): 1.6, (1, 2): 1.3}.get(md, 1.0)
    viewing = 1.12 if (day.month == 12 and day.day >= 24) or md == (1, 1) else 1.0
    thanks = _thanksgiving(day.year)
    offset = (day - thanks).days
    if 0 <= offset <= 4:  # Thanksgiving, Black Friday, the weekend, Cyber Monday
        signup *= (1.3, 2.0, 1.8, 1.6, 1.5)[offset]
        viewing *= (1.10, 1.08, 1.04, 1.04, 1.0)[offset]
    return signup, viewing


@dataclass(frozen=True)
class ServiceCalendar:
    """Per-day sign-up intensity from the launch to the run's end, and viewing lifts."""

    launch: dt.date                 # first day of the service (start_date - history_days)
    start: dt.date                  # --start-date
    days: int                       # run days
    intensity: np.ndarray           # float64 per day since launch
    cumulative: np.ndarray          # float64, len + 1: cumulative[k] = sum(intensity[:k])
    viewing_lift: np.ndarray        # float64 per run day (holidays x tentpoles)
    burst_days: np.ndarray          # day indices (since launch) inside a marketing burst
    tentpole_days: np.ndarray       # day indices (since launch) of tentpole releases

    @property
    def history_days(self) -> int:
        """Days between the launch and ``start``."""
        return (self.start - self.launch).days

    def run_day_of(self, k: np.ndarray | int) -> np.ndarray | int:
        """Day index since launch -> run day (0 = start_date; negative = history)."""
        return k - self.history_days

    def tentpole_run_days(self) -> np.ndarray:
        """Tentpole releases inside the run, as run-day indices."""
        rd = self.tentpole_days - self.history_days
        return rd[(rd >= 0) & (rd < self.days)]


#: Within-day shape of sign-up instants (UTC hour weights): quiet nights, busy evenings.
_HOURLY = np.array([0.6, 0.45, 0.35, 0.3, 0.3, 0.35, 0.5, 0.7, 0.85, 0.95, 1.0, 1.05,
                    1.1, 1.1, 1.1, 1.15, 1.2, 1.3, 1.45, 1.6, 1.7, 1.6, 1.3, 0.9])
_HOUR_CDF = np.concatenate([[0.0], np.cumsum(_HOURLY) / _HOURLY.sum()])


@functools.lru_cache(maxsize=8)
def build_calendar(seed: int, start_date: dt.date, days: int, history_days: int) -> ServiceCalendar:
    """The deterministic calendar of a run (same for every shard)."""
    rng = rng_for(seed, Stream.CALENDAR)
    total = history_days + days
    launch = start_date - dt.timedelta(days=history_days)
    k = np.arange(total)
    dates = [launch + dt.timedelta(days=int(i)) for i in range(total)]
    trend = np.exp(SIGNUP_GROWTH_PER_YEAR * k / 365.0)
    ramp = 1.0 + LAUNCH_LIFT * 0.5 ** (k / LAUNCH_HALF_LIFE_DAYS)
    weekday = np.array(WEEKDAY_SIGNUPS)[[d.weekday() for d in dates]]
    lifts = np.array([holiday_lifts(d) for d in dates]).reshape(total, 2)
    burst = np.ones(total)
    n_bursts = int(rng.poisson(BURSTS_PER_YEAR * max(total, 1) / 365.0))
    starts = np.sort(rng.integers(0, max(total, 1), n_bursts))
    lengths = rng.integers(3, 11, n_bursts)
    peaks = rng.uniform(1.5, 3.0, n_bursts)
    for s, n, peak in zip(starts.tolist(), lengths.tolist(), peaks.tolist()):
        span = np.arange(s, min(s + n, total))
        burst[span] = np.maximum(burst[span], 1.0 + (peak - 1.0) * (1.0 - (span - s) / n))
    gaps = rng.integers(TENTPOLE_GAP_DAYS[0], TENTPOLE_GAP_DAYS[1] + 1, total // TENTPOLE_GAP_DAYS[0] + 2)
    tentpoles = np.cumsum(gaps) - gaps[0] + int(rng.integers(0, TENTPOLE_GAP_DAYS[0]))
    tentpoles = tentpoles[tentpoles < total]
    release = np.ones(total)
    viewing_release = np.ones(total)
    for t in tentpoles.tolist():
        for j, (lift_s, lift_v) in enumerate(zip(TENTPOLE_SIGNUP_LIFT, TENTPOLE_VIEWING_LIFT)):
            if t + j < total:
                release[t + j] *= lift_s
                viewing_release[t + j] *= lift_v
    noise = rng.lognormal(0.0, SIGNUP_NOISE_SIGMA, total)
    intensity = trend * ramp * weekday * lifts[:, 0] * burst * release * noise
    cumulative = np.concatenate([[0.0], np.cumsum(intensity)])
    viewing = (lifts[:, 1] * viewing_release)[history_days:]
    return ServiceCalendar(launch, start_date, days, intensity, cumulative, viewing,
                           np.flatnonzero(burst > 1.0), tentpoles)


def signup_times_ms(cal: ServiceCalendar, user_id: np.ndarray, users: int) -> np.ndarray:
    """Sign-up instant (epoch ms) of each user id on the calendar's curve (monotone in id)."""
    total = cal.cumulative[-1]
    q = (user_id.astype(np.float64) - 0.5) / users * total
    k = np.clip(np.searchsorted(cal.cumulative, q, side="right") - 1, 0, len(cal.intensity) - 1)
    frac = np.clip((q - cal.cumulative[k]) / cal.intensity[k], 0.0, 1.0 - 1e-9)
    hour = np.clip(np.searchsorted(_HOUR_CDF, frac, side="right") - 1, 0, 23)
    within = (frac - _HOUR_CDF[hour]) / (_HOUR_CDF[hour + 1] - _HOUR_CDF[hour])
    launch_ms = int(np.datetime64(cal.launch, "ms").astype(np.int64))
    return launch_ms + k * DAY_MS + ((hour + within) * 3_600_000).astype(np.int64)


def users_signed_up_before(cal: ServiceCalendar, users: int, run_day: int) -> int:
    """How many of the ``users`` ids sign up before run day ``run_day`` (0 = start_date)."""
    k = min(max(run_day + cal.history_days, 0), len(cal.intensity))
    share = cal.cumulative[k] / cal.cumulative[-1]
    # user k is before the cut when (k - 0.5) / users < share
    return int(min(users, max(0, np.ceil(share * users + 0.5) - 1)))
