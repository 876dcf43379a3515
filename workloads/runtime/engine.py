"""One session factory for every engine this package runs on, and the one place that declares what each can do.

Transforms never test engine names: they read `Capabilities` from the engine they were given. The local engine
(a Sail server on this machine) is the toolchain's (`retailflow.local.engine`); it extends `Engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame, SparkSession

from retailflow.workloads.runtime.tables import FaultHook, Lakehouse

if TYPE_CHECKING:
    from retailflow.workloads.runtime.contracts import ContractRegistry


@dataclass(frozen=True)
class Capabilities:
    table_maintenance: bool  # OPTIMIZE / VACUUM / DESCRIBE HISTORY
    row_level_merge: bool  # MERGE writes the changed rows only (deletion vectors), not every file it touches
    access_policies: bool = False  # Unity Catalog column masks, row filters and tags (runtime.access)


SPARK_CAPABILITIES = Capabilities(table_maintenance=True, row_level_merge=False)
DATABRICKS_CAPABILITIES = Capabilities(table_maintenance=True, row_level_merge=True, access_policies=True)


class Engine:
    """A session on one engine, what that engine can do, and the options its Delta writes take."""

    def __init__(
        self,
        spark: SparkSession,
        kind: str,
        capabilities: Capabilities,
        write_options: Mapping[str, str] | None = None,
    ) -> None:
        self.spark = spark
        self.kind = kind
        self.capabilities = capabilities
        self.write_options = dict(write_options or {})

    def materialize(self, df: DataFrame) -> DataFrame:
        """`df` computed once, for a frame that is read more than once (engines that cannot: `df` as it is)."""
        return df

    def lakehouse(
        self,
        catalog: str,
        contracts: ContractRegistry,
        root: Path | None = None,
        fault_hook: FaultHook | None = None,
    ) -> Lakehouse:
        """The tables of `catalog` on this engine (Delta folders under `root`, when given)."""
        materialize: Callable[[DataFrame], DataFrame] = self.materialize
        return Lakehouse(
            self.spark,
            catalog,
            contracts,
            root=root,
            fault_hook=fault_hook,
            materialize=materialize,
            write_options=self.write_options,
        )

    def close(self) -> None:
        """Release what the engine holds (a session the job was given is the job's)."""


def _utc(spark: SparkSession) -> SparkSession:
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def connect_remote(url: str) -> Engine:
    """Any Spark Connect endpoint: a Spark cluster, Databricks Connect, a Sail server elsewhere."""
    return Engine(_utc(SparkSession.builder.remote(url).getOrCreate()), "remote", SPARK_CAPABILITIES)


def databricks_session() -> Engine:
    """The running job's session on Databricks."""
    spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    return Engine(_utc(spark), "databricks", DATABRICKS_CAPABILITIES)


def create_engine(kind: str, url: str | None = None) -> Engine:
    if kind == "remote":
        if not url:
            raise ValueError("engine 'remote' needs a Spark Connect URL (sc://host:port)")
        return connect_remote(url)
    if kind == "databricks":
        return databricks_session()
    raise ValueError(f"unknown engine {kind!r} (databricks, remote)")
