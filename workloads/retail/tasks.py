"""What each retail task runs, bound to its declaration in `retail.graph` by key.

Most tasks use a runtime strategy (`runtime.strategies`) with a transform from `retail.silver` or `retail.gold`;
the few whose incremental rule is their own (payments, the facts, the SCD2 dimension, maintenance) are here.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.retail import gold, silver
from retailflow.workloads.retail.access import TABLE_RULES
from retailflow.workloads.retail.contracts import gold as gold_ref
from retailflow.workloads.retail.contracts import silver as silver_ref
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.retail.landing import LANDED_SOURCES
from retailflow.workloads.retail.sources import SOURCES
from retailflow.workloads.runtime.access_task import apply_access
from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.joins import join
from retailflow.workloads.runtime.landing_task import land
from retailflow.workloads.runtime.latest import upsert_latest
from retailflow.workloads.runtime.ops import NO_DATE
from retailflow.workloads.runtime.pipeline import Pipeline
from retailflow.workloads.runtime.refs import TableRef
from retailflow.workloads.runtime.scd2 import Scd2Spec, apply_scd2
from retailflow.workloads.runtime.strategies import (
    TaskRun,
    by_changed_dates,
    by_event_date,
    by_latest_version,
    current_state,
    dates_in,
    event_date_of,
    ingest,
    on_dates,
    rebuild,
    rebuild_all,
    unchanged_or_everything,
    union_dates,
)

CUSTOMER_SCD2 = Scd2Spec(
    key=("customer_id",),
    tracked=("email", "city", "country", "segment", "loyalty_tier"),
    sequence="updated_at",
    surrogate_key="customer_sk",
    attributes=("first_name", "last_name"),
)


def build_payments(ctx: TaskContext) -> TaskOutcome:
    """Payments partitioned by their order's date: rebuilt for the dates of orders that changed or got payments.

    An incremental rebuild merges the new payment events into the stored events of those dates and of the
    unknown-order partition (payments that arrived before their order move to its date once it arrives): its cost
    follows the new data and the dates it touches, not every payment ever loaded. Per event the later event time
    wins, and a new event wins a tie, as the later batch does in a full rebuild."""
    output, source = ctx.output, TableRef("bronze", "payments")
    orders = ctx.read(silver_ref("orders"))
    changed_orders = ctx.changed(silver_ref("orders"))
    if rebuild_all(ctx) or changed_orders is None:
        return ctx.write_checked(output, silver.payments(ctx.read(source), orders))
    # Computed once: the date lookup and the merge both read it (a day of events, deduplicated).
    fresh = ctx.lake.materialize(silver.payment_events(ctx.new_rows(source)))
    known = orders.select("order_id", "order_date")
    dates = changed_orders | dates_in(fresh.select("order_id").distinct().join(known, "order_id", "left"), "order_date")
    if not dates:
        return TaskOutcome()
    # The unknown-order partition is merged too while it holds payments: their order may be among the new ones.
    unknown = NO_DATE in dates or bool(ctx.read(output).filter(F.col("order_date").isNull()).limit(1).collect())
    replaced = (dates | {NO_DATE}) if unknown else dates
    stored = ctx.read(output).filter(on_dates("order_date", replaced)).select(*fresh.columns)
    events = upsert_latest(stored, fresh, ["payment_event_id"], "event_ts")
    return ctx.write_partitions(
        output, silver.with_order_status(events, orders.filter(on_dates("order_date", dates))), replaced
    )


def changed_customer_dates(ctx: TaskContext, sources: tuple[tuple[DataFrame, str, str], ...]) -> set[str] | None:
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
    in_changed = on_dates("change_date", changed)
    earliest_change = history.filter(in_changed).groupBy("customer_id").agg(F.min("updated_at").alias("_since"))
    earliest_before = history.filter(~in_changed).groupBy("customer_id").agg(F.min("updated_at").alias("_first"))
    customers = earliest_change.join(earliest_before, "customer_id", "left").withColumn(
        "_all", F.col("_first").isNull() | (F.col("_since") < F.col("_first"))
    )
    dates: set[str] = set()
    for frame, date_column, ts_column in sources:
        touched = join(frame, customers, "customer_id").filter(F.col("_all") | (F.col(ts_column) >= F.col("_since")))
        dates |= dates_in(touched, date_column)
    return dates


def build_fact_orders(ctx: TaskContext) -> TaskOutcome:
    output = ctx.output
    orders, payments = ctx.read(silver_ref("orders")), ctx.read(silver_ref("payments"))
    dim_customer = ctx.read(gold_ref("dim_customer"))
    dates = (
        None
        if rebuild_all(ctx)
        else union_dates(
            ctx.changed(silver_ref("orders")),
            ctx.changed(silver_ref("payments")),
            changed_customer_dates(ctx, ((orders, "order_date", "order_ts"),)),
        )
    )
    if dates is None:
        return ctx.write_checked(output, gold.fact_orders(orders, payments, dim_customer))
    built = gold.fact_orders(
        orders.filter(on_dates("order_date", dates)), payments.filter(on_dates("order_date", dates)), dim_customer
    )
    return ctx.write_partitions(output, built, dates)


def build_fact_sales(ctx: TaskContext) -> TaskOutcome:
    output = ctx.output
    lines, orders = ctx.read(silver_ref("order_lines")), ctx.read(silver_ref("orders"))
    payments, store = ctx.read(silver_ref("payments")), ctx.read(silver_ref("store_sales"))
    dims = [ctx.read(gold_ref(d)) for d in ("dim_customer", "dim_product", "dim_store")]
    dates = (
        None
        if rebuild_all(ctx)
        else union_dates(
            ctx.changed(silver_ref("order_lines")),
            ctx.changed(silver_ref("orders")),
            ctx.changed(silver_ref("payments")),
            ctx.changed(silver_ref("store_sales")),
            changed_customer_dates(ctx, ((orders, "order_date", "order_ts"), (store, "sale_date", "sold_at"))),
            unchanged_or_everything(ctx, gold_ref("dim_product")),
            unchanged_or_everything(ctx, gold_ref("dim_store")),
        )
    )
    if dates is None:
        return ctx.write_checked(output, gold.fact_sales(lines, orders, payments, store, *dims))
    built = gold.fact_sales(
        lines.filter(on_dates("order_date", dates)),
        orders.filter(on_dates("order_date", dates)),
        payments.filter(on_dates("order_date", dates)),
        store.filter(on_dates("sale_date", dates)),
        *dims,
    )
    return ctx.write_partitions(output, built, dates)


def build_dim_customer(ctx: TaskContext) -> TaskOutcome:
    """SCD2 update from the customer changes in the partitions replaced since the last run: the touched customers'
    histories are rebuilt, so late changes land in place; written in a MERGE where the engine's MERGE writes only
    the changed rows, else by replacing the table. A first or full-refresh run, or a stored table whose columns are
    not its contract's, rebuilds the dimension from every change."""
    ref = ctx.output
    changes = ctx.read(silver_ref("customer_changes"))
    full = rebuild_all(ctx)
    changed = None if full else ctx.changed(silver_ref("customer_changes"))
    if changed is not None:
        changes = changes.filter(on_dates("change_date", changed))
    apply_scd2(ctx.lake, ref, changes, CUSTOMER_SCD2, rebuild=full, merge=ctx.capabilities.row_level_merge)
    unknown = gold.unknown_customer(ctx.lake.spark)
    if ctx.lake.read(ref).filter(F.col("customer_sk") == gold.UNKNOWN_SK).count() == 0:
        ctx.lake.write(ref, unknown)
    checked = ctx.check(ctx.lake.read(ref), ref)
    rows = ctx.lake.read(ref).count()
    return TaskOutcome(changes.count(), rows, sum(r.failed for r in checked.results if r.action == "quarantine"))


