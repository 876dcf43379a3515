"""The dbt marts on this machine: `dbt build` of the project in `dbt/` (target `local`, dbt-spark in session mode)
from its own environment (`make install-dbt`, `.venv-dbt`), as a session on the run's engine. The local engine keeps
no catalog between sessions, so the project registers the lakehouse's tables first (its `on-run-start` hook)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from retailflow.project import project_root
from retailflow.workloads.runtime.context import TaskContext, TaskOutcome


class DbtFailed(RuntimeError):
    """`dbt build` failed: a model or a data test (the message names them)."""


def dbt_executable() -> Path:
    return project_root() / ".venv-dbt" / "bin" / "dbt"


def dbt_installed() -> bool:
    return dbt_executable().is_file()


def local_dbt(engine_url: Callable[[], str], work: Path) -> Callable[[TaskContext], TaskOutcome]:
    """A run of the marts task: `dbt build` against the engine at `engine_url()`, its artifacts under `work`."""

    def run(ctx: TaskContext) -> TaskOutcome:
        assert ctx.lake.root is not None, "the local dbt target needs a local lakehouse"
        project = project_root() / "dbt"
        env = {
            **os.environ,
            "SPARK_REMOTE": engine_url(),
            "DBT_TARGET_PATH": str(work / "target"),
            "DBT_LOG_PATH": str(work / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        variables = json.dumps({"lakehouse": str(ctx.lake.root / ctx.lake.catalog)})
        command = [str(dbt_executable()), "build", "--project-dir", str(project), "--profiles-dir", str(project)]
        result = subprocess.run(
            [*command, "--target", "local", "--vars", variables], capture_output=True, text=True, env=env, check=False
        )
        results = _results(work / "target" / "run_results.json")
        failed = [name for name, status in results if status not in ("success", "pass")]
        if result.returncode != 0 or failed:
            detail = ", ".join(failed[:5]) or (result.stdout.strip().splitlines() or ["no output"])[-1]
            raise DbtFailed(f"dbt build failed ({detail}); see {work / 'logs' / 'dbt.log'}")
        models = sum(1 for name, _ in results if name.startswith("model."))
        return TaskOutcome(len(results) - models, models, 0)

    return run


def _results(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        return []
    return [(r["unique_id"], r["status"]) for r in json.loads(path.read_text())["results"]]
