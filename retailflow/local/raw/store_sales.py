"""Point-of-sale lines, one Parquet file a day; a `loyalty_card` column appears half-way (schema drift)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from retailflow.local.raw.common import (
    CITIES,
    N_PRODUCTS,
    N_STORES,
    STORE_IDS,
    Catalog,
    Customers,
    World,
    group_positions,
    ids,
    iso,
)


def generate(world: World) -> None:
    rng, days = world.rng, world.days
    catalog: Catalog = world.need("catalog")
    customers: Customers = world.need("customers")
    counts = world.counts("store_sales")
    n_transactions = max(50, world.n_orders // 2)
    txn_day = np.sort(rng.integers(0, days, n_transactions))
    txn_seconds = txn_day * 86400 + rng.integers(28800, 75600, n_transactions)
    n_lines = rng.integers(1, 4, n_transactions)
    txn = np.repeat(np.arange(n_transactions), n_lines)
    product = rng.integers(0, N_PRODUCTS, len(txn))
    store = txn % N_STORES
    columns = {
        "transaction_id": ids("T", txn, 8),
        "line_number": (group_positions(n_lines) + 1).astype(np.int32),
        "store_id": STORE_IDS[store],
        "store_name": np.char.add(
            np.char.add("RetailFlow ", np.array(CITIES)[store % len(CITIES)]), np.char.add(" ", store.astype(str))
        ),
        "store_city": np.array(CITIES)[store % len(CITIES)],
        "sku": catalog.skus[product],
        "quantity": rng.integers(1, 3, len(txn)).astype(np.int32),
        "unit_price": catalog.prices[product],
        "sold_at": iso(world.start, txn_seconds[txn]),
    }
    # A third of the sales carry the loyalty customer, only once that customer exists (else the sale is anonymous).
    member = txn % len(customers.ids)
    known = (txn % 3 == 0) & (customers.signup_day[member] <= txn_day[txn])
    customer = np.where(known, customers.ids[member], np.array(None, dtype=object))
    for day in range(days):
        rows = np.flatnonzero(txn_day[txn] == day)
        if not len(rows):
            continue
        table = pa.table(
            {**{k: v[rows] for k, v in columns.items()}, "customer_id": pa.array(customer[rows], pa.string())}
        )
        if day >= days // 2:
            table = table.append_column("loyalty_card", pa.array(np.char.add("LC", (rows % 50).astype(str))))
            counts["drift_rows"] += len(rows)
        pq.write_table(table, world.folder("store_sales", day) / f"store_sales-{day:03d}.parquet", compression="snappy")
        counts["records"] += len(rows)
