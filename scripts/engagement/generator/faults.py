"""Data-quality faults injected with ``--faults default`` (``none`` writes only valid events).

Fault rows come from their own random streams (``Stream.FAULTS``/``FAULT_IDS`` per shard
and day) and are *added* to the valid events, so the valid events of a seed are the
same with or without faults. Every fault row belongs to exactly one category; invalid
rows otherwise look plausible (fresh UUID event_id, real user/media ids).

Rates are relative to the number of valid events.

======================  =======  ========================================================
category                rate     what the row looks like
======================  =======  ========================================================
duplicate               1%       a valid event redelivered: same fields, ingested_at
                                 later by 1 ms .. 3 h (still < start + 72 h)
malformed               0.05%    extra line that is not JSON (truncated line or garbage);
                                 JSONL only (Parquet: 0)
null_key                0.05%    extra record with ``"user_id":null`` or ``"event_id":null``
end_before_start        0.02%    end_timestamp 1 s .. 1 h before start_timestamp
over_24h                0.01%    end - start between 24 h 1 min and 40 h
unknown_platform        0.02%    platform ``smart_fridge`` or ``ps5``
unknown_event_type      0.02%    event_type ``heartbeat`` or ``ad_impression``
future_timestamp        0.02%    start_timestamp 1 .. 48 h after ingested_at (bad clock)
too_late                0.02%    ingested_at 73 .. 100 h after start_timestamp
non_utc_offset          2%       of VALID events: start/end rendered with a non-UTC
                                 offset (``+05:30``, ``-03:00`` ...), same instant
platform_case           1%       of VALID events: platform as ``TV``/``Mobile``/``WEB``
schema_drift            all      records ingested on day index >= ceil(D/2) carry a
                                 trailing ``"drm_system"`` field
======================  =======  ========================================================
"""

from __future__ import annotations

import numpy as np

from .behaviour import HOUR_MS, take_rows
from .rng import Stream, random_uuid4, rng_for

#: Injected fault rates (fraction of valid events); copy into the README as needed.
FAULT_RATES: dict[str, float] = {
    "duplicate": 0.01,
    "malformed": 0.0005,
    "null_key": 0.0005,
    "end_before_start": 0.0002,
    "over_24h": 0.0001,
    "unknown_platform": 0.0002,
    "unknown_event_type": 0.0002,
    "future_timestamp": 0.0002,
    "too_late": 0.0002,
    "non_utc_offset": 0.02,
    "platform_case": 0.01,
}
SCHEMA_DRIFT_RULE = "records with ingested_at on day index >= ceil(days/2) carry a trailing drm_system field"

#: Row categories; the code stored in a batch's ``fault`` column is the index.
CATEGORIES: tuple[str, ...] = ("valid", "duplicate", "malformed", "null_key", "end_before_start",
                               "over_24h", "unknown_platform", "unknown_event_type",
                               "future_timestamp", "too_late")
#: Sub-counts of valid rows (rendering variants).
VALID_VARIANTS: tuple[str, ...] = ("non_utc_offset", "platform_case", "schema_drift")
CODE = {name: i for i, name in enumerate(CATEGORIES)}
NON_UTC_OFFSETS_MIN = np.array([330, -180, 540, -300, 60, 120, -480, 345, 600, -210], dtype=np.int16)
DRM_SYSTEMS: tuple[str, ...] = ("widevine", "fairplay", "playready")
LATENESS_LIMIT_MS = 72 * HOUR_MS


def inject_faults(batch: dict[str, np.ndarray], seed: int, shard: int, day: int) -> dict[str, np.ndarray]:
    """Return ``batch`` (valid events of one shard-day) plus fault rows and variant flags."""
    frng = rng_for(seed, Stream.FAULTS, shard, day)
    idrng = rng_for(seed, Stream.FAULT_IDS, shard, day)
    n = len(batch["ingested"])
    out = dict(batch)
    if n == 0:
        return out
    tz_mask = frng.random(n) < FAULT_RATES["non_utc_offset"]
    out["tzoff"] = np.where(tz_mask, frng.choice(NON_UTC_OFFSETS_MIN, n), 0).astype(np.int16)
    case_mask = frng.random(n) < FAULT_RATES["platform_case"]
    out["pcase"] = np.where(case_mask, frng.integers(1, 3, n), 0).astype(np.int8)
    pieces = [out]

    k = int(frng.binomial(n, FAULT_RATES["duplicate"]))
    dup = take_rows(out, np.sort(frng.choice(n, k, replace=False)))
    extra = np.clip(frng.lognormal(np.log(120_000.0), 1.6, k), 1, 3 * HOUR_MS).astype(np.int64)
    dup["ingested"] = np.minimum(dup["ingested"] + extra, dup["start"] + LATENESS_LIMIT_MS - 1)
    dup["fault"] = np.full(k, CODE["duplicate"], np.int8)
    pieces.append(dup)

    for name in CATEGORIES[2:]:
        k = int(frng.binomial(n, FAULT_RATES[name]))
        if k == 0:
            continue
        t = take_rows(batch, frng.integers(0, n, k))
        t["eid_hi"], t["eid_lo"] = random_uuid4(idrng, k)
        t["fault"] = np.full(k, CODE[name], np.int8)
        span = t["end"] - t["start"]
        if name == "malformed":
            t["malformed"] = frng.integers(1, 3, k).astype(np.int8)
        elif name == "null_key":
            t["nullkey"] = frng.integers(1, 3, k).astype(np.int8)
        elif name == "end_before_start":
            t["end"] = t["start"] - frng.integers(1_000, HOUR_MS, k)
        elif name == "over_24h":
            t["end"] = t["start"] + frng.integers(24 * HOUR_MS + 60_000, 40 * HOUR_MS, k)
            t["ingested"] = t["end"] + frng.integers(1_000, 120_000, k)
        elif name == "unknown_platform":
            t["platform"] = frng.integers(3, 5, k).astype(np.int8)
        elif name == "unknown_event_type":
            t["etype"] = frng.integers(2, 4, k).astype(np.int8)
        elif name == "future_timestamp":
            t["start"] = t["ingested"] + frng.integers(HOUR_MS, 48 * HOUR_MS, k)
            t["end"] = t["start"] + span
        elif name == "too_late":
            t["ingested"] = t["start"] + frng.integers(73 * HOUR_MS, 100 * HOUR_MS, k)
        pieces.append(t)
    return {key: np.concatenate([p[key] for p in pieces]) for key in out}
