"""Table contracts: each table's schema, business key, partitioning and expectations, declared once.

The local engine accepts appends with a mismatched schema and `mergeSchema` silently drops new columns, so every
write is checked here first: a mismatch is an error naming the table and the column. NOT NULL is checked by one
aggregation before the write (a `raise_error` inside the write is not reliable on the local engine: on appends it
was seen to fire on rows an upstream filter had removed), so a violation commits nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StructField, StructType

from retailflow.workloads.runtime.refs import TableRef

if TYPE_CHECKING:
    from retailflow.workloads.runtime.expectations import Expectation


class ContractViolation(ValueError):
    """A write that does not match its table's contract."""


@dataclass(frozen=True)
class Column:
    name: str
    type: DataType
    nullable: bool = True
    description: str = ""


@dataclass(frozen=True)
class TableContract:
    ref: TableRef
    columns: tuple[Column, ...]
    business_key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    description: str = ""

    @property
    def schema(self) -> StructType:
        return StructType([StructField(c.name, c.type, c.nullable) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The NOT NULL columns."""
        return [c.name for c in self.columns if not c.nullable]

    def enforce(self, df: DataFrame, null_counts: Mapping[str, int] | None = None) -> DataFrame:
        """The frame in contract column order, with NOT NULL checked: from `null_counts` (the NOT NULL columns'
        null counts, taken where the rows were already being counted), else by a query of its own."""
        actual = {f.name: f.dataType for f in df.schema.fields}
        missing = [c.name for c in self.columns if c.name not in actual]
        if missing:
            raise ContractViolation(f"table {self.ref}: column {missing[0]!r} is missing from the write")
        extra = [name for name in actual if name not in {c.name for c in self.columns}]
        if extra:
            raise ContractViolation(
                f"table {self.ref}: column {extra[0]!r} is not in the contract "
                "(add it to the contract, or keep it in _rescued_data)"
            )
        for column in self.columns:
            got = actual[column.name]
            if got.simpleString() != column.type.simpleString():
                raise ContractViolation(
                    f"table {self.ref}: column {column.name!r} has type {got.simpleString()}, "
                    f"the contract says {column.type.simpleString()}"
                )
        ordered = df.select(*self.column_names)
        required = self.required
        if required:
            counts = null_counts
            if counts is None:
                row = ordered.agg(
                    *[F.sum(F.when(F.col(name).isNull(), 1).otherwise(0)).alias(name) for name in required]
                ).collect()[0]
                counts = {name: int(row[name] or 0) for name in required}
            for name in required:
                if counts[name]:
                    raise ContractViolation(
                        f"table {self.ref}: column '{name}' is NOT NULL in the contract but {counts[name]} row(s) have null"
                    )
        return ordered

    def check_rows(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Rows given as mappings, as tuples in contract column order; a missing or extra column, or a null in a
        NOT NULL column, is an error naming the table, the column and the row."""
        names = self.column_names
        required = self.required
        tuples = []
        for position, row in enumerate(rows):
            missing = [n for n in names if n not in row]
            extra = [n for n in row if n not in names]
            if missing or extra:
                problem = f"column {missing[0]!r} is missing from" if missing else f"column {extra[0]!r} is not in"
                raise ContractViolation(f"table {self.ref}: {problem} row {position} (columns: {sorted(row)})")
            nulls = [n for n in required if row[n] is None]
            if nulls:
                raise ContractViolation(
                    f"table {self.ref}: column {nulls[0]!r} is NOT NULL in the contract but row {position} has null"
                )
            tuples.append(tuple(row[n] for n in names))
        return tuples


class ContractRegistry:
    """Every table contract by reference; the I/O layer checks each write against it."""

    def __init__(self, contracts: Iterable[TableContract] = ()) -> None:
        self._contracts: dict[TableRef, TableContract] = {}
        for contract in contracts:
            self.add(contract)

    def add(self, contract: TableContract) -> None:
        if contract.ref in self._contracts:
            raise ValueError(f"table {contract.ref} has two contracts")
        self._contracts[contract.ref] = contract

    def get(self, ref: TableRef) -> TableContract:
        try:
            return self._contracts[ref]
        except KeyError:
            raise ContractViolation(f"table {ref} has no contract; declare one before writing it") from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._contracts.values())

    def __contains__(self, ref: object) -> bool:
        return ref in self._contracts
