"""The local marts task's dbt process (`retailflow.local.dbt`): started ahead of its build when the task is
prepared, given the build's arguments and environment when the task runs, and ended when it was never asked.
dbt itself is faked here (a `dbt.cli.main` that records what it was asked); `test_marts.py` runs the real one."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from retailflow.local import dbt as local_dbt
from retailflow.local.dbt import DbtFailed, LocalDbt
from retailflow.workloads.runtime.refs import TableRef

FAKE_CLI = """
import json, os, sys
from pathlib import Path
out = Path(os.environ["FAKE_DBT_OUT"])
(out / "imported.json").write_text(json.dumps({"pid": os.getpid()}))

def cli():
    target = Path(os.environ["DBT_TARGET_PATH"])
    target.mkdir(parents=True, exist_ok=True)
    status = os.environ.get("FAKE_DBT_STATUS", "success")
    results = [{"unique_id": "model.m.a", "status": status}, {"unique_id": "test.m.t", "status": "pass"}]
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    wanted = ("SPARK_REMOTE", "RETAILFLOW_CHANGED_DATES", "RETAILFLOW_BUILT_MARTS", "FAKE_DBT_STATUS")
    (out / "build.json").write_text(json.dumps({"argv": sys.argv, "env": {k: os.environ.get(k) for k in wanted}}))
    print("1 of 1 ERROR model a" if status == "error" else "Done.")
    return 1 if status == "error" else 0
"""


@pytest.fixture
def fake_dbt(tmp_path: Path, monkeypatch) -> Path:
    """A dbt environment whose `dbt.cli.main` records its build in the returned folder."""
    site, out, bin_dir = tmp_path / "site", tmp_path / "out", tmp_path / "venv" / "bin"
    for package in ("dbt", "dbt/cli", "dbt/adapters", "dbt/adapters/spark"):
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("")
    (site / "dbt" / "cli" / "main.py").write_text(FAKE_CLI)
    out.mkdir()
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    monkeypatch.setattr(local_dbt, "dbt_executable", lambda: bin_dir / "dbt")
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("FAKE_DBT_OUT", str(out))
    return out


def _context(tmp_path: Path, since: object = "2026-01-12T00:00:00") -> SimpleNamespace:
    inputs = (TableRef.parse("gold.fact_sales"), TableRef.parse("gold.dim_store"))
    changed = {inputs[0]: {"2026-01-11", "2026-01-12"}, inputs[1]: None}
    return SimpleNamespace(
        lake=SimpleNamespace(root=tmp_path / "lake", catalog="retailflow_local"),
        declaration=SimpleNamespace(inputs=inputs),
        changed=changed.get,
        since=since,
    )


def _wait_for(path: Path) -> dict:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return json.loads(path.read_text())


def test_a_prepared_dbt_process_imports_dbt_before_its_build_is_asked_for_then_builds_with_the_tasks_request(
    fake_dbt: Path, tmp_path: Path
):
    marts = LocalDbt(lambda: "sc://localhost:15002", tmp_path / "work")
    marts.prepare()
    _wait_for(fake_dbt / "imported.json")  # dbt imported while nothing is asked of it yet
    time.sleep(0.2)
    assert not (fake_dbt / "build.json").exists()
    outcome = marts(_context(tmp_path))
    build = json.loads((fake_dbt / "build.json").read_text())
    project = str(Path(local_dbt.__file__).resolve().parents[2] / "dbt")
    lakehouse = str(tmp_path / "lake" / "retailflow_local")
    assert build["argv"] == [
        "dbt", "build", "--project-dir", project, "--profiles-dir", project, "--no-populate-cache",
        "--target", "local", "--vars", json.dumps({"lakehouse": lakehouse}),
    ]  # fmt: skip
    assert build["env"] == {
        "SPARK_REMOTE": "sc://localhost:15002",
        "RETAILFLOW_CHANGED_DATES": json.dumps(
            {"gold.fact_sales": ["2026-01-11", "2026-01-12"], "gold.dim_store": "*"}
        ),
        "RETAILFLOW_BUILT_MARTS": "[]",
        "FAKE_DBT_STATUS": None,
    }
    assert (outcome.rows_in, outcome.rows_out) == (1, 1)  # one data test, one model


def test_an_unprepared_task_starts_its_dbt_process_when_it_runs_and_a_failed_build_names_what_failed(
    fake_dbt: Path, tmp_path: Path, monkeypatch
):
    marts = LocalDbt(lambda: "sc://localhost:15002", tmp_path / "work")
    outcome = marts(_context(tmp_path, since=None))
    assert json.loads((fake_dbt / "build.json").read_text())["argv"][-1] == "--full-refresh"  # a first run
    assert (outcome.rows_in, outcome.rows_out) == (1, 1)
    monkeypatch.setenv("FAKE_DBT_STATUS", "error")
    marts.prepare()  # a retry of the task gets a process of its own
    with pytest.raises(DbtFailed, match=r"dbt build failed \(model\.m\.a\); see .*dbt\.log"):
        marts(_context(tmp_path))


def test_a_prepared_dbt_process_never_asked_for_its_build_ends_when_the_run_closes_it(fake_dbt: Path, tmp_path: Path):
    marts = LocalDbt(lambda: "sc://localhost:15002", tmp_path / "work")
    marts.prepare()
    pid = _wait_for(fake_dbt / "imported.json")["pid"]
    marts.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (fake_dbt / "build.json").exists()
    marts.close()  # closing twice is nothing
