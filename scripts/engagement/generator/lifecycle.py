"""Each person's life with the service: subscribed, declining, churned, back again.

A user's life is a sequence of *lifetimes* (sign-up, or a return after churning). In a
lifetime the user is ``subscribed`` until a *decline* starts; the time to that onset has
a power-law survival S(t) = (1 + t / TAU_DAYS) ** -a (Fader & Hardie's heterogeneous
churn: steep in the first weeks, a slow tail), with ``a`` set by the engagement type.
A decline lasts days to weeks, during which the user watches less often and shorter,
and ends in a churn (a ``voluntary_cancel`` or a ``lapse``) or, for one in five, in a
recovery. A churned user may come back after a gap (``RETURN_*``) and starts a new
lifetime with a higher hazard. Besides that baseline, the onset is pulled forward
after a playback-quality incident the user experienced and after a plan change, and a
quarter of cancellers downgrade their plan during the decline (a visible warning sign).

The history before ``--start-date`` (the service ran ``history_days`` before it) is
simulated lifetime by lifetime, in closed form, so the state on the first day is the
process's own (some users declining, some churned and due back) and nothing in the
window is an artefact of its start; incidents and plan changes before the window are
not simulated (their average effect is in ``a``). Inside the window every day is
simulated: transitions, then activity (a habit-persistent daily draw around the user's
propensity, shaped by weekday, holidays, tentpole releases, the first weeks' honeymoon
and the decline's fade), then quality incidents and their triggers.

All draws come from per-shard streams (``Stream.LIFECYCLE_INIT`` once, ``Stream.LIFECYCLE``
per run day), always in user order, so the result is the same whatever the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .people import DAY_MS, NEVER, Population
from .rng import Stream, rng_for
from .service_calendar import ServiceCalendar

SUBSCRIBED, DECLINING, CHURNED, DELETED, NOT_YET = 0, 1, 2, 3, 4
#: ``state_at_start`` values of the truth file, in code order.
STATES: tuple[str, ...] = ("subscribed", "declining", "churned", "deleted", "not_signed_up")
#: ``churn_reason`` values of the truth file, in code order.
REASONS: tuple[str, ...] = ("voluntary_cancel", "lapse", "deletion_request")
#: ``churn_trigger`` values: what pulled the decline's onset forward.
TRIGGERS: tuple[str, ...] = ("none", "playback_quality", "plan_change")
INF_DAY = 1 << 30

TAU_DAYS = 40.0
RETURN_HAZARD_FACTOR = 1.3        # per earlier lifetime (at most two compound)
RECOVERY_SHARE = 0.20             # declines that end in a recovery, not a churn
CANCEL_SHARE = np.array([0.70, 0.60, 0.50, 0.40])  # by engagement type; the rest lapse
DECLINE_DAYS = {"cancel": (7, 28), "lapse": (14, 42), "recovery": (7, 28)}
RETURN_SHARE, RETURN_MEDIAN_DAYS, RETURN_SIGMA, RETURN_MIN_GAP_DAYS = 0.5, 100.0, 1.2, 14
HONEYMOON_LIFT, HONEYMOON_DAYS = 0.8, 14.0  # propensity x (1 + 0.8 e^(-t / 14 d)) in a new lifetime
HABIT = 0.30                      # persistence of yesterday's state (0 = independent days)
SIGNUP_DAY_ACTIVE = 0.90
#: Activity by weekday (Monday first) per engagement type: casual viewers are weekend viewers.
WEEKDAY_ACTIVITY = np.array([
    [1.00, 0.99, 0.99, 1.00, 1.02, 1.05, 1.05],
    [0.93, 0.92, 0.92, 0.95, 1.05, 1.14, 1.12],
    [0.80, 0.78, 0.78, 0.84, 1.10, 1.42, 1.34],
    [0.80, 0.78, 0.78, 0.84, 1.10, 1.42, 1.34],
])
INCIDENT_RATE = 0.012             # new playback-quality incidents per active day at net_quality 1 (x q^1.5)
INCIDENT_DAYS = (1, 3)
QOE_TRIGGER_SHARE, QOE_TRIGGER_DELAY = 0.25, (2, 21)
PLAN_TRIGGER_SHARE, PLAN_TRIGGER_DELAY = 0.30, (3, 30)
DOWNGRADE_SHARE = 0.25            # cancellers with a plan above basic who downgrade while declining


@dataclass
class Activity:
    """Output of the lifecycle for a shard: who is active which day, how, and the truth."""

    users_by_day: list[np.ndarray]      # per run day: rows of the active users (ascending, int64)
    fade_by_day: list[np.ndarray]       # per run day: session-length factor of those user-days (float64)
    incident_by_day: list[np.ndarray]   # per run day: a quality incident hits that user-day (bool)
    churn_day: np.ndarray               # int32 first churn in the run (run day), -1 if none
    churn_reason: np.ndarray            # int8 index into REASONS, -1 if none
    churn_trigger: np.ndarray           # int8 index into TRIGGERS
    decline_day: np.ndarray             # int32 start of the decline that ended in that churn (may be < 0)
    return_day: np.ndarray              # int32 first return from a churn (in the run or before it), -1 if none
    churn_count: np.ndarray             # int16 churns during the run
    state_at_start: np.ndarray          # int8 index into STATES


def _onset(rng: np.random.Generator, clock: np.ndarray, exponent: np.ndarray,
           tenure: np.ndarray | None = None) -> np.ndarray:
    """Day of the next decline onset from a lifetime started on ``clock``: the power-law
    survival, conditional on having survived ``tenure`` days when given."""
    u = np.maximum(rng.random(len(clock)), 1e-12)
    t0 = 0.0 if tenure is None else tenure
    t = (TAU_DAYS + t0) * u ** (-1.0 / exponent) - TAU_DAYS
    return clock + np.minimum(np.floor(np.maximum(t, t0)), INF_DAY / 2).astype(np.int64)


def _decline(rng: np.random.Generator, segment: np.ndarray, tenure: np.ndarray) -> tuple[np.ndarray, ...]:
    """(will_churn, reason, length in days) of declines starting at the given tenures."""
    n = len(segment)
    will_churn = rng.random(n) >= RECOVERY_SHARE
    cancel = rng.random(n) < CANCEL_SHARE[segment]
    reason = np.where(cancel, 0, 1).astype(np.int8)
    u = rng.random(n)
    lo = np.where(~will_churn, DECLINE_DAYS["recovery"][0], np.where(cancel, DECLINE_DAYS["cancel"][0],
                                                                      DECLINE_DAYS["lapse"][0]))
    hi = np.where(~will_churn, DECLINE_DAYS["recovery"][1], np.where(cancel, DECLINE_DAYS["cancel"][1],
                                                                      DECLINE_DAYS["lapse"][1]))
    # Early leavers (first weeks) fade fast: the decline is scaled down with short tenure.
    scale = np.minimum(1.0, (tenure + 5.0) / 35.0)
    length = np.maximum(2, np.round((lo + (hi - lo) * u) * scale)).astype(np.int64)
    return will_churn, reason, length


def _return_gap(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days from a churn to the user's return (INF_DAY for the half who never come back)."""
    comes_back = rng.random(n) < RETURN_SHARE
    gap = np.maximum(RETURN_MIN_GAP_DAYS, np.round(rng.lognormal(np.log(RETURN_MEDIAN_DAYS), RETURN_SIGMA, n)))
    return np.where(comes_back, gap, INF_DAY).astype(np.int64)


