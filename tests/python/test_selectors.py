"""selectors.yml names the selections the project's jobs run; each equals its job's own.

* ``realtime`` selects exactly what one stream micro-batch builds
  (``engagement.stream.runner.DEFAULT_SELECT`` / ``DEFAULT_EXCLUDE``, indirect selection
  empty): the real-time marts, their parents, and only the real-time marts' data tests;
* ``dashboard`` holds every model the dashboard export reads
  (``engagement.pipeline.export.DASHBOARD_MODELS``) and every parent of them;
* ``batch`` is the whole project without unit tests (what the daily build runs).

The project is parsed once; every ``dbt ls`` reuses the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engagement.pipeline.dbt import ParsedProjectDbt
from engagement.pipeline.export import DASHBOARD_MODELS
from engagement.stream.runner import DEFAULT_EXCLUDE, DEFAULT_SELECT


@pytest.fixture(scope="module")
def dbt(parsed_project: ParsedProjectDbt) -> ParsedProjectDbt:
    return parsed_project


def _ls(dbt: ParsedProjectDbt, *selection: str) -> dict[str, dict]:
    """unique_id -> node (resource type, name, depends_on) of ``dbt ls`` with ``selection``."""
    lines = dbt(["--log-level", "none", "ls", *selection, "--output", "json",
                 "--output-keys", "unique_id", "resource_type", "name", "depends_on"])
    nodes = [json.loads(line) for line in lines]
    return {node["unique_id"]: node for node in nodes}


def test_realtime_selector_is_the_stream_batch(dbt: ParsedProjectDbt) -> None:
    named = _ls(dbt, "--selector", "realtime")
    runner = _ls(dbt, "--select", *DEFAULT_SELECT, "--exclude", *DEFAULT_EXCLUDE, "--indirect-selection", "empty")
    assert set(named) == set(runner)
    tests = [node for node in named.values() if node["resource_type"] == "test"]
    assert tests, "the real-time marts' data tests are selected"
    realtime_marts = {node["unique_id"] for node in _ls(dbt, "--select", "path:models/marts/realtime",
                                                         "--resource-type", "model").values()}
    for test in tests:  # no upstream data test: each one tests a real-time mart
        tested = {dep for dep in test["depends_on"]["nodes"] if dep.startswith("model.")}
        assert tested and tested <= realtime_marts, test["unique_id"]


def test_dashboard_selector_holds_what_the_dashboard_reads_and_its_parents(dbt: ParsedProjectDbt) -> None:
    named = _ls(dbt, "--selector", "dashboard")
    names = {node["name"] for node in named.values() if node["resource_type"] in ("model", "source")}
    assert set(DASHBOARD_MODELS) <= names
    parents = _ls(dbt, "--select", *(f"+{model}" for model in DASHBOARD_MODELS if not model.startswith("pipeline_")),
                  "--resource-type", "model")
    assert set(parents) <= set(named)
    assert not any(node["resource_type"] == "unit_test" for node in named.values())


def test_batch_selector_is_everything_but_unit_tests(dbt: ParsedProjectDbt) -> None:
    built = ("model", "seed", "snapshot", "test")
    named = {uid: node for uid, node in _ls(dbt, "--selector", "batch").items() if node["resource_type"] in built}
    everything = _ls(dbt, *(arg for kind in built for arg in ("--resource-type", kind)))
    assert set(named) == set(everything)
    assert {"model", "seed", "snapshot", "test"} <= {node["resource_type"] for node in named.values()}
