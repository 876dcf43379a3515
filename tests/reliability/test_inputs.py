"""Corrupt and drifting inputs: each bad file or line lands in quarantine with its reason (a vanished file is logged
and retried next run), the other files of the batch still load, and the counts reconcile."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from retailflow.workloads.retail.contracts import registry
from retailflow.workloads.retail.sources import ORDERS, PRODUCTS, STORE_SALES
from retailflow.workloads.runtime import ingest as ingest_module
from retailflow.workloads.runtime.ingest import Ingestor
from retailflow.workloads.runtime.ops import LEDGER, QUARANTINE
from retailflow.workloads.runtime.tables import Lakehouse

DAY = "2026-03-02"
MAX_LINE = 4096


def order(order_id: str, **extra) -> str:
    record = {
        "order_id": order_id,
        "status": "paid",
        "order_ts": "2026-03-02T10:00:00+00:00",
        "updated_at": "2026-03-02T10:30:00+00:00",
        "currency": "EUR",
        "customer": {"customer_id": "C1", "email": "c1@mail.example"},
        "items": [{"sku": "SKU-1", "quantity": 1, "unit_price": 9.5}],
        **extra,
    }
    return json.dumps(record, ensure_ascii=False)


@pytest.fixture
def lake(engine, tmp_path) -> Lakehouse:
    return engine.lakehouse("retailflow_local", registry(), root=tmp_path / "lake")


def land(raw: Path, source: str, name: str, data: bytes | str) -> Path:
    folder = raw / source / f"ingestion_date={DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def reasons_by_file(lake: Lakehouse) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in lake.read(QUARANTINE).collect():
        found.setdefault(Path(row["source_file"]).name, []).append(row["reason"])
    return found


def ledger_by_file(lake: Lakehouse) -> dict[str, tuple[int, int]]:
    return {Path(r["file_path"]).name: (r["rows_loaded"], r["rows_quarantined"]) for r in lake.read(LEDGER).collect()}


def test_corrupt_json_files_and_lines(lake, tmp_path):
    raw = tmp_path / "raw"
    good = "\n".join(order(f"O{i}") for i in range(3)) + "\n"
    land(raw, "orders", "a-good.jsonl", good)
    land(raw, "orders", "b-truncated.jsonl", order("O10") + "\n" + order("O11")[:40])
    land(raw, "orders", "c-empty.jsonl", b"")
    land(raw, "orders", "d-garbage.jsonl", bytes(range(256)) * 4)
    land(raw, "orders", "e-latin1.jsonl", order("O20", note="café").encode("latin-1") + b"\n")
    land(raw, "orders", "f-types.jsonl", order("O30", items="three") + "\n" + order("O31") + "\n")
    land(raw, "orders", "g-oversized.jsonl", order("O40", note="x" * (MAX_LINE + 10)) + "\n" + order("O41") + "\n")
    result = Ingestor(lake, raw, "run1", MAX_LINE).ingest(ORDERS)

    reasons = reasons_by_file(lake)
    assert reasons["b-truncated.jsonl"] == ["malformed JSON: not a JSON object"]
    assert reasons["c-empty.jsonl"] == ["empty file: no records"]
    assert reasons["d-garbage.jsonl"][0].startswith("not valid UTF-8 at byte 128")
    assert reasons["e-latin1.jsonl"][0].startswith("not valid UTF-8")
    assert reasons["f-types.jsonl"] == ["field items: wrong type, got three; missing required field items"]
    assert reasons["g-oversized.jsonl"] == [f"line exceeds {MAX_LINE} bytes"]
    # A line over the limit is not parsed at all, not even for the fields the schema does not know.
    oversized = lake.read(ORDERS.staging).filter(F.col("_reason").startswith("line exceeds"))
    assert [r["_rescued_data"] for r in oversized.collect()] == [None]
    loaded = sorted(r["order_id"] for r in lake.read(ORDERS.bronze).collect())
    assert loaded == ["O0", "O1", "O10", "O2", "O31", "O41"]
    ledger = ledger_by_file(lake)
    assert ledger == {
        "a-good.jsonl": (3, 0),
        "b-truncated.jsonl": (1, 1),
        "c-empty.jsonl": (0, 1),
        "d-garbage.jsonl": (0, 1),
        "e-latin1.jsonl": (0, 1),
        "f-types.jsonl": (1, 1),
        "g-oversized.jsonl": (1, 1),
    }
    assert result.rows_in == result.rows_loaded + result.rows_quarantined == 12


def test_csv_with_extra_and_missing_columns_and_a_removed_required_field(lake, tmp_path):
    raw = tmp_path / "raw"
    header = "sku,name,category,brand,list_price,active,updated_at"
    land(
        raw,
        "products",
        "a.csv",
        f"{header}\nSKU-1,Mug,home,Contoso,9.50,true,2026-03-01T00:00:00+00:00\nSKU-2,Cup,home\n",
    )
    land(
        raw, "products", "b.csv", f"{header},colour\nSKU-3,Bowl,home,Contoso,4.00,true,2026-03-01T00:00:00+00:00,blue\n"
    )
    land(raw, "products", "c.csv", "sku,name,brand,list_price\nSKU-4,Plate,Contoso,3.00\n")  # no category column
    Ingestor(lake, raw, "run1", MAX_LINE).ingest(PRODUCTS)
    bronze = {r["sku"]: r for r in lake.read(PRODUCTS.bronze).collect()}
    assert set(bronze) == {"SKU-1", "SKU-3"}
    assert json.loads(bronze["SKU-3"]["_rescued_data"]) == {"colour": "blue"}
    reasons = reasons_by_file(lake)
    assert reasons["a.csv"] == ["expected 7 fields, got 3"]
    assert reasons["c.csv"] == ["missing required field category"]
    assert ledger_by_file(lake) == {"a.csv": (1, 1), "b.csv": (1, 0), "c.csv": (0, 1)}


def test_parquet_drift_new_column_rescued_removed_required_column_quarantined(lake, tmp_path):
    raw = tmp_path / "raw"
    row = {
        "transaction_id": "T1",
        "line_number": 1,
        "store_id": "ST001",
        "store_name": "s",
        "store_city": "c",
        "sku": "SKU-1",
        "quantity": 2,
        "unit_price": 3.5,
        "sold_at": "2026-03-02T10:00:00+00:00",
        "customer_id": None,
    }
    folder = raw / "store_sales" / f"ingestion_date={DAY}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{**row, "loyalty_card": "LC1"}]), folder / "a.parquet")
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in row.items() if k != "quantity"}]), folder / "b.parquet")
    (folder / "c.parquet").write_bytes(b"PAR1 this is not parquet")
    Ingestor(lake, raw, "run1", MAX_LINE).ingest(STORE_SALES)
    bronze = lake.read(STORE_SALES.bronze).collect()
    assert len(bronze) == 1 and json.loads(bronze[0]["_rescued_data"]) == {"loyalty_card": "LC1"}
    reasons = reasons_by_file(lake)
    assert reasons["b.parquet"] == ["missing required field quantity"]
    assert reasons["c.parquet"][0].startswith("unreadable Parquet file")


def test_a_file_that_vanishes_after_listing_is_logged_and_picked_up_next_run(lake, tmp_path, monkeypatch, caplog):
    raw = tmp_path / "raw"
    land(raw, "orders", "a.jsonl", order("O1") + "\n")
    doomed = land(raw, "orders", "b.jsonl", order("O2") + "\n")
    content = doomed.read_bytes()
    original = ingest_module.gate_files

    def vanish_then_gate(files, binary):
        doomed.unlink()
        return original(files, binary)

    monkeypatch.setattr(ingest_module, "gate_files", vanish_then_gate)
    with caplog.at_level(logging.WARNING, logger="retailflow.ingest"):
        first = Ingestor(lake, raw, "run1", MAX_LINE).ingest(ORDERS)
    assert first.skipped_vanished == [str(doomed)]
    assert any("vanished" in r.getMessage() for r in caplog.records)
    assert set(ledger_by_file(lake)) == {"a.jsonl"}
    monkeypatch.setattr(ingest_module, "gate_files", original)
    doomed.write_bytes(content)
    second = Ingestor(lake, raw, "run2", MAX_LINE).ingest(ORDERS)
    assert (second.files, second.rows_loaded) == (1, 1)
    assert sorted(r["order_id"] for r in lake.read(ORDERS.bronze).collect()) == ["O1", "O2"]
