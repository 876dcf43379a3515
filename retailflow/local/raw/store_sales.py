"""Point-of-sale lines, one Parquet file a day; a `loyalty_card` column from the fourth day (schema drift). A later
day's file may correct a line of the three days before (same transaction, line and sale time, a new quantity)."""

from __future__ import annotations

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
    customer_ids,
    group_positions,
    ids,
    iso,
    pick,
)


def generate(day: Day) -> pa.Table | None:
    settings, today = day.settings, day.day
    rng, n = settings.rng(today, Stream.STORE_SALES), settings.transactions_per_day
    number = today * n + np.arange(n)
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
    if day.replay:
        return None
    day.counts("store_sales")["records"] += table.num_rows
    delivered = pa.concat_tables([table, *day.arrived_tables("store_sales")])
    if today < DRIFT_DAY:
        return delivered.drop_columns(["loyalty_card"])
    day.counts("store_sales")["drift_rows"] += delivered.num_rows
    return delivered
