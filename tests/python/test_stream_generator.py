"""Stream mode of the generator: files land over time, atomically, byte-identical to batch."""

from __future__ import annotations

import gzip
import subprocess
import threading
import time
from pathlib import Path

from engagement.generator.stream import StreamGenerator, config_from_args, main as stream_main
from support.commands import entry_point

BASE = ["--users", "2500", "--days", "3", "--start-date", "2026-03-27", "--seed", "11",
        "--faults", "default", "--shard-size", "1000"]


def batch_main(args: list[str]) -> int:
    """The batch generator in a subprocess (it forks workers: never fork a threaded pytest)."""
    return subprocess.run([entry_point("engagement-generate"), *args]).returncode


def tree(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under root."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_stream_equals_batch_window_byte_for_byte(tmp_path):
    """Same window and flush interval: identical view-event, user, media, truth and manifest files."""
    window = ["--flush-minutes", "30"]
    stream_dir, batch_dir = tmp_path / "stream", tmp_path / "batch"
    assert stream_main([*BASE, *window, "--out", str(stream_dir), "--speed", "1000000", "--quiet",
                        "--start-at", "2026-03-28T06:00", "--until", "2026-03-29T13:30"]) == 0
    assert batch_main([*BASE, *window, "--out", str(batch_dir), "--quiet",
                       "--arrived-from", "2026-03-28T06:00", "--arrived-until", "2026-03-29T13:30"]) == 0
    a, b = tree(stream_dir), tree(batch_dir)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert any(k.startswith("view_events/") for k in a) and any(k.startswith("users/") for k in a)
    assert any(k.startswith("_manifests/") for k in a)


def test_stream_from_the_start_equals_a_full_batch_run(tmp_path):
    """From --start-date 00:00 to the end of the run (base users' sign-ups included)."""
    stream_dir, batch_dir = tmp_path / "stream", tmp_path / "batch"
    assert stream_main([*BASE, "--flush-minutes", "60", "--out", str(stream_dir), "--speed", "1e9", "--quiet"]) == 0
    assert batch_main([*BASE, "--flush-minutes", "60", "--out", str(batch_dir), "--quiet"]) == 0
    a = {k: v for k, v in tree(stream_dir).items() if not k.startswith("_manifests/")}
    b = {k: v for k, v in tree(batch_dir).items() if not k.startswith("_manifests/")}
    assert a.keys() == b.keys() and [k for k in a if a[k] != b[k]] == []


def test_files_land_over_time_and_atomically(tmp_path):
    """At 1500x a 5-minute slot closes every 0.2 s: files keep appearing, never a temp name."""
    out = tmp_path / "landing"
    scfg = config_from_args([*BASE, "--out", str(out), "--speed", "1500", "--flush-minutes", "5",
                             "--start-at", "2026-03-28T19:00", "--quiet"])
    gen = StreamGenerator(scfg)
    gen.setup()
    seen: list[tuple[float, int]] = []
    worker = threading.Thread(target=gen.run)
    started = time.monotonic()
    worker.start()
    while time.monotonic() - started < 2.0:
        files = list((out / "view_events").rglob("*.jsonl.gz"))
        seen.append((time.monotonic() - started, len(files)))
        for path in files:  # a visible file is always complete (temp name, then rename)
            gzip.decompress(path.read_bytes())
        time.sleep(0.1)
    gen.stop_requested = True
    worker.join(timeout=30)
    counts = [n for _, n in seen]
    assert counts == sorted(counts)                       # only ever more files
    assert counts[2] < counts[-1]                          # still landing late in the run
    assert len({n for n in counts}) >= 4                   # in several steps, not at once
    assert not list(out.rglob(".*.tmp"))                   # every write finished with a rename
    # The clock was respected: ~2 s x 1500 = 50 simulated minutes, so only hours 19 and 20.
    hours = {p.parent.name for p in (out / "view_events").rglob("part-*")}
    assert hours <= {"ingest_hour=19", "ingest_hour=20"}


def test_bad_arguments_fail_with_one_line():
    result = subprocess.run([entry_point("engagement-stream-events"), *BASE,
                             "--out", "/tmp/unused-stream-out", "--start-at", "2026-03-28T06:07"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not aligned" in result.stderr
