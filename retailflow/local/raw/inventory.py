"""Inventory system CSV snapshots: one a day of a third of the SKUs in every store."""

from __future__ import annotations

import numpy as np

from retailflow.local.raw.common import N_PRODUCTS, N_STORES, STORE_IDS, Catalog, World, iso

HEADER = "snapshot_ts,store_id,sku,on_hand"


def generate(world: World) -> None:
    catalog: Catalog = world.need("catalog")
    grids = np.meshgrid(np.arange(world.days), np.arange(N_STORES), np.arange(0, N_PRODUCTS, 3), indexing="ij")
    day_grid, store_grid, product_grid = (grid.ravel() for grid in grids)
    on_hand = np.maximum((product_grid * 7 + day_grid * 13 + store_grid * 5) % 40 - 3, 0)
    stamps = iso(world.start, day_grid * 86400 + 22 * 3600)
    lines = [
        f"{a},{b},{c},{d}"
        for a, b, c, d in zip(stamps, STORE_IDS[store_grid], catalog.skus[product_grid], on_hand, strict=True)
    ]
    world.files.add("inventory", day_grid, lines)
    world.counts("inventory")["records"] = len(lines)
