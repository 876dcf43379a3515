"""`retailflow query --as ROLE`: SQL over the local lakehouse as a role sees it on Databricks.

The local engine has no column masks or row filters, so each table the role may read (the grants matrix) becomes a
view named as the table (`gold.dim_customer`), built from the same rules as the Databricks functions: the same mask
expressions (`runtime.access.MASKS`) and the same entitlement predicate. Tables of schemas the role cannot read have
no view, so a query naming one fails as it would there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from retailflow.governance import CATALOG, JOB_PRINCIPAL, grants_matrix
from retailflow.workloads.runtime.access import MASKS, ROW_FILTERS, AccessRules, entitled, in_countries, sees_clear
from retailflow.workloads.runtime.contracts import TableContract
from retailflow.workloads.runtime.tables import Lakehouse


class QueryRefused(ValueError):
    """The role cannot run the query: unknown role, or a table it may not read."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]


def readable_schemas(role: str, analytics_reads_silver: bool = False) -> list[str]:
    """The schemas whose tables the role may SELECT (admins: every schema)."""
    matrix = grants_matrix(analytics_reads_silver, shared_storage=False)
    if role not in matrix[CATALOG] or role == JOB_PRINCIPAL:
        raise QueryRefused(
            f"unknown role {role!r} (one of {', '.join(r for r in matrix[CATALOG] if r != JOB_PRINCIPAL)})"
        )
    schemas = sorted(s.name for s, roles in matrix.items() if s.kind == "schema" and "SELECT" in roles.get(role, ()))
    return sorted({s.name for s in matrix if s.kind == "schema"}) if role == "admin" else schemas


def masked(expression: str, column: str) -> str:
    return re.sub(r"\bvalue\b", f"`{column}`", expression)


def view_sql(contract: TableContract, rules: AccessRules, role: str, source: str) -> str:
    """The SELECT a role's view of the contract's table runs over `source` (the stored table, as a temporary view)."""
    rule = next((t for t in rules.tables if t.table == str(contract.ref)), None)
    masks = {c.name: MASKS[c.mask] for c in (rule.columns if rule else ()) if c.mask}
    columns = [
        f"{masked(masks[name].expression, name)} AS `{name}`" if name in masks and not sees_clear(role) else f"`{name}`"
        for name in contract.column_names
    ]
    where = ""
    countries = entitled(rules, role)
    if rule is not None and rule.row_filter and countries is not None:
        where = f" WHERE {in_countries(f'`{ROW_FILTERS[rule.row_filter].column}`', countries)}"
    return f"SELECT {', '.join(columns)} FROM {source}{where}"


def run_as(lake: Lakehouse, rules: AccessRules, role: str, sql: str) -> QueryResult:
    schemas = readable_schemas(role)
    spark = lake.spark
    for contract in lake.contracts:
        ref = contract.ref
        if ref.schema not in schemas or not lake.exists(ref):
            spark.sql(f"DROP VIEW IF EXISTS {ref.schema}.{ref.name}")  # left by a query as another role
            continue
        source = f"rf_stored_{ref.schema}_{ref.name}"
        lake.read(ref).createOrReplaceTempView(source)
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {ref.schema}")
        spark.sql(f"CREATE OR REPLACE VIEW {ref.schema}.{ref.name} AS {view_sql(contract, rules, role, source)}")
    try:
        frame = spark.sql(sql)
        rows = frame.collect()
    except Exception as err:
        if "not found" in str(err).lower():
            raise QueryRefused(
                f"as {role}: {str(err).splitlines()[0]} ({role} reads the schemas {', '.join(schemas) or 'none'})"
            ) from None
        raise
    return QueryResult(frame.columns, [row.asDict() for row in rows])
