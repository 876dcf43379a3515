"""What each task needs of the local engine's memory, remembered from one run to the next, and a runner that lets a
task which fits start beside a running one when an earlier one does not fit."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retailflow.local.task_rises import RISES_FILE, TaskRises, load_rises, save_rises
from retailflow.workloads.runtime.context import RunOptions, TaskOutcome
from retailflow.workloads.runtime.contracts import ContractRegistry
from retailflow.workloads.runtime.graph import PipelineGraph, Task, Workload
from retailflow.workloads.runtime.ops import OPS_CONTRACTS, RUN_LOG
from retailflow.workloads.runtime.pipeline import Pipeline
from retailflow.workloads.runtime.runner import TaskHost, run_graph

MIB = 1 << 20
BUDGET = 896 * MIB


def test_a_task_is_expected_to_rise_as_it_did_last_time_else_as_the_largest_task_of_the_run():
    rises = TaskRises(BUDGET, {"silver_stores": 2 * MIB, "gold_fact_sales": 640 * MIB})
    assert rises.expected("silver_stores") == 2 * MIB
    assert rises.expected("silver_orders") == BUDGET * 3 // 4  # never measured, and no task of this run finished
    rises.record("bronze_orders", 230 * MIB, alone=True)
    assert rises.expected("silver_orders") == 230 * MIB
    assert rises.expected(None) == 230 * MIB
    assert rises.expected("gold_fact_sales") == 640 * MIB  # remembered: more than the largest of the run so far


def test_a_task_alone_that_rises_more_than_last_time_makes_the_run_assume_its_largest_rise_for_every_task():
    rises = TaskRises(BUDGET, {"bronze_orders": 200 * MIB, "silver_stores": 2 * MIB})
    rises.record("bronze_orders", 250 * MIB, alone=True)  # within a quarter more: still trusted
    assert rises.trusted and rises.expected("silver_stores") == 2 * MIB
    rises.record("silver_stores", 30 * MIB, alone=True)  # within the 32 MiB of slack a small task gets
    assert rises.trusted
    rises.record("bronze_payments", 900 * MIB, alone=False)  # beside another task: its rise includes the other's
    assert rises.trusted
    rises.record("silver_orders", 100 * MIB, alone=True)  # never remembered: nothing to compare
    assert rises.trusted
    rises = TaskRises(BUDGET, {"bronze_orders": 200 * MIB, "silver_stores": 2 * MIB})
    rises.record("bronze_orders", 251 * MIB, alone=True)  # a larger day than last time
    assert not rises.trusted
    assert rises.expected("silver_stores") == 251 * MIB


def test_the_next_run_remembers_each_rise_measured_alone_and_a_shared_one_only_when_smaller():
    rises = TaskRises(BUDGET, {"a": 100 * MIB, "b": 100 * MIB, "c": 100 * MIB, "untouched": 7 * MIB})
    rises.record("a", 150 * MIB, alone=True)
    rises.record("b", 150 * MIB, alone=False)
    rises.record("c", 60 * MIB, alone=False)
    rises.record("new", 80 * MIB, alone=False)
    assert rises.to_remember() == {
        "a": 150 * MIB,
        "b": 100 * MIB,
        "c": 60 * MIB,
        "new": 80 * MIB,
        "untouched": 7 * MIB,
    }


def test_remembered_rises_survive_a_round_trip_and_a_damaged_file_is_ignored_with_a_warning(tmp_path: Path, caplog):
    assert load_rises(tmp_path) == {}  # a new lakehouse
    save_rises(tmp_path, {"silver_orders": 319 * MIB, "bronze_orders": 231 * MIB})
    assert load_rises(tmp_path) == {"silver_orders": 319 * MIB, "bronze_orders": 231 * MIB}
    assert not list((tmp_path / RISES_FILE).parent.glob("*.partial"))
    path = tmp_path / RISES_FILE
    for damaged in ('{"rises": {"silver_orders": 3', '{"rises": {"silver_orders": -1}}', "[1, 2]"):
        path.write_text(damaged)
        caplog.clear()
        assert load_rises(tmp_path) == {}
        assert f"ignoring the remembered task memory in {path}" in caplog.text


class _KeepsOneAlone(TaskHost):
    """A host that keeps `alone` from starting beside any running task."""

    def __init__(self, alone: str) -> None:
        self.alone = alone

    def crowded(self, running: Sequence[str], task: str) -> bool:
        return task == self.alone


def _run_graph(engine, tmp_path: Path, graph: PipelineGraph, run, order: list[str], **options: Any):
    """`run_graph` of `graph`'s tasks in `order`, each task running `run`, on a lakehouse of the ops tables alone:
    the lakehouse (its run log) and the reports."""
    lake = engine.lakehouse("retailflow_local", ContractRegistry(OPS_CONTRACTS), root=tmp_path / "lake")
    run_options = RunOptions(raw_root=tmp_path / "raw", run_id="r1", watermarks={})
    pipeline = Pipeline(graph, {key: run for key in graph.tasks})

    def context(key: str):
        return run_options.context(lake, engine.capabilities, graph.tasks[key])

    return lake, run_graph(pipeline, context, order, **options)


def test_a_task_that_may_not_start_beside_the_running_one_lets_a_later_task_start_first(engine, tmp_path: Path):
    tasks = [Task.of(key, [], [f"silver.{key}"], key) for key in ("first", "large", "small")]
    graph = PipelineGraph([Workload("w", "three independent tasks", tuple(tasks))])
    order: list[str] = []
    running: set[str] = set()
    beside: dict[str, set[str]] = {}
    guard = threading.Lock()
    first_may_finish = threading.Event()

    def run(ctx) -> TaskOutcome:
        with guard:
            order.append(ctx.task)
            beside[ctx.task] = set(running)
            running.add(ctx.task)
        if ctx.task == "first":
            first_may_finish.wait(30)
        if ctx.task == "small":
            first_may_finish.set()
        with guard:
            running.discard(ctx.task)
        return TaskOutcome()

    lake, reports = _run_graph(
        engine, tmp_path, graph, run, ["first", "large", "small"], parallel=2, host=_KeepsOneAlone("large")
    )
    assert [r.status for r in reports] == ["succeeded"] * 3
    assert order == ["first", "small", "large"]
    assert beside == {"first": set(), "small": {"first"}, "large": set()}
    assert sorted(r["task"] for r in lake.read(RUN_LOG).collect()) == ["first", "large", "small"]


def test_a_task_is_prepared_once_when_its_dependencies_have_finished_and_one_never_ready_is_never_prepared(
    engine, tmp_path: Path, caplog
):
    tasks = [
        Task.of("first", [], ["silver.first"], "first"),
        Task.of("broken", [], ["silver.broken"], "broken"),
        Task.of("then", ["silver.first"], ["silver.then"], "then"),
        Task.of("after_broken", ["silver.broken"], ["silver.after_broken"], "after broken"),
    ]
    graph = PipelineGraph([Workload("w", "two chains", tuple(tasks))])
    events: list[tuple[str, str]] = []

    def run(ctx) -> TaskOutcome:
        events.append(("run", ctx.task))
        if ctx.task == "broken":
            raise RuntimeError("broken on purpose")
        events.append(("done", ctx.task))
        return TaskOutcome()

    def prepare(key: str) -> None:
        events.append(("prepare", key))
        if key == "then":
            raise OSError("no process could be started")

    order = ["first", "broken", "then", "after_broken"]
    _lake, reports = _run_graph(engine, tmp_path, graph, run, order, parallel=1, prepare=prepare)
    assert [r.status for r in reports] == ["succeeded", "failed", "succeeded", "skipped"]
    assert [key for event, key in events if event == "prepare"] == ["first", "broken", "then"]
    for key, dependency in (("first", None), ("broken", None), ("then", "first")):
        prepared = events.index(("prepare", key))
        assert prepared < events.index(("run", key))
        assert dependency is None or events.index(("done", dependency)) < prepared
    assert "could not prepare the task: no process could be started" in caplog.text  # and it ran unprepared
