"""Data-quality expectations: named rules with an action (warn, drop, quarantine, fail).

Each rule becomes a boolean column (true = the row passes). One aggregation counts passes and failures per rule;
the counts go to `ops.dq_results`; `fail` stops the task with the rule's name and one offending row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from retailflow.workloads.runtime.joins import join
from retailflow.workloads.runtime.latest import KeyRange, repeated_key_hashes, split_by_keys, within_range


class Action(StrEnum):
    WARN = "warn"  # count and keep
    DROP = "drop"  # count and leave out (the row stays in the layer below)
    QUARANTINE = "quarantine"  # count and move to ops.quarantine with the rule as reason
    FAIL = "fail"  # stop the task


class ExpectationFailed(RuntimeError):
    """A `fail` expectation did not hold."""


Reader = Callable[[str], DataFrame]
# A rule is a function of the frame (and the lakehouse reader for references) returning the frame with its
# pass column added; most rules are a plain predicate.
Prepare = Callable[[DataFrame, str, Reader], DataFrame]
# Optionally, a cheaper way to count a rule's failing rows without flagging each row.
CountFailed = Callable[[DataFrame, Reader], int]


@dataclass(frozen=True)
class Expectation:
    name: str
    action: Action
    describe: str
    prepare: Prepare = field(repr=False, compare=False)
    count_failed: CountFailed | None = field(default=None, repr=False, compare=False)
    # A rule about the whole table (a key's uniqueness): on a write of some partitions, it is evaluated on these
    # columns of the written rows together with the rest of the stored table.
    whole_table: tuple[str, ...] = ()


def _predicate(name: str, action: Action, describe: str, predicate: Callable[[], Column]) -> Expectation:
    def prepare(df: DataFrame, column: str, _: Reader) -> DataFrame:
        return df.withColumn(column, F.coalesce(predicate(), F.lit(False)))

    return Expectation(name, action, describe, prepare)


def not_null(column: str, action: Action = Action.QUARANTINE) -> Expectation:
    return _predicate(f"{column}_not_null", action, f"{column} is not null", lambda: F.col(column).isNotNull())


def accepted_values(column: str, values: Sequence[str], action: Action = Action.QUARANTINE) -> Expectation:
    return _predicate(
        f"{column}_accepted_values",
        action,
        f"{column} in {sorted(values)}",
        lambda: F.col(column).isin(list(values)),
    )


def in_range(
    column: str, low: float | None = None, high: float | None = None, action: Action = Action.QUARANTINE
) -> Expectation:
    def predicate() -> Column:
        condition = F.col(column).isNotNull()
        if low is not None:
            condition = condition & (F.col(column) >= F.lit(low))
        if high is not None:
            condition = condition & (F.col(column) <= F.lit(high))
        return condition

    return _predicate(f"{column}_in_range", action, f"{low} <= {column} <= {high}", predicate)


def unique(columns: Sequence[str], action: Action = Action.FAIL) -> Expectation:
    """The key has one row. Counting groups a hash of the key (`latest.repeated_key_hashes`; a tenth of the time of
    a window that carries every column at scale 10), and only the rows of a hash seen more than once are counted
    again by the key itself, so two keys that share a hash never fail the rule; the window flags rows only where
    rows must be told apart (drop, quarantine, or the offending row of a failure)."""
    key = list(columns)

    def prepare(df: DataFrame, column: str, _: Reader) -> DataFrame:
        return df.withColumn(column, F.count(F.lit(1)).over(Window.partitionBy(*key)) == 1)

    def count_failed(df: DataFrame, _: Reader) -> int:
        hashed, repeated = repeated_key_hashes(df.select(*key), key)
        if not repeated.limit(1).collect():
            return 0
        candidates = split_by_keys(hashed, repeated, ["_key_hash"])[0]
        sizes = candidates.groupBy(*key).agg(F.count(F.lit(1)).alias("_rows")).filter(F.col("_rows") > 1)
        return int(sizes.agg(F.sum("_rows")).collect()[0][0] or 0)

    return Expectation(
        f"{'_'.join(key)}_unique", action, f"({', '.join(key)}) is unique", prepare, count_failed, tuple(key)
    )


def references(column: str, table: str, key: str, action: Action = Action.FAIL, growing: bool = False) -> Expectation:
    """Referential integrity: every non-null `column` value exists as `key` in `table` (schema.table).

    `growing`: `table` is a history that gains keys every day (silver orders), and the checked rows (a day's dates)
    hold far fewer values than it has keys. The lookup is then built from the checked rows' distinct values and the
    table's keys only pass through it: its memory follows the day, where hashing every key of the table follows the
    history. Silver payments at scale 10: 3.5-4.2 s against 4.4-4.6 s after 30 days of history, about the same after
    7 (docs/performance.md). A dimension is hashed whole: it is small, and that costs less than finding the distinct
    values of many checked rows (fact sales after 30 days: 4.7-4.8 s with lookups from its rows, 4.1-4.4 s without)."""

    def prepare(df: DataFrame, flag: str, read: Reader) -> DataFrame:
        found = f"_ref_{flag}"
        referenced = read(table).select(F.col(key).alias(found))
        if growing:
            wanted = df.select(F.col(column).alias(found)).distinct()
            keys = join(referenced, wanted, found).distinct()
        else:
            keys = referenced.distinct()
        joined = join(df, keys, df[column] == keys[found], "left").select(*df.columns, found)
        return joined.withColumn(flag, F.col(column).isNull() | F.col(found).isNotNull()).drop(found)

    return Expectation(f"{column}_references_{table.replace('.', '_')}", action, f"{column} in {table}.{key}", prepare)


def _whole_table(
    df: DataFrame,
    rest: DataFrame | None,
    rule: Expectation,
    written_rows: int,
    rest_rows: int,
    bounds: KeyRange | None = None,
) -> DataFrame:
    """What a rule counts over: for a whole-table rule on a partial write, the rule's columns of the written rows
    and of the stored rest of the table; otherwise the written rows. The rest passed the rule when it was written
    (unless the rule only warns), so only its rows that share a key with the written rows can fail it now. Where
    the rest is the larger (a day's dates in a long history), those rows are found with a hash table of the written
    keys instead of grouping the whole table, among the rest's rows whose first key column lies within the written
    rows' `bounds` (`within_range`). Where the rest is the smaller (a day that rewrites most dates), it is counted
    whole with the written rows, which gives the same count (its other keys have a row each) without building that
    table of every written key."""
    if rest is None or not rule.whole_table:
        return df
    columns = list(rule.whole_table)
    written, stored = df.select(*columns), rest.select(*columns)
    if rule.action == Action.WARN or rest_rows <= written_rows:  # a warn rule's rest may repeat keys of its own
        return written.unionByName(stored)
    if bounds is not None:
        stored = within_range(stored, columns[0], bounds)
    sharing, _others = split_by_keys(stored, written.distinct(), columns)
    return written.unionByName(sharing)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    action: str
    passed: int
    failed: int


@dataclass
class Checked:
    """The outcome of applying a table's expectations to a frame."""

    kept: DataFrame  # rows to write (warn failures included, drop/quarantine failures left out)
    quarantined: DataFrame  # rows failing a quarantine rule, with `_reason` naming the rule(s)
    results: list[RuleResult]
    null_counts: dict[str, int] | None = None  # per `count_nulls` column, the kept rows holding null in it


def apply_expectations(
    df: DataFrame,
    expectations: Sequence[Expectation],
    table: str,
    read: Reader,
    count_nulls: Sequence[str] = (),
    rest: DataFrame | None = None,
) -> Checked:
    """Evaluate `expectations` on `df`: counts per rule, a failing `fail` rule raised, drop and quarantine rules
    applied. The nulls of `count_nulls` (a contract's NOT NULL columns) among the kept rows are counted in the
    same aggregation, so the write need not count them again. `rest`: the stored rows `df` does not replace (a
    write of some partitions); whole-table rules that keep rows (uniqueness, warn or fail) count over both."""
    nothing_quarantined = df.limit(0).withColumn("_reason", F.lit(""))
    if not expectations:
        return Checked(df, nothing_quarantined, [])
    rules = [(rule, f"_dq_{i}") for i, rule in enumerate(expectations)]
    dropping = [(rule, f) for rule, f in rules if rule.action in (Action.DROP, Action.QUARANTINE)]
    keep = F.lit(True)
    for _rule, f in dropping:
        keep = keep & F.col(f)
    # Rules that keep every row (warn, fail) and can count their failures do so on their own; the others are
    # counted together in one aggregation over their flags.
    counters = {
        f: rule.count_failed
        for rule, f in rules
        if rule.count_failed is not None and rule.action in (Action.WARN, Action.FAIL)
    }
    flagged_rules = [(rule, f) for rule, f in rules if f not in counters]
    flagged = _flag(df, flagged_rules, read)
    nulls = {name: f"_null_{i}" for i, name in enumerate(count_nulls)}
    whole = [f for rule, f in rules if f in counters and rule.whole_table] if rest is not None else []
    # The written rows' least and greatest first key column of each whole-table rule that may count only the rest's
    # rows sharing a key with them (`_whole_table`'s bounds).
    firsts = {f: rule.whole_table[0] for rule, f in rules if f in whole and rule.action != Action.WARN}
    totals = flagged.agg(
        F.count(F.lit(1)).alias("rows"),
        *[F.sum(F.when(F.col(f), 0).otherwise(1)).alias(f) for _rule, f in flagged_rules],
        *[F.sum(F.when(keep & F.col(name).isNull(), 1).otherwise(0)).alias(alias) for name, alias in nulls.items()],
        *[F.min(column).alias(f"{f}_low") for f, column in firsts.items()],
        *[F.max(column).alias(f"{f}_high") for f, column in firsts.items()],
    ).collect()[0]
    null_counts = {name: int(totals[alias] or 0) for name, alias in nulls.items()}
    failed = {f: int(totals[f] or 0) for _rule, f in flagged_rules}
    written_rows = int(totals["rows"])
    rest_rows = rest.count() if whole and rest is not None else 0
    bounds = {f: (totals[f"{f}_low"], totals[f"{f}_high"]) for f in firsts}
    scopes = {
        f: _whole_table(df, rest, rule, written_rows, rest_rows, bounds.get(f)) for rule, f in rules if f in counters
    }
    failed.update({f: count(scopes[f], read) for f, count in counters.items()})
    rows = {f: written_rows for _rule, f in rules}
    rows.update({f: written_rows + rest_rows for f in whole})
    results = [RuleResult(rule.name, rule.action.value, rows[f] - failed[f], failed[f]) for rule, f in rules]
    for (rule, f), result in zip(rules, results, strict=True):
        if rule.action == Action.FAIL and result.failed:
            offending = _flag(scopes.get(f, df), [(rule, f)], read).filter(~F.col(f)).drop(f)
            row = offending.limit(1).collect()[0].asDict()
            raise ExpectationFailed(
                f"expectation {rule.name!r} ({rule.describe}) failed on {table}: {result.failed} row(s); "
                f"first: {json.dumps(row, default=str, sort_keys=True)}"
            )
    # Where no row fails a drop or quarantine rule, every row is kept as it is: the frame is neither filtered nor
    # computed again for its write. Otherwise the kept and quarantined rows are selected with those rules only: warn
    # and fail rules (a join per reference) are not evaluated again when the kept rows are written.
    if not any(failed[f] for _rule, f in dropping):
        return Checked(df, nothing_quarantined, results, null_counts)
    flagged = _flag(df, dropping, read)
    quarantining = [(rule, f) for rule, f in dropping if rule.action == Action.QUARANTINE]
    quarantine_condition = F.lit(False)
    for _rule, f in quarantining:
        quarantine_condition = quarantine_condition | ~F.col(f)
    reasons = F.concat_ws(
        "; ",
        *[F.when(~F.col(f), F.lit(f"expectation {rule.name} failed ({rule.describe})")) for rule, f in quarantining],
    )
    flags = [f for _rule, f in dropping]
    kept = flagged.filter(keep).drop(*flags)
    quarantined = flagged.filter(quarantine_condition).withColumn("_reason", reasons).drop(*flags)
    return Checked(kept, quarantined, results, null_counts)


def _flag(df: DataFrame, rules: Sequence[tuple[Expectation, str]], read: Reader) -> DataFrame:
    """`df` with a boolean column per rule (named by the pair), true where the row passes."""
    for rule, flag in rules:
        df = rule.prepare(df, flag, read)
    return df
