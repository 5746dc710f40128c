"""Record-level faults: bad values, copies of every kind, late events, and the accounting.

Every line written to the landing zone ends as exactly one of clean, duplicate or
rejected (with a reason), or sits in a file that is quarantined or deferred; nothing is
counted twice, and the incremental replay equals a full refresh of the same files.
"""

from __future__ import annotations

import pytest

from faultkit import COMPARED_MODELS, Replay, differences, query, scalar

# --- bad values ----------------------------------------------------------------------------

BAD_VALUES = {
    "fault-value-user-fraction": "invalid_key",      # user_id 104.7 (was credited to user 105)
    "fault-value-user-zero": "invalid_key",          # user_id 0 (was an active user, then failed dim_user tests)
    "fault-value-user-negative": "invalid_key",      # user_id -5
    "fault-value-rebuffer-negative": "invalid_number",  # rebuffer_ms -3
    "fault-value-date-only": "invalid_timestamp",    # "2026-03-05" (its -05 looked like an offset)
    "fault-value-position-text": "invalid_number",   # position "abc" (was NULL, silently)
}


@pytest.mark.parametrize("event_id", sorted(BAD_VALUES))
def test_bad_value_gets_a_rejection_reason(replay: Replay, event_id: str) -> None:
    for warehouse in (replay.incremental, replay.full):
        rows = replay.stg(warehouse, f"event_id = '{event_id}'")
        assert [(status, reason) for _, status, reason, _, _ in rows] == [("rejected", BAD_VALUES[event_id])]
        assert scalar(warehouse, "select count(*) from fct_view_events where event_id = ?", [event_id]) == 0
        assert scalar(warehouse, "select count(*) from fct_rejected_view_events where event_id = ?", [event_id]) == 1


def test_bad_values_never_block_the_build(replay: Replay) -> None:
    """Step 4 ran every data test of the selection over all the bad values (build_replay would
    have raised), the clean neighbour of the bad values got through, and no invalid id is a user."""
    assert replay.stg(replay.incremental, "event_id = 'fault-value-ok'")[0][1] == "clean"
    assert scalar(replay.incremental, "select count(*) from fct_view_events where user_id <= 0 or media_id <= 0") == 0
    orphans = scalar(replay.incremental, """
        select count(*) from fct_daily_activity where user_id not in (select user_id from dim_user)""")
    assert orphans == 0
    assert scalar(replay.incremental, "select count(*) from fct_view_events where user_id = 105 "
                                      "and event_id like 'fault-value%'") == 0


# --- copies ----------------------------------------------------------------------------------

def _statuses(replay: Replay, warehouse, where: str) -> list[str]:
    return [status for _, status, _, _, _ in replay.stg(warehouse, where)]


def test_same_file_twice_recent(replay: Replay) -> None:
    """A file of the previous batch landed again under another name: every line a duplicate."""
    copy = next(rel for rel in replay.injected if rel.endswith("/fault-copy-recent.jsonl.gz"))
    for warehouse in (replay.incremental, replay.full):
        statuses = _statuses(replay, warehouse, f"file_name = '{copy}'")
        assert len(statuses) == replay.lines[copy] > 0 and set(statuses) == {"duplicate"}


def test_same_file_twice_old(replay: Replay) -> None:
    """An old file delivered again at its own path (new mtime), and copied into a partition 5
    days later: never a second count (the late copy is beyond the dedupe window, so it is
    rejected as too late by its file's arrival, not taken for a new event)."""
    redelivered = replay.redelivered
    copy = next(rel for rel in replay.injected if rel.endswith("/fault-copy-old.jsonl.gz"))
    for warehouse in (replay.incremental, replay.full):
        versions = query(warehouse, """
            select file_version, count(*), count(case when record_status = 'clean' then 1 end)
            from stg_landing__view_events where file_name = ? group by 1 order by 1""", [redelivered])
        assert versions[0][1] == versions[0][2] == replay.lines[redelivered]
        assert all(clean == 0 for _, _, clean in versions[1:]), "a re-delivered file counted twice"
        reasons = dict(query(warehouse, """
            select coalesce(rejection_reason, record_status), count(*) from stg_landing__view_events
            where file_name = ? group by 1""", [copy]))
        assert reasons == {"too_late": replay.lines[copy]}
    assert scalar(replay.incremental, "select count(*) - count(distinct event_id) from fct_view_events") == 0


def test_duplicate_lines_in_one_file(replay: Replay) -> None:
    rel = next(rel for rel in replay.injected if rel.endswith("/fault-dupline.jsonl.gz"))
    for warehouse in (replay.incremental, replay.full):
        rows = [(event_id, status) for event_id, status, _, _, _ in replay.stg(warehouse, f"file_name = '{rel}'")]
        assert rows == [("fault-dupline-0", "clean"), ("fault-dupline-1", "clean"),
                        ("fault-dupline-1", "duplicate"), ("fault-dupline-2", "clean")]


