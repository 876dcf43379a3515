"""How a task brings its output up to date: the incremental strategies every workload can bind to a declared task.

Each strategy returns the task's run (`TaskContext -> TaskOutcome`); the tables come from the task's declaration
(`ctx.input`, `ctx.output`, `ctx.declaration.inputs`), so what a run reads cannot drift from what the graph knows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.ingest import SourceSpec
from retailflow.workloads.runtime.joins import join
from retailflow.workloads.runtime.latest import Versions, key_range, split_by_keys, upsert_latest, within_range
from retailflow.workloads.runtime.ops import NO_DATE, date_text, log_event_dates, partitions_holding
from retailflow.workloads.runtime.refs import TableRef

TaskRun = Callable[[TaskContext], TaskOutcome]
Build = Callable[..., DataFrame]


def dates_in(df: DataFrame, column: Column | str) -> set[str]:
    """The distinct values of a date column, as partition-log text."""
    value = F.col(column) if isinstance(column, str) else column
    return {date_text(r[0]) for r in df.select(value.alias("d")).distinct().collect()}


def on_dates(column: Column | str, dates: set[str]) -> Column:
    """Rows whose date is one of `dates` (NO_DATE: the rows whose date is null)."""
    value = F.col(column) if isinstance(column, str) else column
    matches = value.cast("string").isin(sorted(d for d in dates if d != NO_DATE))
    return matches | value.isNull() if NO_DATE in dates else matches


def rebuild_all(ctx: TaskContext) -> bool:
    """Rebuild all of the output: a first or full-refresh run, or a stored table whose columns are not its
    contract's (the contract changed since it was written)."""
    output = ctx.output
    if ctx.since is None or not ctx.lake.exists(output):
        return True
    return set(ctx.lake.read(output).columns) != set(ctx.lake.contracts.get(output).column_names)


def union_dates(*parts: set[str] | None) -> set[str] | None:
    """The union of date sets; None (everything) when any part is None."""
    if any(p is None for p in parts):
        return None
    return set().union(*parts)  # type: ignore[arg-type]


def unchanged_or_everything(ctx: TaskContext, ref: TableRef) -> set[str] | None:
    """For an input that is a dimension: no dates when it did not change, else None (rebuild everything)."""
    return set() if ctx.changed(ref) is not None else None


def new_input(ctx: TaskContext, ref: TableRef) -> DataFrame | None:
    """The rows of an input that are new since the task's watermark: a bronze table's newly loaded rows, or the
    replaced partitions of a partitioned table (None: everything may have changed)."""
    if ref.schema == "bronze":
        return ctx.new_rows(ref)
    changed = ctx.changed(ref)
    partitioning = ctx.lake.contracts.get(ref).partition_by
    if changed is None or len(partitioning) != 1:
        return None
    return ctx.read(ref).filter(on_dates(partitioning[0], changed))


def ingest(spec: SourceSpec) -> TaskRun:
    """RAW files of one source into its bronze table, exactly once per file."""

    def run(ctx: TaskContext) -> TaskOutcome:
        result = ctx.ingestor().ingest(spec, ctx.from_date, ctx.to_date, replay=ctx.replay)
        return TaskOutcome(result.rows_in, result.rows_loaded, result.rows_quarantined, len(result.skipped))

    return run


def rebuild(build: Build) -> TaskRun:
    """The output (a small table) rebuilt whole from the declared inputs, `build(*inputs)`, after its checks."""

    def run(ctx: TaskContext) -> TaskOutcome:
        return ctx.write_checked(ctx.output, build(*[ctx.read(ref) for ref in ctx.declaration.inputs]))

    return run


def current_state(build: Callable[[DataFrame], DataFrame], order: str) -> TaskRun:
    """A current-state table (one row per business key) built by `build` from one input. In an incremental run
    only the input's new rows are built, and merged into the stored table by `order` (latest wins), so the run does
    not read the whole input again."""

    def run(ctx: TaskContext) -> TaskOutcome:
        fresh = None if rebuild_all(ctx) else new_input(ctx, ctx.input)
        if fresh is None:
            return ctx.write_checked(ctx.output, build(ctx.read(ctx.input)))
        key_columns = list(ctx.lake.contracts.get(ctx.output).business_key)
        merged = upsert_latest(ctx.read(ctx.output), build(fresh), key_columns, order)
        return ctx.write_checked(ctx.output, merged)

    return run


def event_date_of(column: str) -> Callable[[], Column]:
    return lambda: F.to_date(F.to_timestamp(F.col(column)))


def previous_dates(ctx: TaskContext, fresh: DataFrame) -> set[str]:
    """The partitions where the keys of `fresh` (rows about to be rebuilt) live in the stored output now: a
    correction that moves a record to another date must take it out of its old partition in the same run."""
    contract = ctx.lake.contracts.get(ctx.output)
    (column,) = contract.partition_by
    key = list(contract.business_key)
    if column in key:  # the date is part of the key: a record cannot move to another date
        return set()
    touched = ctx.lake.materialize(fresh.select(*key).distinct())  # read twice: its key range, then its keys
    stored = within_range(ctx.lake.read(ctx.output).select(*key, column), key[0], key_range(touched, key[0]))
    return dates_in(join(stored, touched, key), column)


