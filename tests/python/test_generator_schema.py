"""Output schema of every landing file and the invariants of valid events."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engagement.generator.cli import main
from engagement.generator.validate import (EVENT_KEYS, MEDIA_KEYS, USER_KEYS, classify, iter_event_rows,
                                parse_ts, read_lines)

ARGS = ["--users", "4000", "--days", "3", "--start-date", "2026-10-23", "--seed", "3",
        "--faults", "default", "--quiet", "--flush-minutes", "15"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TS_ANY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")
SEED = Path(__file__).resolve().parents[2] / "seeds" / "country_regions.csv"
COUNTRIES = {line.split(",")[0] for line in SEED.read_text().splitlines()[1:]}
INT_FIELDS = ("media_id", "position_start_seconds", "position_end_seconds", "startup_ms",
              "rebuffer_count", "rebuffer_ms")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for fmt in ("jsonl", "parquet"):
        out[fmt] = tmp_path_factory.mktemp(fmt)
        assert main([*ARGS, "--format", fmt, "--out", str(out[fmt])]) == 0
    return out


def durations(root: Path) -> dict[int, int]:
    media = [json.loads(x) for x in read_lines(root / "media" / "part-0000.jsonl.gz")]
    return {m["media_id"]: m["duration_seconds"] for m in media}


def test_view_event_records(landing):
    root = landing["jsonl"]
    dur = durations(root)
    seen: dict = {}
    n_valid = 0
    rows = sorted((r for _, r in iter_event_rows(root) if r is not None), key=lambda r: r["ingested_at"])
    for rec in rows:
        keys = list(rec)
        assert keys[:18] == list(EVENT_KEYS) and keys[18:] in ([], ["drm_system"])
        assert TS_UTC.match(rec["ingested_at"])
        assert TS_ANY.match(rec["start_timestamp"]) and TS_ANY.match(rec["end_timestamp"])
        assert rec["session_id"] and UUID.match(rec["session_id"])
        assert rec["event_id"] is None or UUID.match(rec["event_id"])
        assert all(type(rec[k]) is int for k in INT_FIELDS)
        assert rec["user_id"] is None or type(rec["user_id"]) is int
        assert re.fullmatch(r"[0-9a-f]{16}", rec["device_id"])
        assert rec["country"] in COUNTRIES and isinstance(rec["city"], str) and rec["city"]
        if classify(rec, seen) in ("valid", "duplicate"):
            n_valid += 1
            start, end, ing = (parse_ts(rec[k]) for k in ("start_timestamp", "end_timestamp", "ingested_at"))
            assert start <= end <= ing < start + dt.timedelta(hours=72)
            assert rec["event_type"] in ("playback", "preview")
            assert rec["platform"].lower() in ("web", "mobile", "tv")
            assert 0 <= rec["position_start_seconds"] < rec["position_end_seconds"] <= dur[rec["media_id"]]
            assert (end - start).total_seconds() == rec["position_end_seconds"] - rec["position_start_seconds"]
            assert rec["rebuffer_count"] >= 0 and rec["rebuffer_ms"] >= 0 and rec["startup_ms"] > 0
    assert n_valid > 5_000


def test_rows_sorted_and_files_partitioned_by_arrival(landing):
    root = landing["jsonl"]
    for path in sorted(root.glob("view_events/*/*/*.jsonl.gz")):
        m = re.search(r"ingest_date=(\S{10})/ingest_hour=(\d\d)/part-\d{4}-(\d\d)\.jsonl\.gz$", path.as_posix())
        assert m, path
        recs = [json.loads(x) for x in read_lines(path) if x.startswith("{") and x.endswith("}")]
        keys = [(r["ingested_at"], r["event_id"]) for r in recs if r["event_id"] is not None]
        assert keys == sorted(keys)
        assert [r["ingested_at"] for r in recs] == sorted(r["ingested_at"] for r in recs)
        for r in recs:
            assert r["ingested_at"][:10] == m.group(1) and r["ingested_at"][11:13] == m.group(2)
            assert int(m.group(3)) <= int(r["ingested_at"][14:16]) < int(m.group(3)) + 15


def test_user_records(landing):
    root = landing["jsonl"]
    ids, deletions = set(), 0
    for path in sorted(root.glob("users/*/*.jsonl.gz")):
        assert re.search(r"users/ingest_date=\d{4}-\d{2}-\d{2}/part-\d{4}-\d{4}\.jsonl\.gz$", path.as_posix())
        for line in read_lines(path):
            rec = json.loads(line)
            assert list(rec) == list(USER_KEYS)
            assert rec["change_type"] in ("signup", "profile_update", "deletion_request")
            assert rec["is_deletion_request"] is (rec["change_type"] == "deletion_request")
            deletions += rec["is_deletion_request"]
            assert rec["plan"] in ("basic", "standard", "premium")
            assert rec["country"] in COUNTRIES and rec["sign_up_country"] in COUNTRIES
            assert 13 <= rec["age"] <= 90
            assert re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+", rec["email"]) and str(rec["user_id"]) in rec["email"]
            assert TS_UTC.match(rec["updated_at"]) and TS_UTC.match(rec["ingested_at"])
            assert rec["ingested_at"] >= rec["updated_at"] or rec["change_type"] == "signup"
            if rec["change_type"] == "signup":
                ids.add(rec["user_id"])
    assert ids == set(range(1, 4001))


def test_media_records_and_truth(landing):
    root = landing["jsonl"]
    media = [json.loads(x) for x in read_lines(root / "media" / "part-0000.jsonl.gz")]
    assert len(media) >= 2000
    for m in media:
        assert list(m) == list(MEDIA_KEYS)
        assert m["kind"] in ("movie", "episode")
        assert (m["series_id"] is None) == (m["kind"] == "movie")
        lo, hi = (80 * 60, 180 * 60) if m["kind"] == "movie" else (20 * 60, 60 * 60)
        assert lo <= m["duration_seconds"] <= hi
    truth = pq.read_table(root / "_truth" / "users.parquet")
    assert truth.column_names == ["user_id", "engagement", "churn_date", "deletion_requested_at", "segment",
                                  "state_at_start", "churn_reason", "churn_trigger", "decline_start_date",
                                  "return_date", "churn_count"]
    assert truth.num_rows == 4000 and truth.column("churn_date").null_count < 4000
    rows = truth.to_pylist()
    assert {r["segment"] for r in rows} == {"heavy", "regular", "casual", "dormant"}
    assert {r["state_at_start"] for r in rows} <= {"subscribed", "declining", "churned", "not_signed_up"}
    for r in rows:
        churned = r["churn_date"] is not None
        # A churn during the run always says why; only a churn has a reason, a trigger and a count.
        assert (r["churn_reason"] is not None) == churned == (r["churn_trigger"] is not None)
        assert churned == (r["churn_count"] > 0)
        if churned and r["churn_reason"] != "deletion_request":
            assert r["churn_reason"] in ("voluntary_cancel", "lapse")
            assert r["decline_start_date"] < r["churn_date"]  # a decline precedes every churn
        if r["return_date"] is not None and churned:
            assert r["return_date"] != r["churn_date"]


def test_parquet_schema_matches_jsonl(landing):
    root = landing["parquet"]
    files = sorted(root.glob("view_events/*/*/*.parquet"))
    assert files
    for path in files:
        schema = pq.read_schema(path)
        assert schema.names[:18] == list(EVENT_KEYS) and schema.names[18:] in ([], ["drm_system"])
        assert str(schema.field("user_id").type) == "int64"
        assert str(schema.field("start_timestamp").type) == "string"
        assert str(schema.field("city").type) == "string"  # built as a dictionary array, landed as text
    users = pq.read_schema(sorted(root.glob("users/*/*.parquet"))[0])
    assert users.names == list(USER_KEYS)
    assert [str(t) for t in users.types] == ["int64", "string", "int32", "string", "string", "string", "string",
                                             "string", "string", "bool", "string", "string"]
    # Same valid events in both formats.
    j = {r["event_id"] for _, r in iter_event_rows(landing["jsonl"]) if r and r.get("event_id")}
    p = {r["event_id"] for _, r in iter_event_rows(root) if r and r.get("event_id")}
    assert j == p


def test_no_temp_files_and_globs_see_whole_files(landing):
    for root in landing.values():
        hidden = [p for p in root.rglob("*") if p.name.startswith((".", "_")) and p.is_file()]
        assert hidden == []
    from engagement.generator.landing import atomic_write
    tmp = landing["jsonl"] / "scratch"
    atomic_write(tmp, "x/part-0000-00.jsonl.gz", b"abc")
    assert [p.name for p in (tmp / "x").iterdir()] == ["part-0000-00.jsonl.gz"]
    assert not list((tmp / "x").glob(".part-0000-00.jsonl.gz.tmp*"))
    assert not Path(".part-0000-00.jsonl.gz.tmp").match("*.jsonl.gz")


def test_media_identical_across_windows(landing, tmp_path):
    main([*ARGS, "--out", str(tmp_path), "--arrived-from", "2026-10-24"])
    a = (landing["jsonl"] / "media" / "part-0000.jsonl.gz").read_bytes()
    assert (tmp_path / "media" / "part-0000.jsonl.gz").read_bytes() == a


def test_parquet_uuid_encoding_reads_back_the_same_in_duckdb(landing, tmp_path):
    """event_id / session_id are stored DELTA_LENGTH_BYTE_ARRAY, uncompressed (the cheaper
    write); DuckDB (the ingest's reader) and pyarrow read the same values as the JSONL."""
    import duckdb

    from engagement.generator.landing import parquet_bytes, write_parquet

    root = landing["parquet"]
    path = max(root.glob("view_events/*/*/*.parquet"), key=lambda p: p.stat().st_size)
    meta = pq.read_metadata(path).row_group(0)
    by_name = {meta.column(i).path_in_schema: meta.column(i) for i in range(meta.num_columns)}
    for name in ("event_id", "session_id"):
        assert "DELTA_LENGTH_BYTE_ARRAY" in by_name[name].encodings
        assert by_name[name].compression == "UNCOMPRESSED"
    assert by_name["ingested_at"].compression == "SNAPPY"
    arrow = pq.read_table(path)
    con = duckdb.connect()
    ddb = con.execute(f"select event_id, session_id from read_parquet('{path}')").fetchall()
    assert ddb == list(zip(arrow["event_id"].to_pylist(), arrow["session_id"].to_pylist()))
    assert any(e is None for e, _ in ddb) or all(UUID.match(e) for e, _ in ddb)
    # same bytes through a missing directory and in memory
    write_parquet(tmp_path, "a/b/x.parquet", arrow)
    assert (tmp_path / "a" / "b" / "x.parquet").read_bytes() == parquet_bytes(arrow)
    assert pq.read_table(tmp_path / "a" / "b" / "x.parquet").equals(arrow)
    # every event of that file with an event_id equals its JSONL twin (same id and arrival), field by field
    key = lambda r: (r["event_id"], r["ingested_at"])  # noqa: E731 (duplicates share the id, not the arrival)
    jsonl = {key(r): r for _, r in iter_event_rows(landing["jsonl"]) if r and r.get("event_id")}
    matched = 0
    for rec in arrow.to_pylist():
        if rec["event_id"] is not None and key(rec) in jsonl:
            twin = {k: v for k, v in jsonl[key(rec)].items() if v is not None}
            assert {k: v for k, v in rec.items() if v is not None} == twin
            matched += 1
    assert matched > 0.99 * arrow.num_rows
