"""The medallion runtime on small hand-built data, with the session's one local engine."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import group_buckets_set
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DateType, IntegerType, LongType, StringType, TimestampType

from retailflow.workloads.retail.sources import fields
from retailflow.workloads.runtime.contracts import Column, ContractRegistry, ContractViolation, TableContract
from retailflow.workloads.runtime.expectations import (
    Action,
    ExpectationFailed,
    apply_expectations,
    not_null,
    references,
    unique,
)
from retailflow.workloads.runtime.ingest import (
    GateResult,
    Ingestor,
    RawFile,
    SourceSpec,
    batches_of,
    gate_files,
)
from retailflow.workloads.runtime.latest import key_range, within_range
from retailflow.workloads.runtime.ops import LEDGER, OPS_CONTRACTS, QUARANTINE
from retailflow.workloads.runtime.refs import TableRef
from retailflow.workloads.runtime.scd2 import Scd2Spec, apply_scd2, build_history
from retailflow.workloads.runtime.tables import LITERAL_PARTITIONS_MAX, Lakehouse

EVENTS = SourceSpec("events", "json", fields(("id", StringType()), ("qty", IntegerType())), required=("id",))
ITEMS = SourceSpec(
    "items", "csv", fields(("sku", StringType()), ("name", StringType()), ("qty", IntegerType())), required=("sku",)
)
PARTS = SourceSpec("parts", "parquet", fields(("id", StringType()), ("qty", IntegerType())), required=("id",))
DIM = TableRef("gold", "dim_test")
DIM_CONTRACT = TableContract(
    DIM,
    (
        Column("sk", LongType(), False),
        Column("id", StringType(), False),
        Column("tier", StringType()),
        Column("valid_from", TimestampType(), False),
        Column("valid_to", TimestampType()),
        Column("is_current", BooleanType(), False),
    ),
)
STRICT = TableContract(TableRef("silver", "strict"), (Column("id", StringType(), False), Column("qty", IntegerType())))
BY_DAY = TableContract(
    TableRef("silver", "by_day"), (Column("id", StringType(), False), Column("day", DateType())), partition_by=("day",)
)
# Partitioned by its first column: the local engine reads a partition column last.
DAY_FIRST = TableContract(
    TableRef("silver", "day_first"),
    (Column("day", DateType(), False), Column("id", StringType(), False), Column("qty", IntegerType())),
    partition_by=("day",),
)


@pytest.fixture
def lake(engine, tmp_path: Path) -> Lakehouse:
    contracts = ContractRegistry(
        [
            *OPS_CONTRACTS,
            *EVENTS.contracts(),
            *ITEMS.contracts(),
            *PARTS.contracts(),
            DIM_CONTRACT,
            STRICT,
            BY_DAY,
            DAY_FIRST,
        ]
    )
    return engine.lakehouse("retailflow_local", contracts, root=tmp_path / "lake")


def land(raw: Path, source: str, day: str, name: str, text: str | bytes) -> Path:
    folder = raw / source / f"ingestion_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_contract_violation_names_table_and_column(lake, engine):
    df = engine.spark.createDataFrame([("a", "x")], "id string, qty string")
    with pytest.raises(
        ContractViolation, match=r"table silver.strict: column 'qty' has type string, the contract says int"
    ):
        lake.write(STRICT.ref, df)
    with pytest.raises(ContractViolation, match=r"column 'extra' is not in the contract"):
        lake.write(STRICT.ref, engine.spark.createDataFrame([("a", 1, 2)], "id string, qty int, extra int"))
    with pytest.raises(ContractViolation, match=r"column 'qty' is missing"):
        lake.write(STRICT.ref, engine.spark.createDataFrame([("a",)], "id string"))


@pytest.mark.parametrize("contract", [STRICT, DAY_FIRST], ids=["unpartitioned", "partitioned-by-its-first-column"])
def test_a_column_the_contract_allows_null_takes_a_null_after_writes_that_held_none(lake, engine, contract):
    """A table is created with its contract's columns, all nullable, and keeps them through a full overwrite: a
    first write whose column holds no null (a literal) does not make a later null fail (a silver quarantine record
    has no source file, where the bronze loads that created the quarantine had one), also where the table's
    columns are read in another order than its contract's (a partition column comes last)."""
    day = F.lit(dt.date(2026, 5, 4)).alias("day")
    first = engine.spark.range(1).select(day, F.lit("a").alias("id"), F.lit(1).alias("qty"))
    later = engine.spark.createDataFrame([("b", None)], "id string, qty int").select(day, "id", "qty")
    columns = contract.column_names
    lake.write(contract.ref, first.select(*columns))
    lake.write(contract.ref, first.select(*columns), mode="overwrite")
    lake.write(contract.ref, later.select(*columns))
    assert sorted((r.id, r.qty) for r in lake.read(contract.ref).collect()) == [("a", 1), ("b", None)]


def test_every_delta_write_takes_the_engine_write_options_and_none_is_kept_as_a_table_property(engine, tmp_path):
    """The local engine hands the Parquet writer 8,192 rows at a time and closes a file at 8 MiB (memory and time of
    the largest writes: ADR 0010, ADR 0013); the options reach every write (one the writer refuses fails it) and
    stay out of the table's metadata."""
    assert engine.write_options == {"writeBatchSize": "8192", "targetFileSize": str(8 << 20)}
    rows = engine.spark.createDataFrame([("a", dt.date(2026, 5, 4))], "id string, day date")
    lake = engine.lakehouse("retailflow_local", ContractRegistry([BY_DAY]), root=tmp_path / "lake")
    lake.write(BY_DAY.ref, rows)
    assert [r.id for r in lake.read(BY_DAY.ref).collect()] == ["a"]
    log = "".join(p.read_text() for p in sorted((lake.path(BY_DAY.ref) / "_delta_log").glob("*.json")))
    assert "writeBatchSize" not in log
    refused = Lakehouse(
        engine.spark,
        "retailflow_local",
        ContractRegistry([BY_DAY]),
        root=tmp_path / "refused",
        write_options={"writeBatchSize": "0"},
    )
    with pytest.raises(Exception, match="invalid option: writeBatchSize: 0"):
        refused.write(BY_DAY.ref, rows)


def test_a_local_write_closes_each_file_at_the_target_file_size_so_no_file_is_held_whole_in_memory(engine, tmp_path):
    """The local Delta writer builds each file in memory until it reaches `targetFileSize` (ADR 0013): with a target
    of one byte, every chunk of `writeBatchSize` rows of a date becomes a file of its own, and the table reads back
    whole."""
    lake = Lakehouse(
        engine.spark,
        "retailflow_local",
        ContractRegistry([BY_DAY]),
        root=tmp_path / "lake",
        write_options={"writeBatchSize": "1000", "targetFileSize": "1"},
    )
    rows = engine.spark.range(5000).selectExpr("cast(id as string) as id", "date'2026-05-04' as day").coalesce(1)
    lake.write(BY_DAY.ref, rows)
    files = list((lake.path(BY_DAY.ref) / "day=2026-05-04").glob("*.parquet"))
    assert len(files) == 5
    assert lake.read(BY_DAY.ref).count() == 5000


