"""Running the pipeline graph on this machine: the local engine, local Delta tables, one run at a time."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retailflow.config.models import ROLES, AccessSettings, LocalConfig
from retailflow.governance import access_rules
from retailflow.local.dbt import LocalDbt, dbt_installed
from retailflow.local.engine import LocalEngine, start_local
from retailflow.local.lock import lakehouse_lock
from retailflow.local.task_rises import load_rises, save_rises
from retailflow.workloads.retail.contracts import registry
from retailflow.workloads.retail.tasks import RETAIL
from retailflow.workloads.runtime.access import AccessRules
from retailflow.workloads.runtime.context import RunOptions, TaskContext
from retailflow.workloads.runtime.engine import Engine, connect_remote
from retailflow.workloads.runtime.ingest import MAX_BATCH_BYTES
from retailflow.workloads.runtime.ops import last_success_starts
from retailflow.workloads.runtime.pipeline import Pipeline
from retailflow.workloads.runtime.runner import TaskHost, TaskReport, new_run_id, run_graph
from retailflow.workloads.runtime.tables import FaultHook, Lakehouse


@dataclass(frozen=True)
class LocalRunSettings:
    lakehouse: Path
    raw: Path
    catalog: str = "retailflow_local"
    engine: str = "local"
    remote_url: str | None = None
    max_line_bytes: int = 1 << 20
    max_batch_bytes: int = MAX_BATCH_BYTES  # RAW loaded in one ingestion batch at most
    engine_memory_budget_mb: int | None = None  # a local engine over it is restarted between tasks
    parallel_tasks: int = 1  # tasks run at once
    verbose: bool = False  # the local engine's own log on the terminal instead of its log file
    access: AccessSettings = field(default_factory=AccessSettings)  # row entitlements (local.yaml `access`)
    dbt: bool = False  # build the dbt marts after gold (needs `make install-dbt`)

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
    def paths_skipped(self) -> int:
        """RAW paths that are not data files, over every task (each is logged with its reason)."""
        return sum(r.outcome.paths_skipped for r in self.reports)

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
            "paths_skipped": self.paths_skipped,
            "tasks": [
                {
                    "task": r.task,
                    "status": r.status,
                    "seconds": round(r.seconds, 3),
                    "rows_in": r.outcome.rows_in,
                    "rows_out": r.outcome.rows_out,
                    "rows_quarantined": r.outcome.rows_quarantined,
                    "paths_skipped": r.outcome.paths_skipped,
                    "error": r.error,
                }
                for r in self.reports
            ],
        }


def configured_run(local: LocalConfig, lakehouse: Path, raw: Path, verbose: bool = False) -> LocalRunSettings:
    """A run on `lakehouse` and `raw` with the rest of its settings from `local.yaml` (the CLI's and the Airflow
    DAG's local runs alike); the dbt marts when their environment is installed."""
    return LocalRunSettings(
        lakehouse=lakehouse,
        raw=raw,
        catalog=local.catalog,
        engine=local.engine.kind,
        remote_url=local.engine.remote_url,
        max_line_bytes=local.max_line_bytes,
        max_batch_bytes=local.max_batch_bytes,
        engine_memory_budget_mb=local.engine.memory_budget_mb,
        parallel_tasks=local.engine.parallel_tasks,
        verbose=verbose,
        access=local.access,
        dbt=dbt_installed(),
    )


LOCAL_PRINCIPAL = "local-runner"


def local_access_rules(settings: LocalRunSettings) -> AccessRules:
    """The access rules on this machine: each role's group is named as the role."""
    return access_rules(settings.catalog, {role: role for role in ROLES}, LOCAL_PRINCIPAL, settings.access)


def open_lakehouse(engine: Engine, settings: LocalRunSettings, fault_hook: FaultHook | None = None) -> Lakehouse:
    return engine.lakehouse(settings.catalog, registry(), root=settings.lakehouse, fault_hook=fault_hook)


def open_engine(settings: LocalRunSettings) -> Engine:
    """The run's engine: the local one (its own log in the lakehouse's `logs/engine.log` unless `verbose`), or a
    remote Spark Connect endpoint."""
    if settings.engine == "remote":
        if not settings.remote_url:
            raise ValueError("engine 'remote' needs a Spark Connect URL (sc://host:port)")
        return connect_remote(settings.remote_url)
    return start_local(settings.engine_memory_budget_mb, None if settings.verbose else engine_log(settings))


def _engine_url(engine: Engine, settings: LocalRunSettings) -> str:
    if isinstance(engine, LocalEngine):
        return engine.url
    if settings.remote_url is None:
        raise ValueError("dbt needs the engine's Spark Connect address")
    return settings.remote_url


def _restarts(engine: Engine) -> int:
    return engine.restarts if isinstance(engine, LocalEngine) else 0


def engine_log(settings: LocalRunSettings) -> Path:
    return settings.lakehouse / "logs" / "engine.log"


def local_tasks(settings: LocalRunSettings, only: Sequence[str] | None = None) -> list[str]:
    """The tasks a local run runs, in graph order: the local workloads' (or `only` those), the dbt marts when asked."""
    graph = RETAIL.graph
    return [k for k in graph.select(only) if settings.dbt or graph.tasks[k].kind != "dbt"]


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
    graph = RETAIL.graph
    tasks = local_tasks(settings, only)
    started = time.perf_counter()
    with lakehouse_lock(settings.lakehouse):
        active = engine or open_engine(settings)
        try:
            restarts_before = _restarts(active)
            lake = open_lakehouse(active, settings, fault_hook)
            options = RunOptions(
                raw_root=settings.raw,
                run_id=new_run_id(),
                from_date=from_date,
                to_date=to_date,
                replay=replay,
                max_line_bytes=settings.max_line_bytes,
                max_batch_bytes=settings.max_batch_bytes,
                full_refresh=full_refresh,
                access_rules=local_access_rules(settings).to_json(),
                watermarks={} if full_refresh else last_success_starts(lake),
            )
            host = active if isinstance(active, TaskHost) else TaskHost()
            if isinstance(active, LocalEngine):
                active.remember({} if full_refresh else load_rises(settings.lakehouse))
            session = lake.spark

            def make_context(task: str) -> TaskContext:
                nonlocal lake, session
                if active.spark is not session:  # the engine restarted between tasks: a new session
                    lake, session = open_lakehouse(active, settings, fault_hook), active.spark
                return options.context(lake, active.capabilities, graph.tasks[task])

            pipeline, marts = RETAIL, None
            if settings.dbt:
                marts = LocalDbt(lambda: _engine_url(active, settings), settings.lakehouse / ".dbt")
                pipeline = Pipeline(graph, {**RETAIL.runs, **{k: marts for k in tasks if graph.tasks[k].kind == "dbt"}})

            def prepare(task: str) -> None:
                if marts is not None and graph.tasks[task].kind == "dbt":
                    marts.prepare()

            try:
                reports = run_graph(pipeline, make_context, tasks, on_event, settings.parallel_tasks, host, prepare)
            finally:
                if marts is not None:
                    marts.close()
            if isinstance(active, LocalEngine) and (rises := active.task_rises()):
                save_rises(settings.lakehouse, rises)
            restarts = _restarts(active) - restarts_before
        finally:
            if engine is None:
                active.close()
    return RunSummary(options.run_id, reports, time.perf_counter() - started, tasks, restarts, settings.parallel_tasks)
