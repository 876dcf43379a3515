"""The latest row per business key, the ways the layers need it: from a batch (`latest`), from sources that send
many versions per key (`latest_version`, `Versions`) or rarely repeat a key (`latest_event`), and a stored current
state updated with newer rows (`upsert_latest`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.runtime.group_window import GroupWindow
from retailflow.workloads.runtime.joins import join


def first_per_group(df: DataFrame, group: list[Column], order: list[Column]) -> DataFrame:
    """The first row of each group by `order` (`GroupWindow`: the window form the engine runs well)."""
    return GroupWindow.of(df, group, order).first_rows(df)


def latest(df: DataFrame, key: list[str], order: list[Column]) -> DataFrame:
    """One row per key: the last by `order` (ties broken by the bronze batch, then the source file)."""
    last_first = [*[o.desc() for o in order], F.col("_ingestion_ts").desc(), F.col("_source_file").desc()]
    return first_per_group(df, [F.col(k) for k in key], last_first)


def renamed_keys(keys: DataFrame, key: list[str], prefix: str) -> DataFrame:
    """`keys` with its key columns renamed `<prefix>_<i>`, so a join back to the rows they came from is unambiguous."""
    others = [c for c in keys.columns if c not in key]
    return keys.select(*[F.col(k).alias(f"{prefix}_{i}") for i, k in enumerate(key)], *others)


def same_key(df: DataFrame, keys: DataFrame, key: list[str], prefix: str) -> Column:
    """`df`'s key equals `keys`' renamed one, null-safe: a null key matches a null key, as it groups with one."""
    return reduce(Column.__and__, [df[k].eqNullSafe(keys[f"{prefix}_{i}"]) for i, k in enumerate(key)])


def split_by_keys(df: DataFrame, keys: DataFrame, key: list[str]) -> tuple[DataFrame, DataFrame]:
    """`df`'s rows whose key is among `keys` (few, distinct key rows), and the others."""
    marked_keys = renamed_keys(keys.select(*key), key, "_in").withColumn("_in", F.lit(True))
    marked = join(df, marked_keys, same_key(df, marked_keys, key, "_in"), "left")
    return (
        marked.filter(F.col("_in")).select(*df.columns),
        marked.filter(F.col("_in").isNull()).select(*df.columns),
    )


KeyRange = tuple[Any, Any]


def key_range(keys: DataFrame, column: str) -> KeyRange:
    """The least and greatest value of `column` in `keys` ((None, None): no row, or only nulls)."""
    low, high = keys.agg(F.min(column), F.max(column)).collect()[0]
    return low, high


def within_range(df: DataFrame, column: str, bounds: KeyRange) -> DataFrame:
    """`df`'s rows whose `column` lies within `bounds` (a `key_range`) or is null: the only rows that can share a
    key whose first column is `column` with the keys the bounds were taken from (a null key matches a null one in
    `split_by_keys`). Keys that grow with time (orders, events) leave the older dates' rows outside, which a day's
    lookups then no longer join (measured in docs/performance.md)."""
    low, high = bounds
    value = F.col(column)
    return df.filter(value.isNull() if low is None else value.isNull() | value.between(low, high))


def latest_version(df: DataFrame, key: list[str], order: Column) -> DataFrame:
    """`latest` for a source that sends many versions of each record (an order per status update, a store on
    every sale): the rows are first narrowed to those holding their key's greatest `order` (an aggregate of the key
    and `order` only, joined back), so the window sorts about one row per key instead of every version (measured
    in docs/performance.md). Where keys rarely repeat, the narrowing
    costs more than it saves: see `latest_event`."""
    marked = df.withColumn("_order", order)
    best = renamed_keys(marked.groupBy(*key).agg(F.max("_order").alias("_best_order")), key, "_best")
    # Null-safe: a key whose every `order` is null keeps those rows, as the window alone (nulls last) would.
    on = same_key(marked, best, key, "_best") & marked["_order"].eqNullSafe(best["_best_order"])
    candidates = join(marked, best, on).select(*df.columns, "_order")
    return latest(candidates, key, [F.col("_order")]).drop("_order")


def key_hash(key: list[str]) -> Column:
    """A 64-bit hash of the key columns: grouping by it holds a long per key instead of the key's values (a third of
    the time and half the memory for silver clickstream's event ids at scale 10, docs/performance.md). Two keys may
    share a hash, so it only narrows where rows are compared by the key itself."""
    return F.xxhash64(*[F.col(k) for k in key])


