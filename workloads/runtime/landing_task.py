"""The landing tasks: one per source, each lands the source's changes since its watermark into RAW (`runtime.landing`).

Where each source lives (an endpoint, a database, an inbox) and which secrets open it come rendered by the stack from
the environment's config (`--landing`, `LandingSettings`); what each source is (its kind, its table and columns) is
declared in code (`retail.landing`). Secrets come from the context's store: the environment's scope on a job,
environment variables locally; no value reaches a log, an error, RAW or `ops`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pyspark.sql import functions as F

from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.landing import (
    EPOCH,
    FILES_WINDOW,
    Batch,
    LandingSettings,
    SourceConnection,
    Window,
    json_lines,
    landed_until,
    window_until,
)
from retailflow.workloads.runtime.ops import LANDED_FILES, LANDING_LOG, utcnow
from retailflow.workloads.runtime.rest_source import RestEndpoint, pages
from retailflow.workloads.runtime.secrets import SecretStore
from retailflow.workloads.runtime.sql_source import SqlTable, extract, render

log = logging.getLogger("retailflow.landing")


class LandingNotConfigured(ValueError):
    """A landing task ran without the settings of its source."""


class LandedSource(Protocol):
    """What a source is, in code: REST records, a SQL table, or files dropped into an inbox."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def table(self) -> SqlTable | None: ...


Connect = Callable[[SourceConnection, SecretStore], Callable[[], Any]]


def pg8000_connect(connection: SourceConnection, secrets: SecretStore) -> Callable[[], Any]:
    user, password = secrets.get(connection.user_secret), secrets.get(connection.password_secret)

    def connect() -> Any:
        import pg8000.dbapi

        where: dict[str, Any] = (
            {"unix_sock": f"{connection.host}/.s.PGSQL.{connection.port}"}  # a socket folder (the local database)
            if connection.host.startswith("/")
            else {"host": connection.host, "port": connection.port, "ssl_context": True}
        )
        return pg8000.dbapi.connect(
            user=user.reveal(),
            password=password.reveal(),
            database=connection.database,
            timeout=connection.timeout_seconds,
            **where,
        )

    return connect


def land(source: LandedSource, connect: Connect = pg8000_connect) -> Callable[[TaskContext], TaskOutcome]:
    def run(ctx: TaskContext) -> TaskOutcome:
        if ctx.landing is None or ctx.secrets is None:
            raise LandingNotConfigured(f"task {ctx.task}: no --landing settings (the stack renders them)")
        settings = LandingSettings.from_json(ctx.landing)
        if source.name not in settings.sources:
            raise LandingNotConfigured(f"task {ctx.task}: no connection for source {source.name!r} in the settings")
        connection = settings.sources[source.name]
        if source.kind == "files":
            return _land_files(ctx, source.name, ctx.raw_root / connection.inbox)
        until, day = window_until(ctx.to_date)
        window = Window(_watermark(ctx, source.name), until)
        batch = Batch(ctx.raw_root, source.name, day, window)
        if not batch.exists():
            batch.start()
            if source.kind == "rest":
                endpoint = RestEndpoint(source.name, connection.url, timeout_seconds=connection.timeout_seconds)
                api_key = ctx.secrets.get(connection.api_key_secret)
                for number, page in enumerate(pages(endpoint, api_key, window)):
                    if page:
                        batch.add(f"{source.name}-{number:05d}.jsonl", json_lines(page), len(page))
            elif source.kind == "sql" and source.table is not None:
                rows = extract(connect(connection, ctx.secrets), source.table, window)
                if rows:
                    extension = "csv" if source.table.format == "csv" else "parquet"
                    batch.add(f"{source.name}-00000.{extension}", render(source.table, rows), len(rows))
            else:
                raise LandingNotConfigured(f"task {ctx.task}: source kind {source.kind!r} has no connector")
            if batch.files:
                batch.finish()
            else:
                batch.abandon()
        records = batch.records
        ctx.lake.append_rows(
            LANDING_LOG,
            [
                {
                    "run_id": ctx.run_id,
                    "source": source.name,
                    "batch_id": batch.id if batch.files else "",
                    "ingestion_date": day,
                    "watermark_from": window.since,
                    "watermark_to": window.until,
                    "records": records,
                    "files": len(batch.files),
                    "landed_at": utcnow(),
                }
            ],
        )
        log.info("landed %s records of %s up to %s", records, source.name, window.until)
        return TaskOutcome(records, records, 0)

    return run


def _watermark(ctx: TaskContext, source: str) -> str:
    """Where the last landing of the source ended: the later of the log's watermark and the windows of the batches in
    RAW (a landing that stopped after its batch was renamed, before the log, must not land that window again)."""
    logged = EPOCH
    if ctx.lake.exists(LANDING_LOG):
        latest = ctx.lake.read(LANDING_LOG).filter(F.col("source") == source).agg(F.max("watermark_to")).collect()
        logged = str(latest[0][0]) if latest and latest[0][0] else EPOCH
    return max([logged, *landed_until(ctx.raw_root, source)])


def _land_files(ctx: TaskContext, source: str, inbox: Path) -> TaskOutcome:
    """Move the inbox's files into RAW once (by content): a file landed before is only removed from the inbox."""
    files = (
        sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
        if inbox.is_dir()
        else []
    )
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    landed: set[str] = set()
    if ctx.lake.exists(LANDED_FILES):
        landed = {
            r[0] for r in ctx.lake.read(LANDED_FILES).filter(F.col("source") == source).select("sha256").collect()
        }
    new = [p for p in files if digests[p] not in landed]
    records = 0
    if new:
        content = hashlib.sha256("".join(sorted(digests[p] for p in new)).encode()).hexdigest()
        _until, day = window_until(ctx.to_date)
        batch = Batch(ctx.raw_root, source, day, Window(content, FILES_WINDOW))
        if not batch.exists():
            batch.start()
            for path in new:
                data = path.read_bytes()
                batch.add(path.name, data, data.count(b"\n"))
            batch.finish()
        records = batch.records
        now = utcnow()
        ctx.lake.append_rows(
            LANDED_FILES,
            [
                {"source": source, "file_name": p.name, "sha256": digests[p], "batch_id": batch.id, "landed_at": now}
                for p in new
            ],
        )
    for path in files:
        path.unlink()
    return TaskOutcome(records, records, 0)
