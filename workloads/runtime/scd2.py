"""Slowly changing dimension type 2, written with SQL `MERGE INTO` (the delta-spark DeltaTable API is not available
on every engine) or by replacing the table.

For the keys a batch touches, the existing versions and the new changes are merged into one ordered history by the
sequence column; consecutive versions with the same tracked attributes collapse into one. The target then gets
exactly that history: in one MERGE (new versions inserted, changed validity updated, superseded versions deleted),
or, on an engine whose MERGE rewrites every file it touches, by writing the untouched keys' rows and the rebuilt
histories as the new version of the table. A day's changes are spread over the whole dimension, so they touch every
file: the MERGE rewrites the table anyway, and its join of target and source costs 3x the plain rewrite (scale 10).
Out-of-order and late changes land in the right place; re-applying the same changes changes nothing; each key has
exactly one current row and non-overlapping validity intervals. Surrogate keys are a hash of the business key and
the version's start, so they are stable across reruns.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.runtime.group_window import GroupWindow
from retailflow.workloads.runtime.joins import join
from retailflow.workloads.runtime.latest import first_per_group, one_per_key
from retailflow.workloads.runtime.refs import TableRef
from retailflow.workloads.runtime.tables import Lakehouse


@dataclass(frozen=True)
class Scd2Spec:
    key: tuple[str, ...]
    tracked: tuple[str, ...]
    sequence: str  # orders the changes of a key (e.g. updated_at)
    surrogate_key: str
    attributes: tuple[str, ...] = ()  # carried with each version, not versioned on

    @property
    def change_columns(self) -> list[str]:
        return [*self.key, *self.tracked, *self.attributes, self.sequence]

    @property
    def dimension_columns(self) -> list[str]:
        return [self.surrogate_key, *self.key, *self.tracked, *self.attributes, "valid_from", "valid_to", "is_current"]


def build_history(changes: DataFrame, spec: Scd2Spec) -> DataFrame:
    """Changes (key, tracked, attributes, sequence) -> versions with validity, current flag and surrogate key."""
    key = [F.col(k) for k in spec.key]
    by_attributes = [F.col(c).asc_nulls_last() for c in (*spec.tracked, *spec.attributes)]

    def first_by_attributes(rows: DataFrame) -> DataFrame:
        return first_per_group(rows, [*key, F.col(spec.sequence)], by_attributes)

    # A key rarely has two changes at one time, so only those are ranked: every window pass over the changes costs
    # about a second at scale 10 on the local engine (docs/performance.md).
    deduped = one_per_key(changes.select(*spec.change_columns), [*spec.key, spec.sequence], first_by_attributes)
    signature = F.sha2(F.to_json(F.struct(*[F.col(c) for c in spec.tracked])), 256)
    ordered = GroupWindow.of(deduped, key, [F.col(spec.sequence)])
    versions = (
        deduped.withColumn("_signature", signature)
        .withColumn("_previous", ordered.previous(F.col("_signature")))
        .filter(F.col("_previous").isNull() | (F.col("_previous") != F.col("_signature")))
        .drop("_previous", "_signature")
    )
    valid_to = ordered.next(F.col(spec.sequence))
    return versions.select(
        F.xxhash64(
            F.concat_ws("|", *[F.col(k).cast("string") for k in spec.key], F.col(spec.sequence).cast("string"))
        ).alias(spec.surrogate_key),
        *spec.key,
        *spec.tracked,
        *spec.attributes,
        F.col(spec.sequence).alias("valid_from"),
        valid_to.alias("valid_to"),
        valid_to.isNull().alias("is_current"),
    )


def apply_scd2(
    lake: Lakehouse, ref: TableRef, changes: DataFrame, spec: Scd2Spec, rebuild: bool = False, merge: bool = True
) -> None:
    """Apply `changes` to the SCD2 dimension `ref`: with `merge`, in a MERGE; without, by replacing the table with
    its untouched keys' rows and the touched keys' rebuilt histories. With `rebuild` (or no table yet), replace it
    with the history of `changes` alone."""
    if rebuild or not lake.exists(ref):
        # Computed once: the contract's NOT NULL check and the write would each compute the history.
        lake.write(ref, lake.materialize(build_history(changes, spec)), mode="overwrite")
        return
    if not changes.limit(1).collect():  # nothing to apply: no new version of the table
        return
    target = lake.read(ref)
    touched = changes.select(*spec.key).distinct()
    # An inner join with the (distinct) touched keys rather than a semi join: its hash table holds the keys only.
    existing = join(target, touched, list(spec.key)).select(*target.columns)
    as_changes = existing.select(*spec.key, *spec.tracked, *spec.attributes, F.col("valid_from").alias(spec.sequence))
    rebuilt = build_history(as_changes.unionByName(changes.select(*spec.change_columns)), spec)
    columns = spec.dimension_columns
    if not merge:
        untouched = join(target, touched.withColumn("_touched", F.lit(True)), list(spec.key), "left").filter(
            F.col("_touched").isNull()
        )
        rebuilt = lake.materialize(rebuilt)  # read by the contract check and by the write
        lake.write(ref, untouched.select(*columns).unionByName(rebuilt.select(*columns)), mode="overwrite")
        return
    superseded = existing.join(rebuilt.select(spec.surrogate_key), [spec.surrogate_key], "left_anti")
    source = rebuilt.withColumn("_merge_delete", F.lit(False)).unionByName(
        superseded.select(*columns).withColumn("_merge_delete", F.lit(True))
    )
    sk = spec.surrogate_key

    def statement(target_name: str, view: str) -> str:
        return (
            f"MERGE INTO {target_name} AS t USING {view} AS s ON t.{sk} = s.{sk} "
            "WHEN MATCHED AND s._merge_delete THEN DELETE "
            "WHEN MATCHED AND NOT (t.valid_to <=> s.valid_to AND t.is_current <=> s.is_current) "
            "THEN UPDATE SET t.valid_to = s.valid_to, t.is_current = s.is_current "
            f"WHEN NOT MATCHED AND NOT s._merge_delete THEN INSERT ({', '.join(columns)}) "
            f"VALUES ({', '.join('s.' + c for c in columns)})"
        )

    lake.merge(ref, source, statement)
