"""The file manifest: every landed file the ingest step has seen, batch by batch.

Which files are loaded is decided here, never by a time window: a file is new when its
path has not been seen, or when its content (SHA-256) differs from the version seen.
Each batch's ``files.parquet`` lists the files it handled with their size, checksum,
status and line counts; the union over committed batches is the manifest. A batch is
committed by renaming its directory into ``batches/``, so a crash leaves either a whole
batch or nothing (an abandoned ``.pending`` directory is removed on the next run).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engagement.ingest.layout import batch_dir_name

BATCHES = "batches"
PENDING = ".pending"


class IngestLocked(RuntimeError):
    """Another ingest process is writing this ingest directory."""


@dataclass(frozen=True)
class SeenFile:
    """The newest manifest entry of one landed path."""

    size_bytes: int
    modified_ns: int
    sha256: str | None
    version: int
    status: str


class IngestStore:
    """The ingest directory: committed batches, the pending batch, the lock."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.batches = self.root / BATCHES
        self.pending = self.root / PENDING

    @contextmanager
    def locked(self) -> Iterator["IngestStore"]:
        """Hold an exclusive, non-blocking lock on the ingest directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise IngestLocked(f"another ingest process holds {self.root / '.lock'}") from None
            try:
                yield self
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def recover(self) -> None:
        """Drop what a killed run left half-written (never visible to readers)."""
        shutil.rmtree(self.pending, ignore_errors=True)

    def batch_ids(self) -> list[int]:
        """Committed batch ids, ascending."""
        if not self.batches.is_dir():
            return []
        ids = []
        for entry in self.batches.iterdir():
            name = entry.name
            if entry.is_dir() and name.startswith("ingest_batch_id="):
                ids.append(int(name.split("=", 1)[1]))
        return sorted(ids)

    def next_batch_id(self) -> int:
        """The id the next batch will get."""
        ids = self.batch_ids()
        return (ids[-1] + 1) if ids else 1

    def seen_files(self) -> dict[str, SeenFile]:
        """Newest manifest entry per landed path, over every committed batch."""
        if not self.batch_ids():
            return {}
        glob = str(self.batches / "*" / "files.parquet")
        rows = duckdb.sql(f"""
            select file_name, size_bytes, modified_ns, sha256, file_version, file_status
            from read_parquet('{glob}', hive_partitioning = true)
            qualify row_number() over (partition by file_name order by ingest_batch_id desc) = 1
        """).fetchall()
        return {r[0]: SeenFile(int(r[1]), int(r[2]), r[3], int(r[4]), r[5]) for r in rows}

    def last_key_fingerprint(self) -> str | None:
        """The hash-key fingerprint the newest batch was written with."""
        for batch_id in reversed(self.batch_ids()):
            meta = self.batches / batch_dir_name(batch_id) / "_batch.json"
            if meta.exists():
                return json.loads(meta.read_text()).get("hash_key_fingerprint")
        return None

    def start_batch(self, batch_id: int) -> Path:
        """A fresh pending directory for ``batch_id``."""
        self.recover()
        path = self.pending / batch_dir_name(batch_id)
        path.mkdir(parents=True)
        return path

    def commit(self, pending_dir: Path) -> Path:
        """Make a pending batch visible: fsync its files, then one rename."""
        for child in pending_dir.iterdir():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())
        self.batches.mkdir(parents=True, exist_ok=True)
        final = self.batches / pending_dir.name
        os.rename(pending_dir, final)
        dir_fd = os.open(self.batches, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return final
