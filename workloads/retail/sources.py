"""The seven RAW sources as the source systems deliver them (the schemas bronze parses them with).

Timestamps stay ISO-8601 strings in bronze (as delivered, with their offsets); silver converts them to UTC.
"""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DecimalType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from retailflow.workloads.runtime.ingest import SourceSpec

S, INT, D, B = StringType(), IntegerType(), DoubleType(), BooleanType()
MONEY = DecimalType(18, 2)


def fields(*items: tuple[str, object]) -> StructType:
    return StructType([StructField(name, data_type, True) for name, data_type in items])  # type: ignore[arg-type]


ORDER_ITEM = fields(("sku", S), ("quantity", INT), ("unit_price", D))
ORDERS = SourceSpec(
    "orders",
    "json",
    fields(
        ("order_id", S),
        ("status", S),
        ("order_ts", S),
        ("updated_at", S),
        ("currency", S),
        ("customer", fields(("customer_id", S), ("email", S))),
        ("items", ArrayType(ORDER_ITEM)),
    ),
    required=("order_id", "status", "order_ts", "updated_at", "customer", "items"),
    description="Online orders from the orders REST API: nested customer, items, status updates over time",
)
CUSTOMERS = SourceSpec(
    "customers",
    "json",
    fields(
        ("customer_id", S),
        ("email", S),
        ("first_name", S),
        ("last_name", S),
        ("city", S),
        ("country", S),
        ("segment", S),
        ("loyalty_tier", S),
        ("signup_date", S),
        ("updated_at", S),
    ),
    required=("customer_id", "email", "updated_at"),
    description="Customers from the customers REST API: attribute changes over time",
)
PRODUCTS = SourceSpec(
    "products",
    "csv",
    fields(
        ("sku", S),
        ("name", S),
        ("category", S),
        ("brand", S),
        ("list_price", MONEY),
        ("active", B),
        ("updated_at", S),
    ),
    required=("sku", "name", "category", "list_price"),
    description="Product catalog CSV extracts",
)
INVENTORY = SourceSpec(
    "inventory",
    "csv",
    fields(("snapshot_ts", S), ("store_id", S), ("sku", S), ("on_hand", INT)),
    required=("snapshot_ts", "store_id", "sku", "on_hand"),
    description="Inventory-system extracts: stock on hand per store and sku at a point in time",
)
CLICKSTREAM = SourceSpec(
    "clickstream",
    "json",
    fields(
        ("event_id", S),
        ("session_id", S),
        ("customer_id", S),
        ("event_type", S),
        ("page", S),
        ("sku", S),
        ("event_ts", S),
    ),
    required=("event_id", "session_id", "event_type", "event_ts"),
    description="Web clickstream logs: sessions, page views, add-to-cart, checkout",
)
PAYMENTS = SourceSpec(
    "payments",
    "json",
    fields(
        ("payment_event_id", S),
        ("payment_id", S),
        ("order_id", S),
        ("event_type", S),
        ("amount", D),
        ("currency", S),
        ("event_ts", S),
    ),
    required=("payment_event_id", "payment_id", "order_id", "event_type", "amount", "event_ts"),
    description="Payment-gateway events: authorized, captured, failed, refunded",
)
STORE_SALES = SourceSpec(
    "store_sales",
    "parquet",
    fields(
        ("transaction_id", S),
        ("line_number", INT),
        ("store_id", S),
        ("store_name", S),
        ("store_city", S),
        ("sku", S),
        ("quantity", INT),
        ("unit_price", D),
        ("sold_at", S),
        ("customer_id", S),
    ),
    required=("transaction_id", "line_number", "store_id", "sku", "quantity", "unit_price", "sold_at"),
    description="Point-of-sale transactions with lines, per store, from SQL database extracts",
)

SOURCES = (ORDERS, CUSTOMERS, PRODUCTS, INVENTORY, CLICKSTREAM, PAYMENTS, STORE_SALES)
