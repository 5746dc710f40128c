"""Stream mode's publisher: a slot's records go to Kafka topics instead of landing files.

``engagement-stream-events --kafka-bootstrap-servers HOST:PORT`` hands the stream
generator a :class:`KafkaOutlet` (``stream.Outlet``): where the file writer would write a
flush slot's view-event and user-change files, the publisher renders the very same
lines with the very same code (``render.event_lines`` / ``render.user_lines_batch``, the
batch writer's renderers) and produces one record per line:

* topic ``view_events`` or ``users`` (:data:`engagement.kafka.clients.TOPICS`);
* key ``user_id`` (decimal text): one user's records stay in order on one partition;
* value the line without its newline, byte for byte what the batch file holds (the sink
  writes it back with the newline, so a landed line equals the batch line);
* header ``ingested_at_ms``: the record's simulated arrival instant, from which the sink
  picks the arrival partition (the record's Kafka timestamp is the wall-clock produce time).

Records are produced in the batch writer's order (arrival order per shard), synchronously
in the generator's thread, and every slot is flushed (all records acknowledged by the
broker, ``acks=all``) before the generator moves its clock on: a slow or restarting broker
holds the generator back (back-pressure) instead of losing records, and a record the
broker never acknowledges within the delivery timeout stops the stream with an error.

The media catalog and the ground truth are not events: they stay file drops in ``--out``.
The run's manifest (what was published, in the batch manifest's shape: counts per
arrival slot as the batch run would have filed them) goes to ``_manifests/published/``,
out of the ``_manifests/*.json`` glob that describes files on disk.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from engagement.kafka.clients import ARRIVAL_HEADER, USERS, VIEW_EVENTS, producer_config

from .people import PLANS, Population, emails
from .render import event_lines, user_lines_batch
from .runner import EventWriter, RunConfig, Shared

#: Where the publisher's run manifests go (relative to ``--out``).
PUBLISHED_MANIFEST_DIR = "_manifests/published"


class PublishError(RuntimeError):
    """The broker did not acknowledge every record of a slot."""


def line_values(lines: pa.Array, overrides: dict[int, bytes] | None = None):
    """Each line of ``lines`` (Arrow strings ending in ``\\n``, rows in ``overrides`` replaced)
    as bytes without its final newline, in order (the records of one file, one by one)."""
    overrides = overrides or {}
    n = len(lines)
    if n == 0:
        return
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=n + 1 + lines.offset)[lines.offset:].tolist()
    data = memoryview(lines.buffers()[2])
    for i in range(n):
        raw = overrides[i] if i in overrides else data[offsets[i]:offsets[i + 1]]
        yield bytes(raw[:-1])


class KafkaPublisher:
    """One producer for the whole stream: produce, count, and flush with a check."""

    def __init__(self, bootstrap_servers: str, extra: dict | None = None) -> None:
        from confluent_kafka import Producer

        self.bootstrap_servers = bootstrap_servers
        self.producer = Producer(producer_config(bootstrap_servers, extra))
        self.records: Counter[str] = Counter()
        self.failures: list[str] = []

    def _on_delivery(self, err, msg) -> None:
        if err is not None:
            self.failures.append(f"{msg.topic()}[{msg.partition()}]: {err.str()}")

    def publish(self, topic: str, values, user_ids: np.ndarray, arrival_ms: np.ndarray) -> int:
        """Produce ``values`` (an iterable of bytes) keyed by ``user_ids``; returns the count."""
        produce, poll = self.producer.produce, self.producer.poll
        count = 0
        for value, user_id, arrived in zip(values, user_ids.tolist(), arrival_ms.tolist()):
            while True:
                try:
                    produce(topic, value, b"%d" % user_id, headers=[(ARRIVAL_HEADER, b"%d" % arrived)],
                            on_delivery=self._on_delivery)
                    break
                except BufferError:  # the local queue is full: let the broker catch up (back-pressure)
                    poll(0.05)
            count += 1
            if count % 20_000 == 0:
                poll(0)
        self.records[topic] += count
        return count

    def flush(self) -> None:
        """Wait until the broker has acknowledged every record produced so far; raise on a failure."""
        while len(self.producer) > 0 and not self.failures:
            self.producer.flush(1.0)
        if self.failures:
            raise PublishError(f"{len(self.failures)} records were not acknowledged by "
                               f"{self.bootstrap_servers} (first: {self.failures[0]})")


class KafkaEventWriter(EventWriter):
    """The batch writer with its file writes replaced by produce calls (rendering unchanged)."""

    def __init__(self, cfg: RunConfig, shared: Shared, shard: int, publisher: KafkaPublisher) -> None:
        super().__init__(cfg, shared, shard)
        self.publisher = publisher

    def submit(self, fn, *args) -> None:
        """Run inline, in order: the records of a shard are produced in arrival order."""
        fn(*args)

    def _write_chunk(self, rows: dict[str, np.ndarray], files: list[tuple[str, int, int, int]]) -> None:
        """Render a run of whole slots like the batch writer, then publish its lines in that order."""
        geo = self.shared.geo
        lines, overrides = event_lines(rows, geo.city_names, geo.codes, self.cfg.drift_from_ms)
        self.publisher.publish(VIEW_EVENTS.name, line_values(lines, overrides), rows["user_id"], rows["ingested"])

    def _reap(self, block: bool) -> None:
        if block:
            self.publisher.flush()


class KafkaOutlet:
    """Stream mode's outlet for a broker: writers that publish, user changes published too."""

    manifest_dir = PUBLISHED_MANIFEST_DIR

    def __init__(self, publisher: KafkaPublisher) -> None:
        self.publisher = publisher

    def event_writer(self, cfg: RunConfig, shared: Shared, shard: int) -> KafkaEventWriter:
        """The writer of one shard."""
        return KafkaEventWriter(cfg, shared, shard, self.publisher)

    def render_users(self, cfg: RunConfig, shared: Shared, pop: Population, b: dict[str, np.ndarray],
                     files: list[tuple[str, int, int]]) -> None:
        """Publish user-change records (``runner._render_user_files``' lines, in its order)."""
        if cfg.fmt != "jsonl":
            raise PublishError("publishing needs --format jsonl (records travel as JSON lines)")
        email = emails(shared.pools, pop, b["idx"], b["email_v"] == 1)
        lines = user_lines_batch(b, email, shared.geo.city_names, shared.geo.codes, PLANS)
        self.publisher.publish(USERS.name, line_values(lines), b["user_id"], b["ingested"])

    def annotate(self, manifest: dict) -> dict:
        """Add what was published (topics, records) to the run's manifest."""
        manifest["published"] = {"bootstrap_servers": self.publisher.bootstrap_servers,
                                 "records": dict(sorted(self.publisher.records.items()))}
        return manifest

    def close(self) -> None:
        """Deliver what is still queued."""
        self.publisher.flush()


def published_manifests(out: Path) -> list[Path]:
    """The publisher's run manifests under ``out``."""
    return sorted((Path(out) / PUBLISHED_MANIFEST_DIR).glob("view_events__*__*.json"))
