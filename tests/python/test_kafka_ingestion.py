"""Broker ingestion end to end: publisher -> local broker (Tansu) -> landing sink -> dbt.

The reference is files mode: one batch run of the generator over the same arrivals. The
broker path lands the first two days as files (the history, identical in both), publishes
the third day's arrivals to the broker and lets the sink land them. Then:

* the landed records are byte-identical to the reference's (as multisets of lines), one
  user's records sit on one partition in arrival order, and the sink's manifests account
  for every file it wrote;
* dbt builds of both landing zones hold the same rows in every model;
* kill -9 of the sink in the middle of writing a file, and again between landing files and
  committing their offsets, then a restart: nothing lost, the redelivered copies land and
  the marts still equal the reference (staging's dedupe);
* a consumer restart with uncommitted offsets: the records after the last commit are
  delivered again and land exactly once, held in open files until SIGTERM lands and
  commits them;
* a broker restart under a running sink and a producer that publishes while the broker is
  down: nothing lost, and the sink then stops cleanly on SIGTERM.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from engagement.kafka.lag import LAG_FILE, read_lag
from engagement.kafka.landing_files import manifest_entries, sink_files
from engagement.kafka.clients import TOPICS
from engagement.kafka.local_broker import LocalBroker
from support.commands import entry_point
from support.warehouse import build_warehouse, model_differences

pytestmark = pytest.mark.slow

GEN = ["--users", "1200", "--days", "4", "--start-date", "2026-03-02", "--seed", "3", "--faults", "default"]
HISTORY_END = "2026-03-04T00:00Z"   # arrivals before this land as files (identical on both paths)
MIDDLE = "2026-03-04T12:00Z"
STREAM_END = "2026-03-05T00:00Z"    # the broker path publishes arrivals in [HISTORY_END, STREAM_END)
PARTITIONS = 3
DATASETS = ("view_events", "users")

# A sink that SIGKILLs itself at a chosen point: in the middle of writing its second file
# (or the manifest when a flush holds one file), or right before committing its first flush.
CRASHING_SINK = """
import os, signal, sys
from engagement.kafka import landing_files, sink
mode, argv = sys.argv[1], sys.argv[2:]
if mode == "mid-file":
    real, calls = landing_files._write_chunks, []
    def crash_in_second_file(fh, chunks):
        calls.append(1)
        if len(calls) == 2:
            fh.write(next(iter(chunks))[:10]); fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(fh, chunks)
    landing_files._write_chunks = crash_in_second_file
else:
    def crash_before_commit(self, partitions):
        os.kill(os.getpid(), signal.SIGKILL)
    sink.LandingSink._commit = crash_before_commit
sys.exit(sink.main(argv))
"""


def _generate(out: Path, *window: str) -> None:
    subprocess.run([entry_point("engagement-generate"), *GEN, "--out", str(out), "--quiet", *window],
                   check=True, timeout=300)


def _publish(landing: Path, bootstrap: str, start_at: str, until: str) -> subprocess.CompletedProcess:
    return subprocess.run([entry_point("engagement-stream-events"), *GEN, "--out", str(landing), "--speed", "1e9",
                           "--flush-minutes", "5", "--start-at", start_at, "--until", until, "--quiet",
                           "--kafka-bootstrap-servers", bootstrap], capture_output=True, text=True, timeout=300)


def _sink_argv(root: Path, bootstrap: str, *extra: str) -> list[str]:
    return ["--bootstrap-servers", bootstrap, "--landing-dir", str(root / "landing"),
            "--state-dir", str(root / "sink"), *extra]


def _run_sink(root: Path, bootstrap: str, *extra: str, crash: str | None = None) -> subprocess.CompletedProcess:
    """Run the sink until it is idle (or, with ``crash``, until it kills itself)."""
    if crash is None:
        command = [entry_point("engagement-sink"), *_sink_argv(root, bootstrap, "--exit-when-idle", "1.5", *extra)]
    else:
        command = [sys.executable, "-c", CRASHING_SINK, crash, *_sink_argv(root, bootstrap, *extra)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def _lines(landing: Path) -> Counter[bytes]:
    """Every landed line of the event and user datasets, with its multiplicity."""
    counts: Counter[bytes] = Counter()
    for dataset in DATASETS:
        for path in (landing / dataset).rglob("*.jsonl.gz"):
            counts.update(gzip.decompress(path.read_bytes()).splitlines(keepends=True))
    return counts


def _difference(landed: Counter[bytes], expected: Counter[bytes]) -> tuple[int, int]:
    """(expected lines missing from landed, landed lines beyond expected), counted with multiplicity."""
    return sum((expected - landed).values()), sum((landed - expected).values())


def _rejected(warehouse: Path) -> Counter[tuple]:
    """The quarantine's rows (reason, event_id, raw line), with multiplicity."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return Counter(con.execute("select rejection_reason, event_id, raw_record from fct_rejected_view_events")
                       .fetchall())


