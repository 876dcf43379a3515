"""Inventory system CSV snapshots: one a day of a third of the SKUs in every store."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from retailflow.local.raw import products
from retailflow.local.raw.common import N_PRODUCTS, N_STORES, STORE_IDS, Day, iso

HEADER = "snapshot_ts,store_id,sku,on_hand"


def generate(day: Day) -> Iterator[list[str]]:
    if day.replay:
        return
    store_grid, product_grid = (
        g.ravel() for g in np.meshgrid(np.arange(N_STORES), np.arange(0, N_PRODUCTS, 3), indexing="ij")
    )
    on_hand = np.maximum((product_grid * 7 + day.day * 13 + store_grid * 5) % 40 - 3, 0)
    stamp = iso(day.start, np.array([day.day * 86400 + 22 * 3600]))[0]
    lines = [
        f"{stamp},{store},{sku},{count}"
        for store, sku, count in zip(STORE_IDS[store_grid], products.SKUS[product_grid], on_hand, strict=True)
    ]
    day.counts("inventory")["records"] = len(lines)
    yield lines
