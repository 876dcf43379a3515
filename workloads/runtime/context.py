"""What a task is given (the lakehouse, the engine's capabilities, the RAW root, the date range) and returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.runtime.engine import Capabilities
from retailflow.workloads.runtime.expectations import Checked, Expectation, apply_expectations
from retailflow.workloads.runtime.graph import Task
from retailflow.workloads.runtime.ingest import MAX_BATCH_BYTES, Ingestor
from retailflow.workloads.runtime.ops import (
    EVERYTHING,
    NO_DATE,
    QUARANTINE,
    changed_partitions,
    date_literals,
    last_success_started,
    log_partitions,
    record_dq_results,
    utcnow,
)
from retailflow.workloads.runtime.refs import TableRef
from retailflow.workloads.runtime.secrets import SecretStore
from retailflow.workloads.runtime.tables import Lakehouse


@dataclass
class TaskOutcome:
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    paths_skipped: int = 0  # RAW paths that are not data files (each logged with its reason)

    def __add__(self, other: TaskOutcome) -> TaskOutcome:
        return TaskOutcome(
            self.rows_in + other.rows_in,
            self.rows_out + other.rows_out,
            self.rows_quarantined + other.rows_quarantined,
            self.paths_skipped + other.paths_skipped,
        )


class UndeclaredRead(LookupError):
    """A task read a table its declaration does not name (so the graph would not order it after the writer)."""


@dataclass(frozen=True)
class RunOptions:
    """What every task of one run shares: the Databricks job and the local runner build contexts from it."""

    raw_root: Path
    run_id: str
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    replay: bool = False
    max_line_bytes: int = 1 << 20
    max_batch_bytes: int = MAX_BATCH_BYTES
    full_refresh: bool = False
    access_rules: str | None = None  # runtime.access.AccessRules as JSON, for the governance task
    landing: str | None = None  # runtime.landing_task.LandingSettings as JSON, for the landing tasks
    secrets: SecretStore | None = None  # where the landing tasks read their sources' credentials
    # Every task's watermark, when the caller read them all at once before the run (else read when needed).
    watermarks: Mapping[str, dt.datetime] | None = None

    def context(self, lake: Lakehouse, capabilities: Capabilities, declaration: Task) -> TaskContext:
        return TaskContext(lake, capabilities, declaration, **{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass
class TaskContext:
    lake: Lakehouse
    capabilities: Capabilities
    declaration: Task
    raw_root: Path
    run_id: str
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    replay: bool = False
    max_line_bytes: int = 1 << 20
    max_batch_bytes: int = MAX_BATCH_BYTES
    full_refresh: bool = False
    access_rules: str | None = None
    landing: str | None = None
    secrets: SecretStore | None = None
    watermarks: Mapping[str, dt.datetime] | None = None
    _since: dt.datetime | None = None
    _since_known: bool = False
    _changes: dict[str, set[str]] | None = None  # partition log since the watermark, read once per task

    @property
    def task(self) -> str:
        return self.declaration.key

    @property
    def output(self) -> TableRef:
        """The task's (first) declared output."""
        return self.declaration.outputs[0]

    @property
    def input(self) -> TableRef:
        """The task's (first) declared input."""
        return self.declaration.inputs[0]

    @property
    def since(self) -> dt.datetime | None:
        """The task's watermark: when its last successful run started (None: rebuild everything)."""
        if self.full_refresh:
            return None
        if not self._since_known:
            known = self.watermarks
            self._since = known.get(self.task) if known is not None else last_success_started(self.lake, self.task)
            self._since_known = True
        return self._since

    def loaded_since_watermark(self) -> Column:
        """True for a bronze row loaded since the watermark (its batch's `_ingestion_ts`)."""
        assert self.since is not None
        return F.col("_ingestion_ts") > F.lit(self.since)

    def new_rows(self, ref: TableRef) -> DataFrame:
        """Rows of a bronze table loaded since the watermark."""
        return self.read(ref).filter(self.loaded_since_watermark())

    def changed(self, ref: TableRef) -> set[str] | None:
        """Partition values of an input replaced since the watermark; None when the whole input changed."""
        if self.since is None:
            return None
        if self._changes is None:
            self._changes = changed_partitions(self.lake, self.since)
        values = self._changes[str(ref)]
        return None if EVERYTHING in values else set(values)

    def read(self, table: str | TableRef) -> DataFrame:
        """A table the task's declaration names (an input, or an output it reads back)."""
        ref = table if isinstance(table, TableRef) else TableRef.parse(table)
        if not self.declaration.may_read(ref):
            declared = ", ".join(map(str, self.declaration.inputs)) or "none"
            raise UndeclaredRead(f"task {self.task} reads {ref}, which it does not declare (its inputs: {declared})")
        return self.lake.read(ref)

    def ingestor(self) -> Ingestor:
        return Ingestor(self.lake, self.raw_root, self.run_id, self.max_line_bytes, self.max_batch_bytes)

    def check(
        self,
        df: DataFrame,
        ref: TableRef,
        expectations: tuple[Expectation, ...] | None = None,
        rest: DataFrame | None = None,
    ) -> Checked:
        """Apply the table's expectations (from its contract, unless given), record the results, quarantine rows.
        `rest`: the stored rows a partial write keeps, which whole-table rules (uniqueness) count with `df`."""
        contract = self.lake.contracts.get(ref)
        rules = contract.expectations if expectations is None else expectations
        checked = apply_expectations(df, rules, str(ref), self.read, contract.required, rest)
        record_dq_results(self.lake, self.run_id, self.task, str(ref), checked.results)
        if any(r.failed for r in checked.results if r.action == "quarantine"):
            rows = checked.quarantined.select(
                F.lit(ref.name).alias("source"),
                F.lit(ref.schema).alias("layer"),
                F.lit(self.run_id).alias("batch_id"),
                F.lit(None).cast("string").alias("source_file"),
                F.to_json(F.struct(*[F.col(c) for c in checked.quarantined.columns if c != "_reason"])).alias("raw"),
                F.col("_reason").alias("reason"),
                F.lit(self.run_id).alias("run_id"),
                F.lit(utcnow()).cast("timestamp").alias("quarantined_at"),
            )
            self.lake.write(QUARANTINE, rows)
        return checked

    def _checked_for_write(
        self, ref: TableRef, df: DataFrame, rest: DataFrame | None = None
    ) -> tuple[Checked, DataFrame]:
        """`df` computed once and checked, and the rows to write. A partitioned write reads them once per partition
        value (`tables.by_literal_partition`), so where rules dropped rows the kept ones are computed once too
        rather than flagged again for each value."""
        frame = self.lake.materialize(df)
        checked = self.check(frame, ref, rest=rest)
        if checked.kept is frame or not self.lake.contracts.get(ref).partition_by:
            return checked, checked.kept
        return checked, self.lake.materialize(checked.kept)

    def write_checked(self, ref: TableRef, df: DataFrame, rows_in: int | None = None) -> TaskOutcome:
        """Check expectations, then overwrite `ref` with the kept rows; counts come from the written table. In an
        incremental run a rebuild with the same content is not written; a changed one is logged as a change of
        the whole table."""
        checked, kept = self._checked_for_write(ref, df)
        kept = kept.select(*self.lake.contracts.get(ref).column_names)
        incremental = self.since is not None and self.lake.exists(ref)
        unchanged = incremental and self._fingerprint(kept) == self._fingerprint(self.lake.read(ref))
        if not unchanged:
            self.lake.write(ref, kept, mode="overwrite", null_counts=checked.null_counts)
            log_partitions(self.lake, self.run_id, self.task, ref, [EVERYTHING])
        written = self.lake.read(ref).count()
        quarantined = sum(r.failed for r in checked.results if r.action == "quarantine")
        return TaskOutcome(rows_in if rows_in is not None else written + quarantined, written, quarantined)

    def write_partitions(
        self, ref: TableRef, df: DataFrame, dates: set[str] | None, unchanged: DataFrame | None = None
    ) -> TaskOutcome:
        """Replace only the given values of the table's (single, date) partition column, or everything when
        `dates` is None; log what was replaced so downstream tasks can follow. `unchanged`: stored rows of those
        dates written back as they are, not checked again (they passed when first written), but counted with the
        rest of the table by whole-table rules."""
        if dates is None:
            return self.write_checked(ref, df)
        (column,) = self.lake.contracts.get(ref).partition_by
        if not dates:
            return TaskOutcome()
        literals = date_literals(d for d in dates if d != NO_DATE)
        condition = " OR ".join(
            [f"`{column}` IN ({literals})"] * bool(literals) + [f"`{column}` IS NULL"] * (NO_DATE in dates)
        )
        # A key must be unique in the whole table, not only in the partitions rewritten.
        rest = (
            self.lake.read(ref).filter(~F.coalesce(F.expr(condition), F.lit(False))) if self.lake.exists(ref) else None
        )
        if unchanged is not None:
            unchanged = unchanged.select(*self.lake.contracts.get(ref).column_names)
            rest = unchanged if rest is None else rest.unionByName(unchanged)
        checked, kept = self._checked_for_write(ref, df, rest)
        if unchanged is not None:
            # The stored rows hold no null where the contract forbids one, so the written rows' counts stand.
            kept = kept.select(*unchanged.columns).unionByName(unchanged)
        self.lake.write(ref, kept, mode="overwrite", replace_where=condition, null_counts=checked.null_counts)
        log_partitions(self.lake, self.run_id, self.task, ref, sorted(dates))
        written = self.lake.read(ref).filter(condition).count()
        quarantined = sum(r.failed for r in checked.results if r.action == "quarantine")
        return TaskOutcome(written + quarantined, written, quarantined)

    @staticmethod
    def _fingerprint(df: DataFrame) -> tuple[int, int]:
        """Row count and an order-independent hash of every row."""
        digest = F.xxhash64(*df.columns).cast("decimal(38,0)")
        row = df.agg(F.count(F.lit(1)).alias("n"), F.sum(digest).alias("h")).collect()[0]
        return int(row["n"]), int(row["h"] or 0)
