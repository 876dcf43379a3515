"""The dbt marts (dbt/): built locally by `dbt build` after gold with their data tests passing, built day by day
(the incremental marts merge only the dates that changed) equal row for row to the same computation in PySpark and to
a full rebuild, and the project's sources equal to the graph's declared inputs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from deltalake import DeltaTable
from pyspark.sql import functions as F

from retailflow.local.dbt import dbt_installed
from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, open_lakehouse, run_local
from retailflow.project import project_root
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.ops import log_partitions
from retailflow.workloads.runtime.refs import TableRef

REVENUE_STATUSES = ("paid", "shipped", "delivered", "refunded")
INCREMENTAL_MARTS = ("clickstream_funnel", "product_daily_sales", "store_daily_performance")


def test_the_projects_sources_are_the_graphs_inputs_of_the_marts_task():
    sources = yaml.safe_load((project_root() / "dbt" / "models" / "sources.yml").read_text())["sources"]
    declared = {f"{s['schema']}.{t['name']}" for s in sources for t in s["tables"]}
    assert declared == {str(ref) for ref in PIPELINE.tasks["dbt_marts"].inputs}


@pytest.fixture(scope="module")
def built(engine, tmp_path_factory):
    assert dbt_installed(), "dbt is installed by `make install-dbt` (make test does it)"
    tmp = tmp_path_factory.mktemp("marts")
    generate(tmp / "raw", GeneratorSettings(scale=0.003, days=2, seed=17, start_date=dt.date(2026, 6, 1)))
    settings = LocalRunSettings(lakehouse=tmp / "lake", raw=tmp / "raw", dbt=True)
    first = run_local(settings, engine=engine, to_date=dt.date(2026, 6, 1))
    assert first.ok, [(r.task, r.error) for r in first.reports if r.error]
    summary = run_local(settings, engine=engine)  # the second day: the incremental marts merge its dates
    return summary, open_lakehouse(engine, settings), settings


def mart_path(settings: LocalRunSettings, model: str) -> Path:
    return settings.lakehouse / settings.catalog / "marts" / model


def mart_table(settings: LocalRunSettings, model: str) -> DeltaTable:
    return DeltaTable(str(mart_path(settings, model)))


def mart_records(settings: LocalRunSettings, model: str) -> list[dict]:
    return mart_table(settings, model).to_pyarrow_table().to_pylist()


def mart_rows(settings: LocalRunSettings, model: str) -> list[str]:
    return sorted(json.dumps(r, default=str, sort_keys=True) for r in mart_records(settings, model))


def operations(settings: LocalRunSettings, model: str) -> list[str]:
    """The mart's Delta commits, the newest first."""
    return [c["operation"] for c in mart_table(settings, model).history()]


def receipts_by_store_day(settings: LocalRunSettings) -> dict[tuple[int, str], int]:
    rows = mart_records(settings, "store_daily_performance")
    return {(r["store_sk"], str(r["sale_date"])): r["receipts"] for r in rows}


def test_dbt_build_runs_after_gold_and_its_data_tests_pass(built):
    summary, _lake, settings = built
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    (marts,) = [r for r in summary.reports if r.task == "dbt_marts"]
    assert marts.outcome.rows_out == 5 and marts.outcome.rows_in == 20  # 5 models; 19 data tests and the hook
    order = [r.task for r in summary.reports]
    assert all(order.index(d) < order.index("dbt_marts") for d in PIPELINE.dependencies("dbt_marts"))
    for model in ("customer_lifetime_value", "product_performance", *INCREMENTAL_MARTS):
        assert (mart_path(settings, model) / "_delta_log").is_dir(), model


def test_the_second_day_merges_into_the_incremental_marts_and_equals_a_full_rebuild(built, engine):
    _summary, _lake, settings = built
    for model in INCREMENTAL_MARTS:  # created on the first day, merged into on the second (the newest first)
        assert operations(settings, model) == ["MERGE", "CREATE TABLE"], model
    models = ("customer_lifetime_value", "product_performance", *INCREMENTAL_MARTS)
    day_by_day = {model: mart_rows(settings, model) for model in models}
    rebuilt = run_local(settings, only=["dbt_marts"], engine=engine, full_refresh=True)
    assert rebuilt.ok, [(r.task, r.error) for r in rebuilt.reports if r.error]
    for model in INCREMENTAL_MARTS:  # a full refresh writes each mart whole
        assert operations(settings, model) == ["WRITE", "MERGE", "CREATE TABLE"], model
    assert {model: mart_rows(settings, model) for model in models} == day_by_day
    assert all(day_by_day.values())


