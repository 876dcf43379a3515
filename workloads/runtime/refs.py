"""Table references (`schema.table`): what the graph, the contracts and the I/O layer name tables by. No pyspark, so
the deploy toolchain can read the graph without the engine installed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class TableRef:
    schema: str
    name: str

    @classmethod
    def parse(cls, text: str) -> TableRef:
        schema, _, name = text.partition(".")
        if not schema or not name or "." in name:
            raise ValueError(f"table reference {text!r} must be 'schema.table'")
        return cls(schema, name)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def sql_string(text: str) -> str:
    """A SQL string literal of any text: Spark SQL escapes with backslashes (a doubled quote is two adjacent
    literals, which drops the quote)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
