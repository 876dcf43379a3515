"""Clickstream JSON logs: page views, add to cart and checkout before each order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retailflow.local.raw.common import Catalog, Customers, Orders, World, group_positions, ids, iso, json_lines


def generate(world: World) -> None:
    orders: Orders = world.need("orders")
    catalog: Catalog = world.need("catalog")
    customers: Customers = world.need("customers")
    n_clicks = 3 + (orders.n_items > 1)
    click_order = np.repeat(np.arange(len(orders.n_items)), n_clicks)
    c = group_positions(n_clicks)
    first_sku = catalog.skus[orders.item_sku[np.cumsum(orders.n_items) - orders.n_items]][click_order]
    table = pa.table(
        {
            "row_id": np.arange(len(click_order)),
            "event_id": np.char.add(ids("E", click_order, 8), c.astype(str)),
            "session_id": ids("S", click_order, 8),
            "customer_id": customers.ids[orders.buyer[click_order]],
            "event_type": np.array(["page_view", "page_view", "add_to_cart", "checkout"])[
                np.where(c == n_clicks[click_order] - 1, 3, np.minimum(c, 2))
            ],
            "page": np.char.add("/p/", first_sku),
            "sku": first_sku,
            "event_ts": iso(world.start, orders.seconds[click_order] - 60 * (10 - c)),
        }
    )
    world.files.add("clickstream", orders.day[click_order], json_lines(world.con, table))
    world.counts("clickstream")["records"] = len(click_order)
