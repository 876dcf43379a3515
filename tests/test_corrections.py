"""Corrections over days: one that moves a record to another business date leaves its old partition in the same run
(docs/semantics.md, "Latest version"), a key stays unique in the whole table, and generated days, which carry
corrections and append without touching the days before, load one at a time to what one full run gives."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from retailflow.local.generator import GeneratorSettings, RawFileDiffers, generate
from retailflow.local.raw import common
from retailflow.local.raw.common import BLOCK
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


def move_one_order(raw: Path, order_id: str, days: int = 1, delivered_on: dt.date | None = None) -> dict:
    """A later file (the 4th day's, unless `delivered_on`) redelivers the order's latest version with its order_ts
    moved `days` later and a newer updated_at."""
    versions = [
        json.loads(line)
        for path in sorted((raw / "orders").glob("*/*.jsonl"))
        for line in path.read_text().splitlines()
        if f'"order_id":"{order_id}"' in line.replace(" ", "") and line.rstrip().endswith("}")
    ]
    latest = max((v for v in versions if "order_ts" in v and "items" in v), key=lambda v: v["updated_at"])
    moved = dict(latest)
    order_ts = dt.datetime.fromisoformat(latest["order_ts"])
    moved["order_ts"] = iso(order_ts + dt.timedelta(days=days))
    moved["updated_at"] = iso(dt.datetime.fromisoformat(latest["updated_at"]) + dt.timedelta(days=3))
    folder = raw / "orders" / f"ingestion_date={delivered_on or START + dt.timedelta(days=3)}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"orders-correction-{order_id}.jsonl").write_text(json.dumps(moved) + "\n")
    return moved


def three_days_loaded(engine, folder: Path, lakehouse: str = "lake"):
    """Three generated days loaded in one run: the RAW folder, the run's settings and its lakehouse."""
    raw = folder / "raw"
    generate(raw, GeneratorSettings(scale=0.003, days=3, seed=11, start_date=START))
    settings = LocalRunSettings(lakehouse=folder / lakehouse, raw=raw)
    assert run_local(settings, engine=engine).ok
    return raw, settings, open_lakehouse(engine, settings)


def orders_on_old_date(lake, count: int, statuses: tuple[str, ...] | None = ("delivered", "shipped")) -> list[str]:
    """The first `count` order ids (by id) of OLD_DATE in silver, of these statuses (None: any)."""
    on_date = F.col("order_date") == F.lit(OLD_DATE)
    chosen = on_date & F.col("status").isin(*statuses) if statuses else on_date
    orders = lake.read(PIPELINE.tasks["silver_orders"].outputs[0]).filter(chosen).orderBy("order_id")
    return [row["order_id"] for row in orders.limit(count).collect()]


@pytest.fixture(scope="module")
def corrected(engine, tmp_path_factory):
    """Three days loaded, then a fourth whose only file moves one order from OLD_DATE to NEW_DATE; and one full run
    over the same RAW."""
    tmp = tmp_path_factory.mktemp("moved")
    raw, daily, lake = three_days_loaded(engine, tmp, "daily")
    (order_id,) = orders_on_old_date(lake, 1)
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
    raw, settings, lake = three_days_loaded(engine, tmp_path)
    (order_id,) = orders_on_old_date(lake, 1, statuses=None)
    move_one_order(raw, order_id)
    # The old partition forgotten: neither rebuilt nor known to hold the key.
    monkeypatch.setattr(strategies, "previous_dates", lambda _ctx, _fresh: set())
    monkeypatch.setattr(strategies, "without_keys_living_elsewhere", lambda _ctx, built, _dates: built)
    summary = run_local(settings, engine=engine)
    report = next(r for r in summary.reports if r.task == "silver_orders")
    assert report.status == "failed"
    assert "expectation 'order_id_unique' ((order_id) is unique) failed on silver.orders" in (report.error or "")


def digests(root: Path) -> dict[str, tuple[str, int]]:
    """Every RAW file under `root` (the manifest aside): its sha256 and when it was last written."""
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_manifest.json"
    }


@pytest.mark.parametrize("block", [BLOCK, 10], ids=["one block a day", "blocks of 10"])
def test_appending_a_day_rewrites_no_existing_file_and_equals_generating_all_days_at_once(tmp_path, monkeypatch, block):
    monkeypatch.setattr(common, "BLOCK", block)
    settings = GeneratorSettings(scale=0.003, days=4, seed=11, start_date=START)
    appended, at_once = tmp_path / "appended", tmp_path / "at_once"
    generate(appended, replace(settings, days=3))
    before = digests(appended)
    manifest = generate(appended, settings)
    after = digests(appended)
    assert {name: after[name] for name in before} == before
    new_files = sorted(set(after) - set(before))
    assert new_files and all(f"ingestion_date={START + dt.timedelta(days=3)}" in name for name in new_files)
    assert generate(at_once, settings) == manifest
    assert {name: sha for name, (sha, _) in digests(at_once).items()} == {n: sha for n, (sha, _) in after.items()}
    assert manifest["settings"]["days"] == 4 and len(manifest["days"]) == 4
    assert generate(appended, replace(settings, days=2)) == manifest  # nothing to add: every file stays
    assert digests(appended) == after


