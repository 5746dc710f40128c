"""One ingest run: find the landing files not seen yet, read each once, commit one batch.

    summary = ingest(IngestConfig(landing_dir=..., ingest_dir=...))

What happens to a file:

===================================  ===========================================================
the file                             outcome (``files.parquet`` row, and its lines)
===================================  ===========================================================
new, readable                        ``loaded``; every line becomes a row (unparseable lines keep
                                     their raw text and the reason ``malformed``)
new, damaged (empty, not gzip,       ``quarantined`` with the reason; the lines that can still be
truncated or corrupt gzip, invalid   read become rows, each unusable line a row with its reason
UTF-8, a line over 2,000,000 bytes,
unreadable Parquet)
not a landing path / unknown type    ``quarantined`` (``unexpected_path``, ``unexpected_file_type``)
arrival partition in the future      ``deferred``: not read now, retried on every run
already seen, same content           nothing (idempotent reruns; a touched file is re-hashed only)
already seen, different content      ``loaded`` as version n+1 (its events dedupe in staging)
===================================  ===========================================================
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from engagement.ingest import convert, hashing
from engagement.ingest.decode import decode_lines
from engagement.ingest.layout import FIELDS, LandedFile, classify_path, is_in_flight
from engagement.ingest.manifest import IngestStore, SeenFile

#: Decoded JSON text held in memory before a part file is written (bounds the peak).
CHUNK_BYTES = 512 * 1024 * 1024


class HashKeyChanged(RuntimeError):
    """The hash key differs from the one the previous batches were written with."""


@dataclass
class IngestConfig:
    """Settings of one ingest run."""

    landing_dir: Path
    ingest_dir: Path
    hash_key: bytes
    now: dt.datetime                      # naive UTC: arrival partitions after now + tolerance wait
    future_tolerance: dt.timedelta = dt.timedelta(hours=1)
    chunk_bytes: int = CHUNK_BYTES
    duckdb_threads: int = 2


@dataclass
class BatchSummary:
    """What one run did."""

    batch_id: int | None = None
    files: dict[str, int] = field(default_factory=dict)    # status -> files
    rows: dict[str, int] = field(default_factory=dict)     # kind -> rows written
    reasons: dict[str, int] = field(default_factory=dict)  # quarantine/deferral reason -> files
    newest_arrival: dt.datetime | None = None

    def line(self) -> str:
        """One line for logs."""
        if self.batch_id is None:
            return "ingest: no new landing files"
        files = ", ".join(f"{n} {status}" for status, n in sorted(self.files.items()))
        rows = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self.rows.items()) if n)
        why = "; ".join(f"{reason} x{n}" for reason, n in sorted(self.reasons.items()))
        return f"ingest: batch {self.batch_id}: {files} files; rows {rows or 0}" + (f" ({why})" if why else "")


def _walk(landing: Path) -> list[tuple[str, os.stat_result]]:
    """Every landed (not in-flight) file under the three kinds' folders, sorted by path."""
    found = []
    for kind in FIELDS:
        top = landing / kind
        if not top.is_dir():
            continue
        for directory, subdirs, names in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if not is_in_flight(d))
            for name in names:
                if is_in_flight(name):
                    continue
                full = Path(directory) / name
                found.append((full.relative_to(landing).as_posix(), full.stat()))
    return sorted(found)


def _sha256(path: Path) -> tuple[str, bytes]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), data


@dataclass
class _FileRow:
    landed: LandedFile
    size: int
    modified_ns: int
    sha256: str | None
    version: int
    status: str
    reason: str | None = None
    lines_read: int = 0
    lines_rejected: int = 0