def test_a_table_whose_creation_was_killed_before_its_first_commit_is_created_again(lake, engine):
    """An engine killed (a SIGTERM of the run) while it created a table leaves an empty `_delta_log` folder: the
    table does not exist yet, and the next run's write creates it rather than failing to read it."""
    (lake.path(STRICT.ref) / "_delta_log").mkdir(parents=True)
    assert not lake.exists(STRICT.ref)
    lake.write(STRICT.ref, engine.spark.createDataFrame([("a", 1)], "id string, qty int"), mode="overwrite")
    assert lake.exists(STRICT.ref)
    assert [(r.id, r.qty) for r in lake.read(STRICT.ref).collect()] == [("a", 1)]


def test_not_null_contract_fails_the_write_and_commits_nothing(lake, engine):
    with pytest.raises(ContractViolation, match="column .id. is NOT NULL in the contract but 1 row"):
        lake.write(STRICT.ref, engine.spark.createDataFrame([(None, 1)], "id string, qty int"))
    assert not lake.exists(STRICT.ref)


def test_the_check_counts_the_kept_rows_nulls_for_the_write(lake, engine):
    # The contract's NOT NULL columns are counted in the expectations' aggregation, over the rows kept: a null id
    # on a quarantined row does not fail the write, one on a kept row does, and the write runs no count of its own.
    df = engine.spark.createDataFrame([("a", 1), (None, None), (None, 3)], "id string, qty int")
    checked = apply_expectations(df, [not_null("qty")], "silver.strict", lake.read, count_nulls=STRICT.required)
    assert checked.null_counts == {"id": 1} and checked.kept.count() == 2
    with pytest.raises(ContractViolation, match="column .id. is NOT NULL in the contract but 1 row"):
        lake.write(STRICT.ref, checked.kept, null_counts=checked.null_counts)
    clean = apply_expectations(df.filter("qty IS NULL OR id IS NOT NULL"), [not_null("qty")], "t", lake.read, ["id"])
    assert clean.null_counts == {"id": 0}
    lake.write(STRICT.ref, clean.kept, null_counts=clean.null_counts)
    assert [(r.id, r.qty) for r in lake.read(STRICT.ref).collect()] == [("a", 1)]


def test_json_ingestion_quarantines_rescues_and_accounts_for_every_line(lake, tmp_path):
    raw = tmp_path / "raw"
    lines = [
        '{"id": "a", "qty": 1}',
        '{"id": "b", "qty": "many"}',  # wrong type
        '{"qty": 3}',  # missing required
        "{not json",  # malformed
        '{"id": "c", "qty": 4, "colour": "red"}',  # drift: rescued
        '{"id": "d", "qty": 5} trailing',  # an object followed by junk is malformed too
        '{"id": "e", "qty": null}',  # an explicit null is not a wrong type
        '{"extra": 1}',  # no known field: missing required, the unknown one kept with the raw line
        "[1, 2]",  # JSON, but not an object
    ]
    land(raw, "events", "2026-01-01", "e1.jsonl", "\n".join(lines) + "\n")
    result = Ingestor(lake, raw, "run1", 1 << 20).ingest(EVENTS)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (9, 3, 6)
    bronze = {r["id"]: r for r in lake.read(EVENTS.bronze).collect()}
    assert set(bronze) == {"a", "c", "e"}
    assert json.loads(bronze["c"]["_rescued_data"]) == {"colour": "red"}
    assert bronze["a"]["_rescued_data"] is None and bronze["e"]["qty"] is None
    assert bronze["a"]["_source_file"].endswith("e1.jsonl") and bronze["a"]["ingestion_date"] == dt.date(2026, 1, 1)
    quarantined = {r["raw"]: r["reason"] for r in lake.read(QUARANTINE).collect()}
    assert quarantined == {
        '{"id": "b", "qty": "many"}': "field qty: wrong type, got many",
        '{"qty": 3}': "missing required field id",
        "{not json": "malformed JSON: not a JSON object",
        '{"id": "d", "qty": 5} trailing': "malformed JSON: not a JSON object",
        '{"extra": 1}': "missing required field id",
        "[1, 2]": "malformed JSON: not a JSON object",
    }
    assert lake.read(EVENTS.staging).filter("_reason IS NULL AND _raw IS NOT NULL").count() == 0


def test_unknown_json_fields_are_rescued_by_path_or_from_the_whole_line(lake, tmp_path):
    """A few plain unknown keys are read by path (values as received); more of them, a repeated key or a key no
    path can spell are rescued from the line parsed whole. Either way every unknown field is kept."""
    raw = tmp_path / "raw"
    lines = [
        '{"id": "p", "qty": 1, "promo": {"code": [1, 2]}, "gone": null, "rate": 2.50}',
        '{"id": "d", "qty": 1, "k": "first", "k": "last"}',
        '{"id": "n", "qty": 1, "a.b": 1, "say \\"hi\\"": "x"}',
        '{"id": "m", "qty": 1, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": "five"}',
        '{"id": "t", "qty": 1, "x": 1, "y": "two"}',
        '{"id": "f", "qty": 1, "k1": 1, "k2": [2], "k3": {"v": 3}, "k4": "four"}',
    ]
    land(raw, "events", "2026-01-01", "e1.jsonl", "\n".join(lines) + "\n")
    assert Ingestor(lake, raw, "run1", 1 << 20).ingest(EVENTS).rows_loaded == 6
    rescued = {r["id"]: json.loads(r["_rescued_data"]) for r in lake.read(EVENTS.bronze).collect()}
    promo, gone, rate = (rescued["p"].pop(key) for key in ("promo", "gone", "rate"))
    assert json.loads(promo) == {"code": [1, 2]} and gone is None and float(rate) == 2.5 and not rescued["p"]
    assert rescued["d"] == {"k": "last"}
    assert rescued["n"] == {"a.b": "1", 'say "hi"': "x"}
    assert rescued["m"] == {"k1": "1", "k2": "2", "k3": "3", "k4": "4", "k5": "five"}
    assert rescued["t"] == {"x": "1", "y": "two"}
    k3 = rescued["f"].pop("k3")
    assert json.loads(k3) == {"v": 3} and rescued["f"] == {"k1": "1", "k2": "[2]", "k4": "four"}


