"""Deterministic RAW data for the seven sources, with real-world defects at known rates and a manifest of them.

Same seed, same bytes. Scale 1 is about 100k orders. Defects are *added* records (garbage lines, copies with a
required field removed, exact duplicates), so the clean data stays complete and the manifest can be reconciled
exactly against what the pipeline quarantines and loads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CATEGORIES = ("apparel", "footwear", "home", "beauty", "electronics", "grocery")
BRANDS = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum")
CITIES = ("Amsterdam", "Rotterdam", "Utrecht", "Berlin", "Hamburg", "Paris", "Lyon", "Madrid")
COUNTRIES = {
    "Amsterdam": "NL",
    "Rotterdam": "NL",
    "Utrecht": "NL",
    "Berlin": "DE",
    "Hamburg": "DE",
    "Paris": "FR",
    "Lyon": "FR",
    "Madrid": "ES",
}
SEGMENTS = ("consumer", "small_business", "corporate")
TIERS = ("none", "silver", "gold", "platinum")
RATES = {
    "duplicate": 0.02,
    "malformed": 0.002,
    "missing_required": 0.002,
    "late_customer": 0.03,
    "refund": 0.04,
    "out_of_order": 0.05,
}


@dataclass(frozen=True)
class GeneratorSettings:
    scale: float = 1.0
    days: int = 7
    seed: int = 42
    start_date: dt.date = dt.date(2026, 1, 5)


def _iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class _Writer:
    """Collects lines per (source, day) and writes them once, in a stable order."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.lines: dict[tuple[str, int], list[str]] = {}

    def add(self, source: str, day: int, line: str) -> None:
        self.lines.setdefault((source, day), []).append(line)

    def flush(self, settings: GeneratorSettings, extension: dict[str, str], headers: dict[str, str]) -> list[Path]:
        written = []
        for (source, day), lines in sorted(self.lines.items()):
            folder = self.out / source / f"ingestion_date={(settings.start_date + dt.timedelta(days=day)).isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{source}-{day:03d}.{extension[source]}"
            body = ([headers[source]] if source in headers else []) + lines
            path.write_text("\n".join(body) + "\n", encoding="utf-8")
            written.append(path)
        return written


