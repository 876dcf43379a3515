"""Idempotent reruns (of any task, and of the whole graph), and crash-and-resume at task boundaries and inside
table writes: the next run completes, equals a clean run, no half-written state is visible, the ledger stays
consistent with the data."""

from __future__ import annotations

import dataclasses
import os
import signal

import pytest

from retailflow.local.engine import start_local
from retailflow.local.run import local_tasks, open_lakehouse, run_local
from retailflow.workloads.runtime.ops import LEDGER
from retailflow.workloads.runtime.refs import TableRef

from .conftest import RESULT_TABLES, assert_ledger_consistent, contents, snapshot


def test_rerunning_every_task_and_the_whole_graph_changes_nothing(engine, fresh, clean_run):
    assert run_local(fresh, engine=engine).ok
    lake = open_lakehouse(engine, fresh)
    ledger = contents(lake, LEDGER)
    for task in local_tasks(fresh):
        assert run_local(fresh, only=[task], engine=engine).ok, task
    assert run_local(fresh, engine=engine).ok
    assert snapshot(lake) == clean_run
    assert contents(lake, LEDGER) == ledger
    assert_ledger_consistent(lake, fresh.raw)


class InjectedCrash(RuntimeError):
    pass


CRASH_POINTS = [
    ("before_write", TableRef("bronze", "orders")),  # inside the first table write of a batch
    ("before_write", TableRef("ops", "ingest_ledger")),  # bronze and quarantine written, ledger not committed
    ("after_write", TableRef("silver", "orders")),  # task boundary: data written, run log not
    ("before_write", TableRef("gold", "dim_customer")),  # inside the SCD2 MERGE
    ("after_write", TableRef("gold", "fact_sales")),
    ("before_write", TableRef("gold", "daily_revenue")),  # the last task
    ("before_write", TableRef("ops", "run_log")),  # recording a task's metrics
]


@pytest.mark.parametrize(("point", "table"), CRASH_POINTS, ids=[f"{p}-{t}" for p, t in CRASH_POINTS])
def test_crash_then_resume_equals_a_clean_run(engine, fresh, clean_run, point, table):
    fired: list[str] = []

    def crash(at: str, ref: TableRef) -> None:
        if at == point and ref == table and not fired:
            fired.append(f"{at} {ref}")
            raise InjectedCrash(f"injected crash {at} {ref}")

    crashed = run_local(fresh, engine=engine, fault_hook=crash)
    assert fired and not crashed.ok
    lake = open_lakehouse(engine, fresh)
    for ref in RESULT_TABLES:  # nothing half-written: a table is either absent or complete
        if lake.exists(ref):
            assert contents(lake, ref) == clean_run[ref], f"{ref} is visible half-written after {fired[0]}"
    resumed = run_local(fresh, engine=engine)
    assert resumed.ok, [(r.task, r.error) for r in resumed.reports if r.error]
    assert snapshot(lake) == clean_run
    assert_ledger_consistent(lake, fresh.raw)


def test_orphan_files_of_a_crashed_writer_are_invisible(engine, fresh, clean_run):
    assert run_local(fresh, engine=engine).ok
    lake = open_lakehouse(engine, fresh)
    ref = TableRef("silver", "orders")
    orphan = lake.path(ref) / "part-99999-crashed-writer.snappy.parquet"
    orphan.write_bytes(b"PAR1 not a finished file")
    assert contents(lake, ref) == clean_run[ref]


def test_restarting_the_engine_before_every_task_changes_nothing(engine, fresh, clean_run):
    # A budget no engine fits in: the run's own engine is replaced before every task.
    summary = run_local(dataclasses.replace(fresh, engine_memory_budget_mb=1))
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    assert summary.engine_restarts == len(summary.reports) == len(local_tasks(fresh)) == 25
    assert snapshot(open_lakehouse(engine, fresh)) == clean_run


def test_an_engine_killed_mid_write_fails_that_task_only_and_the_rerun_completes(engine, fresh, clean_run):
    own = start_local()
    killed: list[TableRef] = []

    def kill_engine(at: str, ref: TableRef) -> None:
        if at == "before_write" and ref == TableRef("silver", "orders") and not killed:
            killed.append(ref)
            os.kill(own._local.server._process.pid, signal.SIGKILL)  # type: ignore[union-attr]
            own._local.server._process.wait()  # type: ignore[union-attr]

    try:
        crashed = run_local(fresh, engine=own, fault_hook=kill_engine)
    finally:
        own.close()
    status = {r.task: r.status for r in crashed.reports}
    assert killed and status["silver_orders"] == "failed"
    assert status["silver_order_lines"] == "skipped"  # downstream of the failed task
    assert status["silver_clickstream"] == "succeeded"  # after it, on a new engine
    assert own.restarts == 1
    resumed = run_local(fresh, engine=engine)
    assert resumed.ok, [(r.task, r.error) for r in resumed.reports if r.error]
    assert snapshot(open_lakehouse(engine, fresh)) == clean_run
