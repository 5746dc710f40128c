"""The broker path's pieces without a broker: offsets the sink may commit, durable files and
their manifests, crash recovery, the lag file and its run-log rows, the publisher's lines,
the client properties file."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml

from engagement.generator.publish import KafkaPublisher, PublishError, line_values
from engagement.generator.render import lines_body
from engagement.kafka import clients
from engagement.kafka.clients import ARRIVAL_HEADER, TOPICS
from engagement.kafka.lag import LagSnapshot, PartitionLag, read_lag, write_lag
from engagement.kafka.landing_files import arrival_folder, manifest_entries, recover, sink_files
from engagement.kafka.sink import LandingSink, SinkConfig
from engagement.settings import PROJECT_DIR
from engagement.stream.consumer_lag import PIPELINE_CONSUMER_LAG_DDL, lag_rows

HOUR_MS = 3_600_000
T0 = 1_772_409_600_000  # 2026-03-02T00:00Z


class FakeMessage:
    """The parts of a confluent_kafka.Message the sink reads."""

    def __init__(self, topic: str, partition: int, offset: int, arrival_ms: int, value: bytes) -> None:
        self._t, self._p, self._o, self._a, self._v = topic, partition, offset, arrival_ms, value

    def topic(self): return self._t  # noqa: E704
    def partition(self): return self._p  # noqa: E704
    def offset(self): return self._o  # noqa: E704
    def value(self): return self._v  # noqa: E704
    def timestamp(self): return (1, 1_800_000_000_000 + self._o)  # noqa: E704
    def headers(self): return [(ARRIVAL_HEADER, b"%d" % self._a)]  # noqa: E704


def _sink(tmp_path: Path, **kw) -> LandingSink:
    cfg = SinkConfig("127.0.0.1:1", tmp_path / "landing", tmp_path / "state", **kw)
    return LandingSink(cfg, log=lambda msg: None)


def test_arrival_folders_follow_the_generator_layout():
    assert arrival_folder(TOPICS[0], T0 + 13 * HOUR_MS + 5) == "view_events/ingest_date=2026-03-02/ingest_hour=13"
    assert arrival_folder(TOPICS[1], T0 + 13 * HOUR_MS) == "users/ingest_date=2026-03-02"


def test_commit_never_passes_a_record_still_in_an_open_file(tmp_path):
    sink = _sink(tmp_path)
    # partition 0: offsets 0-1 arrive in hour 0, offset 2 in hour 1, offset 3 in hour 0 again
    for offset, hour in ((0, 0), (1, 0), (2, 1), (3, 0)):
        sink._add(FakeMessage("view_events", 0, offset, T0 + hour * HOUR_MS, b'{"n":%d}' % offset))
    sink._add(FakeMessage("view_events", 1, 7, T0, b'{"n":7}'))
    tp0, tp1 = ("view_events", 0), ("view_events", 1)
    assert sink.commit_offsets([tp0, tp1]) == {tp0: 0, tp1: 7}
    hour1 = [p for p in sink.open.values() if p.folder.endswith("ingest_hour=01")]
    sink.roll(partitions=[], force=False, commit=False)  # nothing due yet
    assert len(sink.open) == 3
    sink.open = {k: v for k, v in sink.open.items() if v in hour1}  # as if the hour-0 files were landed...
    assert sink.commit_offsets([tp0]) == {tp0: 2}  # ...the hour-1 file still holds offset 2
    sink.open.clear()
    assert sink.commit_offsets([tp0, tp1]) == {tp0: 4, tp1: 8}


def test_roll_writes_durable_files_a_manifest_and_nothing_hidden(tmp_path):
    sink = _sink(tmp_path)
    values = [b'{"event_id":"a"}', b'not json at all', b'{"event_id":"b"}']
    for offset, value in enumerate(values):
        sink._add(FakeMessage("view_events", 2, 10 + offset, T0 + 30 * 60_000, value))
    assert sink.roll(force=True, commit=False) == 1
    landing = tmp_path / "landing"
    (path,) = sink_files(landing, TOPICS)
    assert gzip.decompress(path.read_bytes()) == b"\n".join(values) + b"\n"
    assert path.name.startswith("sink-p002-000000000010-000000000012-")
    entry = manifest_entries(landing)[path.relative_to(landing).as_posix()]
    assert (entry["records"], entry["first_offset"], entry["last_offset"]) == (3, 10, 12)
    assert not list(landing.rglob(".*.tmp")) and not sink.open


def test_files_roll_by_size_and_by_age(tmp_path):
    sink = _sink(tmp_path, roll_bytes=64, roll_seconds=60.0)
    sink._add(FakeMessage("view_events", 0, 0, T0, b'{"event_id":"a"}'))
    sink._add(FakeMessage("view_events", 1, 0, T0, b'{"event_id":"b"}'))
    assert sink.roll(commit=False) == 0  # small and young: both stay open
    sink._add(FakeMessage("view_events", 0, 1, T0, b'{"event_id":"c","padding":"%s"}' % (b"x" * 40)))
    assert sink.roll(commit=False) == 1  # partition 0 reached roll_bytes
    assert [(p.partition, len(p.lines)) for p in sink.open.values()] == [(1, 1)]
    (young,) = sink.open.values()
    young.opened_at -= 61.0  # open longer than roll_seconds
    assert sink.roll(commit=False) == 1 and not sink.open
    landed = sorted(gzip.decompress(p.read_bytes()).count(b"\n") for p in sink_files(tmp_path / "landing", TOPICS))
    assert landed == [1, 2]


def test_file_names_stay_unique_when_offsets_start_again(tmp_path):
    """A memory-only broker that restarts hands out offsets from 0 again: no file is overwritten."""
    sink = _sink(tmp_path)
    for _ in range(2):
        sink._add(FakeMessage("users", 0, 0, T0, b'{"user_id":1}'))
        sink.roll(force=True, commit=False)
    assert len(sink_files(tmp_path / "landing", TOPICS)) == 2


def test_offsets_going_back_land_what_is_held_first(tmp_path):
    sink = _sink(tmp_path)
    for offset in (5, 6):
        sink._add(FakeMessage("users", 0, offset, T0, b'{"old":%d}' % offset))
    sink._add(FakeMessage("users", 0, 0, T0, b'{"new":0}'))
    assert len(sink_files(tmp_path / "landing", TOPICS)) == 1
    assert [len(p.lines) for p in sink.open.values()] == [1]


def test_recover_removes_temp_files_and_records_unlisted_files(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "view_events" / "ingest_date=2026-03-02" / "ingest_hour=00"
    folder.mkdir(parents=True)
    (folder / ".sink-p000-000000000000-000000000001-x-000001.jsonl.gz.tmp").write_bytes(b"half a fi")
    orphan = folder / "sink-p001-000000000004-000000000005-x-000002.jsonl.gz"
    orphan.write_bytes(gzip.compress(b'{"a":1}\n{"a":2}\n'))
    assert recover(landing, TOPICS, "run") == (1, 1)
    entry = manifest_entries(landing)[orphan.relative_to(landing).as_posix()]
    assert (entry["records"], entry["partition"], entry["first_offset"]) == (2, 1, 4)
    assert recover(landing, TOPICS, "run2") == (0, 0)


def test_lag_file_round_trip_and_run_log_rows(tmp_path):
    observed = dt.datetime(2026, 12, 1, 12, 0, 10)
    snapshot = LagSnapshot(observed, "g", (
        PartitionLag("view_events", 0, 40, 45, 45, 5, "2026-12-01T12:00:04.000Z", "2026-12-01T12:00:01.500Z"),
        PartitionLag("view_events", 1, 30, 30, 30, 0, None, "2026-12-01T12:00:08.000Z"),
        PartitionLag("users", 0, -1, -1, 12, 0, None, None),
    ))
    write_lag(tmp_path, snapshot)
    back = read_lag(tmp_path)
    assert back == snapshot and not back.caught_up()
    assert [p.lag_records for p in back.partitions] == [5, 0, 12]
    rows = lag_rows(3, back, dt.datetime(2026, 12, 1, 12, 0, 20))
    assert [(r[7], r[10], r[13]) for r in rows] == [(5, 6.0, 18.5), (0, 0.0, 12.0), (12, None, None)]
    ddl_columns = [line.split()[0] for line in PIPELINE_CONSUMER_LAG_DDL.strip().splitlines()[1:-1]]
    assert len(ddl_columns) == len(rows[0])


def test_pipeline_source_documents_every_consumer_lag_column():
    ddl_columns = [line.split()[0] for line in PIPELINE_CONSUMER_LAG_DDL.strip().splitlines()[1:-1]]
    sources = yaml.safe_load((PROJECT_DIR / "models" / "staging" / "pipeline" / "_pipeline__sources.yml").read_text())
    (source,) = [s for s in sources["sources"] if s["name"] == "pipeline"]
    (table,) = [t for t in source["tables"] if t["name"] == "pipeline_consumer_lag"]
    assert [c["name"] for c in table["columns"]] == ddl_columns
    assert all(c.get("description") for c in table["columns"])


def test_published_values_are_the_file_lines_without_newlines():
    lines = pa.array(['{"a":1}\n', '{"b":2}\n', '{"c":3}\n'])
    overrides = {1: b'{"b":null}\n'}
    values = list(line_values(lines.slice(0), overrides))
    assert b"".join(v + b"\n" for v in values) == bytes(lines_body(lines, overrides))
    assert values[1] == b'{"b":null}'


def test_publisher_flush_fails_loudly_on_an_unacknowledged_record():
    publisher = KafkaPublisher("127.0.0.1:1", {"log_level": 0})  # nothing listens there: no log noise
    publisher.publish("view_events", iter([b"x"]), np.array([1]), np.array([T0]))
    publisher.failures.append("view_events[0]: Local: Message timed out")
    with pytest.raises(PublishError, match="not acknowledged"):
        publisher.flush()
    publisher.producer.purge()


def test_site_properties_are_merged_and_checked(tmp_path, monkeypatch):
    props = tmp_path / "client.properties"
    props.write_text("# MSK with IAM\nsecurity.protocol=SASL_SSL\nsasl.mechanism = OAUTHBEARER\n")
    monkeypatch.setenv(clients.settings.KAFKA_CONFIG.name, str(props))
    config = clients.consumer_config("b:9098")
    assert config["security.protocol"] == "SASL_SSL" and config["sasl.mechanism"] == "OAUTHBEARER"
    assert config["enable.auto.commit"] is False and config["bootstrap.servers"] == "b:9098"
    props.write_text("security.protocol\n")
    with pytest.raises(ValueError, match="client.properties:1: expected key=value"):
        clients.producer_config("b:9098")


def test_lag_json_is_plain_json(tmp_path):
    write_lag(tmp_path, LagSnapshot(dt.datetime(2026, 1, 1), "g", ()))
    doc = json.loads((tmp_path / "lag.json").read_text())
    assert doc == {"observed_at": "2026-01-01T00:00:00", "group": "g", "partitions": []}


def test_dashboard_shows_the_newest_batchs_lag_per_partition(tmp_path, monkeypatch):
    """pipeline_consumer_lag travels through the snapshot to the page's pipeline section."""
    import duckdb
    from streamlit.testing.v1 import AppTest

    from engagement.dashboard import data as dashboard_data
    from engagement.pipeline.export import export_dashboard_snapshot
    from engagement.snapshot import current_snapshot
    from engagement.stream.consumer_lag import insert_consumer_lag
    from support import sample_data

    warehouse = sample_data.build_sample_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table pipeline_consumer_lag")  # the sample's own rows: written here instead
        for batch, lag in ((1, 9), (2, 4)):
            snap = LagSnapshot(dt.datetime(2026, 12, 1, 12, batch), "g", tuple(
                PartitionLag("view_events", p, 100, 100, 100 + lag, 0, None, "2026-12-01T12:00:00.000Z")
                for p in range(3)))
            insert_consumer_lag(con, batch, snap, dt.datetime(2026, 12, 1, 12, batch, 30))
    export_dashboard_snapshot(warehouse, tmp_path / "dash")
    loaded = dashboard_data.load_dashboard_data(current_snapshot(tmp_path / "dash"))
    assert loaded.consumer_lag["lag_records"].tolist() == [4, 4, 4]
    monkeypatch.setenv(clients.settings.DASHBOARD_DIR.name, str(tmp_path / "dash"))
    monkeypatch.setenv(clients.settings.DASHBOARD_REFRESH_SECONDS.name, "0")
    at = AppTest.from_file(str(PROJECT_DIR / "scripts" / "engagement" / "dashboard" / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(s.value == "Broker lag per partition (landing sink)" for s in at.subheader)
