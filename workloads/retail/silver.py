"""Silver transforms: bronze -> clean, deduplicated, typed entities with business keys.

Plain functions of DataFrames (no I/O): money as decimal(18,2), timestamps in UTC, latest record per key by its
event or update time.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

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


def latest(df: DataFrame, key: list[str], order: list[Column]) -> DataFrame:
    """One row per key: the last by `order` (ties broken by the bronze batch, then the source file)."""
    window = Window.partitionBy(*key).orderBy(
        *[o.desc() for o in order], F.col("_ingestion_ts").desc(), F.col("_source_file").desc()
    )
    return df.withColumn("_rank", F.row_number().over(window)).filter(F.col("_rank") == 1).drop("_rank")


def _renamed_keys(keys: DataFrame, key: list[str], prefix: str) -> DataFrame:
    """`keys` with its key columns renamed `<prefix>_<i>`, so a join back to the rows they came from is unambiguous."""
    others = [c for c in keys.columns if c not in key]
    return keys.select(*[F.col(k).alias(f"{prefix}_{i}") for i, k in enumerate(key)], *others)


def _same_key(df: DataFrame, keys: DataFrame, key: list[str], prefix: str) -> Column:
    """`df`'s key equals `keys`' renamed one, null-safe: a null key matches a null key, as it groups with one."""
    return reduce(Column.__and__, [df[k].eqNullSafe(keys[f"{prefix}_{i}"]) for i, k in enumerate(key)])


def _split_by_keys(df: DataFrame, keys: DataFrame, key: list[str]) -> tuple[DataFrame, DataFrame]:
    """`df`'s rows whose key is among `keys` (few, distinct key rows), and the others. `keys` goes on the left of
    the join, where the engine builds its hash table."""
    marked_keys = _renamed_keys(keys.select(*key), key, "_in").withColumn("_in", F.lit(True))
    marked = marked_keys.join(df, _same_key(df, marked_keys, key, "_in"), "right")
    return (
        marked.filter(F.col("_in")).select(*df.columns),
        marked.filter(F.col("_in").isNull()).select(*df.columns),
    )


def latest_version(df: DataFrame, key: list[str], order: Column) -> DataFrame:
    """`latest` for a source that sends many versions of each record (an order per status update, a store on
    every sale): the rows are first narrowed to those holding their key's greatest `order` (an aggregate of the key
    and `order` only, joined back), so the window sorts about one row per key instead of every version (silver
    orders at scale 10: 7.4 s instead of 11.2 s for the deduplication). Where keys rarely repeat, the narrowing
    costs more than it saves: see `latest_event`."""
    marked = df.withColumn("_order", order)
    best = _renamed_keys(marked.groupBy(*key).agg(F.max("_order").alias("_best_order")), key, "_best")
    # Null-safe: a key whose every `order` is null keeps those rows, as the window alone (nulls last) would.
    on = _same_key(marked, best, key, "_best") & marked["_order"].eqNullSafe(best["_best_order"])
    # `best` (one narrow row per key) on the left: the engine builds its hash table from the left side.
    candidates = best.join(marked, on, "inner").select(*df.columns, "_order")
    return latest(candidates, key, [F.col("_order")]).drop("_order")


def latest_event(df: DataFrame, key: list[str], order: list[Column]) -> DataFrame:
    """`latest` for events, whose key repeats only when an event is delivered more than once: the keys seen more
    than once are found first (a narrow aggregate), the rows of the others pass as they are, and the window ranks
    only the repeated ones (silver payments at scale 10: 4.5 s instead of 8.6 s for the deduplication)."""
    repeated = df.groupBy(*key).count().filter(F.col("count") > 1)
    repeats, once = _split_by_keys(df, repeated, key)
    return once.unionByName(latest(repeats, key, order))


def upsert_latest(current: DataFrame, candidates: DataFrame, key: list[str], order: str) -> DataFrame:
    """A current-state table updated with candidate rows: per key, the row with the greatest `order` wins, and a
    candidate wins a tie (candidates come from a later batch, which wins ties in a full rebuild too). Only the keys
    the candidates touch are ranked; the other current rows pass as they are."""
    contenders, untouched = _split_by_keys(current, candidates.select(*key).distinct(), key)
    both = contenders.withColumn("_candidate", F.lit(0)).unionByName(candidates.withColumn("_candidate", F.lit(1)))
    window = Window.partitionBy(*key).orderBy(F.col(order).desc(), F.col("_candidate").desc())
    ranked = both.withColumn("_rank", F.row_number().over(window))
    return untouched.unionByName(ranked.filter(F.col("_rank") == 1).drop("_rank", "_candidate"))


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
    window = Window.partitionBy("customer_id").orderBy(F.col("updated_at").desc())
    return changes.withColumn("_rank", F.row_number().over(window)).filter("_rank = 1").drop("_rank", "change_date")


def orders(bronze: DataFrame) -> DataFrame:
    """The latest version of each order (status updates arrive over time, sometimes out of order)."""
    current = latest_version(keyed(bronze, order_id=F.trim("order_id")), ["order_id"], utc("updated_at"))
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
    # The orders (fewer than their payment events) on the left, where the engine builds its hash table.
    joined = status.join(events, "order_id", "right")
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
