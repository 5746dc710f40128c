"""Where landed files are, what they hold, and where the ingest step puts its output.

The landing zone belongs to the sink (the generator, or the Kafka sink): files appear
atomically under arrival-time partitions and are never rewritten. The ingest step reads
each file once and writes *ingest batches* beside it::

    <landing>/view_events/ingest_date=YYYY-MM-DD/ingest_hour=HH/<name>.jsonl.gz|.jsonl|.parquet
    <landing>/users/ingest_date=YYYY-MM-DD/<name>.jsonl.gz|...
    <landing>/media/<name>.jsonl.gz|...
    <ingest>/batches/ingest_batch_id=000012/view_events.parquet   one row per landed line
                                           /users.parquet         one row per change record
                                           /media.parquet         one row per catalog record
                                           /files.parquet         the file manifest: one row per file seen
                                           /_batch.json           what the batch is (counts, key fingerprint)

A batch directory appears in one rename, so a reader sees a batch whole or not at all.
Every declared field is kept as text, exactly as it landed (numbers as their JSON text):
staging casts and validates, and rejects what does not cast with a reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

#: Declared fields of each landing kind, in order. Any other field is ignored (schema drift).
FIELDS: dict[str, tuple[str, ...]] = {
    "view_events": (
        "event_id", "session_id", "user_id", "media_id", "event_type", "start_timestamp",
        "end_timestamp", "position_start_seconds", "position_end_seconds", "platform", "country",
        "city", "device_id", "app_version", "startup_ms", "rebuffer_count", "rebuffer_ms",
        "ingested_at",
    ),
    "users": (
        "user_id", "email", "age", "sign_up_date", "sign_up_country", "country", "city", "plan",
        "change_type", "is_deletion_request", "updated_at", "ingested_at",
    ),
    "media": (
        "media_id", "title", "genre", "kind", "series_id", "series_title", "season_number",
        "episode_number", "duration_seconds", "release_date", "popularity",
    ),
}
#: Fields replaced by a keyed hash at ingest: the plaintext never reaches the warehouse.
HASHED_FIELDS: dict[str, dict[str, str]] = {"users": {"email": "email_hash"}}

FORMATS = {".jsonl.gz": "jsonl.gz", ".jsonl": "jsonl", ".parquet": "parquet"}

_PARTITION = {
    "view_events": re.compile(r"^view_events/ingest_date=(\d{4}-\d{2}-\d{2})/ingest_hour=(\d{2})/[^/]+$"),
    "users": re.compile(r"^users/ingest_date=(\d{4}-\d{2}-\d{2})/[^/]+$"),
    "media": re.compile(r"^media/[^/]+$"),
}


@dataclass(frozen=True)
class LandedFile:
    """One file of the landing zone, as the path names it."""

    path: str                        # relative to the landing root, '/'-separated
    kind: str | None                 # view_events, users, media; None: not a landing file
    file_format: str | None          # jsonl.gz, jsonl, parquet; None: unknown extension
    arrival_start: dt.datetime | None  # start of the arrival partition (UTC, naive)
    arrival_hours: int               # length of the arrival partition (1 for view events)
    problem: str | None = None       # why the path is not a valid landing path

    @property
    def arrival_end(self) -> dt.datetime | None:
        """End of the arrival partition (exclusive)."""
        if self.arrival_start is None:
            return None
        return self.arrival_start + dt.timedelta(hours=self.arrival_hours)


def classify_path(path: str) -> LandedFile:
    """What a relative landing path holds; ``problem`` says why it cannot be ingested."""
    kind = PurePosixPath(path).parts[0] if "/" in path else None
    file_format = next((fmt for suffix, fmt in FORMATS.items() if path.endswith(suffix)), None)
    if kind not in _PARTITION:
        return LandedFile(path, None, file_format, None, 0, "unexpected_path")
    match = _PARTITION[kind].match(path)
    if match is None:
        return LandedFile(path, kind, file_format, None, 0, "unexpected_path")
    if file_format is None:
        return LandedFile(path, kind, None, None, 0, "unexpected_file_type")
    start, hours = None, 0
    try:
        if kind == "view_events":
            start = dt.datetime.fromisoformat(match.group(1)) + dt.timedelta(hours=int(match.group(2)))
            hours = 1
            if int(match.group(2)) > 23:
                raise ValueError(match.group(2))
        elif kind == "users":
            start, hours = dt.datetime.fromisoformat(match.group(1)), 24
    except ValueError:
        return LandedFile(path, kind, file_format, None, 0, "invalid_partition")
    return LandedFile(path, kind, file_format, start, hours)


def is_in_flight(name: str) -> bool:
    """A sink's temporary file (hidden, or ``.tmp``/``.part``): not landed yet, never read."""
    return name.startswith(".") or name.startswith("_") or name.endswith((".tmp", ".part"))


def batch_dir_name(batch_id: int) -> str:
    """Directory of an ingest batch (zero-padded so listings sort by id)."""
    return f"ingest_batch_id={batch_id:06d}"


#: The ingest step's folder inside the landing root (dbt's sources read it relative to the root).
INGEST_SUBDIR = "_ingest"


def ingest_dir_of(landing_dir) -> "Path":
    """Where the ingest batches of a landing zone live: ``<landing>/_ingest``."""
    from pathlib import Path

    return Path(landing_dir) / INGEST_SUBDIR
