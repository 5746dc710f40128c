"""Pre-built people file: a run that loads it lands the same bytes as one that builds the
population itself, and a people file of another run is refused with one line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engagement.generator.cli import main
from support.commands import entry_point

IDENTITY = ["--users", "2000", "--days", "3", "--start-date", "2026-03-27", "--seed", "5", "--shard-size", "700"]
RUN = [*IDENTITY, "--faults", "default", "--quiet"]


def tree(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under root."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sorted_rows(path: Path) -> list[tuple]:
    """The rows of a landed Parquet file, sorted (order-free comparison)."""
    table = pq.read_table(path)
    return sorted(zip(*(table.column(c).to_pylist() for c in table.column_names)), key=repr)


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("people")
    assert main(["people", *IDENTITY, "--out", str(out), "--quiet"]) == 0
    return out


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([entry_point("engagement-generate"), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_people_file_gives_identical_output(people, tmp_path, fmt):
    built, loaded = tmp_path / "built", tmp_path / "loaded"
    assert main([*RUN, "--format", fmt, "--out", str(built)]) == 0
    assert main([*RUN, "--format", fmt, "--out", str(loaded), "--people-file", str(people), "--workers", "1"]) == 0
    a, b = tree(built), tree(loaded)
    assert a.keys() == b.keys()
    assert any(k.startswith("users/") for k in a) and any(k.startswith("view_events/") for k in a)
    assert [k for k in a if a[k] != b[k]] == []
    if fmt == "parquet":  # record-identical too (the bytes check above is the stronger one)
        for rel in a:
            if rel.endswith(".parquet"):
                assert sorted_rows(built / rel) == sorted_rows(loaded / rel), rel


def test_people_file_window_matches_full_run(people, tmp_path):
    full, window = tmp_path / "full", tmp_path / "window"
    assert main([*RUN, "--format", "parquet", "--out", str(full)]) == 0
    assert main([*RUN, "--format", "parquet", "--out", str(window), "--people-file", str(people),
                 "--arrived-from", "2026-03-29"]) == 0
    a, b = tree(full), tree(window)
    late = [k for k in b if not k.startswith(("_manifests/", "_truth/", "media/"))]
    assert late and all(a[k] == b[k] for k in late)


@pytest.mark.parametrize("flag, value, needle", [
    ("--users", "2001", "--users 2000"),
    ("--seed", "6", "--seed 5"),
    ("--days", "4", "--days 3"),
    ("--start-date", "2026-03-28", "--start-date 2026-03-27"),
    ("--shard-size", "1000", "--shard-size 700"),
    ("--history-days", "30", "--history-days 1095"),
])
def test_mismatched_run_is_refused_with_one_line(people, tmp_path, flag, value, needle):
    args = [*RUN, "--out", str(tmp_path / "out"), "--people-file", str(people)]
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    res = run_cli(*args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert lines[0].startswith("generate_events.py: error: --people-file") and needle in lines[0]


def _copy(people: Path, dest: Path) -> Path:
    dest.mkdir()
    for p in people.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())
    return dest


@pytest.mark.parametrize("damage, needle", [
    ("version", "generator 0.0.1"),
    ("no_manifest", "no people.json"),
    ("not_json", "cannot read people.json"),
    ("missing_shard", "cannot read part-0001.parquet (missing)"),
    ("truncated_shard", "part-0000.parquet"),
    ("corrupt_shard", "cannot read part-0000.parquet"),
    ("other_population", "differs from what this generator computes"),
])
def test_damaged_or_foreign_people_file_is_refused(people, tmp_path, damage, needle):
    bad = _copy(people, tmp_path / "bad")
    manifest = bad / "people.json"
    if damage == "version":
        doc = json.loads(manifest.read_text())
        doc["generator_version"] = "0.0.1"
        manifest.write_text(json.dumps(doc))
    elif damage == "no_manifest":
        manifest.unlink()
    elif damage == "not_json":
        manifest.write_text("{")
    elif damage == "missing_shard":
        (bad / "part-0001.parquet").unlink()
    elif damage == "truncated_shard":
        data = (bad / "part-0000.parquet").read_bytes()
        (bad / "part-0000.parquet").write_bytes(data[: len(data) // 2])
    elif damage == "corrupt_shard":  # same size, flipped bytes in the data pages: found by the page checksums
        data = bytearray((bad / "part-0000.parquet").read_bytes())
        for i in range(len(data) // 4, len(data) // 2, 97):
            data[i] ^= 0xFF
        (bad / "part-0000.parquet").write_bytes(bytes(data))
    elif damage == "other_population":  # the last shard (the one re-built for the check) of another seed
        other = tmp_path / "other"
        assert main(["people", *IDENTITY[:-4], "--seed", "6", "--shard-size", "700", "--out", str(other),
                     "--quiet"]) == 0
        (bad / "part-0002.parquet").write_bytes((other / "part-0002.parquet").read_bytes())
        doc = json.loads(manifest.read_text())  # a consistent manifest: only the re-build can tell
        doc["shards"][2]["bytes"] = (bad / "part-0002.parquet").stat().st_size
        manifest.write_text(json.dumps(doc))
    res = run_cli(*RUN, "--out", str(tmp_path / "out"), "--people-file", str(bad))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert lines[0].startswith("generate_events.py: error: --people-file") and needle in lines[0], lines[0]


def test_people_command_rejects_bad_arguments(tmp_path):
    res = run_cli("people", "--users", "0", "--days", "1", "--start-date", "2026-01-05", "--seed", "1",
                  "--out", str(tmp_path))
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "--users" in res.stderr
