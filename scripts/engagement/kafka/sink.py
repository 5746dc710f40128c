"""The landing sink (``engagement-sink``): Kafka topics -> landing zone files, at least once.

    engagement-sink --bootstrap-servers HOST:PORT --landing-dir DIR --state-dir DIR \\
        [--roll-seconds 10] [--roll-mb 16] [--exit-when-idle SECONDS]

One consumer in the group ``engagement-landing-sink`` subscribed to ``view_events`` and
``users``. Each record goes into an open file buffer of its (topic, partition, arrival
folder); the arrival folder comes from the record's ``ingested_at_ms`` header (else its
Kafka timestamp). A buffer is rolled into a landing file (:mod:`.landing_files`) when it
reaches ``--roll-mb`` of JSON text or has been open ``--roll-seconds``, and on a
rebalance or a stop.

Offsets: after a roll, each partition's offset is committed (synchronously) up to the
first record still in an open buffer of that partition, so a committed offset never
passes a record that is not in a durable file. A crash at any point therefore redelivers
(from the last commit) and never loses; a record can land twice, and staging's dedupe on
``event_id`` keeps one. On a rebalance the revoked partitions are landed and committed
before they move; partitions *lost* (the group forgot this member, e.g. the broker
restarted) are landed without a commit, because their records may exist nowhere else.

SIGTERM or SIGINT: stop consuming, land every buffer, commit, leave the group, exit 0.
Every ``--lag-seconds`` the sink rewrites ``<state-dir>/lag.json`` (:mod:`.lag`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from engagement import settings
from engagement.cli import OneLineParser
from engagement.kafka.clients import ARRIVAL_HEADER, SINK_GROUP, TOPICS, TopicSpec, consumer_config
from engagement.kafka.lag import LagSnapshot, PartitionLag, write_lag
from engagement.kafka.landing_files import LandedFile, PendingFile, arrival_folder, iso, land, recover, write_manifest

PROG = "sink"
TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True)
class SinkConfig:
    """Settings of one sink process."""

    bootstrap_servers: str
    landing_dir: Path
    state_dir: Path
    topics: tuple[TopicSpec, ...] = TOPICS
    roll_bytes: int = 16 * 2**20
    roll_seconds: float = 10.0
    lag_interval_s: float = 2.0
    exit_when_idle_s: float | None = None
    group_id: str = SINK_GROUP
    max_batch: int = 5000


def _arrival_ms(msg) -> int:
    for name, value in msg.headers() or ():
        if name == ARRIVAL_HEADER and value:
            return int(value)
    return int(msg.timestamp()[1])


class LandingSink:
    """The consumer loop; :meth:`run` until :meth:`request_stop` (or idle, when configured)."""

    def __init__(self, cfg: SinkConfig, log: Callable[[str], None] = print) -> None:
        self.cfg = cfg
        self.log = log
        self.run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.specs = {t.name: t for t in cfg.topics}
        self.open: dict[tuple[str, int, str], PendingFile] = {}
        self.position: dict[TopicPartitionKey, int] = {}    # next offset to consume
        self.committed: dict[TopicPartitionKey, int] = {}   # last offset committed (exclusive)
        self.newest_landed_ms: dict[TopicPartitionKey, int] = {}
        self.assigned: set[TopicPartitionKey] = set()
        self.flushes = 0
        self.files = 0
        self.landed_records = 0
        self.consumer = None
        self._stop = False
        self._last_lag = 0.0
        self._assigned_at = 0.0

    # --- records in ----------------------------------------------------------------------

    def _add(self, msg) -> None:
        spec = self.specs[msg.topic()]
        tp = (msg.topic(), msg.partition())
        if msg.offset() < self.position.get(tp, -1):
            # The partition's offsets went back: the broker lost its log (a memory-only broker
            # restarted) or the group was reset. Land what is held first, without a commit.
            self.log(f"{PROG}: {tp[0]}[{tp[1]}] went back from offset {self.position[tp]} to {msg.offset()}; "
                     "landing what is held first")
            self.roll(partitions={tp}, commit=False)
            self.committed.pop(tp, None)
        arrival = _arrival_ms(msg)
        key = (tp[0], tp[1], arrival_folder(spec, arrival))
        pending = self.open.get(key)
        if pending is None:
            pending = self.open[key] = PendingFile(tp[0], tp[1], key[2], msg.offset())
        pending.add(msg.offset(), msg.value() or b"", int(msg.timestamp()[1]), arrival)
        self.position[tp] = msg.offset() + 1

    # --- files out, then offsets -----------------------------------------------------------

    def roll(self, force: bool = False, partitions: Iterable[TopicPartitionKey] | None = None,
             commit: bool = True) -> int:
        """Land due buffers (all with ``force``, or all of ``partitions``), then commit; returns files landed."""
        now = time.monotonic()
        chosen = set(partitions or ())
        due = [p for p in self.open.values()
               if force or (p.topic, p.partition) in chosen or p.size >= self.cfg.roll_bytes
               or now - p.opened_at >= self.cfg.roll_seconds]
        if not due:
            return 0
        landed: list[LandedFile] = []
        for pending in sorted(due, key=lambda p: (p.topic, p.partition, p.first_offset)):
            self.files += 1
            landed.append(land(self.cfg.landing_dir, pending, self.run_id, self.files))
            del self.open[(pending.topic, pending.partition, pending.folder)]
            tp = (pending.topic, pending.partition)
            self.newest_landed_ms[tp] = max(self.newest_landed_ms.get(tp, 0), pending.last_produced_ms or 0)
        self.flushes += 1
        write_manifest(self.cfg.landing_dir, f"{self.run_id}-{self.flushes:06d}", self.run_id, landed)
        self.landed_records += sum(f.records for f in landed)
        if commit:
            self._commit({(f.topic, f.partition) for f in landed})
        return len(landed)

    def commit_offsets(self, partitions: Iterable[TopicPartitionKey]) -> dict[TopicPartitionKey, int]:
        """The offset each partition may commit: its first record still buffered, else its position."""
        offsets = {}
        for tp in partitions:
            waiting = [p.first_offset for p in self.open.values() if (p.topic, p.partition) == tp]
            upto = min(waiting) if waiting else self.position.get(tp)
            if upto is not None and upto > self.committed.get(tp, -1):
                offsets[tp] = upto
        return offsets

    def _commit(self, partitions: set[TopicPartitionKey]) -> None:
        from confluent_kafka import KafkaException, TopicPartition

        offsets = self.commit_offsets(partitions)
        if not offsets or self.consumer is None:
            return
        try:
            self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())],
                                 asynchronous=False)
        except KafkaException as exc:  # the files are durable: a failed commit only means redelivery
            self.log(f"{PROG}: commit failed ({exc.args[0].str() if exc.args else exc}); "
                     "those records will be delivered again")
            return
        self.committed.update(offsets)

    # --- rebalances --------------------------------------------------------------------------

    def _on_assign(self, consumer, partitions) -> None:
        keys = {(p.topic, p.partition) for p in partitions}
        self.assigned |= keys
        self._assigned_at = time.monotonic()
        for tp in keys:  # a new owner starts from the group's committed offset
            self.committed.pop(tp, None)
            self.position.pop(tp, None)
        try:  # known from the start, so lag.json is right before this run's first commit
            for tp in consumer.committed(partitions, timeout=10):
                if tp.offset >= 0:
                    self.committed[(tp.topic, tp.partition)] = tp.offset
        except Exception as exc:  # noqa: BLE001 (only the lag report is less precise until the first commit)
            self.log(f"{PROG}: could not read the committed offsets ({exc})")
        self.log(f"{PROG}: assigned {_names(keys)}")

    def _on_revoke(self, consumer, partitions) -> None:
        keys = {(p.topic, p.partition) for p in partitions}
        self.roll(partitions=keys, commit=True)
        self._forget(keys)
        self.log(f"{PROG}: revoked {_names(keys)} (landed and committed)")

    def _on_lost(self, consumer, partitions) -> None:
        keys = {(p.topic, p.partition) for p in partitions}
        self.roll(partitions=keys, commit=False)
        self._forget(keys)
        self.log(f"{PROG}: lost {_names(keys)} (landed, not committed: they will be delivered again)")

    def _forget(self, keys: set[TopicPartitionKey]) -> None:
        self.assigned -= keys
        for tp in keys:
            self.committed.pop(tp, None)
            self.position.pop(tp, None)

    # --- lag ----------------------------------------------------------------------------------

    def lag_snapshot(self) -> LagSnapshot:
        """The current lag of every assigned partition (end offsets from the latest fetch)."""
        from confluent_kafka import TopicPartition

        parts = []
        for topic, partition in sorted(self.assigned):
            try:
                _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
            except Exception:  # noqa: BLE001 (not fetched yet)
                high = -1
            buffered = [p for p in self.open.values() if (p.topic, p.partition) == (topic, partition)]
            oldest = min((p.first_produced_ms for p in buffered if p.first_produced_ms is not None), default=None)
            tp = (topic, partition)
            parts.append(PartitionLag(topic, partition, self.committed.get(tp, -1), self.position.get(tp, -1),
                                      high if high is not None and high >= 0 else -1,
                                      sum(len(p.lines) for p in buffered), iso(oldest),
                                      iso(self.newest_landed_ms.get(tp))))
        return LagSnapshot(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), self.cfg.group_id, tuple(parts))

    def _maybe_write_lag(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_lag >= self.cfg.lag_interval_s:
            write_lag(self.cfg.state_dir, self.lag_snapshot())
            self._last_lag = now

    # --- the loop ---------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop after the current poll (land, commit, leave the group)."""
        self._stop = True

    def run(self) -> int:
        """Consume until stopped; returns records landed by this run."""
        from confluent_kafka import Consumer, KafkaError

        removed, recovered = recover(self.cfg.landing_dir, self.cfg.topics, self.run_id)
        if removed or recovered:
            self.log(f"{PROG}: after a crash: removed {removed} temp files, recorded {recovered} unlisted files")
        self.consumer = Consumer(consumer_config(self.cfg.bootstrap_servers, {
            "group.id": self.cfg.group_id, "client.id": f"engagement-sink-{self.run_id}",
            "error_cb": self._on_error}))
        self.consumer.subscribe([t.name for t in self.cfg.topics], on_assign=self._on_assign,
                                on_revoke=self._on_revoke, on_lost=self._on_lost)
        last_record = time.monotonic()
        try:
            while not self._stop:
                messages = self.consumer.consume(self.cfg.max_batch, timeout=0.2)
                for msg in messages:
                    error = msg.error()
                    if error is None:
                        self._add(msg)
                    elif error.code() != KafkaError._PARTITION_EOF:
                        if error.fatal():
                            raise RuntimeError(f"consumer failed: {error.str()}")
                        self.log(f"{PROG}: {error.str()}")
                if messages:
                    last_record = time.monotonic()
                self.roll()
                self._maybe_write_lag()
                idle = self.cfg.exit_when_idle_s
                if (idle is not None and self.assigned and not self.open
                        and time.monotonic() - max(last_record, self._assigned_at) >= idle):
                    break
        finally:
            self.roll(force=True)
            self._maybe_write_lag(force=True)
            self.consumer.close()
        return self.landed_records

    def _on_error(self, error) -> None:
        if error.fatal():
            self.log(f"{PROG}: fatal: {error.str()}")
            self._stop = True


