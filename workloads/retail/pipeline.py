"""The retail workloads, declared once. The Databricks jobs, the local runner and the docs are generated from this.

To add a workload: write its transforms, then add a `Workload` to `WORKLOADS` with its tasks' inputs and outputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.retail import gold, silver
from retailflow.workloads.retail.contracts import gold as gold_ref
from retailflow.workloads.retail.contracts import silver as silver_ref
from retailflow.workloads.retail.sources import SOURCES
from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.graph import PipelineGraph, Task, Workload
from retailflow.workloads.runtime.ingest import SourceSpec
from retailflow.workloads.runtime.ops import (
    NO_DATE,
    date_text,
    log_event_dates,
    partitions_holding,
)
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
    """A task that rebuilds one (small) table from its inputs with `build(*frames)` and writes it after its checks."""
    refs = tuple(TableRef.parse(i) for i in inputs)

    def run(ctx: TaskContext) -> TaskOutcome:
        frames = [ctx.read(ref) for ref in refs]
        df = build(*frames)  # type: ignore[operator]
        return ctx.write_checked(output, df)

    return Task(key, run, refs, (output,), description, output.schema)


def _dates(df: DataFrame, column: Column | str) -> set[str]:
    value = F.col(column) if isinstance(column, str) else column
    return {date_text(r[0]) for r in df.select(value.alias("d")).distinct().collect()}


def _on(column: Column | str, dates: set[str]) -> Column:
    value = F.col(column) if isinstance(column, str) else column
    matches = value.cast("string").isin(sorted(d for d in dates if d != NO_DATE))
    return matches | value.isNull() if NO_DATE in dates else matches


def _full(ctx: TaskContext, output: TableRef) -> bool:
    """Rebuild all of `output`: a first or full-refresh run, or a stored table whose columns are not its contract's
    (the contract changed since it was written)."""
    if ctx.since is None or not ctx.lake.exists(output):
        return True
    return set(ctx.lake.read(output).columns) != set(ctx.lake.contracts.get(output).column_names)


def new_input(ctx: TaskContext, ref: TableRef) -> DataFrame | None:
    """The rows of an input that are new since the task's watermark: a bronze table's newly loaded rows, or the
    replaced partitions of a partitioned table (None: everything may have changed)."""
    if ref.schema == "bronze":
        return ctx.new_rows(ref)
    changed = ctx.changed(ref)
    partitioning = ctx.lake.contracts.get(ref).partition_by
    if changed is None or len(partitioning) != 1:
        return None
    return ctx.read(ref).filter(_on(partitioning[0], changed))


def current_state(
    key: str,
    source: str,
    output: TableRef,
    build: Callable[[DataFrame], DataFrame],
    order: str,
    description: str,
) -> Task:
    """A current-state table (one row per business key) built by `build` from one input. In an incremental run
    only the input's new rows are built, and merged into the stored table by `order` (`silver.upsert_latest`), so
    the run does not read the whole input again."""
    ref = TableRef.parse(source)

    def run(ctx: TaskContext) -> TaskOutcome:
        fresh = None if _full(ctx, output) else new_input(ctx, ref)
        if fresh is None:
            return ctx.write_checked(output, build(ctx.read(ref)))
        key_columns = list(ctx.lake.contracts.get(output).business_key)
        return ctx.write_checked(output, silver.upsert_latest(ctx.read(output), build(fresh), key_columns, order))

    return Task(key, run, (ref,), (output,), description, output.schema)


def by_event_date(
    key: str,
    bronze: str,
    output: TableRef,
    event_date: Callable[[], Column],
    build: Callable[[DataFrame], DataFrame],
    description: str,
) -> Task:
    """A silver table partitioned by event date: only the dates present in newly loaded bronze rows are rebuilt,
    each from every bronze row of that date (so late and out-of-order updates land in the right partition). Which
    bronze partitions hold which event dates is logged (`ops.bronze_event_dates`), so a rebuild reads only those."""
    source = TableRef.parse(bronze)

    def pairs(rows: DataFrame) -> DataFrame:
        return rows.select("ingestion_date", event_date().alias("event_date")).distinct()

    def run(ctx: TaskContext) -> TaskOutcome:
        rows = ctx.read(source)
        if _full(ctx, output):
            outcome = ctx.write_checked(output, build(rows))
            log_event_dates(ctx.lake, source, pairs(rows).collect(), replace=True)
            return outcome
        loaded = [(partition, day) for partition, day in pairs(ctx.new_rows(source)).collect()]
        dates = {date_text(d) for _partition, d in loaded}
        holding = partitions_holding(ctx.lake, source, dates)
        if holding is None:  # never logged (a lakehouse from before the log): log every bronze partition once
            log_event_dates(ctx.lake, source, pairs(rows).collect(), replace=True)
        else:
            log_event_dates(ctx.lake, source, loaded)
            partitions = set(holding) | {str(p) for p, _d in loaded}
            rows = rows.filter(F.col("ingestion_date").isin([dt.date.fromisoformat(p) for p in sorted(partitions)]))
        return ctx.write_partitions(output, build(rows.filter(_on(event_date(), dates))), dates)

    return Task(key, run, (source,), (output,), description, "silver")


def event_date_of(column: str) -> Callable[[], Column]:
    return lambda: F.to_date(F.to_timestamp(F.col(column)))


def build_payments(ctx: TaskContext) -> TaskOutcome:
    """Payments partitioned by their order's date: rebuilt for the dates of orders that changed or got payments.

    An incremental rebuild merges the new payment events into the stored events of those dates and of the
    unknown-order partition (payments that arrived before their order move to its date once it arrives): its cost
    follows the new data and the dates it touches, not every payment ever loaded. Per event the later event time
    wins, and a new event wins a tie, as the later batch does in a full rebuild."""
    output, source = silver_ref("payments"), TableRef("bronze", "payments")
    orders = ctx.read(silver_ref("orders"))
    changed_orders = ctx.changed(silver_ref("orders"))
    if _full(ctx, output) or changed_orders is None:
        return ctx.write_checked(output, silver.payments(ctx.read(source), orders))
    # Computed once: the date lookup and the merge both read it (a day of events, deduplicated).
    fresh = ctx.lake.materialize(silver.payment_events(ctx.new_rows(source)))
    known = orders.select("order_id", "order_date")
    dates = changed_orders | _dates(fresh.select("order_id").distinct().join(known, "order_id", "left"), "order_date")
    if not dates:
        return TaskOutcome()
    # The unknown-order partition is merged too while it holds payments: their order may be among the new ones.
    unknown = NO_DATE in dates or bool(ctx.read(output).filter(F.col("order_date").isNull()).limit(1).collect())
    replaced = (dates | {NO_DATE}) if unknown else dates
    stored = ctx.read(output).filter(_on("order_date", replaced)).select(*fresh.columns)
    events = silver.upsert_latest(stored, fresh, ["payment_event_id"], "event_ts")
    return ctx.write_partitions(
        output, silver.with_order_status(events, orders.filter(_on("order_date", dates))), replaced
    )


def _customer_dates(ctx: TaskContext, sources: tuple[tuple[DataFrame, str, str], ...]) -> set[str] | None:
    """Fact dates whose customer surrogate key may resolve differently after the customer changes since the
    watermark (None: all of them). A fact at or after a customer's earliest changed version can move to another
    version; every fact of a customer whose first known version changed (a late or back-dated customer) can move
    off the unknown member or the old first version. `sources` are (facts, date column, timestamp column)."""
    changed = ctx.changed(silver_ref("customer_changes"))
    if changed is None:
        return None
    if not changed:
        return set()
    history = ctx.read(silver_ref("customer_changes"))
    in_changed = _on("change_date", changed)
    earliest_change = history.filter(in_changed).groupBy("customer_id").agg(F.min("updated_at").alias("_since"))
    earliest_before = history.filter(~in_changed).groupBy("customer_id").agg(F.min("updated_at").alias("_first"))
    customers = earliest_change.join(earliest_before, "customer_id", "left").withColumn(
        "_all", F.col("_first").isNull() | (F.col("_since") < F.col("_first"))
    )
    dates: set[str] = set()
    for frame, date_column, ts_column in sources:
        # The changed customers (few) on the left, where the engine builds its hash table.
        touched = customers.join(frame, "customer_id").filter(F.col("_all") | (F.col(ts_column) >= F.col("_since")))
        dates |= _dates(touched, date_column)
    return dates


def _union(*parts: set[str] | None) -> set[str] | None:
    if any(p is None for p in parts):
        return None
    return set().union(*parts)  # type: ignore[arg-type]


def build_fact_orders(ctx: TaskContext) -> TaskOutcome:
    output = gold_ref("fact_orders")
    orders, payments = ctx.read(silver_ref("orders")), ctx.read(silver_ref("payments"))
    dim_customer = ctx.read(gold_ref("dim_customer"))
    dates = (
        None
        if _full(ctx, output)
        else _union(
            ctx.changed(silver_ref("orders")),
            ctx.changed(silver_ref("payments")),
            _customer_dates(ctx, ((orders, "order_date", "order_ts"),)),
        )
    )
    if dates is None:
        return ctx.write_checked(output, gold.fact_orders(orders, payments, dim_customer))
    built = gold.fact_orders(
        orders.filter(_on("order_date", dates)), payments.filter(_on("order_date", dates)), dim_customer
    )
    return ctx.write_partitions(output, built, dates)


def build_fact_sales(ctx: TaskContext) -> TaskOutcome:
    output = gold_ref("fact_sales")
    lines, orders = ctx.read(silver_ref("order_lines")), ctx.read(silver_ref("orders"))
    payments, store = ctx.read(silver_ref("payments")), ctx.read(silver_ref("store_sales"))
    dims = [ctx.read(gold_ref(d)) for d in ("dim_customer", "dim_product", "dim_store")]
    dates = (
        None
        if _full(ctx, output)
        else _union(
            ctx.changed(silver_ref("order_lines")),
            ctx.changed(silver_ref("orders")),
            ctx.changed(silver_ref("payments")),
            ctx.changed(silver_ref("store_sales")),
            _customer_dates(ctx, ((orders, "order_date", "order_ts"), (store, "sale_date", "sold_at"))),
            set() if ctx.changed(gold_ref("dim_product")) is not None else None,
            set() if ctx.changed(gold_ref("dim_store")) is not None else None,
        )
    )
    if dates is None:
        return ctx.write_checked(output, gold.fact_sales(lines, orders, payments, store, *dims))
    built = gold.fact_sales(
        lines.filter(_on("order_date", dates)),
        orders.filter(_on("order_date", dates)),
        payments.filter(_on("order_date", dates)),
        store.filter(_on("sale_date", dates)),
        *dims,
    )
    return ctx.write_partitions(output, built, dates)


def by_changed_dates(
    key: str, inputs: tuple[str, ...], output: TableRef, driver: tuple[str, str], build: object, description: str
) -> Task:
    """A table rebuilt for the dates its driving input (`(table, date column)`) changed; the other inputs are
    dimensions, and a changed dimension rebuilds everything."""
    refs = tuple(TableRef.parse(i) for i in inputs)
    driving, column = TableRef.parse(driver[0]), driver[1]

    def run(ctx: TaskContext) -> TaskOutcome:
        frames = [ctx.read(ref) for ref in refs]
        dates = (
            None
            if _full(ctx, output)
            else _union(
                ctx.changed(driving), *[set() if ctx.changed(r) is not None else None for r in refs if r != driving]
            )
        )
        if dates is None:
            return ctx.write_checked(output, build(*frames))  # type: ignore[operator]
        frames = [f.filter(_on(column, dates)) if r == driving else f for r, f in zip(refs, frames, strict=True)]
        return ctx.write_partitions(output, build(*frames), dates)  # type: ignore[operator]

    return Task(key, run, refs, (output,), description, output.schema)


def build_dim_customer(ctx: TaskContext) -> TaskOutcome:
    """SCD2 update from the customer changes in the partitions replaced since the last run: the touched customers'
    histories are rebuilt, so late changes land in place; written in a MERGE where the engine's MERGE writes only
    the changed rows, else by replacing the table. A first or full-refresh run, or a stored table whose columns are
    not its contract's, rebuilds the dimension from every change."""
    ref = gold_ref("dim_customer")
    changes = ctx.read("silver.customer_changes")
    rebuild = _full(ctx, ref)
    changed = None if rebuild else ctx.changed(silver_ref("customer_changes"))
    if changed is not None:
        changes = changes.filter(_on("change_date", changed))
    apply_scd2(ctx.lake, ref, changes, CUSTOMER_SCD2, rebuild=rebuild, merge=ctx.capabilities.row_level_merge)
    unknown = gold.unknown_customer(ctx.lake.spark)
    if ctx.lake.read(ref).filter(F.col("customer_sk") == gold.UNKNOWN_SK).count() == 0:
        ctx.lake.write(ref, unknown)
    checked = ctx.check(ctx.lake.read(ref), ref)
    rows = ctx.lake.read(ref).count()
    return TaskOutcome(changes.count(), rows, sum(r.failed for r in checked.results if r.action == "quarantine"))


