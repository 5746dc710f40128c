"""Client settings, topics and topic creation: one place for what both ends of the broker agree on.

The settings are plain librdkafka (confluent-kafka) properties and work unchanged against
the bundled Tansu broker and against Apache Kafka, Amazon MSK or Redpanda; a deployment
adds only its security properties (``security.protocol``, ``sasl.*``, ``ssl.*``) through a
``client.properties`` file named by ``$ENGAGEMENT_KAFKA_CONFIG`` (:func:`site_properties`).

Why each setting:

* ``acks=all`` and a delivery timeout of five minutes: a record counts as published only
  once the broker has it, and the producer rides out a broker restart instead of dropping
  what it holds; a record that still fails is a fatal error of the producer, never a gap.
* ``enable.idempotence=false`` with one request in flight per connection: retries keep each
  partition's order (so one user's events stay in order), and a retry that duplicates a
  record is removed by staging's dedupe on ``event_id``. Idempotence is off because the
  bundled broker keeps its state in memory: after a restart it no longer knows the
  producer id and an idempotent producer times out every record (checked with Tansu
  0.6.0). On Kafka, MSK or Redpanda, ``enable.idempotence=true`` in the properties file is
  safe and removes those duplicates at the source.
* ``partitioner=murmur2_random``: the Java client's key hashing, so every client puts a
  ``user_id`` on the same partition.
* ``enable.auto.commit=false``: the sink commits an offset itself, after the file that
  holds the record is durable.
* ``auto.offset.reset=earliest``: a new group, or a partition whose committed offset the
  broker lost, starts at the oldest record (redelivery, never a skip).
* ``session.timeout.ms=6000`` (the broker-side minimum on Kafka): a dead sink's partitions
  move within seconds; Tansu also waits half of it before the first assignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engagement import settings

#: Consumer group of the landing sink (its committed offsets are the sink's progress).
SINK_GROUP = "engagement-landing-sink"

#: Producer properties (see the module docstring for why each).
PRODUCER_SETTINGS: Mapping[str, object] = {
    "acks": "all",
    "enable.idempotence": False,
    "max.in.flight.requests.per.connection": 1,
    "message.timeout.ms": 300_000,
    "linger.ms": 20,
    "compression.type": "lz4",
    "partitioner": "murmur2_random",
    "queue.buffering.max.messages": 500_000,
    "log.connection.close": False,  # Tansu closes idle connections after 30 s: not worth a log line
    "reconnect.backoff.max.ms": 2000,  # back within seconds of a broker restart (default 10 s)
}

#: Consumer properties of the sink (see the module docstring for why each).
CONSUMER_SETTINGS: Mapping[str, object] = {
    "group.id": SINK_GROUP,
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "auto.offset.reset": "earliest",
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 1000,
    "max.poll.interval.ms": 300_000,
    "fetch.wait.max.ms": 100,
    "log.connection.close": False,
    "reconnect.backoff.max.ms": 2000,
}


@dataclass(frozen=True)
class TopicSpec:
    """A topic and the landing dataset its records go to."""

    name: str
    dataset: str

    @property
    def hourly(self) -> bool:
        """Whether the dataset's arrival partitions go down to the hour (view events) or stop at the day."""
        return self.dataset == "view_events"


#: The topics stream mode publishes to: one per landing dataset, records keyed by ``user_id``.
VIEW_EVENTS = TopicSpec("view_events", "view_events")
USERS = TopicSpec("users", "users")
TOPICS: tuple[TopicSpec, ...] = (VIEW_EVENTS, USERS)

#: Partitions per topic when this project creates the topics (several: one user's records
#: stay in order on one of them while the sink lands the partitions independently).
DEFAULT_PARTITIONS = 4

#: Header carrying the record's arrival instant (epoch ms) in the simulation. Kafka's own
#: record timestamp stays the wall-clock produce time, which retention and lag need.
ARRIVAL_HEADER = "ingested_at_ms"


def site_properties(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``key=value`` lines of the file ``$ENGAGEMENT_KAFKA_CONFIG`` names (``#`` comments); {} when unset.

    Raises ValueError naming the file and line when a line is not ``key=value``.
    """
    name = settings.KAFKA_CONFIG.value(environ)
    if not name:
        return {}
    path = Path(name)
    props: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}:{number}: expected key=value, got {raw!r}")
        props[key.strip()] = value.strip()
    return props


def producer_config(bootstrap_servers: str, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """Producer properties: the project's, then the site's, then ``extra``."""
    return {"bootstrap.servers": bootstrap_servers, **PRODUCER_SETTINGS, **site_properties(), **(extra or {})}


def consumer_config(bootstrap_servers: str, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """Consumer properties of the sink: the project's, then the site's, then ``extra``."""
    return {"bootstrap.servers": bootstrap_servers, **CONSUMER_SETTINGS, **site_properties(), **(extra or {})}


def admin_config(bootstrap_servers: str) -> dict[str, object]:
    """Admin-client properties (topic creation)."""
    return {"bootstrap.servers": bootstrap_servers, **site_properties()}


def ensure_topics(bootstrap_servers: str, partitions: int = DEFAULT_PARTITIONS,
                  topics: tuple[TopicSpec, ...] = TOPICS, timeout_s: float = 15.0) -> dict[str, int]:
    """Create the topics that do not exist yet; return the partition count of each topic.

    A topic that exists keeps its partitions (changing them would move keys between
    partitions). Replication factor 1 on a single local broker; a production cluster
    creates its topics with its own tooling (replication factor 3, ``min.insync.replicas=2``).
    """
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(admin_config(bootstrap_servers))
    existing = admin.list_topics(timeout=timeout_s).topics
    missing = [NewTopic(t.name, partitions, 1) for t in topics if t.name not in existing]
    if missing:
        for name, future in admin.create_topics(missing, operation_timeout=timeout_s).items():
            try:
                future.result(timeout=timeout_s)
            except Exception as exc:  # noqa: BLE001 (a concurrent creator is fine, anything else is not)
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    raise RuntimeError(f"could not create topic {name}: {exc}") from exc
    described = admin.list_topics(timeout=timeout_s).topics
    return {t.name: len(described[t.name].partitions) for t in topics if t.name in described}
