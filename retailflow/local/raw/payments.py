"""Payment gateway events: authorized, then captured (or failed), and refunded; each a separate event."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retailflow.local.raw.common import Orders, World, group_positions, ids, iso, json_lines


def generate(world: World) -> None:
    orders: Orders = world.need("orders")
    kind = orders.kind
    n_events = np.where(kind == 0, 2, np.where(kind == 3, 3, 2))
    event_order = np.repeat(np.arange(len(kind)), n_events)
    e = group_positions(n_events)
    event_type = np.where(
        e == 0, "authorized", np.where(e == 2, "refunded", np.where(kind[event_order] == 0, "failed", "captured"))
    )
    table = pa.table(
        {
            "row_id": np.arange(len(event_order)),
            "payment_event_id": np.char.add(ids("PE", event_order, 8), e.astype(str)),
            "payment_id": ids("P", event_order, 8),
            "order_id": ids("O", event_order, 8),
            "event_type": event_type,
            "amount": orders.totals[event_order],
            "currency": np.full(len(event_order), "EUR"),
            "event_ts": iso(world.start, orders.seconds[event_order] + 300 + 1800 * e),
        }
    )
    world.files.add("payments", orders.day[event_order], json_lines(world.con, table))
    world.counts("payments")["records"] = len(event_order)
