"""The keyed hash that replaces e-mail addresses at ingest (HMAC-SHA256, RFC 2104).

An unsalted hash of an e-mail address is reversible by dictionary; a keyed hash is not
without the key. The key never lives in the repository: it comes from
``ENGAGEMENT_HASH_KEY`` or, when that is unset, from the file ``ENGAGEMENT_HASH_KEY_FILE``,
which is created with a random key on first use (mode 0600). The same key gives the same
hash in every batch; a changed key would split one person into two, so every batch
records the key's fingerprint and the ingest step refuses a batch whose key differs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

BLOCK_SIZE = 64  # SHA-256 block size in bytes


def load_key(key: str | None, key_file: Path) -> bytes:
    """The hash key: ``key`` when given, else the contents of ``key_file`` (created if missing)."""
    if key:
        return key.encode()
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    text = key_file.read_text().strip()
    if not text:
        raise ValueError(f"hash key file {key_file} is empty")
    return text.encode()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(key XOR ipad, key XOR opad), the two 64-byte blocks HMAC-SHA256 prepends."""
    if len(key) > BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK_SIZE, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def email_hash(key: bytes, email: str) -> str:
    """Reference implementation (tests compare the SQL form with it)."""
    return hmac.new(key, email.strip(" ").lower().encode(), hashlib.sha256).hexdigest()


def fingerprint(key: bytes) -> str:
    """A short, non-reversible identity of the key (recorded per batch)."""
    return hmac.new(key, b"engagement-hash-key-fingerprint", hashlib.sha256).hexdigest()[:16]