def repeated_key_hashes(df: DataFrame, key: list[str]) -> tuple[DataFrame, DataFrame]:
    """`df` with its key's hash as `_key_hash`, and the hashes seen more than once in it (a narrow aggregate): the
    rows of those hashes hold every repeated key, and perhaps keys that only share a hash with another."""
    hashed = df.withColumn("_key_hash", key_hash(key))
    return hashed, hashed.groupBy("_key_hash").count().filter(F.col("count") > 1).select("_key_hash")


def one_per_key(df: DataFrame, key: list[str], pick: Callable[[DataFrame], DataFrame]) -> DataFrame:
    """One row per key where keys rarely repeat: the key hashes seen more than once are found first, the rows of the
    others pass as they are, and `pick` (a window by the key itself) chooses among the rows of a repeated hash only,
    so two keys that share a hash each keep their row."""
    hashed, repeated = repeated_key_hashes(df, key)
    repeats, once = split_by_keys(hashed, repeated, ["_key_hash"])
    return once.drop("_key_hash").unionByName(pick(repeats.drop("_key_hash")))


def latest_event(df: DataFrame, key: list[str], order: list[Column]) -> DataFrame:
    """`latest` for events, whose key repeats only when an event is delivered more than once (`one_per_key`)."""
    return one_per_key(df, key, lambda rows: latest(rows, key, order))


def upsert_latest(current: DataFrame, candidates: DataFrame, key: list[str], order: str) -> DataFrame:
    """A current-state table updated with candidate rows: per key, the row with the greatest `order` wins, and a
    candidate wins a tie (candidates come from a later batch, which wins ties in a full rebuild too). Only the keys
    the candidates touch are ranked; the other current rows pass as they are."""
    contenders, untouched = split_by_keys(current, candidates.select(*key).distinct(), key)
    both = contenders.withColumn("_candidate", F.lit(0)).unionByName(candidates.withColumn("_candidate", F.lit(1)))
    winners = first_per_group(both, [F.col(k) for k in key], [F.col(order).desc(), F.col("_candidate").desc()])
    return untouched.unionByName(winners.drop("_candidate"))


@dataclass(frozen=True)
class Versions:
    """How a source's rows are versions of its records: the business key, normalised from the raw columns (so
    ` o-1` and `o-1` are one key), and the order that makes a version later. The latest version wins, a tie going
    to the later batch, then the later file (`latest`)."""

    key: tuple[tuple[str, Callable[[], Column]], ...]
    order: Callable[[], Column]

    @property
    def columns(self) -> list[str]:
        return [name for name, _value in self.key]

    def keyed(self, df: DataFrame) -> DataFrame:
        for name, value in self.key:
            df = df.withColumn(name, value())
        return df

    def latest(self, df: DataFrame) -> DataFrame:
        """Each key's latest version (raw columns, the key normalised)."""
        return latest_version(self.keyed(df), self.columns, self.order())

    def newest_in(self, new: DataFrame, old: DataFrame) -> DataFrame:
        """The keys (distinct, normalised) whose latest version is among `new` rather than `old` rows, where
        every `new` row belongs to a later batch than every `old` one: a key's greatest new order at least its
        greatest old one (the later batch wins the tie), nulls ordered first as the window orders them last. Of
        `old`, every row's key is normalised, but the order is computed only for the rows of the keys `new` holds:
        computing it first for every older version (a timestamp parsed per row) grew with the history (silver orders
        on the day after 30 days at scale 10: 3.2-3.6 s against 3.8-4.1 s, docs/performance.md)."""
        key = self.columns

        def greatest(rows: DataFrame, alias: str) -> DataFrame:
            return rows.groupBy(*key).agg(F.max(self.order()).alias(alias))

        best_new = greatest(self.keyed(new), "_new")
        best_old = renamed_keys(greatest(split_by_keys(self.keyed(old), best_new, key)[0], "_old"), key, "_o")
        compared = join(best_new, best_old, same_key(best_new, best_old, key, "_o"), "left")
        newer = F.col("_old").isNull() | F.coalesce(F.col("_new") >= F.col("_old"), F.lit(False))
        return compared.filter(newer).select(*key)
