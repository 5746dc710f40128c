"""A compact view of a long dbt build: a few progress lines and a per-layer summary.

``engagement-run`` builds several hundred nodes; dbt's own output is a line per node
start and end (~1,150 lines on the demo data set). :class:`BuildProgress` is a dbtRunner
callback: while dbt runs with ``--quiet`` (errors only on the terminal; the full debug
log still goes to ``logs/dbt.log``) it prints one line each time another tenth of the
nodes has finished, and afterwards :meth:`BuildProgress.summary` gives one line per
layer (seeds, staging, intermediate, marts, semantic, snapshots, data and unit tests)
plus the failures, so a newcomer sees what happened without scrolling.

    progress = BuildProgress()
    run_dbt(["build"], target, quiet=True, callbacks=[progress])
    print(progress.summary())
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

#: Layers in the order a build reaches them (and the summary lists them).
LAYER_ORDER = ("seeds", "staging", "intermediate", "marts", "semantic", "snapshots", "data tests", "unit tests")
#: Node statuses that are a success (models and seeds say success, tests pass).
OK_STATUSES = frozenset({"success", "pass"})
#: Statuses listed with the node's message after the summary.
FAILED_STATUSES = frozenset({"error", "fail", "warn"})


def layer_of(resource_type: str, node_path: str) -> str:
    """The summary line a node counts in: its resource type, or its models/ top folder."""
    if resource_type == "model":
        return node_path.split("/", 1)[0] if "/" in node_path else "models"
    return {"seed": "seeds", "snapshot": "snapshots", "test": "data tests", "unit_test": "unit tests"}.get(
        resource_type, resource_type)


@dataclass
class BuildProgress:
    """Collects dbt's node events (as a ``dbtRunner`` callback) and reports them compactly.

    ``steps`` is how many progress lines a whole build prints (one per finished tenth by
    default); ``out`` receives each line (default: ``print`` with flush).
    """

    steps: int = 10
    out: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    total: int = 0
    finished: int = 0
    started_at: float = field(default_factory=time.perf_counter)
    by_layer: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)
    _reported_step: int = 0

    def __call__(self, event: object) -> None:
        """The dbtRunner callback: counts ``LogStartLine`` totals and ``NodeFinished`` results."""
        name = event.info.name
        if name == "LogStartLine" and event.data.total:
            self.total = max(self.total, event.data.total)
        elif name == "NodeFinished":
            self._finished(event.data)

    def _finished(self, data: object) -> None:
        node = data.node_info
        status = (data.run_result.status or node.node_status or "").lower()
        layer = layer_of(node.resource_type, node.node_path)
        if status != "no-op":  # exposures and saved queries: nothing is built
            self.by_layer[layer][status] += 1
        self.finished += 1
        if status in FAILED_STATUSES:
            self.failures.append(f"{status.upper()} {node.node_name}: {data.run_result.message}".strip())
        if self.total:
            step = self.finished * self.steps // self.total
            if step > self._reported_step:
                self._reported_step = step
                elapsed = time.perf_counter() - self.started_at
                self.out(f"  dbt build {100 * self.finished // self.total:3d}%  "
                         f"{self.finished}/{self.total} nodes  {elapsed:5.0f}s  (last: {node.node_name})")

    def summary(self) -> str:
        """One line per layer (``staging  12 ok``), then each failure; nothing when no node ran."""
        if not self.by_layer:
            return ""
        layers = sorted(self.by_layer, key=lambda layer: (
            LAYER_ORDER.index(layer) if layer in LAYER_ORDER else len(LAYER_ORDER), layer))
        width = max(len(layer) for layer in layers)
        lines = []
        for layer in layers:
            counts = self.by_layer[layer]
            ok = sum(counts[status] for status in OK_STATUSES)
            parts = [f"{ok} ok"] + [f"{counts[status]} {status}" for status in sorted(counts)
                                     if status not in OK_STATUSES]
            lines.append(f"  {layer:<{width}}  " + ", ".join(parts))
        lines += [f"  {failure}" for failure in self.failures]
        return "\n".join(lines)
