"""What a task is given (the lakehouse, the engine's capabilities, the RAW root, the date range) and returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from retailflow.workloads.runtime.engine import Capabilities
from retailflow.workloads.runtime.expectations import Checked, Expectation, apply_expectations
from retailflow.workloads.runtime.ingest import Ingestor
from retailflow.workloads.runtime.ops import QUARANTINE, record_dq_results, utcnow
from retailflow.workloads.runtime.tables import Lakehouse, TableRef


@dataclass
class TaskOutcome:
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0

    def __add__(self, other: TaskOutcome) -> TaskOutcome:
        return TaskOutcome(
            self.rows_in + other.rows_in,
            self.rows_out + other.rows_out,
            self.rows_quarantined + other.rows_quarantined,
        )


@dataclass
class TaskContext:
    lake: Lakehouse
    capabilities: Capabilities
    raw_root: Path
    run_id: str
    task: str
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    replay: bool = False
    max_line_bytes: int = 1 << 20

    def read(self, table: str | TableRef) -> DataFrame:
        ref = table if isinstance(table, TableRef) else TableRef.parse(table)
        return self.lake.read(ref)

    def ingestor(self) -> Ingestor:
        return Ingestor(self.lake, self.raw_root, self.run_id, self.max_line_bytes)

    def check(self, df: DataFrame, ref: TableRef, expectations: tuple[Expectation, ...] | None = None) -> Checked:
        """Apply the table's expectations (from its contract, unless given), record the results, quarantine rows."""
        rules = self.lake.contracts.get(ref).expectations if expectations is None else expectations
        checked = apply_expectations(df, rules, str(ref), self.read)
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

    def write_checked(self, ref: TableRef, df: DataFrame, rows_in: int | None = None) -> TaskOutcome:
        """Check expectations, then overwrite `ref` with the kept rows; counts come from the written table."""
        checked = self.check(df, ref)
        self.lake.write(ref, checked.kept, mode="overwrite")
        written = self.lake.read(ref).count()
        quarantined = sum(r.failed for r in checked.results if r.action == "quarantine")
        return TaskOutcome(rows_in if rows_in is not None else written + quarantined, written, quarantined)
