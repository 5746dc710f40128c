"""The fault suite's tools: generate, release files in arrival order, inject faults, build, compare.

:func:`build_replay` is the one expensive set-up the scenario tests share (see conftest.py):

========  ==================================================================================
step      what lands (besides the generated files whose arrival hour is before the cutoff)
========  ==================================================================================
1         generated files before 03-04 00:00, one hour (03-03 09:00) held back
2         files before 03-05 12:00; a future-dated record; the five bad-file kinds; bad
          values; duplicate lines; first copies of a re-sent event, of two events re-sent
          with another payload, of an event copied two batches later; a future partition
3         files before 03-06 12:00; the held-back hour restored (>3 h late, older date
          folder); a re-sent copy with an EARLIER ingested_at in an older partition; the
          other payloads; a copy of a recent file; an old file delivered again at its path;
          events late within and beyond the 72 h limit
4         every other generated file; the copy two batches later; an old file (6 days old)
          copied into a new partition; the build runs every data test
5         only a valid, empty .jsonl.gz (a batch without records)
6         nothing (a rerun with no input)
========  ==================================================================================

Every injected file is named ``fault-<scenario>...`` and every injected event id starts
with ``fault-<scenario>-``, so a test finds its own rows. :class:`Replay` keeps, per
file, the lines written, so the accounting (lines = clean + duplicate + rejected) is
checked against what was injected, not against what the pipeline says it read.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from engagement.ingest.batch import BatchSummary
from engagement.pipeline.build import ParsedSessions, ingest_and_build
from engagement.pipeline.dbt import DbtTarget

USERS = 250
DAYS = 6
START = dt.date(2026, 3, 2)
SEED = 23
#: The ingest clock of every step: after every generated arrival, long before 2027.
NOW = dt.datetime(2026, 3, 20, 0, 0)
GENERATOR_ARGS = ["--users", str(USERS), "--days", str(DAYS), "--start-date", START.isoformat(),
                  "--seed", str(SEED), "--faults", "none"]
#: What every build of the suite selects: the core marts, the data-quality marts and
#: everything upstream (the retention, churn and viewing marts add minutes, no fault path).
SELECT = ["--select", "+tag:core", "+tag:data_quality", "--exclude", "resource_type:unit_test",
          "--indirect-selection", "cautious"]
NO_TESTS = ["--exclude-resource-type", "test"]

#: Models compared between the incremental replay and the full refresh.
COMPARED_MODELS = {
    "stg_landing__view_events": "record_id",
    "fct_view_events": "event_id",
    "fct_rejected_view_events": "file_name, line_number",
    "agg_view_event_ingest_reconciliation": "file_name, file_version",
    "fct_daily_activity": "activity_date, user_id",
    "fct_daily_platform_activity": "activity_date, user_id, platform, country",
    "dim_daily_user_status": "user_id, activity_date",
    "fct_active_user_fast": "activity_date",
    "dim_user": "user_id",
    "dim_media": "media_id",
}

HELD_BACK_PARTITION = "view_events/ingest_date=2026-03-03/ingest_hour=09"
STEP_CUTOFFS = [dt.datetime(2026, 3, 4), dt.datetime(2026, 3, 5, 12), dt.datetime(2026, 3, 6, 12), None]

SESSIONS = ParsedSessions()


def entry_point(name: str) -> str:
    """Path of an installed command next to this interpreter (``make install`` puts them there)."""
    path = Path(sys.executable).parent / name
    assert path.is_file(), f"{name} is not installed next to {sys.executable}: run `make install`"
    return str(path)


def dbt_environment(target: DbtTarget, **extra: str) -> dict[str, str]:
    """The environment of a dbt or engagement subprocess on ``target``."""
    return {**os.environ, **target.environment(), **extra}


# --- landing files ------------------------------------------------------------------------

def iso(moment: dt.datetime) -> str:
    """UTC ISO 8601 with a Z, as the generator writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def partition(moment: dt.datetime) -> str:
    """The view-event arrival partition of an instant."""
    return f"view_events/ingest_date={moment:%Y-%m-%d}/ingest_hour={moment:%H}"


