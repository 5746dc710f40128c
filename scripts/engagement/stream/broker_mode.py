"""Broker mode of ``engagement-stream`` (``make stream MODE=broker``): broker, sink and publisher beside the runner.

    devices (stream generator, publishing)  ->  topics view_events, users (N partitions)
        ->  landing sink (engagement-sink)  ->  landing zone files  ->  micro-batches (dbt)  ->  dashboard

:class:`BrokerStack` starts, in this order, and stops in the reverse one:

1. the broker: the bundled Tansu on a free 127.0.0.1 port (:class:`engagement.kafka.local_broker.LocalBroker`,
   folder ``<stream dir>/broker``), or the cluster ``$ENGAGEMENT_KAFKA_BOOTSTRAP_SERVERS``
   names (Kafka, MSK, Redpanda; its topics are created if missing);
2. the landing sink as a child process (log ``<stream dir>/sink.log``, lag file
   ``<stream dir>/sink/lag.json``, which the runner records per batch);
3. with ``--with-generator``: the history landed as files (one batch run, as in files mode:
   the backfill), then the stream generator publishing to the broker
   (``--kafka-bootstrap-servers``) instead of writing files.

Stopping: the generator first (it finishes its slot, every record acknowledged), then the
sink once it has landed everything the broker holds (at most a minute), then the broker.
All children also die with the runner (``PR_SET_PDEATHSIG``), however it ends.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from engagement import settings
from engagement.kafka.clients import ensure_topics
from engagement.kafka.lag import read_lag
from engagement.kafka.local_broker import LocalBroker
from engagement.stream.runlog import utcnow
from engagement.stream.supervisor import GeneratorSupervisor, die_with_parent

SINK_MODULE = "engagement.kafka.sink"
DRAIN_TIMEOUT_S = 60.0


class BrokerStack:
    """The broker, the landing sink and (optionally) the publishing generator of one stream run."""

    def __init__(self, args: argparse.Namespace, landing: Path, stream_dir: Path,
                 out: Callable[[str], None]) -> None:
        self.args = args
        self.landing = landing
        self.stream_dir = stream_dir
        self.out = out
        self.broker: LocalBroker | None = None
        self.bootstrap_servers: str | None = settings.KAFKA_BOOTSTRAP_SERVERS.value() or None
        self.sink: subprocess.Popen | None = None
        self._sink_log: IO[bytes] | None = None
        self.generator: GeneratorSupervisor | None = None
        if args.with_generator:
            self.generator = GeneratorSupervisor(args, landing, stream_dir / "stream_generator.log", out)

    @property
    def sink_state_dir(self) -> Path:
        """Where the sink writes lag.json (the runner's ``consumer_lag_dir``)."""
        return self.stream_dir / "sink"

    def land_history(self):
        """Files-mode backfill of the history (``--with-generator`` only); returns where it ends."""
        return self.generator.land_history() if self.generator is not None else None

    def start(self, history_end=None) -> None:
        """Broker, then sink, then the publishing generator."""
        args = self.args
        if self.bootstrap_servers is None:
            self.broker = LocalBroker(self.stream_dir / "broker", args.partitions).start()
            self.bootstrap_servers = self.broker.bootstrap_servers
            self.out(f"broker: local Tansu on {self.bootstrap_servers} (in memory; log {self.broker.folder})")
        else:
            partitions = ensure_topics(self.bootstrap_servers, args.partitions)
            self.out(f"broker: {self.bootstrap_servers} (topics {partitions})")
        self._sink_log = open(self.stream_dir / "sink.log", "ab")
        self.sink = subprocess.Popen(
            [sys.executable, "-m", SINK_MODULE, "--bootstrap-servers", self.bootstrap_servers,
             "--landing-dir", str(self.landing), "--state-dir", str(self.sink_state_dir),
             "--roll-seconds", str(args.sink_roll_seconds)],
            stdout=self._sink_log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
        self.out(f"sink: landing into {self.landing} (roll every {args.sink_roll_seconds:g}s; "
                 f"log {self.stream_dir / 'sink.log'})")
        if self.generator is not None:
            self.generator.extra_argv = ("--kafka-bootstrap-servers", self.bootstrap_servers)
            self.generator.start(history_end)

    def watch(self, on_exit: Callable[[int, str], None]) -> None:
        """Call ``on_exit(code, name)`` when the generator or the sink exits."""
        if self.generator is not None:
            self.generator.watch(lambda code: on_exit(code, "stream generator"))
        sink = self.sink
        if sink is not None:
            threading.Thread(target=lambda: on_exit(sink.wait(), "landing sink"), daemon=True).start()

    def _drain(self) -> bool:
        """Wait until the sink has landed every record the broker holds (bounded)."""
        if self.sink is None or self.sink.poll() is not None:
            return False
        stopped_at = utcnow()  # a snapshot from before the generator stopped says nothing
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() < deadline and self.sink.poll() is None:
            snapshot = read_lag(self.sink_state_dir)
            if snapshot is not None and snapshot.observed_at > stopped_at and snapshot.caught_up():
                return True
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        """Generator, then (after draining) the sink, then the broker."""
        if self.generator is not None:
            self.generator.stop()
        if self.sink is not None:
            drained = self._drain()
            if self.sink.poll() is None:
                self.sink.terminate()
                try:
                    self.sink.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.sink.kill()
                    self.sink.wait()
            self.out(f"sink stopped (exit {self.sink.returncode}"
                     f"{'' if drained else '; it had not landed everything the broker held'})")
        if self._sink_log is not None:
            self._sink_log.close()
            self._sink_log = None
        if self.broker is not None:
            self.broker.stop()
            self.out("broker stopped")
