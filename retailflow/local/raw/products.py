"""Products (CSV extracts): the catalog on day 0 and a price update for a tenth of the SKUs half-way."""

from __future__ import annotations

import datetime as dt

import numpy as np

from retailflow.local.raw.common import BRANDS, CATEGORIES, N_PRODUCTS, Catalog, World, ids

HEADER = "sku,name,category,brand,list_price,active,updated_at"


def generate(world: World) -> None:
    rng, days, start = world.rng, world.days, world.start
    skus = ids("SKU-", np.arange(N_PRODUCTS), 5)
    prices = np.round(rng.uniform(2, 250, N_PRODUCTS), 2)
    cats = rng.integers(0, len(CATEGORIES), N_PRODUCTS)
    brands = rng.integers(0, len(BRANDS), N_PRODUCTS)

    def product_line(i: int, price: float, day: int) -> str:
        name = f'"{BRANDS[brands[i]]} {CATEGORIES[cats[i]]} item {i}, size {1 + i % 5}"'
        ts = (start + dt.timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return f"{skus[i]},{name},{CATEGORIES[cats[i]]},{BRANDS[brands[i]]},{price:.2f},true,{ts}"

    lines = [product_line(i, prices[i], 0) for i in range(N_PRODUCTS)]
    updated = np.sort(rng.choice(N_PRODUCTS, size=N_PRODUCTS // 10, replace=False))
    prices[updated] = np.round(prices[updated] * 1.1, 2)
    lines += [product_line(int(i), prices[i], days // 2) for i in updated]
    world.files.add("products", np.array([0] * N_PRODUCTS + [days // 2] * len(updated)), lines)
    world.counts("products")["records"] = len(lines)
    world.catalog = Catalog(skus, prices)
