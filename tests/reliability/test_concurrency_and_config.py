"""A second run on a busy lakehouse is refused and corrupts nothing; no two writes of one table at once; bad
configuration and bad CLI arguments give a clear error naming the field, never a traceback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from pyspark.sql import functions as F

from retailflow.config import ConfigError, load_environment
from retailflow.local.lock import lakehouse_lock
from retailflow.local.run import local_tasks, open_lakehouse, run_local
from retailflow.local.task_rises import load_rises
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.ops import RUN_LOG
from retailflow.workloads.runtime.refs import TableRef

from .conftest import assert_ledger_consistent, snapshot

BIN = Path(sys.executable).parent


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "retailflow"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_a_second_run_is_refused_while_one_holds_the_lakehouse(engine, fresh):
    assert run_local(fresh, engine=engine).ok
    lake = open_lakehouse(engine, fresh)
    before = snapshot(lake)
    with lakehouse_lock(fresh.lakehouse):
        result = cli("run", "--raw", str(fresh.raw), "--lakehouse", str(fresh.lakehouse))
    assert result.returncode == 2
    assert "another retailflow run is using the lakehouse" in result.stderr and "pid" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(lake) == before


def test_one_table_is_never_written_twice_at_once(engine, fresh):
    assert run_local(fresh, only=["bronze_products", "silver_products"], engine=engine).ok
    lake = open_lakehouse(engine, fresh)
    ref = TableRef("silver", "products")
    started, release = threading.Event(), threading.Event()

    def slow(point: str, table: TableRef) -> None:
        if point == "before_write" and table == ref and threading.current_thread().name == "writer-1":
            started.set()
            release.wait(10)

    lake.fault_hook = slow
    data = lake.read(ref)
    writer = threading.Thread(target=lambda: lake.write(ref, data, mode="overwrite"), name="writer-1")
    writer.start()
    assert started.wait(10)
    with pytest.raises(RuntimeError, match="table silver.products is already being written"):
        lake.write(ref, data, mode="overwrite")
    release.set()
    writer.join(30)


def test_appends_to_a_shared_table_wait_for_their_turn(engine, fresh):
    """Tasks running at once share the ops tables and the quarantine: a second append waits, then lands."""
    lake = open_lakehouse(engine, fresh)
    started, release = threading.Event(), threading.Event()
    now = dt.datetime.now(dt.UTC)
    row = {
        **dict.fromkeys(("rows_in", "rows_out", "rows_quarantined"), 0),
        **{
            "run_id": "r",
            "status": "succeeded",
            "started_at": now,
            "finished_at": now,
            "duration_s": 0.0,
            "error": None,
        },
    }

    def slow(point: str, table: TableRef) -> None:
        if point == "before_write" and table == RUN_LOG and threading.current_thread().name == "writer-1":
            started.set()
            release.wait(10)

    lake.fault_hook = slow
    first = threading.Thread(target=lambda: lake.append_rows(RUN_LOG, [{**row, "task": "first"}]), name="writer-1")
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: lake.append_rows(RUN_LOG, [{**row, "task": "second"}]))
    second.start()
    second.join(1)
    assert second.is_alive()  # waiting for the first append
    release.set()
    first.join(30)
    second.join(30)
    assert sorted(r["task"] for r in lake.read(RUN_LOG).collect()) == ["first", "second"]


def _intervals(events: list[tuple[str, str, float]]) -> dict[str, tuple[float, float]]:
    started = {task: at for event, task, at in events if event == "started"}
    return {task: (started[task], at) for event, task, at in events if event not in ("started", "skipped")}


def test_two_tasks_at_once_run_in_dependency_order_and_give_the_same_tables(engine, fresh, clean_run):
    events: list[tuple[str, str, float]] = []
    summary = run_local(
        dataclasses.replace(fresh, parallel_tasks=2),
        engine=engine,
        on_event=lambda event, report: events.append((event, report.task, time.perf_counter())),  # type: ignore[union-attr]
    )
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    assert [r.task for r in summary.reports] == local_tasks(fresh)  # reported in graph order
    spans = _intervals(events)
    for task, (start, _end) in spans.items():
        for upstream in PIPELINE.dependencies(task):
            assert spans[upstream][1] <= start, f"{task} started before {upstream} finished"
    overlapping = max(sum(s <= start < e for s, e in spans.values()) for start, _ in spans.values())
    assert overlapping == 2
    lake = open_lakehouse(engine, fresh)
    assert snapshot(lake) == clean_run
    assert_ledger_consistent(lake, fresh.raw)


def test_a_failure_among_tasks_at_once_skips_only_its_downstream(engine, fresh, clean_run):
    def fail(point: str, table: TableRef) -> None:
        if point == "before_write" and table == TableRef("silver", "orders"):
            raise OSError("disk full")

    crashed = run_local(dataclasses.replace(fresh, parallel_tasks=2), engine=engine, fault_hook=fail)
    status = {r.task: r.status for r in crashed.reports}
    errors = {r.task: r.error for r in crashed.reports}
    assert status["silver_orders"] == "failed" and "disk full" in (errors["silver_orders"] or "")
    assert status["silver_order_lines"] == status["gold_daily_revenue"] == "skipped"
    assert status["silver_clickstream"] == status["gold_dim_customer"] == "succeeded"
    assert run_local(dataclasses.replace(fresh, parallel_tasks=2), engine=engine).ok
    assert snapshot(open_lakehouse(engine, fresh)) == clean_run


def test_a_task_that_ran_out_of_engine_memory_is_retried_alone(engine, fresh, clean_run):
    """Tasks at once share the engine's memory pool: one that finds it empty runs again once the others finished."""
    attempts: list[str] = []

    def exhaust(point: str, table: TableRef) -> None:
        if point == "before_write" and table == TableRef("silver", "orders") and not attempts:
            attempts.append(threading.current_thread().name)
            raise RuntimeError("Failed to allocate additional 32.0 KB for ExternalSorterMerge[0]: 0.0 B remain")

    events: list[tuple[str, str, float]] = []
    summary = run_local(
        dataclasses.replace(fresh, parallel_tasks=2),
        engine=engine,
        fault_hook=exhaust,
        on_event=lambda event, report: events.append((event, report.task, time.perf_counter())),  # type: ignore[union-attr]
    )
    assert attempts and summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    assert ("retrying", "silver_orders") in {(event, task) for event, task, _ in events}
    spans = _intervals([e for e in events if e[0] != "retrying"])  # the retry's start and end
    start, end = spans.pop("silver_orders")
    assert not [task for task, (s, e) in spans.items() if s < end and e > start]  # it ran alone
    log = open_lakehouse(engine, fresh).read(RUN_LOG).filter(F.col("task") == "silver_orders").collect()
    assert sorted(r["status"] for r in log) == ["failed", "succeeded"]
    assert snapshot(open_lakehouse(engine, fresh)) == clean_run


