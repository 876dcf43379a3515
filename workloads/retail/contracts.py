"""The contracts of every silver and gold table (schema, business key, partitioning, expectations)."""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    TimestampType,
)

from retailflow.workloads.retail.sources import ORDER_ITEM, SOURCES
from retailflow.workloads.runtime.contracts import Column, ContractRegistry, TableContract
from retailflow.workloads.runtime.expectations import Action, accepted_values, in_range, references, unique
from retailflow.workloads.runtime.ops import OPS_CONTRACTS
from retailflow.workloads.runtime.refs import TableRef

S, INT, L, B = StringType(), IntegerType(), LongType(), BooleanType()
TS, DATE, MONEY = TimestampType(), DateType(), DecimalType(18, 2)


def silver(name: str) -> TableRef:
    return TableRef("silver", name)


def gold(name: str) -> TableRef:
    return TableRef("gold", name)


CUSTOMER_COLUMNS = (
    Column("customer_id", S, False),
    Column("email", S, False),
    Column("first_name", S),
    Column("last_name", S),
    Column("city", S),
    Column("country", S),
    Column("segment", S),
    Column("loyalty_tier", S),
    Column("signup_date", DATE),
    Column("updated_at", TS, False),
)
ORDER_STATUSES = ("created", "paid", "shipped", "delivered", "cancelled", "refunded")

SILVER = (
    TableContract(
        silver("customer_changes"),
        (*CUSTOMER_COLUMNS, Column("change_date", DATE, False)),
        business_key=("customer_id", "updated_at"),
        partition_by=("change_date",),
        expectations=(
            unique(["customer_id", "updated_at"]),
            in_range("updated_at", action=Action.QUARANTINE),
        ),
        description="Every distinct change of a customer (the SCD2 dimension's input)",
    ),
    TableContract(
        silver("customers"),
        CUSTOMER_COLUMNS,
        business_key=("customer_id",),
        expectations=(unique(["customer_id"]),),
        description="Customers, current state",
    ),
    TableContract(
        silver("orders"),
        (
            Column("order_id", S, False),
            Column("customer_id", S),
            Column("status", S, False),
            Column("order_ts", TS, False),
            Column("order_date", DATE, False),
            Column("updated_at", TS, False),
            Column("currency", S),
            Column("item_count", INT, False),
            Column("order_amount", MONEY, False),
            Column("items", ArrayType(ORDER_ITEM), False, "The lines of the latest version, as received"),
        ),
        business_key=("order_id",),
        partition_by=("order_date",),
        expectations=(unique(["order_id"]), accepted_values("status", ORDER_STATUSES)),
        description="Orders, latest status",
    ),
    TableContract(
        silver("order_lines"),
        (
            Column("order_id", S, False),
            Column("line_number", INT, False),
            Column("sku", S, False),
            Column("quantity", INT, False),
            Column("unit_price", MONEY, False),
            Column("line_amount", MONEY, False),
            Column("order_date", DATE, False),
        ),
        business_key=("order_id", "line_number"),
        partition_by=("order_date",),
        expectations=(unique(["order_id", "line_number"]), in_range("quantity", 1, 1000)),
        description="Order lines exploded from the latest version of each order",
    ),
    TableContract(
        silver("payments"),
        (
            Column("order_id", S, False),
            Column("payment_event_id", S, False),
            Column("payment_id", S, False),
            Column("event_type", S, False),
            Column("amount", MONEY, False),
            Column("currency", S),
            Column("event_ts", TS, False),
            Column("order_status", S),
            Column("order_date", DATE),
        ),
        business_key=("payment_event_id",),
        partition_by=("order_date",),
        expectations=(
            unique(["payment_event_id"]),
            accepted_values("event_type", ("authorized", "captured", "failed", "refunded")),
            references("order_id", "silver.orders", "order_id", action=Action.WARN, growing=True),
        ),
        description="Payment events with the order's current status",
    ),
    TableContract(
        silver("products"),
        (
            Column("sku", S, False),
            Column("name", S, False),
            Column("category", S, False),
            Column("brand", S),
            Column("list_price", MONEY, False),
            Column("active", B, False),
        ),
        business_key=("sku",),
        expectations=(unique(["sku"]), in_range("list_price", 0, 100_000)),
        description="Product catalog, latest",
    ),
    TableContract(
        silver("inventory"),
        (
            Column("store_id", S, False),
            Column("sku", S, False),
            Column("snapshot_date", DATE, False),
            Column("snapshot_ts", TS, False),
            Column("on_hand", INT, False),
        ),
        business_key=("store_id", "sku", "snapshot_date"),
        partition_by=("snapshot_date",),
        expectations=(unique(["store_id", "sku", "snapshot_date"]),),
        description="Stock on hand per store, sku and day (last snapshot of the day)",
    ),
    TableContract(
        silver("clickstream"),
        (
            Column("event_id", S, False),
            Column("session_id", S, False),
            Column("customer_id", S),
            Column("event_type", S, False),
            Column("page", S),
            Column("sku", S),
            Column("event_ts", TS, False),
            Column("event_date", DATE, False),
        ),
        business_key=("event_id",),
        partition_by=("event_date",),
        expectations=(
            unique(["event_id"]),
            accepted_values("event_type", ("page_view", "add_to_cart", "checkout")),
        ),
        description="Clickstream events",
    ),
    TableContract(
        silver("store_sales"),
        (
            Column("transaction_id", S, False),
            Column("line_number", INT, False),
            Column("store_id", S, False),
            Column("sku", S, False),
            Column("quantity", INT, False),
            Column("unit_price", MONEY, False),
            Column("line_amount", MONEY, False),
            Column("sold_at", TS, False),
            Column("sale_date", DATE, False),
            Column("customer_id", S),
        ),
        business_key=("transaction_id", "line_number"),
        partition_by=("sale_date",),
        expectations=(unique(["transaction_id", "line_number"]), in_range("quantity", 1, 1000)),
        description="Point-of-sale lines",
    ),
    TableContract(
        silver("stores"),
        (
            Column("store_id", S, False),
            Column("store_name", S),
            Column("city", S),
            Column(
                "reported_at",
                TS,
                description="When the latest sale line (the one the name and city come from) was sold",
            ),
        ),
        business_key=("store_id",),
        expectations=(unique(["store_id"]),),
        description="Stores",
    ),
)

