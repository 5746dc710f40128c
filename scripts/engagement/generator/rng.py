"""Independent, reproducible random streams.

Every random draw comes from ``numpy.random.Generator(PCG64(SeedSequence(key)))`` where
``key = [seed, stream, *coordinates]``: one stream per purpose and per coordinate
(shard, day, ...). Streams are never derived by adding small integers to a seed, so
changing one purpose (e.g. turning faults on) never shifts another one.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Purpose identifiers mixed into every SeedSequence key."""

    POOLS = 101
    CATALOG = 102
    USERS = 103
    USER_CHANGES = 104
    ACTIVITY = 105
    SESSIONS = 106
    EVENTS = 107
    ARRIVALS = 108
    IDS = 109
    ACTIVITY_INIT = 110
    CALENDAR = 111
    LIFECYCLE = 112
    LIFECYCLE_INIT = 113
    FAULTS = 201
    FAULT_IDS = 202


def rng_for(seed: int, stream: Stream, *coords: int) -> np.random.Generator:
    """Return the generator for ``(seed, stream, *coords)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(stream), *map(int, coords)])))


def splitmix64(x: np.ndarray) -> np.ndarray:
    """Vectorised SplitMix64 finaliser: a stateless 64-bit hash of ``x`` (uint64)."""
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def random_uuid4(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` random version-4 UUIDs as (high, low) uint64 halves."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype="<u8").reshape(n, 2) if n else np.zeros((0, 2), np.uint64)
    hi = (raw[:, 0] & np.uint64(0xFFFFFFFFFFFF0FFF)) | np.uint64(0x4000)
    lo = (raw[:, 1] & np.uint64(0x3FFFFFFFFFFFFFFF)) | np.uint64(0x8000000000000000)
    return hi, lo
