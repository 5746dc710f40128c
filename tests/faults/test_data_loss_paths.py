"""The four data-loss paths of issue 12, each replayed and checked in both build modes.

1. a future-dated record (with an ingested_at to match) moves no watermark;
2. files more than 3 h out of order, and in an older date folder, are loaded;
3. each kind of unreadable file is quarantined with its reason, its readable lines kept;
4. a re-sent event with an earlier ingested_at in a later batch is attributed the same
   way by the incremental replay and by a full refresh.
"""

from __future__ import annotations

import gzip
import zlib

import pytest

from faultkit import HELD_BACK_PARTITION, NOW, Replay, query, scalar


def _file_counts(warehouse, file_name: str) -> tuple:
    """(status, reason, lines_read, landed, clean, duplicate, rejected) of one file's reconciliation row."""
    rows = query(warehouse, """
        select file_status, file_reason, lines_read, landed_records, clean_records, duplicate_records,
            rejected_records
        from agg_view_event_ingest_reconciliation where file_name = ? order by file_version desc""", [file_name])
    assert rows, f"{file_name} is missing from the reconciliation"
    return rows[0]


def _clean_in_facts(warehouse, files: str | list[str]) -> tuple[int, int]:
    """Clean staged records of a file (or files), and how many of them reached fct_view_events."""
    return query(warehouse, """
        select count(*), count(facts.event_id)
        from stg_landing__view_events as staged
        left join fct_view_events as facts on staged.event_id = facts.event_id
        where list_contains(?, staged.file_name) and staged.record_status = 'clean'""",
                 [[files] if isinstance(files, str) else files])[0]


# --- 1. one future-dated record -------------------------------------------------------------

def test_future_dated_record_is_rejected_and_moves_no_watermark(replay: Replay) -> None:
    future_file = next(rel for rel in replay.injected if rel.endswith("/fault-future.jsonl.gz"))
    for warehouse in (replay.incremental, replay.full):
        rows = {event_id: (status, reason) for event_id, status, reason, _, _ in replay.stg(
            warehouse, f"file_name = '{future_file}'")}
        assert rows["fault-future-2027"] == ("rejected", "ingested_after_arrival")
        assert all(rows[f"fault-future-ok-{n}"] == ("clean", None) for n in range(5))
        assert scalar(warehouse, "select max(activity_date) from fct_view_events") < NOW.date()
    # Every clean record of the batches after the future record reached the facts (the
    # issue saw 1 of 6,830), and the cumulative status kept every real day (it was pruned to 2027).
    for step in (3, 4):
        files = [rel for rel, s in replay.step_of.items() if s == step and rel.startswith("view_events/")]
        staged, in_facts = _clean_in_facts(replay.incremental, files)
        assert staged > 100 and in_facts == staged, f"step {step}: {in_facts} of {staged} clean records in the facts"
    first_day, last_day, days = query(replay.incremental, """
        select min(activity_date), max(activity_date), count(distinct activity_date) from dim_daily_user_status""")[0]
    assert first_day == scalar(replay.incremental, "select min(activity_date) from fct_view_events")
    assert last_day < NOW.date() and days == (last_day - first_day).days + 1
    assert scalar(replay.incremental, "select max(activity_date) from fct_active_user_fast") == last_day


def test_file_in_a_future_arrival_partition_waits(replay: Replay) -> None:
    """A file whose arrival partition lies ahead of the ingest clock is deferred, read later."""
    rel = next(rel for rel in replay.injected if "fault-future-partition" in rel)
    status, reason, lines_read, landed, *_ = _file_counts(replay.incremental, rel)
    assert (status, reason, lines_read, landed) == ("deferred", "arrival_in_future", 0, 0)
    assert scalar(replay.incremental, "select count(*) from stg_landing__view_events where event_id like "
                                      "'fault-future-partition%'") == 0


# --- 2. files out of order ------------------------------------------------------------------

