"""Deterministic RAW data for the seven sources, with real-world defects at known rates and a manifest of them.

Vectorized: entities and their histories are numpy arrays, DuckDB renders them to JSON lines in bulk, Parquet and
CSV are written from columns. Same seed, same bytes. Scale 1 is 100k orders. Defects are *added* records (garbage
lines, copies with a required field removed, exact duplicates) or re-orderings, so the clean data stays complete and
the manifest reconciles exactly with what the pipeline quarantines and loads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CATEGORIES = ("apparel", "footwear", "home", "beauty", "electronics", "grocery")
BRANDS = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum")
CITIES = ("Amsterdam", "Rotterdam", "Utrecht", "Berlin", "Hamburg", "Paris", "Lyon", "Madrid")
COUNTRIES = ("NL", "NL", "NL", "DE", "DE", "FR", "FR", "ES")
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
N_PRODUCTS = 300
N_STORES = 12
# Status paths by kind: 0 cancelled, 1 shipped, 2 delivered, 3 delivered then refunded.
PATHS = (
    ("created", "paid", "cancelled"),
    ("created", "paid", "shipped"),
    ("created", "paid", "shipped", "delivered"),
    ("created", "paid", "shipped", "delivered", "refunded"),
)
REQUIRED_FIRST_KEY = {
    "orders": "order_id",
    "customers": "customer_id",
    "payments": "payment_event_id",
    "clickstream": "event_id",
}


@dataclass(frozen=True)
class GeneratorSettings:
    scale: float = 1.0
    days: int = 7
    seed: int = 42
    start_date: dt.date = dt.date(2026, 1, 5)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


def _iso(start: dt.datetime, seconds: np.ndarray) -> np.ndarray:
    stamps = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamps, unit="s"), "+00:00")


def _arrow(values: np.ndarray) -> pa.Array:
    """One contiguous Arrow array (pyarrow chunks large inputs, which StructArray does not take)."""
    array = pa.array(values)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _group_positions(counts: np.ndarray) -> np.ndarray:
    """For groups of the given sizes laid end to end: each row's position within its group."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


