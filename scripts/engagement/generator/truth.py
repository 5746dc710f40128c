"""The ground-truth file ``_truth/users.parquet``: per user, what the simulation knows.

Each shard computes its rows (:func:`truth_table`); :class:`TruthWriter` writes them in
user order while the other shards still run, as full row groups of
:data:`ROW_GROUP_ROWS`, so the file has the same bytes as one ``pq.write_table`` of all
rows (pyarrow's default row-group size) without holding every user's row in the parent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .landing import _parquet_options
from .lifecycle import REASONS, STATES, TRIGGERS, Activity
from .people import NEVER, SEGMENTS, Population

TRUTH_FILE = "_truth/users.parquet"
#: Rows per row group: pyarrow's default for ``write_table`` (1024 * 1024).
ROW_GROUP_ROWS = 1 << 20


def truth_table(cfg, pop: Population, act: Activity) -> pa.Table:
    """Ground truth per user: engagement and its type, when and why they churned during
    the run, the decline before it, a return after it, the deletion request time."""
    start = np.datetime64(cfg.start_date, "D")

    def run_date(day: np.ndarray, missing: np.ndarray) -> pa.Array:
        return pa.array((start + np.where(missing, 0, day).astype("timedelta64[D]")).astype("datetime64[D]"),
                        pa.date32(), mask=missing)

    def label(codes: np.ndarray, names: tuple[str, ...]) -> pa.Array:
        # a take from the few names (no Python string per user); a negative code is null
        return pc.take(pa.array(names, pa.string()), pa.array(codes, pa.int64(), mask=codes < 0))

    deletion = pop.deletion_ms != NEVER
    churned = act.churn_day >= 0
    return pa.table({
        "user_id": pa.array(pop.user_id, pa.int64()),
        "engagement": pa.array(np.round(pop.engagement, 6), pa.float64()),
        "churn_date": run_date(act.churn_day, ~churned),
        "deletion_requested_at": pa.array(np.where(deletion, pop.deletion_ms, 0), pa.timestamp("ms", tz="UTC"),
                                          mask=~deletion),
        "segment": label(pop.segment.astype(np.int64), SEGMENTS),
        "state_at_start": label(act.state_at_start.astype(np.int64), STATES),
        "churn_reason": label(act.churn_reason.astype(np.int64), REASONS),
        "churn_trigger": label(np.where(churned, act.churn_trigger, -1).astype(np.int64), TRIGGERS),
        "decline_start_date": run_date(act.decline_day, ~churned | (act.churn_reason == 2)),
        "return_date": run_date(act.return_day, act.return_day < 0),
        "churn_count": pa.array(act.churn_count.astype(np.int32), pa.int32()),
    })



class TruthWriter:
    """Writes the shards' truth tables to ``TRUTH_FILE`` in shard order, whatever order they
    arrive in; the file appears (atomically) on :meth:`close`."""

    def __init__(self, root: Path, shards: int) -> None:
        self.target = Path(root) / TRUTH_FILE
        self.tmp = self.target.parent / f".{self.target.name}.tmp"
        self.shards, self.next, self.rows = shards, 0, 0
        self.waiting: dict[int, pa.Table] = {}
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.writer: pq.ParquetWriter | None = None

    def add(self, shard: int, table: pa.Table) -> None:
        """Accept shard ``shard``'s rows; writes every full row group now in order."""
        self.waiting[shard] = table
        while self.next in self.waiting:
            t = self.waiting.pop(self.next)
            self.next += 1
            self.pending.append(t)
            self.pending_rows += t.num_rows
            self.rows += t.num_rows
        while self.pending_rows >= ROW_GROUP_ROWS:
            self._write(ROW_GROUP_ROWS)

    def _write(self, rows: int) -> None:
        table = pa.concat_tables(self.pending)
        if self.writer is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(str(self.tmp), table.schema, **_parquet_options(table))
        self.writer.write_table(table.slice(0, rows), row_group_size=ROW_GROUP_ROWS)
        rest = table.slice(rows)
        self.pending, self.pending_rows = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        """Write the last row group and move the file into place."""
        if self.next != self.shards:
            raise RuntimeError(f"truth: {self.shards - self.next} shards missing")
        if self.pending_rows or self.writer is None:
            self._write(self.pending_rows)
        self.writer.close()
        os.replace(self.tmp, self.target)