def test_a_store_and_day_whose_sales_are_gone_leaves_the_mart_and_other_days_stay(built, engine):
    """A rebuilt date's group that vanished is deleted by the MERGE; the dates not rebuilt are not touched."""
    _summary, lake, settings = built
    sales_ref = TableRef("gold", "fact_sales")
    before = receipts_by_store_day(settings)
    store_sk, day = sorted(before)[0]
    sales = lake.read(sales_ref)
    kept = engine.materialize(sales.filter((F.col("sale_date") == day) & (F.col("store_sk") != store_sk)))
    lake.write(sales_ref, kept, mode="overwrite", replace_where=f"sale_date = DATE'{day}'")
    log_partitions(lake, "test-run", "gold_fact_sales", sales_ref, [day])
    summary = run_local(settings, only=["dbt_marts"], engine=engine)
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    assert receipts_by_store_day(settings) == {k: v for k, v in before.items() if k != (store_sk, day)}


def test_customer_lifetime_value_equals_the_same_computation_in_pyspark(built, engine):
    _summary, lake, settings = built
    dim = lake.read(TableRef("gold", "dim_customer")).filter("customer_sk != -1")
    orders = (
        lake.read(TableRef("gold", "fact_orders"))
        .filter(F.col("status").isin(*REVENUE_STATUSES))
        .join(dim.select("customer_sk", "customer_id"), "customer_sk")
    )
    per_customer = orders.groupBy("customer_id").agg(
        F.count("order_id").alias("orders"),
        F.sum("net_amount").alias("lifetime_value"),
        F.min("order_date").alias("first_order_date"),
        F.max("order_date").alias("last_order_date"),
    )
    expected = (
        dim.filter("is_current")
        .select("customer_id", "segment", "loyalty_tier", "country")
        .join(per_customer, "customer_id", "left")
        .select(
            "customer_id",
            "segment",
            "loyalty_tier",
            "country",
            F.coalesce("orders", F.lit(0)).alias("orders"),
            F.coalesce("lifetime_value", F.lit(0)).cast("decimal(18,2)").alias("lifetime_value"),
            "first_order_date",
            "last_order_date",
        )
    )
    path = settings.lakehouse / settings.catalog / "marts" / "customer_lifetime_value"
    mart = engine.spark.read.format("delta").load(str(path))

    def rows(frame):
        return sorted(tuple(str(v) for v in r) for r in frame.collect())

    assert mart.columns == expected.columns
    assert rows(mart) == rows(expected) and rows(mart)


def test_product_performance_counts_each_document_once_per_product_as_a_distinct_count_does(built, engine):
    _summary, lake, settings = built
    sales = lake.read(TableRef("gold", "fact_sales")).filter("product_sk != -1")
    repeated = sales.groupBy("product_sk", "document_id").count().filter("count > 1").count()
    per_product = sales.groupBy("product_sk").agg(
        F.sum("quantity").cast("bigint").alias("units"),
        F.countDistinct("document_id").alias("documents"),
        F.sum("gross_amount").cast("decimal(18,2)").alias("gross_amount"),
        F.sum("refunded_amount").cast("decimal(18,2)").alias("refunded_amount"),
        F.sum("net_amount").cast("decimal(18,2)").alias("net_amount"),
    )
    expected = (
        lake.read(TableRef("gold", "dim_product"))
        .join(per_product, "product_sk")
        .select("product_sk", "sku", "category", "units", "documents", "gross_amount", "refunded_amount", "net_amount")
    )
    mart = engine.spark.read.format("delta").load(
        str(settings.lakehouse / settings.catalog / "marts" / "product_performance")
    )

    def rows(frame):
        return sorted(tuple(str(v) for v in r) for r in frame.collect())

    assert mart.columns == expected.columns
    assert rows(mart) == rows(expected) and rows(mart)
    assert repeated > 0  # the data holds documents with a product on two lines, which count once
