"""The `ops` schema: the ingest ledger, quarantine, data-quality results and the run log.

Metrics are computed from the data (counts of what was written), never from what MERGE reports.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DateType, DoubleType, LongType, StringType, TimestampType

from retailflow.workloads.runtime.contracts import Column, TableContract
from retailflow.workloads.runtime.expectations import RuleResult
from retailflow.workloads.runtime.refs import TableRef
from retailflow.workloads.runtime.tables import Lakehouse

LEDGER = TableRef("ops", "ingest_ledger")
QUARANTINE = TableRef("ops", "quarantine")
DQ_RESULTS = TableRef("ops", "dq_results")
RUN_LOG = TableRef("ops", "run_log")
ACCESS_LOG = TableRef("ops", "access_log")
LANDING_LOG = TableRef("ops", "landing_log")
LANDED_FILES = TableRef("ops", "landed_files")
PARTITION_LOG = TableRef("ops", "partition_log")
EVENT_DATES = TableRef("ops", "bronze_event_dates")
EVERYTHING = "*"  # a partition-log value: the whole table changed
NO_DATE = "null"  # a partition-log or event-date value: the rows whose date is null


def date_text(value: object) -> str:
    """A date (or None) as the partition log and the event-date log write it."""
    return NO_DATE if value is None else str(value)


def date_literals(dates: Iterable[str]) -> str:
    """ISO dates as a SQL list of date literals (for `IN (...)` predicates that prune date partitions)."""
    return ", ".join(f"DATE'{d}'" for d in sorted(dates))


S, L, D, T, DT = StringType(), LongType(), DoubleType(), TimestampType(), DateType()
OPS_CONTRACTS = (
    TableContract(
        LANDING_LOG,
        (
            Column("run_id", S, False),
            Column("source", S, False),
            Column("batch_id", S, False),
            Column("ingestion_date", S, False),
            Column("watermark_from", S, False),
            Column("watermark_to", S, False),
            Column("records", L, False),
            Column("files", L, False),
            Column("landed_at", T, False),
        ),
        description="Each landing of a source's window into RAW: its batch and the watermark it moved to",
    ),
    TableContract(
        LANDED_FILES,
        (
            Column("source", S, False),
            Column("file_name", S, False),
            Column("sha256", S, False),
            Column("batch_id", S, False),
            Column("landed_at", T, False),
        ),
        description="Each file moved from a landing inbox into RAW, once (by content)",
    ),
    TableContract(
        ACCESS_LOG,
        (
            Column("run_id", S, False),
            Column("statement", S, False),
            Column("applied", BooleanType(), False),
            Column("logged_at", T, False),
        ),
        description="The statements the governance task ran (or, on an engine without masks, would run)",
    ),
    TableContract(
        LEDGER,
        (
            Column("source", S, False),
            Column("file_path", S, False),
            Column("file_size", L, False),
            Column("ingestion_date", S, False),
            Column("batch_id", S, False),
            Column("rows_loaded", L, False),
            Column("rows_quarantined", L, False),
            Column("committed_at", T, False),
        ),
        business_key=("source", "file_path"),
        description="Which raw file was ingested by which batch: the exactly-once ledger",
    ),
    TableContract(
        QUARANTINE,
        (
            Column("source", S, False),
            Column("layer", S, False),
            Column("batch_id", S, False),
            Column("source_file", S),
            Column("raw", S),
            Column("reason", S, False),
            Column("run_id", S, False),
            Column("quarantined_at", T, False),
        ),
        description="Rows that could not be loaded or failed a quarantine expectation, with the reason",
    ),
    TableContract(
        DQ_RESULTS,
        (
            Column("run_id", S, False),
            Column("task", S, False),
            Column("table_name", S, False),
            Column("rule", S, False),
            Column("action", S, False),
            Column("rows_passed", L, False),
            Column("rows_failed", L, False),
            Column("checked_at", T, False),
        ),
        description="Per run and rule: rows passed and failed",
    ),
    TableContract(
        RUN_LOG,
        (
            Column("run_id", S, False),
            Column("task", S, False),
            Column("status", S, False),
            Column("rows_in", L, False),
            Column("rows_out", L, False),
            Column("rows_quarantined", L, False),
            Column("started_at", T, False),
            Column("finished_at", T, False),
            Column("duration_s", D, False),
            Column("error", S),
        ),
        description="One row per task run: rows in / out / quarantined, duration and status",
    ),
    TableContract(
        PARTITION_LOG,
        (
            Column("run_id", S, False),
            Column("task", S, False),
            Column("table_name", S, False),
            Column("partition_value", S, False),
            Column("logged_at", T, False),
        ),
        description="Which partitions of which table each task replaced (`*`: the whole table changed)",
    ),
    TableContract(
        EVENT_DATES,
        (
            Column("table_name", S, False),
            Column("ingestion_date", DT, False),
            Column("event_date", S, False),
            Column("logged_at", T, False),
        ),
        description="Which event dates each bronze ingestion_date partition holds (`null`: rows without one), so "
        "an incremental rebuild of some event dates reads only the partitions that hold them",
    ),
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def record_dq_results(lake: Lakehouse, run_id: str, task: str, table: str, results: Sequence[RuleResult]) -> None:
    if not results:
        return
    now = utcnow()
    rows = [
        {
            "run_id": run_id,
            "task": task,
            "table_name": table,
            "rule": r.rule,
            "action": r.action,
            "rows_passed": r.passed,
            "rows_failed": r.failed,
            "checked_at": now,
        }
        for r in results
    ]
    lake.append_rows(DQ_RESULTS, rows)


@dataclass
class TaskMetrics:
    run_id: str
    task: str
    status: str
    rows_in: int
    rows_out: int
    rows_quarantined: int
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_s: float
    error: str | None = None


def record_run(lake: Lakehouse, metrics: TaskMetrics) -> None:
    lake.append_rows(RUN_LOG, [asdict(metrics)])


def last_success_started(lake: Lakehouse, task: str) -> dt.datetime | None:
    """When the last successful run of `task` started: the task's watermark (None: it never succeeded)."""
    return last_success_starts(lake, [task]).get(task)


