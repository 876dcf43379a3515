"""A SQL extract: the rows of a relational table changed in a window, written as the source delivers them (CSV with a
header, or Parquet).

The table's change column is maintained by the source database (when a row was inserted or updated), so a
correction that keeps a row's business time still arrives. The connection comes from a DB-API `connect` callable
(pg8000 on a job, the same locally); its credentials come through the secrets interface.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from retailflow.workloads.runtime.landing import Window

CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class SqlTable:
    name: str  # the source (RAW folder) name
    table: str  # schema-qualified table in the source database
    columns: tuple[str, ...]
    change_column: str
    format: str  # csv | parquet
    arrow_types: tuple[str, ...] = ()  # per column, for Parquet: string, int32, int64, float64

    def query(self) -> str:
        columns = ", ".join(self.columns)
        return (
            f"SELECT {columns} FROM {self.table} WHERE {self.change_column} > %s AND {self.change_column} <= %s "
            f"ORDER BY {self.change_column}, {self.columns[0]}"
        )


def extract(connect: Callable[[], Any], table: SqlTable, window: Window) -> list[tuple[Any, ...]]:
    connection = connect()
    try:
        cursor = connection.cursor()
        cursor.execute(table.query(), (window.since, window.until))
        rows: list[tuple[Any, ...]] = []
        while chunk := cursor.fetchmany(CHUNK_ROWS):
            rows.extend(tuple(r) for r in chunk)
        return rows
    finally:
        connection.close()


def render(table: SqlTable, rows: Sequence[tuple[Any, ...]]) -> bytes:
    """The rows as the source delivers them: CSV with a header line, or Parquet typed by `arrow_types`."""
    if table.format == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(rows)
        return text.getvalue().encode("utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64()}
    schema = pa.schema([(c, types[t]) for c, t in zip(table.columns, table.arrow_types, strict=True)])
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in table.columns]
    arrays = [pa.array(list(values), type=field.type) for values, field in zip(columns, schema, strict=True)]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), sink, compression="snappy")
    return bytes(sink.getvalue().to_pybytes())