def _tasks() -> tuple[Task, ...]:
    bronze = tuple(ingest_task(spec) for spec in SOURCES)
    silver_tasks = (
        by_event_date(
            "silver_customer_changes",
            "bronze.customers",
            silver_ref("customer_changes"),
            event_date_of("updated_at"),
            silver.clean_customer_changes,
            "Every distinct customer change, cleansed",
        ),
        current_state(
            "silver_customers",
            "silver.customer_changes",
            silver_ref("customers"),
            silver.customers,
            "updated_at",
            "Customers, current state",
        ),
        by_event_date(
            "silver_orders",
            "bronze.orders",
            silver_ref("orders"),
            event_date_of("order_ts"),
            silver.orders,
            "Orders, latest status",
        ),
        by_changed_dates(
            "silver_order_lines",
            ("silver.orders",),
            silver_ref("order_lines"),
            ("silver.orders", "order_date"),
            silver.order_lines,
            "Order lines exploded from the latest version of each order",
        ),
        Task(
            "silver_payments",
            build_payments,
            (TableRef("bronze", "payments"), silver_ref("orders")),
            (silver_ref("payments"),),
            "Payment events with order status",
            "silver",
        ),
        transform("silver_products", ("bronze.products",), silver_ref("products"), silver.products, "Products"),
        by_event_date(
            "silver_inventory",
            "bronze.inventory",
            silver_ref("inventory"),
            event_date_of("snapshot_ts"),
            silver.inventory,
            "Inventory",
        ),
        by_event_date(
            "silver_clickstream",
            "bronze.clickstream",
            silver_ref("clickstream"),
            event_date_of("event_ts"),
            silver.clickstream,
            "Clickstream",
        ),
        by_event_date(
            "silver_store_sales",
            "bronze.store_sales",
            silver_ref("store_sales"),
            event_date_of("sold_at"),
            silver.store_sales,
            "Point-of-sale lines",
        ),
        current_state(
            "silver_stores", "bronze.store_sales", silver_ref("stores"), silver.stores, "reported_at", "Stores"
        ),
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
        Task(
            "gold_fact_orders",
            build_fact_orders,
            tuple(
                TableRef.parse(t)
                for t in ("silver.orders", "silver.payments", "silver.customer_changes", "gold.dim_customer")
            ),
            (gold_ref("fact_orders"),),
            "Orders at order grain",
            "gold",
        ),
        Task(
            "gold_fact_sales",
            build_fact_sales,
            tuple(
                TableRef.parse(t)
                for t in (
                    "silver.order_lines",
                    "silver.orders",
                    "silver.payments",
                    "silver.store_sales",
                    "silver.customer_changes",
                    "gold.dim_customer",
                    "gold.dim_product",
                    "gold.dim_store",
                )
            ),
            (gold_ref("fact_sales"),),
            "Sales lines, both channels",
            "gold",
        ),
        by_changed_dates(
            "gold_inventory_snapshot",
            ("silver.inventory", "gold.dim_product", "gold.dim_store"),
            gold_ref("inventory_snapshot"),
            ("silver.inventory", "snapshot_date"),
            gold.inventory_snapshot,
            "Inventory snapshot",
        ),
        by_changed_dates(
            "gold_daily_revenue",
            ("gold.fact_sales", "gold.dim_product"),
            gold_ref("daily_revenue"),
            ("gold.fact_sales", "sale_date"),
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
