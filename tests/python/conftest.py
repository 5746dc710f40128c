"""Settings every test shares: a fixed e-mail hash key, so no test writes a key file."""

from __future__ import annotations

import os

from engagement import settings

# Set before any test imports the ingest step; a test that needs another key sets its own.
os.environ.setdefault(settings.HASH_KEY.name, "test-only-hash-key")
