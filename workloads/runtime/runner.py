"""Executes the pipeline graph: tasks in dependency order, one at a time or a few at once (each table has one
producing task, and the tables tasks share are only appended to), each recorded in `ops.run_log`. A failed task
skips the tasks that depend on it.

`run_task` is the single entry the Databricks job (one task per job task) and the local runner (every task) share.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.graph import PipelineGraph
from retailflow.workloads.runtime.ops import TaskMetrics, record_run, utcnow
from retailflow.workloads.runtime.pipeline import Pipeline

log = logging.getLogger("retailflow.runner")


class TaskHost:
    """What the runner asks of the engine around its tasks. This default asks nothing; the local engine answers
    (it restarts itself between tasks, measures each task's memory and has a shared memory pool)."""

    def crowded(self, running: Sequence[str], task: str) -> bool:
        """`task` should not start beside the `running` ones (they should finish first)."""
        return False

    def between_tasks(self, task: str) -> None:
        """Called before `task` starts while no task runs."""

    def retry_reason(self, error: str) -> str | None:
        """Why a task that failed with `error` should run once more, alone; None when it should not."""
        return None

    def watching(self, task: str) -> contextlib.AbstractContextManager[None]:
        """Entered around each task's run."""
        return contextlib.nullcontext()


def new_run_id() -> str:
    return utcnow().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class TaskReport:
    task: str
    status: str  # succeeded | failed | skipped
    outcome: TaskOutcome = field(default_factory=TaskOutcome)
    seconds: float = 0.0
    error: str | None = None


def run_task(pipeline: Pipeline, ctx: TaskContext) -> TaskReport:
    """Run one task and record it in ops.run_log (failures too, with the error)."""
    task = ctx.declaration
    started, clock = utcnow(), time.perf_counter()
    log.info("task started", extra={"fields": {"task": task.key, "run_id": ctx.run_id}})
    try:
        outcome = pipeline.runs[task.key](ctx)
        status, error = "succeeded", None
    except Exception as err:  # recorded, then re-raised to the caller
        outcome, status, error = TaskOutcome(), "failed", f"{type(err).__name__}: {err}"
        record_run(
            ctx.lake,
            TaskMetrics(ctx.run_id, task.key, status, 0, 0, 0, started, utcnow(), time.perf_counter() - clock, error),
        )
        log.error("task failed", extra={"fields": {"task": task.key, "run_id": ctx.run_id, "error": error}})
        raise
    seconds = time.perf_counter() - clock
    record_run(
        ctx.lake,
        TaskMetrics(
            ctx.run_id,
            task.key,
            status,
            outcome.rows_in,
            outcome.rows_out,
            outcome.rows_quarantined,
            started,
            utcnow(),
            seconds,
            error,
        ),
    )
    log.info(
        "task finished",
        extra={"fields": {"task": task.key, "run_id": ctx.run_id, "seconds": round(seconds, 3), **outcome.__dict__}},
    )
    return TaskReport(task.key, status, outcome, seconds)


def run_graph(
    pipeline: Pipeline,
    make_context: Callable[[str], TaskContext],
    tasks: Sequence[str],
    on_event: Callable[[str, TaskReport | None], None] | None = None,
    parallel: int = 1,
    host: TaskHost | None = None,
    prepare: Callable[[str], None] | None = None,
) -> list[TaskReport]:
    """Run `tasks` (already in dependency order), up to `parallel` at once: a task starts once the tasks it depends
    on have finished, earliest in `tasks` first (a task the host keeps from starting beside the running ones lets a
    later one start that it does not). A failure skips every task downstream of it. The `host` is asked
    whether a task may start beside running ones, told when no task runs before one starts, wraps each task's run,
    and says whether a failed task runs once more, alone (tasks are idempotent, and the failed attempt stays in the
    run log). `prepare` is called once for a task when the tasks it depends on have finished, before it starts (it
    may still wait for room beside running tasks): a task with a slow start of its own can begin it then; a failure
    there is logged, and the task runs as it would unprepared. Reports come back in the order of `tasks`."""
    notify = on_event or (lambda _event, _report: None)
    engine = host or TaskHost()
    selected = set(tasks)
    needs = {key: {d for d in _upstream(pipeline.graph, key) if d in selected} for key in tasks}
    reports: dict[str, TaskReport] = {}
    failed: set[str] = set()
    waiting = list(tasks)
    running: dict[Future[TaskReport], str] = {}
    alone: set[str] = set()  # retried tasks: each starts when no task runs, and none starts beside it
    prepared: set[str] = set()

    def attempt(key: str, ctx: TaskContext) -> TaskReport:
        try:
            with engine.watching(key):
                return run_task(pipeline, ctx)
        except Exception as err:
            return TaskReport(key, "failed", error=f"{type(err).__name__}: {err}")

    def room_for(key: str) -> bool:
        """Whether `key` may start beside the running tasks (when none runs, it always may)."""
        if not running:
            return True
        if len(running) >= parallel or alone & set(running.values()):
            return False
        return not engine.crowded(list(running.values()), key)

    def finish(report: TaskReport) -> None:
        reports[report.task] = report
        if report.status != "succeeded":
            failed.add(report.task)
        notify(report.status, report)

    pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="retailflow-task")
    try:
        while waiting or running:
            for key in list(waiting):
                blocked = sorted(needs[key] & failed)
                if blocked:
                    waiting.remove(key)
                    finish(TaskReport(key, "skipped", error=f"upstream task {blocked[0]} failed"))
                    continue
                if needs[key] - reports.keys():
                    continue
                if prepare is not None and key not in prepared:
                    prepared.add(key)
                    try:
                        prepare(key)
                    except Exception as err:
                        log.warning(f"could not prepare the task: {err}", extra={"fields": {"task": key}})
                if key in alone and running:
                    break  # a retried task runs next, alone: nothing else starts while it waits for the running ones
                if not room_for(key):
                    continue
                waiting.remove(key)
                notify("started", TaskReport(key, "running"))
                try:
                    if not running:
                        engine.between_tasks(key)
                    ctx = make_context(key)
                except Exception as err:
                    finish(TaskReport(key, "failed", error=f"{type(err).__name__}: {err}"))
                    continue
                running[pool.submit(attempt, key, ctx)] = key
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    key, report = running.pop(future), future.result()
                    reason = engine.retry_reason(report.error or "") if report.status == "failed" else None
                    if reason is not None and key not in alone:
                        log.warning(f"task failed for {reason}; retrying it alone", extra={"fields": {"task": key}})
                        alone.add(key)
                        waiting.insert(0, key)
                        notify("retrying", report)
                        continue
                    finish(report)
    except BaseException:  # Ctrl-C: do not wait for the running tasks; closing the engine ends them
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [reports[key] for key in tasks]


def _upstream(graph: PipelineGraph, key: str) -> set[str]:
    seen: set[str] = set()
    stack = list(graph.dependencies(key))
    while stack:
        dep = stack.pop()
        if dep not in seen:
            seen.add(dep)
            stack.extend(graph.dependencies(dep))
    return seen


def parse_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None
