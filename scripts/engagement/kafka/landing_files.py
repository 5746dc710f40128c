"""What the sink writes: landing files in the arrival partitions, durable before they count, and manifests.

Layout (the generator's, :mod:`engagement.generator.landing`, so dbt and the ingest step
read sink files exactly like generator files):

    view_events/ingest_date=YYYY-MM-DD/ingest_hour=HH/sink-p003-000000001200-000000001499-<run>-000007.jsonl.gz
    users/ingest_date=YYYY-MM-DD/sink-p001-000000000040-000000000061-<run>-000008.jsonl.gz
    _manifests/sink/<run>-000001.json       one per flush: every file it landed, with counts

A file holds consecutive records of one topic partition that arrived in one arrival
partition, in offset order, one JSON line each, gzipped deterministically (the
generator's ``gzip_chunks``, level 1). Its name carries the partition, the first and last
offset, the sink run's id and the file's number in the run, so names never collide: a
record redelivered after a crash lands again in a file of another name (staging's dedupe
drops the copy) and a file is never overwritten, even when a memory-only broker restarts
its offsets at 0 under a running sink.

Durability: :func:`write_durable` writes a hidden temp file (``.<name>.tmp``, outside every
``*.jsonl.gz`` glob), fsyncs it, renames it into place and fsyncs the directory; only
after that may the sink commit the offsets it holds. A crash before the rename leaves a
temp file that :func:`recover` removes at the next start; a crash after the rename but
before the manifest leaves a file no manifest lists, which :func:`recover` records in a
``recovered`` manifest (its records are redelivered too: at-least-once).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import posixpath
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engagement.generator.landing import ms_to_datetime, user_path, view_event_path
from engagement.generator.render import gzip_chunks
from engagement.kafka.clients import TopicSpec

SINK_MANIFEST_DIR = "_manifests/sink"
FILE_PREFIX = "sink-"
GZIP_LEVEL = 1  # the generator's level for event and user files


def arrival_folder(spec: TopicSpec, arrival_ms: int) -> str:
    """The landing folder of a record of ``spec`` that arrived at ``arrival_ms`` (the generator's layout)."""
    path = view_event_path(arrival_ms, 0, "jsonl") if spec.hourly else user_path(arrival_ms, 0, "jsonl")
    return posixpath.dirname(path)


def iso(ms: int | None) -> str | None:
    """Epoch ms -> ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (None stays None)."""
    return None if ms is None else ms_to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class PendingFile:
    """Records of one (topic, partition, arrival folder) consumed but not yet landed."""

    topic: str
    partition: int
    folder: str
    first_offset: int
    opened_at: float = field(default_factory=time.monotonic)
    last_offset: int = -1
    lines: list[bytes] = field(default_factory=list)
    size: int = 0
    first_produced_ms: int | None = None
    last_produced_ms: int | None = None
    min_arrival_ms: int | None = None
    max_arrival_ms: int | None = None

    def add(self, offset: int, value: bytes, produced_ms: int, arrival_ms: int) -> None:
        """Append one record (offsets ascend within a partition)."""
        self.lines.append(value)
        self.size += len(value) + 1
        self.last_offset = offset
        if self.first_produced_ms is None:
            self.first_produced_ms = produced_ms
        self.last_produced_ms = produced_ms
        self.min_arrival_ms = arrival_ms if self.min_arrival_ms is None else min(self.min_arrival_ms, arrival_ms)
        self.max_arrival_ms = arrival_ms if self.max_arrival_ms is None else max(self.max_arrival_ms, arrival_ms)

    def relative_path(self, run_id: str, sequence: int) -> str:
        """The file's path in the landing zone (``sequence`` numbers the run's files)."""
        return (f"{self.folder}/{FILE_PREFIX}p{self.partition:03d}-{self.first_offset:012d}-"
                f"{self.last_offset:012d}-{run_id}-{sequence:06d}.jsonl.gz")

    def body(self) -> bytes:
        """The file's uncompressed content: one line per record."""
        return b"\n".join(self.lines) + b"\n"


@dataclass(frozen=True)
class LandedFile:
    """One manifest entry."""

    file: str
    topic: str
    partition: int
    first_offset: int
    last_offset: int
    records: int
    bytes: int
    sha256: str
    first_produced_at: str | None
    last_produced_at: str | None
    min_arrival_at: str | None
    max_arrival_at: str | None
    landed_at: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_chunks(fh, chunks) -> int:
    """Write compressed chunks; returns the byte count (a seam for the crash tests)."""
    written = 0
    for chunk in chunks:
        fh.write(chunk)
        written += len(chunk)
    return written


def write_durable(root: Path, rel: str, body: bytes, compress: bool = True) -> tuple[int, str]:
    """Write ``body`` (gzipped when ``compress``) to ``root/rel`` atomically and durably.

    Temp file, fsync, rename, fsync of the directory: once this returns the file survives
    a crash or power loss. Returns (bytes on disk, sha256 of them).
    """
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp"
    digest = hashlib.sha256()
    chunks = gzip_chunks([body], GZIP_LEVEL) if compress else [body]

    def hashed():
        for chunk in chunks:
            digest.update(chunk)
            yield chunk

    with open(tmp, "wb") as fh:
        size = _write_chunks(fh, hashed())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    _fsync_dir(target.parent)
    return size, digest.hexdigest()


def land(root: Path, pending: PendingFile, run_id: str, sequence: int) -> LandedFile:
    """Write one pending file durably; return its manifest entry."""
    rel = pending.relative_path(run_id, sequence)
    size, sha = write_durable(root, rel, pending.body())
    return LandedFile(rel, pending.topic, pending.partition, pending.first_offset, pending.last_offset,
                      len(pending.lines), size, sha, iso(pending.first_produced_ms), iso(pending.last_produced_ms),
                      iso(pending.min_arrival_ms), iso(pending.max_arrival_ms), iso(int(time.time() * 1000)))


def write_manifest(root: Path, name: str, run_id: str, files: list[LandedFile], **extra: object) -> Path:
    """Write one manifest (durably) listing ``files``; returns its path."""
    rel = f"{SINK_MANIFEST_DIR}/{name}.json"
    doc = {"writer": "engagement-sink", "run_id": run_id, **extra,
           "records": sum(f.records for f in files), "files": [asdict(f) for f in files]}
    write_durable(root, rel, (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode(), compress=False)
    return root / rel


def manifest_entries(root: Path) -> dict[str, dict]:
    """Every file the sink's manifests list: name -> entry."""
    entries: dict[str, dict] = {}
    for path in sorted((root / SINK_MANIFEST_DIR).glob("*.json")):
        for entry in json.loads(path.read_text())["files"]:
            entries[entry["file"]] = entry
    return entries


def sink_files(root: Path, topics: tuple[TopicSpec, ...]) -> list[Path]:
    """Every landed sink file of ``topics`` (hourly datasets two folder levels deep, daily ones one)."""
    found: list[Path] = []
    for spec in topics:
        pattern = f"*/*/{FILE_PREFIX}*.jsonl.gz" if spec.hourly else f"*/{FILE_PREFIX}*.jsonl.gz"
        found += (root / spec.dataset).glob(pattern)
    return sorted(found)


def recover(root: Path, topics: tuple[TopicSpec, ...], run_id: str) -> tuple[int, int]:
    """Clean up after a crash: remove the sink's temp files, record landed files no manifest lists.

    Returns (temp files removed, files recorded in a ``recovered`` manifest).
    """
    removed = 0
    for spec in topics:
        for tmp in (root / spec.dataset).rglob(f".{FILE_PREFIX}*.tmp"):
            tmp.unlink(missing_ok=True)
            removed += 1
    for tmp in (root / SINK_MANIFEST_DIR).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    listed = manifest_entries(root)
    orphans = []
    for path in sink_files(root, topics):
        rel = path.relative_to(root).as_posix()
        if rel in listed:
            continue
        data = path.read_bytes()
        records = gzip.decompress(data).count(b"\n")
        part, first, last = path.name[len(FILE_PREFIX):].split("-")[:3]
        orphans.append(LandedFile(rel, rel.split("/", 1)[0], int(part[1:]), int(first), int(last), records,
                                  len(data), hashlib.sha256(data).hexdigest(), None, None, None, None,
                                  iso(int(path.stat().st_mtime * 1000))))
    if orphans:
        write_manifest(root, f"{run_id}-recovered", run_id, orphans,
                       note="landed by a sink that stopped before writing its manifest; "
                            "its offsets were not committed, so these records were delivered again")
    return removed, len(orphans)
