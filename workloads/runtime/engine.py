"""One session factory for every engine, and the one place that declares what each engine can do.

Transforms never test engine names: they read `Capabilities` from the engine they were given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

log = logging.getLogger("retailflow.engine")


@dataclass(frozen=True)
class Capabilities:
    file_metadata_column: bool  # `_metadata.file_path` on file reads
    table_maintenance: bool  # OPTIMIZE / VACUUM / DESCRIBE HISTORY
    create_catalog: bool  # CREATE CATALOG (locally catalogs are folders)
    concurrent_writers: bool  # optimistic transaction conflict detection


CAPABILITIES = {
    "local": Capabilities(
        file_metadata_column=False, table_maintenance=False, create_catalog=False, concurrent_writers=False
    ),
    "remote": Capabilities(
        file_metadata_column=True, table_maintenance=True, create_catalog=True, concurrent_writers=True
    ),
    "databricks": Capabilities(
        file_metadata_column=True, table_maintenance=True, create_catalog=True, concurrent_writers=True
    ),
}


@dataclass
class Engine:
    spark: SparkSession
    kind: str
    capabilities: Capabilities
    _server: Any = field(default=None, repr=False)

    def close(self) -> None:
        if self._server is not None:
            self.spark.stop()
            self._server.stop()
            self._server = None


def start_local() -> Engine:
    """An in-process Sail Spark Connect server on loopback (port 0), and a session connected to it."""
    from pysail.spark import SparkConnectServer  # the local engine only; never installed on Databricks

    server = SparkConnectServer("127.0.0.1", 0)
    server.start(background=True)
    host, port = server.listening_address
    spark = SparkSession.builder.remote(f"sc://{host}:{port}").getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    log.info("local Sail engine on %s:%s", host, port)
    return Engine(spark, "local", CAPABILITIES["local"], server)


def connect_remote(url: str) -> Engine:
    """Any Spark Connect endpoint: a Spark cluster, Databricks Connect, a Sail server elsewhere."""
    spark = SparkSession.builder.remote(url).getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return Engine(spark, "remote", CAPABILITIES["remote"])


def databricks_session() -> Engine:
    """The running job's session on Databricks."""
    spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return Engine(spark, "databricks", CAPABILITIES["databricks"])


def create_engine(kind: str, url: str | None = None) -> Engine:
    if kind == "local":
        return start_local()
    if kind == "remote":
        if not url:
            raise ValueError("engine 'remote' needs a Spark Connect URL (sc://host:port)")
        return connect_remote(url)
    if kind == "databricks":
        return databricks_session()
    raise ValueError(f"unknown engine {kind!r} (local, remote, databricks)")