def last_success_starts(lake: Lakehouse, tasks: Sequence[str] | None = None) -> dict[str, dt.datetime]:
    """The watermarks of `tasks` (all tasks when None) in one query: a local run reads them once, before its first
    task (a task that never succeeded has none)."""
    if not lake.exists(RUN_LOG):
        return {}
    succeeded = lake.read(RUN_LOG).filter(F.col("status") == "succeeded")
    if tasks is not None:
        succeeded = succeeded.filter(F.col("task").isin(list(tasks)))
    rows = succeeded.groupBy("task").agg(F.max("started_at").alias("at")).collect()
    return {r["task"]: r["at"] for r in rows}


def log_partitions(lake: Lakehouse, run_id: str, task: str, table: TableRef, values: Sequence[str]) -> None:
    if not values:
        return
    now = utcnow()
    rows = [
        {"run_id": run_id, "task": task, "table_name": str(table), "partition_value": v, "logged_at": now}
        for v in sorted(set(values))
    ]
    lake.append_rows(PARTITION_LOG, rows)


def changed_partitions(lake: Lakehouse, since: dt.datetime) -> dict[str, set[str]]:
    """Partition values replaced after `since`, by table name (a set may contain EVERYTHING); one query for all
    tables. Without a partition log every table counts as wholly changed."""
    if not lake.exists(PARTITION_LOG):
        return defaultdict(lambda: {EVERYTHING})
    rows = (
        lake.read(PARTITION_LOG)
        .filter(F.col("logged_at") > F.lit(since))
        .select("table_name", "partition_value")
        .distinct()
        .collect()
    )
    changes: dict[str, set[str]] = defaultdict(set)
    for table_name, value in rows:
        changes[table_name].add(value)
    return changes


def log_event_dates(
    lake: Lakehouse, table: TableRef, pairs: Iterable[tuple[dt.date, dt.date | None]], replace: bool = False
) -> None:
    """Log the (ingestion_date, event date) pairs of `table`'s rows, collected by the caller: they are few (a pair
    per bronze partition and event date in it), and a frame of them would be computed twice, for the contract's
    NOT NULL check and for the write. `replace` drops the table's earlier pairs first (after a full rebuild).
    Extra pairs only cost reads, so a failed run may log a pair twice."""
    if replace:
        lake.delete(EVENT_DATES, f"table_name = '{table}'")
    now = utcnow()
    rows = [
        {"table_name": str(table), "ingestion_date": partition, "event_date": date_text(day), "logged_at": now}
        for partition, day in pairs
    ]
    if rows:
        lake.append_rows(EVENT_DATES, rows)


def partitions_holding(lake: Lakehouse, table: TableRef, event_dates: set[str]) -> list[str] | None:
    """The ingestion_date partitions of `table` that hold rows of `event_dates` (None: never logged, so any may)."""
    if not lake.exists(EVENT_DATES):
        return None
    logged = lake.read(EVENT_DATES).filter(F.col("table_name") == str(table))
    rows = (
        logged.select(
            F.col("ingestion_date").cast("string"), F.col("event_date").isin(sorted(event_dates)).alias("wanted")
        )
        .distinct()
        .collect()
    )
    if not rows:
        return None
    return sorted({r[0] for r in rows if r[1]})


class JsonFormatter(logging.Formatter):
    """Structured logs: one JSON object per line (what Azure Monitor ingests from job output)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_json_logging(level: int = logging.INFO, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("retailflow")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
