"""A pipeline: the graph's declarations bound to what each task runs, checked to match one to one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from retailflow.workloads.runtime.graph import GraphError, PipelineGraph
from retailflow.workloads.runtime.strategies import TaskRun


@dataclass(frozen=True)
class Pipeline:
    graph: PipelineGraph
    runs: Mapping[str, TaskRun]

    def __post_init__(self) -> None:
        unbound = [key for key in self.graph.order if key not in self.runs]
        if unbound:
            raise GraphError(f"task {unbound[0]!r} is declared but has no run bound to it")
        undeclared = sorted(set(self.runs) - set(self.graph.tasks))
        if undeclared:
            raise GraphError(f"a run is bound to {undeclared[0]!r}, which the graph does not declare")
