"""The Airflow DAG of the pipeline graph (optional: `make install-airflow`; docs/orchestration.md).

`databricks` mode triggers the deployed jobs by name (`naming.job_name`): the landing job, then the medallion job,
with retries and failure e-mails to the environment's alert addresses. `local` mode runs each task of the graph
through the local runner, one Airflow task per graph task, ordered by the graph's dependencies. Building the DAG
imports neither pyspark nor the engine: a task's run imports them when it runs.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from retailflow.naming import job_name
from retailflow.workloads.retail.graph import PIPELINE

TRIGGERED_WORKLOADS = ("retail_landing", "retail_medallion")  # maintenance keeps its own Databricks schedule


def build_dag(mode: str | None = None, environment: str | None = None) -> Any:
    from airflow.sdk import DAG

    mode = mode or os.environ.get("RETAILFLOW_AIRFLOW_MODE", "databricks")
    environment = environment or os.environ.get("RETAILFLOW_ENVIRONMENT", "dev")
    if mode not in ("databricks", "local"):
        raise ValueError(f"RETAILFLOW_AIRFLOW_MODE: {mode!r} is not databricks or local")
    default_args: dict[str, Any] = {"retries": 2, "retry_delay": dt.timedelta(minutes=5)}
    with DAG(
        dag_id=f"retailflow_{mode}",
        description="RAW -> bronze -> silver -> gold -> marts, from the RetailFlow pipeline graph",
        schedule=None,
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        default_args=default_args,
        tags=["retailflow", mode],
    ) as dag:
        if mode == "databricks":
            _trigger_jobs(environment, default_args)
        else:
            _local_tasks()
    return dag


def _trigger_jobs(environment: str, default_args: dict[str, Any]) -> None:
    from airflow.providers.databricks.operators.databricks import DatabricksRunNowOperator

    from retailflow.config import load_environment

    default_args.update(email=list(load_environment(environment).alerts.emails), email_on_failure=True)
    previous = None
    for workload in TRIGGERED_WORKLOADS:
        run = DatabricksRunNowOperator(
            task_id=workload,
            job_name=job_name(environment, workload),
            databricks_conn_id="databricks_default",
            databricks_retry_limit=5,
            **default_args,
        )
        if previous is not None:
            previous >> run
        previous = run


def _local_tasks() -> None:
    from airflow.providers.standard.operators.python import PythonOperator

    operators = {
        key: PythonOperator(task_id=key, python_callable=run_local_task, op_kwargs={"key": key}, retries=0)
        for key in PIPELINE.select(None)
    }
    for key, operator in operators.items():
        for upstream in PIPELINE.dependencies(key):
            operators[upstream] >> operator


def run_local_task(key: str) -> None:
    """One graph task through the local runner, on the lakehouse and RAW of `RETAILFLOW_LAKEHOUSE`/`RETAILFLOW_RAW`
    (default: local.yaml's)."""
    from retailflow.config import load_local
    from retailflow.local.run import configured_run, run_local

    local = load_local()
    lakehouse = Path(os.environ.get("RETAILFLOW_LAKEHOUSE", local.lakehouse))
    settings = configured_run(local, lakehouse, Path(os.environ.get("RETAILFLOW_RAW", local.raw)))
    if PIPELINE.tasks[key].kind == "dbt" and not settings.dbt:
        return  # dbt is optional: without its environment the marts are not built (docs/orchestration.md)
    summary = run_local(settings, only=[key])
    failed = [r for r in summary.reports if r.status != "succeeded"]
    if failed:
        raise RuntimeError(f"task {key} failed: {failed[0].error}")
