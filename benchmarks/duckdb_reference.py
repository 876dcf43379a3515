"""A DuckDB implementation of the orders path over the same RAW, as a speed and correctness reference.

bronze (parse JSON lines, quarantine malformed lines, missing required fields and wrong types) -> silver (latest
version of each order, lines exploded; payment events and point-of-sale lines deduplicated) -> gold daily revenue
by channel and category, net of refunds; and the SCD2 customer dimension. Its results are compared with the
project's tables. The store channel is there because the project's revenue mart has it: the project's orders path
runs its store-sales tasks too, so both sides do the same work.

With `out`, every table a step builds is also written as a zstd Parquet file under `out/<table>.parquet`, as a
pipeline that keeps its layers does (the project writes each layer as Delta); `write_seconds` reports that part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

LINES = "read_csv({files}, columns={{'line': 'VARCHAR'}}, delim=chr(31), quote='', escape='', header=false, auto_detect=false, filename=true)"
REVENUE_STATUSES = "('paid', 'shipped', 'delivered', 'refunded')"
# The line as JSON when it is a JSON object, else NULL (extracting from malformed JSON raises in DuckDB).
OBJECT = "CASE WHEN json_valid(line) THEN CASE WHEN json_type(line) = 'OBJECT' THEN line END END"


@dataclass
class ReferenceResult:
    seconds: dict[str, float]  # per step, computing and (with `out`) writing
    cpu_seconds: dict[str, float]  # per step, the CPU time of this process (DuckDB's threads run in it)
    write_seconds: float
    orders_quarantined: int
    daily_revenue: list[tuple[Any, ...]]  # (date, channel, category, revenue, orders, units)
    dim_customer: list[
        tuple[Any, ...]
    ]  # (customer_id, valid_from, valid_to, is_current, email, city, country, segment, tier)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _files(raw: Path, source: str) -> str:
    paths = sorted(str(p) for p in (raw / source).glob("ingestion_date=*/*") if p.is_file())
    return "[" + ", ".join(f"'{p}'" for p in paths) + "]"


def run(raw: Path, threads: int = 2, out: Path | None = None) -> ReferenceResult:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    seconds: dict[str, float] = {}
    cpu_seconds: dict[str, float] = {}
    write_seconds = 0.0
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    def timed(name: str, sql: str, keep: tuple[str, ...] = ()) -> None:
        nonlocal write_seconds
        started, cpu = time.perf_counter(), time.process_time()
        con.execute(sql)
        if out is not None:
            wrote = time.perf_counter()
            for table in keep:
                con.execute(f"COPY {table} TO '{out / table}.parquet' (FORMAT parquet, COMPRESSION zstd)")
            write_seconds += time.perf_counter() - wrote
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
        cpu_seconds[name] = cpu_seconds.get(name, 0.0) + time.process_time() - cpu

    timed(
        "bronze_orders",
        f"""
        CREATE TABLE parsed AS
        SELECT filename, line, j IS NOT NULL AS is_object,
               j->>'$.order_id' AS order_id, j->>'$.status' AS status,
               j->>'$.order_ts' AS order_ts, j->>'$.updated_at' AS updated_at,
               j->'$.customer' AS customer,
               try_cast(j->'$.items' AS STRUCT(sku VARCHAR, quantity INTEGER, unit_price DOUBLE)[]) AS items
        FROM (SELECT filename, line, {OBJECT} AS j FROM {LINES.format(files=_files(raw, "orders"))});
        CREATE TABLE bronze_orders AS
        SELECT * FROM parsed
        WHERE is_object AND order_id IS NOT NULL AND status IS NOT NULL AND order_ts IS NOT NULL
          AND updated_at IS NOT NULL AND customer IS NOT NULL AND items IS NOT NULL;
        CREATE TABLE quarantine AS
        SELECT filename, line FROM parsed
        WHERE NOT (is_object AND order_id IS NOT NULL AND status IS NOT NULL AND order_ts IS NOT NULL
          AND updated_at IS NOT NULL AND customer IS NOT NULL AND items IS NOT NULL);
        """,
        keep=("bronze_orders", "quarantine"),
    )
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()
    timed(
        "silver_orders",
        """
        CREATE TABLE silver_orders AS
        SELECT trim(order_id) AS order_id, lower(trim(status)) AS status,
               CAST(CAST(order_ts AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE) AS order_date, items
        FROM bronze_orders
        QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY CAST(updated_at AS TIMESTAMPTZ) DESC, filename DESC) = 1;
        CREATE TABLE order_lines AS
        SELECT order_id, order_date, status, upper(trim(item.sku)) AS sku, item.quantity AS quantity,
               round(CAST(item.quantity AS DECIMAL(38, 6)) * CAST(item.unit_price AS DECIMAL(38, 6)), 2)::DECIMAL(18, 2) AS amount
        FROM (SELECT order_id, order_date, status, unnest(items) AS item FROM silver_orders);
        """,
        keep=("silver_orders", "order_lines"),
    )
    timed(
        "payments",
        f"""
        CREATE TABLE silver_payments AS
        SELECT trim(j->>'$.payment_event_id') AS payment_event_id, trim(j->>'$.payment_id') AS payment_id,
               trim(j->>'$.order_id') AS order_id, lower(trim(j->>'$.event_type')) AS event_type,
               round(CAST(try_cast(j->'$.amount' AS DOUBLE) AS DECIMAL(38, 6)), 2)::DECIMAL(18, 2) AS amount,
               upper(trim(j->>'$.currency')) AS currency,
               CAST(j->>'$.event_ts' AS TIMESTAMPTZ) AS event_ts
        FROM (SELECT {OBJECT} AS j FROM {LINES.format(files=_files(raw, "payments"))})
        WHERE j->>'$.payment_event_id' IS NOT NULL AND j->>'$.payment_id' IS NOT NULL AND j->>'$.order_id' IS NOT NULL
          AND j->>'$.event_type' IS NOT NULL AND try_cast(j->'$.amount' AS DOUBLE) IS NOT NULL
          AND j->>'$.event_ts' IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY trim(j->>'$.payment_event_id') ORDER BY event_ts DESC) = 1;
        """,
        keep=("silver_payments",),
    )
    timed(
        "store_sales",
        f"""
        CREATE TABLE store_lines AS
        SELECT trim(transaction_id) AS transaction_id, line_number, upper(trim(sku)) AS sku, quantity,
               round(CAST(quantity AS DECIMAL(38, 6)) * CAST(unit_price AS DECIMAL(38, 6)), 2)::DECIMAL(18, 2) AS amount,
               CAST(CAST(sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE) AS sale_date
        FROM read_parquet({_files(raw, "store_sales")}, union_by_name = true, filename = true)
        WHERE transaction_id IS NOT NULL AND line_number IS NOT NULL AND store_id IS NOT NULL AND sku IS NOT NULL
          AND quantity IS NOT NULL AND unit_price IS NOT NULL AND sold_at IS NOT NULL
        -- A correction keeps the sale time: the later delivery (file) wins the tie, as in the project.
        QUALIFY row_number() OVER (
            PARTITION BY trim(transaction_id), line_number ORDER BY CAST(sold_at AS TIMESTAMPTZ) DESC, filename DESC) = 1;
        """,
        keep=("store_lines",),
    )
    timed(
        "gold_daily_revenue",
        f"""
        CREATE TABLE refunds AS
        SELECT DISTINCT order_id FROM silver_payments WHERE event_type = 'refunded';
        CREATE TABLE products AS
        SELECT upper(trim(sku)) AS sku, lower(trim(category)) AS category
        FROM read_csv({_files(raw, "products")}, header=true, all_varchar=true, quote='"')
        QUALIFY row_number() OVER (PARTITION BY sku ORDER BY CAST(updated_at AS TIMESTAMPTZ) DESC) = 1;
        CREATE TABLE sales AS
        SELECT 'online' AS channel, l.order_id AS document_id, l.order_date AS sale_date, l.sku, l.quantity,
               CASE WHEN r.order_id IS NULL THEN l.amount ELSE 0 END AS net_amount
        FROM order_lines l LEFT JOIN refunds r USING (order_id)
        WHERE l.status IN {REVENUE_STATUSES}
        UNION ALL
        SELECT 'store', transaction_id, sale_date, sku, quantity, amount FROM store_lines;
        CREATE TABLE daily_revenue AS
        SELECT s.sale_date, s.channel, coalesce(p.category, 'unknown') AS category,
               sum(s.net_amount)::DECIMAL(18, 2) AS revenue, count(DISTINCT s.document_id) AS orders,
               sum(s.quantity) AS units
        FROM sales s LEFT JOIN products p USING (sku)
        GROUP BY ALL;
        """,
        keep=("daily_revenue",),
    )
    timed(
        "gold_dim_customer",
        f"""
        CREATE TABLE changes AS
        SELECT DISTINCT ON (customer_id, updated_at) *
        FROM (
            SELECT trim(j->>'$.customer_id') AS customer_id, lower(trim(j->>'$.email')) AS email,
                   trim(j->>'$.city') AS city, upper(trim(j->>'$.country')) AS country,
                   lower(trim(j->>'$.segment')) AS segment, lower(trim(j->>'$.loyalty_tier')) AS tier,
                   CAST(CAST(j->>'$.updated_at' AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS updated_at
            FROM (SELECT {OBJECT} AS j FROM {LINES.format(files=_files(raw, "customers"))})
            WHERE j IS NOT NULL
        )
        WHERE customer_id IS NOT NULL AND email IS NOT NULL AND updated_at IS NOT NULL
        ORDER BY customer_id, updated_at;
        CREATE TABLE dim_customer AS
        WITH flagged AS (
            SELECT *, lag(md5(concat_ws('|', email, city, country, segment, tier)))
                        OVER (PARTITION BY customer_id ORDER BY updated_at) AS previous,
                      md5(concat_ws('|', email, city, country, segment, tier)) AS signature
            FROM changes
        ), versions AS (SELECT * FROM flagged WHERE previous IS NULL OR previous <> signature)
        SELECT customer_id, updated_at AS valid_from,
               lead(updated_at) OVER (PARTITION BY customer_id ORDER BY updated_at) AS valid_to,
               email, city, country, segment, tier
        FROM versions;
        """,
        keep=("dim_customer",),
    )
    revenue = con.execute(
        "SELECT sale_date, channel, category, revenue, orders, units FROM daily_revenue ORDER BY ALL"
    ).fetchall()
    dimension = con.execute(
        "SELECT customer_id, valid_from, valid_to, valid_to IS NULL, email, city, country, segment, tier "
        "FROM dim_customer ORDER BY customer_id, valid_from"
    ).fetchall()
    con.close()
    return ReferenceResult(
        seconds, cpu_seconds, write_seconds, int(quarantined[0]) if quarantined else 0, revenue, dimension
    )