def test_an_engine_over_its_budget_is_restarted_only_when_no_task_runs(fresh, clean_run):
    events: list[tuple[str, str, float]] = []
    # A budget no engine fits in: every task waits for the running one, then gets a new engine.
    summary = run_local(
        dataclasses.replace(fresh, parallel_tasks=2, engine_memory_budget_mb=1),
        on_event=lambda event, report: events.append((event, report.task, time.perf_counter())),  # type: ignore[union-attr]
    )
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    assert summary.engine_restarts == len(summary.reports) == len(local_tasks(fresh)) == 25
    # Each task's rise of the engine's memory is remembered for the next run (task_rises).
    assert set(load_rises(fresh.lakehouse)) == set(local_tasks(fresh))
    spans = sorted(_intervals(events).values())
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    from retailflow.local.engine import start_local

    reader = start_local()
    try:
        assert snapshot(open_lakehouse(reader, fresh)) == clean_run
    finally:
        reader.close()


def _bad(env_dir: Path, name: str, change) -> Path:
    path = env_dir / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return path


BAD_EDITS = [
    ("dev", lambda d: d.pop("name"), "name"),
    ("dev", lambda d: d.update(kind="special"), "kind"),
    ("dev", lambda d: d["azure"].update(subscription_id="not-a-uuid"), "azure.subscription_id"),
    ("dev", lambda d: d["azure"].update(location="atlantis"), "azure.location"),
    ("dev", lambda d: d["naming"].update(prefix="RetailFlow"), "naming.prefix"),
    ("dev", lambda d: d["network"].update(private="sometimes"), "network.private"),
    ("dev", lambda d: d["network"].update(vnet_cidr="10.10.0.0/99"), "network.vnet_cidr"),
    ("dev", lambda d: d["network"].update(host_subnet_cidr="10.10.0.0/28"), "network"),
    ("dev", lambda d: d["network"].update(container_subnet_cidr="10.10.0.0/22"), "network"),
    ("dev", lambda d: d["network"].update(private_endpoint_subnet_cidr="192.168.0.0/24"), "network"),
    ("dev", lambda d: d["storage"].update(replication="GRS-ish"), "storage.replication"),
    ("dev", lambda d: d["storage"].update(soft_delete_days=0), "storage.soft_delete_days"),
    ("dev", lambda d: d["key_vault"].update(sku="gold"), "key_vault.sku"),
    ("dev", lambda d: d["key_vault"].update(soft_delete_retention_days=3), "key_vault.soft_delete_retention_days"),
    ("dev", lambda d: d["workspace"].update(sku="standard"), "workspace.sku"),
    ("dev", lambda d: d["groups"].pop("gold_reader"), "groups.gold_reader"),
    ("dev", lambda d: d["groups"].update(auditors="x"), "groups.auditors"),
    ("dev", lambda d: d["service_principal"].update(application_id=42), "service_principal.application_id"),
    ("dev", lambda d: d["compute"].update(mode="gpu"), "compute.mode"),
    ("dev", lambda d: d["jobs"]["schedule"].update(cron="0 0 25 * * ?"), "jobs.schedule.cron"),
    ("dev", lambda d: d["jobs"]["schedule"].update(cron="0 0 3 * * MON"), "jobs.schedule.cron"),
    ("dev", lambda d: d["jobs"].update(max_retries=-1), "jobs.max_retries"),
    ("dev", lambda d: d["alerts"].update(emails=[]), "alerts.emails"),
    ("dev", lambda d: d["monitoring"].update(log_retention_days="long"), "monitoring.log_retention_days"),
    ("dev", lambda d: d["state"].update(backend="s3"), "state.backend"),
    ("dev", lambda d: d["tags"].update(cost_center="CC 1042!"), "tags.cost_center"),
    ("dev", lambda d: d.update(feature={"ttl_days": 3}), "(top level)"),
    ("stg", lambda d: d["compute"]["job_cluster"].update(node_type_id="Standard_X"), "compute.job_cluster"),
    ("prod", lambda d: d["storage"].update(replication="LRS"), "(top level)"),
    ("feature", lambda d: d["feature"].update(ttl_days=90), "feature.ttl_days"),
]


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    target = tmp_path / "environments"
    shutil.copytree(ROOT / "environments", target)
    return target


