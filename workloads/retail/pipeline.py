"""The retail workloads, declared once. The Databricks jobs, the local runner and the docs are generated from this.

To add a workload: write its transforms, then add a `Workload` to `WORKLOADS` with its tasks' inputs and outputs.
"""

from __future__ import annotations

from pyspark.sql import functions as F

from retailflow.workloads.retail import gold, silver
from retailflow.workloads.retail.contracts import gold as gold_ref
from retailflow.workloads.retail.contracts import silver as silver_ref
from retailflow.workloads.retail.sources import SOURCES
from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.graph import PipelineGraph, Task, Workload
from retailflow.workloads.runtime.ingest import SourceSpec
from retailflow.workloads.runtime.scd2 import Scd2Spec, apply_scd2
from retailflow.workloads.runtime.tables import TableRef

CUSTOMER_SCD2 = Scd2Spec(
    key=("customer_id",),
    tracked=("email", "city", "country", "segment", "loyalty_tier"),
    sequence="updated_at",
    surrogate_key="customer_sk",
    attributes=("first_name", "last_name"),
)


def ingest_task(spec: SourceSpec) -> Task:
    def run(ctx: TaskContext) -> TaskOutcome:
        result = ctx.ingestor().ingest(spec, ctx.from_date, ctx.to_date, replay=ctx.replay)
        return TaskOutcome(result.rows_in, result.rows_loaded, result.rows_quarantined)

    return Task(
        key=f"bronze_{spec.name}",
        run=run,
        inputs=(),
        outputs=(spec.bronze,),
        description=f"Ingest RAW {spec.name} ({spec.format}) into bronze, exactly once per file",
        layer="bronze",
    )


def transform(key: str, inputs: tuple[str, ...], output: TableRef, build: object, description: str) -> Task:
    """A task that reads its inputs, builds one table with `build(*frames)` and writes it after its checks."""
    refs = tuple(TableRef.parse(i) for i in inputs)

    def run(ctx: TaskContext) -> TaskOutcome:
        frames = [ctx.read(ref) for ref in refs]
        df = build(*frames)  # type: ignore[operator]
        return ctx.write_checked(output, df)

    return Task(key, run, refs, (output,), description, output.schema)


def build_dim_customer(ctx: TaskContext) -> TaskOutcome:
    ref = gold_ref("dim_customer")
    changes = ctx.read("silver.customer_changes")
    apply_scd2(ctx.lake, ref, changes, CUSTOMER_SCD2)
    unknown = gold.unknown_customer(ctx.lake.spark)
    if ctx.lake.read(ref).filter(F.col("customer_sk") == gold.UNKNOWN_SK).count() == 0:
        ctx.lake.write(ref, unknown)
    checked = ctx.check(ctx.lake.read(ref), ref)
    rows = ctx.lake.read(ref).count()
    return TaskOutcome(changes.count(), rows, sum(r.failed for r in checked.results if r.action == "quarantine"))


def _tasks() -> tuple[Task, ...]:
    bronze = tuple(ingest_task(spec) for spec in SOURCES)
    silver_tasks = (
        transform(
            "silver_customer_changes",
            ("bronze.customers",),
            silver_ref("customer_changes"),
            silver.clean_customer_changes,
            "Every distinct customer change, cleansed",
        ),
        transform(
            "silver_customers",
            ("silver.customer_changes",),
            silver_ref("customers"),
            silver.customers,
            "Customers, current state",
        ),
        transform("silver_orders", ("bronze.orders",), silver_ref("orders"), silver.orders, "Orders, latest status"),
        transform(
            "silver_order_lines",
            ("bronze.orders",),
            silver_ref("order_lines"),
            silver.order_lines,
            "Order lines exploded from orders",
        ),
        transform(
            "silver_payments",
            ("bronze.payments", "silver.orders"),
            silver_ref("payments"),
            silver.payments,
            "Payment events with order status",
        ),
        transform("silver_products", ("bronze.products",), silver_ref("products"), silver.products, "Products"),
        transform("silver_inventory", ("bronze.inventory",), silver_ref("inventory"), silver.inventory, "Inventory"),
        transform(
            "silver_clickstream", ("bronze.clickstream",), silver_ref("clickstream"), silver.clickstream, "Clickstream"
        ),
        transform(
            "silver_store_sales",
            ("bronze.store_sales",),
            silver_ref("store_sales"),
            silver.store_sales,
            "Point-of-sale lines",
        ),
        transform("silver_stores", ("bronze.store_sales",), silver_ref("stores"), silver.stores, "Stores"),
    )
    gold_tasks = (
        Task(
            "gold_dim_customer",
            build_dim_customer,
            (TableRef.parse("silver.customer_changes"),),
            (gold_ref("dim_customer"),),
            "Customer dimension (SCD2)",
            "gold",
        ),
        transform("gold_dim_product", ("silver.products",), gold_ref("dim_product"), gold.dim_product, "Products"),
        transform("gold_dim_store", ("silver.stores",), gold_ref("dim_store"), gold.dim_store, "Stores"),
        transform(
            "gold_fact_orders",
            ("silver.orders", "silver.payments", "gold.dim_customer"),
            gold_ref("fact_orders"),
            gold.fact_orders,
            "Orders at order grain",
        ),
        transform(
            "gold_fact_sales",
            (
                "silver.order_lines",
                "silver.orders",
                "silver.payments",
                "silver.store_sales",
                "gold.dim_customer",
                "gold.dim_product",
                "gold.dim_store",
            ),
            gold_ref("fact_sales"),
            gold.fact_sales,
            "Sales lines, both channels",
        ),
        transform(
            "gold_inventory_snapshot",
            ("silver.inventory", "gold.dim_product", "gold.dim_store"),
            gold_ref("inventory_snapshot"),
            gold.inventory_snapshot,
            "Inventory snapshot",
        ),
        transform(
            "gold_daily_revenue",
            ("gold.fact_sales", "gold.dim_product"),
            gold_ref("daily_revenue"),
            gold.daily_revenue,
            "Daily revenue mart",
        ),
    )
    return bronze + silver_tasks + gold_tasks


def maintain(ctx: TaskContext) -> TaskOutcome:
    """OPTIMIZE and VACUUM every silver and gold table (engines with table maintenance only)."""
    if not ctx.capabilities.table_maintenance:
        return TaskOutcome()
    tables = [t for t in PIPELINE.tables() if t.schema in ("bronze", "silver", "gold")]
    for ref in tables:
        ctx.lake.sql(f"OPTIMIZE {ctx.lake.identifier(ref)}")
        ctx.lake.sql(f"VACUUM {ctx.lake.identifier(ref)} RETAIN 168 HOURS")
    return TaskOutcome(len(tables), len(tables), 0)


WORKLOADS = (
    Workload("retail_medallion", "RAW -> bronze -> silver -> gold for the seven retail sources", _tasks()),
    Workload(
        "table_maintenance",
        "OPTIMIZE and VACUUM of the medallion tables (Databricks only)",
        (Task("maintenance", maintain, (), (), "OPTIMIZE and VACUUM every medallion table", "maintenance"),),
        schedule="maintenance",
        local=False,
    ),
)
PIPELINE = PipelineGraph(WORKLOADS)
