"""Point-of-sale lines, one Parquet file a day; a `loyalty_card` column from the fourth day (schema drift). A later
day's file may correct a line of the three days before (same transaction, line and sale time, a new quantity)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retailflow.local.raw import products
from retailflow.local.raw.common import (
    CITIES,
    DRIFT_DAY,
    N_PRODUCTS,
    N_STORES,
    RATES,
    STORE_IDS,
    Day,
    Stream,
    blocks,
    customer_ids,
    group_positions,
    ids,
    iso,
    pick,
)


def generate(day: Day) -> Iterator[pa.Table]:
    settings, today = day.settings, day.day
    per_day = settings.transactions_per_day
    for block, offset, size in blocks(per_day):
        table = _block(day, settings.rng(today, Stream.STORE_SALES, block), today * per_day + offset, size)
        if not day.replay:
            yield _as_delivered(day, table)
    if not day.replay:
        arrived = day.arrived_tables("store_sales")
        if arrived:
            yield _as_delivered(day, pa.concat_tables(arrived))


def _as_delivered(day: Day, table: pa.Table) -> pa.Table:
    """Without `loyalty_card` before the drift day; its rows counted in the manifest's drift rows after."""
    if day.day < DRIFT_DAY:
        return table.drop_columns(["loyalty_card"])
    day.counts("store_sales")["drift_rows"] += table.num_rows
    return table


def _block(day: Day, rng: np.random.Generator, first: int, n: int) -> pa.Table:
    """`n` transactions of today from global number `first`; corrections of their lines handed to `day.later`."""
    settings, today = day.settings, day.day
    number = first + np.arange(n)
    seconds = today * 86400 + rng.integers(28800, 75600, n)
    n_lines = rng.integers(1, 4, n)
    txn = np.repeat(np.arange(n), n_lines)
    product = rng.integers(0, N_PRODUCTS, len(txn))
    store = number[txn] % N_STORES
    quantity = rng.integers(1, 3, len(txn)).astype(np.int32)
    # A third of the sales carry a loyalty customer who exists by that day; the others are anonymous.
    member = rng.integers(0, settings.customers_by(today), n)
    known = number % 3 == 0
    corrected = pick(rng, np.ones(len(txn), dtype=bool), RATES["store_correction"])
    correction_day = today + rng.integers(1, 4, len(txn))
    table = pa.table(
        {
            "transaction_id": ids("T", number[txn], 8),
            "line_number": (group_positions(n_lines) + 1).astype(np.int32),
            "store_id": STORE_IDS[store],
            "store_name": np.char.add(
                np.char.add("RetailFlow ", np.array(CITIES)[store % len(CITIES)]), np.char.add(" ", store.astype(str))
            ),
            "store_city": np.array(CITIES)[store % len(CITIES)],
            "sku": products.SKUS[product],
            "quantity": quantity,
            "unit_price": products.catalog(settings, today).prices[product],
            "sold_at": iso(day.start, seconds[txn]),
            "customer_id": pa.array(
                np.where(known, customer_ids(member), np.array(None, dtype=object))[txn], pa.string()
            ),
            "loyalty_card": np.char.add("LC", (number[txn] % 50).astype(str)),
        }
    )
    fixes = np.flatnonzero(corrected)
    fixed = table.take(fixes).set_column(6, "quantity", pa.array(quantity[fixes] + 1, pa.int32()))
    day.later.add_table("store_sales", correction_day[fixes], fixed, "records", "corrections")
    if not day.replay:
        day.counts("store_sales")["records"] += table.num_rows
    return table
