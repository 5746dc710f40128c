"""The docs site and model governance: it opens on the project's own overview, which names only
real nodes; every column a build creates has a description; what exposures and the semantic
layer read has an enforced contract; every model has a group, and access follows the layers.

dbt shows the docs block ``__overview__`` of the root project instead of its default landing
page; every backticked model or source name in it must exist in the manifest, so a rename
cannot leave the landing page pointing at nothing.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from engagement.pipeline.build import ingest_and_build
from engagement.pipeline.dbt import DbtTarget, ParsedProjectDbt, run_dbt
from support.commands import entry_point


def test_overview_block_names_existing_models(parsed_project: ParsedProjectDbt) -> None:
    manifest = parsed_project.manifest
    overview = manifest.docs.get("doc.streaming_engagement.__overview__")
    assert overview is not None, "models/_overview.md must define {% docs __overview__ %}"
    names = {node.name for node in manifest.nodes.values()} | {source.name for source in manifest.sources.values()}
    mentioned = set(re.findall(r"`([a-z][a-z0-9_]*)`", overview.block_contents))
    model_like = {name for name in mentioned if not name.endswith("_") and name.startswith(("stg_", "base_", "int_", "fct_", "dim_", "agg_", "pipeline_"))}
    assert model_like, "the overview names the models to start from"
    assert model_like <= names, f"not in the project: {sorted(model_like - names)}"


@pytest.mark.slow
def test_every_built_column_is_documented(tmp_path) -> None:
    """Every column of every model, seed and snapshot in the catalog of a real build has a
    description in its YAML (a new column without docs fails here, naming it)."""
    landing = tmp_path / "landing"
    subprocess.run([entry_point("engagement-generate"), "--users", "300", "--days", "6", "--start-date",
                    "2026-03-02", "--seed", "3", "--faults", "default", "--out", str(landing), "--quiet"],
                   check=True)
    target = DbtTarget(duckdb_path=tmp_path / "warehouse.duckdb", landing_dir=landing,
                       target_path=tmp_path / "target")
    ingest_and_build(target, ["build", "--exclude-resource-type", "test", "unit_test"])
    run_dbt(["docs", "generate"], target)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert catalog["nodes"], "the catalog lists the built relations"
    undocumented = []
    for unique_id, relation in catalog["nodes"].items():
        node = manifest["nodes"].get(unique_id)
        if node is None:
            continue
        documented = {name.lower() for name, column in node["columns"].items() if column.get("description")}
        undocumented += [f"{node['original_file_path']}: {column}" for column in relation["columns"]
                         if column.lower() not in documented]
    assert not undocumented, "columns without a description:\n" + "\n".join(undocumented)


def test_every_model_an_exposure_or_the_semantic_layer_reads_has_an_enforced_contract(
    parsed_project: ParsedProjectDbt,
) -> None:
    """What BI tools, the dashboard and MetricFlow read cannot change a column's name or type
    silently: each of those models enforces its contract (data_type on every column)."""
    manifest = parsed_project.manifest
    read = set()
    for exposure in manifest.exposures.values():
        read |= set(exposure.depends_on.nodes)
    for semantic_model in manifest.semantic_models.values():
        read |= set(semantic_model.depends_on.nodes)
    models = [manifest.nodes[uid] for uid in sorted(read) if uid.startswith("model.")]
    assert len(models) >= 15, "the exposures and semantic models read the marts"
    without = [model.name for model in models if not model.config.contract.enforced]
    assert not without, f"no enforced contract: {without}"
    untyped = [f"{model.name}.{name}" for model in models for name, column in model.columns.items()
               if not column.data_type]
    assert not untyped, f"columns without data_type: {untyped}"



def test_groups_and_access(parsed_project: ParsedProjectDbt) -> None:
    """Every model has a group. Staging and intermediate models are private, except the ones
    whose YAML gives meta.access_reason, and each such exception really is read from another
    group. Marts are protected or public; public is exactly the set with an enforced contract."""
    manifest = parsed_project.manifest
    models = {uid: node for uid, node in manifest.nodes.items() if uid.startswith("model.")}
    assert not [node.name for node in models.values() if not node.group], "models without a group"
    readers: dict[str, set[str]] = {uid: set() for uid in models}
    for node in manifest.nodes.values():
        for parent in getattr(node.depends_on, "nodes", []):
            if parent in readers and node.group and node.group != models[parent].group:
                readers[parent].add(node.name)
    problems = []
    for uid, node in sorted(models.items()):
        access = node.access.value
        layer = node.fqn[1]
        reason = node.config.meta.get("access_reason")
        if layer in ("staging", "intermediate"):
            if reason is None and access != "private":
                problems.append(f"{node.name}: {access}, expected private (or give meta.access_reason)")
            if reason is not None and (access != "protected" or not readers[uid]):
                problems.append(f"{node.name}: an access exception ({access}) that no other group needs")
        else:
            if access == "private":
                problems.append(f"{node.name}: a {layer} model must not be private")
            if (access == "public") != bool(node.config.contract.enforced):
                problems.append(f"{node.name}: public={access == 'public'} but contract={node.config.contract.enforced}")
    assert not problems, "\n".join(problems)
    exceptions = {node.name for node in models.values() if node.config.meta.get("access_reason")}
    assert exceptions == {"stg_generator__user_truth", "int_user_attribute_history"}
