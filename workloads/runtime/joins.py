"""Joins stated in their natural direction, with the build side of the hash join chosen in one place.

Transforms write `join(facts, dimension, on, how)`: the table being enriched first, the smaller lookup second, as
in `facts.join(dimension, on, how)`. The hash table is built from the side named second. Spark engines pick the
build side themselves (statistics, adaptive execution), so the order below costs them nothing; the local engine
builds from the physical left input and never swaps inputs (`SAIL_OPTIMIZER__ENABLE_JOIN_SWAP=false`, so its
memory does not depend on how many files a table happens to be written in). So the lookup goes physically left,
with the join type mirrored, and the result keeps the natural column order.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame

MIRRORED = {"inner": "inner", "left": "right", "right": "left", "outer": "outer", "full": "full"}


def join(left: DataFrame, right: DataFrame, on: str | list[str] | Column, how: str = "inner") -> DataFrame:
    """`left.join(right, on, how)`, the hash table built from `right`; the same rows and columns in the same
    order. `on` is column names (kept once, as Spark does) or a condition over columns whose names the two sides do
    not share."""
    if how not in MIRRORED:
        raise ValueError(f"join type {how!r} has no mirror; use DataFrame.join for it")
    joined = right.join(left, on, MIRRORED[how])
    if isinstance(on, Column):
        return joined.select(*left.columns, *right.columns)
    keys = [on] if isinstance(on, str) else on
    return joined.select(
        *keys, *[c for c in left.columns if c not in keys], *[c for c in right.columns if c not in keys]
    )