def test_held_back_hour_in_an_older_date_folder_is_loaded(replay: Replay) -> None:
    held = [rel for rel in replay.lines if rel.startswith(HELD_BACK_PARTITION + "/")]
    assert held and all(replay.step_of[rel] == 3 for rel in held), "the held-back hour was not replayed late"
    # Restored two days after its hour, after files of later date folders were built.
    newest_before = max(rel for rel, step in replay.step_of.items() if step == 2 and rel.startswith("view_events/"))
    assert newest_before.split("/")[1] > HELD_BACK_PARTITION.split("/")[1]
    for rel in held:
        status, _, lines_read, landed, clean, duplicate, rejected = _file_counts(replay.incremental, rel)
        assert status == "loaded" and lines_read == landed == replay.lines[rel] == clean + duplicate + rejected
        staged, in_facts = _clean_in_facts(replay.incremental, rel)
        assert staged == clean > 0 and in_facts == staged, f"{rel}: {in_facts} of {staged} clean records in the facts"


# --- 3. unreadable files ----------------------------------------------------------------------

def _salvageable_lines(data: bytes) -> int:
    """Lines a reader can still see in a cut gzip file (complete ones plus the cut one)."""
    body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    return body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)


BAD_FILES = {
    # file -> (reason, lines read, clean lines, rejected lines with their reason)
    "invalid-utf8": ("invalid_utf8", 9, 8, {"invalid_utf8": 1}),
    "long-line": ("line_too_long", 7, 6, {"line_too_long": 1}),
    "empty": ("empty_file", 0, 0, {}),
    "not-gzip": ("not_gzip", 3, 3, {}),
    "truncated": ("truncated_gzip", None, None, {"truncated_line": 1}),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_unreadable_file_is_quarantined_with_its_readable_lines(replay: Replay, kind: str) -> None:
    rel = next(rel for rel in replay.injected if rel.endswith(f"/fault-badfile-{kind}.jsonl.gz"))
    reason, lines_read, clean, rejected = BAD_FILES[kind]
    if kind == "truncated":
        lines_read = _salvageable_lines((replay.landing / rel).read_bytes())
        clean = lines_read - 1
        assert 0 < clean < replay.injected[rel], "the cut should keep some lines and lose others"
    for warehouse in (replay.incremental, replay.full):
        status, file_reason, read, landed, n_clean, n_duplicate, n_rejected = _file_counts(warehouse, rel)
        assert (status, file_reason) == ("quarantined", reason)
        assert read == landed == lines_read == n_clean + n_duplicate + n_rejected
        assert (n_clean, n_duplicate) == (clean, 0)
        reasons = dict(query(warehouse, "select rejection_reason, count(*) from stg_landing__view_events "
                                        "where file_name = ? and record_status = 'rejected' group by 1", [rel]))
        assert reasons == rejected
        staged, in_facts = _clean_in_facts(warehouse, rel)
        assert in_facts == staged == clean, "salvaged lines must reach the facts"
    # The batch went on: the other files of the same step were loaded and built.
    same_step = [r for r, s in replay.step_of.items() if s == 2 and r.startswith("view_events/")
                 and "fault-" not in r]
    assert _clean_in_facts(replay.incremental, same_step)[1] > 100


def test_quarantined_damaged_lines_keep_their_text(replay: Replay) -> None:
    """What could not be read is kept (a preview) with its reason, in the rejected facts."""
    rows = dict(query(replay.incremental, """
        select rejection_reason, max(length(raw_record)) from fct_rejected_view_events
        where file_name like '%fault-badfile-%' group by 1"""))
    assert set(rows) == {"invalid_utf8", "line_too_long", "truncated_line"}
    assert all(length and length > 0 for length in rows.values())


# --- 4. a re-sent event with an earlier ingested_at -------------------------------------------

def test_resent_event_with_earlier_ingested_at_in_a_later_batch(replay: Replay) -> None:
    first, second = [rel for rel in replay.injected if "fault-resent" in rel]
    first_copy = gzip.decompress((replay.landing / first).read_bytes())
    assert b"fault-resent-0" in first_copy
    winners = []
    for warehouse in (replay.incremental, replay.full):
        rows = replay.stg(warehouse, "event_id = 'fault-resent-0'")
        by_file = {file_name: (status, user_id) for _, status, _, user_id, file_name in rows}
        assert by_file[first][0] == "clean" and by_file[second][0] == "duplicate"
        winners.append(query(warehouse, "select user_id, activity_date from fct_view_events "
                                        "where event_id = 'fault-resent-0'"))
    assert winners[0] == winners[1] and len(winners[0]) == 1
    assert winners[0][0][0] == replay.user_ids[12], "the copy of the earliest batch wins"
