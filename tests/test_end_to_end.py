"""The whole graph on generated data, reconciled against the generator's manifest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, open_lakehouse, run_local
from retailflow.workloads.runtime.ops import QUARANTINE, RUN_LOG
from retailflow.workloads.runtime.refs import TableRef


@pytest.fixture(scope="module")
def pipeline_run(engine, tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    manifest = generate(base / "raw", GeneratorSettings(scale=0.01, days=3, seed=7, start_date=dt.date(2026, 1, 5)))
    settings = LocalRunSettings(lakehouse=base / "lake", raw=base / "raw")
    summary = run_local(settings, engine=engine)
    return manifest, settings, summary, open_lakehouse(engine, settings)


def test_every_task_succeeds(pipeline_run):
    _, _, summary, lake = pipeline_run
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    assert lake.read(RUN_LOG).filter(F.col("status") == "succeeded").count() == len(summary.reports)


def test_quarantine_per_source_equals_the_injected_defects(pipeline_run):
    """Rule: Required fields, per source. (docs/semantics.md)"""
    manifest, _, _, lake = pipeline_run
    counts = {
        r["source"]: r["count"]
        for r in lake.read(QUARANTINE).filter("layer = 'bronze'").groupBy("source").count().collect()
    }
    for source, injected in manifest["sources"].items():
        expected = injected.get("malformed", 0) + injected.get("missing_required", 0)
        assert counts.get(source, 0) == expected, source


def test_dim_customer_history_equals_customers_plus_tracked_changes(pipeline_run):
    manifest, _, _, lake = pipeline_run
    customers = manifest["sources"]["customers"]
    dim = lake.read(TableRef("gold", "dim_customer")).filter("customer_sk != -1")
    assert dim.count() == customers["customers"] + customers["tracked_changes"]
    assert dim.filter("is_current").count() == customers["customers"]


def test_gold_revenue_reconciles_with_silver_lines_net_of_refunds(pipeline_run):
    """Rule: Orders and revenue (net of refunds). (docs/semantics.md)"""
    _, _, _, lake = pipeline_run
    gold_revenue = lake.read(TableRef("gold", "daily_revenue")).agg(F.sum("revenue")).collect()[0][0]
    orders = lake.read(TableRef("silver", "orders"))
    lines = lake.read(TableRef("silver", "order_lines")).join(
        orders.filter(F.col("status").isin("paid", "shipped", "delivered", "refunded")).select("order_id"), "order_id"
    )
    online = lines.agg(F.sum("line_amount")).collect()[0][0]
    store = lake.read(TableRef("silver", "store_sales")).agg(F.sum("line_amount")).collect()[0][0]
    refunds = (
        lake.read(TableRef("silver", "payments")).filter("event_type = 'refunded'").agg(F.sum("amount")).collect()[0][0]
    )
    assert refunds > 0
    assert gold_revenue == online + store - refunds
    assert isinstance(gold_revenue, Decimal)


def test_every_fact_row_resolves_to_a_dimension_row(pipeline_run):
    _, _, _, lake = pipeline_run
    sales = lake.read(TableRef("gold", "fact_sales"))
    for dim, key in (("dim_customer", "customer_sk"), ("dim_product", "product_sk"), ("dim_store", "store_sk")):
        keys = lake.read(TableRef("gold", dim)).select(key)
        assert sales.join(keys, key, "left_anti").count() == 0, dim
    assert (
        lake.read(TableRef("gold", "fact_orders"))
        .join(lake.read(TableRef("gold", "dim_customer")).select("customer_sk"), "customer_sk", "left_anti")
        .count()
        == 0
    )


def test_rerun_is_idempotent(pipeline_run, engine):
    _, settings, _, lake = pipeline_run
    tables = [TableRef("silver", "orders"), TableRef("gold", "fact_sales"), TableRef("gold", "dim_customer")]
    before = {t: sorted(map(tuple, lake.read(t).collect())) for t in tables}
    ledger_before = lake.read(TableRef("ops", "ingest_ledger")).count()
    assert run_local(settings, engine=engine).ok
    assert {t: sorted(map(tuple, lake.read(t).collect())) for t in tables} == before
    assert lake.read(TableRef("ops", "ingest_ledger")).count() == ledger_before


CUSTOMERS_SQL = "SELECT customer_sk, email, first_name, country FROM gold.dim_customer WHERE customer_sk != -1"


def local_rules(settings):
    from retailflow.config.models import ROLES, AccessSettings
    from retailflow.governance import access_rules

    entitlements = AccessSettings(country_entitlements={"analytics": ["DE", "NL"]})
    return access_rules(settings.catalog, {role: role for role in ROLES}, "local", entitlements)


def test_as_analytics_pii_is_masked_and_only_entitled_countries_show(pipeline_run):
    """The local emulation of the Databricks masks and row filter (retail/access.py)."""
    from retailflow.local.query import run_as

    _, settings, _, lake = pipeline_run
    clear = run_as(lake, local_rules(settings), "pii_reader", CUSTOMERS_SQL).rows
    analytics = run_as(lake, local_rules(settings), "analytics", CUSTOMERS_SQL).rows
    assert {r["country"] for r in clear} == {"DE", "ES", "FR", "NL"}
    assert all("@" in r["email"] and not r["email"].startswith("***") for r in clear)
    expected = [
        {**r, "email": "***" + r["email"][r["email"].index("@") :], "first_name": r["first_name"][0] + "."}
        for r in clear
        if r["country"] in ("DE", "NL")
    ]
    key = lambda r: r["customer_sk"]  # noqa: E731
    assert sorted(analytics, key=key) == sorted(expected, key=key) and analytics


def test_a_role_queries_only_the_schemas_it_is_granted(pipeline_run):
    from retailflow.local.query import QueryRefused, run_as

    _, settings, _, lake = pipeline_run
    with pytest.raises(QueryRefused, match="analytics reads the schemas gold"):
        run_as(lake, local_rules(settings), "analytics", "SELECT * FROM silver.customers")
    with pytest.raises(QueryRefused, match="unknown role 'auditor'"):
        run_as(lake, local_rules(settings), "auditor", CUSTOMERS_SQL)


def test_the_governance_task_logs_the_statements_the_local_engine_cannot_run(pipeline_run):
    lake = pipeline_run[3]
    logged = lake.read(TableRef("ops", "access_log")).collect()
    assert logged and not any(r["applied"] for r in logged)
    assert any("SET MASK retailflow_local.governance.mask_email_domain" in r["statement"] for r in logged)


def test_query_cli_prints_json_as_the_role_sees_it(pipeline_run):
    import json
    import subprocess
    import sys

    _, settings, _, _ = pipeline_run
    sql = "SELECT email FROM gold.dim_customer WHERE customer_sk != -1 ORDER BY customer_sk LIMIT 2"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "retailflow",
            "query",
            "--as",
            "analytics",
            "--lakehouse",
            str(settings.lakehouse),
            "--json",
            sql,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["columns"] == ["email"] and [r["email"] for r in printed["rows"]] == ["***@mail.example"] * 2
