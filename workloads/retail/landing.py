"""What each retail source is to the landing (`runtime.landing_task`): REST records (orders, customers, payments),
SQL tables (products, inventory, store sales) written as the files bronze reads, or files dropped into an inbox
(clickstream logs). Where each lives is the environment's config. No pyspark here."""

from __future__ import annotations

from dataclasses import dataclass

from retailflow.workloads.runtime.sql_source import SqlTable

SQL_SCHEMA = "retail"  # the source database's schema
CHANGE_COLUMN = "changed_at"  # maintained by the source database: when a row was inserted or last updated


@dataclass(frozen=True)
class LandedSource:
    name: str
    kind: str  # rest | sql | files
    table: SqlTable | None = None


STORE_SALES_COLUMNS = (
    ("transaction_id", "string"),
    ("line_number", "int32"),
    ("store_id", "string"),
    ("store_name", "string"),
    ("store_city", "string"),
    ("sku", "string"),
    ("quantity", "int32"),
    ("unit_price", "float64"),
    ("sold_at", "string"),
    ("customer_id", "string"),
    ("loyalty_card", "string"),
)


def _csv(name: str, columns: tuple[str, ...]) -> SqlTable:
    return SqlTable(name, f"{SQL_SCHEMA}.{name}", columns, CHANGE_COLUMN, "csv")


LANDED_SOURCES = (
    LandedSource("orders", "rest"),
    LandedSource("customers", "rest"),
    LandedSource("payments", "rest"),
    LandedSource(
        "products", "sql", _csv("products", ("sku", "name", "category", "brand", "list_price", "active", "updated_at"))
    ),
    LandedSource("inventory", "sql", _csv("inventory", ("snapshot_ts", "store_id", "sku", "on_hand"))),
    LandedSource(
        "store_sales",
        "sql",
        SqlTable(
            "store_sales",
            f"{SQL_SCHEMA}.store_sales",
            tuple(c for c, _ in STORE_SALES_COLUMNS),
            CHANGE_COLUMN,
            "parquet",
            tuple(t for _, t in STORE_SALES_COLUMNS),
        ),
    ),
    LandedSource("clickstream", "files"),
)