GOLD = (
    TableContract(
        gold("dim_customer"),
        (
            Column("customer_sk", L, False),
            Column("customer_id", S, False),
            Column("email", S),
            Column("city", S),
            Column("country", S),
            Column("segment", S),
            Column("loyalty_tier", S),
            Column("first_name", S),
            Column("last_name", S),
            Column("valid_from", TS, False),
            Column("valid_to", TS),
            Column("is_current", B, False),
        ),
        business_key=("customer_id", "valid_from"),
        expectations=(unique(["customer_sk"]),),
        description="Customer dimension, SCD2 over email, city, country, segment and loyalty tier",
    ),
    TableContract(
        gold("dim_product"),
        (
            Column("product_sk", L, False),
            Column("sku", S, False),
            Column("name", S),
            Column("category", S),
            Column("brand", S),
            Column("list_price", MONEY),
            Column("active", B),
        ),
        business_key=("sku",),
        expectations=(unique(["product_sk"]),),
        description="Product dimension (type 1)",
    ),
    TableContract(
        gold("dim_store"),
        (
            Column("store_sk", L, False),
            Column("store_id", S, False),
            Column("store_name", S),
            Column("city", S),
            Column("channel", S, False),
        ),
        business_key=("store_id",),
        expectations=(unique(["store_sk"]),),
        description="Store dimension, with the online shop as a member",
    ),
    TableContract(
        gold("fact_orders"),
        (
            Column("order_id", S, False),
            Column("order_date", DATE, False),
            Column("status", S, False),
            Column("currency", S),
            Column("item_count", INT, False),
            Column("gross_amount", MONEY, False),
            Column("refunded_amount", MONEY, False),
            Column("net_amount", MONEY, False),
            Column("customer_sk", L, False),
        ),
        business_key=("order_id",),
        partition_by=("order_date",),
        expectations=(
            unique(["order_id"]),
            references("customer_sk", "gold.dim_customer", "customer_sk"),
        ),
        description="Orders at order grain",
    ),
    TableContract(
        gold("fact_sales"),
        (
            Column("sales_key", L, False),
            Column("channel", S, False),
            Column("document_id", S, False),
            Column("line_number", INT, False),
            Column("sale_date", DATE, False),
            Column("customer_sk", L, False),
            Column("product_sk", L, False),
            Column("store_sk", L, False),
            Column("quantity", INT, False),
            Column("unit_price", MONEY, False),
            Column("gross_amount", MONEY, False),
            Column("refunded_amount", MONEY, False),
            Column("net_amount", MONEY, False),
        ),
        business_key=("channel", "document_id", "line_number"),
        partition_by=("sale_date",),
        expectations=(
            unique(["sales_key"]),
            references("customer_sk", "gold.dim_customer", "customer_sk"),
            references("product_sk", "gold.dim_product", "product_sk"),
            references("store_sk", "gold.dim_store", "store_sk"),
        ),
        description="Sales lines of both channels, conformed",
    ),
    TableContract(
        gold("inventory_snapshot"),
        (
            Column("snapshot_date", DATE, False),
            Column("store_sk", L, False),
            Column("product_sk", L, False),
            Column("store_id", S, False),
            Column("sku", S, False),
            Column("on_hand", INT, False),
            Column("out_of_stock", B, False),
        ),
        business_key=("store_id", "sku", "snapshot_date"),
        partition_by=("snapshot_date",),
        expectations=(references("product_sk", "gold.dim_product", "product_sk"),),
        description="Stock on hand per store, sku and day, with an out-of-stock flag",
    ),
    TableContract(
        gold("daily_revenue"),
        (
            Column("revenue_date", DATE, False),
            Column("channel", S, False),
            Column("category", S, False),
            Column("revenue", MONEY, False),
            Column("refunds", MONEY, False),
            Column("orders", L, False),
            Column("units", L, False),
            Column("average_order_value", MONEY),
        ),
        business_key=("revenue_date", "channel", "category"),
        partition_by=("revenue_date",),
        expectations=(unique(["revenue_date", "channel", "category"]),),
        description="Daily revenue mart: date x channel x category",
    ),
)

CONTRACTS = (*OPS_CONTRACTS, *(c for s in SOURCES for c in s.contracts()), *SILVER, *GOLD)


def registry() -> ContractRegistry:
    return ContractRegistry(CONTRACTS)
