"""Running the pipeline graph on this machine: the local engine, local Delta tables, one run at a time."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retailflow.workloads.retail.contracts import registry
from retailflow.workloads.retail.pipeline import PIPELINE
from retailflow.workloads.runtime.context import TaskContext
from retailflow.workloads.runtime.engine import Engine, create_engine, out_of_memory
from retailflow.workloads.runtime.ops import last_success_starts
from retailflow.workloads.runtime.runner import TaskReport, lakehouse_lock, new_run_id, run_graph
from retailflow.workloads.runtime.tables import FaultHook, Lakehouse


@dataclass(frozen=True)
class LocalRunSettings:
    lakehouse: Path
    raw: Path
    catalog: str = "retailflow_local"
    engine: str = "local"
    remote_url: str | None = None
    max_line_bytes: int = 1 << 20
    engine_memory_budget_mb: int | None = None  # a local engine over it is restarted between tasks
    parallel_tasks: int = 1  # tasks run at once

    def __post_init__(self) -> None:
        # Absolute paths: the ingestion ledger knows RAW files by path, so the same RAW named relatively (or from
        # another directory) must not look like new files.
        object.__setattr__(self, "lakehouse", self.lakehouse.absolute())
        object.__setattr__(self, "raw", self.raw.absolute())


@dataclass
class RunSummary:
    run_id: str
    reports: list[TaskReport]
    seconds: float
    tasks_run: list[str] = field(default_factory=list)
    engine_restarts: int = 0
    parallel_tasks: int = 1

    @property
    def ok(self) -> bool:
        return all(r.status == "succeeded" for r in self.reports)

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "engine_restarts": self.engine_restarts,
            "parallel_tasks": self.parallel_tasks,
            "tasks": [
                {
                    "task": r.task,
                    "status": r.status,
                    "seconds": round(r.seconds, 3),
                    "rows_in": r.outcome.rows_in,
                    "rows_out": r.outcome.rows_out,
                    "rows_quarantined": r.outcome.rows_quarantined,
                    "error": r.error,
                }
                for r in self.reports
            ],
        }


def open_lakehouse(engine: Engine, settings: LocalRunSettings, fault_hook: FaultHook | None = None) -> Lakehouse:
    return Lakehouse(
        engine.spark,
        settings.catalog,
        registry(),
        root=settings.lakehouse,
        fault_hook=fault_hook,
        checkpoints=engine.capabilities.checkpoint,
    )


def run_local(
    settings: LocalRunSettings,
    only: Sequence[str] | None = None,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    replay: bool = False,
    on_event: Callable[[str, TaskReport | None], None] | None = None,
    engine: Engine | None = None,
    fault_hook: FaultHook | None = None,
    full_refresh: bool = False,
) -> RunSummary:
    """Run the local workloads' tasks (or `only` those) in dependency order under the lakehouse lock."""
    tasks = PIPELINE.select(only)
    started = time.perf_counter()
    with lakehouse_lock(settings.lakehouse):
        own_engine = engine is None
        active = engine or create_engine(settings.engine, settings.remote_url, settings.engine_memory_budget_mb)
        restarts_before = active.restarts
        try:
            lake = open_lakehouse(active, settings, fault_hook)
            run_id = new_run_id()
            watermarks = {} if full_refresh else last_success_starts(lake)

            def between_tasks() -> None:
                nonlocal lake
                if active.renew():  # a new engine process, so a new session for the lakehouse
                    lake = open_lakehouse(active, settings, fault_hook)

            def make_context(task: str) -> TaskContext:
                return TaskContext(
                    lake=lake,
                    capabilities=active.capabilities,
                    raw_root=settings.raw,
                    run_id=run_id,
                    task=task,
                    from_date=from_date,
                    to_date=to_date,
                    replay=replay,
                    max_line_bytes=settings.max_line_bytes,
                    full_refresh=full_refresh,
                    watermarks=watermarks,
                )

            reports = run_graph(
                PIPELINE,
                make_context,
                tasks,
                on_event,
                settings.parallel_tasks,
                wants_idle=active.due_for_restart,
                on_idle=between_tasks,
                retry_alone=out_of_memory,
                watch=active.watching,
            )
            restarts = active.restarts - restarts_before
        finally:
            if own_engine:
                active.close()
    return RunSummary(run_id, reports, time.perf_counter() - started, tasks, restarts, settings.parallel_tasks)