@pytest.mark.parametrize("event_id, first_platform", [("fault-payload-ab", "web"), ("fault-payload-ba", "tv")])
def test_same_id_different_payload_first_copy_wins(replay: Replay, event_id: str, first_platform: str) -> None:
    """Both orders: whichever payload landed first is the event; the other is its duplicate."""
    facts = []
    for warehouse in (replay.incremental, replay.full):
        statuses = [(file_name.rsplit("/", 1)[1], status) for _, status, _, _, file_name in
                    replay.stg(warehouse, f"event_id = '{event_id}'")]
        assert sorted(statuses) == [("fault-payload-first.jsonl.gz", "clean"),
                                    ("fault-payload-second.jsonl.gz", "duplicate")]
        facts.append(query(warehouse, "select user_id, platform from fct_view_events where event_id = ?", [event_id]))
    assert facts[0] == facts[1] and len(facts[0]) == 1 and facts[0][0][1] == first_platform


def test_duplicate_two_batches_later(replay: Replay) -> None:
    rows = replay.stg(replay.incremental, "event_id = 'fault-twolater-0'")
    steps = [replay.step_of[file_name] for *_, file_name in rows]
    assert steps == [2, 4]
    assert [status for _, status, _, _, _ in rows] == ["clean", "duplicate"]
    assert _statuses(replay, replay.full, "event_id = 'fault-twolater-0'") == ["clean", "duplicate"]


def test_late_within_and_beyond_the_limit(replay: Replay) -> None:
    for warehouse in (replay.incremental, replay.full):
        within = replay.stg(warehouse, "event_id = 'fault-late-within'")
        beyond = replay.stg(warehouse, "event_id = 'fault-late-beyond'")
        assert [(s, r) for _, s, r, _, _ in within] == [("clean", None)]
        assert [(s, r) for _, s, r, _, _ in beyond] == [("rejected", "too_late")]
        # The late event counts on the day it started, three days before it arrived.
        day = scalar(warehouse, "select activity_date from fct_view_events where event_id = 'fault-late-within'")
        assert str(day) == "2026-03-03"
        assert scalar(warehouse, "select count(*) from fct_daily_activity where user_id = ? and activity_date = ?",
                      [within[0][3], day]) == 1


# --- accounting and the two build modes --------------------------------------------------------

def test_every_landed_line_is_accounted_for(replay: Replay) -> None:
    """Per file: lines written = lines read = clean + duplicate + rejected, except the lines a
    damaged file lost (quarantined: counted as such) and a deferred file's (waiting). A file
    delivered twice at its path is two versions, each a delivery of all its lines."""
    rows = query(replay.incremental, """
        select file_name, file_version, file_status, lines_read, landed_records, clean_records,
            duplicate_records, rejected_records
        from agg_view_event_ingest_reconciliation""")
    assert {row[0] for row in rows} == set(replay.lines), "files in the reconciliation differ from the files landed"
    totals = dict.fromkeys(["written", "clean", "duplicate", "rejected", "lost_in_quarantine", "deferred"], 0)
    for rel, version, status, read, landed, clean, duplicate, rejected in rows:
        written = replay.lines[rel]
        assert read == landed == clean + duplicate + rejected, (rel, version)
        totals["written"] += written
        totals["clean"] += clean
        totals["duplicate"] += duplicate
        totals["rejected"] += rejected
        if status == "deferred":
            totals["deferred"] += written
        elif status == "quarantined":
            totals["lost_in_quarantine"] += written - read
        else:
            assert read == written, rel
    assert totals["written"] == sum(totals.values()) - totals["written"], totals
    assert totals["deferred"] == 1 and totals["lost_in_quarantine"] > 0, "every kind of outcome must occur"
    # Nothing doubled: one fact per clean record, one per event id.
    facts, distinct = query(replay.incremental, "select count(*), count(distinct event_id) from fct_view_events")[0]
    assert facts == distinct == totals["clean"]
    print(f"\nreplay accounting: {totals}")


@pytest.mark.parametrize("model", sorted(COMPARED_MODELS))
def test_incremental_replay_equals_full_refresh(replay: Replay, model: str) -> None:
    """Six incremental runs with every fault above give exactly the full refresh's rows."""
    only_incremental, only_full, rows = differences(replay.incremental, replay.full, model)
    assert rows > 0, f"{model} is empty: the comparison would prove nothing"
    assert (only_incremental, only_full) == (0, 0), (
        f"{model}: {only_incremental} rows only in the incremental replay, {only_full} only in the full refresh")
