"""The pipeline graph, defined once: workloads, their tasks, and the tables each task reads and writes.

Dependencies are derived from the tables (a task depends on the tasks that write what it reads), so the Databricks
job's `depends_on`, the local runner's order and the docs all come from the same declaration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from retailflow.workloads.runtime.refs import TableRef


class GraphError(ValueError):
    """The graph declaration is inconsistent (a cycle, a table with two writers, an unknown task)."""


@dataclass(frozen=True)
class Task:
    """A task's declaration: the tables it may read and the tables it writes. What it runs is bound to its key
    (`runtime.pipeline.Pipeline`); no pyspark here, so the deploy toolchain reads the graph without the engine."""

    key: str
    inputs: tuple[TableRef, ...]
    outputs: tuple[TableRef, ...]
    description: str
    layer: str  # landing | bronze | silver | gold | marts | maintenance
    kind: str = "python"  # python: the wheel's entry point runs it; dbt: the dbt project builds it (dbt_task)

    @classmethod
    def of(cls, key: str, inputs: Iterable[str], outputs: Iterable[str], description: str) -> Task:
        """A task from `schema.table` names; its layer is its first output's schema."""
        outs = tuple(TableRef.parse(o) for o in outputs)
        return cls(key, tuple(TableRef.parse(i) for i in inputs), outs, description, outs[0].schema)

    def may_read(self, ref: TableRef) -> bool:
        return ref in self.inputs or ref in self.outputs


@dataclass(frozen=True)
class Workload:
    """A deployable unit: one Databricks job (its tasks) and the code bundled with it."""

    name: str
    description: str
    tasks: tuple[Task, ...]
    schedule: str = "pipeline"  # the environment's schedule the job follows: pipeline | landing | maintenance
    local: bool = True  # whether the local runner executes it (maintenance needs Databricks)
    requirements: tuple[str, ...] = ()  # PyPI packages its tasks need beside the wheel (pinned)


class PipelineGraph:
    def __init__(self, workloads: Sequence[Workload]) -> None:
        self.workloads = tuple(workloads)
        self.tasks: dict[str, Task] = {}
        writers: dict[TableRef, str] = {}
        for workload in workloads:
            for task in workload.tasks:
                if task.key in self.tasks:
                    raise GraphError(f"task {task.key!r} is declared twice")
                self.tasks[task.key] = task
                if workload.local:
                    for table in task.outputs:
                        if table in writers:
                            raise GraphError(f"table {table} is written by {writers[table]!r} and {task.key!r}")
                        writers[table] = task.key
        self._writers = writers
        self.order = self._topological_order()

    def workload_of(self, task_key: str) -> Workload:
        return next(w for w in self.workloads if any(t.key == task_key for t in w.tasks))

    def dependencies(self, task_key: str) -> list[str]:
        """The tasks of the same workload that write what `task_key` reads."""
        task = self.tasks[task_key]
        workload = self.workload_of(task_key)
        keys = {t.key for t in workload.tasks}
        found = {self._writers[t] for t in task.inputs if t in self._writers and self._writers[t] in keys}
        found.discard(task_key)
        return sorted(found, key=self.order.index)

    def _topological_order(self) -> list[str]:
        declared = list(self.tasks)
        remaining = {k: set(self._raw_dependencies(k)) for k in declared}
        order: list[str] = []
        while remaining:
            ready = [k for k in declared if k in remaining and not remaining[k]]
            if not ready:
                raise GraphError(f"the pipeline graph has a cycle among {sorted(remaining)}")
            for k in ready:
                order.append(k)
                del remaining[k]
            for deps in remaining.values():
                deps.difference_update(ready)
        return order

    def _raw_dependencies(self, task_key: str) -> list[str]:
        task = self.tasks[task_key]
        return sorted({self._writers[t] for t in task.inputs if t in self._writers} - {task_key})

    def select(self, only: Iterable[str] | None, local: bool = True) -> list[str]:
        """Task keys to run, in dependency order; `only` names tasks (or workloads) to run alone."""
        candidates = [k for k in self.order if not local or self.workload_of(k).local]
        if not only:
            return candidates
        wanted: set[str] = set()
        for name in only:
            workload = next((w for w in self.workloads if w.name == name), None)
            if workload is not None:
                wanted.update(t.key for t in workload.tasks)
            elif name in self.tasks:
                wanted.add(name)
            else:
                raise GraphError(f"unknown task or workload {name!r} (known tasks: {', '.join(self.order)})")
        return [k for k in candidates if k in wanted]

    def tables(self) -> list[TableRef]:
        return sorted(self._writers)
