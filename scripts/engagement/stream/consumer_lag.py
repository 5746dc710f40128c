"""The run log's broker side: ``main.pipeline_consumer_lag``, the landing sink's lag per partition per batch.

In broker mode the micro-batch runner reads the sink's lag file
(:mod:`engagement.kafka.lag`) *before* each dbt build and, after the build, appends one
row per topic partition next to the batch's ``pipeline_runs`` row (same connection, same
moment: the warehouse has one writer). dbt declares the table as the source
``pipeline.pipeline_consumer_lag``; keep that file's column docs in step with
:data:`PIPELINE_CONSUMER_LAG_DDL`.

``event_to_visible_seconds`` is the end-to-end freshness of a partition: from the
wall-clock produce time of the newest record the sink had landed when the batch started
(so the build certainly read it) to the moment the batch made its results visible.
"""

from __future__ import annotations

import datetime as dt

from engagement.kafka.lag import LagSnapshot

PIPELINE_CONSUMER_LAG_DDL = """
create table if not exists main.pipeline_consumer_lag (
    batch_id integer,
    observed_at timestamp,
    consumer_group varchar,
    topic varchar,
    kafka_partition integer,
    committed_offset bigint,
    end_offset bigint,
    lag_records bigint,
    buffered_records bigint,
    oldest_pending_produced_at timestamp,
    lag_seconds double,
    newest_landed_produced_at timestamp,
    visible_at timestamp,
    event_to_visible_seconds double
)
"""


def _timestamp(text: str | None) -> dt.datetime | None:
    """``...Z`` ISO text -> naive UTC datetime."""
    if text is None:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def lag_rows(batch_id: int, snapshot: LagSnapshot, visible_at: dt.datetime) -> list[tuple]:
    """One row per partition of ``snapshot``, in the table's column order."""
    rows = []
    for p in snapshot.partitions:
        oldest = _timestamp(p.oldest_pending_produced_at)
        newest = _timestamp(p.newest_landed_produced_at)
        if oldest is not None:
            lag_seconds = max(0.0, (snapshot.observed_at - oldest).total_seconds())
        else:  # nothing buffered: caught up (0), or records not fetched yet (unknown)
            lag_seconds = 0.0 if p.lag_records == 0 else None
        rows.append((batch_id, snapshot.observed_at, snapshot.group, p.topic, p.partition,
                     None if p.committed_offset < 0 else p.committed_offset,
                     None if p.end_offset < 0 else p.end_offset, p.lag_records, p.buffered_records,
                     oldest, lag_seconds, newest, visible_at,
                     None if newest is None else (visible_at - newest).total_seconds()))
    return rows


def insert_consumer_lag(con, batch_id: int, snapshot: LagSnapshot, visible_at: dt.datetime) -> int:
    """Write the snapshot's rows for ``batch_id`` (replacing any) on an open DuckDB connection;
    returns the row count."""
    con.execute(PIPELINE_CONSUMER_LAG_DDL)
    con.execute("delete from main.pipeline_consumer_lag where batch_id = ?", [batch_id])
    rows = lag_rows(batch_id, snapshot, visible_at)
    if rows:
        con.executemany("insert into main.pipeline_consumer_lag values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def freshest_event_to_visible(snapshot: LagSnapshot, visible_at: dt.datetime) -> float | None:
    """Seconds from the produce time of the newest landed record (any partition) to ``visible_at``."""
    fresh = [r[13] for r in lag_rows(0, snapshot, visible_at) if r[13] is not None]
    return min(fresh) if fresh else None


def broker_lag_text(snapshot: LagSnapshot | None, visible_at: dt.datetime) -> str:
    """The runner line's broker part: records not landed yet, and the freshest partition's
    event-to-visible time (empty without a snapshot)."""
    if snapshot is None:
        return ""
    behind = sum(p.lag_records or 0 for p in snapshot.partitions)
    fresh = freshest_event_to_visible(snapshot, visible_at)
    return f"  broker lag {behind} records" + ("" if fresh is None else f", event->visible {fresh:.1f}s")