def maintain(ctx: TaskContext) -> TaskOutcome:
    """OPTIMIZE and VACUUM every silver and gold table (engines with table maintenance only)."""
    if not ctx.capabilities.table_maintenance:
        return TaskOutcome()
    tables = [t for t in PIPELINE.tables() if t.schema in ("bronze", "silver", "gold")]
    for ref in tables:
        ctx.lake.sql(f"OPTIMIZE {ctx.lake.identifier(ref)}")
        ctx.lake.sql(f"VACUUM {ctx.lake.identifier(ref)} RETAIN 168 HOURS")
    return TaskOutcome(len(tables), len(tables), 0)


def dbt_elsewhere(ctx: TaskContext) -> TaskOutcome:
    """The marts are built by dbt, not by the wheel: a dbt_task on Databricks, `dbt build` by the local runner."""
    raise RuntimeError(f"task {ctx.task} runs as a dbt_task (Databricks) or dbt build (retailflow run), not here")


RUNS: dict[str, TaskRun] = {
    **{f"bronze_{spec.name}": ingest(spec) for spec in SOURCES},
    "silver_customer_changes": by_event_date(event_date_of("updated_at"), silver.clean_customer_changes),
    "silver_customers": current_state(silver.customers, "updated_at"),
    "silver_orders": by_latest_version(silver.ORDER_VERSIONS, silver.orders),
    "silver_order_lines": by_changed_dates("order_date", silver.order_lines),
    "silver_payments": build_payments,
    "silver_products": rebuild(silver.products),
    "silver_inventory": by_event_date(event_date_of("snapshot_ts"), silver.inventory),
    "silver_clickstream": by_event_date(event_date_of("event_ts"), silver.clickstream),
    "silver_store_sales": by_event_date(event_date_of("sold_at"), silver.store_sales),
    "silver_stores": current_state(silver.stores, "reported_at"),
    "gold_dim_customer": build_dim_customer,
    "gold_dim_product": rebuild(gold.dim_product),
    "gold_dim_store": rebuild(gold.dim_store),
    "gold_fact_orders": build_fact_orders,
    "gold_fact_sales": build_fact_sales,
    "gold_inventory_snapshot": by_changed_dates("snapshot_date", gold.inventory_snapshot),
    "gold_daily_revenue": by_changed_dates("sale_date", gold.daily_revenue),
    "governance_access": apply_access(TABLE_RULES),
    "dbt_marts": dbt_elsewhere,
    "maintenance": maintain,
    **{f"land_{source.name}": land(source) for source in LANDED_SOURCES},
}
RETAIL = Pipeline(PIPELINE, RUNS)