@pytest.mark.parametrize("case", range(len(BAD_EDITS)), ids=[f"{e[0]}-{e[2]}-{i}" for i, e in enumerate(BAD_EDITS)])
def test_bad_environment_edit_is_one_line_naming_the_field(env_dir, case):
    name, change, field = BAD_EDITS[case]
    path = _bad(env_dir, name, change)
    with pytest.raises(ConfigError) as err:
        load_environment(name, env_dir)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field}"), message


@pytest.mark.parametrize("case", [0, 6, 15, 19, 24])
def test_cli_reports_bad_environment_without_traceback(env_dir, case):
    name, change, field = BAD_EDITS[case]
    _bad(env_dir, name, change)
    result = cli("envs", env={"RETAILFLOW_ENVIRONMENTS_DIR": str(env_dir)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and f": {field}" in result.stderr


BAD_ARGUMENTS = [
    (("run", "--from-date", "2026-13-01"), "--from-date"),
    (("run", "--only", "silver_unicorns", "--raw", "."), "--only"),
    (("run", "--raw", "/nonexistent/raw"), "--raw"),
    (("scan", "--format", "xml"), "--format"),
    (("scan", "--path", "/nonexistent/cdktf.out"), "--path"),
    (("scan", "--path", ".", "--env", "dev"), "--path"),
    (("synth", "--env", "qa"), "--env"),
    (("synth", "--feature", "???"), "feature name"),
    (("feature", "x", "--field", "colour"), "--field"),
    (("generate", "--scale", "-1"), "--scale"),
    (("smoke", "--env", "dev"), "--host"),
]


@pytest.mark.parametrize(("args", "named"), BAD_ARGUMENTS, ids=[" ".join(a) for a, _ in BAD_ARGUMENTS])
def test_bad_cli_arguments_are_clear_errors(args, named):
    result = cli(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert named in result.stderr, result.stderr
