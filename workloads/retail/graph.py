"""The retail workloads, declared once: each task's key, the tables it reads and writes, and what it is for.

The Databricks jobs, the local runner, the Airflow DAG and the docs are generated from this; what each task runs
is bound to its key in `retail.tasks`. No pyspark here: the deploy toolchain reads the graph without the engine.

To add a task: declare it here, bind its run in `retail.tasks`. A run can read only the tables declared here.
"""

from __future__ import annotations

from retailflow.workloads.runtime.graph import PipelineGraph, Task, Workload
from retailflow.workloads.runtime.refs import TableRef

# The RAW sources, in the order their bronze tasks run; each has a `SourceSpec` in `retail.sources`.
SOURCE_NAMES = ("orders", "customers", "products", "inventory", "clickstream", "payments", "store_sales")

BRONZE = tuple(
    Task.of(f"bronze_{name}", (), (f"bronze.{name}",), f"Ingest RAW {name} into bronze, exactly once per file")
    for name in SOURCE_NAMES
)
SILVER = (
    Task.of(
        "silver_customer_changes",
        ("bronze.customers",),
        ("silver.customer_changes",),
        "Every distinct customer change, cleansed",
    ),
    Task.of("silver_customers", ("silver.customer_changes",), ("silver.customers",), "Customers, current state"),
    Task.of("silver_orders", ("bronze.orders",), ("silver.orders",), "Orders, latest status"),
    Task.of(
        "silver_order_lines",
        ("silver.orders",),
        ("silver.order_lines",),
        "Order lines exploded from the latest version of each order",
    ),
    Task.of(
        "silver_payments",
        ("bronze.payments", "silver.orders"),
        ("silver.payments",),
        "Payment events with order status",
    ),
    Task.of("silver_products", ("bronze.products",), ("silver.products",), "Products"),
    Task.of("silver_inventory", ("bronze.inventory",), ("silver.inventory",), "Inventory"),
    Task.of("silver_clickstream", ("bronze.clickstream",), ("silver.clickstream",), "Clickstream"),
    Task.of("silver_store_sales", ("bronze.store_sales",), ("silver.store_sales",), "Point-of-sale lines"),
    Task.of("silver_stores", ("bronze.store_sales",), ("silver.stores",), "Stores"),
)
GOLD = (
    Task.of("gold_dim_customer", ("silver.customer_changes",), ("gold.dim_customer",), "Customer dimension (SCD2)"),
    Task.of("gold_dim_product", ("silver.products",), ("gold.dim_product",), "Products"),
    Task.of("gold_dim_store", ("silver.stores",), ("gold.dim_store",), "Stores"),
    Task.of(
        "gold_fact_orders",
        ("silver.orders", "silver.payments", "silver.customer_changes", "gold.dim_customer"),
        ("gold.fact_orders",),
        "Orders at order grain",
    ),
    Task.of(
        "gold_fact_sales",
        (
            "silver.order_lines",
            "silver.orders",
            "silver.payments",
            "silver.store_sales",
            "silver.customer_changes",
            "gold.dim_customer",
            "gold.dim_product",
            "gold.dim_store",
        ),
        ("gold.fact_sales",),
        "Sales lines, both channels",
    ),
    Task.of(
        "gold_inventory_snapshot",
        ("silver.inventory", "gold.dim_product", "gold.dim_store"),
        ("gold.inventory_snapshot",),
        "Inventory snapshot",
    ),
    Task.of(
        "gold_daily_revenue", ("gold.fact_sales", "gold.dim_product"), ("gold.daily_revenue",), "Daily revenue mart"
    ),
)
# Runs after the tables `retail.access` declares rules for (masks, row filters, tags): a test keeps the two equal.
GOVERNANCE = (
    Task.of(
        "governance_access",
        ("silver.customer_changes", "silver.customers", "gold.dim_customer"),
        ("ops.access_log",),
        "Column masks, row filters and classification tags from the table contracts",
    ),
)
# Each source's changes into RAW (runtime.landing_task), on its own schedule, before the medallion job reads them.
LANDING = tuple(
    Task(f"land_{name}", (), (), f"Land {name} from its source system into RAW", "landing") for name in SOURCE_NAMES
)
# The dbt marts (dbt/): after the gold and silver tables their sources name; a test keeps the two equal.
MARTS = (
    Task(
        "dbt_marts",
        (
            TableRef.parse("gold.dim_customer"),
            TableRef.parse("gold.dim_product"),
            TableRef.parse("gold.dim_store"),
            TableRef.parse("gold.fact_orders"),
            TableRef.parse("gold.fact_sales"),
            TableRef.parse("silver.clickstream"),
        ),
        (),
        "dbt build of the marts (customer lifetime value, product and store performance, clickstream funnel)",
        "marts",
        kind="dbt",
    ),
)
MAINTENANCE = Task("maintenance", (), (), "OPTIMIZE and VACUUM every medallion table", "maintenance")

WORKLOADS = (
    Workload(
        "retail_landing",
        "Source systems (REST APIs, SQL databases, dropped files) -> RAW, by watermark",
        LANDING,
        schedule="landing",
        local=False,
        requirements=("pg8000==1.31.6",),  # the SQL extracts' PostgreSQL driver (pure Python)
    ),
    Workload(
        "retail_medallion",
        "RAW -> bronze -> silver -> gold for the seven retail sources",
        BRONZE + SILVER + GOLD + GOVERNANCE + MARTS,
    ),
    Workload(
        "table_maintenance",
        "OPTIMIZE and VACUUM of the medallion tables (Databricks only)",
        (MAINTENANCE,),
        schedule="maintenance",
        local=False,
    ),
)
PIPELINE = PipelineGraph(WORKLOADS)
