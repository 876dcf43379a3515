"""What every source's generator shares: the run's settings and random stream, the text files being built, the
manifest, and the entities earlier sources made (the catalog, the customers, the orders)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

CATEGORIES = ("apparel", "footwear", "home", "beauty", "electronics", "grocery")
BRANDS = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum")
CITIES = ("Amsterdam", "Rotterdam", "Utrecht", "Berlin", "Hamburg", "Paris", "Lyon", "Madrid")
COUNTRIES = ("NL", "NL", "NL", "DE", "DE", "FR", "FR", "ES")
SEGMENTS = ("consumer", "small_business", "corporate")
TIERS = ("none", "silver", "gold", "platinum")
RATES = {
    "duplicate": 0.02,
    "malformed": 0.002,
    "missing_required": 0.002,
    "late_customer": 0.03,
    "refund": 0.04,
    "out_of_order": 0.05,
}
N_PRODUCTS = 300
N_STORES = 12


@dataclass(frozen=True)
class GeneratorSettings:
    scale: float = 1.0
    days: int = 7
    seed: int = 42
    start_date: dt.date = dt.date(2026, 1, 5)


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


STORE_IDS = ids("ST", np.arange(N_STORES), 3)


def iso(start: dt.datetime, seconds: np.ndarray) -> np.ndarray:
    stamps = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamps, unit="s"), "+00:00")


def arrow(values: np.ndarray) -> pa.Array:
    """One contiguous Arrow array (pyarrow chunks large inputs, which StructArray does not take)."""
    array = pa.array(values)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def group_positions(counts: np.ndarray) -> np.ndarray:
    """For groups of the given sizes laid end to end: each row's position within its group."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


class TextFiles:
    """Lines per (source, day), written once in a stable order."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, int], list[str]] = {}

    def add(self, source: str, days: np.ndarray, lines: list[str]) -> None:
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        bounds = np.flatnonzero(np.diff(sorted_days)) + 1
        for chunk in np.split(order, bounds):
            if len(chunk):
                self.lines.setdefault((source, int(days[chunk[0]])), []).extend(lines[i] for i in chunk)


def json_lines(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[str]:
    """Render rows as JSON objects (keys in column order, `row_id` left out), in row order."""
    select = ", ".join(f"{c} := {c}" for c in table.column_names[1:])
    con.register("rows_", table)
    result = con.execute(f"SELECT to_json(struct_pack({select})) FROM rows_ ORDER BY row_id").fetchall()
    con.unregister("rows_")
    return [r[0] for r in result]


@dataclass(frozen=True)
class Catalog:
    skus: np.ndarray
    prices: np.ndarray  # after the half-way price update


@dataclass(frozen=True)
class Customers:
    ids: np.ndarray
    signup_day: np.ndarray


@dataclass(frozen=True)
class Orders:
    day: np.ndarray
    seconds: np.ndarray
    buyer: np.ndarray
    kind: np.ndarray  # 0 cancelled, 1 shipped, 2 delivered, 3 delivered then refunded
    totals: np.ndarray
    n_items: np.ndarray
    item_sku: np.ndarray


@dataclass
class World:
    """One generation run: each source reads what it needs and adds its files and manifest counts. Sources draw
    from one random stream in a fixed order, so the same seed gives the same bytes."""

    out: Path
    settings: GeneratorSettings
    rng: np.random.Generator
    con: duckdb.DuckDBPyConnection
    files: TextFiles = field(default_factory=TextFiles)
    manifest: dict[str, Counter[str]] = field(default_factory=dict)
    catalog: Catalog | None = None
    customers: Customers | None = None
    orders: Orders | None = None

    @property
    def days(self) -> int:
        return self.settings.days

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.settings.start_date, dt.time())

    @property
    def n_orders(self) -> int:
        return max(200, int(100_000 * self.settings.scale))

    def counts(self, source: str) -> Counter[str]:
        return self.manifest.setdefault(source, Counter())

    def folder(self, source: str, day: int) -> Path:
        folder = self.out / source / f"ingestion_date={(self.settings.start_date + dt.timedelta(days=day)).isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def need(self, what: str) -> Any:
        value = getattr(self, what)
        if value is None:
            raise RuntimeError(f"the {what} are generated by an earlier source; check the order of SOURCES")
        return value


@dataclass(frozen=True)
class SourceGenerator:
    """How one RAW source is made: `generate(world)` adds its lines to `world.files` (text sources, written after
    the defects are injected) or writes its own files (`writes_files`)."""

    name: str
    generate: Callable[[World], None]
    writes_files: bool = False
