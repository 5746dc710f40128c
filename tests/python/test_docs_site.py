"""The docs site opens on the project's own overview, and the overview names only real nodes.

dbt shows the docs block ``__overview__`` of the root project instead of its default landing
page; every backticked model or source name in it must exist in the manifest, so a rename
cannot leave the landing page pointing at nothing.
"""

from __future__ import annotations

import re

from engagement.pipeline.dbt import DbtTarget, ParsedProjectDbt


def test_overview_block_names_existing_models(tmp_path) -> None:
    (tmp_path / "landing").mkdir()
    dbt = ParsedProjectDbt(DbtTarget(duckdb_path=tmp_path / "warehouse.duckdb", landing_dir=tmp_path / "landing",
                                     target_path=tmp_path / "target"))
    dbt.parse()
    manifest = dbt.manifest
    overview = manifest.docs.get("doc.streaming_engagement.__overview__")
    assert overview is not None, "models/_overview.md must define {% docs __overview__ %}"
    names = {node.name for node in manifest.nodes.values()} | {source.name for source in manifest.sources.values()}
    mentioned = set(re.findall(r"`([a-z][a-z0-9_]*)`", overview.block_contents))
    model_like = {name for name in mentioned if not name.endswith("_") and name.startswith(("stg_", "base_", "int_", "fct_", "dim_", "agg_", "pipeline_"))}
    assert model_like, "the overview names the models to start from"
    assert model_like <= names, f"not in the project: {sorted(model_like - names)}"
