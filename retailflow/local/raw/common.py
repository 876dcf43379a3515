"""What every source's generator shares: the settings, the random stream of a (day, source), the day being built,
and the records a day delivers on a later day (corrections, late refunds, redeliveries)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import islice
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
    "older_change": 0.1,
    "refund": 0.04,
    "out_of_order": 0.05,
    "moved_date": 0.005,
    "redelivered": 0.01,
    "store_correction": 0.005,
}
N_PRODUCTS = 300
N_STORES = 12
ORDERS_PER_DAY_AT_SCALE_1 = 100_000 / 7  # scale 1 is 100k orders a week
DRIFT_DAY = 3  # from the fourth day on, orders carry `promo_code` and store sales `loyalty_card` (schema drift)
PRICE_UPDATE_WEEKDAY = 3  # a tenth of the catalog changes price on the fourth day of every week
LOOKBACK_DAYS = 6  # the latest a record's correction, refund or redelivery arrives after its own day
# A source's day is made in blocks of at most this many of its records (orders, customers, transactions), each
# rendered, written and dropped before the next: memory follows the block, not the scale.
BLOCK = 20_000


class Stream(IntEnum):
    """One random stream per (seed, day, purpose): a day's bytes depend on nothing else."""

    CATALOG = 0
    PRICES = 1
    CUSTOMERS = 2
    ORDERS = 3
    STORE_SALES = 4
    DEFECTS = 5


