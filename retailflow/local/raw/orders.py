"""Online orders (REST API): status versions over time (some out of order), items, a `promo_code` field from
half-way (schema drift), refunds, and redelivered last versions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retailflow.local.raw.common import (
    N_PRODUCTS,
    RATES,
    Catalog,
    Customers,
    Orders,
    World,
    arrow,
    group_positions,
    ids,
    iso,
)

# Status paths by kind: 0 cancelled, 1 shipped, 2 delivered, 3 delivered then refunded.
PATHS = (
    ("created", "paid", "cancelled"),
    ("created", "paid", "shipped"),
    ("created", "paid", "shipped", "delivered"),
    ("created", "paid", "shipped", "delivered", "refunded"),
)


def generate(world: World) -> None:
    rng, days, start, n_orders, con = world.rng, world.days, world.start, world.n_orders, world.con
    catalog: Catalog = world.need("catalog")
    customers: Customers = world.need("customers")
    counts = world.counts("orders")
    order_day = np.maximum(np.sort(rng.integers(0, days, n_orders)), 0)
    buyer = rng.integers(0, len(customers.ids), n_orders)
    order_day = np.maximum(order_day, customers.signup_day[buyer])
    order_seconds = order_day * 86400 + rng.integers(7200, 86000, n_orders)
    n_items = rng.integers(1, 5, n_orders)
    item_order = np.repeat(np.arange(n_orders), n_items)
    item_sku = rng.integers(0, N_PRODUCTS, len(item_order))
    item_qty = rng.integers(1, 4, len(item_order))
    item_price = catalog.prices[item_sku]
    totals = np.round(np.bincount(item_order, weights=item_qty * item_price, minlength=n_orders), 2)
    roll, refund_roll = rng.random(n_orders), rng.random(n_orders)
    kind = np.where(roll < 0.06, 0, np.where(roll < 0.8, 2, 1))
    kind = np.where((kind == 2) & (refund_roll < RATES["refund"]), 3, kind)
    counts["refunds"] = int((kind == 3).sum())
    path_length = np.array([len(p) for p in PATHS])[kind]
    version_order = np.repeat(np.arange(n_orders), path_length)
    j = group_positions(path_length)
    statuses = np.array([s for p in PATHS for s in p])[
        np.repeat(np.cumsum([0, *[len(p) for p in PATHS]])[:-1][kind], path_length) + j
    ]
    swapped = (rng.random(n_orders) < RATES["out_of_order"]) & (path_length > 2)
    counts["out_of_order"] = int(swapped.sum())
    last = path_length[version_order] - 1
    position = np.where(swapped[version_order] & (j == 0), last, np.where(swapped[version_order] & (j == last), 0, j))
    line_order = np.lexsort((position, version_order))
    items_arrow = pa.ListArray.from_arrays(
        pa.array(np.append(np.cumsum(n_items) - n_items, len(item_order)), pa.int32()),
        pa.StructArray.from_arrays(
            [arrow(catalog.skus[item_sku]), arrow(item_qty.astype(np.int32)), arrow(item_price)],
            names=["sku", "quantity", "unit_price"],
        ),
    )
    drift = order_day >= days // 2
    orders = pa.table(
        {
            "row_id": np.arange(n_orders),
            "order_id": ids("O", np.arange(n_orders), 8),
            "order_ts": iso(start, order_seconds),
            "customer_id": customers.ids[buyer],
            "email": np.char.add(np.char.lower(customers.ids[buyer]), "@mail.example"),
            "items": items_arrow,
            "promo": np.char.add("PROMO", (np.arange(n_orders) % 10).astype(str)),
            "drift": drift,
        }
    )
    con.register("orders_", orders)
    versions_table = pa.table(
        {
            "row_id": np.arange(len(version_order)),
            "o": version_order,
            "status": statuses,
            "updated_at": iso(start, order_seconds[version_order] + 1800 * j),
        }
    )
    con.register("versions_", versions_table)
    rendered = con.execute(
        """
        SELECT CASE WHEN o.drift THEN to_json(struct_pack(order_id := o.order_id, status := v.status,
                   order_ts := o.order_ts, updated_at := v.updated_at, currency := 'EUR',
                   customer := struct_pack(customer_id := o.customer_id, email := o.email), items := o.items,
                   promo_code := o.promo))
               ELSE to_json(struct_pack(order_id := o.order_id, status := v.status, order_ts := o.order_ts,
                   updated_at := v.updated_at, currency := 'EUR',
                   customer := struct_pack(customer_id := o.customer_id, email := o.email), items := o.items))
               END
        FROM versions_ v JOIN orders_ o ON o.row_id = v.o ORDER BY v.row_id
        """
    ).fetchall()
    version_lines = [r[0] for r in rendered]
    ordered = [version_lines[i] for i in line_order]
    ordered_days = order_day[version_order[line_order]]
    counts["records"] = len(ordered)
    counts["drift_rows"] = int(drift[version_order].sum())
    dup = np.flatnonzero(rng.random(n_orders) < RATES["duplicate"])
    last_line = np.cumsum(path_length) - 1
    world.files.add(
        "orders", np.concatenate([ordered_days, order_day[dup]]), ordered + [version_lines[i] for i in last_line[dup]]
    )
    counts["duplicates"] = len(dup)
    world.orders = Orders(order_day, order_seconds, buyer, kind, totals, n_items, item_sku)
