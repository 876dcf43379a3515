"""Online orders (REST API): a day's orders send a version per status update (some out of order), with items and,
from the fourth day, a `promo_code` field (schema drift). Later days deliver refunds (up to five days on), corrections
that move an order to the day before or after, and redeliveries of an order's last version."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retailflow.local.raw import products
from retailflow.local.raw.common import (
    DRIFT_DAY,
    N_PRODUCTS,
    RATES,
    Day,
    GeneratorSettings,
    Orders,
    Stream,
    arrow,
    blocks,
    customer_ids,
    group_positions,
    ids,
    iso,
    pick,
    take_rows,
)

# Status paths by kind: 0 cancelled, 1 shipped, 2 delivered, 3 delivered then refunded.
PATHS = (
    ("created", "paid", "cancelled"),
    ("created", "paid", "shipped"),
    ("created", "paid", "shipped", "delivered"),
    ("created", "paid", "shipped", "delivered", "refunded"),
)
RENDER = """
    SELECT CASE WHEN v.drift THEN to_json(struct_pack(order_id := o.order_id, status := v.status,
               order_ts := v.order_ts, updated_at := v.updated_at, currency := 'EUR',
               customer := struct_pack(customer_id := o.customer_id, email := o.email), items := o.items,
               promo_code := o.promo))
           ELSE to_json(struct_pack(order_id := o.order_id, status := v.status, order_ts := v.order_ts,
               updated_at := v.updated_at, currency := 'EUR',
               customer := struct_pack(customer_id := o.customer_id, email := o.email), items := o.items))
           END
    FROM versions_ v JOIN orders_ o ON o.row_id = v.o ORDER BY v.row_id
"""


def generate(day: Day) -> Iterator[list[str]]:
    for orders, rng in day_orders(day):
        lines = _block(day, orders, rng)
        if not day.replay:
            yield lines
    if not day.replay:
        for arrived in day.arrived("orders"):
            if day.day >= DRIFT_DAY:
                day.counts("orders")["drift_rows"] += len(arrived)
            yield arrived


def day_orders(day: Day) -> Iterator[tuple[Orders, np.random.Generator]]:
    """The day's orders block by block, each with its random stream after the draws that made it: the orders file
    draws on from there, while payments and clickstream, which follow the orders, draw them again (cheap) rather
    than hold a large day's orders."""
    settings, today = day.settings, day.day
    n = settings.orders_per_day
    for block, offset, size in blocks(n):
        rng = settings.rng(today, Stream.ORDERS, block)
        yield _orders(day, rng, today * n + offset, size), rng


def _orders(day: Day, rng: np.random.Generator, first: int, n: int) -> Orders:
    settings, today = day.settings, day.day
    buyer = rng.integers(0, settings.customers_by(today), n)
    seconds = today * 86400 + rng.integers(7200, 86000, n)
    n_items = rng.integers(1, 5, n)
    item_order = np.repeat(np.arange(n), n_items)
    item_sku = rng.integers(0, N_PRODUCTS, len(item_order))
    item_qty = rng.integers(1, 4, len(item_order))
    item_price = products.catalog(settings, today).prices[item_sku]
    totals = np.round(np.bincount(item_order, weights=item_qty * item_price, minlength=n), 2)
    roll, refund_roll = rng.random(n), rng.random(n)
    kind = np.where(roll < 0.06, 0, np.where(roll < 0.8, 2, 1))
    kind = np.where((kind == 2) & (refund_roll < RATES["refund"]), 3, kind)
    refund_lag = np.where(kind == 3, rng.integers(0, 6, n), 0)
    refund_day = today + refund_lag
    refund_seconds = np.where(refund_lag == 0, seconds + 1800 * 4, refund_day * 86400 + rng.integers(7200, 80000, n))
    return Orders(first, seconds, buyer, kind, totals, n_items, item_sku, item_qty, refund_day, refund_seconds)


