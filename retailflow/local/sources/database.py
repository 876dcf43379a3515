"""A real PostgreSQL on this machine (pgserver: the server from a wheel, in a temporary folder, on a unix socket),
holding the SQL sources' tables as the source database would: each row with its change time (`changed_at`)."""

from __future__ import annotations

import secrets
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pg8000.dbapi

from retailflow.local.sources.published import Published
from retailflow.workloads.retail.landing import CHANGE_COLUMN, LANDED_SOURCES, SQL_SCHEMA, STORE_SALES_COLUMNS

SQL_TYPES = {"string": "text", "int32": "integer", "int64": "bigint", "float64": "double precision"}
READER = "retailflow_reader"


class LocalDatabase:
    """Started on enter, loaded with the published SQL sources, stopped and removed on exit. A reader role with a
    password made up for the run (`user`, `password`) may read the source schema."""

    def __init__(self, published: Published) -> None:
        self._published = published
        self._folder = Path(tempfile.mkdtemp(prefix="retailflow-sources-db-"))
        self.user, self.password = READER, secrets.token_urlsafe(16)
        self._server: Any = None

    def __enter__(self) -> LocalDatabase:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset (no login session, as in CI); pgserver keeps its
            # state in the folder it is given, so the fallback it warns about is not used.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            import pgserver

            self._server = pgserver.get_server(self._folder, cleanup_mode="delete")
        connection = self._connect("postgres", "")
        try:
            self._load(connection)
        finally:
            connection.close()
        return self

    @property
    def socket_dir(self) -> str:
        return str(self._server.get_postmaster_info().socket_dir)

    @property
    def port(self) -> int:
        return int(self._server.get_postmaster_info().port)

    def _connect(self, user: str, password: str) -> Any:
        return pg8000.dbapi.connect(
            user=user,
            password=password or None,
            unix_sock=f"{self.socket_dir}/.s.PGSQL.{self.port}",
            database="postgres",
        )

    def _load(self, connection: Any) -> None:
        cursor = connection.cursor()
        cursor.execute(f"CREATE SCHEMA {SQL_SCHEMA}")
        types = dict(STORE_SALES_COLUMNS)
        for source in (s for s in LANDED_SOURCES if s.kind == "sql" and s.table is not None):
            table = source.table
            assert table is not None
            columns = ", ".join(
                f"{c} {SQL_TYPES[types[c]] if source.name == 'store_sales' else 'text'}" for c in table.columns
            )
            cursor.execute(f"CREATE TABLE {table.table} ({columns}, {CHANGE_COLUMN} text NOT NULL)")
            rows = [(*row, changed) for changed, row in self._published.records[source.name]]
            if rows:
                marks = ", ".join(["%s"] * (len(table.columns) + 1))
                cursor.executemany(f"INSERT INTO {table.table} VALUES ({marks})", rows)
        cursor.execute(f"CREATE ROLE {READER} LOGIN PASSWORD '{self.password}'")  # token_urlsafe: no quote
        cursor.execute(f"GRANT USAGE ON SCHEMA {SQL_SCHEMA} TO {READER}")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SQL_SCHEMA} TO {READER}")
        connection.commit()

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.cleanup()