def arrival_of(rel: str) -> dt.datetime:
    """Start of a landed file's arrival partition (users files: their day; media: the epoch)."""
    parts = dict(p.split("=", 1) for p in rel.split("/") if "=" in p)
    if "ingest_date" not in parts:
        return dt.datetime(1970, 1, 1)
    day = dt.datetime.fromisoformat(parts["ingest_date"])
    return day + dt.timedelta(hours=int(parts.get("ingest_hour", 0)))


def write_landed(landing: Path, rel: str, data: bytes) -> Path:
    """Land ``data`` at ``rel`` atomically (a hidden temporary name, then a rename), as a sink does."""
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.tmp"
    temporary.write_bytes(data)
    temporary.rename(path)
    return path


def gzip_lines(lines: Iterable[bytes]) -> bytes:
    """A gzip member holding ``lines``, each ended by a newline."""
    return gzip.compress(b"".join(line + b"\n" for line in lines), mtime=0)


def lines_of(path: Path) -> list[bytes]:
    """The lines of a sound landed JSON-lines file (gzipped or not)."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.splitlines()


def view_event(event_id: str, user_id: object, started: dt.datetime, ingested: dt.datetime,
               template: dict, minutes: float = 10, **fields: object) -> dict:
    """A valid playback of an existing user and title, with ``fields`` overriding any field."""
    record = dict(template)
    record.update({
        "event_id": event_id, "session_id": f"{event_id}-session", "user_id": user_id, "event_type": "playback",
        "start_timestamp": iso(started), "end_timestamp": iso(started + dt.timedelta(minutes=minutes)),
        "position_start_seconds": 0, "position_end_seconds": int(minutes * 60), "platform": "web",
        "startup_ms": 800, "rebuffer_count": 0, "rebuffer_ms": 0, "ingested_at": iso(ingested),
    })
    record.update(fields)
    return record


def encode(record: dict) -> bytes:
    """One JSON line (no newline)."""
    return json.dumps(record, separators=(",", ":")).encode()


# --- warehouses -----------------------------------------------------------------------------

def target_of(landing: Path, warehouse: Path) -> DbtTarget:
    """A build target; every warehouse is ``<folder>/warehouse.duckdb`` so one parse serves all."""
    assert warehouse.name == "warehouse.duckdb"
    return DbtTarget(duckdb_path=warehouse, landing_dir=landing, target_path=warehouse.parent / "target")


def build(landing: Path, warehouse: Path, *extra: str, with_tests: bool = False, dbt_vars: str | None = None,
          now: dt.datetime = NOW) -> BatchSummary:
    """Ingest ``landing`` (one batch, maybe empty), then dbt build the suite's selection in-process."""
    target = target_of(landing, warehouse)
    args = ["build", *SELECT, *([] if with_tests else NO_TESTS), *extra]
    return ingest_and_build(target, args, SESSIONS.session(target, dbt_vars), now=now).ingest


def dbt_only(landing: Path, warehouse: Path, *extra: str, dbt_vars: str | None = None) -> None:
    """dbt build of the suite's selection without an ingest step (the landing zone is only read)."""
    target = target_of(landing, warehouse)
    SESSIONS.session(target, dbt_vars)(["build", *SELECT, *NO_TESTS, *extra])