def _temp_files(landing: Path) -> list[Path]:
    return [p for d in DATASETS for p in (landing / d).rglob(".*.tmp")]


def _caught_up(state_dir: Path) -> bool:
    """The sink's last lag snapshot: every partition assigned, consumed, landed and committed."""
    snap = read_lag(state_dir)
    return (snap is not None and len(snap.partitions) == 2 * PARTITIONS and snap.caught_up()
            and sum(p.end_offset for p in snap.partitions) > 0)


def _wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """The files-mode reference (landing zone and warehouse) and the history every broker run starts from."""
    root = tmp_path_factory.mktemp("kafka")
    _generate(root / "reference" / "landing", "--arrived-until", STREAM_END)
    _generate(root / "history", "--arrived-until", HISTORY_END)
    build_warehouse(root / "reference" / "landing", root / "reference" / "w.duckdb")
    return {"root": root, "reference": root / "reference" / "landing", "history": root / "history",
            "reference_warehouse": root / "reference" / "w.duckdb"}


def _scenario(data: dict[str, Path], name: str) -> Path:
    """A folder with a copy of the history as its landing zone."""
    root = data["root"] / name
    shutil.copytree(data["history"], root / "landing")
    return root


@pytest.fixture(scope="module")
def round_trip(data) -> Path:
    root = _scenario(data, "round_trip")
    with LocalBroker(root / "broker", PARTITIONS) as broker:
        published = _publish(root / "landing", broker.bootstrap_servers, HISTORY_END, STREAM_END)
        assert published.returncode == 0, published.stderr
        sunk = _run_sink(root, broker.bootstrap_servers, "--roll-seconds", "0.5")
        assert sunk.returncode == 0, sunk.stderr
    build_warehouse(root / "landing", root / "w.duckdb")
    return root


def test_round_trip_lands_the_batch_records_byte_for_byte(data, round_trip):
    reference, landed = _lines(data["reference"]), _lines(round_trip / "landing")
    assert _difference(landed, reference) == (0, 0)
    carried = sum(landed.values()) - sum(_lines(data["history"]).values())
    assert carried > 500, f"the broker carried {carried} records, too few to prove anything"


def test_round_trip_keeps_each_user_on_one_partition_in_arrival_order(round_trip):
    entries = manifest_entries(round_trip / "landing")
    partitions_of: dict[tuple[str, int], set[int]] = {}
    sequence: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for file, entry in sorted(entries.items(), key=lambda kv: (kv[1]["topic"], kv[1]["partition"],
                                                               kv[1]["first_offset"])):
        for offset, line in enumerate(gzip.decompress((round_trip / "landing" / file).read_bytes()).splitlines()):
            try:
                record = json.loads(line)
            except ValueError:
                continue  # an injected malformed line: its key is not readable from the text
            if not isinstance(record, dict) or not isinstance(record.get("user_id"), int):
                continue
            key = (entry["topic"], record["user_id"])
            partitions_of.setdefault(key, set()).add(entry["partition"])
            sequence.setdefault(key, []).append((entry["first_offset"] + offset, record["ingested_at"]))
    assert {p for ps in partitions_of.values() for p in ps} == set(range(PARTITIONS))
    assert all(len(ps) == 1 for ps in partitions_of.values()), "a user's records spread over partitions"
    for key, records in sequence.items():
        arrivals = [ingested for _, ingested in sorted(records)]
        assert arrivals == sorted(arrivals), f"{key}: records out of arrival order within the partition"


