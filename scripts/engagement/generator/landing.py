"""Landing-zone layout: partition paths, flush slots, atomic writes, manifest names.

Files are written to a temporary sibling named ``.<name>.tmp`` (never matched by
``*.jsonl.gz`` / ``*.parquet`` globs) and moved into place with ``os.replace``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .render import gzip_chunks

MINUTE_MS = 60_000


def ms_to_datetime(ms: int) -> dt.datetime:
    """Epoch milliseconds -> aware UTC datetime."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=int(ms))


def extension(fmt: str) -> str:
    """File extension for a landing format."""
    return "jsonl.gz" if fmt == "jsonl" else "parquet"


def view_event_path(slot_start_ms: int, shard: int, fmt: str) -> str:
    """Relative path of the view-event file of a flush slot and shard."""
    t = ms_to_datetime(slot_start_ms)
    return (f"view_events/ingest_date={t:%Y-%m-%d}/ingest_hour={t:%H}/"
            f"part-{shard:04d}-{t:%M}.{extension(fmt)}")


def user_path(slot_start_ms: int, shard: int, fmt: str) -> str:
    """Relative path of the user-change file of a flush slot and shard.

    One file per (ingest date, flush slot, shard); the slot's ``HHMM`` is part of the
    file name so that any window aligned to the flush interval writes whole files.
    """
    t = ms_to_datetime(slot_start_ms)
    return f"users/ingest_date={t:%Y-%m-%d}/part-{shard:04d}-{t:%H%M}.{extension(fmt)}"


def media_path(fmt: str) -> str:
    """Relative path of the catalog file."""
    return f"media/part-0000.{extension(fmt)}"


def window_label(ms: int | None, default: str) -> str:
    """Compact window bound for manifest names: ``20260105T0000Z`` or start/end."""
    return default if ms is None else f"{ms_to_datetime(ms):%Y%m%dT%H%MZ}"


def atomic_write(root: Path, rel: str, data: bytes) -> None:
    """Write ``data`` to ``root/rel`` via a hidden temp file and ``os.replace``."""
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)


def write_text_gz(root: Path, rel: str, body, level: int = 1) -> None:
    """Gzip ``body`` (bytes, or a list of buffers to concatenate) deterministically and
    write it atomically; compressed chunks are streamed to the file."""
    parts = [body] if isinstance(body, (bytes, bytearray, memoryview)) else body
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp"
    with open(tmp, "wb") as fh:
        for chunk in gzip_chunks(parts, level):
            fh.write(chunk)
    os.replace(tmp, target)


# Dictionary encoding pays off only where values repeat; on UUIDs and timestamps it
# costs writer time and is abandoned by the writer anyway.
LOW_CARDINALITY_COLUMNS = frozenset({
    "event_type", "platform", "country", "city", "app_version", "drm_system",
    "sign_up_country", "plan", "change_type", "genre", "kind", "series_title",
})
# Random UUID text: snappy finds little to match in it (40 -> 32.5-35.5 bytes a value) and
# was the most expensive part of the event write. Stored uncompressed and without the
# 4-byte length before each value (DELTA_LENGTH_BYTE_ARRAY: the lengths, all 36, are
# delta-coded) it takes 36 bytes: the event write ~20 % cheaper for ~3 % more bytes a line.
# The values read back the same (DuckDB, which the ingest uses, and pyarrow read the encoding).
RANDOM_TEXT_COLUMNS = frozenset({"event_id", "session_id"})


def _parquet_options(table: pa.Table) -> dict:
    names = table.column_names
    options = {
        "compression": "snappy",
        "write_statistics": True,
        "use_dictionary": [name for name in names if name in LOW_CARDINALITY_COLUMNS],
    }
    if any(pa.types.is_dictionary(field.type) for field in table.schema):
        # Dictionary arrays (render.event_table, render.user_columns) are written as the
        # same Parquet string columns; without the Arrow schema in the footer they read
        # back as plain strings, as before (every other column's type is Parquet's own).
        options["store_schema"] = False
    random_text = [name for name in names if name in RANDOM_TEXT_COLUMNS]
    if random_text:
        options["compression"] = {name: "none" if name in RANDOM_TEXT_COLUMNS else "snappy" for name in names}
        options["column_encoding"] = {name: "DELTA_LENGTH_BYTE_ARRAY" for name in random_text}
    return options


def parquet_bytes(table: pa.Table) -> bytes:
    """Serialise a table to Parquet bytes (deterministic; the options of ``write_parquet``)."""
    sink = io.BytesIO()
    pq.write_table(table, sink, **_parquet_options(table))
    return sink.getvalue()


def write_parquet(root: Path, rel: str, table: pa.Table) -> None:
    """Write ``table`` as Parquet (same bytes as ``parquet_bytes``) straight to a hidden
    temp file (native writes, no in-memory copy), then move it into place.

    The directory is created only when opening the file finds it missing (a file's
    fixed cost matters: a seed-scale day writes ~27,000 of them)."""
    target = root / rel
    tmp = target.parent / f".{target.name}.tmp"
    try:
        sink = pa.OSFile(str(tmp), "wb")
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        sink = pa.OSFile(str(tmp), "wb")
    with sink:
        pq.write_table(table, sink, **_parquet_options(table))
    os.replace(tmp, target)


def write_json(root: Path, rel: str, obj: object) -> None:
    """Deterministic pretty JSON (sorted keys), written atomically."""
    atomic_write(root, rel, (json.dumps(obj, sort_keys=True, indent=1) + "\n").encode())
