"""Shared set-up of the fault suite: one generated landing zone, one replay with faults, one full refresh.

The suite drives the real generator, the real ingest step and the real dbt project on a
tiny data set (a few hundred users over a few days). Most scenarios share one *replay*
(:func:`replay`): the generated files are released into a landing zone in arrival order,
step by step, each step with the faults of several scenarios injected beside them, and
each followed by an incremental build, exactly as a scheduler would run it. A full
refresh of the same landing zone is then built once; every scenario test reads both
warehouses and checks its own files and events (their names say which scenario injected
them), so one expensive replay serves two dozen tests. Scenarios that need a process of
their own (kill -9, two writers, a non-UTC host, a memory limit) run in subprocesses on
copies.
"""

from __future__ import annotations

import os

import pytest

from engagement import settings

# Set before any test imports the ingest step (as tests/python/conftest.py does).
os.environ.setdefault(settings.HASH_KEY.name, "test-only-hash-key")

from faultkit import Replay, build_replay  # noqa: E402 (after the key is set)


@pytest.fixture(scope="session")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Replay:
    """The landing zone replayed with every injected fault, built incrementally and fully refreshed."""
    return build_replay(tmp_path_factory.mktemp("replay"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this folder is a fault-suite test (``-m faults`` / ``-m "not faults"``)."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.slow)