def test_round_trip_manifests_account_for_every_sink_file(round_trip):
    landing = round_trip / "landing"
    entries = manifest_entries(landing)
    on_disk = {p.relative_to(landing).as_posix() for p in sink_files(landing, TOPICS)}
    assert set(entries) == on_disk
    for file, entry in entries.items():
        lines = gzip.decompress((landing / file).read_bytes()).count(b"\n")
        assert lines == entry["records"] == entry["last_offset"] - entry["first_offset"] + 1, file
    (published,) = (landing / "_manifests" / "published").glob("view_events__*.json")
    records = json.loads(published.read_text())["published"]["records"]
    assert sum(e["records"] for e in entries.values()) == sum(records.values())
    assert not _temp_files(landing)


def test_round_trip_builds_the_same_warehouse_as_files_mode(data, round_trip):
    assert model_differences(data["reference_warehouse"], round_trip / "w.duckdb") == {}


def test_sink_killed_mid_file_and_before_commit_loses_nothing_and_doubles_nothing(data):
    root = _scenario(data, "killed")
    landing = root / "landing"
    with LocalBroker(root / "broker", PARTITIONS) as broker:
        published = _publish(landing, broker.bootstrap_servers, HISTORY_END, STREAM_END)
        assert published.returncode == 0, published.stderr
        first = _run_sink(root, broker.bootstrap_servers, "--roll-seconds", "0.5", crash="mid-file")
        assert first.returncode == -signal.SIGKILL, first.stderr
        assert _temp_files(landing), "the sink died before it started a second file"
        second = _run_sink(root, broker.bootstrap_servers, "--roll-seconds", "0.5", crash="before-commit")
        assert second.returncode == -signal.SIGKILL, second.stderr
        assert "removed 1 temp files, recorded 1 unlisted files" in second.stderr
        third = _run_sink(root, broker.bootstrap_servers, "--roll-seconds", "0.5")
        assert third.returncode == 0, third.stderr
    assert not _temp_files(landing)
    reference, landed = _lines(data["reference"]), _lines(landing)
    lost, extra = _difference(landed, reference)
    assert lost == 0, f"{lost} records lost"
    assert extra > 0, "no redelivered copy: the kill before the commit did not bite"
    copies = landed - reference
    assert set(copies) <= set(reference), "a landed line that was never published"
    assert set(manifest_entries(landing)) == {p.relative_to(landing).as_posix() for p in sink_files(landing, TOPICS)}
    build_warehouse(landing, root / "w.duckdb")
    # Staging keeps every landed copy (marked duplicate); the quarantine lists each copy of a
    # line without an event_id (nothing to dedupe on); the typed change log of users keeps each
    # landed copy of a user record (stg_landing__users drops re-deliveries), so it holds the
    # same records, some more than once; every other model is unchanged.
    skip = frozenset({"stg_landing__view_events", "fct_rejected_view_events"})
    copies_kept = frozenset({"stg_landing__user_changes"})
    assert model_differences(data["reference_warehouse"], root / "w.duckdb", skip=skip, as_sets=copies_kept) == {}
    extra_rejected = _rejected(root / "w.duckdb") - _rejected(data["reference_warehouse"])
    assert not _rejected(data["reference_warehouse"]) - _rejected(root / "w.duckdb")
    assert all(event_id is None for _, event_id, _ in extra_rejected), extra_rejected


