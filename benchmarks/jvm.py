"""The project's own pure transforms on classic JVM PySpark (`local[2]`): a speed comparison and a parity check
that the transforms give the same answers on Apache Spark. Parquet stands in for Delta (no Delta jars here).

    python -m retailflow.benchmarks.jvm --raw RAW --out result.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from functools import reduce
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retailflow.workloads.retail import gold, silver
from retailflow.workloads.retail.sources import CUSTOMERS, ORDERS, PAYMENTS, PRODUCTS
from retailflow.workloads.retail.tasks import CUSTOMER_SCD2
from retailflow.workloads.runtime.ingest import SourceSpec, list_raw_files, parse_csv_lines, parse_json_lines
from retailflow.workloads.runtime.scd2 import build_history


def session(memory: str = "4g") -> SparkSession:
    # A parent that used Spark Connect (the local engine) passes Connect mode down: this run is classic Spark.
    for variable in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE"):
        os.environ.pop(variable, None)
    return (
        SparkSession.builder.master("local[2]")
        .appName("retailflow-jvm-parity")
        .config("spark.driver.memory", memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def bronze(spark: SparkSession, raw: Path, spec: SourceSpec, stage: Path) -> DataFrame:
    """Parse a source's RAW files with the project's parse functions; keep the rows without a reason."""
    parts = []
    for raw_file in list_raw_files(raw, spec.name):
        lines = spark.read.text(raw_file.path).withColumn("_source_file", F.lit(raw_file.path))
        if spec.format == "json":
            parsed = parse_json_lines(lines, spec, 1 << 20)
        else:
            with open(raw_file.path, encoding="utf-8") as handle:
                header = handle.readline().rstrip("\n")
            parsed = parse_csv_lines(lines, spec, header, 1 << 20)
        parts.append(parsed)
    frame = reduce(DataFrame.unionByName, parts).filter(F.col("_reason").isNull())
    frame = frame.withColumn("_ingestion_ts", F.lit(dt.datetime(2026, 1, 1)).cast("timestamp"))
    frame.drop("_raw", "_reason").write.mode("overwrite").parquet(str(stage / f"bronze_{spec.name}"))
    return spark.read.parquet(str(stage / f"bronze_{spec.name}"))


def materialize(df: DataFrame, stage: Path, name: str) -> DataFrame:
    df.write.mode("overwrite").parquet(str(stage / name))
    return df.sparkSession.read.parquet(str(stage / name))


def run(raw: Path, stage: Path) -> dict[str, Any]:
    started = time.perf_counter()
    spark = session()
    spark.sparkContext.setLogLevel("ERROR")
    ready = time.perf_counter()
    orders_b = bronze(spark, raw, ORDERS, stage)
    payments_b = bronze(spark, raw, PAYMENTS, stage)
    products_b = bronze(spark, raw, PRODUCTS, stage)
    customers_b = bronze(spark, raw, CUSTOMERS, stage)
    orders = materialize(silver.orders(orders_b), stage, "silver_orders")
    lines = materialize(silver.order_lines(orders), stage, "silver_order_lines")
    payments = materialize(silver.payments(payments_b, orders), stage, "silver_payments")
    products = materialize(silver.products(products_b), stage, "silver_products")
    changes = materialize(silver.clean_customer_changes(customers_b), stage, "silver_customer_changes")
    dim_customer = materialize(build_history(changes, CUSTOMER_SCD2), stage, "gold_dim_customer")
    dim_product = materialize(gold.dim_product(products), stage, "gold_dim_product")
    dim_store = gold.dim_store(spark.createDataFrame([], "store_id string, store_name string, city string"))
    no_store_lines = spark.createDataFrame(
        [],
        "transaction_id string, line_number int, store_id string, sku string, quantity int, unit_price decimal(18,2), "
        "line_amount decimal(18,2), sold_at timestamp, sale_date date, customer_id string",
    )
    sales = materialize(
        gold.fact_sales(lines, orders, payments, no_store_lines, dim_customer, dim_product, dim_store),
        stage,
        "gold_fact_sales",
    )
    revenue = gold.daily_revenue(sales, dim_product).filter("channel = 'online'")
    revenue_rows = sorted(
        (str(r.revenue_date), r.category, str(r.revenue), int(r.orders), int(r.units)) for r in revenue.collect()
    )
    dim_rows = sorted(
        (
            r.customer_id,
            str(r.valid_from),
            str(r.valid_to),
            bool(r.is_current),
            r.email,
            r.city,
            r.country,
            r.segment,
            r.loyalty_tier,
        )
        for r in dim_customer.collect()
    )
    finished = time.perf_counter()
    spark.stop()
    return {
        "seconds_total": finished - started,
        "seconds_startup": ready - started,
        "daily_revenue_online": revenue_rows,
        "dim_customer": dim_rows,
    }


def command(raw: Path, stage: Path, out: Path) -> list[str]:
    """The command line of a JVM run, in its own process (a JVM Spark session cannot share a Connect process)."""
    return [
        sys.executable,
        "-m",
        "retailflow.benchmarks.jvm",
        "--raw",
        str(raw),
        "--stage",
        str(stage),
        "--out",
        str(out),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--stage", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(run(args.raw, args.stage)))


if __name__ == "__main__":
    main()
