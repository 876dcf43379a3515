"""The RetailFlow DAG for Airflow: `RETAILFLOW_AIRFLOW_MODE=databricks` (default) triggers the deployed jobs of
`RETAILFLOW_ENVIRONMENT`; `local` runs the graph's tasks through the local runner (retailflow/airflow_dag.py)."""

from retailflow.airflow_dag import build_dag

dag = build_dag()
