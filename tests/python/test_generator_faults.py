"""Fault injection: additivity, categories, manifest counts against what is on disk."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from engagement.generator.cli import main
from engagement.generator.faults import CATEGORIES, FAULT_RATES
from engagement.generator.validate import classify_tree, event_files, iter_event_rows, normalised, read_lines

ARGS = ["--users", "20000", "--days", "3", "--start-date", "2026-01-05", "--seed", "5", "--quiet"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for faults in ("none", "default"):
        out[faults] = tmp_path_factory.mktemp(faults)
        assert main([*ARGS, "--faults", faults, "--out", str(out[faults])]) == 0
    return out


def manifest(root: Path) -> dict:
    return json.loads((root / "_manifests" / "view_events__start__end.json").read_text())


def valid_events(root: Path) -> dict[str, tuple]:
    """event_id -> normalised first valid delivery."""
    rows = sorted((rec for _, rec in iter_event_rows(root) if rec is not None),
                  key=lambda r: r["ingested_at"] or "")
    from engagement.generator.validate import classify
    seen: dict = {}
    out = {}
    for rec in rows:
        if classify(rec, seen) == "valid":
            out[rec["event_id"]] = normalised(rec)
    return out


def test_faults_do_not_change_valid_events(runs):
    clean, faulty = valid_events(runs["none"]), valid_events(runs["default"])
    assert len(clean) > 10_000
    assert clean.keys() == faulty.keys()
    assert [k for k in clean if clean[k] != faulty[k]] == []


def test_none_writes_only_valid_events_once(runs):
    counts = sum(classify_tree(runs["none"]).values(), Counter())
    assert set(counts) == {"valid"}
    totals = manifest(runs["none"])["view_events"]["totals"]
    assert totals["valid"] == totals["lines"] == counts["valid"]


@pytest.mark.parametrize("faults", ["none", "default"])
def test_manifest_counts_match_files_on_disk(runs, faults):
    root = runs[faults]
    m = manifest(root)["view_events"]
    on_disk = {p.relative_to(root).as_posix() for p in event_files(root)}
    assert on_disk == set(m["files"])
    classified = classify_tree(root)
    for rel, counts in m["files"].items():
        lines = read_lines(root / rel)
        assert counts["lines"] == len(lines) == sum(counts[c] for c in CATEGORIES), rel
        assert {k: v for k, v in counts.items() if k in CATEGORIES and v} == dict(classified[rel]), rel
    assert sum(m["totals"][c] for c in CATEGORIES) == m["totals"]["lines"]


def test_every_category_present_at_plausible_rates(runs):
    totals = manifest(runs["default"])["view_events"]["totals"]
    valid = totals["valid"]
    for name, rate in FAULT_RATES.items():
        assert totals[name] > 0, name
        assert 0.3 * rate * valid <= totals[name] <= 2.0 * rate * valid + 5, (name, totals[name])


def test_valid_variants_and_schema_drift(runs):
    root = runs["default"]
    m = manifest(root)
    offset_re = re.compile(r'"start_timestamp":"[^"]+[+-]\d\d:\d\d"')
    seen_offset = seen_case = 0
    for rel, counts in m["view_events"]["files"].items():
        day = rel.split("ingest_date=")[1][:10]
        lines = read_lines(root / rel)
        drift = day >= "2026-01-07"  # ceil(3 / 2) = day index 2
        parsed = [json.loads(x) for x in lines if x.startswith("{") and x.endswith("}")]
        for rec in parsed:
            assert ("drm_system" in rec) == drift, rel
            if drift:
                assert list(rec)[-1] == "drm_system"
                assert rec["drm_system"] in ("widevine", "fairplay", "playready")
        seen_offset += sum(bool(offset_re.search(x)) for x in lines)
        seen_case += sum(r.get("platform") in ("WEB", "MOBILE", "TV", "Web", "Mobile", "Tv") for r in parsed)
        assert counts["schema_drift"] == (counts["valid"] if drift else 0)
    totals = m["view_events"]["totals"]
    assert seen_offset >= totals["non_utc_offset"] > 0
    assert seen_case >= totals["platform_case"] > 0


def test_duplicates_arrive_strictly_later_within_limit(runs):
    from engagement.generator.validate import parse_ts
    import datetime as dt
    first: dict[str, dict] = {}
    dups = 0
    rows = sorted((r for _, r in iter_event_rows(runs["default"]) if r and r.get("event_id")),
                  key=lambda r: r["ingested_at"])
    for rec in rows:
        prev = first.get(rec["event_id"])
        if prev is None:
            first[rec["event_id"]] = rec
            continue
        dups += 1
        assert {k: v for k, v in rec.items() if k not in ("ingested_at", "drm_system")} == \
               {k: v for k, v in prev.items() if k not in ("ingested_at", "drm_system")}
        ing = parse_ts(rec["ingested_at"])
        assert ing > parse_ts(prev["ingested_at"])
        assert ing < parse_ts(rec["start_timestamp"]) + dt.timedelta(hours=72)
    assert dups == manifest(runs["default"])["view_events"]["totals"]["duplicate"]


def test_parquet_has_no_malformed_rows(tmp_path):
    main(["--users", "3000", "--days", "2", "--start-date", "2026-01-05", "--seed", "5", "--quiet",
          "--faults", "default", "--format", "parquet", "--out", str(tmp_path)])
    m = manifest(tmp_path)["view_events"]
    assert m["totals"]["malformed"] == 0
    classified = classify_tree(tmp_path)
    for rel, counts in m["files"].items():
        assert {k: v for k, v in counts.items() if k in CATEGORIES and v} == dict(classified[rel])
