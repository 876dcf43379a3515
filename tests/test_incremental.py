"""Incremental runs: loading the data day by day gives exactly what one full run over all days gives, while
each later run rebuilds only the partitions its new data touches."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from pyspark.sql import functions as F

from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, open_lakehouse, run_local
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.ops import EVENT_DATES, PARTITION_LOG, QUARANTINE, partitions_holding
from retailflow.workloads.runtime.refs import TableRef

START = dt.date(2026, 5, 4)
RESULTS = [t for t in PIPELINE.tables() if t.schema in ("silver", "gold")]


def contents(lake, ref):
    return sorted(tuple(str(v) for v in row) for row in lake.read(ref).collect())


def test_day_by_day_equals_one_full_run(engine, tmp_path):
    raw = tmp_path / "raw"
    generate(raw, GeneratorSettings(scale=0.006, days=4, seed=21, start_date=START))
    full = LocalRunSettings(lakehouse=tmp_path / "full", raw=raw)
    assert run_local(full, engine=engine).ok
    daily = LocalRunSettings(lakehouse=tmp_path / "daily", raw=raw)
    for day in range(4):
        summary = run_local(daily, to_date=START + dt.timedelta(days=day), engine=engine)
        assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    expected, actual = open_lakehouse(engine, full), open_lakehouse(engine, daily)
    for ref in RESULTS:
        assert contents(actual, ref) == contents(expected, ref), ref
    # The last run replaced only recent order dates, not the whole table.
    log = actual.read(PARTITION_LOG)
    last_run = log.agg(F.max("run_id")).collect()[0][0]
    replaced = {
        r[0]
        for r in log.filter((F.col("run_id") == last_run) & (F.col("table_name") == "silver.orders"))
        .select("partition_value")
        .collect()
    }
    assert replaced and "*" not in replaced
    assert replaced == order_dates_touched_by(raw, START + dt.timedelta(days=3))
    # Rebuilding the last change date reads only the bronze partitions that hold customer changes of that date.
    holding = partitions_holding(actual, TableRef("bronze", "customers"), {str(START + dt.timedelta(days=3))})
    assert holding is not None and str(START + dt.timedelta(days=3)) in holding and str(START) not in holding


def versions(raw: Path, source: str, key: str, ts: str, ingestion_date: str = "*"):
    """(ingestion date, record) of every version of a source's records in RAW (of one ingestion date, when given)
    that has its key and time."""
    for path in sorted((raw / source).glob(f"ingestion_date={ingestion_date}/*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get(key) and record.get(ts):
                yield path.parent.name.removeprefix("ingestion_date="), record


def order_versions(raw: Path, ingestion_date: str = "*"):
    return versions(raw, "orders", "order_id", "order_ts", ingestion_date)


def date_of(record: dict, ts: str) -> str:
    return str(dt.datetime.fromisoformat(record[ts]).date())


def order_date(record: dict) -> str:
    return date_of(record, "order_ts")


def order_dates_touched_by(raw: Path, day: dt.date) -> set[str]:
    """The dates of the orders a day's file delivers: each such order's dates in every RAW version of it (a
    correction may move an order from one date to another)."""
    delivered = {r["order_id"] for _, r in order_versions(raw, str(day))}
    return {order_date(r) for _, r in order_versions(raw) if r["order_id"] in delivered}


def loaded(engine, tmp_path, days: int, seed: int, to_date: dt.date | None = None):
    """A small generated RAW loaded into a lakehouse (up to `to_date`): its settings and the lakehouse."""
    raw = tmp_path / "raw"
    generate(raw, GeneratorSettings(scale=0.003, days=days, seed=seed, start_date=START))
    settings = LocalRunSettings(lakehouse=tmp_path / "lake", raw=raw)
    assert run_local(settings, to_date=to_date, engine=engine).ok
    return settings, open_lakehouse(engine, settings)


def test_a_rerun_with_nothing_new_rewrites_nothing(engine, tmp_path, monkeypatch):
    _settings, lake = loaded(engine, tmp_path, days=2, seed=3)
    logged = lake.read(PARTITION_LOG).count()
    versions = {ref: _version(lake, ref) for ref in RESULTS}
    # The same RAW and lakehouse named relatively: the ledger still knows every file.
    monkeypatch.chdir(tmp_path)
    summary = run_local(LocalRunSettings(lakehouse=Path("lake"), raw=Path("raw")), engine=engine)
    assert summary.ok and all(r.outcome.rows_in == 0 for r in summary.reports if r.task.startswith("bronze_"))
    assert lake.read(PARTITION_LOG).count() == logged
    assert {ref: _version(lake, ref) for ref in RESULTS} == versions


def _version(lake, ref: TableRef) -> int:
    from deltalake import DeltaTable

    return DeltaTable(str(lake.path(ref))).version()


def test_a_table_written_under_an_older_contract_is_rebuilt_in_full(engine, tmp_path):
    settings, lake = loaded(engine, tmp_path, days=2, seed=5)
    # As written before a column was added to the contract: a current-state table and the SCD2 dimension.
    older = {TableRef("silver", "stores"): "reported_at", TableRef("gold", "dim_customer"): "last_name"}
    expected = {ref: contents(lake, ref) for ref in older}
    for ref, added in older.items():
        frame = lake.read(ref).drop(added)
        frame.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(str(lake.path(ref)))
    assert run_local(settings, engine=engine).ok
    for ref in older:
        assert lake.read(ref).columns == lake.contracts.get(ref).column_names
        assert contents(lake, ref) == expected[ref]


def test_a_lakehouse_without_the_event_date_log_logs_every_bronze_partition_on_its_next_run(engine, tmp_path):
    settings, lake = loaded(engine, tmp_path, days=3, seed=8, to_date=START + dt.timedelta(days=1))
    shutil.rmtree(lake.path(EVENT_DATES))  # as a lakehouse written before the log existed
    assert run_local(settings, engine=engine).ok
    # The next incremental run logged the partitions it did not load itself, so later rebuilds still find them.
    changes = versions(settings.raw, "customers", "customer_id", "updated_at")
    holding = sorted({day for day, r in changes if date_of(r, "updated_at") == str(START)})
    assert len(holding) > 1  # later days deliver changes made on the first day
    assert partitions_holding(lake, TableRef("bronze", "customers"), {str(START)}) == holding


def _json_lines(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _order(order_id: str, ts: str, status: str = "paid", updated_at: str | None = None) -> dict:
    return {
        "order_id": order_id,
        "status": status,
        "order_ts": ts,
        "updated_at": updated_at or ts,
        "currency": "EUR",
        "customer": {"customer_id": "C1", "email": "c1@mail.example"},
        "items": [{"sku": "SKU-1", "quantity": 1, "unit_price": 10.0}],
    }


def _payment(event_id: str, order_id: str, event_type: str, amount: float, ts: str) -> dict:
    return {
        "payment_event_id": event_id,
        "payment_id": f"P-{order_id}",
        "order_id": order_id,
        "event_type": event_type,
        "amount": amount,
        "currency": "EUR",
        "event_ts": ts,
    }


def _land(raw: Path, landed: dict[str, dict[str, list[dict]]]) -> None:
    """RAW files of hand-written records: {ingestion date: {source: records}}."""
    for day, sources in landed.items():
        for source, records in sources.items():
            if records:
                folder = raw / source / f"ingestion_date={day}"
                folder.mkdir(parents=True)
                (folder / f"{source}.jsonl").write_text(_json_lines(*records))


def test_orders_rebuilt_by_key_day_by_day_equal_a_full_rebuild(engine, tmp_path):
    """Silver orders rebuild only the orders whose latest version arrived: a late, older version changes
    nothing (also where the latest one was quarantined), a newer version moves its order to its new date, a
    quarantined newer version takes its order out, a new version at the same time wins (the later batch), and no
    stored row is checked, nor quarantined, again."""
    d0, d1, d2 = (str(START + dt.timedelta(days=i)) for i in range(3))
    raw = tmp_path / "raw"
    _land(
        raw,
        {
            d0: {
                "orders": [
                    _order("A", f"{d0}T09:00:00+00:00"),
                    _order("B", f"{d0}T10:00:00+00:00", status="lost"),
                    _order("C", f"{d0}T11:00:00+00:00"),
                    _order("D", f"{d0}T12:00:00+00:00"),
                    _order("F", f"{d0}T13:00:00+00:00"),
                ]
            },
            d1: {
                "orders": [
                    _order("A", f"{d0}T09:00:00+00:00", status="created", updated_at=f"{d0}T08:00:00+00:00"),
                    _order("B", f"{d0}T10:00:00+00:00", updated_at=f"{d0}T09:30:00+00:00"),
                    _order("C", f"{d1}T01:00:00+00:00", updated_at=f"{d1}T01:00:00+00:00"),
                    _order("D", f"{d0}T12:00:00+00:00", status="mislaid", updated_at=f"{d1}T02:00:00+00:00"),
                    _order("F", f"{d0}T13:00:00+00:00", status="shipped"),
                    _order("G", f"{d1}T03:00:00+00:00"),
                ]
            },
            d2: {"orders": [_order("G", f"{d1}T03:00:00+00:00", status="created", updated_at=f"{d1}T02:00:00+00:00")]},
        },
    )
    tasks = ["bronze_orders", "silver_orders"]
    full = LocalRunSettings(lakehouse=tmp_path / "full", raw=raw)
    summary = run_local(full, only=tasks, engine=engine)
    assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    daily = LocalRunSettings(lakehouse=tmp_path / "daily", raw=raw)
    replaced = []  # the dates each daily run replaced
    for day in (d0, d1, d2):
        summary = run_local(daily, only=tasks, to_date=dt.date.fromisoformat(day), engine=engine)
        assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
        log = open_lakehouse(engine, daily).read(PARTITION_LOG).filter(F.col("table_name") == "silver.orders")
        replaced.append(
            {r[0] for r in log.filter(F.col("run_id") == summary.run_id).select("partition_value").collect()}
        )
    assert replaced == [{"*"}, {d0, d1}, set()]  # the last day holds only an older version of G
    expected, actual = open_lakehouse(engine, full), open_lakehouse(engine, daily)
    orders = TableRef("silver", "orders")
    assert contents(actual, orders) == contents(expected, orders)
    rows = {r["order_id"]: (r["status"], str(r["order_date"])) for r in actual.read(orders).collect()}
    assert rows == {"A": ("paid", d0), "C": ("paid", d1), "F": ("shipped", d0), "G": ("paid", d1)}
    for lake in (expected, actual):
        silver_quarantine = lake.read(QUARANTINE).filter((F.col("layer") == "silver") & (F.col("source") == "orders"))
        ids = sorted(r[0] for r in silver_quarantine.select(F.get_json_object("raw", "$.order_id")).collect())
        assert ids == ["B", "D"]


def test_payments_merged_day_by_day_equal_a_full_rebuild(engine, tmp_path):
    """Payments before their order (kept with no order date, moved once the order arrives), a late refund of an
    old order, an event delivered twice, a corrected event, and a payment whose order never arrives."""
    days = [str(START + dt.timedelta(days=i)) for i in range(3)]
    raw = tmp_path / "raw"
    landed = {
        days[0]: (
            [_order("A", f"{days[0]}T09:00:00+00:00")],
            [
                _payment("A1", "A", "authorized", 10.0, f"{days[0]}T09:05:00+00:00"),
                _payment("X1", "X", "authorized", 20.0, f"{days[0]}T22:05:00+00:00"),
                _payment("Z1", "Z", "authorized", 5.0, f"{days[0]}T10:00:00+00:00"),
            ],
        ),
        days[1]: (
            [_order("X", f"{days[0]}T22:00:00+00:00")],
            [
                _payment("A2", "A", "refunded", 10.0, f"{days[1]}T08:00:00+00:00"),
                _payment("A1", "A", "authorized", 10.0, f"{days[0]}T09:05:00+00:00"),
                _payment("X2", "X", "captured", 20.0, f"{days[1]}T01:00:00+00:00"),
            ],
        ),
        days[2]: (
            [],
            [_payment("A1", "A", "authorized", 11.0, f"{days[0]}T09:06:00+00:00")],
        ),
    }
    _land(raw, {day: {"orders": orders, "payments": payments} for day, (orders, payments) in landed.items()})
    tasks = ["bronze_orders", "bronze_payments", "silver_orders", "silver_payments"]
    full = LocalRunSettings(lakehouse=tmp_path / "full", raw=raw)
    assert run_local(full, only=tasks, engine=engine).ok
    daily = LocalRunSettings(lakehouse=tmp_path / "daily", raw=raw)
    for day in days:
        summary = run_local(daily, only=tasks, to_date=dt.date.fromisoformat(day), engine=engine)
        assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    expected, actual = open_lakehouse(engine, full), open_lakehouse(engine, daily)
    payments = TableRef("silver", "payments")
    assert contents(actual, payments) == contents(expected, payments)
    rows = {r["payment_event_id"]: r for r in actual.read(payments).collect()}
    assert sorted(rows) == ["A1", "A2", "X1", "X2", "Z1"]
    assert str(rows["X1"]["order_date"]) == days[0] and str(rows["X2"]["order_date"]) == days[0]
    assert rows["Z1"]["order_date"] is None
    assert str(rows["A1"]["amount"]) == "11.00"
    log = actual.read(PARTITION_LOG).filter(F.col("table_name") == "silver.payments")
    last_run = log.agg(F.max("run_id")).collect()[0][0]
    replaced = {r[0] for r in log.filter(F.col("run_id") == last_run).select("partition_value").collect()}
    assert days[0] in replaced and days[1] not in replaced and "*" not in replaced