def test_a_day_made_in_blocks_numbers_its_records_across_blocks_and_its_files_match_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "BLOCK", 10)
    settings = GeneratorSettings(scale=0.003, days=2, seed=11, start_date=START)
    manifest = generate(tmp_path, settings)
    first_day = f"ingestion_date={START}"
    lines = (tmp_path / "orders" / first_day / "orders-000.jsonl").read_text().splitlines()
    order_ids = {r.get("order_id") for r in map(json_or_none, lines) if isinstance(r, dict)} - {None}
    assert len(order_ids) == settings.orders_per_day == 42  # five blocks, no number used twice
    sales = pq.read_table(tmp_path / "store_sales" / first_day / "store_sales-000.parquet")
    assert len(set(sales.column("transaction_id").to_pylist())) == settings.transactions_per_day == 21
    # Every line of a text file is a record or a counted defect (each block adds its own).
    for source, extra in (("orders", ("redelivered",)), ("payments", ()), ("clickstream", ())):
        lines = sum(len(p.read_text().splitlines()) for p in (tmp_path / source).rglob("*.jsonl"))
        counts = manifest["sources"][source]
        kinds = ("records", "duplicates", "malformed", "missing_required", *extra)
        assert lines == sum(counts.get(k, 0) for k in kinds), source
    assert manifest["days"][str(START)]["orders"]["malformed"] == 5  # at least one per block
    assert not list(tmp_path.glob(".later-*"))  # what days deliver later was spooled beside RAW, then removed


def json_or_none(line: str):
    try:
        return json.loads(line)
    except ValueError:  # a truncated line (a generated defect)
        return None


def test_appending_with_other_settings_names_the_setting_and_writes_nothing(tmp_path):
    generate(tmp_path, GeneratorSettings(scale=0.003, days=1, seed=11, start_date=START))
    before = digests(tmp_path)
    with pytest.raises(RawFileDiffers, match="generated with seed=11, not 12; appending days needs the same seed"):
        generate(tmp_path, GeneratorSettings(scale=0.003, days=2, seed=12, start_date=START))
    assert digests(tmp_path) == before


GENERATED_CORRECTIONS = {
    "orders": ("moved_dates", "late_refunds", "redelivered"),
    "customers": ("older_changes", "late_customers"),
    "store_sales": ("corrections",),
    "payments": ("late_refunds",),
}


def test_generated_days_loaded_one_at_a_time_equal_one_full_run(engine, tmp_path):
    """Rule: Latest version; Orders and revenue (a refund booked on the order's date); Customers (an older change).
    (docs/semantics.md)"""
    raw = tmp_path / "raw"
    daily = LocalRunSettings(lakehouse=tmp_path / "daily", raw=raw)
    for days in range(1, 6):
        manifest = generate(raw, GeneratorSettings(scale=0.003, days=days, seed=4, start_date=START))
        summary = run_local(daily, engine=engine)
        assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    for source, kinds in GENERATED_CORRECTIONS.items():
        assert all(manifest["sources"][source].get(kind, 0) > 0 for kind in kinds), manifest["sources"][source]
    full = LocalRunSettings(lakehouse=tmp_path / "full", raw=raw)
    assert run_local(full, engine=engine).ok
    lake, expected = open_lakehouse(engine, daily), open_lakehouse(engine, full)
    for ref in RESULTS:
        assert contents(lake, ref) == contents(expected, ref), ref


def test_a_moved_record_stays_on_its_new_date_when_its_old_date_is_rebuilt_later(engine, tmp_path):
    """A run that rebuilds the old date (for another record's update) must not bring back the moved record's older
    versions there. Rule: Latest version. (docs/semantics.md)"""
    raw, settings, lake = three_days_loaded(engine, tmp_path)
    moved_id, other_id = orders_on_old_date(lake, 2)
    move_one_order(raw, moved_id)
    assert run_local(settings, engine=engine).ok
    update = move_one_order(raw, other_id, days=0, delivered_on=START + dt.timedelta(days=4))
    assert update["order_ts"].startswith(str(OLD_DATE))
    summary = run_local(settings, engine=engine)
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    orders = lake.read(PIPELINE.tasks["silver_orders"].outputs[0])
    assert [r["order_date"] for r in orders.filter(F.col("order_id") == moved_id).collect()] == [NEW_DATE]
    assert [r["order_date"] for r in orders.filter(F.col("order_id") == other_id).collect()] == [OLD_DATE]
    assert orders.count() == orders.select("order_id").distinct().count()
