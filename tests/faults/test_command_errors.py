"""Operator mistakes on the command line: one clear error line and a nonzero exit, never a
traceback, never hours of output. (No dbt build: these take seconds.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from faultkit import entry_point

GOOD = {"--users": "10", "--days": "1", "--start-date": "2026-01-05", "--seed": "1", "--faults": "none"}


def _one_line_error(result: subprocess.CompletedProcess, prefix: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(prefix), lines[0]
    return lines[0]


@pytest.mark.parametrize("over, needle", [
    ({"--start-date": "9999-12-31"}, "--start-date"),
    ({"--start-date": "0001-01-01"}, "--start-date"),
    ({"--days": "1000000"}, "--days"),
    ({"--users": str(10**12)}, "--users"),
    ({"--users": "10**12"}, "--users"),
])
def test_generator_bounds(tmp_path: Path, over: dict[str, str], needle: str) -> None:
    args = {**GOOD, **over, "--out": str(tmp_path / "out")}
    result = subprocess.run([entry_point("engagement-generate"), *[x for kv in args.items() for x in kv]],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert needle in _one_line_error(result, "generate_events.py: error:")
    assert not (tmp_path / "out" / "view_events").exists(), "nothing may be written on bad input"


def _stream(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([entry_point("engagement-stream"), "--max-batches", "1", "--no-export", *args],
                          capture_output=True, text=True, timeout=120)


def test_stream_runner_duckdb_path_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    (tmp_path / "landing").mkdir()
    result = _stream("--landing-dir", str(tmp_path / "landing"), "--duckdb-path", str(blocker / "w.duckdb"))
    assert "--duckdb-path" in _one_line_error(result, "run_stream: error:")


def test_stream_runner_duckdb_path_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    result = _stream("--landing-dir", str(tmp_path / "landing"), "--duckdb-path", str(tmp_path))
    assert "--duckdb-path" in _one_line_error(result, "run_stream: error:")


def test_stream_runner_missing_landing_dir(tmp_path: Path) -> None:
    result = _stream("--landing-dir", str(tmp_path / "nowhere"), "--duckdb-path", str(tmp_path / "w.duckdb"))
    assert "--landing-dir" in _one_line_error(result, "run_stream: error:")
    assert not (tmp_path / "w.duckdb").exists()


def test_ingest_missing_landing_dir(tmp_path: Path) -> None:
    result = subprocess.run([entry_point("engagement-ingest"), "--landing-dir", str(tmp_path / "nowhere")],
                            capture_output=True, text=True, timeout=60)
    assert "--landing-dir" in _one_line_error(result, "engagement-ingest: error:")