def without_keys_living_elsewhere(ctx: TaskContext, built: DataFrame, dates: set[str]) -> DataFrame:
    """`built` (the rebuilt dates' rows) without the keys whose stored row lives in a date not rebuilt. Such a key
    got no new version in this run (its date would be rebuilt), so its stored row is its latest, and an older
    version still among a rebuilt date's bronze rows (before a correction moved the record away) must not return."""
    contract = ctx.lake.contracts.get(ctx.output)
    (column,) = contract.partition_by
    key = list(contract.business_key)
    if column in key:
        return built
    built = ctx.lake.materialize(built)  # computed once: its key range, its keys and its rows are read below
    not_rebuilt = F.coalesce(~on_dates(column, dates), F.lit(True))  # a null date is not rebuilt unless NO_DATE is
    stored = within_range(ctx.lake.read(ctx.output).filter(not_rebuilt).select(*key), key[0], key_range(built, key[0]))
    elsewhere = join(stored, built.select(*key), key)
    return built.join(elsewhere, key, "left_anti")


def by_event_date(event_date: Callable[[], Column], build: Callable[[DataFrame], DataFrame]) -> TaskRun:
    """A table partitioned by event date, built from one bronze input: the dates present in newly loaded bronze
    rows are rebuilt, and so are the dates where those rows' keys live now (a correction that moves a record to
    another date leaves its old one), each from every bronze row of that date (so late and out-of-order updates
    land in the right partition). A key's latest version is its stored row's or a new one, and both dates are
    rebuilt, so the rebuild sees both; a key that lives in a date not rebuilt stays there. Which bronze partitions hold which event dates is logged
    (`ops.bronze_event_dates`), so a rebuild reads only those."""

    def pairs(rows: DataFrame) -> DataFrame:
        return rows.select("ingestion_date", event_date().alias("event_date")).distinct()

    def run(ctx: TaskContext) -> TaskOutcome:
        source, output = ctx.input, ctx.output
        rows = ctx.read(source)
        if rebuild_all(ctx):
            outcome = ctx.write_checked(output, build(rows))
            log_event_dates(ctx.lake, source, pairs(rows).collect(), replace=True)
            return outcome
        new_rows = ctx.new_rows(source)
        loaded = [(partition, day) for partition, day in pairs(new_rows).collect()]
        dates = {date_text(d) for _partition, d in loaded}
        if dates:
            dates |= previous_dates(ctx, build(new_rows))
        holding = partitions_holding(ctx.lake, source, dates)
        if holding is None:  # never logged (a lakehouse from before the log): log every bronze partition once
            log_event_dates(ctx.lake, source, pairs(rows).collect(), replace=True)
        else:
            log_event_dates(ctx.lake, source, loaded)
            partitions = set(holding) | {str(p) for p, _d in loaded}
            rows = rows.filter(F.col("ingestion_date").isin([dt.date.fromisoformat(p) for p in sorted(partitions)]))
        built = without_keys_living_elsewhere(ctx, build(rows.filter(on_dates(event_date(), dates))), dates)
        return ctx.write_partitions(output, built, dates)

    return run


def by_latest_version(versions: Versions, build: Callable[[DataFrame], DataFrame]) -> TaskRun:
    """A table of each record's latest version, partitioned by a date of the record, built by `build` from one
    bronze input of many versions per record (an order on every status update). An incremental run rebuilds the
    records whose latest version arrived since the watermark, from their new rows alone (`Versions.newest_in`
    reads only the key and order columns of the older rows), and rewrites the dates those records live in now and
    lived in before, keeping the other stored rows of those dates as they are. A record whose new version is
    quarantined leaves the table, as in a full rebuild; one whose new rows are all older than a stored version
    does not change. Where the day's records span most dates, the dates are still rewritten whole, but from the
    stored rows rather than from every version in bronze (silver orders on a day at scale 10: docs/performance.md)."""

    def run(ctx: TaskContext) -> TaskOutcome:
        source, output = ctx.input, ctx.output
        if rebuild_all(ctx):
            return ctx.write_checked(output, build(ctx.read(source)))
        rows = ctx.read(source)
        new = ctx.loaded_since_watermark()
        changed = ctx.lake.materialize(versions.newest_in(rows.filter(new), rows.filter(~new)))
        built = ctx.lake.materialize(
            build(split_by_keys(versions.keyed(rows.filter(new)), changed, versions.columns)[0])
        )
        (column,) = ctx.lake.contracts.get(output).partition_by
        dates = dates_in(built, column) | previous_dates(ctx, changed)
        stored = ctx.lake.read(output).filter(on_dates(column, dates))
        kept = split_by_keys(stored, changed, versions.columns)[1]
        return ctx.write_partitions(output, built, dates, unchanged=kept)

    return run


def by_changed_dates(date_column: str, build: Build) -> TaskRun:
    """A table rebuilt for the dates its driving input (the first declared input; `date_column` is its date)
    changed; the other inputs are dimensions, and a changed dimension rebuilds everything."""

    def run(ctx: TaskContext) -> TaskOutcome:
        refs = ctx.declaration.inputs
        driving = refs[0]
        frames = [ctx.read(ref) for ref in refs]
        dates = (
            None
            if rebuild_all(ctx)
            else union_dates(ctx.changed(driving), *[unchanged_or_everything(ctx, r) for r in refs[1:]])
        )
        if dates is None:
            return ctx.write_checked(ctx.output, build(*frames))
        frames[0] = frames[0].filter(on_dates(date_column, dates))
        return ctx.write_partitions(ctx.output, build(*frames), dates)

    return run
