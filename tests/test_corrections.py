"""Corrections that move a record to another business date: an incremental run takes it out of its old partition in
the same run (docs/semantics.md, "Latest version"), and a key stays unique in the whole table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, open_lakehouse, run_local
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime import strategies

START = dt.date(2026, 1, 5)
OLD_DATE, NEW_DATE = START + dt.timedelta(days=1), START + dt.timedelta(days=2)
RESULTS = [t for t in PIPELINE.tables() if t.schema in ("silver", "gold")]


def contents(lake, ref):
    return sorted(tuple(str(v) for v in row) for row in lake.read(ref).collect())


def iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def move_one_order(raw: Path, order_id: str) -> dict:
    """A later file (the 4th day's) redelivers the order's latest version with its order_ts moved a day later."""
    versions = [
        json.loads(line)
        for path in sorted((raw / "orders").glob("*/*.jsonl"))
        for line in path.read_text().splitlines()
        if f'"order_id":"{order_id}"' in line.replace(" ", "") and line.rstrip().endswith("}")
    ]
    latest = max((v for v in versions if "order_ts" in v and "items" in v), key=lambda v: v["updated_at"])
    moved = dict(latest)
    order_ts = dt.datetime.fromisoformat(latest["order_ts"])
    moved["order_ts"] = iso(order_ts + dt.timedelta(days=1))
    moved["updated_at"] = iso(dt.datetime.fromisoformat(latest["updated_at"]) + dt.timedelta(days=3))
    folder = raw / "orders" / f"ingestion_date={START + dt.timedelta(days=3)}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders-correction.jsonl").write_text(json.dumps(moved) + "\n")
    return moved


@pytest.fixture(scope="module")
def corrected(engine, tmp_path_factory):
    """Three days loaded, then a fourth whose only file moves one order from OLD_DATE to NEW_DATE; and one full run
    over the same RAW."""
    tmp = tmp_path_factory.mktemp("moved")
    raw = tmp / "raw"
    generate(raw, GeneratorSettings(scale=0.003, days=3, seed=11, start_date=START))
    daily = LocalRunSettings(lakehouse=tmp / "daily", raw=raw)
    assert run_local(daily, engine=engine).ok
    lake = open_lakehouse(engine, daily)
    order_id = (
        lake.read(PIPELINE.tasks["silver_orders"].outputs[0])
        .filter((F.col("order_date") == F.lit(OLD_DATE)) & F.col("status").isin("delivered", "shipped"))
        .orderBy("order_id")
        .first()["order_id"]
    )
    move_one_order(raw, order_id)
    summary = run_local(daily, engine=engine)
    full = LocalRunSettings(lakehouse=tmp / "full", raw=raw)
    assert run_local(full, engine=engine).ok
    return summary, lake, open_lakehouse(engine, full), order_id


def test_the_moved_order_leaves_its_old_date_in_silver_and_gold(corrected):
    summary, lake, _full, order_id = corrected
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    table = {str(ref): ref for ref in RESULTS}
    orders = lake.read(table["silver.orders"])
    assert [(r["order_date"]) for r in orders.filter(F.col("order_id") == order_id).collect()] == [NEW_DATE]
    assert orders.count() == orders.select("order_id").distinct().count()
    facts = lake.read(table["gold.fact_orders"]).filter(F.col("order_id") == order_id).collect()
    assert [r["order_date"] for r in facts] == [NEW_DATE]
    sales = lake.read(table["gold.fact_sales"]).filter(F.col("document_id") == order_id)
    assert {r["sale_date"] for r in sales.collect()} == {NEW_DATE}
    lines = lake.read(table["silver.order_lines"]).filter(F.col("order_id") == order_id)
    assert {r["order_date"] for r in lines.collect()} == {NEW_DATE}


def test_day_by_day_with_the_correction_equals_one_full_run(corrected):
    _summary, lake, full, _order_id = corrected
    for ref in RESULTS:
        assert contents(lake, ref) == contents(full, ref), ref


def test_a_key_duplicated_across_partitions_fails_the_write_instead_of_passing(engine, tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    generate(raw, GeneratorSettings(scale=0.003, days=3, seed=11, start_date=START))
    settings = LocalRunSettings(lakehouse=tmp_path / "lake", raw=raw)
    assert run_local(settings, engine=engine).ok
    order_id = (
        open_lakehouse(engine, settings)
        .read(PIPELINE.tasks["silver_orders"].outputs[0])
        .filter(F.col("order_date") == F.lit(OLD_DATE))
        .orderBy("order_id")
        .first()["order_id"]
    )
    move_one_order(raw, order_id)
    monkeypatch.setattr(strategies, "previous_dates", lambda _ctx, _fresh: set())  # the old partition forgotten
    summary = run_local(settings, engine=engine)
    report = next(r for r in summary.reports if r.task == "silver_orders")
    assert report.status == "failed"
    assert "expectation 'order_id_unique' ((order_id) is unique) failed on silver.orders" in (report.error or "")
