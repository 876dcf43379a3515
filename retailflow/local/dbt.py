"""The dbt marts on this machine: `dbt build` of the project in `dbt/` (target `local`, dbt-spark in session mode)
from its own environment (`make install-dbt`, `.venv-dbt`), as a session on the run's engine. The local engine keeps
no catalog between sessions, so the project registers the lakehouse's tables first (its `on-run-start` hook), the
marts already built among them. The incremental marts rebuild the dates of their sources replaced since the task's
watermark, which the task passes (`changed_dates`)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from retailflow.project import project_root
from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.ops import EVERYTHING


class DbtFailed(RuntimeError):
    """`dbt build` failed: a model or a data test (the message names them)."""


def dbt_executable() -> Path:
    return project_root() / ".venv-dbt" / "bin" / "dbt"


def dbt_installed() -> bool:
    return dbt_executable().is_file()


class LocalDbt:
    """The marts task on this machine: `dbt build` against the engine at `engine_url()`, its artifacts under `work`.

    The build runs in a process started ahead of it (`dbt_worker`) once the task is ready to run (`prepare`: the
    tables it reads are built, and it may still wait for room beside a running task), so that dbt's imports are done
    by the time it starts; a task that was not prepared starts its process when it runs. `close` ends a process that
    was never asked for its build."""

    def __init__(self, engine_url: Callable[[], str], work: Path) -> None:
        self.engine_url = engine_url
        self.work = work
        self._ready: subprocess.Popen[str] | None = None

    def prepare(self) -> None:
        if self._ready is None:
            self._ready = _start_worker()

    def close(self) -> None:
        worker, self._ready = self._ready, None
        if worker is not None:
            worker.kill()
            worker.communicate()

    def __call__(self, ctx: TaskContext) -> TaskOutcome:
        assert ctx.lake.root is not None, "the local dbt target needs a local lakehouse"
        project = project_root() / "dbt"
        lakehouse = ctx.lake.root / ctx.lake.catalog
        work = self.work
        env = {
            **os.environ,
            "SPARK_REMOTE": self.engine_url(),
            "DBT_TARGET_PATH": str(work / "target"),
            "DBT_LOG_PATH": str(work / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # Not dbt vars: a changed var makes dbt parse the whole project again.
            "RETAILFLOW_CHANGED_DATES": json.dumps(changed_dates(ctx)),
            "RETAILFLOW_BUILT_MARTS": json.dumps(built_marts(lakehouse / "marts")),
        }
        variables = json.dumps({"lakehouse": str(lakehouse)})
        command = ["build", "--project-dir", str(project), "--profiles-dir", str(project)]
        # dbt lists the marts schema before the on-run-start hook registers the built marts: not cached, an
        # incremental model looks its table up when it runs, and finds it.
        command.append("--no-populate-cache")
        refresh = ["--full-refresh"] if ctx.since is None else []  # a first or full-refresh run rebuilds every mart
        worker, self._ready = self._ready or _start_worker(), None
        request = {"args": [*command, "--target", "local", "--vars", variables, *refresh], "env": env}
        stdout, _stderr = worker.communicate(json.dumps(request) + "\n")
        results = _results(work / "target" / "run_results.json")
        failed = [name for name, status in results if status not in ("success", "pass")]
        if worker.returncode != 0 or failed:
            detail = ", ".join(failed[:5]) or (stdout.strip().splitlines() or ["no output"])[-1]
            raise DbtFailed(f"dbt build failed ({detail}); see {work / 'logs' / 'dbt.log'}")
        models = sum(1 for name, _ in results if name.startswith("model."))
        return TaskOutcome(len(results) - models, models, 0)


def _start_worker() -> subprocess.Popen[str]:
    """A dbt process that has done its imports by the time its request comes (`dbt_worker`). `-P`: the script's
    folder is not put first on the import path, where this module would be found as `dbt`."""
    script = Path(__file__).with_name("dbt_worker.py")
    return subprocess.Popen(
        [str(dbt_executable().with_name("python")), "-P", str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def changed_dates(ctx: TaskContext) -> dict[str, list[str] | str]:
    """Per input of the marts task, the dates replaced since its watermark, or EVERYTHING ("*")."""
    changed = {str(ref): ctx.changed(ref) for ref in ctx.declaration.inputs}
    return {table: EVERYTHING if dates is None else sorted(dates) for table, dates in changed.items()}


def built_marts(marts: Path) -> list[str]:
    """The marts (Delta folders) a run before this one built."""
    return sorted(p.name for p in marts.iterdir() if (p / "_delta_log").is_dir()) if marts.is_dir() else []


def _results(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        return []
    return [(r["unique_id"], r["status"]) for r in json.loads(path.read_text())["results"]]
