"""Gold transforms: facts, dimensions, snapshots and marts, as plain DataFrame functions.

Facts resolve to dimension surrogate keys. A fact whose customer is not (yet) in the dimension gets the unknown
member (-1); a customer whose first version starts after the fact (arrived late) resolves to that first version.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retailflow.workloads.retail.silver import money
from retailflow.workloads.runtime.joins import join

UNKNOWN_SK = -1
ONLINE_STORE_SK = 0
REVENUE_STATUSES = ("paid", "shipped", "delivered", "refunded")
MIN_TS = dt.datetime(1900, 1, 1)


def natural_sk(*columns: str) -> F.Column:
    return F.xxhash64(F.concat_ws("|", *[F.col(c).cast("string") for c in columns]))


def unknown_customer(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(UNKNOWN_SK, "UNKNOWN", None, None, None, None, None, None, None, MIN_TS, None, True)],
        "customer_sk bigint, customer_id string, email string, city string, country string, segment string, "
        "loyalty_tier string, first_name string, last_name string, valid_from timestamp, valid_to timestamp, "
        "is_current boolean",
    )


def dim_product(silver_products: DataFrame) -> DataFrame:
    members = silver_products.select(
        natural_sk("sku").alias("product_sk"), "sku", "name", "category", "brand", "list_price", "active"
    )
    unknown = silver_products.sparkSession.createDataFrame(
        [(UNKNOWN_SK, "UNKNOWN", "Unknown product", "unknown", None, None, False)],
        members.schema,
    )
    return members.unionByName(unknown)


def dim_store(silver_stores: DataFrame) -> DataFrame:
    members = silver_stores.select(
        natural_sk("store_id").alias("store_sk"), "store_id", "store_name", "city", F.lit("store").alias("channel")
    )
    extra = silver_stores.sparkSession.createDataFrame(
        [
            (ONLINE_STORE_SK, "ONLINE", "Online shop", None, "online"),
            (UNKNOWN_SK, "UNKNOWN", "Unknown store", None, "unknown"),
        ],
        members.schema,
    )
    return members.unionByName(extra)


def resolve_customer(facts: DataFrame, dim_customer: DataFrame, at: str) -> DataFrame:
    """Add `customer_sk`: the version valid at `at`, else the key's first version, else the unknown member.

    A key's versions do not overlap and leave no gap between them, so one equi-join on the key, with the interval as
    its condition, finds a fact's one version: the first version's interval is taken as open to the past (a fact
    older than it, or without a time, takes it). The first versions are marked by an aggregate of the dimension,
    where a window over it, or a second join of the facts, costs more (docs/performance.md)."""
    versions = dim_customer.filter(F.col("customer_sk") != UNKNOWN_SK)
    starts = versions.groupBy(F.col("customer_id").alias("_first_cid")).agg(F.min("valid_from").alias("_first_from"))
    is_first = (versions["customer_id"] == starts["_first_cid"]) & (versions["valid_from"] == starts["_first_from"])
    valid = join(versions, starts, is_first, "left").select(
        F.col("customer_id").alias("_valid_cid"),
        F.col("customer_sk").alias("_valid_sk"),
        F.col("valid_from").alias("_valid_from"),
        F.col("valid_to").alias("_valid_to"),
        F.col("_first_cid").isNotNull().alias("_valid_first"),
    )
    when = facts[at]
    in_interval = (
        (facts["customer_id"] == valid["_valid_cid"])
        & (valid["_valid_first"] | (when >= valid["_valid_from"]))
        & (valid["_valid_to"].isNull() | (when < valid["_valid_to"]) | when.isNull())
    )
    matched = join(facts, valid, in_interval, "left")
    return matched.withColumn("customer_sk", F.coalesce("_valid_sk", F.lit(UNKNOWN_SK).cast("bigint"))).drop(
        "_valid_cid", "_valid_sk", "_valid_from", "_valid_to", "_valid_first"
    )


def refunds_by_order(silver_payments: DataFrame) -> DataFrame:
    return (
        silver_payments.filter(F.col("event_type") == "refunded")
        .groupBy("order_id")
        .agg(money(F.sum("amount")).alias("refunded_amount"))
    )


def fact_orders(silver_orders: DataFrame, silver_payments: DataFrame, dim_customer: DataFrame) -> DataFrame:
    refunds = refunds_by_order(silver_payments)
    facts = join(silver_orders, refunds, "order_id", "left").select(
        "order_id",
        "customer_id",
        "order_date",
        "order_ts",
        "status",
        "currency",
        "item_count",
        F.col("order_amount").alias("gross_amount"),
        F.coalesce("refunded_amount", F.lit(0).cast("decimal(18,2)")).alias("refunded_amount"),
    )
    facts = facts.withColumn("net_amount", money(F.col("gross_amount") - F.col("refunded_amount")))
    return resolve_customer(facts, dim_customer, "order_ts").drop("customer_id", "order_ts")


def fact_sales(
    order_lines: DataFrame,
    silver_orders: DataFrame,
    silver_payments: DataFrame,
    store_lines: DataFrame,
    dim_customer: DataFrame,
    dim_product: DataFrame,
    dim_store: DataFrame,
) -> DataFrame:
    """Line grain, both channels conformed. Online lines count when the order reached a revenue status; a full
    refund of the order refunds each line's amount."""
    refunded = refunds_by_order(silver_payments).select("order_id", F.lit(True).alias("_refunded"))
    # The refund flag is joined to the orders before they meet their lines: the orders are a third of the lines.
    sold = join(
        silver_orders.select("order_id", "customer_id", "order_ts", "status").filter(
            F.col("status").isin(*REVENUE_STATUSES)
        ),
        refunded,
        "order_id",
        "left",
    )
    online = join(order_lines, sold, "order_id").select(
        F.lit("online").alias("channel"),
        F.col("order_id").alias("document_id"),
        "line_number",
        F.col("order_date").alias("sale_date"),
        F.col("order_ts").alias("sale_ts"),
        "customer_id",
        "sku",
        F.lit("ONLINE").alias("store_id"),
        "quantity",
        "unit_price",
        F.col("line_amount").alias("gross_amount"),
        F.when(F.col("_refunded"), F.col("line_amount"))
        .otherwise(F.lit(0).cast("decimal(18,2)"))
        .alias("refunded_amount"),
    )
    store = store_lines.select(
        F.lit("store").alias("channel"),
        F.col("transaction_id").alias("document_id"),
        "line_number",
        "sale_date",
        F.col("sold_at").alias("sale_ts"),
        "customer_id",
        "sku",
        "store_id",
        "quantity",
        "unit_price",
        F.col("line_amount").alias("gross_amount"),
        F.lit(0).cast("decimal(18,2)").alias("refunded_amount"),
    )
    lines = online.unionByName(store)
    lines = resolve_customer(lines, dim_customer, "sale_ts")
    products = dim_product.filter(F.col("product_sk") != UNKNOWN_SK).select("sku", "product_sk")
    stores_ = dim_store.filter(F.col("store_sk") != UNKNOWN_SK).select("store_id", "store_sk")
    lines = join(join(lines, products, "sku", "left"), stores_, "store_id", "left")
    return lines.select(
        natural_sk("channel", "document_id", "line_number").alias("sales_key"),
        "channel",
        "document_id",
        "line_number",
        "sale_date",
        "customer_sk",
        F.coalesce("product_sk", F.lit(UNKNOWN_SK).cast("bigint")).alias("product_sk"),
        F.coalesce("store_sk", F.lit(UNKNOWN_SK).cast("bigint")).alias("store_sk"),
        "quantity",
        "unit_price",
        "gross_amount",
        "refunded_amount",
        money(F.col("gross_amount") - F.col("refunded_amount")).alias("net_amount"),
    )


def inventory_snapshot(silver_inventory: DataFrame, dim_product: DataFrame, dim_store: DataFrame) -> DataFrame:
    products = dim_product.filter(F.col("product_sk") != UNKNOWN_SK).select("sku", "product_sk")
    stores_ = dim_store.filter(F.col("store_sk") != UNKNOWN_SK).select("store_id", "store_sk")
    joined = join(join(silver_inventory, products, "sku", "left"), stores_, "store_id", "left")
    return joined.select(
        "snapshot_date",
        F.coalesce("store_sk", F.lit(UNKNOWN_SK).cast("bigint")).alias("store_sk"),
        F.coalesce("product_sk", F.lit(UNKNOWN_SK).cast("bigint")).alias("product_sk"),
        "store_id",
        "sku",
        "on_hand",
        (F.col("on_hand") <= 0).alias("out_of_stock"),
    )


def daily_revenue(sales: DataFrame, dim_product: DataFrame) -> DataFrame:
    """Date x channel x category: revenue net of refunds, orders, units, average order value."""
    categories = dim_product.select("product_sk", "category")
    joined = join(sales, categories, "product_sk", "left").withColumn(
        "category", F.coalesce("category", F.lit("unknown"))
    )
    grouped = joined.groupBy("sale_date", "channel", "category").agg(
        money(F.sum("net_amount")).alias("revenue"),
        money(F.sum("refunded_amount")).alias("refunds"),
        F.countDistinct("document_id").alias("orders"),
        F.sum("quantity").cast("bigint").alias("units"),
    )
    return grouped.withColumn("average_order_value", money(F.col("revenue") / F.col("orders"))).withColumnRenamed(
        "sale_date", "revenue_date"
    )
