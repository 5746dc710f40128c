"""The sink's lag file: per topic partition, how far the landing zone is behind the broker.

The sink rewrites ``<state dir>/lag.json`` atomically every couple of seconds; the
micro-batch runner reads it before each dbt build and appends it to the run log
(``main.pipeline_consumer_lag``, :mod:`engagement.stream.runlog`). A file, not a table:
the warehouse has one writer at a time and dbt holds it during a build, and the runner
needs no Kafka client to read it.

Per partition: the committed offset (everything before it is in durable landing files),
the consumer's position, the partition's end offset (from the latest fetch response), the
records consumed but not yet landed, the produce time of the oldest of them and of the
newest record landed. Everything the snapshot calls landed was landed before the snapshot
was written, so a build that starts after reading it includes it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

LAG_FILE = "lag.json"


@dataclass(frozen=True)
class PartitionLag:
    """One topic partition in a lag snapshot (offsets -1 when unknown)."""

    topic: str
    partition: int
    committed_offset: int
    position: int
    end_offset: int
    buffered_records: int
    oldest_pending_produced_at: str | None
    newest_landed_produced_at: str | None

    @property
    def lag_records(self) -> int | None:
        """Records the broker has that are not in durable landing files yet (None when unknown)."""
        if self.end_offset < 0:
            return None
        return max(0, self.end_offset - max(self.committed_offset, 0))

    @property
    def caught_up(self) -> bool:
        """Whether everything the broker has was consumed and landed."""
        return self.lag_records == 0 and self.buffered_records == 0


@dataclass(frozen=True)
class LagSnapshot:
    """What the sink wrote at ``observed_at`` (UTC)."""

    observed_at: dt.datetime
    group: str
    partitions: tuple[PartitionLag, ...]

    def caught_up(self) -> bool:
        """Every assigned partition caught up (False while nothing is assigned)."""
        return bool(self.partitions) and all(p.caught_up for p in self.partitions)


def write_lag(state_dir: Path, snapshot: LagSnapshot) -> None:
    """Replace ``lag.json`` atomically (readers see the old or the new file, never half of one)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    doc = {"observed_at": snapshot.observed_at.isoformat(), "group": snapshot.group,
           "partitions": [asdict(p) | {"lag_records": p.lag_records} for p in snapshot.partitions]}
    tmp = state_dir / f".{LAG_FILE}.tmp"
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, state_dir / LAG_FILE)


def read_lag(state_dir: Path) -> LagSnapshot | None:
    """The latest snapshot, or None when the sink has written none yet."""
    try:
        doc = json.loads((Path(state_dir) / LAG_FILE).read_text())
    except FileNotFoundError:
        return None
    fields = PartitionLag.__dataclass_fields__
    parts = tuple(PartitionLag(**{k: v for k, v in p.items() if k in fields}) for p in doc["partitions"])
    return LagSnapshot(dt.datetime.fromisoformat(doc["observed_at"]), doc["group"], parts)