def ingest(cfg: IngestConfig) -> BatchSummary:
    """Run one batch (see the module docstring); returns what it did."""
    store = IngestStore(cfg.ingest_dir)
    with store.locked():
        store.recover()
        fingerprint = hashing.fingerprint(cfg.hash_key)
        previous = store.last_key_fingerprint()
        if previous is not None and previous != fingerprint:
            raise HashKeyChanged(
                f"the hash key differs from the one batches up to {store.batch_ids()[-1]} were written with "
                f"(fingerprint {previous}, now {fingerprint}); restore the key or re-ingest from scratch")
        seen = store.seen_files()
        rows = _plan(cfg, seen)
        summary = BatchSummary()
        if not rows:
            return summary
        batch_id = store.next_batch_id()
        pending = store.start_batch(batch_id)
        con = duckdb.connect(config={"threads": cfg.duckdb_threads, "preserve_insertion_order": False})
        try:
            written = _write_kinds(cfg, con, rows, pending)
            _write_files_table(con, rows, pending, cfg.now)
        finally:
            con.close()
        meta = {"ingest_batch_id": batch_id, "ingested_at": cfg.now.isoformat(),
                "hash_key_fingerprint": fingerprint, "rows": written,
                "files": {s: sum(r.status == s for r in rows) for s in sorted({r.status for r in rows})}}
        (pending / "_batch.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        store.commit(pending)
        summary.batch_id = batch_id
        summary.files = meta["files"]
        summary.rows = written
        for r in rows:
            if r.reason and r.status != "loaded":
                summary.reasons[r.reason] = summary.reasons.get(r.reason, 0) + 1
        arrivals = [r.landed.arrival_start for r in rows if r.status != "deferred" and r.landed.arrival_start]
        summary.newest_arrival = max(arrivals) if arrivals else None
        return summary


def _plan(cfg: IngestConfig, seen: dict[str, SeenFile]) -> list[_FileRow]:
    """The files this batch handles, each with its status (content read later)."""
    rows = []
    for rel, stat in _walk(cfg.landing_dir):
        previous = seen.get(rel)
        if previous is not None and previous.status != "deferred" and \
                previous.size_bytes == stat.st_size and previous.modified_ns == stat.st_mtime_ns:
            continue
        landed = classify_path(rel)
        version = 1 if previous is None else previous.version + (previous.status != "deferred")
        row = _FileRow(landed, stat.st_size, stat.st_mtime_ns, None, version, "loaded")
        if landed.problem:
            if previous is not None:
                continue  # an unexpected path is reported once
            row.status, row.reason = "quarantined", landed.problem
        elif landed.arrival_start is not None and landed.arrival_start > cfg.now + cfg.future_tolerance:
            if previous is not None and previous.status == "deferred" and previous.size_bytes == stat.st_size:
                continue  # still in the future; reported when first seen
            row.status, row.reason, row.version = "deferred", "arrival_in_future", version
        rows.append(row)
    return rows


def _write_kinds(cfg: IngestConfig, con, rows: list[_FileRow], pending: Path) -> dict[str, int]:
    """Read every file to load, kind by kind, into part files; fills in checksums and line counts."""
    pads = hashing.hmac_pads(cfg.hash_key)
    written: dict[str, int] = {}
    for kind in FIELDS:
        todo = [r for r in rows if r.landed.kind == kind and r.status == "loaded"]
        part = 0
        json_rows = [r for r in todo if r.landed.file_format != "parquet"]
        parquet_rows = [r for r in todo if r.landed.file_format == "parquet"]
        # JSON lines: decoded in Python, parsed by DuckDB, in chunks of bounded size.
        chunk, chunk_files, chunk_bytes = convert.LineBatch.empty(), [], 0
        for r in json_rows:
            r.sha256, data = _sha256(cfg.landing_dir / r.landed.path)
            decoded = decode_lines(data, gzipped=r.landed.file_format == "jsonl.gz")
            r.lines_read, r.lines_rejected = decoded.line_count, len(decoded.rejected)
            if decoded.file_status != "ok":
                r.status, r.reason = "quarantined", decoded.file_reason
            elif decoded.rejected:
                r.status, r.reason = "quarantined", decoded.rejected[0][1]
            chunk.add(len(chunk_files), decoded)
            chunk_files.append(r)
            chunk_bytes += len(data) * 4
            if chunk_bytes >= cfg.chunk_bytes:
                written[kind] = written.get(kind, 0) + _flush_json(con, kind, chunk, chunk_files, pending, part, pads)
                part += 1
                chunk, chunk_files, chunk_bytes = convert.LineBatch.empty(), [], 0
        if chunk_files:
            written[kind] = written.get(kind, 0) + _flush_json(con, kind, chunk, chunk_files, pending, part, pads)
            part += 1
        readable = []
        for r in parquet_rows:
            r.sha256 = hashlib.sha256((cfg.landing_dir / r.landed.path).read_bytes()).hexdigest()
            problem = convert.readable_parquet(cfg.landing_dir / r.landed.path)
            if problem:
                r.status, r.reason = "quarantined", problem
            else:
                readable.append(r)
        if readable:
            files = convert.files_table([r.landed for r in readable], [r.version for r in readable])
            out = pending / f"{kind}-{part:05d}.parquet"
            count = convert.write_parquet_files(con, kind, [cfg.landing_dir / r.landed.path for r in readable],
                                                files, out, pads)
            counts = dict(con.execute(f"select file_name, count(*) from '{out}' group by 1").fetchall())
            for r in readable:
                r.lines_read = int(counts.get(r.landed.path, 0))
            written[kind] = written.get(kind, 0) + count
    return written


def _flush_json(con, kind: str, chunk: convert.LineBatch, files: list[_FileRow], pending: Path, part: int,
                pads) -> int:
    table = convert.files_table([r.landed for r in files], [r.version for r in files])
    return convert.write_json_lines(con, kind, chunk, table, pending / f"{kind}-{part:05d}.parquet", pads)


def _write_files_table(con, rows: list[_FileRow], pending: Path, now: dt.datetime) -> None:
    """The batch's part of the file manifest."""
    table = pa.table({
        "file_name": pa.array([r.landed.path for r in rows], pa.string()),
        "file_version": pa.array([r.version for r in rows], pa.int32()),
        "file_kind": pa.array([r.landed.kind for r in rows], pa.string()),
        "file_format": pa.array([r.landed.file_format for r in rows], pa.string()),
        "ingest_date": pa.array([r.landed.arrival_start.date() if r.landed.arrival_start else None
                                 for r in rows], pa.date32()),
        "ingest_hour": pa.array([r.landed.arrival_start.hour if r.landed.kind == "view_events"
                                 and r.landed.arrival_start else None for r in rows], pa.int32()),
        "size_bytes": pa.array([r.size for r in rows], pa.int64()),
        "modified_ns": pa.array([r.modified_ns for r in rows], pa.int64()),
        "modified_at": pa.array([dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=r.modified_ns // 1000)
                                 for r in rows], pa.timestamp("us")),
        "sha256": pa.array([r.sha256 for r in rows], pa.string()),
        "file_status": pa.array([r.status for r in rows], pa.string()),
        "file_reason": pa.array([r.reason for r in rows], pa.string()),
        "lines_read": pa.array([r.lines_read for r in rows], pa.int64()),
        "lines_rejected_at_read": pa.array([r.lines_rejected for r in rows], pa.int64()),
        "ingested_at": pa.array([now] * len(rows), pa.timestamp("us")),
    })
    con.register("batch_files", table)
    con.execute(f"copy batch_files to '{pending / 'files.parquet'}' (format parquet)")
    con.unregister("batch_files")
