"""Ingestion loses nothing and duplicates nothing, whatever the files look like: names with glob and quoting
characters, a file changed after it was ingested, CSV with a byte-order mark or a quoted line break, a damaged
commit in a table's log. Each test checks raw records = bronze + quarantine, or a one-line error naming the file or
table."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retailflow.workloads.retail.contracts import registry
from retailflow.workloads.retail.sources import ORDERS, PRODUCTS, STORE_SALES
from retailflow.workloads.runtime.ingest import Ingestor, RawFileChanged
from retailflow.workloads.runtime.ops import LEDGER, QUARANTINE
from retailflow.workloads.runtime.tables import DamagedTable, Lakehouse

from .test_inputs import DAY, land, order

HOSTILE_NAMES = [
    "orders[1].jsonl",
    "orders{a,b}.jsonl",
    "orders*.jsonl",
    "orders?.jsonl",
    "it's.jsonl",
    "back\\slash.jsonl",
    "with space.jsonl",
]


@pytest.fixture
def lake(engine, tmp_path) -> Lakehouse:
    return engine.lakehouse("retailflow_local", registry(), root=tmp_path / "lake")


def ingestor(lake: Lakehouse, raw: Path) -> Ingestor:
    return Ingestor(lake, raw, "run-1", 1 << 20)


def bronze_ids(lake: Lakehouse) -> list[str]:
    return sorted(r[0] for r in lake.read(ORDERS.bronze).select("order_id").collect())


def test_hostile_file_names_load_each_file_once(lake, tmp_path):
    raw = tmp_path / "raw"
    land(raw, "orders", "orders1.jsonl", order("PLAIN-1") + "\n")  # what `orders[1]` and `orders?` would match
    for number, name in enumerate(HOSTILE_NAMES):
        land(raw, "orders", name, "".join(order(f"H{number}-{i}") + "\n" for i in range(3)))
    result = ingestor(lake, raw).ingest(ORDERS)
    expected = ["PLAIN-1"] + [f"H{n}-{i}" for n in range(len(HOSTILE_NAMES)) for i in range(3)]
    assert bronze_ids(lake) == sorted(expected)  # nothing lost, nothing read twice
    assert result.rows_loaded == len(expected) and result.rows_quarantined == 0
    ledger = {Path(r["file_path"]).name: r["rows_loaded"] for r in lake.read(LEDGER).collect()}
    assert ledger == {"orders1.jsonl": 1, **{name: 3 for name in HOSTILE_NAMES}}


def test_a_replay_of_hostile_names_removes_their_rows_first(lake, tmp_path):
    raw = tmp_path / "raw"
    for number, name in enumerate(HOSTILE_NAMES):
        land(raw, "orders", name, order(f"H{number}") + "\n")
    ingestor(lake, raw).ingest(ORDERS)
    ingestor(lake, raw).ingest(ORDERS, replay=True)  # the cleanup's SQL literals must match these paths
    assert bronze_ids(lake) == sorted(f"H{n}" for n in range(len(HOSTILE_NAMES)))
    assert lake.read(LEDGER).count() == len(HOSTILE_NAMES)


def test_a_file_changed_after_it_was_ingested_is_an_error_naming_it(lake, tmp_path):
    raw = tmp_path / "raw"
    path = land(raw, "orders", "a.jsonl", order("O1") + "\n")
    ingestor(lake, raw).ingest(ORDERS)
    path.write_text(order("O1") + "\n" + order("O2") + "\n")  # appended after ingestion
    with pytest.raises(RawFileChanged) as raised:
        ingestor(lake, raw).ingest(ORDERS)
    message = str(raised.value)
    assert message.startswith(f"{path}: changed after it was ingested (") and "\n" not in message
    assert bronze_ids(lake) == ["O1"]


def test_a_csv_byte_order_mark_and_a_quoted_line_break_lose_nothing(lake, tmp_path):
    raw = tmp_path / "raw"
    header = "sku,name,category,brand,list_price,active,updated_at"
    rows = [f"SKU-{i},Item {i},home,Contoso,{i}.50,true,2026-03-02T00:00:00+00:00" for i in range(3)]
    land(raw, "products", "a-bom.csv", ("\ufeff" + header + "\n" + "\n".join(rows) + "\n").encode())
    split = 'SKU-9,"Item 9, size\nlarge",home,Contoso,9.50,true,2026-03-02T00:00:00+00:00'
    land(raw, "products", "b-split.csv", header + "\n" + rows[0].replace("SKU-0", "SKU-5") + "\n" + split + "\n")
    result = ingestor(lake, raw).ingest(PRODUCTS)
    loaded = sorted(r[0] for r in lake.read(PRODUCTS.bronze).select("sku").collect())
    assert loaded == ["SKU-0", "SKU-1", "SKU-2", "SKU-5"]
    quarantined = lake.read(QUARANTINE).select("raw", "reason").collect()
    assert sorted(r["raw"] for r in quarantined) == [
        'SKU-9,"Item 9, size',
        'large",home,Contoso,9.50,true,2026-03-02T00:00:00+00:00',
    ]
    assert {r["reason"] for r in quarantined} == {
        "unterminated quoted field: a quoted value holds a line break, which splits the record"
    }
    assert result.rows_in == 4 + 2  # every line of both files: bronze + quarantine


def test_a_json_byte_order_mark_is_not_a_malformed_line(lake, tmp_path):
    """A mark at the start of a file, and one inside a file made of two exports joined (the second's mark starts a
    line), are taken off; a file without one loads beside them."""
    raw = tmp_path / "raw"
    land(raw, "orders", "a.jsonl", ("\ufeff" + order("O1") + "\n" + order("O2") + "\n").encode())
    land(raw, "orders", "b.jsonl", (order("O3") + "\n" + "\ufeff" + order("O4") + "\n").encode())
    land(raw, "orders", "c.jsonl", order("O5") + "\n")
    ingestor(lake, raw).ingest(ORDERS)
    assert bronze_ids(lake) == ["O1", "O2", "O3", "O4", "O5"] and lake.read(QUARANTINE).count() == 0


@pytest.mark.parametrize("damage", ["empty", "cut off"])
def test_a_damaged_newest_commit_is_an_error_naming_the_table(lake, tmp_path, damage):
    raw = tmp_path / "raw"
    land(raw, "orders", "a.jsonl", order("O1") + "\n")
    ingestor(lake, raw).ingest(ORDERS)
    land(raw, "orders", "b.jsonl", order("O2") + "\n")
    ingestor(lake, raw).ingest(ORDERS)
    log_dir = lake.path(ORDERS.bronze) / "_delta_log"
    newest = sorted(log_dir.glob("*.json"))[-1]
    newest.write_text("" if damage == "empty" else newest.read_text()[:-40])
    with pytest.raises(DamagedTable) as raised:
        lake.read(ORDERS.bronze).count()
    assert str(raised.value).startswith(f"table bronze.orders: its newest commit {newest} ")
    assert ("is empty" if damage == "empty" else "is cut off or corrupt") in str(raised.value)


def test_what_is_not_a_data_file_is_skipped_with_a_reason_and_counted(lake, tmp_path):
    raw = tmp_path / "raw"
    land(raw, "orders", "a.jsonl", order("O1") + "\n")
    land(raw, "orders", "_SUCCESS", "")
    land(raw, "orders", ".a.jsonl.crc", "x")
    (raw / "orders" / f"ingestion_date={DAY}" / "b.jsonl").mkdir()  # a folder named like a data file
    for folder in ("ingestion_date=2026-1-8", "ingestion_date=2026-02-30", "notes"):
        (raw / "orders" / folder).mkdir(parents=True)
        (raw / "orders" / folder / "c.jsonl").write_text(order("LOST") + "\n")
    result = ingestor(lake, raw).ingest(ORDERS)
    assert bronze_ids(lake) == ["O1"]
    why = {Path(path).name: reason for path, reason in result.skipped}
    assert why == {
        "_SUCCESS": "a hidden or metadata file (its name starts with . or _)",
        ".a.jsonl.crc": "a hidden or metadata file (its name starts with . or _)",
        "b.jsonl": "a folder inside a partition, not a file",
        "ingestion_date=2026-1-8": "not a partition folder (ingestion_date=YYYY-MM-DD)",
        "ingestion_date=2026-02-30": "2026-02-30 is not a calendar date",
        "notes": "not a partition folder (ingestion_date=YYYY-MM-DD)",
    }


def test_a_parquet_file_with_a_list_where_a_number_belongs_is_quarantined_whole(lake, tmp_path):
    raw = tmp_path / "raw"
    line = {
        "transaction_id": "T1",
        "line_number": 1,
        "store_id": "ST001",
        "store_name": "RetailFlow Utrecht 1",
        "store_city": "Utrecht",
        "sku": "SKU-00001",
        "unit_price": 2.5,
        "sold_at": "2026-03-02T10:00:00+00:00",
        "customer_id": None,
    }
    folder = raw / "store_sales" / f"ingestion_date={DAY}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{**line, "quantity": 2}]), folder / "a-good.parquet")
    pq.write_table(
        pa.Table.from_pylist([{**line, "transaction_id": "T2", "quantity": [1, 2]}]), folder / "b-list.parquet"
    )
    result = ingestor(lake, raw).ingest(STORE_SALES)
    assert [r["transaction_id"] for r in lake.read(STORE_SALES.bronze).collect()] == ["T1"]
    (row,) = lake.read(QUARANTINE).collect()
    assert Path(row["source_file"]).name == "b-list.parquet"
    assert row["reason"] == "unreadable file: field quantity: column of type array<bigint> cannot be read as int"
    assert result.rows_loaded == 1 and result.rows_quarantined == 1
    assert ingestor(lake, raw).ingest(STORE_SALES).files == 0  # ledgered: it does not block the source again
