"""Payment gateway events: each order authorized, then captured (or failed for a cancelled order); a refunded
order's refund event arrives on the day of its refund, up to five days after the order."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retailflow.local.raw.common import Day, Orders, ids, iso, json_lines, take_rows
from retailflow.local.raw.orders import day_orders


def generate(day: Day) -> Iterator[list[str]]:
    for orders, _rng in day_orders(day):
        lines = _block(day, orders)
        if not day.replay:
            yield lines
    if not day.replay:
        yield from day.arrived("payments")


def _block(day: Day, orders: Orders) -> list[str]:
    """The payment events of a block of orders delivered today; refunds of later days handed to `day.later`."""
    n = len(orders.kind)
    refunded = np.flatnonzero(orders.kind == 3)
    event_order = np.concatenate([np.repeat(np.arange(n), 2), refunded])
    e = np.concatenate([np.tile([0, 1], n), np.full(len(refunded), 2)])
    event_type = np.where(
        e == 0,
        "authorized",
        np.where(e == 2, "refunded", np.where(orders.kind[event_order] == 0, "failed", "captured")),
    )
    number = orders.first + event_order
    table = pa.table(
        {
            "row_id": np.arange(len(event_order)),
            "payment_event_id": np.char.add(ids("PE", number, 8), e.astype(str)),
            "payment_id": ids("P", number, 8),
            "order_id": ids("O", number, 8),
            "event_type": event_type,
            "amount": orders.totals[event_order],
            "currency": np.full(len(event_order), "EUR"),
            "event_ts": iso(
                day.start,
                np.where(e == 2, orders.refund_seconds[event_order], orders.seconds[event_order] + 1800 * e) + 300,
            ),
        }
    )
    delivery = np.where(e == 2, orders.refund_day[event_order], day.day)
    later = np.flatnonzero(delivery != day.day)
    rows = later if day.replay else np.arange(len(event_order))
    lines = dict(zip(rows.tolist(), json_lines(day.con, take_rows(table, rows)), strict=True))
    day.later.add_lines("payments", delivery[later], [lines[i] for i in later.tolist()], "records", "late_refunds")
    if day.replay:
        return []
    today = np.flatnonzero(delivery == day.day)
    day.counts("payments")["records"] += len(today)
    return [lines[i] for i in today.tolist()]