def _names(keys: set[TopicPartitionKey]) -> str:
    return ", ".join(f"{t}[{p}]" for t, p in sorted(keys)) or "nothing"


# --- command line --------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``engagement-sink``."""
    p = OneLineParser(prog=PROG, description="Land Kafka records in the landing zone (at-least-once).")
    p.add_argument("--bootstrap-servers", default=settings.KAFKA_BOOTSTRAP_SERVERS.value() or None,
                   help=f"HOST:PORT of the brokers (default ${settings.KAFKA_BOOTSTRAP_SERVERS.name})")
    p.add_argument("--landing-dir", type=Path, required=True, help="landing zone root")
    p.add_argument("--state-dir", type=Path, required=True, help="folder of lag.json")
    p.add_argument("--roll-seconds", type=float, default=10.0, help="land a file once it is this old (default 10)")
    p.add_argument("--roll-mb", type=float, default=16.0, help="land a file once it holds this many MB (default 16)")
    p.add_argument("--lag-seconds", type=float, default=2.0, help="seconds between lag.json updates (default 2)")
    p.add_argument("--exit-when-idle", type=float, metavar="SECONDS",
                   help="stop once no record has arrived for this long and everything is landed")
    p.add_argument("--group", default=SINK_GROUP, help=f"consumer group (default {SINK_GROUP})")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the sink until SIGTERM/SIGINT (or idle)."""
    parser = build_parser()
    a = parser.parse_args(argv)
    if not a.bootstrap_servers:
        parser.error(f"--bootstrap-servers (or ${settings.KAFKA_BOOTSTRAP_SERVERS.name}) is required")
    if a.roll_seconds <= 0 or a.roll_mb <= 0 or a.lag_seconds <= 0:
        parser.error("--roll-seconds, --roll-mb and --lag-seconds must be > 0")
    cfg = SinkConfig(a.bootstrap_servers, a.landing_dir, a.state_dir, roll_bytes=int(a.roll_mb * 2**20),
                     roll_seconds=a.roll_seconds, lag_interval_s=a.lag_seconds, exit_when_idle_s=a.exit_when_idle,
                     group_id=a.group)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    sink = LandingSink(cfg, log)

    def _stop(signum, frame):  # noqa: ARG001
        sink.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        landed = sink.run()
    except Exception as exc:  # noqa: BLE001 (one clear line, not a traceback)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    log(f"{PROG}: stopped: {landed} records landed in {sink.flushes} flushes (run {sink.run_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
