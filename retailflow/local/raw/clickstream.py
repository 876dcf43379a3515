"""Clickstream JSON logs: page views, add to cart and checkout before each of the day's orders."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retailflow.local.raw import products
from retailflow.local.raw.common import Day, Orders, customer_ids, group_positions, ids, iso, json_lines
from retailflow.local.raw.orders import day_orders


def generate(day: Day) -> Iterator[list[str]]:
    if day.replay:
        return
    for orders, _rng in day_orders(day):
        yield _block(day, orders)


def _block(day: Day, orders: Orders) -> list[str]:
    """The clicks before a block of orders."""
    n_clicks = 3 + (orders.n_items > 1)
    click_order = np.repeat(np.arange(len(orders.n_items)), n_clicks)
    c = group_positions(n_clicks)
    first_sku = products.SKUS[orders.item_sku[np.cumsum(orders.n_items) - orders.n_items]][click_order]
    number = orders.first + click_order
    table = pa.table(
        {
            "row_id": np.arange(len(click_order)),
            "event_id": np.char.add(ids("E", number, 8), c.astype(str)),
            "session_id": ids("S", number, 8),
            "customer_id": customer_ids(orders.buyer[click_order]),
            "event_type": np.array(["page_view", "page_view", "add_to_cart", "checkout"])[
                np.where(c == n_clicks[click_order] - 1, 3, np.minimum(c, 2))
            ],
            "page": np.char.add("/p/", first_sku),
            "sku": first_sku,
            "event_ts": iso(day.start, orders.seconds[click_order] - 60 * (10 - c)),
        }
    )
    day.counts("clickstream")["records"] += len(click_order)
    return json_lines(day.con, table)
