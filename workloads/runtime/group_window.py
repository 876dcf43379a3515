"""Windows over the rows of each group (a business key), in the form the engine runs well.

A window partitioned by a business key has one window partition per key. Spark runs that well; the local engine pays
for each partition: over silver orders' 1.165M candidate rows at scale 10, the `row_number` of their key took 1.1-2.4 s
more than the same window over 256 to 8,192 buckets of keys (docs/performance.md, ADR 0014). An engine whose sessions
set `GROUP_BUCKETS` (the local one) therefore gets windows partitioned by a hash bucket of the key and ordered by the
key first: a key's rows lie next to each other in its bucket, so the row before (or after) a row is of its group when
its key is equal, nulls equal. Either form gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window, WindowSpec

# A session setting: how many hash buckets of the key a group window is partitioned by (unset: one partition per key).
GROUP_BUCKETS = "retailflow.window.groupBuckets"


def group_buckets(df: DataFrame) -> int | None:
    """The bucket count `df`'s session sets (`GROUP_BUCKETS`), or None."""
    value = df.sparkSession.conf.get(GROUP_BUCKETS, None)
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"session setting {GROUP_BUCKETS}: {value!r} is not a positive whole number of buckets")
    return int(value)


@dataclass(frozen=True)
class GroupWindow:
    """The rows of each group of `group`, in `order` (`of` builds it for a frame)."""

    group: tuple[Column, ...]
    order: tuple[Column, ...]
    buckets: int | None

    @classmethod
    def of(cls, df: DataFrame, group: list[Column], order: list[Column]) -> GroupWindow:
        return cls(tuple(group), tuple(order), group_buckets(df))

    @property
    def spec(self) -> WindowSpec:
        if self.buckets is None:
            return Window.partitionBy(*self.group).orderBy(*self.order)
        bucket = F.pmod(F.xxhash64(*self.group), F.lit(self.buckets))
        return Window.partitionBy(bucket).orderBy(*self.group, *self.order)

    def _shifted(self, value: Column, offset: int) -> Column:
        """`value` of the row `offset` rows away in the window (-1: before, 1: after), whatever its group."""
        shift = F.lag if offset < 0 else F.lead
        return shift(value, abs(offset)).over(self.spec)

    def _same_group(self, offset: int) -> Column:
        """The row `offset` rows away is of this row's group (bucketed form only)."""
        return reduce(Column.__and__, [self._shifted(g, offset).eqNullSafe(g) for g in self.group])

    def _neighbour(self, value: Column, offset: int) -> Column:
        """`value` of the row `offset` rows away in the same group; null where that row is of another group."""
        shifted = self._shifted(value, offset)
        return shifted if self.buckets is None else F.when(self._same_group(offset), shifted)

    def previous(self, value: Column) -> Column:
        """`value` of the row before in the same group; null for a group's first row."""
        return self._neighbour(value, -1)

    def next(self, value: Column) -> Column:
        """`value` of the row after in the same group; null for a group's last row."""
        return self._neighbour(value, 1)

    def first_rows(self, df: DataFrame) -> DataFrame:
        """The first row of each group. Unbucketed, a `row_number` kept at `== 1`, as Spark limits such a window per
        group; the local engine's top-N rule, which takes only `<= 1`, would hold every group's first row in memory
        unspilled (over silver orders' keys it ran out of the pool). Bucketed, the rows with no row of their group
        before them."""
        if self.buckets is None:
            ranked = df.withColumn("_rank", F.row_number().over(self.spec))
            return ranked.filter(F.col("_rank") == 1).drop("_rank")
        follows = df.withColumn("_follows", self.previous(F.lit(True)).isNotNull())
        return follows.filter(~F.col("_follows")).drop("_follows")