def _block(day: Day, orders: Orders, rng: np.random.Generator) -> list[str]:
    """A block of orders: their versions delivered today (then copies of some last versions, duplicates), and what
    later days deliver handed to `day.later`."""
    settings, today = day.settings, day.day
    n, seconds, kind = len(orders.kind), orders.seconds, orders.kind
    refund_day, refund_seconds = orders.refund_day, orders.refund_seconds
    refund_lag = refund_day - today
    path_length = np.array([len(p) for p in PATHS])[kind]
    late_refund = refund_lag > 0
    today_length = path_length - late_refund
    version_order = np.repeat(np.arange(n), path_length)
    j = group_positions(path_length)
    statuses = np.array([s for p in PATHS for s in p])[
        np.repeat(np.cumsum([0, *[len(p) for p in PATHS]])[:-1][kind], path_length) + j
    ]
    deferred = late_refund[version_order] & (j == 4)
    updated = np.where(deferred, refund_seconds[version_order], seconds[version_order] + 1800 * j)
    swapped = (rng.random(n) < RATES["out_of_order"]) & (today_length > 2)
    last = today_length[version_order] - 1
    position = np.where(swapped[version_order] & (j == 0), last, np.where(swapped[version_order] & (j == last), 0, j))
    moved = pick(rng, (kind == 1) | (kind == 2), RATES["moved_date"])
    moved_day = today + rng.integers(1, 4, n)
    moved_seconds = seconds + np.where(rng.random(n) < 0.5, -86400, 86400)
    moved_updated = moved_day * 86400 + rng.integers(7200, 80000, n)
    redelivered = pick(rng, np.ones(n, dtype=bool), RATES["redelivered"])
    redelivery_day = today + rng.integers(1, 3, n)
    dup = np.flatnonzero(rng.random(n) < RATES["duplicate"])

    # The rows to render: every version, then one moved-date correction per moved order.
    moved_orders = np.flatnonzero(moved)
    o = np.concatenate([version_order, moved_orders])
    delivery = np.concatenate([np.where(deferred, refund_day[version_order], today), moved_day[moved_orders]])
    versions = pa.table(
        {
            "row_id": np.arange(len(o)),
            "o": o,
            "status": np.concatenate([statuses, np.array([PATHS[k][-1] for k in kind[moved_orders]], dtype=str)]),
            "order_ts": iso(day.start, np.concatenate([seconds[version_order], moved_seconds[moved_orders]])),
            "updated_at": iso(day.start, np.concatenate([updated, moved_updated[moved_orders]])),
            "drift": delivery >= DRIFT_DAY,
        }
    )
    last_today = np.cumsum(path_length) - path_length + today_length - 1  # each order's last same-day version
    later = np.flatnonzero(delivery != today)
    needed = np.unique(np.concatenate([later, last_today[redelivered]])) if day.replay else np.arange(len(o))
    order_rows = _order_rows(settings, today, orders)
    lines = dict(zip(needed.tolist(), render(day, order_rows, take_rows(versions, needed)), strict=True))
    is_moved = np.arange(len(o)) >= len(version_order)
    for rows, counters in (
        (later[~is_moved[later]], ("records", "late_refunds")),
        (later[is_moved[later]], ("records", "moved_dates")),
    ):
        day.later.add_lines("orders", delivery[rows], [lines[i] for i in rows], *counters)
    again = np.flatnonzero(redelivered)
    day.later.add_lines("orders", redelivery_day[again], [lines[i] for i in last_today[again]], "redelivered")
    if day.replay:
        return []
    same_day = np.flatnonzero(~deferred)
    ordered = same_day[np.lexsort((position[same_day], version_order[same_day]))]
    counts = day.counts("orders")
    counts.update(
        records=len(ordered),
        refunds=int((kind == 3).sum()),
        out_of_order=int(swapped.sum()),
        duplicates=len(dup),
    )
    if today >= DRIFT_DAY:
        counts["drift_rows"] += len(ordered)
    return [lines[i] for i in ordered] + [lines[i] for i in last_today[dup]]


def _order_rows(settings: GeneratorSettings, today: int, orders: Orders) -> pa.Table:
    n, n_items, item_sku = len(orders.kind), orders.n_items, orders.item_sku
    item_price = products.catalog(settings, today).prices[item_sku]
    items = pa.ListArray.from_arrays(
        pa.array(np.append(np.cumsum(n_items) - n_items, len(item_sku)), pa.int32()),
        pa.StructArray.from_arrays(
            [arrow(products.SKUS[item_sku]), arrow(orders.item_qty.astype(np.int32)), arrow(item_price)],
            names=["sku", "quantity", "unit_price"],
        ),
    )
    first = orders.first
    customers = customer_ids(orders.buyer)
    return pa.table(
        {
            "row_id": np.arange(n),
            "order_id": ids("O", first + np.arange(n), 8),
            "customer_id": customers,
            "email": np.char.add(np.char.lower(customers), "@mail.example"),
            "items": items,
            "promo": np.char.add("PROMO", ((first + np.arange(n)) % 10).astype(str)),
        }
    )


def render(day: Day, orders: pa.Table, versions: pa.Table) -> list[str]:
    """One JSON line per version row, in row order."""
    day.con.register("orders_", orders)
    day.con.register("versions_", versions)
    try:
        return [r[0] for r in day.con.execute(RENDER).fetchall()]
    finally:
        day.con.unregister("orders_")
        day.con.unregister("versions_")
