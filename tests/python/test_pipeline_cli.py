"""The main job's command line: clear one-line errors for bad input."""

from __future__ import annotations

import subprocess

import pytest

from support.commands import entry_point


@pytest.mark.parametrize(
    "args",
    [
        ["--users", "0"],
        ["--days", "-3"],
        ["--faults", "many"],
        ["--users", "ten"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args: list[str], tmp_path) -> None:
    result = subprocess.run(
        [entry_point("engagement-run"), *args, "--landing-dir", str(tmp_path / "l"),
         "--duckdb-path", str(tmp_path / "w.duckdb")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("run_pipeline: error:")
    assert not (tmp_path / "l").exists(), "nothing is generated for bad input"


def test_summary_of_a_missing_warehouse_is_a_one_line_error(tmp_path) -> None:
    result = subprocess.run(
        [entry_point("engagement-run"), "--summary-only", "--duckdb-path", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "run_pipeline: error:" in result.stderr
