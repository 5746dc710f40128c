"""The dashboard snapshot contract, written once: the exporter writes it, the dashboard reads it.

A dashboard folder (``$ENGAGEMENT_DASHBOARD_DIR``, default ``data/dashboard``) holds::

    <dashboard_dir>/snapshots/<name>/<model>.parquet
    <dashboard_dir>/snapshots/<name>/_snapshot.json   # as_of, models, missing, + the writer's metadata
    <dashboard_dir>/CURRENT                          # one line: the <name> of the newest snapshot

``<name>`` is the export time (``YYYYmmddTHHMMSS_ffffffZ``), so names sort by age. A
writer builds a snapshot under a temporary name (``.tmp-...``), renames it into place
when complete, then replaces ``CURRENT`` atomically (:func:`publish`) and prunes all but
the newest :data:`KEEP_SNAPSHOTS` (:func:`prune_snapshots`, never CURRENT's). A reader
follows ``CURRENT`` (:func:`current_snapshot`) and so always sees a whole snapshot.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

CURRENT_FILE = "CURRENT"
SNAPSHOTS_DIR = "snapshots"
SNAPSHOT_METADATA_FILE = "_snapshot.json"
KEEP_SNAPSHOTS = 3
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class Snapshot:
    """One exported snapshot: its folder and what ``_snapshot.json`` says about it."""

    folder: Path
    as_of: datetime | None
    models: tuple[str, ...]
    missing: tuple[str, ...]
    metadata: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        """The folder name (what CURRENT holds)."""
        return self.folder.name

    def has(self, model: str) -> bool:
        """Whether the snapshot lists ``model`` and its Parquet file is there."""
        return model in self.models and (self.folder / f"{model}.parquet").is_file()


def current_snapshot_dir(dashboard_dir: Path) -> Path | None:
    """The folder ``CURRENT`` names, or None when nothing has been exported yet."""
    try:
        name = (Path(dashboard_dir) / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    folder = Path(dashboard_dir) / SNAPSHOTS_DIR / name
    return folder if folder.is_dir() else None


def current_snapshot(dashboard_dir: Path) -> Snapshot | None:
    """The snapshot CURRENT names, with its metadata; None when there is none (yet)."""
    folder = current_snapshot_dir(dashboard_dir)
    if folder is None:
        return None
    try:
        document = json.loads((folder / SNAPSHOT_METADATA_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    as_of = None
    if document.get("as_of"):
        as_of = datetime.fromisoformat(str(document["as_of"]).replace("Z", "+00:00"))
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)
    models = tuple(m for m in document.get("models", []) if (folder / f"{m}.parquet").is_file())
    return Snapshot(folder, as_of, models, tuple(document.get("missing", [])), document)


def new_snapshot_name(as_of: datetime, snapshots: Path) -> str:
    """A folder name that sorts by export time and is not already taken."""
    base = as_of.strftime("%Y%m%dT%H%M%S_%fZ")
    name, suffix = base, 1
    while (snapshots / name).exists():
        name = f"{base}-{suffix}"
        suffix += 1
    return name


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (renames) to disk; a no-op where that is not possible."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_text_atomically(path: Path, text: str) -> None:
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}")
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def publish(dashboard_dir: Path, name: str) -> None:
    """Point CURRENT at the complete snapshot folder ``name`` (atomically), then prune."""
    _write_text_atomically(Path(dashboard_dir) / CURRENT_FILE, name + "\n")
    fsync_dir(Path(dashboard_dir))
    prune_snapshots(dashboard_dir)


def prune_snapshots(dashboard_dir: Path, keep: int = KEEP_SNAPSHOTS) -> list[str]:
    """Delete all but the newest ``keep`` snapshots (never CURRENT's) and stale temp folders.

    Returns the names removed.
    """
    snapshots = Path(dashboard_dir) / SNAPSHOTS_DIR
    if not snapshots.is_dir():
        return []
    current = current_snapshot_dir(dashboard_dir)
    current_name = current.name if current is not None else None
    finished = sorted(
        (p.name for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith(".")),
        reverse=True,
    )
    kept = set(finished[:keep])
    if current_name is not None:
        kept.add(current_name)
    removed = []
    for entry in snapshots.iterdir():
        # Temp folders of exports that crashed half-way (ours is already renamed).
        stale_temp = entry.name.startswith(TEMP_PREFIX)
        if entry.is_dir() and (stale_temp or entry.name not in kept):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed
