"""Silver transforms: bronze -> clean, deduplicated, typed entities with business keys.

Plain functions of DataFrames (no I/O): money as decimal(18,2), timestamps in UTC, latest record per key by its
event or update time.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.runtime.joins import join
from retailflow.workloads.runtime.latest import Versions, first_per_group, latest, latest_event, latest_version

MONEY = "decimal(18,2)"


def utc(column: str) -> Column:
    """An ISO-8601 string with an offset -> a UTC timestamp (the session time zone is UTC)."""
    return F.to_timestamp(F.col(column))


def money(column: Column | str) -> Column:
    value = F.col(column) if isinstance(column, str) else column
    return F.round(value.cast("decimal(38,6)"), 2).cast(MONEY)


def keyed(df: DataFrame, **keys: Column) -> DataFrame:
    """Normalise business keys before deduplicating on them (so ` sku-1` and `SKU-1` are one key)."""
    for name, value in keys.items():
        df = df.withColumn(name, value)
    return df


def normalise_email(column: str) -> Column:
    return F.lower(F.trim(F.col(column)))


def clean_customer_changes(bronze: DataFrame) -> DataFrame:
    """Every distinct customer change (one per customer and update time), cleansed."""
    cleaned = bronze.select(
        F.trim("customer_id").alias("customer_id"),
        normalise_email("email").alias("email"),
        F.initcap(F.trim("first_name")).alias("first_name"),
        F.initcap(F.trim("last_name")).alias("last_name"),
        F.initcap(F.trim("city")).alias("city"),
        F.upper(F.trim("country")).alias("country"),
        F.lower(F.trim("segment")).alias("segment"),
        F.lower(F.trim("loyalty_tier")).alias("loyalty_tier"),
        F.to_date("signup_date").alias("signup_date"),
        utc("updated_at").alias("updated_at"),
        "_ingestion_ts",
        "_source_file",
    )
    deduped = latest_event(cleaned, ["customer_id", "updated_at"], [F.lit(1)]).drop("_ingestion_ts", "_source_file")
    return deduped.withColumn("change_date", F.to_date("updated_at"))


def customers(changes: DataFrame) -> DataFrame:
    """The current state of each customer."""
    return first_per_group(changes, [F.col("customer_id")], [F.col("updated_at").desc()]).drop("change_date")


ORDER_VERSIONS = Versions((("order_id", lambda: F.trim("order_id")),), lambda: utc("updated_at"))


def orders(bronze: DataFrame) -> DataFrame:
    """The latest version of each order (status updates arrive over time, sometimes out of order)."""
    current = ORDER_VERSIONS.latest(bronze)
    amount = F.aggregate(
        "items",
        F.lit(0).cast("decimal(38,6)"),
        lambda acc, item: (
            acc + item["quantity"].cast("decimal(38,6)") * item["unit_price"].cast("decimal(38,6)")
        ).cast("decimal(38,6)"),
    )
    return current.select(
        F.trim("order_id").alias("order_id"),
        F.trim(F.col("customer.customer_id")).alias("customer_id"),
        F.lower(F.trim("status")).alias("status"),
        utc("order_ts").alias("order_ts"),
        F.to_date(utc("order_ts")).alias("order_date"),
        utc("updated_at").alias("updated_at"),
        F.upper(F.trim("currency")).alias("currency"),
        F.size("items").alias("item_count"),
        money(amount).alias("order_amount"),
        "items",
    )


def order_lines(silver_orders: DataFrame) -> DataFrame:
    """Order lines exploded from the latest version of each order (silver orders keep their items)."""
    exploded = silver_orders.select("order_id", "order_date", F.posexplode("items").alias("position", "item"))
    return exploded.select(
        "order_id",
        (F.col("position") + 1).alias("line_number"),
        F.upper(F.trim(F.col("item.sku"))).alias("sku"),
        F.col("item.quantity").alias("quantity"),
        money(F.col("item.unit_price")).alias("unit_price"),
        money(F.col("item.quantity").cast("decimal(38,6)") * F.col("item.unit_price").cast("decimal(38,6)")).alias(
            "line_amount"
        ),
        "order_date",
    )


def payment_events(bronze: DataFrame) -> DataFrame:
    """Payment events, deduplicated and typed (the columns of silver payments without their order's)."""
    events = latest_event(
        keyed(bronze, payment_event_id=F.trim("payment_event_id")), ["payment_event_id"], [utc("event_ts")]
    )
    return events.select(
        F.trim("payment_event_id").alias("payment_event_id"),
        F.trim("payment_id").alias("payment_id"),
        F.trim("order_id").alias("order_id"),
        F.lower(F.trim("event_type")).alias("event_type"),
        money(F.col("amount")).alias("amount"),
        F.upper(F.trim("currency")).alias("currency"),
        utc("event_ts").alias("event_ts"),
    )


def with_order_status(events: DataFrame, silver_orders: DataFrame) -> DataFrame:
    """Payment events with their order's current status and date (payments live with their order)."""
    status = silver_orders.select("order_id", F.col("status").alias("order_status"), "order_date")
    joined = join(events, status, "order_id", "left")
    return joined.select("order_id", *[c for c in events.columns if c != "order_id"], "order_status", "order_date")


def payments(bronze: DataFrame, silver_orders: DataFrame) -> DataFrame:
    """Payment events, deduplicated, with the order's current status and date."""
    return with_order_status(payment_events(bronze), silver_orders)


def products(bronze: DataFrame) -> DataFrame:
    normalised = keyed(bronze, sku=F.upper(F.trim("sku")))
    current = latest(normalised, ["sku"], [F.coalesce(utc("updated_at"), F.lit("1970-01-01").cast("timestamp"))])
    return current.select(
        F.upper(F.trim("sku")).alias("sku"),
        F.trim("name").alias("name"),
        F.lower(F.trim("category")).alias("category"),
        F.trim("brand").alias("brand"),
        F.col("list_price").alias("list_price"),
        F.coalesce(F.col("active"), F.lit(True)).alias("active"),
    )


def inventory(bronze: DataFrame) -> DataFrame:
    """Stock on hand per store, sku and day: the last snapshot of the day."""
    typed = keyed(bronze, store_id=F.upper(F.trim("store_id")), sku=F.upper(F.trim("sku"))).withColumn(
        "_ts", utc("snapshot_ts")
    )
    current = latest(typed.withColumn("_day", F.to_date("_ts")), ["store_id", "sku", "_day"], [F.col("_ts")])
    return current.select(
        F.upper(F.trim("store_id")).alias("store_id"),
        F.upper(F.trim("sku")).alias("sku"),
        F.col("_day").alias("snapshot_date"),
        F.col("_ts").alias("snapshot_ts"),
        F.col("on_hand"),
    )


def clickstream(bronze: DataFrame) -> DataFrame:
    current = latest_event(keyed(bronze, event_id=F.trim("event_id")), ["event_id"], [utc("event_ts")])
    return current.select(
        F.trim("event_id").alias("event_id"),
        F.trim("session_id").alias("session_id"),
        F.trim("customer_id").alias("customer_id"),
        F.lower(F.trim("event_type")).alias("event_type"),
        F.trim("page").alias("page"),
        F.upper(F.trim("sku")).alias("sku"),
        utc("event_ts").alias("event_ts"),
        F.to_date(utc("event_ts")).alias("event_date"),
    )


def store_sales(bronze: DataFrame) -> DataFrame:
    current = latest_event(
        keyed(bronze, transaction_id=F.trim("transaction_id")), ["transaction_id", "line_number"], [utc("sold_at")]
    )
    return current.select(
        F.trim("transaction_id").alias("transaction_id"),
        F.col("line_number"),
        F.upper(F.trim("store_id")).alias("store_id"),
        F.upper(F.trim("sku")).alias("sku"),
        F.col("quantity"),
        money(F.col("unit_price")).alias("unit_price"),
        money(F.col("quantity").cast("decimal(38,6)") * F.col("unit_price").cast("decimal(38,6)")).alias("line_amount"),
        utc("sold_at").alias("sold_at"),
        F.to_date(utc("sold_at")).alias("sale_date"),
        F.trim("customer_id").alias("customer_id"),
    )


def stores(bronze_store_sales: DataFrame) -> DataFrame:
    """The store entity: each store's latest name and city as the point-of-sale extracts report them, and when."""
    current = latest_version(
        keyed(bronze_store_sales, store_id=F.upper(F.trim("store_id"))), ["store_id"], utc("sold_at")
    )
    return current.select(
        F.upper(F.trim("store_id")).alias("store_id"),
        F.trim("store_name").alias("store_name"),
        F.initcap(F.trim("store_city")).alias("city"),
        utc("sold_at").alias("reported_at"),
    )