def _exponent(pop: Population, rows: np.ndarray, lifetimes: np.ndarray) -> np.ndarray:
    return pop.hazard_exponent[rows] * RETURN_HAZARD_FACTOR ** np.minimum(lifetimes, 2)


class LifecycleState:
    """Per-user lifecycle state of one shard (arrays aligned on the population)."""

    #: The fields :func:`initial_state` sets (``cause`` and ``decline_cause`` stay zero
    #: until run day 0): what a pre-built people file stores.
    STORED: tuple[str, ...] = ("status", "clock", "lifetimes", "onset", "decline_day", "end_day",
                               "will_churn", "reason", "return_day")

    def __init__(self, n: int) -> None:
        self.status = np.full(n, NOT_YET, dtype=np.int8)
        self.clock = np.zeros(n, dtype=np.int64)        # first day of the current lifetime
        self.lifetimes = np.zeros(n, dtype=np.int64)    # earlier lifetimes (returns so far)
        self.onset = np.full(n, INF_DAY, dtype=np.int64)
        self.cause = np.zeros(n, dtype=np.int8)         # trigger that set the pending onset
        self.decline_day = np.full(n, INF_DAY, dtype=np.int64)
        self.end_day = np.full(n, INF_DAY, dtype=np.int64)
        self.will_churn = np.zeros(n, dtype=bool)
        self.reason = np.zeros(n, dtype=np.int8)
        self.decline_cause = np.zeros(n, dtype=np.int8)
        self.return_day = np.full(n, INF_DAY, dtype=np.int64)
        self._signup = np.zeros(n, dtype=np.int64)      # sign-up day (the population's)

    def next_event(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Day of each user's next transition."""
        s = self.status[rows]
        return np.select([s == SUBSCRIBED, s == DECLINING, s == CHURNED, s == NOT_YET],
                         [self.onset[rows], self.end_day[rows], self.return_day[rows], self._signup[rows]],
                         INF_DAY)


def initial_state(seed: int, shard: int, pop: Population) -> LifecycleState:
    """State just before run day 0: every lifetime event of the history applied."""
    rng = rng_for(seed, Stream.LIFECYCLE_INIT, shard)
    n = pop.n
    st = LifecycleState(n)
    st._signup = pop.signup_day.astype(np.int64)
    st.clock[:] = st._signup
    st.onset[:] = _onset(rng, st.clock, pop.hazard_exponent)
    st.status[st._signup < 0] = SUBSCRIBED
    todo = np.flatnonzero(st._signup < 0)
    while len(todo):
        # Subscribed at the start: the next onset is in the window or later.
        todo = todo[st.onset[todo] < 0]
        if not len(todo):
            break
        will_churn, reason, length = _decline(rng, pop.segment[todo], (st.onset[todo] - st.clock[todo]).astype(float))
        st.status[todo] = DECLINING
        st.decline_day[todo] = st.onset[todo]
        st.end_day[todo] = st.onset[todo] + length
        st.will_churn[todo], st.reason[todo] = will_churn, reason
        todo = todo[st.end_day[todo] < 0]          # still declining at the start otherwise
        recovered = todo[~st.will_churn[todo]]
        if len(recovered):
            st.status[recovered] = SUBSCRIBED
            tenure = (st.end_day[recovered] - st.clock[recovered]).astype(float)
            st.onset[recovered] = _onset(rng, st.clock[recovered],
                                         _exponent(pop, recovered, st.lifetimes[recovered]), tenure)
        churned = todo[st.will_churn[todo]]
        if len(churned):
            st.status[churned] = CHURNED
            st.return_day[churned] = st.end_day[churned] + _return_gap(rng, len(churned))
            back = churned[st.return_day[churned] < 0]
            st.status[back] = SUBSCRIBED
            st.clock[back] = st.return_day[back]
            st.lifetimes[back] += 1
            st.onset[back] = _onset(rng, st.clock[back], _exponent(pop, back, st.lifetimes[back]))
        else:
            back = churned
        todo = np.sort(np.concatenate([recovered, back]))
    return st


def simulate_activity(seed: int, shard: int, pop: Population, days: int, start_date: dt.date,
                      cal: ServiceCalendar, state: LifecycleState | None = None) -> Activity:
    """Run the lifecycle of every user of the shard through the run days.

    ``state`` is the shard's :func:`initial_state` when already known (a pre-built people
    file); it is advanced in place. May add plan downgrades to ``pop``
    (``plan_change_ms``/``plan1``): call it before the user change records are built.
    """
    n = pop.n
    st = initial_state(seed, shard, pop) if state is None else state
    state_at_start = st.status.copy()
    start_ms = int(np.datetime64(start_date, "ms").astype(np.int64))
    end_ms = start_ms + days * DAY_MS
    truth_churn = np.full(n, -1, dtype=np.int32)
    truth_reason = np.full(n, -1, dtype=np.int8)
    truth_trigger = np.zeros(n, dtype=np.int8)
    truth_decline = np.full(n, -1, dtype=np.int32)
    truth_return = np.full(n, -1, dtype=np.int32)
    churn_count = np.zeros(n, dtype=np.int16)
    deletion_day = np.where(pop.deletion_ms == NEVER, INF_DAY, (pop.deletion_ms - start_ms) // DAY_MS)
    plan_day = np.where(pop.plan_change_ms == NEVER, INF_DAY, (pop.plan_change_ms - start_ms) // DAY_MS)
    incident_until = np.full(n, -1, dtype=np.int64)
    weekday0 = start_date.weekday()
    next_day = st.next_event()

    # Yesterday's state for the habit term: the stationary draw around today's propensity.
    init = rng_for(seed, Stream.LIFECYCLE_INIT, shard, 1)
    alive0 = (st.status == SUBSCRIBED) | (st.status == DECLINING)
    prev_active = alive0 & (init.random(n) < pop.engagement)

    users_by_day, fade_by_day, incident_by_day = [], [], []
    for d in range(days):
        rng = rng_for(seed, Stream.LIFECYCLE, shard, d)
        # Deletion requests end the account for good.
        gone = np.flatnonzero((deletion_day == d) & (st.status != DELETED))
        if len(gone):
            first = gone[(truth_churn[gone] < 0) & (st.status[gone] != CHURNED)]
            truth_churn[first], truth_reason[first] = d, 2
            churn_count[gone[st.status[gone] != CHURNED]] += 1
            st.status[gone] = DELETED
            next_day[gone] = INF_DAY
        for _ in range(4):  # a transition may make another due the same day (e.g. sign-up -> onset)
            due = np.flatnonzero(next_day == d)
            if not len(due):
                break
            s = st.status[due]
            joined = due[s == NOT_YET]
            st.status[joined] = SUBSCRIBED
            back = due[s == CHURNED]
            if len(back):
                st.status[back] = SUBSCRIBED
                st.clock[back] = d
                st.lifetimes[back] += 1
                st.cause[back] = 0
                st.onset[back] = _onset(rng, st.clock[back], _exponent(pop, back, st.lifetimes[back]))
                truth_return[back[truth_return[back] < 0]] = d
            ending = due[s == DECLINING]
            if len(ending):
                leave = ending[st.will_churn[ending]]
                first = leave[truth_churn[leave] < 0]
                truth_churn[first] = d
                truth_reason[first] = st.reason[first]
                truth_trigger[first] = st.decline_cause[first]
                truth_decline[first] = st.decline_day[first]
                churn_count[leave] += 1
                st.status[leave] = CHURNED
                st.return_day[leave] = d + _return_gap(rng, len(leave))
                stay = ending[~st.will_churn[ending]]
                st.status[stay] = SUBSCRIBED
                st.cause[stay] = 0
                st.onset[stay] = _onset(rng, st.clock[stay], _exponent(pop, stay, st.lifetimes[stay]),
                                        (d - st.clock[stay]).astype(float))
            starting = due[s == SUBSCRIBED]
            if len(starting):
                will_churn, reason, length = _decline(rng, pop.segment[starting],
                                                      (d - st.clock[starting]).astype(float))
                st.status[starting] = DECLINING
                st.decline_day[starting] = d
                st.end_day[starting] = d + length
                st.will_churn[starting], st.reason[starting] = will_churn, reason
                st.decline_cause[starting] = st.cause[starting]
                _downgrades(rng, pop, starting[will_churn & (reason == 0)], d, length[will_churn & (reason == 0)],
                            start_ms, end_ms)
            next_day[due] = st.next_event(due)

        # Activity ---------------------------------------------------------------------
        alive = (st.status == SUBSCRIBED) | (st.status == DECLINING)
        p = pop.engagement * WEEKDAY_ACTIVITY[pop.segment, (weekday0 + d) % 7] * cal.viewing_lift[d]
        tenure = d - st.clock
        young = np.flatnonzero(alive & (tenure < 28))
        p[young] *= 1.0 + HONEYMOON_LIFT * np.exp(-tenure[young] / HONEYMOON_DAYS)
        fading = np.flatnonzero(st.status == DECLINING)
        progress = (d - st.decline_day[fading]) / (st.end_day[fading] - st.decline_day[fading])
        cancel = (st.reason[fading] == 0) & st.will_churn[fading]
        p[fading] *= np.where(cancel, 1.0 - 0.7 * progress, (1.0 - progress) ** 1.5)
        p = np.where(alive, np.minimum(p, 0.995), 0.0)
        prob = np.where(prev_active, p + HABIT * (1.0 - p), p * (1.0 - HABIT))
        u = rng.random(n)
        active = u < prob
        joined_today = np.flatnonzero(st._signup == d)
        active[joined_today] = alive[joined_today] & (u[joined_today] < SIGNUP_DAY_ACTIVE)
        rows = np.flatnonzero(active)

        # Playback-quality incidents and what they (and plan changes) set off -------------
        ongoing = incident_until[rows] >= d
        fresh = ~ongoing & (rng.random(len(rows)) < INCIDENT_RATE * pop.net_quality[rows] ** 1.5)
        incident_until[rows[fresh]] = d + rng.integers(INCIDENT_DAYS[0], INCIDENT_DAYS[1] + 1, int(fresh.sum())) - 1
        incident = ongoing | fresh
        hit = rows[incident & (st.status[rows] == SUBSCRIBED)]
        _trigger(rng, st, next_day, hit, d, QOE_TRIGGER_SHARE, QOE_TRIGGER_DELAY, 1)
        changed = np.flatnonzero((plan_day == d) & (st.status == SUBSCRIBED))
        _trigger(rng, st, next_day, changed, d, PLAN_TRIGGER_SHARE, PLAN_TRIGGER_DELAY, 2)

        fade = np.ones(len(rows))
        dec = st.status[rows] == DECLINING
        r = rows[dec]
        fade[dec] = 1.0 - 0.5 * (d - st.decline_day[r]) / (st.end_day[r] - st.decline_day[r])
        users_by_day.append(rows)
        fade_by_day.append(fade)
        incident_by_day.append(incident)
        prev_active = active
    return Activity(users_by_day, fade_by_day, incident_by_day, truth_churn, truth_reason, truth_trigger,
                    truth_decline, truth_return, churn_count, state_at_start)


def _trigger(rng: np.random.Generator, st: LifecycleState, next_day: np.ndarray, rows: np.ndarray, d: int,
             share: float, delay: tuple[int, int], cause: int) -> None:
    """With probability ``share``, pull the decline onset of ``rows`` forward to d + delay."""
    if not len(rows):
        return
    hit = rows[rng.random(len(rows)) < share]
    when = d + rng.integers(delay[0], delay[1] + 1, len(hit))
    sooner = when < st.onset[hit]
    hit, when = hit[sooner], when[sooner]
    st.onset[hit] = when
    st.cause[hit] = cause
    next_day[hit] = when


def _downgrades(rng: np.random.Generator, pop: Population, rows: np.ndarray, d: int, length: np.ndarray,
                start_ms: int, end_ms: int) -> None:
    """Some cancellers move to a cheaper plan a few days into their decline (a plan change record)."""
    if not len(rows):
        return
    u = rng.random(len(rows))
    at = start_ms + d * DAY_MS + (rng.random(len(rows)) * np.maximum(length, 1) * 0.5 * DAY_MS).astype(np.int64)
    at = np.maximum(at, pop.signup_ms[rows] + 3_600_000)
    ok = ((u < DOWNGRADE_SHARE) & (pop.plan0[rows] > 0) & (pop.plan_change_ms[rows] == NEVER)
          & (at < pop.deletion_ms[rows]) & (at < end_ms))
    rows, at = rows[ok], at[ok]
    pop.plan_change_ms[rows] = at
    pop.plan1[rows] = pop.plan0[rows] - 1