def test_parquet_rows_are_converted_and_only_the_quarantined_carry_their_record(lake, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = pa.table({"id": ["a", None, "c"], "qty": ["1", "2", "many"], "colour": ["red", None, "blue"]})
    folder = tmp_path / "raw" / "parts" / "ingestion_date=2026-01-01"
    folder.mkdir(parents=True)
    pq.write_table(rows, folder / "p1.parquet")
    result = Ingestor(lake, tmp_path / "raw", "run1", 1 << 20).ingest(PARTS)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    [good] = lake.read(PARTS.bronze).collect()
    assert (good["id"], good["qty"], json.loads(good["_rescued_data"])) == ("a", 1, {"colour": "red"})
    quarantined = {r["reason"]: json.loads(r["raw"]) for r in lake.read(QUARANTINE).collect()}
    assert quarantined == {
        "missing required field id": {"qty": "2"},
        "field qty: cannot convert string to int": {"id": "c", "qty": "many", "colour": "blue"},
    }
    assert lake.read(PARTS.staging).filter("_reason IS NULL AND _raw IS NOT NULL").count() == 0


def test_exactly_once_over_reruns_and_new_files(lake, tmp_path):
    raw = tmp_path / "raw"
    land(raw, "events", "2026-01-01", "e1.jsonl", '{"id": "a", "qty": 1}\n{"id": "b", "qty": 2}\n')
    ingestor = Ingestor(lake, raw, "run1", 1 << 20)
    assert ingestor.ingest(EVENTS).rows_loaded == 2
    assert Ingestor(lake, raw, "run2", 1 << 20).ingest(EVENTS).files == 0
    land(raw, "events", "2026-01-02", "e2.jsonl", '{"id": "c", "qty": 3}\n')
    again = Ingestor(lake, raw, "run3", 1 << 20).ingest(EVENTS)
    assert (again.files, again.rows_loaded) == (1, 1)
    assert sorted(r["id"] for r in lake.read(EVENTS.bronze).collect()) == ["a", "b", "c"]
    ledger = lake.read(LEDGER).collect()
    assert len(ledger) == 2 and sum(r["rows_loaded"] for r in ledger) == 3
    replayed = Ingestor(lake, raw, "run4", 1 << 20).ingest(
        EVENTS, dt.date(2026, 1, 1), dt.date(2026, 1, 1), replay=True
    )
    assert replayed.rows_loaded == 2
    assert sorted(r["id"] for r in lake.read(EVENTS.bronze).collect()) == ["a", "b", "c"]


@pytest.mark.parametrize("days", [3, LITERAL_PARTITIONS_MAX + 4])
def test_a_partitioned_write_keeps_every_row_in_its_partition_a_null_one_too(lake, days):
    """Up to LITERAL_PARTITIONS_MAX values the write is a frame per value, beyond it the rows as they are: either
    way every row lands once, in its own partition, and an overwrite with replaceWhere replaces only its values."""
    first = dt.date(2026, 1, 1)
    rows = [(f"r{i}", first + dt.timedelta(days=i % days)) for i in range(2 * days)] + [("no-day", None)]
    lake.write(BY_DAY.ref, lake.spark.createDataFrame(rows, BY_DAY.schema), mode="overwrite")
    assert sorted(tuple(r) for r in lake.read(BY_DAY.ref).collect()) == sorted(rows, key=lambda r: r[0])
    folders = sorted(p.name for p in lake.path(BY_DAY.ref).iterdir() if p.name.startswith("day="))
    assert len(folders) == days + 1 and folders[0] == "day=2026-01-01"
    replaced = [("new", first)]
    lake.write(
        BY_DAY.ref,
        lake.spark.createDataFrame(replaced, BY_DAY.schema),
        mode="overwrite",
        replace_where="day = '2026-01-01'",
    )
    kept = [r for r in rows if r[1] != first] + replaced
    assert sorted(tuple(r) for r in lake.read(BY_DAY.ref).collect()) == sorted(kept, key=lambda r: r[0])


def test_rows_the_runtime_appends_are_checked_against_the_contract_first(lake):
    lake.append_rows(STRICT.ref, [{"id": "a", "qty": 1}, {"qty": None, "id": "b"}])
    assert sorted(tuple(r) for r in lake.read(STRICT.ref).collect()) == [("a", 1), ("b", None)]
    with pytest.raises(ContractViolation, match=r"table silver.strict: column 'id' is NOT NULL .* row 1 has null"):
        lake.append_rows(STRICT.ref, [{"id": "c", "qty": 1}, {"id": None, "qty": 2}])
    with pytest.raises(ContractViolation, match=r"column 'qty' is missing from row 0"):
        lake.append_rows(STRICT.ref, [{"id": "d"}])
    with pytest.raises(ContractViolation, match=r"column 'extra' is not in row 0"):
        lake.append_rows(STRICT.ref, [{"id": "d", "qty": 1, "extra": 2}])
    assert lake.read(STRICT.ref).count() == 2  # nothing of a rejected batch was written


def test_a_batch_that_crashed_before_its_ledger_commit_is_retried_cleanly(lake, tmp_path):
    raw = tmp_path / "raw"
    land(raw, "events", "2026-01-01", "e1.jsonl", '{"id": "a", "qty": 1}\n{not json\n')

    def crash_on_ledger(point: str, ref: TableRef) -> None:
        if ref == LEDGER and point == "before_write":
            raise RuntimeError("injected crash")

    lake.fault_hook = crash_on_ledger
    with pytest.raises(RuntimeError, match="injected"):
        Ingestor(lake, raw, "run1", 1 << 20).ingest(EVENTS)
    lake.fault_hook = None
    assert lake.read(EVENTS.bronze).count() == 1 and lake.read(QUARANTINE).count() == 1  # left behind
    assert Ingestor(lake, raw, "run2", 1 << 20).ingest(EVENTS).rows_loaded == 1
    assert [r["id"] for r in lake.read(EVENTS.bronze).collect()] == ["a"]
    assert [r["batch_id"] for r in lake.read(QUARANTINE).collect()] == [
        r["batch_id"] for r in lake.read(LEDGER).collect()
    ]


def test_batches_hold_at_most_the_byte_limit_in_listing_order_and_a_larger_file_alone():
    files = [RawFile(f"f{i}", size, "2026-01-01") for i, size in enumerate((5, 5, 5, 20, 1, 4))]
    assert [[f.path for f in batch] for batch in batches_of(files, 10)] == [
        ["f0", "f1"],
        ["f2"],
        ["f3"],
        ["f4", "f5"],
    ]
    assert batches_of([], 10) == []


def test_a_backlog_loads_in_batches_each_committed_on_its_own(lake, tmp_path):
    """Three files of about 45 bytes with batches of at most 100 bytes: two batches, each with its own id in bronze,
    quarantine and ledger. A crash at the second batch's ledger commit keeps the first batch loaded; the rerun loads
    the second batch only, and every row is in bronze or quarantine exactly once."""
    raw = tmp_path / "raw"
    land(raw, "events", "2026-01-01", "e1.jsonl", '{"id": "a", "qty": 1}\n{"id": "b", "qty": 2}\n')
    land(raw, "events", "2026-01-02", "e2.jsonl", '{"id": "c", "qty": 3}\n{not json\n')
    land(raw, "events", "2026-01-03", "e3.jsonl", '{"id": "d", "qty": 4}\n{"id": "e", "qty": 5}\n')
    commits = []

    def crash_on_second_commit(point: str, ref: TableRef) -> None:
        if ref == LEDGER and point == "before_write":
            commits.append(ref)
            if len(commits) == 2:
                raise RuntimeError("injected crash")

    lake.fault_hook = crash_on_second_commit
    with pytest.raises(RuntimeError, match="injected"):
        Ingestor(lake, raw, "run1", 1 << 20, max_batch_bytes=100).ingest(EVENTS)
    lake.fault_hook = None
    assert sorted(r["file_path"].rsplit("/", 1)[1] for r in lake.read(LEDGER).collect()) == ["e1.jsonl", "e2.jsonl"]
    rerun = Ingestor(lake, raw, "run2", 1 << 20, max_batch_bytes=100).ingest(EVENTS)
    assert (rerun.files, rerun.rows_loaded, rerun.rows_quarantined) == (1, 2, 0)
    assert sorted(r["id"] for r in lake.read(EVENTS.bronze).collect()) == ["a", "b", "c", "d", "e"]
    ledger = {r["file_path"].rsplit("/", 1)[1]: r for r in lake.read(LEDGER).collect()}
    assert {name: (r["rows_loaded"], r["rows_quarantined"]) for name, r in ledger.items()} == {
        "e1.jsonl": (2, 0),
        "e2.jsonl": (1, 1),
        "e3.jsonl": (2, 0),
    }
    assert ledger["e1.jsonl"]["batch_id"] == ledger["e2.jsonl"]["batch_id"] != ledger["e3.jsonl"]["batch_id"]
    batches = {r["id"]: r["_batch_id"] for r in lake.read(EVENTS.bronze).collect()}
    assert (
        batches["a"] == batches["c"] == ledger["e1.jsonl"]["batch_id"]
        and batches["d"] == ledger["e3.jsonl"]["batch_id"]
    )
    [quarantined] = lake.read(QUARANTINE).collect()
    assert (quarantined["raw"], quarantined["batch_id"]) == ("{not json", ledger["e2.jsonl"]["batch_id"])


def test_csv_with_quotes_ragged_lines_and_bad_files(lake, tmp_path):
    raw = tmp_path / "raw"
    land(
        raw,
        "items",
        "2026-01-01",
        "i1.csv",
        'sku,name,qty\nA1,"Mug, large",2\nA2,Cup\nA3,Plate,1,extra\nA4,"Say ""hi""",x\n',
    )
    land(raw, "items", "2026-01-01", "i2.csv", b"sku,name,qty\n\xff\xfe\x00garbage\n")
    land(raw, "items", "2026-01-01", "i3.csv", b"")
    land(raw, "items", "2026-01-02", "i4.csv", "sku,name,qty,colour\nB1,Bowl,5,blue\n")
    result = Ingestor(lake, raw, "run1", 1 << 20).ingest(ITEMS)
    bronze = {r["sku"]: r for r in lake.read(ITEMS.bronze).collect()}
    assert bronze["A1"]["name"] == "Mug, large" and bronze["A1"]["qty"] == 2
    assert json.loads(bronze["B1"]["_rescued_data"]) == {"colour": "blue"}
    reasons = sorted(r["reason"] for r in lake.read(QUARANTINE).collect())
    assert "expected 3 fields, got 2" in reasons and "expected 3 fields, got 4" in reasons
    assert any(r.startswith("field qty: cannot parse") for r in reasons)
    assert any(r.startswith("not valid UTF-8") for r in reasons) and "empty file: no records" in reasons
    assert result.rows_loaded == 2 and result.rows_quarantined == 5


def gate_text_files(folder: Path, contents: dict[str, bytes]) -> GateResult:
    """The gate's verdict on text files written to `folder` with `contents` (name -> bytes)."""
    files = []
    for name, content in contents.items():
        (folder / name).write_bytes(content)
        files.append(RawFile(str(folder / name), len(content), "2026-01-01"))
    return gate_files(files, binary=False)


def test_utf8_gate_across_chunk_boundaries(tmp_path):
    """The gate reads 1 MiB, then 4 MiB chunks and skips decoding pure-ASCII chunks: a character split across a
    chunk boundary is valid, a sequence cut off by an ASCII chunk or by the end of the file is not, and an invalid
    byte far into the file is reported at its offset."""
    head, chunk = 1 << 20, 1 << 22
    euro = "€".encode()
    cases = {
        "split.txt": b"a" * (head - 1) + euro + b"b" * chunk,
        "cut.txt": b"a" * (head - 1) + euro[:1] + b"b" * chunk,
        "late.txt": b"x\n" + b"a" * (head + chunk) + b"\xff" + b"a" * 10,
        "tail.txt": b"a" * (head + 10) + euro[:2],
    }
    gate = gate_text_files(tmp_path, cases)
    assert [Path(readable.raw.path).name for readable in gate.readable] == ["split.txt"]
    reasons = {Path(raw.path).name: reason for raw, reason, _preview in gate.rejected}
    assert reasons["cut.txt"].startswith("not valid UTF-8")
    assert reasons["late.txt"] == f"not valid UTF-8 at byte {2 + head + chunk}: invalid start byte"
    assert reasons["tail.txt"].startswith("truncated UTF-8 sequence at the end of the file")


def test_utf8_gate_finds_a_byte_order_mark_anywhere(tmp_path):
    """The gate tells the parser which files hold a byte-order mark, so only their lines are searched for one: a
    mark at the start, one split across the boundary of two chunks far into the file, none in an ASCII file, and
    none in a file whose other characters are not ASCII."""
    head = 1 << 20
    mark = "\ufeff".encode()
    cases = {
        "first.jsonl": mark + b'{"a": 1}\n',
        "split.jsonl": b"a" * (head - 1) + mark + b"\n" + b"b" * 10,
        "ascii.jsonl": b'{"a": 1}\n' * 10,
        "euro.jsonl": '{"a": "€"}\n'.encode() * 10,
    }
    gate = gate_text_files(tmp_path, cases)
    marks = {Path(readable.raw.path).name: readable.byte_order_mark for readable in gate.readable}
    assert marks == {"first.jsonl": True, "split.jsonl": True, "ascii.jsonl": False, "euro.jsonl": False}


def test_fail_expectation_names_the_rule_and_a_row(engine):
    df = engine.spark.createDataFrame([("a",), ("a",), ("b",)], "id string")
    with pytest.raises(ExpectationFailed, match=r"expectation 'id_unique'.*2 row\(s\); first: \{\"id\": \"a\"\}"):
        apply_expectations(df, [unique(["id"])], "silver.t", lambda _: df)
    checked = apply_expectations(
        engine.spark.createDataFrame([("a",), (None,)], "id string"),
        [not_null("id", Action.QUARANTINE)],
        "t",
        lambda _: df,
    )
    assert [r.id for r in checked.kept.collect()] == ["a"] and checked.quarantined.count() == 1
    assert (checked.results[0].passed, checked.results[0].failed) == (1, 1)


def test_a_frame_no_row_of_which_fails_a_quarantine_rule_is_kept_as_it_is(engine):
    # The kept rows are the checked frame itself, so a write neither filters it nor computes it again (a silver
    # table's second checkpoint); where a row fails, the kept rows are filtered from it.
    df = engine.spark.createDataFrame([("a", 1), ("b", 2)], "id string, qty int")
    rules = [not_null("qty"), unique(["id"])]
    clean = apply_expectations(df, rules, "t", lambda _: df, count_nulls=["id"])
    assert clean.kept is df and clean.quarantined.count() == 0 and clean.null_counts == {"id": 0}
    assert [(r.rule, r.passed, r.failed) for r in clean.results] == [("qty_not_null", 2, 0), ("id_unique", 2, 0)]
    dirty = df.unionByName(engine.spark.createDataFrame([("c", None)], "id string, qty int"))
    checked = apply_expectations(dirty, rules, "t", lambda _: dirty)
    assert checked.kept is not dirty and sorted(r.id for r in checked.kept.collect()) == ["a", "b"]
    assert [r.id for r in checked.quarantined.collect()] == ["c"]


@pytest.mark.parametrize("rest_keys", [["c", "a"], ["c", "d", "e", "f", "a"]], ids=["rest smaller", "rest larger"])
def test_a_partial_write_counts_a_key_shared_with_the_stored_rest_whichever_side_is_larger(engine, rest_keys):
    # The rest is counted whole when it is the smaller side, and only its rows sharing a written key when it is
    # the larger: the same failures either way.
    written = engine.spark.createDataFrame([("a",), ("b",)], "id string")
    rest = engine.spark.createDataFrame([(k,) for k in rest_keys], "id string")
    warned = apply_expectations(written, [unique(["id"], Action.WARN)], "t", lambda _: written, rest=rest)
    assert [(r.passed, r.failed) for r in warned.results] == [(len(rest_keys), 2)]
    with pytest.raises(ExpectationFailed, match=r"'id_unique'.*2 row\(s\); first: \{\"id\": \"a\"\}"):
        apply_expectations(written, [unique(["id"])], "t", lambda _: written, rest=rest)
    clean = apply_expectations(written, [unique(["id"])], "t", lambda _: written, rest=rest.filter("id != 'a'"))
    assert [(r.passed, r.failed) for r in clean.results] == [(len(rest_keys) + 1, 0)]


@pytest.mark.parametrize(
    ("written_keys", "rest_keys", "failed"),
    [
        ([("b", 1), ("y", 1)], [("a", 1), ("b", 1), ("q", 2), ("y", 1), ("z", 1)], 4),
        ([(None, 1), ("m", 1)], [("a", 1), ("m", 2), (None, 1), ("z", 1), ("b", 1)], 2),
        ([(None, 1), (None, 2)], [("a", 1), (None, 2), ("z", 1)], 2),
        ([("b", 1), ("y", 1)], [("a", 1), ("c", 2), ("x", 2), ("z", 1)], 0),
    ],
    ids=["shared at the bounds", "a null key beside others", "only null keys", "none shared"],
)
def test_a_larger_rest_is_narrowed_to_the_written_keys_range_without_losing_a_shared_key(
    engine, written_keys, rest_keys, failed
):
    # Only the rest's rows whose first key column lies within the written rows' least and greatest value, or is
    # null, can share a key with them: the keys at the bounds and the null keys still count.
    written = engine.spark.createDataFrame(written_keys, "id string, n int")
    rest = engine.spark.createDataFrame(rest_keys, "id string, n int")
    if failed:
        with pytest.raises(ExpectationFailed, match=rf"'id_n_unique'.*: {failed} row\(s\)"):
            apply_expectations(written, [unique(["id", "n"])], "t", lambda _: written, rest=rest)
    else:
        checked = apply_expectations(written, [unique(["id", "n"])], "t", lambda _: written, rest=rest)
        assert [(r.passed, r.failed) for r in checked.results] == [(len(written_keys) + len(rest_keys), 0)]


def test_a_larger_rest_is_narrowed_by_a_number_key_too(engine):
    written = engine.spark.createDataFrame([(5,), (9,)], "id bigint")
    rest = engine.spark.createDataFrame([(k,) for k in (1, 5, 7, 12, 30)], "id bigint")
    with pytest.raises(ExpectationFailed, match=r"'id_unique'.*: 2 row\(s\); first: \{\"id\": 5\}"):
        apply_expectations(written, [unique(["id"])], "t", lambda _: written, rest=rest)


@pytest.mark.parametrize(
    ("keys", "bounds", "kept"),
    [
        (["m", "c", None, "k"], ("c", "m"), ["c", "k", "m", None]),
        ([None, None], (None, None), [None]),
        ([], (None, None), [None]),
    ],
    ids=["bounds inclusive, nulls kept", "only null keys", "no keys"],
)
def test_a_key_range_keeps_every_row_that_can_share_a_key_and_its_nulls(engine, keys, bounds, kept):
    # The previous dates of a rebuild, the keys living elsewhere and a partial write's uniqueness all look up stored
    # rows only within the range of the keys they look for; a stored row outside it cannot share a key.
    stored = engine.spark.createDataFrame([(k,) for k in ("a", "c", "k", "m", "z", None)], "id string")
    looked_for = engine.spark.createDataFrame([(k,) for k in keys], "id string")
    assert key_range(looked_for, "id") == bounds
    rows = [r.id for r in within_range(stored, "id", bounds).collect()]
    assert sorted(rows, key=lambda k: (k is None, k or "")) == kept


def test_a_key_range_of_numbers_compares_numbers_not_text(engine):
    stored = engine.spark.createDataFrame([(k,) for k in (1, 5, 9, 10, 100)], "id bigint")
    bounds = key_range(engine.spark.createDataFrame([(9,), (5,)], "id bigint"), "id")
    assert bounds == (5, 9) and sorted(r.id for r in within_range(stored, "id", bounds).collect()) == [5, 9]


def test_uniqueness_counted_by_key_agrees_with_flagged_rows(engine):
    """A warn rule counts by grouping the key; a quarantine rule flags each row: both count the same failures."""
    df = engine.spark.createDataFrame([(k,) for k in ("a", "a", "b", "c", "c", "c", None, None)], "id string")
    warned = apply_expectations(df, [unique(["id"], Action.WARN)], "t", lambda _: df)
    quarantined = apply_expectations(df, [unique(["id"], Action.QUARANTINE)], "t", lambda _: df)
    assert (
        [(r.passed, r.failed) for r in warned.results]
        == [(1, 7)]
        == [(r.passed, r.failed) for r in quarantined.results]
    )
    assert warned.kept.count() == 8 and [r.id for r in quarantined.kept.collect()] == ["b"]
    assert quarantined.quarantined.count() == 7


def test_keys_that_share_a_hash_never_fail_uniqueness_and_duplicates_still_count_exactly(engine, monkeypatch):
    """The count groups a hash of the key; where a hash repeats, its rows are counted again by the key itself."""
    import retailflow.workloads.runtime.latest as latest_module

    monkeypatch.setattr(latest_module, "key_hash", lambda key: F.lit(7).cast("bigint"))  # every key collides
    distinct = engine.spark.createDataFrame([("a", 1), ("b", 1), ("a", 2), (None, 1)], "id string, n int")
    checked = apply_expectations(distinct, [unique(["id", "n"], Action.WARN)], "t", lambda _: distinct)
    assert [(r.passed, r.failed) for r in checked.results] == [(4, 0)]
    df = engine.spark.createDataFrame([(k,) for k in ("a", "a", "b", "c", "c", "c", None, None)], "id string")
    warned = apply_expectations(df, [unique(["id"], Action.WARN)], "t", lambda _: df)
    assert [(r.passed, r.failed) for r in warned.results] == [(1, 7)]


@pytest.mark.parametrize("growing", [False, True], ids=["table hashed whole", "lookup from the checked values"])
def test_a_reference_passes_a_null_or_a_stored_key_whichever_side_the_lookup_is_built_from(engine, growing):
    # A repeated referenced key (a non-unique column) counts once; a repeated checked value is counted per row.
    stored = engine.spark.createDataFrame([("o1",), ("o2",), ("o2",), ("o9",)], "order_id string")
    rows = [("p1", "o1"), ("p2", "o2"), ("p3", "o3"), ("p4", "o3"), ("p5", None)]
    payments = engine.spark.createDataFrame(rows, "payment_id string, order_id string")
    rule = references("order_id", "silver.orders", "order_id", Action.WARN, growing=growing)
    warned = apply_expectations(payments, [rule], "silver.payments", lambda _: stored)
    assert [(r.rule, r.passed, r.failed) for r in warned.results] == [("order_id_references_silver_orders", 3, 2)]
    assert sorted(r.payment_id for r in warned.kept.collect()) == ["p1", "p2", "p3", "p4", "p5"]
    quarantine = references("order_id", "silver.orders", "order_id", Action.QUARANTINE, growing=growing)
    checked = apply_expectations(payments, [quarantine], "silver.payments", lambda _: stored)
    assert sorted(r.payment_id for r in checked.kept.collect()) == ["p1", "p2", "p5"]
    assert sorted(r.payment_id for r in checked.quarantined.collect()) == ["p3", "p4"]


SPEC = Scd2Spec(key=("id",), tracked=("tier",), sequence="ts", surrogate_key="sk")


def _changes(engine, rows):
    return engine.spark.createDataFrame(
        [(i, t, dt.datetime(2026, 1, d)) for i, t, d in rows], "id string, tier string, ts timestamp"
    )


@pytest.mark.parametrize("merge", [True, False], ids=["merge", "replace"])
def test_scd2_out_of_order_and_idempotent(lake, engine, merge):
    apply_scd2(lake, DIM, _changes(engine, [("c1", "silver", 1), ("c1", "gold", 5), ("c2", "none", 2)]), SPEC)
    # a late change between two versions, a duplicate, an unchanged attribute, and a key the batch does not touch
    apply_scd2(lake, DIM, _changes(engine, [("c3", "gold", 1)]), SPEC, merge=merge)
    apply_scd2(
        lake, DIM, _changes(engine, [("c1", "bronze", 3), ("c1", "gold", 5), ("c2", "none", 4)]), SPEC, merge=merge
    )
    rows = sorted(
        (r.id, r.tier, r.valid_from.day, r.valid_to.day if r.valid_to else None, r.is_current)
        for r in lake.read(DIM).collect()
    )
    assert rows == [
        ("c1", "bronze", 3, 5, False),
        ("c1", "gold", 5, None, True),
        ("c1", "silver", 1, 3, False),
        ("c2", "none", 2, None, True),
        ("c3", "gold", 1, None, True),
    ]
    before = sorted(map(tuple, lake.read(DIM).collect()))
    apply_scd2(lake, DIM, _changes(engine, [("c1", "bronze", 3), ("c2", "none", 4)]), SPEC, merge=merge)
    assert sorted(map(tuple, lake.read(DIM).collect())) == before


@pytest.mark.parametrize("collide", [False, True], ids=["hashed", "every-key-one-hash"])
def test_scd2_history_keeps_one_change_per_key_and_time(engine, monkeypatch, collide, window_form):
    """Two changes of a key at one time: the first by its attributes stays (as a window over every change would
    keep it). Only the times of repeated key hashes are ranked, so keys that share a hash each keep their row."""
    import retailflow.workloads.runtime.latest as latest_module

    if collide:
        monkeypatch.setattr(latest_module, "key_hash", lambda key: F.lit(7).cast("bigint"))
    changes = _changes(
        engine,
        [
            ("c1", "silver", 1),
            ("c1", "gold", 1),  # the same time: "gold" sorts first
            ("c1", "gold", 2),  # unchanged: no version
            ("c1", "bronze", 4),
            ("c2", "none", 2),
            ("c2", "none", 2),  # delivered twice
            ("c3", None, 3),
        ],
    )
    rows = sorted(
        (r.id, r.tier, r.valid_from.day, r.valid_to.day if r.valid_to else None, r.is_current)
        for r in build_history(changes, SPEC).collect()
    )
    assert rows == [
        ("c1", "bronze", 4, None, True),
        ("c1", "gold", 1, 4, False),
        ("c2", "none", 2, None, True),
        ("c3", None, 3, None, True),
    ]


def test_local_tables_are_standard_delta(lake, engine):
    from deltalake import DeltaTable

    lake.write(STRICT.ref, engine.spark.createDataFrame([("a", 1), ("b", 2)], "id string, qty int"))
    theirs = sorted((r["id"], r["qty"]) for r in DeltaTable(str(lake.path(STRICT.ref))).to_pyarrow_table().to_pylist())
    ours = sorted((r.id, r.qty) for r in lake.read(STRICT.ref).collect())
    assert theirs == ours == [("a", 1), ("b", 2)]


def test_a_second_run_on_the_same_lakehouse_is_refused(tmp_path):
    from retailflow.local.lock import LakehouseBusy, lakehouse_lock

    with lakehouse_lock(tmp_path), pytest.raises(LakehouseBusy, match="another retailflow run is using the lakehouse"):
        with lakehouse_lock(tmp_path):
            pass


def test_the_local_engine_checkpoints_into_its_own_scratch_directory(engine):
    scratch = engine.scratch
    assert scratch is not None and scratch.is_dir()
    frame = engine.spark.range(5).checkpoint(eager=True)
    assert sorted(r["id"] for r in frame.collect()) == [0, 1, 2, 3, 4]
    assert any(scratch.rglob("*.parquet"))


def test_closing_the_local_engine_removes_its_scratch_directory():
    # In a process of its own: one local engine per process, as the CLI and the job entry point run it.
    script = (
        "from retailflow.local.engine import start_local\n"
        "engine = start_local(); scratch = engine.scratch\n"
        "engine.spark.range(3).checkpoint(eager=True).collect()\n"
        "engine.close(); print(scratch.exists())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_engine_settings_do_not_override_the_environment(monkeypatch):
    from retailflow.local.engine import LOCAL_ENGINE_SETTINGS, _server_environment

    setting = next(iter(LOCAL_ENGINE_SETTINGS))
    monkeypatch.setenv(setting, "mine")
    environment = _server_environment(Path("/scratch"))
    assert environment[setting] == "mine"
    assert environment["SAIL_EXECUTION__CHECKPOINT__PATH"] == "/scratch"
    assert all(environment[k] == v for k, v in LOCAL_ENGINE_SETTINGS.items() if k != setting)


def test_a_group_window_gives_each_groups_first_row_and_its_neighbours_in_every_form(engine, window_form):
    """Groups of two columns, nulls among them (a null groups with a null), of one to three rows."""
    from retailflow.workloads.runtime.group_window import GroupWindow

    rows = [
        ("x", 1, 3, "x1-3"),
        ("x", 1, 1, "x1-1"),
        ("x", 1, 2, "x1-2"),
        ("x", 2, 1, "x2-1"),
        ("x", None, 6, "xN-6"),
        ("x", None, 5, "xN-5"),
        (None, None, 2, "NN-2"),
        (None, None, 1, "NN-1"),
        (None, 1, 7, "N1-7"),
    ]
    df = engine.spark.createDataFrame(rows, "a string, b int, t int, v string")
    window = GroupWindow.of(df, [F.col("a"), F.col("b")], [F.col("t")])
    assert window.buckets == window_form
    assert sorted(r.v for r in window.first_rows(df).collect()) == ["N1-7", "NN-1", "x1-1", "x2-1", "xN-5"]
    neighbours = df.select("v", window.previous(F.col("v")).alias("before"), window.next(F.col("v")).alias("after"))
    assert sorted((r.v, r.before, r.after) for r in neighbours.collect()) == [
        ("N1-7", None, None),
        ("NN-1", None, "NN-2"),
        ("NN-2", "NN-1", None),
        ("x1-1", None, "x1-2"),
        ("x1-2", "x1-1", "x1-3"),
        ("x1-3", "x1-2", None),
        ("x2-1", None, None),
        ("xN-5", None, "xN-6"),
        ("xN-6", "xN-5", None),
    ]


def test_the_local_engine_sets_its_window_buckets_and_a_setting_that_is_not_a_count_is_refused_by_name(engine):
    from retailflow.local.engine import LOCAL_GROUP_BUCKETS
    from retailflow.workloads.runtime.group_window import GROUP_BUCKETS, group_buckets

    assert group_buckets(engine.spark.range(1)) == LOCAL_GROUP_BUCKETS == 1024
    for value in ("0", "lots", "-4"):
        with group_buckets_set(engine.spark, value):
            with pytest.raises(ValueError, match=f"session setting {GROUP_BUCKETS}: '{value}' is not a positive"):
                group_buckets(engine.spark.range(1))
    assert group_buckets(engine.spark.range(1)) == LOCAL_GROUP_BUCKETS


def test_a_first_row_per_group_window_runs_as_a_sort_the_engine_can_spill(engine, capsys, window_form):
    """`first_per_group` must sort (a sort spills past the engine's memory pool): the local engine's per-group top-N
    operator keeps each group's first row in memory, unspilled, and ran out of the pool over silver orders' keys."""
    from retailflow.workloads.runtime.latest import first_per_group

    rows = engine.spark.range(100).select((F.col("id") % 7).alias("k"), F.col("id").alias("v"))
    first = first_per_group(rows, [F.col("k")], [F.col("v").desc()])
    first.explain()
    plan = capsys.readouterr().out
    assert "SortExec" in plan and "PartitionedTopK" not in plan
    kept = sorted((r.k, r.v) for r in first.collect())
    assert kept == [(0, 98), (1, 99), (2, 93), (3, 94), (4, 95), (5, 96), (6, 97)]


def _children() -> set[int]:
    """Our live child processes (the local engine runs as one)."""
    import psutil

    return {p.pid for p in psutil.Process().children() if p.status() != psutil.STATUS_ZOMBIE}


def test_an_engine_over_its_memory_budget_is_restarted_between_tasks_one_engine_at_a_time(monkeypatch):
    from retailflow.local.engine import start_local

    before = _children()
    engine = start_local(memory_budget_mb=1)  # any engine holds more than 1 MiB
    try:
        local = engine._local
        assert local is not None and len(_children() - before) == 1  # no spare engine beside the one in use
        engines_when_starting = []
        start_engine = local._start

        def start():
            engines_when_starting.append(len(_children() - before))
            return start_engine()

        monkeypatch.setattr(local, "_start", start)
        first = engine.spark
        assert first.range(1000).selectExpr("id % 10 AS k").groupBy("k").count().count() == 10
        assert engine.renew() is True and engine.restarts == 1
        assert engines_when_starting == [0]  # the old engine was gone before the new one started
        assert engine.spark is not first
        # A frame checkpointed on the new engine is read back from it, though the client's active session is the
        # session fixture's engine or the stopped one.
        lake = engine.lakehouse("retailflow_local", ContractRegistry())
        assert sorted(r["id"] for r in lake.materialize(engine.spark.range(4)).collect()) == [0, 1, 2, 3]
        assert len(_children() - before) == 1
    finally:
        engine.close()
    assert first.is_stopped and _children() == before  # the old engine and the one in use: both stopped


def test_an_engine_within_its_budget_is_kept_and_one_that_died_is_replaced():
    from retailflow.local.engine import start_local

    engine = start_local(memory_budget_mb=4096)
    try:
        kept = engine.spark
        assert engine.renew() is False and engine.spark is kept
        os.kill(engine._local.server._process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        engine._local.server._process.wait()  # type: ignore[union-attr]
        assert engine.renew() is True
        assert engine.spark.range(3).count() == 3
    finally:
        engine.close()


def test_the_engine_is_restarted_or_keeps_a_task_from_starting_beside_another_by_the_rise_expected_of_it():
    from retailflow.local.engine import start_local

    engine = start_local(memory_budget_mb=4096)
    local = engine._local
    assert local is not None
    try:
        # Before any task finished, three quarters of the budget is assumed: a fresh engine is far below the rest,
        # but a second task beside the first could take it over.
        assert local.rises.largest is None and engine.renew("next") is False and engine.crowded(["sort"], "next")
        with engine.watching("sort"):
            engine.spark.range(300_000).selectExpr("id", "uuid() AS u").orderBy("u").collect()
        rise = local.rises.largest
        assert rise is not None and rise > 0  # the task raised the engine's resident memory, and it was measured
        assert local.rises.measured == {"sort": rise}
        resident = local.server.resident_bytes()
        assert resident is not None and not engine.crowded(["sort"], "next")
        # Room for the rise of the running task and of one more, not for a third.
        local.rises.largest = ((4096 << 20) - resident) // 2 - (32 << 20)
        assert not engine.crowded(["a"], "next") and engine.crowded(["a", "b"], "next")
        local.rises.largest = ((4096 << 20) - resident) // 2 + (32 << 20)
        assert engine.crowded(["a"], "next") and engine.renew("next") is False
        # A task remembered small fits beside a running one, and needs no restart where one remembered large does.
        local.rises.remembered = {"small": 64 << 20, "large": (4096 << 20) - resident + (1 << 20)}
        assert not engine.crowded(["a"], "small") and engine.crowded(["a"], "large")
        before = engine.spark
        assert engine.renew("small") is False and engine.spark is before
        assert engine.renew("large") is True and engine.spark is not before and engine.restarts == 1
        assert local.rises.largest is not None  # the run's tasks still tell what the next one may need
    finally:
        engine.close()


def test_a_local_engine_that_cannot_start_is_a_clear_error(monkeypatch):
    from retailflow.local.engine import EngineError, start_local

    monkeypatch.setenv("SAIL_RUNTIME__MEMORY_POOL__TYPE", "no-such-pool")
    with pytest.raises(EngineError, match=r"the local engine exited before it listened \(exit code 1\)"):
        start_local()


def test_a_local_engine_that_never_listens_is_a_clear_error_not_a_hang(monkeypatch):
    from retailflow.local.engine import EngineError, SailServerProcess

    monkeypatch.setattr(SailServerProcess, "COMMAND", (sys.executable, "-c", "import time; time.sleep(60)"))
    started = time.perf_counter()
    with pytest.raises(EngineError, match=r"the local engine did not listen within 0.5 s"):
        SailServerProcess(dict(os.environ), start_timeout=0.5)
    assert time.perf_counter() - started < 10


def test_an_engine_without_a_budget_is_never_restarted(engine):
    engine.spark.range(100_000).selectExpr("id % 7 AS k").groupBy("k").count().collect()
    assert engine.renew() is False


def test_a_hash_join_builds_from_its_left_input_whatever_the_sizes(engine, capsys):
    """The transforms put the smaller side of each join on the left; the engine must not swap the inputs by
    statistics (which vary with how many files a table was written in)."""
    big = engine.spark.range(200_000).withColumnRenamed("id", "k")
    small = engine.spark.createDataFrame([(1, "a")], "k long, v string")
    big.join(small, "k", "left").explain()
    joins = [line for line in capsys.readouterr().out.splitlines() if "HashJoinExec" in line]
    assert len(joins) == 1 and "join_type=Left" in joins[0], joins


def test_a_task_reads_only_the_tables_its_declaration_names(tmp_path: Path):
    from retailflow.workloads.runtime.context import RunOptions, UndeclaredRead
    from retailflow.workloads.runtime.engine import SPARK_CAPABILITIES
    from retailflow.workloads.runtime.graph import Task

    declaration = Task.of("silver_things", ("bronze.things",), ("silver.things",), "Things")
    ctx = RunOptions(raw_root=tmp_path, run_id="r1").context(None, SPARK_CAPABILITIES, declaration)  # type: ignore[arg-type]
    with pytest.raises(UndeclaredRead) as raised:
        ctx.read("bronze.other")
    assert (
        str(raised.value)
        == "task silver_things reads bronze.other, which it does not declare (its inputs: bronze.things)"
    )
    assert declaration.may_read(TableRef.parse("bronze.things")) and declaration.may_read(
        TableRef.parse("silver.things")
    )


def test_every_declared_task_has_exactly_one_run():
    from retailflow.workloads.retail.graph import PIPELINE
    from retailflow.workloads.retail.tasks import RUNS
    from retailflow.workloads.runtime.graph import GraphError
    from retailflow.workloads.runtime.pipeline import Pipeline

    assert set(RUNS) == set(PIPELINE.tasks)
    with pytest.raises(GraphError, match="task 'gold_daily_revenue' is declared but has no run bound to it"):
        Pipeline(PIPELINE, {k: v for k, v in RUNS.items() if k != "gold_daily_revenue"})
    with pytest.raises(GraphError, match="a run is bound to 'gold_nothing', which the graph does not declare"):
        Pipeline(PIPELINE, {**RUNS, "gold_nothing": RUNS["maintenance"]})


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
def test_a_join_stated_naturally_gives_the_rows_and_columns_of_dataframe_join(engine, how):
    from retailflow.workloads.runtime.joins import join

    facts = engine.spark.createDataFrame([(1, "a", 10), (2, "b", 20), (4, None, 40)], "k int, name string, qty int")
    lookup = engine.spark.createDataFrame([(1, "one"), (3, "three")], "k int, label string")
    renamed = lookup.withColumnRenamed("k", "lookup_k")
    cases = [(facts, lookup, "k"), (facts, lookup, ["k"]), (facts, renamed, facts["k"] == renamed["lookup_k"])]
    for left, right, on in cases:
        expected = left.join(right, on, how)
        got = join(left, right, on, how)
        assert got.columns == expected.columns
        assert sorted(map(tuple, got.collect()), key=repr) == sorted(map(tuple, expected.collect()), key=repr)


def test_a_task_is_retried_alone_after_an_engine_failure_but_not_after_its_own_error(engine):
    transport = (
        "SparkConnectGrpcException: <_InactiveRpcError of RPC that terminated with: status = StatusCode.INTERNAL"
    )
    assert engine.retry_reason(transport) == "a lost answer of the engine"
    memory = "RuntimeError: Resources exhausted: Failed to allocate additional 8 MB"
    assert engine.retry_reason(memory) == "lack of engine memory"
    assert engine.retry_reason("AnalysisException: [UNRESOLVED_COLUMN] order_idx cannot be resolved") is None
    assert engine.retry_reason("ExpectationFailed: expectation 'order_id_unique' failed on silver.orders") is None
