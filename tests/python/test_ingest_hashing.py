"""The keyed e-mail hash of the ingest step: HMAC-SHA256, never the plaintext, stable
across batches with one key, different with another, and a changed key is refused."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
import stat
from pathlib import Path

import duckdb
import pytest

from engagement.ingest import hashing
from engagement.ingest.batch import HashKeyChanged, IngestConfig, ingest
from engagement.ingest.layout import ingest_dir_of

NOW = dt.datetime(2026, 3, 10)
ADDRESSES = {1: "  Ada.Lovelace@Example.COM", 2: "grace@example.org"}


def _land_users(landing: Path, day: str, part: str, emails: dict[int, str]) -> None:
    folder = landing / "users" / f"ingest_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / f"part-{part}.jsonl.gz", "wt", encoding="utf-8") as handle:
        for user_id, email in emails.items():
            handle.write(json.dumps({
                "user_id": user_id, "email": email, "age": 30, "sign_up_date": "2026-03-01",
                "sign_up_country": "DE", "country": "DE", "city": "Berlin", "plan": "basic",
                "change_type": "profile_update", "is_deletion_request": False,
                "updated_at": f"{day}T01:00:00Z", "ingested_at": f"{day}T01:00:01Z",
            }) + "\n")


def _ingest(landing: Path, key: bytes) -> None:
    ingest(IngestConfig(landing_dir=landing, ingest_dir=ingest_dir_of(landing), hash_key=key, now=NOW))


def _hashes(landing: Path) -> list[tuple[int, str, str]]:
    """(batch, user_id, email_hash) of every ingested users row."""
    pattern = ingest_dir_of(landing) / "batches" / "*" / "users-*.parquet"
    with duckdb.connect() as con:
        return con.execute(
            f"select ingest_batch_id, user_id, email_hash from read_parquet('{pattern}', hive_partitioning = true)"
            " order by 1, 2"
        ).fetchall()


def test_sql_hash_is_hmac_sha256_of_the_normalised_address(tmp_path: Path) -> None:
    key = b"k" * 20
    _land_users(tmp_path, "2026-03-02", "0000-0100", ADDRESSES)
    _ingest(tmp_path, key)
    got = {int(user_id): value for _, user_id, value in _hashes(tmp_path)}
    expected = {user_id: hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()
                for user_id, email in ADDRESSES.items()}
    assert got == expected
    assert got == {user_id: hashing.email_hash(key, email) for user_id, email in ADDRESSES.items()}


def test_no_plaintext_address_reaches_the_ingest_batches(tmp_path: Path) -> None:
    _land_users(tmp_path, "2026-03-02", "0000-0100", ADDRESSES)
    _ingest(tmp_path, b"some key")
    for path in (ingest_dir_of(tmp_path) / "batches").rglob("*.parquet"):
        data = path.read_bytes().lower()
        assert b"lovelace" not in data and b"grace@" not in data, path


def test_hash_is_stable_across_batches_and_changes_with_the_key(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for landing in (first, second):
        _land_users(landing, "2026-03-02", "0000-0100", {1: ADDRESSES[1]})
    _ingest(first, b"key one")
    _land_users(first, "2026-03-03", "0000-0100", {1: ADDRESSES[1]})
    _ingest(first, b"key one")
    _ingest(second, b"key two")
    batches = _hashes(first)
    assert [int(batch) for batch, _, _ in batches] == [1, 2]
    assert batches[0][2] == batches[1][2], "one key must give one hash in every batch"
    assert _hashes(second)[0][2] != batches[0][2], "another key must give another hash"


def test_a_changed_key_is_refused_with_one_line(tmp_path: Path) -> None:
    _land_users(tmp_path, "2026-03-02", "0000-0100", ADDRESSES)
    _ingest(tmp_path, b"key one")
    _land_users(tmp_path, "2026-03-03", "0000-0100", ADDRESSES)
    with pytest.raises(HashKeyChanged) as raised:
        _ingest(tmp_path, b"key two")
    assert "\n" not in str(raised.value)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "hash.key"
    key = hashing.load_key(None, key_file)
    assert len(key) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert hashing.load_key(None, key_file) == key
    assert hashing.load_key("from-env", key_file) == b"from-env"