def test_consumer_restart_with_uncommitted_offsets_redelivers_exactly_the_rest(data):
    root = _scenario(data, "restarted")
    landing = root / "landing"
    with LocalBroker(root / "broker", PARTITIONS) as broker:
        bootstrap = broker.bootstrap_servers
        assert _publish(landing, bootstrap, HISTORY_END, MIDDLE).returncode == 0
        assert _run_sink(root, bootstrap, "--roll-seconds", "0.5").returncode == 0  # lands and commits A
        committed_a = {(p.topic, p.partition): p.committed_offset for p in read_lag(root / "sink").partitions}
        landed_a = _lines(landing)
        assert _publish(landing, bootstrap, MIDDLE, STREAM_END).returncode == 0
        # B is consumed into open files that never roll; the sink is killed holding them.
        proc = subprocess.Popen([entry_point("engagement-sink"),
                                 *_sink_argv(root, bootstrap, "--roll-seconds", "3600", "--lag-seconds", "0.2")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def holding_everything() -> bool:
                snap = read_lag(root / "sink")
                return (snap is not None and len(snap.partitions) == 2 * PARTITIONS
                        and all(p.end_offset >= 0 and p.position == p.end_offset for p in snap.partitions)
                        and sum(p.buffered_records for p in snap.partitions) > 0)
            _wait_for(holding_everything, 60, "the sink to consume everything without landing it")
            held = read_lag(root / "sink")
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert {(p.topic, p.partition): p.committed_offset for p in held.partitions} == committed_a
        assert _difference(_lines(landing), landed_a) == (0, 0), "records landed although their files never rolled"
        # The restarted sink gets B again and holds it in open files too; SIGTERM lands and commits it.
        (root / "sink" / LAG_FILE).unlink()  # the killed sink's last snapshot must not count
        proc = subprocess.Popen([entry_point("engagement-sink"),
                                 *_sink_argv(root, bootstrap, "--roll-seconds", "3600", "--lag-seconds", "0.2")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _wait_for(holding_everything, 60, "the restarted sink to consume B again")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert read_lag(root / "sink").caught_up(), "SIGTERM left records unlanded or uncommitted"
    assert _difference(_lines(landing), _lines(data["reference"])) == (0, 0)  # B exactly once, A not again


def test_broker_restart_under_a_running_sink_and_producer_loses_nothing(data):
    root = _scenario(data, "broker_restart")
    landing = root / "landing"
    reference = _lines(data["reference"])
    with LocalBroker(root / "broker", PARTITIONS) as broker:
        bootstrap = broker.bootstrap_servers
        sink_log = open(root / "sink.log", "w")
        sink = subprocess.Popen([entry_point("engagement-sink"),
                                 *_sink_argv(root, bootstrap, "--roll-seconds", "0.5", "--lag-seconds", "0.2")],
                                stdout=sink_log, stderr=subprocess.STDOUT)
        try:
            assert _publish(landing, bootstrap, HISTORY_END, MIDDLE).returncode == 0
            _wait_for(lambda: _caught_up(root / "sink"), 60, "the sink to land the first half")
            before_restart = _lines(landing)
            broker.stop()  # the in-memory broker forgets topics, records and offsets
            producer = subprocess.Popen(
                [entry_point("engagement-stream-events"), *GEN, "--out", str(landing), "--speed", "1e9",
                 "--flush-minutes", "5", "--start-at", MIDDLE, "--until", STREAM_END, "--quiet",
                 "--kafka-bootstrap-servers", bootstrap], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(4)  # the producer starts and queues its records while the broker is down
            broker.start()  # same port, topics created again
            _, producer_err = producer.communicate(timeout=180)
            assert producer.returncode == 0, producer_err
            _wait_for(lambda: not reference - _lines(landing), 90, "every record to land after the restart")
        finally:
            sink.send_signal(signal.SIGTERM)
            sink.wait(timeout=60)
            sink_log.close()
        log = (root / "sink.log").read_text()
        assert sink.returncode == 0, log
        assert "lost" in log and "stopped:" in log.splitlines()[-1]
    landed = _lines(landing)
    assert _difference(landed, before_restart)[0] == 0
    assert _difference(landed, reference)[0] == 0 and set(landed) <= set(reference)
    assert not _temp_files(landing)


def test_publishing_needs_jsonl(tmp_path):
    result = subprocess.run([entry_point("engagement-stream-events"), *GEN, "--out", str(tmp_path),
                             "--format", "parquet", "--kafka-bootstrap-servers", "127.0.0.1:1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--format jsonl" in result.stderr

