"""The Airflow DAG (retailflow/airflow_dag.py, orchestration/dags/), in its own environment (.venv-airflow): it
parses fast without pyspark, triggers the deployed jobs in order in databricks mode, and runs the whole local
pipeline on tiny data in local mode (`dag.test()`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from retailflow.local.generator import GeneratorSettings, generate
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.refs import TableRef

AIRFLOW_PYTHON = ROOT / ".venv-airflow" / "bin" / "python"
PARSE = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(sys.argv[1])
seconds = time.perf_counter() - started
dag = next(iter(bag.dags.values()))
tasks = {t.task_id: {"upstream": sorted(t.upstream_task_ids), "retries": t.retries, "job_name": getattr(t, "job_name", None),
         "email": t.email, "email_on_failure": t.email_on_failure} for t in dag.tasks}
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": list(bag.dags), "seconds": seconds,
                  "pyspark": any(m.startswith("pyspark") for m in sys.modules), "tasks": tasks}))
"""


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> dict[str, str]:
    assert AIRFLOW_PYTHON.is_file(), "Airflow is installed by `make install-airflow` (make test does it)"
    home = tmp_path_factory.mktemp("airflow")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "orchestration" / "dags"),
    }
    migrate = subprocess.run(
        [str(AIRFLOW_PYTHON.parent / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    return env


def parse(env: dict[str, str], mode: str) -> dict:
    result = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", PARSE, str(ROOT / "orchestration" / "dags")],
        env={**env, "RETAILFLOW_AIRFLOW_MODE": mode, "RETAILFLOW_ENVIRONMENT": "dev"},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_databricks_dag_triggers_the_landing_then_the_medallion_job_with_retries_and_alerts(airflow_home):
    parsed = parse(airflow_home, "databricks")
    assert parsed["errors"] == {} and parsed["dags"] == ["retailflow_databricks"]
    assert parsed["seconds"] < 2 and parsed["pyspark"] is False
    tasks = parsed["tasks"]
    assert tasks["retail_landing"]["job_name"] == "retailflow-dev-retail-landing"
    assert tasks["retail_medallion"]["job_name"] == "retailflow-dev-retail-medallion"
    assert tasks["retail_medallion"]["upstream"] == ["retail_landing"]
    assert all(t["retries"] == 2 and t["email_on_failure"] and t["email"] for t in tasks.values())


def test_the_local_dag_is_the_pipeline_graph(airflow_home):
    parsed = parse(airflow_home, "local")
    assert parsed["errors"] == {} and parsed["seconds"] < 2 and parsed["pyspark"] is False
    assert sorted(parsed["tasks"]) == sorted(PIPELINE.select(None))
    for key, task in parsed["tasks"].items():
        assert task["upstream"] == sorted(PIPELINE.dependencies(key)), key


def test_dag_test_runs_the_local_pipeline_on_tiny_data(airflow_home, tmp_path: Path, engine):
    from retailflow.local.run import LocalRunSettings, open_lakehouse
    from retailflow.workloads.runtime.ops import RUN_LOG

    generate(tmp_path / "raw", GeneratorSettings(scale=0.002, days=1, seed=2))
    env = {
        **airflow_home,
        "RETAILFLOW_AIRFLOW_MODE": "local",
        "RETAILFLOW_LAKEHOUSE": str(tmp_path / "lake"),
        "RETAILFLOW_RAW": str(tmp_path / "raw"),
    }
    script = "from airflow.dag_processing.dagbag import DagBag\nimport sys\n"
    script += "run = DagBag(sys.argv[1]).dags['retailflow_local'].test()\nprint('STATE', run.state)"
    result = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", script, str(ROOT / "orchestration" / "dags")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert "STATE success" in result.stdout, (result.stdout + result.stderr)[-3000:]
    lake = open_lakehouse(engine, LocalRunSettings(lakehouse=tmp_path / "lake", raw=tmp_path / "raw"))
    succeeded = {r["task"] for r in lake.read(RUN_LOG).filter("status = 'succeeded'").collect()}
    assert succeeded == set(PIPELINE.select(None))
    assert lake.read(TableRef("gold", "daily_revenue")).count() > 0
