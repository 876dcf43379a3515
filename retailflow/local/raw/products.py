"""Products (CSV extracts): the catalog on the first day, and on the fourth day of every week a new price for a
tenth of the SKUs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from retailflow.local.raw.common import (
    BRANDS,
    CATEGORIES,
    N_PRODUCTS,
    PRICE_UPDATE_WEEKDAY,
    Day,
    GeneratorSettings,
    Stream,
    ids,
)

HEADER = "sku,name,category,brand,list_price,active,updated_at"
SKUS = ids("SKU-", np.arange(N_PRODUCTS), 5)


@dataclass(frozen=True)
class Catalog:
    prices: np.ndarray
    categories: np.ndarray
    brands: np.ndarray


def updated_on(settings: GeneratorSettings, day: int) -> np.ndarray:
    """The SKUs (indexes) whose price changes on `day`."""
    if day % 7 != PRICE_UPDATE_WEEKDAY:
        return np.array([], dtype=np.int64)
    return np.sort(settings.rng(day, Stream.PRICES).choice(N_PRODUCTS, size=N_PRODUCTS // 10, replace=False))


@cache
def catalog(settings: GeneratorSettings, day: int) -> Catalog:
    """The catalog as of the end of `day` (prices after that day's update)."""
    if day == 0:
        rng = settings.rng(0, Stream.CATALOG)
        prices = np.round(rng.uniform(2, 250, N_PRODUCTS), 2)
        first = Catalog(prices, rng.integers(0, len(CATEGORIES), N_PRODUCTS), rng.integers(0, len(BRANDS), N_PRODUCTS))
    else:
        first = catalog(settings, day - 1)
    updated = updated_on(settings, day)
    if not len(updated):
        return first
    prices = first.prices.copy()
    prices[updated] = np.round(prices[updated] * 1.1, 2)
    return Catalog(prices, first.categories, first.brands)


def generate(day: Day) -> Iterator[list[str]]:
    today = catalog(day.settings, day.day)
    rows = np.arange(N_PRODUCTS) if day.day == 0 else updated_on(day.settings, day.day)
    if day.replay or not len(rows):
        return
    ts = (day.start + dt.timedelta(days=day.day)).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def product_line(i: int) -> str:
        category, brand = CATEGORIES[today.categories[i]], BRANDS[today.brands[i]]
        name = f'"{brand} {category} item {i}, size {1 + i % 5}"'
        return f"{SKUS[i]},{name},{category},{brand},{today.prices[i]:.2f},true,{ts}"

    day.counts("products")["records"] = len(rows)
    yield [product_line(int(i)) for i in rows]
