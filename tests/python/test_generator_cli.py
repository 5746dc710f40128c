"""Command-line errors: one clear stderr line, exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.commands import entry_point


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([entry_point("engagement-generate"), *args], capture_output=True, text=True, timeout=120)


def good(out: Path, **over: str) -> list[str]:
    args = {"--users": "50", "--days": "1", "--start-date": "2026-01-05", "--seed": "1",
            "--faults": "none", "--out": str(out)}
    args.update(over)
    return [x for kv in args.items() for x in kv if x is not None]


@pytest.mark.parametrize("over, needle", [
    ({"--users": "-5"}, "--users"),
    ({"--users": "0"}, "--users"),
    ({"--users": "abc"}, "--users"),
    ({"--days": "0"}, "--days"),
    ({"--start-date": "2026-13-45"}, "--start-date"),
    ({"--start-date": "05/01/2026"}, "--start-date"),
    ({"--faults": "lots"}, "--faults"),
    ({"--format": "csv"}, "--format"),
    ({"--flush-minutes": "7"}, "--flush-minutes"),
    ({"--arrived-from": "2026-01-05T10:61"}, "--arrived-from"),
    ({"--arrived-from": "2026-01-05T10:15"}, "aligned"),
    ({"--arrived-from": "2026-01-06", "--arrived-until": "2026-01-05"}, "earlier"),
    ({"--arrived-until": "2026-01-05T10:00+02:00"}, "--arrived-until"),
])
def test_bad_arguments_fail_with_one_line(tmp_path, over, needle):
    res = run_cli(*good(tmp_path / "out", **over))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert needle in lines[0] and "Traceback" not in res.stderr
    assert lines[0].startswith("generate_events.py: error:")


def test_missing_required_argument(tmp_path):
    res = run_cli("--users", "10")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1


def test_unwritable_out_under_a_regular_file(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    res = run_cli(*good(blocker / "sub"))
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "--out" in res.stderr
    assert "Traceback" not in res.stderr


def test_quiet_success_writes_manifest(tmp_path):
    res = run_cli(*good(tmp_path), "--quiet")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert (tmp_path / "_manifests" / "view_events__start__end.json").is_file()