def query(warehouse: Path, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    """Rows of ``sql`` on a warehouse opened read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def scalar(warehouse: Path, sql: str, params: Sequence[object] = ()) -> object:
    """The single value of ``sql``."""
    return query(warehouse, sql, params)[0][0]


def differences(left: Path, right: Path, model: str, exclude: Sequence[str] = ()) -> tuple[int, int, int]:
    """Rows only in left, only in right, and left's row count (columns in ``exclude`` ignored)."""
    columns = f"* exclude ({', '.join(exclude)})" if exclude else "*"
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        only_left = con.execute(f"select count(*) from (select {columns} from main.{model} "
                                f"except all select {columns} from other.main.{model})").fetchone()[0]
        only_right = con.execute(f"select count(*) from (select {columns} from other.main.{model} "
                                 f"except all select {columns} from main.{model})").fetchone()[0]
        rows = con.execute(f"select count(*) from main.{model}").fetchone()[0]
    return only_left, only_right, rows


def mart_fingerprint(warehouse: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every compared model (equal = same rows)."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for model in COMPARED_MODELS:
            out[model] = con.execute(
                f"select count(*), sum(hash(t::varchar)) from main.{model} as t").fetchone()
    return out


def copy_warehouse(warehouse: Path, folder: Path) -> Path:
    """A copy of a warehouse file as ``folder/warehouse.duckdb`` (no target, no lock)."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "warehouse.duckdb"
    shutil.copy2(warehouse, copy)
    return copy


def copy_landing(landing: Path, folder: Path, with_ingest: bool = True) -> Path:
    """A copy of a landing zone (with or without its ingest batches)."""
    ignore = None if with_ingest else shutil.ignore_patterns("_ingest")
    shutil.copytree(landing, folder, ignore=ignore)
    return folder


def wait_for(predicate, timeout_s: float, what: str, poll_s: float = 0.1) -> None:
    """Poll ``predicate`` until it holds; fail the test saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


# --- the replay -----------------------------------------------------------------------------

@dataclass
class Replay:
    """The shared replay: landing zone, both warehouses and what was injected."""

    root: Path
    source: Path                       # the generated landing zone, untouched
    landing: Path                      # the replayed landing zone (with its ingest batches)
    incremental: Path                  # warehouse built step by step
    full: Path                         # warehouse built by one full refresh at the end
    lines: dict[str, int] = field(default_factory=dict)       # view-event file -> lines written
    injected: dict[str, int] = field(default_factory=dict)    # injected view-event file -> lines
    step_of: dict[str, int] = field(default_factory=dict)     # landed file -> step it landed in
    summaries: list[BatchSummary] = field(default_factory=list)
    fingerprints: list[dict] = field(default_factory=list)    # after each step
    snapshots: dict[int, Path] = field(default_factory=dict)  # step -> copy of the warehouse after it
    redelivered: str = ""              # the old file delivered again at its own path (step 3)
    template: dict = field(default_factory=dict)
    user_ids: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def land(self, rel: str, data: bytes, step: int, lines: int) -> None:
        """Land an injected file; ``lines`` is how many lines were written into it."""
        write_landed(self.landing, rel, data)
        self.step_of[rel] = step
        if rel.startswith("view_events/"):
            self.injected[rel] = lines
            self.lines[rel] = lines

    def land_events(self, rel: str, records: Sequence[dict], step: int) -> None:
        """Land view events as one .jsonl.gz file."""
        self.land(rel, gzip_lines(encode(r) for r in records), step, len(records))

    def stg(self, warehouse: Path | None = None, where: str = "true") -> list[tuple]:
        """(event_id, record_status, rejection_reason, user_id, file_name) rows of staging."""
        return query(warehouse or self.incremental,
                     "select event_id, record_status, rejection_reason, user_id, file_name "
                     f"from stg_landing__view_events where {where} order by file_name, line_number")


def copy_arrived(source: Path, landing: Path, until: dt.datetime | None, skip: Iterable[str] = (),
                 hold: Sequence[str] = ()) -> list[str]:
    """Copy the generated files that arrived before ``until`` into ``landing``, as a sink would
    have landed them by then (files in ``skip`` or under a ``hold`` partition stay out)."""
    skip = set(skip)
    copied = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        if not path.is_file() or rel.startswith("_") or rel in skip:
            continue
        if until is not None and arrival_of(rel) >= until:
            continue
        if any(rel.startswith(prefix + "/") for prefix in hold):
            continue
        destination = landing / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        copied.append(rel)
    return copied


def _release(replay: Replay, until: dt.datetime | None, step: int, hold: Sequence[str] = ()) -> None:
    """Land the generated files of a step and remember their lines."""
    for rel in copy_arrived(replay.source, replay.landing, until, skip=replay.step_of, hold=hold):
        replay.step_of[rel] = step
        if rel.startswith("view_events/"):
            replay.lines[rel] = len(lines_of(replay.source / rel))


def _first_event(source: Path) -> dict:
    path = next(iter(sorted((source / "view_events").rglob("*.jsonl.gz"))))
    return json.loads(lines_of(path)[0])


def _step_2(r: Replay) -> None:
    t, users = r.template, r.user_ids
    hour = dt.datetime(2026, 3, 5, 6)
    at = hour + dt.timedelta(minutes=20)
    part = partition(hour)
    good = [view_event(f"fault-badfile-{n}", users[n % 20], at - dt.timedelta(minutes=40), at, t) for n in range(60)]
    # 1. future-dated record in an ordinary file: a valid-looking playback of 2027, ingested_at to match.
    future = dt.datetime(2027, 1, 1, 10)
    r.land_events(f"{part}/fault-future.jsonl.gz", [
        *[view_event(f"fault-future-ok-{n}", users[n], at - dt.timedelta(hours=1), at, t) for n in range(5)],
        view_event("fault-future-2027", users[5], future, future + dt.timedelta(seconds=30), t),
    ], 2)
    # ... and a whole file whose arrival partition is in the future (deferred, not read).
    r.land("view_events/ingest_date=2027-01-01/ingest_hour=10/fault-future-partition.jsonl.gz",
           gzip_lines([encode(view_event("fault-future-partition-0", users[6], future, future, t))]), 2, 1)
    # 3. the five bad-file kinds, each with readable lines around the damage where the kind allows.
    lines = [encode(g) for g in good]
    invalid_utf8 = encode(view_event("fault-badfile-utf8", users[1], at, at, t, city="X")).replace(b'"X"', b'"\xff\xfe"')
    r.land(f"{part}/fault-badfile-invalid-utf8.jsonl.gz", gzip_lines([*lines[0:4], invalid_utf8, *lines[4:8]]), 2, 9)
    long_line = encode(view_event("fault-badfile-long", users[2], at, at, t, city="L" * 3_000_000))
    r.land(f"{part}/fault-badfile-long-line.jsonl.gz", gzip_lines([*lines[8:11], long_line, *lines[11:14]]), 2, 7)
    r.land(f"{part}/fault-badfile-empty.jsonl.gz", b"", 2, 0)
    r.land(f"{part}/fault-badfile-not-gzip.jsonl.gz", b"".join(x + b"\n" for x in lines[14:17]), 2, 3)
    whole = gzip_lines(lines[20:60])
    r.land(f"{part}/fault-badfile-truncated.jsonl.gz", whole[: len(whole) * 6 // 10], 2, 40)
    # Bad values: each must become a rejection reason, never a failed build.
    bad = [
        view_event("fault-value-user-fraction", 104.7, at, at, t),
        view_event("fault-value-user-zero", 0, at, at, t),
        view_event("fault-value-user-negative", -5, at, at, t),
        view_event("fault-value-rebuffer-negative", users[3], at, at, t, rebuffer_ms=-3),
        view_event("fault-value-date-only", users[4], at, at, t, start_timestamp="2026-03-05"),
        view_event("fault-value-position-text", users[5], at, at, t, position_start_seconds="abc"),
        view_event("fault-value-ok", users[6], at, at, t),
    ]
    r.land_events(f"{part}/fault-value.jsonl.gz", bad, 2)
    # Duplicate lines inside one file.
    dup = [view_event(f"fault-dupline-{n}", users[n + 7], at, at, t) for n in range(3)]
    r.land_events(f"{part}/fault-dupline.jsonl.gz", [dup[0], dup[1], dup[1], dup[2]], 2)
    # First copies: payload scenario, re-sent event (the later ingested_at), copy two batches later.
    r.land_events(f"{part}/fault-payload-first.jsonl.gz", [
        view_event("fault-payload-ab", users[10], at, at, t, platform="web"),
        view_event("fault-payload-ba", users[11], at, at, t, platform="tv"),
    ], 2)
    r.land_events(f"{part}/fault-resent-first.jsonl.gz", [
        view_event("fault-resent-0", users[12], at - dt.timedelta(hours=2), at, t)], 2)
    r.land_events(f"{part}/fault-twolater-first.jsonl.gz", [
        view_event("fault-twolater-0", users[13], at, at, t)], 2)


def _step_3(r: Replay) -> None:
    t, users = r.template, r.user_ids
    hour = dt.datetime(2026, 3, 6, 5)
    at = hour + dt.timedelta(minutes=10)
    part = partition(hour)
    # Same ids, other payloads (other user and platform), landing one batch later: the first copy wins.
    r.land_events(f"{part}/fault-payload-second.jsonl.gz", [
        view_event("fault-payload-ab", users[11], at, at, t, platform="tv"),
        view_event("fault-payload-ba", users[10], at, at, t, platform="web"),
    ], 3)
    # 4. the re-sent event: a later batch, an older partition and an EARLIER ingested_at, another user.
    older = dt.datetime(2026, 3, 5, 2)
    r.land_events(f"{partition(older)}/fault-resent-second.jsonl.gz", [
        view_event("fault-resent-0", users[14], older - dt.timedelta(hours=2), older + dt.timedelta(minutes=5), t)],
        3)
    # Same file twice, recent: a file of step 2 landed again under another name in its own partition.
    recent = sorted(rel for rel, step in r.step_of.items()
                    if step == 2 and rel.startswith("view_events/ingest_date=2026-03-05/") and "fault-" not in rel)[-1]
    copy = recent.rsplit("/", 1)[0] + "/fault-copy-recent.jsonl.gz"
    r.land(copy, (r.landing / recent).read_bytes(), 3, r.lines[recent])
    # Same file twice, old: a step-1 file delivered again at its own path (new modification time).
    old = sorted(rel for rel, step in r.step_of.items() if step == 1 and rel.startswith("view_events/"))[0]
    os.utime(r.landing / old, ns=(time.time_ns(), time.time_ns()))
    r.redelivered = old
    # Late events: 71 h (within the 72 h limit) and 73 h (beyond) after their start.
    r.land_events(f"{part}/fault-late.jsonl.gz", [
        view_event("fault-late-within", users[15], at - dt.timedelta(hours=71), at, t),
        view_event("fault-late-beyond", users[16], at - dt.timedelta(hours=73), at, t),
    ], 3)


def _step_4(r: Replay) -> None:
    t, users = r.template, r.user_ids
    hour = dt.datetime(2026, 3, 7, 5)
    at = hour + dt.timedelta(minutes=10)
    part = partition(hour)
    # The copy two batches after the first (step 2 -> step 4).
    r.land_events(f"{part}/fault-twolater-second.jsonl.gz", [view_event("fault-twolater-0", users[13], at, at, t)], 4)
    # An old file (its records started 4+ days ago) copied into a new partition: never a second count.
    old = sorted(rel for rel, step in r.step_of.items()
                 if step == 1 and rel.startswith("view_events/ingest_date=2026-03-02/"))[-1]
    r.land(f"{part}/fault-copy-old.jsonl.gz", (r.landing / old).read_bytes(), 4, r.lines[old])


def build_replay(root: Path) -> Replay:
    """Generate, replay in six steps with faults (see the module docstring), then fully refresh."""
    started = time.monotonic()
    source = root / "source"
    subprocess.run([entry_point("engagement-generate"), *GENERATOR_ARGS, "--out", str(source), "--quiet"],
                   check=True)
    r = Replay(root=root, source=source, landing=root / "landing",
               incremental=root / "incremental" / "warehouse.duckdb", full=root / "full" / "warehouse.duckdb")
    r.landing.mkdir()
    r.template = _first_event(source)
    r.user_ids = sorted({json.loads(line)["user_id"] for path in sorted((source / "view_events").rglob("*.gz"))[:40]
                         for line in lines_of(path)})
    assert len(r.user_ids) >= 20, "the generated data has too few active users for the scenarios"
    r.timings["generate"] = time.monotonic() - started
    steps = {2: _step_2, 3: _step_3, 4: _step_4}
    for step in range(1, 7):
        t0 = time.monotonic()
        if step <= 4:
            _release(r, STEP_CUTOFFS[step - 1], step, hold=[HELD_BACK_PARTITION] if step < 3 else [])
        if step in steps:
            steps[step](r)
        if step == 5:
            r.land(f"{partition(dt.datetime(2026, 3, 7, 6))}/fault-empty-batch.jsonl.gz", gzip_lines([]), 5, 0)
        r.summaries.append(build(r.landing, r.incremental, with_tests=step == 4))
        r.fingerprints.append(mart_fingerprint(r.incremental))
        if step in (1, 3, 6):
            r.snapshots[step] = copy_warehouse(r.incremental, root / f"after_step_{step}")
        r.timings[f"step_{step}"] = time.monotonic() - t0
    t0 = time.monotonic()
    dbt_only(r.landing, r.full, "--full-refresh")
    r.timings["full_refresh"] = time.monotonic() - t0
    return r