def generate(out: Path, settings: GeneratorSettings) -> dict[str, Any]:
    """Write RAW under `out` and return (and write) the manifest."""
    rng = np.random.default_rng(settings.seed)
    days = settings.days
    n_orders = max(200, int(100_000 * settings.scale))
    n_customers = max(50, int(n_orders * 0.25))
    n_products = 300
    n_stores = 12
    start = dt.datetime.combine(settings.start_date, dt.time())
    manifest: dict[str, Counter[str]] = {
        s: Counter() for s in ("orders", "customers", "products", "inventory", "clickstream", "payments", "store_sales")
    }
    writer = _Writer(out)

    # Products: the catalog on day 0, a price update for some SKUs half-way.
    skus = [f"SKU-{i:05d}" for i in range(n_products)]
    prices = np.round(rng.uniform(2, 250, n_products), 2)
    cats = rng.integers(0, len(CATEGORIES), n_products)
    brands = rng.integers(0, len(BRANDS), n_products)
    for i, sku in enumerate(skus):
        name = f'"{BRANDS[brands[i]]} {CATEGORIES[cats[i]]} item {i}, size {1 + i % 5}"'
        writer.add(
            "products", 0, f"{sku},{name},{CATEGORIES[cats[i]]},{BRANDS[brands[i]]},{prices[i]:.2f},true,{_iso(start)}"
        )
    manifest["products"]["records"] += n_products
    updated = rng.choice(n_products, size=n_products // 10, replace=False)
    for i in sorted(updated):
        prices[i] = round(prices[i] * 1.1, 2)
        name = f'"{BRANDS[brands[i]]} {CATEGORIES[cats[i]]} item {i}, size {1 + i % 5}"'
        writer.add(
            "products",
            days // 2,
            f"{skus[i]},{name},{CATEGORIES[cats[i]]},{BRANDS[brands[i]]},{prices[i]:.2f},true,{_iso(start + dt.timedelta(days=days // 2))}",
        )
    manifest["products"]["records"] += len(updated)

    # Customers: a first record, then tracked attribute changes on later days.
    customer_ids = [f"C{i:07d}" for i in range(n_customers)]
    signup_day = np.minimum(rng.integers(0, max(1, days), n_customers), days - 1) * (rng.random(n_customers) < 0.3)
    city = rng.integers(0, len(CITIES), n_customers)
    segment = rng.integers(0, len(SEGMENTS), n_customers)
    tier = rng.integers(0, len(TIERS), n_customers)
    late = rng.random(n_customers) < RATES["late_customer"]
    first_delivery = np.where(late & (signup_day < days - 1), signup_day + 1, signup_day)
    manifest["customers"]["late_customers"] = int((first_delivery > signup_day).sum())
    n_changes = rng.choice([0, 0, 0, 1, 1, 2], size=n_customers)
    changes_total = 0
    for c in range(n_customers):
        attrs: dict[str, str] = {
            "email": f"{customer_ids[c].lower()}@mail.example",
            "city": CITIES[city[c]],
            "segment": SEGMENTS[segment[c]],
            "tier": TIERS[tier[c]],
        }
        versions = [(int(signup_day[c]), int(first_delivery[c]), dict(attrs))]
        day = int(signup_day[c])
        for k in range(int(n_changes[c])):
            day = min(days - 1, day + 1 + int(rng.integers(0, 2)))
            if day <= versions[-1][0]:
                break
            field = ("city", "segment", "tier", "email")[int(rng.integers(0, 4))]
            if field == "city":
                attrs["city"] = CITIES[(CITIES.index(attrs["city"]) + 1) % len(CITIES)]
            elif field == "segment":
                attrs["segment"] = SEGMENTS[(SEGMENTS.index(attrs["segment"]) + 1) % len(SEGMENTS)]
            elif field == "tier":
                attrs["tier"] = TIERS[(TIERS.index(attrs["tier"]) + 1) % len(TIERS)]
            else:
                attrs["email"] = f"{customer_ids[c].lower()}.{k + 1}@mail.example"
            versions.append((day, day, dict(attrs)))
            changes_total += 1
        for n, (version_day, delivery_day, values) in enumerate(versions):
            ts = start + dt.timedelta(days=version_day, seconds=3600 + n * 60 + c % 3000)
            record: dict[str, Any] = {
                "customer_id": customer_ids[c],
                "email": ("  " + values["email"].upper()) if c % 7 == 0 else values["email"],
                "first_name": f"name{c % 97}",
                "last_name": f"family{c % 89}",
                "city": values["city"],
                "country": COUNTRIES[values["city"]].lower() if c % 5 == 0 else COUNTRIES[values["city"]],
                "segment": values["segment"],
                "loyalty_tier": values["tier"],
                "signup_date": (settings.start_date + dt.timedelta(days=int(signup_day[c]))).isoformat(),
                "updated_at": _iso(ts),
            }
            writer.add("customers", delivery_day, json.dumps(record))
            manifest["customers"]["records"] += 1
    manifest["customers"]["customers"] = n_customers
    manifest["customers"]["tracked_changes"] = changes_total

    # Orders with status updates, payments and clickstream.
    order_day = np.sort(rng.integers(0, days, n_orders))
    customers_of = rng.integers(0, n_customers, n_orders)
    n_items = rng.integers(1, 5, n_orders)
    status_roll = rng.random(n_orders)
    refund_roll = rng.random(n_orders)
    drift_from = days // 2
    for o in range(n_orders):
        day = int(order_day[o])
        c = int(customers_of[o])
        if signup_day[c] > day:
            day = int(signup_day[c])
        order_id = f"O{o:08d}"
        ts = start + dt.timedelta(days=day, seconds=int(rng.integers(7200, 86000)))
        items: list[dict[str, Any]] = [
            {"sku": skus[int(p)], "quantity": int(q), "unit_price": float(prices[int(p)])}
            for p, q in zip(
                rng.integers(0, n_products, int(n_items[o])), rng.integers(1, 4, int(n_items[o])), strict=True
            )
        ]
        total = round(sum(i["quantity"] * i["unit_price"] for i in items), 2)
        final = "cancelled" if status_roll[o] < 0.06 else "delivered" if status_roll[o] < 0.8 else "shipped"
        path = ["created", "paid"] + (
            ["cancelled"] if final == "cancelled" else ["shipped"] + (["delivered"] if final == "delivered" else [])
        )
        refunded = final == "delivered" and refund_roll[o] < RATES["refund"]
        if refunded:
            path.append("refunded")
        lines = []
        for n, status in enumerate(path):
            record = {
                "order_id": order_id,
                "status": status,
                "order_ts": _iso(ts),
                "updated_at": _iso(ts + dt.timedelta(minutes=30 * n)),
                "currency": "EUR",
                "customer": {"customer_id": customer_ids[c], "email": f"{customer_ids[c].lower()}@mail.example"},
                "items": items,
            }
            if day >= drift_from:
                record["promo_code"] = f"PROMO{o % 10}"
                manifest["orders"]["drift_rows"] += 1
            lines.append(json.dumps(record))
        if rng.random() < RATES["out_of_order"] and len(lines) > 2:
            lines[0], lines[-1] = lines[-1], lines[0]
            manifest["orders"]["out_of_order"] += 1
        for line in lines:
            writer.add("orders", day, line)
        manifest["orders"]["records"] += len(lines)
        if rng.random() < RATES["duplicate"]:
            writer.add("orders", day, lines[-1])
            manifest["orders"]["duplicates"] += 1
        if refunded:
            manifest["orders"]["refunds"] += 1
        pay_events = (
            [("authorized", total), ("captured", total)]
            if final != "cancelled"
            else [("authorized", total), ("failed", total)]
        )
        if refunded:
            pay_events.append(("refunded", total))
        for n, (event, amount) in enumerate(pay_events):
            record = {
                "payment_event_id": f"PE{o:08d}{n}",
                "payment_id": f"P{o:08d}",
                "order_id": order_id,
                "event_type": event,
                "amount": amount,
                "currency": "EUR",
                "event_ts": _iso(ts + dt.timedelta(minutes=5 + 30 * n)),
            }
            writer.add("payments", day, json.dumps(record))
            manifest["payments"]["records"] += 1
        session = f"S{o:08d}"
        for n, event in enumerate(["page_view", "page_view", "add_to_cart", "checkout"][: 2 + int(n_items[o] > 1) + 1]):
            record = {
                "event_id": f"E{o:08d}{n}",
                "session_id": session,
                "customer_id": customer_ids[c],
                "event_type": event,
                "page": f"/p/{items[0]['sku']}",
                "sku": items[0]["sku"],
                "event_ts": _iso(ts - dt.timedelta(minutes=10 - n)),
            }
            writer.add("clickstream", day, json.dumps(record))
            manifest["clickstream"]["records"] += 1

    # Inventory snapshots (CSV) and store sales (Parquet), per day.
    stores = [
        (f"ST{i:03d}", f"RetailFlow {CITIES[i % len(CITIES)]} {i}", CITIES[i % len(CITIES)]) for i in range(n_stores)
    ]
    for day in range(days):
        ts = start + dt.timedelta(days=day, hours=22)
        for s, _name, _city in stores:
            for p in range(0, n_products, 3):
                on_hand = int((p * 7 + day * 13 + int(s[2:]) * 5) % 40) - 3
                writer.add("inventory", day, f"{_iso(ts)},{s},{skus[p]},{max(on_hand, 0)}")
                manifest["inventory"]["records"] += 1
    sales_rows: dict[int, list[dict[str, Any]]] = {d: [] for d in range(days)}
    n_transactions = max(50, n_orders // 2)
    txn_day = np.sort(rng.integers(0, days, n_transactions))
    for t in range(n_transactions):
        day = int(txn_day[t])
        store = stores[t % n_stores]
        ts = start + dt.timedelta(days=day, seconds=int(rng.integers(28800, 75600)))
        for line_number in range(1, 1 + int(rng.integers(1, 4))):
            p = int(rng.integers(0, n_products))
            row: dict[str, Any] = {
                "transaction_id": f"T{t:08d}",
                "line_number": line_number,
                "store_id": store[0],
                "store_name": store[1],
                "store_city": store[2],
                "sku": skus[p],
                "quantity": int(rng.integers(1, 3)),
                "unit_price": float(prices[p]),
                "sold_at": _iso(ts),
                "customer_id": customer_ids[t % n_customers] if t % 3 == 0 else None,
            }
            sales_rows[day].append(row)
            manifest["store_sales"]["records"] += 1

    _inject_defects(writer, manifest, rng)
    headers = {
        "products": "sku,name,category,brand,list_price,active,updated_at",
        "inventory": "snapshot_ts,store_id,sku,on_hand",
    }
    extension = {
        "orders": "jsonl",
        "customers": "jsonl",
        "payments": "jsonl",
        "clickstream": "jsonl",
        "products": "csv",
        "inventory": "csv",
    }
    writer.flush(settings, extension, headers)
    for day, rows in sales_rows.items():
        if not rows:
            continue
        table = pa.Table.from_pylist(rows)
        if day >= drift_from:
            table = table.append_column("loyalty_card", pa.array([f"LC{i % 50}" for i in range(len(rows))]))
            manifest["store_sales"]["drift_rows"] += len(rows)
        folder = out / "store_sales" / f"ingestion_date={(settings.start_date + dt.timedelta(days=day)).isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"store_sales-{day:03d}.parquet", compression="snappy")
    result = {
        "settings": {
            "scale": settings.scale,
            "days": days,
            "seed": settings.seed,
            "start_date": settings.start_date.isoformat(),
        },
        "rates": RATES,
        "sources": {s: dict(sorted(c.items())) for s, c in manifest.items()},
    }
    (out / "_manifest.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return result


def _inject_defects(writer: _Writer, manifest: dict[str, Counter[str]], rng: np.random.Generator) -> None:
    """Garbage lines and records missing a required field, added beside the good records."""
    required = {
        "orders": "order_id",
        "customers": "customer_id",
        "payments": "payment_event_id",
        "clickstream": "event_id",
    }
    for (source, day), lines in sorted(writer.lines.items()):
        count = len(lines)
        bad_lines = []
        if source in required:
            for i in rng.choice(count, size=max(1, int(count * RATES["malformed"])), replace=False):
                bad_lines.append(lines[int(i)][: len(lines[int(i)]) // 2])
                manifest[source]["malformed"] += 1
            for i in rng.choice(count, size=max(1, int(count * RATES["missing_required"])), replace=False):
                record: dict[str, Any] = json.loads(lines[int(i)])
                record.pop(required[source])
                bad_lines.append(json.dumps(record))
                manifest[source]["missing_required"] += 1
            if source in ("clickstream", "payments"):
                for i in rng.choice(count, size=int(count * RATES["duplicate"]), replace=False):
                    lines.append(lines[int(i)])
                    manifest[source]["duplicates"] += 1
        elif source == "inventory":
            for i in rng.choice(count, size=max(1, int(count * RATES["malformed"])), replace=False):
                bad_lines.append(lines[int(i)] + ",unexpected")
                manifest[source]["malformed"] += 1
        lines.extend(bad_lines)