@dataclass(frozen=True)
class GeneratorSettings:
    scale: float = 1.0
    days: int = 7
    seed: int = 42
    start_date: dt.date = dt.date(2026, 1, 5)

    def rng(self, day: int, stream: Stream, *more: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, day, int(stream), *more]))

    @property
    def orders_per_day(self) -> int:
        return max(30, int(ORDERS_PER_DAY_AT_SCALE_1 * self.scale))

    @property
    def transactions_per_day(self) -> int:
        return max(15, self.orders_per_day // 2)

    @property
    def customer_base(self) -> int:
        """Customers who exist before the first day (all created on day 0)."""
        return max(40, int(self.orders_per_day * 1.2))

    @property
    def new_customers_per_day(self) -> int:
        return max(3, self.orders_per_day // 13)

    def first_customer(self, day: int) -> int:
        """The index of the first customer created on `day` (day 0 also creates the base)."""
        return 0 if day == 0 else self.customer_base + day * self.new_customers_per_day

    def customers_by(self, day: int) -> int:
        """How many customers exist by the end of `day`."""
        return self.customer_base + (day + 1) * self.new_customers_per_day

    def date(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=day)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.start_date, dt.time())


def blocks(total: int) -> Iterator[tuple[int, int, int]]:
    """(block number, offset of its first record, its record count) for `total` records made `BLOCK` at a time."""
    for number, offset in enumerate(range(0, total, BLOCK)):
        yield number, offset, min(BLOCK, total - offset)


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


STORE_IDS = ids("ST", np.arange(N_STORES), 3)


def customer_ids(numbers: np.ndarray) -> np.ndarray:
    return ids("C", numbers, 7)


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


def pick(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """A boolean mask over `eligible`'s rows: about `rate` of the eligible ones, at least one when any is eligible."""
    chosen = np.zeros(len(eligible), dtype=bool)
    candidates = np.flatnonzero(eligible)
    if len(candidates):
        chosen[rng.choice(candidates, size=max(1, int(len(candidates) * rate)), replace=False)] = True
    return chosen


def take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """`rows` of `table`, their `row_id` (the first column) renumbered in that order."""
    return table.take(rows).set_column(0, "row_id", pa.array(np.arange(len(rows))))


def json_lines(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[str]:
    """Render rows as JSON objects (keys in column order, `row_id` left out), in row order."""
    select = ", ".join(f"{c} := {c}" for c in table.column_names[1:])
    con.register("rows_", table)
    result = con.execute(f"SELECT to_json(struct_pack({select})) FROM rows_ ORDER BY row_id").fetchall()
    con.unregister("rows_")
    return [r[0] for r in result]


@dataclass(frozen=True)
class Orders:
    """A day's orders, as the sources that follow orders (payments, clickstream) need them."""

    first: int  # the global index of the day's first order
    seconds: np.ndarray
    buyer: np.ndarray
    kind: np.ndarray  # 0 cancelled, 1 shipped, 2 delivered, 3 delivered then refunded
    totals: np.ndarray
    n_items: np.ndarray
    item_sku: np.ndarray
    item_qty: np.ndarray
    refund_day: np.ndarray  # the day a refunded order's refund arrives (its own day or up to 5 later)
    refund_seconds: np.ndarray


@dataclass
class Later:
    """What earlier days deliver on later ones: text lines, spooled to a file per (source, day) under `spool` (a
    large day's corrections and late records would otherwise be held for up to six days), and Parquet rows (a
    small fraction of a day's store sales) in memory."""

    spool: Path
    tables: dict[tuple[str, int], list[pa.Table]] = field(default_factory=dict)
    counts: dict[tuple[str, int], Counter[str]] = field(default_factory=dict)

    def _file(self, source: str, day: int) -> Path:
        return self.spool / f"{source}-{day:05d}.jsonl"

    def add_lines(self, source: str, days: np.ndarray, lines: list[str], *counters: str) -> None:
        """`lines` delivered on `days` (one each), counted under `counters` in the manifest of the day each arrives."""
        by_day: dict[int, list[str]] = {}
        for day, line in zip(days.tolist(), lines, strict=True):
            by_day.setdefault(day, []).append(line)
        for day, delivered in by_day.items():
            with open(self._file(source, day), "a", encoding="utf-8", newline="\n") as handle:
                handle.writelines(line + "\n" for line in delivered)
            self.counts.setdefault((source, day), Counter()).update(dict.fromkeys(counters, len(delivered)))

    def lines(self, source: str, day: int) -> Iterator[list[str]]:
        """The lines delivered on `day`, in the order they were added, `BLOCK` at a time."""
        path = self._file(source, day)
        if not path.exists():
            return
        with open(path, encoding="utf-8", newline="\n") as handle:  # a line ends at a newline only
            while block := [line.rstrip("\n") for line in islice(handle, BLOCK)]:
                yield block

    def add_table(self, source: str, days: np.ndarray, table: pa.Table, *counters: str) -> None:
        for day in np.unique(days).tolist():
            rows = table.filter(pa.array(days == day))
            self.tables.setdefault((source, day), []).append(rows)
            self.counts.setdefault((source, day), Counter()).update(dict.fromkeys(counters, rows.num_rows))

    def forget_before(self, day: int) -> None:
        for store in (self.tables, self.counts):
            for key in [k for k in store if k[1] < day]:
                del store[key]
        for path in self.spool.glob("*.jsonl"):
            if int(path.stem.rsplit("-", 1)[1]) < day:
                path.unlink()


@dataclass
class Day:
    """One day being generated. `replay` is set when the day's files exist already and the day runs only to learn
    what it delivers later (an append to a folder that holds the days before)."""

    settings: GeneratorSettings
    day: int
    con: duckdb.DuckDBPyConnection
    later: Later
    replay: bool = False
    manifest: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def start(self) -> dt.datetime:
        return self.settings.start

    def counts(self, source: str) -> Counter[str]:
        return self.manifest.setdefault(source, Counter())

    def arrived(self, source: str) -> Iterator[list[str]]:
        """The lines earlier days deliver today, in blocks, counted in today's manifest."""
        self.counts(source).update(self.later.counts.get((source, self.day), Counter()))
        return self.later.lines(source, self.day)

    def arrived_tables(self, source: str) -> list[pa.Table]:
        self.counts(source).update(self.later.counts.get((source, self.day), Counter()))
        return self.later.tables.get((source, self.day), [])

    def folder(self, out: Path, source: str) -> Path:
        return out / source / f"ingestion_date={self.settings.date(self.day).isoformat()}"


@dataclass(frozen=True)
class SourceGenerator:
    """How one RAW source is made for a day: `generate(day)` yields the day's file block by block, lines of text
    (written with their block's defects) or Parquet tables (`writes_table`), and hands what it delivers on later
    days to `day.later`. In a replay it yields nothing but still hands on what it delivers later."""

    name: str
    generate: Callable[[Day], Iterator[Any]]
    writes_table: bool = False
