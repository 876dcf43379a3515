"""Ingestion loses nothing and duplicates nothing, whatever the files look like: names with glob and quoting
characters, a file changed after it was ingested, CSV with a byte-order mark or a quoted line break, a damaged
commit in a table's log. Each test checks raw records = bronze + quarantine, or a one-line error naming the file or
table."""

from __future__ import annotations

from pathlib import Path

import pytest

from retailflow.workloads.retail.contracts import registry
from retailflow.workloads.retail.sources import ORDERS, PRODUCTS
from retailflow.workloads.runtime.ingest import Ingestor, RawFileChanged
from retailflow.workloads.runtime.ops import LEDGER, QUARANTINE
from retailflow.workloads.runtime.tables import DamagedTable, Lakehouse

from .test_inputs import land, order

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
    raw = tmp_path / "raw"
    land(raw, "orders", "a.jsonl", ("\ufeff" + order("O1") + "\n" + order("O2") + "\n").encode())
    ingestor(lake, raw).ingest(ORDERS)
    assert bronze_ids(lake) == ["O1", "O2"] and lake.read(QUARANTINE).count() == 0


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
