"""The warehouse lock: one stream runner per warehouse file.

An exclusive, non-blocking ``fcntl.flock`` on ``<warehouse>.lock``, held for the
runner's whole life. The kernel drops it when the process ends, however it ends, so a
crashed runner never leaves a stale lock; the file keeps the holder's pid for the
message a second runner prints.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class LockHeld(RuntimeError):
    """Another runner holds the warehouse lock."""


class WarehouseLock:
    """Exclusive, non-blocking ``flock`` on ``<duckdb_path>.lock`` (released on close or exit)."""

    def __init__(self, duckdb_path: Path) -> None:
        self.path = Path(str(duckdb_path) + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> "WarehouseLock":
        """Take the lock or raise LockHeld naming the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise LockHeld(f"another stream runner (pid {holder}) holds {self.path}; "
                           "only one runner may write this warehouse") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        """Release the lock."""
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "WarehouseLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
