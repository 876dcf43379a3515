"""What `retailflow demo` shows after a local run: tables, quarantine, data quality, top revenue days, customers as
two roles see them, a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import functions as F
from rich.console import Console
from rich.table import Table

from retailflow.local.query import run_as
from retailflow.local.run import LocalRunSettings, local_access_rules, open_engine, open_lakehouse
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.ops import DQ_RESULTS, QUARANTINE
from retailflow.workloads.runtime.refs import TableRef
from retailflow.workloads.runtime.tables import Lakehouse


def show_results(settings: LocalRunSettings, console: Console) -> Path:
    engine = open_engine(settings)
    try:
        lake = open_lakehouse(engine, settings)
        tables = Table("table", "rows", title="tables")
        for ref in PIPELINE.tables():
            tables.add_row(str(ref), str(lake.read(ref).count()))
        console.print(tables)

        quarantine = Table("layer", "source", "reason", "rows", title="quarantine (top reasons)")
        rows = (
            lake.read(QUARANTINE)
            .withColumn("reason", F.regexp_replace("reason", r"wrong type, got .*|cannot parse .*", "..."))
            .groupBy("layer", "source", "reason")
            .count()
            .orderBy(F.desc("count"))
            .limit(12)
            .collect()
        )
        for r in rows:
            quarantine.add_row(r["layer"], r["source"], r["reason"][:70], str(r["count"]))
        console.print(quarantine)

        dq = Table("table", "rule", "action", "passed", "failed", title="data quality (latest run)")
        results = lake.read(DQ_RESULTS)
        latest_run = results.agg(F.max("run_id")).collect()[0][0]
        for r in results.filter(F.col("run_id") == latest_run).orderBy("table_name", "rule").collect():
            dq.add_row(r["table_name"], r["rule"], r["action"], str(r["rows_passed"]), str(r["rows_failed"]))
        console.print(dq)

        revenue = lake.read(TableRef("gold", "daily_revenue"))
        daily = (
            revenue.groupBy("revenue_date", "channel").agg(F.sum("revenue").alias("revenue")).orderBy("revenue_date")
        )
        data = daily.collect()
        top = Table("date", "revenue (EUR)", "orders", title="top days of revenue")
        for r in (
            revenue.groupBy("revenue_date")
            .agg(F.sum("revenue").alias("r"), F.sum("orders").alias("o"))
            .orderBy(F.desc("r"))
            .limit(5)
            .collect()
        ):
            top.add_row(str(r["revenue_date"]), f"{r['r']:,.2f}", str(r["o"]))
        console.print(top)
        _show_customers_as_roles(lake, settings, console)
    finally:
        engine.close()
    chart = settings.lakehouse / "daily_revenue.png"
    _chart(data, chart)
    console.print(f"chart of daily revenue by channel: {chart}")
    return chart


def _show_customers_as_roles(lake: Lakehouse, settings: LocalRunSettings, console: Console) -> None:
    """A few current customers as `analytics` (PII masked, entitled countries only) and as `pii_reader`."""
    sql = (
        "SELECT customer_id, email, first_name, last_name, country FROM gold.dim_customer "
        "WHERE is_current AND customer_sk != -1 ORDER BY customer_id LIMIT 4"
    )
    for role in ("analytics", "pii_reader"):
        result = run_as(lake, local_access_rules(settings), role, sql)
        table = Table(*result.columns, title=f"customers as {role} (retailflow query --as {role})")
        for row in result.rows:
            table.add_row(*(str(row[c]) for c in result.columns))
        console.print(table)


def _chart(rows: list[Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for channel in sorted({r["channel"] for r in rows}):
        points = [(r["revenue_date"], float(r["revenue"])) for r in rows if r["channel"] == channel]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=channel)
    ax.set_title("RetailFlow daily revenue by channel (net of refunds)")
    ax.set_ylabel("EUR")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
