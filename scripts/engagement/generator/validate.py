"""Read a landing directory back and classify view-event rows (used by tests/benchmarks).

The classifier applies the downstream rules in a fixed order, so it doubles as an
executable definition of the fault categories:

1. not parseable as a JSON object                         -> malformed
2. event_id or user_id null                               -> null_key
3. event_type not playback/preview                        -> unknown_event_type
4. lower(platform) not web/mobile/tv                      -> unknown_platform
5. end_timestamp < start_timestamp                        -> end_before_start
6. end - start > 24 h                                     -> over_24h
7. start_timestamp > ingested_at + 5 min                  -> future_timestamp
8. ingested_at >= start_timestamp + 72 h                  -> too_late
9. event_id already seen with an earlier ingested_at      -> duplicate
10. otherwise                                             -> valid
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq

EVENT_KEYS: tuple[str, ...] = (
    "event_id", "session_id", "user_id", "media_id", "event_type", "start_timestamp",
    "end_timestamp", "position_start_seconds", "position_end_seconds", "platform", "country",
    "city", "device_id", "app_version", "startup_ms", "rebuffer_count", "rebuffer_ms", "ingested_at",
)
USER_KEYS: tuple[str, ...] = (
    "user_id", "email", "age", "sign_up_date", "sign_up_country", "country", "city", "plan",
    "change_type", "is_deletion_request", "updated_at", "ingested_at",
)
MEDIA_KEYS: tuple[str, ...] = (
    "media_id", "title", "genre", "kind", "series_id", "series_title", "season_number",
    "episode_number", "duration_seconds", "release_date", "popularity",
)
H = dt.timedelta(hours=1)


def parse_ts(text: str) -> dt.datetime:
    """ISO-8601 with ``Z`` or ``±HH:MM`` -> aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_lines(path: Path) -> list[str]:
    """Lines of a ``.jsonl.gz`` file (without newlines)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as fh:
        return fh.read().split("\n")[:-1]


def read_records(path: Path) -> list[dict | None]:
    """Records of a landing file (JSONL: None for unparseable lines; Parquet rows)."""
    if path.name.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    out: list[dict | None] = []
    for line in read_lines(path):
        try:
            rec = json.loads(line)
            out.append(rec if isinstance(rec, dict) else None)
        except ValueError:
            out.append(None)
    return out


def event_files(root: Path) -> list[Path]:
    """All view-event files, sorted by relative path."""
    root = Path(root)
    return sorted(list(root.glob("view_events/*/*/*.jsonl.gz")) + list(root.glob("view_events/*/*/*.parquet")))


def classify(rec: dict | None, seen: dict[str, dt.datetime]) -> str:
    """Category of one row (see module docstring); ``seen`` tracks first arrivals."""
    if rec is None:
        return "malformed"
    if rec.get("event_id") is None or rec.get("user_id") is None:
        return "null_key"
    if rec["event_type"] not in ("playback", "preview"):
        return "unknown_event_type"
    if str(rec["platform"]).lower() not in ("web", "mobile", "tv"):
        return "unknown_platform"
    start, end, ing = (parse_ts(rec[k]) for k in ("start_timestamp", "end_timestamp", "ingested_at"))
    if end < start:
        return "end_before_start"
    if end - start > 24 * H:
        return "over_24h"
    if start > ing + dt.timedelta(minutes=5):
        return "future_timestamp"
    if ing >= start + 72 * H:
        return "too_late"
    first = seen.get(rec["event_id"])
    if first is not None and first < ing:
        return "duplicate"
    seen[rec["event_id"]] = ing if first is None else min(first, ing)
    return "valid"


def iter_event_rows(root: Path) -> Iterator[tuple[str, dict | None]]:
    """(relative path, record) for every view-event row, files in path order."""
    root = Path(root)
    for path in event_files(root):
        rel = path.relative_to(root).as_posix()
        for rec in read_records(path):
            yield rel, rec


def classify_tree(root: Path) -> dict[str, Counter]:
    """Per-file category counts for a landing tree (rows sorted by ingested_at first)."""
    rows = list(iter_event_rows(root))
    order = sorted(range(len(rows)), key=lambda i: (rows[i][1] or {}).get("ingested_at") or "")
    seen: dict[str, dt.datetime] = {}
    out: dict[str, Counter] = {}
    for i in order:
        rel, rec = rows[i]
        out.setdefault(rel, Counter())[classify(rec, seen)] += 1
    return out


def normalised(rec: dict) -> tuple:
    """A valid event with offsets resolved to UTC instants and platform lower-cased."""
    return (rec["event_id"], rec["session_id"], rec["user_id"], rec["media_id"], rec["event_type"],
            parse_ts(rec["start_timestamp"]), parse_ts(rec["end_timestamp"]),
            rec["position_start_seconds"], rec["position_end_seconds"], rec["platform"].lower(),
            rec["country"], rec["city"], rec["device_id"], rec["app_version"], rec["startup_ms"],
            rec["rebuffer_count"], rec["rebuffer_ms"], parse_ts(rec["ingested_at"]))