class _Files:
    """Lines per (source, day), written once in a stable order."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, int], list[str]] = {}

    def add(self, source: str, days: np.ndarray, lines: list[str]) -> None:
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        bounds = np.flatnonzero(np.diff(sorted_days)) + 1
        for chunk in np.split(order, bounds):
            if len(chunk):
                self.lines.setdefault((source, int(days[chunk[0]])), []).extend(lines[i] for i in chunk)


def _json_lines(con: duckdb.DuckDBPyConnection, table: pa.Table, select: str) -> list[str]:
    """Render rows as JSON objects (keys in `select` order), in row order."""
    con.register("rows_", table)
    result = con.execute(f"SELECT to_json(struct_pack({select})) FROM rows_ ORDER BY row_id").fetchall()
    con.unregister("rows_")
    return [r[0] for r in result]


def generate(out: Path, settings: GeneratorSettings) -> dict[str, Any]:
    """Write RAW under `out` and return (and write) the manifest."""
    rng = np.random.default_rng(settings.seed)
    days = settings.days
    start = dt.datetime.combine(settings.start_date, dt.time())
    n_orders = max(200, int(100_000 * settings.scale))
    n_customers = max(50, n_orders // 4)
    manifest: dict[str, Counter[str]] = {
        s: Counter() for s in ("orders", "customers", "products", "inventory", "clickstream", "payments", "store_sales")
    }
    files = _Files()
    con = duckdb.connect()
    con.execute("SET threads = 1")

    # Products: the catalog on day 0 and a price update for a tenth of the SKUs half-way.
    skus = _ids("SKU-", np.arange(N_PRODUCTS), 5)
    prices = np.round(rng.uniform(2, 250, N_PRODUCTS), 2)
    cats = rng.integers(0, len(CATEGORIES), N_PRODUCTS)
    brands = rng.integers(0, len(BRANDS), N_PRODUCTS)

    def product_line(i: int, price: float, day: int) -> str:
        name = f'"{BRANDS[brands[i]]} {CATEGORIES[cats[i]]} item {i}, size {1 + i % 5}"'
        ts = (start + dt.timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return f"{skus[i]},{name},{CATEGORIES[cats[i]]},{BRANDS[brands[i]]},{price:.2f},true,{ts}"

    product_lines = [product_line(i, prices[i], 0) for i in range(N_PRODUCTS)]
    updated = np.sort(rng.choice(N_PRODUCTS, size=N_PRODUCTS // 10, replace=False))
    prices[updated] = np.round(prices[updated] * 1.1, 2)
    product_lines += [product_line(int(i), prices[i], days // 2) for i in updated]
    files.add("products", np.array([0] * N_PRODUCTS + [days // 2] * len(updated)), product_lines)
    manifest["products"]["records"] = len(product_lines)

    # Customers: a first version, then 0-2 changes of one tracked attribute each, on later days.
    customer_ids = _ids("C", np.arange(n_customers), 7)
    signup_day = rng.integers(0, days, n_customers) * (rng.random(n_customers) < 0.3)
    n_changes = rng.choice([0, 0, 0, 1, 1, 2], size=n_customers)
    versions = 1 + n_changes
    owner = np.repeat(np.arange(n_customers), versions)
    k = _group_positions(versions)
    step = np.where(k == 0, 0, 1 + rng.integers(0, 2, len(owner)))
    version_day = signup_day[owner] + (
        np.cumsum(step) - np.repeat(np.cumsum(step)[np.cumsum(versions) - versions], versions)
    )
    keep = version_day <= days - 1
    owner, k, version_day = owner[keep], k[keep], version_day[keep]
    field = np.where(k == 0, -1, rng.integers(0, 4, len(owner)))

    def changes_of(which: int) -> np.ndarray:
        hits = (field == which).astype(np.int64)
        totals = np.cumsum(hits)
        firsts = np.flatnonzero(k == 0)
        return totals - np.repeat(totals[firsts] - hits[firsts], np.diff(np.append(firsts, len(k))))

    city = (rng.integers(0, len(CITIES), n_customers)[owner] + changes_of(0)) % len(CITIES)
    segment = (rng.integers(0, len(SEGMENTS), n_customers)[owner] + changes_of(1)) % len(SEGMENTS)
    tier = (rng.integers(0, len(TIERS), n_customers)[owner] + changes_of(2)) % len(TIERS)
    email_version = changes_of(3)
    late = (rng.random(n_customers) < RATES["late_customer"]) & (signup_day < days - 1)
    delivery_day = np.where((k == 0) & late[owner], version_day + 1, version_day)
    manifest["customers"]["customers"] = n_customers
    manifest["customers"]["tracked_changes"] = int((k > 0).sum())
    manifest["customers"]["late_customers"] = int(late.sum())
    email = np.char.add(
        np.char.lower(customer_ids[owner]), np.where(email_version > 0, np.char.add(".", email_version.astype(str)), "")
    )
    email = np.char.add(email, "@mail.example")
    messy = owner % 7 == 0  # delivered in upper case with leading spaces: silver normalises it
    customers = pa.table(
        {
            "row_id": np.arange(len(owner)),
            "customer_id": customer_ids[owner],
            "email": np.where(messy, np.char.add("  ", np.char.upper(email)), email),
            "first_name": np.char.add("name", (owner % 97).astype(str)),
            "last_name": np.char.add("family", (owner % 89).astype(str)),
            "city": np.array(CITIES)[city],
            "country": np.where(owner % 5 == 0, np.char.lower(np.array(COUNTRIES)[city]), np.array(COUNTRIES)[city]),
            "segment": np.array(SEGMENTS)[segment],
            "loyalty_tier": np.array(TIERS)[tier],
            "signup_date": np.datetime_as_string(
                np.datetime64(settings.start_date) + signup_day[owner].astype("timedelta64[D]")
            ),
            "updated_at": _iso(start, version_day * 86400 + 3600 + k * 60 + owner % 3000),
        }
    )
    files.add(
        "customers",
        delivery_day,
        _json_lines(con, customers, ", ".join(f"{c} := {c}" for c in customers.column_names[1:])),
    )
    manifest["customers"]["records"] = len(owner)

    # Orders: status versions over time, items, a promo_code field from half-way (schema drift).
    order_day = np.maximum(np.sort(rng.integers(0, days, n_orders)), 0)
    buyer = rng.integers(0, n_customers, n_orders)
    order_day = np.maximum(order_day, signup_day[buyer])
    order_seconds = order_day * 86400 + rng.integers(7200, 86000, n_orders)
    n_items = rng.integers(1, 5, n_orders)
    item_order = np.repeat(np.arange(n_orders), n_items)
    item_sku = rng.integers(0, N_PRODUCTS, len(item_order))
    item_qty = rng.integers(1, 4, len(item_order))
    item_price = prices[item_sku]
    totals = np.round(np.bincount(item_order, weights=item_qty * item_price, minlength=n_orders), 2)
    roll, refund_roll = rng.random(n_orders), rng.random(n_orders)
    kind = np.where(roll < 0.06, 0, np.where(roll < 0.8, 2, 1))
    kind = np.where((kind == 2) & (refund_roll < RATES["refund"]), 3, kind)
    manifest["orders"]["refunds"] = int((kind == 3).sum())
    path_length = np.array([len(p) for p in PATHS])[kind]
    version_order = np.repeat(np.arange(n_orders), path_length)
    j = _group_positions(path_length)
    statuses = np.array([s for p in PATHS for s in p])[
        np.repeat(np.cumsum([0, *[len(p) for p in PATHS]])[:-1][kind], path_length) + j
    ]
    swapped = (rng.random(n_orders) < RATES["out_of_order"]) & (path_length > 2)
    manifest["orders"]["out_of_order"] = int(swapped.sum())
    last = path_length[version_order] - 1
    position = np.where(swapped[version_order] & (j == 0), last, np.where(swapped[version_order] & (j == last), 0, j))
    line_order = np.lexsort((position, version_order))
    items_arrow = pa.ListArray.from_arrays(
        pa.array(np.append(np.cumsum(n_items) - n_items, len(item_order)), pa.int32()),
        pa.StructArray.from_arrays(
            [_arrow(skus[item_sku]), _arrow(item_qty.astype(np.int32)), _arrow(item_price)],
            names=["sku", "quantity", "unit_price"],
        ),
    )
    drift = order_day >= days // 2
    orders = pa.table(
        {
            "row_id": np.arange(n_orders),
            "order_id": _ids("O", np.arange(n_orders), 8),
            "order_ts": _iso(start, order_seconds),
            "customer_id": customer_ids[buyer],
            "email": np.char.add(np.char.lower(customer_ids[buyer]), "@mail.example"),
            "items": items_arrow,
            "promo": np.char.add("PROMO", (np.arange(n_orders) % 10).astype(str)),
            "drift": drift,
        }
    )
    con.register("orders_", orders)
    versions_table = pa.table(
        {
            "row_id": np.arange(len(version_order)),
            "o": version_order,
            "status": statuses,
            "updated_at": _iso(start, order_seconds[version_order] + 1800 * j),
        }
    )
    con.register("versions_", versions_table)
    rendered = con.execute(
        """
        SELECT CASE WHEN o.drift THEN to_json(struct_pack(order_id := o.order_id, status := v.status,
                   order_ts := o.order_ts, updated_at := v.updated_at, currency := 'EUR',
                   customer := struct_pack(customer_id := o.customer_id, email := o.email), items := o.items,
                   promo_code := o.promo))
               ELSE to_json(struct_pack(order_id := o.order_id, status := v.status, order_ts := o.order_ts,
                   updated_at := v.updated_at, currency := 'EUR',
                   customer := struct_pack(customer_id := o.customer_id, email := o.email), items := o.items))
               END
        FROM versions_ v JOIN orders_ o ON o.row_id = v.o ORDER BY v.row_id
        """
    ).fetchall()
    version_lines = [r[0] for r in rendered]
    ordered = [version_lines[i] for i in line_order]
    ordered_days = order_day[version_order[line_order]]
    manifest["orders"]["records"] = len(ordered)
    manifest["orders"]["drift_rows"] = int(drift[version_order].sum())
    dup = np.flatnonzero(rng.random(n_orders) < RATES["duplicate"])
    last_line = np.cumsum(path_length) - 1
    files.add(
        "orders", np.concatenate([ordered_days, order_day[dup]]), ordered + [version_lines[i] for i in last_line[dup]]
    )
    manifest["orders"]["duplicates"] = len(dup)

    # Payments: authorized + captured (or failed), and refunded; each a separate event.
    n_events = np.where(kind == 0, 2, np.where(kind == 3, 3, 2))
    event_order = np.repeat(np.arange(n_orders), n_events)
    e = _group_positions(n_events)
    event_type = np.where(
        e == 0, "authorized", np.where(e == 2, "refunded", np.where(kind[event_order] == 0, "failed", "captured"))
    )
    payments = pa.table(
        {
            "row_id": np.arange(len(event_order)),
            "payment_event_id": np.char.add(_ids("PE", event_order, 8), e.astype(str)),
            "payment_id": _ids("P", event_order, 8),
            "order_id": _ids("O", event_order, 8),
            "event_type": event_type,
            "amount": totals[event_order],
            "currency": np.full(len(event_order), "EUR"),
            "event_ts": _iso(start, order_seconds[event_order] + 300 + 1800 * e),
        }
    )
    files.add(
        "payments",
        order_day[event_order],
        _json_lines(con, payments, ", ".join(f"{c} := {c}" for c in payments.column_names[1:])),
    )
    manifest["payments"]["records"] = len(event_order)

    # Clickstream: page views, add to cart, checkout before each order.
    n_clicks = 3 + (n_items > 1)
    click_order = np.repeat(np.arange(n_orders), n_clicks)
    c = _group_positions(n_clicks)
    first_sku = skus[item_sku[np.cumsum(n_items) - n_items]][click_order]
    clicks = pa.table(
        {
            "row_id": np.arange(len(click_order)),
            "event_id": np.char.add(_ids("E", click_order, 8), c.astype(str)),
            "session_id": _ids("S", click_order, 8),
            "customer_id": customer_ids[buyer[click_order]],
            "event_type": np.array(["page_view", "page_view", "add_to_cart", "checkout"])[
                np.where(c == n_clicks[click_order] - 1, 3, np.minimum(c, 2))
            ],
            "page": np.char.add("/p/", first_sku),
            "sku": first_sku,
            "event_ts": _iso(start, order_seconds[click_order] - 60 * (10 - c)),
        }
    )
    files.add(
        "clickstream",
        order_day[click_order],
        _json_lines(con, clicks, ", ".join(f"{c} := {c}" for c in clicks.column_names[1:])),
    )
    manifest["clickstream"]["records"] = len(click_order)

    # Inventory: one snapshot a day of a third of the SKUs in every store.
    grids = np.meshgrid(np.arange(days), np.arange(N_STORES), np.arange(0, N_PRODUCTS, 3), indexing="ij")
    day_grid, store_grid, product_grid = (grid.ravel() for grid in grids)
    on_hand = np.maximum((product_grid * 7 + day_grid * 13 + store_grid * 5) % 40 - 3, 0)
    stamps = _iso(start, day_grid * 86400 + 22 * 3600)
    store_ids = _ids("ST", np.arange(N_STORES), 3)
    inventory_lines = [
        f"{a},{b},{c_},{d}"
        for a, b, c_, d in zip(stamps, store_ids[store_grid], skus[product_grid], on_hand, strict=True)
    ]
    files.add("inventory", day_grid, inventory_lines)
    manifest["inventory"]["records"] = len(inventory_lines)

    _inject_defects(files, manifest, rng)
    _write_text(out, settings, files)
    _write_store_sales(out, settings, rng, n_orders, customer_ids, signup_day, skus, prices, store_ids, manifest)
    con.close()
    result = {
        "settings": {
            "scale": settings.scale,
            "days": days,
            "seed": settings.seed,
            "start_date": settings.start_date.isoformat(),
        },
        "rates": RATES,
        "sources": {s: dict(sorted(counts.items())) for s, counts in manifest.items()},
    }
    (out / "_manifest.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return result


def _inject_defects(files: _Files, manifest: dict[str, Counter[str]], rng: np.random.Generator) -> None:
    """Per file: truncated lines, records missing their required first key, duplicates; ragged CSV lines."""
    for (source, day), lines in sorted(files.lines.items()):
        count = len(lines)
        bad: list[str] = []
        if source in REQUIRED_FIRST_KEY:
            for i in rng.choice(count, size=max(1, int(count * RATES["malformed"])), replace=False):
                bad.append(lines[int(i)][: len(lines[int(i)]) // 2])
            for i in rng.choice(count, size=max(1, int(count * RATES["missing_required"])), replace=False):
                line = lines[int(i)]
                bad.append("{" + line[line.index(",") + 1 :])  # the required first key removed
            manifest[source]["malformed"] += max(1, int(count * RATES["malformed"]))
            manifest[source]["missing_required"] += max(1, int(count * RATES["missing_required"]))
            if source in ("clickstream", "payments"):
                picks = rng.choice(count, size=int(count * RATES["duplicate"]), replace=False)
                lines.extend(lines[int(i)] for i in picks)
                manifest[source]["duplicates"] += len(picks)
        elif source == "inventory":
            for i in rng.choice(count, size=max(1, int(count * RATES["malformed"])), replace=False):
                bad.append(lines[int(i)] + ",unexpected")
            manifest[source]["malformed"] += max(1, int(count * RATES["malformed"]))
        lines.extend(bad)
        del day


def _write_text(out: Path, settings: GeneratorSettings, files: _Files) -> None:
    headers = {
        "products": "sku,name,category,brand,list_price,active,updated_at",
        "inventory": "snapshot_ts,store_id,sku,on_hand",
    }
    extension = {"products": "csv", "inventory": "csv"}
    for (source, day), lines in sorted(files.lines.items()):
        folder = out / source / f"ingestion_date={(settings.start_date + dt.timedelta(days=day)).isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        body = ([headers[source]] if source in headers else []) + lines
        (folder / f"{source}-{day:03d}.{extension.get(source, 'jsonl')}").write_text(
            "\n".join(body) + "\n", encoding="utf-8"
        )


def _write_store_sales(
    out: Path,
    settings: GeneratorSettings,
    rng: np.random.Generator,
    n_orders: int,
    customer_ids: np.ndarray,
    signup_day: np.ndarray,
    skus: np.ndarray,
    prices: np.ndarray,
    store_ids: np.ndarray,
    manifest: dict[str, Counter[str]],
) -> None:
    """Point-of-sale lines, one Parquet file a day; a `loyalty_card` column appears half-way (schema drift)."""
    days = settings.days
    start = dt.datetime.combine(settings.start_date, dt.time())
    n_transactions = max(50, n_orders // 2)
    txn_day = np.sort(rng.integers(0, days, n_transactions))
    txn_seconds = txn_day * 86400 + rng.integers(28800, 75600, n_transactions)
    n_lines = rng.integers(1, 4, n_transactions)
    txn = np.repeat(np.arange(n_transactions), n_lines)
    product = rng.integers(0, N_PRODUCTS, len(txn))
    store = txn % N_STORES
    columns = {
        "transaction_id": _ids("T", txn, 8),
        "line_number": (_group_positions(n_lines) + 1).astype(np.int32),
        "store_id": store_ids[store],
        "store_name": np.char.add(
            np.char.add("RetailFlow ", np.array(CITIES)[store % len(CITIES)]), np.char.add(" ", store.astype(str))
        ),
        "store_city": np.array(CITIES)[store % len(CITIES)],
        "sku": skus[product],
        "quantity": rng.integers(1, 3, len(txn)).astype(np.int32),
        "unit_price": prices[product],
        "sold_at": _iso(start, txn_seconds[txn]),
    }
    # A third of the sales carry the loyalty customer, only once that customer exists (else the sale is anonymous).
    member = txn % len(customer_ids)
    known = (txn % 3 == 0) & (signup_day[member] <= txn_day[txn])
    customer = np.where(known, customer_ids[member], np.array(None, dtype=object))
    for day in range(days):
        rows = np.flatnonzero(txn_day[txn] == day)
        if not len(rows):
            continue
        table = pa.table(
            {**{k: v[rows] for k, v in columns.items()}, "customer_id": pa.array(customer[rows], pa.string())}
        )
        if day >= days // 2:
            table = table.append_column("loyalty_card", pa.array(np.char.add("LC", (rows % 50).astype(str))))
            manifest["store_sales"]["drift_rows"] += len(rows)
        folder = out / "store_sales" / f"ingestion_date={(settings.start_date + dt.timedelta(days=day)).isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"store_sales-{day:03d}.parquet", compression="snappy")
        manifest["store_sales"]["records"] += len(rows)
