"""Small generated RAW and one clean run of the whole graph, to compare every crash, resume and rerun with."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, open_lakehouse, run_local
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.ingest import list_raw_files
from retailflow.workloads.runtime.ops import LEDGER
from retailflow.workloads.runtime.refs import TableRef
from retailflow.workloads.runtime.tables import Lakehouse

RESULT_TABLES = [t for t in PIPELINE.tables() if t.schema in ("silver", "gold")]


def contents(lake: Lakehouse, ref: TableRef) -> list[tuple]:
    """A table's rows, sorted, without per-run audit columns (compare contents, not counts)."""
    df = lake.read(ref)
    df = df.drop(*[c for c in df.columns if c in ("_ingestion_ts", "_batch_id")])
    return sorted(tuple(str(v) for v in row) for row in df.collect())


def snapshot(lake: Lakehouse) -> dict[TableRef, list[tuple]]:
    return {ref: contents(lake, ref) for ref in RESULT_TABLES}


def assert_ledger_consistent(lake: Lakehouse, raw: Path) -> None:
    """Every ledgered file's row count is what bronze holds for it; every bronze row's file is ledgered once."""
    ledger = lake.read(LEDGER).collect()
    paths = [r["file_path"] for r in ledger]
    assert len(paths) == len(set(paths)), "a file is ledgered twice"
    for source in {r["source"] for r in ledger}:
        bronze = lake.read(TableRef("bronze", source)).groupBy("_source_file").count().collect()
        loaded = {r["_source_file"]: r["count"] for r in bronze}
        for row in (r for r in ledger if r["source"] == source):
            assert loaded.get(row["file_path"], 0) == row["rows_loaded"], row["file_path"]
        assert set(loaded) <= {r["file_path"] for r in ledger if r["source"] == source}
    listed = {f.path for s in {r["source"] for r in ledger} for f in list_raw_files(raw, s)}
    assert set(paths) == listed


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("reliability") / "raw"
    generate(raw, GeneratorSettings(scale=0.004, days=2, seed=11, start_date=dt.date(2026, 2, 2)))
    return raw


@pytest.fixture(scope="session")
def clean_run(engine, raw_dir, tmp_path_factory) -> dict[TableRef, list[tuple]]:
    settings = LocalRunSettings(lakehouse=tmp_path_factory.mktemp("clean") / "lake", raw=raw_dir)
    assert run_local(settings, engine=engine).ok
    return snapshot(open_lakehouse(engine, settings))


@pytest.fixture
def fresh(tmp_path, raw_dir):
    """A new lakehouse over a private copy of the RAW data."""
    raw = tmp_path / "raw"
    shutil.copytree(raw_dir, raw)
    return LocalRunSettings(lakehouse=tmp_path / "lake", raw=raw)


__all__ = ["F", "assert_ledger_consistent", "contents", "snapshot"]
